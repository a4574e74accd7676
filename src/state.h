/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The state file: the last observation's counters (the baseline for the
 * next run's deltas) and the value twtune last wrote for each key.
 */
#ifndef TWTUNE_STATE_H
#define TWTUNE_STATE_H

#include <stdbool.h>
#include <stddef.h>

#include "bounds.h"
#include "observe.h"

/* What twtune last wrote to a key, in one network namespace. */
struct state_written {
	unsigned long long netns;  /* its inode; 0: legacy, see state_adopt */
	unsigned long long cookie; /* its cookie, 0: unknown */
	char *key;
	long long value;
};

/*
 * A short history of counter samples.  The baseline for a run is the
 * newest sample at least a TIME_WAIT lifetime (60 s) old, else the oldest
 * one, so that a report followed by an apply a few seconds later agree on
 * the overflow count.  Samples taken under another tcp_max_tw_buckets
 * are not used: overflows under an old limit say nothing about the new.
 */
#define STATE_SAMPLES_PER_NETNS 16
#define STATE_HORIZON 60.0
#define STATE_MIN_GAP 5.0 /* seconds between samples worth keeping */

struct state {
	struct slab_cache slab;
	double last_apply; /* when twtune last changed a sysctl, 0: never */
	struct baseline *samples; /* per namespace oldest first */
	size_t n_samples;
	struct state_written *written;
	size_t n_written;
};

/* -ENOENT when there is no state yet; -EINVAL (with err) if malformed. */
int state_load(const char *path, struct state *s, char *err, size_t errlen);

/* Replace the state file atomically with s. */
int state_save(const char *path, const struct state *s, char *err,
	       size_t errlen);

/* The baseline for observation o, or false when no sample fits. */
bool state_pick_baseline(const struct state *s, const struct observation *o,
			 struct baseline *b);

/* Whether a sample comparable to b (same boot, namespace, limit) is less
 * than gap seconds older than b. */
bool state_has_recent(const struct state *s, const struct baseline *b,
		      double gap);

/*
 * Record a sample (see observe_to_baseline()): the samples of its
 * namespace that can never be a baseline again go, and so do those of
 * an earlier boot; each namespace keeps STATE_SAMPLES_PER_NETNS.
 */
void state_add_sample(struct state *s, const struct baseline *b);

/* Append a sample as it is (for loading and tests). */
void state_push_sample(struct state *s, const struct baseline *b);

/*
 * twtune's last write of key in the namespace of inode netns and cookie
 * (0: unknown).  Setting it replaces what an earlier namespace with the
 * same inode left (the kernel reuses the inodes of deleted namespaces).
 */
void state_set_written(struct state *s, unsigned long long netns,
		       unsigned long long cookie, const char *key,
		       long long value);
const struct state_written *state_get_written(const struct state *s,
					      unsigned long long netns,
					      unsigned long long cookie,
					      const char *key);

/*
 * Written values from a state file of an older twtune, which did not say
 * the namespace (netns 0), become netns's: the namespace of the run that
 * reads them, where they were most likely written.
 */
void state_adopt(struct state *s, unsigned long long netns);

/*
 * Forget the samples and written values of every namespace not in
 * keep[n] (namespaces that are gone; --all-netns knows them all).
 */
void state_keep_netns(struct state *s, const unsigned long long *keep,
		      size_t n);
/*
 * How long the overflows since baseline b took, when a --sample that
 * started at b watched them all and none came after it: that sample's
 * burst; else NAN.  (A report --sample 2, then an apply a little later:
 * the apply still knows it was a burst.)
 */
double state_burst(const struct state *s, const struct baseline *b,
		   const struct observation *o);

void state_free(struct state *s);

#endif
