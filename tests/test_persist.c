// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Tests for the persist file (persist.c): parsing what twtune wrote
 * (comments, blank lines, sysctl.d's '/' separators, "key=value"), refusing
 * anything else with a "LINE: message" error, the in-memory edits
 * (set in place, append, remove), the rendered text and its header, the
 * parse/render round trip that a merge depends on, and the atomic
 * replacement on disk (content, mode 0644, no temporary file left behind,
 * a new inode rather than an overwrite).
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "persist.h"
#include "testutil.h"
#include "util.h"

#define TWB "net.ipv4.tcp_max_tw_buckets"
#define REUSE "net.ipv4.tcp_tw_reuse"
#define DELAY "net.ipv4.tcp_tw_reuse_delay"
#define NAME "90-twtune.conf"

/* --- parsing ----------------------------------------------------------- */

static void parse_ok(const char *text, struct persist *p)
{
	char err[160] = "";
	int ret = persist_parse(text, p, err, sizeof(err));

	if (ret < 0)
		print_error("persist_parse: %s\n", err);
	assert_int_equal(ret, 0);
}

static void parse_bad(const char *text, const char *want_err)
{
	struct persist p = { 0 };
	char err[160] = "";

	assert_int_equal(persist_parse(text, &p, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, want_err);
	/* nothing half-parsed is handed back */
	assert_int_equal(p.n, 0);
	assert_null(p.v);
}

static void parse_skips_comments_and_blank_lines(void **state)
{
	struct persist p;

	(void)state;
	parse_ok("# Written by twtune 1.0 (run abc).\n"
		 "\n"
		 "; a sysctl.d comment\n"
		 "   \t\n"
		 "  # indented comment\n" TWB " = 262144\n"
		 "\n" REUSE " = 1\n",
		 &p);
	assert_int_equal(p.n, 2);
	assert_string_equal(p.v[0].key, TWB);
	assert_int_equal(p.v[0].value, 262144);
	assert_string_equal(p.v[1].key, REUSE);
	assert_int_equal(p.v[1].value, 1);
	persist_free(&p);
	assert_int_equal(p.n, 0);
}

static void parse_normalises_slashes_to_dots(void **state)
{
	struct persist p;

	(void)state;
	parse_ok("net/ipv4/tcp_max_tw_buckets = 8192\n", &p);
	assert_int_equal(p.n, 1);
	assert_string_equal(p.v[0].key, TWB);
	assert_int_equal(p.v[0].value, 8192);
	persist_free(&p);
}

static void parse_accepts_key_value_without_spaces(void **state)
{
	struct persist p;

	(void)state;
	parse_ok(REUSE "=2\n" TWB "\t=\t-1 \n", &p);
	assert_int_equal(p.n, 2);
	assert_string_equal(p.v[0].key, REUSE);
	assert_int_equal(p.v[0].value, 2);
	assert_string_equal(p.v[1].key, TWB);
	assert_int_equal(p.v[1].value, -1);
	persist_free(&p);
}

static void parse_takes_a_last_line_without_newline(void **state)
{
	struct persist p;

	(void)state;
	parse_ok(REUSE " = 1", &p);
	assert_int_equal(p.n, 1);
	assert_int_equal(p.v[0].value, 1);
	persist_free(&p);
}

static void parse_of_empty_text_is_empty(void **state)
{
	struct persist p;

	(void)state;
	parse_ok("", &p);
	assert_int_equal(p.n, 0);
	persist_free(&p);
}

/* As with sysctl --system, a key given twice keeps the later value. */
static void parse_keeps_the_later_of_a_repeated_key(void **state)
{
	struct persist p;

	(void)state;
	parse_ok(TWB " = 1\n" REUSE " = 1\n" TWB " = 4096\n", &p);
	assert_int_equal(p.n, 2);
	assert_string_equal(p.v[0].key, TWB);
	assert_int_equal(p.v[0].value, 4096);
	persist_free(&p);
}

static void parse_rejects_a_garbage_line_naming_it(void **state)
{
	(void)state;
	parse_bad("# header\n" TWB " = 1\nthis is not a setting\n" REUSE
		  " = 1\n",
		  "3: not a \"key = value\" line");
}

static void parse_rejects_a_non_integer_value(void **state)
{
	(void)state;
	parse_bad(TWB " = 1\n" REUSE " = yes\n",
		  "2: " REUSE ": value is not an integer");
	parse_bad(REUSE " = 1.5\n", "1: " REUSE ": value is not an integer");
	parse_bad(REUSE " = 1 2\n", "1: " REUSE ": value is not an integer");
	parse_bad(REUSE " =\n", "1: " REUSE ": value is not an integer");
	parse_bad(REUSE " = 99999999999999999999\n",
		  "1: " REUSE ": value is not an integer");
}

static void parse_rejects_a_key_outside_net(void **state)
{
	(void)state;
	parse_bad("\nkernel.pid_max = 4194304\n",
		  "2: kernel.pid_max: only keys under net. can be managed");
	parse_bad("net.ipv4..tcp_tw_reuse = 1\n",
		  "1: net.ipv4..tcp_tw_reuse: key has an empty component");
}

static void parse_rejects_an_overlong_line(void **state)
{
	char text[700];

	(void)state;
	memset(text, 'a', sizeof(text) - 2);
	text[sizeof(text) - 2] = '\n';
	text[sizeof(text) - 1] = '\0';
	parse_bad(text, "1: line too long");
}

/* --- editing ----------------------------------------------------------- */

static void set_updates_in_place_and_appends_new_keys(void **state)
{
	struct persist p = { 0 };

	(void)state;
	persist_set(&p, TWB, 1024);
	persist_set(&p, REUSE, 1);
	persist_set(&p, TWB, 4096);
	assert_int_equal(p.n, 2);
	assert_string_equal(p.v[0].key, TWB);
	assert_int_equal(p.v[0].value, 4096);
	assert_string_equal(p.v[1].key, REUSE);
	assert_int_equal(p.v[1].value, 1);
	persist_set(&p, DELAY, 2000);
	assert_int_equal(p.n, 3);
	assert_string_equal(p.v[2].key, DELAY);
	assert_int_equal(persist_get(&p, DELAY)->value, 2000);
	assert_null(persist_get(&p, "net.ipv4.tcp_fin_timeout"));
	persist_free(&p);
}

static void remove_drops_only_that_key_keeping_order(void **state)
{
	struct persist p = { 0 };

	(void)state;
	persist_set(&p, TWB, 1);
	persist_set(&p, REUSE, 2);
	persist_set(&p, DELAY, 3);
	persist_remove(&p, REUSE);
	assert_int_equal(p.n, 2);
	assert_string_equal(p.v[0].key, TWB);
	assert_string_equal(p.v[1].key, DELAY);
	assert_int_equal(p.v[1].value, 3);
	assert_null(persist_get(&p, REUSE));
	persist_remove(&p, "net.ipv4.absent"); /* a no-op */
	assert_int_equal(p.n, 2);
	persist_remove(&p, DELAY);
	persist_remove(&p, TWB);
	assert_int_equal(p.n, 0);
	persist_free(&p);
}

/* --- rendering --------------------------------------------------------- */

static void render_header_names_twtune_and_the_run(void **state)
{
	const char run[] = "0123456789abcdef0123456789abcdef";
	struct persist p = { 0 };
	char *text, *nl;

	(void)state;
	persist_set(&p, TWB, 262144);
	persist_set(&p, REUSE, 1);
	text = persist_render(&p, run);
	assert_non_null(text);
	nl = strchr(text, '\n');
	assert_non_null(nl);
	*nl = '\0';
	assert_true(text[0] == '#');
	assert_non_null(strstr(text, "twtune"));
	assert_non_null(strstr(text, run));
	*nl = '\n';
	free(text);
	persist_free(&p);
}

static void render_writes_the_keys_in_order_after_comments(void **state)
{
	struct persist p = { 0 };
	struct strbuf body = { 0 };
	char *text;

	(void)state;
	persist_set(&p, REUSE, 1);
	persist_set(&p, TWB, -1);
	persist_set(&p, DELAY, 60000);
	text = persist_render(&p, "r1");
	/* everything that is not a comment is the keys, in order */
	strbuf_add(&body, "", 0);
	for (char *l = text, *e; *l; l = e + 1) {
		e = strchr(l, '\n');
		assert_non_null(e); /* every line is terminated */
		if (*l != '#')
			strbuf_add(&body, l, (size_t)(e - l + 1));
	}
	assert_string_equal(body.s,
			    REUSE " = 1\n" TWB " = -1\n" DELAY " = 60000\n");
	strbuf_free(&body);
	free(text);
	persist_free(&p);
}

static void assert_same(const struct persist *a, const struct persist *b)
{
	assert_int_equal(a->n, b->n);
	for (size_t i = 0; i < a->n; i++) {
		assert_string_equal(a->v[i].key, b->v[i].key);
		assert_int_equal(a->v[i].value, b->v[i].value);
	}
}

static void parse_of_render_gives_back_the_same_entries(void **state)
{
	struct persist x = { 0 }, y;
	char *text;

	(void)state;
	persist_set(&x, TWB, 2147483647);
	persist_set(&x, REUSE, 0);
	persist_set(&x, DELAY, 1);
	persist_set(&x, "net.ipv4.tcp_fin_timeout", LLONG_MIN);
	persist_set(&x, "net.core.somaxconn", LLONG_MAX);
	text = persist_render(&x, "run");
	parse_ok(text, &y);
	assert_same(&x, &y);
	free(text);
	persist_free(&y);
	persist_free(&x);
}

/* What apply does: read the old file, set and remove, write it back. */
static void merge_keeps_keys_not_changed_in_this_run(void **state)
{
	struct persist p, q;
	char *text;

	(void)state;
	parse_ok("# Written by twtune 0.9 (run old).\n" TWB " = 1024\n" REUSE
		 " = 1\n" DELAY " = 1000\n",
		 &p);
	persist_set(&p, TWB, 4096);
	persist_remove(&p, DELAY);
	persist_set(&p, "net.ipv4.tcp_fin_timeout", 30);
	text = persist_render(&p, "new");
	assert_null(strstr(text, "run old"));
	parse_ok(text, &q);
	assert_int_equal(q.n, 3);
	assert_string_equal(q.v[0].key, TWB);
	assert_int_equal(q.v[0].value, 4096);
	assert_string_equal(q.v[1].key, REUSE);
	assert_int_equal(q.v[1].value, 1);
	assert_string_equal(q.v[2].key, "net.ipv4.tcp_fin_timeout");
	assert_int_equal(q.v[2].value, 30);
	free(text);
	persist_free(&q);
	persist_free(&p);
}

/* --- files ------------------------------------------------------------- */

/* Names in the directory, sorted, joined by spaces. */
static char *dir_names(int fd)
{
	struct dirent **ents;
	struct strbuf sb = { 0 };
	char *path = xasprintf("/proc/self/fd/%d", fd);
	int n = scandir(path, &ents, NULL, alphasort);

	assert_true(n >= 0);
	strbuf_add(&sb, "", 0);
	for (int i = 0; i < n; i++) {
		if (strcmp(ents[i]->d_name, ".") &&
		    strcmp(ents[i]->d_name, ".."))
			strbuf_addf(&sb, "%s%s", sb.len ? " " : "",
				    ents[i]->d_name);
		free(ents[i]);
	}
	free(ents);
	free(path);
	return sb.s;
}

static void write_then_read_gives_the_same_text(void **state)
{
	struct testdir *t = *state;
	const char text[] = "# Written by twtune\n" TWB " = 4096\n";
	char *got = NULL, *names;

	assert_int_equal(persist_write(t->fd, NAME, text, NULL), 0);
	assert_int_equal(persist_read(t->fd, NAME, &got), 0);
	assert_non_null(got);
	assert_string_equal(got, text);
	free(got);
	names = dir_names(t->fd);
	assert_string_equal(names, NAME); /* no temporary file left */
	free(names);
}

static void written_file_has_mode_0644_whatever_the_umask(void **state)
{
	struct testdir *t = *state;
	mode_t old = umask(077);
	struct stat st;
	int ret;

	ret = persist_write(t->fd, NAME, TWB " = 1\n", NULL);
	umask(old);
	assert_int_equal(ret, 0);
	assert_int_equal(fstatat(t->fd, NAME, &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0644);
}

/* A rename: a reader holding the old file keeps the old bytes. */
static void rewrite_replaces_the_file_rather_than_overwriting(void **state)
{
	struct testdir *t = *state;
	struct stat before, after;
	char *old = NULL, *now = NULL, *names;

	assert_int_equal(persist_write(t->fd, NAME, TWB " = 1\n", NULL), 0);
	assert_int_equal(fstatat(t->fd, NAME, &before, 0), 0);
	assert_int_equal(linkat(t->fd, NAME, t->fd, "held", 0), 0);
	assert_int_equal(persist_write(t->fd, NAME, TWB " = 2\n", NULL), 0);
	assert_int_equal(fstatat(t->fd, NAME, &after, 0), 0);
	assert_true(before.st_ino != after.st_ino);
	assert_int_equal(persist_read(t->fd, "held", &old), 0);
	assert_string_equal(old, TWB " = 1\n");
	assert_int_equal(persist_read(t->fd, NAME, &now), 0);
	assert_string_equal(now, TWB " = 2\n");
	names = dir_names(t->fd);
	assert_string_equal(names, NAME " held");
	free(names);
	free(now);
	free(old);
}

/* A symlink planted at the name is replaced, its target left alone. */
static void write_replaces_a_symlink_not_its_target(void **state)
{
	struct testdir *t = *state;
	struct stat st;
	char *target = NULL;

	assert_int_equal(persist_write(t->fd, "target", "untouched\n", NULL),
			 0);
	assert_int_equal(symlinkat("target", t->fd, NAME), 0);
	assert_int_equal(persist_write(t->fd, NAME, TWB " = 3\n", NULL), 0);
	assert_int_equal(fstatat(t->fd, NAME, &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(persist_read(t->fd, "target", &target), 0);
	assert_string_equal(target, "untouched\n");
	free(target);
}

static void read_of_a_missing_file_is_null_and_no_error(void **state)
{
	struct testdir *t = *state;
	char *text = (char *)"sentinel";

	assert_int_equal(persist_read(t->fd, NAME, &text), 0);
	assert_null(text);
}

static void write_into_a_missing_directory_fails(void **state)
{
	struct testdir *t = *state;
	int fd;

	assert_int_equal(mkdirat(t->fd, "gone", 0755), 0);
	fd = openat(t->fd, "gone", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(unlinkat(t->fd, "gone", AT_REMOVEDIR), 0);
	assert_int_equal(persist_write(fd, NAME, TWB " = 1\n", NULL), -ENOENT);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_skips_comments_and_blank_lines),
		cmocka_unit_test(parse_normalises_slashes_to_dots),
		cmocka_unit_test(parse_accepts_key_value_without_spaces),
		cmocka_unit_test(parse_takes_a_last_line_without_newline),
		cmocka_unit_test(parse_of_empty_text_is_empty),
		cmocka_unit_test(parse_keeps_the_later_of_a_repeated_key),
		cmocka_unit_test(parse_rejects_a_garbage_line_naming_it),
		cmocka_unit_test(parse_rejects_a_non_integer_value),
		cmocka_unit_test(parse_rejects_a_key_outside_net),
		cmocka_unit_test(parse_rejects_an_overlong_line),
		cmocka_unit_test(set_updates_in_place_and_appends_new_keys),
		cmocka_unit_test(remove_drops_only_that_key_keeping_order),
		cmocka_unit_test(render_header_names_twtune_and_the_run),
		cmocka_unit_test(
			render_writes_the_keys_in_order_after_comments),
		cmocka_unit_test(parse_of_render_gives_back_the_same_entries),
		cmocka_unit_test(merge_keeps_keys_not_changed_in_this_run),
#define T(f) cmocka_unit_test_setup_teardown(f, testdir_setup, testdir_teardown)
		T(write_then_read_gives_the_same_text),
		T(written_file_has_mode_0644_whatever_the_umask),
		T(rewrite_replaces_the_file_rather_than_overwriting),
		T(write_replaces_a_symlink_not_its_target),
		T(read_of_a_missing_file_is_null_and_no_error),
		T(write_into_a_missing_directory_fails),
#undef T
	};

	return cmocka_run_group_tests_name("persist", tests, NULL, NULL);
}
