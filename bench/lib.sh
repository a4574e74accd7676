# SPDX-License-Identifier: GPL-2.0-or-later
# Shared by the benchmark scripts.  Sourced, not run.

# bench_netns "$@": re-run the calling script in a fresh network
# namespace (root only), with a temporary directory $T and loopback up.
bench_netns() {
	if [ "$(id -u)" != 0 ]; then
		echo "bench: needs root (network namespaces)" >&2
		exit 77
	fi
	if [ "${BENCH_IN_NETNS:-}" != 1 ]; then
		BENCH_IN_NETNS=1 exec unshare -n sh "$0" "$@"
	fi
	T=$(mktemp -d)
	trap 'rm -rf "$T"' EXIT
	ip link set lo up
}

# make_time_wait N: N client-side TIME_WAIT sockets on loopback, all kept
# (room in the table, no reuse, a wide port range); one listener per
# ~4000 connections, so that connect() finds a free port fast while each
# destination has few ports in use.
make_time_wait() {
	SYS=/proc/sys/net/ipv4
	echo $(($1 * 2 + 1024)) >$SYS/tcp_max_tw_buckets
	echo 0 >$SYS/tcp_tw_reuse
	echo "1024 65535" >$SYS/ip_local_port_range
	L=$(( ($1 + 3999) / 4000 )); [ "$L" -le 64 ] || L=64
	"$TWLOAD" -n "$1" -l "$L" -p 1000 >/dev/null
}

# wait_holding FILE SECONDS WHY: until twload --hold says in FILE that it
# holds its connections, or exit saying WHY
wait_holding() {
	i=0
	until grep -q holding "$1" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt $(($2 * 10)) ] || { echo "bench: $3" >&2; exit 1; }
		sleep 0.1
	done
}

# why_rounds RUNS POLICIES STATE TITLE: the same report from
# tests/twtune-hooks without the Why section (TWTUNE_TEST_NO_WHY) and
# with it, interleaved RUNS times; prints TITLE, both medians and the
# ratio.
why_rounds() {
	rm -f "$T/nowhy" "$T/why"
	r=0
	while [ $r -lt "$1" ]; do
		set -- "$1" "$2" "$3" "$4" $(TWTUNE_TEST_NO_WHY=1 "$MEASURE" 1 "$TWTUNE_HOOKS" report -p "$2" --state "$3" -f json)
		echo "$5" >>"$T/nowhy"
		set -- "$1" "$2" "$3" "$4" $("$MEASURE" 1 "$TWTUNE_HOOKS" report -p "$2" --state "$3" -f json)
		echo "$5" >>"$T/why"
		r=$((r + 1))
	done
	nowhy=$(median_file "$T/nowhy")
	why=$(median_file "$T/why")
	echo "$4"
	printf '  %-42s %9s ms\n' "report -f json without it" "$nowhy"
	printf '  %-42s %9s ms\n' "report -f json with it" "$why"
	awk -v a="$why" -v b="$nowhy" 'BEGIN { printf "  ratio %.3f (%+.1f%%)\n", a / b, (a / b - 1) * 100 }'
}
median_file() { sort -n "$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
