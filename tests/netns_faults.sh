#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Fault injection on the real kernel, inside a throwaway network and mount
# namespace with temporary directories: file systems that refuse the
# write, an audit log that cannot be written, a value the kernel rejects
# halfway through a run, SIGKILL at random moments (repeated), concurrent
# runs, and symbolic links planted where twtune writes.  After every
# scenario: no persist file is torn or lost, and the live values, the
# persist file and the audit log agree.
. "${SRCDIR:-.}/tests/lib.sh"
in_netns -m

SYS=/proc/sys/net/ipv4
FP="$SRCDIR/tests/policies/faults"
KILLS=${TWTUNE_KILLS:-200}
HOOKS=${TWTUNE_HOOKS:-}

# A run's files live under $T/<scenario>
setup() {
	D="$T/$1"
	rm -rf "$D"
	mkdir -p "$D/sysctl.d" "$D/log" "$D/state"
	echo 1000 >$SYS/tcp_max_tw_buckets
	echo 30 >$SYS/tcp_fin_timeout
}
# tw [BINARY] ARGS: apply (or anything) with this scenario's files
tw() {
	"$TWTUNE" "$@" --state "$D/state/state.json" --sysctl-d "$D/sysctl.d" \
		--audit-log "$D/log/audit.jsonl" --no-sockets
}
hooks() {
	"$HOOKS" "$@" --state "$D/state/state.json" --sysctl-d "$D/sysctl.d" \
		--audit-log "$D/log/audit.jsonl" --no-sockets
}
live() { cat "$SYS/$1"; }
last() { tail -n 1 "$D/log/audit.jsonl" | $JQ -r "$1"; }

# persist_ok FILE: absent, or a whole file twtune wrote (two comment lines,
# then "key = integer" lines, ending in a newline).  Prints its values.
persist_ok() {
	[ -e "$1" ] || { echo absent; return 0; }
	[ -f "$1" ] && [ ! -L "$1" ] || { echo "not a regular file"; return 1; }
	[ -s "$1" ] || { echo empty; return 1; }
	[ "$(tail -c 1 "$1" | od -An -c | tr -d ' ')" = '\n' ] ||
		{ echo "no final newline"; return 1; }
	head -n 1 "$1" | grep -q '^# Written by twtune ' ||
		{ echo "bad header"; return 1; }
	if grep -v '^#' "$1" | grep -Evq '^net\.[a-z0-9_.]+ = -?[0-9]+$'; then
		echo "bad line"; return 1
	fi
	grep -v '^#' "$1" | tr '\n' ' '
}

# agree WHAT: the audit log verifies, and its last result matches the live
# values (written and verified: at "after", otherwise at "before")
agree() {
	if "$TWTUNE" audit verify "$D/log/audit.jsonl" >"$T/verify" 2>&1; then
		ok "$1: audit verify"
	else
		not_ok "$1: audit verify: $(cat "$T/verify")"
	fi
	bad=$(tail -n 1 "$D/log/audit.jsonl" | $JQ -r '.changes[] |
		"\(.key) \(if .written and .verified then .after else .before end)"' |
		while read -r key want; do
			f=$(echo "$key" | sed 's/^net\.ipv4\.//')
			[ "$(live "$f")" = "$want" ] || echo "$key=$(live "$f") (audit says $want)"
		done)
	expect_eq "$1: live values agree with the audit log" "$bad" ""
}

# ---- sysctl.d on a read-only file system -----------------------------------
setup rofs
mount -t tmpfs -o size=64k tmpfs "$D/sysctl.d" || exit 99
mount -o remount,ro "$D/sysctl.d" || exit 99
expect_rc "apply onto a read-only sysctl.d" 1 tw apply -p "$FP/raise.conf"
expect_grep "says why" "Read-only file system" "$T/err"
expect_eq "live value rolled back" "$(live tcp_max_tw_buckets)" 1000
expect_eq "audit: rolled back" "$(last .result)" rolled_back
expect_eq "audit: the cause" "$(last '.error | test("Read-only file system")')" true
expect_eq "no persist file" "$(persist_ok "$D/sysctl.d/90-twtune.conf")" absent
agree "read-only sysctl.d"
umount "$D/sysctl.d"

# ---- sysctl.d on a full file system (ENOSPC), with an older persist file ---
setup enospc
mount -t tmpfs -o size=4k tmpfs "$D/sysctl.d" || exit 99
printf '# Written by twtune (earlier)\n# kept\nnet.ipv4.tcp_syncookies = 1\n' \
	>"$D/sysctl.d/90-twtune.conf"
dd if=/dev/zero of="$D/sysctl.d/filler" bs=1k count=64 2>/dev/null
old=$(cat "$D/sysctl.d/90-twtune.conf")
expect_rc "apply onto a full sysctl.d" 1 tw apply -p "$FP/raise.conf"
expect_grep "says why" "No space left on device" "$T/err"
expect_eq "live value rolled back" "$(live tcp_max_tw_buckets)" 1000
expect_eq "old persist file intact" "$(cat "$D/sysctl.d/90-twtune.conf")" "$old"
expect_eq "no temporary file left" "$(ls -A "$D/sysctl.d" | grep -c '\.tmp$')" 0
expect_eq "audit: the cause" "$(last '.error | test("No space left")')" true
agree "full sysctl.d"
umount "$D/sysctl.d"

# ---- the audit log cannot be written: nothing changes (fail closed) --------
setup audit-ro
mount -t tmpfs -o size=64k tmpfs "$D/log" && mount -o remount,ro "$D/log" || exit 99
expect_rc "apply with a read-only audit directory" 1 tw apply -p "$FP/raise.conf"
expect_grep "refuses unaudited changes" "refusing to change anything unaudited" "$T/err"
expect_eq "live value untouched" "$(live tcp_max_tw_buckets)" 1000
expect_eq "no persist file" "$(persist_ok "$D/sysctl.d/90-twtune.conf")" absent
umount "$D/log"

setup audit-full
mount -t tmpfs -o size=4k tmpfs "$D/log" || exit 99
: >"$D/log/audit.jsonl"
dd if=/dev/zero of="$D/log/filler" bs=1k count=64 2>/dev/null
expect_rc "apply with a full audit file system" 1 tw apply -p "$FP/raise.conf"
expect_grep "the intent could not be written" "write intent" "$T/err"
expect_eq "live value untouched" "$(live tcp_max_tw_buckets)" 1000
expect_eq "no persist file" "$(persist_ok "$D/sysctl.d/90-twtune.conf")" absent
expect_eq "no torn record left" "$(wc -c <"$D/log/audit.jsonl")" 0
umount "$D/log"

# ---- the kernel rejects a value halfway through a run (EINVAL) -------------
setup einval
expect_rc "apply whose second write the kernel refuses" 1 tw apply -p "$FP/einval.conf"
expect_grep "names key and cause" "tcp_fin_timeout: write 100000000: Invalid argument" "$T/err"
expect_eq "first write rolled back" "$(live tcp_max_tw_buckets)" 1000
expect_eq "second key untouched" "$(live tcp_fin_timeout)" 30
expect_eq "audit: rolled back" "$(last .result)" rolled_back
expect_eq "audit: first change undone" "$(last '.changes[0].written')" false
expect_eq "no persist file" "$(persist_ok "$D/sysctl.d/90-twtune.conf")" absent
agree "EINVAL halfway"

# ---- symbolic links planted where twtune writes ----------------------------
setup symlinks
echo "precious" >"$T/victim"
ln -s "$T/victim" "$D/sysctl.d/90-twtune.conf"
expect_rc "apply with a symlink at the persist path" 1 tw apply -p "$FP/raise.conf"
expect_grep "refused" "is a symbolic link; refusing" "$T/err"
expect_eq "nothing written through it" "$(cat "$T/victim")" precious
expect_eq "the link itself is left alone" "$(readlink "$D/sysctl.d/90-twtune.conf")" "$T/victim"
expect_eq "live value rolled back" "$(live tcp_max_tw_buckets)" 1000
agree "symlink at the persist path"

setup symlink-log
echo "precious" >"$T/victim"
ln -s "$T/victim" "$D/log/audit.jsonl"
expect_rc "apply with a symlink at the audit log" 1 tw apply -p "$FP/raise.conf"
expect_grep "refused" "Too many levels of symbolic links" "$T/err"
expect_eq "nothing written through it" "$(cat "$T/victim")" precious
expect_eq "live value untouched" "$(live tcp_max_tw_buckets)" 1000

if [ -x "$HOOKS" ]; then
	# the temporary name is random; the test build can be told it
	setup symlink-tmp
	echo "precious" >"$T/victim"
	export TWTUNE_TEST_TMP_SUFFIX=0123456789abcdef
	expect_rc "control: the fixed temporary name works" 0 hooks apply -p "$FP/raise.conf"
	expect_eq "control: persisted" "$(persist_ok "$D/sysctl.d/90-twtune.conf")" \
		"net.ipv4.tcp_max_tw_buckets = 5000 "
	setup symlink-tmp
	ln -s "$T/victim" "$D/sysctl.d/.90-twtune.conf.0123456789abcdef.tmp"
	expect_rc "apply with a symlink at the temporary name" 1 hooks apply -p "$FP/raise.conf"
	expect_grep "refused" "File exists" "$T/err"
	expect_eq "nothing written through it" "$(cat "$T/victim")" precious
	expect_eq "live value rolled back" "$(live tcp_max_tw_buckets)" 1000
	expect_eq "no persist file" "$(persist_ok "$D/sysctl.d/90-twtune.conf")" absent
	agree "symlink at the temporary name"
	unset TWTUNE_TEST_TMP_SUFFIX
else
	not_ok "tests/twtune-hooks not built (TWTUNE_HOOKS=$HOOKS)"
fi

# ---- watch closes a run interrupted before it started ----------------------
setup watch-close
expect_rc "apply" 0 tw apply -p "$FP/raise.conf"
sed -i '$d' "$D/log/audit.jsonl" # as if killed before its result
expect_rc "audit verify: interrupted" 1 "$TWTUNE" audit verify "$D/log/audit.jsonl"
timeout --preserve-status -s TERM 2 "$TWTUNE" watch -v -p "$FP/raise.conf" --interval 0.2 --no-sockets \
	--state "$D/state/state.json" --sysctl-d "$D/sysctl.d" \
	--audit-log "$D/log/audit.jsonl" 2>"$T/watch.err"
expect_eq "watch stops on SIGTERM" "$?" 0
expect_grep "watch says what it found" "was interrupted between its intent and its result: 1 of its 1 keys are at the new value" "$T/watch.err"
expect_eq "closing record" "$(last .result)" interrupted
expect_eq "closing record: the key was found written" "$(last '.changes[0].written')" true
expect_eq "no back-off, no second change" "$(grep -c . "$D/log/audit.jsonl")" 2
agree "watch after an interrupted run"

# ---- a run in another namespace, interrupted; the next run is here ------------
# apply --netns O --sysctl-d DIR killed before its result, then a plain
# apply with the same audit log: O's values mean nothing here, so they are
# not read here and never go into this namespace's persist file.
setup other-netns
OTHER=twtune-faults-$$
if ip netns add "$OTHER" 2>/dev/null; then
	mkdir -p "$D/other.d"
	nsenter --net="/run/netns/$OTHER" sh -c "echo 1000 >$SYS/tcp_max_tw_buckets"
	expect_rc "apply --netns O" 0 "$TWTUNE" apply --netns "$OTHER" \
		-p "$FP/raise.conf" --state "$D/state/other.json" \
		--sysctl-d "$D/other.d" --audit-log "$D/log/audit.jsonl" --no-sockets
	sed -i '$d' "$D/log/audit.jsonl" # as if killed before its result
	# here the key happens to hold the value O's run wrote
	echo 5000 >$SYS/tcp_max_tw_buckets
	expect_rc "apply here" 0 tw apply -p "$FP/raise.conf"
	expect_eq "O's run closed without reading it here" \
		"$(last .error)" "no result was recorded (the process was killed); found 0 of 1 keys at the new value"
	expect_eq "nothing of it in this namespace's persist file" \
		"$(persist_ok "$D/sysctl.d/90-twtune.conf")" absent
	ip netns delete "$OTHER"
else
	not_ok "ip netns add failed"
fi

# ---- a record torn by SIGKILL (made by hand: the random kills rarely tear) --
# tear FILE: cut the last line short, as a write cut off by SIGKILL leaves it
tear() { truncate -s -40 "$1"; }
setup torn-result
expect_rc "apply" 0 tw apply -p "$FP/raise.conf"
tear "$D/log/audit.jsonl"
expect_rc "audit verify: torn result" 1 "$TWTUNE" audit verify "$D/log/audit.jsonl"
expect_grep "verify names the torn record" "2: the last record is torn: its run was killed while writing it" "$T/err"
expect_rc "the next apply" 0 tw apply -p "$FP/raise.conf" -f json
expect_eq "the next apply: nothing left to change" "$(jget "$T/out" '[.plan[]?] | length')" 0
expect_eq "the torn result cut, its run closed" "$(last .result):$(last '.audit_cut_bytes > 0')" interrupted:true
expect_eq "closed as written" "$(last '.changes[0].written')" true
expect_eq "and persisted" "$(persist_ok "$D/sysctl.d/90-twtune.conf")" "net.ipv4.tcp_max_tw_buckets = 5000 "
agree "after a torn result"

setup torn-intent
echo 30 >$SYS/tcp_fin_timeout
expect_rc "apply" 0 tw apply -p "$FP/flip.conf"
# as if killed while writing the next run's intent: a partial line
printf '{"time":"2026-01-01T00:00:00.000Z","run":"0123","phase":"int' >>"$D/log/audit.jsonl"
expect_rc "audit verify: torn intent" 1 "$TWTUNE" audit verify "$D/log/audit.jsonl"
expect_grep "verify names the torn record" "3: the last record is torn" "$T/err"
expect_rc "the next apply" 0 tw apply -p "$FP/flip.conf"
expect_eq "no run to close" "$(grep -c '"result":"interrupted"' "$D/log/audit.jsonl")" 0
expect_eq "the torn intent cut, said in the next run's records" \
	"$($JQ -rs '[.[2:][] | .audit_cut_bytes] | map(. > 0) | all' "$D/log/audit.jsonl")" true
expect_eq "the next run flipped back" "$(live tcp_fin_timeout)" 30
agree "after a torn intent"

# ---- concurrent runs: one writer at a time, no lost update ------------------
# Every run of flip.conf changes tcp_fin_timeout (30 <-> 31), so N runs
# serialised by the lock flip it N times, each run's "before" being the
# previous run's "after"; a lost update would show as two runs with the
# same "before".
concurrent() {
	n=$1
	setup "concurrent-$n"
	i=0
	while [ $i -lt "$n" ]; do
		(tw apply -p "$FP/flip.conf" -q >"$D/out.$i" 2>&1; echo $? >"$D/rc.$i") &
		i=$((i + 1))
	done
	wait
	fails=$(cat "$D"/rc.* | grep -cv '^0$')
	expect_eq "$n concurrent applies: all succeed" "$fails" 0
	expect_eq "$n concurrent applies: $((2 * n)) records" "$(wc -l <"$D/log/audit.jsonl")" $((2 * n))
	expect_eq "$n concurrent applies: intent and result adjacent" \
		"$($JQ -rs '[range(0; length; 2) as $i | .[$i].run == .[$i + 1].run and .[$i].phase == "intent" and .[$i + 1].phase == "result"] | all' "$D/log/audit.jsonl")" true
	expect_eq "$n concurrent applies: each starts where the last ended" \
		"$($JQ -rs '[.[] | select(.phase == "result") | .changes[0]] |
			[range(1; length) as $i | .[$i].before == .[$i - 1].after] | all' "$D/log/audit.jsonl")" true
	want=$((30 + n % 2))
	expect_eq "$n concurrent applies: final live value" "$(live tcp_fin_timeout)" $want
	expect_eq "$n concurrent applies: persisted" "$(persist_ok "$D/sysctl.d/90-twtune.conf")" \
		"net.ipv4.tcp_fin_timeout = $want "
	agree "$n concurrent applies"
}
concurrent 2
concurrent 10

# ---- SIGKILL at random moments during apply --------------------------------
setup kill
# how long one apply takes here, to spread the kills over it
t0=$(date +%s%N)
for i in 1 2 3 4 5; do tw apply -p "$FP/flip.conf" -q >/dev/null 2>&1; done
t1=$(date +%s%N)
span_us=$(( (t1 - t0) / 5000 * 12 / 10 ))
[ "$span_us" -gt 1000 ] || span_us=1000
echo "# one apply takes about $(( (t1 - t0) / 5000 )) us; killing within $span_us us"
# closed: how many runs the log records as closed after an interruption
# (grep, not jq: the log may end in a torn line here)
closed() { grep -c '"result":"interrupted"' "$D/log/audit.jsonl"; }
interrupted=0 torn=0 before_intent=0 completed=0 bad=0 i=0
while [ $i -lt "$KILLS" ]; do
	i=$((i + 1))
	d=$(awk -v s="$span_us" -v r="$(od -An -N4 -tu4 /dev/urandom)" \
		'BEGIN { printf "%.6f", (r % s) / 1e6 }')
	lines=$(wc -l <"$D/log/audit.jsonl")
	timeout -s KILL "$d" "$TWTUNE" apply -p "$FP/flip.conf" -q \
		--state "$D/state/state.json" --sysctl-d "$D/sysctl.d" \
		--audit-log "$D/log/audit.jsonl" --no-sockets >/dev/null 2>&1
	p=$(persist_ok "$D/sysctl.d/90-twtune.conf") || {
		bad=$((bad + 1)); echo "# kill $i ($d s): persist file: $p"; }
	case "$p" in
	absent | "net.ipv4.tcp_fin_timeout = 30 " | "net.ipv4.tcp_fin_timeout = 31 ") ;;
	*) bad=$((bad + 1)); echo "# kill $i ($d s): persist file holds '$p'" ;;
	esac
	was=ok
	if "$TWTUNE" audit verify "$D/log/audit.jsonl" >"$T/verify" 2>&1; then
		if [ "$(wc -l <"$D/log/audit.jsonl")" = "$lines" ]; then
			before_intent=$((before_intent + 1))
		else
			completed=$((completed + 1))
		fi
	elif grep -q "was interrupted: its intent has no result" "$T/verify"; then
		interrupted=$((interrupted + 1)) was=interrupted
	elif grep -q "the last record is torn: its run was killed while writing it" "$T/verify"; then
		# SIGKILL cuts a write short where it crosses a page; if the
		# torn record was a result, its intent is the last whole line
		torn=$((torn + 1)) was=torn-intent
		sed -n "$(wc -l <"$D/log/audit.jsonl")p" "$D/log/audit.jsonl" |
			grep -q '"phase":"intent"' && was=torn-result
	else
		bad=$((bad + 1)); echo "# kill $i ($d s): audit verify: $(cat "$T/verify")"
	fi
	closed_before=$(closed)
	cuts_before=$(grep -c '"audit_cut_bytes"' "$D/log/audit.jsonl")
	# the next run (not killed) finishes the job: whole, no back-off
	if ! tw apply -p "$FP/flip.conf" -f json >"$T/next" 2>"$T/next.err"; then
		bad=$((bad + 1)); echo "# kill $i: next apply failed: $(cat "$T/next.err")"
	elif [ "$($JQ -r '[.plan[]?] | length' "$T/next")" != 1 ]; then
		bad=$((bad + 1)); echo "# kill $i: next apply planned no change (backed off?): $($JQ -c .notes "$T/next")"
	fi
	p=$(persist_ok "$D/sysctl.d/90-twtune.conf")
	if [ "$p" != "net.ipv4.tcp_fin_timeout = $(live tcp_fin_timeout) " ]; then
		bad=$((bad + 1)); echo "# kill $i: after the next apply: live $(live tcp_fin_timeout), persisted '$p'"
	fi
	if ! "$TWTUNE" audit verify "$D/log/audit.jsonl" >"$T/verify" 2>&1; then
		bad=$((bad + 1)); echo "# kill $i: after the next apply: $(cat "$T/verify")"
	fi
	if ls -A "$D/sysctl.d" | grep -q '\.tmp$'; then
		bad=$((bad + 1)); echo "# kill $i: temporary files left after the next apply"
	fi
	# an interrupted run is closed by exactly one record; a torn record
	# is cut (and said so), and its run closed if it was the result
	rise=$(($(closed) - closed_before))
	cuts=$(($(grep -c '"audit_cut_bytes"' "$D/log/audit.jsonl") - cuts_before))
	case "$was:$rise:$cuts" in
	interrupted:1:0 | torn-result:1:[1-9]* | torn-intent:0:[1-9]* | ok:0:0) ;;
	*) bad=$((bad + 1)); echo "# kill $i ($was): the next apply closed $rise runs, recorded $cuts cuts" ;;
	esac
	was=ok
done
echo "# $KILLS kills: $before_intent before the intent, $interrupted between intent and result, $completed after the result, $torn tearing a record"
expect_eq "$KILLS random kills: every invariant held" "$bad" 0
# a kill test that never hit the window between intent and result tested
# nothing about it
if [ "$interrupted" -gt 0 ]; then
	ok "some kills ($interrupted) landed between intent and result"
else
	not_ok "no kill landed between intent and result"
fi
agree "after $KILLS kills"

finish
