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
#include <time.h>
#include <unistd.h>

#include "apply.h"
#include "nsopen.h"
#include "log.h"
#include "persist.h"
#include "sysctl.h"
#include "util.h"

/* A key of this transaction's namespace: through its view, or netfd. */
static int read_key(const struct txn *t, const char *key, char *raw, size_t len)
{
	int fd;

	if (!t->view)
		return sysctl_read(t->netfd, key, raw, len);
	fd = nsview_key_fd(t->view, key);
	return fd < 0 ? -ENOENT : sysctl_read_fd(fd, raw, len);
}

static int set_key(const struct txn *t, const char *key, long long value,
		   bool *written)
{
	int fd;

	if (!t->view)
		return sysctl_set(t->netfd, key, value, written);
	*written = false;
	fd = nsview_key_fd(t->view, key);
	return fd < 0 ? -ENOENT : sysctl_set_fd(fd, value, written);
}

int apply_init(struct txn *t, enum txn_mode mode)
{
	memset(t, 0, sizeof(*t));
	t->rec.mode = mode;
	t->rec.result = RESULT_OK;
	t->netfd = -1;
	t->sysctl_dfd = -1;
	return util_random_hex(t->rec.run, 16);
}

struct change *apply_add(struct txn *t, const char *key, long long before,
			 long long after, const char *rule, const char *reason)
{
	return audit_record_add(&t->rec, key, before, after, rule, reason);
}

bool apply_persists(const struct txn *t)
{
	for (size_t i = 0; i < t->rec.n_changes; i++)
		if (t->rec.changes[i].pop != PERSIST_NONE)
			return true;
	return false;
}

struct change *apply_add_planned(struct txn *t, const struct plan_change *c,
				 bool no_persist)
{
	struct change *ch =
		apply_add(t, c->key, c->from, c->to, c->rule->id, c->reason);

	if (c->persist && !no_persist) {
		ch->pop = PERSIST_SET;
		ch->pvalue = c->to;
	}
	return ch;
}

bool apply_changed(const struct txn *t)
{
	for (size_t i = 0; i < t->rec.n_changes; i++)
		if (t->rec.changes[i].verified)
			return true;
	return false;
}

static int record(struct txn *t, bool intent)
{
	json_t *rec;
	int ret;

	t->rec.intent = intent;
	rec = audit_record_json(&t->rec, t->base, t->error);
	ret = audit_append(t->audit, rec);
	json_decref(rec);
	return ret;
}

/* Put back the live values this run wrote; false if any could not be. */
static bool undo_writes(struct txn *t)
{
	bool all = true;

	for (size_t i = t->rec.n_changes; i-- > 0;) {
		struct change *c = &t->rec.changes[i];
		bool w;

		if (!c->written)
			continue;
		if (set_key(t, c->key, c->before, &w) == 0) {
			c->written = false;
			c->verified = false;
			log_change(LOG_WARNING,
				   "%s%s: restored %lld (run %s failed)",
				   t->label, c->key, c->before, t->rec.run);
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
	char perr[160], *text;
	int ret;

	*old = NULL;
	if (!apply_persists(t))
		return 0;
	if (t->sysctl_dfd < 0) {
		/* never an unpersisted change recorded as ok */
		fail(t, -EBADF, "persist file %s", t->persist_name);
		return -EBADF;
	}
	/* temporary files of runs killed while persisting */
	util_remove_stale_tmp(t->sysctl_dfd, t->persist_name);
	ret = persist_load(t->sysctl_dfd, t->persist_name, &p, old, perr,
			   sizeof(perr));
	if (ret == -ELOOP || ret == -EINVAL || ret == -EISDIR) {
		fail(t, 0,
		     "persist file %s is %s; refusing to write through or over it",
		     t->persist_name,
		     ret == -ELOOP ? "a symbolic link" : "not a regular file");
		return ret;
	}
	if (ret == -EBADMSG) {
		fail(t, 0, "persist file %s:%s; refusing to rewrite it",
		     t->persist_name, perr);
		return -EINVAL;
	}
	if (ret < 0) {
		fail(t, ret, "persist file %s: read", t->persist_name);
		return ret;
	}
	for (size_t i = 0; i < t->rec.n_changes; i++) {
		struct change *c = &t->rec.changes[i];
		const struct persist_entry *e = persist_get(&p, c->key);

		c->had_persist = e != NULL;
		c->persist_before = e ? e->value : 0;
		if (c->pop == PERSIST_SET)
			persist_set(&p, c->key, c->pvalue);
		else if (c->pop == PERSIST_REMOVE)
			persist_remove(&p, c->key);
	}
	if (p.n) {
		text = persist_render(&p, t->rec.run);
		ret = persist_write(t->sysctl_dfd, t->persist_name, text,
				    replaced);
		free(text);
	} else {
		/* nothing left for boot (a rollback of the run that created
		 * it): no file rather than a header that sets nothing */
		ret = persist_unlink(t->sysctl_dfd, t->persist_name, replaced);
	}
	persist_free(&p);
	if (ret < 0) {
		fail(t, ret, "persist file %s: write", t->persist_name);
		return ret;
	}
	for (size_t i = 0; i < t->rec.n_changes; i++)
		t->rec.changes[i].persisted = t->rec.changes[i].pop !=
					      PERSIST_NONE;
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
		for (size_t i = 0; i < t->rec.n_changes; i++)
			t->rec.changes[i].persisted = false;
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
	int ret = read_key(t, c->key, raw, sizeof(raw));

	if (ret == 0)
		ret = sysctl_parse_int(raw, &now);
	if (ret < 0) {
		fail(t, ret, "%s: read before writing", c->key);
		return ret;
	}
	if (now != c->before) {
		fail(t, 0,
		     "%s: is %lld now, not %lld as planned: changed by someone else meanwhile; not overwritten",
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

	ret = record(t, true);
	if (ret < 0) {
		fail(t, ret, "audit log: write intent");
		t->rec.result = RESULT_FAILED;
		return ret; /* fail closed: nothing was written */
	}
	for (size_t i = 0; i < t->rec.n_changes; i++) {
		struct change *c = &t->rec.changes[i];

		if (c->persist_only) {
			c->verified = true; /* the caller saw it at `after` */
			continue;
		}
		ret = still_before(t, c);
		if (ret < 0)
			break;
		ret = set_key(t, c->key, c->after, &c->written);
		c->verified = ret == 0;
		if (ret == -EILSEQ) {
			fail(t, 0,
			     "%s: wrote %lld but it reads back differently",
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
		t->rec.result = RESULT_OK;
		ret = record(t, false);
		if (ret == 0) {
			for (size_t i = 0; i < t->rec.n_changes; i++) {
				struct change *c = &t->rec.changes[i];

				log_change(
					LOG_NOTICE,
					"%s%s: %lld -> %lld%s (rule %s, run %s): %s",
					t->label, c->key, c->before, c->after,
					c->persist_only ? " in the persist file"
							: "",
					c->rule, t->rec.run, c->reason);
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
			append_error(
				t, "; the persist file could not be restored");
		}
		for (size_t i = 0; i < t->rec.n_changes; i++)
			any |= t->rec.changes[i].written;
		if (any && !undo_writes(t)) {
			undone = false;
			append_error(
				t,
				"; not every written value could be restored");
		}
		if (!undone)
			t->rec.result = RESULT_PARTIAL;
		else
			t->rec.result = any || replaced ? RESULT_ROLLED_BACK
							: RESULT_FAILED;
	}
	free(old);
	/* best effort: the audit log may be what failed */
	record(t, false);
	return ret < 0 ? ret : -EIO;
}

void apply_free(struct txn *t)
{
	audit_record_free(&t->rec);
	json_decref(t->base);
	t->base = NULL;
}
