// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target for the sysctl.d readers: the shadowing check (shadow.c)
 * and the persist-file parser (persist.c).  The input is up to four
 * NUL-separated files, placed in a fake root as
 * /etc/sysctl.d/95-fuzz.conf, /run/sysctl.d/96-fuzz.conf,
 * /usr/lib/sysctl.d/10-early.conf (before twtune's 90-twtune.conf, so
 * never read) and /etc/sysctl.conf; the shadowing check runs over that
 * root for a few managed keys, and each file is also parsed as a persist
 * file.  Checked beyond memory safety: a shadowing hit has another value
 * than twtune's; a failed parse says why; a parsed persist file, rendered
 * again, parses back to the same keys and values.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzzutil.h"
#include "persist.h"
#include "shadow.h"
#include "util.h"

static const char *const files[] = {
	"etc/sysctl.d/95-fuzz.conf",
	"run/sysctl.d/96-fuzz.conf",
	"usr/lib/sysctl.d/10-early.conf",
	"etc/sysctl.conf",
};

static const char *const keys[] = {
	"net.ipv4.tcp_max_tw_buckets",
	"net.ipv4.tcp_tw_reuse",
	"net.ipv4.tcp_fin_timeout",
	"net.ipv4.conf.all.rp_filter",
};
static const char *const wants[] = { "262144", "1", "30", "2" };

static void check_shadows(const char *root)
{
	struct shadows sh;
	struct msgs warnings = { 0 };

	shadow_scan(root, "90-twtune.conf", keys, wants, ARRAY_SIZE(keys), &sh,
		    &warnings);
	fuzz_check(sh.n == ARRAY_SIZE(keys));
	for (size_t i = 0; i < sh.n; i++) {
		fuzz_check(shadow_find(&sh, keys[i]) == &sh.v[i]);
		for (size_t k = 0; k < sh.v[i].n_hits; k++) {
			const struct shadow_hit *h = &sh.v[i].hits[k];

			fuzz_check(strcmp(h->value, wants[i]) != 0);
			fuzz_check(h->line > 0);
			fuzz_check(strstr(h->file, "10-early") == NULL);
		}
	}
	shadow_free(&sh);
	msgs_free(&warnings);
}

static void check_persist(const char *text)
{
	struct persist p, again;
	char err[256], *out;

	err[0] = '\0';
	if (persist_parse(text, &p, err, sizeof(err)) < 0) {
		fuzz_check(err[0] != '\0');
		fuzz_check(p.n == 0 && p.v == NULL);
		return;
	}
	out = persist_render(&p, "fuzz");
	fuzz_check(persist_parse(out, &again, err, sizeof(err)) == 0);
	fuzz_check(again.n == p.n);
	for (size_t i = 0; i < p.n; i++) {
		fuzz_check(strcmp(again.v[i].key, p.v[i].key) == 0);
		fuzz_check(again.v[i].value == p.v[i].value);
		fuzz_check(persist_get(&p, p.v[i].key) == &p.v[i]);
	}
	/* what twtune does with the file next: change a key, drop one */
	persist_set(&again, keys[0], 524288);
	if (p.n)
		persist_remove(&again, p.v[0].key);
	persist_free(&again);
	persist_free(&p);
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_parts p;
	char *root;

	fuzz_split(data, size, &p);
	root = xasprintf("%s/root", fuzz_scratch());
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		if (i < p.n)
			fuzz_put(root, files[i], p.part[i], p.len[i]);
		else
			fuzz_unlink(root, files[i]);
	}
	check_shadows(root);
	for (size_t i = 0; i < p.n; i++) {
		check_persist(p.part[i]);
		for (size_t k = 0; k < ARRAY_SIZE(keys); k++)
			(void)shadow_key_matches(p.part[i], keys[k]);
	}
	free(root);
	fuzz_parts_free(&p);
	return 0;
}
