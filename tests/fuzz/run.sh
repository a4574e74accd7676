#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Build every fuzz harness in tests/fuzz with clang's libFuzzer, ASan and
# UBSan (from src/*.c but main.c, against the configured tree's config.h),
# then run each for FUZZ_SECONDS seconds on a scratch copy of its seed
# corpus and regression inputs; tests/fuzz/corpus is never written to.
# Exits 1 if a harness fails to build, crashes, leaks, times out or runs
# out of memory (the input is kept under FUZZ_OUT/artifacts), 77 if clang
# has no libFuzzer, 0 otherwise; prints the runs and coverage of each.
#
# Environment: SRCDIR, BUILDDIR (set by `make fuzz`; default: this
# script's tree and the current directory), FUZZ_SECONDS (30; 0 only
# builds, for running the binaries by hand), FUZZ_JOBS
# (1: harnesses run one at a time; 2 runs two at once), FUZZ_OUT
# (BUILDDIR/fuzz-out), FUZZ_TMPDIR (where the harnesses write their
# scratch files: /dev/shm, else under FUZZ_OUT), FUZZ_CC (clang),
# FUZZ_HARNESSES (all of them).
set -u

: "${SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${BUILDDIR:=$(pwd)}"
: "${FUZZ_SECONDS:=30}"
: "${FUZZ_JOBS:=1}"
: "${FUZZ_OUT:=$BUILDDIR/fuzz-out}"
: "${FUZZ_CC:=clang}"
: "${FUZZ_HARNESSES:=fuzz_policy fuzz_expr fuzz_proc fuzz_sysctld fuzz_sockdiag fuzz_klog}"
export SRCDIR BUILDDIR FUZZ_SECONDS FUZZ_JOBS FUZZ_OUT FUZZ_CC

SANITIZE='-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all'
PKGS='libconfig libcap-ng jansson nettle'
FUZZ_DIR=$SRCDIR/tests/fuzz

# Longest input per harness: a few times the largest real file it reads.
max_len()
{
	case $1 in
	fuzz_policy) echo 16384 ;;  # shipped policies are under 2 KiB
	fuzz_expr) echo 8192 ;;     # the parser refuses more than 4096
	fuzz_proc) echo 32768 ;;    # /proc/net/netstat is about 6 KiB
	fuzz_sysctld) echo 8192 ;;  # persist lines are at most 511 bytes
	fuzz_sockdiag) echo 32768 ;; # about 350 sockets
	fuzz_klog) echo 32768 ;;     # a few hundred log lines
	*) echo 4096 ;;
	esac
}

# One harness: fuzz it, then report on one line; the status says how it went.
run_one()
{
	h=$1
	work=$FUZZ_OUT/work/$h
	log=$FUZZ_OUT/$h.log
	res=$FUZZ_OUT/results/$h
	rm -rf "$work" "$FUZZ_OUT/artifacts/$h"
	mkdir -p "$work/corpus" "$FUZZ_OUT/artifacts/$h"
	# the harnesses write their inputs to files: on tmpfs that is ten
	# times faster than on a disk
	tmp=$(mktemp -d "${FUZZ_TMPDIR:-/dev/shm}/twtune-$h-XXXXXX" 2>/dev/null) ||
		{ tmp=$work/tmp && mkdir -p "$tmp"; }
	for d in "$FUZZ_DIR/corpus/$h" "$FUZZ_DIR/regress/$h"; do
		[ -d "$d" ] || continue
		find "$d" -maxdepth 1 -type f -exec cp {} "$work/corpus/" \;
	done
	set -- -max_total_time="$FUZZ_SECONDS" -max_len="$(max_len "$h")" \
		-rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
		-artifact_prefix="$FUZZ_OUT/artifacts/$h/"
	[ -f "$FUZZ_DIR/$h.dict" ] && set -- "$@" -dict="$FUZZ_DIR/$h.dict"
	# cwd and TMPDIR in the scratch area: whatever the code under test
	# creates or reads by a relative name stays there
	(cd "$work" && TMPDIR=$tmp \
		ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=1 \
		UBSAN_OPTIONS=${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}print_stacktrace=1 \
		"$FUZZ_OUT/bin/$h" "$@" "$work/corpus" </dev/null >"$log" 2>&1)
	rc=$?
	rm -rf "$tmp"
	runs=$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\1 runs in \2 s/p' "$log" | tail -n 1)
	cov=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -n 1 |
		sed 's/.*\(cov: [0-9]*\) \(ft: [0-9]*\) \(corp: [^ ]*\).*/\1, \2, \3/')
	if [ "$rc" -eq 0 ] && [ -n "$runs" ]; then
		echo "ok" >"$res"
		echo "$h: ok: ${runs}; final ${cov:-cov: unknown}"
		return 0
	fi
	why="exit status $rc"
	if grep -q 'ERROR: LeakSanitizer' "$log"; then
		why="memory leak"
	elif grep -q 'ERROR: libFuzzer: timeout' "$log"; then
		why="timeout"
	elif grep -q -e 'out-of-memory' -e 'allocation-size-too-big' "$log"; then
		why="out of memory"
	elif grep -q 'ERROR: AddressSanitizer' "$log"; then
		why="AddressSanitizer: $(sed -n 's/.*ERROR: AddressSanitizer: \([^ ]*\).*/\1/p' "$log" | head -n 1)"
	elif grep -q 'runtime error:' "$log"; then
		why="UndefinedBehaviorSanitizer: $(grep -m 1 'runtime error:' "$log")"
	elif grep -q 'check failed:' "$log"; then
		why="$(grep -m 1 'check failed:' "$log")"
	elif grep -q 'deadly signal' "$log"; then
		why="crash (deadly signal)"
	elif grep -q 'fuzz target exited' "$log"; then
		why="the code under test called exit()"
	fi
	echo "FAIL $why" >"$res"
	echo "$h: FAIL: $why; ${runs:-no runs completed}"
	echo "$h: input: $(find "$FUZZ_OUT/artifacts/$h" -type f | head -n 1); log: $log"
	return 1
}

# One object (src/X.c) or one harness binary, for xargs -P.
build_one()
{
	case $1 in
	obj:*)
		src=${1#obj:}
		o=$FUZZ_OUT/obj/$(basename "$src" .c).o
		# shellcheck disable=SC2086
		$FUZZ_CC $CFLAGS $CPPFLAGS -c "$src" -o "$o" \
			>"$o.log" 2>&1 || { cat "$o.log"; echo "build failed: $src"; return 1; }
		;;
	bin:*)
		h=${1#bin:}
		# shellcheck disable=SC2086
		$FUZZ_CC $CFLAGS $CPPFLAGS -I"$FUZZ_DIR" \
			"$FUZZ_DIR/$h.c" "$FUZZ_DIR/fuzzutil.c" "$FUZZ_OUT"/obj/*.o \
			-o "$FUZZ_OUT/bin/$h" $LIBS >"$FUZZ_OUT/bin/$h.log" 2>&1 ||
			{ cat "$FUZZ_OUT/bin/$h.log"; echo "build failed: $h"; return 1; }
		;;
	esac
}

case ${1:-} in
--run-one) run_one "$2"; exit $? ;;
--build-one) build_one "$2"; exit $? ;;
esac

if ! command -v "$FUZZ_CC" >/dev/null 2>&1; then
	echo "SKIP: $FUZZ_CC not found (fuzzing needs clang with libFuzzer)"
	exit 77
fi
mkdir -p "$FUZZ_OUT/obj" "$FUZZ_OUT/bin" "$FUZZ_OUT/results" || exit 1
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n)\n{\n\treturn (int)(d && n) * 0;\n}\n' \
	>"$FUZZ_OUT/probe.c"
# shellcheck disable=SC2086
if ! $FUZZ_CC $SANITIZE "$FUZZ_OUT/probe.c" -o "$FUZZ_OUT/probe" \
	>"$FUZZ_OUT/probe.log" 2>&1; then
	cat "$FUZZ_OUT/probe.log"
	echo "SKIP: $FUZZ_CC cannot build a libFuzzer target (-fsanitize=fuzzer)"
	exit 77
fi
if [ ! -f "$BUILDDIR/config.h" ]; then
	echo "$BUILDDIR/config.h: missing: run ./configure first"
	exit 1
fi
# shellcheck disable=SC2086
if ! PKG_CFLAGS=$(pkg-config --cflags $PKGS) || ! LIBS=$(pkg-config --libs $PKGS); then
	echo "pkg-config: $PKGS: not all found"
	exit 1
fi
CFLAGS="-std=gnu11 -g -O1 -fno-omit-frame-pointer $SANITIZE"
# (the path macros of Makefile.am's AM_CPPFLAGS are for main.c alone)
CPPFLAGS="-I$BUILDDIR -I$SRCDIR/src $PKG_CFLAGS"
LIBS="$LIBS -lm"
export CFLAGS CPPFLAGS LIBS

echo "fuzz: building $FUZZ_HARNESSES into $FUZZ_OUT"
rm -f "$FUZZ_OUT"/obj/*.o "$FUZZ_OUT"/bin/* "$FUZZ_OUT"/results/*
failed=
for src in "$SRCDIR"/src/*.c; do
	[ "$(basename "$src")" = main.c ] || echo "obj:$src"
done | xargs -P "$FUZZ_JOBS" -n 1 sh "$0" --build-one || failed="objects"
if [ -z "$failed" ]; then
	for h in $FUZZ_HARNESSES; do
		echo "bin:$h"
	done | xargs -P "$FUZZ_JOBS" -n 1 sh "$0" --build-one
	for h in $FUZZ_HARNESSES; do
		[ -x "$FUZZ_OUT/bin/$h" ] || failed="$failed $h(build)"
	done
fi
if [ -n "$failed" ]; then
	echo "fuzz: FAILED to build:$failed"
	exit 1
fi

if [ "$FUZZ_SECONDS" -eq 0 ]; then
	echo "fuzz: built into $FUZZ_OUT/bin (FUZZ_SECONDS=0: not run)"
	exit 0
fi
echo "fuzz: $FUZZ_SECONDS s per harness, $FUZZ_JOBS at a time"
for h in $FUZZ_HARNESSES; do
	echo "$h"
done | xargs -P "$FUZZ_JOBS" -n 1 sh "$0" --run-one
for h in $FUZZ_HARNESSES; do
	r=$(cat "$FUZZ_OUT/results/$h" 2>/dev/null || echo "FAIL no result")
	[ "$r" = ok ] || failed="$failed $h(${r#FAIL })"
done
if [ -n "$failed" ]; then
	echo "fuzz: FAILED:$failed"
	exit 1
fi
echo "fuzz: all harnesses ok"
exit 0
