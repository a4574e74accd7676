// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for why.c, on socket dumps and observations built by hand:
 * the causes biggest first and at most WHY_MAX, each with its share and
 * the advice of its kind (keep-alive for a server that closes first, with
 * nginx's keepalive_timeout and the SO_LINGER warning; a pool for a
 * client; both ways for one owner that is a proxy; the port with nothing
 * listening), addresses as text (IPv6 in brackets), who is named and how;
 * no causes without a dump or an ephemeral range, with the reason; the
 * churn line; and, for a full table, the caveat and the direction of the
 * overflow: decided by the churn where one side's rate cannot carry it,
 * else by the table's own split, else unknown.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>

#include "testutil.h"
#include "why.h"

static void contains(const char *text, const char *want)
{
	if (!text || !strstr(text, want))
		fail_msg("no \"%s\" in \"%s\"", want, text ? text : "(null)");
}

static void lacks(const char *text, const char *unwanted)
{
	if (text && strstr(text, unwanted))
		fail_msg("\"%s\" in \"%s\"", unwanted, text);
}

/* A collected dump with tw TIME_WAIT, of which out are outgoing. */
static void dump(struct sock_stats *st, uint64_t tw, uint64_t out)
{
	memset(st, 0, sizeof(*st));
	st->collected = true;
	st->eph_lo = 32768;
	st->eph_hi = 60999;
	st->states[TCP_TIME_WAIT] = tw;
	st->tw_outgoing = out;
	st->tw_incoming = tw - out;
}

static struct sock_cause *incoming(struct sock_stats *st, unsigned port,
				   uint64_t tw, const char *process, int pid,
				   const char *unit)
{
	struct sock_cause *c = &st->causes[st->n_causes++];

	c->port = port;
	c->time_wait = tw;
	c->listening = true;
	snprintf(c->process, sizeof(c->process), "%s", process);
	c->pid = pid;
	snprintf(c->unit, sizeof(c->unit), "%s", unit);
	snprintf(c->how, sizeof(c->how), "%s",
		 process[0] ? "the only process in cgroup /x" : "not named: x");
	return c;
}

static struct sock_cause *outgoing(struct sock_stats *st, const char *addr,
				   unsigned port, uint64_t tw,
				   const char *process, int pid)
{
	struct sock_cause *c = &st->causes[st->n_causes++];

	c->outgoing = true;
	c->family = strchr(addr, ':') ? AF_INET6 : AF_INET;
	assert_int_equal(inet_pton(c->family, addr, c->remote), 1);
	c->port = port;
	c->time_wait = tw;
	snprintf(c->process, sizeof(c->process), "%s", process);
	c->pid = pid;
	snprintf(c->how, sizeof(c->how), "%s",
		 process[0] ? "its socket is in /proc/1/fd"
			    : "not named: no connection to it is open now");
	return c;
}

/* Every metric unknown but the ephemeral range; a table far from full. */
static void observation(struct observation *o)
{
	memset(o, 0, sizeof(*o));
	for (int i = 0; i < METRIC_COUNT; i++)
		o->m[i] = NAN;
	o->m[M_EPHEMERAL_PORTS] = 28232;
	o->m[M_TW_RATIO] = 0.1;
	o->m[M_TW_SATURATED] = 0;
	o->why[M_ACTIVE_OPEN_RATE] = "no baseline";
	o->why[M_PASSIVE_OPEN_RATE] = "no baseline";
	o->tw_lifetime = 60;
	o->window = NAN;
}

static void server_closing_first_is_told_to_keep_alive(void **state)
{
	struct sock_stats st;
	struct observation o;
	struct why w;
	const struct why_cause *c;

	(void)state;
	dump(&st, 400, 0);
	incoming(&st, 8080, 300, "shopfront", 4242, "shopfront.service");
	observation(&o);
	why_diagnose(&st, &o, false, &w);
	assert_true(w.known);
	assert_int_equal(w.time_wait, 400);
	assert_int_equal(w.n, 1);
	c = &w.causes[0];
	assert_int_equal(c->kind, WHY_INCOMING);
	assert_int_equal(c->local_port, 8080);
	assert_string_equal(c->remote, "");
	assert_int_equal(c->time_wait, 300);
	assert_num(c->share, 0.75);
	assert_string_equal(c->process, "shopfront");
	assert_int_equal(c->pid, 4242);
	assert_string_equal(c->unit, "shopfront.service");
	contains(c->how, "cgroup");
	contains(c->advice, "shopfront closes the connections it accepts on "
			    ":8080 first");
	contains(c->advice, "keep-alive");
	contains(c->advice, "let clients close first");
	contains(c->advice, "keepalive_timeout");
	contains(c->advice, "upstream");
	contains(c->advice, "SO_LINGER {1, 0}");
	lacks(c->advice, "pool");
	assert_false(c->proxy);
	/* a table far from full has no caveat */
	assert_false(w.full);
	assert_int_equal(w.overflow_dir, WHY_DIR_NONE);
	assert_string_equal(w.caveat, "");
}

static void client_opening_per_request_is_told_to_pool(void **state)
{
	struct sock_stats st;
	struct observation o;
	struct why w;
	const struct why_cause *c;

	(void)state;
	dump(&st, 200, 200);
	outgoing(&st, "10.0.0.5", 5432, 200, "billing", 777);
	outgoing(&st, "2001:db8::9", 443, 0, "", 0); /* holds none: left out */
	observation(&o);
	why_diagnose(&st, &o, false, &w);
	assert_int_equal(w.n, 1);
	c = &w.causes[0];
	assert_int_equal(c->kind, WHY_OUTGOING);
	assert_int_equal(c->local_port, 0);
	assert_string_equal(c->remote, "10.0.0.5:5432");
	assert_num(c->share, 1);
	assert_string_equal(c->process, "billing");
	assert_int_equal(c->pid, 777);
	assert_null(c->unit);
	contains(c->advice, "billing opens a new connection to 10.0.0.5:5432");
	contains(c->advice, "connection pool");
	lacks(c->advice, "SO_LINGER");
}

static void ipv6_destination_is_bracketed_and_unnamed_says_so(void **state)
{
	struct sock_stats st;
	struct observation o;
	struct why w;

	(void)state;
	dump(&st, 10, 10);
	outgoing(&st, "2001:db8::9", 443, 10, "", 0);
	observation(&o);
	why_diagnose(&st, &o, false, &w);
	assert_string_equal(w.causes[0].remote, "[2001:db8::9]:443");
	assert_null(w.causes[0].process);
	assert_int_equal(w.causes[0].pid, 0);
	contains(w.causes[0].how, "no connection to it is open now");
	contains(w.causes[0].advice, "a process of this host opens");
}

static void port_without_listener_is_not_called_a_server(void **state)
{
	struct sock_stats st;
	struct observation o;
	struct why w;

	(void)state;
	dump(&st, 10, 0);
	incoming(&st, 7000, 10, "", 0, "")->listening = false;
	observation(&o);
	why_diagnose(&st, &o, false, &w);
	contains(w.causes[0].advice, "nothing listens on :7000 now");
	lacks(w.causes[0].advice, "keepalive_timeout");
}

static void causes_come_biggest_first_and_at_most_five(void **state)
{
	struct sock_stats st;
	struct observation o;
	struct why w;
	static const uint64_t in[] = { 10, 70, 30, 20, 5 };
	static const uint64_t out[] = { 60, 40, 50, 1, 2 };
	static const uint64_t want[] = { 70, 60, 50, 40, 30 };

	(void)state;
	dump(&st, 1000, 153);
	for (size_t i = 0; i < SOCK_CAUSES; i++)
		incoming(&st, 8000 + (unsigned)i, in[i], "", 0, "");
	for (size_t i = 0; i < SOCK_CAUSES; i++)
		outgoing(&st, "192.0.2.1", 9000 + (unsigned)i, out[i], "", 0);
	observation(&o);
	why_diagnose(&st, &o, false, &w);
	assert_int_equal(w.n, WHY_MAX);
	assert_int_equal(w.more, 2 * SOCK_CAUSES - WHY_MAX);
	for (size_t i = 0; i < WHY_MAX; i++)
		assert_int_equal(w.causes[i].time_wait, want[i]);
	assert_int_equal(w.causes[0].kind, WHY_INCOMING);
	assert_int_equal(w.causes[0].local_port, 8001);
	assert_string_equal(w.causes[1].remote, "192.0.2.1:9000");
	assert_num(w.causes[4].share, 0.03);
}

static void one_owner_both_ways_is_a_proxy(void **state)
{
	struct sock_stats st;
	struct observation o;
	struct why w;

	(void)state;
	dump(&st, 300, 100);
	incoming(&st, 80, 200, "nginx", 31, "nginx.service");
	outgoing(&st, "10.0.0.9", 8080, 100, "nginx", 31);
	incoming(&st, 9000, 50, "other", 32, "other.service");
	observation(&o);
	why_diagnose(&st, &o, false, &w);
	assert_int_equal(w.n, 3);
	for (size_t i = 0; i < 2; i++) {
		assert_true(w.causes[i].proxy);
		contains(w.causes[i].advice, "nginx churns both ways");
		contains(w.causes[i].advice, ":80");
		contains(w.causes[i].advice, "10.0.0.9:8080");
		contains(w.causes[i].advice, "keepalive in the upstream block");
	}
	assert_false(w.causes[2].proxy);
	lacks(w.causes[2].advice, "both ways");
	/* the same comm in different processes is not one owner */
	dump(&st, 300, 100);
	incoming(&st, 80, 200, "python3", 31, "");
	outgoing(&st, "10.0.0.9", 8080, 100, "python3", 40);
	why_diagnose(&st, &o, false, &w);
	assert_false(w.causes[0].proxy);
	assert_false(w.causes[1].proxy);
}

static void no_dump_or_no_range_gives_no_causes_and_says_why(void **state)
{
	struct sock_stats st;
	struct observation o;
	struct why w;

	(void)state;
	observation(&o);
	why_diagnose(NULL, &o, false, &w);
	assert_false(w.known);
	assert_non_null(w.unknown);
	dump(&st, 10, 0);
	st.collected = false;
	snprintf(st.error, sizeof(st.error), "--no-sockets");
	why_diagnose(&st, &o, false, &w);
	assert_false(w.known);
	assert_string_equal(w.unknown, "--no-sockets");
	assert_int_equal(w.n, 0);
	dump(&st, 10, 0);
	incoming(&st, 80, 10, "", 0, "");
	o.m[M_EPHEMERAL_PORTS] = NAN;
	why_diagnose(&st, &o, false, &w);
	assert_false(w.known);
	contains(w.unknown, "ip_local_port_range");
	assert_int_equal(w.n, 0);
	/* the churn is told either way */
	contains(w.churn, "unknown (no baseline)");
}

static void churn_line_gives_both_rates(void **state)
{
	struct sock_stats st;
	struct observation o;
	struct why w;

	(void)state;
	dump(&st, 0, 0);
	observation(&o);
	o.m[M_ACTIVE_OPEN_RATE] = 12.54;
	o.m[M_PASSIVE_OPEN_RATE] = 3;
	o.window = 10;
	why_diagnose(&st, &o, false, &w);
	assert_string_equal(w.churn, "12.5/s opened by this host, 3/s "
				     "accepted (over the last 10 s)");
	assert_int_equal(w.n, 0);
}

/* A full table: 2000 held, 500/s overflowing over 10 s. */
static void full(struct observation *o, double active, double passive)
{
	observation(o);
	o->m[M_TW_RATIO] = 1;
	o->m[M_TW_SATURATED] = 1;
	o->m[M_TW_OVERFLOW_DELTA] = 5000;
	o->m[M_TW_OVERFLOW_RATE] = 500;
	o->m[M_ACTIVE_OPEN_RATE] = active;
	o->m[M_PASSIVE_OPEN_RATE] = passive;
	o->window = 10;
}

static void full_table_overflow_is_outgoing_when_few_are_accepted(void **state)
{
	struct sock_stats st;
	struct observation o;
	struct why w;

	(void)state;
	/* the table is split, but 533/s cannot come from 10/s accepted */
	dump(&st, 2000, 1000);
	full(&o, 520, 10);
	why_diagnose(&st, &o, false, &w);
	assert_true(w.full);
	assert_int_equal(w.overflow_dir, WHY_DIR_OUTGOING);
	contains(w.caveat, "the dump holds only the 2000 TIME_WAIT sockets "
			   "that got a bucket");
	contains(w.caveat, "5000 more closed without one in the last 10 s "
			   "(500/s)");
	contains(w.caveat, "most likely outgoing");
	contains(w.caveat, "more than the 10/s connections accepted");
	contains(w.caveat, "at least 98% of it is outgoing");
	assert_string_equal(why_dir_names[w.overflow_dir], "outgoing");
}

static void full_table_overflow_is_incoming_when_few_are_opened(void **state)
{
	struct sock_stats st;
	struct observation o;
	struct why w;

	(void)state;
	dump(&st, 2000, 1000);
	full(&o, 0, 600);
	why_diagnose(&st, &o, false, &w);
	assert_int_equal(w.overflow_dir, WHY_DIR_INCOMING);
	contains(w.caveat, "more than the 0/s connections opened");
	contains(w.caveat, "at least 100% of it is incoming");
}

/*
 * Loopback counts every connection both ways: the churn cannot tell, and
 * the split of what the table admitted in the last 10 s decides, or says
 * it is both.  With too few of those, what it holds came before the
 * overflow: unknown.
 */
static void full_table_without_churn_evidence_follows_the_table(void **state)
{
	struct sock_stats st;
	struct observation o;
	struct why w;

	(void)state;
	dump(&st, 2000, 2000);
	st.tw_young_out = 300;
	full(&o, 533, 533);
	why_diagnose(&st, &o, false, &w);
	assert_int_equal(w.overflow_dir, WHY_DIR_OUTGOING);
	contains(w.caveat, "the TIME_WAIT that got a bucket in the last 10 s "
			   "is 100% outgoing and 0% incoming");
	contains(w.caveat, "does not tell the two apart");
	dump(&st, 2000, 1000);
	st.tw_young_out = 200;
	st.tw_young_in = 100;
	why_diagnose(&st, &o, false, &w);
	assert_int_equal(w.overflow_dir, WHY_DIR_BOTH);
	contains(w.caveat, "The overflow is both ways");
	/* what entered lately outweighs the older sockets */
	dump(&st, 2000, 1000);
	st.tw_young_out = 30;
	st.tw_young_in = 0;
	why_diagnose(&st, &o, false, &w);
	assert_int_equal(w.overflow_dir, WHY_DIR_OUTGOING);
	contains(w.caveat, "the TIME_WAIT that got a bucket in the last 10 s "
			   "is 100% outgoing");
	/*
	 * Too few of them: the table was filled before the overflow (the
	 * report that once blamed 2000 incoming sockets for 4000 outgoing
	 * overflows), so the direction is unknown.
	 */
	st.tw_young_out = 9;
	why_diagnose(&st, &o, false, &w);
	assert_int_equal(w.overflow_dir, WHY_DIR_UNKNOWN);
	contains(w.caveat, "The overflow is of unknown direction: only 9 of "
			   "the TIME_WAIT in the table got a bucket in the "
			   "last 10 s, too few to stand for what overflowed, "
			   "and the churn (533/s opened, 533/s accepted) does "
			   "not tell the two apart");
	/* 2000 incoming filled the table, then outgoing connections
	 * overflowed it; none of the old ones tells the direction */
	dump(&st, 2000, 0);
	why_diagnose(&st, &o, false, &w);
	assert_int_equal(w.overflow_dir, WHY_DIR_UNKNOWN);
	contains(w.caveat, "only 0 of the TIME_WAIT");
	/* a full table that does not overflow: its split stands */
	o.m[M_TW_OVERFLOW_DELTA] = 0;
	o.m[M_TW_OVERFLOW_RATE] = 0;
	why_diagnose(&st, &o, false, &w);
	assert_int_equal(w.overflow_dir, WHY_DIR_INCOMING);
	contains(w.caveat, "the table holds TIME_WAIT 0% outgoing and 100% "
			   "incoming");
	/* no churn at all: the split, without a word about it */
	dump(&st, 2000, 200);
	st.tw_young_in = 50;
	full(&o, NAN, NAN);
	why_diagnose(&st, &o, false, &w);
	assert_int_equal(w.overflow_dir, WHY_DIR_INCOMING);
	lacks(w.caveat, "churn");
	/* nothing in the dump: unknown */
	dump(&st, 0, 0);
	why_diagnose(&st, &o, false, &w);
	assert_int_equal(w.overflow_dir, WHY_DIR_UNKNOWN);
	contains(w.caveat, "unknown direction");
}

static void syn_flood_refers_to_its_advice(void **state)
{
	struct sock_stats st;
	struct observation o;
	struct why w;

	(void)state;
	dump(&st, 10, 0);
	observation(&o);
	o.m[M_SYN_RECV_PEERS] = 2000;
	why_diagnose(&st, &o, false, &w);
	assert_string_equal(w.syn_flood, "");
	why_diagnose(&st, &o, true, &w);
	contains(w.syn_flood, "2000 addresses");
	contains(w.syn_flood, "syn-flood-hint");
}

/*
 * A full table that no longer turns over (nothing opened or accepted):
 * the arrivals its size implies are not connections, and the churn says
 * nothing; nor is there an overflow to speak of.
 */
static void a_stale_table_is_not_judged_by_its_churn(void **state)
{
	struct sock_stats st;
	struct observation o;
	struct why w;

	(void)state;
	dump(&st, 50, 0);
	full(&o, 0, 0);
	o.m[M_TW_OVERFLOW_DELTA] = 0;
	o.m[M_TW_OVERFLOW_RATE] = 0;
	why_diagnose(&st, &o, false, &w);
	assert_int_equal(w.overflow_dir, WHY_DIR_INCOMING);
	lacks(w.caveat, "connections accepted, so at least");
	contains(w.caveat, "No overflow was counted; what enters it is most "
			   "likely incoming: the table holds TIME_WAIT 0% "
			   "outgoing and 100% incoming");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(server_closing_first_is_told_to_keep_alive),
		cmocka_unit_test(client_opening_per_request_is_told_to_pool),
		cmocka_unit_test(
			ipv6_destination_is_bracketed_and_unnamed_says_so),
		cmocka_unit_test(port_without_listener_is_not_called_a_server),
		cmocka_unit_test(causes_come_biggest_first_and_at_most_five),
		cmocka_unit_test(one_owner_both_ways_is_a_proxy),
		cmocka_unit_test(
			no_dump_or_no_range_gives_no_causes_and_says_why),
		cmocka_unit_test(churn_line_gives_both_rates),
		cmocka_unit_test(
			full_table_overflow_is_outgoing_when_few_are_accepted),
		cmocka_unit_test(
			full_table_overflow_is_incoming_when_few_are_opened),
		cmocka_unit_test(
			full_table_without_churn_evidence_follows_the_table),
		cmocka_unit_test(a_stale_table_is_not_judged_by_its_churn),
		cmocka_unit_test(syn_flood_refers_to_its_advice),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
