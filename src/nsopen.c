// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The namespace opener; see nsopen.h.  One request, one reply, over a
 * SOCK_SEQPACKET socket pair: messages keep their boundaries, and a
 * closed socket ends the opener.
 *
 * Kernel facts used here:
 *   - a /proc/net seq file is bound at open to the namespace of the task
 *     it was looked up through (seq_open_net() takes the net of the
 *     proc_dir_entry), so after setns() the files under
 *     /proc/thread-self/net (Linux 3.17) are the new namespace's, and
 *     stay so after setns() back; setns() moves only the calling thread,
 *     hence thread-self rather than self;
 *   - a sysctl under /proc/sys/net is looked up in the namespace of the
 *     task at lookup time, and the open file keeps that table; read and
 *     write check the caller's permission at each call
 *     (proc_sys_call_handler()), so twtune's CAP_NET_ADMIN is what lets
 *     it write through a file the opener opened;
 *   - a netlink socket belongs to the namespace it was created in.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cap-ng.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

#include "log.h"
#include "nsopen.h"
#include "owner.h"
#include "privs.h"
#include "sysctl.h"

enum {
	REQ_DISCOVER = 1,
	REQ_OPEN = 2,
	REQ_FIND = 3
};
enum {
	F_WRITE = 1,
	F_DIAG = 2
};

/* The processes one find request names at most. */
#define FIND_PIDS_MAX 512

struct wire_req {
	uint32_t op, flags;
	uint64_t ino, dev;
	uint32_t n_keys;
	char path[PATH_MAX];
	char keys[NSVIEW_KEYS_MAX][SYSCTL_KEY_MAX];
	/* REQ_FIND */
	uint32_t inode, n_pids;
	uint64_t fds_left;
	double deadline; /* CLOCK_MONOTONIC, the same clock in both */
	int32_t pids[FIND_PIDS_MAX];
};

struct wire_find {
	int32_t index, refused;
	uint64_t fds_read;
	uint8_t out_of_budget;
};

struct wire_head {
	int32_t err;
	uint32_t n, n_warn;
};

struct wire_ent {
	uint64_t ino, dev;
	int32_t pid;
	uint8_t self, has_name;
	char comm[16];
	char name[256];
	char path[PATH_MAX];
	struct cg_identity id;
};

/* The descriptors of a view, in order: net files, diag, keys. */
#define SLOTS (NV_FILES + 1 + NSVIEW_KEYS_MAX)

struct wire_view {
	int32_t err;
	uint32_t nfds;
	uint64_t cookie;
	int8_t have[SLOTS];
	uint8_t writable[NSVIEW_KEYS_MAX];
};

/* ---- the opener's side ----------------------------------------------- */

static void send_all(int sock, const void *buf, size_t len)
{
	while (send(sock, buf, len, MSG_NOSIGNAL) < 0)
		if (errno != EINTR)
			_exit(1); /* twtune went away */
}

static void serve_discover(int sock)
{
	struct netns_list l;
	struct msgs warn = { 0 };
	struct wire_head h = { 0 };
	struct wire_ent *w = xcalloc(1, sizeof(*w));

	h.err = netns_discover(NULL, NULL, &l, &warn);
	h.n = h.err ? 0 : (uint32_t)l.n;
	h.n_warn = (uint32_t)warn.n;
	send_all(sock, &h, sizeof(h));
	for (size_t i = 0; i < h.n; i++) {
		const struct netns_entry *e = &l.v[i];

		memset(w, 0, sizeof(*w));
		w->ino = e->ino;
		w->dev = e->dev;
		w->pid = e->pid;
		w->self = e->self;
		w->has_name = e->name != NULL;
		snprintf(w->comm, sizeof(w->comm), "%s", e->comm);
		snprintf(w->name, sizeof(w->name), "%s",
			 e->name ? e->name : "");
		snprintf(w->path, sizeof(w->path), "%s", e->path);
		w->id = e->id;
		send_all(sock, w, sizeof(*w));
	}
	for (size_t i = 0; i < warn.n; i++) {
		char text[512];

		snprintf(text, sizeof(text), "%s", warn.v[i]);
		send_all(sock, text, strlen(text) + 1);
	}
	free(w);
	msgs_free(&warn);
	if (!h.err)
		netns_list_free(&l);
}

/* Enter the namespace of req, verified to be the one discovered. */
static int enter(const struct wire_req *req)
{
	struct stat st;
	int fd = open(req->path, O_RDONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	/* a pid can exit and its number be reused meanwhile */
	if (fstat(fd, &st) < 0 || (uint64_t)st.st_ino != req->ino ||
	    (uint64_t)st.st_dev != req->dev)
		ret = -ENOENT;
	else if (setns(fd, CLONE_NEWNET) < 0)
		ret = -errno;
	close(fd); /* read-only */
	return ret;
}

/* A net.ipv4.NAME key from the ipv4 directory, any other from net. */
static int open_key(int netfd, int ipv4, const char *key, int flags)
{
	const char *name = key + strlen("net.ipv4.");

	if (ipv4 >= 0 && strncmp(key, "net.ipv4.", 9) == 0 && *name &&
	    !strchr(name, '.') && !strchr(name, '/'))
		return openat(ipv4, name, flags | O_NOFOLLOW | O_CLOEXEC);
	return sysctl_open(netfd, key, flags);
}

static void serve_open(int sock, const struct wire_req *req, int home)
{
	static const char *const files[NV_FILES] = {
		[NV_SOCKSTAT] = "/proc/thread-self/net/sockstat",
		[NV_SOCKSTAT6] = "/proc/thread-self/net/sockstat6",
		[NV_NETSTAT] = "/proc/thread-self/net/netstat",
		[NV_SNMP] = "/proc/thread-self/net/snmp",
	};
	struct wire_view v = { 0 };
	int fds[SLOTS], nfds = 0, netfd = -1, ipv4;
	union {
		char buf[CMSG_SPACE(sizeof(int) * SLOTS)];
		struct cmsghdr align;
	} cbuf;
	struct iovec iov = { &v, sizeof(v) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };

	v.err = enter(req);
	if (v.err) {
		send_all(sock, &v, sizeof(v));
		return;
	}
	v.cookie = util_netns_cookie();
	for (int i = 0; i < NV_FILES; i++) {
		int fd = open(files[i], O_RDONLY | O_CLOEXEC);

		if ((v.have[i] = fd >= 0))
			fds[nfds++] = fd;
	}
	if (req->flags & F_DIAG) {
		int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC,
				NETLINK_SOCK_DIAG);

		if ((v.have[NV_FILES] = fd >= 0))
			fds[nfds++] = fd;
	}
	netfd = open("/proc/sys/net", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	/*
	 * Each namespace has its own net/ipv4 directory, and a lookup from
	 * the top compares the name with that of every namespace's
	 * (proc_sys_compare()): open it once, and the keys from there.
	 */
	ipv4 = netfd < 0 ? -1
			 : openat(netfd, "ipv4",
				  O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
					  O_CLOEXEC);
	for (uint32_t k = 0; netfd >= 0 && k < req->n_keys; k++) {
		int fd = -1;

		if (req->flags & F_WRITE)
			fd = open_key(netfd, ipv4, req->keys[k],
				      O_RDWR | O_NONBLOCK);
		v.writable[k] = fd >= 0;
		if (fd < 0)
			fd = open_key(netfd, ipv4, req->keys[k],
				      O_RDONLY | O_NONBLOCK);
		if ((v.have[NV_FILES + 1 + k] = fd >= 0))
			fds[nfds++] = fd;
	}
	if (ipv4 >= 0)
		close(ipv4); /* read-only */
	if (netfd >= 0)
		close(netfd); /* read-only */
	/* home before anything else: a failure here ends the opener */
	if (setns(home, CLONE_NEWNET) < 0)
		_exit(1);
	v.nfds = (uint32_t)nfds;
	if (nfds) {
		struct cmsghdr *c;

		m.msg_control = cbuf.buf;
		m.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
	}
	while (sendmsg(sock, &m, MSG_NOSIGNAL) < 0)
		if (errno != EINTR)
			_exit(1);
	for (int i = 0; i < nfds; i++)
		close(fds[i]); /* twtune holds them now */
}

/*
 * Which process holds a socket: owner_find_inode() through the opener's
 * own /proc.  /proc/PID/fd is a directory of mode 0500 owned by the
 * process's user (CAP_DAC_READ_SEARCH lists another user's), and reading
 * each link checks ptrace read access (proc_fd_access_allowed():
 * CAP_SYS_PTRACE for another user's process, or for one with more
 * capabilities).  The --all-netns opener has no CAP_DAC_READ_SEARCH:
 * it finds root's processes only.
 */
static void serve_find(int sock, const struct wire_req *req, int procfd)
{
	struct fd_search fs = {
		.fds_left = (size_t)req->fds_left,
		.deadline = req->deadline,
	};
	struct wire_find f = { 0 };
	int pids[FIND_PIDS_MAX];

	for (uint32_t i = 0; i < req->n_pids; i++)
		pids[i] = req->pids[i];
	f.index = owner_find_inode(procfd, pids, req->n_pids, req->inode, &fs);
	f.refused = fs.refused;
	f.fds_read = fs.fds_read;
	f.out_of_budget = fs.out_of_budget;
	send_all(sock, &f, sizeof(f));
}

/*
 * The opener's privileges: CAP_SYS_PTRACE (other processes' /proc/PID/fd
 * and /proc/PID/ns/net links) and either CAP_SYS_ADMIN (setns), to open
 * namespaces, or CAP_DAC_READ_SEARCH (other users' /proc/PID/fd
 * directories), as the helper; nothing else, and no_new_privs.  No
 * Landlock domain: a sandboxed process may not read those links of
 * processes outside its domain (Landlock confines ptrace access since its
 * first ABI), which is all the opener is for.  It reads only /proc and
 * /run, and writes nothing.
 */
static void confine(bool netns)
{
	capng_get_caps_process();
	capng_clear(CAPNG_SELECT_BOTH);
	if ((netns ? capng_updatev(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED,
				   CAP_SYS_ADMIN, CAP_SYS_PTRACE, -1)
		   : capng_updatev(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED,
				   CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH, -1)) <
		    0 ||
	    capng_apply(CAPNG_SELECT_CAPS | CAPNG_SELECT_AMBIENT) < 0 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		log_err("namespace opener: cannot confine itself");
		_exit(1);
	}
}

static void serve(int sock, bool netns)
{
	struct wire_req *req = xmalloc(sizeof(*req));
	int home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	int procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (home < 0 || procfd < 0)
		_exit(1);
	confine(netns);
	for (;;) {
		ssize_t n = recv(sock, req, sizeof(*req), 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(0);
		if ((size_t)n != sizeof(*req) ||
		    req->n_keys > NSVIEW_KEYS_MAX ||
		    req->n_pids > FIND_PIDS_MAX)
			_exit(1);
		req->path[sizeof(req->path) - 1] = '\0';
		for (uint32_t k = 0; k < req->n_keys; k++)
			req->keys[k][SYSCTL_KEY_MAX - 1] = '\0';
		if (req->op == REQ_FIND)
			serve_find(sock, req, procfd);
		else if (netns && req->op == REQ_DISCOVER)
			serve_discover(sock);
		else if (netns && req->op == REQ_OPEN)
			serve_open(sock, req, home);
		else
			_exit(1);
	}
}

int nsopen_start(struct nsopener *op, bool netns, char *err, size_t errlen)
{
	int sv[2];
	pid_t pid;

	op->pid = 0;
	op->sock = -1;
	op->netns = netns;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		snprintf(err, errlen, "socketpair: %s", strerror(errno));
		return -errno;
	}
	pid = fork();
	if (pid < 0) {
		int e = errno;

		close(sv[0]);
		close(sv[1]);
		snprintf(err, errlen, "fork: %s", strerror(e));
		return -e;
	}
	if (pid == 0) {
		close(sv[0]);
		/* it dies with twtune, whatever happens to twtune */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() == 1)
			_exit(0);
		serve(sv[1], netns);
	}
	close(sv[1]);
	op->pid = pid;
	op->sock = sv[0];
	return 0;
}

/* ---- twtune's side --------------------------------------------------- */

static int request(struct nsopener *op, const struct wire_req *req)
{
	if (op->sock < 0)
		return -ENOTCONN;
	while (send(op->sock, req, sizeof(*req), MSG_NOSIGNAL) < 0)
		if (errno != EINTR)
			return -errno;
	return 0;
}

static int recv_exact(int sock, void *buf, size_t len, struct msghdr *mh)
{
	struct iovec iov = { buf, len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (!mh)
		mh = &m;
	mh->msg_iov = &iov;
	mh->msg_iovlen = 1;
	do
		n = recvmsg(sock, mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if ((size_t)n != len || (mh->msg_flags & (MSG_TRUNC | MSG_CTRUNC)))
		return -EPROTO;
	return 0;
}

int nsopen_discover(struct nsopener *op, struct netns_list *out,
		    struct msgs *warnings)
{
	struct wire_req *req = xcalloc(1, sizeof(*req));
	struct wire_ent *w = xcalloc(1, sizeof(*w));
	struct wire_head h;
	int ret;

	out->v = NULL;
	out->n = 0;
	req->op = REQ_DISCOVER;
	ret = request(op, req);
	if (!ret)
		ret = recv_exact(op->sock, &h, sizeof(h), NULL);
	if (!ret && h.err)
		ret = h.err < 0 ? h.err : -EPROTO;
	if (!ret && h.n > 1000000)
		ret = -EPROTO;
	if (!ret && h.n)
		out->v = xcalloc(h.n, sizeof(*out->v));
	for (uint32_t i = 0; !ret && i < h.n; i++) {
		struct netns_entry *e = &out->v[i];

		ret = recv_exact(op->sock, w, sizeof(*w), NULL);
		if (ret)
			break;
		w->comm[sizeof(w->comm) - 1] = '\0';
		w->name[sizeof(w->name) - 1] = '\0';
		w->path[sizeof(w->path) - 1] = '\0';
		e->ino = w->ino;
		e->dev = w->dev;
		e->pid = w->pid;
		e->self = w->self;
		e->name = w->has_name ? xstrdup(w->name) : NULL;
		e->path = xstrdup(w->path);
		memcpy(e->comm, w->comm, sizeof(e->comm));
		e->id = w->id;
		out->n++;
	}
	for (uint32_t i = 0; !ret && i < h.n_warn; i++) {
		char text[512];
		ssize_t n;

		do
			n = recv(op->sock, text, sizeof(text) - 1, 0);
		while (n < 0 && errno == EINTR);
		if (n <= 0) {
			ret = n < 0 ? -errno : -EPROTO;
			break;
		}
		text[n] = '\0';
		if (warnings)
			msgs_addf(warnings, "%s", text);
	}
	free(req);
	free(w);
	if (ret)
		netns_list_free(out);
	return ret;
}

int nsopen_view_ask(struct nsopener *op, const struct netns_entry *e,
		    const char *const *keys, size_t n_keys, bool write,
		    bool diag)
{
	struct wire_req *req;
	int ret;

	if (n_keys > NSVIEW_KEYS_MAX)
		return -E2BIG;
	req = xcalloc(1, sizeof(*req));
	req->op = REQ_OPEN;
	req->flags = (write ? F_WRITE : 0) | (diag ? F_DIAG : 0);
	req->ino = e->ino;
	req->dev = e->dev;
	snprintf(req->path, sizeof(req->path), "%s", e->path);
	req->n_keys = (uint32_t)n_keys;
	for (size_t k = 0; k < n_keys; k++)
		snprintf(req->keys[k], SYSCTL_KEY_MAX, "%s", keys[k]);
	ret = request(op, req);
	free(req);
	return ret;
}

int nsopen_view_take(struct nsopener *op, const struct netns_entry *e,
		     const char *const *keys, size_t n_keys, struct nsview *out)
{
	struct wire_view v;
	union {
		char buf[CMSG_SPACE(sizeof(int) * SLOTS)];
		struct cmsghdr align;
	} cbuf;
	struct msghdr m = { .msg_control = cbuf.buf,
			    .msg_controllen = sizeof(cbuf.buf) };
	int fds[SLOTS], nfds = 0, next = 0, ret;
	struct cmsghdr *c;

	memset(out, 0, sizeof(*out));
	out->diag = -1;
	for (int i = 0; i < NV_FILES; i++)
		out->net[i] = -1;
	ret = recv_exact(op->sock, &v, sizeof(v), &m);
	for (c = ret ? NULL : CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		nfds = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		if (nfds > SLOTS)
			nfds = SLOTS;
		memcpy(fds, CMSG_DATA(c), sizeof(int) * (size_t)nfds);
	}
	if (!ret && v.err)
		ret = v.err < 0 ? v.err : -EPROTO;
	if (!ret && (uint32_t)nfds != v.nfds)
		ret = -EPROTO;
	if (ret) {
		for (int i = 0; i < nfds; i++)
			close(fds[i]);
		return ret;
	}
	out->ino = e->ino;
	out->dev = e->dev;
	out->cookie = v.cookie;
	for (int i = 0; i < NV_FILES; i++)
		out->net[i] = v.have[i] && next < nfds ? fds[next++] : -1;
	out->diag = v.have[NV_FILES] && next < nfds ? fds[next++] : -1;
	out->n_keys = n_keys;
	out->keys = xcalloc(n_keys + 1, sizeof(*out->keys));
	out->key_fds = xcalloc(n_keys + 1, sizeof(*out->key_fds));
	out->key_writable = xcalloc(n_keys + 1, sizeof(*out->key_writable));
	for (size_t k = 0; k < n_keys; k++) {
		out->keys[k] = xstrdup(keys[k]);
		out->key_fds[k] = v.have[NV_FILES + 1 + k] && next < nfds
					  ? fds[next++]
					  : -1;
		out->key_writable[k] = out->key_fds[k] >= 0 && v.writable[k];
	}
	return 0;
}

int nsopen_view(struct nsopener *op, const struct netns_entry *e,
		const char *const *keys, size_t n_keys, bool write, bool diag,
		struct nsview *out)
{
	int ret = nsopen_view_ask(op, e, keys, n_keys, write, diag);

	if (ret) {
		memset(out, 0, sizeof(*out));
		out->diag = -1;
		for (int i = 0; i < NV_FILES; i++)
			out->net[i] = -1;
		return ret;
	}
	return nsopen_view_take(op, e, keys, n_keys, out);
}

int nsopen_find_inode(void *ctx, const int *pids, size_t n, uint32_t inode,
		      struct fd_search *s)
{
	struct nsopener *op = ctx;
	struct wire_req *req = xcalloc(1, sizeof(*req));
	struct wire_find f;
	int ret;

	req->op = REQ_FIND;
	req->inode = inode;
	req->deadline = s->deadline;
	req->fds_left = s->fds_left;
	/* twtune lists at most 512 processes per search (owner.c) */
	req->n_pids = (uint32_t)(n < FIND_PIDS_MAX ? n : FIND_PIDS_MAX);
	for (uint32_t i = 0; i < req->n_pids; i++)
		req->pids[i] = pids[i];
	ret = request(op, req);
	if (!ret)
		ret = recv_exact(op->sock, &f, sizeof(f), NULL);
	if (!ret && (f.index >= (int32_t)req->n_pids || f.index < -1 ||
		     f.fds_read > req->fds_left))
		ret = -EPROTO;
	s->fds_read = ret ? 0 : (size_t)f.fds_read;
	s->refused = ret ? 0 : f.refused;
	s->out_of_budget = !ret && (f.out_of_budget || n > req->n_pids);
	free(req);
	return ret ? -2 : f.index;
}

int nsview_key_fd(const struct nsview *v, const char *key)
{
	for (size_t k = 0; v && k < v->n_keys; k++)
		if (strcmp(v->keys[k], key) == 0)
			return v->key_fds[k];
	return -1;
}

void nsview_close(struct nsview *v)
{
	for (int i = 0; i < NV_FILES; i++)
		if (v->net[i] >= 0)
			close(v->net[i]); /* read-only */
	if (v->diag >= 0)
		close(v->diag);
	for (size_t k = 0; k < v->n_keys; k++) {
		if (v->key_fds[k] >= 0)
			close(v->key_fds[k]); /* written through, checked */
		free(v->keys[k]);
	}
	free(v->keys);
	free(v->key_fds);
	free(v->key_writable);
	memset(v, 0, sizeof(*v));
	v->diag = -1;
	for (int i = 0; i < NV_FILES; i++)
		v->net[i] = -1;
}

void nsopen_stop(struct nsopener *op)
{
	if (op->sock >= 0)
		close(op->sock);
	op->sock = -1;
	if (op->pid > 0) {
		int st;

		while (waitpid(op->pid, &st, 0) < 0 && errno == EINTR)
			;
	}
	op->pid = 0;
}
