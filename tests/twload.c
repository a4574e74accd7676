// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * twload: make real TCP sockets in known states on loopback, for the
 * tests and the benchmark.  Each connection is opened to a local listener
 * and closed by the side that should hold TIME_WAIT: the client by default
 * (outgoing: local port in the ephemeral range, like a busy HTTP client
 * or proxy), or the server with --incoming.  -n COUNT makes COUNT
 * connections as fast as it can; --rate R --seconds T instead opens R a
 * second, evenly spaced, for T seconds (or until SIGTERM/SIGINT), and a
 * connect that fails is counted by its errno rather than ending the run.
 * With -l 1 (the default) every connection goes to one (address, port).
 * --hold N then opens N more connections and keeps them, with the
 * listeners, until it is signalled; --keep N opens N before the load and
 * keeps them open while it runs (a client with pooled connections to the
 * same destination, as sock_diag sees them).  With --remote there is no local
 * listener: something else listens on ADDRESS:FIRST_PORT (..+LISTENERS-1),
 * in another network namespace say, and twload only connects, sends its
 * FIN first and reads the peer's (which puts the connection in TIME_WAIT
 * here) before it closes; a peer that does not close within 10 s breaks
 * the load.  Bounded in count and time; run it only inside a throwaway
 * network namespace.
 *
 *   twload [-n COUNT | --rate R --seconds T] [-l LISTENERS] [-a ADDRESS]
 *          [-p FIRST_PORT] [-b CLIENT_ADDRESS] [--incoming] [--hold N]
 *          [--keep N]
 *   twload --remote -a ADDRESS -p PORT [-n COUNT | --rate R --seconds T]
 *          [-l PORTS] [-b CLIENT_ADDRESS]
 *
 * The last line on stdout (before --hold's) is for tests to parse:
 *   connections=N ok=N eaddrnotavail=N other_errors=N seconds=S max_lag_ms=L
 * Exit 0, even when connects failed in --rate mode; 1 when the load could
 * not be made (no listener, a failed accept, -n with failed connects, or
 * --rate falling far behind its schedule); 64 for bad arguments.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define MAX_COUNT 1000000
#define MAX_LISTENERS 64
#define MAX_HOLD 1000
#define MAX_RATE 100000
#define TIME_LIMIT 300 /* seconds: never run away */
#define MAX_LAG_S 10   /* --rate gives up this far behind its schedule */
/* --seconds leaves the alarm room for the lag and --hold */
#define MAX_SECONDS (TIME_LIMIT - 2 * MAX_LAG_S)
#define ERRNO_SLOTS 256
#define REMOTE_TIMEOUT_S 10 /* --remote: for the peer's FIN */
#define NSEC 1000000000LL

struct load_stats {
	long attempts;
	long ok;
	long by_errno[ERRNO_SLOTS]; /* failed connects; the last slot: others */
	int64_t max_lag_ns;
	int64_t elapsed_ns;
};

struct target {
	struct sockaddr_storage sa[MAX_LISTENERS];
	socklen_t sl[MAX_LISTENERS];
	int lfd[MAX_LISTENERS];
	long listeners;
	const char *from;
	int incoming;
	int remote; /* no listeners here: connect to sa and close first */
};

static volatile sig_atomic_t stop_requested;

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

/* A whole decimal number in [min, max], or exit 64 naming the option. */
static long parse_num(const char *opt, const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max) {
		fprintf(stderr,
			"twload: %s %s: want a whole number from %ld to %ld\n",
			opt, s, min, max);
		exit(64);
	}
	return v;
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
			int e = errno;

			close(fd);
			errno = e;
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

/* Read until the peer's FIN, then close: 0 or -errno. */
static int drain_close(int fd)
{
	char b;
	ssize_t n;
	int ret = 0;

	while ((n = read(fd, &b, 1)) > 0)
		;
	if (n < 0)
		ret = -errno;
	if (close(fd) < 0 && !ret)
		ret = -errno;
	return ret;
}

/*
 * --remote: one connection to sa[l] that this side closes first.  The
 * peer's FIN, read before close(), puts it in TIME_WAIT here (or, when
 * the table is full, closes it without one), so it is done when this
 * returns.  Returns as connection() does.
 */
static int remote_connection(const struct target *t, long l, int *err)
{
	struct timeval tv = { .tv_sec = REMOTE_TIMEOUT_S };
	int fd, e;

	*err = 0;
	fd = client(&t->sa[l], t->sl[l], t->from);
	if (fd < 0) {
		*err = errno ? errno : EIO;
		return 0;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    shutdown(fd, SHUT_WR) < 0) {
		e = errno;
		close(fd);
		return -e;
	}
	return drain_close(fd);
}

/*
 * One connection to listener l, closed so that the chosen side holds
 * TIME_WAIT.  Returns 0 with *err 0 when made, 0 with *err set to the
 * errno of a failed socket/bind/connect (the load goes on), or -errno
 * when the load itself is broken (accept, read or close failed).
 */
static int connection(const struct target *t, long l, int *err)
{
	int cfd, sfd, first, second;

	if (t->remote)
		return remote_connection(t, l, err);
	*err = 0;
	cfd = client(&t->sa[l], t->sl[l], t->from);
	if (cfd < 0) {
		*err = errno ? errno : EIO;
		return 0;
	}
	sfd = accept(t->lfd[l], NULL, NULL);
	if (sfd < 0) {
		int e = errno;

		close(cfd);
		return -e;
	}
	/* the side that closes first gets TIME_WAIT; reading the FIN before
	 * the second close makes the order certain */
	first = t->incoming ? sfd : cfd;
	second = t->incoming ? cfd : sfd;
	if (close(first) < 0) {
		int e = errno;

		close(second);
		return -e;
	}
	return drain_close(second);
}

static void count_failure(struct load_stats *st, int err)
{
	st->by_errno[err > 0 && err < ERRNO_SLOTS - 1 ? err : ERRNO_SLOTS - 1]++;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0) {
		perror("twload: clock_gettime");
		exit(1);
	}
	return (int64_t)ts.tv_sec * NSEC + ts.tv_nsec;
}

/* -n: COUNT connections back to back; gives up after 100 failures. */
static int run_count(const struct target *t, long count, struct load_stats *st)
{
	long failed = 0;
	int64_t start = now_ns();

	for (long i = 0; i < count; i++) {
		int err, r;

		st->attempts++;
		r = connection(t, i % t->listeners, &err);
		if (r < 0) {
			fprintf(stderr, "twload: accept, read or close: %s\n",
				strerror(-r));
			return r;
		}
		if (err) {
			/* e.g. EADDRNOTAVAIL: ephemeral ports exhausted */
			count_failure(st, err);
			if (++failed > 100) {
				fprintf(stderr, "twload: connect: %s\n",
					strerror(err));
				break;
			}
			continue;
		}
		st->ok++;
	}
	st->elapsed_ns = now_ns() - start;
	return 0;
}

/*
 * --rate: connection i starts at start + i / rate, on an absolute
 * schedule so that the time a connection takes does not add up into
 * drift; one that starts late is counted in max_lag.  A connect that
 * fails is counted and the schedule goes on.  -ETIME when the schedule
 * slipped more than MAX_LAG_S behind (the load asked for was not made).
 */
static int run_rate(const struct target *t, long rate, long seconds,
		    struct load_stats *st)
{
	long total = rate * seconds;
	int64_t start = now_ns(), lag;
	int ret = 0;

	for (long i = 0; i < total && !stop_requested; i++) {
		int64_t due = start + (int64_t)i * NSEC / rate;
		struct timespec ts = { .tv_sec = due / NSEC,
				       .tv_nsec = due % NSEC };
		int err, r;

		r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
		if (r == EINTR)
			continue; /* the loop condition sees the signal */
		if (r) {
			fprintf(stderr, "twload: clock_nanosleep: %s\n",
				strerror(r));
			ret = -r;
			break;
		}
		lag = now_ns() - due;
		if (lag > st->max_lag_ns)
			st->max_lag_ns = lag;
		if (lag > MAX_LAG_S * NSEC) {
			fprintf(stderr,
				"twload: more than %d s behind the schedule after %ld connections: stopping\n",
				MAX_LAG_S, st->attempts);
			ret = -ETIME;
			break;
		}
		st->attempts++;
		r = connection(t, i % t->listeners, &err);
		if (r < 0) {
			fprintf(stderr, "twload: accept, read or close: %s\n",
				strerror(-r));
			ret = r;
			break;
		}
		if (err == EINTR && stop_requested) {
			st->attempts--; /* cut short by the signal, not failed */
			break;
		}
		if (err)
			count_failure(st, err);
		else
			st->ok++;
	}
	st->elapsed_ns = now_ns() - start;
	return ret;
}

/* The summary; 0, or -errno when stdout could not take it. */
static int print_summary(const struct load_stats *st, int incoming)
{
	long failed = st->attempts - st->ok, other = 0;

	for (int e = 0; e < ERRNO_SLOTS; e++) {
		if (!st->by_errno[e] || e == EADDRNOTAVAIL)
			continue;
		other += st->by_errno[e];
		if (e == ERRNO_SLOTS - 1)
			fprintf(stderr,
				"twload: connect: errno >= %d: %ld times\n",
				ERRNO_SLOTS - 1, st->by_errno[e]);
		else
			fprintf(stderr, "twload: connect: %s: %ld times\n",
				strerror(e), st->by_errno[e]);
	}
	printf("twload: %ld connections closed by the %s, %ld failed\n", st->ok,
	       incoming ? "server" : "client", failed);
	printf("connections=%ld ok=%ld eaddrnotavail=%ld other_errors=%ld seconds=%.3f max_lag_ms=%.3f\n",
	       st->attempts, st->ok, st->by_errno[EADDRNOTAVAIL], other,
	       (double)st->elapsed_ns / NSEC, (double)st->max_lag_ns / 1e6);
	if (fflush(stdout) == EOF || ferror(stdout))
		return -EIO;
	return 0;
}

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* Open n connections to the listeners, both ends kept in fds[2n]. */
static int open_held(const struct target *t, int *fds, long n)
{
	for (long i = 0; i < n; i++) {
		long l = i % t->listeners;

		fds[2 * i] = client(&t->sa[l], t->sl[l], t->from);
		fds[2 * i + 1] =
			fds[2 * i] < 0 ? -1 : accept(t->lfd[l], NULL, NULL);
		if (fds[2 * i] < 0 || fds[2 * i + 1] < 0) {
			perror("twload: hold");
			return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "incoming", no_argument, NULL, 'i' },
		{ "hold", required_argument, NULL, 'H' },
		{ "keep", required_argument, NULL, 'K' },
		{ "rate", required_argument, NULL, 'R' },
		{ "seconds", required_argument, NULL, 'S' },
		{ "remote", no_argument, NULL, 'r' },
		{ 0 },
	};
	static struct target t;
	static struct load_stats st;
	/* SA_RESTART: connect, accept and read go on after the signal;
	 * clock_nanosleep returns EINTR whatever the flag (signal(7)), which
	 * ends a --rate run at once */
	struct sigaction act = { .sa_handler = on_signal,
				 .sa_flags = SA_RESTART };
	static int held[2 * MAX_HOLD], kept[2 * MAX_HOLD];
	long count = 1000, hold = 0, keep = 0, rate = 0, seconds = 0;
	long first_port = 0;
	const char *addr = "127.0.0.1";
	int c, r, count_given = 0;

	t.listeners = 1;
	while ((c = getopt_long(argc, argv, "n:l:a:p:b:i", lo, NULL)) != -1) {
		switch (c) {
		case 'n':
			count = parse_num("-n", optarg, 0, MAX_COUNT);
			count_given = 1;
			break;
		case 'l':
			t.listeners = parse_num("-l", optarg, 1, MAX_LISTENERS);
			break;
		case 'a': addr = optarg; break;
		case 'p': first_port = parse_num("-p", optarg, 0, 65535); break;
		case 'b': t.from = optarg; break;
		case 'i': t.incoming = 1; break;
		case 'r': t.remote = 1; break;
		case 'H':
			hold = parse_num("--hold", optarg, 0, MAX_HOLD);
			break;
		case 'K':
			keep = parse_num("--keep", optarg, 0, MAX_HOLD);
			break;
		case 'R':
			rate = parse_num("--rate", optarg, 1, MAX_RATE);
			break;
		case 'S':
			seconds =
				parse_num("--seconds", optarg, 1, MAX_SECONDS);
			break;
		default:
			fprintf(stderr,
				"usage: twload [-n COUNT | --rate R --seconds T] [-l LISTENERS] [-a ADDRESS] [-p PORT] [-b FROM] [--incoming] [--hold N] [--keep N]\n"
				"       twload --remote -a ADDRESS -p PORT [-n COUNT | --rate R --seconds T] [-l PORTS] [-b FROM]\n");
			return 64;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "twload: unexpected argument %s\n",
			argv[optind]);
		return 64;
	}
	if (first_port + t.listeners > 65535) {
		fprintf(stderr,
			"twload: -p %ld with -l %ld goes past port 65535\n",
			first_port, t.listeners);
		return 64;
	}
	if (t.remote && (t.incoming || hold || keep || !first_port)) {
		fprintf(stderr,
			"twload: --remote wants -p PORT, and goes without --incoming, --hold and --keep\n");
		return 64;
	}
	if (!rate != !seconds || (rate && count_given)) {
		fprintf(stderr,
			"twload: --rate and --seconds go together, instead of -n\n");
		return 64;
	}
	if (rate && rate * seconds > MAX_COUNT) {
		fprintf(stderr,
			"twload: --rate %ld --seconds %ld makes more than %d connections\n",
			rate, seconds, MAX_COUNT);
		return 64;
	}
	alarm(TIME_LIMIT);
	for (long i = 0; i < t.listeners; i++) {
		if (t.remote) {
			t.sl[i] = parse_addr(addr, (unsigned)(first_port + i),
					     &t.sa[i]);
			t.lfd[i] = -1;
			continue;
		}
		t.lfd[i] = listener(addr,
				    first_port ? (unsigned)(first_port + i) : 0,
				    &t.sa[i], &t.sl[i]);
		if (t.lfd[i] < 0) {
			perror("twload: listen");
			return 1;
		}
	}
	/* connections kept open while the load runs: a pooled client */
	if (open_held(&t, kept, keep) < 0)
		return 1;
	if (rate) {
		/* a signal ends the run, which still prints its summary */
		if (sigaction(SIGTERM, &act, NULL) < 0 ||
		    sigaction(SIGINT, &act, NULL) < 0) {
			perror("twload: sigaction");
			return 1;
		}
		r = run_rate(&t, rate, seconds, &st);
	} else {
		r = run_count(&t, count, &st);
	}
	if (print_summary(&st, t.incoming) < 0) {
		fprintf(stderr, "twload: stdout: cannot write the summary\n");
		return 1;
	}
	if (r < 0)
		return 1;
	if (hold && !stop_requested) {
		if (open_held(&t, held, hold) < 0)
			return 1;
		if (sigaction(SIGTERM, &act, NULL) < 0 ||
		    sigaction(SIGINT, &act, NULL) < 0) {
			perror("twload: sigaction");
			return 1;
		}
		printf("twload: holding %ld connections\n", hold);
		fflush(stdout);
		while (!stop_requested)
			pause(); /* until signalled, or the alarm ends us */
	}
	fflush(stdout);
	if (rate)
		return 0;
	return st.ok == count ? 0 : 1;
}
