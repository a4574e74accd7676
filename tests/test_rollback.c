// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Tests for the rollback decision (rollback.c), which needs no root: from
 * a recorded run, the live values and the persist file now, which keys go
 * back to what, live and in the file.  They protect: a written key goes
 * back to its before value and its persist entry to what the file held
 * (or away); a key someone changed since is left alone with a warning;
 * what is already undone is not undone twice; a run killed halfway is
 * undone in its live values only; an unreadable key is not touched.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <math.h>
#include <string.h>

#include "rollback.h"
#include "testutil.h"

#define TWB "net.ipv4.tcp_max_tw_buckets"
#define REUSE "net.ipv4.tcp_tw_reuse"

struct fixture {
	struct audit_record rec;
	struct observation obs;
	struct persist file;
	struct txn t;
	struct msgs warnings;
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	snprintf(f->rec.run, sizeof(f->rec.run), "%s", "r1");
	f->rec.mode = MODE_APPLY;
	f->rec.result = RESULT_OK;
	for (int i = 0; i < METRIC_COUNT; i++)
		f->obs.m[i] = NAN;
	assert_int_equal(apply_init(&f->t, MODE_ROLLBACK), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	audit_record_free(&f->rec);
	observe_free(&f->obs);
	persist_free(&f->file);
	apply_free(&f->t);
	msgs_free(&f->warnings);
	free(f);
	return 0;
}

/* A change the run recorded: before -> after, written and persisted
 * (persist_before < 0: the file did not hold the key). */
static struct change *recorded(struct fixture *f, const char *key,
			       long long before, long long after,
			       long long persist_before)
{
	struct change *c =
		audit_record_add(&f->rec, key, before, after, "rule-x", "why");

	c->written = c->verified = c->persisted = true;
	c->pop = PERSIST_SET;
	c->had_persist = persist_before >= 0;
	c->persist_before = persist_before >= 0 ? persist_before : 0;
	return c;
}

static void live(struct fixture *f, const char *key, const char *raw)
{
	observe_set_sysctl(&f->obs, key, raw);
}

static void decide(struct fixture *f, bool file_known)
{
	rollback_plan(&f->rec, &f->obs, file_known ? &f->file : NULL, &f->t,
		      &f->warnings);
}

static const struct change *planned(const struct fixture *f, size_t i)
{
	assert_true(i < f->t.rec.n_changes);
	return &f->t.rec.changes[i];
}

static void a_written_key_goes_back_live_and_in_the_file(void **state)
{
	struct fixture *f = *state;
	const struct change *c;

	recorded(f, TWB, 2000, 16384, 4096);
	live(f, TWB, "16384");
	persist_set(&f->file, TWB, 16384);
	decide(f, true);
	assert_int_equal(f->t.rec.n_changes, 1);
	c = planned(f, 0);
	assert_string_equal(c->key, TWB);
	assert_int_equal(c->before, 16384);
	assert_int_equal(c->after, 2000);
	assert_false(c->persist_only);
	assert_int_equal(c->pop, PERSIST_SET);
	assert_int_equal(c->pvalue, 4096);
	assert_string_equal(c->rule, "rule-x");
	assert_string_equal(c->reason, "rollback of run r1");
	assert_int_equal(f->warnings.n, 0);
}

static void a_key_the_file_did_not_hold_is_removed_from_it(void **state)
{
	struct fixture *f = *state;

	recorded(f, TWB, 2000, 16384, -1);
	live(f, TWB, "16384");
	persist_set(&f->file, TWB, 16384);
	decide(f, true);
	assert_int_equal(planned(f, 0)->pop, PERSIST_REMOVE);
}

/* Restoring a limit the TIME_WAIT held now would fill: said, still done. */
static void a_limit_the_table_would_fill_is_restored_with_a_warning(
	void **state)
{
	struct fixture *f = *state;

	recorded(f, TWB, 2000, 16384, -1);
	live(f, TWB, "16384");
	f->obs.m[M_TW_COUNT] = 1900; /* 95% of 2000 */
	decide(f, false);
	assert_int_equal(f->t.rec.n_changes, 1);
	assert_int_equal(planned(f, 0)->after, 2000);
	assert_int_equal(f->warnings.n, 1);
	assert_string_equal(
		f->warnings.v[0],
		TWB ": restoring 2000 buckets while 1900 TIME_WAIT sockets are "
		    "held: the table will be full, and the overflows the run "
		    "stopped will start again");
}

static void a_limit_with_room_left_is_restored_quietly(void **state)
{
	struct fixture *f = *state;

	recorded(f, TWB, 2000, 16384, -1);
	recorded(f, REUSE, 0, 1, -1);
	live(f, TWB, "16384");
	live(f, REUSE, "1");
	f->obs.m[M_TW_COUNT] = 1899;
	decide(f, false);
	assert_int_equal(f->t.rec.n_changes, 2);
	assert_int_equal(f->warnings.n, 0);
	/* nor with the count unknown */
	f->obs.m[M_TW_COUNT] = NAN;
	decide(f, false);
	assert_int_equal(f->warnings.n, 0);
}

static void a_key_the_run_did_not_write_is_left(void **state)
{
	struct fixture *f = *state;

	recorded(f, TWB, 2000, 16384, -1)->written = false;
	live(f, TWB, "2000");
	decide(f, true);
	assert_int_equal(f->t.rec.n_changes, 0);
}

static void a_key_changed_since_is_left_with_a_warning(void **state)
{
	struct fixture *f = *state;

	recorded(f, TWB, 2000, 16384, -1);
	recorded(f, REUSE, 0, 1, -1);
	live(f, TWB, "50000");
	live(f, REUSE, "1");
	decide(f, false);
	assert_int_equal(f->t.rec.n_changes, 1);
	assert_string_equal(planned(f, 0)->key, REUSE);
	assert_int_equal(f->warnings.n, 1);
	assert_string_equal(f->warnings.v[0],
			    TWB " is now 50000, not 16384 as run r1 left it: "
				"someone changed it since; not touched");
}

static void a_live_value_already_back_leaves_only_the_file(void **state)
{
	struct fixture *f = *state;
	const struct change *c;

	recorded(f, TWB, 2000, 16384, -1);
	live(f, TWB, "2000");
	persist_set(&f->file, TWB, 16384);
	decide(f, true);
	assert_int_equal(f->t.rec.n_changes, 1);
	c = planned(f, 0);
	assert_true(c->persist_only);
	assert_int_equal(c->pop, PERSIST_REMOVE);
}

static void nothing_left_when_value_and_file_are_back(void **state)
{
	struct fixture *f = *state;

	recorded(f, TWB, 2000, 16384, 4096);
	live(f, TWB, "2000");
	persist_set(&f->file, TWB, 4096);
	decide(f, true);
	assert_int_equal(f->t.rec.n_changes, 0);
	assert_int_equal(f->warnings.n, 0);
}

static void an_unreadable_file_is_undone_as_recorded(void **state)
{
	struct fixture *f = *state;
	const struct change *c;

	recorded(f, TWB, 2000, 16384, 4096);
	live(f, TWB, "2000");
	decide(f, false);
	assert_int_equal(f->t.rec.n_changes, 1);
	c = planned(f, 0);
	assert_true(c->persist_only);
	assert_int_equal(c->pvalue, 4096);
}

static void a_run_killed_halfway_is_undone_live_only(void **state)
{
	struct fixture *f = *state;
	struct change *rc;
	const struct change *c;

	f->rec.incomplete = true;
	rc = recorded(f, TWB, 2000, 16384, 4096);
	rc->written = rc->persisted = false; /* its intent says nothing */
	live(f, TWB, "16384");
	persist_set(&f->file, TWB, 16384);
	decide(f, true);
	assert_int_equal(f->t.rec.n_changes, 1);
	c = planned(f, 0);
	assert_int_equal(c->after, 2000);
	assert_int_equal(c->pop, PERSIST_NONE);
}

static void an_unreadable_key_is_not_touched(void **state)
{
	struct fixture *f = *state;

	recorded(f, TWB, 2000, 16384, -1);
	live(f, TWB, "not a number");
	recorded(f, REUSE, 0, 1, -1); /* not observed at all */
	decide(f, true);
	assert_int_equal(f->t.rec.n_changes, 0);
	assert_int_equal(f->warnings.n, 2);
	assert_string_equal(f->warnings.v[0],
			    TWB ": not readable now; not touched");
}

static void only_keys_of_the_table_in_their_range_are_restored(void **state)
{
	struct fixture *f = *state;

	recorded(f, "net.ipv4.ip_forward", 1, 0, -1);
	live(f, "net.ipv4.ip_forward", "0");
	recorded(f, REUSE, 7, 1, -1);
	live(f, REUSE, "1");
	recorded(f, TWB, -2147483649LL, 16384, -1);
	live(f, TWB, "16384");
	decide(f, true);
	assert_int_equal(f->t.rec.n_changes, 0);
	assert_int_equal(f->warnings.n, 3);
	assert_string_equal(f->warnings.v[0], "net.ipv4.ip_forward: not a key "
					      "twtune manages; not touched");
	assert_string_equal(f->warnings.v[1],
			    REUSE ": the recorded value 7 is outside what the "
				  "kernel accepts (0..2); not touched");
	assert_contains(f->warnings.v[2], "-2147483649 is outside");
}

static void tcp_tw_recycle_is_never_turned_on_again(void **state)
{
	struct fixture *f = *state;

	recorded(f, "net.ipv4.tcp_tw_recycle", 1, 0, -1);
	live(f, "net.ipv4.tcp_tw_recycle", "0");
	decide(f, true);
	assert_int_equal(f->t.rec.n_changes, 0);
	assert_int_equal(f->warnings.n, 1);
	assert_contains(f->warnings.v[0], "net.ipv4.tcp_tw_recycle stays 0");
}

/*
 * A forged record whose live values are fine but whose persist file
 * values are not: nothing of it is written, live or to the file (that
 * file is applied at the next boot).
 */
static void forged_persist_values_are_not_restored(void **state)
{
	struct fixture *f = *state;
	struct change *c;

	c = recorded(f, "net.ipv4.tcp_tw_recycle", 0, 0, -1);
	c->had_persist = true;
	c->persist_before = 1;
	live(f, "net.ipv4.tcp_tw_recycle", "0");
	persist_set(&f->file, "net.ipv4.tcp_tw_recycle", 0);
	c = recorded(f, TWB, 4096, 16384, -1);
	c->had_persist = true;
	c->persist_before = LLONG_MIN;
	live(f, TWB, "16384");
	decide(f, true);
	assert_int_equal(f->t.rec.n_changes, 0);
	assert_int_equal(f->warnings.n, 2);
	assert_contains(f->warnings.v[0], "net.ipv4.tcp_tw_recycle stays 0");
	assert_string_equal(f->warnings.v[1],
			    TWB ": the persist file's recorded value "
				"-9223372036854775808 is outside what the "
				"kernel accepts (-2147483648..2147483647); not "
				"touched");
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(a_written_key_goes_back_live_and_in_the_file),
		T(a_key_the_file_did_not_hold_is_removed_from_it),
		T(a_limit_the_table_would_fill_is_restored_with_a_warning),
		T(a_limit_with_room_left_is_restored_quietly),
		T(a_key_the_run_did_not_write_is_left),
		T(a_key_changed_since_is_left_with_a_warning),
		T(a_live_value_already_back_leaves_only_the_file),
		T(nothing_left_when_value_and_file_are_back),
		T(an_unreadable_file_is_undone_as_recorded),
		T(a_run_killed_halfway_is_undone_live_only),
		T(an_unreadable_key_is_not_touched),
		T(only_keys_of_the_table_in_their_range_are_restored),
		T(tcp_tw_recycle_is_never_turned_on_again),
		T(forged_persist_values_are_not_restored),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
