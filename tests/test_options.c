// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Tests for the option table (options.c) and its three readers.  They
 * protect: every good configuration fixture (tests/options/good) sets
 * exactly what it says; every bad one (tests/options/bad) fails with the
 * error its first line announces, as FILE:LINE; the command line wins
 * over the file; Ansible arguments take both spellings, typed values and
 * strings, and name what is supported when one is not; a copy owns its
 * strings; --help lists every option.
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
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "options.h"
#include "testutil.h"
#include "util.h"

#define EXPECT_PREFIX "# expect: "

/* Parse argv (NULL-terminated) into o; returns options_parse()'s result
 * and the messages it said in *said (the caller frees both). */
static int parse(struct options *o, char **said, ...)
{
	char *argv[32];
	int argc = 0, first = 0, ret;
	va_list ap;

	argv[argc++] = "twtune";
	va_start(ap, said);
	while (argc < 31 && (argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	argv[argc] = NULL;
	optind = 0; /* getopt starts over (GNU: 0 resets it fully) */
	log_capture();
	ret = options_parse(argc, argv, o, &first);
	*said = log_captured();
	return ret;
}

static char *fixture(const char *rel)
{
	char *dir = testutil_src_path("tests/options");
	char *path = xasprintf("%s/%s", dir, rel);

	free(dir);
	return path;
}

static void every_type_of_setting_is_taken(void **state)
{
	char *path = fixture("good/every-type.conf"), *said;
	struct options o;

	(void)state;
	assert_int_equal(parse(&o, &said, "-c", path, "report", NULL), 0);
	assert_string_equal(said, "");
	assert_int_equal(o.policies.n, 2);
	assert_string_equal(o.policies.v[0], "/srv/policies");
	assert_string_equal(o.policies.v[1], "/srv/more-policies");
	assert_int_equal(o.format, FORMAT_JSON);
	assert_string_equal(o.proc, "/srv/proc");
	assert_string_equal(o.sysctl_d, "/srv/sysctl.d");
	assert_string_equal(o.persist_dir, "/srv/sysctl.d");
	assert_string_equal(o.persist_file, "50-tw.conf");
	assert_true(o.no_persist);
	assert_false(o.no_sockets);
	assert_string_equal(o.audit_log, "/srv/log/audit.jsonl");
	assert_string_equal(o.state, "/srv/state.json");
	assert_num(o.sample, 2.5);
	assert_num(o.lock_wait, 0);
	assert_num(o.interval, 5);
	assert_num(o.scan_interval, 60); /* not set: the default */
	assert_int_equal(o.reclaim.n, 1);
	assert_string_equal(o.reclaim.v[0], "net.ipv4.tcp_tw_reuse");
	assert_int_equal(o.verbose, 1);
	options_free(&o);
	free(said);
	free(path);
}

static void one_string_and_numbers_as_text_are_taken(void **state)
{
	char *path = fixture("good/single-strings.conf"), *said;
	struct options o;

	(void)state;
	assert_int_equal(parse(&o, &said, "report", "-c", path, NULL), 0);
	assert_int_equal(o.policies.n, 1);
	assert_string_equal(o.policies.v[0], "/srv/policies");
	assert_num(o.scan_interval, 120);
	/* no --sysctl-d: it follows --root */
	assert_null(o.sysctl_d);
	assert_string_equal(o.persist_dir, "/srv/root/etc/sysctl.d");
	options_free(&o);
	free(said);
	free(path);
}

static void an_empty_file_keeps_the_defaults(void **state)
{
	char *path = fixture("good/empty.conf"), *said;
	struct options o;

	(void)state;
	assert_int_equal(parse(&o, &said, "-c", path, "report", NULL), 0);
	assert_int_equal(o.format, FORMAT_TEXT);
	assert_string_equal(o.proc, "/proc");
	assert_string_equal(o.persist_file, "90-twtune.conf");
	assert_string_equal(o.persist_dir, "/etc/sysctl.d");
	assert_num(o.interval, 10);
	assert_num(o.lock_wait, 30);
	assert_int_equal(o.policies.n, 0);
	options_free(&o);
	free(said);
	free(path);
}

static void the_command_line_wins_over_the_file(void **state)
{
	char *path = fixture("good/every-type.conf"), *said;
	struct options o;

	(void)state;
	assert_int_equal(parse(&o, &said, "-c", path, "-f", "text", "-p",
			       "/cli", "--state", "/cli/state.json", "report",
			       NULL),
			 0);
	assert_int_equal(o.format, FORMAT_TEXT);
	assert_int_equal(o.policies.n, 1);
	assert_string_equal(o.policies.v[0], "/cli");
	assert_string_equal(o.state, "/cli/state.json");
	/* and what the command line did not say comes from the file */
	assert_string_equal(o.proc, "/srv/proc");
	options_free(&o);
	free(said);
	free(path);
}

/* The fixture's expected error, as the full first message it must say. */
static char *expected(const char *path)
{
	char *text = NULL, *nl, *want;
	const char *e;

	assert_int_equal(util_read_at(AT_FDCWD, path, 1 << 16, &text, NULL), 0);
	if (strncmp(text, EXPECT_PREFIX, strlen(EXPECT_PREFIX)) != 0)
		fail_msg("%s: first line is not \"%s...\"", path,
			 EXPECT_PREFIX);
	nl = strchr(text, '\n');
	if (nl)
		*nl = '\0';
	e = text + strlen(EXPECT_PREFIX);
	/* "LINE: message" is FILE:LINE: ...; anything else FILE: ... */
	want = xasprintf(*e >= '0' && *e <= '9' ? "%s:%s" : "%s: %s", path, e);
	free(text);
	return want;
}

static void every_bad_file_fails_with_its_expected_error(void **state)
{
	char *dir = fixture("bad");
	struct dirent **ents;
	int n = scandir(dir, &ents, NULL, alphasort), checked = 0;

	(void)state;
	assert_true(n > 0);
	for (int i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;
		char *path, *want, *said, *nl;
		struct options o;

		if (name[0] == '.') {
			free(ents[i]);
			continue;
		}
		path = xasprintf("%s/%s", dir, name);
		want = expected(path);
		assert_int_equal(parse(&o, &said, "-c", path, "report", NULL),
				 -EBADMSG);
		nl = strchr(said, '\n');
		if (nl)
			*nl = '\0';
		if (strcmp(said, want) != 0)
			fail_msg("%s: said\n  %s\nexpected\n  %s", name, said,
				 want);
		checked++;
		options_free(&o);
		free(said);
		free(want);
		free(path);
		free(ents[i]);
	}
	free(ents);
	free(dir);
	assert_true(checked >= 10);
}

static void a_named_file_must_exist(void **state)
{
	char *said;
	struct options o;

	(void)state;
	assert_int_equal(parse(&o, &said, "-c", "/nonexistent/twtune.conf",
			       "report", NULL),
			 -EBADMSG);
	assert_string_equal(said, "/nonexistent/twtune.conf: No such file or "
				  "directory");
	options_free(&o);
	free(said);
}

static void usage_errors_name_the_option(void **state)
{
	char *said;
	struct options o;

	(void)state;
	assert_int_equal(parse(&o, &said, "report", "--sample", "-3", NULL),
			 -EINVAL);
	assert_string_equal(said, "twtune: --sample takes seconds above 0 and "
				  "up to 3600");
	options_free(&o);
	free(said);
	assert_int_equal(parse(&o, &said, "--persist-file", "a/b", NULL),
			 -EINVAL);
	assert_string_equal(said,
			    "twtune: --persist-file must be a plain file name");
	options_free(&o);
	free(said);
}

static void help_is_answered_before_anything_else(void **state)
{
	char *said;
	struct options o;

	(void)state;
	/* not even the named configuration file is read */
	assert_int_equal(parse(&o, &said, "-c", "/nonexistent", "--help", NULL),
			 0);
	assert_true(o.help);
	assert_string_equal(said, "");
	options_free(&o);
	free(said);
}

/* ---- Ansible arguments --------------------------------------------------- */

static int ansible(struct options *o, const char *json, char *err,
		   size_t errlen)
{
	char *said;
	json_t *args = json_loads(json, 0, NULL);
	int ret;
	char *empty = fixture("good/empty.conf");

	assert_non_null(args);
	/* an empty configuration file: not the host's */
	assert_int_equal(parse(o, &said, "-c", empty, "apply", NULL), 0);
	free(said);
	free(empty);
	ret = options_from_ansible(args, o, err, errlen);
	json_decref(args);
	return ret;
}

static void ansible_takes_both_spellings_and_types(void **state)
{
	struct options o;
	char err[512] = "";

	(void)state;
	assert_int_equal(
		ansible(&o,
			"{\"sysctl_d\": \"/a\", \"persist-file\": \"x.conf\", "
			"\"state_file\": \"/s.json\", \"persist\": \"no\", "
			"\"sample\": 2, \"policy\": [\"/p1\", \"/p2\"], "
			"\"reclaim\": \"net.ipv4.tcp_tw_reuse\", "
			"\"no_sockets\": true, \"_ansible_check_mode\": true}",
			err, sizeof(err)),
		0);
	assert_string_equal(o.sysctl_d, "/a");
	assert_string_equal(o.persist_dir, "/a");
	assert_string_equal(o.persist_file, "x.conf");
	assert_string_equal(o.state, "/s.json");
	assert_true(o.no_persist);
	assert_num(o.sample, 2);
	assert_int_equal(o.policies.n, 2);
	assert_string_equal(o.policies.v[1], "/p2");
	assert_int_equal(o.reclaim.n, 1);
	assert_true(o.no_sockets);
	options_free(&o);
}

static void ansible_persist_true_clears_no_persist(void **state)
{
	struct options o;
	char err[512] = "";

	(void)state;
	assert_int_equal(ansible(&o, "{\"persist\": true}", err, sizeof(err)),
			 0);
	assert_false(o.no_persist);
	options_free(&o);
}

static void ansible_names_what_it_supports(void **state)
{
	struct options o;
	char err[512] = "";

	(void)state;
	assert_int_equal(ansible(&o, "{\"colour\": \"red\"}", err, sizeof(err)),
			 -EINVAL);
	assert_contains(err, "unsupported parameter colour (supported: ");
	assert_contains(err, "state_file");
	assert_contains(err, "sample");
	options_free(&o);
	/* a command-line-only option is not an argument */
	assert_int_equal(ansible(&o, "{\"format\": \"text\"}", err,
				 sizeof(err)),
			 -EINVAL);
	assert_contains(err, "unsupported parameter format");
	options_free(&o);
}

static void ansible_checks_values_like_the_command_line(void **state)
{
	struct options o;
	char err[512] = "";

	(void)state;
	assert_int_equal(ansible(&o, "{\"sample\": -1}", err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "sample takes seconds above 0 and up to 3600");
	options_free(&o);
	assert_int_equal(ansible(&o, "{\"persist\": \"maybe\"}", err,
				 sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "parameter persist has the wrong type");
	options_free(&o);
	assert_int_equal(ansible(&o, "{\"policy\": [1]}", err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "parameter policy has the wrong type");
	options_free(&o);
}

static void ansible_names_are_the_long_options(void **state)
{
	struct msgs names = { 0 };

	(void)state;
	options_ansible_names(&names);
	assert_true(msgs_has(&names, "policy"));
	assert_true(msgs_has(&names, "sysctl_d"));
	assert_true(msgs_has(&names, "persist"));
	assert_true(msgs_has(&names, "state_file"));
	assert_true(msgs_has(&names, "sample"));
	assert_false(msgs_has(&names, "format"));
	assert_false(msgs_has(&names, "no_persist"));
	msgs_free(&names);
}

static void a_copy_owns_its_strings(void **state)
{
	char *empty = fixture("good/empty.conf"), *said;
	struct options o, c;

	(void)state;
	assert_int_equal(parse(&o, &said, "-c", empty, "-p", "/p", "--state",
			       "/s", "report", NULL),
			 0);
	free(empty);
	options_copy(&c, &o);
	options_free(&o);
	assert_string_equal(c.policies.v[0], "/p");
	assert_string_equal(c.state, "/s");
	assert_string_equal(c.persist_dir, "/etc/sysctl.d");
	options_free(&c);
	free(said);
}

/*
 * The hint repeats what the command line said about where to act, in
 * table order and quoted for a shell, and nothing else: not how to show
 * it, not values from the configuration file.
 */
static void the_next_command_repeats_where_to_act(void **state)
{
	char *cfg = fixture("good/every-type.conf"), *said, *line, *want;
	struct options o;

	(void)state;
	assert_int_equal(parse(&o, &said, "-c", cfg, "-p", "/p one", "-p",
			       "/it's", "-f", "json", "--netns", "blue",
			       "--no-persist", "--sample", "3", "report", NULL),
			 0);
	line = options_command_line(&o, "apply");
	want = xasprintf("twtune apply -p '/p one' -p '/it'\\''s' -c %s "
			 "--no-persist --netns blue",
			 cfg);
	assert_string_equal(line, want);
	free(want);
	free(line);
	options_free(&o);
	free(said);
	free(cfg);
}

static void help_lists_every_long_option(void **state)
{
	static const char *const some[] = { "--policy PATH", "--sysctl-d DIR",
					    "--lock-wait S", "--no-persist",
					    "--version" };
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	(void)state;
	assert_non_null(f);
	options_usage(f);
	assert_int_equal(fclose(f), 0);
	for (size_t i = 0; i < sizeof(some) / sizeof(some[0]); i++)
		assert_contains(text, some[i]);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_type_of_setting_is_taken),
		cmocka_unit_test(one_string_and_numbers_as_text_are_taken),
		cmocka_unit_test(an_empty_file_keeps_the_defaults),
		cmocka_unit_test(the_command_line_wins_over_the_file),
		cmocka_unit_test(every_bad_file_fails_with_its_expected_error),
		cmocka_unit_test(a_named_file_must_exist),
		cmocka_unit_test(usage_errors_name_the_option),
		cmocka_unit_test(help_is_answered_before_anything_else),
		cmocka_unit_test(ansible_takes_both_spellings_and_types),
		cmocka_unit_test(ansible_persist_true_clears_no_persist),
		cmocka_unit_test(ansible_names_what_it_supports),
		cmocka_unit_test(ansible_checks_values_like_the_command_line),
		cmocka_unit_test(ansible_names_are_the_long_options),
		cmocka_unit_test(a_copy_owns_its_strings),
		cmocka_unit_test(the_next_command_repeats_where_to_act),
		cmocka_unit_test(help_lists_every_long_option),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
