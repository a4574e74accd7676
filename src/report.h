/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What twtune tells people and programs: the verdict line, the numbers,
 * the plan with reasons, advice, undecided rules and warnings, as text or
 * as JSON.  Also the JSON pieces the audit log reuses.
 */
#ifndef TWTUNE_REPORT_H
#define TWTUNE_REPORT_H

#include <jansson.h>
#include <stdio.h>

#include "apply.h"
#include "netns.h"
#include "observe.h"
#include "plan.h"
#include "policy.h"
#include "shadow.h"
#include "sockdiag.h"

enum verdict {
	VERDICT_OK,	     /* not overflowing */
	VERDICT_OVERFLOWING, /* overflows since the baseline */
	VERDICT_FULL,	     /* full table, no baseline to count overflows */
	VERDICT_ATTENTION,   /* the table is fine, but critical advice fired */
};

extern const char *const verdict_names[];

struct report {
	const char *command; /* "report", "apply", "rollback" */
	const struct observation *obs;
	const struct plan *plan;
	const struct policy *policy;
	const struct msgs *warnings;
	const char *netns;     /* as given with --netns, or NULL */
	const char *sandbox;   /* what confines this process, "" if unknown */
	const struct txn *txn; /* what apply/rollback did, or NULL */
	const struct sock_stats *socks; /* the socket dump, or NULL */
	const struct shadows *shadows;	/* the shadowing check, or NULL */
	double last_apply; /* time of the last run that changed something */
	const struct netns_entry *ns; /* under --all-netns: its identity */
	const char *error; /* --all-netns: why it was not read (obs NULL) */
	const char *next;  /* the apply command line to suggest, or NULL */
	bool dry_run;
};

/* The table's verdict (never VERDICT_ATTENTION). */
enum verdict report_verdict(const struct observation *o);

/* The host's: the table's, or attention when critical advice fired. */
enum verdict report_status(const struct observation *o, const struct plan *pl);
/*
 * One line saying whether the host is overflowing, and by how much; it
 * starts "ATTENTION:" with the rules' ids when critical advice fired on a
 * table that is fine.
 */
char *report_verdict_line(const struct observation *o, const struct plan *pl);

json_t *report_observations_json(const struct observation *o);
json_t *report_json(const struct report *r);
void report_text(FILE *f, const struct report *r, bool verbose);

/* -q: the verdict line, and what apply changed. */
void report_quiet(FILE *f, const struct report *r);

/* node_exporter textfile metrics. */
void report_prometheus(FILE *f, const struct report *r);

/* A namespace's name for people: its pod, container, ip netns name,
 * unit, a process in it, or its inode. */
void report_ns_label(const struct netns_entry *e, unsigned long long ino,
		     char *buf, size_t len);
/* The same followed by ": ", to start a log line with (len > 2). */
void report_ns_prefix(const struct netns_entry *e, unsigned long long ino,
		      char *buf, size_t len);

/*
 * --all-netns: the whole report of every namespace (inos[i] is reps[i]'s
 * inode) with its identity, the worst verdict on top; the text is a
 * table, worst first, then the report of each that needs attention.
 */
json_t *report_all_json(const struct report *reps,
			const unsigned long long *inos, size_t n,
			const struct msgs *warnings);
void report_all_text(FILE *f, const struct report *reps,
		     const unsigned long long *inos, size_t n,
		     const struct msgs *warnings, bool verbose);

/* --all-netns: every metric once, a sample per namespace, labelled with
 * netns, container and pod. */
void report_all_prometheus(FILE *f, const struct report *reps, size_t n);

/*
 * What a Salt cmd.run state with stateful: True reads: one object with
 * "changed" (changes made, or with a dry run proposed) and "comment".
 */
json_t *report_salt_json(const struct report *r);

#endif
