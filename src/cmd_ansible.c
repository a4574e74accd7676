// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * twtune ansible ARGS_FILE: run apply (in check mode, a dry run) as an
 * Ansible module.  The arguments file is JSON: the task's arguments (the
 * long options, by the same names with '_') and Ansible's own
 * "_ansible_*" keys.  Whatever happens, standard output is one JSON
 * object with changed, failed and msg, and the messages twtune would
 * print on standard error become its msg or warnings.  The arguments are
 * the invocation itself, like a command line: they are read before the
 * privilege boundary, which they tell where it is.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bounds.h"
#include "allns.h"
#include "commands.h"
#include "log.h"
#include "persist.h"
#include "run.h"

struct module {
	bool check, diff;
	char *persist_before; /* the persist file's text before the run */
};

static void print_json(json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);

	if (s) {
		util_write_all(STDOUT_FILENO, s, strlen(s));
		util_write_all(STDOUT_FILENO, "\n", 1);
	}
	free(s);
	json_decref(j);
}

static void fail(const char *msg, int rc)
{
	print_json(json_pack("{s:b, s:b, s:s, s:i}", "changed", false, "failed",
			     true, "msg", msg, "rc", rc));
}

/* The persist file's text as it is now, or "" (none, or unreadable). */
static char *persist_text(const struct run *r)
{
	char *text = NULL;

	if (r->b.persist_dfd < 0 ||
	    persist_read(r->b.persist_dfd, r->o->persist_file, &text) < 0)
		text = NULL;
	return text ? text : xstrdup("");
}

/* The persist file as this run leaves it (or, in check mode, would). */
static char *persist_after(const struct run *r, const struct module *m)
{
	struct persist p = { 0 };
	char perr[160], *text;

	if (r->txn_used)
		return persist_text(r);
	if (persist_parse(m->persist_before, &p, perr, sizeof(perr)) < 0)
		return xstrdup(m->persist_before);
	for (size_t i = 0; i < r->plan.n_changes; i++)
		if (r->plan.changes[i].persist && !r->o->no_persist &&
		    !r->no_persist)
			persist_set(&p, r->plan.changes[i].key,
				    r->plan.changes[i].to);
	text = p.n ? persist_render(&p, "(check mode)")
		   : xstrdup(m->persist_before);
	persist_free(&p);
	return text;
}

/* The diff Ansible shows with --diff: the sysctls, and the file. */
static json_t *diff(const struct run *r, const struct module *m)
{
	struct strbuf before = { 0 }, after = { 0 };
	char *path = xasprintf("%s/%s", r->o->persist_dir, r->o->persist_file);
	char *pafter = persist_after(r, m);
	json_t *j;

	strbuf_add(&before, "", 0);
	strbuf_add(&after, "", 0);
	for (size_t i = 0; i < r->plan.n_changes; i++) {
		const struct plan_change *c = &r->plan.changes[i];
		strbuf_addf(&before, "%s = %lld\n", c->key, c->from);
		strbuf_addf(&after, "%s = %lld\n", c->key, c->to);
	}
	j = json_pack("[{s:s, s:s, s:s, s:s}, {s:s, s:s, s:s, s:s}]",
		      "before_header", "sysctls", "after_header", "sysctls",
		      "before", before.s, "after", after.s, "before_header",
		      path, "after_header", path, "before", m->persist_before,
		      "after", pafter);
	strbuf_free(&before);
	strbuf_free(&after);
	free(pafter);
	free(path);
	return j;
}

/*
 * The module's result: changed, failed, msg, diff (with --diff), plan,
 * warnings, and the run id when something was written.
 */
static json_t *result(const struct run *r, const struct module *m)
{
	const struct plan *pl = &r->plan;
	const struct txn *t = r->txn_used ? &r->txn : NULL;
	json_t *out = json_object(), *plan = json_array(), *warn = json_array();
	char *line = report_verdict_line(&r->obs, pl);
	struct strbuf msg = { 0 };
	bool changed = t ? apply_changed(t) : pl->n_changes > 0;

	strbuf_addf(&msg, "%s", line);
	free(line);
	if (t) {
		strbuf_addf(&msg, "; run %s: %s", t->rec.run,
			    txn_result_names[t->rec.result]);
		if (t->error[0])
			strbuf_addf(&msg, ": %s", t->error);
	} else if (!changed) {
		strbuf_addf(&msg, "; nothing to change");
	}
	for (size_t i = 0; i < pl->n_changes; i++) {
		const struct plan_change *c = &pl->changes[i];
		char from[32];

		snprintf(from, sizeof(from), "%lld", c->from);
		json_array_append_new(
			plan,
			json_pack("{s:s, s:s, s:I, s:s, s:s}", "key", c->key,
				  "from", from, "to", (json_int_t)c->to, "rule",
				  c->rule->id, "reason", c->reason));
	}
	for (size_t i = 0; i < r->warnings.n; i++)
		json_array_append_new(warn, json_string(r->warnings.v[i]));
	for (size_t i = 0; i < r->obs.warnings.n; i++)
		json_array_append_new(warn, json_string(r->obs.warnings.v[i]));
	for (size_t i = 0; i < pl->n_notes; i++)
		json_array_append_new(warn, json_sprintf("%s: %s",
							 pl->notes[i].rule->id,
							 pl->notes[i].text));
	json_object_set_new(out, "changed", json_boolean(changed));
	json_object_set_new(out, "failed",
			    json_boolean(t && t->rec.result != RESULT_OK));
	json_object_set_new(out, "msg", json_string(msg.s));
	json_object_set_new(out, "plan", plan);
	json_object_set_new(out, "warnings", warn);
	if (t)
		json_object_set_new(out, "run", json_string(t->rec.run));
	if (m->diff)
		json_object_set_new(out, "diff", diff(r, m));
	strbuf_free(&msg);
	return out;
}

/* The module's answer under all_netns: every namespace's plan and run. */
static json_t *result_all(const struct allns *a)
{
	json_t *out = json_object(), *plan = json_array(), *warn = json_array();
	struct strbuf msg = { 0 };
	bool changed = false, failed = false;
	size_t trouble = 0;

	for (size_t i = 0; i < a->n; i++) {
		const struct nsrun *x = &a->v[i];
		const struct txn *t = x->r.txn_used ? &x->r.txn : NULL;
		char label[128];

		report_ns_label(&x->e, x->e.ino, label, sizeof(label));
		if (!x->ok) {
			json_array_append_new(warn,
					      json_sprintf("%s: %s", label,
							   x->r.error));
			continue;
		}
		changed |= t ? apply_changed(t) : x->r.plan.n_changes > 0;
		failed |= t && t->rec.result != RESULT_OK;
		trouble += report_status(&x->r.obs, &x->r.plan) != VERDICT_OK;
		for (size_t k = 0; k < x->r.plan.n_changes; k++) {
			const struct plan_change *c = &x->r.plan.changes[k];

			json_array_append_new(
				plan,
				json_pack("{s:s, s:I, s:s, s:I, s:I, s:s, s:s}",
					  "netns", label, "netns_inode",
					  (json_int_t)x->e.ino, "key", c->key,
					  "from", (json_int_t)c->from, "to",
					  (json_int_t)c->to, "rule",
					  c->rule->id, "reason", c->reason));
		}
		for (size_t k = 0; k < x->r.warnings.n; k++)
			json_array_append_new(warn,
					      json_sprintf("%s: %s", label,
							   x->r.warnings.v[k]));
	}
	strbuf_addf(&msg, "%zu network namespaces, %zu needing attention%s",
		    a->n, trouble,
		    changed ? "; changed" : "; nothing to change");
	json_object_set_new(out, "changed", json_boolean(changed));
	json_object_set_new(out, "failed", json_boolean(failed));
	json_object_set_new(out, "msg", json_string(msg.s));
	json_object_set_new(out, "plan", plan);
	json_object_set_new(out, "warnings", warn);
	strbuf_free(&msg);
	return out;
}

/* The arguments file into o, and Ansible's own keys into m. */
static int read_args(const char *path, struct options *o, struct module *m,
		     char *err, size_t errlen)
{
	json_error_t je;
	json_t *args = json_load_file(path, 0, &je), *v;
	int ret = -1;

	if (!json_is_object(args)) {
		snprintf(err, errlen, "%s: %s", path,
			 args ? "not a JSON object" : je.text);
		goto out;
	}
	v = json_object_get(args, "_ansible_check_mode");
	if (v && options_ansible_bool(v, &m->check) < 0) {
		snprintf(err, errlen, "parameter %s has the wrong type",
			 "_ansible_check_mode");
		goto out;
	}
	v = json_object_get(args, "_ansible_diff");
	if (v && options_ansible_bool(v, &m->diff) < 0) {
		snprintf(err, errlen, "parameter %s has the wrong type",
			 "_ansible_diff");
		goto out;
	}
	ret = options_from_ansible(args, o, err, errlen);
out:
	json_decref(args);
	return ret;
}

int cmd_ansible(const struct options *base, int argc, char **argv)
{
	struct module m = { 0 };
	struct options o;
	struct run r;
	char err[512], *captured;
	int rc;

	(void)argc;
	options_copy(&o, base);
	if (read_args(argv[0], &o, &m, err, sizeof(err)) < 0) {
		fail(err, EX_USAGE);
		options_free(&o);
		return 0;
	}
	o.dry_run = m.check;
	o.format = FORMAT_JSON;
	/* everything the run would say on stderr goes into msg instead */
	log_capture();
	rc = run_start(&r, &o, "apply", m.check ? ROLE_READER : ROLE_WRITER);
	if (o.all_netns) {
		struct allns a = { 0 };

		if (!rc)
			rc = boundary_permitted(&r.b);
		if (!rc)
			rc = apply_all_run(&r, &a);
		captured = log_captured();
		if (rc != 0 && rc != EXIT_CHANGES && rc != EXIT_ATTENTION &&
		    !a.n)
			fail(*captured ? captured : "twtune failed", rc);
		else
			print_json(result_all(&a));
		free(captured);
		allns_free(&a);
		run_free(&r);
		options_free(&o);
		return 0;
	}
	/* the file as it was before: read past the boundary, like all input */
	m.persist_before = persist_text(&r);
	if (!rc)
		rc = apply_run(&r);
	if (r.observed)
		run_save_state(&r, r.txn_used ? &r.txn : NULL);
	captured = log_captured();
	if (rc != 0 && rc != EXIT_CHANGES && rc != EXIT_ATTENTION &&
	    !r.txn_used)
		fail(*captured ? captured : "twtune failed", rc);
	else
		print_json(result(&r, &m));
	free(captured);
	free(m.persist_before);
	run_free(&r);
	options_free(&o);
	/* Ansible reads "failed" from the JSON */
	return 0;
}
