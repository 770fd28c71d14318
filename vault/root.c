/*
 * root.c - the issuer's trust root (amana-root/1): strict parsing, writing, signing and the
 * checks of one root, of a rotation and of a chain. See root.h; docs/format.md is normative.
 *
 * A root is parsed line by line against a fixed order; every refusal names the line and the
 * field, so that a secretariat editing one by hand knows where it went wrong. Signatures are
 * minisign signature files embedded four lines at a time; they are checked against the
 * BLAKE2b-512 of the body, which is also the root's digest, so that what `minisign -V`
 * checks by hand and what the envelope names are the same bytes.
 */
#include "vault/root.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vault/base64.h"
#include "vault/clock.h"
#include "vault/text.h"

#define UNTRUSTED_LINE "untrusted comment: "

/* ---- small parsers ------------------------------------------------------------------------ */

/* "KEYID BASE64": 16 upper-case hex digits and minisign's public key line for the same key. */
static bool key_value(const char *v, struct root_key *k, const char **end)
{
	if (strlen(v) < 17 + 56 || v[16] != ' ')
		return false;
	char id[17];
	memcpy(id, v, 16);
	id[16] = '\0';
	if (strspn(id, "0123456789ABCDEF") != 16 || !minisign_key_id_parse(id, k->key_id))
		return false;
	uint8_t raw[42];
	if (b64_decode_exact(raw, sizeof raw, v + 17, 56, B64_PADDED) != 0)
		return false;
	if (raw[0] != 'E' || raw[1] != 'd' || memcmp(raw + 2, k->key_id, 8) != 0)
		return false;
	memcpy(k->pk, raw + 10, 32);
	memcpy(k->id, id, 17);
	*end = v + 17 + 56;
	return true;
}

/* " TIME" at s: an RFC 3339 time after one space. */
static bool time_after_space(const char *s, int64_t *t, const char **end)
{
	if (*s != ' ' || strlen(s + 1) < 20)
		return false;
	char buf[21];
	memcpy(buf, s + 1, 20);
	buf[20] = '\0';
	if (!clock_parse_rfc3339(buf, t))
		return false;
	*end = s + 21;
	return true;
}

/* ---- lines -------------------------------------------------------------------------------- */

struct cursor {
	const char *p, *end;
	size_t line; /* the number of the line last taken, from 1 */
};

/* The next line without its LF into a malloc'd string (NULL at the end of the text or on a
 * line without LF, which is reported). */
static int next_line(struct cursor *c, char **out, struct err *e)
{
	*out = NULL;
	if (c->p >= c->end)
		return 0;
	const char *lf = memchr(c->p, '\n', (size_t)(c->end - c->p));
	c->line++;
	if (!lf)
		return err_set(e, ERR_FORMAT, "root line %zu: the line does not end with a line feed", c->line);
	size_t n = (size_t)(lf - c->p);
	if (n && c->p[n - 1] == '\r')
		return err_set(e, ERR_FORMAT, "root line %zu: the line ends with CR LF; roots use LF alone", c->line);
	if (!(*out = strndup(c->p, n)))
		return err_set(e, ERR_IO, "out of memory");
	if (memchr(c->p, 0, n) || !text_utf8_valid(c->p, n) || text_has_controls(c->p, n)) {
		free(*out);
		*out = NULL;
		return err_set(e, ERR_FORMAT, "root line %zu: not one line of UTF-8 text", c->line);
	}
	c->p = lf + 1;
	return 0;
}

/* The value of "KEY: VALUE" when line has that key; NULL otherwise. */
static const char *value_of(const char *line, const char *key)
{
	size_t kl = strlen(key);
	if (strncmp(line, key, kl) != 0 || line[kl] != ':' || line[kl + 1] != ' ')
		return NULL;
	return line + kl + 2;
}

static int bad_field(const struct cursor *c, const char *field, const char *what, struct err *e)
{
	err_set(e, ERR_FORMAT, "root line %zu: the '%s' field %s", c->line, field, what);
	return err_hint(e, "docs/format.md, \"The trust root\", gives each field's form");
}

/* Is the key id a before b (the order of the root's lists)? */
static int id_cmp(const char *a, const char *b)
{
	return strcmp(a, b);
}

/* ---- parsing ------------------------------------------------------------------------------ */

void root_free(struct root *r)
{
	if (!r)
		return;
	free(r->name);
	for (size_t i = 0; i < r->nsigs; i++)
		minisign_sig_clear(&r->sigs[i]);
	free(r->body);
	free(r->text);
	memset(r, 0, sizeof *r);
}

/* Parses the body's lines from c into r; stops before the first signature (or the end). */
static int parse_body(struct cursor *c, struct root *r, struct err *e)
{
	static const char *const head[] = {"format", "root-id", "name", "version", "expires", "threshold"};
	char *line = NULL;
	const char *v, *rest;
	uint64_t n = 0;
	for (size_t k = 0; k < sizeof head / sizeof head[0]; k++) {
		if (next_line(c, &line, e) != 0)
			return -1;
		if (!line) {
			err_set(e, ERR_FORMAT, "the root ends before its '%s' line", head[k]);
			return err_hint(e, "docs/format.md, \"The trust root\", gives the lines in order");
		}
		if (!(v = value_of(line, head[k]))) {
			err_set(e, ERR_FORMAT, "root line %zu: expected the '%s' field", c->line, head[k]);
			free(line);
			return err_hint(e, "docs/format.md, \"The trust root\", gives the lines in order");
		}
		bool ok = true;
		switch (k) {
		case 0: ok = strcmp(v, ROOT_FORMAT) == 0; break;
		case 1:
			ok = text_lower_hex(v, 32);
			if (ok)
				memcpy(r->root_id, v, 33);
			break;
		case 2:
			ok = *v && strlen(v) <= ROOT_NAME_MAX && (r->name = strdup(v)) != NULL;
			break;
		case 3: ok = text_decimal(v, &r->version, &rest) && !*rest && r->version > 0; break;
		case 4: ok = clock_parse_rfc3339(v, &r->expires); break;
		case 5:
			ok = text_decimal(v, &n, &rest) && !*rest && n >= 1 && n <= ROOT_KEYS_MAX;
			r->threshold = (unsigned)n;
			break;
		}
		if (!ok && k == 2 && strlen(v) > ROOT_NAME_MAX) {
			free(line);
			return bad_field(c, "name", "is longer than 256 bytes", e);
		}
		if (!ok) {
			int rc = k == 0 ? (err_set(e, ERR_FORMAT, "root line %zu: the format is not '%s'", c->line,
						   ROOT_FORMAT),
					   err_hint(e, "this amana reads roots of format %s", ROOT_FORMAT))
					: bad_field(c, head[k], "is malformed", e);
			free(line);
			return rc;
		}
		free(line);
	}
	/* Then the key lists, each in increasing key id order, until a signature or the end. */
	enum { ROOTKEYS, SIGNERS, REVOKED } part = ROOTKEYS;
	for (;;) {
		const char *save = c->p;
		size_t save_line = c->line;
		if (next_line(c, &line, e) != 0)
			return -1;
		if (!line || strncmp(line, UNTRUSTED_LINE, strlen(UNTRUSTED_LINE)) == 0 ||
		    strcmp(line, "format: " ROOT_FORMAT) == 0) {
			free(line);
			c->p = save;
			c->line = save_line;
			break;
		}
		if ((v = value_of(line, "root-key")) && part == ROOTKEYS) {
			if (r->nkeys == ROOT_KEYS_MAX) {
				free(line);
				return bad_field(c, "root-key", "is one too many (at most 16 root keys)", e);
			}
			struct root_key *k = &r->keys[r->nkeys];
			if (!key_value(v, k, &rest) || *rest) {
				free(line);
				return bad_field(c, "root-key", "is not 'KEYID PUBLIC-KEY' (minisign's key id and key line)", e);
			}
			if (r->nkeys && id_cmp(r->keys[r->nkeys - 1].id, k->id) >= 0) {
				free(line);
				return bad_field(c, "root-key", "is out of order or repeated (keys go in increasing key id order)", e);
			}
			r->nkeys++;
		} else if ((v = value_of(line, "signing-key")) && part <= SIGNERS) {
			part = SIGNERS;
			if (r->nsigners == ROOT_SIGNERS_MAX) {
				free(line);
				return bad_field(c, "signing-key", "is one too many (at most 64 signing keys)", e);
			}
			struct root_signer *s = &r->signers[r->nsigners];
			if (!key_value(v, &s->key, &rest) || !time_after_space(rest, &s->not_before, &rest) ||
			    !time_after_space(rest, &s->not_after, &rest) || *rest) {
				free(line);
				return bad_field(c, "signing-key", "is not 'KEYID PUBLIC-KEY NOT-BEFORE NOT-AFTER'", e);
			}
			if (s->not_after < s->not_before) {
				free(line);
				return bad_field(c, "signing-key", "ends (not-after) before it starts (not-before)", e);
			}
			if (r->nsigners && id_cmp(r->signers[r->nsigners - 1].key.id, s->key.id) >= 0) {
				free(line);
				return bad_field(c, "signing-key", "is out of order or repeated (keys go in increasing key id order)", e);
			}
			r->nsigners++;
		} else if ((v = value_of(line, "revoked")) && part >= SIGNERS) {
			part = REVOKED;
			if (r->nrevoked == ROOT_REVOKED_MAX) {
				free(line);
				return bad_field(c, "revoked", "is one too many (at most 64 revocations)", e);
			}
			struct root_revoked *x = &r->revoked[r->nrevoked];
			char id[17], hex[65];
			bool ok = strlen(v) > 17 && v[16] == ' ';
			if (ok) {
				memcpy(id, v, 16);
				id[16] = '\0';
				ok = strspn(id, "0123456789ABCDEF") == 16 && minisign_key_id_parse(id, x->key_id) &&
				     text_decimal(v + 17, &x->from, &rest) && *rest == ' ' && text_lower_hex(rest + 1, 64);
			}
			if (ok) {
				memcpy(hex, rest + 1, 65);
				ok = sodium_hex2bin(x->log_root, 32, hex, 64, NULL, NULL, NULL) == 0;
				memcpy(x->id, id, 17);
			}
			if (!ok) {
				free(line);
				return bad_field(c, "revoked", "is not 'KEYID POSITION LOG-ROOT'", e);
			}
			if (r->nrevoked && id_cmp(r->revoked[r->nrevoked - 1].id, x->id) >= 0) {
				free(line);
				return bad_field(c, "revoked", "is out of order or repeated (keys go in increasing key id order)", e);
			}
			r->nrevoked++;
		} else {
			char *shown = text_display(line, strlen(line));
			err_set(e, ERR_FORMAT, "root line %zu: unexpected line '%.60s'", c->line, shown ? shown : "?");
			free(shown);
			free(line);
			return err_hint(e, "a root lists root-key, then signing-key, then revoked lines, then its signatures");
		}
		free(line);
	}
	return 0;
}

/* Reads the signatures (four lines each) that follow the body, up to the next root or the end. */
static int parse_sigs(struct cursor *c, struct root *r, struct err *e)
{
	while (c->p < c->end) {
		static const char next_root[] = "format: " ROOT_FORMAT "\n";
		if ((size_t)(c->end - c->p) >= sizeof next_root - 1 &&
		    memcmp(c->p, next_root, sizeof next_root - 1) == 0)
			break;
		const char *start = c->p;
		size_t first = c->line + 1;
		char *l[4] = {NULL, NULL, NULL, NULL};
		int rc = 0;
		for (int i = 0; i < 4 && rc == 0; i++) {
			rc = next_line(c, &l[i], e);
			if (rc == 0 && !l[i])
				rc = err_set(e, ERR_FORMAT, "root line %zu: a signature ends after %d of its 4 lines",
					     c->line, i);
		}
		for (int i = 0; i < 4; i++)
			free(l[i]);
		if (rc != 0)
			return -1;
		if (r->nsigs == ROOT_SIGS_MAX)
			return err_set(e, ERR_FORMAT, "root line %zu: more than %d signatures", first, ROOT_SIGS_MAX);
		struct minisign_sig *s = &r->sigs[r->nsigs];
		if (minisign_sig_decode(start, (size_t)(c->p - start), s, e) != 0) {
			minisign_sig_clear(s);
			return err_prefix(e, "root line %zu: the signature", first);
		}
		r->nsigs++;
		if (strcmp(s->untrusted, ROOT_SIG_COMMENT) != 0)
			return err_set(e, ERR_FORMAT, "root line %zu: a root signature's untrusted comment must be '%s'",
				       first, ROOT_SIG_COMMENT);
		if (s->alg != MINISIGN_PREHASHED)
			return err_set(e, ERR_FORMAT, "root line %zu: a root signature must be prehashed (minisign's default)",
				       first);
		for (size_t i = 0; i + 1 < r->nsigs; i++)
			if (memcmp(r->sigs[i].key_id, s->key_id, 8) == 0) {
				char id[17];
				minisign_key_id_hex(s->key_id, id);
				return err_set(e, ERR_FORMAT, "root line %zu: key %s signs twice", first, id);
			}
	}
	return 0;
}

/* Parses one root at c (body and signatures), leaving c after it. */
static int parse_one(struct cursor *c, struct root *r, struct err *e)
{
	memset(r, 0, sizeof *r);
	const char *start = c->p;
	if (parse_body(c, r, e) != 0)
		return -1;
	const char *body_end = c->p;
	if (r->nsigners == 0 && r->nkeys == 0)
		return err_set(e, ERR_FORMAT, "root line %zu: the root has no root-key line", c->line + 1);
	if (r->nsigners == 0)
		return err_set(e, ERR_FORMAT, "root line %zu: the root has no signing-key line", c->line + 1);
	if (parse_sigs(c, r, e) != 0)
		return -1;
	struct err fe;
	err_clear(&fe);
	if (root_check_fields(r, &fe) != 0) {
		err_set(e, ERR_FORMAT, "the root (version %llu): %s", (unsigned long long)r->version, fe.msg);
		return err_hint(e, "docs/format.md, \"The trust root\", gives the rules");
	}
	r->body_len = (size_t)(body_end - start);
	r->text_len = (size_t)(c->p - start);
	if (!(r->body = strndup(start, r->body_len)) || !(r->text = strndup(start, r->text_len)))
		return err_set(e, ERR_IO, "out of memory");
	crypto_generichash(r->digest, 64, (const uint8_t *)r->body, r->body_len, NULL, 0);
	sodium_bin2hex(r->digest_hex, sizeof r->digest_hex, r->digest, 64);
	return 0;
}

int root_parse(const char *text, size_t len, struct root *r, struct err *e)
{
	memset(r, 0, sizeof *r);
	if (len > ROOT_TEXT_MAX)
		return err_set(e, ERR_FORMAT, "the root is larger than %d bytes", ROOT_TEXT_MAX);
	struct cursor c = {text, text + len, 0};
	if (parse_one(&c, r, e) != 0)
		return -1;
	if (c.p != c.end)
		return err_set(e, ERR_FORMAT, "root line %zu: a second root follows the first", c.line + 1);
	return 0;
}

void root_chain_free(struct root *roots, size_t n)
{
	for (size_t i = 0; roots && i < n; i++)
		root_free(&roots[i]);
	free(roots);
}

int root_chain_parse(const char *text, size_t len, struct root **out, size_t *n, struct err *e)
{
	*out = NULL;
	*n = 0;
	if (len > ROOT_CHAIN_MAX)
		return err_set(e, ERR_FORMAT, "the root chain is larger than %u bytes", ROOT_CHAIN_MAX);
	if (len == 0)
		return err_set(e, ERR_FORMAT, "the root chain is empty");
	struct cursor c = {text, text + len, 0};
	size_t cap = 0;
	struct root *v = NULL;
	while (c.p < c.end) {
		if (*n == ROOT_CHAIN_VERSIONS) {
			root_chain_free(v, *n);
			*n = 0;
			return err_set(e, ERR_FORMAT, "the root chain has more than %d versions", ROOT_CHAIN_VERSIONS);
		}
		if (*n == cap) {
			cap = cap ? cap * 2 : 4;
			struct root *nv = realloc(v, cap * sizeof *v);
			if (!nv) {
				root_chain_free(v, *n);
				*n = 0;
				return err_set(e, ERR_IO, "out of memory");
			}
			v = nv;
		}
		if (parse_one(&c, &v[*n], e) != 0) {
			root_free(&v[*n]);
			root_chain_free(v, *n);
			*n = 0;
			return -1;
		}
		if (v[*n].text_len > ROOT_TEXT_MAX) {
			root_chain_free(v, *n + 1);
			*n = 0;
			return err_set(e, ERR_FORMAT, "a root in the chain is larger than %d bytes", ROOT_TEXT_MAX);
		}
		(*n)++;
	}
	*out = v;
	return 0;
}

/* ---- the rules of the fields -------------------------------------------------------------- */

int root_check_fields(const struct root *r, struct err *e)
{
	if (r->nkeys == 0)
		return err_set(e, ERR_USAGE, "a root needs at least one root key");
	if (r->nsigners == 0)
		return err_set(e, ERR_USAGE, "a root needs at least one signing key");
	if (r->threshold < 1 || r->threshold > r->nkeys)
		return err_set(e, ERR_USAGE, "the threshold %u is not between 1 and the %zu root keys",
			       r->threshold, r->nkeys);
	for (size_t i = 0; i < r->nkeys; i++) {
		if (i && id_cmp(r->keys[i - 1].id, r->keys[i].id) >= 0)
			return err_set(e, ERR_USAGE, "root key %s is listed twice", r->keys[i].id);
		for (size_t j = 0; j < r->nsigners; j++)
			if (memcmp(r->keys[i].key_id, r->signers[j].key.key_id, 8) == 0 ||
			    sodium_memcmp(r->keys[i].pk, r->signers[j].key.pk, 32) == 0)
				return err_set(e, ERR_USAGE, "key %s is both a root key and a signing key; a root key stays offline and signs only roots",
					       r->keys[i].id);
	}
	for (size_t j = 0; j < r->nsigners; j++) {
		if (j && id_cmp(r->signers[j - 1].key.id, r->signers[j].key.id) >= 0)
			return err_set(e, ERR_USAGE, "signing key %s is listed twice", r->signers[j].key.id);
		if (r->signers[j].not_after < r->signers[j].not_before)
			return err_set(e, ERR_USAGE, "signing key %s: its window ends before it starts",
				       r->signers[j].key.id);
	}
	for (size_t i = 0; i < r->nrevoked; i++) {
		if (i && id_cmp(r->revoked[i - 1].id, r->revoked[i].id) >= 0)
			return err_set(e, ERR_USAGE, "key %s is revoked twice", r->revoked[i].id);
		if (!root_find_signer(r, r->revoked[i].key_id))
			return err_set(e, ERR_USAGE, "revoked key %s is not one of the root's signing keys",
				       r->revoked[i].id);
	}
	return 0;
}

/* ---- writing and signing ------------------------------------------------------------------ */

static void key_line(FILE *f, const struct root_key *k)
{
	struct minisign_pub pub;
	char b64[57];
	memcpy(pub.key_id, k->key_id, 8);
	memcpy(pub.pk, k->pk, 32);
	minisign_pub_base64(&pub, b64);
	fprintf(f, "%s %s", k->id, b64);
}

int root_finish(struct root *r, struct err *e)
{
	if (root_check_fields(r, e) != 0)
		return -1;
	char *s = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&s, &n);
	if (!f)
		return err_set(e, ERR_IO, "out of memory");
	char t[32], u[32];
	clock_rfc3339(r->expires, t, sizeof t);
	fprintf(f, "format: %s\nroot-id: %s\nname: %s\nversion: %llu\nexpires: %s\nthreshold: %u\n",
		ROOT_FORMAT, r->root_id, r->name, (unsigned long long)r->version, t, r->threshold);
	for (size_t i = 0; i < r->nkeys; i++) {
		fputs("root-key: ", f);
		key_line(f, &r->keys[i]);
		fputc('\n', f);
	}
	for (size_t i = 0; i < r->nsigners; i++) {
		clock_rfc3339(r->signers[i].not_before, t, sizeof t);
		clock_rfc3339(r->signers[i].not_after, u, sizeof u);
		fputs("signing-key: ", f);
		key_line(f, &r->signers[i].key);
		fprintf(f, " %s %s\n", t, u);
	}
	for (size_t i = 0; i < r->nrevoked; i++) {
		char hex[65];
		sodium_bin2hex(hex, sizeof hex, r->revoked[i].log_root, 32);
		fprintf(f, "revoked: %s %llu %s\n", r->revoked[i].id,
			(unsigned long long)r->revoked[i].from, hex);
	}
	if (fclose(f) != 0) {
		free(s);
		return err_set(e, ERR_IO, "out of memory");
	}
	free(r->body);
	r->body = s;
	r->body_len = n;
	crypto_generichash(r->digest, 64, (const uint8_t *)s, n, NULL, 0);
	sodium_bin2hex(r->digest_hex, sizeof r->digest_hex, r->digest, 64);

	/* The text: the body, then each signature's four lines. */
	char *t2 = NULL;
	size_t n2 = 0;
	if (!(f = open_memstream(&t2, &n2)))
		return err_set(e, ERR_IO, "out of memory");
	fwrite(r->body, 1, r->body_len, f);
	for (size_t i = 0; i < r->nsigs; i++) {
		char *sig = minisign_sig_encode(&r->sigs[i]);
		if (!sig) {
			fclose(f);
			free(t2);
			return err_set(e, ERR_IO, "out of memory");
		}
		fputs(sig, f);
		free(sig);
	}
	if (fclose(f) != 0) {
		free(t2);
		return err_set(e, ERR_IO, "out of memory");
	}
	free(r->text);
	r->text = t2;
	r->text_len = n2;
	return 0;
}

/* The trusted comment every signature of r carries. */
static void sig_comment(const struct root *r, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s %s %llu", ROOT_FORMAT, r->root_id, (unsigned long long)r->version);
}

int root_sign(struct root *r, const struct minisign_sec *sk, struct err *e)
{
	char id[17];
	minisign_key_id_hex(sk->key_id, id);
	for (size_t i = 0; i < r->nsigs; i++)
		if (memcmp(r->sigs[i].key_id, sk->key_id, 8) == 0) {
			err_set(e, ERR_USAGE, "key %s has signed version %llu already", id,
				(unsigned long long)r->version);
			return err_hint(e, "the next signature comes from another root key");
		}
	if (r->nsigs == ROOT_SIGS_MAX)
		return err_set(e, ERR_USAGE, "the root has %d signatures already", ROOT_SIGS_MAX);
	char comment[96];
	sig_comment(r, comment, sizeof comment);
	if (minisign_sign(sk, MINISIGN_PREHASHED, r->digest, NULL, 0, comment, ROOT_SIG_COMMENT,
			  &r->sigs[r->nsigs], e) != 0)
		return -1;
	r->nsigs++;
	return root_finish(r, e);
}

/* ---- checking ----------------------------------------------------------------------------- */

const struct root_key *root_find_key(const struct root *r, const uint8_t key_id[8])
{
	for (size_t i = 0; i < r->nkeys; i++)
		if (memcmp(r->keys[i].key_id, key_id, 8) == 0)
			return &r->keys[i];
	return NULL;
}

const struct root_signer *root_find_signer(const struct root *r, const uint8_t key_id[8])
{
	for (size_t i = 0; i < r->nsigners; i++)
		if (memcmp(r->signers[i].key.key_id, key_id, 8) == 0)
			return &r->signers[i];
	return NULL;
}

const struct root_revoked *root_find_revoked(const struct root *r, const uint8_t key_id[8])
{
	for (size_t i = 0; i < r->nrevoked; i++)
		if (memcmp(r->revoked[i].key_id, key_id, 8) == 0)
			return &r->revoked[i];
	return NULL;
}

int root_check(const struct root *r, const struct root *prev, unsigned *own, unsigned *by_prev,
	       struct err *e)
{
	unsigned n_own = 0, n_prev = 0;
	struct err first; /* the first signature that fails; the others are still counted */
	err_clear(&first);
	char comment[96];
	sig_comment(r, comment, sizeof comment);
	for (size_t i = 0; i < r->nsigs; i++) {
		const struct minisign_sig *s = &r->sigs[i];
		const struct root_key *mine = root_find_key(r, s->key_id);
		const struct root_key *old = prev ? root_find_key(prev, s->key_id) : NULL;
		char id[17];
		minisign_key_id_hex(s->key_id, id);
		if (!mine && !old) {
			if (first.code)
				continue;
			err_set(&first, ERR_VERIFY, "root version %llu is signed by key %s, which is not one of its root keys%s",
				(unsigned long long)r->version, id, prev ? " nor of the version before" : "");
			err_hint(&first, "only root keys sign a root; remove that signature or add the key with 'amana root rotate'");
			continue;
		}
		/* Each key the signature could be by is tried with its own public key: a key id is
		 * only a hint, and two versions may list different keys under one id. */
		bool by_mine = false, by_old = false;
		struct err ve;
		err_clear(&ve);
		const struct root_key *cand[2] = {mine, old};
		for (int j = 0; j < 2; j++) {
			if (!cand[j])
				continue;
			struct minisign_pub pub;
			memcpy(pub.key_id, cand[j]->key_id, 8);
			memcpy(pub.pk, cand[j]->pk, 32);
			if (minisign_verify(&pub, s, r->digest, NULL, 0, true, &ve) == 0) {
				if (j == 0)
					by_mine = true;
				else
					by_old = true;
			}
		}
		if (!by_mine && !by_old) {
			if (!first.code) {
				err_set(&first, ERR_VERIFY, "root version %llu: the signature by key %s does not verify (%s)",
					(unsigned long long)r->version, id, ve.msg);
				err_hint(&first, "the root was altered after it was signed, or the signature belongs to another root");
			}
			continue;
		}
		if (strcmp(s->trusted, comment) != 0) {
			if (!first.code) {
				err_set(&first, ERR_VERIFY, "root version %llu: the signature by key %s names '%s', not '%s'",
					(unsigned long long)r->version, id, s->trusted, comment);
				err_hint(&first, "a root signature's trusted comment names the root id and the version it signs");
			}
			continue;
		}
		if (by_mine)
			n_own++;
		if (by_old)
			n_prev++;
	}
	if (own)
		*own = n_own;
	if (by_prev)
		*by_prev = n_prev;
	if (first.code) {
		err_copy(e, &first);
		return -1;
	}
	if (n_own < r->threshold) {
		err_set(e, ERR_VERIFY, "root version %llu has %u of the %u signatures its own root keys must give (below threshold)",
			(unsigned long long)r->version, n_own, r->threshold);
		return err_hint(e, "collect more signatures with 'amana root sign ROOT -s ROOTKEY' on each root key's machine");
	}
	if (prev && n_prev < prev->threshold) {
		err_set(e, ERR_VERIFY, "root version %llu has %u of the %u signatures version %llu's root keys must give (below threshold)",
			(unsigned long long)r->version, n_prev, prev->threshold, (unsigned long long)prev->version);
		return err_hint(e, "a new version is signed by a threshold of the old root keys as well as of its own");
	}
	return 0;
}

int root_check_next(const struct root *prev, const struct root *next, struct err *e)
{
	if (strcmp(prev->root_id, next->root_id) != 0) {
		err_set(e, ERR_VERIFY, "root version %llu belongs to root %s, not to root %s",
			(unsigned long long)next->version, next->root_id, prev->root_id);
		return err_hint(e, "a chain holds the versions of one root");
	}
	if (next->version != prev->version + 1) {
		if (next->version <= prev->version)
			err_set(e, ERR_VERIFY, "root version %llu follows version %llu: a lower or equal version (rollback)",
				(unsigned long long)next->version, (unsigned long long)prev->version);
		else
			err_set(e, ERR_VERIFY, "root version %llu follows version %llu: versions %llu to %llu are missing (a gap)",
				(unsigned long long)next->version, (unsigned long long)prev->version,
				(unsigned long long)prev->version + 1, (unsigned long long)next->version - 1);
		return err_hint(e, "every version from 1 is needed, one after the other");
	}
	return root_check(next, prev, NULL, NULL, e);
}

int root_chain_check(const struct root *roots, size_t n, struct err *e)
{
	if (n == 0)
		return err_set(e, ERR_VERIFY, "the root chain is empty");
	if (roots[0].version != 1) {
		err_set(e, ERR_VERIFY, "the root chain starts at version %llu, not 1 (a gap)",
			(unsigned long long)roots[0].version);
		return err_hint(e, "a chain holds every version from 1");
	}
	if (root_check(&roots[0], NULL, NULL, NULL, e) != 0)
		return -1;
	for (size_t i = 1; i < n; i++)
		if (root_check_next(&roots[i - 1], &roots[i], e) != 0)
			return -1;
	return 0;
}

enum root_key_state root_key_state(const struct root *r, const uint8_t key_id[8], int64_t created,
				   uint64_t index)
{
	const struct root_signer *s = root_find_signer(r, key_id);
	if (!s)
		return ROOT_KEY_NOT_LISTED;
	const struct root_revoked *x = root_find_revoked(r, key_id);
	if (x && index >= x->from)
		return ROOT_KEY_REVOKED;
	if (created < s->not_before)
		return ROOT_KEY_NOT_YET_VALID;
	if (created > s->not_after)
		return ROOT_KEY_EXPIRED;
	return x ? ROOT_KEY_VALID_BEFORE_REVOCATION : ROOT_KEY_VALID;
}

const char *root_key_state_name(enum root_key_state s)
{
	switch (s) {
	case ROOT_KEY_VALID: return "valid";
	case ROOT_KEY_VALID_BEFORE_REVOCATION: return "valid-before-revocation";
	case ROOT_KEY_NOT_LISTED: return "not-listed";
	case ROOT_KEY_NOT_YET_VALID: return "not-yet-valid";
	case ROOT_KEY_EXPIRED: return "expired";
	case ROOT_KEY_REVOKED: return "revoked";
	}
	return "?";
}
