// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Container, pod and unit names from /proc/PID/cgroup (see cgname.h).
 *
 * Only the path the host sees is used, and only the part of it the host
 * named: the walk goes from the root down and stops at the outermost
 * container.  Everything below a container's own cgroup is named by the
 * container (a delegated cgroup, or its private cgroup namespace with a
 * systemd of its own), so a container could plant "docker-<id>.scope" or
 * "sshd.service" there; such names are never read.  The same holds for the
 * unit: the outermost .service or .scope is the one the host's systemd
 * named, while a service with Delegate=yes names the cgroups below its
 * own.  The one exception is user@UID.service, the user's own systemd:
 * below it the unit of that user is taken (with the uid), which is how
 * rootless containers and user units are named.
 *
 * The shapes recognised, each with the code that makes it:
 *  - Docker, systemd cgroup driver: /system.slice/docker-<64hex>.scope
 *    (moby cmd/dockerd/daemon_systemd_unix.go newCgroupParent():
 *    "system.slice" + ":docker:", which runc's systemd driver turns into
 *    the unit <prefix>-<name>.scope); cgroupfs driver: /docker/<64hex>
 *    (cgroup parent "docker" in the same function).
 *  - Kubernetes (kubelet pkg/kubelet/cm/cgroup_manager_linux.go): pods in
 *    kubepods[/burstable|/besteffort]/pod<uid> with the cgroupfs driver;
 *    with the systemd driver the same names joined by '-' with '-' in each
 *    part escaped to '_' (escapeSystemdCgroupName()), e.g.
 *    /kubepods.slice/kubepods-burstable.slice/
 *    kubepods-burstable-pod<uid_with_underscores>.slice.  Guaranteed pods
 *    have no QoS level (kubepods-pod<uid>.slice).
 *  - containerd CRI: getCgroupsPath() in containerd's CRI plugin gives
 *    "<parent slice>:cri-containerd:<id>" (cri-containerd-<id>.scope)
 *    under a systemd parent, else <parent>/<id>: with cgroupfs a bare
 *    64-hex directory in the pod's (which dockershim also made: taken as
 *    containerd, the runtime left on current Kubernetes).
 *  - CRI-O (internal/config/cgmgr: CrioPrefix "crio"): crio-<id>.scope,
 *    or crio-<id> with cgroupfs; its monitor conmon in
 *    crio-conmon-<id>[.scope].
 *  - Podman (libpod): "<slice>:libpod:<id>" (libpod-<id>.scope) under
 *    machine.slice, or under the user's own systemd when rootless;
 *    cgroupfs: /libpod_parent/libpod-<id> (CgroupfsDefaultCgroupParent);
 *    conmon in libpod-conmon-<id>[.scope]; --cgroups=split puts the
 *    payload in libpod-payload-<id> below the caller's unit.
 *  - systemd-nspawn@NAME.service (nspawn --keep-unit), and machine-NAME.scope
 *    that systemd-machined creates (src/machine: "machine-" +
 *    unit_name_escape(name) + ".scope"); unit names escape '-' and other
 *    bytes as \xNN, undone for the display name.
 *  - LXC 4+: lxc.payload.NAME (DEFAULT_PAYLOAD_CGROUP_PREFIX in
 *    src/lxc/cgroups/cgroup.h), its monitor in lxc.monitor.NAME; older
 *    LXC: /lxc/NAME.
 *
 * On cgroup v2 the kernel appends " (deleted)" to the path of a removed
 * cgroup (proc_cgroup_show() in kernel/cgroup/cgroup.c); it is dropped.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "cgname.h"

/* More lines than any kernel prints (16 v1 hierarchies and the v2 one). */
#define MAX_LINES 64
#define SHORT_ID 12

/* A piece of the input text, never NUL-terminated on its own. */
struct sv {
	const char *p;
	size_t n;
};

/* Where the walk of one path stands. */
struct walk {
	struct cg_identity *id;
	struct sv prev;	 /* the previous component, or empty */
	bool host_chain; /* only slices (or user@UID.service) so far */
	bool kube;	 /* below a kubepods cgroup */
	bool user_mgr;	 /* unit holds user@UID.service, nothing below yet */
	bool unit_final; /* the unit is found: look for containers only */
};

static bool sv_eq(struct sv s, const char *lit)
{
	size_t n = strlen(lit);

	return s.n == n && memcmp(s.p, lit, n) == 0;
}

static bool sv_prefix(struct sv s, const char *lit)
{
	size_t n = strlen(lit);

	return s.n >= n && memcmp(s.p, lit, n) == 0;
}

static bool sv_suffix(struct sv s, const char *lit)
{
	size_t n = strlen(lit);

	return s.n >= n && memcmp(s.p + s.n - n, lit, n) == 0;
}

/* s without head bytes in front and tail bytes at the end */
static struct sv sv_mid(struct sv s, size_t head, size_t tail)
{
	struct sv r = { s.p + head, s.n - head - tail };

	return r;
}

static bool is_hex_id(struct sv s, size_t min, size_t max)
{
	if (s.n < min || s.n > max)
		return false;
	for (size_t i = 0; i < s.n; i++) {
		char c = s.p[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
	}
	return true;
}

/* A field being written: printable ASCII only, "..." when cut short. */
struct field {
	char *d;
	size_t size;
	size_t len;
	bool cut;
};

static struct field field_start(char *d, size_t size)
{
	struct field f = { d, size, 0, false };

	d[0] = '\0';
	return f;
}

static void field_putc(struct field *f, char c)
{
	if (f->len + 1 >= f->size) {
		f->cut = true;
		return;
	}
	f->d[f->len++] = (c >= 0x20 && c < 0x7f) ? c : '?';
}

static void field_end(struct field *f)
{
	f->d[f->len] = '\0';
	if (f->cut && f->size >= 4)
		memcpy(f->d + f->size - 4, "...", 4);
}

static void field_set(char *d, size_t size, struct sv s)
{
	struct field f = field_start(d, size);

	for (size_t i = 0; i < s.n; i++)
		field_putc(&f, s.p[i]);
	field_end(&f);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * A unit name part with systemd's \xNN escapes undone (unit_name_escape()
 * writes '-' as \x2d); an escape of a byte that is not printable stays as
 * written.
 */
static void field_set_unescaped(char *d, size_t size, struct sv s)
{
	struct field f = field_start(d, size);

	for (size_t i = 0; i < s.n; i++) {
		if (s.p[i] == '\\' && i + 3 < s.n && s.p[i + 1] == 'x' &&
		    hexval(s.p[i + 2]) >= 0 && hexval(s.p[i + 3]) >= 0) {
			int c = hexval(s.p[i + 2]) * 16 + hexval(s.p[i + 3]);

			if (c >= 0x20 && c < 0x7f) {
				field_putc(&f, (char)c);
				i += 3;
				continue;
			}
		}
		field_putc(&f, s.p[i]);
	}
	field_end(&f);
}

/* A container id: its first SHORT_ID hex digits. */
static void set_container_id(struct walk *w, enum cg_runtime rt, struct sv hex)
{
	w->id->runtime = rt;
	if (hex.n > SHORT_ID)
		hex.n = SHORT_ID;
	field_set(w->id->container, sizeof(w->id->container), hex);
}

/*
 * A container's own unit (docker-<id>.scope) is its unit unless the host
 * already named an outer one (a Podman --cgroups=split service).
 */
static void set_container_unit(struct walk *w, struct sv c)
{
	if (w->unit_final)
		return;
	field_set(w->id->unit, sizeof(w->id->unit), c);
}

/*
 * "<prefix><hex>" or "<prefix><hex>.scope"; the hex part in *hex.
 * scope_only: only the .scope form counts.
 */
static bool match_prefixed(struct sv c, const char *prefix, bool scope_only,
			   struct sv *hex)
{
	size_t plen = strlen(prefix);
	bool scope = sv_suffix(c, ".scope");

	size_t tail = scope ? strlen(".scope") : 0;

	if (!sv_prefix(c, prefix) || (scope_only && !scope) ||
	    c.n < plen + tail)
		return false;
	*hex = sv_mid(c, plen, tail);
	return is_hex_id(*hex, SHORT_ID, 128);
}

/* The runtimes whose cgroup is "<prefix><hex>[.scope]". */
static const struct {
	const char *prefix;
	enum cg_runtime runtime;
	bool scope_only;
	bool monitor;
} prefixed[] = {
	/* longer prefixes first: crio-conmon- also starts with crio- */
	{ "docker-", CG_DOCKER, true, false },
	{ "cri-containerd-", CG_CONTAINERD_CRI, true, false },
	{ "crio-conmon-", CG_CRIO, false, true },
	{ "crio-", CG_CRIO, false, false },
	{ "libpod-conmon-", CG_PODMAN, false, true },
	{ "libpod-payload-", CG_PODMAN, false, false },
	{ "libpod-", CG_PODMAN, false, false },
};

/* Is component c a container's cgroup?  Then *w->id says which. */
static bool container(struct walk *w, struct sv c)
{
	struct sv hex, name;

	for (size_t i = 0; i < sizeof(prefixed) / sizeof(prefixed[0]); i++) {
		if (match_prefixed(c, prefixed[i].prefix,
				   prefixed[i].scope_only, &hex)) {
			set_container_id(w, prefixed[i].runtime, hex);
			w->id->monitor = prefixed[i].monitor;
			if (sv_suffix(c, ".scope"))
				set_container_unit(w, c);
			return true;
		}
	}
	if (sv_eq(w->prev, "docker") && is_hex_id(c, 64, 64)) {
		set_container_id(w, CG_DOCKER, c);
		return true;
	}
	if (w->kube && w->id->pod[0] && is_hex_id(c, 64, 64)) {
		set_container_id(w, CG_CONTAINERD_CRI, c);
		return true;
	}
	if (sv_prefix(c, "systemd-nspawn@") && sv_suffix(c, ".service") &&
	    c.n > strlen("systemd-nspawn@.service")) {
		name = sv_mid(c, strlen("systemd-nspawn@"), strlen(".service"));
		goto machine;
	}
	if (sv_prefix(c, "machine-") && sv_suffix(c, ".scope") &&
	    c.n > strlen("machine-.scope")) {
		name = sv_mid(c, strlen("machine-"), strlen(".scope"));
		goto machine;
	}
	if (sv_prefix(c, "lxc.payload.") && c.n > strlen("lxc.payload.")) {
		name = sv_mid(c, strlen("lxc.payload."), 0);
		goto lxc;
	}
	if (sv_prefix(c, "lxc.monitor.") && c.n > strlen("lxc.monitor.")) {
		name = sv_mid(c, strlen("lxc.monitor."), 0);
		w->id->monitor = true;
		goto lxc;
	}
	if (sv_eq(w->prev, "lxc")) {
		name = c;
		goto lxc;
	}
	return false;
machine:
	w->id->runtime = CG_NSPAWN;
	field_set_unescaped(w->id->container, sizeof(w->id->container), name);
	set_container_unit(w, c);
	return true;
lxc:
	w->id->runtime = CG_LXC;
	field_set(w->id->container, sizeof(w->id->container), name);
	return true;
}

static void set_qos(struct walk *w, struct sv q)
{
	if (sv_eq(q, "burstable") || sv_eq(q, "besteffort"))
		field_set(w->id->qos, sizeof(w->id->qos), q);
}

/* "pod<uid>", with kubelet's '_' for '-' undone; false if not a uid. */
static bool set_pod(struct walk *w, struct sv tok)
{
	struct sv uid;

	if (!sv_prefix(tok, "pod") || tok.n == 3 || w->id->pod[0])
		return false;
	uid = sv_mid(tok, 3, 0);
	if (uid.n >= sizeof(w->id->pod))
		return false;
	for (size_t i = 0; i < uid.n; i++) {
		char ch = uid.p[i];

		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
		      (ch >= 'A' && ch <= 'Z') || ch == '-' || ch == '_'))
			return false;
	}
	for (size_t i = 0; i < uid.n; i++)
		w->id->pod[i] = uid.p[i] == '_' ? '-' : uid.p[i];
	w->id->pod[uid.n] = '\0';
	if (!w->id->qos[0])
		strcpy(w->id->qos, "guaranteed");
	return true;
}

/*
 * The cgroups kubelet makes: "kubepods", "burstable", "pod<uid>" with the
 * cgroupfs driver, "kubepods-burstable-pod<uid>.slice" with systemd (and
 * possibly under a --cgroup-root, e.g. kubelet-kubepods-....slice).
 */
static bool kube_component(struct walk *w, struct sv c)
{
	if (sv_suffix(c, ".slice")) {
		struct sv name = sv_mid(c, 0, strlen(".slice")), tok;
		bool seen = false;
		size_t start = 0;

		for (size_t i = 0; i <= name.n; i++) {
			if (i < name.n && name.p[i] != '-')
				continue;
			tok.p = name.p + start;
			tok.n = i - start;
			start = i + 1;
			if (sv_eq(tok, "kubepods"))
				seen = true;
			else if (seen && !set_pod(w, tok))
				set_qos(w, tok);
		}
		if (seen)
			w->kube = true;
		return seen;
	}
	if (sv_eq(c, "kubepods")) {
		w->kube = true;
		return true;
	}
	if (!w->kube)
		return false;
	if (sv_eq(c, "burstable") || sv_eq(c, "besteffort")) {
		set_qos(w, c);
		return true;
	}
	return set_pod(w, c);
}

/* "<prefix>UID<suffix>" (user@UID.service, user-UID.slice): UID, or -1. */
static long long parse_uid(struct sv c, const char *prefix, const char *suffix)
{
	size_t head = strlen(prefix), tail = strlen(suffix);
	struct sv digits;
	long long uid = 0;

	if (!sv_prefix(c, prefix) || !sv_suffix(c, suffix) ||
	    c.n <= head + tail)
		return -1;
	digits = sv_mid(c, head, tail);
	/* uid_t is 32 bits: at most 10 digits */
	if (digits.n > 10)
		return -1;
	for (size_t i = 0; i < digits.n; i++) {
		if (digits.p[i] < '0' || digits.p[i] > '9')
			return -1;
		uid = uid * 10 + (digits.p[i] - '0');
	}
	return uid <= 0xffffffffLL ? uid : -1;
}

static void unit_component(struct walk *w, struct sv c)
{
	long long uid;

	if (w->unit_final)
		return;
	uid = w->user_mgr ? -1 : parse_uid(c, "user@", ".service");
	/* the user manager's own process sits in user@UID.service/init.scope */
	if (w->user_mgr && sv_eq(c, "init.scope")) {
		w->unit_final = true;
		return;
	}
	field_set(w->id->unit, sizeof(w->id->unit), c);
	w->id->runtime = w->host_chain ? CG_SYSTEMD_UNIT : CG_NONE;
	if (uid >= 0) {
		w->id->uid = uid;
		w->user_mgr = true;
		return;
	}
	w->user_mgr = false;
	w->unit_final = true;
}

static void walk_component(struct walk *w, struct sv c)
{
	if (container(w, c)) {
		/* a container's own .scope/.service is a unit on the host */
		return;
	}
	if (kube_component(w, c))
		w->host_chain = false;
	else if (sv_suffix(c, ".slice")) {
		/* user-UID.slice holds that user's sessions and manager */
		if (w->id->uid < 0)
			w->id->uid = parse_uid(c, "user-", ".slice");
	} else if (sv_suffix(c, ".service") || sv_suffix(c, ".scope"))
		unit_component(w, c);
	else
		w->host_chain = false;
}

static void identity_clear(struct cg_identity *id)
{
	memset(id, 0, sizeof(*id));
	id->runtime = CG_NONE;
	id->uid = -1;
}

static bool is_container(const struct cg_identity *id)
{
	return id->runtime != CG_NONE && id->runtime != CG_SYSTEMD_UNIT;
}

/* Walk one path ("/a/b/c") from the root down to its outermost container. */
static void parse_path(struct sv path, struct cg_identity *id)
{
	struct walk w = { .id = id, .host_chain = true };
	size_t start = 0;

	identity_clear(id);
	for (size_t i = 0; i <= path.n; i++) {
		struct sv c;

		if (i < path.n && path.p[i] != '/')
			continue;
		c.p = path.p + start;
		c.n = i - start;
		start = i + 1;
		/* "/.." leads out of the reader's cgroup namespace */
		if (c.n == 0 || sv_eq(c, ".") || sv_eq(c, ".."))
			continue;
		walk_component(&w, c);
		if (is_container(id))
			break;
		w.prev = c;
	}
	/* a pod with no container named: no runtime to claim */
	if (id->runtime == CG_SYSTEMD_UNIT && id->pod[0])
		id->runtime = CG_NONE;
}

/*
 * Which v1 hierarchy to read, best first.  name=systemd is the tree in
 * which systemd names its units, so it carries unit names; runtimes create
 * their container's cgroup in every hierarchy they join (runc's cgroupfs
 * driver in each mounted one, its systemd driver through systemd in all),
 * so pids or memory, which every runtime joins to set limits, name the
 * container where name=systemd is absent (a host without systemd) or left
 * at "/" (a supervisor that moved a process only in some hierarchies).
 * On hybrid hosts the v2 line ("0::") is systemd's tree too.
 */
enum prio {
	PRIO_SYSTEMD,
	PRIO_UNIFIED,
	PRIO_PIDS,
	PRIO_MEMORY,
	PRIO_OTHER,
	N_PRIO
};

static enum prio line_prio(struct sv controllers)
{
	enum prio best = PRIO_OTHER;
	size_t start = 0;

	if (controllers.n == 0)
		return PRIO_UNIFIED;
	for (size_t i = 0; i <= controllers.n; i++) {
		struct sv tok;
		enum prio p = PRIO_OTHER;

		if (i < controllers.n && controllers.p[i] != ',')
			continue;
		tok.p = controllers.p + start;
		tok.n = i - start;
		start = i + 1;
		if (sv_eq(tok, "name=systemd"))
			p = PRIO_SYSTEMD;
		else if (sv_eq(tok, "pids"))
			p = PRIO_PIDS;
		else if (sv_eq(tok, "memory"))
			p = PRIO_MEMORY;
		if (p < best)
			best = p;
	}
	return best;
}

/* "N:controllers:/path" into its controllers and path; false if not one. */
static bool split_line(struct sv line, struct sv *controllers, struct sv *path)
{
	const char *c1, *c2;
	size_t i;

	c1 = memchr(line.p, ':', line.n);
	if (!c1 || c1 == line.p)
		return false;
	for (const char *q = line.p; q < c1; q++)
		if (*q < '0' || *q > '9')
			return false;
	i = (size_t)(c1 - line.p) + 1;
	c2 = memchr(c1 + 1, ':', line.n - i);
	if (!c2)
		return false;
	controllers->p = c1 + 1;
	controllers->n = (size_t)(c2 - controllers->p);
	path->p = c2 + 1;
	path->n = line.n - (size_t)(path->p - line.p);
	if (path->n == 0 || path->p[0] != '/')
		return false;
	if (sv_suffix(*path, " (deleted)"))
		path->n -= strlen(" (deleted)");
	return true;
}

int cgname_parse(const char *text, struct cg_identity *out)
{
	struct sv cand[N_PRIO] = { { NULL, 0 } };
	bool have[N_PRIO] = { false }, any = false;
	struct cg_identity tmp;
	int rank = 4;
	size_t lines = 0;

	identity_clear(out);
	if (!text)
		return -EINVAL;
	for (const char *p = text; *p && lines < MAX_LINES; lines++) {
		const char *nl = strchr(p, '\n');
		struct sv line = { p, nl ? (size_t)(nl - p) : strlen(p) };
		struct sv controllers, path;
		enum prio pr;

		p = nl ? nl + 1 : p + line.n;
		if (!split_line(line, &controllers, &path))
			continue;
		pr = line_prio(controllers);
		any = true;
		if (!have[pr]) {
			have[pr] = true;
			cand[pr] = path;
		}
	}
	if (!any)
		return -EINVAL;
	/*
	 * The best hierarchy that names a container, else one that names a
	 * pod, else a unit: at most N_PRIO walks of one line each.
	 */
	for (int pr = 0; pr < N_PRIO; pr++) {
		int r;

		if (!have[pr])
			continue;
		parse_path(cand[pr], &tmp);
		if (is_container(&tmp))
			r = 0;
		else if (tmp.pod[0])
			r = 1;
		else
			r = tmp.unit[0] ? 2 : 3;
		if (r < rank) {
			rank = r;
			*out = tmp;
		}
		if (r == 0)
			break;
	}
	return 0;
}

const char *cgname_runtime_name(enum cg_runtime r)
{
	switch (r) {
	case CG_NONE: return "none";
	case CG_DOCKER: return "docker";
	case CG_CONTAINERD_CRI: return "containerd";
	case CG_CRIO: return "cri-o";
	case CG_PODMAN: return "podman";
	case CG_NSPAWN: return "nspawn";
	case CG_LXC: return "lxc";
	case CG_SYSTEMD_UNIT: return "systemd";
	}
	return "unknown";
}
