// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Closing interrupted runs; see recover.h.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "persist.h"
#include "recover.h"
#include "tunables.h"
#include "sysctl.h"

bool recover_read_last(const char *path, struct audit_record *last, bool *torn)
{
	json_t *j = audit_last_record(path, torn);

	memset(last, 0, sizeof(*last));
	if (j && audit_record_decode(j, last) < 0)
		memset(last, 0, sizeof(*last));
	json_decref(j);
	return (last->json && last->intent) || *torn;
}

bool recover_adopt(const struct audit_record *last,
		   const struct observation *obs, struct state *st)
{
	bool changed = false;

	/* another namespace's run says nothing about this one's keys */
	if (last->netns && last->netns != obs->netns)
		return false;
	for (size_t i = 0; i < last->n_changes; i++) {
		const struct change *c = &last->changes[i];
		const struct sysctl_obs *s = observe_sysctl(obs, c->key);
		const struct state_written *w = state_get_written(
			st, obs->netns, obs->netns_cookie, c->key);

		/* our own write, not an administrator's: no back-off */
		if (!s || !s->is_int || s->ival != c->after ||
		    (w && w->value == c->after))
			continue;
		state_set_written(st, obs->netns, obs->netns_cookie, c->key,
				  c->after);
		changed = true;
	}
	return changed;
}

/* Whether key reads value through netfd now. */
static bool reads(int netfd, const char *key, long long value)
{
	char raw[64];
	long long live;

	return sysctl_read(netfd, key, raw, sizeof(raw)) == 0 &&
	       sysctl_parse_int(raw, &live) == 0 && live == value;
}

static bool txn_has(const struct txn *t, const char *key)
{
	for (size_t i = 0; i < t->rec.n_changes; i++)
		if (strcmp(t->rec.changes[i].key, key) == 0)
			return true;
	return false;
}

/*
 * Whether the interrupted run's persist entry for c is one twtune may
 * write: the intent is only as good as whoever could write the log.
 */
static bool persistable(const struct change *c, struct msgs *warnings)
{
	if (c->pop == PERSIST_REMOVE ||
	    tunable_check(c->key, c->pvalue) == TUNABLE_OK)
		return true;
	msgs_addf(
		warnings,
		"%s: the interrupted run's persist value %lld is not one twtune may write; the persist file is left as it is",
		c->key, c->pvalue);
	return false;
}

/* Let t write the persist entry the interrupted run did not get to. */
static void finish_persist(struct txn *t, const struct audit_record *intent,
			   const struct change *c)
{
	char *why = xasprintf("finishes interrupted run %s", intent->run);
	struct change *ch = apply_add(t, c->key, c->after, c->after,
				      c->rule[0] ? c->rule : "interrupted",
				      why);

	free(why);
	ch->persist_only = true;
	ch->pop = c->pop;
	ch->pvalue = c->pvalue;
}

void recover_close(struct audit *a, const struct audit_record *intent,
		   int netfd, int persist_dfd, const char *persist_name,
		   struct txn *t, struct msgs *warnings)
{
	struct audit_record rec = { .intent = false,
				    .mode = intent->mode,
				    .result = RESULT_INTERRUPTED };
	struct persist file = { 0 };
	json_t *base = audit_record_base(intent), *j;
	bool have_file = persist_dfd >= 0 &&
			 persist_load(persist_dfd, persist_name, &file, NULL,
				      NULL, 0) == 0;
	size_t found = 0;
	char *error;
	int ret;

	memcpy(rec.run, intent->run, sizeof(rec.run));
	memcpy(rec.rollback_of, intent->rollback_of, sizeof(rec.rollback_of));
	for (size_t i = 0; i < intent->n_changes; i++) {
		const struct change *c = &intent->changes[i];
		const struct persist_entry *e =
			have_file ? persist_get(&file, c->key) : NULL;
		struct change *nc = audit_record_add(
			&rec, c->key, c->before, c->after, c->rule, c->reason);
		bool at_after = reads(netfd, c->key, c->after);

		nc->pop = c->pop;
		nc->had_persist = c->had_persist;
		nc->persist_before = c->persist_before;
		nc->written = nc->verified = at_after;
		/* what the file held before the run is not known: a rollback
		 * undoes only the live value */
		nc->persisted = false;
		nc->in_persist_file = e && e->value == c->after;
		found += at_after;
		if (t && at_after && have_file && !nc->in_persist_file &&
		    c->pop != PERSIST_NONE && !txn_has(t, c->key) &&
		    persistable(c, warnings))
			finish_persist(t, intent, c);
	}
	persist_free(&file);
	if (a->cut)
		json_object_set_new(base, "audit_cut_bytes",
				    json_integer((json_int_t)a->cut));
	error = xasprintf(
		"no result was recorded (the process was killed); found %zu of %zu keys at the new value",
		found, intent->n_changes);
	j = audit_record_json(&rec, base, error);
	ret = audit_append(a, j);
	json_decref(j);
	json_decref(base);
	free(error);
	audit_record_free(&rec);
	msgs_addf(
		warnings,
		"run %s was interrupted between its intent and its result: %zu of its %zu keys are at the new value%s",
		intent->run, found, intent->n_changes,
		ret < 0 ? "; could not record that in the audit log"
			: "; closed in the audit log");
}
