/*
 * note.c - C2SP signed notes, tlog-checkpoints and Ed25519 tlog-cosignatures. See note.h.
 *
 * The byte layouts are those of c2sp.org/signed-note, c2sp.org/tlog-checkpoint and
 * c2sp.org/tlog-cosignature; where the specifications leave a choice, this file follows the
 * strict reading of Go's golang.org/x/mod/sumdb/note (at most 100 signatures, signature
 * blobs of at least 5 bytes) and adds canonical base64 and decimals.
 */
#include "vault/note.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vault/base64.h"
#include "vault/text.h"

/* Every signature line starts with U+2014 EM DASH and a space. */
static const char sig_prefix[] = "\xe2\x80\x94 ";
#define SIG_PREFIX_LEN (sizeof sig_prefix - 1)

static const char cosig_header[] = "cosignature/v1\ntime ";

/* ---- Small helpers ---- */

static uint32_t load_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static void store_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint64_t load_be64(const uint8_t *p)
{
	return (uint64_t)load_be32(p) << 32 | load_be32(p + 4);
}

static void store_be64(uint8_t *p, uint64_t v)
{
	store_be32(p, (uint32_t)(v >> 32));
	store_be32(p + 4, (uint32_t)v);
}

/* Code points with the Unicode White_Space property. */
static bool cp_is_space(uint32_t cp)
{
	if ((cp >= 0x09 && cp <= 0x0d) || cp == 0x20 || cp == 0x85 || cp == 0xa0)
		return true;
	if (cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029)
		return true;
	return cp == 0x202f || cp == 0x205f || cp == 0x3000;
}

/* Checks that s[0..n) is UTF-8 without control characters below U+0020 other than '\n',
 * the rule for every byte of a signed note. Returns 0 or fills e (ERR_FORMAT), naming what
 * and the byte offset. */
static int check_note_chars(const char *what, const char *s, size_t n, struct err *e)
{
	size_t i = 0;
	while (i < n) {
		uint32_t cp;
		size_t k = text_utf8_next(s + i, n - i, &cp);
		if (k == 0)
			return err_set(e, ERR_FORMAT, "%s is not UTF-8 at byte %zu", what, i);
		if (cp < 0x20 && cp != '\n')
			return err_set(e, ERR_FORMAT, "%s has control character 0x%02x at byte %zu",
				       what, (unsigned)cp, i);
		i += k;
	}
	return 0;
}

/* A valid note text: non-empty, ending in '\n', characters as above. */
static int check_note_text(const char *text, size_t len, struct err *e)
{
	if (len == 0 || text[len - 1] != '\n')
		return err_set(e, ERR_FORMAT, "note text must be non-empty and end in a newline");
	return check_note_chars("note text", text, len, e);
}

/* True when s[0..n) holds only characters of the padded base64 alphabet. b64_decode must
 * not see anything else: libsodium 1.0.18's decoder reads bytes from 0x80 up as negative
 * chars and takes some of them for base64 digits, which would give one blob several
 * spellings. */
static bool b64_alphabet_only(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '+' || c == '/' || c == '='))
			return false;
	}
	return true;
}

/* A malloc'd, display-safe copy of a name for messages; NULL when out of memory. */
static char *shown(const char *s)
{
	return text_display(s, strlen(s));
}

/* ---- Key names, key ids, verifier keys ---- */

bool note_name_valid(const char *name, size_t len)
{
	if (len == 0)
		return false;
	size_t i = 0;
	while (i < len) {
		uint32_t cp;
		size_t k = text_utf8_next(name + i, len - i, &cp);
		if (k == 0 || cp < 0x20 || cp == '+' || cp_is_space(cp))
			return false;
		i += k;
	}
	return true;
}

uint32_t note_key_id(const char *name, size_t name_len, uint8_t type,
		     const uint8_t pub[NOTE_PUBKEY_SIZE])
{
	crypto_hash_sha256_state st;
	uint8_t sep[2] = {'\n', type}, h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const uint8_t *)name, name_len);
	crypto_hash_sha256_update(&st, sep, sizeof sep);
	crypto_hash_sha256_update(&st, pub, NOTE_PUBKEY_SIZE);
	crypto_hash_sha256_final(&st, h);
	return load_be32(h);
}

static bool type_supported(uint8_t type)
{
	return type == NOTE_TYPE_ED25519 || type == NOTE_TYPE_COSIG;
}

/* Checks a name for use in a verifier key or a signature line we write. */
static int check_key_name(const char *name, size_t len, struct err *e)
{
	if (len > NOTE_NAME_MAX)
		return err_set(e, ERR_FORMAT, "key name is longer than %d bytes", NOTE_NAME_MAX);
	if (!note_name_valid(name, len))
		return err_set(e, ERR_FORMAT,
			       "key name must be non-empty UTF-8 without spaces, '+' or controls");
	return 0;
}

int note_vkey_make(struct note_vkey *k, const char *name, uint8_t type,
		   const uint8_t pub[NOTE_PUBKEY_SIZE], struct err *e)
{
	size_t len = strlen(name);
	if (check_key_name(name, len, e) != 0)
		return -1;
	if (!type_supported(type))
		return err_set(e, ERR_FORMAT, "unsupported signature type 0x%02x", type);
	memset(k, 0, sizeof *k);
	memcpy(k->name, name, len);
	k->type = type;
	memcpy(k->pub, pub, NOTE_PUBKEY_SIZE);
	k->key_id = note_key_id(name, len, type, pub);
	return 0;
}

/* Reads exactly 8 lowercase hex digits. */
static bool parse_hex8(const char *s, size_t len, uint32_t *out)
{
	if (len != 8)
		return false;
	uint32_t v = 0;
	for (size_t i = 0; i < 8; i++) {
		char c = s[i];
		uint32_t d;
		if (c >= '0' && c <= '9')
			d = (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (uint32_t)(c - 'a' + 10);
		else
			return false;
		v = v << 4 | d;
	}
	*out = v;
	return true;
}

int note_vkey_parse(struct note_vkey *k, const char *s, size_t len, struct err *e)
{
	const char *p1 = memchr(s, '+', len);
	if (!p1)
		return err_set(e, ERR_FORMAT, "verifier key has no '+' after its name");
	size_t name_len = (size_t)(p1 - s);
	const char *id = p1 + 1;
	const char *p2 = memchr(id, '+', len - name_len - 1);
	if (!p2)
		return err_set(e, ERR_FORMAT, "verifier key has no '+' after its key id");
	if (check_key_name(s, name_len, e) != 0)
		return err_prefix(e, "verifier key");
	uint32_t key_id;
	if (!parse_hex8(id, (size_t)(p2 - id), &key_id))
		return err_set(e, ERR_FORMAT, "verifier key id is not 8 lowercase hex digits");
	const char *b64 = p2 + 1;
	size_t b64_len = len - (size_t)(b64 - s);
	uint8_t raw[1 + NOTE_PUBKEY_SIZE];
	if (!b64_alphabet_only(b64, b64_len) ||
	    b64_decode_exact(raw, sizeof raw, b64, b64_len, B64_PADDED) != 0)
		return err_set(e, ERR_FORMAT,
			       "verifier key does not end in base64 of a type byte and a 32-byte key");
	if (!type_supported(raw[0]))
		return err_set(e, ERR_FORMAT, "verifier key has unsupported signature type 0x%02x",
			       raw[0]);
	if (note_key_id(s, name_len, raw[0], raw + 1) != key_id)
		return err_set(e, ERR_FORMAT, "verifier key id does not match its name and key");
	memset(k, 0, sizeof *k);
	memcpy(k->name, s, name_len);
	k->type = raw[0];
	k->key_id = key_id;
	memcpy(k->pub, raw + 1, NOTE_PUBKEY_SIZE);
	return 0;
}

int note_vkey_format(const struct note_vkey *k, char *out, size_t cap, struct err *e)
{
	size_t name_len = strnlen(k->name, sizeof k->name);
	if (name_len == sizeof k->name || check_key_name(k->name, name_len, e) != 0 ||
	    !type_supported(k->type))
		return err_set(e, ERR_FORMAT, "not a valid verifier key");
	uint8_t raw[1 + NOTE_PUBKEY_SIZE];
	raw[0] = k->type;
	memcpy(raw + 1, k->pub, NOTE_PUBKEY_SIZE);
	char b64[64];
	b64_encode(b64, sizeof b64, raw, sizeof raw, B64_PADDED);
	int n = snprintf(out, cap, "%s+%08" PRIx32 "+%s", k->name, k->key_id, b64);
	if (n < 0 || (size_t)n >= cap)
		return err_set(e, ERR_INTERNAL, "no room for a verifier key string");
	return 0;
}

/* ---- Signing (the only code that touches secret keys) ---- */

/* Signs msg[0..len) with the Ed25519 key secret (32-byte seed or 64-byte libsodium secret
 * key) into sig, and puts its public key in pk. The expanded secret key exists only in
 * sodium_malloc memory, which sodium_free wipes. */
static int ed25519_sign(uint8_t sig[crypto_sign_BYTES], uint8_t pk[crypto_sign_PUBLICKEYBYTES],
			const uint8_t *secret, size_t secret_len, const uint8_t *msg, size_t len,
			struct err *e)
{
	if (secret_len != crypto_sign_SEEDBYTES && secret_len != crypto_sign_SECRETKEYBYTES)
		return err_set(e, ERR_KEY, "Ed25519 secret key has the wrong size");
	uint8_t *sk = sodium_malloc(crypto_sign_SECRETKEYBYTES);
	if (!sk)
		return err_set(e, ERR_IO, "out of memory for a secret key");
	/* A libsodium secret key is seed || public key: both forms start with the seed. */
	crypto_sign_seed_keypair(pk, sk, secret);
	if (secret_len == crypto_sign_SECRETKEYBYTES &&
	    sodium_memcmp(pk, secret + crypto_sign_SEEDBYTES, crypto_sign_PUBLICKEYBYTES) != 0) {
		sodium_free(sk);
		return err_set(e, ERR_KEY, "secret key is damaged: its public half does not match");
	}
	crypto_sign_detached(sig, NULL, msg, len, sk);
	sodium_free(sk);
	return 0;
}

/* Builds the signature line "— name base64(blob)\n" in a new malloc'd string. */
static int make_sig_line(const char *name, const uint8_t *blob, size_t blob_len, char **line,
			 size_t *line_len, struct err *e)
{
	size_t name_len = strlen(name);
	size_t b64_len = b64_encoded_len(blob_len, B64_PADDED);
	size_t n = SIG_PREFIX_LEN + name_len + 1 + b64_len + 1;
	char *s = malloc(n + 1);
	if (!s)
		return err_set(e, ERR_IO, "out of memory for a signature line");
	memcpy(s, sig_prefix, SIG_PREFIX_LEN);
	memcpy(s + SIG_PREFIX_LEN, name, name_len);
	s[SIG_PREFIX_LEN + name_len] = ' ';
	b64_encode(s + SIG_PREFIX_LEN + name_len + 1, b64_len + 1, blob, blob_len, B64_PADDED);
	s[n - 1] = '\n';
	s[n] = '\0';
	*line = s;
	*line_len = n;
	return 0;
}

int note_sign(const char *name, const uint8_t *secret, size_t secret_len, const char *text,
	      size_t text_len, char **line, size_t *line_len, struct err *e)
{
	*line = NULL;
	*line_len = 0;
	if (check_key_name(name, strlen(name), e) != 0 || check_note_text(text, text_len, e) != 0)
		return err_prefix(e, "cannot sign note");
	uint8_t blob[4 + crypto_sign_BYTES], pk[crypto_sign_PUBLICKEYBYTES];
	if (ed25519_sign(blob + 4, pk, secret, secret_len, (const uint8_t *)text, text_len, e) != 0)
		return -1;
	store_be32(blob, note_key_id(name, strlen(name), NOTE_TYPE_ED25519, pk));
	return make_sig_line(name, blob, sizeof blob, line, line_len, e);
}

/* ---- Parsing and verifying notes ---- */

void note_init(struct note *n)
{
	memset(n, 0, sizeof *n);
}

void note_free(struct note *n)
{
	for (size_t i = 0; i < n->nsigs; i++) {
		free(n->sigs[i].name);
		free(n->sigs[i].blob);
	}
	free(n->sigs);
	free(n->text);
	note_init(n);
}

/* Parses one signature line line[0..len) (without its '\n') into s. */
static int parse_sig_line(struct note_sig *s, const char *line, size_t len, size_t lineno,
			  struct err *e)
{
	if (len < SIG_PREFIX_LEN || memcmp(line, sig_prefix, SIG_PREFIX_LEN) != 0)
		return err_set(e, ERR_FORMAT, "signature line %zu does not start with an em dash",
			       lineno);
	line += SIG_PREFIX_LEN;
	len -= SIG_PREFIX_LEN;
	const char *sp = memchr(line, ' ', len);
	if (!sp)
		return err_set(e, ERR_FORMAT, "signature line %zu has no signature", lineno);
	size_t name_len = (size_t)(sp - line);
	if (!note_name_valid(line, name_len))
		return err_set(e, ERR_FORMAT, "signature line %zu has an invalid key name", lineno);
	const char *b64 = sp + 1;
	size_t b64_len = len - name_len - 1;
	size_t cap = b64_len / 4 * 3;
	if (b64_len == 0 || cap < 5)
		return err_set(e, ERR_FORMAT, "signature line %zu has a signature that is too short",
			       lineno);
	s->blob = malloc(cap);
	s->name = malloc(name_len + 1);
	if (!s->blob || !s->name)
		return err_set(e, ERR_IO, "out of memory reading a signed note");
	if (!b64_alphabet_only(b64, b64_len) ||
	    b64_decode(s->blob, cap, &s->blob_len, b64, b64_len, B64_PADDED) != 0)
		return err_set(e, ERR_FORMAT, "signature line %zu is not canonical base64", lineno);
	if (s->blob_len < 5)
		return err_set(e, ERR_FORMAT, "signature line %zu has a signature that is too short",
			       lineno);
	memcpy(s->name, line, name_len);
	s->name[name_len] = '\0';
	s->key_id = load_be32(s->blob);
	return 0;
}

int note_parse(struct note *n, const char *msg, size_t len, struct err *e)
{
	if (check_note_chars("signed note", msg, len, e) != 0)
		return -1;
	/* The signatures follow the last blank line. */
	size_t split = 0;
	bool found = false;
	for (size_t i = len; i-- > 1;) {
		if (msg[i] == '\n' && msg[i - 1] == '\n') {
			split = i - 1;
			found = true;
			break;
		}
	}
	if (!found)
		return err_set(e, ERR_FORMAT, "signed note has no blank line before its signatures");
	const char *sigs = msg + split + 2;
	size_t sigs_len = len - split - 2;
	if (sigs_len == 0)
		return err_set(e, ERR_FORMAT, "signed note has no signature lines");
	if (sigs[sigs_len - 1] != '\n')
		return err_set(e, ERR_FORMAT, "last signature line does not end in a newline");
	size_t count = 0;
	for (size_t i = 0; i < sigs_len; i++)
		count += sigs[i] == '\n';
	if (count > NOTE_MAX_SIGS)
		return err_set(e, ERR_FORMAT, "signed note has more than %d signature lines",
			       NOTE_MAX_SIGS);

	n->text_len = split + 1;
	n->text = malloc(n->text_len + 1);
	n->sigs = calloc(count, sizeof *n->sigs);
	if (!n->text || !n->sigs) {
		note_free(n);
		return err_set(e, ERR_IO, "out of memory reading a signed note");
	}
	memcpy(n->text, msg, n->text_len);
	n->text[n->text_len] = '\0';
	size_t at = 0;
	for (size_t i = 0; i < count; i++) {
		const char *nl = memchr(sigs + at, '\n', sigs_len - at);
		size_t line_len = (size_t)(nl - (sigs + at));
		n->nsigs = i + 1; /* so that note_free sees a half-parsed line */
		if (parse_sig_line(&n->sigs[i], sigs + at, line_len, i + 1, e) != 0) {
			note_free(n);
			return -1;
		}
		at += line_len + 1;
	}
	return 0;
}

/* True when signature s verifies under key k over text. */
static bool sig_verifies(const struct note_vkey *k, const struct note_sig *s, const char *text,
			 size_t text_len)
{
	if (k->type == NOTE_TYPE_ED25519) {
		if (s->blob_len != 4 + crypto_sign_BYTES)
			return false;
		return crypto_sign_verify_detached(s->blob + 4, (const uint8_t *)text, text_len,
						   k->pub) == 0;
	}
	if (k->type == NOTE_TYPE_COSIG) {
		struct cosig c;
		return cosig_parse(&c, s->blob, s->blob_len, NULL) == 0 &&
		       cosig_verify(k, &c, text, text_len, NULL) == 0;
	}
	return false;
}

int note_verify(const struct note *n, const struct note_vkey *keys, size_t nkeys,
		bool *verified, struct err *e)
{
	if (verified)
		memset(verified, 0, nkeys * sizeof *verified);
	size_t good = 0;
	for (size_t i = 0; i < n->nsigs; i++) {
		const struct note_sig *s = &n->sigs[i];
		for (size_t j = 0; j < nkeys; j++) {
			const struct note_vkey *k = &keys[j];
			if (k->key_id != s->key_id || strcmp(k->name, s->name) != 0)
				continue;
			if (!sig_verifies(k, s, n->text, n->text_len)) {
				if (verified)
					memset(verified, 0, nkeys * sizeof *verified);
				char *name = shown(s->name);
				err_set(e, ERR_VERIFY, "invalid signature by known key '%s+%08" PRIx32 "'",
					name ? name : "?", s->key_id);
				free(name);
				return err_hint(e, "the note was altered or the key is not the one "
						   "that signed it; do not trust its text");
			}
			if (verified)
				verified[j] = true;
			good++;
		}
	}
	if (good == 0) {
		err_set(e, ERR_VERIFY, "signed note has no signature by a known key");
		return err_hint(e, "check that the signer's verifier key is trusted");
	}
	return 0;
}

/* ---- Checkpoints ---- */

/* Parses a decimal without sign or leading zeros that fits in 64 bits. */
static bool parse_u64(const char *s, size_t len, uint64_t *out)
{
	if (len == 0 || len > 20 || (len > 1 && s[0] == '0'))
		return false;
	uint64_t v = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		unsigned d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

/* Extension lines: each non-empty and ending in '\n', as note text. */
static int check_extensions(const char *ext, size_t len, struct err *e)
{
	if (len == 0)
		return 0;
	if (check_note_text(ext, len, e) != 0)
		return err_prefix(e, "checkpoint extension lines");
	for (size_t i = 0; i < len; i++)
		if (ext[i] == '\n' && (i == 0 || ext[i - 1] == '\n'))
			return err_set(e, ERR_FORMAT, "checkpoint has an empty extension line");
	return 0;
}

int checkpoint_format(const char *origin, uint64_t size, const uint8_t root[32],
		      const char *ext, size_t ext_len, char **text, size_t *text_len,
		      struct err *e)
{
	*text = NULL;
	*text_len = 0;
	size_t olen = strlen(origin);
	if (olen == 0 || memchr(origin, '\n', olen))
		return err_set(e, ERR_FORMAT, "checkpoint origin must be one non-empty line");
	if (check_note_chars("checkpoint origin", origin, olen, e) != 0 ||
	    check_extensions(ext, ext_len, e) != 0)
		return -1;
	char num[24], b64[48];
	snprintf(num, sizeof num, "%" PRIu64, size);
	b64_encode(b64, sizeof b64, root, 32, B64_PADDED);
	size_t n = olen + 1 + strlen(num) + 1 + strlen(b64) + 1 + ext_len;
	char *s = malloc(n + 1);
	if (!s)
		return err_set(e, ERR_IO, "out of memory for a checkpoint");
	int k = snprintf(s, n + 1, "%s\n%s\n%s\n", origin, num, b64);
	if (ext_len)
		memcpy(s + k, ext, ext_len);
	s[n] = '\0';
	*text = s;
	*text_len = n;
	return 0;
}

void checkpoint_init(struct checkpoint *c)
{
	memset(c, 0, sizeof *c);
}

void checkpoint_free(struct checkpoint *c)
{
	free(c->origin);
	free(c->ext);
	checkpoint_init(c);
}

/* Splits off the next line of text[*at..len) (without its '\n'); false when none is left. */
static bool next_line(const char *text, size_t len, size_t *at, const char **line,
		      size_t *line_len)
{
	if (*at >= len)
		return false;
	const char *nl = memchr(text + *at, '\n', len - *at);
	if (!nl)
		return false;
	*line = text + *at;
	*line_len = (size_t)(nl - *line);
	*at += *line_len + 1;
	return true;
}

int checkpoint_parse(struct checkpoint *c, const char *text, size_t len, struct err *e)
{
	if (check_note_text(text, len, e) != 0)
		return err_prefix(e, "checkpoint");
	size_t at = 0;
	const char *origin, *num, *root;
	size_t olen, nlen, rlen;
	if (!next_line(text, len, &at, &origin, &olen) || !next_line(text, len, &at, &num, &nlen) ||
	    !next_line(text, len, &at, &root, &rlen))
		return err_set(e, ERR_FORMAT, "checkpoint has fewer than three lines");
	if (olen == 0)
		return err_set(e, ERR_FORMAT, "checkpoint origin is empty");
	uint64_t size;
	if (!parse_u64(num, nlen, &size))
		return err_set(e, ERR_FORMAT,
			       "checkpoint size is not a decimal number without leading zeros");
	uint8_t h[32];
	if (!b64_alphabet_only(root, rlen) ||
	    b64_decode_exact(h, sizeof h, root, rlen, B64_PADDED) != 0)
		return err_set(e, ERR_FORMAT, "checkpoint root is not base64 of 32 bytes");
	if (check_extensions(text + at, len - at, e) != 0)
		return -1;
	c->origin = malloc(olen + 1);
	c->ext = malloc(len - at + 1);
	if (!c->origin || !c->ext) {
		checkpoint_free(c);
		return err_set(e, ERR_IO, "out of memory reading a checkpoint");
	}
	memcpy(c->origin, origin, olen);
	c->origin[olen] = '\0';
	c->size = size;
	memcpy(c->root, h, sizeof h);
	c->ext_len = len - at;
	memcpy(c->ext, text + at, c->ext_len);
	c->ext[c->ext_len] = '\0';
	return 0;
}

/* ---- Cosignatures ---- */

int cosig_parse(struct cosig *c, const uint8_t *blob, size_t len, struct err *e)
{
	if (len != COSIG_BLOB_SIZE)
		return err_set(e, ERR_FORMAT, "cosignature is %zu bytes, not %d", len,
			       COSIG_BLOB_SIZE);
	uint64_t t = load_be64(blob + 4);
	if (t > COSIG_TIME_MAX)
		return err_set(e, ERR_FORMAT, "cosignature timestamp is beyond 2^63 - 1");
	c->key_id = load_be32(blob);
	c->timestamp = t;
	memcpy(c->sig, blob + 12, sizeof c->sig);
	return 0;
}

int cosig_message(uint64_t timestamp, const char *text, size_t text_len, char **msg,
		  size_t *msg_len, struct err *e)
{
	*msg = NULL;
	*msg_len = 0;
	if (timestamp > COSIG_TIME_MAX)
		return err_set(e, ERR_FORMAT, "cosignature timestamp is beyond 2^63 - 1");
	if (check_note_text(text, text_len, e) != 0)
		return err_prefix(e, "cosigned text");
	char head[sizeof cosig_header + 24];
	int h = snprintf(head, sizeof head, "%s%" PRIu64 "\n", cosig_header, timestamp);
	size_t n = (size_t)h + text_len;
	char *s = malloc(n + 1);
	if (!s)
		return err_set(e, ERR_IO, "out of memory for a cosignature message");
	memcpy(s, head, (size_t)h);
	memcpy(s + h, text, text_len);
	s[n] = '\0';
	*msg = s;
	*msg_len = n;
	return 0;
}

int cosig_sign(const char *name, const uint8_t *secret, size_t secret_len, uint64_t timestamp,
	       const char *text, size_t text_len, char **line, size_t *line_len, struct err *e)
{
	*line = NULL;
	*line_len = 0;
	if (check_key_name(name, strlen(name), e) != 0)
		return err_prefix(e, "cannot cosign");
	struct checkpoint cp;
	checkpoint_init(&cp);
	if (checkpoint_parse(&cp, text, text_len, e) != 0)
		return err_prefix(e, "cannot cosign");
	checkpoint_free(&cp);
	char *msg;
	size_t msg_len;
	if (cosig_message(timestamp, text, text_len, &msg, &msg_len, e) != 0)
		return -1;
	uint8_t blob[COSIG_BLOB_SIZE], pk[crypto_sign_PUBLICKEYBYTES];
	int rc = ed25519_sign(blob + 12, pk, secret, secret_len, (const uint8_t *)msg, msg_len, e);
	free(msg);
	if (rc != 0)
		return -1;
	store_be32(blob, note_key_id(name, strlen(name), NOTE_TYPE_COSIG, pk));
	store_be64(blob + 4, timestamp);
	return make_sig_line(name, blob, sizeof blob, line, line_len, e);
}

int cosig_verify(const struct note_vkey *k, const struct cosig *c, const char *text,
		 size_t text_len, struct err *e)
{
	if (k->type != NOTE_TYPE_COSIG)
		return err_set(e, ERR_FORMAT, "key is not a cosignature key");
	if (k->key_id != c->key_id)
		return err_set(e, ERR_VERIFY, "cosignature is by key id %08" PRIx32 ", not %08" PRIx32,
			       c->key_id, k->key_id);
	char *msg;
	size_t msg_len;
	if (cosig_message(c->timestamp, text, text_len, &msg, &msg_len, e) != 0)
		return -1;
	int rc = crypto_sign_verify_detached(c->sig, (const uint8_t *)msg, msg_len, k->pub);
	free(msg);
	if (rc != 0)
		return err_set(e, ERR_VERIFY, "cosignature does not verify");
	return 0;
}
