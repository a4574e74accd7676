/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The options: one table serves the command line (getopt_long), the
 * configuration file (/etc/twtune/twtune.conf, every long option by its
 * name) and the Ansible module's arguments (the same names with '_' or
 * '-').  Each value is checked the same way wherever it comes from, and
 * struct options owns every string in it.
 */
#ifndef TWTUNE_OPTIONS_H
#define TWTUNE_OPTIONS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>

#include "util.h"

enum output_format {
	FORMAT_TEXT,
	FORMAT_JSON,
	FORMAT_SALT,
	FORMAT_PROMETHEUS,
};

extern const char *const format_names[];

struct options {
	struct msgs policies; /* -p, repeatable; empty: the default path */
	struct msgs reclaim;  /* --reclaim KEY, repeatable */
	char *config;	      /* -c, NULL: the default file (absent is fine) */
	enum output_format format;
	char *proc, *root, *sysctl_d, *persist_file, *audit_log, *state;
	char *netns, *run, *output;
	char *persist_dir; /* --sysctl-d, or ROOT/etc/sysctl.d */
	double sample, interval, scan_interval, lock_wait;
	bool no_persist, dry_run, no_sockets, sockets, no_auto_sample;
	bool strict; /* policy check: warnings are errors */
	bool all_netns;
	int quiet, verbose;
	bool help, version;
	uint64_t cli; /* a bit per option table entry given on the command line */
};

/* Where an option may be set. */
enum option_source {
	SRC_CLI,
	SRC_CONFIG,
	SRC_ANSIBLE,
};

/*
 * Parse the command line and then the configuration file (the command
 * line wins).  Returns 0, with *first_arg the index of the command in
 * argv (argc when there is none); -EINVAL for a usage error (said on
 * standard error); -EBADMSG for an invalid configuration file (every
 * error said as FILE:LINE).  --help and --version only set o->help or
 * o->version.
 */
int options_parse(int argc, char **argv, struct options *o, int *first_arg);

/*
 * "twtune COMMAND" and the options given on the command line that say
 * what is acted on (-p, -c, --proc, --root, --sysctl-d, --persist-file,
 * --no-persist, --audit-log, --state, --netns, --no-sockets), quoted
 * for a shell: the command to suggest next.  Newly allocated.
 */
char *options_command_line(const struct options *o, const char *command);

/*
 * Take the arguments of an Ansible task (a JSON object; keys beginning
 * with "_ansible_" are left to the caller) on top of o.  Returns 0 or
 * -EINVAL with the reason in err.
 */
int options_from_ansible(json_t *args, struct options *o, char *err,
			 size_t errlen);

/* A boolean as Ansible users write it: true/false, yes/no, on/off, 1/0. */
int options_ansible_bool(json_t *v, bool *out);

/* The Ansible argument names, for documentation and its test. */
void options_ansible_names(struct msgs *names);

/* The options part of --help. */
void options_usage(FILE *f);

/* Derive what follows from the options: persist_dir. */
void options_finish(struct options *o);

/* A copy that owns its own strings. */
void options_copy(struct options *dst, const struct options *src);

void options_free(struct options *o);

#endif
