# SPDX-License-Identifier: GPL-2.0-or-later
# Shared helpers for the shell tests.  Sourced, not run.
#
# Every test gets a private temporary directory ($T) that is removed on
# exit; nothing here touches the host's /etc/sysctl.d or /proc/sys.

set -u
: "${TWTUNE:?TWTUNE must point at the twtune binary}"
: "${SRCDIR:?SRCDIR must point at the source tree}"
JQ=${JQ:-jq}
FIX="$SRCDIR/tests/fixtures"
POL="$SRCDIR/policies"
FAILED=0
CHECKS=0

T=$(mktemp -d "${TMPDIR:-/tmp}/twtune-test.XXXXXX") || exit 99
cleanup() { rm -rf "$T"; }
trap cleanup EXIT

skip() { echo "SKIP: $*"; exit 77; }
command -v "$JQ" >/dev/null 2>&1 || skip "jq is needed (apt-get install jq)"

ok() { CHECKS=$((CHECKS + 1)); echo "ok - $*"; }
not_ok() { CHECKS=$((CHECKS + 1)); FAILED=$((FAILED + 1)); echo "not ok - $*"; }

# expect_eq WHAT GOT WANT
expect_eq() {
	if [ "$2" = "$3" ]; then ok "$1 = $3"; else not_ok "$1: got '$2', want '$3'"; fi
}

# expect_rc WHAT WANT CMD...: run CMD, compare its exit code
expect_rc() {
	what=$1 want=$2
	shift 2
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
	if [ "$rc" = "$want" ]; then
		ok "$what exits $want"
	else
		not_ok "$what: exit $rc, want $want"
		sed 's/^/    out: /' "$T/out" | head -20
		sed 's/^/    err: /' "$T/err" | head -20
	fi
}

# expect_grep WHAT PATTERN FILE
expect_grep() {
	if grep -q -- "$2" "$3"; then ok "$1"; else
		not_ok "$1: no '$2' in $3"; sed 's/^/    | /' "$3" | head -20
	fi
}

# wait_for SECONDS COMMAND...: poll every 0.1 s until COMMAND succeeds
wait_for() {
	n=$(($1 * 10))
	shift
	while [ $n -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}
# The kernel's counters of the namespace this shell is in: TcpExt's
# TCPTimeWaitOverflow (nothing where the kernel has none, before 2.6.38)
# and sockstat's TIME_WAIT count
overflows() {
	awk '/^TcpExt:/ { if (!h) { for (i = 1; i <= NF; i++) n[$i] = i; h = 1 }
		else if (n["TCPTimeWaitOverflow"]) print $n["TCPTimeWaitOverflow"] }' /proc/net/netstat
}
tw_count() { awk '/^TCP:/ { for (i = 2; i < NF; i++) if ($i == "tw") print $(i + 1) }' /proc/net/sockstat; }
# twload_field FILE NAME: NAME=VALUE from twload's summary line
twload_field() {
	awk -v k="$2" '/^connections=/ { for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) v = kv[2] } } END { print v }' "$1"
}
# jget FILE FILTER: one value from a JSON file
jget() { "$JQ" -r "$2" "$1"; }

# copy_fixture NAME: a writable copy of a fixture /proc tree in $T/proc
copy_fixture() {
	rm -rf "$T/proc"
	cp -r "$FIX/$1" "$T/proc"
	chmod -R u+w "$T/proc"
}

# make_state FILE OVERFLOWS TW_MAX AGE_SECONDS BOOT_ID: a state file whose
# only sample is AGE_SECONDS old (netns 0, as fixture trees have none)
make_state() {
	now=$(date +%s)
	cat >"$1" <<JSON
{"version": 2, "samples": [{"time": $((now - $4)), "boot_id": "$5",
 "netns": 0, "tw_max": $3, "tw_overflows": $2, "syncookies_sent": 0,
 "listen_overflows": 0}], "written": {}}
JSON
}

# in_netns [-m|-p]: re-run this test script inside a fresh network namespace
# (with -m also a private mount namespace, for test mounts; with -p also
# a PID namespace with its own /proc) skipping, with
# the reason, where that cannot be done, and bring up its loopback.  Call
# it before the test's first check.
in_netns() {
	[ "$(id -u)" = 0 ] || skip "needs root to create a network namespace"
	command -v unshare >/dev/null || skip "unshare (util-linux) not found"
	command -v ip >/dev/null || skip "ip (iproute2) not found"
	ns_flags=-n
	[ "${1:-}" = -m ] && ns_flags="-n -m --propagation private"
	# -p: also a PID namespace with its own /proc, so that only this
	# test's processes (and namespaces) are seen
	[ "${1:-}" = -p ] && ns_flags="-n -m -p -f --mount-proc --propagation private"
	# shellcheck disable=SC2086
	unshare $ns_flags true 2>/dev/null ||
		skip "cannot create a network (and mount) namespace here"
	if [ "${TWTUNE_IN_NETNS:-}" != 1 ]; then
		trap - EXIT
		rm -rf "$T"
		# shellcheck disable=SC2086
		TWTUNE_IN_NETNS=1 exec unshare $ns_flags sh "$0"
	fi
	ip link set lo up || exit 99
}

finish() {
	echo "$((CHECKS - FAILED)) passed, $FAILED failed"
	[ "$FAILED" = 0 ] || exit 1
	[ "$CHECKS" -gt 0 ] || exit 99
	exit 0
}
