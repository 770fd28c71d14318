/*
 * fuzz_age_header.c - age decryption from the first byte: armor detection, the header
 * grammar, stanza checks, unwrapping with the CCTV testkit identity (and the passphrase
 * "password" when scrypt is cheap), the MAC and the payload. Whatever header parses must
 * encode back to exactly the same bytes (the parser accepts one spelling only).
 */
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/age_fuzz.h"
#include "tests/fuzz/fuzz.h"
#include "vault/age.h"
#include "vault/age_impl.h"

static const char testkit_identity[] =
	"AGE-SECRET-KEY-1EGTZVFFV20835NWYV6270LXYVK2VKNX2MMDKWYKLMGR48UAWX40Q2P2LM0";

/* Parses the binary header at the start of data, if any, and checks it re-encodes exactly. */
static void header_roundtrip(const uint8_t *data, size_t size)
{
	const uint8_t *end = memmem(data, size, "\n--- ", 5);
	if (!end)
		return;
	const uint8_t *nl = memchr(end + 1, '\n', size - (size_t)(end + 1 - data));
	if (!nl)
		return;
	size_t hlen = (size_t)(nl - data) + 1;
	struct age_header h;
	struct err e;
	if (age_header_parse(data, hlen, &h, &e) == 0) {
		unsigned char *out;
		size_t len, cap;
		if (age_header_encode(h.stanzas, h.nstanzas, &out, &len, &cap, &e) == 0) {
			len = age_header_put_mac(out, len, h.mac);
			if (len != hlen || memcmp(out, data, hlen) != 0)
				abort();
			free(out);
		}
	}
	age_header_free(&h);
}

FUZZ_TARGET(age_header)
{
	static struct age_identities *ids, *ids_pw;
	struct err e;
	static unsigned char buf[200000];

	age_fuzz_skip_vector_header(&data, &size);
	if (!ids) {
		if (age_identities_new(&ids, &e) != 0 ||
		    age_identities_add(ids, testkit_identity, strlen(testkit_identity), &e) != 0 ||
		    age_identities_new(&ids_pw, &e) != 0 ||
		    age_identities_add(ids_pw, testkit_identity, strlen(testkit_identity), &e) != 0 ||
		    age_identities_add_passphrase(ids_pw, "password", 8, &e) != 0)
			abort();
	}
	header_roundtrip(data, size);

	struct age_mem_reader src = {data, size, 0};
	struct age_decryptor *dec = NULL;
	const struct age_identities *use = age_fuzz_scrypt_cheap(data, size) ? ids_pw : ids;
	if (age_decrypt_init(&dec, use, age_mem_read, &src, &e) == 0) {
		static const size_t caps[] = {sizeof buf, 1000, 70000};
		for (size_t round = 0;; round++) {
			size_t got = 0;
			if (age_decrypt_read(dec, buf, caps[round % 3], &got, &e) != 0 || got == 0)
				break;
		}
		age_decrypt_free(dec);
	}
	return 0;
}
