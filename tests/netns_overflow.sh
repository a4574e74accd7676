#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The seeds, reproduced on the real kernel inside throwaway network
# namespaces: a small tcp_max_tw_buckets, real client-side TIME_WAIT on
# loopback, TCPTimeWaitOverflow rising; then report, apply, the same load
# no longer overflowing, an idempotent second apply, and rollback.  The
# host's own sysctls and /etc/sysctl.d are never touched: every path
# twtune writes is under a temporary directory.
. "${SRCDIR:-.}/tests/lib.sh"

[ "$(id -u)" = 0 ] || skip "needs root to create network namespaces"
command -v unshare >/dev/null || skip "unshare (util-linux) not found"
command -v ip >/dev/null || skip "ip (iproute2) not found"
unshare -n true 2>/dev/null || skip "cannot create a network namespace here"

HOST_MAX=$(cat /proc/sys/net/ipv4/tcp_max_tw_buckets)
HOST_SYSCTLD=$(ls -la /etc/sysctl.d 2>/dev/null | md5sum)

if [ "${TWTUNE_IN_NETNS:-}" != 1 ]; then
	# re-run this script in a fresh network namespace; its results count
	TWTUNE_IN_NETNS=1 HOST_MAX=$HOST_MAX unshare -n sh "$0"
	rc=$?
	[ "$rc" = 0 ] || exit $rc
	# --- --netns: act on a named namespace from outside -------------------
	NS=twtune-test-$$
	ip netns add "$NS" || skip "ip netns add failed"
	trap 'ip netns delete "$NS" 2>/dev/null; cleanup' EXIT
	# nsenter rather than "ip netns exec", which also needs / to be a
	# mount point (it is not in a chroot)
	expect_rc "set the namespace's limit" 0 nsenter --net="/run/netns/$NS" \
		sh -c 'echo 77 > /proc/sys/net/ipv4/tcp_max_tw_buckets'
	expect_rc "report --netns" 0 "$TWTUNE" report --netns "$NS" -p "$POL" \
		--state "$T/ns-state.json" -f json
	expect_eq "reads the namespace's limit" "$(jget "$T/out" .observations.tw_max)" 77
	expect_eq "names the namespace" "$(jget "$T/out" .netns)" "$NS"
	expect_rc "report --netns missing" 1 "$TWTUNE" report --netns "$NS-nope" -p "$POL" --state "$T/ns-state.json"
	expect_eq "host limit untouched" "$(cat /proc/sys/net/ipv4/tcp_max_tw_buckets)" "$HOST_MAX"
	expect_eq "host sysctl.d untouched" "$(ls -la /etc/sysctl.d 2>/dev/null | md5sum)" "$HOST_SYSCTLD"
	ip netns delete "$NS"
	expect_eq "namespace deleted" "$(ip netns list | grep -c "^$NS\b")" 0
	finish
fi

# ---- inside the throwaway namespace ---------------------------------------
ip link set lo up || exit 99
SYS=/proc/sys/net/ipv4
mkdir -p "$T/sysctl.d"
TW() {
	"$TWTUNE" "$@" -p "$POL" --state "$T/state.json" \
		--sysctl-d "$T/sysctl.d" --audit-log "$T/audit.jsonl"
}

echo 64 >$SYS/tcp_max_tw_buckets
expect_rc "baseline report" 0 TW report -q
before=$(overflows)
expect_rc "load: 500 client-side TIME_WAIT" 0 "$TWLOAD" -n 500
after=$(overflows)
expect_eq "TCPTimeWaitOverflow rose by the excess" "$((after - before))" 436


expect_rc "report --sample: a full table, no overflow in its window" 2 \
	"$TWTUNE" report -p "$POL" --state "$T/other-state.json" --sample 0.3 -f json
expect_eq "--sample is the baseline" "$(jget "$T/out" .baseline.source)" sample
expect_eq "no overflow during the sample" "$(jget "$T/out" .observations.tw_overflow_delta)" 0
expect_eq "verdict" "$(jget "$T/out" .verdict)" full
expect_eq "--sample window" "$(jget "$T/out" '.baseline.window_seconds >= 0.3')" true
expect_rc "report sees the overflow" 2 TW report -f json
cp "$T/out" "$T/j"
expect_eq verdict "$(jget "$T/j" .verdict)" overflowing
expect_eq "overflow delta" "$(jget "$T/j" .observations.tw_overflow_delta)" 436
expect_eq "tw_count" "$(jget "$T/j" .observations.tw_count)" 64
expect_eq "proposes a raise to cover twice the demand" \
	"$(jget "$T/j" '.plan[0] | "\(.key) \(.from)->\(.to)"')" \
	"net.ipv4.tcp_max_tw_buckets 64->1024"

expect_rc "apply" 0 TW apply -f json
expect_eq "live value raised" "$(cat $SYS/tcp_max_tw_buckets)" 1024
expect_eq "persisted" "$(grep -v '^#' "$T/sysctl.d/90-twtune.conf")" "net.ipv4.tcp_max_tw_buckets = 1024"
expect_eq "audited (intent + result)" "$(wc -l <"$T/audit.jsonl")" 2
expect_eq "audit sandbox field set" "$(tail -1 "$T/audit.jsonl" | $JQ -r '.sandbox | length > 0')" true
expect_rc "audit verify" 0 "$TWTUNE" audit verify "$T/audit.jsonl"

before=$(overflows)
expect_rc "same load again" 0 "$TWLOAD" -n 500
expect_eq "no more overflows" "$(($(overflows) - before))" 0
expect_eq "all TIME_WAIT kept" "$(tw_count)" 564

expect_rc "second apply" 0 TW apply -f json
expect_eq "changes nothing" "$(jget "$T/out" '.plan | length')" 0
expect_eq "writes no audit record" "$(wc -l <"$T/audit.jsonl")" 2

expect_rc "rollback" 0 TW rollback
expect_eq "restored" "$(cat $SYS/tcp_max_tw_buckets)" 64
expect_eq "persist file removed: nothing left to set at boot" "$(ls -A "$T/sysctl.d")" ""
expect_rc "audit verify after rollback" 0 "$TWTUNE" audit verify "$T/audit.jsonl"

# first sight, the table full again after the rollback: no state file, a
# counter that is not 0, and only the bucket rule (which can plan a lower
# bound without a baseline)
mkdir "$T/buckets" && cp "$POL/10-tw-buckets.conf" "$T/buckets/" || exit 99
expect_rc "first sight, --no-auto-sample" 2 "$TWTUNE" report -p "$T/buckets" \
	--state "$T/fs1.json" --no-auto-sample -f json
expect_eq "no baseline" "$(jget "$T/out" .baseline.source)" none
expect_eq "a raise planned at its lower bound, marked so" \
	"$(jget "$T/out" '.plan[0] | "\(.key) \(.at_least != null)"')" \
	"net.ipv4.tcp_max_tw_buckets true"
expect_rc "first sight: an automatic sample" 2 "$TWTUNE" report -p "$T/buckets" \
	--state "$T/fs2.json" -f json
expect_eq "the sample is the baseline" "$(jget "$T/out" .baseline.source)" sample
expect_eq "of 2 s" "$(jget "$T/out" '.baseline.window_seconds >= 2 and .baseline.window_seconds < 3')" true
expect_eq "said" "$(jget "$T/out" '[.warnings[] | select(startswith("no baseline: took a 2 s sample"))] | length')" 1
expect_eq "the plan is decided, not a lower bound" "$(jget "$T/out" '.plan[0].at_least')" null
expect_rc "with a baseline: no sample" 2 "$TWTUNE" report -p "$T/buckets" \
	--state "$T/fs2.json" -f json
expect_eq "the state file's baseline" "$(jget "$T/out" .baseline.source)" state
finish
