/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What a command acts on: a network namespace (the caller's, or the one
 * --netns names, entered first) and the /proc it is seen through (the
 * real one, or a fixture tree given with --proc).
 */
#ifndef TWTUNE_TARGET_H
#define TWTUNE_TARGET_H

#include <stdbool.h>

#include "nsopen.h"
#include "options.h"

struct target {
	int procfd;	   /* --proc */
	bool real_proc;	   /* it is a procfs, not a fixture tree */
	const char *netns; /* --netns as given, or NULL */
	int rootfd;	   /* --root, for the syslog files; -1 if unopened */
	/*
	 * The live kernel's log, read while still privileged, and only on
	 * a kernel without the overflow counter: /dev/kmsg records (3.5+)
	 * or the syslog(2) ring buffer; NULL when not read, and why.
	 */
	char *kmsg_text, *dmesg_text;
	char log_error[160];
	/*
	 * The network namespace of PID 1 (as twtune's PID namespace sees
	 * it), which the boot applies sysctl.d to; 0 when unknown.  And the
	 * one twtune acts on (--netns, or its own).
	 */
	unsigned long long pid1_netns, netns_ino;
	/*
	 * The opener, started before the privilege drop: --all-netns's, or
	 * the helper that names the owners of sockets (report and apply
	 * with a socket dump, when twtune may give it CAP_SYS_PTRACE and
	 * CAP_DAC_READ_SEARCH); and
	 * why there is no helper when there is none.
	 */
	struct nsopener opener;
	char no_helper[160];
};

/*
 * Enter --netns (needs CAP_SYS_ADMIN), then open --proc: /proc/net
 * follows the namespace of the process that reads it; and --root.  On a
 * live kernel that has no TCPTimeWaitOverflow counter, read its log too
 * (it may need CAP_SYSLOG, which is dropped later).  Returns an exit
 * code: 0, 1, or EX_NOPERM when entering was not permitted.
 */
/*
 * Open the target; helper: the command may start the helper that names
 * the owners of sockets (a one-shot report or apply).
 */
int target_open(const struct options *o, struct target *t, bool helper);

void target_close(struct target *t);

#endif
