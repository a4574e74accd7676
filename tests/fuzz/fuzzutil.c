// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Helpers shared by the fuzz harnesses; see fuzzutil.h.  Failures of the
 * harness's own plumbing (a scratch file that cannot be written) abort:
 * the fuzzer then reports them instead of exploring a broken setup.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzzutil.h"
#include "observe.h"
#include "util.h"

static char scratch[PATH_MAX];

/*
 * libconfig 1.5 (Debian 12) leaks the text of a string token that comes
 * after a syntax error (`a = 1 "x";`, `"": 1;`): its parser drops the
 * token without freeing it.  A few bytes once per failed load, in the
 * library, on a path where twtune then exits; so LeakSanitizer, in the
 * fuzzers and in the replays under ASan alike, ignores what libconfig's
 * scanner allocates (twtune has no functions of these names).  What its
 * parser allocates is still checked: a missing config_destroy() shows.
 */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libconfig_yylex\nleak:strbuf_append\n";
}

void fuzz_check_at(bool ok, const char *what, const char *file, int line)
{
	if (ok)
		return;
	fprintf(stderr, "%s:%d: check failed: %s\n", file, line, what);
	abort();
}

void fuzz_split(const uint8_t *data, size_t size, struct fuzz_parts *p)
{
	const char *s, *end;

	memset(p, 0, sizeof(*p));
	p->buf = xmalloc(size + 1);
	if (size)
		memcpy(p->buf, data, size);
	p->buf[size] = '\0';
	s = p->buf;
	end = p->buf + size;
	for (;;) {
		size_t len = strlen(s);

		p->part[p->n] = s;
		p->len[p->n] = len;
		p->n++;
		s += len + 1;
		if (s > end || p->n == FUZZ_MAX_PARTS)
			break;
	}
}

void fuzz_parts_free(struct fuzz_parts *p)
{
	free(p->buf);
	memset(p, 0, sizeof(*p));
}

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void remove_scratch(void)
{
	if (scratch[0])
		nftw(scratch, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

const char *fuzz_scratch(void)
{
	const char *base = getenv("TMPDIR");

	if (scratch[0])
		return scratch;
	snprintf(scratch, sizeof(scratch), "%s/twtune-fuzz-XXXXXX",
		 base && *base ? base : "/tmp");
	if (!mkdtemp(scratch)) {
		perror(scratch);
		abort();
	}
	atexit(remove_scratch);
	return scratch;
}

static void mkdirs(char *path)
{
	for (char *s = path + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST) {
			perror(path);
			abort();
		}
		*s = '/';
	}
}

void fuzz_put(const char *dir, const char *rel, const char *text, size_t len)
{
	char *path = xasprintf("%s/%s", dir, rel);
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 && errno == ENOENT) {
		mkdirs(path);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	}
	if (fd < 0 || util_write_all(fd, text, len) < 0 || close(fd) < 0) {
		perror(path);
		abort();
	}
	free(path);
}

void fuzz_unlink(const char *dir, const char *rel)
{
	char *path = xasprintf("%s/%s", dir, rel);

	if (unlink(path) < 0 && errno != ENOENT) {
		perror(path);
		abort();
	}
	free(path);
}

void fuzz_observation(struct observation *o, int variant)
{
	static const char nb[] = "no baseline (first run)";
	bool busy = variant == 1, first = variant == 2;

	memset(o, 0, sizeof(*o));
	for (int i = 0; i < METRIC_COUNT; i++)
		o->m[i] = NAN;
	o->time = 1700000000;
	o->window = first ? NAN : 60;
	o->baseline_source = first ? "none" : "state";
	snprintf(o->boot_id, sizeof(o->boot_id), "%s",
		 "5c1e4a0e-7f3b-4d7a-9a51-0d6f2b7c9e11");

	o->m[M_TW_COUNT] = busy ? 262144 : 1200;
	o->m[M_TW_MAX] = 262144;
	o->m[M_TW_RATIO] = o->m[M_TW_COUNT] / o->m[M_TW_MAX];
	o->m[M_TW_OVERFLOWS] = busy ? 9000 : 7000;
	o->c.tw_overflows = o->m[M_TW_OVERFLOWS];
	o->c.syncookies_sent = 12;
	o->c.listen_overflows = 3;
	if (first) {
		o->why[M_TW_OVERFLOW_DELTA] = nb;
		o->why[M_TW_OVERFLOW_RATE] = nb;
		o->why[M_SYNCOOKIES_SENT_DELTA] = nb;
		o->why[M_LISTEN_OVERFLOWS_DELTA] = nb;
		o->m[M_TW_DEMAND] = o->m[M_TW_COUNT];
	} else {
		o->m[M_TW_OVERFLOW_DELTA] = busy ? 2000 : 0;
		o->m[M_TW_OVERFLOW_RATE] = o->m[M_TW_OVERFLOW_DELTA] / 60;
		o->m[M_SYNCOOKIES_SENT_DELTA] = busy ? 50 : 0;
		o->m[M_LISTEN_OVERFLOWS_DELTA] = busy ? 7 : 0;
		o->m[M_TW_DEMAND] =
			o->m[M_TW_COUNT] + o->m[M_TW_OVERFLOW_DELTA];
	}
	o->m[M_TCP_INUSE] = 300;
	o->m[M_TCP_ORPHAN] = busy ? 40 : 0;
	o->m[M_TCP_ALLOC] = 320;
	o->m[M_MEM_TOTAL] = 8.0 * 1024 * 1024 * 1024;
	o->m[M_TW_SOCK_SIZE] = 256;
	o->m[M_EPHEMERAL_LOW] = 32768;
	o->m[M_EPHEMERAL_HIGH] = 60999;
	o->m[M_EPHEMERAL_PORTS] = 28232;

	for (int i = M_FIRST_SOCKET; i < METRIC_COUNT; i++) {
		if (first) {
			o->why[i] = "--no-sockets";
			continue;
		}
		o->m[i] = 0;
	}
	if (!first) {
		o->m[M_STATE_ESTABLISHED] = 250;
		o->m[M_STATE_LISTEN] = 6;
		o->m[M_STATE_TIME_WAIT] = o->m[M_TW_COUNT];
		o->m[M_STATE_SYN_RECV] = busy ? 900 : 1;
		o->m[M_TW_PEERS] = busy ? 3 : 40;
		o->m[M_TW_TOP_PEER_SHARE] = busy ? 0.9 : 0.1;
		o->m[M_PORT_PRESSURE] = busy ? 0.8 : 0.02;
		o->m[M_TW_OUTGOING] = busy ? 250000 : 400;
		o->m[M_TW_INCOMING] = o->m[M_TW_COUNT] - o->m[M_TW_OUTGOING];
		o->m[M_SYN_RECV_PEERS] = busy ? 800 : 1;
	}

	observe_set_sysctl(o, "net.ipv4.tcp_max_tw_buckets", "262144");
	observe_set_sysctl(o, "net.ipv4.tcp_tw_recycle", busy ? "1" : NULL);
	observe_set_sysctl(o, "net.ipv4.tcp_fin_timeout", busy ? "10" : "60");
	observe_set_sysctl(o, "net.ipv4.tcp_tw_reuse", first ? "0" : "2");
	observe_set_sysctl(o, "net.ipv4.tcp_timestamps", busy ? "0" : "1");
	observe_set_sysctl(o, "net.ipv4.tcp_tw_reuse_delay", "1000");
	observe_set_sysctl(o, "net.ipv4.tcp_syncookies", "1");
	observe_set_sysctl(o, "net.ipv4.ip_local_port_range", "32768\t60999");
	observe_set_sysctl(o, "net.core.somaxconn", "4096");
	observe_set_sysctl(o, "net.ipv4.tcp_max_syn_backlog",
			   busy ? "-1" : "1024");
}
