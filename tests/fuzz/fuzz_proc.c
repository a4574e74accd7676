// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target for the /proc parsers of observe.c.  The input is up to
 * nine NUL-separated files, in this order: net/sockstat, net/netstat,
 * meminfo, slabinfo, net/sockstat6, sys/net/ipv4/tcp_max_tw_buckets,
 * sys/net/ipv4/ip_local_port_range, sys/kernel/random/boot_id and
 * net/snmp.  Each
 * text goes to its parser directly, then the files (a missing part is a
 * missing file) make a fake /proc for observe_collect(), with and
 * without a cached slab size, and the metrics are derived with and
 * without a baseline.  Checked beyond memory safety: a failure says why,
 * and no metric is ever an infinity or a negative count.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzzutil.h"
#include "observe.h"
#include "util.h"

static const char *const files[] = {
	"net/sockstat",
	"net/netstat",
	"meminfo",
	"slabinfo",
	"net/sockstat6",
	"sys/net/ipv4/tcp_max_tw_buckets",
	"sys/net/ipv4/ip_local_port_range",
	"sys/kernel/random/boot_id",
	"net/snmp",
};

/* Sysctls that are always there, and keys a policy might add. */
static const struct {
	const char *path, *text;
} fixed[] = {
	{ "sys/net/ipv4/tcp_fin_timeout", "60\n" },
	{ "sys/net/ipv4/tcp_tw_reuse", "2\n" },
	{ "sys/net/ipv4/tcp_timestamps", "1\n" },
	{ "sys/net/ipv4/tcp_syncookies", "1\n" },
	{ "sys/net/core/somaxconn", "4096\n" },
};
static const char *const extra_keys[] = { "net.core.somaxconn",
					  "net.ipv4.tcp_tw_recycle" };

static void parse_direct(const struct fuzz_parts *p)
{
	static const char *const ext[] = { "TCPTimeWaitOverflow",
					   "SyncookiesSent",
					   "ListenOverflows" };
	static const char *const tcp[] = { "ActiveOpens", "CurrEstab",
					   "RtoAlgorithm" };
	double vals[3], d;
	bool found[3];
	struct sockstat ss;
	char err[160];

	err[0] = '\0';
	if (observe_parse_sockstat(p->part[0], &ss, err, sizeof(err)) == 0)
		fuzz_check(ss.inuse >= 0 && ss.orphan >= 0 && ss.tw >= 0 &&
			   ss.alloc >= 0);
	else
		fuzz_check(err[0] != '\0');
	if (p->n < 2)
		return;
	err[0] = '\0';
	if (observe_parse_netstat(p->part[1], "TcpExt", ext, vals, found, 3,
				  err, sizeof(err)) < 0)
		fuzz_check(err[0] != '\0');
	/* /proc/net/snmp has the same layout */
	observe_parse_netstat(p->part[1], "Tcp", tcp, vals, found, 3, err,
			      sizeof(err));
	if (p->n < 3)
		return;
	err[0] = '\0';
	if (observe_parse_meminfo(p->part[2], &d, err, sizeof(err)) == 0)
		fuzz_check(d >= 0 && isfinite(d));
	else
		fuzz_check(err[0] != '\0');
	if (p->n > 8) {
		double a, b;

		err[0] = '\0';
		if (observe_parse_tcp_opens(p->part[8], &a, &b, err,
					    sizeof(err)) == 0)
			fuzz_check(a >= 0 && b >= 0 && isfinite(a) &&
				   isfinite(b));
		else
			fuzz_check(err[0] != '\0');
	}
	if (p->n < 4)
		return;
	err[0] = '\0';
	switch (observe_parse_slabinfo(p->part[3], &d, err, sizeof(err))) {
	case 0: fuzz_check(d > 0 && d <= 65536); break;
	case -ENOENT: break;
	default: fuzz_check(err[0] != '\0');
	}
}

static void check_metrics(const struct observation *o)
{
	for (int i = 0; i < METRIC_COUNT; i++)
		fuzz_check(!isinf(o->m[i]));
	fuzz_check(!(o->m[M_TW_COUNT] < 0));
	fuzz_check(!(o->m[M_TCP_INUSE] < 0));
	fuzz_check(!(o->m[M_MEM_TOTAL] < 0));
	fuzz_check(!(o->m[M_EPHEMERAL_PORTS] <= 0));
	fuzz_check(!(o->m[M_ACTIVE_OPEN_RATE] < 0));
	fuzz_check(!(o->m[M_PASSIVE_OPEN_RATE] < 0));
}

static void collect(int procfd, const struct slab_cache *cache,
		    const struct baseline *b)
{
	struct observation o;
	char err[256];
	int ret;

	err[0] = '\0';
	ret = observe_collect_cached(procfd, extra_keys, ARRAY_SIZE(extra_keys),
				     cache, &o, err, sizeof(err));
	if (ret < 0) {
		fuzz_check(err[0] != '\0');
		observe_free(&o);
		return;
	}
	check_metrics(&o);
	observe_derive(&o, b);
	check_metrics(&o);
	/* a rate is known, or says why not */
	fuzz_check(!isnan(o.m[M_ACTIVE_OPEN_RATE]) ||
		   o.why[M_ACTIVE_OPEN_RATE] != NULL);
	observe_free(&o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_parts p;
	struct slab_cache cache = { .size = 300 };
	struct baseline b = {
		.valid = true,
		.source = "state",
		.time = 1000,
		.tw_max = 262144,
		.c = { .tw_overflows = 5,
		       .syncookies_sent = 1,
		       .active_opens = 100,
		       .passive_opens = 7 },
	};
	char *dir;
	int procfd;

	fuzz_split(data, size, &p);
	parse_direct(&p);

	dir = xasprintf("%s/proc", fuzz_scratch());
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		if (i < p.n)
			fuzz_put(dir, files[i], p.part[i], p.len[i]);
		else
			fuzz_unlink(dir, files[i]);
	}
	for (size_t i = 0; i < ARRAY_SIZE(fixed); i++)
		fuzz_put(dir, fixed[i].path, fixed[i].text,
			 strlen(fixed[i].text));
	procfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	fuzz_check(procfd >= 0);

	/* the boot id as observe_collect() keeps it: cache and baseline
	 * then match it, and the deltas are computed */
	if (p.n > 7)
		snprintf(b.boot_id, sizeof(b.boot_id), "%.36s", p.part[7]);
	memcpy(cache.boot_id, b.boot_id, sizeof(cache.boot_id));

	collect(procfd, NULL, NULL);
	collect(procfd, &cache, &b);

	close(procfd);
	free(dir);
	fuzz_parts_free(&p);
	return 0;
}
