/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The persist file in sysctl.d (e.g. /etc/sysctl.d/90-twtune.conf): the
 * keys twtune manages, so that its changes survive a reboot.
 */
#ifndef TWTUNE_PERSIST_H
#define TWTUNE_PERSIST_H

#include <stdbool.h>
#include <stddef.h>

struct persist_entry {
	char *key;
	long long value;
};

struct persist {
	struct persist_entry *v;
	size_t n;
};

/*
 * Parse a persist file written by twtune.  Comments and blank lines are
 * dropped (the header is rewritten); a line that is not "key = integer"
 * is an error (-EINVAL, "LINE: message" in err): twtune will not rewrite
 * a file it does not understand.
 */
int persist_parse(const char *text, struct persist *p, char *err,
		  size_t errlen);

/* Set key (appended when new) or, with remove, drop it. */
void persist_set(struct persist *p, const char *key, long long value);
void persist_remove(struct persist *p, const char *key);
const struct persist_entry *persist_get(const struct persist *p,
					const char *key);

/* The file's text: a header naming twtune and run_id, then the keys. */
char *persist_render(const struct persist *p, const char *run_id);

/* Read dirfd/name; *text is NULL when the file does not exist. */
int persist_read(int dirfd, const char *name, char **text);

/*
 * The one way to read the persist file: dirfd/name, never through a
 * symbolic link, at most 1 MiB, parsed.  A missing file is an empty one
 * (0, *text NULL).  -ELOOP (a symbolic link), -EINVAL or -EISDIR (not a
 * regular file), -EBADMSG ("LINE: message" in err) when it is not a
 * persist file, or -errno.  text may be NULL; p is empty on failure.
 */
int persist_load(int dirfd, const char *name, struct persist *p, char **text,
		 char *err, size_t errlen);

/* Open the persist directory (a directory, itself not a symbolic link). */
int persist_open_dir(const char *path);

/*
 * Atomically replace dirfd/name with text (mode 0644, fsync'd); when
 * replaced is not NULL it tells whether the new file took the name, also
 * on failure (see util_replace_ex()).
 */
int persist_write(int dirfd, const char *name, const char *text,
		  bool *replaced);

/*
 * Remove the persist file, durably (the directory is synced); *removed
 * says whether there was one.  0 or -errno.
 */
int persist_unlink(int dirfd, const char *name, bool *removed);

void persist_free(struct persist *p);

#endif
