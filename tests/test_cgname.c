// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Tests for cgname.c: the container, pod and unit named by each cgroup
 * path shape that Docker, containerd, CRI-O, Podman, systemd-nspawn, LXC
 * and plain systemd make (cgroup v2 and v1 files), that the outermost
 * container wins over names planted below it, which v1 hierarchy is read,
 * and that malformed, hostile and overlong text gives a clear result,
 * bounded work and fields that are always terminated.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cgname.h"

/* 64-hex ids as the runtimes make them, and their 12-digit short forms */
#define ID_A "3f2b7c9a1d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8"
#define ID_A12 "3f2b7c9a1d4e"
#define ID_B "b0c1d2e3f405162738495a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f809"
#define ID_B12 "b0c1d2e3f405"
#define UID "8c2d9a4e-1b3f-4c5d-9e6f-7a8b9c0d1e2f"
#define UID_ "8c2d9a4e_1b3f_4c5d_9e6f_7a8b9c0d1e2f"

static struct cg_identity parse(const char *text)
{
	struct cg_identity id;

	assert_int_equal(cgname_parse(text, &id), 0);
	return id;
}

/* Compare every field: a test states the whole identity it expects. */
static void assert_identity(const struct cg_identity *id, enum cg_runtime rt,
			    const char *container, const char *pod,
			    const char *qos, const char *unit)
{
	if (id->runtime != rt)
		print_error("runtime %s, want %s\n",
			    cgname_runtime_name(id->runtime),
			    cgname_runtime_name(rt));
	assert_int_equal(id->runtime, rt);
	assert_string_equal(id->container, container);
	assert_string_equal(id->pod, pod);
	assert_string_equal(id->qos, qos);
	assert_string_equal(id->unit, unit);
}

/* ---- Docker -------------------------------------------------------------- */

static void docker_systemd_driver_v2(void **state)
{
	struct cg_identity id =
		parse("0::/system.slice/docker-" ID_A ".scope\n");

	(void)state;
	assert_identity(&id, CG_DOCKER, ID_A12, "", "",
			"docker-" ID_A ".scope");
	assert_false(id.monitor);
	assert_int_equal(id.uid, -1);
}

static void docker_cgroupfs_driver_v1_every_hierarchy(void **state)
{
	struct cg_identity id =
		parse("12:pids:/docker/" ID_A "\n11:hugetlb:/docker/" ID_A
		      "\n10:net_cls,net_prio:/docker/" ID_A
		      "\n9:memory:/docker/" ID_A "\n4:cpu,cpuacct:/docker/" ID_A
		      "\n1:name=systemd:/docker/" ID_A "\n");

	(void)state;
	assert_identity(&id, CG_DOCKER, ID_A12, "", "", "");
}

static void docker_cgroupfs_needs_a_full_id(void **state)
{
	struct cg_identity id = parse("0::/docker/" ID_A12 "\n");

	(void)state;
	assert_identity(&id, CG_NONE, "", "", "", "");
}

static void docker_in_docker_outermost_wins(void **state)
{
	struct cg_identity id = parse("0::/docker/" ID_A "/docker/" ID_B "\n");

	(void)state;
	assert_identity(&id, CG_DOCKER, ID_A12, "", "", "");
}

/* ---- Kubernetes: containerd CRI ------------------------------------------ */

static void containerd_systemd_burstable(void **state)
{
	struct cg_identity id = parse(
		"0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
		".slice/cri-containerd-" ID_A ".scope\n");

	(void)state;
	assert_identity(&id, CG_CONTAINERD_CRI, ID_A12, UID, "burstable",
			"cri-containerd-" ID_A ".scope");
}

static void containerd_systemd_besteffort(void **state)
{
	struct cg_identity id = parse(
		"0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_
		".slice/cri-containerd-" ID_B ".scope\n");

	(void)state;
	assert_identity(&id, CG_CONTAINERD_CRI, ID_B12, UID, "besteffort",
			"cri-containerd-" ID_B ".scope");
}

static void containerd_systemd_guaranteed_has_no_qos_level(void **state)
{
	struct cg_identity id = parse("0::/kubepods.slice/kubepods-pod" UID_
				      ".slice/cri-containerd-" ID_A ".scope\n");

	(void)state;
	assert_identity(&id, CG_CONTAINERD_CRI, ID_A12, UID, "guaranteed",
			"cri-containerd-" ID_A ".scope");
}

static void containerd_cgroupfs_burstable(void **state)
{
	struct cg_identity id =
		parse("0::/kubepods/burstable/pod" UID "/" ID_A "\n");

	(void)state;
	assert_identity(&id, CG_CONTAINERD_CRI, ID_A12, UID, "burstable", "");
}

static void containerd_cgroupfs_guaranteed(void **state)
{
	struct cg_identity id = parse("0::/kubepods/pod" UID "/" ID_B "\n");

	(void)state;
	assert_identity(&id, CG_CONTAINERD_CRI, ID_B12, UID, "guaranteed", "");
}

static void containerd_cgroupfs_v1_file(void **state)
{
	struct cg_identity id = parse(
		"11:devices:/kubepods/besteffort/pod" UID "/" ID_A
		"\n9:memory:/kubepods/besteffort/pod" UID "/" ID_A
		"\n6:pids:/kubepods/besteffort/pod" UID "/" ID_A
		"\n1:name=systemd:/kubepods/besteffort/pod" UID "/" ID_A "\n");

	(void)state;
	assert_identity(&id, CG_CONTAINERD_CRI, ID_A12, UID, "besteffort", "");
}

static void kubelet_cgroup_root_prefix(void **state)
{
	struct cg_identity id = parse(
		"0::/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod" UID_
		".slice/cri-containerd-" ID_A ".scope\n");

	(void)state;
	assert_identity(&id, CG_CONTAINERD_CRI, ID_A12, UID, "besteffort",
			"cri-containerd-" ID_A ".scope");
}

static void pod_cgroup_without_container_names_the_pod_only(void **state)
{
	struct cg_identity id = parse(
		"0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
		".slice\n");

	(void)state;
	assert_identity(&id, CG_NONE, "", UID, "burstable", "");
}

static void docker_scope_in_a_pod(void **state)
{
	struct cg_identity id = parse("0::/kubepods.slice/kubepods-pod" UID_
				      ".slice/docker-" ID_A ".scope\n");

	(void)state;
	assert_identity(&id, CG_DOCKER, ID_A12, UID, "guaranteed",
			"docker-" ID_A ".scope");
}

/* ---- CRI-O --------------------------------------------------------------- */

static void crio_systemd(void **state)
{
	struct cg_identity id = parse(
		"0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
		".slice/crio-" ID_A ".scope/container\n");

	(void)state;
	assert_identity(&id, CG_CRIO, ID_A12, UID, "burstable",
			"crio-" ID_A ".scope");
	assert_false(id.monitor);
}

static void crio_conmon_is_the_monitor(void **state)
{
	struct cg_identity id = parse(
		"0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
		".slice/crio-conmon-" ID_A ".scope\n");

	(void)state;
	assert_identity(&id, CG_CRIO, ID_A12, UID, "burstable",
			"crio-conmon-" ID_A ".scope");
	assert_true(id.monitor);
}

static void crio_conmon_in_system_slice(void **state)
{
	struct cg_identity id =
		parse("0::/system.slice/crio-conmon-" ID_B ".scope\n");

	(void)state;
	assert_identity(&id, CG_CRIO, ID_B12, "", "",
			"crio-conmon-" ID_B ".scope");
	assert_true(id.monitor);
}

static void crio_cgroupfs(void **state)
{
	struct cg_identity id =
		parse("0::/kubepods/burstable/pod" UID "/crio-" ID_A "\n");

	(void)state;
	assert_identity(&id, CG_CRIO, ID_A12, UID, "burstable", "");
}

/* ---- Podman -------------------------------------------------------------- */

static void podman_systemd_machine_slice(void **state)
{
	struct cg_identity id =
		parse("0::/machine.slice/libpod-" ID_A ".scope/container\n");

	(void)state;
	assert_identity(&id, CG_PODMAN, ID_A12, "", "",
			"libpod-" ID_A ".scope");
	assert_false(id.monitor);
}

static void podman_rootless_under_user_manager(void **state)
{
	struct cg_identity id = parse(
		"0::/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID_B
		".scope\n");

	(void)state;
	assert_identity(&id, CG_PODMAN, ID_B12, "", "",
			"libpod-" ID_B ".scope");
	assert_int_equal(id.uid, 1000);
}

static void podman_conmon_is_the_monitor(void **state)
{
	struct cg_identity id = parse(
		"0::/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-conmon-" ID_B
		".scope\n");

	(void)state;
	assert_identity(&id, CG_PODMAN, ID_B12, "", "",
			"libpod-conmon-" ID_B ".scope");
	assert_true(id.monitor);
	assert_int_equal(id.uid, 1000);
}

static void podman_cgroupfs(void **state)
{
	struct cg_identity id = parse("0::/libpod_parent/libpod-" ID_A "\n");

	(void)state;
	assert_identity(&id, CG_PODMAN, ID_A12, "", "", "");
}

static void podman_pod_slice_is_not_a_machine(void **state)
{
	struct cg_identity id =
		parse("0::/machine.slice/machine-libpod_pod_" ID_B
		      ".slice/libpod-" ID_A ".scope\n");

	(void)state;
	assert_identity(&id, CG_PODMAN, ID_A12, "", "",
			"libpod-" ID_A ".scope");
}

static void podman_split_payload_keeps_the_service(void **state)
{
	struct cg_identity id = parse(
		"0::/system.slice/shopfront.service/libpod-payload-" ID_A "\n");

	(void)state;
	assert_identity(&id, CG_PODMAN, ID_A12, "", "", "shopfront.service");
}

/* ---- systemd-nspawn and machined ----------------------------------------- */

static void nspawn_service_with_its_own_systemd_inside(void **state)
{
	struct cg_identity id = parse(
		"0::/machine.slice/systemd-nspawn@web.service/payload/system.slice/nginx.service\n");

	(void)state;
	assert_identity(&id, CG_NSPAWN, "web", "", "",
			"systemd-nspawn@web.service");
}

static void nspawn_service_name_is_unescaped(void **state)
{
	struct cg_identity id = parse(
		"0::/machine.slice/systemd-nspawn@shop\\x2dfront.service/payload/init.scope\n");

	(void)state;
	assert_identity(&id, CG_NSPAWN, "shop-front", "", "",
			"systemd-nspawn@shop\\x2dfront.service");
}

static void machined_scope_name_is_unescaped(void **state)
{
	struct cg_identity id = parse(
		"0::/machine.slice/machine-build\\x2d7.scope/payload/system.slice/sshd.service\n");

	(void)state;
	assert_identity(&id, CG_NSPAWN, "build-7", "", "",
			"machine-build\\x2d7.scope");
}

static void escape_of_a_control_byte_stays_escaped(void **state)
{
	struct cg_identity id =
		parse("0::/machine.slice/machine-a\\x1bb\\x2fc\\xzz.scope\n");

	(void)state;
	assert_identity(&id, CG_NSPAWN, "a\\x1bb/c\\xzz", "", "",
			"machine-a\\x1bb\\x2fc\\xzz.scope");
}

/* ---- LXC ----------------------------------------------------------------- */

static void lxc_payload(void **state)
{
	struct cg_identity id = parse("0::/lxc.payload.web/init.scope\n");

	(void)state;
	assert_identity(&id, CG_LXC, "web", "", "", "");
	assert_false(id.monitor);
}

static void lxc_monitor(void **state)
{
	struct cg_identity id = parse("0::/lxc.monitor.web\n");

	(void)state;
	assert_identity(&id, CG_LXC, "web", "", "", "");
	assert_true(id.monitor);
}

static void lxc_legacy_v1(void **state)
{
	struct cg_identity id = parse(
		"5:memory:/lxc/web\n3:pids:/lxc/web\n1:name=systemd:/lxc/web/system.slice/cron.service\n");

	(void)state;
	assert_identity(&id, CG_LXC, "web", "", "", "");
}

/* ---- plain systemd ------------------------------------------------------- */

static void system_service(void **state)
{
	struct cg_identity id = parse("0::/system.slice/shopfront.service\n");

	(void)state;
	assert_identity(&id, CG_SYSTEMD_UNIT, "", "", "", "shopfront.service");
	assert_int_equal(id.uid, -1);
}

static void template_instances(void **state)
{
	struct cg_identity a = parse("0::/system.slice/foo@bar.service\n");
	struct cg_identity b =
		parse("0::/system.slice/system-foo.slice/foo@bar.service\n");

	(void)state;
	assert_identity(&a, CG_SYSTEMD_UNIT, "", "", "", "foo@bar.service");
	assert_identity(&b, CG_SYSTEMD_UNIT, "", "", "", "foo@bar.service");
}

static void user_unit_names_the_user(void **state)
{
	struct cg_identity id = parse(
		"0::/user.slice/user-1000.slice/user@1000.service/app.slice/syncer.service\n");

	(void)state;
	assert_identity(&id, CG_SYSTEMD_UNIT, "", "", "", "syncer.service");
	assert_int_equal(id.uid, 1000);
}

static void user_manager_itself(void **state)
{
	struct cg_identity id = parse(
		"0::/user.slice/user-1001.slice/user@1001.service/init.scope\n");

	(void)state;
	assert_identity(&id, CG_SYSTEMD_UNIT, "", "", "", "user@1001.service");
	assert_int_equal(id.uid, 1001);
}

static void login_session(void **state)
{
	struct cg_identity id =
		parse("0::/user.slice/user-1000.slice/session-4.scope\n");

	(void)state;
	assert_identity(&id, CG_SYSTEMD_UNIT, "", "", "", "session-4.scope");
	assert_int_equal(id.uid, 1000);
}

static void pid1_init_scope(void **state)
{
	struct cg_identity id = parse("0::/init.scope\n");

	(void)state;
	assert_identity(&id, CG_SYSTEMD_UNIT, "", "", "", "init.scope");
}

static void delegated_subcgroups_do_not_rename_the_unit(void **state)
{
	struct cg_identity id =
		parse("0::/system.slice/builder.service/jobs/sshd.service\n");

	(void)state;
	assert_identity(&id, CG_SYSTEMD_UNIT, "", "", "", "builder.service");
}

static void uid_out_of_range_is_no_uid(void **state)
{
	struct cg_identity a =
		parse("0::/user.slice/user-4294967296.slice/session-1.scope\n");
	struct cg_identity b =
		parse("0::/user.slice/user@12345678901.service\n");

	(void)state;
	assert_int_equal(a.uid, -1);
	assert_int_equal(b.uid, -1);
	assert_string_equal(b.unit, "user@12345678901.service");
}

/* ---- trust: names below a container are the container's ------------------ */

static void names_planted_inside_a_container_are_not_read(void **state)
{
	struct cg_identity a = parse("0::/system.slice/docker-" ID_A
				     ".scope/system.slice/docker-" ID_B
				     ".scope\n");
	struct cg_identity b = parse("0::/system.slice/docker-" ID_A
				     ".scope/kubepods/pod" UID "/" ID_B "\n");
	struct cg_identity c =
		parse("0::/lxc.payload.web/system.slice/sshd.service\n");

	(void)state;
	assert_identity(&a, CG_DOCKER, ID_A12, "", "", "docker-" ID_A ".scope");
	assert_identity(&b, CG_DOCKER, ID_A12, "", "", "docker-" ID_A ".scope");
	assert_identity(&c, CG_LXC, "web", "", "", "");
}

/* ---- unknown shapes ------------------------------------------------------ */

static void unknown_shape_keeps_a_unit_looking_name(void **state)
{
	struct cg_identity a = parse("0::/batch/jobs/reindex.service\n");
	struct cg_identity b = parse("0::/batch/jobs/42\n");
	struct cg_identity c = parse("0::/\n");

	(void)state;
	assert_identity(&a, CG_NONE, "", "", "", "reindex.service");
	assert_identity(&b, CG_NONE, "", "", "", "");
	assert_identity(&c, CG_NONE, "", "", "", "");
}

static void short_or_uppercase_ids_are_not_containers(void **state)
{
	struct cg_identity a = parse("0::/system.slice/docker-abc.scope\n");
	struct cg_identity b =
		parse("0::/system.slice/docker-3F2B7C9A1D4E5F60.scope\n");

	(void)state;
	assert_identity(&a, CG_SYSTEMD_UNIT, "", "", "", "docker-abc.scope");
	assert_identity(&b, CG_SYSTEMD_UNIT, "", "", "",
			"docker-3F2B7C9A1D4E5F60.scope");
}

/* ---- which v1 hierarchy -------------------------------------------------- */

static void v1_container_in_memory_when_systemd_is_at_root(void **state)
{
	struct cg_identity id =
		parse("9:name=systemd:/\n8:pids:/\n4:memory:/docker/" ID_A
		      "\n0::/\n");

	(void)state;
	assert_identity(&id, CG_DOCKER, ID_A12, "", "", "");
}

static void v1_container_beats_a_unit_in_name_systemd(void **state)
{
	struct cg_identity id = parse(
		"1:name=systemd:/system.slice/containerd.service\n3:pids:/kubepods/burstable/pod" UID
		"/" ID_A "\n");

	(void)state;
	assert_identity(&id, CG_CONTAINERD_CRI, ID_A12, UID, "burstable", "");
}

static void v1_name_systemd_gives_the_unit(void **state)
{
	struct cg_identity id = parse(
		"7:memory:/system.slice\n6:pids:/system.slice/shopfront.service\n1:name=systemd:/system.slice/shopfront.service\n");

	(void)state;
	assert_identity(&id, CG_SYSTEMD_UNIT, "", "", "", "shopfront.service");
}

static void v1_first_systemd_line_wins_over_later_ones(void **state)
{
	struct cg_identity id = parse(
		"1:name=systemd:/system.slice/a.service\n2:name=systemd:/system.slice/b.service\n");

	(void)state;
	assert_identity(&id, CG_SYSTEMD_UNIT, "", "", "", "a.service");
}

static void v1_only_other_controllers_are_read(void **state)
{
	struct cg_identity id = parse("2:cpu,cpuacct:/docker/" ID_B "\n");

	(void)state;
	assert_identity(&id, CG_DOCKER, ID_B12, "", "", "");
}

static void hybrid_unified_line_names_the_unit(void **state)
{
	struct cg_identity id =
		parse("5:cpuset:/\n0::/system.slice/shopfront.service\n");

	(void)state;
	assert_identity(&id, CG_SYSTEMD_UNIT, "", "", "", "shopfront.service");
}

static void deleted_cgroup_suffix_is_dropped(void **state)
{
	struct cg_identity id =
		parse("0::/system.slice/docker-" ID_A ".scope (deleted)\n");

	(void)state;
	assert_identity(&id, CG_DOCKER, ID_A12, "", "",
			"docker-" ID_A ".scope");
}

static void cgroup_namespace_dotdot_is_skipped(void **state)
{
	struct cg_identity id =
		parse("0::/../../system.slice/shopfront.service\n");

	(void)state;
	assert_identity(&id, CG_SYSTEMD_UNIT, "", "", "", "shopfront.service");
}

/* ---- malformed and hostile ----------------------------------------------- */

static void not_a_cgroup_file_is_einval(void **state)
{
	const char *bad[] = { "",
			      "\n\n",
			      "hello",
			      "a:b:/x\n",
			      ":pids:/docker/x\n",
			      "0::relative/path\n",
			      "0::\n",
			      "0:/system.slice/x.service\n" };
	struct cg_identity id;

	(void)state;
	assert_int_equal(cgname_parse(NULL, &id), -EINVAL);
	assert_int_equal(id.runtime, CG_NONE);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&id, 0x55, sizeof(id));
		assert_int_equal(cgname_parse(bad[i], &id), -EINVAL);
		assert_identity(&id, CG_NONE, "", "", "", "");
		assert_int_equal(id.uid, -1);
		assert_false(id.monitor);
	}
}

static void no_final_newline_and_blank_lines(void **state)
{
	struct cg_identity a = parse("0::/system.slice/docker-" ID_A ".scope");
	struct cg_identity b =
		parse("\n\ngarbage\n0::/system.slice/shopfront.service");

	(void)state;
	assert_identity(&a, CG_DOCKER, ID_A12, "", "", "docker-" ID_A ".scope");
	assert_identity(&b, CG_SYSTEMD_UNIT, "", "", "", "shopfront.service");
}

static void newline_inside_a_path_ends_it(void **state)
{
	struct cg_identity id =
		parse("0::/system.slice/\ndocker-" ID_A ".scope\n");

	(void)state;
	assert_identity(&id, CG_NONE, "", "", "", "");
}

static void colon_in_a_path_is_part_of_it(void **state)
{
	struct cg_identity id = parse("0::/system.slice/a:b.service\n");

	(void)state;
	assert_identity(&id, CG_SYSTEMD_UNIT, "", "", "", "a:b.service");
}

static void control_bytes_become_question_marks(void **state)
{
	struct cg_identity id =
		parse("0::/system.slice/\x1b[31mred\x7f\x01.service\n");

	(void)state;
	assert_identity(&id, CG_SYSTEMD_UNIT, "", "", "", "?[31mred??.service");
}

static void bytes_above_ascii_become_question_marks(void **state)
{
	struct cg_identity id = parse("0::/lxc.payload.caf\xc3\xa9\n");

	(void)state;
	assert_identity(&id, CG_LXC, "caf??", "", "", "");
}

static void lines_past_the_limit_are_not_read(void **state)
{
	const char *filler = "3:cpu:/\n";
	const char *late = "1:name=systemd:/docker/" ID_A "\n";
	struct cg_identity id;
	char *text;

	(void)state;
	text = calloc(1, 100 * strlen(filler) + strlen(late) + 1);
	assert_non_null(text);
	for (int i = 0; i < 100; i++)
		strcat(text, filler);
	strcat(text, late);
	id = parse(text);
	assert_identity(&id, CG_NONE, "", "", "", "");
	free(text);
}

/* A path of 1 MiB of components, and one of a single 1 MiB component. */
static void huge_paths_are_linear_and_harmless(void **state)
{
	size_t n = 1 << 20;
	char *a = malloc(n + 16), *b = malloc(n + 32);
	struct timespec t0, t1;
	struct cg_identity id;

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	memcpy(a, "0::", 3);
	for (size_t i = 3; i < n; i += 2)
		memcpy(a + i, "/x", 2);
	a[n] = '\0';
	memcpy(b, "0::/system.slice/", 17);
	memset(b + 17, 'u', n);
	strcpy(b + 17 + n, ".service");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	id = parse(a);
	assert_identity(&id, CG_NONE, "", "", "", "");
	id = parse(b);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_int_equal(id.runtime, CG_SYSTEMD_UNIT);
	assert_int_equal(strlen(id.unit), sizeof(id.unit) - 1);
	/* linear work: 2 MiB of text in well under a second */
	assert_true(t1.tv_sec - t0.tv_sec < 2);
	free(a);
	free(b);
}

/* ---- truncation ---------------------------------------------------------- */

/* Every field terminated inside itself, and nothing written past the struct. */
static void truncation_is_terminated_and_marked(void **state)
{
	struct {
		struct cg_identity id;
		unsigned char canary[64];
	} g;
	char text[2048], name[600];

	(void)state;
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';

	memset(&g, 0xa5, sizeof(g));
	snprintf(text, sizeof(text), "0::/system.slice/%s.service\n", name);
	assert_int_equal(cgname_parse(text, &g.id), 0);
	assert_int_equal(strlen(g.id.unit), sizeof(g.id.unit) - 1);
	assert_string_equal(g.id.unit + sizeof(g.id.unit) - 4, "...");
	assert_memory_equal(g.id.unit, name, sizeof(g.id.unit) - 4);
	for (size_t i = 0; i < sizeof(g.canary); i++)
		assert_int_equal(g.canary[i], 0xa5);

	memset(&g, 0xa5, sizeof(g));
	snprintf(text, sizeof(text), "0::/machine.slice/machine-%s.scope\n",
		 name);
	assert_int_equal(cgname_parse(text, &g.id), 0);
	assert_int_equal(g.id.runtime, CG_NSPAWN);
	assert_int_equal(strlen(g.id.container), sizeof(g.id.container) - 1);
	assert_string_equal(g.id.container + sizeof(g.id.container) - 4, "...");
	assert_int_equal(strlen(g.id.unit), sizeof(g.id.unit) - 1);
	assert_int_equal(strlen(g.id.pod), 0);
	assert_int_equal(strlen(g.id.qos), 0);
	for (size_t i = 0; i < sizeof(g.canary); i++)
		assert_int_equal(g.canary[i], 0xa5);

	/* a pod uid too long for its field is not a pod uid at all */
	memset(&g, 0xa5, sizeof(g));
	snprintf(text, sizeof(text), "0::/kubepods/pod%s/" ID_A "\n", name);
	assert_int_equal(cgname_parse(text, &g.id), 0);
	assert_identity(&g.id, CG_NONE, "", "", "", "");
	for (size_t i = 0; i < sizeof(g.canary); i++)
		assert_int_equal(g.canary[i], 0xa5);
}

static void exactly_fitting_name_is_not_marked(void **state)
{
	char name[128], text[256];
	struct cg_identity id;

	(void)state;
	/* 127 bytes: the unit field's whole capacity */
	memset(name, 'a', 119);
	strcpy(name + 119, ".service");
	snprintf(text, sizeof(text), "0::/system.slice/%s\n", name);
	id = parse(text);
	assert_string_equal(id.unit, name);
}

/* 128 hex digits: the id is shortened, the unit (141 bytes) marked cut */
static void long_hex_id_is_shortened_not_marked(void **state)
{
	struct cg_identity id =
		parse("0::/machine.slice/libpod-" ID_A ID_B ".scope\n");

	(void)state;
	assert_int_equal(id.runtime, CG_PODMAN);
	assert_string_equal(id.container, ID_A12);
	assert_int_equal(strlen(id.unit), sizeof(id.unit) - 1);
	assert_memory_equal(id.unit, "libpod-" ID_A, strlen("libpod-" ID_A));
	assert_string_equal(id.unit + sizeof(id.unit) - 4, "...");
}

/* ---- names --------------------------------------------------------------- */

static void runtime_names_are_distinct(void **state)
{
	enum cg_runtime all[] = { CG_NONE, CG_DOCKER,	   CG_CONTAINERD_CRI,
				  CG_CRIO, CG_PODMAN,	   CG_NSPAWN,
				  CG_LXC,  CG_SYSTEMD_UNIT };

	(void)state;
	assert_string_equal(cgname_runtime_name(CG_NONE), "none");
	assert_string_equal(cgname_runtime_name(CG_DOCKER), "docker");
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		for (size_t j = i + 1; j < sizeof(all) / sizeof(all[0]); j++)
			assert_string_not_equal(cgname_runtime_name(all[i]),
						cgname_runtime_name(all[j]));
	assert_string_equal(cgname_runtime_name((enum cg_runtime)99),
			    "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(docker_systemd_driver_v2),
		cmocka_unit_test(docker_cgroupfs_driver_v1_every_hierarchy),
		cmocka_unit_test(docker_cgroupfs_needs_a_full_id),
		cmocka_unit_test(docker_in_docker_outermost_wins),
		cmocka_unit_test(containerd_systemd_burstable),
		cmocka_unit_test(containerd_systemd_besteffort),
		cmocka_unit_test(
			containerd_systemd_guaranteed_has_no_qos_level),
		cmocka_unit_test(containerd_cgroupfs_burstable),
		cmocka_unit_test(containerd_cgroupfs_guaranteed),
		cmocka_unit_test(containerd_cgroupfs_v1_file),
		cmocka_unit_test(kubelet_cgroup_root_prefix),
		cmocka_unit_test(
			pod_cgroup_without_container_names_the_pod_only),
		cmocka_unit_test(docker_scope_in_a_pod),
		cmocka_unit_test(crio_systemd),
		cmocka_unit_test(crio_conmon_is_the_monitor),
		cmocka_unit_test(crio_conmon_in_system_slice),
		cmocka_unit_test(crio_cgroupfs),
		cmocka_unit_test(podman_systemd_machine_slice),
		cmocka_unit_test(podman_rootless_under_user_manager),
		cmocka_unit_test(podman_conmon_is_the_monitor),
		cmocka_unit_test(podman_cgroupfs),
		cmocka_unit_test(podman_pod_slice_is_not_a_machine),
		cmocka_unit_test(podman_split_payload_keeps_the_service),
		cmocka_unit_test(nspawn_service_with_its_own_systemd_inside),
		cmocka_unit_test(nspawn_service_name_is_unescaped),
		cmocka_unit_test(machined_scope_name_is_unescaped),
		cmocka_unit_test(escape_of_a_control_byte_stays_escaped),
		cmocka_unit_test(lxc_payload),
		cmocka_unit_test(lxc_monitor),
		cmocka_unit_test(lxc_legacy_v1),
		cmocka_unit_test(system_service),
		cmocka_unit_test(template_instances),
		cmocka_unit_test(user_unit_names_the_user),
		cmocka_unit_test(user_manager_itself),
		cmocka_unit_test(login_session),
		cmocka_unit_test(pid1_init_scope),
		cmocka_unit_test(delegated_subcgroups_do_not_rename_the_unit),
		cmocka_unit_test(uid_out_of_range_is_no_uid),
		cmocka_unit_test(names_planted_inside_a_container_are_not_read),
		cmocka_unit_test(unknown_shape_keeps_a_unit_looking_name),
		cmocka_unit_test(short_or_uppercase_ids_are_not_containers),
		cmocka_unit_test(
			v1_container_in_memory_when_systemd_is_at_root),
		cmocka_unit_test(v1_container_beats_a_unit_in_name_systemd),
		cmocka_unit_test(v1_name_systemd_gives_the_unit),
		cmocka_unit_test(v1_first_systemd_line_wins_over_later_ones),
		cmocka_unit_test(v1_only_other_controllers_are_read),
		cmocka_unit_test(hybrid_unified_line_names_the_unit),
		cmocka_unit_test(deleted_cgroup_suffix_is_dropped),
		cmocka_unit_test(cgroup_namespace_dotdot_is_skipped),
		cmocka_unit_test(not_a_cgroup_file_is_einval),
		cmocka_unit_test(no_final_newline_and_blank_lines),
		cmocka_unit_test(newline_inside_a_path_ends_it),
		cmocka_unit_test(colon_in_a_path_is_part_of_it),
		cmocka_unit_test(control_bytes_become_question_marks),
		cmocka_unit_test(bytes_above_ascii_become_question_marks),
		cmocka_unit_test(lines_past_the_limit_are_not_read),
		cmocka_unit_test(huge_paths_are_linear_and_harmless),
		cmocka_unit_test(truncation_is_terminated_and_marked),
		cmocka_unit_test(exactly_fitting_name_is_not_marked),
		cmocka_unit_test(long_hex_id_is_shortened_not_marked),
		cmocka_unit_test(runtime_names_are_distinct),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
