// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target for the kernel-log parsers of klog.c.  The input is up to
 * three NUL-separated texts: a syslog file, /dev/kmsg records and a dmesg
 * buffer.  Each goes to its parser, with a boot time and a "now" that the
 * fourth part may move; then the syslog text as var/log/kern.log of a
 * scratch root and the kmsg text go through klog_collect().  Checked beyond
 * memory safety: no more overflow lines than lines in the input, counted
 * and earlier-boot lines together neither; known times in order (first <=
 * last) and known whenever a syslog or kmsg line was counted; nothing
 * suppressed without a counted line; a container id of digits only.
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
#include "klog.h"
#include "util.h"

/* Lines in a text: newlines, plus one for an unterminated last line. */
static unsigned long long count_lines(const char *s, size_t len)
{
	unsigned long long n = 0;

	for (size_t i = 0; i < len; i++)
		if (s[i] == '\n')
			n++;
	return n + (len && s[len - 1] != '\n');
}

static void check(const struct klog_evidence *ev, unsigned long long in,
		  bool timed)
{
	fuzz_check(ev->readable);
	fuzz_check(ev->lines <= in);
	fuzz_check(ev->before_boot <= in - ev->lines);
	fuzz_check(isnan(ev->first) == isnan(ev->last));
	fuzz_check(isnan(ev->first) || ev->first <= ev->last);
	if (timed && ev->lines)
		fuzz_check(!isnan(ev->first));
	if (!ev->lines) {
		fuzz_check(ev->suppressed == 0);
		fuzz_check(isnan(ev->first));
	}
	fuzz_check(strlen(ev->ctid) < sizeof(ev->ctid));
	for (const char *p = ev->ctid; *p; p++)
		fuzz_check(*p >= '0' && *p <= '9');
	fuzz_check(!ev->ctid_mixed || ev->ctid[0]);
	fuzz_check((ev->kmsg_first_seq == ~0ULL) ==
		   (bool)isnan(ev->kmsg_first_time));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* 2025-03-07 04:11:20 and three days later; moved by part 3 */
	double boot = 1741320680, now = 1741597200;
	unsigned long long in[3] = { 0, 0, 0 };
	struct klog_evidence ev;
	struct fuzz_parts p;
	char err[256], *dir;
	int rootfd;

	fuzz_split(data, size, &p);
	if (p.n > 3 && p.len[3] >= 2) {
		boot -= (double)(unsigned char)p.part[3][0] * 86400 * 30;
		now += (double)(unsigned char)p.part[3][1] * 86400 * 7;
	}
	for (size_t i = 0; i < 3 && i < p.n; i++)
		in[i] = count_lines(p.part[i], p.len[i]);

	klog_evidence_init(&ev);
	fuzz_check(klog_parse_syslog(p.part[0], boot, now, &ev) == 0);
	check(&ev, in[0], true);
	if (p.n > 1) {
		klog_evidence_init(&ev);
		fuzz_check(klog_parse_kmsg(p.part[1], boot, &ev) == 0);
		check(&ev, in[1], true);
	}
	if (p.n > 2) {
		klog_evidence_init(&ev);
		fuzz_check(klog_parse_dmesg(p.part[2], boot, &ev) == 0);
		check(&ev, in[2], false);
	}

	/* the files and the buffer together: never more than both hold */
	dir = xasprintf("%s/root", fuzz_scratch());
	fuzz_put(dir, "var/log/kern.log", p.part[0], p.len[0]);
	rootfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	fuzz_check(rootfd >= 0);
	fuzz_check(klog_collect(rootfd, p.n > 1 ? p.part[1] : NULL, boot, now,
				&ev, err, sizeof(err)) == 0);
	check(&ev, in[0] + (p.n > 1 ? in[1] : 0), true);
	close(rootfd);
	free(dir);
	fuzz_parts_free(&p);
	return 0;
}
