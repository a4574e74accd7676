/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What a rollback restores: a pure decision from the recorded run, the
 * live values and the persist file as they are now.  No I/O, so that it
 * can be tested without root.
 */
#ifndef TWTUNE_ROLLBACK_H
#define TWTUNE_ROLLBACK_H

#include "apply.h"
#include "audit.h"
#include "observe.h"
#include "persist.h"
#include "util.h"

/*
 * Add to t the changes that undo run rec: each key it wrote goes back to
 * its recorded before value, live and in the persist file (when the run
 * persisted it), except where that is done already.  A key someone
 * changed since the run left it is not touched (a warning says so), nor
 * one that cannot be read now.  file is the persist file now (NULL when
 * it could not be read: then its keys are undone as recorded).  An
 * incomplete run (killed halfway) is undone in its live values only.
 * Only keys of the tunables table are restored, within their range, and
 * a key twtune may only turn off (tcp_tw_recycle) stays off.
 */
void rollback_plan(const struct audit_record *rec,
		   const struct observation *obs, const struct persist *file,
		   struct txn *t, struct msgs *warnings);

#endif
