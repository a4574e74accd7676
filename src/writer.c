// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Transaction set-up; see writer.h.
 */
#include "config.h"

#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "log.h"
#include "privs.h"
#include "recover.h"
#include "report.h"
#include "writer.h"

static json_t *str_or_null(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

json_t *writer_netns_json(const struct run *r)
{
	const struct netns_entry *e = r->ns;

	return json_pack("{s:I, s:o, s:o, s:o}", "inode",
			 (json_int_t)r->obs.netns, "name",
			 str_or_null(e ? e->name : r->o->netns), "container",
			 str_or_null(e ? e->id.container : NULL), "pod",
			 str_or_null(e ? e->id.pod : NULL));
}

/* The audit fields that describe the process and what it read. */
static json_t *base_fields(const struct run *r, const struct audit *a)
{
	char host[256] = "", *caps = privs_effective_text();
	json_t *files = json_array(), *skipped = json_array(), *base;
	const struct plan *pl = &r->plan;

	gethostname(host, sizeof(host) - 1);
	for (size_t i = 0; i < r->pol.n_files; i++)
		json_array_append_new(files,
				      json_pack("{s:s, s:s}", "file",
						r->pol.files[i].path, "sha256",
						r->pol.files[i].sha256));
	base = json_pack("{s:s, s:o, s:I, s:s, s:{s:s, s:s}, s:o, s:o, s:s}",
			 "host", host, "netns", writer_netns_json(r), "uid",
			 (json_int_t)getuid(), "caps", caps, "tool", "name",
			 PACKAGE_NAME, "version", PACKAGE_VERSION, "policy",
			 files, "observed", report_observations_json(&r->obs),
			 "sandbox", r->b.sandbox.text);
	free(caps);
	if (a->cut)
		json_object_set_new(base, "audit_cut_bytes",
				    json_integer((json_int_t)a->cut));
	for (size_t i = 0; i < pl->n_notes; i++)
		if (pl->notes[i].backoff)
			json_array_append_new(
				skipped,
				json_pack("{s:s, s:s, s:s}", "key",
					  pl->notes[i].rule->key, "rule",
					  pl->notes[i].rule->id, "reason",
					  pl->notes[i].text));
	json_object_set_new(base, "skipped", skipped);
	return base;
}

int writer_open_audit(struct run *r, struct audit *a)
{
	const struct options *o = r->o;
	char err[512];

	if (r->b.audit_dfd < 0 ||
	    audit_open(o->audit_log, a, err, sizeof(err)) < 0) {
		if (r->b.audit_dfd < 0)
			snprintf(err, sizeof(err), "audit log %s: %s",
				 o->audit_log, strerror(r->b.audit_err));
		log_err("%s; refusing to change anything unaudited", err);
		return EXIT_FAILED;
	}
	if (a->cut) {
		log_warn(
			"audit log %s: cut off %zu bytes of a record torn by a killed run",
			o->audit_log, a->cut);
		log_change(LOG_WARNING,
			   "audit log %s: cut off %zu bytes of a torn record",
			   o->audit_log, a->cut);
	}
	/* a cut no record has carried yet goes into the next one */
	a->cut += r->cut_pending;
	r->cut_pending = a->cut;
	return 0;
}

void writer_bind(struct run *r, struct txn *t, struct audit *a)
{
	t->netfd = r->b.netfd;
	t->view = r->view;
	/* the system log says in which namespace a change was made */
	t->label[0] = '\0';
	if (r->view && r->ns) {
		report_ns_prefix(r->ns, r->ns->ino, t->label, sizeof(t->label));
	}
	t->sysctl_dfd = r->b.persist_writable ? r->b.persist_dfd : -1;
	t->persist_name = r->o->persist_file;
	t->audit = a;
	t->base = base_fields(r, a);
}

bool writer_recover(struct run *r, struct txn *t, struct audit *a,
		    struct msgs *said)
{
	struct audit_record last;
	unsigned long long here = r->obs.netns ? r->obs.netns
					       : r->target.netns_ino;
	bool closed, other;

	if (!a->last || audit_record_decode(a->last, &last) < 0)
		return false;
	closed = last.intent;
	/*
	 * Another namespace's run (one of --all-netns's, or a run with
	 * --netns killed before this one): closed without reading its
	 * values here, where they mean nothing, and nothing of it is put
	 * into this namespace's persist file.
	 */
	other = r->view || (last.netns && here && last.netns != here);
	if (closed)
		recover_close(a, &last, other ? -1 : r->b.netfd,
			      !other && r->b.persist_writable ? r->b.persist_dfd
							      : -1,
			      r->o->persist_file, other ? NULL : t, said);
	audit_record_free(&last);
	return closed;
}

int writer_transact(struct run *r, struct txn *t, struct msgs *said, bool *ran)
{
	struct audit a = { .fd = -1 };
	int rc = writer_open_audit(r, &a);

	*ran = false;
	if (rc)
		return rc;
	writer_bind(r, t, &a);
	if (writer_recover(r, t, &a, said))
		r->cut_pending = 0; /* the closing record carries it */
	if (apply_persists(t) && t->sysctl_dfd < 0) {
		log_err("--sysctl-d %s: %s; refusing to change what could not be persisted",
			r->o->persist_dir,
			strerror(r->b.persist_err ? r->b.persist_err : EBADF));
		rc = EXIT_FAILED;
	} else if (t->rec.n_changes) {
		*ran = true;
		r->cut_pending = 0; /* the run's records carry it */
		if (apply_execute(t) < 0) {
			log_err("run %s: %s (result: %s)", t->rec.run, t->error,
				txn_result_names[t->rec.result]);
			rc = EXIT_FAILED;
		}
	}
	audit_close(&a);
	return rc;
}
