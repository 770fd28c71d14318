/*
 * record.c - the canonical encoding and salted leaf of a record. See record.h.
 */
#include "vault/record.h"

#include <sodium.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vault/bundle.h"
#include "vault/envelope.h"
#include "vault/merkle.h"
#include "vault/minisign.h"
#include "vault/text.h"

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

/* ---- proofs ------------------------------------------------------------------------------ */

void record_proof_free(struct record_proof *p)
{
	free(p->kind);
	free(p->lang);
	free(p->title);
	free(p->body);
	free(p->path);
	free(p->envelope);
	free(p->signature);
	memset(p, 0, sizeof *p);
}

static char *dup_n(const void *s, size_t n)
{
	char *d = malloc(n + 1);
	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

int record_proof_build(struct sqlite3 *db, const char *bundle_id, uint64_t seq,
		       const char *envelope, size_t envelope_len, const char *signature,
		       size_t signature_len, struct record_proof *p, struct err *e)
{
	sqlite3_stmt *st = NULL;
	uint8_t (*leaves)[32] = NULL;
	uint64_t n = 0;
	int rc = -1;
	memset(p, 0, sizeof *p);
	snprintf(p->bundle_id, sizeof p->bundle_id, "%s", bundle_id);
	p->seq = seq;
	if (sqlite3_prepare_v2(db, "SELECT seq, kind, lang, title, body, salt, leaf FROM records ORDER BY seq", -1, &st, NULL) != SQLITE_OK) {
		err_set(e, ERR_FORMAT, "the manifest's records cannot be read");
		goto done;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		void *nl = realloc(leaves, (n + 1) * 32);
		size_t got = 0;
		const char *leaf = (const char *)sqlite3_column_text(st, 6);
		if (!nl) {
			err_set(e, ERR_IO, "out of memory");
			goto done;
		}
		leaves = nl;
		if (!leaf || sodium_hex2bin(leaves[n], 32, leaf, strlen(leaf), NULL, &got, NULL) != 0 || got != 32) {
			err_set(e, ERR_FORMAT, "the manifest's record %llu is malformed", (unsigned long long)n + 1);
			goto done;
		}
		n++;
		if ((uint64_t)sqlite3_column_int64(st, 0) != seq)
			continue;
		const char *salt = (const char *)sqlite3_column_text(st, 5);
		p->kind = dup_n(sqlite3_column_text(st, 1), (size_t)sqlite3_column_bytes(st, 1));
		p->lang = dup_n(sqlite3_column_text(st, 2), (size_t)sqlite3_column_bytes(st, 2));
		p->title = dup_n(sqlite3_column_text(st, 3), (size_t)sqlite3_column_bytes(st, 3));
		p->body_len = (size_t)sqlite3_column_bytes(st, 4);
		p->body = dup_n(sqlite3_column_text(st, 4), p->body_len);
		if (!p->kind || !p->lang || !p->title || !p->body || !salt ||
		    sodium_hex2bin(p->salt, 32, salt, strlen(salt), NULL, &got, NULL) != 0 || got != 32) {
			err_set(e, ERR_FORMAT, "the manifest's record %llu is malformed", (unsigned long long)seq);
			goto done;
		}
	}
	if (!p->body) {
		err_set(e, ERR_USAGE, "the bundle has no record %llu (it has %llu)", (unsigned long long)seq,
			(unsigned long long)n);
		goto done;
	}
	p->count = n;
	merkle_root((const uint8_t(*)[32])leaves, n, p->root);
	size_t cap = merkle_inclusion_proof_len(seq - 1, n);
	if (!(p->path = malloc((cap ? cap : 1) * 32))) {
		err_set(e, ERR_IO, "out of memory");
		goto done;
	}
	if (merkle_inclusion_proof((const uint8_t(*)[32])leaves, n, seq - 1, p->path, cap, &p->npath, e) != 0)
		goto done;
	p->envelope = dup_n(envelope, envelope_len);
	p->signature = dup_n(signature, signature_len);
	p->envelope_len = envelope_len;
	p->signature_len = signature_len;
	if (!p->envelope || !p->signature) {
		err_set(e, ERR_IO, "out of memory");
		goto done;
	}
	rc = 0;
done:
	sqlite3_finalize(st);
	free(leaves);
	if (rc != 0)
		record_proof_free(p);
	return rc;
}

int record_proof_encode(const struct record_proof *p, char **out, size_t *len, struct err *e)
{
	char *s = NULL, hex[65];
	size_t n = 0;
	FILE *f = open_memstream(&s, &n);
	if (!f)
		return err_set(e, ERR_IO, "out of memory");
	fprintf(f, "%s\nbundle-id: %s\nseq: %llu\nkind: %s\nlang: %s\ntitle: %s\n", RECORD_PROOF_FORMAT,
		p->bundle_id, (unsigned long long)p->seq, p->kind, p->lang, p->title);
	sodium_bin2hex(hex, sizeof hex, p->salt, 32);
	fprintf(f, "salt: %s\n", hex);
	sodium_bin2hex(hex, sizeof hex, p->root, 32);
	fprintf(f, "records: %llu %s\npath: %zu\n", (unsigned long long)p->count, hex, p->npath);
	for (size_t i = 0; i < p->npath; i++) {
		sodium_bin2hex(hex, sizeof hex, p->path[i], 32);
		fprintf(f, "%s\n", hex);
	}
	fprintf(f, "body: %zu\n", p->body_len);
	fwrite(p->body, 1, p->body_len, f);
	fprintf(f, "\nenvelope: %zu\n", p->envelope_len);
	fwrite(p->envelope, 1, p->envelope_len, f);
	fprintf(f, "\nenvelope.minisig: %zu\n", p->signature_len);
	fwrite(p->signature, 1, p->signature_len, f);
	fputc('\n', f);
	if (fclose(f) != 0) {
		free(s);
		return err_set(e, ERR_IO, "out of memory");
	}
	*out = s;
	*len = n;
	return 0;
}

/* Proof parsing: lines "key: value" and length-prefixed blobs. */
struct pcur {
	const char *p, *end;
	uint64_t over, max; /* a number past its limit, and that limit (over > max when set) */
};

static bool pline(struct pcur *c, const char *key, const char **v, size_t *vn)
{
	const char *lf = memchr(c->p, '\n', (size_t)(c->end - c->p));
	size_t kl = strlen(key);
	if (!lf || (size_t)(lf - c->p) < kl + 2 || memcmp(c->p, key, kl) != 0 || c->p[kl] != ':' ||
	    c->p[kl + 1] != ' ')
		return false;
	*v = c->p + kl + 2;
	*vn = (size_t)(lf - *v);
	c->p = lf + 1;
	return true;
}

/* A canonical decimal of at most max; one past it is noted in c, for the message. */
static bool pnum(struct pcur *c, const char *v, size_t n, uint64_t max, uint64_t *out)
{
	if (n == 0 || (n > 1 && v[0] == '0'))
		return false;
	uint64_t x = 0;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return false;
		if (i < 19)
			x = x * 10 + (uint64_t)(v[i] - '0');
	}
	if (n > 19 || x > max) {
		c->over = n > 19 ? UINT64_MAX : x;
		c->max = max;
		return false;
	}
	*out = x;
	return true;
}

static bool phex(const char *v, size_t n, uint8_t *out, size_t want)
{
	size_t got = 0;
	return n == want * 2 && strspn(v, "0123456789abcdef") >= n &&
	       sodium_hex2bin(out, want, v, n, NULL, &got, NULL) == 0 && got == want;
}

static bool ptext(const char *v, size_t n, char **out, bool one_line)
{
	if (memchr(v, 0, n) || !text_utf8_valid(v, n) || (one_line && text_has_controls(v, n)))
		return false;
	return (*out = dup_n(v, n)) != NULL;
}

static bool pblob(struct pcur *c, const char *key, size_t max, char **out, size_t *n)
{
	const char *v;
	size_t vn;
	uint64_t len;
	if (!pline(c, key, &v, &vn) || !pnum(c, v, vn, max, &len) || len + 1 > (uint64_t)(c->end - c->p) ||
	    c->p[len] != '\n')
		return false;
	if (!ptext(c->p, (size_t)len, out, false))
		return false;
	*n = (size_t)len;
	c->p += len + 1;
	return true;
}

int record_proof_parse(const char *text, size_t len, struct record_proof *p, struct err *e)
{
	struct pcur c = {text, text + len, 0, 0};
	const char *v;
	size_t vn;
	uint64_t k;
	memset(p, 0, sizeof *p);
	size_t fl = strlen(RECORD_PROOF_FORMAT);
	if (len < fl + 1 || memcmp(text, RECORD_PROOF_FORMAT, fl) != 0 || text[fl] != '\n')
		return err_set(e, ERR_FORMAT, "not an %s file", RECORD_PROOF_FORMAT);
	c.p += fl + 1;
	const char *what = "bundle-id";
	if (!pline(&c, "bundle-id", &v, &vn) || vn != 32 || strspn(v, "0123456789abcdef") < 32)
		goto bad;
	memcpy(p->bundle_id, v, 32);
	what = "seq";
	if (!pline(&c, "seq", &v, &vn) || !pnum(&c, v, vn, UINT32_MAX, &p->seq) || p->seq == 0)
		goto bad;
	what = "kind";
	if (!pline(&c, "kind", &v, &vn) || !ptext(v, vn, &p->kind, true))
		goto bad;
	what = "lang";
	if (!pline(&c, "lang", &v, &vn) || !ptext(v, vn, &p->lang, true))
		goto bad;
	what = "title";
	if (!pline(&c, "title", &v, &vn) || !ptext(v, vn, &p->title, true))
		goto bad;
	what = "salt";
	if (!pline(&c, "salt", &v, &vn) || !phex(v, vn, p->salt, 32))
		goto bad;
	what = "records";
	if (!pline(&c, "records", &v, &vn) || vn < 66 || v[vn - 65] != ' ' ||
	    !pnum(&c, v, vn - 65, UINT32_MAX, &p->count) || !phex(v + vn - 64, 64, p->root, 32))
		goto bad;
	what = "path";
	if (!pline(&c, "path", &v, &vn) || !pnum(&c, v, vn, 64, &k))
		goto bad;
	if (!(p->path = malloc((k ? k : 1) * 32))) {
		record_proof_free(p);
		return err_set(e, ERR_IO, "out of memory");
	}
	for (uint64_t i = 0; i < k; i++) {
		const char *lf = memchr(c.p, '\n', (size_t)(c.end - c.p));
		if (!lf || !phex(c.p, (size_t)(lf - c.p), p->path[i], 32))
			goto bad;
		c.p = lf + 1;
	}
	p->npath = (size_t)k;
	what = "body";
	if (!pblob(&c, "body", 1u << 20, &p->body, &p->body_len))
		goto bad;
	what = "envelope";
	if (!pblob(&c, "envelope", 65536, &p->envelope, &p->envelope_len))
		goto bad;
	what = "envelope.minisig";
	if (!pblob(&c, "envelope.minisig", 16384, &p->signature, &p->signature_len))
		goto bad;
	if (c.p != c.end) {
		what = "the end";
		goto bad;
	}
	return 0;
bad:
	record_proof_free(p);
	if (c.over == UINT64_MAX) /* more than 19 digits: not read to the end */
		return err_set(e, ERR_FORMAT, "record proof: the '%s' part says a number of 20 digits or more, more than the %llu allowed",
			       what, (unsigned long long)c.max);
	if (c.over > c.max)
		return err_set(e, ERR_FORMAT, "record proof: the '%s' part says %llu, more than the %llu allowed",
			       what, (unsigned long long)c.over, (unsigned long long)c.max);
	return err_set(e, ERR_FORMAT, "record proof: the '%s' part is malformed", what);
}

int record_proof_check(const struct record_proof *p, const struct minisign_pub *issuer,
		       struct envelope *env, struct err *e)
{
	struct minisign_sig sig = {0};
	uint8_t hash[64], bid[16], leaf[32];
	size_t got = 0;
	char tc[128];
	int rc = -1;
	memset(env, 0, sizeof *env);
	if (envelope_parse(p->envelope, p->envelope_len, env, e) != 0) {
		err_prefix(e, "record proof");
		goto done;
	}
	if (minisign_sig_decode(p->signature, p->signature_len, &sig, e) != 0) {
		err_prefix(e, "record proof: envelope.minisig");
		goto done;
	}
	if (strcmp(sig.untrusted, BUNDLE_ENVELOPE_SIG_COMMENT) != 0) {
		err_set(e, ERR_VERIFY, "record proof: envelope.minisig's untrusted comment is not amana's (it was altered)");
		goto done;
	}
	char kid[17];
	minisign_key_id_hex(issuer->key_id, kid);
	if (strcmp(kid, env->issuer) != 0) {
		err_set(e, ERR_VERIFY, "record proof: the envelope names issuer %s, not the key %s", env->issuer, kid);
		goto done;
	}
	crypto_generichash(hash, 64, (const uint8_t *)p->envelope, p->envelope_len, NULL, 0);
	if (minisign_verify(issuer, &sig, hash, NULL, 0, true, e) != 0) {
		err_prefix(e, "record proof: the envelope's signature");
		goto done;
	}
	envelope_trusted_comment(env, tc, sizeof tc);
	if (strcmp(sig.trusted, tc) != 0) {
		err_set(e, ERR_VERIFY, "record proof: the envelope's signed comment names another bundle");
		goto done;
	}
	char root_hex[65];
	sodium_bin2hex(root_hex, sizeof root_hex, p->root, 32);
	if (strcmp(env->bundle_id, p->bundle_id) != 0) {
		err_set(e, ERR_VERIFY, "record proof: it names bundle %s but carries the envelope of bundle %s",
			p->bundle_id, env->bundle_id);
		goto done;
	}
	if (env->records_count != p->count || strcmp(env->records_root, root_hex) != 0) {
		err_set(e, ERR_VERIFY, "record proof: its records root is not the one the envelope signs");
		goto done;
	}
	if (p->seq > p->count) {
		err_set(e, ERR_VERIFY, "record proof: record %llu of %llu does not exist",
			(unsigned long long)p->seq, (unsigned long long)p->count);
		goto done;
	}
	if (sodium_hex2bin(bid, 16, p->bundle_id, 32, NULL, &got, NULL) != 0 || got != 16) {
		err_set(e, ERR_FORMAT, "record proof: bad bundle id");
		goto done;
	}
	struct record_fields f = {p->seq, p->kind, p->lang, p->title, p->body, p->body_len};
	record_leaf(bid, &f, p->salt, leaf);
	if (merkle_verify_inclusion(p->seq - 1, p->count, leaf, 32, (const uint8_t(*)[32])p->path, p->npath,
				    p->root, 32, e) != 0) {
		err_set(e, ERR_VERIFY, "record proof: the record's text, salt or path does not lead to the signed root (it was altered)");
		goto done;
	}
	rc = 0;
done:
	minisign_sig_clear(&sig);
	if (rc != 0)
		envelope_free(env);
	return rc;
}
