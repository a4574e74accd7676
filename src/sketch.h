/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Bounded-memory counting for the socket-level metrics: how many distinct
 * keys (remote addresses, destinations) and which keys are the most
 * frequent, on a host that may hold a million sockets from a million
 * peers.  Memory is fixed when the sketch is made.
 *
 * Counting is exact while the number of distinct keys fits the table
 * (SKETCH_SLOTS * 3/4).  Past that, distinct keys come from a HyperLogLog
 * (4096 registers, about 1.6% standard error) and the frequent keys from
 * the Misra-Gries summary: when the table is full every count is lowered
 * by one and keys that reach zero are dropped.  A reported count is then
 * at most `error` below the true one, and every key holding more than
 * total / (capacity + 1) of the stream is still in the table.
 */
#ifndef TWTUNE_SKETCH_H
#define TWTUNE_SKETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SKETCH_KEY_MAX 40
#define SKETCH_SLOTS 16384 /* power of two */
#define SKETCH_HLL_BITS 12

struct sketch_entry {
	uint64_t count;
	uint64_t aux; /* a second count the caller keeps per key */
	uint32_t hash;
	uint8_t len; /* 0: free slot */
	unsigned char key[SKETCH_KEY_MAX];
};

struct sketch {
	struct sketch_entry *slots;
	size_t used;
	size_t capacity; /* keys kept before the summary starts to forget */
	uint64_t total;	 /* keys added */
	uint64_t error;	 /* how many decrement rounds happened */
	bool exact;	 /* nothing was ever dropped */
	struct sketch_entry *last; /* the entry of the previous add */
	uint64_t last_hash;
	uint8_t hll[1u << SKETCH_HLL_BITS];
};

int sketch_init(struct sketch *s);
void sketch_free(struct sketch *s);
/*
 * Count one more key.  Returns its entry (valid until the next add), or
 * NULL when the summary had to forget it.
 */
struct sketch_entry *sketch_add(struct sketch *s, const void *key, size_t len);

/* Distinct keys: exact while s->exact, else the HyperLogLog estimate. */
double sketch_distinct(const struct sketch *s);

/*
 * The n most frequent keys, largest first, into out (pointers into the
 * sketch, valid until the next sketch_add).  Returns how many.
 */
size_t sketch_top(const struct sketch *s, const struct sketch_entry **out,
		  size_t n);

/* The hash used for the table and the HyperLogLog (exposed for tests). */
uint64_t sketch_hash(const void *key, size_t len);

#endif
