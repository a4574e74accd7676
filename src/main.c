// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * twtune: commands and options.  The only file that knows every layer:
 * it wires observe -> policy -> plan -> apply -> report/audit together and
 * turns their results into exit codes (SPEC section 2).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libconfig.h>
#include <linux/magic.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#ifdef TWTUNE_TEST_HOOKS
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#endif

#include "apply.h"
#include "audit.h"
#include "observe.h"
#include "persist.h"
#include "plan.h"
#include "policy.h"
#include "privs.h"
#include "report.h"
#include "shadow.h"
#include "sockdiag.h"
#include "state.h"
#include "sysctl.h"
#include "util.h"

enum exit_code {
	EXIT_OK = 0,
	EXIT_FAIL = 1,
	EXIT_CHANGES = 2,
	EXIT_USAGE = 64,
	EXIT_POLICY = 65,
	EXIT_NOPERM = 77,
};

struct opts {
	const char **policies;
	size_t n_policies;
	const char **reclaim;
	size_t n_reclaim;
	const char *config;
	double interval, scan_interval, lock_wait;
	struct msgs owned; /* strings that came from the configuration file */
	/* twtune ansible: the module's output instead of a report */
	bool ansible, ansible_diff;
	char *persist_before; /* the persist file's text before the run */
	bool *emitted;
	const char *format;
	const char *proc;
	const char *root;
	const char *sysctl_d;
	const char *persist_file;
	const char *audit_log;
	const char *state;
	const char *netns;
	const char *run;
	const char *output;
	double sample;
	bool no_persist, dry_run, no_sockets, sockets;
	int verbose, quiet;
	char *sysctl_d_buf;
};

enum {
	OPT_PROC = 256,
	OPT_ROOT,
	OPT_SYSCTL_D,
	OPT_PERSIST_FILE,
	OPT_NO_PERSIST,
	OPT_AUDIT_LOG,
	OPT_STATE,
	OPT_SAMPLE,
	OPT_NETNS,
	OPT_DRY_RUN,
	OPT_NO_SOCKETS,
	OPT_RUN,
	OPT_OUTPUT,
	OPT_VERSION,
	OPT_RECLAIM,
	OPT_SOCKETS,
	OPT_INTERVAL,
	OPT_SCAN_INTERVAL,
	OPT_LOCK_WAIT,
	OPT_MAX_CODE,
};

static const struct option long_opts[] = {
	{ "policy", required_argument, NULL, 'p' },
	{ "format", required_argument, NULL, 'f' },
	{ "proc", required_argument, NULL, OPT_PROC },
	{ "root", required_argument, NULL, OPT_ROOT },
	{ "sysctl-d", required_argument, NULL, OPT_SYSCTL_D },
	{ "persist-file", required_argument, NULL, OPT_PERSIST_FILE },
	{ "no-persist", no_argument, NULL, OPT_NO_PERSIST },
	{ "audit-log", required_argument, NULL, OPT_AUDIT_LOG },
	{ "state", required_argument, NULL, OPT_STATE },
	{ "sample", required_argument, NULL, OPT_SAMPLE },
	{ "netns", required_argument, NULL, OPT_NETNS },
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ "no-sockets", no_argument, NULL, OPT_NO_SOCKETS },
	{ "sockets", no_argument, NULL, OPT_SOCKETS },
	{ "config", required_argument, NULL, 'c' },
	{ "interval", required_argument, NULL, OPT_INTERVAL },
	{ "scan-interval", required_argument, NULL, OPT_SCAN_INTERVAL },
	{ "lock-wait", required_argument, NULL, OPT_LOCK_WAIT },
	{ "run", required_argument, NULL, OPT_RUN },
	{ "reclaim", required_argument, NULL, OPT_RECLAIM },
	{ "output", required_argument, NULL, OPT_OUTPUT },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ 0 },
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: twtune COMMAND [OPTIONS]\n"
		"Find and fix \"TCP: time wait bucket table overflow\".\n"
		"\n"
		"Commands:\n"
		"  report               observe, evaluate the policies, print "
		"the plan;\n"
		"                       changes nothing (exit 2 when changes "
		"are proposed)\n"
		"  apply                report, then write, verify, persist "
		"and audit\n"
		"  rollback [--run ID]  restore what a recorded run replaced "
		"(default: the\n"
		"                       last run that changed something)\n"
		"  watch                keep observing every --interval "
		"seconds; apply when\n"
		"                       rules fire (only log with --dry-run); "
		"SIGHUP reloads\n"
		"  policy check [PATH...]  validate policy files, print every "
		"error\n"
		"  ansible ARGS_FILE    run as an Ansible module (JSON in, "
		"JSON out)\n"
		"  audit verify [FILE]  check the audit log's hash chain and "
		"records\n"
		"\n"
		"Options:\n"
		"  -p, --policy PATH    policy file or directory (repeatable); "
		"replaces the\n"
		"                       default path %s then %s\n"
		"  -c, --config FILE    configuration file (default %s; absent "
		"is fine)\n"
		"  -f, --format F       text, json, salt or prometheus "
		"(default text)\n"
		"      --proc DIR       where /proc is (default /proc)\n"
		"      --root DIR       where / is, for the default --sysctl-d "
		"(default /)\n"
		"      --sysctl-d DIR   persist directory (default "
		"ROOT/etc/sysctl.d)\n"
		"      --persist-file NAME  file name in it (default "
		"90-twtune.conf)\n"
		"      --no-persist     write live values only\n"
		"      --audit-log FILE JSON Lines audit log (default %s)\n"
		"      --state FILE     state for deltas between runs (default "
		"%s)\n"
		"      --sample SECONDS observe twice, SECONDS apart, for "
		"deltas and rates\n"
		"      --netns NAME|PATH  act inside that network namespace\n"
		"      --dry-run        apply/rollback: do everything but "
		"write\n"
		"      --no-sockets     only the O(1) metrics (no socket "
		"dump)\n"
		"      --sockets        with --format prometheus: dump sockets "
		"too\n"
		"      --run ID         rollback: the run to undo\n"
		"      --reclaim KEY    apply: manage KEY again although "
		"someone else\n"
		"                       changed it since twtune last wrote it "
		"(repeatable)\n"
		"      --output FILE    write the output atomically to FILE\n"
		"      --interval S     watch: seconds between O(1) ticks "
		"(default 10)\n"
		"      --scan-interval S  watch: at least this between socket "
		"dumps (60)\n"
		"      --lock-wait S    apply, rollback: wait this long for "
		"another\n"
		"                       twtune's run to finish (default 30; 0: "
		"fail at once)\n"
		"  -q, --quiet          only the verdict line (text)\n"
		"  -v, --verbose        more detail (text)\n"
		"  -h, --help, --version\n"
		"\n"
		"Exit: 0 ok/nothing to change, 1 failure (rolled back), 2 "
		"changes proposed,\n"
		"64 usage, 65 invalid policy, 77 not permitted.  See "
		"twtune(8).\n",
		POLICY_DIR, SYSCONF_POLICY_DIR, CONFIG_FILE, AUDIT_LOG,
		STATE_FILE);
}

/*
 * One option, from the command line or the configuration file: the same
 * checks either way.  -1 with a message in err when the value is bad.
 */
static int set_option(struct opts *o, int c, const char *arg, char *err,
		      size_t errlen)
{
	char *end;

	switch (c) {
	case 'p':
		o->policies = xrealloc(o->policies,
				       (o->n_policies + 1) * sizeof(char *));
		o->policies[o->n_policies++] = arg;
		break;
	case 'f':
		if (strcmp(arg, "text") && strcmp(arg, "json") &&
		    strcmp(arg, "salt") && strcmp(arg, "prometheus")) {
			snprintf(err, errlen,
				 "format %s: supported formats "
				 "are text, json, salt and prometheus",
				 arg);
			return -1;
		}
		o->format = arg;
		break;
	case OPT_PROC: o->proc = arg; break;
	case OPT_ROOT: o->root = arg; break;
	case OPT_SYSCTL_D: o->sysctl_d = arg; break;
	case OPT_PERSIST_FILE:
		if (!*arg || strchr(arg, '/') || arg[0] == '.') {
			snprintf(err, errlen,
				 "persist-file must be a plain "
				 "file name");
			return -1;
		}
		o->persist_file = arg;
		break;
	case OPT_NO_PERSIST: o->no_persist = true; break;
	case OPT_AUDIT_LOG: o->audit_log = arg; break;
	case OPT_STATE: o->state = arg; break;
	case OPT_SAMPLE:
	case OPT_INTERVAL:
	case OPT_SCAN_INTERVAL: {
		double v;

		errno = 0;
		v = strtod(arg, &end);
		if (errno || *end || !(v > 0) || v > 86400 ||
		    (c == OPT_SAMPLE && v > 3600)) {
			snprintf(err, errlen,
				 "%s takes seconds above 0 and "
				 "up to %s",
				 c == OPT_SAMPLE     ? "sample"
				 : c == OPT_INTERVAL ? "interval"
						     : "scan-interval",
				 c == OPT_SAMPLE ? "3600" : "86400");
			return -1;
		}
		if (c == OPT_SAMPLE)
			o->sample = v;
		else if (c == OPT_INTERVAL)
			o->interval = v;
		else
			o->scan_interval = v;
		break;
	}
	case OPT_LOCK_WAIT:
		errno = 0;
		o->lock_wait = strtod(arg, &end);
		if (errno || *end || end == arg || !(o->lock_wait >= 0) ||
		    o->lock_wait > 3600) {
			snprintf(err, errlen,
				 "lock-wait takes seconds from 0 to 3600");
			return -1;
		}
		break;
	case OPT_NETNS: o->netns = arg; break;
	case OPT_DRY_RUN: o->dry_run = true; break;
	case OPT_NO_SOCKETS: o->no_sockets = true; break;
	case OPT_SOCKETS: o->sockets = true; break;
	case OPT_RUN: o->run = arg; break;
	case OPT_RECLAIM: {
		const char *why;

		if (!sysctl_key_valid(arg, &why)) {
			snprintf(err, errlen, "reclaim %s: %s", arg, why);
			return -1;
		}
		o->reclaim = xrealloc(o->reclaim,
				      (o->n_reclaim + 1) * sizeof(char *));
		o->reclaim[o->n_reclaim++] = arg;
		break;
	}
	case OPT_OUTPUT: o->output = arg; break;
	case 'c': o->config = arg; break;
	case 'q': o->quiet++; break;
	case 'v': o->verbose++; break;
	default: snprintf(err, errlen, "unknown option"); return -1;
	}
	return 0;
}

/* The getopt code of a long option name, or 0. */
static int option_code(const char *name, bool *takes_arg)
{
	for (const struct option *l = long_opts; l->name; l++) {
		if (strcmp(l->name, name) == 0) {
			*takes_arg = l->has_arg == required_argument;
			return l->val;
		}
	}
	return 0;
}

/*
 * Settings of the configuration file: every long option, named as on the
 * command line ("sysctl-d"), a string, number or boolean as the option
 * takes; a list of strings for the repeatable ones.  An option given on
 * the command line wins.
 */
static int load_config(struct opts *o, const bool *from_cli)
{
	static const char *const not_in_file[] = { "config", "help", "version",
						   "run" };
	const char *path = o->config ? o->config : CONFIG_FILE;
	config_setting_t *root;
	char err[256], *text = NULL;
	struct stat st;
	size_t len;
	int bad = 0, ret, inc_line;
	config_t cfg;

	ret = util_read_file(AT_FDCWD, path, 0, 1u << 20, &text, &len, &st);
	if (ret == -ENOENT && !o->config)
		return 0; /* absent is fine */
	if (ret < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(-ret));
		return -1;
	}
	/* it names the files twtune writes: the same trust as a policy */
	if (policy_refused(path, &st, text, len, &inc_line, err, sizeof(err))) {
		if (inc_line)
			fprintf(stderr,
				"%s: refusing this configuration file: line "
				"%d: %s\n",
				path, inc_line, err);
		else
			fprintf(stderr,
				"%s: refusing this configuration file: %s\n",
				path, err);
		free(text);
		return -1;
	}
	config_init(&cfg);
	ret = config_read_string(&cfg, text);
	free(text);
	if (ret != CONFIG_TRUE) {
		fprintf(stderr, "%s:%d: %s\n", path, config_error_line(&cfg),
			config_error_text(&cfg));
		config_destroy(&cfg);
		return -1;
	}
	root = config_root_setting(&cfg);
	for (int i = 0; i < config_setting_length(root); i++) {
		config_setting_t *s =
			config_setting_get_elem(root, (unsigned)i);
		const char *name = config_setting_name(s);
		int line = config_setting_source_line(s), type, c;
		bool takes_arg, skip = false;

		for (size_t k = 0; k < ARRAY_SIZE(not_in_file); k++)
			skip |= strcmp(name, not_in_file[k]) == 0;
		c = skip ? 0 : option_code(name, &takes_arg);
		if (!c) {
			fprintf(stderr, "%s:%d: unknown setting '%s'\n", path,
				line, name);
			bad++;
			continue;
		}
		if (c < OPT_MAX_CODE && from_cli[c])
			continue; /* the command line wins */
		type = config_setting_type(s);
		if (!takes_arg) {
			if (type != CONFIG_TYPE_BOOL) {
				fprintf(stderr,
					"%s:%d: %s must be true or "
					"false\n",
					path, line, name);
				bad++;
			} else if (config_setting_get_bool(s) &&
				   set_option(o, c, NULL, err, sizeof(err)) <
					   0) {
				fprintf(stderr, "%s:%d: %s\n", path, line, err);
				bad++;
			}
			continue;
		}
		if ((c == 'p' || c == OPT_RECLAIM) &&
		    (type == CONFIG_TYPE_LIST || type == CONFIG_TYPE_ARRAY)) {
			for (int k = 0; k < config_setting_length(s); k++) {
				const char *v = config_setting_get_string_elem(
					s, (unsigned)k);

				if (!v) {
					fprintf(stderr,
						"%s:%d: %s must be a "
						"list of strings\n",
						path, line, name);
					bad++;
					break;
				}
				msgs_addf(&o->owned, "%s", v);
				if (set_option(o, c, o->owned.v[o->owned.n - 1],
					       err, sizeof(err)) < 0) {
					fprintf(stderr, "%s:%d: %s\n", path,
						line, err);
					bad++;
				}
			}
			continue;
		}
		if (type == CONFIG_TYPE_STRING)
			msgs_addf(&o->owned, "%s",
				  config_setting_get_string(s));
		else if (type == CONFIG_TYPE_INT || type == CONFIG_TYPE_INT64)
			msgs_addf(&o->owned, "%lld",
				  config_setting_get_int64(s));
		else if (type == CONFIG_TYPE_FLOAT)
			msgs_addf(&o->owned, "%.17g",
				  config_setting_get_float(s));
		else {
			fprintf(stderr,
				"%s:%d: %s must be a string or a "
				"number\n",
				path, line, name);
			bad++;
			continue;
		}
		if (set_option(o, c, o->owned.v[o->owned.n - 1], err,
			       sizeof(err)) < 0) {
			fprintf(stderr, "%s:%d: %s\n", path, line, err);
			bad++;
		}
	}
	config_destroy(&cfg);
	return bad ? -1 : 0;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	bool from_cli[OPT_MAX_CODE] = { false };
	char err[256];
	int c;

	*o = (struct opts){
		.format = "text",
		.proc = "/proc",
		.root = "/",
		.persist_file = "90-twtune.conf",
		.audit_log = AUDIT_LOG,
		.state = STATE_FILE,
		.interval = 10,
		.scan_interval = 60,
		.lock_wait = 30,
	};
	while ((c = getopt_long(argc, argv, "p:c:f:qvh", long_opts, NULL)) !=
	       -1) {
		if (c == 'h') {
			usage(stdout);
			return 1;
		}
		if (c == OPT_VERSION) {
			printf("twtune %s\n", PACKAGE_VERSION);
			return 1;
		}
		if (c == '?' || c == ':')
			return -1;
		if (set_option(o, c, optarg, err, sizeof(err)) < 0) {
			fprintf(stderr, "twtune: --%s\n", err);
			return -1;
		}
		if (c < OPT_MAX_CODE)
			from_cli[c] = true;
	}
	if (load_config(o, from_cli) < 0)
		return -2;
	if (!o->sysctl_d) {
		/* after option parsing, so that --root applies */
		o->sysctl_d_buf = xasprintf(
			"%s%setc/sysctl.d", o->root,
			o->root[strlen(o->root) - 1] == '/' ? "" : "/");
		o->sysctl_d = o->sysctl_d_buf;
	}
	return 0;
}

static int load_policies(const struct opts *o, struct policy *p)
{
	static const char *const defaults[] = { POLICY_DIR,
						SYSCONF_POLICY_DIR };
	struct msgs errors = { 0 };
	int ret;

	if (o->n_policies)
		ret = policy_load(o->policies, o->n_policies, false, p,
				  &errors);
	else
		ret = policy_load(defaults, ARRAY_SIZE(defaults), true, p,
				  &errors);
	for (size_t i = 0; i < errors.n; i++)
		fprintf(stderr, "%s\n", errors.v[i]);
	msgs_free(&errors);
	if (ret < 0) {
		policy_free(p);
		return EXIT_POLICY;
	}
	if (!p->n_rules)
		fprintf(stderr, "twtune: warning: no policy rules loaded\n");
	return EXIT_OK;
}

/* Enter --netns before /proc is opened: /proc/net follows our netns. */
static int enter_netns(const struct opts *o)
{
	char *path;
	int fd;

	if (!o->netns)
		return EXIT_OK;
	path = strchr(o->netns, '/') ? xstrdup(o->netns)
				     : xasprintf("/run/netns/%s", o->netns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
		int e = errno;

		fprintf(stderr, "twtune: --netns %s: %s\n", path, strerror(e));
		free(path);
		if (fd >= 0)
			close(fd);
		return e == EPERM ? EXIT_NOPERM : EXIT_FAIL;
	}
	close(fd);
	free(path);
	return EXIT_OK;
}

static int open_proc(const struct opts *o, bool *real)
{
	struct statfs sf;
	int fd = open(o->proc, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "twtune: --proc %s: %s\n", o->proc,
			strerror(errno));
		return -1;
	}
	*real = fstatfs(fd, &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC;
	return fd;
}

/* The network namespace to act in (entered first), then its /proc. */
static int open_target(const struct opts *o, int *procfd, bool *real_proc)
{
	int rc = enter_netns(o);

	if (rc)
		return rc;
	*procfd = open_proc(o, real_proc);
	return *procfd < 0 ? EXIT_FAIL : EXIT_OK;
}

/* Observe, with a baseline from --sample or the state file. */
static int observe(const struct opts *o, int procfd, const struct policy *p,
		   struct observation *obs, struct state *st,
		   struct baseline *first_sample, const struct state *extra)
{
	struct msgs keys = { 0 };
	struct baseline b = { 0 };
	char err[512], state_err[512];
	int ret = 0, state_ret;

	policy_sysctl_keys(p, &keys);
	/* first: it may hold tw_sock_size, which spares reading slabinfo */
	state_ret = state_load(o->state, st, state_err, sizeof(state_err));
	if (o->sample > 0) {
		struct observation first;
		struct baseline *out_first = first_sample;

		ret = observe_collect_cached(procfd,
					     (const char *const *)keys.v,
					     keys.n, &st->slab, &first, err,
					     sizeof(err));
		if (ret == 0) {
			observe_to_baseline(&first, &b, "sample");
			*out_first = b;
			observe_free(&first);
			struct timespec ts = {
				.tv_sec = (time_t)o->sample,
				.tv_nsec =
					(long)((o->sample - floor(o->sample)) *
					       1e9),
			};
			while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
				;
		}
	}
	if (o->sample <= 0 || ret == 0)
		ret = observe_collect_cached(procfd,
					     (const char *const *)keys.v,
					     keys.n, &st->slab, obs, err,
					     sizeof(err));
	msgs_free(&keys);
	if (ret < 0) {
		fprintf(stderr, "twtune: observe %s: %s\n", o->proc, err);
		return EXIT_FAIL;
	}
	if (state_ret < 0 && state_ret != -ENOENT)
		msgs_addf(&obs->warnings, "%s (ignored)", state_err);
	/* samples kept in memory (watch --dry-run writes no state file) */
	for (size_t i = 0; extra && i < extra->n_samples; i++)
		state_add_sample(st, &extra->samples[i]);
	if (o->sample <= 0 && !state_pick_baseline(st, obs, &b))
		b.valid = false;
	observe_derive(obs, &b);
	return EXIT_OK;
}

/*
 * Add this observation to the state.  When this run changed
 * tcp_max_tw_buckets the sample is filed under the new limit, so that the
 * next run counts only the overflows that happen under it.
 */
static void save_state(const struct opts *o, struct state *st,
		       const struct observation *obs,
		       const struct baseline *first, const struct txn *t,
		       struct msgs *warnings)
{
	struct baseline b;
	char err[512];
	bool changed = false, news;

	if (o->dry_run)
		return;
	for (size_t i = 0; t && i < t->n_changes; i++)
		changed |= t->changes[i].verified;
	news = changed || (first && first->valid) || o->n_reclaim ||
	       obs->tw_sock_size_read;
	/*
	 * A sample a few seconds after the last one adds nothing to a 60 s
	 * horizon: skip the write, which is most of an O(1) report's I/O.
	 */
	observe_to_baseline(obs, &b, "state");
	if (!news && state_has_recent(st, &b, STATE_MIN_GAP))
		return;
	/* a reclaimed key that needed no change is twtune's again as it is */
	for (size_t i = 0; !o->dry_run && i < o->n_reclaim; i++) {
		const struct sysctl_obs *s = observe_sysctl(obs, o->reclaim[i]);

		if (s && !isnan(s->value))
			state_set_written(st, o->reclaim[i],
					  (long long)s->value);
	}
	/* --sample's first observation is a baseline for later runs too */
	if (first && first->valid)
		state_add_sample(st, first);
	observe_to_baseline(obs, &b, "state");
	for (size_t i = 0; t && i < t->n_changes; i++) {
		if (t->changes[i].verified)
			state_set_written(st, t->changes[i].key,
					  t->changes[i].after);
		if (t->changes[i].verified &&
		    strcmp(t->changes[i].key, "net.ipv4.tcp_max_tw_buckets") ==
			    0)
			b.tw_max = (double)t->changes[i].after;
	}
	state_add_sample(st, &b);
	if (changed && strcmp(t->result, "ok") == 0)
		st->last_apply = obs->time;
	if (obs->tw_sock_size_read) {
		memcpy(st->slab.boot_id, obs->boot_id,
		       sizeof(st->slab.boot_id));
		st->slab.size = obs->m[M_TW_SOCK_SIZE];
	}
	if (state_save(o->state, st, err, sizeof(err)) < 0)
		msgs_addf(warnings, "%s (deltas need it; not fatal)", err);
}

/* The persist file as this run leaves it (or, in check mode, would). */
static char *persist_after(const struct opts *o, const struct report *r)
{
	struct persist p = { 0 };
	char *path, *text = NULL, perr[160];

	if (r->txn) {
		path = xasprintf("%s/%s", o->sysctl_d, o->persist_file);
		if (util_read_at(AT_FDCWD, path, 1u << 20, &text, NULL) < 0)
			text = xstrdup("");
		free(path);
		return text;
	}
	if (o->persist_before &&
	    persist_parse(o->persist_before, &p, perr, sizeof(perr)) < 0)
		return xstrdup(o->persist_before);
	for (size_t i = 0; i < r->plan->n_changes; i++)
		if (r->plan->changes[i].persist && !o->no_persist)
			persist_set(&p, r->plan->changes[i].key,
				    r->plan->changes[i].to);
	text = p.n ? persist_render(&p, "(check mode)")
		   : xstrdup(o->persist_before ? o->persist_before : "");
	persist_free(&p);
	return text;
}

/*
 * Ansible's module protocol: changed, failed, msg, diff (before/after
 * with headers: the managed sysctls and the persist file), plan,
 * warnings.
 */
static json_t *ansible_result(const struct opts *o, const struct report *r)
{
	const struct plan *pl = r->plan;
	json_t *out = json_object(), *plan = json_array(), *warn = json_array();
	struct strbuf before = { 0 }, after = { 0 }, msg = { 0 };
	bool changed = false, failed = false;
	char *line = report_verdict_line(r->obs), *pafter;
	char *path = xasprintf("%s/%s", o->sysctl_d, o->persist_file);

	strbuf_addf(&msg, "%s", line);
	free(line);
	if (r->txn) {
		for (size_t i = 0; i < r->txn->n_changes; i++)
			changed |= r->txn->changes[i].verified;
		failed = strcmp(r->txn->result, "ok") != 0;
		strbuf_addf(&msg, "; run %s: %s", r->txn->run, r->txn->result);
		if (r->txn->error[0])
			strbuf_addf(&msg, ": %s", r->txn->error);
	} else {
		changed = pl->n_changes > 0;
		if (!changed)
			strbuf_addf(&msg, "; nothing to change");
	}
	strbuf_add(&before, "", 0);
	strbuf_add(&after, "", 0);
	for (size_t i = 0; i < pl->n_changes; i++) {
		const struct plan_change *c = &pl->changes[i];
		char from[32];

		util_fmt_num(c->from, from, sizeof(from));
		strbuf_addf(&before, "%s = %s\n", c->key, from);
		strbuf_addf(&after, "%s = %lld\n", c->key, c->to);
		json_array_append_new(
			plan,
			json_pack("{s:s, s:s, s:I, s:s, s:s}", "key", c->key,
				  "from", from, "to", (json_int_t)c->to, "rule",
				  c->rule->id, "reason", c->reason));
	}
	for (size_t i = 0; r->warnings && i < r->warnings->n; i++)
		json_array_append_new(warn, json_string(r->warnings->v[i]));
	for (size_t i = 0; i < r->obs->warnings.n; i++)
		json_array_append_new(warn, json_string(r->obs->warnings.v[i]));
	for (size_t i = 0; i < pl->n_notes; i++)
		json_array_append_new(warn, json_sprintf("%s: %s",
							 pl->notes[i].rule->id,
							 pl->notes[i].text));
	json_object_set_new(out, "changed", json_boolean(changed));
	json_object_set_new(out, "failed", json_boolean(failed));
	json_object_set_new(out, "msg", json_string(msg.s));
	json_object_set_new(out, "plan", plan);
	json_object_set_new(out, "warnings", warn);
	if (r->txn)
		json_object_set_new(out, "run", json_string(r->txn->run));
	if (o->ansible_diff) {
		pafter = persist_after(o, r);
		json_object_set_new(
			out, "diff",
			json_pack(
				"[{s:s, s:s, s:s, s:s}, {s:s, s:s, s:s, s:s}]",
				"before_header", "sysctls", "after_header",
				"sysctls", "before", before.s, "after", after.s,
				"before_header", path, "after_header", path,
				"before",
				o->persist_before ? o->persist_before : "",
				"after", pafter));
		free(pafter);
	}
	strbuf_free(&before);
	strbuf_free(&after);
	strbuf_free(&msg);
	free(path);
	return out;
}

static int emit(const struct opts *o, const struct report *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int ret = 0;

	if (!f)
		return -errno;
	if (o->emitted)
		*o->emitted = true;
	if (o->ansible) {
		json_t *j = ansible_result(o, r);

		json_dumpf(j, f, JSON_COMPACT);
		fputc('\n', f);
		json_decref(j);
	} else if (strcmp(o->format, "json") == 0 ||
		   strcmp(o->format, "salt") == 0) {
		json_t *j = o->format[0] == 'j' ? report_json(r)
						: report_salt_json(r);

		json_dumpf(j, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', f);
		json_decref(j);
	} else if (strcmp(o->format, "prometheus") == 0) {
		report_prometheus(f, r);
	} else if (o->quiet) {
		char *line = report_verdict_line(r->obs);

		fprintf(f, "%s\n", line);
		free(line);
		/* what apply did is not noise */
		for (size_t i = 0; r->txn && i < r->txn->n_changes; i++) {
			const struct change *c = &r->txn->changes[i];

			fprintf(f, "%s %s: %lld -> %lld (run %s: %s)\n",
				c->verified ? "changed" : "NOT changed", c->key,
				c->before, c->after, r->txn->run,
				r->txn->result);
		}
	} else {
		report_text(f, r, o->verbose > 0);
	}
	if (fclose(f) != 0) {
		free(buf);
		return -EIO;
	}
	if (o->output) {
		char *dir = util_dirname(o->output);
		const char *slash = strrchr(o->output, '/');
		int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		ret = dfd < 0 ? -errno
			      : util_write_atomic(dfd,
						  slash ? slash + 1 : o->output,
						  buf, len, 0644);
		if (dfd >= 0)
			close(dfd);
		if (ret < 0)
			fprintf(stderr, "twtune: --output %s: %s\n", o->output,
				strerror(-ret));
		free(dir);
	} else {
		ret = util_write_all(STDOUT_FILENO, buf, len);
	}
	free(buf);
	return ret;
}

/*
 * The socket dump, when it is wanted: the report shows socket-level
 * numbers, so it runs unless --no-sockets, and never against a fixture
 * tree (its numbers would be the live kernel's, not the fixture's).
 */
static void collect_sockets(const struct opts *o, bool real_proc,
			    struct observation *obs, struct sock_stats *st)
{
	double lo = obs->m[M_EPHEMERAL_LOW], hi = obs->m[M_EPHEMERAL_HIGH];

	memset(st, 0, sizeof(*st));
	if (o->no_sockets) {
		snprintf(st->error, sizeof(st->error), "--no-sockets");
	} else if (strcmp(o->format, "prometheus") == 0 && !o->sockets) {
		/* node_exporter scrapes often: the dump only when asked */
		snprintf(st->error, sizeof(st->error),
			 "not requested (--format prometheus without "
			 "--sockets)");
	} else if (!real_proc) {
		snprintf(st->error, sizeof(st->error),
			 "--proc is not the live /proc");
	} else if (sockdiag_init(st, isnan(lo) ? 0 : (unsigned)lo,
				 isnan(hi) ? 0 : (unsigned)hi) < 0) {
		snprintf(st->error, sizeof(st->error), "out of memory");
	} else if (sockdiag_collect(st) < 0) {
		msgs_addf(&obs->warnings, "socket-level metrics unknown: %s",
			  st->error);
	}
	sockdiag_fill(st, obs);
}

/*
 * The keys twtune manages (planned now, or in its persist file) and the
 * value it wants for each; then which later sysctl.d files would undo
 * them at boot.
 */
static void check_shadowing(const struct opts *o, const struct plan *pl,
			    struct shadows *out, struct msgs *warnings)
{
	struct msgs keys = { 0 }, wants = { 0 };
	struct persist p = { 0 };
	char *path = xasprintf("%s/%s", o->sysctl_d, o->persist_file);
	char *text = NULL, perr[160];

	for (size_t i = 0; i < pl->n_changes; i++) {
		if (!pl->changes[i].persist || o->no_persist)
			continue;
		msgs_addf(&keys, "%s", pl->changes[i].key);
		msgs_addf(&wants, "%lld", pl->changes[i].to);
	}
	if (util_read_at(AT_FDCWD, path, 1u << 20, &text, NULL) == 0 &&
	    persist_parse(text, &p, perr, sizeof(perr)) == 0) {
		for (size_t i = 0; i < p.n; i++) {
			bool have = false;

			for (size_t k = 0; k < keys.n; k++)
				have |= strcmp(keys.v[k], p.v[i].key) == 0;
			if (have)
				continue;
			msgs_addf(&keys, "%s", p.v[i].key);
			msgs_addf(&wants, "%lld", p.v[i].value);
		}
	}
	/* nothing managed, nothing to shadow: spare the directory walk */
	if (keys.n)
		shadow_scan(o->root, o->persist_file,
			    (const char *const *)keys.v,
			    (const char *const *)wants.v, keys.n, out,
			    warnings);
	for (size_t i = 0; i < out->n; i++)
		for (size_t k = 0; k < out->v[i].n_hits; k++)
			msgs_addf(warnings,
				  "%s: shadowed by %s:%d, which sets %s and is "
				  "applied after %s at boot: it would undo "
				  "twtune's %s",
				  out->v[i].key, out->v[i].hits[k].file,
				  out->v[i].hits[k].line,
				  out->v[i].hits[k].value, o->persist_file,
				  out->v[i].want);
	persist_free(&p);
	free(text);
	free(path);
	msgs_free(&keys);
	msgs_free(&wants);
}

/*
 * One writer at a time: an exclusive flock on STATE.lock, waited for up
 * to wait seconds (polling, so that a hung holder cannot hold us forever
 * and signals stay simple).  The kernel drops the lock when its holder
 * dies, however it dies.
 */
static int take_lock(const struct opts *o, double wait, bool quiet)
{
	char *dir = util_dirname(o->state);
	char *path = xasprintf("%s.lock", o->state);
	struct timespec start, now;
	bool said = false;
	int fd;

	util_mkdir_p(dir, 0750);
	clock_gettime(CLOCK_MONOTONIC, &start);
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "twtune: lock %s: %s\n", path, strerror(errno));
		goto out;
	}
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		struct timespec nap = { .tv_nsec = 10 * 1000 * 1000 };
		int e = errno;
		double waited;

		if (e == EINTR)
			continue;
		clock_gettime(CLOCK_MONOTONIC, &now);
		waited = util_timespec_seconds(&now) -
			 util_timespec_seconds(&start);
		if (e != EWOULDBLOCK || waited >= wait) {
			if (!quiet || e != EWOULDBLOCK)
				fprintf(stderr, "twtune: lock %s: %s\n", path,
					e == EWOULDBLOCK
						? "another twtune is changing "
						  "this host; try again later"
						: strerror(e));
			close(fd);
			fd = -1;
			break;
		}
		if (!said && !quiet && waited >= 1) {
			fprintf(stderr,
				"twtune: waiting for another twtune run to "
				"finish (lock %s)\n",
				path);
			said = true;
		}
		nanosleep(&nap, NULL);
	}
out:
	free(dir);
	free(path);
	return fd;
}

static int open_dir_of(const char *path, bool loud)
{
	char *dir = util_dirname(path);
	int fd;

	util_mkdir_p(dir, 0750);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 && loud)
		fprintf(stderr, "twtune: %s: %s\n", dir, strerror(errno));
	free(dir);
	return fd;
}

#ifdef TWTUNE_TEST_HOOKS
/*
 * Test builds only (tests/twtune-hooks, never the installed binary): for
 * each item of $TWTUNE_TEST_PROBE (':'-separated) try to open a path for
 * writing, creating it if missing; with "tcpPORT" to connect to that port
 * on 127.0.0.1; with "sigPID" to send signal 0 (existence and permission
 * only) to that process; with "abstractNAME" to connect to the abstract
 * unix stream socket NAME; and say what happened.  Nothing is written,
 * sent or delivered.
 */
/* Connect a stream socket to addr, say how it went, and close it. */
static void probe_connect(const char *item, int family, const void *addr,
			  socklen_t len)
{
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int r = fd < 0 ? -1 : connect(fd, addr, len);

	fprintf(stderr, "probe %s: %s\n", item,
		r < 0 ? strerror(errno) : "connected");
	if (fd >= 0)
		close(fd);
}

static void test_probe(void)
{
	const char *list = getenv("TWTUNE_TEST_PROBE");
	char *copy, *save = NULL;

	if (!list)
		return;
	copy = xstrdup(list);
	for (char *p = strtok_r(copy, ":", &save); p;
	     p = strtok_r(NULL, ":", &save)) {
		int fd;

		/* "tcpPORT": connect to 127.0.0.1:PORT */
		if (strncmp(p, "tcp", 3) == 0) {
			struct sockaddr_in sin = {
				.sin_family = AF_INET,
				.sin_port = htons((uint16_t)atoi(p + 3)),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
			};

			probe_connect(p, AF_INET, &sin, sizeof(sin));
			continue;
		}
		/* "abstractNAME": connect to the abstract socket @NAME */
		if (strncmp(p, "abstract", 8) == 0) {
			struct sockaddr_un sun = { .sun_family = AF_UNIX };
			size_t n = strnlen(p + 8, sizeof(sun.sun_path) - 1);

			memcpy(sun.sun_path + 1, p + 8, n);
			probe_connect(p, AF_UNIX, &sun,
				      (socklen_t)(offsetof(struct sockaddr_un,
							   sun_path) +
						  1 + n));
			continue;
		}
		/* "sigPID": may this process signal PID? (signal 0) */
		if (strncmp(p, "sig", 3) == 0) {
			int r = kill((pid_t)atoi(p + 3), 0);

			fprintf(stderr, "probe %s: %s\n", p,
				r < 0 ? strerror(errno) : "may signal");
			continue;
		}
		fd = open(p, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);

		fprintf(stderr, "probe %s: %s\n", p,
			fd < 0 ? strerror(errno) : "opened for writing");
		if (fd >= 0)
			close(fd);
	}
	free(copy);
}
#else
static void test_probe(void)
{
}
#endif

/*
 * report writes only its state file (and --output): confine it to those
 * directories too, so that a bug in a parser cannot be turned into a
 * write anywhere else.  Costs four system calls.
 */
static void reader_sandbox(const struct opts *o, char *desc, size_t len)
{
	int fds[2] = { open_dir_of(o->state, false),
		       o->output ? open_dir_of(o->output, false) : -1 };

	privs_sandbox(fds, ARRAY_SIZE(fds), desc, len);
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	test_probe();
}

/*
 * Everything between "there is something to write" and the first write:
 * descriptors, privileges, sandbox, and the audit fields that describe
 * the process doing it.
 */
struct writer {
	struct audit audit;
	int fds[5]; /* netfd, sysctl.d, audit dir, state dir, --output dir */
	char sandbox[160];
};

static void writer_close(struct writer *w)
{
	audit_close(&w->audit);
	for (size_t i = 0; i < ARRAY_SIZE(w->fds); i++)
		if (w->fds[i] >= 0)
			close(w->fds[i]);
}

/*
 * Open everything a writer needs, then give up every privilege but
 * CAP_NET_ADMIN and confine writes to what was opened.
 */
static int writer_open(const struct opts *o, int procfd, bool persist,
		       struct writer *w)
{
	char err[512];
	int ret;

	for (size_t i = 0; i < ARRAY_SIZE(w->fds); i++)
		w->fds[i] = -1;
	if (audit_open(o->audit_log, &w->audit, err, sizeof(err)) < 0) {
		fprintf(stderr,
			"twtune: %s; refusing to change anything "
			"unaudited\n",
			err);
		return EXIT_FAIL;
	}
	if (w->audit.cut) {
		fprintf(stderr,
			"twtune: audit log %s: cut off %zu bytes of a record "
			"torn by a killed run\n",
			o->audit_log, w->audit.cut);
		syslog(LOG_WARNING,
		       "audit log %s: cut off %zu bytes of a torn record",
		       o->audit_log, w->audit.cut);
	}
	ret = sysctl_open_net(procfd);
	if (ret < 0) {
		fprintf(stderr, "twtune: %s/sys/net: %s\n", o->proc,
			strerror(-ret));
		goto fail;
	}
	w->fds[0] = ret;
	if (persist) {
		w->fds[1] =
			open(o->sysctl_d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (w->fds[1] < 0) {
			fprintf(stderr, "twtune: --sysctl-d %s: %s\n",
				o->sysctl_d, strerror(errno));
			goto fail;
		}
	}
	w->fds[2] = open_dir_of(o->audit_log, true);
	w->fds[3] = open_dir_of(o->state, true);
	if (w->fds[2] < 0 || w->fds[3] < 0)
		goto fail;
	if (o->output) {
		w->fds[4] = open_dir_of(o->output, true);
		if (w->fds[4] < 0)
			goto fail;
	}

	openlog("twtune", LOG_PID, LOG_DAEMON);
	if (privs_keep_net_admin(err, sizeof(err)) < 0) {
		fprintf(stderr, "twtune: %s\n", err);
		goto fail;
	}
	privs_sandbox(w->fds, ARRAY_SIZE(w->fds), w->sandbox,
		      sizeof(w->sandbox));
	test_probe();
	return EXIT_OK;
fail:
	writer_close(w);
	return EXIT_FAIL;
}

/* Bind a transaction to an open writer: descriptors and audit fields. */
static void writer_begin(const struct opts *o, struct writer *w, struct txn *t,
			 const struct observation *obs, const struct policy *p,
			 const struct plan *pl)
{
	char host[256] = "", *caps;
	json_t *files = json_array();

	t->netfd = w->fds[0];
	t->sysctl_dfd = w->fds[1];
	t->persist_name = o->persist_file;
	t->audit = &w->audit;
	gethostname(host, sizeof(host) - 1);
	for (size_t i = 0; p && i < p->n_files; i++)
		json_array_append_new(
			files, json_pack("{s:s, s:s}", "file", p->files[i].path,
					 "sha256", p->files[i].sha256));
	caps = privs_effective_text();
	t->base = json_pack(
		"{s:s, s:I, s:o, s:I, s:s, s:{s:s, s:s}, s:o, s:o, s:s}",
		"host", host, "netns", (json_int_t)obs->netns, "netns_name",
		o->netns ? json_string(o->netns) : json_null(), "uid",
		(json_int_t)getuid(), "caps", caps, "tool", "name",
		PACKAGE_NAME, "version", PACKAGE_VERSION, "policy", files,
		"observed", report_observations_json(obs), "sandbox",
		w->sandbox);
	if (w->audit.cut)
		json_object_set_new(t->base, "audit_cut_bytes",
				    json_integer((json_int_t)w->audit.cut));
	free(caps);
	if (pl) {
		json_t *skipped = json_array();

		for (size_t i = 0; i < pl->n_notes; i++)
			if (pl->notes[i].backoff)
				json_array_append_new(
					skipped,
					json_pack("{s:s, s:s, s:s}", "key",
						  pl->notes[i].rule->key,
						  "rule", pl->notes[i].rule->id,
						  "reason", pl->notes[i].text));
		json_object_set_new(t->base, "skipped", skipped);
	}
}

/*
 * The state file is saved after the audit result, so a run killed in
 * between (or before its result) leaves keys at twtune's value that the
 * state does not know as twtune's, and the next run would back off from
 * them as if an administrator had set them.  The last audit record says
 * what the run wrote: its keys that read at the new value are ours.
 */
static void adopt_last_run(json_t *rec, const struct observation *obs,
			   struct state *st)
{
	json_t *c;
	size_t i;

	json_array_foreach(json_object_get(rec, "changes"), i, c)
	{
		const char *key = json_string_value(json_object_get(c, "key"));
		json_t *after = json_object_get(c, "after");
		const struct sysctl_obs *s = key ? observe_sysctl(obs, key)
						 : NULL;

		/* our own write, not an administrator's: no back-off */
		if (s && json_is_integer(after) &&
		    s->value == (double)json_integer_value(after))
			state_set_written(st, key, json_integer_value(after));
	}
}

static bool txn_has(const struct txn *t, const char *key)
{
	for (size_t i = 0; i < t->n_changes; i++)
		if (strcmp(t->changes[i].key, key) == 0)
			return true;
	return false;
}

/*
 * A run killed between its intent and its result (SIGKILL, power loss)
 * leaves the audit log ending in that intent and its keys at either
 * value.  Close it with a result record of what is found now (result
 * "interrupted"; its keys at the new value count as written), and, when t
 * is given, let t write the persist entries the run did not get to.
 */
static void finish_interrupted(const struct opts *o, struct writer *w,
			       json_t *intent, struct txn *t,
			       struct msgs *warnings)
{
	const char *run = json_string_value(json_object_get(intent, "run"));
	json_t *rec = json_deep_copy(intent), *changes = json_array(), *c;
	struct persist file = { 0 };
	size_t i, n = 0, found = 0;
	char *text = NULL, perr[160], when[32];
	bool have_file = false;
	struct timespec ts;
	int ret;

	if (w->fds[1] >= 0 &&
	    persist_read(w->fds[1], o->persist_file, &text) == 0)
		have_file = !text ||
			    persist_parse(text, &file, perr, sizeof(perr)) == 0;
	free(text);
	json_array_foreach(json_object_get(intent, "changes"), i, c)
	{
		const char *key = json_string_value(json_object_get(c, "key"));
		json_t *after = json_object_get(c, "after");
		json_t *nc = json_deep_copy(c);
		const struct persist_entry *e;
		bool at_after = false, in_file = false;
		long long live, v = json_integer_value(after);
		char raw[64];

		json_array_append_new(changes, nc);
		if (!key || !json_is_integer(after))
			continue;
		n++;
		if (sysctl_read(w->fds[0], key, raw, sizeof(raw)) == 0 &&
		    sysctl_parse_int(raw, &live) == 0)
			at_after = live == v;
		e = have_file ? persist_get(&file, key) : NULL;
		in_file = e && e->value == v;
		found += at_after;
		json_object_set_new(nc, "written", json_boolean(at_after));
		json_object_set_new(nc, "verified", json_boolean(at_after));
		/* what the file held before the run is not known: a rollback
		 * undoes only the live value */
		json_object_set_new(nc, "persisted", json_false());
		json_object_set_new(nc, "in_persist_file",
				    json_boolean(in_file));
		if (t && at_after && have_file && !in_file &&
		    json_is_true(json_object_get(c, "persist")) &&
		    !txn_has(t, key)) {
			char *why =
				xasprintf("finishes interrupted run %s", run);
			struct change *ch = apply_add(
				t, key, v, v,
				json_string_value(json_object_get(c, "rule"))
					?: "interrupted",
				why);

			free(why);
			ch->persist_only = true;
			ch->pop = PERSIST_SET;
			ch->pvalue = v;
		}
	}
	persist_free(&file);
	clock_gettime(CLOCK_REALTIME, &ts);
	util_rfc3339(&ts, when);
	json_object_set_new(rec, "time", json_string(when));
	json_object_set_new(rec, "phase", json_string("result"));
	json_object_set_new(rec, "changes", changes);
	json_object_set_new(rec, "result", json_string("interrupted"));
	json_object_set_new(
		rec, "error",
		json_sprintf("no result was recorded (the process was killed); "
			     "found %zu of %zu keys at the new value",
			     found, n));
	if (w->audit.cut)
		json_object_set_new(rec, "audit_cut_bytes",
				    json_integer((json_int_t)w->audit.cut));
	json_object_del(rec, "prev");
	ret = audit_append(&w->audit, rec);
	json_decref(rec);
	msgs_addf(warnings,
		  "run %s was interrupted between its intent and its result: "
		  "%zu of its %zu keys are at the new value%s",
		  run, found, n,
		  ret < 0 ? "; could not record that in the audit log"
			  : "; closed in the audit log");
}

static int check_permission(bool real_proc, const char *cmd)
{
	if (real_proc && !privs_have_net_admin()) {
		fprintf(stderr,
			"twtune %s: needs CAP_NET_ADMIN to change "
			"sysctls (run as root)\n",
			cmd);
		return EXIT_NOPERM;
	}
	return EXIT_OK;
}

static int cmd_report_or_apply(const struct opts *o, bool apply)
{
	struct policy pol = { 0 };
	struct observation obs = { 0 };
	struct state st = { 0 };
	struct plan plan = { 0 };
	struct msgs warnings = { 0 };
	struct writer w = { .fds = { -1, -1, -1, -1, -1 },
			    .audit = { .fd = -1 } };
	struct txn t = { 0 };
	struct report r;
	struct sock_stats socks = { 0 };
	struct shadows shadows = { 0 };
	struct baseline first = { 0 };
	bool real_proc, txn_used = false;
	int ret, procfd = -1, lockfd = -1, rc;
	char err[512], sandbox[160] = "";
	json_t *last = NULL;
	bool torn = false, recover = false;

	rc = load_policies(o, &pol);
	if (rc)
		return rc;
	rc = open_target(o, &procfd, &real_proc);
	if (rc)
		goto out;
	if (apply && !o->dry_run) {
		rc = check_permission(real_proc, "apply");
		if (rc)
			goto out;
		lockfd = take_lock(o, o->lock_wait, false);
		if (lockfd < 0) {
			rc = EXIT_FAIL;
			goto out;
		}
		/* under the lock: how did the last run end? */
		last = audit_last_record(o->audit_log, &torn);
		/* a run to close, or a torn record to cut: needs a writer */
		recover = audit_is_intent(last) || torn;
	} else if (privs_drop_all(err, sizeof(err)) < 0) {
		fprintf(stderr, "twtune: %s\n", err);
		rc = EXIT_FAIL;
		goto out;
	} else {
		reader_sandbox(o, sandbox, sizeof(sandbox));
	}
	rc = observe(o, procfd, &pol, &obs, &st, &first, NULL);
	if (rc)
		goto out;
	if (last)
		adopt_last_run(last, &obs, &st);
	if (apply && o->dry_run) {
		json_t *i = audit_interrupted(o->audit_log);

		if (i)
			msgs_addf(&warnings,
				  "run %s was interrupted between its intent "
				  "and its result; apply closes it",
				  json_string_value(json_object_get(i, "run")));
		json_decref(i);
	}
	if (!strncmp(sandbox, "none", 4))
		msgs_addf(&warnings, "no sandbox: %s", sandbox);
	collect_sockets(o, real_proc, &obs, &socks);
	{
		struct plan_opts po = {
			.written = st.written,
			.n_written = st.n_written,
			.reclaim = o->reclaim,
			.n_reclaim = o->n_reclaim,
		};

		plan_build_opts(&pol, &obs, &po, &plan);
	}
	check_shadowing(o, &plan, &shadows, &warnings);

	r = (struct report){
		.command = apply ? "apply" : "report",
		.obs = &obs,
		.plan = &plan,
		.policy = &pol,
		.warnings = &warnings,
		.netns = o->netns,
		.dry_run = o->dry_run,
		.socks = &socks,
		.shadows = &shadows,
	};
	if (apply && !o->dry_run && (plan.n_changes || recover)) {
		bool persist = recover;

		if (apply_init(&t, "apply") < 0) {
			fprintf(stderr, "twtune: no random run id: %s\n",
				strerror(errno));
			rc = EXIT_FAIL;
			goto out;
		}
		txn_used = true;
		for (size_t i = 0; i < plan.n_changes; i++) {
			const struct plan_change *c = &plan.changes[i];
			struct change *ch = apply_add(&t, c->key,
						      (long long)c->from, c->to,
						      c->rule->id, c->reason);

			if (c->persist && !o->no_persist) {
				ch->pop = PERSIST_SET;
				ch->pvalue = c->to;
				persist = true;
			}
		}
		rc = writer_open(o, procfd, persist && !o->no_persist, &w);
		if (rc == 0)
			writer_begin(o, &w, &t, &obs, &pol, &plan);
		if (rc) {
			save_state(o, &st, &obs, &first, NULL, &warnings);
			goto out;
		}
		/* the writer's view: a torn last line is cut off by now */
		if (audit_is_intent(w.audit.last))
			finish_interrupted(o, &w, w.audit.last, &t, &warnings);
		if (t.n_changes) {
			ret = apply_execute(&t);
			r.txn = &t;
			rc = ret == 0 ? EXIT_OK : EXIT_FAIL;
			if (ret < 0)
				fprintf(stderr,
					"twtune apply: %s (result: %s)\n",
					t.error, t.result);
		}
	} else {
		rc = plan.n_changes && (!apply || o->dry_run) ? EXIT_CHANGES
							      : EXIT_OK;
		/* Salt takes any non-zero exit for a failure; "changed" says it
		 */
		if (rc == EXIT_CHANGES && strcmp(o->format, "salt") == 0)
			rc = EXIT_OK;
	}
	r.last_apply = st.last_apply;
	r.sandbox = w.sandbox[0] ? w.sandbox : sandbox;
	save_state(o, &st, &obs, &first, r.txn, &warnings);
	if (emit(o, &r) < 0 && rc == EXIT_OK)
		rc = EXIT_FAIL;
out:
	if (txn_used)
		apply_free(&t);
	json_decref(last);
	writer_close(&w);
	if (lockfd >= 0)
		close(lockfd);
	if (procfd >= 0)
		close(procfd);
	plan_free(&plan);
	shadow_free(&shadows);
	sockdiag_free(&socks);
	observe_free(&obs);
	state_free(&st);
	policy_free(&pol);
	msgs_free(&warnings);
	return rc;
}

/* Turn a recorded run into the changes that undo it. */
static int rollback_changes(json_t *rec, const struct observation *obs,
			    const struct persist *file, struct txn *t,
			    struct msgs *warnings)
{
	const char *run = json_string_value(json_object_get(rec, "run"));
	json_t *c;
	size_t i;

	json_array_foreach(json_object_get(rec, "changes"), i, c)
	{
		const char *key = json_string_value(json_object_get(c, "key"));
		json_t *before = json_object_get(c, "before");
		json_t *after = json_object_get(c, "after");
		json_t *pb = json_object_get(c, "persist_before");
		const struct sysctl_obs *s;
		struct change *ch;
		char *reason;

		bool incomplete =
			json_is_true(json_object_get(rec, "incomplete"));
		/*
		 * An incomplete run's intent does not say what the persist
		 * file held before it, so only its live values are undone.
		 */
		bool persisted =
			json_is_true(json_object_get(c, "persisted")) &&
			!incomplete;
		bool back;

		if (!key || !json_is_integer(before) ||
		    !json_is_integer(after) ||
		    !(json_is_true(json_object_get(c, "written")) ||
		      incomplete))
			continue;
		s = observe_sysctl(obs, key);
		if (!s || isnan(s->value)) {
			msgs_addf(warnings, "%s: not readable now; not touched",
				  key);
			continue;
		}
		back = s->value == (double)json_integer_value(before);
		if (back && persisted && file) {
			const struct persist_entry *e = persist_get(file, key);

			/* the file is already as it was before the run */
			persisted =
				json_is_integer(pb)
					? !e || e->value !=
							  json_integer_value(pb)
					: e != NULL;
		}
		if (back && !persisted)
			continue; /* nothing left to undo */
		if (!back && s->value != (double)json_integer_value(after)) {
			msgs_addf(warnings,
				  "%s is now %.0f, not %lld as run %s "
				  "left it: someone changed it since; not "
				  "touched",
				  key, s->value,
				  (long long)json_integer_value(after), run);
			continue;
		}
		reason = xasprintf("rollback of run %s", run);
		ch = apply_add(t, key, (long long)s->value,
			       json_integer_value(before),
			       json_string_value(json_object_get(c, "rule"))
				       ?: "rollback",
			       reason);
		free(reason);
		/* the live value is already back: only the file is left */
		ch->persist_only = back;
		if (persisted) {
			ch->pop = json_is_integer(pb) ? PERSIST_SET
						      : PERSIST_REMOVE;
			ch->pvalue = json_integer_value(pb);
		}
	}
	return 0;
}

static int cmd_rollback(const struct opts *o)
{
	struct observation obs = { 0 };
	struct state st = { 0 };
	struct msgs warnings = { 0 }, keys = { 0 };
	struct writer w = { .fds = { -1, -1, -1, -1, -1 },
			    .audit = { .fd = -1 } };
	struct txn t;
	json_t *rec = NULL, *c;
	struct persist file = { 0 };
	bool real_proc, persist = false;
	char err[512];
	int procfd = -1, lockfd = -1, rc, ret;
	size_t i;

	if (apply_init(&t, "rollback") < 0) {
		fprintf(stderr, "twtune: no random run id\n");
		return EXIT_FAIL;
	}
	rc = open_target(o, &procfd, &real_proc);
	if (rc)
		goto out;
	if (!o->dry_run) {
		rc = check_permission(real_proc, "rollback");
		if (rc)
			goto out;
		lockfd = take_lock(o, o->lock_wait, false);
		if (lockfd < 0) {
			rc = EXIT_FAIL;
			goto out;
		}
	}
	if (audit_find_run(o->audit_log, o->run, &rec, err, sizeof(err)) < 0) {
		fprintf(stderr, "twtune rollback: %s\n", err);
		rc = EXIT_FAIL;
		goto out;
	}
	json_array_foreach(json_object_get(rec, "changes"), i,
			   c) if (json_string_value(json_object_get(c, "key")))
		msgs_addf(&keys, "%s",
			  json_string_value(json_object_get(c, "key")));
	ret = observe_collect(procfd, (const char *const *)keys.v, keys.n, &obs,
			      err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "twtune: observe %s: %s\n", o->proc, err);
		rc = EXIT_FAIL;
		goto out;
	}
	state_load(o->state, &st, err, sizeof(err));
	observe_derive(&obs, NULL);
	t.rollback_of = json_string_value(json_object_get(rec, "run"));
	if (json_is_true(json_object_get(rec, "incomplete")) ||
	    !strcmp(json_string_value(json_object_get(rec, "result")) ?: "",
		    "interrupted"))
		msgs_addf(&warnings,
			  "run %s has no result record (it was "
			  "killed halfway): undoing the live values it may "
			  "have written; check %s/%s by hand",
			  t.rollback_of, o->sysctl_d, o->persist_file);
	{
		/* what the persist file holds now, if it can be read */
		char *dir_name =
			xasprintf("%s/%s", o->sysctl_d, o->persist_file);
		char *text = NULL, perr[160];
		int rd =
			util_read_at(AT_FDCWD, dir_name, 1u << 20, &text, NULL);
		/* no file holds nothing; an unreadable one is not known */
		bool have = rd == -ENOENT ||
			    (rd == 0 && persist_parse(text, &file, perr,
						      sizeof(perr)) == 0);

		rollback_changes(rec, &obs, have ? &file : NULL, &t, &warnings);
		free(text);
		free(dir_name);
	}
	for (i = 0; i < warnings.n; i++)
		fprintf(stderr, "twtune rollback: %s\n", warnings.v[i]);
	if (!t.n_changes) {
		printf("Nothing to roll back for run %s.\n", t.rollback_of);
		rc = EXIT_OK;
		goto out;
	}
	for (i = 0; i < t.n_changes; i++)
		persist |= t.changes[i].pop != PERSIST_NONE && !o->no_persist;
	if (o->no_persist)
		for (i = 0; i < t.n_changes; i++)
			t.changes[i].pop = PERSIST_NONE;
	if (o->dry_run) {
		for (i = 0; i < t.n_changes; i++)
			printf("would restore %s: %lld -> %lld\n",
			       t.changes[i].key, t.changes[i].before,
			       t.changes[i].after);
		rc = EXIT_CHANGES;
		goto out;
	}
	rc = writer_open(o, procfd, persist, &w);
	if (rc)
		goto out;
	writer_begin(o, &w, &t, &obs, NULL, NULL);
	if (audit_is_intent(w.audit.last)) {
		struct msgs closed = { 0 };

		finish_interrupted(o, &w, w.audit.last, NULL, &closed);
		for (i = 0; i < closed.n; i++)
			fprintf(stderr, "twtune rollback: %s\n", closed.v[i]);
		msgs_free(&closed);
	}
	ret = apply_execute(&t);
	save_state(o, &st, &obs, NULL, &t, &warnings);
	if (strcmp(o->format, "json") == 0) {
		json_t *j = json_pack(
			"{s:s, s:s, s:s, s:s, s:o, s:o}", "command", "rollback",
			"run", t.run, "rollback_of", t.rollback_of, "result",
			t.result, "error",
			t.error[0] ? json_string(t.error) : json_null(),
			"changes", apply_changes_json(&t));

		json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
		json_decref(j);
	} else {
		printf("rollback of run %s (run %s): %s\n", t.rollback_of,
		       t.run, t.result);
		for (i = 0; i < t.n_changes; i++)
			printf("  %s: %lld -> %lld%s\n", t.changes[i].key,
			       t.changes[i].before, t.changes[i].after,
			       t.changes[i].persisted ? ", persisted" : "");
		if (t.error[0])
			printf("  error: %s\n", t.error);
	}
	rc = ret == 0 ? EXIT_OK : EXIT_FAIL;
out:
	writer_close(&w);
	if (lockfd >= 0)
		close(lockfd);
	if (procfd >= 0)
		close(procfd);
	t.rollback_of = NULL;
	apply_free(&t);
	json_decref(rec);
	persist_free(&file);
	observe_free(&obs);
	state_free(&st);
	msgs_free(&warnings);
	msgs_free(&keys);
	return rc;
}

/* ---- ansible -------------------------------------------------------------- */

/* A boolean argument: JSON true/false, or the strings Ansible users write. */
static int ansible_bool(json_t *v, bool *out)
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
	return -1;
}

static void ansible_fail(const char *msg, int rc)
{
	json_t *j = json_pack("{s:b, s:b, s:s, s:i}", "changed", false,
			      "failed", true, "msg", msg, "rc", rc);

	json_dumpf(j, stdout, JSON_COMPACT);
	putchar('\n');
	json_decref(j);
}

/*
 * twtune ansible ARGS_FILE: run apply (or, in check mode, a dry run) as
 * an Ansible module.  Whatever goes wrong, standard output is one JSON
 * object; error messages that would go to stderr become its msg.
 */
static int cmd_ansible(const struct opts *base, const char *args_file)
{
	static const char *const str_args[] = { "sysctl_d",  "persist_file",
						"audit_log", "state_file",
						"netns",     "proc" };
	static const int str_opts[] = { OPT_SYSCTL_D,  OPT_PERSIST_FILE,
					OPT_AUDIT_LOG, OPT_STATE,
					OPT_NETNS,     OPT_PROC };
	struct opts o = *base;
	json_t *args, *v;
	json_error_t je;
	const char *key;
	char err[300], *captured = NULL;
	bool check = false, emitted = false, b;
	int rc = EXIT_OK, saved = -1, memfd = -1;

	args = json_load_file(args_file, 0, &je);
	if (!json_is_object(args)) {
		snprintf(err, sizeof(err), "%s: %s", args_file,
			 args ? "not a JSON object" : je.text);
		ansible_fail(err, EXIT_USAGE);
		json_decref(args);
		return EXIT_OK;
	}
	o.policies = NULL;
	o.n_policies = 0;
	o.owned = (struct msgs){ 0 }; /* base keeps its own strings */
	o.format = "json";
	o.ansible = true;
	o.emitted = &emitted;
	json_object_foreach(args, key, v)
	{
		size_t i;

		if (strncmp(key, "_ansible_", 9) == 0) {
			if (strcmp(key, "_ansible_check_mode") == 0 &&
			    ansible_bool(v, &check) < 0)
				goto bad_type;
			if (strcmp(key, "_ansible_diff") == 0 &&
			    ansible_bool(v, &o.ansible_diff) < 0)
				goto bad_type;
			continue; /* the others are Ansible's business */
		}
		if (strcmp(key, "policy") == 0) {
			size_t k;
			json_t *e;

			if (json_is_string(v)) {
				msgs_addf(&o.owned, "%s", json_string_value(v));
				set_option(&o, 'p', o.owned.v[o.owned.n - 1],
					   err, sizeof(err));
				continue;
			}
			if (!json_is_array(v))
				goto bad_type;
			json_array_foreach(v, k, e)
			{
				if (!json_is_string(e))
					goto bad_type;
				msgs_addf(&o.owned, "%s", json_string_value(e));
				set_option(&o, 'p', o.owned.v[o.owned.n - 1],
					   err, sizeof(err));
			}
			continue;
		}
		if (strcmp(key, "persist") == 0) {
			if (ansible_bool(v, &b) < 0)
				goto bad_type;
			o.no_persist = !b;
			continue;
		}
		for (i = 0; i < ARRAY_SIZE(str_args); i++)
			if (strcmp(key, str_args[i]) == 0)
				break;
		if (i == ARRAY_SIZE(str_args)) {
			snprintf(err, sizeof(err),
				 "unsupported parameter %s "
				 "(supported: policy, sysctl_d, persist_file, "
				 "persist, audit_log, state_file, netns, proc)",
				 key);
			ansible_fail(err, EXIT_USAGE);
			goto out;
		}
		if (!json_is_string(v))
			goto bad_type;
		msgs_addf(&o.owned, "%s", json_string_value(v));
		if (set_option(&o, str_opts[i], o.owned.v[o.owned.n - 1], err,
			       sizeof(err)) < 0) {
			ansible_fail(err, EXIT_USAGE);
			goto out;
		}
		if (str_opts[i] == OPT_SYSCTL_D)
			o.sysctl_d_buf = NULL; /* base frees the default */
	}
	o.dry_run = check;
	{
		char *path = xasprintf("%s/%s", o.sysctl_d, o.persist_file);

		if (util_read_at(AT_FDCWD, path, 1u << 20, &o.persist_before,
				 NULL) < 0)
			o.persist_before = NULL;
		free(path);
	}
	/* everything the run says on stderr goes into msg instead */
	fflush(stderr);
	memfd = memfd_create("twtune-stderr", MFD_CLOEXEC);
	saved = dup(STDERR_FILENO);
	if (memfd >= 0 && saved >= 0)
		dup2(memfd, STDERR_FILENO);
	rc = cmd_report_or_apply(&o, true);
	fflush(stderr);
	if (saved >= 0) {
		dup2(saved, STDERR_FILENO);
		close(saved);
	}
	if (memfd >= 0) {
		char fdpath[32];

		snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", memfd);
		if (util_read_at(AT_FDCWD, fdpath, 1u << 16, &captured, NULL) <
		    0)
			captured = NULL;
		close(memfd);
	}
	if (!emitted) {
		/* failed before there was a report (policy, permission...) */
		size_t n = captured ? strlen(captured) : 0;

		while (n && captured[n - 1] == '\n')
			captured[--n] = '\0';
		ansible_fail(n ? captured : "twtune failed", rc);
	}
	rc = EXIT_OK;
	goto out;
bad_type:
	snprintf(err, sizeof(err), "parameter %s has the wrong type", key);
	ansible_fail(err, EXIT_USAGE);
out:
	free(captured);
	free(o.persist_before);
	if (o.policies != base->policies)
		free(o.policies);
	if (o.sysctl_d_buf != base->sysctl_d_buf)
		free(o.sysctl_d_buf);
	msgs_free(&o.owned);
	json_decref(args);
	return rc;
}

/* ---- watch ------------------------------------------------------------- */

/* A key twtune changed recently is left alone for this long. */
#define WATCH_COOLDOWN 60.0

struct cooldown {
	char *key;
	double until;
};

/* The O(1) picture at the last socket dump. */
struct scan_mark {
	double time;
	double tw_count, tcp_inuse;
	struct counters c;
};

/* A dump is repeated at least this many scan intervals apart, even when
 * the O(1) counters say nothing moved. */
#define WATCH_RESCAN_FACTOR 10

static bool moved(double now, double then)
{
	if (isnan(now) || isnan(then))
		return isnan(now) != isnan(then);
	return fabs(now - then) > 0.1 * then + 16;
}

static bool rose(double now, double then)
{
	if (isnan(now) || isnan(then))
		return isnan(now) != isnan(then);
	return now != then;
}

/*
 * Whether a new socket dump is worth its cost: never more often than
 * scan-interval; then only when the O(1) counters moved (socket counts by
 * more than 10%, or overflows, SYN cookies or listen overflows rose), or
 * when the last dump is WATCH_RESCAN_FACTOR intervals old.
 */
static bool scan_due(const struct opts *o, const struct observation *obs,
		     const struct scan_mark *m)
{
	double age = obs->time - m->time;

	if (age < o->scan_interval)
		return false;
	return age >= WATCH_RESCAN_FACTOR * o->scan_interval ||
	       moved(obs->m[M_TW_COUNT], m->tw_count) ||
	       moved(obs->m[M_TCP_INUSE], m->tcp_inuse) ||
	       rose(obs->c.tw_overflows, m->c.tw_overflows) ||
	       rose(obs->c.syncookies_sent, m->c.syncookies_sent) ||
	       rose(obs->c.listen_overflows, m->c.listen_overflows);
}

static void wlog(const struct opts *o, int prio, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Daemon log lines: syslog (the journal), and stderr with -v. */
static void wlog(const struct opts *o, int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsyslog(prio, fmt, ap);
	va_end(ap);
	if (o->verbose) {
		va_start(ap, fmt);
		fputs("twtune watch: ", stderr);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		va_end(ap);
	}
}

static bool cooling(const struct cooldown *c, size_t n, const char *key,
		    double now)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(c[i].key, key) == 0 && now < c[i].until)
			return true;
	return false;
}

/* SIGHUP: load the policies again; a bad set keeps the old one. */
static void watch_reload(const struct opts *o, struct policy *pol)
{
	static const char *const defaults[] = { POLICY_DIR,
						SYSCONF_POLICY_DIR };
	struct msgs errors = { 0 };
	struct policy fresh;
	int ret;

	if (o->n_policies)
		ret = policy_load(o->policies, o->n_policies, false, &fresh,
				  &errors);
	else
		ret = policy_load(defaults, ARRAY_SIZE(defaults), true, &fresh,
				  &errors);
	for (size_t i = 0; i < errors.n; i++)
		wlog(o, LOG_ERR, "%s", errors.v[i]);
	msgs_free(&errors);
	if (ret < 0) {
		policy_free(&fresh);
		wlog(o, LOG_ERR,
		     "reload: invalid policy, keeping the %zu "
		     "rules in force",
		     pol->n_rules);
		return;
	}
	policy_free(pol);
	*pol = fresh;
	wlog(o, LOG_NOTICE, "reload: %zu rules from %zu files", pol->n_rules,
	     pol->n_files);
}

/* One tick: observe, plan, and apply what is not cooling down. */
static void watch_tick(const struct opts *o, int procfd, bool real_proc,
		       struct policy *pol, struct writer *w,
		       struct sock_stats *socks, struct scan_mark *mark,
		       struct cooldown **cool, size_t *n_cool,
		       struct state *mem)
{
	struct observation obs = { 0 };
	struct state st = { 0 };
	struct plan plan = { 0 };
	struct baseline first = { 0 };
	struct txn t = { 0 };
	bool txn_used = false;
	int lockfd = -1;

	if (observe(o, procfd, pol, &obs, &st, &first, mem) != EXIT_OK) {
		wlog(o, LOG_ERR, "observation failed; retrying next tick");
		goto out;
	}
	if (policy_needs_sockets(pol) && !o->no_sockets && real_proc &&
	    scan_due(o, &obs, mark)) {
		/* the dump is the costly part: only when it can tell more */
		sockdiag_free(socks);
		collect_sockets(o, real_proc, &obs, socks);
		*mark = (struct scan_mark){
			.time = obs.time,
			.tw_count = obs.m[M_TW_COUNT],
			.tcp_inuse = obs.m[M_TCP_INUSE],
			.c = obs.c,
		};
	} else {
		/* between dumps the last one stands in (or unknown) */
		if (!socks->collected && !socks->error[0])
			snprintf(socks->error, sizeof(socks->error),
				 "no socket scan yet");
		sockdiag_fill(socks, &obs);
	}
	{
		struct plan_opts po = {
			.written = st.written,
			.n_written = st.n_written,
		};

		plan_build_opts(pol, &obs, &po, &plan);
	}
	for (size_t i = 0; i < plan.n_notes; i++)
		if (plan.notes[i].backoff)
			wlog(o, LOG_INFO, "%s: %s", plan.notes[i].rule->id,
			     plan.notes[i].text);
	if (!plan.n_changes)
		goto save;
	if (apply_init(&t, "watch") < 0) {
		wlog(o, LOG_ERR, "no random run id; not applying");
		goto save;
	}
	txn_used = true;
	for (size_t i = 0; i < plan.n_changes; i++) {
		const struct plan_change *c = &plan.changes[i];
		struct change *ch;

		if (cooling(*cool, *n_cool, c->key, obs.time)) {
			wlog(o, LOG_INFO,
			     "%s: would go %.0f -> %lld, but "
			     "twtune changed it less than %.0f s ago",
			     c->key, c->from, c->to, WATCH_COOLDOWN);
			continue;
		}
		if (o->dry_run) {
			wlog(o, LOG_NOTICE, "dry run: %s %.0f -> %lld [%s] %s",
			     c->key, c->from, c->to, c->rule->id, c->reason);
			continue;
		}
		ch = apply_add(&t, c->key, (long long)c->from, c->to,
			       c->rule->id, c->reason);
		if (c->persist && !o->no_persist) {
			ch->pop = PERSIST_SET;
			ch->pvalue = c->to;
		}
	}
	if (!t.n_changes)
		goto save;
	lockfd = take_lock(o, 0, true);
	if (lockfd < 0) {
		wlog(o, LOG_WARNING,
		     "another twtune holds the lock; trying "
		     "again next tick");
		apply_free(&t);
		txn_used = false;
		goto save;
	}
	writer_begin(o, w, &t, &obs, pol, &plan);
	if (apply_execute(&t) < 0)
		wlog(o, LOG_ERR, "run %s: %s (result: %s)", t.run, t.error,
		     t.result);
	else
		wlog(o, LOG_NOTICE, "run %s: %zu change%s applied", t.run,
		     t.n_changes, t.n_changes == 1 ? "" : "s");
	for (size_t i = 0; i < t.n_changes; i++) {
		if (!t.changes[i].verified)
			continue;
		*cool = xrealloc(*cool, (*n_cool + 1) * sizeof(**cool));
		(*cool)[*n_cool].key = xstrdup(t.changes[i].key);
		(*cool)[(*n_cool)++].until = obs.time + WATCH_COOLDOWN;
	}
save:
	save_state(o, &st, &obs, &first, txn_used ? &t : NULL, &obs.warnings);
	if (o->dry_run) {
		struct baseline b;

		observe_to_baseline(&obs, &b, "state");
		state_add_sample(mem, &b);
	}
out:
	if (lockfd >= 0)
		close(lockfd);
	if (txn_used)
		apply_free(&t);
	plan_free(&plan);
	observe_free(&obs);
	state_free(&st);
}

/*
 * watch holds the audit log open from the start: close a run that was
 * interrupted before it and adopt the last run's values, as apply does.
 * The first tick then plans from there.
 */
static void watch_finish_interrupted(const struct opts *o, int procfd,
				     const struct policy *pol, struct writer *w)
{
	struct observation obs = { 0 };
	struct state st = { 0 };
	struct msgs msgs = { 0 };
	struct baseline first = { 0 };
	char err[256];

	if (audit_is_intent(w->audit.last))
		finish_interrupted(o, w, w->audit.last, NULL, &msgs);
	if (observe(o, procfd, pol, &obs, &st, &first, NULL) == EXIT_OK) {
		adopt_last_run(w->audit.last, &obs, &st);
		if (state_save(o->state, &st, err, sizeof(err)) < 0)
			msgs_addf(&msgs, "state %s: %s", o->state, err);
	}
	for (size_t i = 0; i < msgs.n; i++)
		wlog(o, LOG_WARNING, "%s", msgs.v[i]);
	msgs_free(&msgs);
	observe_free(&obs);
	state_free(&st);
}

static int cmd_watch(const struct opts *o)
{
	struct policy pol = { 0 };
	struct writer w = { .fds = { -1, -1, -1, -1, -1 },
			    .audit = { .fd = -1 } };
	struct sock_stats socks = { 0 };
	struct cooldown *cool = NULL;
	struct state mem = { 0 };
	size_t n_cool = 0;
	struct scan_mark mark = { .time = -INFINITY };
	sigset_t set;
	bool real_proc, stop = false;
	char err[256];
	int procfd = -1, rc;

	rc = load_policies(o, &pol);
	if (rc)
		return rc;
	rc = open_target(o, &procfd, &real_proc);
	if (rc)
		goto out;
	/* signals are taken only while waiting: a tick is never cut short */
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGQUIT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if (o->dry_run) {
		openlog("twtune", LOG_PID, LOG_DAEMON);
		if (privs_drop_all(err, sizeof(err)) < 0) {
			fprintf(stderr, "twtune: %s\n", err);
			rc = EXIT_FAIL;
			goto out;
		}
		/* it writes only its state file, like report */
		reader_sandbox(o, w.sandbox, sizeof(w.sandbox));
	} else {
		rc = check_permission(real_proc, "watch");
		if (!rc)
			rc = writer_open(o, procfd, !o->no_persist, &w);
		if (rc)
			goto out;
		if (w.audit.last)
			watch_finish_interrupted(o, procfd, &pol, &w);
	}
	wlog(o, LOG_NOTICE,
	     "watching%s%s every %g s, socket scans at most "
	     "every %g s, %zu rules%s; sandbox: %s",
	     o->netns ? " network namespace " : "", o->netns ? o->netns : "",
	     o->interval, o->scan_interval, pol.n_rules,
	     o->dry_run ? ", dry run" : "", w.sandbox);
	while (!stop) {
		struct timespec ts = {
			.tv_sec = (time_t)o->interval,
			.tv_nsec = (long)((o->interval - floor(o->interval)) *
					  1e9),
		};
		siginfo_t si;

		watch_tick(o, procfd, real_proc, &pol, &w, &socks, &mark, &cool,
			   &n_cool, &mem);
		for (;;) {
			int sig = sigtimedwait(&set, &si, &ts);

			if (sig == SIGHUP) {
				watch_reload(o, &pol);
				continue; /* keep waiting out the interval */
			}
			if (sig > 0) {
				wlog(o, LOG_NOTICE, "signal %d: stopping", sig);
				stop = true;
			}
			break; /* timeout (EAGAIN) or a stop signal */
		}
	}
	rc = EXIT_OK;
out:
	for (size_t i = 0; i < n_cool; i++)
		free(cool[i].key);
	free(cool);
	sockdiag_free(&socks);
	state_free(&mem);
	writer_close(&w);
	if (procfd >= 0)
		close(procfd);
	policy_free(&pol);
	return rc;
}

static int cmd_policy_check(const struct opts *o, int argc, char **argv)
{
	struct opts po = *o;
	struct policy p;
	size_t enabled = 0;
	int rc;

	for (int i = 0; i < argc; i++) {
		po.policies = xrealloc(po.policies,
				       (po.n_policies + 1) * sizeof(char *));
		po.policies[po.n_policies++] = argv[i];
	}
	rc = load_policies(&po, &p);
	if (po.policies != o->policies)
		free(po.policies);
	if (rc) {
		fprintf(stderr, "twtune policy check: invalid policy\n");
		return rc;
	}
	for (size_t i = 0; i < p.n_rules; i++)
		enabled += p.rules[i].enabled;
	printf("OK: %zu rules (%zu enabled) from %zu files\n", p.n_rules,
	       enabled, p.n_files);
	if (o->verbose)
		for (size_t i = 0; i < p.n_rules; i++)
			printf("  %-28s %s:%d%s\n", p.rules[i].id,
			       p.rules[i].file, p.rules[i].line,
			       p.rules[i].enabled ? "" : " (disabled)");
	policy_free(&p);
	return EXIT_OK;
}

static int cmd_audit_verify(const struct opts *o, int argc, char **argv)
{
	const char *path = argc > 0 ? argv[0] : o->audit_log;
	char err[512];
	size_t n;
	int ret = audit_verify(path, &n, err, sizeof(err));

	if (ret == -EBADMSG) {
		fprintf(stderr, "%s:%s\n", path, err);
		return EXIT_FAIL;
	}
	if (ret < 0) {
		fprintf(stderr, "twtune audit verify: %s\n", err);
		return EXIT_FAIL;
	}
	printf("%s: %zu records, hash chain intact, every intent has its "
	       "result\n",
	       path, n);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	struct opts o;
	const char *cmd;
	int rc;

	{
		/* jansson would read /dev/urandom for its hash seed */
		uint32_t seed;

		if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) ==
		    (ssize_t)sizeof(seed))
			json_object_seed(seed ? seed : 1);
	}
	rc = parse_opts(argc, argv, &o);
	if (rc != 0) {
		/* 1: --help or --version was answered; -2: bad config file */
		if (rc == -1)
			fprintf(stderr, "Try 'twtune --help'.\n");
		rc = rc == -2 ? EXIT_POLICY : rc < 0 ? EXIT_USAGE : EXIT_OK;
		goto out;
	}
	if (optind >= argc) {
		usage(stderr);
		rc = EXIT_USAGE;
		goto out;
	}
	cmd = argv[optind++];
	if (strcmp(cmd, "report") == 0 || strcmp(cmd, "apply") == 0) {
		rc = optind < argc ? -1
				   : cmd_report_or_apply(&o, cmd[0] == 'a');
	} else if (strcmp(cmd, "rollback") == 0) {
		rc = optind < argc ? -1 : cmd_rollback(&o);
	} else if (strcmp(cmd, "watch") == 0) {
		rc = optind < argc ? -1 : cmd_watch(&o);
	} else if (strcmp(cmd, "ansible") == 0) {
		rc = argc - optind != 1 ? -1 : cmd_ansible(&o, argv[optind]);
	} else if (strcmp(cmd, "policy") == 0 && optind < argc &&
		   strcmp(argv[optind], "check") == 0) {
		rc = cmd_policy_check(&o, argc - optind - 1, argv + optind + 1);
	} else if (strcmp(cmd, "audit") == 0 && optind < argc &&
		   strcmp(argv[optind], "verify") == 0 && argc - optind <= 2) {
		rc = cmd_audit_verify(&o, argc - optind - 1, argv + optind + 1);
	} else {
		fprintf(stderr, "twtune: unknown command '%s'\n", cmd);
		rc = -1;
	}
	if (rc < 0) {
		fprintf(stderr, "Try 'twtune --help'.\n");
		rc = EXIT_USAGE;
	}
out:
	free(o.policies);
	free(o.reclaim);
	msgs_free(&o.owned);
	free(o.sysctl_d_buf);
	return rc;
}
