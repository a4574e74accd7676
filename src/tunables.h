/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The sysctls twtune knows: one table holding, for each key, the range
 * the kernel accepts, what the value means, the kernel releases that
 * have it, and what is special about it.  Every module that needs one of
 * these facts reads it here: the observation (which keys a report always
 * shows), the planner (ranges, "negative means unlimited"), the policy
 * loader (tcp_tw_recycle may only be turned off) and rollback (which
 * keys may be restored at all).
 */
#ifndef TWTUNE_TUNABLES_H
#define TWTUNE_TUNABLES_H

#include <stdbool.h>
#include <stddef.h>

/* A kernel release as one comparable number: KVER(4, 12) */
#define KVER(a, b) ((unsigned)(a) << 16 | (unsigned)(b) << 8)

enum tunable_flags {
	TUN_SHOWN = 1u << 0, /* read by every observation */
	TUN_NEG_UNLIMITED = 1u
			    << 1, /* negative: no limit (5.18+; see kernel.h) */
	TUN_ZERO_ONLY = 1u << 2,  /* twtune may only ever set it to 0 */
	TUN_NOT_INT = 1u << 3,	  /* not one integer: read, never written */
	TUN_READ_ONLY = 1u << 4,  /* the kernel's to say: never written */
	TUN_PER_NETNS = 1u << 5,  /* per network namespace only from 4.11 */
	TUN_MODEL = 1u << 6,	  /* read where the kernel has it: it changes
				     the kernel model (kernel.c), not shown */
};

struct tunable {
	const char *key;
	long long lo, hi;  /* what the kernel accepts */
	unsigned flags;	   /* enum tunable_flags */
	unsigned since;	   /* first release that has it, 0: all twtune reads */
	unsigned until;	   /* first release without it, 0: still there */
	const char *means; /* one line for people */
};

extern const struct tunable tunables[];
extern const size_t n_tunables;

/* The entry for key, or NULL when twtune does not know it. */
const struct tunable *tunable_find(const char *key);

/*
 * The range the kernel accepts for key: from the table, or a C int for
 * any other key (every numeric net.* sysctl is at most that).  Returns
 * whether the key is in the table.
 */
bool tunable_range(const char *key, long long *lo, long long *hi);

/* Why a value may not be written; see tunable_check(). */
enum tunable_verdict {
	TUNABLE_OK,
	TUNABLE_UNMANAGED,    /* not in the table, or not a writable integer */
	TUNABLE_ZERO_ONLY,    /* twtune may only ever set it to 0 */
	TUNABLE_OUT_OF_RANGE, /* outside what the kernel accepts */
};

/*
 * Whether twtune may write value to key from a record it did not plan
 * itself (an audit log or state file is only as good as whoever could
 * write it): a key of the table that is one writable integer, within what
 * the kernel accepts, and 0 for a key twtune may only ever set to 0.
 */
enum tunable_verdict tunable_check(const char *key, long long value);

/* Whether key became per network namespace in 4.11 (before: host's). */
bool tunable_per_netns(const char *key);

/* Whether key may hold a negative value that means "no limit". */
bool tunable_negative_unlimited(const char *key);

/*
 * What twtune relies on that changed between kernel releases, each with
 * the first release that has it (see the Kernels section of the README).
 * Where the kernel itself shows a fact (a TcpExt column, a sysctl), that
 * wins over the release number: vendors backport.
 */
enum kernel_fact {
	KF_COUNTER,	   /* TcpExt TCPTimeWaitOverflow instead of the log */
	KF_PER_NETNS,	   /* tcp_max_tw_buckets, tcp_tw_reuse, tw: per netns */
	KF_REUSE_LOOPBACK, /* tcp_tw_reuse 2 means loopback only */
	KF_NEG_UNLIMITED,  /* a negative tcp_max_tw_buckets is unlimited */
	KF_KMSG,	   /* /dev/kmsg */
	KF_COUNT
};

struct kernel_fact_def {
	unsigned since;	    /* KVER(...) | patch */
	const char *what;   /* one line for people */
	const char *source; /* the commit */
};

extern const struct kernel_fact_def kernel_facts[KF_COUNT];

/*
 * A release string ("2.6.32-754.el6.x86_64", "6.18.0-1-amd64") as
 * KVER(major, minor) | patch, or 0 when it does not start with one.
 */
unsigned kernel_version(const char *release);

/* 1 when version has fact, 0 when it does not, -1 when version is 0. */
int kernel_has(unsigned version, enum kernel_fact fact);

#endif
