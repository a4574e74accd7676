#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# make install into a DESTDIR: every file where it belongs, with tight
# modes; the configuration file never overwritten; the systemd units pass
# systemd-analyze verify when systemd is installed.
. "${SRCDIR:-.}/tests/lib.sh"
: "${BUILDDIR:?}" "${MAKE:=make}"

D="$T/dest"
if "$MAKE" -s -C "$BUILDDIR" install DESTDIR="$D" >"$T/install.log" 2>&1; then
	ok "make install DESTDIR"
else
	not_ok "make install DESTDIR"
	sed 's/^/    | /' "$T/install.log" | tail -10
fi
# the installation directories, as this build's Makefile has them
for v in prefix exec_prefix datarootdir sbindir datadir sysconfdir \
	localstatedir mandir systemdsystemunitdir bashcompletiondir; do
	val=$(sed -n "s/^$v = //p" "$BUILDDIR/Makefile" |
		sed 's/\$(\([a-z_]*\))/${\1}/g; s/\${\([a-z_]*\)}/${\1}/g')
	eval "$v=\"$val\""
done
f() { [ -e "$D$1" ] && ok "installed $1" || not_ok "missing $1"; }
f "$sbindir/twtune"
f "$datadir/twtune/policies/10-tw-buckets.conf"
f "$datadir/twtune/policies/60-port-range.conf"
f "$mandir/man8/twtune.8"
f "$mandir/man5/twtune.policy.5"
f "$mandir/man5/twtune.conf.5"
f "$sysconfdir/twtune/twtune.conf"
f "$sysconfdir/twtune/policies.d"
f "$sysconfdir/logrotate.d/twtune"
f "$bashcompletiondir/twtune"
f "$systemdsystemunitdir/twtune.service"
f "$systemdsystemunitdir/twtune-apply.service"
f "$systemdsystemunitdir/twtune-apply.timer"
expect_eq "state directory mode" "$(stat -c %a "$D$localstatedir/lib/twtune")" 750
expect_eq "log directory mode" "$(stat -c %a "$D$localstatedir/log/twtune")" 750
expect_grep "unit runs the installed binary" "^ExecStart=$sbindir/twtune watch$" "$D$systemdsystemunitdir/twtune.service"
expect_grep "unit may write the persist directory" "^ReadWritePaths=-$sysconfdir/sysctl.d$" "$D$systemdsystemunitdir/twtune.service"
expect_grep "only CAP_NET_ADMIN" "^CapabilityBoundingSet=CAP_NET_ADMIN$" "$D$systemdsystemunitdir/twtune.service"

# the installed binary finds its shipped policies by default
"$D$sbindir/twtune" policy check "$D$datadir/twtune/policies" >"$T/pc" 2>&1
expect_grep "installed policies are valid" "^OK: 11 rules" "$T/pc"

# an operator's configuration survives a reinstall
echo "# mine" >>"$D$sysconfdir/twtune/twtune.conf"
"$MAKE" -s -C "$BUILDDIR" install DESTDIR="$D" >/dev/null 2>&1
expect_grep "config file not overwritten" "^# mine$" "$D$sysconfdir/twtune/twtune.conf"

if command -v systemd-analyze >/dev/null; then
	# verify needs the ExecStart binary where the unit says: point it
	# at the DESTDIR copy
	mkdir -p "$T/units"
	for u in twtune.service twtune-apply.service twtune-apply.timer; do
		sed "s|$sbindir/twtune|$D$sbindir/twtune|" \
			"$D$systemdsystemunitdir/$u" >"$T/units/$u"
	done
	(cd "$T/units" && systemd-analyze verify --man=no twtune.service \
		twtune-apply.service twtune-apply.timer) >"$T/verify" 2>&1
	expect_eq "systemd-analyze verify" "$?" 0
	sed 's/^/    | /' "$T/verify" | head -10
else
	echo "# systemd-analyze not installed: units not verified"
fi
"$MAKE" -s -C "$BUILDDIR" uninstall DESTDIR="$D" >/dev/null 2>&1
expect_eq "make uninstall" "$?" 0
expect_eq "nothing left but directories" "$(find "$D" -type f | wc -l)" 0
finish
