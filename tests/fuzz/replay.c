/*
 * replay.c - runs every fuzz target over its kept inputs, without libFuzzer.
 *
 * "make check" runs this so that each crash the fuzzers ever found, and each seed they start
 * from, is exercised on every build (and under ASan by "make asan"). Inputs come from
 * tests/fuzz/regressions/NAME/ and from the seed folders that tests/fuzz/seeds.txt names for
 * NAME. Output is TAP, one line per target.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/fuzz/fuzz.h"
#include "tests/fuzz/targets.h"

struct target {
	const char *name;
	int (*fn)(const uint8_t *, size_t);
};

#define X(n) int fuzz_##n(const uint8_t *, size_t);
FUZZ_TARGETS
#undef X
#define X(n) {#n, fuzz_##n},
static const struct target targets[] = {FUZZ_TARGETS};
#undef X

static int run_file(const struct target *t, const char *path, size_t *count)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	unsigned char *buf = NULL;
	size_t len = 0, cap = 0;
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 4096;
			unsigned char *nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				fclose(f);
				return -1;
			}
			buf = nb;
		}
		size_t n = fread(buf + len, 1, cap - len, f);
		if (n == 0)
			break;
		len += n;
	}
	fclose(f);
	t->fn(buf, len);
	free(buf);
	(*count)++;
	return 0;
}

/* Runs target t on every regular file below dir (recursively); a missing dir is fine. */
static void run_dir(const struct target *t, const char *dir, size_t *count)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		struct stat st;
		if (lstat(path, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode))
			run_dir(t, path, count);
		else if (S_ISREG(st.st_mode))
			run_file(t, path, count);
	}
	closedir(d);
}

int main(int argc, char **argv)
{
	const char *regress = argc > 1 ? argv[1] : "tests/fuzz/regressions";
	size_t ntargets = sizeof targets / sizeof targets[0];
	printf("1..%zu\n", ntargets);
	for (size_t i = 0; i < ntargets; i++) {
		size_t count = 0;
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", regress, targets[i].name);
		run_dir(&targets[i], path, &count);
		/* seeds.txt: lines "NAME DIR" */
		FILE *s = fopen("tests/fuzz/seeds.txt", "r");
		if (s) {
			char line[1024];
			while (fgets(line, sizeof line, s)) {
				char name[256], dir[700];
				if (line[0] == '#' || sscanf(line, "%255s %699s", name, dir) != 2)
					continue;
				if (strcmp(name, targets[i].name) == 0)
					run_dir(&targets[i], dir, &count);
			}
			fclose(s);
		}
		printf("ok %zu - fuzz target %s replayed %zu inputs\n", i + 1, targets[i].name, count);
	}
	return 0;
}
