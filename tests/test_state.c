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

#include "bounds.h"
#include "observe.h"
#include "state.h"
#include "sysctl.h"
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
	{
		struct baseline b[3] = {
			sample(1700000000.25, BOOT, NETNS, 4096, 12),
			sample(1700000061.5, BOOT, NETNS, -1,
			       18446744073709551615.0),
			sample(1700000099.125, OTHER_BOOT, 42, 0, 0),
		};

		b[1].c.syncookies_sent = NAN;
		b[1].c.active_opens = 123456;
		b[1].c.passive_opens = 789;
		for (size_t i = 0; i < 3; i++)
			state_push_sample(&out, &b[i]);
	}
	state_set_written(&out, NETNS, 0, "net.ipv4.tcp_max_tw_buckets", 262144);
	state_set_written(&out, NETNS, 0, "net.ipv4.tcp_tw_reuse", 1);
	state_set_written(&out, NETNS, 0, "net.ipv4.tcp_fin_timeout", -5);
	/* setting a key again replaces its value */
	state_set_written(&out, NETNS, 0, "net.ipv4.tcp_tw_reuse", 2);
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
		state_get_written(&in, NETNS, 0, "net.ipv4.tcp_max_tw_buckets")->value,
		262144);
	assert_int_equal(state_get_written(&in, NETNS, 0, "net.ipv4.tcp_tw_reuse")->value,
			 2);
	assert_int_equal(
		state_get_written(&in, NETNS, 0, "net.ipv4.tcp_fin_timeout")->value, -5);
	assert_null(state_get_written(&in, NETNS, 0, "net.ipv4.tcp_syncookies"));
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
	assert_int_equal(state_get_written(&s, 0, 0, "net.ipv4.tcp_tw_reuse")->value,
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
	{ struct baseline x_ = sample(800, BOOT, NETNS, 4096, 10); state_push_sample(&s, &x_); }
	{ struct baseline x_ = sample(900, BOOT, NETNS, 4096, 20); state_push_sample(&s, &x_); }
	{ struct baseline x_ = sample(940, BOOT, NETNS, 4096, 30); state_push_sample(&s, &x_); }
	{ struct baseline x_ = sample(950, BOOT, NETNS, 4096, 40); state_push_sample(&s, &x_); }
	{ struct baseline x_ = sample(990, BOOT, NETNS, 4096, 50); state_push_sample(&s, &x_); }
	assert_true(state_pick_baseline(&s, &o, &b));
	assert_num(b.time, 940);
	assert_num(b.c.tw_overflows, 30);
	assert_true(b.valid);
	assert_string_equal(b.source, "state");
	state_free(&s);
}

static void pick_takes_the_oldest_when_none_is_60s_old(void **state)
{
	struct state s = { 0 };
	struct observation o;
	struct baseline b;

	(void)state;
	observation(&o, 1000, 4096, 100);
	{ struct baseline x_ = sample(950, BOOT, NETNS, 4096, 40); state_push_sample(&s, &x_); }
	{ struct baseline x_ = sample(970, BOOT, NETNS, 4096, 45); state_push_sample(&s, &x_); }
	{ struct baseline x_ = sample(990, BOOT, NETNS, 4096, 50); state_push_sample(&s, &x_); }
	assert_true(state_pick_baseline(&s, &o, &b));
	assert_num(b.time, 950);
	state_free(&s);
}

static void pick_ignores_samples_that_cannot_be_a_baseline(void **state)
{
	struct state s = { 0 };
	struct observation o;
	struct baseline b;

	(void)state;
	observation(&o, 1000, 4096, 100);
	{ struct baseline x_ = sample(800, BOOT, NETNS, 4096, 10); state_push_sample(&s, &x_); }
	/* each of these would otherwise be the pick */
	{ struct baseline x_ = sample(900, BOOT, NETNS, 8192, 20); state_push_sample(&s, &x_); }
	{ struct baseline x_ = sample(910, OTHER_BOOT, NETNS, 4096, 20); state_push_sample(&s, &x_); }
	{ struct baseline x_ = sample(920, BOOT, NETNS + 1, 4096, 20); state_push_sample(&s, &x_); }
	{ struct baseline x_ = sample(930, BOOT, NETNS, 4096, 200); state_push_sample(&s, &x_); }
	assert_true(state_pick_baseline(&s, &o, &b));
	assert_num(b.time, 800);

	/* none usable: no baseline at all */
	s.n_samples = 0;
	{ struct baseline x_ = sample(900, BOOT, NETNS, 8192, 20); state_push_sample(&s, &x_); }
	{ struct baseline x_ = sample(910, OTHER_BOOT, NETNS, 4096, 20); state_push_sample(&s, &x_); }
	{ struct baseline x_ = sample(920, BOOT, NETNS + 1, 4096, 20); state_push_sample(&s, &x_); }
	{ struct baseline x_ = sample(930, BOOT, NETNS, 4096, 200); state_push_sample(&s, &x_); }
	{ struct baseline x_ = sample(1000, BOOT, NETNS, 4096, 20); state_push_sample(&s, &x_); }
	{ struct baseline x_ = sample(1010, BOOT, NETNS, 4096, 20); state_push_sample(&s, &x_); }
	assert_false(state_pick_baseline(&s, &o, &b));
	state_free(&s);
}

static void pick_of_an_empty_state_finds_nothing(void **state)
{
	struct state s = { 0 };
	struct observation o;
	struct baseline b;

	(void)state;
	observation(&o, 1000, 4096, 100);
	assert_false(state_pick_baseline(&s, &o, &b));
	state_free(&s);
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
	state_free(&s);
}

static void add_sample_keeps_at_most_the_maximum(void **state)
{
	struct state s = { 0 };
	double want[STATE_SAMPLES_PER_NETNS];

	(void)state;
	for (int t = 0; t < 40; t++) {
		add_at(&s, t, 4096);
		assert_true(s.n_samples <= STATE_SAMPLES_PER_NETNS);
	}
	/* the oldest stays as the anchor, then the newest ones */
	want[0] = 0;
	for (int i = 1; i < STATE_SAMPLES_PER_NETNS; i++)
		want[i] = 40 - STATE_SAMPLES_PER_NETNS + i;
	assert_times(&s, want, STATE_SAMPLES_PER_NETNS);
	state_free(&s);
}

/* Many namespaces: each keeps its own, the whole stays bounded. */
static void add_sample_bounds_all_namespaces_together(void **state)
{
	struct state s = { 0 };

	(void)state;
	for (unsigned long long ns = 1; ns <= 600; ns++)
		for (int t = 0; t < 10; t++) {
			struct baseline b = sample(t * 10, BOOT, ns, 4096, t);

			state_add_sample(&s, &b);
		}
	assert_int_equal(s.n_samples, STATE_SAMPLES_MAX);
	/* the newest namespace has all of its own */
	{
		size_t n = 0;

		for (size_t i = 0; i < s.n_samples; i++)
			n += s.samples[i].netns == 600;
		assert_int_equal(n, 7); /* 30..90 s: 30 is its 60 s anchor */
	}
	state_free(&s);
}

/* What twtune wrote, per namespace: no cross-talk; gone ones forgotten. */
static void written_values_are_per_namespace(void **state)
{
	struct state s = { 0 };
	const unsigned long long keep[] = { 7 };
	struct baseline b = sample(5, BOOT, 8, 4096, 1);

	(void)state;
	state_set_written(&s, 7, 0, "net.ipv4.tcp_max_tw_buckets", 4096);
	state_set_written(&s, 8, 0, "net.ipv4.tcp_max_tw_buckets", 8192);
	assert_int_equal(
		state_get_written(&s, 7, 0, "net.ipv4.tcp_max_tw_buckets")->value,
		4096);
	assert_int_equal(
		state_get_written(&s, 8, 0, "net.ipv4.tcp_max_tw_buckets")->value,
		8192);
	assert_null(state_get_written(&s, 9, 0, "net.ipv4.tcp_max_tw_buckets"));
	state_add_sample(&s, &b);
	state_keep_netns(&s, keep, 1);
	assert_int_equal(s.n_written, 1);
	assert_int_equal(s.n_samples, 0);
	assert_null(state_get_written(&s, 8, 0, "net.ipv4.tcp_max_tw_buckets"));
	state_free(&s);
}

/* An older state file's values had no namespace: the reader's. */
static void legacy_written_values_are_adopted(void **state)
{
	struct testdir *t = *state;
	char path[PATH_MAX + 64], err[512] = "";
	struct state s;

	snprintf(path, sizeof(path), "%s/state.json", t->path);
	testdir_put(AT_FDCWD, path,
		    "{\"version\": 2, \"samples\": [], \"written\": "
		    "{\"net.ipv4.tcp_tw_reuse\": 1}}");
	assert_int_equal(state_load(path, &s, err, sizeof(err)), 0);
	assert_int_equal(s.n_written, 1);
	assert_null(state_get_written(&s, 42, 0, "net.ipv4.tcp_tw_reuse"));
	state_adopt(&s, 42);
	assert_int_equal(state_get_written(&s, 42, 0, "net.ipv4.tcp_tw_reuse")->value,
			 1);
	/* saved with its namespace from now on */
	assert_int_equal(state_save(path, &s, err, sizeof(err)), 0);
	state_free(&s);
	assert_int_equal(state_load(path, &s, err, sizeof(err)), 0);
	assert_int_equal(state_get_written(&s, 42, 0, "net.ipv4.tcp_tw_reuse")->value,
			 1);
	state_free(&s);
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
	state_free(&s);
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
	state_free(&s);
}

static void add_sample_drops_other_boots_and_the_future(void **state)
{
	/* another namespace's sample (20) stays: it is that one's baseline */
	static const double want[] = { 20, 10, 50 };
	struct state s = { 0 };

	(void)state;
	{ struct baseline x_ = sample(0, OTHER_BOOT, NETNS, 4096, 1); state_push_sample(&s, &x_); }
	{ struct baseline x_ = sample(10, BOOT, NETNS, 4096, 1); state_push_sample(&s, &x_); }
	{ struct baseline x_ = sample(20, BOOT, 1, 4096, 1); state_push_sample(&s, &x_); }
	{ struct baseline x_ = sample(60, BOOT, NETNS, 4096, 1); state_push_sample(&s, &x_); }
	add_at(&s, 50, 4096);
	assert_times(&s, want, ARRAY_SIZE(want));
	state_free(&s);
}

/* A --sample's burst, remembered for the runs that follow it. */
static void a_samples_burst_is_remembered(void **state)
{
	struct testdir *t = *state;
	char path[PATH_MAX + 64], err[512] = "";
	struct state s = { 0 }, in;
	struct observation o;
	struct baseline t0 = sample(100, BOOT, NETNS, 4096, 10),
			t1 = sample(102, BOOT, NETNS, 4096, 3010);

	t1.burst = 0.2;
	t1.burst_since = 100;
	state_push_sample(&s, &t0);
	state_push_sample(&s, &t1);
	snprintf(path, sizeof(path), "%s/state.json", t->path);
	assert_int_equal(state_save(path, &s, err, sizeof(err)), 0);
	assert_int_equal(state_load(path, &in, err, sizeof(err)), 0);
	observation(&o, 103, 4096, 3010);
	/* the overflows since t0 all came in t1's 0.2 s */
	assert_num(state_burst(&in, &in.samples[0], &o), 0.2);
	/* one more since: no longer known */
	o.c.tw_overflows = 3011;
	assert_num(state_burst(&in, &in.samples[0], &o), NAN);
	/* from another baseline: not what t1 watched */
	o.c.tw_overflows = 3010;
	assert_num(state_burst(&in, &in.samples[1], &o), NAN);
	state_free(&in);
	state_free(&s);
}

/*
 * The kernel hands a deleted namespace's inode number to the next new
 * one; the cookie tells them apart, so the new one neither inherits the
 * old one's "last written" values nor its baselines.
 */
static void a_reused_inode_is_another_namespace(void **state)
{
	struct state s = { 0 };
	struct observation o;
	struct baseline b;

	(void)state;
	state_set_written(&s, 7, 100, "net.ipv4.tcp_max_tw_buckets", 128);
	assert_non_null(state_get_written(&s, 7, 100,
					  "net.ipv4.tcp_max_tw_buckets"));
	assert_null(state_get_written(&s, 7, 200,
				      "net.ipv4.tcp_max_tw_buckets"));
	/* a record or a kernel without cookies: the inode decides */
	assert_non_null(state_get_written(&s, 7, 0,
					  "net.ipv4.tcp_max_tw_buckets"));
	/* the new namespace's write replaces the old one's */
	state_set_written(&s, 7, 200, "net.ipv4.tcp_max_tw_buckets", 64);
	assert_int_equal(s.n_written, 1);
	assert_int_equal(state_get_written(&s, 7, 200,
					   "net.ipv4.tcp_max_tw_buckets")
				 ->value,
			 64);
	assert_null(state_get_written(&s, 7, 100,
				      "net.ipv4.tcp_max_tw_buckets"));

	/* baselines: the old namespace's are no baseline for the new */
	observation(&o, 1000, 4096, 100);
	o.netns = 7;
	o.netns_cookie = 100;
	observe_to_baseline(&o, &b, "state");
	state_add_sample(&s, &b);
	observation(&o, 1100, 4096, 100);
	o.netns = 7;
	o.netns_cookie = 200;
	assert_false(state_pick_baseline(&s, &o, &b));
	o.netns_cookie = 100;
	assert_true(state_pick_baseline(&s, &o, &b));
	/* and the new one's first sample drops them */
	o.netns_cookie = 200;
	observe_to_baseline(&o, &b, "state");
	state_add_sample(&s, &b);
	assert_int_equal(s.n_samples, 1);
	assert_true(s.samples[0].netns_cookie == 200);
	state_free(&s);
}

static void cookies_are_saved_and_loaded(void **state)
{
	struct testdir *t = *state;
	char path[PATH_MAX + 64], err[512] = "";
	struct state out = { 0 }, in;
	struct baseline b = sample(1700000000, BOOT, 7, 4096, 12);

	snprintf(path, sizeof(path), "%s/state.json", t->path);
	b.netns_cookie = 4242;
	state_push_sample(&out, &b);
	state_set_written(&out, 7, 4242, "net.ipv4.tcp_tw_reuse", 1);
	state_set_written(&out, 8, 0, "net.ipv4.tcp_tw_reuse", 2);
	assert_int_equal(state_save(path, &out, err, sizeof(err)), 0);
	assert_int_equal(state_load(path, &in, err, sizeof(err)), 0);
	assert_true(in.samples[0].netns_cookie == 4242);
	assert_true(in.written[0].cookie == 4242);
	assert_true(in.written[1].cookie == 0);
	state_free(&in);
	state_free(&out);
}

/*
 * As many samples and written values as twtune keeps, with the longest
 * keys: the file it saves is one it can read back, its own writes kept.
 */
static void a_full_state_is_saved_within_the_read_limit(void **state)
{
	struct testdir *t = *state;
	char path[PATH_MAX + 64], err[512] = "", key[SYSCTL_KEY_MAX];
	struct state out = { 0 }, in;
	struct stat st;

	snprintf(path, sizeof(path), "%s/state.json", t->path);
	for (size_t i = 0; i < STATE_SAMPLES_MAX; i++) {
		struct baseline b = sample(1700000000.123456 + (double)i, BOOT,
					   4026531840ULL + i % 256, 262144,
					   1234567890123.0);

		b.netns_cookie = 1000000 + i;
		b.c.active_opens = b.c.passive_opens = 98765432109.0;
		state_push_sample(&out, &b);
	}
	memset(key, 'k', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	memcpy(key, "net.ipv4.", 9);
	for (size_t i = 0; i < STATE_WRITTEN_MAX; i++)
		state_set_written(&out, 4026531840ULL + i, 1000000 + i, key,
				  -2147483648LL);
	assert_int_equal(state_save(path, &out, err, sizeof(err)), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_true(st.st_size <= STATE_FILE_MAX);
	assert_int_equal(state_load(path, &in, err, sizeof(err)), 0);
	/* samples go first; every written value stays */
	assert_true(in.n_samples < STATE_SAMPLES_MAX);
	assert_int_equal(in.n_written, STATE_WRITTEN_MAX);
	/* the newest samples stay */
	assert_num(in.samples[in.n_samples - 1].time,
		   out.samples[STATE_SAMPLES_MAX - 1].time);
	state_free(&in);
	state_free(&out);
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
		cmocka_unit_test(add_sample_drops_other_boots_and_the_future),
		cmocka_unit_test(add_sample_bounds_all_namespaces_together),
		cmocka_unit_test_setup_teardown(a_samples_burst_is_remembered,
						testdir_setup, testdir_teardown),
		cmocka_unit_test(written_values_are_per_namespace),
		cmocka_unit_test_setup_teardown(legacy_written_values_are_adopted,
						testdir_setup, testdir_teardown),
		cmocka_unit_test(a_reused_inode_is_another_namespace),
		cmocka_unit_test_setup_teardown(cookies_are_saved_and_loaded,
						testdir_setup, testdir_teardown),
		cmocka_unit_test_setup_teardown(
			a_full_state_is_saved_within_the_read_limit,
			testdir_setup, testdir_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
