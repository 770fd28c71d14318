/*
 * fuzz_bech32.c - Bech32 decoding (age recipients and identities): whatever decodes must
 * encode back to the same string, lowercased or uppercased as it came.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "vault/bech32.h"

FUZZ_TARGET(bech32)
{
	char hrp[BECH32_MAX_LEN + 1], again[BECH32_MAX_LEN + 2];
	unsigned char out[BECH32_MAX_LEN];
	size_t n;
	if (bech32_decode(hrp, sizeof hrp, out, sizeof out, &n, (const char *)data, size) != 0)
		return 0;
	bool upper = false;
	for (size_t i = 0; i < size; i++)
		upper |= data[i] >= 'A' && data[i] <= 'Z';
	if (bech32_encode(again, sizeof again, hrp, out, n, upper) != 0 || strlen(again) != size ||
	    memcmp(again, data, size) != 0)
		abort();
	return 0;
}
