/*
 * ledger.h - what a vault remembers of bundles: the issuer's sequence counter, the bundles it
 * issued, the bundles it accepted and the records of those it opened.
 *
 * A secretariat takes the next sequence number inside the transaction that also records the
 * issued bundle (and appends it to the log), so a number is never used twice and a seal that
 * fails leaves no trace. A member state refuses a bundle whose sequence is older than one it
 * already accepted under the same bundle id, or that differs from the bundle it accepted
 * under the same id and sequence.
 */
#ifndef AMANA_LEDGER_H
#define AMANA_LEDGER_H

#include <stdint.h>

#include "vault/envelope.h"
#include "vault/err.h"

struct store;
struct manifest;

/* The sequence number the issuer's next seal would take, without taking it (and without a
 * transaction): what a seal prepares with before it takes the vault's lock. */
int ledger_peek_sequence(struct store *s, const char *issuer, uint64_t *seq, struct err *e);

/* Inside a transaction: the issuer's next sequence number (from 1), reserved. */
int ledger_next_sequence(struct store *s, const char *issuer, uint64_t *seq, struct err *e);

/* Inside the same transaction: records the issued bundle, whose file is still the temporary
 * pending (renamed onto path after the commit; ledger_issued_done then clears it). */
int ledger_record_issued(struct store *s, const struct envelope *env, const char *envelope,
			 const char *path, const char *pending, struct err *e);

/* The rename of bundle_id's file happened. */
int ledger_issued_done(struct store *s, const char *bundle_id, struct err *e);

/* The vault's lock on placing bundles (an flock on placing.lock in the vault folder, gone with
 * the process however it ends): a seal holds it from its commit to its rename, and
 * ledger_finish_pending while it works, so that it never takes a living seal's temporary
 * for an orphan. Returns the descriptor to pass to ledger_placing_unlock, or -1. */
int ledger_placing_lock(struct store *s, struct err *e);
void ledger_placing_unlock(int fd);

/* Finishes the renames that a seal killed after its commit left undone: each pending
 * temporary that still exists is linked under its bundle's name (when that name is free),
 * and rows whose file is in place are cleared. *done counts the bundles placed; when one was
 * placed at want (an absolute path; NULL: anywhere), *want_id is its bundle id (malloc'd; the
 * last such, by sequence). */
int ledger_finish_pending(struct store *s, const char *want, char **want_id, size_t *done,
			  struct err *e);

/* 1 when bundle_id was issued with this conference, title and number of records (and then
 * *sequence is its number and *path, malloc'd, where it was written), 0 when not, -1 on
 * error. */
int ledger_issued_like(struct store *s, const char *bundle_id, const char *conference,
		       const char *title, uint64_t records, uint64_t *sequence, char **path,
		       struct err *e);

/* Refuses (ERR_VERIFY) a bundle older than, or different from, one accepted before under its
 * bundle id. */
int ledger_check_received(struct store *s, const struct envelope *env, const char *envelope,
			  struct err *e);

/* Records an accepted bundle; with m (its opened manifest) also its records, for search. */
int ledger_record_received(struct store *s, const struct envelope *env, const char *envelope,
			   const char *path, struct manifest *m, struct err *e);

#endif
