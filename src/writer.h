/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Setting up a transaction once a writer has crossed the boundary: the
 * audit log is opened under the lock (a record torn by a killed run cut
 * off first), the transaction is bound to the descriptors opened before
 * the drop, and the audit fields that describe the process are filled.
 */
#ifndef TWTUNE_WRITER_H
#define TWTUNE_WRITER_H

#include "apply.h"
#include "audit.h"
#include "run.h"

/*
 * Open the audit log into a, cutting a record torn by a killed run (said).
 * Returns 0, or EXIT_FAILED (said: nothing may change unaudited).
 */
int writer_open_audit(struct run *r, struct audit *a);

/* Bind t to a and to r's descriptors, and fill its audit fields. */
void writer_bind(struct run *r, struct txn *t, struct audit *a);

/*
 * Close a run that was interrupted before this one (the audit log's last
 * record is its intent), letting t (if not NULL) finish its persist
 * file; what was found goes into said.  Returns whether it wrote a
 * closing record.
 */
bool writer_recover(struct run *r, struct txn *t, struct audit *a,
		    struct msgs *said);

/*
 * Run t as one audited transaction, under the lock the caller holds:
 * open the audit log, close a run interrupted before this one (t finishes
 * its persist file; what was found goes into said), refuse when t must
 * persist but the persist directory could not be opened, then write.
 * *ran tells whether t was executed (the report shows it).  Returns 0,
 * or EXIT_FAILED with the reason said.
 */
int writer_transact(struct run *r, struct txn *t, struct msgs *said, bool *ran);

/* The audit record's netns object: inode, name, container, pod. */
json_t *writer_netns_json(const struct run *r);

#endif
