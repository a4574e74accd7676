// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The logging API; see log.h.  A command run by hand prints errors,
 * warnings and notices on standard error (informational lines only with
 * -v, which only watch has); watch sends everything to syslog.  syslog
 * is opened lazily, with LOG_NDELAY, so that its socket exists before the
 * sandbox closes the door on new ones.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"

static struct {
	char prefix[48];
	bool daemon, verbose, capturing, syslog_open;
	struct strbuf captured;
} lg = { .prefix = "twtune" };

void log_set_command(const char *cmd)
{
	snprintf(lg.prefix, sizeof(lg.prefix), "twtune %s", cmd);
}

void log_open_syslog(void)
{
	if (!lg.syslog_open)
		openlog("twtune", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	lg.syslog_open = true;
}

void log_daemon(bool verbose)
{
	lg.daemon = true;
	lg.verbose = verbose;
	log_open_syslog();
}

void log_capture(void)
{
	lg.capturing = true;
	strbuf_add(&lg.captured, "", 0);
}

char *log_captured(void)
{
	char *s = lg.captured.s ? lg.captured.s : xstrdup("");
	size_t n = strlen(s);

	while (n && s[n - 1] == '\n')
		s[--n] = '\0';
	lg.captured = (struct strbuf){ 0 };
	lg.capturing = false;
	return s;
}

/* Where a message of this priority goes, once formatted. */
static void emit(int prio, bool prefixed, bool to_syslog, const char *msg)
{
	if (to_syslog || lg.daemon) {
		log_open_syslog();
		syslog(prio, "%s", msg);
	}
	if (lg.daemon && !lg.verbose)
		return;
	/* by hand, informational lines are only for -v (watch) */
	if (!lg.daemon && prio >= LOG_INFO && !to_syslog)
		return;
	if (to_syslog && !lg.daemon)
		return; /* a change: the command's own output shows it */
	if (lg.capturing) {
		strbuf_addf(&lg.captured, "%s%s%s\n", prefixed ? lg.prefix : "",
			    prefixed ? ": " : "", msg);
		return;
	}
	fprintf(stderr, "%s%s%s\n", prefixed ? lg.prefix : "",
		prefixed ? ": " : "", msg);
}

static void vlog(int prio, bool prefixed, bool to_syslog, const char *fmt,
		 va_list ap)
{
	char *msg;

	if (vasprintf(&msg, fmt, ap) < 0)
		return; /* nothing sensible left to say */
	emit(prio, prefixed, to_syslog, msg);
	free(msg);
}

void log_msg(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(prio, true, false, fmt, ap);
	va_end(ap);
}

void log_plain(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(prio, false, false, fmt, ap);
	va_end(ap);
}

void log_change(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(prio, true, true, fmt, ap);
	va_end(ap);
}
