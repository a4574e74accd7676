/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Privileges: the only module that touches capabilities (libcap-ng),
 * no_new_privs and the Landlock sandbox.
 */
#ifndef TWTUNE_PRIVS_H
#define TWTUNE_PRIVS_H

#include <stdbool.h>
#include <stddef.h>

/* Whether CAP_NET_ADMIN is in our permitted set. */
bool privs_have_net_admin(void);

/*
 * Whether CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH are in our permitted set
 * (what the helper that names sockets' owners keeps).
 */
bool privs_have_helper_caps(void);

/* Drop every capability (report). */
int privs_drop_all(char *err, size_t errlen);

/*
 * Keep only CAP_NET_ADMIN in the effective, permitted and bounding sets
 * (when we have it), clear inheritable and ambient, set no_new_privs.
 */
int privs_keep_net_admin(char *err, size_t errlen);

/* Effective capabilities as text, e.g. "net_admin" or "none". */
char *privs_effective_text(void);

enum sandbox_state {
	SANDBOX_UNSET,	  /* not tried (yet) */
	SANDBOX_LANDLOCK, /* confined by Landlock */
	SANDBOX_NONE,	  /* could not be confined: text says why */
};

struct sandbox {
	enum sandbox_state state;
	long abi;	/* Landlock ABI version in force */
	char text[160]; /* "landlock ABI 6" or "none: <why>" */
};

/*
 * Confine writes with Landlock to beneath the given directory fds
 * (negative ones are skipped).  Failing to sandbox is reported in sb,
 * not fatal: twtune goes on and says so in its report and audit record.
 */
void privs_sandbox(const int *dirfds, size_t n, struct sandbox *sb);

#endif
