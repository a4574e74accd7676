// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for state.c: the state file survives a save and load
 * unchanged, broken or missing files are reported as such, the baseline
 * for a run is the newest sample at least 60 s old (else the oldest) and
 * never one from another boot, network namespace, limit or the future,
 * and the sample history stays small while keeping the one old sample a
 * delta needs.  Files go to a throwaway directory under $TMPDIR.
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
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "observe.h"
#include "state.h"
#include "testutil.h"

#define BOOT "0b5e6c0e-1d2a-4c3b-9f1e-2a3b4c5d6e7f"
#define OTHER_BOOT "ffffffff-1d2a-4c3b-9f1e-2a3b4c5d6e7f"
#define NETNS 4026531840ULL

/* ---- helpers ------------------------------------------------------------ */

static struct baseline sample(double time, const char *boot,
			      unsigned long long netns, double tw_max,
			      double overflows)
{
	struct baseline b = {
		.valid = true,
		.source = "state",
		.time = time,
		.netns = netns,
		.tw_max = tw_max,
		.c = { overflows, 10, 20 },
	};

	snprintf(b.boot_id, sizeof(b.boot_id), "%s", boot);
	return b;
}

static void observation(struct observation *o, double time, double tw_max,
			double overflows)
{
	memset(o, 0, sizeof(*o));
	for (int i = 0; i < METRIC_COUNT; i++)
		o->m[i] = NAN;
	o->time = time;
	o->window = NAN;
	o->netns = NETNS;
	o->m[M_TW_MAX] = tw_max;
	o->c.tw_overflows = overflows;
	o->c.syncookies_sent = 10;
	o->c.listen_overflows = 20;
	snprintf(o->boot_id, sizeof(o->boot_id), "%s", BOOT);
}

static void add_at(struct state *s, double time, double tw_max)
{
	struct observation o;
	struct baseline b;

	observation(&o, time, tw_max, 100);
	observe_to_baseline(&o, &b, "state");
	state_add_sample(s, &b);
}

static void assert_times(const struct state *s, const double *want, size_t n)
{
	if (s->n_samples != n)
		fail_msg("%zu samples, want %zu", s->n_samples, n);
	for (size_t i = 0; i < n; i++)
		if (s->samples[i].time != want[i])
			fail_msg("sample %zu at %g, want %g", i,
				 s->samples[i].time, want[i]);
}

/* ---- save and load ------------------------------------------------------ */

static void save_then_load_keeps_samples_and_written_values(void **state)
{
	struct testdir *t = *state;
	char path[PATH_MAX + 64], err[512] = "";
	struct state out = { 0 }, in;
	struct stat st;

	snprintf(path, sizeof(path), "%s/lib/twtune/state.json", t->path);
	out.samples[0] = sample(1700000000.25, BOOT, NETNS, 4096, 12);
	out.samples[1] =
		sample(1700000061.5, BOOT, NETNS, -1, 18446744073709551615.0);
	out.samples[1].c.syncookies_sent = NAN;
	out.samples[1].c.active_opens = 123456;
	out.samples[1].c.passive_opens = 789;
	out.samples[2] = sample(1700000099.125, OTHER_BOOT, 42, 0, 0);
	out.n_samples = 3;
	state_set_written(&out, "net.ipv4.tcp_max_tw_buckets", 262144);
	state_set_written(&out, "net.ipv4.tcp_tw_reuse", 1);
	state_set_written(&out, "net.ipv4.tcp_fin_timeout", -5);
	/* setting a key again replaces its value */
	state_set_written(&out, "net.ipv4.tcp_tw_reuse", 2);
	assert_int_equal(out.n_written, 3);

	assert_int_equal(state_save(path, &out, err, sizeof(err)), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);

	assert_int_equal(state_load(path, &in, err, sizeof(err)), 0);
	assert_int_equal(in.n_samples, 3);
	for (size_t i = 0; i < 3; i++) {
		const struct baseline *a = &out.samples[i], *b = &in.samples[i];

		assert_true(b->valid);
		assert_string_equal(b->source, "state");
		assert_num(b->time, a->time);
		assert_string_equal(b->boot_id, a->boot_id);
		assert_true(b->netns == a->netns);
		assert_num(b->tw_max, a->tw_max);
		assert_num(b->c.tw_overflows, a->c.tw_overflows);
		assert_num(b->c.syncookies_sent, a->c.syncookies_sent);
		assert_num(b->c.listen_overflows, a->c.listen_overflows);
		assert_num(b->c.active_opens, a->c.active_opens);
		assert_num(b->c.passive_opens, a->c.passive_opens);
	}
	assert_int_equal(in.n_written, 3);
	assert_int_equal(
		state_get_written(&in, "net.ipv4.tcp_max_tw_buckets")->value,
		262144);
	assert_int_equal(state_get_written(&in, "net.ipv4.tcp_tw_reuse")->value,
			 2);
	assert_int_equal(
		state_get_written(&in, "net.ipv4.tcp_fin_timeout")->value, -5);
	assert_null(state_get_written(&in, "net.ipv4.tcp_syncookies"));
	state_free(&in);

	/* saving again replaces the file */
	out.n_samples = 1;
	assert_int_equal(state_save(path, &out, err, sizeof(err)), 0);
	assert_int_equal(state_load(path, &in, err, sizeof(err)), 0);
	assert_int_equal(in.n_samples, 1);
	state_free(&in);
	state_free(&out);
}

static void load_of_a_missing_file_is_enoent(void **state)
{
	struct testdir *t = *state;
	char path[PATH_MAX + 64], err[512] = "";
	struct state s;

	snprintf(path, sizeof(path), "%s/none.json", t->path);
	assert_int_equal(state_load(path, &s, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "none.json"));
	assert_int_equal(s.n_samples, 0);
	assert_int_equal(s.n_written, 0);
	state_free(&s);
}

static void load_of_a_malformed_file_is_einval(void **state)
{
	static const char *const bad[] = {
		"{\"version\": 2, \"samples\": [",
		"not json at all",
		"",
		"[1, 2, 3]",
		"{\"version\": 1, \"samples\": []}",
		"{\"samples\": []}",
		"{\"version\": \"2\"}",
	};
	struct testdir *t = *state;
	char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/state.json", t->path);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char err[512] = "";
		struct state s;

		testdir_put(AT_FDCWD, path, bad[i]);
		if (state_load(path, &s, err, sizeof(err)) != -EINVAL)
			fail_msg("\"%s\" was not rejected", bad[i]);
		if (!strstr(err, path))
			fail_msg("\"%s\": error \"%s\" does not name the file",
				 bad[i], err);
		assert_int_equal(s.n_samples, 0);
		state_free(&s);
	}
}

static void load_skips_samples_without_a_time(void **state)
{
	struct testdir *t = *state;
	char path[PATH_MAX + 64], err[512] = "";
	struct state s;

	snprintf(path, sizeof(path), "%s/state.json", t->path);
	testdir_put(AT_FDCWD, path,
		    "{\"version\": 2, \"samples\": ["
		    "{\"time\": 100.5, \"boot_id\": \"" BOOT "\", "
		    "\"netns\": 7, \"tw_max\": 4096, \"tw_overflows\": 3},"
		    "{\"boot_id\": \"" BOOT "\", \"tw_max\": 4096, "
		    "\"tw_overflows\": 3},"
		    "{\"time\": 200, \"tw_max\": 4096, \"tw_overflows\": null},"
		    "{\"time\": 300, \"tw_overflows\": 3}"
		    "], \"written\": {\"net.ipv4.tcp_tw_reuse\": 1, "
		    "\"net.ipv4.tcp_fin_timeout\": \"30\"}}");
	assert_int_equal(state_load(path, &s, err, sizeof(err)), 0);
	/* without a time a sample is nothing; without tw_overflows or
	 * tw_max it is a kernel's that lacks them (before 2.6.38, a child
	 * namespace before 4.11): kept, those values unknown */
	assert_int_equal(s.n_samples, 3);
	assert_num(s.samples[0].time, 100.5);
	assert_true(s.samples[0].netns == 7);
	/* absent optional counters are unknown, not zero */
	assert_num(s.samples[0].c.syncookies_sent, NAN);
	/* a state file from before the churn counters */
	assert_num(s.samples[0].c.active_opens, NAN);
	assert_num(s.samples[0].c.passive_opens, NAN);
	assert_num(s.samples[1].c.tw_overflows, NAN);
	assert_num(s.samples[2].tw_max, NAN);
	assert_int_equal(s.n_written, 1);
	assert_int_equal(state_get_written(&s, "net.ipv4.tcp_tw_reuse")->value,
			 1);
	state_free(&s);
}

/* ---- state_pick_baseline ------------------------------------------------ */

static void pick_takes_the_newest_sample_at_least_60s_old(void **state)
{
	struct state s = { 0 };
	struct observation o;
	struct baseline b;

	(void)state;
	observation(&o, 1000, 4096, 100);
	s.samples[s.n_samples++] = sample(800, BOOT, NETNS, 4096, 10);
	s.samples[s.n_samples++] = sample(900, BOOT, NETNS, 4096, 20);
	s.samples[s.n_samples++] = sample(940, BOOT, NETNS, 4096, 30);
	s.samples[s.n_samples++] = sample(950, BOOT, NETNS, 4096, 40);
	s.samples[s.n_samples++] = sample(990, BOOT, NETNS, 4096, 50);
	assert_true(state_pick_baseline(&s, &o, &b));
	assert_num(b.time, 940);
	assert_num(b.c.tw_overflows, 30);
	assert_true(b.valid);
	assert_string_equal(b.source, "state");
}

static void pick_takes_the_oldest_when_none_is_60s_old(void **state)
{
	struct state s = { 0 };
	struct observation o;
	struct baseline b;

	(void)state;
	observation(&o, 1000, 4096, 100);
	s.samples[s.n_samples++] = sample(950, BOOT, NETNS, 4096, 40);
	s.samples[s.n_samples++] = sample(970, BOOT, NETNS, 4096, 45);
	s.samples[s.n_samples++] = sample(990, BOOT, NETNS, 4096, 50);
	assert_true(state_pick_baseline(&s, &o, &b));
	assert_num(b.time, 950);
}

static void pick_ignores_samples_that_cannot_be_a_baseline(void **state)
{
	struct state s = { 0 };
	struct observation o;
	struct baseline b;

	(void)state;
	observation(&o, 1000, 4096, 100);
	s.samples[s.n_samples++] = sample(800, BOOT, NETNS, 4096, 10);
	/* each of these would otherwise be the pick */
	s.samples[s.n_samples++] = sample(900, BOOT, NETNS, 8192, 20);
	s.samples[s.n_samples++] = sample(910, OTHER_BOOT, NETNS, 4096, 20);
	s.samples[s.n_samples++] = sample(920, BOOT, NETNS + 1, 4096, 20);
	s.samples[s.n_samples++] = sample(930, BOOT, NETNS, 4096, 200);
	assert_true(state_pick_baseline(&s, &o, &b));
	assert_num(b.time, 800);

	/* none usable: no baseline at all */
	s.n_samples = 0;
	s.samples[s.n_samples++] = sample(900, BOOT, NETNS, 8192, 20);
	s.samples[s.n_samples++] = sample(910, OTHER_BOOT, NETNS, 4096, 20);
	s.samples[s.n_samples++] = sample(920, BOOT, NETNS + 1, 4096, 20);
	s.samples[s.n_samples++] = sample(930, BOOT, NETNS, 4096, 200);
	s.samples[s.n_samples++] = sample(1000, BOOT, NETNS, 4096, 20);
	s.samples[s.n_samples++] = sample(1010, BOOT, NETNS, 4096, 20);
	assert_false(state_pick_baseline(&s, &o, &b));
}

static void pick_of_an_empty_state_finds_nothing(void **state)
{
	struct state s = { 0 };
	struct observation o;
	struct baseline b;

	(void)state;
	observation(&o, 1000, 4096, 100);
	assert_false(state_pick_baseline(&s, &o, &b));
}

/* ---- state_add_sample --------------------------------------------------- */

static void add_sample_stores_the_sample_as_a_state_sample(void **state)
{
	struct state s = { 0 };
	struct observation o;
	struct baseline b;

	(void)state;
	observation(&o, 1000, 4096, 77);
	observe_to_baseline(&o, &b, "sample");
	/* this run raised the limit: the sample belongs to the new one */
	b.tw_max = 8192;
	state_add_sample(&s, &b);
	assert_int_equal(s.n_samples, 1);
	assert_string_equal(s.samples[0].source, "state");
	assert_num(s.samples[0].tw_max, 8192);
	assert_num(s.samples[0].time, 1000);
	assert_num(s.samples[0].c.tw_overflows, 77);
	assert_string_equal(s.samples[0].boot_id, BOOT);
	assert_true(s.samples[0].netns == NETNS);
	assert_true(s.samples[0].valid);
}

static void add_sample_keeps_at_most_the_maximum(void **state)
{
	struct state s = { 0 };
	double want[STATE_SAMPLES_MAX];

	(void)state;
	for (int t = 0; t < 40; t++) {
		add_at(&s, t, 4096);
		assert_true(s.n_samples <= STATE_SAMPLES_MAX);
	}
	/* the oldest stays as the anchor, then the newest ones */
	want[0] = 0;
	for (int i = 1; i < STATE_SAMPLES_MAX; i++)
		want[i] = 40 - STATE_SAMPLES_MAX + i;
	assert_times(&s, want, STATE_SAMPLES_MAX);
}

static void add_sample_keeps_one_anchor_older_than_60s(void **state)
{
	static const double want[] = { 40, 50, 60, 70, 80, 90, 100 };
	struct state s = { 0 };
	struct observation o;
	struct baseline b;

	(void)state;
	for (int t = 0; t <= 100; t += 10)
		add_at(&s, t, 4096);
	assert_times(&s, want, ARRAY_SIZE(want));
	/* and that anchor is what the next run uses */
	observation(&o, 105, 4096, 100);
	assert_true(state_pick_baseline(&s, &o, &b));
	assert_num(b.time, 40);
}

static void add_sample_drops_samples_under_another_limit(void **state)
{
	static const double want[] = { 30 };
	struct state s = { 0 };

	(void)state;
	add_at(&s, 0, 4096);
	add_at(&s, 10, 4096);
	add_at(&s, 20, 4096);
	add_at(&s, 30, 8192);
	assert_times(&s, want, ARRAY_SIZE(want));
	assert_num(s.samples[0].tw_max, 8192);
}

static void add_sample_drops_other_boots_netns_and_the_future(void **state)
{
	static const double want[] = { 10, 50 };
	struct state s = { 0 };

	(void)state;
	s.samples[s.n_samples++] = sample(0, OTHER_BOOT, NETNS, 4096, 1);
	s.samples[s.n_samples++] = sample(10, BOOT, NETNS, 4096, 1);
	s.samples[s.n_samples++] = sample(20, BOOT, 1, 4096, 1);
	s.samples[s.n_samples++] = sample(60, BOOT, NETNS, 4096, 1);
	add_at(&s, 50, 4096);
	assert_times(&s, want, ARRAY_SIZE(want));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			save_then_load_keeps_samples_and_written_values,
			testdir_setup, testdir_teardown),
		cmocka_unit_test_setup_teardown(
			load_of_a_missing_file_is_enoent, testdir_setup,
			testdir_teardown),
		cmocka_unit_test_setup_teardown(
			load_of_a_malformed_file_is_einval, testdir_setup,
			testdir_teardown),
		cmocka_unit_test_setup_teardown(
			load_skips_samples_without_a_time,
			testdir_setup, testdir_teardown),
		cmocka_unit_test(pick_takes_the_newest_sample_at_least_60s_old),
		cmocka_unit_test(pick_takes_the_oldest_when_none_is_60s_old),
		cmocka_unit_test(
			pick_ignores_samples_that_cannot_be_a_baseline),
		cmocka_unit_test(pick_of_an_empty_state_finds_nothing),
		cmocka_unit_test(
			add_sample_stores_the_sample_as_a_state_sample),
		cmocka_unit_test(add_sample_keeps_at_most_the_maximum),
		cmocka_unit_test(add_sample_keeps_one_anchor_older_than_60s),
		cmocka_unit_test(add_sample_drops_samples_under_another_limit),
		cmocka_unit_test(
			add_sample_drops_other_boots_netns_and_the_future),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
