/*
 * outcome_files.h - inside the outcome module: the checks on the attachments that need the
 * whole list or the file system, for outcome.c to run once the document is read
 * (outcome_files.c). The path rules and the media types, which other modules use too, are
 * declared in outcome.h. Not for use outside vault/outcome*.c.
 */
#ifndef AMANA_OUTCOME_FILES_H
#define AMANA_OUTCOME_FILES_H

#include "vault/err.h"
#include "vault/outcome.h"

/* Sorts o's attachments by path (byte order), gives each its media type, and refuses
 * duplicates, exact or by letter case: ERR_FORMAT naming the one listed later. Every path
 * must be set (checked by the reader before). */
int outcome_files_sort(struct outcome *o, struct err *e);

/* Each attachment must be a regular file inside basedir (after symlinks are resolved): sets
 * its source (basedir joined with its path, freed by outcome_free) and its size. */
int outcome_files_check(struct outcome *o, const char *basedir, struct err *e);

#endif
