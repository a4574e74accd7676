// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Tests for the planner (plan.c).  plan_build() is pure, so it is driven
 * by a table: each row is a small policy (loaded through policy_load from
 * a temporary file, exactly as twtune loads one), an observation built by
 * hand, and every outcome it must produce: changes, per-key decisions,
 * notes, undecided rules with what was missing, advice and overridden
 * rules.  Each row checks every list's length, so a rule that does
 * something extra fails as surely as one that does too little.  The
 * shipped bucket-headroom policy is then run through the scenarios it
 * exists for.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "observe.h"
#include "plan.h"
#include "policy.h"
#include "testutil.h"
#include "util.h"

#define TWB "net.ipv4.tcp_max_tw_buckets"
#define REUSE "net.ipv4.tcp_tw_reuse"
#define DELAY "net.ipv4.tcp_tw_reuse_delay"
#define TS "net.ipv4.tcp_timestamps"

/* One sysctl rule; extra holds further "field = ...;" text. */
#define SRULE(id, key, when, value, extra)                                     \
	"{ id = \"" id "\"; sysctl = \"" key "\"; when = \"" when              \
	"\"; value = \"" value "\"; " extra " }"
#define RULES(r) "rules = ( " r " );\n"

/* A sysctl as the kernel shows it; raw NULL means the kernel lacks it. */
struct sc {
	const char *key;
	const char *raw;
};

/* A metric value, or unknown with a reason when why is set. */
struct mv {
	const char *name;
	double v;
	const char *why;
};

struct want_change {
	const char *key;
	double from;
	long long to;
	const char *rule;
	const char *reason; /* exact text; NULL: not checked */
	bool no_persist;
};

struct want_pair {
	const char *lost;
	const char *by;
};

struct plan_case {
	const char *name;
	const char *policy;
	struct sc sysctls[3];
	struct mv metrics[4];
	const char *release; /* the kernel's, "" for a current one */

	size_t n_changes;
	struct want_change changes[2];
	size_t n_keys;
	const char *key_rule; /* keys[0] */
	bool key_change;
	long long key_to;
	size_t n_notes;
	const char *note_rule;
	enum severity note_sev;
	const char *note_text; /* exact; NULL: not checked */
	size_t n_undecided;
	const char *undecided_rule;
	const char *missing; /* one of the missing lines, exact */
	size_t n_advice;
	const char *advice_rule;
	enum severity advice_sev;
	const char *advice_text; /* exact */
	size_t n_overridden;
	struct want_pair overridden[2];
};

static const struct plan_case cases[] = {
	/* direction against the live value (100) */
	{
		.name = "raise_plans_a_higher_value",
		.policy = RULES(
			SRULE("r", TWB, "1", "200", "direction = \"raise\";")),
		.sysctls = { { TWB, "100" } },
		.n_changes = 1,
		.changes = { { TWB, 100, 200, "r", "rule r", false } },
		.n_keys = 1,
		.key_rule = "r",
		.key_change = true,
		.key_to = 200,
	},
	{
		.name = "raise_never_lowers",
		.policy = RULES(
			SRULE("r", TWB, "1", "50", "direction = \"raise\";")),
		.sysctls = { { TWB, "100" } },
		.n_keys = 1,
		.key_rule = "r",
		.key_change = false,
		.key_to = 50,
	},
	{
		.name = "raise_to_the_live_value_changes_nothing",
		.policy = RULES(
			SRULE("r", TWB, "1", "100", "direction = \"raise\";")),
		.sysctls = { { TWB, "100" } },
		.n_keys = 1,
		.key_rule = "r",
		.key_change = false,
		.key_to = 100,
	},
	{
		.name = "lower_plans_a_lower_value",
		.policy = RULES(
			SRULE("r", TWB, "1", "50", "direction = \"lower\";")),
		.sysctls = { { TWB, "100" } },
		.n_changes = 1,
		.changes = { { TWB, 100, 50, "r", NULL, false } },
		.n_keys = 1,
		.key_rule = "r",
		.key_change = true,
		.key_to = 50,
	},
	{
		.name = "lower_never_raises",
		.policy = RULES(
			SRULE("r", TWB, "1", "200", "direction = \"lower\";")),
		.sysctls = { { TWB, "100" } },
		.n_keys = 1,
		.key_rule = "r",
		.key_change = false,
		.key_to = 200,
	},
	{
		.name = "lower_to_the_live_value_changes_nothing",
		.policy = RULES(
			SRULE("r", TWB, "1", "100", "direction = \"lower\";")),
		.sysctls = { { TWB, "100" } },
		.n_keys = 1,
		.key_rule = "r",
		.key_change = false,
		.key_to = 100,
	},
	{
		.name = "any_plans_a_higher_value",
		.policy = RULES(
			SRULE("r", TWB, "1", "200", "direction = \"any\";")),
		.sysctls = { { TWB, "100" } },
		.n_changes = 1,
		.changes = { { TWB, 100, 200, "r", NULL, false } },
		.n_keys = 1,
		.key_rule = "r",
		.key_change = true,
		.key_to = 200,
	},
	{
		.name = "any_plans_a_lower_value",
		.policy = RULES(
			SRULE("r", TWB, "1", "50", "direction = \"any\";")),
		.sysctls = { { TWB, "100" } },
		.n_changes = 1,
		.changes = { { TWB, 100, 50, "r", NULL, false } },
		.n_keys = 1,
		.key_rule = "r",
		.key_change = true,
		.key_to = 50,
	},
	{
		.name = "any_to_the_live_value_changes_nothing",
		.policy = RULES(
			SRULE("r", TWB, "1", "100", "direction = \"any\";")),
		.sysctls = { { TWB, "100" } },
		.n_keys = 1,
		.key_rule = "r",
		.key_change = false,
		.key_to = 100,
	},
	{
		.name = "direction_defaults_to_raise",
		.policy = RULES(SRULE("r", TWB, "1", "50", "")),
		.sysctls = { { TWB, "100" } },
		.n_keys = 1,
		.key_rule = "r",
		.key_change = false,
		.key_to = 50,
	},
	/* rounding */
	{
		.name = "value_1_5_rounds_to_2",
		.policy = RULES(SRULE("r", REUSE, "1", "1.5", "")),
		.sysctls = { { REUSE, "0" } },
		.n_changes = 1,
		.changes = { { REUSE, 0, 2, "r", NULL, false } },
		.n_keys = 1,
		.key_rule = "r",
		.key_change = true,
		.key_to = 2,
	},
	{
		.name = "value_2_4_rounds_to_2",
		.policy = RULES(SRULE("r", REUSE, "1", "2.4", "")),
		.sysctls = { { REUSE, "0" } },
		.n_changes = 1,
		.changes = { { REUSE, 0, 2, "r", NULL, false } },
		.n_keys = 1,
		.key_rule = "r",
		.key_change = true,
		.key_to = 2,
	},
	{
		.name = "value_rounding_to_the_live_value_changes_nothing",
		.policy = RULES(
			SRULE("r", TWB, "1", "100.4", "direction = \"any\";")),
		.sysctls = { { TWB, "100" } },
		.n_keys = 1,
		.key_rule = "r",
		.key_change = false,
		.key_to = 100,
	},
	/* min and max */
	{
		.name = "value_below_min_is_raised_to_min",
		.policy = RULES(SRULE("r", TWB, "1", "150", "min = 500;")),
		.sysctls = { { TWB, "100" } },
		.n_changes = 1,
		.changes = { { TWB, 100, 500, "r", NULL, false } },
		.n_keys = 1,
		.key_rule = "r",
		.key_change = true,
		.key_to = 500,
	},
	{
		.name = "value_above_max_is_cut_to_max",
		.policy = RULES(SRULE("r", TWB, "1", "5000", "max = 1000;")),
		.sysctls = { { TWB, "100" } },
		.n_changes = 1,
		.changes = { { TWB, 100, 1000, "r", NULL, false } },
		.n_keys = 1,
		.key_rule = "r",
		.key_change = true,
		.key_to = 1000,
	},
	{
		.name = "fractional_min_clamps_up_to_an_integer_inside_it",
		.policy =
			RULES(SRULE("r", TWB, "1", "150", "min = \"250.2\";")),
		.sysctls = { { TWB, "100" } },
		.n_changes = 1,
		.changes = { { TWB, 100, 251, "r", NULL, false } },
		.n_keys = 1,
		.key_rule = "r",
		.key_change = true,
		.key_to = 251,
	},
	{
		.name = "fractional_max_clamps_down_to_an_integer_inside_it",
		.policy =
			RULES(SRULE("r", TWB, "1", "5000", "max = \"999.9\";")),
		.sysctls = { { TWB, "100" } },
		.n_changes = 1,
		.changes = { { TWB, 100, 999, "r", NULL, false } },
		.n_keys = 1,
		.key_rule = "r",
		.key_change = true,
		.key_to = 999,
	},
	{
		.name = "value_inside_min_and_max_is_kept",
		.policy = RULES(
			SRULE("r", TWB, "1", "300", "min = 200; max = 400;")),
		.sysctls = { { TWB, "100" } },
		.n_changes = 1,
		.changes = { { TWB, 100, 300, "r", NULL, false } },
		.n_keys = 1,
		.key_rule = "r",
		.key_change = true,
		.key_to = 300,
	},
	{
		.name = "min_and_max_expressions_use_metrics",
		.policy = RULES(SRULE("r", TWB, "1", "50",
				      "min = \"tw_count * 2\"; "
				      "max = \"tw_count * 4\";")),
		.sysctls = { { TWB, "100" } },
		.metrics = { { "tw_count", 300 } },
		.n_changes = 1,
		.changes = { { TWB, 100, 600, "r", NULL, false } },
		.n_keys = 1,
		.key_rule = "r",
		.key_change = true,
		.key_to = 600,
	},
	{
		.name = "min_above_max_is_a_note_and_no_change",
		.policy = RULES(
			SRULE("r", TWB, "1", "450", "min = 500; max = 400;")),
		.sysctls = { { TWB, "100" } },
		.n_notes = 1,
		.note_rule = "r",
		.note_sev = SEV_WARNING,
		.note_text = "min (500) is above max (400); " TWB " left alone",
	},
	{
		/* min <= max, but no integer lies between them */
		.name = "bounds_without_an_integer_between_are_a_note",
		.policy = RULES(SRULE("r", TWB, "1", "50",
				      "min = \"10.2\"; max = \"10.8\";")),
		.sysctls = { { TWB, "5" } },
		.n_notes = 1,
		.note_rule = "r",
		.note_sev = SEV_WARNING,
	},
	/* unknowns */
	{
		.name = "unknown_when_is_undecided_naming_the_metric",
		.policy = RULES(SRULE("r", TWB, "tw_ratio >= 0.8", "200", "")),
		.sysctls = { { TWB, "100" } },
		.n_undecided = 1,
		.undecided_rule = "r",
		.missing = "tw_ratio: not observed",
	},
	{
		.name = "unknown_when_gives_the_reason_it_is_unknown",
		.policy = RULES(
			SRULE("r", TWB, "tw_overflow_delta > 0", "200", "")),
		.sysctls = { { TWB, "100" } },
		.metrics = { { "tw_overflow_delta", 0, "no baseline" } },
		.n_undecided = 1,
		.undecided_rule = "r",
		.missing = "tw_overflow_delta: no baseline",
	},
	{
		.name = "unknown_or_true_fires",
		.policy = RULES(SRULE("r", TWB,
				      "tw_overflow_delta > 0 || tw_count > 10",
				      "200", "")),
		.sysctls = { { TWB, "100" } },
		.metrics = { { "tw_overflow_delta", 0, "no baseline" },
			     { "tw_count", 300 } },
		.n_changes = 1,
		.changes = { { TWB, 100, 200, "r", NULL, false } },
		.n_keys = 1,
		.key_rule = "r",
		.key_change = true,
		.key_to = 200,
	},
	{
		.name = "unknown_and_false_is_false_not_undecided",
		.policy = RULES(SRULE(
			"r", TWB, "tw_overflow_delta > 0 && tw_count > 1000",
			"200", "")),
		.sysctls = { { TWB, "100" } },
		.metrics = { { "tw_overflow_delta", 0, "no baseline" },
			     { "tw_count", 300 } },
	},
	{
		.name = "unknown_current_in_when_is_undecided",
		.policy = RULES(SRULE("r", TWB, "current > 10", "200", "")),
		.sysctls = { { TWB, "100\t200" } },
		.n_undecided = 1,
		.undecided_rule = "r",
		.missing = "current: " TWB " is not a single integer",
	},
	{
		.name = "unread_sysctl_in_when_is_undecided",
		.policy = RULES(SRULE("r", REUSE, "sysctl(\\\"" TS "\\\") == 1",
				      "1", "")),
		.sysctls = { { REUSE, "0" } },
		.n_undecided = 1,
		.undecided_rule = "r",
		.missing = "sysctl(\"" TS "\"): was not read",
	},
	{
		.name = "sysctl_in_when_reads_the_observed_value",
		.policy = RULES(SRULE("r", REUSE, "sysctl(\\\"" TS "\\\") == 1",
				      "1", "")),
		.sysctls = { { REUSE, "0" }, { TS, "1" } },
		.n_changes = 1,
		.changes = { { REUSE, 0, 1, "r", NULL, false } },
		.n_keys = 1,
		.key_rule = "r",
		.key_change = true,
		.key_to = 1,
	},
	{
		.name = "unknown_value_is_undecided",
		.policy = RULES(SRULE("r", TWB, "1", "tw_demand * 2", "")),
		.sysctls = { { TWB, "100" } },
		.metrics = { { "tw_demand", 0, "no baseline" } },
		.n_undecided = 1,
		.undecided_rule = "r",
		.missing = "tw_demand: no baseline",
	},
	{
		.name = "value_dividing_by_zero_is_undecided",
		.policy =
			RULES(SRULE("r", TWB, "1", "tw_count / tw_peers", "")),
		.sysctls = { { TWB, "100" } },
		.metrics = { { "tw_count", 300 }, { "tw_peers", 0 } },
		.n_undecided = 1,
		.undecided_rule = "r",
		.missing = "division by zero",
	},
	{
		.name = "unknown_min_is_undecided",
		.policy = RULES(
			SRULE("r", TWB, "1", "200", "min = \"tw_demand\";")),
		.sysctls = { { TWB, "100" } },
		.n_undecided = 1,
		.undecided_rule = "r",
		.missing = "tw_demand: not observed",
	},
	{
		.name = "unknown_max_is_undecided",
		.policy = RULES(SRULE("r", TWB, "1", "200",
				      "max = \"mem_total / tw_sock_size\";")),
		.sysctls = { { TWB, "100" } },
		.metrics = { { "tw_sock_size", 256 } },
		.n_undecided = 1,
		.undecided_rule = "r",
		.missing = "mem_total: not observed",
	},
	/* rules that do not fire */
	{
		.name = "false_when_does_nothing",
		.policy = RULES(SRULE("r", TWB, "tw_count > 1000", "200", "")),
		.sysctls = { { TWB, "100" } },
		.metrics = { { "tw_count", 300 } },
	},
	{
		.name = "disabled_rule_is_ignored",
		.policy =
			RULES(SRULE("r", TWB, "1", "200", "enabled = false;")),
		.sysctls = { { TWB, "100" } },
	},
	{
		.name = "exists_false_skips_a_missing_sysctl_quietly",
		.policy = RULES(SRULE("r", DELAY, "exists", "1000", "")),
		.sysctls = { { DELAY, NULL } },
	},
	/* the kernel cannot take it */
	{
		.name = "sysctl_missing_on_the_kernel_is_a_note",
		.policy = RULES(SRULE("r", DELAY, "1", "1000", "")),
		.sysctls = { { DELAY, NULL } },
		.n_notes = 1,
		.note_rule = "r",
		.note_sev = SEV_INFO,
		.note_text = DELAY " is not present on this kernel; "
				   "nothing to change",
	},
	{
		.name = "sysctl_never_read_is_a_note",
		.policy = RULES(SRULE("r", DELAY, "1", "1000", "")),
		.sysctls = { { TWB, "100" } },
		.n_notes = 1,
		.note_rule = "r",
		.note_sev = SEV_INFO,
		.note_text = DELAY " is not present on this kernel; "
				   "nothing to change",
	},
	{
		.name = "current_not_one_integer_is_a_note",
		.policy = RULES(SRULE("r", TWB, "1", "200", "")),
		.sysctls = { { TWB, "100\t200" } },
		.n_notes = 1,
		.note_rule = "r",
		.note_sev = SEV_WARNING,
		.note_text = TWB " does not hold a single integer; twtune "
				 "cannot manage it",
	},
	{
		.name = "tw_reuse_3_is_outside_the_kernel_range",
		.policy = RULES(
			SRULE("r", REUSE, "1", "3", "direction = \"any\";")),
		.sysctls = { { REUSE, "1" } },
		.n_notes = 1,
		.note_rule = "r",
		.note_sev = SEV_WARNING,
		.note_text = "planned value 3 for " REUSE " is outside the "
			     "kernel's range 0..2; not applied",
	},
	{
		.name = "tw_reuse_delay_0_is_outside_the_kernel_range",
		.policy = RULES(
			SRULE("r", DELAY, "1", "0", "direction = \"any\";")),
		.sysctls = { { DELAY, "1000" } },
		.n_notes = 1,
		.note_rule = "r",
		.note_sev = SEV_WARNING,
		.note_text = "planned value 0 for " DELAY " is outside the "
			     "kernel's range 1..60000; not applied",
	},
	{
		.name = "tw_reuse_delay_70000_is_outside_the_kernel_range",
		.policy = RULES(SRULE("r", DELAY, "1", "70000",
				      "direction = \"any\";")),
		.sysctls = { { DELAY, "1000" } },
		.n_notes = 1,
		.note_rule = "r",
		.note_sev = SEV_WARNING,
		.note_text = "planned value 70000 for " DELAY " is outside "
			     "the kernel's range 1..60000; not applied",
	},
	{
		.name = "tw_reuse_delay_60000_is_inside_the_kernel_range",
		.policy = RULES(SRULE("r", DELAY, "1", "60000", "")),
		.sysctls = { { DELAY, "1000" } },
		.n_changes = 1,
		.changes = { { DELAY, 1000, 60000, "r", NULL, false } },
		.n_keys = 1,
		.key_rule = "r",
		.key_change = true,
		.key_to = 60000,
	},
	{
		.name = "tw_buckets_above_int_max_is_outside_the_kernel_range",
		.policy = RULES(SRULE("r", TWB, "1", "2147483648", "")),
		.sysctls = { { TWB, "100" } },
		.n_notes = 1,
		.note_rule = "r",
		.note_sev = SEV_WARNING,
		.note_text = "planned value 2147483648 for " TWB " is outside "
			     "the kernel's range -2147483648..2147483647; "
			     "not applied",
	},
	{
		.name = "tw_buckets_int_max_is_inside_the_kernel_range",
		.policy = RULES(SRULE("r", TWB, "1", "2147483647", "")),
		.sysctls = { { TWB, "100" } },
		.n_changes = 1,
		.changes = { { TWB, 100, INT_MAX, "r", NULL, false } },
		.n_keys = 1,
		.key_rule = "r",
		.key_change = true,
		.key_to = INT_MAX,
	},
	{
		.name = "negative_tw_buckets_is_unlimited_and_not_raised",
		.policy = RULES(
			SRULE("r", TWB, "1", "max(current * 2, 262144)", "")),
		.sysctls = { { TWB, "-1" } },
		.n_keys = 1,
		.key_rule = "r",
		.key_change = false,
		.key_to = 262144,
		.n_notes = 1,
		.note_rule = "r",
		.note_sev = SEV_INFO,
		.note_text = TWB " is -1 (negative: unlimited); raising it to "
				 "262144 would lower the limit, so it is left "
				 "alone",
	},
	/* before 5.18 the same -1 admits no TIME_WAIT at all: raised */
	{
		.name = "negative_tw_buckets_before_5_18_is_raised",
		.policy = RULES(
			SRULE("r", TWB, "1", "max(current * 2, 262144)", "")),
		.sysctls = { { TWB, "-1" } },
		.release = "5.10.0-33-amd64",
		.n_changes = 1,
		.changes = { { TWB, -1, 262144, "r", "rule r", false } },
		.n_keys = 1,
		.key_rule = "r",
		.key_change = true,
		.key_to = 262144,
	},
	/* a child namespace before 4.11: the limit is the host's */
	{
		.name = "tw_buckets_absent_before_4_11_is_the_hosts",
		.policy = RULES(SRULE("r", TWB, "1", "1000", "")),
		.sysctls = { { TWB, NULL } },
		.release = "4.4.0-210-generic",
		.n_notes = 1,
		.note_rule = "r",
		.note_sev = SEV_WARNING,
		.note_text = TWB " is not in this network namespace: before "
				 "Linux 4.11 it is the whole host's, set from "
				 "the initial namespace; nothing to change here "
				 "(run twtune there)",
	},
	/* several rules on one key */
	{
		.name = "last_fired_rule_wins_and_overrides_the_earlier",
		.policy = RULES(SRULE("a", TWB, "1", "200",
				      "") "," SRULE("b", TWB, "1", "300", "")),
		.sysctls = { { TWB, "100" } },
		.n_changes = 1,
		.changes = { { TWB, 100, 300, "b", "rule b", false } },
		.n_keys = 1,
		.key_rule = "b",
		.key_change = true,
		.key_to = 300,
		.n_overridden = 1,
		.overridden = { { "a", "b" } },
	},
	{
		.name = "last_fired_rule_wins_even_when_it_changes_nothing",
		.policy = RULES(SRULE("a", TWB, "1", "200",
				      "") "," SRULE("b", TWB, "1", "50", "")),
		.sysctls = { { TWB, "100" } },
		.n_keys = 1,
		.key_rule = "b",
		.key_change = false,
		.key_to = 50,
		.n_overridden = 1,
		.overridden = { { "a", "b" } },
	},
	{
		.name = "later_rule_that_does_not_fire_overrides_nothing",
		.policy = RULES(SRULE("a", TWB, "1", "200",
				      "") "," SRULE("b", TWB, "0", "300", "")),
		.sysctls = { { TWB, "100" } },
		.n_changes = 1,
		.changes = { { TWB, 100, 200, "a", NULL, false } },
		.n_keys = 1,
		.key_rule = "a",
		.key_change = true,
		.key_to = 200,
	},
	{
		.name = "disabled_later_rule_overrides_nothing",
		.policy = RULES(SRULE("a", TWB, "1", "200", "") "," SRULE(
			"b", TWB, "1", "300", "enabled = false;")),
		.sysctls = { { TWB, "100" } },
		.n_changes = 1,
		.changes = { { TWB, 100, 200, "a", NULL, false } },
		.n_keys = 1,
		.key_rule = "a",
		.key_change = true,
		.key_to = 200,
	},
	{
		.name = "three_fired_rules_list_both_losers_in_order",
		.policy = RULES(SRULE("a", TWB, "1", "200", "") "," SRULE(
			"b", TWB, "1", "300", "") "," SRULE("c", TWB, "1",
							    "400", "")),
		.sysctls = { { TWB, "100" } },
		.n_changes = 1,
		.changes = { { TWB, 100, 400, "c", NULL, false } },
		.n_keys = 1,
		.key_rule = "c",
		.key_change = true,
		.key_to = 400,
		.n_overridden = 2,
		.overridden = { { "a", "b" }, { "b", "c" } },
	},
	{
		.name = "rules_on_different_keys_are_both_planned",
		.policy = RULES(SRULE("a", TWB, "1", "200", "") "," SRULE(
			"b", REUSE, "1", "1", "persist = false;")),
		.sysctls = { { TWB, "100" }, { REUSE, "0" } },
		.n_changes = 2,
		.changes = { { TWB, 100, 200, "a", NULL, false },
			     { REUSE, 0, 1, "b", NULL, true } },
		.n_keys = 2,
		.key_rule = "a",
		.key_change = true,
		.key_to = 200,
	},
	/* advice */
	{
		.name = "advice_rule_gives_its_rendered_text",
		.policy = RULES("{ id = \"myth\"; when = \"tw_count > 0\"; "
				"severity = \"info\"; advice = \"{tw_count} "
				"in TIME_WAIT; tcp_fin_timeout does not "
				"shorten it\"; }"),
		.metrics = { { "tw_count", 300 } },
		.n_advice = 1,
		.advice_rule = "myth",
		.advice_sev = SEV_INFO,
		.advice_text = "300 in TIME_WAIT; tcp_fin_timeout does not "
			       "shorten it",
	},
	{
		.name = "advice_severity_defaults_to_warning",
		.policy = RULES("{ id = \"adv\"; when = \"1\"; "
				"advice = \"ratio {tw_ratio}\"; }"),
		.metrics = { { "tw_ratio", 0.75 } },
		.n_advice = 1,
		.advice_rule = "adv",
		.advice_sev = SEV_WARNING,
		.advice_text = "ratio 0.75",
	},
	{
		.name = "advice_shows_an_unknown_metric_as_unknown",
		.policy = RULES("{ id = \"adv\"; when = \"1\"; "
				"advice = \"demand {tw_demand}\"; }"),
		.n_advice = 1,
		.advice_rule = "adv",
		.advice_sev = SEV_WARNING,
		.advice_text = "demand unknown",
	},
	{
		.name = "advice_that_does_not_fire_says_nothing",
		.policy = RULES("{ id = \"adv\"; when = \"tw_count > 1000\"; "
				"advice = \"busy\"; }"),
		.metrics = { { "tw_count", 300 } },
	},
	{
		.name = "advice_with_unknown_when_is_undecided",
		.policy = RULES("{ id = \"adv\"; when = \"tw_peers > 10\"; "
				"advice = \"busy\"; }"),
		.n_undecided = 1,
		.undecided_rule = "adv",
		.missing = "tw_peers: not observed",
	},
	/* reasons */
	{
		.name = "reason_renders_metrics_current_and_value",
		.policy = RULES(SRULE("r", TWB, "1", "200",
				      "reason = \"{tw_count} sockets in "
				      "{current} buckets; {value} planned\";")),
		.sysctls = { { TWB, "100" } },
		.metrics = { { "tw_count", 300 } },
		.n_changes = 1,
		.changes = { { TWB, 100, 200, "r",
			       "300 sockets in 100 buckets; 200 planned",
			       false } },
		.n_keys = 1,
		.key_rule = "r",
		.key_change = true,
		.key_to = 200,
	},
	{
		.name = "reason_value_is_the_clamped_rounded_value",
		.policy = RULES(SRULE("r", TWB, "1", "5000.7",
				      "max = \"999.5\"; "
				      "reason = \"{current} -> {value}\";")),
		.sysctls = { { TWB, "100" } },
		.n_changes = 1,
		.changes = { { TWB, 100, 999, "r", "100 -> 999", false } },
		.n_keys = 1,
		.key_rule = "r",
		.key_change = true,
		.key_to = 999,
	},
};

/* --- helpers ----------------------------------------------------------- */

static void load_policy_text(const char *text, struct policy *p)
{
	struct testdir dir;
	char *path;
	int ret;

	assert_int_equal(testdir_make(&dir), 0);
	testdir_put(dir.fd, "p.conf", text);
	path = xasprintf("%s/p.conf", dir.path);
	ret = testutil_load_policy(path, p);
	assert_int_equal(unlinkat(dir.fd, "p.conf", 0), 0);
	assert_int_equal(testdir_remove(&dir), 0);
	free(path);
	assert_int_equal(ret, 0);
}

static void obs_init(struct observation *o)
{
	memset(o, 0, sizeof(*o));
	for (int i = 0; i < METRIC_COUNT; i++)
		o->m[i] = NAN;
	o->window = NAN;
	o->baseline_source = "none";
	/* a current kernel: it counts overflows, negative is unlimited */
	o->kernel.counter = true;
	o->kernel.per_netns = 1;
	o->kernel.neg_unlimited = 1;
	o->tw_max_unlimited = false;
	/* a socket dump that saw no outgoing connection: no port trade */
	o->m[M_PORT_DEMAND] = 0;
}

static void obs_set(struct observation *o, const char *name, double v,
		    const char *why)
{
	int m = metric_lookup(name);

	assert_true(m >= 0);
	o->m[m] = why ? NAN : v;
	o->why[m] = why;
}

static bool has_line(const struct msgs *m, const char *line)
{
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->v[i], line) == 0)
			return true;
	return false;
}

static void print_missing(const struct msgs *m)
{
	for (size_t i = 0; i < m->n; i++)
		print_error("missing[%zu]: %s\n", i, m->v[i]);
}

/* What the planner did, for a failing row. */
static void dump_plan(const struct plan *pl)
{
	for (size_t i = 0; i < pl->n_changes; i++)
		print_error("change: %s %lld -> %lld (rule %s)\n",
			    pl->changes[i].key, pl->changes[i].from,
			    pl->changes[i].to, pl->changes[i].rule->id);
	for (size_t i = 0; i < pl->n_notes; i++)
		print_error("note: %s: %s\n", pl->notes[i].rule->id,
			    pl->notes[i].text);
	for (size_t i = 0; i < pl->n_undecided; i++) {
		print_error("undecided: %s\n", pl->undecided[i].rule->id);
		print_missing(&pl->undecided[i].missing);
	}
	for (size_t i = 0; i < pl->n_advice; i++)
		print_error("advice: %s: %s\n", pl->advice[i].rule->id,
			    pl->advice[i].text);
	for (size_t i = 0; i < pl->n_overridden; i++)
		print_error("overridden: %s by %s\n",
			    pl->overridden[i].rule->id,
			    pl->overridden[i].by->id);
}

static void check_plan(const struct plan_case *c, const struct plan *pl)
{
	if (pl->n_changes != c->n_changes || pl->n_notes != c->n_notes ||
	    pl->n_undecided != c->n_undecided || pl->n_advice != c->n_advice ||
	    pl->n_overridden != c->n_overridden || pl->n_keys != c->n_keys)
		dump_plan(pl);
	assert_int_equal(pl->n_changes, c->n_changes);
	for (size_t i = 0; i < c->n_changes; i++) {
		const struct want_change *w = &c->changes[i];
		const struct plan_change *g = &pl->changes[i];

		assert_string_equal(g->key, w->key);
		assert_true(g->from == w->from);
		assert_int_equal(g->to, w->to);
		assert_string_equal(g->rule->id, w->rule);
		assert_int_equal(g->persist, !w->no_persist);
		if (w->reason)
			assert_string_equal(g->reason, w->reason);
		assert_ptr_equal(plan_find(pl, w->key), g);
	}

	assert_int_equal(pl->n_keys, c->n_keys);
	if (c->n_keys) {
		assert_string_equal(pl->keys[0].rule->id, c->key_rule);
		assert_int_equal(pl->keys[0].change, c->key_change);
		assert_int_equal(pl->keys[0].to, c->key_to);
		if (!c->key_change)
			assert_null(plan_find(pl, pl->keys[0].key));
	}

	assert_int_equal(pl->n_notes, c->n_notes);
	if (c->n_notes) {
		assert_string_equal(pl->notes[0].rule->id, c->note_rule);
		assert_int_equal(pl->notes[0].severity, c->note_sev);
		if (c->note_text)
			assert_string_equal(pl->notes[0].text, c->note_text);
	}

	assert_int_equal(pl->n_undecided, c->n_undecided);
	if (c->n_undecided) {
		assert_string_equal(pl->undecided[0].rule->id,
				    c->undecided_rule);
		if (!has_line(&pl->undecided[0].missing, c->missing)) {
			print_missing(&pl->undecided[0].missing);
			fail_msg("no missing line \"%s\"", c->missing);
		}
	}

	assert_int_equal(pl->n_advice, c->n_advice);
	if (c->n_advice) {
		assert_string_equal(pl->advice[0].rule->id, c->advice_rule);
		assert_int_equal(pl->advice[0].severity, c->advice_sev);
		assert_string_equal(pl->advice[0].text, c->advice_text);
	}

	assert_int_equal(pl->n_overridden, c->n_overridden);
	for (size_t i = 0; i < c->n_overridden; i++) {
		assert_string_equal(pl->overridden[i].rule->id,
				    c->overridden[i].lost);
		assert_string_equal(pl->overridden[i].by->id,
				    c->overridden[i].by);
		assert_string_equal(pl->overridden[i].key,
				    pl->overridden[i].by->key);
	}
}

/* A row's policy, observation and plan: freed even when a check fails. */
struct case_ctx {
	const struct plan_case *c;
	struct policy p;
	struct observation o;
	struct plan pl;
};

static int case_setup(void **state)
{
	struct case_ctx *x = xcalloc(1, sizeof(*x));

	x->c = *state;
	*state = x;
	return 0;
}

static int case_teardown(void **state)
{
	struct case_ctx *x = *state;

	plan_free(&x->pl);
	observe_free(&x->o);
	policy_free(&x->p);
	free(x);
	return 0;
}

static void run_case(void **state)
{
	struct case_ctx *x = *state;
	const struct plan_case *c = x->c;

	obs_init(&x->o);
	load_policy_text(c->policy, &x->p);
	for (size_t i = 0; i < ARRAY_SIZE(c->sysctls) && c->sysctls[i].key; i++)
		observe_set_sysctl(&x->o, c->sysctls[i].key, c->sysctls[i].raw);
	if (c->release) {
		snprintf(x->o.kernel.release, sizeof(x->o.kernel.release),
			 "%s", c->release);
		kernel_model(&x->o);
	}
	/* as observe_derive() has it */
	{
		const struct sysctl_obs *t = observe_sysctl(&x->o, TWB);

		x->o.tw_max_unlimited = t && t->is_int && t->ival < 0 &&
					x->o.kernel.neg_unlimited != 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(c->metrics) && c->metrics[i].name;
	     i++)
		obs_set(&x->o, c->metrics[i].name, c->metrics[i].v,
			c->metrics[i].why);

	assert_int_equal(plan_build(&x->p, &x->o, &x->pl), 0);
	check_plan(c, &x->pl);
}

/* --- the shipped bucket-headroom policy -------------------------------- */

struct shipped {
	struct policy p;
	struct observation o;
	struct plan pl;
};

static int shipped_setup(void **state)
{
	struct shipped *s = xcalloc(1, sizeof(*s));
	char *path = testutil_src_path("policies/10-tw-buckets.conf");
	int ret = testutil_load_policy(path, &s->p);

	free(path);
	if (ret < 0) {
		free(s);
		return -1;
	}
	obs_init(&s->o);
	*state = s;
	return 0;
}

static int shipped_teardown(void **state)
{
	struct shipped *s = *state;

	plan_free(&s->pl);
	observe_free(&s->o);
	policy_free(&s->p);
	free(s);
	return 0;
}

/*
 * An observation of a table with tw_max buckets holding tw_count, and,
 * when window > 0, a baseline window seconds old with delta fewer
 * overflows; derived metrics come from observe_derive().
 */
static void shipped_observe(struct shipped *s, double tw_count,
			    long long tw_max, double delta, double window,
			    double mem_total)
{
	struct baseline b = { 0 };
	char raw[32];

	snprintf(raw, sizeof(raw), "%lld", tw_max);
	observe_set_sysctl(&s->o, TWB, raw);
	s->o.m[M_TW_COUNT] = tw_count;
	s->o.m[M_TW_MAX] = (double)tw_max;
	s->o.m[M_MEM_TOTAL] = mem_total;
	s->o.m[M_TW_SOCK_SIZE] = 256;
	s->o.time = 100000;
	s->o.c.tw_overflows = 5000 + delta;
	if (window > 0) {
		b.valid = true;
		b.source = "sample";
		b.time = s->o.time - window;
		b.tw_max = (double)tw_max;
		b.c.tw_overflows = 5000;
	}
	observe_derive(&s->o, window > 0 ? &b : NULL);
	assert_int_equal(plan_build(&s->p, &s->o, &s->pl), 0);
}

static void shipped_expect_change(const struct shipped *s, double from,
				  long long to)
{
	assert_int_equal(s->pl.n_undecided, 0);
	assert_int_equal(s->pl.n_notes, 0);
	assert_int_equal(s->pl.n_changes, 1);
	assert_string_equal(s->pl.changes[0].key, TWB);
	assert_string_equal(s->pl.changes[0].rule->id, "tw-buckets-headroom");
	assert_true(s->pl.changes[0].from == from);
	assert_int_equal(s->pl.changes[0].to, to);
	assert_true(s->pl.changes[0].persist);
}

static void shipped_policy_has_the_headroom_rule(void **state)
{
	struct shipped *s = *state;

	/* the headroom rule, its variant for kernels that only log, and
	 * OpenVZ's container advice */
	assert_int_equal(s->p.n_rules, 3);
	assert_string_equal(s->p.rules[0].id, "tw-buckets-headroom");
	assert_string_equal(s->p.rules[0].key, TWB);
	assert_int_equal(s->p.rules[0].direction, DIR_RAISE);
	assert_string_equal(s->p.rules[1].id, "tw-buckets-saturated");
	assert_string_equal(s->p.rules[1].key, TWB);
	assert_int_equal(s->p.rules[1].direction, DIR_RAISE);
	assert_string_equal(s->p.rules[2].id, "tw-buckets-container");
	assert_int_equal(s->p.rules[2].kind, RULE_ADVICE);
}

/*
 * The seed: 64 buckets, 436 overflows in 10 s, a steady 43.6/s: demand
 * 64 + 43.6 * 60 = 2680 in steady state (the burst alone would be 500),
 * twice that rounded up to a power of two: 8192, in one step.
 */
static void shipped_seed_overflow_plans_8192(void **state)
{
	struct shipped *s = *state;

	shipped_observe(s, 64, 64, 436, 10, 8.0 * 1024 * 1024 * 1024);
	assert_true(s->o.m[M_TW_DEMAND] == 2680);
	assert_true(s->o.m[M_TW_DEMAND_BURST] == 500);
	shipped_expect_change(s, 64, 8192);
	assert_string_equal(s->pl.changes[0].reason,
			    "64 TIME_WAIT sockets in 64 buckets, 436 "
			    "overflows since the baseline, estimated demand "
			    "2680: raise to 8192 (twice the demand and at "
			    "least double, at most 1% of RAM and 4 per ehash "
			    "bucket)");
}

static void shipped_long_window_counts_60_seconds_of_overflows(void **state)
{
	struct shipped *s = *state;

	/* 64 + 2000 * 60 / 120 = 1064 -> pow2ceil(2128) = 4096 */
	shipped_observe(s, 64, 64, 2000, 120, 8.0 * 1024 * 1024 * 1024);
	assert_true(s->o.m[M_TW_DEMAND] == 1064);
	shipped_expect_change(s, 64, 4096);
}

/* 1% of RAM: mem_total / 256 / 100 buckets, here 600.5 -> 600. */
static void shipped_memory_cap_bounds_the_value(void **state)
{
	struct shipped *s = *state;

	shipped_observe(s, 64, 64, 436, 10, 600.5 * 256 * 100);
	shipped_expect_change(s, 64, 600);
}

static void shipped_memory_cap_below_current_never_lowers(void **state)
{
	struct shipped *s = *state;

	shipped_observe(s, 4096, 4096, 100, 10, 2000.0 * 256 * 100);
	assert_int_equal(s->pl.n_changes, 0);
	assert_int_equal(s->pl.n_undecided, 0);
	assert_int_equal(s->pl.n_keys, 1);
	assert_false(s->pl.keys[0].change);
	assert_int_equal(s->pl.keys[0].to, 2000);
}

static void shipped_int_max_caps_a_huge_table(void **state)
{
	struct shipped *s = *state;

	/* doubling 2^30 gives 2^31, one past INT_MAX */
	shipped_observe(s, 1073741824.0, 1073741824LL, 0, 10,
			1024.0 * 1024 * 1024 * 1024 * 1024);
	shipped_expect_change(s, 1073741824.0, INT_MAX);
}

/*
 * A full table, no baseline, the counter not at zero: the demand is
 * unknown, but max(current * 2, ...) is at least current * 2, and a
 * raise-only rule plans that, marked as a lower bound.
 */
static void shipped_full_table_without_baseline_plans_at_least_double(
	void **state)
{
	struct shipped *s = *state;

	shipped_observe(s, 64, 64, 0, 0, 8.0 * 1024 * 1024 * 1024);
	shipped_expect_change(s, 64, 128);
	assert_non_null(s->pl.changes[0].at_least);
	assert_int_equal(strncmp(s->pl.changes[0].at_least, "tw_demand: ", 11),
			 0);
}

/* Without a baseline a table that is not full has demand = tw_count. */
static void shipped_busy_table_without_baseline_uses_tw_count(void **state)
{
	struct shipped *s = *state;

	/* ratio 0.87: demand 870 -> pow2ceil(1740) = 2048 > 2 * 1000 */
	shipped_observe(s, 870, 1000, 0, 0, 8.0 * 1024 * 1024 * 1024);
	shipped_expect_change(s, 1000, 2048);
}

static void shipped_quiet_table_changes_nothing(void **state)
{
	struct shipped *s = *state;

	shipped_observe(s, 10, 1000, 0, 10, 8.0 * 1024 * 1024 * 1024);
	assert_int_equal(s->pl.n_changes, 0);
	assert_int_equal(s->pl.n_undecided, 0);
	assert_int_equal(s->pl.n_notes, 0);
	assert_int_equal(s->pl.n_keys, 0);
}

static void shipped_unlimited_table_is_left_alone(void **state)
{
	struct shipped *s = *state;

	shipped_observe(s, 5000, -1, 10, 10, 8.0 * 1024 * 1024 * 1024);
	assert_int_equal(s->pl.n_changes, 0);
	assert_int_equal(s->pl.n_notes, 1);
	assert_int_equal(s->pl.notes[0].severity, SEV_INFO);
	assert_non_null(strstr(s->pl.notes[0].text, "unlimited"));
}

/* --- plumbing ---------------------------------------------------------- */

static void empty_policy_gives_an_empty_plan(void **state)
{
	struct observation o;
	struct policy p;
	struct plan pl;

	(void)state;
	load_policy_text("rules = ();\n", &p);
	obs_init(&o);
	assert_int_equal(plan_build(&p, &o, &pl), 0);
	assert_int_equal(pl.n_changes + pl.n_notes + pl.n_undecided +
				 pl.n_advice + pl.n_overridden + pl.n_keys,
			 0);
	assert_null(plan_find(&pl, TWB));
	plan_free(&pl);
	assert_null(pl.changes);
	policy_free(&p);
}

int main(void)
{
	struct CMUnitTest table[ARRAY_SIZE(cases)];
	const struct CMUnitTest others[] = {
		cmocka_unit_test(empty_policy_gives_an_empty_plan),
#define SHIPPED(f)                                                             \
	cmocka_unit_test_setup_teardown(f, shipped_setup, shipped_teardown)
		SHIPPED(shipped_policy_has_the_headroom_rule),
		SHIPPED(shipped_seed_overflow_plans_8192),
		SHIPPED(shipped_long_window_counts_60_seconds_of_overflows),
		SHIPPED(shipped_memory_cap_bounds_the_value),
		SHIPPED(shipped_memory_cap_below_current_never_lowers),
		SHIPPED(shipped_int_max_caps_a_huge_table),
		SHIPPED(shipped_full_table_without_baseline_plans_at_least_double),
		SHIPPED(shipped_busy_table_without_baseline_uses_tw_count),
		SHIPPED(shipped_quiet_table_changes_nothing),
		SHIPPED(shipped_unlimited_table_is_left_alone),
#undef SHIPPED
	};
	int failed;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		memset(&table[i], 0, sizeof(table[i]));
		table[i].name = cases[i].name;
		table[i].test_func = run_case;
		table[i].setup_func = case_setup;
		table[i].teardown_func = case_teardown;
		table[i].initial_state = (void *)&cases[i];
	}
	failed = _cmocka_run_group_tests("plan_table", table, ARRAY_SIZE(table),
					 NULL, NULL);
	failed += cmocka_run_group_tests_name("plan", others, NULL, NULL);
	return failed ? 1 : 0;
}
