// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The causes of TIME_WAIT and the advice for each; see why.h.
 *
 * TIME_WAIT stays on the side that closes a connection first (RFC 793's
 * active close).  So TIME_WAIT on a local port that something listens on
 * is a server here closing its clients' connections; TIME_WAIT to a
 * destination is a client here closing its own.  Each has its fix in the
 * application (keep-alive, a pool), which spares the table, the ports
 * and the handshakes, where more buckets only hold more of it.
 */
#include "config.h"

#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>

#include "util.h"
#include "why.h"

const char *const why_kind_names[] = {
	[WHY_INCOMING] = "incoming",
	[WHY_OUTGOING] = "outgoing",
};

const char *const why_dir_names[] = {
	[WHY_DIR_NONE] = NULL,		 [WHY_DIR_UNKNOWN] = "unknown",
	[WHY_DIR_INCOMING] = "incoming", [WHY_DIR_OUTGOING] = "outgoing",
	[WHY_DIR_BOTH] = "both",
};

/* A number as the report writes it (whole, or with a few decimals). */
static const char *fmt(double v, char *buf, size_t len)
{
	util_fmt_num(v, buf, len);
	return buf;
}

/* A rate, to a tenth. */
static const char *rate(double v, char *buf, size_t len)
{
	return fmt(round(v * 10) / 10, buf, len);
}

static void remote_text(const struct sock_cause *c, char *out, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (!inet_ntop(c->family, c->remote, a, sizeof(a)))
		snprintf(a, sizeof(a), "?");
	snprintf(out, len, c->family == AF_INET6 ? "[%s]:%u" : "%s:%u", a,
		 c->port);
}

/* Who holds a cause, as a sentence's subject (the report names it). */
static void who(const struct why_cause *c, char *out, size_t len)
{
	if (c->process)
		snprintf(out, len, "%s", c->process);
	else if (c->unit)
		snprintf(out, len, "a process of %s", c->unit);
	else if (c->kind == WHY_INCOMING)
		snprintf(out, len, "the server on :%u", c->local_port);
	else
		snprintf(out, len, "a process of this host");
}

/* Whether two causes have the same owner: a proxy, if they go both ways. */
static bool same_owner(const struct why_cause *a, const struct why_cause *b)
{
	if (a->pid && b->pid)
		return a->pid == b->pid;
	return a->process && b->process && a->unit && b->unit &&
	       !strcmp(a->process, b->process) && !strcmp(a->unit, b->unit);
}

static void advise(struct why_cause *c, const struct why_cause *other)
{
	char w[200], r[INET6_ADDRSTRLEN + 8];

	who(c, w, sizeof(w));
	if (other) {
		const struct why_cause *in = c->kind == WHY_INCOMING ? c
								     : other;
		const struct why_cause *out = c->kind == WHY_INCOMING ? other
								      : c;

		snprintf(
			c->advice, sizeof(c->advice),
			"%s churns both ways: it closes the connections it accepts on :%u and opens a new one to %s for each, like a proxy without keep-alive; keep client connections alive (nginx: keepalive_timeout) and reuse upstream ones (nginx: keepalive in the upstream block, with proxy_http_version 1.1 and an empty Connection header)",
			w, in->local_port, out->remote);
		return;
	}
	if (c->kind == WHY_OUTGOING) {
		snprintf(
			c->advice, sizeof(c->advice),
			"%s opens a new connection to %s for each request and closes it first, so each one leaves TIME_WAIT here: use a connection pool or persistent connections (HTTP keep-alive, a database pool)",
			w, c->remote);
		return;
	}
	snprintf(r, sizeof(r), ":%u", c->local_port);
	if (!c->listening) {
		snprintf(
			c->advice, sizeof(c->advice),
			"nothing listens on %s now: a server that stopped, or a client bound to that port that closes first; a client should reuse its connections",
			r);
		return;
	}
	/* "the server on :8080" says where already */
	snprintf(
		c->advice, sizeof(c->advice),
		"%s closes the connections it accepts%s%s first, so each one leaves TIME_WAIT here: enable HTTP keep-alive or let clients close first (nginx: keepalive_timeout; a proxy also needs keepalive in its upstream block); SO_LINGER {1, 0} (a reset on close) hides TIME_WAIT at the cost of data still in flight, which is no fix",
		w, c->process || c->unit ? " on " : "",
		c->process || c->unit ? r : "");
}

static void take(struct why *w, const struct sock_cause *s, double tw)
{
	struct why_cause *c = &w->causes[w->n++];

	memset(c, 0, sizeof(*c));
	c->kind = s->outgoing ? WHY_OUTGOING : WHY_INCOMING;
	c->local_port = s->outgoing ? 0 : s->port;
	if (s->outgoing)
		remote_text(s, c->remote, sizeof(c->remote));
	c->time_wait = s->time_wait;
	c->share = tw > 0 ? (double)s->time_wait / tw : 0;
	c->process = s->process[0] ? s->process : NULL;
	c->pid = s->pid;
	c->unit = s->unit[0] ? s->unit : NULL;
	c->how = s->how[0] ? s->how : NULL;
	c->listening = s->listening;
}

/* The causes of st, biggest first, at most WHY_MAX. */
static void pick(const struct sock_stats *st, struct why *w)
{
	bool used[2 * SOCK_CAUSES] = { false };
	double tw = (double)st->states[TCP_TIME_WAIT];

	for (;;) {
		const struct sock_cause *best = NULL;
		size_t bi = 0;

		for (size_t i = 0; i < st->n_causes; i++) {
			const struct sock_cause *c = &st->causes[i];

			if (!used[i] && c->time_wait &&
			    (!best || c->time_wait > best->time_wait)) {
				best = c;
				bi = i;
			}
		}
		if (!best)
			break;
		used[bi] = true;
		if (w->n == WHY_MAX)
			w->more++;
		else
			take(w, best, tw);
	}
	for (size_t i = 0; i < w->n; i++) {
		const struct why_cause *other = NULL;

		for (size_t k = 0; k < w->n && !other; k++)
			if (w->causes[k].kind != w->causes[i].kind &&
			    same_owner(&w->causes[i], &w->causes[k]))
				other = &w->causes[k];
		w->causes[i].proxy = other != NULL;
		advise(&w->causes[i], other);
	}
}

static void churn(const struct observation *o, struct why *w)
{
	double a = o->m[M_ACTIVE_OPEN_RATE], p = o->m[M_PASSIVE_OPEN_RATE];
	char x[32], y[32], z[32];

	if (isnan(a) || isnan(p)) {
		const char *why = o->why[isnan(a) ? M_ACTIVE_OPEN_RATE
						  : M_PASSIVE_OPEN_RATE];

		snprintf(w->churn, sizeof(w->churn), "unknown (%s)",
			 why ? why : "no counters");
		return;
	}
	snprintf(w->churn, sizeof(w->churn),
		 "%s/s opened by this host, %s/s accepted (over the last %s s)",
		 rate(a, x, sizeof(x)), rate(p, y, sizeof(y)),
		 fmt(round(o->window * 100) / 100, z, sizeof(z)));
}

/*
 * Which way the overflow most likely went.  Each new connection leaves at
 * most one TIME_WAIT here, on the side that closes first: incoming
 * TIME_WAIT arrives at most as fast as connections are accepted
 * (passive_open_rate), outgoing at most as fast as they are opened
 * (active_open_rate).  TIME_WAIT arrives at the table's size over its
 * lifetime (what leaves a full table) plus the overflow rate, so whatever
 * of that exceeds one side's churn is the other side's.  Where the churn
 * does not tell (loopback counts every connection both ways) the table's
 * own split stands for it, that of the sockets it admitted in the last
 * 10 s where there are enough of them (a full table admits sockets in the
 * order they come, and the older ones came under another mix, maybe).
 * When it overflows and admitted next to none lately, what it holds came
 * before the overflow, and the direction is unknown.
 */
static enum why_dir direction(const struct sock_stats *st,
			      const struct observation *o, char *basis,
			      size_t len)
{
	double out = (double)st->tw_outgoing, in = (double)st->tw_incoming;
	double a = o->m[M_ACTIVE_OPEN_RATE], p = o->m[M_PASSIVE_OPEN_RATE];
	double ovr = o->m[M_TW_OVERFLOW_RATE], tot = out + in, arrive;
	uint64_t young_n;
	bool young;
	double life = o->tw_lifetime > 0 ? o->tw_lifetime : TW_LIFETIME;
	char x[32], y[32];

	arrive = tot / life + (ovr > 0 ? ovr : 0);
	/*
	 * Each arrival is a connection opened or accepted: where the churn
	 * counts not even half as many connections (a table that stopped
	 * turning over, so that the estimate from its size is wrong), it
	 * says nothing about the direction.
	 */
	if (!isnan(a) && !isnan(p) && arrive > 0 && a + p >= arrive / 2) {
		double out_min = (arrive - p) / arrive;
		double in_min = (arrive - a) / arrive;

		if (out_min >= 0.5 || in_min >= 0.5) {
			bool o_ = out_min >= 0.5;

			snprintf(
				basis, len,
				"TIME_WAIT arrives at about %s/s, more than the %s/s connections %s, so at least %.0f%% of it is %s",
				rate(arrive, x, sizeof(x)),
				rate(o_ ? p : a, y, sizeof(y)),
				o_ ? "accepted" : "opened",
				floor(100 * (o_ ? out_min : in_min)),
				o_ ? "outgoing" : "incoming");
			return o_ ? WHY_DIR_OUTGOING : WHY_DIR_INCOMING;
		}
	}
	if (!(tot > 0)) {
		snprintf(basis, len, "the dump holds no TIME_WAIT to tell");
		return WHY_DIR_UNKNOWN;
	}
	young_n = st->tw_young_out + st->tw_young_in;
	/* what entered the table lately is its mix now, when there is some */
	young = young_n >= 10 && life == TW_LIFETIME;
	/*
	 * A full table that overflows while next to nothing enters it holds
	 * sockets from before the overflow: their mix says nothing about it.
	 */
	if (!young && life == TW_LIFETIME && o->m[M_TW_OVERFLOW_DELTA] > 0) {
		char churn[160] = "";

		if (!isnan(a) && !isnan(p))
			snprintf(
				churn, sizeof(churn),
				", and the churn (%s/s opened, %s/s accepted) does not tell the two apart",
				rate(a, x, sizeof(x)), rate(p, y, sizeof(y)));
		util_textf(
			basis, len,
			"only %llu of the TIME_WAIT in the table got a bucket in the last 10 s, too few to stand for what overflowed%s",
			(unsigned long long)young_n, churn);
		return WHY_DIR_UNKNOWN;
	}
	if (young) {
		out = (double)st->tw_young_out;
		in = (double)st->tw_young_in;
		tot = out + in;
	}
	if (isnan(a) || isnan(p))
		snprintf(
			basis, len, "%s %.0f%% outgoing and %.0f%% incoming",
			young ? "the TIME_WAIT that got a bucket in the last 10 s is"
			      : "the table holds TIME_WAIT",
			round(100 * out / tot), round(100 * in / tot));
	else
		snprintf(
			basis, len,
			"%s %.0f%% outgoing and %.0f%% incoming, and the churn (%s/s opened, %s/s accepted) does not tell the two apart",
			young ? "the TIME_WAIT that got a bucket in the last 10 s is"
			      : "the table holds TIME_WAIT",
			round(100 * out / tot), round(100 * in / tot),
			rate(a, x, sizeof(x)), rate(p, y, sizeof(y)));
	if (out / tot >= 0.8)
		return WHY_DIR_OUTGOING;
	if (in / tot >= 0.8)
		return WHY_DIR_INCOMING;
	return WHY_DIR_BOTH;
}

static void caveat(const struct sock_stats *st, const struct observation *o,
		   struct why *w)
{
	double d = o->m[M_TW_OVERFLOW_DELTA];
	char a[32], b[32], c[32], more[200] = "", basis[400];

	w->full = o->m[M_TW_RATIO] >= 0.95 || d > 0 ||
		  o->m[M_TW_SATURATED] == 1;
	if (!w->full) {
		w->overflow_dir = WHY_DIR_NONE;
		return;
	}
	if (d > 0)
		snprintf(more, sizeof(more),
			 "; %s more closed without one in the last %s s (%s/s)",
			 fmt(d, a, sizeof(a)),
			 fmt(round(o->window * 100) / 100, b, sizeof(b)),
			 rate(o->m[M_TW_OVERFLOW_RATE], c, sizeof(c)));
	w->overflow_dir = direction(st, o, basis, sizeof(basis));
	util_textf(
		w->caveat, sizeof(w->caveat),
		"the table is full: the dump holds only the %s TIME_WAIT sockets that got a bucket%s, and the shares are of those. %s %s%s: %s",
		fmt((double)st->states[TCP_TIME_WAIT], a, sizeof(a)), more,
		d > 0 ? "The overflow is"
		      : "No overflow was counted; what enters it is",
		w->overflow_dir == WHY_DIR_UNKNOWN ? "of unknown direction"
		: w->overflow_dir == WHY_DIR_BOTH  ? "both ways"
						   : "most likely ",
		w->overflow_dir == WHY_DIR_INCOMING   ? "incoming"
		: w->overflow_dir == WHY_DIR_OUTGOING ? "outgoing"
						      : "",
		basis);
}

void why_diagnose(const struct sock_stats *st, const struct observation *o,
		  bool syn_flood, struct why *out)
{
	char a[32];

	memset(out, 0, sizeof(*out));
	churn(o, out);
	if (syn_flood)
		snprintf(
			out->syn_flood, sizeof(out->syn_flood),
			"SYN_RECV from %s addresses with SYN cookies or listen overflows: see the syn-flood-hint advice; TIME_WAIT from a flood is not the application's to change",
			fmt(o->m[M_SYN_RECV_PEERS], a, sizeof(a)));
	if (!st || !st->collected) {
		out->unknown = st && st->error[0] ? st->error
						  : "no socket dump";
		return;
	}
	if (!(o->m[M_EPHEMERAL_PORTS] > 0)) {
		out->unknown =
			"ip_local_port_range is unknown, so is the direction";
		return;
	}
	out->known = true;
	out->time_wait = st->states[TCP_TIME_WAIT];
	pick(st, out);
	caveat(st, o, out);
}
