/*
 * err.h - the one error type that travels through amana's core.
 *
 * Every action in vault/ and keys/ takes a "struct err *" as its last argument, fills it on
 * failure and returns -1. The core never prints and never exits: only cli/ reports, as
 * "amana: <msg>" and "hint: <hint>", and only cli/main.c turns the code into the exit status.
 *
 * Messages follow git's wording: lowercase, what failed first, the subject in quotes. Hints
 * say what to do, preferably the command to run. Neither ever carries key bytes, passphrases
 * or their lengths.
 */
#ifndef AMANA_ERR_H
#define AMANA_ERR_H

#include <stdarg.h>

/* The exit codes of DESIGN.md; docs/exit-codes.md explains each. */
enum err_code {
	ERR_OK = 0,
	ERR_VERIFY = 1,    /* verification said no: untrusted, bad signature, tampered, forked */
	ERR_USAGE = 2,     /* the command line is wrong */
	ERR_FORMAT = 3,    /* malformed input */
	ERR_IO = 4,        /* I/O or environment */
	ERR_KEY = 5,       /* key or passphrase */
	ERR_INTERNAL = 70, /* a bug */
};

#define ERR_MSG_MAX 1024
#define ERR_HINT_MAX 512

struct err {
	int code;
	char msg[ERR_MSG_MAX];
	char hint[ERR_HINT_MAX];
};

#if defined(__GNUC__)
#define ERR_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define ERR_PRINTF(a, b)
#endif

/* Resets e to "no error". */
void err_clear(struct err *e);

/* Sets code and message (printf-style) and clears the hint; returns -1 so that callers can
 * write "return err_set(e, ERR_FORMAT, ...);". e may be NULL. */
int err_set(struct err *e, int code, const char *fmt, ...) ERR_PRINTF(3, 4);

/* As err_set, with ": <strerror(errno)>" appended; errno is read before anything else. */
int err_errno(struct err *e, int code, const char *fmt, ...) ERR_PRINTF(3, 4);

/* Sets the hint (printf-style) of an error already set; returns -1. */
int err_hint(struct err *e, const char *fmt, ...) ERR_PRINTF(2, 3);

/* Puts "<context>: " in front of the message already set, to say where a low-level failure
 * happened ("reading 'x.pub': line 2 is not base64"); returns -1. */
int err_prefix(struct err *e, const char *fmt, ...) ERR_PRINTF(2, 3);

/* Copies an error (for failures reported by a worker or a callback). */
void err_copy(struct err *dst, const struct err *src);

#endif
