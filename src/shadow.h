/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The shadowing check: would a sysctl.d file applied after twtune's
 * persist file (or /etc/sysctl.conf) undo twtune's value at boot?
 */
#ifndef TWTUNE_SHADOW_H
#define TWTUNE_SHADOW_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

struct shadow_hit {
	char *file; /* as on the real system, e.g. /etc/sysctl.conf */
	int line;
	char *value;
};

struct shadow {
	char *key;
	char *want; /* twtune's value */
	struct shadow_hit *hits;
	size_t n_hits;
};

struct shadows {
	struct shadow *v;
	size_t n;
};

/*
 * For each key (with twtune's value for it), list the assignments of a
 * different value that the boot-time order applies after the persist file
 * persist_dir/persist_name: *.conf files of ROOT/etc/sysctl.d,
 * ROOT/run/sysctl.d, ROOT/usr/local/lib/sysctl.d, ROOT/usr/lib/sysctl.d
 * and ROOT/lib/sysctl.d (a name in an earlier directory masks it in a
 * later one) in lexical order of name, then ROOT/etc/sysctl.conf.  Keys
 * in the files may use '/' separators and a leading '-'; a glob never
 * counts, since boot applies no glob to a key set explicitly somewhere.
 * Unreadable files are warnings.
 */
void shadow_scan(const char *root, const char *persist_name,
		 const char *const *keys, const char *const *wants, size_t n,
		 struct shadows *out, struct msgs *warnings);

/*
 * Whether a sysctl.d line's key (as written in the file) would set key at
 * boot over an explicit assignment of it: the same key, in either
 * notation, with or without a leading '-'; never a glob.
 */
bool shadow_key_matches(const char *pattern, const char *key);

const struct shadow *shadow_find(const struct shadows *s, const char *key);
void shadow_free(struct shadows *s);

#endif
