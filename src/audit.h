/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The audit log: JSON Lines, one record per write(2), fsync'd, each record
 * carrying "prev", the SHA-256 of the line before it, so that removing or
 * editing a line breaks the chain.
 */
#ifndef TWTUNE_AUDIT_H
#define TWTUNE_AUDIT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "util.h"

struct audit {
	int fd;
	char prev[SHA256_HEX_LEN + 1]; /* "" before the first record */
	json_t *last;		       /* the last record, NULL if none */
	size_t cut; /* bytes of a torn last record cut off by audit_open() */
};

/*
 * Open (creating with mode 0640, and its directory with 0750) the log for
 * appending and read the hash of its last line.  A partial last line (a
 * run killed while writing it) is cut off and counted in cut; a complete
 * last line that is not a record is an error.
 */
int audit_open(const char *path, struct audit *a, char *err, size_t errlen);

/*
 * Hash of the last line of the file behind fd ("" when empty); when last
 * is not NULL, also that line as a record (NULL when empty).
 */
int audit_last_hash(int fd, char out[SHA256_HEX_LEN + 1], json_t **last);

/*
 * The intent of a run that never got its result (the process was killed
 * between the two), if that is how the log at path ends; NULL otherwise,
 * also when there is no log.  Runs are serialised by the lock, so only
 * the last record can be such an intent.  Reads one line.
 */
json_t *audit_interrupted(const char *path);

/*
 * The last record of the log at path; NULL if none or unreadable.  When
 * the last line is torn (*torn), the whole line before it.
 */
json_t *audit_last_record(const char *path, bool *torn);

/* Whether rec is an intent record. */
bool audit_is_intent(json_t *rec);

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
