/*
 * trust.h - what a vault's pinned root says of a bundle: the walk from the versions pinned
 * here along the chain a bundle carries, and the judgement of the key that signed it.
 *
 * TUF's root rules in amana's terms (docs/format.md, "Trusting a root"): the versions a
 * vault pinned and the versions a bundle brings must agree wherever both have one (two
 * different roots of one version are a fork); the newest of them is the root in force; it
 * must not have expired (a frozen, stale view); the key that signed the bundle must be one
 * of its signing keys, inside its window and not revoked for the bundle's log position. A
 * key that a later version dropped (retired, not revoked) is judged by the version the
 * bundle names. These functions are pure: keys/keyring.c keeps the pinned versions, and
 * cli/checks.c joins the two.
 */
#ifndef AMANA_TRUST_H
#define AMANA_TRUST_H

#include <stddef.h>
#include <stdint.h>

#include "vault/err.h"
#include "vault/root.h"

/* pinned[0..np) are consecutive versions of one root (as the vault keeps them) and
 * chain[0..nc) a checked chain of the same root id (root_chain_check), nc may be 0. Every
 * version both hold must have the same digest (ERR_VERIFY naming the version: a fork). On
 * success *newest is the newest version either holds and *learn the index in chain of the
 * first version newer than every pinned one (nc when none). */
int trust_walk(const struct root *pinned, size_t np, const struct root *chain, size_t nc,
	       const struct root **newest, size_t *learn, struct err *e);

/* What `newest` (the root in force) says of key_id signing a bundle created at `created`
 * whose leaf is at `index` of the key's log, at time now; named is the version the
 * bundle's envelope names (NULL when none, or when the vault does not hold it). Returns the
 * key's state; anything but ROOT_KEY_VALID and ROOT_KEY_VALID_BEFORE_REVOCATION comes with
 * ERR_VERIFY in e saying "revoked", "expired", "not yet valid" or "not listed", and an
 * expired root comes back as ROOT_KEY_EXPIRED with a message that says the root expired.
 * *signer is the entry that judged the key (NULL when not listed). */
enum root_key_state trust_judge(const struct root *newest, const struct root *named,
				const uint8_t key_id[8], int64_t created, uint64_t index, int64_t now,
				const struct root_signer **signer, struct err *e);

#endif
