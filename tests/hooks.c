// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The test-only hooks of src/hooks.h, linked only into tests/twtune-hooks
 * (never installed).  Driven by the environment:
 *
 * TWTUNE_TEST_PROBE      ':'-separated probes tried right after the
 *                        sandbox is in place: a path to open for writing
 *                        (created if missing), "tcpPORT" to connect to
 *                        127.0.0.1:PORT, "sigPID" to send signal 0 to PID,
 *                        "abstractNAME" to connect to the abstract unix
 *                        stream socket NAME.  Each says what happened on
 *                        standard error; nothing is written, sent or
 *                        delivered.
 * TWTUNE_TEST_NO_LANDLOCK  behave as on a kernel without Landlock.
 * TWTUNE_TEST_NO_COUNTER   behave as on a kernel without the
 *                        TCPTimeWaitOverflow counter (before 2.6.38),
 *                        which reads the live kernel log.
 * TWTUNE_TEST_TMP_SUFFIX   the suffix of temporary file names.
 * TWTUNE_TEST_NO_WHY     do not look for the causes of TIME_WAIT (the
 *                        benchmark's baseline for their cost).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "hooks.h"
#include "util.h"

/* Connect a stream socket to addr, say how it went, and close it. */
static void probe_connect(const char *item, int family, const void *addr,
			  socklen_t len)
{
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int r = fd < 0 ? -1 : connect(fd, addr, len);

	fprintf(stderr, "probe %s: %s\n", item,
		r < 0 ? strerror(errno) : "connected");
	if (fd >= 0)
		close(fd);
}

static void probe(const char *p)
{
	int fd;

	/* "tcpPORT": connect to 127.0.0.1:PORT */
	if (strncmp(p, "tcp", 3) == 0) {
		struct sockaddr_in sin = {
			.sin_family = AF_INET,
			.sin_port = htons((uint16_t)atoi(p + 3)),
			.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
		};

		probe_connect(p, AF_INET, &sin, sizeof(sin));
		return;
	}
	/* "abstractNAME": connect to the abstract socket @NAME */
	if (strncmp(p, "abstract", 8) == 0) {
		struct sockaddr_un sun = { .sun_family = AF_UNIX };
		size_t n = strnlen(p + 8, sizeof(sun.sun_path) - 1);

		memcpy(sun.sun_path + 1, p + 8, n);
		probe_connect(
			p, AF_UNIX, &sun,
			(socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
				    n));
		return;
	}
	/* "sigPID": may this process signal PID? (signal 0) */
	if (strncmp(p, "sig", 3) == 0) {
		int r = kill((pid_t)atoi(p + 3), 0);

		fprintf(stderr, "probe %s: %s\n", p,
			r < 0 ? strerror(errno) : "may signal");
		return;
	}
	fd = open(p, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	fprintf(stderr, "probe %s: %s\n", p,
		fd < 0 ? strerror(errno) : "opened for writing");
	if (fd >= 0)
		close(fd);
}

void hook_after_sandbox(void)
{
	const char *list = getenv("TWTUNE_TEST_PROBE");
	char *copy, *save = NULL;

	if (!list)
		return;
	copy = xstrdup(list);
	for (char *p = strtok_r(copy, ":", &save); p;
	     p = strtok_r(NULL, ":", &save))
		probe(p);
	free(copy);
}

bool hook_no_landlock(void)
{
	return getenv("TWTUNE_TEST_NO_LANDLOCK") != NULL;
}

bool hook_no_counter(void)
{
	return getenv("TWTUNE_TEST_NO_COUNTER") != NULL;
}

bool hook_no_why(void)
{
	return getenv("TWTUNE_TEST_NO_WHY") != NULL;
}

const char *hook_tmp_suffix(void)
{
	return getenv("TWTUNE_TEST_TMP_SUFFIX");
}
