#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# twtune report against fixture /proc trees: verdicts, plans, exit codes,
# JSON fields, and clear errors for a /proc that is not what we expect.
. "${SRCDIR:-.}/tests/lib.sh"

BOOT=5c1e4a0e-7f3b-4d7a-9a51-0d6f2b7c9e11
R() { "$TWTUNE" report -p "$POL" --state "$T/state.json" "$@"; }

# --- seed 2's host: full table, old kernel with tcp_tw_recycle on --------
make_state "$T/state.json" 20000 10000 10 $BOOT
expect_rc "overflowing host report" 2 R --proc "$FIX/overflow" -f json
cp "$T/out" "$T/j"
expect_eq verdict "$(jget "$T/j" .verdict)" overflowing
expect_eq tw_count "$(jget "$T/j" .observations.tw_count)" 10000
expect_eq tw_overflow_delta "$(jget "$T/j" .observations.tw_overflow_delta)" 1873
# steady state (Little's law): the full table plus the overflow rate over
# the state file's ~10 s window times the 60 s TIME_WAIT lifetime
W=$(jget "$T/j" .baseline.window_seconds)
DEMAND=$(awk -v w="$W" 'BEGIN { d = 10000 + 1873 / w * 60; c = int(d); if (c < d) c++; print c }')
expect_eq tw_demand "$(jget "$T/j" .observations.tw_demand)" "$DEMAND"
expect_eq "the model used" "$(jget "$T/j" .demand.model)" "steady state"
expect_eq "the burst bound beside it" "$(jget "$T/j" .demand.burst)" 11873
expect_eq tw_sock_size "$(jget "$T/j" .observations.tw_sock_size)" 248
expect_eq mem_total "$(jget "$T/j" .observations.mem_total)" $((8046520 * 1024))
expect_eq tcp_inuse "$(jget "$T/j" .observations.tcp_inuse)" 60
expect_eq "plan size" "$(jget "$T/j" '.plan | length')" 2
expect_eq "buckets raised to 2x demand, pow2" \
	"$(jget "$T/j" '.plan[] | select(.key=="net.ipv4.tcp_max_tw_buckets") | "\(.from)->\(.to) \(.rule)"')" \
	"10000->65536 tw-buckets-headroom"
expect_eq "tcp_tw_recycle turned off" \
	"$(jget "$T/j" '.plan[] | select(.key=="net.ipv4.tcp_tw_recycle") | "\(.from)->\(.to) \(.rule)"')" \
	"1->0 tw-recycle-off"
# lowered tcp_fin_timeout: a myth or a help by the FIN_WAIT2 share, which
# only the socket dump tells, and fixtures are never dumped
expect_eq "fin-timeout rule undecided" \
	"$(jget "$T/j" '.undecided[] | select(.rule=="fin-timeout-myth") | .missing[0]')" \
	"tw_fin_wait2: --proc is not the live /proc"
expect_eq "reason shows the numbers" \
	"$(jget "$T/j" '.plan[0].reason')" \
	"10000 TIME_WAIT sockets in 10000 buckets, 1873 overflows since the baseline, estimated demand $DEMAND: raise to 65536 (twice the demand and at least double, at most 1% of RAM and 4 per ehash bucket)"
expect_eq "tcp_tw_recycle sysctl reported" "$(jget "$T/j" '.sysctls["net.ipv4.tcp_tw_recycle"].value')" 1
for k in observations sysctls plan advice undecided warnings; do
	expect_eq "JSON has $k" "$(jget "$T/j" "has(\"$k\")")" true
done
# every documented metric is present by name
for m in tw_count tw_max tw_ratio tw_overflows tw_overflow_delta \
	tw_overflow_rate tw_demand syncookies_sent_delta listen_overflows_delta \
	tcp_inuse tcp_orphan tcp_alloc mem_total tw_sock_size ephemeral_low \
	ephemeral_high ephemeral_ports state_time_wait tw_outgoing tw_peers \
	port_pressure syn_recv_peers; do
	[ "$(jget "$T/j" ".observations | has(\"$m\")")" = true ] ||
		not_ok "observations lacks $m"
done
ok "observations has every documented metric name"

# text: the first line says whether the host is overflowing
make_state "$T/state.json" 20000 10000 10 $BOOT
expect_rc "text report" 2 R --proc "$FIX/overflow"
expect_eq "first line" "$(head -1 "$T/out" | cut -c1-12)" "OVERFLOWING:"
expect_grep "text plan shows the change" "net.ipv4.tcp_max_tw_buckets: 10000 -> 65536" "$T/out"
expect_grep "text shows undecided rules" "fin-timeout-myth: tw_fin_wait2" "$T/out"
# the hint repeats what was acted on, so that it applies the same plan
expect_grep "Next: repeats -p, --proc and --state" \
	"^Next: \`twtune apply -p $POL --proc $FIX/overflow --state $T/state.json\` (as root)" "$T/out"

# --- no baseline: full table -> at risk, at least doubled -------------------
# (a fixture is never sampled; the counter is not 0, so the demand is
# unknown: the raise-only rule plans the part it knows, max(current * 2,
# ...) being at least current * 2)
rm -f "$T/state.json"
expect_rc "full table without baseline" 2 R --proc "$FIX/overflow" -f json
cp "$T/out" "$T/j"
expect_eq verdict "$(jget "$T/j" .verdict)" full
expect_eq "headroom plans at least double" \
	"$(jget "$T/j" '.plan[] | select(.key == "net.ipv4.tcp_max_tw_buckets") | .to')" 20000
expect_grep "marked at least, with what was unknown" '"at_least": "tw_demand: the table is full' "$T/j"
expect_eq "recycle still planned" "$(jget "$T/j" '[.plan[].key] | index("net.ipv4.tcp_tw_recycle") != null')" true
rm -f "$T/state.json"
R --proc "$FIX/overflow" >"$T/text" 2>&1
expect_grep "text says at least" "net.ipv4.tcp_max_tw_buckets: 10000 -> at least 20000" "$T/text"

# --- first sight with the counter at 0: no overflow ever, demand is the table
copy_fixture overflow
awk '/^TcpExt:/ && !h { for (i = 2; i <= NF; i++) if ($i == "TCPTimeWaitOverflow") c = i; h = 1; print; next }
     /^TcpExt:/ && h { $c = 0 } { print }' "$FIX/overflow/net/netstat" >"$T/proc/net/netstat"
rm -f "$T/state.json"
expect_rc "full table, counter at 0, no state" 2 R --proc "$T/proc" -f json
cp "$T/out" "$T/j"
expect_eq "the counter is the baseline" "$(jget "$T/j" .baseline.source)" "counter at zero"
expect_eq "demand is what the table holds" "$(jget "$T/j" .observations.tw_demand)" 10000
expect_eq "so the plan is exact, not at least" \
	"$(jget "$T/j" '.plan[] | select(.key == "net.ipv4.tcp_max_tw_buckets") | "\(.to) \(.at_least)"')" \
	"32768 null"

# --- no rules at all is an error, naming where it looked ------------------
mkdir -p "$T/nopolicies"
expect_rc "an empty policy directory" 65 "$TWTUNE" report -p "$T/nopolicies" \
	--proc "$FIX/healthy" --state "$T/np-state.json"
expect_grep "names the paths searched" "no policy rules loaded from $T/nopolicies" "$T/err"
expect_rc "apply with no rules" 65 "$TWTUNE" apply --dry-run -p "$T/nopolicies" \
	--proc "$FIX/healthy" --state "$T/np-state.json"

# --- critical advice and nothing to change: exit 3, and -q still says it ---
mkdir -p "$T/crit"
echo 'rules = ( { id = "site-alarm"; advice = "only {tw_count} sockets: call someone"; severity = "critical"; when = "tw_count > 0"; } );' >"$T/crit/10-alarm.conf"
expect_rc "critical advice, nothing planned" 3 "$TWTUNE" report -p "$T/crit" \
	--proc "$FIX/healthy" --state "$T/crit-state.json" -q
expect_grep "quiet: the verdict line says attention first" "^ATTENTION: critical advice from site-alarm; TIME_WAIT not overflowing (120 of 262144" "$T/out"
expect_grep "and the critical advice" "^\[critical\] site-alarm: only [0-9]* sockets: call someone" "$T/out"
sed -i 's/critical/info/' "$T/crit/10-alarm.conf"
expect_rc "info advice alone is no trouble" 0 "$TWTUNE" report -p "$T/crit" \
	--proc "$FIX/healthy" --state "$T/crit-state.json" -q
expect_eq "and -q shows no info advice" "$(grep -c site-alarm "$T/out")" 0

# --- trouble that no rule fixes: disabled, backed off, undecided: exit 3 ---
mkdir -p "$T/b3"
cp "$POL/10-tw-buckets.conf" "$T/b3/" || exit 99
printf '%s\n' 'rules = ( { id = "tw-buckets-headroom"; enabled = false; },' \
	'{ id = "tw-buckets-saturated"; enabled = false; } );' >"$T/b3/90-off.conf"
make_state "$T/s3.json" 20000 10000 10 $BOOT
expect_rc "overflowing, the fix disabled" 3 "$TWTUNE" report -p "$T/b3" \
	--proc "$FIX/overflow" --state "$T/s3.json" -q
expect_grep "says it overflows" "^OVERFLOWING" "$T/out"
rm "$T/b3/90-off.conf"
# twtune wrote 12345 here; someone else has set 10000 since: back off
now=$(date +%s)
cat >"$T/s3.json" <<JSON
{"version": 2, "samples": [{"time": $((now - 10)), "boot_id": "$BOOT",
 "netns": 0, "tw_max": 10000, "tw_overflows": 20000, "syncookies_sent": 0,
 "listen_overflows": 0}],
 "written": {"net.ipv4.tcp_max_tw_buckets": 12345}}
JSON
expect_rc "overflowing, the fix backed off" 3 "$TWTUNE" report -p "$T/b3" \
	--proc "$FIX/overflow" --state "$T/s3.json" -q
expect_grep "-q still shows the back-off warning" \
	"^\[warning\] tw-buckets-headroom: .*someone else changed it" "$T/out"
# a rule of the site's that needs a rate, and no baseline
echo 'rules = ( { id = "site-raise"; sysctl = "net.ipv4.tcp_max_tw_buckets"; when = "tw_overflow_rate > 1"; value = "current * 2"; direction = "raise"; } );' \
	>"$T/b3/10-tw-buckets.conf"
expect_rc "overflowing, the fix undecided" 3 "$TWTUNE" report -p "$T/b3" \
	--proc "$FIX/overflow" --state "$T/s3-none.json" -f json
expect_eq "undecided for want of a baseline" \
	"$(jget "$T/out" '[.undecided[]? | .rule] | join(",")')" site-raise

# --- the report updated the state: a second run has a baseline ------------
expect_eq "state written by report" "$(jget "$T/state.json" '.samples | length')" 1

# --- healthy current kernel: nothing to do --------------------------------
rm -f "$T/state.json"
expect_rc "healthy host" 0 R --proc "$FIX/healthy" -f json
cp "$T/out" "$T/j"
expect_eq verdict "$(jget "$T/j" .verdict)" ok
expect_eq "empty plan" "$(jget "$T/j" '.plan | length')" 0
expect_eq "recycle absent" "$(jget "$T/j" '.sysctls["net.ipv4.tcp_tw_recycle"].exists')" false
expect_eq "reuse_delay present" "$(jget "$T/j" '.sysctls["net.ipv4.tcp_tw_reuse_delay"].value')" 1000
expect_rc "healthy, quiet" 0 R --proc "$FIX/healthy" -q
expect_eq "quiet is one line" "$(wc -l <"$T/out")" 1
expect_grep "quiet says OK" "^OK: not overflowing" "$T/out"

# --- unlimited and zero limits --------------------------------------------
make_state "$T/state.json" 0 -1 10 $BOOT
# overflows counted with nothing to plan (a negative limit is never
# lowered): the host needs attention, exit 3
expect_rc "unlimited table" 3 R --proc "$FIX/unlimited" -f json
cp "$T/out" "$T/j"
expect_eq "unlimited ratio" "$(jget "$T/j" .observations.tw_ratio)" 0
expect_eq "unlimited: nothing planned" "$(jget "$T/j" '.plan | length')" 0
make_state "$T/state.json" 21000 0 30 $BOOT
expect_rc "zero buckets, overflowing" 2 R --proc "$FIX/zero" -f json
cp "$T/out" "$T/j"
expect_eq "zero ratio counts as full" "$(jget "$T/j" .observations.tw_ratio)" 1
# 0 buckets: every close overflows; twice the steady-state demand,
# rounded up to a power of two, and from a limit that admits none at least
# 16384 (this fixture has no tcp_ehash_entries)
expect_eq "zero raised to 2x demand" "$(jget "$T/j" '.plan[0].to')" \
	"$(jget "$T/j" '[.observations.tw_demand * 2 | log2 | ceil | exp2, 16384] | max')"

# --- a /proc we do not understand: clear error, exit 1 --------------------
expect_rc "sockstat without tw" 1 R --proc "$FIX/broken-sockstat"
expect_grep "names the file and field" 'net/sockstat: TCP line has no "tw" field' "$T/err"
expect_rc "netstat columns mismatch" 1 R --proc "$FIX/broken-netstat"
expect_grep "names the file" "net/netstat: \"TcpExt:\" header has more columns than values" "$T/err"
expect_rc "missing /proc" 1 R --proc "$T/nonexistent"

# --- a sysctl a policy names but that cannot be read is unknown, not fatal --
cat >"$T/odd.conf" <<'P'
rules = ( { id = "odd"; advice = "x"; when = "sysctl(\"net.ipv4.conf\") > 0"; } );
P
mkdir -p "$T/odd" && cp -r "$FIX/healthy/." "$T/odd/" && mkdir -p "$T/odd/sys/net/ipv4/conf"
expect_rc "unreadable sysctl in a policy" 0 "$TWTUNE" report -p "$T/odd.conf" \
	--proc "$T/odd" --state "$T/odd-state.json" -f json
expect_eq "rule undecided" "$(jget "$T/out" '.undecided[0].rule')" odd
expect_grep "warning names the key" "net.ipv4.conf: read:" "$T/out"

# --- shadowing: a later sysctl.d file would undo the change at boot --------
mkdir -p "$T/root/etc/sysctl.d" "$T/root/usr/lib/sysctl.d"
printf '#net.ipv4.tcp_max_tw_buckets=5000\nnet.ipv4.tcp_max_tw_buckets=10000\n' >"$T/root/etc/sysctl.conf"
printf 'net/ipv4/tcp_max_tw_buckets = 20000\n' >"$T/root/usr/lib/sysctl.d/95-vendor.conf"
printf 'net.ipv4.tcp_max_tw_buckets = 4000\n' >"$T/root/etc/sysctl.d/10-early.conf"
make_state "$T/state.json" 20000 10000 10 $BOOT
expect_rc "report with a fake root" 2 R --proc "$FIX/overflow" --root "$T/root" -f json
cp "$T/out" "$T/j"
expect_eq "shadowed by the vendor file, then sysctl.conf" \
	"$(jget "$T/j" '[.sysctls["net.ipv4.tcp_max_tw_buckets"].shadowed_by[] | "\(.file):\(.line)=\(.value)"] | join(" ")')" \
	"/usr/lib/sysctl.d/95-vendor.conf:1=20000 /etc/sysctl.conf:2=10000"
expect_grep "warning names FILE:LINE" "net.ipv4.tcp_max_tw_buckets: shadowed by /etc/sysctl.conf:2, which sets 10000" "$T/j"
expect_eq "an earlier file does not shadow" "$(grep -c 10-early "$T/j")" 0
expect_eq "other keys: no shadowed_by" "$(jget "$T/j" '.sysctls["net.ipv4.tcp_fin_timeout"] | has("shadowed_by")')" false

# --- --output writes atomically ------------------------------------------
rm -f "$T/state.json"
expect_rc "--output" 0 R --proc "$FIX/healthy" -f json --output "$T/report.json"
expect_eq "--output file holds the JSON" "$(jget "$T/report.json" .verdict)" ok
expect_eq "--output leaves stdout empty" "$(wc -c <"$T/out")" 0

finish
