// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * twtune report: observe, evaluate the policies and print the plan,
 * changing nothing but twtune's own state file.
 */
#include "config.h"

#include "allns.h"
#include "commands.h"
#include "run.h"

/* Every network namespace: one table, one state file, one exit code. */
static int report_all(struct run *r)
{
	struct allns a;
	int rc = run_policies(r);

	if (!rc)
		rc = allns_evaluate(r, &a, false);
	if (rc)
		return rc;
	allns_save_state(r, &a);
	rc = allns_exit(r, &a);
	if (allns_output(r, &a) < 0)
		rc = EXIT_OUTPUT;
	allns_free(&a);
	return rc;
}

int cmd_report(const struct options *o, int argc, char **argv)
{
	struct run r;
	int rc;

	(void)argc;
	(void)argv;
	rc = run_start(&r, o, "report", ROLE_READER);
	if (!rc && o->all_netns) {
		rc = report_all(&r);
		run_free(&r);
		return rc;
	}
	if (!rc)
		rc = run_policies(&r);
	if (!rc)
		rc = run_evaluate(&r);
	if (!rc) {
		run_save_state(&r, NULL);
		rc = run_exit(&r);
		if (run_output(&r) < 0)
			rc = EXIT_OUTPUT;
	}
	run_free(&r);
	return rc;
}
