// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Opening the target of a command; see target.h.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <sysexits.h>
#include <unistd.h>

#include "commands.h"
#include "log.h"
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

int target_open(const struct options *o, struct target *t)
{
	struct statfs sf;
	int rc;

	t->procfd = -1;
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
	return 0;
}

void target_close(struct target *t)
{
	if (t->procfd >= 0)
		close(t->procfd); /* read-only */
	t->procfd = -1;
}
