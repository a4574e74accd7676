// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Writes the seed corpus of fuzz_sockdiag (binary netlink dumps in the
 * harness's input format, see fuzz_sockdiag.c) into the directory named
 * on the command line.  Not part of the build; the seeds are committed:
 *   cc -D_DEFAULT_SOURCE -o gen tests/fuzz/gen_sockdiag_seeds.c &&
 *   ./gen tests/fuzz/corpus/fuzz_sockdiag
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* One seed: header, then buffers of messages. */
struct seed {
	unsigned char data[65536];
	size_t len;
	size_t buf_start; /* where the open buffer's length goes */
};

static void put(struct seed *s, const void *p, size_t n)
{
	if (s->len + n > sizeof(s->data)) {
		fprintf(stderr, "seed too large\n");
		exit(1);
	}
	memcpy(s->data + s->len, p, n);
	s->len += n;
}

static void header(struct seed *s, unsigned lo, unsigned hi, unsigned cap,
		   unsigned flags)
{
	unsigned char h[8] = { lo & 0xff, lo >> 8, hi & 0xff, hi >> 8,
			       cap,	  flags,   0,	      0 };

	s->len = 0;
	put(s, h, sizeof(h));
}

static void begin_buffer(struct seed *s)
{
	unsigned char z[2] = { 0, 0 };

	s->buf_start = s->len;
	put(s, z, 2);
}

static void end_buffer(struct seed *s)
{
	size_t n = s->len - s->buf_start - 2;

	s->data[s->buf_start] = n & 0xff;
	s->data[s->buf_start + 1] = (n >> 8) & 0xff;
}

static void msg(struct seed *s, uint16_t type, uint16_t flags, uint32_t seq,
		const void *payload, size_t plen)
{
	struct nlmsghdr h = {
		.nlmsg_len = (uint32_t)NLMSG_LENGTH(plen),
		.nlmsg_type = type,
		.nlmsg_flags = flags,
		.nlmsg_seq = seq,
	};
	unsigned char pad[4] = { 0 };

	put(s, &h, sizeof(h));
	put(s, payload, plen);
	put(s, pad, NLMSG_SPACE(plen) - NLMSG_LENGTH(plen));
}

static void sock(struct seed *s, uint32_t seq, int family, int state,
		 const char *src, unsigned sport, const char *dst,
		 unsigned dport)
{
	struct inet_diag_msg m;

	memset(&m, 0, sizeof(m));
	m.idiag_family = (uint8_t)family;
	m.idiag_state = (uint8_t)state;
	m.id.idiag_sport = htons((uint16_t)sport);
	m.id.idiag_dport = htons((uint16_t)dport);
	if (inet_pton(family, src, m.id.idiag_src) != 1 ||
	    inet_pton(family, dst, m.id.idiag_dst) != 1) {
		fprintf(stderr, "bad address %s or %s\n", src, dst);
		exit(1);
	}
	msg(s, SOCK_DIAG_BY_FAMILY, NLM_F_MULTI, seq, &m, sizeof(m));
}

/* A socket with its owner: inode, uid and INET_DIAG_CGROUP_ID (5.7+). */
static void sock_owner(struct seed *s, uint32_t seq, int family, int state,
		       const char *src, unsigned sport, const char *dst,
		       unsigned dport, uint32_t inode, uint64_t cgroup)
{
	struct {
		struct inet_diag_msg m;
		struct {
			uint16_t len, type;
		} pad, a;
		uint64_t id;
	} x;

	memset(&x, 0, sizeof(x));
	x.m.idiag_family = (uint8_t)family;
	x.m.idiag_state = (uint8_t)state;
	x.m.idiag_inode = inode;
	x.m.id.idiag_sport = htons((uint16_t)sport);
	x.m.id.idiag_dport = htons((uint16_t)dport);
	if (inet_pton(family, src, x.m.id.idiag_src) != 1 ||
	    inet_pton(family, dst, x.m.id.idiag_dst) != 1) {
		fprintf(stderr, "bad address %s or %s\n", src, dst);
		exit(1);
	}
	x.pad.len = 4;
	x.pad.type = INET_DIAG_PAD;
	x.a.len = 12;
	x.a.type = INET_DIAG_CGROUP_ID;
	x.id = cgroup;
	msg(s, SOCK_DIAG_BY_FAMILY, NLM_F_MULTI, seq, &x, sizeof(x));
}

static void done(struct seed *s, uint32_t seq, int err)
{
	msg(s, NLMSG_DONE, NLM_F_MULTI, seq, &err, sizeof(err));
}

static void nl_error(struct seed *s, uint32_t seq, int err)
{
	struct nlmsgerr e;

	memset(&e, 0, sizeof(e));
	e.error = err;
	msg(s, NLMSG_ERROR, 0, seq, &e, sizeof(e));
}

static void save(const struct seed *s, const char *dir, const char *name)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(s->data, 1, s->len, f) != s->len || fclose(f)) {
		perror(path);
		exit(1);
	}
}

/* A small host: every state once, TIME_WAIT both ways. */
static void ipv4_states(struct seed *s, uint32_t seq)
{
	sock(s, seq, AF_INET, TCP_LISTEN, "0.0.0.0", 80, "0.0.0.0", 0);
	sock(s, seq, AF_INET, TCP_ESTABLISHED, "10.0.0.1", 80, "10.0.0.2",
	     50000);
	sock(s, seq, AF_INET, TCP_ESTABLISHED, "10.0.0.1", 40001, "10.0.0.9",
	     5432);
	sock(s, seq, AF_INET, TCP_SYN_SENT, "10.0.0.1", 40002, "10.0.0.9",
	     5432);
	sock(s, seq, AF_INET, TCP_SYN_RECV, "10.0.0.1", 80, "192.0.2.7", 51000);
	sock(s, seq, AF_INET, TCP_FIN_WAIT1, "10.0.0.1", 80, "10.0.0.3", 50001);
	sock(s, seq, AF_INET, TCP_FIN_WAIT2, "10.0.0.1", 80, "10.0.0.3", 50002);
	sock(s, seq, AF_INET, TCP_TIME_WAIT, "10.0.0.1", 40003, "10.0.0.9",
	     5432);
	sock(s, seq, AF_INET, TCP_TIME_WAIT, "10.0.0.1", 40004, "10.0.0.9",
	     5432);
	sock(s, seq, AF_INET, TCP_TIME_WAIT, "10.0.0.1", 80, "10.0.0.4", 50003);
	sock(s, seq, AF_INET, TCP_CLOSE, "10.0.0.1", 80, "10.0.0.5", 50004);
	sock(s, seq, AF_INET, TCP_CLOSE_WAIT, "10.0.0.1", 80, "10.0.0.5",
	     50005);
	sock(s, seq, AF_INET, TCP_LAST_ACK, "10.0.0.1", 80, "10.0.0.5", 50006);
	sock(s, seq, AF_INET, TCP_CLOSING, "10.0.0.1", 80, "10.0.0.5", 50007);
}

static void ipv6_states(struct seed *s, uint32_t seq)
{
	sock(s, seq, AF_INET6, TCP_LISTEN, "::", 443, "::", 0);
	sock(s, seq, AF_INET6, TCP_TIME_WAIT, "2001:db8::1", 443, "2001:db8::2",
	     50000);
	/* the same peer as 10.0.0.9 over IPv4 */
	sock(s, seq, AF_INET6, TCP_TIME_WAIT, "::ffff:10.0.0.1", 40005,
	     "::ffff:10.0.0.9", 5432);
	sock(s, seq, AF_INET6, TCP_SYN_RECV, "2001:db8::1", 443, "2001:db8::7",
	     50001);
}

int main(int argc, char **argv)
{
	static struct seed s;
	const char *dir;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	dir = argv[1];

	/* both families, one buffer each */
	header(&s, 40000, 60999, 0, 0);
	begin_buffer(&s);
	ipv4_states(&s, 1);
	done(&s, 1, 0);
	end_buffer(&s);
	begin_buffer(&s);
	ipv6_states(&s, 2);
	done(&s, 2, 0);
	end_buffer(&s);
	save(&s, dir, "both-families");

	/* then the dumps that find the causes' owners: the listeners of
	 * the incoming ports, the connections to the destinations */
	begin_buffer(&s);
	sock_owner(&s, 3, AF_INET, TCP_LISTEN, "0.0.0.0", 80, "0.0.0.0", 0,
		   1001, 4242);
	sock_owner(&s, 3, AF_INET6, TCP_LISTEN, "::", 443, "::", 0, 1002,
		   4243);
	done(&s, 3, 0);
	end_buffer(&s);
	begin_buffer(&s);
	sock_owner(&s, 4, AF_INET, TCP_ESTABLISHED, "10.0.0.1", 40001,
		   "10.0.0.9", 5432, 1003, 4244);
	done(&s, 4, 0);
	end_buffer(&s);
	save(&s, dir, "both-families-with-owners");

	/* the IPv4 dump over two buffers; no IPv6 on this kernel */
	header(&s, 32768, 60999, 0, 0);
	begin_buffer(&s);
	ipv4_states(&s, 1);
	end_buffer(&s);
	begin_buffer(&s);
	sock(&s, 1, AF_INET, TCP_TIME_WAIT, "10.0.0.1", 33000, "10.0.0.8", 443);
	done(&s, 1, 0);
	end_buffer(&s);
	begin_buffer(&s);
	nl_error(&s, 2, -ENOENT);
	end_buffer(&s);
	save(&s, dir, "split-buffers-no-ipv6");

	/* a small sketch capacity: the Misra-Gries summary takes over */
	header(&s, 1024, 65535, 4, 0);
	begin_buffer(&s);
	for (int i = 0; i < 40; i++) {
		char peer[32];

		snprintf(peer, sizeof(peer), "198.51.100.%d", i % 9);
		sock(&s, 1, AF_INET, i % 5 ? TCP_TIME_WAIT : TCP_SYN_RECV,
		     "10.0.0.1", 2000 + (unsigned)i, peer,
		     443 + (unsigned)(i % 3));
	}
	done(&s, 1, 0);
	end_buffer(&s);
	begin_buffer(&s);
	done(&s, 2, 0);
	end_buffer(&s);
	save(&s, dir, "small-sketch-capacity");

	/* refusals: an error reply, an error in DONE, an interrupted
	 * dump, a wrong sequence number, a truncated message, an unknown
	 * family and message type; unknown ephemeral range */
	header(&s, 40000, 60999, 0, 1);
	begin_buffer(&s);
	nl_error(&s, 1, -EPERM);
	end_buffer(&s);
	save(&s, dir, "error-reply");

	header(&s, 40000, 60999, 0, 0);
	begin_buffer(&s);
	ipv4_states(&s, 1);
	done(&s, 1, -EINVAL);
	end_buffer(&s);
	save(&s, dir, "done-with-error");

	header(&s, 40000, 60999, 0, 0);
	begin_buffer(&s);
	sock(&s, 1, AF_INET, TCP_TIME_WAIT, "10.0.0.1", 40003, "10.0.0.9",
	     5432);
	msg(&s, NLMSG_DONE, NLM_F_MULTI | NLM_F_DUMP_INTR, 1, "\0\0\0\0", 4);
	end_buffer(&s);
	save(&s, dir, "dump-interrupted");

	header(&s, 40000, 60999, 0, 0);
	begin_buffer(&s);
	ipv4_states(&s, 7);
	done(&s, 7, 0);
	end_buffer(&s);
	save(&s, dir, "wrong-sequence");

	header(&s, 40000, 60999, 0, 0);
	begin_buffer(&s);
	ipv4_states(&s, 1);
	end_buffer(&s);
	s.len -= 10;
	s.data[s.buf_start] = (unsigned char)(s.data[s.buf_start] - 10);
	save(&s, dir, "truncated-message");

	header(&s, 60999, 40000, 0, 0);
	begin_buffer(&s);
	sock(&s, 1, AF_INET, TCP_TIME_WAIT, "10.0.0.1", 40003, "10.0.0.9",
	     5432);
	msg(&s, 99, 0, 1, "\0\0\0\0", 4);
	end_buffer(&s);
	save(&s, dir, "unknown-type-inverted-range");
	return 0;
}
