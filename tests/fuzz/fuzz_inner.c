/*
 * fuzz_inner.c - the inner checks of vault/verify.c (DESIGN's steps 5-7) on any decrypted
 * payload, in format 3 (the files first, the manifest and its signature last) and in format 1
 * (the manifest first).
 *
 * The input's first byte chooses: bit 0 the format (1: format 3, 0: format 1), bit 1 whether
 * the payload is opened into a folder (staged, as amana open does) or only checked (amana
 * verify -i). The rest is the inner tar. The harness wraps it as a bundle carries it: encrypted
 * with age to a fixed identity, an envelope naming it (a fixed bundle id, issuer, sequence,
 * time, names and records line, and the payload's digests), the envelope signed with a fixed
 * Ed25519 key, all in an outer tar written to a private folder; then verify_bundle checks it
 * with that key pinned and the identity, without log members (no log check).
 *
 * The seeds (tests/fuzz/seeds/inner, made by tests/fuzz/make_inner_seeds.c) carry a manifest
 * whose meta matches those fixed values and whose signature the fixed key made, so that the
 * fuzzer reaches the files' judgement against a signed manifest. Their records do not hash to
 * the fixed root, so no input is accepted: every refusal must be ERR_FORMAT or ERR_VERIFY, and
 * nothing may be left in the output's folder or in TMPDIR.
 */
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "tests/fuzz/fuzz.h"
#include "vault/age.h"
#include "vault/bundle.h"
#include "vault/envelope.h"
#include "vault/io.h"
#include "vault/minisign.h"
#include "vault/verify.h"

/* The fixed values a seed's manifest repeats in its meta. */
#define INNER_BUNDLE_ID "c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4"
#define INNER_CREATED "2025-01-01T00:00:00Z"
#define INNER_CREATED_T 1735689600
#define INNER_ISSUER_NAME "الأمانة"
#define INNER_RECORDS_ROOT "abababababababababababababababababababababababababababababababab"

struct inner_keys {
	struct minisign_sec sk;
	struct minisign_pub pub;
	char identity[AGE_IDENTITY_LEN + 1];
	char recipient[AGE_RECIPIENT_LEN + 1];
};

static void inner_keys(struct inner_keys *k)
{
	uint8_t seed[32], pk[32], xsk[32], xpk[32];
	memset(seed, 7, sizeof seed);
	crypto_sign_seed_keypair(pk, k->sk.sk, seed);
	memset(k->sk.key_id, 0x5a, sizeof k->sk.key_id);
	memcpy(k->pub.key_id, k->sk.key_id, sizeof k->pub.key_id);
	memcpy(k->pub.pk, pk, 32);
	memset(xsk, 9, sizeof xsk);
	crypto_scalarmult_base(xpk, xsk);
	age_identity_encode(k->identity, xsk);
	age_recipient_encode(k->recipient, xpk);
}

#ifndef FUZZ_INNER_NO_TARGET

struct membuf {
	unsigned char *p;
	size_t n;
};

static int mem_write(void *ctx, const void *buf, size_t len, struct err *e)
{
	struct membuf *b = ctx;
	unsigned char *np = realloc(b->p, b->n + len + 1);
	if (!np)
		return err_set(e, ERR_IO, "out of memory");
	memcpy(np + b->n, buf, len);
	b->p = np;
	b->n += len;
	return 0;
}

static const struct inner_keys *keys_once(void)
{
	static struct inner_keys k;
	static bool done;
	if (!done) {
		if (sodium_init() < 0)
			abort();
		inner_keys(&k);
		done = true;
	}
	return &k;
}

static int issuer(void *ctx, const uint8_t key_id[8], struct verify_report *r, struct err *e)
{
	const struct inner_keys *k = ctx;
	(void)e;
	if (memcmp(key_id, k->pub.key_id, 8) != 0)
		return 0;
	memcpy(r->trust.pk, k->pub.pk, 32);
	r->trust.name = strdup("issuer");
	return r->trust.name ? 1 : -1;
}

/* The age header's length: through the LF of its MAC line. */
static size_t header_len(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i + 5 <= n; i++)
		if (memcmp(p + i, "\n--- ", 5) == 0) {
			const unsigned char *lf = memchr(p + i + 1, '\n', n - i - 1);
			return lf ? (size_t)(lf - p) + 1 : 0;
		}
	return 0;
}

/* Entries of a folder, "." and ".." aside. */
static int entries(const char *dir)
{
	DIR *d = opendir(dir);
	int n = 0;
	struct dirent *de;
	if (!d)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static void hex(char *out, const uint8_t *in, size_t n)
{
	sodium_bin2hex(out, n * 2 + 1, in, n);
}

FUZZ_TARGET(inner)
{
	if (size < 1)
		return 0;
	const struct inner_keys *k = keys_once();
	bool v3 = data[0] & 1, stage = data[0] & 2;
	const uint8_t *inner = data + 1;
	size_t inner_n = size - 1;
	struct err e;
	struct membuf payload = {0}, outer = {0};
	struct age_recipients *ar = NULL;
	struct age_encryptor *enc = NULL;
	struct age_identities *ids = NULL;
	struct tar_writer *w = NULL;
	struct envelope env;
	char *etext = NULL, *esig = NULL, *top = NULL, *out = NULL;
	memset(&env, 0, sizeof env);

	if (age_recipients_new(&ar, &e) != 0 || age_recipients_add(ar, k->recipient, &e) != 0 ||
	    age_encrypt_init(&enc, ar, false, mem_write, &payload, &e) != 0 ||
	    age_encrypt_update(enc, inner, inner_n, &e) != 0 || age_encrypt_final(enc, &e) != 0)
		abort();

	/* The envelope. */
	uint8_t d[64];
	env.format = v3 ? 3 : 1;
	memcpy(env.bundle_id, INNER_BUNDLE_ID, 33);
	minisign_key_id_hex(k->pub.key_id, env.issuer);
	env.issuer_name = strdup(INNER_ISSUER_NAME);
	env.conference = strdup("المؤتمر 24");
	env.title = strdup("عنوان");
	memcpy(env.created, INNER_CREATED, sizeof INNER_CREATED);
	env.sequence = 1;
	env.recipients = 1;
	env.records_count = 1;
	memcpy(env.records_root, INNER_RECORDS_ROOT, 65);
	if (v3) {
		env.header_size = header_len(payload.p, payload.n);
		if (env.header_size == 0)
			abort();
		crypto_generichash(d, 64, payload.p, env.header_size, NULL, 0);
		hex(env.header_blake2b, d, 64);
		crypto_generichash(d, 64, payload.p + env.header_size, payload.n - env.header_size, NULL, 0);
		env.payload_size = payload.n - env.header_size;
	} else {
		crypto_generichash(d, 64, payload.p, payload.n, NULL, 0);
		env.payload_size = payload.n;
	}
	hex(env.payload_blake2b, d, 64);
	if (!(etext = envelope_encode(&env)))
		abort();
	char tc[128];
	struct minisign_sig sig;
	crypto_generichash(d, 64, (const uint8_t *)etext, strlen(etext), NULL, 0);
	envelope_trusted_comment(&env, tc, sizeof tc);
	if (minisign_sign(&k->sk, MINISIGN_PREHASHED, d, NULL, 0, tc, BUNDLE_ENVELOPE_SIG_COMMENT, &sig, &e) != 0 ||
	    !(esig = minisign_sig_encode(&sig)))
		abort();
	minisign_sig_clear(&sig);

	/* The container, in a memfd the verifier reads by its /proc name. */
	if (tar_writer_open(&w, mem_write, &outer, INNER_CREATED_T, &e) != 0 ||
	    tar_writer_file(w, BUNDLE_ENVELOPE, etext, strlen(etext), &e) != 0 ||
	    tar_writer_file(w, BUNDLE_ENVELOPE_SIG, esig, strlen(esig), &e) != 0 ||
	    tar_writer_file(w, BUNDLE_PAYLOAD, payload.p, payload.n, &e) != 0 || tar_writer_close(w, &e) != 0)
		abort();
	const char *base = getenv("TMPDIR");
	if (!(top = io_join(base && *base ? base : "/tmp", "amana-fuzz-inner.XXXXXX")) || io_mkdtemp(top) != 0)
		abort();
	char *bundle = io_join(top, "b.amana"), *tmpdir = io_join(top, "tmp");
	if (!bundle || !tmpdir || mkdir(tmpdir, 0700) != 0)
		abort();
	int fd = open(bundle, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || io_write_all(fd, outer.p, outer.n, &e) != 0 || close(fd) != 0)
		abort();
	/* verify's temporaries go to TMPDIR: a private one, looked at afterwards. */
	if (stage && !(out = io_join(top, "out")))
		abort();
	char *old_tmpdir = base ? strdup(base) : NULL;
	setenv("TMPDIR", tmpdir, 1);
	if (age_identities_new(&ids, &e) != 0 || age_identities_add(ids, k->identity, strlen(k->identity), &e) != 0)
		abort();
	struct verify_input in = {
		.bundle = bundle,
		.ids = ids,
		.out_dir = out,
		.issuer = issuer,
		.ctx = (void *)k,
	};
	struct verify_report r;
	err_clear(&e);
	int rc = verify_bundle(&in, &r, &e);
	verify_report_free(&r);
	if (old_tmpdir)
		setenv("TMPDIR", old_tmpdir, 1);
	else
		unsetenv("TMPDIR");
	free(old_tmpdir);
	/* Never accepted (the records do not hash to the fixed root); refused as malformed or
	 * as not what was signed, never for another reason; nothing left behind. */
	if (rc == 0 || (e.code != ERR_FORMAT && e.code != ERR_VERIFY))
		abort();
	if (entries(tmpdir) != 0 || entries(top) != 2 || (out && access(out, F_OK) == 0))
		abort();
	io_rmtree(top);
	io_tmp_unregister(top);
	free(bundle);
	free(tmpdir);

	age_identities_free(ids);
	age_encrypt_free(enc);
	age_recipients_free(ar);
	envelope_free(&env);
	free(payload.p);
	free(outer.p);
	free(etext);
	free(esig);
	free(top);
	free(out);
	return 0;
}

#endif
