// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A main() for a fuzz harness built by the ordinary compiler: it runs
 * LLVMFuzzerTestOneInput() once on every file of the harness's seed
 * corpus and of its regression inputs (the crashes fuzzing found), so
 * that `make check` (and its ASan, UBSan and valgrind runs) replays them
 * all.  FUZZ_HARNESS names the harness; the directories are
 * $SRCDIR/tests/fuzz/corpus/FUZZ_HARNESS and .../regress/FUZZ_HARNESS;
 * the corpus must exist and hold at least one file, so that a lost corpus
 * fails instead of passing on nothing, and so must the regression
 * directory if there is one (a harness that never crashed has none).  With
 * arguments, the files or directories named are replayed instead (to reproduce
 * one crash under a debugger or valgrind).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzzutil.h"
#include "util.h"

#ifndef FUZZ_HARNESS
#error "build with -DFUZZ_HARNESS='\"fuzz_name\"'"
#endif

/* Inputs are small; the largest -max_len in run.sh is far below this. */
#define INPUT_MAX (4u << 20)

static int replay_file(const char *path)
{
	char *data;
	size_t len;
	int ret = util_read_at(AT_FDCWD, path, INPUT_MAX, &data, &len);

	if (ret < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(-ret));
		return ret;
	}
	LLVMFuzzerTestOneInput((const uint8_t *)data, len);
	free(data);
	return 0;
}

/* Every regular file in dir, in name order; -ENOENT if there are none. */
static int replay_dir(const char *dir, size_t *count)
{
	struct dirent **ents;
	int n = scandir(dir, &ents, NULL, alphasort), ret = 0;
	size_t done = 0;

	if (n < 0) {
		ret = -errno;
		fprintf(stderr, "%s: %s\n", dir, strerror(-ret));
		return ret;
	}
	for (int i = 0; i < n; i++) {
		char *path = xasprintf("%s/%s", dir, ents[i]->d_name);
		struct stat st;

		if (!ret && ents[i]->d_name[0] != '.' && stat(path, &st) == 0 &&
		    S_ISREG(st.st_mode)) {
			ret = replay_file(path);
			done++;
		}
		free(path);
		free(ents[i]);
	}
	free(ents);
	if (!ret && !done) {
		fprintf(stderr, "%s: no inputs to replay\n", dir);
		ret = -ENOENT;
	}
	*count += done;
	return ret;
}

static int replay_path(const char *path, size_t *count)
{
	struct stat st;

	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return replay_dir(path, count);
	(*count)++;
	return replay_file(path);
}

int main(int argc, char **argv)
{
	static const char *const kinds[] = { "corpus", "regress" };
	const char *top = getenv("SRCDIR");
	size_t count = 0;
	char **paths;
	int n, ret = 0;

	if (argc > 1) {
		paths = xcalloc((size_t)argc, sizeof(*paths));
		for (n = 0; n < argc - 1; n++)
			paths[n] = xstrdup(argv[n + 1]);
	} else {
		paths = xcalloc(ARRAY_SIZE(kinds), sizeof(*paths));
		for (n = 0; n < (int)ARRAY_SIZE(kinds); n++)
			paths[n] = xasprintf("%s/tests/fuzz/%s/%s",
					     top && *top ? top : ".", kinds[n],
					     FUZZ_HARNESS);
	}
	for (int i = 0; i < n; i++) {
		struct stat st;

		/* a harness fuzzing never broke has no regression inputs */
		if (argc == 1 && i == 1 && stat(paths[i], &st) < 0 &&
		    errno == ENOENT) {
			free(paths[i]);
			continue;
		}
		if (!ret && replay_path(paths[i], &count) < 0)
			ret = 1;
		free(paths[i]);
	}
	free(paths);
	printf("%s: %zu input%s replayed%s\n", FUZZ_HARNESS, count,
	       count == 1 ? "" : "s", ret ? ", then failed" : "");
	return ret;
}
