// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Shared helpers; see util.h.  Allocation failures abort: twtune is a
 * short-lived tool with small, bounded allocations, and carrying ENOMEM
 * through every caller would hide the real error paths in noise.
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <nettle/sha2.h>

#include "hooks.h"
#include "util.h"

static void oom(void)
{
	fputs("twtune: out of memory\n", stderr);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		oom();
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		oom();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		oom();
	return p;
}

char *xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		oom();
	return p;
}

static char *xvasprintf(const char *fmt, va_list ap)
{
	char *p;

	if (vasprintf(&p, fmt, ap) < 0)
		oom();
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	p = xvasprintf(fmt, ap);
	va_end(ap);
	return p;
}

void util_textf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	if (n < 0)
		buf[0] = '\0';
	else if ((size_t)n >= len && len > 4)
		memcpy(buf + len - 4, "...", 4);
}

int strbuf_add(struct strbuf *sb, const char *s, size_t n)
{
	if (sb->len + n + 1 > sb->cap) {
		size_t cap = sb->cap ? sb->cap : 64;

		while (cap < sb->len + n + 1)
			cap *= 2;
		sb->s = xrealloc(sb->s, cap);
		sb->cap = cap;
	}
	memcpy(sb->s + sb->len, s, n);
	sb->len += n;
	sb->s[sb->len] = '\0';
	return 0;
}

int strbuf_addf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	char *p;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&p, fmt, ap);
	va_end(ap);
	if (n < 0)
		oom();
	strbuf_add(sb, p, (size_t)n);
	free(p);
	return 0;
}

void strbuf_free(struct strbuf *sb)
{
	free(sb->s);
	sb->s = NULL;
	sb->len = sb->cap = 0;
}

void msgs_addf(struct msgs *m, const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	p = xvasprintf(fmt, ap);
	va_end(ap);
	m->v = xrealloc(m->v, (m->n + 1) * sizeof(*m->v));
	m->v[m->n++] = p;
}

void msgs_add_all(struct msgs *to, const struct msgs *from)
{
	for (size_t i = 0; i < from->n; i++)
		msgs_addf(to, "%s", from->v[i]);
}

void msgs_free(struct msgs *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->v[i]);
	free(m->v);
	m->v = NULL;
	m->n = 0;
}

bool msgs_has(const struct msgs *m, const char *s)
{
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->v[i], s) == 0)
			return true;
	return false;
}

int util_read_at(int dirfd, const char *path, size_t max, char **out,
		 size_t *len)
{
	return util_read_file(dirfd, path, 0, max, out, len, NULL);
}

int util_read_fd(int fd, size_t max, enum util_read_mode mode, char **out,
		 size_t *len)
{
	bool records = mode == UTIL_READ_RECORDS;
	struct strbuf sb = { 0 };
	/* larger than any /dev/kmsg record (CONSOLE_EXT_LOG_MAX, 8 KiB): a
	 * smaller buffer gets EINVAL there and the record is never skipped */
	char buf[16384];
	int ret = 0;

	for (;;) {
		ssize_t n = mode == UTIL_READ_FROM_START
				    ? pread(fd, buf, sizeof(buf), (off_t)sb.len)
				    : read(fd, buf, sizeof(buf));

		if (n < 0) {
			if (errno == EINTR || (records && errno == EPIPE))
				continue; /* EPIPE: records were overwritten */
			if (records &&
			    (errno == EAGAIN || errno == EWOULDBLOCK))
				break;
			ret = -errno;
			goto out;
		}
		if (n == 0)
			break;
		if (sb.len + (size_t)n > max) {
			ret = -EFBIG;
			goto out;
		}
		strbuf_add(&sb, buf, (size_t)n);
		if (records && buf[n - 1] != '\n')
			strbuf_add(&sb, "\n", 1);
	}
	if (!sb.s)
		strbuf_add(&sb, "", 0);
	*out = sb.s;
	if (len)
		*len = sb.len;
	sb.s = NULL;
out:
	strbuf_free(&sb);
	return ret;
}

int util_read_file(int dirfd, const char *path, int flags, size_t max,
		   char **out, size_t *len, struct stat *stp)
{
	struct stat st;
	int fd, ret;

	/* O_NONBLOCK: a FIFO planted where a file should be must not hang us */
	fd = openat(dirfd, path,
		    O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | flags);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		goto out;
	}
	/* sysctl.d masks a file with a link to /dev/null: that reads empty */
	if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3))
		st.st_size = 0;
	else if (!S_ISREG(st.st_mode)) {
		ret = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
		goto out;
	}
	/* refuse a huge file without reading it (/proc files say 0) */
	if ((uintmax_t)st.st_size > max) {
		ret = -EFBIG;
		goto out;
	}
	if (stp)
		*stp = st;
	ret = util_read_fd(fd, max, UTIL_READ_ON, out, len);
out:
	close(fd); /* read-only: nothing to lose */
	return ret;
}

int util_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int util_output(const char *path, int dirfd, const char *buf, size_t len)
{
	const char *slash;
	int ret;

	if (!path)
		return util_write_all(STDOUT_FILENO, buf, len);
	slash = strrchr(path, '/');
	ret = dirfd < 0 ? -EBADF
			: util_write_atomic(dirfd, slash ? slash + 1 : path,
					    buf, len, 0644);
	return ret;
}

int util_close(int fd)
{
	if (close(fd) < 0 && errno != EINTR)
		return -errno;
	return 0;
}

int util_write_atomic(int dirfd, const char *name, const char *data, size_t len,
		      mode_t mode)
{
	return util_replace(dirfd, name, data, len, mode, true);
}

int util_replace(int dirfd, const char *name, const char *data, size_t len,
		 mode_t mode, bool sync)
{
	return util_replace_ex(dirfd, name, data, len, mode, sync, NULL);
}

int util_replace_ex(int dirfd, const char *name, const char *data, size_t len,
		    mode_t mode, bool sync, bool *renamed)
{
	char tmp[NAME_MAX + 1], rnd[17];
	int fd, ret;

	if (renamed)
		*renamed = false;
	ret = util_random_hex(rnd, 8);
	if (ret < 0)
		return ret;
	/* tests plant things at the temporary name: let them know it */
	if (hook_tmp_suffix && hook_tmp_suffix())
		snprintf(rnd, sizeof(rnd), "%s", hook_tmp_suffix());
	if ((size_t)snprintf(tmp, sizeof(tmp), ".%s.%s.tmp", name, rnd) >=
	    sizeof(tmp))
		return -ENAMETOOLONG;
	fd = openat(dirfd, tmp,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	ret = util_write_all(fd, data, len);
	if (!ret && fchmod(fd, mode) < 0)
		ret = -errno;
	if (!ret && sync && fsync(fd) < 0)
		ret = -errno;
	if (util_close(fd) < 0 && !ret)
		ret = -EIO;
	if (!ret && renameat(dirfd, tmp, dirfd, name) < 0)
		ret = -errno;
	if (ret) {
		unlinkat(dirfd, tmp, 0);
		return ret;
	}
	if (renamed)
		*renamed = true;
	if (sync && fsync(dirfd) < 0)
		return -errno;
	return 0;
}

/*
 * A run killed between creating and renaming its temporary file leaves
 * ".NAME.<16 hex>.tmp" behind.  Only twtune makes such names, and only
 * under its lock, which the caller holds.
 */
void util_remove_stale_tmp(int dirfd, const char *name)
{
	size_t nlen = strlen(name);
	struct dirent *e;
	struct stat st;
	int fd = dup(dirfd);
	DIR *d;

	if (fd < 0)
		return;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	rewinddir(d); /* the dup shares its offset with dirfd */
	while ((e = readdir(d))) {
		const char *s = e->d_name;
		size_t len = strlen(s);

		if (len != 1 + nlen + 1 + 16 + 4 || s[0] != '.' ||
		    strncmp(s + 1, name, nlen) != 0 || s[1 + nlen] != '.' ||
		    strcmp(s + len - 4, ".tmp") != 0 ||
		    strspn(s + 2 + nlen, "0123456789abcdef") != 16)
			continue;
		/* ours are regular files; anything else was planted: leave
		 * it, and O_EXCL refuses to write there */
		if (fstatat(dirfd, s, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode) && st.st_uid == geteuid())
			unlinkat(dirfd, s, 0); /* best effort: garbage */
	}
	closedir(d);
}

static bool writable_by_others(const struct stat *st, char *why, size_t len,
			       const char *what)
{
	uid_t me = geteuid();

	if (st->st_uid != 0 && st->st_uid != me) {
		snprintf(why, len, "%s is owned by uid %u, not by root%s", what,
			 (unsigned)st->st_uid, me ? " or by us" : "");
		return true;
	}
	/* a sticky directory (/tmp) keeps others from replacing the file */
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) &&
	    !(S_ISDIR(st->st_mode) && (st->st_mode & S_ISVTX))) {
		snprintf(why, len,
			 "%s is writable by %s (mode %04o); chmod go-w it",
			 what, st->st_mode & S_IWOTH ? "everyone" : "its group",
			 (unsigned)(st->st_mode & 07777));
		return true;
	}
	return false;
}

/*
 * Policies decide what root writes to the kernel, and the audit log and
 * the state file what it undoes and backs off from, so whoever can
 * change one can change the host's TCP settings.  The file, and the
 * directory it is in, must belong to root (or to the user running
 * twtune) and must not be writable by anyone else.
 */
bool util_untrusted(const char *path, const struct stat *st, char *why,
		    size_t len)
{
	char *dir = util_dirname(path);
	struct stat dst;
	bool bad;

	bad = writable_by_others(st, why, len, "the file");
	if (!bad && stat(dir, &dst) == 0)
		bad = writable_by_others(&dst, why, len, "its directory");
	free(dir);
	return bad;
}

int util_mkdir_p(const char *path, mode_t mode)
{
	char *p;
	int ret = 0;

	if (!*path)
		return -ENOENT;
	p = xstrdup(path);
	for (char *s = p + 1;; s++) {
		bool end = *s == '\0';
		struct stat st;

		if (*s != '/' && !end)
			continue;
		*s = '\0';
		if (mkdir(p, mode) < 0) {
			if (errno != EEXIST) {
				ret = -errno;
				break;
			}
			/* something exists there: it must be a directory */
			if (stat(p, &st) < 0 || !S_ISDIR(st.st_mode)) {
				ret = -ENOTDIR;
				break;
			}
		}
		if (end)
			break;
		*s = '/';
	}
	free(p);
	return ret;
}

char *util_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return strndup(path, (size_t)(slash - path)) ?: (oom(), NULL);
}

void util_sha256_hex(const void *data, size_t len, char out[SHA256_HEX_LEN + 1])
{
	struct sha256_ctx ctx;
	uint8_t d[SHA256_DIGEST_SIZE];

	sha256_init(&ctx);
	sha256_update(&ctx, len, data);
	sha256_digest(&ctx, sizeof(d), d);
	for (size_t i = 0; i < sizeof(d); i++)
		sprintf(out + 2 * i, "%02x", d[i]);
	out[SHA256_HEX_LEN] = '\0';
}

int util_random_hex(char *out, size_t bytes)
{
	unsigned char b[64];
	size_t got = 0;

	if (bytes > sizeof(b))
		return -EINVAL;
	while (got < bytes) {
		ssize_t n = getrandom(b + got, bytes - got, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		got += (size_t)n;
	}
	for (size_t i = 0; i < bytes; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
	out[2 * bytes] = '\0';
	return 0;
}

void util_rfc3339(const struct timespec *ts, char out[32])
{
	struct tm tm;
	char base[24];

	gmtime_r(&ts->tv_sec, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, 32, "%.19s.%03dZ", base,
		 (int)(ts->tv_nsec / 1000000) % 1000);
}

double util_timespec_seconds(const struct timespec *ts)
{
	return (double)ts->tv_sec + (double)ts->tv_nsec / 1e9;
}

int util_parse_ll(const char *s, long long *out)
{
	char *end;
	long long v;

	while (isspace((unsigned char)*s))
		s++;
	if (!*s)
		return -EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (end == s)
		return -EINVAL;
	while (isspace((unsigned char)*end))
		end++;
	if (*end)
		return -EINVAL;
	*out = v;
	return 0;
}

void util_fmt_num(double v, char *out, size_t len)
{
	if (isnan(v)) {
		snprintf(out, len, "unknown");
	} else if (v == floor(v) && fabs(v) < 1e18) {
		/* + 0.0: a -0 from arithmetic prints as "0", not "-0" */
		snprintf(out, len, "%.0f", v + 0.0);
	} else {
		int n = snprintf(out, len, "%.3f", v);

		/* trim trailing zeros and a bare dot: 0.500 -> 0.5, 3.000 -> 3 */
		while (n > 1 && (size_t)n < len && out[n - 1] == '0')
			out[--n] = '\0';
		if (n > 1 && (size_t)n < len && out[n - 1] == '.')
			out[--n] = '\0';
		/* a tiny negative rounds to "-0.000", trimmed to "-0" */
		if (strcmp(out, "-0") == 0)
			snprintf(out, len, "0");
	}
}

size_t util_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[256];

	if (la > 255 || lb > 255)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j],
			       best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	return row[lb];
}

const char *util_closest(const char *s, const char *const *candidates, size_t n,
			 size_t max)
{
	const char *best = NULL;
	size_t best_d = max + 1;

	for (size_t i = 0; i < n; i++) {
		size_t d = util_edit_distance(s, candidates[i]);

		if (d < best_d) {
			best_d = d;
			best = candidates[i];
		}
	}
	return best;
}

unsigned long long util_netns_cookie(void)
{
#ifdef SO_NETNS_COOKIE
	uint64_t cookie = 0;
	socklen_t len = sizeof(cookie);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return 0;
	if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len) < 0 ||
	    len != sizeof(cookie))
		cookie = 0; /* before 5.14: ENOPROTOOPT */
	close(fd);	    /* nothing was written through it */
	return cookie;
#else
	return 0;
#endif
}

double util_monotonic(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return util_timespec_seconds(&ts);
}
