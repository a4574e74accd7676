// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for sysctl.c, the only module that writes /proc/sys: which
 * keys may be touched at all, key normalisation, integer values and known
 * ranges, and reading and writing through a fake proc tree built in a
 * temporary directory.  The tree tests protect the security properties:
 * nothing outside sys/net is reached, a symbolic link is never followed,
 * and a write that does not read back as written is reported.
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
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sysctl.h"
#include "testutil.h"
#include "util.h"

/* ---- fake proc tree ----------------------------------------------------- */

struct tree {
	struct testdir proc; /* stands in for /proc */
	int netfd;
};

/* Contents of a file in the tree, in buf. */
static const char *get(int dirfd, const char *path, char *buf, size_t len)
{
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, len - 1);
	assert_true(n >= 0);
	buf[n] = '\0';
	close(fd);
	return buf;
}

static int tree_setup(void **state)
{
	struct tree *t = calloc(1, sizeof(*t));

	if (!t)
		return -1;
	if (testdir_make(&t->proc) < 0) {
		free(t);
		return -1;
	}
	if (testdir_mkdirs(t->proc.fd, "sys/net/ipv4/conf/all") < 0)
		return -1;
	t->netfd = sysctl_open_net(t->proc.fd);
	if (t->netfd < 0)
		return -1;
	*state = t;
	return 0;
}

static int tree_teardown(void **state)
{
	struct tree *t = *state;
	int ret;

	close(t->netfd);
	ret = testdir_remove(&t->proc);
	free(t);
	return ret;
}

/* ---- sysctl_key_valid --------------------------------------------------- */

static void key_valid_accepts_keys_under_net(void **state)
{
	static const char *const good[] = {
		"net.ipv4.tcp_max_tw_buckets",
		"net.ipv4.conf.all.rp_filter",
		"net.ipv4.conf.eth0-1.rp_filter",
		"net.core.somaxconn",
		"net.ipv6.conf.default.accept_ra",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		const char *why = NULL;

		if (!sysctl_key_valid(good[i], &why))
			fail_msg("\"%s\" rejected: %s", good[i], why);
	}
}

static void key_valid_rejects_keys_with_the_reason(void **state)
{
	static const struct {
		const char *key, *why;
	} bad[] = {
		{ "kernel.x", "only keys under net. can be managed" },
		{ "kernel.core_pattern",
		  "only keys under net. can be managed" },
		{ "net", "only keys under net. can be managed" },
		{ "", "only keys under net. can be managed" },
		{ "net..x", "key has an empty component" },
		{ "net.ipv4.", "key has an empty component" },
		{ "net.", "key has an empty component" },
		{ "net.x/y", "key may only hold [a-z0-9_.-]" },
		{ "net.ipv4/../../kernel/x", "key may only hold [a-z0-9_.-]" },
		{ "net.ipv4.TCP_TW_REUSE", "key may only hold [a-z0-9_.-]" },
		{ "net.ipv4.tcp tw", "key may only hold [a-z0-9_.-]" },
		{ "net.ipv4.x\n", "key may only hold [a-z0-9_.-]" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		const char *why = NULL;

		if (sysctl_key_valid(bad[i].key, &why))
			fail_msg("\"%s\" accepted", bad[i].key);
		assert_non_null(why);
		if (strcmp(why, bad[i].why) != 0)
			fail_msg("\"%s\": why \"%s\", want \"%s\"", bad[i].key,
				 why, bad[i].why);
	}
}

static void key_valid_rejects_keys_that_are_too_long(void **state)
{
	char key[SYSCTL_KEY_MAX + 1];
	const char *why = NULL;

	(void)state;
	/* SYSCTL_KEY_MAX - 1 characters is the longest allowed */
	memcpy(key, "net.", 4);
	memset(key + 4, 'a', SYSCTL_KEY_MAX - 5);
	key[SYSCTL_KEY_MAX - 1] = '\0';
	assert_true(sysctl_key_valid(key, &why));
	key[SYSCTL_KEY_MAX - 1] = 'a';
	key[SYSCTL_KEY_MAX] = '\0';
	assert_false(sysctl_key_valid(key, &why));
	assert_string_equal(why, "key is too long");
}

/* ---- normalisation and values -------------------------------------------- */

static void key_normalize_turns_slashes_into_dots(void **state)
{
	char a[] = "net/ipv4/tcp_tw_reuse";
	char b[] = "net.ipv4.tcp_fin_timeout";
	char c[] = "net/ipv4/conf/all/rp_filter";

	(void)state;
	sysctl_key_normalize(a);
	assert_string_equal(a, "net.ipv4.tcp_tw_reuse");
	sysctl_key_normalize(b);
	assert_string_equal(b, "net.ipv4.tcp_fin_timeout");
	sysctl_key_normalize(c);
	assert_string_equal(c, "net.ipv4.conf.all.rp_filter");
}

static void parse_int_accepts_one_integer_only(void **state)
{
	long long v = 0;

	(void)state;
	assert_int_equal(sysctl_parse_int("262144", &v), 0);
	assert_int_equal(v, 262144);
	assert_int_equal(sysctl_parse_int("-1", &v), 0);
	assert_int_equal(v, -1);
	assert_int_equal(sysctl_parse_int(" 60 ", &v), 0);
	assert_int_equal(v, 60);
	v = 5;
	assert_int_equal(sysctl_parse_int("32768\t60999", &v), -EINVAL);
	assert_int_equal(sysctl_parse_int("4096 131072 6291456", &v), -EINVAL);
	assert_int_equal(sysctl_parse_int("", &v), -EINVAL);
	assert_int_equal(sysctl_parse_int("cubic", &v), -EINVAL);
	assert_int_equal(v, 5);
}

/* ---- reading and writing a fake tree ------------------------------------ */

static void open_net_fails_without_sys_net(void **state)
{
	struct tree *t = *state;
	int fd;

	fd = openat(t->proc.fd, "sys/net/ipv4", O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	/* ipv4 has no sys/net below it */
	assert_int_equal(sysctl_open_net(fd), -ENOENT);
	close(fd);
}

static void read_strips_the_trailing_newline(void **state)
{
	struct tree *t = *state;
	char raw[64];

	testdir_put(t->proc.fd, "sys/net/ipv4/tcp_max_tw_buckets", "262144\n");
	testdir_put(t->proc.fd, "sys/net/ipv4/ip_local_port_range",
		    "32768\t60999\n");
	testdir_put(t->proc.fd, "sys/net/ipv4/conf/all/rp_filter", "2\n");
	assert_int_equal(sysctl_read(t->netfd, "net.ipv4.tcp_max_tw_buckets",
				     raw, sizeof(raw)),
			 0);
	assert_string_equal(raw, "262144");
	assert_int_equal(sysctl_read(t->netfd, "net.ipv4.ip_local_port_range",
				     raw, sizeof(raw)),
			 0);
	assert_string_equal(raw, "32768\t60999");
	assert_int_equal(sysctl_read(t->netfd, "net.ipv4.conf.all.rp_filter",
				     raw, sizeof(raw)),
			 0);
	assert_string_equal(raw, "2");
}

static void read_reports_a_missing_key_as_enoent(void **state)
{
	struct tree *t = *state;
	char raw[64];

	assert_int_equal(sysctl_read(t->netfd, "net.ipv4.tcp_tw_recycle", raw,
				     sizeof(raw)),
			 -ENOENT);
	assert_int_equal(sysctl_read(t->netfd, "net.ipv6.conf.all.forwarding",
				     raw, sizeof(raw)),
			 -ENOENT);
}

static void read_refuses_a_value_too_big_for_the_buffer(void **state)
{
	struct tree *t = *state;
	char raw[8];

	testdir_put(t->proc.fd, "sys/net/ipv4/tcp_rmem",
		    "4096 131072 6291456\n");
	assert_int_equal(sysctl_read(t->netfd, "net.ipv4.tcp_rmem", raw,
				     sizeof(raw)),
			 -EFBIG);
}

static void read_refuses_an_invalid_key_before_any_lookup(void **state)
{
	struct tree *t = *state;
	char raw[64];

	/* a file that a path traversal would reach */
	testdir_put(t->proc.fd, "sys/secret", "1\n");
	assert_int_equal(sysctl_read(t->netfd, "net.ipv4/../../secret", raw,
				     sizeof(raw)),
			 -EINVAL);
	assert_int_equal(sysctl_read(t->netfd, "kernel.x", raw, sizeof(raw)),
			 -EINVAL);
}

static void read_never_follows_a_symlink(void **state)
{
	struct tree *t = *state;
	char raw[64];

	testdir_put(t->proc.fd, "sys/net/ipv4/real", "1\n");
	assert_int_equal(
		symlinkat("real", t->proc.fd, "sys/net/ipv4/tcp_tw_reuse"), 0);
	assert_int_equal(sysctl_read(t->netfd, "net.ipv4.tcp_tw_reuse", raw,
				     sizeof(raw)),
			 -EPERM);
	/* nor a symlinked directory on the way (the error may differ) */
	assert_int_equal(symlinkat("ipv4", t->proc.fd, "sys/net/ipv6"), 0);
	assert_true(sysctl_read(t->netfd, "net.ipv6.real", raw, sizeof(raw)) <
		    0);
}

/*
 * Make openat2(2) fail with ENOSYS, as on kernels before 5.6 (and under
 * valgrind), so that the openat() fallback is what runs.
 */
static int deny_openat2(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat2, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {
		.len = (unsigned short)ARRAY_SIZE(f),
		.filter = f,
	};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
		return -1;
	return 0;
}

static void no_symlink_is_followed_without_openat2(void **state)
{
	struct tree *t = *state;
	char buf[64];
	int status;
	pid_t pid;

	testdir_put(t->proc.fd, "sys/net/ipv4/real", "1\n");
	assert_int_equal(symlinkat("real", t->proc.fd, "sys/net/ipv4/link"), 0);
	assert_int_equal(symlinkat("ipv4", t->proc.fd, "sys/net/ipv6"), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char raw[64];
		bool written;

		/* no cmocka in the child: report through the exit status */
		if (deny_openat2() < 0)
			_exit(77);
		if (sysctl_read(t->netfd, "net.ipv4.link", raw, sizeof(raw)) !=
		    -EPERM)
			_exit(1);
		if (sysctl_read(t->netfd, "net.ipv6.real", raw, sizeof(raw)) >=
		    0)
			_exit(2);
		if (sysctl_set(t->netfd, "net.ipv6.real", 0, &written) >= 0 ||
		    written)
			_exit(3);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	switch (WEXITSTATUS(status)) {
	case 0: break;
	case 77: skip(); break;
	case 1:
		fail_msg("fallback: final symlink net.ipv4.link was read");
		break;
	case 2:
		fail_msg("fallback: read net.ipv6.real through the symlinked "
			 "directory sys/net/ipv6");
		break;
	case 3:
		fail_msg("fallback: wrote net.ipv6.real through the symlinked "
			 "directory sys/net/ipv6");
		break;
	default: fail_msg("child exited %d", WEXITSTATUS(status));
	}
	assert_string_equal(
		get(t->proc.fd, "sys/net/ipv4/real", buf, sizeof(buf)), "1\n");
}

static void set_writes_the_value_and_reads_it_back(void **state)
{
	struct tree *t = *state;
	char buf[64];
	bool written = false;

	testdir_put(t->proc.fd, "sys/net/ipv4/tcp_tw_reuse", "2\n");
	testdir_put(t->proc.fd, "sys/net/ipv4/tcp_max_tw_buckets", "4096\n");
	assert_int_equal(
		sysctl_set(t->netfd, "net.ipv4.tcp_tw_reuse", 1, &written), 0);
	assert_true(written);
	/* one integer and a newline, and the old contents are gone */
	assert_string_equal(get(t->proc.fd, "sys/net/ipv4/tcp_tw_reuse", buf,
				sizeof(buf)),
			    "1\n");
	written = false;
	assert_int_equal(sysctl_set(t->netfd, "net.ipv4.tcp_max_tw_buckets", -1,
				    &written),
			 0);
	assert_true(written);
	assert_int_equal(sysctl_read(t->netfd, "net.ipv4.tcp_max_tw_buckets",
				     buf, sizeof(buf)),
			 0);
	assert_string_equal(buf, "-1");
}

static void set_of_a_missing_key_fails_and_creates_nothing(void **state)
{
	struct tree *t = *state;
	struct stat st;
	bool written = true;

	assert_int_equal(sysctl_set(t->netfd, "net.ipv4.tcp_tw_recycle", 0,
				    &written),
			 -ENOENT);
	assert_false(written);
	assert_int_equal(
		fstatat(t->proc.fd, "sys/net/ipv4/tcp_tw_recycle", &st, 0), -1);
	assert_int_equal(errno, ENOENT);
}

static void set_never_writes_through_a_symlink(void **state)
{
	struct tree *t = *state;
	char buf[64];
	bool written = true;

	testdir_put(t->proc.fd, "target", "7\n");
	assert_int_equal(symlinkat("../../../target", t->proc.fd,
				   "sys/net/ipv4/tcp_tw_reuse"),
			 0);
	assert_true(sysctl_set(t->netfd, "net.ipv4.tcp_tw_reuse", 1, &written) <
		    0);
	assert_false(written);
	assert_string_equal(get(t->proc.fd, "target", buf, sizeof(buf)), "7\n");
}

static void set_refuses_a_key_outside_net(void **state)
{
	struct tree *t = *state;
	bool written = true;

	assert_int_equal(sysctl_set(t->netfd, "kernel.x", 1, &written),
			 -EINVAL);
	assert_false(written);
}

/*
 * A FIFO planted in a fixture tree is neither read nor written: it would
 * block the run (a reader waits for a writer), so it is refused at once.
 * (A value the kernel itself reads back differently is tested on the
 * real kernel, in tests/netns_faults.sh.)
 */
static void a_fifo_is_refused_without_blocking(void **state)
{
	struct tree *t = *state;
	const char *path = "sys/net/ipv4/tcp_tw_reuse_delay";
	char raw[64];
	bool written = true;

	assert_int_equal(mkfifoat(t->proc.fd, path, 0600), 0);
	alarm(20); /* a bug here would block on the FIFO forever */
	assert_int_equal(sysctl_read(t->netfd, "net.ipv4.tcp_tw_reuse_delay",
				     raw, sizeof(raw)),
			 -EINVAL);
	/* nobody reads it: opening it for writing fails at once too */
	assert_true(sysctl_set(t->netfd, "net.ipv4.tcp_tw_reuse_delay", 5,
			       &written) < 0);
	alarm(0);
	assert_false(written);
}

#define TREE_TEST(f)                                                           \
	cmocka_unit_test_setup_teardown(f, tree_setup, tree_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(key_valid_accepts_keys_under_net),
		cmocka_unit_test(key_valid_rejects_keys_with_the_reason),
		cmocka_unit_test(key_valid_rejects_keys_that_are_too_long),
		cmocka_unit_test(key_normalize_turns_slashes_into_dots),
		cmocka_unit_test(parse_int_accepts_one_integer_only),
		TREE_TEST(open_net_fails_without_sys_net),
		TREE_TEST(read_strips_the_trailing_newline),
		TREE_TEST(read_reports_a_missing_key_as_enoent),
		TREE_TEST(read_refuses_a_value_too_big_for_the_buffer),
		TREE_TEST(read_refuses_an_invalid_key_before_any_lookup),
		TREE_TEST(read_never_follows_a_symlink),
		TREE_TEST(no_symlink_is_followed_without_openat2),
		TREE_TEST(set_writes_the_value_and_reads_it_back),
		TREE_TEST(set_of_a_missing_key_fails_and_creates_nothing),
		TREE_TEST(set_never_writes_through_a_symlink),
		TREE_TEST(set_refuses_a_key_outside_net),
		TREE_TEST(a_fifo_is_refused_without_blocking),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
