/*
 * bech32.h - BIP-173 Bech32 (the original checksum constant 1, not bech32m), as age uses it
 * for recipients ("age1...") and identities ("AGE-SECRET-KEY-1...").
 *
 * As in age, there is no 90-character limit (a cap of BECH32_MAX_LEN guards memory instead).
 * Mixed case is refused; the checksum is over the lowercase form; the 5-to-8-bit conversion
 * must leave no non-zero padding bits. Working buffers are wiped, since identities are secret.
 */
#ifndef AMANA_BECH32_H
#define AMANA_BECH32_H

#include <stdbool.h>
#include <stddef.h>

#define BECH32_MAX_LEN 1024

/* Encodes len bytes under hrp (given in lowercase) into out, NUL-terminated, in uppercase when
 * upper. Returns 0, or -1 when out is too small or hrp is invalid. */
int bech32_encode(char *out, size_t outcap, const char *hrp, const unsigned char *data, size_t len,
		  bool upper);

/* Decodes the n characters of s. The human-readable part, lowercased and NUL-terminated, goes
 * to hrp (hrpcap bytes); the data bytes to out (at most outcap), their count to *outlen.
 * Returns 0, or -1 when s is not valid Bech32. */
int bech32_decode(char *hrp, size_t hrpcap, unsigned char *out, size_t outcap, size_t *outlen,
		  const char *s, size_t n);

#endif
