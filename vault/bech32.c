/*
 * bech32.c - BIP-173 Bech32 encode and decode. See bech32.h.
 */
#include "vault/bech32.h"

#include <sodium.h>
#include <stdint.h>
#include <string.h>

static const char charset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

static uint32_t polymod_step(uint32_t pre)
{
	uint32_t b = pre >> 25;
	return ((pre & 0x1ffffff) << 5) ^ (-((b >> 0) & 1) & 0x3b6a57b2UL) ^
	       (-((b >> 1) & 1) & 0x26508e6dUL) ^ (-((b >> 2) & 1) & 0x1ea119faUL) ^
	       (-((b >> 3) & 1) & 0x3d4233ddUL) ^ (-((b >> 4) & 1) & 0x2a1462b3UL);
}

/* Checksum state after the expanded HRP (high bits, 0, low bits); hrp is lowercase. */
static uint32_t hrp_polymod(const char *hrp, size_t n)
{
	uint32_t chk = 1;
	for (size_t i = 0; i < n; i++)
		chk = polymod_step(chk) ^ ((unsigned char)hrp[i] >> 5);
	chk = polymod_step(chk);
	for (size_t i = 0; i < n; i++)
		chk = polymod_step(chk) ^ ((unsigned char)hrp[i] & 0x1f);
	return chk;
}

static int charset_rev(char c)
{
	const char *p = c ? strchr(charset, c) : NULL;
	return p ? (int)(p - charset) : -1;
}

int bech32_encode(char *out, size_t outcap, const char *hrp, const unsigned char *data, size_t len,
		  bool upper)
{
	size_t hn = strlen(hrp);
	size_t nwords = (len * 8 + 4) / 5;
	if (hn < 1 || hn + 1 + nwords + 6 + 1 > outcap || hn + 1 + nwords + 6 > BECH32_MAX_LEN)
		return -1;
	for (size_t i = 0; i < hn; i++) {
		unsigned char c = (unsigned char)hrp[i];
		if (c < 33 || c > 126 || (c >= 'A' && c <= 'Z'))
			return -1;
	}
	uint32_t chk = hrp_polymod(hrp, hn);
	size_t o = 0;
	for (size_t i = 0; i < hn; i++)
		out[o++] = upper && hrp[i] >= 'a' && hrp[i] <= 'z' ? (char)(hrp[i] - 32) : hrp[i];
	out[o++] = '1';
	/* Regroup 8-bit bytes into 5-bit words, padding the last one with zero bits. */
	uint32_t acc = 0;
	int bits = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len) {
			acc = (acc << 8) | data[i];
			bits += 8;
		} else if (bits > 0) {
			acc <<= 5 - bits;
			bits = 5;
		}
		while (bits >= 5) {
			bits -= 5;
			unsigned w = (acc >> bits) & 31;
			chk = polymod_step(chk) ^ w;
			out[o++] = charset[w];
		}
	}
	for (int i = 0; i < 6; i++)
		chk = polymod_step(chk);
	chk ^= 1;
	for (int i = 0; i < 6; i++)
		out[o++] = charset[(chk >> (5 * (5 - i))) & 31];
	out[o] = '\0';
	if (upper)
		for (size_t i = hn + 1; i < o; i++)
			if (out[i] >= 'a' && out[i] <= 'z')
				out[i] = (char)(out[i] - 32);
	sodium_memzero(&acc, sizeof acc);
	return 0;
}

int bech32_decode(char *hrp, size_t hrpcap, unsigned char *out, size_t outcap, size_t *outlen,
		  const char *s, size_t n)
{
	int rc = -1;
	bool lower = false, upper = false;
	*outlen = 0;
	if (n < 8 || n > BECH32_MAX_LEN)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 33 || c > 126)
			return -1;
		lower |= c >= 'a' && c <= 'z';
		upper |= c >= 'A' && c <= 'Z';
	}
	if (lower && upper)
		return -1;
	const char *sep = NULL;
	for (size_t i = n; i-- > 0;)
		if (s[i] == '1') {
			sep = s + i;
			break;
		}
	if (!sep)
		return -1;
	size_t hn = (size_t)(sep - s);
	size_t dn = n - hn - 1;
	if (hn < 1 || dn < 6 || hn + 1 > hrpcap)
		return -1;
	for (size_t i = 0; i < hn; i++) {
		char c = s[i];
		hrp[i] = c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
	}
	hrp[hn] = '\0';
	uint32_t chk = hrp_polymod(hrp, hn);
	uint32_t acc = 0;
	int bits = 0;
	size_t o = 0;
	for (size_t i = 0; i < dn; i++) {
		char c = sep[1 + i];
		int w = charset_rev(c >= 'A' && c <= 'Z' ? (char)(c + 32) : c);
		if (w < 0)
			goto done;
		chk = polymod_step(chk) ^ (uint32_t)w;
		if (i + 6 >= dn)
			continue; /* the checksum words carry no data */
		acc = ((acc << 5) | (uint32_t)w) & 0xfff;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			if (o >= outcap)
				goto done;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	/* Padding must be shorter than 5 bits and all zero. */
	if (chk != 1 || bits >= 5 || (acc & ((1u << bits) - 1)) != 0)
		goto done;
	*outlen = o;
	rc = 0;
done:
	if (rc != 0)
		sodium_memzero(out, o);
	sodium_memzero(&acc, sizeof acc);
	return rc;
}
