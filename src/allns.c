// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * --all-netns; see allns.h.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "allns.h"
#include "commands.h"
#include "log.h"

void allns_entry_copy(struct netns_entry *dst, const struct netns_entry *src)
{
	*dst = *src;
	dst->name = src->name ? xstrdup(src->name) : NULL;
	dst->path = xstrdup(src->path);
}

/*
 * A namespace's run: the master's, sharing what is the command's (options,
 * policies, boundary, state, target), with nothing of its own yet.
 */
void allns_run_init(struct nsrun *x, const struct run *m)
{
	struct run *r = &x->r;

	*r = *m;
	memset(&r->obs, 0, sizeof(r->obs));
	memset(&r->first, 0, sizeof(r->first));
	memset(&r->socks, 0, sizeof(r->socks));
	memset(&r->plan, 0, sizeof(r->plan));
	memset(&r->shadows, 0, sizeof(r->shadows));
	memset(&r->warnings, 0, sizeof(r->warnings));
	memset(&r->last, 0, sizeof(r->last));
	memset(&r->txn, 0, sizeof(r->txn));
	memset(&r->st_own, 0, sizeof(r->st_own));
	r->txn_used = r->observed = r->state_dirty = false;
	r->cut_pending = 0;
	r->error[0] = '\0';
	r->view = &x->view;
	r->ns = &x->e;
	r->no_persist = run_persist_elsewhere(m, x->e.ino, &x->e);
}

/* What a namespace holds of its own: freed, never the master's. */
void allns_run_free(struct nsrun *x)
{
	struct run *r = &x->r;

	plan_free(&r->plan);
	observe_free(&r->obs);
	shadow_free(&r->shadows);
	sockdiag_free(&r->socks);
	msgs_free(&r->warnings);
	apply_free(&r->txn);
	nsview_close(&x->view);
	free(x->e.name);
	free(x->e.path);
}

/* Sleep seconds, whatever signals arrive meanwhile. */

#define SAMPLE_WATCHED 64

/* A table at least half full, or a limit of 0 or below (not derived yet:
 * from the raw counts); with the counter to watch. */
static bool near_overflow(const struct observation *o)
{
	double tw = o->m[M_TW_COUNT], max = o->m[M_TW_MAX];

	return o->kernel.counter && !isnan(max) && (max <= 0 || tw >= max / 2);
}

/*
 * One sample for all: the first observation of each namespace becomes
 * its baseline, and a second one follows seconds later.  With no rate to
 * measure (no counter) a namespace keeps its first observation.
 */
static void sample_all(struct allns *a, double seconds)
{
	struct run_burst *b = xcalloc(a->n + 1, sizeof(*b));
	bool *watched = xcalloc(a->n + 1, sizeof(*watched));
	double start = util_monotonic(), end = start + seconds, now, v;
	size_t n_watched = 0;

	for (size_t i = 0; i < a->n; i++) {
		struct run *r = &a->v[i].r;

		if (!a->v[i].ok)
			continue;
		observe_to_baseline(&r->obs, &r->first, "sample");
		/*
		 * The counter is watched where an overflow is near: a table
		 * at least half full (a burst that fills more in 2 s is
		 * rare), and in at most SAMPLE_WATCHED namespaces, for the
		 * cost of a poll.
		 */
		if (near_overflow(&r->obs) && n_watched < SAMPLE_WATCHED) {
			watched[i] = true;
			n_watched++;
			run_burst_start(&b[i], r->obs.c.tw_overflows);
		}
	}
	while ((now = util_monotonic()) < end) {
		run_nap(!n_watched		      ? end - now
			: end - now < RUN_SAMPLE_POLL ? end - now
						      : RUN_SAMPLE_POLL);
		for (size_t i = 0; i < a->n; i++)
			if (watched[i] && observe_overflow_counter_view(
						  a->v[i].r.target.procfd,
						  a->v[i].r.view, &v) == 0)
				run_burst_see(&b[i], v,
					      util_monotonic() - start);
	}
	for (size_t i = 0; i < a->n; i++) {
		struct nsrun *x = &a->v[i];

		if (!x->ok)
			continue;
		observe_free(&x->r.obs);
		if (run_collect(&x->r, &x->r.obs) != 0) {
			x->ok = false;
			observe_free(&x->r.obs);
			continue;
		}
		x->r.obs.burst = watched[i] ? run_burst_length(&b[i]) : NAN;
	}
	free(watched);
	free(b);
}

/* The sysctls every namespace's view must hold: the report's, the policies'. */
int allns_view_keys(const struct run *m, struct msgs *keys)
{
	struct msgs pk = { 0 };

	policy_sysctl_keys(&m->pol, &pk);
	observe_keys((const char *const *)pk.v, pk.n, keys);
	msgs_free(&pk);
	if (keys->n > NSVIEW_KEYS_MAX) {
		log_err("--all-netns: the policies read %zu sysctls, more than the %d a namespace's view holds",
			keys->n, NSVIEW_KEYS_MAX);
		return EX_DATAERR;
	}
	return 0;
}

/* Whether the socket dump is wanted at all (as run_sockets() decides). */
bool allns_wants_dump(const struct run *m)
{
	if (m->o->no_sockets || !policy_needs_sockets(&m->pol))
		return false;
	return !(m->o->format == FORMAT_PROMETHEUS && !m->o->sockets);
}

/*
 * Since 4.11 every namespace has the same net.ipv4 sysctls: one the first
 * namespace lacks (tcp_tw_recycle from 4.12, another kernel's keys) is not
 * looked up in the others, where it would only fail again.  (Before,
 * a child namespace lacks keys the initial one has: nothing is dropped.)
 */
static void drop_absent(struct msgs *keys, const struct observation *o)
{
	size_t k = 0;

	if (o->kernel.per_netns != 1)
		return;
	for (size_t i = 0; i < keys->n; i++) {
		const struct sysctl_obs *s = observe_sysctl(o, keys->v[i]);

		if (s && !s->exists)
			free(keys->v[i]);
		else
			keys->v[k++] = keys->v[i];
	}
	keys->n = k;
}

int allns_evaluate(struct run *m, struct allns *a, bool write)
{
	struct netns_list l;
	struct msgs keys = { 0 };
	char state_err[512];
	bool dump = allns_wants_dump(m), need = false, asked = false;
	int asked_ret = 0;
	const struct observation *host = NULL;
	double seconds = 0;
	int rc, ret;

	memset(a, 0, sizeof(*a));
	ret = nsopen_discover(&m->target.opener, &l, &a->warnings);
	if (ret < 0) {
		log_err("--all-netns: cannot find the network namespaces: %s",
			strerror(-ret));
		return EXIT_FAILED;
	}
	rc = allns_view_keys(m, &keys);
	if (rc) {
		netns_list_free(&l);
		return rc;
	}
	/* the state once for all: the namespaces share the file */
	ret = state_load(m->o->state, m->st, state_err, sizeof(state_err));
	if (ret < 0 && ret != -ENOENT)
		msgs_addf(&a->warnings, "%s (ignored)", state_err);
	/* an older file's writes: most likely the host's */
	state_adopt(m->st, m->target.pid1_netns ? m->target.pid1_netns
						: m->target.netns_ino);
	a->v = xcalloc(l.n + 1, sizeof(*a->v));
	a->n = l.n;
	for (size_t i = 0; i < l.n; i++) {
		struct nsrun *x = &a->v[i];

		allns_entry_copy(&x->e, &l.v[i]);
		x->view.diag = -1;
		for (int k = 0; k < NV_FILES; k++)
			x->view.net[k] = -1;
		allns_run_init(x, m);
		/* asked already, while the one before was read; else now */
		ret = asked ? asked_ret
			    : nsopen_view_ask(&m->target.opener, &l.v[i],
					      (const char *const *)keys.v,
					      keys.n, write, dump);
		if (!ret)
			ret = nsopen_view_take(&m->target.opener, &x->e,
					       (const char *const *)keys.v,
					       keys.n, &x->view);
		/*
		 * The opener opens the next namespace while this one is read
		 * (once the first has settled which keys to ask for).
		 */
		asked = i > 0 && i + 1 < l.n;
		if (asked)
			asked_ret = nsopen_view_ask(&m->target.opener,
						    &l.v[i + 1],
						    (const char *const *)keys.v,
						    keys.n, write, dump);
		if (ret < 0) {
			snprintf(x->r.error, sizeof(x->r.error), "%s",
				 ret == -ENOENT ? "gone since it was found"
						: strerror(-ret));
			continue;
		}
		x->r.host = host;
		x->ok = run_collect(&x->r, &x->r.obs) == 0;
		if (!x->ok)
			observe_free(&x->r.obs);
		else
			need |= run_wants_baseline(&x->r);
		/* memory, slab and kernel: read for the first one only (its
		 * plain values; nothing it points to is used) */
		if (x->ok && !host) {
			a->host = x->r.obs;
			host = &a->host;
			drop_absent(&keys, &x->r.obs);
		}
	}
	netns_list_free(&l);
	msgs_free(&keys);
	if (m->o->sample > 0)
		seconds = m->o->sample;
	else if (need && !m->o->no_auto_sample)
		seconds = 2.0;
	if (seconds > 0) {
		if (m->o->sample <= 0 && isatty(STDERR_FILENO))
			log_notice(
				"no baseline yet: observing every namespace for %g s to count overflows (--no-auto-sample skips this)",
				seconds);
		sample_all(a, seconds);
	}
	for (size_t i = 0; i < a->n; i++) {
		struct nsrun *x = &a->v[i];

		if (!x->ok)
			continue;
		run_derive(&x->r, &x->r.first);
		run_assess(&x->r);
	}
	return 0;
}

void allns_save_state(struct run *m, struct allns *a)
{
	unsigned long long *keep = xcalloc(a->n + 1, sizeof(*keep));
	char err[512];
	size_t n = 0;

	if (m->o->dry_run) {
		free(keep);
		return;
	}
	for (size_t i = 0; i < a->n; i++) {
		struct nsrun *x = &a->v[i];

		keep[n++] = x->e.ino;
		if (x->ok)
			run_save_state(&x->r, x->r.txn_used ? &x->r.txn : NULL);
	}
	/* the namespaces that are gone: their samples and writes go too */
	state_keep_netns(m->st, keep, n);
	if (state_save(m->o->state, m->st, err, sizeof(err)) < 0)
		msgs_addf(&a->warnings, "%s (deltas need it; not fatal)", err);
	free(keep);
}

int allns_exit(const struct run *m, const struct allns *a)
{
	bool changes = false, attention = false, failed = false;

	if (m->o->format == FORMAT_PROMETHEUS)
		return 0;
	for (size_t i = 0; i < a->n; i++) {
		const struct nsrun *x = &a->v[i];
		int rc;

		if (!x->ok)
			continue;
		if (x->r.txn_used && x->r.txn.rec.result != RESULT_OK)
			failed = true;
		rc = run_exit(&x->r);
		changes |= rc == EXIT_CHANGES;
		attention |= rc == EXIT_ATTENTION;
	}
	if (failed)
		return EXIT_FAILED;
	if (changes)
		return m->o->format == FORMAT_SALT ? 0 : EXIT_CHANGES;
	return attention ? EXIT_ATTENTION : 0;
}

/* -q: a line for each namespace that needs someone, with its advice. */
static void quiet_all(FILE *f, const struct report *reps,
		      const unsigned long long *inos, size_t n)
{
	size_t shown = 0;
	char label[128];

	for (size_t i = 0; i < n; i++) {
		const struct report *r = &reps[i];

		if (r->obs && report_status(r->obs, r->plan) == VERDICT_OK &&
		    !r->plan->n_changes && !r->txn)
			continue;
		report_ns_label(r->ns, inos[i], label, sizeof(label));
		fprintf(f, "%s: ", label);
		if (r->obs)
			report_quiet(f, r);
		else
			fprintf(f, "not read: %s\n", r->error);
		shown++;
	}
	if (!shown)
		fprintf(f, "OK: all %zu network namespaces\n", n);
}

static void render(const struct run *m, FILE *f, void *arg)
{
	const struct allns *a = arg;
	struct report *reps = xcalloc(a->n + 1, sizeof(*reps));
	unsigned long long *inos = xcalloc(a->n + 1, sizeof(*inos));
	char *next = options_command_line(m->o, "apply");
	json_t *j;

	for (size_t i = 0; i < a->n; i++) {
		const struct nsrun *x = &a->v[i];

		run_report(&x->r, &reps[i]);
		reps[i].ns = &x->e;
		reps[i].next = next;
		inos[i] = x->e.ino;
		if (!x->ok) {
			reps[i].obs = NULL;
			reps[i].error = x->r.error[0] ? x->r.error : "not read";
		}
	}
	switch (m->o->format) {
	case FORMAT_JSON:
	case FORMAT_SALT:
		j = report_all_json(reps, inos, a->n, &a->warnings);
		json_dumpf(j, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', f);
		json_decref(j);
		break;
	case FORMAT_PROMETHEUS: {
		/* the unread have nothing to show */
		size_t k = 0;

		for (size_t i = 0; i < a->n; i++)
			if (reps[i].obs)
				reps[k++] = reps[i];
		report_all_prometheus(f, reps, k);
		break;
	}
	case FORMAT_TEXT:
		if (m->o->quiet)
			quiet_all(f, reps, inos, a->n);
		else
			report_all_text(f, reps, inos, a->n, &a->warnings,
					m->o->verbose > 0);
		break;
	}
	free(reps);
	free(inos);
	free(next);
}

int allns_output(struct run *m, struct allns *a)
{
	return run_write_arg(m, render, a);
}

void allns_free(struct allns *a)
{
	for (size_t i = 0; i < a->n; i++)
		allns_run_free(&a->v[i]);
	free(a->v);
	msgs_free(&a->warnings);
	memset(a, 0, sizeof(*a));
}
