// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for util.c: growable strings and message lists, strict
 * integer parsing, number formatting for people, RFC 3339 times, SHA-256
 * and random ids, and the file helpers (bounded reads, atomic replacement,
 * mkdir -p) that the state file, the persist file and the audit log are
 * built on.  File tests run in a throwaway directory under $TMPDIR.
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
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "util.h"

/* ---- temporary directory ----------------------------------------------- */

/* Names in the directory that start with '.', other than . and .. */
static int count_hidden(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		if (e->d_name[0] == '.' && strcmp(e->d_name, ".") != 0 &&
		    strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/* ---- strbuf and msgs ---------------------------------------------------- */

static void strbuf_grows_and_stays_nul_terminated(void **state)
{
	struct strbuf sb = { 0 };
	char want[1001];

	(void)state;
	for (int i = 0; i < 100; i++)
		strbuf_add(&sb, "0123456789", 10);
	memset(want, 0, sizeof(want));
	for (int i = 0; i < 1000; i++)
		want[i] = (char)('0' + i % 10);
	assert_int_equal(sb.len, 1000);
	assert_true(sb.cap > 1000);
	assert_string_equal(sb.s, want);
	strbuf_free(&sb);
	assert_null(sb.s);
	assert_int_equal(sb.len, 0);
	assert_int_equal(sb.cap, 0);
}

static void strbuf_add_copies_only_n_bytes(void **state)
{
	struct strbuf sb = { 0 };

	(void)state;
	strbuf_add(&sb, "abcdef", 3);
	strbuf_add(&sb, "", 0);
	assert_int_equal(sb.len, 3);
	assert_string_equal(sb.s, "abc");
	strbuf_free(&sb);
}

static void strbuf_addf_appends_formatted_text(void **state)
{
	struct strbuf sb = { 0 };

	(void)state;
	strbuf_addf(&sb, "%s=%d", "tw_max", 65536);
	strbuf_addf(&sb, ", %x%%", 255);
	assert_string_equal(sb.s, "tw_max=65536, ff%");
	assert_int_equal(sb.len, strlen("tw_max=65536, ff%"));
	strbuf_free(&sb);
}

static void msgs_keep_messages_in_order(void **state)
{
	struct msgs m = { 0 };

	(void)state;
	msgs_addf(&m, "first %d", 1);
	msgs_addf(&m, "%s", "second");
	msgs_addf(&m, "%s: %s", "net.ipv4.x", "third");
	assert_int_equal(m.n, 3);
	assert_string_equal(m.v[0], "first 1");
	assert_string_equal(m.v[1], "second");
	assert_string_equal(m.v[2], "net.ipv4.x: third");
	msgs_free(&m);
	assert_int_equal(m.n, 0);
	assert_null(m.v);
	/* a freed list is empty and can be used again */
	msgs_addf(&m, "again");
	assert_int_equal(m.n, 1);
	assert_string_equal(m.v[0], "again");
	msgs_free(&m);
}

/* ---- util_parse_ll ------------------------------------------------------ */

static void parse_ll_accepts_a_number_with_blanks_around_it(void **state)
{
	long long v = 0;

	(void)state;
	assert_int_equal(util_parse_ll("65536", &v), 0);
	assert_int_equal(v, 65536);
	assert_int_equal(util_parse_ll("  \t42\n", &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(util_parse_ll("-1", &v), 0);
	assert_int_equal(v, -1);
	assert_int_equal(util_parse_ll("9223372036854775807", &v), 0);
	assert_true(v == LLONG_MAX);
	assert_int_equal(util_parse_ll("-9223372036854775808", &v), 0);
	assert_true(v == LLONG_MIN);
}

static void parse_ll_rejects_what_is_not_one_whole_number(void **state)
{
	static const char *const bad[] = {
		"",	 "   ",	 "\n",	"abc", "12x",
		"12 13", "0x10", "1.5", "-",   "32768\t60999",
	};
	long long v = 7;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		if (util_parse_ll(bad[i], &v) != -EINVAL)
			fail_msg("\"%s\" was not rejected with -EINVAL",
				 bad[i]);
		/* the output is untouched on error */
		assert_int_equal(v, 7);
	}
}

static void parse_ll_reports_overflow_as_erange(void **state)
{
	long long v = 7;

	(void)state;
	assert_int_equal(util_parse_ll("9223372036854775808", &v), -ERANGE);
	assert_int_equal(util_parse_ll("-9223372036854775809", &v), -ERANGE);
	assert_int_equal(util_parse_ll("18446744073709551615", &v), -ERANGE);
	assert_int_equal(v, 7);
}

/* ---- util_fmt_num ------------------------------------------------------- */

static void check_fmt(double v, const char *want)
{
	char buf[64];

	memset(buf, 'X', sizeof(buf));
	util_fmt_num(v, buf, sizeof(buf));
	if (strcmp(buf, want) != 0)
		fail_msg("util_fmt_num(%.17g) = \"%s\", want \"%s\"", v, buf,
			 want);
}

static void fmt_num_prints_integers_without_a_fraction(void **state)
{
	(void)state;
	check_fmt(0, "0");
	check_fmt(65536, "65536");
	check_fmt(-1, "-1");
	check_fmt(262144.0, "262144");
	check_fmt(1e15, "1000000000000000");
	check_fmt(-0.0, "0");
}

static void fmt_num_prints_fractions_with_up_to_three_decimals(void **state)
{
	(void)state;
	check_fmt(0.5, "0.5");
	check_fmt(1.25, "1.25");
	check_fmt(-0.75, "-0.75");
	check_fmt(1.0 / 3.0, "0.333");
	check_fmt(0.95, "0.95");
	check_fmt(-0.0001, "0");
}

static void fmt_num_prints_nan_as_unknown(void **state)
{
	(void)state;
	check_fmt(NAN, "unknown");
}

static void fmt_num_never_leaves_a_trailing_dot(void **state)
{
	/* rounded to three decimals these are whole numbers */
	(void)state;
	check_fmt(2.9999, "3");
	check_fmt(0.0001, "0");
}

static void fmt_num_respects_a_small_buffer(void **state)
{
	char buf[4] = { 'X', 'X', 'X', 'X' };

	(void)state;
	util_fmt_num(123456, buf, sizeof(buf));
	assert_string_equal(buf, "123");
	util_fmt_num(NAN, buf, sizeof(buf));
	assert_string_equal(buf, "unk");
}

/* ---- time, hashes, random ids ------------------------------------------- */

static void rfc3339_is_utc_with_milliseconds(void **state)
{
	struct timespec ts = { .tv_sec = 1700000000, .tv_nsec = 123456789 };
	struct timespec epoch = { .tv_sec = 0, .tv_nsec = 999999999 };
	struct timespec leap = { .tv_sec = 951782400, .tv_nsec = 5000000 };
	char out[32];

	(void)state;
	util_rfc3339(&ts, out);
	assert_string_equal(out, "2023-11-14T22:13:20.123Z");
	/* milliseconds are truncated, never rounded up into the next second */
	util_rfc3339(&epoch, out);
	assert_string_equal(out, "1970-01-01T00:00:00.999Z");
	util_rfc3339(&leap, out);
	assert_string_equal(out, "2000-02-29T00:00:00.005Z");
}

static void timespec_seconds_includes_nanoseconds(void **state)
{
	struct timespec ts = { .tv_sec = 10, .tv_nsec = 500000000 };

	(void)state;
	assert_true(util_timespec_seconds(&ts) == 10.5);
}

static void sha256_hex_matches_the_fips_vectors(void **state)
{
	char out[SHA256_HEX_LEN + 1];
	const char *two =
		"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";

	(void)state;
	util_sha256_hex("abc", 3, out);
	assert_string_equal(out, "ba7816bf8f01cfea414140de5dae2223"
				 "b00361a396177a9cb410ff61f20015ad");
	util_sha256_hex("", 0, out);
	assert_string_equal(out, "e3b0c44298fc1c149afbf4c8996fb924"
				 "27ae41e4649b934ca495991b7852b855");
	util_sha256_hex(two, strlen(two), out);
	assert_string_equal(out, "248d6a61d20638b8e5c026930c3e6039"
				 "a33ce45964ff2167f6ecedd419db06c1");
}

static void random_hex_is_lower_hex_of_twice_the_bytes(void **state)
{
	char a[33], b[33];

	(void)state;
	memset(a, 'X', sizeof(a));
	assert_int_equal(util_random_hex(a, 16), 0);
	assert_int_equal(strlen(a), 32);
	assert_int_equal(strspn(a, "0123456789abcdef"), 32);
	assert_int_equal(util_random_hex(b, 16), 0);
	/* 128 random bits: a collision means the generator is broken */
	assert_string_not_equal(a, b);
}

static void random_hex_refuses_more_than_64_bytes(void **state)
{
	char out[2 * 65 + 1];

	(void)state;
	assert_int_equal(util_random_hex(out, 65), -EINVAL);
	assert_int_equal(util_random_hex(out, 64), 0);
	assert_int_equal(strlen(out), 128);
}

/* ---- files -------------------------------------------------------------- */

static void read_at_returns_the_whole_file(void **state)
{
	struct testdir *t = *state;
	char *text = NULL;
	size_t len = 0;

	testdir_put(t->fd, "f", "line one\nline two\n");
	assert_int_equal(util_read_at(t->fd, "f", 1024, &text, &len), 0);
	assert_string_equal(text, "line one\nline two\n");
	assert_int_equal(len, 18);
	free(text);
}

static void read_at_returns_an_empty_string_for_an_empty_file(void **state)
{
	struct testdir *t = *state;
	char *text = NULL;
	size_t len = 99;

	testdir_put(t->fd, "empty", "");
	assert_int_equal(util_read_at(t->fd, "empty", 1024, &text, &len), 0);
	assert_non_null(text);
	assert_string_equal(text, "");
	assert_int_equal(len, 0);
	free(text);
}

static void read_at_refuses_files_over_the_limit(void **state)
{
	struct testdir *t = *state;
	char big[20001];
	char *text = NULL;
	size_t len = 0;

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	testdir_put(t->fd, "big", big);
	assert_int_equal(util_read_at(t->fd, "big", 19999, &text, &len),
			 -EFBIG);
	assert_null(text);
	/* exactly at the limit is fine */
	assert_int_equal(util_read_at(t->fd, "big", 20000, &text, &len), 0);
	assert_int_equal(len, 20000);
	free(text);
}

static void read_at_reports_a_missing_file(void **state)
{
	struct testdir *t = *state;
	char *text = NULL;

	assert_int_equal(util_read_at(t->fd, "nope", 1024, &text, NULL),
			 -ENOENT);
	assert_null(text);
}

static void write_atomic_creates_the_file_with_mode(void **state)
{
	struct testdir *t = *state;
	struct stat st;
	char *text = NULL;
	mode_t old = umask(077);

	assert_int_equal(
		util_write_atomic(t->fd, "state.json", "{}\n", 3, 0640), 0);
	umask(old);
	assert_int_equal(fstatat(t->fd, "state.json", &st, 0), 0);
	assert_true(S_ISREG(st.st_mode));
	/* the mode is exactly as asked, whatever the umask */
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(util_read_at(t->fd, "state.json", 1024, &text, NULL),
			 0);
	assert_string_equal(text, "{}\n");
	free(text);
	assert_int_equal(count_hidden(t->path), 0);
}

static void write_atomic_replaces_an_existing_file(void **state)
{
	struct testdir *t = *state;
	struct stat st;
	char *text = NULL;

	testdir_put(t->fd, "conf", "old contents that are longer\n");
	assert_int_equal(fchmodat(t->fd, "conf", 0600, 0), 0);
	assert_int_equal(util_write_atomic(t->fd, "conf", "new\n", 4, 0644), 0);
	assert_int_equal(util_read_at(t->fd, "conf", 1024, &text, NULL), 0);
	assert_string_equal(text, "new\n");
	free(text);
	assert_int_equal(fstatat(t->fd, "conf", &st, 0), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_int_equal(count_hidden(t->path), 0);
}

static void write_atomic_failure_leaves_old_file_and_no_temp(void **state)
{
	struct testdir *t = *state;
	char name[NAME_MAX + 1];
	struct stat st;

	/* renaming a file over a directory fails after the temp is written */
	assert_int_equal(mkdirat(t->fd, "dir", 0755), 0);
	assert_true(util_write_atomic(t->fd, "dir", "x", 1, 0644) < 0);
	assert_int_equal(fstatat(t->fd, "dir", &st, 0), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(count_hidden(t->path), 0);

	/* a name too long for the temporary file is refused up front */
	memset(name, 'n', NAME_MAX - 2);
	name[NAME_MAX - 2] = '\0';
	assert_int_equal(util_write_atomic(t->fd, name, "x", 1, 0644),
			 -ENAMETOOLONG);
	assert_int_equal(count_hidden(t->path), 0);
}

static void dirname_returns_the_directory_part(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "/var/lib/twtune/state.json", "/var/lib/twtune" },
		{ "a/b", "a" },
		{ "state.json", "." },
		{ "/state.json", "/" },
		{ "", "." },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *d = util_dirname(cases[i].in);

		if (strcmp(d, cases[i].want) != 0)
			fail_msg("util_dirname(\"%s\") = \"%s\", want \"%s\"",
				 cases[i].in, d, cases[i].want);
		free(d);
	}
}

static void mkdir_p_creates_every_component(void **state)
{
	struct testdir *t = *state;
	char path[PATH_MAX + 32];
	struct stat st;
	mode_t old = umask(0);

	snprintf(path, sizeof(path), "%s/a/b/c", t->path);
	assert_int_equal(util_mkdir_p(path, 0750), 0);
	umask(old);
	assert_int_equal(fstatat(t->fd, "a", &st, 0), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0750);
	assert_int_equal(fstatat(t->fd, "a/b/c", &st, 0), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0750);
}

static void mkdir_p_keeps_existing_directories(void **state)
{
	struct testdir *t = *state;
	char path[PATH_MAX + 32];
	struct stat st;

	assert_int_equal(mkdirat(t->fd, "keep", 0700), 0);
	testdir_put(t->fd, "keep/file", "x");
	snprintf(path, sizeof(path), "%s/keep/sub/", t->path);
	assert_int_equal(util_mkdir_p(path, 0755), 0);
	/* run twice: existing is fine */
	assert_int_equal(util_mkdir_p(path, 0755), 0);
	assert_int_equal(fstatat(t->fd, "keep", &st, 0), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(fstatat(t->fd, "keep/file", &st, 0), 0);
	assert_int_equal(fstatat(t->fd, "keep/sub", &st, 0), 0);
	assert_true(S_ISDIR(st.st_mode));
}

static void mkdir_p_fails_through_a_regular_file(void **state)
{
	struct testdir *t = *state;
	char path[PATH_MAX + 32];
	int ret;

	testdir_put(t->fd, "file", "x");
	snprintf(path, sizeof(path), "%s/file/sub", t->path);
	assert_int_equal(util_mkdir_p(path, 0755), -ENOTDIR);
	/*
	 * Like mkdir -p: an existing non-directory at the end is an error
	 * (EEXIST or ENOTDIR), not a directory that is "already there".
	 */
	snprintf(path, sizeof(path), "%s/file", t->path);
	ret = util_mkdir_p(path, 0755);
	if (ret != -EEXIST && ret != -ENOTDIR)
		fail_msg("util_mkdir_p on a regular file returned %d", ret);
}

#define TMP_TEST(f)                                                            \
	cmocka_unit_test_setup_teardown(f, testdir_setup, testdir_teardown)

static void textf_fits_or_ends_in_dots(void **state)
{
	char buf[12];

	(void)state;
	util_textf(buf, sizeof(buf), "%s %d", "port", 8080);
	assert_string_equal(buf, "port 8080");
	util_textf(buf, sizeof(buf), "%s", "exactly 11!");
	assert_string_equal(buf, "exactly 11!");
	util_textf(buf, sizeof(buf), "%s and more", "twelve chars");
	assert_string_equal(buf, "twelve c...");
	assert_int_equal(strlen(buf), sizeof(buf) - 1);
	memset(buf, 'x', sizeof(buf));
	util_textf(buf, 3, "%s", "long");
	assert_string_equal(buf, "lo");
	assert_int_equal(buf[3], 'x');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(strbuf_grows_and_stays_nul_terminated),
		cmocka_unit_test(strbuf_add_copies_only_n_bytes),
		cmocka_unit_test(strbuf_addf_appends_formatted_text),
		cmocka_unit_test(msgs_keep_messages_in_order),
		cmocka_unit_test(
			parse_ll_accepts_a_number_with_blanks_around_it),
		cmocka_unit_test(parse_ll_rejects_what_is_not_one_whole_number),
		cmocka_unit_test(parse_ll_reports_overflow_as_erange),
		cmocka_unit_test(fmt_num_prints_integers_without_a_fraction),
		cmocka_unit_test(
			fmt_num_prints_fractions_with_up_to_three_decimals),
		cmocka_unit_test(fmt_num_prints_nan_as_unknown),
		cmocka_unit_test(fmt_num_never_leaves_a_trailing_dot),
		cmocka_unit_test(fmt_num_respects_a_small_buffer),
		cmocka_unit_test(rfc3339_is_utc_with_milliseconds),
		cmocka_unit_test(timespec_seconds_includes_nanoseconds),
		cmocka_unit_test(sha256_hex_matches_the_fips_vectors),
		cmocka_unit_test(random_hex_is_lower_hex_of_twice_the_bytes),
		cmocka_unit_test(random_hex_refuses_more_than_64_bytes),
		TMP_TEST(read_at_returns_the_whole_file),
		TMP_TEST(read_at_returns_an_empty_string_for_an_empty_file),
		TMP_TEST(read_at_refuses_files_over_the_limit),
		TMP_TEST(read_at_reports_a_missing_file),
		TMP_TEST(write_atomic_creates_the_file_with_mode),
		TMP_TEST(write_atomic_replaces_an_existing_file),
		TMP_TEST(write_atomic_failure_leaves_old_file_and_no_temp),
		cmocka_unit_test(dirname_returns_the_directory_part),
		cmocka_unit_test(textf_fits_or_ends_in_dots),
		TMP_TEST(mkdir_p_creates_every_component),
		TMP_TEST(mkdir_p_keeps_existing_directories),
		TMP_TEST(mkdir_p_fails_through_a_regular_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
