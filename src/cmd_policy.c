// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * twtune policy check [PATH...]: load the policies (the given paths and
 * any -p, or the default search path) and say every error as FILE:LINE,
 * or how many rules are in force; -v lists them and where each comes
 * from.  Probable mistakes that are still valid policy (a key neither
 * twtune nor this kernel knows, disabling an id nothing defines, an id a
 * letter or two from an earlier file's) are warnings: exit 0, or 65
 * with --strict.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "boundary.h"
#include "commands.h"
#include "log.h"
#include "run.h"
#include "sysctl.h"
#include "target.h"

/* Whether this kernel has key; true when that cannot be told. */
static bool present(const char *key, void *arg)
{
	char raw[64];
	int netfd = *(int *)arg;

	return netfd < 0 ||
	       sysctl_read(netfd, key, raw, sizeof(raw)) != -ENOENT;
}

/* Warnings about keys, checked against --proc's kernel. */
static void check_keys(const struct options *o, const struct target *t,
		       const struct policy *p, struct msgs *warnings)
{
	int netfd = t->procfd >= 0 ? sysctl_open_net(t->procfd) : -1;

	if (netfd < 0)
		log_info(
			"cannot read %s/sys/net: keys are checked against twtune's own table only",
			o->proc);
	policy_check_keys(p, present, &netfd, warnings);
	if (netfd >= 0)
		close(netfd);
}

int cmd_policy_check(const struct options *o, int argc, char **argv)
{
	struct options po = *o;
	struct boundary b;
	struct run r = { .o = &po };
	struct target t = { .procfd = -1 };
	struct msgs warnings = { 0 };
	size_t enabled = 0, n_warn;
	int rc;

	/* presence of keys is read from --proc; no --netns to enter here */
	po.netns = NULL;
	if (target_open(&po, &t, false) != 0)
		t.procfd = -1;
	/* parsing is all it does: nothing to write, no privilege kept */
	rc = boundary_cross(o, t.procfd >= 0 ? &t : NULL, ROLE_READER, 0, &b);
	boundary_close(&b);
	if (rc) {
		target_close(&t);
		return rc;
	}
	po.policies = (struct msgs){ 0 };
	msgs_add_all(&po.policies, &o->policies);
	for (int i = 0; i < argc; i++)
		msgs_addf(&po.policies, "%s", argv[i]);
	rc = run_policies(&r);
	msgs_free(&po.policies);
	if (rc) {
		target_close(&t);
		log_err("invalid policy");
		return rc;
	}
	for (size_t i = 0; i < r.pol.warnings.n; i++)
		log_warn("%s", r.pol.warnings.v[i]);
	check_keys(o, &t, &r.pol, &warnings);
	target_close(&t);
	for (size_t i = 0; i < warnings.n; i++)
		log_warn("%s", warnings.v[i]);
	n_warn = warnings.n + r.pol.warnings.n;
	msgs_free(&warnings);
	for (size_t i = 0; i < r.pol.n_rules; i++)
		enabled += r.pol.rules[i].enabled;
	if (n_warn && o->strict) {
		log_err("%zu warning%s and --strict", n_warn,
			n_warn == 1 ? "" : "s");
		policy_free(&r.pol);
		return EX_DATAERR;
	}
	printf("OK: %zu rules (%zu enabled) from %zu files%s\n", r.pol.n_rules,
	       enabled, r.pol.n_files, n_warn ? ", with warnings" : "");
	if (o->verbose)
		for (size_t i = 0; i < r.pol.n_rules; i++)
			printf("  %-28s %s:%d%s\n", r.pol.rules[i].id,
			       r.pol.rules[i].file, r.pol.rules[i].line,
			       r.pol.rules[i].enabled ? "" : " (disabled)");
	policy_free(&r.pol);
	return fflush(stdout) == 0 ? 0 : EXIT_OUTPUT;
}
