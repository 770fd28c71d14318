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

/* Inside a transaction: the issuer's next sequence number (from 1), reserved. */
int ledger_next_sequence(struct store *s, const char *issuer, uint64_t *seq, struct err *e);

/* Inside the same transaction: records the issued bundle. */
int ledger_record_issued(struct store *s, const struct envelope *env, const char *envelope,
			 const char *path, struct err *e);

/* Refuses (ERR_VERIFY) a bundle older than, or different from, one accepted before under its
 * bundle id. */
int ledger_check_received(struct store *s, const struct envelope *env, const char *envelope,
			  struct err *e);

/* Records an accepted bundle; with m (its opened manifest) also its records, for search. */
int ledger_record_received(struct store *s, const struct envelope *env, const char *envelope,
			   const char *path, struct manifest *m, struct err *e);

#endif
