/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * --all-netns: one pass of the pipeline for every network namespace of
 * the host.  The namespaces come from the opener (nsopen.h), each seen
 * through descriptors opened inside it; each gets a struct run of its
 * own that shares the command's options, policies, privilege boundary
 * and state with the command's run (the master), so that the policies
 * are read once, the state file is read and written once, and a sample
 * is taken once for all of them.
 */
#ifndef TWTUNE_ALLNS_H
#define TWTUNE_ALLNS_H

#include "netns.h"
#include "nsopen.h"
#include "run.h"

struct nsrun {
	struct netns_entry e; /* its identity (owned copy) */
	struct nsview view;
	struct run r; /* shares the master's o, pol, b, st */
	bool ok;      /* observed; else r.error says why */
};

struct allns {
	struct nsrun *v;
	size_t n;
	struct msgs warnings;	 /* discovery's */
	struct observation host; /* the host-wide values, read once */
};

/*
 * Discover, open, observe (one sample for all when one is needed),
 * evaluate.  write opens the sysctls for writing.  Returns an exit code:
 * 0 even when some namespaces could not be read (each says why).
 */
int allns_evaluate(struct run *m, struct allns *a, bool write);

/* Record every namespace's observation in the state, and save it once. */
void allns_save_state(struct run *m, struct allns *a);

/*
 * The exit code of the whole: 2 when any namespace has changes to
 * propose, else 3 when any needs attention that nothing fixes, else 0
 * (apply: 1 when a transaction failed, else 3 or 0).
 */
int allns_exit(const struct run *m, const struct allns *a);

/* Print the report of every namespace (text, JSON, Prometheus). */
int allns_output(struct run *m, struct allns *a);

void allns_free(struct allns *a);

/* The pieces, for watch --all-netns, which keeps its namespaces. */
void allns_entry_copy(struct netns_entry *dst, const struct netns_entry *src);
/* A namespace's run: the master's shared parts, nothing of its own yet
 * (x->e must be set; x->view is its view). */
void allns_run_init(struct nsrun *x, const struct run *m);
/* Free what is the namespace's own, its view and identity included. */
void allns_run_free(struct nsrun *x);
/* The sysctls a view must open; an exit code (too many). */
int allns_view_keys(const struct run *m, struct msgs *keys);
/* Whether views need a sock_diag socket. */
bool allns_wants_dump(const struct run *m);

#endif
