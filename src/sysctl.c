// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One sysctl at a time, through a descriptor for /proc/sys/net.  openat2()
 * with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS keeps every lookup inside that
 * directory; on kernels without openat2 (before 5.6) we fall back to
 * openat() with O_NOFOLLOW, having already refused ".." and "/" in keys.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sysctl.h"
#include "util.h"

bool sysctl_key_valid(const char *key, const char **why)
{
	const char *p;

	if (strncmp(key, "net.", 4) != 0) {
		*why = "only keys under net. can be managed";
		return false;
	}
	if (strlen(key) >= SYSCTL_KEY_MAX) {
		*why = "key is too long";
		return false;
	}
	for (p = key; *p; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		      *p == '_' || *p == '.' || *p == '-')) {
			*why = "key may only hold [a-z0-9_.-]";
			return false;
		}
	}
	if (strstr(key, "..") || key[strlen(key) - 1] == '.') {
		*why = "key has an empty component";
		return false;
	}
	return true;
}

void sysctl_key_normalize(char *key)
{
	/*
	 * sysctl.d allows '/' as separator; then '.' inside a component
	 * (a VLAN interface) is literal, which dotted form cannot express,
	 * so such keys simply never match a key twtune manages.
	 */
	if (!strchr(key, '/'))
		return;
	for (char *p = key; *p; p++)
		if (*p == '/')
			*p = '.';
}

int sysctl_open_net(int procfd)
{
	int fd = openat(procfd, "sys/net", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/*
 * Without openat2(): open one component at a time with O_NOFOLLOW, since
 * O_NOFOLLOW alone would only protect the last one.  A symbolic link
 * anywhere is refused with -EPERM.
 */
static int open_walk(int netfd, char *path, int flags)
{
	int dfd = netfd, fd;
	char *part = path, *slash;

	while ((slash = strchr(part, '/'))) {
		*slash = '\0';
		fd = openat(dfd, part,
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			fd = -(errno == ELOOP || errno == ENOTDIR ? EPERM
								  : errno);
		if (dfd != netfd)
			close(dfd);
		if (fd < 0)
			return fd;
		dfd = fd;
		part = slash + 1;
	}
	fd = openat(dfd, part, flags | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		fd = -(errno == ELOOP ? EPERM : errno);
	if (dfd != netfd)
		close(dfd);
	return fd;
}

static int open_key(int netfd, const char *key, int flags)
{
	char path[SYSCTL_KEY_MAX];
	struct open_how how = {
		.flags = (unsigned long long)(flags | O_CLOEXEC | O_NOFOLLOW),
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
			   RESOLVE_NO_MAGICLINKS,
	};
	const char *why;
	long fd;

	if (!sysctl_key_valid(key, &why))
		return -EINVAL;
	snprintf(path, sizeof(path), "%s", key + 4);
	for (char *p = path; *p; p++)
		if (*p == '.')
			*p = '/';
	fd = syscall(SYS_openat2, netfd, path, &how, sizeof(how));
	if (fd < 0 && (errno == ENOSYS || errno == E2BIG))
		return open_walk(netfd, path, flags);
	if (fd < 0)
		return errno == ELOOP ? -EPERM : -errno;
	return (int)fd;
}

int sysctl_open(int netfd, const char *key, int flags)
{
	return open_key(netfd, key, flags);
}

int sysctl_read_fd(int fd, char *raw, size_t rawlen)
{
	struct stat st;
	ssize_t n;

	if (fstat(fd, &st) < 0)
		st.st_mode = 0;
	if (!S_ISREG(st.st_mode))
		return S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
	/* from the start every time: a sysctl is read whole per read(2) */
	do
		n = pread(fd, raw, rawlen - 1, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if ((size_t)n == rawlen - 1)
		return -EFBIG;
	raw[n] = '\0';
	while (n > 0 && (raw[n - 1] == '\n' || raw[n - 1] == ' '))
		raw[--n] = '\0';
	return 0;
}

int sysctl_read(int netfd, const char *key, char *raw, size_t rawlen)
{
	int fd, ret;

	/* O_NONBLOCK: a FIFO planted in a fixture tree must not hang us */
	fd = open_key(netfd, key, O_RDONLY | O_NONBLOCK);
	if (fd < 0)
		return fd;
	ret = sysctl_read_fd(fd, raw, rawlen);
	close(fd); /* read-only */
	return ret;
}

int sysctl_parse_int(const char *raw, long long *out)
{
	return util_parse_ll(raw, out);
}

/* One write(2) of value at the start: the kernel parses a sysctl per call. */
static int write_value(int fd, long long value)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%lld\n", value);
	struct stat st;
	ssize_t w;

	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return -EINVAL;
	do
		w = pwrite(fd, buf, (size_t)n, 0);
	while (w < 0 && errno == EINTR);
	if (w < 0)
		return -errno;
	if (w != n)
		return -EIO;
	/* a fixture tree's plain file holds only what was written (a
	 * sysctl file reports no size, and is never cut) */
	if (st.st_size > n && ftruncate(fd, n) < 0)
		return -errno;
	return 0;
}

/* Read back what was written: -EILSEQ when the kernel holds another. */
static int check_back(int fd, long long value)
{
	char back[64];
	long long got;
	int ret = sysctl_read_fd(fd, back, sizeof(back));

	if (ret)
		return ret;
	if (sysctl_parse_int(back, &got) < 0 || got != value)
		return -EILSEQ;
	return 0;
}

int sysctl_set(int netfd, const char *key, long long value, bool *written)
{
	int fd, ret;

	*written = false;
	fd = open_key(netfd, key, O_RDWR | O_NONBLOCK);
	if (fd == -EACCES || fd == -EPERM || fd == -EINVAL)
		fd = open_key(netfd, key, O_WRONLY | O_NONBLOCK);
	if (fd < 0)
		return fd;
	ret = write_value(fd, value);
	if (ret) {
		close(fd); /* nothing written */
		return ret;
	}
	*written = true;
	/* a write-only file is read back through a fresh open */
	if ((fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDWR) {
		ret = check_back(fd, value);
	} else {
		char back[64];
		long long got;

		ret = sysctl_read(netfd, key, back, sizeof(back));
		if (!ret && (sysctl_parse_int(back, &got) < 0 || got != value))
			ret = -EILSEQ;
	}
	if (util_close(fd) < 0 && !ret)
		ret = -EIO;
	return ret;
}

int sysctl_set_fd(int fd, long long value, bool *written)
{
	int ret;

	*written = false;
	ret = write_value(fd, value);
	if (ret)
		return ret;
	*written = true;
	return check_back(fd, value);
}
