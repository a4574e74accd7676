// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * State file in JSON.  It is a cache: a missing or unreadable one only
 * means no baseline, so every failure here becomes a warning upstream.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bounds.h"
#include "state.h"
#include "sysctl.h"

#define STATE_VERSION 2

static double num_or_nan(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_number(v) ? json_number_value(v) : NAN;
}

static json_t *num(double v)
{
	return isnan(v) ? json_null() : json_real(v);
}

/* A namespace cookie, 0 when absent or not one. */
static unsigned long long cookie_of(json_t *o)
{
	json_t *c = json_object_get(o, "netns_cookie");

	return json_is_integer(c) && json_integer_value(c) > 0
		       ? (unsigned long long)json_integer_value(c)
		       : 0;
}

static void load_sample(json_t *j, struct baseline *b)
{
	const char *boot = json_string_value(json_object_get(j, "boot_id"));

	memset(b, 0, sizeof(*b));
	b->source = "state";
	b->time = num_or_nan(j, "time");
	b->netns = (unsigned long long)json_integer_value(
		json_object_get(j, "netns"));
	b->netns_cookie = cookie_of(j);
	b->tw_max = num_or_nan(j, "tw_max");
	snprintf(b->boot_id, sizeof(b->boot_id), "%s", boot ? boot : "");
	b->c.tw_overflows = num_or_nan(j, "tw_overflows");
	b->c.syncookies_sent = num_or_nan(j, "syncookies_sent");
	b->c.listen_overflows = num_or_nan(j, "listen_overflows");
	b->burst = num_or_nan(j, "burst");
	b->burst_since = num_or_nan(j, "burst_since");
	b->c.active_opens = num_or_nan(j, "active_opens");
	b->c.passive_opens = num_or_nan(j, "passive_opens");
	/* unknown tw_max and tw_overflows are kernel facts (a child
	 * namespace before 4.11, a kernel before 2.6.38), not damage */
	b->valid = !isnan(b->time);
}

static void push_written(struct state *s, unsigned long long netns,
			 unsigned long long cookie, const char *key,
			 long long value)
{
	s->written =
		xrealloc(s->written, (s->n_written + 1) * sizeof(*s->written));
	s->written[s->n_written].netns = netns;
	s->written[s->n_written].cookie = cookie;
	s->written[s->n_written].key = xstrdup(key);
	s->written[s->n_written++].value = value;
}

/*
 * The written values: [{"netns": N, "cookie": C, "key": K, "value": V},
 * ...] (no cookie: unknown), or, as
 * older twtunes wrote it, {K: V, ...} without the namespace (netns 0).
 * Only keys twtune could manage.  Appended without looking for
 * duplicates (linear): a later one for the same key wins in lookups.
 */
static void load_written(json_t *w, struct state *s)
{
	const char *key, *why;
	json_t *v;
	size_t i;

	json_object_foreach (w, key, v) {
		if (s->n_written == STATE_WRITTEN_MAX)
			break;
		if (!json_is_integer(v) || !sysctl_key_valid(key, &why))
			continue;
		push_written(s, 0, 0, key, json_integer_value(v));
	}
	json_array_foreach (w, i, v) {
		json_t *n = json_object_get(v, "netns"),
		       *val = json_object_get(v, "value");

		key = json_string_value(json_object_get(v, "key"));
		if (s->n_written == STATE_WRITTEN_MAX)
			break;
		if (!key || !json_is_integer(n) || json_integer_value(n) < 0 ||
		    !json_is_integer(val) || !sysctl_key_valid(key, &why))
			continue;
		push_written(s, (unsigned long long)json_integer_value(n),
			     cookie_of(v), key, json_integer_value(val));
	}
}

int state_load(const char *path, struct state *s, char *err, size_t errlen)
{
	json_error_t je;
	json_t *root, *v;
	struct stat st;
	char *text, why[256];
	size_t i;
	int ret;

	memset(s, 0, sizeof(*s));
	/* never through a link, never a FIFO or anything but a file */
	ret = util_read_file(AT_FDCWD, path, O_NOFOLLOW, STATE_FILE_MAX, &text,
			     NULL, &st);
	if (ret < 0) {
		snprintf(err, errlen, "%s: %s", path,
			 ret == -EINVAL ? "not a regular file"
					: strerror(-ret));
		return ret;
	}
	/* it decides what apply backs off from: the trust of a policy */
	if (util_untrusted(path, &st, why, sizeof(why))) {
		snprintf(err, errlen, "%s: refusing it: %s", path, why);
		free(text);
		return -EPERM;
	}
	root = json_loads(text, 0, &je);
	free(text);
	/* say where, never what: the file may not be ours to show */
	if (!json_is_object(root) ||
	    json_integer_value(json_object_get(root, "version")) !=
		    STATE_VERSION) {
		snprintf(err, errlen,
			 "%s: not a twtune state file (version %d)%s", path,
			 STATE_VERSION, root ? "" : ": not JSON");
		json_decref(root);
		return -EINVAL;
	}
	json_array_foreach (json_object_get(root, "samples"), i, v) {
		struct baseline b;

		if (s->n_samples == STATE_SAMPLES_MAX)
			break;
		load_sample(v, &b);
		if (b.valid)
			state_push_sample(s, &b);
	}
	{
		json_t *sl = json_object_get(root, "slab");
		const char *b =
			json_string_value(json_object_get(sl, "boot_id"));

		s->slab.size = num_or_nan(sl, "tw_sock_size");
		snprintf(s->slab.boot_id, sizeof(s->slab.boot_id), "%s",
			 b ? b : "");
	}
	s->last_apply = num_or_nan(root, "last_apply");
	if (isnan(s->last_apply))
		s->last_apply = 0;
	load_written(json_object_get(root, "written"), s);
	json_decref(root);
	return 0;
}

static bool usable(const struct baseline *b, const struct observation *o)
{
	return b->valid && b->time < o->time &&
	       util_same_netns(b->netns, b->netns_cookie, o->netns,
			       o->netns_cookie) &&
	       strcmp(b->boot_id, o->boot_id) == 0 &&
	       util_same_num(b->tw_max, o->m[M_TW_MAX]) &&
	       !(o->c.tw_overflows < b->c.tw_overflows);
}

bool state_pick_baseline(const struct state *s, const struct observation *o,
			 struct baseline *out)
{
	const struct baseline *best = NULL;

	/* samples are kept oldest first */
	for (size_t i = 0; i < s->n_samples; i++) {
		const struct baseline *b = &s->samples[i];

		if (!usable(b, o))
			continue;
		if (!best || o->time - b->time >= STATE_HORIZON)
			best = b;
	}
	if (!best)
		return false;
	*out = *best;
	return true;
}

bool state_has_recent(const struct state *s, const struct baseline *b,
		      double gap)
{
	for (size_t i = 0; i < s->n_samples; i++) {
		const struct baseline *x = &s->samples[i];

		if (util_same_netns(x->netns, x->netns_cookie, b->netns,
				    b->netns_cookie) &&
		    util_same_num(x->tw_max, b->tw_max) &&
		    strcmp(x->boot_id, b->boot_id) == 0 && x->time <= b->time &&
		    b->time - x->time < gap)
			return true;
	}
	return false;
}

void state_push_sample(struct state *s, const struct baseline *b)
{
	s->samples =
		xrealloc(s->samples, (s->n_samples + 1) * sizeof(*s->samples));
	s->samples[s->n_samples++] = *b;
}

void state_add_sample(struct state *s, const struct baseline *sample)
{
	struct baseline b = *sample, *mine;
	double tw_max = b.tw_max;
	size_t keep = 0, n_mine = 0, first = 0;

	b.source = "state";
	mine = xcalloc(s->n_samples + 1, sizeof(*mine));
	for (size_t i = 0; i < s->n_samples; i++) {
		struct baseline *x = &s->samples[i];

		/* another boot: no baseline for anything any more */
		if (strcmp(x->boot_id, b.boot_id) != 0)
			continue;
		if (x->netns != b.netns)
			s->samples[keep++] = *x;
		/* a deleted namespace's whose inode this one got */
		else if (!util_same_netns(x->netns, x->netns_cookie, b.netns,
					  b.netns_cookie))
			continue;
		/* this namespace's, that can still be a baseline */
		else if (util_same_num(x->tw_max, tw_max) && x->time < b.time)
			mine[n_mine++] = *x;
	}
	s->n_samples = keep;
	/* of those older than the horizon, only the newest is needed */
	for (size_t i = n_mine; i-- > 1;) {
		if (b.time - mine[i].time >= STATE_HORIZON) {
			first = i;
			break;
		}
	}
	/* full: thin out the middle, keep the oldest (the anchor) */
	while (n_mine - first >= STATE_SAMPLES_PER_NETNS) {
		memmove(&mine[first + 1], &mine[first + 2],
			(n_mine - first - 2) * sizeof(*mine));
		n_mine--;
	}
	/* all namespaces together: the oldest of the others go first */
	while (s->n_samples &&
	       s->n_samples + (n_mine - first) + 1 > STATE_SAMPLES_MAX) {
		memmove(&s->samples[0], &s->samples[1],
			(s->n_samples - 1) * sizeof(*s->samples));
		s->n_samples--;
	}
	for (size_t i = first; i < n_mine; i++)
		state_push_sample(s, &mine[i]);
	state_push_sample(s, &b);
	free(mine);
}

void state_adopt(struct state *s, unsigned long long netns)
{
	for (size_t i = 0; i < s->n_written; i++)
		if (s->written[i].netns == 0)
			s->written[i].netns = netns;
}

static bool kept(unsigned long long ns, const unsigned long long *keep,
		 size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (keep[i] == ns)
			return true;
	return false;
}

void state_keep_netns(struct state *s, const unsigned long long *keep, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < s->n_samples; i++)
		if (kept(s->samples[i].netns, keep, n))
			s->samples[k++] = s->samples[i];
	s->n_samples = k;
	k = 0;
	for (size_t i = 0; i < s->n_written; i++) {
		if (kept(s->written[i].netns, keep, n))
			s->written[k++] = s->written[i];
		else
			free(s->written[i].key);
	}
	s->n_written = k;
}

/*
 * The state file as text, never larger than twtune reads back
 * (STATE_FILE_MAX): while it is, the oldest quarter of the samples goes
 * (a baseline is made again in a minute), then of the written values.
 */
static int dump_within_bounds(json_t *root, json_t *samples, json_t *w,
			      char **text)
{
	for (;;) {
		json_t *from;
		size_t n;

		*text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		if (!*text)
			return -ENOMEM;
		if (strlen(*text) <= STATE_FILE_MAX)
			return 0;
		free(*text);
		*text = NULL;
		from = json_array_size(samples) ? samples : w;
		n = json_array_size(from);
		if (!n)
			return -EFBIG;
		for (size_t i = 0; i < n / 4 + 1; i++)
			json_array_remove(from, 0);
	}
}

int state_save(const char *path, const struct state *s, char *err,
	       size_t errlen)
{
	char *dir = util_dirname(path), *text = NULL;
	const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	json_t *root, *w, *samples = json_array();
	int dfd = -1, ret;

	for (size_t i = 0; i < s->n_samples; i++) {
		const struct baseline *b = &s->samples[i];

		json_t *e = json_pack("{s:o, s:s, s:I, s:o, s:o, s:o, s:o}",
				      "time", json_real(b->time), "boot_id",
				      b->boot_id, "netns", (json_int_t)b->netns,
				      "tw_max", num(b->tw_max), "tw_overflows",
				      num(b->c.tw_overflows), "syncookies_sent",
				      num(b->c.syncookies_sent),
				      "listen_overflows",
				      num(b->c.listen_overflows));

		if (!e)
			continue; /* out of memory: the sample is lost */
		if (b->netns_cookie)
			json_object_set_new(
				e, "netns_cookie",
				json_integer((json_int_t)b->netns_cookie));
		/* the churn counters (Tcp ActiveOpens, PassiveOpens) */
		json_object_set_new(e, "active_opens", num(b->c.active_opens));
		json_object_set_new(e, "passive_opens",
				    num(b->c.passive_opens));
		if (b->burst > 0) {
			json_object_set_new(e, "burst", json_real(b->burst));
			json_object_set_new(e, "burst_since",
					    json_real(b->burst_since));
		}
		json_array_append_new(samples, e);
	}
	root = json_pack("{s:i, s:o, s:{s:s, s:o}}", "version", STATE_VERSION,
			 "samples", samples, "slab", "boot_id", s->slab.boot_id,
			 "tw_sock_size", num(s->slab.size));
	w = json_array();
	for (size_t i = 0; i < s->n_written; i++) {
		json_t *e = json_pack("{s:I, s:s, s:I}", "netns",
				      (json_int_t)s->written[i].netns, "key",
				      s->written[i].key, "value",
				      (json_int_t)s->written[i].value);

		if (e && s->written[i].cookie)
			json_object_set_new(
				e, "netns_cookie",
				json_integer((json_int_t)s->written[i].cookie));
		json_array_append_new(w, e);
	}
	json_object_set_new(root, "written", w);
	json_object_set_new(root, "last_apply", json_real(s->last_apply));
	ret = dump_within_bounds(root, samples, w, &text);
	json_decref(root);
	if (ret == 0)
		ret = util_mkdir_p(dir, 0750);
	if (ret == 0) {
		dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		ret = dfd < 0 ? -errno : 0;
	}
	if (ret == 0) {
		/*
		 * Atomic but not fsync'd: the state is a cache, and a crash
		 * that loses it only costs one baseline.  This keeps a
		 * report's cost off the disk.
		 */
		ret = util_replace(dfd, name, text, strlen(text), 0640, false);
		close(dfd); /* read-only directory descriptor */
	}
	if (ret < 0)
		snprintf(err, errlen, "state file %s: %s", path,
			 strerror(-ret));
	free(text);
	free(dir);
	return ret;
}

void state_set_written(struct state *s, unsigned long long netns,
		       unsigned long long cookie, const char *key,
		       long long value)
{
	/* the last one for the key is the one lookups find */
	for (size_t i = s->n_written; i-- > 0;) {
		if (s->written[i].netns == netns &&
		    strcmp(s->written[i].key, key) == 0) {
			s->written[i].value = value;
			s->written[i].cookie = cookie;
			return;
		}
	}
	if (s->n_written == STATE_WRITTEN_MAX) {
		free(s->written[0].key);
		memmove(&s->written[0], &s->written[1],
			(s->n_written - 1) * sizeof(*s->written));
		s->n_written--;
	}
	push_written(s, netns, cookie, key, value);
}

const struct state_written *state_get_written(const struct state *s,
					      unsigned long long netns,
					      unsigned long long cookie,
					      const char *key)
{
	const struct state_written *w = NULL;

	for (size_t i = 0; i < s->n_written; i++)
		if (util_same_netns(s->written[i].netns, s->written[i].cookie,
				    netns, cookie) &&
		    strcmp(s->written[i].key, key) == 0)
			w = &s->written[i];
	return w;
}

void state_free(struct state *s)
{
	for (size_t i = 0; i < s->n_written; i++)
		free(s->written[i].key);
	free(s->written);
	free(s->samples);
	memset(s, 0, sizeof(*s));
}

double state_burst(const struct state *s, const struct baseline *b,
		   const struct observation *o)
{
	for (size_t i = 0; i < s->n_samples; i++) {
		const struct baseline *x = &s->samples[i];

		/* the sample right after b, and no overflow since it */
		if (x->burst > 0 && fabs(x->burst_since - b->time) < 1e-6 &&
		    util_same_netns(x->netns, x->netns_cookie, o->netns,
				    o->netns_cookie) &&
		    strcmp(x->boot_id, o->boot_id) == 0 &&
		    x->c.tw_overflows == o->c.tw_overflows)
			return x->burst;
	}
	return NAN;
}
