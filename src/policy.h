/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Policy files: libconfig documents holding a list of rules (SPEC section
 * 4).  Loading validates everything and reports every error it finds as
 * "FILE:LINE: message", so an operator fixes a policy in one pass.
 */
#ifndef TWTUNE_POLICY_H
#define TWTUNE_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "expr.h"
#include "util.h"

enum rule_kind {
	RULE_SYSCTL,
	RULE_ADVICE
};
enum direction {
	DIR_RAISE,
	DIR_LOWER,
	DIR_ANY
};
enum severity {
	SEV_INFO,
	SEV_WARNING,
	SEV_CRITICAL
};

struct rule {
	char *id;
	char *file;
	int line;
	enum rule_kind kind;
	char *key;    /* RULE_SYSCTL */
	char *advice; /* RULE_ADVICE: text template */
	struct expr *when, *value, *min, *max;
	enum direction direction;
	bool persist;
	bool override;
	bool enabled;
	char *reason; /* template, may be NULL */
	enum severity severity;
};

struct policy_file {
	char *path;
	char sha256[SHA256_HEX_LEN + 1];
	size_t n_rules;
};

struct policy {
	struct rule *rules; /* load order, replaced ids in place */
	size_t n_rules;
	struct policy_file *files;
	size_t n_files;
};

extern const char *const direction_names[];
extern const char *const severity_names[];

/*
 * Load the policy files found in paths (files, or directories whose *.conf
 * files are taken; a file name in a later directory masks the same name in
 * an earlier one; files are then read in lexical order of their names).
 * Returns 0, or -EINVAL with every problem in errors (as FILE:LINE:
 * message).  A directory that does not exist is skipped when
 * missing_ok is set (the default search path), an error otherwise.
 */
int policy_load(const char *const *paths, size_t n_paths, bool missing_ok,
		struct policy *p, struct msgs *errors);
void policy_free(struct policy *p);

/*
 * Whether a policy (or configuration) file with this stat, at path, may be
 * written by someone other than root or us; *why says who.
 */
bool policy_untrusted(const char *path, const struct stat *st, char *why,
		      size_t len);

/*
 * The first line of text that is a libconfig @include directive, or 0.
 * Policies and the configuration file may not pull in other files: those
 * would escape the trust checks.
 */
int policy_include_line(const char *text);

/* Whether any enabled rule needs socket-level metrics. */
bool policy_needs_sockets(const struct policy *p);

/* Every sysctl the enabled rules target or read. */
void policy_sysctl_keys(const struct policy *p, struct msgs *keys);

/*
 * Expand a reason template: {name} becomes the metric's value, {current}
 * and {value} the rule's live and planned values.  Pure.
 */
char *policy_render(const char *tmpl, const struct observation *o,
		    double current, double value);

#endif
