/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The kernel log as evidence of TIME_WAIT overflows on kernels without the
 * TcpExt counter TCPTimeWaitOverflow (mainline 2.6.37 and older, RHEL 5 and
 * 6, OpenVZ): count the "TCP: time wait bucket table overflow" messages of
 * the current boot and the rate limiter's "N callbacks suppressed" lines
 * next to them.  The parsers are pure (text in, counts out); the readers
 * at the end fetch the text and apply the one-source rule below.
 *
 * One message must be counted once.  The same kernel message reaches
 * several places: the kernel's own buffers (/dev/kmsg since 3.5, syslog(2)
 * for dmesg) and every syslog file the daemon copies kernel messages to
 * (Debian writes kern.* to kern.log and again to syslog and messages).  So:
 *   - a caller feeds ONE source: kmsg, or dmesg, or ONE family of syslog
 *     files (kern.log, else messages, else syslog: the first that
 *     exists), never several; the parsers cannot tell a copy from a
 *     repeat because the kernel repeats the very same text;
 *   - the files of one family are disjoint in time (kern.log.1 holds what
 *     came before kern.log), so they are fed oldest first and add up;
 *   - when the kernel's buffer is preferred but has wrapped (its first
 *     record is not the boot's first, see kmsg_first_seq), the files may
 *     supply what the buffer lost: klog_parse_syslog_range() with until =
 *     the time of the buffer's first record.  Syslog times have whole
 *     seconds, so a message in that very second is left to the buffer.
 * klog_collect() applies this rule.
 */
#ifndef TWTUNE_KLOG_H
#define TWTUNE_KLOG_H

#include <stdbool.h>
#include <stddef.h>

/* What the log says about overflows since boot; accumulated by each parse. */
struct klog_evidence {
	bool readable;		  /* at least one source was read (parsed) */
	unsigned long long lines; /* overflow message lines since boot */
	/*
	 * Sum of the "N callbacks suppressed" (2.6.28+) or "printk: N
	 * messages suppressed." (2.6.18) lines that came right before an
	 * overflow line.  The limiter is shared by every net_ratelimit()
	 * caller (on 2.6.18 by every printk_ratelimit() caller too), so
	 * this is an upper bound on the overflow messages it swallowed.
	 */
	unsigned long long suppressed;
	double first, last; /* unix times of the first and last such line
			       since boot; NAN when unknown */
	/*
	 * OpenVZ names the container whose socket overflowed: "TCP: time
	 * wait bucket table overflow (CT101)".  ctid is the id of the last
	 * counted line that had one ("" if none); ctid_mixed is set when
	 * the counted lines named more than one container.
	 */
	char ctid[32];
	bool ctid_mixed;
	char source[32]; /* the syslog family read ("var/log/messages"), or "" */
	unsigned long long before_boot; /* overflow lines of earlier boots,
					   not counted */
	/*
	 * /dev/kmsg only: the lowest sequence number and its time (unix);
	 * a first sequence number above 0 means the buffer has wrapped and
	 * lost the start of the boot.  ~0ULL and NAN until a record is seen.
	 */
	unsigned long long kmsg_first_seq;
	double kmsg_first_time;
};

/* An empty evidence: nothing read, times NAN. */
void klog_evidence_init(struct klog_evidence *ev);

/*
 * Syslog-format text (kern.log, messages, syslog), NUL-terminated: lines
 * like "Nov 30 12:25:53 host kernel: [12345.678901] TCP: time wait bucket
 * table overflow", with or without the [monotonic] stamp, or with an RFC
 * 3339 time ("2024-11-30T12:25:53.123456+08:00 host kernel: ...").  The
 * traditional format has no year and is local time (TZ): each line gets
 * the year that puts it at or before now (a day of slack for a clock a
 * little ahead), so a December log read in January is last year's.  Only
 * lines of the kernel (tag "kernel") count, and only those at or after
 * boot_time (floor of it: syslog times are whole seconds).  Malformed
 * lines are skipped.  -EINVAL for a NULL argument or a non-finite time.
 */
int klog_parse_syslog(const char *text, double boot_time, double now,
		      struct klog_evidence *ev);

/* The same, counting only lines in [from, until): see the rule above. */
int klog_parse_syslog_range(const char *text, double from, double until,
			    double now, struct klog_evidence *ev);

/*
 * /dev/kmsg records, "PRI,SEQ,USEC,FLAGS[,...];message" each followed by
 * its " KEY=value" dictionary lines, as read one record per read(2).
 * Every record is of the current boot; boot_time + USEC/1e6 is its time.
 * Records whose facility is not the kernel's (PRI >= 8: written into
 * /dev/kmsg by a user process) are ignored.
 */
int klog_parse_kmsg(const char *text, double boot_time,
		    struct klog_evidence *ev);

/*
 * The kernel ring buffer as syslog(2) SYSLOG_ACTION_READ_ALL or dmesg(1)
 * give it: "<6>[  123.456789] msg", "[  123.456789] msg", "<6>msg" or
 * "msg" (2.6 kernels print no time unless printk.time=1).  The buffer is
 * cleared at boot, so every line is of the current boot; the times are
 * known only when the lines carry them.
 */
int klog_parse_dmesg(const char *text, double boot_time,
		     struct klog_evidence *ev);

/*
 * Read all records of an open /dev/kmsg (opened O_RDONLY | O_NONBLOCK by
 * the caller, who seeks it where wanted), one record per read(2), until
 * EAGAIN; a record overwritten while reading (EPIPE) is skipped.  At most
 * max bytes are kept (-EFBIG beyond).  *out is NUL-terminated; free it.
 */
int klog_read_kmsg(int fd, size_t max, char **out, size_t *len);

/*
 * The overflow evidence of the current boot from the best source below
 * rootdir (a descriptor for "/" or a test tree): the /dev/kmsg text when
 * kmsg is not NULL (already read by the caller, who needs the privilege),
 * else the first syslog family that exists among var/log/kern.log,
 * var/log/messages and var/log/syslog (".1" first, then the current file;
 * compressed rotations are not read).  When kmsg has wrapped, the files
 * fill in what came before its first record.  -ENOENT when no source was
 * readable (ev->readable false); other -errno for a file that exists but
 * cannot be read, with the file named in err.
 */
int klog_collect(int rootdir, const char *kmsg, double boot_time, double now,
		 struct klog_evidence *ev, char *err, size_t errlen);

#endif
