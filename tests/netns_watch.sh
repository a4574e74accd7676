#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# twtune watch on the real kernel, in a throwaway network namespace: it
# applies when the overflow starts, holds back during the cooldown, keeps
# its rules through a bad SIGHUP reload, only logs with --dry-run, and
# stops cleanly (exit 0) on SIGTERM.
. "${SRCDIR:-.}/tests/lib.sh"

in_netns
SYS=/proc/sys/net/ipv4
echo 64 >$SYS/tcp_max_tw_buckets
mkdir -p "$T/sysctl.d" "$T/pol"
cp "$POL"/*.conf "$T/pol/"
# only ever run in the background: exec, so that $! is twtune itself
W() {
	exec "$TWTUNE" watch -v -p "$T/pol" --state "$T/state.json" \
		--sysctl-d "$T/sysctl.d" --audit-log "$T/audit.jsonl" \
		--interval 0.2 --scan-interval 1 "$@"
}
raised() { [ "$(cat $SYS/tcp_max_tw_buckets)" -gt 64 ]; }

# --- dry run: logs what it would do, changes nothing ---------------------
W --dry-run 2>"$T/dry.log" &
PID=$!
sleep 0.5
"$TWLOAD" -n 300 >/dev/null
wait_for 5 grep -q "dry run: net.ipv4.tcp_max_tw_buckets 64 -> " "$T/dry.log"
expect_grep "dry run logs the change it would make" "dry run: net.ipv4.tcp_max_tw_buckets 64 -> " "$T/dry.log"
expect_eq "dry run changed nothing" "$(cat $SYS/tcp_max_tw_buckets)" 64
if "$TWTUNE" report -p "$POL" --no-sockets --state "$T/probe.json" -f json |
	$JQ -e '.sandbox | startswith("landlock")' >/dev/null; then
	expect_grep "dry run is sandboxed like report" "sandbox: landlock ABI" "$T/dry.log"
fi
kill -TERM $PID
wait $PID
expect_eq "dry run exits 0 on SIGTERM" "$?" 0
[ ! -e "$T/audit.jsonl" ] && ok "dry run wrote no audit record" || not_ok "dry run audited"

# --- the real thing -----------------------------------------------------------
rm -f "$T/state.json"
W 2>"$T/watch.log" &
PID=$!
trap 'kill $PID 2>/dev/null; cleanup' EXIT
sleep 0.5
expect_rc "overflowing load" 0 "$TWLOAD" -n 500
wait_for 10 raised
expect_eq "watch raised the limit" "$(raised && echo yes)" yes
expect_eq "audited: intent and result" "$($JQ -r .phase "$T/audit.jsonl" | tr '\n' ' ')" "intent result "
expect_eq "audit mode" "$(tail -1 "$T/audit.jsonl" | $JQ -r .mode)" watch
expect_grep "persisted" "net.ipv4.tcp_max_tw_buckets" "$T/sysctl.d/90-twtune.conf"
LIMIT=$(cat $SYS/tcp_max_tw_buckets)
expect_grep "each applied change is logged with its reason" \
	"applied: net.ipv4.tcp_max_tw_buckets 64 -> $LIMIT \[tw-buckets-headroom\] .* TIME_WAIT sockets in 64 buckets" "$T/watch.log"

# more overflow at once: the key is cooling down, so no second change
"$TWLOAD" -n $((LIMIT * 2)) >/dev/null
sleep 1
expect_eq "no second change during the cooldown" "$(cat $SYS/tcp_max_tw_buckets)" "$LIMIT"
expect_grep "says why" "less than 60 s ago" "$T/watch.log"

# a bad policy on SIGHUP: every error logged, the old rules stay
echo 'rules = ( { id = "x"; when = "nosuch > 1"; advice = "y"; } );' >"$T/pol/99-bad.conf"
kill -HUP $PID
wait_for 5 grep -q "keeping the" "$T/watch.log"
expect_grep "the error is logged as FILE:LINE" "99-bad.conf:1: rule 'x': when: column 1: unknown metric 'nosuch'" "$T/watch.log"
expect_grep "the old rules stay" "reload: invalid policy, keeping the 11 rules" "$T/watch.log"
kill -0 $PID 2>/dev/null && ok "still running after a bad reload" || not_ok "died on a bad reload"
rm "$T/pol/99-bad.conf"
kill -HUP $PID
wait_for 5 grep -q "reload: 11 rules" "$T/watch.log"
expect_grep "a good reload is taken" "reload: 11 rules from 6 files" "$T/watch.log"

# advice: logged when it starts to fire and when it stops, not every tick
# (tcp_fin_timeout is this namespace's own)
FIN=$(cat $SYS/tcp_fin_timeout)
echo 'rules = ( { id = "site-fin"; advice = "fin_timeout is low"; severity = "warning"; when = "sysctl(\"net.ipv4.tcp_fin_timeout\") < 20"; } );' >"$T/pol/99-fin.conf"
kill -HUP $PID
wait_for 5 grep -q "reload: 12 rules" "$T/watch.log"
echo 10 >$SYS/tcp_fin_timeout
wait_for 5 grep -q "advice \[warning\] site-fin: fin_timeout is low" "$T/watch.log"
sleep 1 # five more ticks
expect_eq "advice logged once while it fires" "$(grep -c "advice \[warning\] site-fin" "$T/watch.log")" 1
echo "$FIN" >$SYS/tcp_fin_timeout
wait_for 5 grep -q "advice site-fin no longer applies" "$T/watch.log"
expect_grep "and once when it stops" "advice site-fin no longer applies" "$T/watch.log"

kill -TERM $PID
wait $PID
expect_eq "SIGTERM: exit 0" "$?" 0
trap cleanup EXIT
expect_grep "says it stops" "stopping" "$T/watch.log"
expect_rc "audit verify" 0 "$TWTUNE" audit verify "$T/audit.jsonl"
finish
