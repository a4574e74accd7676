#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# twtune's socket-level benchmark.  In a throwaway network namespace it
# creates N client-side TIME_WAIT sockets on loopback (default 100000),
# then times, median of RUNS runs each:
#   twtune report --format json      (O(1) metrics + the sock_diag dump)
#   twtune report --no-sockets       (O(1) metrics only)
#   ss -tan state time-wait | wc -l
#   netstat -an | awk '{print $6}' | sort | uniq -c   (the seeds' pipeline)
#   nldump                           (the bare netlink dump: the floor)
# and prints each time, the ratio to twtune, and twtune's peak RSS; then
# the cost of the Why section (causes, their owners, the advice): the
# same report from tests/twtune-hooks with and without it
# (TWTUNE_TEST_NO_WHY), in interleaved rounds, medians and their ratio,
# on this load and on one with incoming TIME_WAIT too (bench/why.sh).
#
#   bench/run.sh [N] [RUNS]      (root; run by `make bench`)
set -eu
N=${1:-100000}
RUNS=${2:-5}
: "${TWTUNE:?}" "${TWLOAD:?}" "${NLDUMP:?}" "${MEASURE:?}" "${SRCDIR:?}"
: "${TWTUNE_HOOKS:?}"

. "$SRCDIR/bench/lib.sh"
bench_netns "$@"

start=$(date +%s)
make_time_wait "$N"
made=$(awk '/^TCP:/ { for (i = 2; i < NF; i++) if ($i == "tw") print $(i + 1) }' /proc/net/sockstat)
echo "TIME_WAIT sockets: $made (wanted $N), made in $(( $(date +%s) - start )) s"
echo "kernel: $(uname -r), $(nproc) cores; median of $RUNS runs"
echo

P="$SRCDIR/policies"
S="$T/state.json"
# The commands, measured in rounds: one run of each per round, so that a
# drift of the machine (frequency, other load) hits all of them alike.
NAMES="twtune report --format json
twtune report --no-sockets -f json
nldump (bare sock_diag dump, the floor)
ss -tan state time-wait | wc -l"
HAVE_NETSTAT=0
if command -v netstat >/dev/null; then
	HAVE_NETSTAT=1
	NAMES="$NAMES
netstat -an | awk | sort | uniq -c"
else
	echo "(netstat not installed: apt-get install net-tools for the seeds' pipeline)"
fi
printf '%s\n' "$NAMES" >"$T/names"
run() {
	case $1 in
	1) "$MEASURE" 1 "$TWTUNE" report -p "$P" --state "$S" -f json ;;
	2) "$MEASURE" 1 "$TWTUNE" report -p "$P" --state "$S" -f json --no-sockets ;;
	3) "$MEASURE" 1 "$NLDUMP" ;;
	4) "$MEASURE" 1 sh -c 'ss -tan state time-wait | wc -l' ;;
	5) "$MEASURE" 1 sh -c "netstat -an | awk '{print \$6}' | sort | uniq -c" ;;
	esac
}
"$TWTUNE" report -p "$P" --state "$S" -f json >/dev/null || true # warm the state
n=$((4 + HAVE_NETSTAT))
r=0
while [ $r -lt "$RUNS" ]; do
	i=1
	while [ $i -le $n ]; do
		set -- $(run $i)
		printf '%s\t%s\t%s\n' "$i" "$1" "$3" >>"$T/times"
		i=$((i + 1))
	done
	r=$((r + 1))
done
printf '%-44s %12s %12s %12s\n' "" "median" "min" "peak RSS"
i=0
while IFS= read -r name; do
	i=$((i + 1))
	set -- $(awk -F'\t' -v i=$i '$1 == i { print $2 }' "$T/times" | sort -n |
		awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)], v[1] }')
	rss=$(awk -F'\t' -v i=$i '$1 == i && $3 > m { m = $3 } END { print m }' "$T/times")
	printf '%-44s %9s ms %9s ms %8s KiB\n' "$name" "$1" "$2" "$rss"
	printf '%s\t%s\t%s\n' "$name" "$1" "$rss" >>"$T/rows"
done <"$T/names"
# The O(1) report on its own, back to back (not between socket dumps,
# which leave the caches cold), against the cost of starting any process.
echo
echo "O(1) report, 41 runs back to back (median, min, peak RSS):"
set -- $("$MEASURE" 41 /bin/true)
printf '  %-42s %9s ms %9s ms\n' "/bin/true (process start)" "$1" "$2"
set -- $("$MEASURE" 41 "$TWTUNE" report -p "$P" --state "$S" -f json --no-sockets)
printf '  %-42s %9s ms %9s ms %8s KiB\n' "twtune report --no-sockets -f json" "$1" "$2" "$3"
set -- $("$MEASURE" 41 "$TWTUNE" report -p "$P" --state "$S" -q --no-sockets)
printf '  %-42s %9s ms %9s ms %8s KiB\n' "twtune report --no-sockets -q" "$1" "$2" "$3"
left=$(awk '/^TCP:/ { for (i = 2; i < NF; i++) if ($i == "tw") print $(i + 1) }' /proc/net/sockstat)
echo
echo "TIME_WAIT still present after measuring: $left (must equal $made)"
# With an established connection too, the report's second, filtered dump
# (the busiest destination's peers, the causes' owners) walks the table
# again: the same pair, paired rounds, while one connection stays open.
"$TWLOAD" -n 1 -l 1 -p 80 --hold 1 >"$T/hold1" &
HOLD1=$!
wait_holding "$T/hold1" 10 "the held connection did not open"
rm -f "$T/est-tw" "$T/est-nl"
r=0
while [ $r -lt "$RUNS" ]; do
	set -- $("$MEASURE" 1 "$TWTUNE" report -p "$P" --state "$S" -f json)
	echo "$1" >>"$T/est-tw"
	set -- $("$MEASURE" 1 "$NLDUMP")
	echo "$1" >>"$T/est-nl"
	r=$((r + 1))
done
kill "$HOLD1" 2>/dev/null
wait "$HOLD1" 2>/dev/null
estw=$(median_file "$T/est-tw")
esnl=$(median_file "$T/est-nl")
echo
echo "With one established connection open too (a second, filtered walk), $RUNS paired rounds:"
printf '  %-42s %9s ms
' "twtune report --format json" "$estw" "nldump" "$esnl"
awk -v a="$estw" -v b="$esnl" 'BEGIN { printf "  ratio %.2fx the floor\n", a / b }'
# The Why section: the same binary with it and without it, paired rounds.
echo
why_rounds "$RUNS" "$P" "$S" "The Why section (causes, owners, advice) on this load, tests/twtune-hooks, $RUNS paired rounds:"
echo
BENCH_IN_NETNS= sh "$SRCDIR/bench/why.sh" "$N" "$RUNS"
tw=$(awk -F'\t' 'NR == 1 { print $2 }' "$T/rows")
echo
echo "ratios to twtune report --format json ($tw ms):"
awk -F'\t' -v tw="$tw" 'NR > 1 { printf "  %-44s %6.2fx twtune (twtune is %.2fx it)\n", $1, $2 / tw, tw / $2 }' "$T/rows"
"$TWTUNE" report -p "$P" --state "$S" -f json | jq -c '{sockets: .sockets, state_time_wait: .observations.state_time_wait}' 2>/dev/null || true
