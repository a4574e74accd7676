// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * whyload: small named services and clients on loopback for
 * tests/netns_why.sh, each showing one cause of TIME_WAIT.  The process
 * renames itself (prctl PR_SET_NAME, so its comm is --name) before it
 * opens any socket.  Bounded: at most 100,000 connections, and every role
 * ends itself after --seconds (default 120).  Run it only inside a
 * throwaway network namespace.  -a ADDRESS (IPv4) listens on and connects
 * to ADDRESS instead of 127.0.0.1 (a server across a veth pair, say).
 *
 *   whyload serve --name N -p PORT [--close-first]
 *       Listen on 127.0.0.1:PORT (-a: ADDRESS:PORT) and answer every line
 *       with "ok": with --close-first close each connection after its
 *       first answer (a server without keep-alive: TIME_WAIT stays here),
 *       else when the client has closed.  Prints "listening PORT", then
 *       serves until SIGTERM.
 *   whyload get --name N -p PORT -n COUNT
 *       COUNT requests, a connection each, reading until the server
 *       closes.  Prints "done COUNT".
 *   whyload pool --name N -p PORT -n COUNT
 *       One pooled connection kept open, then COUNT requests on a new
 *       connection each that it closes first (a client without a pool:
 *       TIME_WAIT stays here).  Prints "done COUNT", then holds the pooled
 *       connection until SIGTERM.
 *   whyload proxy --name N -p PORT -u UPSTREAM
 *       A server on PORT that, for each request, opens a new connection
 *       to UPSTREAM, closes it first, answers and closes the client's
 *       first (a proxy without keep-alive either way), with one pooled
 *       upstream connection kept open.  Prints "listening PORT".
 *
 * Exit 0, 1 when a connection failed, 64 for bad arguments.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_COUNT 100000
#define MAX_CONNS 1024

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

/* -a, 127.0.0.1 by default */
static struct in_addr address;

static struct sockaddr_in endpoint(unsigned port)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons((unsigned short)port),
		.sin_addr = address,
	};

	return sin;
}

static int listen_on(unsigned port)
{
	struct sockaddr_in sin = endpoint(port);
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    listen(fd, 512) < 0)
		die("whyload: listen");
	printf("listening %u\n", port);
	fflush(stdout);
	return fd;
}

static int connect_to(unsigned port)
{
	struct sockaddr_in sin = endpoint(port);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		die("whyload: connect");
	return fd;
}

static void send_all(int fd, const char *s)
{
	size_t n = strlen(s);

	if (write(fd, s, n) != (ssize_t)n)
		die("whyload: write");
}

/* Read one answer line ("ok\n"). */
static void read_line(int fd)
{
	char c;

	for (;;) {
		ssize_t n = read(fd, &c, 1);

		if (n <= 0)
			die("whyload: read answer");
		if (c == '\n')
			return;
	}
}

/* Read until the peer closes, then close. */
static void drain_close(int fd)
{
	char b[64];
	ssize_t n;

	while ((n = read(fd, b, sizeof(b))) > 0)
		;
	if (n < 0)
		die("whyload: read");
	if (close(fd) < 0)
		die("whyload: close");
}

/* One request on a new connection to port that this side closes first. */
static void request_close_first(unsigned port)
{
	int fd = connect_to(port);

	send_all(fd, "q\n");
	read_line(fd);
	/* the peer reads our FIN and closes: TIME_WAIT stays here */
	if (close(fd) < 0)
		die("whyload: close");
}

struct conn {
	int fd;
	int lines; /* answered */
};

/*
 * The server loop: every line is answered "ok"; close_first closes after
 * the first answer, else the connection closes when the client has.
 * proxy_port, when not 0, makes each answer wait for a request on a new
 * connection to it.
 */
static void serve(int lfd, int close_first, unsigned proxy_port)
{
	static struct pollfd pf[MAX_CONNS + 1];
	static struct conn c[MAX_CONNS + 1];
	int n = 1;

	pf[0] = (struct pollfd){ .fd = lfd, .events = POLLIN };
	while (!stop) {
		int r = poll(pf, (nfds_t)n, 200);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			die("whyload: poll");
		if ((pf[0].revents & POLLIN) && n <= MAX_CONNS) {
			int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

			if (fd < 0)
				die("whyload: accept");
			pf[n] = (struct pollfd){ .fd = fd, .events = POLLIN };
			c[n++] = (struct conn){ .fd = fd };
		}
		for (int i = 1; i < n; i++) {
			char b[64];
			ssize_t got;
			int done = 0;

			if (!(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			got = read(pf[i].fd, b, sizeof(b));
			if (got < 0)
				die("whyload: read request");
			if (got == 0) {
				done = 1; /* the client closed first */
			} else if (memchr(b, '\n', (size_t)got)) {
				if (proxy_port)
					request_close_first(proxy_port);
				send_all(pf[i].fd, "ok\n");
				c[i].lines++;
				done = close_first;
			}
			if (!done)
				continue;
			if (close(pf[i].fd) < 0)
				die("whyload: close");
			pf[i] = pf[n - 1];
			c[i] = c[n - 1];
			n--;
			i--;
		}
	}
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "name", required_argument, NULL, 'N' },
		{ "close-first", no_argument, NULL, 'c' },
		{ "seconds", required_argument, NULL, 's' },
		{ 0 },
	};
	struct sigaction act = { .sa_handler = on_signal };
	const char *role = argc > 1 ? argv[1] : "", *name = NULL;
	long count = 0, port = 0, upstream = 0, seconds = 120;
	int close_first = 0, opt;

	address.s_addr = htonl(INADDR_LOOPBACK);
	optind = 2;
	while ((opt = getopt_long(argc, argv, "a:n:p:u:", lo, NULL)) != -1) {
		switch (opt) {
		case 'N': name = optarg; break;
		case 'a':
			if (inet_pton(AF_INET, optarg, &address) != 1) {
				fprintf(stderr, "whyload: bad address %s\n",
					optarg);
				return 64;
			}
			break;
		case 'c': close_first = 1; break;
		case 'n': count = strtol(optarg, NULL, 10); break;
		case 'p': port = strtol(optarg, NULL, 10); break;
		case 'u': upstream = strtol(optarg, NULL, 10); break;
		case 's': seconds = strtol(optarg, NULL, 10); break;
		default: return 64;
		}
	}
	if (!name || port < 1 || port > 65535 || count < 0 ||
	    count > MAX_COUNT || upstream < 0 || upstream > 65535 ||
	    seconds < 1 || seconds > 600) {
		fprintf(stderr,
			"usage: whyload serve|get|pool|proxy --name NAME [-a ADDRESS] -p PORT [-n COUNT] [-u UPSTREAM] [--close-first] [--seconds S]\n");
		return 64;
	}
	/* the comm the report must show */
	if (prctl(PR_SET_NAME, name, 0, 0, 0) < 0)
		die("whyload: prctl");
	if (sigaction(SIGTERM, &act, NULL) < 0 ||
	    sigaction(SIGINT, &act, NULL) < 0)
		die("whyload: sigaction");
	signal(SIGALRM, SIG_DFL);
	alarm((unsigned)seconds); /* never outlive the test */
	if (!strcmp(role, "serve")) {
		serve(listen_on((unsigned)port), close_first, 0);
	} else if (!strcmp(role, "proxy") && upstream) {
		int pooled = connect_to((unsigned)upstream);

		send_all(pooled, "ping\n");
		read_line(pooled);
		serve(listen_on((unsigned)port), 1, (unsigned)upstream);
		close(pooled);
	} else if (!strcmp(role, "get")) {
		for (long i = 0; i < count; i++) {
			int fd = connect_to((unsigned)port);

			send_all(fd, "get\n");
			drain_close(fd);
		}
		printf("done %ld\n", count);
	} else if (!strcmp(role, "pool")) {
		int pooled = connect_to((unsigned)port);

		send_all(pooled, "ping\n");
		read_line(pooled);
		for (long i = 0; i < count; i++)
			request_close_first((unsigned)port);
		printf("done %ld\n", count);
		fflush(stdout);
		while (!stop)
			pause();
		close(pooled);
	} else {
		fprintf(stderr, "whyload: unknown role %s\n", role);
		return 64;
	}
	return fflush(stdout) == 0 ? 0 : 1;
}
