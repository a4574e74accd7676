/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Hooks for the hardening tests.  They are weak symbols that twtune
 * itself never defines, so every call site below is a no-op in twtune;
 * tests/hooks.c defines them, and only tests/twtune-hooks links it.
 */
#ifndef TWTUNE_HOOKS_H
#define TWTUNE_HOOKS_H

#include <stdbool.h>

/* Right after the sandbox is in place: try what it should refuse. */
void hook_after_sandbox(void) __attribute__((weak));

/* Behave as on a kernel without Landlock. */
bool hook_no_landlock(void) __attribute__((weak));

/* Behave as on a kernel without the TCPTimeWaitOverflow counter. */
bool hook_no_counter(void) __attribute__((weak));

/* Skip finding the causes of TIME_WAIT (the benchmark's baseline). */
bool hook_no_why(void) __attribute__((weak));

/* A fixed suffix for temporary file names, so tests can plant things. */
const char *hook_tmp_suffix(void) __attribute__((weak));

#endif
