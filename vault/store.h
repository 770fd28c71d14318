/*
 * store.h - the local vault: a private folder holding vault.db, an SQLite database.
 *
 * store_open creates the folder (0700) and the database on first use, applies the numbered
 * migrations of schema/vault.sql, and sets the connection up the careful way: WAL, foreign
 * keys on, synchronous FULL, a busy timeout for a second process, SQLite's defensive mode and
 * trusted_schema off. The other modules (keys/keyring.c, bundle records, the log) run their
 * SQL through store_db and report failures with store_fail.
 */
#ifndef AMANA_STORE_H
#define AMANA_STORE_H

#include <sqlite3.h>
#include <stdbool.h>

#include "vault/err.h"

/* "aman" in ASCII: written to PRAGMA application_id so that `file` and we can tell. */
#define STORE_APPLICATION_ID 0x616d616e

struct store;

/* Opens (creating if needed) the vault in dir. *out is owned by the caller: store_close. */
int store_open(struct store **out, const char *dir, struct err *e);
void store_close(struct store *s);

sqlite3 *store_db(struct store *s);
const char *store_dir(struct store *s);

/* The schema version this build knows (the highest migration in schema/vault.sql). */
int store_schema_version(void);

/* How long a write waits for another process's transaction on the same vault before it
 * fails with "the vault is busy": ms for every store opened from now on (10 s unless set),
 * and note(ctx), when not NULL, called once per process after a second of waiting (the
 * command tells its user what it is waiting for). store_wait changes one store's wait. */
void store_wait_setup(long ms, void (*note)(void *), void *ctx);
void store_wait(struct store *s, long ms);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. Rollback never fails and may be called after a failed
 * commit. They nest: inside a transaction, begin opens a savepoint, and commit and rollback
 * end the innermost level (so that two steps that each keep their own transaction can be
 * made one, all or nothing). */
int store_begin(struct store *s, struct err *e);
int store_commit(struct store *s, struct err *e);
void store_rollback(struct store *s);

/* Fills e from the connection's last error, with what (e.g. "cannot add the recipient") in
 * front: busy, full, read-only and I/O map to ERR_IO, corruption to ERR_IO with a hint,
 * anything else to ERR_INTERNAL. Returns -1. */
int store_fail(struct store *s, const char *what, struct err *e);

/* Prepares sql, or fills e; returns NULL on failure. */
sqlite3_stmt *store_prepare(struct store *s, const char *sql, struct err *e);

/* Sets up a connection with the defensive settings shared by the vault and by read-only
 * manifests: defensive mode, trusted_schema off, no extension loading. */
int store_harden(sqlite3 *db, struct err *e);

#endif
