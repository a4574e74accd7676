/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reading and writing one sysctl under /proc/sys/net.  This is the only
 * module that writes to /proc/sys.  Keys are always given in dotted form
 * ("net.ipv4.tcp_max_tw_buckets"); files are opened relative to a
 * descriptor for /proc/sys/net so that nothing outside it can be reached,
 * and symbolic links are never followed.
 */
#ifndef TWTUNE_SYSCTL_H
#define TWTUNE_SYSCTL_H

#include <stdbool.h>
#include <stddef.h>

#define SYSCTL_KEY_MAX 128

/*
 * Whether key is a key twtune may touch: "net." followed by [a-z0-9_.-],
 * no empty component, no "..", no "/".  On failure *why says what is wrong.
 */
bool sysctl_key_valid(const char *key, const char **why);

/* Normalise a key from a sysctl.d file ('/' separators) to dotted form. */
void sysctl_key_normalize(char *key);

/* Open DIR/sys/net for the other calls.  Returns an fd or -errno. */
int sysctl_open_net(int procfd);

/*
 * Read key into raw (trailing newline removed).  -ENOENT when the kernel
 * does not have this sysctl.
 */
int sysctl_read(int netfd, const char *key, char *raw, size_t rawlen);

/* Open key under netfd (no symbolic links); an fd or -errno. */
int sysctl_open(int netfd, const char *key, int flags);

/* sysctl_read() of a file already open (read from its start). */
int sysctl_read_fd(int fd, char *raw, size_t rawlen);

/* Parse a single-integer sysctl value; -EINVAL for anything else. */
int sysctl_parse_int(const char *raw, long long *out);

/*
 * Write value to key, then read it back.  Returns 0 when the write was
 * accepted and the read-back equals value; -errno when the write failed
 * (nothing changed), -EILSEQ when it was written but reads back different
 * (*written is set in both of the latter cases accordingly).
 */
int sysctl_set(int netfd, const char *key, long long value, bool *written);

/* sysctl_set() through a file already open for reading and writing. */
int sysctl_set_fd(int fd, long long value, bool *written);

#endif
