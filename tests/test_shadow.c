// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Tests for the shadowing check (shadow.c) on fake root trees: which files
 * boot applies after twtune's persist file (the five sysctl.d directories,
 * a name in an earlier one masking it in a later one, lexical order of
 * name, /etc/sysctl.conf last and only once even when Debian links it in
 * as 99-sysctl.conf), how their lines are read (comments, blank lines that
 * still count for the line number, whitespace, '/' separators, a leading
 * '-', globs that never count), that only a different value is a hit, that hits
 * are named as on the real system, that an unreadable file is a warning, and
 * the key matching and lookup on their own.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shadow.h"
#include "testutil.h"
#include "util.h"

#define TWB "net.ipv4.tcp_max_tw_buckets"
#define REUSE "net.ipv4.tcp_tw_reuse"
#define RPF_ALL "net.ipv4.conf.all.rp_filter"
#define RPF_DEF "net.ipv4.conf.default.rp_filter"
#define NAME "90-twtune.conf"
#define WANT "262144"

struct scan {
	struct shadows out;
	struct msgs warn;
};

static void scan_keys(const char *root, const char *const *keys,
		      const char *const *wants, size_t n, struct scan *s)
{
	memset(s, 0, sizeof(*s));
	shadow_scan(root, NAME, keys, wants, n, &s->out, &s->warn);
	assert_int_equal(s->out.n, n);
}

/* The common case: one key, tcp_max_tw_buckets, twtune wants WANT. */
static const struct shadow *scan_twb(const struct testdir *t, struct scan *s)
{
	const char *keys[] = { TWB }, *wants[] = { WANT };
	const struct shadow *sh;

	scan_keys(t->path, keys, wants, 1, s);
	sh = shadow_find(&s->out, TWB);
	assert_non_null(sh);
	assert_string_equal(sh->key, TWB);
	assert_string_equal(sh->want, WANT);
	return sh;
}

static void scan_free(struct scan *s)
{
	shadow_free(&s->out);
	msgs_free(&s->warn);
}

static void assert_no_warnings(const struct scan *s)
{
	for (size_t i = 0; i < s->warn.n; i++)
		print_error("unexpected warning: %s\n", s->warn.v[i]);
	assert_int_equal(s->warn.n, 0);
}

static void assert_n_hits(const struct shadow *sh, size_t n)
{
	for (size_t i = 0; sh->n_hits != n && i < sh->n_hits; i++)
		print_error("%s: hit %s:%d = %s\n", sh->key, sh->hits[i].file,
			    sh->hits[i].line, sh->hits[i].value);
	assert_int_equal(sh->n_hits, n);
}

static void assert_hit(const struct shadow *sh, size_t i, const char *file,
		       int line, const char *value)
{
	assert_true(i < sh->n_hits);
	assert_string_equal(sh->hits[i].file, file);
	assert_int_equal(sh->hits[i].line, line);
	assert_string_equal(sh->hits[i].value, value);
}

static void put_symlink(const struct testdir *t, const char *target,
			const char *relpath)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(relpath, '/');

	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - relpath), relpath);
	assert_int_equal(testdir_mkdirs(t->fd, dir), 0);
	if (symlinkat(target, t->fd, relpath) < 0)
		fail_msg("symlink %s: %s", relpath, strerror(errno));
}

/* --- key matching ------------------------------------------------------- */

static void test_key_matches_exact_name_only(void **state)
{
	(void)state;
	assert_true(shadow_key_matches(TWB, TWB));
	assert_false(shadow_key_matches(TWB, REUSE));
	/* a prefix or an extension of the name is another key */
	assert_false(shadow_key_matches("net.ipv4.tcp_max_tw", TWB));
	assert_false(shadow_key_matches(TWB "_x", TWB));
	assert_false(shadow_key_matches("ipv4.tcp_max_tw_buckets", TWB));
	assert_false(shadow_key_matches("", TWB));
}

static void test_key_matches_slash_separators(void **state)
{
	(void)state;
	assert_true(shadow_key_matches("net/ipv4/tcp_max_tw_buckets", TWB));
	assert_true(shadow_key_matches("net/ipv4/conf/all/rp_filter", RPF_ALL));
	assert_false(shadow_key_matches("net/ipv4/tcp_tw_reuse", TWB));
}

static void test_key_matches_leading_dash_is_ignore_errors_marker(void **state)
{
	(void)state;
	assert_true(shadow_key_matches("-" TWB, TWB));
	assert_true(shadow_key_matches("-net/ipv4/tcp_max_tw_buckets", TWB));
	assert_false(shadow_key_matches("-" REUSE, TWB));
	/* only one leading '-' is the marker */
	assert_false(shadow_key_matches("--" TWB, TWB));
}

static void test_key_matches_no_glob(void **state)
{
	(void)state;
	/* boot leaves explicitly set keys out of every glob */
	assert_false(shadow_key_matches("net.ipv4.tcp_max_tw_*", TWB));
	assert_false(shadow_key_matches("net.ipv4.tcp_max_tw_bucke?s", TWB));
	assert_false(shadow_key_matches("net.ipv4.tcp_max_tw_[b]uckets", TWB));
	assert_false(shadow_key_matches("net.ipv4.conf.*.rp_filter", RPF_ALL));
	assert_false(shadow_key_matches("net/ipv4/conf/*/rp_filter", RPF_ALL));
	assert_false(shadow_key_matches("-net.ipv4.tcp_max_tw_*", TWB));
}

static void test_key_matches_dots_and_slashes_swap(void **state)
{
	(void)state;
	/* first separator a dot: "/" stands for a dot in a name */
	assert_true(shadow_key_matches("net.ipv4.conf.eth0/100.rp_filter",
				       "net/ipv4/conf/eth0.100/rp_filter"));
	/* first separator a slash: dots stay dots */
	assert_true(shadow_key_matches("net/ipv4/conf/eth0.100/rp_filter",
				       "net.ipv4.conf.eth0/100.rp_filter"));
	assert_false(shadow_key_matches("net.ipv4.conf.eth0.100.rp_filter",
					"net.ipv4.conf.eth0/100.rp_filter"));
}

static void test_key_matches_overlong_pattern_is_no_match(void **state)
{
	char p[1024];

	(void)state;
	/* TWB followed by a '*' run far longer than any sysctl name */
	memset(p, '*', sizeof(p) - 1);
	p[sizeof(p) - 1] = '\0';
	memcpy(p, TWB, strlen(TWB));
	assert_false(shadow_key_matches(p, TWB));
	/* and a name far longer than any sysctl's */
	memset(p, 'a', sizeof(p) - 1);
	assert_false(shadow_key_matches(p, p));
}

/* --- /etc/sysctl.conf ----------------------------------------------------- */

/* seed 2's host: the commented default, then the live assignment */
static void test_sysctl_conf_is_scanned_and_comment_ignored(void **state)
{
	struct testdir *t = *state;
	const struct shadow *sh;
	struct scan s;

	testdir_put(t->fd, "etc/sysctl.conf",
		    "#net.ipv4.tcp_max_tw_buckets=5000\n"
		    "net.ipv4.tcp_max_tw_buckets=10000");
	sh = scan_twb(t, &s);
	assert_n_hits(sh, 1);
	assert_hit(sh, 0, "/etc/sysctl.conf", 2, "10000");
	assert_no_warnings(&s);
	scan_free(&s);
}

static void test_sysctl_conf_applies_after_every_sysctl_d_file(void **state)
{
	struct testdir *t = *state;
	const struct shadow *sh;
	struct scan s;

	testdir_put(t->fd, "etc/sysctl.conf", TWB " = 1\n");
	/* names that sort after "sysctl.conf" still come before it */
	testdir_put(t->fd, "etc/sysctl.d/zz-last.conf", TWB " = 2\n");
	testdir_put(t->fd, "usr/lib/sysctl.d/zzz.conf", TWB " = 3\n");
	testdir_put(t->fd, "etc/sysctl.d/95-mid.conf", TWB " = 4\n");
	sh = scan_twb(t, &s);
	assert_n_hits(sh, 4);
	assert_hit(sh, 0, "/etc/sysctl.d/95-mid.conf", 1, "4");
	assert_hit(sh, 1, "/etc/sysctl.d/zz-last.conf", 1, "2");
	assert_hit(sh, 2, "/usr/lib/sysctl.d/zzz.conf", 1, "3");
	assert_hit(sh, 3, "/etc/sysctl.conf", 1, "1");
	assert_no_warnings(&s);
	scan_free(&s);
}

/* --- which files, in which order ----------------------------------------- */

static void test_etc_file_masks_same_name_in_usr_lib(void **state)
{
	struct testdir *t = *state;
	const struct shadow *sh;
	struct scan s;

	testdir_put(t->fd, "usr/lib/sysctl.d/95-x.conf", TWB " = 10000\n");
	testdir_put(t->fd, "etc/sysctl.d/95-x.conf", TWB " = " WANT "\n");
	sh = scan_twb(t, &s);
	assert_n_hits(sh, 0);
	assert_no_warnings(&s);
	scan_free(&s);

	/* the masking file need not mention the key at all */
	testdir_put(t->fd, "etc/sysctl.d/95-x.conf",
		    "# local: keep defaults\n");
	sh = scan_twb(t, &s);
	assert_n_hits(sh, 0);
	assert_no_warnings(&s);
	scan_free(&s);
}

static void test_dev_null_symlink_masks_vendor_file(void **state)
{
	struct testdir *t = *state;
	const struct shadow *sh;
	struct scan s;

	testdir_put(t->fd, "usr/lib/sysctl.d/95-x.conf", TWB " = 10000\n");
	put_symlink(t, "/dev/null", "etc/sysctl.d/95-x.conf");
	sh = scan_twb(t, &s);
	assert_n_hits(sh, 0);
	assert_no_warnings(&s);
	scan_free(&s);
}

/* etc masks run masks usr/local/lib masks usr/lib masks lib */
static void test_each_directory_masks_the_ones_after_it(void **state)
{
	static const char *const dirs[] = {
		"etc/sysctl.d",	    "run/sysctl.d", "usr/local/lib/sysctl.d",
		"usr/lib/sysctl.d", "lib/sysctl.d",
	};
	struct testdir *t = *state;
	char rel[PATH_MAX], shown[PATH_MAX], text[80], value[8];
	const struct shadow *sh;
	struct scan s;

	for (size_t d = 0; d < ARRAY_SIZE(dirs); d++) {
		snprintf(rel, sizeof(rel), "%s/95-x.conf", dirs[d]);
		snprintf(text, sizeof(text), "%s = %zu\n", TWB, d + 1);
		testdir_put(t->fd, rel, text);
	}
	for (size_t d = 0; d < ARRAY_SIZE(dirs); d++) {
		snprintf(shown, sizeof(shown), "/%s/95-x.conf", dirs[d]);
		snprintf(value, sizeof(value), "%zu", d + 1);
		sh = scan_twb(t, &s);
		assert_n_hits(sh, 1);
		assert_hit(sh, 0, shown, 1, value);
		assert_no_warnings(&s);
		scan_free(&s);
		/* unmask the next directory's file */
		assert_int_equal(unlinkat(t->fd, shown + 1, 0), 0);
	}
	sh = scan_twb(t, &s);
	assert_n_hits(sh, 0);
	scan_free(&s);
}

static void test_only_names_sorting_after_persist_file_shadow(void **state)
{
	struct testdir *t = *state;
	const struct shadow *sh;
	struct scan s;

	/* twtune's own file, even with another value, is not a shadow */
	testdir_put(t->fd, "etc/sysctl.d/" NAME, TWB " = 1\n");
	testdir_put(t->fd, "usr/lib/sysctl.d/95-x.conf", TWB " = 10000\n");
	testdir_put(t->fd, "run/sysctl.d/10-y.conf", TWB " = 2\n");
	/* lexical, not numeric: "100" < "90"; '-' < '.' */
	testdir_put(t->fd, "etc/sysctl.d/100-z.conf", TWB " = 3\n");
	testdir_put(t->fd, "etc/sysctl.d/90-twtune-a.conf", TWB " = 4\n");
	testdir_put(t->fd, "lib/sysctl.d/90-twtune.conf0.conf", TWB " = 5\n");
	testdir_put(t->fd, "usr/local/lib/sysctl.d/99-z.conf", TWB " = 6\n");
	testdir_put(t->fd, "lib/sysctl.d/91-a.conf", TWB " = 7\n");
	testdir_put(t->fd, "run/sysctl.d/92-b.conf", TWB " = 8\n");
	sh = scan_twb(t, &s);
	assert_n_hits(sh, 5);
	assert_hit(sh, 0, "/lib/sysctl.d/90-twtune.conf0.conf", 1, "5");
	assert_hit(sh, 1, "/lib/sysctl.d/91-a.conf", 1, "7");
	assert_hit(sh, 2, "/run/sysctl.d/92-b.conf", 1, "8");
	assert_hit(sh, 3, "/usr/lib/sysctl.d/95-x.conf", 1, "10000");
	assert_hit(sh, 4, "/usr/local/lib/sysctl.d/99-z.conf", 1, "6");
	assert_no_warnings(&s);
	scan_free(&s);
}

static void test_persist_name_is_the_cut(void **state)
{
	struct testdir *t = *state;
	const char *keys[] = { TWB }, *wants[] = { WANT };
	struct shadows out = { 0 };
	struct msgs warn = { 0 };

	testdir_put(t->fd, "usr/lib/sysctl.d/30-a.conf", TWB " = 1\n");
	testdir_put(t->fd, "usr/lib/sysctl.d/60-b.conf", TWB " = 2\n");
	shadow_scan(t->path, "50-twtune.conf", keys, wants, 1, &out, &warn);
	assert_int_equal(out.n, 1);
	assert_n_hits(&out.v[0], 1);
	assert_hit(&out.v[0], 0, "/usr/lib/sysctl.d/60-b.conf", 1, "2");
	shadow_free(&out);
	msgs_free(&warn);

	shadow_scan(t->path, "10-twtune.conf", keys, wants, 1, &out, &warn);
	assert_n_hits(&out.v[0], 2);
	assert_hit(&out.v[0], 0, "/usr/lib/sysctl.d/30-a.conf", 1, "1");
	assert_hit(&out.v[0], 1, "/usr/lib/sysctl.d/60-b.conf", 1, "2");
	shadow_free(&out);
	msgs_free(&warn);
}

static void test_non_conf_files_and_dotfiles_ignored(void **state)
{
	static const char *const names[] = {
		"etc/sysctl.d/95-x.conf.bak",
		"etc/sysctl.d/95-x.conf~",
		"etc/sysctl.d/.95-x.conf",
		"etc/sysctl.d/95-x.CONF",
		"etc/sysctl.d/95-x.txt",
		"etc/sysctl.d/README",
		"usr/lib/sysctl.d/95-x.conf.dpkg-old",
		"usr/lib/sysctl.d/.hidden.conf",
		"run/sysctl.d/95-xconf",
		"etc/sysctl.d/95-x.conf.d/a.conf",
		"etc/95-x.conf",
		"etc/sysctl.d.conf",
	};
	struct testdir *t = *state;
	const char *keys[] = { TWB }, *wants[] = { WANT };
	const struct shadow *sh;
	struct scan s;

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		testdir_put(t->fd, names[i], TWB " = 10000\n");
	sh = scan_twb(t, &s);
	assert_n_hits(sh, 0);
	assert_no_warnings(&s);
	scan_free(&s);

	/* dotfiles even when the persist name sorts before '.' */
	shadow_scan(t->path, "-twtune.conf", keys, wants, 1, &s.out, &s.warn);
	assert_n_hits(&s.out.v[0], 0);
	assert_no_warnings(&s);
	scan_free(&s);

	/* and the one real file beside them is read */
	testdir_put(t->fd, "etc/sysctl.d/95-x.conf", TWB " = 10000\n");
	sh = scan_twb(t, &s);
	assert_n_hits(sh, 1);
	assert_hit(sh, 0, "/etc/sysctl.d/95-x.conf", 1, "10000");
	assert_no_warnings(&s);
	scan_free(&s);
}

static void test_empty_root_has_no_hits_and_no_warnings(void **state)
{
	struct testdir *t = *state;
	const struct shadow *sh;
	struct scan s;

	sh = scan_twb(t, &s);
	assert_n_hits(sh, 0);
	assert_null(sh->hits);
	assert_no_warnings(&s);
	scan_free(&s);

	/* empty directories and an empty sysctl.conf: the same */
	assert_int_equal(testdir_mkdirs(t->fd, "etc/sysctl.d"), 0);
	assert_int_equal(testdir_mkdirs(t->fd, "usr/lib/sysctl.d"), 0);
	testdir_put(t->fd, "etc/sysctl.conf", "");
	testdir_put(t->fd, "etc/sysctl.d/95-empty.conf", "");
	sh = scan_twb(t, &s);
	assert_n_hits(sh, 0);
	assert_no_warnings(&s);
	scan_free(&s);
}

/* --- reading a file ------------------------------------------------------- */

static void test_slash_separated_key_is_a_hit(void **state)
{
	struct testdir *t = *state;
	const struct shadow *sh;
	struct scan s;

	testdir_put(t->fd, "etc/sysctl.d/95-x.conf",
		    "net/ipv4/tcp_max_tw_buckets = 10000\n");
	sh = scan_twb(t, &s);
	assert_n_hits(sh, 1);
	assert_hit(sh, 0, "/etc/sysctl.d/95-x.conf", 1, "10000");
	scan_free(&s);
}

static void test_glob_lines_are_no_hits(void **state)
{
	struct testdir *t = *state;
	const char *keys[] = { TWB, RPF_ALL, RPF_DEF, REUSE };
	const char *wants[] = { WANT, "1", "2", "1" };
	struct scan s;

	/* boot applies these to every matching key but twtune's */
	testdir_put(t->fd, "usr/lib/sysctl.d/95-x.conf",
		    "net.ipv4.tcp_max_tw_* = 10000\n"
		    "net.ipv4.conf.*.rp_filter = 2\n"
		    "net/ipv4/conf/*/rp_filter = 0\n"
		    "-net.ipv4.tcp_tw_* = 0\n");
	scan_keys(t->path, keys, wants, ARRAY_SIZE(keys), &s);
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		assert_n_hits(shadow_find(&s.out, keys[i]), 0);
	assert_no_warnings(&s);
	scan_free(&s);
}

static void test_leading_dash_key_is_a_hit(void **state)
{
	struct testdir *t = *state;
	const struct shadow *sh;
	struct scan s;

	testdir_put(t->fd, "etc/sysctl.d/95-x.conf",
		    "-net.ipv4.tcp_max_tw_buckets = 10000\n"
		    "  -net/ipv4/tcp_max_tw_buckets=20000\n");
	sh = scan_twb(t, &s);
	assert_n_hits(sh, 2);
	assert_hit(sh, 0, "/etc/sysctl.d/95-x.conf", 1, "10000");
	assert_hit(sh, 1, "/etc/sysctl.d/95-x.conf", 2, "20000");
	scan_free(&s);
}

static void test_comments_blank_lines_and_whitespace(void **state)
{
	struct testdir *t = *state;
	const struct shadow *sh;
	struct scan s;

	testdir_put(t->fd, "etc/sysctl.d/95-x.conf",
		    "# net.ipv4.tcp_max_tw_buckets = 1\n"    /* 1 */
		    "; net.ipv4.tcp_max_tw_buckets = 2\n"    /* 2 */
		    "\n"				     /* 3 */
		    "   # net.ipv4.tcp_max_tw_buckets = 3\n" /* 4 */
		    "\t;net.ipv4.tcp_max_tw_buckets=4\n"     /* 5 */
		    " \t \n"				     /* 6 */
		    "net.ipv4.tcp_max_tw_buckets\n"	     /* 7: no '=' */
		    "  net.ipv4.tcp_max_tw_buckets \t=   10000  \t\n" /* 8 */
		    "\n"					      /* 9 */
		    "net.ipv4.tcp_max_tw_buckets=20000\r\n" /* 10: CRLF */
		    "\t\n");				    /* 11 */
	sh = scan_twb(t, &s);
	assert_n_hits(sh, 2);
	assert_hit(sh, 0, "/etc/sysctl.d/95-x.conf", 8, "10000");
	assert_hit(sh, 1, "/etc/sysctl.d/95-x.conf", 10, "20000");
	assert_no_warnings(&s);
	scan_free(&s);
}

static void test_line_numbers_count_every_line(void **state)
{
	struct testdir *t = *state;
	const struct shadow *sh;
	struct strbuf text = { 0 };
	struct scan s;

	/* 200 blank lines, a hit on 201, comments to 400, a hit on 401 */
	for (int i = 0; i < 200; i++)
		assert_int_equal(strbuf_addf(&text, "\n"), 0);
	assert_int_equal(strbuf_addf(&text, "%s = 10000\n", TWB), 0);
	for (int i = 0; i < 199; i++)
		assert_int_equal(strbuf_addf(&text, "# %d\n", i), 0);
	/* the last line has no newline */
	assert_int_equal(strbuf_addf(&text, "%s = 20000", TWB), 0);
	testdir_put(t->fd, "etc/sysctl.conf", text.s);
	strbuf_free(&text);

	sh = scan_twb(t, &s);
	assert_n_hits(sh, 2);
	assert_hit(sh, 0, "/etc/sysctl.conf", 201, "10000");
	assert_hit(sh, 1, "/etc/sysctl.conf", 401, "20000");
	scan_free(&s);
}

static void test_same_value_is_not_a_hit(void **state)
{
	struct testdir *t = *state;
	const struct shadow *sh;
	struct scan s;

	testdir_put(t->fd, "usr/lib/sysctl.d/95-x.conf",
		    TWB " = " WANT "\n"
			"net/ipv4/tcp_max_tw_buckets=" WANT "\n"
			"-net.ipv4.tcp_max_tw_*\t=\t" WANT "  \n");
	testdir_put(t->fd, "etc/sysctl.conf", TWB "=" WANT "\n");
	sh = scan_twb(t, &s);
	assert_n_hits(sh, 0);
	assert_no_warnings(&s);
	scan_free(&s);

	/* a value that only starts like twtune's is another value */
	testdir_put(t->fd, "etc/sysctl.conf", TWB "=" WANT "0\n");
	sh = scan_twb(t, &s);
	assert_n_hits(sh, 1);
	assert_hit(sh, 0, "/etc/sysctl.conf", 1, WANT "0");
	scan_free(&s);
}

static void test_several_keys_each_get_their_own_hits(void **state)
{
	struct testdir *t = *state;
	const char *keys[] = { TWB, REUSE, RPF_ALL };
	const char *wants[] = { WANT, "1", "1" };
	const struct shadow *sh;
	struct scan s;

	testdir_put(t->fd, "etc/sysctl.d/95-x.conf",
		    TWB " = 10000\n" REUSE " = 2\n"
			"kernel.pid_max = 4194304\n");
	testdir_put(t->fd, "usr/lib/sysctl.d/96-y.conf",
		    REUSE " = 1\n" RPF_ALL " = 1\n");
	testdir_put(t->fd, "etc/sysctl.conf", REUSE " = 0\n");
	scan_keys(t->path, keys, wants, ARRAY_SIZE(keys), &s);

	/* in the order given, with copies of keys and wants */
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		assert_string_equal(s.out.v[i].key, keys[i]);
		assert_ptr_not_equal(s.out.v[i].key, keys[i]);
		assert_string_equal(s.out.v[i].want, wants[i]);
		assert_ptr_not_equal(s.out.v[i].want, wants[i]);
	}
	assert_n_hits(&s.out.v[0], 1);
	assert_hit(&s.out.v[0], 0, "/etc/sysctl.d/95-x.conf", 1, "10000");
	assert_n_hits(&s.out.v[1], 2);
	assert_hit(&s.out.v[1], 0, "/etc/sysctl.d/95-x.conf", 2, "2");
	assert_hit(&s.out.v[1], 1, "/etc/sysctl.conf", 1, "0");
	assert_n_hits(&s.out.v[2], 0);

	sh = shadow_find(&s.out, REUSE);
	assert_ptr_equal(sh, &s.out.v[1]);
	assert_no_warnings(&s);
	scan_free(&s);
}

static void test_no_keys_is_an_empty_result(void **state)
{
	struct testdir *t = *state;
	struct scan s;

	testdir_put(t->fd, "etc/sysctl.conf", TWB " = 10000\n");
	scan_keys(t->path, NULL, NULL, 0, &s);
	assert_int_equal(s.out.n, 0);
	assert_null(shadow_find(&s.out, TWB));
	assert_no_warnings(&s);
	scan_free(&s);
}

/* --- /etc/sysctl.conf linked into sysctl.d -------------------------------- */

static void test_debian_99_sysctl_conf_link_counted_once(void **state)
{
	struct testdir *t = *state;
	const struct shadow *sh;
	struct scan s;

	testdir_put(t->fd, "etc/sysctl.conf",
		    "#net.ipv4.tcp_max_tw_buckets=5000\n"
		    "net.ipv4.tcp_max_tw_buckets=10000\n");
	put_symlink(t, "../sysctl.conf", "etc/sysctl.d/99-sysctl.conf");
	sh = scan_twb(t, &s);
	assert_n_hits(sh, 1);
	assert_hit(sh, 0, "/etc/sysctl.conf", 2, "10000");
	assert_no_warnings(&s);
	scan_free(&s);

	/* the same from a vendor directory */
	put_symlink(t, "../../../etc/sysctl.conf",
		    "usr/lib/sysctl.d/98-sysctl.conf");
	sh = scan_twb(t, &s);
	assert_n_hits(sh, 1);
	assert_hit(sh, 0, "/etc/sysctl.conf", 2, "10000");
	scan_free(&s);
}

static void test_copy_of_sysctl_conf_is_its_own_file(void **state)
{
	struct testdir *t = *state;
	const struct shadow *sh;
	struct scan s;

	/* the same text is not the same file: boot applies both */
	testdir_put(t->fd, "etc/sysctl.conf", TWB "=10000\n");
	testdir_put(t->fd, "etc/sysctl.d/99-sysctl.conf", TWB "=10000\n");
	sh = scan_twb(t, &s);
	assert_n_hits(sh, 2);
	assert_hit(sh, 0, "/etc/sysctl.d/99-sysctl.conf", 1, "10000");
	assert_hit(sh, 1, "/etc/sysctl.conf", 1, "10000");
	scan_free(&s);
}

static void test_link_without_sysctl_conf_is_harmless(void **state)
{
	struct testdir *t = *state;
	const struct shadow *sh;
	struct scan s;

	/* dangling: boot has nothing to apply from it either */
	put_symlink(t, "../sysctl.conf", "etc/sysctl.d/99-sysctl.conf");
	sh = scan_twb(t, &s);
	assert_n_hits(sh, 0);
	assert_no_warnings(&s);
	scan_free(&s);
}

/* --- unreadable files --------------------------------------------------- */

static void test_directory_named_conf_is_a_warning(void **state)
{
	struct testdir *t = *state;
	const struct shadow *sh;
	struct scan s;

	assert_int_equal(testdir_mkdirs(t->fd, "etc/sysctl.d/95-x.conf"), 0);
	testdir_put(t->fd, "usr/lib/sysctl.d/96-y.conf", TWB " = 10000\n");
	sh = scan_twb(t, &s);
	/* the rest is still checked */
	assert_n_hits(sh, 1);
	assert_hit(sh, 0, "/usr/lib/sysctl.d/96-y.conf", 1, "10000");
	assert_int_equal(s.warn.n, 1);
	assert_string_equal(s.warn.v[0], "/etc/sysctl.d/95-x.conf: Is a "
					 "directory (not checked for "
					 "shadowing)");
	scan_free(&s);
}

static void test_unreadable_sysctl_conf_is_a_warning(void **state)
{
	struct testdir *t = *state;
	const struct shadow *sh;
	struct scan s;

	assert_int_equal(testdir_mkdirs(t->fd, "etc/sysctl.conf"), 0);
	sh = scan_twb(t, &s);
	assert_n_hits(sh, 0);
	assert_int_equal(s.warn.n, 1);
	assert_string_equal(s.warn.v[0], "/etc/sysctl.conf: Is a directory "
					 "(not checked for shadowing)");
	scan_free(&s);
}

static void test_unreadable_before_persist_file_is_not_read(void **state)
{
	struct testdir *t = *state;
	const struct shadow *sh;
	struct scan s;

	/* it could not undo twtune's value, so it is not worth a warning */
	assert_int_equal(testdir_mkdirs(t->fd, "etc/sysctl.d/10-x.conf"), 0);
	sh = scan_twb(t, &s);
	assert_n_hits(sh, 0);
	assert_no_warnings(&s);
	scan_free(&s);
}

static void test_oversized_file_is_a_warning(void **state)
{
	struct testdir *t = *state;
	const struct shadow *sh;
	size_t len = (1u << 20) + 1;
	char *big = xmalloc(len + 1);
	struct scan s;

	memset(big, '#', len);
	big[len] = '\0';
	testdir_put(t->fd, "etc/sysctl.d/95-big.conf", big);
	free(big);
	testdir_put(t->fd, "etc/sysctl.d/96-y.conf", TWB " = 10000\n");
	sh = scan_twb(t, &s);
	assert_n_hits(sh, 1);
	assert_hit(sh, 0, "/etc/sysctl.d/96-y.conf", 1, "10000");
	assert_int_equal(s.warn.n, 1);
	assert_string_equal(s.warn.v[0], "/etc/sysctl.d/95-big.conf: File too "
					 "large (not checked for shadowing)");
	scan_free(&s);
}

static void test_unreadable_mode_is_a_warning(void **state)
{
	struct testdir *t = *state;
	const struct shadow *sh;
	struct scan s;

	if (geteuid() == 0)
		skip(); /* root reads mode 000 files */
	testdir_put(t->fd, "usr/lib/sysctl.d/95-x.conf", TWB " = 10000\n");
	assert_int_equal(fchmodat(t->fd, "usr/lib/sysctl.d/95-x.conf", 0, 0),
			 0);
	sh = scan_twb(t, &s);
	assert_n_hits(sh, 0);
	assert_int_equal(s.warn.n, 1);
	assert_string_equal(s.warn.v[0], "/usr/lib/sysctl.d/95-x.conf: "
					 "Permission denied (not checked for "
					 "shadowing)");
	scan_free(&s);
}

/* --- the root ------------------------------------------------------------ */

static void build_small_tree(const struct testdir *t)
{
	testdir_put(t->fd, "etc/sysctl.conf", "\n" TWB " = 20000\n");
	put_symlink(t, "../sysctl.conf", "etc/sysctl.d/99-sysctl.conf");
	testdir_put(t->fd, "usr/lib/sysctl.d/95-x.conf", TWB " = 10000\n");
	testdir_put(t->fd, "run/sysctl.d/10-y.conf", TWB " = 1\n");
}

/* What build_small_tree gives, as on the real system. */
static bool small_tree_result_ok(const struct scan *s)
{
	const struct shadow *sh = shadow_find(&s->out, TWB);

	return s->warn.n == 0 && sh && sh->n_hits == 2 &&
	       strcmp(sh->hits[0].file, "/usr/lib/sysctl.d/95-x.conf") == 0 &&
	       sh->hits[0].line == 1 &&
	       strcmp(sh->hits[0].value, "10000") == 0 &&
	       strcmp(sh->hits[1].file, "/etc/sysctl.conf") == 0 &&
	       sh->hits[1].line == 2 && strcmp(sh->hits[1].value, "20000") == 0;
}

static void test_root_spellings_give_same_hits(void **state)
{
	struct testdir *t = *state;
	const struct shadow *sh;
	char root[PATH_MAX + 8], cwd[PATH_MAX];
	const char *keys[] = { TWB }, *wants[] = { WANT };
	struct scan s;

	build_small_tree(t);

	scan_keys(t->path, keys, wants, 1, &s);
	sh = shadow_find(&s.out, TWB);
	assert_n_hits(sh, 2);
	assert_hit(sh, 0, "/usr/lib/sysctl.d/95-x.conf", 1, "10000");
	assert_hit(sh, 1, "/etc/sysctl.conf", 2, "20000");
	assert_true(small_tree_result_ok(&s));
	scan_free(&s);

	/* a trailing slash */
	snprintf(root, sizeof(root), "%s/", t->path);
	scan_keys(root, keys, wants, 1, &s);
	assert_true(small_tree_result_ok(&s));
	scan_free(&s);

	/* a relative root */
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(fchdir(t->fd), 0);
	scan_keys(".", keys, wants, 1, &s);
	assert_int_equal(chdir(cwd), 0);
	assert_true(small_tree_result_ok(&s));
	scan_free(&s);
}

/*
 * Root "/" must not read the real /etc here: the scan runs in a child
 * chrooted into the fake tree (as root, or in a new user namespace).
 */
static void test_root_slash_reads_from_slash(void **state)
{
	struct testdir *t = *state;
	const char *keys[] = { TWB }, *wants[] = { WANT };
	int status;
	pid_t pid;

	build_small_tree(t);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct scan s = { 0 };
		bool ok;

		if (geteuid() != 0 && unshare(CLONE_NEWUSER) < 0)
			_exit(77);
		if (chroot(t->path) < 0 || chdir("/") < 0)
			_exit(77);
		shadow_scan("/", NAME, keys, wants, 1, &s.out, &s.warn);
		ok = small_tree_result_ok(&s);
		if (!ok)
			for (size_t i = 0; i < s.out.n; i++)
				for (size_t k = 0; k < s.out.v[i].n_hits; k++)
					fprintf(stderr, "hit %s:%d = %s\n",
						s.out.v[i].hits[k].file,
						s.out.v[i].hits[k].line,
						s.out.v[i].hits[k].value);
		shadow_free(&s.out);
		msgs_free(&s.warn);
		_exit(ok ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77)
		skip(); /* no chroot here */
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* --- lookup and freeing ------------------------------------------------- */

static void test_find_by_exact_key(void **state)
{
	struct testdir *t = *state;
	const char *keys[] = { TWB, REUSE }, *wants[] = { WANT, "1" };
	struct scan s;

	scan_keys(t->path, keys, wants, 2, &s);
	assert_ptr_equal(shadow_find(&s.out, TWB), &s.out.v[0]);
	assert_ptr_equal(shadow_find(&s.out, REUSE), &s.out.v[1]);
	/* no globbing or prefixes in the lookup */
	assert_null(shadow_find(&s.out, "net.ipv4.tcp_tw_*"));
	assert_null(shadow_find(&s.out, "net.ipv4.tcp_tw"));
	assert_null(shadow_find(&s.out, "net/ipv4/tcp_tw_reuse"));
	assert_null(shadow_find(&s.out, ""));
	assert_null(shadow_find(NULL, TWB));
	scan_free(&s);
}

static void test_free_leaves_an_empty_result(void **state)
{
	struct testdir *t = *state;
	struct scan s;

	testdir_put(t->fd, "etc/sysctl.conf", TWB " = 1\n" TWB " = 2\n");
	scan_twb(t, &s);
	assert_int_equal(s.out.v[0].n_hits, 2);
	shadow_free(&s.out);
	assert_null(s.out.v);
	assert_int_equal(s.out.n, 0);
	assert_null(shadow_find(&s.out, TWB));
	/* freeing twice is harmless */
	shadow_free(&s.out);
	msgs_free(&s.warn);
}

#define T(f) cmocka_unit_test_setup_teardown(f, testdir_setup, testdir_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_matches_exact_name_only),
		cmocka_unit_test(test_key_matches_slash_separators),
		cmocka_unit_test(
			test_key_matches_leading_dash_is_ignore_errors_marker),
		cmocka_unit_test(test_key_matches_no_glob),
		cmocka_unit_test(test_key_matches_dots_and_slashes_swap),
		cmocka_unit_test(test_key_matches_overlong_pattern_is_no_match),
		T(test_sysctl_conf_is_scanned_and_comment_ignored),
		T(test_sysctl_conf_applies_after_every_sysctl_d_file),
		T(test_etc_file_masks_same_name_in_usr_lib),
		T(test_dev_null_symlink_masks_vendor_file),
		T(test_each_directory_masks_the_ones_after_it),
		T(test_only_names_sorting_after_persist_file_shadow),
		T(test_persist_name_is_the_cut),
		T(test_non_conf_files_and_dotfiles_ignored),
		T(test_empty_root_has_no_hits_and_no_warnings),
		T(test_slash_separated_key_is_a_hit),
		T(test_glob_lines_are_no_hits),
		T(test_leading_dash_key_is_a_hit),
		T(test_comments_blank_lines_and_whitespace),
		T(test_line_numbers_count_every_line),
		T(test_same_value_is_not_a_hit),
		T(test_several_keys_each_get_their_own_hits),
		T(test_no_keys_is_an_empty_result),
		T(test_debian_99_sysctl_conf_link_counted_once),
		T(test_copy_of_sysctl_conf_is_its_own_file),
		T(test_link_without_sysctl_conf_is_harmless),
		T(test_directory_named_conf_is_a_warning),
		T(test_unreadable_sysctl_conf_is_a_warning),
		T(test_unreadable_before_persist_file_is_not_read),
		T(test_oversized_file_is_a_warning),
		T(test_unreadable_mode_is_a_warning),
		T(test_root_spellings_give_same_hits),
		T(test_root_slash_reads_from_slash),
		T(test_find_by_exact_key),
		T(test_free_leaves_an_empty_result),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
