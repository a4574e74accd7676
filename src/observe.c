// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The cheap observations: /proc/net/sockstat, /proc/net/netstat,
 * /proc/meminfo, /proc/slabinfo and a few sysctls, all through a
 * descriptor for /proc (or a fixture tree).  Parsing is strict: a file
 * that does not look as expected is an error naming the file, never a
 * silently wrong number.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <unistd.h>

#include "bounds.h"
#include "hooks.h"
#include "nsopen.h"
#include "observe.h"
#include "sysctl.h"
#include "tunables.h"

struct source;
static void read_opens(const struct source *src, struct observation *o);
static void derive_opens(struct observation *o, const struct baseline *b);

const char *const metric_names[METRIC_COUNT] = {
	[M_TW_COUNT] = "tw_count",
	[M_TW_MAX] = "tw_max",
	[M_TW_RATIO] = "tw_ratio",
	[M_TW_OVERFLOWS] = "tw_overflows",
	[M_TW_OVERFLOW_DELTA] = "tw_overflow_delta",
	[M_TW_OVERFLOW_RATE] = "tw_overflow_rate",
	[M_TW_DEMAND] = "tw_demand",
	[M_TW_DEMAND_BURST] = "tw_demand_burst",
	[M_SYNCOOKIES_SENT_DELTA] = "syncookies_sent_delta",
	[M_LISTEN_OVERFLOWS_DELTA] = "listen_overflows_delta",
	[M_TCP_INUSE] = "tcp_inuse",
	[M_TCP_ORPHAN] = "tcp_orphan",
	[M_TCP_ALLOC] = "tcp_alloc",
	[M_MEM_TOTAL] = "mem_total",
	[M_TW_SOCK_SIZE] = "tw_sock_size",
	[M_EPHEMERAL_LOW] = "ephemeral_low",
	[M_EPHEMERAL_HIGH] = "ephemeral_high",
	[M_EPHEMERAL_PORTS] = "ephemeral_ports",
	[M_USABLE_PORTS] = "usable_ports",
	[M_EHASH_ENTRIES] = "ehash_entries",
	[M_TW_SATURATED] = "tw_saturated",
	[M_TW_OVERFLOW_LOG_LINES] = "tw_overflow_log_lines",
	[M_TW_OVERFLOW_LOG_SUPPRESSED] = "tw_overflow_log_suppressed",
	[M_TW_MAX_UB] = "tw_max_ub",
	[M_STATE_ESTABLISHED] = "state_established",
	[M_STATE_SYN_SENT] = "state_syn_sent",
	[M_STATE_SYN_RECV] = "state_syn_recv",
	[M_STATE_FIN_WAIT1] = "state_fin_wait1",
	[M_STATE_FIN_WAIT2] = "state_fin_wait2",
	[M_STATE_TIME_WAIT] = "state_time_wait",
	[M_STATE_CLOSE] = "state_close",
	[M_STATE_CLOSE_WAIT] = "state_close_wait",
	[M_STATE_LAST_ACK] = "state_last_ack",
	[M_STATE_LISTEN] = "state_listen",
	[M_STATE_CLOSING] = "state_closing",
	[M_TW_OUTGOING] = "tw_outgoing",
	[M_TW_INCOMING] = "tw_incoming",
	[M_TW_PEERS] = "tw_peers",
	[M_TW_TOP_PEER_SHARE] = "tw_top_peer_share",
	[M_PORT_PRESSURE] = "port_pressure",
	[M_SYN_RECV_PEERS] = "syn_recv_peers",
	[M_TW_FIN_WAIT2] = "tw_fin_wait2",
	[M_PORT_DEMAND] = "port_demand",
	[M_PEER_TIMESTAMPS] = "peer_timestamps",
	[M_REUSE_EFFECTIVE] = "reuse_effective",
	[M_TW_PORT_LIMIT] = "tw_port_limit",
	[M_ACTIVE_OPEN_RATE] = "active_open_rate",
	[M_PASSIVE_OPEN_RATE] = "passive_open_rate",
	[M_TW_TOP_SERVICE_SHARE] = "tw_top_service_share",
	[M_TW_TOP_DESTINATION_SHARE] = "tw_top_destination_share",
};

/* Why the overflow metrics are unknown on a kernel that only logs. */
#define NO_COUNTER                                                             \
	"this kernel has no TCPTimeWaitOverflow counter (Linux 2.6.38 "        \
	"added it): see tw_overflow_log_lines"

/* Why a metric that needs a baseline is unknown without one. */
#define NO_BASELINE "no baseline (first run: run again, or use --sample)"

/* Default TIME_WAIT socket size when /proc/slabinfo is not readable. */
#define TW_SOCK_SIZE_DEFAULT 256

int metric_lookup(const char *name)
{
	for (int i = 0; i < METRIC_COUNT; i++)
		if (strcmp(metric_names[i], name) == 0)
			return i;
	return -1;
}

/* Find the line that starts with prefix (at a line start); NULL if none. */
static const char *find_line(const char *text, const char *prefix)
{
	size_t n = strlen(prefix);

	for (const char *p = text; p && *p;
	     p = strchr(p, '\n'), p = p ? p + 1 : p)
		if (strncmp(p, prefix, n) == 0)
			return p;
	return NULL;
}

/* Copy one line (without '\n') into a new string. */
static char *dup_line(const char *p)
{
	const char *e = strchrnul(p, '\n');
	char *s = xmalloc((size_t)(e - p) + 1);

	memcpy(s, p, (size_t)(e - p));
	s[e - p] = '\0';
	return s;
}

static int parse_count(const char *tok, long long *out)
{
	long long v;

	if (!tok || util_parse_ll(tok, &v) < 0 || v < 0)
		return -EINVAL;
	*out = v;
	return 0;
}

int observe_parse_sockstat(const char *text, struct sockstat *out, char *err,
			   size_t errlen)
{
	struct {
		const char *name;
		long long *dst;
		bool seen;
	} f[] = {
		{ "inuse", &out->inuse, false },
		{ "orphan", &out->orphan, false },
		{ "tw", &out->tw, false },
		{ "alloc", &out->alloc, false },
	};
	const char *p = find_line(text, "TCP: ");
	char *line, *save = NULL, *tok;
	int ret = 0;

	if (!p) {
		snprintf(err, errlen, "no \"TCP:\" line");
		return -EINVAL;
	}
	line = dup_line(p);
	strtok_r(line, " ", &save); /* "TCP:" */
	while ((tok = strtok_r(NULL, " ", &save))) {
		char *val = strtok_r(NULL, " ", &save);

		for (size_t i = 0; i < ARRAY_SIZE(f); i++) {
			if (strcmp(tok, f[i].name) != 0)
				continue;
			if (parse_count(val, f[i].dst) < 0) {
				snprintf(err, errlen,
					 "TCP %s: not a count: \"%s\"", tok,
					 val ? val : "");
				ret = -EINVAL;
				goto out;
			}
			f[i].seen = true;
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(f); i++) {
		if (!f[i].seen) {
			snprintf(err, errlen, "TCP line has no \"%s\" field",
				 f[i].name);
			ret = -EINVAL;
			goto out;
		}
	}
out:
	free(line);
	return ret;
}

int observe_parse_netstat(const char *text, const char *prefix,
			  const char *const *names, double *vals, bool *found,
			  size_t n, char *err, size_t errlen)
{
	char hdr_prefix[64];
	const char *h, *v;
	char *hl = NULL, *vl = NULL, *hs = NULL, *vs = NULL, *ht, *vt;
	size_t cols = 0;
	int ret = 0;

	for (size_t i = 0; i < n; i++)
		found[i] = false;
	snprintf(hdr_prefix, sizeof(hdr_prefix), "%s: ", prefix);
	h = find_line(text, hdr_prefix);
	if (!h) {
		snprintf(err, errlen, "no \"%s:\" lines", prefix);
		return -EINVAL;
	}
	/* the value line is the next line with the same prefix */
	v = strchr(h, '\n');
	v = v ? find_line(v + 1, hdr_prefix) : NULL;
	if (!v) {
		snprintf(err, errlen, "\"%s:\" header has no value line",
			 prefix);
		return -EINVAL;
	}
	/* one header and one value line: a second pair would be a guess */
	if (strchr(v, '\n') && find_line(strchr(v, '\n') + 1, hdr_prefix)) {
		snprintf(err, errlen, "more than one \"%s:\" header and value",
			 prefix);
		return -EINVAL;
	}
	hl = dup_line(h);
	vl = dup_line(v);
	strtok_r(hl, " ", &hs);
	strtok_r(vl, " ", &vs);
	for (;;) {
		ht = strtok_r(NULL, " ", &hs);
		vt = strtok_r(NULL, " ", &vs);
		if (!ht && !vt)
			break;
		if (!ht || !vt) {
			snprintf(err, errlen,
				 "\"%s:\" header has %s columns than values",
				 prefix, ht ? "more" : "fewer");
			ret = -EINVAL;
			goto out;
		}
		cols++;
		for (size_t i = 0; i < n; i++) {
			char *end;
			unsigned long long u;

			if (strcmp(ht, names[i]) != 0)
				continue;
			if (found[i]) {
				snprintf(err, errlen,
					 "%s %s: the column appears twice",
					 prefix, ht);
				ret = -EINVAL;
				goto out;
			}
			errno = 0;
			u = strtoull(vt, &end, 10);
			/* strtoull skips blanks and takes a sign: only digits */
			if (!isdigit((unsigned char)vt[0]) || errno || *end) {
				snprintf(err, errlen,
					 "%s %s: not a counter: \"%s\"", prefix,
					 ht, vt);
				ret = -EINVAL;
				goto out;
			}
			vals[i] = (double)u;
			found[i] = true;
		}
	}
	if (!cols) {
		snprintf(err, errlen, "\"%s:\" lines are empty", prefix);
		ret = -EINVAL;
	}
out:
	free(hl);
	free(vl);
	return ret;
}

int observe_parse_meminfo(const char *text, double *mem_total_bytes, char *err,
			  size_t errlen)
{
	const char *p = find_line(text, "MemTotal:");
	unsigned long long kb;
	char unit[8];

	if (!p) {
		snprintf(err, errlen, "no MemTotal line");
		return -EINVAL;
	}
	const char *num = p + strlen("MemTotal:");

	num += strspn(num, " \t");
	/* %llu would take "-1" and wrap it: insist on a digit */
	if (!isdigit((unsigned char)*num) ||
	    sscanf(p, "MemTotal: %llu %7s", &kb, unit) != 2 ||
	    strcmp(unit, "kB") != 0) {
		snprintf(err, errlen, "MemTotal line is not \"N kB\"");
		return -EINVAL;
	}
	*mem_total_bytes = (double)kb * 1024.0;
	return 0;
}

int observe_parse_slabinfo(const char *text, double *objsize, char *err,
			   size_t errlen)
{
	const char *p;
	unsigned long active, num, size, v6;

	if (strncmp(text, "slabinfo - version: 2.", 22) != 0) {
		snprintf(err, errlen, "unknown slabinfo version");
		return -EINVAL;
	}
	p = find_line(text, "tw_sock_TCP ");
	if (!p)
		return -ENOENT;
	if (sscanf(p, "tw_sock_TCP %lu %lu %lu", &active, &num, &size) != 3 ||
	    size == 0 || size > 65536) {
		snprintf(err, errlen, "malformed tw_sock_TCP line");
		return -EINVAL;
	}
	/*
	 * IPv6 TIME_WAIT sockets come from their own, larger cache, and the
	 * limit counts both: the memory bound takes the larger size.
	 */
	p = find_line(text, "tw_sock_TCPv6 ");
	if (p &&
	    sscanf(p, "tw_sock_TCPv6 %lu %lu %lu", &active, &num, &v6) == 3 &&
	    v6 > size && v6 <= 65536)
		size = v6;
	*objsize = (double)size;
	return 0;
}

static struct sysctl_obs *add_sysctl(struct observation *o, const char *key)
{
	for (size_t i = 0; i < o->n_sysctls; i++)
		if (strcmp(o->sysctls[i].key, key) == 0)
			return NULL;
	o->sysctls =
		xrealloc(o->sysctls, (o->n_sysctls + 1) * sizeof(*o->sysctls));
	o->sysctls[o->n_sysctls] = (struct sysctl_obs){
		.key = xstrdup(key),
		.value = NAN,
	};
	return &o->sysctls[o->n_sysctls++];
}

/* The kernel has the key and it reads raw. */
static void set_raw(struct sysctl_obs *s, const char *raw)
{
	long long v;

	s->exists = true;
	s->raw = xstrdup(raw);
	if (sysctl_parse_int(raw, &v) == 0) {
		s->is_int = true;
		s->ival = v;
		s->value = (double)v;
	}
}

void observe_set_sysctl(struct observation *o, const char *key, const char *raw)
{
	struct sysctl_obs *s = add_sysctl(o, key);

	for (size_t i = 0; !s && i < o->n_sysctls; i++)
		if (strcmp(o->sysctls[i].key, key) == 0)
			s = &o->sysctls[i];
	free(s->raw);
	s->raw = NULL;
	s->exists = false;
	s->is_int = false;
	s->value = NAN;
	if (raw)
		set_raw(s, raw);
}

/*
 * Where an observation reads: procfd for what is the host's (meminfo,
 * slabinfo, the kernel's release), and for the namespace's own net files
 * and sysctls either procfd too (the namespace twtune is in) or a view of
 * another one (nsopen.h).
 */
struct source {
	int procfd;
	const struct nsview *view;
};

/* The text of path (relative to /proc), from the view where it has it. */
static int read_text(const struct source *src, const char *path, size_t max,
		     char **text)
{
	static const char *const net[NV_FILES] = {
		[NV_SOCKSTAT] = "net/sockstat",
		[NV_SOCKSTAT6] = "net/sockstat6",
		[NV_NETSTAT] = "net/netstat",
		[NV_SNMP] = "net/snmp",
	};

	for (int i = 0; src->view && i < NV_FILES; i++)
		if (strcmp(path, net[i]) == 0)
			return src->view->net[i] < 0
				       ? -ENOENT
				       : util_read_fd(src->view->net[i], max,
						      UTIL_READ_FROM_START,
						      text, NULL);
	return util_read_at(src->procfd, path, max, text, NULL);
}

static void read_sysctls(const struct source *src, int netfd,
			 const char *const *keys, size_t n,
			 struct observation *o)
{
	for (size_t i = 0; i < n; i++) {
		struct sysctl_obs *s = add_sysctl(o, keys[i]);
		char raw[256];
		int ret, fd;

		if (!s)
			continue;
		if (src->view) {
			/* not opened in the namespace: it has no such key */
			fd = nsview_key_fd(src->view, keys[i]);
			ret = fd < 0 ? -ENOENT
				     : sysctl_read_fd(fd, raw, sizeof(raw));
		} else {
			ret = sysctl_read(netfd, keys[i], raw, sizeof(raw));
		}
		if (ret == -ENOENT)
			continue;
		if (ret < 0) {
			/* e.g. a write-only key or a directory named in a
			 * policy: unknown, not a reason to stop observing */
			msgs_addf(&o->warnings,
				  "%s: read: %s; treated as unknown", keys[i],
				  strerror(-ret));
			s->exists = true;
			continue;
		}
		set_raw(s, raw);
	}
}

/*
 * A /proc file parsed by parse into o: each cheap source is one of these,
 * reading the file relative to procfd and naming it in any error.
 */
typedef int (*source_parser)(const char *text, struct observation *o, char *err,
			     size_t errlen);

static int read_source(const struct source *src, const char *path,
		       source_parser parse, struct observation *o, char *err,
		       size_t errlen)
{
	char *text = NULL, perr[200];
	int ret = read_text(src, path, PROC_FILE_MAX, &text);

	if (ret < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		return ret;
	}
	ret = parse(text, o, perr, sizeof(perr));
	if (ret < 0)
		snprintf(err, errlen, "%s: %s", path, perr);
	free(text);
	return ret;
}

static int parse_sockstat(const char *text, struct observation *o, char *err,
			  size_t errlen)
{
	struct sockstat ss;
	int ret = observe_parse_sockstat(text, &ss, err, errlen);

	if (ret < 0)
		return ret;
	o->m[M_TW_COUNT] = (double)ss.tw;
	o->m[M_TCP_INUSE] = (double)ss.inuse;
	o->m[M_TCP_ORPHAN] = (double)ss.orphan;
	o->m[M_TCP_ALLOC] = (double)ss.alloc;
	return 0;
}

/* sockstat6 only has "TCP6: inuse N"; absent without IPv6 */
static void add_sockstat6(const struct source *src, struct observation *o)
{
	char *text = NULL;
	const char *p;
	long long v;

	if (read_text(src, "net/sockstat6", PROC_FILE_MAX, &text) < 0)
		return;
	p = find_line(text, "TCP6: inuse ");
	if (p && sscanf(p, "TCP6: inuse %lld", &v) == 1 && v >= 0)
		o->m[M_TCP_INUSE] += (double)v;
	free(text);
}

static int parse_tcpext(const char *text, struct observation *o, char *err,
			size_t errlen)
{
	static const char *const names[] = { "TCPTimeWaitOverflow",
					     "SyncookiesSent",
					     "ListenOverflows" };
	double v[ARRAY_SIZE(names)];
	bool found[ARRAY_SIZE(names)];
	int ret = observe_parse_netstat(text, "TcpExt", names, v, found,
					ARRAY_SIZE(names), err, errlen);

	if (ret < 0)
		return ret;
	/* 2.6.37 and older log overflows instead (see kernel.h) */
	if (hook_no_counter && hook_no_counter())
		found[0] = false;
	o->kernel.counter = found[0];
	o->c.tw_overflows = found[0] ? v[0] : NAN;
	o->c.syncookies_sent = found[1] ? v[1] : NAN;
	o->c.listen_overflows = found[2] ? v[2] : NAN;
	o->m[M_TW_OVERFLOWS] = o->c.tw_overflows;
	if (!found[0])
		o->why[M_TW_OVERFLOWS] = NO_COUNTER;
	return 0;
}

int observe_overflow_counter(int procfd, double *value)
{
	return observe_overflow_counter_view(procfd, NULL, value);
}

int observe_overflow_counter_view(int procfd, const struct nsview *view,
				  double *value)
{
	struct observation o;
	char err[512];
	int ret;

	struct source src = { .procfd = procfd, .view = view };

	memset(&o, 0, sizeof(o));
	ret = read_source(&src, "net/netstat", parse_tcpext, &o, err,
			  sizeof(err));
	*value = o.c.tw_overflows;
	return ret;
}

static int parse_meminfo(const char *text, struct observation *o, char *err,
			 size_t errlen)
{
	return observe_parse_meminfo(text, &o->m[M_MEM_TOTAL], err, errlen);
}

static void read_release(int procfd, struct observation *o)
{
	char *text = NULL;

	if (util_read_at(procfd, "sys/kernel/osrelease", 256, &text, NULL) < 0)
		return;
	text[strcspn(text, "\n")] = '\0';
	snprintf(o->kernel.release, sizeof(o->kernel.release), "%s", text);
	free(text);
}

/*
 * OpenVZ kernels add "envID:\tN" to every task's status: the container
 * the task runs in, 0 on the hardware node (task_state() of its
 * fs/proc/array.c).  Mainline kernels have no such line.
 */
/*
 * Whether procfd is the live /proc.  What it shows of the whole host or
 * of twtune itself (its status, the boot line) cannot change while
 * twtune runs: read once, however many namespaces or ticks observe it.
 * A fixture tree is read every time.
 */
static bool live_proc(int procfd)
{
	struct statfs sf;

	return fstatfs(procfd, &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC;
}

static void read_envid(int procfd, struct observation *o)
{
	static int cached = -1; /* -1: not read, else envid_seen */
	static int cached_envid;
	char *text = NULL, *p;
	bool live = live_proc(procfd);
	long long v;

	if (live && cached >= 0) {
		o->kernel.envid_seen = cached;
		o->kernel.envid = cached_envid;
		return;
	}
	if (util_read_at(procfd, "self/status", PROC_SMALL_MAX, &text, NULL) <
	    0)
		return;
	p = strstr(text, "\nenvID:");
	if (p) {
		p += strlen("\nenvID:");
		p[strcspn(p, "\n")] = '\0';
		if (util_parse_ll(p, &v) == 0 && v >= 0 && v <= INT_MAX) {
			o->kernel.envid_seen = true;
			o->kernel.envid = (int)v;
		}
	}
	free(text);
	if (live) {
		cached = o->kernel.envid_seen;
		cached_envid = o->kernel.envid;
	}
}

static void read_boot_id(int procfd, struct observation *o)
{
	char *text = NULL;

	if (util_read_at(procfd, "sys/kernel/random/boot_id", 64, &text, NULL) <
	    0)
		return;
	snprintf(o->boot_id, sizeof(o->boot_id), "%.36s", text);
	free(text);
}

/*
 * slabinfo is root-only and optional: fall back to a typical size.  It is
 * also the most expensive file here (the kernel walks every cache), and
 * the object size cannot change until the next boot, so a size read
 * earlier in this boot is used as it is.
 */
static void read_tw_sock_size(int procfd, const struct slab_cache *cache,
			      struct observation *o)
{
	char *text = NULL, perr[160];
	int ret;

	o->m[M_TW_SOCK_SIZE] = TW_SOCK_SIZE_DEFAULT;
	o->tw_sock_size_read = false;
	if (cache && cache->size > 0 && o->boot_id[0] &&
	    strcmp(cache->boot_id, o->boot_id) == 0) {
		o->m[M_TW_SOCK_SIZE] = cache->size;
		return;
	}
	if (util_read_at(procfd, "slabinfo", PROC_FILE_MAX, &text, NULL) < 0)
		return;
	ret = observe_parse_slabinfo(text, &o->m[M_TW_SOCK_SIZE], perr,
				     sizeof(perr));
	if (ret == -EINVAL)
		msgs_addf(
			&o->warnings,
			"slabinfo: %s; assuming %d bytes per TIME_WAIT socket",
			perr, TW_SOCK_SIZE_DEFAULT);
	o->tw_sock_size_read = ret == 0;
	free(text);
}

/*
 * How many ports of lo..hi ip_local_reserved_ports keeps from automatic
 * use ("8080,9000-9100"; empty, or absent before 2.6.35: none).
 */
static long reserved_in(struct observation *o, long lo, long hi)
{
	const struct sysctl_obs *s =
		observe_sysctl(o, "net.ipv4.ip_local_reserved_ports");
	const char *p = s && s->raw ? s->raw : "";
	long n = 0;

	while (*p) {
		char *end;
		long a = strtol(p, &end, 10), b = a;

		if (end == p || a < 0)
			break; /* not a port list: count what was read */
		if (*end == '-') {
			p = end + 1;
			b = strtol(p, &end, 10);
			if (end == p || b < a)
				break;
		}
		if (a < lo)
			a = lo;
		if (b > hi)
			b = hi;
		if (b >= a)
			n += b - a + 1;
		p = end + strspn(end, ", \t");
	}
	return n;
}

static void set_port_range(struct observation *o)
{
	const struct sysctl_obs *s =
		observe_sysctl(o, "net.ipv4.ip_local_port_range");
	long lo, hi;
	char extra;

	if (!s || !s->raw ||
	    sscanf(s->raw, "%ld %ld %c", &lo, &hi, &extra) != 2 || lo < 0 ||
	    hi > 65535 || lo > hi) {
		msgs_addf(
			&o->warnings,
			"net.ipv4.ip_local_port_range: unreadable or malformed; ephemeral metrics unknown");
		return;
	}
	o->m[M_EPHEMERAL_LOW] = (double)lo;
	o->m[M_EPHEMERAL_HIGH] = (double)hi;
	o->m[M_EPHEMERAL_PORTS] = (double)(hi - lo + 1);
	o->m[M_USABLE_PORTS] = o->m[M_EPHEMERAL_PORTS] - reserved_in(o, lo, hi);
}

/*
 * Before 6.1 the kernel does not say its established hash's size, except
 * when the boot line set it: thash_entries=N (kstrtoul, any base) gives
 * 2^floor(log2(N)) buckets (alloc_large_system_hash() takes ilog2 of the
 * number asked for).  Otherwise it stays unknown.
 */
static void ehash_from_cmdline(int procfd, struct observation *o)
{
	static double cached = -1; /* -1: not read, else the size or NAN */
	char *text = NULL, *p, *end;
	bool live = live_proc(procfd);
	unsigned long long n;

	o->why[M_EHASH_ENTRIES] =
		"the kernel says it from 6.1 (net.ipv4.tcp_ehash_entries), or "
		"the boot line's thash_entries=";
	if (live && !(cached < 0)) {
		o->m[M_EHASH_ENTRIES] = cached;
		if (!isnan(cached))
			o->why[M_EHASH_ENTRIES] = NULL;
		return;
	}
	if (util_read_at(procfd, "cmdline", PROC_SMALL_MAX, &text, NULL) < 0)
		return;
	for (p = text; (p = strstr(p, "thash_entries=")); p++) {
		if (p != text && p[-1] != ' ')
			continue;
		errno = 0;
		n = strtoull(p + strlen("thash_entries="), &end, 0);
		if (errno || end == p + strlen("thash_entries=") ||
		    (*end && *end != ' ' && *end != '\n') || n == 0 ||
		    n > (1ULL << 31))
			break;
		o->m[M_EHASH_ENTRIES] = ldexp(1, (int)floor(log2((double)n)));
		o->why[M_EHASH_ENTRIES] = NULL;
		break;
	}
	free(text);
	if (live)
		cached = o->m[M_EHASH_ENTRIES];
}

/* The keys the report always shows, then the policies'. */
static int read_all_sysctls(const struct source *src, const char *const *keys,
			    size_t n_keys, struct observation *o, char *err,
			    size_t errlen)
{
	const struct sysctl_obs *s;
	int netfd = src->view ? -1 : sysctl_open_net(src->procfd);

	if (!src->view && netfd < 0) {
		snprintf(err, errlen, "sys/net: %s", strerror(-netfd));
		return netfd;
	}
	for (size_t i = 0; i < n_tunables; i++)
		if (tunables[i].flags & TUN_SHOWN)
			read_sysctls(src, netfd, &tunables[i].key, 1, o);
	read_sysctls(src, netfd, keys, n_keys, o);
	/* what changes the model where the kernel has them (kernel.c) */
	for (size_t i = 0; i < n_tunables; i++)
		if (tunables[i].flags & TUN_MODEL)
			read_sysctls(src, netfd, &tunables[i].key, 1, o);
	if (netfd >= 0)
		close(netfd); /* read-only */
	s = observe_sysctl(o, "net.ipv4.tcp_max_tw_buckets");
	if (s->exists && isnan(s->value)) {
		snprintf(err, errlen, "net.ipv4.tcp_max_tw_buckets: %s",
			 s->raw ? "not an integer" : "unreadable");
		return -EINVAL;
	}
	/* a child namespace before 4.11 has none (see kernel.c) */
	o->m[M_TW_MAX] = s->exists ? s->value : NAN;
	if (!s->exists)
		o->why[M_TW_MAX] =
			"net.ipv4.tcp_max_tw_buckets is not in this network namespace";
	set_port_range(o);
	/* the namespace's own table, or (negative) the host's it shares */
	s = observe_sysctl(o, "net.ipv4.tcp_ehash_entries");
	if (s && s->is_int && s->ival != 0)
		o->m[M_EHASH_ENTRIES] = fabs(s->value);
	else
		ehash_from_cmdline(src->procfd, o);
	return 0;
}

/* Every metric unknown until read; the time of the observation. */
static void observation_init(struct observation *o)
{
	struct timespec ts;

	memset(o, 0, sizeof(*o));
	for (int i = 0; i < METRIC_COUNT; i++) {
		o->m[i] = NAN;
		if (metric_is_socket_level(i))
			o->why[i] = "socket-level metrics are not collected";
	}
	o->window = NAN;
	o->burst = NAN;
	o->baseline_source = "none";
	clock_gettime(CLOCK_REALTIME, &ts);
	o->time = util_timespec_seconds(&ts);
}

int observe_collect(int procfd, const char *const *keys, size_t n_keys,
		    struct observation *o, char *err, size_t errlen)
{
	return observe_collect_cached(procfd, keys, n_keys, NULL, o, err,
				      errlen);
}

int observe_collect_cached(int procfd, const char *const *keys, size_t n_keys,
			   const struct slab_cache *cache,
			   struct observation *o, char *err, size_t errlen)
{
	return observe_collect_view(procfd, NULL, NULL, keys, n_keys, cache, o,
				    err, errlen);
}

int observe_collect_view(int procfd, const struct nsview *view,
			 const struct observation *host,
			 const char *const *keys, size_t n_keys,
			 const struct slab_cache *cache, struct observation *o,
			 char *err, size_t errlen)
{
	const struct source src = { .procfd = procfd, .view = view };
	struct stat st;
	int ret;

	observation_init(o);
	ret = read_source(&src, "net/sockstat", parse_sockstat, o, err, errlen);
	if (ret == 0) {
		add_sockstat6(&src, o);
		ret = read_source(&src, "net/netstat", parse_tcpext, o, err,
				  errlen);
	}
	if (ret == 0 && host) {
		/* the host's, read once for every namespace */
		o->m[M_MEM_TOTAL] = host->m[M_MEM_TOTAL];
		o->m[M_TW_SOCK_SIZE] = host->m[M_TW_SOCK_SIZE];
		memcpy(o->boot_id, host->boot_id, sizeof(o->boot_id));
		memcpy(o->kernel.release, host->kernel.release,
		       sizeof(o->kernel.release));
	} else if (ret == 0) {
		ret = read_source(&src, "meminfo", parse_meminfo, o, err,
				  errlen);
		if (ret == 0) {
			read_boot_id(procfd, o);
			read_release(procfd, o);
			read_envid(procfd, o);
			read_tw_sock_size(procfd, cache, o);
		}
	}
	if (ret < 0)
		return ret;
	read_opens(&src, o);
	ret = read_all_sysctls(&src, keys, n_keys, o, err, errlen);
	if (ret < 0)
		return ret;
	kernel_model(o);
	if (view) {
		o->netns = view->ino;
		o->netns_cookie = view->cookie;
	} else if (fstatat(procfd, "self/ns/net", &st, 0) == 0) {
		/* a live /proc: its self is this process, in this namespace,
		 * whose cookie does not change (one socket for the first) */
		static unsigned long long ino, cookie;

		if (ino != (unsigned long long)st.st_ino) {
			ino = (unsigned long long)st.st_ino;
			cookie = util_netns_cookie();
		}
		o->netns = ino;
		o->netns_cookie = cookie;
	}
	return 0;
}

void observe_keys(const char *const *keys, size_t n_keys, struct msgs *out)
{
	for (size_t i = 0; i < n_tunables; i++)
		if ((tunables[i].flags & TUN_SHOWN) &&
		    !msgs_has(out, tunables[i].key))
			msgs_addf(out, "%s", tunables[i].key);
	for (size_t i = 0; i < n_tunables; i++)
		if ((tunables[i].flags & TUN_MODEL) &&
		    !msgs_has(out, tunables[i].key))
			msgs_addf(out, "%s", tunables[i].key);
	for (size_t i = 0; i < n_keys; i++)
		if (!msgs_has(out, keys[i]))
			msgs_addf(out, "%s", keys[i]);
}

void observe_to_baseline(const struct observation *o, struct baseline *b,
			 const char *source)
{
	memset(b, 0, sizeof(*b));
	b->valid = true;
	b->source = source;
	b->time = o->time;
	b->c = o->c;
	b->netns = o->netns;
	b->netns_cookie = o->netns_cookie;
	b->tw_max = o->m[M_TW_MAX];
	memcpy(b->boot_id, o->boot_id, sizeof(b->boot_id));
	/* what a sample saw of the overflows since its first observation */
	b->burst = o->burst > 0 ? o->burst : NAN;
	b->burst_since = o->burst > 0 ? o->time - o->window : NAN;
}

static double delta(double now, double then)
{
	if (isnan(now) || isnan(then) || now < then)
		return NAN;
	return now - then;
}

/* The baseline, when it is one for this observation; else NULL (said). */
static const struct baseline *usable_baseline(struct observation *o,
					      const struct baseline *b)
{
	const char *bad = NULL;

	if (!b || !b->valid)
		return NULL;
	if (strcmp(b->boot_id, o->boot_id) != 0)
		bad = "the host rebooted since the baseline";
	else if (!util_same_netns(b->netns, b->netns_cookie, o->netns,
				  o->netns_cookie))
		bad = "the baseline is from another network namespace";
	else if (!(o->time > b->time))
		bad = "the baseline is not older than this observation";
	else if (o->c.tw_overflows < b->c.tw_overflows)
		bad = "TCPTimeWaitOverflow went down since the baseline";
	else if (!util_same_num(b->tw_max, o->m[M_TW_MAX]))
		bad = "tcp_max_tw_buckets changed since the baseline";
	if (!bad)
		return b;
	msgs_addf(&o->warnings, "baseline ignored: %s", bad);
	return NULL;
}

/*
 * The demand model.  By Little's law the TIME_WAIT sockets a steady load
 * keeps is its arrival rate times the TIME_WAIT lifetime: the sockets in
 * the table (all of it when it is full) plus the overflows per second,
 * each a socket that skipped its lifetime, times that lifetime.  That
 * needs a rate: a window under a second, or overflows that all came in a
 * burst much shorter than the window, say how many sockets came, not how
 * often.  Then the demand is the burst bound instead: the sockets in the
 * table plus every overflow seen.  Both are whole sockets.
 */
/*
 * Rounded up to a whole socket, without rounding a floating point error
 * up; adding 0.0 turns the -0 that ceil() gives for -1e-9 into 0, which
 * would otherwise print as "-0".
 */
static double whole_sockets(double v)
{
	return ceil(v - 1e-9) + 0.0;
}

static void derive_demand(struct observation *o, bool full)
{
	double tw = o->m[M_TW_COUNT], max = o->m[M_TW_MAX];
	double held = full && max > tw ? max : tw;

	o->m[M_TW_DEMAND_BURST] = whole_sockets(tw + o->m[M_TW_OVERFLOW_DELTA]);
	/* a sample watched the counter; a state window under 1 s did not */
	o->demand_from_burst = o->m[M_TW_OVERFLOW_DELTA] > 0 &&
			       (o->burst > 0 ? o->burst < o->window / 2
					     : o->window < MIN_RATE_WINDOW);
	o->m[M_TW_DEMAND] =
		o->demand_from_burst
			? o->m[M_TW_DEMAND_BURST]
			: whole_sockets(held + o->m[M_TW_OVERFLOW_RATE] *
						       o->tw_lifetime);
}

/*
 * What a baseline b (already usable) gives whatever the kernel: the
 * window, the churn rates, and the SYN counters' deltas; without one,
 * why they are unknown.
 */
static void derive_window(struct observation *o, const struct baseline *b)
{
	derive_opens(o, b);
	if (b) {
		o->window = o->time - b->time;
		o->baseline_source = b->source;
		o->m[M_SYNCOOKIES_SENT_DELTA] =
			delta(o->c.syncookies_sent, b->c.syncookies_sent);
		o->m[M_LISTEN_OVERFLOWS_DELTA] =
			delta(o->c.listen_overflows, b->c.listen_overflows);
	} else {
		o->why[M_SYNCOOKIES_SENT_DELTA] = NO_BASELINE;
		o->why[M_LISTEN_OVERFLOWS_DELTA] = NO_BASELINE;
	}
}

/* No measured demand: what the table holds, unless it is full (why). */
static void demand_unmeasured(struct observation *o, bool full, const char *why)
{
	if (full) {
		o->why[M_TW_DEMAND] = o->why[M_TW_DEMAND_BURST] = why;
	} else {
		o->m[M_TW_DEMAND] = o->m[M_TW_COUNT];
		o->m[M_TW_DEMAND_BURST] = o->m[M_TW_COUNT];
	}
}

/*
 * A kernel that only logs overflows: no delta, no rate, no measured
 * demand; the other counters still have their deltas.
 */
static void derive_without_counter(struct observation *o,
				   const struct baseline *b, bool full)
{
	o->why[M_TW_OVERFLOW_DELTA] = o->why[M_TW_OVERFLOW_RATE] = NO_COUNTER;
	derive_window(o, usable_baseline(o, b));
	demand_unmeasured(
		o, full,
		"the table is full and this kernel has no overflow counter to measure the rest (see tw_overflow_log_lines)");
}

void observe_derive(struct observation *o, const struct baseline *b)
{
	double tw = o->m[M_TW_COUNT], max = o->m[M_TW_MAX];
	bool full;

	if (!(o->tw_lifetime > 0))
		o->tw_lifetime = TW_LIFETIME;
	/*
	 * 0 buckets: every closing socket overflows, the table is "full";
	 * so is a negative limit where the kernel compares signed numbers
	 * (before 5.18); from 5.18 on a negative limit is unlimited.
	 */
	o->tw_max_unlimited = max < 0 && o->kernel.neg_unlimited != 0;
	if (isnan(max)) {
		o->why[M_TW_RATIO] = o->why[M_TW_SATURATED] = o->why[M_TW_MAX];
	} else if (o->tw_max_unlimited) {
		o->m[M_TW_RATIO] = 0;
		o->m[M_TW_SATURATED] = 0;
	} else {
		o->m[M_TW_RATIO] = max <= 0 ? 1 : tw / max;
		o->m[M_TW_SATURATED] = tw >= (max < 0 ? 0 : max);
	}
	full = o->m[M_TW_RATIO] >= 0.95;
	if (!o->kernel.counter) {
		derive_without_counter(o, b, full);
		return;
	}

	b = usable_baseline(o, b);
	derive_window(o, b);
	if (b) {
		o->m[M_TW_OVERFLOW_DELTA] =
			delta(o->c.tw_overflows, b->c.tw_overflows);
		o->m[M_TW_OVERFLOW_RATE] =
			o->m[M_TW_OVERFLOW_DELTA] / o->window;
		derive_demand(o, full);
	} else if (o->c.tw_overflows == 0) {
		/*
		 * The counter runs from the namespace's creation: at 0, no
		 * socket has ever overflowed, and what the table holds is
		 * the whole demand.
		 */
		o->baseline_source = "counter at zero";
		o->m[M_TW_OVERFLOW_DELTA] = 0;
		o->m[M_TW_OVERFLOW_RATE] = 0;
		o->m[M_TW_DEMAND] = tw;
		o->m[M_TW_DEMAND_BURST] = tw;
	} else {
		o->why[M_TW_OVERFLOW_DELTA] = NO_BASELINE;
		o->why[M_TW_OVERFLOW_RATE] = NO_BASELINE;
		demand_unmeasured(
			o, full,
			"the table is full and there is no baseline to count overflows (use --sample)");
	}
	for (int i = 0; i < METRIC_COUNT; i++)
		if (isinf(o->m[i]))
			o->m[i] = NAN;
}

const struct sysctl_obs *observe_sysctl(const struct observation *o,
					const char *key)
{
	for (size_t i = 0; i < o->n_sysctls; i++)
		if (strcmp(o->sysctls[i].key, key) == 0)
			return &o->sysctls[i];
	return NULL;
}

void observe_free(struct observation *o)
{
	for (size_t i = 0; i < o->n_sysctls; i++) {
		free(o->sysctls[i].key);
		free(o->sysctls[i].raw);
	}
	free(o->sysctls);
	o->sysctls = NULL;
	o->n_sysctls = 0;
	msgs_free(&o->warnings);
}

int observe_parse_tcp_opens(const char *text, double *active, double *passive,
			    char *err, size_t errlen)
{
	static const char *const names[] = { "ActiveOpens", "PassiveOpens" };
	double v[ARRAY_SIZE(names)];
	bool found[ARRAY_SIZE(names)];
	int ret = observe_parse_netstat(text, "Tcp", names, v, found,
					ARRAY_SIZE(names), err, errlen);

	if (ret < 0)
		return ret;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		if (!found[i]) {
			snprintf(err, errlen, "Tcp has no %s column", names[i]);
			return -EINVAL;
		}
	}
	*active = v[0];
	*passive = v[1];
	return 0;
}

/*
 * The churn counters: new connections this network namespace opened
 * (ActiveOpens, counted in tcp_connect()) and accepted (PassiveOpens, when
 * a handshake completes).  /proc/net/snmp follows the namespace of the
 * reader like /proc/net/netstat (the SNMP MIBs are per network namespace
 * since Linux 2.6.26), and costs the same whatever the number of
 * sockets.  Optional: without it the rates are unknown, with the
 * reason.
 */
static void read_opens(const struct source *src, struct observation *o)
{
	char *text = NULL, perr[160];
	int ret;

	o->c.active_opens = o->c.passive_opens = NAN;
	ret = read_text(src, "net/snmp", PROC_FILE_MAX, &text);
	if (ret == 0)
		ret = observe_parse_tcp_opens(text, &o->c.active_opens,
					      &o->c.passive_opens, perr,
					      sizeof(perr));
	else
		snprintf(perr, sizeof(perr), "%s", strerror(-ret));
	free(text);
	if (ret == 0)
		return;
	o->c.active_opens = o->c.passive_opens = NAN;
	/* a missing file is a fixture tree: no warning, only the reason */
	if (ret != -ENOENT)
		msgs_addf(&o->warnings,
			  "net/snmp: %s; new connection rates unknown", perr);
	o->why[M_ACTIVE_OPEN_RATE] = o->why[M_PASSIVE_OPEN_RATE] =
		ret == -ENOENT ? "no net/snmp to count new connections"
			       : "net/snmp is unreadable or malformed";
}

/* New connections per second since the baseline b (NULL: none). */
static void derive_opens(struct observation *o, const struct baseline *b)
{
	const double now[] = { o->c.active_opens, o->c.passive_opens };
	const int metric[] = { M_ACTIVE_OPEN_RATE, M_PASSIVE_OPEN_RATE };

	for (size_t i = 0; i < ARRAY_SIZE(metric); i++) {
		double then, d;

		o->m[metric[i]] = NAN;
		if (isnan(now[i]))
			continue; /* read_opens() said why */
		if (!b) {
			o->why[metric[i]] = NO_BASELINE;
			continue;
		}
		then = i == 0 ? b->c.active_opens : b->c.passive_opens;
		d = delta(now[i], then);
		if (isnan(d)) {
			o->why[metric[i]] =
				isnan(then)
					? "the baseline has no Tcp ActiveOpens/PassiveOpens"
					: "the counter went down since the baseline";
			continue;
		}
		/* a shorter window tells how many came, not how often */
		if (!(o->time - b->time >= MIN_RATE_WINDOW)) {
			o->why[metric[i]] =
				"the baseline is less than a second old";
			continue;
		}
		o->m[metric[i]] = d / (o->time - b->time);
		o->why[metric[i]] = NULL;
	}
}
