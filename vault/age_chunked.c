/*
 * age_chunked.c - out-of-order STREAM sealing for seal's payload. See age_chunked.h.
 */
#include "vault/age_chunked.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "vault/age_impl.h"
#include "vault/hkdf.h"

struct age_chunked {
	uint8_t *key;	       /* payload key, sodium_malloc'd */
	unsigned char *prefix; /* header, MAC line, nonce */
	size_t prefix_len;
};

int age_chunked_new(struct age_chunked **out, const struct age_recipients *r, struct err *e)
{
	struct age_chunked *c = calloc(1, sizeof *c);
	struct age_secrets *s = NULL;
	struct age_stanza *st = NULL;
	size_t nst = 0, hlen = 0, hcap = 0;
	unsigned char *hdr = NULL;
	uint8_t mac[AGE_MAC_SIZE], nonce[AGE_NONCE_SIZE];
	int rc = -1;

	*out = NULL;
	if (!c || !(c->key = sodium_malloc(32))) {
		err_set(e, ERR_IO, "out of memory");
		goto done;
	}
	if (!(s = age_secrets_new(e)))
		goto done;
	randombytes_buf(s->file_key, sizeof s->file_key);
	if (age_recipients_wrap(r, s, &st, &nst, e) != 0 ||
	    age_header_encode(st, nst, &hdr, &hlen, &hcap, e) != 0)
		goto done;
	age_header_mac(mac, s->mac_key, s->file_key, hdr, hlen);
	hlen = age_header_put_mac(hdr, hlen, mac);
	if (!(c->prefix = malloc(hlen + AGE_NONCE_SIZE))) {
		err_set(e, ERR_IO, "out of memory");
		goto done;
	}
	randombytes_buf(nonce, sizeof nonce);
	memcpy(c->prefix, hdr, hlen);
	memcpy(c->prefix + hlen, nonce, sizeof nonce);
	c->prefix_len = hlen + sizeof nonce;
	hkdf_sha256(c->key, 32, nonce, sizeof nonce, s->file_key, sizeof s->file_key,
		    (const uint8_t *)"payload", 7);
	*out = c;
	c = NULL;
	rc = 0;
done:
	age_secrets_free(s);
	for (size_t i = 0; i < nst; i++)
		age_stanza_clear(&st[i]);
	free(st);
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
	uint8_t nonce[12];
	age_stream_nonce(nonce, index, last);
	crypto_aead_chacha20poly1305_ietf_encrypt_detached(out, out + len, NULL, in, len, NULL, 0,
							   NULL, nonce, c->key);
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
