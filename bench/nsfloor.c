// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nsfloor: the floor for sweeping network namespaces.  For each namespace
 * (the paths given, or every one netns_discover() finds) it enters it with
 * setns() and reads the files one O(1) twtune report reads there
 * (net/sockstat, sockstat6, netstat, snmp and the TIME_WAIT sysctls;
 * missing ones are fine), then returns to its own namespace and prints one
 * line of key=value pairs: namespaces, files and bytes read, the sweep's
 * wall and CPU time in all and per namespace (and discovery's when it
 * discovered).  Nothing is parsed or written: the least a sweep can cost.
 *
 *   nsfloor [NETNS_PATH...]      (root: setns needs CAP_SYS_ADMIN)
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "netns.h"
#include "util.h"

/*
 * Each group is read through a directory opened once in each namespace:
 * a lookup from the top of /proc/sys compares the name against the
 * dentries of every namespace that ever looked it up (proc_sys_compare()),
 * which made the sweep grow as the square of the number of namespaces
 * (735 us a namespace at 1000 of them against 180 us at 20); from the
 * namespace's own directory it stays flat.
 */
static const char *const net_files[] = {
	"sockstat",
	"sockstat6",
	"netstat",
	"snmp",
};

static const char *const sysctl_files[] = {
	"tcp_max_tw_buckets", "tcp_tw_reuse",	     "tcp_tw_reuse_delay",
	"tcp_tw_recycle",     "tcp_timestamps",	     "tcp_fin_timeout",
	"tcp_syncookies",     "ip_local_port_range", "ip_local_reserved_ports",
};

static char buf[64 << 10];

static double clock_us(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* Wall time, and the CPU time this process used (which waiting for a
 * core on a loaded machine does not inflate). */
struct stamp {
	double wall;
	double cpu;
};

static struct stamp now(void)
{
	struct stamp s = { clock_us(CLOCK_MONOTONIC),
			   clock_us(CLOCK_PROCESS_CPUTIME_ID) };

	return s;
}

/* Read one file whole; its size, 0 if it is missing, -1 on error. */
static long read_file(int dirfd, const char *path)
{
	long total = 0;
	ssize_t n;
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		total += n;
	if (n < 0 || close(fd) < 0)
		return -1;
	return total;
}

/* Read the files of one directory (of the namespace entered); -1 on error. */
static int read_group(const char *dir, const char *const *names, size_t n,
		      const char *ns, long *bytes, long *nfiles)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dfd < 0) {
		fprintf(stderr, "nsfloor: %s in %s: %s\n", dir, ns,
			strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		long got = read_file(dfd, names[i]);

		if (got < 0) {
			fprintf(stderr, "nsfloor: %s/%s in %s: %s\n", dir,
				names[i], ns, strerror(errno));
			close(dfd);
			return -1;
		}
		if (got > 0)
			(*nfiles)++;
		*bytes += got;
	}
	close(dfd);
	return 0;
}

/* Enter the namespace at path and read every file; -1 on error. */
static int sweep_one(const char *path, long *bytes, long *nfiles)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	/* its only process exited since discovery: nothing to sweep */
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
		fprintf(stderr, "nsfloor: %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	if (read_group("/proc/thread-self/net", net_files,
		       sizeof(net_files) / sizeof(net_files[0]), path, bytes,
		       nfiles) < 0 ||
	    read_group("/proc/sys/net/ipv4", sysctl_files,
		       sizeof(sysctl_files) / sizeof(sysctl_files[0]), path,
		       bytes, nfiles) < 0)
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	struct netns_list l = { 0 };
	struct msgs warn = { 0 };
	const char **paths;
	size_t n;
	struct stamp t0, t1, disc = { -1, -1 };
	long bytes = 0, nfiles = 0;
	int self, r, ret = 0;

	self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0) {
		perror("nsfloor: /proc/thread-self/ns/net");
		return 1;
	}
	if (argc > 1) {
		paths = (const char **)argv + 1;
		n = (size_t)argc - 1;
	} else {
		t0 = now();
		r = netns_discover(NULL, NULL, &l, &warn);
		t1 = now();
		disc.wall = t1.wall - t0.wall;
		disc.cpu = t1.cpu - t0.cpu;
		for (size_t i = 0; i < warn.n; i++)
			fprintf(stderr, "nsfloor: warning: %s\n", warn.v[i]);
		msgs_free(&warn);
		if (r < 0) {
			fprintf(stderr, "nsfloor: discovery: %s\n",
				strerror(-r));
			return 1;
		}
		n = l.n;
		paths = xcalloc(n, sizeof(*paths));
		for (size_t i = 0; i < n; i++)
			paths[i] = l.v[i].path;
	}

	t0 = now();
	for (size_t i = 0; i < n && ret == 0; i++)
		if (sweep_one(paths[i], &bytes, &nfiles) < 0)
			ret = 1;
	if (setns(self, CLONE_NEWNET) < 0) {
		perror("nsfloor: back to its own namespace");
		ret = 1;
	}
	t1 = now();
	close(self);

	printf("namespaces=%zu files=%ld bytes=%ld total_us=%.1f per_ns_us=%.2f cpu_us=%.1f per_ns_cpu_us=%.2f",
	       n, nfiles, bytes, t1.wall - t0.wall,
	       n ? (t1.wall - t0.wall) / (double)n : 0.0, t1.cpu - t0.cpu,
	       n ? (t1.cpu - t0.cpu) / (double)n : 0.0);
	if (disc.wall >= 0)
		printf(" discover_us=%.1f discover_cpu_us=%.1f", disc.wall,
		       disc.cpu);
	printf("\n");
	if (argc <= 1) {
		free(paths);
		netns_list_free(&l);
	}
	if (fflush(stdout) != 0)
		ret = 1;
	return ret;
}
