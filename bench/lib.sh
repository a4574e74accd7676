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
