/*
 * fuzz_age_identity.c - identity files (plain, or passphrase-protected age files) and
 * recipients files, and single recipient and identity strings. Nothing may crash or leak;
 * every identity that parses must encode back to the line it came from.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tests/fuzz/age_fuzz.h"
#include "tests/fuzz/fuzz.h"
#include "vault/age.h"

static int give_password(void *ctx, const char *prompt, char **pass, size_t *len, struct err *e)
{
	(void)ctx;
	(void)prompt;
	(void)e;
	*pass = sodium_malloc(9);
	if (!*pass)
		abort();
	memcpy(*pass, "password", 9);
	*len = 8;
	return 0;
}

static int refuse_password(void *ctx, const char *prompt, char **pass, size_t *len,
			   struct err *e)
{
	(void)ctx;
	(void)prompt;
	(void)pass;
	(void)len;
	return err_set(e, ERR_KEY, "no passphrase in the fuzzer");
}

FUZZ_TARGET(age_identity)
{
	struct age_identities *ids;
	struct age_recipients *r;
	struct err e;

	age_fuzz_skip_vector_header(&data, &size);
	if (sodium_init() < 0 || age_identities_new(&ids, &e) != 0 || age_recipients_new(&r, &e) != 0)
		abort();
	age_identities_set_passphrase_fn(ids, age_fuzz_scrypt_cheap(data, size) ? give_password
										 : refuse_password,
					 NULL);
	age_identities_add_file(ids, data, size, "fuzz", &e);
	age_recipients_add_file(r, (const char *)data, size, "fuzz", &e);

	/* One line as an identity string, and as a recipient string. */
	size_t n = 0;
	while (n < size && data[n] != '\n' && n < 200)
		n++;
	char line[201];
	memcpy(line, data, n);
	line[n] = '\0';
	uint8_t sk[32], pk[32];
	if (age_identity_decode(line, n, sk, &e) == 0) {
		char back[AGE_IDENTITY_LEN + 1];
		age_identity_encode(back, sk);
		if (strlen(back) != n || memcmp(back, line, n) != 0)
			abort();
	}
	if (strlen(line) == n && age_recipient_decode(line, pk, &e) == 0) {
		char back[AGE_RECIPIENT_LEN + 1];
		age_recipient_encode(back, pk);
		if (strcasecmp(back, line) != 0)
			abort();
	}
	age_recipients_free(r);
	age_identities_free(ids);
	return 0;
}
