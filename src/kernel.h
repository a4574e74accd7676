/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the running kernel is, and what that means for TIME_WAIT: whether
 * it counts overflows or only logs them, whether the limit belongs to this
 * network namespace, what a negative limit does, how long TIME_WAIT lasts,
 * what tcp_tw_reuse 2 means, and OpenVZ's per-container limit.  Decided
 * from what the kernel shows (a TcpExt column, a sysctl) first and from
 * its release second (tunables.h has each fact with its release).
 */
#ifndef TWTUNE_KERNEL_H
#define TWTUNE_KERNEL_H

#include <jansson.h>
#include <stdbool.h>

#include "klog.h"

struct observation;

struct kernel_model {
	char release[80];   /* sys/kernel/osrelease, "" when unreadable */
	unsigned version;   /* kernel_version() of it, 0 when unknown */
	bool counter;	    /* TcpExt has TCPTimeWaitOverflow */
	bool limit_here;    /* tcp_max_tw_buckets exists in this namespace */
	int per_netns;	    /* 1, 0 (one table for the host), -1 unknown */
	int neg_unlimited;  /* a negative limit: 1 unlimited, 0 admits no
			       TIME_WAIT at all, -1 unknown */
	int reuse_loopback; /* tcp_tw_reuse 2: 1 loopback only, 0 all */
	const char *lifetime_from; /* what tw_lifetime comes from */
	bool recycle_on;	   /* tcp_tw_recycle shortens some */
	bool openvz; /* tcp_max_tw_buckets_ub exists, or status has envID */
	/* OpenVZ's "envID:" of self/status (envid_seen): the container
	 * twtune runs in, 0 on the hardware node */
	bool envid_seen;
	int envid;
	/* the kernel log, read only when there is no counter */
	bool log_tried;
	struct klog_evidence log;
	char log_source[48]; /* "/dev/kmsg", "var/log/messages", ... */
	char log_error[200]; /* why it could not be read, "" if it was */
	char notes[4][320];  /* what the report must say about it */
	int n_notes;
};

/*
 * Fill o->kernel (and o->tw_lifetime) from what observe_collect() read:
 * the release, the TcpExt columns, the sysctls.  Pure.
 */
void kernel_model(struct observation *o);

/*
 * On a kernel without the counter, the overflow messages of the current
 * boot: from /dev/kmsg or syslog(2) text already read by the caller
 * (kmsg_text or dmesg_text, NULL when none), else from the syslog files
 * under rootfd.  Sets the log metrics of o.  boot_time from /proc/stat.
 */
void kernel_read_log(struct observation *o, int rootfd, const char *kmsg_text,
		     const char *dmesg_text, const char *live_error,
		     double boot_time);

/* The boot time (btime of procfd's stat), or NAN. */
double kernel_boot_time(int procfd);

/* The JSON "kernel" object of the report. */
json_t *kernel_json(const struct observation *o);

#endif
