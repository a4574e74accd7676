// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * NETLINK_SOCK_DIAG dump of TCP sockets.  Every length is checked before
 * it is trusted; an error, a truncated message or an interrupted dump
 * makes the whole collection fail (socket metrics unknown), because a
 * partial count would look like a real, smaller one.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

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

int sockdiag_init(struct sock_stats *st, unsigned eph_lo, unsigned eph_hi)
{
	memset(st, 0, sizeof(*st));
	st->eph_lo = eph_lo;
	st->eph_hi = eph_hi;
	if (sketch_init(&st->tw_peers) < 0 || sketch_init(&st->dests) < 0 ||
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

void sockdiag_account(struct sock_stats *st, const struct inet_diag_msg *m)
{
	unsigned char key[SKETCH_KEY_MAX];
	unsigned lport = ntohs(m->id.idiag_sport);
	bool ephemeral = lport >= st->eph_lo && lport <= st->eph_hi;
	size_t n;

	st->sockets++;
	if (m->idiag_state < SOCK_STATES)
		st->states[m->idiag_state]++;
	if (m->idiag_state == TCP_TIME_WAIT) {
		if (ephemeral)
			st->tw_outgoing++;
		else
			st->tw_incoming++;
		n = addr_key(key, m->idiag_family, m->id.idiag_dst);
		sketch_add(&st->tw_peers, key, n);
	} else if (m->idiag_state == TCP_SYN_RECV) {
		n = addr_key(key, m->idiag_family, m->id.idiag_dst);
		sketch_add(&st->syn_peers, key, n);
	}
	/* port pressure: connections this host opened, any state */
	if (ephemeral && m->idiag_state != TCP_LISTEN) {
		n = addr_key(key, m->idiag_family, m->id.idiag_src);
		n += addr_key(key + n, m->idiag_family, m->id.idiag_dst);
		memcpy(key + n, &m->id.idiag_dport, 2);
		sketch_add(&st->dests, key, n + 2);
	}
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
			return fail(st, -EINTR,
				    "dump interrupted: the socket tables "
				    "changed during it");
		if (h->nlmsg_type == NLMSG_DONE) {
			/* DONE may carry an error code (e.g. from a filter) */
			if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(int))) {
				int e;

				memcpy(&e, NLMSG_DATA(h), sizeof(e));
				if (e < -MAX_ERRNO)
					return fail(
						st, -EBADMSG,
						"dump ended with an invalid "
						"error code");
				if (e < 0)
					return fail(st, e,
						    "dump ended with "
						    "an error");
			}
			return 1;
		}
		if (h->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(h);

			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
				return fail(st, -EBADMSG,
					    "truncated error message");
			if (e->error >= 0)
				return fail(st, -EPROTO,
					    "unexpected "
					    "acknowledgement in a dump");
			if (e->error < -MAX_ERRNO)
				return fail(st, -EBADMSG,
					    "error message with an invalid "
					    "error code");
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
			sockdiag_account(st, &m);
		}
	}
	if (left != 0)
		return fail(st, -EBADMSG, "truncated netlink message");
	return 0;
}

static int dump_family(int fd, struct sock_stats *st, unsigned char family,
		       uint32_t seq, void *buf)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 req;
	} msg = {
		.nlh = {
			.nlmsg_len = sizeof(msg),
			.nlmsg_type = SOCK_DIAG_BY_FAMILY,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
			.nlmsg_seq = seq,
		},
		.req = {
			.sdiag_family = family,
			.sdiag_protocol = IPPROTO_TCP,
			/* every state; bit 12 is the kernel's NEW_SYN_RECV */
			.idiag_states = 0x1ffe,
		},
	};
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	int ret;

	if (sendto(fd, &msg, sizeof(msg), 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) != (ssize_t)sizeof(msg))
		return fail(st, -errno, "cannot send the dump request");
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

int sockdiag_collect(struct sock_stats *st)
{
	static const unsigned char families[] = { AF_INET, AF_INET6 };
	void *buf;
	int fd, ret = 0;

	st->collected = false;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0)
		return fail(st, -errno, "cannot open a netlink socket");
	buf = xmalloc(RECV_BUF);
	for (size_t i = 0; i < ARRAY_SIZE(families) && !ret; i++) {
		ret = dump_family(fd, st, families[i], (uint32_t)(i + 1), buf);
		/* a kernel without IPv6 has nothing to dump for it */
		if (ret == -ENOENT && families[i] == AF_INET6) {
			ret = 0;
			st->error[0] = '\0';
		}
	}
	free(buf);
	close(fd);
	st->collected = ret == 0;
	return ret;
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
	double tw;

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
	o->m[M_PORT_PRESSURE] =
		sketch_top(&st->dests, top, 1) && o->m[M_EPHEMERAL_PORTS] > 0
			? (double)top[0]->count / o->m[M_EPHEMERAL_PORTS]
			: 0;
	o->m[M_SYN_RECV_PEERS] = sketch_distinct(&st->syn_peers);
	for (int i = M_FIRST_SOCKET; i < METRIC_COUNT; i++)
		o->why[i] = NULL;
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
