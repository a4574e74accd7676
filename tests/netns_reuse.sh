#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The outgoing-port rules on the real kernel, in a throwaway network
# namespace with a small ephemeral range (1000 ports): outgoing TIME_WAIT
# crowding one destination makes tw-reuse-outgoing set tcp_tw_reuse to 1;
# with timestamps off it only advises; with reuse on and the range still
# crowded, port-range-widen advises.
. "${SRCDIR:-.}/tests/lib.sh"

in_netns
SYS=/proc/sys/net/ipv4
echo "40000 40999" >$SYS/ip_local_port_range
echo 0 >$SYS/tcp_tw_reuse
echo 1 >$SYS/tcp_timestamps
mkdir -p "$T/sysctl.d"
TW() {
	"$TWTUNE" "$@" -p "$POL" --state "$T/state.json" \
		--sysctl-d "$T/sysctl.d" --audit-log "$T/audit.jsonl"
}

# timestamps off first: reuse cannot help, so only advice
echo 0 >$SYS/tcp_timestamps
expect_rc "700 outgoing TIME_WAIT to one destination" 0 "$TWLOAD" -n 700 -p 20000
expect_rc "report, timestamps off" 0 TW report -f json
cp "$T/out" "$T/j"
expect_eq "port_pressure" "$(jget "$T/j" '.observations.port_pressure')" 0.7
expect_eq "no change planned" "$(jget "$T/j" '.plan | length')" 0
expect_eq "advice instead" "$(jget "$T/j" '[.advice[].rule] | index("tw-reuse-needs-timestamps") != null')" true

# timestamps on here, but no connection to the destination open now:
# whether the peer sends them is not seen, so only advice
echo 1 >$SYS/tcp_timestamps
expect_rc "report, timestamps on, the peer's unseen" 0 TW report -f json
expect_eq "no change planned" "$(jget "$T/out" '.plan | length')" 0
expect_eq "the peer's timestamps unknown" "$(jget "$T/out" '.observations.peer_timestamps')" null
expect_eq "advice that says why" \
	"$(jget "$T/out" '[.advice[] | select(.rule == "tw-reuse-needs-timestamps") | .text | test("not seen from the peers")] | any')" true

# a pooled connection to it open: the peer's timestamps are seen, and
# reuse is planned and applied
"$TWLOAD" -n 0 -p 20000 --hold 1 >"$T/hold.out" 2>&1 &
HOLDER=$!
trap 'kill $HOLDER 2>/dev/null; cleanup' EXIT
wait_for 5 grep -q "holding 1 connections" "$T/hold.out" || not_ok "the pooled connection did not open"
expect_rc "report, the peer seen" 2 TW report -f json
expect_eq "the peer sends timestamps" "$(jget "$T/out" '.observations.peer_timestamps')" 1
expect_eq "tw-reuse-outgoing plans 0 -> 1" \
	"$(jget "$T/out" '.plan[] | select(.rule == "tw-reuse-outgoing") | "\(.key) \(.from)->\(.to)"')" \
	"net.ipv4.tcp_tw_reuse 0->1"
expect_rc "apply" 0 TW apply -f json
expect_eq "tcp_tw_reuse is 1" "$(cat $SYS/tcp_tw_reuse)" 1
kill $HOLDER
wait $HOLDER 2>/dev/null
trap cleanup EXIT
expect_rc "second apply changes nothing" 0 TW apply -f json
expect_eq "nothing planned" "$(jget "$T/out" '.plan | length')" 0

# reuse on and the range still crowded: widen it (advice only)
expect_rc "150 more to the same destination" 0 "$TWLOAD" -n 150 -p 20000
expect_rc "report with reuse on" 0 TW report -f json
expect_eq "port-range-widen advises" "$(jget "$T/out" '[.advice[].rule] | index("port-range-widen") != null')" true
expect_eq "tw-reuse-delay advises (the kernel has it, 1000 ms)" "$(jget "$T/out" '[.advice[].rule] | index("tw-reuse-delay") != null')" true
echo 50 >$SYS/tcp_tw_reuse_delay
expect_rc "report with a short reuse delay" 0 TW report -f json
expect_eq "tw-reuse-delay silent at 50 ms" "$(jget "$T/out" '[.advice[].rule] | index("tw-reuse-delay")')" null
expect_eq "ip_local_port_range left alone" "$(cat $SYS/ip_local_port_range | tr '\t' ' ')" "40000 40999"
finish
