/*
 * base64.h - strict, canonical RFC 4648 base64 (standard alphabet).
 *
 * Two variants: padded (minisign, signed notes, checkpoints, age armor) and unpadded (the age
 * header). Decoding refuses anything but the one canonical encoding of some bytes: wrong
 * length, '=' where it does not belong, non-zero unused bits, whitespace, other alphabets.
 * Built on libsodium's constant-time codec, so decoding secret material leaks no timing.
 */
#ifndef AMANA_BASE64_H
#define AMANA_BASE64_H

#include <stdbool.h>
#include <stddef.h>

enum b64_variant { B64_PADDED, B64_UNPADDED };

/* Length of the encoding of n bytes, without a terminating NUL. */
size_t b64_encoded_len(size_t n, enum b64_variant v);

/* Encodes n bytes into out, which must hold b64_encoded_len(n, v) + 1 bytes (NUL added).
 * Returns out. */
char *b64_encode(char *out, size_t outcap, const void *in, size_t n, enum b64_variant v);

/* Returns a malloc'd NUL-terminated encoding, or NULL when out of memory. */
char *b64_encode_alloc(const void *in, size_t n, enum b64_variant v);

/* Decodes exactly inlen characters into out (at most outcap bytes); *outlen gets the count.
 * Returns 0, or -1 when the input is not the canonical encoding of at most outcap bytes. */
int b64_decode(unsigned char *out, size_t outcap, size_t *outlen, const char *in, size_t inlen,
	       enum b64_variant v);

/* As b64_decode, and the result must be exactly want bytes long. */
int b64_decode_exact(unsigned char *out, size_t want, const char *in, size_t inlen,
		     enum b64_variant v);

#endif
