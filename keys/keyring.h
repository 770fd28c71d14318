/*
 * keyring.h - the keys a vault knows: issuers and witnesses it trusts (what a member state
 * pins), and the recipients directory (the member states a secretariat seals for). Both live
 * in the vault database; only public keys are stored.
 */
#ifndef AMANA_KEYRING_H
#define AMANA_KEYRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vault/err.h"

struct store;

/* ---- recipients directory -------------------------------------------------------------- */

struct keyring_recipient {
	char *name;
	char *recipient; /* "age1..." */
	char *added;     /* RFC 3339 */
};

/* Adds name -> recipient (an "age1..." string, checked). A duplicate name or recipient is an
 * ERR_USAGE error that names the existing entry. */
int keyring_recipient_add(struct store *s, const char *name, const char *recipient,
			  struct err *e);

/* Finds the recipient registered under name (exact bytes). *out is malloc'd. Not found is
 * ERR_USAGE with a hint to run 'amana recipient list'. */
int keyring_recipient_lookup(struct store *s, const char *name, char **out, struct err *e);

/* All recipients, ordered by name; *list is malloc'd (free with keyring_recipients_free). */
int keyring_recipient_list(struct store *s, struct keyring_recipient **list, size_t *n,
			   struct err *e);
void keyring_recipients_free(struct keyring_recipient *list, size_t n);

/* Removes the recipient called name; not found is ERR_USAGE. */
int keyring_recipient_remove(struct store *s, const char *name, struct err *e);

/* ---- trusted keys ---------------------------------------------------------------------- */

enum keyring_role { KEYRING_ISSUER, KEYRING_WITNESS };

struct keyring_trusted {
	char key_id[17]; /* minisign's form: 16 uppercase hex digits */
	enum keyring_role role;
	char *name;
	uint8_t public_key[32];
	char *added;
};

/* Pins an Ed25519 public key (minisign key id and key) under name. Duplicates of key id or
 * name are ERR_USAGE naming the existing entry. */
int keyring_trust_add(struct store *s, const uint8_t key_id[8], const uint8_t pk[32],
		      const char *name, enum keyring_role role, struct err *e);

/* Finds a pinned key by minisign key id (8 bytes, as in signatures), with the given role.
 * Returns 1 when found (filling *out when not NULL), 0 when not pinned, -1 on error. */
int keyring_trust_find(struct store *s, const uint8_t key_id[8], enum keyring_role role,
		       struct keyring_trusted *out, struct err *e);

int keyring_trust_list(struct store *s, struct keyring_trusted **list, size_t *n,
		       struct err *e);
void keyring_trusted_free(struct keyring_trusted *list, size_t n);

/* Removes the pinned key whose id is key_id (16 hex digits, any case) or whose name is
 * key_id; not found is ERR_USAGE. */
int keyring_trust_remove(struct store *s, const char *id_or_name, struct err *e);

/* ---- trusted roots ----------------------------------------------------------------------- */

struct root;

/* The root ids this vault pinned; *ids is malloc'd (n strings of 33 bytes). */
int keyring_root_ids(struct store *s, char (**ids)[33], size_t *n, struct err *e);

/* Every version pinned of root_id, oldest first and consecutive (checked), parsed: free with
 * root_chain_free. n is 0 when the root is not pinned. */
int keyring_root_load(struct store *s, const char *root_id, struct root **roots, size_t *n,
		      struct err *e);

/* Stores versions r[0..n) of one root (consecutive, checked by the caller, the first one
 * following the newest pinned or, for a root not pinned yet, any). Versions already held
 * with the same digest are skipped; a different digest is ERR_VERIFY (a fork). Runs in the
 * caller's transaction when there is one. */
int keyring_root_store(struct store *s, const struct root *r, size_t n, struct err *e);

/* Removes every version of the root whose id (or a unique prefix of 8 or more hex digits)
 * or name is id_or_name: 1 when one was removed, 0 when none matches, -1 on error. */
int keyring_root_remove(struct store *s, const char *id_or_name, struct err *e);

/* ---- keys made with this vault ---------------------------------------------------------- */

struct keyring_own {
	char *key_id;	/* minisign key id, or the age1 recipient */
	char *type;	/* "sign" or "encrypt" */
	char *name;
	char *public;	/* the public key line */
	char *pub_path; /* absolute paths of the two files when made */
	char *key_path;
	char *created;
};

/* Records a key pair made by 'amana key new' (public parts and paths only). */
int keyring_own_add(struct store *s, const struct keyring_own *k, struct err *e);
int keyring_own_list(struct store *s, struct keyring_own **list, size_t *n, struct err *e);
void keyring_own_free(struct keyring_own *list, size_t n);

#endif
