// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target for the expression language alone (expr.c): the input (up
 * to its first NUL) is parsed as one expression, with and without the
 * rule variables, and every expression that parses is evaluated against
 * a few plausible observations and rule states.  Checked beyond memory
 * safety: what parses without the rule variables parses with them; a
 * failed parse says why; evaluation is the same whether or not the
 * caller collects what is missing; an unknown result always says why;
 * nothing evaluates to an infinity.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"
#include "fuzzutil.h"
#include "observe.h"
#include "util.h"

static const struct {
	const char *key;
	double current;
	bool exists;
} rule_states[] = {
	{ "net.ipv4.tcp_fin_timeout", 60, true },
	{ "net.ipv4.tcp_tw_recycle", NAN, false },
	{ "net.ipv4.ip_local_port_range", NAN, true },
	{ "net.ipv4.tcp_max_syn_backlog", -1, true },
};

static bool same(double a, double b)
{
	return isnan(a) ? isnan(b) : a == b;
}

static void evaluate(const struct expr *e, const struct observation *o)
{
	for (size_t i = 0; i < ARRAY_SIZE(rule_states); i++) {
		struct expr_env env = {
			.obs = o,
			.key = rule_states[i].key,
			.current = rule_states[i].current,
			.exists = rule_states[i].exists,
		};
		struct msgs missing = { 0 };
		double v = expr_eval(e, &env, &missing);

		fuzz_check(!isinf(v));
		fuzz_check(!isnan(v) || missing.n > 0);
		fuzz_check(same(v, expr_eval(e, &env, NULL)));
		msgs_free(&missing);
	}
}

static bool parse(const char *src, unsigned flags)
{
	struct msgs keys = { 0 };
	struct expr *e;
	char err[256];
	double c;

	err[0] = '\0';
	if (expr_parse(src, flags, &e, err, sizeof(err)) < 0) {
		fuzz_check(e == NULL);
		fuzz_check(err[0] != '\0');
		return false;
	}
	fuzz_check(e != NULL);
	if (expr_const(e, &c))
		fuzz_check(isfinite(c));
	(void)expr_uses_socket_metrics(e);
	expr_sysctl_keys(e, &keys);
	for (size_t i = 0; i < keys.n; i++)
		fuzz_check(strncmp(keys.v[i], "net.", 4) == 0);
	msgs_free(&keys);
	for (int v = 0; v < FUZZ_OBS_VARIANTS; v++) {
		struct observation o;

		fuzz_observation(&o, v);
		evaluate(e, &o);
		observe_free(&o);
	}
	expr_free(e);
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *src = xmalloc(size + 1);
	bool plain;

	if (size)
		memcpy(src, data, size);
	src[size] = '\0';
	plain = parse(src, 0);
	fuzz_check(parse(src, EXPR_RULE_VARS) || !plain);
	free(src);
	return 0;
}
