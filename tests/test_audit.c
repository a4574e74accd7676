// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Tests for the audit log (audit.c) and the change records apply.c puts
 * in it.  They protect what a later reader of the log relies on: records
 * are compact JSON, one per line, in insertion order; every line's "prev"
 * is the SHA-256 of the line before, across reopening; the file is 0640;
 * audit_verify finds an edited, deleted, torn, non-JSON or unpaired line
 * and names the line; audit_find_run picks the run a rollback should
 * undo; and a change is recorded with the documented field names.
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apply.h"
#include "audit.h"
#include "bounds.h"
#include "sysctl.h"
#include "testutil.h"
#include "util.h"

#define TWB "net.ipv4.tcp_max_tw_buckets"

struct logdir {
	struct testdir dir;
	char *sub;  /* dir/log: created by audit_open */
	char *path; /* dir/log/audit.jsonl */
	struct audit a;
};

static int logdir_setup(void **state)
{
	struct logdir *l = xcalloc(1, sizeof(*l));

	if (testdir_make(&l->dir) < 0) {
		free(l);
		return -1;
	}
	l->sub = xasprintf("%s/log", l->dir.path);
	l->path = xasprintf("%s/audit.jsonl", l->sub);
	l->a.fd = -1;
	umask(022);
	*state = l;
	return 0;
}

static int logdir_teardown(void **state)
{
	struct logdir *l = *state;
	int ret;

	audit_close(&l->a);
	ret = testdir_remove(&l->dir);
	free(l->path);
	free(l->sub);
	free(l);
	return ret;
}

static void open_log(struct logdir *l)
{
	char err[256] = "";
	int ret = audit_open(l->path, &l->a, err, sizeof(err));

	if (ret < 0)
		print_error("audit_open: %s\n", err);
	assert_int_equal(ret, 0);
	assert_true(l->a.fd >= 0);
}

/*
 * A record as apply.c writes it, reduced to what the log's readers look
 * at; written is the "written" flag of its one change, or -1 for none.
 */
static json_t *rec_new(const char *run, const char *phase, const char *mode,
		       const char *rollback_of, int written)
{
	json_t *r = json_object();
	json_t *changes = json_array();

	json_object_set_new(r, "time", json_string("2026-01-01T00:00:00.000Z"));
	json_object_set_new(r, "run", json_string(run));
	json_object_set_new(r, "phase", json_string(phase));
	json_object_set_new(r, "mode", json_string(mode));
	if (rollback_of)
		json_object_set_new(r, "rollback_of", json_string(rollback_of));
	if (written >= 0)
		json_array_append_new(changes,
				      json_pack("{s:s, s:I, s:I, s:b}", "key",
						TWB, "before", (json_int_t)64,
						"after", (json_int_t)1024,
						"written", written));
	json_object_set_new(r, "changes", changes);
	return r;
}

static void append(struct logdir *l, const char *run, const char *phase,
		   const char *mode, const char *rollback_of, int written)
{
	json_t *r = rec_new(run, phase, mode, rollback_of, written);

	assert_int_equal(audit_append(&l->a, r), 0);
	json_decref(r);
}

/* An apply run that wrote (or not): its intent and result records. */
static void append_run(struct logdir *l, const char *run, const char *mode,
		       const char *rollback_of, int written)
{
	append(l, run, "intent", mode, rollback_of, 0);
	append(l, run, "result", mode, rollback_of, written);
}

static char *read_log(const char *path)
{
	char *text = NULL;

	assert_int_equal(util_read_at(AT_FDCWD, path, 1u << 20, &text, NULL),
			 0);
	return text;
}

/* The log's lines, without their newlines. */
static void log_lines(const char *path, struct msgs *lines)
{
	char *text = read_log(path);

	memset(lines, 0, sizeof(*lines));
	for (char *p = text, *e; *p; p = e + 1) {
		e = strchr(p, '\n');
		assert_non_null(e);
		msgs_addf(lines, "%.*s", (int)(e - p), p);
	}
	free(text);
}

/* Rewrite the log from lines, skipping index skip (or none: -1). */
static void write_lines(const char *path, const struct msgs *lines, int skip)
{
	struct strbuf sb = { 0 };

	strbuf_add(&sb, "", 0);
	for (size_t i = 0; i < lines->n; i++)
		if ((int)i != skip)
			strbuf_addf(&sb, "%s\n", lines->v[i]);
	testdir_put(AT_FDCWD, path, sb.s);
	strbuf_free(&sb);
}

static void sha(const char *line, char out[SHA256_HEX_LEN + 1])
{
	util_sha256_hex(line, strlen(line), out);
}

static void expect_verify_error(const char *path, size_t want_records,
				const char *want_err)
{
	char err[512] = "";
	size_t records = 99;

	assert_int_equal(audit_verify(path, &records, err, sizeof(err)),
			 -EBADMSG);
	assert_string_equal(err, want_err);
	assert_int_equal(records, want_records);
}

/* --- serialisation ----------------------------------------------------- */

static void serialize_is_compact_ordered_with_null_first_prev(void **state)
{
	json_t *r = json_object();
	char *s;

	(void)state;
	json_object_set_new(r, "time", json_string("t"));
	json_object_set_new(r, "run", json_string("abc"));
	json_object_set_new(r, "zeta", json_integer(1));
	json_object_set_new(r, "alpha", json_pack("[i, i]", 1, 2));
	json_object_set_new(r, "obj", json_pack("{s:i, s:n}", "z", 1, "a"));
	s = audit_serialize(r, NULL);
	assert_string_equal(s, "{\"time\":\"t\",\"run\":\"abc\",\"zeta\":1,"
			       "\"alpha\":[1,2],\"obj\":{\"z\":1,\"a\":null},"
			       "\"prev\":null}");
	free(s);
	/* an empty previous hash is the start of a log too */
	s = audit_serialize(r, "");
	assert_string_equal(s + strlen(s) - 13, ",\"prev\":null}");
	free(s);
	json_decref(r);
}

static void serialize_carries_the_previous_hash(void **state)
{
	json_t *r = json_pack("{s:s}", "run", "abc");
	char prev[SHA256_HEX_LEN + 1], *s, *want;

	(void)state;
	sha("line before", prev);
	s = audit_serialize(r, prev);
	want = xasprintf("{\"run\":\"abc\",\"prev\":\"%s\"}", prev);
	assert_string_equal(s, want);
	free(want);
	free(s);
	json_decref(r);
}

/* A record never spans lines, and its bytes do not depend on a locale. */
static void serialize_escapes_newlines_and_non_ascii(void **state)
{
	json_t *r = json_pack("{s:s}", "error", "h\xc3\xa9llo\nworld");
	char *s;

	(void)state;
	s = audit_serialize(r, NULL);
	assert_string_equal(s, "{\"error\":\"h\\u00E9llo\\nworld\","
			       "\"prev\":null}");
	free(s);
	json_decref(r);
}

/* --- writing ----------------------------------------------------------- */

static void append_chains_each_line_to_the_one_before(void **state)
{
	struct logdir *l = *state;
	char h[SHA256_HEX_LEN + 1];
	struct msgs lines;
	char *text;

	open_log(l);
	assert_string_equal(l->a.prev, "");
	append(l, "r1", "intent", "apply", NULL, 0);
	append(l, "r1", "result", "apply", NULL, 1);
	append(l, "r2", "intent", "apply", NULL, 0);

	text = read_log(l->path);
	assert_true(text[strlen(text) - 1] == '\n');
	free(text);
	log_lines(l->path, &lines);
	assert_int_equal(lines.n, 3);
	for (size_t i = 0; i < lines.n; i++) {
		json_t *rec = json_loads(lines.v[i], 0, NULL);
		json_t *prev;

		assert_non_null(rec);
		prev = json_object_get(rec, "prev");
		if (i == 0) {
			assert_true(json_is_null(prev));
		} else {
			sha(lines.v[i - 1], h);
			assert_non_null(json_string_value(prev));
			assert_string_equal(json_string_value(prev), h);
		}
		assert_string_equal(
			json_string_value(json_object_get(rec, "run")),
			i < 2 ? "r1" : "r2");
		json_decref(rec);
	}
	sha(lines.v[2], h);
	assert_string_equal(l->a.prev, h);
	msgs_free(&lines);
}

static void log_is_created_0640_in_a_0750_directory(void **state)
{
	struct logdir *l = *state;
	struct stat st;

	umask(0);
	open_log(l);
	umask(022);
	append(l, "r1", "intent", "apply", NULL, 0);
	assert_int_equal(stat(l->path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(stat(l->sub, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0750);
}

static void reopening_the_log_continues_the_chain(void **state)
{
	struct logdir *l = *state;
	char h[SHA256_HEX_LEN + 1], last[SHA256_HEX_LEN + 1];
	struct msgs lines;
	json_t *rec;

	open_log(l);
	append_run(l, "r1", "apply", NULL, 1);
	audit_close(&l->a);
	assert_int_equal(l->a.fd, -1);

	open_log(l);
	log_lines(l->path, &lines);
	sha(lines.v[1], h);
	assert_string_equal(l->a.prev, h);
	assert_int_equal(audit_last_hash(l->a.fd, last, NULL), 0);
	assert_string_equal(last, h);
	msgs_free(&lines);

	append(l, "r2", "intent", "apply", NULL, 0);
	log_lines(l->path, &lines);
	assert_int_equal(lines.n, 3);
	rec = json_loads(lines.v[2], 0, NULL);
	assert_string_equal(json_string_value(json_object_get(rec, "prev")), h);
	json_decref(rec);
	msgs_free(&lines);
}

static void last_hash_of_an_empty_log_is_empty(void **state)
{
	struct logdir *l = *state;
	char h[SHA256_HEX_LEN + 1] = "x";

	open_log(l);
	assert_int_equal(audit_last_hash(l->a.fd, h, NULL), 0);
	assert_string_equal(h, "");
}

static void open_cuts_a_torn_last_line_and_continues_the_chain(void **state)
{
	struct logdir *l = *state;
	char err[256] = "", want[SHA256_HEX_LEN + 1];
	size_t n;

	open_log(l);
	append(l, "r1", "intent", "apply", NULL, 0);
	memcpy(want, l->a.prev, sizeof(want));
	audit_close(&l->a);
	/* what SIGKILL during write(2) leaves: part of the next record */
	testdir_append(AT_FDCWD, l->path, "{\"run\":\"r1\",\"pha");
	assert_int_equal(audit_open(l->path, &l->a, err, sizeof(err)), 0);
	assert_int_equal(l->a.cut, 16);
	assert_string_equal(l->a.prev, want);
	assert_true(audit_is_intent(l->a.last));
	append(l, "r1", "result", "apply", NULL, 1);
	assert_int_equal(audit_verify(l->path, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 2);
}

static void open_refuses_a_whole_last_line_that_is_not_a_record(void **state)
{
	struct logdir *l = *state;
	char err[256] = "";

	open_log(l);
	append(l, "r1", "intent", "apply", NULL, 0);
	audit_close(&l->a);
	testdir_append(AT_FDCWD, l->path, "not a record\n");
	assert_int_equal(audit_open(l->path, &l->a, err, sizeof(err)),
			 -EBADMSG);
	assert_int_equal(l->a.fd, -1);
	assert_non_null(strstr(err, l->path));
	assert_non_null(strstr(err, "the last line is not a complete record"));
}

/* An unterminated tail of 1 MiB or more was never one of our records. */
static void an_overlong_unterminated_tail_is_not_cut(void **state)
{
	struct logdir *l = *state;
	char err[512] = "";
	size_t big = 1u << 20, n;
	char *junk = malloc(big + 1);
	struct stat st;

	assert_non_null(junk);
	memset(junk, 'x', big);
	junk[big] = '\0';
	/* the whole file is that one line: still not cut */
	testdir_append(AT_FDCWD, l->path, junk);
	assert_int_equal(audit_open(l->path, &l->a, err, sizeof(err)),
			 -EBADMSG);
	assert_int_equal(stat(l->path, &st), 0);
	assert_int_equal(st.st_size, big);
	assert_int_equal(audit_verify(l->path, &n, err, sizeof(err)), -EBADMSG);
	assert_string_equal(err, "1: the last line is unterminated and "
				 "longer than any record: not twtune's "
				 "(repair it by hand)");
	free(junk);
}

static void last_record_sees_through_a_torn_tail(void **state)
{
	struct logdir *l = *state;
	bool torn;
	json_t *rec;

	open_log(l);
	append(l, "r1", "intent", "apply", NULL, 0);
	audit_close(&l->a);
	rec = audit_last_record(l->path, &torn);
	assert_false(torn);
	assert_true(audit_is_intent(rec));
	json_decref(rec);
	testdir_append(AT_FDCWD, l->path, "{\"run\":\"r1\",\"pha");
	rec = audit_last_record(l->path, &torn);
	assert_true(torn);
	assert_true(audit_is_intent(rec));
	json_decref(rec);
}

/* --- verification ------------------------------------------------------ */

static void verify_passes_a_sound_log(void **state)
{
	struct logdir *l = *state;
	char err[256] = "";
	size_t records = 0;

	open_log(l);
	append_run(l, "r1", "apply", NULL, 1);
	/* runs may interleave: watch and a manual apply */
	append(l, "r2", "intent", "watch", NULL, 0);
	append(l, "r3", "intent", "apply", NULL, 0);
	append(l, "r2", "result", "watch", NULL, 1);
	append(l, "r3", "result", "apply", NULL, 1);
	assert_int_equal(audit_verify(l->path, &records, err, sizeof(err)), 0);
	assert_int_equal(records, 6);
	assert_string_equal(err, "");
}

static void verify_passes_an_empty_log(void **state)
{
	struct logdir *l = *state;
	char err[256] = "";
	size_t records = 99;

	open_log(l);
	assert_int_equal(audit_verify(l->path, &records, err, sizeof(err)), 0);
	assert_int_equal(records, 0);
}

/* After rotation the first line's prev names a line in the old file. */
static void verify_accepts_a_first_line_continuing_a_rotated_log(void **state)
{
	struct logdir *l = *state;
	struct msgs lines;
	char err[256] = "";
	size_t records = 0;

	open_log(l);
	append(l, "r0", "result", "apply", NULL, 1); /* end of old file */
	append_run(l, "r1", "apply", NULL, 1);
	log_lines(l->path, &lines);
	write_lines(l->path, &lines, 0);
	msgs_free(&lines);
	assert_int_equal(audit_verify(l->path, &records, err, sizeof(err)), 0);
	assert_int_equal(records, 2);
}

static void verify_finds_an_edited_line_at_the_next_line(void **state)
{
	struct logdir *l = *state;
	struct msgs lines;
	char *p;

	open_log(l);
	append_run(l, "r1", "apply", NULL, 1);
	append_run(l, "r2", "apply", NULL, 1);
	log_lines(l->path, &lines);
	/* still valid JSON, still a result of r1: only the chain tells */
	p = strstr(lines.v[1], "1024");
	assert_non_null(p);
	p[0] = '2';
	write_lines(l->path, &lines, -1);
	msgs_free(&lines);
	expect_verify_error(l->path, 2,
			    "3: hash chain broken: prev does not match line 2");
}

static void verify_finds_a_deleted_middle_line(void **state)
{
	struct logdir *l = *state;
	struct msgs lines;

	open_log(l);
	append_run(l, "r1", "apply", NULL, 1);
	append_run(l, "r2", "apply", NULL, 1);
	append_run(l, "r3", "apply", NULL, 1);
	log_lines(l->path, &lines);
	write_lines(l->path, &lines, 2); /* r2's intent */
	msgs_free(&lines);
	expect_verify_error(l->path, 2,
			    "3: hash chain broken: prev does not match line 2");
}

static void verify_finds_an_intent_without_result(void **state)
{
	struct logdir *l = *state;

	open_log(l);
	append_run(l, "r1", "apply", NULL, 1);
	append(l, "r2", "intent", "apply", NULL, 0);
	append_run(l, "r3", "apply", NULL, 1);
	expect_verify_error(
		l->path, 5,
		"3: run r2 was interrupted: its intent has no result (the next "
		"apply, watch or rollback closes it)");
}

static void verify_finds_a_result_without_intent(void **state)
{
	struct logdir *l = *state;

	open_log(l);
	append_run(l, "r1", "apply", NULL, 1);
	append(l, "r9", "result", "apply", NULL, 1);
	expect_verify_error(l->path, 2,
			    "3: result for run r9 has no intent before it");
}

static void verify_finds_a_second_result_for_one_intent(void **state)
{
	struct logdir *l = *state;

	open_log(l);
	append_run(l, "r1", "apply", NULL, 1);
	append(l, "r1", "result", "apply", NULL, 1);
	expect_verify_error(l->path, 2,
			    "3: result for run r1 has no intent before it");
}

static void verify_finds_a_line_that_is_not_json(void **state)
{
	struct logdir *l = *state;
	char err[512] = "";
	size_t records = 99;

	open_log(l);
	append_run(l, "r1", "apply", NULL, 1);
	audit_close(&l->a);
	testdir_append(AT_FDCWD, l->path, "r1 apply ok\n");
	assert_int_equal(audit_verify(l->path, &records, err, sizeof(err)),
			 -EBADMSG);
	assert_int_equal(strncmp(err, "3: not a JSON object: ", 22), 0);
	assert_int_equal(records, 2);
}

static void verify_finds_a_json_line_that_is_not_an_object(void **state)
{
	struct logdir *l = *state;

	open_log(l);
	append(l, "r1", "intent", "apply", NULL, 0);
	audit_close(&l->a);
	testdir_append(AT_FDCWD, l->path, "[\"r1\",\"result\"]\n");
	expect_verify_error(l->path, 1, "2: not a JSON object: wrong type");
}

static void verify_finds_a_torn_last_line(void **state)
{
	struct logdir *l = *state;

	open_log(l);
	append_run(l, "r1", "apply", NULL, 1);
	audit_close(&l->a);
	testdir_append(AT_FDCWD, l->path,
		       "{\"time\":\"2026-01-01T00:00:00.000Z\",\"ru");
	expect_verify_error(l->path, 2,
			    "3: the last record is torn: its run was killed "
			    "while writing it (the next apply, watch or "
			    "rollback cuts it off, and closes the run if it "
			    "was its result)");
}

static void verify_finds_a_record_without_run_or_phase(void **state)
{
	struct logdir *l = *state;
	json_t *r = json_pack("{s:s}", "mode", "apply");

	open_log(l);
	append_run(l, "r1", "apply", NULL, 1);
	assert_int_equal(audit_append(&l->a, r), 0);
	json_decref(r);
	expect_verify_error(l->path, 2, "3: record lacks run or phase");
}

static void verify_of_a_missing_log_is_enoent(void **state)
{
	struct logdir *l = *state;
	char err[512] = "";
	size_t records = 99;

	assert_int_equal(audit_verify(l->path, &records, err, sizeof(err)),
			 -ENOENT);
	assert_non_null(strstr(err, l->path));
	assert_int_equal(records, 0);
}

/* --- finding the run to roll back -------------------------------------- */

static const char *run_of(json_t *rec)
{
	return json_string_value(json_object_get(rec, "run"));
}

static void expect_found(const char *path, const char *run,
			 const char *want_run)
{
	char err[512] = "";
	json_t *rec = NULL;
	int ret = audit_find_run(path, run, &rec, err, sizeof(err));

	if (ret < 0)
		print_error("audit_find_run: %s\n", err);
	assert_int_equal(ret, 0);
	assert_non_null(rec);
	assert_string_equal(run_of(rec), want_run);
	assert_string_equal(json_string_value(json_object_get(rec, "phase")),
			    "result");
	json_decref(rec);
}

static void expect_not_found(const char *path, const char *run,
			     const char *want_err)
{
	char err[512] = "";
	json_t *rec = (json_t *)1;

	assert_int_equal(audit_find_run(path, run, &rec, err, sizeof(err)),
			 -ENOENT);
	assert_null(rec);
	assert_string_equal(err, want_err);
}

static void find_run_by_id_returns_its_result_record(void **state)
{
	struct logdir *l = *state;
	char err[512] = "";
	json_t *rec = NULL;

	open_log(l);
	append_run(l, "r1", "apply", NULL, 1);
	append_run(l, "r2", "apply", NULL, 0);
	append_run(l, "r3", "apply", NULL, 1);
	expect_found(l->path, "r1", "r1");
	/* asked for by id, even a run that wrote nothing is found */
	expect_found(l->path, "r2", "r2");
	assert_int_equal(audit_find_run(l->path, "r3", &rec, err, sizeof(err)),
			 0);
	assert_true(json_is_true(json_object_get(
		json_array_get(json_object_get(rec, "changes"), 0),
		"written")));
	json_decref(rec);
}

static void find_run_by_unknown_id_is_enoent(void **state)
{
	struct logdir *l = *state;
	char *want;

	open_log(l);
	append_run(l, "r1", "apply", NULL, 1);
	append(l, "r2", "intent", "apply", NULL, 0); /* no result yet */
	want = xasprintf("run r9 not found in %s", l->path);
	expect_not_found(l->path, "r9", want);
	free(want);
}

static void find_run_finds_a_run_killed_halfway_by_its_intent(void **state)
{
	struct logdir *l = *state;
	char err[512] = "";
	json_t *rec = NULL;

	open_log(l);
	append_run(l, "r1", "apply", NULL, 1);
	append(l, "r2", "intent", "apply", NULL, 0); /* no result: killed */
	assert_int_equal(audit_find_run(l->path, "r2", &rec, err, sizeof(err)),
			 0);
	assert_string_equal(run_of(rec), "r2");
	assert_string_equal(json_string_value(json_object_get(rec, "phase")),
			    "intent");
	assert_true(json_is_true(json_object_get(rec, "incomplete")));
	json_decref(rec);
	/* and it is the default: it is the last run that may have written */
	rec = NULL;
	assert_int_equal(audit_find_run(l->path, NULL, &rec, err, sizeof(err)),
			 0);
	assert_string_equal(run_of(rec), "r2");
	json_decref(rec);
}

static void find_run_default_is_the_last_run_that_wrote(void **state)
{
	struct logdir *l = *state;

	open_log(l);
	append_run(l, "r1", "apply", NULL, 1);
	append_run(l, "r2", "apply", NULL, 1);
	append_run(l, "r3", "apply", NULL, 0);	/* nothing to change */
	append_run(l, "r4", "apply", NULL, -1); /* no changes at all */
	expect_found(l->path, NULL, "r2");
}

static void find_run_default_counts_watch_runs(void **state)
{
	struct logdir *l = *state;

	open_log(l);
	append_run(l, "r1", "apply", NULL, 1);
	append_run(l, "w1", "watch", NULL, 1);
	expect_found(l->path, NULL, "w1");
}

static void find_run_default_skips_a_rolled_back_run(void **state)
{
	struct logdir *l = *state;

	open_log(l);
	append_run(l, "r1", "apply", NULL, 1);
	append_run(l, "r2", "apply", NULL, 1);
	append_run(l, "rb", "rollback", "r2", 1);
	expect_found(l->path, NULL, "r1");
}

static void find_run_default_ignores_a_rollback_that_wrote_nothing(void **state)
{
	struct logdir *l = *state;

	open_log(l);
	append_run(l, "r1", "apply", NULL, 1);
	append_run(l, "r2", "apply", NULL, 1);
	append_run(l, "rb", "rollback", "r2", 0); /* failed, undone */
	expect_found(l->path, NULL, "r2");
}

static void find_run_default_is_enoent_when_all_are_rolled_back(void **state)
{
	struct logdir *l = *state;
	char *want;

	open_log(l);
	append_run(l, "r1", "apply", NULL, 1);
	append_run(l, "rb1", "rollback", "r1", 1);
	want = xasprintf("%s: no run left to roll back", l->path);
	expect_not_found(l->path, NULL, want);
	free(want);
}

static void find_run_default_is_enoent_on_an_empty_log(void **state)
{
	struct logdir *l = *state;
	char *want;

	open_log(l);
	want = xasprintf("%s: no run left to roll back", l->path);
	expect_not_found(l->path, NULL, want);
	free(want);
}

static void find_run_in_a_missing_log_is_enoent(void **state)
{
	struct logdir *l = *state;
	char err[512] = "";
	json_t *rec = NULL;

	assert_int_equal(audit_find_run(l->path, NULL, &rec, err, sizeof(err)),
			 -ENOENT);
	assert_null(rec);
	assert_non_null(strstr(err, l->path));
}


/* --- rotation, size and trust ------------------------------------------ */

/*
 * After logrotate moved the log to NAME.1 and left an empty NAME, the
 * first new record names the hash of NAME.1's last record, and the two
 * verify as one chain (but not out of order).
 */
static void a_rotated_log_is_continued_and_verifies_across(void **state)
{
	struct logdir *l = *state;
	char *old = xasprintf("%s.1", l->path), err[512] = "", last[65];
	const char *both[2], *bad;
	struct msgs lines;
	size_t n;

	open_log(l);
	append_run(l, "r1", "apply", NULL, 1);
	audit_close(&l->a);
	assert_int_equal(rename(l->path, old), 0);
	testdir_put(AT_FDCWD, l->path, "");
	log_lines(old, &lines);
	sha(lines.v[1], last);
	msgs_free(&lines);
	open_log(l);
	assert_string_equal(l->a.prev, last);
	append_run(l, "r2", "apply", NULL, 1);
	both[0] = old;
	both[1] = l->path;
	assert_int_equal(audit_verify_files(both, 2, &n, &bad, err, sizeof(err)),
			 0);
	assert_int_equal(n, 4);
	both[0] = l->path;
	both[1] = old;
	assert_int_equal(audit_verify_files(both, 2, &n, &bad, err, sizeof(err)),
			 -EBADMSG);
	assert_string_equal(bad, old);
	assert_string_equal(err, "1: hash chain broken: prev does not match "
				 "the previous file's last record");
	free(old);
}

/* A record no reader would take is never appended: the log stays whole. */
static void a_record_longer_than_readers_take_is_refused(void **state)
{
	struct logdir *l = *state;
	json_t *r = rec_new("r1", "intent", "apply", NULL, 0);
	char *big = xmalloc(AUDIT_LINE_MAX + 1);
	struct stat before, after;

	open_log(l);
	append_run(l, "r0", "apply", NULL, 1);
	assert_int_equal(stat(l->path, &before), 0);
	memset(big, 'x', AUDIT_LINE_MAX);
	big[AUDIT_LINE_MAX] = '\0';
	json_object_set_new(r, "reason", json_string(big));
	assert_int_equal(audit_append(&l->a, r), -EMSGSIZE);
	assert_int_equal(stat(l->path, &after), 0);
	assert_int_equal(after.st_size, before.st_size);
	json_decref(r);
	free(big);
}

/* A log that others can change decides nothing: it is not opened. */
static void a_log_others_can_write_is_refused(void **state)
{
	struct logdir *l = *state;
	char err[512] = "";
	json_t *rec;
	bool torn;

	open_log(l);
	append_run(l, "r1", "apply", NULL, 1);
	audit_close(&l->a);
	assert_int_equal(chmod(l->path, 0666), 0);
	assert_int_equal(audit_open(l->path, &l->a, err, sizeof(err)), -EPERM);
	assert_contains(err, "refusing it: the file is writable by everyone");
	assert_null(audit_last_record(l->path, &torn));
	assert_int_equal(audit_find_run(l->path, NULL, &rec, err, sizeof(err)),
			 -EPERM);
}

/* --- change records ---------------------------------------------------- */

static void changes_json_uses_the_documented_field_names(void **state)
{
	struct txn t;
	struct change *c;
	json_t *j;
	char *s;

	(void)state;
	assert_int_equal(apply_init(&t, MODE_APPLY), 0);
	c = apply_add(&t, TWB, 1024, 4096, "tw-buckets-headroom", "room");
	c->written = true;
	c->verified = true;
	c->persisted = true;
	c->had_persist = true;
	c->persist_before = 2048;
	c->pop = PERSIST_SET;
	c->pvalue = 4096; /* as apply persists it: the new value */
	apply_add(&t, "net.ipv4.tcp_tw_reuse", 0, 1, "tw-reuse", "ports");

	j = audit_changes_json(t.rec.changes, t.rec.n_changes, false);
	s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	assert_string_equal(
		s, "[{\"key\":\"" TWB "\",\"before\":1024,\"after\":4096,"
		   "\"rule\":\"tw-buckets-headroom\",\"reason\":\"room\","
		   "\"written\":true,\"verified\":true,\"persisted\":true,"
		   "\"persist\":true,\"persist_before\":2048},"
		   "{\"key\":\"net.ipv4.tcp_tw_reuse\",\"before\":0,"
		   "\"after\":1,\"rule\":\"tw-reuse\",\"reason\":\"ports\","
		   "\"written\":false,\"verified\":false,"
		   "\"persisted\":false,\"persist\":false,"
		   "\"persist_before\":null}]");
	free(s);
	json_decref(j);
	apply_free(&t);
}

static void changes_json_of_no_changes_is_an_empty_array(void **state)
{
	struct txn t;
	json_t *j;

	(void)state;
	assert_int_equal(apply_init(&t, MODE_ROLLBACK), 0);
	j = audit_changes_json(t.rec.changes, t.rec.n_changes, false);
	assert_true(json_is_array(j));
	assert_int_equal(json_array_size(j), 0);
	json_decref(j);
	apply_free(&t);
}

static void run_ids_are_fresh_128_bit_hex(void **state)
{
	struct txn a, b;

	(void)state;
	assert_int_equal(apply_init(&a, MODE_APPLY), 0);
	assert_int_equal(apply_init(&b, MODE_APPLY), 0);
	assert_int_equal(strlen(a.rec.run), 32);
	assert_int_equal(strspn(a.rec.run, "0123456789abcdef"), 32);
	assert_string_not_equal(a.rec.run, b.rec.run);
	apply_free(&a);
	apply_free(&b);
}

/* Fail closed: an intent that cannot be logged stops the run. */
static void apply_writes_nothing_when_the_intent_cannot_be_logged(void **state)
{
	struct audit broken = { .fd = -1, .prev = "" };
	struct txn t;

	(void)state;
	assert_int_equal(apply_init(&t, MODE_APPLY), 0);
	t.audit = &broken;
	t.base = json_object();
	apply_add(&t, TWB, 64, 1024, "tw-buckets-headroom", "room");
	assert_int_equal(apply_execute(&t), -EBADF);
	assert_string_equal(txn_result_names[t.rec.result], "failed");
	assert_int_equal(strncmp(t.error, "audit log: write intent", 23), 0);
	assert_false(t.rec.changes[0].written);
	assert_false(t.rec.changes[0].persisted);
	apply_free(&t);
}

/*
 * A fake /proc/sys/net in the log directory: the value changed between
 * planning and writing is not overwritten, and the run writes nothing.
 */
static void apply_does_not_overwrite_a_value_changed_since_planned(void **state)
{
	struct logdir *l = *state;
	char err[256], *text = NULL;
	struct txn t;

	assert_int_equal(testdir_mkdirs(l->dir.fd, "sys/net/ipv4"), 0);
	testdir_put(l->dir.fd, "sys/net/ipv4/tcp_max_tw_buckets", "777\n");
	assert_int_equal(audit_open(l->path, &l->a, err, sizeof(err)), 0);
	assert_int_equal(apply_init(&t, MODE_APPLY), 0);
	t.audit = &l->a;
	t.base = json_object();
	t.netfd = sysctl_open_net(l->dir.fd);
	assert_true(t.netfd >= 0);
	/* planned from 64; someone set 777 since */
	apply_add(&t, TWB, 64, 1024, "tw-buckets-headroom", "room");
	assert_int_equal(apply_execute(&t), -ESTALE);
	assert_contains(t.error, "is 777 now, not 64 as planned");
	assert_false(t.rec.changes[0].written);
	assert_string_equal(txn_result_names[t.rec.result], "failed");
	assert_int_equal(util_read_at(l->dir.fd,
				      "sys/net/ipv4/tcp_max_tw_buckets", 64,
				      &text, NULL),
			 0);
	assert_string_equal(text, "777\n");
	free(text);
	close(t.netfd);
	apply_free(&t);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, logdir_setup, logdir_teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			serialize_is_compact_ordered_with_null_first_prev),
		cmocka_unit_test(serialize_carries_the_previous_hash),
		cmocka_unit_test(serialize_escapes_newlines_and_non_ascii),
		T(append_chains_each_line_to_the_one_before),
		T(log_is_created_0640_in_a_0750_directory),
		T(reopening_the_log_continues_the_chain),
		T(last_hash_of_an_empty_log_is_empty),
		T(open_cuts_a_torn_last_line_and_continues_the_chain),
		T(open_refuses_a_whole_last_line_that_is_not_a_record),
		T(an_overlong_unterminated_tail_is_not_cut),
		T(last_record_sees_through_a_torn_tail),
		T(verify_passes_a_sound_log),
		T(verify_passes_an_empty_log),
		T(verify_accepts_a_first_line_continuing_a_rotated_log),
		T(verify_finds_an_edited_line_at_the_next_line),
		T(verify_finds_a_deleted_middle_line),
		T(verify_finds_an_intent_without_result),
		T(verify_finds_a_result_without_intent),
		T(verify_finds_a_second_result_for_one_intent),
		T(verify_finds_a_line_that_is_not_json),
		T(verify_finds_a_json_line_that_is_not_an_object),
		T(verify_finds_a_torn_last_line),
		T(verify_finds_a_record_without_run_or_phase),
		T(verify_of_a_missing_log_is_enoent),
		T(find_run_by_id_returns_its_result_record),
		T(find_run_by_unknown_id_is_enoent),
		T(find_run_finds_a_run_killed_halfway_by_its_intent),
		T(find_run_default_is_the_last_run_that_wrote),
		T(find_run_default_counts_watch_runs),
		T(find_run_default_skips_a_rolled_back_run),
		T(find_run_default_ignores_a_rollback_that_wrote_nothing),
		T(find_run_default_is_enoent_when_all_are_rolled_back),
		T(find_run_default_is_enoent_on_an_empty_log),
		T(find_run_in_a_missing_log_is_enoent),
		T(a_rotated_log_is_continued_and_verifies_across),
		T(a_record_longer_than_readers_take_is_refused),
		T(a_log_others_can_write_is_refused),
		cmocka_unit_test(changes_json_uses_the_documented_field_names),
		cmocka_unit_test(changes_json_of_no_changes_is_an_empty_array),
		cmocka_unit_test(run_ids_are_fresh_128_bit_hex),
		cmocka_unit_test(
			apply_writes_nothing_when_the_intent_cannot_be_logged),
		T(apply_does_not_overwrite_a_value_changed_since_planned),
	};
#undef T

	return cmocka_run_group_tests_name("audit", tests, NULL, NULL);
}
