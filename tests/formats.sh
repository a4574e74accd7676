#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The machine-readable outputs: node_exporter textfile metrics (checked
# with promtool when Debian's prometheus package is installed, and with a
# line-by-line parse in any case), and the Salt stateful contract (the
# whole of stdout is one JSON object; changed a boolean; comment a string;
# exit 0 when changes are merely proposed).
. "${SRCDIR:-.}/tests/lib.sh"

BOOT=5c1e4a0e-7f3b-4d7a-9a51-0d6f2b7c9e11
R() { "$TWTUNE" report -p "$POL" --state "$T/state.json" "$@"; }

# --- prometheus ---------------------------------------------------------
make_state "$T/state.json" 20000 10000 10 $BOOT
# a textfile collector takes any code but 0 for a failure: the metrics
# carry the verdict and the planned changes instead
expect_rc "prometheus: exit 0 with changes proposed" 0 R --proc "$FIX/overflow" -f prometheus
cp "$T/out" "$T/prom"
for m in twtune_time_wait_sockets twtune_time_wait_buckets_max \
	twtune_time_wait_overflows_total twtune_planned_changes \
	twtune_last_apply_timestamp_seconds; do
	expect_grep "HELP for $m" "^# HELP $m " "$T/prom"
	expect_grep "TYPE for $m" "^# TYPE $m \(gauge\|counter\)$" "$T/prom"
done
expect_grep "tw sockets value" "^twtune_time_wait_sockets 10000$" "$T/prom"
expect_grep "overflows counter" "^twtune_time_wait_overflows_total 21873$" "$T/prom"
expect_grep "planned changes" "^twtune_planned_changes 2$" "$T/prom"
# every non-comment line is "name{labels} value" and every name has a TYPE
bad=$(awk '/^#/ { if ($2 == "TYPE") typed[$3] = 1; next }
	{ name = $1; sub(/\{.*/, "", name)
	  if (NF != 2 || name !~ /^[a-zA-Z_:][a-zA-Z0-9_:]*$/ || !(name in typed) ||
	      $2 !~ /^(-?[0-9.eE+-]+|NaN)$/) print }' "$T/prom")
expect_eq "every sample line parses and is typed" "$bad" ""
if command -v promtool >/dev/null; then
	promtool check metrics <"$T/prom" >"$T/promtool.out" 2>&1
	expect_eq "promtool check metrics" "$?" 0
else
	echo "# promtool not installed (Debian package prometheus): parse check only"
fi
# --output writes the textfile atomically; a local advice rule that fires
mkdir -p "$T/textfile" "$T/local"
echo 'rules = ( { id = "local-note"; advice = "table {tw_ratio} full"; severity = "warning"; when = "tw_ratio >= 0.5"; } );' >"$T/local/99-local.conf"
expect_rc "--output for the textfile collector" 0 R -p "$T/local" \
	--proc "$FIX/overflow" -f prometheus --output "$T/textfile/twtune.prom"
expect_grep "file written" "^twtune_time_wait_sockets 10000$" "$T/textfile/twtune.prom"
expect_eq "no temporary file left" "$(ls -A "$T/textfile")" twtune.prom
# socket gauges only when sockets were scanned: fixtures are never scanned
expect_eq "no per-state gauges without a scan" "$(grep -c twtune_tcp_sockets "$T/prom")" 0
expect_grep "the verdict is a metric" '^twtune_verdict{verdict="overflowing"} 1$' "$T/textfile/twtune.prom"
expect_grep "so is each advice rule" '^twtune_advice_firing{rule="local-note",severity="warning"} 1$' "$T/textfile/twtune.prom"
expect_grep "and when the report was made" '^twtune_report_timestamp_seconds [0-9]' "$T/textfile/twtune.prom"

# --- salt -------------------------------------------------------------------
make_state "$T/state.json" 20000 10000 10 $BOOT
expect_rc "salt, changes proposed: exit 0" 0 R --proc "$FIX/overflow" -f salt
cp "$T/out" "$T/salt"
expect_eq "stdout is exactly one JSON object" "$($JQ -s 'length == 1 and (.[0] | type == "object")' "$T/salt")" true
expect_eq "changed is a boolean (true)" "$(jget "$T/salt" '.changed | if type == "boolean" then . else "not boolean" end')" true
expect_eq "comment is a string" "$(jget "$T/salt" '.comment | type')" string
expect_grep "comment says what would change" "would set net.ipv4.tcp_max_tw_buckets 10000 -> 65536\|would set net.ipv4.tcp_max_tw_buckets -> 65536" "$T/salt"
expect_rc "salt, nothing to do: exit 0" 0 R --proc "$FIX/healthy" -f salt
expect_eq "changed false" "$(jget "$T/out" .changed)" false
# apply with salt: changed means changed; a failure is a non-zero exit
copy_fixture overflow
mkdir -p "$T/sysctl.d"
make_state "$T/state.json" 20000 10000 10 $BOOT
expect_rc "salt apply --dry-run: exit 0" 0 "$TWTUNE" apply --dry-run -p "$POL" \
	--proc "$T/proc" --state "$T/state.json" --sysctl-d "$T/sysctl.d" \
	--audit-log "$T/audit.jsonl" -f salt
expect_eq "dry run: changed (proposed)" "$(jget "$T/out" .changed)" true
expect_eq "dry run wrote nothing" "$(cat "$T/proc/sys/net/ipv4/tcp_max_tw_buckets")" 10000
expect_rc "salt apply" 0 "$TWTUNE" apply -p "$POL" --proc "$T/proc" \
	--state "$T/state.json" --sysctl-d "$T/sysctl.d" \
	--audit-log "$T/audit.jsonl" -f salt
expect_eq "apply: changed" "$(jget "$T/out" .changed)" true
expect_eq "one JSON object" "$($JQ -s length "$T/out")" 1
expect_rc "salt apply again" 0 "$TWTUNE" apply -p "$POL" --proc "$T/proc" \
	--state "$T/state.json" --sysctl-d "$T/sysctl.d" \
	--audit-log "$T/audit.jsonl" -f salt
expect_eq "second apply: not changed" "$(jget "$T/out" .changed)" false
finish
