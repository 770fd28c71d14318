/*
 * shim.c - an LD_PRELOAD library for tests/cli/crash.bats and tests/cli/concurrency.bats:
 * stops amana at a chosen system call, to kill it there or to hold two processes at the
 * same point.
 *
 *   AMANA_SHIM="FUNC:N:WHEN:ACTION"   at the Nth call of FUNC, "before" or "after" it runs:
 *     kill         SIGKILL itself
 *     term         SIGTERM itself
 *     wait=PATH    create PATH.reached, then wait until PATH.go exists
 *
 * Built by the tests' setup_file with cc; never part of amana.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int calls;

/* AMANA_SHIM="FUNC:N:WHEN:ACTION": at the Nth call of FUNC, before or after it runs. */
static void at(const char *fn, int after)
{
	const char *spec = getenv("AMANA_SHIM");
	char f[32], when[8], action[512];
	int n;
	if (!spec || sscanf(spec, "%31[^:]:%d:%7[^:]:%511s", f, &n, when, action) != 4 ||
	    strcmp(f, fn) != 0)
		return;
	if (!after)
		calls++;
	if (calls != n || (strcmp(when, "after") == 0) != after)
		return;
	if (strcmp(action, "kill") == 0) {
		kill(getpid(), SIGKILL);
	} else if (strcmp(action, "term") == 0) {
		kill(getpid(), SIGTERM);
	} else if (strncmp(action, "wait=", 5) == 0) {
		/* A barrier: says it got here (PATH.reached), goes on once PATH.go exists. */
		char p[600];
		struct timespec ts = {0, 10000000};
		snprintf(p, sizeof p, "%s.reached", action + 5);
		close(open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
		snprintf(p, sizeof p, "%s.go", action + 5);
		while (access(p, F_OK) != 0)
			nanosleep(&ts, NULL);
	}
}

#define HOOK(ret, name, params, args)                                   \
	ret name params                                                 \
	{                                                               \
		static ret(*real) params;                               \
		if (!real)                                              \
			*(void **)&real = dlsym(RTLD_NEXT, #name);      \
		at(#name, 0);                                           \
		ret r = real args;                                      \
		at(#name, 1);                                           \
		return r;                                               \
	}

HOOK(int, link, (const char *a, const char *b), (a, b))
HOOK(int, rename, (const char *a, const char *b), (a, b))
HOOK(int, fsync, (int fd), (fd))
HOOK(int, fdatasync, (int fd), (fd))
HOOK(int, mkostemp, (char *t, int fl), (t, fl))
HOOK(char *, mkdtemp, (char *t), (t))
