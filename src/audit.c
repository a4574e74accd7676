// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Audit log writing, verification and lookup.  Records are serialised
 * with the keys in insertion order and no whitespace, so that the bytes
 * hashed are exactly the bytes on disk.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bounds.h"
#include "audit.h"

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

	if (read_tail(fd, AUDIT_LINE_MAX, &buf, &len, &size) < 0 || !buf ||
	    buf[len - 1] == '\n') {
		free(buf);
		return -EBADMSG;
	}
	keep = line_start(buf, len);
	free(buf);
	if (keep == 0 && (len != (size_t)size || len >= AUDIT_LINE_MAX))
		return -EBADMSG; /* longer than any record: not ours */
	*cut = len - keep;
	if (ftruncate(fd, size - (off_t)*cut) < 0 || fsync(fd) < 0)
		return -errno;
	return 0;
}

/*
 * Open the audit log at path: never through a symbolic link, never
 * blocking on a FIFO planted there, and only a regular file that nobody
 * but root (or the user running twtune) can change, in a directory just
 * as safe (the log decides what rollback restores and what apply adopts).
 * Returns the descriptor, or -errno with the reason in err.
 */
static int open_log(const char *path, int flags, bool trust, char *err,
		    size_t errlen)
{
	char why[256];
	struct stat st;
	int fd = open(path, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0640);

	if (fd < 0) {
		int e = errno;

		snprintf(err, errlen, "audit log %s: %s", path, strerror(e));
		return -e;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "audit log %s: not a regular file", path);
		close(fd); /* nothing written through it */
		return -EINVAL;
	}
	if (trust && util_untrusted(path, &st, why, sizeof(why))) {
		snprintf(err, errlen, "audit log %s: refusing it: %s", path,
			 why);
		close(fd);
		return -EPERM;
	}
	/* a regular file never blocks: back to plain blocking I/O */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}

/*
 * The file logrotate left the log's records in (the newest of NAME.1 and
 * NAME-DATE, not compressed), or NULL.
 */
static char *rotated_sibling(const char *path)
{
	char *dir = util_dirname(path), *best = NULL;
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	size_t blen = strlen(base);
	struct timespec newest = { 0 };
	struct dirent *e;
	DIR *d = opendir(dir);

	while (d && (e = readdir(d))) {
		const char *rest = e->d_name + blen;
		struct stat st;
		char *p;

		if (strncmp(e->d_name, base, blen) != 0 ||
		    !(strcmp(rest, ".1") == 0 ||
		      (rest[0] == '-' &&
		       strspn(rest + 1, "0123456789") == strlen(rest + 1) &&
		       rest[1])))
			continue;
		p = xasprintf("%s/%s", dir, e->d_name);
		if (lstat(p, &st) == 0 && S_ISREG(st.st_mode) &&
		    (st.st_mtim.tv_sec > newest.tv_sec ||
		     (st.st_mtim.tv_sec == newest.tv_sec &&
		      st.st_mtim.tv_nsec > newest.tv_nsec))) {
			newest = st.st_mtim;
			free(best);
			best = p;
		} else {
			free(p);
		}
	}
	if (d)
		closedir(d);
	free(dir);
	return best;
}

/*
 * A new, empty log after a rotation continues the chain: its first
 * record names the hash of the rotated file's last record, so that
 * `audit verify FILE.1 FILE` checks across the two.
 */
static void continue_rotated_chain(const char *path, struct audit *a)
{
	char *prev = rotated_sibling(path), err[256];
	int fd = prev ? open_log(prev, O_RDONLY, true, err, sizeof(err)) : -1;

	if (fd >= 0) {
		if (audit_last_hash(fd, a->prev, NULL) < 0)
			a->prev[0] = '\0';
		close(fd); /* read-only */
	}
	free(prev);
}

int audit_open(const char *path, struct audit *a, char *err, size_t errlen)
{
	char *dir = util_dirname(path);
	struct stat st;
	int ret;

	a->fd = -1;
	a->prev[0] = '\0';
	a->last = NULL;
	a->cut = 0;
	ret = util_mkdir_p(dir, 0750);
	free(dir);
	if (ret < 0) {
		snprintf(err, errlen, "audit log %s: %s", path, strerror(-ret));
		return ret;
	}
	ret = open_log(path, O_RDWR | O_APPEND | O_CREAT, true, err, errlen);
	if (ret < 0)
		return ret;
	a->fd = ret;
	ret = audit_last_hash(a->fd, a->prev, &a->last);
	if (ret == -EBADMSG && cut_torn_tail(a->fd, &a->cut) == 0)
		ret = audit_last_hash(a->fd, a->prev, &a->last);
	if (ret == 0 && fstat(a->fd, &st) == 0 && st.st_size == 0)
		continue_rotated_chain(path, a);
	if (ret < 0) {
		snprintf(
			err, errlen, "audit log %s: %s", path,
			ret == -EBADMSG
				? "the last line is not a complete record (check it with twtune audit verify)"
				: strerror(-ret));
		close(a->fd);
		a->fd = -1;
	}
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
	/* the last line is at most AUDIT_LINE_MAX + 1 from the end */
	ret = read_tail(fd, AUDIT_LINE_MAX + 1, &buf, &len, &size);
	if (ret < 0 || !buf)
		return ret;
	if (buf[len - 1] != '\n') {
		free(buf);
		return -EBADMSG;
	}
	start = line_start(buf, len - 1);
	if (start == 0 && len == AUDIT_LINE_MAX + 1) {
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
	/* never a record the readers would refuse: fail closed instead */
	if (len + 1 > AUDIT_LINE_MAX) {
		free(line);
		return -EMSGSIZE;
	}
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

	if (read_tail(fd, 2 * AUDIT_LINE_MAX, &buf, &len, &size) == 0 && buf &&
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
	char hash[SHA256_HEX_LEN + 1], err[256];
	json_t *last = NULL;
	int fd = open_log(path, O_RDONLY, true, err, sizeof(err));
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

/* ---- reading a whole log ------------------------------------------------- */

/*
 * Lines of a log, each at most AUDIT_LINE_MAX bytes: a longer one is not
 * a record, and is refused before it is read whole.
 */
struct lines {
	int fd;
	char *buf;	 /* AUDIT_LINE_MAX bytes */
	size_t len, off; /* bytes held; where the next line starts */
	bool eof;
};

/*
 * The next line (without its newline) in *line, *n bytes; *whole is
 * false for an unterminated last line.  1: a line; 0: the end; -EFBIG: a
 * line longer than any record; -errno.
 */
static int next_line(struct lines *l, char **line, size_t *n, bool *whole)
{
	for (;;) {
		char *nl = memchr(l->buf + l->off, '\n', l->len - l->off);
		ssize_t got;

		if (nl) {
			*line = l->buf + l->off;
			*n = (size_t)(nl - *line);
			*whole = true;
			l->off += *n + 1;
			return 1;
		}
		if (l->eof) {
			if (l->off == l->len)
				return 0;
			*line = l->buf + l->off;
			*n = l->len - l->off;
			*whole = false;
			l->off = l->len;
			return 1;
		}
		memmove(l->buf, l->buf + l->off, l->len - l->off);
		l->len -= l->off;
		l->off = 0;
		if (l->len == AUDIT_LINE_MAX)
			return -EFBIG;
		got = read(l->fd, l->buf + l->len, AUDIT_LINE_MAX - l->len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return -errno;
		l->eof = got == 0;
		l->len += (size_t)got;
	}
}

/*
 * After -EFBIG: whether that overlong line runs to the end of the file
 * without a newline (read on, a buffer at a time, to find out).
 */
static bool ends_unterminated(struct lines *l)
{
	for (;;) {
		ssize_t got = read(l->fd, l->buf, AUDIT_LINE_MAX);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return got == 0;
		if (memchr(l->buf, '\n', (size_t)got))
			return false;
	}
}

/* What scanning a log keeps from one file to the next. */
struct scan {
	char prev[SHA256_HEX_LEN + 1]; /* hash of the last line */
	bool chained;		       /* prev is known: check the next line */
	size_t lineno;		       /* in the current file */
	size_t records;
	char *err;
	size_t errlen;
};

/*
 * Check one whole line: a record (an object with run and phase), chained
 * to the line before by prev.  0, or -EBADMSG with the reason in sc->err.
 */
static int check_line(struct scan *sc, const char *line, size_t n, json_t **out)
{
	json_error_t je;
	json_t *rec = json_loadb(line, n, 0, &je);
	const char *p = json_string_value(json_object_get(rec, "prev"));
	const char *phase = json_string_value(json_object_get(rec, "phase"));

	*out = NULL;
	if (!json_is_object(rec)) {
		snprintf(sc->err, sc->errlen, "%zu: not a JSON object: %s",
			 sc->lineno, rec ? "wrong type" : je.text);
	} else if (sc->chained && (!p || strcmp(p, sc->prev) != 0)) {
		if (sc->lineno > 1)
			snprintf(
				sc->err, sc->errlen,
				"%zu: hash chain broken: prev does not match line %zu",
				sc->lineno, sc->lineno - 1);
		else
			snprintf(
				sc->err, sc->errlen,
				"1: hash chain broken: prev does not match the previous file's last record");
	} else if (!json_is_string(json_object_get(rec, "run")) || !phase ||
		   (strcmp(phase, "intent") && strcmp(phase, "result"))) {
		snprintf(sc->err, sc->errlen, "%zu: record lacks run or phase",
			 sc->lineno);
	} else {
		util_sha256_hex(line, n, sc->prev);
		sc->chained = true;
		*out = rec;
		return 0;
	}
	json_decref(rec);
	return -EBADMSG;
}

/*
 * Read the log at path and call each(ctx, record, line) for every record,
 * in order, as long as every line before it is a record chained to the
 * one before.  The first line's prev is checked only when sc already
 * holds the previous file's last hash.  Returns 0 at a clean end,
 * -EAGAIN at a torn last line (a killed run: torn is set), -EBADMSG at
 * the first problem ("LINE: message" in sc->err), or -errno.
 */
static int scan_log(const char *path, bool trust, struct scan *sc,
		    int (*each)(void *ctx, json_t *rec, size_t line), void *ctx)
{
	struct lines l = { .fd = -1 };
	char *line = NULL;
	size_t n = 0;
	bool whole;
	int ret;

	l.fd = open_log(path, O_RDONLY, trust, sc->err, sc->errlen);
	if (l.fd < 0)
		return l.fd;
	l.buf = xmalloc(AUDIT_LINE_MAX);
	sc->lineno = 0;
	while ((ret = next_line(&l, &line, &n, &whole)) == 1) {
		json_t *rec;

		sc->lineno++;
		if (!whole) {
			/* only the last line can lack its newline: a run
			 * killed while writing it (see cut_torn_tail()) */
			snprintf(
				sc->err, sc->errlen,
				"%zu: the last record is torn: its run was killed while writing it (the next apply, watch or rollback cuts it off, and closes the run if it was its result)",
				sc->lineno);
			ret = -EAGAIN;
			break;
		}
		ret = check_line(sc, line, n, &rec);
		if (ret == 0 && each)
			ret = each(ctx, rec, sc->lineno);
		json_decref(rec);
		if (ret < 0)
			break;
		sc->records++;
	}
	if (ret == -EFBIG) {
		snprintf(
			sc->err, sc->errlen,
			"%zu: %s longer than any record: not twtune's (repair it by hand)",
			sc->lineno + 1,
			ends_unterminated(&l)
				? "the last line is unterminated and"
				: "a line");
		ret = -EBADMSG;
	} else if (ret < 0 && ret != -EBADMSG && ret != -EAGAIN) {
		snprintf(sc->err, sc->errlen, "%s: %s", path, strerror(-ret));
	}
	free(l.buf);
	close(l.fd); /* read-only */
	return ret;
}

/* ---- verify -------------------------------------------------------------- */

struct open_run {
	char *run;
	size_t line;
	const char *file;
};

struct pairing {
	struct open_run *v;
	size_t n;
	const char *file;
	struct scan *sc;
};

/* Every intent opens its run; every result closes an open one. */
static int pair(void *ctx, json_t *rec, size_t line)
{
	struct pairing *p = ctx;
	const char *run = json_string_value(json_object_get(rec, "run"));
	const char *phase = json_string_value(json_object_get(rec, "phase"));
	size_t i;

	if (strcmp(phase, "intent") == 0) {
		p->v = xrealloc(p->v, (p->n + 1) * sizeof(*p->v));
		p->v[p->n++] = (struct open_run){ xstrdup(run), line, p->file };
		return 0;
	}
	for (i = 0; i < p->n; i++)
		if (strcmp(p->v[i].run, run) == 0)
			break;
	if (i == p->n) {
		snprintf(p->sc->err, p->sc->errlen,
			 "%zu: result for run %s has no intent before it", line,
			 run);
		return -EBADMSG;
	}
	free(p->v[i].run);
	p->v[i] = p->v[--p->n];
	return 0;
}

int audit_verify_files(const char *const *paths, size_t n_paths,
		       size_t *records, const char **bad_file, char *err,
		       size_t errlen)
{
	struct scan sc = { .err = err, .errlen = errlen };
	struct pairing p = { .sc = &sc };
	int ret = 0;

	*records = 0;
	for (size_t i = 0; i < n_paths && ret == 0; i++) {
		p.file = paths[i];
		*bad_file = paths[i];
		ret = scan_log(paths[i], false, &sc, pair, &p);
	}
	if (ret == -EAGAIN)
		ret = -EBADMSG;
	if (ret == 0 && p.n) {
		*bad_file = p.v[0].file;
		snprintf(
			err, errlen,
			"%zu: run %s was interrupted: its intent has no result (the next apply, watch or rollback closes it)",
			p.v[0].line, p.v[0].run);
		ret = -EBADMSG;
	}
	for (size_t i = 0; i < p.n; i++)
		free(p.v[i].run);
	free(p.v);
	*records = sc.records;
	return ret;
}

int audit_verify(const char *path, size_t *records, char *err, size_t errlen)
{
	const char *bad;

	return audit_verify_files(&path, 1, records, &bad, err, errlen);
}

/* ---- the run to roll back ------------------------------------------------ */

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

struct finding {
	const char *run; /* the one asked for, or NULL */
	json_t *cands;	 /* records a rollback could undo, in log order */
	json_t *undone;	 /* runs rolled back already */
	json_t *pending; /* the last record read, not yet vouched for */
};

static void take(struct finding *f, json_t *rec)
{
	const char *r = json_string_value(json_object_get(rec, "run"));
	const char *ph = json_string_value(json_object_get(rec, "phase"));
	const char *mode = json_string_value(json_object_get(rec, "mode"));
	const char *of = json_string_value(json_object_get(rec, "rollback_of"));

	if (!mode)
		return;
	if (strcmp(ph, "intent") == 0) {
		/*
		 * Until its result turns up, an intent stands for a run that
		 * may have written anything it planned (it was killed
		 * halfway): rollback checks each key's live value before
		 * touching it.
		 */
		json_t *c = json_deep_copy(rec);

		json_object_set_new(c, "incomplete", json_true());
		json_array_append_new(f->cands, c);
		return;
	}
	drop_intent(f->cands, r);
	if (strcmp(mode, "rollback") == 0) {
		if (of && changed_something(rec))
			json_array_append_new(f->undone, json_string(of));
		if (!f->run || strcmp(r, f->run))
			return;
	} else if (f->run ? strcmp(r, f->run) != 0 : !changed_something(rec)) {
		return;
	}
	json_array_append(f->cands, rec);
}

/*
 * A record is vouched for by the next line's prev: so each is taken when
 * the line after it checks, and the one before a break in the chain is
 * never taken (an altered record breaks the chain at the next line).
 */
static int collect(void *ctx, json_t *rec, size_t line)
{
	struct finding *f = ctx;

	(void)line;
	if (f->pending) {
		take(f, f->pending);
		json_decref(f->pending);
	}
	f->pending = json_incref(rec);
	return 0;
}

int audit_find_run(const char *path, const char *run, json_t **out, char *err,
		   size_t errlen)
{
	struct finding f = { run, json_array(), json_array(), NULL };
	char why[512] = "";
	struct scan sc = { .err = why, .errlen = sizeof(why) };
	json_t *best = NULL;
	size_t i;
	int ret;

	*out = NULL;
	ret = scan_log(path, true, &sc, collect, &f);
	/* the last record: nothing after it to break the chain (a torn
	 * tail is a killed writer's, not a break) */
	if (f.pending && ret != -EBADMSG)
		take(&f, f.pending);
	json_decref(f.pending);
	/*
	 * A rollback restores what the log says: only a record the hash
	 * chain vouches for, from the first line up to it.  Without --run
	 * the last run counts, so the whole log must verify.
	 */
	if (ret == -EBADMSG && !run) {
		snprintf(
			err, errlen,
			"%s: the log does not verify (line %.200s); not rolling back what it cannot vouch for",
			path, sc.err);
		goto out;
	}
	if (ret < 0 && ret != -EBADMSG && ret != -EAGAIN) {
		snprintf(err, errlen, "%s", why);
		goto out;
	}
	for (i = json_array_size(f.cands); i-- > 0;) {
		json_t *c = json_array_get(f.cands, i);
		const char *cr = json_string_value(json_object_get(c, "run"));

		if (run ? strcmp(cr, run) == 0 : !in_list(f.undone, cr)) {
			best = json_incref(c);
			break;
		}
	}
	if (!best && ret == -EBADMSG)
		snprintf(
			err, errlen,
			"%s: run %s is not found before the log stops verifying (line %.200s); not rolling back what it cannot vouch for",
			path, run, sc.err);
	else if (!best && run)
		snprintf(err, errlen, "run %s not found in %s", run, path);
	else if (!best)
		snprintf(err, errlen, "%s: no run left to roll back", path);
	ret = best ? 0 : ret == -EBADMSG ? -EBADMSG : -ENOENT;
	*out = best;
out:
	json_decref(f.undone);
	json_decref(f.cands);
	return ret;
}

/* ---- records as structs -------------------------------------------------- */

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
	ch->pop = !flag(c, "persist")	      ? PERSIST_NONE
		  : flag(c, "persist_remove") ? PERSIST_REMOVE
					      : PERSIST_SET;
	ch->pvalue = json_is_integer(json_object_get(c, "persist_value"))
			     ? json_integer_value(
				       json_object_get(c, "persist_value"))
			     : ch->after;
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
	{
		json_t *ns = json_object_get(j, "netns");

		if (json_is_object(ns))
			ns = json_object_get(ns, "inode");
		if (json_is_integer(ns) && json_integer_value(ns) > 0)
			r->netns = (unsigned long long)json_integer_value(ns);
	}
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

json_t *audit_changes_json(const struct change *changes, size_t n, bool closing)
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
		/* a removal from the file (a rollback) is not a write of it */
		if (c->pop == PERSIST_REMOVE)
			json_object_set_new(o, "persist_remove", json_true());
		/* a rollback may persist another value than the live one */
		if (c->pop == PERSIST_SET && c->pvalue != c->after)
			json_object_set_new(o, "persist_value",
					    json_integer(c->pvalue));
		json_object_set_new(o, "persist_before",
				    c->had_persist
					    ? json_integer(c->persist_before)
					    : json_null());
		if (closing)
			json_object_set_new(o, "in_persist_file",
					    json_boolean(c->in_persist_file));
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
			    audit_changes_json(r->changes, r->n_changes,
					       r->result ==
						       RESULT_INTERRUPTED));
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
