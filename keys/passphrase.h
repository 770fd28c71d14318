/*
 * passphrase.h - where passphrases come from, and where they live.
 *
 * In order: the descriptor given by --passphrase-fd N, else the file named by
 * AMANA_PASSPHRASE_FILE (which must be 0600 like a key file), else the terminal (/dev/tty,
 * not stdin, echo off). Never argv, never the environment's value itself. Only the first line
 * is taken (a trailing CR LF or LF is dropped), read byte by byte so that a descriptor can
 * carry several passphrases, one per line. The result is in sodium_malloc'd memory; release
 * it with passphrase_free, which wipes it.
 */
#ifndef AMANA_PASSPHRASE_H
#define AMANA_PASSPHRASE_H

#include <stdbool.h>
#include <stddef.h>

#include "vault/err.h"

#define PASSPHRASE_MAX 1024 /* bytes, as minisign */

/* Reads a passphrase. prompt is shown on the terminal only. With confirm (key creation on a
 * terminal) it is asked twice and must match, and may not be empty. fd is -1 when
 * --passphrase-fd was not given. Failures are ERR_KEY (no terminal, empty, mismatch) or
 * ERR_IO. */
int passphrase_read(int fd, const char *prompt, bool confirm, char **out, size_t *len,
		    struct err *e);

/* Wipes and frees a passphrase from passphrase_read (NULL is fine). */
void passphrase_free(char *p);

#endif
