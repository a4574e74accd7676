/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Policy files: libconfig documents holding a list of rules (see
 * twtune.policy(5)).  Loading validates everything and reports every error it
 * finds as "FILE:LINE: message", so an operator fixes a policy in one pass.
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
	/*
	 * Probable mistakes that are still valid policy, as FILE:LINE:
	 * message: a rule that disables an id no earlier file defines, a new
	 * rule whose id is a few letters from an earlier one.
	 */
	struct msgs warnings;
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
 * Warn (into warnings, as FILE:LINE: message) about each sysctl key the
 * enabled rules set or read that is neither in twtune's tunables table
 * nor present(key) on this kernel: a probable typo, named with the
 * closest known key.
 */
void policy_check_keys(const struct policy *p,
		       bool (*present)(const char *key, void *arg), void *arg,
		       struct msgs *warnings);

enum policy_refusal {
	POLICY_OK,
	POLICY_UNTRUSTED, /* someone but root (or us) could change it */
	POLICY_INCLUDE,	  /* an @include line, at *line */
	POLICY_BINARY,	  /* a NUL byte */
};

/*
 * Whether the text of a policy or configuration file (read from path,
 * with this stat) may be used; if not, why says why, without the path.
 * Both kinds of file decide what root writes, so the same rules hold:
 * owned by root or us and writable by no one else (the file and its
 * directory, unless that is sticky), one self-contained text file.
 */
enum policy_refusal policy_refused(const char *path, const struct stat *st,
				   const char *text, size_t len, int *line,
				   char *why, size_t whylen);

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
