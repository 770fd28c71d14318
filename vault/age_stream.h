/*
 * age_stream.h - inside the age module, layer 3: the STREAM payload (age_stream.c).
 *
 * The payload key, chunk nonces, sealing one chunk, and runs of full chunks sealed or opened
 * on two cores. Nothing here reads or writes a header: the payload starts from a file key
 * that the header layer unwrapped or drew. Includes the keys layer (age_keys.h, for the file
 * key's size) and nothing above it; see age_impl.h for the layering.
 * Not for use outside vault/age*.c, except by the unit tests and fuzz targets.
 */
#ifndef AMANA_AGE_STREAM_H
#define AMANA_AGE_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vault/age.h"
#include "vault/age_keys.h"
#include "vault/err.h"

#define AGE_NONCE_SIZE 16   /* the payload nonce after the header */
#define AGE_BATCH_CHUNKS 16 /* the longest run handed over at once (about 1 MiB) */

/* payload key = HKDF-SHA-256(ikm = file key, salt = payload nonce, info = "payload"); key
 * should be sodium_malloc'd. */
void age_payload_key(uint8_t key[32], const uint8_t file_key[AGE_FILE_KEY_SIZE],
		     const uint8_t nonce[AGE_NONCE_SIZE]);

/* 11-byte big-endian counter and a final flag: the STREAM chunk nonce. */
void age_stream_nonce(uint8_t nonce[12], uint64_t counter, bool final);

/* Seals one chunk: len bytes of plaintext at in (which may be out itself) become len bytes
 * of ciphertext at out and the 16-byte tag after them, with chunk number counter. */
void age_chunk_seal(const uint8_t *key, uint64_t counter, bool final, const unsigned char *in,
		    size_t len, unsigned char *out);

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
