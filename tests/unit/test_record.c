/*
 * test_record.c - records as the Merkle tree sees them (vault/record.h): the canonical
 * encoding and salted leaf, recomputed here by hand from docs/format.md ("Records") and
 * checked against its test vector; the salts; and one-record proofs.
 *
 * Proofs are made as amana makes them: a synthetic outcome goes through manifest_build into
 * a manifest in a temporary folder, and an envelope naming its records root is signed with
 * a real minisign key. Every record of outcomes of 1 to 33 records gets a proof that must
 * encode, parse back to the same bytes and check; one proof then has every field (and every
 * other byte but the signature's untrusted comment) altered in turn and must be refused; a
 * proof moved to another bundle holding the same text must be refused; and Arabic bodies
 * (diacritics, tatweel, newlines, mixed direction) must come back byte for byte.
 */
#include <stdbool.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/unit/unit.h"
#include "vault/envelope.h"
#include "vault/io.h"
#include "vault/manifest.h"
#include "vault/merkle.h"
#include "vault/minisign.h"
#include "vault/outcome.h"
#include "vault/record.h"

static struct minisign_sec *issuer_sk, *other_sk;
static struct minisign_pub issuer_pub, other_pub;
static char tmpdir[256];

static int group_setup(void **state)
{
	struct err e;
	if (unit_setup(state) != 0)
		return -1;
	if (minisign_keygen(&issuer_sk, &e) != 0 || minisign_keygen(&other_sk, &e) != 0)
		return -1;
	minisign_sec_public(issuer_sk, &issuer_pub);
	minisign_sec_public(other_sk, &other_pub);
	const char *t = getenv("TMPDIR");
	snprintf(tmpdir, sizeof tmpdir, "%s/amana-unit-record.XXXXXX", t && *t ? t : "/tmp");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	minisign_sec_free(issuer_sk);
	minisign_sec_free(other_sk);
	io_rmtree(tmpdir);
	return 0;
}

/* ---- the canonical encoding and the leaf, by hand --------------------------------------- */

/* docs/format.md, "Test vector". */
#define DOC_SALT1 "6eff3958a2ccb5073063299b845b4c024525d27db1c3bb87de890392cf1ca818"
#define DOC_LEAF1 "e5a52749960504fb43ffa8a7b7fbab82d4fee55aabe3c19edcdd1148846a10f6"
#define DOC_SALT2 "6eb0e1579ca0578df8a44230437b1ed1ebf9cb93782ec1fcd0a22d00491493c2"
#define DOC_LEAF2 "1de424466bed571cf3463102872fedf24c54b7d7dc17f1c8feb521d8d058e0a9"
#define DOC_ROOT "c700a11b36d54129843ca940433d62d02efdcd499f9ca36eb24fce4615f31349"

static const uint8_t doc_bundle_id[16] = {0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
					  0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf};

static void doc_seed(uint8_t seed[32])
{
	for (int i = 0; i < 32; i++)
		seed[i] = (uint8_t)i;
}

static void upd(crypto_hash_sha256_state *st, const void *p, size_t n)
{
	crypto_hash_sha256_update(st, p, n);
}

static void test_salt_by_hand(void **state)
{
	(void)state;
	uint8_t seed[32], want[32], got[32];
	doc_seed(seed);
	/* BLAKE2b-256 keyed with the seed over "amana-record-salt" || u64be(seq). */
	static const uint8_t msg1[] = {'a', 'm', 'a', 'n', 'a', '-', 'r', 'e', 'c', 'o', 'r', 'd', '-',
				       's', 'a', 'l', 't', 0, 0, 0, 0, 0, 0, 0, 1};
	assert_int_equal(sizeof msg1, 25);
	crypto_generichash(want, 32, msg1, sizeof msg1, seed, 32);
	assert_hex_equal(want, 32, DOC_SALT1);
	record_salt(seed, 1, got);
	assert_memory_equal(got, want, 32);
	record_salt(seed, 2, got);
	assert_hex_equal(got, 32, DOC_SALT2);

	/* All eight bytes of seq count, most significant first. */
	static const uint8_t msgx[] = {'a', 'm', 'a', 'n', 'a', '-', 'r', 'e', 'c', 'o', 'r', 'd', '-',
				       's', 'a', 'l', 't', 1, 2, 3, 4, 5, 6, 7, 8};
	crypto_generichash(want, 32, msgx, sizeof msgx, seed, 32);
	record_salt(seed, 0x0102030405060708ULL, got);
	assert_memory_equal(got, want, 32);
}

static void test_salt_determinism_and_independence(void **state)
{
	(void)state;
	enum { N = 300 };
	static uint8_t salts[N][32];
	uint8_t seed[32], seed2[32], again[32], other[32];
	randombytes_buf(seed, sizeof seed);
	for (uint64_t s = 0; s < N; s++) {
		record_salt(seed, s + 1, salts[s]);
		record_salt(seed, s + 1, again);
		assert_memory_equal(salts[s], again, 32); /* deterministic */
	}
	/* Every seq has its own salt. */
	for (size_t i = 0; i < N; i++)
		for (size_t j = i + 1; j < N; j++)
			if (memcmp(salts[i], salts[j], 32) == 0)
				fail_msg("records %zu and %zu have the same salt", i + 1, j + 1);
	/* Seqs that differ only in a high byte, or by byte order. */
	uint8_t a[32], b[32], c[32];
	record_salt(seed, 1, a);
	record_salt(seed, 1ULL << 56, b);
	record_salt(seed, 0x0100000000000000ULL | 1, c);
	assert_memory_not_equal(a, b, 32);
	assert_memory_not_equal(a, c, 32);
	assert_memory_not_equal(b, c, 32);
	/* One bit of the seed changes every salt. */
	for (int bit = 0; bit < 256; bit += 37) {
		memcpy(seed2, seed, 32);
		seed2[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		for (uint64_t s = 0; s < 8; s++) {
			record_salt(seed2, s + 1, other);
			assert_memory_not_equal(other, salts[s], 32);
		}
	}
	/* The salt is not the seed, nor the seed-less hash of the label. */
	uint8_t unkeyed[32];
	static const uint8_t msg1[] = {'a', 'm', 'a', 'n', 'a', '-', 'r', 'e', 'c', 'o', 'r', 'd', '-',
				       's', 'a', 'l', 't', 0, 0, 0, 0, 0, 0, 0, 1};
	crypto_generichash(unkeyed, 32, msg1, sizeof msg1, NULL, 0);
	assert_memory_not_equal(salts[0], seed, 32);
	assert_memory_not_equal(salts[0], unkeyed, 32);
}

static void test_leaf_by_hand(void **state)
{
	(void)state;
	uint8_t seed[32], salt1[32], salt2[32], want1[32], want2[32], got[32];
	crypto_hash_sha256_state st;
	doc_seed(seed);
	record_salt(seed, 1, salt1);
	record_salt(seed, 2, salt2);

	/* Record 1: 0x00 || salt || seven length-prefixed fields. */
	static const uint8_t zero[1] = {0x00};
	static const uint8_t len_label[4] = {0, 0, 0, 14}, len_id[4] = {0, 0, 0, 16}, len_seq[4] = {0, 0, 0, 8};
	static const uint8_t seq1[8] = {0, 0, 0, 0, 0, 0, 0, 1}, seq2[8] = {0, 0, 0, 0, 0, 0, 0, 2};
	static const uint8_t len_recommendation[4] = {0, 0, 0, 14}, len_ar[4] = {0, 0, 0, 2};
	static const uint8_t len_title1[4] = {0, 0, 0, 10}, len_body1[4] = {0, 0, 0, 0x13};
	static const uint8_t len_decision[4] = {0, 0, 0, 8}, len_title2[4] = {0, 0, 0, 8};
	static const uint8_t len_empty[4] = {0, 0, 0, 0};
	const char *title1 = "عنوان", *body1 = "نص التوصية", *title2 = "قرار";
	assert_int_equal(strlen(title1), 10);
	assert_int_equal(strlen(body1), 0x13);
	assert_int_equal(strlen(title2), 8);

	crypto_hash_sha256_init(&st);
	upd(&st, zero, 1);
	upd(&st, salt1, 32);
	upd(&st, len_label, 4);
	upd(&st, "amana-record/1", 14);
	upd(&st, len_id, 4);
	upd(&st, doc_bundle_id, 16);
	upd(&st, len_seq, 4);
	upd(&st, seq1, 8);
	upd(&st, len_recommendation, 4);
	upd(&st, "recommendation", 14);
	upd(&st, len_ar, 4);
	upd(&st, "ar", 2);
	upd(&st, len_title1, 4);
	upd(&st, title1, 10);
	upd(&st, len_body1, 4);
	upd(&st, body1, 0x13);
	crypto_hash_sha256_final(&st, want1);
	assert_hex_equal(want1, 32, DOC_LEAF1);
	struct record_fields f1 = {1, "recommendation", "ar", title1, body1, strlen(body1)};
	record_leaf(doc_bundle_id, &f1, salt1, got);
	assert_memory_equal(got, want1, 32);

	/* Record 2: an empty body is a zero length and no bytes. */
	crypto_hash_sha256_init(&st);
	upd(&st, zero, 1);
	upd(&st, salt2, 32);
	upd(&st, len_label, 4);
	upd(&st, "amana-record/1", 14);
	upd(&st, len_id, 4);
	upd(&st, doc_bundle_id, 16);
	upd(&st, len_seq, 4);
	upd(&st, seq2, 8);
	upd(&st, len_decision, 4);
	upd(&st, "decision", 8);
	upd(&st, len_ar, 4);
	upd(&st, "ar", 2);
	upd(&st, len_title2, 4);
	upd(&st, title2, 8);
	upd(&st, len_empty, 4);
	crypto_hash_sha256_final(&st, want2);
	assert_hex_equal(want2, 32, DOC_LEAF2);
	struct record_fields f2 = {2, "decision", "ar", title2, "", 0};
	record_leaf(doc_bundle_id, &f2, salt2, got);
	assert_memory_equal(got, want2, 32);

	/* The root of the two: SHA-256(0x01 || leaf 1 || leaf 2). */
	static const uint8_t one[1] = {0x01};
	uint8_t root[32], leaves[2][32];
	crypto_hash_sha256_init(&st);
	upd(&st, one, 1);
	upd(&st, want1, 32);
	upd(&st, want2, 32);
	crypto_hash_sha256_final(&st, root);
	assert_hex_equal(root, 32, DOC_ROOT);
	memcpy(leaves[0], want1, 32);
	memcpy(leaves[1], want2, 32);
	merkle_root((const uint8_t(*)[32])leaves, 2, got);
	assert_memory_equal(got, root, 32);
}

/* A body that is not NUL-terminated text is taken by its length: bytes after body_len do
 * not count, a NUL inside does. And seq is eight big-endian bytes. */
static void test_leaf_by_hand_lengths(void **state)
{
	(void)state;
	uint8_t salt[32], want[32], got[32];
	crypto_hash_sha256_state st;
	for (int i = 0; i < 32; i++)
		salt[i] = (uint8_t)(0xff - i);
	static const uint8_t zero[1] = {0};
	static const uint8_t l14[4] = {0, 0, 0, 14}, l16[4] = {0, 0, 0, 16}, l8[4] = {0, 0, 0, 8};
	static const uint8_t l1[4] = {0, 0, 0, 1}, l2[4] = {0, 0, 0, 2}, l3[4] = {0, 0, 0, 3};
	static const uint8_t seqb[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	static const char body[] = "a\0bXYZ"; /* 3 bytes count: 'a', NUL, 'b' */
	crypto_hash_sha256_init(&st);
	upd(&st, zero, 1);
	upd(&st, salt, 32);
	upd(&st, l14, 4);
	upd(&st, "amana-record/1", 14);
	upd(&st, l16, 4);
	upd(&st, doc_bundle_id, 16);
	upd(&st, l8, 4);
	upd(&st, seqb, 8);
	upd(&st, l1, 4);
	upd(&st, "k", 1);
	upd(&st, l2, 4);
	upd(&st, "en", 2);
	upd(&st, l2, 4);
	upd(&st, "\xd8\xb9", 2); /* ع */
	upd(&st, l3, 4);
	upd(&st, body, 3);
	crypto_hash_sha256_final(&st, want);
	struct record_fields f = {0x0102030405060708ULL, "k", "en", "\xd8\xb9", body, 3};
	record_leaf(doc_bundle_id, &f, salt, got);
	assert_memory_equal(got, want, 32);
}

/* Moving a byte from one field to the next, or changing any input, changes the leaf. */
static void test_leaf_unambiguous(void **state)
{
	(void)state;
	uint8_t salt[32], bid[16], base[32], x[32];
	randombytes_buf(salt, sizeof salt);
	randombytes_buf(bid, sizeof bid);
	struct record_fields f = {3, "decision", "ar", "ab", "c", 1};
	record_leaf(bid, &f, salt, base);
	struct record_fields g;

	g = f, g.title = "a", g.body = "bc", g.body_len = 2;
	record_leaf(bid, &g, salt, x);
	assert_memory_not_equal(x, base, 32);
	g = f, g.lang = "ard", g.title = "b";
	record_leaf(bid, &g, salt, x);
	assert_memory_not_equal(x, base, 32);
	g = f, g.kind = "decisiona", g.lang = "r";
	record_leaf(bid, &g, salt, x);
	assert_memory_not_equal(x, base, 32);
	g = f, g.seq = 4;
	record_leaf(bid, &g, salt, x);
	assert_memory_not_equal(x, base, 32);
	g = f, g.body_len = 0;
	record_leaf(bid, &g, salt, x);
	assert_memory_not_equal(x, base, 32);
	for (int i = 0; i < 16; i++) {
		uint8_t b2[16];
		memcpy(b2, bid, 16);
		b2[i] ^= 0x80;
		record_leaf(b2, &f, salt, x);
		assert_memory_not_equal(x, base, 32);
	}
	for (int i = 0; i < 32; i++) {
		uint8_t s2[32];
		memcpy(s2, salt, 32);
		s2[i] ^= 0x01;
		record_leaf(bid, &f, s2, x);
		assert_memory_not_equal(x, base, 32);
	}
	/* And the same inputs give the same leaf. */
	record_leaf(bid, &f, salt, x);
	assert_memory_equal(x, base, 32);
}

/* ---- bundles to prove records of -------------------------------------------------------- */

struct bundle {
	uint8_t id[16];
	char id_hex[33];
	struct outcome o;	    /* read by outcome_parse from json, made of recs */
	struct outcome_record *recs;
	char *json;
	uint8_t (*salts)[32];
	uint8_t (*leaves)[32];
	uint8_t root[32];
	char *path;
	struct manifest *m;
	char *envelope, *signature;
};

static const char *const kinds[] = {"recommendation", "decision", "statement", "summary", "topic"};

static char *xstrdup(const char *s)
{
	char *d = strdup(s);
	assert_non_null(d);
	return d;
}

/* Fills b->o with the conference and b->recs with n empty records (see bundle_outcome). */
static void outcome_shell(struct bundle *b, size_t n)
{
	struct outcome *o = &b->o;
	memset(o, 0, sizeof *o);
	o->series = xstrdup("المؤتمر العربي للمسؤولين عن مكافحة الإرهاب");
	o->number = 24;
	o->title = xstrdup("المؤتمر العربي الرابع والعشرون للمسؤولين عن مكافحة الإرهاب");
	o->venue = xstrdup("تونس");
	o->held_from = xstrdup("");
	o->held_to = xstrdup("");
	o->organizer = xstrdup("الأمانة العامة لمجلس وزراء الداخلية العرب");
	b->recs = calloc(n, sizeof *b->recs);
	assert_non_null(b->recs);
	o->nrecords = n;
}

/* s[0..n) as a JSON string. */
static void json_string(FILE *f, const char *s, size_t n)
{
	fputc('"', f);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* The records live in outcome.json now: writes b->o's conference and b->recs as JSON and
 * reads it back into b->o with outcome_parse, as seal would. */
static void bundle_outcome(struct bundle *b)
{
	struct outcome *o = &b->o;
	size_t n = o->nrecords, len = 0;
	FILE *f = open_memstream(&b->json, &len);
	assert_non_null(f);
	fputs("{\"conference\":{\"series\":", f);
	json_string(f, o->series, strlen(o->series));
	fprintf(f, ",\"number\":%lld,\"title\":", (long long)o->number);
	json_string(f, o->title, strlen(o->title));
	fputs(",\"venue\":", f);
	json_string(f, o->venue, strlen(o->venue));
	fputs(",\"held_from\":", f);
	json_string(f, o->held_from, strlen(o->held_from));
	fputs(",\"held_to\":", f);
	json_string(f, o->held_to, strlen(o->held_to));
	fputs(",\"organizer\":", f);
	json_string(f, o->organizer, strlen(o->organizer));
	fputs("},\"participants\":[],\"records\":[", f);
	for (size_t i = 0; i < n; i++) {
		const struct outcome_record *r = &b->recs[i];
		fputs(i ? ",{\"kind\":" : "{\"kind\":", f);
		json_string(f, r->kind, strlen(r->kind));
		fputs(",\"lang\":", f);
		json_string(f, r->lang, strlen(r->lang));
		fputs(",\"title\":", f);
		json_string(f, r->title, strlen(r->title));
		fputs(",\"body\":", f);
		json_string(f, r->body, r->body_len);
		fputc('}', f);
	}
	fputs("]}", f);
	assert_int_equal(fclose(f), 0);
	struct err e;
	outcome_free(o);
	if (outcome_parse(b->json, len, NULL, o, &e) != 0)
		fail_msg("outcome_parse: %s", e.msg);
	assert_int_equal(o->nrecords, n);
}

static void set_record(struct outcome_record *r, const char *kind, const char *lang,
		       const char *title, const char *body, size_t body_len)
{
	free(r->kind);
	free(r->lang);
	free(r->title);
	free(r->body);
	r->kind = xstrdup(kind);
	r->lang = xstrdup(lang);
	r->title = xstrdup(title);
	r->body = malloc(body_len + 1);
	assert_non_null(r->body);
	memcpy(r->body, body, body_len);
	r->body[body_len] = '\0';
	r->body_len = body_len;
}

/* Record seq of the synthetic outcomes: Arabic titles and bodies, every fifth body empty. */
static void synth_record(struct outcome_record *r, size_t seq)
{
	char title[160], body[512];
	snprintf(title, sizeof title, "التوصية رقم %zu بشأن التعاون الأمني", seq);
	if (seq % 5 == 0)
		body[0] = '\0';
	else
		snprintf(body, sizeof body,
			 "يُوصِي المؤتمرُ (%zu) بتعزيز التعاون والتنسيق الأمني العربي،\n"
			 "وتبادل المعلومات مع INTERPOL حول التهديدات الإرهابية ٢٠٢٤.",
			 seq);
	set_record(r, kinds[seq % 5], seq % 7 == 0 ? "en" : "ar", title, body, strlen(body));
}

static void outcome_synth(struct bundle *b, size_t n)
{
	outcome_shell(b, n);
	for (size_t i = 0; i < n; i++)
		synth_record(&b->recs[i], i + 1);
}

/* Seals b->o (filled by the caller) under bundle id b->id: salts from seed, leaves, root,
 * the manifest (opened again and checked as open does), and the envelope signed by sk. */
static void bundle_seal(struct bundle *b, const struct minisign_sec *sk, const uint8_t seed[32])
{
	struct err e;
	size_t n = b->o.nrecords;
	bundle_outcome(b);
	sodium_bin2hex(b->id_hex, sizeof b->id_hex, b->id, 16);
	b->salts = malloc(n * 32);
	b->leaves = malloc(n * 32);
	assert_non_null(b->salts);
	assert_non_null(b->leaves);
	for (size_t i = 0; i < n; i++) {
		const struct outcome_record *r = &b->recs[i];
		struct record_fields f = {i + 1, r->kind, r->lang, r->title, r->body, r->body_len};
		record_salt(seed, i + 1, b->salts[i]);
		record_leaf(b->id, &f, b->salts[i], b->leaves[i]);
	}
	merkle_root((const uint8_t(*)[32])b->leaves, n, b->root);

	struct manifest_meta meta;
	memset(&meta, 0, sizeof meta);
	memcpy(meta.bundle_id, b->id_hex, 33);
	minisign_key_id_hex(sk->key_id, meta.issuer);
	meta.issuer_name = "الأمانة العامة";
	snprintf(meta.created, sizeof meta.created, "2024-11-19T07:06:40Z");
	meta.sequence = 1;
	meta.records_count = n;
	sodium_bin2hex(meta.records_root, sizeof meta.records_root, b->root, 32);
	struct manifest_recipient rcpt = {"تونس", "age1qazjsj6zqs9qg5x74x3pnmdy7kzdmhgr8xwad6a9ukxd3p40qg9s8ktm6c"};
	char name[80];
	snprintf(name, sizeof name, "manifest-%s.sqlite", b->id_hex);
	b->path = io_join(tmpdir, name);
	assert_non_null(b->path);
	if (manifest_build(b->path, &b->o, &meta, b->id, seed, &rcpt, 1, &e) != 0)
		fail_msg("manifest_build: %s", e.msg);
	char root_hex[65];
	sodium_bin2hex(root_hex, sizeof root_hex, b->root, 32);
	assert_string_equal(meta.records_root, root_hex);
	if (manifest_open(&b->m, b->path, &e) != 0)
		fail_msg("manifest_open: %s", e.msg);
	if (manifest_check_records(b->m, b->id, &meta, &e) != 0)
		fail_msg("manifest_check_records: %s", e.msg);

	struct envelope env;
	memset(&env, 0, sizeof env);
	memcpy(env.bundle_id, b->id_hex, 33);
	memcpy(env.issuer, meta.issuer, 17);
	env.issuer_name = xstrdup(meta.issuer_name);
	env.conference = xstrdup("المؤتمر العربي للمسؤولين عن مكافحة الإرهاب 24");
	env.title = xstrdup(b->o.title);
	memcpy(env.created, meta.created, sizeof env.created);
	env.sequence = 1;
	env.recipients = 1;
	env.records_count = n;
	memcpy(env.records_root, meta.records_root, 65);
	memset(env.payload_blake2b, 'c', 128);
	env.payload_size = 66264;
	b->envelope = envelope_encode(&env);
	assert_non_null(b->envelope);

	uint8_t hash[64];
	char tc[128];
	struct minisign_sig sig;
	crypto_generichash(hash, 64, (const uint8_t *)b->envelope, strlen(b->envelope), NULL, 0);
	envelope_trusted_comment(&env, tc, sizeof tc);
	if (minisign_sign(sk, MINISIGN_PREHASHED, hash, NULL, 0, tc, "amana envelope signature", &sig, &e) != 0)
		fail_msg("minisign_sign: %s", e.msg);
	b->signature = minisign_sig_encode(&sig);
	assert_non_null(b->signature);
	minisign_sig_clear(&sig);
	envelope_free(&env);
}

static void bundle_free(struct bundle *b)
{
	manifest_close(b->m);
	if (b->path)
		unlink(b->path);
	free(b->path);
	free(b->salts);
	free(b->leaves);
	free(b->envelope);
	free(b->signature);
	for (size_t i = 0; b->recs && i < b->o.nrecords; i++) {
		free(b->recs[i].kind);
		free(b->recs[i].lang);
		free(b->recs[i].title);
		free(b->recs[i].body);
	}
	free(b->recs);
	outcome_free(&b->o);
	free(b->json);
	memset(b, 0, sizeof *b);
}

static void proof_build(const struct bundle *b, uint64_t seq, struct record_proof *p)
{
	struct err e;
	if (record_proof_build(manifest_db(b->m), b->id_hex, seq, b->envelope, strlen(b->envelope),
			       b->signature, strlen(b->signature), p, &e) != 0)
		fail_msg("record_proof_build of record %llu: %s", (unsigned long long)seq, e.msg);
}

static char *proof_text(const struct record_proof *p, size_t *len)
{
	struct err e;
	char *text = NULL;
	if (record_proof_encode(p, &text, len, &e) != 0)
		fail_msg("record_proof_encode: %s", e.msg);
	return text;
}

/* Parses and checks text with the issuer's key; fails the test unless it is accepted. */
static void expect_accepted(const char *text, size_t len, const char *what)
{
	struct record_proof p;
	struct envelope env;
	struct err e;
	if (record_proof_parse(text, len, &p, &e) != 0)
		fail_msg("%s: not parsed: %s", what, e.msg);
	if (record_proof_check(&p, &issuer_pub, &env, &e) != 0)
		fail_msg("%s: refused: %s", what, e.msg);
	envelope_free(&env);
	record_proof_free(&p);
}

/* Parses and checks text with the issuer's key; fails the test unless it is refused with
 * ERR_FORMAT (parse) or ERR_VERIFY / ERR_FORMAT (check). */
static void expect_refused(const char *text, size_t len, const char *what, size_t at)
{
	struct record_proof p;
	struct envelope env;
	struct err e;
	err_clear(&e);
	if (record_proof_parse(text, len, &p, &e) != 0) {
		if (e.code != ERR_FORMAT)
			fail_msg("%s (byte %zu): parse failed with code %d, not ERR_FORMAT: %s", what, at, e.code, e.msg);
		assert_null(p.body);
		assert_null(p.path);
		return;
	}
	int rc = record_proof_check(&p, &issuer_pub, &env, &e);
	record_proof_free(&p);
	if (rc == 0) {
		envelope_free(&env);
		fail_msg("%s (byte %zu): the altered proof was accepted", what, at);
	}
	if (e.code != ERR_VERIFY && e.code != ERR_FORMAT)
		fail_msg("%s (byte %zu): refused with code %d: %s", what, at, e.code, e.msg);
	assert_null(env.title);
}

/* ---- proofs of every record of outcomes of 1 to 33 records ------------------------------ */

static void test_proofs_every_record_1_to_33(void **state)
{
	(void)state;
	for (size_t n = 1; n <= 33; n++) {
		struct bundle b;
		uint8_t seed[32];
		memset(&b, 0, sizeof b);
		randombytes_buf(b.id, 16);
		randombytes_buf(seed, 32);
		outcome_synth(&b, n);
		bundle_seal(&b, issuer_sk, seed);
		for (uint64_t seq = 1; seq <= n; seq++) {
			struct record_proof p, q;
			struct envelope env;
			struct err e;
			const struct outcome_record *r = &b.recs[seq - 1];
			proof_build(&b, seq, &p);
			assert_int_equal(p.seq, seq);
			assert_int_equal(p.count, n);
			assert_int_equal(p.npath, merkle_inclusion_proof_len(seq - 1, n));
			assert_memory_equal(p.root, b.root, 32);
			assert_memory_equal(p.salt, b.salts[seq - 1], 32);
			assert_string_equal(p.bundle_id, b.id_hex);

			size_t len, len2;
			char *text = proof_text(&p, &len);
			assert_int_equal(strlen(text), len);
			assert_true(strncmp(text, "amana-record-proof/1\n", 21) == 0);
			if (record_proof_parse(text, len, &q, &e) != 0)
				fail_msg("n=%zu seq=%llu: %s", n, (unsigned long long)seq, e.msg);
			char *text2 = proof_text(&q, &len2);
			assert_int_equal(len2, len);
			assert_memory_equal(text2, text, len);
			assert_string_equal(q.kind, r->kind);
			assert_string_equal(q.lang, r->lang);
			assert_string_equal(q.title, r->title);
			assert_int_equal(q.body_len, r->body_len);
			assert_memory_equal(q.body, r->body, r->body_len);
			assert_int_equal(q.envelope_len, strlen(b.envelope));
			assert_memory_equal(q.envelope, b.envelope, q.envelope_len);
			assert_int_equal(q.signature_len, strlen(b.signature));
			assert_memory_equal(q.signature, b.signature, q.signature_len);

			if (record_proof_check(&q, &issuer_pub, &env, &e) != 0)
				fail_msg("n=%zu seq=%llu refused: %s", n, (unsigned long long)seq, e.msg);
			assert_string_equal(env.bundle_id, b.id_hex);
			assert_int_equal(env.records_count, n);
			assert_string_equal(env.title, b.o.title);
			envelope_free(&env);

			/* Another key is refused. */
			err_clear(&e);
			assert_int_not_equal(record_proof_check(&q, &other_pub, &env, &e), 0);
			assert_int_equal(e.code, ERR_VERIFY);

			/* Nothing of the other records: no title, no body, no salt. */
			for (size_t j = 0; j < n; j++) {
				char hex[65];
				if (j == seq - 1)
					continue;
				const struct outcome_record *o = &b.recs[j];
				if (strstr(text, o->title))
					fail_msg("proof of %llu shows the title of record %zu", (unsigned long long)seq, j + 1);
				if (o->body_len && strstr(text, o->body))
					fail_msg("proof of %llu shows the body of record %zu", (unsigned long long)seq, j + 1);
				sodium_bin2hex(hex, sizeof hex, b.salts[j], 32);
				if (strstr(text, hex))
					fail_msg("proof of %llu shows the salt of record %zu", (unsigned long long)seq, j + 1);
			}
			free(text);
			free(text2);
			record_proof_free(&q);
			record_proof_free(&p);
		}
		/* There is no record n + 1, nor 0. */
		struct record_proof none;
		struct err e;
		assert_int_not_equal(record_proof_build(manifest_db(b.m), b.id_hex, n + 1, b.envelope,
							strlen(b.envelope), b.signature, strlen(b.signature),
							&none, &e), 0);
		assert_int_equal(e.code, ERR_USAGE);
		assert_null(none.body);
		assert_int_not_equal(record_proof_build(manifest_db(b.m), b.id_hex, 0, b.envelope,
							strlen(b.envelope), b.signature, strlen(b.signature),
							&none, &e), 0);
		assert_null(none.body);
		bundle_free(&b);
	}
}

/* ---- each field of a proof altered ------------------------------------------------------ */

/* What a byte becomes: a lowercase hex digit the next one, another ASCII letter its other
 * case, anything else its lowest bit flipped. */
static char altered(char c)
{
	static const char hex[] = "0123456789abcdef";
	const char *h = strchr(hex, c);
	if (c && h)
		return hex[(h - hex + 1) % 16];
	if (c >= 'A' && c <= 'Z')
		return (char)(c + 32);
	if (c >= 'g' && c <= 'z')
		return (char)(c - 32);
	return (char)(c ^ 1);
}

struct span {
	const char *name;
	size_t start, end; /* offsets into the text */
};

/* The value of the line "KEY: ..." found at or after *from; moves *from past the line. */
static struct span line_value(const char *text, size_t len, size_t *from, const char *name,
			      const char *key)
{
	char pat[64];
	snprintf(pat, sizeof pat, "%s: ", key);
	const char *at = memmem(text + *from, len - *from, pat, strlen(pat));
	if (!at || (at != text && at[-1] != '\n'))
		fail_msg("no line '%s' in the proof", key);
	struct span s = {name, (size_t)(at - text) + strlen(pat), 0};
	const char *lf = memchr(text + s.start, '\n', len - s.start);
	assert_non_null(lf);
	s.end = (size_t)(lf - text);
	*from = s.end + 1;
	return s;
}

/* The bytes of the blob "KEY: LENGTH\n<bytes>\n" found at or after *from. */
static struct span blob(const char *text, size_t len, size_t *from, const char *name, const char *key)
{
	struct span h = line_value(text, len, from, name, key);
	size_t n = (size_t)strtoull(text + h.start, NULL, 10);
	struct span s = {name, *from, *from + n};
	assert_true(s.end < len);
	assert_int_equal(text[s.end], '\n');
	*from = s.end + 1;
	return s;
}

/* The offset of the first byte c in text[start..end); fails the test when there is none. */
static size_t find_byte(const char *text, size_t start, size_t end, char c)
{
	for (size_t i = start; i < end; i++)
		if (text[i] == c)
			return i;
	fail_msg("no '%c' where expected in the proof", c);
	return end;
}

static size_t alter_each_byte(const char *text, size_t len, struct span s, char *scratch)
{
	size_t n = 0;
	for (size_t i = s.start; i < s.end; i++) {
		memcpy(scratch, text, len);
		scratch[i] = altered(text[i]);
		assert_int_not_equal(scratch[i], text[i]);
		expect_refused(scratch, len, s.name, i);
		n++;
	}
	return n;
}

static void test_each_field_altered(void **state)
{
	(void)state;
	struct bundle b;
	uint8_t seed[32];
	struct record_proof p;
	memset(&b, 0, sizeof b);
	randombytes_buf(b.id, 16);
	randombytes_buf(seed, 32);
	outcome_synth(&b, 14);
	bundle_seal(&b, issuer_sk, seed);
	proof_build(&b, 6, &p);
	assert_true(p.npath >= 3);
	size_t len;
	char *text = proof_text(&p, &len);
	char *scratch = malloc(len + 1);
	assert_non_null(scratch);
	expect_accepted(text, len, "the proof as exported");

	/* The fields, in the order the format has them. */
	struct span spans[16 + 64];
	size_t ns = 0, from = 0;
	spans[ns++] = line_value(text, len, &from, "bundle-id", "bundle-id");
	spans[ns++] = line_value(text, len, &from, "seq", "seq");
	spans[ns++] = line_value(text, len, &from, "kind", "kind");
	spans[ns++] = line_value(text, len, &from, "lang", "lang");
	spans[ns++] = line_value(text, len, &from, "title", "title");
	spans[ns++] = line_value(text, len, &from, "salt", "salt");
	struct span rec = line_value(text, len, &from, "records", "records");
	size_t sp = find_byte(text, rec.start, rec.end, ' ');
	spans[ns++] = (struct span){"the records count", rec.start, sp};
	spans[ns++] = (struct span){"the records root", sp + 1, rec.end};
	spans[ns++] = line_value(text, len, &from, "the path length", "path");
	static const char *const path_names[] = {"path hash 1", "path hash 2", "path hash 3", "path hash 4",
						 "path hash 5", "path hash 6", "path hash 7", "path hash 8"};
	assert_true(p.npath <= 8);
	for (size_t i = 0; i < p.npath; i++) {
		spans[ns++] = (struct span){path_names[i], from, from + 64};
		assert_int_equal(text[from + 64], '\n');
		from += 65;
	}
	spans[ns++] = blob(text, len, &from, "body", "body");
	spans[ns++] = blob(text, len, &from, "envelope", "envelope");
	struct span sig = blob(text, len, &from, "envelope.minisig", "envelope.minisig");
	assert_int_equal(from, len);
	/* The signature file, but its first line: minisign's untrusted comment, which no
	 * signature covers (minisign itself ignores it). */
	size_t lf1 = find_byte(text, sig.start, sig.end, '\n');
	assert_true(strncmp(text + sig.start, "untrusted comment: ", 19) == 0);
	spans[ns++] = (struct span){"envelope.minisig", lf1 + 1, sig.end};

	size_t tried = 0;
	for (size_t i = 0; i < ns; i++) {
		assert_true(spans[i].end > spans[i].start);
		tried += alter_each_byte(text, len, spans[i], scratch);
	}

	/* And every other byte: the format line, keys, lengths, separators. */
	for (size_t i = 0; i < len; i++) {
		bool in_field = i >= sig.start && i <= lf1; /* the untrusted comment */
		for (size_t k = 0; k < ns && !in_field; k++)
			in_field = i >= spans[k].start && i < spans[k].end;
		if (in_field)
			continue;
		tried += alter_each_byte(text, len, (struct span){"the structure", i, i + 1}, scratch);
	}
	assert_true(tried + lf1 + 1 - sig.start == len);

	/* Whole-field changes that stay well formed. */
	struct {
		const char *what, *from, *to;
	} swaps[] = {
		{"kind", "\nkind: decision\n", "\nkind: statement\n"},
		{"lang", "\nlang: ar\n", "\nlang: en\n"},
		{"seq to another record", "\nseq: 6\n", "\nseq: 7\n"},
		{"seq beyond the count", "\nseq: 6\n", "\nseq: 15\n"},
		{"records count", "\nrecords: 14 ", "\nrecords: 13 "},
		{"records count", "\nrecords: 14 ", "\nrecords: 15 "},
	};
	for (size_t i = 0; i < sizeof swaps / sizeof *swaps; i++) {
		const char *at = memmem(text, len, swaps[i].from, strlen(swaps[i].from));
		if (!at)
			fail_msg("no '%s' in the proof", swaps[i].from);
		size_t off = (size_t)(at - text), fl = strlen(swaps[i].from), tl = strlen(swaps[i].to);
		char *t = malloc(len - fl + tl);
		assert_non_null(t);
		memcpy(t, text, off);
		memcpy(t + off, swaps[i].to, tl);
		memcpy(t + off + tl, text + off + fl, len - off - fl);
		expect_refused(t, len - fl + tl, swaps[i].what, off);
		free(t);
	}

	/* Structural changes made on the parsed proof: a path hash dropped, one added, two
	 * swapped; the body cut by one byte. */
	struct record_proof q;
	struct err e;
	size_t ql;
	char *qt;
	assert_int_equal(record_proof_parse(text, len, &q, &e), 0);
	q.npath--;
	qt = proof_text(&q, &ql);
	expect_refused(qt, ql, "a path hash dropped", 0);
	free(qt);
	q.npath++;
	uint8_t (*longer)[32] = malloc((q.npath + 1) * 32);
	assert_non_null(longer);
	memcpy(longer, q.path, q.npath * 32);
	memcpy(longer[q.npath], q.path[0], 32);
	uint8_t (*saved)[32] = q.path;
	q.path = longer;
	q.npath++;
	qt = proof_text(&q, &ql);
	expect_refused(qt, ql, "a path hash added", 0);
	free(qt);
	q.npath--;
	uint8_t tmp[32];
	memcpy(tmp, q.path[0], 32);
	memcpy(q.path[0], q.path[1], 32);
	memcpy(q.path[1], tmp, 32);
	qt = proof_text(&q, &ql);
	expect_refused(qt, ql, "two path hashes swapped", 0);
	free(qt);
	q.path = saved;
	free(longer);
	q.body_len--;
	qt = proof_text(&q, &ql);
	expect_refused(qt, ql, "the body cut short", 0);
	free(qt);
	q.body_len++;
	record_proof_free(&q);

	/* Every truncation, and anything appended, is malformed. */
	for (size_t cut = 0; cut < len; cut++) {
		struct record_proof t;
		err_clear(&e);
		if (record_proof_parse(text, cut, &t, &e) == 0)
			fail_msg("the proof cut to %zu of %zu bytes parses", cut, len);
		assert_int_equal(e.code, ERR_FORMAT);
	}
	memcpy(scratch, text, len);
	scratch[len] = '\n';
	expect_refused(scratch, len + 1, "a newline appended", len);

	free(scratch);
	free(text);
	record_proof_free(&p);
	bundle_free(&b);
}

/* ---- a proof moved to another bundle ---------------------------------------------------- */

static void copy_str(char **dst, const char *src, size_t n)
{
	free(*dst);
	*dst = malloc(n + 1);
	assert_non_null(*dst);
	memcpy(*dst, src, n);
	(*dst)[n] = '\0';
}

static void test_moved_to_another_bundle(void **state)
{
	(void)state;
	struct bundle a, b;
	uint8_t seed[32];
	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	randombytes_buf(seed, 32);
	randombytes_buf(a.id, 16);
	memcpy(b.id, a.id, 16);
	b.id[15] ^= 1;
	/* The same outcome, the same salts: only the bundle id differs. */
	outcome_synth(&a, 9);
	outcome_synth(&b, 9);
	bundle_seal(&a, issuer_sk, seed);
	bundle_seal(&b, issuer_sk, seed);
	assert_memory_equal(a.salts, b.salts, 9 * 32);
	for (size_t i = 0; i < 9; i++)
		assert_memory_not_equal(a.leaves[i], b.leaves[i], 32);
	assert_memory_not_equal(a.root, b.root, 32);

	for (uint64_t seq = 1; seq <= 9; seq++) {
		struct record_proof pa, pb, x;
		size_t len;
		char *t;
		proof_build(&a, seq, &pa);
		proof_build(&b, seq, &pb);
		t = proof_text(&pa, &len);
		expect_accepted(t, len, "the proof from bundle a");
		free(t);
		t = proof_text(&pb, &len);
		expect_accepted(t, len, "the proof from bundle b");
		free(t);
		assert_string_equal(pa.title, pb.title);
		assert_memory_equal(pa.salt, pb.salt, 32);

		/* a's record, salt and path, presented as b's: b's id, root, envelope, signature. */
		proof_build(&a, seq, &x);
		memcpy(x.bundle_id, pb.bundle_id, 33);
		memcpy(x.root, pb.root, 32);
		x.count = pb.count;
		copy_str(&x.envelope, pb.envelope, pb.envelope_len);
		copy_str(&x.signature, pb.signature, pb.signature_len);
		t = proof_text(&x, &len);
		expect_refused(t, len, "a's record under b's envelope", (size_t)seq);
		free(t);
		record_proof_free(&x);

		/* b's envelope alone, a's bundle id kept. */
		proof_build(&a, seq, &x);
		copy_str(&x.envelope, pb.envelope, pb.envelope_len);
		copy_str(&x.signature, pb.signature, pb.signature_len);
		t = proof_text(&x, &len);
		expect_refused(t, len, "b's envelope, a's bundle id", (size_t)seq);
		free(t);
		record_proof_free(&x);

		/* b's envelope and root, a's bundle id. */
		proof_build(&a, seq, &x);
		memcpy(x.root, pb.root, 32);
		copy_str(&x.envelope, pb.envelope, pb.envelope_len);
		copy_str(&x.signature, pb.signature, pb.signature_len);
		t = proof_text(&x, &len);
		expect_refused(t, len, "b's envelope and root, a's bundle id", (size_t)seq);
		free(t);
		record_proof_free(&x);

		/* b's bundle id on a's proof. */
		proof_build(&a, seq, &x);
		memcpy(x.bundle_id, pb.bundle_id, 33);
		t = proof_text(&x, &len);
		expect_refused(t, len, "b's bundle id on a's proof", (size_t)seq);
		free(t);
		record_proof_free(&x);

		record_proof_free(&pa);
		record_proof_free(&pb);
	}
	bundle_free(&a);
	bundle_free(&b);
}

/* ---- Arabic bodies byte for byte --------------------------------------------------------- */

static void test_arabic_round_trip(void **state)
{
	(void)state;
	static const char body1[] =
		"يُوصِي المُؤْتَمَرُ بِتَعْزِيزِ التَّعَاوُنِ الأَمْنِيِّ العَرَبِيِّ.\n" /* harakat, shadda, sukun */
		"انعقد المـــــؤتمر في تونس، وشاركت فيه مُنَظَّمَةٌ دَوْلِيَّةٌ؟\n"   /* tatweel, tanwin */
		"UN Office of Counter-Terrorism (UNOCT) ومكتب الأمم المتحدة لمكافحة الإرهاب ٢٠٢٤ / 2024\n"
		"\xe2\x80\x8f" "علامة RLM و\xe2\x80\x8e" "LRM marks\r\n" /* explicit direction marks, CRLF */
		"\t« اقتباس » \xd9\xb0 ٱلْحَمْدُ\n\n";                    /* tab, guillemets, dagger alef */
	static const char body2[] = "\nenvelope: 3\nabc\nbody: 1\nx\nenvelope.minisig: 0\n\n";
	static const char body3[] = "";
	static const char body4[] = "\n";
	static const char title1[] = "تَوْصِيَةٌ بشأن UNOCT ـ مكتب الأمم المتحدة (٢٠٢٤)";
	const char *bodies[] = {body1, body2, body3, body4};
	const size_t lens[] = {sizeof body1 - 1, sizeof body2 - 1, 0, 1};

	struct bundle b;
	uint8_t seed[32];
	memset(&b, 0, sizeof b);
	randombytes_buf(b.id, 16);
	randombytes_buf(seed, 32);
	outcome_shell(&b, 4);
	set_record(&b.recs[0], "recommendation", "ar", title1, body1, lens[0]);
	set_record(&b.recs[1], "statement", "ar-EG", "بيان: envelope: 3", body2, lens[1]);
	set_record(&b.recs[2], "decision", "ar", "قرارٌ بلا نص", body3, lens[2]);
	set_record(&b.recs[3], "summary", "en", "A line feed only", body4, lens[3]);
	bundle_seal(&b, issuer_sk, seed);

	for (uint64_t seq = 1; seq <= 4; seq++) {
		struct record_proof p, q;
		struct envelope env;
		struct err e;
		size_t len, len2;
		proof_build(&b, seq, &p);
		char *text = proof_text(&p, &len);
		/* The body is in the file verbatim, after its length. */
		char head[64];
		int hl = snprintf(head, sizeof head, "\nbody: %zu\n", lens[seq - 1]);
		const char *at = memmem(text, len, head, (size_t)hl);
		assert_non_null(at);
		assert_memory_equal(at + hl, bodies[seq - 1], lens[seq - 1]);
		assert_int_equal(at[hl + (int)lens[seq - 1]], '\n');

		if (record_proof_parse(text, len, &q, &e) != 0)
			fail_msg("record %llu: %s", (unsigned long long)seq, e.msg);
		assert_int_equal(q.body_len, lens[seq - 1]);
		assert_memory_equal(q.body, bodies[seq - 1], lens[seq - 1]);
		assert_int_equal(q.body[q.body_len], '\0');
		assert_string_equal(q.title, b.recs[seq - 1].title);
		assert_string_equal(q.lang, b.recs[seq - 1].lang);
		char *text2 = proof_text(&q, &len2);
		assert_int_equal(len2, len);
		assert_memory_equal(text2, text, len);
		if (record_proof_check(&q, &issuer_pub, &env, &e) != 0)
			fail_msg("record %llu refused: %s", (unsigned long long)seq, e.msg);
		envelope_free(&env);
		free(text);
		free(text2);
		record_proof_free(&p);
		record_proof_free(&q);
	}
	bundle_free(&b);
}

/* The longest body and title an outcome may have (outcome.h) fit in a proof. */
static void test_largest_record(void **state)
{
	(void)state;
	static const char unit[] = "مُؤْتَمَرٌ "; /* 19 bytes */
	char *body = malloc(OUTCOME_TEXT_MAX + 1), *title = malloc(OUTCOME_LINE_MAX + 1);
	assert_non_null(body);
	assert_non_null(title);
	size_t n = 0;
	while (n + sizeof unit - 1 <= OUTCOME_TEXT_MAX) {
		memcpy(body + n, unit, sizeof unit - 1);
		n += sizeof unit - 1;
	}
	while (n < OUTCOME_TEXT_MAX)
		body[n++] = '\n';
	body[n] = '\0';
	memset(title, 'x', OUTCOME_LINE_MAX);
	memcpy(title, "عنوان", 10);
	title[OUTCOME_LINE_MAX] = '\0';

	struct bundle b;
	uint8_t seed[32];
	memset(&b, 0, sizeof b);
	randombytes_buf(b.id, 16);
	randombytes_buf(seed, 32);
	outcome_shell(&b, 2);
	set_record(&b.recs[0], "recommendation", "ar", title, body, OUTCOME_TEXT_MAX);
	synth_record(&b.recs[1], 2);
	bundle_seal(&b, issuer_sk, seed);

	struct record_proof p, q;
	struct envelope env;
	struct err e;
	size_t len;
	proof_build(&b, 1, &p);
	char *text = proof_text(&p, &len);
	if (record_proof_parse(text, len, &q, &e) != 0)
		fail_msg("a %u-byte body: %s", OUTCOME_TEXT_MAX, e.msg);
	assert_int_equal(q.body_len, OUTCOME_TEXT_MAX);
	assert_memory_equal(q.body, body, OUTCOME_TEXT_MAX);
	assert_string_equal(q.title, title);
	if (record_proof_check(&q, &issuer_pub, &env, &e) != 0)
		fail_msg("refused: %s", e.msg);
	envelope_free(&env);
	record_proof_free(&q);
	record_proof_free(&p);
	free(text);
	free(body);
	free(title);
	bundle_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_salt_by_hand),
		cmocka_unit_test(test_salt_determinism_and_independence),
		cmocka_unit_test(test_leaf_by_hand),
		cmocka_unit_test(test_leaf_by_hand_lengths),
		cmocka_unit_test(test_leaf_unambiguous),
		cmocka_unit_test(test_proofs_every_record_1_to_33),
		cmocka_unit_test(test_each_field_altered),
		cmocka_unit_test(test_moved_to_another_bundle),
		cmocka_unit_test(test_arabic_round_trip),
		cmocka_unit_test(test_largest_record),
	};
	return cmocka_run_group_tests_name("record", tests, group_setup, group_teardown);
}
