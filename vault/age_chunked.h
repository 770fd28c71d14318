/*
 * age_chunked.h - age encryption for writers that know where every plaintext byte goes but
 * not all of them in order.
 *
 * A bundle's payload begins with its manifest, which lists the digests of the attachments
 * that follow it: the manifest can be finished only after the attachments were read. Rather
 * than read each attachment twice, seal encrypts the attachments' part of the plaintext as
 * it streams, and the manifest's part at the end. STREAM allows this: chunk i is sealed with
 * the payload key and the nonce (i, last?) alone, and lands at a fixed offset of the file:
 *
 *     age_chunked_prefix_len() + i * (64 KiB + 16)
 *
 * The file is the same age v1 file age_encrypt_* would write; only the order of work differs.
 */
#ifndef AMANA_AGE_CHUNKED_H
#define AMANA_AGE_CHUNKED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vault/age.h"
#include "vault/err.h"

#define AGE_CHUNK 65536
#define AGE_CHUNK_CT (AGE_CHUNK + 16)

struct age_chunked;

/* Makes a fresh file key, wraps it for every recipient and derives the payload key. The
 * header and payload nonce (the file's first bytes) are available from age_chunked_prefix. */
int age_chunked_new(struct age_chunked **out, const struct age_recipients *r, struct err *e);
void age_chunked_free(struct age_chunked *c);

/* The header and nonce: the first age_chunked_prefix_len bytes of the file. */
const unsigned char *age_chunked_prefix(const struct age_chunked *c, size_t *len);

/* Seals plaintext chunk number index (len bytes: AGE_CHUNK for every chunk but the last, which
 * has 1..AGE_CHUNK, or 0 only when the whole payload is empty) into out (len + 16 bytes). */
void age_chunked_seal(const struct age_chunked *c, uint64_t index, bool last,
		      const unsigned char *in, size_t len, unsigned char *out);

/* Where chunk index starts in the file, and the file's size for a plaintext of n bytes. */
uint64_t age_chunked_offset(const struct age_chunked *c, uint64_t index);
uint64_t age_chunked_file_size(const struct age_chunked *c, uint64_t n);

#endif
