#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Hostile files where twtune reads, against fixture /proc trees: FIFOs at
# the audit log, the state file and a sysctl; symbolic links at the state
# file and as the persist directory; a state file whose content must not
# be shown; a policy whose reason would make an audit record larger than
# any reader takes; forged audit logs that a rollback must not trust, and
# one whose chain breaks after or before the run rolled back; sysctl
# values past 2^53; a state file with tens of thousands of keys; a 100 MB
# audit line; a netstat file with two TcpExt pairs.  Each gets a clear
# answer in bounded time and memory, and nothing is written that should
# not be.
. "${SRCDIR:-.}/tests/lib.sh"

command -v /usr/bin/time >/dev/null || skip "GNU time is needed (apt-get install time)"
SYS="$T/proc/sys/net/ipv4"
mkdir -p "$T/sysctl.d" "$T/log" "$T/pol"
cp "$POL"/*.conf "$T/pol/"
chmod -R go-w "$T/pol"
# A ARGS: twtune with this test's files (a script, so that timeout runs it)
printf '#!/bin/sh\nexec "%s" "$@" -p "%s" --proc "%s" --state "%s" --sysctl-d "%s" --audit-log "%s"\n' \
	"$TWTUNE" "$T/pol" "$T/proc" "$T/state.json" "$T/sysctl.d" \
	"$T/log/audit.jsonl" >"$T/A"
chmod +x "$T/A"
A() { "$T/A" "$@"; }
# bounded WHAT SECONDS KB CMD...: CMD ends within SECONDS and KB of memory
# Built with AddressSanitizer (the CI's second run of the suite), the
# resident size is mostly the sanitizer's shadow memory and allocator:
# the memory bounds are eight times as wide there.
if grep -q __asan_init "$TWTUNE"; then MEM_SCALE=8; else MEM_SCALE=1; fi
bounded() {
	what=$1 secs=$2 kb=$(($3 * MEM_SCALE))
	shift 3
	/usr/bin/time -f "%e %M" -o "$T/usage" timeout "$secs" "$@" \
		>"$T/out" 2>"$T/err"
	rc=$?
	read -r s k <<EOT
$(tail -n 1 "$T/usage")
EOT
	if [ "$rc" != 124 ] && awk -v k="$k" -v m="$kb" 'BEGIN { exit !(k < m) }'; then
		ok "$what: done in $s s, $k KB (exit $rc)"
	else
		not_ok "$what: exit $rc after $s s, $k KB"
	fi
	return "$rc"
}

# ---- FIFOs where files should be: a clear error, at once -------------------
copy_fixture overflow
mkfifo "$T/log/audit.jsonl"
bounded "apply with a FIFO at the audit log" 5 65536 "$T/A" apply
expect_grep "refuses it" "audit.jsonl: not a regular file; refusing to change anything unaudited" "$T/err"
expect_eq "nothing written" "$(cat "$SYS/tcp_max_tw_buckets")" 10000
bounded "audit verify of a FIFO" 5 65536 "$TWTUNE" audit verify "$T/log/audit.jsonl"
expect_grep "says so" "not a regular file" "$T/err"
bounded "rollback with a FIFO at the audit log" 5 65536 "$T/A" rollback
expect_grep "says so" "not a regular file" "$T/err"
rm -f "$T/log/audit.jsonl"

mkfifo "$T/fifo-state.json"
bounded "report with a FIFO at the state file" 5 65536 "$TWTUNE" report -p "$T/pol" \
	--proc "$T/proc" --state "$T/fifo-state.json"
expect_grep "a warning, not a hang" "fifo-state.json: not a regular file (ignored)" "$T/out"
rm -f "$T/fifo-state.json"

# watch_briefly WHAT NAME ARGS...: twtune watch -v at 0.2 s ticks, stopped
# by SIGTERM after 1.5 s and killed 3 s later.  Signals are taken only
# between ticks (and the first tick comes before any), so exit 0 says
# that a tick ran and none hung.  Its log is in $T/NAME.log.
watch_briefly() {
	what=$1 name=$2
	shift 2
	timeout --preserve-status -k 3 1.5 "$TWTUNE" watch -v --interval 0.2 \
		"$@" >/dev/null 2>"$T/$name.log"
	expect_eq "$what: stops at SIGTERM, no tick hung (exit)" "$?" 0
}
# no_records WHAT LOG: no audit record in LOG (it may exist, empty)
no_records() {
	if [ -s "$2" ]; then not_ok "$1: $(wc -l <"$2") lines in $2"; else ok "$1"; fi
}

# The state file is a cache: a FIFO there is ignored with a warning and
# apply goes on (the overflow fixture has changes to make), but nothing
# is written into the FIFO: a reader waits at it to catch whatever is.
copy_fixture overflow
mkdir -p "$T/sd-fifo"
mkfifo "$T/fifo-state.json"
cat "$T/fifo-state.json" >"$T/fifo.got" 2>/dev/null &
READER=$!
bounded "apply with a FIFO at the state file" 5 65536 "$TWTUNE" apply -p "$T/pol" \
	--proc "$T/proc" --state "$T/fifo-state.json" --sysctl-d "$T/sd-fifo" \
	--audit-log "$T/log/fifo-state.jsonl"
expect_eq "apply goes on without its cache (exit)" "$?" 0
expect_grep "and says why" "fifo-state.json: not a regular file (ignored)" "$T/out"
kill "$READER" 2>/dev/null
wait "$READER" 2>/dev/null
[ -e "$T/fifo.got" ] && [ ! -s "$T/fifo.got" ] && ok "nothing written into the FIFO" ||
	not_ok "written into the FIFO: $(head -c 200 "$T/fifo.got" 2>&1)"
rm -f "$T/fifo-state.json" "$T/fifo.got"
# with apply's audit log, which has records: watch observes once at
# start, before its first tick, and says that observation's warnings
mkfifo "$T/fifo-state.json"
watch_briefly "watch with a FIFO at the state file, after apply's runs" \
	wfifo0 -p "$T/pol" --proc "$T/proc" --state "$T/fifo-state.json" \
	--sysctl-d "$T/sd-fifo" --audit-log "$T/log/fifo-state.jsonl"
expect_eq "watch says so at start" \
	"$(grep -c "fifo-state.json: not a regular file (ignored)" "$T/wfifo0.log")" 1
rm -f "$T/fifo-state.json"
# and with a new audit log: at its first tick
copy_fixture overflow
mkfifo "$T/fifo-state.json"
watch_briefly "watch with a FIFO at the state file" wfifo -p "$T/pol" \
	--proc "$T/proc" --state "$T/fifo-state.json" --sysctl-d "$T/sd-fifo" \
	--audit-log "$T/log/wfifo-state.jsonl"
expect_eq "watch says so, once" \
	"$(grep -c "fifo-state.json: not a regular file (ignored)" "$T/wfifo.log")" 1
rm -f "$T/fifo-state.json"

rm -f "$SYS/tcp_tw_reuse"
mkfifo "$SYS/tcp_tw_reuse"
bounded "report with a FIFO at a fixture sysctl" 5 65536 "$TWTUNE" report -p "$T/pol" \
	--proc "$T/proc" --state "$T/s2.json"
expect_grep "unknown, not a hang" "net.ipv4.tcp_tw_reuse: read: Invalid argument; treated as unknown" "$T/out"
expect_grep "the sysctls table says unreadable" "^  net.ipv4.tcp_tw_reuse  *(unreadable)$" "$T/out"
expect_eq "never (null)" "$(grep -c '(null)' "$T/out")" 0
# a rule that would write the key whatever it holds
cat >"$T/reuse.conf" <<'P'
rules = ( { id = "reuse-on"; sysctl = "net.ipv4.tcp_tw_reuse"; when = "1";
            value = 1; direction = "any"; } );
P
rm -rf "$T/sd-fifo" && mkdir -p "$T/sd-fifo"
bounded "apply with a FIFO at a fixture sysctl" 5 65536 "$TWTUNE" apply -p "$T/reuse.conf" \
	--proc "$T/proc" --state "$T/s2.json" --sysctl-d "$T/sd-fifo" \
	--audit-log "$T/log/fifo.jsonl"
expect_grep "says why" "net.ipv4.tcp_tw_reuse does not hold a single integer; twtune cannot manage it" "$T/out"
no_records "no audit record" "$T/log/fifo.jsonl"
[ -z "$(ls -A "$T/sd-fifo")" ] && ok "nothing persisted" || not_ok "persisted: $(ls -A "$T/sd-fifo")"
[ -p "$SYS/tcp_tw_reuse" ] && ok "the FIFO is still there" || not_ok "the FIFO was replaced"
watch_briefly "watch with a FIFO at a fixture sysctl" wsys -p "$T/reuse.conf" \
	--proc "$T/proc" --state "$T/s2.json" --sysctl-d "$T/sd-fifo" \
	--audit-log "$T/log/fifo.jsonl"
expect_eq "watch says so, once" \
	"$(grep -c "net.ipv4.tcp_tw_reuse: read: Invalid argument; treated as unknown" "$T/wsys.log")" 1
no_records "no audit record" "$T/log/fifo.jsonl"
[ -z "$(ls -A "$T/sd-fifo")" ] && ok "nothing persisted" || not_ok "persisted: $(ls -A "$T/sd-fifo")"
[ -p "$SYS/tcp_tw_reuse" ] && ok "the FIFO is still there" || not_ok "the FIFO was replaced"

# ---- a 600 KB reason: refused at load -------------------------------------------
copy_fixture overflow
awk 'BEGIN { printf "rules = ( { id = \"r\"; sysctl = \"net.ipv4.tcp_max_tw_buckets\"; when = \"1\"; value = \"current * 2\"; reason = \""; for (i = 0; i < 600000; i++) printf "x"; print "\"; } );" }' >"$T/long.conf"
expect_rc "a 600 KB reason" 65 "$TWTUNE" policy check "$T/long.conf"
expect_grep "says why" "long.conf:1: rule 'r': reason is longer than 4096 bytes" "$T/err"
expect_rc "apply refuses it too" 65 "$TWTUNE" apply -p "$T/long.conf" --proc "$T/proc" \
	--state "$T/s3.json" --sysctl-d "$T/sysctl.d" --audit-log "$T/log/long.jsonl"
[ ! -e "$T/log/long.jsonl" ] && ok "and writes no audit record" || not_ok "audited"

# ---- forged audit logs: rollback restores only what it can trust ------------------
copy_fixture overflow
rm -rf "$T/log" "$T/state.json"
mkdir -p "$T/log"
make_state "$T/state.json" 20000 10000 10 5c1e4a0e-7f3b-4d7a-9a51-0d6f2b7c9e11
expect_rc "a real apply to roll back" 0 A apply
L="$T/log/audit.jsonl"
cp "$L" "$T/good.jsonl"

chmod 0666 "$L"
expect_rc "rollback from a log everyone can write" 1 A rollback
expect_grep "refuses it" "refusing it: the file is writable by everyone" "$T/err"
expect_eq "nothing restored" "$(cat "$SYS/tcp_max_tw_buckets")" 65536
chmod 0640 "$L"
if [ "$(id -u)" = 0 ]; then
	chown 65534 "$L"
	expect_rc "rollback from a log owned by nobody" 1 A rollback
	expect_grep "refuses it" "is owned by uid 65534" "$T/err"
	chown 0 "$L"
fi

sed -i '1s/"uid":[0-9]*/"uid":4242/' "$L"
expect_rc "rollback from a log whose chain is broken" 1 A rollback
expect_grep "refuses it" "the log does not verify (line 2: hash chain broken" "$T/err"
expect_eq "nothing restored" "$(cat "$SYS/tcp_max_tw_buckets")" 65536

# forge a run with a sound chain: keys outside the table, values outside
# their range, and tcp_tw_recycle turned on again
cp "$T/good.jsonl" "$L"
# forge RECORD: append it (compact JSON, no prev) chained to the last line
# (as text: jq would round -9223372036854775808 through a double)
forge() {
	prev=$(tail -n 1 "$L" | tr -d '\n' | sha256sum | cut -d' ' -f1)
	printf '%s' "$1" | tr -d '\n' | sed "s/}\$/,\"prev\":\"$prev\"}/" >>"$L"
	echo >>"$L"
}
CH='[{"key":"net.ipv4.ip_forward","before":1,"after":0,"rule":"x","reason":"x","written":true,"verified":true,"persisted":false,"persist":false,"persist_before":null},
{"key":"net.ipv4.tcp_tw_reuse","before":7,"after":2,"rule":"x","reason":"x","written":true,"verified":true,"persisted":false,"persist":false,"persist_before":null},
{"key":"net.ipv4.tcp_max_tw_buckets","before":-9223372036854775808,"after":65536,"rule":"x","reason":"x","written":true,"verified":true,"persisted":false,"persist":false,"persist_before":null},
{"key":"net.ipv4.tcp_tw_recycle","before":1,"after":0,"rule":"x","reason":"x","written":true,"verified":true,"persisted":false,"persist":false,"persist_before":null}]'
forge "{\"time\":\"2026-11-30T00:00:00.000Z\",\"run\":\"f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0\",\"phase\":\"intent\",\"mode\":\"apply\",\"changes\":$CH,\"result\":null,\"error\":null}"
forge "{\"time\":\"2026-11-30T00:00:01.000Z\",\"run\":\"f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0\",\"phase\":\"result\",\"mode\":\"apply\",\"changes\":$CH,\"result\":\"ok\",\"error\":null}"
expect_rc "the forged log verifies (the chain is sound)" 0 "$TWTUNE" audit verify "$L"
echo 0 >"$SYS/ip_forward"
echo 2 >"$SYS/tcp_tw_reuse"
expect_rc "rollback of the forged run" 0 A rollback
expect_grep "a key outside the table is not touched" "net.ipv4.ip_forward: not a key twtune manages; not touched" "$T/err"
expect_grep "a value out of range is not written" "net.ipv4.tcp_tw_reuse: the recorded value 7 is outside what the kernel accepts (0..2)" "$T/err"
expect_grep "nor a huge one" "net.ipv4.tcp_max_tw_buckets: the recorded value -9223372036854775808 is outside" "$T/err"
expect_grep "tcp_tw_recycle stays off" "net.ipv4.tcp_tw_recycle stays 0" "$T/err"
expect_grep "nothing done" "Nothing to roll back for run f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0" "$T/out"
expect_eq "ip_forward untouched" "$(cat "$SYS/ip_forward")" 0
expect_eq "tcp_tw_reuse untouched" "$(cat "$SYS/tcp_tw_reuse")" 2
expect_eq "tcp_max_tw_buckets untouched" "$(cat "$SYS/tcp_max_tw_buckets")" 65536
expect_eq "tcp_tw_recycle untouched" "$(cat "$SYS/tcp_tw_recycle")" 0

# an untrusted state file is ignored, not obeyed
copy_fixture overflow
printf '{"version": 2, "samples": [], "written": {"net.ipv4.tcp_max_tw_buckets": 5}}\n' >"$T/forged-state.json"
chmod 0666 "$T/forged-state.json"
"$TWTUNE" report -p "$T/pol" --proc "$T/proc" --state "$T/forged-state.json" -f json >"$T/j" 2>"$T/err"
expect_grep "it is refused" "forged-state.json: refusing it: the file is writable by everyone" "$T/j"
expect_eq "and no back-off follows from it" \
	"$(jget "$T/j" '[.warnings[] | select(test("someone else"))] | length')" 0

# ---- symbolic links at --state and as the --sysctl-d directory ------------------
# A link at the state file is not followed: its target (a valid state
# file that would make apply back off from tcp_max_tw_buckets) is neither
# obeyed nor changed.
copy_fixture overflow
mkdir -p "$T/sd-link"
printf '{"version": 2, "samples": [], "written": {"net.ipv4.tcp_max_tw_buckets": 5}}\n' \
	>"$T/target-state.json"
chmod 0600 "$T/target-state.json"
cp -p "$T/target-state.json" "$T/target-state.orig"
ln -s "$T/target-state.json" "$T/link-state.json"
expect_rc "apply with a link at --state" 0 "$TWTUNE" apply -p "$T/pol" --proc "$T/proc" \
	--state "$T/link-state.json" --sysctl-d "$T/sd-link" --audit-log "$T/log/link.jsonl"
expect_grep "refuses to read through it" \
	"link-state.json: Too many levels of symbolic links (ignored)" "$T/out"
if grep -q "someone else changed it" "$T/out"; then
	not_ok "the link's target was obeyed: $(grep "someone else" "$T/out")"
else
	ok "no back-off from the link's target"
fi
expect_eq "so tcp_max_tw_buckets is raised" "$(cat "$SYS/tcp_max_tw_buckets")" 20000
cmp -s "$T/target-state.json" "$T/target-state.orig" &&
	[ "$(stat -c %a "$T/target-state.json")" = 600 ] &&
	ok "the link's target is unchanged" || not_ok "the link's target changed"

# A link as the persist directory: refused before anything is written,
# by apply, watch and rollback alike; the directory it names unchanged.
copy_fixture overflow
rm -rf "$T/sd-real" "$T/sd-link"
mkdir -p "$T/sd-real"
expect_rc "an apply to roll back later" 0 "$TWTUNE" apply -p "$T/pol" --proc "$T/proc" \
	--state "$T/link-s.json" --sysctl-d "$T/sd-real" --audit-log "$T/log/sdlink.jsonl"
cp "$T/proc/sys/net/ipv4/tcp_max_tw_buckets" "$T/buckets.before"
cp "$T/log/sdlink.jsonl" "$T/sdlink.before"
sd_list() { stat -c '%y' "$T/sd-real" && ls -lA --time-style=full-iso "$T/sd-real"; }
sd_list >"$T/sd-real.before"
cp "$T/sd-real/90-twtune.conf" "$T/persist.before"
ln -s "$T/sd-real" "$T/sd-link"
# something for apply to change again (a new state file: the first one
# says twtune set 20000, and apply would leave the key to whoever did this)
echo 10000 >"$SYS/tcp_max_tw_buckets"
expect_rc "apply with --sysctl-d a link" 1 "$TWTUNE" apply -p "$T/pol" --proc "$T/proc" \
	--state "$T/link-s2.json" --sysctl-d "$T/sd-link" --audit-log "$T/log/sdlink.jsonl"
expect_grep "refuses it" \
	"--sysctl-d $T/sd-link: Not a directory; refusing to change what could not be persisted" "$T/err"
expect_eq "nothing written live" "$(cat "$SYS/tcp_max_tw_buckets")" 10000
expect_rc "watch with --sysctl-d a link" 1 timeout 5 "$TWTUNE" watch -p "$T/pol" \
	--proc "$T/proc" --state "$T/link-s2.json" --sysctl-d "$T/sd-link" \
	--audit-log "$T/log/sdlink.jsonl" --interval 0.2
expect_grep "refuses it" "--sysctl-d $T/sd-link: Not a directory" "$T/err"
expect_eq "nothing written live" "$(cat "$SYS/tcp_max_tw_buckets")" 10000
echo 20000 >"$SYS/tcp_max_tw_buckets" # as the apply left it
expect_rc "rollback with --sysctl-d a link" 1 "$TWTUNE" rollback -p "$T/pol" \
	--proc "$T/proc" --state "$T/link-s.json" --sysctl-d "$T/sd-link" \
	--audit-log "$T/log/sdlink.jsonl"
expect_grep "refuses it" \
	"--sysctl-d $T/sd-link: Not a directory; refusing to change what could not be persisted" "$T/err"
expect_eq "nothing rolled back live" "$(cat "$SYS/tcp_max_tw_buckets")" 20000
sd_list >"$T/sd-real.after"
cmp -s "$T/sd-real.before" "$T/sd-real.after" &&
	cmp -s "$T/persist.before" "$T/sd-real/90-twtune.conf" &&
	ok "the directory the link names is unchanged" ||
	not_ok "the directory the link names changed: $(diff "$T/sd-real.before" "$T/sd-real.after")"
cmp -s "$T/sdlink.before" "$T/log/sdlink.jsonl" && ok "and no audit record" ||
	not_ok "audited: $(tail -n 2 "$T/log/sdlink.jsonl")"

# ---- the state file never shows its content ----------------------------------------
# It may not be twtune's to show (--state at a root-only file): a
# malformed one is named, never quoted, not even the first token that a
# JSON parser's message would quote ("near '...'").
copy_fixture overflow
SECRET=sEcReTtOkEnQzXwVb
mkdir -p "$T/sd-secret"
printf '%s = hunter2\n' "$SECRET" >"$T/secret-state.json"
printf '{"version": "%s", "written": {"%s": 1}}\n' "$SECRET" "$SECRET" >"$T/secret2-state.json"
chmod 0600 "$T/secret-state.json" "$T/secret2-state.json"
: >"$T/all-output"
for st in secret secret2; do
	"$TWTUNE" report -p "$T/pol" --proc "$T/proc" --state "$T/$st-state.json" \
		>>"$T/all-output" 2>&1
	"$TWTUNE" report -p "$T/pol" --proc "$T/proc" --state "$T/$st-state.json" \
		-f json >>"$T/all-output" 2>&1
done
expect_grep "report names the file" "secret-state.json: not a twtune state file (version 2): not JSON" "$T/all-output"
expect_grep "and the one whose version is wrong" "secret2-state.json: not a twtune state file (version 2)" "$T/all-output"
printf '%s = hunter2\n' "$SECRET" >"$T/secret-state.json"
"$TWTUNE" apply -p "$T/pol" --proc "$T/proc" --state "$T/secret-state.json" \
	--sysctl-d "$T/sd-secret" --audit-log "$T/log/secret.jsonl" >>"$T/all-output" 2>&1
printf '%s = hunter2\n' "$SECRET" >"$T/secret-state.json"
copy_fixture overflow
# (a new audit log, as for the FIFO above)
watch_briefly "watch with a malformed state file" wsecret -p "$T/pol" --proc "$T/proc" \
	--state "$T/secret-state.json" --sysctl-d "$T/sd-secret" --audit-log "$T/log/wsecret.jsonl"
expect_grep "watch names the file" "secret-state.json: not a twtune state file" "$T/wsecret.log"
cat "$T/wsecret.log" >>"$T/all-output"
if grep -q "$SECRET" "$T/all-output" "$T/log/secret.jsonl" "$T/log/wsecret.jsonl" \
	"$T/sd-secret"/*; then
	not_ok "the state file's content was shown: $(grep -h "$SECRET" "$T/all-output" | head -3)"
else
	ok "its content is shown nowhere (report, json, apply, watch, audit, persist)"
fi

# ---- rollback --run: the chain is checked up to the chosen record ---------------
# Three runs (P, A, Q), two records each; each changes one key.  The
# chain must hold from the first line to the record of the run chosen:
# a break after it does not stop its rollback, a break before it does.
copy_fixture healthy
cp "$SRCDIR/tests/policies/faults/watch3.conf" "$T/w3.conf"
chmod 0644 "$T/w3.conf"
mkdir -p "$T/sd-chain"
rm -f "$T/chain-s.json" "$T/log/chain.jsonl"
C() {
	"$TWTUNE" "$@" -p "$T/w3.conf" --proc "$T/proc" --state "$T/chain-s.json" \
		--sysctl-d "$T/sd-chain" --audit-log "$T/log/chain.jsonl"
}
echo 30 >"$SYS/tcp_fin_timeout"
echo 5000 >"$SYS/tcp_max_tw_buckets"
echo 1 >"$SYS/tcp_tw_reuse"
expect_rc "run P" 0 C apply
echo 1000 >"$SYS/tcp_max_tw_buckets"
expect_rc "run A" 0 C apply
echo 0 >"$SYS/tcp_tw_reuse"
expect_rc "run Q" 0 C apply
expect_eq "three runs, one key each" \
	"$($JQ -r 'select(.phase == "result") | .changes[0].key' "$T/log/chain.jsonl" | tr '\n' ' ')" \
	"net.ipv4.tcp_fin_timeout net.ipv4.tcp_max_tw_buckets net.ipv4.tcp_tw_reuse "
RUN_A=$(sed -n 4p "$T/log/chain.jsonl" | $JQ -r .run)
cp "$T/log/chain.jsonl" "$T/chain.good"
cp "$T/chain-s.json" "$T/chain-s.good"

# a break after A: Q's intent (line 5) altered, so line 6 does not verify
sed -i '5s/"reason":"reuse /"reason":"REUSE /' "$T/log/chain.jsonl"
expect_rc "the log with a break after A does not verify" 1 "$TWTUNE" audit verify "$T/log/chain.jsonl"
expect_grep "at line 6" "chain.jsonl:6: hash chain broken" "$T/err"
expect_rc "rollback of the last run from it" 1 C rollback
expect_grep "is refused: the whole log must verify" "the log does not verify (line 6: hash chain broken" "$T/err"
expect_eq "tcp_tw_reuse untouched" "$(cat "$SYS/tcp_tw_reuse")" 1
expect_rc "rollback --run A from it" 0 C rollback --run "$RUN_A"
expect_grep "rolls A back" "rollback of run $RUN_A (run [0-9a-f]*): ok" "$T/out"
expect_eq "tcp_max_tw_buckets restored" "$(cat "$SYS/tcp_max_tw_buckets")" 1000
expect_eq "and audited" "$(tail -n 1 "$T/log/chain.jsonl" | $JQ -r '.rollback_of + " " + .result')" \
	"$RUN_A ok"
expect_eq "tcp_tw_reuse untouched" "$(cat "$SYS/tcp_tw_reuse")" 1
expect_eq "tcp_fin_timeout untouched" "$(cat "$SYS/tcp_fin_timeout")" 31

# a break before A: P's intent (line 1) altered, so line 2 does not verify
cp "$T/chain.good" "$T/log/chain.jsonl"
cp "$T/chain-s.good" "$T/chain-s.json"
echo 5000 >"$SYS/tcp_max_tw_buckets"
sed -i '1s/"reason":"fin /"reason":"FIN /' "$T/log/chain.jsonl"
expect_rc "rollback --run A with a break before it" 1 C rollback --run "$RUN_A"
expect_grep "is refused" "run $RUN_A is not found before the log stops verifying (line 2: hash chain broken" "$T/err"
expect_eq "nothing restored" "$(cat "$SYS/tcp_max_tw_buckets")" 5000
expect_eq "nothing audited" "$(wc -l <"$T/log/chain.jsonl" | tr -d ' ')" 6
# a break right after A's result: line 4 itself altered, so line 5 does
# not verify.  Nothing vouches for that record: only A's intent (line 3,
# vouched for by line 4's prev) is used, as a run that may have stopped
# halfway, and what the forged result says is never restored.
cp "$T/chain.good" "$T/log/chain.jsonl"
cp "$T/chain-s.good" "$T/chain-s.json"
echo 5000 >"$SYS/tcp_max_tw_buckets"
sed -i '4s/"before":1000,/"before":1234,/' "$T/log/chain.jsonl"
expect_rc "the altered result breaks the chain" 1 "$TWTUNE" audit verify "$T/log/chain.jsonl"
expect_grep "at the next line" "chain.jsonl:5: hash chain broken" "$T/err"
expect_rc "rollback --run A" 0 C rollback --run "$RUN_A"
expect_eq "the intent's value, not the forged 1234" "$(cat "$SYS/tcp_max_tw_buckets")" 1000

# ---- 2^53 + 1: integers stay exact ---------------------------------------------
copy_fixture overflow
echo 9007199254740993 >"$SYS/tcp_max_tw_buckets"
cat >"$T/lower.conf" <<'P'
rules = ( { id = "lower"; sysctl = "net.ipv4.tcp_max_tw_buckets";
            when = "current > 100000"; value = 65536; direction = "lower"; } );
P
"$TWTUNE" report -p "$T/lower.conf" --proc "$T/proc" --state "$T/s4.json" -f json >"$T/j" 2>/dev/null
expect_eq "read exactly" "$(jget "$T/j" '.sysctls["net.ipv4.tcp_max_tw_buckets"].raw')" 9007199254740993
# (jq reads numbers as doubles: look at the text)
expect_grep "planned from exactly that" '"from": 9007199254740993,' "$T/j"
expect_rc "apply from 2^53 + 1" 0 "$TWTUNE" apply -p "$T/lower.conf" --proc "$T/proc" \
	--state "$T/s4.json" --sysctl-d "$T/sysctl.d" --audit-log "$T/log/big.jsonl"
expect_eq "the compare-before-write held" "$(cat "$SYS/tcp_max_tw_buckets")" 65536
tail -n 1 "$T/log/big.jsonl" >"$T/big.rec"
expect_grep "audited with the exact before" '"before":9007199254740993,' "$T/big.rec"

# ---- a state file with 20,000 keys -----------------------------------------------
copy_fixture healthy
awk 'BEGIN { printf "{\"version\": 2, \"samples\": [], \"written\": {"; for (i = 0; i < 20000; i++) printf "%s\"net.ipv4.k%d\": %d", i ? ", " : "", i, i; print "}}" }' >"$T/many.json"
bounded "report with a 20,000-key state file" 2 65536 "$TWTUNE" report -p "$T/pol" \
	--proc "$T/proc" --state "$T/many.json"
expect_eq "rewritten with the bounded number of keys" "$($JQ '.written | length' "$T/many.json")" 4096
[ "$(stat -c %s "$T/many.json")" -lt 1048576 ] && ok "and smaller than twtune's read limit" ||
	not_ok "state file grew past 1 MiB"

# ---- a 100 MB audit line -----------------------------------------------------------
head -c 100000000 /dev/zero | tr '\0' 'x' >"$T/log/huge.jsonl"
echo >>"$T/log/huge.jsonl"
bounded "audit verify of a 100 MB line" 5 65536 "$TWTUNE" audit verify "$T/log/huge.jsonl"
expect_grep "says so" "huge.jsonl:1: a line longer than any record" "$T/err"
bounded "rollback from a log with a 100 MB line" 5 65536 "$TWTUNE" rollback \
	--proc "$T/proc" --state "$T/s5.json" --sysctl-d "$T/sysctl.d" \
	--audit-log "$T/log/huge.jsonl"
expect_grep "refuses it" "longer than any record" "$T/err"
rm -f "$T/log/huge.jsonl"

# ---- two TcpExt pairs in netstat: which would be true? -------------------------------
copy_fixture healthy
cat "$T/proc/net/netstat" "$T/proc/net/netstat" >"$T/netstat2"
mv "$T/netstat2" "$T/proc/net/netstat"
expect_rc "netstat with two TcpExt pairs" 1 "$TWTUNE" report -p "$T/pol" --proc "$T/proc" \
	--state "$T/s6.json"
expect_grep "says why" 'more than one "TcpExt:" header and value' "$T/err"

finish
