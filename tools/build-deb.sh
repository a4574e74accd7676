#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Build the Debian package from a clean copy of the committed tree (plus
# uncommitted changes to tracked files; untracked files are left out, as
# a clean checkout would), without its test suite (make check runs that),
# and check it with lintian: any error or warning that debian/ does not
# override with its reason fails the build.
#
#   tools/build-deb.sh [OUTDIR]    (default: tools/.deps/deb)
#
# Needs debhelper, dpkg-dev and lintian (sh tools/install-deps.sh --system).
set -eu

SRC=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-$SRC/tools/.deps/deb}
for t in git dpkg-buildpackage dh lintian; do
	command -v "$t" >/dev/null ||
		{ echo "build-deb: $t not found (sh tools/install-deps.sh --system)" >&2; exit 1; }
done
git -C "$SRC" rev-parse --git-dir >/dev/null 2>&1 ||
	{ echo "build-deb: $SRC is not a git checkout" >&2; exit 1; }

step="making a temporary directory"
W=$(mktemp -d "${TMPDIR:-/tmp}/twtune-deb.XXXXXX")
# on any failure, say where (set -e alone can exit without a word)
trap 'rc=$?; rm -rf "$W"; [ "$rc" = 0 ] || echo "build-deb: failed (exit $rc) while $step" >&2' EXIT
# git stash create: a commit of the work tree's tracked files, made
# without touching the work tree or the stash; empty when it is clean
step="recording the work tree (git stash create)"
# first the index's view of file times: a file only touched by the build
# (same content) would make git 2.39's stash create fail without a word
git -C "$SRC" update-index -q --refresh >/dev/null 2>&1 || true
rev=$(git -C "$SRC" stash create)
mkdir "$W/src"
step="copying the tree (git archive ${rev:-HEAD})"
git -C "$SRC" archive "${rev:-HEAD}" >"$W/src.tar"
tar -x -C "$W/src" -f "$W/src.tar"
step="building"

echo "build-deb: building in $W/src"
(cd "$W/src" && DEB_BUILD_OPTIONS=nocheck dpkg-buildpackage -us -uc -b) \
	>"$W/build.log" 2>&1 || {
	tail -n 40 "$W/build.log" >&2
	echo "build-deb: dpkg-buildpackage failed" >&2
	exit 1
}
mkdir -p "$OUT"
rm -f "$OUT"/twtune*.deb "$OUT"/twtune*.changes "$OUT"/twtune*.buildinfo
cp "$W"/twtune*.deb "$W"/twtune*.changes "$W"/twtune*.buildinfo "$OUT/"
changes=$(ls "$OUT"/twtune_*.changes)

step="checking with lintian"
echo "build-deb: lintian $(basename "$changes")"
# every tag is shown (info and pedantic too; --show-overrides would make
# lintian 2.116 exit 2 after listing them: debian/twtune.lintian-overrides
# has them with their reasons);
# errors and warnings fail
root_opt=
[ "$(id -u)" = 0 ] && root_opt=--allow-root # as CI runs it
# shellcheck disable=SC2086
lintian $root_opt --fail-on error,warning --display-info --pedantic \
	--tag-display-limit 0 "$changes"
echo "build-deb: OK: $(cd "$OUT" && ls twtune*.deb | tr '\n' ' ')in $OUT"
