// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Network namespace discovery (see netns.h).
 *
 * A namespace's identity is its nsfs inode: every namespace file lives on
 * the one nsfs superblock the kernel mounts internally (fs/nsfs.c, since
 * Linux 3.19, commit e149ed2b805f, which moved the targets of the
 * /proc/PID/ns links to that separate file system), and the number in the
 * text of a /proc/PID/ns/net link, "net:[INODE]", is that inode's number
 * (ns_get_name() prints ns->inum, and the nsfs inode gets i_ino = ns->inum:
 * __ns_get_path(), later nsfs_init_inode()).  So the device is the one
 * of the caller's own namespace, and one readlink per process tells a
 * namespace already seen; only a new one costs the reads of comm and
 * cgroup.  Bind mounts (ip netns, runtimes) are stat'ed and must sit on
 * that device; one that no process is in is asked its type with
 * NS_GET_NSTYPE (Linux 4.11, commit e5ff5ce6e20e) before it counts.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/nsfs.h>

#include "bounds.h"
#include "cgname.h"
#include "netns.h"
#include "util.h"

/* Errors of one kind: how many, and the first path and errno. */
struct errs {
	size_t n;
	char *first;
	int err;
};

struct disc {
	const char *proc;
	int procfd;
	bool fake; /* a test tree: links are read, not followed */
	unsigned long long nsfs_dev;
	struct netns_list *out;
	size_t cap;
	/* open addressing on ino: entry index + 1, 0 for empty */
	size_t *slot;
	size_t nslot;
	struct errs perm;
	struct errs other;
	char *buf; /* PROC_SMALL_MAX + 1 bytes for the reads of comm and cgroup */
};

static void errs_add(struct errs *e, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void errs_add(struct errs *e, int err, const char *fmt, ...)
{
	va_list ap;

	if (e->n++ == 0) {
		va_start(ap, fmt);
		if (vasprintf(&e->first, fmt, ap) < 0)
			e->first = NULL;
		va_end(ap);
		e->err = err;
	}
}

/* A vanished process or file: no error at all. */
static bool vanished(int err)
{
	return err == ENOENT || err == ESRCH || err == ENOTDIR;
}

static void note_error(struct disc *d, int err, const char *path)
{
	if (vanished(err))
		return;
	if (err == EACCES || err == EPERM)
		errs_add(&d->perm, err, "%s", path);
	else
		errs_add(&d->other, err, "%s", path);
}

/* "net:[4026531840]" into 4026531840; false for anything else. */
static bool parse_link(const char *s, unsigned long long *ino)
{
	unsigned long long v = 0;
	const char *p;

	if (strncmp(s, "net:[", 5) != 0)
		return false;
	for (p = s + 5; *p >= '0' && *p <= '9'; p++) {
		if (v > (ULLONG_MAX - 9) / 10)
			return false;
		v = v * 10 + (unsigned long long)(*p - '0');
	}
	if (p == s + 5 || strcmp(p, "]") != 0)
		return false;
	*ino = v;
	return true;
}

/* readlinkat() of a namespace link: 0 and *ino, or -errno (-EINVAL). */
static int read_link(int dirfd, const char *path, unsigned long long *ino)
{
	char buf[64];
	ssize_t n = readlinkat(dirfd, path, buf, sizeof(buf) - 1);

	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return parse_link(buf, ino) ? 0 : -EINVAL;
}

static size_t hash_ino(unsigned long long ino, size_t nslot)
{
	return (size_t)((ino * 0x9e3779b97f4a7c15ULL) >> 17) & (nslot - 1);
}

static struct netns_entry *find(struct disc *d, unsigned long long dev,
				unsigned long long ino)
{
	if (!d->nslot)
		return NULL;
	for (size_t h = hash_ino(ino, d->nslot);;
	     h = (h + 1) & (d->nslot - 1)) {
		struct netns_entry *e;

		if (!d->slot[h])
			return NULL;
		e = &d->out->v[d->slot[h] - 1];
		if (e->ino == ino && e->dev == dev)
			return e;
	}
}

static void slot_put(struct disc *d, size_t idx)
{
	size_t h = hash_ino(d->out->v[idx].ino, d->nslot);

	while (d->slot[h])
		h = (h + 1) & (d->nslot - 1);
	d->slot[h] = idx + 1;
}

static struct netns_entry *add(struct disc *d, unsigned long long dev,
			       unsigned long long ino)
{
	struct netns_list *l = d->out;
	struct netns_entry *e;

	if (l->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 16;
		l->v = xrealloc(l->v, d->cap * sizeof(*l->v));
	}
	/* keep the table at most half full */
	if (2 * (l->n + 1) > d->nslot) {
		free(d->slot);
		d->nslot = d->nslot ? d->nslot * 2 : 64;
		d->slot = xcalloc(d->nslot, sizeof(*d->slot));
		for (size_t i = 0; i < l->n; i++)
			slot_put(d, i);
	}
	e = &l->v[l->n];
	memset(e, 0, sizeof(*e));
	e->dev = dev;
	e->ino = ino;
	e->id.runtime = CG_NONE;
	e->id.uid = -1;
	slot_put(d, l->n++);
	return e;
}

/*
 * The identity of a bind-mount file: in a test tree its link text; on a
 * real system what it resolves to, which must be a network namespace on
 * nsfs.  -ENOTNAM: not a namespace (skipped silently).
 */
static int bind_identity(struct disc *d, const char *path,
			 unsigned long long *dev, unsigned long long *ino)
{
	struct stat st, fst;
	int fd, type, ret = 0;

	if (d->fake) {
		*dev = 0;
		ret = read_link(AT_FDCWD, path, ino);
		return ret == -EINVAL ? -ENOTNAM : ret;
	}
	/* stat first: never open a file that is not on nsfs (a device) */
	if (stat(path, &st) < 0)
		return -errno;
	if ((unsigned long long)st.st_dev != d->nsfs_dev)
		return -ENOTNAM;
	/* a namespace a process is in is a network namespace */
	if (find(d, (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino)) {
		*dev = (unsigned long long)st.st_dev;
		*ino = (unsigned long long)st.st_ino;
		return 0;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &fst) < 0) {
		ret = -errno;
		goto out;
	}
	/* replaced between stat and open: take it as gone */
	if (fst.st_dev != st.st_dev || fst.st_ino != st.st_ino) {
		ret = -ENOENT;
		goto out;
	}
	type = ioctl(fd, NS_GET_NSTYPE);
	if (type < 0 && errno != ENOTTY) {
		ret = -errno;
		goto out;
	}
	if (type >= 0 && type != CLONE_NEWNET) {
		ret = -ENOTNAM;
		goto out;
	}
	*dev = (unsigned long long)fst.st_dev;
	*ino = (unsigned long long)fst.st_ino;
out:
	if (close(fd) < 0 && ret == 0)
		ret = -errno;
	return ret;
}

static bool skip_name(const char *name)
{
	return strcmp(name, ".") == 0 || strcmp(name, "..") == 0;
}

/* Every namespace bind-mounted in dir, named prefix + file name. */
static void scan_bind_dir(struct disc *d, const char *dir, const char *prefix)
{
	DIR *dp = opendir(dir);
	struct dirent *de;

	if (!dp) {
		note_error(d, errno, dir);
		return;
	}
	while ((de = readdir(dp))) {
		unsigned long long dev, ino;
		struct netns_entry *e;
		char *path;
		int r;

		if (skip_name(de->d_name))
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		r = bind_identity(d, path, &dev, &ino);
		if (r < 0) {
			if (r != -ENOTNAM)
				note_error(d, -r, path);
			free(path);
			continue;
		}
		e = find(d, dev, ino);
		if (!e)
			e = add(d, dev, ino);
		if (!e->name) {
			e->name = xasprintf("%s%s", prefix, de->d_name);
			free(e->path);
			e->path = path;
		} else {
			free(path);
		}
	}
	closedir(dp);
}

/* RUN/user/UID/netns for every UID: rootless runtimes. */
static void scan_user_dirs(struct disc *d, const char *run)
{
	char *dir = xasprintf("%s/user", run);
	DIR *dp = opendir(dir);
	struct dirent *de;

	if (!dp) {
		note_error(d, errno, dir);
		free(dir);
		return;
	}
	while ((de = readdir(dp))) {
		char *sub, *prefix;

		if (skip_name(de->d_name) ||
		    strspn(de->d_name, "0123456789") != strlen(de->d_name))
			continue;
		sub = xasprintf("%s/%s/netns", dir, de->d_name);
		prefix = xasprintf("user/%s/", de->d_name);
		scan_bind_dir(d, sub, prefix);
		free(sub);
		free(prefix);
	}
	closedir(dp);
	free(dir);
}

/* ROOT/var/run, when it is not RUN itself (nearly always a link to it). */
static char *var_run_dir(const char *run)
{
	const char *slash = strrchr(run, '/');
	struct stat a, b;
	char *v;

	v = xasprintf("%.*s/var/run", slash ? (int)(slash - run) : 0, run);
	if (stat(v, &b) < 0 || stat(run, &a) < 0 ||
	    (a.st_dev == b.st_dev && a.st_ino == b.st_ino)) {
		free(v);
		return NULL;
	}
	return v;
}

/*
 * Read a small /proc file into buf (size max + 1), NUL-terminated: open,
 * read to the end, close, and nothing else (util_read_file() also stats
 * and reads once more to see the end: five system calls instead of three
 * on this, the hot path).  -EFBIG if it holds more than max bytes.
 */
static int read_small(int dirfd, const char *rel, char *buf, size_t max,
		      size_t *len)
{
	size_t n = 0;
	int fd, ret = 0;

	fd = openat(dirfd, rel, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t r = read(fd, buf + n, max + 1 - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ret = -errno;
			break;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > max) {
			ret = -EFBIG;
			break;
		}
		/*
		 * A short read is the end: procfs's seq_read_iter() fills the
		 * buffer unless the file ends first, and so does a regular
		 * file.  Saves a read(2) per file on the hot path.
		 */
		if ((size_t)r < max + 1 - (n - (size_t)r))
			break;
	}
	if (close(fd) < 0 && ret == 0)
		ret = -errno;
	buf[n > max ? max : n] = '\0';
	*len = n;
	return ret;
}

static void set_comm(struct netns_entry *e, const char *text, size_t len)
{
	size_t n = 0;

	while (n < len && n < sizeof(e->comm) - 1 && text[n] != '\n') {
		char c = text[n];

		e->comm[n++] = (c >= 0x20 && c < 0x7f) ? c : '?';
	}
	e->comm[n] = '\0';
}

/*
 * Make pid the holder of e: its comm and cgroup.  -errno when the process
 * is gone (or unreadable); e is left as it was then.
 */
static int read_holder(struct disc *d, struct netns_entry *e, int pid)
{
	char rel[48];
	size_t len;
	int r;

	snprintf(rel, sizeof(rel), "%d/comm", pid);
	r = read_small(d->procfd, rel, d->buf, PROC_SMALL_MAX, &len);
	if (r < 0)
		return r;
	set_comm(e, d->buf, len);
	snprintf(rel, sizeof(rel), "%d/cgroup", pid);
	r = read_small(d->procfd, rel, d->buf, PROC_SMALL_MAX, &len);
	if (r < 0) {
		e->comm[0] = '\0';
		return r;
	}
	/* not a cgroup file at all (no cgroup support): no identity */
	cgname_parse(d->buf, &e->id);
	e->pid = pid;
	/* a bind mount outlives any process: keep its path */
	if (!e->name) {
		free(e->path);
		e->path = xasprintf("%s/%d/ns/net", d->proc, pid);
	}
	return 0;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* The pids in PROC, lowest first: readdir's order is not promised. */
static int list_pids(struct disc *d, int **pids, size_t *n)
{
	size_t cap = 0;
	struct dirent *de;
	DIR *dp;
	int fd;

	*pids = NULL;
	*n = 0;
	fd = dup(d->procfd);
	if (fd < 0)
		return -errno;
	dp = fdopendir(fd);
	if (!dp) {
		int err = errno;

		close(fd);
		return -err;
	}
	while ((de = readdir(dp))) {
		const char *s = de->d_name;
		long v = 0;

		if (*s < '1' || *s > '9')
			continue;
		for (; *s >= '0' && *s <= '9' && v <= INT_MAX; s++)
			v = v * 10 + (*s - '0');
		if (*s || v > INT_MAX)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 1024;
			*pids = xrealloc(*pids, cap * sizeof(**pids));
		}
		(*pids)[(*n)++] = (int)v;
	}
	closedir(dp);
	if (*n > 1)
		qsort(*pids, *n, sizeof(**pids), cmp_int);
	return 0;
}

static void pid_error(struct disc *d, const char *rel, int err)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", d->proc, rel);
	note_error(d, err, path);
}

static void scan_one_pid(struct disc *d, int pid)
{
	/* every namespace file is on the one nsfs: its device is self's */
	unsigned long long ino, dev = d->nsfs_dev;
	struct netns_entry *e;
	char rel[48];
	int r;

	snprintf(rel, sizeof(rel), "%d/ns/net", pid);
	r = read_link(d->procfd, rel, &ino);
	if (r < 0) {
		pid_error(d, rel, -r);
		return;
	}
	e = find(d, dev, ino);
	if (e && e->pid)
		return;
	if (e) {
		r = read_holder(d, e, pid);
	} else {
		/* read first: a process gone by now adds no entry */
		struct netns_entry tmp = { .ino = ino, .dev = dev };

		r = read_holder(d, &tmp, pid);
		if (r == 0)
			*add(d, dev, ino) = tmp;
	}
	if (r < 0)
		pid_error(d, rel, -r);
}

static void report_errs(struct msgs *warnings, const struct errs *e, bool perm)
{
	const char *first = e->first ? e->first : "?";

	if (!warnings || !e->n)
		return;
	if (perm && e->n == 1)
		msgs_addf(
			warnings,
			"%s: %s: the network namespace behind it is not listed; run as root to see them all",
			first, strerror(e->err));
	else if (perm)
		msgs_addf(
			warnings,
			"%s: %s (%zu unreadable in all): the network namespaces behind them are not listed; run as root to see them all",
			first, strerror(e->err), e->n);
	else if (e->n == 1)
		msgs_addf(
			warnings,
			"%s: %s: the network namespace behind it is not listed",
			first, strerror(e->err));
	else
		msgs_addf(
			warnings,
			"%s: %s (%zu unreadable in all): the network namespaces behind them are not listed",
			first, strerror(e->err), e->n);
}

static void report(struct disc *d, struct msgs *warnings)
{
	report_errs(warnings, &d->perm, true);
	report_errs(warnings, &d->other, false);
	free(d->perm.first);
	free(d->other.first);
}

static int cmp_entry(const void *a, const void *b)
{
	const struct netns_entry *x = a, *y = b;

	if (x->self != y->self)
		return x->self ? -1 : 1;
	if (!x->name != !y->name)
		return x->name ? -1 : 1;
	if (x->name) {
		int c = strcmp(x->name, y->name);

		if (c)
			return c;
	}
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return (x->dev > y->dev) - (x->dev < y->dev);
}

/* The caller's own namespace, and whether PROC is a test tree. */
static int find_self(struct disc *d)
{
	unsigned long long ino;
	struct netns_entry *e;
	struct stat st;
	int r;

	r = read_link(d->procfd, "self/ns/net", &ino);
	if (r < 0)
		return r;
	if (fstatat(d->procfd, "self/ns/net", &st, 0) == 0) {
		d->nsfs_dev = (unsigned long long)st.st_dev;
		ino = (unsigned long long)st.st_ino;
	} else if (errno == ENOENT) {
		d->fake = true;
		d->nsfs_dev = 0;
	} else {
		return -errno;
	}
	e = add(d, d->nsfs_dev, ino);
	e->self = true;
	e->path = xasprintf("%s/self/ns/net", d->proc);
	return 0;
}

/* A directory prefix without trailing slashes ("/" stays "/"). */
static char *prefix_dup(const char *s)
{
	char *p = xstrdup(s);
	size_t n = strlen(p);

	while (n > 1 && p[n - 1] == '/')
		p[--n] = '\0';
	return p;
}

int netns_discover(const char *proc_dir, const char *run_dir,
		   struct netns_list *out, struct msgs *warnings)
{
	struct disc d = { .procfd = -1 };
	char *dir, *var_run, *proc, *run;
	size_t npids = 0;
	int *pids = NULL, r;

	out->v = NULL;
	out->n = 0;
	proc = prefix_dup(proc_dir ? proc_dir : "/proc");
	run = prefix_dup(run_dir ? run_dir : "/run");
	d.proc = proc;
	d.out = out;
	d.procfd = open(d.proc, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d.procfd < 0) {
		r = -errno;
		goto fail;
	}
	r = find_self(&d);
	if (r < 0)
		goto fail;

	/*
	 * Processes first: a bind mount of a namespace a process is in needs
	 * no open to tell it is a network namespace.  Then the names, the
	 * first one found for a namespace being the one kept.
	 */
	r = list_pids(&d, &pids, &npids);
	if (r < 0)
		goto fail;
	d.buf = xmalloc(PROC_SMALL_MAX + 1);
	for (size_t i = 0; i < npids; i++)
		scan_one_pid(&d, pids[i]);
	free(pids);
	free(d.buf);

	dir = xasprintf("%s/netns", run);
	scan_bind_dir(&d, dir, "");
	free(dir);
	dir = xasprintf("%s/docker/netns", run);
	scan_bind_dir(&d, dir, "docker/");
	free(dir);
	var_run = var_run_dir(run);
	if (var_run) {
		/* ip netns and CNI under /var/run too, where it is not /run */
		dir = xasprintf("%s/netns", var_run);
		scan_bind_dir(&d, dir, "");
		free(dir);
		dir = xasprintf("%s/docker/netns", var_run);
		scan_bind_dir(&d, dir, "docker/");
		free(dir);
		free(var_run);
	}
	scan_user_dirs(&d, run);

	free(d.slot);
	close(d.procfd);
	report(&d, warnings);
	free(proc);
	free(run);
	if (out->n > 1)
		qsort(out->v, out->n, sizeof(*out->v), cmp_entry);
	return 0;
fail:
	free(d.slot);
	if (d.procfd >= 0)
		close(d.procfd);
	free(d.perm.first);
	free(d.other.first);
	free(proc);
	free(run);
	netns_list_free(out);
	return r;
}

void netns_list_free(struct netns_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].path);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}
