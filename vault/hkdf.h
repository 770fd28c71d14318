/*
 * hkdf.h - HKDF with HMAC-SHA-256 (RFC 5869), as age uses it to derive wrap keys, the header
 * MAC key and the payload key.
 *
 * libsodium 1.0.18 has HMAC-SHA-256 but no HKDF, so the two steps are built here on
 * crypto_auth_hmacsha256. Intermediate keys (the PRK, HMAC states) are wiped before returning.
 */
#ifndef AMANA_HKDF_H
#define AMANA_HKDF_H

#include <stddef.h>
#include <stdint.h>

#define HKDF_SHA256_LEN 32
#define HKDF_SHA256_MAX_OUT (255 * HKDF_SHA256_LEN)

/* Extract: prk = HMAC-SHA-256(key = salt, message = ikm). An empty or NULL salt stands for the
 * RFC's default of 32 zero bytes (HMAC pads its key with zeros, so both give the same PRK).
 * prk receives HKDF_SHA256_LEN bytes; the caller keeps it secret and wipes it. */
void hkdf_sha256_extract(uint8_t prk[HKDF_SHA256_LEN], const uint8_t *salt, size_t saltlen,
			 const uint8_t *ikm, size_t ikmlen);

/* Expand: fills out[0..outlen) from prk and the context string info (may be NULL when
 * infolen is 0). Returns 0, or -1 (leaving out wiped) when outlen exceeds
 * HKDF_SHA256_MAX_OUT. */
int hkdf_sha256_expand(uint8_t *out, size_t outlen, const uint8_t prk[HKDF_SHA256_LEN],
		       const uint8_t *info, size_t infolen);

/* Extract then expand in one call: out = HKDF-SHA-256(ikm, salt, info, outlen). The PRK
 * never leaves this function. Returns 0, or -1 when outlen is too large. */
int hkdf_sha256(uint8_t *out, size_t outlen, const uint8_t *salt, size_t saltlen,
		const uint8_t *ikm, size_t ikmlen, const uint8_t *info, size_t infolen);

#endif
