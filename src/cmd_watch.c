// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * twtune watch: observe every --interval seconds and apply (or, with
 * --dry-run, only log) what the policies say, as a daemon.  The O(1)
 * counters are read every tick; the socket dump only when a rule needs
 * it, at most every --scan-interval and only when the counters moved.  A
 * key twtune changed is left alone for a TIME_WAIT lifetime so that it
 * never flaps.  SIGHUP reloads the policies; SIGTERM, SIGINT and SIGQUIT
 * are taken only between ticks.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "allns.h"
#include "commands.h"
#include "log.h"
#include "recover.h"
#include "run.h"
#include "writer.h"

/* A key twtune changed recently is left alone for this long. */
#define WATCH_COOLDOWN 60.0

/* A dump is repeated at least this many scan intervals apart, even when
 * the O(1) counters say nothing moved. */
#define WATCH_RESCAN_FACTOR 10

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

/* What watch keeps of one network namespace from tick to tick. */
struct wns {
	struct run *r;	 /* the command's run, or x.r */
	struct nsrun x;	 /* --all-netns: its identity, view and run */
	char label[140]; /* "NAME: " under --all-netns, else "" */
	struct cooldown *cool;
	size_t n_cool;
	struct scan_mark mark;
	struct msgs said;   /* warnings logged at the last tick */
	struct msgs firing; /* advice rules firing at the last tick */
	bool seen;	    /* found again at this tick */
	bool reopen;	    /* the policies changed: a new view */
};

struct watch {
	struct run r;
	struct wns one;	 /* one namespace: twtune's or --netns */
	struct wns **ns; /* --all-netns: every one of them */
	size_t n_ns;
	struct state mem;	 /* samples kept in memory (--dry-run) */
	struct state unsaved;	 /* twtune's writes the state file lacks */
	double now;		 /* this tick, CLOCK_MONOTONIC seconds */
	double backoff;		 /* seconds between tries of failing writes */
	double next_try;	 /* no write before this (monotonic) */
	struct observation host; /* --all-netns: this tick's host values */
};

/*
 * Intervals (cooldown, scans, back-off) run on the monotonic clock
 * (util_monotonic()): a step of the wall clock must not stretch or skip
 * them.
 */

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
static bool scan_due(const struct watch *w, const struct wns *n)
{
	const struct observation *obs = &n->r->obs;
	const struct scan_mark *m = &n->mark;
	double age = w->now - m->time, every = w->r.o->scan_interval;

	if (age < every)
		return false;
	return age >= WATCH_RESCAN_FACTOR * every ||
	       moved(obs->m[M_TW_COUNT], m->tw_count) ||
	       moved(obs->m[M_TCP_INUSE], m->tcp_inuse) ||
	       rose(obs->c.tw_overflows, m->c.tw_overflows) ||
	       rose(obs->c.syncookies_sent, m->c.syncookies_sent) ||
	       rose(obs->c.listen_overflows, m->c.listen_overflows);
}

/* The socket-level metrics: a new dump when due, else the last one. */
static void sockets(struct watch *w, struct wns *n)
{
	struct run *r = n->r;

	if (policy_needs_sockets(&r->pol) && !r->o->no_sockets &&
	    r->target.real_proc && scan_due(w, n)) {
		run_sockets(r);
		n->mark = (struct scan_mark){
			.time = w->now,
			.tw_count = r->obs.m[M_TW_COUNT],
			.tcp_inuse = r->obs.m[M_TCP_INUSE],
			.c = r->obs.c,
		};
		return;
	}
	if (!r->socks.collected && !r->socks.error[0])
		snprintf(r->socks.error, sizeof(r->socks.error),
			 "no socket scan yet");
	sockdiag_fill(&r->socks, &r->obs);
}

static bool cooling(const struct wns *n, const char *key, double now)
{
	for (size_t i = 0; i < n->n_cool; i++)
		if (strcmp(n->cool[i].key, key) == 0 && now < n->cool[i].until)
			return true;
	return false;
}

static void cool_down(struct watch *w, struct wns *n, const char *key,
		      double until)
{
	size_t keep = 0;

	/* forget the cooldowns that are over, so the list stays short */
	for (size_t i = 0; i < n->n_cool; i++) {
		if (n->cool[i].until > w->now)
			n->cool[keep++] = n->cool[i];
		else
			free(n->cool[i].key);
	}
	n->n_cool = keep;
	n->cool = xrealloc(n->cool, (n->n_cool + 1) * sizeof(*n->cool));
	n->cool[n->n_cool].key = xstrdup(key);
	n->cool[n->n_cool++].until = until;
}

/* The plan's changes that may go now into t (or, dry, be logged). */
static void take_plan(struct watch *w, struct wns *n, struct txn *t)
{
	const struct run *r = n->r;

	for (size_t i = 0; i < r->plan.n_changes; i++) {
		const struct plan_change *c = &r->plan.changes[i];

		if (cooling(n, c->key, w->now)) {
			log_info(
				"%s%s: would go %lld -> %lld, but twtune changed it less than %.0f s ago",
				n->label, c->key, c->from, c->to,
				WATCH_COOLDOWN);
			continue;
		}
		if (r->o->dry_run) {
			log_notice("%sdry run: %s %lld -> %lld [%s] %s",
				   n->label, c->key, c->from, c->to,
				   c->rule->id, c->reason);
			continue;
		}
		apply_add_planned(t, c, r->o->no_persist || r->no_persist);
	}
}

/*
 * Writes that keep failing (a read-only /proc/sys, a full audit file
 * system) are tried again less and less often, up to every
 * --scan-interval, and said once; a success ends it.
 */
static void back_off(struct watch *w, bool failed)
{
	double most = w->r.o->scan_interval, first = 2 * w->r.o->interval;

	if (!failed) {
		if (w->backoff > 0)
			log_notice("writes succeed again");
		w->backoff = 0;
		return;
	}
	if (w->backoff == 0)
		log_warn(
			"writes keep failing: trying again in %g s, then less often, up to every %g s",
			first < most ? first : most, most);
	w->backoff = w->backoff == 0 ? first : 2 * w->backoff;
	if (w->backoff > most)
		w->backoff = most;
	w->next_try = w->now + w->backoff;
}

/* Write t under the lock, in its own audited transaction. */
static void write_changes(struct watch *w, struct wns *n, struct txn *t)
{
	struct run *r = n->r;
	struct msgs said = { 0 };
	bool ran;
	int rc;

	if (w->backoff > 0 && w->now < w->next_try)
		return;
	rc = boundary_lock(&r->b, r->o, 0, true);
	if (rc == -EWOULDBLOCK) {
		log_warn(
			"another twtune holds the lock; trying again next tick");
		return;
	}
	if (rc < 0) {
		/* said by boundary_lock(); counts as a failed write */
		back_off(w, true);
		return;
	}
	/* a namespace's run carries the watch's pending cut, and back */
	r->cut_pending = w->r.cut_pending;
	rc = writer_transact(r, t, &said, &ran);
	w->r.cut_pending = r->cut_pending;
	for (size_t i = 0; i < said.n; i++)
		log_warn("%s%s", n->label, said.v[i]);
	if (rc == 0 && ran)
		log_notice("%srun %s: %zu change%s applied", n->label,
			   t->rec.run, t->rec.n_changes,
			   t->rec.n_changes == 1 ? "" : "s");
	for (size_t i = 0; i < t->rec.n_changes; i++) {
		const struct change *c = &t->rec.changes[i];

		if (!c->verified)
			continue;
		log_notice("%sapplied: %s %lld -> %lld [%s] %s", n->label,
			   c->key, c->before, c->after, c->rule, c->reason);
		cool_down(w, n, c->key, w->now + WATCH_COOLDOWN);
		/* its own write, whatever becomes of the state file */
		state_set_written(&w->unsaved, r->obs.netns,
				  r->obs.netns_cookie, c->key, c->after);
	}
	back_off(w, rc != 0);
	msgs_free(&said);
	boundary_unlock(&r->b);
}

/* Log advice when it starts to fire and when it stops, not every tick. */
static void log_advice(struct wns *ns)
{
	const struct plan *pl = &ns->r->plan;
	struct msgs now = { 0 };

	for (size_t i = 0; i < pl->n_advice; i++) {
		const struct plan_note *n = &pl->advice[i];

		if (!msgs_has(&ns->firing, n->rule->id))
			log_msg(n->severity == SEV_CRITICAL  ? LOG_CRIT
				: n->severity == SEV_WARNING ? LOG_WARNING
							     : LOG_NOTICE,
				"%sadvice [%s] %s: %s", ns->label,
				severity_names[n->severity], n->rule->id,
				n->text);
		msgs_addf(&now, "%s", n->rule->id);
	}
	for (size_t i = 0; i < ns->firing.n; i++)
		if (!msgs_has(&now, ns->firing.v[i]))
			log_notice("%sadvice %s no longer applies", ns->label,
				   ns->firing.v[i]);
	msgs_free(&ns->firing);
	ns->firing = now;
}

/*
 * Log each warning the observation and the run give when it first
 * appears, not at every tick.
 */
static void log_new_warnings(struct wns *n)
{
	const struct msgs *lists[] = { &n->r->obs.warnings, &n->r->warnings };
	struct msgs now = { 0 };

	for (size_t l = 0; l < ARRAY_SIZE(lists); l++)
		for (size_t i = 0; i < lists[l]->n; i++) {
			if (!msgs_has(&n->said, lists[l]->v[i]))
				log_warn("%s%s", n->label, lists[l]->v[i]);
			msgs_addf(&now, "%s", lists[l]->v[i]);
		}
	msgs_free(&n->said);
	n->said = now;
}

/* twtune's own writes, also when the state file could not take them */
static void take_unsaved(struct watch *w, struct run *r)
{
	for (size_t i = 0; i < w->unsaved.n_written; i++) {
		state_set_written(r->st, w->unsaved.written[i].netns,
				  w->unsaved.written[i].cookie,
				  w->unsaved.written[i].key,
				  w->unsaved.written[i].value);
		r->state_dirty = true;
	}
}

/*
 * One namespace, observed: its sockets, plan, the changes that are not
 * cooling down, its sample; its warnings and advice logged.
 */
static void act(struct watch *w, struct wns *n)
{
	struct run *r = n->r;
	struct txn t = { 0 };

	sockets(w, n);
	run_plan(r);
	for (size_t i = 0; i < r->plan.n_notes; i++)
		if (r->plan.notes[i].backoff)
			log_info("%s%s: %s", n->label,
				 r->plan.notes[i].rule->id,
				 r->plan.notes[i].text);
	if (r->plan.n_changes) {
		if (apply_init(&t, MODE_WATCH) < 0)
			log_err("no random run id; not applying");
		else
			take_plan(w, n, &t);
	}
	if (t.rec.n_changes)
		write_changes(w, n, &t);
	/* --all-netns saves once per tick, after every namespace */
	if (run_save_state(r, t.rec.n_changes ? &t : NULL) == 0 &&
	    !r->o->dry_run && !r->ns)
		state_free(&w->unsaved);
	if (r->o->dry_run) {
		struct baseline b;

		observe_to_baseline(&r->obs, &b, "state");
		state_add_sample(&w->mem, &b);
	}
	log_new_warnings(n);
	log_advice(n);
	apply_free(&t);
}

/* One tick: observe, plan, and apply what is not cooling down. */
static void tick(struct watch *w)
{
	struct run *r = &w->r;

	run_next(r);
	w->now = util_monotonic();
	if (run_observe(r, &w->mem) != 0) {
		log_err("observation failed; retrying next tick");
		return;
	}
	take_unsaved(w, r);
	act(w, &w->one);
}

static struct wns *find_ns(struct watch *w, const struct netns_entry *e)
{
	for (size_t i = 0; i < w->n_ns; i++)
		if (w->ns[i]->x.e.ino == e->ino && w->ns[i]->x.e.dev == e->dev)
			return w->ns[i];
	return NULL;
}

static void wns_free(struct wns *n)
{
	for (size_t i = 0; i < n->n_cool; i++)
		free(n->cool[i].key);
	free(n->cool);
	msgs_free(&n->said);
	msgs_free(&n->firing);
	if (n->r == &n->x.r)
		allns_run_free(&n->x);
}

/*
 * A namespace found for the first time: its view, opened inside it by
 * the opener, and its run.  NULL when it cannot be opened (said once).
 */
static struct wns *add_ns(struct watch *w, const struct netns_entry *e,
			  const struct msgs *keys)
{
	struct wns *n = xcalloc(1, sizeof(*n));
	int ret;

	allns_entry_copy(&n->x.e, e);
	n->x.view.diag = -1;
	for (int k = 0; k < NV_FILES; k++)
		n->x.view.net[k] = -1;
	ret = nsopen_view(&w->r.target.opener, &n->x.e,
			  (const char *const *)keys->v, keys->n,
			  !w->r.o->dry_run, allns_wants_dump(&w->r),
			  &n->x.view);
	if (ret < 0) {
		if (ret != -ENOENT)
			log_warn("network namespace %llu: cannot open: %s",
				 e->ino, strerror(-ret));
		nsview_close(&n->x.view);
		free(n->x.e.name);
		free(n->x.e.path);
		free(n);
		return NULL;
	}
	allns_run_init(&n->x, &w->r);
	n->r = &n->x.r;
	n->mark.time = -INFINITY;
	report_ns_prefix(&n->x.e, e->ino, n->label, sizeof(n->label));
	log_notice("%swatching network namespace %llu%s", n->label, e->ino,
		   n->r->no_persist ? " (live values only)" : "");
	w->ns = xrealloc(w->ns, (w->n_ns + 1) * sizeof(*w->ns));
	w->ns[w->n_ns++] = n;
	return n;
}

/* The view again, for the keys of reloaded policies. */
static void reopen(struct watch *w, struct wns *n)
{
	struct msgs keys = { 0 };

	n->reopen = false;
	if (allns_view_keys(&w->r, &keys) != 0) {
		msgs_free(&keys);
		return;
	}
	nsview_close(&n->x.view);
	if (nsopen_view(&w->r.target.opener, &n->x.e,
			(const char *const *)keys.v, keys.n, !w->r.o->dry_run,
			allns_wants_dump(&w->r), &n->x.view) < 0)
		log_warn("%scannot open it again after the reload", n->label);
	msgs_free(&keys);
}

/*
 * --all-netns: find the namespaces (new ones are added, gone ones
 * closed, so that none is kept alive by twtune), then each one's tick;
 * the state is read and written once.
 */
static void tick_all(struct watch *w)
{
	struct run *m = &w->r;
	struct netns_list l;
	struct msgs keys = { 0 }, warn = { 0 };
	unsigned long long *keep;
	const struct observation *host = NULL;
	char err[512];
	size_t k = 0;
	int ret;

	w->now = util_monotonic();
	if (nsopen_discover(&m->target.opener, &l, &warn) < 0) {
		log_err("cannot find the network namespaces; retrying next tick");
		msgs_free(&warn);
		return;
	}
	msgs_free(&warn);
	state_free(m->st);
	ret = state_load(m->o->state, m->st, err, sizeof(err));
	if (ret < 0 && ret != -ENOENT)
		log_warn("%s (ignored)", err);
	take_unsaved(w, m);
	for (size_t s = 0; s < w->mem.n_samples; s++)
		state_add_sample(m->st, &w->mem.samples[s]);
	for (size_t i = 0; i < w->n_ns; i++)
		w->ns[i]->seen = false;
	if (allns_view_keys(m, &keys) == 0)
		for (size_t i = 0; i < l.n; i++) {
			struct wns *n = find_ns(w, &l.v[i]);

			if (!n)
				n = add_ns(w, &l.v[i], &keys);
			if (n)
				n->seen = true;
		}
	msgs_free(&keys);
	netns_list_free(&l);
	keep = xcalloc(w->n_ns + 1, sizeof(*keep));
	for (size_t i = 0; i < w->n_ns; i++) {
		struct wns *n = w->ns[i];

		if (!n->seen) {
			log_notice("%sgone", n->label);
			wns_free(n);
			free(n);
			continue;
		}
		w->ns[k++] = n;
		keep[k - 1] = n->x.e.ino;
		plan_free(&n->r->plan);
		observe_free(&n->r->obs);
		msgs_free(&n->r->warnings);
		memset(&n->r->first, 0, sizeof(n->r->first));
		/* policies reloaded: the master's, and a view that holds
		 * every key they read */
		if (n->reopen) {
			n->r->pol = m->pol;
			reopen(w, n);
		}
		n->r->host = host;
		if (run_collect(n->r, &n->r->obs) != 0) {
			log_warn("%sobservation failed: %s", n->label,
				 n->r->error);
			observe_free(&n->r->obs);
			continue;
		}
		/* the host-wide values once a tick (plain values only) */
		if (!host) {
			w->host = n->r->obs;
			host = &w->host;
		}
		run_derive(n->r, NULL);
		act(w, n);
	}
	w->n_ns = k;
	state_keep_netns(m->st, keep, k);
	free(keep);
	if (!m->o->dry_run &&
	    state_save(m->o->state, m->st, err, sizeof(err)) == 0)
		state_free(&w->unsaved);
}

/*
 * Before the first tick, under the lock: check that the audit log can be
 * written (a watch that could never change anything fails at once),
 * close a run that was interrupted before this watch started, and adopt
 * the last run's values as twtune's own, as apply does; the first tick
 * plans from there.  Returns an exit code.
 */
static int recover_at_start(struct watch *w, struct msgs *said)
{
	struct run *r = &w->r;
	struct audit a = { .fd = -1 };
	int rc;

	/* a watch that could never persist what it changes fails now */
	if (!r->o->no_persist && !r->no_persist && r->b.persist_dfd < 0) {
		log_err("--sysctl-d %s: %s", r->o->persist_dir,
			strerror(r->b.persist_err));
		return EXIT_FAILED;
	}
	if (boundary_lock(&r->b, r->o, 0, true) < 0)
		return 0; /* another writer is at work: it does the same */
	recover_read_last(r->o->audit_log, &r->last, &r->torn);
	rc = writer_open_audit(r, &a);
	if (!rc && writer_recover(r, NULL, &a, said))
		r->cut_pending = 0; /* the closing record carries the cut */
	audit_close(&a);
	if (!rc && r->last.json && run_observe(r, NULL) == 0) {
		/* what this observation found (a state file refused, say)
		 * is said now: the file it saves below hides it from ticks */
		msgs_add_all(said, &r->obs.warnings);
		msgs_add_all(said, &r->warnings);
		run_save_state(r, NULL);
	}
	audit_record_free(&r->last);
	boundary_unlock(&r->b);
	return rc;
}

/*
 * Wait out one interval: SIGHUP reloads and the wait goes on for what is
 * left of it; a stop signal ends it.  Returns whether to stop.
 */
static bool wait_interval(struct watch *w, const sigset_t *set)
{
	struct timespec now, end;
	siginfo_t si;

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += (time_t)w->r.o->interval;
	end.tv_nsec +=
		(long)((w->r.o->interval - floor(w->r.o->interval)) * 1e9);
	if (end.tv_nsec >= 1000000000L) {
		end.tv_sec++;
		end.tv_nsec -= 1000000000L;
	}
	for (;;) {
		struct timespec left;
		int sig;

		clock_gettime(CLOCK_MONOTONIC, &now);
		left.tv_sec = end.tv_sec - now.tv_sec;
		left.tv_nsec = end.tv_nsec - now.tv_nsec;
		if (left.tv_nsec < 0) {
			left.tv_sec--;
			left.tv_nsec += 1000000000L;
		}
		if (left.tv_sec < 0)
			return false;
		sig = sigtimedwait(set, &si, &left);
		if (sig == SIGHUP) {
			run_reload(&w->r);
			/* the namespaces' runs held the old policies */
			for (size_t i = 0; i < w->n_ns; i++) {
				w->ns[i]->r->pol = w->r.pol;
				w->ns[i]->reopen = true;
			}
			continue;
		}
		if (sig > 0) {
			log_notice("signal %d: stopping", sig);
			return true;
		}
		if (errno != EINTR)
			return false; /* EAGAIN: the interval is over */
	}
}

int cmd_watch(const struct options *o, int argc, char **argv)
{
	struct watch w = { .one = { .mark = { .time = -INFINITY } } };
	struct run *r = &w.r;
	struct msgs said = { 0 };
	sigset_t set;
	int rc;

	(void)argc;
	(void)argv;
	w.one.r = r;
	/* signals are taken only while waiting: a tick is never cut short */
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGQUIT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	/* before the sandbox: syslog's socket must exist by then */
	log_open_syslog();
	rc = run_start(r, o, "watch", o->dry_run ? ROLE_READER : ROLE_WRITER);
	/* --reclaim is apply's: a daemon never overrides an administrator */
	r->no_reclaim = true;
	if (!rc)
		rc = run_policies(r);
	if (!rc && !o->dry_run)
		rc = recover_at_start(&w, &said);
	if (rc)
		goto out;
	/* from here on a daemon: syslog, and standard error with -v */
	log_daemon(o->verbose > 0);
	for (size_t i = 0; i < said.n; i++)
		log_warn("%s", said.v[i]);
	for (size_t i = 0; i < r->pol.warnings.n; i++)
		log_warn("%s", r->pol.warnings.v[i]);
	log_notice(
		"watching%s%s every %g s, socket scans at most every %g s, %zu rules%s; sandbox: %s",
		o->all_netns ? " every network namespace"
		: o->netns   ? " network namespace "
			     : "",
		o->netns ? o->netns : "", o->interval, o->scan_interval,
		r->pol.n_rules, o->dry_run ? ", dry run" : "",
		r->b.sandbox.text);
	do
		if (o->all_netns)
			tick_all(&w);
		else
			tick(&w);
	while (!wait_interval(&w, &set));
out:
	wns_free(&w.one);
	for (size_t i = 0; i < w.n_ns; i++) {
		wns_free(w.ns[i]);
		free(w.ns[i]);
	}
	free(w.ns);
	state_free(&w.mem);
	state_free(&w.unsaved);
	msgs_free(&said);
	run_free(r);
	return rc;
}
