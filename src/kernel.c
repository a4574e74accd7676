// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The kernel model; see kernel.h.  The facts and the releases they start
 * at are in tunables.c (kernel_facts[]); what a kernel shows wins over
 * its release number.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "kernel.h"
#include "observe.h"
#include "tunables.h"
#include "util.h"

static void note(struct kernel_model *k, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void note(struct kernel_model *k, const char *fmt, ...)
{
	va_list ap;

	if (k->n_notes >= (int)(sizeof(k->notes) / sizeof(k->notes[0])))
		return;
	va_start(ap, fmt);
	vsnprintf(k->notes[k->n_notes++], sizeof(k->notes[0]), fmt, ap);
	va_end(ap);
}

static const struct sysctl_obs *present(const struct observation *o,
					const char *key)
{
	const struct sysctl_obs *s = observe_sysctl(o, key);

	return s && s->exists ? s : NULL;
}

/*
 * A negative limit: signed compare before 5.18 (none admitted), unsigned
 * after (unlimited).  Without a release, sockets in the table show that
 * it admits them.
 */
static int negative_unlimited(const struct observation *o, unsigned version)
{
	int has = kernel_has(version, KF_NEG_UNLIMITED);

	if (has >= 0)
		return has;
	return o->m[M_TW_COUNT] > 0 ? 1 : -1;
}

/* The TIME_WAIT lifetime the demand model uses, and where it is from. */
static void lifetime(struct observation *o, struct kernel_model *k)
{
	const struct sysctl_obs *t = present(o, "net.ipv4.tcp_tw_timeout");
	const struct sysctl_obs *r = present(o, "net.ipv4.tcp_tw_recycle");

	o->tw_lifetime = TW_LIFETIME;
	k->lifetime_from = "TCP_TIMEWAIT_LEN (60 s)";
	/* Alibaba and Taobao kernels replace TCP_TIMEWAIT_LEN with it */
	if (t && t->is_int && t->ival >= 1 && t->ival <= 600) {
		o->tw_lifetime = (double)t->ival;
		k->lifetime_from = "net.ipv4.tcp_tw_timeout";
	}
	/*
	 * A recycled TIME_WAIT (IPv4 peers that send timestamps) lasts about
	 * 3.5 RTO instead; tcp-recycle-off turns it off, after which the
	 * full lifetime holds, so the demand is sized for that.
	 */
	k->recycle_on = r && r->is_int && r->ival != 0;
	if (k->recycle_on)
		note(k,
		     "tcp_tw_recycle is on: TIME_WAIT of IPv4 peers with timestamps lasts about 3.5 RTO, not %g s; the demand is sized for the full lifetime it has once recycling is off",
		     o->tw_lifetime);
}

void kernel_model(struct observation *o)
{
	struct kernel_model *k = &o->kernel;
	const struct sysctl_obs *ub =
		present(o, "net.ipv4.tcp_max_tw_buckets_ub");
	int reuse2;

	k->version = kernel_version(k->release);
	k->limit_here = present(o, "net.ipv4.tcp_max_tw_buckets") != NULL;
	k->per_netns = kernel_has(k->version, KF_PER_NETNS);
	k->neg_unlimited = negative_unlimited(o, k->version);
	reuse2 = kernel_has(k->version, KF_REUSE_LOOPBACK);
	k->reuse_loopback = reuse2 != 0; /* unknown: as current kernels */
	lifetime(o, k);
	if (!k->counter)
		note(k,
		     "this kernel has no TCPTimeWaitOverflow counter (it came in 2.6.38): overflows are counted from the kernel log, and a full table is evidence too");
	if (!k->limit_here && k->per_netns != 1)
		note(k,
		     "no net.ipv4.tcp_max_tw_buckets in this network namespace: before Linux 4.11 the limit and the TIME_WAIT count are the whole host's, set from the initial namespace only (run twtune there); tw_count here is the host's");
	else if (!k->limit_here)
		note(k,
		     "no net.ipv4.tcp_max_tw_buckets in this network namespace");
	if (o->m[M_TW_MAX] < 0 && k->neg_unlimited == 0)
		note(k,
		     "tcp_max_tw_buckets is negative: before Linux 5.18 that admits no socket to TIME_WAIT at all, like 0");
	else if (o->m[M_TW_MAX] < 0 && k->neg_unlimited < 0)
		note(k,
		     "tcp_max_tw_buckets is negative and the kernel release is unknown: unlimited from Linux 5.18, no TIME_WAIT at all before; taken as unlimited");
	k->openvz = ub != NULL || k->envid_seen;
	if (k->envid > 0)
		note(k,
		     "OpenVZ container %d: the hardware node may hold its TIME_WAIT sockets below tcp_max_tw_buckets, by tcp_max_tw_buckets_ub or the container's kmemsize share; those overflows are logged on the node, and only the node can change either",
		     k->envid);
	if (ub && ub->is_int) {
		o->m[M_TW_MAX_UB] = ub->value;
		note(k,
		     "OpenVZ: each container may also hold at most tcp_max_tw_buckets_ub = %lld TIME_WAIT sockets (and a share of its kmemsize); a container can hit that limit below tcp_max_tw_buckets, and only the hardware node can change it",
		     ub->ival);
	} else {
		o->why[M_TW_MAX_UB] = "not an OpenVZ kernel";
	}
}

double kernel_boot_time(int procfd)
{
	char *text = NULL;
	const char *p;
	double bt = NAN;
	long long v;

	if (util_read_at(procfd, "stat", PROC_FILE_MAX, &text, NULL) < 0)
		return NAN;
	for (p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p)
		if (strncmp(p, "btime ", 6) == 0 &&
		    sscanf(p + 6, "%lld", &v) == 1 && v > 0)
			bt = (double)v;
	free(text);
	return bt;
}

static void log_metrics(struct observation *o)
{
	const struct kernel_model *k = &o->kernel;
	static char why[sizeof(k->log_error) + 40];

	if (k->log.readable) {
		o->m[M_TW_OVERFLOW_LOG_LINES] = (double)k->log.lines;
		o->m[M_TW_OVERFLOW_LOG_SUPPRESSED] = (double)k->log.suppressed;
		o->why[M_TW_OVERFLOW_LOG_LINES] = NULL;
		o->why[M_TW_OVERFLOW_LOG_SUPPRESSED] = NULL;
		return;
	}
	snprintf(why, sizeof(why), "no kernel log readable: %s",
		 k->log_error[0] ? k->log_error : "none found");
	o->why[M_TW_OVERFLOW_LOG_LINES] = why;
	o->why[M_TW_OVERFLOW_LOG_SUPPRESSED] = why;
}

void kernel_read_log(struct observation *o, int rootfd, const char *kmsg_text,
		     const char *dmesg_text, const char *live_error,
		     double boot_time)
{
	struct kernel_model *k = &o->kernel;
	char err[200] = "";
	int ret;

	k->log_tried = true;
	if (!isfinite(boot_time)) {
		snprintf(k->log_error, sizeof(k->log_error),
			 "no boot time (stat btime)");
		log_metrics(o);
		return;
	}
	/* no root to read files under (said in live_error) */
	ret = rootfd < 0 && !kmsg_text
		      ? -ENOENT
		      : klog_collect(rootfd, kmsg_text, boot_time, o->time,
				     &k->log, err, sizeof(err));
	if (kmsg_text && ret == 0) {
		snprintf(k->log_source, sizeof(k->log_source), "/dev/kmsg");
	} else if (ret == 0) {
		snprintf(k->log_source, sizeof(k->log_source), "%s",
			 k->log.source[0] ? k->log.source : "syslog files");
	} else if (ret == -ENOENT && dmesg_text) {
		/* no files: the ring buffer (syslog(2)), cleared at boot */
		klog_evidence_init(&k->log);
		if (klog_parse_dmesg(dmesg_text, boot_time, &k->log) == 0)
			snprintf(k->log_source, sizeof(k->log_source),
				 "kernel ring buffer");
	}
	if (!k->log.readable) {
		const char *first = err[0]	 ? err
				    : rootfd < 0 ? ""
						 : "no log source";

		util_textf(k->log_error, sizeof(k->log_error), "%s%s%s", first,
			   first[0] && live_error && live_error[0] ? "; " : "",
			   live_error ? live_error : "");
	}
	log_metrics(o);
}

static json_t *tri(int v)
{
	return v < 0 ? json_null() : json_boolean(v);
}

json_t *kernel_json(const struct observation *o)
{
	const struct kernel_model *k = &o->kernel;
	json_t *notes = json_array(), *log = json_null();

	for (int i = 0; i < k->n_notes; i++)
		json_array_append_new(notes, json_string(k->notes[i]));
	if (k->log_tried)
		log = json_pack(
			"{s:b, s:s?, s:s?, s:I, s:I, s:o, s:o, s:s?, s:b}",
			"readable", k->log.readable, "source",
			k->log.readable ? k->log_source : NULL, "error",
			k->log.readable ? NULL : k->log_error, "lines",
			(json_int_t)k->log.lines, "suppressed_up_to",
			(json_int_t)k->log.suppressed, "first",
			isnan(k->log.first) ? json_null()
					    : json_real(k->log.first),
			"last",
			isnan(k->log.last) ? json_null()
					   : json_real(k->log.last),
			"container", k->log.ctid[0] ? k->log.ctid : NULL,
			"containers_mixed", k->log.ctid_mixed);
	return json_pack(
		"{s:s?, s:o, s:b, s:b, s:o, s:o, s:b, s:f, s:s, s:b, s:b, s:o, s:o, s:o}",
		"release", k->release[0] ? k->release : NULL, "version",
		k->version ? json_sprintf("%u.%u.%u", k->version >> 16,
					  (k->version >> 8) & 0xff,
					  k->version & 0xff)
			   : json_null(),
		"overflow_counter", k->counter, "limit_in_namespace",
		k->limit_here, "per_namespace", tri(k->per_netns),
		"negative_limit_unlimited", tri(k->neg_unlimited),
		"reuse_2_loopback_only", k->reuse_loopback,
		"tw_lifetime_seconds", o->tw_lifetime, "tw_lifetime_from",
		k->lifetime_from, "tw_recycle_on", k->recycle_on, "openvz",
		k->openvz, "openvz_container",
		k->envid > 0 ? json_integer(k->envid) : json_null(), "log", log,
		"notes", notes);
}
