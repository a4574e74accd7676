// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * twload: make real TCP sockets in known states on loopback, for the
 * tests and the benchmark.  Each connection is opened to a local listener
 * and closed by the side that should hold TIME_WAIT: the client by default
 * (outgoing: local port in the ephemeral range, like a busy HTTP client
 * or proxy), or the server with --incoming.  --hold N then opens N more
 * connections and keeps them, with the listeners, until it is signalled.
 * Bounded in count and time; run it only inside a throwaway network
 * namespace.
 *
 *   twload [-n COUNT] [-l LISTENERS] [-a ADDRESS] [-p FIRST_PORT]
 *          [-b CLIENT_ADDRESS] [--incoming] [--hold N]
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_COUNT 1000000
#define MAX_LISTENERS 64
#define MAX_HOLD 1000
#define TIME_LIMIT 300 /* seconds: never run away */

static socklen_t parse_addr(const char *s, unsigned port,
			    struct sockaddr_storage *ss)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, s, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons((unsigned short)port);
		return sizeof(*in);
	}
	if (inet_pton(AF_INET6, s, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((unsigned short)port);
		return sizeof(*in6);
	}
	fprintf(stderr, "twload: bad address %s\n", s);
	exit(64);
}

static int listener(const char *addr, unsigned port,
		    struct sockaddr_storage *sa, socklen_t *len)
{
	int one = 1, fd;

	*len = parse_addr(addr, port, sa);
	fd = socket(sa->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)sa, *len) < 0 || listen(fd, 128) < 0 ||
	    getsockname(fd, (struct sockaddr *)sa, len) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A connected client socket, optionally bound to a source address. */
static int client(const struct sockaddr_storage *to, socklen_t len,
		  const char *from)
{
	int fd = socket(to->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (from) {
		struct sockaddr_storage src;
		socklen_t sl = parse_addr(from, 0, &src);
		int one = 1;

		/*
		 * Let connect() pick the port, as without bind(): bind()
		 * picks ports at random and soon repeats one whose old
		 * connection the server still holds in TIME_WAIT, and the
		 * new SYN then takes that TIME_WAIT socket over.
		 */
		if (setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one,
			       sizeof(one)) < 0 ||
		    bind(fd, (struct sockaddr *)&src, sl) < 0) {
			close(fd);
			return -1;
		}
	}
	if (connect(fd, (const struct sockaddr *)to, len) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static void on_signal(int sig)
{
	(void)sig;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "incoming", no_argument, NULL, 'i' },
		{ "hold", required_argument, NULL, 'H' },
		{ 0 },
	};
	struct sockaddr_storage sa[MAX_LISTENERS];
	socklen_t sl[MAX_LISTENERS];
	int lfd[MAX_LISTENERS], held[2 * MAX_HOLD];
	long count = 1000, listeners = 1, made = 0, failed = 0, hold = 0;
	long first_port = 0;
	const char *addr = "127.0.0.1", *from = NULL;
	int incoming = 0, c;

	while ((c = getopt_long(argc, argv, "n:l:a:p:b:i", lo, NULL)) != -1) {
		switch (c) {
		case 'n': count = strtol(optarg, NULL, 10); break;
		case 'l': listeners = strtol(optarg, NULL, 10); break;
		case 'a': addr = optarg; break;
		case 'p': first_port = strtol(optarg, NULL, 10); break;
		case 'b': from = optarg; break;
		case 'i': incoming = 1; break;
		case 'H': hold = strtol(optarg, NULL, 10); break;
		default:
			fprintf(stderr,
				"usage: twload [-n COUNT] [-l LISTENERS] "
				"[-a ADDRESS] [-p PORT] [-b FROM] [--incoming] "
				"[--hold N]\n");
			return 64;
		}
	}
	if (count < 0 || count > MAX_COUNT || listeners < 1 ||
	    listeners > MAX_LISTENERS || hold < 0 || hold > MAX_HOLD ||
	    first_port < 0 || first_port + listeners > 65535) {
		fprintf(stderr, "twload: -n 0..%d, -l 1..%d, --hold 0..%d\n",
			MAX_COUNT, MAX_LISTENERS, MAX_HOLD);
		return 64;
	}
	alarm(TIME_LIMIT);
	for (long i = 0; i < listeners; i++) {
		lfd[i] = listener(addr,
				  first_port ? (unsigned)(first_port + i) : 0,
				  &sa[i], &sl[i]);
		if (lfd[i] < 0) {
			perror("twload: listen");
			return 1;
		}
	}
	for (long i = 0; i < count; i++) {
		long l = i % listeners;
		char b;
		int cfd, sfd;

		cfd = client(&sa[l], sl[l], from);
		if (cfd < 0) {
			/* e.g. EADDRNOTAVAIL: ephemeral ports exhausted */
			if (++failed > 100) {
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
		/* the side that closes first gets TIME_WAIT; reading the
		 * FIN before the second close makes the order certain */
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
	printf("twload: %ld connections closed by the %s, %ld failed\n", made,
	       incoming ? "server" : "client", failed);
	if (hold) {
		struct sigaction act = { .sa_handler = on_signal };

		for (long i = 0; i < hold; i++) {
			long l = i % listeners;

			held[2 * i] = client(&sa[l], sl[l], from);
			held[2 * i + 1] = held[2 * i] < 0
						  ? -1
						  : accept(lfd[l], NULL, NULL);
			if (held[2 * i] < 0 || held[2 * i + 1] < 0) {
				perror("twload: hold");
				return 1;
			}
		}
		sigaction(SIGTERM, &act, NULL);
		sigaction(SIGINT, &act, NULL);
		printf("twload: holding %ld connections\n", hold);
		fflush(stdout);
		pause(); /* until signalled, or the alarm ends us */
	}
	fflush(stdout);
	return made == count ? 0 : 1;
}
