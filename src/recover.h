/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Recovery from a run that was killed (SIGKILL, power loss) between its
 * audit intent and its result.  Writers run one at a time, so such a run
 * can only be the last record of the log; the next writer, under the
 * lock, closes it with a result record saying what it finds, and counts
 * the keys it left at its new value as twtune's own.
 */
#ifndef TWTUNE_RECOVER_H
#define TWTUNE_RECOVER_H

#include <stdbool.h>

#include "apply.h"
#include "audit.h"
#include "observe.h"
#include "state.h"
#include "util.h"

/*
 * The last record of the audit log at path into *last (zeroed when there
 * is none or it is not a record), and whether the last line is torn.
 * Returns whether a writer is needed even with nothing planned: a run to
 * close, or a torn record to cut.
 */
bool recover_read_last(const char *path, struct audit_record *last, bool *torn);

/*
 * The state file is saved after the audit result, so a run killed in
 * between leaves keys at twtune's value that the state does not know as
 * twtune's; the next run would back off from them as if an administrator
 * had set them.  Those of last's keys that read at its new value are
 * recorded as twtune's in st.  Returns whether st changed.
 */
bool recover_adopt(const struct audit_record *last,
		   const struct observation *obs, struct state *st);

/*
 * Close intent (an interrupted run) in the audit log a: a result record
 * "interrupted" naming which keys are found at the new value (read
 * through netfd) and in the persist file (persist_dfd/name, -1: not
 * looked at).  When t is given, t also gets the persist entries the run
 * did not get to write.  What was done goes into warnings.
 */
void recover_close(struct audit *a, const struct audit_record *intent,
		   int netfd, int persist_dfd, const char *persist_name,
		   struct txn *t, struct msgs *warnings);

#endif
