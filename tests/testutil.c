// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Helpers shared by the unit tests: temporary directories and small files
 * written into them.  See testutil.h.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <math.h>

#include "policy.h"
#include "testutil.h"
#include "util.h"

int testdir_make(struct testdir *t)
{
	const char *base = getenv("TMPDIR");
	int n;

	t->fd = -1;
	n = snprintf(t->path, sizeof(t->path), "%s/twtune-%s-XXXXXX",
		     base && *base ? base : "/tmp",
		     program_invocation_short_name);
	if (n < 0 || (size_t)n >= sizeof(t->path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (!mkdtemp(t->path))
		return -1;
	t->fd = open(t->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (t->fd < 0) {
		int saved = errno;

		rmdir(t->path);
		errno = saved;
		return -1;
	}
	return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int testdir_remove(struct testdir *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	return nftw(t->path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int testdir_setup(void **state)
{
	struct testdir *t = calloc(1, sizeof(*t));

	if (!t)
		return -1;
	if (testdir_make(t) < 0) {
		free(t);
		return -1;
	}
	*state = t;
	return 0;
}

int testdir_teardown(void **state)
{
	struct testdir *t = *state;
	int ret = testdir_remove(t);

	free(t);
	return ret;
}

int testdir_mkdirs(int dirfd, const char *relpath)
{
	char dir[PATH_MAX];
	size_t len = strlen(relpath);

	if (len >= sizeof(dir)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(dir, relpath, len + 1);
	/* each prefix that ends before a '/', then the whole path */
	for (char *s = dir + 1; s <= dir + len; s++) {
		char c = *s;

		if (c != '/' && c != '\0')
			continue;
		*s = '\0';
		if (mkdirat(dirfd, dir, 0755) < 0 && errno != EEXIST)
			return -1;
		*s = c;
	}
	return 0;
}

static void write_text(int dirfd, const char *relpath, int how,
		       const char *text)
{
	const char *slash = strrchr(relpath, '/');
	int flags = O_WRONLY | O_CREAT | O_CLOEXEC | how;
	int fd = openat(dirfd, relpath, flags, 0644);

	/* a missing parent: make it and try again */
	if (fd < 0 && errno == ENOENT && slash && slash > relpath) {
		char parent[PATH_MAX];

		snprintf(parent, sizeof(parent), "%.*s", (int)(slash - relpath),
			 relpath);
		if (testdir_mkdirs(dirfd, parent) < 0)
			fail_msg("mkdir %s: %s", parent, strerror(errno));
		fd = openat(dirfd, relpath, flags, 0644);
	}
	if (fd < 0)
		fail_msg("open %s: %s", relpath, strerror(errno));
	assert_int_equal(write(fd, text, strlen(text)), (int)strlen(text));
	assert_int_equal(close(fd), 0);
}

void testdir_put(int dirfd, const char *relpath, const char *text)
{
	write_text(dirfd, relpath, O_TRUNC, text);
}

void testdir_append(int dirfd, const char *relpath, const char *text)
{
	write_text(dirfd, relpath, O_APPEND, text);
}

char *testutil_src_path(const char *rel)
{
	const char *top = getenv("SRCDIR");

	return xasprintf("%s/%s", top && *top ? top : ".", rel);
}

int testutil_load_policy(const char *path, struct policy *p)
{
	const char *paths[1] = { path };
	struct msgs errs = { 0 };
	int ret = policy_load(paths, 1, false, p, &errs);

	for (size_t i = 0; i < errs.n; i++)
		print_error("policy: %s\n", errs.v[i]);
	msgs_free(&errs);
	return ret;
}

void assert_num(double got, double want)
{
	if (isnan(want) ? !isnan(got) : got != want)
		fail_msg("got %.17g, want %.17g", got, want);
}

void assert_contains(const char *text, const char *part)
{
	if (!text || !strstr(text, part))
		fail_msg("\"%s\" does not contain \"%s\"",
			 text ? text : "(null)", part);
}
