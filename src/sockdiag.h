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

/*
 * Who created a socket, as the kernel says: its inode (for /proc/PID/fd),
 * owner uid and cgroup v2 id (INET_DIAG_CGROUP_ID, sent for every full
 * socket since Linux 5.7, "inet_diag: add cgroup id attribute"; 0 when
 * the kernel sent none).  TIME_WAIT sockets have none of these.
 */
struct sock_owner {
	uint32_t inode;
	uint32_t uid;
	uint64_t cgroup;
	uint64_t sockets; /* sockets seen with this uid and cgroup */
};

/*
 * A TIME_WAIT socket with this much of its 60 s left (idiag_expires, in
 * ms) entered the table in the last 10 s: the recent mix of a full table.
 */
#define SOCK_TW_YOUNG_MS 50000

#define SOCK_CAUSES 5 /* incoming ports and destinations kept, each */
#define SOCK_OWNERS 4 /* distinct owners kept per cause */

/*
 * Where TIME_WAIT comes from: a local port of this host (incoming: it
 * accepted those connections and closed them first) or a destination
 * (outgoing: it opened them and closed them first).  Its owners are those
 * of the listeners on the port, or of the connections open now to the
 * destination; process, pid, unit and how are filled by owner.c.
 */
struct sock_cause {
	bool outgoing;
	unsigned port;	      /* local port, or the destination's port */
	unsigned char family; /* outgoing: of remote, AF_INET or AF_INET6 */
	unsigned char remote[16];
	uint64_t time_wait;
	bool listening;	     /* incoming: a LISTEN socket has the port */
	bool owners_checked; /* the dump that finds the owners ran */
	uint64_t sockets;    /* listeners, or connections open now */
	size_t n_owners;
	struct sock_owner owners[SOCK_OWNERS];
	char process[16]; /* comm, "" when not named */
	int pid;	  /* 0 when not known */
	char unit[128];	  /* systemd unit or container, "" if none */
	char how[400];	  /* how it was named, or why not */
};

struct sock_stats {
	bool collected;	 /* every dump finished cleanly */
	char error[200]; /* why not, when !collected */
	unsigned eph_lo, eph_hi;
	uint64_t sockets;
	uint64_t states[SOCK_STATES];
	uint64_t tw_outgoing, tw_incoming;
	/* ...of which got a bucket in the last 10 s (see SOCK_TW_YOUNG_MS) */
	uint64_t tw_young_out, tw_young_in;
	struct sketch tw_peers; /* remote address of TIME_WAIT sockets */
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
	bool in_peer_dump; /* parsing that dump, not counting */
	/* why.c's causes: see sockdiag_causes() */
	uint32_t *tw_by_port;  /* TIME_WAIT not outgoing, by local port */
	unsigned out_families; /* 1: IPv4, 2: IPv6 own connections seen */
	unsigned est_families; /* ...and established connections of any
				  side (the filtered dumps find no other) */
	bool in_listen_dump;   /* parsing the listeners' dump */
	bool in_owner_dump;    /* the causes' connections' dump */
	const struct sock_dest *peer_dest; /* the busiest, in its dump */
	size_t n_causes;
	struct sock_cause causes[2 * SOCK_CAUSES]; /* sockdiag_causes() */
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

/*
 * After the counting: the SOCK_CAUSES local ports holding the most
 * TIME_WAIT that is not outgoing, then the SOCK_CAUSES destinations (remote
 * address and port, whatever the local address) holding the most outgoing
 * TIME_WAIT, each list biggest first, into st->causes.  Nothing when the
 * ephemeral range (the direction) is unknown.
 */
void sockdiag_causes(struct sock_stats *st);

/* An address key of a sketch as text (IPv4 or IPv6). */
void sockdiag_addr_text(const unsigned char *key, size_t len, char *out,
			size_t outlen);

#endif
