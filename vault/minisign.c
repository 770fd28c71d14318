/*
 * minisign.c - minisign's public key, secret key and signature files; signing and verifying.
 * See minisign.h for the formats and docs/format.md for the normative text.
 */
#include "vault/minisign.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vault/base64.h"
#include "vault/text.h"

#define PUB_BYTES 42
#define SEC_BYTES 158
#define SIG_BYTES 74
#define UNTRUSTED_PREFIX "untrusted comment: "
#define TRUSTED_PREFIX "trusted comment: "
/* Bounds on the scrypt cost a secret key file may ask for (a hostile file must not make us
 * allocate without limit): minisign writes 1 GiB and 2^25 ops. */
#define MAX_MEMLIMIT (4ULL << 30)
#define MAX_OPSLIMIT (1ULL << 36)

static void store64_le(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t load64_le(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

void minisign_key_id_hex(const uint8_t id[MINISIGN_KEYID_BYTES], char out[17])
{
	snprintf(out, 17, "%016llX", (unsigned long long)load64_le(id));
}

bool minisign_key_id_parse(const char *s, uint8_t id[MINISIGN_KEYID_BYTES])
{
	if (strlen(s) != 16 || strspn(s, "0123456789abcdefABCDEF") != 16)
		return false;
	store64_le(id, strtoull(s, NULL, 16));
	return true;
}

/* ---- line splitting ---------------------------------------------------------------------
 * minisign's reader: a line ends at LF; one CR right before the LF is dropped; any other CR
 * is an error. The last line may lack its LF when last_may_lack_lf. */

struct lines {
	const char *p[4];
	size_t n[4];
	size_t count;
};

static int split_lines(const char *text, size_t len, size_t want, bool last_may_lack_lf,
		       struct lines *l, const char *what, struct err *e)
{
	size_t off = 0;
	l->count = 0;
	while (l->count < want) {
		const char *start = text + off;
		const char *lf = memchr(start, '\n', len - off);
		size_t n;
		if (lf) {
			n = (size_t)(lf - start);
			off += n + 1;
		} else if (last_may_lack_lf && l->count == want - 1 && off < len) {
			n = len - off;
			off = len;
		} else {
			return err_set(e, ERR_FORMAT, "%s: line %zu is missing or not terminated",
				       what, l->count + 1);
		}
		if (n > 0 && start[n - 1] == '\r')
			n--;
		if (memchr(start, '\r', n))
			return err_set(e, ERR_FORMAT, "%s: line %zu contains a carriage return", what,
				       l->count + 1);
		l->p[l->count] = start;
		l->n[l->count] = n;
		l->count++;
	}
	if (off != len)
		return err_set(e, ERR_FORMAT, "%s: unexpected data after line %zu", what, want);
	return 0;
}

static bool has_prefix(const char *p, size_t n, const char *prefix)
{
	size_t k = strlen(prefix);
	return n >= k && memcmp(p, prefix, k) == 0;
}

static char *dup_after(const char *p, size_t n, const char *prefix)
{
	size_t k = strlen(prefix);
	return strndup(p + k, n - k);
}

/* ---- public keys ------------------------------------------------------------------------ */

static int pub_from_b64(const char *b64, size_t n, struct minisign_pub *out, struct err *e)
{
	uint8_t raw[PUB_BYTES];
	if (b64_decode_exact(raw, sizeof raw, b64, n, B64_PADDED) != 0)
		return err_set(e, ERR_FORMAT, "not a minisign public key (bad base64 or length)");
	if (raw[0] != 'E' || raw[1] != 'd')
		return err_set(e, ERR_FORMAT, "unsupported public key algorithm (not Ed25519)");
	memcpy(out->key_id, raw + 2, 8);
	memcpy(out->pk, raw + 10, 32);
	return 0;
}

int minisign_pub_decode(const char *text, size_t len, struct minisign_pub *out, char **comment,
			struct err *e)
{
	struct lines l;
	if (comment)
		*comment = NULL;
	if (len > 4096)
		return err_set(e, ERR_FORMAT, "public key file is too large");
	if (!has_prefix(text, len, UNTRUSTED_PREFIX)) {
		/* A bare base64 key, with or without a final newline. */
		if (split_lines(text, len, 1, true, &l, "public key", e) != 0)
			return -1;
		if (pub_from_b64(l.p[0], l.n[0], out, e) != 0)
			return -1;
		if (comment && !(*comment = strdup("")))
			return err_set(e, ERR_IO, "out of memory");
		return 0;
	}
	if (split_lines(text, len, 2, true, &l, "public key file", e) != 0)
		return -1;
	if (l.n[0] > MINISIGN_UNTRUSTED_MAX)
		return err_set(e, ERR_FORMAT, "public key file: the comment line is too long");
	if (pub_from_b64(l.p[1], l.n[1], out, e) != 0)
		return -1;
	if (comment && !(*comment = dup_after(l.p[0], l.n[0], UNTRUSTED_PREFIX)))
		return err_set(e, ERR_IO, "out of memory");
	return 0;
}

void minisign_pub_base64(const struct minisign_pub *pub, char out[57])
{
	uint8_t raw[PUB_BYTES] = {'E', 'd'};
	memcpy(raw + 2, pub->key_id, 8);
	memcpy(raw + 10, pub->pk, 32);
	b64_encode(out, 57, raw, sizeof raw, B64_PADDED);
}

char *minisign_pub_encode(const struct minisign_pub *pub, const char *comment)
{
	char b64[57];
	minisign_pub_base64(pub, b64);
	size_t n = strlen(UNTRUSTED_PREFIX) + strlen(comment) + 1 + 56 + 2;
	char *s = malloc(n);
	if (s)
		snprintf(s, n, "%s%s\n%s\n", UNTRUSTED_PREFIX, comment, b64);
	return s;
}

/* ---- secret keys ------------------------------------------------------------------------ */

static void checksum(const uint8_t key_id[8], const uint8_t sk[64], uint8_t out[32])
{
	crypto_generichash_state st;
	crypto_generichash_init(&st, NULL, 0, 32);
	crypto_generichash_update(&st, (const uint8_t *)"Ed", 2);
	crypto_generichash_update(&st, key_id, 8);
	crypto_generichash_update(&st, sk, 64);
	crypto_generichash_final(&st, out, 32);
	sodium_memzero(&st, sizeof st);
}

int minisign_secfile_decode(const char *text, size_t len, struct minisign_secfile **out,
			    char **comment, struct err *e)
{
	struct lines l;
	*out = NULL;
	if (comment)
		*comment = NULL;
	if (len > 4096)
		return err_set(e, ERR_KEY, "secret key file is too large");
	if (split_lines(text, len, 2, true, &l, "secret key file", e) != 0 ||
	    !has_prefix(l.p[0], l.n[0], UNTRUSTED_PREFIX)) {
		err_set(e, ERR_KEY, "not a minisign secret key file");
		return err_hint(e, "a signing key file starts with 'untrusted comment:'; make one "
				   "with 'amana key new sign'");
	}
	uint8_t *raw = sodium_malloc(SEC_BYTES);
	struct minisign_secfile *f = sodium_malloc(sizeof *f);
	int rc = -1;
	if (!raw || !f) {
		err_set(e, ERR_IO, "out of memory");
		goto done;
	}
	if (b64_decode_exact(raw, SEC_BYTES, l.p[1], l.n[1], B64_PADDED) != 0) {
		err_set(e, ERR_KEY, "not a minisign secret key file (bad base64 or length)");
		goto done;
	}
	bool sc = raw[2] == 'S' && raw[3] == 'c', plain = raw[2] == 0 && raw[3] == 0;
	if (raw[0] != 'E' || raw[1] != 'd' || !(sc || plain) || raw[4] != 'B' || raw[5] != '2') {
		err_set(e, ERR_KEY, "unsupported secret key algorithms (want Ed25519, scrypt, BLAKE2b)");
		goto done;
	}
	memcpy(f->kdf_alg, raw + 2, 2);
	memcpy(f->salt, raw + 6, 32);
	f->opslimit = load64_le(raw + 38);
	f->memlimit = load64_le(raw + 46);
	memcpy(f->block, raw + 54, 104);
	if (comment && !(*comment = dup_after(l.p[0], l.n[0], UNTRUSTED_PREFIX))) {
		err_set(e, ERR_IO, "out of memory");
		goto done;
	}
	*out = f;
	f = NULL;
	rc = 0;
done:
	sodium_free(raw);
	sodium_free(f);
	return rc;
}

void minisign_secfile_free(struct minisign_secfile *f)
{
	sodium_free(f);
}

bool minisign_secfile_encrypted(const struct minisign_secfile *f)
{
	return f->kdf_alg[0] == 'S' && f->kdf_alg[1] == 'c';
}

void minisign_sec_free(struct minisign_sec *sk)
{
	sodium_free(sk);
}

void minisign_sec_public(const struct minisign_sec *sk, struct minisign_pub *pub)
{
	memcpy(pub->key_id, sk->key_id, 8);
	memcpy(pub->pk, sk->sk + 32, 32);
}

/* XORs the 104-byte block with scrypt(pass, salt, limits): encrypts and decrypts alike. */
static int kdf_xor(uint8_t block[104], const char *pass, size_t passlen, const uint8_t salt[32],
		   uint64_t opslimit, uint64_t memlimit, struct err *e)
{
	uint8_t *stream = sodium_malloc(104);
	if (!stream)
		return err_set(e, ERR_IO, "out of memory");
	if (crypto_pwhash_scryptsalsa208sha256(stream, 104, pass, passlen, salt, opslimit,
					       (size_t)memlimit) != 0) {
		sodium_free(stream);
		err_set(e, ERR_IO, "not enough memory to derive the key from the passphrase");
		return err_hint(e, "scrypt needs %llu MiB here; close other programs and retry",
				(unsigned long long)(memlimit >> 20));
	}
	for (size_t i = 0; i < 104; i++)
		block[i] ^= stream[i];
	sodium_free(stream);
	return 0;
}

int minisign_secfile_unlock(const struct minisign_secfile *f, const char *pass, size_t passlen,
			    struct minisign_sec **out, struct err *e)
{
	int rc = -1;
	uint8_t *block = sodium_malloc(104 + 32 + 32 + 64);
	struct minisign_sec *sk = sodium_malloc(sizeof *sk);
	*out = NULL;
	if (!block || !sk) {
		err_set(e, ERR_IO, "out of memory");
		goto done;
	}
	uint8_t *chk = block + 104, *pk = chk + 32, *sk2 = pk + 32;
	memcpy(block, f->block, 104);
	if (minisign_secfile_encrypted(f)) {
		if (!pass) {
			err_set(e, ERR_KEY, "the secret key is encrypted and no passphrase was given");
			goto done;
		}
		if (f->memlimit > MAX_MEMLIMIT || f->opslimit > MAX_OPSLIMIT) {
			err_set(e, ERR_KEY, "the secret key asks for an unreasonable scrypt cost");
			goto done;
		}
		if (kdf_xor(block, pass, passlen, f->salt, f->opslimit, f->memlimit, e) != 0)
			goto done;
	}
	memcpy(sk->key_id, block, 8);
	memcpy(sk->sk, block + 8, 64);
	checksum(sk->key_id, sk->sk, chk);
	/* minisign -W leaves the checksum of an unencrypted key all zero; accept that form. */
	bool zero_ok = !minisign_secfile_encrypted(f) && sodium_is_zero(block + 72, 32);
	if (!zero_ok && sodium_memcmp(chk, block + 72, 32) != 0) {
		if (minisign_secfile_encrypted(f)) {
			err_set(e, ERR_KEY, "wrong passphrase for the secret key");
			err_hint(e, "try again; the passphrase is the one given when the key was made");
		} else {
			err_set(e, ERR_KEY, "the secret key file is damaged (checksum mismatch)");
		}
		goto done;
	}
	/* The stored public half must be the one the seed makes. */
	if (crypto_sign_seed_keypair(pk, sk2, sk->sk) != 0 ||
	    sodium_memcmp(pk, sk->sk + 32, 32) != 0) {
		err_set(e, ERR_KEY, "the secret key file is damaged (public half does not match)");
		goto done;
	}
	*out = sk;
	sk = NULL;
	rc = 0;
done:
	sodium_free(block);
	sodium_free(sk);
	return rc;
}

int minisign_keygen(struct minisign_sec **out, struct err *e)
{
	struct minisign_sec *sk = sodium_malloc(sizeof *sk);
	uint8_t pk[32];
	if (!sk)
		return err_set(e, ERR_IO, "out of memory");
	randombytes_buf(sk->key_id, sizeof sk->key_id);
	crypto_sign_keypair(pk, sk->sk);
	*out = sk;
	return 0;
}

char *minisign_sec_encode(const struct minisign_sec *sk, const char *comment, const char *pass,
			  size_t passlen, uint64_t opslimit, uint64_t memlimit, struct err *e)
{
	uint8_t *raw = sodium_malloc(SEC_BYTES);
	size_t b64len = b64_encoded_len(SEC_BYTES, B64_PADDED);
	size_t cap = strlen(UNTRUSTED_PREFIX) + strlen(comment) + 1 + b64len + 2;
	char *text = sodium_malloc(cap);
	if (!raw || !text) {
		sodium_free(raw);
		sodium_free(text);
		err_set(e, ERR_IO, "out of memory");
		return NULL;
	}
	memset(raw, 0, SEC_BYTES);
	raw[0] = 'E';
	raw[1] = 'd';
	raw[4] = 'B';
	raw[5] = '2';
	uint8_t *block = raw + 54;
	memcpy(block, sk->key_id, 8);
	memcpy(block + 8, sk->sk, 64);
	checksum(sk->key_id, sk->sk, block + 72);
	if (pass) {
		raw[2] = 'S';
		raw[3] = 'c';
		randombytes_buf(raw + 6, 32);
		store64_le(raw + 38, opslimit);
		store64_le(raw + 46, memlimit);
		if (kdf_xor(block, pass, passlen, raw + 6, opslimit, memlimit, e) != 0) {
			sodium_free(raw);
			sodium_free(text);
			return NULL;
		}
	}
	size_t off = (size_t)snprintf(text, cap, "%s%s\n", UNTRUSTED_PREFIX, comment);
	b64_encode(text + off, cap - off, raw, SEC_BYTES, B64_PADDED);
	off += b64len;
	text[off++] = '\n';
	text[off] = '\0';
	sodium_free(raw);
	return text;
}

/* ---- signatures ------------------------------------------------------------------------- */

int minisign_hash_fd(int fd, uint8_t out[MINISIGN_HASH_BYTES], struct err *e)
{
	crypto_generichash_state st;
	enum { BUF = 65536 };
	unsigned char *buf = malloc(BUF);
	if (!buf)
		return err_set(e, ERR_IO, "out of memory");
	crypto_generichash_init(&st, NULL, 0, MINISIGN_HASH_BYTES);
	for (;;) {
		ssize_t n = read(fd, buf, BUF);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			free(buf);
			return err_errno(e, ERR_IO, "read failed");
		}
		if (n == 0)
			break;
		crypto_generichash_update(&st, buf, (size_t)n);
	}
	free(buf);
	crypto_generichash_final(&st, out, MINISIGN_HASH_BYTES);
	return 0;
}

bool minisign_comment_ok(const char *s)
{
	size_t n = strlen(s), i = 0;
	while (i < n) {
		uint32_t cp;
		size_t k = text_utf8_next(s + i, n - i, &cp);
		if (k == 0)
			return false;
		if ((cp < 0x20 && cp != '\t') || (cp >= 0x7f && cp <= 0x9f))
			return false;
		i += k;
	}
	return true;
}

/* The global signature's message: the file signature, then the trusted comment. */
static uint8_t *global_message(const struct minisign_sig *sig, size_t *len)
{
	size_t tn = strlen(sig->trusted);
	uint8_t *m = malloc(64 + tn);
	if (!m)
		return NULL;
	memcpy(m, sig->sig, 64);
	memcpy(m + 64, sig->trusted, tn);
	*len = 64 + tn;
	return m;
}

int minisign_sign(const struct minisign_sec *sk, enum minisign_alg alg, const uint8_t *hash,
		  const uint8_t *msg, size_t len, const char *trusted, const char *untrusted,
		  struct minisign_sig *out, struct err *e)
{
	memset(out, 0, sizeof *out);
	if (!minisign_comment_ok(trusted))
		return err_set(e, ERR_USAGE,
			       "the trusted comment must be printable UTF-8 on one line");
	if (strlen(TRUSTED_PREFIX) + strlen(trusted) > MINISIGN_TRUSTED_MAX)
		return err_set(e, ERR_USAGE, "the trusted comment is longer than %d bytes",
			       MINISIGN_TRUSTED_MAX - (int)strlen(TRUSTED_PREFIX));
	if (!untrusted)
		untrusted = "signature from minisign secret key";
	if (strchr(untrusted, '\n') || strchr(untrusted, '\r') ||
	    strlen(UNTRUSTED_PREFIX) + strlen(untrusted) > MINISIGN_UNTRUSTED_MAX)
		return err_set(e, ERR_USAGE, "the untrusted comment must be one line of at most %d bytes",
			       MINISIGN_UNTRUSTED_MAX - (int)strlen(UNTRUSTED_PREFIX));
	out->alg = alg;
	memcpy(out->key_id, sk->key_id, 8);
	if (alg == MINISIGN_PREHASHED)
		crypto_sign_detached(out->sig, NULL, hash, MINISIGN_HASH_BYTES, sk->sk);
	else
		crypto_sign_detached(out->sig, NULL, msg, len, sk->sk);
	out->trusted = strdup(trusted);
	out->untrusted = strdup(untrusted);
	size_t gl;
	uint8_t *gm = out->trusted ? global_message(out, &gl) : NULL;
	if (!out->untrusted || !gm) {
		free(gm);
		minisign_sig_clear(out);
		return err_set(e, ERR_IO, "out of memory");
	}
	crypto_sign_detached(out->global, NULL, gm, gl, sk->sk);
	free(gm);
	return 0;
}

int minisign_sig_decode(const char *text, size_t len, struct minisign_sig *out, struct err *e)
{
	struct lines l;
	uint8_t raw[SIG_BYTES];
	memset(out, 0, sizeof *out);
	if (len > MINISIGN_UNTRUSTED_MAX + MINISIGN_TRUSTED_MAX + 256)
		return err_set(e, ERR_FORMAT, "signature file is too large");
	if (split_lines(text, len, 4, true, &l, "signature file", e) != 0)
		return -1;
	if (!has_prefix(l.p[0], l.n[0], UNTRUSTED_PREFIX))
		return err_set(e, ERR_FORMAT, "signature file: line 1 is not an untrusted comment");
	if (l.n[0] > MINISIGN_UNTRUSTED_MAX)
		return err_set(e, ERR_FORMAT, "signature file: the untrusted comment is too long");
	if (!has_prefix(l.p[2], l.n[2], TRUSTED_PREFIX))
		return err_set(e, ERR_FORMAT, "signature file: line 3 is not a trusted comment");
	if (l.n[2] > MINISIGN_TRUSTED_MAX)
		return err_set(e, ERR_FORMAT, "signature file: the trusted comment is too long");
	if (b64_decode_exact(raw, sizeof raw, l.p[1], l.n[1], B64_PADDED) != 0)
		return err_set(e, ERR_FORMAT, "signature file: line 2 is not a signature (bad base64 or length)");
	if (raw[0] == 'E' && raw[1] == 'D')
		out->alg = MINISIGN_PREHASHED;
	else if (raw[0] == 'E' && raw[1] == 'd')
		out->alg = MINISIGN_LEGACY;
	else
		return err_set(e, ERR_FORMAT, "signature file: unsupported signature algorithm");
	memcpy(out->key_id, raw + 2, 8);
	memcpy(out->sig, raw + 10, 64);
	if (b64_decode_exact(out->global, 64, l.p[3], l.n[3], B64_PADDED) != 0)
		return err_set(e, ERR_FORMAT, "signature file: line 4 is not a signature (bad base64 or length)");
	out->untrusted = dup_after(l.p[0], l.n[0], UNTRUSTED_PREFIX);
	out->trusted = dup_after(l.p[2], l.n[2], TRUSTED_PREFIX);
	if (!out->untrusted || !out->trusted) {
		minisign_sig_clear(out);
		return err_set(e, ERR_IO, "out of memory");
	}
	if (strlen(out->trusted) != l.n[2] - strlen(TRUSTED_PREFIX) ||
	    !minisign_comment_ok(out->trusted)) {
		minisign_sig_clear(out);
		return err_set(e, ERR_FORMAT, "signature file: the trusted comment has characters that are not allowed");
	}
	return 0;
}

char *minisign_sig_encode(const struct minisign_sig *sig)
{
	uint8_t raw[SIG_BYTES];
	char b1[101], b2[89]; /* base64 of 74 and 64 bytes, with NUL */
	raw[0] = 'E';
	raw[1] = sig->alg == MINISIGN_PREHASHED ? 'D' : 'd';
	memcpy(raw + 2, sig->key_id, 8);
	memcpy(raw + 10, sig->sig, 64);
	b64_encode(b1, sizeof b1, raw, sizeof raw, B64_PADDED);
	b64_encode(b2, sizeof b2, sig->global, 64, B64_PADDED);
	size_t n = strlen(sig->untrusted) + strlen(sig->trusted) + sizeof b1 + sizeof b2 + 64;
	char *s = malloc(n);
	if (s)
		snprintf(s, n, "%s%s\n%s\n%s%s\n%s\n", UNTRUSTED_PREFIX, sig->untrusted, b1,
			 TRUSTED_PREFIX, sig->trusted, b2);
	return s;
}

void minisign_sig_clear(struct minisign_sig *sig)
{
	free(sig->untrusted);
	free(sig->trusted);
	sig->untrusted = sig->trusted = NULL;
}

int minisign_verify(const struct minisign_pub *pub, const struct minisign_sig *sig,
		    const uint8_t *hash, const uint8_t *msg, size_t len, bool require_prehashed,
		    struct err *e)
{
	char want[17], got[17];
	if (sodium_memcmp(pub->key_id, sig->key_id, 8) != 0) {
		minisign_key_id_hex(sig->key_id, got);
		minisign_key_id_hex(pub->key_id, want);
		err_set(e, ERR_VERIFY, "the signature was made by key %s, not by this public key (%s)",
			got, want);
		return err_hint(e, "verify with the public key whose id is %s", got);
	}
	if (sig->alg == MINISIGN_LEGACY && require_prehashed)
		return err_set(e, ERR_VERIFY, "legacy (non-prehashed) signatures are not accepted here");
	int bad = sig->alg == MINISIGN_PREHASHED
			  ? crypto_sign_verify_detached(sig->sig, hash, MINISIGN_HASH_BYTES, pub->pk)
			  : crypto_sign_verify_detached(sig->sig, msg, len, pub->pk);
	if (bad)
		return err_set(e, ERR_VERIFY, "signature verification failed: the file does not match its signature");
	size_t gl;
	uint8_t *gm = global_message(sig, &gl);
	if (!gm)
		return err_set(e, ERR_IO, "out of memory");
	bad = crypto_sign_verify_detached(sig->global, gm, gl, pub->pk);
	free(gm);
	if (bad)
		return err_set(e, ERR_VERIFY, "the trusted comment's signature does not verify (the comment was altered)");
	return 0;
}
