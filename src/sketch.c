// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Open-addressing hash table with linear probing, a Misra-Gries summary on
 * top of it for when it fills up, and a HyperLogLog for distinct counts.
 * Written here because Debian has no small C library for either; both are
 * textbook algorithms of a few dozen lines.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sketch.h"
#include "util.h"

int sketch_init(struct sketch *s)
{
	memset(s, 0, sizeof(*s));
	s->slots = calloc(SKETCH_SLOTS, sizeof(*s->slots));
	if (!s->slots)
		return -ENOMEM;
	s->capacity = SKETCH_SLOTS / 4 * 3;
	s->exact = true;
	return 0;
}

void sketch_free(struct sketch *s)
{
	free(s->slots);
	s->slots = NULL;
}

/*
 * Eight bytes at a time (keys are addresses, at most 40 bytes), each word
 * mixed in with a multiply and a rotation, then the splitmix64 finaliser
 * for avalanche: this runs once per socket, so it has to be cheap.
 */
uint64_t sketch_hash(const void *key, size_t len)
{
	const unsigned char *p = key;
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ len, w;

	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h = h << 31 | h >> 33;
	}
	if (len) {
		w = 0;
		memcpy(&w, p, len);
		h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
	}
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 31;
	return h;
}

static void hll_add(struct sketch *s, uint64_t h)
{
	unsigned idx = (unsigned)(h >> (64 - SKETCH_HLL_BITS));
	uint64_t rest = h << SKETCH_HLL_BITS;
	uint8_t rank = rest ? (uint8_t)(__builtin_clzll(rest) + 1)
			    : (uint8_t)(64 - SKETCH_HLL_BITS + 1);

	if (rank > s->hll[idx])
		s->hll[idx] = rank;
}

/* Rebuild the table without the keys whose count dropped to zero. */
static void decrement_all(struct sketch *s)
{
	struct sketch_entry *old = s->slots;

	/*
	 * While exact, the table holds every key seen, so the HyperLogLog
	 * can be filled from it now instead of on every add before.
	 */
	if (s->exact)
		for (size_t i = 0; i < SKETCH_SLOTS; i++)
			if (old[i].len)
				hll_add(s, sketch_hash(old[i].key, old[i].len));
	s->last = NULL;

	s->slots = calloc(SKETCH_SLOTS, sizeof(*s->slots));
	if (!s->slots)
		abort(); /* as xmalloc: small, bounded, and we hold `old` */
	s->used = 0;
	s->error++;
	s->exact = false;
	for (size_t i = 0; i < SKETCH_SLOTS; i++) {
		struct sketch_entry *e = &old[i];
		size_t j;

		if (!e->len || e->count <= 1)
			continue;
		for (j = e->hash & (SKETCH_SLOTS - 1); s->slots[j].len;
		     j = (j + 1) & (SKETCH_SLOTS - 1))
			;
		s->slots[j] = *e;
		s->slots[j].count--;
		s->used++;
	}
	free(old);
}

struct sketch_entry *sketch_add(struct sketch *s, const void *key, size_t len)
{
	uint64_t h64;
	uint32_t h;
	size_t i;

	if (len > SKETCH_KEY_MAX)
		len = SKETCH_KEY_MAX;
	s->total++;
	/* sockets of one peer or destination often come in runs */
	if (s->last && s->last->len == len &&
	    memcmp(s->last->key, key, len) == 0) {
		s->last->count++;
		if (!s->exact)
			hll_add(s, s->last_hash);
		return s->last;
	}
	h64 = sketch_hash(key, len);
	h = (uint32_t)h64;
	if (!s->exact)
		hll_add(s, h64);
	for (;;) {
		for (i = h & (SKETCH_SLOTS - 1); s->slots[i].len;
		     i = (i + 1) & (SKETCH_SLOTS - 1)) {
			struct sketch_entry *e = &s->slots[i];

			if (e->hash == h && e->len == len &&
			    memcmp(e->key, key, len) == 0) {
				e->count++;
				s->last = e;
				s->last_hash = h64;
				return e;
			}
		}
		if (s->used < s->capacity)
			break;
		/*
		 * Misra-Gries: a new key meets a full table, so every count
		 * (the new key's included) goes down by one.  The new key
		 * is then simply not inserted; it still counts as distinct.
		 */
		decrement_all(s);
		hll_add(s, h64);
		return NULL;
	}
	s->slots[i].len = (uint8_t)len;
	s->slots[i].hash = h;
	s->slots[i].count = 1;
	s->slots[i].aux = 0;
	memcpy(s->slots[i].key, key, len);
	s->used++;
	s->last = &s->slots[i];
	s->last_hash = h64;
	return s->last;
}

double sketch_distinct(const struct sketch *s)
{
	const double m = (double)(1u << SKETCH_HLL_BITS);
	double sum = 0, est;
	unsigned zeros = 0;

	if (s->exact)
		return (double)s->used;
	for (size_t i = 0; i < (1u << SKETCH_HLL_BITS); i++) {
		sum += ldexp(1.0, -(int)s->hll[i]);
		zeros += s->hll[i] == 0;
	}
	est = 0.7213 / (1 + 1.079 / m) * m * m / sum;
	/* small range: linear counting is better while registers are empty */
	if (est <= 2.5 * m && zeros)
		est = m * log(m / zeros);
	return round(est);
}

size_t sketch_top(const struct sketch *s, const struct sketch_entry **out,
		  size_t n)
{
	size_t got = 0;

	if (!n)
		return 0;
	/* n is small (a handful): insertion into a sorted short list */
	for (size_t i = 0; i < SKETCH_SLOTS; i++) {
		const struct sketch_entry *e = &s->slots[i];
		size_t k;

		if (!e->len)
			continue;
		if (got == n && e->count <= out[n - 1]->count)
			continue;
		k = got < n ? got++ : n - 1;
		while (k > 0 && out[k - 1]->count < e->count) {
			out[k] = out[k - 1];
			k--;
		}
		out[k] = e;
	}
	return got;
}
