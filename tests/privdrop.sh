#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Every command crosses the privilege boundary before it reads any input
# it did not need root to open: under strace, in a throwaway network
# namespace, the capability drop (capset), no_new_privs (prctl) and the
# Landlock sandbox come before the first open of a policy, the state file
# or the audit log, on the paths that used to skip them: apply with
# nothing to change, report, policy check, audit verify and rollback
# --dry-run.  Readers end with no capability at all, writers with
# CAP_NET_ADMIN only.  With a socket dump, report's helper keeps
# CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH alone, and report and apply
# with the dump (the default, the helper forked before the drop) keep the
# same order in twtune's own process.
. "${SRCDIR:-.}/tests/lib.sh"

command -v strace >/dev/null || skip "strace not found (apt-get install strace)"
in_netns

SYS=/proc/sys/net/ipv4
mkdir -p "$T/pol" "$T/state" "$T/log" "$T/sysctl.d"
cp "$SRCDIR/tests/policies/faults/raise.conf" "$T/pol/"
chmod -R go-w "$T/pol"
STATE="$T/state/state.json" LOG="$T/log/audit.jsonl"
COMMON="--state $STATE --audit-log $LOG --sysctl-d $T/sysctl.d --no-sockets"

# traced NAME ARGS...: run twtune under strace, the trace in $T/NAME.trace
traced() {
	name=$1
	shift
	# (AddressSanitizer's leak check cannot run under ptrace: off here)
	# shellcheck disable=SC2086
	ASAN_OPTIONS=detect_leaks=0 strace -f -qq -e trace=capset,prctl,openat,landlock_restrict_self \
		-o "$T/$name.trace" "$TWTUNE" "$@" $COMMON >"$T/out" 2>"$T/err"
}

# first LINE-PATTERN NAME: the line number of the first match, or 999999
first() {
	n=$(grep -n -E -- "$1" "$T/$2.trace" | head -1 | cut -d: -f1)
	echo "${n:-999999}"
}

# dropped NAME WANT: the boundary comes before every input is opened;
# WANT is what capset leaves effective ("0" or "1<<CAP_NET_ADMIN")
dropped() {
	name=$1 want=$2
	cap=$(first "capset\(.*effective=$want, permitted=$want," "$name")
	nnp=$(first "prctl\(PR_SET_NO_NEW_PRIVS, 1" "$name")
	ll=$(first "landlock_restrict_self\(.*= 0" "$name")
	input=$(first "openat\(AT_FDCWD, \"($T/pol|$STATE|$LOG)\"" "$name")
	if [ "$cap" -lt 999999 ] && [ "$cap" -lt "$input" ]; then
		ok "$name: capabilities dropped to '$want' (trace line $cap) before the first input (line $input)"
	else
		not_ok "$name: capset to '$want' at line $cap, first input at line $input"
		sed 's/^/    | /' "$T/$name.trace" | head -40
	fi
	if [ "$nnp" -lt "$input" ]; then
		ok "$name: no_new_privs (line $nnp) before the first input"
	else
		not_ok "$name: no_new_privs at line $nnp, first input at line $input"
	fi
	if [ "$LANDLOCK" = yes ]; then
		if [ "$ll" -lt "$input" ]; then
			ok "$name: Landlock (line $ll) before the first input"
		else
			not_ok "$name: Landlock at line $ll, first input at line $input"
		fi
	fi
	[ "$input" -lt 999999 ] || not_ok "$name: the trace shows no input opened at all"
}

"$TWTUNE" report -p "$T/pol" $COMMON -f json --state "$T/probe.json" >"$T/j" 2>/dev/null
case "$(jget "$T/j" .sandbox)" in
"landlock ABI"*) LANDLOCK=yes ;;
*) LANDLOCK=no; echo "# no Landlock here ($(jget "$T/j" .sandbox)): its order is not checked" ;;
esac

# apply with nothing to change (the limit is far above 5000)
expect_rc "apply with nothing to change" 0 traced apply-idle apply -p "$T/pol"
[ ! -e "$LOG" ] && ok "it audited nothing" || not_ok "it wrote an audit record"
dropped apply-idle "1<<CAP_NET_ADMIN"

expect_rc "report" 0 traced report report -p "$T/pol"
dropped report 0

expect_rc "policy check" 0 traced policy-check policy check "$T/pol"
dropped policy-check 0

# a run to verify and to roll back
echo 1000 >$SYS/tcp_max_tw_buckets
expect_rc "apply with a change" 0 "$TWTUNE" apply -p "$T/pol" $COMMON
expect_eq "it changed the limit" "$(cat $SYS/tcp_max_tw_buckets)" 5000

expect_rc "audit verify" 0 traced audit-verify audit verify "$LOG"
dropped audit-verify 0

expect_rc "rollback --dry-run" 2 traced rollback-dry rollback --dry-run
expect_grep "it would restore" "would restore net.ipv4.tcp_max_tw_buckets: 5000 -> 1000" "$T/out"
dropped rollback-dry 0

# a real rollback keeps CAP_NET_ADMIN, and nothing more
expect_rc "rollback" 0 traced rollback rollback
dropped rollback "1<<CAP_NET_ADMIN"
expect_eq "rolled back" "$(cat $SYS/tcp_max_tw_buckets)" 1000

# With the socket dump, report and apply fork the helper that names the
# owners of sockets: it keeps CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH alone
# and sets no_new_privs,
# while twtune itself drops everything as before; without the dump there
# is no helper.
helper_trace() {
	name=$1
	shift
	ASAN_OPTIONS=detect_leaks=0 strace -f -qq -e trace=capset,prctl -o "$T/$name.trace" \
		"$TWTUNE" report -p "$T/pol" --state "$STATE" -f json "$@" >"$T/out" 2>"$T/err"
}
expect_rc "report with the socket dump (proposing the raise)" 2 helper_trace helper
main_pid=$(head -1 "$T/helper.trace" | awk '{ print $1 }')
HELPER_CAPS='1<<CAP_DAC_READ_SEARCH|1<<CAP_SYS_PTRACE'
hpid=$(grep -F "effective=$HELPER_CAPS, permitted=$HELPER_CAPS, inheritable=0}) = 0" "$T/helper.trace" | awk '{ print $1 }')
if [ -n "$hpid" ] && [ "$hpid" != "$main_pid" ]; then
	ok "the helper ($hpid) keeps CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH only"
else
	not_ok "no helper with CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH alone"
	sed 's/^/    | /' "$T/helper.trace" | head -40
fi
expect_eq "the helper sets no_new_privs" \
	"$(grep -c "^$hpid  *prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) = 0" "$T/helper.trace")" 1
expect_eq "its only capset" "$(grep -c "^$hpid  *capset(" "$T/helper.trace")" 1
expect_eq "twtune itself drops everything" \
	"$(grep "^$main_pid  *capset(" "$T/helper.trace" | grep -c 'effective=0, permitted=0, inheritable=0}) = 0')" 1
expect_eq "no other capset" "$(grep -c 'capset(' "$T/helper.trace")" 2
expect_rc "report --no-sockets" 2 helper_trace nohelper --no-sockets
expect_eq "no helper without the dump" "$(grep -c 'CAP_SYS_PTRACE' "$T/nohelper.trace")" 0

# The same order with the socket dump, the default: twtune forks the
# helper before its own drop, and strace -f would interleave the two, so
# each process gets its own trace (-ff) and the order is checked in
# twtune's own, the one that began with the execve; the helper's shows it
# was there, with its own capabilities, and that it opened none of the
# inputs either.
SOCK_COMMON="--state $STATE --audit-log $LOG --sysctl-d $T/sysctl.d"
traced_ff() {
	name=$1
	shift
	rm -f "$T/$name.ff".*
	# shellcheck disable=SC2086
	ASAN_OPTIONS=detect_leaks=0 strace -ff -qq \
		-e trace=execve,capset,prctl,openat,landlock_restrict_self \
		-o "$T/$name.ff" "$TWTUNE" "$@" $SOCK_COMMON >"$T/out" 2>"$T/err"
}
# split_traces NAME: $T/NAME.trace is twtune's own trace, $T/NAME.helper its
# helper's; both must be there
split_traces() {
	name=$1
	main=$(grep -l '^execve(' "$T/$name.ff".* 2>/dev/null)
	others=$(grep -L '^execve(' "$T/$name.ff".* 2>/dev/null)
	expect_eq "$name: one twtune process traced" "$(echo "$main" | grep -c .)" 1
	expect_eq "$name: one other process (the helper)" "$(echo "$others" | grep -c .)" 1
	cp "$(echo "$main" | head -1)" "$T/$name.trace"
	for f in $others; do cat "$f"; done >"$T/$name.helper"
	if grep -qF "effective=$HELPER_CAPS, permitted=$HELPER_CAPS, inheritable=0}) = 0" "$T/$name.helper"; then
		ok "$name: the helper keeps CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH only"
	else
		not_ok "$name: no helper with CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH alone"
		sed 's/^/    | /' "$T/$name.helper" | head -20
	fi
	expect_eq "$name: the helper opens no input" \
		"$(grep -c -E -- "openat\(AT_FDCWD, \"($T/pol|$STATE|$LOG)" "$T/$name.helper")" 0
	expect_eq "$name: twtune itself never keeps CAP_SYS_PTRACE" \
		"$(grep -c 'capset(.*CAP_SYS_PTRACE' "$T/$name.trace")" 0
}

echo 1000 >$SYS/tcp_max_tw_buckets
expect_rc "report with the socket dump" 2 traced_ff report-sockets report -p "$T/pol"
split_traces report-sockets
dropped report-sockets 0

expect_rc "apply with the socket dump" 0 traced_ff apply-sockets apply -p "$T/pol"
expect_eq "it changed the limit" "$(cat $SYS/tcp_max_tw_buckets)" 5000
split_traces apply-sockets
cap=$(first 'capset\(.*effective=1<<CAP_NET_ADMIN, permitted=1<<CAP_NET_ADMIN,' apply-sockets)
alog=$(first "openat\(AT_FDCWD, \"$LOG\"" apply-sockets)
if [ "$alog" -lt 999999 ] && [ "$cap" -lt "$alog" ]; then
	ok "apply-sockets: the audit log is opened (line $alog) after the drop (line $cap)"
else
	not_ok "apply-sockets: audit log opened at line $alog, capset at line $cap"
fi
dropped apply-sockets "1<<CAP_NET_ADMIN"

finish
