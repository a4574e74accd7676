#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Install the Debian 12 packages twtune needs: to build it, and with
# --test also to run its whole test suite (jq, valgrind, strace, iproute2 and
# util-linux for the namespace tests, ansible-core for the Ansible module
# test, python3 to hold an abstract unix socket in the Landlock test, systemd and procps for systemd-analyze verify of the units, GNU
# time for the resource limits of the policy loader, clang with its
# libFuzzer runtime for make fuzz, curl to scrape node_exporter).
# With --system, also what the Debian package build and `make
# check-system` need: debhelper, dpkg-dev and lintian; debootstrap and
# systemd-container (systemd-nspawn) for the booted Debian 12 container.
#
# --test and --system also unpack promtool (Debian's prometheus package)
# and Debian's prometheus-node-exporter into tools/.deps/root, without
# installing them: installing either starts its server where PID 1 is
# not systemd.  The tests look for them there.
# Run as root (or with sudo).
# Packages already present are not downloaded again.
set -eu

PKGS="build-essential autoconf automake libtool pkg-config
libconfig-dev libcap-ng-dev libjansson-dev nettle-dev libcmocka-dev"
case "${1:-}" in
--test | --system)
	PKGS="$PKGS iproute2 util-linux procps jq valgrind strace ansible-core
	python3 systemd time clang libclang-rt-14-dev curl logrotate faketime"
	;;
esac
if [ "${1:-}" = --system ]; then
	PKGS="$PKGS debhelper dpkg-dev lintian debootstrap systemd-container"
fi

SUDO=
if [ "$(id -u)" != 0 ]; then
	command -v sudo >/dev/null || { echo "install-deps: run as root" >&2; exit 1; }
	SUDO=sudo
fi
updated=
apt_update() {
	[ -n "$updated" ] && return 0
	$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	updated=1
}

missing=
for p in $PKGS; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "install-deps: installing$missing"
	apt_update
	# shellcheck disable=SC2086
	$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
fi
[ -n "${1:-}" ] || exit 0

# promtool and node_exporter, unpacked (never installed) beside this
# script; quick when they are already there.
DEPS=$(cd "$(dirname "$0")" && pwd)/.deps
ROOT=$DEPS/root
unpack() { # PACKAGE FILE: unpack PACKAGE unless ROOT already has FILE
	[ -x "$ROOT$2" ] && return 0
	mkdir -p "$DEPS/debs" "$ROOT"
	rm -f "$DEPS/debs/$1"_*.deb
	(cd "$DEPS/debs" && apt-get download "$1" >/dev/null 2>&1) || {
		apt_update
		(cd "$DEPS/debs" && apt-get download "$1")
	}
	dpkg-deb -x "$DEPS/debs/$1"_*.deb "$ROOT"
	[ -x "$ROOT$2" ] || { echo "install-deps: $1 has no $2" >&2; exit 1; }
	echo "install-deps: unpacked $1 into $ROOT"
}
unpack prometheus /usr/bin/promtool
unpack prometheus-node-exporter /usr/bin/prometheus-node-exporter
