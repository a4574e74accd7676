// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The option table and its three readers: getopt_long, the libconfig
 * configuration file and the Ansible module's JSON arguments.  A value is
 * checked by one function whatever its source, and every error names
 * where it came from (--option, FILE:LINE, or the Ansible parameter).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libconfig.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "bounds.h"
#include "log.h"
#include "options.h"
#include "paths.h"
#include "policy.h"
#include "sysctl.h"

const char *const format_names[] = {
	[FORMAT_TEXT] = "text",
	[FORMAT_JSON] = "json",
	[FORMAT_SALT] = "salt",
	[FORMAT_PROMETHEUS] = "prometheus",
};

enum opt_type {
	T_FLAG,	   /* bool, no argument */
	T_COUNT,   /* int, counts repetitions (-q, -v) */
	T_STRING,  /* char * */
	T_LIST,	   /* struct msgs, repeatable */
	T_SECONDS, /* double */
	T_FORMAT,  /* enum output_format */
};

enum opt_flags {
	F_NO_CONFIG = 1u << 0,	/* not in the configuration file */
	F_NO_ANSIBLE = 1u << 1, /* not an Ansible argument */
	F_ZERO_OK = 1u << 2,	/* seconds: 0 is allowed */
	F_NEGATED = 1u << 3,	/* Ansible: the argument is the opposite */
	F_ACTION = 1u << 4,	/* --help, --version: answered at once */
	F_CARRY = 1u << 5,	/* says what is acted on: repeated in hints */
};

struct opt_def {
	const char *name;
	char short_name;
	enum opt_type type;
	size_t offset;
	unsigned flags;
	const char *metavar;
	const char *help;  /* '\n' continues on an indented line */
	double max;	   /* T_SECONDS: the largest value */
	const char *alias; /* Ansible's name when not NAME with '_' */
	int (*check)(const char *value, char *err, size_t errlen);
};

static int check_persist_file(const char *v, char *err, size_t errlen)
{
	if (!*v || strchr(v, '/') || v[0] == '.') {
		snprintf(err, errlen, "persist-file must be a plain file name");
		return -EINVAL;
	}
	return 0;
}

static int check_reclaim(const char *v, char *err, size_t errlen)
{
	const char *why;

	if (!sysctl_key_valid(v, &why)) {
		snprintf(err, errlen, "reclaim %s: %s", v, why);
		return -EINVAL;
	}
	return 0;
}

#define OFF(field) offsetof(struct options, field)

static const struct opt_def table[] = {
	{ .name = "policy",
	  .short_name = 'p',
	  .type = T_LIST,
	  .offset = OFF(policies),
	  .flags = F_CARRY,
	  .metavar = "PATH",
	  .help = "policy file or directory (repeatable); replaces the\n"
		  "default path " POLICY_DIR "\nthen " SYSCONF_POLICY_DIR },
	{ .name = "config",
	  .short_name = 'c',
	  .type = T_STRING,
	  .offset = OFF(config),
	  .flags = F_NO_CONFIG | F_NO_ANSIBLE | F_CARRY,
	  .metavar = "FILE",
	  .help = "configuration file (default " CONFIG_FILE
		  ";\nabsent is fine)" },
	{ .name = "format",
	  .short_name = 'f',
	  .type = T_FORMAT,
	  .offset = OFF(format),
	  .flags = F_NO_ANSIBLE,
	  .metavar = "F",
	  .help = "text, json, salt or prometheus (default text)" },
	{ .name = "proc",
	  .type = T_STRING,
	  .offset = OFF(proc),
	  .flags = F_CARRY,
	  .metavar = "DIR",
	  .help = "where /proc is (default /proc)" },
	{ .name = "root",
	  .type = T_STRING,
	  .offset = OFF(root),
	  .flags = F_CARRY,
	  .metavar = "DIR",
	  .help = "where / is, for the default --sysctl-d (default /)" },
	{ .name = "sysctl-d",
	  .type = T_STRING,
	  .offset = OFF(sysctl_d),
	  .flags = F_CARRY,
	  .metavar = "DIR",
	  .help = "persist directory (default ROOT/etc/sysctl.d)" },
	{ .name = "persist-file",
	  .type = T_STRING,
	  .offset = OFF(persist_file),
	  .flags = F_CARRY,
	  .metavar = "NAME",
	  .help = "file name in it (default 90-twtune.conf)",
	  .check = check_persist_file },
	{ .name = "no-persist",
	  .type = T_FLAG,
	  .offset = OFF(no_persist),
	  .flags = F_NEGATED | F_CARRY,
	  .alias = "persist",
	  .help = "write live values only" },
	{ .name = "audit-log",
	  .type = T_STRING,
	  .offset = OFF(audit_log),
	  .flags = F_CARRY,
	  .metavar = "FILE",
	  .help = "JSON Lines audit log (default\n" AUDIT_LOG ")" },
	{ .name = "state",
	  .type = T_STRING,
	  .offset = OFF(state),
	  .flags = F_CARRY,
	  .metavar = "FILE",
	  .alias = "state_file",
	  .help = "state for deltas between runs (default\n" STATE_FILE ")" },
	{ .name = "sample",
	  .type = T_SECONDS,
	  .offset = OFF(sample),
	  .metavar = "SECONDS",
	  .max = 3600,
	  .help = "observe twice, SECONDS apart, for deltas and rates" },
	{ .name = "no-auto-sample",
	  .type = T_FLAG,
	  .offset = OFF(no_auto_sample),
	  .help = "with no baseline, do not take a 2 s sample\n"
		  "(report, apply)" },
	{ .name = "netns",
	  .type = T_STRING,
	  .offset = OFF(netns),
	  .flags = F_CARRY,
	  .metavar = "NAME|PATH",
	  .help = "act inside that network namespace" },
	{ .name = "all-netns",
	  .type = T_FLAG,
	  .offset = OFF(all_netns),
	  .flags = F_CARRY,
	  .help = "every network namespace of the host (report,\n"
		  "apply, watch)" },
	{ .name = "dry-run",
	  .type = T_FLAG,
	  .offset = OFF(dry_run),
	  .flags = F_NO_ANSIBLE,
	  .help = "apply/rollback/watch: do everything but write" },
	{ .name = "no-sockets",
	  .type = T_FLAG,
	  .offset = OFF(no_sockets),
	  .flags = F_CARRY,
	  .help = "only the O(1) metrics (no socket dump)" },
	{ .name = "sockets",
	  .type = T_FLAG,
	  .offset = OFF(sockets),
	  .flags = F_NO_ANSIBLE,
	  .help = "with --format prometheus: dump sockets too" },
	{ .name = "run",
	  .type = T_STRING,
	  .offset = OFF(run),
	  .flags = F_NO_CONFIG | F_NO_ANSIBLE,
	  .metavar = "ID",
	  .help = "rollback: the run to undo" },
	{ .name = "reclaim",
	  .type = T_LIST,
	  .offset = OFF(reclaim),
	  .metavar = "KEY",
	  .check = check_reclaim,
	  .help = "apply: manage KEY again although someone else\n"
		  "changed it since twtune last wrote it (repeatable)" },
	{ .name = "strict",
	  .type = T_FLAG,
	  .offset = OFF(strict),
	  .flags = F_NO_CONFIG | F_NO_ANSIBLE,
	  .help = "policy check: exit 65 on warnings too" },
	{ .name = "output",
	  .type = T_STRING,
	  .offset = OFF(output),
	  .flags = F_NO_ANSIBLE,
	  .metavar = "FILE",
	  .help = "write the output atomically to FILE" },
	{ .name = "interval",
	  .type = T_SECONDS,
	  .offset = OFF(interval),
	  .flags = F_NO_ANSIBLE,
	  .metavar = "S",
	  .max = 86400,
	  .help = "watch: seconds between O(1) ticks (default 10)" },
	{ .name = "scan-interval",
	  .type = T_SECONDS,
	  .offset = OFF(scan_interval),
	  .flags = F_NO_ANSIBLE,
	  .metavar = "S",
	  .max = 86400,
	  .help = "watch: at least this between socket dumps (60)" },
	{ .name = "lock-wait",
	  .type = T_SECONDS,
	  .offset = OFF(lock_wait),
	  .flags = F_ZERO_OK,
	  .metavar = "S",
	  .max = 3600,
	  .help = "apply, rollback: wait this long for another\n"
		  "twtune's run to finish (default 30; 0: fail at once)" },
	{ .name = "quiet",
	  .short_name = 'q',
	  .type = T_COUNT,
	  .offset = OFF(quiet),
	  .flags = F_NO_ANSIBLE,
	  .help = "only the verdict line and warning or critical\n"
		  "advice (text)" },
	{ .name = "verbose",
	  .short_name = 'v',
	  .type = T_COUNT,
	  .offset = OFF(verbose),
	  .flags = F_NO_ANSIBLE,
	  .help = "more detail (text)" },
	{ .name = "help",
	  .short_name = 'h',
	  .type = T_FLAG,
	  .offset = OFF(help),
	  .flags = F_NO_CONFIG | F_NO_ANSIBLE | F_ACTION,
	  .help = "this help, and exit" },
	{ .name = "version",
	  .type = T_FLAG,
	  .offset = OFF(version),
	  .flags = F_NO_CONFIG | F_NO_ANSIBLE | F_ACTION,
	  .help = "the version, and exit" },
};

#define N_OPTS ARRAY_SIZE(table)
_Static_assert(ARRAY_SIZE(table) <= 64, "struct options.cli holds 64 bits");

static void *field(struct options *o, const struct opt_def *d)
{
	return (char *)o + d->offset;
}

static int parse_seconds(const struct opt_def *d, const char *arg, double *out,
			 char *err, size_t errlen)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end || isnan(v) || v > d->max ||
	    ((d->flags & F_ZERO_OK) ? v < 0 : !(v > 0))) {
		if (d->flags & F_ZERO_OK)
			snprintf(err, errlen, "%s takes seconds from 0 to %g",
				 d->name, d->max);
		else
			snprintf(err, errlen,
				 "%s takes seconds above 0 and up to %g",
				 d->name, d->max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

/*
 * Set one option from its text (NULL for a flag): the one place where a
 * value is checked.  -EINVAL with the reason in err.
 */
static int set_value(struct options *o, const struct opt_def *d,
		     const char *arg, char *err, size_t errlen)
{
	void *f = field(o, d);
	int ret;

	if (d->check && arg && (ret = d->check(arg, err, errlen)) < 0)
		return ret;
	switch (d->type) {
	case T_FLAG: *(bool *)f = true; return 0;
	case T_COUNT: (*(int *)f)++; return 0;
	case T_STRING:
		free(*(char **)f);
		*(char **)f = xstrdup(arg);
		return 0;
	case T_LIST: msgs_addf(f, "%s", arg); return 0;
	case T_SECONDS: return parse_seconds(d, arg, f, err, errlen);
	case T_FORMAT:
		for (size_t i = 0; i < ARRAY_SIZE(format_names); i++) {
			if (strcmp(arg, format_names[i]) == 0) {
				*(enum output_format *)f = i;
				return 0;
			}
		}
		snprintf(
			err, errlen,
			"format %s: supported formats are text, json, salt and prometheus",
			arg);
		return -EINVAL;
	}
	return -EINVAL;
}

static bool takes_arg(const struct opt_def *d)
{
	return d->type != T_FLAG && d->type != T_COUNT;
}

static void defaults(struct options *o)
{
	*o = (struct options){
		.format = FORMAT_TEXT,
		.proc = xstrdup("/proc"),
		.root = xstrdup("/"),
		.persist_file = xstrdup("90-twtune.conf"),
		.audit_log = xstrdup(AUDIT_LOG),
		.state = xstrdup(STATE_FILE),
		.interval = 10,
		.scan_interval = 60,
		.lock_wait = 30,
	};
}

/* ---- the configuration file ------------------------------------------- */

static const struct opt_def *by_name(const char *name, unsigned excluded)
{
	for (size_t i = 0; i < N_OPTS; i++)
		if (strcmp(table[i].name, name) == 0 &&
		    !(table[i].flags & excluded))
			return &table[i];
	return NULL;
}

/* A setting's value as the text an option takes; NULL: wrong type. */
static char *setting_text(config_setting_t *s)
{
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_STRING: return xstrdup(config_setting_get_string(s));
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return xasprintf("%lld", config_setting_get_int64(s));
	case CONFIG_TYPE_FLOAT:
		return xasprintf("%.17g", config_setting_get_float(s));
	default: return NULL;
	}
}

/* One setting of the file; the number of errors it had. */
static int config_setting(struct options *o, const char *path,
			  config_setting_t *s, const bool *from_cli)
{
	const char *name = config_setting_name(s);
	const struct opt_def *d = by_name(name, F_NO_CONFIG);
	int line = config_setting_source_line(s), type, bad = 0;
	char err[256], *text;

	if (!d) {
		log_plain(LOG_ERR, "%s:%d: unknown setting '%s'", path, line,
			  name);
		return 1;
	}
	if (from_cli[d - table])
		return 0; /* the command line wins */
	type = config_setting_type(s);
	if (!takes_arg(d)) {
		if (type != CONFIG_TYPE_BOOL) {
			log_plain(LOG_ERR, "%s:%d: %s must be true or false",
				  path, line, name);
			return 1;
		}
		if (config_setting_get_bool(s))
			set_value(o, d, NULL, err, sizeof(err));
		return 0;
	}
	if (d->type == T_LIST &&
	    (type == CONFIG_TYPE_LIST || type == CONFIG_TYPE_ARRAY)) {
		for (int k = 0; k < config_setting_length(s); k++) {
			const char *v =
				config_setting_get_string_elem(s, (unsigned)k);

			if (!v) {
				log_plain(LOG_ERR,
					  "%s:%d: %s must be a list of strings",
					  path, line, name);
				return bad + 1;
			}
			if (set_value(o, d, v, err, sizeof(err)) < 0) {
				log_plain(LOG_ERR, "%s:%d: %s", path, line,
					  err);
				bad++;
			}
		}
		return bad;
	}
	text = setting_text(s);
	if (!text) {
		log_plain(LOG_ERR, "%s:%d: %s must be a string or a number",
			  path, line, name);
		return 1;
	}
	if (set_value(o, d, text, err, sizeof(err)) < 0) {
		log_plain(LOG_ERR, "%s:%d: %s", path, line, err);
		bad++;
	}
	free(text);
	return bad;
}

/*
 * Read the configuration file: absent is fine unless named with -c.  It
 * names the files twtune writes, so it gets the same trust checks as a
 * policy.  -EBADMSG after saying every error.
 */
static int load_config(struct options *o, const bool *from_cli)
{
	const char *path = o->config ? o->config : CONFIG_FILE;
	char why[256], *text = NULL;
	config_setting_t *root;
	struct stat st;
	size_t len;
	int bad = 0, ret, inc_line;
	config_t cfg;

	ret = util_read_file(AT_FDCWD, path, 0, POLICY_FILE_MAX, &text, &len,
			     &st);
	if (ret == -ENOENT && !o->config)
		return 0;
	if (ret < 0) {
		log_plain(LOG_ERR, "%s: %s", path, strerror(-ret));
		return -EBADMSG;
	}
	if (policy_refused(path, &st, text, len, &inc_line, why, sizeof(why))) {
		if (inc_line)
			log_plain(LOG_ERR,
				  "%s:%d: refusing this configuration file: %s",
				  path, inc_line, why);
		else
			log_plain(LOG_ERR,
				  "%s: refusing this configuration file: %s",
				  path, why);
		free(text);
		return -EBADMSG;
	}
	config_init(&cfg);
	ret = config_read_string(&cfg, text);
	free(text);
	if (ret != CONFIG_TRUE) {
		log_plain(LOG_ERR, "%s:%d: %s", path, config_error_line(&cfg),
			  config_error_text(&cfg));
		config_destroy(&cfg);
		return -EBADMSG;
	}
	root = config_root_setting(&cfg);
	for (int i = 0; i < config_setting_length(root); i++)
		bad += config_setting(
			o, path, config_setting_get_elem(root, (unsigned)i),
			from_cli);
	config_destroy(&cfg);
	return bad ? -EBADMSG : 0;
}

/* ---- the command line ---------------------------------------------------- */

int options_parse(int argc, char **argv, struct options *o, int *first_arg)
{
	struct option longs[N_OPTS + 1];
	bool from_cli[N_OPTS] = { false };
	char shorts[2 * N_OPTS + 1], err[256], *s = shorts;
	int c;

	defaults(o);
	for (size_t i = 0; i < N_OPTS; i++) {
		longs[i] = (struct option){
			.name = table[i].name,
			.has_arg = takes_arg(&table[i]) ? required_argument
							: no_argument,
			.val = 256 + (int)i,
		};
		if (table[i].short_name) {
			*s++ = table[i].short_name;
			if (takes_arg(&table[i]))
				*s++ = ':';
		}
	}
	*s = '\0';
	longs[N_OPTS] = (struct option){ 0 };
	/* GNU getopt permutes: options may come before or after the command */
	while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
		const struct opt_def *d = NULL;

		if (c == '?' || c == ':')
			return -EINVAL;
		for (size_t i = 0; !d && i < N_OPTS; i++)
			if (c == 256 + (int)i || c == table[i].short_name)
				d = &table[i];
		if (set_value(o, d, optarg, err, sizeof(err)) < 0) {
			log_plain(LOG_ERR, "twtune: --%s", err);
			return -EINVAL;
		}
		from_cli[d - table] = true;
		o->cli |= 1ull << (d - table);
		if (d->flags & F_ACTION)
			return 0;
	}
	*first_arg = optind;
	if (load_config(o, from_cli) < 0)
		return -EBADMSG;
	options_finish(o);
	return 0;
}

/* ---- Ansible arguments --------------------------------------------------- */

/* The Ansible name of an option: its alias, or its name with '_'. */
static void ansible_name(const struct opt_def *d, char *out, size_t len)
{
	snprintf(out, len, "%s", d->alias ? d->alias : d->name);
	for (char *p = out; *p; p++)
		if (*p == '-')
			*p = '_';
}

static const struct opt_def *by_ansible_name(const char *key)
{
	char want[64], name[64];

	snprintf(want, sizeof(want), "%s", key);
	for (char *p = want; *p; p++)
		if (*p == '-')
			*p = '_';
	for (size_t i = 0; i < N_OPTS; i++) {
		if (table[i].flags & F_NO_ANSIBLE)
			continue;
		ansible_name(&table[i], name, sizeof(name));
		if (strcmp(name, want) == 0)
			return &table[i];
	}
	return NULL;
}

void options_ansible_names(struct msgs *names)
{
	char name[64];

	for (size_t i = 0; i < N_OPTS; i++) {
		if (table[i].flags & F_NO_ANSIBLE)
			continue;
		ansible_name(&table[i], name, sizeof(name));
		msgs_addf(names, "%s", name);
	}
}

int options_ansible_bool(json_t *v, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1", "y" };
	static const char *const no[] = { "no", "false", "off", "0", "n" };
	const char *s = json_string_value(v);

	if (json_is_boolean(v)) {
		*out = json_is_true(v);
		return 0;
	}
	if (json_is_integer(v) &&
	    (json_integer_value(v) == 0 || json_integer_value(v) == 1)) {
		*out = json_integer_value(v) == 1;
		return 0;
	}
	for (size_t i = 0; s && i < ARRAY_SIZE(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

/* A scalar argument as the text an option takes; NULL: wrong type. */
static char *json_text(json_t *v)
{
	if (json_is_string(v))
		return xstrdup(json_string_value(v));
	if (json_is_integer(v))
		return xasprintf("%lld", (long long)json_integer_value(v));
	if (json_is_real(v))
		return xasprintf("%.17g", json_real_value(v));
	return NULL;
}

static int ansible_arg(struct options *o, const struct opt_def *d,
		       const char *key, json_t *v, char *err, size_t errlen)
{
	char *text;
	json_t *e;
	size_t i;
	bool b;
	int ret;

	if (!takes_arg(d)) {
		if (options_ansible_bool(v, &b) < 0)
			goto bad_type;
		if (b != !!(d->flags & F_NEGATED))
			set_value(o, d, NULL, err, errlen);
		else if (d->type == T_FLAG)
			*(bool *)field(o, d) = false;
		return 0;
	}
	if (d->type == T_LIST && !json_is_array(v) && !json_is_string(v))
		goto bad_type;
	if (d->type == T_LIST && json_is_array(v)) {
		json_array_foreach (v, i, e) {
			if (!json_is_string(e))
				goto bad_type;
			ret = set_value(o, d, json_string_value(e), err,
					errlen);
			if (ret < 0)
				return ret;
		}
		return 0;
	}
	text = json_text(v);
	if (!text)
		goto bad_type;
	ret = set_value(o, d, text, err, errlen);
	free(text);
	return ret;
bad_type:
	snprintf(err, errlen, "parameter %s has the wrong type", key);
	return -EINVAL;
}

int options_from_ansible(json_t *args, struct options *o, char *err,
			 size_t errlen)
{
	const char *key;
	json_t *v;
	int ret;

	json_object_foreach (args, key, v) {
		const struct opt_def *d;

		if (strncmp(key, "_ansible_", 9) == 0)
			continue; /* the caller's, or Ansible's business */
		d = by_ansible_name(key);
		if (!d) {
			struct msgs names = { 0 };
			struct strbuf list = { 0 };

			options_ansible_names(&names);
			for (size_t i = 0; i < names.n; i++)
				strbuf_addf(&list, "%s%s", i ? ", " : "",
					    names.v[i]);
			snprintf(err, errlen,
				 "unsupported parameter %s (supported: %s)",
				 key, list.s);
			strbuf_free(&list);
			msgs_free(&names);
			return -EINVAL;
		}
		/* a list the task gives replaces the configuration file's */
		if (d->type == T_LIST)
			msgs_free(field(o, d));
		ret = ansible_arg(o, d, key, v, err, errlen);
		if (ret < 0)
			return ret;
	}
	options_finish(o);
	return 0;
}

/* ---- help ---------------------------------------------------------------- */

void options_usage(FILE *f)
{
	fprintf(f, "Options:\n");
	for (size_t i = 0; i < N_OPTS; i++) {
		const struct opt_def *d = &table[i];
		char lead[48];
		const char *h = d->help, *nl;

		snprintf(lead, sizeof(lead), "%c%c%c --%s%s%s",
			 d->short_name ? '-' : ' ',
			 d->short_name ? d->short_name : ' ',
			 d->short_name ? ',' : ' ', d->name,
			 d->metavar ? " " : "", d->metavar ? d->metavar : "");
		/* a long lead takes a line of its own */
		if (strlen(lead) > 20)
			fprintf(f, "  %s\n%23s", lead, "");
		else
			fprintf(f, "  %-20s ", lead);
		while ((nl = strchr(h, '\n'))) {
			fprintf(f, "%.*s\n%23s", (int)(nl - h), h, "");
			h = nl + 1;
		}
		fprintf(f, "%s\n", h);
	}
}

void options_finish(struct options *o)
{
	size_t n = strlen(o->root);

	free(o->persist_dir);
	if (o->sysctl_d)
		o->persist_dir = xstrdup(o->sysctl_d);
	else
		o->persist_dir =
			xasprintf("%s%setc/sysctl.d", o->root,
				  n && o->root[n - 1] == '/' ? "" : "/");
}

void options_copy(struct options *dst, const struct options *src)
{
	*dst = *src;
	for (size_t i = 0; i < N_OPTS; i++) {
		const struct opt_def *d = &table[i];

		if (d->type == T_STRING && *(char **)field(dst, d)) {
			*(char **)field(dst, d) =
				xstrdup(*(char **)field(dst, d));
		} else if (d->type == T_LIST) {
			struct msgs *l = field(dst, d), copy = { 0 };

			msgs_add_all(&copy, l);
			*l = copy;
		}
	}
	dst->persist_dir = src->persist_dir ? xstrdup(src->persist_dir) : NULL;
}

void options_free(struct options *o)
{
	for (size_t i = 0; i < N_OPTS; i++) {
		if (table[i].type == T_STRING)
			free(*(char **)field(o, &table[i]));
		else if (table[i].type == T_LIST)
			msgs_free(field(o, &table[i]));
	}
	free(o->persist_dir);
	memset(o, 0, sizeof(*o));
}

/* value, quoted for a POSIX shell when it needs it */
static void shell_word(struct strbuf *sb, const char *v)
{
	if (*v &&
	    strspn(v,
		   "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./:=@%+,-") ==
		    strlen(v)) {
		strbuf_addf(sb, " %s", v);
		return;
	}
	strbuf_add(sb, " '", 2);
	for (const char *p = v; *p; p++) {
		if (*p == '\'')
			strbuf_add(sb, "'\\''", 4);
		else
			strbuf_add(sb, p, 1);
	}
	strbuf_add(sb, "'", 1);
}

static void option_word(struct strbuf *sb, const struct opt_def *d)
{
	if (d->short_name)
		strbuf_addf(sb, " -%c", d->short_name);
	else
		strbuf_addf(sb, " --%s", d->name);
}

char *options_command_line(const struct options *o, const char *command)
{
	struct strbuf sb = { 0 };

	strbuf_addf(&sb, "twtune %s", command);
	for (size_t i = 0; i < N_OPTS; i++) {
		const struct opt_def *d = &table[i];
		void *f = field((struct options *)o, d);

		if (!(d->flags & F_CARRY) || !(o->cli & (1ull << i)))
			continue;
		if (d->type == T_FLAG) {
			if (*(bool *)f)
				option_word(&sb, d);
		} else if (d->type == T_STRING && *(char **)f) {
			option_word(&sb, d);
			shell_word(&sb, *(char **)f);
		} else if (d->type == T_LIST) {
			const struct msgs *l = f;

			for (size_t k = 0; k < l->n; k++) {
				option_word(&sb, d);
				shell_word(&sb, l->v[k]);
			}
		}
	}
	return sb.s;
}
