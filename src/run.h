/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The pipeline every command that observes shares, written once so that
 * report, apply, watch and the Ansible module cannot drift apart:
 *
 *   target -> boundary -> policies -> observe (+ baseline, state)
 *          -> sockets -> plan -> shadowing -> [transaction] -> state
 *          -> output
 *
 * A struct run holds one pass through it; each step is one call.
 */
#ifndef TWTUNE_RUN_H
#define TWTUNE_RUN_H

#include <stdbool.h>
#include <stdio.h>

#include "apply.h"
#include "audit.h"
#include "boundary.h"
#include "observe.h"
#include "options.h"
#include "plan.h"
#include "policy.h"
#include "report.h"
#include "shadow.h"
#include "sockdiag.h"
#include "state.h"
#include "target.h"

struct run {
	const struct options *o;
	const char *command; /* "report", "apply", "watch" */
	struct target target;
	struct boundary b;
	struct policy pol;
	struct state *st; /* st_own, or the one all namespaces share */
	struct state st_own;
	struct observation obs;
	struct baseline first; /* --sample's first observation */
	struct sock_stats socks;
	struct plan plan;
	struct shadows shadows;
	struct msgs warnings;
	struct audit_record last; /* the audit log's last record (writers) */
	bool torn;		  /* its last line was torn by a kill */
	struct txn txn;		  /* what apply did (txn_used) */
	bool txn_used;		  /* it ran: the report shows it */
	bool observed;		  /* run_observe() succeeded */
	bool state_dirty;	  /* st holds news the state file must get */
	bool no_reclaim;	  /* ignore --reclaim (watch) */
	size_t cut_pending;	  /* torn bytes cut, not yet in a record */
	/*
	 * Under --all-netns, one namespace: its view and identity (NULL in
	 * twtune's own pass), and what went wrong with it.
	 */
	const struct nsview *view;
	const struct netns_entry *ns;
	const struct observation *host; /* one for the host-wide values */
	char error[600];
	/*
	 * Why this namespace's values are set live only (not PID 1's, whose
	 * sysctl.d the boot applies), or NULL: they are persisted.
	 */
	const char *no_persist;
};

/*
 * Start: open the target, then cross the privilege boundary in the given
 * role.  Returns an exit code.
 */
int run_start(struct run *r, const struct options *o, const char *command,
	      enum role role);

/* Load the policies (-p, or the default path).  0 or EX_DATAERR. */
int run_policies(struct run *r);

/* Load them again (watch's SIGHUP); a bad set keeps the old one. */
void run_reload(struct run *r);

/*
 * Observe with a baseline from --sample or the state file (samples in
 * mem are added to the state's, for a watch that writes none), and
 * adopt the values of the last audited run as twtune's own (see
 * recover.h).  Returns an exit code.
 */
int run_observe(struct run *r, const struct state *mem);

/* The socket dump, when it is wanted and possible; else why not. */
void run_sockets(struct run *r);

/* Plan, then check what boot would undo (shadowing). */
void run_plan(struct run *r);

/* report and apply: observe, sockets, plan.  Returns an exit code. */
int run_evaluate(struct run *r);

/*
 * The pieces of run_evaluate() that --all-netns runs per namespace:
 * collect an observation (an exit code; the reason in r->error under
 * --all-netns), derive it against first (a sample) or the state's
 * baseline, and say whether it needs a sample to have one; then the
 * rest (sockets, plan, shadowing, warnings).
 */
int run_collect(struct run *r, struct observation *obs);
void run_derive(struct run *r, const struct baseline *first);
bool run_wants_baseline(const struct run *r);
void run_assess(struct run *r);

/*
 * The exit code of a run that got through: 2 when it proposes changes
 * (0 with --format salt, which reads "changed"); 3 when the table is
 * full or overflowing, or critical advice fired, and nothing proposed
 * (or, after apply, done) fixes it; else 0.  With --format prometheus
 * always 0: the metrics carry the verdict.
 */
int run_exit(const struct run *r);

/* Forget one tick's observation and plan (watch), keeping the rest. */
void run_next(struct run *r);

/*
 * Record this observation (and what t changed) in the state file.
 * Failing is a warning (in r->warnings), and returns -errno.
 */
int run_save_state(struct run *r, const struct txn *t);

/* The report of this run, for output. */
void run_report(const struct run *r, struct report *rep);

/*
 * Print the report in --format to standard output, or replace --output
 * with it.  0 or -errno (said).
 */
int run_output(struct run *r);

/* The same with another renderer (rollback's own output). */
int run_write(struct run *r, void (*draw)(const struct run *r, FILE *f));
int run_write_arg(struct run *r,
		  void (*draw)(const struct run *r, FILE *f, void *arg),
		  void *arg);

void run_free(struct run *r);

/*
 * Watching the overflow counter through a sample window, every
 * RUN_SAMPLE_POLL seconds: the overflows may all have come in a burst
 * much shorter than the window.  Start with the counter's value, see
 * each later value at t seconds, and the length is from the first to the
 * last poll that saw it rise, plus one poll (NAN when it never rose).
 */
#define RUN_SAMPLE_POLL 0.1
struct run_burst {
	double last, first_rise, last_rise;
};
void run_burst_start(struct run_burst *b, double value);
void run_burst_see(struct run_burst *b, double value, double t);
double run_burst_length(const struct run_burst *b);

/* Sleep seconds, whatever signals arrive meanwhile. */
void run_nap(double seconds);

/*
 * Why the values of network namespace ns are not persisted (it is not
 * PID 1's, whose sysctl.d the boot applies, and no --sysctl-d names
 * another target), with how to keep them; NULL when they are.
 */
const char *run_persist_elsewhere(const struct run *r, unsigned long long ns,
				  const struct netns_entry *e);

#endif
