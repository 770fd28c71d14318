/*
 * fuzz_addendum.c - the addendum parser (vault/addendum.c), which verify runs on the
 * decrypted addendum.age of a readdressed bundle: text that anyone who can encrypt to the
 * reader may have written, until it is matched with the signed envelope.
 *
 * What addendum_parse accepts must be what addendum_encode writes back: an envelope built
 * from the parsed fields (bundle id, sequence, body digest and size, count) and the parsed
 * recipients encode to the same bytes, which parse again to the same fields, and the
 * addendum matches that envelope and lists each of its recipients. The fields must be what
 * the format says: lowercase hex of the right length, a non-zero sequence, 1 to
 * ADDENDUM_RECIPIENTS_MAX distinct recipients with non-empty names without control
 * characters. What it refuses is ERR_FORMAT. The text ends at the end of readable memory, so
 * that a read past its length faults.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tests/fuzz/fuzz.h"
#include "vault/addendum.h"
#include "vault/age.h"
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

/* A copy of the input that ends where readable memory ends (see fuzz_envelope.c). */
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

static bool same(const struct addendum *a, const struct addendum *b)
{
	if (strcmp(a->bundle_id, b->bundle_id) != 0 || a->sequence != b->sequence ||
	    strcmp(a->body_blake2b, b->body_blake2b) != 0 || a->body_size != b->body_size ||
	    a->nrecipients != b->nrecipients)
		return false;
	for (size_t i = 0; i < a->nrecipients; i++)
		if (strcmp(a->recipients[i].recipient, b->recipients[i].recipient) != 0 ||
		    strcmp(a->recipients[i].name, b->recipients[i].name) != 0)
			return false;
	return true;
}

FUZZ_TARGET(addendum)
{
	struct addendum a, b;
	struct err e;
	void *map;
	size_t maplen;
	const char *in = guarded(data, size, &map, &maplen);
	int rc = addendum_parse(in, size, &a, &e);
	munmap(map, maplen);
	if (rc != 0) {
		if (e.code != ERR_FORMAT && e.code != ERR_IO)
			abort();
		addendum_free(&a);
		return 0;
	}
	if (!lower_hex(a.bundle_id, 32) || a.sequence == 0 || !lower_hex(a.body_blake2b, 128) ||
	    a.nrecipients == 0 || a.nrecipients > ADDENDUM_RECIPIENTS_MAX || !a.recipients)
		abort();
	for (size_t i = 0; i < a.nrecipients; i++) {
		uint8_t pk[32];
		struct err ignored;
		if (!a.recipients[i].recipient || strlen(a.recipients[i].recipient) != AGE_RECIPIENT_LEN ||
		    age_recipient_decode(a.recipients[i].recipient, pk, &ignored) != 0 ||
		    !one_line(a.recipients[i].name))
			abort();
		for (size_t j = 0; j < i; j++)
			if (strcmp(a.recipients[i].recipient, a.recipients[j].recipient) == 0)
				abort();
	}

	struct envelope env;
	memset(&env, 0, sizeof env);
	env.format = 2;
	memcpy(env.bundle_id, a.bundle_id, sizeof env.bundle_id);
	env.sequence = a.sequence;
	memcpy(env.payload_blake2b, a.body_blake2b, sizeof env.payload_blake2b);
	env.payload_size = a.body_size;
	env.recipients = a.nrecipients;
	if (addendum_matches(&a, &env, &e) != 0)
		abort();
	for (size_t i = 0; i < a.nrecipients; i++)
		if (!addendum_lists(&a, a.recipients[i].recipient))
			abort();

	char *text = addendum_encode(&env, a.recipients, a.nrecipients);
	if (!text || strlen(text) != size || memcmp(text, data, size) != 0)
		abort();
	if (addendum_parse(text, strlen(text), &b, &e) != 0 || !same(&a, &b))
		abort();
	addendum_free(&b);
	free(text);
	addendum_free(&a);
	return 0;
}
