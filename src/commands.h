/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The commands, one file each (cmd_NAME.c), and the exit codes they end
 * with.  Exit codes are decided only where a command ends.
 */
#ifndef TWTUNE_COMMANDS_H
#define TWTUNE_COMMANDS_H

#include <sysexits.h> /* EX_OK, EX_USAGE 64, EX_DATAERR 65, EX_NOPERM 77 */

#include "options.h"

enum {
	EXIT_FAILED = 1,    /* a runtime failure; this run's writes undone */
	EXIT_CHANGES = 2,   /* report, dry runs: changes are proposed */
	EXIT_ATTENTION = 3, /* trouble that nothing proposed or done fixes */
	EXIT_OUTPUT = 4,    /* the work was done, its output not written */
};

struct run;

int cmd_report(const struct options *o, int argc, char **argv);
int cmd_apply(const struct options *o, int argc, char **argv);
int cmd_watch(const struct options *o, int argc, char **argv);
int cmd_rollback(const struct options *o, int argc, char **argv);
int cmd_policy_check(const struct options *o, int argc, char **argv);
int cmd_audit_verify(const struct options *o, int argc, char **argv);
int cmd_ansible(const struct options *o, int argc, char **argv);

/*
 * apply's work once the run has crossed the privilege boundary: evaluate,
 * then close an interrupted run and write what the plan says.  Shared by
 * apply and the Ansible module.  Returns an exit code.
 */
int apply_run(struct run *r);

/*
 * The same for every network namespace (--all-netns): a is filled even
 * on failure (allns_free() it).  Returns an exit code.
 */
struct allns;
int apply_all_run(struct run *r, struct allns *a);

#endif
