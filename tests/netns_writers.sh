#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Every writer together, on the real kernel in a throwaway network and
# mount namespace: watches and applies with their own state files sharing
# one audit log and sysctl.d, log rotation (the real logrotate with the
# shipped file) while watch runs, a torn record with watch writing next,
# a full state file system, a SIGHUP storm, wall clock steps, writes that
# keep failing, output that cannot be written, and a value the kernel
# reads back differently.  The audit log must verify after each, and no
# record may be lost or written where nobody looks.
. "${SRCDIR:-.}/tests/lib.sh"
in_netns -m

SYS=/proc/sys/net/ipv4
FP="$SRCDIR/tests/policies/faults"
D="$T/w"
mkdir -p "$D/sysctl.d" "$D/log" "$D/state"
LOG="$D/log/audit.jsonl"

setup() {
	echo 30 >$SYS/tcp_fin_timeout
	echo 5000 >$SYS/tcp_max_tw_buckets
	echo 1 >$SYS/tcp_tw_reuse
}
# tw STATE ARGS: twtune with its own state file, the shared log and sysctl.d
tw() {
	st=$1
	shift
	"$TWTUNE" "$@" --state "$D/state/$st.json" --sysctl-d "$D/sysctl.d" \
		--audit-log "$LOG" --no-sockets --lock-wait 60
}
# a watch in the background, its pid in $!, its log in $T/NAME.log
watch_bg() {
	name=$1
	shift
	"$TWTUNE" watch -v "$@" --state "$D/state/$name.json" \
		--sysctl-d "$D/sysctl.d" --audit-log "$LOG" --no-sockets \
		--interval 0.2 --scan-interval 1 2>"$T/$name.log" &
}
is() { [ "$(cat "$SYS/$1")" = "$2" ]; }
records() { wc -l <"$1" | tr -d ' '; }
verify() {
	if "$TWTUNE" audit verify "$@" >"$T/verify" 2>&1; then
		ok "audit verify $*"
	else
		not_ok "audit verify $*: $(cat "$T/verify")"
	fi
}
stop() {
	for p in "$@"; do kill -TERM "$p" 2>/dev/null; done
	for p in "$@"; do wait "$p" 2>/dev/null; done
}
PIDS=
trap 'kill $PIDS 2>/dev/null; cleanup' EXIT

# ---- two watches and five applies, each with its own state file ---------
setup
rm -f "$LOG"
watch_bg w1 -p "$FP/flip.conf"
W1=$!
watch_bg w2 -p "$FP/flip.conf"
W2=$!
PIDS="$W1 $W2"
sleep 0.5
for i in 1 2 3 4 5; do
	tw "a$i" apply -p "$FP/flip.conf" >"$T/a$i.out" 2>&1 &
	eval "A$i=\$!"
done
rc=0
for i in 1 2 3 4 5; do
	eval "wait \$A$i" || rc=$?
done
expect_eq "five applies beside two watches all succeed" "$rc" 0
sleep 0.6
stop $W1 $W2
verify "$LOG"
expect_eq "no run was taken for interrupted while alive" \
	"$(grep -c '"result":"interrupted"' "$LOG")" 0
expect_eq "every result ok" "$($JQ -r 'select(.phase == "result") | .result' "$LOG" | sort -u)" ok
expect_eq "the persist file holds the live value" \
	"$(grep tcp_fin_timeout "$D/sysctl.d/90-twtune.conf")" \
	"net.ipv4.tcp_fin_timeout = $(cat $SYS/tcp_fin_timeout)"

# ---- six applies at once, each with its own state file --------------------
setup
rm -f "$LOG"
for i in 1 2 3 4 5 6; do
	tw "p$i" apply -p "$FP/flip.conf" >"$T/p$i.out" 2>&1 &
	eval "P$i=\$!"
done
rc=0
for i in 1 2 3 4 5 6; do
	eval "wait \$P$i" || rc=$?
done
expect_eq "six parallel applies with their own state files succeed" "$rc" 0
expect_eq "twelve records, one pair per run" "$(records "$LOG")" 12
verify "$LOG"
expect_eq "six flips end where they began" "$(cat $SYS/tcp_fin_timeout)" 30
expect_eq "and so does the persist file" \
	"$(grep tcp_fin_timeout "$D/sysctl.d/90-twtune.conf")" \
	"net.ipv4.tcp_fin_timeout = 30"

# ---- logrotate twice while watch runs ----------------------------------------
if command -v logrotate >/dev/null && getent group adm >/dev/null; then
	setup
	echo 31 >$SYS/tcp_fin_timeout # nothing to change until asked
	rm -f "$D"/log/audit.jsonl*
	sed "s|^/var/log/twtune/audit.jsonl|$LOG|" \
		"$SRCDIR/etc/logrotate.d/twtune" >"$T/logrotate.conf"
	watch_bg rot -p "$FP/watch3.conf"
	W=$!
	PIDS=$W
	sleep 0.5
	rotate() { logrotate -f -s "$T/logrotate.state" "$T/logrotate.conf"; }
	echo 30 >$SYS/tcp_fin_timeout
	wait_for 5 is tcp_fin_timeout 31
	expect_eq "watch made the first change" "$(cat $SYS/tcp_fin_timeout)" 31
	rotate || not_ok "logrotate failed"
	echo 1000 >$SYS/tcp_max_tw_buckets
	wait_for 5 is tcp_max_tw_buckets 5000
	expect_eq "watch made the second change" "$(cat $SYS/tcp_max_tw_buckets)" 5000
	rotate || not_ok "logrotate failed"
	echo 0 >$SYS/tcp_tw_reuse
	wait_for 5 is tcp_tw_reuse 1
	expect_eq "watch made the third change" "$(cat $SYS/tcp_tw_reuse)" 1
	sleep 0.3
	stop $W
	[ -e "$LOG.2.gz" ] && ok "the oldest file is compressed (delaycompress)" ||
		not_ok "no $LOG.2.gz: $(ls "$D/log")"
	gzip -dc "$LOG.2.gz" >"$T/audit.2" 2>/dev/null
	expect_eq "first change in the oldest file" "$($JQ -r '.changes[0].key' "$T/audit.2" | sort -u)" net.ipv4.tcp_fin_timeout
	expect_eq "second change in the next" "$($JQ -r '.changes[0].key' "$LOG.1" | sort -u)" net.ipv4.tcp_max_tw_buckets
	expect_eq "third change in the current file" "$($JQ -r '.changes[0].key' "$LOG" | sort -u)" net.ipv4.tcp_tw_reuse
	expect_eq "no record lost: 2 + 2 + 2" \
		"$(records "$T/audit.2") $(records "$LOG.1") $(records "$LOG")" "2 2 2"
	verify "$T/audit.2" "$LOG.1" "$LOG"
	expect_eq "a new file's first record names the last record before the rotation" \
		"$(head -n 1 "$LOG" | $JQ -r .prev)" \
		"$(tail -n 1 "$LOG.1" | tr -d '\n' | sha256sum | cut -d' ' -f1)"
	expect_rc "files out of order do not verify" 1 "$TWTUNE" audit verify "$LOG" "$LOG.1"
else
	echo "# logrotate (or the adm group) missing: rotation not tested here"
	not_ok "logrotate is needed (sh tools/install-deps.sh --test)"
fi

# ---- a torn record, with watch writing next ------------------------------------
setup
rm -f "$D"/log/audit.jsonl*
tw t1 apply -p "$FP/flip.conf" >/dev/null 2>&1
printf '{"run":"x","phase":"result","mo' >>"$LOG"
expect_rc "audit verify sees the torn record" 1 "$TWTUNE" audit verify "$LOG"
echo 30 >$SYS/tcp_fin_timeout
watch_bg torn -p "$FP/watch3.conf"
W=$!
PIDS=$W
wait_for 5 is tcp_fin_timeout 31
sleep 0.3
stop $W
verify "$LOG"
expect_eq "watch cut the torn record before writing" \
	"$(tail -n 1 "$LOG" | $JQ -r '.audit_cut_bytes')" 31
expect_eq "its records are whole lines of their own" "$(records "$LOG")" 4

# ---- a full state file system under watch ----------------------------------------
setup
rm -f "$D"/log/audit.jsonl* "$D"/state/*
mkdir -p "$T/small"
if mount -t tmpfs -o size=16k tmpfs "$T/small"; then
	ST="$T/small/state.json"
	# twtune's first write is on record in a state file
	"$TWTUNE" apply -p "$FP/flip.conf" --state "$ST" --sysctl-d "$D/sysctl.d" \
		--audit-log "$LOG" --no-sockets >/dev/null 2>&1
	expect_eq "apply flipped to 31" "$(cat $SYS/tcp_fin_timeout)" 31
	dd if=/dev/zero of="$T/small/filler" bs=1k count=64 2>/dev/null
	"$TWTUNE" watch -v -p "$FP/flip.conf" --state "$ST" --sysctl-d "$D/sysctl.d" \
		--audit-log "$LOG" --no-sockets --interval 0.2 2>"$T/enospc.log" &
	W=$!
	PIDS=$W
	wait_for 5 is tcp_fin_timeout 30
	sleep 1.5
	stop $W
	expect_eq "watch made its change" "$(cat $SYS/tcp_fin_timeout)" 30
	expect_eq "the failed state save is logged, once" \
		"$(grep -c "No space left on device (deltas need it" "$T/enospc.log")" 1
	if grep -q "someone else changed it" "$T/enospc.log"; then
		not_ok "watch took its own write for someone else's"
		grep "someone else" "$T/enospc.log" | head -3
	else
		ok "watch never took its own write for someone else's"
	fi
	verify "$LOG"
	umount "$T/small"
else
	not_ok "cannot mount a tmpfs in the test's mount namespace"
fi

# ---- a SIGHUP storm: the ticks go on ------------------------------------------------
setup
rm -f "$D"/log/audit.jsonl* "$D"/state/*
"$TWTUNE" watch -v -p "$FP/watch3.conf" --state "$D/state/hup.json" \
	--sysctl-d "$D/sysctl.d" --audit-log "$LOG" --no-sockets \
	--interval 1 2>"$T/hup.log" &
W=$!
PIDS=$W
sleep 0.5
(i=0; while [ $i -lt 30 ]; do kill -HUP $W 2>/dev/null; sleep 0.2; i=$((i + 1)); done) &
STORM=$!
PIDS="$W $STORM"
sleep 0.3
echo 1000 >$SYS/tcp_max_tw_buckets
if wait_for 4 is tcp_max_tw_buckets 5000 && kill -0 $STORM 2>/dev/null; then
	ok "watch ticks through a SIGHUP every 0.2 s (interval 1 s)"
else
	not_ok "no tick during the SIGHUP storm"
fi
wait $STORM
expect_grep "every SIGHUP reloaded" "reload: 3 rules from 1 files" "$T/hup.log"
stop $W
verify "$LOG"

# ---- wall clock steps: intervals run on the monotonic clock ----------------------------
FT=$(ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -1)
if [ -n "$FT" ]; then
	setup
	rm -f "$D"/log/audit.jsonl* "$D"/state/*
	echo "+0" >"$T/clock"
	ASAN_OPTIONS=verify_asan_link_order=0 LD_PRELOAD=$FT FAKETIME_TIMESTAMP_FILE="$T/clock" FAKETIME_NO_CACHE=1 \
		FAKETIME_DONT_FAKE_MONOTONIC=1 \
		"$TWTUNE" watch -v -p "$FP/flip.conf" --state "$D/state/clock.json" \
		--sysctl-d "$D/sysctl.d" --audit-log "$LOG" --no-sockets \
		--interval 0.2 2>"$T/clock.log" &
	W=$!
	PIDS=$W
	wait_for 5 is tcp_fin_timeout 31
	t0=$(cut -d' ' -f1 /proc/uptime) # (monotonic, not faked here)
	expect_eq "watch flipped once" "$(cat $SYS/tcp_fin_timeout)" 31
	echo "+2m" >"$T/clock"   # the wall clock jumps two minutes ahead
	sleep 1.5
	expect_eq "the 60 s cooldown holds across a forward step" \
		"$(cat $SYS/tcp_fin_timeout)" 31
	expect_grep "and says why" "less than 60 s ago" "$T/clock.log"
	echo "-1h" >"$T/clock"   # and an hour back
	# Every tick while the cooldown holds says so once: count them.  A
	# wait for the next tick timed on the wall clock would now last an
	# hour.
	sleep 0.3
	n0=$(grep -c "less than 60 s ago" "$T/clock.log")
	sleep 2
	ticks=$(($(grep -c "less than 60 s ago" "$T/clock.log") - n0))
	if [ "$ticks" -ge 6 ] && [ "$ticks" -le 14 ]; then
		ok "after a backward step watch still ticks: $ticks ticks in 2 s at 0.2 s"
	else
		not_ok "after a backward step: $ticks ticks in 2 s at 0.2 s (want 6..14)"
	fi
	expect_eq "the cooldown holds across a backward step" \
		"$(cat $SYS/tcp_fin_timeout)" 31
	# and ends 60 s after the first flip, not an hour later (a cooldown
	# on the wall clock would end at the wall clock's 60 s, an hour
	# away now)
	wait_for 70 is tcp_fin_timeout 30
	t1=$(cut -d' ' -f1 /proc/uptime)
	expect_eq "the cooldown ended" "$(cat $SYS/tcp_fin_timeout)" 30
	if awk -v a="$t0" -v b="$t1" 'BEGIN { d = b - a; exit !(d >= 59 && d <= 63) }'; then
		ok "on the monotonic schedule: flipped back $(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }') s after the first flip"
	else
		not_ok "flipped back $(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }') s after the first flip (want 59..63)"
	fi
	stop $W
	verify "$LOG"
	expect_eq "two runs audited, the flip and the flip back" \
		"$($JQ -r 'select(.phase == "result") | .result' "$LOG" | tr '\n' ' ')" "ok ok "
else
	not_ok "libfaketime is needed for the clock steps (sh tools/install-deps.sh --test)"
fi

# ---- writes that keep failing are backed off --------------------------------------
setup
rm -f "$D"/log/audit.jsonl* "$D"/state/*
# a read-only /proc/sys in a mount namespace of its own
unshare -m --propagation private sh -c "
	mount --bind /proc/sys /proc/sys && mount -o remount,bind,ro /proc/sys &&
		exec '$TWTUNE' watch -v -p '$FP/flip.conf' --state '$D/state/ro.json' \
			--sysctl-d '$D/sysctl.d' --audit-log '$LOG' --no-sockets \
			--interval 0.2 --scan-interval 1" 2>"$T/ro.log" &
W=$!
PIDS=$W
sleep 3
stop $W
tries=$(grep -c '"phase":"intent"' "$LOG")
if [ "$tries" -ge 2 ] && [ "$tries" -le 6 ]; then
	ok "failing writes backed off: $tries tries in 3 s at 0.2 s ticks"
else
	not_ok "failing writes: $tries tries in 3 s at 0.2 s ticks (want 2..6)"
fi
expect_eq "said once" "$(grep -c "writes keep failing" "$T/ro.log")" 1
expect_eq "each try rolled back" \
	"$($JQ -r 'select(.phase == "result") | .result' "$LOG" | sort -u)" failed
verify "$LOG"

# ---- a change that stands but whose output cannot be written: exit 4 ------------
setup
rm -f "$D"/log/audit.jsonl* "$D"/state/*
tw o1 apply -p "$FP/flip.conf" >/dev/full 2>"$T/err"
expect_eq "apply with standard output full exits 4" "$?" 4
expect_eq "and the change stands" "$(cat $SYS/tcp_fin_timeout)" 31
expect_eq "audited ok" "$(tail -n 1 "$LOG" | $JQ -r .result)" ok
mkdir -p "$T/outdir/report.json"
expect_rc "apply with --output at a directory" 4 tw o2 apply -p "$FP/flip.conf" \
	-f json --output "$T/outdir/report.json"
expect_eq "and the change stands" "$(cat $SYS/tcp_fin_timeout)" 30
verify "$LOG"

# ---- a value the kernel takes but reads back differently -------------------------
K=$SYS/neigh/lo/base_reachable_time_ms
old=$(cat $K)
echo 1001 >$K
if [ "$(cat $K)" = 1001 ]; then
	echo "# this kernel keeps milliseconds exactly (HZ=1000): no read-back to test"
else
	echo "$old" >$K
	cat >"$T/ms.conf" <<'P'
rules = ( { id = "odd-ms"; sysctl = "net.ipv4.neigh.lo.base_reachable_time_ms";
            when = "current != 1001"; value = 1001; direction = "any"; } );
P
	expect_rc "a value that reads back differently" 1 tw ms apply -p "$T/ms.conf" --no-persist
	expect_grep "says so" "wrote 1001 but it reads back differently" "$T/err"
	expect_eq "rolled back" "$(cat $K)" "$old"
	expect_eq "audited" "$(tail -n 1 "$LOG" | $JQ -r .result)" rolled_back
fi
echo "$old" >$K
verify "$LOG"

finish
