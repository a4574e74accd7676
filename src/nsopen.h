/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Every network namespace from one unprivileged process: the namespace
 * opener.  Entering a namespace (setns) needs CAP_SYS_ADMIN, and finding
 * the ones only processes hold needs to read their /proc/PID/ns/net
 * (CAP_SYS_PTRACE for other users' processes); twtune itself gives up
 * both before it reads any input.  So before the drop it forks a small
 * opener that keeps only those two, sandboxed, and that does nothing but
 * discover namespaces and, on request, enter one, open the files twtune
 * reads there and a sock_diag socket, and hand the descriptors back over
 * a socket (SCM_RIGHTS).  A /proc/net file or a sysctl file opened inside
 * a namespace stays bound to it, so the unprivileged side reads (and, with
 * CAP_NET_ADMIN, writes) each namespace through its descriptors without
 * ever entering one.  The opener parses no input but the kernel's own
 * /proc and twtune's fixed-size requests, and exits with twtune.
 *
 * The same process, started with CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH
 * alone, is the helper that finds which process holds a socket (its
 * inode in /proc/PID/fd), which twtune cannot do itself once Landlock
 * confines it.
 */
#ifndef TWTUNE_NSOPEN_H
#define TWTUNE_NSOPEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netns.h"
#include "util.h"

/* The net files of one namespace, in this order. */
enum nsview_file {
	NV_SOCKSTAT,
	NV_SOCKSTAT6,
	NV_NETSTAT,
	NV_SNMP,
	NV_FILES
};

/* At most this many sysctls are opened in one namespace. */
#define NSVIEW_KEYS_MAX 64

/* One namespace, seen through descriptors opened inside it. */
struct nsview {
	unsigned long long ino, dev;
	int net[NV_FILES];  /* -1 where the kernel has no such file */
	char **keys;	    /* the sysctls asked for ... */
	int *key_fds;	    /* ... and their files, -1 where absent */
	bool *key_writable; /* opened for writing */
	size_t n_keys;
	int diag;		   /* a NETLINK_SOCK_DIAG socket in it, or -1 */
	unsigned long long cookie; /* its cookie, 0: unknown */
};

struct nsopener {
	int pid; /* the opener, 0 when none */
	int sock;
	bool netns; /* it opens namespaces (else it only finds sockets) */
};

/*
 * Fork the opener (call before the privilege drop).  With netns set it
 * keeps CAP_SYS_ADMIN and CAP_SYS_PTRACE (--all-netns); without, only
 * CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH, and serves nsopen_find_inode()
 * alone: the helper that names the owners of sockets.  Either way
 * no_new_privs.  0 or -errno, said in err.
 */
int nsopen_start(struct nsopener *op, bool netns, char *err, size_t errlen);

/*
 * owner_find_inode() (see owner.h) in the opener, which can read every
 * process's /proc/PID/fd: ctx is the struct nsopener.  The index, -1, or
 * -2 when the opener failed.
 */
struct fd_search;
int nsopen_find_inode(void *ctx, const int *pids, size_t n, uint32_t inode,
		      struct fd_search *s);

/*
 * Every network namespace of the host (netns_discover() in the opener).
 * 0 or -errno.
 */
int nsopen_discover(struct nsopener *op, struct netns_list *out,
		    struct msgs *warnings);

/*
 * Enter e's namespace in the opener and open its net files, the sysctls
 * in keys (for writing too when write is set, where the kernel allows),
 * and a sock_diag socket when diag is set.  A namespace that has gone
 * away, or whose path now names another one, is -ENOENT.  0 or -errno.
 */
int nsopen_view(struct nsopener *op, const struct netns_entry *e,
		const char *const *keys, size_t n_keys, bool write, bool diag,
		struct nsview *out);

/*
 * nsopen_view() in two halves, so that the opener opens the next
 * namespace while the caller reads this one: ask sends the request, take
 * receives its answer.  Every request asked must be taken, in order.
 */
int nsopen_view_ask(struct nsopener *op, const struct netns_entry *e,
		    const char *const *keys, size_t n_keys, bool write,
		    bool diag);
int nsopen_view_take(struct nsopener *op, const struct netns_entry *e,
		     const char *const *keys, size_t n_keys,
		     struct nsview *out);

void nsview_close(struct nsview *v);

/* The descriptor of key in v, or -1. */
int nsview_key_fd(const struct nsview *v, const char *key);

/* Ends the opener (it also dies with twtune). */
void nsopen_stop(struct nsopener *op);

#endif
