/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What a command acts on: a network namespace (the caller's, or the one
 * --netns names, entered first) and the /proc it is seen through (the
 * real one, or a fixture tree given with --proc).
 */
#ifndef TWTUNE_TARGET_H
#define TWTUNE_TARGET_H

#include <stdbool.h>

#include "options.h"

struct target {
	int procfd;	   /* --proc */
	bool real_proc;	   /* it is a procfs, not a fixture tree */
	const char *netns; /* --netns as given, or NULL */
};

/*
 * Enter --netns (needs CAP_SYS_ADMIN), then open --proc: /proc/net
 * follows the namespace of the process that reads it.  Returns an exit
 * code: 0, 1, or EX_NOPERM when entering was not permitted.
 */
int target_open(const struct options *o, struct target *t);

void target_close(struct target *t);

#endif
