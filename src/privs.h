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

/* Drop every capability (report). */
int privs_drop_all(char *err, size_t errlen);

/*
 * Keep only CAP_NET_ADMIN in the effective, permitted and bounding sets
 * (when we have it), clear inheritable and ambient, set no_new_privs.
 */
int privs_keep_net_admin(char *err, size_t errlen);

/* Effective capabilities as text, e.g. "net_admin" or "none". */
char *privs_effective_text(void);

/*
 * Confine writes with Landlock to beneath the given directory fds
 * (negative ones are skipped).  Fills
 * desc with what was done ("landlock ABI 4" or "none: <why>"); failing to
 * sandbox is reported, not fatal, as SPEC section 6 asks.
 */
void privs_sandbox(const int *dirfds, size_t n, char *desc, size_t len);

#endif
