// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target for the sock_diag reader (sockdiag.c) and the counting
 * sketches under it (sketch.c), without a netlink socket.  The input is
 * an 8-byte header, then the receive buffers of a dump, each a 16-bit
 * little-endian length and that many bytes (the last one may be cut
 * short).  Header: ephemeral range low and high (16-bit little-endian),
 * the sketch capacity (0: the default; else that many keys, so that the
 * Misra-Gries summary is reached with small inputs), and flags (bit 0:
 * the ephemeral range is unknown to the observation).  The buffers are
 * consumed as sockdiag_collect() does: the IPv4 dump (sequence 1) until
 * it is done, then the IPv6 one (sequence 2); then, as the causes of
 * TIME_WAIT are looked into, a listeners' dump (sequence 3) and the
 * busiest destination's established one (sequence 4), and the diagnosis
 * of why.c.  Checked beyond memory safety: the counts add up, a failure
 * says why, the sketches' top keys are sorted and no more than what was
 * added, the causes are sorted and hold no more TIME_WAIT than there is,
 * their owners are bounded, and every share is a fraction.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzzutil.h"
#include "observe.h"
#include "sketch.h"
#include "sockdiag.h"
#include "util.h"
#include "why.h"

#define HEADER 8

struct reader {
	const uint8_t *p;
	size_t left;
};

/* The next receive buffer, in its own allocation as recv() fills one. */
static bool next_buffer(struct reader *r, void **buf, size_t *len)
{
	size_t n;

	if (r->left < 2)
		return false;
	n = (size_t)r->p[0] | (size_t)r->p[1] << 8;
	r->p += 2;
	r->left -= 2;
	if (n > r->left)
		n = r->left;
	*buf = xmalloc(n);
	if (n)
		memcpy(*buf, r->p, n);
	*len = n;
	r->p += n;
	r->left -= n;
	return true;
}

static int dump(struct sock_stats *st, struct reader *r, uint32_t seq)
{
	for (;;) {
		void *buf;
		size_t len;
		int ret;

		if (!next_buffer(r, &buf, &len)) {
			snprintf(st->error, sizeof(st->error),
				 "sock_diag: socket closed mid-dump");
			return -EPROTO;
		}
		ret = sockdiag_parse(st, buf, len, seq);
		free(buf);
		/* -errno with a message, as documented */
		if (ret < 0)
			fuzz_check(ret >= -4095 && st->error[0] != '\0');
		if (ret != 0)
			return ret < 0 ? ret : 0;
	}
}

static void check_sketch(const struct sketch *s)
{
	const struct sketch_entry *top[SOCK_TOP];
	size_t n = sketch_top(s, top, SOCK_TOP);
	double d = sketch_distinct(s);
	char text[64];

	fuzz_check(n <= s->used);
	fuzz_check(s->used <= s->capacity);
	fuzz_check(isfinite(d) && d >= 0);
	if (s->exact)
		fuzz_check(d == (double)s->used);
	for (size_t i = 0; i < n; i++) {
		fuzz_check(top[i]->count > 0 && top[i]->count <= s->total);
		fuzz_check(i == 0 || top[i - 1]->count >= top[i]->count);
		sockdiag_addr_text(top[i]->key, top[i]->len, text,
				   sizeof(text));
	}
}

/* The causes, and the dumps that find their owners, as after a dump. */
static void causes(struct sock_stats *st, struct reader *r)
{
	struct sock_dest d;
	uint64_t in = 0, out = 0;

	sockdiag_causes(st);
	fuzz_check(st->n_causes <= 2 * SOCK_CAUSES);
	for (size_t i = 0; i < st->n_causes; i++) {
		const struct sock_cause *c = &st->causes[i];

		fuzz_check(c->time_wait > 0 && c->port < 65536);
		*(c->outgoing ? &out : &in) += c->time_wait;
		if (i && c->outgoing == st->causes[i - 1].outgoing)
			fuzz_check(c->time_wait <= st->causes[i - 1].time_wait);
	}
	fuzz_check(in <= st->tw_incoming && out <= st->tw_outgoing);
	st->in_listen_dump = true;
	dump(st, r, 3);
	st->in_listen_dump = false;
	if (sockdiag_busiest(st, &d))
		st->peer_dest = &d;
	st->in_peer_dump = true;
	dump(st, r, 4);
	st->in_peer_dump = false;
	st->peer_dest = NULL;
	for (size_t i = 0; i < st->n_causes; i++) {
		const struct sock_cause *c = &st->causes[i];
		uint64_t owned = 0;

		fuzz_check(c->n_owners <= SOCK_OWNERS);
		for (size_t k = 0; k < c->n_owners; k++)
			owned += c->owners[k].sockets;
		fuzz_check(owned <= c->sockets);
	}
}

static void check_why(const struct sock_stats *st, struct observation *o)
{
	struct why w;

	o->tw_lifetime = 60;
	why_diagnose(st, o, false, &w);
	fuzz_check(w.n <= WHY_MAX);
	fuzz_check(w.known || w.unknown);
	for (size_t i = 0; i < w.n; i++) {
		fuzz_check(w.causes[i].share >= 0 && w.causes[i].share <= 1);
		fuzz_check(w.causes[i].advice[0] != '\0');
		fuzz_check(!i || w.causes[i].time_wait <=
					 w.causes[i - 1].time_wait);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reader r;
	struct sock_stats st;
	struct observation o;
	unsigned lo, hi;
	uint64_t states = 0;
	int ret;

	if (size < HEADER)
		return 0;
	r.p = data + HEADER;
	r.left = size - HEADER;
	lo = (unsigned)data[0] | (unsigned)data[1] << 8;
	hi = (unsigned)data[2] | (unsigned)data[3] << 8;
	fuzz_check(sockdiag_init(&st, lo, hi) == 0);
	if (data[4]) {
		st.tw_peers.capacity = data[4];
		st.dests.capacity = data[4];
		st.syn_peers.capacity = data[4];
	}

	ret = dump(&st, &r, 1);
	if (ret == 0) {
		ret = dump(&st, &r, 2);
		if (ret == -ENOENT) {
			ret = 0;
			st.error[0] = '\0';
		}
	}
	st.collected = ret == 0;

	for (size_t i = 0; i < SOCK_STATES; i++)
		states += st.states[i];
	fuzz_check(states <= st.sockets);
	fuzz_check(st.tw_outgoing + st.tw_incoming == st.states[6]);
	fuzz_check(st.tw_peers.total == st.states[6]);
	fuzz_check(st.syn_peers.total == st.states[3]);
	check_sketch(&st.tw_peers);
	check_sketch(&st.dests);
	check_sketch(&st.syn_peers);

	if (ret == 0)
		causes(&st, &r);

	memset(&o, 0, sizeof(o));
	for (int i = 0; i < METRIC_COUNT; i++)
		o.m[i] = NAN;
	if (!(data[5] & 1) && lo <= hi)
		o.m[M_EPHEMERAL_PORTS] = hi - lo + 1;
	sockdiag_fill(&st, &o);
	for (int i = M_FIRST_SOCKET; i < METRIC_COUNT; i++) {
		fuzz_check(!isinf(o.m[i]) && !(o.m[i] < 0));
		fuzz_check(!isnan(o.m[i]) || o.why[i] != NULL);
	}
	if (st.collected && st.states[6])
		fuzz_check(o.m[M_TW_TOP_PEER_SHARE] <= 1);

	check_why(&st, &o);
	observe_free(&o);
	sockdiag_free(&st);
	return 0;
}
