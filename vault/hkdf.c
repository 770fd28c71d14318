/*
 * hkdf.c - RFC 5869 HKDF over libsodium's HMAC-SHA-256. See hkdf.h.
 */
#include "vault/hkdf.h"

#include <sodium.h>
#include <string.h>

void hkdf_sha256_extract(uint8_t prk[HKDF_SHA256_LEN], const uint8_t *salt, size_t saltlen,
			 const uint8_t *ikm, size_t ikmlen)
{
	static const uint8_t zeros[HKDF_SHA256_LEN];
	crypto_auth_hmacsha256_state st;

	/* A NULL pointer is never handed on, even with a zero length. */
	if (!salt || saltlen == 0) {
		salt = zeros;
		saltlen = sizeof zeros;
	}
	crypto_auth_hmacsha256_init(&st, salt, saltlen);
	if (ikmlen > 0)
		crypto_auth_hmacsha256_update(&st, ikm, ikmlen);
	crypto_auth_hmacsha256_final(&st, prk);
	sodium_memzero(&st, sizeof st);
}

int hkdf_sha256_expand(uint8_t *out, size_t outlen, const uint8_t prk[HKDF_SHA256_LEN],
		       const uint8_t *info, size_t infolen)
{
	crypto_auth_hmacsha256_state st;
	uint8_t t[HKDF_SHA256_LEN];
	size_t done = 0;
	uint8_t counter = 1;

	if (outlen > HKDF_SHA256_MAX_OUT) {
		sodium_memzero(out, outlen);
		return -1;
	}
	/* T(i) = HMAC(prk, T(i-1) || info || i), T(0) empty; out is T(1) || T(2) || ... */
	while (done < outlen) {
		crypto_auth_hmacsha256_init(&st, prk, HKDF_SHA256_LEN);
		if (counter > 1)
			crypto_auth_hmacsha256_update(&st, t, sizeof t);
		if (infolen > 0)
			crypto_auth_hmacsha256_update(&st, info, infolen);
		crypto_auth_hmacsha256_update(&st, &counter, 1);
		crypto_auth_hmacsha256_final(&st, t);
		size_t take = outlen - done < sizeof t ? outlen - done : sizeof t;
		memcpy(out + done, t, take);
		done += take;
		counter++;
	}
	sodium_memzero(&st, sizeof st);
	sodium_memzero(t, sizeof t);
	return 0;
}

int hkdf_sha256(uint8_t *out, size_t outlen, const uint8_t *salt, size_t saltlen,
		const uint8_t *ikm, size_t ikmlen, const uint8_t *info, size_t infolen)
{
	uint8_t prk[HKDF_SHA256_LEN];
	int rc;

	hkdf_sha256_extract(prk, salt, saltlen, ikm, ikmlen);
	rc = hkdf_sha256_expand(out, outlen, prk, info, infolen);
	sodium_memzero(prk, sizeof prk);
	return rc;
}
