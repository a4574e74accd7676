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

play --check --diff
expect_eq "check mode: changed" "$(task changed)" true
expect_eq "check mode: changes nothing" "$(cat $SYS/tcp_max_tw_buckets)" 64
expect_eq "check mode: plan" "$(task 'plan[0] | "\(.key) \(.from)->\(.to)"')" "net.ipv4.tcp_max_tw_buckets 64->1024"
expect_eq "diff shows the sysctl" "$(task 'diff[0].after')" "net.ipv4.tcp_max_tw_buckets = 1024"
expect_grep "diff shows the persist file" "net.ipv4.tcp_max_tw_buckets = 1024" "$T/result.json"
expect_grep "ansible prints the diff" "^+net.ipv4.tcp_max_tw_buckets = 1024" "$T/play.out"
[ ! -e "$T/audit.jsonl" ] && ok "check mode: no audit record" || not_ok "check mode audited"

play
expect_eq "real run: changed" "$(task changed)" true
expect_eq "real run: failed" "$(task failed)" false
expect_eq "raised" "$(cat $SYS/tcp_max_tw_buckets)" 1024
expect_grep "persisted" "^net.ipv4.tcp_max_tw_buckets = 1024$" "$T/sysctl.d/90-twtune.conf"
expect_rc "audited" 0 "$TWTUNE" audit verify "$T/audit.jsonl"

play
expect_eq "second run: ok (not changed)" "$(task changed)" false
expect_grep "play recap: nothing changed, nothing failed" "localhost *: ok=2 *changed=0 *unreachable=0 *failed=0" "$T/play.out"

# failure: the persist directory does not exist, and there is work to do
"$TWLOAD" -n 3000 >/dev/null
play -e "sysctl_dir=$T/nonexistent"
expect_eq "failure: failed" "$(task failed)" true
expect_grep "failure: msg says why" "nonexistent" "$T/result.json"
expect_eq "failure: changes nothing" "$(cat $SYS/tcp_max_tw_buckets)" 1024
finish
