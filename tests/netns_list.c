// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * netns_list: prints what netns_discover() finds, one namespace a line,
 * "INO NAME PID COMM" ('-' for no name, 0 and '-' for no process), the
 * caller's own namespace marked with a trailing "self", for the shell
 * tests.  -v adds the holder's runtime, container, pod and unit; -t prints
 * the time discovery took on stderr; -p PROC and -r RUN point it at
 * another tree.  Warnings go to stderr.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "netns.h"
#include "util.h"

int main(int argc, char **argv)
{
	const char *proc = NULL, *run = NULL;
	struct msgs warn = { 0 };
	struct netns_list l;
	struct timespec t0, t1;
	bool verbose = false, timing = false;
	int opt, r;

	while ((opt = getopt(argc, argv, "p:r:tv")) != -1) {
		switch (opt) {
		case 'p': proc = optarg; break;
		case 'r': run = optarg; break;
		case 't': timing = true; break;
		case 'v': verbose = true; break;
		default:
			fprintf(stderr,
				"usage: netns_list [-tv] [-p PROC] [-r RUN]\n");
			return 2;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = netns_discover(proc, run, &l, &warn);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	for (size_t i = 0; i < warn.n; i++)
		fprintf(stderr, "netns_list: warning: %s\n", warn.v[i]);
	msgs_free(&warn);
	if (r < 0) {
		fprintf(stderr, "netns_list: %s\n", strerror(-r));
		return 1;
	}
	for (size_t i = 0; i < l.n; i++) {
		const struct netns_entry *e = &l.v[i];

		printf("%llu %s %d %s", e->ino, e->name ? e->name : "-", e->pid,
		       e->comm[0] ? e->comm : "-");
		if (verbose)
			printf(" runtime=%s container=%s pod=%s unit=%s "
			       "path=%s",
			       cgname_runtime_name(e->id.runtime),
			       e->id.container[0] ? e->id.container : "-",
			       e->id.pod[0] ? e->id.pod : "-",
			       e->id.unit[0] ? e->id.unit : "-", e->path);
		printf("%s\n", e->self ? " self" : "");
	}
	if (timing)
		fprintf(stderr, "netns_list: %zu namespaces in %.3f ms\n", l.n,
			(double)(t1.tv_sec - t0.tv_sec) * 1e3 +
				(double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	netns_list_free(&l);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		perror("netns_list: stdout");
		return 1;
	}
	return 0;
}
