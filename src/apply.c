// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The change transaction.  Order matters: the intent record is on disk
 * before the first write (fail closed), live values are written and read
 * back one key at a time, the persist file is replaced in one rename, and
 * the result record closes the run.  A failure at any step undoes what
 * this run changed, newest first, and the result record says so.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "apply.h"
#include "persist.h"
#include "sysctl.h"
#include "util.h"

int apply_init(struct txn *t, const char *mode)
{
	memset(t, 0, sizeof(*t));
	t->mode = mode;
	t->netfd = -1;
	t->sysctl_dfd = -1;
	t->result = "ok";
	return util_random_hex(t->run, 16);
}

struct change *apply_add(struct txn *t, const char *key, long long before,
			 long long after, const char *rule, const char *reason)
{
	struct change *c;

	t->changes =
		xrealloc(t->changes, (t->n_changes + 1) * sizeof(*t->changes));
	c = &t->changes[t->n_changes++];
	memset(c, 0, sizeof(*c));
	c->key = xstrdup(key);
	c->before = before;
	c->after = after;
	c->rule = xstrdup(rule);
	c->reason = xstrdup(reason);
	return c;
}

json_t *apply_changes_json(const struct txn *t)
{
	json_t *a = json_array();

	for (size_t i = 0; i < t->n_changes; i++) {
		const struct change *c = &t->changes[i];
		json_t *o = json_pack(
			"{s:s, s:I, s:I, s:s, s:s, s:b, s:b, s:b}", "key",
			c->key, "before", (json_int_t)c->before, "after",
			(json_int_t)c->after, "rule", c->rule, "reason",
			c->reason, "written", c->written, "verified",
			c->verified, "persisted", c->persisted);

		json_object_set_new(o, "persist",
				    json_boolean(c->pop != PERSIST_NONE));
		json_object_set_new(o, "persist_before",
				    c->had_persist
					    ? json_integer(c->persist_before)
					    : json_null());
		json_array_append_new(a, o);
	}
	return a;
}

static int record(struct txn *t, const char *phase)
{
	json_t *rec = json_object();
	struct timespec ts;
	char when[32];
	int ret;

	clock_gettime(CLOCK_REALTIME, &ts);
	util_rfc3339(&ts, when);
	json_object_set_new(rec, "time", json_string(when));
	json_object_set_new(rec, "run", json_string(t->run));
	json_object_set_new(rec, "phase", json_string(phase));
	json_object_set_new(rec, "mode", json_string(t->mode));
	if (t->rollback_of)
		json_object_set_new(rec, "rollback_of",
				    json_string(t->rollback_of));
	json_object_update(rec, t->base);
	json_object_set_new(rec, "changes", apply_changes_json(t));
	json_object_set_new(rec, "result",
			    strcmp(phase, "intent") == 0
				    ? json_null()
				    : json_string(t->result));
	json_object_set_new(rec, "error",
			    t->error[0] ? json_string(t->error) : json_null());
	ret = audit_append(t->audit, rec);
	json_decref(rec);
	return ret;
}

/* Put back the live values this run wrote; false if any could not be. */
static bool undo_writes(struct txn *t)
{
	bool all = true;

	for (size_t i = t->n_changes; i-- > 0;) {
		struct change *c = &t->changes[i];
		bool w;

		if (!c->written)
			continue;
		if (sysctl_set(t->netfd, c->key, c->before, &w) == 0) {
			c->written = false;
			c->verified = false;
			syslog(LOG_WARNING, "%s: restored %lld (run %s failed)",
			       c->key, c->before, t->run);
		} else {
			all = false;
		}
	}
	return all;
}

static void fail(struct txn *t, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void fail(struct txn *t, int err, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(t->error, sizeof(t->error), fmt, ap);
	va_end(ap);
	n = strlen(t->error);
	if (err)
		snprintf(t->error + n, sizeof(t->error) - n, ": %s",
			 strerror(-err));
}

/*
 * Merge this run's keys into the persist file.  *old is the previous text
 * (NULL if there was no file) so that a later failure can put it back;
 * *replaced says whether the new file took its name.
 */
static int persist(struct txn *t, char **old, bool *replaced)
{
	struct persist p = { 0 };
	bool any = false;
	char perr[160], *text;
	int ret;

	*old = NULL;
	for (size_t i = 0; i < t->n_changes; i++)
		any |= t->changes[i].pop != PERSIST_NONE;
	if (!any || t->sysctl_dfd < 0)
		return 0;
	/* temporary files of runs killed while persisting */
	util_remove_stale_tmp(t->sysctl_dfd, t->persist_name);
	ret = persist_read(t->sysctl_dfd, t->persist_name, old);
	if (ret == -ELOOP || ret == -EINVAL || ret == -EISDIR) {
		fail(t, 0,
		     "persist file %s is %s; refusing to write through or over "
		     "it",
		     t->persist_name,
		     ret == -ELOOP ? "a symbolic link" : "not a regular file");
		return ret;
	}
	if (ret < 0) {
		fail(t, ret, "persist file %s: read", t->persist_name);
		return ret;
	}
	if (*old && persist_parse(*old, &p, perr, sizeof(perr)) < 0) {
		fail(t, 0, "persist file %s:%s; refusing to rewrite it",
		     t->persist_name, perr);
		return -EINVAL;
	}
	for (size_t i = 0; i < t->n_changes; i++) {
		struct change *c = &t->changes[i];
		const struct persist_entry *e = persist_get(&p, c->key);

		c->had_persist = e != NULL;
		c->persist_before = e ? e->value : 0;
		if (c->pop == PERSIST_SET)
			persist_set(&p, c->key, c->pvalue);
		else if (c->pop == PERSIST_REMOVE)
			persist_remove(&p, c->key);
	}
	text = persist_render(&p, t->run);
	ret = persist_write(t->sysctl_dfd, t->persist_name, text, replaced);
	free(text);
	persist_free(&p);
	if (ret < 0) {
		fail(t, ret, "persist file %s: write", t->persist_name);
		return ret;
	}
	for (size_t i = 0; i < t->n_changes; i++)
		t->changes[i].persisted = t->changes[i].pop != PERSIST_NONE;
	return 0;
}

/*
 * Put the persist file back as it was.  Called after any failure once the
 * new file took its name (a failed fsync of the directory comes after the
 * rename; a failed result record after all of it), and only then: before
 * the rename the file is untouched, and removing or rewriting it would
 * destroy what was there (or a symbolic link someone planted).
 */
static int unpersist(struct txn *t, const char *old)
{
	int ret;

	if (t->sysctl_dfd < 0)
		return 0;
	if (old)
		ret = persist_write(t->sysctl_dfd, t->persist_name, old, NULL);
	else
		ret = unlinkat(t->sysctl_dfd, t->persist_name, 0) < 0 &&
				      errno != ENOENT
			      ? -errno
			      : 0;
	if (ret == 0)
		for (size_t i = 0; i < t->n_changes; i++)
			t->changes[i].persisted = false;
	return ret;
}

/*
 * Compare and set: the plan was made from values read earlier, and a
 * writer outside twtune's lock (an administrator, another tool) may have
 * changed the key since.  Writing over that would lose their update.
 */
static int still_before(struct txn *t, const struct change *c)
{
	char raw[64];
	long long now;
	int ret = sysctl_read(t->netfd, c->key, raw, sizeof(raw));

	if (ret == 0)
		ret = sysctl_parse_int(raw, &now);
	if (ret < 0) {
		fail(t, ret, "%s: read before writing", c->key);
		return ret;
	}
	if (now != c->before) {
		fail(t, 0,
		     "%s: is %lld now, not %lld as planned: changed by "
		     "someone else meanwhile; not overwritten",
		     c->key, now, c->before);
		return -ESTALE;
	}
	return 0;
}

static void append_error(struct txn *t, const char *more)
{
	size_t n = strlen(t->error);

	snprintf(t->error + n, sizeof(t->error) - n, "%s", more);
}

static int execute(struct txn *t);

/*
 * Signals that end the process are held back while the transaction runs,
 * so that it is never cut between intent and result by a Ctrl-C or a
 * service stop; they are delivered right after.
 */
int apply_execute(struct txn *t)
{
	sigset_t block, saved;
	int ret;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGQUIT);
	sigprocmask(SIG_BLOCK, &block, &saved);
	ret = execute(t);
	sigprocmask(SIG_SETMASK, &saved, NULL);
	return ret;
}

static int execute(struct txn *t)
{
	char *old = NULL;
	bool replaced = false;
	int ret;

	ret = record(t, "intent");
	if (ret < 0) {
		fail(t, ret, "audit log: write intent");
		t->result = "failed";
		return ret; /* fail closed: nothing was written */
	}
	for (size_t i = 0; i < t->n_changes; i++) {
		struct change *c = &t->changes[i];

		if (c->persist_only) {
			c->verified = true; /* the caller saw it at `after` */
			continue;
		}
		ret = still_before(t, c);
		if (ret < 0)
			break;
		ret = sysctl_set(t->netfd, c->key, c->after, &c->written);
		c->verified = ret == 0;
		if (ret == -EILSEQ) {
			fail(t, 0,
			     "%s: wrote %lld but it reads back "
			     "differently",
			     c->key, c->after);
			break;
		}
		if (ret < 0) {
			fail(t, ret, "%s: write %lld", c->key, c->after);
			break;
		}
	}
	if (ret == 0)
		ret = persist(t, &old, &replaced);
	if (ret == 0) {
		t->result = "ok";
		ret = record(t, "result");
		if (ret == 0) {
			for (size_t i = 0; i < t->n_changes; i++) {
				struct change *c = &t->changes[i];

				syslog(LOG_NOTICE,
				       "%s: %lld -> %lld%s (rule %s, run %s)",
				       c->key, c->before, c->after,
				       c->persist_only ? " in the persist file"
						       : "",
				       c->rule, t->run);
			}
			free(old);
			return 0;
		}
		/* an unaudited change is not allowed to stand */
		fail(t, ret, "audit log: write result");
	}
	{
		bool any = false, undone = true;

		if (replaced && unpersist(t, old) < 0) {
			undone = false;
			append_error(t, "; the persist file could not be "
					"restored");
		}
		for (size_t i = 0; i < t->n_changes; i++)
			any |= t->changes[i].written;
		if (any && !undo_writes(t)) {
			undone = false;
			append_error(t, "; not every written value could be "
					"restored");
		}
		if (!undone)
			t->result = "partial";
		else
			t->result = any || replaced ? "rolled_back" : "failed";
	}
	free(old);
	/* best effort: the audit log may be what failed */
	record(t, "result");
	return ret < 0 ? ret : -EIO;
}

void apply_free(struct txn *t)
{
	for (size_t i = 0; i < t->n_changes; i++) {
		free(t->changes[i].key);
		free(t->changes[i].rule);
		free(t->changes[i].reason);
	}
	free(t->changes);
	json_decref(t->base);
	t->changes = NULL;
	t->n_changes = 0;
	t->base = NULL;
}
