/*
 * root.h - the issuer's trust root, "amana-root/1": a small signed text that says which keys
 * may sign for an issuer, from when until when, which were revoked, and who may change that.
 *
 * It is TUF's root role in amana's formats. A root has a version (1, 2, ...), an expiry, root
 * keys with a threshold k of n, signing keys (the keys that seal bundles) each with a
 * validity window, and revocations. Each root key signs the root's text with an ordinary
 * minisign signature (prehashed), so that stock `minisign -V` checks each one by hand; the
 * signatures follow the text in the same file:
 *
 *   format: amana-root/1
 *   root-id: HEX32                                  chosen at random for version 1, then kept
 *   name: TEXT                                      the issuer's name
 *   version: N
 *   expires: TIME
 *   threshold: K
 *   root-key: KEYID BASE64                          1 to 16, in increasing key id order
 *   signing-key: KEYID BASE64 NOT-BEFORE NOT-AFTER  1 to 64, in increasing key id order
 *   revoked: KEYID POSITION HEX64                   0 to 64, in increasing key id order
 *   untrusted comment: amana root signature         then, per signature, the four lines of
 *   BASE64                                          a minisign signature file, whose trusted
 *   trusted comment: amana-root/1 ROOTID N          comment names the root and the version
 *   BASE64
 *
 * A revocation names the position in the revoked key's log from which it holds: the key's
 * first POSITION bundles (log leaves 0 .. POSITION-1) stay valid, later ones are refused;
 * HEX64 is the root of the key's log at that size, which pins those bundles.
 *
 * Version N+1 is valid only when a threshold of version N's root keys and a threshold of
 * its own signed it. A chain is every version from 1, one after the other (the text of each,
 * concatenated): what a bundle carries. docs/format.md is normative.
 *
 * This module parses, writes, signs and checks roots and chains; it knows nothing of the
 * vault (vault/trust.h decides what a vault trusts).
 */
#ifndef AMANA_ROOT_H
#define AMANA_ROOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vault/err.h"
#include "vault/minisign.h"

#define ROOT_FORMAT "amana-root/1"
#define ROOT_SIG_COMMENT "amana root signature"
#define ROOT_TEXT_MAX 65536	   /* one root, signatures included */
#define ROOT_CHAIN_MAX (1u << 20)  /* a chain */
#define ROOT_CHAIN_VERSIONS 1000   /* versions in a chain */
#define ROOT_KEYS_MAX 16
#define ROOT_SIGNERS_MAX 64
#define ROOT_REVOKED_MAX 64
#define ROOT_SIGS_MAX 32	   /* root keys of this version and of the one before */
#define ROOT_NAME_MAX 256

struct root_key {
	uint8_t key_id[MINISIGN_KEYID_BYTES];
	char id[17]; /* minisign's form */
	uint8_t pk[32];
};

struct root_signer {
	struct root_key key;
	int64_t not_before, not_after; /* seconds since 1970, the window's first and last second */
};

struct root_revoked {
	uint8_t key_id[MINISIGN_KEYID_BYTES];
	char id[17];
	uint64_t from;	    /* the key's bundles from this log index on are refused */
	uint8_t log_root[32]; /* the key's log root at size `from` */
};

struct root {
	char root_id[33];
	char *name;
	uint64_t version;
	int64_t expires;
	unsigned threshold;
	struct root_key keys[ROOT_KEYS_MAX];
	size_t nkeys;
	struct root_signer signers[ROOT_SIGNERS_MAX];
	size_t nsigners;
	struct root_revoked revoked[ROOT_REVOKED_MAX];
	size_t nrevoked;
	struct minisign_sig sigs[ROOT_SIGS_MAX];
	size_t nsigs;
	char *body; /* the signed text (what the root keys sign), NUL-terminated */
	size_t body_len;
	char *text; /* the body and the signatures: the file */
	size_t text_len;
	uint8_t digest[64]; /* BLAKE2b-512 of the body */
	char digest_hex[129];
};

/* Parses one root (its text and signatures, nothing after them) strictly: ERR_FORMAT naming
 * the line and the field. r is freed with root_free, also after a failure. Signatures are
 * parsed, not checked (root_check). */
int root_parse(const char *text, size_t len, struct root *r, struct err *e);
void root_free(struct root *r);

/* Parses a chain: one or more roots, one after the other. *out (n of them) is malloc'd: free
 * with root_chain_free. Only the grammar is checked here (root_chain_check does the rest). */
int root_chain_parse(const char *text, size_t len, struct root **out, size_t *n, struct err *e);
void root_chain_free(struct root *roots, size_t n);

/* Writes r's body from its fields and then its text (body and signatures), and its digest.
 * The fields must obey the rules root_parse checks (root_check_fields says which is broken). */
int root_finish(struct root *r, struct err *e);

/* The rules of the fields (sorted keys, threshold within n, windows in order, revoked keys
 * among the signing keys, no key both a root key and a signing key): ERR_USAGE saying which,
 * for a root being made; root_parse reports the same as ERR_FORMAT. */
int root_check_fields(const struct root *r, struct err *e);

/* Adds sk's signature (prehashed, with the trusted comment "amana-root/1 ROOTID VERSION")
 * and rewrites r->text. A key that signed already is ERR_USAGE. */
int root_sign(struct root *r, const struct minisign_sec *sk, struct err *e);

/* Checks r's signatures: each is by a root key of r or of prev (prev may be NULL), is
 * prehashed and verifies, with amana's comments, and no key signs twice; then at least
 * r->threshold of r's root keys signed, and, with prev, at least prev->threshold of prev's.
 * ERR_VERIFY saying which rule failed. The counts go to *own and *by_prev when not NULL. */
int root_check(const struct root *r, const struct root *prev, unsigned *own, unsigned *by_prev,
	       struct err *e);

/* next may follow prev: same root id, version prev+1, and root_check(next, prev). */
int root_check_next(const struct root *prev, const struct root *next, struct err *e);

/* A whole chain: versions 1, 2, ... n in order, one root id, version 1 signed by its own
 * threshold and every later one as root_check_next says. ERR_VERIFY naming the version. */
int root_chain_check(const struct root *roots, size_t n, struct err *e);

/* Lookups by key id; NULL when absent. */
const struct root_key *root_find_key(const struct root *r, const uint8_t key_id[8]);
const struct root_signer *root_find_signer(const struct root *r, const uint8_t key_id[8]);
const struct root_revoked *root_find_revoked(const struct root *r, const uint8_t key_id[8]);

/* What a root says of a signing key, for a bundle created at `created` whose leaf is at
 * log index `index` of that key's log. */
enum root_key_state {
	ROOT_KEY_VALID,		/* in its window, not revoked */
	ROOT_KEY_VALID_BEFORE_REVOCATION, /* revoked, but the bundle precedes the position */
	ROOT_KEY_NOT_LISTED,
	ROOT_KEY_NOT_YET_VALID,
	ROOT_KEY_EXPIRED,
	ROOT_KEY_REVOKED,
};
enum root_key_state root_key_state(const struct root *r, const uint8_t key_id[8], int64_t created,
				   uint64_t index);

/* "valid", "revoked", "expired", "not-yet-valid", "not-listed": for messages and JSON. */
const char *root_key_state_name(enum root_key_state s);

#endif
