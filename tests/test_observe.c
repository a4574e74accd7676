// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for observe.c: the strict parsers of /proc/net/sockstat,
 * /proc/net/netstat, /proc/meminfo and /proc/slabinfo (real formats,
 * columns found by name, every malformed input an error with a reason),
 * the derived metrics (ratio, deltas, rate, demand, and
 * when a baseline must be refused), and observe_collect() over a fake
 * proc tree built in a temporary directory.
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
#include "tunables.h"
#include "util.h"
#include "testutil.h"

#define BOOT "0b5e6c0e-1d2a-4c3b-9f1e-2a3b4c5d6e7f"
#define OTHER_BOOT "ffffffff-1d2a-4c3b-9f1e-2a3b4c5d6e7f"
#define NETNS 4026531840ULL

/* ---- /proc/net/sockstat ------------------------------------------------- */

static const char sockstat_real[] =
	"sockets: used 9\n"
	"TCP: inuse 1 orphan 0 tw 9 alloc 1 mem 170\n"
	"UDP: inuse 0 mem 0\n"
	"UDPLITE: inuse 0\n"
	"RAW: inuse 0\n"
	"FRAG: inuse 0 memory 0\n";

static void sockstat_reads_the_tcp_line(void **state)
{
	struct sockstat ss = { -1, -1, -1, -1 };
	char err[160] = "";

	(void)state;
	assert_int_equal(observe_parse_sockstat(sockstat_real, &ss, err,
						sizeof(err)),
			 0);
	assert_int_equal(ss.inuse, 1);
	assert_int_equal(ss.orphan, 0);
	assert_int_equal(ss.tw, 9);
	assert_int_equal(ss.alloc, 1);
}

static void sockstat_finds_fields_by_name_in_any_order(void **state)
{
	struct sockstat ss = { -1, -1, -1, -1 };
	char err[160] = "";

	(void)state;
	assert_int_equal(observe_parse_sockstat("sockets: used 3\n"
						"TCP: mem 1 alloc 44 tw 262144 "
						"orphan 7 inuse 30\n",
						&ss, err, sizeof(err)),
			 0);
	assert_int_equal(ss.inuse, 30);
	assert_int_equal(ss.orphan, 7);
	assert_int_equal(ss.tw, 262144);
	assert_int_equal(ss.alloc, 44);
}

static void sockstat_without_tw_is_an_error_naming_it(void **state)
{
	struct sockstat ss;
	char err[160] = "";

	(void)state;
	assert_int_equal(
		observe_parse_sockstat("TCP: inuse 1 orphan 0 alloc 1 mem 1\n",
				       &ss, err, sizeof(err)),
		-EINVAL);
	assert_string_equal(err, "TCP line has no \"tw\" field");
}

static void sockstat_rejects_a_count_that_is_not_a_number(void **state)
{
	struct sockstat ss;
	char err[160] = "";

	(void)state;
	assert_int_equal(observe_parse_sockstat(
				 "TCP: inuse 1 orphan 0 tw many alloc 1\n", &ss,
				 err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "TCP tw: not a count: \"many\"");
	assert_int_equal(
		observe_parse_sockstat("TCP: inuse 1 orphan 0 tw 9x alloc 1\n",
				       &ss, err, sizeof(err)),
		-EINVAL);
	assert_string_equal(err, "TCP tw: not a count: \"9x\"");
	/* a name at the end of the line with no value */
	assert_int_equal(
		observe_parse_sockstat("TCP: inuse 1 orphan 0 alloc 1 tw\n",
				       &ss, err, sizeof(err)),
		-EINVAL);
	assert_string_equal(err, "TCP tw: not a count: \"\"");
}

static void sockstat_rejects_a_negative_count(void **state)
{
	struct sockstat ss;
	char err[160] = "";

	(void)state;
	assert_int_equal(
		observe_parse_sockstat("TCP: inuse -1 orphan 0 tw 1 alloc 1\n",
				       &ss, err, sizeof(err)),
		-EINVAL);
	assert_string_equal(err, "TCP inuse: not a count: \"-1\"");
}

static void sockstat_without_a_tcp_line_is_an_error(void **state)
{
	struct sockstat ss;
	char err[160] = "";

	(void)state;
	/* TCP6: is not TCP: */
	assert_int_equal(observe_parse_sockstat("sockets: used 9\n"
						"TCP6: inuse 1\n"
						"UDP: inuse 0 mem 0\n",
						&ss, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "no \"TCP:\" line");
	assert_int_equal(observe_parse_sockstat("", &ss, err, sizeof(err)),
			 -EINVAL);
}

/* ---- /proc/net/netstat -------------------------------------------------- */

static const char *const ext_names[] = { "TCPTimeWaitOverflow",
					 "SyncookiesSent", "ListenOverflows" };

static int parse_ext(const char *text, double *vals, bool *found, char *err,
		     size_t errlen)
{
	return observe_parse_netstat(text, "TcpExt", ext_names, vals, found,
				     ARRAY_SIZE(ext_names), err, errlen);
}

/* Two answers to one question: refused, never a guess at which is true. */
static void netstat_refuses_a_second_pair_or_column(void **state)
{
	static const char pairs[] =
		"TcpExt: TCPTimeWaitOverflow\nTcpExt: 1\n"
		"TcpExt: TCPTimeWaitOverflow\nTcpExt: 2\n";
	static const char columns[] =
		"TcpExt: TCPTimeWaitOverflow TW TCPTimeWaitOverflow\n"
		"TcpExt: 1 2 3\n";
	double v[3];
	bool found[3];
	char err[160] = "";

	(void)state;
	assert_int_equal(parse_ext(pairs, v, found, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "more than one \"TcpExt:\" header and value");
	assert_int_equal(parse_ext(columns, v, found, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err,
			    "TcpExt TCPTimeWaitOverflow: the column appears twice");
}

static void netstat_finds_columns_by_name_in_any_order(void **state)
{
	/* the same counters, in kernel order and shuffled */
	static const char a[] =
		"TcpExt: SyncookiesSent SyncookiesRecv TW ListenOverflows "
		"ListenDrops TCPTimeWaitOverflow TCPReqQFullDrop\n"
		"TcpExt: 5 6 7 8 9 1234 11\n"
		"IpExt: InNoRoutes InTruncatedPkts InOctets\n"
		"IpExt: 1 2 3\n";
	static const char b[] =
		"IpExt: InOctets InNoRoutes\n"
		"IpExt: 3 1\n"
		"TcpExt: TCPReqQFullDrop TCPTimeWaitOverflow TW ListenDrops "
		"ListenOverflows SyncookiesRecv SyncookiesSent\n"
		"TcpExt: 11 1234 7 9 8 6 5\n";
	double va[3] = { -1, -1, -1 }, vb[3] = { -2, -2, -2 };
	bool fa[3], fb[3];
	char err[160] = "";

	(void)state;
	assert_int_equal(parse_ext(a, va, fa, err, sizeof(err)), 0);
	assert_int_equal(parse_ext(b, vb, fb, err, sizeof(err)), 0);
	for (int i = 0; i < 3; i++) {
		assert_true(fa[i]);
		assert_true(fb[i]);
		assert_num(va[i], vb[i]);
	}
	assert_num(va[0], 1234);
	assert_num(va[1], 5);
	assert_num(va[2], 8);
}

static void netstat_prefix_matches_only_at_a_line_start(void **state)
{
	/* MPTcpExt ends in "TcpExt:" but is another table */
	static const char text[] =
		"MPTcpExt: TCPTimeWaitOverflow SyncookiesSent ListenOverflows\n"
		"MPTcpExt: 90 91 92\n"
		"TcpExt: ListenOverflows TCPTimeWaitOverflow SyncookiesSent\n"
		"TcpExt: 3 1 2\n";
	double v[3];
	bool f[3];
	char err[160] = "";

	(void)state;
	assert_int_equal(parse_ext(text, v, f, err, sizeof(err)), 0);
	assert_num(v[0], 1);
	assert_num(v[1], 2);
	assert_num(v[2], 3);
}

static void netstat_column_count_mismatch_is_an_error(void **state)
{
	double v[3];
	bool f[3];
	char err[160] = "";

	(void)state;
	assert_int_equal(parse_ext("TcpExt: SyncookiesSent TW "
				   "TCPTimeWaitOverflow\n"
				   "TcpExt: 1 2\n",
				   v, f, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err,
			    "\"TcpExt:\" header has more columns than values");
	assert_int_equal(parse_ext("TcpExt: SyncookiesSent TW\n"
				   "TcpExt: 1 2 3\n",
				   v, f, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err,
			    "\"TcpExt:\" header has fewer columns than values");
}

static void netstat_missing_column_is_not_found(void **state)
{
	double v[3] = { -7, -7, -7 };
	bool f[3] = { true, true, true };
	char err[160] = "";

	(void)state;
	assert_int_equal(parse_ext("TcpExt: SyncookiesSent TW\n"
				   "TcpExt: 4 5\n",
				   v, f, err, sizeof(err)),
			 0);
	assert_false(f[0]);
	assert_true(f[1]);
	assert_false(f[2]);
	assert_num(v[1], 4);
	/* not found leaves the value alone */
	assert_num(v[0], -7);
	assert_num(v[2], -7);
}

static void netstat_header_without_value_line_is_an_error(void **state)
{
	double v[3];
	bool f[3];
	char err[160] = "";

	(void)state;
	assert_int_equal(
		parse_ext("TcpExt: SyncookiesSent TCPTimeWaitOverflow\n"
			  "IpExt: InNoRoutes\n"
			  "IpExt: 0\n",
			  v, f, err, sizeof(err)),
		-EINVAL);
	assert_string_equal(err, "\"TcpExt:\" header has no value line");
	assert_int_equal(parse_ext("TcpExt: SyncookiesSent", v, f, err,
				   sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "\"TcpExt:\" header has no value line");
}

static void netstat_without_the_prefix_is_an_error(void **state)
{
	double v[3];
	bool f[3];
	char err[160] = "";

	(void)state;
	assert_int_equal(parse_ext("IpExt: InNoRoutes\nIpExt: 0\n", v, f, err,
				   sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "no \"TcpExt:\" lines");
}

static void netstat_keeps_a_counter_at_the_full_64_bits(void **state)
{
	double v[3];
	bool f[3];
	char err[160] = "";

	(void)state;
	assert_int_equal(parse_ext("TcpExt: TCPTimeWaitOverflow\n"
				   "TcpExt: 18446744073709551615\n",
				   v, f, err, sizeof(err)),
			 0);
	assert_true(f[0]);
	assert_num(v[0], 18446744073709551615.0);
	/* one more does not fit a u64 counter */
	assert_int_equal(parse_ext("TcpExt: TCPTimeWaitOverflow\n"
				   "TcpExt: 18446744073709551616\n",
				   v, f, err, sizeof(err)),
			 -EINVAL);
}

static void netstat_rejects_a_counter_that_is_not_a_number(void **state)
{
	static const char *const bad[] = { "-1",  "\t-1",  "+1",
					   "\v7", "12abc", "x" };
	double v[3];
	bool f[3];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char text[128], err[160] = "", want[64];

		snprintf(text, sizeof(text),
			 "TcpExt: TW TCPTimeWaitOverflow\nTcpExt: 0 %s\n",
			 bad[i]);
		if (parse_ext(text, v, f, err, sizeof(err)) != -EINVAL)
			fail_msg("\"%s\" accepted", bad[i]);
		snprintf(want, sizeof(want),
			 "TcpExt TCPTimeWaitOverflow: not a counter: \"%s\"",
			 bad[i]);
		assert_string_equal(err, want);
	}
}

/* ---- /proc/meminfo ------------------------------------------------------ */

static void meminfo_reads_memtotal_in_bytes(void **state)
{
	double bytes = -1;
	char err[160] = "";

	(void)state;
	assert_int_equal(observe_parse_meminfo("MemTotal:       16318156 kB\n"
					       "MemFree:         1083260 kB\n",
					       &bytes, err, sizeof(err)),
			 0);
	assert_num(bytes, 16318156.0 * 1024);
	/* not necessarily the first line */
	assert_int_equal(observe_parse_meminfo("Foo: 1 kB\nMemTotal: 2 kB\n",
					       &bytes, err, sizeof(err)),
			 0);
	assert_num(bytes, 2048);
}

static void meminfo_without_memtotal_is_an_error(void **state)
{
	double bytes = -1;
	char err[160] = "";

	(void)state;
	assert_int_equal(observe_parse_meminfo("MemFree: 1083260 kB\n", &bytes,
					       err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "no MemTotal line");
	assert_num(bytes, -1);
}

static void meminfo_rejects_anything_but_kilobytes(void **state)
{
	static const char *const bad[] = {
		"MemTotal: 16318156 MB\n",
		"MemTotal: 16318156\n",
		"MemTotal: lots kB\n",
		"MemTotal: 16318156 kBytes\n",
	};
	double bytes = -1;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char err[160] = "";

		if (observe_parse_meminfo(bad[i], &bytes, err, sizeof(err)) !=
		    -EINVAL)
			fail_msg("\"%s\" accepted", bad[i]);
		assert_string_equal(err, "MemTotal line is not \"N kB\"");
	}
	assert_num(bytes, -1);
}

static void meminfo_rejects_a_negative_size(void **state)
{
	double bytes = -1;
	char err[160] = "";

	(void)state;
	/* strict parsing: never a silently wrong number */
	assert_int_equal(observe_parse_meminfo("MemTotal: -1 kB\n", &bytes, err,
					       sizeof(err)),
			 -EINVAL);
	assert_num(bytes, -1);
}

/* ---- /proc/slabinfo ----------------------------------------------------- */

#define SLAB_HEADER                                                            \
	"slabinfo - version: 2.1\n"                                            \
	"# name            <active_objs> <num_objs> <objsize> <objperslab> "   \
	"<pagesperslab> : tunables <limit> <batchcount> <sharedfactor> : "     \
	"slabdata <active_slabs> <num_slabs> <sharedavail>\n"

static void slabinfo_reads_the_larger_tw_sock_objsize(void **state)
{
	static const char text[] = SLAB_HEADER
		"tw_sock_TCPv6        0      0    280   29    2 : tunables    0"
		"    0    0 : slabdata      0      0      0\n"
		"tw_sock_TCP        132    132    248   33    2 : tunables    0"
		"    0    0 : slabdata      4      4      0\n"
		"request_sock_TCP     0      0    304   26    2 : tunables    0"
		"    0    0 : slabdata      0      0      0\n";
	double size = -1;
	char err[160] = "";

	(void)state;
	assert_int_equal(observe_parse_slabinfo(text, &size, err, sizeof(err)),
			 0);
	/* the IPv6 cache's 280: the limit counts both kinds */
	assert_num(size, 280);
}

static void slabinfo_without_tw_sock_tcpv6_reads_tw_sock_tcp(void **state)
{
	static const char text[] = SLAB_HEADER
		"tw_sock_TCP        132    132    248   33    2 : tunables    0"
		"    0    0 : slabdata      4      4      0\n";
	double size = -1;
	char err[160] = "";

	(void)state;
	assert_int_equal(observe_parse_slabinfo(text, &size, err, sizeof(err)),
			 0);
	assert_num(size, 248);
}

static void slabinfo_without_tw_sock_tcp_is_enoent(void **state)
{
	static const char text[] = SLAB_HEADER
		"tw_sock_TCPv6        0      0    280   29    2 : tunables    0"
		"    0    0 : slabdata      0      0      0\n";
	double size = -1;
	char err[160] = "";

	(void)state;
	assert_int_equal(observe_parse_slabinfo(text, &size, err, sizeof(err)),
			 -ENOENT);
	assert_num(size, -1);
}

static void slabinfo_rejects_a_malformed_line(void **state)
{
	static const char *const lines[] = {
		"tw_sock_TCP        132    132    big\n",
		"tw_sock_TCP        132\n",
		"tw_sock_TCP        132    132      0   33    2\n",
		"tw_sock_TCP        132    132  99999   33    2\n",
	};
	double size = -1;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(lines); i++) {
		char text[512], err[160] = "";

		snprintf(text, sizeof(text), "%s%s", SLAB_HEADER, lines[i]);
		if (observe_parse_slabinfo(text, &size, err, sizeof(err)) !=
		    -EINVAL)
			fail_msg("\"%s\" accepted", lines[i]);
		assert_string_equal(err, "malformed tw_sock_TCP line");
	}
	assert_num(size, -1);
}

static void slabinfo_of_an_unknown_version_is_an_error(void **state)
{
	static const char *const texts[] = {
		"slabinfo - version: 1.1\ntw_sock_TCP 1 1 248 33 2\n",
		"tw_sock_TCP 1 1 248 33 2\n",
		"",
	};
	double size = -1;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(texts); i++) {
		char err[160] = "";

		assert_int_equal(observe_parse_slabinfo(texts[i], &size, err,
							sizeof(err)),
				 -EINVAL);
		assert_string_equal(err, "unknown slabinfo version");
	}
	assert_num(size, -1);
}

/* ---- /proc/net/snmp: Tcp ActiveOpens and PassiveOpens ------------------ */

/* As Linux 6.18 prints it: MaxConn is -1, and other prefixes share "Tcp". */
static const char snmp_real[] =
	"Ip: Forwarding DefaultTTL InReceives\n"
	"Ip: 1 64 9411\n"
	"Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens "
	"AttemptFails EstabResets CurrEstab InSegs OutSegs RetransSegs InErrs "
	"OutRsts InCsumErrors\n"
	"Tcp: 1 200 120000 -1 409 3 0 0 0 9189 8310 0 0 2 0\n"
	"Udp: InDatagrams NoPorts\n"
	"Udp: 0 0\n"
	"UdpLite: InDatagrams NoPorts\n"
	"UdpLite: 0 0\n";

static void tcp_opens_reads_the_tcp_line_of_snmp(void **state)
{
	double a = -1, p = -1;
	char err[160] = "";

	(void)state;
	assert_int_equal(observe_parse_tcp_opens(snmp_real, &a, &p, err,
						 sizeof(err)),
			 0);
	assert_num(a, 409);
	assert_num(p, 3);
}

static void tcp_opens_without_a_column_is_an_error_naming_it(void **state)
{
	double a = -1, p = -1;
	char err[160] = "";

	(void)state;
	assert_int_equal(observe_parse_tcp_opens("Tcp: ActiveOpens CurrEstab\n"
						 "Tcp: 5 1\n",
						 &a, &p, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "PassiveOpens"));
	/* the TcpExt lines of netstat are not the Tcp lines of snmp */
	assert_int_equal(observe_parse_tcp_opens("TcpExt: ActiveOpens "
						 "PassiveOpens\nTcpExt: 1 2\n",
						 &a, &p, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(observe_parse_tcp_opens("Tcp: ActiveOpens "
						 "PassiveOpens\nTcp: 1 -2\n",
						 &a, &p, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "PassiveOpens"));
}

/* ---- observe_derive ----------------------------------------------------- */

#define NOW 1700000000.0

/* An observation as observe_collect() leaves it, before deriving. */
static void raw_obs(struct observation *o, double tw, double tw_max,
		    double overflows)
{
	memset(o, 0, sizeof(*o));
	for (int i = 0; i < METRIC_COUNT; i++)
		o->m[i] = NAN;
	o->m[M_TW_COUNT] = tw;
	o->m[M_TW_MAX] = tw_max;
	o->m[M_TW_OVERFLOWS] = overflows;
	o->c.tw_overflows = overflows;
	o->c.syncookies_sent = 50;
	o->c.listen_overflows = 70;
	o->time = NOW;
	o->window = NAN;
	o->burst = NAN;
	o->baseline_source = "none";
	o->netns = NETNS;
	snprintf(o->boot_id, sizeof(o->boot_id), "%s", BOOT);
	/* a current kernel: the counter, a negative limit is unlimited */
	o->kernel.counter = true;
	o->kernel.per_netns = 1;
	o->kernel.neg_unlimited = 1;
}

/* A baseline that fits o, taken age seconds earlier. */
static void base_for(const struct observation *o, struct baseline *b,
		     double age, double overflows)
{
	observe_to_baseline(o, b, "state");
	b->time = o->time - age;
	b->c.tw_overflows = overflows;
	b->c.syncookies_sent = 40;
	b->c.listen_overflows = 70;
}

static void derive_ratio_is_count_over_max(void **state)
{
	struct observation o;

	(void)state;
	raw_obs(&o, 3000, 4096, 0);
	observe_derive(&o, NULL);
	assert_num(o.m[M_TW_RATIO], 3000.0 / 4096.0);
	assert_false(o.tw_max_unlimited);
	observe_free(&o);
}

static void derive_ratio_of_zero_buckets_is_full(void **state)
{
	struct observation o;

	(void)state;
	raw_obs(&o, 0, 0, 5);
	observe_derive(&o, NULL);
	assert_num(o.m[M_TW_RATIO], 1);
	assert_false(o.tw_max_unlimited);
	/* full, overflows counted once, no baseline: demand is not known */
	assert_num(o.m[M_TW_DEMAND], NAN);
	assert_non_null(o.why[M_TW_DEMAND]);
	observe_free(&o);
}

static void derive_negative_max_is_unlimited(void **state)
{
	struct observation o;

	(void)state;
	raw_obs(&o, 123456, -1, 0);
	observe_derive(&o, NULL);
	assert_num(o.m[M_TW_RATIO], 0);
	assert_true(o.tw_max_unlimited);
	assert_num(o.m[M_TW_DEMAND], 123456);
	observe_free(&o);
}

/* Before 5.18 a negative limit compares signed: no TIME_WAIT at all. */
static void derive_negative_max_before_5_18_admits_nothing(void **state)
{
	struct observation o;

	(void)state;
	raw_obs(&o, 0, -1, 1843377);
	o.kernel.neg_unlimited = 0;
	observe_derive(&o, NULL);
	assert_false(o.tw_max_unlimited);
	assert_num(o.m[M_TW_RATIO], 1);
	assert_num(o.m[M_TW_SATURATED], 1);
	observe_free(&o);
}

/* A kernel that only logs: no delta, no rate, no invented demand. */
static void derive_without_the_counter(void **state)
{
	struct observation o;
	struct baseline b;

	(void)state;
	raw_obs(&o, 10000, 10000, NAN);
	o.kernel.counter = false;
	base_for(&o, &b, 30, NAN);
	observe_derive(&o, &b);
	assert_num(o.m[M_TW_OVERFLOW_DELTA], NAN);
	assert_non_null(strstr(o.why[M_TW_OVERFLOW_DELTA],
			       "no TCPTimeWaitOverflow counter"));
	assert_num(o.m[M_TW_DEMAND], NAN);
	assert_num(o.m[M_TW_SATURATED], 1);
	/* the other counters still have their deltas */
	assert_num(o.m[M_SYNCOOKIES_SENT_DELTA], 10);
	observe_free(&o);

	raw_obs(&o, 4000, 10000, NAN);
	o.kernel.counter = false;
	observe_derive(&o, NULL);
	assert_num(o.m[M_TW_DEMAND], 4000); /* not full: what it holds */
	assert_num(o.m[M_TW_SATURATED], 0);
	observe_free(&o);
}

/* The kernel model from a release and the sysctls it shows. */
static void kernel_model_of(struct observation *o, const char *release,
			    double tw, const char *tw_max)
{
	raw_obs(o, tw, tw_max ? atof(tw_max) : NAN, 0);
	o->kernel = (struct kernel_model){ .counter = true };
	snprintf(o->kernel.release, sizeof(o->kernel.release), "%s", release);
	observe_set_sysctl(o, "net.ipv4.tcp_max_tw_buckets", tw_max);
	kernel_model(o);
}

static void kernel_model_follows_the_release(void **state)
{
	struct observation o;

	(void)state;
	kernel_model_of(&o, "2.6.32-754.35.1.el6.x86_64", 100, "5000");
	assert_int_equal(o.kernel.version, KVER(2, 6) | 32);
	assert_int_equal(o.kernel.per_netns, 0);
	assert_int_equal(o.kernel.neg_unlimited, 0);
	assert_int_equal(o.kernel.reuse_loopback, 0);
	assert_true(o.kernel.limit_here);
	observe_free(&o);

	kernel_model_of(&o, "5.17.15", 100, "-1");
	assert_int_equal(o.kernel.per_netns, 1);
	assert_int_equal(o.kernel.neg_unlimited, 0);
	assert_int_equal(o.kernel.reuse_loopback, 1);
	assert_int_equal(o.kernel.n_notes, 1);
	assert_non_null(strstr(o.kernel.notes[0], "before Linux 5.18"));
	observe_free(&o);

	kernel_model_of(&o, "5.18.0", 100, "-1");
	assert_int_equal(o.kernel.neg_unlimited, 1);
	assert_int_equal(o.kernel.n_notes, 0);
	observe_free(&o);

	/* no release: sockets held under a negative limit show it admits
	 * them; none held tells nothing, taken as unlimited with a note */
	kernel_model_of(&o, "", 312000, "-1");
	assert_int_equal(o.kernel.version, 0);
	assert_int_equal(o.kernel.neg_unlimited, 1);
	observe_free(&o);
	kernel_model_of(&o, "", 0, "-1");
	assert_int_equal(o.kernel.neg_unlimited, -1);
	assert_non_null(strstr(o.kernel.notes[0], "release is unknown"));
	observe_free(&o);
}

/* A child namespace before 4.11 has no limit: the host's, said so. */
static void kernel_model_of_a_child_namespace_before_4_11(void **state)
{
	struct observation o;

	(void)state;
	kernel_model_of(&o, "4.4.0-210-generic", 180000, NULL);
	assert_false(o.kernel.limit_here);
	assert_int_equal(o.kernel.per_netns, 0);
	assert_non_null(strstr(o.kernel.notes[0], "before Linux 4.11"));
	observe_free(&o);
}

static void kernel_model_lifetime_and_openvz(void **state)
{
	struct observation o;

	(void)state;
	kernel_model_of(&o, "4.19.91-alinux", 100, "5000");
	assert_num(o.tw_lifetime, 60);
	observe_free(&o);

	raw_obs(&o, 100, 5000, 0);
	observe_set_sysctl(&o, "net.ipv4.tcp_max_tw_buckets", "5000");
	observe_set_sysctl(&o, "net.ipv4.tcp_tw_timeout", "20");
	observe_set_sysctl(&o, "net.ipv4.tcp_tw_recycle", "1");
	observe_set_sysctl(&o, "net.ipv4.tcp_max_tw_buckets_ub", "16536");
	kernel_model(&o);
	assert_num(o.tw_lifetime, 20);
	assert_string_equal(o.kernel.lifetime_from, "net.ipv4.tcp_tw_timeout");
	assert_true(o.kernel.recycle_on);
	assert_true(o.kernel.openvz);
	assert_num(o.m[M_TW_MAX_UB], 16536);
	observe_free(&o);

	/* out of its range (1..600): not taken */
	raw_obs(&o, 100, 5000, 0);
	observe_set_sysctl(&o, "net.ipv4.tcp_tw_timeout", "0");
	kernel_model(&o);
	assert_num(o.tw_lifetime, 60);
	observe_free(&o);
}

static void kernel_versions_parse(void **state)
{
	(void)state;
	assert_int_equal(kernel_version("2.6.18-419.el5"), KVER(2, 6) | 18);
	assert_int_equal(kernel_version("6.18.0-1-amd64"), KVER(6, 18));
	assert_int_equal(kernel_version("4.4.0-210-generic"), KVER(4, 4));
	assert_int_equal(kernel_version("5.10"), KVER(5, 10));
	assert_int_equal(kernel_version(""), 0);
	assert_int_equal(kernel_version("linux"), 0);
	assert_int_equal(kernel_version("6"), 0);
	assert_int_equal(kernel_version("300.1.1"), 0);
	assert_int_equal(kernel_has(0, KF_PER_NETNS), -1);
	assert_int_equal(kernel_has(KVER(4, 10) | 17, KF_PER_NETNS), 0);
	assert_int_equal(kernel_has(KVER(4, 11), KF_PER_NETNS), 1);
	assert_int_equal(kernel_has(KVER(2, 6) | 37, KF_COUNTER), 0);
	assert_int_equal(kernel_has(KVER(2, 6) | 38, KF_COUNTER), 1);
}

static void derive_deltas_and_rate_from_a_baseline(void **state)
{
	struct observation o;
	struct baseline b;

	(void)state;
	raw_obs(&o, 4096, 4096, 350);
	base_for(&o, &b, 10, 100);
	observe_derive(&o, &b);
	assert_int_equal(o.warnings.n, 0);
	assert_num(o.window, 10);
	assert_string_equal(o.baseline_source, "state");
	assert_num(o.m[M_TW_OVERFLOW_DELTA], 250);
	assert_num(o.m[M_TW_OVERFLOW_RATE], 25);
	assert_num(o.m[M_SYNCOOKIES_SENT_DELTA], 10);
	assert_num(o.m[M_LISTEN_OVERFLOWS_DELTA], 0);
	assert_null(o.why[M_TW_OVERFLOW_DELTA]);
	observe_free(&o);
}

/*
 * Little's law: a steady 25 overflows/s, each a socket that would have
 * stayed 60 s, on top of the full table's 4096 buckets; the burst bound
 * beside it counts only what was seen.
 */
static void derive_demand_is_steady_state_over_a_short_window(void **state)
{
	struct observation o;
	struct baseline b;

	(void)state;
	raw_obs(&o, 4000, 4096, 350);
	base_for(&o, &b, 10, 100);
	observe_derive(&o, &b);
	assert_num(o.m[M_TW_DEMAND], 4096 + 25 * 60);
	assert_num(o.m[M_TW_DEMAND_BURST], 4000 + 250);
	assert_false(o.demand_from_burst);
	observe_free(&o);
}

/* An empty table with no overflow: a demand of 0, never -0 (printed "-0"). */
static void derive_demand_of_nothing_is_zero(void **state)
{
	struct observation o;
	struct baseline b;
	char text[16];

	(void)state;
	raw_obs(&o, 0, 4096, 100);
	base_for(&o, &b, 5, 100);
	observe_derive(&o, &b);
	assert_num(o.m[M_TW_DEMAND], 0);
	assert_false(signbit(o.m[M_TW_DEMAND]));
	assert_false(signbit(o.m[M_TW_DEMAND_BURST]));
	util_fmt_num(o.m[M_TW_DEMAND], text, sizeof(text));
	assert_string_equal(text, "0");
	observe_free(&o);
}

/* The man page's example: 64 buckets, 43.6 overflows/s. */
static void derive_demand_of_the_man_page_example(void **state)
{
	struct observation o;
	struct baseline b;

	(void)state;
	raw_obs(&o, 64, 64, 100 + 436);
	base_for(&o, &b, 10, 100);
	observe_derive(&o, &b);
	assert_num(o.m[M_TW_DEMAND], 64 + 2616);
	observe_free(&o);
}

/* A window under a second, or a sample whose overflows came in a short
 * burst, gives no rate: the demand is the burst bound. */
static void derive_demand_of_a_burst_is_the_burst_bound(void **state)
{
	struct observation o;
	struct baseline b;

	(void)state;
	raw_obs(&o, 64, 64, 100 + 436);
	base_for(&o, &b, 0.5, 100);
	observe_derive(&o, &b);
	assert_true(o.demand_from_burst);
	assert_num(o.m[M_TW_DEMAND], 64 + 436);
	observe_free(&o);
	raw_obs(&o, 64, 64, 100 + 436);
	o.burst = 0.2; /* a 5 s sample saw them all within 0.2 s */
	base_for(&o, &b, 5, 100);
	observe_derive(&o, &b);
	assert_true(o.demand_from_burst);
	assert_num(o.m[M_TW_DEMAND], 64 + 436);
	observe_free(&o);
	raw_obs(&o, 64, 64, 100 + 436);
	o.burst = 4.5; /* spread over the sample: a steady rate */
	base_for(&o, &b, 5, 100);
	observe_derive(&o, &b);
	assert_false(o.demand_from_burst);
	assert_num(o.m[M_TW_DEMAND], 64 + 436 * 12);
	observe_free(&o);
}

/*
 * First sight with the counter at zero: it counts from the namespace's
 * creation, so nothing ever overflowed and the table holds the demand.
 */
static void derive_counter_at_zero_is_a_baseline(void **state)
{
	struct observation o;

	(void)state;
	raw_obs(&o, 4096, 4096, 0);
	observe_derive(&o, NULL);
	assert_num(o.m[M_TW_OVERFLOW_DELTA], 0);
	assert_num(o.m[M_TW_OVERFLOW_RATE], 0);
	assert_num(o.m[M_TW_DEMAND], 4096);
	assert_string_equal(o.baseline_source, "counter at zero");
	observe_free(&o);
}

static void derive_demand_scales_overflows_of_a_long_window(void **state)
{
	struct observation o;
	struct baseline b;

	(void)state;
	/* 120 s: 5/s for 60 s each, on top of the full table */
	raw_obs(&o, 4000, 4096, 700);
	base_for(&o, &b, 120, 100);
	observe_derive(&o, &b);
	assert_num(o.window, 120);
	assert_num(o.m[M_TW_OVERFLOW_DELTA], 600);
	assert_num(o.m[M_TW_OVERFLOW_RATE], 5);
	assert_num(o.m[M_TW_DEMAND], 4096 + 300);
	observe_free(&o);
}

static void derive_demand_is_the_count_without_overflows(void **state)
{
	struct observation o;
	struct baseline b;

	(void)state;
	raw_obs(&o, 4096, 4096, 100);
	base_for(&o, &b, 30, 100);
	observe_derive(&o, &b);
	assert_num(o.m[M_TW_OVERFLOW_DELTA], 0);
	assert_num(o.m[M_TW_DEMAND], 4096);
	observe_free(&o);
}

static void derive_unknown_counter_gives_unknown_delta(void **state)
{
	struct observation o;
	struct baseline b;

	(void)state;
	raw_obs(&o, 10, 4096, 100);
	base_for(&o, &b, 30, 100);
	o.c.syncookies_sent = NAN;   /* this kernel has no such column */
	b.c.listen_overflows = 1000; /* went down: not a delta */
	observe_derive(&o, &b);
	assert_num(o.m[M_SYNCOOKIES_SENT_DELTA], NAN);
	assert_num(o.m[M_LISTEN_OVERFLOWS_DELTA], NAN);
	assert_num(o.m[M_TW_OVERFLOW_DELTA], 0);
	observe_free(&o);
}

static void derive_without_baseline_demand_is_count_when_not_full(void **state)
{
	struct observation o;

	(void)state;
	raw_obs(&o, 3000, 4096, 100);
	observe_derive(&o, NULL);
	assert_num(o.m[M_TW_DEMAND], 3000);
	assert_null(o.why[M_TW_DEMAND]);
	assert_num(o.m[M_TW_OVERFLOW_DELTA], NAN);
	assert_num(o.m[M_TW_OVERFLOW_RATE], NAN);
	assert_num(o.m[M_SYNCOOKIES_SENT_DELTA], NAN);
	assert_num(o.m[M_LISTEN_OVERFLOWS_DELTA], NAN);
	assert_non_null(o.why[M_TW_OVERFLOW_DELTA]);
	assert_non_null(o.why[M_TW_OVERFLOW_RATE]);
	assert_num(o.window, NAN);
	assert_string_equal(o.baseline_source, "none");
	assert_int_equal(o.warnings.n, 0);
	observe_free(&o);
}

static void derive_without_baseline_demand_is_unknown_when_full(void **state)
{
	struct observation o;
	struct baseline b = { .valid = false };

	(void)state;
	/* 95 % is full */
	raw_obs(&o, 95, 100, 100);
	observe_derive(&o, &b);
	assert_num(o.m[M_TW_DEMAND], NAN);
	assert_contains(o.why[M_TW_DEMAND], "full");
	/* an invalid baseline is no baseline, not a warning */
	assert_int_equal(o.warnings.n, 0);
	observe_free(&o);

	/* just under 95 % is not */
	raw_obs(&o, 94, 100, 100);
	observe_derive(&o, NULL);
	assert_num(o.m[M_TW_DEMAND], 94);
	observe_free(&o);
}

/* Derive with baseline b and check that it was refused with a reason. */
static void check_refused(struct observation *o, const struct baseline *b,
			  const char *reason)
{
	observe_derive(o, b);
	assert_int_equal(o->warnings.n, 1);
	assert_contains(o->warnings.v[0], "baseline ignored");
	assert_contains(o->warnings.v[0], reason);
	assert_num(o->m[M_TW_OVERFLOW_DELTA], NAN);
	assert_num(o->m[M_TW_OVERFLOW_RATE], NAN);
	assert_num(o->m[M_SYNCOOKIES_SENT_DELTA], NAN);
	assert_non_null(o->why[M_TW_OVERFLOW_DELTA]);
	assert_num(o->window, NAN);
	assert_string_equal(o->baseline_source, "none");
	/* not full (200 of 4096): demand falls back to the count */
	assert_num(o->m[M_TW_DEMAND], 200);
	observe_free(o);
}

static void derive_refuses_a_baseline_from_another_boot(void **state)
{
	struct observation o;
	struct baseline b;

	(void)state;
	raw_obs(&o, 200, 4096, 500);
	base_for(&o, &b, 30, 100);
	snprintf(b.boot_id, sizeof(b.boot_id), "%s", OTHER_BOOT);
	check_refused(&o, &b, "rebooted");
}

static void derive_refuses_a_baseline_from_another_netns(void **state)
{
	struct observation o;
	struct baseline b;

	(void)state;
	raw_obs(&o, 200, 4096, 500);
	base_for(&o, &b, 30, 100);
	b.netns = NETNS + 1;
	check_refused(&o, &b, "network namespace");
}

static void derive_refuses_a_baseline_whose_counter_went_down(void **state)
{
	struct observation o;
	struct baseline b;

	(void)state;
	raw_obs(&o, 200, 4096, 500);
	base_for(&o, &b, 30, 501);
	check_refused(&o, &b, "TCPTimeWaitOverflow went down");
}

static void derive_refuses_a_baseline_not_older_than_now(void **state)
{
	struct observation o;
	struct baseline b;

	(void)state;
	raw_obs(&o, 200, 4096, 500);
	base_for(&o, &b, -5, 100);
	check_refused(&o, &b, "not older");
	/* the same instant gives no rate either */
	raw_obs(&o, 200, 4096, 500);
	base_for(&o, &b, 0, 100);
	check_refused(&o, &b, "not older");
}

static void derive_refuses_a_baseline_under_another_limit(void **state)
{
	struct observation o;
	struct baseline b;

	(void)state;
	raw_obs(&o, 200, 4096, 500);
	base_for(&o, &b, 30, 100);
	b.tw_max = 2048;
	check_refused(&o, &b, "tcp_max_tw_buckets changed");
}

/* ---- observe_collect over a fake proc tree ------------------------------ */

static void drop(struct testdir *t, const char *path)
{
	assert_int_equal(unlinkat(t->fd, path, 0), 0);
}

static int tree_setup(void **state)
{
	struct testdir *t;

	if (testdir_setup(state) < 0)
		return -1;
	t = *state;

	testdir_put(t->fd, "net/sockstat",
		    "sockets: used 290\n"
		    "TCP: inuse 12 orphan 2 tw 4000 alloc 15 mem 7\n"
		    "UDP: inuse 3 mem 2\n");
	testdir_put(t->fd, "net/sockstat6", "TCP6: inuse 5\nUDP6: inuse 1\n");
	testdir_put(t->fd, "net/netstat",
		    "TcpExt: SyncookiesSent SyncookiesRecv ListenOverflows "
		    "ListenDrops TCPTimeWaitOverflow\n"
		    "TcpExt: 17 0 23 23 1234\n"
		    "IpExt: InNoRoutes InOctets\n"
		    "IpExt: 0 19897796\n");
	testdir_put(
		t->fd, "meminfo",
		"MemTotal:        2000000 kB\nMemFree:          100000 kB\n");
	testdir_put(
		t->fd, "slabinfo",
		SLAB_HEADER
		"tw_sock_TCP        132    132    232   33    2 : "
		"tunables    0    0    0 : slabdata      4      4      0\n");
	testdir_put(t->fd, "sys/net/ipv4/tcp_max_tw_buckets", "4096\n");
	testdir_put(t->fd, "sys/net/ipv4/tcp_tw_reuse", "2\n");
	testdir_put(t->fd, "sys/net/ipv4/tcp_timestamps", "1\n");
	testdir_put(t->fd, "sys/net/ipv4/tcp_fin_timeout", "60\n");
	testdir_put(t->fd, "sys/net/ipv4/tcp_syncookies", "1\n");
	testdir_put(t->fd, "sys/net/ipv4/ip_local_port_range",
		    "32768\t60999\n");
	testdir_put(t->fd, "sys/net/core/somaxconn", "4096\n");
	testdir_put(t->fd, "sys/kernel/random/boot_id", BOOT "\n");
	/* stands in for the namespace file: only its inode number matters */
	testdir_put(t->fd, "self/ns/net", "");
	return 0;
}

static const char *const extra_keys[] = { "net.core.somaxconn",
					  "net.ipv4.tcp_tw_reuse",
					  "net.ipv6.conf.all.forwarding" };

static int collect(struct testdir *t, struct observation *o, char *err,
		   size_t errlen)
{
	return observe_collect(t->fd, extra_keys, ARRAY_SIZE(extra_keys), o,
			       err, errlen);
}

static void collect_puts_each_value_in_its_metric(void **state)
{
	struct testdir *t = *state;
	struct observation o;
	struct timespec before, after;
	struct stat st;
	char err[512] = "";

	clock_gettime(CLOCK_REALTIME, &before);
	assert_int_equal(collect(t, &o, err, sizeof(err)), 0);
	clock_gettime(CLOCK_REALTIME, &after);
	assert_string_equal(err, "");
	assert_num(o.m[M_TW_COUNT], 4000);
	assert_num(o.m[M_TCP_INUSE], 12 + 5); /* IPv4 and IPv6 */
	assert_num(o.m[M_TCP_ORPHAN], 2);
	assert_num(o.m[M_TCP_ALLOC], 15);
	assert_num(o.m[M_TW_OVERFLOWS], 1234);
	assert_num(o.c.tw_overflows, 1234);
	assert_num(o.c.syncookies_sent, 17);
	assert_num(o.c.listen_overflows, 23);
	assert_num(o.m[M_MEM_TOTAL], 2000000.0 * 1024);
	assert_num(o.m[M_TW_SOCK_SIZE], 232);
	assert_num(o.m[M_TW_MAX], 4096);
	assert_num(o.m[M_EPHEMERAL_LOW], 32768);
	assert_num(o.m[M_EPHEMERAL_HIGH], 60999);
	assert_num(o.m[M_EPHEMERAL_PORTS], 60999 - 32768 + 1);
	/* derived metrics wait for observe_derive() */
	assert_num(o.m[M_TW_RATIO], NAN);
	assert_num(o.m[M_TW_OVERFLOW_DELTA], NAN);
	/* socket-level metrics are not collected here, and say so */
	assert_num(o.m[M_STATE_TIME_WAIT], NAN);
	assert_non_null(o.why[M_STATE_TIME_WAIT]);
	assert_string_equal(o.boot_id, BOOT);
	assert_int_equal(fstatat(t->fd, "self/ns/net", &st, 0), 0);
	assert_true(o.netns == (unsigned long long)st.st_ino);
	assert_true(o.time >= util_timespec_seconds(&before));
	assert_true(o.time <= util_timespec_seconds(&after));
	assert_num(o.window, NAN);
	assert_string_equal(o.baseline_source, "none");
	assert_int_equal(o.warnings.n, 0);

	observe_derive(&o, NULL);
	assert_num(o.m[M_TW_RATIO], 4000.0 / 4096.0);
	assert_num(o.m[M_TW_DEMAND], NAN); /* 97.7 % full, no baseline */
	observe_free(&o);
}

static void collect_reads_the_sysctls_it_is_asked_for(void **state)
{
	struct testdir *t = *state;
	const struct sysctl_obs *s;
	struct observation o;
	char err[512] = "";
	size_t n;

	assert_int_equal(collect(t, &o, err, sizeof(err)), 0);
	s = observe_sysctl(&o, "net.core.somaxconn");
	assert_non_null(s);
	assert_true(s->exists);
	assert_num(s->value, 4096);
	assert_string_equal(s->raw, "4096");
	s = observe_sysctl(&o, "net.ipv4.tcp_tw_reuse");
	assert_non_null(s);
	assert_true(s->exists);
	assert_num(s->value, 2);
	/* two numbers: raw text, no single value */
	s = observe_sysctl(&o, "net.ipv4.ip_local_port_range");
	assert_non_null(s);
	assert_true(s->exists);
	assert_string_equal(s->raw, "32768\t60999");
	assert_num(s->value, NAN);
	/* asked for twice (base key and policy key): read once */
	n = 0;
	for (size_t i = 0; i < o.n_sysctls; i++)
		n += strcmp(o.sysctls[i].key, "net.ipv4.tcp_tw_reuse") == 0;
	assert_int_equal(n, 1);
	assert_null(observe_sysctl(&o, "net.core.rmem_max"));
	observe_free(&o);
}

static void collect_shows_a_missing_sysctl_as_absent(void **state)
{
	struct testdir *t = *state;
	const struct sysctl_obs *s;
	struct observation o;
	char err[512] = "";

	/* tcp_tw_recycle was removed in Linux 4.12 */
	assert_int_equal(collect(t, &o, err, sizeof(err)), 0);
	s = observe_sysctl(&o, "net.ipv4.tcp_tw_recycle");
	assert_non_null(s);
	assert_false(s->exists);
	assert_null(s->raw);
	assert_num(s->value, NAN);
	s = observe_sysctl(&o, "net.ipv6.conf.all.forwarding");
	assert_non_null(s);
	assert_false(s->exists);
	assert_int_equal(o.warnings.n, 0);
	observe_free(&o);
}

static void collect_without_netstat_is_an_error_naming_it(void **state)
{
	struct testdir *t = *state;
	struct observation o;
	char err[512] = "";

	drop(t, "net/netstat");
	assert_int_equal(collect(t, &o, err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "net/netstat: No such file or directory");
	observe_free(&o);
}

static void collect_of_a_malformed_sockstat_is_an_error(void **state)
{
	struct testdir *t = *state;
	struct observation o;
	char err[512] = "";

	testdir_put(t->fd, "net/sockstat",
		    "sockets: used 1\nTCP: inuse 1 orphan 0\n");
	assert_int_equal(collect(t, &o, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "net/sockstat: TCP line has no \"tw\" field");
	observe_free(&o);
}

/* 2.6.37 and older: no counter, which is a fact about the kernel. */
static void collect_without_the_overflow_counter(void **state)
{
	struct testdir *t = *state;
	struct observation o;
	char err[512] = "";

	testdir_put(t->fd, "net/netstat",
		    "TcpExt: SyncookiesSent\nTcpExt: 1\n");
	assert_int_equal(collect(t, &o, err, sizeof(err)), 0);
	assert_false(o.kernel.counter);
	assert_num(o.m[M_TW_OVERFLOWS], NAN);
	assert_contains(o.why[M_TW_OVERFLOWS], "TCPTimeWaitOverflow");
	assert_num(o.c.syncookies_sent, 1);
	observe_free(&o);
}

static void collect_needs_an_integer_tw_max(void **state)
{
	struct testdir *t = *state;
	struct observation o;
	char err[512] = "";

	testdir_put(t->fd, "sys/net/ipv4/tcp_max_tw_buckets", "lots\n");
	assert_int_equal(collect(t, &o, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "net.ipv4.tcp_max_tw_buckets: not an integer");
	observe_free(&o);

	/* absent: a child namespace before 4.11, said, not an error */
	drop(t, "sys/net/ipv4/tcp_max_tw_buckets");
	assert_int_equal(collect(t, &o, err, sizeof(err)), 0);
	assert_num(o.m[M_TW_MAX], NAN);
	assert_false(o.kernel.limit_here);
	assert_contains(o.why[M_TW_MAX], "not in this network namespace");
	observe_free(&o);
}

static void collect_warns_on_a_malformed_port_range(void **state)
{
	static const char *const bad[] = { "32768\n", "60999\t32768\n",
					   "32768\t70000\n", "a b\n",
					   "1 2 3\n" };
	struct testdir *t = *state;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct observation o;
		char err[512] = "";

		testdir_put(t->fd, "sys/net/ipv4/ip_local_port_range", bad[i]);
		assert_int_equal(collect(t, &o, err, sizeof(err)), 0);
		if (o.warnings.n != 1)
			fail_msg("\"%s\": %zu warnings", bad[i], o.warnings.n);
		assert_contains(o.warnings.v[0], "ip_local_port_range");
		assert_num(o.m[M_EPHEMERAL_LOW], NAN);
		assert_num(o.m[M_EPHEMERAL_HIGH], NAN);
		assert_num(o.m[M_EPHEMERAL_PORTS], NAN);
		/* the rest of the observation is still there */
		assert_num(o.m[M_TW_COUNT], 4000);
		observe_free(&o);
	}
}

static void collect_assumes_256_bytes_without_slabinfo(void **state)
{
	struct testdir *t = *state;
	struct observation o;
	char err[512] = "";

	drop(t, "slabinfo");
	assert_int_equal(collect(t, &o, err, sizeof(err)), 0);
	assert_num(o.m[M_TW_SOCK_SIZE], 256);
	assert_int_equal(o.warnings.n, 0);
	observe_free(&o);

	/* a slabinfo we cannot read right is a warning, not an error */
	testdir_put(t->fd, "slabinfo",
		    SLAB_HEADER "tw_sock_TCP 1 1 nonsense\n");
	assert_int_equal(collect(t, &o, err, sizeof(err)), 0);
	assert_num(o.m[M_TW_SOCK_SIZE], 256);
	assert_int_equal(o.warnings.n, 1);
	assert_contains(o.warnings.v[0], "slabinfo");
	observe_free(&o);
}

static void collect_without_optional_files_still_works(void **state)
{
	struct testdir *t = *state;
	struct observation o;
	char err[512] = "";

	drop(t, "net/sockstat6");
	drop(t, "sys/kernel/random/boot_id");
	drop(t, "self/ns/net");
	assert_int_equal(collect(t, &o, err, sizeof(err)), 0);
	assert_num(o.m[M_TCP_INUSE], 12);
	assert_string_equal(o.boot_id, "");
	assert_true(o.netns == 0);
	observe_free(&o);
}

static void derive_open_rates_from_a_baseline(void **state)
{
	struct observation o;
	struct baseline b;

	(void)state;
	raw_obs(&o, 100, 4096, 0);
	o.c.active_opens = 1000;
	o.c.passive_opens = 250;
	base_for(&o, &b, 4, 0);
	b.c.active_opens = 600;
	b.c.passive_opens = 250;
	observe_derive(&o, &b);
	assert_num(o.m[M_ACTIVE_OPEN_RATE], 100);
	assert_num(o.m[M_PASSIVE_OPEN_RATE], 0);
	assert_null(o.why[M_ACTIVE_OPEN_RATE]);
	observe_free(&o);

	/* no baseline, or one without the counters: unknown, with why */
	raw_obs(&o, 100, 4096, 0);
	o.c.active_opens = 1000;
	o.c.passive_opens = 250;
	observe_derive(&o, NULL);
	assert_num(o.m[M_ACTIVE_OPEN_RATE], NAN);
	assert_non_null(strstr(o.why[M_PASSIVE_OPEN_RATE], "baseline"));
	observe_free(&o);

	raw_obs(&o, 100, 4096, 0);
	o.c.active_opens = 1000;
	o.c.passive_opens = 250;
	base_for(&o, &b, 4, 0);
	b.c.active_opens = NAN;
	b.c.passive_opens = 300; /* went down */
	observe_derive(&o, &b);
	assert_num(o.m[M_ACTIVE_OPEN_RATE], NAN);
	assert_num(o.m[M_PASSIVE_OPEN_RATE], NAN);
	assert_non_null(strstr(o.why[M_ACTIVE_OPEN_RATE], "baseline"));
	assert_non_null(strstr(o.why[M_PASSIVE_OPEN_RATE], "went down"));
	observe_free(&o);
}

/* A kernel without the overflow counter still has the churn rates. */
static void derive_open_rates_without_the_overflow_counter(void **state)
{
	struct observation o;
	struct baseline b;

	(void)state;
	raw_obs(&o, 100, 4096, NAN);
	o.kernel.counter = false;
	o.c.active_opens = 50;
	o.c.passive_opens = 70;
	base_for(&o, &b, 10, NAN);
	b.c.active_opens = 0;
	b.c.passive_opens = 20;
	observe_derive(&o, &b);
	assert_num(o.m[M_ACTIVE_OPEN_RATE], 5);
	assert_num(o.m[M_PASSIVE_OPEN_RATE], 5);
	observe_free(&o);
}

static void collect_reads_the_churn_counters_of_snmp(void **state)
{
	struct testdir *t = *state;
	struct observation o;
	char err[512] = "";

	testdir_put(t->fd, "net/snmp", snmp_real);
	assert_int_equal(collect(t, &o, err, sizeof(err)), 0);
	assert_num(o.c.active_opens, 409);
	assert_num(o.c.passive_opens, 3);
	assert_int_equal(o.warnings.n, 0);
	observe_free(&o);

	/* malformed: a warning and unknown rates, never a failure */
	testdir_put(t->fd, "net/snmp", "Tcp: ActiveOpens\nTcp: x\n");
	assert_int_equal(collect(t, &o, err, sizeof(err)), 0);
	assert_num(o.c.active_opens, NAN);
	assert_int_equal(o.warnings.n, 1);
	assert_non_null(strstr(o.warnings.v[0], "net/snmp"));
	observe_derive(&o, NULL);
	assert_num(o.m[M_ACTIVE_OPEN_RATE], NAN);
	assert_non_null(o.why[M_ACTIVE_OPEN_RATE]);
	observe_free(&o);

	/* missing (a fixture tree): unknown with the reason, no warning */
	drop(t, "net/snmp");
	assert_int_equal(collect(t, &o, err, sizeof(err)), 0);
	assert_int_equal(o.warnings.n, 0);
	observe_derive(&o, NULL);
	assert_num(o.m[M_PASSIVE_OPEN_RATE], NAN);
	assert_non_null(strstr(o.why[M_PASSIVE_OPEN_RATE], "net/snmp"));
	observe_free(&o);
}

#define TREE_TEST(f)                                                           \
	cmocka_unit_test_setup_teardown(f, tree_setup, testdir_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sockstat_reads_the_tcp_line),
		cmocka_unit_test(sockstat_finds_fields_by_name_in_any_order),
		cmocka_unit_test(sockstat_without_tw_is_an_error_naming_it),
		cmocka_unit_test(sockstat_rejects_a_count_that_is_not_a_number),
		cmocka_unit_test(sockstat_rejects_a_negative_count),
		cmocka_unit_test(sockstat_without_a_tcp_line_is_an_error),
		cmocka_unit_test(netstat_finds_columns_by_name_in_any_order),
		cmocka_unit_test(netstat_refuses_a_second_pair_or_column),
		cmocka_unit_test(netstat_prefix_matches_only_at_a_line_start),
		cmocka_unit_test(netstat_column_count_mismatch_is_an_error),
		cmocka_unit_test(netstat_missing_column_is_not_found),
		cmocka_unit_test(netstat_header_without_value_line_is_an_error),
		cmocka_unit_test(netstat_without_the_prefix_is_an_error),
		cmocka_unit_test(netstat_keeps_a_counter_at_the_full_64_bits),
		cmocka_unit_test(
			netstat_rejects_a_counter_that_is_not_a_number),
		cmocka_unit_test(meminfo_reads_memtotal_in_bytes),
		cmocka_unit_test(meminfo_without_memtotal_is_an_error),
		cmocka_unit_test(meminfo_rejects_anything_but_kilobytes),
		cmocka_unit_test(meminfo_rejects_a_negative_size),
		cmocka_unit_test(slabinfo_reads_the_larger_tw_sock_objsize),
		cmocka_unit_test(slabinfo_without_tw_sock_tcpv6_reads_tw_sock_tcp),
		cmocka_unit_test(slabinfo_without_tw_sock_tcp_is_enoent),
		cmocka_unit_test(slabinfo_rejects_a_malformed_line),
		cmocka_unit_test(slabinfo_of_an_unknown_version_is_an_error),
		cmocka_unit_test(tcp_opens_reads_the_tcp_line_of_snmp),
		cmocka_unit_test(
			tcp_opens_without_a_column_is_an_error_naming_it),
		cmocka_unit_test(derive_ratio_is_count_over_max),
		cmocka_unit_test(derive_ratio_of_zero_buckets_is_full),
		cmocka_unit_test(derive_negative_max_is_unlimited),
		cmocka_unit_test(derive_negative_max_before_5_18_admits_nothing),
		cmocka_unit_test(derive_without_the_counter),
		cmocka_unit_test(kernel_model_follows_the_release),
		cmocka_unit_test(kernel_model_of_a_child_namespace_before_4_11),
		cmocka_unit_test(kernel_model_lifetime_and_openvz),
		cmocka_unit_test(kernel_versions_parse),
		cmocka_unit_test(derive_deltas_and_rate_from_a_baseline),
		cmocka_unit_test(
			derive_demand_is_steady_state_over_a_short_window),
		cmocka_unit_test(derive_demand_of_nothing_is_zero),
		cmocka_unit_test(derive_demand_of_the_man_page_example),
		cmocka_unit_test(derive_demand_of_a_burst_is_the_burst_bound),
		cmocka_unit_test(derive_counter_at_zero_is_a_baseline),
		cmocka_unit_test(
			derive_demand_scales_overflows_of_a_long_window),
		cmocka_unit_test(derive_demand_is_the_count_without_overflows),
		cmocka_unit_test(derive_unknown_counter_gives_unknown_delta),
		cmocka_unit_test(
			derive_without_baseline_demand_is_count_when_not_full),
		cmocka_unit_test(
			derive_without_baseline_demand_is_unknown_when_full),
		cmocka_unit_test(derive_refuses_a_baseline_from_another_boot),
		cmocka_unit_test(derive_refuses_a_baseline_from_another_netns),
		cmocka_unit_test(
			derive_refuses_a_baseline_whose_counter_went_down),
		cmocka_unit_test(derive_refuses_a_baseline_not_older_than_now),
		cmocka_unit_test(derive_refuses_a_baseline_under_another_limit),
		TREE_TEST(collect_puts_each_value_in_its_metric),
		TREE_TEST(collect_reads_the_sysctls_it_is_asked_for),
		TREE_TEST(collect_shows_a_missing_sysctl_as_absent),
		TREE_TEST(collect_without_netstat_is_an_error_naming_it),
		TREE_TEST(collect_of_a_malformed_sockstat_is_an_error),
		TREE_TEST(collect_without_the_overflow_counter),
		TREE_TEST(collect_needs_an_integer_tw_max),
		TREE_TEST(collect_warns_on_a_malformed_port_range),
		TREE_TEST(collect_assumes_256_bytes_without_slabinfo),
		TREE_TEST(collect_without_optional_files_still_works),
		TREE_TEST(collect_reads_the_churn_counters_of_snmp),
		cmocka_unit_test(derive_open_rates_from_a_baseline),
		cmocka_unit_test(derive_open_rates_without_the_overflow_counter),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
