// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests of the policy expression language (src/expr.c): precedence and
 * associativity, every function, metrics and sysctl() read from a hand-built
 * observation, `current` and `exists`, unknown values and Kleene logic,
 * division by zero and overflow, the exact text and column of parse errors,
 * and the helpers that inspect a parsed expression.
 */
#include "config.h"

#include <errno.h>
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
#include "util.h"

static struct observation obs;

static char key_fin[] = "net.ipv4.tcp_fin_timeout";
static char raw_fin[] = "30";
static char key_recycle[] = "net.ipv4.tcp_tw_recycle";
static char key_range[] = "net.ipv4.ip_local_port_range";
static char raw_range[] = "32768\t60999";
static struct sysctl_obs sysctls[3];

static int setup_obs(void **state)
{
	(void)state;
	memset(&obs, 0, sizeof(obs));
	for (int i = 0; i < METRIC_COUNT; i++)
		obs.m[i] = NAN;
	obs.window = NAN;
	obs.m[M_TW_COUNT] = 1000;
	obs.m[M_TW_MAX] = 4096;
	obs.m[M_TW_RATIO] = 1000.0 / 4096;
	obs.m[M_MEM_TOTAL] = 8e9;
	obs.m[M_TW_SOCK_SIZE] = 256;
	obs.why[M_TW_DEMAND] = "no baseline";
	obs.why[M_TW_OVERFLOW_DELTA] = "no baseline";
	/* M_TW_PEERS: NAN with no why, to see the fallback text */

	sysctls[0] = (struct sysctl_obs){
		.key = key_fin, .exists = true, .value = 30, .raw = raw_fin
	};
	sysctls[1] = (struct sysctl_obs){
		.key = key_recycle, .exists = false, .value = NAN, .raw = NULL
	};
	sysctls[2] = (struct sysctl_obs){
		.key = key_range, .exists = true, .value = NAN, .raw = raw_range
	};
	obs.sysctls = sysctls;
	obs.n_sysctls = 3;
	return 0;
}

/* Parse src, which must be valid, and evaluate it in env. */
static double eval_in(const char *src, unsigned flags,
		      const struct expr_env *env, struct msgs *missing)
{
	struct expr *e = NULL;
	char err[256] = "";
	double v;

	if (expr_parse(src, flags, &e, err, sizeof(err)) != 0)
		fail_msg("\"%s\" did not parse: %s", src, err);
	assert_non_null(e);
	v = expr_eval(e, env, missing);
	expr_free(e);
	return v;
}

/* Evaluate src against the observation, outside any rule. */
static double eval_obs(const char *src, struct msgs *missing)
{
	struct expr_env env = { .obs = &obs, .current = NAN };

	return eval_in(src, 0, &env, missing);
}

static void check(const char *src, double want)
{
	struct msgs missing = { 0 };
	double got = eval_obs(src, &missing);

	if (!(fabs(got - want) <= 1e-12 * fmax(1, fabs(want))))
		fail_msg("\"%s\" = %.17g, expected %.17g", src, got, want);
	msgs_free(&missing);
}

/* src must evaluate to unknown and explain it with exactly these lines. */
static void check_unknown(const char *src, const char *const *lines, size_t n)
{
	struct msgs missing = { 0 };
	double got = eval_obs(src, &missing);

	if (!isnan(got))
		fail_msg("\"%s\" = %.17g, expected unknown", src, got);
	if (missing.n != n) {
		for (size_t i = 0; i < missing.n; i++)
			print_error("missing[%zu] = %s\n", i, missing.v[i]);
		fail_msg("\"%s\": %zu missing lines, expected %zu", src,
			 missing.n, n);
	}
	for (size_t i = 0; i < n; i++)
		assert_string_equal(missing.v[i], lines[i]);
	msgs_free(&missing);
}

static void check_parse_error(const char *src, unsigned flags, const char *want)
{
	struct expr *e = (struct expr *)(void *)&obs; /* must become NULL */
	char err[256] = "";
	int ret = expr_parse(src, flags, &e, err, sizeof(err));

	if (ret != -EINVAL) {
		expr_free(ret == 0 ? e : NULL);
		fail_msg("\"%s\" parsed (ret %d), expected error \"%s\"", src,
			 ret, want);
	}
	assert_null(e);
	if (strcmp(err, want) != 0)
		fail_msg("\"%s\": error \"%s\", expected \"%s\"", src, err,
			 want);
}

static void multiplication_binds_tighter_than_addition(void **state)
{
	(void)state;
	check("1 + 2 * 3", 7);
	check("2 * 3 + 1", 7);
	check("(1 + 2) * 3", 9);
	check("10 - 6 / 2", 7);
	check("7 % 4 * 2", 6);
	check("2 * 7 % 4", 2);
	check("1 + 7 % 4", 4);
}

static void arithmetic_is_left_associative(void **state)
{
	(void)state;
	check("10 - 4 - 3", 3);
	check("100 / 10 / 5", 2);
	check("2 * 3 % 4", 2);
	check("17 % 10 % 4", 3);
}

static void comparisons_sit_between_sums_and_logic(void **state)
{
	(void)state;
	check("5 - 1 > 3", 1);	/* not 5 - (1 > 3) = 5 */
	check("3 == 1 + 2", 1); /* not (3 == 1) + 2 = 2 */
	check("1 < 2 == 1", 1); /* equality below ordering */
	check("2 > 1 && 3 > 2", 1);
	check("1 > 2 || 2 > 1", 1);
}

static void logical_and_binds_tighter_than_or(void **state)
{
	(void)state;
	check("!0 && 1 || 0", 1);
	check("1 || 0 && 0", 1); /* (1 || 0) && 0 would be 0 */
	check("0 && 1 || 1", 1);
	check("0 || 1 && 0", 0);
	check("!1 || 1", 1); /* ! applies to 1 only */
	check("!(1 || 1)", 0);
}

static void comparison_chains_are_left_associative(void **state)
{
	(void)state;
	check("1 < 2 < 3", 1);
	check("3 > 2 > 1", 0); /* (3 > 2) > 1 is 1 > 1 */
	check("1 == 1 == 1", 1);
	check("2 == 2 == 2", 0); /* (2 == 2) == 2 is 1 == 2 */
	check("1 <= 1", 1);
	check("2 >= 3", 0);
	check("1 != 2", 1);
	check("1 != 1", 0);
	check("1 == 1.0", 1);
	check("2 < 2", 0);
	check("3 > 3", 0);
}

static void unary_operators_apply_to_the_next_operand(void **state)
{
	(void)state;
	check("-3 + 5", 2);
	check("- -3", 3);
	check("--3", 3);
	check("-(2 + 3) * 2", -10);
	check("2 * -3", -6);
	check("-2 * -2", 4);
	check("1 - -1", 2);
	check("+4", 4);
	check("!5", 0);
	check("!0", 1);
	check("!!5", 1);
	check("!0.5", 0);
	check("-tw_count", -1000);
}

static void parentheses_and_whitespace(void **state)
{
	(void)state;
	check("((2))", 2);
	check("(1 + 2) * (3 + 4)", 21);
	check("  1+2\t*\n3  ", 7);
	check("max ( 1 , 2 )", 2);
}

static void numbers_in_every_notation(void **state)
{
	(void)state;
	check("0", 0);
	check("42", 42);
	check("0.5", 0.5);
	check(".25", 0.25);
	check("1e3", 1000);
	check("2.5E-1", 0.25);
	check("1e+2", 100);
	check("007", 7);
	check("4294967296", 4294967296.0);
}

static void min_and_max_take_two_or_more_arguments(void **state)
{
	(void)state;
	check("min(3, 1)", 1);
	check("min(1, 3)", 1);
	check("max(3, 1)", 3);
	check("max(1, 3)", 3);
	check("min(3, 1, 2)", 1);
	check("max(3, 7, 5, 1)", 7);
	check("min(2, -5)", -5);
	check("max(-2, -5)", -2);
	check("max(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16)", 16);
	check("max(tw_count * 2, 100)", 2000);
	check("min(max(1, 5), 3)", 3);
}

static void ceil_and_floor_round_toward_the_named_side(void **state)
{
	(void)state;
	check("ceil(1.2)", 2);
	check("ceil(2)", 2);
	check("ceil(-1.2)", -1);
	check("floor(1.8)", 1);
	check("floor(2)", 2);
	check("floor(-1.2)", -2);
	check("ceil(tw_count / 3)", 334);
	check("floor(tw_count / 3)", 333);
}

static void pow2ceil_rounds_up_to_a_power_of_two(void **state)
{
	(void)state;
	check("pow2ceil(3)", 4);
	check("pow2ceil(5)", 8);
	check("pow2ceil(2.5)", 4);
	check("pow2ceil(1000)", 1024);
	check("pow2ceil(1025)", 2048);
	check("pow2ceil(tw_count * 2)", 2048);
}

static void pow2ceil_keeps_exact_powers_of_two(void **state)
{
	(void)state;
	check("pow2ceil(2)", 2);
	check("pow2ceil(4)", 4);
	check("pow2ceil(1024)", 1024);
	check("pow2ceil(65536)", 65536);
	check("pow2ceil(4294967296)", 4294967296.0);
}

static void pow2ceil_of_one_or_less_is_one(void **state)
{
	(void)state;
	check("pow2ceil(1)", 1);
	check("pow2ceil(0.5)", 1);
	check("pow2ceil(0)", 1);
	check("pow2ceil(-5)", 1);
}

static void metrics_read_the_observation(void **state)
{
	(void)state;
	check("tw_count", 1000);
	check("tw_max", 4096);
	check("tw_ratio", 1000.0 / 4096);
	check("mem_total / tw_sock_size / 100", 8e9 / 256 / 100);
	check("tw_count > 999 && tw_ratio < 0.25", 1);
}

static void unknown_metric_names_why_it_is_missing(void **state)
{
	static const char *const demand[] = { "tw_demand: no baseline" };
	static const char *const peers[] = { "tw_peers: not observed" };
	static const char *const both[] = { "tw_demand: no baseline",
					    "tw_peers: not observed" };

	(void)state;
	check_unknown("tw_demand", demand, 1);
	check_unknown("tw_peers", peers, 1);
	check_unknown("tw_demand + tw_peers", both, 2);
}

static void the_same_missing_input_is_listed_once(void **state)
{
	static const char *const demand[] = { "tw_demand: no baseline" };

	(void)state;
	check_unknown("tw_demand + tw_demand * 2", demand, 1);
	check_unknown("max(tw_demand, tw_count) + tw_demand", demand, 1);
}

static void known_takes_the_default_only_when_unknown(void **state)
{
	static const char *const both[] = { "tw_peers: not observed",
					    "tw_demand: no baseline" };

	(void)state;
	check("known(tw_count, 5)", 1000);
	check("known(tw_demand, 5)", 5);
	check("known(tw_demand * 2 + tw_peers, tw_count)", 1000);
	check("known(sysctl(\"net.ipv4.tcp_tw_recycle\"), 0)", 0);
	check("known(tw_count / 0, 1)", 1);
	/* an unknown default stays unknown, and says why for both */
	check_unknown("known(tw_demand, tw_peers)", both, 2);
	check_parse_error("known(tw_count)", 0,
			  "column 16: wrong number of arguments to known()");
}

static void sysctl_reads_the_observed_value(void **state)
{
	(void)state;
	check("sysctl(\"net.ipv4.tcp_fin_timeout\")", 30);
	check("sysctl( \"net.ipv4.tcp_fin_timeout\" ) < 60", 1);
	check("sysctl(\"net.ipv4.tcp_fin_timeout\") * 2", 60);
}

static void sysctl_absent_from_the_kernel_is_unknown(void **state)
{
	static const char *const want[] = {
		"sysctl(\"net.ipv4.tcp_tw_recycle\"): is not present on this "
		"kernel"
	};

	(void)state;
	check_unknown("sysctl(\"net.ipv4.tcp_tw_recycle\")", want, 1);
	check_unknown("sysctl(\"net.ipv4.tcp_tw_recycle\") != 0", want, 1);
}

static void sysctl_that_is_not_one_integer_is_unknown(void **state)
{
	static const char *const want[] = {
		"sysctl(\"net.ipv4.ip_local_port_range\"): is not a single "
		"integer"
	};

	(void)state;
	check_unknown("sysctl(\"net.ipv4.ip_local_port_range\")", want, 1);
}

static void sysctl_that_was_not_read_is_unknown(void **state)
{
	static const char *const want[] = {
		"sysctl(\"net.core.somaxconn\"): was not read"
	};

	(void)state;
	check_unknown("sysctl(\"net.core.somaxconn\") + 1", want, 1);
}

static void current_and_exists_describe_the_rule_sysctl(void **state)
{
	struct expr_env env = {
		.obs = &obs, .key = key_fin, .current = 30, .exists = true
	};
	struct msgs missing = { 0 };

	(void)state;
	assert_true(eval_in("current", EXPR_RULE_VARS, &env, &missing) == 30);
	assert_true(eval_in("current * 2", EXPR_RULE_VARS, &env, &missing) ==
		    60);
	assert_true(eval_in("exists", EXPR_RULE_VARS, &env, &missing) == 1);
	assert_true(eval_in("exists && current != 0", EXPR_RULE_VARS, &env,
			    &missing) == 1);
	assert_int_equal(missing.n, 0);
}

static void current_of_an_absent_sysctl_is_unknown(void **state)
{
	struct expr_env env = {
		.obs = &obs, .key = key_recycle, .current = NAN, .exists = false
	};
	struct msgs missing = { 0 };
	double v;

	(void)state;
	v = eval_in("current + 1", EXPR_RULE_VARS, &env, &missing);
	assert_true(isnan(v));
	assert_int_equal(missing.n, 1);
	assert_string_equal(missing.v[0], "current: net.ipv4.tcp_tw_recycle "
					  "is not present on this kernel");
	msgs_free(&missing);

	assert_true(eval_in("exists", EXPR_RULE_VARS, &env, NULL) == 0);
	/* the shipped tw-recycle-off condition decides without current */
	assert_true(eval_in("exists && current != 0", EXPR_RULE_VARS, &env,
			    NULL) == 0);
}

static void current_that_is_not_one_integer_is_unknown(void **state)
{
	struct expr_env env = {
		.obs = &obs, .key = key_range, .current = NAN, .exists = true
	};
	struct msgs missing = { 0 };

	(void)state;
	assert_true(isnan(eval_in("current", EXPR_RULE_VARS, &env, &missing)));
	assert_int_equal(missing.n, 1);
	assert_string_equal(missing.v[0], "current: "
					  "net.ipv4.ip_local_port_range is "
					  "not a single integer");
	msgs_free(&missing);
}

static void current_and_exists_need_a_rule_with_a_sysctl(void **state)
{
	(void)state;
	check_parse_error("current", 0,
			  "column 1: 'current' is only defined in rules with "
			  "a sysctl");
	check_parse_error("1 + exists", 0,
			  "column 5: 'exists' is only defined in rules with "
			  "a sysctl");
	check_parse_error("max(tw_count, current * 2)", 0,
			  "column 15: 'current' is only defined in rules "
			  "with a sysctl");
}

static void unknown_propagates_through_arithmetic(void **state)
{
	static const char *const demand[] = { "tw_demand: no baseline" };

	(void)state;
	check_unknown("tw_demand + 1", demand, 1);
	check_unknown("1 - tw_demand", demand, 1);
	check_unknown("tw_demand * 0", demand, 1);
	check_unknown("0 / tw_demand", demand, 1);
	check_unknown("tw_demand % 2", demand, 1);
	check_unknown("-tw_demand", demand, 1);
	check_unknown("min(tw_demand, 1)", demand, 1);
	check_unknown("min(1, tw_demand)", demand, 1);
	check_unknown("max(1, tw_demand, 3)", demand, 1);
	check_unknown("ceil(tw_demand)", demand, 1);
	check_unknown("floor(tw_demand)", demand, 1);
	check_unknown("pow2ceil(tw_demand)", demand, 1);
}

static void unknown_propagates_through_comparisons(void **state)
{
	static const char *const demand[] = { "tw_demand: no baseline" };

	(void)state;
	check_unknown("tw_demand > 0", demand, 1);
	check_unknown("tw_demand < 0", demand, 1);
	check_unknown("tw_demand >= 0", demand, 1);
	check_unknown("tw_demand <= 0", demand, 1);
	check_unknown("tw_demand == tw_demand", demand, 1);
	check_unknown("tw_demand != 1", demand, 1);
}

static void kleene_or_is_true_when_either_side_is_true(void **state)
{
	(void)state;
	check("tw_demand > 0 || 1", 1);
	check("1 || tw_demand > 0", 1);
	check("tw_demand > 0 || tw_count > 0", 1);
	check("tw_count > 0 || tw_demand > 0", 1);
}

static void kleene_or_of_unknown_and_false_is_unknown(void **state)
{
	static const char *const demand[] = { "tw_demand: no baseline" };

	(void)state;
	check_unknown("tw_demand > 0 || 0", demand, 1);
	check_unknown("0 || tw_demand > 0", demand, 1);
	check_unknown("tw_demand > 0 || tw_demand < 0", demand, 1);
}

static void kleene_and_is_false_when_either_side_is_false(void **state)
{
	(void)state;
	check("tw_demand > 0 && 0", 0);
	check("0 && tw_demand > 0", 0);
	check("tw_demand > 0 && tw_count < 0", 0);
	check("tw_count < 0 && tw_demand > 0", 0);
}

static void kleene_and_of_unknown_and_true_is_unknown(void **state)
{
	static const char *const demand[] = { "tw_demand: no baseline" };

	(void)state;
	check_unknown("tw_demand > 0 && 1", demand, 1);
	check_unknown("1 && tw_demand > 0", demand, 1);
	check_unknown("tw_demand > 0 && tw_demand < 0", demand, 1);
}

static void kleene_not_of_unknown_is_unknown(void **state)
{
	static const char *const demand[] = { "tw_demand: no baseline" };

	(void)state;
	check_unknown("!tw_demand", demand, 1);
	check_unknown("!(tw_demand > 0)", demand, 1);
	check_unknown("!!tw_demand", demand, 1);
}

static void logic_on_known_values_is_boolean(void **state)
{
	(void)state;
	check("1 && 1", 1);
	check("1 && 0", 0);
	check("0 && 1", 0);
	check("0 && 0", 0);
	check("1 || 0", 1);
	check("0 || 1", 1);
	check("0 || 0", 0);
	check("1 || 1", 1);
	check("2 && 3", 1); /* any non-zero is true, the result is 1 */
	check("0.5 || 0", 1);
	check("-1 && 1", 1);
}

static void division_by_zero_is_unknown(void **state)
{
	static const char *const want[] = { "division by zero" };

	(void)state;
	check_unknown("1 / 0", want, 1);
	check_unknown("0 / 0", want, 1);
	check_unknown("tw_count / (tw_max - 4096)", want, 1);
	check_unknown("(1 / 0) > 0", want, 1);
}

static void modulo_by_zero_is_unknown(void **state)
{
	static const char *const want[] = { "division by zero" };

	(void)state;
	check_unknown("5 % 0", want, 1);
	check_unknown("tw_count % (2 - 2)", want, 1);
}

static void division_and_modulo_by_non_zero(void **state)
{
	(void)state;
	check("7 / 2", 3.5);
	check("7 % 4", 3);
	check("-7 % 3", -1); /* the sign of the dividend, like C */
	check("7.5 % 2", 1.5);
	check("(1 / 0) > 0 || 1", 1);
}

static void overflow_is_unknown(void **state)
{
	static const char *const want[] = { "arithmetic overflow" };

	(void)state;
	check_unknown("1e308 * 10", want, 1);
	check_unknown("-1e308 * 10", want, 1);
	check_unknown("1e308 + 1e308", want, 1);
	check_unknown("1e300 / 1e-10", want, 1);
	check_unknown("pow2ceil(1e308)", want, 1);
	check("1e308 + 1", 1e308);
}

/*
 * An overflow inside an expression must not turn into a silent unknown
 * (inf - inf is NAN) or a confident answer built on infinity.
 */
static void overflow_inside_an_expression_is_explained(void **state)
{
	static const char *const want[] = { "arithmetic overflow" };

	(void)state;
	check_unknown("1e308 * 10 - 1e308 * 10", want, 1);
	check_unknown("0 * (1e308 * 10)", want, 1);
}

static void huge_literal_is_a_parse_error(void **state)
{
	(void)state;
	check_parse_error("1e999", 0, "column 1: number is out of range");
	check_parse_error("tw_count > 1e999", 0,
			  "column 12: number is out of range");
}

static void parse_error_names_unknown_metric_and_column(void **state)
{
	(void)state;
	check_parse_error("foo", 0, "column 1: unknown metric 'foo'");
	check_parse_error("tw_count + foo * 2", 0,
			  "column 12: unknown metric 'foo'");
	check_parse_error("tw_cnt > 0", 0, "column 1: unknown metric 'tw_cnt'");
}

static void parse_error_names_unknown_function_and_column(void **state)
{
	(void)state;
	check_parse_error("bar(1)", 0, "column 1: unknown function 'bar'");
	check_parse_error("1 + sqrt(4)", 0,
			  "column 5: unknown function 'sqrt'");
	/* a metric is not callable */
	check_parse_error("tw_count(1)", 0,
			  "column 1: unknown function 'tw_count'");
}

static void parse_error_for_unbalanced_parentheses(void **state)
{
	(void)state;
	check_parse_error("(1 + 2", 0, "column 7: expected ')'");
	check_parse_error("((1)", 0, "column 5: expected ')'");
	check_parse_error("1 + 2)", 0, "column 6: unexpected ')'");
	check_parse_error("min(1, 2", 0, "column 9: expected ',' or ')'");
	check_parse_error("min(1 2)", 0, "column 7: expected ',' or ')'");
}

static void parse_error_for_truncated_expression(void **state)
{
	(void)state;
	check_parse_error("", 0, "column 1: unexpected end of expression");
	check_parse_error("   ", 0, "column 4: unexpected end of expression");
	check_parse_error("1 +", 0, "column 4: unexpected end of expression");
	check_parse_error("tw_count >", 0,
			  "column 11: unexpected end of expression");
	check_parse_error("!", 0, "column 2: unexpected end of expression");
	check_parse_error("1 &&", 0, "column 5: unexpected end of expression");
}

static void parse_error_for_stray_tokens(void **state)
{
	(void)state;
	check_parse_error("1 2", 0, "column 3: unexpected '2'");
	check_parse_error("1 = 1", 0, "column 3: unexpected '='");
	check_parse_error("1 & 1", 0, "column 3: unexpected '&'");
	check_parse_error("1 | 1", 0, "column 3: unexpected '|'");
	check_parse_error("* 2", 0, "column 1: unexpected '*'");
	check_parse_error("1 + * 2", 0, "column 5: unexpected '*'");
	check_parse_error("2x", 0, "column 2: unexpected 'x' after a number");
	check_parse_error("1.5e", 0, "column 4: unexpected 'e' after a number");
}

/* 0x10 is not a number in this language, but not out of range either */
static void hex_literal_is_rejected_for_what_it_is(void **state)
{
	(void)state;
	check_parse_error("0x10", 0, "column 2: unexpected 'x' after a number");
}

static void parse_error_for_wrong_argument_counts(void **state)
{
	(void)state;
	check_parse_error("min(1)", 0,
			  "column 7: wrong number of arguments to min()");
	check_parse_error("max()", 0,
			  "column 6: wrong number of arguments to max()");
	check_parse_error("ceil(1, 2)", 0,
			  "column 11: wrong number of arguments to ceil()");
	check_parse_error("floor()", 0,
			  "column 8: wrong number of arguments to floor()");
	check_parse_error("pow2ceil(1, 2)", 0,
			  "column 15: wrong number of arguments to "
			  "pow2ceil()");
	check_parse_error("max(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, "
			  "14, 15, 16, 17)",
			  0, "column 59: too many arguments");
}

static void parse_error_for_bad_sysctl_argument(void **state)
{
	(void)state;
	check_parse_error("sysctl(net.core.somaxconn)", 0,
			  "column 8: sysctl() takes a quoted key, like "
			  "sysctl(\"net.ipv4.tcp_fin_timeout\")");
	check_parse_error("sysctl(\"kernel.pid_max\")", 0,
			  "column 9: sysctl(): only keys under net. can be "
			  "managed");
	check_parse_error("sysctl(\"net.ipv4..tcp_fin_timeout\")", 0,
			  "column 9: sysctl(): key has an empty component");
	check_parse_error("sysctl(\"net.ipv4/tcp_fin_timeout\")", 0,
			  "column 9: sysctl(): key may only hold "
			  "[a-z0-9_.-]");
	check_parse_error("sysctl(\"net.x", 0,
			  "column 14: unterminated string");
	check_parse_error("sysctl(\"net.x\"", 0, "column 15: expected ')'");
	check_parse_error("sysctl(\"net.x\", 1)", 0, "column 15: expected ')'");
}

static void nesting_depth_is_bounded(void **state)
{
	char src[512];
	size_t n = 0;

	(void)state;
	for (int i = 0; i < 200; i++)
		src[n++] = '(';
	src[n++] = '1';
	for (int i = 0; i < 200; i++)
		src[n++] = ')';
	src[n] = '\0';
	check_parse_error(src, 0, "column 65: expression nests too deeply");

	memset(src, '!', 200);
	src[200] = '1';
	src[201] = '\0';
	check_parse_error(src, 0, "column 65: expression nests too deeply");

	/* 64 levels are still fine */
	n = 0;
	for (int i = 0; i < 63; i++)
		src[n++] = '(';
	src[n++] = '1';
	for (int i = 0; i < 63; i++)
		src[n++] = ')';
	src[n] = '\0';
	check(src, 1);
}

static void realistic_nesting_is_accepted(void **state)
{
	(void)state;
	check("((((((((1))))))))", 1);
	check("max(1, min(2, max(3, min(4, ceil(floor(pow2ceil(5)))))))", 2);
}

static void overlong_expression_is_rejected(void **state)
{
	char src[4200];

	(void)state;
	for (size_t i = 0; i < 4097; i += 2) {
		src[i] = '1';
		src[i + 1] = '+';
	}
	src[4097] = '\0'; /* ends in '1': valid but for its length */
	check_parse_error(src, 0, "expression is longer than 4096 bytes");
	src[4095] = ' '; /* 4096 bytes: the longest allowed */
	src[4096] = '\0';
	check(src, 2048);
}

static void expr_const_knows_plain_numbers(void **state)
{
	static const struct {
		const char *src;
		double v;
	} consts[] = {
		{ "42", 42 },	   { "0", 0 },	{ "-3", -3 },
		{ "- 2.5", -2.5 }, { "+7", 7 }, { "(5)", 5 },
	};
	static const char *const not_const[] = {
		"1 + 1",
		"tw_count",
		"min(1, 2)",
		"--1",
		"sysctl(\"net.ipv4.tcp_fin_timeout\")",
		"current",
		"!0",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(consts); i++) {
		struct expr *e;
		char err[256];
		double v = NAN;

		assert_int_equal(expr_parse(consts[i].src, EXPR_RULE_VARS, &e,
					    err, sizeof(err)),
				 0);
		if (!expr_const(e, &v) || v != consts[i].v)
			fail_msg("expr_const(\"%s\") = %g, expected %g",
				 consts[i].src, v, consts[i].v);
		expr_free(e);
	}
	for (size_t i = 0; i < ARRAY_SIZE(not_const); i++) {
		struct expr *e;
		char err[256];
		double v;

		assert_int_equal(expr_parse(not_const[i], EXPR_RULE_VARS, &e,
					    err, sizeof(err)),
				 0);
		if (expr_const(e, &v))
			fail_msg("expr_const(\"%s\") claims %g", not_const[i],
				 v);
		expr_free(e);
	}
}

static bool uses_sockets(const char *src)
{
	struct expr *e;
	char err[256];
	bool r;

	if (expr_parse(src, 0, &e, err, sizeof(err)) != 0)
		fail_msg("\"%s\" did not parse: %s", src, err);
	r = expr_uses_socket_metrics(e);
	expr_free(e);
	return r;
}

static void socket_metrics_are_detected_anywhere_in_a_tree(void **state)
{
	(void)state;
	assert_true(uses_sockets("tw_peers > 3"));
	assert_true(uses_sockets("state_established"));
	assert_true(uses_sockets("syn_recv_peers"));
	assert_true(uses_sockets("tw_count > 0 && max(1, -state_time_wait)"));
	assert_true(uses_sockets("!(port_pressure > 0.5)"));
	assert_false(uses_sockets("tw_count > 3"));
	assert_false(uses_sockets("ephemeral_ports * 2"));
	assert_false(uses_sockets("sysctl(\"net.ipv4.tcp_tw_reuse\") == 1"));
	assert_false(uses_sockets("1"));
}

static void sysctl_keys_are_listed_once_in_order(void **state)
{
	struct msgs keys = { 0 };
	struct expr *e;
	char err[256];

	(void)state;
	assert_int_equal(expr_parse("sysctl(\"net.a\") + "
				    "max(sysctl(\"net.b\"), sysctl(\"net.a\")) "
				    "> sysctl(\"net.b\")",
				    0, &e, err, sizeof(err)),
			 0);
	expr_sysctl_keys(e, &keys);
	assert_int_equal(keys.n, 2);
	assert_string_equal(keys.v[0], "net.a");
	assert_string_equal(keys.v[1], "net.b");

	/* keys already in the list are not added again */
	msgs_free(&keys);
	msgs_addf(&keys, "net.b");
	expr_sysctl_keys(e, &keys);
	assert_int_equal(keys.n, 2);
	assert_string_equal(keys.v[0], "net.b");
	assert_string_equal(keys.v[1], "net.a");
	msgs_free(&keys);
	expr_free(e);

	assert_int_equal(expr_parse("tw_count + 1", 0, &e, err, sizeof(err)),
			 0);
	expr_sysctl_keys(e, &keys);
	assert_int_equal(keys.n, 0);
	expr_free(e);
}

static void evaluation_without_a_missing_list(void **state)
{
	(void)state;
	assert_true(isnan(eval_obs("tw_demand + 1 / 0", NULL)));
	assert_true(isnan(eval_obs("1e308 * 10", NULL)));
	assert_true(eval_obs("tw_count", NULL) == 1000);
}

#define T(f) cmocka_unit_test_setup(f, setup_obs)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(multiplication_binds_tighter_than_addition),
		T(arithmetic_is_left_associative),
		T(comparisons_sit_between_sums_and_logic),
		T(logical_and_binds_tighter_than_or),
		T(comparison_chains_are_left_associative),
		T(unary_operators_apply_to_the_next_operand),
		T(parentheses_and_whitespace),
		T(numbers_in_every_notation),
		T(min_and_max_take_two_or_more_arguments),
		T(ceil_and_floor_round_toward_the_named_side),
		T(pow2ceil_rounds_up_to_a_power_of_two),
		T(pow2ceil_keeps_exact_powers_of_two),
		T(pow2ceil_of_one_or_less_is_one),
		T(metrics_read_the_observation),
		T(unknown_metric_names_why_it_is_missing),
		T(the_same_missing_input_is_listed_once),
		T(known_takes_the_default_only_when_unknown),
		T(sysctl_reads_the_observed_value),
		T(sysctl_absent_from_the_kernel_is_unknown),
		T(sysctl_that_is_not_one_integer_is_unknown),
		T(sysctl_that_was_not_read_is_unknown),
		T(current_and_exists_describe_the_rule_sysctl),
		T(current_of_an_absent_sysctl_is_unknown),
		T(current_that_is_not_one_integer_is_unknown),
		T(current_and_exists_need_a_rule_with_a_sysctl),
		T(unknown_propagates_through_arithmetic),
		T(unknown_propagates_through_comparisons),
		T(kleene_or_is_true_when_either_side_is_true),
		T(kleene_or_of_unknown_and_false_is_unknown),
		T(kleene_and_is_false_when_either_side_is_false),
		T(kleene_and_of_unknown_and_true_is_unknown),
		T(kleene_not_of_unknown_is_unknown),
		T(logic_on_known_values_is_boolean),
		T(division_by_zero_is_unknown),
		T(modulo_by_zero_is_unknown),
		T(division_and_modulo_by_non_zero),
		T(overflow_is_unknown),
		T(overflow_inside_an_expression_is_explained),
		T(huge_literal_is_a_parse_error),
		T(parse_error_names_unknown_metric_and_column),
		T(parse_error_names_unknown_function_and_column),
		T(parse_error_for_unbalanced_parentheses),
		T(parse_error_for_truncated_expression),
		T(parse_error_for_stray_tokens),
		T(hex_literal_is_rejected_for_what_it_is),
		T(parse_error_for_wrong_argument_counts),
		T(parse_error_for_bad_sysctl_argument),
		T(nesting_depth_is_bounded),
		T(realistic_nesting_is_accepted),
		T(overlong_expression_is_rejected),
		T(expr_const_knows_plain_numbers),
		T(socket_metrics_are_detected_anywhere_in_a_tree),
		T(sysctl_keys_are_listed_once_in_order),
		T(evaluation_without_a_missing_list),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
