/*
 * envelope.h - the envelope: the signed, plain-text face of a bundle.
 *
 * It is what anyone can read and check without a decryption key, and it is the log leaf.
 * UTF-8, one "key: value" line each, LF endings, these keys in this order (docs/format.md):
 *
 *   format 1 (amana 0.1, read only)      formats 2 and 3 (3 is what seal writes)
 *   format: amana-bundle/1               format: amana-bundle/2 (or 3)
 *   bundle-id: HEX32                     bundle-id: HEX32
 *   issuer: KEYID                        issuer: KEYID
 *   issuer-name: TEXT                    issuer-name: TEXT
 *                                        root: ROOTID VERSION HEX128      (when sealed under a root)
 *   conference: TEXT                     conference: TEXT
 *   title: TEXT                          title: TEXT
 *   created: TIME                        created: TIME
 *   sequence: N                          sequence: N
 *   recipients: N                        recipients: N
 *                                        readdress: SEQ TIME blake2b-512 HEX128 N (readdressed)
 *   records: N HEX64                     records: N HEX64
 *   payload: blake2b-512 HEX128 N        payload-header: blake2b-512 HEX128 N
 *                                        payload-body: blake2b-512 HEX128 N
 *
 * Format 2 digests payload.age's age header and its body (nonce and STREAM chunks) apart, so
 * that a new header for other recipients (readdress) needs no pass over the body; and it
 * names the issuer's root (its id, version and the BLAKE2b-512 of its signed text) when the
 * signing key belongs to one. A readdressed bundle (same bundle id, a new sequence, a new age
 * header for other recipients over the same body) names its first seal and its addendum.
 * Format 3 has format 2's lines; it differs only inside the payload, where the inner tar puts
 * the files first and manifest.sqlite and its signature last. Values are one line of UTF-8 without control characters;
 * decimals have no leading zeros. The parser refuses anything else.
 */
#ifndef AMANA_ENVELOPE_H
#define AMANA_ENVELOPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vault/err.h"

#define ENVELOPE_FORMAT_1 "amana-bundle/1"
#define ENVELOPE_FORMAT_2 "amana-bundle/2"
#define ENVELOPE_FORMAT_3 "amana-bundle/3"
#define ENVELOPE_MAX 65536

struct envelope {
	int format; /* 1, 2 or 3 */
	char bundle_id[33];
	char issuer[17];
	char *issuer_name;
	/* Format 2, when the issuer's key belongs to a root: which one it was sealed under. */
	bool has_root;
	char root_id[33];
	uint64_t root_version;
	char root_digest[129]; /* BLAKE2b-512 of the root's signed text */
	char *conference;
	char *title;
	char created[21];
	uint64_t sequence;
	uint64_t recipients;
	/* Format 2, for a bundle readdressed (amana readdress): the sequence and time of its
	 * first seal (what its manifest names) and the digest and size of its addendum.age,
	 * which lists the recipients of this addressing. */
	bool has_readdress;
	uint64_t first_sequence;
	char first_created[21];
	char addendum_blake2b[129];
	uint64_t addendum_size;
	uint64_t records_count;
	char records_root[65];
	/* Format 1: payload_* is the whole of payload.age. Format 2: header_* is its age header
	 * (through the MAC line's LF) and payload_* the rest, its body. */
	char header_blake2b[129];
	uint64_t header_size;
	char payload_blake2b[129];
	uint64_t payload_size;
};

/* "amana-bundle/N" for format N (1, 2 or 3). */
const char *envelope_format_name(int format);

/* The size of the payload.age member the envelope describes (header and body in format 2). */
uint64_t envelope_payload_total(const struct envelope *env);

/* The envelope's text (malloc'd, NUL-terminated) in env->format; NULL when out of memory. */
char *envelope_encode(const struct envelope *env);

/* Parses text[0..len) strictly, in either format; ERR_FORMAT naming the line on failure.
 * Free with envelope_free (also after a failure). */
int envelope_parse(const char *text, size_t len, struct envelope *env, struct err *e);
void envelope_free(struct envelope *env);

/* The trusted comment of envelope.minisig: "amana-bundle/N <bundle-id> <sequence>";
 * buf holds at least 80 bytes. */
void envelope_trusted_comment(const struct envelope *env, char *buf, size_t cap);

#endif
