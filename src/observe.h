/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Observation of the TIME_WAIT load: the metrics policies use.  The
 * cheap ones come from a handful of /proc files whose cost does not depend
 * on the number of sockets.  A value that cannot be known is NAN; the
 * policy engine treats NAN as "unknown" (Kleene logic).
 */
#ifndef TWTUNE_OBSERVE_H
#define TWTUNE_OBSERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "kernel.h"
#include "util.h"

enum metric {
	M_TW_COUNT,
	M_TW_MAX,
	M_TW_RATIO,
	M_TW_OVERFLOWS,
	M_TW_OVERFLOW_DELTA,
	M_TW_OVERFLOW_RATE,
	M_TW_DEMAND,
	M_TW_DEMAND_BURST,
	M_SYNCOOKIES_SENT_DELTA,
	M_LISTEN_OVERFLOWS_DELTA,
	M_TCP_INUSE,
	M_TCP_ORPHAN,
	M_TCP_ALLOC,
	M_MEM_TOTAL,
	M_TW_SOCK_SIZE,
	M_EPHEMERAL_LOW,
	M_EPHEMERAL_HIGH,
	M_EPHEMERAL_PORTS,
	M_USABLE_PORTS,
	M_EHASH_ENTRIES,
	M_TW_SATURATED,
	M_TW_OVERFLOW_LOG_LINES,
	M_TW_OVERFLOW_LOG_SUPPRESSED,
	M_TW_MAX_UB,
	M_ACTIVE_OPEN_RATE,
	M_PASSIVE_OPEN_RATE,
	/* socket-level: O(sockets), from netlink sock_diag */
	M_STATE_ESTABLISHED,
	M_STATE_SYN_SENT,
	M_STATE_SYN_RECV,
	M_STATE_FIN_WAIT1,
	M_STATE_FIN_WAIT2,
	M_STATE_TIME_WAIT,
	M_STATE_CLOSE,
	M_STATE_CLOSE_WAIT,
	M_STATE_LAST_ACK,
	M_STATE_LISTEN,
	M_STATE_CLOSING,
	M_TW_OUTGOING,
	M_TW_INCOMING,
	M_TW_PEERS,
	M_TW_TOP_PEER_SHARE,
	M_PORT_PRESSURE,
	M_SYN_RECV_PEERS,
	M_TW_FIN_WAIT2,
	M_PORT_DEMAND,
	M_PEER_TIMESTAMPS,
	M_REUSE_EFFECTIVE,
	M_TW_PORT_LIMIT,
	M_TW_TOP_SERVICE_SHARE,
	M_TW_TOP_DESTINATION_SHARE,
	METRIC_COUNT
};

#define M_FIRST_SOCKET M_STATE_ESTABLISHED

extern const char *const metric_names[METRIC_COUNT];

/* Index of a metric by name, or -1. */
int metric_lookup(const char *name);

static inline bool metric_is_socket_level(int m)
{
	return m >= M_FIRST_SOCKET;
}

/* A sysctl as read at observation time. */
struct sysctl_obs {
	char *key;
	bool exists;
	bool is_int;	/* the value is one integer: ival, exactly */
	long long ival; /* what twtune compares and writes */
	double value;	/* the same for expressions; NAN unless is_int */
	char *raw;	/* as read, NULL when missing */
};

/* Cumulative counters kept between runs to compute deltas. */
struct counters {
	double tw_overflows;
	double syncookies_sent;
	double listen_overflows;
	/* Tcp ActiveOpens, PassiveOpens (/proc/net/snmp): connections this
	 * namespace opened and accepted; NAN when not read */
	double active_opens, passive_opens;
};

struct baseline {
	bool valid;
	const char *source; /* "state", "sample" or "none" */
	double time;	    /* CLOCK_REALTIME seconds */
	char boot_id[40];
	unsigned long long netns, netns_cookie; /* see util_same_netns() */
	double tw_max; /* the limit in force when the sample was taken */
	struct counters c;
	/*
	 * The overflows between the sample taken at burst_since and this
	 * one all came within burst seconds (a --sample watched them);
	 * NAN when not known.
	 */
	double burst, burst_since;
};

struct observation {
	double m[METRIC_COUNT];
	const char *why[METRIC_COUNT]; /* why a NAN metric is unknown */
	struct sysctl_obs *sysctls;
	size_t n_sysctls;
	struct counters c;
	double time;
	double window;	    /* seconds since the baseline, NAN without one */
	double tw_lifetime; /* seconds a socket stays in TIME_WAIT */
	double burst;	    /* seconds the overflows of a sample took, or NAN */
	bool demand_from_burst; /* tw_demand is the burst bound: no rate */
	const char *baseline_source;
	char boot_id[40];
	/* the namespace's inode and cookie (0: unknown); util_same_netns() */
	unsigned long long netns, netns_cookie;
	bool tw_max_unlimited;
	bool tw_sock_size_read; /* from /proc/slabinfo in this observation */
	struct kernel_model kernel;
	struct msgs warnings;
};

/* TIME_WAIT lasts this long (TCP_TIMEWAIT_LEN) unless the kernel says
 * otherwise. */
#define TW_LIFETIME 60.0

/* A shorter window tells how many sockets came, not how often. */
#define MIN_RATE_WINDOW 1.0

struct sockstat {
	long long inuse, orphan, tw, alloc;
};

/* Parsers for the /proc files, pure so that they can be unit tested. */
int observe_parse_sockstat(const char *text, struct sockstat *out, char *err,
			   size_t errlen);
/*
 * Find the "Prefix:" header and value lines of a /proc/net/netstat or
 * /proc/net/snmp style file and pick the named columns.  Column order
 * differs between kernels, so columns are found by name; a missing name
 * leaves found[i] false.  -EINVAL when the file is malformed.
 */
int observe_parse_netstat(const char *text, const char *prefix,
			  const char *const *names, double *vals, bool *found,
			  size_t n, char *err, size_t errlen);
/*
 * The Tcp ActiveOpens and PassiveOpens counters of /proc/net/snmp
 * (columns found by name); -EINVAL with err when they are missing or
 * malformed.
 */
int observe_parse_tcp_opens(const char *text, double *active, double *passive,
			    char *err, size_t errlen);
int observe_parse_meminfo(const char *text, double *mem_total_bytes, char *err,
			  size_t errlen);
/*
 * objsize of the tw_sock_TCP cache, or of tw_sock_TCPv6 when that is
 * larger; -ENOENT when there is no tw_sock_TCP line
 */
int observe_parse_slabinfo(const char *text, double *objsize, char *err,
			   size_t errlen);

/*
 * Read the cheap metrics from procfd (a descriptor for /proc or a fixture
 * tree) and the sysctls named in keys (the well-known ones are always
 * read).  Fails (-errno, message in err) only when a file that must exist
 * is missing or malformed; optional sources degrade to warnings.
 */
int observe_collect(int procfd, const char *const *keys, size_t n_keys,
		    struct observation *o, char *err, size_t errlen);

struct nsview;
struct slab_cache;

/*
 * observe_collect_cached() of another network namespace, through a view
 * opened inside it (nsopen.h); NULL: the namespace twtune is in.  host,
 * when not NULL, is an observation of the same host whose host-wide
 * values (memory, slab size, boot, kernel release) are taken as they are.
 */
int observe_collect_view(int procfd, const struct nsview *view,
			 const struct observation *host,
			 const char *const *keys, size_t n_keys,
			 const struct slab_cache *cache, struct observation *o,
			 char *err, size_t errlen);

/* Every sysctl an observation reads, given the policies' keys: the set a
 * view must open. */
void observe_keys(const char *const *keys, size_t n_keys, struct msgs *out);

/* tw_sock_size as read earlier in the boot named by boot_id. */
struct slab_cache {
	char boot_id[40];
	double size;
};

/* observe_collect(), but trusting cache for tw_sock_size when it is from
 * this boot (then /proc/slabinfo is not read). */
int observe_collect_cached(int procfd, const char *const *keys, size_t n_keys,
			   const struct slab_cache *cache,
			   struct observation *o, char *err, size_t errlen);

/*
 * The overflow counter alone (TcpExt TCPTimeWaitOverflow), for watching
 * it through a sample window; -errno.
 */
int observe_overflow_counter(int procfd, double *value);
/* The same through a namespace's view (see nsopen.h). */
int observe_overflow_counter_view(int procfd, const struct nsview *view,
				  double *value);

/* Counters from o as a baseline taken now. */
void observe_to_baseline(const struct observation *o, struct baseline *b,
			 const char *source);

/*
 * Compute the derived metrics (ratio, deltas, rates, demand) from the raw
 * ones and an optional baseline.  Pure.
 */
void observe_derive(struct observation *o, const struct baseline *b);

/* The live sysctl as observed, or NULL when it was not read. */
/*
 * Record key as read from the kernel: raw is its text, NULL when the
 * kernel lacks it; its value is the number when raw is one integer.  A
 * key already there is replaced.  (For tests and fuzzing that build an
 * observation by hand; observe_collect() reads keys the same way.)
 */
void observe_set_sysctl(struct observation *o, const char *key,
			const char *raw);

const struct sysctl_obs *observe_sysctl(const struct observation *o,
					const char *key);

void observe_free(struct observation *o);

#endif
