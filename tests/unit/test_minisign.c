/*
 * test_minisign.c - minisign's formats against published vectors (tests/vectors/minisign),
 * the self-derived values of shared/testdata/minisign/FORMAT.md, round trips, and every
 * part of a signature file tampered with in turn.
 */
#include "tests/unit/unit.h"
#include "vault/minisign.h"

#define V "tests/vectors/minisign/"

static void load_pub(const char *path, struct minisign_pub *pub)
{
	size_t n;
	struct err e;
	char *t = (char *)unit_slurp(path, &n);
	assert_int_equal(minisign_pub_decode(t, n, pub, NULL, &e), 0);
	free(t);
}

static int verify_file(const char *pubpath, const char *sigpath, struct err *e)
{
	struct minisign_pub pub;
	struct minisign_sig sig;
	size_t n, mn;
	load_pub(pubpath, &pub);
	char *t = (char *)unit_slurp(sigpath, &n);
	unsigned char *msg = unit_slurp(V "test.txt", &mn);
	uint8_t hash[64];
	crypto_generichash(hash, 64, msg, mn, NULL, 0);
	int rc = minisign_sig_decode(t, n, &sig, e);
	if (rc == 0) {
		rc = minisign_verify(&pub, &sig, hash, msg, mn, false, e);
		minisign_sig_clear(&sig);
	}
	free(t);
	free(msg);
	return rc;
}

static void test_published_signatures(void **state)
{
	(void)state;
	struct err e;
	struct minisign_pub pub;
	char id[17];
	load_pub(V "jedisct1.pub", &pub);
	minisign_key_id_hex(pub.key_id, id);
	assert_string_equal(id, "E7620F1842B4E81F");
	assert_int_equal(verify_file(V "jedisct1.pub", V "test.prehashed.minisig", &e), 0);
	assert_int_equal(verify_file(V "jedisct1.pub", V "test.prehashed2.minisig", &e), 0);
	assert_int_equal(verify_file(V "jedisct1.pub", V "test.legacy.minisig", &e), 0);
	/* The bare base64 line, as minisign -P takes it. */
	const char *b64 = "RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3";
	struct minisign_pub p2;
	assert_int_equal(minisign_pub_decode(b64, strlen(b64), &p2, NULL, &e), 0);
	assert_memory_equal(&p2, &pub, sizeof pub);
	char again[57];
	minisign_pub_base64(&pub, again);
	assert_string_equal(again, b64);
}

static void test_legacy_refused_when_prehashed_required(void **state)
{
	(void)state;
	struct err e;
	struct minisign_pub pub;
	struct minisign_sig sig;
	size_t n;
	load_pub(V "jedisct1.pub", &pub);
	char *t = (char *)unit_slurp(V "test.legacy.minisig", &n);
	assert_int_equal(minisign_sig_decode(t, n, &sig, &e), 0);
	assert_int_equal(minisign_verify(&pub, &sig, NULL, (const uint8_t *)"test", 4, true, &e), -1);
	assert_int_equal(e.code, ERR_VERIFY);
	minisign_sig_clear(&sig);
	free(t);
}

/* Flips every byte of the signature file in turn: each must fail to parse or to verify,
 * except bytes of the untrusted comment, which the signatures do not cover. */
static void test_every_byte_of_a_signature(void **state)
{
	(void)state;
	size_t n;
	char *orig = (char *)unit_slurp(V "test.prehashed.minisig", &n);
	size_t untrusted_end = strchr(orig, '\n') - orig;
	for (size_t i = 0; i < n; i++) {
		char *t = malloc(n + 1);
		memcpy(t, orig, n + 1);
		t[i] ^= 0x01;
		struct err e;
		struct minisign_pub pub;
		struct minisign_sig sig;
		load_pub(V "jedisct1.pub", &pub);
		uint8_t hash[64];
		crypto_generichash(hash, 64, (const uint8_t *)"test", 4, NULL, 0);
		int rc = minisign_sig_decode(t, n, &sig, &e);
		if (rc == 0) {
			rc = minisign_verify(&pub, &sig, hash, NULL, 0, false, &e);
			minisign_sig_clear(&sig);
		}
		if (i >= strlen("untrusted comment: ") && i < untrusted_end)
			assert_int_equal(rc, 0);
		else if (rc == 0)
			fail_msg("flipping byte %zu of the signature file was not noticed", i);
		free(t);
	}
	free(orig);
}

static void test_wrong_file_and_key(void **state)
{
	(void)state;
	struct err e;
	struct minisign_pub pub, other;
	struct minisign_sig sig;
	size_t n;
	load_pub(V "jedisct1.pub", &pub);
	load_pub(V "minisign-net.pub", &other);
	char *t = (char *)unit_slurp(V "test.prehashed.minisig", &n);
	assert_int_equal(minisign_sig_decode(t, n, &sig, &e), 0);
	uint8_t hash[64];
	crypto_generichash(hash, 64, (const uint8_t *)"tesT", 4, NULL, 0);
	assert_int_equal(minisign_verify(&pub, &sig, hash, NULL, 0, false, &e), -1);
	assert_int_equal(e.code, ERR_VERIFY);
	assert_non_null(strstr(e.msg, "does not match its signature"));
	crypto_generichash(hash, 64, (const uint8_t *)"test", 4, NULL, 0);
	assert_int_equal(minisign_verify(&other, &sig, hash, NULL, 0, false, &e), -1);
	assert_non_null(strstr(e.msg, "E7620F1842B4E81F"));
	/* Right key id, wrong key: the signature itself must fail. */
	memcpy(other.key_id, pub.key_id, 8);
	assert_int_equal(minisign_verify(&other, &sig, hash, NULL, 0, false, &e), -1);
	minisign_sig_clear(&sig);
	free(t);
}

static void test_reader_rules(void **state)
{
	(void)state;
	static const char *l2 = "RUQf6LRCGA9i559r3g7V1qNyJDApGip8MfqcadIgT9CuhV3EMhHoN1mGTkUidF/z7SrlQgXdy8ofjb7bNJJylDOocrCo8KLzZwo=";
	static const char *l4 = "y/rUw2y8/hOUYjZU71eHp/Wo1KZ40fGy2VJEDl34XMJM+TX48Ss/17u3IvIfbVR1FkZZSNCisQbuQY+bHwhEBg==";
	char buf[1024];
	struct minisign_sig sig;
	struct err e;
	/* CRLF line ends and a missing final newline are accepted. */
	snprintf(buf, sizeof buf, "untrusted comment: x\r\n%s\r\ntrusted comment: timestamp:1556193335\tfile:test\r\n%s", l2, l4);
	assert_int_equal(minisign_sig_decode(buf, strlen(buf), &sig, &e), 0);
	assert_string_equal(sig.trusted, "timestamp:1556193335\tfile:test");
	minisign_sig_clear(&sig);
	static const char *bad[] = {
		"untrusted comment: x\n%s\ntrusted comment: a\rb\n%s\n",  /* lone CR */
		"untrusted comment x\n%s\ntrusted comment: a\n%s\n",      /* prefix */
		"untrusted comment: x\n%s\ntrusted comment a\n%s\n",      /* prefix */
		"untrusted comment: x\n%s\ntrusted comment: a\x01\n%s\n", /* control */
		"untrusted comment: x\n%s\ntrusted comment: \xc3\n%s\n",  /* bad UTF-8 */
		"untrusted comment: x\n%s\ntrusted comment: a\n%s\nmore\n", /* trailing */
		"untrusted comment: x\n%s\ntrusted comment: a\n",          /* 3 lines */
		"untrusted comment: x\n%s=\ntrusted comment: a\n%s\n",     /* bad base64 */
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		snprintf(buf, sizeof buf, bad[i], l2, l4);
		assert_int_equal(minisign_sig_decode(buf, strlen(buf), &sig, &e), -1);
		assert_int_equal(e.code, ERR_FORMAT);
	}
	/* Length limits: a trusted comment line of 8190 bytes is fine, 8191 is not. */
	char *big = malloc(20000);
	for (int extra = 0; extra <= 1; extra++) {
		size_t tc = 8190 - strlen("trusted comment: ") + (size_t)extra;
		char *com = malloc(tc + 1);
		memset(com, 'a', tc);
		com[tc] = '\0';
		snprintf(big, 20000, "untrusted comment: x\n%s\ntrusted comment: %s\n%s\n", l2, com, l4);
		int rc = minisign_sig_decode(big, strlen(big), &sig, &e);
		assert_int_equal(rc, extra ? -1 : 0);
		if (rc == 0)
			minisign_sig_clear(&sig);
		free(com);
	}
	free(big);
}

/* The encrypted secret key published with minisign-net: scrypt N = 2^20 (about 1 GiB). */
static void test_encrypted_secret_key(void **state)
{
	(void)state;
	size_t n, pn;
	struct err e;
	char *t = (char *)unit_slurp(V "minisign-net.key", &n);
	char *pw = (char *)unit_slurp(V "minisign-net.password", &pn);
	struct minisign_secfile *f;
	struct minisign_sec *sk;
	char *comment;
	assert_int_equal(minisign_secfile_decode(t, n, &f, &comment, &e), 0);
	assert_string_equal(comment, "minisign encrypted secret key");
	assert_true(minisign_secfile_encrypted(f));
	assert_int_equal(minisign_secfile_unlock(f, pw, pn, &sk, &e), 0);
	assert_hex_equal(sk->key_id, 8, "9d6f33b5e347042e");
	assert_hex_equal(sk->sk, 64, "521437eb06d390e3881d6227543c670bd79ce4092845a4d567e85013c6ffe454387c964068069a7f501835a5df4d8283d917ecba652b048dabe883af1a35f305");
	char id[17];
	minisign_key_id_hex(sk->key_id, id);
	assert_string_equal(id, "2E0447E3B5336F9D");
	struct minisign_pub pub, want;
	minisign_sec_public(sk, &pub);
	load_pub(V "minisign-net.pub", &want);
	assert_memory_equal(&pub, &want, sizeof pub);
	minisign_sec_free(sk);
	/* A wrong password is a key error, and nothing is returned. */
	sk = (void *)1;
	assert_int_equal(minisign_secfile_unlock(f, "wrong", 5, &sk, &e), -1);
	assert_int_equal(e.code, ERR_KEY);
	assert_null(sk);
	assert_null(strstr(e.msg, "wrong\"")); /* the passphrase is never echoed */
	minisign_secfile_free(f);
	free(comment);
	free(t);
	free(pw);
}

/* FORMAT.md's self-derived values: fixed seed and key id, unencrypted and encrypted files
 * (N = 2^14), and a prehashed signature with a fixed trusted comment (Ed25519 is
 * deterministic, so ours must match byte for byte). */
static void test_self_derived(void **state)
{
	(void)state;
	struct err e;
	const char *unenc = "untrusted comment: x\nRWQAAEIyAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAQIDBAUGBwhAQUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVpbXF1eXyVDuS/xCVURR2rcg2nbbdyTNmWhGXjdoUBO4QZsqVWdxJfGb9+Fjcr0Q53hfEYb7vkJy2RLMl+mAof5BNsExw0=\n";
	const char *enc = "untrusted comment: x\nRWRTY0IyqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqoAAAgAAAAAAAAAAAEAAAAAdNPj79SGnhf90cMwEA8Xt0Q4W4eV0Fv1+E4roMkSP+FlbXEtjUoZbJvehgbjxfl8zHEax/a81/mxHuX6eSMxG6X8XWO5GsySW3SoPKwP87Byjz4jO7HR20Xd4XqVVHmEciTXo5U4iZ8=\n";
	struct minisign_secfile *f;
	struct minisign_sec *a, *b;
	assert_int_equal(minisign_secfile_decode(unenc, strlen(unenc), &f, NULL, &e), 0);
	assert_false(minisign_secfile_encrypted(f));
	assert_int_equal(minisign_secfile_unlock(f, NULL, 0, &a, &e), 0);
	minisign_secfile_free(f);
	assert_int_equal(minisign_secfile_decode(enc, strlen(enc), &f, NULL, &e), 0);
	assert_int_equal(minisign_secfile_unlock(f, "password", 8, &b, &e), 0);
	minisign_secfile_free(f);
	assert_memory_equal(a, b, sizeof *a);
	assert_hex_equal(a->key_id, 8, "0102030405060708");

	struct minisign_pub pub;
	minisign_sec_public(a, &pub);
	char *pubtext = minisign_pub_encode(&pub, "minisign public key 0807060504030201");
	assert_string_equal(pubtext, "untrusted comment: minisign public key 0807060504030201\n"
				     "RWQBAgMEBQYHCCVDuS/xCVURR2rcg2nbbdyTNmWhGXjdoUBO4QZsqVWd\n");
	free(pubtext);

	uint8_t hash[64];
	crypto_generichash(hash, 64, (const uint8_t *)"test", 4, NULL, 0);
	struct minisign_sig sig;
	assert_int_equal(minisign_sign(a, MINISIGN_PREHASHED, hash, NULL, 0,
				       "timestamp:1700000000\tfile:test\thashed", NULL, &sig, &e), 0);
	char *s = minisign_sig_encode(&sig);
	assert_string_equal(s, "untrusted comment: signature from minisign secret key\n"
			       "RUQBAgMEBQYHCAKRg9WzUANAzqSbbvDNESEx9Se7d5S+lS5n/Csi8EzRaaHjyHfsrwWCnDn8pJxMrnUIF3i6ecuJBkvW2BIbBQc=\n"
			       "trusted comment: timestamp:1700000000\tfile:test\thashed\n"
			       "k6XDG+qElfW+DDRDgYTb46hR9Y+m2aJWkcYVmCCthh5pjJxAe8Mz6r7jWUYMMiMjdcMTAoForH9VDK0h62W7Dw==\n");
	free(s);
	minisign_sig_clear(&sig);
	minisign_sec_free(a);
	minisign_sec_free(b);
}

/* Our own files round-trip: fresh key, encode encrypted (cheap limits) and unencrypted,
 * decode, unlock, sign both ways, verify. */
static void test_round_trip(void **state)
{
	(void)state;
	struct err e;
	struct minisign_sec *sk, *back;
	struct minisign_secfile *f;
	assert_int_equal(minisign_keygen(&sk, &e), 0);
	char *t = minisign_sec_encode(sk, "c", "pässwörd", strlen("pässwörd"), 524288, 16777216, &e);
	assert_non_null(t);
	assert_int_equal(strncmp(t + strlen("untrusted comment: c\n"), "RWRTY0Iy", 8), 0);
	assert_int_equal(minisign_secfile_decode(t, strlen(t), &f, NULL, &e), 0);
	assert_int_equal(minisign_secfile_unlock(f, "pässwörd", strlen("pässwörd"), &back, &e), 0);
	assert_memory_equal(sk, back, sizeof *sk);
	minisign_sec_free(back);
	minisign_secfile_free(f);
	sodium_free(t);
	t = minisign_sec_encode(sk, "c", NULL, 0, 0, 0, &e);
	assert_int_equal(strncmp(t + strlen("untrusted comment: c\n"), "RWQAAEIy", 8), 0);
	assert_int_equal(minisign_secfile_decode(t, strlen(t), &f, NULL, &e), 0);
	assert_int_equal(minisign_secfile_unlock(f, NULL, 0, &back, &e), 0);
	assert_memory_equal(sk, back, sizeof *sk);
	minisign_sec_free(back);
	minisign_secfile_free(f);
	/* A damaged unencrypted key (non-zero, wrong checksum) is refused. */
	size_t off = strlen("untrusted comment: c\n") + 150;
	t[off] = t[off] == 'A' ? 'B' : 'A';
	if (minisign_secfile_decode(t, strlen(t), &f, NULL, &e) == 0) {
		assert_int_equal(minisign_secfile_unlock(f, NULL, 0, &back, &e), -1);
		assert_int_equal(e.code, ERR_KEY);
		minisign_secfile_free(f);
	}
	sodium_free(t);

	struct minisign_pub pub;
	minisign_sec_public(sk, &pub);
	const char *msg = "مؤتمر ٢٤ — التوصيات";
	uint8_t hash[64];
	crypto_generichash(hash, 64, (const uint8_t *)msg, strlen(msg), NULL, 0);
	for (int alg = 0; alg < 2; alg++) {
		struct minisign_sig sig, parsed;
		assert_int_equal(minisign_sign(sk, (enum minisign_alg)alg, hash, (const uint8_t *)msg,
					       strlen(msg), "تعليق موثوق\tfile:x", NULL, &sig, &e), 0);
		char *s = minisign_sig_encode(&sig);
		assert_int_equal(minisign_sig_decode(s, strlen(s), &parsed, &e), 0);
		assert_string_equal(parsed.trusted, "تعليق موثوق\tfile:x");
		assert_int_equal(minisign_verify(&pub, &parsed, hash, (const uint8_t *)msg, strlen(msg),
						 false, &e), 0);
		free(s);
		minisign_sig_clear(&sig);
		minisign_sig_clear(&parsed);
	}
	/* A trusted comment with a newline or a control character cannot be signed. */
	struct minisign_sig sig;
	assert_int_equal(minisign_sign(sk, MINISIGN_PREHASHED, hash, NULL, 0, "a\nb", NULL, &sig, &e), -1);
	assert_int_equal(minisign_sign(sk, MINISIGN_PREHASHED, hash, NULL, 0, "a\x1b[31m", NULL, &sig, &e), -1);
	minisign_sec_free(sk);
}

static void test_key_ids(void **state)
{
	(void)state;
	uint8_t id[8];
	char hex[17];
	assert_true(minisign_key_id_parse("e7620f1842b4e81f", id));
	assert_hex_equal(id, 8, "1fe8b442180f62e7");
	minisign_key_id_hex(id, hex);
	assert_string_equal(hex, "E7620F1842B4E81F");
	assert_false(minisign_key_id_parse("E7620F1842B4E81", id));
	assert_false(minisign_key_id_parse("E7620F1842B4E81G", id));
	assert_false(minisign_key_id_parse("+7620F1842B4E81F", id));
}

static void test_public_key_refusals(void **state)
{
	(void)state;
	struct minisign_pub pub;
	struct err e;
	static const char *bad[] = {
		"",
		"untrusted comment: x\n",
		"untrusted comment: x\nRWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO\n",
		"untrusted comment: x\nRUQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3\n", /* ED */
		"untrusted comment: x\nRWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3\njunk\n",
		"RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3 ",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		assert_int_equal(minisign_pub_decode(bad[i], strlen(bad[i]), &pub, NULL, &e), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_published_signatures),
		cmocka_unit_test(test_legacy_refused_when_prehashed_required),
		cmocka_unit_test(test_every_byte_of_a_signature),
		cmocka_unit_test(test_wrong_file_and_key),
		cmocka_unit_test(test_reader_rules),
		cmocka_unit_test(test_encrypted_secret_key),
		cmocka_unit_test(test_self_derived),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_key_ids),
		cmocka_unit_test(test_public_key_refusals),
	};
	return cmocka_run_group_tests_name("minisign", tests, unit_setup, NULL);
}
