#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The Ansible module on a fleet: three network namespaces are three
# inventory hosts (ansible_connection=local, and each host's netns
# variable passed to the module's netns argument, so that one twtune per
# host enters its own namespace; an `ip netns exec` connection would need
# a connection plugin of our own).  Each namespace overflows for real (64
# buckets, 500 closed connections on its loopback); one ansible-playbook
# run reports changed on all three and raises each limit, a second run
# reports ok (not changed) on all three.  The host's own sysctls and
# /etc/sysctl.d are never touched.
. "${SRCDIR:-.}/tests/lib.sh"

[ "$(id -u)" = 0 ] || skip "needs root to create network namespaces"
command -v ansible-playbook >/dev/null || skip "ansible-playbook not installed (apt-get install ansible-core)"
command -v ip >/dev/null || skip "ip (iproute2) not found"
command -v nsenter >/dev/null || skip "nsenter (util-linux) not found"
unshare -n true 2>/dev/null || skip "cannot create a network namespace here"

HOST_MAX=$(cat /proc/sys/net/ipv4/tcp_max_tw_buckets)
HOST_SYSCTLD=$(ls -la /etc/sysctl.d 2>/dev/null | md5sum)
HOSTS="web1 web2 web3"
NSS=
trap 'for ns in $NSS; do ip netns delete "$ns" 2>/dev/null; done; cleanup' EXIT
trap 'exit 1' INT TERM HUP

# the namespaces, each overflowing before the module first sees it (no
# state file yet: its first run takes the short automatic sample and
# decides, the first sight of an overflowing host)
{
	echo "[fleet]"
	for h in $HOSTS; do echo "$h netns=twtune-fleet-$$-$h"; done
	echo "[fleet:vars]"
	echo "ansible_connection=local"
	echo "ansible_python_interpreter={{ ansible_playbook_python }}"
} >"$T/inventory"
in_ns() { ns=$1; shift; nsenter --net="/run/netns/$ns" "$@"; }
for h in $HOSTS; do
	ns=twtune-fleet-$$-$h
	ip netns add "$ns" || skip "ip netns add failed"
	NSS="$NSS $ns"
	mkdir -p "$T/$h/sysctl.d"
	in_ns "$ns" ip link set lo up || exit 99
	in_ns "$ns" sh -c 'echo 64 >/proc/sys/net/ipv4/tcp_max_tw_buckets' || exit 99
	expect_rc "$h: 500 closed connections, 64 buckets" 0 in_ns "$ns" "$TWLOAD" -n 500
	expect_eq "$h: its table is full" \
		"$(in_ns "$ns" awk '/^TCP:/ { for (i = 2; i < NF; i++) if ($i == "tw") print $(i + 1) }' /proc/net/sockstat)" 64
done

mkdir -p "$T/home"
export HOME="$T/home" ANSIBLE_LOCAL_TEMP="$T/home/tmp" \
	ANSIBLE_REMOTE_TEMP="$T/home/tmp" \
	ANSIBLE_LIBRARY="$SRCDIR/contrib/ansible/library" \
	ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 \
	ANSIBLE_FORKS=3 ANSIBLE_INVENTORY_UNPARSED_WARNING=0
play() {
	ansible-playbook -i "$T/inventory" "$SRCDIR/tests/ansible/fleet.yml" \
		-e "tmp=$T" -e "policy_dir=$POL" -e "twtune=$TWTUNE" \
		>"$T/play.out" 2>"$T/play.err"
}
recap() { grep "^$1 *:" "$T/play.out"; }

play
expect_eq "first run: ansible-playbook exits 0" "$?" 0
for h in $HOSTS; do
	ns=twtune-fleet-$$-$h
	expect_eq "$h: changed" "$(jget "$T/$h/result.json" .changed)" true
	expect_grep "$h: recap says changed" "^$h *: ok=2 *changed=1 *unreachable=0 *failed=0" "$T/play.out"
	new=$(in_ns "$ns" cat /proc/sys/net/ipv4/tcp_max_tw_buckets)
	[ "$new" -gt 64 ] && ok "$h: its namespace's limit raised to $new" ||
		not_ok "$h: its namespace's limit is still $new"
	expect_eq "$h: persisted in its own sysctl.d" \
		"$(grep -v '^#' "$T/$h/sysctl.d/90-twtune.conf" 2>&1)" "net.ipv4.tcp_max_tw_buckets = $new"
	expect_rc "$h: its audit log verifies" 0 "$TWTUNE" audit verify "$T/$h/audit.jsonl"
done

play
expect_eq "second run: ansible-playbook exits 0" "$?" 0
for h in $HOSTS; do
	expect_eq "$h: second run not changed" "$(jget "$T/$h/result.json" .changed)" false
	expect_grep "$h: recap says ok, nothing changed" "^$h *: ok=2 *changed=0 *unreachable=0 *failed=0" "$T/play.out"
	expect_eq "$h: second run wrote no audit record" "$(wc -l <"$T/$h/audit.jsonl")" 2
done
[ "$FAILED" = 0 ] || { echo "# play output:"; sed 's/^/    | /' "$T/play.out" "$T/play.err" | tail -40; }

expect_eq "host limit untouched" "$(cat /proc/sys/net/ipv4/tcp_max_tw_buckets)" "$HOST_MAX"
expect_eq "host sysctl.d untouched" "$(ls -la /etc/sysctl.d 2>/dev/null | md5sum)" "$HOST_SYSCTLD"
for ns in $NSS; do ip netns delete "$ns"; done
NSS=
expect_eq "namespaces deleted" "$(ip netns list | grep -c "^twtune-fleet-$$-")" 0
finish
