/*
 * base64.c - strict base64 on top of libsodium's constant-time codec. See base64.h.
 */
#include "vault/base64.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static int sodium_variant(enum b64_variant v)
{
	return v == B64_PADDED ? sodium_base64_VARIANT_ORIGINAL
			       : sodium_base64_VARIANT_ORIGINAL_NO_PADDING;
}

size_t b64_encoded_len(size_t n, enum b64_variant v)
{
	/* sodium_base64_ENCODED_LEN counts the NUL. */
	return sodium_base64_ENCODED_LEN(n, sodium_variant(v)) - 1;
}

char *b64_encode(char *out, size_t outcap, const void *in, size_t n, enum b64_variant v)
{
	return sodium_bin2base64(out, outcap, in, n, sodium_variant(v));
}

char *b64_encode_alloc(const void *in, size_t n, enum b64_variant v)
{
	size_t cap = b64_encoded_len(n, v) + 1;
	char *out = malloc(cap);
	if (out)
		b64_encode(out, cap, in, n, v);
	return out;
}

int b64_decode(unsigned char *out, size_t outcap, size_t *outlen, const char *in, size_t inlen,
	       enum b64_variant v)
{
	const char *end = NULL;
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";
	*outlen = 0;
	/* libsodium 1.0.18 takes bytes from 0x80 up for base64 digits ("Zm\xffv" decodes), so
	 * the alphabet is checked here first. Base64 is public data: no timing concern. */
	for (size_t i = 0; i < inlen; i++)
		if (in[i] == '\0' || !strchr(alphabet, in[i]))
			return -1;
	if (v == B64_PADDED && inlen % 4 != 0)
		return -1;
	if (v == B64_UNPADDED && (inlen % 4 == 1 || memchr(in, '=', inlen)))
		return -1;
	if (sodium_base642bin(out, outcap, in, inlen, NULL, outlen, &end, sodium_variant(v)) != 0)
		return -1;
	/* libsodium stops at the first character it does not take; all must be taken. */
	if (end != in + inlen)
		return -1;
	return 0;
}

int b64_decode_exact(unsigned char *out, size_t want, const char *in, size_t inlen,
		     enum b64_variant v)
{
	size_t got;
	if (inlen != b64_encoded_len(want, v))
		return -1;
	if (b64_decode(out, want, &got, in, inlen, v) != 0 || got != want)
		return -1;
	return 0;
}
