// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests of policy loading (src/policy.c).  Every file under
 * tests/policies/bad/ must fail with the exact "FILE:LINE: message" its
 * first line announces; the good fixtures check directory scanning,
 * lexical order and masking across directories, replacing and disabling
 * rules by id, numeric values, field defaults, the sysctls and socket
 * metrics a policy needs, and the rendering of reason templates.  The
 * shipped policies must load too.  Fixtures are found under $SRCDIR.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "expr.h"
#include "observe.h"
#include "policy.h"
#include "testutil.h"
#include "util.h"

#define EXPECT_PREFIX "# expect: "

static void print_errors(const struct msgs *errors)
{
	for (size_t i = 0; i < errors->n; i++)
		print_error("  error: %s\n", errors->v[i]);
}

/* Load the fixtures named relative to the source tree; they must be good. */
static void load_good(const char *const *rel, size_t n, struct policy *p)
{
	struct msgs errors = { 0 };
	char *paths[8];
	int ret;

	assert_true(n <= ARRAY_SIZE(paths));
	for (size_t i = 0; i < n; i++)
		paths[i] = testutil_src_path(rel[i]);
	ret = policy_load((const char *const *)paths, n, false, p, &errors);
	if (ret != 0 || errors.n) {
		print_errors(&errors);
		fail_msg("loading %s failed (%d)", rel[0], ret);
	}
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	msgs_free(&errors);
}

static void load_good1(const char *rel, struct policy *p)
{
	load_good(&rel, 1, p);
}

static const struct rule *find_rule(const struct policy *p, const char *id)
{
	for (size_t i = 0; i < p->n_rules; i++)
		if (strcmp(p->rules[i].id, id) == 0)
			return &p->rules[i];
	return NULL;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && strcmp(s + a - b, suffix) == 0;
}

static void assert_ends_with(const char *s, const char *suffix)
{
	if (!ends_with(s, suffix))
		fail_msg("\"%s\" does not end with \"%s\"", s, suffix);
}

static void assert_ids(const struct policy *p, const char *const *ids, size_t n)
{
	if (p->n_rules != n) {
		for (size_t i = 0; i < p->n_rules; i++)
			print_error("  rule %zu: %s\n", i, p->rules[i].id);
		fail_msg("%zu rules loaded, expected %zu", p->n_rules, n);
	}
	for (size_t i = 0; i < n; i++)
		assert_string_equal(p->rules[i].id, ids[i]);
}

static double const_of(const struct expr *e)
{
	double v = NAN;

	assert_non_null(e);
	if (!expr_const(e, &v))
		fail_msg("expression is not a constant");
	return v;
}

/*
 * Check one bad fixture; returns false (after saying why) when it does
 * not fail the way its "# expect: LINE: MESSAGE" line says.
 */
static bool check_bad_file(const char *path)
{
	struct msgs errors = { 0 };
	struct policy p;
	char *text = NULL, *want = NULL, *nl;
	bool ok = false;
	int ret;

	if (util_read_at(AT_FDCWD, path, 1 << 20, &text, NULL) < 0) {
		print_error("%s: cannot read\n", path);
		return false;
	}
	if (strncmp(text, EXPECT_PREFIX, strlen(EXPECT_PREFIX)) != 0) {
		print_error("%s: first line is not \"%s...\"\n", path,
			    EXPECT_PREFIX);
		goto out;
	}
	nl = strchr(text, '\n');
	if (nl)
		*nl = '\0';
	want = xasprintf("%s:%s", path, text + strlen(EXPECT_PREFIX));

	ret = policy_load((const char *const *)&path, 1, false, &p, &errors);
	if (ret != -EINVAL) {
		print_error("%s: loaded (ret %d), expected\n  %s\n", path, ret,
			    want);
	} else if (errors.n == 0) {
		print_error("%s: failed without an error message\n", path);
	} else if (strcmp(errors.v[0], want) != 0) {
		print_error("%s: first error\n  %s\nexpected\n  %s\n", path,
			    errors.v[0], want);
	} else {
		ok = true;
	}
	policy_free(&p);
	msgs_free(&errors);
out:
	free(want);
	free(text);
	return ok;
}

static void every_bad_policy_fails_with_its_expected_error(void **state)
{
	char *dir = testutil_src_path("tests/policies/bad");
	struct dirent **ents;
	int n, checked = 0, failed = 0;

	(void)state;
	n = scandir(dir, &ents, NULL, alphasort);
	if (n < 0)
		fail_msg("%s: %s", dir, strerror(errno));
	for (int i = 0; i < n; i++) {
		const char *nm = ents[i]->d_name;

		if (nm[0] != '.' && ends_with(nm, ".conf")) {
			char *path = xasprintf("%s/%s", dir, nm);

			if (!check_bad_file(path))
				failed++;
			checked++;
			free(path);
		}
		free(ents[i]);
	}
	free(ents);
	free(dir);
	if (failed)
		fail_msg("%d of %d bad policies misbehaved", failed, checked);
	/* an empty or misplaced directory must not pass silently */
	assert_true(checked >= 30);
}

/*
 * Found with the fuzz_policy harness (tests/fuzz/regress/fuzz_policy/
 * include-of-a-directory-exits.conf): libconfig reads `@include "file"`
 * in place of the line, past the owner, size and text checks, and exits
 * the whole process when the name is a directory.  Only a line that
 * starts with it (after blanks) is an @include to libconfig.
 */
static void include_directive_is_found_on_its_line(void **state)
{
	(void)state;
	assert_int_equal(policy_include_line("@include \".\"\n"), 1);
	assert_int_equal(policy_include_line("rules = ();\n\n \t@include"), 3);
	assert_int_equal(policy_include_line("# @include \"x\"\nrules = ();"),
			 0);
	assert_int_equal(policy_include_line(""), 0);
}

static void include_of_a_directory_is_refused_not_fatal(void **state)
{
	struct testdir *t = *state;
	struct msgs errors = { 0 };
	struct policy p;
	char *path = xasprintf("%s/inc.conf", t->path);
	const char *paths[1] = { path };

	testdir_put(t->fd, "inc.conf", "@include \".\"\nrules = ();\n");
	assert_int_equal(policy_load(paths, 1, false, &p, &errors), -EINVAL);
	assert_int_equal(errors.n, 1);
	assert_contains(errors.v[0], "inc.conf:1: @include is not allowed");
	policy_free(&p);
	msgs_free(&errors);
	free(path);
}

static void one_file_with_several_errors_reports_them_all(void **state)
{
	char *path =
		testutil_src_path("tests/policies/multi/several-errors.conf");
	static const char *const want[] = {
		"8: rule 'typo-field': unknown field 'sevrity'",
		"17: rule 'two-problems': sysctl \"kernel.pid_max\": only keys "
		"under net. can be managed",
		"18: rule 'two-problems': when: column 1: unknown metric "
		"'tw_cnt'",
		"21: rule has no id",
		"25: rule 'good-one': duplicate id in the same file",
	};
	struct msgs errors = { 0 };
	struct policy p;
	int ret;

	(void)state;
	ret = policy_load((const char *const *)&path, 1, false, &p, &errors);
	assert_int_equal(ret, -EINVAL);
	if (errors.n != ARRAY_SIZE(want)) {
		print_errors(&errors);
		fail_msg("%zu errors, expected %zu", errors.n,
			 ARRAY_SIZE(want));
	}
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		char *w = xasprintf("%s:%s", path, want[i]);

		assert_string_equal(errors.v[i], w);
		free(w);
	}
	policy_free(&p);
	msgs_free(&errors);
	free(path);
}

static void errors_in_several_files_are_all_reported(void **state)
{
	char *paths[] = {
		testutil_src_path("tests/policies/bad/unknown-field.conf"),
		testutil_src_path("tests/policies/bad/missing-when.conf"),
	};
	struct msgs errors = { 0 };
	struct policy p;
	char *w0, *w1;

	(void)state;
	assert_int_equal(policy_load((const char *const *)paths, 2, false, &p,
				     &errors),
			 -EINVAL);
	/* files are read in lexical order, whatever the order given */
	w0 = xasprintf("%s:4: rule 'missing-when': needs a when condition",
		       paths[1]);
	w1 = xasprintf("%s:9: rule 'unknown-field': unknown field 'directon'",
		       paths[0]);
	if (errors.n != 2) {
		print_errors(&errors);
		fail_msg("%zu errors, expected 2", errors.n);
	}
	assert_string_equal(errors.v[0], w0);
	assert_string_equal(errors.v[1], w1);
	free(w0);
	free(w1);
	free(paths[0]);
	free(paths[1]);
	policy_free(&p);
	msgs_free(&errors);
}

static void missing_directory_is_skipped_only_when_allowed(void **state)
{
	char *path = testutil_src_path("tests/policies/no-such-directory");
	struct msgs errors = { 0 };
	struct policy p;
	char *want;

	(void)state;
	assert_int_equal(policy_load((const char *const *)&path, 1, true, &p,
				     &errors),
			 0);
	assert_int_equal(errors.n, 0);
	assert_int_equal(p.n_rules, 0);
	assert_int_equal(p.n_files, 0);
	policy_free(&p);

	assert_int_equal(policy_load((const char *const *)&path, 1, false, &p,
				     &errors),
			 -EINVAL);
	assert_int_equal(errors.n, 1);
	want = xasprintf("%s: %s", path, strerror(ENOENT));
	assert_string_equal(errors.v[0], want);
	free(want);
	policy_free(&p);
	msgs_free(&errors);
	free(path);
}

static void loading_a_directory_reads_its_conf_files_in_order(void **state)
{
	static const char *const ids[] = { "a-one", "a-two", "b-one",
					   "masked-old" };
	struct policy p;

	(void)state;
	/* dir-a also holds 99-ignored.conf.orig, which would not parse */
	load_good1("tests/policies/good/dir-a", &p);
	assert_ids(&p, ids, ARRAY_SIZE(ids));
	assert_int_equal(p.n_files, 3);
	assert_ends_with(p.files[0].path, "/dir-a/10-first.conf");
	assert_ends_with(p.files[1].path, "/dir-a/20-second.conf");
	assert_ends_with(p.files[2].path, "/dir-a/30-masked.conf");
	assert_int_equal(p.files[0].n_rules, 2);
	assert_int_equal(p.files[1].n_rules, 1);
	assert_string_equal(p.rules[1].advice, "first version");
	assert_true(p.rules[2].enabled);
	policy_free(&p);
}

static const char *const both_dirs[] = {
	"tests/policies/good/dir-a",
	"tests/policies/good/dir-b",
};

static void files_are_read_in_lexical_order_across_directories(void **state)
{
	struct policy p;

	(void)state;
	load_good(both_dirs, 2, &p);
	assert_int_equal(p.n_files, 5);
	assert_ends_with(p.files[0].path, "/dir-a/10-first.conf");
	assert_ends_with(p.files[1].path, "/dir-b/15-middle.conf");
	assert_ends_with(p.files[2].path, "/dir-a/20-second.conf");
	assert_ends_with(p.files[3].path, "/dir-b/30-masked.conf");
	assert_ends_with(p.files[4].path, "/dir-b/40-disable.conf");
	for (size_t i = 0; i < p.n_files; i++) {
		assert_int_equal(strlen(p.files[i].sha256), SHA256_HEX_LEN);
		assert_int_equal(strspn(p.files[i].sha256, "0123456789abcdef"),
				 SHA256_HEX_LEN);
	}
	assert_string_not_equal(p.files[0].sha256, p.files[1].sha256);
	policy_free(&p);
}

static void later_directory_masks_a_file_of_the_same_name(void **state)
{
	const char *const reversed[] = { both_dirs[1], both_dirs[0] };
	const struct rule *r;
	struct policy p;

	(void)state;
	load_good(both_dirs, 2, &p);
	assert_null(find_rule(&p, "masked-old"));
	r = find_rule(&p, "masked-new");
	assert_non_null(r);
	assert_ends_with(r->file, "/dir-b/30-masked.conf");
	for (size_t i = 0; i < p.n_files; i++)
		assert_false(
			ends_with(p.files[i].path, "/dir-a/30-masked.conf"));
	policy_free(&p);

	/* the order of the paths decides who masks whom */
	load_good(reversed, 2, &p);
	assert_null(find_rule(&p, "masked-new"));
	assert_non_null(find_rule(&p, "masked-old"));
	policy_free(&p);
}

static void same_id_in_a_later_file_replaces_the_rule_in_place(void **state)
{
	static const char *const ids[] = { "a-one", "a-two", "mid-one", "b-one",
					   "masked-new" };
	const struct rule *r;
	struct policy p;

	(void)state;
	load_good(both_dirs, 2, &p);
	assert_ids(&p, ids, ARRAY_SIZE(ids));
	r = &p.rules[1];
	assert_string_equal(r->advice, "second version");
	assert_ends_with(r->file, "/dir-b/15-middle.conf");
	assert_int_equal(r->line, 8);
	policy_free(&p);
}

static void enabled_false_with_only_an_id_disables_the_rule(void **state)
{
	const struct rule *r;
	struct policy p;

	(void)state;
	load_good(both_dirs, 2, &p);
	r = find_rule(&p, "b-one");
	assert_non_null(r);
	assert_false(r->enabled);
	assert_ptr_equal(r, &p.rules[3]); /* keeps its place in load order */
	assert_ends_with(r->file, "/dir-b/40-disable.conf");
	assert_true(find_rule(&p, "a-one")->enabled);
	policy_free(&p);
}

/* --- warnings: valid policy, probable mistakes --------------------------- */

static const char *const with_typos[] = { "policies", "tests/policies/warn" };

static bool present_but_typos(const char *key, void *arg)
{
	(void)arg;
	return strcmp(key, "net.ipv4.tcp_max_tw_bucket") != 0 &&
	       strcmp(key, "net.ipv4.tcp_timestamp") != 0 &&
	       strcmp(key, "net.ipv4.no_such_key") != 0;
}

static void assert_warning(const struct msgs *w, const char *part)
{
	for (size_t i = 0; i < w->n; i++)
		if (strstr(w->v[i], part))
			return;
	for (size_t i = 0; i < w->n; i++)
		print_error("warning: %s\n", w->v[i]);
	fail_msg("no warning contains \"%s\"", part);
}

static void ids_that_match_nothing_are_warned_with_the_near_id(void **state)
{
	struct policy p;

	(void)state;
	load_good(with_typos, 2, &p);
	assert_int_equal(p.warnings.n, 2);
	assert_warning(&p.warnings,
		       "/90-typos.conf:4: rule \"fin-timout-myth\": no earlier "
		       "policy file defines \"fin-timout-myth\", so this "
		       "disables nothing (did you mean \"fin-timeout-myth\"?)");
	assert_warning(&p.warnings,
		       "/90-typos.conf:13: rule \"tw-reuse-outgoin\" is a new "
		       "rule, and \"tw-reuse-outgoing\" from an earlier file "
		       "stays in force");
	/* the shipped rule is still in force: the typo disabled nothing */
	assert_true(find_rule(&p, "fin-timeout-myth")->enabled);
	policy_free(&p);
}

static void keys_no_one_knows_are_warned_with_the_near_key(void **state)
{
	struct msgs w = { 0 };
	struct policy p;

	(void)state;
	load_good(with_typos, 2, &p);
	policy_check_keys(&p, present_but_typos, NULL, &w);
	assert_int_equal(w.n, 2);
	assert_warning(&w, "rule \"tw-buckets-headroom\" sets "
			   "\"net.ipv4.tcp_max_tw_bucket\", which twtune does "
			   "not know and this kernel does not have (did you "
			   "mean \"net.ipv4.tcp_max_tw_buckets\"?)");
	assert_warning(&w, "rule \"tw-reuse-outgoin\" reads "
			   "\"net.ipv4.tcp_timestamp\"");
	assert_warning(&w, "(did you mean \"net.ipv4.tcp_timestamps\"?)");
	msgs_free(&w);
	policy_free(&p);
}

static bool nothing_present(const char *key, void *arg)
{
	(void)key;
	(void)arg;
	return false;
}

/* The shipped policies name only keys twtune knows, on any kernel. */
static void shipped_policies_have_no_warnings(void **state)
{
	static const char *const shipped[] = { "policies" };
	struct msgs w = { 0 };
	struct policy p;

	(void)state;
	load_good(shipped, 1, &p);
	assert_int_equal(p.warnings.n, 0);
	policy_check_keys(&p, nothing_present, NULL, &w);
	for (size_t i = 0; i < w.n; i++)
		print_error("warning: %s\n", w.v[i]);
	assert_int_equal(w.n, 0);
	policy_free(&p);
}

static void edit_distance_counts_each_edit(void **state)
{
	static const char *const c[] = { "tcp_tw_reuse", "tcp_timestamps" };

	(void)state;
	assert_int_equal(util_edit_distance("", ""), 0);
	assert_int_equal(util_edit_distance("abc", ""), 3);
	assert_int_equal(util_edit_distance("kitten", "sitting"), 3);
	assert_int_equal(util_edit_distance("fin-timout-myth",
					    "fin-timeout-myth"),
			 1);
	assert_string_equal(util_closest("tcp_timestamp", c, 2, 2),
			    "tcp_timestamps");
	assert_null(util_closest("tcp_keepalive", c, 2, 2));
}

static void numbers_are_accepted_as_values_and_bounds(void **state)
{
	const struct rule *r;
	struct policy p;

	(void)state;
	load_good1("tests/policies/good/numbers.conf", &p);
	assert_int_equal(p.n_rules, 5);

	r = find_rule(&p, "number-int");
	assert_true(const_of(r->value) == 262144);
	assert_true(const_of(r->min) == 1);
	assert_true(const_of(r->max) == 100000000);

	r = find_rule(&p, "number-int64");
	assert_true(const_of(r->value) == 4294967296.0);
	assert_null(r->min);
	assert_null(r->max);

	r = find_rule(&p, "number-float");
	assert_true(const_of(r->value) == 2.5);
	assert_true(const_of(r->max) == 1e6);

	r = find_rule(&p, "number-negative");
	assert_true(const_of(r->value) == -1);

	r = find_rule(&p, "number-hex");
	assert_true(const_of(r->value) == 65536);
	policy_free(&p);
}

static void every_rule_field_is_loaded(void **state)
{
	const struct rule *r;
	struct policy p;
	double v;

	(void)state;
	load_good1("tests/policies/good/fields.conf", &p);
	r = find_rule(&p, "every-field");
	assert_non_null(r);
	assert_int_equal(r->kind, RULE_SYSCTL);
	assert_string_equal(r->key, "net.ipv4.tcp_fin_timeout");
	assert_null(r->advice);
	assert_ends_with(r->file, "/good/fields.conf");
	assert_int_equal(r->line, 3);
	assert_non_null(r->when);
	assert_non_null(r->value);
	assert_false(expr_const(r->value, &v));
	assert_true(const_of(r->min) == 15);
	assert_non_null(r->max);
	assert_false(expr_const(r->max, &v));
	assert_int_equal(r->direction, DIR_LOWER);
	assert_false(r->persist);
	assert_true(r->override);
	assert_int_equal(r->severity, SEV_CRITICAL);
	assert_string_equal(r->reason,
			    "{current} -> {value} with {tw_count} TIME_WAIT");
	assert_true(r->enabled);
	policy_free(&p);
}

static void omitted_fields_take_their_defaults(void **state)
{
	const struct rule *r;
	struct policy p;

	(void)state;
	load_good1("tests/policies/good/fields.conf", &p);
	r = find_rule(&p, "sysctl-defaults");
	assert_non_null(r);
	assert_int_equal(r->kind, RULE_SYSCTL);
	assert_int_equal(r->direction, DIR_RAISE);
	assert_true(r->persist);
	assert_false(r->override);
	assert_true(r->enabled);
	assert_int_equal(r->severity, SEV_INFO);
	assert_null(r->reason);
	assert_null(r->min);
	assert_null(r->max);

	r = find_rule(&p, "advice-defaults");
	assert_non_null(r);
	assert_int_equal(r->kind, RULE_ADVICE);
	assert_null(r->key);
	assert_null(r->value);
	assert_string_equal(r->advice, "{tw_count} sockets in TIME_WAIT");
	assert_int_equal(r->severity, SEV_WARNING);
	assert_true(r->enabled);
	policy_free(&p);
}

static bool needs_sockets(const char *rel)
{
	struct policy p;
	bool r;

	load_good1(rel, &p);
	r = policy_needs_sockets(&p);
	policy_free(&p);
	return r;
}

static void socket_metrics_in_an_enabled_rule_need_sockets(void **state)
{
	(void)state;
	assert_true(needs_sockets("tests/policies/good/sockets.conf"));
	/* the only rule naming socket metrics there is disabled */
	assert_false(needs_sockets("tests/policies/good/no-sockets.conf"));
	assert_false(needs_sockets("tests/policies/good/fields.conf"));
}

/* {tw_peers} would always render "unknown" if nothing collected it */
static void socket_metric_in_a_reason_needs_sockets(void **state)
{
	(void)state;
	assert_true(
		needs_sockets("tests/policies/good/sockets-in-reason.conf"));
}

static void sysctl_keys_cover_targets_and_reads_once(void **state)
{
	struct msgs keys = { 0 };
	struct policy p;

	(void)state;
	load_good1("tests/policies/good/keys.conf", &p);
	policy_sysctl_keys(&p, &keys);
	if (keys.n != 4) {
		for (size_t i = 0; i < keys.n; i++)
			print_error("  key: %s\n", keys.v[i]);
		fail_msg("%zu keys, expected 4", keys.n);
	}
	assert_string_equal(keys.v[0], "net.ipv4.tcp_tw_reuse");
	assert_string_equal(keys.v[1], "net.ipv4.tcp_timestamps");
	assert_string_equal(keys.v[2], "net.ipv4.tcp_max_tw_buckets");
	assert_string_equal(keys.v[3], "net.ipv4.tcp_fin_timeout");
	msgs_free(&keys);

	/* keys already listed are not repeated */
	msgs_addf(&keys, "net.ipv4.tcp_max_tw_buckets");
	policy_sysctl_keys(&p, &keys);
	assert_int_equal(keys.n, 4);
	assert_string_equal(keys.v[0], "net.ipv4.tcp_max_tw_buckets");
	assert_string_equal(keys.v[1], "net.ipv4.tcp_tw_reuse");
	msgs_free(&keys);
	policy_free(&p);
}

static void render_obs(struct observation *o)
{
	memset(o, 0, sizeof(*o));
	for (int i = 0; i < METRIC_COUNT; i++)
		o->m[i] = NAN;
	o->m[M_TW_COUNT] = 12345;
	o->m[M_TW_RATIO] = 0.75;
	o->m[M_TW_DEMAND] = 1.0 / 3;
	o->m[M_MEM_TOTAL] = 4294967296.0;
}

static void check_render(const char *tmpl, double current, double value,
			 const char *want)
{
	struct observation o;
	char *s;

	render_obs(&o);
	s = policy_render(tmpl, &o, current, value);
	assert_non_null(s);
	if (strcmp(s, want) != 0) {
		print_error("rendering \"%s\"\n  got  \"%s\"\n  want \"%s\"\n",
			    tmpl, s, want);
		free(s);
		fail();
	}
	free(s);
}

static void reason_template_shows_metrics_current_and_value(void **state)
{
	(void)state;
	check_render("{tw_count} TIME_WAIT sockets in {current} buckets, "
		     "{value} planned",
		     16384, 32768,
		     "12345 TIME_WAIT sockets in 16384 buckets, 32768 planned");
	check_render("{current}{value}", 1, 2, "12");
	check_render("memory {mem_total}, was {current}", -1, 0,
		     "memory 4294967296, was -1");
}

static void reason_template_shows_unknown_values_as_unknown(void **state)
{
	(void)state;
	check_render("{tw_overflow_delta} overflows", 1, 2,
		     "unknown overflows");
	check_render("from {current} to {value}", NAN, NAN,
		     "from unknown to unknown");
}

static void reason_template_shows_fractions_briefly(void **state)
{
	(void)state;
	check_render("{tw_ratio} full", 0, 0, "0.75 full");
	check_render("demand {tw_demand}", 0, 0, "demand 0.333");
	check_render("{value}", 0, 2.5, "2.5");
}

static void reason_template_without_placeholders_is_unchanged(void **state)
{
	(void)state;
	check_render("", 0, 0, "");
	check_render("no placeholders here", 0, 0, "no placeholders here");
}

static void shipped_policies_load(void **state)
{
	const char *rel = "policies";
	const struct rule *r;
	struct policy p;

	(void)state;
	load_good1(rel, &p);

	r = find_rule(&p, "tw-buckets-headroom");
	assert_non_null(r);
	assert_int_equal(r->kind, RULE_SYSCTL);
	assert_string_equal(r->key, "net.ipv4.tcp_max_tw_buckets");
	assert_int_equal(r->direction, DIR_RAISE);
	assert_non_null(r->max);

	r = find_rule(&p, "tw-recycle-off");
	assert_non_null(r);
	assert_int_equal(r->kind, RULE_SYSCTL);
	assert_string_equal(r->key, "net.ipv4.tcp_tw_recycle");
	assert_true(const_of(r->value) == 0);

	r = find_rule(&p, "fin-timeout-myth");
	assert_non_null(r);
	assert_int_equal(r->kind, RULE_ADVICE);
	assert_non_null(r->advice);
	policy_free(&p);
}

/*
 * A value is clamped by min, so "value = 0; min = 1;" would set
 * tcp_tw_recycle to 1 as surely as "value = 1;".
 */
static void tw_recycle_cannot_be_forced_on_through_min(void **state)
{
	char *path = testutil_src_path(
		"tests/policies/unsafe/tw-recycle-forced-by-min.conf");
	struct msgs errors = { 0 };
	struct policy p;
	bool named = false;
	int ret;

	(void)state;
	ret = policy_load((const char *const *)&path, 1, false, &p, &errors);
	for (size_t i = 0; i < errors.n; i++)
		named |= strstr(errors.v[i], "tcp_tw_recycle") != NULL;
	policy_free(&p);
	msgs_free(&errors);
	free(path);
	assert_int_equal(ret, -EINVAL);
	assert_true(named);
}

#define T(f) cmocka_unit_test(f)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(every_bad_policy_fails_with_its_expected_error),
		T(include_directive_is_found_on_its_line),
		cmocka_unit_test_setup_teardown(
			include_of_a_directory_is_refused_not_fatal,
			testdir_setup, testdir_teardown),
		T(one_file_with_several_errors_reports_them_all),
		T(errors_in_several_files_are_all_reported),
		T(missing_directory_is_skipped_only_when_allowed),
		T(loading_a_directory_reads_its_conf_files_in_order),
		T(files_are_read_in_lexical_order_across_directories),
		T(later_directory_masks_a_file_of_the_same_name),
		T(same_id_in_a_later_file_replaces_the_rule_in_place),
		T(enabled_false_with_only_an_id_disables_the_rule),
		T(ids_that_match_nothing_are_warned_with_the_near_id),
		T(keys_no_one_knows_are_warned_with_the_near_key),
		T(shipped_policies_have_no_warnings),
		T(edit_distance_counts_each_edit),
		T(numbers_are_accepted_as_values_and_bounds),
		T(every_rule_field_is_loaded),
		T(omitted_fields_take_their_defaults),
		T(socket_metrics_in_an_enabled_rule_need_sockets),
		T(socket_metric_in_a_reason_needs_sockets),
		T(sysctl_keys_cover_targets_and_reads_once),
		T(reason_template_shows_metrics_current_and_value),
		T(reason_template_shows_unknown_values_as_unknown),
		T(reason_template_shows_fractions_briefly),
		T(reason_template_without_placeholders_is_unchanged),
		T(shipped_policies_load),
		T(tw_recycle_cannot_be_forced_on_through_min),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
