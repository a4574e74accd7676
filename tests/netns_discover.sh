#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Network namespace discovery against the real kernel, in a throwaway
# network and mount namespace: a dozen `ip netns add` namespaces (three
# with a process inside) and three unnamed ones that only a process holds
# (`unshare -n sleep`) are each listed exactly once by tests/netns_list,
# with their name, or the pid and comm of the process in them; the
# caller's own namespace comes first; no namespace is listed twice.
# Everything made here is deleted on exit; /run/netns is a tmpfs of the
# test's private mount namespace, so even a killed test leaves nothing.
. "${SRCDIR:-.}/tests/lib.sh"
in_netns -m
: "${NETNS_LIST:?NETNS_LIST must point at tests/netns_list}"

P=twtest$$
pid= # set by eval from held_N and anon_N below
mkdir -p /run/netns || skip "cannot make /run/netns"
mount -t tmpfs -o mode=0755 twtune-test /run/netns ||
	skip "cannot mount a private tmpfs on /run/netns"
NAMED=12
HELD=3
UNNAMED=3
PIDS=
cleanup_all() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	umount "/run/netns/$P-uts" 2>/dev/null
	rm -f "/run/netns/$P-uts" "/run/netns/$P-leftover" "/run/netns/$P-link"
	i=1
	while [ "$i" -le "$NAMED" ]; do
		ip netns del "$P-$i" 2>/dev/null
		i=$((i + 1))
	done
	rm -rf "$T"
}
trap cleanup_all EXIT
trap 'exit 1' INT TERM

# wait_exec PID: until PID runs sleep (it has left unshare or ip behind)
wait_exec() {
	n=0
	while [ "$(cat "/proc/$1/comm" 2>/dev/null)" != sleep ]; do
		n=$((n + 1))
		[ "$n" -lt 100 ] || { echo "not ok - pid $1 never ran sleep"; exit 1; }
		sleep 0.05
	done
}

ino_of() { readlink "$1" | sed 's/^net:\[\([0-9]*\)\]$/\1/'; }

i=1
while [ "$i" -le "$NAMED" ]; do
	ip netns add "$P-$i" || { echo "not ok - ip netns add $P-$i"; exit 1; }
	i=$((i + 1))
done
i=1
while [ "$i" -le "$HELD" ]; do
	ip netns exec "$P-$i" sleep 60 &
	eval "held_$i=$!"
	PIDS="$PIDS $!"
	i=$((i + 1))
done
i=1
while [ "$i" -le "$UNNAMED" ]; do
	unshare -n sleep 60 &
	eval "anon_$i=$!"
	PIDS="$PIDS $!"
	i=$((i + 1))
done
for p in $PIDS; do wait_exec "$p"; done
# what `ip netns delete` leaves when its umount failed, a namespace of
# another kind, and the widespread trick of naming a container's namespace
touch "/run/netns/$P-leftover" "/run/netns/$P-uts"
mount --bind /proc/self/ns/uts "/run/netns/$P-uts" || { echo "not ok - bind mount of a uts namespace"; exit 1; }
# shellcheck disable=SC2154 # anon_1 is set by the eval above
ln -s "/proc/$anon_1/ns/net" "/run/netns/$P-link"

"$NETNS_LIST" -t >"$T/list" 2>"$T/err"
rc=$?
expect_eq "netns_list exit status" "$rc" 0
# (a warning about processes this test did not start is no failure here)
sed 's/^/    stderr: /' "$T/err"

# line INO: the lines listing INO
line() { awk -v ino="$1" '$1 == ino' "$T/list"; }

self=$(ino_of /proc/self/ns/net)
expect_eq "own namespace is listed first" "$(head -1 "$T/list" | awk '{print $1, $NF}')" "$self self"

i=1
while [ "$i" -le "$NAMED" ]; do
	ino=$(stat -L -c %i "/run/netns/$P-$i")
	expect_eq "$P-$i listed once" "$(line "$ino" | wc -l)" 1
	if [ "$i" -le "$HELD" ]; then
		eval "pid=\$held_$i"
		expect_eq "$P-$i: name, holder and comm" "$(line "$ino" | cut -d' ' -f2-4)" "$P-$i $pid sleep"
	else
		expect_eq "$P-$i: name, no process" "$(line "$ino" | cut -d' ' -f2-4)" "$P-$i 0 -"
	fi
	i=$((i + 1))
done

i=1
while [ "$i" -le "$UNNAMED" ]; do
	eval "pid=\$anon_$i"
	ino=$(ino_of "/proc/$pid/ns/net")
	expect_eq "unnamed namespace of pid $pid listed once" "$(line "$ino" | wc -l)" 1
	name=-
	[ "$i" = 1 ] && name=$P-link
	expect_eq "namespace of pid $pid: name, holder and comm" "$(line "$ino" | cut -d' ' -f2-4)" "$name $pid sleep"
	i=$((i + 1))
done

expect_eq "leftover file not listed" "$(grep -c -- "$P-leftover" "$T/list")" 0
uts=$(stat -L -c %i "/run/netns/$P-uts")
expect_eq "uts namespace not listed" "$(line "$uts" | wc -l)" 0
expect_eq "uts namespace not listed by name" "$(grep -c -- "$P-uts" "$T/list")" 0

expect_eq "no namespace listed twice" "$(cut -d' ' -f1 "$T/list" | sort | uniq -d | wc -l)" 0
finish
