#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# --all-netns on the real kernel, in a throwaway network, mount and PID
# namespace (so that only this test's namespaces are seen): twelve named
# namespaces and three that only a process holds, two of them overflowing.
# report finds each exactly once and flags the two; apply fixes exactly
# those, live, and persists nothing (neither is PID 1's namespace); the
# state file keeps what twtune wrote per namespace (no cross-talk); the
# Prometheus output labels every sample; watch --all-netns picks up a
# namespace made after it started, raises its overflowing limit, and
# lets go of one that is deleted.
. "${SRCDIR:-.}/tests/lib.sh"
in_netns -p

mkdir -p /run/netns && mount -t tmpfs -o mode=0755 twtune-test /run/netns ||
	skip "cannot mount a private tmpfs on /run/netns"
P=t$$
SYS=/proc/sys/net/ipv4/tcp_max_tw_buckets
mkdir -p "$T/root/etc/sysctl.d"
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
	ip netns add "$P-$i" && ip -n "$P-$i" link set lo up || exit 99
done
HOLD=""
for i in 1 2 3; do
	unshare -n sh -c 'ip link set lo up; exec sleep 300' &
	HOLD="$HOLD $!"
done
trap 'kill $HOLD 2>/dev/null; cleanup' EXIT
sleep 0.3
set -- $HOLD
U2=$2
# in the namespace of process $1: the rest of the command line
in_pid() { p=$1; shift; nsenter -t "$p" -n "$@"; }
overflow() { "$@" sh -c "echo 64 >$SYS" && "$@" "$TWLOAD" -n 300 >/dev/null; }
overflow ip netns exec "$P-5" || exit 99
overflow in_pid "$U2" || exit 99
INO5=$(ip netns exec "$P-5" stat -L -c %i /proc/thread-self/ns/net)
INOU2=$(stat -L -c %i "/proc/$U2/ns/net")

A() {
	"$TWTUNE" "$@" --all-netns -p "$POL" --state "$T/state.json" \
		--root "$T/root" --audit-log "$T/audit.jsonl"
}

# --- report -------------------------------------------------------------------
expect_rc "report --all-netns proposes" 2 A report -f json
cp "$T/out" "$T/j"
expect_eq "every namespace, once: 12 named, 3 held, twtune's own" "$(jget "$T/j" .count)" 16
expect_eq "no namespace twice" "$(jget "$T/j" '[.namespaces[].netns_inode] | unique | length')" 16
expect_eq "the named ones by name" \
	"$(jget "$T/j" "[.namespaces[] | select(.netns_name != null) | .netns_name] | map(select(startswith(\"$P-\"))) | length")" 12
expect_eq "the held ones with their process" \
	"$(jget "$T/j" "[.namespaces[] | select(.netns_name == null and .pid != null)] | length")" 4
expect_eq "exactly two need a change" \
	"$(jget "$T/j" '[.namespaces[] | select(.plan | length > 0) | .netns_inode] | sort | join(" ")')" \
	"$(printf '%s\n' "$INO5" "$INOU2" | sort -n | tr '\n' ' ' | sed 's/ $//')"
expect_eq "the worst verdict on top" "$(jget "$T/j" .verdict)" full
expect_eq "the others are fine" \
	"$(jget "$T/j" '[.namespaces[] | select(.verdict == "ok")] | length')" 14
expect_eq "live only, not PID 1's namespace" \
	"$(jget "$T/j" "[.namespaces[] | select(.netns_inode == $INO5) | .warnings[] | select(test(\"not PID 1's\"))] | length")" 1
expect_eq "how to keep a value, for a named namespace" \
	"$(jget "$T/j" "[.namespaces[] | select(.netns_inode == $INO5) | .warnings[] | select(test(\"the unit or script that creates the namespace\"))] | length")" 1
expect_eq "and for one only a process holds" \
	"$(jget "$T/j" "[.namespaces[] | select(.netns_inode == $INOU2) | .warnings[] | select(test(\"where the namespace is made: docker run\"))] | length")" 1
expect_eq "and its plan says so" \
	"$(jget "$T/j" "[.namespaces[] | select(.netns_inode == $INO5) | .plan[].persist] | unique | join(\",\")")" false
expect_rc "text" 2 A report
expect_grep "a table" "^16 network namespaces" "$T/out"
expect_grep "the worst first" "^$P-5 *full\|^sleep\[$U2\] *full" "$T/out"
expect_eq "the two first" "$(sed -n 4,5p "$T/out" | grep -c ' full ')" 2
expect_rc "prometheus" 0 A report -f prometheus
expect_eq "every namespace labelled" \
	"$(grep -c '^twtune_time_wait_sockets{netns="[0-9]*",container="[^"]*",pod="[^"]*"}' "$T/out")" 16
expect_grep "its value" "^twtune_time_wait_buckets_max{netns=\"$INO5\",container=\"\",pod=\"\"} 64$" "$T/out"
# a socket dump only where the namespace has a TCP socket: the two
# overflowing ones (the others' sockstat says none, and a dump would walk
# the whole host's established hash to find nothing).  Each namespace's
# sock_diag socket comes from the opener, so strace shows the request's
# type as a number (SOCK_DIAG_BY_FAMILY is 20).
if command -v strace >/dev/null; then
	ASAN_OPTIONS=detect_leaks=0 strace -f -e trace=sendto,sendmsg -o "$T/dump.strace" \
		"$TWTUNE" report --all-netns -p "$POL" --state "$T/dstate.json" \
		--root "$T/root" -f json >"$T/dump.json" 2>/dev/null
	expect_eq "dumps in the two namespaces with sockets only" \
		"$(grep -E 'nlmsg_type=(SOCK_DIAG_BY_FAMILY|0x14)' "$T/dump.strace" | sed 's/.*send[a-z]*(\([0-9]*\),.*/\1/' | sort -u | wc -l)" 2
	expect_eq "the quiet ones' socket metrics known, all 0" \
		"$(jget "$T/dump.json" "[.namespaces[] | select(.netns_inode != $INO5 and .netns_inode != $INOU2) | .observations.port_demand] | unique | map(tostring) | join(\",\")")" 0
fi
expect_rc "prometheus with the socket dump" 0 A report -f prometheus --sockets
expect_grep "the causes labelled by namespace too" \
	"^twtune_time_wait_cause_sockets{netns=\"$INO5\",container=\"\",pod=\"\",kind=\"outgoing\",remote=\"127\.0\.0\.1:[0-9]*\",process=\"\"} 64$" "$T/out"
expect_eq "one cause family" "$(grep -c '^# TYPE twtune_time_wait_cause_sockets ' "$T/out")" 1
expect_rc "json with the socket dump" 2 A report -f json --sockets
expect_eq "each namespace its own Why: P-5's full table, outgoing" \
	"$(jget "$T/out" ".namespaces[] | select(.netns_inode == $INO5) | [.why.full, .causes[0].kind, .causes[0].time_wait] | join(\" \")")" \
	"true outgoing 64"

# --- apply ---------------------------------------------------------------------
limits() {
	for i in 1 2 3 4 6 7 8 9 10 11 12; do
		printf '%s=%s ' "$i" "$(ip netns exec "$P-$i" cat $SYS)"
	done
	in_pid "$1" cat $SYS
}
BEFORE=$(limits "$3")
expect_rc "apply --all-netns" 0 A apply
expect_eq "the others untouched" "$(limits "$3")" "$BEFORE"
expect_eq "P-5 raised" "$(ip netns exec "$P-5" cat $SYS)" 128
expect_eq "the held one raised" "$(in_pid "$U2" cat $SYS)" 128
expect_eq "nothing persisted for them" "$(ls -A "$T/root/etc/sysctl.d")" ""
expect_eq "two transactions" "$(jget "$T/audit.jsonl" .phase | tr '\n' ' ')" "intent result intent result "
expect_eq "each with its namespace" \
	"$(jq -r '"\(.netns.inode) \(.netns.name)"' "$T/audit.jsonl" | sort -u | tr '\n' ';')" \
	"$(printf '%s %s\n%s null\n' "$INO5" "$P-5" "$INOU2" | sort -u | tr '\n' ';')"
expect_eq "persisted false" "$(jq -r '.changes[].persisted' "$T/audit.jsonl" | sort -u)" false
expect_rc "audit verify" 0 "$TWTUNE" audit verify "$T/audit.jsonl"
expect_rc "a second apply changes nothing" 0 A apply
expect_eq "no new record" "$(wc -l <"$T/audit.jsonl")" 4
expect_eq "state: written per namespace" \
	"$(jget "$T/state.json" "[.written[] | select(.key == \"net.ipv4.tcp_max_tw_buckets\") | .netns] | sort | join(\" \")")" \
	"$(printf '%s\n' "$INO5" "$INOU2" | sort -n | tr '\n' ' ' | sed 's/ $//')"
expect_eq "each with its namespace's cookie (Linux 5.14+)" \
	"$(jget "$T/state.json" '[.written[] | select(.netns_cookie > 0)] | length')" 2

# --- a deleted namespace's inode number, handed to a new one -------------------
# The kernel reuses the inode numbers of deleted namespaces at once; a
# write twtune made in the old one must not make it back off in the new.
ip netns add "$P-r" && ip -n "$P-r" link set lo up || exit 99
INOR=$(stat -L -c %i "/run/netns/$P-r")
overflow ip netns exec "$P-r" || exit 99
# what a namespace that had this inode before left in the state file
old_write() {
	jq --argjson ino "$INOR" "$1"' | .written += [{"netns": $ino, "key": "net.ipv4.tcp_max_tw_buckets", "value": 4096} + $c]' \
		"$T/state.json" >"$T/reused.json"
	"$TWTUNE" report --netns "$P-r" -p "$POL" --state "$T/reused.json" \
		--no-auto-sample -f json >"$T/r.json" 2>/dev/null
}
old_write '{"netns_cookie": 1234567890123456} as $c'
expect_eq "a reused inode: planned, not backed off" \
	"$(jget "$T/r.json" '[.plan[].key] | join(",")')" net.ipv4.tcp_max_tw_buckets
expect_eq "no back-off note" "$(jget "$T/r.json" '[.warnings[] | select(test("someone else"))] | length')" 0
# control: a record without a cookie is taken for this namespace's
old_write '{} as $c'
expect_eq "without a cookie the inode decides: backed off" \
	"$(jget "$T/r.json" '[.warnings[] | select(test("someone else"))] | length')" 1
ip netns delete "$P-r"

# --- no cross-talk: B overflows after A was applied, with the same state file -
overflow ip netns exec "$P-6" || exit 99
expect_rc "report in B" 2 "$TWTUNE" report --netns "$P-6" -p "$POL" \
	--state "$T/state.json" -f json
expect_eq "B planned, not backed off" \
	"$(jget "$T/out" '[.plan[].key] | join(",")')" net.ipv4.tcp_max_tw_buckets
expect_eq "no back-off note" "$(jget "$T/out" '[.warnings[] | select(test("someone else"))] | length')" 0
# one namespace with --netns: live only too, unless --sysctl-d names a target
expect_rc "report --netns B, text" 2 "$TWTUNE" report --netns "$P-6" -p "$POL" \
	--state "$T/state.json" --no-auto-sample
expect_grep "Next: says live only" "^Next: .* makes this change, live only, and audits it" "$T/out"
expect_rc "apply --netns B" 0 "$TWTUNE" apply --netns "$P-6" -p "$POL" \
	--state "$T/state.json" --root "$T/root" --audit-log "$T/audit.jsonl"
expect_eq "B live only" "$(ls -A "$T/root/etc/sysctl.d")" ""
expect_grep "and says why" "not PID 1's" "$T/out"
overflow ip netns exec "$P-7" || exit 99
mkdir -p "$T/p7"
expect_rc "apply --netns with --sysctl-d" 0 "$TWTUNE" apply --netns "$P-7" \
	-p "$POL" --state "$T/state.json" --sysctl-d "$T/p7" --audit-log "$T/audit.jsonl"
expect_grep "the operator's target is honoured" "net.ipv4.tcp_max_tw_buckets = 128" "$T/p7/90-twtune.conf"
expect_grep "and said" "persisting to $T/p7 as --sysctl-d asks" "$T/out"
# rollback refuses a run of another namespace
expect_rc "rollback of P-7's run from here" 1 "$TWTUNE" rollback -p "$POL" \
	--state "$T/state.json" --sysctl-d "$T/p7" --audit-log "$T/audit.jsonl"
expect_grep "names the namespace" "changed network namespace" "$T/err"
expect_rc "rollback from there" 0 "$TWTUNE" rollback --netns "$P-7" -p "$POL" \
	--state "$T/state.json" --sysctl-d "$T/p7" --audit-log "$T/audit.jsonl"
expect_eq "P-7 back" "$(ip netns exec "$P-7" cat $SYS)" 64

# --- a burst in one namespace during the sample: told from a steady rate ----
ip netns add "$P-b" && ip -n "$P-b" link set lo up || exit 99
INOB=$(stat -L -c %i "/run/netns/$P-b")
ip netns exec "$P-b" sh -c "echo 64 >$SYS" || exit 99
ip netns exec "$P-b" "$TWLOAD" -n 80 >/dev/null || exit 99
A report -f json --sample 3 >"$T/burst.json" 2>/dev/null &
RP=$!
sleep 1
ip netns exec "$P-b" "$TWLOAD" -n 300 >/dev/null
wait $RP
expect_eq "the burst's overflows counted in its namespace" \
	"$(jget "$T/burst.json" ".namespaces[] | select(.netns_inode == $INOB) | .observations.tw_overflow_delta")" 300
expect_eq "watched through the sample: a burst, not a rate over 3 s" \
	"$(jget "$T/burst.json" ".namespaces[] | select(.netns_inode == $INOB) | [(.baseline.burst_seconds != null and .baseline.burst_seconds < 1.5), .demand.model] | map(tostring) | join(\" \")")" \
	"true burst"
ip netns delete "$P-b"

# --- watch --all-netns ------------------------------------------------------------
"$TWTUNE" watch --all-netns -v -p "$POL" --state "$T/wstate.json" --root "$T/root" \
	--audit-log "$T/waudit.jsonl" --interval 0.3 --scan-interval 1 \
	2>"$T/watch.log" &
W=$!
trap 'kill $W $HOLD 2>/dev/null; cleanup' EXIT
wait_for 5 grep -q "watching every network namespace" "$T/watch.log"
ip netns add "$P-new" && ip -n "$P-new" link set lo up || exit 99
wait_for 5 grep -q "^twtune watch: $P-new: watching network namespace" "$T/watch.log"
expect_grep "a new namespace is picked up" "$P-new: watching network namespace" "$T/watch.log"
overflow ip netns exec "$P-new" || exit 99
wait_for 10 sh -c "[ \"\$(ip netns exec $P-new cat $SYS)\" -gt 64 ]"
expect_eq "and its overflow fixed, live" "$(ip netns exec "$P-new" cat $SYS)" 128
expect_grep "logged with its name" "$P-new: applied: net.ipv4.tcp_max_tw_buckets 64 -> 128" "$T/watch.log"
expect_grep "the system log's change line too" "$P-new: net.ipv4.tcp_max_tw_buckets: 64 -> 128 (rule" "$T/watch.log"
ip netns delete "$P-3"
wait_for 5 grep -q "$P-3: gone" "$T/watch.log"
expect_grep "a deleted one is let go" "$P-3: gone" "$T/watch.log"
kill -TERM $W
wait $W
expect_eq "watch stops cleanly" "$?" 0
expect_rc "watch's audit log verifies" 0 "$TWTUNE" audit verify "$T/waudit.jsonl"
expect_eq "watch persisted nothing for them" "$(ls -A "$T/root/etc/sysctl.d")" ""

# --- PID 1's namespace (this test's own) is the one --all-netns persists ---
overflow env || exit 99
expect_rc "apply --all-netns with PID 1's namespace overflowing" 0 \
	"$TWTUNE" apply --all-netns -p "$POL" --state "$T/p1state.json" \
	--root "$T/root" --audit-log "$T/p1audit.jsonl"
expect_eq "its limit raised" "$(cat $SYS)" 128
expect_eq "and persisted, alone" \
	"$(grep -v '^#' "$T/root/etc/sysctl.d/90-twtune.conf" | grep -v '^$')" \
	"net.ipv4.tcp_max_tw_buckets = 128"
trap 'kill $HOLD 2>/dev/null; cleanup' EXIT
finish
