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

/* What a run was. */
enum txn_mode {
	MODE_APPLY,
	MODE_WATCH,
	MODE_ROLLBACK,
};

/* How a run ended; RESULT_NONE while it has not (an intent record). */
enum txn_result {
	RESULT_NONE,
	RESULT_OK,
	RESULT_PARTIAL,
	RESULT_FAILED,
	RESULT_ROLLED_BACK,
	RESULT_INTERRUPTED, /* closed by a later run: its process was killed */
};

extern const char *const txn_mode_names[];
extern const char *const txn_result_names[];

enum persist_op {
	PERSIST_NONE,
	PERSIST_SET,
	PERSIST_REMOVE
};

/* One key of a run: what it planned, did and recorded. */
struct change {
	char *key;
	long long before, after;
	char *rule;
	char *reason;
	enum persist_op pop; /* what the run does to the persist file */
	long long pvalue;
	bool persist_only; /* the live value is already right: file only */
	/* what happened */
	bool had_persist; /* the persist file held the key before the run */
	long long persist_before;
	bool written, verified, persisted;
	bool in_persist_file; /* a closed interrupted run: found in the file */
};

/*
 * An audit record as the rest of twtune sees it.  Only audit.c knows
 * the JSON field names.
 */
struct audit_record {
	char run[33];
	bool intent; /* an intent record (else a result) */
	enum txn_mode mode;
	char rollback_of[33]; /* "" unless a rollback */
	enum txn_result result;
	bool incomplete; /* an intent whose result never came (killed) */
	/* the network namespace's inode ("netns": a number, or an object
	 * with "inode"); 0 when the record does not say */
	unsigned long long netns;
	struct change *changes;
	size_t n_changes;
	json_t *json; /* the record as read; NULL for a new one */
};

/*
 * Read a record (r->json takes a reference).  -EBADMSG when it is not
 * one of twtune's: no run, phase or mode, or a change without a key or
 * without integer before and after values.
 */
int audit_record_decode(json_t *j, struct audit_record *r);
void audit_record_free(struct audit_record *r);

/* Append a change (strings are copied). */
struct change *audit_record_add(struct audit_record *r, const char *key,
				long long before, long long after,
				const char *rule, const char *reason);

/*
 * The record as JSON: time, run, phase, mode, rollback_of, then the
 * fields of base (the process and its inputs), changes, result and error
 * (NULL: none).
 */
json_t *audit_record_json(const struct audit_record *r, const json_t *base,
			  const char *error);

/* The fields of a record read back that describe its process (base). */
json_t *audit_record_base(const struct audit_record *r);

/*
 * The changes as the audit log and the JSON report show them; closing:
 * those of a record that closes an interrupted run (with in_persist_file).
 */
json_t *audit_changes_json(const struct change *c, size_t n, bool closing);

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
 * The same over several files in order, such as a rotated log and its
 * successor (FILE.1 FILE): the chain must run on from each file's last
 * record to the next file's first.  *bad_file names the file of the
 * first problem.
 */
int audit_verify_files(const char *const *paths, size_t n_paths,
		       size_t *records, const char **bad_file, char *err,
		       size_t errlen);

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
