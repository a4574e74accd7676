/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The audit log: JSON Lines, one record per write(2), fsync'd, each record
 * carrying "prev", the SHA-256 of the line before it, so that removing or
 * editing a line breaks the chain.
 */
#ifndef TWTUNE_AUDIT_H
#define TWTUNE_AUDIT_H

#include <jansson.h>
#include <stddef.h>

#include "util.h"

struct audit {
	int fd;
	char prev[SHA256_HEX_LEN + 1]; /* "" before the first record */
};

/*
 * Open (creating with mode 0640, and its directory with 0750) the log for
 * appending and read the hash of its last line.
 */
int audit_open(const char *path, struct audit *a, char *err, size_t errlen);

/* Hash of the last line of the file behind fd ("" when empty). */
int audit_last_hash(int fd, char out[SHA256_HEX_LEN + 1]);

/*
 * Serialise rec (adding "prev"), append it in one write and fsync.  On
 * success a->prev becomes the new line's hash.
 */
int audit_append(struct audit *a, json_t *rec);

/* The line rec would be written as (without the newline). */
char *audit_serialize(json_t *rec, const char *prev);

void audit_close(struct audit *a);

/*
 * Check the chain and that every intent has a result.  Returns 0 when the
 * log is sound, -EBADMSG with the first problem ("LINE: message") in err,
 * or -errno when the file cannot be read.
 */
int audit_verify(const char *path, size_t *records, char *err, size_t errlen);

/*
 * Find the result record of run (or, when run is NULL, of the last apply
 * or watch run that changed something and has not been rolled back).  A
 * run whose intent has no result (the process died halfway) is found by
 * its intent record, marked "incomplete": true.  *rec is a new
 * reference; -ENOENT when there is none.
 */
int audit_find_run(const char *path, const char *run, json_t **rec, char *err,
		   size_t errlen);

#endif
