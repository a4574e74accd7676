// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Recursive-descent parser and tree evaluator for policy expressions.
 * Policies are small and evaluated a few times per run, so a plain tree is
 * the simplest thing that is fast enough.  Nesting is bounded so that a
 * hostile policy cannot exhaust the stack.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "expr.h"
#include "sysctl.h"

#define MAX_DEPTH 64
#define MAX_ARGS 16

enum op {
	OP_NUM,
	OP_METRIC,
	OP_CURRENT,
	OP_EXISTS,
	OP_SYSCTL,
	OP_NEG,
	OP_NOT,
	OP_ADD,
	OP_SUB,
	OP_MUL,
	OP_DIV,
	OP_MOD,
	OP_LT,
	OP_LE,
	OP_GT,
	OP_GE,
	OP_EQ,
	OP_NE,
	OP_AND,
	OP_OR,
	OP_MIN,
	OP_MAX,
	OP_CEIL,
	OP_FLOOR,
	OP_POW2CEIL,
	OP_PRESENT,
	OP_KNOWN,
};

struct expr {
	enum op op;
	double num; /* OP_NUM */
	int metric; /* OP_METRIC */
	char *key;  /* OP_SYSCTL */
	size_t nargs;
	struct expr **args;
};

struct parser {
	const char *src;
	const char *p;
	unsigned flags;
	int depth;
	char *err;
	size_t errlen;
	bool failed;
};

static struct expr *parse_or(struct parser *ps);
static void fail(struct parser *ps, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void missing_add(struct msgs *missing, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static struct expr *node(enum op op, size_t nargs)
{
	struct expr *e = xcalloc(1, sizeof(*e));

	e->op = op;
	e->nargs = nargs;
	if (nargs)
		e->args = xcalloc(nargs, sizeof(*e->args));
	return e;
}

void expr_free(struct expr *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->nargs; i++)
		expr_free(e->args[i]);
	free(e->args);
	free(e->key);
	free(e);
}

static void fail(struct parser *ps, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	if (ps->failed)
		return;
	ps->failed = true;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(ps->err, ps->errlen, "column %d: %s",
		 (int)(ps->p - ps->src) + 1, msg);
}

static void skip_ws(struct parser *ps)
{
	while (isspace((unsigned char)*ps->p))
		ps->p++;
}

static bool accept(struct parser *ps, const char *tok)
{
	size_t n = strlen(tok);

	skip_ws(ps);
	if (strncmp(ps->p, tok, n) != 0)
		return false;
	/* do not take "<" out of "<=" or "=" out of "==" */
	if (n == 1 && (tok[0] == '<' || tok[0] == '>' || tok[0] == '!') &&
	    ps->p[1] == '=')
		return false;
	ps->p += n;
	return true;
}

static struct expr *binary(struct expr *l, enum op op, struct expr *r)
{
	struct expr *e = node(op, 2);

	e->args[0] = l;
	e->args[1] = r;
	return e;
}

static struct expr *parse_number(struct parser *ps)
{
	const char *s = ps->p;
	char *end;
	double v;

	while (isdigit((unsigned char)*ps->p))
		ps->p++;
	if (*ps->p == '.' && isdigit((unsigned char)ps->p[1])) {
		ps->p++;
		while (isdigit((unsigned char)*ps->p))
			ps->p++;
	}
	if ((*ps->p == 'e' || *ps->p == 'E') &&
	    (isdigit((unsigned char)ps->p[1]) ||
	     ((ps->p[1] == '+' || ps->p[1] == '-') &&
	      isdigit((unsigned char)ps->p[2])))) {
		ps->p += 2;
		while (isdigit((unsigned char)*ps->p))
			ps->p++;
	}
	/* before strtod(), which would also take "0x10" or "inf" */
	if (isalpha((unsigned char)*ps->p) || *ps->p == '_') {
		fail(ps, "unexpected '%.1s' after a number", ps->p);
		return NULL;
	}
	errno = 0;
	v = strtod(s, &end);
	if (end != ps->p || isinf(v) || errno == ERANGE) {
		ps->p = s;
		fail(ps, "number is out of range");
		return NULL;
	}
	struct expr *e = node(OP_NUM, 0);

	e->num = v;
	return e;
}

static const struct {
	const char *name;
	enum op op;
	size_t min_args, max_args;
} functions[] = {
	{ "min", OP_MIN, 2, MAX_ARGS },	   { "max", OP_MAX, 2, MAX_ARGS },
	{ "ceil", OP_CEIL, 1, 1 },	   { "floor", OP_FLOOR, 1, 1 },
	{ "pow2ceil", OP_POW2CEIL, 1, 1 }, { "sysctl", OP_SYSCTL, 1, 1 },
	{ "present", OP_PRESENT, 1, 1 },   { "known", OP_KNOWN, 2, 2 },
};

static struct expr *parse_sysctl_arg(struct parser *ps, const char *fn)
{
	const char *s, *why;
	struct expr *e;

	skip_ws(ps);
	if (*ps->p != '"') {
		fail(ps, "%s() takes a quoted key, like %s(\"%s\")", fn, fn,
		     "net.ipv4.tcp_fin_timeout");
		return NULL;
	}
	s = ++ps->p;
	while (*ps->p && *ps->p != '"')
		ps->p++;
	if (!*ps->p) {
		fail(ps, "unterminated string");
		return NULL;
	}
	e = node(OP_SYSCTL, 0);
	e->key = strndup(s, (size_t)(ps->p - s));
	ps->p++;
	if (!e->key)
		abort();
	if (!sysctl_key_valid(e->key, &why)) {
		ps->p = s;
		fail(ps, "%s(): %s", fn, why);
		expr_free(e);
		return NULL;
	}
	return e;
}

static struct expr *parse_call(struct parser *ps, const char *name, size_t len)
{
	struct expr *args[MAX_ARGS], *e;
	size_t i, n = 0, f;

	for (f = 0; f < ARRAY_SIZE(functions); f++)
		if (strlen(functions[f].name) == len &&
		    strncmp(functions[f].name, name, len) == 0)
			break;
	if (f == ARRAY_SIZE(functions)) {
		char fn[64];

		snprintf(fn, sizeof(fn), "%.*s", (int)len, name);
		ps->p = name;
		fail(ps, "unknown function '%s'", fn);
		return NULL;
	}
	if (functions[f].op == OP_SYSCTL || functions[f].op == OP_PRESENT) {
		e = parse_sysctl_arg(ps, functions[f].name);
		if (e)
			e->op = functions[f].op;
		if (e && !accept(ps, ")")) {
			fail(ps, "expected ')'");
			expr_free(e);
			return NULL;
		}
		return e;
	}
	if (!accept(ps, ")")) {
		do {
			if (n == MAX_ARGS) {
				fail(ps, "too many arguments");
				goto err;
			}
			args[n] = parse_or(ps);
			if (!args[n])
				goto err;
			n++;
		} while (accept(ps, ","));
		if (!accept(ps, ")")) {
			fail(ps, "expected ',' or ')'");
			goto err;
		}
	}
	if (n < functions[f].min_args || n > functions[f].max_args) {
		fail(ps, "wrong number of arguments to %s()",
		     functions[f].name);
		goto err;
	}
	e = node(functions[f].op, n);
	for (i = 0; i < n; i++)
		e->args[i] = args[i];
	return e;
err:
	for (i = 0; i < n; i++)
		expr_free(args[i]);
	return NULL;
}

static struct expr *parse_primary(struct parser *ps)
{
	const char *s;
	struct expr *e;
	size_t len;
	char name[64];
	int m;

	skip_ws(ps);
	if (isdigit((unsigned char)*ps->p) ||
	    (*ps->p == '.' && isdigit((unsigned char)ps->p[1])))
		return parse_number(ps);
	if (accept(ps, "(")) {
		e = parse_or(ps);
		if (e && !accept(ps, ")")) {
			fail(ps, "expected ')'");
			expr_free(e);
			return NULL;
		}
		return e;
	}
	if (!isalpha((unsigned char)*ps->p) && *ps->p != '_') {
		if (*ps->p)
			fail(ps, "unexpected '%.1s'", ps->p);
		else
			fail(ps, "unexpected end of expression");
		return NULL;
	}
	s = ps->p;
	while (isalnum((unsigned char)*ps->p) || *ps->p == '_')
		ps->p++;
	len = (size_t)(ps->p - s);
	if (accept(ps, "("))
		return parse_call(ps, s, len);
	snprintf(name, sizeof(name), "%.*s", (int)len, s);
	if (strcmp(name, "current") == 0 || strcmp(name, "exists") == 0) {
		if (!(ps->flags & EXPR_RULE_VARS)) {
			ps->p = s;
			fail(ps, "'%s' is only defined in rules with a sysctl",
			     name);
			return NULL;
		}
		return node(name[0] == 'c' ? OP_CURRENT : OP_EXISTS, 0);
	}
	m = metric_lookup(name);
	if (m < 0) {
		ps->p = s;
		fail(ps, "unknown metric '%s'", name);
		return NULL;
	}
	e = node(OP_METRIC, 0);
	e->metric = m;
	return e;
}

static struct expr *parse_unary(struct parser *ps)
{
	struct expr *e, *a;
	enum op op;

	if (++ps->depth > MAX_DEPTH) {
		fail(ps, "expression nests too deeply");
		return NULL;
	}
	if (accept(ps, "!"))
		op = OP_NOT;
	else if (accept(ps, "-"))
		op = OP_NEG;
	else if (accept(ps, "+"))
		op = OP_NUM; /* unary plus: nothing to do */
	else
		op = OP_METRIC;
	if (op == OP_NOT || op == OP_NEG || op == OP_NUM)
		a = parse_unary(ps);
	else
		a = parse_primary(ps);
	ps->depth--;
	if (!a || op == OP_METRIC || op == OP_NUM)
		return a;
	e = node(op, 1);
	e->args[0] = a;
	return e;
}

/* One precedence level of left-associative binary operators. */
struct level {
	const char *tok[6];
	enum op op[6];
};

static const struct level levels[] = {
	{ { "||" }, { OP_OR } },
	{ { "&&" }, { OP_AND } },
	{ { "==", "!=" }, { OP_EQ, OP_NE } },
	{ { "<=", ">=", "<", ">" }, { OP_LE, OP_GE, OP_LT, OP_GT } },
	{ { "+", "-" }, { OP_ADD, OP_SUB } },
	{ { "*", "/", "%" }, { OP_MUL, OP_DIV, OP_MOD } },
};

static struct expr *parse_level(struct parser *ps, size_t lvl)
{
	struct expr *l, *r;

	/* the levels are a fixed stack of frames per nesting step; the
	 * nesting itself is counted in parse_unary() */
	if (lvl == ARRAY_SIZE(levels))
		return parse_unary(ps);
	l = parse_level(ps, lvl + 1);
	while (l) {
		size_t i;

		for (i = 0; i < 6 && levels[lvl].tok[i]; i++)
			if (accept(ps, levels[lvl].tok[i]))
				break;
		if (i == 6 || !levels[lvl].tok[i])
			break;
		r = parse_level(ps, lvl + 1);
		if (!r) {
			expr_free(l);
			l = NULL;
			break;
		}
		l = binary(l, levels[lvl].op[i], r);
	}
	return l;
}

static struct expr *parse_or(struct parser *ps)
{
	return parse_level(ps, 0);
}

int expr_parse(const char *src, unsigned flags, struct expr **out, char *err,
	       size_t errlen)
{
	struct parser ps = {
		.src = src,
		.p = src,
		.flags = flags,
		.err = err,
		.errlen = errlen,
	};
	struct expr *e;

	*out = NULL;
	if (strlen(src) > EXPR_TEXT_MAX) {
		snprintf(err, errlen, "expression is longer than %d bytes",
			 EXPR_TEXT_MAX);
		return -EINVAL;
	}
	e = parse_or(&ps);
	skip_ws(&ps);
	if (e && *ps.p) {
		fail(&ps, "unexpected '%.1s'", ps.p);
		expr_free(e);
		e = NULL;
	}
	if (!e) {
		if (!ps.failed)
			snprintf(err, errlen, "invalid expression");
		return -EINVAL;
	}
	*out = e;
	return 0;
}

bool expr_const(const struct expr *e, double *v)
{
	if (e->op == OP_NUM) {
		*v = e->num;
		return true;
	}
	if (e->op == OP_NEG && e->args[0]->op == OP_NUM) {
		*v = -e->args[0]->num;
		return true;
	}
	return false;
}

bool expr_uses_socket_metrics(const struct expr *e)
{
	if (e->op == OP_METRIC && metric_is_socket_level(e->metric))
		return true;
	for (size_t i = 0; i < e->nargs; i++)
		if (expr_uses_socket_metrics(e->args[i]))
			return true;
	return false;
}

void expr_sysctl_keys(const struct expr *e, struct msgs *keys)
{
	if (e->op == OP_SYSCTL || e->op == OP_PRESENT) {
		for (size_t i = 0; i < keys->n; i++)
			if (strcmp(keys->v[i], e->key) == 0)
				return;
		msgs_addf(keys, "%s", e->key);
	}
	for (size_t i = 0; i < e->nargs; i++)
		expr_sysctl_keys(e->args[i], keys);
}

static void missing_add(struct msgs *missing, const char *fmt, ...)
{
	va_list ap;
	char *line;

	if (!missing)
		return;
	va_start(ap, fmt);
	if (vasprintf(&line, fmt, ap) < 0)
		abort();
	va_end(ap);

	for (size_t i = 0; i < missing->n; i++) {
		if (strcmp(missing->v[i], line) == 0) {
			free(line);
			return;
		}
	}
	msgs_addf(missing, "%s", line);
	free(line);
}

static double truth(double v)
{
	return isnan(v) ? NAN : (v != 0);
}

static double eval_finite(const struct expr *e, const struct expr_env *env,
			  struct msgs *missing);

static double eval(const struct expr *e, const struct expr_env *env,
		   struct msgs *missing)
{
	double a, b, r;

	switch (e->op) {
	case OP_NUM: return e->num;
	case OP_METRIC:
		r = env->obs->m[e->metric];
		if (isnan(r))
			missing_add(missing, "%s: %s", metric_names[e->metric],
				    env->obs->why[e->metric]
					    ? env->obs->why[e->metric]
					    : "not observed");
		return r;
	case OP_CURRENT:
		if (isnan(env->current))
			missing_add(missing, "current: %s %s", env->key,
				    env->exists
					    ? "is not a single integer"
					    : "is not present on this kernel");
		return env->current;
	case OP_EXISTS: return env->exists;
	case OP_SYSCTL: {
		const struct sysctl_obs *s = observe_sysctl(env->obs, e->key);

		if (s && !isnan(s->value))
			return s->value;
		missing_add(missing, "sysctl(\"%s\"): %s", e->key,
			    !s		? "was not read"
			    : s->exists ? "is not a single integer"
					: "is not present on this kernel");
		return NAN;
	}
	case OP_PRESENT: {
		/* always known: lets a rule skip a sysctl a kernel lacks */
		const struct sysctl_obs *s = observe_sysctl(env->obs, e->key);

		return s && s->exists;
	}
	case OP_KNOWN: {
		/* the first argument, or when it is unknown the second;
		 * when both are unknown, why for each */
		struct msgs first = { 0 };

		a = eval_finite(e->args[0], env, &first);
		if (isnan(a)) {
			a = eval_finite(e->args[1], env, missing);
			for (size_t i = 0; isnan(a) && i < first.n; i++)
				missing_add(missing, "%s", first.v[i]);
		}
		msgs_free(&first);
		return a;
	}
	case OP_NEG: return -eval_finite(e->args[0], env, missing);
	case OP_NOT:
		a = truth(eval_finite(e->args[0], env, missing));
		return isnan(a) ? NAN : !a;
	case OP_AND:
		a = truth(eval_finite(e->args[0], env, missing));
		b = truth(eval_finite(e->args[1], env, missing));
		if (a == 0 || b == 0)
			return 0;
		return isnan(a) || isnan(b) ? NAN : 1;
	case OP_OR:
		a = truth(eval_finite(e->args[0], env, missing));
		b = truth(eval_finite(e->args[1], env, missing));
		if (a == 1 || b == 1)
			return 1;
		return isnan(a) || isnan(b) ? NAN : 0;
	case OP_CEIL: return ceil(eval_finite(e->args[0], env, missing));
	case OP_FLOOR: return floor(eval_finite(e->args[0], env, missing));
	case OP_POW2CEIL:
		a = eval_finite(e->args[0], env, missing);
		if (isnan(a))
			return NAN;
		r = 1;
		while (r < a && !isinf(r))
			r *= 2;
		return r;
	case OP_MIN:
	case OP_MAX:
		r = eval_finite(e->args[0], env, missing);
		for (size_t i = 1; i < e->nargs; i++) {
			a = eval_finite(e->args[i], env, missing);
			if (isnan(a) || isnan(r))
				r = NAN;
			else if (e->op == OP_MIN ? a < r : a > r)
				r = a;
		}
		return r;
	default: break;
	}

	a = eval_finite(e->args[0], env, missing);
	b = eval_finite(e->args[1], env, missing);
	if (isnan(a) || isnan(b))
		return NAN;
	switch (e->op) {
	case OP_ADD: return a + b;
	case OP_SUB: return a - b;
	case OP_MUL: return a * b;
	case OP_DIV:
	case OP_MOD:
		if (b == 0) {
			missing_add(missing, "division by zero");
			return NAN;
		}
		return e->op == OP_DIV ? a / b : fmod(a, b);
	case OP_LT: return a < b;
	case OP_LE: return a <= b;
	case OP_GT: return a > b;
	case OP_GE: return a >= b;
	case OP_EQ: return a == b;
	case OP_NE: return a != b;
	default: abort(); /* every operator is handled above */
	}
}

/*
 * Every intermediate result goes through here: an infinity (overflow of
 * a double) becomes unknown at the step where it happens, so that it can
 * neither be cancelled out later nor compare as a real number.
 */
static double eval_finite(const struct expr *e, const struct expr_env *env,
			  struct msgs *missing)
{
	double r = eval(e, env, missing);

	if (isinf(r)) {
		missing_add(missing, "arithmetic overflow");
		r = NAN;
	}
	return r;
}

double expr_eval(const struct expr *e, const struct expr_env *env,
		 struct msgs *missing)
{
	return eval_finite(e, env, missing);
}

/*
 * A lower bound of e: max() is at least each argument that is known,
 * and the other steps that only grow with their argument keep a bound.
 * Anything else must be known exactly.
 */
static double lower(const struct expr *e, const struct expr_env *env)
{
	double r, a, b;

	switch (e->op) {
	case OP_MAX:
		r = NAN;
		for (size_t i = 0; i < e->nargs; i++) {
			a = lower(e->args[i], env);
			if (!isnan(a) && (isnan(r) || a > r))
				r = a;
		}
		return r;
	case OP_MIN:
		r = lower(e->args[0], env);
		for (size_t i = 1; i < e->nargs && !isnan(r); i++) {
			a = lower(e->args[i], env);
			r = isnan(a) ? NAN : a < r ? a : r;
		}
		return r;
	case OP_ADD:
		a = lower(e->args[0], env);
		b = lower(e->args[1], env);
		return isnan(a) || isnan(b) ? NAN : a + b;
	case OP_CEIL:
	case OP_FLOOR:
	case OP_POW2CEIL: {
		/* each only grows with its argument: a bound stays one */
		struct expr copy = *e, num = { .op = OP_NUM };
		struct expr *args[1] = { &num };

		num.num = lower(e->args[0], env);
		if (isnan(num.num))
			return NAN;
		copy.args = args;
		return eval_finite(&copy, env, NULL);
	}
	default: return eval_finite(e, env, NULL);
	}
}

double expr_eval_lower(const struct expr *e, const struct expr_env *env)
{
	double r = lower(e, env);

	return isinf(r) ? NAN : r;
}
