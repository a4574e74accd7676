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

#include "sockdiag.h"

struct owner_env {
	int procfd;		 /* /proc of the caller's pid namespace */
	const char *cgroup_root; /* the cgroup2 mount; NULL: from mounts */
	/*
	 * Landlock confines twtune: it also keeps it from other processes'
	 * /proc/PID/fd (Landlock's ptrace rule, Linux 5.13+), so the inode
	 * is not looked for.
	 */
	bool sandboxed;
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
