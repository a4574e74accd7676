#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Hostile policy and configuration files: huge, deeply nested, binary,
# not a regular file, or writable by someone other than root.  Each gets
# a clear error and exit 65, in bounded
# time and memory, and nothing is observed or written.
. "${SRCDIR:-.}/tests/lib.sh"

command -v /usr/bin/time >/dev/null || skip "GNU time is needed (apt-get install time)"
P="$T/pol"
mkdir -m 0755 "$P"

# limited CASE FILE: policy check exits 65 within 2 s and 64 MB
limited() {
	/usr/bin/time -f "%e %M" -o "$T/usage" "$TWTUNE" policy check "$2" >"$T/out" 2>"$T/err"
	rc=$?
	expect_eq "$1: exit" "$rc" 65
	read -r secs kb <<EOT
$(tail -n 1 "$T/usage")
EOT
	echo "# $1: $secs s, $kb KB"
	if awk -v s="$secs" -v k="$kb" 'BEGIN { exit !(s < 2 && k < 65536) }'; then
		ok "$1: bounded ($secs s, $kb KB)"
	else
		not_ok "$1: took $secs s and $kb KB"
	fi
}

# 100 MB of valid-looking text: refused from its size, not read
yes 'rules = ();' | head -c 100000000 >"$P/huge.conf"
limited "100 MB policy" "$P/huge.conf"
expect_grep "says why" "huge.conf: larger than 1 MiB" "$T/err"
rm -f "$P/huge.conf"

# nesting 200000 deep (in under 1 MiB): libconfig's parser stack is bounded
awk 'BEGIN { printf "rules = "; for (i = 0; i < 200000; i++) printf "("; for (i = 0; i < 200000; i++) printf ")"; print ";" }' >"$P/deep.conf"
limited "deeply nested policy" "$P/deep.conf"
expect_grep "says where" "deep.conf:1: memory exhausted" "$T/err"
rm -f "$P/deep.conf"

# an expression nested deeper than the parser allows
awk 'BEGIN { printf "rules = ({ id = \"x\"; advice = \"y\"; when = \""; for (i = 0; i < 1000; i++) printf "("; printf "1"; for (i = 0; i < 1000; i++) printf ")"; print "\"; });" }' >"$P/deep-expr.conf"
limited "deeply nested expression" "$P/deep-expr.conf"
expect_grep "says why" "deep-expr.conf:1: rule 'x': when: column 65: expression nests too deeply" "$T/err"
rm -f "$P/deep-expr.conf"

# binary garbage, and text with a NUL byte in it (libconfig would stop there)
head -c 65536 /dev/urandom >"$P/garbage.conf"
limited "binary garbage" "$P/garbage.conf"
expect_grep "names the file" "garbage.conf" "$T/err"
rm -f "$P/garbage.conf"
printf 'rules = ();\000rules = oops' >"$P/nul.conf"
limited "a NUL byte" "$P/nul.conf"
expect_grep "says why" "nul.conf: not a text file (NUL byte at offset 11)" "$T/err"
rm -f "$P/nul.conf"

# a FIFO where a policy file should be: refused at once, no hang
mkfifo "$P/fifo.conf"
limited "a FIFO" "$P/fifo.conf"
expect_grep "says why" "fifo.conf: not a regular file" "$T/err"
rm -f "$P/fifo.conf"

# @include would pull in a file the trust checks never saw
printf 'rules = ({ id = "x"; advice = "y"; when = "1"; });\n' >"$T/included.txt"
chmod 0666 "$T/included.txt"
printf '# comment\n  @include "%s"\n' "$T/included.txt" >"$P/include.conf"
limited "@include" "$P/include.conf"
expect_grep "says why" "include.conf:2: @include is not allowed" "$T/err"
rm -f "$P/include.conf"

# ---- trust: only root (or the user running twtune) may be able to write ----
cp "$SRCDIR/tests/policies/faults/raise.conf" "$P/ok.conf"
chmod 0644 "$P/ok.conf"
expect_rc "control: a 0644 policy in a 0755 directory" 0 "$TWTUNE" policy check "$P/ok.conf"
chmod 0666 "$P/ok.conf"
expect_rc "a world-writable policy" 65 "$TWTUNE" policy check "$P/ok.conf"
expect_grep "says why" "refusing an untrusted policy file: the file is writable by everyone (mode 0666)" "$T/err"
chmod 0664 "$P/ok.conf"
expect_rc "a group-writable policy" 65 "$TWTUNE" report -p "$P/ok.conf" --proc "$FIX/healthy" --state "$T/s.json"
expect_grep "says why" "writable by its group" "$T/err"
chmod 0644 "$P/ok.conf"
chmod 0777 "$P"
expect_rc "a policy in a world-writable directory" 65 "$TWTUNE" policy check "$P/ok.conf"
expect_grep "says why" "its directory is writable by everyone" "$T/err"
chmod 1777 "$P"
expect_rc "a sticky directory (like /tmp) is fine" 0 "$TWTUNE" policy check "$P/ok.conf"
chmod 0755 "$P"
if [ "$(id -u)" = 0 ]; then
	chown 12345 "$P/ok.conf"
	expect_rc "a policy owned by another user" 65 "$TWTUNE" policy check "$P/ok.conf"
	expect_grep "says why" "the file is owned by uid 12345, not by root" "$T/err"
	chown 0 "$P/ok.conf"
fi
# the configuration file names the files twtune writes: the same rules
printf 'format = "json";\n' >"$T/twtune.conf"
chmod 0666 "$T/twtune.conf"
expect_rc "a world-writable configuration file" 65 "$TWTUNE" report -c "$T/twtune.conf" -p "$P/ok.conf" --proc "$FIX/healthy" --state "$T/s.json"
expect_grep "says why" "refusing this configuration file: the file is writable by everyone" "$T/err"
printf '@include "%s"\n' "$T/included.txt" >"$T/inc-twtune.conf"
expect_rc "a configuration file with @include" 65 "$TWTUNE" report -c "$T/inc-twtune.conf" -p "$P/ok.conf" --proc "$FIX/healthy" --state "$T/s.json"
expect_grep "says why" "inc-twtune.conf:1: refusing this configuration file: @include is not allowed" "$T/err"
chmod 0644 "$T/twtune.conf"
expect_rc "control: the same file 0644" 0 "$TWTUNE" report -c "$T/twtune.conf" -p "$P/ok.conf" --proc "$FIX/healthy" --state "$T/s.json"

finish
