/*
 * fuzz_minisign.c - minisign's three file parsers on hostile bytes: public key, secret key
 * (decode and, when unencrypted, unlock) and signature files. Whatever parses must
 * re-encode to something that parses to the same values.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "vault/minisign.h"

FUZZ_TARGET(minisign)
{
	struct err e;
	char *comment = NULL;
	if (sodium_init() < 0)
		abort();

	struct minisign_pub pub, pub2;
	memset(&pub, 0, sizeof pub);
	if (minisign_pub_decode((const char *)data, size, &pub, &comment, &e) == 0) {
		char *again = minisign_pub_encode(&pub, "x");
		if (!again || minisign_pub_decode(again, strlen(again), &pub2, NULL, &e) != 0 ||
		    memcmp(&pub, &pub2, sizeof pub) != 0)
			abort();
		free(again);
	}
	free(comment);
	comment = NULL;

	struct minisign_secfile *f = NULL;
	if (minisign_secfile_decode((const char *)data, size, &f, &comment, &e) == 0) {
		struct minisign_sec *sk = NULL;
		/* Only unencrypted keys: the scrypt cost of encrypted ones is the fuzzer's enemy. */
		if (!minisign_secfile_encrypted(f) && minisign_secfile_unlock(f, NULL, 0, &sk, &e) == 0)
			minisign_sec_free(sk);
		minisign_secfile_free(f);
	}
	free(comment);

	struct minisign_sig sig, sig2;
	if (minisign_sig_decode((const char *)data, size, &sig, &e) == 0) {
		char *again = minisign_sig_encode(&sig);
		if (!again || minisign_sig_decode(again, strlen(again), &sig2, &e) != 0 ||
		    strcmp(sig.trusted, sig2.trusted) != 0 || memcmp(sig.sig, sig2.sig, 64) != 0 ||
		    memcmp(sig.global, sig2.global, 64) != 0)
			abort();
		uint8_t hash[64] = {0};
		minisign_verify(&pub, &sig, hash, data, size, false, &e);
		free(again);
		minisign_sig_clear(&sig2);
		minisign_sig_clear(&sig);
	}
	return 0;
}
