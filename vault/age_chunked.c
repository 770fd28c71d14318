/*
 * age_chunked.c - out-of-order STREAM sealing for seal's payload (layer 4 of the age module,
 * beside age.c; see age_impl.h): the header comes from age_header_write, each chunk from
 * age_chunk_seal. See age_chunked.h.
 */
#include "vault/age_chunked.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "vault/age_header.h"
#include "vault/age_stream.h"

struct age_chunked {
	uint8_t *key;	       /* payload key, sodium_malloc'd */
	unsigned char *prefix; /* header, MAC line, nonce */
	size_t prefix_len;
};

int age_chunked_new(struct age_chunked **out, const struct age_recipients *r, struct err *e)
{
	struct age_chunked *c = calloc(1, sizeof *c);
	struct age_secrets *s = NULL;
	size_t hlen = 0;
	unsigned char *hdr = NULL;
	uint8_t nonce[AGE_NONCE_SIZE];
	int rc = -1;

	*out = NULL;
	if (!c || !(c->key = sodium_malloc(32))) {
		err_set(e, ERR_IO, "out of memory");
		goto done;
	}
	if (!(s = age_secrets_new(e)))
		goto done;
	randombytes_buf(s->file_key, sizeof s->file_key);
	if (age_header_write(r, s, &hdr, &hlen, e) != 0)
		goto done;
	if (!(c->prefix = malloc(hlen + AGE_NONCE_SIZE))) {
		err_set(e, ERR_IO, "out of memory");
		goto done;
	}
	randombytes_buf(nonce, sizeof nonce);
	memcpy(c->prefix, hdr, hlen);
	memcpy(c->prefix + hlen, nonce, sizeof nonce);
	c->prefix_len = hlen + sizeof nonce;
	age_payload_key(c->key, s->file_key, nonce);
	*out = c;
	c = NULL;
	rc = 0;
done:
	age_secrets_free(s);
	free(hdr);
	age_chunked_free(c);
	return rc;
}

void age_chunked_free(struct age_chunked *c)
{
	if (!c)
		return;
	sodium_free(c->key);
	free(c->prefix);
	free(c);
}

const unsigned char *age_chunked_prefix(const struct age_chunked *c, size_t *len)
{
	*len = c->prefix_len;
	return c->prefix;
}

void age_chunked_seal(const struct age_chunked *c, uint64_t index, bool last,
		      const unsigned char *in, size_t len, unsigned char *out)
{
	age_chunk_seal(c->key, index, last, in, len, out);
}

uint64_t age_chunked_offset(const struct age_chunked *c, uint64_t index)
{
	return c->prefix_len + index * (uint64_t)AGE_CHUNK_CT;
}

uint64_t age_chunked_file_size(const struct age_chunked *c, uint64_t n)
{
	uint64_t chunks = n == 0 ? 1 : (n + AGE_CHUNK - 1) / AGE_CHUNK;
	return c->prefix_len + n + 16 * chunks;
}
