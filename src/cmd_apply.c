// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * twtune apply: report, then write what the plan says, read it back,
 * persist and audit it, and undo this run's writes on any failure.  The
 * Ansible module runs the same code (apply_run).
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "commands.h"
#include "log.h"
#include "recover.h"
#include "run.h"
#include "writer.h"

/* The plan's changes as a transaction's, with what each persists. */
static bool add_plan(const struct run *r, struct txn *t)
{
	bool persist = false;

	for (size_t i = 0; i < r->plan.n_changes; i++) {
		const struct plan_change *c = &r->plan.changes[i];
		struct change *ch = apply_add(t, c->key, c->from,
					      c->to, c->rule->id, c->reason);

		if (c->persist && !r->o->no_persist) {
			ch->pop = PERSIST_SET;
			ch->pvalue = c->to;
			persist = true;
		}
	}
	return persist;
}

/* Write the plan (and close an interrupted run) in one transaction. */
static int apply_write(struct run *r)
{
	struct audit a = { .fd = -1 };
	struct txn *t = &r->txn;
	int rc = 0, ret;

	if (apply_init(t, MODE_APPLY) < 0) {
		log_err("no random run id: %s", strerror(errno));
		return EXIT_FAILED;
	}
	if (add_plan(r, t) && r->b.persist_dfd < 0) {
		log_err("--sysctl-d %s: %s", r->o->persist_dir,
			strerror(r->b.persist_err));
		return EXIT_FAILED;
	}
	rc = writer_open_audit(r, &a);
	if (rc)
		return rc;
	writer_bind(r, t, &a);
	writer_recover(r, t, &a, &r->warnings);
	if (t->rec.n_changes) {
		ret = apply_execute(t);
		r->txn_used = true;
		if (ret < 0) {
			log_err("%s (result: %s)", t->error,
				txn_result_names[t->rec.result]);
			rc = EXIT_FAILED;
		}
	}
	audit_close(&a);
	return rc;
}

/* A dry run says what the real one would also close. */
static void warn_interrupted(struct run *r)
{
	struct audit_record last;
	bool torn;

	recover_read_last(r->o->audit_log, &last, &torn);
	if (last.json && last.intent)
		msgs_addf(&r->warnings,
			  "run %s was interrupted between its intent and its "
			  "result; apply closes it",
			  last.run);
	audit_record_free(&last);
}

int apply_run(struct run *r)
{
	const struct options *o = r->o;
	bool recover;
	int rc;

	rc = run_policies(r);
	if (rc)
		return rc;
	if (o->dry_run) {
		rc = run_evaluate(r);
		if (!rc)
			warn_interrupted(r);
		return rc ? rc : run_proposal_exit(r);
	}
	if (boundary_lock(&r->b, o, o->lock_wait, false) < 0)
		return EXIT_FAILED;
	/* under the lock: how did the last run end? */
	recover = recover_read_last(o->audit_log, &r->last, &r->torn);
	rc = run_evaluate(r);
	if (rc)
		return rc;
	if (!r->plan.n_changes && !recover)
		return 0;
	return apply_write(r);
}

int cmd_apply(const struct options *o, int argc, char **argv)
{
	struct run r;
	int rc;

	(void)argc;
	(void)argv;
	rc = run_start(&r, o, "apply", o->dry_run ? ROLE_READER : ROLE_WRITER);
	if (!rc)
		rc = apply_run(&r);
	if (r.observed)
		run_save_state(&r, r.txn_used ? &r.txn : NULL);
	/* a run that failed before it wrote anything has no report */
	if ((rc == 0 || rc == EXIT_CHANGES || r.txn_used) &&
	    run_output(&r) < 0 && rc == 0)
		rc = EXIT_FAILED;
	run_free(&r);
	return rc;
}
