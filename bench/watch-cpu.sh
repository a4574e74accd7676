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
. "$SRCDIR/bench/lib.sh"
bench_netns "$@"
make_time_wait "$N"
mkdir -p "$T/sysctl.d"
"$TWTUNE" watch -p "$SRCDIR/policies" --state "$T/state.json" \
	--sysctl-d "$T/sysctl.d" --audit-log "$T/audit.jsonl" \
	--interval 1 --scan-interval 60 &
PID=$!
# utime and stime are fields 14 and 15 of /proc/PID/stat, in clock ticks
cpu() { cut -d' ' -f14,15 /proc/$PID/stat | awk '{ print $1 + $2 }'; }
HZ=$(getconf CLK_TCK)
WARM=5
sleep $WARM            # start-up and the first socket dump
c0=$(cpu)
sleep $((SECS - WARM))
c1=$(cpu)
kill -TERM $PID
wait $PID || true
awk -v c0="$c0" -v c1="$c1" -v hz="$HZ" -v secs="$SECS" -v warm="$WARM" -v n="$N" 'BEGIN {
	printf "watch --interval 1, %d TIME_WAIT, %d s: %.3f s CPU in all = %.3f%% of one core\n",
		n, secs, c1 / hz, 100 * c1 / hz / secs
	printf "  steady state (after the first %d s): %.3f s in %d s = %.3f%% of one core\n",
		warm, (c1 - c0) / hz, secs - warm, 100 * (c1 - c0) / hz / (secs - warm)
}'
