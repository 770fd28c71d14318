/*
 * fuzz_log_proof.c - the "amana-log-proof/1" parser (log/proof, docs/formats/log.md) and the
 * whole check of a bundle's log members built on it.
 *
 * 1. log_proof_parse: what parses must encode back to exactly the input (one spelling per
 *    proof: canonical decimals, canonical padded base64, notes given by their byte length,
 *    nothing after the last note); what does not parse is ERR_FORMAT and leaves nothing
 *    allocated.
 * 2. log_check without a vault: the input as the log/proof of one real bundle (its envelope
 *    and log/checkpoint below), with both witnesses that cosigned the checkpoint it carries
 *    pinned. Failures are ERR_FORMAT or ERR_VERIFY; a success must describe that bundle (its
 *    origin, its tree size, its leaf at the index) and count at most the two witnesses.
 *    The real proof itself must pass with both witnesses, checked once at start, so that the
 *    target is known to reach the end of log_check.
 *
 * The bundle is the fourth sealed by a secretariat whose key is 721E240284C793A0, after two
 * member states (witness keys A98D68AE94C03D05 and B6264EFDBEF8A1BB) cosigned the checkpoint
 * of size 3 and the secretariat stored their cosignatures (amana witness cosign, amana log
 * cosignature add); SOURCE_DATE_EPOCH=1732000000. Its log/proof is also the seed
 * tests/fuzz/seeds/log_proof/size4-witnessed2.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "vault/envelope.h"
#include "vault/log.h"
#include "vault/merkle.h"
#include "vault/note.h"

static const char real_envelope[] =
	"format: amana-bundle/1\n"
	"bundle-id: 9a617207d6e0867c8367d21f84761f94\n"
	"issuer: 721E240284C793A0\n"
	"issuer-name: \330\247\331\204\330\243\331\205\330\247\331\206\330\251 \330\247\331\204\330\271\330\247\331\205\330\251 \331\204\331\205\330\254\331\204\330\263 \331\210\330\262\330\261\330\247\330\241 \330\247\331\204\330\257\330\247\330\256\331\204\331\212\330\251 \330\247\331\204\330\271\330\261\330\250\n"
	"conference: \330\247\331\204\331\205\330\244\330\252\331\205\330\261 \330\247\331\204\330\271\330\261\330\250\331\212 \331\204\331\204\331\205\330\263\330\244\331\210\331\204\331\212\331\206 \330\271\331\206 \331\205\331\203\330\247\331\201\330\255\330\251 \330\247\331\204\330\245\330\261\331\207\330\247\330\250 24\n"
	"title: \330\247\331\204\331\205\330\244\330\252\331\205\330\261 \330\247\331\204\330\271\330\261\330\250\331\212 \330\247\331\204\330\261\330\247\330\250\330\271 \331\210\330\247\331\204\330\271\330\264\330\261\331\210\331\206 \331\204\331\204\331\205\330\263\330\244\331\210\331\204\331\212\331\206 \330\271\331\206 \331\205\331\203\330\247\331\201\330\255\330\251 \330\247\331\204\330\245\330\261\331\207\330\247\330\250\n"
	"created: 2024-11-19T07:06:40Z\n"
	"sequence: 4\n"
	"recipients: 1\n"
	"records: 14 a022e4adc4464926afe8361d8582880207d9d54ece7abc6e4acbe284c9eefd94\n"
	"payload: blake2b-512 23346715aff3f479b26d8b18b3a8a4fe1f88daef9d8949de50f3220e55ceb724ef8bac9ff8247de8319d4def87b010d57fd28a7c52449f1705c673b658d2a1c7 66264\n";
static const char real_checkpoint[] =
	"amana/721E240284C793A0\n"
	"4\n"
	"9fBpsCIeHxN6gduf9YN7Jy28XMaAcsHGp992J8ULkPo=\n"
	"\n"
	"\342\200\224 amana/721E240284C793A0 kLtJmLaywMqz45GeQeDGv7CI8MWINvLjuFYALx96Ptws0Sr9aA84xRohjjP+ikQdvbo3SSGjCK/lvEVvZGzVbGx/pAA=\n";
static const char real_proof[] =
	"amana-log-proof/1\n"
	"index 3\n"
	"size 4\n"
	"inclusion 2\n"
	"at/HW4gGzdpHMKEWvXO2X/Q8kErggVAoQ8MSvmKFg9M=\n"
	"b9iy6xzPpYvjTaY8VkA2dlcKlkhVu6iP1ffTSa3Or+4=\n"
	"leaves 4\n"
	"0WFzS92lX89KnhGM8pjrDyKu8MQJ3cCd6qktWii+hVU=\n"
	"qs5XsWypn/c8q64yjyQ+mf1IkED0ztaT9mXkPg0zaGA=\n"
	"at/HW4gGzdpHMKEWvXO2X/Q8kErggVAoQ8MSvmKFg9M=\n"
	"hecXvcpLHRMCHqgKmr14rqUwlKAdEutxIf3zc7/GXKU=\n"
	"witnessed 1\n"
	"note 471\n"
	"amana/721E240284C793A0\n"
	"3\n"
	"/Mw6wbVMrBlqb4AUcczDoLuqvDV5/+g1jkr3MUSjo0k=\n"
	"\n"
	"\342\200\224 amana/721E240284C793A0 kLtJmKzyUXvvwOSd7Zf752EF1QdOkwi84582g7vqHcNDUwlawoX61XHWvRmz5x704P2gVgPHn4YvALD91SzUkLALJQo=\n"
	"\342\200\224 amana-witness/A98D68AE94C03D05 P2CUtAAAAABnPDkAwT4DNAkTlSI7g3ytMZUYi5kYYIPTxWZwxldL0kjG4/wi+REd6KzvekUfBMNC86lHqsiNPnCz8R5VdxA000Q4Bg==\n"
	"\342\200\224 amana-witness/B6264EFDBEF8A1BB CyMcKQAAAABnPDkABo8aYQzDy1hUtd8yIXCwH8qdHj02obD1te35zFaVwoamPjrCSGagg67Lbd98WR/7xq8/VYT3qKpeNOM3FBiACA==\n";

/* The issuer's Ed25519 public key (from its minisign public key) and the two witnesses'. */
static const char issuer_id[] = "721E240284C793A0";
static const uint8_t issuer_pk[32] = {
	0x8a, 0x40, 0xd5, 0xb5, 0x5a, 0xdf, 0x09, 0xee, 0x7c, 0x24, 0x08, 0x54, 0x79, 0x87, 0x2b, 0x0f,
	0x72, 0x53, 0x9f, 0x70, 0xad, 0xd9, 0x9d, 0x79, 0xf7, 0x7a, 0x40, 0x4a, 0x4e, 0xa2, 0xd8, 0xbc,
};
static const char *const witness_id[2] = {"A98D68AE94C03D05", "B6264EFDBEF8A1BB"};
static const uint8_t witness_pk[2][32] = {
	{0x24, 0x13, 0xe4, 0xb9, 0x83, 0x2c, 0x57, 0xb7, 0xb4, 0xb9, 0x9e, 0x61, 0x59, 0xe8, 0xff, 0xeb,
	 0x6f, 0x1f, 0x16, 0xf0, 0x61, 0x64, 0xd1, 0x34, 0xb0, 0x21, 0xd1, 0xd1, 0x01, 0x0b, 0x73, 0x43},
	{0xd9, 0x02, 0x1f, 0x62, 0x2d, 0x5a, 0x7d, 0x9c, 0xe7, 0x41, 0x1e, 0x85, 0xfa, 0xd8, 0x78, 0x95,
	 0xf0, 0xa8, 0x7f, 0x61, 0x06, 0xa7, 0x11, 0x15, 0x2b, 0xb4, 0x59, 0x6f, 0x05, 0xcc, 0x75, 0x10},
};

struct fixture {
	struct envelope env;
	struct note_vkey witnesses[2];
	uint8_t leaf[32];
};

/* Parses the fixed bundle once; aborts when the fixture itself is wrong. */
static const struct fixture *fixture(void)
{
	static struct fixture f;
	static bool ready;
	struct err e;
	if (ready)
		return &f;
	if (envelope_parse(real_envelope, strlen(real_envelope), &f.env, &e) != 0 ||
	    strcmp(f.env.issuer, issuer_id) != 0)
		abort();
	for (int i = 0; i < 2; i++)
		if (log_witness_vkey(&f.witnesses[i], witness_id[i], witness_pk[i], &e) != 0)
			abort();
	merkle_leaf_hash(f.leaf, real_envelope, strlen(real_envelope));
	ready = true;
	return &f;
}

/* log_check on proof[0..len) against the fixed bundle; aborts on a broken invariant.
 * Returns true when the check passed. */
static bool check(const struct fixture *f, const char *proof, size_t len, unsigned *witnesses)
{
	struct log_checked out;
	struct err e;
	err_clear(&e);
	if (log_check(NULL, &f->env, issuer_pk, real_envelope, strlen(real_envelope), real_checkpoint,
		      strlen(real_checkpoint), proof, len, f->witnesses, 2, &out, &e) != 0) {
		if (e.code != ERR_FORMAT && e.code != ERR_VERIFY)
			abort();
		if (out.leaves || out.note)
			abort();
		return false;
	}
	char origin[LOG_NAME_MAX], why[512];
	log_origin(issuer_id, origin);
	if (strcmp(out.origin, origin) != 0 || out.size != 4 || out.index >= out.size ||
	    memcmp(out.leaves[out.index], f->leaf, 32) != 0 || out.witnesses > 2 ||
	    out.witnessed_size > out.size || out.note_len != strlen(real_checkpoint) ||
	    memcmp(out.note, real_checkpoint, out.note_len) != 0 ||
	    !log_consistent(&out, &out, why, sizeof why))
		abort();
	*witnesses = out.witnesses;
	log_checked_free(&out);
	return true;
}

FUZZ_TARGET(log_proof)
{
	const struct fixture *f = fixture();
	static bool real_checked;
	unsigned w = 0;
	if (!real_checked) {
		if (!check(f, real_proof, strlen(real_proof), &w) || w != 2)
			abort();
		real_checked = true;
	}

	/* 1. The parser alone: one spelling per proof. */
	struct log_proof p;
	struct err e;
	err_clear(&e);
	if (log_proof_parse(&p, (const char *)data, size, &e) != 0) {
		if (e.code != ERR_FORMAT || p.leaves || p.inclusion || p.nwitnessed)
			abort();
	} else {
		char *text;
		size_t len;
		if (p.index >= p.size || p.size > LOG_MAX_LEAVES || p.ninclusion > MERKLE_MAX_PROOF ||
		    p.nwitnessed > LOG_MAX_WITNESSED)
			abort();
		if (log_proof_encode(&p, &text, &len, &e) != 0)
			abort();
		if (len != size || memcmp(text, data, size) != 0)
			abort();
		free(text);
		log_proof_free(&p);
	}

	/* 2. The whole check against the real bundle. */
	check(f, (const char *)data, size, &w);
	return 0;
}
