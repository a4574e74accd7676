// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for owner.c on a fake /proc and a fake cgroup2 tree built in
 * a temporary directory (a cgroup's id is its directory's inode number,
 * as on kernfs): a process alone in its cgroup is named with its pid and
 * unit (a container by its runtime and id); the socket's user picks one
 * process among several; several with one comm are named by it without a
 * pid; several with different comms are not named, and the reason says
 * so, naming Landlock when twtune is confined; outside a sandbox the
 * socket inode found in /proc/PID/fd names the process, with or without
 * a cgroup; kernel threads are never candidates; a cgroup id not found,
 * no cgroup id, and no owner at all each give their reason; and the
 * cgroup2 mount is found in /proc/self/mounts with its escapes undone.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "owner.h"
#include "testutil.h"

#define DOCKER_ID                                                              \
	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void contains(const char *text, const char *want)
{
	if (!strstr(text, want))
		fail_msg("no \"%s\" in \"%s\"", want, text);
}

/* A user process in the fake /proc (uid for all four ids). */
static void proc(struct testdir *t, int pid, const char *comm, int uid,
		 const char *cgroup)
{
	char rel[64], text[256];

	snprintf(rel, sizeof(rel), "proc/%d/status", pid);
	snprintf(text, sizeof(text),
		 "Name:\t%s\nUmask:\t0022\nState:\tS (sleeping)\n"
		 "Uid:\t%d\t%d\t%d\t%d\nGid:\t0\t0\t0\t0\n"
		 "VmSize:\t    2000 kB\n",
		 comm, uid, uid, uid, uid);
	testdir_put(t->fd, rel, text);
	snprintf(rel, sizeof(rel), "proc/%d/comm", pid);
	snprintf(text, sizeof(text), "%s\n", comm);
	testdir_put(t->fd, rel, text);
	snprintf(rel, sizeof(rel), "proc/%d/cgroup", pid);
	snprintf(text, sizeof(text), "0::%s\n", cgroup);
	testdir_put(t->fd, rel, text);
	snprintf(rel, sizeof(rel), "proc/%d/fd", pid);
	assert_int_equal(testdir_mkdirs(t->fd, rel), 0);
}

/* An open descriptor of pid: a link like /proc/PID/fd/N's. */
static void fd_link(struct testdir *t, int pid, int fd, const char *target)
{
	char rel[64];

	snprintf(rel, sizeof(rel), "proc/%d/fd/%d", pid, fd);
	assert_int_equal(symlinkat(target, t->fd, rel), 0);
}

/* A cgroup holding pids ("100\n101\n"); returns its id. */
static uint64_t cgroup(struct testdir *t, const char *path, const char *pids)
{
	char rel[PATH_MAX];
	struct stat st;

	snprintf(rel, sizeof(rel), "cg%s/cgroup.procs", path);
	testdir_put(t->fd, rel, pids);
	snprintf(rel, sizeof(rel), "cg%s", path);
	assert_int_equal(fstatat(t->fd, rel, &st, 0), 0);
	return (uint64_t)st.st_ino;
}

struct fixture {
	struct testdir *t;
	struct sock_stats st;
	struct owner_env env;
	char root[PATH_MAX + 8];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	void *td = NULL;

	if (!f || testdir_setup(&td) < 0)
		return -1;
	f->t = td;
	assert_int_equal(testdir_mkdirs(f->t->fd, "proc"), 0);
	assert_int_equal(testdir_mkdirs(f->t->fd, "cg"), 0);
	snprintf(f->root, sizeof(f->root), "%s/cg", f->t->path);
	f->env.procfd = openat(f->t->fd, "proc", O_RDONLY | O_DIRECTORY);
	assert_true(f->env.procfd >= 0);
	f->env.cgroup_root = f->root;
	f->env.sandboxed = true;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	void *td = f->t;

	close(f->env.procfd);
	free(f);
	return testdir_teardown(&td);
}

/* A cause with one owner socket; listening or outgoing as asked. */
static struct sock_cause *cause(struct fixture *f, bool outgoing,
				uint32_t inode, uint32_t uid, uint64_t cg)
{
	struct sock_cause *c = &f->st.causes[f->st.n_causes++];

	c->outgoing = outgoing;
	c->port = outgoing ? 5432 : 8080;
	c->listening = !outgoing;
	c->owners_checked = true;
	c->time_wait = 10;
	c->sockets = 1;
	c->n_owners = 1;
	c->owners[0] = (struct sock_owner){
		.inode = inode, .uid = uid, .cgroup = cg, .sockets = 1
	};
	return c;
}

static void alone_in_its_cgroup_is_named_with_pid_and_unit(void **state)
{
	struct fixture *f = *state;
	uint64_t id = cgroup(f->t, "/system.slice/shopfront.service", "100\n");
	struct sock_cause *c;

	cgroup(f->t, "/system.slice/other.service", "");
	proc(f->t, 100, "shopfront", 0, "/system.slice/shopfront.service");
	c = cause(f, false, 4242, 0, id);
	owner_name_causes(&f->st, &f->env);
	assert_string_equal(c->process, "shopfront");
	assert_int_equal(c->pid, 100);
	assert_string_equal(c->unit, "shopfront.service");
	contains(c->how, "the only process");
	contains(c->how, "/system.slice/shopfront.service");
}

static void a_container_is_named_by_runtime_and_id(void **state)
{
	struct fixture *f = *state;
	const char *path = "/system.slice/docker-" DOCKER_ID ".scope";
	uint64_t id = cgroup(f->t, path, "200\n");
	struct sock_cause *c;

	proc(f->t, 200, "billing", 1000, path);
	c = cause(f, true, 1, 1000, id);
	owner_name_causes(&f->st, &f->env);
	assert_string_equal(c->process, "billing");
	assert_int_equal(c->pid, 200);
	assert_string_equal(c->unit, "docker container 0123456789ab");
}

static void the_sockets_user_picks_one_process(void **state)
{
	struct fixture *f = *state;
	uint64_t id = cgroup(f->t, "/billing.scope", "300\n301\n");
	struct sock_cause *c;

	proc(f->t, 300, "billing", 65534, "/billing.scope");
	proc(f->t, 301, "sleep", 0, "/billing.scope");
	c = cause(f, true, 1, 65534, id);
	owner_name_causes(&f->st, &f->env);
	assert_string_equal(c->process, "billing");
	assert_int_equal(c->pid, 300);
	contains(c->how, "the only process of the socket's user");
}

static void several_with_one_comm_are_named_without_a_pid(void **state)
{
	struct fixture *f = *state;
	uint64_t id = cgroup(f->t, "/system.slice/nginx.service", "400\n401\n");
	struct sock_cause *c;

	proc(f->t, 400, "nginx", 0, "/system.slice/nginx.service");
	proc(f->t, 401, "nginx", 0, "/system.slice/nginx.service");
	c = cause(f, false, 1, 0, id);
	owner_name_causes(&f->st, &f->env);
	assert_string_equal(c->process, "nginx");
	assert_int_equal(c->pid, 0);
	assert_string_equal(c->unit, "nginx.service");
	contains(c->how, "2 processes named nginx");
	contains(c->how, "Landlock");
}

static void different_comms_are_not_named_and_say_why(void **state)
{
	struct fixture *f = *state;
	uint64_t id = cgroup(f->t, "/user.slice/user-0.slice/session-1.scope",
			     "500\n501\n502\n");
	struct sock_cause *c;

	proc(f->t, 500, "bash", 0, "/user.slice/user-0.slice/session-1.scope");
	proc(f->t, 501, "make", 0, "/user.slice/user-0.slice/session-1.scope");
	/* a kernel thread or a zombie: no memory, never a candidate */
	testdir_put(f->t->fd, "proc/502/status",
		    "Name:\tkworker/0:1\nUid:\t0\t0\t0\t0\n");
	testdir_put(f->t->fd, "proc/502/comm", "kworker/0:1\n");
	c = cause(f, false, 1, 0, id);
	owner_name_causes(&f->st, &f->env);
	assert_string_equal(c->process, "");
	assert_int_equal(c->pid, 0);
	assert_string_equal(c->unit, "session-1.scope");
	contains(c->how, "not named: 2 processes");
	contains(c->how, "(bash, make)");
	contains(c->how, "Landlock keeps other processes' /proc/PID/fd closed");
}

static void outside_a_sandbox_the_inode_names_the_process(void **state)
{
	struct fixture *f = *state;
	uint64_t id = cgroup(f->t, "/shared.scope", "600\n601\n");
	struct sock_cause *c;

	proc(f->t, 600, "bash", 0, "/shared.scope");
	proc(f->t, 601, "kiosk", 0, "/shared.scope");
	fd_link(f->t, 600, 0, "/dev/null");
	fd_link(f->t, 601, 3, "socket:[776]");
	fd_link(f->t, 601, 4, "socket:[777]");
	c = cause(f, false, 777, 0, id);
	f->env.sandboxed = false;
	owner_name_causes(&f->st, &f->env);
	assert_string_equal(c->process, "kiosk");
	assert_int_equal(c->pid, 601);
	assert_string_equal(c->unit, "shared.scope");
	contains(c->how, "its socket is in /proc/601/fd");
}

static void without_a_cgroup_every_process_is_searched(void **state)
{
	struct fixture *f = *state;
	struct sock_cause *c;

	proc(f->t, 700, "sshd", 0, "/");
	proc(f->t, 701, "legacy", 0, "/system.slice/legacy.service");
	fd_link(f->t, 701, 7, "socket:[4242]");
	c = cause(f, false, 4242, 0, 0); /* a kernel before 5.7 */
	f->env.sandboxed = false;
	owner_name_causes(&f->st, &f->env);
	assert_string_equal(c->process, "legacy");
	assert_int_equal(c->pid, 701);
	assert_string_equal(c->unit, "legacy.service");
	/* sandboxed, the same gives a reason instead */
	f->env.sandboxed = true;
	owner_name_causes(&f->st, &f->env);
	assert_string_equal(c->process, "");
	contains(c->how, "the kernel gave no cgroup with the socket");
	contains(c->how, "Landlock");
}

static void unreadable_descriptors_are_said(void **state)
{
	struct fixture *f = *state;
	uint64_t id = cgroup(f->t, "/two.scope", "800\n801\n");
	struct sock_cause *c;

	proc(f->t, 800, "a", 0, "/two.scope");
	proc(f->t, 801, "b", 0, "/two.scope");
	c = cause(f, false, 99, 0, id);
	f->env.sandboxed = false;
	if (geteuid() == 0) {
		/* root reads any mode: no process has the inode */
		owner_name_causes(&f->st, &f->env);
		contains(c->how, "no process holds the socket now");
		return;
	}
	{
		char p[PATH_MAX + 16];

		snprintf(p, sizeof(p), "%s/proc/800/fd", f->t->path);
		assert_int_equal(chmod(p, 0), 0);
		owner_name_causes(&f->st, &f->env);
		contains(c->how, "/proc/800/fd is not readable without "
				 "CAP_SYS_PTRACE");
		assert_int_equal(chmod(p, 0755), 0);
	}
}

static void missing_cgroup_and_missing_owner_give_reasons(void **state)
{
	struct fixture *f = *state;
	struct sock_cause *c1, *c2, *c3, *c4;

	c1 = cause(f, false, 1, 0, 999999999);
	c2 = cause(f, false, 0, 0, 0);
	c2->n_owners = 0;
	c2->listening = false;
	c3 = cause(f, true, 0, 0, 0);
	c3->n_owners = 0;
	c4 = cause(f, true, 0, 0, 0);
	c4->n_owners = 0;
	c4->owners_checked = false;
	owner_name_causes(&f->st, &f->env);
	contains(c1->how, "cgroup 999999999 is not below");
	contains(c2->how, "nothing listens on port 8080 now");
	contains(c3->how, "no connection to it is open now");
	contains(c4->how, "its connections could not be dumped");
	for (size_t i = 0; i < f->st.n_causes; i++) {
		assert_string_equal(f->st.causes[i].process, "");
		assert_int_equal(f->st.causes[i].pid, 0);
	}
}

static void several_owners_are_counted_in_the_reason(void **state)
{
	struct fixture *f = *state;
	uint64_t id = cgroup(f->t, "/a.service", "900\n");
	struct sock_cause *c;

	proc(f->t, 900, "a", 0, "/a.service");
	c = cause(f, false, 1, 0, id);
	c->owners[1] = (struct sock_owner){
		.inode = 2, .uid = 5, .cgroup = 12345, .sockets = 3
	};
	c->n_owners = 2;
	owner_name_causes(&f->st, &f->env);
	/* the busiest owner is the second one, in no cgroup found */
	assert_string_equal(c->process, "");
	contains(c->how, "the sockets have 2 owners");
}

/* A stand-in for twtune's helper: what it was asked, and the same search. */
struct fake_helper {
	int procfd, calls, result; /* result: -2 to fail, else search */
	int pids[8];
	size_t n;
	uint32_t inode;
	size_t fds_left;
};

static int fake_find(void *ctx, const int *pids, size_t n, uint32_t inode,
		     struct fd_search *s)
{
	struct fake_helper *h = ctx;

	h->calls++;
	h->n = n;
	h->inode = inode;
	h->fds_left = s->fds_left;
	for (size_t i = 0; i < n && i < 8; i++)
		h->pids[i] = pids[i];
	if (h->result == -2)
		return -2;
	return owner_find_inode(h->procfd, pids, n, inode, s);
}

static void under_landlock_the_helper_searches(void **state)
{
	struct fixture *f = *state;
	uint64_t id = cgroup(f->t, "/shared.scope", "600\n601\n");
	struct fake_helper h = { .procfd = f->env.procfd };
	struct sock_cause *c;

	proc(f->t, 600, "bash", 0, "/shared.scope");
	proc(f->t, 601, "kiosk", 1000, "/shared.scope");
	fd_link(f->t, 601, 4, "socket:[777]");
	c = cause(f, false, 777, 0, id);
	f->env.find = fake_find;
	f->env.find_ctx = &h;
	owner_name_causes(&f->st, &f->env);
	/* asked once, for the cgroup's processes, within the whole budget */
	assert_int_equal(h.calls, 1);
	assert_int_equal(h.n, 2);
	assert_int_equal(h.pids[0], 600);
	assert_int_equal(h.pids[1], 601);
	assert_int_equal(h.inode, 777);
	assert_int_equal(h.fds_left, 200000);
	assert_string_equal(c->process, "kiosk");
	assert_int_equal(c->pid, 601);
	assert_string_equal(c->how,
			    "its socket is in /proc/601/fd (found by twtune's "
			    "helper)");
}

static void a_failing_helper_is_said(void **state)
{
	struct fixture *f = *state;
	uint64_t id = cgroup(f->t, "/shared.scope", "600\n601\n");
	struct fake_helper h = { .procfd = f->env.procfd, .result = -2 };
	struct sock_cause *c;

	proc(f->t, 600, "bash", 0, "/shared.scope");
	proc(f->t, 601, "kiosk", 0, "/shared.scope");
	fd_link(f->t, 601, 4, "socket:[777]");
	c = cause(f, false, 777, 0, id);
	f->env.find = fake_find;
	f->env.find_ctx = &h;
	owner_name_causes(&f->st, &f->env);
	assert_string_equal(c->process, "");
	contains(c->how, "not named: 2 processes");
	contains(c->how, "twtune's helper failed to search /proc/PID/fd");
}

static void without_a_helper_the_reason_says_why(void **state)
{
	struct fixture *f = *state;
	uint64_t id = cgroup(f->t, "/shared.scope", "600\n601\n");
	struct sock_cause *c;

	proc(f->t, 600, "bash", 0, "/shared.scope");
	proc(f->t, 601, "kiosk", 0, "/shared.scope");
	fd_link(f->t, 601, 4, "socket:[777]");
	c = cause(f, false, 777, 0, id);
	f->env.no_helper = "twtune does not have both CAP_SYS_PTRACE and "
			   "CAP_DAC_READ_SEARCH to give it";
	owner_name_causes(&f->st, &f->env);
	assert_string_equal(c->process, "");
	contains(c->how, "Landlock keeps other processes' /proc/PID/fd closed "
			 "to twtune, and it has no helper to look: twtune "
			 "does not have both CAP_SYS_PTRACE and "
			 "CAP_DAC_READ_SEARCH to give it");
}

static void the_search_stops_at_its_bounds(void **state)
{
	struct fixture *f = *state;
	const int pids[] = { 600, 601 };
	struct fd_search s = { .fds_left = 3, .deadline = 1e18 };

	(void)state;
	proc(f->t, 600, "a", 0, "/");
	proc(f->t, 601, "b", 0, "/");
	fd_link(f->t, 600, 0, "/dev/null");
	fd_link(f->t, 600, 1, "/dev/null");
	fd_link(f->t, 600, 2, "socket:[4]");
	fd_link(f->t, 601, 1, "socket:[5]");
	/* the fourth descriptor, 601's only one, is past the bound */
	assert_int_equal(owner_find_inode(f->env.procfd, pids, 2, 5, &s), -1);
	assert_true(s.out_of_budget);
	assert_int_equal(s.fds_read, 3);
	s.fds_left = 4;
	assert_int_equal(owner_find_inode(f->env.procfd, pids, 2, 5, &s), 1);
	assert_false(s.out_of_budget);
	assert_int_equal(s.fds_read, 4);
	/* past the deadline nothing is read */
	s.deadline = 0;
	assert_int_equal(owner_find_inode(f->env.procfd, pids, 2, 5, &s), -1);
	assert_true(s.out_of_budget);
	assert_int_equal(s.fds_read, 0);
	/* a pid that is gone is no error */
	s.deadline = 1e18;
	s.fds_left = 100;
	assert_int_equal(owner_find_inode(f->env.procfd, (int[]){ 999, 601 },
					  2, 5, &s),
			 1);
	assert_int_equal(s.refused, 0);
}

static void cgroup2_mount_is_found_with_escapes_undone(void **state)
{
	char out[PATH_MAX];

	(void)state;
	assert_int_equal(
		owner_cgroup2_mount("sysfs /sys sysfs rw 0 0\n"
				    "cgroup /sys/fs/cgroup/cpu cgroup rw 0 0\n"
				    "cgroup2 /sys/fs/cgroup/uni\\040fied "
				    "cgroup2 rw 0 0\n",
				    out, sizeof(out)),
		0);
	assert_string_equal(out, "/sys/fs/cgroup/uni fied");
	assert_int_equal(owner_cgroup2_mount("cgroup /sys/fs/cgroup/cpu cgroup "
					     "rw 0 0\n",
					     out, sizeof(out)),
			 -ENOENT);
	assert_int_equal(owner_cgroup2_mount("", out, sizeof(out)), -ENOENT);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(alone_in_its_cgroup_is_named_with_pid_and_unit),
		T(a_container_is_named_by_runtime_and_id),
		T(the_sockets_user_picks_one_process),
		T(several_with_one_comm_are_named_without_a_pid),
		T(different_comms_are_not_named_and_say_why),
		T(outside_a_sandbox_the_inode_names_the_process),
		T(without_a_cgroup_every_process_is_searched),
		T(unreadable_descriptors_are_said),
		T(missing_cgroup_and_missing_owner_give_reasons),
		T(several_owners_are_counted_in_the_reason),
		T(under_landlock_the_helper_searches),
		T(a_failing_helper_is_said),
		T(without_a_helper_the_reason_says_why),
		T(the_search_stops_at_its_bounds),
		cmocka_unit_test(cgroup2_mount_is_found_with_escapes_undone),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
