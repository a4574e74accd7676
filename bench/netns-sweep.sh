#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The floor for sweeping every network namespace.  In a throwaway network
# and mount namespace it creates NS quiet namespaces with `ip netns add`
# (default 200; one `ip -batch`, no process left running in them), and,
# with PROCS=N, N sleeping processes spread over them (default 0: quiet
# namespaces; PROCS=2000, ten a namespace, makes discovery's /proc scan
# count), then runs bench/nsfloor RUNS times (default 11) over
# every namespace it discovers, and prints the median wall and CPU time
# of: discovery, the sweep (setns into each namespace and read the files
# of one O(1) report), and the sweep per namespace.  (CPU time is what a
# loaded machine does not inflate.)  Everything is deleted on exit; /run/netns
# is a tmpfs of the private mount namespace, so a kill leaves no files.
#
#   NSFLOOR=bench/nsfloor [TWTUNE=src/twtune MEASURE=bench/measure] \
#       bench/netns-sweep.sh [NS] [RUNS]   (root; part of make bench)
# With TWTUNE, `twtune report --all-netns --no-sockets` is timed over the
# same namespaces (bench/measure: median wall and CPU time, the opener
# included), and its ratio to the floor printed: the goal is at most 1.5x
# the sweep, which is the floor (twtune's own discovery counts against
# it); the ratio to discovery plus sweep is printed beside it.
set -eu
NS=${1:-200}
RUNS=${2:-11}
PROCS=${PROCS:-0}
: "${NSFLOOR:?NSFLOOR must point at bench/nsfloor (make bench/nsfloor)}"
case $NSFLOOR in /*) ;; *) NSFLOOR=$(pwd)/$NSFLOOR ;; esac

if [ "$(id -u)" != 0 ]; then
	echo "bench: needs root (network namespaces, setns)" >&2
	exit 77
fi
if [ "${SWEEP_PRIVATE:-}" != 1 ]; then
	SWEEP_PRIVATE=1 exec unshare -n -m --propagation private sh "$0" "$@"
fi
ip link set lo up
mkdir -p /run/netns
mount -t tmpfs -o mode=0755 twtune-bench /run/netns

T=$(mktemp -d)
: >"$T/pids"
P=nsfloor$$
cleanup() {
	if [ -s "$T/pids" ]; then
		# shellcheck disable=SC2046
		kill $(cat "$T/pids") 2>/dev/null || true
	fi
	wait
	i=1
	while [ "$i" -le "$NS" ]; do
		echo "netns delete $P-$i"
		i=$((i + 1))
	done | ip -force -batch - 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

i=1
while [ "$i" -le "$NS" ]; do
	echo "netns add $P-$i"
	i=$((i + 1))
done | ip -batch -

# PROCS sleepers, PROCS/NS in each namespace, each pid noted for the
# cleanup; their parent shell stays, reaps them and is reaped here, so
# that no zombie is left to the system's init
if [ "$PROCS" -gt 0 ]; then
	per=$(((PROCS + NS - 1) / NS))
	i=1
	left=$PROCS
	while [ "$i" -le "$NS" ] && [ "$left" -gt 0 ]; do
		k=$per
		[ "$k" -le "$left" ] || k=$left
		# shellcheck disable=SC2016 # expanded by the inner sh
		ip netns exec "$P-$i" sh -c '
			j=0
			while [ $j -lt "$1" ]; do
				sleep 600 </dev/null >/dev/null 2>&1 &
				echo $! >>"$2"
				j=$((j + 1))
			done
			wait' sh "$k" "$T/pids" &
		left=$((left - k))
		i=$((i + 1))
	done
	n=0
	while [ "$(wc -l <"$T/pids" 2>/dev/null || echo 0)" -lt "$PROCS" ]; do
		n=$((n + 1))
		[ "$n" -lt 600 ] || { echo "bench: the sleepers did not start" >&2; exit 1; }
		sleep 0.1
	done
fi

echo "kernel: $(uname -r), $(nproc) cores; $NS namespaces made, $(wc -l <"$T/pids" 2>/dev/null || echo 0) processes in them, $(find /proc -maxdepth 1 -name '[1-9]*' | wc -l) processes in all; median of $RUNS runs"
"$NSFLOOR" >/dev/null 2>&1 || true # warm the caches once
r=0
while [ $r -lt "$RUNS" ]; do
	"$NSFLOOR" >>"$T/runs" 2>"$T/err" || { cat "$T/err" >&2; exit 1; }
	r=$((r + 1))
done
# twtune itself over the same namespaces: report --all-netns --no-sockets,
# the policies, the state file (kept between runs, as a timer's would be)
# and the JSON of every namespace included
if [ -n "${TWTUNE:-}" ]; then
	: "${MEASURE:?MEASURE must point at bench/measure with TWTUNE}"
	"$TWTUNE" report --all-netns --no-sockets --no-auto-sample \
		-p "$SRCDIR/policies" --state "$T/state.json" -f json >"$T/out.json" 2>/dev/null || true
	"$MEASURE" "$RUNS" "$TWTUNE" report --all-netns --no-sockets \
		--no-auto-sample -p "$SRCDIR/policies" --state "$T/state.json" \
		>"$T/twtune" || exit 1
fi
# median KEY: the median of KEY=VALUE over the runs
median() {
	sed -n "s/.* $1=\([0-9.]*\).*/\1/p" "$T/runs" | sort -n |
		awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
sed -n '1s/^\(namespaces=[0-9]* files=[0-9]* bytes=[0-9]*\).*/first run: \1/p' "$T/runs"
echo "                      wall          CPU"
printf 'discovery        %10.1f us %10.1f us\n' "$(median discover_us)" "$(median discover_cpu_us)"
printf 'sweep (floor)    %10.1f us %10.1f us\n' "$(median total_us)" "$(median cpu_us)"
printf 'per namespace    %10.2f us %10.2f us\n' "$(median per_ns_us)" "$(median per_ns_cpu_us)"
if [ -s "$T/twtune" ]; then
	seen=$(jq .count "$T/out.json" 2>/dev/null || echo "?")
	read -r wall_ms min_ms rss cpu_ms <"$T/twtune"
	wall=$(awk -v m="$wall_ms" 'BEGIN { print m * 1000 }')
	cpu=$(awk -v m="$cpu_ms" 'BEGIN { print m * 1000 }')
	floor=$(awk -v d="$(median discover_us)" -v t="$(median total_us)" 'BEGIN { print d + t }')
	floorcpu=$(awk -v d="$(median discover_cpu_us)" -v t="$(median cpu_us)" 'BEGIN { print d + t }')
	echo
	echo "twtune report --all-netns --no-sockets ($seen namespaces, peak RSS $rss KiB)"
	printf 'twtune           %10.1f us %10.1f us\n' "$wall" "$cpu"
	printf 'per namespace    %10.2f us %10.2f us\n' \
		"$(awk -v w="$wall" -v n="$seen" 'BEGIN { print w / n }')" \
		"$(awk -v c="$cpu" -v n="$seen" 'BEGIN { print c / n }')"
	printf 'twtune / floor (the sweep): %.2fx wall, %.2fx CPU (goal: at most 1.5x)\n' \
		"$(awk -v a="$wall" -v b="$(median total_us)" 'BEGIN { print a / b }')" \
		"$(awk -v a="$cpu" -v b="$(median cpu_us)" 'BEGIN { print a / b }')"
	printf 'twtune / (discovery + sweep): %.2fx wall, %.2fx CPU\n' \
		"$(awk -v a="$wall" -v b="$floor" 'BEGIN { print a / b }')" \
		"$(awk -v a="$cpu" -v b="$floorcpu" 'BEGIN { print a / b }')"
fi
