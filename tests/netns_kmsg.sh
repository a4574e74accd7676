#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The live kernel log, as a kernel without the TCPTimeWaitOverflow counter
# (before 2.6.38) is read: tests/twtune-hooks, told to behave as on such a
# kernel, reads /dev/kmsg while still privileged, in a throwaway network
# namespace.  A user process can write "TCP: time wait bucket table
# overflow" into /dev/kmsg, but the kernel files it under the user
# facility: it is read, and never counted.  Skips, with the reason, where
# /dev/kmsg cannot be read or written.
. "${SRCDIR:-.}/tests/lib.sh"
in_netns

HOOKS=${TWTUNE_HOOKS:?TWTUNE_HOOKS must point at tests/twtune-hooks}
[ -x "$HOOKS" ] || { echo "not ok - $HOOKS not built"; exit 1; }
[ -r /dev/kmsg ] || skip "/dev/kmsg is not readable here"
dd if=/dev/kmsg iflag=nonblock bs=16k count=1 2>/dev/null | grep -q . ||
	skip "/dev/kmsg cannot be read (kernel.dmesg_restrict without CAP_SYSLOG?)"
MSG="TCP: time wait bucket table overflow"
# the kernel prefixes what a process writes with the user facility (1),
# whatever priority the line claims
printf '<6>%s\n' "$MSG" >/dev/kmsg 2>/dev/null ||
	skip "/dev/kmsg cannot be written here"

mkdir -p "$T/sysctl.d"
H() {
	TWTUNE_TEST_NO_COUNTER=1 "$HOOKS" report -p "$POL" --no-sockets \
		--state "$T/state.json" -f json "$@"
}
H >"$T/out" 2>"$T/err"
expect_eq "the report ran" "$?" 0
expect_eq "no counter (as on 2.6.37)" "$(jget "$T/out" .kernel.overflow_counter)" false
expect_eq "the live log was read" \
	"$(jget "$T/out" '[.kernel.log.readable, .kernel.log.source] | @tsv')" \
	"true	/dev/kmsg"
# what the kernel logged itself: this kernel counts instead of logging
expect_eq "a forged line is not counted" "$(jget "$T/out" .observations.tw_overflow_log_lines)" 0
expect_eq "nor anything as suppressed" "$(jget "$T/out" .observations.tw_overflow_log_suppressed)" 0
# the forgery is in the buffer, under the user facility (PRI 14 = 1*8+6):
# dd reads one record per read(2) and stops at the end (EAGAIN)
dd if=/dev/kmsg iflag=nonblock bs=16k 2>/dev/null | grep -a ";$MSG\$" >"$T/forged" || true
[ -s "$T/forged" ] && ok "the forged line is in /dev/kmsg" ||
	not_ok "the forged line is not in /dev/kmsg"
expect_eq "none of them has the kernel's facility (PRI < 8)" \
	"$(awk -F, '$1 < 8' "$T/forged" | wc -l)" 0

# the same run without the hook: a current kernel never reads the log
"$TWTUNE" report -p "$POL" --no-sockets --state "$T/state2.json" -f json >"$T/out2" 2>/dev/null
expect_eq "with the counter the log is not read" "$(jget "$T/out2" .kernel.log)" null
finish
