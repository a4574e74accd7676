/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Finds every network namespace on the host once: the caller's own, the
 * named ones (ip netns), those container runtimes bind-mount, and those
 * only processes hold, each with a cheap name (its bind-mount name, the
 * lowest pid in it with its comm, and that process's container, pod and
 * unit from cgname.c).  Read-only and without privilege changes: run as
 * root to see every process's namespace.
 */
#ifndef TWTUNE_NETNS_H
#define TWTUNE_NETNS_H

#include <stdbool.h>
#include <stddef.h>

#include "cgname.h"
#include "util.h"

struct netns_entry {
	/* the namespace's identity: the nsfs inode's device and number */
	unsigned long long ino;
	unsigned long long dev;
	/*
	 * The bind-mount name, NULL if none: "NAME" for RUN/netns/NAME (ip
	 * netns, CNI's cni-<uuid>), "docker/ID" for RUN/docker/netns/ID,
	 * "user/UID/NAME" for RUN/user/UID/netns/NAME.  The file name as it
	 * is: escape it before printing.
	 */
	char *name;
	/*
	 * A path that opens the namespace: the bind mount, else
	 * PROC/PID/ns/net.  A pid can exit and its number be reused: compare
	 * fstat()'s st_dev and st_ino of what was opened with dev and ino.
	 */
	char *path;
	int pid;       /* the lowest pid in it, 0 if none was found */
	char comm[16]; /* that process's comm, printable ASCII; "" if none */
	bool self;     /* the caller's own namespace */
	struct cg_identity id; /* from that process's cgroup; CG_NONE if none */
};

struct netns_list {
	struct netns_entry *v;
	size_t n;
};

/*
 * Discover every network namespace once, deduplicated by identity: the
 * caller's own (PROC/self/ns/net), the bind mounts in RUN/netns,
 * RUN/docker/netns, RUN/user/UID/netns and ROOT/var/run/docker/netns
 * (where ROOT/var/run is another directory than RUN, ROOT being RUN's
 * parent), and those held by processes: one readdir of PROC, one readlink
 * of PROC/PID/ns/net per process (threads are not listed), and comm and
 * cgroup read only for the lowest pid of each namespace.
 *
 * proc and run default to "/proc" and "/run" when NULL.  Processes that
 * exit meanwhile and files that are not namespaces (a leftover file in
 * RUN/netns, a rootless runtime's mount point seen from outside its mount
 * namespace) are skipped silently; entries that cannot be read are
 * counted, and reported once per cause in warnings (which may be NULL).
 *
 * The result is ordered: the caller's own namespace first, then the named
 * ones by name, then the others by inode.  Returns 0, or -errno when PROC
 * or the caller's own namespace cannot be read (then *out is empty).
 *
 * Test trees: where PROC/self/ns/net is a symlink whose target does not
 * exist, every namespace link (PROC/PID/ns/net and the bind-mount files)
 * is read as such a symlink to "net:[INODE]", with dev 0.
 */
int netns_discover(const char *proc, const char *run, struct netns_list *out,
		   struct msgs *warnings);

void netns_list_free(struct netns_list *l);

#endif
