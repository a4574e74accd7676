/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The policy expression language: numbers, metric names, `current` and
 * `exists`, + - * / %, comparisons, && || !, parentheses and the functions
 * min max ceil floor pow2ceil sysctl present.  Values are doubles; NAN stands
 * for "unknown" and propagates, except that && and || follow Kleene's
 * three-valued logic (unknown || true is true, unknown && false is false).
 */
#ifndef TWTUNE_EXPR_H
#define TWTUNE_EXPR_H

#include <stdbool.h>
#include <stddef.h>

#include "observe.h"
#include "util.h"

struct expr;

/* Allow `current` and `exists` (only rules that target a sysctl). */
#define EXPR_RULE_VARS 1u

/*
 * Parse src.  On error returns -EINVAL and writes a message (without file
 * or line) to err.
 */
int expr_parse(const char *src, unsigned flags, struct expr **out, char *err,
	       size_t errlen);
void expr_free(struct expr *e);

/* A constant expression's value (no names, no calls). */
bool expr_const(const struct expr *e, double *v);

/* Whether e names a socket-level metric. */
bool expr_uses_socket_metrics(const struct expr *e);

/* Append each key named in sysctl("...") calls to keys. */
void expr_sysctl_keys(const struct expr *e, struct msgs *keys);

struct expr_env {
	const struct observation *obs;
	const char *key; /* the rule's sysctl, or NULL */
	double current;	 /* its live value, NAN if unknown */
	bool exists;	 /* whether the kernel has it */
};

/*
 * Evaluate e.  When the result is unknown, missing (if not NULL) receives
 * one line per unknown input, e.g. "tw_demand: no baseline".
 */
double expr_eval(const struct expr *e, const struct expr_env *env,
		 struct msgs *missing);

/*
 * A lower bound of e's value when e itself is unknown: max() is at least
 * each argument that is known (so max(current * 2, unknown) is at least
 * current * 2), and sums, ceil, floor and pow2ceil keep a bound; NAN
 * when there is none.  For raise-only rules, which cannot overshoot by
 * planning the bound.
 */
double expr_eval_lower(const struct expr *e, const struct expr_env *env);

#endif
