// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * NETLINK_SOCK_DIAG dump of TCP sockets.  Every length is checked before
 * it is trusted; an error, a truncated message or an interrupted dump
 * makes the whole collection fail (socket metrics unknown), because a
 * partial count would look like a real, smaller one.
 */
#include "config.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <math.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hooks.h"
#include "sockdiag.h"
#include "util.h"

/* Large enough for the kernel's biggest dump skb (32 KiB) with room. */
#define RECV_BUF (64u << 10)

/*
 * The kernel's error codes are -1 .. -MAX_ERRNO; anything else in a reply
 * is not one (and INT_MIN cannot even be negated for strerror()).
 */
#define MAX_ERRNO 4095

/* one slot per state, TCP_ESTABLISHED .. TCP_CLOSING (<netinet/tcp.h>) */
_Static_assert(SOCK_STATES == TCP_CLOSING + 1, "sockdiag.h: SOCK_STATES");

struct request;
static void account_owner(struct sock_stats *st, const struct nlmsghdr *h);
static bool peer_matches(const struct sock_stats *st,
			 const struct inet_diag_msg *m);
static size_t put_causes_filter(const struct request *q, unsigned char *out,
				size_t room);
static void check_owners(int fd, struct sock_stats *st, void *buf);
static void fill_causes(const struct sock_stats *st, struct observation *o);

int sockdiag_init(struct sock_stats *st, unsigned eph_lo, unsigned eph_hi)
{
	memset(st, 0, sizeof(*st));
	st->eph_lo = eph_lo;
	st->eph_hi = eph_hi;
	st->listening = calloc(65536 / 8, 1);
	st->tw_by_port = calloc(65536, sizeof(*st->tw_by_port));
	if (!st->listening || !st->tw_by_port ||
	    sketch_init(&st->tw_peers) < 0 || sketch_init(&st->dests) < 0 ||
	    sketch_init(&st->syn_peers) < 0) {
		sockdiag_free(st);
		return -ENOMEM;
	}
	return 0;
}

void sockdiag_free(struct sock_stats *st)
{
	sketch_free(&st->tw_peers);
	sketch_free(&st->dests);
	sketch_free(&st->syn_peers);
	free(st->listening);
	st->listening = NULL;
	free(st->tw_by_port);
	st->tw_by_port = NULL;
}

static bool listening(const struct sock_stats *st, unsigned port)
{
	return st->listening && (st->listening[port / 8] & (1u << (port % 8)));
}

/*
 * An address as a sketch key: the family's size in the first byte, then
 * the bytes.  IPv4-mapped IPv6 addresses (::ffff:a.b.c.d, from dual-stack
 * sockets) are the same peer as a.b.c.d and get the same key.
 */
static size_t addr_key(unsigned char *out, unsigned family, const __be32 *addr)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0,    0,
						  0, 0, 0, 0, 0xff, 0xff };

	if (family == AF_INET6 && memcmp(addr, mapped, 12) != 0) {
		out[0] = 16;
		memcpy(out + 1, addr, 16);
		return 17;
	}
	out[0] = 4;
	memcpy(out + 1, family == AF_INET6 ? &addr[3] : &addr[0], 4);
	return 5;
}

/* A family's bit in out_families and est_families. */
static unsigned family_bit(unsigned char family)
{
	return family == AF_INET6 ? 2u : 1u;
}

/*
 * Count one socket.  The LISTEN sockets are dumped first, so that a
 * connection on a port something listens on counts as incoming, wherever
 * the port is (a service inside the ephemeral range, explicit binds);
 * other local ports in the ephemeral range are this host's own
 * connections (outgoing).
 */
void sockdiag_account(struct sock_stats *st, const struct inet_diag_msg *m)
{
	unsigned char key[SKETCH_KEY_MAX];
	unsigned lport = ntohs(m->id.idiag_sport);
	bool outgoing = !listening(st, lport) && lport >= st->eph_lo &&
			lport <= st->eph_hi;
	struct sketch_entry *e;
	size_t n;

	st->sockets++;
	if (m->idiag_state < SOCK_STATES)
		st->states[m->idiag_state]++;
	if (m->idiag_state == TCP_ESTABLISHED)
		st->est_families |= family_bit(m->idiag_family);
	if (m->idiag_state == TCP_LISTEN && st->listening)
		st->listening[lport / 8] |= (uint8_t)(1u << (lport % 8));
	if (m->idiag_state == TCP_TIME_WAIT) {
		if (outgoing)
			st->tw_outgoing++;
		else
			st->tw_incoming++;
		/* by local port: whose listener closes first (why.c) */
		if (!outgoing && st->tw_by_port)
			st->tw_by_port[lport]++;
		if (m->idiag_expires >= SOCK_TW_YOUNG_MS && outgoing)
			st->tw_young_out++;
		else if (m->idiag_expires >= SOCK_TW_YOUNG_MS)
			st->tw_young_in++;
		n = addr_key(key, m->idiag_family, m->id.idiag_dst);
		sketch_add(&st->tw_peers, key, n);
	} else if (m->idiag_state == TCP_SYN_RECV) {
		n = addr_key(key, m->idiag_family, m->id.idiag_dst);
		sketch_add(&st->syn_peers, key, n);
	}
	/* port pressure: connections this host opened, any state */
	if (outgoing && m->idiag_state != TCP_LISTEN) {
		n = addr_key(key, m->idiag_family, m->id.idiag_src);
		n += addr_key(key + n, m->idiag_family, m->id.idiag_dst);
		memcpy(key + n, &m->id.idiag_dport, 2);
		e = sketch_add(&st->dests, key, n + 2);
		if (e && m->idiag_state == TCP_TIME_WAIT)
			e->aux++;
		/* which families' dumps can name who talks to them */
		if (m->idiag_state != TCP_TIME_WAIT)
			st->out_families |= family_bit(m->idiag_family);
	}
}

/*
 * In the dump of the busiest destination's established connections:
 * whether each negotiated TCP timestamps (tcp_info, INET_DIAG_INFO).
 */
static void account_peer(struct sock_stats *st, const struct nlmsghdr *h)
{
	const struct rtattr *a =
		(const void *)((const char *)NLMSG_DATA(h) +
			       NLMSG_ALIGN(sizeof(struct inet_diag_msg)));
	int left = (int)h->nlmsg_len -
		   (int)NLMSG_LENGTH(NLMSG_ALIGN(sizeof(struct inet_diag_msg)));

	/* the filter also let through the destinations of the causes */
	account_owner(st, h);
	{
		struct inet_diag_msg m;

		memcpy(&m, NLMSG_DATA(h), sizeof(m));
		if (!peer_matches(st, &m))
			return;
	}
	st->peer_established++;
	for (; left > 0 && RTA_OK(a, left); a = RTA_NEXT(a, left)) {
		struct tcp_info ti;

		size_t got = (size_t)RTA_PAYLOAD(a);

		if (a->rta_type != INET_DIAG_INFO ||
		    got < offsetof(struct tcp_info, tcpi_options) + 1)
			continue;
		memset(&ti, 0, sizeof(ti));
		memcpy(&ti, RTA_DATA(a), got < sizeof(ti) ? got : sizeof(ti));
		if (ti.tcpi_options & TCPI_OPT_TIMESTAMPS)
			st->peer_timestamps++;
	}
}

bool sockdiag_busiest(const struct sock_stats *st, struct sock_dest *d)
{
	const struct sketch_entry *top[1];
	const unsigned char *k;
	size_t ln, rn;

	if (!sketch_top(&st->dests, top, 1))
		return false;
	k = top[0]->key;
	ln = k[0] + 1u;
	rn = k[ln] + 1u;
	if (ln + rn + 2 > top[0]->len || (k[0] != 4 && k[0] != 16) ||
	    k[ln] != k[0])
		return false;
	memset(d, 0, sizeof(*d));
	d->family = k[0] == 4 ? AF_INET : AF_INET6;
	memcpy(d->local, k + 1, k[0]);
	memcpy(d->remote, k + ln + 1, k[ln]);
	d->port = (unsigned)k[ln + rn] << 8 | k[ln + rn + 1];
	d->ports_in_use = top[0]->count;
	d->time_wait = top[0]->aux;
	/* what tcp_tw_reuse = 2 counts as loopback: either end on it */
	if (d->family == AF_INET)
		d->loopback = d->local[0] == 127 || d->remote[0] == 127;
	else
		d->loopback =
			!memcmp(d->remote, in6addr_loopback.s6_addr, 16) ||
			!memcmp(d->local, in6addr_loopback.s6_addr, 16);
	return true;
}

static int fail(struct sock_stats *st, int err, const char *what)
{
	snprintf(st->error, sizeof(st->error), "sock_diag: %s", what);
	return err;
}

int sockdiag_parse(struct sock_stats *st, const void *buf, size_t len,
		   uint32_t seq)
{
	const struct nlmsghdr *h = buf;
	/* signed: NLMSG_NEXT steps by the aligned length, which can pass
	 * the end of an unpadded last message; that must not wrap */
	ssize_t left = (ssize_t)len;

	for (; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
		if (h->nlmsg_seq != seq)
			return fail(st, -EPROTO, "reply to another request");
		if (h->nlmsg_flags & NLM_F_DUMP_INTR)
			return fail(
				st, -EINTR,
				"dump interrupted: the socket tables changed during it");
		if (h->nlmsg_type == NLMSG_DONE) {
			/* DONE may carry an error code (e.g. from a filter) */
			if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(int))) {
				int e;

				memcpy(&e, NLMSG_DATA(h), sizeof(e));
				if (e < -MAX_ERRNO)
					return fail(
						st, -EBADMSG,
						"dump ended with an invalid error code");
				if (e < 0)
					return fail(st, e,
						    "dump ended with an error");
			}
			return 1;
		}
		if (h->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(h);

			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
				return fail(st, -EBADMSG,
					    "truncated error message");
			if (e->error >= 0)
				return fail(
					st, -EPROTO,
					"unexpected acknowledgement in a dump");
			if (e->error < -MAX_ERRNO)
				return fail(
					st, -EBADMSG,
					"error message with an invalid error code");
			snprintf(st->error, sizeof(st->error), "sock_diag: %s",
				 strerror(-e->error));
			return e->error;
		}
		if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY)
			return fail(st, -EBADMSG, "unexpected message type");
		if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg)))
			return fail(st, -EBADMSG, "truncated socket message");
		{
			struct inet_diag_msg m;

			/* copy: the payload need not be aligned for us */
			memcpy(&m, NLMSG_DATA(h), sizeof(m));
			if (m.idiag_family != AF_INET &&
			    m.idiag_family != AF_INET6)
				return fail(st, -EBADMSG,
					    "socket of an unknown family");
			if (st->in_peer_dump)
				account_peer(st, h);
			else if (st->in_listen_dump || st->in_owner_dump)
				account_owner(st, h);
			else
				sockdiag_account(st, &m);
		}
	}
	if (left != 0)
		return fail(st, -EBADMSG, "truncated netlink message");
	return 0;
}

/* Bits of inet_diag_req_v2.idiag_states: TCP_LISTEN, and the rest;
 * bit 12 is the kernel's NEW_SYN_RECV. */
#define STATES_LISTEN (1u << TCP_LISTEN)
#define STATES_ALL 0x1ffeu

/* One dump request, optionally filtered and asking for tcp_info. */
struct request {
	unsigned char family;
	uint32_t states;
	bool info; /* INET_DIAG_INFO: tcp_info of each socket */
	const struct sock_dest *to; /* only connections to this destination */
	/* ...or to the outgoing causes' destinations (in this family) */
	const struct sock_stats *causes_of;
};

static int send_request(int fd, const struct request *q, uint32_t seq)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 req;
		struct rtattr rta;
		unsigned char bc[(1 + SOCK_CAUSES) * 32];
	} msg;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	size_t len = NLMSG_LENGTH(sizeof(msg.req)), bclen;

	memset(&msg, 0, sizeof(msg));
	msg.req.sdiag_family = q->family;
	msg.req.sdiag_protocol = IPPROTO_TCP;
	msg.req.idiag_states = q->states;
	if (q->info)
		msg.req.idiag_ext = 1u << (INET_DIAG_INFO - 1);
	bclen = put_causes_filter(q, msg.bc, sizeof(msg.bc));
	if (bclen) {
		msg.rta.rta_type = INET_DIAG_REQ_BYTECODE;
		msg.rta.rta_len = (unsigned short)RTA_LENGTH(bclen);
		len += RTA_ALIGN(msg.rta.rta_len);
	}
	msg.nlh.nlmsg_len = (uint32_t)len;
	msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	msg.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	msg.nlh.nlmsg_seq = seq;
	if (sendto(fd, &msg, len, 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) != (ssize_t)len)
		return -errno;
	return 0;
}

static int dump(int fd, struct sock_stats *st, const struct request *q,
		uint32_t seq, void *buf)
{
	int ret = send_request(fd, q, seq);

	if (ret < 0)
		return fail(st, ret, "cannot send the dump request");
	for (;;) {
		ssize_t n = recv(fd, buf, RECV_BUF, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			/* ENOBUFS: the kernel dropped part of the reply */
			return fail(st, -errno,
				    errno == ENOBUFS ? "reply lost (ENOBUFS)"
						     : "recv failed");
		}
		if (n == 0)
			return fail(st, -EPROTO, "socket closed mid-dump");
		ret = sockdiag_parse(st, buf, (size_t)n, seq);
		if (ret != 0)
			return ret < 0 ? ret : 0;
	}
}

/*
 * Whether the busiest destination's peers use TCP timestamps, which
 * tcp_tw_reuse needs: one dump of the established connections to it,
 * filtered in the kernel, with tcp_info.  Not knowing is not an error.
 */
static void check_peers(int fd, struct sock_stats *st, void *buf)
{
	struct sock_dest d;
	struct request q = { .states = 1u << TCP_ESTABLISHED, .info = true };
	char saved[sizeof(st->error)];

	if (!sockdiag_busiest(st, &d))
		return;
	/*
	 * No established connection in that family in the dump just made:
	 * the filtered walk, as long as the whole table, would find none.
	 */
	if (!(st->est_families & family_bit(d.family))) {
		st->peers_checked = true;
		return;
	}
	q.family = d.family;
	q.to = &d;
	/* the same walk finds who talks to the causes' destinations */
	q.causes_of = st;
	memcpy(saved, st->error, sizeof(saved));
	st->in_peer_dump = true;
	st->peer_dest = &d;
	st->peers_checked = dump(fd, st, &q, 100, buf) == 0;
	st->peer_dest = NULL;
	st->in_peer_dump = false;
	memcpy(st->error, saved, sizeof(saved));
}

int sockdiag_collect(struct sock_stats *st)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	int ret;

	st->collected = false;
	if (fd < 0)
		return fail(st, -errno, "cannot open a netlink socket");
	ret = sockdiag_collect_fd(st, fd);
	close(fd);
	return ret;
}

int sockdiag_collect_fd(struct sock_stats *st, int fd)
{
	static const unsigned char families[] = { AF_INET, AF_INET6 };
	uint32_t seq = 0;
	void *buf;
	int ret = 0;

	st->collected = false;
	buf = xmalloc(RECV_BUF);
	/* the listeners first, so that each connection knows its side */
	for (int pass = 0; pass < 2 && !ret; pass++) {
		for (size_t i = 0; i < ARRAY_SIZE(families) && !ret; i++) {
			struct request q = {
				.family = families[i],
				.states = pass ? STATES_ALL & ~STATES_LISTEN
					       : STATES_LISTEN,
			};

			ret = dump(fd, st, &q, ++seq, buf);
			/* a kernel without IPv6 has nothing to dump for it */
			if (ret == -ENOENT && families[i] == AF_INET6) {
				ret = 0;
				st->error[0] = '\0';
			}
		}
	}
	if (!ret) {
		if (!(hook_no_why && hook_no_why()))
			sockdiag_causes(st);
		check_peers(fd, st, buf);
		check_owners(fd, st, buf);
	}
	free(buf);
	st->collected = ret == 0;
	return ret;
}

/*
 * Ports and reuse, for the busiest destination of this host's own
 * connections: how many ports it would need if the table stopped
 * overflowing (the TIME_WAIT it holds grows with the demand), whether its
 * peers use timestamps, whether tcp_tw_reuse already covers it, and the
 * largest bucket limit that keeps its TIME_WAIT under 90% of the usable
 * ports while reuse does not.
 */
static void fill_ports(const struct sock_stats *st, struct observation *o)
{
	const struct sysctl_obs *reuse =
		observe_sysctl(o, "net.ipv4.tcp_tw_reuse");
	double tw = (double)st->states[TCP_TIME_WAIT], held = o->m[M_TW_COUNT];
	double demand = o->m[M_TW_DEMAND], usable = o->m[M_USABLE_PORTS];
	double grow, share;
	struct sock_dest d;

	o->m[M_PEER_TIMESTAMPS] = NAN;
	o->why[M_PEER_TIMESTAMPS] =
		"no established connection to the busiest destination";
	o->m[M_TW_PORT_LIMIT] = NAN;
	o->why[M_TW_PORT_LIMIT] =
		"no TIME_WAIT of this host's own connections: no limit from ports";
	if (!sockdiag_busiest(st, &d)) {
		o->m[M_PORT_DEMAND] = 0;
		o->m[M_REUSE_EFFECTIVE] =
			reuse && reuse->is_int &&
			(reuse->ival == 1 ||
			 (reuse->ival != 0 && !o->kernel.reuse_loopback));
		return;
	}
	grow = held > 0 && demand > held ? demand / held - 1 : 0;
	/* with the demand unknown: what is in use now, a lower bound */
	o->m[M_PORT_DEMAND] =
		(double)d.ports_in_use + (double)d.time_wait * grow;
	/* 2 means loopback only from 4.19; before, any value but 0 is on */
	o->m[M_REUSE_EFFECTIVE] =
		reuse && reuse->is_int &&
		(reuse->ival == 1 ||
		 (reuse->ival != 0 && !o->kernel.reuse_loopback) ||
		 (reuse->ival == 2 && d.loopback));
	if (st->peers_checked && st->peer_established) {
		o->m[M_PEER_TIMESTAMPS] = (double)st->peer_timestamps /
					  (double)st->peer_established;
		o->why[M_PEER_TIMESTAMPS] = NULL;
	}
	share = tw > 0 ? (double)d.time_wait / tw : 0;
	if (share > 0 && usable > 0 && !o->m[M_REUSE_EFFECTIVE]) {
		double room =
			0.9 * usable - (double)(d.ports_in_use - d.time_wait);

		o->m[M_TW_PORT_LIMIT] = room > 0 ? floor(room / share) : 0;
		o->why[M_TW_PORT_LIMIT] = NULL;
	} else if (o->m[M_REUSE_EFFECTIVE]) {
		o->why[M_TW_PORT_LIMIT] =
			"tcp_tw_reuse covers the busiest destination: no limit from ports";
	} else if (!(usable > 0)) {
		o->why[M_TW_PORT_LIMIT] = "usable_ports is unknown";
	}
}

void sockdiag_fill(const struct sock_stats *st, struct observation *o)
{
	static const int state_metric[SOCK_STATES] = {
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
	const struct sketch_entry *top[1];
	double tw, ports;

	if (!st->collected) {
		for (int i = M_FIRST_SOCKET; i < METRIC_COUNT; i++)
			o->why[i] = st->error[0] ? st->error
						 : "socket dump not run";
		return;
	}
	for (int s = TCP_ESTABLISHED; s < SOCK_STATES; s++)
		o->m[state_metric[s]] = (double)st->states[s];
	tw = (double)st->states[TCP_TIME_WAIT];
	o->m[M_TW_OUTGOING] = (double)st->tw_outgoing;
	o->m[M_TW_INCOMING] = (double)st->tw_incoming;
	o->m[M_TW_PEERS] = sketch_distinct(&st->tw_peers);
	o->m[M_TW_TOP_PEER_SHARE] = sketch_top(&st->tw_peers, top, 1) && tw > 0
					    ? (double)top[0]->count / tw
					    : 0;
	/* of the ports connect() may pick: the range less reserved ones */
	ports = o->m[M_USABLE_PORTS] > 0 ? o->m[M_USABLE_PORTS]
					 : o->m[M_EPHEMERAL_PORTS];
	o->m[M_PORT_PRESSURE] = sketch_top(&st->dests, top, 1) && ports > 0
					? (double)top[0]->count / ports
					: 0;
	o->m[M_SYN_RECV_PEERS] = sketch_distinct(&st->syn_peers);
	for (int i = M_FIRST_SOCKET; i < METRIC_COUNT; i++)
		o->why[i] = NULL;
	/* sockstat's tw counts FIN_WAIT2 minisockets too; the dump tells */
	if (isnan(o->m[M_TW_COUNT])) {
		o->m[M_TW_FIN_WAIT2] = NAN;
		o->why[M_TW_FIN_WAIT2] = "tw_count is unknown";
	} else {
		o->m[M_TW_FIN_WAIT2] =
			o->m[M_TW_COUNT] > tw ? o->m[M_TW_COUNT] - tw : 0;
	}
	fill_ports(st, o);
	fill_causes(st, o);
	/* direction needs the ephemeral range */
	if (!(o->m[M_EPHEMERAL_PORTS] > 0)) {
		static const char why[] = "ip_local_port_range is unknown";

		o->m[M_TW_OUTGOING] = o->m[M_TW_INCOMING] = NAN;
		o->m[M_PORT_PRESSURE] = NAN;
		o->why[M_TW_OUTGOING] = o->why[M_TW_INCOMING] = why;
		o->why[M_PORT_PRESSURE] = why;
	}
}

void sockdiag_addr_text(const unsigned char *key, size_t len, char *out,
			size_t outlen)
{
	if (len >= 17 && key[0] == 16)
		inet_ntop(AF_INET6, key + 1, out, (socklen_t)outlen);
	else if (len >= 5 && key[0] == 4)
		inet_ntop(AF_INET, key + 1, out, (socklen_t)outlen);
	else
		snprintf(out, outlen, "?");
}

/* ---- causes: who holds the TIME_WAIT (see why.h) ------------------------ */

/* The remote part of a dests key (address key, then the port); 0 if none. */
static size_t remote_part(const struct sketch_entry *e, const unsigned char **r)
{
	const unsigned char *k = e->key;
	size_t ln, rn;

	if (e->len < 2 || (k[0] != 4 && k[0] != 16))
		return 0;
	ln = k[0] + 1u;
	if (ln >= e->len || (k[ln] != 4 && k[ln] != 16))
		return 0;
	rn = k[ln] + 1u;
	if (ln + rn + 2 != e->len)
		return 0;
	*r = k + ln;
	return rn + 2;
}

/* The incoming causes: the local ports holding the most TIME_WAIT. */
static size_t top_ports(const struct sock_stats *st, struct sock_cause *out)
{
	size_t n = 0;

	for (unsigned p = 0; st->tw_by_port && p < 65536; p++) {
		uint32_t c = st->tw_by_port[p];
		size_t k;

		if (!c || (n == SOCK_CAUSES && c <= out[n - 1].time_wait))
			continue;
		k = n < SOCK_CAUSES ? n++ : SOCK_CAUSES - 1;
		for (; k > 0 && out[k - 1].time_wait < c; k--)
			out[k] = out[k - 1];
		memset(&out[k], 0, sizeof(out[k]));
		out[k].port = p;
		out[k].time_wait = c;
		out[k].listening = listening(st, p);
	}
	return n;
}

/*
 * The outgoing causes: destinations (remote address and port) holding the
 * most TIME_WAIT.  The counter keeps (local, remote, port): the entries
 * holding the most point at the candidates, then each candidate's
 * TIME_WAIT is summed over every local address.
 */
static size_t top_destinations(const struct sock_stats *st,
			       struct sock_cause *out)
{
	struct cand {
		/* the remote part of a key: its length, the address, the port */
		unsigned char key[1 + 16 + 2];
		size_t len;
		uint64_t tw;
	} cand[2 * SOCK_CAUSES];
	const struct sketch_entry *top[2 * SOCK_CAUSES];
	const struct sketch *s = &st->dests;
	size_t n_top = 0, n_cand = 0, n = 0;

	for (size_t i = 0; s->slots && i < SKETCH_SLOTS; i++) {
		const struct sketch_entry *e = &s->slots[i];
		size_t k;

		if (!e->len || !e->aux ||
		    (n_top == ARRAY_SIZE(top) && e->aux <= top[n_top - 1]->aux))
			continue;
		k = n_top < ARRAY_SIZE(top) ? n_top++ : ARRAY_SIZE(top) - 1;
		for (; k > 0 && top[k - 1]->aux < e->aux; k--)
			top[k] = top[k - 1];
		top[k] = e;
	}
	for (size_t i = 0; i < n_top; i++) {
		const unsigned char *r;
		size_t len = remote_part(top[i], &r), k;

		for (k = 0; k < n_cand; k++)
			if (cand[k].len == len && !memcmp(cand[k].key, r, len))
				break;
		if (!len || k < n_cand)
			continue;
		memcpy(cand[n_cand].key, r, len);
		cand[n_cand].len = len;
		cand[n_cand++].tw = 0;
	}
	for (size_t i = 0; n_cand && i < SKETCH_SLOTS; i++) {
		const struct sketch_entry *e = &s->slots[i];
		const unsigned char *r;
		size_t len;

		if (!e->len || !e->aux || !(len = remote_part(e, &r)))
			continue;
		for (size_t k = 0; k < n_cand; k++)
			if (cand[k].len == len && !memcmp(cand[k].key, r, len))
				cand[k].tw += e->aux;
	}
	/* biggest first: a handful, sorted by insertion */
	for (size_t i = 1; i < n_cand; i++) {
		for (size_t k = i; k > 0 && cand[k - 1].tw < cand[k].tw; k--) {
			struct cand t = cand[k];

			cand[k] = cand[k - 1];
			cand[k - 1] = t;
		}
	}
	for (size_t i = 0; i < n_cand && n < SOCK_CAUSES; i++, n++) {
		const struct cand *c = &cand[i];

		memset(&out[n], 0, sizeof(out[n]));
		out[n].outgoing = true;
		out[n].family = c->key[0] == 4 ? AF_INET : AF_INET6;
		memcpy(out[n].remote, c->key + 1, c->key[0]);
		out[n].port = (unsigned)c->key[c->len - 2] << 8 |
			      c->key[c->len - 1];
		out[n].time_wait = c->tw;
	}
	return n;
}

void sockdiag_causes(struct sock_stats *st)
{
	size_t n;

	memset(st->causes, 0, sizeof(st->causes));
	st->n_causes = 0;
	/* without the ephemeral range nothing is known to be outgoing */
	if (!st->eph_hi)
		return;
	n = top_ports(st, st->causes);
	st->n_causes = n + top_destinations(st, st->causes + n);
}

/* The socket's cgroup v2 id (Linux 5.7+), 0 when the kernel sent none. */
static uint64_t msg_cgroup(const struct nlmsghdr *h)
{
	const struct rtattr *a =
		(const void *)((const char *)NLMSG_DATA(h) +
			       NLMSG_ALIGN(sizeof(struct inet_diag_msg)));
	int left = (int)h->nlmsg_len -
		   (int)NLMSG_LENGTH(NLMSG_ALIGN(sizeof(struct inet_diag_msg)));
	uint64_t id = 0;

	for (; left > 0 && RTA_OK(a, left); a = RTA_NEXT(a, left))
		if (a->rta_type == INET_DIAG_CGROUP_ID &&
		    RTA_PAYLOAD(a) >= sizeof(id))
			memcpy(&id, RTA_DATA(a), sizeof(id));
	return id;
}

static void add_owner(struct sock_cause *c, const struct inet_diag_msg *m,
		      uint64_t cgroup)
{
	struct sock_owner *o;

	c->sockets++;
	for (size_t i = 0; i < c->n_owners; i++) {
		o = &c->owners[i];
		if (o->uid != m->idiag_uid || o->cgroup != cgroup)
			continue;
		o->sockets++;
		/* an orphaned socket has no inode; a later one may */
		if (!o->inode)
			o->inode = m->idiag_inode;
		return;
	}
	if (c->n_owners == SOCK_OWNERS)
		return;
	c->owners[c->n_owners++] = (struct sock_owner){
		.inode = m->idiag_inode,
		.uid = m->idiag_uid,
		.cgroup = cgroup,
		.sockets = 1,
	};
}

/*
 * In the listeners' dump: a listener of an incoming cause's port.  In the
 * established dump: a connection to an outgoing cause's destination.
 */
static void account_owner(struct sock_stats *st, const struct nlmsghdr *h)
{
	unsigned char key[SKETCH_KEY_MAX];
	struct inet_diag_msg m;
	uint64_t cgroup;
	size_t kn;

	memcpy(&m, NLMSG_DATA(h), sizeof(m));
	kn = addr_key(key, m.idiag_family, m.id.idiag_dst);
	cgroup = msg_cgroup(h);
	for (size_t i = 0; i < st->n_causes; i++) {
		struct sock_cause *c = &st->causes[i];
		size_t alen = c->family == AF_INET6 ? 16 : 4;

		if (st->in_listen_dump
			    ? c->outgoing || m.idiag_state != TCP_LISTEN ||
				      c->port != ntohs(m.id.idiag_sport)
			    : !c->outgoing ||
				      c->port != ntohs(m.id.idiag_dport) ||
				      kn != alen + 1 ||
				      memcmp(key + 1, c->remote, alen) != 0)
			continue;
		add_owner(c, &m, cgroup);
	}
}

/* Whether m is a connection to the busiest destination (its peers). */
static bool peer_matches(const struct sock_stats *st,
			 const struct inet_diag_msg *m)
{
	const struct sock_dest *d = st->peer_dest;
	unsigned char key[SKETCH_KEY_MAX];
	size_t alen, n;

	if (!d)
		return true; /* the dump was filtered for it alone */
	alen = d->family == AF_INET ? 4 : 16;
	n = addr_key(key, m->idiag_family, m->id.idiag_dst);
	return n == alen + 1 && !memcmp(key + 1, d->remote, alen) &&
	       ntohs(m->id.idiag_dport) == d->port;
}

/* Whether a dump of family can find connections to cause c. */
static bool findable(const struct sock_cause *c, unsigned char family)
{
	return c->outgoing && (family == AF_INET6 || c->family == AF_INET);
}

/*
 * The kernel's filter for q: D_COND matches a remote address and port.
 * Several are ORed: a match jumps (INET_DIAG_BC_JMP) to the end, which
 * accepts; the last mismatch jumps past it, which rejects.  Each jump
 * follows its condition because inet_diag_bc_audit() wants every op on
 * the chain of "yes" offsets (net/ipv4/inet_diag.c; ss(8) builds its "or"
 * the same way).  Returns the length, 0 for no filter.
 */
static size_t put_causes_filter(const struct request *q, unsigned char *out,
				size_t room)
{
	struct cond {
		unsigned char family;
		const unsigned char *addr;
		unsigned port;
	} c[1 + SOCK_CAUSES];
	const struct sock_stats *st = q->causes_of;
	size_t n = 0, len = 0, total = 0;

	if (q->to)
		c[n++] = (struct cond){ q->to->family, q->to->remote,
					q->to->port };
	for (size_t i = 0; st && i < st->n_causes && n < ARRAY_SIZE(c); i++) {
		const struct sock_cause *k = &st->causes[i];

		/* an IPv4 condition also matches IPv4-mapped IPv6 sockets */
		if (!findable(k, q->family) ||
		    (q->to && q->to->family == k->family &&
		     q->to->port == k->port &&
		     !memcmp(q->to->remote, k->remote,
			     k->family == AF_INET ? 4 : 16)))
			continue;
		c[n++] = (struct cond){ k->family, k->remote, k->port };
	}
	for (size_t i = 0; i < n; i++)
		total += sizeof(struct inet_diag_bc_op) +
			 sizeof(struct inet_diag_hostcond) +
			 (c[i].family == AF_INET ? 4 : 16) +
			 (i + 1 < n ? sizeof(struct inet_diag_bc_op) : 0);
	assert(total <= room);
	for (size_t i = 0; i < n; i++) {
		size_t alen = c[i].family == AF_INET ? 4 : 16;
		unsigned short oplen =
			(unsigned short)(sizeof(struct inet_diag_bc_op) +
					 sizeof(struct inet_diag_hostcond) +
					 alen);
		struct inet_diag_bc_op op = {
			.code = INET_DIAG_BC_D_COND,
			.yes = (unsigned char)oplen,
			.no = (unsigned short)(oplen + 4),
		};
		struct inet_diag_hostcond hc;

		/* its padding goes to the kernel too */
		memset(&hc, 0, sizeof(hc));
		hc.family = c[i].family;
		hc.prefix_len = (unsigned char)(alen * 8);
		hc.port = (int)c[i].port;

		memcpy(out + len, &op, sizeof(op));
		memcpy(out + len + sizeof(op), &hc, sizeof(hc));
		memcpy(out + len + sizeof(op) + sizeof(hc), c[i].addr, alen);
		len += oplen;
		if (i + 1 < n) {
			struct inet_diag_bc_op jmp = {
				.code = INET_DIAG_BC_JMP,
				.yes = 4,
				.no = (unsigned short)(total - len),
			};

			memcpy(out + len, &jmp, sizeof(jmp));
			len += sizeof(jmp);
		}
	}
	return len;
}

static void mark_outgoing(struct sock_stats *st, unsigned char family)
{
	for (size_t i = 0; i < st->n_causes; i++)
		if (findable(&st->causes[i], family))
			st->causes[i].owners_checked = true;
}

static bool wants(const struct sock_stats *st, unsigned char family)
{
	for (size_t i = 0; i < st->n_causes; i++)
		if (findable(&st->causes[i], family))
			return true;
	return false;
}

/*
 * Who holds the causes' sockets.  Incoming: the listeners on their ports,
 * from a LISTEN-only dump, which walks the listening hash and never the
 * established one (inet_diag_dump_icsk()).  Outgoing: the established
 * connections to their destinations, found by check_peers()'s filtered
 * walk of the busiest destination's family; the other family is walked
 * only when this host has connections of its own there.  A walk of the
 * established hash costs as much as the TIME_WAIT it holds, which is why
 * there is no walk of its own.  Not finding them is not an error.
 */
static void check_owners(int fd, struct sock_stats *st, void *buf)
{
	static const unsigned char families[] = { AF_INET, AF_INET6 };
	char saved[sizeof(st->error)];
	bool incoming = false, ok = true;
	struct sock_dest d;
	bool busiest = sockdiag_busiest(st, &d);
	uint32_t seq = 101;

	for (size_t i = 0; i < st->n_causes; i++)
		incoming |= !st->causes[i].outgoing;
	memcpy(saved, st->error, sizeof(saved));
	st->in_listen_dump = true;
	for (size_t i = 0; incoming && i < ARRAY_SIZE(families); i++) {
		struct request q = { .family = families[i],
				     .states = STATES_LISTEN };
		int ret = dump(fd, st, &q, seq++, buf);

		ok &= ret == 0 || (ret == -ENOENT && families[i] == AF_INET6);
	}
	st->in_listen_dump = false;
	for (size_t i = 0; incoming && ok && i < st->n_causes; i++)
		if (!st->causes[i].outgoing)
			st->causes[i].owners_checked = true;
	if (busiest && st->peers_checked)
		mark_outgoing(st, d.family);
	st->in_owner_dump = true;
	for (size_t i = 0; i < ARRAY_SIZE(families); i++) {
		unsigned char f = families[i];
		struct request q = { .family = f,
				     .states = 1u << TCP_ESTABLISHED,
				     .causes_of = st };

		if ((busiest && f == d.family) || !wants(st, f))
			continue;
		/* none open in the dump just made: none to find */
		if (!(st->est_families & family_bit(f))) {
			mark_outgoing(st, f);
			continue;
		}
		if (!(st->out_families & family_bit(f)))
			continue;
		if (dump(fd, st, &q, seq++, buf) == 0)
			mark_outgoing(st, f);
	}
	st->in_owner_dump = false;
	memcpy(st->error, saved, sizeof(saved));
}

/*
 * The shares of TIME_WAIT held by the top incoming port and the top
 * destination (tw_top_service_share, tw_top_destination_share).
 */
static void fill_causes(const struct sock_stats *st, struct observation *o)
{
	double tw = (double)st->states[TCP_TIME_WAIT], in = 0, out = 0;

	if (!(o->m[M_EPHEMERAL_PORTS] > 0)) {
		static const char why[] = "ip_local_port_range is unknown";

		o->m[M_TW_TOP_SERVICE_SHARE] = NAN;
		o->m[M_TW_TOP_DESTINATION_SHARE] = NAN;
		o->why[M_TW_TOP_SERVICE_SHARE] = why;
		o->why[M_TW_TOP_DESTINATION_SHARE] = why;
		return;
	}
	for (size_t i = 0; i < st->n_causes; i++) {
		double *top = st->causes[i].outgoing ? &out : &in;

		if ((double)st->causes[i].time_wait > *top)
			*top = (double)st->causes[i].time_wait;
	}
	o->m[M_TW_TOP_SERVICE_SHARE] = tw > 0 ? in / tw : 0;
	o->m[M_TW_TOP_DESTINATION_SHARE] = tw > 0 ? out / tw : 0;
}
