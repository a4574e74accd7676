#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# One fixture per kernel generation (tests/fixtures/kernels/, see its
# README): what twtune concludes about each kernel, the exact observations
# and the exact plan.  The log-only kernels (2.6.18, RHEL 6, OpenVZ) are
# read with the clock at the time their fixture logs were written for
# (libfaketime), since syslog lines carry no year.
. "${SRCDIR:-.}/tests/lib.sh"

K="$SRCDIR/tests/fixtures/kernels"
FT=$(ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -1)
[ -n "$FT" ] || skip "libfaketime is needed (sh tools/install-deps.sh --test)"

# R FIXTURE [args]: report -f json on a kernel fixture, state in $T
R() {
	k=$1
	shift
	"$TWTUNE" report -p "$POL" --proc "$K/$k" --state "$T/$k.json" \
		-f json "$@"
}
# at TIME COMMAND...: COMMAND with the wall clock at TIME (UTC)
at() {
	t=$1
	shift
	# (AddressSanitizer wants its runtime first: not with libfaketime)
	ASAN_OPTIONS=verify_asan_link_order=0 TZ=UTC FAKETIME="@$t" LD_PRELOAD="$FT" "$@"
}
boot() { cat "$K/$1/sys/kernel/random/boot_id"; }
j() { jget "$T/out" "$1"; }
# the demand the model gives for FULL buckets held and DELTA overflows
# over the report's window (whole sockets, rounded up)
demand() {
	awk -v h="$1" -v d="$2" -v w="$(j .baseline.window_seconds)" \
		'BEGIN { x = h + d / w * 60; c = int(x); if (c < x) c++; print c }'
}
pow2ceil() { awk -v x="$1" 'BEGIN { p = 1; while (p < x) p *= 2; print p }'; }

# --- 2.6.18 (RHEL 5): no counter; the log, across New Year -------------
expect_rc "2.6.18: overflowing by the log" 2 at "2025-01-03 10:00:00" \
	R 2.6.18 --root "$K/2.6.18/root"
expect_eq "2.6.18: release" "$(j .kernel.version)" 2.6.18
expect_eq "2.6.18: no counter, one table for the host" \
	"$(j '[.kernel.overflow_counter, .kernel.per_namespace, .kernel.negative_limit_unlimited, .kernel.reuse_2_loopback_only] | @tsv')" \
	"false	false	false	false"
expect_eq "2.6.18: verdict" "$(j .verdict)" overflowing
expect_eq "2.6.18: tw_overflows is unknown, never invented" "$(j .observations.tw_overflows)" null
expect_eq "2.6.18: log lines of this boot, suppressed up to" \
	"$(j '[.observations.tw_overflow_log_lines, .observations.tw_overflow_log_suppressed, .kernel.log.source] | @tsv')" \
	"5	17	var/log/messages"
expect_eq "2.6.18: first and last message" \
	"$(j '[.kernel.log.first, .kernel.log.last] | map(todate) | @tsv')" \
	"2024-12-30T14:07:12Z	2025-01-02T09:30:09Z"
expect_eq "2.6.18: saturated" "$(j .observations.tw_saturated)" 1
expect_eq "2.6.18: the plan doubles the limit" \
	"$(j '[.plan[] | "\(.key) \(.from)->\(.to) \(.rule)"] | join(",")')" \
	"net.ipv4.tcp_max_tw_buckets 5000->10000 tw-buckets-saturated"
expect_grep "2.6.18: the verdict line gives the evidence" \
	"full (5000 of 5000 buckets in use) and this boot's kernel log has 5 overflow messages (up to 17 more suppressed), 2024-12-30 14:07:12 to 2025-01-02 09:30:09" "$T/out"
# without the log: the full table alone still plans, at least double
expect_rc "2.6.18: no log under --root" 2 at "2025-01-03 10:00:00" \
	R 2.6.18 --root "$T"
expect_eq "2.6.18: no log readable" "$(j '.kernel.log | "\(.readable) \(.error)"')" \
	"false no /var/log/kern.log, messages or syslog"
expect_eq "2.6.18: log metrics unknown" "$(j .observations.tw_overflow_log_lines)" null
expect_eq "2.6.18: headroom at least doubles" \
	"$(j '[.plan[] | "\(.to) \(.rule) \(.at_least != null)"] | join(",")')" \
	"10000 tw-buckets-headroom true"

# the textfile metrics carry the log figures where there is no counter
at "2025-01-03 10:00:00" R 2.6.18 --root "$K/2.6.18/root" -f prometheus >"$T/prom" 2>/dev/null
expect_grep "2.6.18: prometheus log lines" "^twtune_time_wait_overflow_log_lines 5$" "$T/prom"
expect_grep "2.6.18: prometheus suppressed" "^twtune_time_wait_overflow_log_suppressed 17$" "$T/prom"
expect_grep "2.6.18: prometheus saturated" "^twtune_time_wait_saturated 1$" "$T/prom"

# --- 2.6.32 (RHEL 6): seed 2's host, kern.log and messages hold copies --
expect_rc "2.6.32: overflowing by the log" 2 at "2025-03-10 09:00:00" \
	R 2.6.32 --root "$K/2.6.32/root"
expect_eq "2.6.32: one source, counted once" \
	"$(j '[.kernel.log.lines, .kernel.log.suppressed_up_to, .kernel.log.source] | @tsv')" \
	"4	240	var/log/kern.log"
expect_eq "2.6.32: plan" "$(j '[.plan[] | "\(.from)->\(.to) \(.rule)"] | join(",")')" \
	"10000->20000 tw-buckets-saturated"
expect_eq "2.6.32: headroom overridden by it" \
	"$(j '[.overridden[] | "\(.rule)>\(.by)"] | join(",")')" \
	"tw-buckets-headroom>tw-buckets-saturated"

# the same host with a limit of 0, then -1: either admits no TIME_WAIT
# (before 5.18 the comparison is signed), so doubling is no raise
cp -R "$K/2.6.32" "$T/k0" || exit 99
for v in 0 -1; do
	echo "$v" >"$T/k0/sys/net/ipv4/tcp_max_tw_buckets"
	expect_rc "2.6.32 with $v: overflowing" 2 at "2025-03-10 09:00:00" \
		"$TWTUNE" report -p "$POL" --proc "$T/k0" --state "$T/k0.json" \
		--root "$K/2.6.32/root" -f json
	expect_eq "2.6.32 with $v: a positive limit" \
		"$(j '[.plan[] | "\(.from)->\(.to) \(.rule)"] | join(",")')" \
		"$v->16384 tw-buckets-saturated"
done

# --- OpenVZ 6 node: containers overflow their own limit ------------------
expect_rc "openvz: containers, advice only" 0 at "2025-03-10 09:00:00" \
	R openvz-2.6.32-042stab --root "$K/openvz-2.6.32-042stab/root"
expect_eq "openvz: the container limit" "$(j '[.kernel.openvz, .observations.tw_max_ub] | @tsv')" "true	16536"
expect_eq "openvz: lines and containers" \
	"$(j '[.kernel.log.lines, .kernel.log.suppressed_up_to, .kernel.log.container, .kernel.log.containers_mixed] | @tsv')" \
	"4	291	102	true"
expect_eq "openvz: advice to raise tcp_max_tw_buckets_ub on the node" \
	"$(j '[.advice[].rule] | join(",")')" tw-buckets-container
expect_eq "openvz: nothing twtune can change" "$(j '.plan | length')" 0
expect_grep "openvz: the kernel note" "only the hardware node can change it" "$T/out"

# --- inside an OpenVZ 6 container: envID in status, no _ub, no kernel log -
expect_rc "openvz container: nothing to change here" 0 \
	R openvz-ct-2.6.32-042stab --root "$T/no-such-root"
expect_eq "openvz container: recognised by its envID" \
	"$(j '[.kernel.openvz, .kernel.openvz_container, .observations.tw_max_ub, .observations.tw_count, .observations.tw_max] | @tsv')" \
	"true	101		24812	262144"
expect_eq "openvz container: the node's limits, said" \
	"$(j '[.kernel.notes[] | select(startswith("OpenVZ container 101: the hardware node may hold its TIME_WAIT sockets below tcp_max_tw_buckets"))] | length')" 1
expect_eq "openvz container: a missing --root is named" "$(j .kernel.log.error)" \
	"--root $T/no-such-root: No such file or directory"
expect_eq "openvz container: empty plan" "$(j '.plan | length')" 0
expect_rc "the node: no container" 0 at "2025-03-10 09:00:00" \
	R openvz-2.6.32-042stab --root "$K/openvz-2.6.32-042stab/root"
expect_eq "the node: no container id" "$(j .kernel.openvz_container)" null

# --- 3.10 (RHEL 7): the counter, still one table for the host ------------
expect_rc "3.10: healthy" 0 R 3.10
expect_eq "3.10: counter yes, per namespace no" \
	"$(j '[.kernel.overflow_counter, .kernel.per_namespace, .verdict, .observations.tw_overflows] | @tsv')" \
	"true	false	ok	0"
expect_eq "3.10: counter at zero is the baseline" "$(j .baseline.source)" "counter at zero"
expect_eq "3.10: nothing to change" "$(j '.plan | length')" 0

# --- 4.4 (Ubuntu 16.04): overflowing through the counter -----------------
make_state "$T/4.4.json" 50000 180000 10 "$(boot 4.4)"
expect_rc "4.4: overflowing" 2 R 4.4
expect_eq "4.4: delta" "$(j .observations.tw_overflow_delta)" 2113
D=$(demand 180000 2113)
expect_eq "4.4: steady-state demand" "$(j .observations.tw_demand)" "$D"
expect_eq "4.4: plan" "$(j '[.plan[] | "\(.from)->\(.to)"] | join(",")')" \
	"180000->$(pow2ceil $((D * 2)))"

# --- 4.4 seen from a child namespace: no limit here ----------------------
make_state "$T/4.4-child-netns.json" 700 null 10 "$(boot 4.4-child-netns)"
expect_rc "4.4 child: overflowing, nothing it can change" 3 R 4.4-child-netns
expect_eq "4.4 child: the limit is not in this namespace" \
	"$(j '[.kernel.limit_in_namespace, .kernel.per_namespace, .observations.tw_max, .observations.tw_overflow_delta] | @tsv')" \
	"false	false		31"
expect_eq "4.4 child: empty plan" "$(j '.plan | length')" 0
expect_grep "4.4 child: the reason" \
	"is not in this network namespace: before Linux 4.11 it is the whole host's, set from the initial namespace" "$T/out"

# --- 4.19 (Debian 10): reuse 2 is loopback only --------------------------
expect_rc "4.19: healthy" 0 R 4.19
expect_eq "4.19: facts" \
	"$(j '[.kernel.per_namespace, .kernel.reuse_2_loopback_only, .kernel.negative_limit_unlimited] | @tsv')" \
	"true	true	false"
expect_eq "4.19: nothing to change" "$(j '.plan | length')" 0

# --- before 6.1 the ehash size is known only from the boot line ---------------
expect_eq "4.19: no ehash size" "$(j .observations.ehash_entries)" null
cp -R "$K/4.19" "$T/k419" || exit 99
echo "BOOT_IMAGE=/vmlinuz-4.19.0-27-amd64 root=/dev/sda1 ro thash_entries=100000 quiet" >"$T/k419/cmdline"
"$TWTUNE" report -p "$POL" --proc "$T/k419" --state "$T/k419.json" -f json >"$T/out" 2>/dev/null
expect_eq "4.19 with thash_entries=100000: 2^16 buckets (ilog2)" "$(j .observations.ehash_entries)" 65536
echo "thash_entries=0x40000" >"$T/k419/cmdline"
"$TWTUNE" report -p "$POL" --proc "$T/k419" --state "$T/k419.json" -f json >"$T/out" 2>/dev/null
expect_eq "any base, as the kernel reads it" "$(j .observations.ehash_entries)" 262144
echo "xthash_entries=4096" >"$T/k419/cmdline"
"$TWTUNE" report -p "$POL" --proc "$T/k419" --state "$T/k419.json" -f json >"$T/out" 2>/dev/null
expect_eq "only the option itself" "$(j .observations.ehash_entries)" null

# --- 5.10: -1 admits no TIME_WAIT at all (before 5.18) --------------------
make_state "$T/5.10.json" 1843000 -1 10 "$(boot 5.10)"
expect_rc "5.10: -1 overflows every close" 2 R 5.10
expect_eq "5.10: negative admits none" "$(j '[.kernel.negative_limit_unlimited, .observations.tw_ratio, .observations.tw_saturated, .verdict] | @tsv')" \
	"false	1	1	overflowing"
D=$(demand 0 377)
P=$(pow2ceil $((D * 2)))
# from a limit that admits none: at least 16384 (no tcp_ehash_entries)
[ "$P" -lt 16384 ] && P=16384
expect_eq "5.10: a positive limit planned" \
	"$(j '[.plan[] | "\(.from)->\(.to) \(.rule)"] | join(",")')" \
	"-1->$P tw-buckets-headroom"
# no overflow in the window (nothing closed): -1 still admits none
make_state "$T/5.10.json" 1843377 -1 10 "$(boot 5.10)"
expect_rc "5.10: -1 and a quiet window: still critical" 2 R 5.10
expect_eq "5.10: quiet: 16384 planned" \
	"$(j '[.plan[] | "\(.from)->\(.to) \(.rule)"] | join(",")')" \
	"-1->16384 tw-buckets-headroom"

# --- 6.1: -1 is unlimited (5.18 on) --------------------------------------
expect_rc "6.1: unlimited, nothing to change" 0 R 6.1
expect_eq "6.1: facts" "$(j '[.kernel.negative_limit_unlimited, .observations.tw_ratio, .observations.ehash_entries, .verdict] | @tsv')" \
	"true	0	262144	ok"
expect_eq "6.1: empty plan" "$(j '.plan | length')" 0
expect_grep "6.1: says why" "no TIME_WAIT overflow possible (tcp_max_tw_buckets -1: unlimited)" "$T/out"

# --- 6.18: the counter, reuse delay, ehash bound ---------------------------
make_state "$T/6.18.json" 9000 262144 10 "$(boot 6.18)"
expect_rc "6.18: overflowing" 2 R 6.18
D=$(demand 262144 813)
P=$(pow2ceil $((D * 2)))
# four sockets per ehash bucket: 524288 * 4 = 2097152
[ "$P" -gt 2097152 ] && P=2097152
expect_eq "6.18: plan" "$(j '[.plan[] | "\(.from)->\(.to)"] | join(",")')" "262144->$P"
expect_eq "6.18: tcp_tw_reuse_delay read" "$(j '.sysctls["net.ipv4.tcp_tw_reuse_delay"].value')" 1000

# --- every fixture: the core observations and facts, exactly -------------
# fixture: tw_count tw_max tw_ratio tw_saturated | counter per_namespace
# negative_limit_unlimited reuse_2_loopback_only tw_lifetime_seconds
while read -r k want; do
	at "2025-03-10 09:00:00" R "$k" --root "$T/none" >"$T/out" 2>/dev/null
	got=$(j '[.observations.tw_count, .observations.tw_max, .observations.tw_ratio, .observations.tw_saturated, .kernel.overflow_counter, .kernel.per_namespace, .kernel.negative_limit_unlimited, .kernel.reuse_2_loopback_only, .kernel.tw_lifetime_seconds] | map(tostring) | join(" ")')
	expect_eq "$k: observations and facts" "$got" "$want"
done <<'FIXTURES'
2.6.18 5000 5000 1 1 false false false false 60
2.6.32 10000 10000 1 1 false false false false 60
3.10 2040 262144 0.007781982421875 0 true false false false 60
4.4 180000 180000 1 1 true false false false 60
4.19 3120 131072 0.0238037109375 0 true true false true 60
5.10 0 -1 1 1 true true false true 60
6.1 312000 -1 0 0 true true true true 60
6.18 262144 262144 1 1 true true true true 60
openvz-2.6.32-042stab 24812 262144 0.0946502685546875 0 false false false false 60
FIXTURES

# --- every fixture: the text report names the kernel -----------------------
for k in 3.10 4.19 6.1; do
	"$TWTUNE" report -p "$POL" --proc "$K/$k" --state "$T/$k.json" >"$T/text" 2>&1
	expect_grep "$k: the kernel row" "^  kernel  .*$(cat "$K/$k/sys/kernel/osrelease"): overflow counter" "$T/text"
done
finish
