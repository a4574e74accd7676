#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The paths configure is given are the binary's: in a VPATH build in a
# temporary directory, --sysconfdir DIR (the space form, with --prefix
# /usr, whose own /etc and /var defaults must not override it) goes into
# src/paths.h and the built twtune's defaults; configure run again with
# another --prefix and make rebuild what includes src/paths.h, and the
# binary then carries the new paths (and nothing else is recompiled); the
# same configure once more changes nothing.
. "${SRCDIR:-.}/tests/lib.sh"
: "${BUILDDIR:?}" "${MAKE:=make}"

# make distcheck makes the source tree read-only (mode, which root does
# not feel): this test is for make check in a writable tree
if [ -n "$(find "$SRCDIR" -maxdepth 0 ! -perm -u=w)" ]; then
	skip "the source tree $SRCDIR is read-only (make distcheck): configure's paths are checked by make check"
fi

# A source tree configured in place cannot be configured elsewhere too
# (configure refuses, and its generated files would shadow the build's):
# then the same tree as distributed, copied by make distdir.
SRC=$SRCDIR
if [ -e "$SRCDIR/config.status" ]; then
	SRC="$T/src"
	if ! "$MAKE" -s -C "$BUILDDIR" distdir distdir="$SRC" >"$T/distdir.log" 2>&1; then
		sed 's/^/    | /' "$T/distdir.log" | tail -10
		echo "make distdir failed"
		exit 99
	fi
	echo "# $SRCDIR is configured in place: configuring a copy of it (make distdir)"
fi
B="$T/build"
mkdir "$B"

# conf WHAT ARGS...: run SRC/configure in B
conf() {
	what=$1
	shift
	if (cd "$B" && "$SRC/configure" -q "$@") >"$T/conf.log" 2>&1; then
		ok "configure $what"
	else
		not_ok "configure $what"
		sed 's/^/    | /' "$T/conf.log" | tail -10
	fi
}
# build WHAT: make (all) in B
build() {
	if "$MAKE" -s -C "$B" >"$T/make.log" 2>&1; then
		ok "make $1"
	else
		not_ok "make $1"
		sed 's/^/    | /' "$T/make.log" | tail -20
	fi
}
# defines: src/paths.h as NAME=VALUE lines
defines() { sed -n 's/^#define \([A-Z_]*\) "\(.*\)"$/\1=\2/p' "$B/src/paths.h"; }
# said WHAT TEXT: the built twtune's --help says TEXT
said() {
	"$B/src/twtune" --help >"$T/help" 2>&1
	if grep -qF -- "$2" "$T/help"; then ok "$1"; else
		not_ok "$1: no '$2' in twtune --help"
		grep -F default "$T/help" | sed 's/^/    | /'
	fi
}
mtime() { stat -c %y "$B/$1" 2>/dev/null; }
# changed WHAT FILE MTIME: FILE was written since MTIME
changed() {
	if [ "$(mtime "$2")" != "$3" ]; then ok "$1"; else not_ok "$1: $2 is as it was"; fi
}

conf "--prefix /usr --sysconfdir /opt/etc" --prefix /usr --sysconfdir /opt/etc
expect_eq "the Makefile's sysconfdir" "$(sed -n 's/^sysconfdir = //p' "$B/Makefile")" /opt/etc
build "(first)"
expect_eq "src/paths.h" "$(defines | tr '\n' ' ')" \
	"POLICY_DIR=/usr/share/twtune/policies SYSCONF_POLICY_DIR=/opt/etc/twtune/policies.d CONFIG_FILE=/opt/etc/twtune/twtune.conf AUDIT_LOG=/var/log/twtune/audit.jsonl STATE_FILE=/var/lib/twtune/state.json "
said "the binary's configuration file is under /opt/etc" "(default /opt/etc/twtune/twtune.conf;"
said "the binary's operator policies are under /opt/etc" "then /opt/etc/twtune/policies.d"
said "the binary's shipped policies are under /usr" "default path /usr/share/twtune/policies"

twtune_before=$(mtime src/twtune)
options_before=$(mtime src/options.o)
util_before=$(mtime src/util.o)
sleep 1 # mtimes a build cannot mistake for the first build's
conf "again with --prefix /opt/tw2" --prefix /opt/tw2
build "after the new configure"
expect_eq "src/paths.h follows the new prefix" "$(defines | tr '\n' ' ')" \
	"POLICY_DIR=/opt/tw2/share/twtune/policies SYSCONF_POLICY_DIR=/opt/tw2/etc/twtune/policies.d CONFIG_FILE=/opt/tw2/etc/twtune/twtune.conf AUDIT_LOG=/opt/tw2/var/log/twtune/audit.jsonl STATE_FILE=/opt/tw2/var/lib/twtune/state.json "
changed "src/options.o (which includes src/paths.h) was recompiled" src/options.o "$options_before"
changed "src/twtune was relinked" src/twtune "$twtune_before"
expect_eq "src/util.o (which does not include it) was left" "$(mtime src/util.o)" "$util_before"
said "the binary's shipped policies follow" "default path /opt/tw2/share/twtune/policies"
said "its configuration file follows" "(default /opt/tw2/etc/twtune/twtune.conf;"
said "its audit log follows" "/opt/tw2/var/log/twtune/audit.jsonl)"
said "its state file follows" "/opt/tw2/var/lib/twtune/state.json)"
if grep -qF /opt/etc "$T/help" || grep -qF /usr/share/twtune "$T/help"; then
	not_ok "the binary still names an old path"
else
	ok "no old path left in the binary's --help"
fi

# the same configure once more: src/paths.h is kept, nothing is rebuilt
twtune_before=$(mtime src/twtune)
paths_before=$(defines | tr '\n' ' ')
sleep 1
conf "once more, the same" --prefix /opt/tw2
build "after the same configure"
expect_eq "src/paths.h unchanged" "$(defines | tr '\n' ' ')" "$paths_before"
expect_eq "src/twtune not relinked" "$(mtime src/twtune)" "$twtune_before"
finish
