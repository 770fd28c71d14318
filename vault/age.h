/*
 * age.h - age v1 (age-encryption.org/v1) file encryption: X25519 recipients, scrypt
 * passphrases, the STREAM payload, ASCII armor; compatible with stock age both ways.
 *
 * Both directions stream with flat memory (two 64 KiB chunk buffers at most), because bundles
 * carry attachments of any size:
 *   - encryption is pushed: age_encrypt_init writes the header through a write callback,
 *     age_encrypt_update takes plaintext as it comes, age_encrypt_final seals the last chunk;
 *   - decryption is pulled: age_decrypt_init reads the header through a read callback (telling
 *     armor from binary by itself), unwraps the file key and checks the header MAC;
 *     age_decrypt_read then hands out plaintext only once its chunk has authenticated, and
 *     reports the end only after the final chunk has.
 *
 * Errors: a malformed header or armor is ERR_FORMAT (messages start "invalid age header" or
 * "invalid ASCII armor"); a header MAC or payload chunk that fails to authenticate, a
 * truncated payload or data after it is ERR_VERIFY; no identity that unwraps the file key is
 * ERR_KEY; unsupported key types (post-quantum hybrid, SSH, plugins) are ERR_KEY with
 * "unsupported recipient type" or "unsupported identity type".
 *
 * Secrets (identities, passphrases, file keys and every key derived from them) live only in
 * sodium_malloc'd memory and are wiped on every path. The format notes are in
 * docs/formats/age.md; the CCTV vectors under tests/vectors/age are the reference tests.
 *
 * The module is built in layers that point one way (age_impl.h lists them): keys
 * (age_keys.c) <- header (age_header.c, the one place that reads and writes headers) <-
 * stream (age_stream.c) <- files (age.c, age_rewrap.c, age_chunked.c). This header is what
 * they export.
 */
#ifndef AMANA_AGE_H
#define AMANA_AGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vault/err.h"

#define AGE_CHUNK_SIZE 65536                   /* plaintext bytes per payload chunk */
#define AGE_TAG_SIZE 16                        /* Poly1305 tag after each chunk */
#define AGE_HEADER_MAX (1024 * 1024)           /* longest header accepted */
#define AGE_SCRYPT_MAX_LOG_N 22                /* as age: 4 GiB of scrypt memory at most */
#define AGE_SCRYPT_DEFAULT_LOG_N 18            /* as age: 256 MiB, about a second */
#define AGE_RECIPIENT_LEN 62                   /* strlen("age1...") for X25519 */
#define AGE_IDENTITY_LEN 74                    /* strlen("AGE-SECRET-KEY-1...") */
#define AGE_IDENTITY_FILE_MAX (256 * 1024)     /* largest identity file read */

/* Writes all len bytes somewhere (a file, libarchive, a buffer); 0, or -1 with e set. */
typedef int (*age_write_fn)(void *ctx, const void *buf, size_t len, struct err *e);

/* Reads up to cap bytes into buf; *got == 0 means the end of the input. 0, or -1 with e set. */
typedef int (*age_read_fn)(void *ctx, void *buf, size_t cap, size_t *got, struct err *e);

/* Supplies a passphrase when one is needed (an scrypt-encrypted file or identity file).
 * prompt says what it is for. *pass must be sodium_malloc'd (passphrase_read's memory is) and
 * becomes the caller's, who wipes and frees it with sodium_free. */
typedef int (*age_passphrase_fn)(void *ctx, const char *prompt, char **pass, size_t *len,
				 struct err *e);

struct age_recipients;
struct age_identities;
struct age_encryptor;
struct age_decryptor;

/* ---- keys -------------------------------------------------------------------------------- */

/* Makes a new X25519 identity (sk, 32 random bytes) and its recipient (pk). sk should be in
 * sodium_malloc'd memory. */
void age_x25519_keygen(uint8_t sk[32], uint8_t pk[32]);

/* Writes "age1..." (AGE_RECIPIENT_LEN characters and a NUL) for the public key pk. */
void age_recipient_encode(char out[AGE_RECIPIENT_LEN + 1], const uint8_t pk[32]);

/* Writes "AGE-SECRET-KEY-1..." (AGE_IDENTITY_LEN characters and a NUL) for sk; out holds a
 * secret, so it should be sodium_malloc'd too. */
void age_identity_encode(char out[AGE_IDENTITY_LEN + 1], const uint8_t sk[32]);

/* Parses an "age1..." X25519 recipient into pk. Other types are ERR_KEY ("unsupported
 * recipient type"), anything else ERR_FORMAT. */
int age_recipient_decode(const char *s, uint8_t pk[32], struct err *e);

/* Parses one "AGE-SECRET-KEY-1..." line (n bytes, no line end) into sk. Other key types are
 * ERR_KEY ("unsupported identity type"), anything else ERR_KEY too (a key file is wrong).
 * Nothing of s is repeated in messages. */
int age_identity_decode(const char *s, size_t n, uint8_t sk[32], struct err *e);

/* ---- recipients (encryption) ------------------------------------------------------------- */

/* An empty list; free with age_recipients_free. */
int age_recipients_new(struct age_recipients **out, struct err *e);
void age_recipients_free(struct age_recipients *r);

/* Adds one recipient string ("age1..."), as age_recipient_decode parses it. */
int age_recipients_add(struct age_recipients *r, const char *s, struct err *e);

/* Adds every recipient of a recipients file (text[0..len), as age -R reads it: one recipient
 * a line, '#' comments and blank lines skipped, surrounding whitespace ignored). name is used
 * in messages ("'NAME' line 3: ..."). A file with no recipient is an error. */
int age_recipients_add_file(struct age_recipients *r, const char *text, size_t len,
			    const char *name, struct err *e);

/* Adds a passphrase recipient (scrypt stanza, work factor 2^log_n; 0 means the default). The
 * passphrase is copied into sodium_malloc'd memory. A passphrase cannot be combined with any
 * other recipient: age_encrypt_init refuses the mix. */
int age_recipients_add_passphrase(struct age_recipients *r, const char *pass, size_t len,
				  int log_n, struct err *e);

size_t age_recipients_count(const struct age_recipients *r);

/* ---- identities (decryption) ------------------------------------------------------------- */

/* An empty set; free with age_identities_free, which wipes everything it holds. */
int age_identities_new(struct age_identities **out, struct err *e);
void age_identities_free(struct age_identities *ids);

/* Where passphrases come from when a file or an identity file needs one and none was added
 * with age_identities_add_passphrase. Without it, such files fail with ERR_KEY. */
void age_identities_set_passphrase_fn(struct age_identities *ids, age_passphrase_fn fn,
				      void *ctx);

/* Adds one identity string ("AGE-SECRET-KEY-1...", n bytes). */
int age_identities_add(struct age_identities *ids, const char *s, size_t n, struct err *e);

/* Adds the identities of an identity file's contents (as age -i reads it: one identity a
 * line, '#' comments and blank lines skipped, CR LF accepted). When data is itself an age
 * file (binary or armored) it is decrypted first with a passphrase from the passphrase
 * callback, as age does for files made with "age -p". name is used in messages and prompts.
 * data should be sodium_malloc'd by the caller (io_read_secret does so). */
int age_identities_add_file(struct age_identities *ids, const unsigned char *data, size_t len,
			    const char *name, struct err *e);

/* Adds a passphrase to try on scrypt stanzas; it is copied into sodium_malloc'd memory. */
int age_identities_add_passphrase(struct age_identities *ids, const char *pass, size_t len,
				  struct err *e);

size_t age_identities_count(const struct age_identities *ids);

/* ---- encryption -------------------------------------------------------------------------- */

/* Starts a file for the recipients: draws a file key, writes the header (and the payload
 * nonce) through fn(ctx, ...), ASCII-armored when armor. recipients are only read here and
 * may be freed after the call. fn is only ever called from the calling thread. *out is freed
 * with age_encrypt_free. */
int age_encrypt_init(struct age_encryptor **out, const struct age_recipients *recipients,
		     bool armor, age_write_fn fn, void *ctx, struct err *e);

/* Encrypts len bytes of plaintext; whole chunks are written as soon as it is known that more
 * data follows them. */
int age_encrypt_update(struct age_encryptor *enc, const void *data, size_t len, struct err *e);

/* Seals the last chunk (which may be empty only for an empty file) and ends the armor. After
 * it, only age_encrypt_free may be called. */
int age_encrypt_final(struct age_encryptor *enc, struct err *e);

/* Frees the encryptor and wipes its keys and buffers (NULL is fine). A file not finished with
 * age_encrypt_final is incomplete: the caller must discard what was written. */
void age_encrypt_free(struct age_encryptor *enc);

/* ---- decryption -------------------------------------------------------------------------- */

/* Reads the header from fn(ctx, ...) (binary or armored), finds an identity that unwraps the
 * file key, checks the header MAC and reads the payload nonce. ids is only read here and may be
 * freed after the call; NULL means no identities (every file then fails with ERR_KEY). fn is
 * only ever called from the calling thread (a helper thread, when there is one, only does
 * ChaCha20-Poly1305 on buffers). *out is freed with age_decrypt_free. */
int age_decrypt_init(struct age_decryptor **out, const struct age_identities *ids,
		     age_read_fn fn, void *ctx, struct err *e);

/* Reads up to cap bytes of authenticated plaintext. *got == 0 only when the final chunk has
 * authenticated and nothing follows it. Plaintext of chunks that authenticated is handed out
 * before a later failure is reported; failures are sticky. */
int age_decrypt_read(struct age_decryptor *dec, void *buf, size_t cap, size_t *got,
		     struct err *e);

/* True when the input was ASCII-armored. */
bool age_decrypt_armored(const struct age_decryptor *dec);

/* When an X25519 identity unwrapped the file key, writes its recipient ("age1...") to out and
 * returns true (a bundle checks that this recipient is one the issuer listed); false for a
 * passphrase-encrypted file. */
bool age_decrypt_recipient(const struct age_decryptor *dec, char out[AGE_RECIPIENT_LEN + 1]);

/* Frees the decryptor, wiping its keys and buffers (NULL is fine). */
void age_decrypt_free(struct age_decryptor *dec);

/* ---- re-wrapping: a new header for an existing file ------------------------------------- */

/* What age_rewrap read in the old header. All public. */
struct age_rewrap_info {
	uint64_t header_len; /* the old header's bytes, version line through the MAC line's LF: the
			      * body (payload nonce, then chunks) starts at this offset */
	size_t stanzas;      /* stanzas in the old header, of every type (grease included) */
	size_t matched;      /* the one the identity opened, counted from 1 */
	char recipient[AGE_RECIPIENT_LEN + 1]; /* the recipient ("age1...") of that identity */
};

/*
 * Reads the header of a binary age file from fn(ctx, ...), opens its file key with one of
 * ids (X25519 identities), checks its MAC, and writes a new header that gives the same file
 * key to the recipients of to, with fresh stanzas and a new MAC. Appending the old file's
 * body (every byte after info->header_len) to *new_header makes an age file that the new
 * recipients decrypt to the same plaintext, and the old recipients no longer can (unless
 * they are in to again). This is what "amana readdress" does to payload.age.
 *
 * Reading: fn is asked for the header's bytes and never for one byte more, so on success the
 * input stands at the first byte of the body, ready for the caller to copy, and every byte
 * that went through fn was a header byte (a caller that hashes what it hands to fn, then the
 * body, hashes the whole old file). The body itself is neither read nor checked: the cost is
 * the header's, whatever the size of the file.
 *
 * Secrets: the file key lives only inside this call, in sodium_malloc'd memory that is wiped
 * on every path; it is never handed out. *new_header is malloc'd public bytes (*new_len of
 * them) that the caller frees; they are NULL and 0 after a failure. ids and to are only read.
 *
 * Errors: a malformed header is ERR_FORMAT ("invalid age header: ..."), as is ASCII-armored
 * input (refused: re-wrapping keeps the body byte for byte, so it takes binary age, which
 * bundles carry); no identity that opens a stanza is ERR_KEY, and so is a passphrase-encrypted
 * file (an scrypt stanza: only files for X25519 recipients can be re-wrapped; the passphrase
 * is never asked for); a header MAC that does not match is ERR_VERIFY; a passphrase among the
 * new recipients, no new recipients, or so many that the new header would pass
 * AGE_HEADER_MAX, is ERR_USAGE (checked before anything is read, but for the last). Stanzas
 * of other types in the old header (grease) are not carried over.
 */
int age_rewrap(const struct age_identities *ids, const struct age_recipients *to,
	       age_read_fn fn, void *ctx, unsigned char **new_header, size_t *new_len,
	       struct age_rewrap_info *info, struct err *e);

/* ---- helpers for callers ----------------------------------------------------------------- */

/* An in-memory input for age_decrypt_init: { data, len, 0 } and age_mem_read. */
struct age_mem_reader {
	const unsigned char *data;
	size_t len;
	size_t off;
};
int age_mem_read(void *ctx, void *buf, size_t cap, size_t *got, struct err *e);

/* A file descriptor as input or output: { fd, name } with age_fd_read / age_fd_write, which
 * retry on EINTR and short writes and name the file in their ERR_IO messages. */
struct age_fd {
	int fd;
	const char *name;
};
int age_fd_read(void *ctx, void *buf, size_t cap, size_t *got, struct err *e);
int age_fd_write(void *ctx, const void *buf, size_t len, struct err *e);

#endif
