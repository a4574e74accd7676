// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * twload: make real TIME_WAIT sockets on loopback, for the tests and the
 * benchmark.  Each connection is opened to a local listener and closed by
 * the side that should hold TIME_WAIT: the client by default (outgoing,
 * local port in the ephemeral range, like a busy HTTP client or proxy),
 * or the server with --incoming.  Bounded in count and time; run it only
 * inside a throwaway network namespace.
 *
 *   twload [-n COUNT] [-l LISTENERS] [-a ADDRESS] [--incoming]
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_COUNT 1000000
#define MAX_LISTENERS 64
#define TIME_LIMIT 300 /* seconds: never run away */

static int listener(const char *addr, struct sockaddr_in *sa)
{
	socklen_t len = sizeof(*sa);
	int one = 1, fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	if (inet_pton(AF_INET, addr, &sa->sin_addr) != 1) {
		fprintf(stderr, "twload: bad address %s\n", addr);
		exit(64);
	}
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)sa, sizeof(*sa)) < 0 ||
	    listen(fd, 128) < 0 ||
	    getsockname(fd, (struct sockaddr *)sa, &len) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "incoming", no_argument, NULL, 'i' },
		{ 0 },
	};
	struct sockaddr_in sa[MAX_LISTENERS];
	int lfd[MAX_LISTENERS];
	long count = 1000, listeners = 1, made = 0, failed = 0;
	const char *addr = "127.0.0.1";
	int incoming = 0, c;

	while ((c = getopt_long(argc, argv, "n:l:a:i", lo, NULL)) != -1) {
		switch (c) {
		case 'n': count = strtol(optarg, NULL, 10); break;
		case 'l': listeners = strtol(optarg, NULL, 10); break;
		case 'a': addr = optarg; break;
		case 'i': incoming = 1; break;
		default:
			fprintf(stderr, "usage: twload [-n COUNT] [-l LISTENERS]"
				" [-a ADDRESS] [--incoming]\n");
			return 64;
		}
	}
	if (count < 0 || count > MAX_COUNT || listeners < 1 ||
	    listeners > MAX_LISTENERS) {
		fprintf(stderr, "twload: -n 0..%d, -l 1..%d\n", MAX_COUNT,
			MAX_LISTENERS);
		return 64;
	}
	alarm(TIME_LIMIT);
	for (long i = 0; i < listeners; i++) {
		lfd[i] = listener(addr, &sa[i]);
		if (lfd[i] < 0) {
			perror("twload: listen");
			return 1;
		}
	}
	for (long i = 0; i < count; i++) {
		long l = i % listeners;
		char b;
		int cfd, sfd;

		cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (cfd < 0) {
			perror("twload: socket");
			return 1;
		}
		if (connect(cfd, (struct sockaddr *)&sa[l], sizeof(sa[l])) < 0) {
			/* e.g. EADDRNOTAVAIL: ephemeral ports exhausted */
			failed++;
			close(cfd);
			if (failed > 100) {
				fprintf(stderr, "twload: connect: %s\n",
					strerror(errno));
				break;
			}
			continue;
		}
		sfd = accept(lfd[l], NULL, NULL);
		if (sfd < 0) {
			perror("twload: accept");
			return 1;
		}
		/* the side that closes first gets TIME_WAIT */
		if (incoming) {
			close(sfd);
			while (read(cfd, &b, 1) > 0)
				;
			close(cfd);
		} else {
			close(cfd);
			while (read(sfd, &b, 1) > 0)
				;
			close(sfd);
		}
		made++;
	}
	for (long i = 0; i < listeners; i++)
		close(lfd[i]);
	printf("twload: %ld connections closed by the %s, %ld failed\n", made,
	       incoming ? "server" : "client", failed);
	return made == count ? 0 : 1;
}
