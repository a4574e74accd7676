// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Tests for the bounded-memory counter (sketch.c): exact counts and an
 * exact distinct count while the keys fit the table, and the moment the
 * first key does not; the order of sketch_top and a top of fewer keys than
 * asked; overlong keys cut at SKETCH_KEY_MAX the same way every time; past
 * capacity, the Misra-Gries promise (every heavy key kept, its count at
 * most `error` low, `error` within total / (capacity + 1)), a table that
 * never holds more than `capacity` keys, and a HyperLogLog estimate within
 * 5% for 200,000 and 1,000,000 distinct keys; and a hash that is a pure
 * function of the key and spreads keys over every HyperLogLog register.
 * The streams are deterministic, so the estimates either always pass or
 * always fail: the 5% tolerance is about three standard errors.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sketch.h"

/* Distinct binary keys of 8 bytes; the string keys below never are. */
static void add_u64(struct sketch *s, uint64_t v)
{
	sketch_add(s, &v, sizeof(v));
}

static void add_str(struct sketch *s, const char *k)
{
	sketch_add(s, k, strlen(k));
}

/* The entry holding key, found the slow way, or NULL. */
static const struct sketch_entry *lookup(const struct sketch *s,
					 const void *key, size_t len)
{
	for (size_t i = 0; i < SKETCH_SLOTS; i++) {
		const struct sketch_entry *e = &s->slots[i];

		if (e->len && e->len == len && memcmp(e->key, key, len) == 0)
			return e;
	}
	return NULL;
}

static uint64_t count_of(const struct sketch *s, const char *k)
{
	const struct sketch_entry *e = lookup(s, k, strlen(k));

	return e ? e->count : 0;
}

static void assert_within(double got, double want, double rel)
{
	if (fabs(got - want) > rel * want)
		fail_msg("estimate %.0f is not within %.0f%% of %.0f", got,
			 rel * 100, want);
}

/* --- below capacity: exact -------------------------------------------- */

static void new_sketch_is_empty_and_exact(void **state)
{
	struct sketch s;
	const struct sketch_entry *top[3];

	(void)state;
	assert_int_equal(sketch_init(&s), 0);
	assert_true(s.exact);
	assert_int_equal(s.used, 0);
	assert_int_equal(s.total, 0);
	assert_int_equal(s.error, 0);
	assert_int_equal(s.capacity, SKETCH_SLOTS / 4 * 3);
	assert_true(sketch_distinct(&s) == 0);
	assert_int_equal(sketch_top(&s, top, 3), 0);
	sketch_free(&s);
	assert_null(s.slots);
}

static void counts_are_exact_below_capacity(void **state)
{
	struct sketch s;
	const unsigned n = 5000;

	(void)state;
	assert_int_equal(sketch_init(&s), 0);
	/* key i is added i % 7 + 1 times, interleaved */
	for (unsigned round = 0; round < 7; round++)
		for (unsigned i = 0; i < n; i++)
			if (i % 7 >= round)
				add_u64(&s, i);
	assert_true(s.exact);
	assert_int_equal(s.error, 0);
	assert_int_equal(s.used, n);
	assert_true(sketch_distinct(&s) == n);
	for (uint64_t i = 0; i < n; i++) {
		const struct sketch_entry *e = lookup(&s, &i, sizeof(i));

		assert_non_null(e);
		assert_int_equal(e->count, i % 7 + 1);
		assert_int_equal(e->len, sizeof(i));
	}
	{
		uint64_t absent = n;

		assert_null(lookup(&s, &absent, sizeof(absent)));
	}
	sketch_free(&s);
}

static void total_counts_every_add(void **state)
{
	struct sketch s;

	(void)state;
	assert_int_equal(sketch_init(&s), 0);
	add_str(&s, "a");
	add_str(&s, "a");
	add_str(&s, "b");
	assert_int_equal(s.total, 3);
	assert_int_equal(s.used, 2);
	assert_true(sketch_distinct(&s) == 2);
	sketch_free(&s);
}

static void stays_exact_up_to_capacity_and_not_one_key_more(void **state)
{
	struct sketch s;
	uint64_t i;

	(void)state;
	assert_int_equal(sketch_init(&s), 0);
	for (i = 0; i < s.capacity; i++)
		add_u64(&s, i);
	assert_true(s.exact);
	assert_int_equal(s.used, s.capacity);
	assert_true(sketch_distinct(&s) == (double)s.capacity);
	/* a key already there still counts without forgetting anything */
	add_u64(&s, 0);
	assert_true(s.exact);
	assert_int_equal(lookup(&s, &(uint64_t){ 0 }, 8)->count, 2);

	/* the first new key that does not fit starts the summary */
	add_u64(&s, i);
	assert_false(s.exact);
	assert_int_equal(s.error, 1);
	assert_true(s.used <= s.capacity);
	/* every key seen once dropped to zero; key 0 (seen twice) is left */
	assert_int_equal(s.used, 1);
	assert_int_equal(lookup(&s, &(uint64_t){ 0 }, 8)->count, 1);
	/* the distinct count now comes from the HyperLogLog */
	assert_within(sketch_distinct(&s), (double)s.capacity + 1, 0.05);
	sketch_free(&s);
}

/* --- sketch_top ------------------------------------------------------- */

static void top_lists_the_largest_counts_first(void **state)
{
	static const struct {
		const char *key;
		unsigned n;
	} keys[] = {
		{ "alpha", 5 }, { "bravo", 3 }, { "charlie", 9 },
		{ "delta", 1 }, { "echo", 7 },	{ "foxtrot", 2 },
	};
	const struct sketch_entry *top[3];
	struct sketch s;

	(void)state;
	assert_int_equal(sketch_init(&s), 0);
	/* interleaved, so that no key is complete before another starts */
	for (unsigned round = 0; round < 9; round++)
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (round < keys[i].n)
				add_str(&s, keys[i].key);

	assert_int_equal(sketch_top(&s, top, 3), 3);
	assert_int_equal(top[0]->count, 9);
	assert_memory_equal(top[0]->key, "charlie", 7);
	assert_int_equal(top[0]->len, 7);
	assert_int_equal(top[1]->count, 7);
	assert_memory_equal(top[1]->key, "echo", 4);
	assert_int_equal(top[2]->count, 5);
	assert_memory_equal(top[2]->key, "alpha", 5);

	assert_int_equal(sketch_top(&s, top, 1), 1);
	assert_memory_equal(top[0]->key, "charlie", 7);
	sketch_free(&s);
}

static void top_of_fewer_keys_than_asked_returns_them_all(void **state)
{
	const struct sketch_entry *top[16];
	struct sketch s;

	(void)state;
	assert_int_equal(sketch_init(&s), 0);
	for (int i = 0; i < 2; i++)
		add_str(&s, "10.0.0.1");
	for (int i = 0; i < 4; i++)
		add_str(&s, "10.0.0.2");
	add_str(&s, "10.0.0.3");

	assert_int_equal(sketch_top(&s, top, 16), 3);
	assert_int_equal(top[0]->count, 4);
	assert_memory_equal(top[0]->key, "10.0.0.2", 8);
	assert_int_equal(top[1]->count, 2);
	assert_memory_equal(top[1]->key, "10.0.0.1", 8);
	assert_int_equal(top[2]->count, 1);
	assert_memory_equal(top[2]->key, "10.0.0.3", 8);
	sketch_free(&s);
}

#define TOP_N 20

static void top_is_sorted_over_many_keys(void **state)
{
	const struct sketch_entry *top[TOP_N];
	struct sketch s;
	size_t got;

	(void)state;
	assert_int_equal(sketch_init(&s), 0);
	/* key i seen (i * 37) % 101 + 1 times: counts 1..101, scattered */
	for (uint64_t i = 0; i < 101; i++)
		for (uint64_t j = 0; j < (i * 37) % 101 + 1; j++)
			add_u64(&s, i);
	got = sketch_top(&s, top, TOP_N);
	assert_int_equal(got, TOP_N);
	for (size_t i = 0; i < got; i++)
		assert_int_equal(top[i]->count, 101 - i);
	sketch_free(&s);
}

/* --- long keys -------------------------------------------------------- */

static void keys_longer_than_the_maximum_are_cut_the_same_way(void **state)
{
	char a[SKETCH_KEY_MAX + 20], b[SKETCH_KEY_MAX + 20];
	const struct sketch_entry *top[4];
	struct sketch s;

	(void)state;
	memset(a, 'x', sizeof(a));
	memcpy(b, a, sizeof(b));
	b[SKETCH_KEY_MAX + 5] = 'y'; /* differs only past the cut */
	assert_int_equal(sketch_init(&s), 0);
	sketch_add(&s, a, sizeof(a));
	sketch_add(&s, b, sizeof(b));
	sketch_add(&s, a, SKETCH_KEY_MAX + 1);
	/* exactly the kept prefix is the same key */
	sketch_add(&s, a, SKETCH_KEY_MAX);
	/* one byte shorter is another key */
	sketch_add(&s, a, SKETCH_KEY_MAX - 1);

	assert_int_equal(s.used, 2);
	assert_true(sketch_distinct(&s) == 2);
	assert_int_equal(sketch_top(&s, top, 4), 2);
	assert_int_equal(top[0]->count, 4);
	assert_int_equal(top[0]->len, SKETCH_KEY_MAX);
	assert_memory_equal(top[0]->key, a, SKETCH_KEY_MAX);
	assert_int_equal(top[1]->count, 1);
	assert_int_equal(top[1]->len, SKETCH_KEY_MAX - 1);
	sketch_free(&s);
}

/* --- beyond capacity -------------------------------------------------- */

#define N_HEAVY 5
static const char *const heavy[N_HEAVY] = {
	"heavy-192.0.2.1",    "heavy-192.0.2.2",   "heavy-2001:db8::1",
	"heavy-198.51.100.7", "heavy-203.0.113.9",
};

static void heavy_keys_survive_a_stream_past_capacity(void **state)
{
	const unsigned n_light = 200000, every = 40;
	const struct sketch_entry *top[N_HEAVY];
	uint64_t want[N_HEAVY] = { 0 };
	size_t max_used = 0, got;
	struct sketch s;
	unsigned h = 0;

	(void)state;
	assert_int_equal(sketch_init(&s), 0);
	for (unsigned i = 0; i < n_light; i++) {
		add_u64(&s, i);
		if (i % every == 0) {
			/* heavy key k gets k + 1 shares of the heavy adds */
			const unsigned k = h++ % 15;
			const unsigned which = k < 1	? 0
					       : k < 3	? 1
					       : k < 6	? 2
					       : k < 10 ? 3
							: 4;

			add_str(&s, heavy[which]);
			want[which]++;
		}
		if (s.used > max_used)
			max_used = s.used;
	}

	assert_false(s.exact);
	assert_int_equal(s.total, n_light + h);
	/* memory is fixed: the table never holds more than capacity keys */
	assert_true(max_used <= s.capacity);
	assert_true(s.used <= s.capacity);
	/* Misra-Gries: at most total / (capacity + 1) decrement rounds */
	assert_true(s.error >= 1);
	assert_true(s.error <= s.total / (s.capacity + 1));

	for (int i = 0; i < N_HEAVY; i++) {
		uint64_t c = count_of(&s, heavy[i]);

		/* the premise: each is a heavy hitter */
		assert_true(want[i] > s.total / (s.capacity + 1));
		assert_true(c <= want[i]);
		assert_true(c + s.error >= want[i]);
	}
	/* and they are the top, in the order of their true counts */
	got = sketch_top(&s, top, N_HEAVY);
	assert_int_equal(got, N_HEAVY);
	for (int i = 0; i < N_HEAVY; i++) {
		const char *k = heavy[N_HEAVY - 1 - i];

		assert_int_equal(top[i]->len, strlen(k));
		assert_memory_equal(top[i]->key, k, strlen(k));
	}
	assert_within(sketch_distinct(&s), n_light + N_HEAVY, 0.05);
	sketch_free(&s);
}

static void million_distinct_keys_are_estimated_within_5_percent(void **state)
{
	const unsigned n = 1000000;
	struct sketch s;

	(void)state;
	assert_int_equal(sketch_init(&s), 0);
	for (unsigned i = 0; i < n; i++)
		add_u64(&s, (uint64_t)i * 2654435761u);
	assert_false(s.exact);
	assert_true(s.used <= s.capacity);
	assert_within(sketch_distinct(&s), n, 0.05);
	sketch_free(&s);
}

static void distinct_estimate_ignores_repeats(void **state)
{
	struct sketch s;

	(void)state;
	assert_int_equal(sketch_init(&s), 0);
	/* 50,000 distinct keys, each seen four times */
	for (int r = 0; r < 4; r++)
		for (uint64_t i = 0; i < 50000; i++)
			add_u64(&s, i);
	assert_false(s.exact);
	assert_int_equal(s.total, 200000);
	assert_within(sketch_distinct(&s), 50000, 0.05);
	sketch_free(&s);
}

/* --- hash ------------------------------------------------------------- */

static void hash_is_a_function_of_the_key_bytes_alone(void **state)
{
	char a[] = "192.0.2.1", b[] = "192.0.2.1";

	(void)state;
	assert_true(sketch_hash(a, 9) == sketch_hash(b, 9));
	assert_true(sketch_hash(a, 9) == sketch_hash(a, 9));
	assert_true(sketch_hash("", 0) == sketch_hash(b, 0));
}

static void hash_differs_for_different_keys(void **state)
{
	(void)state;
	assert_true(sketch_hash("192.0.2.1", 9) != sketch_hash("192.0.2.2", 9));
	assert_true(sketch_hash("ab", 2) != sketch_hash("ba", 2));
	/* length is part of the key */
	assert_true(sketch_hash("a\0", 2) != sketch_hash("a", 1));
	assert_true(sketch_hash("a", 1) != sketch_hash("", 0));
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void hash_has_no_collisions_over_sequential_keys(void **state)
{
	const size_t n = 1u << 16;
	uint64_t *h = calloc(n, sizeof(*h));
	bool seen[1u << SKETCH_HLL_BITS] = { false };
	size_t filled = 0;

	(void)state;
	assert_non_null(h);
	for (uint32_t i = 0; i < n; i++) {
		h[i] = sketch_hash(&i, sizeof(i));
		size_t r = (size_t)(h[i] >> (64 - SKETCH_HLL_BITS));

		if (!seen[r]) {
			seen[r] = true;
			filled++;
		}
	}
	qsort(h, n, sizeof(*h), cmp_u64);
	for (size_t i = 1; i < n; i++)
		assert_true(h[i] != h[i - 1]);
	/* the top bits pick the HyperLogLog register: all of them get used */
	assert_int_equal(filled, 1u << SKETCH_HLL_BITS);
	free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(new_sketch_is_empty_and_exact),
		cmocka_unit_test(counts_are_exact_below_capacity),
		cmocka_unit_test(total_counts_every_add),
		cmocka_unit_test(
			stays_exact_up_to_capacity_and_not_one_key_more),
		cmocka_unit_test(top_lists_the_largest_counts_first),
		cmocka_unit_test(top_of_fewer_keys_than_asked_returns_them_all),
		cmocka_unit_test(top_is_sorted_over_many_keys),
		cmocka_unit_test(
			keys_longer_than_the_maximum_are_cut_the_same_way),
		cmocka_unit_test(heavy_keys_survive_a_stream_past_capacity),
		cmocka_unit_test(
			million_distinct_keys_are_estimated_within_5_percent),
		cmocka_unit_test(distinct_estimate_ignores_repeats),
		cmocka_unit_test(hash_is_a_function_of_the_key_bytes_alone),
		cmocka_unit_test(hash_differs_for_different_keys),
		cmocka_unit_test(hash_has_no_collisions_over_sequential_keys),
	};

	return cmocka_run_group_tests_name("sketch", tests, NULL, NULL);
}
