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
i=0
until grep -q holding "$T/hold" 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 600 ] || { echo "bench: the listeners did not come up" >&2; exit 1; }
	sleep 0.2
done
"$TWLOAD" -n $((N - N / 2)) -l "$L" -p 1000 >/dev/null

P="$SRCDIR/policies"
S="$T/state.json"
"$TWTUNE_HOOKS" report -p "$P" --state "$S" -f json >"$T/report.json" || true
r=0
while [ $r -lt "$RUNS" ]; do
	set -- $(TWTUNE_TEST_NO_WHY=1 "$MEASURE" 1 "$TWTUNE_HOOKS" report -p "$P" --state "$S" -f json)
	echo "$1" >>"$T/nowhy"
	set -- $("$MEASURE" 1 "$TWTUNE_HOOKS" report -p "$P" --state "$S" -f json)
	echo "$1" >>"$T/why"
	r=$((r + 1))
done
median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
nowhy=$(median "$T/nowhy")
why=$(median "$T/why")
echo "The Why section with $(jq .why.time_wait "$T/report.json" 2>/dev/null) TIME_WAIT, half incoming on $L listening ports, $RUNS paired rounds:"
printf '  %-42s %9s ms\n' "report -f json without it" "$nowhy"
printf '  %-42s %9s ms\n' "report -f json with it" "$why"
awk -v a="$why" -v b="$nowhy" 'BEGIN { printf "  ratio %.3f (%+.1f%%)\n", a / b, (a / b - 1) * 100 }'
jq -c '[.causes[] | "\(.kind) \(.local_port // .remote) \(.time_wait) \(.process)"]' "$T/report.json" 2>/dev/null || true
