#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Steady connection churn on the real kernel: one apply, made while the
# table overflows, must size tcp_max_tw_buckets for the steady state, not
# for the few seconds it sampled.  Two rates, 100 and 300 connections a
# second, each in its own throwaway network namespace (run side by side):
# tcp_max_tw_buckets 256, a paced client-side load to one destination,
# after 8 s one `twtune apply --sample 5`, then 75 s (longer than the 60 s
# a socket stays in TIME_WAIT) in which TCPTimeWaitOverflow must not rise
# at all and the new limit must hold the steady TIME_WAIT count.  About
# 90 s.
. "${SRCDIR:-.}/tests/lib.sh"

# TIME_WAIT lasts TCP_TIMEWAIT_LEN, 60 s, in every kernel (include/net/tcp.h)
WARMUP=8 SAMPLE=5 WINDOW=75 STEADY=30
SYS=/proc/sys/net/ipv4

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# what this process started, ended on any exit
lp='' child=''
on_exit() {
	[ -z "$lp" ] || kill "$lp" 2>/dev/null
	[ -z "$child" ] || { kill "$child" 2>/dev/null; wait "$child"; }
	cleanup
}

# churn RATE DIR: the whole run in the current namespace; results in DIR
churn() {
	rate=$1 d=$2
	mkdir -p "$d/sysctl.d" || return 99
	echo 256 >$SYS/tcp_max_tw_buckets || return 99
	# Loopback is the only peer here, and tcp_tw_reuse's default (2)
	# lets loopback connections take over TIME_WAIT ports: 0 makes the
	# load behave like a client of a remote server, so that the steady
	# TIME_WAIT count is rate x 60 s.
	echo 0 >$SYS/tcp_tw_reuse || return 99
	"$TWLOAD" --rate "$rate" --seconds 100 -p 20000 >"$d/twload.out" 2>"$d/twload.err" &
	lp=$!
	sleep $WARMUP
	"$TWTUNE" apply --sample $SAMPLE -p "$POL" --state "$d/state.json" \
		--sysctl-d "$d/sysctl.d" --audit-log "$d/audit.jsonl" -f json \
		>"$d/apply.json" 2>"$d/apply.err"
	echo $? >"$d/apply.rc"
	cat $SYS/tcp_max_tw_buckets >"$d/limit"
	cat $SYS/tcp_tw_reuse >"$d/reuse"
	start=$(now_ms)
	echo "0 $(overflows) $(tw_count)" >"$d/samples"
	# one sample a second, each at its own offset so that the time the
	# reads take does not add up
	i=1
	while [ $i -le $WINDOW ]; do
		wait_ms=$((start + i * 1000 - $(now_ms)))
		[ $wait_ms -le 0 ] || sleep "$((wait_ms / 1000)).$(printf %03d $((wait_ms % 1000)))"
		echo "$(($(now_ms) - start)) $(overflows) $(tw_count)" >>"$d/samples"
		i=$((i + 1))
	done
	kill -TERM "$lp" 2>/dev/null
	wait "$lp"
	echo $? >"$d/twload.rc"
	lp=
}

# In the second namespace: one rate, then out.
if [ -n "${TWTUNE_CHURN_RATE:-}" ]; then
	in_netns
	trap on_exit EXIT
	trap 'exit 130' INT TERM
	churn "$TWTUNE_CHURN_RATE" "$TWTUNE_CHURN_DIR"
	exit $?
fi

in_netns
[ -n "$(overflows)" ] || skip "this kernel has no TCPTimeWaitOverflow counter (Linux 2.6.38 and later have)"
[ -w $SYS/tcp_max_tw_buckets ] || skip "tcp_max_tw_buckets is not per network namespace on this kernel (Linux 4.11 and later)"

# rate 300 in a second, child namespace; rate 100 in this one
trap on_exit EXIT
trap 'exit 130' INT TERM
mkdir -p "$T/r100" "$T/r300" || exit 99
TWTUNE_CHURN_RATE=300 TWTUNE_CHURN_DIR="$T/r300" unshare -n sh "$0" \
	>"$T/r300/child.out" 2>&1 &
child=$!
churn 100 "$T/r100" || exit 99
wait "$child"
crc=$?
child=
[ "$crc" = 0 ] || { echo "# the rate 300 namespace ended with $crc:"; sed 's/^/    | /' "$T/r300/child.out"; }

for rate in 100 300; do
	d=$T/r$rate
	expect_eq "rate $rate/s: apply exit" "$(cat "$d/apply.rc")" 0
	[ "$(cat "$d/apply.rc")" = 0 ] || sed 's/^/    err: /' "$d/apply.err" | head -20
	demand=$(jget "$d/apply.json" .observations.tw_demand 2>/dev/null)
	case $demand in
	'' | null) not_ok "rate $rate/s: the apply's JSON has no .observations.tw_demand" ;;
	*) ok "rate $rate/s: the apply reports its demand estimate" ;;
	esac
	limit=$(cat "$d/limit")
	awk 'NR == 1 { first = $2 } { last = $2 } END { print last - first }' "$d/samples" >"$d/ovdelta"
	ovdelta=$(cat "$d/ovdelta")
	steady=$(awk -v from=$(((WINDOW - STEADY) * 1000)) '$1 >= from && $3 > m { m = $3 } END { print m + 0 }' "$d/samples")
	# the demand measured, whatever the limit: sockets in TIME_WAIT
	# plus those that overflowed in the last 60 s (each would still be
	# in TIME_WAIT), at its highest in the last samples
	measured=$(awk '{ ov[NR - 1] = $2; t[NR - 1] = $3 } END { for (i = 60; i < NR; i++) if (t[i] + ov[i] - ov[i - 60] > m) m = t[i] + ov[i] - ov[i - 60]; print m + 0 }' "$d/samples")
	nsamples=$(wc -l <"$d/samples")
	echo "# rate $rate/s: demand estimate $demand, steady tw $steady, measured demand $measured (limit $limit after apply, tcp_tw_reuse $(cat "$d/reuse"), overflows in ${WINDOW} s: $ovdelta)"

	# the load itself: paced, every connect made (a broken load
	# generator must not pass for a fix)
	expect_eq "rate $rate/s: twload ended cleanly" "$(cat "$d/twload.rc")" 0
	conns=$(twload_field "$d/twload.out" connections)
	secs=$(twload_field "$d/twload.out" seconds)
	expect_eq "rate $rate/s: every connect succeeded" \
		"$(twload_field "$d/twload.out" ok) $(twload_field "$d/twload.out" eaddrnotavail) $(twload_field "$d/twload.out" other_errors)" "$conns 0 0"
	if [ -n "$conns" ] && awk -v c="$conns" -v s="$secs" -v r=$rate 'BEGIN { exit !(c >= r * s - r / 10 && c <= r * s + r / 10 + 1) }'; then
		ok "rate $rate/s: the load kept its pace ($conns connections in $secs s)"
	else
		not_ok "rate $rate/s: the load did not keep its pace ($conns connections in $secs s)"
	fi
	expect_eq "rate $rate/s: $((WINDOW + 1)) samples over ${WINDOW} s" "$nsamples" $((WINDOW + 1))
	# the window really held more TIME_WAIT than the old limit, or the
	# checks below would pass by themselves
	if [ "$steady" -gt 256 ]; then
		ok "rate $rate/s: steady TIME_WAIT ($steady) exceeds the old limit 256"
	else
		not_ok "rate $rate/s: steady TIME_WAIT $steady, not above the old limit 256: the load did not build up"
	fi

	expect_eq "rate $rate/s: TCPTimeWaitOverflow did not rise in the ${WINDOW} s after apply" "$ovdelta" 0
	# TIME_WAIT never exceeds the limit while it overflows, so compare
	# the limit with the measured demand; it equals the steady count
	# when nothing overflows
	if [ "$limit" -ge "$measured" ] && [ "$limit" -ge "$steady" ]; then
		ok "rate $rate/s: new limit $limit >= steady TIME_WAIT $steady and measured demand $measured"
	else
		not_ok "rate $rate/s: new limit $limit < measured demand $measured (steady TIME_WAIT $steady)"
	fi
done
finish
