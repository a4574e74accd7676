/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The planner: given the loaded rules and one observation, decide what to
 * change and what to say.  Pure: no I/O, no clock, no globals, so that it
 * can be tested exhaustively.
 */
#ifndef TWTUNE_PLAN_H
#define TWTUNE_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "observe.h"
#include "policy.h"
#include "state.h"

struct plan_change {
	char *key;
	long long from; /* the live value, exactly */
	long long to;
	const struct rule *rule;
	char *reason;
	bool persist;
	char *at_least; /* a raise planned at its known lower bound: why */
};

/* A rule's message: advice, or a note on why a fired rule did nothing. */
struct plan_note {
	const struct rule *rule;
	enum severity severity;
	char *text;
	bool backoff; /* the key was left alone: someone else changed it */
};

/* What the planner needs to know besides rules and observation. */
struct plan_opts {
	const struct state_written *written; /* twtune's last write per key */
	size_t n_written;
	/* ... of these, in this namespace's (inode, cookie) */
	unsigned long long netns, netns_cookie;
	const char *const *reclaim; /* keys the operator takes back */
	size_t n_reclaim;
};

struct plan_undecided {
	const struct rule *rule;
	struct msgs missing;
};

struct plan_overridden {
	const struct rule *rule; /* the one that lost */
	const struct rule *by;
	const char *key;
};

/* Decision for one key: the last fired rule's, change or not. */
struct plan_key {
	const char *key;
	const struct rule *rule;
	bool change;
	long long to;
	double value;  /* planned value before the no-op check */
	char *unknown; /* a lower bound: what was not known */
};

struct plan {
	struct plan_change *changes;
	size_t n_changes;
	struct plan_note *advice;
	size_t n_advice;
	struct plan_note *notes; /* fired rules that could not act */
	size_t n_notes;
	struct plan_undecided *undecided;
	size_t n_undecided;
	struct plan_overridden *overridden;
	size_t n_overridden;
	struct plan_key *keys;
	size_t n_keys;
};

int plan_build(const struct policy *p, const struct observation *o,
	       struct plan *out);

/*
 * plan_build() with administrator back-off: a key whose live value is no
 * longer the one twtune last wrote was changed by someone else, and is
 * left alone (with a note) unless the rule says override or the key is
 * being reclaimed.
 */
int plan_build_opts(const struct policy *p, const struct observation *o,
		    const struct plan_opts *opts, struct plan *out);
void plan_free(struct plan *pl);

/* Whether critical advice fired (or a critical note was made). */
bool plan_has_critical(const struct plan *pl);

/* The change planned for key, or NULL. */
const struct plan_change *plan_find(const struct plan *pl, const char *key);

#endif
