#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The Landlock sandbox, seen from inside: tests/twtune-hooks (the program
# built with test-only hooks) tries, right after confining itself, to open
# paths for writing (it never writes).  Under the sandbox, /proc/sys/kernel
# and a file outside twtune's directories are refused with EACCES, while
# /proc/sys/net, sysctl.d and the audit and state directories are not.
# From ABI 6 on, signalling a process and connecting to an abstract unix
# socket outside the sandbox are refused too.
# The same probe without Landlock (the hook that makes it look missing)
# succeeds, which shows that the refusals come from the sandbox; there
# twtune goes on and says so in the report and the audit record.
. "${SRCDIR:-.}/tests/lib.sh"
in_netns

HOOKS=${TWTUNE_HOOKS:?TWTUNE_HOOKS must point at tests/twtune-hooks}
[ -x "$HOOKS" ] || { echo "not ok - $HOOKS not built"; exit 1; }
"$TWTUNE" report -p "$SRCDIR/tests/policies/faults/raise.conf" --no-sockets \
	--state "$T/probe-state.json" -f json >"$T/j" 2>/dev/null
case "$(jget "$T/j" .sandbox)" in
"landlock ABI"*) ;;
*) skip "this kernel has no Landlock ($(jget "$T/j" .sandbox))" ;;
esac

SYS=/proc/sys/net/ipv4
FP="$SRCDIR/tests/policies/faults"
KERNEL_FILE=/proc/sys/kernel/domainname
mkdir -p "$T/sysctl.d" "$T/log" "$T/state" "$T/outside"
run() {
	"$HOOKS" "$@" -p "$FP/raise.conf" --no-sockets --state "$T/state/state.json" \
		--sysctl-d "$T/sysctl.d" --audit-log "$T/log/audit.jsonl"
}
probe() { grep "^probe $1: " "$T/err" | sed "s|^probe $1: ||"; }
abi=$(jget "$T/j" .sandbox | sed 's/^landlock ABI \([0-9]*\).*/\1/')

# Outside the sandbox: a process to signal and an abstract unix socket to
# connect to (both are scoped from ABI 6 on)
# (both live until the test ends, however long it takes)
command -v python3 >/dev/null || { echo "not ok - python3 is needed"; exit 1; }
SLEEPER= LISTENER=
trap 'kill $SLEEPER $LISTENER 2>/dev/null; cleanup' EXIT
sleep 3600 &
SLEEPER=$!
ABSTRACT="twtune-probe-$$"
python3 -c '
import signal, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind("\0" + sys.argv[1])
s.listen(8)
open(sys.argv[2], "w").close()
signal.pause()
' "$ABSTRACT" "$T/listening" &
LISTENER=$!
i=0
while [ ! -e "$T/listening" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
[ -e "$T/listening" ] || { echo "not ok - the abstract socket listener did not start"; exit 1; }
PROBES="$KERNEL_FILE:$T/outside/new:$SYS/tcp_fin_timeout:$T/sysctl.d/probe:$T/log/probe:$T/state/probe:tcp9:sig$SLEEPER:abstract$ABSTRACT"

# ---- apply: confined to /proc/sys/net and its own directories --------------
echo 1000 >$SYS/tcp_max_tw_buckets
export TWTUNE_TEST_PROBE="$PROBES"
expect_rc "apply under the sandbox" 0 run apply -f json
expect_eq "/proc/sys/kernel refused" "$(probe "$KERNEL_FILE")" "Permission denied"
expect_eq "a file outside refused" "$(probe "$T/outside/new")" "Permission denied"
expect_eq "and not created" "$(ls -A "$T/outside")" ""
expect_eq "/proc/sys/net allowed" "$(probe "$SYS/tcp_fin_timeout")" "opened for writing"
expect_eq "sysctl.d allowed" "$(probe "$T/sysctl.d/probe")" "opened for writing"
expect_eq "audit directory allowed" "$(probe "$T/log/probe")" "opened for writing"
expect_eq "state directory allowed" "$(probe "$T/state/probe")" "opened for writing"
if [ "$abi" -ge 4 ]; then
	expect_eq "TCP connect refused by the sandbox (ABI $abi)" "$(probe tcp9)" "Permission denied"
fi
if [ "$abi" -ge 6 ]; then
	expect_eq "signalling a process outside refused (ABI $abi)" \
		"$(probe "sig$SLEEPER")" "Operation not permitted"
	expect_eq "abstract unix socket outside refused (ABI $abi)" \
		"$(probe "abstract$ABSTRACT")" "Operation not permitted"
fi
expect_eq "the change was made" "$(cat $SYS/tcp_max_tw_buckets)" 5000
expect_eq "audit: sandbox" "$(tail -n 1 "$T/log/audit.jsonl" | $JQ -r '.sandbox | startswith("landlock ABI")')" true
expect_eq "report: sandbox" "$(jget "$T/out" '.sandbox | startswith("landlock ABI")')" true
rm -f "$T/sysctl.d/probe" "$T/log/probe" "$T/state/probe"

# ---- report: confined to its state directory --------------------------------
expect_rc "report under the sandbox" 0 run report -f json
expect_eq "report: /proc/sys/kernel refused" "$(probe "$KERNEL_FILE")" "Permission denied"
expect_eq "report: /proc/sys/net refused too" "$(probe "$SYS/tcp_fin_timeout")" "Permission denied"
expect_eq "report: sysctl.d refused" "$(probe "$T/sysctl.d/probe")" "Permission denied"
expect_eq "report: state directory allowed" "$(probe "$T/state/probe")" "opened for writing"
expect_eq "report: JSON says so" "$(jget "$T/out" '.sandbox | startswith("landlock ABI")')" true
rm -f "$T/state/probe"

# ---- without Landlock: the same probes succeed; twtune goes on, and says so --
echo 1000 >$SYS/tcp_max_tw_buckets
rm -f "$T/state/state.json" # or it would back off from the value set by hand
export TWTUNE_TEST_NO_LANDLOCK=1 TWTUNE_TEST_PROBE="$T/outside/new:$T/sysctl.d/probe:tcp9:sig$SLEEPER:abstract$ABSTRACT"
expect_rc "apply without Landlock" 0 run apply
expect_eq "control: the outside file opens" "$(probe "$T/outside/new")" "opened for writing"
expect_eq "control: TCP connect reaches the (closed) port" "$(probe tcp9)" "Connection refused"
expect_eq "control: the process outside may be signalled" "$(probe "sig$SLEEPER")" "may signal"
expect_eq "control: the abstract socket outside connects" "$(probe "abstract$ABSTRACT")" "connected"
expect_eq "audit says there is no sandbox" "$(tail -n 1 "$T/log/audit.jsonl" | $JQ -r .sandbox)" \
	"none: Landlock unavailable (Function not implemented)"
expect_grep "report says so" "sandbox: none: Landlock unavailable" "$T/out"
unset TWTUNE_TEST_PROBE
expect_rc "report without Landlock" 2 "$HOOKS" report -p "$FP/einval.conf" --no-sockets --state "$T/state/state.json"
expect_grep "report warns" "no sandbox: none: Landlock unavailable" "$T/out"

finish
