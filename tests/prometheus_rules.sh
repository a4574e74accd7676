#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The Prometheus alerting rules in contrib/prometheus: promtool accepts
# them (check rules) and their unit tests pass (test rules: each alert
# fires where it should, with its labels and annotations, and stays quiet
# in the cases beside it).  promtool comes from PATH or from Debian's
# prometheus package as tools/install-deps.sh --test unpacks it.
. "${SRCDIR:-.}/tests/lib.sh"

PROMTOOL=$(command -v promtool 2>/dev/null) || PROMTOOL=
for d in "${TWTUNE_DEPS_ROOT:-}" "$SRCDIR/tools/.deps/root"; do
	[ -z "$PROMTOOL" ] && [ -n "$d" ] && [ -x "$d/usr/bin/promtool" ] &&
		PROMTOOL="$d/usr/bin/promtool"
done
[ -n "$PROMTOOL" ] ||
	skip "promtool not found (sh tools/install-deps.sh --test unpacks Debian's prometheus package into tools/.deps)"

# promtool resolves rule_files relative to the test file: work on a copy
# so that a read-only source tree (make distcheck) is fine too
cp "$SRCDIR/contrib/prometheus/twtune.rules.yml" \
	"$SRCDIR/contrib/prometheus/twtune.rules.test.yml" "$T/"
expect_rc "promtool check rules" 0 "$PROMTOOL" check rules "$T/twtune.rules.yml"
expect_grep "every alert was read" "SUCCESS: 7 rules found" "$T/out"
expect_rc "promtool test rules" 0 sh -c 'cd "$1" && "$2" test rules twtune.rules.test.yml' \
	sh "$T" "$PROMTOOL"
# each alert has a firing case and a quiet case in the tests
for a in $(sed -n 's/^ *- alert: //p' "$T/twtune.rules.yml"); do
	awk -v a="$a" '$0 ~ "alertname: " a "$" { getline; print }' \
		"$T/twtune.rules.test.yml" >"$T/cases"
	if grep -q 'exp_alerts: \[\]' "$T/cases" && grep -q 'exp_alerts:$' "$T/cases"; then
		ok "$a is tested firing and quiet"
	else
		not_ok "$a lacks a firing or a quiet case"
	fi
done
# every annotation names a twtune or systemctl command to run
expect_eq "a summary each" "$(grep -c '^ *summary: "' "$T/twtune.rules.yml")" 7
expect_eq "a description each" "$(grep -c '^ *description: >-$' "$T/twtune.rules.yml")" 7
bad=$(awk '/^ *description: >-$/ { d = 1; txt = ""; next }
	d && /^ *(- alert|summary|$)/ { if (txt !~ /`(twtune|systemctl) /) print txt; d = 0 }
	d { txt = txt $0 }
	END { if (d && txt !~ /`(twtune|systemctl) /) print txt }' "$T/twtune.rules.yml")
expect_eq "every description names a command to run" "$bad" ""
finish
