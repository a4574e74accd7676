/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers shared by the unit tests: a throwaway directory under $TMPDIR
 * (or /tmp) held open as a directory descriptor, its recursive removal,
 * cmocka setup and teardown functions that give a test such a directory
 * in *state, and writing small files below a directory descriptor, with
 * the parent directories created as needed.  Tests that need a particular
 * tree (a fake /proc, a log directory) build it on these.
 */
#ifndef TWTUNE_TESTUTIL_H
#define TWTUNE_TESTUTIL_H

#include <limits.h>

struct testdir {
	char path[PATH_MAX];
	int fd; /* open on path, or -1 */
};

/*
 * Create a fresh directory $TMPDIR/twtune-<program>-XXXXXX and open it.
 * Returns 0, or -1 with errno set and nothing left behind.
 */
int testdir_make(struct testdir *t);

/* Close the directory and remove it with all it holds; 0 or -1. */
int testdir_remove(struct testdir *t);

/* cmocka fixtures: *state is an allocated struct testdir. */
int testdir_setup(void **state);
int testdir_teardown(void **state);

/*
 * Create directory relpath below dirfd, and those leading to it, mode
 * 0755 (less the umask); ones that exist already are fine, like mkdir -p.
 * Returns 0, or -1 with errno set.
 */
int testdir_mkdirs(int dirfd, const char *relpath);

/*
 * Write text to relpath below dirfd (AT_FDCWD for a plain path), replacing
 * or appending to what is there; a new file is 0644 (less the umask) and
 * missing parent directories are created.  Any failure fails the test.
 */
void testdir_put(int dirfd, const char *relpath, const char *text);
void testdir_append(int dirfd, const char *relpath, const char *text);

/* A path under the source tree ($SRCDIR, else "."); the caller frees it. */
char *testutil_src_path(const char *rel);

/*
 * Load the policy at path (file or directory) into p, printing every
 * load error; returns policy_load()'s result.
 */
struct policy;
int testutil_load_policy(const char *path, struct policy *p);

/* Fail unless got equals want (NAN equals NAN). */
void assert_num(double got, double want);

/* Fail unless text holds part. */
void assert_contains(const char *text, const char *part);

#endif
