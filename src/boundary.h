/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The privilege boundary, crossed in one place by every command before it
 * opens or parses any input it did not need root to open (policies, the
 * state file, the audit log): open the directories the command may write
 * beneath, then drop every capability (a writer keeps CAP_NET_ADMIN), set
 * no_new_privs and confine writes with Landlock to those directories.
 */
#ifndef TWTUNE_BOUNDARY_H
#define TWTUNE_BOUNDARY_H

#include <stdbool.h>

#include "options.h"
#include "privs.h"
#include "target.h"

enum role {
	ROLE_READER, /* changes nothing: every capability goes */
	ROLE_WRITER, /* writes sysctls: keeps CAP_NET_ADMIN */
};

/* What a command may write besides /proc/sys/net (a writer's). */
enum boundary_wants {
	WANT_STATE = 1u << 0,  /* the state file's directory */
	WANT_OUTPUT = 1u << 1, /* --output's directory, when given */
};

struct boundary {
	enum role role;
	bool not_permitted;    /* a writer without CAP_NET_ADMIN: see below */
	int netfd;	       /* /proc/sys/net of the target (writers) */
	int persist_dfd;       /* the persist directory (read by all) */
	bool persist_writable; /* and written (writers, not --no-persist) */
	int audit_dfd;	       /* the audit log's directory (writers) */
	int state_dfd;	       /* the state file's directory */
	int output_dfd;	       /* --output's directory */
	int persist_err, audit_err, output_err; /* why one is -1 (errno) */
	struct sandbox sandbox;
};

/*
 * Cross it (t may be NULL for a command that has no target).  A writer
 * on the live /proc without CAP_NET_ADMIN crosses as a reader, and
 * boundary_permitted() then says so: the command reports what is wrong
 * with its policies (65) before it says it is not permitted (77).
 * Returns an exit code: 0 or EXIT_FAILED, with the reason said.
 */
int boundary_cross(const struct options *o, const struct target *t,
		   enum role role, unsigned wants, struct boundary *b);

/* EX_NOPERM (said) for a writer that may not write, else 0. */
int boundary_permitted(const struct boundary *b);

/* Every descriptor closed (-1), before anything is opened. */
void boundary_init(struct boundary *b);

/*
 * Take the writers' lock, waiting up to wait seconds for another run to
 * finish (quiet: say nothing while waiting or when it is held).  It is
 * held on what writers share, the audit log's directory and the persist
 * directory (in that order), so that runs with other state files are
 * serialised too; and for the whole of a run, so that a run that finds
 * an intent without its result under it knows that run's process is
 * gone.  The kernel drops it when its holder exits, however it exits.
 * 0, -EWOULDBLOCK when another run holds it (said unless quiet), or
 * another -errno (always said).
 */
int boundary_lock(struct boundary *b, const struct options *o, double wait,
		  bool quiet);
void boundary_unlock(struct boundary *b);

void boundary_close(struct boundary *b);

#endif
