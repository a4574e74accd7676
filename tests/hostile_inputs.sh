#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Hostile files where twtune reads, against fixture /proc trees: FIFOs at
# the audit log, the state file and a sysctl; a policy whose reason would
# make an audit record larger than any reader takes; forged audit logs
# that a rollback must not trust; sysctl values past 2^53; a state file
# with tens of thousands of keys; a 100 MB audit line; a netstat file with
# two TcpExt pairs.  Each gets a clear answer in bounded time and memory,
# and nothing is written that should not be.
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

rm -f "$SYS/tcp_tw_reuse"
mkfifo "$SYS/tcp_tw_reuse"
bounded "report with a FIFO at a fixture sysctl" 5 65536 "$TWTUNE" report -p "$T/pol" \
	--proc "$T/proc" --state "$T/s2.json"
expect_grep "unknown, not a hang" "net.ipv4.tcp_tw_reuse: read: Invalid argument; treated as unknown" "$T/out"

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
