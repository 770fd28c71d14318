/*
 * test_hkdf.c - HKDF-SHA-256 against RFC 5869 appendix A, test cases 1 to 3 (the SHA-256
 * ones), both as separate extract/expand steps and in one call, plus the length limit.
 */
#include "tests/unit/unit.h"
#include "vault/hkdf.h"

struct rfc_case {
	const char *ikm, *salt, *info;
	size_t len;
	const char *prk, *okm;
};

static const struct rfc_case cases[] = {
	{"0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "000102030405060708090a0b0c",
	 "f0f1f2f3f4f5f6f7f8f9", 42,
	 "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5",
	 "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"},
	{"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	 "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
	 "404142434445464748494a4b4c4d4e4f",
	 "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
	 "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
	 "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf",
	 "b0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecf"
	 "d0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeef"
	 "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff",
	 82, "06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244",
	 "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
	 "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
	 "cc30c58179ec3e87c14c01d5c1f3434f1d87"},
	{"0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "", "", 42,
	 "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04",
	 "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"},
};

static void run_case(const struct rfc_case *c)
{
	size_t ikmlen, saltlen, infolen;
	unsigned char *ikm = unit_hex(c->ikm, &ikmlen);
	unsigned char *salt = unit_hex(c->salt, &saltlen);
	unsigned char *info = unit_hex(c->info, &infolen);
	uint8_t prk[HKDF_SHA256_LEN], okm[128];

	hkdf_sha256_extract(prk, salt, saltlen, ikm, ikmlen);
	assert_hex_equal(prk, sizeof prk, c->prk);
	assert_int_equal(hkdf_sha256_expand(okm, c->len, prk, info, infolen), 0);
	assert_hex_equal(okm, c->len, c->okm);

	memset(okm, 0, sizeof okm);
	assert_int_equal(hkdf_sha256(okm, c->len, salt, saltlen, ikm, ikmlen, info, infolen), 0);
	assert_hex_equal(okm, c->len, c->okm);
	free(ikm);
	free(salt);
	free(info);
}

static void test_rfc5869_case1(void **state)
{
	(void)state;
	run_case(&cases[0]);
}

static void test_rfc5869_case2(void **state)
{
	(void)state;
	run_case(&cases[1]);
}

static void test_rfc5869_case3(void **state)
{
	(void)state;
	run_case(&cases[2]);
}

/* An empty salt and an explicit salt of 32 zero bytes are the same (age relies on it). */
static void test_empty_salt_is_zeros(void **state)
{
	(void)state;
	static const uint8_t zeros[32], ikm[16] = {1, 2, 3};
	uint8_t a[32], b[32], c[32];
	assert_int_equal(hkdf_sha256(a, 32, NULL, 0, ikm, sizeof ikm, (const uint8_t *)"header", 6), 0);
	assert_int_equal(hkdf_sha256(b, 32, zeros, 32, ikm, sizeof ikm, (const uint8_t *)"header", 6), 0);
	assert_int_equal(hkdf_sha256(c, 32, (const uint8_t *)"", 0, ikm, sizeof ikm, (const uint8_t *)"header", 6), 0);
	assert_memory_equal(a, b, 32);
	assert_memory_equal(a, c, 32);
}

static void test_length_limit(void **state)
{
	(void)state;
	static uint8_t out[HKDF_SHA256_MAX_OUT + 1];
	static const uint8_t ikm[1];
	assert_int_equal(hkdf_sha256(out, HKDF_SHA256_MAX_OUT, NULL, 0, ikm, 1, NULL, 0), 0);
	assert_int_equal(hkdf_sha256(out, HKDF_SHA256_MAX_OUT + 1, NULL, 0, ikm, 1, NULL, 0), -1);
	/* A refused expansion leaves nothing behind. */
	for (size_t i = 0; i < sizeof out; i++)
		assert_int_equal(out[i], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc5869_case1),
		cmocka_unit_test(test_rfc5869_case2),
		cmocka_unit_test(test_rfc5869_case3),
		cmocka_unit_test(test_empty_salt_is_zeros),
		cmocka_unit_test(test_length_limit),
	};
	return cmocka_run_group_tests_name("hkdf", tests, unit_setup, NULL);
}
