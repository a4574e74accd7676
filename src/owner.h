/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Names the process, systemd unit or container behind each cause of
 * TIME_WAIT (see sockdiag.h): from the cgroup v2 id the kernel gives with
 * a listener or an open connection (the directory of that id under the
 * cgroup2 mount, its cgroup.procs, their comm and uid), and, where /proc
 * lets twtune read other processes' descriptors, from the socket inode in
 * /proc/PID/fd, as ss -p does.  Runs without any capability: a process
 * that cannot be named is said to be, with the reason.  Bounded in the
 * directories, processes and descriptors it reads, and in time.
 */
#ifndef TWTUNE_OWNER_H
#define TWTUNE_OWNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sockdiag.h"

/* The bounds of a search for a socket in /proc/PID/fd, and its outcome. */
struct fd_search {
	size_t fds_left;    /* descriptors it may still read */
	double deadline;    /* CLOCK_MONOTONIC seconds */
	size_t fds_read;    /* out: descriptors read */
	int refused;	    /* out: the first pid whose fds were closed to it */
	bool out_of_budget; /* out: it stopped at a bound */
};

/*
 * The index in pids[0..n) of the process holding socket:[inode], found
 * through procfd (a /proc), or -1.  Reads at most s->fds_left links, and
 * stops at s->deadline.
 */
int owner_find_inode(int procfd, const int *pids, size_t n, uint32_t inode,
		     struct fd_search *s);

struct owner_env {
	int procfd;		 /* /proc of the caller's pid namespace */
	const char *cgroup_root; /* the cgroup2 mount; NULL: from mounts */
	/*
	 * Landlock confines twtune: it also keeps it from other processes'
	 * /proc/PID/fd (Landlock's ptrace rule, Linux 5.13+), so the inode
	 * is not looked for by twtune itself.
	 */
	bool sandboxed;
	/*
	 * A process that can read other processes' /proc/PID/fd (twtune's
	 * helper, started before the privilege drop with CAP_SYS_PTRACE
	 * and CAP_DAC_READ_SEARCH only; see nsopen.h) and does the search
	 * for twtune, or NULL.
	 * Returns as owner_find_inode(), or -2 when the helper failed.
	 */
	int (*find)(void *ctx, const int *pids, size_t n, uint32_t inode,
		    struct fd_search *s);
	void *find_ctx;
	/* why there is no helper when there is none, or NULL */
	const char *no_helper;
};

/*
 * Fill process, pid, unit and how of every cause in st from its owners.
 * Never fails: what cannot be read is said in how.
 */
void owner_name_causes(struct sock_stats *st, const struct owner_env *env);

/*
 * The cgroup2 mount point from the text of /proc/self/mounts into out
 * (octal escapes undone); -ENOENT when there is none.
 */
int owner_cgroup2_mount(const char *mounts, char *out, size_t outlen);

#endif
