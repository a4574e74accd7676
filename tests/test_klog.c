// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for klog.c: counting "TCP: time wait bucket table overflow"
 * in syslog files, /dev/kmsg records and the dmesg buffer, as kernels
 * without the TcpExt counter (2.6.18, RHEL 6, OpenVZ) leave them: seed
 * 2's lines, the rate limiter's count taken only next to an overflow,
 * earlier boots left out, a December log read in January, OpenVZ's
 * "(CTid)", malformed lines, huge inputs, and klog_collect()'s choice of
 * one source over the fixture trees of tests/fixtures/kernels.  Syslog
 * times are local: the tests run with TZ=UTC.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "klog.h"
#include "testutil.h"
#include "util.h"

#define OVF "TCP: time wait bucket table overflow"

/* Unix time of a UTC date. */
static double U(int y, int mo, int d, int h, int mi, int s)
{
	struct tm tm = { .tm_year = y - 1900,
			 .tm_mon = mo - 1,
			 .tm_mday = d,
			 .tm_hour = h,
			 .tm_min = mi,
			 .tm_sec = s };

	return (double)timegm(&tm);
}

/* Times summed from parts may differ from a literal in the last bit. */
static void assert_near(double got, double want)
{
	if (!(fabs(got - want) < 1e-6))
		fail_msg("got %.17g, want %.17g", got, want);
}

static void parse(const char *text, double boot, double now,
		  struct klog_evidence *ev)
{
	klog_evidence_init(ev);
	assert_int_equal(klog_parse_syslog(text, boot, now, ev), 0);
}

/* ---- syslog ------------------------------------------------------------- */

/* Seed 2 as its author pasted it: no host, and "kernel: : " before the text. */
static void syslog_counts_seed_2_lines_and_their_suppressed_counts(void **state)
{
	static const char text[] = "Mar  9 18:20:01 kernel: : __ratelimit: 133 "
				   "callbacks suppressed\n"
				   "Mar  9 18:20:01 kernel: : TCP: time wait "
				   "bucket table overflow\n"
				   "Mar  9 18:20:01 kernel: : TCP: time wait "
				   "bucket table overflow\n"
				   "Mar  9 18:22:10 kernel: : __ratelimit: 107 "
				   "callbacks suppressed\n"
				   "Mar  9 18:22:10 kernel: : TCP: time wait "
				   "bucket table overflow\n"
				   "Mar  9 18:23:35 kernel: : TCP: time wait "
				   "bucket table overflow\n";
	struct klog_evidence ev;

	(void)state;
	parse(text, U(2025, 3, 7, 4, 11, 20), U(2025, 3, 10, 9, 0, 0), &ev);
	assert_true(ev.readable);
	assert_int_equal(ev.lines, 4);
	assert_int_equal(ev.suppressed, 240);
	assert_num(ev.first, U(2025, 3, 9, 18, 20, 1));
	assert_num(ev.last, U(2025, 3, 9, 18, 23, 35));
	assert_string_equal(ev.ctid, "");
	assert_int_equal(ev.before_boot, 0);
}

static void syslog_reads_the_monotonic_stamp_and_host_forms(void **state)
{
	static const char text[] =
		"Nov 30 12:25:53 web1 kernel: [12345.678901] " OVF "\n"
		"Nov 30 12:25:54 web1 kernel: [    5.000001] " OVF "\n"
		"Nov 30 12:25:55 web1 kernel: " OVF "\n"
		"Nov 30 12:25:56 web1 kernel: time wait bucket table overflow\n"
		"Nov 30 12:25:57 web1 kernel: <6>" OVF "\r\n";
	struct klog_evidence ev;

	(void)state;
	parse(text, U(2025, 11, 1, 0, 0, 0), U(2025, 12, 1, 0, 0, 0), &ev);
	assert_int_equal(ev.lines, 5);
	assert_int_equal(ev.suppressed, 0);
}

/*
 * The limiter prints its count right before the first message of the next
 * window, whatever message that is: the count is an overflow's only when
 * the next kernel line is an overflow.  Lines of other programs do not
 * come between kernel messages, so they do not break the adjacency.
 */
static void
syslog_takes_a_suppressed_count_only_next_to_an_overflow(void **state)
{
	static const char text[] =
		"Mar  9 18:21:10 h kernel: __ratelimit: 12 callbacks "
		"suppressed\n"
		"Mar  9 18:21:10 h kernel: nf_conntrack: table full, dropping "
		"packet.\n"
		"Mar  9 18:21:11 h kernel: " OVF "\n"
		"Mar  9 18:23:35 h kernel: __ratelimit: 107 callbacks "
		"suppressed\n"
		"Mar  9 18:23:35 h crond[2211]: (root) CMD (run-parts "
		"/etc/cron.hourly)\n"
		"Mar  9 18:23:35 h kernel: " OVF "\n"
		"Mar  9 18:24:00 h kernel: net_ratelimit: 9 callbacks "
		"suppressed\n"
		"Mar  9 18:24:00 h kernel: __ratelimit: 4 callbacks "
		"suppressed\n"
		"Mar  9 18:24:00 h kernel: " OVF "\n"
		"Mar  9 18:25:00 h kernel: printk: 3 messages suppressed.\n"
		"Mar  9 18:25:00 h kernel: " OVF "\n"
		"Mar  9 18:26:00 h kernel: __ratelimit: 1000 callbacks "
		"suppressed\n";
	struct klog_evidence ev;

	(void)state;
	parse(text, U(2025, 3, 7, 0, 0, 0), U(2025, 3, 10, 0, 0, 0), &ev);
	assert_int_equal(ev.lines, 4);
	/* 107, then the nearer 4 (not 9), then 2.6.18's 3; not 12, 1000 */
	assert_int_equal(ev.suppressed, 114);
}

static void syslog_leaves_out_lines_of_earlier_boots(void **state)
{
	static const char text[] = "Mar  6 22:14:02 h kernel: __ratelimit: 58 "
				   "callbacks suppressed\n"
				   "Mar  6 22:14:02 h kernel: " OVF "\n"
				   "Mar  6 22:14:03 h kernel: " OVF "\n"
				   "Mar  7 04:11:19 h kernel: " OVF "\n"
				   "Mar  7 04:11:20 h kernel: " OVF "\n"
				   "Mar  7 04:11:21 h kernel: " OVF "\n";
	struct klog_evidence ev;

	(void)state;
	/* the boot at 04:11:20.7: the line of that second is this boot's */
	parse(text, U(2025, 3, 7, 4, 11, 20) + 0.7, U(2025, 3, 10, 0, 0, 0),
	      &ev);
	assert_int_equal(ev.lines, 2);
	assert_int_equal(ev.before_boot, 3);
	assert_int_equal(ev.suppressed, 0);
	assert_num(ev.first, U(2025, 3, 7, 4, 11, 20));
}

static void
syslog_puts_a_december_log_read_in_january_in_last_year(void **state)
{
	static const char text[] = "Dec 30 14:07:12 db5 kernel: " OVF "\n"
				   "Dec 31 23:59:59 db5 kernel: " OVF "\n"
				   "Jan  1 00:00:01 db5 kernel: " OVF "\n"
				   "Jan  2 09:30:09 db5 kernel: " OVF "\n";
	struct klog_evidence ev;

	(void)state;
	parse(text, U(2024, 12, 28, 2, 0, 7), U(2025, 1, 3, 10, 0, 0), &ev);
	assert_int_equal(ev.lines, 4);
	assert_num(ev.first, U(2024, 12, 30, 14, 7, 12));
	assert_num(ev.last, U(2025, 1, 2, 9, 30, 9));
}

static void syslog_keeps_a_line_a_little_ahead_of_now_in_this_year(void **state)
{
	static const char text[] =
		"Jan  3 10:05:00 h kernel: " OVF "\n"  /* 5 min ahead */
		"Mar  1 00:00:00 h kernel: " OVF "\n"; /* a year ago */
	struct klog_evidence ev;

	(void)state;
	parse(text, U(2024, 1, 1, 0, 0, 0), U(2025, 1, 3, 10, 0, 0), &ev);
	assert_int_equal(ev.lines, 2);
	assert_num(ev.first, U(2024, 3, 1, 0, 0, 0));
	assert_num(ev.last, U(2025, 1, 3, 10, 5, 0));
}

static void syslog_reads_rfc3339_times(void **state)
{
	static const char text[] =
		"2025-03-09T18:20:01.123456+08:00 web1 kernel: " OVF "\n"
		"2025-03-09T10:20:02Z web1 kernel: " OVF "\n"
		"2025-03-09T05:20:03-05:00 web1 kernel: " OVF "\n"
		"2024-03-09T05:20:03-05:00 web1 kernel: " OVF "\n";
	struct klog_evidence ev;

	(void)state;
	parse(text, U(2025, 3, 1, 0, 0, 0), U(2025, 3, 10, 0, 0, 0), &ev);
	assert_int_equal(ev.lines, 3);
	assert_int_equal(ev.before_boot, 1);
	assert_near(ev.first, U(2025, 3, 9, 10, 20, 1) + 0.123456);
	assert_num(ev.last, U(2025, 3, 9, 10, 20, 3));
}

static void syslog_names_the_openvz_container(void **state)
{
	static const char text[] =
		"Feb 10 21:03:10 hn7 kernel: " OVF " (CT101)\n"
		"Feb 10 21:03:11 hn7 kernel: " OVF " (CT101)\n";
	static const char mixed[] =
		"Feb 10 21:05:00 hn7 kernel: " OVF " (CT102)\n"
		"Feb 10 21:05:01 hn7 kernel: " OVF " (CT 103)\n"
		"Feb 10 21:05:02 hn7 kernel: " OVF " (CT)\n"
		"Feb 10 21:05:03 hn7 kernel: " OVF " (CT104\n"
		"Feb 10 21:05:04 hn7 kernel: " OVF
		" (CT12345678901234567890123456789012)\n";
	double boot = U(2025, 2, 1, 6, 0, 12), now = U(2025, 2, 11, 0, 0, 0);
	struct klog_evidence ev;

	(void)state;
	parse(text, boot, now, &ev);
	assert_int_equal(ev.lines, 2);
	assert_string_equal(ev.ctid, "101");
	assert_false(ev.ctid_mixed);
	/* accumulates: a second text, another container, malformed ids */
	assert_int_equal(klog_parse_syslog(mixed, boot, now, &ev), 0);
	assert_int_equal(ev.lines, 3);
	assert_string_equal(ev.ctid, "102");
	assert_true(ev.ctid_mixed);
}

static void syslog_ignores_malformed_and_foreign_lines(void **state)
{
	static const char text[] =
		"\n"
		"garbage\n"
		"Foo  9 18:20:01 h kernel: " OVF "\n"
		"Mar 32 18:20:01 h kernel: " OVF "\n"
		"Mar  9 24:20:01 h kernel: " OVF "\n"
		"Mar  9 18:2:01 h kernel: " OVF "\n"
		"Mar  9 18:20:01\n"
		"Mar  9 18:20:01 h\n"
		"Mar  9 18:20:01 h kernel:\n"
		"Mar  9 18:20:01 h kernel " OVF "\n"
		"Mar  9 18:20:01 h kernelx: " OVF "\n"
		"Mar  9 18:20:01 h logger: " OVF "\n"
		"Mar  9 18:20:01 h twtune[12]: kernel: " OVF "\n"
		"Mar  9 18:20:01 h kernel: " OVF " and more\n"
		"Mar  9 18:20:01 h kernel: TCP: time wait bucket table\n"
		"Mar  9 18:20:01 h kernel: [12.5 " OVF "\n"
		"Mar  9 18:20:01 h kernel: __ratelimit: x callbacks "
		"suppressed\n"
		"Mar  9 18:20:01 h kernel: __ratelimit: 5 callbacks "
		"suppressed!\n"
		"2025-13-09T18:20:01Z h kernel: " OVF "\n"
		"2025-03-09T18:20:01 h kernel: " OVF "\n"
		"2025-03-09T18:20:01+8:00 h kernel: " OVF "\n"
		"Mar  9 18:20:02 h kernel: " OVF; /* the one good line, no \n */
	struct klog_evidence ev;

	(void)state;
	parse(text, U(2025, 3, 1, 0, 0, 0), U(2025, 3, 10, 0, 0, 0), &ev);
	assert_int_equal(ev.lines, 1);
	assert_int_equal(ev.suppressed, 0);
	assert_num(ev.first, U(2025, 3, 9, 18, 20, 2));
}

static void syslog_rejects_bad_arguments(void **state)
{
	struct klog_evidence ev;

	(void)state;
	klog_evidence_init(&ev);
	assert_int_equal(klog_parse_syslog(NULL, 0, 0, &ev), -EINVAL);
	assert_int_equal(klog_parse_syslog("", NAN, 0, &ev), -EINVAL);
	assert_int_equal(klog_parse_syslog("", 0, INFINITY, &ev), -EINVAL);
	assert_int_equal(klog_parse_syslog("", 0, 0, NULL), -EINVAL);
	assert_int_equal(klog_parse_kmsg(NULL, 0, &ev), -EINVAL);
	assert_int_equal(klog_parse_dmesg("", NAN, &ev), -EINVAL);
	assert_false(ev.readable);
	assert_true(isnan(ev.first) && isnan(ev.last));
}

/* Big inputs take linear time and no memory: one long line, many lines. */
static void syslog_handles_huge_inputs(void **state)
{
	static const char line[] = "Mar  9 18:20:01 h kernel: " OVF "\n";
	size_t n = 200000, len = strlen(line), big = 8u << 20;
	char *text = xmalloc(n * len + big + 512);
	struct klog_evidence ev;
	char *p = text;

	(void)state;
	for (size_t i = 0; i < n; i++, p += len)
		memcpy(p, line, len);
	/* a single 8 MiB line of the kernel, and a saturating count */
	p += sprintf(p, "Mar  9 18:20:02 h kernel: ");
	memset(p, 'x', big);
	p += big;
	p += sprintf(p, "\nMar  9 18:20:03 h kernel: __ratelimit: "
			"99999999999999999999999 callbacks suppressed\n");
	p += sprintf(p, "Mar  9 18:20:03 h kernel: " OVF);
	*p = '\0';
	parse(text, U(2025, 3, 1, 0, 0, 0), U(2025, 3, 10, 0, 0, 0), &ev);
	assert_int_equal(ev.lines, n + 1);
	assert_true(ev.suppressed == ~0ULL);
	free(text);
}

/* ---- /dev/kmsg and dmesg ------------------------------------------------ */

static void kmsg_counts_kernel_records_with_their_times(void **state)
{
	static const char text[] =
		"6,1200,3000000,-;eth0: link up\n"
		" SUBSYSTEM=net\n"
		" DEVICE=n2\n"
		"4,1201,5000000,-;net_ratelimit: 17 callbacks suppressed\n"
		"6,1202,5000001,-;" OVF "\n"
		"6,1203,5500000,c;" OVF "\n"
		"12,1204,5600000,-;" OVF "\n" /* LOG_USER: written by a user */
		"14,1205,5600001,-;net_ratelimit: 5 callbacks suppressed\n"
		"6,1206,7250000,-,caller=T12;" OVF "\n"
		"6,1207,8000000,-\n" /* no ';' */
		"x,1208,8000000,-;" OVF "\n";
	double boot = 1700000000;
	struct klog_evidence ev;

	(void)state;
	klog_evidence_init(&ev);
	assert_int_equal(klog_parse_kmsg(text, boot, &ev), 0);
	assert_true(ev.readable);
	assert_int_equal(ev.lines, 3);
	assert_int_equal(ev.suppressed, 17);
	assert_num(ev.first, boot + 5.000001);
	assert_num(ev.last, boot + 7.25);
	assert_int_equal(ev.kmsg_first_seq, 1200);
	assert_num(ev.kmsg_first_time, boot + 3);
}

static void dmesg_counts_with_and_without_times(void **state)
{
	static const char timed[] =
		"<6>[    3.000000] e1000: eth0 NIC Link is Up\n"
		"<4>[ 5000.250000] __ratelimit: 22 callbacks suppressed\n"
		"<6>[ 5000.250001] " OVF "\n"
		"[ 6000.500000] " OVF " (CT7)\n";
	static const char untimed[] = "<4>__ratelimit: 3 callbacks suppressed\n"
				      "<6>" OVF "\n" OVF "\n"
				      "<6>\n";
	struct klog_evidence ev;

	(void)state;
	klog_evidence_init(&ev);
	assert_int_equal(klog_parse_dmesg(timed, 1000, &ev), 0);
	assert_int_equal(ev.lines, 2);
	assert_int_equal(ev.suppressed, 22);
	assert_near(ev.first, 6000.250001);
	assert_near(ev.last, 7000.5);
	assert_string_equal(ev.ctid, "7");

	klog_evidence_init(&ev);
	assert_int_equal(klog_parse_dmesg(untimed, 1000, &ev), 0);
	assert_int_equal(ev.lines, 2);
	assert_int_equal(ev.suppressed, 3);
	assert_true(isnan(ev.first) && isnan(ev.last));
}

/* A non-blocking descriptor gives records until EAGAIN; max bounds them. */
static void read_kmsg_reads_until_eagain_and_bounds_the_size(void **state)
{
	static const char rec[] = "6,1,100,-;" OVF;
	char *out = NULL;
	size_t len = 0;
	int fds[2];

	(void)state;
	assert_int_equal(pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
	/* a record without its newline gets one */
	assert_int_equal(write(fds[1], rec, strlen(rec)), (ssize_t)strlen(rec));
	assert_int_equal(klog_read_kmsg(fds[0], 4096, &out, &len), 0);
	assert_int_equal(len, strlen(rec) + 1);
	assert_string_equal(out, "6,1,100,-;" OVF "\n");
	free(out);

	assert_int_equal(write(fds[1], rec, strlen(rec)), (ssize_t)strlen(rec));
	out = NULL;
	assert_int_equal(klog_read_kmsg(fds[0], 8, &out, &len), -EFBIG);
	assert_null(out);

	/* nothing to read is an empty text, not an error */
	assert_int_equal(klog_read_kmsg(fds[0], 4096, &out, &len), 0);
	assert_string_equal(out, "");
	free(out);
	close(fds[0]);
	close(fds[1]);
	/* a closed descriptor is an error */
	assert_int_equal(klog_read_kmsg(fds[0], 4096, &out, &len), -EBADF);
}

/* ---- klog_collect over fixture trees ------------------------------------ */

/* The fixture's boot time, from its /proc/stat "btime". */
static double fixture_btime(const char *kernel)
{
	char *rel = xasprintf("tests/fixtures/kernels/%s/stat", kernel);
	char *path = testutil_src_path(rel);
	char *text, *p;
	double btime;

	assert_int_equal(util_read_at(AT_FDCWD, path, 1 << 16, &text, NULL), 0);
	p = strstr(text, "\nbtime ");
	assert_non_null(p);
	btime = strtod(p + 7, NULL);
	free(text);
	free(path);
	free(rel);
	return btime;
}

static int fixture_root(const char *kernel)
{
	char *rel = xasprintf("tests/fixtures/kernels/%s/root", kernel);
	char *path = testutil_src_path(rel);
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	assert_true(fd >= 0);
	free(path);
	free(rel);
	return fd;
}

/*
 * RHEL 6 writes kernel messages to messages, Debian also to kern.log: the
 * fixture has both with the same lines, and they count once.
 */
static void collect_counts_one_family_of_files(void **state)
{
	double boot = fixture_btime("2.6.32");
	int root = fixture_root("2.6.32");
	struct klog_evidence ev;
	char err[256];

	(void)state;
	assert_int_equal(klog_collect(root, NULL, boot, U(2025, 3, 10, 9, 0, 0),
				      &ev, err, sizeof(err)),
			 0);
	assert_true(ev.readable);
	assert_int_equal(ev.lines, 4);
	assert_int_equal(ev.suppressed, 240);
	assert_int_equal(ev.before_boot, 5);
	assert_num(ev.first, U(2025, 3, 9, 18, 20, 1));
	assert_num(ev.last, U(2025, 3, 9, 18, 23, 35));
	close(root);
}

/* RHEL 5: messages.1 (December) then messages (January). */
static void collect_adds_the_rotated_file_across_new_year(void **state)
{
	double boot = fixture_btime("2.6.18");
	int root = fixture_root("2.6.18");
	struct klog_evidence ev;
	char err[256];

	(void)state;
	assert_int_equal(klog_collect(root, NULL, boot, U(2025, 1, 3, 10, 0, 0),
				      &ev, err, sizeof(err)),
			 0);
	assert_int_equal(ev.lines, 5);
	assert_int_equal(ev.suppressed, 17);
	assert_int_equal(ev.before_boot, 3);
	assert_num(ev.first, U(2024, 12, 30, 14, 7, 12));
	assert_num(ev.last, U(2025, 1, 2, 9, 30, 9));
	close(root);
}

static void collect_names_openvz_containers(void **state)
{
	double boot = fixture_btime("openvz-2.6.32-042stab");
	int root = fixture_root("openvz-2.6.32-042stab");
	struct klog_evidence ev;
	char err[256];

	(void)state;
	assert_int_equal(klog_collect(root, NULL, boot,
				      U(2025, 2, 11, 12, 0, 0), &ev, err,
				      sizeof(err)),
			 0);
	assert_int_equal(ev.lines, 4);
	assert_int_equal(ev.suppressed, 291);
	assert_int_equal(ev.before_boot, 1);
	assert_string_equal(ev.ctid, "102");
	assert_true(ev.ctid_mixed);
	close(root);
}

static void collect_without_a_log_is_enoent(void **state)
{
	struct testdir *t = *state;
	struct klog_evidence ev;
	char err[256];

	assert_int_equal(klog_collect(t->fd, NULL, 1000, 2000, &ev, err,
				      sizeof(err)),
			 -ENOENT);
	assert_false(ev.readable);
	assert_contains(err, "no /var/log/kern.log");
	/* a directory where the file should be: an error naming it */
	assert_int_equal(testdir_mkdirs(t->fd, "var/log/kern.log"), 0);
	assert_int_equal(klog_collect(t->fd, NULL, 1000, 2000, &ev, err,
				      sizeof(err)),
			 -EISDIR);
	assert_contains(err, "/var/log/kern.log");
}

/* /dev/kmsg that still holds the whole boot is the only source read. */
static void collect_prefers_an_unwrapped_kmsg(void **state)
{
	struct testdir *t = *state;
	double boot = U(2025, 3, 9, 0, 0, 0);
	struct klog_evidence ev;
	char err[256];

	testdir_put(t->fd, "var/log/kern.log",
		    "Mar  9 00:00:05 h kernel: " OVF "\n"
		    "Mar  9 00:00:06 h kernel: " OVF "\n");
	assert_int_equal(klog_collect(t->fd,
				      "6,0,1000000,-;Linux version 6.18\n"
				      "6,1,5100000,-;" OVF "\n",
				      boot, boot + 60, &ev, err, sizeof(err)),
			 0);
	assert_int_equal(ev.lines, 1);
	assert_int_equal(ev.kmsg_first_seq, 0);
}

/*
 * A wrapped buffer lost the boot's first records: the files supply what
 * came before its first record, the buffer the rest, nothing twice.
 */
static void collect_fills_a_wrapped_kmsg_from_the_files(void **state)
{
	struct testdir *t = *state;
	double boot = U(2025, 3, 9, 0, 0, 0);
	struct klog_evidence ev;
	char err[256];

	testdir_put(t->fd, "var/log/kern.log.1",
		    "Mar  8 23:00:00 h kernel: " OVF "\n"
		    "Mar  9 00:01:00 h kernel: " OVF "\n");
	testdir_put(t->fd, "var/log/kern.log",
		    "Mar  9 00:02:00 h kernel: __ratelimit: 8 callbacks "
		    "suppressed\n"
		    "Mar  9 00:02:00 h kernel: " OVF "\n"
		    "Mar  9 00:03:00 h kernel: " OVF "\n"
		    "Mar  9 00:04:00 h kernel: " OVF "\n");
	/* the buffer begins at 00:03:00.5 with sequence number 5000 */
	assert_int_equal(klog_collect(t->fd,
				      "6,5000,180500000,-;" OVF "\n"
				      "6,5001,240000000,-;" OVF "\n",
				      boot, boot + 3600, &ev, err, sizeof(err)),
			 0);
	/* files: 00:01, 00:02 (+8); 00:03 is the buffer's second */
	assert_int_equal(ev.lines, 4);
	assert_int_equal(ev.suppressed, 8);
	assert_int_equal(ev.before_boot, 1);
	assert_num(ev.first, boot + 60);
	assert_num(ev.last, boot + 240);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			syslog_counts_seed_2_lines_and_their_suppressed_counts),
		cmocka_unit_test(
			syslog_reads_the_monotonic_stamp_and_host_forms),
		cmocka_unit_test(
			syslog_takes_a_suppressed_count_only_next_to_an_overflow),
		cmocka_unit_test(syslog_leaves_out_lines_of_earlier_boots),
		cmocka_unit_test(
			syslog_puts_a_december_log_read_in_january_in_last_year),
		cmocka_unit_test(
			syslog_keeps_a_line_a_little_ahead_of_now_in_this_year),
		cmocka_unit_test(syslog_reads_rfc3339_times),
		cmocka_unit_test(syslog_names_the_openvz_container),
		cmocka_unit_test(syslog_ignores_malformed_and_foreign_lines),
		cmocka_unit_test(syslog_rejects_bad_arguments),
		cmocka_unit_test(syslog_handles_huge_inputs),
		cmocka_unit_test(kmsg_counts_kernel_records_with_their_times),
		cmocka_unit_test(dmesg_counts_with_and_without_times),
		cmocka_unit_test(
			read_kmsg_reads_until_eagain_and_bounds_the_size),
		cmocka_unit_test(collect_counts_one_family_of_files),
		cmocka_unit_test(collect_adds_the_rotated_file_across_new_year),
		cmocka_unit_test(collect_names_openvz_containers),
		cmocka_unit_test_setup_teardown(collect_without_a_log_is_enoent,
						testdir_setup,
						testdir_teardown),
		cmocka_unit_test_setup_teardown(
			collect_prefers_an_unwrapped_kmsg, testdir_setup,
			testdir_teardown),
		cmocka_unit_test_setup_teardown(
			collect_fills_a_wrapped_kmsg_from_the_files,
			testdir_setup, testdir_teardown),
	};

	/* syslog stamps are local time; the expectations are UTC */
	if (setenv("TZ", "UTC", 1) < 0)
		return 1;
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
