/*
 * record.c - the canonical encoding and salted leaf of a record. See record.h.
 */
#include "vault/record.h"

#include <sodium.h>
#include <string.h>

static void put_field(crypto_hash_sha256_state *st, const void *p, size_t n)
{
	uint8_t len[4] = {(uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n};
	crypto_hash_sha256_update(st, len, 4);
	crypto_hash_sha256_update(st, p, n);
}

void record_leaf(const uint8_t bundle_id[16], const struct record_fields *r,
		 const uint8_t salt[RECORD_SALT_SIZE], uint8_t out[32])
{
	crypto_hash_sha256_state st;
	uint8_t seq[8];
	for (int i = 0; i < 8; i++)
		seq[i] = (uint8_t)(r->seq >> (56 - 8 * i));
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const uint8_t *)"\0", 1); /* RFC 6962 leaf prefix */
	crypto_hash_sha256_update(&st, salt, RECORD_SALT_SIZE);
	put_field(&st, RECORD_LABEL, strlen(RECORD_LABEL));
	put_field(&st, bundle_id, 16);
	put_field(&st, seq, 8);
	put_field(&st, r->kind, strlen(r->kind));
	put_field(&st, r->lang, strlen(r->lang));
	put_field(&st, r->title, strlen(r->title));
	put_field(&st, r->body, r->body_len);
	crypto_hash_sha256_final(&st, out);
}

void record_salt(const uint8_t seed[32], uint64_t seq, uint8_t salt[RECORD_SALT_SIZE])
{
	static const char label[] = "amana-record-salt";
	uint8_t msg[sizeof label - 1 + 8];
	memcpy(msg, label, sizeof label - 1);
	for (int i = 0; i < 8; i++)
		msg[sizeof label - 1 + i] = (uint8_t)(seq >> (56 - 8 * i));
	crypto_generichash(salt, RECORD_SALT_SIZE, msg, sizeof msg, seed, 32);
}
