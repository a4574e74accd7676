// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Loading and validating policy files with libconfig.  Each file is read
 * once into memory, hashed (the audit log records what was in force) and
 * parsed from that same buffer, so the hash always matches the rules used.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <libconfig.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bounds.h"
#include "policy.h"
#include "sysctl.h"
#include "tunables.h"

const char *const direction_names[] = { "raise", "lower", "any" };
const char *const severity_names[] = { "info", "warning", "critical" };

struct found {
	char *name; /* basename, for ordering and masking */
	char *path;
};

struct ctx {
	const char *file;
	struct msgs *errors;
	struct policy *p;
};

static void err_at(struct ctx *c, int line, const char *id, const char *fmt,
		   ...) __attribute__((format(printf, 4, 5)));

static void err_at(struct ctx *c, int line, const char *id, const char *fmt,
		   ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		abort();
	va_end(ap);
	if (id)
		msgs_addf(c->errors, "%s:%d: rule '%s': %s", c->file, line, id,
			  msg);
	else
		msgs_addf(c->errors, "%s:%d: %s", c->file, line, msg);
	free(msg);
}

static int cmp_found(const void *a, const void *b)
{
	const struct found *x = a, *y = b;

	return strcmp(x->name, y->name);
}

/* Add or mask: a later entry with the same name replaces the earlier. */
static void add_found(struct found **v, size_t *n, const char *name,
		      const char *path)
{
	for (size_t i = 0; i < *n; i++) {
		if (strcmp((*v)[i].name, name) == 0) {
			free((*v)[i].path);
			(*v)[i].path = xstrdup(path);
			return;
		}
	}
	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[*n].name = xstrdup(name);
	(*v)[*n].path = xstrdup(path);
	(*n)++;
}

static int scan_dir(const char *dir, struct found **v, size_t *n,
		    struct msgs *errors)
{
	struct dirent **ents;
	int cnt = scandir(dir, &ents, NULL, alphasort);

	if (cnt < 0) {
		int e = errno;

		msgs_addf(errors, "%s: %s", dir, strerror(e));
		return -e;
	}
	for (int i = 0; i < cnt; i++) {
		const char *nm = ents[i]->d_name;
		size_t len = strlen(nm);

		if (nm[0] != '.' && len > 5 &&
		    strcmp(nm + len - 5, ".conf") == 0) {
			char *path = xasprintf("%s/%s", dir, nm);

			add_found(v, n, nm, path);
			free(path);
		}
		free(ents[i]);
	}
	free(ents);
	return 0;
}

static bool valid_id(const char *id)
{
	if (!*id || strlen(id) > 64)
		return false;
	for (const char *p = id; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		      *p == '-'))
			return false;
	return true;
}

static const char *const fields[] = {
	"id",	  "sysctl",   "advice",	   "when",    "value",
	"min",	  "max",      "direction", "persist", "override",
	"reason", "severity", "enabled",
};

static const char *type_name(int t)
{
	switch (t) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64: return "an integer";
	case CONFIG_TYPE_FLOAT: return "a number";
	case CONFIG_TYPE_STRING: return "a string";
	case CONFIG_TYPE_BOOL: return "a boolean";
	case CONFIG_TYPE_GROUP: return "a group";
	default: return "a list";
	}
}

/* Fetch a string member; NULL if absent; error if of another type. */
static const char *get_str(struct ctx *c, config_setting_t *r, const char *id,
			   const char *name)
{
	config_setting_t *s = config_setting_get_member(r, name);

	if (!s)
		return NULL;
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		err_at(c, config_setting_source_line(s), id,
		       "%s must be a string, not %s", name,
		       type_name(config_setting_type(s)));
		return NULL;
	}
	return config_setting_get_string(s);
}

static bool get_bool(struct ctx *c, config_setting_t *r, const char *id,
		     const char *name, bool def)
{
	config_setting_t *s = config_setting_get_member(r, name);

	if (!s)
		return def;
	if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
		err_at(c, config_setting_source_line(s), id,
		       "%s must be true or false, not %s", name,
		       type_name(config_setting_type(s)));
		return def;
	}
	return config_setting_get_bool(s);
}

static int get_enum(struct ctx *c, config_setting_t *r, const char *id,
		    const char *name, const char *const *names, int n, int def)
{
	const char *v = get_str(c, r, id, name);
	config_setting_t *s = config_setting_get_member(r, name);

	if (!v)
		return def;
	for (int i = 0; i < n; i++)
		if (strcmp(v, names[i]) == 0)
			return i;
	err_at(c, config_setting_source_line(s), id,
	       "%s must be one of %s, %s%s%s, not \"%s\"", name, names[0],
	       names[1], n > 2 ? ", " : "", n > 2 ? names[2] : "", v);
	return def;
}

/* An expression member: a string in the language, or a plain number. */
static struct expr *get_expr(struct ctx *c, config_setting_t *r, const char *id,
			     const char *name, unsigned flags)
{
	config_setting_t *s = config_setting_get_member(r, name);
	char buf[64], err[256];
	const char *src;
	struct expr *e;

	if (!s)
		return NULL;
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_STRING: src = config_setting_get_string(s); break;
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		snprintf(buf, sizeof(buf), "%lld", config_setting_get_int64(s));
		src = buf;
		break;
	case CONFIG_TYPE_FLOAT:
		snprintf(buf, sizeof(buf), "%.17g",
			 config_setting_get_float(s));
		src = buf;
		break;
	default:
		err_at(c, config_setting_source_line(s), id,
		       "%s must be an expression string or a number, not %s",
		       name, type_name(config_setting_type(s)));
		return NULL;
	}
	if (expr_parse(src, flags, &e, err, sizeof(err)) < 0) {
		err_at(c, config_setting_source_line(s), id, "%s: %s", name,
		       err);
		return NULL;
	}
	return e;
}

/* Check the {name} placeholders of a template. */
static void check_template(struct ctx *c, config_setting_t *r, const char *id,
			   const char *name, const char *t, bool rule_vars)
{
	int line =
		config_setting_source_line(config_setting_get_member(r, name));

	/* it goes into every report and audit record that uses the rule */
	if (strlen(t) > TEMPLATE_MAX) {
		err_at(c, line, id, "%s is longer than %d bytes", name,
		       TEMPLATE_MAX);
		return;
	}
	for (const char *p = t; (p = strchr(p, '{'));) {
		const char *e = strchr(p, '}');
		char nm[64];

		if (!e) {
			err_at(c, line, id, "%s: unterminated '{'", name);
			return;
		}
		snprintf(nm, sizeof(nm), "%.*s", (int)(e - p - 1), p + 1);
		if (metric_lookup(nm) < 0 &&
		    !(rule_vars &&
		      (strcmp(nm, "current") == 0 || strcmp(nm, "value") == 0)))
			err_at(c, line, id, "%s: unknown placeholder '{%s}'",
			       name, nm);
		p = e + 1;
	}
}

static void free_rule(struct rule *r)
{
	free(r->id);
	free(r->file);
	free(r->key);
	free(r->advice);
	free(r->reason);
	expr_free(r->when);
	expr_free(r->value);
	expr_free(r->min);
	expr_free(r->max);
}

/* Every member of the rule group must be a known field. */
static void check_fields(struct ctx *c, config_setting_t *g, const char *id)
{
	for (int i = 0; i < config_setting_length(g); i++) {
		config_setting_t *m = config_setting_get_elem(g, (unsigned)i);
		const char *nm = config_setting_name(m);
		size_t f;

		for (f = 0; f < ARRAY_SIZE(fields); f++)
			if (strcmp(nm, fields[f]) == 0)
				break;
		if (f == ARRAY_SIZE(fields))
			err_at(c, config_setting_source_line(m), id,
			       "unknown field '%s'", nm);
	}
}

static int member_line(config_setting_t *g, const char *name)
{
	return config_setting_source_line(config_setting_get_member(g, name));
}

/* sysctl or advice, exactly one (a disabled rule may have neither). */
static void load_kind(struct ctx *c, config_setting_t *g, struct rule *r)
{
	static const char *const sysctl_only[] = { "value",   "min",
						   "max",     "direction",
						   "persist", "override" };
	const char *key = get_str(c, g, r->id, "sysctl");
	const char *advice = get_str(c, g, r->id, "advice");
	const char *why;

	if (key && advice)
		err_at(c, r->line, r->id,
		       "has both sysctl and advice; use one");
	else if (!key && !advice && r->enabled &&
		 !config_setting_get_member(g, "sysctl") &&
		 !config_setting_get_member(g, "advice"))
		err_at(c, r->line, r->id, "needs a sysctl or an advice");
	r->kind = key ? RULE_SYSCTL : RULE_ADVICE;
	if (key) {
		if (!sysctl_key_valid(key, &why))
			err_at(c, member_line(g, "sysctl"), r->id,
			       "sysctl \"%s\": %s", key, why);
		r->key = xstrdup(key);
	}
	if (!advice)
		return;
	r->advice = xstrdup(advice);
	check_template(c, g, r->id, "advice", advice, false);
	for (size_t i = 0; i < ARRAY_SIZE(sysctl_only); i++)
		if (config_setting_get_member(g, sysctl_only[i]))
			err_at(c, member_line(g, sysctl_only[i]), r->id,
			       "%s is only for sysctl rules", sysctl_only[i]);
}

/* when, and for a sysctl rule value, min, max and how to apply it. */
static void load_exprs(struct ctx *c, config_setting_t *g, struct rule *r)
{
	unsigned flags = r->key ? EXPR_RULE_VARS : 0;

	if (!config_setting_get_member(g, "when") && r->enabled)
		err_at(c, r->line, r->id, "needs a when condition");
	if (get_str(c, g, r->id, "when"))
		r->when = get_expr(c, g, r->id, "when", flags);
	if (!r->key)
		return;
	if (!config_setting_get_member(g, "value") && r->enabled)
		err_at(c, r->line, r->id, "needs a value");
	r->value = get_expr(c, g, r->id, "value", flags);
	r->min = get_expr(c, g, r->id, "min", flags);
	r->max = get_expr(c, g, r->id, "max", flags);
	r->direction = (enum direction)get_enum(c, g, r->id, "direction",
						direction_names, 3, DIR_RAISE);
	r->persist = get_bool(c, g, r->id, "persist", true);
	r->override = get_bool(c, g, r->id, "override", false);
}

/*
 * A key the tunables table says may only be turned off (tcp_tw_recycle:
 * it breaks clients behind NAT): value must be the constant 0, and min,
 * which clamps the value, must not push it above 0 either.
 */
static void check_zero_only(struct ctx *c, config_setting_t *g,
			    const struct rule *r)
{
	const struct tunable *t = r->key ? tunable_find(r->key) : NULL;
	double v;

	if (!t || !(t->flags & TUN_ZERO_ONLY))
		return;
	if (r->value && (!expr_const(r->value, &v) || v != 0))
		err_at(c, member_line(g, "value"), r->id,
		       "%s can only be set to 0: it drops connections from clients behind NAT (and was removed in Linux 4.12)",
		       r->key);
	if (r->min && (!expr_const(r->min, &v) || v > 0))
		err_at(c, member_line(g, "min"), r->id,
		       "%s can only be set to 0: a min above 0 would turn it on",
		       r->key);
}

/* Keys that only the kernel sets (tcp_ehash_entries): never a rule's. */
static void check_writable(struct ctx *c, config_setting_t *g,
			   const struct rule *r)
{
	const struct tunable *t = r->key ? tunable_find(r->key) : NULL;

	if (t && (t->flags & TUN_READ_ONLY))
		err_at(c, member_line(g, "sysctl"), r->id,
		       "%s is read-only: the kernel sets it (at boot, or when a network namespace is created); read it with sysctl(\"%s\") instead",
		       r->key, r->key);
}

/* Validate one rule group; returns true and fills *out when it is good. */
static bool load_rule(struct ctx *c, config_setting_t *g, struct rule *out)
{
	size_t before = c->errors->n;
	int line = config_setting_source_line(g);
	const char *id = get_str(c, g, NULL, "id"), *reason;
	struct rule r = { 0 };

	if (!id) {
		if (!config_setting_get_member(g, "id"))
			err_at(c, line, NULL, "rule has no id");
		return false;
	}
	if (!valid_id(id)) {
		err_at(c, line, NULL,
		       "rule id \"%s\" must match [a-z0-9-]+ (at most 64)", id);
		return false;
	}
	check_fields(c, g, id);
	r.id = xstrdup(id);
	r.file = xstrdup(c->file);
	r.line = line;
	r.enabled = get_bool(c, g, id, "enabled", true);
	load_kind(c, g, &r);
	load_exprs(c, g, &r);
	r.severity = (enum severity)get_enum(c, g, id, "severity",
					     severity_names, 3,
					     r.key ? SEV_INFO : SEV_WARNING);
	reason = get_str(c, g, id, "reason");
	if (reason) {
		check_template(c, g, id, "reason", reason, r.key != NULL);
		r.reason = xstrdup(reason);
	}
	check_zero_only(c, g, &r);
	check_writable(c, g, &r);
	if (c->errors->n != before) {
		free_rule(&r);
		return false;
	}
	*out = r;
	return true;
}

/* The ids of the rules from files before r's, for "did you mean". */
static const char *closest_earlier_id(const struct policy *p,
				      const struct rule *r, size_t max)
{
	const char **ids = xcalloc(p->n_rules + 1, sizeof(*ids));
	const char *best;
	size_t n = 0;

	for (size_t i = 0; i < p->n_rules; i++)
		if (strcmp(p->rules[i].file, r->file) != 0)
			ids[n++] = p->rules[i].id;
	best = util_closest(r->id, ids, n, max);
	free(ids);
	return best;
}

/*
 * Valid, but probably not what was meant: a rule that only disables
 * (no sysctl, no advice) an id no earlier file defines, or a new id a
 * couple of letters from an earlier file's (a typo'd override, which
 * leaves the earlier rule in force).
 */
static void warn_orphan(struct ctx *c, const struct rule *r)
{
	const struct policy *p = c->p;
	const char *near;
	bool stub = !r->key && !r->advice;

	for (size_t i = 0; i < p->n_rules; i++)
		if (strcmp(p->rules[i].id, r->id) == 0)
			return;
	near = closest_earlier_id(p, r, stub ? 4 : 2);
	if (stub)
		msgs_addf(
			&c->p->warnings,
			"%s:%d: rule \"%s\": no earlier policy file defines \"%s\", so this disables nothing%s%s%s",
			r->file, r->line, r->id, r->id,
			near ? " (did you mean \"" : "", near ? near : "",
			near ? "\"?)" : "");
	else if (near)
		msgs_addf(
			&c->p->warnings,
			"%s:%d: rule \"%s\" is a new rule, and \"%s\" from an earlier file stays in force; to replace that one, use its id (did you mean \"%s\"?)",
			r->file, r->line, r->id, near, near);
}

static void add_rule(struct policy *p, struct rule *r)
{
	for (size_t i = 0; i < p->n_rules; i++) {
		if (strcmp(p->rules[i].id, r->id) == 0) {
			/* same id: the later definition takes its place */
			free_rule(&p->rules[i]);
			p->rules[i] = *r;
			return;
		}
	}
	p->rules = xrealloc(p->rules, (p->n_rules + 1) * sizeof(*p->rules));
	p->rules[p->n_rules++] = *r;
}

int policy_include_line(const char *text)
{
	int line = 1;

	for (const char *p = text; *p; line++) {
		p += strspn(p, " \t");
		if (strncmp(p, "@include", 8) == 0)
			return line;
		p = strchrnul(p, '\n');
		if (*p)
			p++;
	}
	return 0;
}

enum policy_refusal policy_refused(const char *path, const struct stat *st,
				   const char *text, size_t len, int *line,
				   char *why, size_t whylen)
{
	const char *nul;

	*line = 0;
	if (util_untrusted(path, st, why, whylen))
		return POLICY_UNTRUSTED;
	*line = policy_include_line(text);
	if (*line) {
		snprintf(why, whylen, "@include is not allowed");
		return POLICY_INCLUDE;
	}
	nul = memchr(text, '\0', len);
	if (nul) {
		snprintf(why, whylen,
			 "not a text file (NUL byte at offset %zu)",
			 (size_t)(nul - text));
		return POLICY_BINARY;
	}
	return POLICY_OK;
}

/*
 * The text of the policy file at path, if it may be used at all (see
 * policy_refused()); NULL after saying why not.
 */
static char *read_trusted(struct ctx *c, const char *path)
{
	char *text = NULL, why[160];
	struct stat st;
	size_t len;
	int inc, ret;

	ret = util_read_file(AT_FDCWD, path, 0, POLICY_FILE_MAX, &text, &len,
			     &st);
	if (ret < 0) {
		msgs_addf(c->errors, "%s: %s", path,
			  ret == -EFBIG	   ? "larger than 1 MiB"
			  : ret == -EINVAL ? "not a regular file"
					   : strerror(-ret));
		return NULL;
	}
	switch (policy_refused(path, &st, text, len, &inc, why, sizeof(why))) {
	case POLICY_OK: return text;
	case POLICY_UNTRUSTED:
		msgs_addf(c->errors,
			  "%s: refusing an untrusted policy file: %s", path,
			  why);
		break;
	case POLICY_INCLUDE:
		msgs_addf(
			c->errors,
			"%s:%d: %s: a policy is one self-contained file (the trust checks apply to it alone)",
			path, inc, why);
		break;
	case POLICY_BINARY: msgs_addf(c->errors, "%s: %s", path, why); break;
	}
	free(text);
	return NULL;
}

/* The rules list of a parsed file into the policy; how many were good. */
static size_t load_rules(struct ctx *c, config_setting_t *rules)
{
	char **ids = NULL;
	size_t n_ids = 0, n_good = 0;

	for (int i = 0; i < config_setting_length(rules); i++) {
		config_setting_t *g =
			config_setting_get_elem(rules, (unsigned)i);
		struct rule r;
		bool dup = false;

		if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
			err_at(c, config_setting_source_line(g), NULL,
			       "rule %d is %s, not a group { ... }", i + 1,
			       type_name(config_setting_type(g)));
			continue;
		}
		if (!load_rule(c, g, &r))
			continue;
		for (size_t k = 0; k < n_ids; k++)
			dup |= strcmp(ids[k], r.id) == 0;
		if (dup) {
			err_at(c, r.line, r.id,
			       "duplicate id in the same file");
			free_rule(&r);
			continue;
		}
		ids = xrealloc(ids, (n_ids + 1) * sizeof(*ids));
		ids[n_ids++] = xstrdup(r.id);
		warn_orphan(c, &r);
		add_rule(c->p, &r);
		n_good++;
	}
	for (size_t k = 0; k < n_ids; k++)
		free(ids[k]);
	free(ids);
	return n_good;
}

static void load_file(struct ctx *c, const char *path)
{
	char *text = read_trusted(c, path);
	struct policy_file *pf;
	config_setting_t *rules, *root;
	config_t cfg;

	if (!text)
		return;
	c->p->files = xrealloc(c->p->files,
			       (c->p->n_files + 1) * sizeof(*c->p->files));
	pf = &c->p->files[c->p->n_files++];
	pf->path = xstrdup(path);
	pf->n_rules = 0;
	util_sha256_hex(text, strlen(text), pf->sha256);

	config_init(&cfg);
	if (config_read_string(&cfg, text) != CONFIG_TRUE) {
		err_at(c, config_error_line(&cfg), NULL, "%s",
		       config_error_text(&cfg));
		goto out;
	}
	root = config_root_setting(&cfg);
	for (int i = 0; i < config_setting_length(root); i++) {
		config_setting_t *m =
			config_setting_get_elem(root, (unsigned)i);

		if (strcmp(config_setting_name(m), "rules") != 0)
			err_at(c, config_setting_source_line(m), NULL,
			       "unknown setting '%s' (expected only rules)",
			       config_setting_name(m));
	}
	rules = config_lookup(&cfg, "rules");
	if (!rules)
		goto out;
	if (config_setting_type(rules) != CONFIG_TYPE_LIST) {
		err_at(c, config_setting_source_line(rules), NULL,
		       "rules must be a list: rules = ( { ... }, ... );");
		goto out;
	}
	pf->n_rules = load_rules(c, rules);
out:
	config_destroy(&cfg);
	free(text);
}

int policy_load(const char *const *paths, size_t n_paths, bool missing_ok,
		struct policy *p, struct msgs *errors)
{
	struct found *files = NULL;
	size_t n_files = 0, n_err = errors->n;
	bool too_many;

	memset(p, 0, sizeof(*p));
	for (size_t i = 0; i < n_paths; i++) {
		struct stat st;

		if (stat(paths[i], &st) < 0) {
			if (!(missing_ok && errno == ENOENT))
				msgs_addf(errors, "%s: %s", paths[i],
					  strerror(errno));
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			scan_dir(paths[i], &files, &n_files, errors);
		} else {
			const char *slash = strrchr(paths[i], '/');

			add_found(&files, &n_files,
				  slash ? slash + 1 : paths[i], paths[i]);
		}
	}
	too_many = n_files > POLICY_FILES_MAX;
	if (too_many)
		msgs_addf(
			errors,
			"%zu policy files: more than %d (each is hashed into every audit record)",
			n_files, POLICY_FILES_MAX);
	if (n_files)
		qsort(files, n_files, sizeof(*files), cmp_found);
	for (size_t i = 0; i < n_files; i++) {
		struct ctx c = { .file = files[i].path,
				 .errors = errors,
				 .p = p };

		if (!too_many)
			load_file(&c, files[i].path);
		free(files[i].name);
		free(files[i].path);
	}
	free(files);
	return errors->n == n_err ? 0 : -EINVAL;
}

void policy_free(struct policy *p)
{
	for (size_t i = 0; i < p->n_rules; i++)
		free_rule(&p->rules[i]);
	free(p->rules);
	for (size_t i = 0; i < p->n_files; i++)
		free(p->files[i].path);
	free(p->files);
	msgs_free(&p->warnings);
	memset(p, 0, sizeof(*p));
}

static void check_key(const struct rule *r, const char *key, const char *how,
		      bool (*present)(const char *key, void *arg), void *arg,
		      struct msgs *warnings)
{
	const char **known;
	const char *near;

	if (tunable_find(key) || present(key, arg))
		return;
	known = xcalloc(n_tunables, sizeof(*known));
	for (size_t i = 0; i < n_tunables; i++)
		known[i] = tunables[i].key;
	near = util_closest(key, known, n_tunables, 4);
	msgs_addf(
		warnings,
		"%s:%d: rule \"%s\" %s \"%s\", which twtune does not know and this kernel does not have%s%s%s",
		r->file, r->line, r->id, how, key,
		near ? " (did you mean \"" : "", near ? near : "",
		near ? "\"?)" : "");
	free(known);
}

void policy_check_keys(const struct policy *p,
		       bool (*present)(const char *key, void *arg), void *arg,
		       struct msgs *warnings)
{
	for (size_t i = 0; i < p->n_rules; i++) {
		const struct rule *r = &p->rules[i];
		const struct expr *e[] = { r->when, r->value, r->min, r->max };
		struct msgs read = { 0 };

		if (!r->enabled)
			continue;
		if (r->key)
			check_key(r, r->key, "sets", present, arg, warnings);
		for (size_t k = 0; k < ARRAY_SIZE(e); k++)
			if (e[k])
				expr_sysctl_keys(e[k], &read);
		for (size_t k = 0; k < read.n; k++)
			if (!r->key || strcmp(read.v[k], r->key) != 0)
				check_key(r, read.v[k], "reads", present, arg,
					  warnings);
		msgs_free(&read);
	}
}

/* Whether a template shows a socket-level metric. */
static bool template_uses_sockets(const char *t)
{
	for (const char *p = t; p && (p = strchr(p, '{')); p++) {
		const char *e = strchr(p, '}');
		char nm[64];
		int m;

		if (!e)
			break;
		snprintf(nm, sizeof(nm), "%.*s", (int)(e - p - 1), p + 1);
		m = metric_lookup(nm);
		if (m >= 0 && metric_is_socket_level(m))
			return true;
	}
	return false;
}

bool policy_needs_sockets(const struct policy *p)
{
	for (size_t i = 0; i < p->n_rules; i++) {
		const struct rule *r = &p->rules[i];
		const struct expr *e[] = { r->when, r->value, r->min, r->max };

		if (!r->enabled)
			continue;
		for (size_t k = 0; k < ARRAY_SIZE(e); k++)
			if (e[k] && expr_uses_socket_metrics(e[k]))
				return true;
		if (template_uses_sockets(r->reason) ||
		    template_uses_sockets(r->advice))
			return true;
	}
	return false;
}

void policy_sysctl_keys(const struct policy *p, struct msgs *keys)
{
	for (size_t i = 0; i < p->n_rules; i++) {
		const struct rule *r = &p->rules[i];
		const struct expr *e[] = { r->when, r->value, r->min, r->max };
		bool have = false;

		if (!r->enabled)
			continue;
		for (size_t k = 0; r->key && k < keys->n; k++)
			have |= strcmp(keys->v[k], r->key) == 0;
		if (r->key && !have)
			msgs_addf(keys, "%s", r->key);
		for (size_t k = 0; k < ARRAY_SIZE(e); k++)
			if (e[k])
				expr_sysctl_keys(e[k], keys);
	}
}

char *policy_render(const char *tmpl, const struct observation *o,
		    double current, double value)
{
	struct strbuf sb = { 0 };
	const char *p = tmpl;

	strbuf_add(&sb, "", 0);
	while (*p) {
		const char *b = strchr(p, '{'), *e;
		char nm[64], num[48];
		double v;
		int m;

		if (!b || !(e = strchr(b, '}'))) {
			strbuf_add(&sb, p, strlen(p));
			break;
		}
		strbuf_add(&sb, p, (size_t)(b - p));
		snprintf(nm, sizeof(nm), "%.*s", (int)(e - b - 1), b + 1);
		if (strcmp(nm, "current") == 0)
			v = current;
		else if (strcmp(nm, "value") == 0)
			v = value;
		else if ((m = metric_lookup(nm)) >= 0)
			v = o->m[m];
		else
			v = NAN; /* validated at load; cannot happen */
		util_fmt_num(v, num, sizeof(num));
		strbuf_add(&sb, num, strlen(num));
		p = e + 1;
	}
	/* templates are bounded at load; numbers could still push it over */
	if (sb.len > TEMPLATE_MAX)
		sb.s[TEMPLATE_MAX] = '\0';
	return sb.s;
}
