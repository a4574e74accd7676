// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Capabilities with libcap-ng, no_new_privs, and Landlock through its raw
 * system calls (glibc has no wrappers and no library is needed).
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cap-ng.h>
#include <linux/capability.h>
#ifdef HAVE_LINUX_LANDLOCK_H
#include <linux/landlock.h>
#endif

#include "privs.h"
#include "util.h"

bool privs_have_net_admin(void)
{
	capng_get_caps_process();
	return capng_have_capability(CAPNG_PERMITTED, CAP_NET_ADMIN);
}

static int apply(bool keep_net_admin, char *err, size_t errlen)
{
	bool net_admin, setpcap;
	capng_select_t sel = CAPNG_SELECT_CAPS;

	if (capng_get_caps_process() < 0) {
		snprintf(err, errlen, "cannot read our capabilities");
		return -EPERM;
	}
	net_admin = capng_have_capability(CAPNG_PERMITTED, CAP_NET_ADMIN);
	setpcap = capng_have_capability(CAPNG_EFFECTIVE, CAP_SETPCAP);
	capng_clear(CAPNG_SELECT_ALL);
	if (keep_net_admin && net_admin &&
	    capng_update(CAPNG_ADD,
			 CAPNG_EFFECTIVE | CAPNG_PERMITTED | CAPNG_BOUNDING_SET,
			 CAP_NET_ADMIN) < 0) {
		snprintf(err, errlen, "cannot keep CAP_NET_ADMIN");
		return -EPERM;
	}
	/* shrinking the bounding set needs CAP_SETPCAP; ambient is cleared
	 * with the capability sets either way */
	if (setpcap)
		sel = CAPNG_SELECT_ALL;
	else
		sel = CAPNG_SELECT_CAPS | CAPNG_SELECT_AMBIENT;
	if (capng_apply(sel) < 0) {
		snprintf(err, errlen, "cannot drop capabilities");
		return -EPERM;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		snprintf(err, errlen, "no_new_privs: %s", strerror(errno));
		return -errno;
	}
	/* check, do not trust: the effective set must now be exactly that */
	capng_get_caps_process();
	for (unsigned c = 0; c <= CAP_LAST_CAP; c++) {
		bool want = keep_net_admin && net_admin && c == CAP_NET_ADMIN;

		if (capng_have_capability(CAPNG_EFFECTIVE, c) != want ||
		    capng_have_capability(CAPNG_PERMITTED, c) != want) {
			snprintf(err, errlen,
				 "capability %u still held after dropping", c);
			return -EPERM;
		}
	}
	return 0;
}

/* Effective and permitted sets straight from the kernel (one syscall). */
static int current_caps(uint64_t *eff, uint64_t *perm)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d) < 0)
		return -errno;
	*eff = (uint64_t)d[1].effective << 32 | d[0].effective;
	*perm = (uint64_t)d[1].permitted << 32 | d[0].permitted;
	return 0;
}

/*
 * report: empty the effective and permitted sets (and ambient), then
 * no_new_privs, so nothing can come back through exec.  The bounding set
 * is left alone here: with nothing permitted and no_new_privs it grants
 * nothing, and reading and clearing it costs some 80 system calls on
 * every report.
 */
int privs_drop_all(char *err, size_t errlen)
{
	uint64_t eff, perm;

	if (current_caps(&eff, &perm) < 0) {
		snprintf(err, errlen, "cannot read our capabilities");
		return -EPERM;
	}
	if (eff || perm) {
		capng_clear(CAPNG_SELECT_BOTH);
		if (capng_apply(CAPNG_SELECT_CAPS | CAPNG_SELECT_AMBIENT) < 0) {
			snprintf(err, errlen, "cannot drop capabilities");
			return -EPERM;
		}
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		snprintf(err, errlen, "no_new_privs: %s", strerror(errno));
		return -errno;
	}
	if (current_caps(&eff, &perm) < 0 || eff || perm) {
		snprintf(err, errlen, "capabilities still held after dropping");
		return -EPERM;
	}
	return 0;
}

int privs_keep_net_admin(char *err, size_t errlen)
{
	return apply(true, err, errlen);
}

char *privs_effective_text(void)
{
	char *s;

	capng_get_caps_process();
	s = capng_print_caps_text(CAPNG_PRINT_BUFFER, CAPNG_EFFECTIVE);
	if (!s)
		return xstrdup("none");
	return s;
}

#ifdef HAVE_LINUX_LANDLOCK_H
#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13)
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif

void privs_sandbox(const int *dirfds, size_t n, char *desc, size_t len)
{
	/* every right that changes the file system; reads stay allowed */
	uint64_t write_rights =
		LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR |
		LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_CHAR |
		LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG |
		LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO |
		LANDLOCK_ACCESS_FS_MAKE_BLOCK | LANDLOCK_ACCESS_FS_MAKE_SYM;
	struct landlock_ruleset_attr attr = { 0 };
	long abi, fd;

	abi = syscall(SYS_landlock_create_ruleset, NULL, 0,
		      LANDLOCK_CREATE_RULESET_VERSION);
	if (abi < 0) {
		snprintf(desc, len, "none: Landlock unavailable (%s)",
			 strerror(errno));
		return;
	}
	if (abi >= 2)
		write_rights |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		write_rights |= LANDLOCK_ACCESS_FS_TRUNCATE;
	attr.handled_access_fs = write_rights;
	fd = syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	if (fd < 0) {
		snprintf(desc, len, "none: landlock_create_ruleset: %s",
			 strerror(errno));
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (dirfds[i] < 0)
			continue; /* not used in this run, e.g. --no-persist */
		struct landlock_path_beneath_attr pb = {
			.allowed_access = write_rights,
			.parent_fd = dirfds[i],
		};

		if (syscall(SYS_landlock_add_rule, (int)fd,
			    LANDLOCK_RULE_PATH_BENEATH, &pb, 0) < 0) {
			snprintf(desc, len, "none: landlock_add_rule: %s",
				 strerror(errno));
			close((int)fd);
			return;
		}
	}
	/* no_new_privs is already set by privs_keep_net_admin() */
	if (syscall(SYS_landlock_restrict_self, (int)fd, 0) < 0) {
		snprintf(desc, len, "none: landlock_restrict_self: %s",
			 strerror(errno));
		close((int)fd);
		return;
	}
	close((int)fd);
	snprintf(desc, len, "landlock ABI %ld", abi);
}
#else
void privs_sandbox(const int *dirfds, size_t n, char *desc, size_t len)
{
	(void)dirfds;
	(void)n;
	snprintf(desc, len, "none: built without Landlock headers");
}
#endif
