// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * twtune audit verify [FILE]: check the audit log's hash chain and that
 * every intent has its result; name the first bad line.
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
	const char *path = argc > 0 ? argv[0] : o->audit_log;
	struct boundary b;
	char err[512];
	size_t n;
	int rc;

	/* reading is all it does: nothing to write, no privilege kept */
	rc = boundary_cross(o, NULL, ROLE_READER, 0, &b);
	boundary_close(&b);
	if (rc)
		return rc;
	rc = audit_verify(path, &n, err, sizeof(err));
	if (rc == -EBADMSG) {
		log_plain(LOG_ERR, "%s:%s", path, err);
		return EXIT_FAILED;
	}
	if (rc < 0) {
		log_err("%s", err);
		return EXIT_FAILED;
	}
	printf("%s: %zu records, hash chain intact, every intent has its "
	       "result\n",
	       path, n);
	return fflush(stdout) == 0 ? 0 : EXIT_FAILED;
}
