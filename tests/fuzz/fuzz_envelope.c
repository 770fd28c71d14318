/*
 * fuzz_envelope.c - the envelope parser (vault/envelope.c), the first thing verify reads of a
 * bundle, before any signature is checked.
 *
 * There is one way to write an envelope in each format (its keys in order, decimals without
 * leading zeros, lowercase hex), so whatever envelope_parse accepts must be exactly what
 * envelope_encode writes back from the parsed fields; what it refuses is ERR_FORMAT. The
 * fields it fills must be what the format says: hex of the right length, a non-zero sequence
 * and recipient count, values without control characters. The trusted comment built from
 * the fields must fit the 80 bytes the header promises. The text ends at the end of readable
 * memory, so that a read past its length faults.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tests/fuzz/fuzz.h"
#include "vault/envelope.h"
#include "vault/text.h"

static bool lower_hex(const char *s, size_t n)
{
	return strlen(s) == n && strspn(s, "0123456789abcdef") == n;
}

static bool one_line(const char *s)
{
	return s && *s && text_utf8_valid(s, strlen(s)) && !text_has_controls(s, strlen(s));
}

/* A copy of the input that ends where readable memory ends: any read past it faults, in the
 * replayer of "make check" too, where ASan does not watch. *map and *maplen are for munmap. */
static const char *guarded(const uint8_t *data, size_t size, void **map, size_t *maplen)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t n = (size + page - 1) / page * page;
	*maplen = n + page;
	char *m = mmap(NULL, *maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED || mprotect(m + n, page, PROT_NONE) != 0)
		abort();
	*map = m;
	memcpy(m + n - size, data, size);
	return m + n - size;
}

FUZZ_TARGET(envelope)
{
	struct envelope env;
	struct err e;
	void *map;
	size_t maplen;
	const char *in = guarded(data, size, &map, &maplen);
	int rc = envelope_parse(in, size, &env, &e);
	munmap(map, maplen);
	if (rc != 0) {
		if (e.code != ERR_FORMAT)
			abort();
		envelope_free(&env);
		return 0;
	}
	if (!lower_hex(env.bundle_id, 32) || strlen(env.issuer) != 16 ||
	    strspn(env.issuer, "0123456789ABCDEF") != 16 || strlen(env.created) != 20 ||
	    env.sequence == 0 || env.recipients == 0 || !lower_hex(env.records_root, 64) ||
	    !lower_hex(env.payload_blake2b, 128) || !one_line(env.issuer_name) ||
	    !one_line(env.conference) || !one_line(env.title) || (env.format != 1 && env.format != 2) ||
	    (env.format == 2 && (!lower_hex(env.header_blake2b, 128) || env.header_size == 0)) ||
	    (env.has_root && (env.format != 2 || !lower_hex(env.root_id, 32) || env.root_version == 0 ||
			      !lower_hex(env.root_digest, 128))))
		abort();
	char *text = envelope_encode(&env);
	if (!text || strlen(text) != size || memcmp(text, data, size) != 0)
		abort();
	char tc[96];
	envelope_trusted_comment(&env, tc, sizeof tc);
	if (strlen(tc) >= 80)
		abort();
	free(text);
	envelope_free(&env);
	return 0;
}
