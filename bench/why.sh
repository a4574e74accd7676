#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The cost of the Why section where it has the most to do: in a throwaway
# network namespace, N TIME_WAIT sockets (default 100000), half of them
# incoming on ports that still have their listener (so the listeners are
# dumped and their processes looked up in their cgroup), half outgoing
# (so the destinations are summed and the busiest one's walk filters for
# them).  tests/twtune-hooks makes the same report with the section and
# without it (TWTUNE_TEST_NO_WHY), in RUNS interleaved rounds; the medians
# and their ratio are printed.  Run by bench/run.sh.
#
#   bench/why.sh [N] [RUNS]      (root)
set -eu
N=${1:-100000}
RUNS=${2:-5}
: "${TWTUNE_HOOKS:?}" "${TWLOAD:?}" "${MEASURE:?}" "${SRCDIR:?}"

. "$SRCDIR/bench/lib.sh"
bench_netns "$@"

SYS=/proc/sys/net/ipv4
echo $((N * 2 + 1024)) >$SYS/tcp_max_tw_buckets
echo 0 >$SYS/tcp_tw_reuse
echo "1024 65535" >$SYS/ip_local_port_range
L=$(((N / 2 + 3999) / 4000))
[ "$L" -le 64 ] || L=64
# incoming first: the client ports are then all free
"$TWLOAD" -n $((N / 2)) -l "$L" -p 2000 --incoming --hold 5 >"$T/hold" &
HOLD=$!
trap 'kill $HOLD 2>/dev/null; wait $HOLD 2>/dev/null; rm -rf "$T"' EXIT
wait_holding "$T/hold" 120 "the listeners did not come up"
"$TWLOAD" -n $((N - N / 2)) -l "$L" -p 1000 >/dev/null

P="$SRCDIR/policies"
S="$T/state.json"
"$TWTUNE_HOOKS" report -p "$P" --state "$S" -f json >"$T/report.json" || true
why_rounds "$RUNS" "$P" "$S" "The Why section with $(jq .why.time_wait "$T/report.json" 2>/dev/null) TIME_WAIT, half incoming on $L listening ports, $RUNS paired rounds:"
jq -c '[.causes[] | "\(.kind) \(.local_port // .remote) \(.time_wait) \(.process)"]' "$T/report.json" 2>/dev/null || true
