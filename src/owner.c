// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Naming the owners of the causes of TIME_WAIT; see owner.h.
 *
 * The kernel gives, with a full socket, the cgroup v2 id of the process
 * that created it (sk_cgrp_data, copied to an accepted socket from its
 * listener) and its inode and owner uid.  twtune runs as uid 0 without
 * capabilities, confined by Landlock where the kernel has it, so:
 *  - the cgroup id is found as the inode number of a directory under the
 *    cgroup2 mount (kernfs numbers a node by its id on 64-bit kernels
 *    since 5.5, which is what INET_DIAG_CGROUP_ID sends; readdir's d_ino
 *    gives it without a stat), and its cgroup.procs (mode 0644) lists the
 *    processes in it;
 *  - /proc/PID/comm, status and cgroup are readable for every process;
 *  - /proc/PID/fd is not: its links need ptrace read access, which a
 *    process under Landlock never has to one outside its domain (Linux
 *    5.13+), and which other users' processes refuse without
 *    CAP_SYS_PTRACE.  The inode is looked for only where that can work.
 * So a service alone in its cgroup (a systemd unit, a container) is named
 * with its pid; several processes in one cgroup are named by their common
 * comm, or not at all, and the report says why.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bounds.h"
#include "cgname.h"
#include "owner.h"
#include "util.h"

#define MAX_CGROUP_DIRS 20000 /* directories looked at for the ids */
#define MAX_DEPTH 32
#define MAX_PROCS 512  /* processes of one cgroup, or of /proc */
#define MAX_FDS 200000 /* descriptors read in all */
#define BUDGET 0.5     /* seconds for all of it */
#define NAMES_SHOWN 4  /* comms listed when several share a cgroup */

struct proc {
	int pid;
	char comm[16];
	long long uid[4]; /* real, effective, saved, filesystem */
};

/* The processes of one cgroup id, read once. */
struct group {
	uint64_t id;
	char *path; /* below the mount, "/..."; NULL: not found */
	struct proc *procs;
	size_t n;
	bool listed;	/* cgroup.procs was read */
	bool truncated; /* it had more than MAX_PROCS */
	int err;	/* reading cgroup.procs, -errno */
};

struct namer {
	const struct owner_env *env;
	char root[PATH_MAX]; /* the cgroup2 mount, "" if unknown */
	int rootfd;
	bool walked, walk_cut;
	struct group groups[2 * SOCK_CAUSES];
	size_t n_groups;
	struct proc *all; /* every process, for the inode search */
	size_t n_all;
	bool all_listed, all_cut;
	double deadline;
	size_t fds_read;
	bool out_of_time;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return util_timespec_seconds(&ts);
}

static bool over(struct namer *nm)
{
	if (!nm->out_of_time && now() > nm->deadline)
		nm->out_of_time = true;
	return nm->out_of_time;
}

int owner_cgroup2_mount(const char *mounts, char *out, size_t outlen)
{
	for (const char *p = mounts; p && *p;
	     p = strchr(p, '\n'), p = p ? p + 1 : p) {
		char dev[64], dir[PATH_MAX], type[32];
		size_t k = 0;

		if (sscanf(p, "%63s %4095s %31s", dev, dir, type) != 3 ||
		    strcmp(type, "cgroup2") != 0)
			continue;
		/* the kernel escapes space, tab, newline and backslash */
		for (const char *s = dir; *s && k + 1 < outlen; k++) {
			if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
			    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' &&
			    s[3] <= '7') {
				out[k] =
					(char)((s[1] - '0') * 64 +
					       (s[2] - '0') * 8 + (s[3] - '0'));
				s += 4;
			} else {
				out[k] = *s++;
			}
		}
		out[k] = '\0';
		return 0;
	}
	return -ENOENT;
}

/* ---- cgroup ids to directories ---------------------------------------- */

/* Record path as the directory of id, if it is one wanted; how many left. */
static size_t found(struct namer *nm, uint64_t ino, const char *path)
{
	size_t left = 0;

	for (size_t i = 0; i < nm->n_groups; i++) {
		struct group *g = &nm->groups[i];

		if (!g->path && (ino_t)g->id == (ino_t)ino)
			g->path = xstrdup(path[0] ? path : "/");
		left += !g->path;
	}
	return left;
}

/*
 * Depth first below dfd (whose path is path[0..len)), comparing each
 * directory's inode with the ids wanted; stops when all are found, or at
 * MAX_CGROUP_DIRS directories, MAX_DEPTH levels or the time budget.
 * Returns how many are still missing.
 */
static size_t walk(struct namer *nm, int dfd, char *path, size_t len, int depth,
		   size_t *dirs, size_t left)
{
	struct dirent *de;
	DIR *d;
	int fd = dup(dfd);

	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return left;
	}
	while (left && (de = readdir(d))) {
		size_t n = strlen(de->d_name);
		struct stat st;
		int sub;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		/* kernfs gives the type; other file systems may not */
		if (de->d_type == DT_UNKNOWN
			    ? fstatat(dirfd(d), de->d_name, &st,
				      AT_SYMLINK_NOFOLLOW) < 0 ||
				      !S_ISDIR(st.st_mode)
			    : de->d_type != DT_DIR)
			continue;
		if (++*dirs > MAX_CGROUP_DIRS || over(nm)) {
			nm->walk_cut = true;
			break;
		}
		if (len + 1 + n + 1 > PATH_MAX)
			continue;
		path[len] = '/';
		memcpy(path + len + 1, de->d_name, n + 1);
		left = found(nm, de->d_ino, path);
		if (left && depth < MAX_DEPTH) {
			sub = openat(dirfd(d), de->d_name,
				     O_RDONLY | O_DIRECTORY | O_CLOEXEC |
					     O_NOFOLLOW);
			if (sub >= 0) {
				left = walk(nm, sub, path, len + 1 + n,
					    depth + 1, dirs, left);
				close(sub); /* read-only */
			}
		}
		path[len] = '\0';
	}
	closedir(d);
	return left;
}

/* The directories of every id wanted, in one walk. */
static void walk_cgroups(struct namer *nm)
{
	char path[PATH_MAX] = "";
	struct stat st;
	size_t dirs = 0, left;

	nm->walked = true;
	if (nm->rootfd < 0 || fstat(nm->rootfd, &st) < 0)
		return;
	left = found(nm, st.st_ino, "/");
	if (left)
		walk(nm, nm->rootfd, path, 0, 1, &dirs, left);
}

/* ---- processes -------------------------------------------------------- */

static void set_comm(char *out, size_t size, const char *text)
{
	size_t n = 0;

	for (; text[n] && text[n] != '\n' && n + 1 < size; n++)
		out[n] = (text[n] >= 0x20 && text[n] < 0x7f) ? text[n] : '?';
	out[n] = '\0';
}

/*
 * comm and uids of pid; -errno when it is gone, -ESRCH when it is a
 * kernel thread or a zombie (no memory, so no descriptors either).
 */
static int read_proc(int procfd, int pid, struct proc *p)
{
	char rel[48], *text = NULL;
	const char *u;
	int ret;

	memset(p, 0, sizeof(*p));
	p->pid = pid;
	snprintf(rel, sizeof(rel), "%d/status", pid);
	ret = util_read_at(procfd, rel, PROC_SMALL_MAX, &text, NULL);
	if (ret < 0)
		return ret;
	u = strstr(text, "\nUid:");
	if (!u ||
	    sscanf(u + 5, "%lld %lld %lld %lld", &p->uid[0], &p->uid[1],
		   &p->uid[2], &p->uid[3]) != 4 ||
	    !strstr(text, "\nVmSize:")) {
		free(text);
		return -ESRCH;
	}
	free(text);
	snprintf(rel, sizeof(rel), "%d/comm", pid);
	ret = util_read_at(procfd, rel, PROC_SMALL_MAX, &text, NULL);
	if (ret < 0)
		return ret;
	set_comm(p->comm, sizeof(p->comm), text);
	free(text);
	return 0;
}

/* Add the live user processes among the pids in text (one a line). */
static void add_pids(struct namer *nm, const char *text, struct proc **v,
		     size_t *n, bool *cut)
{
	for (const char *s = text; *s;
	     s = strchr(s, '\n'), s = s ? s + 1 : "") {
		char *end;
		long pid = strtol(s, &end, 10);

		if (end == s || pid <= 0 || pid > INT_MAX)
			continue;
		if (*n == MAX_PROCS || over(nm)) {
			*cut = true;
			return;
		}
		*v = xrealloc(*v, (*n + 1) * sizeof(**v));
		if (read_proc(nm->env->procfd, (int)pid, &(*v)[*n]) == 0)
			(*n)++;
	}
}

static void list_group(struct namer *nm, struct group *g)
{
	char *rel, *text = NULL;

	g->listed = true;
	rel = g->path[1] ? xasprintf("%s/cgroup.procs", g->path + 1)
			 : xstrdup("cgroup.procs");
	g->err = util_read_at(nm->rootfd, rel, PROC_SMALL_MAX, &text, NULL);
	free(rel);
	if (g->err < 0) {
		g->listed = false;
		return;
	}
	add_pids(nm, text, &g->procs, &g->n, &g->truncated);
	free(text);
}

/* Every process in /proc, for the inode search without a cgroup. */
static void list_all(struct namer *nm)
{
	struct strbuf pids = { 0 };
	struct dirent *de;
	int fd = dup(nm->env->procfd);
	DIR *d;

	nm->all_listed = true;
	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d)))
		if (de->d_name[0] >= '1' && de->d_name[0] <= '9')
			strbuf_addf(&pids, "%s\n", de->d_name);
	closedir(d);
	if (pids.s)
		add_pids(nm, pids.s, &nm->all, &nm->n_all, &nm->all_cut);
	strbuf_free(&pids);
}

static struct group *group_of(struct namer *nm, uint64_t id)
{
	for (size_t i = 0; i < nm->n_groups; i++) {
		struct group *g = &nm->groups[i];

		if (g->id != id)
			continue;
		if (!nm->walked)
			walk_cgroups(nm);
		if (g->path && !g->listed && !g->err)
			list_group(nm, g);
		return g;
	}
	return NULL;
}

/*
 * Whether pid holds socket:[inode]: 1, 0, or -errno when its descriptors
 * are not readable (EACCES) or the budget ran out (ETIME).
 */
static int holds(int procfd, int pid, uint32_t inode, struct fd_search *s)
{
	char rel[32], want[32], got[64];
	struct dirent *de;
	int fd, ret = 0;
	DIR *d;

	snprintf(rel, sizeof(rel), "%d/fd", pid);
	fd = openat(procfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	d = fdopendir(fd);
	if (!d) {
		ret = -errno;
		close(fd);
		return ret;
	}
	snprintf(want, sizeof(want), "socket:[%u]", inode);
	while ((de = readdir(d))) {
		ssize_t n;

		if (de->d_name[0] == '.')
			continue;
		if (s->fds_read >= s->fds_left || now() > s->deadline) {
			s->out_of_budget = true;
			ret = -ETIME;
			break;
		}
		s->fds_read++;
		n = readlinkat(dirfd(d), de->d_name, got, sizeof(got) - 1);
		if (n < 0) {
			if (errno == EACCES || errno == EPERM) {
				ret = -EACCES;
				break;
			}
			continue; /* closed meanwhile */
		}
		got[n] = '\0';
		if (!strcmp(got, want)) {
			ret = 1;
			break;
		}
	}
	closedir(d);
	return ret;
}

int owner_find_inode(int procfd, const int *pids, size_t n, uint32_t inode,
		     struct fd_search *s)
{
	s->fds_read = 0;
	s->refused = 0;
	s->out_of_budget = false;
	for (size_t i = 0; i < n; i++) {
		int r = holds(procfd, pids[i], inode, s);

		if (r == 1)
			return (int)i;
		if (r == -ETIME)
			return -1;
		if (r < 0 && !s->refused)
			s->refused = pids[i];
	}
	return -1;
}

/*
 * The inode among procs, by twtune itself or its helper: the index, -1
 * when no readable process has it (why in s), -2 when the helper failed.
 */
static int find_inode(struct namer *nm, const struct proc *procs, size_t n,
		      uint32_t inode, struct fd_search *s)
{
	int *pids = xcalloc(n + 1, sizeof(*pids)), r;

	for (size_t i = 0; i < n; i++)
		pids[i] = procs[i].pid;
	s->fds_left = nm->fds_read < MAX_FDS ? MAX_FDS - nm->fds_read : 0;
	s->deadline = nm->deadline;
	if (nm->env->find)
		r = nm->env->find(nm->env->find_ctx, pids, n, inode, s);
	else
		r = owner_find_inode(nm->env->procfd, pids, n, inode, s);
	free(pids);
	nm->fds_read += s->fds_read;
	if (s->out_of_budget)
		nm->out_of_time = true;
	return r;
}

/* ---- names ---------------------------------------------------------- */

static void unit_from(const char *cgroup_text, char *out, size_t size)
{
	struct cg_identity id;

	out[0] = '\0';
	if (cgname_parse(cgroup_text, &id) < 0)
		return;
	/* a long name is cut, never an error */
	if (id.container[0] &&
	    snprintf(out, size, "%s container %s%s%s",
		     cgname_runtime_name(id.runtime), id.container,
		     id.pod[0] ? ", pod " : "", id.pod) >= (int)size)
		return;
	if (!id.container[0])
		snprintf(out, size, "%s", id.unit);
}

/* The unit of pid from its /proc/PID/cgroup, else of the group's path. */
static void set_unit(struct namer *nm, struct sock_cause *c, int pid,
		     const struct group *g)
{
	char rel[48], *text = NULL;

	if (pid > 0) {
		snprintf(rel, sizeof(rel), "%d/cgroup", pid);
		if (util_read_at(nm->env->procfd, rel, PROC_SMALL_MAX, &text,
				 NULL) == 0) {
			unit_from(text, c->unit, sizeof(c->unit));
			free(text);
			return;
		}
	}
	if (g && g->path) {
		text = xasprintf("0::%s\n", g->path);
		unit_from(text, c->unit, sizeof(c->unit));
		free(text);
	}
}

/* The owner with the most sockets, or NULL. */
static const struct sock_owner *primary(const struct sock_cause *c)
{
	const struct sock_owner *best = NULL;

	for (size_t i = 0; i < c->n_owners; i++)
		if (!best || c->owners[i].sockets > best->sockets)
			best = &c->owners[i];
	return best;
}

static bool has_uid(const struct proc *p, uint32_t uid)
{
	for (int i = 0; i < 4; i++)
		if (p->uid[i] == (long long)uid)
			return true;
	return false;
}

/* Why the inode was not looked for, or not found. */
static void fd_reason(const struct namer *nm, const struct sock_owner *o,
		      int result, const struct fd_search *s, bool searched,
		      char *out, size_t size)
{
	const char *no_helper = nm->env->no_helper;

	if (!o->inode)
		snprintf(out, size, "the socket has no file any more");
	else if (!searched)
		util_textf(
			out, size,
			"Landlock keeps other processes' /proc/PID/fd closed to twtune%s%s",
			no_helper ? ", and it has no helper to look: " : "",
			no_helper ? no_helper : "");
	else if (result == -2)
		snprintf(out, size,
			 "twtune's helper failed to search /proc/PID/fd");
	else if (s->out_of_budget)
		snprintf(out, size,
			 "the search of /proc/PID/fd ran out of its budget");
	else if (s->refused && nm->env->find)
		snprintf(out, size,
			 "/proc/%d/fd is not readable even to twtune's helper",
			 s->refused);
	else if (s->refused)
		snprintf(
			out, size,
			"/proc/%d/fd is not readable without CAP_SYS_PTRACE, which twtune does not keep",
			s->refused);
	else
		snprintf(out, size, "no process holds the socket now");
}

/*
 * Name c from the processes of its cgroup, g (listed): those running as
 * the socket's user if there are any, else all of them.  One process is
 * named with its pid; several with one comm by that comm.
 */
static void name_by_group(struct sock_cause *c, const struct sock_owner *o,
			  const struct group *g, const char *fd_why)
{
	const char *comms[NAMES_SHOWN];
	const struct proc *one = NULL;
	struct strbuf names = { 0 };
	size_t n = 0, distinct = 0;
	bool any_uid = false;

	for (size_t i = 0; i < g->n; i++)
		any_uid |= has_uid(&g->procs[i], o->uid);
	for (size_t i = 0; i < g->n; i++) {
		const struct proc *p = &g->procs[i];
		size_t k;

		if (any_uid && !has_uid(p, o->uid))
			continue;
		for (k = 0; k < distinct && k < NAMES_SHOWN; k++)
			if (!strcmp(comms[k], p->comm))
				break;
		if (k == distinct || k == NAMES_SHOWN) {
			if (distinct < NAMES_SHOWN)
				comms[distinct] = p->comm;
			distinct++;
		}
		one = one ? one : p;
		n++;
	}
	for (size_t k = 0; k < distinct && k < NAMES_SHOWN; k++)
		strbuf_addf(&names, "%s%s", k ? ", " : "", comms[k]);
	if (!n)
		util_textf(c->how, sizeof(c->how),
			   "not named: no process in cgroup %s now; %s",
			   g->path, fd_why);
	else if (n == 1)
		util_textf(c->how, sizeof(c->how),
			   "the only process%s in cgroup %s",
			   any_uid ? " of the socket's user" : "", g->path);
	else if (distinct == 1)
		util_textf(c->how, sizeof(c->how),
			   "%zu%s processes named %s in cgroup %s; %s", n,
			   g->truncated ? "+" : "", one->comm, g->path, fd_why);
	else
		util_textf(
			c->how, sizeof(c->how),
			"not named: %zu%s processes%s in cgroup %s (%s%s); %s",
			n, g->truncated ? "+" : "",
			any_uid ? " of the socket's user" : "", g->path,
			names.s, distinct > NAMES_SHOWN ? ", ..." : "", fd_why);
	if (n && distinct == 1)
		snprintf(c->process, sizeof(c->process), "%s", one->comm);
	if (n == 1)
		c->pid = one->pid;
	strbuf_free(&names);
}

static void name_cause(struct namer *nm, struct sock_cause *c)
{
	const struct sock_owner *o = primary(c);
	const struct proc *procs = NULL;
	struct group *g = NULL;
	char fd_why[320] = "";
	struct fd_search s = { 0 };
	bool searched = false;
	size_t n = 0;
	int hit = -1;

	if (!o) {
		if (!c->owners_checked)
			util_textf(c->how, sizeof(c->how),
				   "not named: its %s could not be dumped",
				   c->outgoing ? "connections" : "listeners");
		else if (c->outgoing)
			util_textf(
				c->how, sizeof(c->how),
				"not named: no connection to it is open now");
		else
			util_textf(c->how, sizeof(c->how),
				   "not named: nothing listens on port %u now",
				   c->port);
		return;
	}
	if (o->cgroup)
		g = group_of(nm, o->cgroup);
	if (g && g->listed) {
		procs = g->procs;
		n = g->n;
	}
	/*
	 * The socket itself, where other processes' descriptors are open to
	 * twtune, or to its helper.
	 */
	if ((nm->env->find || !nm->env->sandboxed) && o->inode) {
		if (!procs) {
			if (!nm->all_listed)
				list_all(nm);
			procs = nm->all;
			n = nm->n_all;
		}
		hit = find_inode(nm, procs, n, o->inode, &s);
		searched = true;
	}
	if (hit >= 0) {
		snprintf(c->process, sizeof(c->process), "%s", procs[hit].comm);
		c->pid = procs[hit].pid;
		util_textf(c->how, sizeof(c->how),
			   "its socket is in /proc/%d/fd%s", c->pid,
			   nm->env->find ? " (found by twtune's helper)" : "");
		set_unit(nm, c, c->pid, g);
		return;
	}
	fd_reason(nm, o, hit, &s, searched, fd_why, sizeof(fd_why));
	if (hit == -1 && procs && procs == nm->all && nm->all_cut)
		snprintf(
			fd_why, sizeof(fd_why),
			"the search of /proc/PID/fd stopped after %d processes",
			MAX_PROCS);
	if (g && g->listed) {
		name_by_group(c, o, g, fd_why);
		set_unit(nm, c, c->pid, g);
	} else if (!o->cgroup) {
		util_textf(
			c->how, sizeof(c->how),
			"not named: the kernel gave no cgroup with the socket (it does from Linux 5.7) and %s",
			fd_why);
	} else if (!nm->root[0] || nm->rootfd < 0) {
		util_textf(
			c->how, sizeof(c->how),
			"not named: no cgroup2 file system to find cgroup %llu in, and %s",
			(unsigned long long)o->cgroup, fd_why);
	} else if (!g || !g->path) {
		util_textf(c->how, sizeof(c->how),
			   "not named: cgroup %llu is not below %s%s, and %s",
			   (unsigned long long)o->cgroup, nm->root,
			   nm->walk_cut ? " as far as it was searched" : "",
			   fd_why);
	} else {
		util_textf(c->how, sizeof(c->how),
			   "not named: %s%s/cgroup.procs: %s, and %s", nm->root,
			   g->path, strerror(-g->err), fd_why);
		set_unit(nm, c, 0, g);
	}
}

static void want_group(struct namer *nm, uint64_t id)
{
	for (size_t i = 0; i < nm->n_groups; i++)
		if (nm->groups[i].id == id)
			return;
	if (nm->n_groups < ARRAY_SIZE(nm->groups))
		nm->groups[nm->n_groups++].id = id;
}

static void find_root(struct namer *nm)
{
	char *text = NULL;

	nm->rootfd = -1;
	if (nm->env->cgroup_root)
		snprintf(nm->root, sizeof(nm->root), "%s",
			 nm->env->cgroup_root);
	else if (util_read_at(nm->env->procfd, "self/mounts", MOUNTS_FILE_MAX,
			      &text, NULL) < 0 ||
		 owner_cgroup2_mount(text, nm->root, sizeof(nm->root)) < 0)
		nm->root[0] = '\0';
	free(text);
	if (nm->root[0])
		nm->rootfd = open(nm->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

void owner_name_causes(struct sock_stats *st, const struct owner_env *env)
{
	struct namer nm;

	if (!st->n_causes)
		return;
	memset(&nm, 0, sizeof(nm));
	nm.env = env;
	nm.deadline = now() + BUDGET;
	for (size_t i = 0; i < st->n_causes; i++) {
		const struct sock_owner *o = primary(&st->causes[i]);

		if (o && o->cgroup)
			want_group(&nm, o->cgroup);
	}
	find_root(&nm);
	for (size_t i = 0; i < st->n_causes; i++) {
		struct sock_cause *c = &st->causes[i];

		c->process[0] = c->unit[0] = c->how[0] = '\0';
		c->pid = 0;
		name_cause(&nm, c);
		if (c->n_owners > 1) {
			size_t len = strlen(c->how);

			snprintf(
				c->how + len, sizeof(c->how) - len,
				"; the sockets have %zu owners (users or cgroups), this is the busiest",
				c->n_owners);
		}
	}
	for (size_t i = 0; i < nm.n_groups; i++) {
		free(nm.groups[i].path);
		free(nm.groups[i].procs);
	}
	free(nm.all);
	if (nm.rootfd >= 0)
		close(nm.rootfd); /* read-only */
}
