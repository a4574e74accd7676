// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Capabilities with libcap-ng, no_new_privs, and Landlock through its raw
 * system calls (glibc has no wrappers and no library is needed).
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
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

#include "hooks.h"
#include "privs.h"
#include "util.h"

bool privs_have_net_admin(void)
{
	capng_get_caps_process();
	return capng_have_capability(CAPNG_PERMITTED, CAP_NET_ADMIN);
}

bool privs_have_helper_caps(void)
{
	capng_get_caps_process();
	return capng_have_capability(CAPNG_PERMITTED, CAP_SYS_PTRACE) &&
	       capng_have_capability(CAPNG_PERMITTED, CAP_DAC_READ_SEARCH);
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
	struct __user_cap_data_struct d[2] = { 0 };

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

/* Not confined, and why. */
static void none(struct sandbox *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void none(struct sandbox *sb, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	sb->state = SANDBOX_NONE;
	sb->abi = 0;
	n = (size_t)snprintf(sb->text, sizeof(sb->text), "none: ");
	va_start(ap, fmt);
	vsnprintf(sb->text + n, sizeof(sb->text) - n, fmt, ap);
	va_end(ap);
}

#ifdef HAVE_LINUX_LANDLOCK_H
/*
 * Rights and fields newer than the oldest headers we build with (Debian
 * 12's describe ABI 2); the values are part of the kernel's ABI.
 */
#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13)
#endif
#define TW_LL_FS_TRUNCATE (1ULL << 14)	      /* ABI 3 */
#define TW_LL_FS_IOCTL_DEV (1ULL << 15)	      /* ABI 5 */
#define TW_LL_NET_BIND_TCP (1ULL << 0)	      /* ABI 4 */
#define TW_LL_NET_CONNECT_TCP (1ULL << 1)     /* ABI 4 */
#define TW_LL_SCOPE_ABSTRACT_UNIX (1ULL << 0) /* ABI 6 */
#define TW_LL_SCOPE_SIGNAL (1ULL << 1)	      /* ABI 6 */

/* struct landlock_ruleset_attr as of ABI 6; its size tells the kernel
 * which fields we fill */
struct tw_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};

/*
 * Confine writes to what is beneath dirfds, with every right the running
 * kernel can enforce: file-system changes (ABI 1-3), device ioctls (5),
 * TCP bind and connect (4: twtune never needs either; its only socket is
 * netlink), and abstract unix sockets and signals to processes outside
 * the sandbox (6).  Reading stays allowed everywhere.
 */
void privs_sandbox(const int *dirfds, size_t n, struct sandbox *sb)
{
	/* every right that changes the file system; reads stay allowed */
	uint64_t write_rights =
		LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR |
		LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_CHAR |
		LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG |
		LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO |
		LANDLOCK_ACCESS_FS_MAKE_BLOCK | LANDLOCK_ACCESS_FS_MAKE_SYM;
	uint64_t dir_rights;
	struct tw_ruleset_attr attr = { 0 };
	size_t attr_size = sizeof(attr.handled_access_fs);
	long abi, fd;

	abi = syscall(SYS_landlock_create_ruleset, NULL, 0,
		      LANDLOCK_CREATE_RULESET_VERSION);
	if (hook_no_landlock && hook_no_landlock()) {
		abi = -1;
		errno = ENOSYS;
	}
	if (abi < 0) {
		none(sb, "Landlock unavailable (%s)", strerror(errno));
		return;
	}
	if (abi >= 2)
		write_rights |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		write_rights |= TW_LL_FS_TRUNCATE;
	/* ioctls on devices are never needed, not even beneath dirfds */
	dir_rights = write_rights;
	if (abi >= 5)
		write_rights |= TW_LL_FS_IOCTL_DEV;
	attr.handled_access_fs = write_rights;
	if (abi >= 4) {
		attr.handled_access_net = TW_LL_NET_BIND_TCP |
					  TW_LL_NET_CONNECT_TCP;
		attr_size = offsetof(struct tw_ruleset_attr, scoped);
	}
	if (abi >= 6) {
		attr.scoped = TW_LL_SCOPE_ABSTRACT_UNIX | TW_LL_SCOPE_SIGNAL;
		attr_size = sizeof(attr);
	}
	fd = syscall(SYS_landlock_create_ruleset, &attr, attr_size, 0);
	if (fd < 0) {
		none(sb, "landlock_create_ruleset: %s", strerror(errno));
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (dirfds[i] < 0)
			continue; /* not used in this run, e.g. --no-persist */
		struct landlock_path_beneath_attr pb = {
			.allowed_access = dir_rights,
			.parent_fd = dirfds[i],
		};

		if (syscall(SYS_landlock_add_rule, (int)fd,
			    LANDLOCK_RULE_PATH_BENEATH, &pb, 0) < 0) {
			none(sb, "landlock_add_rule: %s", strerror(errno));
			close((int)fd);
			return;
		}
	}
	/* no_new_privs is already set by privs_keep_net_admin() */
	if (syscall(SYS_landlock_restrict_self, (int)fd, 0) < 0) {
		none(sb, "landlock_restrict_self: %s", strerror(errno));
		close((int)fd);
		return;
	}
	close((int)fd);
	sb->state = SANDBOX_LANDLOCK;
	sb->abi = abi;
	snprintf(sb->text, sizeof(sb->text), "landlock ABI %ld", abi);
}
#else
void privs_sandbox(const int *dirfds, size_t n, struct sandbox *sb)
{
	(void)dirfds;
	(void)n;
	none(sb, "built without Landlock headers");
}
#endif
