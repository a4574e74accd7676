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
 * An audit record, its newline included.  Writers never append a longer
 * one (the run fails closed instead), and readers refuse a longer line.
 */
#define AUDIT_LINE_MAX (1u << 20)

/* The state file, and the keys it remembers twtune's last write of. */
#define STATE_FILE_MAX (1u << 20)
#define STATE_WRITTEN_MAX 4096

/* The persist file, and one line of it. */
#define PERSIST_FILE_MAX (1u << 20)
#define PERSIST_LINE_MAX 512

/* A sysctl.d file read for the shadowing check. */
#define SYSCTLD_FILE_MAX (1u << 20)

#endif
