// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * twtune rollback [--run ID]: restore the values a recorded run replaced
 * (by default the last run that changed something and was not rolled
 * back), live and in the persist file, as one audited transaction.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "log.h"
#include "rollback.h"
#include "run.h"
#include "writer.h"

/* Observe the run's keys, and the state for twtune's last writes. */
static int read_run_keys(struct run *r, const struct audit_record *rec)
{
	struct msgs keys = { 0 };
	char err[512];
	int ret;

	for (size_t i = 0; i < rec->n_changes; i++)
		msgs_addf(&keys, "%s", rec->changes[i].key);
	ret = observe_collect(r->target.procfd, (const char *const *)keys.v,
			      keys.n, &r->obs, err, sizeof(err));
	msgs_free(&keys);
	if (ret < 0) {
		log_err("observe %s: %s", r->o->proc, err);
		return EXIT_FAILED;
	}
	state_load(r->o->state, r->st, err, sizeof(err));
	observe_derive(&r->obs, NULL);
	r->observed = true;
	return 0;
}

/* What rollback_plan() needs to know of the persist file now. */
static void plan_rollback(struct run *r, const struct audit_record *rec)
{
	struct persist file = { 0 };
	int dfd = r->b.persist_dfd;
	/* no file holds nothing; an unreadable one is not known */
	int ret = dfd < 0 ? dfd
			  : persist_load(dfd, r->o->persist_file, &file, NULL,
					 NULL, 0);

	rollback_plan(rec, &r->obs, ret == 0 ? &file : NULL, &r->txn,
		      &r->warnings);
	persist_free(&file);
	if (r->o->no_persist)
		for (size_t i = 0; i < r->txn.rec.n_changes; i++)
			r->txn.rec.changes[i].pop = PERSIST_NONE;
}

/* What rollback says: nothing to do, what it would do, or what it did. */
static void draw(const struct run *r, FILE *f)
{
	const struct txn *t = &r->txn;

	if (!t->rec.n_changes) {
		fprintf(f, "Nothing to roll back for run %s.\n",
			t->rec.rollback_of);
	} else if (r->o->dry_run) {
		for (size_t i = 0; i < t->rec.n_changes; i++)
			fprintf(f, "would restore %s: %lld -> %lld\n",
				t->rec.changes[i].key, t->rec.changes[i].before,
				t->rec.changes[i].after);
	} else if (r->o->format == FORMAT_JSON) {
		json_t *j = json_pack(
			"{s:s, s:s, s:s, s:s, s:o, s:o}", "command", "rollback",
			"run", t->rec.run, "rollback_of", t->rec.rollback_of,
			"result", txn_result_names[t->rec.result], "error",
			t->error[0] ? json_string(t->error) : json_null(),
			"changes",
			audit_changes_json(t->rec.changes, t->rec.n_changes,
					   false));

		json_dumpf(j, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', f);
		json_decref(j);
	} else {
		fprintf(f, "rollback of run %s (run %s): %s\n",
			t->rec.rollback_of, t->rec.run,
			txn_result_names[t->rec.result]);
		for (size_t i = 0; i < t->rec.n_changes; i++) {
			const struct change *c = &t->rec.changes[i];

			fprintf(f, "  %s: %lld -> %lld%s\n", c->key, c->before,
				c->after, c->persisted ? ", persisted" : "");
		}
		if (t->error[0])
			fprintf(f, "  error: %s\n", t->error);
	}
}

/* Write the rollback as one transaction. */
static int execute(struct run *r)
{
	struct msgs said = { 0 };
	int rc = writer_transact(r, &r->txn, &said, &r->txn_used);

	for (size_t i = 0; i < said.n; i++)
		log_warn("%s", said.v[i]);
	msgs_free(&said);
	if (r->txn_used)
		run_save_state(r, &r->txn);
	return rc;
}

/* The run to undo, and what undoing it takes. */
static int decide(struct run *r, struct audit_record *rec)
{
	const struct options *o = r->o;
	char err[512];
	json_t *j;
	int rc;

	if (audit_find_run(o->audit_log, o->run, &j, err, sizeof(err)) < 0) {
		log_err("%s", err);
		return EXIT_FAILED;
	}
	rc = audit_record_decode(j, rec);
	json_decref(j);
	if (rc < 0) {
		log_err("%s: the record of the run to undo is not twtune's",
			o->audit_log);
		return EXIT_FAILED;
	}
	/* its values are another namespace's: restoring them here would
	 * write them into the wrong one */
	if (rec->netns && r->target.netns_ino &&
	    rec->netns != r->target.netns_ino) {
		log_err("run %s changed network namespace %llu, not this one (%llu): roll it back from there (twtune rollback --netns NAME|/proc/PID/ns/net --run %s)",
			rec->run, rec->netns, r->target.netns_ino, rec->run);
		return EXIT_FAILED;
	}
	rc = read_run_keys(r, rec);
	if (rc)
		return rc;
	snprintf(r->txn.rec.rollback_of, sizeof(r->txn.rec.rollback_of), "%s",
		 rec->run);
	if (rec->incomplete || rec->result == RESULT_INTERRUPTED)
		msgs_addf(
			&r->warnings,
			"run %s has no result record (it was killed halfway): undoing the live values it may have written; check %s/%s by hand",
			rec->run, o->persist_dir, o->persist_file);
	plan_rollback(r, rec);
	for (size_t i = 0; i < r->warnings.n; i++)
		log_warn("%s", r->warnings.v[i]);
	return 0;
}

int cmd_rollback(const struct options *o, int argc, char **argv)
{
	struct audit_record rec = { 0 };
	struct run r;
	int rc;

	(void)argc;
	(void)argv;
	rc = run_start(&r, o, "rollback",
		       o->dry_run ? ROLE_READER : ROLE_WRITER);
	if (!rc && apply_init(&r.txn, MODE_ROLLBACK) < 0) {
		log_err("no random run id: %s", strerror(errno));
		rc = EXIT_FAILED;
	}
	if (!rc)
		rc = boundary_permitted(&r.b);
	if (!rc && !o->dry_run &&
	    boundary_lock(&r.b, o, o->lock_wait, false) < 0)
		rc = EXIT_FAILED;
	if (!rc)
		rc = decide(&r, &rec);
	if (rc)
		goto out;
	if (!r.txn.rec.n_changes) {
		rc = 0;
	} else if (o->dry_run) {
		rc = EXIT_CHANGES;
	} else {
		rc = execute(&r);
	}
	/* a run that failed before it wrote anything has nothing to show */
	if ((rc == 0 || rc == EXIT_CHANGES || r.txn_used) &&
	    run_write(&r, draw) < 0 && (rc == 0 || rc == EXIT_CHANGES))
		rc = EXIT_OUTPUT;
out:
	audit_record_free(&rec);
	run_free(&r);
	return rc;
}
