// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The shared pipeline; see run.h.  Every step reads what the earlier ones
 * left in struct run and adds its own part, so a command is a short list
 * of calls and the order of the steps is the same for all of them.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "log.h"
#include "owner.h"
#include "paths.h"
#include "persist.h"
#include "recover.h"
#include "run.h"

/* Why a namespace's values are live only, and how one lasts there. */
#define LIVE_ONLY                                                              \
	"this network namespace is not PID 1's, whose sysctl.d the boot "      \
	"applies, so its values are set live only; to keep one, "
#define OR_WATCH ", or let twtune watch --all-netns apply it again"

/* How a value lasts in a namespace of this kind: where it is made. */
static const char *lasting(const struct netns_entry *e, bool named)
{
	enum cg_runtime rt = e ? e->id.runtime : CG_NONE;

	if (e && e->id.pod[0])
		return LIVE_ONLY
			"set it in the pod's securityContext.sysctls (the kubelet must allow it with --allowed-unsafe-sysctls)" OR_WATCH;
	if (rt == CG_DOCKER || rt == CG_PODMAN)
		return LIVE_ONLY
			"start the container with --sysctl KEY=VALUE (sysctls: in a compose file)" OR_WATCH;
	if (rt == CG_NSPAWN || rt == CG_LXC)
		return LIVE_ONLY
			"put it in the container's own /etc/sysctl.d, which its init applies at its boot (run twtune inside it)" OR_WATCH;
	if (named || (e && e->name))
		return LIVE_ONLY
			"set it in the unit or script that creates the namespace (ip netns exec NAME sysctl -w KEY=VALUE)" OR_WATCH;
	return LIVE_ONLY
		"set it where the namespace is made: docker run --sysctl KEY=VALUE, a pod's securityContext.sysctls (the kubelet must allow them with --allowed-unsafe-sysctls), the unit that creates an ip netns" OR_WATCH;
}

const char *run_persist_elsewhere(const struct run *r, unsigned long long ns,
				  const struct netns_entry *e)
{
	const struct target *t = &r->target;
	/* PID 1's namespace, or where it cannot be read (another PID
	 * namespace's init, hidden), twtune's own under --all-netns */
	unsigned long long boot_ns =
		t->pid1_netns ? t->pid1_netns
			      : (r->o->all_netns ? t->netns_ino : 0);

	/* an explicit --sysctl-d is the operator's choice of target for
	 * one namespace; --all-netns persists only the boot's */
	if (!t->real_proc || (r->o->sysctl_d && !r->o->all_netns) || !boot_ns ||
	    !ns || ns == boot_ns)
		return NULL;
	return lasting(e, r->o->netns != NULL);
}

int run_start(struct run *r, const struct options *o, const char *command,
	      enum role role)
{
	int rc;

	memset(r, 0, sizeof(*r));
	r->st = &r->st_own;
	r->o = o;
	r->command = command;
	r->target.procfd = -1;
	boundary_init(&r->b);
	/* the helper for a one-shot run only: watch keeps no more than it
	 * needs for as long as it runs */
	rc = target_open(o, &r->target,
			 !strcmp(command, "report") ||
				 !strcmp(command, "apply"));
	if (rc)
		return rc;
	r->no_persist = run_persist_elsewhere(r, r->target.netns_ino, NULL);
	return boundary_cross(o, &r->target, role, WANT_STATE | WANT_OUTPUT,
			      &r->b);
}

/* Load the policies into p; every error said as FILE:LINE. */
static int load_policies(const struct options *o, struct policy *p)
{
	static const char *const defaults[] = { POLICY_DIR,
						SYSCONF_POLICY_DIR };
	struct msgs errors = { 0 };
	int ret;

	if (o->policies.n)
		ret = policy_load((const char *const *)o->policies.v,
				  o->policies.n, false, p, &errors);
	else
		ret = policy_load(defaults, ARRAY_SIZE(defaults), true, p,
				  &errors);
	for (size_t i = 0; i < errors.n; i++)
		log_plain(LOG_ERR, "%s", errors.v[i]);
	msgs_free(&errors);
	if (ret < 0)
		policy_free(p);
	return ret;
}

int run_policies(struct run *r)
{
	if (load_policies(r->o, &r->pol) < 0)
		return EX_DATAERR;
	/* a build tree without -p, a wrong install path: not "all is well" */
	if (!r->pol.n_rules) {
		struct strbuf where = { 0 };

		if (r->o->policies.n)
			for (size_t i = 0; i < r->o->policies.n; i++)
				strbuf_addf(&where, "%s%s", i ? ", " : "",
					    r->o->policies.v[i]);
		else
			strbuf_addf(&where, "%s, %s", POLICY_DIR,
				    SYSCONF_POLICY_DIR);
		log_err("no policy rules loaded from %s (give -p PATH)",
			where.s);
		strbuf_free(&where);
		return EX_DATAERR;
	}
	/* a writer that may not write says so once its policies are good */
	return boundary_permitted(&r->b);
}

void run_reload(struct run *r)
{
	struct policy fresh;

	if (load_policies(r->o, &fresh) < 0) {
		log_err("reload: invalid policy, keeping the %zu rules in force",
			r->pol.n_rules);
		return;
	}
	policy_free(&r->pol);
	r->pol = fresh;
	log_notice("reload: %zu rules from %zu files", r->pol.n_rules,
		   r->pol.n_files);
	for (size_t i = 0; i < r->pol.warnings.n; i++)
		log_warn("reload: %s", r->pol.warnings.v[i]);
}

/*
 * Wait out a sample window, whatever signals arrive meanwhile, watching
 * the overflow counter every RUN_SAMPLE_POLL seconds: the overflows may all
 * have come in a burst much shorter than the window.  Returns how long
 * they took (the first to the last poll that saw the counter rise, plus
 * one poll), or NAN when it did not rise.
 */
void run_burst_start(struct run_burst *b, double value)
{
	b->last = value;
	b->first_rise = b->last_rise = NAN;
}

void run_burst_see(struct run_burst *b, double value, double t)
{
	if (value > b->last) {
		if (isnan(b->first_rise))
			b->first_rise = t;
		b->last_rise = t;
	}
	b->last = value;
}

double run_burst_length(const struct run_burst *b)
{
	return isnan(b->first_rise)
		       ? NAN
		       : b->last_rise - b->first_rise + RUN_SAMPLE_POLL;
}

void run_nap(double seconds)
{
	struct timespec ts = {
		.tv_sec = (time_t)seconds,
		.tv_nsec = (long)((seconds - floor(seconds)) * 1e9),
	};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static double sample_window(struct run *r, double seconds, double start)
{
	double end = util_monotonic() + seconds, now, v = NAN;
	struct run_burst b;

	observe_overflow_counter_view(r->target.procfd, r->view, &v);
	run_burst_start(&b, v);
	while ((now = util_monotonic()) < end) {
		run_nap(end - now < RUN_SAMPLE_POLL ? end - now
						    : RUN_SAMPLE_POLL);
		if (observe_overflow_counter_view(r->target.procfd, r->view,
						  &v) == 0)
			run_burst_see(&b, v, util_monotonic() - start);
	}
	return run_burst_length(&b);
}

/* One observation of the policies' keys (and the ones always shown). */
static int collect(struct run *r, struct observation *obs)
{
	struct msgs keys = { 0 };
	char err[512];
	int ret;

	policy_sysctl_keys(&r->pol, &keys);
	ret = observe_collect_view(r->target.procfd, r->view, r->host,
				   (const char *const *)keys.v, keys.n,
				   &r->st->slab, obs, err, sizeof(err));
	msgs_free(&keys);
	if (ret < 0) {
		if (r->ns)
			snprintf(r->error, sizeof(r->error), "observe: %s",
				 err);
		else
			log_err("observe %s: %s", r->o->proc, err);
		return ret;
	}
	/* no counter: the kernel log is the overflow evidence */
	if (!obs->kernel.counter)
		kernel_read_log(obs, r->target.rootfd, r->target.kmsg_text,
				r->target.dmesg_text, r->target.log_error,
				kernel_boot_time(r->target.procfd));
	return ret;
}

/*
 * Observe twice, seconds apart, the first observation the baseline of
 * the second (which goes into r->obs, derived).  Returns an exit code.
 */
static int sample(struct run *r, double seconds)
{
	struct observation first;
	double start = util_monotonic(), burst;

	if (collect(r, &first) < 0) {
		observe_free(&first);
		return EXIT_FAILED;
	}
	observe_to_baseline(&first, &r->first, "sample");
	observe_free(&first);
	burst = sample_window(r, seconds, start);
	observe_free(&r->obs);
	if (collect(r, &r->obs) < 0) {
		observe_free(&r->obs);
		return EXIT_FAILED;
	}
	r->obs.burst = burst;
	return 0;
}

int run_observe(struct run *r, const struct state *mem)
{
	struct baseline b = { 0 };
	char state_err[512];
	int state_ret, rc;

	/* first: it may hold tw_sock_size, which spares reading slabinfo */
	state_ret =
		state_load(r->o->state, r->st, state_err, sizeof(state_err));
	if (r->o->sample > 0) {
		rc = sample(r, r->o->sample);
		if (rc)
			return rc;
		b = r->first;
	} else if (collect(r, &r->obs) < 0) {
		observe_free(&r->obs);
		return EXIT_FAILED;
	}
	if (state_ret < 0 && state_ret != -ENOENT)
		msgs_addf(&r->obs.warnings, "%s (ignored)", state_err);
	/* an older state file's writes: this namespace's, most likely */
	state_adopt(r->st, r->obs.netns);
	for (size_t i = 0; mem && i < mem->n_samples; i++)
		state_add_sample(r->st, &mem->samples[i]);
	if (r->o->sample <= 0 && !state_pick_baseline(r->st, &r->obs, &b))
		b.valid = false;
	if (r->o->sample <= 0 && b.valid)
		r->obs.burst = state_burst(r->st, &b, &r->obs);
	observe_derive(&r->obs, &b);
	if (r->last.json && recover_adopt(&r->last, &r->obs, r->st))
		r->state_dirty = true;
	r->observed = true;
	return 0;
}

/* Whether a change of the plan is only its known lower bound. */
static bool plans_at_least(const struct plan *pl)
{
	for (size_t i = 0; i < pl->n_changes; i++)
		if (pl->changes[i].at_least)
			return true;
	return false;
}

/*
 * First sight: no baseline, the counter not at zero, and a rule that
 * cannot decide without one, or that can only plan a lower bound (the
 * raise is "at least" twice the limit: the rate would size it).  Rather
 * than "run again", take a short sample now (never of a fixture tree,
 * whose counters do not move).
 */
#define AUTO_SAMPLE 2.0
static bool wants_sample(const struct run *r)
{
	return r->o->sample <= 0 && !r->o->no_auto_sample &&
	       r->target.real_proc && r->obs.kernel.counter &&
	       isnan(r->obs.m[M_TW_OVERFLOW_DELTA]) &&
	       (r->plan.n_undecided > 0 || plans_at_least(&r->plan));
}

static int auto_sample(struct run *r)
{
	struct baseline b;
	int rc;

	if (isatty(STDERR_FILENO))
		log_notice(
			"no baseline yet: observing for %g s to count overflows (--no-auto-sample skips this)",
			AUTO_SAMPLE);
	rc = sample(r, AUTO_SAMPLE);
	if (rc)
		return rc;
	b = r->first;
	observe_derive(&r->obs, &b);
	msgs_addf(
		&r->obs.warnings,
		"no baseline: took a %g s sample (the state file gives one to the next run)",
		AUTO_SAMPLE);
	if (r->last.json && recover_adopt(&r->last, &r->obs, r->st))
		r->state_dirty = true;
	return 0;
}

/* Why the socket dump is not made, or NULL when it is. */
static const char *no_dump(const struct run *r)
{
	if (r->o->no_sockets)
		return "--no-sockets";
	/* node_exporter scrapes often: the dump only when asked */
	if (r->o->format == FORMAT_PROMETHEUS && !r->o->sockets)
		return "not requested (--format prometheus without --sockets)";
	/* its numbers would be the live kernel's, not the fixture's */
	if (!r->target.real_proc)
		return "--proc is not the live /proc";
	return NULL;
}

/*
 * No TCP socket in the namespace at all, by its O(1) counters: none in
 * its hash tables (sockstat and sockstat6 inuse, listeners and orphans
 * included; a SYN_RECV needs a listener) and no TIME_WAIT.  The dump
 * would find nothing: a quiet container costs no walk of its table.
 */
static bool nothing_to_dump(const struct run *r)
{
	return r->target.real_proc && r->obs.m[M_TCP_INUSE] == 0 &&
	       r->obs.m[M_TW_COUNT] == 0;
}

void run_sockets(struct run *r)
{
	double lo = r->obs.m[M_EPHEMERAL_LOW], hi = r->obs.m[M_EPHEMERAL_HIGH];
	struct sock_stats *st = &r->socks;
	const char *why = no_dump(r);

	sockdiag_free(st);
	memset(st, 0, sizeof(*st));
	if (why)
		snprintf(st->error, sizeof(st->error), "%s", why);
	else if (sockdiag_init(st, isnan(lo) ? 0 : (unsigned)lo,
			       isnan(hi) ? 0 : (unsigned)hi) < 0)
		snprintf(st->error, sizeof(st->error), "out of memory");
	else if (nothing_to_dump(r))
		st->collected = true; /* all zero, exactly */
	else if (r->view && r->view->diag < 0)
		msgs_addf(&r->obs.warnings, "socket-level metrics unknown: %s",
			  "no sock_diag socket in this namespace");
	else if ((r->view ? sockdiag_collect_fd(st, r->view->diag)
			  : sockdiag_collect(st)) < 0)
		msgs_addf(&r->obs.warnings, "socket-level metrics unknown: %s",
			  st->error);
	else
		owner_name_causes(
			st, &(struct owner_env){
				    .procfd = r->target.procfd,
				    .sandboxed = r->b.sandbox.state ==
						 SANDBOX_LANDLOCK,
				    .find = r->target.opener.pid > 0
						    ? nsopen_find_inode
						    : NULL,
				    .find_ctx = &r->target.opener,
				    .no_helper = r->target.no_helper[0]
							 ? r->target.no_helper
							 : NULL,
			    });
	/* the helper has done its one job: it ends with its capabilities */
	if (r->target.opener.pid > 0 && !r->target.opener.netns) {
		nsopen_stop(&r->target.opener);
		snprintf(r->target.no_helper, sizeof(r->target.no_helper),
			 "it ended after the first socket dump");
	}
	sockdiag_fill(st, &r->obs);
}

/*
 * The keys twtune manages (planned now, or in its persist file) and the
 * value it wants for each; then which later sysctl.d files would undo
 * them at boot.
 */
static void check_shadowing(struct run *r)
{
	const struct options *o = r->o;
	const struct plan *pl = &r->plan;
	struct msgs keys = { 0 }, wants = { 0 };
	struct persist p = { 0 };
	struct shadows *out = &r->shadows;
	int dfd = r->b.persist_dfd;

	/* values set live only: no file of the boot's is theirs */
	if (r->no_persist)
		return;

	for (size_t i = 0; i < pl->n_changes; i++) {
		if (!pl->changes[i].persist || o->no_persist)
			continue;
		msgs_addf(&keys, "%s", pl->changes[i].key);
		msgs_addf(&wants, "%lld", pl->changes[i].to);
	}
	if (dfd >= 0 &&
	    persist_load(dfd, o->persist_file, &p, NULL, NULL, 0) == 0) {
		for (size_t i = 0; i < p.n; i++) {
			if (msgs_has(&keys, p.v[i].key))
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
			    &r->warnings);
	for (size_t i = 0; i < out->n; i++)
		for (size_t k = 0; k < out->v[i].n_hits; k++)
			msgs_addf(
				&r->warnings,
				"%s: shadowed by %s:%d, which sets %s and is applied after %s at boot: it would undo twtune's %s",
				out->v[i].key, out->v[i].hits[k].file,
				out->v[i].hits[k].line, out->v[i].hits[k].value,
				o->persist_file, out->v[i].want);
	persist_free(&p);
	msgs_free(&keys);
	msgs_free(&wants);
}

void run_plan(struct run *r)
{
	struct plan_opts po = {
		.written = r->st->written,
		.n_written = r->st->n_written,
		.netns = r->obs.netns,
		.netns_cookie = r->obs.netns_cookie,
		.reclaim = (const char *const *)r->o->reclaim.v,
		.n_reclaim = r->no_reclaim ? 0 : r->o->reclaim.n,
	};

	plan_free(&r->plan);
	plan_build_opts(&r->pol, &r->obs, &po, &r->plan);
}

/* What the observation read: absent keys are ones this kernel lacks. */
static bool observed_present(const char *key, void *arg)
{
	const struct sysctl_obs *s = observe_sysctl(arg, key);

	return !s || s->exists;
}

void run_assess(struct run *r)
{
	if (r->b.sandbox.state == SANDBOX_NONE)
		msgs_addf(&r->warnings, "no sandbox: %s", r->b.sandbox.text);
	/* probable typos: a rule forever idle, or one that disables nothing */
	msgs_add_all(&r->warnings, &r->pol.warnings);
	policy_check_keys(&r->pol, observed_present, &r->obs, &r->warnings);
	run_sockets(r);
	run_plan(r);
	/* live only (--no-persist, another namespace): the plan says so */
	if (r->no_persist || r->o->no_persist)
		for (size_t i = 0; i < r->plan.n_changes; i++)
			r->plan.changes[i].persist = false;
	check_shadowing(r);
	if (r->no_persist && r->plan.n_changes && !r->o->no_persist)
		msgs_addf(&r->warnings, "%s", r->no_persist);
	else if (r->plan.n_changes && !r->o->no_persist && r->o->sysctl_d &&
		 r->target.real_proc && r->target.pid1_netns &&
		 r->obs.netns != r->target.pid1_netns)
		msgs_addf(
			&r->warnings,
			"persisting to %s as --sysctl-d asks, for a network namespace that is not PID 1's: the boot applies that directory only where something applies it in this namespace (its own root's sysctl.d, say)",
			r->o->sysctl_d);
}

int run_evaluate(struct run *r)
{
	int rc = run_observe(r, NULL);

	if (rc)
		return rc;
	run_plan(r);
	if (wants_sample(r)) {
		rc = auto_sample(r);
		if (rc)
			return rc;
	}
	run_assess(r);
	return 0;
}

int run_collect(struct run *r, struct observation *obs)
{
	return collect(r, obs) < 0 ? EXIT_FAILED : 0;
}

void run_derive(struct run *r, const struct baseline *first)
{
	struct baseline b = { 0 };

	if (first && first->valid)
		b = *first;
	else if (!state_pick_baseline(r->st, &r->obs, &b))
		b.valid = false;
	else
		r->obs.burst = state_burst(r->st, &b, &r->obs);
	observe_derive(&r->obs, &b);
	r->observed = true;
}

bool run_wants_baseline(const struct run *r)
{
	struct baseline b;

	return r->obs.kernel.counter && r->obs.c.tw_overflows != 0 &&
	       !state_pick_baseline(r->st, &r->obs, &b);
}

/*
 * Add this observation to the state.  When this run changed
 * tcp_max_tw_buckets the sample is filed under the new limit, so that the
 * next run counts only the overflows that happen under it.
 */
int run_save_state(struct run *r, const struct txn *t)
{
	const struct options *o = r->o;
	const struct observation *obs = &r->obs;
	struct state *st = r->st;
	bool changed = t && apply_changed(t);
	struct baseline b;
	char err[512];
	int ret;

	if (o->dry_run)
		return 0;
	/*
	 * A sample a few seconds after the last one adds nothing to a 60 s
	 * horizon: skip the write, which is most of an O(1) report's I/O.
	 */
	observe_to_baseline(obs, &b, "state");
	if (!changed && !r->first.valid && !o->reclaim.n && !r->state_dirty &&
	    !obs->tw_sock_size_read && state_has_recent(st, &b, STATE_MIN_GAP))
		return 0;
	/* a reclaimed key that needed no change is twtune's again as it is */
	for (size_t i = 0; i < o->reclaim.n; i++) {
		const struct sysctl_obs *s =
			observe_sysctl(obs, o->reclaim.v[i]);

		if (s && s->is_int)
			state_set_written(st, obs->netns, obs->netns_cookie,
					  o->reclaim.v[i], s->ival);
	}
	/* --sample's first observation is a baseline for later runs too */
	if (r->first.valid)
		state_add_sample(st, &r->first);
	for (size_t i = 0; t && i < t->rec.n_changes; i++) {
		const struct change *c = &t->rec.changes[i];

		if (!c->verified)
			continue;
		state_set_written(st, obs->netns, obs->netns_cookie, c->key,
				  c->after);
		if (strcmp(c->key, "net.ipv4.tcp_max_tw_buckets") == 0)
			b.tw_max = (double)c->after;
	}
	state_add_sample(st, &b);
	if (changed && t->rec.result == RESULT_OK)
		st->last_apply = obs->time;
	if (obs->tw_sock_size_read) {
		memcpy(st->slab.boot_id, obs->boot_id,
		       sizeof(st->slab.boot_id));
		st->slab.size = obs->m[M_TW_SOCK_SIZE];
	}
	/* --all-netns saves once, for every namespace */
	if (r->ns)
		return 0;
	ret = state_save(o->state, st, err, sizeof(err));
	if (ret < 0)
		msgs_addf(&r->warnings, "%s (deltas need it; not fatal)", err);
	return ret;
}

/* Whether t changed key (verified). */
static bool changed(const struct txn *t, const char *key)
{
	for (size_t i = 0; i < t->rec.n_changes; i++)
		if (t->rec.changes[i].verified &&
		    strcmp(t->rec.changes[i].key, key) == 0)
			return true;
	return false;
}

int run_exit(const struct run *r)
{
	bool table = report_verdict(&r->obs) != VERDICT_OK;
	bool critical = plan_has_critical(&r->plan);

	/* a textfile collector takes any other code for a failure */
	if (r->o->format == FORMAT_PROMETHEUS)
		return 0;
	if (r->txn_used)
		return critical || (table &&
				    !changed(&r->txn,
					     "net.ipv4.tcp_max_tw_buckets"))
			       ? EXIT_ATTENTION
			       : 0;
	/* Salt takes any non-zero code for a failure; "changed" says it */
	if (r->plan.n_changes)
		return r->o->format == FORMAT_SALT ? 0 : EXIT_CHANGES;
	return table || critical ? EXIT_ATTENTION : 0;
}

void run_next(struct run *r)
{
	plan_free(&r->plan);
	observe_free(&r->obs);
	state_free(r->st);
	msgs_free(&r->warnings);
	memset(&r->first, 0, sizeof(r->first));
	r->observed = false;
	r->state_dirty = false;
}

void run_report(const struct run *r, struct report *rep)
{
	*rep = (struct report){
		.command = r->command,
		.obs = &r->obs,
		.plan = &r->plan,
		.policy = &r->pol,
		.warnings = &r->warnings,
		.netns = r->o->netns,
		.sandbox = r->b.sandbox.text,
		.txn = r->txn_used ? &r->txn : NULL,
		.socks = &r->socks,
		.shadows = &r->shadows,
		.last_apply = r->st->last_apply,
		.dry_run = r->o->dry_run,
	};
}

/* The report in --format, into f. */
static void render(const struct run *r, FILE *f)
{
	struct report rep;
	char *next = options_command_line(r->o, "apply");
	json_t *j;

	run_report(r, &rep);
	rep.next = next;
	switch (r->o->format) {
	case FORMAT_JSON:
	case FORMAT_SALT:
		j = r->o->format == FORMAT_JSON ? report_json(&rep)
						: report_salt_json(&rep);
		json_dumpf(j, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', f);
		json_decref(j);
		break;
	case FORMAT_PROMETHEUS: report_prometheus(f, &rep); break;
	case FORMAT_TEXT:
		if (r->o->quiet)
			report_quiet(f, &rep);
		else
			report_text(f, &rep, r->o->verbose > 0);
		break;
	}
	free(next);
}

int run_output(struct run *r)
{
	return run_write(r, render);
}

struct drawer {
	void (*draw)(const struct run *r, FILE *f);
};

static void draw_plain(const struct run *r, FILE *f, void *arg)
{
	((const struct drawer *)arg)->draw(r, f);
}

int run_write(struct run *r, void (*draw)(const struct run *r, FILE *f))
{
	struct drawer d = { draw };

	return run_write_arg(r, draw_plain, &d);
}

int run_write_arg(struct run *r,
		  void (*draw)(const struct run *r, FILE *f, void *arg),
		  void *arg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int ret;

	if (!f)
		return -errno;
	draw(r, f, arg);
	if (fclose(f) != 0) {
		free(buf);
		return -EIO;
	}
	ret = util_output(r->o->output, r->b.output_dfd, buf, len);
	if (ret == -EBADF && r->b.output_err)
		ret = -r->b.output_err;
	if (ret < 0 && r->o->output)
		log_err("--output %s: %s", r->o->output, strerror(-ret));
	free(buf);
	return ret;
}

void run_free(struct run *r)
{
	run_next(r);
	apply_free(&r->txn);
	audit_record_free(&r->last);
	boundary_close(&r->b);
	target_close(&r->target);
	shadow_free(&r->shadows);
	sockdiag_free(&r->socks);
	policy_free(&r->pol);
}
