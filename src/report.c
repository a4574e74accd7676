// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Report rendering.  The text form is for a person at a terminal who has
 * just seen "time wait bucket table overflow": the first line answers
 * "is this host overflowing?", the rest explains and proposes.  The JSON
 * form carries the same facts under the stable metric names of twtune(8).
 */
#include "config.h"

#include <arpa/inet.h>
#include <math.h>
#include <time.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "tunables.h"
#include "util.h"
#include "why.h"

static void row(FILE *f, const char *label, const char *value);
static json_t *sockets_json(const struct report *r);
static json_t *top_peers_json(const struct report *r);
static void why_text(FILE *f, const struct report *r, bool verbose);
static json_t *causes_json(const struct report *r, json_t **why);
static void prom_causes(FILE *f, const struct report *r, const char *labels);

static json_t *num(double v)
{
	if (isnan(v))
		return json_null();
	if (v == floor(v) && fabs(v) < 9e15)
		return json_integer((json_int_t)v);
	return json_real(v);
}

static const char *fmt(double v, char *buf, size_t len)
{
	util_fmt_num(v, buf, len);
	return buf;
}

const char *const verdict_names[] = {
	[VERDICT_OK] = "ok",
	[VERDICT_OVERFLOWING] = "overflowing",
	[VERDICT_FULL] = "full",
	[VERDICT_ATTENTION] = "attention",
};

enum verdict report_status(const struct observation *o, const struct plan *pl)
{
	enum verdict v = report_verdict(o);

	return v == VERDICT_OK && plan_has_critical(pl) ? VERDICT_ATTENTION : v;
}

enum verdict report_verdict(const struct observation *o)
{
	double d = o->m[M_TW_OVERFLOW_DELTA];

	if (!isnan(d) && d > 0)
		return VERDICT_OVERFLOWING;
	/* a kernel that only logs: a full table with messages this boot */
	if (!o->kernel.counter && o->m[M_TW_SATURATED] == 1 &&
	    o->m[M_TW_OVERFLOW_LOG_LINES] > 0)
		return VERDICT_OVERFLOWING;
	if (!o->tw_max_unlimited && o->m[M_TW_RATIO] >= 0.95)
		return VERDICT_FULL;
	return VERDICT_OK;
}

/* A time of the kernel log, local, to the second. */
static const char *when(double t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (isnan(t) || !localtime_r(&tt, &tm) ||
	    !strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(buf, len, "unknown");
	return buf;
}

/* "X of Y buckets", or what the limit is when it is not a number. */
static const char *table_text(const struct observation *o, char *buf,
			      size_t len)
{
	char a[32], b[32];
	double tw = o->m[M_TW_COUNT], max = o->m[M_TW_MAX];

	if (isnan(max))
		snprintf(
			buf, len,
			"%s TIME_WAIT sockets; no tcp_max_tw_buckets in this network namespace",
			fmt(tw, a, sizeof(a)));
	else if (max < 0 && !o->tw_max_unlimited)
		snprintf(
			buf, len,
			"%s TIME_WAIT sockets; tcp_max_tw_buckets %s admits none on a kernel before 5.18",
			fmt(tw, a, sizeof(a)), fmt(max, b, sizeof(b)));
	else
		snprintf(buf, len, "%s of %s buckets in use",
			 fmt(tw, a, sizeof(a)), fmt(max, b, sizeof(b)));
	return buf;
}

/* The kernel log's word, for a kernel without the counter. */
static const char *log_text(const struct observation *o, char *buf, size_t len)
{
	const struct kernel_model *k = &o->kernel;
	char a[32], b[32], t1[32], t2[32];

	if (k->counter || !k->log_tried)
		snprintf(buf, len, "%s", "");
	else if (!k->log.readable)
		snprintf(buf, len, "no kernel log readable (%s)", k->log_error);
	else if (!k->log.lines)
		snprintf(buf, len,
			 "no overflow message in this boot's kernel log");
	else
		snprintf(
			buf, len,
			"this boot's kernel log has %s overflow messages (up to %s more suppressed), %s to %s%s%s%s",
			fmt((double)k->log.lines, a, sizeof(a)),
			fmt((double)k->log.suppressed, b, sizeof(b)),
			when(k->log.first, t1, sizeof(t1)),
			when(k->log.last, t2, sizeof(t2)),
			k->log.ctid[0] ? "; containers: CT" : "", k->log.ctid,
			k->log.ctid_mixed ? " and others" : "");
	return buf;
}

static char *table_line(const struct observation *o)
{
	char a[32], b[32], c[32], f[32], t[200], l[400];
	double tw = o->m[M_TW_COUNT], max = o->m[M_TW_MAX];

	table_text(o, t, sizeof(t));
	log_text(o, l, sizeof(l));
	switch (report_verdict(o)) {
	case VERDICT_OVERFLOWING:
		if (!o->kernel.counter)
			return xasprintf(
				"OVERFLOWING: the TIME_WAIT table is full (%s) and %s",
				t, l);
		/* a burst is told as one: its rate while it lasted */
		if (o->burst > 0 && o->burst < o->window / 2)
			return xasprintf(
				"OVERFLOWING: %s TIME_WAIT overflows in a %s s burst within the last %s s (%s/s while it lasted); %s",
				fmt(o->m[M_TW_OVERFLOW_DELTA], a, sizeof(a)),
				fmt(round(o->burst * 10) / 10, f, sizeof(f)),
				fmt(round(o->window * 100) / 100, b, sizeof(b)),
				fmt(round(o->m[M_TW_OVERFLOW_DELTA] / o->burst),
				    c, sizeof(c)),
				t);
		return xasprintf(
			"OVERFLOWING: %s TIME_WAIT overflows in the last %s s (%s/s); %s",
			fmt(o->m[M_TW_OVERFLOW_DELTA], a, sizeof(a)),
			fmt(round(o->window * 100) / 100, b, sizeof(b)),
			fmt(round(o->m[M_TW_OVERFLOW_RATE] * 10) / 10, c,
			    sizeof(c)),
			t);
	case VERDICT_FULL:
		if (!o->kernel.counter)
			return xasprintf(
				"AT RISK: the TIME_WAIT table is full (%s); %s",
				t, l);
		if (isnan(o->window))
			return xasprintf(
				"AT RISK: the TIME_WAIT table is full (%s); no baseline yet to count overflows (run again, or use --sample 10)",
				t);
		return xasprintf(
			"AT RISK: the TIME_WAIT table is full (%s), no overflow in the last %s s",
			t, fmt(round(o->window * 100) / 100, c, sizeof(c)));
	case VERDICT_OK:
	default:
		if (o->tw_max_unlimited)
			return xasprintf(
				"OK: no TIME_WAIT overflow possible (tcp_max_tw_buckets %s: unlimited); %s TIME_WAIT sockets",
				fmt(max, a, sizeof(a)), fmt(tw, b, sizeof(b)));
		if (isnan(max))
			return xasprintf(
				"OK: not overflowing in this network namespace (%s: before Linux 4.11 the table and its count are the host's)",
				t);
		return xasprintf(
			"OK: not overflowing (%s, %s%%)%s%s", t,
			fmt(round(o->m[M_TW_RATIO] * 1000) / 10, c, sizeof(c)),
			l[0] ? "; "
			: isnan(o->m[M_TW_OVERFLOW_DELTA])
				? "; no baseline for overflow counts yet"
				: "",
			l);
	}
}

char *report_verdict_line(const struct observation *o, const struct plan *pl)
{
	char *line = table_line(o), *out;
	struct strbuf ids = { 0 };

	if (report_status(o, pl) != VERDICT_ATTENTION)
		return line;
	/* the table is fine, the host is not: that comes first */
	for (size_t i = 0; i < pl->n_advice; i++)
		if (pl->advice[i].severity == SEV_CRITICAL)
			strbuf_addf(&ids, "%s%s", ids.len ? ", " : "",
				    pl->advice[i].rule->id);
	out = xasprintf("ATTENTION: critical advice from %s; TIME_WAIT %s",
			ids.s, strncmp(line, "OK: ", 4) == 0 ? line + 4 : line);
	strbuf_free(&ids);
	free(line);
	return out;
}

json_t *report_observations_json(const struct observation *o)
{
	json_t *j = json_object();

	for (int i = 0; i < METRIC_COUNT; i++)
		json_object_set_new(j, metric_names[i], num(o->m[i]));
	return j;
}

static json_t *sysctls_json(const struct observation *o,
			    const struct shadows *sh)
{
	json_t *j = json_object();

	for (size_t i = 0; i < o->n_sysctls; i++) {
		const struct sysctl_obs *s = &o->sysctls[i];
		const struct shadow *w = shadow_find(sh, s->key);
		json_t *e = json_pack(
			"{s:b, s:o, s:o}", "exists", s->exists, "value",
			s->is_int ? json_integer(s->ival) : json_null(), "raw",
			s->raw ? json_string(s->raw) : json_null());

		/* only for keys twtune manages: where boot would undo it */
		if (w) {
			json_t *by = json_array();

			for (size_t k = 0; k < w->n_hits; k++)
				json_array_append_new(
					by, json_pack("{s:s, s:i, s:s}", "file",
						      w->hits[k].file, "line",
						      w->hits[k].line, "value",
						      w->hits[k].value));
			json_object_set_new(e, "shadowed_by", by);
		}
		json_object_set_new(j, s->key, e);
	}
	return j;
}

static json_t *notes_json(const struct plan_note *n, size_t count)
{
	json_t *a = json_array();

	for (size_t i = 0; i < count; i++)
		json_array_append_new(
			a, json_pack("{s:s, s:s, s:s}", "rule", n[i].rule->id,
				     "severity", severity_names[n[i].severity],
				     "text", n[i].text));
	return a;
}

static json_t *strings_json(const struct msgs *m)
{
	json_t *a = json_array();

	for (size_t i = 0; m && i < m->n; i++)
		json_array_append_new(a, json_string(m->v[i]));
	return a;
}

json_t *report_json(const struct report *r)
{
	const struct observation *o = r->obs;
	const struct plan *pl = r->plan;
	json_t *j, *plan = json_array(), *und = json_array(),
		   *ovr = json_array(), *files = json_array(), *warn;
	char *line = report_verdict_line(o, pl);

	for (size_t i = 0; i < pl->n_changes; i++) {
		const struct plan_change *c = &pl->changes[i];

		json_t *e = json_pack("{s:s, s:I, s:I, s:s, s:s, s:b}", "key",
				      c->key, "from", (json_int_t)c->from, "to",
				      (json_int_t)c->to, "rule", c->rule->id,
				      "reason", c->reason, "persist",
				      c->persist);

		/* a raise at its known lower bound, and what was unknown */
		if (c->at_least)
			json_object_set_new(e, "at_least",
					    json_string(c->at_least));
		json_array_append_new(plan, e);
	}
	for (size_t i = 0; i < pl->n_undecided; i++)
		json_array_append_new(
			und,
			json_pack("{s:s, s:o}", "rule",
				  pl->undecided[i].rule->id, "missing",
				  strings_json(&pl->undecided[i].missing)));
	for (size_t i = 0; i < pl->n_overridden; i++)
		json_array_append_new(ovr,
				      json_pack("{s:s, s:s, s:s}", "rule",
						pl->overridden[i].rule->id,
						"by", pl->overridden[i].by->id,
						"key", pl->overridden[i].key));
	for (size_t i = 0; r->policy && i < r->policy->n_files; i++)
		json_array_append_new(
			files, json_pack("{s:s, s:s}", "file",
					 r->policy->files[i].path, "sha256",
					 r->policy->files[i].sha256));
	warn = strings_json(r->warnings);
	for (size_t i = 0; i < o->warnings.n; i++)
		json_array_append_new(warn, json_string(o->warnings.v[i]));
	for (size_t i = 0; i < pl->n_notes; i++)
		json_array_append_new(warn, json_sprintf("%s: %s",
							 pl->notes[i].rule->id,
							 pl->notes[i].text));

	j = json_pack("{s:s, s:{s:s, s:s}, s:s, s:s, s:o, s:{s:s, s:o, s:o}}",
		      "command", r->command, "tool", "name", PACKAGE_NAME,
		      "version", PACKAGE_VERSION, "verdict",
		      verdict_names[report_status(o, pl)], "summary", line,
		      "netns", r->netns ? json_string(r->netns) : json_null(),
		      "baseline", "source", o->baseline_source,
		      "window_seconds", num(o->window), "burst_seconds",
		      num(o->burst));
	json_object_set_new(j, "demand",
			    json_pack("{s:o, s:o, s:s, s:o}", "value",
				      num(o->m[M_TW_DEMAND]), "burst",
				      num(o->m[M_TW_DEMAND_BURST]), "model",
				      o->demand_from_burst ? "burst"
							   : "steady state",
				      "lifetime_seconds", num(o->tw_lifetime)));
	json_object_set_new(j, "kernel", kernel_json(o));
	json_object_set_new(j, "observations", report_observations_json(o));
	json_object_set_new(j, "sockets", sockets_json(r));
	json_object_set_new(j, "top_peers", top_peers_json(r));
	{
		json_t *why, *causes = causes_json(r, &why);

		json_object_set_new(j, "causes", causes);
		json_object_set_new(j, "why", why);
	}
	json_object_set_new(j, "sysctls", sysctls_json(o, r->shadows));
	json_object_set_new(j, "plan", plan);
	json_object_set_new(j, "changes_proposed",
			    json_boolean(pl->n_changes > 0));
	json_object_set_new(j, "advice", notes_json(pl->advice, pl->n_advice));
	json_object_set_new(j, "undecided", und);
	json_object_set_new(j, "overridden", ovr);
	json_object_set_new(j, "warnings", warn);
	json_object_set_new(j, "policy", files);
	if (r->txn) {
		json_object_set_new(j, "run", json_string(r->txn->rec.run));
		json_object_set_new(
			j, "result",
			json_string(txn_result_names[r->txn->rec.result]));
		json_object_set_new(j, "error",
				    r->txn->error[0]
					    ? json_string(r->txn->error)
					    : json_null());
		json_object_set_new(j, "changes",
				    audit_changes_json(r->txn->rec.changes,
						       r->txn->rec.n_changes,
						       false));
	}
	/* the confinement of the process that made this report (or run) */
	json_object_set_new(j, "sandbox",
			    r->sandbox && *r->sandbox ? json_string(r->sandbox)
						      : json_null());
	json_object_set_new(j, "dry_run", json_boolean(r->dry_run));
	free(line);
	return j;
}

static const char *const state_names[SOCK_STATES] = {
	[1] = "ESTABLISHED", [2] = "SYN_SENT",	 [3] = "SYN_RECV",
	[4] = "FIN_WAIT1",   [5] = "FIN_WAIT2",	 [6] = "TIME_WAIT",
	[7] = "CLOSE",	     [8] = "CLOSE_WAIT", [9] = "LAST_ACK",
	[10] = "LISTEN",     [11] = "CLOSING",
};

/* The busiest destination of outgoing connections, as text. */
struct dest {
	char local[INET6_ADDRSTRLEN], remote[INET6_ADDRSTRLEN];
	struct sock_dest d;
};

static bool busiest_dest(const struct sock_stats *s, struct dest *d)
{
	return sockdiag_busiest(s, &d->d) &&
	       inet_ntop(d->d.family, d->d.local, d->local, sizeof(d->local)) &&
	       inet_ntop(d->d.family, d->d.remote, d->remote,
			 sizeof(d->remote));
}

/* The top remote addresses holding TIME_WAIT: address, count, share. */
static json_t *top_peers_json(const struct report *r)
{
	const struct sock_stats *s = r->socks;
	const struct sketch_entry *top[SOCK_TOP];
	json_t *peers = json_array();
	double tw;
	size_t n;

	if (!s || !s->collected)
		return peers;
	tw = (double)s->states[6];
	n = sketch_top(&s->tw_peers, top, SOCK_TOP);
	for (size_t i = 0; i < n; i++) {
		char addr[INET6_ADDRSTRLEN];

		sockdiag_addr_text(top[i]->key, top[i]->len, addr,
				   sizeof(addr));
		json_array_append_new(
			peers,
			json_pack("{s:s, s:I, s:f}", "address", addr, "count",
				  (json_int_t)top[i]->count, "share",
				  tw > 0 ? top[i]->count / tw : 0));
	}
	return peers;
}

static json_t *sockets_json(const struct report *r)
{
	const struct sock_stats *s = r->socks;
	struct dest d;
	json_t *j;

	if (!s || !s->collected)
		return json_pack("{s:b, s:o}", "collected", false, "error",
				 s && s->error[0]
					 ? json_string(s->error)
					 : json_string("not requested"));
	j = json_pack("{s:b, s:I, s:b, s:I}", "collected", true, "total",
		      (json_int_t)s->sockets, "exact",
		      s->tw_peers.exact && s->dests.exact && s->syn_peers.exact,
		      "count_error_max",
		      (json_int_t)(s->tw_peers.error > s->dests.error
					   ? s->tw_peers.error
					   : s->dests.error));
	if (busiest_dest(s, &d))
		json_object_set_new(
			j, "busiest_destination",
			json_pack("{s:s, s:s, s:i, s:I, s:I, s:b, s:o, s:o}",
				  "local", d.local, "remote", d.remote, "port",
				  (int)d.d.port, "ports_in_use",
				  (json_int_t)d.d.ports_in_use, "time_wait",
				  (json_int_t)d.d.time_wait, "loopback",
				  d.d.loopback, "pressure",
				  num(r->obs->m[M_PORT_PRESSURE]),
				  "peer_timestamps",
				  num(r->obs->m[M_PEER_TIMESTAMPS])));
	return j;
}

static void sockets_text(FILE *f, const struct report *r)
{
	const struct sock_stats *s = r->socks;
	const struct observation *o = r->obs;
	const struct sketch_entry *top[SOCK_TOP];
	int order[SOCK_STATES], n = 0;
	char a[32], b[32], c[32], e[32], buf[256];
	double tw;
	struct dest d;

	if (!s || !s->collected) {
		fprintf(f, "\nSockets: not collected (%s)\n",
			s && s->error[0] ? s->error : "--no-sockets");
		return;
	}
	fprintf(f, "\nSockets (%llu TCP, IPv4 and IPv6)\n",
		(unsigned long long)s->sockets);
	/* the seeds' "netstat | sort | uniq -c | sort -rn", done right */
	for (int i = 1; i < SOCK_STATES; i++)
		if (s->states[i])
			order[n++] = i;
	for (int i = 1; i < n; i++)
		for (int k = i;
		     k > 0 && s->states[order[k]] > s->states[order[k - 1]];
		     k--) {
			int t = order[k];

			order[k] = order[k - 1];
			order[k - 1] = t;
		}
	for (int i = 0; i < n; i++)
		fprintf(f, "  %10llu %s\n",
			(unsigned long long)s->states[order[i]],
			state_names[order[i]]);
	tw = (double)s->states[6];
	if (isnan(o->m[M_TW_OUTGOING]))
		snprintf(buf, sizeof(buf), "unknown (no ephemeral port range)");
	else
		snprintf(buf, sizeof(buf),
			 "%s outgoing (local port %s..%s), %s incoming",
			 fmt(o->m[M_TW_OUTGOING], a, sizeof(a)),
			 fmt(o->m[M_EPHEMERAL_LOW], b, sizeof(b)),
			 fmt(o->m[M_EPHEMERAL_HIGH], c, sizeof(c)),
			 fmt(o->m[M_TW_INCOMING], e, sizeof(e)));
	row(f, "TIME_WAIT direction", buf);
	snprintf(buf, sizeof(buf), "%s distinct remote addresses%s",
		 fmt(o->m[M_TW_PEERS], a, sizeof(a)),
		 s->tw_peers.exact ? "" : " (estimate)");
	row(f, "TIME_WAIT peers", buf);
	{
		size_t k = sketch_top(&s->tw_peers, top, SOCK_TOP);

		for (size_t i = 0; i < k; i++) {
			char addr[INET6_ADDRSTRLEN];

			sockdiag_addr_text(top[i]->key, top[i]->len, addr,
					   sizeof(addr));
			fprintf(f, "    %-39s %10llu  %5.1f%%%s\n", addr,
				(unsigned long long)top[i]->count,
				tw > 0 ? 100.0 * (double)top[i]->count / tw : 0,
				s->tw_peers.exact ? "" : " (at least)");
		}
	}
	if (busiest_dest(s, &d)) {
		snprintf(
			buf, sizeof(buf),
			"%s -> %s:%u uses %llu ephemeral ports (%s%% of the range)",
			d.local, d.remote, d.d.port,
			(unsigned long long)d.d.ports_in_use,
			fmt(round(o->m[M_PORT_PRESSURE] * 1000) / 10, a,
			    sizeof(a)));
		row(f, "busiest destination", buf);
	}
}

static void row(FILE *f, const char *label, const char *value)
{
	fprintf(f, "  %-22s %s\n", label, value);
}

/*
 * The demand model's two answers: steady state (what the plan's rules use
 * as tw_demand) and the burst bound, with the numbers behind each.
 */
static void demand_text(FILE *f, const struct observation *o)
{
	char a[32], b[32], c[32], buf[256];

	if (isnan(o->m[M_TW_DEMAND])) {
		snprintf(buf, sizeof(buf), "unknown (%s)",
			 o->why[M_TW_DEMAND] ? o->why[M_TW_DEMAND]
					     : "no baseline");
		row(f, "estimated demand", buf);
		return;
	}
	if (!(o->m[M_TW_OVERFLOW_DELTA] > 0)) {
		snprintf(buf, sizeof(buf), "%s (the sockets held; no overflow)",
			 fmt(o->m[M_TW_DEMAND], a, sizeof(a)));
		row(f, "estimated demand", buf);
		return;
	}
	if (o->demand_from_burst) {
		snprintf(
			buf, sizeof(buf),
			"%s: the table plus the overflows seen (they came %s, which gives no steady rate)",
			fmt(o->m[M_TW_DEMAND], a, sizeof(a)),
			o->burst > 0 ? "in a short burst"
				     : "within a window under a second");
		row(f, "estimated demand", buf);
		return;
	}
	snprintf(
		buf, sizeof(buf),
		"%s in steady state (%s/s overflowing, each for a %s s lifetime, on top of the table)",
		fmt(o->m[M_TW_DEMAND], a, sizeof(a)),
		fmt(round(o->m[M_TW_OVERFLOW_RATE] * 10) / 10, b, sizeof(b)),
		fmt(o->tw_lifetime, c, sizeof(c)));
	row(f, "estimated demand", buf);
	snprintf(buf, sizeof(buf), "%s if the overflows seen were a burst",
		 fmt(o->m[M_TW_DEMAND_BURST], a, sizeof(a)));
	row(f, "", buf);
}

/* The TIME_WAIT numbers: buckets, overflows, demand, memory. */
/* The kernel, what twtune concluded from it, and what it must say. */
static void kernel_text(FILE *f, const struct observation *o)
{
	const struct kernel_model *k = &o->kernel;
	char buf[320];

	snprintf(buf, sizeof(buf), "%s: %s, %s%s, TIME_WAIT %g s",
		 k->release[0] ? k->release : "release unknown",
		 k->counter ? "overflow counter" : "no overflow counter",
		 k->per_netns == 1   ? "limit per namespace"
		 : k->per_netns == 0 ? "one limit for the host"
				     : "limit per namespace or host",
		 k->neg_unlimited == 1	 ? ", negative limit unlimited"
		 : k->neg_unlimited == 0 ? ", negative limit admits none"
					 : "",
		 o->tw_lifetime);
	row(f, "kernel", buf);
	for (int i = 0; i < k->n_notes; i++)
		row(f, "", k->notes[i]);
}

static void time_wait_text(FILE *f, const struct observation *o, bool verbose)
{
	char a[32], b[32], c[32], buf[256];
	double mem_share;

	fprintf(f, "\nTIME_WAIT\n");
	kernel_text(f, o);
	if (o->tw_max_unlimited)
		snprintf(buf, sizeof(buf), "%s (no limit)",
			 fmt(o->m[M_TW_COUNT], a, sizeof(a)));
	else if (isnan(o->m[M_TW_MAX]) || o->m[M_TW_MAX] < 0)
		table_text(o, buf, sizeof(buf));
	else
		snprintf(buf, sizeof(buf), "%s of %s (%s%%)",
			 fmt(o->m[M_TW_COUNT], a, sizeof(a)),
			 fmt(o->m[M_TW_MAX], b, sizeof(b)),
			 fmt(round(o->m[M_TW_RATIO] * 1000) / 10, c,
			     sizeof(c)));
	row(f, "buckets in use", buf);
	if (!o->kernel.counter)
		log_text(o, buf, sizeof(buf));
	else if (isnan(o->window) && o->m[M_TW_OVERFLOWS] == 0)
		snprintf(buf, sizeof(buf), "0 since the namespace was created");
	else if (isnan(o->window))
		snprintf(buf, sizeof(buf),
			 "%s since the namespace was created (no baseline)",
			 fmt(o->m[M_TW_OVERFLOWS], a, sizeof(a)));
	else
		snprintf(
			buf, sizeof(buf),
			"%s in the last %s s (baseline: %s); %s since the namespace was created",
			fmt(o->m[M_TW_OVERFLOW_DELTA], a, sizeof(a)),
			fmt(round(o->window * 100) / 100, b, sizeof(b)),
			o->baseline_source,
			fmt(o->m[M_TW_OVERFLOWS], c, sizeof(c)));
	row(f, "overflows", buf);
	demand_text(f, o);
	mem_share = o->m[M_TW_SOCK_SIZE] * o->m[M_TW_MAX] / o->m[M_MEM_TOTAL];
	if (o->tw_max_unlimited)
		snprintf(b, sizeof(b), "unbounded");
	else if (!(mem_share >= 0))
		snprintf(b, sizeof(b), "unknown");
	else if (mem_share < 0.0001)
		snprintf(b, sizeof(b), "< 0.01%%");
	else
		snprintf(b, sizeof(b), "%.2f%%", mem_share * 100);
	snprintf(buf, sizeof(buf), "%s bytes each; the limit is %s of RAM",
		 fmt(o->m[M_TW_SOCK_SIZE], a, sizeof(a)), b);
	row(f, "socket memory", buf);
	snprintf(buf, sizeof(buf), "in use %s, orphaned %s, allocated %s",
		 fmt(o->m[M_TCP_INUSE], a, sizeof(a)),
		 fmt(o->m[M_TCP_ORPHAN], b, sizeof(b)),
		 fmt(o->m[M_TCP_ALLOC], c, sizeof(c)));
	row(f, "TCP sockets", buf);
	if (!verbose)
		return;
	snprintf(buf, sizeof(buf), "%s..%s (%s ports)",
		 fmt(o->m[M_EPHEMERAL_LOW], a, sizeof(a)),
		 fmt(o->m[M_EPHEMERAL_HIGH], b, sizeof(b)),
		 fmt(o->m[M_EPHEMERAL_PORTS], c, sizeof(c)));
	row(f, "ephemeral ports", buf);
	snprintf(buf, sizeof(buf), "syncookies sent %s, listen overflows %s",
		 fmt(o->m[M_SYNCOOKIES_SENT_DELTA], a, sizeof(a)),
		 fmt(o->m[M_LISTEN_OVERFLOWS_DELTA], b, sizeof(b)));
	row(f, "since baseline", buf);
}

static void sysctls_text(FILE *f, const struct observation *o)
{
	fprintf(f, "\nsysctls\n");
	for (size_t i = 0; i < o->n_sysctls; i++) {
		const struct sysctl_obs *s = &o->sysctls[i];
		const struct tunable *t = tunable_find(s->key);

		/* what only some kernels have is shown where they have it */
		if (!s->exists && t && !(t->flags & TUN_SHOWN))
			continue;
		fprintf(f, "  %-32s %s\n", s->key,
			!s->exists ? "(not present on this kernel)"
			: s->raw   ? s->raw
				   : "(unreadable)");
	}
}

/* What apply did, or else what the plan proposes. */
static void changes_text(FILE *f, const struct report *r)
{
	const struct plan *pl = r->plan;

	if (r->txn) {
		fprintf(f, "\n%s run %s: %s (sandbox: %s)\n",
			txn_mode_names[r->txn->rec.mode], r->txn->rec.run,
			txn_result_names[r->txn->rec.result], r->sandbox);
		for (size_t i = 0; i < r->txn->rec.n_changes; i++) {
			const struct change *ch = &r->txn->rec.changes[i];

			fprintf(f, "  %s: %lld -> %lld  [%s]%s%s\n", ch->key,
				ch->before, ch->after, ch->rule,
				ch->verified ? " verified" : " NOT applied",
				ch->persisted ? ", persisted" : "");
			fprintf(f, "      %s\n", ch->reason);
		}
		if (r->txn->error[0])
			fprintf(f, "  error: %s\n", r->txn->error);
	} else if (pl->n_changes) {
		fprintf(f, "\nPlan (%zu change%s)\n", pl->n_changes,
			pl->n_changes == 1 ? "" : "s");
		for (size_t i = 0; i < pl->n_changes; i++) {
			const struct plan_change *ch = &pl->changes[i];

			fprintf(f, "  %s: %lld -> %s%lld  [%s]%s\n", ch->key,
				ch->from, ch->at_least ? "at least " : "",
				ch->to, ch->rule->id,
				ch->persist ? "" : " (not persisted)");
			fprintf(f, "      %s\n", ch->reason);
			if (ch->at_least)
				fprintf(f,
					"      (the known part of the value: %s)\n",
					ch->at_least);
		}
	} else {
		fprintf(f, "\nPlan: nothing to change\n");
	}
	for (size_t i = 0; i < pl->n_overridden; i++)
		fprintf(f, "  (rule %s for %s was overridden by %s)\n",
			pl->overridden[i].rule->id, pl->overridden[i].key,
			pl->overridden[i].by->id);
}

/* Advice, undecided rules and warnings, each only when there are any. */
static void notes_text(FILE *f, const struct report *r)
{
	const struct observation *o = r->obs;
	const struct plan *pl = r->plan;

	if (pl->n_advice) {
		fprintf(f, "\nAdvice\n");
		for (size_t i = 0; i < pl->n_advice; i++)
			fprintf(f, "  [%s] %s: %s\n",
				severity_names[pl->advice[i].severity],
				pl->advice[i].rule->id, pl->advice[i].text);
	}
	if (pl->n_undecided) {
		fprintf(f, "\nUndecided (not enough data)\n");
		for (size_t i = 0; i < pl->n_undecided; i++) {
			const struct plan_undecided *u = &pl->undecided[i];

			fprintf(f, "  %s:", u->rule->id);
			for (size_t k = 0; k < u->missing.n; k++)
				fprintf(f, "%s %s", k ? ";" : "",
					u->missing.v[k]);
			fputc('\n', f);
		}
	}
	if ((r->warnings && r->warnings->n) || o->warnings.n || pl->n_notes) {
		fprintf(f, "\nWarnings\n");
		for (size_t i = 0; r->warnings && i < r->warnings->n; i++)
			fprintf(f, "  %s\n", r->warnings->v[i]);
		for (size_t i = 0; i < o->warnings.n; i++)
			fprintf(f, "  %s\n", o->warnings.v[i]);
		for (size_t i = 0; i < pl->n_notes; i++)
			fprintf(f, "  %s: %s\n", pl->notes[i].rule->id,
				pl->notes[i].text);
	}
}

/* Whether any change of pl goes into the persist file. */
static bool plan_persists(const struct plan *pl)
{
	for (size_t i = 0; i < pl->n_changes; i++)
		if (pl->changes[i].persist)
			return true;
	return false;
}

void report_text(FILE *f, const struct report *r, bool verbose)
{
	const struct plan *pl = r->plan;
	char *line = report_verdict_line(r->obs, r->plan);

	fprintf(f, "%s\n", line);
	free(line);
	if (r->netns)
		fprintf(f, "(network namespace %s)\n", r->netns);
	time_wait_text(f, r->obs, verbose);
	why_text(f, r, verbose);
	sockets_text(f, r);
	sysctls_text(f, r->obs);
	changes_text(f, r);
	notes_text(f, r);
	if (!r->txn && pl->n_changes)
		fprintf(f, "\nNext: `%s` (as root) makes %s, %s %s.\n",
			r->next ? r->next : "twtune apply",
			pl->n_changes == 1 ? "this change" : "these changes",
			plan_persists(pl) ? "persists and audits"
					  : "live only, and audits",
			pl->n_changes == 1 ? "it" : "them");
}

void report_quiet(FILE *f, const struct report *r)
{
	char *line = report_verdict_line(r->obs, r->plan);

	fprintf(f, "%s\n", line);
	free(line);
	/* quiet is not blind: what needs a person is always said */
	for (size_t i = 0; i < r->plan->n_advice; i++)
		if (r->plan->advice[i].severity >= SEV_WARNING)
			fprintf(f, "[%s] %s: %s\n",
				severity_names[r->plan->advice[i].severity],
				r->plan->advice[i].rule->id,
				r->plan->advice[i].text);
	/* and a rule's own warnings: a raise cut short, a back-off */
	for (size_t i = 0; i < r->plan->n_notes; i++)
		if (r->plan->notes[i].severity >= SEV_WARNING)
			fprintf(f, "[%s] %s: %s\n",
				severity_names[r->plan->notes[i].severity],
				r->plan->notes[i].rule->id,
				r->plan->notes[i].text);
	/* what apply did is not noise */
	for (size_t i = 0; r->txn && i < r->txn->rec.n_changes; i++) {
		const struct change *c = &r->txn->rec.changes[i];

		fprintf(f, "%s %s: %lld -> %lld (run %s: %s)\n",
			c->verified ? "changed" : "NOT changed", c->key,
			c->before, c->after, r->txn->rec.run,
			txn_result_names[r->txn->rec.result]);
	}
}

/* ---- every namespace (--all-netns) --------------------------------- */

/* How bad: the order of the table, and the top-level verdict. */
static int severity_of(enum verdict v)
{
	switch (v) {
	case VERDICT_OVERFLOWING: return 3;
	case VERDICT_FULL: return 2;
	case VERDICT_ATTENTION: return 1;
	case VERDICT_OK:
	default: return 0;
	}
}

static enum verdict status_of(const struct report *r)
{
	return r->obs ? report_status(r->obs, r->plan) : VERDICT_OK;
}

void report_ns_label(const struct netns_entry *e, unsigned long long ino,
		     char *buf, size_t len)
{
	const struct cg_identity *id = e ? &e->id : NULL;

	/* the pod or container first: their runtimes' bind-mount names
	 * (cni-<uuid>, docker/<sandbox id>) say little to an operator */
	if (e && e->self)
		snprintf(buf, len, "twtune's own");
	else if (id && id->pod[0])
		snprintf(buf, len, "pod %s%s%s", id->pod,
			 id->container[0] ? " container " : "", id->container);
	else if (id && id->container[0])
		snprintf(buf, len, "%s %s", cgname_runtime_name(id->runtime),
			 id->container);
	else if (e && e->name)
		snprintf(buf, len, "%s", e->name);
	else if (id && id->runtime == CG_SYSTEMD_UNIT && id->unit[0])
		snprintf(buf, len, "unit %s", id->unit);
	else if (e && e->pid)
		snprintf(buf, len, "%s[%d]", e->comm, e->pid);
	else
		snprintf(buf, len, "net:[%llu]", ino);
	/* names come from file names and comm: keep the table printable */
	for (char *p = buf; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f)
			*p = '?';
}

void report_ns_prefix(const struct netns_entry *e, unsigned long long ino,
		      char *buf, size_t len)
{
	/* the label leaves room for the colon and space (len > 2) */
	report_ns_label(e, ino, buf, len - 2);
	strcat(buf, ": ");
}

static json_t *identity_json(const struct report *r, unsigned long long ino)
{
	const struct netns_entry *e = r->ns;

	return json_pack(
		"{s:I, s:o, s:o, s:o, s:o}", "netns_inode", (json_int_t)ino,
		"netns_name", e && e->name ? json_string(e->name) : json_null(),
		"container",
		e && e->id.container[0] ? json_string(e->id.container)
					: json_null(),
		"pod", e && e->id.pod[0] ? json_string(e->id.pod) : json_null(),
		"pid", e && e->pid ? json_integer(e->pid) : json_null());
}

json_t *report_all_json(const struct report *reps,
			const unsigned long long *inos, size_t n,
			const struct msgs *warnings)
{
	json_t *all = json_array(), *w = json_array(), *j;
	enum verdict worst = VERDICT_OK;

	for (size_t i = 0; i < n; i++) {
		const struct report *r = &reps[i];
		json_t *e = r->obs ? report_json(r) : json_object();

		json_t *id = identity_json(r, inos[i]);

		json_object_update(e, id);
		json_decref(id);
		if (r->error)
			json_object_set_new(e, "error", json_string(r->error));
		json_array_append_new(all, e);
		if (severity_of(status_of(r)) > severity_of(worst))
			worst = status_of(r);
	}
	for (size_t i = 0; warnings && i < warnings->n; i++)
		json_array_append_new(w, json_string(warnings->v[i]));
	j = json_pack("{s:s, s:{s:s, s:s}, s:b, s:s, s:I, s:o, s:o}", "command",
		      n ? reps[0].command : "report", "tool", "name",
		      PACKAGE_NAME, "version", PACKAGE_VERSION, "all_netns",
		      true, "verdict", verdict_names[worst], "count",
		      (json_int_t)n, "warnings", w, "namespaces", all);
	return j;
}

/* The plan, or what apply did, in a few words. */
static void change_text(const struct report *r, char *buf, size_t len)
{
	size_t at = 0;

	buf[0] = '\0';
	if (r->txn) {
		for (size_t i = 0; i < r->txn->rec.n_changes && at < len; i++) {
			const struct change *c = &r->txn->rec.changes[i];

			at += (size_t)snprintf(buf + at, len - at,
					       "%s%s %lld -> %lld%s",
					       i ? ", " : "", c->key + 9,
					       c->before, c->after,
					       c->verified ? "" : " FAILED");
		}
	} else {
		for (size_t i = 0; i < r->plan->n_changes && at < len; i++) {
			const struct plan_change *c = &r->plan->changes[i];

			at += (size_t)snprintf(buf + at, len - at,
					       "%s%s %lld -> %s%lld",
					       i ? ", " : "", c->key + 9,
					       c->from, c->at_least ? ">=" : "",
					       c->to);
		}
	}
	if (!buf[0])
		snprintf(buf, len, "-");
}

void report_all_text(FILE *f, const struct report *reps,
		     const unsigned long long *inos, size_t n,
		     const struct msgs *warnings, bool verbose)
{
	size_t *order = xcalloc(n + 1, sizeof(*order)), shown = 0;
	char label[128], a[32], b[32], buckets[80], ch[256];

	for (size_t i = 0; i < n; i++)
		order[i] = i;
	/* worst first, then as discovered (own, named, by inode) */
	for (size_t i = 1; i < n; i++)
		for (size_t k = i;
		     k > 0 &&
		     severity_of(status_of(&reps[order[k]])) >
			     severity_of(status_of(&reps[order[k - 1]]));
		     k--) {
			size_t t = order[k];

			order[k] = order[k - 1];
			order[k - 1] = t;
		}
	fprintf(f, "%zu network namespaces\n\n%-36s %-12s %-20s %-10s %s\n", n,
		"NAMESPACE", "VERDICT", "BUCKETS", "OVERFLOWS", "CHANGES");
	for (size_t i = 0; i < n; i++) {
		const struct report *r = &reps[order[i]];
		const struct observation *o = r->obs;

		report_ns_label(r->ns, inos[order[i]], label, sizeof(label));
		if (!o) {
			fprintf(f, "%-36.36s %-12s %s\n", label, "unread",
				r->error ? r->error : "");
			continue;
		}
		if (o->tw_max_unlimited || isnan(o->m[M_TW_MAX]))
			snprintf(buckets, sizeof(buckets), "%s",
				 fmt(o->m[M_TW_COUNT], a, sizeof(a)));
		else
			snprintf(buckets, sizeof(buckets), "%s of %s",
				 fmt(o->m[M_TW_COUNT], a, sizeof(a)),
				 fmt(o->m[M_TW_MAX], b, sizeof(b)));
		change_text(r, ch, sizeof(ch));
		fprintf(f, "%-36.36s %-12s %-20s %-10s %s\n", label,
			verdict_names[status_of(r)], buckets,
			isnan(o->m[M_TW_OVERFLOW_DELTA])
				? "-"
				: fmt(o->m[M_TW_OVERFLOW_DELTA], a, sizeof(a)),
			ch);
	}
	for (size_t i = 0; warnings && i < warnings->n; i++)
		fprintf(f, "warning: %s\n", warnings->v[i]);
	/* then the whole report of each one that needs someone */
	for (size_t i = 0; i < n; i++) {
		const struct report *r = &reps[order[i]];

		if (!r->obs || (status_of(r) == VERDICT_OK &&
				!r->plan->n_changes && !r->txn))
			continue;
		report_ns_label(r->ns, inos[order[i]], label, sizeof(label));
		fprintf(f, "\n=== %s (net:[%llu]) ===\n", label,
			inos[order[i]]);
		report_text(f, r, verbose);
		shown++;
	}
	if (!shown)
		fprintf(f, "\nEvery namespace is fine.\n");
	free(order);
}

/* ---- Prometheus ------------------------------------------------------ */

/*
 * The labels of one report: none for a single namespace; netns,
 * container and pod under --all-netns.  With a trailing comma when not
 * empty, so that more labels can follow.
 */
static void prom_value_escaped(struct strbuf *sb, const char *v)
{
	for (; v && *v; v++) {
		if (*v == '\\' || *v == '"')
			strbuf_addf(sb, "\\%c", *v);
		else if (*v == '\n')
			strbuf_add(sb, "\\n", 2);
		else
			strbuf_add(sb, v, 1);
	}
}

static char *prom_labels(const struct report *r, bool labelled)
{
	struct strbuf sb = { 0 };
	const struct netns_entry *e = r->ns;

	strbuf_add(&sb, "", 0);
	if (!labelled)
		return sb.s;
	strbuf_addf(&sb, "netns=\"%llu\",container=\"", r->obs->netns);
	prom_value_escaped(&sb, e ? e->id.container : NULL);
	strbuf_add(&sb, "\",pod=\"", 7);
	prom_value_escaped(&sb, e ? e->id.pod : NULL);
	strbuf_add(&sb, "\",", 2);
	return sb.s;
}

/* name{labels extra} value: the braces only when there are labels */
static void prom_sample(FILE *f, const char *name, const char *labels,
			const char *extra, double v)
{
	size_t ln = strlen(labels);
	char num[40];

	if (isnan(v))
		snprintf(num, sizeof(num), "NaN");
	else
		snprintf(num, sizeof(num), "%.17g", v);
	if (!ln && !*extra)
		fprintf(f, "%s %s\n", name, num);
	else if (!*extra) /* drop the trailing comma */
		fprintf(f, "%s{%.*s} %s\n", name, (int)ln - 1, labels, num);
	else
		fprintf(f, "%s{%s%s} %s\n", name, labels, extra, num);
}

struct prom_family {
	const char *name, *type, *help;
	int metric; /* the observation's metric, or -1: value() */
	double (*value)(const struct report *r);
	/* shown only for a report it fits; NULL: always */
	bool (*fits)(const struct report *r);
};

static double v_plan(const struct report *r)
{
	return (double)r->plan->n_changes;
}
static double v_und(const struct report *r)
{
	return (double)r->plan->n_undecided;
}
static double v_last(const struct report *r)
{
	return r->last_apply > 0 ? r->last_apply : 0;
}
static double v_time(const struct report *r)
{
	return r->obs->time;
}
/* kernels before 2.6.38: the log is the only count there is */
static bool logs_only(const struct report *r)
{
	return !r->obs->kernel.counter;
}

static const struct prom_family families[] = {
	{ "twtune_time_wait_sockets", "gauge",
	  "TIME_WAIT buckets in use (sockstat tw).", M_TW_COUNT, NULL, NULL },
	{ "twtune_time_wait_buckets_max", "gauge",
	  "net.ipv4.tcp_max_tw_buckets (negative: unlimited from 5.18, none admitted before).",
	  M_TW_MAX, NULL, NULL },
	{ "twtune_time_wait_saturated", "gauge",
	  "1 when the TIME_WAIT table is full.", M_TW_SATURATED, NULL, NULL },
	{ "twtune_time_wait_overflow_log_lines", "gauge",
	  "Overflow messages in this boot's kernel log (no TCPTimeWaitOverflow on this kernel).",
	  M_TW_OVERFLOW_LOG_LINES, NULL, logs_only },
	{ "twtune_time_wait_overflow_log_suppressed", "gauge",
	  "Upper bound of the overflow messages the kernel's rate limit suppressed this boot.",
	  M_TW_OVERFLOW_LOG_SUPPRESSED, NULL, logs_only },
	{ "twtune_time_wait_overflows_total", "counter",
	  "TcpExt TCPTimeWaitOverflow: sockets that skipped TIME_WAIT.",
	  M_TW_OVERFLOWS, NULL, NULL },
	{ "twtune_time_wait_demand", "gauge",
	  "Estimated TIME_WAIT sockets with an unlimited table.", M_TW_DEMAND,
	  NULL, NULL },
	{ "twtune_planned_changes", "gauge",
	  "Sysctl changes the policies propose now.", -1, v_plan, NULL },
	{ "twtune_undecided_rules", "gauge",
	  "Rules that could not be evaluated for lack of data.", -1, v_und,
	  NULL },
	{ "twtune_last_apply_timestamp_seconds", "gauge",
	  "When twtune last changed a sysctl (0: never).", -1, v_last, NULL },
	{ "twtune_report_timestamp_seconds", "gauge",
	  "When this report was made.", -1, v_time, NULL },
};

/*
 * One series per advice rule, 1 while it fires, and one per warning a
 * sysctl rule gave: alerts can be written on rule id and severity.
 */
static void prom_advice(FILE *f, const struct report *r, const char *labels)
{
	const struct plan *pl = r->plan;
	char extra[256];

	for (size_t i = 0; r->policy && i < r->policy->n_rules; i++) {
		const struct rule *ru = &r->policy->rules[i];
		bool firing = false;

		if (ru->kind != RULE_ADVICE || !ru->enabled)
			continue;
		for (size_t k = 0; k < pl->n_advice; k++)
			firing |= pl->advice[k].rule == ru;
		snprintf(extra, sizeof(extra), "rule=\"%s\",severity=\"%s\"",
			 ru->id, severity_names[ru->severity]);
		prom_sample(f, "twtune_advice_firing", labels, extra, firing);
	}
	for (size_t i = 0; i < pl->n_notes; i++) {
		snprintf(extra, sizeof(extra), "rule=\"%s\",severity=\"%s\"",
			 pl->notes[i].rule->id,
			 severity_names[pl->notes[i].severity]);
		prom_sample(f, "twtune_advice_firing", labels, extra, 1);
	}
}

static void prom_head(FILE *f, const char *name, const char *type,
		      const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Every family once, then a sample of it for each report. */
static void prom_all(FILE *f, const struct report *reps, size_t n,
		     bool labelled)
{
	static const char *const lower[SOCK_STATES] = {
		[1] = "established", [2] = "syn_sent",	 [3] = "syn_recv",
		[4] = "fin_wait1",   [5] = "fin_wait2",	 [6] = "time_wait",
		[7] = "close",	     [8] = "close_wait", [9] = "last_ack",
		[10] = "listen",     [11] = "closing",
	};
	char **labels = xcalloc(n + 1, sizeof(*labels)), extra[64];
	bool socks = false;

	for (size_t k = 0; k < n; k++) {
		labels[k] = prom_labels(&reps[k], labelled);
		socks |= reps[k].socks && reps[k].socks->collected;
	}
	for (size_t i = 0; i < ARRAY_SIZE(families); i++) {
		const struct prom_family *fm = &families[i];
		bool head = false;

		for (size_t k = 0; k < n; k++) {
			if (fm->fits && !fm->fits(&reps[k]))
				continue;
			if (!head)
				prom_head(f, fm->name, fm->type, fm->help);
			head = true;
			prom_sample(f, fm->name, labels[k], "",
				    fm->metric >= 0 ? reps[k].obs->m[fm->metric]
						    : fm->value(&reps[k]));
		}
	}
	prom_head(f, "twtune_verdict", "gauge",
		  "The host's verdict (1: this one).");
	for (size_t k = 0; k < n; k++) {
		enum verdict v = report_status(reps[k].obs, reps[k].plan);

		for (size_t i = 0; i < ARRAY_SIZE(verdict_names); i++) {
			snprintf(extra, sizeof(extra), "verdict=\"%s\"",
				 verdict_names[i]);
			prom_sample(f, "twtune_verdict", labels[k], extra,
				    (size_t)v == i);
		}
	}
	prom_head(
		f, "twtune_advice_firing", "gauge",
		"Advice or a rule's warning that fires now (1), by rule and severity.");
	for (size_t k = 0; k < n; k++)
		prom_advice(f, &reps[k], labels[k]);
	if (socks) {
		prom_head(f, "twtune_tcp_sockets", "gauge",
			  "TCP sockets by state (IPv4 and IPv6).");
		for (size_t k = 0; k < n; k++)
			for (int i = 1;
			     reps[k].socks && reps[k].socks->collected &&
			     i < SOCK_STATES;
			     i++) {
				snprintf(extra, sizeof(extra), "state=\"%s\"",
					 lower[i]);
				prom_sample(f, "twtune_tcp_sockets", labels[k],
					    extra,
					    (double)reps[k].socks->states[i]);
			}
		prom_head(
			f, "twtune_time_wait_direction_sockets", "gauge",
			"TIME_WAIT by direction (outgoing: this host's own connections).");
		for (size_t k = 0; k < n; k++) {
			const struct sock_stats *st = reps[k].socks;

			if (!st || !st->collected)
				continue;
			prom_sample(f, "twtune_time_wait_direction_sockets",
				    labels[k], "direction=\"outgoing\"",
				    (double)st->tw_outgoing);
			prom_sample(f, "twtune_time_wait_direction_sockets",
				    labels[k], "direction=\"incoming\"",
				    (double)st->tw_incoming);
		}
		prom_head(
			f, "twtune_time_wait_cause_sockets", "gauge",
			"TIME_WAIT held by each of the top causes: an incoming local port, or an outgoing destination.");
		for (size_t k = 0; k < n; k++)
			prom_causes(f, &reps[k], labels[k]);
	}
	for (size_t k = 0; k < n; k++)
		free(labels[k]);
	free(labels);
}

void report_prometheus(FILE *f, const struct report *r)
{
	prom_all(f, r, 1, false);
}

void report_all_prometheus(FILE *f, const struct report *reps, size_t n)
{
	prom_all(f, reps, n, true);
}

json_t *report_salt_json(const struct report *r)
{
	json_t *j = report_json(r);
	const struct plan *pl = r->plan;
	struct strbuf sb = { 0 };
	bool changed;
	char *line = report_verdict_line(r->obs, r->plan);

	strbuf_addf(&sb, "%s", line);
	free(line);
	if (r->txn) {
		changed = apply_changed(r->txn);
		strbuf_addf(&sb, "; run %s: %s", r->txn->rec.run,
			    txn_result_names[r->txn->rec.result]);
		for (size_t i = 0; i < r->txn->rec.n_changes; i++)
			strbuf_addf(&sb, "; %s %lld -> %lld",
				    r->txn->rec.changes[i].key,
				    r->txn->rec.changes[i].before,
				    r->txn->rec.changes[i].after);
		if (r->txn->error[0])
			strbuf_addf(&sb, "; error: %s", r->txn->error);
	} else {
		changed = pl->n_changes > 0;
		if (!changed)
			strbuf_addf(&sb, "; nothing to change");
		for (size_t i = 0; i < pl->n_changes; i++)
			strbuf_addf(&sb, "; %s %s -> %lld",
				    r->dry_run || strcmp(r->command,
							 "report") == 0
					    ? "would set"
					    : "set",
				    pl->changes[i].key, pl->changes[i].to);
	}
	/* Salt reads exactly these two; the rest is there for people */
	json_object_set_new(j, "changed", json_boolean(changed));
	json_object_set_new(j, "comment", json_string(sb.s));
	strbuf_free(&sb);
	return j;
}

/* ---- why: the causes of TIME_WAIT (why.c) -------------------------------- */

static void diagnose(const struct report *r, struct why *w)
{
	bool syn_flood = false;

	for (size_t i = 0; i < r->plan->n_advice; i++)
		syn_flood |=
			!strcmp(r->plan->advice[i].rule->id, "syn-flood-hint");
	why_diagnose(r->socks, r->obs, syn_flood, w);
}

/* Where a cause is: ":8080", or "127.0.0.1:5432". */
static const char *cause_where(const struct why_cause *c, char *buf, size_t len)
{
	if (c->kind == WHY_INCOMING)
		snprintf(buf, len, ":%u", c->local_port);
	else
		snprintf(buf, len, "%s", c->remote);
	return buf;
}

static const char *cause_who(const struct why_cause *c, char *buf, size_t len)
{
	char pid[32] = "";

	if (c->pid)
		snprintf(pid, sizeof(pid), "pid %d", c->pid);
	if (!c->process && !c->unit)
		snprintf(buf, len, "unknown");
	else if (!c->process)
		snprintf(buf, len, "%s (process unknown)", c->unit);
	else
		snprintf(buf, len, "%s%s%s%s%s%s", c->process,
			 c->pid || c->unit ? " (" : "", pid,
			 c->pid && c->unit ? ", " : "", c->unit ? c->unit : "",
			 c->pid || c->unit ? ")" : "");
	return buf;
}

/* The Why section: the top causes with their advice, churn, caveats. */
static void why_text(FILE *f, const struct report *r, bool verbose)
{
	struct why w;
	char where[INET6_ADDRSTRLEN + 16], who[256];

	diagnose(r, &w);
	if (!w.known) {
		fprintf(f, "\nWhy\n");
		snprintf(who, sizeof(who), "unknown (%s)", w.unknown);
		row(f, "causes", who);
	} else {
		fprintf(f,
			"\nWhy (TIME_WAIT by cause, of the %llu in the socket dump)\n",
			(unsigned long long)w.time_wait);
		if (!w.n)
			row(f, "causes", "none: no TIME_WAIT");
	}
	for (size_t i = 0; i < w.n && i < WHY_SHOWN; i++) {
		const struct why_cause *c = &w.causes[i];

		fprintf(f, "  %-8s %-24s %10llu %6.1f%%  %s\n",
			why_kind_names[c->kind],
			cause_where(c, where, sizeof(where)),
			(unsigned long long)c->time_wait, 100 * c->share,
			cause_who(c, who, sizeof(who)));
		/* how it was named, or why not (the advice says "nothing
		 * listens" itself) */
		if (c->how &&
		    (verbose || (!c->process &&
				 (c->listening || c->kind == WHY_OUTGOING))))
			fprintf(f, "      (%s)\n", c->how);
		fprintf(f, "      %s\n", c->advice);
	}
	if (w.n + w.more > WHY_SHOWN)
		fprintf(f, "  (%zu more in the JSON report)\n",
			w.n + w.more - WHY_SHOWN);
	row(f, "new connections", w.churn);
	if (w.caveat[0])
		row(f, "full table", w.caveat);
	if (w.syn_flood[0])
		row(f, "SYN flood", w.syn_flood);
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

/*
 * "causes": biggest first; "why": how they were found and what a full
 * table means.
 */
static json_t *causes_json(const struct report *r, json_t **why)
{
	json_t *a = json_array();
	struct why w;

	diagnose(r, &w);
	for (size_t i = 0; i < w.n; i++) {
		const struct why_cause *c = &w.causes[i];

		json_array_append_new(
			a,
			json_pack(
				"{s:s, s:o, s:o, s:I, s:f, s:o, s:o, s:o, s:s, s:o, s:b}",
				"kind", why_kind_names[c->kind], "local_port",
				c->kind == WHY_INCOMING
					? json_integer(c->local_port)
					: json_null(),
				"remote",
				c->kind == WHY_OUTGOING ? json_string(c->remote)
							: json_null(),
				"time_wait", (json_int_t)c->time_wait, "share",
				c->share, "process", str_or_null(c->process),
				"pid",
				c->pid ? json_integer(c->pid) : json_null(),
				"unit", str_or_null(c->unit), "advice",
				c->advice, "named", str_or_null(c->how),
				"proxy", c->proxy));
	}
	*why = json_pack(
		"{s:b, s:o, s:I, s:I, s:b, s:o, s:o, s:s, s:o}", "known",
		w.known, "unknown", str_or_null(w.unknown), "time_wait",
		(json_int_t)w.time_wait, "more", (json_int_t)w.more, "full",
		w.full, "overflow_direction",
		str_or_null(why_dir_names[w.overflow_dir]), "caveat",
		w.caveat[0] ? json_string(w.caveat) : json_null(), "churn",
		w.churn, "syn_flood",
		w.syn_flood[0] ? json_string(w.syn_flood) : json_null());
	return a;
}

/* The top causes only: at most WHY_MAX series per report. */
static void prom_causes(FILE *f, const struct report *r, const char *labels)
{
	struct why w;

	diagnose(r, &w);
	for (size_t i = 0; w.known && i < w.n; i++) {
		const struct why_cause *c = &w.causes[i];
		struct strbuf sb = { 0 };

		if (c->kind == WHY_INCOMING)
			strbuf_addf(&sb, "kind=\"incoming\",port=\"%u\"",
				    c->local_port);
		else
			strbuf_addf(&sb, "kind=\"outgoing\",remote=\"%s\"",
				    c->remote);
		strbuf_add(&sb, ",process=\"", 10);
		prom_value_escaped(&sb, c->process);
		strbuf_add(&sb, "\"", 1);
		prom_sample(f, "twtune_time_wait_cause_sockets", labels, sb.s,
			    (double)c->time_wait);
		free(sb.s);
	}
}
