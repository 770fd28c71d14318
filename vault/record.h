/*
 * record.h - one record of an outcome as the Merkle tree sees it: its canonical encoding and
 * its salted leaf.
 *
 * Canonical encoding (docs/format.md, "Records"), every field as a 4-byte big-endian length
 * followed by its bytes, in this order:
 *     "amana-record/1", bundle id (16 bytes), seq (8 bytes, big-endian), kind, lang, title, body
 * Leaf hash: the RFC 6962 leaf hash (SHA-256 of 0x00 || input) of salt (32 random bytes) ||
 * encoding. The salt hides a record's hash from anyone who holds only the other records'
 * proofs; the bundle id stops a record's proof being moved to another bundle. The records
 * root is the RFC 6962 root of the leaves in seq order.
 */
#ifndef AMANA_RECORD_H
#define AMANA_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "vault/err.h"

#define RECORD_SALT_SIZE 32
#define RECORD_LABEL "amana-record/1"

struct record_fields {
	uint64_t seq;
	const char *kind, *lang, *title;
	const char *body;
	size_t body_len;
};

/* The salt of record seq of a bundle: BLAKE2b-256 keyed with the bundle's secret salt seed,
 * over "amana-record-salt" and seq (8 bytes, big-endian). Each salt is as unpredictable as the
 * seed, and a bundle sealed twice from the same seed is the same bytes. */
void record_salt(const uint8_t seed[32], uint64_t seq, uint8_t salt[RECORD_SALT_SIZE]);

/* Computes the leaf hash of a record of bundle bundle_id (16 bytes). */
void record_leaf(const uint8_t bundle_id[16], const struct record_fields *r,
		 const uint8_t salt[RECORD_SALT_SIZE], uint8_t out[32]);

/* ---- proofs of one record ---------------------------------------------------------------
 *
 * A record proof lets a member state forward one record to someone outside (a ministry, a
 * court) who can check, offline, that the issuer published exactly that text in that
 * bundle, and learn nothing of the other records (their texts stay inside the encrypted
 * payload; their salts hide their leaf hashes). It is a UTF-8 text file a person can read:
 *
 *   amana-record-proof/1
 *   bundle-id: <32 hex>
 *   seq: <n>
 *   kind: <kind>
 *   lang: <lang>
 *   title: <one line>
 *   salt: <64 hex>
 *   records: <count> <64 hex root>
 *   path: <k>
 *   <64 hex>                         k lines: the inclusion path, leaf to root
 *   body: <bytes>
 *   <the body, exactly that many bytes>
 *   envelope: <bytes>
 *   <the bundle's envelope, verbatim>
 *   envelope.minisig: <bytes>
 *   <its signature file, verbatim>
 *
 * Each blob is followed by one LF. The checker needs only the issuer's public key. */

#define RECORD_PROOF_FORMAT "amana-record-proof/1"

struct record_proof {
	char bundle_id[33];
	uint64_t seq;
	char *kind, *lang, *title, *body;
	size_t body_len;
	uint8_t salt[RECORD_SALT_SIZE];
	uint64_t count;
	uint8_t root[32];
	uint8_t (*path)[32];
	size_t npath;
	char *envelope, *signature;
	size_t envelope_len, signature_len;
};

struct sqlite3;
struct minisign_pub;
struct envelope;

/* Builds the proof of record seq from an opened manifest (whose records were checked), the
 * bundle's envelope and its signature. */
int record_proof_build(struct sqlite3 *manifest, const char *bundle_id, uint64_t seq,
		       const char *envelope, size_t envelope_len, const char *signature,
		       size_t signature_len, struct record_proof *p, struct err *e);

int record_proof_encode(const struct record_proof *p, char **out, size_t *len, struct err *e);
int record_proof_parse(const char *text, size_t len, struct record_proof *p, struct err *e);
void record_proof_free(struct record_proof *p);

/* Checks a proof with the issuer's key: the envelope's signature and trusted comment, the
 * envelope names this bundle and this records root, and the record's leaf is in that root
 * at position seq. ERR_VERIFY naming what failed; *env (freed with envelope_free) gets the
 * envelope. */
int record_proof_check(const struct record_proof *p, const struct minisign_pub *issuer,
		       struct envelope *env, struct err *e);

#endif
