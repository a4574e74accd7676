#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The command line contract: help, version, usage errors (64), invalid
# policies (65, every error as FILE:LINE), permission (77), policy check.
. "${SRCDIR:-.}/tests/lib.sh"

expect_rc "--help" 0 "$TWTUNE" --help
expect_grep "help lists report" "^  report" "$T/out"
expect_grep "help lists the exit codes" "65 invalid policy" "$T/out"
expect_rc "--version" 0 "$TWTUNE" --version
expect_grep "version" "^twtune [0-9]" "$T/out"
expect_rc "no command" 64 "$TWTUNE"
expect_rc "unknown command" 64 "$TWTUNE" frobnicate
expect_rc "unknown option" 64 "$TWTUNE" report --frobnicate
expect_rc "bad format" 64 "$TWTUNE" report --format yaml
expect_rc "bad --sample" 64 "$TWTUNE" report --sample -3
expect_rc "bad --persist-file" 64 "$TWTUNE" apply --persist-file ../x.conf
expect_rc "missing argument" 64 "$TWTUNE" report --proc

# policy check
expect_rc "shipped policies are valid" 0 "$TWTUNE" policy check "$POL"
expect_grep "counts rules" "^OK: 11 rules (11 enabled) from 6 files" "$T/out"
cat >"$T/bad.conf" <<'P'
rules = (
  { id = "a"; sysctl = "net.ipv4.tcp_max_tw_buckets"; when = "tw_ratio > 0.5";
    value = "nosuch * 2"; },
  { id = "b"; advice = "x"; when = "tw_ratio >";
    colour = "red"; }
);
P
expect_rc "invalid policy" 65 "$TWTUNE" policy check "$T/bad.conf"
expect_grep "first error with FILE:LINE" "$T/bad.conf:3: rule 'a': value: column 1: unknown metric 'nosuch'" "$T/err"
expect_grep "second error too" "$T/bad.conf:4: rule 'b': when: column 11: unexpected end of expression" "$T/err"
expect_grep "third error too" "$T/bad.conf:5: rule 'b': unknown field 'colour'" "$T/err"
expect_rc "report refuses an invalid policy" 65 "$TWTUNE" report -p "$T/bad.conf" --proc "$FIX/healthy" --state "$T/s.json"
expect_rc "apply refuses an invalid policy" 65 "$TWTUNE" apply -p "$T/bad.conf" --proc "$FIX/healthy" --state "$T/s.json"
expect_rc "missing policy path" 65 "$TWTUNE" policy check "$T/nonexistent.conf"
echo 'rules = ( { id = "x"; sysctl = "net.ipv4.tcp_tw_recycle"; when = "1"; value = 1; } );' >"$T/recycle.conf"
expect_rc "tcp_tw_recycle=1 rejected" 65 "$TWTUNE" policy check "$T/recycle.conf"
expect_grep "explains why" "can only be set to 0" "$T/err"

# probable typos in a valid policy: warnings, exit 0; --strict makes them 65
WARN="$SRCDIR/tests/policies/warn"
expect_rc "typos are warnings" 0 "$TWTUNE" policy check "$POL" "$WARN"
expect_grep "says so on the OK line" "^OK: 15 rules (13 enabled) from 7 files, with warnings" "$T/out"
expect_grep "disabling an unknown id" 'rule "fin-timout-myth": no earlier policy file defines "fin-timout-myth", so this disables nothing (did you mean "fin-timeout-myth"?)' "$T/err"
expect_grep "a key nobody knows" 'sets "net.ipv4.tcp_max_tw_bucket", which twtune does not know and this kernel does not have (did you mean "net.ipv4.tcp_max_tw_buckets"?)' "$T/err"
expect_grep "an id near an earlier one" 'rule "tw-reuse-outgoin" is a new rule, and "tw-reuse-outgoing" from an earlier file stays in force' "$T/err"
expect_eq "a key this kernel has is no typo" "$(grep -c tcp_keepalive_time "$T/err")" 0
expect_rc "--strict" 65 "$TWTUNE" policy check --strict "$POL" "$WARN"
expect_grep "--strict counts them" "4 warnings and --strict" "$T/err"
expect_rc "--strict on the shipped policies" 0 "$TWTUNE" policy check --strict "$POL"
# report carries them among its warnings, for people and for JSON
expect_rc "report with typos" 0 "$TWTUNE" report -p "$POL" -p "$WARN" \
	--proc "$FIX/healthy" --state "$T/typo-state.json" -f json
expect_eq "report JSON warnings" \
	"$(jq '[.warnings[] | select(test("did you mean"))] | length' "$T/out")" 4

# a disabled shipped rule, from an override directory
mkdir -p "$T/etc"
echo 'rules = ( { id = "fin-timeout-myth"; enabled = false; } );' >"$T/etc/99-local.conf"
expect_rc "disable by id" 0 "$TWTUNE" policy check -v "$POL" "$T/etc"
expect_grep "disabled listed" "fin-timeout-myth.*(disabled)" "$T/out"

# the configuration file: every long option, the command line wins
cat >"$T/twtune.conf" <<C
policy = [ "$POL" ];
format = "json";
state = "$T/cfg/state.json";
no-sockets = true;
proc = "$FIX/healthy";
C
expect_rc "settings from -c" 0 "$TWTUNE" -c "$T/twtune.conf" report
expect_eq "format from the file" "$(jget "$T/out" .command)" report
expect_eq "no-sockets from the file" "$(jget "$T/out" .sockets.error)" "--no-sockets"
expect_eq "state from the file" "$(jget "$T/cfg/state.json" .version)" 2
expect_rc "the command line wins" 0 "$TWTUNE" -c "$T/twtune.conf" report -f text -q
expect_grep "text, not json" "^OK: not overflowing" "$T/out"
cat >"$T/bad-twtune.conf" <<'C'
formt = "json";
sample = -1;
no-persist = "yes";
policy = [ 1 ];
C
expect_rc "invalid configuration" 65 "$TWTUNE" -c "$T/bad-twtune.conf" report
expect_grep "unknown setting" "bad-twtune.conf:1: unknown setting 'formt'" "$T/err"
expect_grep "bad value" "bad-twtune.conf:2: sample takes seconds above 0 and up to 3600" "$T/err"
expect_grep "bad type" "bad-twtune.conf:3: no-persist must be true or false" "$T/err"
expect_grep "bad list" "bad-twtune.conf:4: policy must be a list of strings" "$T/err"
echo 'format = ;' >"$T/syntax.conf"
expect_rc "syntax error" 65 "$TWTUNE" -c "$T/syntax.conf" report
expect_grep "syntax error with its line" "syntax.conf:1: syntax error" "$T/err"
expect_rc "a named file must exist" 65 "$TWTUNE" -c "$T/nonexistent.conf" report
expect_grep "says so" "nonexistent.conf: No such file or directory" "$T/err"

# permission: apply on the real /proc needs CAP_NET_ADMIN
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	# nobody may not be able to read the source tree (e.g. under /root):
	# a world-readable copy of what it needs, owned by root
	NB=$(mktemp -d /tmp/twtune-nobody.XXXXXX) || exit 99
	trap 'rm -rf "$NB"; cleanup' EXIT
	chmod 0755 "$NB"
	cp -r "$POL" "$NB/pol" && cp -r "$FIX/healthy" "$NB/healthy" || exit 99
	chmod -R go+rX,go-w "$NB"
	expect_rc "apply as nobody on /proc" 77 setpriv --reuid=65534 --regid=65534 \
		--clear-groups "$TWTUNE" apply -p "$NB/pol" --state "$T/s.json"
	expect_grep "says what is missing" "needs CAP_NET_ADMIN" "$T/err"
	expect_rc "report as nobody works" 0 setpriv --reuid=65534 --regid=65534 \
		--clear-groups "$TWTUNE" report -p "$NB/pol" --proc "$NB/healthy" \
		--state "$T/nobody/state.json"
	expect_grep "state not writable is only a warning" "state file" "$T/out"
else
	expect_rc "apply without privilege on /proc" 77 "$TWTUNE" apply -p "$POL" --state "$T/s.json"
fi

finish
