// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Persist-file parsing, merging and atomic replacement.  Only twtune's own
 * file is ever rewritten; other sysctl.d files are only read (for the
 * shadowing check).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bounds.h"
#include "persist.h"
#include "sysctl.h"
#include "util.h"

int persist_parse(const char *text, struct persist *p, char *err, size_t errlen)
{
	const char *line = text;
	int lineno = 0;

	memset(p, 0, sizeof(*p));
	while (line && *line) {
		const char *end = strchrnul(line, '\n');
		char buf[PERSIST_LINE_MAX], *s, *eq, *k, *why_key;
		const char *why;
		long long v;

		lineno++;
		if ((size_t)(end - line) >= sizeof(buf)) {
			snprintf(err, errlen, "%d: line too long", lineno);
			goto bad;
		}
		memcpy(buf, line, (size_t)(end - line));
		buf[end - line] = '\0';
		line = *end ? end + 1 : NULL;
		s = buf;
		while (isspace((unsigned char)*s))
			s++;
		if (!*s || *s == '#' || *s == ';')
			continue;
		eq = strchr(s, '=');
		if (!eq) {
			snprintf(err, errlen, "%d: not a \"key = value\" line",
				 lineno);
			goto bad;
		}
		*eq = '\0';
		k = s;
		for (char *e = eq; e > k && isspace((unsigned char)e[-1]); e--)
			e[-1] = '\0';
		why_key = k;
		sysctl_key_normalize(why_key);
		if (!sysctl_key_valid(k, &why)) {
			snprintf(err, errlen, "%d: %s: %s", lineno, k, why);
			goto bad;
		}
		if (util_parse_ll(eq + 1, &v) < 0) {
			snprintf(err, errlen, "%d: %s: value is not an integer",
				 lineno, k);
			goto bad;
		}
		persist_set(p, k, v);
	}
	return 0;
bad:
	persist_free(p);
	return -EINVAL;
}

void persist_set(struct persist *p, const char *key, long long value)
{
	for (size_t i = 0; i < p->n; i++) {
		if (strcmp(p->v[i].key, key) == 0) {
			p->v[i].value = value;
			return;
		}
	}
	p->v = xrealloc(p->v, (p->n + 1) * sizeof(*p->v));
	p->v[p->n].key = xstrdup(key);
	p->v[p->n++].value = value;
}

void persist_remove(struct persist *p, const char *key)
{
	for (size_t i = 0; i < p->n; i++) {
		if (strcmp(p->v[i].key, key) == 0) {
			free(p->v[i].key);
			memmove(&p->v[i], &p->v[i + 1],
				(p->n - i - 1) * sizeof(*p->v));
			p->n--;
			return;
		}
	}
}

const struct persist_entry *persist_get(const struct persist *p,
					const char *key)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->v[i].key, key) == 0)
			return &p->v[i];
	return NULL;
}

char *persist_render(const struct persist *p, const char *run_id)
{
	struct strbuf sb = { 0 };

	strbuf_addf(
		&sb,
		"# Written by twtune %s (run %s).\n"
		"# TIME_WAIT tuning it applied; change the policies, not this file (see twtune(8)).\n",
		PACKAGE_VERSION, run_id);
	for (size_t i = 0; i < p->n; i++)
		strbuf_addf(&sb, "%s = %lld\n", p->v[i].key, p->v[i].value);
	return sb.s;
}

int persist_read(int dirfd, const char *name, char **text)
{
	/* never through a symbolic link planted at our name */
	int ret = util_read_file(dirfd, name, O_NOFOLLOW, PERSIST_FILE_MAX,
				 text, NULL, NULL);

	if (ret == -ENOENT) {
		*text = NULL;
		return 0;
	}
	return ret;
}

int persist_load(int dirfd, const char *name, struct persist *p, char **text,
		 char *err, size_t errlen)
{
	char *t = NULL;
	int ret;

	memset(p, 0, sizeof(*p));
	if (text)
		*text = NULL;
	if (err && errlen)
		err[0] = '\0';
	ret = persist_read(dirfd, name, &t);
	if (ret == 0 && t && persist_parse(t, p, err, errlen) < 0)
		ret = -EBADMSG;
	if (ret == 0 && text)
		*text = t;
	else
		free(t);
	return ret;
}

int persist_open_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int persist_write(int dirfd, const char *name, const char *text, bool *replaced)
{
	return util_replace_ex(dirfd, name, text, strlen(text), 0644, true,
			       replaced);
}

int persist_unlink(int dirfd, const char *name, bool *removed)
{
	*removed = false;
	if (unlinkat(dirfd, name, 0) < 0)
		return errno == ENOENT ? 0 : -errno;
	*removed = true;
	/* the removal is as durable as a replacement */
	return fsync(dirfd) < 0 ? -errno : 0;
}

void persist_free(struct persist *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->v[i].key);
	free(p->v);
	memset(p, 0, sizeof(*p));
}
