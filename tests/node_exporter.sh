#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# twtune's textfile metrics through a real node_exporter (Debian's
# prometheus-node-exporter, unpacked by tools/install-deps.sh --test, never
# installed), inside a throwaway network namespace with real TIME_WAIT
# load on loopback: `twtune report --format prometheus --output` exits 0
# with and without a proposed change, node_exporter serves the file
# without a scrape error, twtune_time_wait_sockets is the namespace's
# own sockstat tw count, and every twtune metric the alerting rules in
# contrib/prometheus name is served.
. "${SRCDIR:-.}/tests/lib.sh"

# find_dep NAME: NAME from PATH, else unpacked by install-deps
find_dep() {
	command -v "$1" 2>/dev/null && return 0
	for d in "${TWTUNE_DEPS_ROOT:-}" "$SRCDIR/tools/.deps/root"; do
		[ -n "$d" ] && [ -x "$d/usr/bin/$1" ] && { echo "$d/usr/bin/$1"; return 0; }
	done
	return 1
}
NODE_EXPORTER=$(find_dep prometheus-node-exporter) ||
	skip "prometheus-node-exporter not found (sh tools/install-deps.sh --test unpacks it into tools/.deps)"
command -v curl >/dev/null || skip "curl not installed (apt-get install curl)"
PROMTOOL=$(find_dep promtool) || PROMTOOL=
in_netns

SYS=/proc/sys/net/ipv4
PORT=9100 # the namespace is ours: nothing else listens in it
NE_PID=
stop_exporter() {
	[ -n "$NE_PID" ] || return 0
	kill "$NE_PID" 2>/dev/null
	wait "$NE_PID" 2>/dev/null
	NE_PID=
}
# the exporter must not outlive the test, whatever happens
trap 'stop_exporter; cleanup' EXIT
trap 'exit 1' INT TERM HUP

TF="$T/textfile"
mkdir -p "$TF" "$T/sysctl.d"
REPORT() {
	"$TWTUNE" report -p "$POL" --state "$T/state.json" \
		--sysctl-d "$T/sysctl.d" --audit-log "$T/audit.jsonl" "$@"
}
# scrape FILE: node_exporter's /metrics into FILE
scrape() { curl -sS -m 5 -o "$1" "http://127.0.0.1:$PORT/metrics"; }
# served NAME FILE: the value of the unlabelled sample NAME in FILE
served() { awk -v n="$1" '$1 == n { print $2 }' "$2"; }

DEFAULT_MAX=$(cat $SYS/tcp_max_tw_buckets)
echo 64 >$SYS/tcp_max_tw_buckets
expect_rc "baseline report at a small limit" 0 REPORT -q

"$NODE_EXPORTER" --web.listen-address="127.0.0.1:$PORT" \
	--collector.disable-defaults --collector.textfile \
	--collector.textfile.directory="$TF" >"$T/node_exporter.log" 2>&1 &
NE_PID=$!
up=0
for _ in $(seq 50); do
	scrape "$T/m0" 2>/dev/null && { up=1; break; }
	kill -0 "$NE_PID" 2>/dev/null || break
	sleep 0.1
done
if [ "$up" = 1 ]; then ok "node_exporter listens on 127.0.0.1:$PORT"; else
	not_ok "node_exporter did not start"
	sed 's/^/    | /' "$T/node_exporter.log" | tail -10
	finish
fi

# Each scrape leaves one TIME_WAIT socket of its own (curl closes first),
# so the namespace's counts are read right before and after the report,
# with no connection made in between.  None of the TIME_WAIT sockets can
# expire meanwhile (they live 60 s), so the counts stand still: the two
# reads must agree and the served values must equal them, no drift
# allowed.

# ---- 1. a change proposed: 64 buckets, 500 closed connections -------------
expect_rc "load: 500 client-side TIME_WAIT" 0 "$TWLOAD" -n 500
tw_before=$(tw_count) ovf_before=$(overflows)
expect_rc "report --format prometheus --output, change proposed" 0 \
	REPORT --format prometheus --output "$TF/twtune.prom"
tw_after=$(tw_count) ovf_after=$(overflows)
expect_eq "sockstat tw steady during the report" "$tw_after" "$tw_before"
expect_eq "TCPTimeWaitOverflow steady during the report" "$ovf_after" "$ovf_before"
expect_eq "the table is full" "$tw_before" 64
expect_eq "no temporary file left in the textfile directory" "$(ls -A "$TF")" twtune.prom
if [ -n "$PROMTOOL" ]; then
	expect_rc "promtool check metrics on the file" 0 sh -c '"$1" check metrics <"$2"' sh "$PROMTOOL" "$TF/twtune.prom"
else
	echo "# promtool not found: not linted"
fi
scrape "$T/m1"
expect_eq "served twtune_time_wait_sockets = the namespace's sockstat tw" \
	"$(served twtune_time_wait_sockets "$T/m1")" "$tw_before"
expect_eq "served twtune_time_wait_buckets_max" "$(served twtune_time_wait_buckets_max "$T/m1")" 64
expect_eq "served overflow counter = TcpExt TCPTimeWaitOverflow" \
	"$(served twtune_time_wait_overflows_total "$T/m1")" "$ovf_before"
expect_eq "served twtune_planned_changes" "$(served twtune_planned_changes "$T/m1")" 1
expect_eq "node_textfile_scrape_error" "$(served node_textfile_scrape_error "$T/m1")" 0
# the alerting rules select the file by this label
expect_grep "file label matches the rules' pattern" \
	'^node_textfile_mtime_seconds{file="\([^"]*/\)\?twtune\.prom"}' "$T/m1"
# every twtune metric the alerting rules use is served
for m in $(grep -o 'twtune_[a-z_]*' "$SRCDIR/contrib/prometheus/twtune.rules.yml" | sort -u); do
	if grep -q "^${m}[ {]" "$T/m1"; then ok "served: $m (the alerting rules use it)"
	else not_ok "not served: $m (the alerting rules use it)"; fi
done

# ---- 2. nothing to change: the namespace's default limit, far from full ----
echo "$DEFAULT_MAX" >$SYS/tcp_max_tw_buckets
expect_rc "baseline report at the default limit" 0 REPORT -q
expect_rc "load: 100 client-side TIME_WAIT" 0 "$TWLOAD" -n 100
tw_before=$(tw_count)
expect_rc "report --format prometheus --output, nothing proposed" 0 \
	REPORT --format prometheus --output "$TF/twtune.prom"
tw_after=$(tw_count)
expect_eq "sockstat tw steady during the report" "$tw_after" "$tw_before"
scrape "$T/m2"
expect_eq "served twtune_time_wait_sockets = the namespace's sockstat tw" \
	"$(served twtune_time_wait_sockets "$T/m2")" "$tw_before"
expect_eq "served twtune_time_wait_buckets_max = the namespace's limit" \
	"$(served twtune_time_wait_buckets_max "$T/m2")" "$DEFAULT_MAX"
expect_eq "served twtune_planned_changes" "$(served twtune_planned_changes "$T/m2")" 0
expect_eq "node_textfile_scrape_error" "$(served node_textfile_scrape_error "$T/m2")" 0

stop_exporter
kill -0 "$NE_PID" 2>/dev/null && not_ok "node_exporter still running" || ok "node_exporter stopped"
finish
