/*
 * test_note.c - C2SP signed notes, checkpoints and cosignatures: every example of
 * tests/vectors/note reproduced byte for byte (signing is deterministic), every malformed
 * note the Go tests list refused, and each part of a signed, cosigned checkpoint tampered
 * with in turn.
 */
#include "tests/unit/unit.h"
#include "vault/base64.h"
#include "vault/merkle.h"
#include "vault/note.h"

#include <stdbool.h>

#define VEC "tests/vectors/note/"
#define DASH "\xe2\x80\x94 "

static const char peter_text[] =
	"If you think cryptography is the answer to your problem,\n"
	"then you don't know what your problem is.\n";
static const char peter_line[] =
	DASH "PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngot"
	     "pRZb6KE6RyyBwJnAM=\n";
static const char enoch_line[] =
	DASH "EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnW"
	     "Lox33WWd1RvMc+QQ=\n";
/* PeterNeumann's secret: the Go signer key string, and the Ed25519 seed inside it. */
static const char peter_skey[] =
	"PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
static const char peter_seed_hex[] =
	"810a1402d5146c8d84f2443330f54080ebf98ee17d9c74f6252fc5d5c7283173";
static const char test_log_skey[] =
	"PRIVATE+KEY+example.com/test-log+fc8658e2+AQABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f";

/* ---- helpers ---- */

static char *vec(const char *name, size_t *len)
{
	char path[256];
	snprintf(path, sizeof path, VEC "%s", name);
	return (char *)unit_slurp(path, len);
}

static void load_vkey(struct note_vkey *k, const char *name)
{
	size_t len;
	char *s = vec(name, &len);
	assert_true(len > 0 && s[len - 1] == '\n');
	struct err e;
	if (note_vkey_parse(k, s, len - 1, &e) != 0)
		fail_msg("%s: %s", name, e.msg);
	free(s);
}

/* A secret seed in sodium_malloc memory: given as hex, or as bytes first, first+1, ... */
static uint8_t *seed_hex(const char *hex)
{
	uint8_t *s = sodium_malloc(32);
	assert_non_null(s);
	size_t n;
	unsigned char *b = unit_hex(hex, &n);
	assert_int_equal(n, 32);
	memcpy(s, b, 32);
	sodium_memzero(b, n);
	free(b);
	return s;
}

static uint8_t *seed_counting(uint8_t first)
{
	uint8_t *s = sodium_malloc(32);
	assert_non_null(s);
	for (int i = 0; i < 32; i++)
		s[i] = (uint8_t)(first + i);
	return s;
}

static void public_of(const uint8_t *seed, uint8_t pk[32])
{
	uint8_t *sk = sodium_malloc(64);
	assert_non_null(sk);
	crypto_sign_seed_keypair(pk, sk, seed);
	sodium_free(sk);
}

/* Concatenates up to four strings into a new malloc'd one. */
static char *cat(const char *a, const char *b, const char *c, const char *d, size_t *len)
{
	const char *p[4] = {a, b, c, d};
	size_t n = 0;
	for (int i = 0; i < 4; i++)
		n += p[i] ? strlen(p[i]) : 0;
	char *s = malloc(n + 1);
	assert_non_null(s);
	s[0] = '\0';
	for (int i = 0; i < 4; i++)
		if (p[i])
			strcat(s, p[i]);
	if (len)
		*len = n;
	return s;
}

/* Parses msg (NUL-terminated) and verifies it with keys; returns note_verify's result, or
 * -2 when the note does not even parse. */
static int open_note(const char *msg, size_t len, const struct note_vkey *keys, size_t nkeys,
		     bool *verified, struct err *e)
{
	struct note n;
	note_init(&n);
	if (note_parse(&n, msg, len, e) != 0) {
		assert_int_equal(e->code, ERR_FORMAT);
		return -2;
	}
	int rc = note_verify(&n, keys, nkeys, verified, e);
	if (rc != 0)
		assert_int_equal(e->code, ERR_VERIFY);
	note_free(&n);
	return rc;
}

/* ---- key ids and verifier keys ---- */

static void test_key_ids(void **state)
{
	(void)state;
	size_t n;
	unsigned char *pk = unit_hex("1a5cd907143c384c41e830c5bce12aa8817ec5649aaabf2c31388b35b2d744d6", &n);
	assert_int_equal(note_key_id("PeterNeumann", 12, NOTE_TYPE_ED25519, pk), 0xc74f20a3);
	/* The name is hashed with its length, not up to a NUL. */
	assert_int_not_equal(note_key_id("PeterNeumann", 11, NOTE_TYPE_ED25519, pk), 0xc74f20a3);
	free(pk);
	pk = unit_hex("e932791ae6e7a840a46164c904786426d5e7821dd8b29a00d61cae72afdd4da4", &n);
	assert_int_equal(note_key_id("example.com/foo", 15, NOTE_TYPE_ED25519, pk), 0x530d903a);
	free(pk);
	pk = unit_hex("03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8", &n);
	assert_int_equal(note_key_id("example.com/test-log", 20, NOTE_TYPE_ED25519, pk),
			 0xfc8658e2);
	free(pk);
	pk = unit_hex("29acbae141bccaf0b22e1a94d34d0bc7361e526d0bfe12c89794bc9322966dd7", &n);
	assert_int_equal(note_key_id("witness.example.com/w1", 22, NOTE_TYPE_COSIG, pk),
			 0x969980cf);
	/* The same key as a note signer gets another id. */
	assert_int_not_equal(note_key_id("witness.example.com/w1", 22, NOTE_TYPE_ED25519, pk),
			     0x969980cf);
	free(pk);
}

static void test_vkey_files(void **state)
{
	(void)state;
	static const struct {
		const char *file, *name, *pub;
		uint8_t type;
		uint32_t id;
	} keys[] = {
		{"peter_neumann.vkey", "PeterNeumann",
		 "1a5cd907143c384c41e830c5bce12aa8817ec5649aaabf2c31388b35b2d744d6",
		 NOTE_TYPE_ED25519, 0xc74f20a3},
		{"enoch_root.vkey", "EnochRoot", NULL, NOTE_TYPE_ED25519, 0xaf0cfe78},
		{"c2sp_foo.vkey", "example.com/foo",
		 "e932791ae6e7a840a46164c904786426d5e7821dd8b29a00d61cae72afdd4da4",
		 NOTE_TYPE_ED25519, 0x530d903a},
		{"test_log.vkey", "example.com/test-log",
		 "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8",
		 NOTE_TYPE_ED25519, 0xfc8658e2},
		{"witness_w1.vkey", "witness.example.com/w1",
		 "29acbae141bccaf0b22e1a94d34d0bc7361e526d0bfe12c89794bc9322966dd7",
		 NOTE_TYPE_COSIG, 0x969980cf},
	};
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		struct note_vkey k, again;
		struct err e;
		load_vkey(&k, keys[i].file);
		assert_string_equal(k.name, keys[i].name);
		assert_int_equal(k.type, keys[i].type);
		assert_int_equal(k.key_id, keys[i].id);
		if (keys[i].pub)
			assert_hex_equal(k.pub, 32, keys[i].pub);
		/* Formatting gives back the file's line, byte for byte. */
		char out[NOTE_VKEY_MAX + 1];
		assert_int_equal(note_vkey_format(&k, out, sizeof out, &e), 0);
		size_t len;
		char *s = vec(keys[i].file, &len);
		s[len - 1] = '\0';
		assert_string_equal(out, s);
		free(s);
		/* And building the key from its parts gives the same key. */
		assert_int_equal(note_vkey_make(&again, k.name, k.type, k.pub, &e), 0);
		assert_memory_equal(&again, &k, sizeof k);
		/* Too small a buffer is refused, not overrun. */
		assert_int_equal(note_vkey_format(&k, out, strlen(out), &e), -1);
		assert_int_equal(e.code, ERR_INTERNAL);
	}
}

static void test_vkey_malformed(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"",
		"PeterNeumann",
		"PeterNeumann+c74f20a3",
		"PeterNeumann+c74f20a3+",
		"+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",     /* empty name */
		"Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", /* space */
		"PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", /* upper hex */
		"PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  /* 7 digits */
		"PeterNeumann+0c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
		"PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", /* wrong id */
		"PeterNeumanN+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", /* other name */
		"PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TX", /* other key */
		"PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T",  /* short */
		"PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW\n",
		"PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWAA==",
		"PeterNeumann+c74f20a3+Ahpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", /* type 2 */
		"PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq_LDE4izWy10TW", /* URL b64 */
		("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izW\xd1\xae" "0TW"),
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct note_vkey k;
		struct err e;
		err_clear(&e);
		if (note_vkey_parse(&k, bad[i], strlen(bad[i]), &e) != -1)
			fail_msg("accepted bad verifier key %zu: %s", i, bad[i]);
		assert_int_equal(e.code, ERR_FORMAT);
	}
	/* A name of NOTE_NAME_MAX bytes is fine, one more is not. */
	uint8_t pk[32] = {1};
	char name[NOTE_NAME_MAX + 2];
	memset(name, 'n', sizeof name);
	name[NOTE_NAME_MAX] = '\0';
	struct note_vkey k;
	struct err e;
	assert_int_equal(note_vkey_make(&k, name, NOTE_TYPE_ED25519, pk, &e), 0);
	char out[NOTE_VKEY_MAX + 1];
	assert_int_equal(note_vkey_format(&k, out, sizeof out, &e), 0);
	assert_int_equal(strlen(out), NOTE_VKEY_MAX);
	struct note_vkey back;
	assert_int_equal(note_vkey_parse(&back, out, strlen(out), &e), 0);
	assert_memory_equal(&back, &k, sizeof k);
	name[NOTE_NAME_MAX] = 'n';
	name[NOTE_NAME_MAX + 1] = '\0';
	assert_int_equal(note_vkey_make(&k, name, NOTE_TYPE_ED25519, pk, &e), -1);
	assert_int_equal(note_vkey_make(&k, "a+b", NOTE_TYPE_ED25519, pk, &e), -1);
	assert_int_equal(note_vkey_make(&k, "ok", 0x02, pk, &e), -1);
	assert_int_equal(e.code, ERR_FORMAT);
}

static void test_name_rules(void **state)
{
	(void)state;
	static const char *const good[] = {
		"a", "PeterNeumann", "example.com/log42", "\xd8\xa3\xd9\x85\xd8\xa7\xd9\x86\xd8\xa9",
		"oid/1.3.6.1", "x\x7fy", "\xe2\x80\x94",
	};
	static const char *const bad[] = {
		"", "a b", "a+b", "a\tb", "a\nb", "a\rb", "a\x01" "b", "a\xc2\xa0" "b" /* NBSP */,
		"a\xe3\x80\x80" "b" /* ideographic space */, "a\xe2\x80\xa8" "b" /* LS */,
		"a\xe2\x80\x83" "b" /* em space */, "a\xe2\x80\xaf" "b" /* narrow NBSP */,
		"a\xe2\x81\x9f" "b" /* medium math space */, "a\xe1\x9a\x80" "b" /* ogham */, "a\xc2\x85" "b" /* NEL */, "\xff",
		"\xc0\xaf" /* overlong */, "\xed\xa0\x80" /* surrogate */,
	};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		assert_true(note_name_valid(good[i], strlen(good[i])));
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (note_name_valid(bad[i], strlen(bad[i])))
			fail_msg("accepted bad key name %zu", i);
}

/* The signer key strings of EXAMPLE.md hold the seeds used below (split at the first four
 * '+': the base64 may hold more). */
static void test_signer_key_strings(void **state)
{
	(void)state;
	static const struct {
		const char *skey, *name, *vkey;
		int seed; /* -1: peter_seed_hex; else the first byte of a counting seed */
	} sk[] = {
		{peter_skey, "PeterNeumann", "peter_neumann.vkey", -1},
		{test_log_skey, "example.com/test-log", "test_log.vkey", 0x00},
	};
	for (size_t i = 0; i < sizeof sk / sizeof sk[0]; i++) {
		const char *s = sk[i].skey, *p = s;
		for (int plus = 0; plus < 4; plus++) {
			p = strchr(p, '+');
			assert_non_null(p);
			p++;
		}
		assert_memory_equal(s, "PRIVATE+KEY+", 12);
		assert_memory_equal(s + 12, sk[i].name, strlen(sk[i].name));
		uint8_t *raw = sodium_malloc(33);
		assert_non_null(raw);
		assert_int_equal(b64_decode_exact(raw, 33, p, strlen(p), B64_PADDED), 0);
		assert_int_equal(raw[0], NOTE_TYPE_ED25519);
		uint8_t *want = sk[i].seed < 0 ? seed_hex(peter_seed_hex)
					       : seed_counting((uint8_t)sk[i].seed);
		assert_int_equal(sodium_memcmp(raw + 1, want, 32), 0);
		struct note_vkey k;
		load_vkey(&k, sk[i].vkey);
		uint8_t pk[32];
		public_of(want, pk);
		assert_memory_equal(pk, k.pub, 32);
		sodium_free(raw);
		sodium_free(want);
	}
}

/* ---- Example 1: PeterNeumann and EnochRoot ---- */

static void test_peter_sign(void **state)
{
	(void)state;
	uint8_t *seed = seed_hex(peter_seed_hex);
	char *line;
	size_t len;
	struct err e;
	assert_int_equal(note_sign("PeterNeumann", seed, 32, peter_text, strlen(peter_text), &line,
				   &len, &e), 0);
	assert_int_equal(len, strlen(peter_line));
	assert_string_equal(line, peter_line);
	/* The whole note equals the vector file. */
	size_t flen;
	char *file = vec("peter_neumann.note", &flen);
	size_t nlen;
	char *note = cat(peter_text, "\n", line, NULL, &nlen);
	assert_int_equal(nlen, flen);
	assert_memory_equal(note, file, flen);
	free(note);
	free(file);
	free(line);

	/* A 64-byte libsodium secret key signs the same. */
	uint8_t *sk = sodium_malloc(64);
	uint8_t pk[32];
	assert_non_null(sk);
	crypto_sign_seed_keypair(pk, sk, seed);
	assert_int_equal(note_sign("PeterNeumann", sk, 64, peter_text, strlen(peter_text), &line,
				   &len, &e), 0);
	assert_string_equal(line, peter_line);
	free(line);
	/* A damaged one (public half not matching the seed) is refused. */
	sk[40] ^= 1;
	assert_int_equal(note_sign("PeterNeumann", sk, 64, peter_text, strlen(peter_text), &line,
				   &len, &e), -1);
	assert_int_equal(e.code, ERR_KEY);
	assert_null(line);
	assert_int_equal(note_sign("PeterNeumann", sk, 63, peter_text, strlen(peter_text), &line,
				   &len, &e), -1);
	assert_int_equal(e.code, ERR_KEY);
	sodium_free(sk);
	sodium_free(seed);
}

static void test_peter_verify(void **state)
{
	(void)state;
	struct note_vkey peter;
	load_vkey(&peter, "peter_neumann.vkey");
	size_t len;
	char *msg = vec("peter_neumann.note", &len);
	struct note n;
	struct err e;
	note_init(&n);
	assert_int_equal(note_parse(&n, msg, len, &e), 0);
	assert_int_equal(n.text_len, strlen(peter_text));
	assert_string_equal(n.text, peter_text);
	assert_int_equal(n.nsigs, 1);
	assert_string_equal(n.sigs[0].name, "PeterNeumann");
	assert_int_equal(n.sigs[0].key_id, 0xc74f20a3);
	assert_int_equal(n.sigs[0].blob_len, 68);
	bool ok[1];
	assert_int_equal(note_verify(&n, &peter, 1, ok, &e), 0);
	assert_true(ok[0]);
	note_free(&n);
	assert_null(n.text);
	assert_int_equal(n.nsigs, 0);
	free(msg);
}

static void test_enoch_root(void **state)
{
	(void)state;
	struct note_vkey keys[2], foo;
	load_vkey(&keys[0], "peter_neumann.vkey");
	load_vkey(&keys[1], "enoch_root.vkey");
	load_vkey(&foo, "c2sp_foo.vkey");
	size_t len;
	char *msg = vec("peter_neumann_enoch_root.note", &len);
	struct note n;
	struct err e;
	bool ok[2];
	note_init(&n);
	assert_int_equal(note_parse(&n, msg, len, &e), 0);
	assert_int_equal(n.nsigs, 2);
	assert_string_equal(n.sigs[1].name, "EnochRoot");
	assert_int_equal(n.sigs[1].key_id, 0xaf0cfe78);
	/* Only Peter known: one verified, Enoch's left unverified (ignored). */
	assert_int_equal(note_verify(&n, &keys[0], 1, ok, &e), 0);
	assert_true(ok[0]);
	/* Only Enoch known. */
	assert_int_equal(note_verify(&n, &keys[1], 1, ok, &e), 0);
	assert_true(ok[0]);
	assert_int_equal(note_verify(&n, keys, 2, ok, &e), 0);
	assert_true(ok[0] && ok[1]);
	/* No known key: refused. */
	assert_int_equal(note_verify(&n, &foo, 1, ok, &e), -1);
	assert_int_equal(e.code, ERR_VERIFY);
	assert_false(ok[0]);
	assert_int_equal(note_verify(&n, NULL, 0, NULL, &e), -1);
	assert_int_equal(e.code, ERR_VERIFY);
	note_free(&n);
	free(msg);

	/* Enoch's line alone over the text. */
	char *only = cat(peter_text, "\n", enoch_line, NULL, &len);
	assert_int_equal(open_note(only, len, keys, 2, ok, &e), 0);
	assert_false(ok[0]);
	assert_true(ok[1]);
	free(only);
}

/* Example 2: the C2SP signed-note example. */
static void test_c2sp_example(void **state)
{
	(void)state;
	struct note_vkey foo;
	load_vkey(&foo, "c2sp_foo.vkey");
	size_t len;
	char *msg = vec("c2sp_foo.note", &len);
	struct note n;
	struct err e;
	note_init(&n);
	assert_int_equal(note_parse(&n, msg, len, &e), 0);
	assert_string_equal(n.text, "This is an example message.\n");
	assert_int_equal(n.nsigs, 1);
	assert_int_equal(n.sigs[0].key_id, 0x530d903a);
	assert_int_equal(n.sigs[0].blob_len, 68);
	assert_int_equal(note_verify(&n, &foo, 1, NULL, &e), 0);
	note_free(&n);
	free(msg);
}

/* The malformed notes of the Go tests, and more. */
static void test_malformed_notes(void **state)
{
	(void)state;
	struct note_vkey peter;
	load_vkey(&peter, "peter_neumann.vkey");
	const char *T = peter_text, *S = peter_line;
	char *s_no_nl = strdup(S);
	s_no_nl[strlen(s_no_nl) - 1] = '\0';
	char *bad_name = cat(DASH "Bad Name", strchr(S + 4, ' '), NULL, NULL, NULL);
	struct {
		const char *what;
		char *msg;
	} cases[] = {
		{"text alone", cat(T, NULL, NULL, NULL, NULL)},
		{"text and blank line", cat(T, "\n", NULL, NULL, NULL)},
		{"signature line without newline", cat(T, "\n", s_no_nl, NULL, NULL)},
		{"leading 0x01", cat("\x01", T, "\n", S, NULL)},
		{"leading 0xff", cat("\xff", T, "\n", S, NULL)},
		{"key name with a space", cat(T, "\n", bad_name, NULL, NULL)},
		{"line after the signatures", cat(T, "\n", S, "not a signature\n", NULL)},
		{"text after the last newline", cat(T, "\n", S, "x", NULL)},
		{"carriage return", cat("a\r\n", "\n", S, NULL, NULL)},
		{"tab", cat("a\tb\n", "\n", S, NULL, NULL)},
		{"NUL", cat("a", "\n\n", S, NULL, NULL)}, /* completed below */
		{"overlong UTF-8", cat("\xc0\xaf\n", "\n", S, NULL, NULL)},
		{"surrogate", cat("\xed\xa0\x80\n", "\n", S, NULL, NULL)},
		{"truncated UTF-8", cat(T, "\n", S, "\xe2\x80", NULL)},
		{"hyphen instead of em dash", cat(T, "\n", "- PeterNeumann", strchr(S + 4, ' '), NULL)},
		{"no space after the dash", cat(T, "\n", "\xe2\x80\x94PeterNeumann", strchr(S + 4, ' '),
						NULL)},
		{"empty key name", cat(T, "\n", DASH, strchr(S + 4, ' '), NULL)},
		{"no signature", cat(T, "\n", DASH "PeterNeumann\n", NULL, NULL)},
		{"empty signature", cat(T, "\n", DASH "PeterNeumann \n", NULL, NULL)},
		{"'+' in key name", cat(T, "\n", DASH "Peter+Neumann", strchr(S + 4, ' '), NULL)},
		{"NBSP in key name", cat(T, "\n", DASH "Peter\xc2\xa0Neumann", strchr(S + 4, ' '), NULL)},
		{"two spaces", cat(T, "\n", DASH "PeterNeumann ", strchr(S + 4, ' '), NULL)},
		{"signature of 4 bytes", cat(T, "\n", DASH "PeterNeumann x08gow==\n", NULL, NULL)},
		{"non-canonical base64", cat(T, "\n", DASH "PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAN=\n", NULL, NULL)},
		{"unpadded base64", cat(T, "\n", DASH "PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM\n", NULL, NULL)},
		{"base64 with a trailing space", cat(T, "\n", DASH "PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM= \n", NULL, NULL)},
		{"empty input", cat("", NULL, NULL, NULL, NULL)},
		/* libsodium 1.0.18 alone would decode these: it takes every byte from 0x80 up for
		 * some base64 digit. */
		{"em dash inside base64", cat(T, "\n", DASH "PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6Ryy\xe2\x80\x94JnAM=\n", NULL, NULL)},
		{"U+046E inside base64", cat(T, "\n", DASH "PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBw\xd1\xae" "AM=\n", NULL, NULL)},
	};
	size_t ncases = sizeof cases / sizeof cases[0];
	for (size_t i = 0; i < ncases; i++) {
		size_t len = strlen(cases[i].msg);
		if (strcmp(cases[i].what, "NUL") == 0)
			cases[i].msg[0] = '\0'; /* "\0\n\n— ..." */
		struct note n;
		struct err e;
		note_init(&n);
		err_clear(&e);
		if (note_parse(&n, cases[i].msg, len, &e) != -1)
			fail_msg("parsed a malformed note: %s", cases[i].what);
		assert_int_equal(e.code, ERR_FORMAT);
		assert_null(n.text);
		assert_null(n.sigs);
		free(cases[i].msg);
	}
	free(s_no_nl);
	free(bad_name);

	/* 100 signature lines are fine, 101 are not. */
	size_t tl = strlen(T), sl = strlen(S);
	char *many = malloc(tl + 1 + 101 * sl + 1);
	assert_non_null(many);
	memcpy(many, T, tl);
	many[tl] = '\n';
	for (size_t i = 0; i < 101; i++)
		memcpy(many + tl + 1 + i * sl, S, sl);
	struct err e;
	bool ok;
	assert_int_equal(open_note(many, tl + 1 + 100 * sl, &peter, 1, &ok, &e), 0);
	assert_true(ok);
	assert_int_equal(open_note(many, tl + 1 + 101 * sl, &peter, 1, &ok, &e), -2);
	free(many);
}

/* Where the blank lines are: the text may hold empty lines, and the signatures begin after
 * the last one, so a signature-looking line in the text stays text. */
static void test_blank_lines(void **state)
{
	(void)state;
	uint8_t *seed = seed_counting(0x40);
	static const char *const texts[] = {
		"\n",
		"a\n\nb\n",
		"a\n\n",
		"first\n\n" DASH "PeterNeumann AAAAAAAA\n",
		"\xd8\xa7\xd9\x84\xd9\x85\xd8\xa4\xd8\xaa\xd9\x85\xd8\xb1 \xd8\xa7\xd9\x84\xd8\xb1\xd8\xa7\xd8\xa8\xd8\xb9 \xd9\x88\xd8\xa7\xd9\x84\xd8\xb9\xd8\xb4\xd8\xb1\xd9\x88\xd9\x86\n",
	};
	uint8_t pk[32];
	public_of(seed, pk);
	struct note_vkey k;
	struct err e;
	assert_int_equal(note_vkey_make(&k, "amana.example/log", NOTE_TYPE_ED25519, pk, &e), 0);
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		char *line;
		size_t len;
		assert_int_equal(note_sign(k.name, seed, 32, texts[i], strlen(texts[i]), &line, &len,
					   &e), 0);
		char *msg = cat(texts[i], "\n", line, NULL, &len);
		struct note n;
		note_init(&n);
		assert_int_equal(note_parse(&n, msg, len, &e), 0);
		assert_string_equal(n.text, texts[i]);
		assert_int_equal(n.nsigs, 1);
		assert_int_equal(note_verify(&n, &k, 1, NULL, &e), 0);
		note_free(&n);
		free(msg);
		free(line);
	}
	sodium_free(seed);
}

/* Known key, bad signature: the whole note is refused, whatever else verifies. */
static void test_known_key_bad_signature(void **state)
{
	(void)state;
	struct note_vkey keys[2];
	load_vkey(&keys[0], "peter_neumann.vkey");
	load_vkey(&keys[1], "enoch_root.vkey");
	struct err e;
	bool ok[2];
	size_t len;
	/* Each base64 character of Peter's signature (after the key id) changed. */
	const char *sig64 = strchr(peter_line + 4, ' ') + 1;
	size_t b64len = strlen(sig64) - 1;
	for (size_t i = 8; i < b64len - 1; i++) {
		char *line = strdup(peter_line);
		char *c = line + (sig64 - peter_line) + i;
		*c = *c == 'A' ? 'B' : 'A';
		char *msg = cat(peter_text, "\n", line, NULL, &len);
		int rc = open_note(msg, len, keys, 1, ok, &e);
		/* The last characters may make the base64 non-canonical instead. */
		assert_true(rc == -1 || rc == -2);
		free(msg);
		/* With a good signature by another known key next to it: still refused. */
		msg = cat(peter_text, "\n", enoch_line, line, &len);
		rc = open_note(msg, len, keys, 2, ok, &e);
		assert_true(rc == -1 || rc == -2);
		if (rc == -1)
			assert_false(ok[0] || ok[1]);
		free(msg);
		free(line);
	}
	/* The text changed. */
	char *msg = cat("If you think cryptography is the answer to your problem,\n"
			"then you don't know what your problem is!\n", "\n", peter_line, NULL, &len);
	assert_int_equal(open_note(msg, len, keys, 2, ok, &e), -1);
	free(msg);
	/* A signature by an unknown name or id is ignored, not an error. */
	msg = cat(peter_text, "\n", peter_line, DASH "Stranger AAAAAAAAAAA=\n", &len);
	assert_int_equal(open_note(msg, len, keys, 2, ok, &e), 0);
	free(msg);
	msg = cat(peter_text, "\n", DASH "PeterNeumann AAAAAAAAAAA=\n", peter_line, &len);
	assert_int_equal(open_note(msg, len, keys, 2, ok, &e), 0); /* id 00000000: unknown */
	free(msg);
	/* Peter's id under Enoch's name is unknown too; alone it leaves no known signature. */
	msg = cat(peter_text, "\n", DASH "EnochRoot", strchr(peter_line + 4, ' '), &len);
	assert_int_equal(open_note(msg, len, keys, 2, ok, &e), -1);
	assert_int_equal(e.code, ERR_VERIFY);
	free(msg);
	/* Peter's name and id with a 69-byte blob: known, so it must verify, and cannot. */
	uint8_t blob[69] = {0};
	const char *b64 = strchr(peter_line + 4, ' ') + 1;
	assert_int_equal(b64_decode_exact(blob, 68, b64, strlen(b64) - 1, B64_PADDED), 0);
	char enc[100];
	b64_encode(enc, sizeof enc, blob, sizeof blob, B64_PADDED);
	msg = cat(peter_text, "\n", DASH "PeterNeumann ", enc, &len);
	char *longer = cat(msg, "\n", NULL, NULL, &len);
	assert_int_equal(open_note(longer, len, keys, 2, ok, &e), -1);
	assert_int_equal(e.code, ERR_VERIFY);
	free(longer);
	free(msg);
}

static void test_sign_errors(void **state)
{
	(void)state;
	uint8_t *seed = seed_counting(1);
	char *line = (char *)"untouched";
	size_t len;
	struct err e;
	static const char *const bad_text[] = {"", "no newline", "a\r\n", "a\tb\n", "\xff\n"};
	for (size_t i = 0; i < sizeof bad_text / sizeof bad_text[0]; i++) {
		assert_int_equal(note_sign("ok", seed, 32, bad_text[i], strlen(bad_text[i]), &line,
					   &len, &e), -1);
		assert_int_equal(e.code, ERR_FORMAT);
		assert_null(line);
	}
	static const char *const bad_name[] = {"", "a b", "a+b", "a\nb"};
	for (size_t i = 0; i < sizeof bad_name / sizeof bad_name[0]; i++) {
		assert_int_equal(note_sign(bad_name[i], seed, 32, "t\n", 2, &line, &len, &e), -1);
		assert_int_equal(e.code, ERR_FORMAT);
		static const char cp[] = "o\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n";
		assert_int_equal(cosig_sign(bad_name[i], seed, 32, 1, cp, strlen(cp), &line, &len,
					    &e), -1);
		assert_int_equal(e.code, ERR_FORMAT);
	}
	assert_int_equal(note_sign("ok", seed, 0, "t\n", 2, &line, &len, &e), -1);
	assert_int_equal(e.code, ERR_KEY);
	/* No secret key material in the message. */
	assert_null(strstr(e.msg, "32"));
	sodium_free(seed);
}

/* ---- Example 3: the checkpoint and its witness cosignature ---- */

static const char test_log_text[] =
	"example.com/test-log\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n";
static const char cosig_msg[] =
	"cosignature/v1\ntime 1700000000\n"
	"example.com/test-log\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n";

/* The root of the 8-leaf tree of ../merkle, computed here. */
static void eight_leaf_root(uint8_t root[32])
{
	static const char *const data[8] = {
		"", "00", "10", "2021", "3031", "40414243", "5051525354555657",
		"606162636465666768696a6b6c6d6e6f",
	};
	struct merkle_tree t;
	merkle_tree_init(&t);
	for (int i = 0; i < 8; i++) {
		size_t n;
		unsigned char *d = unit_hex(data[i], &n);
		uint8_t h[32];
		merkle_leaf_hash(h, d, n);
		assert_int_equal(merkle_tree_append(&t, h, NULL), 0);
		free(d);
	}
	merkle_tree_root(&t, root);
}

static void test_checkpoint_example(void **state)
{
	(void)state;
	uint8_t *log_seed = seed_counting(0x00), *wit_seed = seed_counting(0x20);
	uint8_t log_pk[32], wit_pk[32], root[32];
	public_of(log_seed, log_pk);
	public_of(wit_seed, wit_pk);
	assert_hex_equal(log_pk, 32, "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8");
	assert_hex_equal(wit_pk, 32, "29acbae141bccaf0b22e1a94d34d0bc7361e526d0bfe12c89794bc9322966dd7");

	/* The verifier keys, built from the public keys, are the published strings. */
	struct note_vkey keys[2], filed;
	struct err e;
	char out[NOTE_VKEY_MAX + 1];
	assert_int_equal(note_vkey_make(&keys[0], "example.com/test-log", NOTE_TYPE_ED25519, log_pk,
					&e), 0);
	assert_int_equal(note_vkey_make(&keys[1], "witness.example.com/w1", NOTE_TYPE_COSIG, wit_pk,
					&e), 0);
	assert_int_equal(note_vkey_format(&keys[0], out, sizeof out, &e), 0);
	assert_string_equal(out, "example.com/test-log+fc8658e2+AQOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4");
	load_vkey(&filed, "test_log.vkey");
	assert_memory_equal(&filed, &keys[0], sizeof filed);
	assert_int_equal(note_vkey_format(&keys[1], out, sizeof out, &e), 0);
	assert_string_equal(out, "witness.example.com/w1+969980cf+BCmsuuFBvMrwsi4alNNNC8c2HlJtC/4SyJeUvJMilm3X");
	load_vkey(&filed, "witness_w1.vkey");
	assert_memory_equal(&filed, &keys[1], sizeof filed);

	/* The body, from the Merkle module's root. */
	eight_leaf_root(root);
	assert_hex_equal(root, 32, "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328");
	char *text;
	size_t text_len;
	assert_int_equal(checkpoint_format("example.com/test-log", 8, root, NULL, 0, &text,
					   &text_len, &e), 0);
	assert_string_equal(text, test_log_text);
	assert_int_equal(text_len, strlen(test_log_text));

	/* The message the witness signs. */
	char *msg;
	size_t msg_len;
	assert_int_equal(cosig_message(1700000000, text, text_len, &msg, &msg_len, &e), 0);
	assert_int_equal(msg_len, strlen(cosig_msg));
	assert_string_equal(msg, cosig_msg);
	free(msg);

	/* Sign, cosign, assemble: the vector file, byte for byte, and its SHA-256. */
	char *log_line, *wit_line;
	size_t ll, wl;
	assert_int_equal(note_sign("example.com/test-log", log_seed, 32, text, text_len, &log_line,
				   &ll, &e), 0);
	assert_int_equal(cosig_sign("witness.example.com/w1", wit_seed, 32, 1700000000, text,
				    text_len, &wit_line, &wl, &e), 0);
	size_t full_len;
	char *full = cat(text, "\n", log_line, wit_line, &full_len);
	size_t flen;
	char *file = vec("test_log_witness.checkpoint", &flen);
	assert_int_equal(full_len, flen);
	assert_memory_equal(full, file, flen);
	uint8_t digest[32];
	crypto_hash_sha256(digest, (const uint8_t *)full, full_len);
	assert_hex_equal(digest, 32, "d5e456b244312431b3156694c484383371e933b976c912e0d35cf80c746f84d3");

	/* Read back: both signatures verify, the body parses, the blob decodes. */
	struct note n;
	bool ok[2];
	note_init(&n);
	assert_int_equal(note_parse(&n, file, flen, &e), 0);
	assert_int_equal(n.nsigs, 2);
	assert_int_equal(note_verify(&n, keys, 2, ok, &e), 0);
	assert_true(ok[0] && ok[1]);
	assert_int_equal(note_verify(&n, &keys[1], 1, ok, &e), 0); /* the witness alone */
	struct checkpoint cp;
	checkpoint_init(&cp);
	assert_int_equal(checkpoint_parse(&cp, n.text, n.text_len, &e), 0);
	assert_string_equal(cp.origin, "example.com/test-log");
	assert_true(cp.size == 8);
	assert_memory_equal(cp.root, root, 32);
	assert_int_equal(cp.ext_len, 0);
	assert_string_equal(cp.ext, "");
	checkpoint_free(&cp);
	assert_null(cp.origin);
	struct cosig c;
	assert_int_equal(n.sigs[1].blob_len, COSIG_BLOB_SIZE);
	assert_hex_equal(n.sigs[1].blob, 12, "969980cf000000006553f100");
	assert_int_equal(cosig_parse(&c, n.sigs[1].blob, n.sigs[1].blob_len, &e), 0);
	assert_int_equal(c.key_id, 0x969980cf);
	assert_true(c.timestamp == 1700000000);
	assert_int_equal(cosig_verify(&keys[1], &c, n.text, n.text_len, &e), 0);
	assert_int_equal(cosig_verify(&keys[0], &c, n.text, n.text_len, &e), -1);
	assert_int_equal(e.code, ERR_FORMAT);
	note_free(&n);

	free(file);
	free(full);
	free(log_line);
	free(wit_line);
	free(text);
	sodium_free(log_seed);
	sodium_free(wit_seed);
}

/* Replaces the first occurrence of from by to in the NUL-terminated s (new string). */
static char *replace(const char *s, const char *from, const char *to, size_t *len)
{
	const char *p = strstr(s, from);
	assert_non_null(p);
	size_t head = (size_t)(p - s);
	char *a = strndup(s, head);
	char *r = cat(a, to, p + strlen(from), NULL, len);
	free(a);
	return r;
}

static void test_checkpoint_tampering(void **state)
{
	(void)state;
	struct note_vkey keys[2];
	load_vkey(&keys[0], "test_log.vkey");
	load_vkey(&keys[1], "witness_w1.vkey");
	size_t flen;
	char *file = vec("test_log_witness.checkpoint", &flen);
	struct err e;
	bool ok[2];
	assert_int_equal(open_note(file, flen, keys, 2, ok, &e), 0);

	/* Each part of the body changed: neither the log's signature nor the witness's holds,
	 * whichever key is known. */
	static const char *const body_edits[][2] = {
		{"example.com/test-log\n8", "example.com/test-loh\n8"},
		{"example.com/test-log\n8", "example.com/test-log/\n8"},
		{"\n8\n", "\n9\n"},
		{"\n8\n", "\n7\n"},
		{"\n8\n", "\n08\n"},
		{"\n8\n", "\n80\n"},
		{"XcnaeacG", "XcnaeacH"},
		{"RgQyg=\n", "RgQyg=\nextension\n"},
		{"example.com/test-log\n8", "example.com/test-log\n\n8"},
	};
	for (size_t i = 0; i < sizeof body_edits / sizeof body_edits[0]; i++) {
		size_t len;
		char *t = replace(file, body_edits[i][0], body_edits[i][1], &len);
		assert_int_equal(open_note(t, len, keys, 2, ok, &e), -1);
		assert_int_equal(open_note(t, len, &keys[0], 1, ok, &e), -1);
		assert_int_equal(open_note(t, len, &keys[1], 1, ok, &e), -1);
		free(t);
	}

	/* Each field of the cosignature blob changed, one base64 quantum (3 bytes) at a time:
	 * key id (bytes 0-2), timestamp (3-11), signature (12-75). */
	const char *wline = strstr(file, DASH "witness.example.com/w1 ");
	assert_non_null(wline);
	const char *b64 = wline + strlen(DASH "witness.example.com/w1 ");
	for (size_t q = 0; q < COSIG_BLOB_SIZE / 3 + 1; q++) {
		uint8_t blob[COSIG_BLOB_SIZE];
		assert_int_equal(b64_decode_exact(blob, sizeof blob, b64, 104, B64_PADDED), 0);
		size_t at = q * 3 < COSIG_BLOB_SIZE ? q * 3 : COSIG_BLOB_SIZE - 1;
		blob[at] ^= 0x01;
		char enc[105], *line;
		b64_encode(enc, sizeof enc, blob, sizeof blob, B64_PADDED);
		line = cat(DASH "witness.example.com/w1 ", enc, "\n", NULL, NULL);
		size_t len;
		char *t = cat(test_log_text, "\n", line, NULL, &len);
		if (at < 4) {
			/* Another key id: no longer the witness's, so ignored. */
			assert_int_equal(open_note(t, len, &keys[1], 1, ok, &e), -1);
			assert_false(ok[0]);
		} else {
			/* Still the witness's id: must verify, and does not. */
			assert_int_equal(open_note(t, len, &keys[1], 1, ok, &e), -1);
			assert_int_equal(open_note(t, len, keys, 2, ok, &e), -1);
		}
		free(t);
		/* Next to the log's good signature. */
		const char *lline = strstr(file, DASH "example.com/test-log ");
		char *log_line = strndup(lline, (size_t)(wline - lline));
		t = cat(test_log_text, "\n", log_line, line, &len);
		if (at < 4) {
			assert_int_equal(open_note(t, len, keys, 2, ok, &e), 0);
			assert_true(ok[0]);
			assert_false(ok[1]);
		} else {
			assert_int_equal(open_note(t, len, keys, 2, ok, &e), -1);
		}
		free(t);
		free(log_line);
		free(line);
	}

	/* The witness line under another name is unknown; with the wrong length it is known and
	 * bad; with a timestamp beyond 2^63 - 1 it is bad even when signed. */
	size_t len;
	char *t = replace(file, DASH "witness.example.com/w1 ", DASH "witness.example.com/w2 ", &len);
	assert_int_equal(open_note(t, len, keys, 2, ok, &e), 0);
	assert_true(ok[0]);
	assert_false(ok[1]);
	free(t);
	uint8_t blob[COSIG_BLOB_SIZE + 2];
	assert_int_equal(b64_decode_exact(blob, COSIG_BLOB_SIZE, b64, 104, B64_PADDED), 0);
	blob[COSIG_BLOB_SIZE] = 0;
	blob[COSIG_BLOB_SIZE + 1] = 0;
	char enc[112];
	b64_encode(enc, sizeof enc, blob, sizeof blob, B64_PADDED);
	char *line = cat(DASH "witness.example.com/w1 ", enc, "\n", NULL, NULL);
	t = cat(test_log_text, "\n", line, NULL, &len);
	assert_int_equal(open_note(t, len, &keys[1], 1, ok, &e), -1);
	assert_int_equal(e.code, ERR_VERIFY);
	free(t);
	free(line);

	/* Signed for real with a timestamp of 2^63: sign refuses; forged by hand, verify
	 * refuses. */
	uint8_t *wit_seed = seed_counting(0x20);
	char *sl;
	size_t sll;
	assert_int_equal(cosig_sign("witness.example.com/w1", wit_seed, 32, COSIG_TIME_MAX + 1,
				    test_log_text, strlen(test_log_text), &sl, &sll, &e), -1);
	assert_int_equal(e.code, ERR_FORMAT);
	assert_int_equal(cosig_sign("witness.example.com/w1", wit_seed, 32, COSIG_TIME_MAX,
				    test_log_text, strlen(test_log_text), &sl, &sll, &e), 0);
	t = cat(test_log_text, "\n", sl, NULL, &len);
	assert_int_equal(open_note(t, len, &keys[1], 1, ok, &e), 0);
	free(t);
	free(sl);
	sodium_free(wit_seed);
	free(file);
}

static void test_checkpoint_parse(void **state)
{
	(void)state;
	static const char root64[] = "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=";
	struct {
		const char *size_line;
		bool ok;
		uint64_t want;
	} sizes[] = {
		{"0", true, 0},
		{"8", true, 8},
		{"20852163", true, 20852163},
		{"18446744073709551615", true, UINT64_MAX},
		{"18446744073709551616", false, 0},
		{"99999999999999999999", false, 0},
		{"", false, 0},
		{"00", false, 0},
		{"08", false, 0},
		{"-1", false, 0},
		{"+8", false, 0},
		{" 8", false, 0},
		{"8 ", false, 0},
		{"0x8", false, 0},
		{"\xd9\xa8", false, 0}, /* ARABIC-INDIC DIGIT EIGHT */
	};
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		size_t len;
		char *t = cat("example.com/log\n", sizes[i].size_line, "\n", root64, NULL);
		char *text = cat(t, "\n", NULL, NULL, &len);
		struct checkpoint c;
		struct err e;
		checkpoint_init(&c);
		int rc = checkpoint_parse(&c, text, len, &e);
		if (sizes[i].ok) {
			assert_int_equal(rc, 0);
			assert_true(c.size == sizes[i].want);
		} else {
			if (rc != -1)
				fail_msg("accepted size line '%s'", sizes[i].size_line);
			assert_int_equal(e.code, ERR_FORMAT);
			assert_null(c.origin);
		}
		checkpoint_free(&c);
		free(t);
		free(text);
	}
	static const char *const bad[] = {
		"",
		"example.com/log\n8\n",
		"example.com/log\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=",   /* no newline */
		"\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",                /* no origin */
		"example.com/log\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyh=\n",  /* not canon. */
		"example.com/log\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQy=\n",   /* short */
		"example.com/log\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQygA\n",  /* 33 bytes */
		"example.com/log\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg\n",   /* unpadded */
		"example.com/log\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz-Nw7_RgQyg=\n",  /* URL b64 */
		"example.com/log\n8\n XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",
		"example.com/log\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n\n", /* empty ext */
		"example.com/log\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\nx\n\ny\n",
		"example.com/log\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\nx",  /* ext no nl */
		"example.com/log\r\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",
		"example.com/\xff\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",
		("example.com/log\n0\n47DEQpj8HBSa+\xd1\xae" "ImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"),
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct checkpoint c;
		struct err e;
		checkpoint_init(&c);
		if (checkpoint_parse(&c, bad[i], strlen(bad[i]), &e) != -1)
			fail_msg("accepted bad checkpoint %zu", i);
		assert_int_equal(e.code, ERR_FORMAT);
		assert_null(c.origin);
	}
	/* Extension lines are kept as they are, and format writes them back. */
	static const char with_ext[] =
		"example.com/log\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\nfirst ext\n"
		"\xd8\xa8 second\n";
	struct checkpoint c;
	struct err e;
	checkpoint_init(&c);
	assert_int_equal(checkpoint_parse(&c, with_ext, strlen(with_ext), &e), 0);
	assert_string_equal(c.ext, "first ext\n\xd8\xa8 second\n");
	char *text;
	size_t len;
	assert_int_equal(checkpoint_format(c.origin, c.size, c.root, c.ext, c.ext_len, &text, &len,
					   &e), 0);
	assert_string_equal(text, with_ext);
	free(text);
	checkpoint_free(&c);
}

/* The C2SP tlog-cosignature example: parses; its facts are as FORMATS.md states. */
static void test_c2sp_checkpoint(void **state)
{
	(void)state;
	size_t len;
	char *file = vec("c2sp_behind_the_sofa.checkpoint", &len);
	struct note n;
	struct checkpoint c;
	struct cosig cs;
	struct err e;
	note_init(&n);
	checkpoint_init(&c);
	assert_int_equal(note_parse(&n, file, len, &e), 0);
	assert_int_equal(n.nsigs, 2);
	assert_int_equal(checkpoint_parse(&c, n.text, n.text_len, &e), 0);
	assert_string_equal(c.origin, "example.com/behind-the-sofa");
	assert_true(c.size == 20852163);
	assert_string_equal(n.sigs[0].name, "example.com/behind-the-sofa");
	assert_int_equal(n.sigs[0].key_id, 0x033de0ae);
	assert_int_equal(n.sigs[0].blob_len, 68);
	assert_string_equal(n.sigs[1].name, "witness.example.com/w1");
	assert_int_equal(cosig_parse(&cs, n.sigs[1].blob, n.sigs[1].blob_len, &e), 0);
	assert_int_equal(cs.key_id, 0x8d66cf3f);
	assert_true(cs.timestamp == 1679315147);
	/* The log's 68-byte blob is no cosignature. */
	assert_int_equal(cosig_parse(&cs, n.sigs[0].blob, n.sigs[0].blob_len, &e), -1);
	assert_int_equal(e.code, ERR_FORMAT);
	/* The keys are not published: with ours, nothing is known. */
	struct note_vkey k;
	load_vkey(&k, "witness_w1.vkey");
	assert_int_equal(note_verify(&n, &k, 1, NULL, &e), -1);
	assert_int_equal(e.code, ERR_VERIFY);
	checkpoint_free(&c);
	note_free(&n);
	free(file);
}

static void test_cosig_edges(void **state)
{
	(void)state;
	uint8_t blob[COSIG_BLOB_SIZE + 1] = {0};
	struct cosig c;
	struct err e;
	assert_int_equal(cosig_parse(&c, blob, COSIG_BLOB_SIZE - 1, &e), -1);
	assert_int_equal(cosig_parse(&c, blob, COSIG_BLOB_SIZE + 1, &e), -1);
	blob[4] = 0x7f;
	memset(blob + 5, 0xff, 7);
	assert_int_equal(cosig_parse(&c, blob, COSIG_BLOB_SIZE, &e), 0);
	assert_true(c.timestamp == COSIG_TIME_MAX);
	blob[4] = 0x80;
	memset(blob + 5, 0, 7);
	assert_int_equal(cosig_parse(&c, blob, COSIG_BLOB_SIZE, &e), -1);
	assert_int_equal(e.code, ERR_FORMAT);

	char *msg;
	size_t len;
	assert_int_equal(cosig_message(0, "a\n", 2, &msg, &len, &e), 0);
	assert_string_equal(msg, "cosignature/v1\ntime 0\na\n");
	free(msg);
	assert_int_equal(cosig_message(COSIG_TIME_MAX, "a\n", 2, &msg, &len, &e), 0);
	assert_string_equal(msg, "cosignature/v1\ntime 9223372036854775807\na\n");
	free(msg);
	assert_int_equal(cosig_message(COSIG_TIME_MAX + 1, "a\n", 2, &msg, &len, &e), -1);
	assert_int_equal(cosig_message(1, "a", 1, &msg, &len, &e), -1);
	assert_null(msg);

	/* A witness cosigns checkpoints only. */
	uint8_t *seed = seed_counting(0x20);
	char *line;
	assert_int_equal(cosig_sign("w", seed, 32, 1, peter_text, strlen(peter_text), &line, &len,
				    &e), -1);
	assert_int_equal(e.code, ERR_FORMAT);
	/* A good cosignature under another key id than the key's: refused, although the id is
	 * not part of what was signed. */
	struct note_vkey k;
	load_vkey(&k, "witness_w1.vkey");
	assert_int_equal(cosig_sign(k.name, seed, 32, 1, test_log_text, strlen(test_log_text),
				    &line, &len, &e), 0);
	const char *b64 = strchr(line + 4, ' ') + 1;
	assert_int_equal(b64_decode_exact(blob, COSIG_BLOB_SIZE, b64, strlen(b64) - 1, B64_PADDED),
			 0);
	free(line);
	assert_int_equal(cosig_parse(&c, blob, COSIG_BLOB_SIZE, &e), 0);
	assert_int_equal(cosig_verify(&k, &c, test_log_text, strlen(test_log_text), &e), 0);
	c.key_id ^= 1;
	assert_int_equal(cosig_verify(&k, &c, test_log_text, strlen(test_log_text), &e), -1);
	assert_int_equal(e.code, ERR_VERIFY);
	sodium_free(seed);
}

/* Random keys, names and texts, round trip through sign, parse and verify. */
static void test_round_trip(void **state)
{
	(void)state;
	for (int i = 0; i < 50; i++) {
		uint8_t *seed = sodium_malloc(32);
		assert_non_null(seed);
		randombytes_buf(seed, 32);
		uint8_t pk[32];
		public_of(seed, pk);
		char name[32];
		snprintf(name, sizeof name, "log%u.example/\xd8\xa3%d", randombytes_uniform(1000), i);
		struct note_vkey k, w;
		struct err e;
		assert_int_equal(note_vkey_make(&k, name, NOTE_TYPE_ED25519, pk, &e), 0);
		assert_int_equal(note_vkey_make(&w, name, NOTE_TYPE_COSIG, pk, &e), 0);
		uint8_t root[32];
		randombytes_buf(root, sizeof root);
		uint64_t size = ((uint64_t)randombytes_random() << 32 | randombytes_random()) >> (i % 64);
		char *text, *l1, *l2, *msg;
		size_t tl, n1, n2, ml;
		assert_int_equal(checkpoint_format(name, size, root, i % 2 ? "ext\n" : NULL,
						   i % 2 ? 4 : 0, &text, &tl, &e), 0);
		assert_int_equal(note_sign(name, seed, 32, text, tl, &l1, &n1, &e), 0);
		uint64_t ts = randombytes_random();
		assert_int_equal(cosig_sign(name, seed, 32, ts, text, tl, &l2, &n2, &e), 0);
		msg = cat(text, "\n", l1, l2, &ml);
		struct note n;
		struct checkpoint c;
		bool ok[2];
		struct note_vkey both[2] = {k, w};
		note_init(&n);
		checkpoint_init(&c);
		assert_int_equal(note_parse(&n, msg, ml, &e), 0);
		assert_int_equal(note_verify(&n, both, 2, ok, &e), 0);
		assert_true(ok[0] && ok[1]);
		assert_int_equal(checkpoint_parse(&c, n.text, n.text_len, &e), 0);
		assert_string_equal(c.origin, name);
		assert_true(c.size == size);
		assert_memory_equal(c.root, root, 32);
		struct cosig cs;
		assert_int_equal(cosig_parse(&cs, n.sigs[1].blob, n.sigs[1].blob_len, &e), 0);
		assert_true(cs.timestamp == ts);
		checkpoint_free(&c);
		note_free(&n);
		free(msg);
		free(l1);
		free(l2);
		free(text);
		sodium_free(seed);
	}
}

static void test_checkpoint_format_errors(void **state)
{
	(void)state;
	uint8_t root[32] = {0};
	char *text = (char *)"untouched";
	size_t len;
	struct err e;
	assert_int_equal(checkpoint_format("", 1, root, NULL, 0, &text, &len, &e), -1);
	assert_null(text);
	assert_int_equal(checkpoint_format("a\nb", 1, root, NULL, 0, &text, &len, &e), -1);
	assert_int_equal(checkpoint_format("a\rb", 1, root, NULL, 0, &text, &len, &e), -1);
	assert_int_equal(checkpoint_format("a", 1, root, "x", 1, &text, &len, &e), -1);
	assert_int_equal(checkpoint_format("a", 1, root, "\n", 1, &text, &len, &e), -1);
	assert_int_equal(checkpoint_format("a", 1, root, "x\n\n", 3, &text, &len, &e), -1);
	assert_int_equal(e.code, ERR_FORMAT);
	assert_int_equal(checkpoint_format("a", 0, root, NULL, 0, &text, &len, &e), 0);
	assert_string_equal(text, "a\n0\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n");
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_ids),
		cmocka_unit_test(test_vkey_files),
		cmocka_unit_test(test_vkey_malformed),
		cmocka_unit_test(test_name_rules),
		cmocka_unit_test(test_signer_key_strings),
		cmocka_unit_test(test_peter_sign),
		cmocka_unit_test(test_peter_verify),
		cmocka_unit_test(test_enoch_root),
		cmocka_unit_test(test_c2sp_example),
		cmocka_unit_test(test_malformed_notes),
		cmocka_unit_test(test_blank_lines),
		cmocka_unit_test(test_known_key_bad_signature),
		cmocka_unit_test(test_sign_errors),
		cmocka_unit_test(test_checkpoint_example),
		cmocka_unit_test(test_checkpoint_tampering),
		cmocka_unit_test(test_checkpoint_parse),
		cmocka_unit_test(test_checkpoint_format_errors),
		cmocka_unit_test(test_c2sp_checkpoint),
		cmocka_unit_test(test_cosig_edges),
		cmocka_unit_test(test_round_trip),
	};
	return cmocka_run_group_tests_name("note", tests, unit_setup, NULL);
}
