/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers shared by the fuzz harnesses (tests/fuzz/fuzz_*.c), which are
 * built both as libFuzzer targets (tests/fuzz/run.sh) and, with an
 * ordinary main() that replays the corpus (replay.c), as unit tests: the
 * entry point's prototype, splitting one input into NUL-separated parts
 * (text files cannot hold NUL, so a part is one file), a scratch
 * directory per process for code that only reads files, and the
 * observation that expressions and plans are evaluated against.
 */
#ifndef TWTUNE_FUZZUTIL_H
#define TWTUNE_FUZZUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct observation;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_PARTS 9

/* An input cut at its NUL bytes; every part is a NUL-terminated string. */
struct fuzz_parts {
	char *buf;
	const char *part[FUZZ_MAX_PARTS];
	size_t len[FUZZ_MAX_PARTS];
	size_t n; /* at least 1; parts after FUZZ_MAX_PARTS are dropped */
};

void fuzz_split(const uint8_t *data, size_t size, struct fuzz_parts *p);
void fuzz_parts_free(struct fuzz_parts *p);

/*
 * A directory made on first use under $TMPDIR (or /tmp) and removed with
 * everything in it at exit.  The same path for the whole process, so
 * that nothing grows from one input to the next.
 */
const char *fuzz_scratch(void);

/* Write len bytes to dir/rel, creating parents; abort() on failure. */
void fuzz_put(const char *dir, const char *rel, const char *text, size_t len);

/* Remove dir/rel if it is there; abort() on any other failure. */
void fuzz_unlink(const char *dir, const char *rel);

/*
 * Fill o as observe_collect() and sockdiag_fill() would on one of a few
 * plausible hosts: 0 quiet, 1 an overflowing table with socket metrics,
 * 2 a first run without a baseline or socket metrics (many unknowns).
 * Release with observe_free().
 */
#define FUZZ_OBS_VARIANTS 3
void fuzz_observation(struct observation *o, int variant);

/* Crash (a finding) with a message when cond is false. */
#define fuzz_check(cond) fuzz_check_at((cond), #cond, __FILE__, __LINE__)
void fuzz_check_at(bool ok, const char *what, const char *file, int line);

#endif
