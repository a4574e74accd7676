#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The Ansible module with the real ansible-playbook (Debian's ansible-core)
# against localhost, inside a throwaway network namespace that overflows:
# --check --diff reports changed and changes nothing, a real run reports
# changed, a second run reports ok, and a failure reports failed with a
# useful msg.
. "${SRCDIR:-.}/tests/lib.sh"

command -v ansible-playbook >/dev/null || skip "ansible-playbook not installed (apt-get install ansible-core)"
in_netns
SYS=/proc/sys/net/ipv4
echo 64 >$SYS/tcp_max_tw_buckets
mkdir -p "$T/sysctl.d" "$T/home"
export HOME="$T/home" ANSIBLE_LOCAL_TEMP="$T/home/tmp" \
	ANSIBLE_REMOTE_TEMP="$T/home/tmp" \
	ANSIBLE_LIBRARY="$SRCDIR/contrib/ansible/library" \
	ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 \
	ANSIBLE_LOCALHOST_WARNING=0 ANSIBLE_INVENTORY_UNPARSED_WARNING=0
play() {
	ansible-playbook -i localhost, "$SRCDIR/tests/ansible/site.yml" \
		-e "tmp=$T" -e "policy_dir=$POL" -e "twtune=$TWTUNE" \
		-e "out=$T/result.json" "$@" >"$T/play.out" 2>"$T/play.err"
}
task() { $JQ -r ".$1" "$T/result.json"; }

# a baseline, then overflow
"$TWTUNE" report -p "$POL" --state "$T/state.json" -q >/dev/null
expect_rc "overflowing load" 0 "$TWLOAD" -n 500

# (the demand depends on the window between the baseline and the run, so
# the planned value is read from the plan: at least twice the burst of 500,
# a power of two)
play --check --diff
expect_eq "check mode: changed" "$(task changed)" true
expect_eq "check mode: changes nothing" "$(cat $SYS/tcp_max_tw_buckets)" 64
TO=$(task 'plan[0].to')
expect_eq "check mode: plan" "$(task 'plan[0] | "\(.key) \(.from)->\(.to >= 1024 and (.to | log2 | floor | exp2) == .to)"')" \
	"net.ipv4.tcp_max_tw_buckets 64->true"
expect_eq "diff shows the sysctl" "$(task 'diff[0].after')" "net.ipv4.tcp_max_tw_buckets = $TO"
expect_grep "diff shows the persist file" "net.ipv4.tcp_max_tw_buckets = $TO" "$T/result.json"
expect_grep "ansible prints the diff" "^+net.ipv4.tcp_max_tw_buckets = $TO" "$T/play.out"
[ ! -e "$T/audit.jsonl" ] && ok "check mode: no audit record" || not_ok "check mode audited"

play
expect_eq "real run: changed" "$(task changed)" true
expect_eq "real run: failed" "$(task failed)" false
TO=$(task 'plan[0].to')
expect_eq "raised as planned" "$(cat $SYS/tcp_max_tw_buckets)" "$TO"
expect_grep "persisted" "^net.ipv4.tcp_max_tw_buckets = $TO$" "$T/sysctl.d/90-twtune.conf"
expect_rc "audited" 0 "$TWTUNE" audit verify "$T/audit.jsonl"

play
expect_eq "second run: ok (not changed)" "$(task changed)" false
expect_grep "play recap: nothing changed, nothing failed" "localhost *: ok=2 *changed=0 *unreachable=0 *failed=0" "$T/play.out"

# failure: the persist directory does not exist, and there is work to do
# (back to 64 by a rollback, which twtune counts as its own value)
expect_rc "rollback to 64" 0 "$TWTUNE" rollback --state "$T/state.json" \
	--sysctl-d "$T/sysctl.d" --audit-log "$T/audit.jsonl"
"$TWLOAD" -n 500 >/dev/null
play -e "sysctl_dir=$T/nonexistent"
expect_eq "failure: failed" "$(task failed)" true
expect_grep "failure: msg says why" "nonexistent" "$T/result.json"
expect_eq "failure: changes nothing" "$(cat $SYS/tcp_max_tw_buckets)" 64
finish
