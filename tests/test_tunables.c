// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Tests for the tunables table (tunables.c): the ranges the kernel
 * accepts for the keys twtune manages, and what the rest of twtune reads
 * from the table (which keys are always shown, "negative means
 * unlimited", tcp_tw_recycle only ever set to 0).
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <string.h>

#include "tunables.h"

static void key_range_knows_the_tw_keys(void **state)
{
	long long lo = 0, hi = 0;

	(void)state;
	assert_true(tunable_range("net.ipv4.tcp_tw_reuse", &lo, &hi));
	assert_int_equal(lo, 0);
	assert_int_equal(hi, 2);
	assert_true(tunable_range("net.ipv4.tcp_tw_reuse_delay", &lo, &hi));
	assert_int_equal(lo, 1);
	assert_int_equal(hi, 60000);
	assert_true(tunable_range("net.ipv4.tcp_max_tw_buckets", &lo, &hi));
	assert_true(lo == INT_MIN);
	assert_true(hi == INT_MAX);
	assert_true(tunable_range("net.ipv4.tcp_tw_recycle", &lo, &hi));
	assert_int_equal(lo, 0);
	assert_int_equal(hi, 1);
}

static void key_range_of_an_unknown_key_is_int(void **state)
{
	long long lo = 0, hi = 0;

	(void)state;
	assert_false(tunable_range("net.core.somaxconn", &lo, &hi));
	assert_true(lo == INT_MIN);
	assert_true(hi == INT_MAX);
}

static void only_the_bucket_limit_reads_negative_as_unlimited(void **state)
{
	(void)state;
	assert_true(tunable_negative_unlimited("net.ipv4.tcp_max_tw_buckets"));
	assert_false(tunable_negative_unlimited("net.ipv4.tcp_tw_reuse"));
	assert_false(tunable_negative_unlimited("net.core.somaxconn"));
}

static void recycle_is_zero_only_and_gone_since_4_12(void **state)
{
	const struct tunable *t = tunable_find("net.ipv4.tcp_tw_recycle");

	(void)state;
	assert_non_null(t);
	assert_true(t->flags & TUN_ZERO_ONLY);
	assert_int_equal(t->until, KVER(4, 12));
}

/* The report's sysctls section: the bucket limit first, all readable. */
static void shown_keys_start_with_the_bucket_limit(void **state)
{
	size_t shown = 0;

	(void)state;
	assert_string_equal(tunables[0].key, "net.ipv4.tcp_max_tw_buckets");
	for (size_t i = 0; i < n_tunables; i++) {
		shown += !!(tunables[i].flags & TUN_SHOWN);
		assert_true(strncmp(tunables[i].key, "net.", 4) == 0);
		assert_true(tunables[i].lo <= tunables[i].hi);
		assert_non_null(tunables[i].means);
	}
	assert_int_equal(shown, 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(key_range_knows_the_tw_keys),
		cmocka_unit_test(key_range_of_an_unknown_key_is_int),
		cmocka_unit_test(
			only_the_bucket_limit_reads_negative_as_unlimited),
		cmocka_unit_test(recycle_is_zero_only_and_gone_since_4_12),
		cmocka_unit_test(shown_keys_start_with_the_bucket_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
