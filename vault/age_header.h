/*
 * age_header.h - inside the age module, layer 2: the age v1 header, parsed and written in one
 * place (age_header.c).
 *
 * Reading: age_header_scan finds where a header ends in an input (without parsing it),
 * age_header_parse checks the grammar, age_header_check the stanza types amana knows, and
 * age_header_verify unwraps the file key (through the keys layer) and checks the header MAC.
 * Writing: age_header_write wraps a file key for a recipient set and returns the whole header,
 * MAC line included. Every header amana writes, whether for age_encrypt_init, age_chunked_new
 * or age_rewrap, comes from age_header_write.
 *
 * Includes the keys layer (age_keys.h) and nothing above it; see age_impl.h for the layering.
 * Not for use outside vault/age*.c, except by the unit tests and fuzz targets.
 */
#ifndef AMANA_AGE_HEADER_H
#define AMANA_AGE_HEADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vault/age.h"
#include "vault/age_keys.h"
#include "vault/armor.h"
#include "vault/err.h"

#define AGE_VERSION_LINE "age-encryption.org/v1"
#define AGE_MAC_SIZE 32
#define AGE_MAC_LINE_LEN 48 /* "--- " + 43 base64 characters + LF */
#define AGE_STANZA_COLUMNS 64
#define AGE_PEEK_LEN (ARMOR_MAX_WHITESPACE + 256) /* looked at to tell armor from binary */

/* A parsed header. */
struct age_header {
	struct age_stanza *stanzas;
	size_t nstanzas;
	size_t mac_input_len; /* the MAC covers bytes [0, mac_input_len): through "---" */
	uint8_t mac[AGE_MAC_SIZE];
};

/* Header bytes read so far: p[0..len) of a malloc'd buffer of cap bytes (all zero: empty). */
struct age_hbuf {
	unsigned char *p;
	size_t len, cap;
};

/* Appends at most max bytes (0: as many as fit, growing the buffer when it is full) read
 * once from fn(ctx, ...) to b; *got == 0 at the end of the input. */
int age_hbuf_read(struct age_hbuf *b, size_t max, age_read_fn fn, void *ctx, size_t *got,
		  struct err *e);

/* Whether an input whose first bytes are p[0..n) (the first AGE_PEEK_LEN of them, or the
 * whole input when shorter) is to be read as ASCII armor: it does not start as every binary
 * age file does ("age-encryption.org/"), and either its first non-space byte is '-' or the
 * BEGIN line is among those bytes, so that damage before the BEGIN line is reported as bad
 * armor rather than as a bad header. */
bool age_input_is_armor(const unsigned char *p, size_t n);

/*
 * Reads from fn(ctx, ...) into b (which may already hold the input's first bytes) until b
 * holds a whole header, version line through the MAC line and its LF; *hend gets its length.
 * It stops early, leaving the parser to say what is wrong, when the first line is not the
 * version line. More than AGE_HEADER_MAX bytes, or an input that ends inside the header, is
 * ERR_FORMAT.
 *
 * When exact, fn is never asked for more bytes than a well-formed header can still hold, so
 * that b ends at the header's last byte and fn is left at the first byte after it (reads are
 * then of 48 bytes or so: meant for headers, not for streams), and reading stops as soon as
 * the first line cannot be the version line. Otherwise b may go on past the header (bytes
 * that belong to the payload).
 */
int age_header_scan(struct age_hbuf *b, age_read_fn fn, void *ctx, bool exact, size_t *hend,
		    struct err *e);

/* Parses buf[0..len), which must be exactly one header: the version line through the MAC
 * line and its LF. Only the grammar is checked here (age_header_check does the known stanza
 * types). Failures are ERR_FORMAT, "invalid age header: ...". h is freed with
 * age_header_free, also after a failure. */
int age_header_parse(const unsigned char *buf, size_t len, struct age_header *h, struct err *e);
void age_header_free(struct age_header *h);

/* Checks the stanzas of the types amana knows (X25519, scrypt) and the rule that an scrypt
 * stanza stands alone; other types are left for identities to skip. ERR_FORMAT. */
int age_header_check(const struct age_header *h, struct err *e);

/* True when h has an scrypt (passphrase) stanza. */
bool age_header_has_scrypt(const struct age_header *h);

/* Unwraps the file key of h (parsed from buf and checked) with ids into s, then checks the
 * header MAC over buf. Errors as age_identities_unwrap, and ERR_VERIFY "header MAC does not
 * match"; on any failure s->file_key is wiped. */
int age_header_verify(const struct age_header *h, const unsigned char *buf,
		      const struct age_identities *ids, struct age_secrets *s, struct err *e);

/* Wraps s->file_key for every recipient of r and writes the header, version line through the
 * MAC line, into *out (malloc'd, the caller frees it; public bytes); *len is its length.
 * Errors as age_recipients_wrap. s's scratch fields are wiped on return. */
int age_header_write(const struct age_recipients *r, struct age_secrets *s, unsigned char **out,
		     size_t *len, struct err *e);

/* The pieces of age_header_write, for tests that build unusual headers: encodes the version
 * line and stanzas through "---" (the MAC input) into a malloc'd buffer with room for the
 * MAC line after it (*cap is its size, *len the bytes used); appends " " + base64(mac) + LF
 * to such a buffer; and computes mac = HMAC-SHA-256(HKDF(file key, "", "header"),
 * hdr[0..len)), with mac_key as scratch space that is wiped. */
int age_header_encode(const struct age_stanza *st, size_t n, unsigned char **out, size_t *len,
		      size_t *cap, struct err *e);
size_t age_header_put_mac(unsigned char *buf, size_t len, const uint8_t mac[AGE_MAC_SIZE]);
void age_header_mac(uint8_t mac[AGE_MAC_SIZE], uint8_t mac_key[32],
		    const uint8_t file_key[AGE_FILE_KEY_SIZE], const unsigned char *hdr,
		    size_t len);

#endif
