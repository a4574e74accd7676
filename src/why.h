/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Why there are so many TIME_WAIT sockets, and what to change in the
 * application rather than in the kernel: the causes the socket dump found
 * (sockdiag.h: a local port whose server closes first, a destination a
 * client keeps opening new connections to), named (owner.h), biggest
 * first, each with one line of advice; the churn of new connections; and,
 * when the table is full, which way the overflow most likely goes.  Pure:
 * no I/O, no clock, from the dump, the observation and whether the plan's
 * SYN flood advice fired.
 */
#ifndef TWTUNE_WHY_H
#define TWTUNE_WHY_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>

#include "observe.h"
#include "sockdiag.h"

#define WHY_MAX 5   /* causes given in JSON and Prometheus */
#define WHY_SHOWN 3 /* in the text report */

enum why_kind {
	WHY_INCOMING,
	WHY_OUTGOING
};

/* Which way the TIME_WAIT that overflowed most likely went. */
enum why_dir {
	WHY_DIR_NONE,	  /* the table is neither full nor overflowing */
	WHY_DIR_UNKNOWN,  /* it is, and nothing tells */
	WHY_DIR_INCOMING, /* this host's servers close first */
	WHY_DIR_OUTGOING, /* this host's clients close first */
	WHY_DIR_BOTH,
};

extern const char *const why_kind_names[];
extern const char *const why_dir_names[]; /* NULL for WHY_DIR_NONE */

struct why_cause {
	enum why_kind kind;
	unsigned local_port;		   /* incoming */
	char remote[INET6_ADDRSTRLEN + 8]; /* outgoing: ADDR:PORT, [ADDR]:PORT */
	uint64_t time_wait;
	double share;	     /* of the TIME_WAIT in the dump */
	const char *process; /* comm, NULL when not named */
	int pid;	     /* 0 when not known */
	const char *unit;    /* systemd unit or container, or NULL */
	const char *how;     /* how it was named, or why not */
	bool listening;	     /* incoming: something listens on the port */
	bool proxy;	     /* its owner also holds a cause the other way */
	char advice[900];
};

struct why {
	bool known;	     /* causes were looked for */
	const char *unknown; /* why not, when !known */
	uint64_t time_wait;  /* TIME_WAIT sockets in the dump */
	size_t n;
	struct why_cause causes[WHY_MAX];
	size_t more; /* causes found beyond WHY_MAX */
	bool full;   /* full or overflowing: the dump is a sample */
	enum why_dir overflow_dir;
	char caveat[700];    /* what a full table means here, "" if not full */
	char churn[300];     /* new connections per second, or why unknown */
	char syn_flood[300]; /* the SYN flood note, "" unless it fired */
};

/*
 * Diagnose from st (NULL or not collected: no causes, with the reason),
 * the observation's metrics, and whether the plan's syn-flood-hint advice
 * fired.  Pointers in out point into st.
 */
void why_diagnose(const struct sock_stats *st, const struct observation *o,
		  bool syn_flood, struct why *out);

#endif
