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
#include <sys/stat.h>
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

/*
 * What a writer opens: /proc/sys/net and the audit log's directory.  A
 * writer without CAP_NET_ADMIN on the live /proc is let through as a
 * reader and told so (not_permitted), so that the command can still say
 * what is wrong with its policies first.
 */
static int open_writer(const struct options *o, const struct target *t,
		       struct boundary *b)
{
	int ret;

	if (t->real_proc && !privs_have_net_admin()) {
		b->not_permitted = true;
		b->role = ROLE_READER;
		return 0;
	}
	ret = sysctl_open_net(t->procfd);
	if (ret < 0) {
		log_err("%s/sys/net: %s", o->proc, strerror(-ret));
		return EXIT_FAILED;
	}
	b->netfd = ret;
	ret = open_dir_of(o->audit_log);
	b->audit_dfd = ret < 0 ? -1 : ret;
	b->audit_err = ret < 0 ? -ret : 0;
	b->persist_writable = !o->no_persist;
	return 0;
}

void boundary_init(struct boundary *b)
{
	*b = (struct boundary){
		.netfd = -1,
		.persist_dfd = -1,
		.audit_dfd = -1,
		.state_dfd = -1,
		.output_dfd = -1,
	};
}

int boundary_cross(const struct options *o, const struct target *t,
		   enum role role, unsigned wants, struct boundary *b)
{
	char err[256];
	int ret;

	boundary_init(b);
	b->role = role;
	if (wants & WANT_STATE) {
		ret = open_dir_of(o->state);
		b->state_dfd = ret < 0 ? -1 : ret;
	}
	if ((wants & WANT_OUTPUT) && o->output) {
		ret = open_dir_of(o->output);
		b->output_dfd = ret < 0 ? -1 : ret;
		b->output_err = ret < 0 ? -ret : 0;
	}
	/* read by every command that observes (shadowing, rollback) */
	if (wants & WANT_STATE) {
		ret = persist_open_dir(o->persist_dir);
		b->persist_dfd = ret < 0 ? -1 : ret;
		b->persist_err = ret < 0 ? -ret : 0;
	}
	if (role == ROLE_WRITER && (ret = open_writer(o, t, b)) != 0)
		return ret;
	if (b->role == ROLE_WRITER) {
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
		const int dirs[] = { b->netfd,
				     b->persist_writable ? b->persist_dfd : -1,
				     b->audit_dfd, b->state_dfd,
				     b->output_dfd };

		privs_sandbox(dirs, ARRAY_SIZE(dirs), &b->sandbox);
	}
	if (hook_after_sandbox)
		hook_after_sandbox();
	return 0;
}

int boundary_permitted(const struct boundary *b)
{
	if (!b->not_permitted)
		return 0;
	log_err("needs CAP_NET_ADMIN to change sysctls (run as root)");
	return EX_NOPERM;
}

/*
 * One directory's lock, waited for up to wait seconds after start
 * (CLOCK_MONOTONIC); -errno, said unless quiet and merely held.
 */
static int lock_dir(int dfd, const char *what, const char *path, double start,
		    double wait, bool quiet, bool *said)
{
	struct timespec now;

	while (flock(dfd, LOCK_EX | LOCK_NB) < 0) {
		struct timespec nap = { .tv_nsec = 10 * 1000 * 1000 };
		int e = errno;
		double waited;

		if (e == EINTR)
			continue;
		clock_gettime(CLOCK_MONOTONIC, &now);
		waited = util_timespec_seconds(&now) - start;
		if (e != EWOULDBLOCK || waited >= wait) {
			if (!quiet || e != EWOULDBLOCK)
				log_err("lock on %s %s: %s", what, path,
					e == EWOULDBLOCK
						? "another twtune is changing this host; try again later"
						: strerror(e));
			return -e;
		}
		if (!*said && !quiet && waited >= 1) {
			log_notice(
				"waiting for another twtune run to finish (lock on %s %s)",
				what, path);
			*said = true;
		}
		nanosleep(&nap, NULL);
	}
	return 0;
}

/* Whether two descriptors are the same directory (one lock is enough). */
static bool same_file(int a, int b)
{
	struct stat sa, sb;

	return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 &&
	       sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

int boundary_lock(struct boundary *b, const struct options *o, double wait,
		  bool quiet)
{
	struct timespec ts;
	bool said = false;
	double start;
	char *dir;
	int ret;

	if (b->audit_dfd < 0)
		return 0; /* no audit log: the run cannot write anything */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	start = util_timespec_seconds(&ts);
	/* always in this order, so that two runs never wait on each other */
	dir = util_dirname(o->audit_log);
	ret = lock_dir(b->audit_dfd, "the audit log's directory", dir, start,
		       wait, quiet, &said);
	free(dir);
	if (ret == 0 && b->persist_writable && b->persist_dfd >= 0 &&
	    !same_file(b->persist_dfd, b->audit_dfd)) {
		ret = lock_dir(b->persist_dfd, "the persist directory",
			       o->persist_dir, start, wait, quiet, &said);
		if (ret < 0)
			flock(b->audit_dfd, LOCK_UN);
	}
	return ret;
}

void boundary_unlock(struct boundary *b)
{
	if (b->persist_writable && b->persist_dfd >= 0)
		flock(b->persist_dfd, LOCK_UN);
	if (b->audit_dfd >= 0)
		flock(b->audit_dfd, LOCK_UN);
}

void boundary_close(struct boundary *b)
{
	int *fds[] = { &b->netfd, &b->persist_dfd, &b->audit_dfd, &b->state_dfd,
		       &b->output_dfd };

	/* directories and a lock file: nothing written through them */
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}
