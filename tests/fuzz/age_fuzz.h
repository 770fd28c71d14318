/*
 * age_fuzz.h - what the age fuzz targets share: the CCTV vector header skipped so that the
 * vectors themselves are seeds, and a guard that keeps scrypt cheap.
 *
 * A vector file is "key: value" lines, an empty line, then the age file; when an input starts
 * like one ("expect: "), only the age file is used. scrypt at the work factors a header may
 * name (up to 2^22: 4 GiB) would make the fuzzers run out of memory, so a passphrase is only
 * offered when every scrypt stanza visible in the input asks for at most 2^12.
 */
#ifndef AMANA_AGE_FUZZ_H
#define AMANA_AGE_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline void age_fuzz_skip_vector_header(const uint8_t **data, size_t *size)
{
	if (*size < 8 || memcmp(*data, "expect: ", 8) != 0)
		return;
	for (size_t i = 0; i + 1 < *size; i++)
		if ((*data)[i] == '\n' && (*data)[i + 1] == '\n') {
			*data += i + 2;
			*size -= i + 2;
			return;
		}
}

/* True when a passphrase can be tried on this input without a costly scrypt. */
static inline bool age_fuzz_scrypt_cheap(const uint8_t *data, size_t size)
{
	static const char tag[] = "-> scrypt ";
	if (memmem(data, size, "-----BEGIN", 10))
		return false; /* armored: the stanzas cannot be seen */
	const uint8_t *p = data, *end = data + size;
	while ((p = memmem(p, (size_t)(end - p), tag, sizeof tag - 1)) != NULL) {
		p += sizeof tag - 1;
		while (p < end && *p != ' ' && *p != '\n')
			p++; /* the salt */
		if (p < end && *p == ' ')
			p++;
		size_t digits = 0;
		unsigned v = 0;
		while (p + digits < end && p[digits] >= '0' && p[digits] <= '9' && digits < 3)
			v = v * 10 + (unsigned)(p[digits++] - '0');
		if (digits == 0 || digits >= 3 || v > 12)
			return false;
	}
	return true;
}

#endif
