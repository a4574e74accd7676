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

struct watch {
	struct run r;
	struct state mem;     /* samples kept in memory (--dry-run) */
	struct state unsaved; /* twtune's writes the state file lacks */
	struct cooldown *cool;
	size_t n_cool;
	struct scan_mark mark;
	double now;	      /* this tick, CLOCK_MONOTONIC seconds */
	double backoff;	      /* seconds between tries of failing writes */
	double next_try;      /* no write before this (monotonic) */
	struct msgs said;     /* warnings logged at the last tick */
	struct msgs firing;   /* advice rules firing at the last tick */
};

/*
 * Intervals (cooldown, scans, back-off) run on the monotonic clock: a
 * step of the wall clock must not stretch or skip them.
 */
static double monotonic(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return util_timespec_seconds(&ts);
}

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
static bool scan_due(const struct watch *w)
{
	const struct observation *obs = &w->r.obs;
	const struct scan_mark *m = &w->mark;
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
static void sockets(struct watch *w)
{
	struct run *r = &w->r;

	if (policy_needs_sockets(&r->pol) && !r->o->no_sockets &&
	    r->target.real_proc && scan_due(w)) {
		run_sockets(r);
		w->mark = (struct scan_mark){
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

static bool cooling(const struct watch *w, const char *key, double now)
{
	for (size_t i = 0; i < w->n_cool; i++)
		if (strcmp(w->cool[i].key, key) == 0 && now < w->cool[i].until)
			return true;
	return false;
}

static void cool_down(struct watch *w, const char *key, double until)
{
	size_t keep = 0;

	/* forget the cooldowns that are over, so the list stays short */
	for (size_t i = 0; i < w->n_cool; i++) {
		if (w->cool[i].until > w->now)
			w->cool[keep++] = w->cool[i];
		else
			free(w->cool[i].key);
	}
	w->n_cool = keep;
	w->cool = xrealloc(w->cool, (w->n_cool + 1) * sizeof(*w->cool));
	w->cool[w->n_cool].key = xstrdup(key);
	w->cool[w->n_cool++].until = until;
}

/* The plan's changes that may go now into t (or, dry, be logged). */
static void take_plan(struct watch *w, struct txn *t)
{
	const struct run *r = &w->r;

	for (size_t i = 0; i < r->plan.n_changes; i++) {
		const struct plan_change *c = &r->plan.changes[i];

		if (cooling(w, c->key, w->now)) {
			log_info("%s: would go %lld -> %lld, but twtune "
				 "changed it less than %.0f s ago",
				 c->key, c->from, c->to, WATCH_COOLDOWN);
			continue;
		}
		if (r->o->dry_run) {
			log_notice("dry run: %s %lld -> %lld [%s] %s", c->key,
				   c->from, c->to, c->rule->id, c->reason);
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
		log_warn("writes keep failing: trying again in %g s, then less "
			 "often, up to every %g s",
			 first < most ? first : most, most);
	w->backoff = w->backoff == 0 ? first : 2 * w->backoff;
	if (w->backoff > most)
		w->backoff = most;
	w->next_try = w->now + w->backoff;
}

/* Write t under the lock, in its own audited transaction. */
static void write_changes(struct watch *w, struct txn *t)
{
	struct run *r = &w->r;
	struct msgs said = { 0 };
	bool ran;
	int rc;

	if (w->backoff > 0 && w->now < w->next_try)
		return;
	if (boundary_lock(&r->b, r->o, 0, true) < 0) {
		log_warn("another twtune holds the lock; trying again next "
			 "tick");
		return;
	}
	rc = writer_transact(r, t, &said, &ran);
	for (size_t i = 0; i < said.n; i++)
		log_warn("%s", said.v[i]);
	if (rc == 0 && ran)
		log_notice("run %s: %zu change%s applied", t->rec.run,
			   t->rec.n_changes, t->rec.n_changes == 1 ? "" : "s");
	for (size_t i = 0; i < t->rec.n_changes; i++) {
		const struct change *c = &t->rec.changes[i];

		if (!c->verified)
			continue;
		log_notice("applied: %s %lld -> %lld [%s] %s", c->key,
			   c->before, c->after, c->rule, c->reason);
		cool_down(w, c->key, w->now + WATCH_COOLDOWN);
		/* its own write, whatever becomes of the state file */
		state_set_written(&w->unsaved, r->obs.netns, c->key, c->after);
	}
	back_off(w, rc != 0);
	msgs_free(&said);
	boundary_unlock(&r->b);
}

/* Log advice when it starts to fire and when it stops, not every tick. */
static void log_advice(struct watch *w)
{
	const struct plan *pl = &w->r.plan;
	struct msgs now = { 0 };

	for (size_t i = 0; i < pl->n_advice; i++) {
		const struct plan_note *n = &pl->advice[i];

		if (!msgs_has(&w->firing, n->rule->id))
			log_msg(n->severity == SEV_CRITICAL  ? LOG_CRIT
				: n->severity == SEV_WARNING ? LOG_WARNING
							     : LOG_NOTICE,
				"advice [%s] %s: %s", severity_names[n->severity],
				n->rule->id, n->text);
		msgs_addf(&now, "%s", n->rule->id);
	}
	for (size_t i = 0; i < w->firing.n; i++)
		if (!msgs_has(&now, w->firing.v[i]))
			log_notice("advice %s no longer applies",
				   w->firing.v[i]);
	msgs_free(&w->firing);
	w->firing = now;
}

/*
 * Log each warning the observation and the run give when it first
 * appears, not at every tick.
 */
static void log_new_warnings(struct watch *w)
{
	const struct msgs *lists[] = { &w->r.obs.warnings, &w->r.warnings };
	struct msgs now = { 0 };

	for (size_t l = 0; l < ARRAY_SIZE(lists); l++)
		for (size_t i = 0; i < lists[l]->n; i++) {
			if (!msgs_has(&w->said, lists[l]->v[i]))
				log_warn("%s", lists[l]->v[i]);
			msgs_addf(&now, "%s", lists[l]->v[i]);
		}
	msgs_free(&w->said);
	w->said = now;
}

/* One tick: observe, plan, and apply what is not cooling down. */
static void tick(struct watch *w)
{
	struct run *r = &w->r;
	struct txn t = { 0 };

	run_next(r);
	w->now = monotonic();
	if (run_observe(r, &w->mem) != 0) {
		log_err("observation failed; retrying next tick");
		return;
	}
	/* twtune's own writes, also when the state file could not take them */
	for (size_t i = 0; i < w->unsaved.n_written; i++) {
		state_set_written(r->st, w->unsaved.written[i].netns,
				  w->unsaved.written[i].key,
				  w->unsaved.written[i].value);
		r->state_dirty = true;
	}
	sockets(w);
	run_plan(r);
	for (size_t i = 0; i < r->plan.n_notes; i++)
		if (r->plan.notes[i].backoff)
			log_info("%s: %s", r->plan.notes[i].rule->id,
				 r->plan.notes[i].text);
	if (r->plan.n_changes) {
		if (apply_init(&t, MODE_WATCH) < 0)
			log_err("no random run id; not applying");
		else
			take_plan(w, &t);
	}
	if (t.rec.n_changes)
		write_changes(w, &t);
	if (run_save_state(r, t.rec.n_changes ? &t : NULL) == 0 &&
	    !r->o->dry_run)
		state_free(&w->unsaved);
	if (r->o->dry_run) {
		struct baseline b;

		observe_to_baseline(&r->obs, &b, "state");
		state_add_sample(&w->mem, &b);
	}
	log_new_warnings(w);
	log_advice(w);
	apply_free(&t);
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
	if (!rc && r->last.json && run_observe(r, NULL) == 0)
		run_save_state(r, NULL);
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
	struct watch w = { .mark = { .time = -INFINITY } };
	struct run *r = &w.r;
	struct msgs said = { 0 };
	sigset_t set;
	int rc;

	(void)argc;
	(void)argv;
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
	log_notice("watching%s%s every %g s, socket scans at most every %g s, "
		   "%zu rules%s; sandbox: %s",
		   o->netns ? " network namespace " : "",
		   o->netns ? o->netns : "", o->interval, o->scan_interval,
		   r->pol.n_rules, o->dry_run ? ", dry run" : "",
		   r->b.sandbox.text);
	do
		tick(&w);
	while (!wait_interval(&w, &set));
out:
	for (size_t i = 0; i < w.n_cool; i++)
		free(w.cool[i].key);
	free(w.cool);
	state_free(&w.mem);
	state_free(&w.unsaved);
	msgs_free(&w.said);
	msgs_free(&w.firing);
	msgs_free(&said);
	run_free(r);
	return rc;
}
