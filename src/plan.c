// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Rule evaluation and the plan.  For each enabled rule in load order: an
 * unknown `when` makes the rule undecided; a false one skips it; a true
 * one yields advice, or a value for its sysctl that is rounded, clamped by
 * min/max, checked against the kernel's range and the rule's direction.
 * The last fired rule per key decides that key.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "tunables.h"

#define PUSH(arr, n)                                                           \
	(arr = xrealloc(arr, ((n) + 1) * sizeof(*(arr))), &(arr)[(n)++])

static void note(struct plan *pl, const struct rule *r, enum severity sev,
		 char *text)
{
	struct plan_note *n = PUSH(pl->notes, pl->n_notes);

	n->rule = r;
	n->severity = sev;
	n->text = text;
	n->backoff = false;
}

static void undecided(struct plan *pl, const struct rule *r,
		      struct msgs *missing, const char *what)
{
	struct plan_undecided *u = PUSH(pl->undecided, pl->n_undecided);

	u->rule = r;
	u->missing = *missing;
	if (!u->missing.n)
		msgs_addf(&u->missing, "%s is unknown", what);
	memset(missing, 0, sizeof(*missing));
}

/* Evaluate an optional bound; false when it is present but unknown. */
static bool bound(const struct expr *e, const struct expr_env *env, double *v,
		  struct msgs *missing)
{
	if (!e) {
		*v = NAN;
		return true;
	}
	*v = expr_eval(e, env, missing);
	return !isnan(*v);
}

static struct plan_key *key_slot(struct plan *pl, const char *key)
{
	for (size_t i = 0; i < pl->n_keys; i++)
		if (strcmp(pl->keys[i].key, key) == 0)
			return &pl->keys[i];
	struct plan_key *k = PUSH(pl->keys, pl->n_keys);

	memset(k, 0, sizeof(*k));
	k->key = key;
	return k;
}

/* twtune's last write of key, if someone else has changed it since. */
static const struct state_written *
changed_by_others(const struct plan_opts *opts, const char *key, long long live)
{
	for (size_t i = 0; opts && i < opts->n_reclaim; i++)
		if (strcmp(opts->reclaim[i], key) == 0)
			return NULL;
	for (size_t i = 0; opts && i < opts->n_written; i++)
		if (util_same_netns(opts->written[i].netns,
				    opts->written[i].cookie, opts->netns,
				    opts->netns_cookie) &&
		    strcmp(opts->written[i].key, key) == 0)
			return opts->written[i].value != live
				       ? &opts->written[i]
				       : NULL;
	return NULL;
}

/*
 * Whether rule r may act on its key at all: present here, one integer,
 * and not changed by someone else since twtune last set it.  Says why
 * not in a note.
 */
static bool manageable(struct plan *pl, const struct rule *r,
		       const struct expr_env *env, const struct sysctl_obs *s,
		       const struct plan_opts *opts)
{
	const struct state_written *w;

	if (!env->exists && env->obs->kernel.per_netns != 1 &&
	    tunable_per_netns(r->key)) {
		/* a child namespace before 4.11: the host's, set elsewhere */
		note(pl, r, SEV_WARNING,
		     xasprintf(
			     "%s is not in this network namespace: before Linux 4.11 it is the whole host's, set from the initial namespace; nothing to change here (run twtune there)",
			     r->key));
		return false;
	}
	if (!env->exists) {
		note(pl, r, SEV_INFO,
		     xasprintf(
			     "%s is not present on this kernel; nothing to change",
			     r->key));
		return false;
	}
	if (!s->is_int) {
		note(pl, r, SEV_WARNING,
		     xasprintf(
			     "%s does not hold a single integer; twtune cannot manage it",
			     r->key));
		return false;
	}
	w = r->override ? NULL : changed_by_others(opts, r->key, s->ival);
	if (w) {
		note(pl, r, SEV_WARNING,
		     xasprintf(
			     "%s is %lld, but twtune last set it to %lld: someone else changed it, so twtune leaves it alone (twtune apply --reclaim %s takes it back)",
			     r->key, s->ival, w->value, r->key));
		pl->notes[pl->n_notes - 1].backoff = true;
		return false;
	}
	return true;
}

/*
 * Rule r's value, within its min and max and the kernel's range, as a
 * whole number in *v; *unknown says what was unknown when only a raise's
 * lower bound is known (else NULL).  False when it cannot be planned
 * (said: undecided, or a note).
 */
static bool planned_value(struct plan *pl, const struct rule *r,
			  const struct expr_env *env, double *v, char **unknown)
{
	struct msgs missing = { 0 };
	double lo, hi;
	long long klo, khi;

	*unknown = NULL;
	*v = expr_eval(r->value, env, &missing);
	/*
	 * A raise that is only partly known is at least its known part
	 * (max(current * 2, unknown) is at least current * 2): planning that
	 * can only fall short of the full value, never overshoot it.
	 */
	if (isnan(*v) && r->direction == DIR_RAISE &&
	    !isnan(*v = expr_eval_lower(r->value, env)) && missing.n) {
		*unknown = xstrdup(missing.v[0]);
		msgs_free(&missing);
	}
	if (isnan(*v)) {
		undecided(pl, r, &missing, "value");
		goto refused;
	}
	if (!bound(r->min, env, &lo, &missing)) {
		undecided(pl, r, &missing, "min");
		goto refused;
	}
	if (!bound(r->max, env, &hi, &missing)) {
		undecided(pl, r, &missing, "max");
		goto refused;
	}
	msgs_free(&missing);
	*v = round(*v);
	/* no integer between the bounds counts as an empty range too */
	if (!isnan(lo) && !isnan(hi) && ceil(lo) > floor(hi)) {
		note(pl, r, SEV_WARNING,
		     xasprintf("min (%g) is above max (%g); %s left alone", lo,
			       hi, r->key));
		goto refused;
	}
	if (!isnan(lo) && *v < lo)
		*v = ceil(lo);
	if (!isnan(hi) && *v > hi)
		*v = floor(hi);
	tunable_range(r->key, &klo, &khi);
	if (!(*v >= (double)klo && *v <= (double)khi)) {
		note(pl, r, SEV_WARNING,
		     xasprintf(
			     "planned value %.0f for %s is outside the kernel's range %lld..%lld; not applied",
			     *v, r->key, klo, khi));
		goto refused;
	}
	return true;
refused:
	free(*unknown);
	*unknown = NULL;
	return false;
}

/* Whether going from cur to to is what r's direction allows. */
static bool wanted(struct plan *pl, const struct rule *r,
		   const struct expr_env *env, long long cur, long long to)
{
	if (r->direction == DIR_RAISE && cur < 0 &&
	    tunable_negative_unlimited(r->key) && env->obs->tw_max_unlimited) {
		note(pl, r, SEV_INFO,
		     xasprintf(
			     "%s is %lld (negative: unlimited); raising it to %lld would lower the limit, so it is left alone",
			     r->key, cur, to));
		return false;
	}
	if (r->direction == DIR_RAISE)
		return to > cur;
	if (r->direction == DIR_LOWER)
		return to < cur;
	return to != cur;
}

static void sysctl_rule(struct plan *pl, const struct rule *r,
			const struct expr_env *env, const struct sysctl_obs *s,
			const struct plan_opts *opts)
{
	struct plan_key *k;
	char *unknown;
	double v;
	bool change;

	if (!manageable(pl, r, env, s, opts) ||
	    !planned_value(pl, r, env, &v, &unknown))
		return;
	change = wanted(pl, r, env, s->ival, (long long)v);
	/* the last fired rule for a key decides; the ones before it lost */
	k = key_slot(pl, r->key);
	if (k->rule) {
		struct plan_overridden *o =
			PUSH(pl->overridden, pl->n_overridden);

		o->rule = k->rule;
		o->by = r;
		o->key = r->key;
	}
	k->rule = r;
	k->change = change;
	k->to = (long long)v;
	k->value = v;
	free(k->unknown);
	k->unknown = unknown;
}

/*
 * Buckets and ports decided together.  While the table overflows, every
 * overflow frees its local port at once; a higher limit keeps those ports
 * in TIME_WAIT for its whole lifetime.  Where one destination's TIME_WAIT
 * would then take more than 90% of the usable ephemeral ports and
 * tcp_tw_reuse does not cover it (now, or by a change in this plan),
 * connect() would fail with EADDRNOTAVAIL where an overflow only skipped
 * TIME_WAIT: so the raise stops at that limit, and says why.
 */
/* Whether tcp_tw_reuse, as it is now, covers every destination. */
static bool reuse_covers_all(const struct observation *o)
{
	const struct sysctl_obs *r = observe_sysctl(o, "net.ipv4.tcp_tw_reuse");

	/* 2 is loopback only from 4.19; before, any value but 0 is on */
	return r && r->is_int &&
	       (r->ival == 1 ||
		(r->ival != 0 && o->kernel.reuse_loopback == 0));
}

static void port_trade(struct plan *pl, const struct observation *o)
{
	const char *twb = "net.ipv4.tcp_max_tw_buckets";
	const struct sysctl_obs *s = observe_sysctl(o, twb);
	double limit = o->m[M_TW_PORT_LIMIT];
	struct plan_key *k = NULL, *reuse = NULL;

	for (size_t i = 0; i < pl->n_keys; i++) {
		if (strcmp(pl->keys[i].key, twb) == 0)
			k = &pl->keys[i];
		else if (strcmp(pl->keys[i].key, "net.ipv4.tcp_tw_reuse") == 0)
			reuse = &pl->keys[i];
	}
	if (!k || !k->change || !s || !s->is_int ||
	    (reuse && reuse->change && reuse->to == 1))
		return;
	if (isnan(o->m[M_PORT_DEMAND]) && !reuse_covers_all(o)) {
		/* no socket dump: the trade cannot be checked */
		note(pl, k->rule, SEV_WARNING,
		     xasprintf(
			     "%s: raised without the port check (no socket dump: %s): if this host opens many connections to one destination, a higher limit keeps their ports in TIME_WAIT, and connect() can fail with EADDRNOTAVAIL where an overflow now only skips TIME_WAIT; a report with the dump checks it",
			     twb,
			     o->why[M_PORT_DEMAND] ? o->why[M_PORT_DEMAND]
						   : "not made"));
		return;
	}
	if (isnan(limit) || (double)k->to <= limit)
		return;
	note(pl, k->rule, SEV_WARNING,
	     xasprintf(
		     "%s: raised only to %.0f, not %lld: beyond that the TIME_WAIT sockets to the busiest destination would take more than 90%% of the %.0f usable ephemeral ports, and connect() would fail with EADDRNOTAVAIL where an overflow now only skips TIME_WAIT; tcp_tw_reuse = 1 (which needs TCP timestamps from the peer) would let the raise go further",
		     twb, limit > (double)s->ival ? limit : (double)s->ival,
		     k->to, o->m[M_USABLE_PORTS]));
	if (limit > (double)s->ival)
		k->to = (long long)limit;
	else
		k->change = false;
}

int plan_build(const struct policy *p, const struct observation *o,
	       struct plan *pl)
{
	return plan_build_opts(p, o, NULL, pl);
}

int plan_build_opts(const struct policy *p, const struct observation *o,
		    const struct plan_opts *opts, struct plan *pl)
{
	memset(pl, 0, sizeof(*pl));
	for (size_t i = 0; i < p->n_rules; i++) {
		const struct rule *r = &p->rules[i];
		struct expr_env env = { .obs = o, .current = NAN };
		struct msgs missing = { 0 };
		double w;

		if (!r->enabled)
			continue;
		if (r->key) {
			const struct sysctl_obs *s = observe_sysctl(o, r->key);

			env.key = r->key;
			env.exists = s && s->exists;
			env.current = s ? s->value : NAN;
		}
		w = expr_eval(r->when, &env, &missing);
		if (isnan(w)) {
			undecided(pl, r, &missing, "when");
			continue;
		}
		msgs_free(&missing);
		if (w == 0)
			continue;
		if (r->kind == RULE_ADVICE) {
			struct plan_note *n = PUSH(pl->advice, pl->n_advice);

			n->rule = r;
			n->severity = r->severity;
			n->text = policy_render(r->advice, o, NAN, NAN);
			continue;
		}
		sysctl_rule(pl, r, &env, observe_sysctl(o, r->key), opts);
	}
	port_trade(pl, o);

	for (size_t i = 0; i < pl->n_keys; i++) {
		const struct plan_key *k = &pl->keys[i];
		const struct sysctl_obs *s;
		struct plan_change *c;

		if (!k->change)
			continue;
		s = observe_sysctl(o, k->key);
		c = PUSH(pl->changes, pl->n_changes);
		c->key = xstrdup(k->key);
		c->from = s->ival;
		c->to = k->to;
		c->at_least = k->unknown ? xstrdup(k->unknown) : NULL;
		c->rule = k->rule;
		c->persist = k->rule->persist;
		c->reason = k->rule->reason
				    ? policy_render(k->rule->reason, o,
						    s->value, (double)k->to)
				    : xasprintf("rule %s", k->rule->id);
	}
	return 0;
}

bool plan_has_critical(const struct plan *pl)
{
	for (size_t i = 0; i < pl->n_advice; i++)
		if (pl->advice[i].severity == SEV_CRITICAL)
			return true;
	for (size_t i = 0; i < pl->n_notes; i++)
		if (pl->notes[i].severity == SEV_CRITICAL)
			return true;
	return false;
}

const struct plan_change *plan_find(const struct plan *pl, const char *key)
{
	for (size_t i = 0; i < pl->n_changes; i++)
		if (strcmp(pl->changes[i].key, key) == 0)
			return &pl->changes[i];
	return NULL;
}

void plan_free(struct plan *pl)
{
	for (size_t i = 0; i < pl->n_changes; i++) {
		free(pl->changes[i].key);
		free(pl->changes[i].reason);
		free(pl->changes[i].at_least);
	}
	for (size_t i = 0; i < pl->n_keys; i++)
		free(pl->keys[i].unknown);
	free(pl->changes);
	for (size_t i = 0; i < pl->n_advice; i++)
		free(pl->advice[i].text);
	free(pl->advice);
	for (size_t i = 0; i < pl->n_notes; i++)
		free(pl->notes[i].text);
	free(pl->notes);
	for (size_t i = 0; i < pl->n_undecided; i++)
		msgs_free(&pl->undecided[i].missing);
	free(pl->undecided);
	free(pl->overridden);
	free(pl->keys);
	memset(pl, 0, sizeof(*pl));
}
