// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target for policy loading (policy.c, libconfig) and the expression
 * language (expr.c) as policies reach it.  The input is up to four policy
 * files separated by NUL bytes, loaded from one directory as twtune loads
 * policies.d; every rule that loads has its expressions evaluated and its
 * templates rendered against a few plausible observations, and the whole
 * policy goes through the planner.  Checked beyond memory safety: errors
 * are reported exactly when loading fails, each one naming its file; an
 * unknown result always says why; nothing evaluates to an infinity.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"
#include "fuzzutil.h"
#include "observe.h"
#include "plan.h"
#include "policy.h"
#include "util.h"

static const char *const names[] = {
	"10-a.conf",
	"20-b.conf",
	"30-c.conf",
	"40-d.conf",
};

static void eval_one(const struct expr *e, const struct expr_env *env)
{
	struct msgs missing = { 0 };
	double v;

	if (!e)
		return;
	v = expr_eval(e, env, &missing);
	fuzz_check(!isinf(v));
	fuzz_check(!isnan(v) || missing.n > 0);
	msgs_free(&missing);
}

static void render(const char *tmpl, const struct observation *o,
		   const struct expr_env *env)
{
	char *s;

	if (!tmpl)
		return;
	s = policy_render(tmpl, o, env->current, 42);
	fuzz_check(s != NULL);
	free(s);
}

static void exercise(const struct policy *p, const struct observation *o)
{
	struct plan pl;

	for (size_t i = 0; i < p->n_rules; i++) {
		const struct rule *r = &p->rules[i];
		struct expr_env env = { .obs = o, .current = NAN };

		if (r->key) {
			const struct sysctl_obs *s = observe_sysctl(o, r->key);

			env.key = r->key;
			env.exists = s && s->exists;
			env.current = s ? s->value : NAN;
		}
		eval_one(r->when, &env);
		eval_one(r->value, &env);
		eval_one(r->min, &env);
		eval_one(r->max, &env);
		render(r->reason, o, &env);
		render(r->advice, o, &env);
	}
	fuzz_check(plan_build(p, o, &pl) == 0);
	for (size_t i = 0; i < pl.n_undecided; i++)
		fuzz_check(pl.undecided[i].missing.n > 0);
	plan_free(&pl);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_parts parts;
	struct msgs errors = { 0 }, keys = { 0 };
	struct policy p;
	char *dir;
	const char *paths[1];
	int ret;

	fuzz_split(data, size, &parts);
	dir = xasprintf("%s/policies.d", fuzz_scratch());
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		if (i < parts.n)
			fuzz_put(dir, names[i], parts.part[i], parts.len[i]);
		else
			fuzz_unlink(dir, names[i]);
	}
	paths[0] = dir;
	ret = policy_load(paths, 1, false, &p, &errors);
	fuzz_check(ret == 0 || ret == -EINVAL);
	fuzz_check((ret == 0) == (errors.n == 0));
	for (size_t i = 0; i < errors.n; i++)
		fuzz_check(strncmp(errors.v[i], dir, strlen(dir)) == 0);

	for (int v = 0; v < FUZZ_OBS_VARIANTS; v++) {
		struct observation o;

		fuzz_observation(&o, v);
		exercise(&p, &o);
		observe_free(&o);
	}
	(void)policy_needs_sockets(&p);
	policy_sysctl_keys(&p, &keys);
	for (size_t i = 0; i < keys.n; i++)
		fuzz_check(strncmp(keys.v[i], "net.", 4) == 0);

	msgs_free(&keys);
	msgs_free(&errors);
	policy_free(&p);
	free(dir);
	fuzz_parts_free(&parts);
	return 0;
}
