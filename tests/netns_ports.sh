#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Raising tcp_max_tw_buckets must not trade overflows for port
# exhaustion.  In a throwaway network namespace with 1,000 ephemeral
# ports, 256 buckets, tcp_tw_reuse 0 and timestamps on, a paced load to
# one destination overflows the table yet every connect succeeds: each
# overflow frees its port.  One `twtune apply --sample 3` during such a
# load must plan tcp_tw_reuse = 1 with the bucket raise, so that a later
# burst of 2,000 connections sees no connect failure and no overflow.  A
# second namespace is the control that shows the test can fail: there the
# limit alone is raised by hand, and the same burst runs out of ports
# (EADDRNOTAVAIL).  About 30 s.
. "${SRCDIR:-.}/tests/lib.sh"

SYS=/proc/sys/net/ipv4
DEST_PORT=20000 # every connection goes to 127.0.0.1:20000 (one listener)


# what this process started, ended on any exit
lp='' child=''
on_exit() {
	[ -z "$lp" ] || kill "$lp" 2>/dev/null
	[ -z "$child" ] || { kill "$child" 2>/dev/null; wait "$child"; }
	cleanup
}

setup() {
	echo "40000 40999" >$SYS/ip_local_port_range &&
		echo 256 >$SYS/tcp_max_tw_buckets &&
		echo 0 >$SYS/tcp_tw_reuse &&
		echo 1 >$SYS/tcp_timestamps || exit 99
}

# load DIR NAME RATE SECONDS: a paced load to the one destination; its
# summary in DIR/NAME.out, the TCPTimeWaitOverflow rise in DIR/NAME.ov,
# the TIME_WAIT count after it in DIR/NAME.tw
load() {
	ov0=$(overflows)
	"$TWLOAD" --rate "$3" --seconds "$4" -p $DEST_PORT >"$1/$2.out" 2>"$1/$2.err"
	echo $? >"$1/$2.rc"
	echo $(($(overflows) - ov0)) >"$1/$2.ov"
	tw_count >"$1/$2.tw"
}

# say DIR NAME LABEL: one line of what a load measured
say() {
	echo "# $3: $(twload_field "$1/$2.out" connections) connections, $(twload_field "$1/$2.out" ok) ok, $(twload_field "$1/$2.out" eaddrnotavail) EADDRNOTAVAIL, $(twload_field "$1/$2.out" other_errors) other errors; TCPTimeWaitOverflow +$(cat "$1/$2.ov"); tw $(cat "$1/$2.tw") after it"
}

# The control, in its own namespace: the overflowing load, then only the
# limit raised by hand, then the burst.
if [ "${TWTUNE_PORTS_ROLE:-}" = control ]; then
	in_netns
	trap on_exit EXIT
	trap 'exit 130' INT TERM
	d=$TWTUNE_PORTS_DIR
	setup
	load "$d" before 200 8
	echo 4096 >$SYS/tcp_max_tw_buckets || exit 99
	cat $SYS/tcp_tw_reuse >"$d/reuse"
	load "$d" burst 250 8
	exit 0
fi

in_netns
[ -n "$(overflows)" ] || skip "this kernel has no TCPTimeWaitOverflow counter (Linux 2.6.38 and later have)"
if [ ! -w $SYS/tcp_max_tw_buckets ] || [ ! -w $SYS/tcp_tw_reuse ]; then
	skip "tcp_max_tw_buckets and tcp_tw_reuse are not per network namespace on this kernel (Linux 4.11 and later)"
fi
trap on_exit EXIT
trap 'exit 130' INT TERM
mkdir -p "$T/main" "$T/control" "$T/sysctl.d" || exit 99
TWTUNE_PORTS_ROLE=control TWTUNE_PORTS_DIR="$T/control" unshare -n sh "$0" \
	>"$T/control/child.out" 2>&1 &
child=$!
setup
d=$T/main

# 1. 256 buckets: 1,600 connections in 8 s would hold 1,600 ports in
# TIME_WAIT for 60 s, more than the 1,000 there are; the table overflows
# instead, and an overflowing socket skips TIME_WAIT and frees its port at
# once (tcp_time_wait() in net/ipv4/tcp_minisocks.c), so no connect fails.
load "$d" before 200 8
say "$d" before "before (256 buckets, tcp_tw_reuse 0)"
expect_eq "before apply: twload exit" "$(cat "$d/before.rc")" 0
expect_eq "before apply: every connect succeeds" \
	"$(twload_field "$d/before.out" connections) $(twload_field "$d/before.out" ok) $(twload_field "$d/before.out" eaddrnotavail) $(twload_field "$d/before.out" other_errors)" "1600 1600 0 0"
if [ "$(cat "$d/before.ov")" -gt 0 ]; then
	ok "before apply: the table overflows (+$(cat "$d/before.ov"))"
else
	not_ok "before apply: no overflow, so this test proves nothing"
fi

# 2. one apply while a similar load runs
ov0=$(overflows)
# (a client with a pooled connection to its destination, as most have:
# the peer's timestamps are seen on it, so reuse can be counted on)
"$TWLOAD" --rate 200 --seconds 8 --keep 1 -p $DEST_PORT >"$d/during.out" 2>"$d/during.err" &
lp=$!
sleep 2
"$TWTUNE" apply --sample 3 -p "$POL" --state "$T/state.json" \
	--sysctl-d "$T/sysctl.d" --audit-log "$T/audit.jsonl" -f json \
	>"$T/apply.json" 2>"$T/apply.err"
arc=$?
wait "$lp"
echo $? >"$d/during.rc"
lp=''
echo $(($(overflows) - ov0)) >"$d/during.ov"
tw_count >"$d/during.tw"
say "$d" during "during apply"
expect_eq "apply exit" "$arc" 0
[ "$arc" = 0 ] || sed 's/^/    err: /' "$T/apply.err" | head -20
changes=$(jget "$T/apply.json" '[.changes[]? | "\(.key) \(.before)->\(.after)"] | join(", ")' 2>/dev/null)
echo "# apply changed: ${changes:-nothing} (demand estimate $(jget "$T/apply.json" .observations.tw_demand 2>/dev/null), port_pressure $(jget "$T/apply.json" .observations.port_pressure 2>/dev/null))"
expect_eq "apply raises tcp_max_tw_buckets above 256" \
	"$(jget "$T/apply.json" '[.changes[]? | select(.key == "net.ipv4.tcp_max_tw_buckets" and .after > 256)] | length' 2>/dev/null)" 1
expect_eq "the same apply sets tcp_tw_reuse to 1" \
	"$(jget "$T/apply.json" '[.changes[]? | select(.key == "net.ipv4.tcp_tw_reuse") | .after] | join(",")' 2>/dev/null)" 1
expect_eq "tcp_tw_reuse is 1 after apply" "$(cat $SYS/tcp_tw_reuse)" 1
limit=$(cat $SYS/tcp_max_tw_buckets)

# 3. the burst: 2,000 connections in 8 s; TIME_WAIT older than 1 s is
# reusable with tcp_tw_reuse 1 and timestamps (tcp_twsk_unique() in
# net/ipv4/tcp_ipv4.c: "> 1" second before 6.14, tcp_tw_reuse_delay,
# 1000 ms by default, from 6.14), and 1,000 ports last 4 s at this rate
load "$d" after 250 8
say "$d" after "after apply (limit $limit, tcp_tw_reuse $(cat $SYS/tcp_tw_reuse))"
expect_eq "after apply: twload exit" "$(cat "$d/after.rc")" 0
expect_eq "after apply: 2000 connections, none failed" \
	"$(twload_field "$d/after.out" connections) $(twload_field "$d/after.out" ok) $(twload_field "$d/after.out" eaddrnotavail) $(twload_field "$d/after.out" other_errors)" "2000 2000 0 0"
expect_eq "after apply: TCPTimeWaitOverflow did not rise" "$(cat "$d/after.ov")" 0

# the control: the limit raised alone, the same burst runs out of ports
wait "$child"
crc=$?
child=''
c=$T/control
if [ "$crc" != 0 ] || [ ! -s "$c/burst.out" ]; then
	not_ok "control namespace: ended with $crc"
	sed 's/^/    | /' "$c/child.out" | head -20
else
	say "$c" before "control: before (256 buckets)"
	say "$c" burst "control: burst (4096 buckets set by hand, tcp_tw_reuse $(cat "$c/reuse"))"
	expect_eq "control: before, every connect succeeds" \
		"$(twload_field "$c/before.out" ok) $(twload_field "$c/before.out" eaddrnotavail) $(twload_field "$c/before.out" other_errors)" "1600 0 0"
	expect_eq "control: burst, twload exit" "$(cat "$c/burst.rc")" 0
	e=$(twload_field "$c/burst.out" eaddrnotavail)
	if [ "${e:-0}" -gt 0 ]; then
		ok "control: with only the limit raised the burst gets $e EADDRNOTAVAIL"
	else
		not_ok "control: with only the limit raised the burst got no EADDRNOTAVAIL ('$e'): this test cannot tell reuse from no reuse"
	fi
fi
finish
