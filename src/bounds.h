/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Every size limit twtune puts on what it reads and writes, in one
 * place.  Each input is refused (with a clear error) beyond its limit, so
 * that no file, however broken or hostile, makes twtune allocate without
 * bound or write what its own reader would refuse.
 */
#ifndef TWTUNE_BOUNDS_H
#define TWTUNE_BOUNDS_H

/* A policy file, the configuration file, the Ansible arguments file. */
#define POLICY_FILE_MAX (1u << 20)
/* Policy files in one load (each is hashed into every audit record). */
#define POLICY_FILES_MAX 256
/* A policy expression's text. */
#define EXPR_TEXT_MAX 4096
/* A reason or advice template, and the text rendered from one. */
#define TEMPLATE_MAX 4096

/* A file under /proc (or a fixture tree). */
#define PROC_FILE_MAX (4u << 20)
/*
 * A small /proc file read per process or cgroup while naming namespaces
 * and socket owners (PID/comm, PID/cgroup, a cgroup's cgroup.procs), and
 * the mount table read to find the cgroup2 mount.
 */
#define PROC_SMALL_MAX (64u << 10)
#define MOUNTS_FILE_MAX (1u << 20)

/* A syslog file read for the overflow message, and the kernel ring
 * buffer read from /dev/kmsg. */
#define KLOG_FILE_MAX (64u << 20)

/*
 * An audit record, its newline included.  Writers never append a longer
 * one (the run fails closed instead), and readers refuse a longer line.
 */
#define AUDIT_LINE_MAX (1u << 20)

/*
 * The state file, the keys it remembers twtune's last write of, and its
 * counter samples (all namespaces together; the oldest go first when the
 * file would exceed STATE_FILE_MAX).
 */
#define STATE_FILE_MAX (1u << 20)
#define STATE_WRITTEN_MAX 4096
#define STATE_SAMPLES_MAX 4096

/* The persist file, and one line of it. */
#define PERSIST_FILE_MAX (1u << 20)
#define PERSIST_LINE_MAX 512

/* A sysctl.d file read for the shadowing check. */
#define SYSCTLD_FILE_MAX (1u << 20)

#endif
