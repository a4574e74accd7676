// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * twtune: parse the options and hand over to the command, each of which
 * lives in cmd_NAME.c.  Nothing else happens here.
 */
#include "config.h"

#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "commands.h"
#include "log.h"
#include "options.h"

struct command {
	const char *name;
	const char *sub;	/* "policy check", "audit verify", or NULL */
	int min_args, max_args; /* after the name (and sub-command) */
	int (*run)(const struct options *o, int argc, char **argv);
	const char *usage; /* for --help: "NAME ARGS", then what it does */
};

static const struct command commands[] = {
	{ "report", NULL, 0, 0, cmd_report,
	  "report               observe, evaluate the policies, print the plan;\n                       changes nothing (exit 2 when changes are proposed)" },
	{ "apply", NULL, 0, 0, cmd_apply,
	  "apply                report, then write, verify, persist and audit" },
	{ "rollback", NULL, 0, 0, cmd_rollback,
	  "rollback [--run ID]  restore what a recorded run replaced (default: the\n                       last run that changed something)" },
	{ "watch", NULL, 0, 0, cmd_watch,
	  "watch                keep observing every --interval seconds; apply when\n                       rules fire (only log with --dry-run); SIGHUP reloads" },
	{ "policy", "check", 0, 1000, cmd_policy_check,
	  "policy check [PATH...]  validate policy files, print every error" },
	{ "ansible", NULL, 1, 1, cmd_ansible,
	  "ansible ARGS_FILE    run as an Ansible module (JSON in, JSON out)" },
	{ "audit", "verify", 0, 1000, cmd_audit_verify,
	  "audit verify [FILE...]  check the audit log's hash chain and records\n                       (FILE.1 FILE: across a rotation)" },
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: twtune COMMAND [OPTIONS]\n"
		   "Find and fix \"TCP: time wait bucket table overflow\".\n"
		   "\nCommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %s\n", commands[i].usage);
	fputc('\n', f);
	options_usage(f);
	fprintf(f,
		"\nExit: 0 ok/nothing to change, 1 failure (rolled back), 2 changes proposed,\n3 trouble that nothing proposed or done fixes, 4 done but its output not\nwritten, 64 usage, 65 invalid policy or no rules, 77 not permitted.\nSee twtune(8).\n");
}

/* The command argv names, or NULL; *args is where its arguments start. */
static const struct command *find(int argc, char **argv, int *args)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		const struct command *c = &commands[i];
		int n = c->sub ? 2 : 1;

		if (strcmp(argv[0], c->name) != 0 ||
		    (c->sub && (argc < 2 || strcmp(argv[1], c->sub) != 0)))
			continue;
		if (argc - n < c->min_args || argc - n > c->max_args)
			return NULL;
		*args = n;
		return c;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	const struct command *c = NULL;
	struct options o;
	char name[32];
	uint32_t seed;
	int first = argc, args = 0, rc;

	/* jansson would read /dev/urandom for its hash seed */
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) ==
	    (ssize_t)sizeof(seed))
		json_object_seed(seed ? seed : 1);
	rc = options_parse(argc, argv, &o, &first);
	if (rc == 0 && (o.help || o.version)) {
		if (o.help)
			usage(stdout);
		else
			printf("twtune %s\n", PACKAGE_VERSION);
		rc = fflush(stdout) == 0 ? EX_OK : EXIT_OUTPUT;
		goto out;
	}
	if (rc == -EBADMSG) {
		rc = EX_DATAERR;
		goto out;
	}
	if (rc == 0 && first >= argc) {
		usage(stderr);
		rc = EX_USAGE;
		goto out;
	}
	if (rc == 0) {
		c = find(argc - first, argv + first, &args);
		if (!c)
			log_err("unknown command or wrong arguments: '%s'",
				argv[first]);
	}
	if (!c) {
		log_plain(LOG_ERR, "Try 'twtune --help'.");
		rc = EX_USAGE;
		goto out;
	}
	snprintf(name, sizeof(name), "%s%s%s", c->name, c->sub ? " " : "",
		 c->sub ? c->sub : "");
	log_set_command(name);
	rc = c->run(&o, argc - first - args, argv + first + args);
out:
	options_free(&o);
	return rc;
}
