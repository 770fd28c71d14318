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

#endif
