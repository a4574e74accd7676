/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One way to say things: every message of every command goes through
 * here, to standard error (a command run by hand), to syslog (watch, a
 * daemon; standard error too with -v) or into memory (the Ansible module,
 * whose only output is one JSON object).  No other module prints on its
 * own.
 */
#ifndef TWTUNE_LOG_H
#define TWTUNE_LOG_H

#include <stdbool.h>
#include <syslog.h>

/* Messages read "twtune: ..." or, after this, "twtune CMD: ...". */
void log_set_command(const char *cmd);

/* watch: syslog (facility daemon), and standard error when verbose. */
void log_daemon(bool verbose);

/*
 * Connect to syslog now: a writer does so before its sandbox is set up,
 * so that the socket exists whatever the sandbox allows later.
 */
void log_open_syslog(void);

/* Keep every message in memory instead (log_captured() hands it over). */
void log_capture(void);

/*
 * The messages kept since log_capture(), one per line, without the
 * trailing newline; "" when there were none.  Capturing stops.
 */
char *log_captured(void);

void log_msg(int prio, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Without the "twtune: " prefix: FILE:LINE messages. */
void log_plain(int prio, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * A change made to the system (one line per key): always to syslog as
 * well, so that the journal holds every change whoever ran twtune.
 */
void log_change(int prio, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_err(...) log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)

#endif
