// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Audit log writing, verification and lookup.  Records are serialised
 * with the keys in insertion order and no whitespace, so that the bytes
 * hashed are exactly the bytes on disk.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"

#define LINE_MAX_BYTES (1u << 20)

/*
 * The last min(file size, max) bytes of the file behind fd into *buf
 * (NULL when the file is empty); *size is the file's size.
 */
static int read_tail(int fd, size_t max, char **buf, size_t *len, off_t *size)
{
	struct stat st;
	ssize_t n;

	*buf = NULL;
	*len = 0;
	if (fstat(fd, &st) < 0)
		return -errno;
	*size = st.st_size;
	if (st.st_size == 0)
		return 0;
	*len = (size_t)st.st_size < max ? (size_t)st.st_size : max;
	*buf = xmalloc(*len);
	n = pread(fd, *buf, *len, st.st_size - (off_t)*len);
	if (n < 0 || (size_t)n != *len) {
		free(*buf);
		*buf = NULL;
		return n < 0 ? -errno : -EIO;
	}
	return 0;
}

/* Where the line that ends at buf[end] (its newline, or the end) starts. */
static size_t line_start(const char *buf, size_t end)
{
	while (end > 0 && buf[end - 1] != '\n')
		end--;
	return end;
}

/*
 * A record is one write(2), but SIGKILL can cut a write short, so a run
 * killed while logging can leave a partial last line.  That record was
 * never complete, so its run had not gone on to write anything after it
 * (an intent) or has an intent before it (a result): cut it off, and let
 * the caller close the run.  A complete line that is not a record is not
 * this case and stays refused.  Only writers, under the lock, call this.
 */
static int cut_torn_tail(int fd, size_t *cut)
{
	size_t len, keep;
	off_t size;
	char *buf;

	if (read_tail(fd, LINE_MAX_BYTES, &buf, &len, &size) < 0 || !buf ||
	    buf[len - 1] == '\n') {
		free(buf);
		return -EBADMSG;
	}
	keep = line_start(buf, len);
	free(buf);
	if (keep == 0 && (len != (size_t)size || len >= LINE_MAX_BYTES))
		return -EBADMSG; /* longer than any record: not ours */
	*cut = len - keep;
	if (ftruncate(fd, size - (off_t)*cut) < 0 || fsync(fd) < 0)
		return -errno;
	return 0;
}

int audit_open(const char *path, struct audit *a, char *err, size_t errlen)
{
	char *dir = util_dirname(path);
	int ret;

	a->fd = -1;
	a->prev[0] = '\0';
	a->last = NULL;
	a->cut = 0;
	ret = util_mkdir_p(dir, 0750);
	free(dir);
	if (ret < 0)
		goto fail;
	a->fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
		     0640);
	if (a->fd < 0) {
		ret = -errno;
		goto fail;
	}
	ret = audit_last_hash(a->fd, a->prev, &a->last);
	if (ret == -EBADMSG && cut_torn_tail(a->fd, &a->cut) == 0)
		ret = audit_last_hash(a->fd, a->prev, &a->last);
	if (ret < 0)
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "audit log %s: %s", path,
		 ret == -EBADMSG ? "the last line is not a complete record "
				   "(check it with twtune audit verify)"
				 : strerror(-ret));
	if (a->fd >= 0)
		close(a->fd);
	a->fd = -1;
	return ret;
}

int audit_last_hash(int fd, char out[SHA256_HEX_LEN + 1], json_t **last)
{
	size_t len, start;
	off_t size;
	char *buf;
	int ret;

	out[0] = '\0';
	if (last)
		*last = NULL;
	/* the last line is at most LINE_MAX_BYTES + 1 from the end */
	ret = read_tail(fd, LINE_MAX_BYTES + 1, &buf, &len, &size);
	if (ret < 0 || !buf)
		return ret;
	if (buf[len - 1] != '\n') {
		free(buf);
		return -EBADMSG;
	}
	start = line_start(buf, len - 1);
	if (start == 0 && len == LINE_MAX_BYTES + 1) {
		free(buf);
		return -EFBIG;
	}
	/* the chain continues from a record, not from garbage */
	{
		json_t *j = json_loadb(buf + start, len - 1 - start, 0, NULL);
		bool ok = json_is_object(j);

		if (ok && last)
			*last = json_incref(j);
		json_decref(j);
		if (!ok) {
			free(buf);
			return -EBADMSG;
		}
	}
	util_sha256_hex(buf + start, len - 1 - start, out);
	free(buf);
	return 0;
}

char *audit_serialize(json_t *rec, const char *prev)
{
	json_object_set_new(rec, "prev",
			    prev && *prev ? json_string(prev) : json_null());
	return json_dumps(rec, JSON_COMPACT | JSON_PRESERVE_ORDER |
				       JSON_ENSURE_ASCII);
}

int audit_append(struct audit *a, json_t *rec)
{
	char *line = audit_serialize(rec, a->prev);
	struct stat st;
	size_t len;
	int ret;

	if (!line)
		return -ENOMEM;
	len = strlen(line);
	line = xrealloc(line, len + 2);
	line[len] = '\n';
	line[len + 1] = '\0';
	if (fstat(a->fd, &st) < 0) {
		ret = -errno;
		goto out;
	}
	/* one write(2) per record: O_APPEND keeps it whole */
	ret = util_write_all(a->fd, line, len + 1);
	if (!ret && fsync(a->fd) < 0)
		ret = -errno;
	if (ret) {
		/*
		 * A torn or unsynced record must not stay: the next record
		 * would chain onto it (or be glued to it).  Cut the file back
		 * to where it was; a record is only there if it is durable.
		 */
		if (ftruncate(a->fd, st.st_size) == 0)
			fsync(a->fd);
		goto out;
	}
	util_sha256_hex(line, len, a->prev);
out:
	free(line);
	return ret;
}

void audit_close(struct audit *a)
{
	if (a->fd >= 0)
		close(a->fd); /* every record was fsync'd already */
	a->fd = -1;
	json_decref(a->last);
	a->last = NULL;
}

bool audit_is_intent(json_t *rec)
{
	const char *phase = json_string_value(json_object_get(rec, "phase"));

	return phase && strcmp(phase, "intent") == 0 &&
	       json_is_string(json_object_get(rec, "run"));
}

/* The last whole line before a torn tail, as a record (or NULL). */
static json_t *record_before_torn_tail(int fd)
{
	size_t len, end, start;
	json_t *rec = NULL;
	off_t size;
	char *buf;

	if (read_tail(fd, 2 * LINE_MAX_BYTES, &buf, &len, &size) == 0 && buf &&
	    buf[len - 1] != '\n') {
		end = line_start(buf, len);
		start = end ? line_start(buf, end - 1) : 0;
		if (end > start + 1)
			rec = json_loadb(buf + start, end - 1 - start, 0, NULL);
	}
	free(buf);
	return rec;
}

json_t *audit_last_record(const char *path, bool *torn)
{
	char hash[SHA256_HEX_LEN + 1];
	json_t *last = NULL;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	int ret;

	*torn = false;
	if (fd < 0)
		return NULL;
	ret = audit_last_hash(fd, hash, &last);
	if (ret == -EBADMSG) {
		/* a writer will cut the torn line (see cut_torn_tail()) */
		last = record_before_torn_tail(fd);
		*torn = true;
	} else if (ret < 0) {
		json_decref(last);
		last = NULL;
	}
	close(fd); /* read-only */
	return last;
}

json_t *audit_interrupted(const char *path)
{
	bool torn;
	json_t *last = audit_last_record(path, &torn);

	if (!audit_is_intent(last)) {
		json_decref(last);
		last = NULL;
	}
	return last;
}

struct open_run {
	char *run;
	size_t line;
};

int audit_verify(const char *path, size_t *records, char *err, size_t errlen)
{
	char prev[SHA256_HEX_LEN + 1] = "", *line = NULL;
	struct open_run *open_runs = NULL;
	size_t n_open = 0, cap = 0, lineno = 0;
	int ret = 0;
	FILE *f;

	*records = 0;
	f = fopen(path, "re");
	if (!f) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return ret;
	}
	for (;;) {
		ssize_t n = getline(&line, &cap, f);
		json_error_t je;
		json_t *rec;
		const char *p, *run, *phase;
		char hash[SHA256_HEX_LEN + 1];

		if (n < 0)
			break;
		lineno++;
		if (line[n - 1] != '\n') {
			/*
			 * Only the last line can lack its newline: a run was
			 * killed while writing it (see cut_torn_tail()), or,
			 * if it is longer than any record, something else.
			 */
			if ((size_t)n >= LINE_MAX_BYTES)
				snprintf(err, errlen,
					 "%zu: the last line is unterminated "
					 "and longer than any record: not "
					 "twtune's (repair it by hand)",
					 lineno);
			else
				snprintf(err, errlen,
					 "%zu: the last record is torn: its "
					 "run was killed while writing it (the "
					 "next apply, watch or rollback cuts "
					 "it off, and closes the run if it was "
					 "its result)",
					 lineno);
			ret = -EBADMSG;
			break;
		}
		line[--n] = '\0';
		rec = json_loads(line, 0, &je);
		if (!json_is_object(rec)) {
			snprintf(err, errlen, "%zu: not a JSON object: %s",
				 lineno, rec ? "wrong type" : je.text);
			json_decref(rec);
			ret = -EBADMSG;
			break;
		}
		p = json_string_value(json_object_get(rec, "prev"));
		run = json_string_value(json_object_get(rec, "run"));
		phase = json_string_value(json_object_get(rec, "phase"));
		/*
		 * The first line may continue a rotated log, so its prev is
		 * not checked; every later one must name its predecessor.
		 */
		if (lineno > 1 && (!p || strcmp(p, prev) != 0)) {
			snprintf(err, errlen,
				 "%zu: hash chain broken: prev "
				 "does not match line %zu",
				 lineno, lineno - 1);
			ret = -EBADMSG;
		} else if (!run || !phase ||
			   (strcmp(phase, "intent") &&
			    strcmp(phase, "result"))) {
			snprintf(err, errlen, "%zu: record lacks run or phase",
				 lineno);
			ret = -EBADMSG;
		} else if (strcmp(phase, "intent") == 0) {
			open_runs = xrealloc(open_runs,
					     (n_open + 1) * sizeof(*open_runs));
			open_runs[n_open].run = xstrdup(run);
			open_runs[n_open++].line = lineno;
		} else {
			size_t i;

			for (i = 0; i < n_open; i++)
				if (strcmp(open_runs[i].run, run) == 0)
					break;
			if (i == n_open) {
				snprintf(err, errlen,
					 "%zu: result for run %s "
					 "has no intent before it",
					 lineno, run);
				ret = -EBADMSG;
			} else {
				free(open_runs[i].run);
				open_runs[i] = open_runs[--n_open];
			}
		}
		json_decref(rec);
		if (ret)
			break;
		util_sha256_hex(line, (size_t)n, hash);
		memcpy(prev, hash, sizeof(prev));
		(*records)++;
	}
	if (!ret && ferror(f)) {
		ret = -EIO;
		snprintf(err, errlen, "%s: read error", path);
	}
	if (!ret && n_open) {
		snprintf(err, errlen,
			 "%zu: run %s was interrupted: its intent has no "
			 "result (the next apply, watch or rollback closes it)",
			 open_runs[0].line, open_runs[0].run);
		ret = -EBADMSG;
	}
	for (size_t i = 0; i < n_open; i++)
		free(open_runs[i].run);
	free(open_runs);
	free(line);
	fclose(f); /* read-only */
	return ret;
}

static bool changed_something(json_t *rec)
{
	json_t *c;
	size_t i;

	json_array_foreach (json_object_get(rec, "changes"), i, c)
		if (json_is_true(json_object_get(c, "written")))
			return true;
	return false;
}

static bool in_list(json_t *list, const char *s)
{
	size_t i;
	json_t *u;

	json_array_foreach (list, i, u)
		if (strcmp(json_string_value(u), s) == 0)
			return true;
	return false;
}

/* A result arrived: the run's intent is no longer a candidate. */
static void drop_intent(json_t *cands, const char *run)
{
	size_t i = json_array_size(cands);

	while (i-- > 0) {
		json_t *c = json_array_get(cands, i);

		if (json_is_true(json_object_get(c, "incomplete")) &&
		    strcmp(json_string_value(json_object_get(c, "run")), run) ==
			    0) {
			json_array_remove(cands, i);
			return;
		}
	}
}

int audit_find_run(const char *path, const char *run, json_t **out, char *err,
		   size_t errlen)
{
	/* changing runs are rare, so keeping their records is cheap */
	json_t *cands = json_array(), *undone = json_array(), *best = NULL;
	char *line = NULL;
	size_t cap = 0, i;
	FILE *f = fopen(path, "re");

	*out = NULL;
	if (!f) {
		int e = errno;

		snprintf(err, errlen, "%s: %s", path, strerror(e));
		json_decref(undone);
		json_decref(cands);
		return -e;
	}
	while (getline(&line, &cap, f) > 0) {
		json_t *rec = json_loads(line, 0, NULL);
		const char *r = json_string_value(json_object_get(rec, "run"));
		const char *ph =
			json_string_value(json_object_get(rec, "phase"));
		const char *mode =
			json_string_value(json_object_get(rec, "mode"));
		const char *of =
			json_string_value(json_object_get(rec, "rollback_of"));

		if (r && ph && mode && strcmp(ph, "intent") == 0) {
			/*
			 * Until its result turns up, an intent stands for a
			 * run that may have written anything it planned (it
			 * was killed halfway): rollback checks each key's
			 * live value before touching it.
			 */
			json_object_set_new(rec, "incomplete", json_true());
			json_array_append(cands, rec);
		} else if (r && ph && mode && strcmp(ph, "result") == 0) {
			bool rb = strcmp(mode, "rollback") == 0;

			drop_intent(cands, r);
			if (rb && of && changed_something(rec))
				json_array_append_new(undone, json_string(of));
			if (run ? strcmp(r, run) == 0
				: !rb && changed_something(rec))
				json_array_append(cands, rec);
		}
		json_decref(rec);
	}
	free(line);
	fclose(f); /* read-only */
	for (i = json_array_size(cands); i-- > 0;) {
		json_t *c = json_array_get(cands, i);
		const char *cr = json_string_value(json_object_get(c, "run"));

		if (run ? strcmp(cr, run) == 0 : !in_list(undone, cr)) {
			best = json_incref(c);
			break;
		}
	}
	json_decref(undone);
	json_decref(cands);
	if (!best) {
		if (run)
			snprintf(err, errlen, "run %s not found in %s", run,
				 path);
		else
			snprintf(err, errlen, "%s: no run left to roll back",
				 path);
		return -ENOENT;
	}
	*out = best;
	return 0;
}

/* ---- records as structs --------------------------------------------------- */

const char *const txn_mode_names[] = {
	[MODE_APPLY] = "apply",
	[MODE_WATCH] = "watch",
	[MODE_ROLLBACK] = "rollback",
};

const char *const txn_result_names[] = {
	[RESULT_NONE] = NULL,
	[RESULT_OK] = "ok",
	[RESULT_PARTIAL] = "partial",
	[RESULT_FAILED] = "failed",
	[RESULT_ROLLED_BACK] = "rolled_back",
	[RESULT_INTERRUPTED] = "interrupted",
};

/* Fields every record has, in this order; the rest is its base. */
static const char *const record_fields[] = {
	"time",	   "run",    "phase", "mode", "rollback_of",
	"changes", "result", "error", "prev", "incomplete",
};

static int name_index(const char *s, const char *const *names, size_t n)
{
	for (size_t i = 0; s && i < n; i++)
		if (names[i] && strcmp(names[i], s) == 0)
			return (int)i;
	return -1;
}

struct change *audit_record_add(struct audit_record *r, const char *key,
				long long before, long long after,
				const char *rule, const char *reason)
{
	struct change *c;

	r->changes =
		xrealloc(r->changes, (r->n_changes + 1) * sizeof(*r->changes));
	c = &r->changes[r->n_changes++];
	memset(c, 0, sizeof(*c));
	c->key = xstrdup(key);
	c->before = before;
	c->after = after;
	c->rule = xstrdup(rule);
	c->reason = xstrdup(reason);
	return c;
}

static bool flag(json_t *o, const char *name)
{
	return json_is_true(json_object_get(o, name));
}

static int decode_change(json_t *c, struct audit_record *r)
{
	const char *key = json_string_value(json_object_get(c, "key"));
	json_t *before = json_object_get(c, "before");
	json_t *after = json_object_get(c, "after");
	json_t *pb = json_object_get(c, "persist_before");
	struct change *ch;

	if (!key || !json_is_integer(before) || !json_is_integer(after))
		return -EBADMSG;
	ch = audit_record_add(
		r, key, json_integer_value(before), json_integer_value(after),
		json_string_value(json_object_get(c, "rule")) ?: "",
		json_string_value(json_object_get(c, "reason")) ?: "");
	ch->written = flag(c, "written");
	ch->verified = flag(c, "verified");
	ch->persisted = flag(c, "persisted");
	ch->pop = flag(c, "persist") ? PERSIST_SET : PERSIST_NONE;
	ch->had_persist = json_is_integer(pb);
	ch->persist_before = json_integer_value(pb);
	ch->in_persist_file = flag(c, "in_persist_file");
	return 0;
}

int audit_record_decode(json_t *j, struct audit_record *r)
{
	const char *run = json_string_value(json_object_get(j, "run"));
	const char *phase = json_string_value(json_object_get(j, "phase"));
	const char *of = json_string_value(json_object_get(j, "rollback_of"));
	int mode = name_index(json_string_value(json_object_get(j, "mode")),
			      txn_mode_names, ARRAY_SIZE(txn_mode_names));
	int result = name_index(json_string_value(json_object_get(j, "result")),
				txn_result_names, ARRAY_SIZE(txn_result_names));
	json_t *c;
	size_t i;

	memset(r, 0, sizeof(*r));
	if (!run || strlen(run) >= sizeof(r->run) || !phase || mode < 0 ||
	    (strcmp(phase, "intent") && strcmp(phase, "result")) ||
	    (of && strlen(of) >= sizeof(r->rollback_of)))
		return -EBADMSG;
	snprintf(r->run, sizeof(r->run), "%s", run);
	snprintf(r->rollback_of, sizeof(r->rollback_of), "%s", of ? of : "");
	r->intent = strcmp(phase, "intent") == 0;
	r->mode = (enum txn_mode)mode;
	r->result = result < 0 ? RESULT_NONE : (enum txn_result)result;
	r->incomplete = flag(j, "incomplete");
	json_array_foreach (json_object_get(j, "changes"), i, c) {
		if (decode_change(c, r) < 0) {
			audit_record_free(r);
			return -EBADMSG;
		}
	}
	r->json = json_incref(j);
	return 0;
}

void audit_record_free(struct audit_record *r)
{
	for (size_t i = 0; i < r->n_changes; i++) {
		free(r->changes[i].key);
		free(r->changes[i].rule);
		free(r->changes[i].reason);
	}
	free(r->changes);
	json_decref(r->json);
	memset(r, 0, sizeof(*r));
}

json_t *audit_changes_json(const struct change *changes, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++) {
		const struct change *c = &changes[i];
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
		if (c->in_persist_file)
			json_object_set_new(o, "in_persist_file", json_true());
		json_array_append_new(a, o);
	}
	return a;
}

json_t *audit_record_json(const struct audit_record *r, const json_t *base,
			  const char *error)
{
	json_t *rec = json_object();
	struct timespec ts;
	char when[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	util_rfc3339(&ts, when);
	json_object_set_new(rec, "time", json_string(when));
	json_object_set_new(rec, "run", json_string(r->run));
	json_object_set_new(rec, "phase",
			    json_string(r->intent ? "intent" : "result"));
	json_object_set_new(rec, "mode", json_string(txn_mode_names[r->mode]));
	if (r->rollback_of[0])
		json_object_set_new(rec, "rollback_of",
				    json_string(r->rollback_of));
	if (base)
		json_object_update(rec, (json_t *)base);
	json_object_set_new(rec, "changes",
			    audit_changes_json(r->changes, r->n_changes));
	json_object_set_new(rec, "result",
			    r->intent || r->result == RESULT_NONE
				    ? json_null()
				    : json_string(txn_result_names[r->result]));
	json_object_set_new(rec, "error",
			    error && *error ? json_string(error) : json_null());
	return rec;
}

json_t *audit_record_base(const struct audit_record *r)
{
	json_t *base = json_deep_copy(r->json);

	for (size_t i = 0; base && i < ARRAY_SIZE(record_fields); i++)
		json_object_del(base, record_fields[i]);
	return base ? base : json_object();
}
