// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * measure: run a command RUNS times (output to /dev/null) and print the
 * median and minimum wall time in milliseconds, the largest peak RSS (of
 * the command and everything it waited for) in KiB and the median CPU
 * time (user + system, the same processes) in milliseconds:
 *
 *   measure RUNS COMMAND [ARG...]
 *     -> "median_ms min_ms max_rss_kib median_cpu_ms"
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	int runs = argc > 2 ? atoi(argv[1]) : 0;
	double *ms, *cpu;
	long rss = 0;

	if (runs < 1 || runs > 1000) {
		fprintf(stderr, "usage: measure RUNS COMMAND [ARG...]\n");
		return 64;
	}
	ms = calloc((size_t)runs, sizeof(*ms));
	cpu = calloc((size_t)runs, sizeof(*cpu));
	if (!ms || !cpu)
		return 1;
	for (int i = 0; i < runs; i++) {
		struct timespec a, b;
		struct rusage ru;
		int status;
		pid_t pid;

		clock_gettime(CLOCK_MONOTONIC, &a);
		pid = fork();
		if (pid < 0)
			return 1;
		if (pid == 0) {
			int null = open("/dev/null", O_WRONLY);

			if (null >= 0)
				dup2(null, 1);
			execvp(argv[2], argv + 2);
			_exit(127);
		}
		if (wait4(pid, &status, 0, &ru) < 0)
			return 1;
		clock_gettime(CLOCK_MONOTONIC, &b);
		if (!WIFEXITED(status) || WEXITSTATUS(status) == 127) {
			fprintf(stderr, "measure: %s failed\n", argv[2]);
			return 1;
		}
		ms[i] = (double)(b.tv_sec - a.tv_sec) * 1e3 +
			(double)(b.tv_nsec - a.tv_nsec) / 1e6;
		if (ru.ru_maxrss > rss)
			rss = ru.ru_maxrss;
		cpu[i] = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
			 (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
	}
	qsort(ms, (size_t)runs, sizeof(*ms), cmp);
	qsort(cpu, (size_t)runs, sizeof(*cpu), cmp);
	printf("%.2f %.2f %ld %.2f\n", ms[runs / 2], ms[0], rss, cpu[runs / 2]);
	free(ms);
	free(cpu);
	return 0;
}
