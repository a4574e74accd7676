#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# CPU use of `twtune watch --interval 1` with the shipped policies while a
# throwaway network namespace holds N TIME_WAIT sockets (default 100000).
# Runs the daemon for SECONDS (default 45; TIME_WAIT lasts 60 s), then
# prints its user+system CPU time and the share of one core.  The first
# tick makes the socket dump (then at most every --scan-interval, 60 s).
#
#   bench/watch-cpu.sh [N] [SECONDS]      (root; `make bench-watch`)
set -eu
N=${1:-100000}
SECS=${2:-45}
: "${TWTUNE:?}" "${TWLOAD:?}" "${SRCDIR:?}"
[ "$(id -u)" = 0 ] || { echo "bench: needs root" >&2; exit 77; }
if [ "${BENCH_IN_NETNS:-}" != 1 ]; then
	BENCH_IN_NETNS=1 exec unshare -n sh "$0" "$@"
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
ip link set lo up
SYS=/proc/sys/net/ipv4
echo $((N * 2 + 1024)) >$SYS/tcp_max_tw_buckets
echo 0 >$SYS/tcp_tw_reuse
echo "1024 65535" >$SYS/ip_local_port_range
L=$(( (N + 3999) / 4000 )); [ "$L" -le 64 ] || L=64
"$TWLOAD" -n "$N" -l "$L" -p 1000 >/dev/null
mkdir -p "$T/sysctl.d"
"$TWTUNE" watch -p "$SRCDIR/policies" --state "$T/state.json" \
	--sysctl-d "$T/sysctl.d" --audit-log "$T/audit.jsonl" \
	--interval 1 --scan-interval 60 &
PID=$!
sleep "$SECS"
# utime and stime are fields 14 and 15 of /proc/PID/stat, in clock ticks
set -- $(cut -d' ' -f14,15 /proc/$PID/stat)
HZ=$(getconf CLK_TCK)
kill -TERM $PID
wait $PID || true
awk -v u="$1" -v s="$2" -v hz="$HZ" -v secs="$SECS" -v n="$N" 'BEGIN {
	cpu = (u + s) / hz
	printf "watch --interval 1, %d TIME_WAIT, %d s: %.3f s CPU (user %.3f, system %.3f) = %.3f%% of one core\n",
		n, secs, cpu, u / hz, s / hz, 100 * cpu / secs
}'
