/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Names the container, Kubernetes pod and systemd unit a process belongs
 * to from the text of its /proc/PID/cgroup, as the host sees it.  Pure:
 * no file is read, nothing inside a container is trusted, and the work is
 * bounded by the length of the text.
 */
#ifndef TWTUNE_CGNAME_H
#define TWTUNE_CGNAME_H

#include <stdbool.h>

enum cg_runtime {
	CG_NONE,
	CG_DOCKER,
	CG_CONTAINERD_CRI,
	CG_CRIO,
	CG_PODMAN,
	CG_NSPAWN, /* systemd-nspawn, or any machine-NAME.scope of machined */
	CG_LXC,
	CG_SYSTEMD_UNIT, /* a plain systemd unit, no container */
};

struct cg_identity {
	enum cg_runtime runtime;
	/*
	 * Container id (the first 12 hex digits, as docker ps and podman
	 * ps show it) or machine / LXC name; "" if none.
	 */
	char container[80];
	char pod[80]; /* Kubernetes pod uid, with dashes; "" if none */
	/*
	 * The systemd unit, as systemd names it ("shopfront.service",
	 * "docker-<id>.scope", "systemd-nspawn@web.service"): the outermost
	 * one, or a user's own unit below user@UID.service; "" if none.
	 */
	char unit[128];
	char qos[16]; /* guaranteed, burstable or besteffort; "" if no pod */
	/*
	 * The user of user@UID.service or user-UID.slice (user units and
	 * sessions, rootless containers); -1 if none.
	 */
	long long uid;
	/*
	 * The process is the runtime's monitor for the container (conmon,
	 * the LXC monitor), which runs on the host, not inside it.
	 */
	bool monitor;
};

/*
 * Parse the text of /proc/PID/cgroup (cgroup v2 "0::/path", or the lines
 * "N:controllers:/path" of cgroup v1 and hybrid hosts) into *out.  Every
 * field is printable ASCII (other bytes become '?'); a name longer than its
 * field ends in "...".  Returns 0 (also when nothing is recognised:
 * runtime CG_NONE), or -EINVAL when the text holds no cgroup line at all;
 * *out is always set.
 */
int cgname_parse(const char *cgroup_text, struct cg_identity *out);

/* "docker", "containerd", "cri-o", ... ; "none" for CG_NONE. */
const char *cgname_runtime_name(enum cg_runtime r);

#endif
