/*
 * test_bech32.c - Bech32 against the BIP-173 test vectors, the age spec's key pair, and the
 * rules age adds (no 90-character limit, no mixed case, zero padding bits).
 */
#include "tests/unit/unit.h"
#include "vault/bech32.h"

/* BIP-173 "valid Bech32" strings. */
static const char *bip173_valid[] = {
	"A12UEL5L",
	"a12uel5l",
	"an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5tgs",
	"abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
	"11qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqc8247j",
	"split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w",
	"?1ezyfcl",
};

/* BIP-173 "invalid Bech32" strings, except the one refused only for being longer than 90
 * characters, which age (and so amana) accepts; see test_no_length_limit. */
static const char *bip173_invalid[] = {
	" 1nwldj5",      /* HRP character out of range */
	"\x7f" "1axkwrx", /* HRP character out of range */
	"\x80" "1eym55h", /* HRP character out of range */
	"pzry9x0s0muk",  /* no separator */
	"1pzry9x0s0muk", /* empty HRP */
	"x1b4n0q5v",     /* invalid data character */
	"li1dgmt3",      /* checksum too short */
	"de1lg7wt\xff",  /* invalid character in checksum */
	"A1G7SGD8",      /* checksum made over the uppercase HRP */
	"10a06t8",       /* empty HRP */
	"1qzzfhee",      /* empty HRP */
};

static void test_bip173_valid(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof bip173_valid / sizeof *bip173_valid; i++) {
		const char *s = bip173_valid[i];
		char hrp[100], again[200];
		unsigned char data[100];
		size_t n;
		assert_int_equal(bech32_decode(hrp, sizeof hrp, data, sizeof data, &n, s, strlen(s)), 0);
		bool upper = s[0] >= 'A' && s[0] <= 'Z';
		assert_int_equal(bech32_encode(again, sizeof again, hrp, data, n, upper), 0);
		assert_string_equal(again, s);
	}
}

static void test_bip173_invalid(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof bip173_invalid / sizeof *bip173_invalid; i++) {
		const char *s = bip173_invalid[i];
		char hrp[100];
		unsigned char data[100];
		size_t n;
		assert_int_equal(bech32_decode(hrp, sizeof hrp, data, sizeof data, &n, s, strlen(s)),
				 -1);
	}
}

/* The data bytes behind three of the valid strings, as BIP-173's reference code gives them. */
static void test_bip173_data_bytes(void **state)
{
	(void)state;
	static const struct {
		const char *hrp, *hex, *s;
	} v[] = {
		{"abcdef", "00443214c74254b635cf84653a56d7c675be77df",
		 "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw"},
		{"split", "c5f38b70305f519bf66d85fb6cf03058f3dde463ecd7918f2dc743918f2d",
		 "split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w"},
		{"1", "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
		 "11qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqc8247j"},
	};
	for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
		size_t n;
		unsigned char *data = unit_hex(v[i].hex, &n);
		char out[200];
		assert_int_equal(bech32_encode(out, sizeof out, v[i].hrp, data, n, false), 0);
		assert_string_equal(out, v[i].s);
		free(data);
	}
}

/* The age spec's example: 32 bytes of 0x42 as identity, and its recipient. */
static void test_age_keys(void **state)
{
	(void)state;
	const char *id = "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX";
	unsigned char key[32], want[32];
	char hrp[32], out[128];
	size_t n;
	memset(want, 0x42, sizeof want);
	assert_int_equal(bech32_decode(hrp, sizeof hrp, key, sizeof key, &n, id, strlen(id)), 0);
	assert_string_equal(hrp, "age-secret-key-");
	assert_int_equal(n, 32);
	assert_memory_equal(key, want, 32);
	assert_int_equal(bech32_encode(out, sizeof out, "age-secret-key-", key, 32, true), 0);
	assert_string_equal(out, id);

	unsigned char pk[32];
	assert_int_equal(crypto_scalarmult_base(pk, key), 0);
	assert_int_equal(bech32_encode(out, sizeof out, "age", pk, 32, false), 0);
	assert_string_equal(out, "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj");
}

static void test_no_length_limit(void **state)
{
	(void)state;
	/* BIP-173 refuses this only for its length (91 characters); age has no such limit. */
	const char *s = "an84characterslonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1569pvx";
	char hrp[128];
	unsigned char data[8];
	size_t n;
	assert_int_equal(bech32_decode(hrp, sizeof hrp, data, sizeof data, &n, s, strlen(s)), 0);
	assert_int_equal(n, 0);

	unsigned char big[200], back[200];
	char enc[512];
	randombytes_buf(big, sizeof big);
	assert_int_equal(bech32_encode(enc, sizeof enc, "test", big, sizeof big, false), 0);
	assert_true(strlen(enc) > 90);
	assert_int_equal(bech32_decode(hrp, sizeof hrp, back, sizeof back, &n, enc, strlen(enc)), 0);
	assert_int_equal(n, sizeof big);
	assert_memory_equal(big, back, sizeof big);
}

static void test_mixed_case_and_padding(void **state)
{
	(void)state;
	char hrp[32];
	unsigned char data[64];
	size_t n;
	const char *mixed = "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwJ";
	assert_int_equal(bech32_decode(hrp, sizeof hrp, data, sizeof data, &n, mixed, strlen(mixed)), -1);
	/* One flipped character anywhere breaks the checksum. */
	char s[] = "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj";
	for (size_t i = 4; i < strlen(s); i++) {
		char c = s[i];
		s[i] = c == 'q' ? 'p' : 'q';
		assert_int_equal(bech32_decode(hrp, sizeof hrp, data, sizeof data, &n, s, strlen(s)), -1);
		s[i] = c;
	}
	/* Output buffer too small is a refusal. */
	assert_int_equal(bech32_decode(hrp, sizeof hrp, data, 31, &n, s, strlen(s)), -1);
	assert_int_equal(bech32_decode(hrp, 3, data, sizeof data, &n, s, strlen(s)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bip173_valid),
		cmocka_unit_test(test_bip173_invalid),
		cmocka_unit_test(test_bip173_data_bytes),
		cmocka_unit_test(test_age_keys),
		cmocka_unit_test(test_no_length_limit),
		cmocka_unit_test(test_mixed_case_and_padding),
	};
	return cmocka_run_group_tests_name("bech32", tests, unit_setup, NULL);
}
