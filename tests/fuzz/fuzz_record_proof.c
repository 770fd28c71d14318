/*
 * fuzz_record_proof.c - the "amana-record-proof/1" parser (record_proof_parse, vault/record.h)
 * and the check of what parses (record_proof_check) against one fixed issuer key.
 *
 * 1. What parses must encode back to exactly the input (one spelling per proof: canonical
 *    decimals, lowercase hex, blobs given by their byte length, nothing after the signature);
 *    what does not parse is ERR_FORMAT and leaves nothing allocated.
 * 2. What parses is checked with the issuer's key below. Failures are ERR_FORMAT or
 *    ERR_VERIFY and leave no envelope behind; a success must describe a record that exists
 *    in the bundle the proof names, under the root its signed envelope carries.
 *    The real proof below must pass, checked once at start, so that the target is known to
 *    reach the end of record_proof_check.
 *
 * The issuer is a key made for these seeds ("fuzz secretariat", 6160365C868582ED; its secret
 * half was not kept). With SOURCE_DATE_EPOCH=1732000000 it sealed, for one member state,
 * docs/examples/conference-24 (14 records), a one-record outcome and a 33-record outcome;
 * the member state exported the proofs in tests/fuzz/seeds/record_proof/ with amana record
 * export. The proof below is one-record1.proof of those seeds.
 */
#include <sodium.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "vault/envelope.h"
#include "vault/merkle.h"
#include "vault/minisign.h"
#include "vault/record.h"

static const char issuer_b64[] = "RWTtgoWGXDZgYTnkuO47UGlJYy+P/iGpA40GRz9XlxVJCd7rJxVUwDTb";

static const char real_proof[] =
	"amana-record-proof/1\n"
	"bundle-id: 674ac6b8ccc5f3fea5db94cdbf109d98\n"
	"seq: 1\n"
	"kind: decision\n"
	"lang: ar\n"
	"title: \331\202\330\261\330\247\330\261 \331\210\330\247\330\255\330\257\n"
	"salt: b5a8bcd61a606d3cb87f7b6e35456840d034ccec46379de5baedc4fa6c95ad69\n"
	"records: 1 9260b2843da632d78143212f2241bafa85dfb45cf6121297ed26f61b1cd17f9f\n"
	"path: 0\n"
	"body: 36\n"
	"\331\206\330\265\331\214\331\221 \331\202\330\265\331\212\330\261\n"
	"with a second line\n"
	"envelope: 465\n"
	"format: amana-bundle/1\n"
	"bundle-id: 674ac6b8ccc5f3fea5db94cdbf109d98\n"
	"issuer: 6160365C868582ED\n"
	"issuer-name: fuzz secretariat\n"
	"conference: Fuzz conference 1\n"
	"title: Fuzz conference 1\n"
	"created: 2024-11-19T07:06:40Z\n"
	"sequence: 2\n"
	"recipients: 1\n"
	"records: 1 9260b2843da632d78143212f2241bafa85dfb45cf6121297ed26f61b1cd17f9f\n"
	"payload: blake2b-512 a023fc91e87fafaca4ca94371c350afeb02a4eae118c8f3e9b91ab2e2eb1b762458892448b45aa56c30fdcb41fdc7881a0508663c92e4c1ddee09533f217a7a4 43720\n"
	"\n"
	"envelope.minisig: 301\n"
	"untrusted comment: amana envelope signature\n"
	"RUTtgoWGXDZgYVY0rUakTNvIpKB9yudzdnGp+79k3MzSmBQseLKVbvOhGd8JWOUb39BOmU7BUQ8AmuDJAVXYE8JY0nq6W80KrQ4=\n"
	"trusted comment: amana-bundle/1 674ac6b8ccc5f3fea5db94cdbf109d98 2\n"
	"3azMcMpl/NOrVw9oB5wh4YVqOYCElIL07/yp7JtdFUtnRaRu2dNQStdDFhqR4M0PDJ8ZGH2qk7fDXQ4n0MZkBg==\n"
	"\n";

static const struct minisign_pub *issuer(void)
{
	static struct minisign_pub pub;
	static bool ready;
	struct err e;
	if (!ready) {
		if (minisign_pub_decode(issuer_b64, strlen(issuer_b64), &pub, NULL, &e) != 0)
			abort();
		ready = true;
	}
	return &pub;
}

/* Parses and checks text[0..len); aborts on a broken invariant. True when it checked. */
static bool run(const char *text, size_t len)
{
	struct record_proof p;
	struct envelope env;
	struct err e;
	err_clear(&e);
	if (record_proof_parse(text, len, &p, &e) != 0) {
		if (e.code != ERR_FORMAT && e.code != ERR_IO)
			abort();
		if (p.kind || p.lang || p.title || p.body || p.path || p.envelope || p.signature)
			abort();
		return false;
	}
	if (p.seq == 0 || p.npath > MERKLE_MAX_DEPTH || strlen(p.bundle_id) != 32 ||
	    strlen(p.body) > p.body_len || p.body[p.body_len] != '\0')
		abort();

	/* One spelling per proof. */
	char *again = NULL;
	size_t alen = 0;
	if (record_proof_encode(&p, &again, &alen, &e) != 0)
		abort();
	if (alen != len || memcmp(again, text, len) != 0)
		abort();
	free(again);

	bool ok = false;
	err_clear(&e);
	if (record_proof_check(&p, issuer(), &env, &e) == 0) {
		char root[65];
		sodium_bin2hex(root, sizeof root, p.root, 32);
		if (strcmp(env.bundle_id, p.bundle_id) != 0 || env.records_count != p.count ||
		    strcmp(env.records_root, root) != 0 || p.seq > p.count ||
		    p.npath != merkle_inclusion_proof_len(p.seq - 1, p.count))
			abort();
		envelope_free(&env);
		ok = true;
	} else {
		if (e.code != ERR_FORMAT && e.code != ERR_VERIFY)
			abort();
		if (env.issuer_name || env.conference || env.title)
			abort();
	}
	record_proof_free(&p);
	return ok;
}

FUZZ_TARGET(record_proof)
{
	static bool real_checked;
	if (!real_checked) {
		if (!run(real_proof, strlen(real_proof)))
			abort();
		real_checked = true;
	}
	run((const char *)data, size);
	return 0;
}
