// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Counting "TCP: time wait bucket table overflow" in the kernel log; see
 * klog.h for the sources and the rule that keeps one message from being
 * counted twice.  The parsers walk the text line by line in place: no
 * allocation, linear time, whatever the input.  Hand-written because no
 * library in Debian parses syslog files (and journald's is not wanted).
 *
 * Kernel facts used here:
 *   - the message: net/ipv4/tcp_minisocks.c tcp_time_wait() printed
 *     "TCP: time wait bucket table overflow\n" through net_ratelimit()
 *     (2.6.18: printk; RHEL 6's 2.6.32: LIMIT_NETDEBUG) until 2.6.38
 *     replaced it by the TcpExt counter TCPTimeWaitOverflow (commit
 *     67631510a318).  OpenVZ 2.6.18 and 042stab (2.6.32) kernels print
 *     "... overflow (CT%d)\n" with the container's beancounter id.
 *   - the rate limiter's own line, printed just before the next message
 *     that passes it: "printk: %d messages suppressed.\n" (2.6.18,
 *     kernel/printk.c __printk_ratelimit(), shared by all its callers),
 *     "%s: %d callbacks suppressed\n" with __func__ = "__ratelimit"
 *     (2.6.32 lib/ratelimit.c), then with the caller's name,
 *     "net_ratelimit" (later kernels: ___ratelimit(rs, func)).
 *   - /dev/kmsg records (Linux 3.5 on): "PRI,SEQ,USEC,FLAGS;text" with
 *     dictionary lines starting with a space; PRI carries the facility,
 *     0 for the kernel.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bounds.h"
#include "klog.h"
#include "util.h"

/* A clock a little ahead of now still gets this year (seconds). */
#define YEAR_SLACK 86400.0

enum kline {
	KLINE_OTHER,
	KLINE_OVERFLOW,
	KLINE_SUPPRESSED,
};

/* What one kernel message is; for KLINE_OVERFLOW, ctid may be "". */
struct kmsg_kind {
	enum kline kind;
	unsigned long long suppressed;
	char ctid[32];
};

/* The state of one parse: the counted range and the pending suppression. */
struct scan {
	struct klog_evidence *ev;
	double from, until; /* counted: from <= t < until; NAN t counts */
	bool have_pending;
	unsigned long long pending;
};

void klog_evidence_init(struct klog_evidence *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->first = NAN;
	ev->last = NAN;
	ev->kmsg_first_seq = ~0ULL;
	ev->kmsg_first_time = NAN;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static const char *skip_spaces(const char *p, const char *e)
{
	while (p < e && is_space(*p))
		p++;
	return p;
}

/* Does [p, e) start with s?  Then *next is after it. */
static bool starts(const char *p, const char *e, const char *s,
		   const char **next)
{
	size_t n = strlen(s);

	if ((size_t)(e - p) < n || memcmp(p, s, n) != 0)
		return false;
	*next = p + n;
	return true;
}

/* Digits at p as a number, saturating; false when there is no digit. */
static bool parse_ull(const char *p, const char *e, unsigned long long *v,
		      const char **next)
{
	unsigned long long n = 0;
	const char *q = p;

	while (q < e && is_digit(*q)) {
		unsigned d = (unsigned)(*q - '0');

		n = n > (ULLONG_MAX - d) / 10 ? ULLONG_MAX : n * 10 + d;
		q++;
	}
	if (q == p)
		return false;
	*v = n;
	*next = q;
	return true;
}

static unsigned long long sat_add(unsigned long long a, unsigned long long b)
{
	return a > ULLONG_MAX - b ? ULLONG_MAX : a + b;
}

/* "[ 12345.678901]" (spaces allowed inside): its seconds, or false. */
static bool parse_mono(const char *p, const char *e, double *secs,
		       const char **next)
{
	unsigned long long s, frac = 0;
	double scale = 1;
	const char *q;

	if (p >= e || *p != '[')
		return false;
	q = skip_spaces(p + 1, e);
	if (!parse_ull(q, e, &s, &q))
		return false;
	if (q < e && *q == '.') {
		q++;
		while (q < e && is_digit(*q)) {
			if (scale < 1e12) {
				frac = frac * 10 + (unsigned)(*q - '0');
				scale *= 10;
			}
			q++;
		}
	}
	q = skip_spaces(q, e);
	if (q >= e || *q != ']')
		return false;
	*secs = (double)s + (double)frac / scale;
	*next = q + 1;
	return true;
}

/*
 * Classify a kernel message [p, e): the overflow, a rate limiter's
 * suppression count, or anything else.  Prefixes the various log paths
 * add are skipped: a "<level>", the "[monotonic]" stamp, and a stray ": "
 * some syslog setups put after the tag ("kernel: : TCP: ...").
 */
static void classify(const char *p, const char *e, struct kmsg_kind *k)
{
	unsigned long long n;
	const char *q;
	double mono;

	k->kind = KLINE_OTHER;
	k->ctid[0] = '\0';
	p = skip_spaces(p, e);
	if (p < e && *p == '<') {
		q = p + 1;
		if (parse_ull(q, e, &n, &q) && q < e && *q == '>')
			p = skip_spaces(q + 1, e);
	}
	if (parse_mono(p, e, &mono, &q))
		p = skip_spaces(q, e);
	if (p < e && *p == ':')
		p = skip_spaces(p + 1, e);

	if (starts(p, e, "TCP: time wait bucket table overflow", &q) ||
	    starts(p, e, "time wait bucket table overflow", &q)) {
		q = skip_spaces(q, e);
		if (q == e) {
			k->kind = KLINE_OVERFLOW;
			return;
		}
		/* OpenVZ: " (CT%d)" */
		if (starts(q, e, "(CT", &q)) {
			const char *d = q;
			size_t len;

			while (q < e && is_digit(*q))
				q++;
			len = (size_t)(q - d);
			if (len == 0 || len >= sizeof(k->ctid) || q >= e ||
			    *q != ')' || skip_spaces(q + 1, e) != e)
				return;
			memcpy(k->ctid, d, len);
			k->ctid[len] = '\0';
			k->kind = KLINE_OVERFLOW;
		}
		return;
	}
	if (starts(p, e, "__ratelimit: ", &q) ||
	    starts(p, e, "net_ratelimit: ", &q)) {
		if (parse_ull(q, e, &n, &q) &&
		    starts(q, e, " callbacks suppressed", &q) &&
		    skip_spaces(q, e) == e) {
			k->kind = KLINE_SUPPRESSED;
			k->suppressed = n;
		}
		return;
	}
	if (starts(p, e, "printk: ", &q)) {
		if (parse_ull(q, e, &n, &q) &&
		    starts(q, e, " messages suppressed.", &q) &&
		    skip_spaces(q, e) == e) {
			k->kind = KLINE_SUPPRESSED;
			k->suppressed = n;
		}
	}
}

static void note_ctid(struct klog_evidence *ev, const char *ctid)
{
	if (!ctid[0])
		return;
	if (ev->ctid[0] && strcmp(ev->ctid, ctid) != 0)
		ev->ctid_mixed = true;
	snprintf(ev->ctid, sizeof(ev->ctid), "%s", ctid);
}

/*
 * One kernel message at time t (NAN: unknown, then it counts): update
 * the evidence and the adjacency of a suppression line to the next
 * message.  The limiter prints its count just before the first message of
 * the next window, whatever that message is; so the count is taken only
 * when that message is an overflow, and any other kernel message in
 * between drops it.
 */
static void feed(struct scan *s, const struct kmsg_kind *k, double t)
{
	struct klog_evidence *ev = s->ev;

	if (k->kind == KLINE_SUPPRESSED) {
		s->have_pending = true;
		s->pending = k->suppressed;
		return;
	}
	if (k->kind == KLINE_OVERFLOW) {
		if (!isnan(t) && t < s->from) {
			ev->before_boot++;
		} else if (isnan(t) || t < s->until) {
			ev->lines++;
			if (s->have_pending)
				ev->suppressed =
					sat_add(ev->suppressed, s->pending);
			if (!isnan(t)) {
				if (isnan(ev->first) || t < ev->first)
					ev->first = t;
				if (isnan(ev->last) || t > ev->last)
					ev->last = t;
			}
			note_ctid(ev, k->ctid);
		}
	}
	s->have_pending = false;
}

/* ---- syslog ------------------------------------------------------------- */

static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
				    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static long long days_from_civil(long long y, unsigned m, unsigned d)
{
	long long era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long long)doe - 719468;
}

/* A fixed-width decimal field of n digits. */
static bool fixed(const char *p, const char *e, int n, unsigned *v)
{
	unsigned x = 0;

	if (e - p < n)
		return false;
	for (int i = 0; i < n; i++) {
		if (!is_digit(p[i]))
			return false;
		x = x * 10 + (unsigned)(p[i] - '0');
	}
	*v = x;
	return true;
}

static bool valid_clock(unsigned mon, unsigned day, unsigned h, unsigned mi,
			unsigned s)
{
	return mon >= 1 && mon <= 12 && day >= 1 && day <= 31 && h <= 23 &&
	       mi <= 59 && s <= 60;
}

/* "2024-11-30T12:25:53[.123456](Z|+08:00)": unix time, or false. */
static bool parse_rfc3339(const char *p, const char *e, double *t,
			  const char **next)
{
	unsigned y, mon, day, h, mi, s, oh, om;
	double frac = 0, scale = 1;
	long long off = 0;
	const char *q;

	if (!fixed(p, e, 4, &y) || e - p < 19 || p[4] != '-' ||
	    !fixed(p + 5, e, 2, &mon) || p[7] != '-' ||
	    !fixed(p + 8, e, 2, &day) || (p[10] != 'T' && p[10] != ' ') ||
	    !fixed(p + 11, e, 2, &h) || p[13] != ':' ||
	    !fixed(p + 14, e, 2, &mi) || p[16] != ':' ||
	    !fixed(p + 17, e, 2, &s) || !valid_clock(mon, day, h, mi, s))
		return false;
	q = p + 19;
	if (q < e && *q == '.') {
		q++;
		while (q < e && is_digit(*q)) {
			if (scale < 1e9) {
				frac = frac * 10 + (*q - '0');
				scale *= 10;
			}
			q++;
		}
	}
	if (q < e && *q == 'Z') {
		q++;
	} else if (q < e && (*q == '+' || *q == '-') &&
		   fixed(q + 1, e, 2, &oh) && e - q >= 6 && q[3] == ':' &&
		   fixed(q + 4, e, 2, &om) && oh <= 23 && om <= 59) {
		off = (long long)(oh * 3600 + om * 60);
		if (*q == '+')
			off = -off;
		q += 6;
	} else {
		return false;
	}
	*t = (double)(days_from_civil(y, mon, day) * 86400 + h * 3600 +
		      mi * 60 + s + off) +
	     frac / scale;
	*next = q;
	return true;
}

/* Local time of a year-less syslog stamp, the latest not after now. */
static double year_less_time(int year_now, unsigned mon, unsigned day,
			     unsigned h, unsigned mi, unsigned s, double now)
{
	/* a line from the future is last year's; Feb 29 needs a leap year */
	for (int y = year_now; y >= year_now - 8; y--) {
		struct tm tm = { 0 };
		time_t t;

		tm.tm_year = y - 1900;
		tm.tm_mon = (int)mon - 1;
		tm.tm_mday = (int)day;
		tm.tm_hour = (int)h;
		tm.tm_min = (int)mi;
		tm.tm_sec = (int)s;
		tm.tm_isdst = -1;
		t = mktime(&tm);
		if (t == (time_t)-1 || tm.tm_mon != (int)mon - 1 ||
		    tm.tm_mday != (int)day)
			continue;
		if ((double)t <= now + YEAR_SLACK)
			return (double)t;
	}
	return NAN;
}

/*
 * The parts of one syslog line: its time (traditional or RFC 3339, parsed
 * lazily since only overflow lines need it) and the kernel message, when
 * the program tag is "kernel".  False for anything else.
 */
struct sysline {
	bool rfc3339;
	double t;		     /* RFC 3339 */
	unsigned mon, day, h, mi, s; /* traditional */
	const char *msg;
};

static bool split_syslog(const char *p, const char *e, struct sysline *l)
{
	const char *q;

	memset(l, 0, sizeof(*l));
	if (parse_rfc3339(p, e, &l->t, &q)) {
		l->rfc3339 = true;
	} else {
		int m;

		if (e - p < 15)
			return false;
		for (m = 0; m < 12; m++)
			if (memcmp(p, months[m], 3) == 0)
				break;
		if (m == 12 || p[3] != ' ')
			return false;
		/* the day is space-padded: "Mar  9" */
		q = p + 4;
		if (*q == ' ')
			q++;
		if (!is_digit(*q))
			return false;
		l->day = (unsigned)(*q++ - '0');
		if (q < e && is_digit(*q))
			l->day = l->day * 10 + (unsigned)(*q++ - '0');
		if (q >= e || *q != ' ')
			return false;
		q++;
		if (!fixed(q, e, 2, &l->h) || e - q < 8 || q[2] != ':' ||
		    !fixed(q + 3, e, 2, &l->mi) || q[5] != ':' ||
		    !fixed(q + 6, e, 2, &l->s))
			return false;
		q += 8;
		l->mon = (unsigned)m + 1;
		if (!valid_clock(l->mon, l->day, l->h, l->mi, l->s))
			return false;
	}
	if (q >= e || *q != ' ')
		return false;
	q = skip_spaces(q, e);
	/* the host, unless the line has none ("Mar  9 18:23:35 kernel: ") */
	if (!starts(q, e, "kernel:", &l->msg)) {
		while (q < e && !is_space(*q))
			q++;
		q = skip_spaces(q, e);
		if (!starts(q, e, "kernel:", &l->msg))
			return false;
	}
	return true;
}

/* Lines come in bursts of one second: mktime() once per stamp. */
struct stamp_cache {
	int year_now;
	double now;
	unsigned stamp[5];
	double t; /* NAN: nothing cached */
};

/* The unix time of a line; -INFINITY when no year fits (a Feb 29). */
static double line_time(struct stamp_cache *c, const struct sysline *l)
{
	unsigned stamp[5] = { l->mon, l->day, l->h, l->mi, l->s };

	if (l->rfc3339)
		return l->t;
	if (isnan(c->t) || memcmp(stamp, c->stamp, sizeof(stamp)) != 0) {
		c->t = year_less_time(c->year_now, l->mon, l->day, l->h, l->mi,
				      l->s, c->now);
		if (isnan(c->t))
			c->t = -INFINITY;
		memcpy(c->stamp, stamp, sizeof(stamp));
	}
	return c->t;
}

/*
 * A line's kernel message and its time (NAN when unknown); false when the
 * line carries no kernel message.
 */
typedef bool (*line_fn)(void *ctx, const char *p, const char *e,
			struct kmsg_kind *k, double *t);

/* Feed every line of text that fn takes into s. */
static void scan_lines(const char *text, struct scan *s, line_fn fn, void *ctx)
{
	s->ev->readable = true;
	for (const char *p = text; *p;) {
		const char *e = strchrnul(p, '\n');
		struct kmsg_kind k;
		double t;

		if (fn(ctx, p, e, &k, &t))
			feed(s, &k, t);
		p = *e ? e + 1 : e;
	}
}

static bool syslog_line(void *ctx, const char *p, const char *e,
			struct kmsg_kind *k, double *t)
{
	struct sysline l;

	if (!split_syslog(p, e, &l))
		return false;
	classify(l.msg, e, k);
	/* only an overflow needs its time */
	*t = k->kind == KLINE_OVERFLOW ? line_time(ctx, &l) : NAN;
	return true;
}

int klog_parse_syslog_range(const char *text, double from, double until,
			    double now, struct klog_evidence *ev)
{
	struct scan s = { .ev = ev, .from = floor(from), .until = until };
	struct stamp_cache cache = { .t = NAN };
	struct tm tm;
	time_t tnow;

	if (!text || !ev || !isfinite(from) || isnan(until) || !isfinite(now))
		return -EINVAL;
	tnow = (time_t)now;
	if (!localtime_r(&tnow, &tm))
		return -EINVAL;
	cache.year_now = tm.tm_year + 1900;
	cache.now = now;
	scan_lines(text, &s, syslog_line, &cache);
	return 0;
}

int klog_parse_syslog(const char *text, double boot_time, double now,
		      struct klog_evidence *ev)
{
	return klog_parse_syslog_range(text, boot_time, INFINITY, now, ev);
}

/* ---- /dev/kmsg and dmesg ------------------------------------------------ */

struct kmsg_ctx {
	double boot_time;
	struct klog_evidence *ev;
};

/* "PRI,SEQ,USEC,FLAGS;MESSAGE"; dictionary lines (" SUBSYSTEM=net")
 * belong to the record before them and are skipped */
static bool kmsg_line(void *ctx, const char *p, const char *e,
		      struct kmsg_kind *k, double *t)
{
	struct kmsg_ctx *c = ctx;
	unsigned long long pri, seq, usec;
	const char *q = p, *msg;

	if (!parse_ull(q, e, &pri, &q) || q >= e || *q != ',' ||
	    !parse_ull(q + 1, e, &seq, &q) || q >= e || *q != ',' ||
	    !parse_ull(q + 1, e, &usec, &q) || q >= e || *q != ',')
		return false;
	msg = memchr(q, ';', (size_t)(e - q));
	if (!msg)
		return false;
	*t = c->boot_time + (double)usec / 1e6;
	if (seq < c->ev->kmsg_first_seq) {
		c->ev->kmsg_first_seq = seq;
		c->ev->kmsg_first_time = *t;
	}
	/* facility 0 is the kernel's; others were written by users */
	if (pri >> 3)
		return false;
	classify(msg + 1, e, k);
	return true;
}

int klog_parse_kmsg(const char *text, double boot_time,
		    struct klog_evidence *ev)
{
	struct scan s = { .ev = ev, .from = -INFINITY, .until = INFINITY };
	struct kmsg_ctx c = { .boot_time = boot_time, .ev = ev };

	if (!text || !ev || !isfinite(boot_time))
		return -EINVAL;
	scan_lines(text, &s, kmsg_line, &c);
	return 0;
}

/* "[   12.345678] message", or "<4>[ ...] message" from dmesg -r */
static bool dmesg_line(void *ctx, const char *p, const char *e,
		       struct kmsg_kind *k, double *t)
{
	const double *boot_time = ctx;
	const char *q = p, *r;
	unsigned long long level;
	double mono;

	*t = NAN;
	if (q < e && *q == '<' && parse_ull(q + 1, e, &level, &r) && r < e &&
	    *r == '>')
		q = r + 1;
	if (parse_mono(q, e, &mono, &r)) {
		*t = *boot_time + mono;
		q = r;
	}
	if (q == e)
		return false;
	classify(q, e, k);
	return true;
}

int klog_parse_dmesg(const char *text, double boot_time,
		     struct klog_evidence *ev)
{
	struct scan s = { .ev = ev, .from = -INFINITY, .until = INFINITY };

	if (!text || !ev || !isfinite(boot_time))
		return -EINVAL;
	scan_lines(text, &s, dmesg_line, &boot_time);
	return 0;
}

int klog_read_kmsg(int fd, size_t max, char **out, size_t *len)
{
	return util_read_fd(fd, max, UTIL_READ_RECORDS, out, len);
}

/* ---- the files ---------------------------------------------------------- */

static const char *const families[] = {
	"var/log/kern.log",
	"var/log/messages",
	"var/log/syslog",
};

/* Parse rootdir/path into ev in [from, until); -ENOENT if it is absent. */
static int parse_file(int rootdir, const char *path, double from, double until,
		      double now, struct klog_evidence *ev, char *err,
		      size_t errlen)
{
	char *text;
	int ret = util_read_file(rootdir, path, 0, KLOG_FILE_MAX, &text, NULL,
				 NULL);

	if (ret == -ENOENT)
		return ret;
	if (ret < 0) {
		snprintf(err, errlen, "/%s: %s", path, strerror(-ret));
		return ret;
	}
	ret = klog_parse_syslog_range(text, from, until, now, ev);
	free(text);
	if (ret < 0)
		snprintf(err, errlen, "/%s: %s", path, strerror(-ret));
	return ret;
}

/* The first family with a file: its ".1" then itself; -ENOENT if none. */
static int parse_files(int rootdir, double from, double until, double now,
		       struct klog_evidence *ev, char *err, size_t errlen)
{
	for (size_t i = 0; i < ARRAY_SIZE(families); i++) {
		char *rotated = xasprintf("%s.1", families[i]);
		int r1, r0;

		r1 = parse_file(rootdir, rotated, from, until, now, ev, err,
				errlen);
		free(rotated);
		if (r1 < 0 && r1 != -ENOENT)
			return r1;
		r0 = parse_file(rootdir, families[i], from, until, now, ev, err,
				errlen);
		if (r0 < 0 && r0 != -ENOENT)
			return r0;
		if (r0 == 0 || r1 == 0) {
			snprintf(ev->source, sizeof(ev->source), "%s",
				 families[i]);
			return 0;
		}
	}
	return -ENOENT;
}

int klog_collect(int rootdir, const char *kmsg, double boot_time, double now,
		 struct klog_evidence *ev, char *err, size_t errlen)
{
	int ret;

	klog_evidence_init(ev);
	if (err && errlen)
		err[0] = '\0';
	if (!isfinite(boot_time) || !isfinite(now))
		return -EINVAL;
	if (kmsg) {
		ret = klog_parse_kmsg(kmsg, boot_time, ev);
		if (ret < 0)
			return ret;
		/* nothing lost since boot: the buffer is the whole story */
		if (ev->kmsg_first_seq == 0 || ev->kmsg_first_seq == ~0ULL)
			return 0;
		ret = parse_files(rootdir, boot_time,
				  floor(ev->kmsg_first_time), now, ev, err,
				  errlen);
		return ret == -ENOENT ? 0 : ret;
	}
	ret = parse_files(rootdir, boot_time, INFINITY, now, ev, err, errlen);
	if (ret == -ENOENT)
		snprintf(err, errlen,
			 "no /var/log/kern.log, messages or syslog");
	return ret;
}
