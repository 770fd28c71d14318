/*
 * test_base64.c - strict base64: RFC 4648 vectors both ways, and every non-canonical form
 * refused.
 */
#include "tests/unit/unit.h"
#include "vault/base64.h"

static const struct {
	const char *plain, *padded, *unpadded;
} rfc4648[] = {
	{"", "", ""},
	{"f", "Zg==", "Zg"},
	{"fo", "Zm8=", "Zm8"},
	{"foo", "Zm9v", "Zm9v"},
	{"foob", "Zm9vYg==", "Zm9vYg"},
	{"fooba", "Zm9vYmE=", "Zm9vYmE"},
	{"foobar", "Zm9vYmFy", "Zm9vYmFy"},
};

static void test_rfc4648_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof rfc4648 / sizeof rfc4648[0]; i++) {
		const char *p = rfc4648[i].plain;
		size_t n = strlen(p);
		char out[32];
		unsigned char back[32];
		size_t got;
		assert_string_equal(b64_encode(out, sizeof out, p, n, B64_PADDED), rfc4648[i].padded);
		assert_string_equal(b64_encode(out, sizeof out, p, n, B64_UNPADDED),
				    rfc4648[i].unpadded);
		assert_int_equal(b64_encoded_len(n, B64_PADDED), strlen(rfc4648[i].padded));
		assert_int_equal(b64_decode(back, sizeof back, &got, rfc4648[i].padded,
					    strlen(rfc4648[i].padded), B64_PADDED), 0);
		assert_int_equal(got, n);
		assert_memory_equal(back, p, n);
		assert_int_equal(b64_decode(back, sizeof back, &got, rfc4648[i].unpadded,
					    strlen(rfc4648[i].unpadded), B64_UNPADDED), 0);
		assert_int_equal(got, n);
		assert_memory_equal(back, p, n);
	}
}

static void test_refuses_non_canonical(void **state)
{
	(void)state;
	static const char *bad_padded[] = {
		"Zg=",      /* short padding */
		"Zg",       /* missing padding */
		"Zh==",     /* non-zero unused bits */
		"Zm9=",     /* non-zero unused bits */
		"Zg==Zg==", /* padding in the middle */
		"Zm9 v",    /* whitespace */
		"Zm9v\n",   /* newline */
		"Zm-v",     /* URL alphabet */
		"Zm9v====", /* too much padding */
		"=Zm9",     /* padding first */
		"Z===",
		"Zm\xffv",         /* libsodium alone takes high bytes for digits */
		"Zm9\x80",
		"Zm9v\xe2\x80\x94",
	};
	static const char *bad_unpadded[] = {
		"Zg==", "Zh", "Zm9", "Z", "Zm9vY", "Zm9v ", "Zm_v", "Zm\xffv", "Z\xc3\xa9",
	};
	unsigned char out[32];
	size_t got;
	for (size_t i = 0; i < sizeof bad_padded / sizeof *bad_padded; i++)
		assert_int_equal(b64_decode(out, sizeof out, &got, bad_padded[i],
					    strlen(bad_padded[i]), B64_PADDED), -1);
	for (size_t i = 0; i < sizeof bad_unpadded / sizeof *bad_unpadded; i++)
		assert_int_equal(b64_decode(out, sizeof out, &got, bad_unpadded[i],
					    strlen(bad_unpadded[i]), B64_UNPADDED), -1);
}

static void test_exact_length(void **state)
{
	(void)state;
	unsigned char out[8];
	assert_int_equal(b64_decode_exact(out, 3, "Zm9v", 4, B64_PADDED), 0);
	assert_memory_equal(out, "foo", 3);
	assert_int_equal(b64_decode_exact(out, 2, "Zm9v", 4, B64_PADDED), -1);
	assert_int_equal(b64_decode_exact(out, 4, "Zm9v", 4, B64_PADDED), -1);
	/* Output buffer too small is a refusal, not an overflow. */
	size_t got;
	assert_int_equal(b64_decode(out, 2, &got, "Zm9vYmFy", 8, B64_PADDED), -1);
}

static void test_random_round_trip(void **state)
{
	(void)state;
	unsigned char in[300], back[300];
	for (size_t n = 0; n < sizeof in; n += 7) {
		randombytes_buf(in, n);
		for (int v = 0; v < 2; v++) {
			char *s = b64_encode_alloc(in, n, (enum b64_variant)v);
			assert_non_null(s);
			assert_int_equal(b64_decode_exact(back, n, s, strlen(s), (enum b64_variant)v), 0);
			assert_memory_equal(in, back, n);
			free(s);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc4648_vectors),
		cmocka_unit_test(test_refuses_non_canonical),
		cmocka_unit_test(test_exact_length),
		cmocka_unit_test(test_random_round_trip),
	};
	return cmocka_run_group_tests_name("base64", tests, unit_setup, NULL);
}
