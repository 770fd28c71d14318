/*
 * test_root.c - the issuer's trust root (vault/root.c) and the walk and judgement of
 * vault/trust.c: a root made, signed and read back; each signature rule of one root, of a
 * rotation and of a chain; the states of a signing key; the fork, expiry, retirement and
 * revocation rules of trust; and malformed roots refused as ERR_FORMAT naming the line and
 * the field.
 */
#include "tests/unit/unit.h"
#include "vault/root.h"
#include "vault/trust.h"

#include <stdbool.h>

#define ROOT_ID "0123456789abcdef0123456789abcdef"
#define OTHER_ID "fedcba9876543210fedcba9876543210"
#define T2020 1577836800 /* 2020-01-01T00:00:00Z */
#define T2025 1735689600 /* 2025-01-01T00:00:00Z */
#define T2030 1893456000 /* 2030-01-01T00:00:00Z */
#define T2040 2208988800 /* 2040-01-01T00:00:00Z */
#define DAY 86400

/* A key pair in both forms: the secret for signing, the root's entry for listing. */
struct kp {
	struct minisign_sec *sk;
	struct root_key k;
};

/* Root keys R[0..6) (sorted by key id), signing keys S[0..3) (sorted), a foreign key X. */
#define NR 6
#define NS 3
static struct kp R[NR], S[NS], X;

static void make_kp(struct kp *p)
{
	struct err e;
	assert_int_equal(minisign_keygen(&p->sk, &e), 0);
	struct minisign_pub pub;
	minisign_sec_public(p->sk, &pub);
	memcpy(p->k.key_id, pub.key_id, 8);
	memcpy(p->k.pk, pub.pk, 32);
	minisign_key_id_hex(pub.key_id, p->k.id);
}

static int kp_cmp(const void *a, const void *b)
{
	return strcmp(((const struct kp *)a)->k.id, ((const struct kp *)b)->k.id);
}

static int group_setup(void **state)
{
	if (unit_setup(state) != 0)
		return -1;
	for (int i = 0; i < NR; i++)
		make_kp(&R[i]);
	for (int i = 0; i < NS; i++)
		make_kp(&S[i]);
	make_kp(&X);
	qsort(R, NR, sizeof R[0], kp_cmp);
	qsort(S, NS, sizeof S[0], kp_cmp);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	for (int i = 0; i < NR; i++)
		minisign_sec_free(R[i].sk);
	for (int i = 0; i < NS; i++)
		minisign_sec_free(S[i].sk);
	minisign_sec_free(X.sk);
	return 0;
}

/* ---- helpers ---- */

/* Fills r (unsigned): root keys R[first .. first+nkeys), threshold, signing keys
 * S[0 .. nsigners) each valid 2020 .. 2030, expiring at expires. */
static void make_root(struct root *r, const char *root_id, uint64_t version, size_t first, size_t nkeys,
		      unsigned threshold, size_t nsigners, int64_t expires)
{
	memset(r, 0, sizeof *r);
	memcpy(r->root_id, root_id, 33);
	r->name = strdup("Amana Test Issuer");
	assert_non_null(r->name);
	r->version = version;
	r->expires = expires;
	r->threshold = threshold;
	for (size_t i = 0; i < nkeys; i++)
		r->keys[r->nkeys++] = R[first + i].k;
	for (size_t i = 0; i < nsigners; i++) {
		struct root_signer *s = &r->signers[r->nsigners++];
		s->key = S[i].k;
		s->not_before = T2020;
		s->not_after = T2030;
	}
	struct err e;
	if (root_finish(r, &e) != 0)
		fail_msg("root_finish: %s", e.msg);
}

static void sign(struct root *r, const struct kp *p)
{
	struct err e;
	if (root_sign(r, p->sk, &e) != 0)
		fail_msg("root_sign: %s", e.msg);
}

/* Adds a prehashed signature by sk over r's digest with the given trusted comment, as
 * root_sign would but without its checks, and rewrites r's text. */
static void sign_raw(struct root *r, const struct minisign_sec *sk, const char *comment)
{
	struct err e;
	assert_true(r->nsigs < ROOT_SIGS_MAX);
	assert_int_equal(minisign_sign(sk, MINISIGN_PREHASHED, r->digest, NULL, 0, comment, ROOT_SIG_COMMENT,
				       &r->sigs[r->nsigs], &e),
			 0);
	r->nsigs++;
	if (root_finish(r, &e) != 0)
		fail_msg("root_finish: %s", e.msg);
}

static void reparse(const struct root *r, struct root *out)
{
	struct err e;
	if (root_parse(r->text, r->text_len, out, &e) != 0)
		fail_msg("root_parse: %s\n%s", e.msg, r->text);
}

static void assert_contains(const char *s, const char *part)
{
	if (!strstr(s, part))
		fail_msg("'%s' does not contain '%s'", s, part);
}

/* The standard version 1: root keys R[0..3), threshold 2, signing key S[0], signed by R[0]
 * and R[1]. */
static void v1_signed(struct root *r)
{
	make_root(r, ROOT_ID, 1, 0, 3, 2, 1, T2040);
	sign(r, &R[0]);
	sign(r, &R[1]);
}

/* Version 2 of it: root keys R[2..5), threshold 2, signed by R[0], R[1] (of version 1) and
 * R[3], R[4] (its own; R[2] is in both). */
static void v2_signed(struct root *r, int64_t expires)
{
	make_root(r, ROOT_ID, 2, 2, 3, 2, 2, expires);
	sign(r, &R[0]);
	sign(r, &R[1]);
	sign(r, &R[3]);
	sign(r, &R[4]);
}

/* ---- 1. make, sign, read back ---- */

static void test_round_trip(void **state)
{
	(void)state;
	struct root r, p;
	make_root(&r, ROOT_ID, 1, 0, 3, 2, 1, T2040);
	r.signers[0].not_before = T2025;
	r.signers[0].not_after = T2030 - 1;
	struct err e;
	assert_int_equal(root_finish(&r, &e), 0);
	sign(&r, &R[0]);
	sign(&r, &R[2]);
	assert_int_equal(r.nsigs, 2);

	/* The text is the body followed by the signatures. */
	assert_true(r.text_len > r.body_len);
	assert_memory_equal(r.text, r.body, r.body_len);
	assert_int_equal(strncmp(r.body, "format: amana-root/1\nroot-id: " ROOT_ID "\nname: Amana Test Issuer\n"
				     "version: 1\nexpires: 2040-01-01T00:00:00Z\nthreshold: 2\nroot-key: ",
				 strlen("format: amana-root/1\nroot-id: " ROOT_ID "\nname: Amana Test Issuer\n"
					"version: 1\nexpires: 2040-01-01T00:00:00Z\nthreshold: 2\nroot-key: ")),
			 0);
	assert_non_null(strstr(r.body, " 2025-01-01T00:00:00Z 2029-12-31T23:59:59Z\n"));
	assert_int_equal(strncmp(r.text + r.body_len, "untrusted comment: " ROOT_SIG_COMMENT "\n",
				 strlen("untrusted comment: " ROOT_SIG_COMMENT "\n")),
			 0);

	reparse(&r, &p);
	assert_string_equal(p.root_id, ROOT_ID);
	assert_string_equal(p.name, "Amana Test Issuer");
	assert_int_equal(p.version, 1);
	assert_int_equal(p.expires, T2040);
	assert_int_equal(p.threshold, 2);
	assert_int_equal(p.nkeys, 3);
	for (size_t i = 0; i < 3; i++) {
		assert_memory_equal(p.keys[i].key_id, R[i].k.key_id, 8);
		assert_memory_equal(p.keys[i].pk, R[i].k.pk, 32);
		assert_string_equal(p.keys[i].id, R[i].k.id);
	}
	assert_int_equal(p.nsigners, 1);
	assert_memory_equal(p.signers[0].key.pk, S[0].k.pk, 32);
	assert_string_equal(p.signers[0].key.id, S[0].k.id);
	assert_int_equal(p.signers[0].not_before, T2025);
	assert_int_equal(p.signers[0].not_after, T2030 - 1);
	assert_int_equal(p.nrevoked, 0);
	assert_int_equal(p.nsigs, 2);
	assert_memory_equal(p.sigs[0].key_id, R[0].k.key_id, 8);
	assert_memory_equal(p.sigs[1].key_id, R[2].k.key_id, 8);
	assert_string_equal(p.sigs[0].trusted, "amana-root/1 " ROOT_ID " 1");
	assert_string_equal(p.sigs[0].untrusted, ROOT_SIG_COMMENT);
	assert_int_equal(p.body_len, r.body_len);
	assert_memory_equal(p.body, r.body, r.body_len);
	assert_int_equal(p.text_len, r.text_len);
	assert_memory_equal(p.text, r.text, r.text_len);

	/* The digest is BLAKE2b-512 of the body. */
	uint8_t d[64];
	char hex[129];
	crypto_generichash(d, 64, (const uint8_t *)p.body, p.body_len, NULL, 0);
	assert_memory_equal(p.digest, d, 64);
	assert_memory_equal(r.digest, d, 64);
	sodium_bin2hex(hex, sizeof hex, d, 64);
	assert_string_equal(p.digest_hex, hex);

	unsigned own = 99, by_prev = 99;
	assert_int_equal(root_check(&p, NULL, &own, &by_prev, &e), 0);
	assert_int_equal(own, 2);
	assert_int_equal(by_prev, 0);
	assert_int_equal(root_chain_check(&p, 1, &e), 0);

	/* Writing the parsed fields again gives the same bytes. */
	assert_int_equal(root_finish(&p, &e), 0);
	assert_int_equal(p.text_len, r.text_len);
	assert_memory_equal(p.text, r.text, r.text_len);

	/* A key signs once. */
	assert_int_equal(root_sign(&r, R[0].sk, &e), -1);
	assert_int_equal(e.code, ERR_USAGE);
	root_free(&p);
	root_free(&r);
}

/* ---- 2, 3, 6, 7. the signatures of one root ---- */

static void test_below_threshold(void **state)
{
	(void)state;
	struct root r, p;
	struct err e;
	make_root(&r, ROOT_ID, 1, 0, 3, 2, 1, T2040);
	assert_int_equal(root_check(&r, NULL, NULL, NULL, &e), -1); /* no signature at all */
	assert_int_equal(e.code, ERR_VERIFY);
	sign(&r, &R[1]);
	reparse(&r, &p);
	unsigned own = 99;
	assert_int_equal(root_check(&p, NULL, &own, NULL, &e), -1);
	assert_int_equal(e.code, ERR_VERIFY);
	assert_contains(e.msg, "below threshold");
	assert_contains(e.msg, "1 of the 2");
	assert_int_equal(root_chain_check(&p, 1, &e), -1);
	assert_int_equal(e.code, ERR_VERIFY);
	assert_contains(e.msg, "below threshold");
	root_free(&p);
	root_free(&r);
}

static void test_foreign_signer(void **state)
{
	(void)state;
	struct root r, p;
	struct err e;
	make_root(&r, ROOT_ID, 1, 0, 3, 2, 1, T2040);
	sign(&r, &R[0]);
	sign(&r, &R[1]);
	sign_raw(&r, X.sk, "amana-root/1 " ROOT_ID " 1");
	reparse(&r, &p);
	assert_int_equal(p.nsigs, 3);
	assert_int_equal(root_check(&p, NULL, NULL, NULL, &e), -1);
	assert_int_equal(e.code, ERR_VERIFY);
	assert_contains(e.msg, "not one of its root keys");
	assert_contains(e.msg, X.k.id);
	root_free(&p);
	root_free(&r);

	/* A signing key is not a root key either. */
	make_root(&r, ROOT_ID, 1, 0, 3, 1, 1, T2040);
	sign(&r, &R[0]);
	sign_raw(&r, S[0].sk, "amana-root/1 " ROOT_ID " 1");
	reparse(&r, &p);
	assert_int_equal(root_check(&p, NULL, NULL, NULL, &e), -1);
	assert_contains(e.msg, "not one of its root keys");
	root_free(&p);
	root_free(&r);
}

static void test_comment_names_version(void **state)
{
	(void)state;
	struct root r, p;
	struct err e;
	make_root(&r, ROOT_ID, 1, 0, 3, 2, 1, T2040);
	sign_raw(&r, R[0].sk, "amana-root/1 " ROOT_ID " 2");
	sign_raw(&r, R[1].sk, "amana-root/1 " ROOT_ID " 2");
	reparse(&r, &p);
	assert_int_equal(root_check(&p, NULL, NULL, NULL, &e), -1);
	assert_int_equal(e.code, ERR_VERIFY);
	assert_contains(e.msg, "names 'amana-root/1 " ROOT_ID " 2'");
	root_free(&p);
	root_free(&r);

	/* Nor another root id, nor a comment with something after the version. */
	const char *bad[] = {"amana-root/1 " OTHER_ID " 1", "amana-root/1 " ROOT_ID " 1 ", "amana-root/1 " ROOT_ID,
			     "amana-root/2 " ROOT_ID " 1"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		make_root(&r, ROOT_ID, 1, 0, 3, 1, 1, T2040);
		sign_raw(&r, R[0].sk, bad[i]);
		reparse(&r, &p);
		assert_int_equal(root_check(&p, NULL, NULL, NULL, &e), -1);
		assert_int_equal(e.code, ERR_VERIFY);
		root_free(&p);
		root_free(&r);
	}
}

static void test_tampered_body(void **state)
{
	(void)state;
	struct root r, p;
	struct err e;
	v1_signed(&r);
	char *t = strndup(r.text, r.text_len);
	char *name = strstr(t, "name: Amana");
	assert_non_null(name);
	name[strlen("name: ")] = 'B';
	assert_int_equal(root_parse(t, r.text_len, &p, &e), 0);
	assert_string_equal(p.name, "Bmana Test Issuer");
	assert_int_equal(root_check(&p, NULL, NULL, NULL, &e), -1);
	assert_int_equal(e.code, ERR_VERIFY);
	assert_contains(e.msg, "does not verify");
	assert_int_equal(root_chain_check(&p, 1, &e), -1);
	root_free(&p);

	/* A signature's bytes altered. */
	memcpy(t, r.text, r.text_len);
	char *sig = strstr(t, "trusted comment: amana-root/1");
	assert_non_null(sig);
	sig = strchr(sig, '\n') + 1; /* the global signature */
	sig[3] = sig[3] == 'A' ? 'B' : 'A';
	if (root_parse(t, r.text_len, &p, &e) == 0)
		assert_int_equal(root_check(&p, NULL, NULL, NULL, &e), -1);
	root_free(&p);
	free(t);
	root_free(&r);
}

/* ---- 4, 5. rotation and chains ---- */

static void test_rotation(void **state)
{
	(void)state;
	struct root v1, v2, p1, p2;
	struct err e;
	v1_signed(&v1);
	v2_signed(&v2, T2040);
	reparse(&v1, &p1);
	reparse(&v2, &p2);
	assert_int_equal(root_check_next(&p1, &p2, &e), 0);
	unsigned own = 0, by_prev = 0;
	assert_int_equal(root_check(&p2, &p1, &own, &by_prev, &e), 0);
	assert_int_equal(own, 2);     /* R[3], R[4] */
	assert_int_equal(by_prev, 2); /* R[0], R[1] */
	/* Without the version before, version 1's keys are strangers. */
	assert_int_equal(root_check(&p2, NULL, NULL, NULL, &e), -1);
	assert_contains(e.msg, "not one of its root keys");
	root_free(&p2);

	/* Signed by its own new keys only: below version 1's threshold. */
	struct root w;
	make_root(&w, ROOT_ID, 2, 3, 3, 2, 1, T2040);
	sign(&w, &R[3]);
	sign(&w, &R[4]);
	sign(&w, &R[5]);
	reparse(&w, &p2);
	assert_int_equal(root_check_next(&p1, &p2, &e), -1);
	assert_int_equal(e.code, ERR_VERIFY);
	assert_contains(e.msg, "below threshold");
	assert_contains(e.msg, "version 1's root keys");
	root_free(&p2);
	root_free(&w);

	/* Signed by the old keys only: below its own threshold. */
	make_root(&w, ROOT_ID, 2, 3, 3, 2, 1, T2040);
	sign(&w, &R[0]);
	sign(&w, &R[1]);
	sign(&w, &R[2]);
	sign(&w, &R[3]);
	reparse(&w, &p2);
	assert_int_equal(root_check_next(&p1, &p2, &e), -1);
	assert_contains(e.msg, "below threshold");
	assert_contains(e.msg, "its own root keys");
	root_free(&p2);
	root_free(&w);

	/* One key of each is not enough when both thresholds are 2 (R[2] is in both: it counts
	 * for both, and one more of each is needed). */
	make_root(&w, ROOT_ID, 2, 2, 3, 2, 1, T2040);
	sign(&w, &R[2]);
	sign(&w, &R[3]);
	reparse(&w, &p2);
	assert_int_equal(root_check_next(&p1, &p2, &e), -1);
	assert_contains(e.msg, "version 1's root keys");
	root_free(&p2);
	root_free(&w);
	make_root(&w, ROOT_ID, 2, 2, 3, 2, 1, T2040);
	sign(&w, &R[2]);
	sign(&w, &R[3]);
	sign(&w, &R[0]);
	reparse(&w, &p2);
	assert_int_equal(root_check_next(&p1, &p2, &e), 0);
	root_free(&p2);
	root_free(&w);

	/* A gap: version 3 after version 1. */
	make_root(&w, ROOT_ID, 3, 2, 3, 2, 1, T2040);
	sign(&w, &R[0]);
	sign(&w, &R[1]);
	sign(&w, &R[3]);
	sign(&w, &R[4]);
	reparse(&w, &p2);
	assert_int_equal(root_check_next(&p1, &p2, &e), -1);
	assert_int_equal(e.code, ERR_VERIFY);
	assert_contains(e.msg, "gap");
	root_free(&p2);
	root_free(&w);

	/* A rollback: version 1 after version 2, and version 1 after itself. */
	reparse(&v2, &p2);
	assert_int_equal(root_check_next(&p2, &p1, &e), -1);
	assert_int_equal(e.code, ERR_VERIFY);
	assert_contains(e.msg, "rollback");
	assert_int_equal(root_check_next(&p1, &p1, &e), -1);
	assert_contains(e.msg, "rollback");
	root_free(&p2);

	/* Another root's version 2, signed by the same keys. */
	make_root(&w, OTHER_ID, 2, 2, 3, 2, 2, T2040);
	sign(&w, &R[0]);
	sign(&w, &R[1]);
	sign(&w, &R[3]);
	sign(&w, &R[4]);
	reparse(&w, &p2);
	assert_int_equal(root_check_next(&p1, &p2, &e), -1);
	assert_int_equal(e.code, ERR_VERIFY);
	assert_contains(e.msg, "belongs to root " OTHER_ID);
	root_free(&p2);
	root_free(&w);

	root_free(&p1);
	root_free(&v1);
	root_free(&v2);
}

/* Key ids are not bound to keys: minisign_keygen picks them at random, and anyone can make a
 * key pair with any id. A version 2 whose root keys reuse the ids of version 1's root keys,
 * with the attacker's own public keys, must not count as signed by version 1's keys. */
static void test_rotation_key_id_reuse(void **state)
{
	(void)state;
	struct root v1, w, p1, p2;
	struct err e;
	v1_signed(&v1);
	reparse(&v1, &p1);

	struct kp fake[2];
	for (int i = 0; i < 2; i++) {
		make_kp(&fake[i]);
		memcpy(fake[i].sk->key_id, R[i].k.key_id, 8);
		memcpy(fake[i].k.key_id, R[i].k.key_id, 8);
		memcpy(fake[i].k.id, R[i].k.id, 17);
	}
	memset(&w, 0, sizeof w);
	memcpy(w.root_id, ROOT_ID, 33);
	w.name = strdup("Amana Test Issuer");
	w.version = 2;
	w.expires = T2040;
	w.threshold = 2;
	w.keys[0] = fake[0].k;
	w.keys[1] = fake[1].k;
	w.nkeys = 2;
	w.signers[0].key = S[1].k;
	w.signers[0].not_before = T2020;
	w.signers[0].not_after = T2030;
	w.nsigners = 1;
	assert_int_equal(root_finish(&w, &e), 0);
	sign(&w, &fake[0]);
	sign(&w, &fake[1]);
	reparse(&w, &p2);
	assert_int_equal(root_check(&p2, NULL, NULL, NULL, &e), 0); /* its own threshold: fine */
	unsigned own = 0, by_prev = 0;
	int rc = root_check(&p2, &p1, &own, &by_prev, &e);
	if (rc == 0 || root_check_next(&p1, &p2, &e) == 0)
		fail_msg("version 2 signed only by keys that reuse version 1's key ids passes as signed by "
			 "version 1 (%u of its signatures counted for version 1)",
			 by_prev);
	assert_int_equal(e.code, ERR_VERIFY);
	root_free(&p2);
	root_free(&w);
	for (int i = 0; i < 2; i++)
		minisign_sec_free(fake[i].sk);
	root_free(&p1);
	root_free(&v1);
}

static void test_chain(void **state)
{
	(void)state;
	struct root v1, v2;
	struct err e;
	v1_signed(&v1);
	v2_signed(&v2, T2040);
	size_t len = v1.text_len + v2.text_len;
	char *t = malloc(len);
	memcpy(t, v1.text, v1.text_len);
	memcpy(t + v1.text_len, v2.text, v2.text_len);

	struct root *c = NULL;
	size_t n = 0;
	if (root_chain_parse(t, len, &c, &n, &e) != 0)
		fail_msg("root_chain_parse: %s", e.msg);
	assert_int_equal(n, 2);
	assert_int_equal(c[0].version, 1);
	assert_int_equal(c[1].version, 2);
	assert_int_equal(c[0].text_len, v1.text_len);
	assert_memory_equal(c[1].text, v2.text, v2.text_len);
	assert_memory_equal(c[1].digest, v2.digest, 64);
	assert_int_equal(root_chain_check(c, n, &e), 0);
	root_chain_free(c, n);

	/* root_parse takes one root only. */
	struct root one;
	assert_int_equal(root_parse(t, len, &one, &e), -1);
	root_free(&one);
	assert_int_equal(e.code, ERR_FORMAT);
	assert_contains(e.msg, "a second root follows");

	/* A chain that starts at version 2. */
	assert_int_equal(root_chain_parse(v2.text, v2.text_len, &c, &n, &e), 0);
	assert_int_equal(n, 1);
	assert_int_equal(root_chain_check(c, n, &e), -1);
	assert_int_equal(e.code, ERR_VERIFY);
	assert_contains(e.msg, "gap");
	root_chain_free(c, n);

	/* Version 2 before version 1. */
	memcpy(t, v2.text, v2.text_len);
	memcpy(t + v2.text_len, v1.text, v1.text_len);
	assert_int_equal(root_chain_parse(t, len, &c, &n, &e), 0);
	assert_int_equal(n, 2);
	assert_int_equal(root_chain_check(c, n, &e), -1);
	root_chain_free(c, n);

	/* Version 1 twice. */
	char *t2 = malloc(2 * v1.text_len);
	memcpy(t2, v1.text, v1.text_len);
	memcpy(t2 + v1.text_len, v1.text, v1.text_len);
	assert_int_equal(root_chain_parse(t2, 2 * v1.text_len, &c, &n, &e), 0);
	assert_int_equal(root_chain_check(c, n, &e), -1);
	assert_contains(e.msg, "rollback");
	root_chain_free(c, n);
	free(t2);

	/* Empty, and a chain whose second root is broken. */
	assert_int_equal(root_chain_parse(t, 0, &c, &n, &e), -1);
	assert_int_equal(e.code, ERR_FORMAT);
	assert_null(c);
	assert_int_equal(n, 0);
	assert_int_equal(root_chain_parse(t, len - 1, &c, &n, &e), -1);
	assert_int_equal(e.code, ERR_FORMAT);
	assert_null(c);
	assert_int_equal(n, 0);
	assert_int_equal(root_chain_check(NULL, 0, &e), -1);

	free(t);
	root_free(&v1);
	root_free(&v2);
}

/* ---- 8. a signing key's state ---- */

static void test_key_state(void **state)
{
	(void)state;
	struct root r;
	struct err e;
	make_root(&r, ROOT_ID, 1, 0, 3, 2, 2, T2040);
	r.revoked[0].from = 5;
	memcpy(r.revoked[0].key_id, S[1].k.key_id, 8);
	memcpy(r.revoked[0].id, S[1].k.id, 17);
	memset(r.revoked[0].log_root, 0xab, 32);
	r.nrevoked = 1;
	assert_int_equal(root_finish(&r, &e), 0);
	assert_non_null(strstr(r.body, "revoked: "));
	sign(&r, &R[0]);
	sign(&r, &R[1]);
	struct root p;
	reparse(&r, &p);
	assert_int_equal(p.nrevoked, 1);
	assert_int_equal(p.revoked[0].from, 5);
	assert_memory_equal(p.revoked[0].log_root, r.revoked[0].log_root, 32);
	assert_int_equal(root_chain_check(&p, 1, &e), 0);

	const uint8_t *s0 = S[0].k.key_id, *s1 = S[1].k.key_id;
	assert_int_equal(root_key_state(&p, s0, T2025, 0), ROOT_KEY_VALID);
	assert_int_equal(root_key_state(&p, s0, T2020, 1000), ROOT_KEY_VALID);     /* first second */
	assert_int_equal(root_key_state(&p, s0, T2030, 1000), ROOT_KEY_VALID);     /* last second */
	assert_int_equal(root_key_state(&p, s0, T2020 - 1, 0), ROOT_KEY_NOT_YET_VALID);
	assert_int_equal(root_key_state(&p, s0, T2030 + 1, 0), ROOT_KEY_EXPIRED);
	assert_int_equal(root_key_state(&p, s1, T2025, 5), ROOT_KEY_REVOKED);
	assert_int_equal(root_key_state(&p, s1, T2025, 6), ROOT_KEY_REVOKED);
	assert_int_equal(root_key_state(&p, s1, T2025, 4), ROOT_KEY_VALID_BEFORE_REVOCATION);
	assert_int_equal(root_key_state(&p, s1, T2025, 0), ROOT_KEY_VALID_BEFORE_REVOCATION);
	/* Revocation outranks the window; the window still holds before the position. */
	assert_int_equal(root_key_state(&p, s1, T2030 + 1, 5), ROOT_KEY_REVOKED);
	assert_int_equal(root_key_state(&p, s1, T2030 + 1, 4), ROOT_KEY_EXPIRED);
	assert_int_equal(root_key_state(&p, S[2].k.key_id, T2025, 0), ROOT_KEY_NOT_LISTED);
	assert_int_equal(root_key_state(&p, R[0].k.key_id, T2025, 0), ROOT_KEY_NOT_LISTED); /* a root key */

	assert_string_equal(root_key_state_name(ROOT_KEY_VALID), "valid");
	assert_string_equal(root_key_state_name(ROOT_KEY_REVOKED), "revoked");
	assert_string_equal(root_key_state_name(ROOT_KEY_EXPIRED), "expired");
	assert_string_equal(root_key_state_name(ROOT_KEY_NOT_YET_VALID), "not-yet-valid");
	assert_string_equal(root_key_state_name(ROOT_KEY_NOT_LISTED), "not-listed");
	assert_string_equal(root_key_state_name(ROOT_KEY_VALID_BEFORE_REVOCATION), "valid-before-revocation");

	assert_ptr_equal(root_find_signer(&p, s1), &p.signers[1]);
	assert_ptr_equal(root_find_revoked(&p, s1), &p.revoked[0]);
	assert_null(root_find_revoked(&p, s0));
	assert_ptr_equal(root_find_key(&p, R[2].k.key_id), &p.keys[2]);
	assert_null(root_find_key(&p, s0));
	root_free(&p);
	root_free(&r);
}

/* ---- 9. the walk ---- */

static void test_trust_walk(void **state)
{
	(void)state;
	struct root v1, v2, v2b;
	struct err e;
	v1_signed(&v1);
	v2_signed(&v2, T2040);
	v2_signed(&v2b, T2040 - DAY); /* another version 2: a fork */
	assert_string_not_equal(v2.digest_hex, v2b.digest_hex);
	struct root chain[2], pinned[2];
	reparse(&v1, &chain[0]);
	reparse(&v2, &chain[1]);
	reparse(&v1, &pinned[0]);
	reparse(&v2b, &pinned[1]);

	const struct root *newest = NULL;
	size_t learn = 99;
	/* Pinned version 1, the chain brings 1 and 2: learn version 2. */
	assert_int_equal(trust_walk(pinned, 1, chain, 2, &newest, &learn, &e), 0);
	assert_ptr_equal(newest, &chain[1]);
	assert_int_equal(learn, 1);

	/* Pinned 1 and 2 (the other 2): a fork. */
	assert_int_equal(trust_walk(pinned, 2, chain, 2, &newest, &learn, &e), -1);
	assert_int_equal(e.code, ERR_VERIFY);
	assert_contains(e.msg, "fork");
	assert_contains(e.msg, "version 2");

	/* Pinned 1 and 2, the chain brings 1 only: the pinned 2 is in force, nothing to learn. */
	assert_int_equal(trust_walk(pinned, 2, chain, 1, &newest, &learn, &e), 0);
	assert_ptr_equal(newest, &pinned[1]);
	assert_int_equal(learn, 1);

	/* Pinned version 2 alone (a vault that started there), the chain brings 1 and 2. */
	assert_int_equal(trust_walk(&pinned[1], 1, chain, 2, &newest, &learn, &e), -1);
	assert_contains(e.msg, "fork");
	assert_int_equal(trust_walk(&pinned[1], 1, chain, 1, &newest, &learn, &e), 0);
	assert_ptr_equal(newest, &pinned[1]);
	assert_int_equal(learn, 1);

	/* The same versions on both sides. */
	assert_int_equal(trust_walk(chain, 2, chain, 2, &newest, &learn, &e), 0);
	assert_ptr_equal(newest, &chain[1]);
	assert_int_equal(learn, 2);

	/* Nothing pinned: the chain's newest; and no chain: the pinned newest. */
	assert_int_equal(trust_walk(NULL, 0, chain, 2, &newest, &learn, &e), 0);
	assert_ptr_equal(newest, &chain[1]);
	assert_int_equal(learn, 0);
	assert_int_equal(trust_walk(pinned, 1, NULL, 0, &newest, &learn, &e), 0);
	assert_ptr_equal(newest, &pinned[0]);
	assert_int_equal(learn, 0);

	for (int i = 0; i < 2; i++) {
		root_free(&chain[i]);
		root_free(&pinned[i]);
	}
	root_free(&v1);
	root_free(&v2);
	root_free(&v2b);
}

/* ---- 10. the judgement ---- */

static void test_trust_judge(void **state)
{
	(void)state;
	struct root v1, v2;
	struct err e;
	const struct root_signer *signer = NULL;
	/* Version 1 lists S[0], S[1]; version 2 drops S[0] and revokes S[1] from position 3. */
	make_root(&v1, ROOT_ID, 1, 0, 3, 2, 2, T2040);
	make_root(&v2, ROOT_ID, 2, 0, 3, 2, 2, T2030);
	v2.signers[0] = v2.signers[1];
	v2.nsigners = 1;
	memcpy(v2.revoked[0].key_id, S[1].k.key_id, 8);
	memcpy(v2.revoked[0].id, S[1].k.id, 17);
	v2.revoked[0].from = 3;
	v2.nrevoked = 1;
	assert_int_equal(root_finish(&v2, &e), 0);

	const uint8_t *s0 = S[0].k.key_id, *s1 = S[1].k.key_id;
	int64_t now = T2025;

	/* Valid in the newest. */
	assert_int_equal(trust_judge(&v1, NULL, s0, T2025, 0, now, &signer, &e), ROOT_KEY_VALID);
	assert_ptr_equal(signer, &v1.signers[0]);

	/* Expired newest root. */
	err_clear(&e);
	assert_int_equal(trust_judge(&v2, NULL, s1, T2025, 0, T2030 + 1, &signer, &e), ROOT_KEY_EXPIRED);
	assert_int_equal(e.code, ERR_VERIFY);
	assert_contains(e.msg, "expired");
	assert_contains(e.msg, "version 2");
	/* At its last second it holds. */
	assert_int_equal(trust_judge(&v2, NULL, s1, T2025, 0, T2030, &signer, &e),
			 ROOT_KEY_VALID_BEFORE_REVOCATION);

	/* Dropped by version 2, valid in version 1 that the bundle names. */
	assert_int_equal(trust_judge(&v2, &v1, s0, T2025, 10, now, &signer, &e), ROOT_KEY_VALID);
	assert_ptr_equal(signer, &v1.signers[0]);
	/* ... but not when the bundle names no version, or names version 2. */
	err_clear(&e);
	assert_int_equal(trust_judge(&v2, NULL, s0, T2025, 10, now, &signer, &e), ROOT_KEY_NOT_LISTED);
	assert_int_equal(e.code, ERR_VERIFY);
	assert_contains(e.msg, "not a signing key");
	assert_null(signer);
	assert_int_equal(trust_judge(&v2, &v2, s0, T2025, 10, now, &signer, &e), ROOT_KEY_NOT_LISTED);
	/* ... and version 1's window still applies. */
	err_clear(&e);
	assert_int_equal(trust_judge(&v2, &v1, s0, T2030 + 1, 10, now, &signer, &e), ROOT_KEY_EXPIRED);
	assert_contains(e.msg, "expired");
	err_clear(&e);
	assert_int_equal(trust_judge(&v2, &v1, s0, T2020 - 1, 10, now, &signer, &e), ROOT_KEY_NOT_YET_VALID);
	assert_contains(e.msg, "not yet valid");

	/* Revoked by version 2, even when the bundle names version 1 (where it was valid). */
	err_clear(&e);
	assert_int_equal(trust_judge(&v2, &v1, s1, T2025, 3, now, &signer, &e), ROOT_KEY_REVOKED);
	assert_int_equal(e.code, ERR_VERIFY);
	assert_contains(e.msg, "revoked");
	assert_contains(e.msg, "position 3");
	assert_ptr_equal(signer, &v2.signers[0]);
	assert_int_equal(trust_judge(&v2, &v1, s1, T2025, 2, now, &signer, &e),
			 ROOT_KEY_VALID_BEFORE_REVOCATION);

	/* A key no version lists. */
	err_clear(&e);
	assert_int_equal(trust_judge(&v2, &v1, S[2].k.key_id, T2025, 0, now, &signer, &e), ROOT_KEY_NOT_LISTED);
	assert_contains(e.msg, "not a signing key");
	assert_null(signer);
	root_free(&v1);
	root_free(&v2);
}

/* ---- 11. malformed roots ---- */

/* A copy of text with its line n (from 1) replaced by repl (without LF; NULL deletes the
 * line), or, with insert, repl put before line n. */
static char *edit_line(const char *text, size_t len, size_t n, const char *repl, bool insert, size_t *outlen)
{
	const char *p = text, *end = text + len;
	for (size_t i = 1; i < n; i++) {
		p = memchr(p, '\n', (size_t)(end - p));
		assert_non_null(p);
		p++;
	}
	const char *rest = p;
	if (!insert) {
		const char *lf = memchr(p, '\n', (size_t)(end - p));
		assert_non_null(lf);
		rest = lf + 1;
	}
	size_t rl = repl ? strlen(repl) + 1 : 0;
	char *out = malloc(len + rl + 1);
	assert_non_null(out);
	size_t head = (size_t)(p - text), tail = (size_t)(end - rest);
	memcpy(out, text, head);
	if (repl) {
		memcpy(out + head, repl, rl - 1);
		out[head + rl - 1] = '\n';
	}
	memcpy(out + head + rl, rest, tail);
	*outlen = head + rl + tail;
	out[*outlen] = '\0';
	return out;
}

/* Parses text (owned) and expects ERR_FORMAT with a message that has both parts. */
static void expect_bad(char *text, size_t len, const char *part1, const char *part2)
{
	struct root r;
	struct err e;
	err_clear(&e);
	int rc = root_parse(text, len, &r, &e);
	root_free(&r);
	if (rc == 0)
		fail_msg("parsed, but should fail with '%s': %s", part1, text);
	if (e.code != ERR_FORMAT)
		fail_msg("code %d, not ERR_FORMAT: %s", e.code, e.msg);
	assert_contains(e.msg, part1);
	if (part2)
		assert_contains(e.msg, part2);
	/* A chain that holds it is refused too. */
	struct root *c = NULL;
	size_t n = 99;
	assert_int_equal(root_chain_parse(text, len, &c, &n, &e), -1);
	assert_null(c);
	assert_int_equal(n, 0);
	free(text);
}

static void bad_line(const struct root *r, size_t n, const char *repl, const char *part1, const char *part2)
{
	size_t len;
	char *t = edit_line(r->text, r->text_len, n, repl, false, &len);
	expect_bad(t, len, part1, part2);
}

static void bad_insert(const struct root *r, size_t n, const char *repl, const char *part1, const char *part2)
{
	size_t len;
	char *t = edit_line(r->text, r->text_len, n, repl, true, &len);
	expect_bad(t, len, part1, part2);
}

/* "signing-key: KEYID BASE64 NOT-BEFORE NOT-AFTER" for p. */
static void signer_line(char *buf, size_t cap, const struct kp *p, const char *nb, const char *na)
{
	struct minisign_pub pub;
	char b64[57];
	memcpy(pub.key_id, p->k.key_id, 8);
	memcpy(pub.pk, p->k.pk, 32);
	minisign_pub_base64(&pub, b64);
	snprintf(buf, cap, "signing-key: %s %s %s %s", p->k.id, b64, nb, na);
}

static void test_malformed(void **state)
{
	(void)state;
	struct root r;
	struct err e;
	/* Lines: 1 format, 2 root-id, 3 name, 4 version, 5 expires, 6 threshold, 7-9 root-key,
	 * 10-11 signing-key, 12-15 and 16-19 the signatures. */
	make_root(&r, ROOT_ID, 1, 0, 3, 2, 2, T2040);
	sign(&r, &R[0]);
	sign(&r, &R[1]);
	struct root ok;
	reparse(&r, &ok);
	root_free(&ok);
	size_t len;
	char buf[512];

	bad_line(&r, 1, "format: amana-root/2", "root line 1:", "format");
	bad_line(&r, 1, "formats: amana-root/1", "root line 1:", "'format'");
	bad_line(&r, 2, "root-id: 0123456789ABCDEF0123456789abcdef", "root line 2:", "'root-id'");
	bad_line(&r, 2, "root-id: 0123456789abcdef0123456789abcde", "root line 2:", "'root-id'");
	bad_line(&r, 2, "root-id:" ROOT_ID, "root line 2:", "'root-id'");
	bad_line(&r, 3, "name: ", "root line 3:", "'name'");
	bad_line(&r, 3, "version: 1", "root line 3:", "'name'");
	bad_line(&r, 4, "version: 0", "root line 4:", "'version'");
	bad_line(&r, 4, "version: 01", "root line 4:", "'version'");
	bad_line(&r, 4, "version: -1", "root line 4:", "'version'");
	bad_line(&r, 4, "version: 1 ", "root line 4:", "'version'");
	bad_line(&r, 4, "version: 1234567890123456789", "root line 4:", "'version'");
	bad_line(&r, 5, "expires: 2040-01-01 00:00:00Z", "root line 5:", "'expires'");
	bad_line(&r, 5, "expires: 2040-02-30T00:00:00Z", "root line 5:", "'expires'");
	bad_line(&r, 6, "threshold: 0", "root line 6:", "'threshold'");
	bad_line(&r, 6, "threshold: 17", "root line 6:", "'threshold'");
	/* Threshold above the number of keys: a rule across fields, named by the rule. */
	bad_line(&r, 6, "threshold: 4", "threshold 4", "3 root keys");

	/* Root keys out of order: line 8 before line 7. */
	{
		const char *l7 = r.text;
		for (int i = 1; i < 7; i++)
			l7 = strchr(l7, '\n') + 1;
		const char *l8 = strchr(l7, '\n') + 1;
		char k7[256], k8[256];
		snprintf(k7, sizeof k7, "%.*s", (int)(l8 - 1 - l7), l7);
		snprintf(k8, sizeof k8, "%.*s", (int)(strchr(l8, '\n') - l8), l8);
		assert_int_equal(strncmp(k7, "root-key: ", 10), 0);
		char *t = edit_line(r.text, r.text_len, 7, k8, false, &len);
		char *t2 = edit_line(t, len, 8, k7, false, &len);
		free(t);
		expect_bad(t2, len, "root line 8:", "'root-key' field is out of order");
		bad_line(&r, 8, k7, "root line 8:", "'root-key' field is out of order or repeated");
		/* A root key whose key id does not match its key line. */
		char k[256];
		snprintf(k, sizeof k, "%s", k7);
		k[10] = k[10] == 'F' ? 'E' : 'F';
		bad_line(&r, 7, k, "root line 7:", "'root-key'");
		/* A lower-case key id. */
		snprintf(k, sizeof k, "root-key: %s", R[0].k.id);
		for (char *q = k; *q; q++)
			if (*q >= 'A' && *q <= 'F')
				*q = (char)(*q - 'A' + 'a');
		snprintf(k + strlen(k), sizeof k - strlen(k), "%s", k7 + 10 + 16);
		if (strcmp(k, k7) != 0)
			bad_line(&r, 7, k, "root line 7:", "'root-key'");
		/* A root-key line after the signing keys. */
		bad_insert(&r, 11, k7, "root line 11:", "unexpected line");
	}

	/* A signing key whose window ends before it starts. */
	signer_line(buf, sizeof buf, &S[0], "2030-01-01T00:00:00Z", "2029-12-31T23:59:59Z");
	bad_line(&r, 10, buf, "root line 10:", "'signing-key' field ends (not-after) before it starts");
	signer_line(buf, sizeof buf, &S[0], "2030-01-01T00:00:00Z", "2030-01-01T00:00:00Z");
	bad_line(&r, 11, buf, "root line 11:", "'signing-key' field is out of order");
	signer_line(buf, sizeof buf, &S[0], "2030-01-01T00:00:00Z", "2031-01-01T00:00:00");
	bad_line(&r, 10, buf, "root line 10:", "'signing-key'");
	signer_line(buf, sizeof buf, &S[0], "2030-01-01T00:00:00Z", "2031-01-01T00:00:00Z ");
	bad_line(&r, 10, buf, "root line 10:", "'signing-key'");

	/* A key both root key and signing key (R[5] sorts anywhere among the signers; put it
	 * in place of both and keep the order by building the list). */
	{
		struct kp both[2] = {R[0], S[0]};
		qsort(both, 2, sizeof both[0], kp_cmp);
		char l1[300], l2[300];
		signer_line(l1, sizeof l1, &both[0], "2020-01-01T00:00:00Z", "2030-01-01T00:00:00Z");
		signer_line(l2, sizeof l2, &both[1], "2020-01-01T00:00:00Z", "2030-01-01T00:00:00Z");
		char *t = edit_line(r.text, r.text_len, 10, l1, false, &len);
		char *t2 = edit_line(t, len, 11, l2, false, &len);
		free(t);
		snprintf(buf, sizeof buf, "key %s is both a root key and a signing key", R[0].k.id);
		expect_bad(t2, len, buf, NULL);
	}

	/* Revocations: a key that is not a signing key, out of order, malformed. */
	char rev[200];
	snprintf(rev, sizeof rev, "revoked: %s 5 %064d", R[0].k.id, 0);
	snprintf(buf, sizeof buf, "revoked key %s is not one of the root's signing keys", R[0].k.id);
	bad_insert(&r, 12, rev, buf, NULL);
	snprintf(rev, sizeof rev, "revoked: %s 05 %064d", S[0].k.id, 0);
	bad_insert(&r, 12, rev, "root line 12:", "'revoked'");
	snprintf(rev, sizeof rev, "revoked: %s 5 %063d", S[0].k.id, 0);
	bad_insert(&r, 12, rev, "root line 12:", "'revoked'");
	snprintf(rev, sizeof rev, "revoked: %s 5 %064d ", S[0].k.id, 0);
	bad_insert(&r, 12, rev, "root line 12:", "'revoked'");
	snprintf(rev, sizeof rev, "revoked: %s 5  %064d", S[0].k.id, 0);
	bad_insert(&r, 12, rev, "root line 12:", "'revoked'");
	snprintf(rev, sizeof rev, "revoked: %s 5 %064d", S[0].k.id, 0);
	bad_insert(&r, 10, rev, "root line 10:", "unexpected line"); /* before the signing keys */
	{
		size_t l1;
		char r1[200], r2[200];
		snprintf(r1, sizeof r1, "revoked: %s 5 %064d", S[1].k.id, 0);
		snprintf(r2, sizeof r2, "revoked: %s 5 %064d", S[0].k.id, 0);
		char *t = edit_line(r.text, r.text_len, 12, r1, true, &l1);
		char *t2 = edit_line(t, l1, 13, r2, true, &len);
		free(t);
		expect_bad(t2, len, "root line 13:", "'revoked' field is out of order");
	}
	/* Short revocation lines (shorter than a key id): read within the line. */
	bad_insert(&r, 12, "revoked: ", "root line 12:", "'revoked'");
	bad_insert(&r, 12, "revoked: ABC", "root line 12:", "'revoked'");
	bad_insert(&r, 12, "revoked: 0123456789ABCDEF", "root line 12:", "'revoked'");

	/* CR LF, a missing final LF, junk, NUL and control characters. */
	{
		const char *l3 = strstr(r.text, "\nname: ") + 1;
		size_t off = (size_t)(strchr(l3, '\n') - r.text);
		char *t = malloc(r.text_len + 2);
		memcpy(t, r.text, off);
		t[off] = '\r';
		memcpy(t + off + 1, r.text + off, r.text_len - off);
		expect_bad(t, r.text_len + 1, "root line 3:", "CR LF");
	}
	{
		char *t = strndup(r.text, r.text_len);
		expect_bad(t, r.text_len - 1, "root line 19:", "line feed");
		t = strndup(r.text, r.body_len);
		expect_bad(t, r.body_len - 1, "root line 11:", "line feed");
	}
	bad_insert(&r, 7, "hello", "root line 7:", "unexpected line 'hello'");
	bad_insert(&r, 12, "", "root line 12:", "unexpected line");
	bad_insert(&r, 1, "", "root line 1:", "'format'");
	bad_line(&r, 3, "name: a\tb", "root line 3:", NULL);
	bad_line(&r, 3, "name: a\x01" "b", "root line 3:", "UTF-8");
	bad_line(&r, 3, "name: a\xff" "b", "root line 3:", "UTF-8");
	{
		char *t = strndup(r.text, r.text_len);
		strstr(t, "name: ")[7] = '\0';
		expect_bad(t, r.text_len, "root line 3:", "UTF-8");
	}

	/* Missing lines and sections. */
	{
		char *t = strndup(r.text, r.text_len);
		expect_bad(t, (size_t)(strstr(r.text, "threshold: ") - r.text), "before its 'threshold' line", NULL);
		t = strndup(r.text, r.text_len);
		expect_bad(t, (size_t)(strstr(r.text, "root-key: ") - r.text), "root line 7:", "no root-key");
		t = strndup(r.text, r.text_len);
		expect_bad(t, (size_t)(strstr(r.text, "signing-key: ") - r.text), "root line 10:", "no signing-key");
		/* No root key but a signing key. */
		t = edit_line(r.text, r.text_len, 7, NULL, false, &len);
		char *t2 = edit_line(t, len, 7, NULL, false, &len);
		free(t);
		t = edit_line(t2, len, 7, NULL, false, &len);
		free(t2);
		expect_bad(t, len, "at least one root key", NULL);
	}

	/* The signature section: a duplicate signer (lines 20 to 23 repeat lines 12 to 15), a
	 * signature cut short, a wrong untrusted comment, a legacy signature. */
	{
		const char *s1 = r.text + r.body_len;
		const char *s2 = s1;
		for (int i = 0; i < 4; i++)
			s2 = strchr(s2, '\n') + 1;
		size_t sl = (size_t)(s2 - s1);
		char *t = malloc(r.text_len + sl);
		memcpy(t, r.text, r.text_len);
		memcpy(t + r.text_len, s1, sl);
		snprintf(buf, sizeof buf, "root line 20: key %s signs twice", R[0].k.id);
		expect_bad(t, r.text_len + sl, buf, NULL);

		t = strndup(r.text, r.text_len);
		const char *l18 = r.text;
		for (int i = 1; i < 18; i++)
			l18 = strchr(l18, '\n') + 1;
		expect_bad(t, (size_t)(l18 - r.text), "root line 17:", "after 2 of its 4 lines");

		bad_line(&r, 16, "untrusted comment: signature from minisign secret key", "root line 16:",
			 "untrusted comment must be 'amana root signature'");
		bad_line(&r, 13, "not base64!", "root line 12:", "signature");
		bad_line(&r, 14, "trusted comment:", "root line 12:", "signature");
	}
	{
		struct root l;
		make_root(&l, ROOT_ID, 1, 0, 3, 1, 1, T2040);
		struct minisign_sig *s = &l.sigs[0];
		assert_int_equal(minisign_sign(R[0].sk, MINISIGN_LEGACY, NULL, (const uint8_t *)l.body, l.body_len,
					       "amana-root/1 " ROOT_ID " 1", ROOT_SIG_COMMENT, s, &e),
				 0);
		l.nsigs = 1;
		assert_int_equal(root_finish(&l, &e), 0);
		char *t = strndup(l.text, l.text_len);
		expect_bad(t, l.text_len, "root line 11:", "prehashed");
		root_free(&l);
	}

	/* Too large. */
	{
		char *t = calloc(1, ROOT_TEXT_MAX + 1);
		memcpy(t, r.text, r.text_len);
		struct root x;
		assert_int_equal(root_parse(t, ROOT_TEXT_MAX + 1, &x, &e), -1);
		assert_int_equal(e.code, ERR_FORMAT);
		root_free(&x);
		free(t);
	}
	root_free(&r);
}

/* root_finish refuses the same rules as ERR_USAGE. */
static void test_finish_rules(void **state)
{
	(void)state;
	struct root r;
	struct err e;
	make_root(&r, ROOT_ID, 1, 0, 3, 2, 2, T2040);
	r.threshold = 4;
	assert_int_equal(root_finish(&r, &e), -1);
	assert_int_equal(e.code, ERR_USAGE);
	r.threshold = 0;
	assert_int_equal(root_finish(&r, &e), -1);
	r.threshold = 2;
	struct root_key k = r.keys[0];
	r.keys[0] = r.keys[1];
	r.keys[1] = k;
	assert_int_equal(root_finish(&r, &e), -1);
	assert_int_equal(e.code, ERR_USAGE);
	r.keys[1] = r.keys[0];
	r.keys[0] = k;
	r.signers[0].not_after = r.signers[0].not_before - 1;
	assert_int_equal(root_finish(&r, &e), -1);
	assert_int_equal(e.code, ERR_USAGE);
	r.signers[0].not_after = T2030;
	memcpy(r.revoked[0].key_id, R[0].k.key_id, 8);
	memcpy(r.revoked[0].id, R[0].k.id, 17);
	r.nrevoked = 1;
	assert_int_equal(root_finish(&r, &e), -1);
	assert_contains(e.msg, "not one of the root's signing keys");
	r.nrevoked = 0;
	/* A signing key with a root key's public key (under another id). */
	struct root_signer save = r.signers[0];
	r.signers[0].key.pk[0] = 0;
	memcpy(r.signers[0].key.pk, R[1].k.pk, 32);
	assert_int_equal(root_finish(&r, &e), -1);
	assert_contains(e.msg, "both a root key and a signing key");
	r.signers[0] = save;
	assert_int_equal(root_finish(&r, &e), 0);
	root_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_below_threshold),
		cmocka_unit_test(test_foreign_signer),
		cmocka_unit_test(test_comment_names_version),
		cmocka_unit_test(test_tampered_body),
		cmocka_unit_test(test_rotation),
		cmocka_unit_test(test_rotation_key_id_reuse),
		cmocka_unit_test(test_chain),
		cmocka_unit_test(test_key_state),
		cmocka_unit_test(test_trust_walk),
		cmocka_unit_test(test_trust_judge),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_finish_rules),
	};
	return cmocka_run_group_tests_name("root", tests, group_setup, group_teardown);
}
