#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The shadowing check against the tools that really apply sysctl.d at
# boot, in a throwaway network namespace: twtune persists
# tcp_max_tw_buckets = 5000 into a fake root's /etc/sysctl.d; a later file
# with a glob (net.ipv4.tcp_max_tw_* = 777) is not reported, and indeed
# systemd-sysctl and procps sysctl, given the files in boot order, leave
# 5000; a later file that names the key is reported, and indeed both
# tools end at its value.  Control: the glob alone does set the key.
. "${SRCDIR:-.}/tests/lib.sh"
in_netns

SYSTEMD_SYSCTL=
for p in /lib/systemd/systemd-sysctl /usr/lib/systemd/systemd-sysctl; do
	[ -x "$p" ] && SYSTEMD_SYSCTL=$p && break
done
[ -n "$SYSTEMD_SYSCTL" ] || { echo "not ok - systemd-sysctl not found (apt-get install systemd)"; exit 1; }
command -v sysctl >/dev/null || { echo "not ok - sysctl not found (apt-get install procps)"; exit 1; }

KEY=/proc/sys/net/ipv4/tcp_max_tw_buckets
R="$T/root"
mkdir -p "$R/etc/sysctl.d" "$R/usr/lib/sysctl.d"
TWD="$R/etc/sysctl.d/90-twtune.conf"
GLOB="$R/usr/lib/sysctl.d/95-glob.conf"
EXPL="$R/usr/lib/sysctl.d/96-explicit.conf"
tw() {
	"$TWTUNE" "$@" -p "$SRCDIR/tests/policies/faults/raise.conf" --no-sockets \
		--root "$R" --sysctl-d "$R/etc/sysctl.d" --state "$T/state.json" \
		--audit-log "$T/audit.jsonl"
}
# boot TOOL FILE...: reset the key, apply FILEs in one run of TOOL, print
# what the key ends at
boot() {
	tool=$1
	shift
	echo 1000 >$KEY
	case $tool in
	systemd) "$SYSTEMD_SYSCTL" "$@" 2>>"$T/boot.err" ;;
	procps) sysctl -q -p "$@" 2>>"$T/boot.err" ;; # -p takes every file, in order
	esac
	cat $KEY
}
shadowed_by() {
	jget "$T/out" '[.sysctls["net.ipv4.tcp_max_tw_buckets"].shadowed_by[] | "\(.file):\(.line)"] | join(" ")'
}

echo 1000 >$KEY
expect_rc "apply persists 5000" 0 tw apply
expect_eq "persist file" "$(grep -v '^#' "$TWD")" "net.ipv4.tcp_max_tw_buckets = 5000"

# ---- a later glob: no warning, and boot keeps twtune's value --------------
printf 'net.ipv4.tcp_max_tw_* = 777\n' >"$GLOB"
expect_eq "control: systemd-sysctl applies the glob alone" "$(boot systemd "$GLOB")" 777
expect_eq "control: procps sysctl applies the glob alone" "$(boot procps "$GLOB")" 777
expect_eq "systemd-sysctl: the glob leaves the explicit key" "$(boot systemd "$TWD" "$GLOB")" 5000
expect_eq "procps sysctl: the glob leaves the explicit key" "$(boot procps "$TWD" "$GLOB")" 5000
echo 5000 >$KEY
expect_rc "report" 0 tw report -f json
expect_eq "report: the glob does not shadow" "$(shadowed_by)" ""
expect_eq "report: no warning" "$(grep -c 'shadowed by' "$T/out")" 0

# ---- a later explicit line: a warning, and boot ends at its value ---------
printf 'net/ipv4/tcp_max_tw_buckets = 9000\n' >"$EXPL"
expect_eq "systemd-sysctl: the later explicit line wins" "$(boot systemd "$TWD" "$GLOB" "$EXPL")" 9000
expect_eq "procps sysctl: the later explicit line wins" "$(boot procps "$TWD" "$GLOB" "$EXPL")" 9000
echo 5000 >$KEY
expect_rc "report" 0 tw report -f json
expect_eq "report: shadowed by the explicit line only" "$(shadowed_by)" \
	"/usr/lib/sysctl.d/96-explicit.conf:1"
expect_grep "report: warning" "shadowed by /usr/lib/sysctl.d/96-explicit.conf:1, which sets 9000" "$T/out"

finish
