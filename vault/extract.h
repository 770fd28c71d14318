/*
 * extract.h - safe output of an opened bundle: everything is written into a private staging
 * folder beside the destination and appears under the destination's name by one rename,
 * only after every check passed. A failure at any point removes the staging folder, so the
 * destination never holds a partial or unverified tree.
 *
 * Inside the staging folder, files are created relative to its descriptor, one path
 * component at a time, with O_NOFOLLOW and O_EXCL: a name cannot climb out ("..", absolute
 * paths are refused before that), follow a link, or replace a file written earlier.
 * The tree is private: folders 0700, files 0600 (what a bundle holds was meant for this
 * member state only).
 */
#ifndef AMANA_EXTRACT_H
#define AMANA_EXTRACT_H

#include "vault/err.h"

struct stage {
	char *final;  /* the destination folder */
	char *tmp;    /* the staging folder beside it */
	int dirfd;    /* open on tmp */
};

/* Prepares staging for final, which must not exist (or be an empty folder). */
int stage_open(struct stage *s, const char *final, struct err *e);

/* Creates the new file relpath (checked like an attachment path) inside the staging folder,
 * with its missing parent folders; returns a descriptor open for writing, or -1. */
int stage_create(struct stage *s, const char *relpath, struct err *e);

/* Makes the staged tree durable (fsync of every file and folder) and private (0700). */
int stage_sync(struct stage *s, struct err *e);

/* Renames the staged tree onto the destination (after stage_sync). */
int stage_commit(struct stage *s, struct err *e);

/* Removes the staging folder and everything in it; safe after commit and twice. */
void stage_abort(struct stage *s);

#endif
