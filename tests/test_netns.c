// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Tests for netns.c on fake /proc and /run trees built in a throwaway
 * directory (a namespace link is a symlink to "net:[INODE]"): every
 * namespace found once across processes, ip netns names, runtime bind
 * mounts and the caller's own; the lowest pid of each namespace is its
 * holder, with its comm and cgroup identity, whatever order readdir gives;
 * exited processes and files that are no namespace are skipped silently;
 * unreadable ones are one warning; the order of the result.  Then the real
 * /proc: the caller's own namespace, and a child's fresh one where the
 * kernel lets the test make one.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "netns.h"
#include "testutil.h"
#include "util.h"

#define ID_A "3f2b7c9a1d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8"

/* A namespace link (or bind-mount stand-in) rel below t -> net:[ino]. */
static void put_link(const struct testdir *t, const char *rel,
		     unsigned long long ino)
{
	char target[64], dir[PATH_MAX];
	const char *slash = strrchr(rel, '/');

	if (slash) {
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - rel), rel);
		assert_int_equal(testdir_mkdirs(t->fd, dir), 0);
	}
	snprintf(target, sizeof(target), "net:[%llu]", ino);
	assert_int_equal(symlinkat(target, t->fd, rel), 0);
}

/* A process: its ns/net link, comm and cgroup (NULL: file left out). */
static void put_proc(const struct testdir *t, int pid, unsigned long long ino,
		     const char *comm, const char *cgroup)
{
	char rel[64];

	snprintf(rel, sizeof(rel), "proc/%d/ns/net", pid);
	put_link(t, rel, ino);
	if (comm) {
		snprintf(rel, sizeof(rel), "proc/%d/comm", pid);
		testdir_put(t->fd, rel, comm);
	}
	if (cgroup) {
		snprintf(rel, sizeof(rel), "proc/%d/cgroup", pid);
		testdir_put(t->fd, rel, cgroup);
	}
}

struct found {
	struct netns_list l;
	struct msgs warn;
	char proc[PATH_MAX + 16];
	char run[PATH_MAX + 16];
};

static void discover(const struct testdir *t, struct found *f)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->proc, sizeof(f->proc), "%s/proc", t->path);
	snprintf(f->run, sizeof(f->run), "%s/run", t->path);
	assert_int_equal(netns_discover(f->proc, f->run, &f->l, &f->warn), 0);
}

static void found_free(struct found *f)
{
	netns_list_free(&f->l);
	msgs_free(&f->warn);
}

static void assert_no_warnings(const struct found *f)
{
	for (size_t i = 0; i < f->warn.n; i++)
		print_error("unexpected warning: %s\n", f->warn.v[i]);
	assert_int_equal(f->warn.n, 0);
}

/* The entry for ino, which must be there exactly once. */
static const struct netns_entry *entry(const struct found *f,
				       unsigned long long ino)
{
	const struct netns_entry *hit = NULL;

	for (size_t i = 0; i < f->l.n; i++) {
		if (f->l.v[i].ino != ino)
			continue;
		if (hit)
			fail_msg("namespace %llu listed twice", ino);
		hit = &f->l.v[i];
	}
	if (!hit)
		fail_msg("namespace %llu not found", ino);
	return hit;
}

static bool listed(const struct found *f, unsigned long long ino)
{
	for (size_t i = 0; i < f->l.n; i++)
		if (f->l.v[i].ino == ino)
			return true;
	return false;
}

static void assert_path(const struct netns_entry *e, const char *prefix,
			const char *rel)
{
	char want[PATH_MAX * 2];

	snprintf(want, sizeof(want), "%s/%s", prefix, rel);
	assert_string_equal(e->path, want);
}

/* ---- the common tree ------------------------------------------------------ */

#define SELF 100
#define DOCKER_NS 1004
#define BLUE 500 /* named, no process in it */
#define RED 1003 /* named, with processes */
#define ROOTLESS 600
#define VAR_RUN_NS 700
#define VAR_RUN_IPNS 701

/*
 * pid 1 in SELF; pids 10..209 spread over 1000..1019 (pid p in 1000 + p %
 * 20), created highest first so that readdir does not hand them over in
 * order; the lowest of each namespace names a container by its cgroup.
 */
static void build_tree(const struct testdir *t)
{
	char comm[32], cg[256];

	put_link(t, "proc/self/ns/net", SELF);
	put_proc(t, 1, SELF, "systemd\n", "0::/init.scope\n");
	for (int pid = 209; pid >= 10; pid--) {
		unsigned long long ino = 1000 + (unsigned long long)(pid % 20);

		snprintf(comm, sizeof(comm), "worker%d\n", pid);
		if (pid < 30)
			snprintf(cg, sizeof(cg),
				 "0::/system.slice/docker-%02d%s.scope\n", pid,
				 ID_A + 2);
		else
			snprintf(cg, sizeof(cg),
				 "0::/system.slice/w.service\n");
		put_proc(t, pid, ino, comm, cg);
	}
	testdir_put(t->fd, "proc/sys/kernel/x", "not a pid\n");
	testdir_put(t->fd, "proc/uptime", "1.0 1.0\n");
	put_link(t, "run/netns/blue", BLUE);
	put_link(t, "run/netns/red", RED);
	put_link(t, "run/docker/netns/" ID_A, DOCKER_NS);
	put_link(t, "run/user/1000/netns/netns-7d1c", ROOTLESS);
	put_link(t, "var/run/docker/netns/0123456789ab", VAR_RUN_NS);
	put_link(t, "var/run/netns/cni-5e2a", VAR_RUN_IPNS);
}

static void every_namespace_once_with_lowest_pid(void **state)
{
	struct testdir *t = *state;
	const struct netns_entry *e;
	struct found f;

	build_tree(t);
	discover(t, &f);
	assert_no_warnings(&f);
	/* SELF, 20 worker namespaces, BLUE, ROOTLESS, VAR_RUN_NS,
	 * VAR_RUN_IPNS */
	assert_int_equal(f.l.n, 25);
	for (unsigned long long ino = 1000; ino < 1020; ino++) {
		int lowest = (int)(ino - 1000);
		char comm[32];

		while (lowest < 10)
			lowest += 20;
		e = entry(&f, ino);
		assert_int_equal(e->pid, lowest);
		snprintf(comm, sizeof(comm), "worker%d", lowest);
		assert_string_equal(e->comm, comm);
		assert_int_equal(e->dev, 0);
		assert_false(e->self);
		if (lowest < 30) {
			assert_int_equal(e->id.runtime, CG_DOCKER);
			assert_int_equal(e->id.container[0], lowest / 10 + '0');
		} else {
			assert_int_equal(e->id.runtime, CG_SYSTEMD_UNIT);
			assert_string_equal(e->id.unit, "w.service");
		}
	}
	found_free(&f);
}

static void self_first_then_named_then_by_inode(void **state)
{
	struct testdir *t = *state;
	const char *names[] = { "blue",
				"cni-5e2a",
				"docker/0123456789ab",
				"docker/" ID_A,
				"red",
				"user/1000/netns-7d1c" };
	struct found f;
	size_t i;

	build_tree(t);
	discover(t, &f);
	assert_true(f.l.v[0].self);
	assert_int_equal(f.l.v[0].ino, SELF);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		assert_non_null(f.l.v[1 + i].name);
		assert_string_equal(f.l.v[1 + i].name, names[i]);
	}
	for (i = 1 + i; i < f.l.n; i++) {
		assert_null(f.l.v[i].name);
		assert_true(f.l.v[i].ino > f.l.v[i - 1].ino ||
			    f.l.v[i - 1].name);
	}
	for (i = 1; i < f.l.n; i++)
		assert_false(f.l.v[i].self);
	found_free(&f);
}

static void self_is_held_by_pid_1(void **state)
{
	struct testdir *t = *state;
	const struct netns_entry *e;
	struct found f;

	build_tree(t);
	discover(t, &f);
	e = entry(&f, SELF);
	assert_true(e->self);
	assert_null(e->name);
	assert_int_equal(e->pid, 1);
	assert_string_equal(e->comm, "systemd");
	assert_string_equal(e->id.unit, "init.scope");
	assert_path(e, f.proc, "1/ns/net");
	found_free(&f);
}

static void named_without_process_opens_by_its_name(void **state)
{
	struct testdir *t = *state;
	const struct netns_entry *e;
	struct found f;

	build_tree(t);
	discover(t, &f);
	e = entry(&f, BLUE);
	assert_string_equal(e->name, "blue");
	assert_int_equal(e->pid, 0);
	assert_string_equal(e->comm, "");
	assert_int_equal(e->id.runtime, CG_NONE);
	assert_path(e, f.run, "netns/blue");
	found_free(&f);
}

static void named_with_processes_keeps_name_path_and_gets_holder(void **state)
{
	struct testdir *t = *state;
	const struct netns_entry *e;
	struct found f;

	build_tree(t);
	discover(t, &f);
	e = entry(&f, RED);
	assert_string_equal(e->name, "red");
	assert_int_equal(e->pid, 23);
	assert_string_equal(e->comm, "worker23");
	assert_int_equal(e->id.runtime, CG_DOCKER);
	assert_path(e, f.run, "netns/red");
	found_free(&f);
}

static void runtime_bind_mounts_are_named(void **state)
{
	struct testdir *t = *state;
	const struct netns_entry *e;
	struct found f;

	build_tree(t);
	discover(t, &f);
	e = entry(&f, DOCKER_NS);
	assert_string_equal(e->name, "docker/" ID_A);
	assert_int_equal(e->pid, 24);
	assert_path(e, f.run, "docker/netns/" ID_A);
	e = entry(&f, ROOTLESS);
	assert_string_equal(e->name, "user/1000/netns-7d1c");
	assert_path(e, f.run, "user/1000/netns/netns-7d1c");
	e = entry(&f, VAR_RUN_NS);
	assert_string_equal(e->name, "docker/0123456789ab");
	/* /var/run/netns too, where /var/run is not a link to /run */
	e = entry(&f, VAR_RUN_IPNS);
	assert_string_equal(e->name, "cni-5e2a");
	found_free(&f);
}

/* One namespace in several places: one entry, the /run/netns name. */
static void duplicates_across_sources_are_one_entry(void **state)
{
	struct testdir *t = *state;
	const struct netns_entry *e;
	struct found f;

	build_tree(t);
	put_link(t, "run/netns/cni-4f1e", DOCKER_NS);
	put_link(t, "run/user/1000/netns/netns-dup", DOCKER_NS);
	put_link(t, "var/run/docker/netns/again", DOCKER_NS);
	put_link(t, "run/docker/netns/default", SELF);
	discover(t, &f);
	assert_no_warnings(&f);
	assert_int_equal(f.l.n, 25);
	e = entry(&f, DOCKER_NS);
	assert_string_equal(e->name, "cni-4f1e");
	assert_path(e, f.run, "netns/cni-4f1e");
	/* Docker's bind mount of the host's namespace names the caller's own */
	e = entry(&f, SELF);
	assert_true(e->self);
	assert_string_equal(e->name, "docker/default");
	assert_int_equal(e->pid, 1);
	assert_int_equal(f.l.v[0].ino, SELF);
	found_free(&f);
}

static void exited_processes_are_skipped_silently(void **state)
{
	struct testdir *t = *state;
	const struct netns_entry *e;
	struct found f;

	put_link(t, "proc/self/ns/net", SELF);
	/* gone before its link was read */
	assert_int_equal(testdir_mkdirs(t->fd, "proc/5"), 0);
	/* gone between the link and comm: the next pid holds the namespace */
	put_proc(t, 6, 2000, NULL, NULL);
	put_proc(t, 7, 2000, "late\n", "0::/system.slice/late.service\n");
	/* gone between comm and cgroup */
	put_proc(t, 8, 3000, "half\n", NULL);
	/* its only process gone: the namespace is gone too */
	put_proc(t, 9, 4000, NULL, NULL);
	discover(t, &f);
	assert_no_warnings(&f);
	e = entry(&f, 2000);
	assert_int_equal(e->pid, 7);
	assert_string_equal(e->comm, "late");
	assert_string_equal(e->id.unit, "late.service");
	assert_path(e, f.proc, "7/ns/net");
	assert_false(listed(&f, 3000));
	assert_false(listed(&f, 4000));
	assert_int_equal(f.l.n, 2);
	found_free(&f);
}

static void files_that_are_no_namespace_are_skipped(void **state)
{
	struct testdir *t = *state;
	struct found f;

	put_link(t, "proc/self/ns/net", SELF);
	/* ip netns delete leaves such a file when its umount failed */
	testdir_put(t->fd, "run/netns/leftover", "");
	assert_int_equal(symlinkat("mnt:[7]", t->fd, "run/netns/other"), 0);
	assert_int_equal(testdir_mkdirs(t->fd, "run/netns/subdir"), 0);
	testdir_put(t->fd, "run/user/notauid/netns/x", "");
	put_link(t, "run/user/notauid/netns/y", 9999);
	discover(t, &f);
	assert_no_warnings(&f);
	assert_int_equal(f.l.n, 1);
	found_free(&f);
}

static void non_pid_names_in_proc_are_ignored(void **state)
{
	struct testdir *t = *state;
	struct found f;

	put_link(t, "proc/self/ns/net", SELF);
	put_proc(t, 42, 5000, "ok\n", "0::/\n");
	put_link(t, "proc/042/ns/net", 5001);
	put_link(t, "proc/0/ns/net", 5002);
	put_link(t, "proc/99999999999/ns/net", 5003);
	put_link(t, "proc/12ab/ns/net", 5004);
	discover(t, &f);
	assert_no_warnings(&f);
	assert_int_equal(f.l.n, 2);
	assert_int_equal(entry(&f, 5000)->pid, 42);
	found_free(&f);
}

static void malformed_link_text_is_one_warning(void **state)
{
	struct testdir *t = *state;
	struct found f;

	put_link(t, "proc/self/ns/net", SELF);
	testdir_mkdirs(t->fd, "proc/70/ns");
	assert_int_equal(symlinkat("net:[12x]", t->fd, "proc/70/ns/net"), 0);
	testdir_mkdirs(t->fd, "proc/71/ns");
	assert_int_equal(symlinkat("net:[99999999999999999999999]", t->fd,
				   "proc/71/ns/net"),
			 0);
	discover(t, &f);
	assert_int_equal(f.l.n, 1);
	assert_int_equal(f.warn.n, 1);
	assert_contains(f.warn.v[0], "/proc/70/ns/net");
	assert_contains(f.warn.v[0], "Invalid argument");
	assert_contains(f.warn.v[0], "2 unreadable in all");
	found_free(&f);
}

static void trailing_slashes_in_prefixes_are_fine(void **state)
{
	struct testdir *t = *state;
	struct netns_list l;
	struct msgs warn = { 0 };
	char proc[PATH_MAX + 16], run[PATH_MAX + 16];

	build_tree(t);
	snprintf(proc, sizeof(proc), "%s/proc//", t->path);
	snprintf(run, sizeof(run), "%s/run/", t->path);
	assert_int_equal(netns_discover(proc, run, &l, &warn), 0);
	assert_int_equal(l.n, 25);
	assert_int_equal(warn.n, 0);
	for (size_t i = 0; i < l.n; i++)
		assert_null(strstr(l.v[i].path, "//"));
	netns_list_free(&l);
}

static void missing_run_is_fine(void **state)
{
	struct testdir *t = *state;
	struct found f;

	put_link(t, "proc/self/ns/net", SELF);
	put_proc(t, 3, 7000, "x\n", "0::/\n");
	discover(t, &f);
	assert_no_warnings(&f);
	assert_int_equal(f.l.n, 2);
	found_free(&f);
}

static void missing_proc_or_self_is_an_error(void **state)
{
	struct testdir *t = *state;
	struct netns_list l = { (struct netns_entry *)&l, 99 };
	char proc[PATH_MAX + 16];

	snprintf(proc, sizeof(proc), "%s/proc", t->path);
	assert_int_equal(netns_discover(proc, NULL, &l, NULL), -ENOENT);
	assert_null(l.v);
	assert_int_equal(l.n, 0);
	put_proc(t, 1, SELF, "init\n", "0::/\n");
	assert_int_equal(netns_discover(proc, NULL, &l, NULL), -ENOENT);
	assert_int_equal(l.n, 0);
	testdir_put(t->fd, "proc/self/ns/net", "not a link");
	assert_int_equal(netns_discover(proc, NULL, &l, NULL), -EINVAL);
	assert_int_equal(l.n, 0);
}

/*
 * Unreadable entries: one warning with the count.  As root DAC does not
 * stop reads, so a child drops to nobody to look (no privilege change in
 * the code under test: only in the test's own child).
 */
static void unreadable_entries_are_one_warning(void **state)
{
	struct testdir *t = *state;
	pid_t child;
	int status;

	put_link(t, "proc/self/ns/net", SELF);
	put_proc(t, 20, 8000, "a\n", "0::/\n");
	put_proc(t, 21, 8001, "b\n", "0::/\n");
	put_proc(t, 22, 8002, "c\n", "0::/\n");
	put_proc(t, 23, 8003, "d\n", "0::/\n");
	put_link(t, "run/netns/fine", 8100);
	assert_int_equal(testdir_mkdirs(t->fd, "run/user/1000/netns"), 0);
	assert_int_equal(fchmod(t->fd, 0755), 0);
	assert_int_equal(fchmodat(t->fd, "proc/21/ns", 0, 0), 0);
	assert_int_equal(fchmodat(t->fd, "proc/22/ns", 0, 0), 0);
	assert_int_equal(fchmodat(t->fd, "run/user/1000/netns", 0, 0), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		struct netns_list l;
		struct msgs warn = { 0 };
		char proc[PATH_MAX + 16], run[PATH_MAX + 16];
		int ok;

		if (geteuid() == 0 && (setgroups(0, NULL) < 0 ||
				       setresgid(65534, 65534, 65534) < 0 ||
				       setresuid(65534, 65534, 65534) < 0))
			_exit(3);
		snprintf(proc, sizeof(proc), "%s/proc", t->path);
		snprintf(run, sizeof(run), "%s/run", t->path);
		if (netns_discover(proc, run, &l, &warn) < 0)
			_exit(4);
		for (size_t i = 0; i < warn.n; i++)
			fprintf(stderr, "warning: %s\n", warn.v[i]);
		/* SELF, 8000, 8003, fine; 8001 and 8002 not seen */
		ok = l.n == 4 && warn.n == 1 &&
		     strstr(warn.v[0], "Permission denied") &&
		     strstr(warn.v[0], "3 unreadable in all") &&
		     strstr(warn.v[0], "run as root");
		_exit(ok ? 0 : 5);
	}
	assert_int_equal(waitpid(child, &status, 0), child);
	fchmodat(t->fd, "proc/21/ns", 0755, 0);
	fchmodat(t->fd, "proc/22/ns", 0755, 0);
	fchmodat(t->fd, "run/user/1000/netns", 0755, 0);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- the real /proc ---------------------------------------------------------
 */

static void real_proc_lists_own_namespace_first(void **state)
{
	struct netns_list l;
	struct msgs warn = { 0 };
	struct stat st;

	(void)state;
	assert_int_equal(stat("/proc/self/ns/net", &st), 0);
	assert_int_equal(netns_discover(NULL, NULL, &l, &warn), 0);
	assert_true(l.n >= 1);
	assert_true(l.v[0].self);
	assert_int_equal(l.v[0].ino, (unsigned long long)st.st_ino);
	assert_int_equal(l.v[0].dev, (unsigned long long)st.st_dev);
	assert_true(l.v[0].pid > 0);
	for (size_t i = 0; i < l.n; i++) {
		assert_int_equal(l.v[i].dev, (unsigned long long)st.st_dev);
		for (size_t j = i + 1; j < l.n; j++)
			assert_true(l.v[i].ino != l.v[j].ino);
	}
	netns_list_free(&l);
	msgs_free(&warn);
}

/* A child alone in a fresh namespace is that namespace's holder. */
static void real_child_in_new_namespace_is_found(void **state)
{
	int ready[2], hold[2];
	struct netns_list l;
	struct stat st;
	char path[64], c;
	pid_t child;
	bool seen = false;

	(void)state;
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(hold), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		char r = unshare(CLONE_NEWNET) == 0 ? 'y' : 'n';

		close(ready[0]);
		close(hold[1]);
		/* a name of its own, also under valgrind */
		prctl(PR_SET_NAME, "nstest-child", 0, 0, 0);
		if (write(ready[1], &r, 1) != 1)
			_exit(1);
		/* until the parent closes its end */
		(void)read(hold[0], &c, 1);
		_exit(0);
	}
	close(ready[1]);
	close(hold[0]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	close(ready[0]);
	if (c != 'y') {
		close(hold[1]);
		waitpid(child, NULL, 0);
		skip();
	}
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)child);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(netns_discover(NULL, NULL, &l, NULL), 0);
	for (size_t i = 0; i < l.n; i++) {
		if (l.v[i].ino != (unsigned long long)st.st_ino)
			continue;
		assert_false(seen);
		seen = true;
		assert_int_equal(l.v[i].pid, child);
		assert_string_equal(l.v[i].comm, "nstest-child");
		assert_false(l.v[i].self);
		assert_string_equal(l.v[i].path, path);
	}
	netns_list_free(&l);
	close(hold[1]);
	assert_int_equal(waitpid(child, NULL, 0), child);
	assert_true(seen);
}

#define T(f) cmocka_unit_test_setup_teardown(f, testdir_setup, testdir_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(every_namespace_once_with_lowest_pid),
		T(self_first_then_named_then_by_inode),
		T(self_is_held_by_pid_1),
		T(named_without_process_opens_by_its_name),
		T(named_with_processes_keeps_name_path_and_gets_holder),
		T(runtime_bind_mounts_are_named),
		T(duplicates_across_sources_are_one_entry),
		T(exited_processes_are_skipped_silently),
		T(files_that_are_no_namespace_are_skipped),
		T(non_pid_names_in_proc_are_ignored),
		T(malformed_link_text_is_one_warning),
		T(trailing_slashes_in_prefixes_are_fine),
		T(missing_run_is_fine),
		T(missing_proc_or_self_is_an_error),
		T(unreadable_entries_are_one_warning),
		cmocka_unit_test(real_proc_lists_own_namespace_first),
		cmocka_unit_test(real_child_in_new_namespace_is_found),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
