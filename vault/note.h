/*
 * note.h - C2SP signed notes, tlog-checkpoints and tlog-cosignatures (Ed25519 only): the
 * format of the issuer's log checkpoint (the "log/checkpoint" member of every bundle) and of
 * the witness cosignatures added to it.
 *
 * A signed note is a UTF-8 text of lines, a blank line, then one or more signature lines
 * "— <key name> <base64(key id[4] || signature)>". A key is known by its name and a 4-byte
 * key id derived from name, signature type and public key. Two signature types are handled:
 * NOTE_TYPE_ED25519 (0x01, a plain Ed25519 signature over the text, what the log signs with)
 * and NOTE_TYPE_COSIG (0x04, a timestamped Ed25519 cosignature/v1, what a witness signs with).
 *
 * A checkpoint is a note whose text is "origin\nsize\nbase64(root)\n" plus optional extension
 * lines. Parsing is strict: what C2SP says MUST holds, sizes are canonical decimals, base64
 * is canonical, and malformed input is ERR_FORMAT. Failed signatures are ERR_VERIFY.
 *
 * Secret keys come in from the caller as a 32-byte Ed25519 seed or a 64-byte libsodium
 * secret key (seed || public key), in the caller's sodium_malloc memory. This module never
 * copies them into ordinary memory: the expanded key it signs with lives in sodium_malloc
 * memory and is freed (and so wiped) before returning.
 */
#ifndef AMANA_NOTE_H
#define AMANA_NOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vault/err.h"

#define NOTE_TYPE_ED25519 0x01 /* Ed25519 note signature */
#define NOTE_TYPE_COSIG 0x04   /* timestamped Ed25519 cosignature (tlog-cosignature v1) */

#define NOTE_PUBKEY_SIZE 32
/* Longest key name a verifier key may carry here (C2SP's binary formats allow 255). Names
 * in parsed notes may be longer: such signatures are simply unknown. */
#define NOTE_NAME_MAX 255
/* Most signature lines a note may carry (C2SP asks for at least 16; Go stops at 100). */
#define NOTE_MAX_SIGS 100
/* Longest verifier key string, "name+8hex+base64(type || key)", without the NUL. */
#define NOTE_VKEY_MAX (NOTE_NAME_MAX + 1 + 8 + 1 + 44)
/* Bytes of a cosignature blob: key id, big-endian timestamp, Ed25519 signature. */
#define COSIG_BLOB_SIZE (4 + 8 + 64)
/* Largest cosignature timestamp the format allows. */
#define COSIG_TIME_MAX UINT64_C(0x7fffffffffffffff)

/* One signature line of a parsed note. */
struct note_sig {
	char *name;       /* the key name, NUL-terminated; a valid key name */
	uint32_t key_id;  /* the first four bytes of blob, big-endian */
	uint8_t *blob;    /* the decoded base64: key id || signature bytes */
	size_t blob_len;  /* at least 5 */
};

/* A parsed signed note; owns all its memory. */
struct note {
	char *text;       /* the signed text, with its final '\n', NUL-terminated */
	size_t text_len;
	struct note_sig *sigs;
	size_t nsigs;     /* 1 to NOTE_MAX_SIGS after a successful parse */
};

/* A verifier key: whom to trust, for which signature type. Plain data. */
struct note_vkey {
	char name[NOTE_NAME_MAX + 1];
	uint8_t type;     /* NOTE_TYPE_ED25519 or NOTE_TYPE_COSIG */
	uint32_t key_id;
	uint8_t pub[NOTE_PUBKEY_SIZE];
};

/* A decoded cosignature blob. */
struct cosig {
	uint32_t key_id;
	uint64_t timestamp; /* POSIX seconds, at most COSIG_TIME_MAX */
	uint8_t sig[64];
};

/* A parsed checkpoint body; owns its memory. */
struct checkpoint {
	char *origin;     /* the log's identity, NUL-terminated, non-empty */
	uint64_t size;    /* number of leaves */
	uint8_t root[32]; /* RFC 6962 root at that size */
	char *ext;        /* extension lines, each ending in '\n', NUL-terminated; "" if none */
	size_t ext_len;
};

/* True when name[0..len) may be a key name: non-empty, UTF-8, no control character below
 * U+0020 (as in all note text), no Unicode white space, no '+'. */
bool note_name_valid(const char *name, size_t len);

/* The key id of a public key: the first four bytes, big-endian, of
 * SHA-256(name || '\n' || type || pub). name need not be NUL-terminated. */
uint32_t note_key_id(const char *name, size_t name_len, uint8_t type,
		     const uint8_t pub[NOTE_PUBKEY_SIZE]);

/* Fills k for the public key pub of the given type (NOTE_TYPE_ED25519 or NOTE_TYPE_COSIG)
 * under name (NUL-terminated), deriving its key id. ERR_FORMAT for a bad name or type. */
int note_vkey_make(struct note_vkey *k, const char *name, uint8_t type,
		   const uint8_t pub[NOTE_PUBKEY_SIZE], struct err *e);

/* Parses a verifier key string "name+hexid+base64(type || pub)" of len bytes (no newline).
 * The name ends at the first '+', the id at the second (base64 may contain '+'); the id
 * must be 8 lowercase hex digits equal to the id derived from the rest, the type one of the
 * two above, the key 32 bytes in canonical base64. ERR_FORMAT otherwise. */
int note_vkey_parse(struct note_vkey *k, const char *s, size_t len, struct err *e);

/* Writes the verifier key string of k, NUL-terminated, into out (cap bytes; NOTE_VKEY_MAX + 1
 * always suffice). ERR_INTERNAL when it does not fit, ERR_FORMAT when k is not valid. */
int note_vkey_format(const struct note_vkey *k, char *out, size_t cap, struct err *e);

/* Makes n empty, ready for note_parse. */
void note_init(struct note *n);

/* Frees what n holds and makes it empty again. */
void note_free(struct note *n);

/* Parses the signed note msg[0..len) into n (which must be empty, see note_init). Checks
 * the form only, no signature: valid UTF-8 without control characters other than '\n'; the
 * text ends at the last blank line; then 1 to NOTE_MAX_SIGS lines, each "— name base64\n"
 * with a valid key name and a canonical base64 blob of at least 5 bytes, the last one ending
 * in '\n'. ERR_FORMAT otherwise, and n stays empty. n owns copies of everything. */
int note_parse(struct note *n, const char *msg, size_t len, struct err *e);

/* Verifies n against the known keys[0..nkeys): a signature whose (name, key id) matches no
 * known key is ignored; one that matches must verify (a NOTE_TYPE_ED25519 key over the text,
 * a NOTE_TYPE_COSIG key as a cosignature of the text), or the whole note is refused; and at
 * least one must verify. Returns 0, or -1 with ERR_VERIFY. When verified is not NULL, it
 * gets nkeys entries: verified[i] is true when keys[i] signed the note. A caller that needs
 * a particular key (the log's) checks verified[] for it. */
int note_verify(const struct note *n, const struct note_vkey *keys, size_t nkeys,
		bool *verified /* out, may be NULL */, struct err *e);

/* Signs text[0..text_len) with an Ed25519 key (secret: 32-byte seed or 64-byte libsodium
 * secret key, see the top of this file) under name, and returns the signature line
 * "— name base64\n" in *line (malloc'd, NUL-terminated, caller frees; length in *line_len).
 * The text must be a valid note text: non-empty, ending in '\n', UTF-8, no control
 * characters but '\n' (ERR_FORMAT). A 64-byte key whose public half does not match its seed
 * is ERR_KEY. The signed note is then text || "\n" || the signature lines. */
int note_sign(const char *name, const uint8_t *secret, size_t secret_len, const char *text,
	      size_t text_len, char **line /* out */, size_t *line_len /* out */,
	      struct err *e);

/* Builds the checkpoint text "origin\nsize\nbase64(root)\n" followed by the extension lines
 * ext[0..ext_len) (each non-empty and ending in '\n'; ext may be NULL when ext_len is 0) into
 * *text (malloc'd, NUL-terminated, caller frees). The origin (NUL-terminated) must be
 * non-empty and fit on one line of a note. ERR_FORMAT otherwise. */
int checkpoint_format(const char *origin, uint64_t size, const uint8_t root[32],
		      const char *ext, size_t ext_len, char **text /* out */,
		      size_t *text_len /* out */, struct err *e);

/* Makes c empty, ready for checkpoint_parse. */
void checkpoint_init(struct checkpoint *c);

/* Frees what c holds and makes it empty again. */
void checkpoint_free(struct checkpoint *c);

/* Parses a checkpoint body (the text of a note, with its final '\n') into c, which must be
 * empty: a non-empty origin line; the size in decimal, without sign or leading zeros (the
 * empty tree is "0"), at most 2^64 - 1; the root as 44 characters of canonical base64 of 32
 * bytes; then any number of non-empty extension lines. The text must be valid note text.
 * ERR_FORMAT otherwise, and c stays empty. The signatures are note_verify's business. */
int checkpoint_parse(struct checkpoint *c, const char *text, size_t len, struct err *e);

/* Decodes a cosignature blob (the decoded base64 of a signature line): exactly
 * COSIG_BLOB_SIZE bytes, timestamp at most COSIG_TIME_MAX. ERR_FORMAT otherwise. */
int cosig_parse(struct cosig *c, const uint8_t *blob, size_t len, struct err *e);

/* Builds the message a cosignature/v1 signs: "cosignature/v1\ntime <timestamp>\n" followed
 * by the whole checkpoint text[0..text_len) (signature lines excluded). *msg is malloc'd
 * (NUL-terminated, caller frees). ERR_FORMAT when timestamp > COSIG_TIME_MAX or the text is
 * not valid note text. */
int cosig_message(uint64_t timestamp, const char *text, size_t text_len, char **msg /* out */,
		  size_t *msg_len /* out */, struct err *e);

/* Cosigns a checkpoint: signs the cosignature/v1 message for timestamp and text with an
 * Ed25519 key (secret as for note_sign) under the cosigner's name, and returns the signature
 * line (key id of type NOTE_TYPE_COSIG) in *line, malloc'd, caller frees. The text must
 * parse as a checkpoint (a witness vouches for checkpoints only): ERR_FORMAT otherwise. */
int cosig_sign(const char *name, const uint8_t *secret, size_t secret_len, uint64_t timestamp,
	       const char *text, size_t text_len, char **line /* out */,
	       size_t *line_len /* out */, struct err *e);

/* Checks the cosignature c over text[0..text_len) against the cosigner key k (which must be
 * of type NOTE_TYPE_COSIG and carry c's key id). ERR_VERIFY when it does not verify,
 * ERR_FORMAT when k or c cannot be used. Timestamps in the future are the caller's call. */
int cosig_verify(const struct note_vkey *k, const struct cosig *c, const char *text,
		 size_t text_len, struct err *e);

#endif
