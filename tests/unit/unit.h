/*
 * unit.h - what every C unit test program includes: cmocka, and small helpers for reading
 * test vectors and comparing bytes.
 *
 * Tests run from the repository's top folder ("make check" sees to it), so vector paths are
 * written "tests/vectors/...". Randomness in tests comes from libsodium's real generator
 * unless a test needs fixed bytes, which it then spells out.
 */
#ifndef AMANA_UNIT_H
#define AMANA_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

/* Decodes a hex string into a new malloc'd buffer; aborts the test on bad hex. */
static inline unsigned char *unit_hex(const char *hex, size_t *len)
{
	size_t n = strlen(hex) / 2;
	unsigned char *out = malloc(n ? n : 1);
	size_t got = 0;
	assert_non_null(out);
	assert_int_equal(sodium_hex2bin(out, n, hex, strlen(hex), NULL, &got, NULL), 0);
	assert_int_equal(got, n);
	if (len)
		*len = n;
	return out;
}

/* Asserts that buf[0..n) equals the bytes spelled by hex. */
#define assert_hex_equal(buf, n, hex)                                          \
	do {                                                                   \
		size_t unit_n_;                                                \
		unsigned char *unit_b_ = unit_hex((hex), &unit_n_);            \
		assert_int_equal((n), unit_n_);                                \
		assert_memory_equal((buf), unit_b_, unit_n_);                  \
		free(unit_b_);                                                 \
	} while (0)

/* Reads a whole file (a test vector) into a malloc'd, NUL-terminated buffer. */
static inline unsigned char *unit_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open test file %s", path);
	size_t cap = 4096, n = 0;
	unsigned char *buf = malloc(cap);
	assert_non_null(buf);
	for (;;) {
		if (n + 1 >= cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		size_t k = fread(buf + n, 1, cap - 1 - n, f);
		if (k == 0)
			break;
		n += k;
	}
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

/* Initialises libsodium once per test program. */
static inline int unit_setup(void **state)
{
	(void)state;
	return sodium_init() < 0 ? -1 : 0;
}

#endif
