// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * twtune report: observe, evaluate the policies and print the plan,
 * changing nothing but twtune's own state file.
 */
#include "config.h"

#include "commands.h"
#include "run.h"

int cmd_report(const struct options *o, int argc, char **argv)
{
	struct run r;
	int rc;

	(void)argc;
	(void)argv;
	rc = run_start(&r, o, "report", ROLE_READER);
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
