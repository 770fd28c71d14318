/*
 * age_keys.c - age keys and what is done with them (layer 1 of the age module, see
 * age_impl.h): recipient and identity strings, the recipient and identity sets (with
 * recipients files and plain identity files; age.c decrypts passphrase-protected ones), and
 * wrapping and unwrapping the file key in X25519 and scrypt stanzas.
 *
 * Identities and passphrases are kept in sodium_malloc'd memory, one allocation each, and
 * wiped when the set is freed. Messages never quote an identity, not even a malformed one.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vault/age_keys.h"
#include "vault/base64.h"
#include "vault/bech32.h"
#include "vault/hkdf.h"

enum age_kind { KIND_X25519, KIND_SCRYPT };

struct age_recipient {
	enum age_kind kind;
	uint8_t pk[32];
	char *pass; /* sodium_malloc'd, scrypt only */
	size_t passlen;
	int log_n;
};

struct age_recipients {
	struct age_recipient *items;
	size_t n, cap;
};

/* One identity, itself in sodium_malloc'd memory. */
struct age_identity {
	enum age_kind kind;
	uint8_t sk[32];
	uint8_t pk[32];
	char *pass; /* sodium_malloc'd, scrypt only */
	size_t passlen;
};

struct age_identities {
	struct age_identity **items;
	size_t n, cap;
	age_passphrase_fn pass_fn;
	void *pass_ctx;
};

static const uint8_t zero_nonce[12];

/* ---- secrets ----------------------------------------------------------------------------- */

struct age_secrets *age_secrets_new(struct err *e)
{
	if (sodium_init() < 0) {
		err_set(e, ERR_INTERNAL, "cannot initialise libsodium");
		return NULL;
	}
	struct age_secrets *s = sodium_malloc(sizeof *s);
	if (!s) {
		err_set(e, ERR_IO, "out of memory for secret keys");
		return NULL;
	}
	sodium_memzero(s, sizeof *s);
	return s;
}

void age_secrets_free(struct age_secrets *s)
{
	if (s)
		sodium_free(s); /* sodium_free wipes before unmapping */
}

void age_stanza_clear(struct age_stanza *st)
{
	if (st->args) {
		free(st->args[0]); /* one block holds every argument */
		free(st->args);
	}
	free(st->body);
	memset(st, 0, sizeof *st);
}

/* ---- key strings ------------------------------------------------------------------------- */

void age_x25519_keygen(uint8_t sk[32], uint8_t pk[32])
{
	randombytes_buf(sk, 32);
	crypto_scalarmult_base(pk, sk);
}

void age_recipient_encode(char out[AGE_RECIPIENT_LEN + 1], const uint8_t pk[32])
{
	bech32_encode(out, AGE_RECIPIENT_LEN + 1, "age", pk, 32, false);
}

void age_identity_encode(char out[AGE_IDENTITY_LEN + 1], const uint8_t sk[32])
{
	bech32_encode(out, AGE_IDENTITY_LEN + 1, "age-secret-key-", sk, 32, true);
}

static bool starts_with(const char *s, size_t n, const char *prefix)
{
	size_t k = strlen(prefix);
	return n >= k && memcmp(s, prefix, k) == 0;
}

static bool starts_with_nocase(const char *s, size_t n, const char *prefix)
{
	size_t k = strlen(prefix);
	return n >= k && strncasecmp(s, prefix, k) == 0;
}

int age_recipient_decode(const char *s, uint8_t pk[32], struct err *e)
{
	size_t n = strlen(s);
	char hrp[BECH32_MAX_LEN];
	size_t got = 0;

	if (starts_with_nocase(s, n, "AGE-SECRET-KEY-")) {
		err_set(e, ERR_KEY, "an identity (secret key) was given where a recipient was "
				    "expected");
		return err_hint(e, "give the recipient (age1..., the public key) instead; "
				   "'age-keygen -y' prints it; keep the identity secret");
	}
	if (starts_with_nocase(s, n, "age1pq1")) {
		err_set(e, ERR_KEY, "unsupported recipient type: post-quantum hybrid (ML-KEM) "
				    "recipients 'age1pq1...' are not supported by amana");
		return err_hint(e, "ask for an X25519 recipient (age1...), as age-keygen makes "
				   "by default");
	}
	if (starts_with(s, n, "ssh-") || starts_with(s, n, "ecdsa-") ||
	    starts_with(s, n, "sk-ssh-") || starts_with(s, n, "sk-ecdsa-")) {
		err_set(e, ERR_KEY, "unsupported recipient type: SSH keys are not supported by amana");
		return err_hint(e, "use an age X25519 recipient (age1...), made with "
				   "'amana key new encrypt' or age-keygen");
	}
	if (!starts_with_nocase(s, n, "age1"))
		return err_set(e, ERR_FORMAT, "'%.80s' is not an age recipient (age1...)", s);
	if (bech32_decode(hrp, sizeof hrp, pk, 32, &got, s, n) != 0 || got != 32 ||
	    strcmp(hrp, "age") != 0) {
		if (bech32_decode(hrp, sizeof hrp, pk, 32, &got, s, n) == 0 &&
		    strncmp(hrp, "age1", 4) == 0) {
			err_set(e, ERR_KEY, "unsupported recipient type: plugin recipients "
					    "('%.40s...') are not supported by amana",
				hrp);
			return err_hint(e, "use an age X25519 recipient (age1...)");
		}
		sodium_memzero(pk, 32);
		return err_set(e, ERR_FORMAT, "'%.80s' is not a valid age recipient (bad "
					      "Bech32 or length)",
			       s);
	}
	return 0;
}

int age_identity_decode(const char *s, size_t n, uint8_t sk[32], struct err *e)
{
	char hrp[32];
	size_t got = 0;

	if (starts_with(s, n, "AGE-SECRET-KEY-PQ-1")) {
		err_set(e, ERR_KEY, "unsupported identity type: post-quantum hybrid (ML-KEM) "
				    "identities are not supported by amana");
		return err_hint(e, "use an X25519 identity (AGE-SECRET-KEY-1...)");
	}
	if (starts_with(s, n, "AGE-PLUGIN-")) {
		err_set(e, ERR_KEY, "unsupported identity type: plugin identities are not "
				    "supported by amana");
		return err_hint(e, "use an X25519 identity (AGE-SECRET-KEY-1...)");
	}
	if (starts_with_nocase(s, n, "age1")) {
		err_set(e, ERR_KEY, "a recipient (public key) was given where an identity was "
				    "expected");
		return err_hint(e, "give the identity file (AGE-SECRET-KEY-1...) that belongs to "
				   "this recipient");
	}
	/* The type is matched case-sensitively, as age does: identities are upper case. */
	if (!starts_with(s, n, "AGE-SECRET-KEY-1") ||
	    bech32_decode(hrp, sizeof hrp, sk, 32, &got, s, n) != 0 || got != 32 ||
	    strcmp(hrp, "age-secret-key-") != 0) {
		sodium_memzero(sk, 32);
		sodium_memzero(hrp, sizeof hrp);
		return err_set(e, ERR_KEY, "not a valid age identity (AGE-SECRET-KEY-1...)");
	}
	return 0;
}

/* ---- recipients -------------------------------------------------------------------------- */

/* libsodium must be initialised before sodium_malloc; doing it here (it is idempotent and
 * thread-safe) spares every caller the precondition. */
static int need_sodium(struct err *e)
{
	if (sodium_init() < 0)
		return err_set(e, ERR_INTERNAL, "cannot initialise libsodium");
	return 0;
}

int age_recipients_new(struct age_recipients **out, struct err *e)
{
	*out = NULL;
	if (need_sodium(e) != 0)
		return -1;
	*out = calloc(1, sizeof **out);
	return *out ? 0 : err_set(e, ERR_IO, "out of memory");
}

void age_recipients_free(struct age_recipients *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		if (r->items[i].pass)
			sodium_free(r->items[i].pass);
	free(r->items);
	free(r);
}

size_t age_recipients_count(const struct age_recipients *r)
{
	return r ? r->n : 0;
}

bool age_recipients_x25519_only(const struct age_recipients *r)
{
	for (size_t i = 0; r && i < r->n; i++)
		if (r->items[i].kind != KIND_X25519)
			return false;
	return true;
}

static struct age_recipient *recipients_grow(struct age_recipients *r, struct err *e)
{
	if (r->n == r->cap) {
		size_t ncap = r->cap ? r->cap * 2 : 8;
		struct age_recipient *ni = realloc(r->items, ncap * sizeof *ni);
		if (!ni) {
			err_set(e, ERR_IO, "out of memory");
			return NULL;
		}
		r->items = ni;
		r->cap = ncap;
	}
	struct age_recipient *it = &r->items[r->n];
	memset(it, 0, sizeof *it);
	return it;
}

int age_recipients_add(struct age_recipients *r, const char *s, struct err *e)
{
	struct age_recipient *it = recipients_grow(r, e);
	if (!it)
		return -1;
	if (age_recipient_decode(s, it->pk, e) != 0)
		return -1;
	it->kind = KIND_X25519;
	r->n++;
	return 0;
}

int age_recipients_add_file(struct age_recipients *r, const char *text, size_t len,
			    const char *name, struct err *e)
{
	size_t pos = 0, lineno = 0, added = 0;
	while (pos < len) {
		const char *s = text + pos;
		const char *nl = memchr(s, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - s) : len - pos;
		pos += n + (nl ? 1 : 0);
		lineno++;
		while (n > 0 && (s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
			n--;
		while (n > 0 && (s[0] == ' ' || s[0] == '\t')) {
			s++;
			n--;
		}
		if (n == 0 || s[0] == '#')
			continue;
		if (memchr(s, '\0', n))
			return err_set(e, ERR_FORMAT, "recipients file '%s' line %zu contains a "
						      "NUL byte",
				       name, lineno);
		char *line = strndup(s, n);
		if (!line)
			return err_set(e, ERR_IO, "out of memory");
		int rc = age_recipients_add(r, line, e);
		free(line);
		if (rc != 0)
			return err_prefix(e, "recipients file '%s' line %zu", name, lineno);
		added++;
	}
	if (added == 0) {
		err_set(e, ERR_FORMAT, "recipients file '%s' has no recipients", name);
		return err_hint(e, "a recipients file has one age1... recipient a line");
	}
	return 0;
}

int age_recipients_add_passphrase(struct age_recipients *r, const char *pass, size_t len,
				  int log_n, struct err *e)
{
	if (log_n == 0)
		log_n = AGE_SCRYPT_DEFAULT_LOG_N;
	if (log_n < 1 || log_n > AGE_SCRYPT_MAX_LOG_N)
		return err_set(e, ERR_USAGE, "scrypt work factor 2^%d is outside 2^1..2^%d", log_n,
			       AGE_SCRYPT_MAX_LOG_N);
	struct age_recipient *it = recipients_grow(r, e);
	if (!it)
		return -1;
	it->pass = sodium_malloc(len + 1);
	if (!it->pass)
		return err_set(e, ERR_IO, "out of memory for the passphrase");
	if (len > 0)
		memcpy(it->pass, pass, len);
	it->pass[len] = '\0';
	it->passlen = len;
	it->log_n = log_n;
	it->kind = KIND_SCRYPT;
	r->n++;
	return 0;
}

/* ---- identities -------------------------------------------------------------------------- */

int age_identities_new(struct age_identities **out, struct err *e)
{
	*out = NULL;
	if (need_sodium(e) != 0)
		return -1;
	*out = calloc(1, sizeof **out);
	return *out ? 0 : err_set(e, ERR_IO, "out of memory");
}

void age_identities_free(struct age_identities *ids)
{
	if (!ids)
		return;
	for (size_t i = 0; i < ids->n; i++) {
		if (ids->items[i]->pass)
			sodium_free(ids->items[i]->pass);
		sodium_free(ids->items[i]);
	}
	free(ids->items);
	free(ids);
}

void age_identities_set_passphrase_fn(struct age_identities *ids, age_passphrase_fn fn,
				      void *ctx)
{
	ids->pass_fn = fn;
	ids->pass_ctx = ctx;
}

size_t age_identities_count(const struct age_identities *ids)
{
	return ids ? ids->n : 0;
}

age_passphrase_fn age_identities_passphrase_fn(const struct age_identities *ids, void **ctx)
{
	*ctx = ids->pass_ctx;
	return ids->pass_fn;
}

/* A new, wiped identity in sodium_malloc'd memory, already in the set. */
static struct age_identity *identities_grow(struct age_identities *ids, struct err *e)
{
	if (ids->n == ids->cap) {
		size_t ncap = ids->cap ? ids->cap * 2 : 4;
		struct age_identity **ni = realloc(ids->items, ncap * sizeof *ni);
		if (!ni) {
			err_set(e, ERR_IO, "out of memory");
			return NULL;
		}
		ids->items = ni;
		ids->cap = ncap;
	}
	struct age_identity *id = sodium_malloc(sizeof *id);
	if (!id) {
		err_set(e, ERR_IO, "out of memory for an identity");
		return NULL;
	}
	sodium_memzero(id, sizeof *id);
	ids->items[ids->n++] = id;
	return id;
}

/* Drops the last identity (one that failed to parse). */
static void identities_drop_last(struct age_identities *ids)
{
	struct age_identity *id = ids->items[--ids->n];
	if (id->pass)
		sodium_free(id->pass);
	sodium_free(id);
}

int age_identities_add(struct age_identities *ids, const char *s, size_t n, struct err *e)
{
	struct age_identity *id = identities_grow(ids, e);
	if (!id)
		return -1;
	if (age_identity_decode(s, n, id->sk, e) != 0) {
		identities_drop_last(ids);
		return -1;
	}
	id->kind = KIND_X25519;
	crypto_scalarmult_base(id->pk, id->sk);
	return 0;
}

int age_identities_add_passphrase(struct age_identities *ids, const char *pass, size_t len,
				  struct err *e)
{
	struct age_identity *id = identities_grow(ids, e);
	if (!id)
		return -1;
	id->pass = sodium_malloc(len + 1);
	if (!id->pass) {
		identities_drop_last(ids);
		return err_set(e, ERR_IO, "out of memory for the passphrase");
	}
	if (len > 0)
		memcpy(id->pass, pass, len);
	id->pass[len] = '\0';
	id->passlen = len;
	id->kind = KIND_SCRYPT;
	return 0;
}

int age_identities_add_text(struct age_identities *ids, const unsigned char *data, size_t len,
			    const char *name, struct err *e)
{
	size_t pos = 0, lineno = 0, added = 0;
	while (pos < len) {
		const char *s = (const char *)data + pos;
		const char *nl = memchr(s, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - s) : len - pos;
		pos += n + (nl ? 1 : 0);
		lineno++;
		if (n > 0 && s[n - 1] == '\r')
			n--;
		if (n == 0 || s[0] == '#')
			continue;
		if (age_identities_add(ids, s, n, e) != 0)
			return err_prefix(e, "identity file '%s' line %zu", name, lineno);
		added++;
	}
	if (added == 0) {
		err_set(e, ERR_KEY, "identity file '%s' has no identities", name);
		return err_hint(e, "an identity file has AGE-SECRET-KEY-1... lines, as "
				   "age-keygen writes them");
	}
	return 0;
}

/* ---- wrapping ---------------------------------------------------------------------------- */

/* Gives st one allocation holding the arguments a0, a1 and (when not NULL) a2. */
static int stanza_set_args(struct age_stanza *st, const char *a0, const char *a1, const char *a2,
			   struct err *e)
{
	size_t l0 = strlen(a0) + 1, l1 = strlen(a1) + 1, l2 = a2 ? strlen(a2) + 1 : 0;
	char *block = malloc(l0 + l1 + l2);
	st->nargs = a2 ? 3 : 2;
	st->args = calloc(st->nargs, sizeof *st->args);
	if (!block || !st->args) {
		free(block);
		free(st->args);
		st->args = NULL;
		return err_set(e, ERR_IO, "out of memory");
	}
	memcpy(block, a0, l0);
	memcpy(block + l0, a1, l1);
	if (a2)
		memcpy(block + l0 + l1, a2, l2);
	st->args[0] = block;
	st->args[1] = block + l0;
	if (a2)
		st->args[2] = block + l0 + l1;
	return 0;
}

/* Seals the file key under s->wrap into a fresh 32-byte body. */
static int seal_file_key(struct age_stanza *st, struct age_secrets *s, struct err *e)
{
	st->body = malloc(AGE_FILE_KEY_SIZE + 16);
	if (!st->body)
		return err_set(e, ERR_IO, "out of memory");
	crypto_aead_chacha20poly1305_ietf_encrypt(st->body, NULL, s->file_key, AGE_FILE_KEY_SIZE,
						  NULL, 0, NULL, zero_nonce, s->wrap);
	st->bodylen = AGE_FILE_KEY_SIZE + 16;
	sodium_memzero(s->wrap, sizeof s->wrap);
	return 0;
}

static int wrap_x25519(const struct age_recipient *r, size_t idx, struct age_secrets *s,
		       struct age_stanza *st, struct err *e)
{
	uint8_t share[32], salt[64];
	char share64[48];

	randombytes_buf(s->eph, sizeof s->eph);
	crypto_scalarmult_base(share, s->eph);
	if (crypto_scalarmult(s->shared, s->eph, r->pk) != 0) {
		sodium_memzero(s->eph, sizeof s->eph);
		return err_set(e, ERR_KEY, "recipient %zu is a low-order X25519 point: refusing to "
					   "encrypt to it",
			       idx + 1);
	}
	sodium_memzero(s->eph, sizeof s->eph);
	memcpy(salt, share, 32);
	memcpy(salt + 32, r->pk, 32);
	hkdf_sha256(s->wrap, 32, salt, sizeof salt, s->shared, 32,
		    (const uint8_t *)AGE_X25519_LABEL, strlen(AGE_X25519_LABEL));
	sodium_memzero(s->shared, sizeof s->shared);
	b64_encode(share64, sizeof share64, share, 32, B64_UNPADDED);
	if (stanza_set_args(st, "X25519", share64, NULL, e) != 0)
		return -1;
	return seal_file_key(st, s, e);
}

/* S = label || salt; wrap = scrypt(pass, S, 2^log_n, 8, 1). */
static int scrypt_key(struct age_secrets *s, const char *pass, size_t passlen,
		      const uint8_t salt[16], int log_n, struct err *e)
{
	uint8_t full[sizeof AGE_SCRYPT_LABEL - 1 + 16];
	memcpy(full, AGE_SCRYPT_LABEL, sizeof AGE_SCRYPT_LABEL - 1);
	memcpy(full + sizeof AGE_SCRYPT_LABEL - 1, salt, 16);
	if (crypto_pwhash_scryptsalsa208sha256_ll((const uint8_t *)pass, passlen, full, sizeof full,
						  (uint64_t)1 << log_n, 8, 1, s->wrap,
						  sizeof s->wrap) != 0)
		return err_set(e, ERR_IO, "scrypt with work factor 2^%d failed (out of memory?)",
			       log_n);
	return 0;
}

static int wrap_scrypt(const struct age_recipient *r, struct age_secrets *s,
		       struct age_stanza *st, struct err *e)
{
	uint8_t salt[16];
	char salt64[32], logn[8];
	randombytes_buf(salt, sizeof salt);
	if (scrypt_key(s, r->pass, r->passlen, salt, r->log_n, e) != 0)
		return -1;
	b64_encode(salt64, sizeof salt64, salt, sizeof salt, B64_UNPADDED);
	snprintf(logn, sizeof logn, "%d", r->log_n);
	if (stanza_set_args(st, "scrypt", salt64, logn, e) != 0) {
		sodium_memzero(s->wrap, sizeof s->wrap);
		return -1;
	}
	return seal_file_key(st, s, e);
}

int age_recipients_wrap(const struct age_recipients *r, struct age_secrets *s,
			struct age_stanza **out, size_t *n, struct err *e)
{
	*out = NULL;
	*n = 0;
	if (!r || r->n == 0) {
		err_set(e, ERR_USAGE, "no recipients to encrypt to");
		return err_hint(e, "give at least one recipient or a passphrase");
	}
	for (size_t i = 0; i < r->n; i++)
		if (r->items[i].kind == KIND_SCRYPT && r->n > 1)
			return err_set(e, ERR_USAGE, "a passphrase cannot be combined with other "
						     "recipients");
	struct age_stanza *st = calloc(r->n, sizeof *st);
	if (!st)
		return err_set(e, ERR_IO, "out of memory");
	for (size_t i = 0; i < r->n; i++) {
		int rc = r->items[i].kind == KIND_X25519 ? wrap_x25519(&r->items[i], i, s, &st[i], e)
							 : wrap_scrypt(&r->items[i], s, &st[i], e);
		if (rc != 0) {
			for (size_t k = 0; k <= i; k++)
				age_stanza_clear(&st[k]);
			free(st);
			return -1;
		}
	}
	*out = st;
	*n = r->n;
	return 0;
}

/* ---- unwrapping -------------------------------------------------------------------------- */

/* Opens a 32-byte body under s->wrap into s->file_key: 1 when it opened, 0 when not. */
static int open_file_key(const struct age_stanza *st, struct age_secrets *s)
{
	int ok = crypto_aead_chacha20poly1305_ietf_decrypt(s->file_key, NULL, NULL, st->body,
							   st->bodylen, NULL, 0, zero_nonce,
							   s->wrap) == 0;
	sodium_memzero(s->wrap, sizeof s->wrap);
	if (!ok)
		sodium_memzero(s->file_key, sizeof s->file_key);
	return ok;
}

/* 1: unwrapped, 0: not for this identity, -1: the stanza is malformed (e set). */
static int unwrap_x25519(const struct age_identity *id, const struct age_stanza *st, size_t idx,
			 struct age_secrets *s, struct err *e)
{
	uint8_t share[32], salt[64];
	if (b64_decode_exact(share, 32, st->args[1], strlen(st->args[1]), B64_UNPADDED) != 0)
		return err_set(e, ERR_FORMAT, "invalid age header: bad X25519 share in stanza %zu",
			       idx + 1);
	if (crypto_scalarmult(s->shared, id->sk, share) != 0) {
		sodium_memzero(s->shared, sizeof s->shared);
		return err_set(e, ERR_FORMAT, "invalid age header: X25519 stanza %zu gives an "
					      "all-zero shared secret (a low-order share)",
			       idx + 1);
	}
	memcpy(salt, share, 32);
	memcpy(salt + 32, id->pk, 32);
	hkdf_sha256(s->wrap, 32, salt, sizeof salt, s->shared, 32,
		    (const uint8_t *)AGE_X25519_LABEL, strlen(AGE_X25519_LABEL));
	sodium_memzero(s->shared, sizeof s->shared);
	return open_file_key(st, s);
}

static int unwrap_scrypt(const char *pass, size_t passlen, const struct age_stanza *st,
			 struct age_secrets *s, struct err *e)
{
	uint8_t salt[16];
	int log_n = atoi(st->args[2]); /* checked by age_header_check */
	if (b64_decode_exact(salt, 16, st->args[1], strlen(st->args[1]), B64_UNPADDED) != 0 ||
	    log_n < 1 || log_n > AGE_SCRYPT_MAX_LOG_N)
		return err_set(e, ERR_FORMAT, "invalid age header: bad scrypt stanza");
	if (scrypt_key(s, pass, passlen, salt, log_n, e) != 0)
		return -1;
	return open_file_key(st, s);
}

/* Lists the distinct types of the n stanzas st, quoted, into buf: the first six, then "...". Each
 * stanza is compared with the types shown so far only, so that a header of a hundred thousand
 * stanzas costs a hundred thousand comparisons, not their square. */
static void list_types(const struct age_stanza *st, size_t n_st, char *buf, size_t cap)
{
	const char *shown[6];
	size_t o = 0, n = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < n_st && o + 1 < cap; i++) {
		const char *type = st[i].args[0];
		bool seen = false;
		for (size_t k = 0; k < n && !seen; k++)
			seen = strcmp(shown[k], type) == 0;
		if (seen)
			continue;
		if (n == 6) {
			snprintf(buf + o, cap - o, ", ...");
			return;
		}
		int w = snprintf(buf + o, cap - o, "%s'%.40s'", n ? ", " : "", type);
		if (w < 0)
			return;
		o += (size_t)w;
		shown[n++] = type;
	}
}

/* The file is passphrase-encrypted: try the passphrases given, else ask for one. */
static int unwrap_passphrase(const struct age_identities *ids, const struct age_stanza *st,
			     struct age_secrets *s, struct err *e)
{
	size_t npass = 0, nx = 0;
	for (size_t i = 0; ids && i < ids->n; i++) {
		if (ids->items[i]->kind != KIND_SCRYPT) {
			nx++;
			continue;
		}
		npass++;
		int rc = unwrap_scrypt(ids->items[i]->pass, ids->items[i]->passlen, st, s, e);
		if (rc != 0)
			return rc > 0 ? 0 : -1;
	}
	if (npass == 0 && nx > 0) {
		err_set(e, ERR_KEY, "the file is encrypted with a passphrase, not to an identity");
		return err_hint(e, "decrypt it without identities to be asked for the passphrase");
	}
	if (npass == 0 && ids && ids->pass_fn) {
		char *pass = NULL;
		size_t len = 0;
		if (ids->pass_fn(ids->pass_ctx, "Enter passphrase: ", &pass, &len, e) != 0)
			return -1;
		int rc = unwrap_scrypt(pass, len, st, s, e);
		sodium_free(pass);
		if (rc != 0)
			return rc > 0 ? 0 : -1;
		npass++;
	}
	if (npass == 0) {
		err_set(e, ERR_KEY, "the file is encrypted with a passphrase and none was given");
		return err_hint(e, "give the passphrase on the terminal, with --passphrase-fd or "
				   "AMANA_PASSPHRASE_FILE");
	}
	err_set(e, ERR_KEY, "incorrect passphrase");
	return err_hint(e, "check the passphrase and try again");
}

int age_identities_unwrap(const struct age_identities *ids, const struct age_stanza *st, size_t n,
			  struct age_secrets *s, struct err *e)
{
	size_t nx25519 = 0, nids = 0;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(st[i].args[0], "scrypt") == 0)
			return unwrap_passphrase(ids, &st[i], s, e); /* it stands alone */
		if (strcmp(st[i].args[0], "X25519") == 0)
			nx25519++;
	}
	for (size_t k = 0; ids && k < ids->n; k++) {
		const struct age_identity *id = ids->items[k];
		if (id->kind != KIND_X25519)
			continue;
		nids++;
		for (size_t i = 0; i < n; i++) {
			if (strcmp(st[i].args[0], "X25519") != 0)
				continue;
			int rc = unwrap_x25519(id, &st[i], i, s, e);
			if (rc > 0) {
				s->matched_x25519 = true;
				memcpy(s->matched_pk, id->pk, 32);
				s->matched_stanza = i + 1;
			}
			if (rc != 0)
				return rc > 0 ? 0 : -1;
		}
	}
	if (nx25519 == 0) {
		char types[256];
		list_types(st, n, types, sizeof types);
		err_set(e, ERR_KEY, "no identity matches: the file's recipient stanzas are of type %s, "
				    "none of which amana supports (unsupported recipient type)",
			types);
		return err_hint(e, "ask the sender to encrypt to an X25519 recipient (age1...)");
	}
	if (nids == 0) {
		err_set(e, ERR_KEY, "no identity to decrypt with");
		return err_hint(e, "give an identity file (AGE-SECRET-KEY-1...) with -i");
	}
	err_set(e, ERR_KEY, "no identity matches any of the file's %zu X25519 recipient%s", nx25519,
		nx25519 == 1 ? "" : "s");
	return err_hint(e, "the file was not encrypted to the identities given; check which key "
			   "it was meant for");
}
