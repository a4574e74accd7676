// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Tests for the recovery of interrupted runs (recover.c), which need no
 * root: an audit log, a fake /proc/sys/net and a persist directory in a
 * temporary directory.  They protect: a run killed between its intent and
 * its result gets exactly one closing record ("interrupted"), naming the
 * keys found at their new value and in the persist file, chained on and
 * leaving a log that verifies; the next run finishes only the persist
 * entries of keys that are at their new value; a torn last record is cut,
 * and a torn intent closes nothing (its run wrote nothing); keys a killed
 * run left at its new value are adopted as twtune's own in the state, and
 * only in their own namespace; and a run whose writer still holds the
 * writers' lock is not closed while it does.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <limits.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "apply.h"
#include "audit.h"
#include "boundary.h"
#include "options.h"
#include "persist.h"
#include "recover.h"
#include "state.h"
#include "sysctl.h"
#include "testutil.h"
#include "util.h"

#define TWB "net.ipv4.tcp_max_tw_buckets"
#define REUSE "net.ipv4.tcp_tw_reuse"
#define FIN "net.ipv4.tcp_fin_timeout"
#define NETNS 4026531840ULL
#define PERSIST_NAME "90-twtune.conf"

struct fixture {
	struct testdir dir;
	char *log;		    /* dir/log/audit.jsonl */
	int procfd;		    /* dir/proc: a fake /proc */
	int netfd;		    /* dir/proc/sys/net */
	int pdfd;		    /* dir/sysctl.d */
	struct audit a;		    /* the next writer's */
	struct audit_record intent; /* the interrupted run, as read back */
	struct txn t;
	struct msgs warnings;
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	if (testdir_make(&f->dir) < 0) {
		free(f);
		return -1;
	}
	umask(022);
	f->log = xasprintf("%s/log/audit.jsonl", f->dir.path);
	f->a.fd = -1;
	assert_int_equal(testdir_mkdirs(f->dir.fd, "proc/sys/net/ipv4"), 0);
	assert_int_equal(testdir_mkdirs(f->dir.fd, "sysctl.d"), 0);
	f->procfd = openat(f->dir.fd, "proc", O_RDONLY | O_DIRECTORY);
	assert_true(f->procfd >= 0);
	f->netfd = sysctl_open_net(f->procfd);
	assert_true(f->netfd >= 0);
	f->pdfd = openat(f->dir.fd, "sysctl.d", O_RDONLY | O_DIRECTORY);
	assert_true(f->pdfd >= 0);
	assert_int_equal(apply_init(&f->t, MODE_APPLY), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	int ret;

	audit_close(&f->a);
	audit_record_free(&f->intent);
	apply_free(&f->t);
	msgs_free(&f->warnings);
	close(f->netfd);
	close(f->procfd);
	close(f->pdfd);
	ret = testdir_remove(&f->dir);
	free(f->log);
	free(f);
	return ret;
}

/* What /proc/sys/net/ipv4/NAME reads now. */
static void live(struct fixture *f, const char *key, const char *value)
{
	char *rel =
		xasprintf("proc/sys/net/ipv4/%s", key + strlen("net.ipv4."));

	testdir_put(f->dir.fd, rel, value);
	free(rel);
}

static void persist_file(struct fixture *f, const char *text)
{
	testdir_put(f->pdfd, PERSIST_NAME, text);
}

/* A change as apply records it in an intent: persisted at its new value. */
static struct change *planned(struct audit_record *r, const char *key,
			      long long before, long long after,
			      long long persist_before)
{
	struct change *c =
		audit_record_add(r, key, before, after, "rule-x", "why");

	c->pop = PERSIST_SET;
	c->pvalue = after;
	c->had_persist = persist_before >= 0;
	c->persist_before = persist_before >= 0 ? persist_before : 0;
	return c;
}

/* The fields apply puts around a record: the process's. */
static json_t *base(unsigned long long netns)
{
	return json_pack("{s:s, s:{s:I, s:n}, s:i, s:s}", "host", "host-a",
			 "netns", "inode", (json_int_t)netns, "name", "uid", 0,
			 "caps", "cap_net_admin=ep");
}

static void append_record(struct fixture *f, const struct audit_record *r)
{
	struct audit w = { .fd = -1 };
	char err[256] = "";
	json_t *b = base(NETNS), *j = audit_record_json(r, b, NULL);

	if (audit_open(f->log, &w, err, sizeof(err)) < 0)
		fail_msg("audit_open: %s", err);
	assert_int_equal(audit_append(&w, j), 0);
	audit_close(&w);
	json_decref(j);
	json_decref(b);
}

/* A run that finished: its intent and its result. */
static void complete_run(struct fixture *f, const char *run)
{
	struct audit_record r = { .intent = true, .mode = MODE_APPLY };

	snprintf(r.run, sizeof(r.run), "%s", run);
	planned(&r, FIN, 60, 30, -1);
	append_record(f, &r);
	r.intent = false;
	r.result = RESULT_OK;
	r.changes[0].written = r.changes[0].verified = true;
	r.changes[0].persisted = true;
	append_record(f, &r);
	audit_record_free(&r);
}

/*
 * The run r2 that is killed after its intent: tcp_max_tw_buckets
 * 4096 -> 16384 (the file held 4096), tcp_tw_reuse 0 -> 1 (not in the
 * file).
 */
static void interrupted_run(struct fixture *f)
{
	struct audit_record r = { .intent = true, .mode = MODE_APPLY };

	snprintf(r.run, sizeof(r.run), "%s", "r2");
	planned(&r, TWB, 4096, 16384, 4096);
	planned(&r, REUSE, 0, 1, -1);
	append_record(f, &r);
	audit_record_free(&r);
}

/* r2 killed after it wrote both keys live, before its result. */
static void killed_after_both_writes(struct fixture *f)
{
	interrupted_run(f);
	live(f, TWB, "16384\n");
	live(f, REUSE, "1\n");
}

/* The next writer: open the log under the lock, read its last record. */
static void next_writer(struct fixture *f)
{
	char err[256] = "";

	if (audit_open(f->log, &f->a, err, sizeof(err)) < 0)
		fail_msg("audit_open: %s", err);
	assert_non_null(f->a.last);
	assert_int_equal(audit_record_decode(f->a.last, &f->intent), 0);
	assert_true(f->intent.intent);
}

static void close_run(struct fixture *f, int netfd, int pdfd, struct txn *t)
{
	recover_close(&f->a, &f->intent, netfd, pdfd, PERSIST_NAME, t,
		      &f->warnings);
}

/* The log's lines, without their newlines. */
static void log_lines(const struct fixture *f, struct msgs *lines)
{
	char *text = NULL;

	assert_int_equal(util_read_at(AT_FDCWD, f->log, 1u << 20, &text, NULL),
			 0);
	memset(lines, 0, sizeof(*lines));
	for (char *p = text, *e; *p; p = e + 1) {
		e = strchr(p, '\n');
		assert_non_null(e);
		msgs_addf(lines, "%.*s", (int)(e - p), p);
	}
	free(text);
}

static size_t log_size(const struct fixture *f)
{
	struct stat st;

	assert_int_equal(stat(f->log, &st), 0);
	return (size_t)st.st_size;
}

/* The log's last line as JSON (a new reference); n: its number of lines. */
static json_t *last_line(const struct fixture *f, size_t *n)
{
	struct msgs lines;
	json_t *j;

	log_lines(f, &lines);
	assert_true(lines.n > 0);
	*n = lines.n;
	j = json_loads(lines.v[lines.n - 1], 0, NULL);
	assert_non_null(j);
	msgs_free(&lines);
	return j;
}

static const char *str(json_t *o, const char *name)
{
	const char *s = json_string_value(json_object_get(o, name));

	if (!s)
		fail_msg("no string \"%s\"", name);
	return s;
}

static json_t *change_of(json_t *rec, size_t i)
{
	json_t *c = json_array_get(json_object_get(rec, "changes"), i);

	assert_non_null(c);
	return c;
}

static bool is(json_t *c, const char *name)
{
	json_t *v = json_object_get(c, name);

	if (!json_is_boolean(v))
		fail_msg("no boolean \"%s\"", name);
	return json_is_true(v);
}

static void expect_sound_log(const struct fixture *f, size_t want_records)
{
	char err[512] = "";
	size_t records = 0;
	int ret = audit_verify(f->log, &records, err, sizeof(err));

	if (ret < 0)
		fail_msg("audit_verify: %s", err);
	assert_int_equal(records, want_records);
}

/* --- which runs need a writer ------------------------------------------ */

static void a_log_that_ends_in_a_result_needs_no_recovery(void **state)
{
	struct fixture *f = *state;
	struct audit_record last;
	bool torn = true;

	/* no log at all */
	assert_false(recover_read_last(f->log, &last, &torn));
	assert_false(torn);
	assert_null(last.json);
	complete_run(f, "r1");
	assert_false(recover_read_last(f->log, &last, &torn));
	assert_false(torn);
	assert_non_null(last.json);
	assert_false(last.intent);
	assert_string_equal(last.run, "r1");
	audit_record_free(&last);
}

static void an_intent_without_result_needs_recovery(void **state)
{
	struct fixture *f = *state;
	struct audit_record last;
	bool torn = true;

	complete_run(f, "r1");
	interrupted_run(f);
	assert_true(recover_read_last(f->log, &last, &torn));
	assert_false(torn);
	assert_true(last.intent);
	assert_string_equal(last.run, "r2");
	assert_int_equal(last.n_changes, 2);
	assert_int_equal(last.netns, NETNS);
	audit_record_free(&last);
}

/* --- closing an interrupted run ----------------------------------------- */

static void an_interrupted_run_gets_one_closing_record(void **state)
{
	struct fixture *f = *state;
	char prev[SHA256_HEX_LEN + 1];
	struct audit_record last;
	struct msgs lines;
	json_t *rec, *c;
	bool torn;
	size_t n;

	complete_run(f, "r1");
	interrupted_run(f);
	/* killed after writing the first key */
	live(f, TWB, "16384\n");
	live(f, REUSE, "0\n");
	next_writer(f);
	assert_int_equal(f->a.cut, 0);
	close_run(f, f->netfd, f->pdfd, NULL);

	log_lines(f, &lines);
	assert_int_equal(lines.n, 4);
	util_sha256_hex(lines.v[2], strlen(lines.v[2]), prev);
	msgs_free(&lines);
	rec = last_line(f, &n);
	assert_string_equal(str(rec, "run"), "r2");
	assert_string_equal(str(rec, "phase"), "result");
	assert_string_equal(str(rec, "mode"), "apply");
	assert_string_equal(str(rec, "result"), "interrupted");
	assert_string_equal(str(rec, "prev"), prev);
	assert_string_equal(str(rec, "error"),
			    "no result was recorded (the process was killed); "
			    "found 1 of 2 keys at the new value");
	/* the interrupted run's process, not the closing one's */
	assert_string_equal(str(rec, "host"), "host-a");
	assert_int_equal(json_integer_value(json_object_get(
				 json_object_get(rec, "netns"), "inode")),
			 NETNS);
	assert_null(json_object_get(rec, "audit_cut_bytes"));
	assert_int_equal(json_array_size(json_object_get(rec, "changes")), 2);
	c = change_of(rec, 0);
	assert_string_equal(str(c, "key"), TWB);
	assert_int_equal(json_integer_value(json_object_get(c, "before")),
			 4096);
	assert_int_equal(json_integer_value(json_object_get(c, "after")),
			 16384);
	assert_string_equal(str(c, "rule"), "rule-x");
	assert_true(is(c, "written"));
	assert_true(is(c, "verified"));
	/* what the file held before is not known: never "persisted" */
	assert_false(is(c, "persisted"));
	assert_true(is(c, "persist"));
	assert_int_equal(
		json_integer_value(json_object_get(c, "persist_before")), 4096);
	c = change_of(rec, 1);
	assert_string_equal(str(c, "key"), REUSE);
	assert_false(is(c, "written"));
	assert_false(is(c, "verified"));
	assert_false(is(c, "persisted"));
	assert_true(json_is_null(json_object_get(c, "persist_before")));
	json_decref(rec);

	assert_int_equal(f->warnings.n, 1);
	assert_string_equal(f->warnings.v[0],
			    "run r2 was interrupted between its intent and its "
			    "result: 1 of its 2 keys are at the new value; "
			    "closed in the audit log");
	/* the intent has its result now: the log is sound */
	expect_sound_log(f, 4);
	/* and the next run finds nothing more to close */
	assert_false(recover_read_last(f->log, &last, &torn));
	assert_false(last.intent);
	assert_int_equal(last.result, RESULT_INTERRUPTED);
	audit_record_free(&last);
	audit_close(&f->a);
	audit_record_free(&f->intent);
	{
		char err[256] = "";

		assert_int_equal(audit_open(f->log, &f->a, err, sizeof(err)),
				 0);
		assert_false(audit_is_intent(f->a.last));
	}
}

static void keys_are_named_as_found_in_the_persist_file(void **state)
{
	struct fixture *f = *state;
	json_t *rec;
	size_t n;

	killed_after_both_writes(f);
	/* killed while persisting: the first key is in the file already */
	persist_file(f,
		     "# Written by twtune\n" TWB " = 16384\n" REUSE " = 0\n");
	next_writer(f);
	close_run(f, f->netfd, f->pdfd, NULL);
	rec = last_line(f, &n);
	assert_int_equal(n, 2);
	assert_true(is(change_of(rec, 0), "in_persist_file"));
	assert_false(is(change_of(rec, 1), "in_persist_file"));
	assert_false(is(change_of(rec, 0), "persisted"));
	assert_true(is(change_of(rec, 1), "written"));
	assert_string_equal(str(rec, "error"),
			    "no result was recorded (the process was killed); "
			    "found 2 of 2 keys at the new value");
	json_decref(rec);
	expect_sound_log(f, 2);
}

/* Without the persist directory (--no-persist) the file is not looked at. */
static void an_unread_persist_file_finds_nothing_in_it(void **state)
{
	struct fixture *f = *state;
	json_t *rec;
	size_t n;

	killed_after_both_writes(f);
	persist_file(f, TWB " = 16384\n" REUSE " = 1\n");
	next_writer(f);
	close_run(f, f->netfd, -1, &f->t);
	rec = last_line(f, &n);
	assert_false(is(change_of(rec, 0), "in_persist_file"));
	assert_false(is(change_of(rec, 1), "in_persist_file"));
	json_decref(rec);
	assert_int_equal(f->t.rec.n_changes, 0);
}

/* Another namespace's run: its values are not read through this one's. */
static void a_run_closed_without_its_values_finds_none(void **state)
{
	struct fixture *f = *state;
	json_t *rec;
	size_t n;

	killed_after_both_writes(f);
	next_writer(f);
	close_run(f, -1, f->pdfd, &f->t);
	rec = last_line(f, &n);
	assert_int_equal(n, 2);
	assert_string_equal(str(rec, "result"), "interrupted");
	assert_false(is(change_of(rec, 0), "written"));
	assert_false(is(change_of(rec, 1), "written"));
	assert_string_equal(str(rec, "error"),
			    "no result was recorded (the process was killed); "
			    "found 0 of 2 keys at the new value");
	json_decref(rec);
	/* nothing to finish in a file for keys not known to be written */
	assert_int_equal(f->t.rec.n_changes, 0);
}

/* A log that cannot be appended to: said, and nothing else happens. */
static void a_close_that_cannot_be_logged_is_said(void **state)
{
	struct fixture *f = *state;
	size_t before;

	interrupted_run(f);
	live(f, TWB, "4096\n");
	live(f, REUSE, "0\n");
	next_writer(f);
	before = log_size(f);
	close(f->a.fd);
	f->a.fd = -1;
	close_run(f, f->netfd, f->pdfd, NULL);
	assert_int_equal(log_size(f), before);
	assert_int_equal(f->warnings.n, 1);
	assert_string_equal(f->warnings.v[0],
			    "run r2 was interrupted between its intent and its "
			    "result: 0 of its 2 keys are at the new value; "
			    "could not record that in the audit log");
}

/* --- finishing the persist file ----------------------------------------- */

static void the_next_run_finishes_the_persist_entries_left_out(void **state)
{
	struct fixture *f = *state;
	const struct change *c;

	killed_after_both_writes(f);
	/* the first key's entry made it into the file, the second's not */
	persist_file(f, TWB " = 16384\n");
	next_writer(f);
	close_run(f, f->netfd, f->pdfd, &f->t);
	assert_int_equal(f->t.rec.n_changes, 1);
	c = &f->t.rec.changes[0];
	assert_string_equal(c->key, REUSE);
	assert_int_equal(c->before, 1);
	assert_int_equal(c->after, 1);
	assert_true(c->persist_only);
	assert_int_equal(c->pop, PERSIST_SET);
	assert_int_equal(c->pvalue, 1);
	assert_string_equal(c->rule, "rule-x");
	assert_string_equal(c->reason, "finishes interrupted run r2");
}

/* A missing persist file is an empty one: both entries are finished. */
static void a_missing_persist_file_is_finished_whole(void **state)
{
	struct fixture *f = *state;

	killed_after_both_writes(f);
	next_writer(f);
	close_run(f, f->netfd, f->pdfd, &f->t);
	assert_int_equal(f->t.rec.n_changes, 2);
	assert_string_equal(f->t.rec.changes[0].key, TWB);
	assert_int_equal(f->t.rec.changes[0].pvalue, 16384);
	assert_string_equal(f->t.rec.changes[1].key, REUSE);
}

static void only_keys_at_their_new_value_are_persisted(void **state)
{
	struct fixture *f = *state;

	interrupted_run(f);
	live(f, TWB, "16384\n");
	live(f, REUSE, "0\n"); /* never written */
	persist_file(f, "");
	next_writer(f);
	close_run(f, f->netfd, f->pdfd, &f->t);
	assert_int_equal(f->t.rec.n_changes, 1);
	assert_string_equal(f->t.rec.changes[0].key, TWB);
}

static void a_key_the_next_run_changes_itself_is_not_added(void **state)
{
	struct fixture *f = *state;

	killed_after_both_writes(f);
	apply_add(&f->t, TWB, 16384, 32768, "rule-y", "more")->pop =
		PERSIST_SET;
	next_writer(f);
	close_run(f, f->netfd, f->pdfd, &f->t);
	assert_int_equal(f->t.rec.n_changes, 2);
	assert_int_equal(f->t.rec.changes[0].after, 32768);
	assert_string_equal(f->t.rec.changes[1].key, REUSE);
}

/* A run with --no-persist had nothing to put in the file. */
static void a_run_that_did_not_persist_is_not_persisted(void **state)
{
	struct fixture *f = *state;
	struct audit_record r = { .intent = true, .mode = MODE_APPLY };

	snprintf(r.run, sizeof(r.run), "%s", "r2");
	planned(&r, TWB, 4096, 16384, -1)->pop = PERSIST_NONE;
	append_record(f, &r);
	audit_record_free(&r);
	live(f, TWB, "16384\n");
	next_writer(f);
	close_run(f, f->netfd, f->pdfd, &f->t);
	assert_int_equal(f->t.rec.n_changes, 0);
}

/* A record without a rule (an older twtune's) still names one. */
static void an_entry_without_rule_is_finished_as_interrupted(void **state)
{
	struct fixture *f = *state;
	json_t *rec = json_pack(
		"{s:s, s:s, s:s, s:s, s:[{s:s, s:I, s:I, s:b}]}", "time",
		"2026-01-01T00:00:00.000Z", "run", "r0", "phase", "intent",
		"mode", "apply", "changes", "key", TWB, "before",
		(json_int_t)4096, "after", (json_int_t)16384, "persist", 1);
	struct audit w = { .fd = -1 };
	char err[256] = "";

	assert_int_equal(audit_open(f->log, &w, err, sizeof(err)), 0);
	assert_int_equal(audit_append(&w, rec), 0);
	audit_close(&w);
	json_decref(rec);
	live(f, TWB, "16384\n");
	next_writer(f);
	close_run(f, f->netfd, f->pdfd, &f->t);
	assert_int_equal(f->t.rec.n_changes, 1);
	assert_string_equal(f->t.rec.changes[0].rule, "interrupted");
	assert_int_equal(f->t.rec.changes[0].pvalue, 16384);
	assert_string_equal(f->t.rec.changes[0].reason,
			    "finishes interrupted run r0");
}

/*
 * A forged intent whose persist value twtune may not write (out of the
 * kernel's range, tcp_tw_recycle on): the persist file is not finished
 * with it, and that is said; the live values were never touched here.
 */
static void a_forged_persist_value_is_not_finished(void **state)
{
	struct fixture *f = *state;
	struct audit_record r = { .intent = true, .mode = MODE_APPLY };
	struct change *c;

	snprintf(r.run, sizeof(r.run), "%s", "r9");
	c = planned(&r, TWB, 4096, 16384, -1);
	c->pvalue = LLONG_MIN;
	append_record(f, &r);
	audit_record_free(&r);
	live(f, TWB, "16384\n");
	next_writer(f);
	close_run(f, f->netfd, f->pdfd, &f->t);
	assert_int_equal(f->t.rec.n_changes, 0);
	assert_true(f->warnings.n >= 1);
	assert_contains(f->warnings.v[0],
			TWB ": the interrupted run's persist value "
			    "-9223372036854775808 is not one twtune may write");
}

/* A file twtune does not understand is neither read nor finished. */
static void a_persist_file_not_twtunes_is_left_alone(void **state)
{
	struct fixture *f = *state;
	json_t *rec;
	size_t n;

	killed_after_both_writes(f);
	persist_file(f, TWB " = 16384\nsomething else\n");
	next_writer(f);
	close_run(f, f->netfd, f->pdfd, &f->t);
	assert_int_equal(f->t.rec.n_changes, 0);
	rec = last_line(f, &n);
	assert_false(is(change_of(rec, 0), "in_persist_file"));
	json_decref(rec);
}

/* --- torn records --------------------------------------------------------- */

/* Killed while writing its result: the torn line goes, the run is closed. */
static void a_torn_result_is_cut_and_its_run_closed(void **state)
{
	struct fixture *f = *state;
	static const char torn_text[] =
		"{\"time\":\"2026-01-01T00:00:00.000Z\",\"run\":\"r2\",\"pha";
	struct audit_record last;
	size_t whole, n;
	bool torn;
	json_t *rec;

	complete_run(f, "r1");
	interrupted_run(f);
	whole = log_size(f);
	testdir_append(AT_FDCWD, f->log, torn_text);
	live(f, TWB, "16384\n");
	live(f, REUSE, "1\n");
	/* before the lock: a writer is needed, and it has a run to close */
	assert_true(recover_read_last(f->log, &last, &torn));
	assert_true(torn);
	assert_true(last.intent);
	assert_string_equal(last.run, "r2");
	audit_record_free(&last);

	next_writer(f);
	assert_int_equal(f->a.cut, strlen(torn_text));
	assert_int_equal(log_size(f), whole);
	assert_string_equal(f->intent.run, "r2");
	close_run(f, f->netfd, f->pdfd, NULL);
	rec = last_line(f, &n);
	assert_int_equal(n, 4);
	assert_string_equal(str(rec, "run"), "r2");
	assert_string_equal(str(rec, "result"), "interrupted");
	assert_int_equal(
		json_integer_value(json_object_get(rec, "audit_cut_bytes")),
		strlen(torn_text));
	json_decref(rec);
	expect_sound_log(f, 4);
}

/* Killed while writing its intent: the run wrote nothing; nothing closed. */
static void a_torn_intent_is_cut_and_nothing_closed(void **state)
{
	struct fixture *f = *state;
	static const char torn_text[] =
		"{\"time\":\"2026-01-01T00:00:00.000Z\",\"run\":\"r2\","
		"\"phase\":\"intent\",\"mode\":\"apply\",\"host\":\"ho";
	struct audit_record last;
	char err[256] = "";
	size_t whole;
	bool torn;

	complete_run(f, "r1");
	whole = log_size(f);
	testdir_append(AT_FDCWD, f->log, torn_text);
	/* a writer is needed to cut it, but no run is to be closed */
	assert_true(recover_read_last(f->log, &last, &torn));
	assert_true(torn);
	assert_non_null(last.json);
	assert_false(last.intent);
	assert_string_equal(last.run, "r1");
	audit_record_free(&last);

	assert_int_equal(audit_open(f->log, &f->a, err, sizeof(err)), 0);
	assert_int_equal(f->a.cut, strlen(torn_text));
	assert_int_equal(log_size(f), whole);
	assert_false(audit_is_intent(f->a.last));
	expect_sound_log(f, 2);
	/* and once cut, nothing is left for the next run to do */
	assert_false(recover_read_last(f->log, &last, &torn));
	assert_false(torn);
	audit_record_free(&last);
}

/* The very first intent torn: the log is cut back to nothing. */
static void a_torn_first_intent_leaves_an_empty_log(void **state)
{
	struct fixture *f = *state;
	static const char torn_text[] =
		"{\"time\":\"2026-01-01T00:00:00.000Z\"";
	struct audit_record last;
	char err[256] = "";
	bool torn;

	testdir_put(AT_FDCWD, f->log, torn_text);
	assert_true(recover_read_last(f->log, &last, &torn));
	assert_true(torn);
	assert_null(last.json);
	assert_int_equal(audit_open(f->log, &f->a, err, sizeof(err)), 0);
	assert_int_equal(f->a.cut, strlen(torn_text));
	assert_null(f->a.last);
	assert_int_equal(log_size(f), 0);
}

/* --- adopting what the killed run wrote --------------------------------- */

struct adopt {
	struct audit_record last;
	struct observation obs;
	struct state st;
};

static int adopt_setup(void **state)
{
	struct adopt *x = xcalloc(1, sizeof(*x));

	x->last.intent = true;
	x->last.netns = NETNS;
	snprintf(x->last.run, sizeof(x->last.run), "%s", "r2");
	for (int i = 0; i < METRIC_COUNT; i++)
		x->obs.m[i] = NAN;
	x->obs.netns = NETNS;
	/* a json reference, as callers check last.json first */
	x->last.json = json_object();
	planned(&x->last, TWB, 4096, 16384, 4096);
	planned(&x->last, REUSE, 0, 1, -1);
	*state = x;
	return 0;
}

static int adopt_teardown(void **state)
{
	struct adopt *x = *state;

	audit_record_free(&x->last);
	observe_free(&x->obs);
	state_free(&x->st);
	free(x);
	return 0;
}

static void expect_written(const struct adopt *x, unsigned long long netns,
			   const char *key, long long want)
{
	const struct state_written *w = state_get_written(&x->st, netns, 0, key);

	if (!w)
		fail_msg("%s not recorded as twtune's in netns %llu", key,
			 netns);
	assert_int_equal(w->value, want);
}

static void keys_left_at_the_new_value_become_twtunes(void **state)
{
	struct adopt *x = *state;

	observe_set_sysctl(&x->obs, TWB, "16384");
	observe_set_sysctl(&x->obs, REUSE, "0"); /* not written */
	assert_true(recover_adopt(&x->last, &x->obs, &x->st));
	assert_int_equal(x->st.n_written, 1);
	expect_written(x, NETNS, TWB, 16384);
	assert_null(state_get_written(&x->st, NETNS, 0, REUSE));
	/* a second time: nothing new */
	assert_false(recover_adopt(&x->last, &x->obs, &x->st));
	assert_int_equal(x->st.n_written, 1);
}

/* The state knew twtune's earlier value: it is the new one now. */
static void an_older_write_in_the_state_is_replaced(void **state)
{
	struct adopt *x = *state;

	state_set_written(&x->st, NETNS, 0, TWB, 4096);
	observe_set_sysctl(&x->obs, TWB, "16384");
	observe_set_sysctl(&x->obs, REUSE, "1");
	assert_true(recover_adopt(&x->last, &x->obs, &x->st));
	assert_int_equal(x->st.n_written, 2);
	expect_written(x, NETNS, TWB, 16384);
	expect_written(x, NETNS, REUSE, 1);
}

static void a_value_someone_changed_since_is_not_adopted(void **state)
{
	struct adopt *x = *state;

	state_set_written(&x->st, NETNS, 0, TWB, 4096);
	observe_set_sysctl(&x->obs, TWB, "50000");
	assert_false(recover_adopt(&x->last, &x->obs, &x->st));
	expect_written(x, NETNS, TWB, 4096);
	assert_int_equal(x->st.n_written, 1);
}

static void unreadable_keys_are_not_adopted(void **state)
{
	struct adopt *x = *state;

	observe_set_sysctl(&x->obs, TWB, "16384 16384");
	/* REUSE not observed at all; a change to 0 and a value that is not
	 * a number */
	planned(&x->last, "net.ipv4.tcp_tw_recycle", 1, 0, -1);
	observe_set_sysctl(&x->obs, "net.ipv4.tcp_tw_recycle", "");
	assert_false(recover_adopt(&x->last, &x->obs, &x->st));
	assert_int_equal(x->st.n_written, 0);
}

static void another_namespaces_run_is_not_adopted(void **state)
{
	struct adopt *x = *state;

	x->last.netns = NETNS + 1;
	observe_set_sysctl(&x->obs, TWB, "16384");
	observe_set_sysctl(&x->obs, REUSE, "1");
	assert_false(recover_adopt(&x->last, &x->obs, &x->st));
	assert_int_equal(x->st.n_written, 0);
}

/* An older record that does not name its namespace: this one's. */
static void a_record_without_namespace_is_this_ones(void **state)
{
	struct adopt *x = *state;

	x->last.netns = 0;
	observe_set_sysctl(&x->obs, TWB, "16384");
	observe_set_sysctl(&x->obs, REUSE, "1");
	assert_true(recover_adopt(&x->last, &x->obs, &x->st));
	expect_written(x, NETNS, TWB, 16384);
	expect_written(x, NETNS, REUSE, 1);
	assert_null(state_get_written(&x->st, 0, 0, TWB));
}

/* --- a writer still at work ------------------------------------------------ */

/*
 * A writer in the middle of its run holds the writers' lock (a flock on
 * the audit log's directory) with its intent last in the log.  The next
 * writer cannot take the lock while it lives, so it never gets to close
 * that run; once the writer is gone (SIGKILL), the kernel has dropped the
 * lock and the run is closed.
 */
static void a_run_whose_writer_lives_is_not_closed(void **state)
{
	struct fixture *f = *state;
	struct options o;
	struct boundary b;
	int ready[2], hold[2], status;
	char c, *dir = util_dirname(f->log);
	size_t before, n;
	json_t *rec;
	pid_t pid;

	interrupted_run(f);
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(hold), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int dfd = open(dir, O_RDONLY | O_DIRECTORY);

		/* gone with the test, whatever becomes of it */
		close(hold[1]);
		close(ready[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);

		/* its intent is in the log (written before the fork) */
		if (dfd < 0 || flock(dfd, LOCK_EX | LOCK_NB) < 0 ||
		    write(ready[1], "x", 1) != 1)
			_exit(1);
		/* at work until killed (or the test is gone) */
		if (read(hold[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(ready[1]);
	close(hold[0]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	close(ready[0]);
	live(f, TWB, "16384\n");
	live(f, REUSE, "0\n");
	before = log_size(f);

	memset(&o, 0, sizeof(o));
	o.audit_log = f->log;
	boundary_init(&b);
	b.audit_dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(b.audit_dfd >= 0);
	assert_int_equal(boundary_lock(&b, &o, 0, true), -EWOULDBLOCK);
	/* nor after waiting a little */
	assert_int_equal(boundary_lock(&b, &o, 0.05, true), -EWOULDBLOCK);
	assert_int_equal(log_size(f), before);

	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	close(hold[1]);
	assert_int_equal(boundary_lock(&b, &o, 0, true), 0);
	next_writer(f);
	close_run(f, f->netfd, f->pdfd, NULL);
	rec = last_line(f, &n);
	assert_int_equal(n, 2);
	assert_string_equal(str(rec, "result"), "interrupted");
	json_decref(rec);
	boundary_unlock(&b);
	boundary_close(&b);
	free(dir);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
#define A(f) cmocka_unit_test_setup_teardown(f, adopt_setup, adopt_teardown)
	const struct CMUnitTest tests[] = {
		T(a_log_that_ends_in_a_result_needs_no_recovery),
		T(an_intent_without_result_needs_recovery),
		T(an_interrupted_run_gets_one_closing_record),
		T(keys_are_named_as_found_in_the_persist_file),
		T(an_unread_persist_file_finds_nothing_in_it),
		T(a_run_closed_without_its_values_finds_none),
		T(a_close_that_cannot_be_logged_is_said),
		T(the_next_run_finishes_the_persist_entries_left_out),
		T(a_missing_persist_file_is_finished_whole),
		T(only_keys_at_their_new_value_are_persisted),
		T(a_key_the_next_run_changes_itself_is_not_added),
		T(a_run_that_did_not_persist_is_not_persisted),
		T(an_entry_without_rule_is_finished_as_interrupted),
		T(a_forged_persist_value_is_not_finished),
		T(a_persist_file_not_twtunes_is_left_alone),
		T(a_torn_result_is_cut_and_its_run_closed),
		T(a_torn_intent_is_cut_and_nothing_closed),
		T(a_torn_first_intent_leaves_an_empty_log),
		A(keys_left_at_the_new_value_become_twtunes),
		A(an_older_write_in_the_state_is_replaced),
		A(a_value_someone_changed_since_is_not_adopted),
		A(unreadable_keys_are_not_adopted),
		A(another_namespaces_run_is_not_adopted),
		A(a_record_without_namespace_is_this_ones),
		T(a_run_whose_writer_lives_is_not_closed),
	};
#undef A
#undef T

	return cmocka_run_group_tests_name("recover", tests, NULL, NULL);
}
