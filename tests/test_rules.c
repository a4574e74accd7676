// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Tests for the shipped policies (the *.conf files in policies/), run
 * through the real loader and the pure planner.  Each test loads the whole
 * directory, as twtune loads it, starts from a quiet host on which no rule
 * fires, and changes only what one scenario needs; every shipped rule is
 * shown firing (the exact change, or the advice with its severity and the
 * numbers its text must carry) and not firing (below its threshold, on a
 * kernel that lacks its sysctl, when another rule is the right one).
 * Further tests cover the bucket-headroom edge cases (unlimited table, the
 * 1% memory cap, doubling, never lowering), administrator back-off through
 * plan_build_opts(), and a run without socket-level metrics, where the
 * socket rules must be undecided or silent but never act.
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

#include "observe.h"
#include "plan.h"
#include "policy.h"
#include "state.h"
#include "testutil.h"
#include "util.h"

#define TWB "net.ipv4.tcp_max_tw_buckets"
#define RECYCLE "net.ipv4.tcp_tw_recycle"
#define FIN "net.ipv4.tcp_fin_timeout"
#define REUSE "net.ipv4.tcp_tw_reuse"
#define TS "net.ipv4.tcp_timestamps"
#define DELAY "net.ipv4.tcp_tw_reuse_delay"
#define PORTS "net.ipv4.ip_local_port_range"

#define GIB (1024.0 * 1024 * 1024)
#define MIB (1024.0 * 1024)

/* The rules that need the socket dump. */
static const char *const socket_rules[] = {
	"tw-reuse-outgoing", "tw-reuse-needs-timestamps",
	"syn-flood-hint",    "port-range-widen",
	"tw-reuse-delay",    "fin-wait2-share",
};

/* One test's policy, observation and plan: freed even when a check fails. */
struct ctx {
	struct policy p;
	struct observation o;
	struct plan pl;
};

/* --- observations -------------------------------------------------------- */

static void set_sysctl_num(struct observation *o, const char *key,
			   long long v);

/* As if the sysctl had not been read at all. */
static void drop_sysctl(struct observation *o, const char *key)
{
	for (size_t i = 0; i < o->n_sysctls; i++) {
		if (strcmp(o->sysctls[i].key, key) != 0)
			continue;
		free(o->sysctls[i].key);
		free(o->sysctls[i].raw);
		o->sysctls[i] = o->sysctls[--o->n_sysctls];
		return;
	}
	fail_msg("%s was not in the observation", key);
}

static void set_sysctl_num(struct observation *o, const char *key,
			   long long v)
{
	char raw[32];

	snprintf(raw, sizeof(raw), "%lld", v);
	observe_set_sysctl(o, key, raw);
}

/*
 * The TIME_WAIT table: tw_count sockets in tw_max buckets (also the live
 * sysctl) and delta overflows since a 60 s old baseline, with the derived
 * metrics as observe_derive() computes them for that window.
 */
static void set_table(struct observation *o, double tw_count, long long tw_max,
		      double delta)
{
	o->m[M_TW_COUNT] = tw_count;
	o->m[M_STATE_TIME_WAIT] = tw_count;
	o->m[M_TW_MAX] = (double)tw_max;
	o->tw_max_unlimited = tw_max < 0;
	o->m[M_TW_RATIO] = tw_max < 0	 ? 0
			   : tw_max == 0 ? 1
					 : tw_count / (double)tw_max;
	o->m[M_TW_SATURATED] = tw_max >= 0 && tw_count >= (double)tw_max;
	o->m[M_TW_OVERFLOWS] = 7000 + delta;
	o->c.tw_overflows = 7000 + delta;
	o->m[M_TW_OVERFLOW_DELTA] = delta;
	o->m[M_TW_OVERFLOW_RATE] = delta / o->window;
	o->m[M_TW_DEMAND] = tw_count + delta * fmin(1.0, 60.0 / o->window);
	set_sysctl_num(o, TWB, tw_max);
}

/*
 * The busiest destination: the share of the usable ports it uses now, the
 * ports it would need with TIME_WAIT no longer cut short, and TIME_WAIT
 * split between outgoing and incoming connections.
 */
static void set_ports(struct observation *o, double pressure, double demand,
		      double tw_outgoing, double tw_incoming)
{
	o->m[M_PORT_PRESSURE] = pressure;
	o->m[M_PORT_DEMAND] = demand;
	o->m[M_TW_OUTGOING] = tw_outgoing;
	o->m[M_TW_INCOMING] = tw_incoming;
}

/* tcp_tw_reuse, and whether it covers the busiest destination. */
static void set_reuse(struct observation *o, long long value, bool effective)
{
	set_sysctl_num(o, REUSE, value);
	o->m[M_REUSE_EFFECTIVE] = effective;
}

/* The largest limit the ports allow without reuse; NAN: no such limit. */
static void set_port_limit(struct observation *o, double limit)
{
	o->m[M_TW_PORT_LIMIT] = limit;
	o->why[M_TW_PORT_LIMIT] = isnan(limit) ? "no limit from ports" : NULL;
}

static void set_syn(struct observation *o, double syn_recv, double peers,
		    double cookies, double listen_overflows)
{
	o->m[M_STATE_SYN_RECV] = syn_recv;
	o->m[M_SYN_RECV_PEERS] = peers;
	o->m[M_SYNCOOKIES_SENT_DELTA] = cookies;
	o->m[M_LISTEN_OVERFLOWS_DELTA] = listen_overflows;
}

/* As with --no-sockets: every socket-level metric unknown, and why. */
static void no_sockets(struct observation *o)
{
	for (int i = M_FIRST_SOCKET; i < METRIC_COUNT; i++) {
		o->m[i] = NAN;
		o->why[i] = "--no-sockets";
	}
}

/*
 * A quiet Linux 6.14 host with 8 GiB: a big table a little used, no
 * overflows, no SYN trouble, ports plentiful, kernel defaults (tcp_tw_reuse
 * 2, timestamps on, fin_timeout 60, reuse delay 1000 ms, no tw_recycle).
 */
static void quiet_host(struct observation *o)
{
	memset(o, 0, sizeof(*o));
	for (int i = 0; i < METRIC_COUNT; i++)
		o->m[i] = NAN;
	o->time = 1700000000;
	o->window = 60;
	o->baseline_source = "state";
	/* a current kernel: it counts overflows, the log is not read */
	o->kernel.counter = true;
	o->kernel.per_netns = 1;
	o->kernel.neg_unlimited = 1;
	o->why[M_TW_OVERFLOW_LOG_LINES] = "the kernel counts overflows";
	o->why[M_TW_OVERFLOW_LOG_SUPPRESSED] = "the kernel counts overflows";
	o->why[M_TW_MAX_UB] = "not an OpenVZ kernel";

	set_table(o, 1200, 262144, 0);
	o->m[M_TCP_INUSE] = 300;
	o->m[M_TCP_ORPHAN] = 0;
	o->m[M_TCP_ALLOC] = 320;
	o->m[M_MEM_TOTAL] = 8 * GIB;
	o->m[M_TW_SOCK_SIZE] = 256;
	o->m[M_EPHEMERAL_LOW] = 32768;
	o->m[M_EPHEMERAL_HIGH] = 60999;
	o->m[M_EPHEMERAL_PORTS] = 28232;
	o->m[M_USABLE_PORTS] = 28232;
	o->m[M_EHASH_ENTRIES] = 131072; /* 4 per bucket: 524288 */

	for (int i = M_FIRST_SOCKET; i < METRIC_COUNT; i++)
		o->m[i] = 0;
	o->m[M_STATE_ESTABLISHED] = 250;
	o->m[M_STATE_LISTEN] = 6;
	o->m[M_STATE_TIME_WAIT] = 1200;
	o->m[M_TW_PEERS] = 40;
	o->m[M_TW_TOP_PEER_SHARE] = 0.1;
	set_ports(o, 0.02, 565, 400, 800);
	o->m[M_PEER_TIMESTAMPS] = 1;
	set_port_limit(o, NAN);
	set_syn(o, 1, 1, 0, 0);

	observe_set_sysctl(o, RECYCLE, NULL);
	observe_set_sysctl(o, FIN, "60");
	observe_set_sysctl(o, REUSE, "2");
	observe_set_sysctl(o, TS, "1");
	observe_set_sysctl(o, DELAY, "1000");
	observe_set_sysctl(o, PORTS, "32768\t60999");
}

/* --- fixtures ------------------------------------------------------------ */

static int rules_setup(void **state)
{
	char *dir = testutil_src_path("policies");
	struct ctx *x = xcalloc(1, sizeof(*x));
	int ret = testutil_load_policy(dir, &x->p);

	if (ret < 0)
		print_error("%s: cannot load: %s\n", dir, strerror(-ret));
	free(dir);
	if (ret < 0) {
		policy_free(&x->p);
		free(x);
		return -1;
	}
	quiet_host(&x->o);
	*state = x;
	return 0;
}

static int rules_teardown(void **state)
{
	struct ctx *x = *state;

	plan_free(&x->pl);
	observe_free(&x->o);
	policy_free(&x->p);
	free(x);
	return 0;
}

/* --- looking at a plan --------------------------------------------------- */

static void dump_plan(const struct plan *pl)
{
	for (size_t i = 0; i < pl->n_changes; i++)
		print_error("change: %s %lld -> %lld (%s): %s\n",
			    pl->changes[i].key, pl->changes[i].from,
			    pl->changes[i].to, pl->changes[i].rule->id,
			    pl->changes[i].reason);
	for (size_t i = 0; i < pl->n_keys; i++)
		print_error("key: %s by %s change=%d to=%lld\n",
			    pl->keys[i].key, pl->keys[i].rule->id,
			    pl->keys[i].change, pl->keys[i].to);
	for (size_t i = 0; i < pl->n_notes; i++)
		print_error("note: %s%s: %s\n", pl->notes[i].rule->id,
			    pl->notes[i].backoff ? " (backoff)" : "",
			    pl->notes[i].text);
	for (size_t i = 0; i < pl->n_undecided; i++)
		for (size_t k = 0; k < pl->undecided[i].missing.n; k++)
			print_error("undecided: %s: %s\n",
				    pl->undecided[i].rule->id,
				    pl->undecided[i].missing.v[k]);
	for (size_t i = 0; i < pl->n_advice; i++)
		print_error("advice: %s: %s\n", pl->advice[i].rule->id,
			    pl->advice[i].text);
	for (size_t i = 0; i < pl->n_overridden; i++)
		print_error("overridden: %s by %s\n",
			    pl->overridden[i].rule->id,
			    pl->overridden[i].by->id);
}

static void build(struct ctx *x)
{
	plan_free(&x->pl);
	assert_int_equal(plan_build(&x->p, &x->o, &x->pl), 0);
}

static void build_opts(struct ctx *x, const struct plan_opts *opts)
{
	plan_free(&x->pl);
	assert_int_equal(plan_build_opts(&x->p, &x->o, opts, &x->pl), 0);
}

static const struct plan_note *find_advice(const struct plan *pl,
					   const char *id)
{
	for (size_t i = 0; i < pl->n_advice; i++)
		if (strcmp(pl->advice[i].rule->id, id) == 0)
			return &pl->advice[i];
	return NULL;
}

static const struct plan_note *find_note(const struct plan *pl, const char *id)
{
	for (size_t i = 0; i < pl->n_notes; i++)
		if (strcmp(pl->notes[i].rule->id, id) == 0)
			return &pl->notes[i];
	return NULL;
}

static const struct plan_undecided *find_undecided(const struct plan *pl,
						   const char *id)
{
	for (size_t i = 0; i < pl->n_undecided; i++)
		if (strcmp(pl->undecided[i].rule->id, id) == 0)
			return &pl->undecided[i];
	return NULL;
}

static const struct plan_key *find_key(const struct plan *pl, const char *key)
{
	for (size_t i = 0; i < pl->n_keys; i++)
		if (strcmp(pl->keys[i].key, key) == 0)
			return &pl->keys[i];
	return NULL;
}

/* Whether rule id left any trace in the plan. */
static bool rule_acted(const struct plan *pl, const char *id)
{
	for (size_t i = 0; i < pl->n_changes; i++)
		if (strcmp(pl->changes[i].rule->id, id) == 0)
			return true;
	for (size_t i = 0; i < pl->n_keys; i++)
		if (strcmp(pl->keys[i].rule->id, id) == 0)
			return true;
	for (size_t i = 0; i < pl->n_overridden; i++)
		if (strcmp(pl->overridden[i].rule->id, id) == 0)
			return true;
	return find_advice(pl, id) || find_note(pl, id) ||
	       find_undecided(pl, id);
}

/* Rule id did not fire and was not undecided: nothing at all. */
static void assert_silent(const struct plan *pl, const char *id)
{
	if (rule_acted(pl, id)) {
		dump_plan(pl);
		fail_msg("rule %s should have done nothing", id);
	}
}

static void assert_change(const struct plan *pl, const char *key,
			  const char *id, double from, long long to)
{
	const struct plan_change *c = plan_find(pl, key);

	if (!c) {
		dump_plan(pl);
		fail_msg("no change planned for %s", key);
	}
	assert_string_equal(c->rule->id, id);
	assert_true(c->from == from);
	assert_int_equal(c->to, to);
	assert_true(c->persist);
	assert_non_null(c->reason);
}

/* The advice of rule id, which must be there with severity sev. */
static const char *assert_advice(const struct plan *pl, const char *id,
				 enum severity sev)
{
	const struct plan_note *n = find_advice(pl, id);

	if (!n) {
		dump_plan(pl);
		fail_msg("no advice from %s", id);
	}
	assert_int_equal(n->severity, sev);
	assert_non_null(n->text);
	assert_null(strstr(n->text, "unknown"));
	return n->text;
}

static bool has_missing(const struct plan_undecided *u, const char *line)
{
	for (size_t i = 0; i < u->missing.n; i++)
		if (strcmp(u->missing.v[i], line) == 0)
			return true;
	return false;
}

/* Rule id is undecided, and line is among what it missed. */
static void assert_undecided(const struct plan *pl, const char *id,
			     const char *line)
{
	const struct plan_undecided *u = find_undecided(pl, id);

	if (!u || !has_missing(u, line)) {
		dump_plan(pl);
		fail_msg("rule %s should be undecided for want of \"%s\"", id,
			 line);
	}
}

static void assert_no_backoff(const struct plan *pl)
{
	for (size_t i = 0; i < pl->n_notes; i++)
		if (pl->notes[i].backoff) {
			dump_plan(pl);
			fail_msg("unexpected back-off note");
		}
}

/* --- the policy set ------------------------------------------------------ */

static void shipped_policies_hold_the_eleven_rules(void **state)
{
	static const struct {
		const char *id;
		const char *key; /* NULL: advice */
	} want[] = {
		{ "tw-buckets-headroom", TWB },
		{ "tw-buckets-saturated", TWB },
		{ "tw-buckets-container", NULL },
		{ "tw-recycle-off", RECYCLE },
		{ "fin-timeout-myth", NULL },
		{ "fin-wait2-share", NULL },
		{ "tw-reuse-outgoing", REUSE },
		{ "tw-reuse-needs-timestamps", NULL },
		{ "syn-flood-hint", NULL },
		{ "port-range-widen", NULL },
		{ "tw-reuse-delay", NULL },
	};
	struct ctx *x = *state;

	assert_int_equal(x->p.n_rules, ARRAY_SIZE(want));
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		const struct rule *r = &x->p.rules[i];

		assert_string_equal(r->id, want[i].id);
		assert_true(r->enabled);
		if (want[i].key) {
			assert_int_equal(r->kind, RULE_SYSCTL);
			assert_string_equal(r->key, want[i].key);
		} else {
			assert_int_equal(r->kind, RULE_ADVICE);
		}
	}
	assert_true(policy_needs_sockets(&x->p));
}

static void quiet_host_fires_no_rule(void **state)
{
	struct ctx *x = *state;

	build(x);
	if (x->pl.n_changes + x->pl.n_keys + x->pl.n_notes + x->pl.n_undecided +
	    x->pl.n_advice + x->pl.n_overridden)
		dump_plan(&x->pl);
	assert_int_equal(x->pl.n_changes, 0);
	assert_int_equal(x->pl.n_keys, 0);
	assert_int_equal(x->pl.n_notes, 0);
	assert_int_equal(x->pl.n_undecided, 0);
	assert_int_equal(x->pl.n_advice, 0);
	assert_int_equal(x->pl.n_overridden, 0);
}

/* --- tw-buckets-headroom ------------------------------------------------- */

/* 4096 full, 1500 overflows: demand 5596 -> pow2ceil(11192) = 16384. */
static void headroom_overflowing_table_gets_twice_the_demand(void **state)
{
	struct ctx *x = *state;

	set_table(&x->o, 4096, 4096, 1500);
	build(x);
	assert_change(&x->pl, TWB, "tw-buckets-headroom", 4096, 16384);
	assert_int_equal(x->pl.n_changes, 1);
	assert_int_equal(x->pl.n_notes, 0);
	assert_int_equal(x->pl.n_undecided, 0);
	assert_string_equal(plan_find(&x->pl, TWB)->reason,
			    "4096 TIME_WAIT sockets in 4096 buckets, 1500 "
			    "overflows since the baseline, estimated demand "
			    "5596: raise to 16384 (twice the demand and at "
			    "least double, at most 1% of RAM and 4 per ehash "
			    "bucket)");
	assert_int_equal(x->p.rules[0].severity, SEV_CRITICAL);
}

/* Overflows alone fire it, even with a table that looks empty now. */
static void headroom_any_overflow_fires_below_80_percent(void **state)
{
	struct ctx *x = *state;

	/* 100 + 1 = 101 -> pow2ceil(202) = 256 < 2 * 1000 */
	set_table(&x->o, 100, 1000, 1);
	build(x);
	assert_change(&x->pl, TWB, "tw-buckets-headroom", 1000, 2000);
}

static void headroom_table_at_80_percent_fires(void **state)
{
	struct ctx *x = *state;

	/* 800 / 1000 = 0.8: demand 800 -> pow2ceil(1600) = 2048 */
	set_table(&x->o, 800, 1000, 0);
	build(x);
	assert_change(&x->pl, TWB, "tw-buckets-headroom", 1000, 2048);
}

static void headroom_table_below_80_percent_is_left_alone(void **state)
{
	struct ctx *x = *state;

	set_table(&x->o, 799, 1000, 0);
	build(x);
	assert_silent(&x->pl, "tw-buckets-headroom");
	assert_null(plan_find(&x->pl, TWB));
}

/* 4000 of 5000: twice the demand is 8192, doubling gives more. */
static void headroom_at_least_doubles_the_table(void **state)
{
	struct ctx *x = *state;

	set_table(&x->o, 4000, 5000, 0);
	build(x);
	assert_change(&x->pl, TWB, "tw-buckets-headroom", 5000, 10000);
	assert_contains(plan_find(&x->pl, TWB)->reason, "raise to 10000");
}

/* 256 MiB: 268435456 / 256 / 100 = 10485.76 -> 10485 buckets at most. */
static void headroom_is_capped_at_1_percent_of_memory(void **state)
{
	struct ctx *x = *state;

	x->o.m[M_MEM_TOTAL] = 256 * MIB;
	set_table(&x->o, 8192, 8192, 12000);
	build(x);
	assert_change(&x->pl, TWB, "tw-buckets-headroom", 8192, 10485);
	assert_contains(plan_find(&x->pl, TWB)->reason, "10485");
	assert_contains(plan_find(&x->pl, TWB)->reason, "20192");
}

/*
 * A capped value is not twice the demand (here 10485 < 2 * 20192): the
 * reason must not say that it is.
 */
static void headroom_capped_reason_does_not_claim_twice_demand(void **state)
{
	struct ctx *x = *state;
	const struct plan_change *c;

	x->o.m[M_MEM_TOTAL] = 256 * MIB;
	set_table(&x->o, 8192, 8192, 12000);
	build(x);
	c = plan_find(&x->pl, TWB);
	assert_non_null(c);
	assert_int_equal(c->to, 10485);
	if (strstr(c->reason, "room for twice"))
		fail_msg("capped at 10485 for a demand of 20192, the reason "
			 "says: \"%s\"",
			 c->reason);
}

/* The cap below the live value: a raise rule never lowers. */
static void headroom_never_lowers_the_table(void **state)
{
	struct ctx *x = *state;
	const struct plan_key *k;

	x->o.m[M_MEM_TOTAL] = 256 * MIB;
	set_table(&x->o, 20000, 20000, 5000);
	build(x);
	assert_null(plan_find(&x->pl, TWB));
	assert_int_equal(x->pl.n_changes, 0);
	assert_int_equal(x->pl.n_undecided, 0);
	k = find_key(&x->pl, TWB);
	assert_non_null(k);
	assert_false(k->change);
	assert_int_equal(k->to, 10485);
}

/* 2048 ehash buckets, four TIME_WAIT sockets each: 8192 at most. */
static void headroom_is_capped_at_4_per_ehash_bucket(void **state)
{
	struct ctx *x = *state;

	x->o.m[M_EHASH_ENTRIES] = 2048;
	set_table(&x->o, 4096, 4096, 1500);
	build(x);
	assert_change(&x->pl, TWB, "tw-buckets-headroom", 4096, 8192);
}

/* A kernel without tcp_ehash_entries: only the other bounds. */
static void headroom_without_ehash_size_uses_the_other_bounds(void **state)
{
	struct ctx *x = *state;

	x->o.m[M_EHASH_ENTRIES] = NAN;
	x->o.why[M_EHASH_ENTRIES] = "tcp_ehash_entries is not present";
	set_table(&x->o, 4096, 4096, 1500);
	build(x);
	assert_change(&x->pl, TWB, "tw-buckets-headroom", 4096, 16384);
	assert_int_equal(x->pl.n_undecided, 0);
}

static void headroom_stops_at_int_max(void **state)
{
	struct ctx *x = *state;

	x->o.m[M_MEM_TOTAL] = 1024.0 * 1024 * GIB;
	x->o.m[M_EHASH_ENTRIES] = 1 << 30;
	set_table(&x->o, 1500000000, 1500000000, 10);
	build(x);
	assert_change(&x->pl, TWB, "tw-buckets-headroom", 1500000000, INT_MAX);
}

/* A negative limit is unlimited: "raising" it would impose a limit. */
static void headroom_leaves_an_unlimited_table_alone_with_a_note(void **state)
{
	struct ctx *x = *state;
	const struct plan_note *n;

	set_table(&x->o, 50000, -1, 3);
	build(x);
	assert_null(plan_find(&x->pl, TWB));
	assert_int_equal(x->pl.n_changes, 0);
	n = find_note(&x->pl, "tw-buckets-headroom");
	if (!n)
		dump_plan(&x->pl);
	assert_non_null(n);
	assert_int_equal(n->severity, SEV_INFO);
	assert_false(n->backoff);
	assert_contains(n->text, TWB " is -1");
	assert_contains(n->text, "unlimited");
	assert_contains(n->text, "left alone");
}

static void headroom_unlimited_table_without_overflows_is_silent(void **state)
{
	struct ctx *x = *state;

	set_table(&x->o, 50000, -1, 0);
	build(x);
	assert_silent(&x->pl, "tw-buckets-headroom");
}

/* Full, and no baseline to count overflows: unknown demand, no guess. */
/* The demand unknown, the table full: at least double, marked so. */
static void headroom_full_table_without_baseline_plans_at_least_double(
	void **state)
{
	struct ctx *x = *state;
	static const char nb[] = "no baseline";
	const struct plan_change *c;

	set_table(&x->o, 4096, 4096, 0);
	x->o.window = NAN;
	x->o.baseline_source = "none";
	x->o.m[M_TW_OVERFLOW_DELTA] = NAN;
	x->o.why[M_TW_OVERFLOW_DELTA] = nb;
	x->o.m[M_TW_DEMAND] = NAN;
	x->o.why[M_TW_DEMAND] = "the table is full";
	build(x);
	c = plan_find(&x->pl, TWB);
	assert_non_null(c);
	assert_int_equal(c->to, 8192);
	assert_string_equal(c->at_least, "tw_demand: the table is full");
}

/* --- kernels that only log overflows (before 2.6.38), OpenVZ ------------ */

/* seed 2's RHEL 6 host: no counter, a full table, messages this boot */
static void old_kernel(struct observation *o, double lines)
{
	o->kernel.counter = false;
	o->m[M_TW_OVERFLOWS] = NAN;
	o->m[M_TW_OVERFLOW_DELTA] = NAN;
	o->why[M_TW_OVERFLOW_DELTA] = "this kernel has no counter";
	o->m[M_TW_OVERFLOW_RATE] = NAN;
	o->m[M_TW_OVERFLOW_LOG_LINES] = lines;
	o->m[M_TW_OVERFLOW_LOG_SUPPRESSED] = isnan(lines) ? NAN : 133;
	o->why[M_TW_OVERFLOW_LOG_LINES] =
		isnan(lines) ? "no kernel log readable" : NULL;
}

static void saturated_old_kernel_with_log_evidence_doubles(void **state)
{
	struct ctx *x = *state;
	const char *reason;

	set_table(&x->o, 10000, 10000, 0);
	old_kernel(&x->o, 4);
	x->o.m[M_TW_DEMAND] = NAN;
	x->o.why[M_TW_DEMAND] = "no counter to measure it";
	build(x);
	assert_change(&x->pl, TWB, "tw-buckets-saturated", 10000, 20000);
	reason = plan_find(&x->pl, TWB)->reason;
	assert_contains(reason, "fill all 10000 buckets");
	assert_contains(reason, "4 overflow messages (up to 133 more "
				"suppressed)");
	/* headroom fired too (a full table), and lost to it */
	assert_int_equal(x->pl.n_overridden, 1);
}

/* Healthy old host: no counter, nothing logged: silent, not undecided. */
static void old_kernel_without_messages_is_silent(void **state)
{
	struct ctx *x = *state;

	old_kernel(&x->o, 0);
	build(x);
	assert_silent(&x->pl, "tw-buckets-headroom");
	assert_silent(&x->pl, "tw-buckets-saturated");
}

/* Messages, but the table is not full now: they were a past burst. */
static void old_kernel_with_messages_but_room_now(void **state)
{
	struct ctx *x = *state;

	old_kernel(&x->o, 4);
	build(x);
	assert_silent(&x->pl, "tw-buckets-saturated");
	/* 4 * 0 (not saturated) is 0: no overflow now */
	assert_silent(&x->pl, "tw-buckets-headroom");
}

/* No log readable: a healthy old host is undecided, and says why. */
static void old_kernel_without_a_log_is_undecided(void **state)
{
	struct ctx *x = *state;

	old_kernel(&x->o, NAN);
	build(x);
	assert_undecided(&x->pl, "tw-buckets-headroom",
			 "tw_overflow_log_lines: no kernel log readable");
	assert_undecided(&x->pl, "tw-buckets-headroom",
			 "tw_overflow_delta: this kernel has no counter");
}

static void openvz_container_overflow_is_advised(void **state)
{
	struct ctx *x = *state;
	const char *text;

	set_table(&x->o, 24812, 262144, 0);
	old_kernel(&x->o, 4);
	x->o.m[M_TW_MAX_UB] = 16536;
	x->o.why[M_TW_MAX_UB] = NULL;
	build(x);
	text = assert_advice(&x->pl, "tw-buckets-container", SEV_WARNING);
	assert_contains(text, "tcp_max_tw_buckets_ub = 16536");
	assert_contains(text, "(24812 of 262144)");
	assert_null(plan_find(&x->pl, TWB));
}

static void openvz_node_full_is_the_nodes_limit(void **state)
{
	struct ctx *x = *state;

	set_table(&x->o, 262144, 262144, 0);
	old_kernel(&x->o, 4);
	x->o.m[M_TW_MAX_UB] = 16536;
	x->o.why[M_TW_MAX_UB] = NULL;
	build(x);
	assert_silent(&x->pl, "tw-buckets-container");
	/* doubled, then capped at 1% of the 8 GiB */
	assert_change(&x->pl, TWB, "tw-buckets-saturated", 262144, 335544);
}

/* --- administrator back-off ---------------------------------------------- */

/* twtune wrote 2048, an administrator has since set 4096. */
static void headroom_backs_off_a_key_an_administrator_changed(void **state)
{
	struct ctx *x = *state;
	char key[] = TWB;
	struct state_written w = { .key = key, .value = 2048 };
	struct plan_opts opts = { .written = &w, .n_written = 1 };
	const struct plan_note *n;

	set_table(&x->o, 4096, 4096, 900);
	build_opts(x, &opts);
	assert_null(plan_find(&x->pl, TWB));
	assert_int_equal(x->pl.n_changes, 0);
	assert_null(find_key(&x->pl, TWB));
	n = find_note(&x->pl, "tw-buckets-headroom");
	if (!n)
		dump_plan(&x->pl);
	assert_non_null(n);
	assert_true(n->backoff);
	assert_contains(n->text, "4096");
	assert_contains(n->text, "2048");
	assert_contains(n->text, "--reclaim " TWB);
}

static void headroom_reclaim_plans_the_key_again(void **state)
{
	struct ctx *x = *state;
	char key[] = TWB;
	struct state_written w = { .key = key, .value = 2048 };
	const char *const reclaim[] = { TWB };
	struct plan_opts opts = { .written = &w,
				  .n_written = 1,
				  .reclaim = reclaim,
				  .n_reclaim = 1 };

	/* demand 4996 -> pow2ceil(9992) = 16384 */
	set_table(&x->o, 4096, 4096, 900);
	build_opts(x, &opts);
	assert_change(&x->pl, TWB, "tw-buckets-headroom", 4096, 16384);
	assert_no_backoff(&x->pl);
	assert_null(find_note(&x->pl, "tw-buckets-headroom"));
}

static void headroom_reclaim_of_another_key_still_backs_off(void **state)
{
	struct ctx *x = *state;
	char key[] = TWB;
	struct state_written w = { .key = key, .value = 2048 };
	const char *const reclaim[] = { REUSE };
	struct plan_opts opts = { .written = &w,
				  .n_written = 1,
				  .reclaim = reclaim,
				  .n_reclaim = 1 };
	const struct plan_note *n;

	set_table(&x->o, 4096, 4096, 900);
	build_opts(x, &opts);
	assert_null(plan_find(&x->pl, TWB));
	n = find_note(&x->pl, "tw-buckets-headroom");
	assert_non_null(n);
	assert_true(n->backoff);
}

/* The live value is still twtune's own 2048: nobody else touched it. */
static void headroom_own_last_write_is_no_reason_to_back_off(void **state)
{
	struct ctx *x = *state;
	char key[] = TWB;
	struct state_written w = { .key = key, .value = 2048 };
	struct plan_opts opts = { .written = &w, .n_written = 1 };

	/* demand 2948 -> pow2ceil(5896) = 8192 */
	set_table(&x->o, 2048, 2048, 900);
	build_opts(x, &opts);
	assert_change(&x->pl, TWB, "tw-buckets-headroom", 2048, 8192);
	assert_no_backoff(&x->pl);
	assert_int_equal(x->pl.n_notes, 0);
}

/* --- tw-recycle-off ------------------------------------------------------ */

static void recycle_on_an_old_kernel_is_turned_off(void **state)
{
	struct ctx *x = *state;

	observe_set_sysctl(&x->o, RECYCLE, "1");
	build(x);
	assert_change(&x->pl, RECYCLE, "tw-recycle-off", 1, 0);
	assert_contains(plan_find(&x->pl, RECYCLE)->reason,
			"tcp_tw_recycle is 1:");
	assert_contains(plan_find(&x->pl, RECYCLE)->reason, "NAT");
	assert_int_equal(x->pl.n_changes, 1);
}

static void recycle_absent_on_a_modern_kernel_does_nothing(void **state)
{
	struct ctx *x = *state;

	/* quiet_host() has no tcp_tw_recycle: Linux >= 4.12 */
	build(x);
	assert_silent(&x->pl, "tw-recycle-off");
	assert_null(plan_find(&x->pl, RECYCLE));
}

static void recycle_never_read_does_nothing(void **state)
{
	struct ctx *x = *state;

	/* not even in the observation: still no undecided rule */
	drop_sysctl(&x->o, RECYCLE);
	assert_null(observe_sysctl(&x->o, RECYCLE));
	build(x);
	assert_silent(&x->pl, "tw-recycle-off");
}

static void recycle_already_off_does_nothing(void **state)
{
	struct ctx *x = *state;

	observe_set_sysctl(&x->o, RECYCLE, "0");
	build(x);
	assert_silent(&x->pl, "tw-recycle-off");
}

/* --- fin-timeout-myth ---------------------------------------------------- */

static void fin_timeout_lowered_on_a_busy_table_is_a_myth(void **state)
{
	struct ctx *x = *state;
	const char *text;

	set_table(&x->o, 150000, 262144, 0); /* 0.57 */
	observe_set_sysctl(&x->o, FIN, "15");
	x->o.m[M_TW_FIN_WAIT2] = 1000;
	build(x);
	text = assert_advice(&x->pl, "fin-timeout-myth", SEV_INFO);
	assert_contains(text, "60 s");
	assert_contains(text, "FIN_WAIT2 sockets, 1000 of the 150000");
	assert_silent(&x->pl, "tw-buckets-headroom");
}

static void fin_timeout_at_the_default_60_says_nothing(void **state)
{
	struct ctx *x = *state;

	set_table(&x->o, 150000, 262144, 0);
	observe_set_sysctl(&x->o, FIN, "60");
	build(x);
	assert_silent(&x->pl, "fin-timeout-myth");
}

static void fin_timeout_lowered_on_a_quiet_table_says_nothing(void **state)
{
	struct ctx *x = *state;

	set_table(&x->o, 100000, 262144, 0); /* 0.38 */
	observe_set_sysctl(&x->o, FIN, "15");
	build(x);
	assert_silent(&x->pl, "fin-timeout-myth");
}

/*
 * Orphaned FIN_WAIT2 sockets a large share of the table: lowering
 * tcp_fin_timeout does help, and the myth rule must not say otherwise.
 */
static void fin_wait2_share_advises_a_lower_fin_timeout(void **state)
{
	struct ctx *x = *state;
	const char *text;

	set_table(&x->o, 150000, 262144, 0);
	x->o.m[M_STATE_TIME_WAIT] = 90000;
	x->o.m[M_TW_FIN_WAIT2] = 60000;
	build(x);
	text = assert_advice(&x->pl, "fin-wait2-share", SEV_WARNING);
	assert_contains(text, "60000 of the 150000 sockets");
	assert_contains(text, FIN);
	assert_silent(&x->pl, "fin-timeout-myth");
}

static void fin_wait2_share_already_lowered_is_a_fact_not_a_myth(void **state)
{
	struct ctx *x = *state;

	set_table(&x->o, 150000, 262144, 0);
	x->o.m[M_TW_FIN_WAIT2] = 60000;
	observe_set_sysctl(&x->o, FIN, "10");
	build(x);
	assert_silent(&x->pl, "fin-wait2-share");
	assert_silent(&x->pl, "fin-timeout-myth");
}

static void fin_wait2_small_share_is_not_advised(void **state)
{
	struct ctx *x = *state;

	set_table(&x->o, 150000, 262144, 0);
	x->o.m[M_TW_FIN_WAIT2] = 29999; /* under a fifth */
	build(x);
	assert_silent(&x->pl, "fin-wait2-share");
}


/* --- tw-reuse-outgoing and tw-reuse-needs-timestamps --------------------- */

/* Half the usable ports (28232 / 2 = 14116) would be held: reuse on. */
static void reuse_outgoing_port_demand_turns_reuse_on(void **state)
{
	struct ctx *x = *state;
	const char *reason;

	set_ports(&x->o, 0.3, 15000, 8000, 300);
	build(x);
	assert_change(&x->pl, REUSE, "tw-reuse-outgoing", 2, 1);
	assert_int_equal(x->pl.n_changes, 1);
	reason = plan_find(&x->pl, REUSE)->reason;
	assert_contains(reason, "15000 of the 28232 usable ephemeral ports");
	assert_null(strstr(reason, "unknown"));
	assert_int_equal(plan_find(&x->pl, REUSE)->rule->severity, SEV_WARNING);
	assert_silent(&x->pl, "tw-reuse-needs-timestamps");
	assert_silent(&x->pl, "port-range-widen");
}

/* direction "any": 0 (off) goes up to 1 as well as 2 comes down */
static void reuse_outgoing_turns_reuse_on_from_0_at_half(void **state)
{
	struct ctx *x = *state;

	set_reuse(&x->o, 0, false);
	set_ports(&x->o, 0.1, 14116, 5000, 4999);
	build(x);
	assert_change(&x->pl, REUSE, "tw-reuse-outgoing", 0, 1);
}

static void reuse_outgoing_below_half_the_ports_does_nothing(void **state)
{
	struct ctx *x = *state;

	set_ports(&x->o, 0.3, 14115, 8000, 300);
	build(x);
	assert_silent(&x->pl, "tw-reuse-outgoing");
	assert_silent(&x->pl, "tw-reuse-needs-timestamps");
}

static void reuse_outgoing_reuse_already_on_does_nothing(void **state)
{
	struct ctx *x = *state;

	set_reuse(&x->o, 1, true);
	set_ports(&x->o, 0.75, 25000, 21000, 300);
	build(x);
	assert_silent(&x->pl, "tw-reuse-outgoing");
	assert_silent(&x->pl, "tw-reuse-needs-timestamps");
	assert_null(plan_find(&x->pl, REUSE));
}

/* The default 2 already covers a destination on loopback. */
static void reuse_outgoing_loopback_covered_by_2_does_nothing(void **state)
{
	struct ctx *x = *state;

	set_reuse(&x->o, 2, true);
	set_ports(&x->o, 0.75, 25000, 21000, 300);
	build(x);
	assert_silent(&x->pl, "tw-reuse-outgoing");
	assert_null(plan_find(&x->pl, REUSE));
}

/*
 * A reverse proxy: more incoming TIME_WAIT than outgoing, but its own
 * connections to one backend still run short of ports.  The destination
 * is judged on its own.
 */
static void reuse_outgoing_fires_on_a_reverse_proxy(void **state)
{
	struct ctx *x = *state;

	set_ports(&x->o, 0.4, 20000, 11000, 40000);
	build(x);
	assert_change(&x->pl, REUSE, "tw-reuse-outgoing", 2, 1);
}

/* Peers not known to lack timestamps (no connection open to look at). */
/*
 * No connection to the destination is open now: whether its peer sends
 * timestamps is not seen, so reuse is not counted on (a planned reuse
 * would lift the port limit of the bucket raise): advice instead.
 */
static void reuse_outgoing_with_peers_unknown_advises(void **state)
{
	struct ctx *x = *state;
	const struct plan_note *n;

	set_ports(&x->o, 0.3, 20000, 11000, 300);
	x->o.m[M_PEER_TIMESTAMPS] = NAN;
	x->o.why[M_PEER_TIMESTAMPS] = "no established connection";
	build(x);
	assert_silent(&x->pl, "tw-reuse-outgoing");
	assert_null(plan_find(&x->pl, REUSE));
	n = find_advice(&x->pl, "tw-reuse-needs-timestamps");
	assert_non_null(n);
	assert_int_equal(n->severity, SEV_WARNING);
	assert_contains(n->text, "not seen from the peers (share of its open "
				 "connections that send them: unknown; seeing "
				 "it needs a connection open at the time)");
}

static void reuse_needs_timestamps_advises_when_they_are_off(void **state)
{
	struct ctx *x = *state;
	const char *text;

	observe_set_sysctl(&x->o, TS, "0");
	set_ports(&x->o, 0.75, 25000, 21000, 300);
	build(x);
	assert_silent(&x->pl, "tw-reuse-outgoing");
	assert_null(plan_find(&x->pl, REUSE));
	text = assert_advice(&x->pl, "tw-reuse-needs-timestamps", SEV_WARNING);
	assert_contains(text, "25000 of the 28232 usable ephemeral ports");
	assert_contains(text, TS);
}

/* On here, but most of the destination's peers do not send them. */
static void reuse_needs_timestamps_from_the_peers(void **state)
{
	struct ctx *x = *state;
	const char *text;

	set_ports(&x->o, 0.75, 25000, 21000, 300);
	x->o.m[M_PEER_TIMESTAMPS] = 0.2;
	build(x);
	assert_silent(&x->pl, "tw-reuse-outgoing");
	assert_null(plan_find(&x->pl, REUSE));
	text = assert_advice(&x->pl, "tw-reuse-needs-timestamps", SEV_WARNING);
	assert_contains(text, "peers (share of its open connections that send "
			      "them: 0.2;");
}

static void reuse_needs_timestamps_quiet_without_pressure(void **state)
{
	struct ctx *x = *state;

	observe_set_sysctl(&x->o, TS, "0");
	set_ports(&x->o, 0.2, 5000, 21000, 300);
	build(x);
	assert_silent(&x->pl, "tw-reuse-needs-timestamps");
	assert_silent(&x->pl, "tw-reuse-outgoing");
}

/* --- buckets and ports decided together ---------------------------------- */

/*
 * Overflowing (demand 5596 -> 16384), but without reuse the ports hold
 * only 10000 TIME_WAIT sockets' worth: the raise stops there, and says so.
 */
static void trade_raise_stops_where_ports_would_run_out(void **state)
{
	struct ctx *x = *state;
	const struct plan_note *n;

	set_table(&x->o, 4096, 4096, 1500);
	set_port_limit(&x->o, 10000);
	observe_set_sysctl(&x->o, TS, "0");
	set_ports(&x->o, 0.3, 25000, 4000, 96);
	build(x);
	assert_change(&x->pl, TWB, "tw-buckets-headroom", 4096, 10000);
	n = find_note(&x->pl, "tw-buckets-headroom");
	if (!n)
		dump_plan(&x->pl);
	assert_non_null(n);
	assert_int_equal(n->severity, SEV_WARNING);
	assert_contains(n->text, "raised only to 10000, not 16384");
	assert_contains(n->text, "EADDRNOTAVAIL");
	assert_advice(&x->pl, "tw-reuse-needs-timestamps", SEV_WARNING);
}

/* The same, with reuse planned in the same run: the whole raise. */
static void trade_reuse_in_the_same_plan_lifts_the_limit(void **state)
{
	struct ctx *x = *state;

	set_table(&x->o, 4096, 4096, 1500);
	set_port_limit(&x->o, 10000);
	set_ports(&x->o, 0.3, 25000, 4000, 96);
	build(x);
	assert_change(&x->pl, TWB, "tw-buckets-headroom", 4096, 16384);
	assert_change(&x->pl, REUSE, "tw-reuse-outgoing", 2, 1);
	assert_null(find_note(&x->pl, "tw-buckets-headroom"));
}

/* A port limit at or below the live value: no raise at all. */
static void trade_no_room_for_any_raise(void **state)
{
	struct ctx *x = *state;
	const struct plan_key *k;

	set_table(&x->o, 4096, 4096, 1500);
	set_port_limit(&x->o, 3000);
	observe_set_sysctl(&x->o, TS, "0");
	set_ports(&x->o, 0.9, 25000, 4000, 96);
	build(x);
	assert_null(plan_find(&x->pl, TWB));
	k = find_key(&x->pl, TWB);
	assert_non_null(k);
	assert_false(k->change);
	assert_contains(find_note(&x->pl, "tw-buckets-headroom")->text,
			"raised only to 4096");
}

/* A limit above the planned value changes nothing. */
static void trade_limit_above_the_raise_changes_nothing(void **state)
{
	struct ctx *x = *state;

	set_table(&x->o, 4096, 4096, 1500);
	set_port_limit(&x->o, 16384);
	build(x);
	assert_change(&x->pl, TWB, "tw-buckets-headroom", 4096, 16384);
	assert_null(find_note(&x->pl, "tw-buckets-headroom"));
}

/* --- syn-flood-hint ------------------------------------------------------ */

static void syn_flood_many_peers_and_cookies_is_flagged(void **state)
{
	struct ctx *x = *state;
	const char *text;

	set_syn(&x->o, 5200, 4100, 12000, 0);
	build(x);
	text = assert_advice(&x->pl, "syn-flood-hint", SEV_CRITICAL);
	assert_contains(text, "5200 SYN_RECV sockets from 4100 addresses");
	assert_contains(text, "12000 SYN cookies");
	assert_contains(text, "0 listen queue overflows");
}

static void syn_flood_listen_overflows_alone_are_flagged(void **state)
{
	struct ctx *x = *state;
	const char *text;

	set_syn(&x->o, 300, 100, 0, 450);
	build(x);
	text = assert_advice(&x->pl, "syn-flood-hint", SEV_CRITICAL);
	assert_contains(text, "300 SYN_RECV sockets from 100 addresses");
	assert_contains(text, "450 listen queue overflows");
}

/* A burst from a few clients behind a proxy is load, not an attack. */
static void syn_flood_few_peers_is_not_flagged(void **state)
{
	struct ctx *x = *state;

	set_syn(&x->o, 5200, 99, 12000, 300);
	build(x);
	assert_silent(&x->pl, "syn-flood-hint");
}

static void syn_flood_without_cookies_or_overflows_not_flagged(void **state)
{
	struct ctx *x = *state;

	set_syn(&x->o, 5200, 4100, 0, 0);
	build(x);
	assert_silent(&x->pl, "syn-flood-hint");
}

/* --- port-range-widen and tw-reuse-delay --------------------------------- */

static void port_range_scarce_ports_with_reuse_on_is_advised(void **state)
{
	struct ctx *x = *state;
	const char *text;

	set_reuse(&x->o, 1, true);
	set_ports(&x->o, 0.9, 25500, 25000, 100);
	build(x);
	text = assert_advice(&x->pl, "port-range-widen", SEV_WARNING);
	assert_contains(text, "0.9 of the 28232 usable ephemeral ports");
	assert_contains(text, "(32768..60999)");
	assert_contains(text, PORTS);
	assert_contains(text, "IP_BIND_ADDRESS_NO_PORT");
	assert_silent(&x->pl, "tw-reuse-outgoing");
	assert_int_equal(x->pl.n_changes, 0);
}

/* Reuse not covering it yet: turning it on comes first. */
static void port_range_not_advised_before_reuse_is_on(void **state)
{
	struct ctx *x = *state;

	set_ports(&x->o, 0.9, 25500, 25000, 100);
	build(x);
	assert_silent(&x->pl, "port-range-widen");
	assert_silent(&x->pl, "tw-reuse-delay");
	assert_change(&x->pl, REUSE, "tw-reuse-outgoing", 2, 1);
}

static void port_range_not_advised_below_80_percent(void **state)
{
	struct ctx *x = *state;

	set_reuse(&x->o, 1, true);
	set_ports(&x->o, 0.79, 25500, 25000, 100);
	build(x);
	assert_silent(&x->pl, "port-range-widen");
	assert_silent(&x->pl, "tw-reuse-delay");
}

static void reuse_delay_scarce_ports_with_a_long_delay_advised(void **state)
{
	struct ctx *x = *state;
	const char *text;

	set_reuse(&x->o, 1, true);
	set_ports(&x->o, 0.9, 25500, 25000, 100);
	build(x);
	text = assert_advice(&x->pl, "tw-reuse-delay", SEV_INFO);
	assert_contains(text, DELAY);
	assert_contains(text, "1..60000");
	assert_null(plan_find(&x->pl, DELAY));
}

static void reuse_delay_already_short_is_not_advised(void **state)
{
	struct ctx *x = *state;

	set_reuse(&x->o, 1, true);
	observe_set_sysctl(&x->o, DELAY, "100");
	set_ports(&x->o, 0.9, 25500, 25000, 100);
	build(x);
	assert_silent(&x->pl, "tw-reuse-delay");
	assert_advice(&x->pl, "port-range-widen", SEV_WARNING);
}

/*
 * Before Linux 6.14 there is no tcp_tw_reuse_delay: nothing to advise,
 * and nothing undecided either (the sysctl is not missing data, the
 * kernel just has no such knob), as for tw-recycle-off.
 */
static void reuse_delay_absent_before_6_14_does_nothing(void **state)
{
	struct ctx *x = *state;

	set_reuse(&x->o, 1, true);
	observe_set_sysctl(&x->o, DELAY, NULL);
	set_ports(&x->o, 0.9, 25500, 25000, 100);
	build(x);
	assert_advice(&x->pl, "port-range-widen", SEV_WARNING);
	assert_silent(&x->pl, "tw-reuse-delay");
}

/* --- without socket-level metrics (--no-sockets) ------------------------- */

static void assert_socket_rules_never_act(const struct plan *pl)
{
	for (size_t i = 0; i < ARRAY_SIZE(socket_rules); i++) {
		const char *id = socket_rules[i];

		if (find_advice(pl, id) || find_note(pl, id)) {
			dump_plan(pl);
			fail_msg("rule %s acted without socket metrics", id);
		}
	}
	if (find_key(pl, REUSE)) {
		dump_plan(pl);
		fail_msg(REUSE " decided without socket metrics");
	}
	assert_null(plan_find(pl, REUSE));
}

/* Everything else points at reuse: only port_pressure etc. are unknown. */
static void no_sockets_reuse_outgoing_is_undecided(void **state)
{
	struct ctx *x = *state;

	no_sockets(&x->o);
	set_syn(&x->o, NAN, NAN, 12000, 0);
	build(x);
	assert_socket_rules_never_act(&x->pl);
	/* the peers' timestamps are not seen without the dump: never */
	assert_silent(&x->pl, "tw-reuse-outgoing");
	assert_undecided(&x->pl, "syn-flood-hint",
			 "syn_recv_peers: --no-sockets");
	/* timestamps on here, the peers' not seen: it depends on the ports */
	assert_undecided(&x->pl, "tw-reuse-needs-timestamps",
			 "port_demand: --no-sockets");
	/* tcp_tw_reuse 2 may cover the destination, if on loopback */
	assert_undecided(&x->pl, "port-range-widen",
			 "port_pressure: --no-sockets");
	assert_undecided(&x->pl, "tw-reuse-delay",
			 "reuse_effective: --no-sockets");
}

static void no_sockets_with_reuse_on_advises_nothing(void **state)
{
	struct ctx *x = *state;

	no_sockets(&x->o);
	observe_set_sysctl(&x->o, REUSE, "1");
	build(x);
	assert_socket_rules_never_act(&x->pl);
	assert_silent(&x->pl, "tw-reuse-outgoing");
	assert_undecided(&x->pl, "port-range-widen",
			 "port_pressure: --no-sockets");
	assert_undecided(&x->pl, "tw-reuse-delay",
			 "port_pressure: --no-sockets");
	/* no SYN cookies, no listen overflows: false without the peers */
	assert_silent(&x->pl, "syn-flood-hint");
}

static void no_sockets_with_timestamps_off_advises_nothing(void **state)
{
	struct ctx *x = *state;

	no_sockets(&x->o);
	observe_set_sysctl(&x->o, TS, "0");
	build(x);
	assert_socket_rules_never_act(&x->pl);
	assert_silent(&x->pl, "tw-reuse-outgoing");
	assert_undecided(&x->pl, "tw-reuse-needs-timestamps",
			 "port_demand: --no-sockets");
}

/* tcp_tw_reuse = 1 covers every destination: nothing to check. */
static void no_sockets_raise_with_reuse_on_needs_no_port_check(void **state)
{
	struct ctx *x = *state;

	no_sockets(&x->o);
	x->o.kernel.reuse_loopback = 1;
	observe_set_sysctl(&x->o, REUSE, "1");
	set_table(&x->o, 4096, 4096, 1500);
	build(x);
	assert_change(&x->pl, TWB, "tw-buckets-headroom", 4096, 16384);
	assert_null(find_note(&x->pl, "tw-buckets-headroom"));
}

/* The O(1) rules do not need the dump: they still act. */
static void no_sockets_cheap_rules_still_act(void **state)
{
	struct ctx *x = *state;

	const struct plan_note *n;

	no_sockets(&x->o);
	x->o.kernel.reuse_loopback = 1; /* 6.14: tcp_tw_reuse 2 is loopback */
	set_table(&x->o, 4096, 4096, 1500);
	observe_set_sysctl(&x->o, RECYCLE, "1");
	observe_set_sysctl(&x->o, FIN, "30");
	build(x);
	assert_change(&x->pl, TWB, "tw-buckets-headroom", 4096, 16384);
	/* the ports could not be checked: said */
	n = find_note(&x->pl, "tw-buckets-headroom");
	assert_non_null(n);
	assert_int_equal(n->severity, SEV_WARNING);
	assert_contains(n->text, "raised without the port check (no socket "
				 "dump: --no-sockets)");
	assert_change(&x->pl, RECYCLE, "tw-recycle-off", 1, 0);
	/* myth or fact depends on the FIN_WAIT2 share, which is unknown */
	assert_undecided(&x->pl, "fin-timeout-myth",
			 "tw_fin_wait2: --no-sockets");
	assert_int_equal(x->pl.n_changes, 2);
	assert_socket_rules_never_act(&x->pl);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, rules_setup, rules_teardown)
	const struct CMUnitTest tests[] = {
		T(shipped_policies_hold_the_eleven_rules),
		T(quiet_host_fires_no_rule),

		T(headroom_overflowing_table_gets_twice_the_demand),
		T(headroom_any_overflow_fires_below_80_percent),
		T(headroom_table_at_80_percent_fires),
		T(headroom_table_below_80_percent_is_left_alone),
		T(headroom_at_least_doubles_the_table),
		T(headroom_is_capped_at_1_percent_of_memory),
		T(headroom_capped_reason_does_not_claim_twice_demand),
		T(headroom_never_lowers_the_table),
		T(headroom_is_capped_at_4_per_ehash_bucket),
		T(headroom_without_ehash_size_uses_the_other_bounds),
		T(headroom_stops_at_int_max),
		T(headroom_leaves_an_unlimited_table_alone_with_a_note),
		T(headroom_unlimited_table_without_overflows_is_silent),
		T(headroom_full_table_without_baseline_plans_at_least_double),

		T(saturated_old_kernel_with_log_evidence_doubles),
		T(old_kernel_without_messages_is_silent),
		T(old_kernel_with_messages_but_room_now),
		T(old_kernel_without_a_log_is_undecided),
		T(openvz_container_overflow_is_advised),
		T(openvz_node_full_is_the_nodes_limit),

		T(headroom_backs_off_a_key_an_administrator_changed),
		T(headroom_reclaim_plans_the_key_again),
		T(headroom_reclaim_of_another_key_still_backs_off),
		T(headroom_own_last_write_is_no_reason_to_back_off),

		T(recycle_on_an_old_kernel_is_turned_off),
		T(recycle_absent_on_a_modern_kernel_does_nothing),
		T(recycle_never_read_does_nothing),
		T(recycle_already_off_does_nothing),

		T(fin_timeout_lowered_on_a_busy_table_is_a_myth),
		T(fin_timeout_at_the_default_60_says_nothing),
		T(fin_timeout_lowered_on_a_quiet_table_says_nothing),

		T(fin_wait2_share_advises_a_lower_fin_timeout),
		T(fin_wait2_share_already_lowered_is_a_fact_not_a_myth),
		T(fin_wait2_small_share_is_not_advised),

		T(reuse_outgoing_port_demand_turns_reuse_on),
		T(reuse_outgoing_turns_reuse_on_from_0_at_half),
		T(reuse_outgoing_below_half_the_ports_does_nothing),
		T(reuse_outgoing_reuse_already_on_does_nothing),
		T(reuse_outgoing_loopback_covered_by_2_does_nothing),
		T(reuse_outgoing_fires_on_a_reverse_proxy),
		T(reuse_outgoing_with_peers_unknown_advises),
		T(reuse_needs_timestamps_advises_when_they_are_off),
		T(reuse_needs_timestamps_from_the_peers),
		T(reuse_needs_timestamps_quiet_without_pressure),

		T(trade_raise_stops_where_ports_would_run_out),
		T(trade_reuse_in_the_same_plan_lifts_the_limit),
		T(trade_no_room_for_any_raise),
		T(trade_limit_above_the_raise_changes_nothing),

		T(syn_flood_many_peers_and_cookies_is_flagged),
		T(syn_flood_listen_overflows_alone_are_flagged),
		T(syn_flood_few_peers_is_not_flagged),
		T(syn_flood_without_cookies_or_overflows_not_flagged),

		T(port_range_scarce_ports_with_reuse_on_is_advised),
		T(port_range_not_advised_before_reuse_is_on),
		T(port_range_not_advised_below_80_percent),
		T(reuse_delay_scarce_ports_with_a_long_delay_advised),
		T(reuse_delay_already_short_is_not_advised),
		T(reuse_delay_absent_before_6_14_does_nothing),

		T(no_sockets_reuse_outgoing_is_undecided),
		T(no_sockets_with_reuse_on_advises_nothing),
		T(no_sockets_with_timestamps_off_advises_nothing),
		T(no_sockets_raise_with_reuse_on_needs_no_port_check),
		T(no_sockets_cheap_rules_still_act),
	};
#undef T

	return cmocka_run_group_tests_name("rules", tests, NULL, NULL) ? 1 : 0;
}
