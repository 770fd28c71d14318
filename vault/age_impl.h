/*
 * age_impl.h - what the parts of the age module share and nothing else uses (except the fuzz
 * targets and unit tests, which test the header grammar on its own).
 *
 *   age_header.c  the header grammar: parse, check the known stanza types, encode, MAC
 *   age_keys.c    key strings, recipient and identity sets, stanza wrap and unwrap
 *   age.c         the encryptor and decryptor: STREAM chunks, armor, callbacks
 */
#ifndef AMANA_AGE_IMPL_H
#define AMANA_AGE_IMPL_H

#include "vault/age.h"

#define AGE_VERSION_LINE "age-encryption.org/v1"
#define AGE_FILE_KEY_SIZE 16
#define AGE_MAC_SIZE 32
#define AGE_NONCE_SIZE 16                       /* the payload nonce after the header */
#define AGE_X25519_LABEL "age-encryption.org/v1/X25519"
#define AGE_SCRYPT_LABEL "age-encryption.org/v1/scrypt"
#define AGE_STANZA_COLUMNS 64

/* One recipient stanza: "-> ARG ARG..." and its body. */
struct age_stanza {
	char **args;         /* args[0] is the type; each NUL-terminated */
	size_t nargs;
	unsigned char *body; /* malloc'd; NULL when empty */
	size_t bodylen;
};

/* A parsed header. */
struct age_header {
	struct age_stanza *stanzas;
	size_t nstanzas;
	size_t mac_input_len; /* the MAC covers bytes [0, mac_input_len): through "---" */
	uint8_t mac[AGE_MAC_SIZE];
};

/* Secrets of one operation, in one sodium_malloc'd block (age_secrets_new / _free). */
struct age_secrets {
	uint8_t file_key[AGE_FILE_KEY_SIZE];
	uint8_t eph[32];
	uint8_t shared[32];
	uint8_t wrap[32];
	uint8_t mac_key[32];
	bool matched_x25519;  /* the file key came from an X25519 identity ... */
	uint8_t matched_pk[32]; /* ... whose public key is this (public, kept here for ease) */
};

struct age_secrets *age_secrets_new(struct err *e);
void age_secrets_free(struct age_secrets *s);

/* Parses buf[0..len), which must be exactly one header: the version line through the MAC
 * line and its LF. Only the grammar is checked here (age_header_check does the known stanza
 * types). Failures are ERR_FORMAT, "invalid age header: ...". h is freed with
 * age_header_free, also after a failure. */
int age_header_parse(const unsigned char *buf, size_t len, struct age_header *h, struct err *e);
void age_header_free(struct age_header *h);

/* Checks the stanzas of the types amana knows (X25519, scrypt) and the rule that an scrypt
 * stanza stands alone; other types are left for identities to skip. ERR_FORMAT. */
int age_header_check(const struct age_header *h, struct err *e);

/* Encodes the version line and stanzas through "---" (the MAC input) into a malloc'd buffer
 * with room for the MAC line after it: *cap is its size, *len the bytes used. */
int age_header_encode(const struct age_stanza *st, size_t n, unsigned char **out, size_t *len,
		      size_t *cap, struct err *e);

/* Appends " " + base64(mac) + LF to an encoded header (buf has the room). */
size_t age_header_put_mac(unsigned char *buf, size_t len, const uint8_t mac[AGE_MAC_SIZE]);

/* mac = HMAC-SHA-256(HKDF(file key, "", "header"), hdr[0..len)); mac_key is scratch space. */
void age_header_mac(uint8_t mac[AGE_MAC_SIZE], uint8_t mac_key[32],
		    const uint8_t file_key[AGE_FILE_KEY_SIZE], const unsigned char *hdr,
		    size_t len);

/* Frees the strings and body of one stanza built by the wrap functions. */
void age_stanza_clear(struct age_stanza *st);

/* Builds the stanzas for every recipient in r, wrapping s->file_key. */
int age_recipients_wrap(const struct age_recipients *r, struct age_secrets *s,
			struct age_stanza **out, size_t *n, struct err *e);

/* Finds an identity in ids that unwraps a stanza of h into s->file_key. Returns 0 with the
 * key, or -1: ERR_KEY when nothing matched (naming the stanza types when none is supported),
 * ERR_FORMAT for a stanza that turns out malformed (an all-zero X25519 shared secret). */
int age_identities_unwrap(const struct age_identities *ids, const struct age_header *h,
			  struct age_secrets *s, struct err *e);

/* 11-byte big-endian counter and a final flag: the STREAM chunk nonce. */
void age_stream_nonce(uint8_t nonce[12], uint64_t counter, bool final);

/* ---- age_stream.c: runs of full chunks on two cores ------------------------------------- */

#define AGE_BATCH_CHUNKS 16 /* the longest run handed over at once (about 1 MiB) */

struct age_par;

/* Starts the helper thread; *out stays NULL on a single-core machine or when no thread can
 * be started, and the functions below then work on the calling thread alone. */
int age_par_new(struct age_par **out, struct err *e);
void age_par_free(struct age_par *p);

/* Seals n full chunks, none of them the last, on the calling thread: plaintext
 * src + i*64 KiB becomes ciphertext and tag at dst + i*(64 KiB + 16), with counters base + i. */
void age_stream_seal(const uint8_t *key, uint64_t base, const unsigned char *src,
		     unsigned char *dst, size_t n);

/* As age_stream_seal, on the helper thread: returns at once (or after doing the work itself
 * when p is NULL); age_par_wait must follow before src, dst or key are touched or freed. */
void age_par_seal_begin(struct age_par *p, const uint8_t *key, uint64_t base,
			const unsigned char *src, unsigned char *dst, size_t n);
void age_par_wait(struct age_par *p);

/* Opens n full chunks as "not last" (the reverse of age_par_seal); returns how many opened
 * before the first that did not (n when all did). src is left intact. */
size_t age_par_open(struct age_par *p, const uint8_t *key, uint64_t base, const unsigned char *src,
		    unsigned char *dst, size_t n);

#endif
