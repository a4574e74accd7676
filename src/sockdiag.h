/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Socket-level observation through NETLINK_SOCK_DIAG: one dump per address
 * family, aggregated while it streams in, into fixed-size counters (see
 * sketch.h), so that a host with a million sockets costs one pass and a
 * few megabytes.
 */
#ifndef TWTUNE_SOCKDIAG_H
#define TWTUNE_SOCKDIAG_H

#include <linux/inet_diag.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "observe.h"
#include "sketch.h"

#define SOCK_STATES 12 /* TCP_ESTABLISHED (1) .. TCP_CLOSING (11) */
#define SOCK_TOP 5

struct sock_stats {
	bool collected;	 /* every dump finished cleanly */
	char error[200]; /* why not, when !collected */
	unsigned eph_lo, eph_hi;
	uint64_t sockets;
	uint64_t states[SOCK_STATES];
	uint64_t tw_outgoing, tw_incoming;
	struct sketch tw_peers;	 /* remote address of TIME_WAIT sockets */
	/*
	 * Connections this host opened, by (local addr, remote addr, remote
	 * port): count is every state, aux the TIME_WAIT ones.
	 */
	struct sketch dests;
	struct sketch syn_peers; /* remote address of SYN_RECV sockets */
	uint8_t *listening;	 /* a bit per local port that a LISTEN has */
	bool peers_checked;	 /* the busiest destination's peers were */
	uint64_t peer_established, peer_timestamps; /* ...and how many had
						       timestamps */
	bool in_peer_dump;	 /* parsing that dump, not counting */
};

/* The busiest destination of the connections this host opened. */
struct sock_dest {
	unsigned char family; /* AF_INET or AF_INET6 */
	unsigned char local[16], remote[16];
	unsigned port;
	uint64_t ports_in_use, time_wait;
	bool loopback; /* on loopback: tcp_tw_reuse = 2 covers it */
};

bool sockdiag_busiest(const struct sock_stats *st, struct sock_dest *d);

int sockdiag_init(struct sock_stats *st, unsigned eph_lo, unsigned eph_hi);
void sockdiag_free(struct sock_stats *st);

/* Count one socket. */
void sockdiag_account(struct sock_stats *st, const struct inet_diag_msg *m);

/*
 * Consume one buffer of a dump reply (as returned by recv).  Returns 1
 * when the dump is complete (NLMSG_DONE), 0 when more is to come, or
 * -errno with st->error set: an NLMSG_ERROR, a malformed or truncated
 * message, a wrong sequence number, or an interrupted dump
 * (NLM_F_DUMP_INTR: the socket tables changed under it).
 */
int sockdiag_parse(struct sock_stats *st, const void *buf, size_t len,
		   uint32_t seq);

/*
 * Dump TCP sockets of both families from the kernel.  On failure the
 * statistics are unusable and st->collected is false; the caller turns
 * that into unknown metrics and a warning, never into numbers.
 */
int sockdiag_collect(struct sock_stats *st);

/* The same through a NETLINK_SOCK_DIAG socket already open (perhaps in
 * another network namespace, see nsopen.h); fd stays open. */
int sockdiag_collect_fd(struct sock_stats *st, int fd);

/* Fill the socket-level metrics of o (leaves them unknown if !collected). */
void sockdiag_fill(const struct sock_stats *st, struct observation *o);

/* An address key of a sketch as text (IPv4 or IPv6). */
void sockdiag_addr_text(const unsigned char *key, size_t len, char *out,
			size_t outlen);

#endif
