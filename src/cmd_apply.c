// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * twtune apply: report, then write what the plan says, read it back,
 * persist and audit it, and undo this run's writes on any failure.  The
 * Ansible module runs the same code (apply_run).
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "allns.h"
#include "commands.h"
#include "log.h"
#include "recover.h"
#include "run.h"
#include "writer.h"

/* Write the plan (and close an interrupted run) in one transaction. */
static int apply_write(struct run *r)
{
	struct txn *t = &r->txn;

	if (apply_init(t, MODE_APPLY) < 0) {
		log_err("no random run id: %s", strerror(errno));
		return EXIT_FAILED;
	}
	for (size_t i = 0; i < r->plan.n_changes; i++)
		apply_add_planned(t, &r->plan.changes[i],
				  r->o->no_persist || r->no_persist);
	return writer_transact(r, t, &r->warnings, &r->txn_used);
}

/*
 * A dry run says what the real one would also close.  It takes no lock,
 * so the run may as well still be going on: said so.
 */
static void warn_interrupted(struct run *r)
{
	struct audit_record last;
	bool torn;

	recover_read_last(r->o->audit_log, &last, &torn);
	if (last.json && last.intent)
		msgs_addf(
			&r->warnings,
			"run %s has an intent and no result yet: interrupted, or still running; apply closes it if it was interrupted",
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
		return rc ? rc : run_exit(r);
	}
	if (boundary_lock(&r->b, o, o->lock_wait, false) < 0)
		return EXIT_FAILED;
	/* under the lock: how did the last run end? */
	recover = recover_read_last(o->audit_log, &r->last, &r->torn);
	rc = run_evaluate(r);
	if (rc)
		return rc;
	if (r->plan.n_changes || recover)
		rc = apply_write(r);
	return rc ? rc : run_exit(r);
}

/*
 * Every network namespace: each with changes gets its own transaction
 * (one intent and one result record, with the namespace's identity),
 * live only unless it is PID 1's; all under one lock.
 */
int apply_all_run(struct run *r, struct allns *a)
{
	const struct options *o = r->o;
	bool recover = false, any = false;
	int rc = run_policies(r);

	memset(a, 0, sizeof(*a));
	if (rc)
		return rc;
	if (!o->dry_run) {
		if (boundary_lock(&r->b, o, o->lock_wait, false) < 0)
			return EXIT_FAILED;
		recover = recover_read_last(o->audit_log, &r->last, &r->torn);
	}
	rc = allns_evaluate(r, a, !o->dry_run);
	if (rc)
		return rc;
	for (size_t i = 0; !o->dry_run && i < a->n; i++) {
		struct nsrun *x = &a->v[i];

		if (!x->ok || (!x->r.plan.n_changes && !(recover && !any)))
			continue;
		/* the first transaction closes an interrupted run */
		x->r.cut_pending = r->cut_pending;
		if (apply_write(&x->r) != 0)
			log_err("network namespace %llu: not applied",
				x->e.ino);
		r->cut_pending = x->r.cut_pending;
		any = true;
	}
	allns_save_state(r, a);
	return allns_exit(r, a);
}

static int apply_all(struct run *r)
{
	struct allns a;
	int rc = apply_all_run(r, &a);

	if (a.n && allns_output(r, &a) < 0 && rc != EXIT_FAILED)
		rc = EXIT_OUTPUT;
	allns_free(&a);
	return rc;
}

int cmd_apply(const struct options *o, int argc, char **argv)
{
	struct run r;
	int rc;

	(void)argc;
	(void)argv;
	rc = run_start(&r, o, "apply", o->dry_run ? ROLE_READER : ROLE_WRITER);
	if (!rc && o->all_netns) {
		rc = boundary_permitted(&r.b);
		if (!rc)
			rc = apply_all(&r);
		run_free(&r);
		return rc;
	}
	if (!rc)
		rc = apply_run(&r);
	if (r.observed)
		run_save_state(&r, r.txn_used ? &r.txn : NULL);
	/*
	 * A run that failed before it wrote anything has no report.  When
	 * only the report could not be written, the change stands: say so
	 * with an exit code of its own.
	 */
	if ((rc == 0 || rc == EXIT_CHANGES || rc == EXIT_ATTENTION ||
	     r.txn_used) &&
	    run_output(&r) < 0 &&
	    (rc == 0 || rc == EXIT_CHANGES || rc == EXIT_ATTENTION))
		rc = EXIT_OUTPUT;
	run_free(&r);
	return rc;
}
