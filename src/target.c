// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Opening the target of a command; see target.h.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sysexits.h>
#include <unistd.h>

#include "bounds.h"
#include "commands.h"
#include "hooks.h"
#include "klog.h"
#include "log.h"
#include "privs.h"
#include "target.h"
#include "util.h"

static int enter_netns(const char *netns)
{
	char *path = strchr(netns, '/') ? xstrdup(netns)
					: xasprintf("/run/netns/%s", netns);
	int fd = open(path, O_RDONLY | O_CLOEXEC), e = 0;

	if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
		e = errno;
		log_err("--netns %s: %s", path, strerror(e));
	}
	if (fd >= 0)
		close(fd); /* read-only */
	free(path);
	return e == 0 ? 0 : e == EPERM ? EX_NOPERM : EXIT_FAILED;
}

/* Whether the kernel behind procfd counts overflows (a cheap look). */
static bool has_counter(int procfd)
{
	char *text = NULL;
	bool has;

	if (util_read_at(procfd, "net/netstat", PROC_FILE_MAX, &text, NULL) < 0)
		return true; /* the observation will say what is wrong */
	has = strstr(text, " TCPTimeWaitOverflow") != NULL &&
	      !(hook_no_counter && hook_no_counter());
	free(text);
	return has;
}

/* The ring buffer through syslog(2), as dmesg reads it. */
static char *read_dmesg(struct target *t)
{
	int size = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0), n;
	char *buf;

	if (size <= 0) {
		snprintf(t->log_error, sizeof(t->log_error), "syslog(2): %s",
			 size < 0 ? strerror(errno) : "empty buffer");
		return NULL;
	}
	buf = xmalloc((size_t)size + 1);
	n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, size);
	if (n < 0) {
		snprintf(t->log_error, sizeof(t->log_error), "syslog(2): %s",
			 strerror(errno));
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

/*
 * The live log of a kernel that only logs overflows: /dev/kmsg where it
 * exists (3.5+), else syslog(2).  Either needs CAP_SYSLOG when
 * kernel.dmesg_restrict is set; a failure is said in the report.
 */
static void read_live_log(struct target *t)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC), ret;

	if (fd < 0 && errno != ENOENT) {
		snprintf(t->log_error, sizeof(t->log_error), "/dev/kmsg: %s",
			 strerror(errno));
		return;
	}
	if (fd < 0) {
		t->dmesg_text = read_dmesg(t);
		return;
	}
	ret = klog_read_kmsg(fd, KLOG_FILE_MAX, &t->kmsg_text, NULL);
	close(fd); /* read-only */
	if (ret < 0) {
		t->kmsg_text = NULL;
		snprintf(t->log_error, sizeof(t->log_error), "/dev/kmsg: %s",
			 strerror(-ret));
	}
}

/*
 * The helper that finds which process holds a socket (/proc/PID/fd),
 * which twtune cannot read once Landlock confines it: a fork that keeps
 * CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH alone.  Without it the owners are
 * named from their cgroups only, and the report says why.
 */
static void start_helper(struct target *t)
{
	char err[120];

	if (!privs_have_helper_caps())
		snprintf(
			t->no_helper, sizeof(t->no_helper),
			"twtune does not have both CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH to give it");
	else if (nsopen_start(&t->opener, false, err, sizeof(err)) < 0)
		util_textf(t->no_helper, sizeof(t->no_helper),
			   "it could not start: %s", err);
}

int target_open(const struct options *o, struct target *t, bool helper)
{
	struct statfs sf;
	int rc;

	memset(t, 0, sizeof(*t));
	t->procfd = -1;
	t->rootfd = -1;
	t->opener.sock = -1;
	t->real_proc = false;
	t->netns = o->netns;
	if (o->netns && (rc = enter_netns(o->netns)) != 0)
		return rc;
	t->procfd = open(o->proc, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (t->procfd < 0) {
		log_err("--proc %s: %s", o->proc, strerror(errno));
		return EXIT_FAILED;
	}
	t->real_proc = fstatfs(t->procfd, &sf) == 0 &&
		       sf.f_type == PROC_SUPER_MAGIC;
	/* only for the syslog files: a missing root is said there */
	t->rootfd = open(o->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (t->rootfd < 0)
		util_textf(t->log_error, sizeof(t->log_error), "--root %s: %s",
			   o->root, strerror(errno));
	/* whose sysctl.d the boot applies, and where twtune acts */
	if (t->real_proc) {
		struct stat st;

		if (fstatat(t->procfd, "1/ns/net", &st, 0) == 0)
			t->pid1_netns = (unsigned long long)st.st_ino;
		if (fstatat(t->procfd, "thread-self/ns/net", &st, 0) == 0)
			t->netns_ino = (unsigned long long)st.st_ino;
	}
	if (o->all_netns) {
		char err[200];

		if (!t->real_proc) {
			log_err("--all-netns needs the live /proc, not %s",
				o->proc);
			return EX_USAGE;
		}
		if (o->netns) {
			log_err("--all-netns and --netns exclude each other");
			return EX_USAGE;
		}
		if (nsopen_start(&t->opener, true, err, sizeof(err)) < 0) {
			log_err("--all-netns: %s", err);
			return EXIT_FAILED;
		}
	} else if (helper && t->real_proc && !o->no_sockets &&
		   (o->format != FORMAT_PROMETHEUS || o->sockets)) {
		start_helper(t);
	}
	/* the live kernel's own log, when it is the host's root too */
	if (t->real_proc && strcmp(o->root, "/") == 0 &&
	    !has_counter(t->procfd))
		read_live_log(t);
	return 0;
}

void target_close(struct target *t)
{
	if (t->procfd >= 0)
		close(t->procfd); /* read-only */
	t->procfd = -1;
	if (t->rootfd >= 0)
		close(t->rootfd); /* read-only */
	t->rootfd = -1;
	free(t->kmsg_text);
	free(t->dmesg_text);
	t->kmsg_text = t->dmesg_text = NULL;
	nsopen_stop(&t->opener);
}
