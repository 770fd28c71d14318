/*
 * envelope.h - the envelope: the signed, plain-text face of a bundle.
 *
 * It is what anyone can read and check without a decryption key, and it is the log leaf.
 * UTF-8, one "key: value" line each, LF endings, exactly these keys in this order:
 *
 *   format: amana-bundle/1
 *   bundle-id: <32 lowercase hex digits: 16 random bytes>
 *   issuer: <minisign key id, 16 uppercase hex digits>
 *   issuer-name: <text>
 *   conference: <series and number>
 *   title: <text>
 *   created: <RFC 3339 UTC>
 *   sequence: <decimal, the issuer's counter, from 1>
 *   recipients: <decimal count>
 *   records: <decimal count> <64 lowercase hex digits: RFC 6962 root of the record leaves>
 *   payload: blake2b-512 <128 lowercase hex digits> <decimal size of payload.age>
 *
 * Values are one line of UTF-8 without control characters; decimals have no leading zeros.
 * The parser refuses anything else (docs/format.md).
 */
#ifndef AMANA_ENVELOPE_H
#define AMANA_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#include "vault/err.h"

#define ENVELOPE_FORMAT "amana-bundle/1"
#define ENVELOPE_MAX 65536

struct envelope {
	char bundle_id[33];
	char issuer[17];
	char *issuer_name;
	char *conference;
	char *title;
	char created[21];
	uint64_t sequence;
	uint64_t recipients;
	uint64_t records_count;
	char records_root[65];
	char payload_blake2b[129];
	uint64_t payload_size;
};

/* The envelope's text (malloc'd, NUL-terminated); NULL when out of memory. */
char *envelope_encode(const struct envelope *env);

/* Parses text[0..len) strictly; ERR_FORMAT naming the line on failure. Free with
 * envelope_free (also after a failure). */
int envelope_parse(const char *text, size_t len, struct envelope *env, struct err *e);
void envelope_free(struct envelope *env);

/* The trusted comment of envelope.minisig: "amana-bundle/1 <bundle-id> <sequence>";
 * buf holds at least 80 bytes. */
void envelope_trusted_comment(const struct envelope *env, char *buf, size_t cap);

#endif
