/*
 * fuzz_age_rewrap.c - age_rewrap from the first byte: the exact header scan (through a reader
 * that hands out a few bytes a call, as many as the input's size picks), the armor and scrypt
 * refusals, the grammar, unwrapping with the CCTV testkit identity, the MAC, and the new
 * header for two fixed recipients. Checked on every input:
 *
 *   - after a success, the reader has handed out exactly info.header_len bytes, and the new
 *     file (the new header, then the rest of the input) decrypts with a new recipient's
 *     identity exactly as the input does with the testkit identity: the same plaintext, and
 *     the same error code at the same place;
 *   - on a binary input (one that starts "age-encryption.org/"), age_rewrap fails exactly when
 *     the decryptor fails on the header, and with the same error code.
 *
 * A broken property aborts, which libFuzzer reports as a crash.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/age_fuzz.h"
#include "tests/fuzz/fuzz.h"
#include "vault/age.h"

static const char testkit_identity[] =
	"AGE-SECRET-KEY-1EGTZVFFV20835NWYV6270LXYVK2VKNX2MMDKWYKLMGR48UAWX40Q2P2LM0";

/* A reader over data[0..len) that hands out at most step bytes a call. */
struct step_reader {
	const uint8_t *data;
	size_t len, off, step;
};

static int step_read(void *ctx, void *buf, size_t cap, size_t *got, struct err *e)
{
	struct step_reader *r = ctx;
	(void)e;
	size_t n = r->len - r->off;
	if (n > cap)
		n = cap;
	if (n > r->step)
		n = r->step;
	if (n > 0)
		memcpy(buf, r->data + r->off, n);
	r->off += n;
	*got = n;
	return 0;
}

/* How a decryption ended: where it failed (0 init, 1 reading, 2 not at all), the error code,
 * and the plaintext handed out before (its length and BLAKE2b-256). */
struct outcome {
	int stage;
	int code;
	size_t len;
	uint8_t digest[32];
};

static void decrypt_outcome(const uint8_t *data, size_t size, const struct age_identities *ids,
			    struct outcome *o)
{
	static unsigned char buf[70000];
	struct age_mem_reader src = {data, size, 0};
	struct age_decryptor *dec = NULL;
	crypto_generichash_state h;
	struct err e;

	memset(o, 0, sizeof *o);
	crypto_generichash_init(&h, NULL, 0, sizeof o->digest);
	if (age_decrypt_init(&dec, ids, age_mem_read, &src, &e) != 0) {
		o->code = e.code;
	} else {
		o->stage = 2;
		for (;;) {
			size_t got = 0;
			if (age_decrypt_read(dec, buf, sizeof buf, &got, &e) != 0) {
				o->stage = 1;
				o->code = e.code;
				break;
			}
			if (got == 0)
				break;
			crypto_generichash_update(&h, buf, got);
			o->len += got;
		}
		age_decrypt_free(dec);
	}
	crypto_generichash_final(&h, o->digest, sizeof o->digest);
}

/* The identity and recipient of the key pair whose secret is 32 bytes of fill. */
static void fixed_key(unsigned char fill, char id[AGE_IDENTITY_LEN + 1],
		      char rcpt[AGE_RECIPIENT_LEN + 1])
{
	uint8_t sk[32], pk[32];
	memset(sk, fill, sizeof sk);
	crypto_scalarmult_base(pk, sk);
	age_identity_encode(id, sk);
	age_recipient_encode(rcpt, pk);
}

FUZZ_TARGET(age_rewrap)
{
	static struct age_identities *ids, *ids_new;
	static struct age_recipients *to;
	static unsigned char *file;
	static size_t file_cap;
	struct err e;

	age_fuzz_skip_vector_header(&data, &size);
	if (!ids) {
		char id[AGE_IDENTITY_LEN + 1], rcpt[AGE_RECIPIENT_LEN + 1];
		if (sodium_init() < 0 || age_identities_new(&ids, &e) != 0 ||
		    age_identities_add(ids, testkit_identity, strlen(testkit_identity), &e) != 0 ||
		    age_identities_new(&ids_new, &e) != 0 || age_recipients_new(&to, &e) != 0)
			abort();
		fixed_key(0x11, id, rcpt);
		if (age_identities_add(ids_new, id, strlen(id), &e) != 0 ||
		    age_recipients_add(to, rcpt, &e) != 0)
			abort();
		fixed_key(0x22, id, rcpt);
		if (age_recipients_add(to, rcpt, &e) != 0)
			abort();
	}

	struct step_reader src = {data, size, 0, 1 + (size * 2654435761u >> 8) % 97};
	struct age_rewrap_info info;
	unsigned char *hdr = NULL;
	size_t hlen = 0;
	int rc = age_rewrap(ids, to, step_read, &src, &hdr, &hlen, &info, &e);
	int rcode = rc == 0 ? 0 : e.code;

	struct outcome old, nw;
	decrypt_outcome(data, size, ids, &old);
	bool binary = size >= 19 && memcmp(data, "age-encryption.org/", 19) == 0;
	if (rc != 0) {
		if (hdr || hlen || info.header_len)
			abort();
		/* The decryptor refuses the header too, for the same reason. */
		if (binary && (old.stage != 0 || old.code != rcode))
			abort();
		return 0;
	}
	if (binary && old.stage == 0 && old.code != ERR_FORMAT)
		abort(); /* only a missing payload nonce may stop the decryptor here */
	if (src.off != info.header_len || info.header_len > size || info.matched == 0 ||
	    info.matched > info.stanzas)
		abort();

	size_t body = size - src.off;
	if (hlen + body > file_cap) {
		free(file);
		file_cap = hlen + body;
		if (!(file = malloc(file_cap)))
			abort();
	}
	memcpy(file, hdr, hlen);
	if (body > 0)
		memcpy(file + hlen, data + src.off, body);
	free(hdr);
	decrypt_outcome(file, hlen + body, ids_new, &nw);
	if (nw.stage != old.stage || nw.code != old.code || nw.len != old.len ||
	    memcmp(nw.digest, old.digest, sizeof nw.digest) != 0)
		abort();
	return 0;
}
