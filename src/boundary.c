// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Crossing the privilege boundary; see boundary.h.  Everything that needs
 * root happens before the drop (entering the namespace is done by
 * target_open() before this), and only opening directories and the lock
 * file happens here: no input is parsed on this side.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "boundary.h"
#include "commands.h"
#include "hooks.h"
#include "log.h"
#include "persist.h"
#include "sysctl.h"
#include "util.h"

/* The directory of path, created (0750) when missing; -errno. */
static int open_dir_of(const char *path)
{
	char *dir = util_dirname(path);
	int fd;

	util_mkdir_p(dir, 0750);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	return fd < 0 ? -errno : fd;
}

static void init(struct boundary *b, enum role role)
{
	*b = (struct boundary){
		.role = role,
		.lockfd = -1,
		.netfd = -1,
		.persist_dfd = -1,
		.audit_dfd = -1,
		.state_dfd = -1,
		.output_dfd = -1,
	};
}

/* What a writer opens: /proc/sys/net, the lock and its directories. */
static int open_writer(const struct options *o, const struct target *t,
		       struct boundary *b)
{
	char *lock;
	int ret;

	if ((!t || t->real_proc) && !privs_have_net_admin()) {
		log_err("needs CAP_NET_ADMIN to change sysctls (run as root)");
		return EX_NOPERM;
	}
	ret = sysctl_open_net(t->procfd);
	if (ret < 0) {
		log_err("%s/sys/net: %s", o->proc, strerror(-ret));
		return EXIT_FAILED;
	}
	b->netfd = ret;
	if (!o->no_persist) {
		ret = persist_open_dir(o->persist_dir);
		b->persist_dfd = ret < 0 ? -1 : ret;
		b->persist_err = ret < 0 ? -ret : 0;
	}
	ret = open_dir_of(o->audit_log);
	b->audit_dfd = ret < 0 ? -1 : ret;
	b->audit_err = ret < 0 ? -ret : 0;
	lock = xasprintf("%s.lock", o->state);
	b->lockfd = open(lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (b->lockfd < 0)
		log_err("lock %s: %s", lock, strerror(errno));
	free(lock);
	return b->lockfd < 0 ? EXIT_FAILED : 0;
}

int boundary_cross(const struct options *o, const struct target *t,
		   enum role role, unsigned wants, struct boundary *b)
{
	char err[256];
	int rc = 0, ret;

	init(b, role);
	if (wants & WANT_STATE) {
		ret = open_dir_of(o->state);
		b->state_dfd = ret < 0 ? -1 : ret;
	}
	if ((wants & WANT_OUTPUT) && o->output) {
		ret = open_dir_of(o->output);
		b->output_dfd = ret < 0 ? -1 : ret;
		b->output_err = ret < 0 ? -ret : 0;
	}
	if (role == ROLE_WRITER) {
		rc = open_writer(o, t, b);
		if (rc)
			return rc;
		log_open_syslog();
		ret = privs_keep_net_admin(err, sizeof(err));
	} else {
		ret = privs_drop_all(err, sizeof(err));
	}
	if (ret < 0) {
		log_err("%s", err);
		return EXIT_FAILED;
	}
	{
		const int dirs[] = { b->netfd, b->persist_dfd, b->audit_dfd,
				     b->state_dfd, b->output_dfd };

		privs_sandbox(dirs, ARRAY_SIZE(dirs), &b->sandbox);
	}
	if (hook_after_sandbox)
		hook_after_sandbox();
	return 0;
}

int boundary_lock(struct boundary *b, const char *state, double wait,
		  bool quiet)
{
	struct timespec start, now;
	bool said = false;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (flock(b->lockfd, LOCK_EX | LOCK_NB) < 0) {
		struct timespec nap = { .tv_nsec = 10 * 1000 * 1000 };
		int e = errno;
		double waited;

		if (e == EINTR)
			continue;
		clock_gettime(CLOCK_MONOTONIC, &now);
		waited = util_timespec_seconds(&now) -
			 util_timespec_seconds(&start);
		if (e != EWOULDBLOCK || waited >= wait) {
			if (!quiet || e != EWOULDBLOCK)
				log_err("lock %s.lock: %s", state,
					e == EWOULDBLOCK
						? "another twtune is changing "
						  "this host; try again later"
						: strerror(e));
			return -e;
		}
		if (!said && !quiet && waited >= 1) {
			log_notice("waiting for another twtune run to finish "
				   "(lock %s.lock)",
				   state);
			said = true;
		}
		nanosleep(&nap, NULL);
	}
	return 0;
}

void boundary_unlock(struct boundary *b)
{
	if (b->lockfd >= 0)
		flock(b->lockfd, LOCK_UN);
}

void boundary_close(struct boundary *b)
{
	int *fds[] = { &b->lockfd,    &b->netfd,     &b->persist_dfd,
		       &b->audit_dfd, &b->state_dfd, &b->output_dfd };

	/* directories and a lock file: nothing written through them */
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}
