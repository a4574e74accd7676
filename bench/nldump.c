// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nldump: the floor for the benchmark.  The smallest useful program that
 * asks the kernel for the same NETLINK_SOCK_DIAG dump twtune makes (TCP,
 * IPv4 and IPv6, every state) and walks every message, counting them and
 * nothing else.  No aggregation, no output beyond the count.
 */
#include "config.h"

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static char buf[64 << 10];

static long dump(int fd, unsigned char family)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 req;
	} msg = {
		.nlh = { .nlmsg_len = sizeof(msg),
			 .nlmsg_type = SOCK_DIAG_BY_FAMILY,
			 .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
			 .nlmsg_seq = family },
		.req = { .sdiag_family = family,
			 .sdiag_protocol = IPPROTO_TCP,
			 .idiag_states = 0x1ffe },
	};
	long n = 0;

	if (send(fd, &msg, sizeof(msg), 0) != sizeof(msg))
		return -1;
	for (;;) {
		ssize_t len = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *h = (struct nlmsghdr *)buf;

		if (len <= 0)
			return -1;
		for (size_t left = (size_t)len; NLMSG_OK(h, left);
		     h = NLMSG_NEXT(h, left)) {
			if (h->nlmsg_type == NLMSG_DONE)
				return n;
			if (h->nlmsg_type == NLMSG_ERROR)
				return -1;
			n++;
		}
	}
}

int main(void)
{
	struct sockaddr_nl k = { .nl_family = AF_NETLINK };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	long v4, v6;

	if (fd < 0 || connect(fd, (struct sockaddr *)&k, sizeof(k)) < 0) {
		perror("nldump");
		return 1;
	}
	v4 = dump(fd, AF_INET);
	v6 = dump(fd, AF_INET6);
	if (v4 < 0 || v6 < 0) {
		fprintf(stderr, "nldump: dump failed\n");
		return 1;
	}
	printf("%ld\n", v4 + v6);
	return 0;
}
