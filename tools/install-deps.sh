#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Install the Debian 12 packages twtune needs: to build it, and with
# --test also to run its whole test suite (jq, valgrind, iproute2 and
# util-linux for the namespace tests, ansible-core for the Ansible module
# test, python3 to hold an abstract unix socket in the Landlock test, systemd and procps for systemd-analyze verify of the units, GNU
# time for the resource limits of the policy loader, clang with its
# libFuzzer runtime for make fuzz).
# Run as root (or with sudo).
# Packages already present are not downloaded again.
set -eu

PKGS="build-essential autoconf automake libtool pkg-config
libconfig-dev libcap-ng-dev libjansson-dev nettle-dev libcmocka-dev"
if [ "${1:-}" = --test ]; then
	PKGS="$PKGS iproute2 util-linux procps jq valgrind strace ansible-core python3
	systemd time clang libclang-rt-14-dev"
fi

missing=
for p in $PKGS; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

SUDO=
if [ "$(id -u)" != 0 ]; then
	command -v sudo >/dev/null || { echo "install-deps: run as root" >&2; exit 1; }
	SUDO=sudo
fi
echo "install-deps: installing$missing"
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
# shellcheck disable=SC2086
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
