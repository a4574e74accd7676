/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A change transaction: audit the intent, write each sysctl and verify
 * it, persist, audit the result; undo this run's writes on any failure.
 * Used by apply, watch and rollback alike.
 */
#ifndef TWTUNE_APPLY_H
#define TWTUNE_APPLY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "audit.h"
#include "plan.h"

struct nsview;

struct txn {
	struct audit_record rec;   /* run id, mode, changes, result */
	int netfd;		   /* /proc/sys/net */
	const struct nsview *view; /* or another namespace's sysctls */
	int sysctl_dfd;		   /* sysctl.d, or -1 with --no-persist */
	const char *persist_name;
	struct audit *audit;
	json_t *base;	 /* fields common to intent and result */
	char label[160]; /* "NAME: " of another namespace's run, else "" */
	char error[512];
};

/* Start a transaction: a fresh run id. */
int apply_init(struct txn *t, enum txn_mode mode);

/* Append a change (strings are copied). */
struct change *apply_add(struct txn *t, const char *key, long long before,
			 long long after, const char *rule, const char *reason);

/*
 * Run it.  Returns 0 when every change is written, verified, persisted
 * and audited; otherwise -errno with t->error set and t->rec.result
 * telling what was left behind.  Nothing is written unless the intent
 * record was.
 */
int apply_execute(struct txn *t);

/* Whether any change of t is to go into the persist file. */
bool apply_persists(const struct txn *t);

/*
 * Append the plan's change c, persisted (unless no_persist or the rule
 * says not to) at its new value.
 */
struct change *apply_add_planned(struct txn *t, const struct plan_change *c,
				 bool no_persist);

/* Whether the run changed a live value (verified). */
bool apply_changed(const struct txn *t);

void apply_free(struct txn *t);

#endif
