// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Reading sysctl.d the way the boot does (procps `sysctl --system`; with
 * systemd-sysctl the order of the directories is the same, and Debian
 * links /etc/sysctl.conf in as 99-sysctl.conf).  Only read, never
 * written.
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "shadow.h"
#include "sysctl.h"

static const char *const dirs[] = {
	"/etc/sysctl.d",     "/run/sysctl.d", "/usr/local/lib/sysctl.d",
	"/usr/lib/sysctl.d", "/lib/sysctl.d",
};

struct entry {
	char *name;  /* file name, for ordering and masking */
	char *shown; /* path as on the real system */
	char *path;  /* path under root */
};

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->name,
		      ((const struct entry *)b)->name);
}

/*
 * A key as its path under /proc/sys: when the first separator is a dot,
 * dots and slashes swap places ("net.ipv4.conf.eth0/100.rp_filter" is
 * net/ipv4/conf/eth0.100/rp_filter); when it is a slash, nothing changes.
 */
static bool key_path(const char *key, char *out, size_t len)
{
	const char *first = strpbrk(key, "./");

	if (snprintf(out, len, "%s", key) >= (int)len)
		return false;
	if (first && *first == '.')
		for (char *c = out; *c; c++)
			if (*c == '.' || *c == '/')
				*c = *c == '.' ? '/' : '.';
	return true;
}

bool shadow_key_matches(const char *pattern, const char *key)
{
	char p[SYSCTL_KEY_MAX], k[SYSCTL_KEY_MAX];

	if (*pattern == '-') /* "ignore errors" marker */
		pattern++;
	/*
	 * A glob never undoes twtune's value: systemd-sysctl (252) and
	 * procps sysctl (4.0.2) both leave a key that some file sets
	 * explicitly, as twtune's persist file does, out of every glob,
	 * whatever the order (tests/netns_shadow.sh shows it).
	 */
	if (strpbrk(pattern, "*?["))
		return false;
	return key_path(pattern, p, sizeof(p)) && key_path(key, k, sizeof(k)) &&
	       strcmp(p, k) == 0;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static void scan_file(const struct entry *e, const char *const *keys, size_t n,
		      struct shadows *out, struct msgs *warnings)
{
	char *text = NULL, *line, *save = NULL;
	int ret =
		util_read_at(AT_FDCWD, e->path, SYSCTLD_FILE_MAX, &text, NULL);
	int lineno = 0;

	if (ret < 0) {
		if (ret != -ENOENT)
			msgs_addf(warnings,
				  "%s: %s (not checked for shadowing)",
				  e->shown, strerror(-ret));
		return;
	}
	/* strtok_r would skip empty lines and lose the numbering */
	for (line = text; line; line = save) {
		char *eq, *k, *v;

		save = strchr(line, '\n');
		if (save)
			*save++ = '\0';
		lineno++;
		k = trim(line);
		if (!*k || *k == '#' || *k == ';')
			continue;
		eq = strchr(k, '=');
		if (!eq)
			continue;
		*eq = '\0';
		v = trim(eq + 1);
		k = trim(k);
		for (size_t i = 0; i < n; i++) {
			struct shadow *s = &out->v[i];
			struct shadow_hit *h;

			if (!shadow_key_matches(k, keys[i]))
				continue;
			/* same value: nothing is undone */
			if (strcmp(v, s->want) == 0)
				continue;
			s->hits = xrealloc(s->hits,
					   (s->n_hits + 1) * sizeof(*s->hits));
			h = &s->hits[s->n_hits++];
			h->file = xstrdup(e->shown);
			h->line = lineno;
			h->value = xstrdup(v);
		}
	}
	free(text);
}

/* Whether path resolves to the same file as ROOT/etc/sysctl.conf. */
static bool is_sysctl_conf(const char *path, const char *conf_real)
{
	char real[PATH_MAX];

	return conf_real && realpath(path, real) &&
	       strcmp(real, conf_real) == 0;
}

void shadow_scan(const char *root, const char *persist_name,
		 const char *const *keys, const char *const *wants, size_t n,
		 struct shadows *out, struct msgs *warnings)
{
	struct entry *list = NULL, conf;
	size_t n_list = 0;
	char *conf_path, conf_real[PATH_MAX];
	bool have_conf_real;
	const char *r = strcmp(root, "/") == 0 ? "" : root;

	memset(out, 0, sizeof(*out));
	out->v = xcalloc(n, sizeof(*out->v));
	out->n = n;
	for (size_t i = 0; i < n; i++) {
		out->v[i].key = xstrdup(keys[i]);
		out->v[i].want = xstrdup(wants[i]);
	}
	conf_path = xasprintf("%s/etc/sysctl.conf", r);
	have_conf_real = realpath(conf_path, conf_real) != NULL;

	for (size_t d = 0; d < ARRAY_SIZE(dirs); d++) {
		char *dir = xasprintf("%s%s", r, dirs[d]);
		struct dirent **ents;
		int cnt = scandir(dir, &ents, NULL, alphasort);

		for (int i = 0; i < cnt; i++) {
			const char *nm = ents[i]->d_name;
			size_t len = strlen(nm);
			bool masked = false;

			if (nm[0] == '.' || len < 6 ||
			    strcmp(nm + len - 5, ".conf") != 0)
				goto next;
			for (size_t k = 0; k < n_list; k++)
				masked |= strcmp(list[k].name, nm) == 0;
			if (masked)
				goto next;
			list = xrealloc(list, (n_list + 1) * sizeof(*list));
			list[n_list].name = xstrdup(nm);
			list[n_list].shown = xasprintf("%s/%s", dirs[d], nm);
			list[n_list].path = xasprintf("%s/%s", dir, nm);
			n_list++;
		next:
			free(ents[i]);
		}
		if (cnt >= 0)
			free(ents);
		free(dir);
	}
	if (n_list)
		qsort(list, n_list, sizeof(*list), cmp_entry);
	/* what comes after twtune's own file can undo it */
	for (size_t i = 0; i < n_list; i++) {
		if (strcmp(list[i].name, persist_name) > 0 &&
		    !is_sysctl_conf(list[i].path,
				    have_conf_real ? conf_real : NULL))
			scan_file(&list[i], keys, n, out, warnings);
		free(list[i].name);
		free(list[i].shown);
		free(list[i].path);
	}
	free(list);
	conf = (struct entry){ .name = "sysctl.conf",
			       .shown = "/etc/sysctl.conf",
			       .path = conf_path };
	scan_file(&conf, keys, n, out, warnings);
	free(conf_path);
}

const struct shadow *shadow_find(const struct shadows *s, const char *key)
{
	for (size_t i = 0; s && i < s->n; i++)
		if (strcmp(s->v[i].key, key) == 0)
			return &s->v[i];
	return NULL;
}

void shadow_free(struct shadows *s)
{
	for (size_t i = 0; i < s->n; i++) {
		for (size_t k = 0; k < s->v[i].n_hits; k++) {
			free(s->v[i].hits[k].file);
			free(s->v[i].hits[k].value);
		}
		free(s->v[i].hits);
		free(s->v[i].key);
		free(s->v[i].want);
	}
	free(s->v);
	memset(s, 0, sizeof(*s));
}
