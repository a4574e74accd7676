/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A change transaction: audit the intent, write each sysctl and verify
 * it, persist, audit the result; undo this run's writes on any failure.
 * Used by apply and rollback alike.
 */
#ifndef TWTUNE_APPLY_H
#define TWTUNE_APPLY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "audit.h"

enum persist_op {
	PERSIST_NONE,
	PERSIST_SET,
	PERSIST_REMOVE
};

struct change {
	char *key;
	long long before, after;
	char *rule;
	char *reason;
	enum persist_op pop;
	long long pvalue;
	bool persist_only; /* rollback: the live value is already back */
	/* filled in by apply_execute() */
	bool had_persist; /* the persist file held the key before */
	long long persist_before;
	bool written, verified, persisted;
};

struct txn {
	const char *mode;	 /* "apply", "rollback" */
	char run[33];		 /* 128-bit random id, hex */
	const char *rollback_of; /* rollback: the run undone */
	struct change *changes;
	size_t n_changes;
	int netfd;	/* /proc/sys/net */
	int sysctl_dfd; /* sysctl.d, or -1 with --no-persist */
	const char *persist_name;
	struct audit *audit;
	json_t *base;	    /* fields common to intent and result */
	const char *result; /* ok, partial, failed, rolled_back */
	char error[512];
};

/* Start a transaction: a fresh run id. */
int apply_init(struct txn *t, const char *mode);

/* Append a change (strings are copied). */
struct change *apply_add(struct txn *t, const char *key, long long before,
			 long long after, const char *rule, const char *reason);

/*
 * Run it.  Returns 0 when every change is written, verified, persisted
 * and audited; otherwise -errno with t->error set and t->result telling
 * what was left behind.  Nothing is written unless the intent record was.
 */
int apply_execute(struct txn *t);

json_t *apply_changes_json(const struct txn *t);

void apply_free(struct txn *t);

#endif
