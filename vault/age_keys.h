/*
 * age_keys.h - inside the age module, layer 1 (the lowest): keys and what is done with them.
 *
 * The file key and the other secrets of one operation, a stanza as the keys layer makes and
 * reads it (a type, arguments and a body, in binary), and the two things done with keys:
 * wrapping a file key for a recipient set into stanzas, and unwrapping it from stanzas with
 * an identity set. This layer knows nothing of how stanzas are spelled in a header
 * (age_header.c), of the payload (age_stream.c) or of files (age.c). It includes age.h (the
 * public types) and nothing else of the age module. The layering as a whole is described in
 * age_impl.h.
 *
 * Not for use outside vault/age*.c, except by the unit tests and fuzz targets.
 */
#ifndef AMANA_AGE_KEYS_H
#define AMANA_AGE_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vault/age.h"
#include "vault/err.h"

#define AGE_FILE_KEY_SIZE 16
#define AGE_X25519_LABEL "age-encryption.org/v1/X25519"
#define AGE_SCRYPT_LABEL "age-encryption.org/v1/scrypt"

/* One recipient stanza: "-> ARG ARG..." and its body. */
struct age_stanza {
	char **args;         /* args[0] is the type; each NUL-terminated */
	size_t nargs;
	unsigned char *body; /* malloc'd; NULL when empty */
	size_t bodylen;
};

/* Frees the strings and body of one stanza (made by a wrap function or the header parser). */
void age_stanza_clear(struct age_stanza *st);

/* Secrets of one operation, in one sodium_malloc'd block (age_secrets_new / _free). */
struct age_secrets {
	uint8_t file_key[AGE_FILE_KEY_SIZE];
	uint8_t eph[32];
	uint8_t shared[32];
	uint8_t wrap[32];
	uint8_t mac_key[32];
	bool matched_x25519;    /* the file key came from an X25519 identity ... */
	uint8_t matched_pk[32]; /* ... whose public key is this (public, kept here for ease) */
	size_t matched_stanza;  /* ... out of this stanza, counted from 1 (0: none) */
};

/* A wiped block (libsodium initialised first); NULL with e set when out of memory. */
struct age_secrets *age_secrets_new(struct err *e);
void age_secrets_free(struct age_secrets *s);

/* True when r holds only X25519 recipients (no passphrase). */
bool age_recipients_x25519_only(const struct age_recipients *r);

/* Builds the stanzas for every recipient in r, wrapping s->file_key: *out is a calloc'd
 * array of *n stanzas, each cleared with age_stanza_clear before the array is freed. An
 * empty set, or a passphrase beside other recipients, is ERR_USAGE. */
int age_recipients_wrap(const struct age_recipients *r, struct age_secrets *s,
			struct age_stanza **out, size_t *n, struct err *e);

/* Finds an identity in ids (NULL: none) that unwraps one of the n stanzas st into
 * s->file_key, and records which in s->matched_*. A file with an scrypt stanza is opened with
 * the passphrases of ids, or one from its passphrase callback. Returns 0 with the key, or -1:
 * ERR_KEY when nothing matched (naming the stanza types when none is supported), ERR_FORMAT
 * for a stanza that turns out malformed (an all-zero X25519 shared secret). The stanzas must
 * have passed age_header_check. */
int age_identities_unwrap(const struct age_identities *ids, const struct age_stanza *st, size_t n,
			  struct age_secrets *s, struct err *e);

/* The passphrase callback set with age_identities_set_passphrase_fn (NULL: none) and its ctx. */
age_passphrase_fn age_identities_passphrase_fn(const struct age_identities *ids, void **ctx);

/* Adds the identities of a plain (not encrypted) identity file: one AGE-SECRET-KEY-1... a
 * line, '#' comments and blank lines skipped, CR LF accepted; name is used in messages. A
 * file with none is ERR_KEY. age_identities_add_file (age.c) decrypts encrypted ones first. */
int age_identities_add_text(struct age_identities *ids, const unsigned char *data, size_t len,
			    const char *name, struct err *e);

#endif
