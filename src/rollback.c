// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The rollback decision; see rollback.h.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rollback.h"
#include "tunables.h"

/*
 * Whether the persist file still has to be put back for c: not when the
 * file already holds what it held before the run.
 */
static bool file_differs(const struct change *c, const struct persist *file)
{
	const struct persist_entry *e = persist_get(file, c->key);

	return c->had_persist ? !e || e->value != c->persist_before : e != NULL;
}

/*
 * Whether twtune may write value (c's before value, or what the persist
 * file held, as what says) at all: the same rules as for a policy, since
 * the audit log is only as good as whoever could write it.  Says why not
 * in warnings.
 */
static bool allowed(const struct change *c, long long value, const char *what,
		    struct msgs *warnings)
{
	const struct tunable *t = tunable_find(c->key);

	switch (tunable_check(c->key, value)) {
	case TUNABLE_OK: return true;
	case TUNABLE_UNMANAGED:
		msgs_addf(warnings, "%s: not a key twtune manages; not touched",
			  c->key);
		break;
	case TUNABLE_ZERO_ONLY:
		msgs_addf(
			warnings,
			"%s stays 0: twtune never turns it on, not even to roll back (it breaks clients behind NAT)",
			c->key);
		break;
	case TUNABLE_OUT_OF_RANGE:
		msgs_addf(
			warnings,
			"%s: %s %lld is outside what the kernel accepts (%lld..%lld); not touched",
			c->key, what, value, t->lo, t->hi);
		break;
	}
	return false;
}

/*
 * The old bucket limit may be why the run raised it: say so when the
 * TIME_WAIT sockets held now would fill it again (the table counts as
 * full at 95%, as in the report).
 */
static void warn_overflow(const struct change *c, const struct observation *o,
			  struct msgs *warnings)
{
	double tw = o->m[M_TW_COUNT];

	if (strcmp(c->key, "net.ipv4.tcp_max_tw_buckets") != 0 ||
	    c->before < 0 || !(tw >= 0.95 * (double)c->before))
		return;
	msgs_addf(
		warnings,
		"%s: restoring %lld buckets while %.0f TIME_WAIT sockets are held: the table will be full, and the overflows the run stopped will start again",
		c->key, c->before, tw);
}

void rollback_plan(const struct audit_record *rec,
		   const struct observation *obs, const struct persist *file,
		   struct txn *t, struct msgs *warnings)
{
	char *reason = xasprintf("rollback of run %s", rec->run);

	for (size_t i = 0; i < rec->n_changes; i++) {
		const struct change *c = &rec->changes[i];
		const struct sysctl_obs *s = observe_sysctl(obs, c->key);
		/* an incomplete run's intent does not say what the persist
		 * file held before it, so only its live values are undone */
		bool persisted = c->persisted && !rec->incomplete;
		struct change *ch;
		bool back;

		if (!c->written && !rec->incomplete)
			continue;
		if (!allowed(c, c->before, "the recorded value", warnings) ||
		    (persisted && c->had_persist &&
		     !allowed(c, c->persist_before,
			      "the persist file's recorded value", warnings)))
			continue;
		if (!s || !s->is_int) {
			msgs_addf(warnings, "%s: not readable now; not touched",
				  c->key);
			continue;
		}
		back = s->ival == c->before;
		if (back && persisted && file)
			persisted = file_differs(c, file);
		if (back && !persisted)
			continue; /* nothing left to undo */
		if (!back && s->ival != c->after) {
			msgs_addf(
				warnings,
				"%s is now %lld, not %lld as run %s left it: someone changed it since; not touched",
				c->key, s->ival, c->after, rec->run);
			continue;
		}
		if (!back)
			warn_overflow(c, obs, warnings);
		ch = apply_add(t, c->key, s->ival, c->before,
			       c->rule[0] ? c->rule : "rollback", reason);
		/* the live value is already back: only the file is left */
		ch->persist_only = back;
		if (persisted) {
			ch->pop = c->had_persist ? PERSIST_SET : PERSIST_REMOVE;
			ch->pvalue = c->persist_before;
		}
	}
	free(reason);
}
