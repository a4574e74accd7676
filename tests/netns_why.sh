#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# "Why": who makes the TIME_WAIT, on the real kernel in a throwaway network
# namespace, with small named services (tests/whyload):
#  - shopfront, alone in a cgroup of its own, serves 127.0.0.1:8080 and
#    closes first: 300 requests leave 300 TIME_WAIT on :8080, and the
#    report names the port, shopfront, its pid and cgroup, and advises
#    keep-alive;
#  - billing, running as nobody in a cgroup it shares with a root process,
#    keeps one pooled connection to a sink on 127.0.0.1:5432 and makes 200
#    short connections that it closes first: the report names :5432,
#    billing and its pid (the socket's user picks it), and advises a pool;
#  - twload leaves 50 TIME_WAIT on :7000 where nothing listens any more,
#    and kiosk 20 on :8443 from the test's own cgroup, which it shares with
#    other processes: named by its socket in /proc/PID/fd, which twtune's
#    helper (CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH only) reads for it
#    under Landlock, for
#    billing (another user's) too; without CAP_SYS_PTRACE to give the
#    helper, kiosk is not named under Landlock, with the reason;
#  - the churn rates over a --sample window match the connections made in
#    it, exactly;
#  - JSON causes, the text Why section and the Prometheus series agree;
#  - in a second namespace, a full table (tcp_max_tw_buckets 50) that
#    overflows: the caveat, the overflow's direction, and the churn;
#  - in a third, edgeproxy (alone in its cgroup) opens a new upstream
#    connection per request and closes both first: one owner both ways,
#    told it churns both ways;
#  - in a fourth, a stale full table: 50 incoming TIME_WAIT more than 10 s
#    old, then 300 outgoing connections that all overflow it within the
#    sample window: the old sockets do not stand for the overflow, whose
#    direction is unknown ("only 0 of the TIME_WAIT in the table got a
#    bucket in the last 10 s"), and loopback's churn does not tell either;
#  - in a fifth, A, joined by a veth pair to a sixth, B, where a server
#    listens: A's table of 50 is full of connections to B that A closed
#    first, and 300 more overflow it in the window; A accepts none, so the
#    churn alone says the overflow is outgoing ("more than the 0/s
#    connections accepted").
. "${SRCDIR:-.}/tests/lib.sh"
: "${WHYLOAD:?WHYLOAD must point at tests/whyload}"
: "${TWLOAD:?TWLOAD must point at tests/twload}"

SYS=/proc/sys/net/ipv4
R() { "$TWTUNE" report -p "$POL" --state "$T/state.json" "$@"; }

# expect_has WHAT TEXT WANT: TEXT contains WANT
expect_has() {
	case $2 in
	*"$3"*) ok "$1" ;;
	*) not_ok "$1: no '$3' in '$2'" ;;
	esac
}

# sample_overflow NAME ACCEPTED WHAT LOAD...: report --sample 3 -f json
# into $T/NAME.json, with LOAD (300 connections that all overflow a full
# table) run a second into its window; then what every such phase checks:
# 300 overflows, 300 connections opened and ACCEPTED accepted in the
# window, a full table, and a caveat that counts them.  j reads the JSON.
sample_overflow() {
	name=$1 accepted=$2 what=$3
	shift 3
	R --sample 3 -f json >"$T/$name.json" 2>"$T/$name.err" &
	RP=$!
	BG="${BG:-} $RP"
	sleep 1
	expect_rc "$what" 0 "$@"
	wait $RP
	j() { jget "$T/$name.json" "$1"; }
	expect_eq "overflows in the window" "$(j .observations.tw_overflow_delta)" 300
	expect_eq "connections opened in the window" \
		"$(j '.observations.active_open_rate * .baseline.window_seconds | round')" 300
	expect_eq "connections accepted in the window" \
		"$(j '.observations.passive_open_rate * .baseline.window_seconds | round')" "$accepted"
	expect_eq "the table is full" "$(j .why.full)" true
	expect_has "the caveat counts the overflows" "$(j .why.caveat)" "300 more closed without one"
}

# ---- a full table that overflows, in a namespace of its own -------------
if [ "${TWTUNE_WHY_PHASE:-}" = overflow ]; then
	ip link set lo up || exit 99
	echo "40000 60999" >$SYS/ip_local_port_range
	echo 0 >$SYS/tcp_tw_reuse
	echo 50 >$SYS/tcp_max_tw_buckets
	expect_rc "60 connections fill the table of 50" 0 "$TWLOAD" -n 60 -p 6000
	sample_overflow o 300 "300 more within the sample window" "$TWLOAD" -n 300 -p 6000
	expect_has "the caveat says the dump is what got a bucket" "$(j .why.caveat)" \
		"the dump holds only the 50 TIME_WAIT sockets that got a bucket"
	expect_eq "the overflow's direction" "$(j .why.overflow_direction)" outgoing
	# loopback counts each connection both ways: the table decides
	expect_has "why that direction" "$(j .why.caveat)" \
		"the TIME_WAIT that got a bucket in the last 10 s is 100% outgoing and 0% incoming, and the churn"
	expect_has "the churn line" "$(j .why.churn)" "/s opened by this host"
	expect_eq "the cause" "$(j '.causes[0] | "\(.kind) \(.remote) \(.time_wait) \(.share)"')" \
		"outgoing 127.0.0.1:6000 50 1"
	expect_eq "nobody holds a connection to it" "$(j .causes[0].named)" \
		"not named: no connection to it is open now"
	# no established connection in the dump: no second walk of the table
	if command -v strace >/dev/null; then
		ASAN_OPTIONS=detect_leaks=0 strace -f -e trace=sendto -o "$T/o.strace" \
			"$TWTUNE" report -p "$POL" --state "$T/state.json" -f json >/dev/null 2>&1
		expect_eq "no filtered dump of established connections" \
			"$(grep -c 'idiag_states=1<<TCP_ESTABLISHED,' "$T/o.strace")" 0
	fi
	R --sample 1 >"$T/o.txt" 2>/dev/null
	expect_grep "text: the caveat" "full table .*the table is full: the dump holds only the 50" "$T/o.txt"
	# no traffic in this window: no overflow, and what enters is told apart
	expect_grep "text: the direction" "No overflow was counted; what enters it is most likely outgoing" "$T/o.txt"
	finish
fi

# ---- a stale full table, overflowed the other way -----------------------
# (why.c used to take the old sockets' direction, "incoming", for it)
if [ "${TWTUNE_WHY_PHASE:-}" = stale ]; then
	ip link set lo up || exit 99
	echo "40000 60999" >$SYS/ip_local_port_range
	echo 0 >$SYS/tcp_tw_reuse
	echo 50 >$SYS/tcp_max_tw_buckets
	expect_rc "60 incoming connections fill the table of 50" 0 \
		"$TWLOAD" --incoming -n 60 -p 6100
	# until none of them got its bucket in the last 10 s (50 s or more
	# left of its 60)
	sleep 11
	ss -Htan state time-wait -o >"$T/ss.out"
	expect_eq "TIME_WAIT in the table" "$(wc -l <"$T/ss.out")" 50
	expect_eq "all of them incoming, on :6100" "$(grep -c '^0 *0 *127\.0\.0\.1:6100 ' "$T/ss.out")" 50
	expect_eq "none of them young" \
		"$(grep -c -e 'timewait,[5-9][0-9]sec' -e 'timewait,[0-9]*min' "$T/ss.out")" 0
	sample_overflow s 300 "300 outgoing connections within the sample window" \
		"$TWLOAD" -n 300 -p 6200
	expect_eq "the overflow's direction" "$(j .why.overflow_direction)" unknown
	expect_has "why unknown: the table is stale" "$(j .why.caveat)" \
		"The overflow is of unknown direction: only 0 of the TIME_WAIT in the table got a bucket in the last 10 s"
	expect_has "and the churn does not tell" "$(j .why.caveat)" "does not tell the two apart"
	expect_eq "the table's cause is the old one" \
		"$(j '[.causes[] | "\(.kind) \(.local_port) \(.time_wait)"] | join(",")')" "incoming 6100 50"
	finish
fi

# ---- a full table overflowed by connections across a veth pair ----------
if [ "${TWTUNE_WHY_PHASE:-}" = veth ]; then
	ip link set lo up || exit 99
	echo "40000 60999" >$SYS/ip_local_port_range
	echo 0 >$SYS/tcp_tw_reuse
	echo 50 >$SYS/tcp_max_tw_buckets
	command -v nsenter >/dev/null || skip "nsenter (util-linux) not found"
	# B: a namespace of its own, which lives as long as this sleep (and
	# the server entered into it); A is this one
	unshare -n sleep 30 &
	HOLD=$!
	B_PIDS=$HOLD
	stop_b() {
		for p in $B_PIDS ${BG:-}; do kill "$p" 2>/dev/null; done
		for p in $B_PIDS ${BG:-}; do wait "$p" 2>/dev/null; done
		cleanup
	}
	trap stop_b EXIT
	# and when killed (a harness's timeout, ^C, a closed pipe)
	trap 'exit 129' HUP PIPE
	trap 'exit 130' INT
	trap 'exit 143' TERM
	in_b() { nsenter -t "$HOLD" -n "$@"; }
	b_apart() { [ "$(readlink /proc/"$HOLD"/ns/net)" != "$(readlink /proc/$$/ns/net)" ]; }
	wait_for 5 b_apart || { echo "namespace B did not come up"; exit 99; }
	ip link add twwhyA type veth peer name twwhyB netns "$HOLD" 2>"$T/veth.err" ||
		skip "cannot create a veth pair: $(cat "$T/veth.err")"
	{ ip addr add 10.77.0.1/24 dev twwhyA && ip link set twwhyA up &&
		in_b ip link set lo up && in_b ip addr add 10.77.0.2/24 dev twwhyB &&
		in_b ip link set twwhyB up; } || exit 99
	# not through in_b: $! must be the server (nsenter execs it), not a
	# subshell that stop_b would kill and leave the server behind
	nsenter -t "$HOLD" -n "$WHYLOAD" serve --name backend -a 10.77.0.2 -p 9000 \
		--seconds 30 >"$T/b.out" &
	SRV=$!
	B_PIDS="$B_PIDS $SRV"
	if wait_for 5 grep -qs listening "$T/b.out"; then
		ok "B's server listens on 10.77.0.2:9000"
	else
		not_ok "B's server did not start"
		finish
	fi
	expect_eq "the server to stop on exit" "$(cat /proc/"$SRV"/comm)" backend
	expect_eq "nothing listens in A" "$(ss -Htln | wc -l)" 0
	expect_eq "B's server is not in A" "$(ss -Htln 'sport = :9000' | wc -l)" 0
	expect_rc "60 connections to B that A closes first" 0 \
		"$TWLOAD" --remote -a 10.77.0.2 -p 9000 -n 60
	ss -Htan state time-wait >"$T/ss.out"
	expect_eq "A's table of 50 is full of them" "$(grep -c '^0 *0 *10\.77\.0\.1:[0-9]* *10\.77\.0\.2:9000$' "$T/ss.out")" 50
	# (A accepts none: B's server takes them)
	sample_overflow v 0 "300 more within the sample window" \
		"$TWLOAD" --remote -a 10.77.0.2 -p 9000 -n 300
	expect_eq "the overflow's direction" "$(j .why.overflow_direction)" outgoing
	expect_has "why outgoing: the churn" "$(j .why.caveat)" \
		"more than the 0/s connections accepted, so at least 100% of it is outgoing"
	expect_has "the churn line" "$(j .why.churn)" "/s opened by this host, 0/s accepted"
	expect_eq "the cause" "$(j '[.causes[] | "\(.kind) \(.remote) \(.time_wait)"] | join(",")')" \
		"outgoing 10.77.0.2:9000 50"
	finish
fi

# ---- a proxy without keep-alive either way, in a namespace of its own ----
if [ "${TWTUNE_WHY_PHASE:-}" = proxy ]; then
	: "${TWTUNE_WHY_CG:?}"
	ip link set lo up || exit 99
	echo "40000 60999" >$SYS/ip_local_port_range
	echo 0 >$SYS/tcp_tw_reuse
	"$WHYLOAD" serve --name upstream -p 5433 >"$T/up.out" &
	UP=$!
	wait_for 5 grep -qs listening "$T/up.out" || not_ok "the upstream did not start"
	sh -c 'echo $$ >"$1/cgroup.procs" && exec "$2" proxy --name edgeproxy -p 8081 -u 5433' \
		sh "$TWTUNE_WHY_CG" "$WHYLOAD" >"$T/px.out" &
	PX=$!
	trap 'kill $UP $PX 2>/dev/null; wait $UP $PX 2>/dev/null; cleanup' EXIT
	wait_for 5 grep -qs listening "$T/px.out" || not_ok "edgeproxy did not start"
	expect_rc "40 requests through edgeproxy" 0 "$WHYLOAD" get --name shopper -p 8081 -n 40
	expect_rc "report -f json" 0 R -f json
	cp "$T/out" "$T/p.json"
	p() { jget "$T/p.json" "$1"; }
	expect_eq "two causes, one each way" "$(p '[.causes[] | "\(.kind) \(.local_port) \(.remote) \(.time_wait) \(.process) \(.pid)"] | sort | join(",")')" \
		"incoming 8081 null 40 edgeproxy $PX,outgoing null 127.0.0.1:5433 40 edgeproxy $PX"
	expect_eq "both are the proxy's" "$(p '[.causes[] | select(.proxy)] | length')" 2
	expect_has "advice: both ways" "$(p .causes[0].advice)" "edgeproxy churns both ways"
	expect_has "advice: upstream keep-alive" "$(p .causes[1].advice)" "keepalive in the upstream block"
	finish
fi

in_netns
command -v setpriv >/dev/null || skip "setpriv (util-linux) not found"
CG=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
[ -n "$CG" ] || skip "no cgroup2 file system mounted: the services need cgroups of their own"
rel=$(uname -r)
major=${rel%%.*}
minor=${rel#*.}
minor=${minor%%[!0-9]*}
[ "$major" -gt 5 ] || { [ "$major" -eq 5 ] && [ "$minor" -ge 7 ]; } ||
	skip "Linux $rel sends no socket cgroup id (INET_DIAG_CGROUP_ID is 5.7+)"
SHOP="$CG/twtune-why-$$-shopfront.scope"
BILL="$CG/twtune-why-$$-billing.scope"
PROXY="$CG/twtune-why-$$-edgeproxy.scope"
mkdir "$SHOP" 2>/dev/null || skip "cannot create a cgroup under $CG"
mkdir "$BILL" "$PROXY" || { rmdir "$SHOP" "$BILL" 2>/dev/null; exit 99; }
PIDS=
stop_all() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	rmdir "$SHOP" "$BILL" "$PROXY"
	cleanup
}
trap stop_all EXIT

echo "40000 60999" >$SYS/ip_local_port_range
echo 0 >$SYS/tcp_tw_reuse

# a service alone in its cgroup, as systemd would start it
sh -c 'echo $$ >"$1/cgroup.procs" && exec "$2" serve --name shopfront -p 8080 --close-first' \
	sh "$SHOP" "$WHYLOAD" >"$T/shop.out" &
SHOP_PID=$!
PIDS="$PIDS $SHOP_PID"
"$WHYLOAD" serve --name sink -p 5432 >"$T/sink.out" &
PIDS="$PIDS $!"
if wait_for 5 grep -qs listening "$T/shop.out" && wait_for 5 grep -qs listening "$T/sink.out"; then
	ok "shopfront and the sink listen"
else
	not_ok "shopfront or the sink did not start"
	finish
fi

# churn: 100 requests inside a 3 s sample window, nothing else
R --sample 3 -f json >"$T/churn.json" 2>"$T/churn.err" &
RP=$!
sleep 1
expect_rc "100 requests to shopfront" 0 "$WHYLOAD" get --name shopper -p 8080 -n 100
wait $RP
expect_eq "passive_open_rate over the window" \
	"$(jget "$T/churn.json" '.observations.passive_open_rate * .baseline.window_seconds | round')" 100
expect_eq "active_open_rate over the window" \
	"$(jget "$T/churn.json" '.observations.active_open_rate * .baseline.window_seconds | round')" 100
expect_rc "200 more requests to shopfront" 0 "$WHYLOAD" get --name shopper -p 8080 -n 200

# billing as nobody, next to a root process in the same cgroup
sh -c 'echo $$ >"$1/cgroup.procs" && exec sleep 100' sh "$BILL" &
PIDS="$PIDS $!"
sh -c 'echo $$ >"$1/cgroup.procs" && exec setpriv --reuid=65534 --regid=65534 --clear-groups "$2" pool --name billing -p 5432 -n 200' \
	sh "$BILL" "$WHYLOAD" >"$T/bill.out" 2>"$T/bill.err" &
BILL_PID=$!
PIDS="$PIDS $BILL_PID"
if wait_for 5 grep -qs "done 200" "$T/bill.out"; then
	ok "billing made 200 short connections and keeps its pool"
else
	not_ok "billing did not finish: $(cat "$T/bill.err")"
fi

# nothing listens on :7000 once twload is gone; kiosk shares our cgroup
expect_rc "50 incoming TIME_WAIT on :7000" 0 "$TWLOAD" -n 50 -p 7000 --incoming
"$WHYLOAD" serve --name kiosk -p 8443 --close-first >"$T/kiosk.out" &
KIOSK_PID=$!
PIDS="$PIDS $!"
wait_for 5 grep -qs listening "$T/kiosk.out" || not_ok "kiosk did not start"
expect_rc "20 requests to kiosk" 0 "$WHYLOAD" get --name shopper -p 8443 -n 20

# the last FINs may still be in a deferred softirq on a busy machine
tw_is() { [ "$(tw_count)" = "$1" ]; }
wait_for 5 tw_is 570 || not_ok "570 TIME_WAIT did not form: $(grep TCP: /proc/net/sockstat)"
expect_rc "report -f json" 0 R -f json
cp "$T/out" "$T/j"
# billing's pool is open: one filtered dump finds it (and the peers)
if command -v strace >/dev/null; then
	ASAN_OPTIONS=detect_leaks=0 strace -f -e trace=sendto -o "$T/strace" \
		"$TWTUNE" report -p "$POL" --state "$T/state.json" -f json >/dev/null 2>&1
	expect_eq "one filtered dump of established connections" \
		"$(grep -c 'idiag_states=1<<TCP_ESTABLISHED,' "$T/strace")" 1
fi
j() { jget "$T/j" "$1"; }
# cause WHERE FIELDS: the fields of the cause selected by WHERE
cause() { jget "$T/j" "[.causes[] | select($1)][0] | $2"; }
expect_eq "TIME_WAIT in the dump" "$(j .why.time_wait)" 570
expect_eq "biggest cause" "$(j '.causes[0] | "\(.kind) \(.local_port) \(.remote) \(.time_wait)"')" \
	"incoming 8080 null 300"
expect_eq "shopfront named" "$(j '.causes[0] | "\(.process) \(.pid)"')" "shopfront $SHOP_PID"
expect_eq "shopfront's unit" "$(j .causes[0].unit)" "twtune-why-$$-shopfront.scope"
expect_has "shopfront's advice: keep-alive" "$(j .causes[0].advice)" "enable HTTP keep-alive or let clients close first"
expect_has "shopfront's advice: nginx" "$(j .causes[0].advice)" "keepalive_timeout"
expect_has "shopfront's advice: SO_LINGER" "$(j .causes[0].advice)" "SO_LINGER {1, 0}"
expect_eq "share of the biggest cause" "$(j '.causes[0].share * 570 | round')" 300
expect_eq "billing's cause" "$(j '.causes[1] | "\(.kind) \(.local_port) \(.remote) \(.time_wait)"')" \
	"outgoing null 127.0.0.1:5432 200"
expect_eq "billing named by the socket's user" "$(j '.causes[1] | "\(.process) \(.pid)"')" "billing $BILL_PID"
expect_has "billing's advice: a pool" "$(j .causes[1].advice)" "use a connection pool or persistent connections"
expect_eq "nothing listens on :7000" "$(cause '.local_port == 7000' '"\(.time_wait) \(.process) \(.pid)"')" "50 null null"
expect_has "the advice says so" "$(cause '.local_port == 7000' .advice)" "nothing listens on :7000 now"
expect_eq "kiosk, sharing a cgroup, named by its socket" \
	"$(cause '.local_port == 8443' '"\(.process) \(.pid)"')" "kiosk $KIOSK_PID"
case $(j .sandbox) in
landlock*)
	expect_eq "by twtune's helper under Landlock" "$(cause '.local_port == 8443' .named)" \
		"its socket is in /proc/$KIOSK_PID/fd (found by twtune's helper)"
	expect_eq "billing's too, another user's process" "$(j .causes[1].named)" \
		"its socket is in /proc/$BILL_PID/fd (found by twtune's helper)"
	;;
esac
# without CAP_SYS_PTRACE there is no helper
NOPTRACE="setpriv --bounding-set=-sys_ptrace --inh-caps=-sys_ptrace"
expect_rc "report without CAP_SYS_PTRACE" 0 $NOPTRACE "$TWTUNE" report -p "$POL" \
	--state "$T/state.json" -f json
cp "$T/out" "$T/j2"
case $(j .sandbox) in
landlock*)
	expect_eq "kiosk not named then" "$(jget "$T/j2" '[.causes[] | select(.local_port == 8443)][0].process')" null
	expect_has "and why" "$(jget "$T/j2" '[.causes[] | select(.local_port == 8443)][0].named')" \
		"Landlock keeps other processes' /proc/PID/fd closed to twtune, and it has no helper to look: twtune does not have both CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH to give it"
	expect_eq "billing still named" "$(jget "$T/j2" '.causes[1] | "\(.process) \(.pid)"')" "billing $BILL_PID"
	expect_has "by its cgroup and user" "$(jget "$T/j2" .causes[1].named)" \
		"the only process of the socket's user in cgroup /"
	;;
*)
	expect_eq "kiosk named by twtune itself" "$(jget "$T/j2" '[.causes[] | select(.local_port == 8443)][0].named')" \
		"its socket is in /proc/$KIOSK_PID/fd"
	;;
esac
expect_eq tw_top_service_share "$(j '.observations.tw_top_service_share * 570 | round')" 300
expect_eq tw_top_destination_share "$(j '.observations.tw_top_destination_share * 570 | round')" 200
expect_eq "not a full table" "$(j .why.full)" false
expect_eq "no proxy here" "$(j '[.causes[] | select(.proxy)] | length')" 0

expect_rc "text report" 0 R
expect_grep "text: the Why section" "^Why (TIME_WAIT by cause, of the 570 in the socket dump)" "$T/out"
expect_grep "text: shopfront" "incoming :8080  *300  *52.6%  shopfront (pid $SHOP_PID, twtune-why-$$-shopfront.scope)" "$T/out"
expect_grep "text: billing" "outgoing 127.0.0.1:5432  *200  *35.1%  billing (pid $BILL_PID, twtune-why-$$-billing.scope)" "$T/out"
expect_grep "text: only the top 3" "(1 more in the JSON report)" "$T/out"
expect_grep "text: the Why section comes before the sockets" "^Sockets" "$T/out"
[ "$(grep -n '^Why' "$T/out" | cut -d: -f1)" -lt "$(grep -n '^Sockets' "$T/out" | cut -d: -f1)" ] &&
	ok "Why is right after the TIME_WAIT section" || not_ok "Why is not before Sockets"

expect_rc "prometheus with sockets" 0 R -f prometheus --sockets
expect_grep "prometheus: shopfront" 'twtune_time_wait_cause_sockets{kind="incoming",port="8080",process="shopfront"} 300$' "$T/out"
expect_grep "prometheus: billing" 'twtune_time_wait_cause_sockets{kind="outgoing",remote="127.0.0.1:5432",process="billing"} 200$' "$T/out"
expect_eq "prometheus: the top causes only" "$(grep -c '^twtune_time_wait_cause_sockets' "$T/out")" 4
if command -v promtool >/dev/null; then
	promtool check metrics <"$T/out" >"$T/promtool.out" 2>&1
	expect_eq "promtool check metrics" "$?" 0
else
	echo "# promtool not installed (Debian package prometheus): not checked by it"
fi
expect_rc "prometheus without sockets" 0 R -f prometheus
expect_eq "no cause series without a dump" "$(grep -c 'twtune_time_wait_cause' "$T/out")" 0

expect_rc "--no-sockets" 0 R --no-sockets -f json
expect_eq "no causes without the dump" "$(jget "$T/out" '.causes | length')" 0
expect_eq "and why" "$(jget "$T/out" '"\(.why.known) \(.why.unknown)"')" "false --no-sockets"

# the full table, in a namespace of its own
TWTUNE_WHY_PHASE=overflow unshare -n sh "$0" >"$T/phase.out" 2>&1
rc=$?
sed 's/^/  [full table] /' "$T/phase.out"
expect_eq "the full-table checks" "$rc" 0

# a proxy, in a namespace of its own
TWTUNE_WHY_PHASE=proxy TWTUNE_WHY_CG="$PROXY" unshare -n sh "$0" >"$T/phase.out" 2>&1
rc=$?
sed 's/^/  [proxy] /' "$T/phase.out"
expect_eq "the proxy checks" "$rc" 0

# a stale full table, in a namespace of its own
TWTUNE_WHY_PHASE=stale unshare -n sh "$0" >"$T/phase.out" 2>&1
rc=$?
sed 's/^/  [stale table] /' "$T/phase.out"
expect_eq "the stale-table checks" "$rc" 0

# two namespaces joined by a veth pair
TWTUNE_WHY_PHASE=veth unshare -n sh "$0" >"$T/phase.out" 2>&1
rc=$?
sed 's/^/  [veth] /' "$T/phase.out"
if [ "$rc" = 77 ]; then
	echo "# the veth checks skipped"
else
	expect_eq "the veth checks" "$rc" 0
fi
finish
