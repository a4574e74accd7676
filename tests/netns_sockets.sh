#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The sock_diag collector against the real kernel, in a throwaway network
# namespace holding known numbers of sockets: outgoing and incoming
# TIME_WAIT, IPv4, IPv6 and IPv4-mapped IPv6, ESTABLISHED and LISTEN.
# Every count in the JSON report must match exactly.
. "${SRCDIR:-.}/tests/lib.sh"

in_netns
ip addr add 127.0.0.2/8 dev lo 2>/dev/null || true
SYS=/proc/sys/net/ipv4
echo "40000 60999" >$SYS/ip_local_port_range   # 21000 ephemeral ports
echo 0 >$SYS/tcp_tw_reuse                       # keep every TIME_WAIT
R() { "$TWTUNE" report -p "$POL" --state "$T/state.json" "$@"; }

# listeners sit below the ephemeral range, so direction is unambiguous
expect_rc "300 outgoing TIME_WAIT to 127.0.0.1" 0 "$TWLOAD" -n 300 -p 20000
expect_rc "200 incoming TIME_WAIT from 127.0.0.2" 0 "$TWLOAD" -n 200 -p 20100 --incoming -b 127.0.0.2
expect_rc "100 outgoing TIME_WAIT over IPv6" 0 "$TWLOAD" -n 100 -p 20200 -a ::1
expect_rc "50 outgoing TIME_WAIT over IPv4-mapped IPv6" 0 "$TWLOAD" -n 50 -p 20300 -a ::ffff:127.0.0.1
"$TWLOAD" -n 0 -l 2 -p 20400 --hold 5 >"$T/hold.out" &
HOLD=$!
trap 'kill $HOLD 2>/dev/null; wait $HOLD 2>/dev/null; cleanup' EXIT
for i in 1 2 3 4 5 6 7 8 9 10; do
	grep -q holding "$T/hold.out" 2>/dev/null && break
	sleep 0.2
done
expect_grep "5 connections held open" "holding 5" "$T/hold.out"

expect_rc "report with sockets" 0 R -f json
cp "$T/out" "$T/j"
o() { jget "$T/j" ".observations.$1"; }
expect_eq "sockets collected" "$(jget "$T/j" .sockets.collected)" true
expect_eq state_time_wait "$(o state_time_wait)" 650
expect_eq "tw_count agrees with sockstat" "$(o tw_count)" 650
expect_eq tw_outgoing "$(o tw_outgoing)" 450
expect_eq tw_incoming "$(o tw_incoming)" 200
expect_eq "state_established (5 pairs)" "$(o state_established)" 10
expect_eq state_listen "$(o state_listen)" 2
expect_eq state_syn_recv "$(o state_syn_recv)" 0
expect_eq "tw_peers (mapped = IPv4)" "$(o tw_peers)" 3
expect_eq "top peer" "$(jget "$T/j" '.top_peers[0] | "\(.address) \(.count)"')" "127.0.0.1 350"
expect_eq "second peer" "$(jget "$T/j" '.top_peers[1] | "\(.address) \(.count)"')" "127.0.0.2 200"
expect_eq "third peer" "$(jget "$T/j" '.top_peers[2] | "\(.address) \(.count)"')" "::1 100"
expect_eq tw_top_peer_share "$(jget "$T/j" '.observations.tw_top_peer_share * 1000 | round')" 538
expect_eq "busiest destination" \
	"$(jget "$T/j" '.sockets.busiest_destination | "\(.local) \(.remote):\(.port) \(.ports_in_use)"')" \
	"127.0.0.1 127.0.0.1:20000 300"
expect_eq port_pressure "$(jget "$T/j" '.observations.port_pressure * 21000 | round')" 300
expect_eq "counting was exact" "$(jget "$T/j" .sockets.exact)" true

# the text report shows the histogram and the top peers
expect_rc "text report" 0 R
expect_grep "histogram line" "^ *650 TIME_WAIT$" "$T/out"
expect_grep "direction line" "450 outgoing (local port 40000..60999), 200 incoming" "$T/out"
expect_grep "top peer line" "127.0.0.1 .* 350 .*53.8%" "$T/out"

# lazy: no dump with --no-sockets, and the metrics say why
expect_rc "--no-sockets" 0 R --no-sockets -f json
expect_eq "not collected" "$(jget "$T/out" .sockets.collected)" false
expect_eq "metric unknown" "$(jget "$T/out" .observations.state_time_wait)" null
if command -v strace >/dev/null; then
	ASAN_OPTIONS=detect_leaks=0 strace -f -e trace=socket -o "$T/strace" "$TWTUNE" report -p "$POL" \
		--state "$T/state.json" --no-sockets -q >/dev/null 2>&1
	expect_eq "--no-sockets opens no netlink socket" "$(grep -c AF_NETLINK "$T/strace")" 0
	ASAN_OPTIONS=detect_leaks=0 strace -f -e trace=socket -o "$T/strace" "$TWTUNE" report -p "$POL" \
		--state "$T/state.json" -q >/dev/null 2>&1
	expect_eq "a report with sockets opens one" "$(grep -c 'AF_NETLINK.*NETLINK_SOCK_DIAG' "$T/strace")" 1
fi
finish
