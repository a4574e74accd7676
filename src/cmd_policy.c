// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * twtune policy check [PATH...]: load the policies (the given paths and
 * any -p, or the default search path) and say every error as FILE:LINE,
 * or how many rules are in force; -v lists them and where each comes
 * from.
 */
#include "config.h"

#include <stdio.h>

#include "boundary.h"
#include "commands.h"
#include "log.h"
#include "run.h"

int cmd_policy_check(const struct options *o, int argc, char **argv)
{
	struct options po = *o;
	struct boundary b;
	struct run r = { .o = &po };
	size_t enabled = 0;
	int rc;

	/* parsing is all it does: nothing to write, no privilege kept */
	rc = boundary_cross(o, NULL, ROLE_READER, 0, &b);
	boundary_close(&b);
	if (rc)
		return rc;
	po.policies = (struct msgs){ 0 };
	for (size_t i = 0; i < o->policies.n; i++)
		msgs_addf(&po.policies, "%s", o->policies.v[i]);
	for (int i = 0; i < argc; i++)
		msgs_addf(&po.policies, "%s", argv[i]);
	rc = run_policies(&r);
	msgs_free(&po.policies);
	if (rc) {
		log_err("invalid policy");
		return rc;
	}
	for (size_t i = 0; i < r.pol.n_rules; i++)
		enabled += r.pol.rules[i].enabled;
	printf("OK: %zu rules (%zu enabled) from %zu files\n", r.pol.n_rules,
	       enabled, r.pol.n_files);
	if (o->verbose)
		for (size_t i = 0; i < r.pol.n_rules; i++)
			printf("  %-28s %s:%d%s\n", r.pol.rules[i].id,
			       r.pol.rules[i].file, r.pol.rules[i].line,
			       r.pol.rules[i].enabled ? "" : " (disabled)");
	policy_free(&r.pol);
	return fflush(stdout) == 0 ? 0 : EXIT_OUTPUT;
}
