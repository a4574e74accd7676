#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The Ansible module's documentation (contrib/ansible/library/twtune.yml):
# ansible-doc loads it, and its options are exactly the arguments that
# `twtune ansible` accepts (as its own "unsupported parameter" message
# lists them), each of them accepted in a check-mode run.
. "${SRCDIR:-.}/tests/lib.sh"

command -v ansible-doc >/dev/null || skip "ansible-doc not installed (apt-get install ansible-core)"
LIB="$SRCDIR/contrib/ansible/library"
export HOME="$T/home" ANSIBLE_LOCAL_TEMP="$T/home/tmp" ANSIBLE_NOCOLOR=1
mkdir -p "$HOME"

expect_rc "ansible-doc loads the documentation" 0 ansible-doc -M "$LIB" twtune
cp "$T/out" "$T/doc.txt"
expect_eq "ansible-doc says nothing on stderr" "$(cat "$T/err")" ""
expect_grep "it describes the module" "Runs .twtune apply. on the target" "$T/doc.txt"
expect_rc "ansible-doc -j" 0 ansible-doc -M "$LIB" -j twtune
cp "$T/out" "$T/doc.json"
documented=$($JQ -r '.twtune.doc.options | keys[]' "$T/doc.json" | sort)

# what twtune accepts, in its own words
echo '{"no_such_argument": 1}' >"$T/args.json"
"$TWTUNE" ansible "$T/args.json" >"$T/bad.json" 2>"$T/err"
accepted=$($JQ -r .msg "$T/bad.json" | sed -n 's/.*(supported: \(.*\))$/\1/p' |
	tr -d ' ' | tr ',' '\n' | sort)
[ -n "$accepted" ] && ok "twtune lists the arguments it accepts" ||
	not_ok "no argument list in: $(cat "$T/bad.json")"
expect_eq "documented options = accepted arguments" \
	"$(echo $documented)" "$(echo $accepted)"

for opt in $documented; do
	expect_grep "ansible-doc lists $opt" "^- $opt$" "$T/doc.txt"
	expect_eq "$opt has a description and a type" \
		"$($JQ -r ".twtune.doc.options.$opt | (.description | length > 0) and (.type | length > 0)" "$T/doc.json")" true
	# a check-mode run on a fixture with that argument: accepted (it may
	# still fail for its value, e.g. a namespace that does not exist)
	case $(jget "$T/doc.json" ".twtune.doc.options.$opt.type") in
	bool) val=true ;;
	list) val="[\"$POL\"]" ;;
	float) val=0.2 ;;
	int) val=1 ;;
	*) val="\"$T/$opt\"" ;;
	esac
	[ "$opt" = proc ] && val="\"$FIX/healthy\""
	[ "$opt" = persist_file ] && val='"90-test.conf"'
	printf '{"_ansible_check_mode": true, "policy": "%s", "proc": "%s", "state_file": "%s", "%s": %s}\n' \
		"$POL" "$FIX/healthy" "$T/state.json" "$opt" "$val" >"$T/args.json"
	"$TWTUNE" ansible "$T/args.json" >"$T/res.json" 2>"$T/err"
	if $JQ -e '.msg | test("unsupported parameter|wrong type") | not' "$T/res.json" >/dev/null; then
		ok "twtune ansible accepts $opt"
	else
		not_ok "twtune ansible rejects $opt: $(cat "$T/res.json")"
	fi
	# a number of the documented type is taken as it is: the run succeeds
	case $val in
	0.2 | 1)
		expect_eq "twtune ansible runs with $opt=$val" \
			"$($JQ -r '.failed // false' "$T/res.json")" false
		;;
	esac
done
finish
