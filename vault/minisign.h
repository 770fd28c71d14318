/*
 * minisign.h - minisign's three file formats (public key, secret key, signature), signing and
 * verifying, byte-compatible with minisign 0.11/0.12 in both directions.
 *
 * The formats (docs/format.md has them in full):
 *   public key  "untrusted comment: ...\n" base64("Ed" || key id[8] || Ed25519 pk[32]) "\n"
 *   secret key  "untrusted comment: ...\n" base64(158 bytes: "Ed", kdf "Sc" or 00 00, "B2",
 *               salt[32], opslimit u64le, memlimit u64le, then key id[8] || seed+pk[64] ||
 *               BLAKE2b-256 checksum[32], XORed with scrypt output when kdf is "Sc") "\n"
 *   signature   "untrusted comment: ...\n" base64(alg "ED"|"Ed" || key id[8] || sig[64]) "\n"
 *               "trusted comment: TEXT\n" base64(Ed25519 over sig[64] || TEXT) "\n"
 * "ED" signs BLAKE2b-512 of the file (prehashed; streams); "Ed" (legacy) signs the file.
 *
 * Secret keys live only in sodium_malloc'd memory (struct minisign_sec); every function that
 * touches them wipes its temporaries on every path.
 */
#ifndef AMANA_MINISIGN_H
#define AMANA_MINISIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vault/err.h"

#define MINISIGN_KEYID_BYTES 8
#define MINISIGN_HASH_BYTES 64 /* BLAKE2b-512 */
/* The comment lines, prefix included, line end not: the longest that stock minisign reads
 * (its 1,024- and 8,192-byte line buffers also hold the line end and a NUL). */
#define MINISIGN_UNTRUSTED_MAX 1022
#define MINISIGN_TRUSTED_MAX 8190
/* What minisign writes when it makes a key: scrypt with N = 2^20, r = 8, p = 1 (1 GiB). */
#define MINISIGN_OPSLIMIT 33554432ULL
#define MINISIGN_MEMLIMIT 1073741824ULL

struct minisign_pub {
	uint8_t key_id[MINISIGN_KEYID_BYTES];
	uint8_t pk[32];
};

/* A decoded secret key file, possibly still encrypted. Allocated with sodium_malloc by
 * minisign_sec_decode, since an unencrypted file holds the key in clear. */
struct minisign_secfile {
	uint8_t kdf_alg[2];
	uint8_t salt[32];
	uint64_t opslimit, memlimit;
	uint8_t block[104]; /* key id[8] || secret key[64] || checksum[32], maybe encrypted */
};

/* An unlocked secret key: sodium_malloc'd, freed (and wiped) by minisign_sec_free. */
struct minisign_sec {
	uint8_t key_id[MINISIGN_KEYID_BYTES];
	uint8_t sk[64]; /* seed || public key, libsodium's layout */
};

enum minisign_alg { MINISIGN_PREHASHED, MINISIGN_LEGACY };

struct minisign_sig {
	enum minisign_alg alg;
	uint8_t key_id[MINISIGN_KEYID_BYTES];
	uint8_t sig[64];
	char *untrusted; /* malloc'd, without the "untrusted comment: " prefix */
	char *trusted;	 /* malloc'd, without the "trusted comment: " prefix */
	uint8_t global[64];
};

/* The key id as minisign prints it: the 8 bytes read as a little-endian integer, in 16
 * uppercase hex digits. out holds 17 bytes. */
void minisign_key_id_hex(const uint8_t id[MINISIGN_KEYID_BYTES], char out[17]);

/* Parses 16 hex digits (any case) back into key id bytes; false when s is not that. */
bool minisign_key_id_parse(const char *s, uint8_t id[MINISIGN_KEYID_BYTES]);

/* ---- public keys ----------------------------------------------------------------------- */

/* Parses a public key file, or a bare base64 key line (as minisign's -P takes). The file's
 * untrusted comment (without prefix) goes to *comment (malloc'd, "" when none) if not NULL. */
int minisign_pub_decode(const char *text, size_t len, struct minisign_pub *out, char **comment,
			struct err *e);

/* The base64 key line (56 characters, NUL-terminated) of a public key. */
void minisign_pub_base64(const struct minisign_pub *pub, char out[57]);

/* A whole public key file: "untrusted comment: COMMENT\nBASE64\n"; malloc'd. */
char *minisign_pub_encode(const struct minisign_pub *pub, const char *comment);

/* ---- secret keys ----------------------------------------------------------------------- */

/* Parses a secret key file (text may be sodium memory). *out is sodium_malloc'd: free it with
 * minisign_secfile_free. The comment is returned like minisign_pub_decode's. */
int minisign_secfile_decode(const char *text, size_t len, struct minisign_secfile **out,
			    char **comment, struct err *e);
void minisign_secfile_free(struct minisign_secfile *f);

/* True when the file's key is encrypted with a passphrase. */
bool minisign_secfile_encrypted(const struct minisign_secfile *f);

/* Decrypts (when encrypted) and checks the key: checksum, and that the public half matches
 * the seed. A wrong passphrase is ERR_KEY. pass may be NULL for an unencrypted key. The
 * scrypt limits come from the file and are refused (ERR_KEY) above 2^22 * r... ~4 GiB. */
int minisign_secfile_unlock(const struct minisign_secfile *f, const char *pass, size_t passlen,
			    struct minisign_sec **out, struct err *e);

/* Generates a new key pair with a random key id. */
int minisign_keygen(struct minisign_sec **out, struct err *e);
void minisign_sec_free(struct minisign_sec *sk);
void minisign_sec_public(const struct minisign_sec *sk, struct minisign_pub *pub);

/* Encodes a secret key file: encrypted with scrypt(pass, random salt, opslimit, memlimit)
 * when pass is not NULL, else unencrypted as minisign -W writes it. Returns sodium_malloc'd
 * text (free with sodium_free), or NULL with e set. */
char *minisign_sec_encode(const struct minisign_sec *sk, const char *comment, const char *pass,
			  size_t passlen, uint64_t opslimit, uint64_t memlimit, struct err *e);

/* ---- signatures ------------------------------------------------------------------------ */

/* BLAKE2b-512 of everything read from fd, in 64 KiB reads (flat memory). */
int minisign_hash_fd(int fd, uint8_t out[MINISIGN_HASH_BYTES], struct err *e);

/* Signs: prehashed over hash (64 bytes), or legacy over msg[0..len). trusted must be
 * printable UTF-8 without control characters other than TAB; untrusted may be NULL for the
 * default. out's strings are malloc'd: minisign_sig_clear. */
int minisign_sign(const struct minisign_sec *sk, enum minisign_alg alg, const uint8_t *hash,
		  const uint8_t *msg, size_t len, const char *trusted, const char *untrusted,
		  struct minisign_sig *out, struct err *e);

/* Parses a signature file strictly (minisign's reader rules; see docs/format.md). */
int minisign_sig_decode(const char *text, size_t len, struct minisign_sig *out, struct err *e);

/* The four lines of a signature file; malloc'd. */
char *minisign_sig_encode(const struct minisign_sig *sig);

void minisign_sig_clear(struct minisign_sig *sig);

/* Verifies in minisign's order: key id, then the signature over the file (hash for
 * prehashed, msg for legacy; the other may be NULL), then the global signature over the
 * trusted comment. Each failure is ERR_VERIFY with a message naming the check. With
 * require_prehashed a legacy signature is refused. */
int minisign_verify(const struct minisign_pub *pub, const struct minisign_sig *sig,
		    const uint8_t *hash, const uint8_t *msg, size_t len, bool require_prehashed,
		    struct err *e);

/* True when s is an acceptable trusted comment (printable UTF-8, TAB allowed). */
bool minisign_comment_ok(const char *s);

#endif
