// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Tests for the NETLINK_SOCK_DIAG reader (sockdiag.c), on dump replies
 * built in memory: the per-state counts, TIME_WAIT split by whether the
 * local port is in the ephemeral range (both ends of it included), the
 * distinct TIME_WAIT and SYN_RECV peers with an IPv4-mapped IPv6 address
 * the same peer as the IPv4 one, port pressure counting only connections
 * from ephemeral ports and never listeners; the parser's return values
 * (more to come, done, a stream split over two buffers) and its refusal,
 * with a message, of error replies, truncated or trailing messages, a
 * wrong sequence number, an interrupted dump, an unknown family or message
 * type; the metrics sockdiag_fill derives, which stay unknown when the dump
 * failed or the ephemeral range is unknown; the text of address keys; and
 * one live dump from the kernel, skipped where netlink is not allowed.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "observe.h"
#include "sketch.h"
#include "sockdiag.h"
#include "testutil.h"

#define EPH_LO 40000
#define EPH_HI 60999
#define SEQ 7

/* --- building dump replies -------------------------------------------- */

struct nlbuf {
	unsigned char *data;
	size_t len, cap;
};

static void *nl_grow(struct nlbuf *b, size_t n)
{
	void *p;

	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 1024;

		while (b->len + n > cap)
			cap *= 2;
		b->data = realloc(b->data, cap);
		assert_non_null(b->data);
		b->cap = cap;
	}
	p = b->data + b->len;
	memset(p, 0, n);
	b->len += n;
	return p;
}

/* One message: header, payload, padding to NLMSG_ALIGN. */
static void put_msg(struct nlbuf *b, uint16_t type, uint16_t flags,
		    uint32_t seq, const void *payload, size_t plen)
{
	struct nlmsghdr h = {
		.nlmsg_len = (uint32_t)NLMSG_LENGTH(plen),
		.nlmsg_type = type,
		.nlmsg_flags = flags,
		.nlmsg_seq = seq,
		.nlmsg_pid = 0,
	};
	unsigned char *p = nl_grow(b, NLMSG_SPACE(plen));

	memcpy(p, &h, sizeof(h));
	if (plen)
		memcpy(p + NLMSG_HDRLEN, payload, plen);
}

static void put_done(struct nlbuf *b, uint32_t seq, int err)
{
	put_msg(b, NLMSG_DONE, NLM_F_MULTI, seq, &err, sizeof(err));
}

static void put_error(struct nlbuf *b, uint32_t seq, int err)
{
	struct nlmsgerr e = { .error = err };

	put_msg(b, NLMSG_ERROR, 0, seq, &e, sizeof(e));
}

static void set_addr(__be32 *out, int family, const char *text)
{
	assert_int_equal(inet_pton(family, text, out), 1);
}

static struct inet_diag_msg diag_msg(int family, int state, const char *src,
				     unsigned sport, const char *dst,
				     unsigned dport)
{
	struct inet_diag_msg m;

	memset(&m, 0, sizeof(m));
	m.idiag_family = (uint8_t)family;
	m.idiag_state = (uint8_t)state;
	m.id.idiag_sport = htons((uint16_t)sport);
	m.id.idiag_dport = htons((uint16_t)dport);
	set_addr(m.id.idiag_src, family, src);
	set_addr(m.id.idiag_dst, family, dst);
	m.id.idiag_cookie[0] = m.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	return m;
}

static void put_sock_seq(struct nlbuf *b, uint32_t seq, int family, int state,
			 const char *src, unsigned sport, const char *dst,
			 unsigned dport)
{
	struct inet_diag_msg m =
		diag_msg(family, state, src, sport, dst, dport);

	put_msg(b, SOCK_DIAG_BY_FAMILY, NLM_F_MULTI, seq, &m, sizeof(m));
}

static void put_sock(struct nlbuf *b, int family, int state, const char *src,
		     unsigned sport, const char *dst, unsigned dport)
{
	put_sock_seq(b, SEQ, family, state, src, sport, dst, dport);
}

/*
 * Parse a copy of exactly len bytes, so that a read past the end is
 * caught by valgrind and the sanitizers.
 */
static int parse(struct sock_stats *st, const struct nlbuf *b, size_t len,
		 uint32_t seq)
{
	void *copy = malloc(len ? len : 1);
	int ret;

	assert_non_null(copy);
	memcpy(copy, b->data, len);
	ret = sockdiag_parse(st, copy, len, seq);
	free(copy);
	return ret;
}

static void nl_free(struct nlbuf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

static uint64_t sum_states(const struct sock_stats *st)
{
	uint64_t n = 0;

	for (int i = 0; i < SOCK_STATES; i++)
		n += st->states[i];
	return n;
}

static void obs_unknown(struct observation *o, double eph_ports)
{
	memset(o, 0, sizeof(*o));
	/* a reason left from before: fill must clear it for a known value */
	for (int i = 0; i < METRIC_COUNT; i++) {
		o->m[i] = NAN;
		o->why[i] = "stale";
	}
	o->m[M_EPHEMERAL_LOW] = EPH_LO;
	o->m[M_EPHEMERAL_HIGH] = EPH_HI;
	o->m[M_EPHEMERAL_PORTS] = eph_ports;
}

/*
 * A host at 10.0.0.1 / 2001:db8::1.  TIME_WAIT peers: A 192.0.2.1 (4, one
 * of them through an IPv4-mapped socket), B 198.51.100.7 (3, one mapped),
 * C 2001:db8::7, D 2001:db8::8, E 64:ff9b::c000:201 (NAT64 for 192.0.2.1,
 * a different peer).  Busiest destination 10.0.0.1 -> 192.0.2.1:80 with 7
 * connections from ephemeral ports, one of them mapped.
 */
static void put_scenario(struct nlbuf *b)
{
	/* TIME_WAIT, outgoing: local port in 40000..60999, both ends */
	put_sock(b, AF_INET, TCP_TIME_WAIT, "10.0.0.1", 40000, "192.0.2.1", 80);
	put_sock(b, AF_INET, TCP_TIME_WAIT, "10.0.0.1", 60999, "192.0.2.1", 80);
	put_sock(b, AF_INET, TCP_TIME_WAIT, "10.0.0.1", 50000, "192.0.2.1", 80);
	put_sock(b, AF_INET6, TCP_TIME_WAIT, "::ffff:10.0.0.1", 50001,
		 "::ffff:192.0.2.1", 80);
	/* TIME_WAIT, incoming: just outside the range, or a server port */
	put_sock(b, AF_INET, TCP_TIME_WAIT, "10.0.0.1", 39999, "198.51.100.7",
		 51234);
	put_sock(b, AF_INET, TCP_TIME_WAIT, "10.0.0.1", 61000, "198.51.100.7",
		 51235);
	put_sock(b, AF_INET6, TCP_TIME_WAIT, "::ffff:10.0.0.1", 80,
		 "::ffff:198.51.100.7", 51236);
	put_sock(b, AF_INET6, TCP_TIME_WAIT, "2001:db8::1", 443, "2001:db8::7",
		 50000);
	put_sock(b, AF_INET6, TCP_TIME_WAIT, "2001:db8::1", 443, "2001:db8::8",
		 50001);
	put_sock(b, AF_INET6, TCP_TIME_WAIT, "2001:db8::1", 443,
		 "64:ff9b::c000:201", 50002);
	/* more connections to 192.0.2.1:80, in other states */
	put_sock(b, AF_INET, TCP_ESTABLISHED, "10.0.0.1", 41000, "192.0.2.1",
		 80);
	put_sock(b, AF_INET, TCP_ESTABLISHED, "10.0.0.1", 41001, "192.0.2.1",
		 80);
	put_sock(b, AF_INET, TCP_SYN_SENT, "10.0.0.1", 41002, "192.0.2.1", 80);
	/* other destinations: another port, another local address */
	put_sock(b, AF_INET, TCP_ESTABLISHED, "10.0.0.1", 41003, "192.0.2.1",
		 443);
	put_sock(b, AF_INET, TCP_ESTABLISHED, "10.0.0.2", 41004, "192.0.2.1",
		 80);
	/* not this host's connections: a server port, and listeners */
	put_sock(b, AF_INET, TCP_ESTABLISHED, "10.0.0.1", 22, "198.51.100.9",
		 50000);
	put_sock(b, AF_INET, TCP_LISTEN, "0.0.0.0", 45000, "0.0.0.0", 0);
	put_sock(b, AF_INET6, TCP_LISTEN, "::", 45000, "::", 0);
	/* half-open connections: peers S1 (twice, once mapped), S2, S3 */
	put_sock(b, AF_INET, TCP_SYN_RECV, "10.0.0.1", 22, "203.0.113.5",
		 50000);
	put_sock(b, AF_INET6, TCP_SYN_RECV, "::ffff:10.0.0.1", 22,
		 "::ffff:203.0.113.5", 50001);
	put_sock(b, AF_INET, TCP_SYN_RECV, "10.0.0.1", 22, "203.0.113.6",
		 50002);
	put_sock(b, AF_INET6, TCP_SYN_RECV, "2001:db8::1", 22, "2001:db8::5",
		 50003);
	put_sock(b, AF_INET, TCP_CLOSE_WAIT, "10.0.0.1", 80, "198.51.100.9",
		 50001);
}

#define SCENARIO_SOCKETS 23

/* The scenario parsed, done, as sockdiag_collect would leave it. */
static void scenario_collected(struct sock_stats *st)
{
	struct nlbuf b = { 0 };

	assert_int_equal(sockdiag_init(st, EPH_LO, EPH_HI), 0);
	put_scenario(&b);
	put_done(&b, SEQ, 0);
	assert_int_equal(parse(st, &b, b.len, SEQ), 1);
	st->collected = true;
	nl_free(&b);
}

/* --- counting --------------------------------------------------------- */

static void every_socket_is_counted_under_its_state(void **state)
{
	struct sock_stats st;

	(void)state;
	scenario_collected(&st);
	assert_int_equal(st.sockets, SCENARIO_SOCKETS);
	assert_int_equal(sum_states(&st), SCENARIO_SOCKETS);
	assert_int_equal(st.states[TCP_TIME_WAIT], 10);
	assert_int_equal(st.states[TCP_ESTABLISHED], 5);
	assert_int_equal(st.states[TCP_SYN_SENT], 1);
	assert_int_equal(st.states[TCP_SYN_RECV], 4);
	assert_int_equal(st.states[TCP_LISTEN], 2);
	assert_int_equal(st.states[TCP_CLOSE_WAIT], 1);
	assert_int_equal(st.states[TCP_FIN_WAIT1], 0);
	assert_int_equal(st.states[TCP_CLOSING], 0);
	sockdiag_free(&st);
}

static void time_wait_is_outgoing_only_from_an_ephemeral_port(void **state)
{
	struct sock_stats st;

	(void)state;
	scenario_collected(&st);
	/* 40000 and 60999 are in; 39999, 61000 and 80 are not */
	assert_int_equal(st.tw_outgoing, 4);
	assert_int_equal(st.tw_incoming, 6);
	sockdiag_free(&st);
}

static void mapped_ipv6_peer_is_the_same_as_its_ipv4(void **state)
{
	const struct sketch_entry *top[SOCK_TOP];
	char text[INET6_ADDRSTRLEN];
	struct sock_stats st;

	(void)state;
	scenario_collected(&st);
	/* A, B (each also seen mapped), C, D, E */
	assert_true(sketch_distinct(&st.tw_peers) == 5);
	assert_int_equal(sketch_top(&st.tw_peers, top, SOCK_TOP), 5);
	assert_int_equal(top[0]->count, 4);
	sockdiag_addr_text(top[0]->key, top[0]->len, text, sizeof(text));
	assert_string_equal(text, "192.0.2.1");
	assert_int_equal(top[1]->count, 3);
	sockdiag_addr_text(top[1]->key, top[1]->len, text, sizeof(text));
	assert_string_equal(text, "198.51.100.7");
	assert_int_equal(top[2]->count, 1);
	sockdiag_free(&st);
}

static void ipv6_peers_are_distinct_from_each_other_and_ipv4(void **state)
{
	struct nlbuf b = { 0 };
	struct sock_stats st;

	(void)state;
	assert_int_equal(sockdiag_init(&st, EPH_LO, EPH_HI), 0);
	put_sock(&b, AF_INET6, TCP_TIME_WAIT, "2001:db8::1", 443, "2001:db8::7",
		 1);
	put_sock(&b, AF_INET6, TCP_TIME_WAIT, "2001:db8::1", 443, "2001:db8::7",
		 2);
	put_sock(&b, AF_INET6, TCP_TIME_WAIT, "2001:db8::1", 443, "2001:db8::8",
		 3);
	/* the same low 32 bits as 192.0.2.1, but not ::ffff:0:0/96 */
	put_sock(&b, AF_INET6, TCP_TIME_WAIT, "2001:db8::1", 443, "::c000:201",
		 4);
	put_sock(&b, AF_INET6, TCP_TIME_WAIT, "2001:db8::1", 443,
		 "::fffe:c000:201", 5);
	put_sock(&b, AF_INET, TCP_TIME_WAIT, "10.0.0.1", 443, "192.0.2.1", 6);
	put_done(&b, SEQ, 0);
	assert_int_equal(parse(&st, &b, b.len, SEQ), 1);
	assert_true(sketch_distinct(&st.tw_peers) == 5);
	sockdiag_free(&st);
	nl_free(&b);
}

static void syn_recv_peers_are_counted_apart(void **state)
{
	struct sock_stats st;

	(void)state;
	scenario_collected(&st);
	/* S1 (plain and mapped), S2, S3 */
	assert_true(sketch_distinct(&st.syn_peers) == 3);
	assert_int_equal(st.syn_peers.total, 4);
	/* and they are not TIME_WAIT peers */
	assert_int_equal(st.tw_peers.total, 10);
	sockdiag_free(&st);
}

static void port_pressure_counts_only_ephemeral_non_listening(void **state)
{
	const struct sketch_entry *top[SOCK_TOP];
	char local[INET6_ADDRSTRLEN], remote[INET6_ADDRSTRLEN];
	struct sock_stats st;
	uint16_t port;

	(void)state;
	scenario_collected(&st);
	/*
	 * 10.0.0.1 -> 192.0.2.1:80 (7, one mapped), 10.0.0.1 -> :443 and
	 * 10.0.0.2 -> :80; no key for the listeners on port 45000 nor for
	 * the sockets on ports 22, 80, 443, 39999, 61000.
	 */
	assert_int_equal(st.dests.total, 9);
	assert_true(sketch_distinct(&st.dests) == 3);
	assert_int_equal(sketch_top(&st.dests, top, SOCK_TOP), 3);
	assert_int_equal(top[0]->count, 7);
	assert_int_equal(top[1]->count, 1);
	/* the key: local address, remote address, remote port */
	assert_int_equal(top[0]->len, 5 + 5 + 2);
	sockdiag_addr_text(top[0]->key, 5, local, sizeof(local));
	sockdiag_addr_text(top[0]->key + 5, 5, remote, sizeof(remote));
	memcpy(&port, top[0]->key + 10, 2);
	assert_string_equal(local, "10.0.0.1");
	assert_string_equal(remote, "192.0.2.1");
	assert_int_equal(ntohs(port), 80);
	sockdiag_free(&st);
}

/* --- parser return values --------------------------------------------- */

static void buffer_without_done_means_more_to_come(void **state)
{
	struct nlbuf b = { 0 };
	struct sock_stats st;

	(void)state;
	assert_int_equal(sockdiag_init(&st, EPH_LO, EPH_HI), 0);
	put_sock(&b, AF_INET, TCP_ESTABLISHED, "10.0.0.1", 41000, "192.0.2.1",
		 80);
	assert_int_equal(parse(&st, &b, b.len, SEQ), 0);
	assert_int_equal(st.sockets, 1);
	assert_string_equal(st.error, "");
	/* an empty buffer is no progress, but no error either */
	assert_int_equal(sockdiag_parse(&st, b.data, 0, SEQ), 0);
	assert_int_equal(st.sockets, 1);
	sockdiag_free(&st);
	nl_free(&b);
}

static void done_ends_the_dump(void **state)
{
	struct nlbuf b = { 0 };
	struct sock_stats st;

	(void)state;
	assert_int_equal(sockdiag_init(&st, EPH_LO, EPH_HI), 0);
	put_done(&b, SEQ, 0);
	assert_int_equal(parse(&st, &b, b.len, SEQ), 1);
	assert_int_equal(st.sockets, 0);
	nl_free(&b);

	/* a DONE with no payload at all (older kernels) */
	put_msg(&b, NLMSG_DONE, NLM_F_MULTI, SEQ, NULL, 0);
	assert_int_equal(parse(&st, &b, b.len, SEQ), 1);
	assert_string_equal(st.error, "");
	sockdiag_free(&st);
	nl_free(&b);
}

static void stream_split_over_two_buffers_accumulates(void **state)
{
	struct nlbuf one = { 0 }, two = { 0 };
	struct sock_stats st;

	(void)state;
	assert_int_equal(sockdiag_init(&st, EPH_LO, EPH_HI), 0);
	put_sock(&one, AF_INET, TCP_TIME_WAIT, "10.0.0.1", 41000, "192.0.2.1",
		 80);
	put_sock(&one, AF_INET, TCP_TIME_WAIT, "10.0.0.1", 80, "192.0.2.2",
		 5000);
	put_sock(&two, AF_INET6, TCP_TIME_WAIT, "::ffff:10.0.0.1", 41001,
		 "::ffff:192.0.2.1", 80);
	put_sock(&two, AF_INET, TCP_ESTABLISHED, "10.0.0.1", 41002, "192.0.2.1",
		 80);
	put_done(&two, SEQ, 0);

	assert_int_equal(parse(&st, &one, one.len, SEQ), 0);
	assert_int_equal(st.sockets, 2);
	assert_int_equal(parse(&st, &two, two.len, SEQ), 1);
	assert_int_equal(st.sockets, 4);
	assert_int_equal(st.states[TCP_TIME_WAIT], 3);
	assert_int_equal(st.states[TCP_ESTABLISHED], 1);
	assert_int_equal(st.tw_outgoing, 2);
	assert_int_equal(st.tw_incoming, 1);
	assert_true(sketch_distinct(&st.tw_peers) == 2);
	assert_int_equal(st.dests.total, 3);
	assert_true(sketch_distinct(&st.dests) == 1);
	sockdiag_free(&st);
	nl_free(&one);
	nl_free(&two);
}

static void error_reply_returns_its_errno_with_a_message(void **state)
{
	struct nlbuf b = { 0 };
	struct sock_stats st;

	(void)state;
	assert_int_equal(sockdiag_init(&st, EPH_LO, EPH_HI), 0);
	put_error(&b, SEQ, -EPERM);
	assert_int_equal(parse(&st, &b, b.len, SEQ), -EPERM);
	assert_non_null(strstr(st.error, strerror(EPERM)));
	nl_free(&b);

	/* after sockets already counted, still an error */
	put_sock(&b, AF_INET, TCP_ESTABLISHED, "10.0.0.1", 41000, "192.0.2.1",
		 80);
	put_error(&b, SEQ, -ENOENT);
	assert_int_equal(parse(&st, &b, b.len, SEQ), -ENOENT);
	assert_non_null(strstr(st.error, strerror(ENOENT)));
	sockdiag_free(&st);
	nl_free(&b);
}

static void error_reply_too_short_for_its_code_is_refused(void **state)
{
	struct nlbuf b = { 0 };
	struct sock_stats st;
	int code = -EPERM;

	(void)state;
	assert_int_equal(sockdiag_init(&st, EPH_LO, EPH_HI), 0);
	put_msg(&b, NLMSG_ERROR, 0, SEQ, &code, sizeof(code));
	assert_int_equal(parse(&st, &b, b.len, SEQ), -EBADMSG);
	assert_non_null(strstr(st.error, "truncated"));
	sockdiag_free(&st);
	nl_free(&b);
}

static void socket_message_shorter_than_inet_diag_msg_is_refused(void **state)
{
	struct nlbuf b = { 0 };
	struct sock_stats st;
	struct inet_diag_msg m = diag_msg(AF_INET, TCP_ESTABLISHED, "10.0.0.1",
					  41000, "192.0.2.1", 80);

	(void)state;
	assert_int_equal(sockdiag_init(&st, EPH_LO, EPH_HI), 0);
	put_msg(&b, SOCK_DIAG_BY_FAMILY, NLM_F_MULTI, SEQ, &m, sizeof(m) - 4);
	put_done(&b, SEQ, 0);
	assert_int_equal(parse(&st, &b, b.len, SEQ), -EBADMSG);
	assert_non_null(strstr(st.error, "truncated"));
	assert_int_equal(st.sockets, 0);
	sockdiag_free(&st);
	nl_free(&b);
}

static void buffer_ending_inside_a_message_is_refused(void **state)
{
	struct nlbuf b = { 0 };
	struct sock_stats st;
	size_t one;

	(void)state;
	assert_int_equal(sockdiag_init(&st, EPH_LO, EPH_HI), 0);
	put_sock(&b, AF_INET, TCP_ESTABLISHED, "10.0.0.1", 41000, "192.0.2.1",
		 80);
	one = b.len;
	put_sock(&b, AF_INET, TCP_ESTABLISHED, "10.0.0.1", 41001, "192.0.2.1",
		 80);

	/* the second message's header is there, its body is cut */
	assert_int_equal(parse(&st, &b, b.len - 8, SEQ), -EBADMSG);
	assert_non_null(strstr(st.error, "truncated"));

	/* not even the second header fits */
	st.error[0] = '\0';
	assert_int_equal(parse(&st, &b, one + 8, SEQ), -EBADMSG);
	assert_non_null(strstr(st.error, "truncated"));
	sockdiag_free(&st);
	nl_free(&b);
}

static void header_claiming_less_than_itself_is_refused(void **state)
{
	struct nlbuf b = { 0 };
	struct sock_stats st;

	(void)state;
	assert_int_equal(sockdiag_init(&st, EPH_LO, EPH_HI), 0);
	put_done(&b, SEQ, 0);
	((struct nlmsghdr *)b.data)->nlmsg_len = 8;
	assert_int_equal(parse(&st, &b, b.len, SEQ), -EBADMSG);
	sockdiag_free(&st);
	nl_free(&b);
}

/*
 * The last message's length need not be a multiple of 4 (NLMSG_ALIGN pads
 * only between messages).  Stepping over its padding must not step out of
 * the buffer: it is placed against an unmapped page, so a read past len
 * faults even without valgrind.  Accepting the message or refusing the
 * buffer are both fine.  A fault ends the test early, so what it holds is
 * owned by a fixture.
 */
struct guarded {
	struct sock_stats st;
	unsigned char *map;
	size_t page;
};

static int guarded_setup(void **state)
{
	struct guarded *g = calloc(1, sizeof(*g));

	if (!g)
		return -1;
	g->page = (size_t)sysconf(_SC_PAGESIZE);
	g->map = mmap(NULL, 2 * g->page, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g->map == MAP_FAILED) {
		free(g);
		return -1;
	}
	if (mprotect(g->map + g->page, g->page, PROT_NONE) < 0 ||
	    sockdiag_init(&g->st, EPH_LO, EPH_HI) < 0) {
		munmap(g->map, 2 * g->page);
		free(g);
		return -1;
	}
	*state = g;
	return 0;
}

static int guarded_teardown(void **state)
{
	struct guarded *g = *state;

	sockdiag_free(&g->st);
	munmap(g->map, 2 * g->page);
	free(g);
	return 0;
}

static void unpadded_last_message_is_not_read_past(void **state)
{
	struct guarded *g = *state;
	const size_t mlen = NLMSG_LENGTH(sizeof(struct inet_diag_msg)) + 1;
	struct inet_diag_msg m = diag_msg(AF_INET, TCP_TIME_WAIT, "10.0.0.1",
					  41000, "192.0.2.1", 80);
	struct nlmsghdr h = {
		.nlmsg_len = (uint32_t)mlen,
		.nlmsg_type = SOCK_DIAG_BY_FAMILY,
		.nlmsg_flags = NLM_F_MULTI,
		.nlmsg_seq = SEQ,
	};
	unsigned char *msg;
	int ret;

	/* aligned start; the padding is the last mapped bytes */
	msg = g->map + g->page - NLMSG_ALIGN(mlen);
	memcpy(msg, &h, sizeof(h));
	memcpy(msg + NLMSG_HDRLEN, &m, sizeof(m));
	msg[mlen - 1] = 0;

	ret = sockdiag_parse(&g->st, msg, mlen, SEQ);
	if (ret != 0 && ret != -EBADMSG)
		fail_msg("sockdiag_parse returned %d", ret);
	if (ret == 0)
		assert_int_equal(g->st.sockets, 1);
}

static void reply_to_another_request_is_refused(void **state)
{
	struct nlbuf b = { 0 };
	struct sock_stats st;

	(void)state;
	assert_int_equal(sockdiag_init(&st, EPH_LO, EPH_HI), 0);
	put_sock(&b, AF_INET, TCP_ESTABLISHED, "10.0.0.1", 41000, "192.0.2.1",
		 80);
	put_done(&b, SEQ, 0);
	assert_int_equal(parse(&st, &b, b.len, SEQ + 1), -EPROTO);
	assert_int_equal(st.sockets, 0);
	assert_string_not_equal(st.error, "");
	nl_free(&b);

	/* also when only a later message of the buffer is foreign */
	put_sock(&b, AF_INET, TCP_ESTABLISHED, "10.0.0.1", 41000, "192.0.2.1",
		 80);
	put_done(&b, SEQ + 1, 0);
	assert_int_equal(parse(&st, &b, b.len, SEQ), -EPROTO);
	sockdiag_free(&st);
	nl_free(&b);
}

static void interrupted_dump_is_refused(void **state)
{
	struct nlbuf b = { 0 };
	struct sock_stats st;
	struct inet_diag_msg m = diag_msg(AF_INET, TCP_ESTABLISHED, "10.0.0.1",
					  41000, "192.0.2.1", 80);

	(void)state;
	assert_int_equal(sockdiag_init(&st, EPH_LO, EPH_HI), 0);
	put_msg(&b, SOCK_DIAG_BY_FAMILY, NLM_F_MULTI | NLM_F_DUMP_INTR, SEQ, &m,
		sizeof(m));
	put_done(&b, SEQ, 0);
	assert_int_equal(parse(&st, &b, b.len, SEQ), -EINTR);
	assert_non_null(strstr(st.error, "interrupted"));
	nl_free(&b);

	/* the kernel may set the flag on DONE alone */
	st.error[0] = '\0';
	put_sock(&b, AF_INET, TCP_ESTABLISHED, "10.0.0.1", 41000, "192.0.2.1",
		 80);
	put_msg(&b, NLMSG_DONE, NLM_F_MULTI | NLM_F_DUMP_INTR, SEQ, &(int){ 0 },
		sizeof(int));
	assert_int_equal(parse(&st, &b, b.len, SEQ), -EINTR);
	assert_non_null(strstr(st.error, "interrupted"));
	sockdiag_free(&st);
	nl_free(&b);
}

static void socket_of_an_unknown_family_is_refused(void **state)
{
	struct nlbuf b = { 0 };
	struct sock_stats st;
	struct inet_diag_msg m = diag_msg(AF_INET, TCP_ESTABLISHED, "10.0.0.1",
					  41000, "192.0.2.1", 80);

	(void)state;
	assert_int_equal(sockdiag_init(&st, EPH_LO, EPH_HI), 0);
	m.idiag_family = AF_UNIX;
	put_msg(&b, SOCK_DIAG_BY_FAMILY, NLM_F_MULTI, SEQ, &m, sizeof(m));
	put_done(&b, SEQ, 0);
	assert_int_equal(parse(&st, &b, b.len, SEQ), -EBADMSG);
	assert_non_null(strstr(st.error, "family"));
	assert_int_equal(st.sockets, 0);
	sockdiag_free(&st);
	nl_free(&b);
}

static void message_of_an_unexpected_type_is_refused(void **state)
{
	struct nlbuf b = { 0 };
	struct sock_stats st;
	struct inet_diag_msg m = diag_msg(AF_INET, TCP_ESTABLISHED, "10.0.0.1",
					  41000, "192.0.2.1", 80);

	(void)state;
	assert_int_equal(sockdiag_init(&st, EPH_LO, EPH_HI), 0);
	put_msg(&b, SOCK_DIAG_BY_FAMILY + 1, NLM_F_MULTI, SEQ, &m, sizeof(m));
	put_done(&b, SEQ, 0);
	assert_int_equal(parse(&st, &b, b.len, SEQ), -EBADMSG);
	assert_non_null(strstr(st.error, "unexpected"));
	assert_int_equal(st.sockets, 0);
	sockdiag_free(&st);
	nl_free(&b);
}

static void done_carrying_an_error_code_is_refused(void **state)
{
	struct nlbuf b = { 0 };
	struct sock_stats st;

	(void)state;
	assert_int_equal(sockdiag_init(&st, EPH_LO, EPH_HI), 0);
	put_sock(&b, AF_INET, TCP_ESTABLISHED, "10.0.0.1", 41000, "192.0.2.1",
		 80);
	put_done(&b, SEQ, -ENOMEM);
	assert_int_equal(parse(&st, &b, b.len, SEQ), -ENOMEM);
	assert_string_not_equal(st.error, "");
	sockdiag_free(&st);
	nl_free(&b);
}

/*
 * Found with the fuzz_sockdiag harness (tests/fuzz/regress/fuzz_sockdiag/
 * error-code-int-min): INT_MIN as the code was negated for strerror()
 * (undefined behaviour) and returned as if it were an errno.
 */
static void error_code_outside_the_errno_range_is_refused(void **state)
{
	struct nlbuf b = { 0 };
	struct sock_stats st;

	(void)state;
	assert_int_equal(sockdiag_init(&st, EPH_LO, EPH_HI), 0);
	put_error(&b, SEQ, INT_MIN);
	assert_int_equal(parse(&st, &b, b.len, SEQ), -EBADMSG);
	assert_non_null(strstr(st.error, "invalid error code"));
	nl_free(&b);

	put_done(&b, SEQ, INT_MIN);
	assert_int_equal(parse(&st, &b, b.len, SEQ), -EBADMSG);
	assert_non_null(strstr(st.error, "invalid error code"));
	nl_free(&b);

	/* the largest errno the kernel uses is still one */
	put_error(&b, SEQ, -4095);
	assert_int_equal(parse(&st, &b, b.len, SEQ), -4095);
	sockdiag_free(&st);
	nl_free(&b);
}

/* --- sockdiag_fill ---------------------------------------------------- */

static void every_state_lands_in_its_own_metric(void **state)
{
	static const int metric[] = {
		[TCP_ESTABLISHED] = M_STATE_ESTABLISHED,
		[TCP_SYN_SENT] = M_STATE_SYN_SENT,
		[TCP_SYN_RECV] = M_STATE_SYN_RECV,
		[TCP_FIN_WAIT1] = M_STATE_FIN_WAIT1,
		[TCP_FIN_WAIT2] = M_STATE_FIN_WAIT2,
		[TCP_TIME_WAIT] = M_STATE_TIME_WAIT,
		[TCP_CLOSE] = M_STATE_CLOSE,
		[TCP_CLOSE_WAIT] = M_STATE_CLOSE_WAIT,
		[TCP_LAST_ACK] = M_STATE_LAST_ACK,
		[TCP_LISTEN] = M_STATE_LISTEN,
		[TCP_CLOSING] = M_STATE_CLOSING,
	};
	struct nlbuf b = { 0 };
	struct observation o;
	struct sock_stats st;

	(void)state;
	assert_int_equal(sockdiag_init(&st, EPH_LO, EPH_HI), 0);
	/* state s appears s times, so a mix-up shows */
	for (int s = TCP_ESTABLISHED; s <= TCP_CLOSING; s++)
		for (int i = 0; i < s; i++)
			put_sock(&b, AF_INET, s, "10.0.0.1", 80, "192.0.2.1",
				 (unsigned)(1000 + i));
	put_done(&b, SEQ, 0);
	assert_int_equal(parse(&st, &b, b.len, SEQ), 1);
	st.collected = true;
	obs_unknown(&o, 21000);
	sockdiag_fill(&st, &o);
	for (int s = TCP_ESTABLISHED; s <= TCP_CLOSING; s++) {
		assert_true(o.m[metric[s]] == s);
		assert_null(o.why[metric[s]]);
	}
	sockdiag_free(&st);
	nl_free(&b);
}

static void fill_derives_the_socket_metrics(void **state)
{
	struct observation o;
	struct sock_stats st;

	(void)state;
	scenario_collected(&st);
	obs_unknown(&o, 21000);
	o.m[M_TW_COUNT] = 12; /* sockstat: 10 TIME_WAIT, 2 FIN_WAIT2 */
	sockdiag_fill(&st, &o);

	assert_true(o.m[M_STATE_TIME_WAIT] == 10);
	assert_true(o.m[M_TW_FIN_WAIT2] == 2);
	assert_true(o.m[M_STATE_ESTABLISHED] == 5);
	assert_true(o.m[M_STATE_SYN_SENT] == 1);
	assert_true(o.m[M_STATE_SYN_RECV] == 4);
	assert_true(o.m[M_STATE_LISTEN] == 2);
	assert_true(o.m[M_STATE_CLOSE_WAIT] == 1);
	assert_true(o.m[M_STATE_FIN_WAIT1] == 0);
	assert_true(o.m[M_STATE_FIN_WAIT2] == 0);
	assert_true(o.m[M_STATE_CLOSE] == 0);
	assert_true(o.m[M_STATE_LAST_ACK] == 0);
	assert_true(o.m[M_STATE_CLOSING] == 0);
	assert_true(o.m[M_TW_OUTGOING] == 4);
	assert_true(o.m[M_TW_INCOMING] == 6);
	assert_true(o.m[M_TW_PEERS] == 5);
	/* 192.0.2.1 holds 4 of the 10 TIME_WAIT sockets */
	assert_true(fabs(o.m[M_TW_TOP_PEER_SHARE] - 0.4) < 1e-12);
	/* 7 connections to the busiest destination, 21000 ports */
	assert_true(fabs(o.m[M_PORT_PRESSURE] - 7.0 / 21000) < 1e-15);
	assert_true(o.m[M_SYN_RECV_PEERS] == 3);
	/* no demand known: the ports in use now */
	assert_true(o.m[M_PORT_DEMAND] == 7);
	assert_true(o.m[M_REUSE_EFFECTIVE] == 0);
	/* no peer dump, no usable_ports: unknown, each with its reason */
	assert_true(isnan(o.m[M_PEER_TIMESTAMPS]));
	assert_non_null(o.why[M_PEER_TIMESTAMPS]);
	assert_true(isnan(o.m[M_TW_PORT_LIMIT]));
	assert_string_equal(o.why[M_TW_PORT_LIMIT], "usable_ports is unknown");
	for (int i = M_FIRST_SOCKET; i < METRIC_COUNT; i++) {
		if (i == M_PEER_TIMESTAMPS || i == M_TW_PORT_LIMIT)
			continue;
		if (isnan(o.m[i]))
			fail_msg("%s is unknown", metric_names[i]);
		assert_null(o.why[i]);
	}
	/* the cheap metrics are not the module's to touch */
	assert_true(o.m[M_EPHEMERAL_PORTS] == 21000);
	assert_true(o.m[M_TW_COUNT] == 12);
	sockdiag_free(&st);
}

static void fill_of_no_sockets_gives_zeros_not_unknowns(void **state)
{
	struct nlbuf b = { 0 };
	struct observation o;
	struct sock_stats st;

	(void)state;
	assert_int_equal(sockdiag_init(&st, EPH_LO, EPH_HI), 0);
	put_done(&b, SEQ, 0);
	assert_int_equal(parse(&st, &b, b.len, SEQ), 1);
	st.collected = true;
	obs_unknown(&o, 21000);
	o.m[M_TW_COUNT] = 0;
	sockdiag_fill(&st, &o);
	for (int i = M_FIRST_SOCKET; i < METRIC_COUNT; i++) {
		/* about the busiest destination, and there is none */
		if (i == M_PEER_TIMESTAMPS || i == M_TW_PORT_LIMIT) {
			assert_true(isnan(o.m[i]));
			assert_non_null(o.why[i]);
		} else if (o.m[i] != 0) {
			fail_msg("%s is %g, not 0", metric_names[i], o.m[i]);
		}
	}
	sockdiag_free(&st);
	nl_free(&b);
}

static void failed_dump_leaves_every_socket_metric_unknown(void **state)
{
	struct nlbuf b = { 0 };
	struct observation o;
	struct sock_stats st;

	(void)state;
	assert_int_equal(sockdiag_init(&st, EPH_LO, EPH_HI), 0);
	put_scenario(&b);
	put_done(&b, SEQ + 1, 0);
	/* the sockets were counted, then the dump failed */
	assert_int_equal(parse(&st, &b, b.len, SEQ), -EPROTO);
	assert_int_equal(st.sockets, SCENARIO_SOCKETS);
	assert_false(st.collected);
	obs_unknown(&o, 21000);
	sockdiag_fill(&st, &o);
	for (int i = M_FIRST_SOCKET; i < METRIC_COUNT; i++) {
		if (!isnan(o.m[i]))
			fail_msg("%s is %g, not unknown", metric_names[i],
				 o.m[i]);
		assert_non_null(o.why[i]);
		assert_string_equal(o.why[i], st.error);
	}
	assert_true(o.m[M_EPHEMERAL_PORTS] == 21000);
	sockdiag_free(&st);
	nl_free(&b);
}

static void dump_never_run_says_so(void **state)
{
	struct observation o;
	struct sock_stats st;

	(void)state;
	assert_int_equal(sockdiag_init(&st, EPH_LO, EPH_HI), 0);
	obs_unknown(&o, 21000);
	sockdiag_fill(&st, &o);
	for (int i = M_FIRST_SOCKET; i < METRIC_COUNT; i++) {
		assert_true(isnan(o.m[i]));
		assert_non_null(o.why[i]);
		assert_string_not_equal(o.why[i], "");
	}
	sockdiag_free(&st);
}

static void unknown_ephemeral_range_leaves_direction_unknown(void **state)
{
	struct observation o;
	struct sock_stats st;

	(void)state;
	scenario_collected(&st);
	obs_unknown(&o, NAN);
	sockdiag_fill(&st, &o);
	assert_true(isnan(o.m[M_TW_OUTGOING]));
	assert_true(isnan(o.m[M_TW_INCOMING]));
	assert_true(isnan(o.m[M_PORT_PRESSURE]));
	assert_non_null(o.why[M_TW_OUTGOING]);
	assert_non_null(o.why[M_TW_INCOMING]);
	assert_non_null(o.why[M_PORT_PRESSURE]);
	/* what does not need the range is still known */
	assert_true(o.m[M_STATE_TIME_WAIT] == 10);
	assert_true(o.m[M_TW_PEERS] == 5);
	assert_true(o.m[M_SYN_RECV_PEERS] == 3);
	assert_null(o.why[M_TW_PEERS]);

	/* a zero-sized range is as unknown as none */
	obs_unknown(&o, 0);
	sockdiag_fill(&st, &o);
	assert_true(isnan(o.m[M_TW_OUTGOING]));
	assert_true(isnan(o.m[M_PORT_PRESSURE]));
	sockdiag_free(&st);
}

/* --- direction, ports and reuse ----------------------------------------- */

/*
 * A listener on a port inside the ephemeral range (dumped first, as
 * sockdiag_collect does) makes connections on that port incoming.
 */
static void listener_inside_the_range_makes_its_port_incoming(void **state)
{
	struct nlbuf b = { 0 };
	struct sock_stats st;

	(void)state;
	assert_int_equal(sockdiag_init(&st, EPH_LO, EPH_HI), 0);
	put_sock(&b, AF_INET, TCP_LISTEN, "0.0.0.0", 45000, "0.0.0.0", 0);
	put_sock(&b, AF_INET, TCP_TIME_WAIT, "10.0.0.1", 45000, "192.0.2.9",
		 50000);
	put_sock(&b, AF_INET, TCP_TIME_WAIT, "10.0.0.1", 45001, "192.0.2.9",
		 80);
	put_done(&b, SEQ, 0);
	assert_int_equal(parse(&st, &b, b.len, SEQ), 1);
	assert_int_equal(st.tw_incoming, 1);
	assert_int_equal(st.tw_outgoing, 1);
	sockdiag_free(&st);
	nl_free(&b);
}

static struct sysctl_obs reuse_obs(long long v)
{
	static char key[] = "net.ipv4.tcp_tw_reuse";

	return (struct sysctl_obs){ .key = key, .exists = true, .is_int = true,
				    .ival = v, .value = (double)v };
}

/*
 * 30 connections of this host to one destination, 20 of them in
 * TIME_WAIT, of 40 TIME_WAIT sockets in all; the table is full at 40 and
 * the demand is 120: three times what it holds.
 */
static void ports_scenario(struct sock_stats *st, const char *local,
			   const char *remote)
{
	struct nlbuf b = { 0 };

	assert_int_equal(sockdiag_init(st, EPH_LO, EPH_HI), 0);
	for (unsigned i = 0; i < 30; i++)
		put_sock(&b, AF_INET, i < 20 ? TCP_TIME_WAIT : TCP_ESTABLISHED,
			 local, 40000 + i, remote, 80);
	for (unsigned i = 0; i < 20; i++)
		put_sock(&b, AF_INET, TCP_TIME_WAIT, local, 443, "192.0.2.50",
			 50000 + i);
	put_done(&b, SEQ, 0);
	assert_int_equal(parse(st, &b, b.len, SEQ), 1);
	st->collected = true;
	nl_free(&b);
}

static void fill_ports(struct observation *o, const struct sock_stats *st,
		       struct sysctl_obs *reuse, double usable)
{
	obs_unknown(o, 21000);
	o->m[M_TW_COUNT] = 40;
	o->m[M_TW_DEMAND] = 120;
	o->m[M_USABLE_PORTS] = usable;
	o->kernel.reuse_loopback = 1; /* 4.19 and later */
	o->sysctls = reuse;
	o->n_sysctls = reuse ? 1 : 0;
	sockdiag_fill(st, o);
}

static void ports_grow_with_demand_and_limit_the_raise(void **state)
{
	struct sock_stats st;
	struct observation o;
	struct sock_dest d;
	struct sysctl_obs r0 = reuse_obs(0), r1 = reuse_obs(1),
			  r2 = reuse_obs(2);

	(void)state;
	ports_scenario(&st, "10.0.0.1", "192.0.2.1");
	assert_true(sockdiag_busiest(&st, &d));
	assert_int_equal(d.ports_in_use, 30);
	assert_int_equal(d.time_wait, 20);
	assert_false(d.loopback);
	assert_int_equal(d.port, 80);

	fill_ports(&o, &st, &r0, 100);
	/* 10 established + 20 TIME_WAIT that grow threefold */
	assert_true(o.m[M_PORT_DEMAND] == 70);
	assert_true(o.m[M_REUSE_EFFECTIVE] == 0);
	/* half the TIME_WAIT is to it: (90 - 10) / 0.5 */
	assert_true(o.m[M_TW_PORT_LIMIT] == 160);
	assert_null(o.why[M_TW_PORT_LIMIT]);
	assert_true(fabs(o.m[M_PORT_PRESSURE] - 0.3) < 1e-12);

	/* established connections alone past 90%: no room at all */
	fill_ports(&o, &st, &r0, 11);
	assert_true(o.m[M_TW_PORT_LIMIT] == 0);

	/* reuse = 1 covers it: no limit from ports */
	fill_ports(&o, &st, &r1, 100);
	assert_true(o.m[M_REUSE_EFFECTIVE] == 1);
	assert_true(isnan(o.m[M_TW_PORT_LIMIT]));
	assert_non_null(o.why[M_TW_PORT_LIMIT]);

	/* reuse = 2 is loopback only: not this destination */
	fill_ports(&o, &st, &r2, 100);
	assert_true(o.m[M_REUSE_EFFECTIVE] == 0);
	assert_true(o.m[M_TW_PORT_LIMIT] == 160);
	/* before 4.19, 2 is just "on", for every destination */
	obs_unknown(&o, 21000);
	o.m[M_TW_COUNT] = 40;
	o.m[M_TW_DEMAND] = 120;
	o.m[M_USABLE_PORTS] = 100;
	o.kernel.reuse_loopback = 0;
	o.sysctls = &r2;
	o.n_sysctls = 1;
	sockdiag_fill(&st, &o);
	assert_true(o.m[M_REUSE_EFFECTIVE] == 1);

	sockdiag_free(&st);

	/* ...but it is for one on loopback */
	ports_scenario(&st, "127.0.0.1", "127.0.0.1");
	assert_true(sockdiag_busiest(&st, &d));
	assert_true(d.loopback);
	fill_ports(&o, &st, &r2, 100);
	assert_true(o.m[M_REUSE_EFFECTIVE] == 1);
	sockdiag_free(&st);
}

/* One established socket with its tcp_info, timestamps or not. */
static void put_sock_info(struct nlbuf *b, bool timestamps, size_t info_len)
{
	struct {
		struct inet_diag_msg m;
		struct rtattr a;
		struct tcp_info ti;
	} msg;

	memset(&msg, 0, sizeof(msg));
	msg.m = diag_msg(AF_INET, TCP_ESTABLISHED, "10.0.0.1", 41000,
			 "192.0.2.1", 80);
	msg.a.rta_type = INET_DIAG_INFO;
	msg.a.rta_len = (unsigned short)RTA_LENGTH(info_len);
	if (timestamps)
		msg.ti.tcpi_options = TCPI_OPT_TIMESTAMPS;
	put_msg(b, SOCK_DIAG_BY_FAMILY, NLM_F_MULTI, SEQ, &msg,
		sizeof(msg.m) + RTA_LENGTH(info_len));
}

static void peer_dump_counts_timestamps_and_nothing_else(void **state)
{
	struct nlbuf b = { 0 };
	struct sock_stats st;

	(void)state;
	assert_int_equal(sockdiag_init(&st, EPH_LO, EPH_HI), 0);
	st.in_peer_dump = true;
	put_sock_info(&b, true, sizeof(struct tcp_info));
	put_sock_info(&b, false, sizeof(struct tcp_info));
	/* an old kernel's shorter tcp_info still has tcpi_options */
	put_sock_info(&b, true, offsetof(struct tcp_info, tcpi_options) + 1);
	/* too short to say: counted, but not as timestamps */
	put_sock_info(&b, true, offsetof(struct tcp_info, tcpi_options));
	put_done(&b, SEQ, 0);
	assert_int_equal(parse(&st, &b, b.len, SEQ), 1);
	assert_int_equal(st.peer_established, 4);
	assert_int_equal(st.peer_timestamps, 2);
	assert_int_equal(sum_states(&st), 0);
	assert_int_equal(st.sockets, 0);
	sockdiag_free(&st);
	nl_free(&b);
}

/* --- causes: who holds the TIME_WAIT ------------------------------------ */

/* A socket with its cgroup id attribute (and the padding before it). */
static void put_sock_cgroup(struct nlbuf *b, int state, const char *src,
			    unsigned sport, const char *dst, unsigned dport,
			    uint32_t inode, uint32_t uid, uint64_t cgroup)
{
	struct {
		struct inet_diag_msg m;
		struct rtattr pad;
		struct rtattr a;
		uint64_t id;
	} msg;
	int family = strchr(src, ':') ? AF_INET6 : AF_INET;

	memset(&msg, 0, sizeof(msg));
	msg.m = diag_msg(family, state, src, sport, dst, dport);
	msg.m.idiag_inode = inode;
	msg.m.idiag_uid = uid;
	msg.pad.rta_type = INET_DIAG_PAD;
	msg.pad.rta_len = RTA_LENGTH(0);
	msg.a.rta_type = INET_DIAG_CGROUP_ID;
	msg.a.rta_len = RTA_LENGTH(sizeof(uint64_t));
	msg.id = cgroup;
	put_msg(b, SOCK_DIAG_BY_FAMILY, NLM_F_MULTI, SEQ, &msg, sizeof(msg));
}

/*
 * A server on :8080 closing first (5 TIME_WAIT), nothing on :9090 (2), and
 * this host's clients: 192.0.2.1:5432 from two local addresses (3 + 2),
 * 192.0.2.9:80 over IPv4 and IPv4-mapped IPv6 (4 + 1), [2001:db8::9]:443
 * (1); one connection to 192.0.2.1:5432 is open.
 */
static void causes_collected(struct sock_stats *st)
{
	struct nlbuf b = { 0 };

	assert_int_equal(sockdiag_init(st, EPH_LO, EPH_HI), 0);
	put_sock(&b, AF_INET, TCP_LISTEN, "0.0.0.0", 8080, "0.0.0.0", 0);
	for (unsigned i = 0; i < 5; i++)
		put_sock(&b, AF_INET, TCP_TIME_WAIT, "10.0.0.1", 8080,
			 "198.51.100.7", 50000 + i);
	for (unsigned i = 0; i < 2; i++)
		put_sock(&b, AF_INET, TCP_TIME_WAIT, "10.0.0.1", 9090,
			 "198.51.100.8", 50000 + i);
	for (unsigned i = 0; i < 3; i++)
		put_sock(&b, AF_INET, TCP_TIME_WAIT, "10.0.0.1", 40000 + i,
			 "192.0.2.1", 5432);
	for (unsigned i = 0; i < 2; i++)
		put_sock(&b, AF_INET, TCP_TIME_WAIT, "10.0.0.2", 40000 + i,
			 "192.0.2.1", 5432);
	for (unsigned i = 0; i < 4; i++)
		put_sock(&b, AF_INET, TCP_TIME_WAIT, "10.0.0.1", 41000 + i,
			 "192.0.2.9", 80);
	put_sock(&b, AF_INET6, TCP_TIME_WAIT, "::ffff:10.0.0.1", 42000,
		 "::ffff:192.0.2.9", 80);
	put_sock(&b, AF_INET6, TCP_TIME_WAIT, "2001:db8::1", 43000,
		 "2001:db8::9", 443);
	put_sock(&b, AF_INET, TCP_ESTABLISHED, "10.0.0.1", 44000, "192.0.2.1",
		 5432);
	put_done(&b, SEQ, 0);
	assert_int_equal(parse(st, &b, b.len, SEQ), 1);
	st->collected = true;
	sockdiag_causes(st);
	nl_free(&b);
}

static void causes_are_ports_and_destinations_biggest_first(void **state)
{
	struct sock_stats st;
	const struct sock_cause *c;
	char a[INET6_ADDRSTRLEN];

	(void)state;
	causes_collected(&st);
	assert_int_equal(st.n_causes, 5);
	c = &st.causes[0];
	assert_false(c->outgoing);
	assert_int_equal(c->port, 8080);
	assert_int_equal(c->time_wait, 5);
	assert_true(c->listening);
	c = &st.causes[1];
	assert_false(c->outgoing);
	assert_int_equal(c->port, 9090);
	assert_int_equal(c->time_wait, 2);
	assert_false(c->listening);
	/* destinations summed over local addresses and IPv4-mapped sockets */
	for (size_t i = 2; i < 4; i++) {
		c = &st.causes[i];
		assert_true(c->outgoing);
		assert_int_equal(c->family, AF_INET);
		assert_int_equal(c->time_wait, 5);
		inet_ntop(AF_INET, c->remote, a, sizeof(a));
		assert_true((!strcmp(a, "192.0.2.1") && c->port == 5432) ||
			    (!strcmp(a, "192.0.2.9") && c->port == 80));
	}
	assert_true(st.causes[2].port != st.causes[3].port);
	c = &st.causes[4];
	assert_int_equal(c->family, AF_INET6);
	assert_int_equal(c->port, 443);
	assert_int_equal(c->time_wait, 1);
	inet_ntop(AF_INET6, c->remote, a, sizeof(a));
	assert_string_equal(a, "2001:db8::9");
	/* which families hold connections of this host's own */
	assert_int_equal(st.out_families, 1);
	sockdiag_free(&st);
}

static void causes_keep_only_the_top_ports(void **state)
{
	struct nlbuf b = { 0 };
	struct sock_stats st;

	(void)state;
	assert_int_equal(sockdiag_init(&st, EPH_LO, EPH_HI), 0);
	/* port 1000 + k holds k + 1 TIME_WAIT */
	for (unsigned k = 0; k < SOCK_CAUSES + 3; k++)
		for (unsigned i = 0; i <= k; i++)
			put_sock(&b, AF_INET, TCP_TIME_WAIT, "10.0.0.1",
				 1000 + k, "198.51.100.7", 50000 + i);
	put_done(&b, SEQ, 0);
	assert_int_equal(parse(&st, &b, b.len, SEQ), 1);
	sockdiag_causes(&st);
	assert_int_equal(st.n_causes, SOCK_CAUSES);
	for (size_t i = 0; i < SOCK_CAUSES; i++) {
		assert_int_equal(st.causes[i].port, 1000 + SOCK_CAUSES + 2 - i);
		assert_int_equal(st.causes[i].time_wait, SOCK_CAUSES + 3 - i);
	}
	sockdiag_free(&st);
	nl_free(&b);
}

static void causes_need_the_ephemeral_range(void **state)
{
	struct nlbuf b = { 0 };
	struct sock_stats st;

	(void)state;
	assert_int_equal(sockdiag_init(&st, 0, 0), 0);
	put_sock(&b, AF_INET, TCP_TIME_WAIT, "10.0.0.1", 8080, "198.51.100.7",
		 50000);
	put_done(&b, SEQ, 0);
	assert_int_equal(parse(&st, &b, b.len, SEQ), 1);
	sockdiag_causes(&st);
	assert_int_equal(st.n_causes, 0);
	sockdiag_free(&st);
	nl_free(&b);
}

static void listeners_dump_gives_the_owners_of_incoming_ports(void **state)
{
	struct nlbuf b = { 0 };
	struct sock_stats st;
	const struct sock_cause *c;

	(void)state;
	causes_collected(&st);
	st.in_listen_dump = true;
	put_sock_cgroup(&b, TCP_LISTEN, "0.0.0.0", 8080, "0.0.0.0", 0, 1111, 0,
			77);
	put_sock_cgroup(&b, TCP_LISTEN, "::", 8080, "::", 0, 1112, 0, 77);
	put_sock_cgroup(&b, TCP_LISTEN, "127.0.0.1", 8080, "0.0.0.0", 0, 1113,
			33, 78);
	/* another port, and a socket that is not a listener */
	put_sock_cgroup(&b, TCP_LISTEN, "0.0.0.0", 22, "0.0.0.0", 0, 1114, 0,
			79);
	put_sock_cgroup(&b, TCP_ESTABLISHED, "10.0.0.1", 8080, "192.0.2.1",
			50000, 1115, 0, 80);
	put_done(&b, SEQ, 0);
	assert_int_equal(parse(&st, &b, b.len, SEQ), 1);
	assert_int_equal(st.sockets, 20); /* nothing counted again */
	c = &st.causes[0];
	assert_int_equal(c->sockets, 3);
	assert_int_equal(c->n_owners, 2);
	assert_int_equal(c->owners[0].inode, 1111);
	assert_int_equal(c->owners[0].cgroup, 77);
	assert_int_equal(c->owners[0].sockets, 2);
	assert_int_equal(c->owners[1].uid, 33);
	assert_int_equal(c->owners[1].cgroup, 78);
	assert_int_equal(st.causes[1].n_owners, 0);
	for (size_t i = 2; i < st.n_causes; i++)
		assert_int_equal(st.causes[i].n_owners, 0);
	sockdiag_free(&st);
	nl_free(&b);
}

/*
 * One walk serves the peers of the busiest destination and the owners of
 * the outgoing causes: only the busiest destination's connections count
 * as its peers.
 */
static void peer_dump_also_finds_the_owners_of_destinations(void **state)
{
	struct nlbuf b = { 0 };
	struct sock_stats st;
	struct sock_dest d = { .family = AF_INET, .port = 80 };
	const struct sock_cause *c = NULL;

	(void)state;
	causes_collected(&st);
	set_addr((__be32 *)d.remote, AF_INET, "192.0.2.9");
	st.in_peer_dump = true;
	st.peer_dest = &d;
	put_sock_cgroup(&b, TCP_ESTABLISHED, "10.0.0.1", 44000, "192.0.2.1",
			5432, 2222, 65534, 90);
	put_sock_cgroup(&b, TCP_ESTABLISHED, "10.0.0.1", 44001, "192.0.2.9", 80,
			3333, 0, 91);
	put_done(&b, SEQ, 0);
	assert_int_equal(parse(&st, &b, b.len, SEQ), 1);
	assert_int_equal(st.peer_established, 1);
	for (size_t i = 0; i < st.n_causes; i++)
		if (st.causes[i].outgoing && st.causes[i].port == 5432)
			c = &st.causes[i];
	assert_non_null(c);
	assert_int_equal(c->n_owners, 1);
	assert_int_equal(c->owners[0].inode, 2222);
	assert_int_equal(c->owners[0].uid, 65534);
	assert_int_equal(c->owners[0].cgroup, 90);
	sockdiag_free(&st);
	nl_free(&b);
}

static void young_time_wait_is_counted_by_direction(void **state)
{
	struct nlbuf b = { 0 };
	struct sock_stats st;
	static const struct {
		unsigned sport;
		uint32_t expires;
	} tw[] = {
		{ 40000, 59000 },		/* outgoing, 1 s old */
		{ 40001, SOCK_TW_YOUNG_MS },	/* outgoing, 10 s old */
		{ 40002, SOCK_TW_YOUNG_MS - 1 }, /* outgoing, older */
		{ 8080, 55000 },		/* incoming, 5 s old */
		{ 8080, 1000 },			/* incoming, 59 s old */
	};

	(void)state;
	assert_int_equal(sockdiag_init(&st, EPH_LO, EPH_HI), 0);
	for (size_t i = 0; i < sizeof(tw) / sizeof(tw[0]); i++) {
		struct inet_diag_msg m = diag_msg(AF_INET, TCP_TIME_WAIT,
						  "10.0.0.1", tw[i].sport,
						  "192.0.2.1", 80);

		m.idiag_expires = tw[i].expires;
		put_msg(&b, SOCK_DIAG_BY_FAMILY, NLM_F_MULTI, SEQ, &m,
			sizeof(m));
	}
	put_done(&b, SEQ, 0);
	assert_int_equal(parse(&st, &b, b.len, SEQ), 1);
	assert_int_equal(st.tw_outgoing, 3);
	assert_int_equal(st.tw_incoming, 2);
	assert_int_equal(st.tw_young_out, 2);
	assert_int_equal(st.tw_young_in, 1);
	sockdiag_free(&st);
	nl_free(&b);
}

static void fill_gives_the_top_cause_shares(void **state)
{
	struct sock_stats st;
	struct observation o;

	(void)state;
	causes_collected(&st);
	obs_unknown(&o, EPH_HI - EPH_LO + 1);
	sockdiag_fill(&st, &o);
	assert_num(o.m[M_TW_TOP_SERVICE_SHARE], 5.0 / 18);
	assert_num(o.m[M_TW_TOP_DESTINATION_SHARE], 5.0 / 18);
	assert_null(o.why[M_TW_TOP_SERVICE_SHARE]);
	/* without the range there is no direction, and no cause */
	obs_unknown(&o, NAN);
	sockdiag_fill(&st, &o);
	assert_num(o.m[M_TW_TOP_DESTINATION_SHARE], NAN);
	assert_non_null(o.why[M_TW_TOP_DESTINATION_SHARE]);
	sockdiag_free(&st);
}

/* --- address text ----------------------------------------------------- */

static void address_keys_print_as_ipv4_and_ipv6(void **state)
{
	unsigned char v4[5] = { 4, 192, 0, 2, 1 };
	unsigned char v6[17] = { 16 };
	unsigned char bad[3] = { 7, 1, 2 };
	char text[INET6_ADDRSTRLEN];

	(void)state;
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::7", v6 + 1), 1);
	sockdiag_addr_text(v4, sizeof(v4), text, sizeof(text));
	assert_string_equal(text, "192.0.2.1");
	sockdiag_addr_text(v6, sizeof(v6), text, sizeof(text));
	assert_string_equal(text, "2001:db8::7");
	/* a key too short for what its first byte says is not read */
	sockdiag_addr_text(v6, 5, text, sizeof(text));
	assert_string_equal(text, "?");
	sockdiag_addr_text(bad, sizeof(bad), text, sizeof(text));
	assert_string_equal(text, "?");
}

/* --- the live kernel -------------------------------------------------- */

static void live_dump_counts_every_socket_once(void **state)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	struct sock_stats st;
	bool listening = false;
	int fd, lfd;

	(void)state;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0) {
		if (errno == EPERM || errno == EACCES ||
		    errno == EAFNOSUPPORT || errno == EPROTONOSUPPORT) {
			print_message("no sock_diag netlink here: %s\n",
				      strerror(errno));
			skip();
		}
		fail_msg("netlink socket: %s", strerror(errno));
	}
	close(fd);

	/* one socket we know is there, if loopback allows it */
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(lfd >= 0);
	listening = bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
		    listen(lfd, 1) == 0;

	assert_int_equal(sockdiag_init(&st, EPH_LO, EPH_HI), 0);
	if (sockdiag_collect(&st) != 0)
		fail_msg("sockdiag_collect: %s", st.error);
	assert_true(st.collected);
	assert_int_equal(st.sockets, sum_states(&st));
	assert_int_equal(st.states[0], 0);
	if (listening)
		assert_true(st.states[TCP_LISTEN] >= 1);
	assert_true(st.tw_outgoing + st.tw_incoming ==
		    st.states[TCP_TIME_WAIT]);
	assert_int_equal(st.tw_peers.total, st.states[TCP_TIME_WAIT]);
	assert_int_equal(st.syn_peers.total, st.states[TCP_SYN_RECV]);
	close(lfd);
	sockdiag_free(&st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_socket_is_counted_under_its_state),
		cmocka_unit_test(
			time_wait_is_outgoing_only_from_an_ephemeral_port),
		cmocka_unit_test(mapped_ipv6_peer_is_the_same_as_its_ipv4),
		cmocka_unit_test(
			ipv6_peers_are_distinct_from_each_other_and_ipv4),
		cmocka_unit_test(syn_recv_peers_are_counted_apart),
		cmocka_unit_test(
			port_pressure_counts_only_ephemeral_non_listening),
		cmocka_unit_test(buffer_without_done_means_more_to_come),
		cmocka_unit_test(done_ends_the_dump),
		cmocka_unit_test(stream_split_over_two_buffers_accumulates),
		cmocka_unit_test(error_reply_returns_its_errno_with_a_message),
		cmocka_unit_test(error_reply_too_short_for_its_code_is_refused),
		cmocka_unit_test(
			socket_message_shorter_than_inet_diag_msg_is_refused),
		cmocka_unit_test(buffer_ending_inside_a_message_is_refused),
		cmocka_unit_test(header_claiming_less_than_itself_is_refused),
		cmocka_unit_test_setup_teardown(
			unpadded_last_message_is_not_read_past, guarded_setup,
			guarded_teardown),
		cmocka_unit_test(reply_to_another_request_is_refused),
		cmocka_unit_test(interrupted_dump_is_refused),
		cmocka_unit_test(socket_of_an_unknown_family_is_refused),
		cmocka_unit_test(message_of_an_unexpected_type_is_refused),
		cmocka_unit_test(done_carrying_an_error_code_is_refused),
		cmocka_unit_test(error_code_outside_the_errno_range_is_refused),
		cmocka_unit_test(every_state_lands_in_its_own_metric),
		cmocka_unit_test(fill_derives_the_socket_metrics),
		cmocka_unit_test(fill_of_no_sockets_gives_zeros_not_unknowns),
		cmocka_unit_test(
			failed_dump_leaves_every_socket_metric_unknown),
		cmocka_unit_test(dump_never_run_says_so),
		cmocka_unit_test(
			unknown_ephemeral_range_leaves_direction_unknown),
		cmocka_unit_test(listener_inside_the_range_makes_its_port_incoming),
		cmocka_unit_test(ports_grow_with_demand_and_limit_the_raise),
		cmocka_unit_test(peer_dump_counts_timestamps_and_nothing_else),
		cmocka_unit_test(causes_are_ports_and_destinations_biggest_first),
		cmocka_unit_test(causes_keep_only_the_top_ports),
		cmocka_unit_test(causes_need_the_ephemeral_range),
		cmocka_unit_test(
			listeners_dump_gives_the_owners_of_incoming_ports),
		cmocka_unit_test(
			peer_dump_also_finds_the_owners_of_destinations),
		cmocka_unit_test(fill_gives_the_top_cause_shares),
		cmocka_unit_test(young_time_wait_is_counted_by_direction),
		cmocka_unit_test(address_keys_print_as_ipv4_and_ipv6),
		cmocka_unit_test(live_dump_counts_every_socket_once),
	};

	return cmocka_run_group_tests_name("sockdiag", tests, NULL, NULL);
}
