// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * twtune audit verify [FILE...]: check the audit log's hash chain and
 * that every intent has its result; name the first bad line.  Several
 * files are one chain in the order given, such as a rotated log and its
 * successor (FILE.1 FILE).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>

#include "audit.h"
#include "boundary.h"
#include "commands.h"
#include "log.h"

int cmd_audit_verify(const struct options *o, int argc, char **argv)
{
	const char *const *paths = argc > 0 ? (const char *const *)argv
					    : (const char **)&o->audit_log;
	size_t n_paths = argc > 0 ? (size_t)argc : 1, n;
	struct strbuf names = { 0 };
	struct boundary b;
	const char *bad;
	char err[512];
	int rc;

	/* reading is all it does: nothing to write, no privilege kept */
	rc = boundary_cross(o, NULL, ROLE_READER, 0, &b);
	boundary_close(&b);
	if (rc)
		return rc;
	rc = audit_verify_files(paths, n_paths, &n, &bad, err, sizeof(err));
	if (rc == -EBADMSG) {
		log_plain(LOG_ERR, "%s:%s", bad, err);
		return EXIT_FAILED;
	}
	if (rc < 0) {
		log_err("%s", err);
		return EXIT_FAILED;
	}
	for (size_t i = 0; i < n_paths; i++)
		strbuf_addf(&names, "%s%s", i ? " " : "", paths[i]);
	printf("%s: %zu records, hash chain intact, every intent has its result\n",
	       names.s, n);
	strbuf_free(&names);
	return fflush(stdout) == 0 ? 0 : EXIT_OUTPUT;
}
