#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# make check-system: the Debian package under a real systemd.  A Debian 12
# root file system (debootstrap, cached) gets the built .deb and a
# sysctl.d file that makes net.ipv4.tcp_max_tw_buckets small; it boots in
# a systemd-nspawn container with its own network namespace.  Checked:
# the package enables twtune.service only; the small limit is in force
# at boot; twtune runs with only CAP_NET_ADMIN in its bounding set and
# no_new_privs; a real TIME_WAIT overflow inside makes twtune.service
# raise the limit within 60 s and say so in the journal; after a reboot
# with twtune.service masked, systemd-sysctl alone restores the raised
# value from twtune's persist file; switching to the apply timer works
# as the README says; the example twtune-report units write the
# node_exporter file.  Prints the `systemd-analyze security` rating.
#
# Environment: TWTUNE_DEB (the .deb; built with tools/build-deb.sh when
# unset), SYSTEM_CACHE (where the root file system is kept),
# TWLOAD_SYSTEM (a twload binary the container can run), SRCDIR.
# Root only; skips (77) where a container cannot boot.  The container
# is always powered off, and its overlay mount dies with this script's
# private mount namespace.  Nothing on the host is changed.

set -u
skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root to boot a container"
: "${SRCDIR:?SRCDIR must point at the source tree}"
: "${SYSTEM_CACHE:?SYSTEM_CACHE must name the cache directory}"
: "${TWLOAD_SYSTEM:?TWLOAD_SYSTEM must point at a twload binary}"
for t in systemd-nspawn debootstrap nsenter unshare; do
	command -v $t >/dev/null ||
		skip "$t not found (sh tools/install-deps.sh --system)"
done

# a private mount namespace: the overlay mount cannot outlive the test
if [ "${TWTUNE_IN_MNTNS:-}" != 1 ]; then
	unshare -m --propagation private true 2>/dev/null ||
		skip "cannot create a mount namespace here"
	TWTUNE_IN_MNTNS=1 exec unshare -m --propagation private sh "$0" "$@"
fi

FAILED=0 CHECKS=0
ok() { CHECKS=$((CHECKS + 1)); echo "ok - $*"; }
not_ok() { CHECKS=$((CHECKS + 1)); FAILED=$((FAILED + 1)); echo "not ok - $*"; }
expect_eq() { if [ "$2" = "$3" ]; then ok "$1 = $3"; else not_ok "$1: got '$2', want '$3'"; fi; }
finish() {
	echo "$((CHECKS - FAILED)) passed, $FAILED failed"
	[ "$FAILED" = 0 ] || exit 1
	[ "$CHECKS" -gt 0 ] || exit 99
	exit 0
}
START=$(date +%s)
log() { echo "# [$(($(date +%s) - START)) s] $*"; }

# ---- the root file system, built once --------------------------------------
# The .deb's shared libraries come with it, so that dpkg -i needs no network.
PKGS=systemd,systemd-sysv,dbus,procps,iproute2,libconfig9,libcap-ng0,libjansson4,libnettle8
BASE="$SYSTEM_CACHE/bookworm"
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
mkdir -p "$SYSTEM_CACHE" || exit 99
if [ "$(cat "$BASE.stamp" 2>/dev/null)" != "$PKGS" ]; then
	log "debootstrap Debian 12 with $PKGS into $BASE (cached)"
	rm -rf "$BASE" "$BASE.tmp" "$BASE.stamp"
	if ! debootstrap --variant=minbase --include="$PKGS" bookworm \
		"$BASE.tmp" "$MIRROR" >"$SYSTEM_CACHE/debootstrap.log" 2>&1; then
		tail -n 20 "$SYSTEM_CACHE/debootstrap.log"
		echo "debootstrap failed (log: $SYSTEM_CACHE/debootstrap.log)"
		exit 99
	fi
	mv "$BASE.tmp" "$BASE" && echo "$PKGS" >"$BASE.stamp" || exit 99
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/twtune-system.XXXXXX") || exit 99
NSPID='' PID1=''
poweroff() {
	[ -n "$NSPID" ] || return 0
	if [ -n "$PID1" ] && kill -0 "$PID1" 2>/dev/null; then
		kill -s RTMIN+4 "$PID1" 2>/dev/null
		n=300
		while kill -0 "$NSPID" 2>/dev/null && [ $n -gt 0 ]; do
			sleep 0.1
			n=$((n - 1))
		done
	fi
	if kill -0 "$NSPID" 2>/dev/null; then
		echo "# the container did not power off in 30 s: killing it"
		kill -9 "$NSPID" 2>/dev/null
	fi
	wait "$NSPID" 2>/dev/null
	NSPID='' PID1=''
}
# The container runs in a cgroup named as systemd-machined names a
# machine's (machine.slice/machine-NAME.scope), where systemd-nspawn
# --register=no --keep-unit leaves it; in the hierarchy systemd tracks
# processes with (cgroup2, or on a hybrid host its unified one).  That is
# what twtune --all-netns names containers by.
MACHINE_CG=
for h in /sys/fs/cgroup/unified /sys/fs/cgroup; do
	if [ -f "$h/cgroup.procs" ] && [ "$(stat -f -c %T "$h")" = cgroup2fs ]; then
		MACHINE_CG="$h/machine.slice/machine-twtune\\x2dsystem.scope"
		break
	fi
done
forget_cgroup() {
	[ -n "$MACHINE_CG" ] && [ -d "$MACHINE_CG" ] &&
		find "$MACHINE_CG" -depth -type d -exec rmdir {} + 2>/dev/null
	return 0
}
cleanup() {
	poweroff
	forget_cgroup
	umount "$T/root" 2>/dev/null
	[ -n "${KEEP_T:-}" ] && echo "# kept $T" || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# ---- this run's copy: an overlay on the cached tree --------------------------
ROOT="$T/root"
mkdir -p "$T/upper" "$T/work" "$ROOT"
if ! mount -t overlay overlay \
	-o "lowerdir=$BASE,upperdir=$T/upper,workdir=$T/work" "$ROOT" 2>/dev/null; then
	log "no overlayfs: copying the root file system"
	cp -a "$BASE/." "$ROOT/" || exit 99
fi

if [ -z "${TWTUNE_DEB:-}" ]; then
	log "building the package (tools/build-deb.sh)"
	sh "$SRCDIR/tools/build-deb.sh" "$T/deb" >"$T/build-deb.log" 2>&1 || {
		tail -n 30 "$T/build-deb.log"
		echo "tools/build-deb.sh failed"
		exit 99
	}
	TWTUNE_DEB=$(ls "$T"/deb/twtune_*.deb)
fi
[ -f "$TWTUNE_DEB" ] || { echo "no package at $TWTUNE_DEB"; exit 99; }
cp "$TWTUNE_DEB" "$ROOT/tmp/twtune.deb" || exit 99
if chroot "$ROOT" dpkg -i /tmp/twtune.deb >"$T/dpkg.log" 2>&1; then
	ok "dpkg -i $(basename "$TWTUNE_DEB")"
else
	not_ok "dpkg -i $(basename "$TWTUNE_DEB")"
	sed 's/^/    | /' "$T/dpkg.log" | tail -20
	finish
fi
# the small limit, set at boot by systemd-sysctl; 50- sorts before
# twtune's 90-twtune.conf, so that twtune's persisted value wins
echo "net.ipv4.tcp_max_tw_buckets = 64" >"$ROOT/etc/sysctl.d/50-small-tw.conf"
install -m 0755 "$TWLOAD_SYSTEM" "$ROOT/usr/local/bin/twload" || exit 99
# the example node_exporter units from contrib/prometheus
cp "$SRCDIR/contrib/prometheus/twtune-report.service" \
	"$SRCDIR/contrib/prometheus/twtune-report.timer" "$ROOT/etc/systemd/system/" || exit 99
mkdir -p "$ROOT/var/lib/prometheus/node-exporter"
# a persistent journal, so that both boots are in it
mkdir -p "$ROOT/var/log/journal"

# The host's values of every key the container's sysctl.d files set (and
# twtune's), to show afterwards that booting it changed none of them
host_keys() {
	{
		echo net.ipv4.tcp_max_tw_buckets
		cat "$ROOT"/usr/lib/sysctl.d/*.conf "$ROOT"/lib/sysctl.d/*.conf \
			"$ROOT"/etc/sysctl.d/*.conf 2>/dev/null |
			sed -n 's/^[-[:space:]]*\([a-z0-9_./]*\)[[:space:]]*=.*/\1/p'
	} | sort -u | while read -r k; do
		[ -r "/proc/sys/$(echo "$k" | tr . /)" ] &&
			echo "$k = $(cat "/proc/sys/$(echo "$k" | tr . /)")"
	done
}
host_keys >"$T/host-before"

# ---- boot, and run commands inside -------------------------------------------
boot() {
	# shellcheck disable=SC2016 # expanded by the inner sh
	sh -c 'if [ -n "$1" ] && mkdir -p "$1"; then echo $$ >"$1/cgroup.procs"; fi
		shift; exec "$@"' sh "$MACHINE_CG" \
		systemd-nspawn --register=no --keep-unit -M twtune-system -D "$ROOT" \
		-b --private-network </dev/null >>"$T/console.log" 2>&1 &
	NSPID=$!
	PID1=
	n=100
	while [ -z "$PID1" ] && [ $n -gt 0 ]; do
		kill -0 "$NSPID" 2>/dev/null || break
		for c in $(cat /proc/"$NSPID"/task/*/children 2>/dev/null); do
			# the container's init: in a PID namespace of its own,
			# and systemd already (not nspawn's short-lived helper
			# that comes before it)
			[ "$(readlink /proc/"$c"/ns/pid)" != "$(readlink /proc/self/ns/pid)" ] &&
				[ "$(cat /proc/"$c"/comm 2>/dev/null)" = systemd ] && PID1=$c
		done
		[ -n "$PID1" ] || { sleep 0.1; n=$((n - 1)); }
	done
	[ -n "$PID1" ] || return 1
	# running or degraded: booted either way; the checks say what matters.
	# systemctl answers only once PID 1 has its private socket.
	n=240
	while [ $n -gt 0 ]; do
		kill -0 "$PID1" 2>/dev/null || break
		state=$(timeout 60 nsenter -t "$PID1" -a systemctl is-system-running --wait 2>/dev/null)
		case "$state" in
		running | degraded) return 0 ;;
		esac
		sleep 0.5
		n=$((n - 1))
	done
	echo "# system state after boot: ${state:-none}"
	return 1
}
in_ct() { nsenter -t "$PID1" -a "$@"; }
# wait_for SECONDS COMMAND...: poll until COMMAND succeeds
wait_for() {
	n=$(($1 * 5))
	shift
	while [ $n -gt 0 ]; do
		"$@" && return 0
		sleep 0.2
		n=$((n - 1))
	done
	return 1
}
limit() { in_ct cat /proc/sys/net/ipv4/tcp_max_tw_buckets; }
NETNS_DEFAULT=$(unshare -n cat /proc/sys/net/ipv4/tcp_max_tw_buckets)

log "booting the container"
if ! boot; then
	tail -n 30 "$T/console.log"
	poweroff
	skip "systemd-nspawn could not boot a Debian 12 container here"
fi
log "booted (state $state)"
ok "the container boots (systemd-nspawn --private-network)"
[ "$state" = running ] || in_ct systemctl --failed --no-legend | sed 's/^/# failed: /'

# ---- the package: twtune.service only ------------------------------------------
expect_eq "twtune.service enabled by the package" "$(in_ct systemctl is-enabled twtune.service)" enabled
expect_eq "twtune.service running" "$(in_ct systemctl is-active twtune.service)" active
expect_eq "twtune-apply.timer shipped disabled" "$(in_ct systemctl is-enabled twtune-apply.timer)" disabled
expect_eq "twtune-apply.timer not running" "$(in_ct systemctl is-active twtune-apply.timer)" inactive

# ---- boot-time value and the daemon's privileges -----------------------------
expect_eq "systemd-sysctl set the small limit at boot" "$(limit)" 64
PID=$(in_ct systemctl show -p MainPID --value twtune.service)
if [ -n "$PID" ] && [ "$PID" != 0 ]; then
	in_ct cat "/proc/$PID/status" >"$T/status"
	expect_eq "twtune's CapBnd: CAP_NET_ADMIN only" "$(awk '$1 == "CapBnd:" { print $2 }' "$T/status")" 0000000000001000
	expect_eq "twtune's CapEff" "$(awk '$1 == "CapEff:" { print $2 }' "$T/status")" 0000000000001000
	expect_eq "twtune's NoNewPrivs" "$(awk '$1 == "NoNewPrivs:" { print $2 }' "$T/status")" 1
else
	not_ok "twtune.service has no main process"
fi

# ---- a real overflow inside: twtune.service raises the limit ------------------
before=$(in_ct awk '/^TcpExt:/ { if (!h) { for (i = 1; i <= NF; i++) n[$i] = i; h = 1 } else print $n["TCPTimeWaitOverflow"] }' /proc/net/netstat)
in_ct /usr/local/bin/twload -n 500 >"$T/twload.out" 2>&1
after=$(in_ct awk '/^TcpExt:/ { if (!h) { for (i = 1; i <= NF; i++) n[$i] = i; h = 1 } else print $n["TCPTimeWaitOverflow"] }' /proc/net/netstat)
if [ "$((after - before))" -gt 0 ]; then ok "TIME_WAIT overflow inside ($((after - before)) overflows)"; else
	not_ok "no overflow inside (TCPTimeWaitOverflow $before -> $after)"
	sed 's/^/    | /' "$T/twload.out"
fi
log "waiting up to 60 s for twtune.service"
raised() { [ "$(limit)" -gt 64 ]; }
if wait_for 60 raised; then
	NEW=$(limit)
	ok "twtune.service raised the limit to $NEW within 60 s"
else
	NEW=64
	not_ok "the limit is still $(limit) after 60 s"
fi
log "raised"
in_ct journalctl -u twtune.service --no-pager -o cat >"$T/journal" 2>&1
if grep -q "^net.ipv4.tcp_max_tw_buckets: 64 -> $NEW " "$T/journal"; then
	ok "journal: $(grep -m1 "^net.ipv4.tcp_max_tw_buckets: 64 -> $NEW " "$T/journal")"
else
	not_ok "no journal line 'net.ipv4.tcp_max_tw_buckets: 64 -> $NEW'"
	sed 's/^/    | /' "$T/journal" | tail -20
fi
in_ct cat /etc/sysctl.d/90-twtune.conf >"$T/persist" 2>&1
expect_eq "persisted in /etc/sysctl.d/90-twtune.conf" \
	"$(grep -v '^#' "$T/persist")" "net.ipv4.tcp_max_tw_buckets = $NEW"
in_ct sh -c 'twtune audit verify' >"$T/verify" 2>&1
expect_eq "audit log verifies" "$?" 0

# the example node_exporter units (contrib/prometheus)
# (a oneshot's start returns when it ends, non-zero when it failed)
in_ct systemctl start twtune-report.service
expect_eq "twtune-report.service runs and exits 0" "$?" 0
in_ct cat /var/lib/prometheus/node-exporter/twtune.prom >"$T/prom" 2>/dev/null
expect_eq "it writes the textfile with the raised limit" \
	"$(awk '$1 == "twtune_time_wait_buckets_max" { print $2 }' "$T/prom")" "$NEW"

echo "# systemd-analyze security twtune.service:"
in_ct systemd-analyze security --no-pager twtune.service >"$T/security" 2>&1
grep -i "overall exposure" "$T/security" | sed 's/^/#   /'
grep -qi "overall exposure" "$T/security" && ok "systemd-analyze security rates twtune.service" ||
	not_ok "systemd-analyze security: $(tail -1 "$T/security")"

# ---- reboot: systemd-sysctl alone restores the raised value -------------------
in_ct systemctl mask twtune.service >/dev/null 2>&1
log "rebooting with twtune.service masked"
poweroff
if ! boot; then
	not_ok "second boot"
	tail -n 20 "$T/console.log"
	finish
fi
log "booted again"
expect_eq "twtune.service did not run" "$(in_ct systemctl is-active twtune.service)" inactive
expect_eq "a second boot in the journal" "$(in_ct journalctl --list-boots | grep -c ' [0-9a-f]\{32\} ')" 2
expect_eq "systemd-sysctl ran and succeeded" "$(in_ct systemctl is-active systemd-sysctl.service)" active
expect_eq "the raised value is back after the reboot" "$(limit)" "$NEW"
# neither a new namespace's default nor the small file's value
[ "$NEW" != "$NETNS_DEFAULT" ] && [ "$NEW" != 64 ] &&
	ok "that value comes from twtune's persist file only ($NETNS_DEFAULT is a new namespace's default)" ||
	not_ok "the raised value $NEW cannot be told from a default ($NETNS_DEFAULT)"

# ---- twtune on the host sees the container and fixes it, live ----------------
if [ -n "${TWTUNE:-}" ] && [ -x "$TWTUNE" ]; then
	# (twtune.service is masked here: nothing inside interferes)
	in_ct sh -c 'echo 64 >/proc/sys/net/ipv4/tcp_max_tw_buckets'
	in_ct /usr/local/bin/twload -n 500 >/dev/null 2>&1
	mkdir -p "$T/host/etc/sysctl.d" "$T/hostpol"
	CTNS=$(stat -L -c %i "/proc/$PID1/ns/net")
	# --all-netns sees every namespace of this machine, the host's own
	# among them: a policy that can only act where the limit is the 64
	# set in the container, so that nothing else is ever changed
	cat >"$T/hostpol/10-only-64.conf" <<'POL'
rules = ( { id = "raise-the-container"; sysctl = "net.ipv4.tcp_max_tw_buckets";
            when = "current == 64 && tw_saturated"; value = 4096; direction = "raise";
            reason = "the test container's limit"; } );
POL
	chmod 0644 "$T/hostpol/10-only-64.conf"
	HOST() {
		"$TWTUNE" "$@" --all-netns -p "$T/hostpol" --state "$T/host.json" \
			--root "$T/host" --audit-log "$T/host.jsonl" -f json
	}
	HOST report >"$T/host-report.json" 2>"$T/host-report.err"
	expect_eq "the host's report: the container's namespace, named as the machine" \
		"$(jq -r ".namespaces[] | select(.netns_inode == $CTNS) | .container" "$T/host-report.json")" twtune-system
	expect_eq "and its overflow" \
		"$(jq -r ".namespaces[] | select(.netns_inode == $CTNS) | .plan[0].key" "$T/host-report.json")" \
		net.ipv4.tcp_max_tw_buckets
	HOST apply >"$T/host-apply.json" 2>"$T/host-apply.err"
	HOSTNEW=$(limit)
	[ "$HOSTNEW" -gt 64 ] && ok "twtune on the host raised the container's limit (64 -> $HOSTNEW)" ||
		not_ok "the container's limit is still $HOSTNEW"
	expect_eq "live only: nothing for the host's sysctl.d" "$(ls -A "$T/host/etc/sysctl.d")" ""
	expect_eq "audited with the machine" \
		"$(jq -r 'select(.phase == "result") | .netns.container' "$T/host.jsonl" | sort -u)" twtune-system
else
	echo "# TWTUNE not set: the host-side --all-netns check is not run"
fi

# ---- the drop-in for watch --all-netns, inside: a namespace of its own ------
DROPIN=/usr/share/twtune/systemd/all-netns.conf
if in_ct test -f "$DROPIN"; then
	in_ct systemctl unmask twtune.service >/dev/null 2>&1
	in_ct mkdir -p /etc/systemd/system/twtune.service.d
	in_ct cp "$DROPIN" /etc/systemd/system/twtune.service.d/all-netns.conf
	in_ct systemctl daemon-reload
	in_ct systemctl restart twtune.service
	expect_eq "watch --all-netns runs under the drop-in" "$(in_ct systemctl is-active twtune.service)" active
	# a namespace made inside the container after it started
	in_ct ip netns add inner && in_ct ip -n inner link set lo up
	in_ct ip netns exec inner sh -c 'echo 64 >/proc/sys/net/ipv4/tcp_max_tw_buckets'
	wait_for 30 sh -c "nsenter -t $PID1 -a journalctl -u twtune.service -o cat | grep -q '^inner: watching network namespace'"
	in_ct ip netns exec inner /usr/local/bin/twload -n 500 >/dev/null 2>&1
	inner_raised() { [ "$(in_ct ip netns exec inner cat /proc/sys/net/ipv4/tcp_max_tw_buckets)" -gt 64 ]; }
	if wait_for 60 inner_raised; then
		ok "the drop-in's watch found a new namespace and raised its limit ($(in_ct ip netns exec inner cat /proc/sys/net/ipv4/tcp_max_tw_buckets))"
	else
		not_ok "the new namespace's limit is still 64"
		in_ct journalctl -u twtune.service --no-pager -o cat | tail -20 | sed 's/^/    | /'
	fi
	PID=$(in_ct systemctl show -p MainPID --value twtune.service)
	expect_eq "twtune itself still holds CAP_NET_ADMIN only" \
		"$(in_ct awk '$1 == "CapEff:" { print $2 }' "/proc/$PID/status")" 0000000000001000
	in_ct rm -f /etc/systemd/system/twtune.service.d/all-netns.conf
	in_ct systemctl daemon-reload
	in_ct ip netns delete inner
else
	not_ok "the package lacks $DROPIN"
fi

# ---- switching to the periodic apply, as the README says ----------------------
in_ct systemctl unmask twtune.service >/dev/null 2>&1
in_ct systemctl disable --now twtune.service >/dev/null 2>&1
in_ct systemctl enable --now twtune-apply.timer >/dev/null 2>&1
expect_eq "timer mode: twtune.service disabled" "$(in_ct systemctl is-enabled twtune.service)" disabled
expect_eq "timer mode: twtune-apply.timer enabled" "$(in_ct systemctl is-enabled twtune-apply.timer)" enabled
expect_eq "timer mode: twtune-apply.timer active" "$(in_ct systemctl is-active twtune-apply.timer)" active
in_ct systemctl start twtune-apply.service
expect_eq "twtune-apply.service runs one apply and exits 0" "$?" 0

poweroff
log "powered off"
host_keys >"$T/host-after"
if cmp -s "$T/host-before" "$T/host-after"; then
	ok "the host's sysctls are untouched ($(wc -l <"$T/host-before") keys compared)"
else
	not_ok "the host's sysctls changed"
	diff "$T/host-before" "$T/host-after" | sed 's/^/    | /'
fi
finish
