/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Small helpers shared by every module: growable strings and message lists,
 * whole-file reads through directory descriptors, atomic replacement of a
 * file, SHA-256 and random ids.  Nothing here knows about TCP or policies.
 */
#ifndef TWTUNE_UTIL_H
#define TWTUNE_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define SHA256_HEX_LEN 64

/* A growable, always NUL-terminated string. */
struct strbuf {
	char *s;
	size_t len;
	size_t cap;
};

int strbuf_add(struct strbuf *sb, const char *s, size_t n);
int strbuf_addf(struct strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void strbuf_free(struct strbuf *sb);

/* An ordered list of owned messages (errors, warnings). */
struct msgs {
	char **v;
	size_t n;
};

void msgs_addf(struct msgs *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void msgs_free(struct msgs *m);
/* Append a copy of every line of from to to. */
void msgs_add_all(struct msgs *to, const struct msgs *from);

/* Whether s is one of the messages. */
bool msgs_has(const struct msgs *m, const char *s);

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A message into a fixed buffer of len bytes, ending in "..." when cut. */
void util_textf(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Read a whole file relative to dirfd (AT_FDCWD for a plain path) into a
 * NUL-terminated buffer.  Files larger than max bytes are an error (-EFBIG)
 * so that a hostile or broken /proc cannot make us allocate without bound.
 */
int util_read_at(int dirfd, const char *path, size_t max, char **out,
		 size_t *len);

/*
 * The same, with extra open(2) flags (O_NOFOLLOW) and the file's stat
 * (when st is not NULL).  Anything but a regular file is refused (-EINVAL,
 * -EISDIR), without blocking on a FIFO.
 */
int util_read_file(int dirfd, const char *path, int flags, size_t max,
		   char **out, size_t *len, struct stat *st);

/* How util_read_fd() reads. */
enum util_read_mode {
	UTIL_READ_ON,	      /* from where fd is, read(2) */
	UTIL_READ_FROM_START, /* from offset 0, pread(2): fd can be reused */
	/*
	 * a /dev/kmsg descriptor opened O_NONBLOCK: each read(2) is one
	 * record, EAGAIN is the end, EPIPE (records overwritten meanwhile)
	 * is skipped, and a record without a newline gets one
	 */
	UTIL_READ_RECORDS,
};

/*
 * Read fd to its end into a NUL-terminated buffer of at most max bytes
 * (-EFBIG beyond).  fd stays open.
 */
int util_read_fd(int fd, size_t max, enum util_read_mode mode, char **out,
		 size_t *len);

/* write(2) until done; -errno on failure, -EIO on a zero-length write. */
int util_write_all(int fd, const void *buf, size_t len);

/*
 * Command output: to standard output when path is NULL, else replace
 * path (whose directory is open as dirfd) atomically.  -errno.
 */
int util_output(const char *path, int dirfd, const char *buf, size_t len);

/* close(2) that reports its error: close errors can mean lost data. */
int util_close(int fd);

/*
 * Replace dirfd/name with data atomically: temporary file in the same
 * directory, write, fsync, rename, fsync the directory.  On any failure the
 * old file is untouched and the temporary file is removed.
 */
int util_write_atomic(int dirfd, const char *name, const char *data, size_t len,
		      mode_t mode);

/* The same, with the fsyncs only when sync is set (caches). */
int util_replace(int dirfd, const char *name, const char *data, size_t len,
		 mode_t mode, bool sync);

/*
 * The same; *renamed tells whether the new file took the name (a failure
 * after that, fsync of the directory, leaves the new file in place).
 */
int util_replace_ex(int dirfd, const char *name, const char *data, size_t len,
		    mode_t mode, bool sync, bool *renamed);

/* Remove temporary files util_replace() left for name (see util.c). */
void util_remove_stale_tmp(int dirfd, const char *name);

/*
 * Whether a file that decides what twtune writes (a policy, the
 * configuration file, the audit log, the state file) may be changed by
 * someone other than root or the user running twtune: the file (st) or
 * its directory owned by another user, or writable by its group or by
 * everyone (a sticky directory such as /tmp aside).  *why says which.
 */
bool util_untrusted(const char *path, const struct stat *st, char *why,
		    size_t len);

/* mkdir -p, each created component with mode; existing ones are kept. */
int util_mkdir_p(const char *path, mode_t mode);

/* Directory part of path in a new string ("." when there is none). */
char *util_dirname(const char *path);

void util_sha256_hex(const void *data, size_t len,
		     char out[SHA256_HEX_LEN + 1]);

/* bytes random bytes from getrandom(2) as lower-case hex into out. */
int util_random_hex(char *out, size_t bytes);

/* RFC 3339 UTC with milliseconds, e.g. 2026-11-22T12:00:00.123Z. */
void util_rfc3339(const struct timespec *ts, char out[32]);

double util_timespec_seconds(const struct timespec *ts);

/* CLOCK_MONOTONIC in seconds: for intervals a wall clock step must not
 * stretch or skip. */
double util_monotonic(void);

/*
 * Parse a decimal integer that must fill the whole string (leading and
 * trailing blanks allowed).  -EINVAL if it is not a number, -ERANGE if it
 * does not fit.
 */
int util_parse_ll(const char *s, long long *out);

/* Format a number the way a person reads it: integers without a
 * fraction, others with up to 3 decimals. */
void util_fmt_num(double v, char *out, size_t len);

/*
 * The network namespace cookie of the caller's namespace (SO_NETNS_COOKIE,
 * Linux 5.14, commit e8b9eab99232): a number that no other namespace gets
 * during this boot, where the nsfs inode number of a deleted namespace is
 * handed to the next new one.  0 when the kernel has none.
 */
unsigned long long util_netns_cookie(void);

/*
 * Whether two records name the same network namespace: the same inode,
 * and the same cookie where both know theirs.  (init_net's cookie is the
 * first of every boot, so the host's namespace stays itself across
 * reboots.)
 */
static inline bool util_same_netns(unsigned long long ino_a,
				   unsigned long long cookie_a,
				   unsigned long long ino_b,
				   unsigned long long cookie_b)
{
	return ino_a == ino_b &&
	       (!cookie_a || !cookie_b || cookie_a == cookie_b);
}

/* a == b, where two unknowns (NAN) are the same too */
static inline bool util_same_num(double a, double b)
{
	return a == b || (a != a && b != b);
}

/*
 * Levenshtein distance between a and b (insertions, deletions and
 * substitutions), for "did you mean"; SIZE_MAX when either is longer
 * than 255 characters.
 */
size_t util_edit_distance(const char *a, const char *b);

/* The candidate closest to s within max edits, or NULL. */
const char *util_closest(const char *s, const char *const *candidates, size_t n,
			 size_t max);

#endif
