/*
 * age_header.c - the age v1 header (layer 2 of the age module, see age_impl.h): finding its
 * end in an input, a strict parser, the checks of the stanza types amana knows, unwrapping
 * and MAC verification, and the one writer of headers.
 *
 * The parser accepts exactly one spelling of each header (LF line ends, single spaces,
 * canonical unpadded base64, bodies wrapped at 64 columns and ended by a shorter line), so
 * the MAC can be computed over the bytes as read: they equal the re-encoding that age MACs.
 */
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vault/age_header.h"
#include "vault/base64.h"
#include "vault/hkdf.h"

static int hdr_fail(struct err *e, const char *fmt, ...) ERR_PRINTF(2, 3);
static int hdr_fail(struct err *e, const char *fmt, ...)
{
	char what[ERR_MSG_MAX - 32];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	return err_set(e, ERR_FORMAT, "invalid age header: %s", what);
}

void age_header_free(struct age_header *h)
{
	for (size_t i = 0; i < h->nstanzas; i++)
		age_stanza_clear(&h->stanzas[i]);
	free(h->stanzas);
	memset(h, 0, sizeof *h);
}

/* ---- finding the end of a header in an input --------------------------------------------- */

int age_hbuf_read(struct age_hbuf *b, size_t max, age_read_fn fn, void *ctx, size_t *got,
		  struct err *e)
{
	if (max == 0 ? b->len == b->cap : b->cap - b->len < max) {
		size_t ncap = b->cap ? b->cap * 2 : 4096;
		while (ncap - b->len < max)
			ncap *= 2;
		unsigned char *nb = realloc(b->p, ncap);
		if (!nb)
			return err_set(e, ERR_IO, "out of memory reading the age header");
		b->p = nb;
		b->cap = ncap;
	}
	if (fn(ctx, b->p + b->len, max ? max : b->cap - b->len, got, e) != 0)
		return -1;
	b->len += *got;
	return 0;
}

bool age_input_is_armor(const unsigned char *p, size_t n)
{
	static const char binary[] = "age-encryption.org/";
	size_t vlen = n < sizeof binary - 1 ? n : sizeof binary - 1;
	if (n > 0 && memcmp(p, binary, vlen) == 0)
		return false;
	return armor_looks_armored(p, n) ||
	       memmem(p, n < AGE_PEEK_LEN ? n : AGE_PEEK_LEN, ARMOR_BEGIN, sizeof ARMOR_BEGIN - 1);
}

/*
 * For exact scans: the fewest bytes that a well-formed header still holds when its current
 * line, line[0..n), has not ended yet. Any line but the MAC line is followed by at least the
 * MAC line ("--- ", 43 characters, LF); the MAC line, which starts with "---", is exactly
 * AGE_MAC_LINE_LEN bytes. A line that may still become either ("", "-", "--") is left at
 * least that many bytes too, as a stanza line is longer. n is at least 1 (at the start of a
 * line, AGE_MAC_LINE_LEN bytes are left).
 */
static size_t header_left(const unsigned char *line, size_t n)
{
	if (memcmp(line, "---", n < 3 ? n : 3) != 0)
		return 1 + AGE_MAC_LINE_LEN; /* this line's LF, then the MAC line */
	if (n < AGE_MAC_LINE_LEN)
		return AGE_MAC_LINE_LEN - n;
	return 4096; /* a MAC line too long: malformed, and the parser will say so */
}

int age_header_scan(struct age_hbuf *b, age_read_fn fn, void *ctx, bool exact, size_t *hend,
		    struct err *e)
{
	static const char version[] = AGE_VERSION_LINE "\n";
	size_t got = 0, scan = 0, line = 0;

	for (;;) {
		unsigned char *nl = b->len > scan ? memchr(b->p + scan, '\n', b->len - scan) : NULL;
		if (!nl) {
			if (b->len >= AGE_HEADER_MAX)
				return hdr_fail(e, "longer than %d bytes", AGE_HEADER_MAX);
			if (exact && line == 0 && b->len > 0 &&
			    memcmp(b->p, version, b->len < sizeof version - 1 ? b->len
									: sizeof version - 1) != 0)
				break; /* not an age v1 file: the parser says so */
			size_t max = !exact	      ? 0
				     : b->len > scan ? header_left(b->p + scan, b->len - scan)
						     : AGE_MAC_LINE_LEN;
			if (age_hbuf_read(b, max, fn, ctx, &got, e) != 0)
				return -1;
			if (got == 0) {
				if (b->len == 0)
					return hdr_fail(e, "the input is empty");
				if (line == 0 && (b->len < sizeof version - 1 ||
						  memcmp(b->p, version, sizeof version - 1) != 0))
					break; /* the parser names what is wrong */
				return hdr_fail(e, "the input ends inside the header");
			}
			continue;
		}
		size_t start = scan;
		scan = (size_t)(nl - b->p) + 1;
		line++;
		if (line == 1 && (scan - start != sizeof version - 1 ||
				  memcmp(b->p, version, sizeof version - 1) != 0))
			break; /* not an age v1 file: the parser says so */
		if (scan - start >= 4 && memcmp(b->p + start, "---", 3) == 0)
			break;
	}
	*hend = scan;
	return 0;
}

/* ---- parsing ----------------------------------------------------------------------------- */

static bool is_b64char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/';
}

/* Splits an argument line's text (after "-> ") into st->args; 0 or -1 (e set). */
static int parse_args(const unsigned char *s, size_t n, size_t lineno, struct age_stanza *st,
		      struct err *e)
{
	size_t nargs = 1;
	for (size_t i = 0; i < n; i++)
		if (s[i] == ' ')
			nargs++;
	for (size_t i = 0; i < n; i++)
		if (s[i] == ' ' && (i == 0 || s[i - 1] == ' '))
			return hdr_fail(e, "line %zu has an empty stanza argument", lineno);
	if (n == 0 || s[n - 1] == ' ')
		return hdr_fail(e, "line %zu has an empty stanza argument", lineno);
	char *block = malloc(n + 1);
	char **args = calloc(nargs, sizeof *args);
	if (!block || !args) {
		free(block);
		free(args);
		return err_set(e, ERR_IO, "out of memory reading the age header");
	}
	memcpy(block, s, n);
	block[n] = '\0';
	size_t k = 0;
	args[k++] = block;
	for (size_t i = 0; i < n; i++)
		if (block[i] == ' ') {
			block[i] = '\0';
			args[k++] = block + i + 1;
		}
	st->args = args;
	st->nargs = nargs;
	return 0;
}

/* Appends the decoding of one body line to st->body. */
static int add_body_line(struct age_stanza *st, const unsigned char *s, size_t n, size_t lineno,
			 struct err *e)
{
	if (n == 0)
		return 0;
	size_t room = n / 4 * 3 + 3;
	unsigned char *nb = realloc(st->body, st->bodylen + room);
	if (!nb)
		return err_set(e, ERR_IO, "out of memory reading the age header");
	st->body = nb;
	size_t got = 0;
	if (b64_decode(st->body + st->bodylen, room, &got, (const char *)s, n, B64_UNPADDED) != 0)
		return hdr_fail(e, "line %zu is not canonical unpadded base64", lineno);
	st->bodylen += got;
	return 0;
}

int age_header_parse(const unsigned char *buf, size_t len, struct age_header *h, struct err *e)
{
	static const char version[] = AGE_VERSION_LINE "\n";
	size_t pos = 0, lineno = 0;
	size_t cap = 0;
	bool in_body = false;

	memset(h, 0, sizeof *h);
	if (len < sizeof version - 1 || memcmp(buf, version, sizeof version - 1) != 0)
		return hdr_fail(e, "the first line is not \"" AGE_VERSION_LINE "\"");
	pos = sizeof version - 1;
	lineno = 1;
	for (;;) {
		if (pos >= len)
			return hdr_fail(e, "the header ends before its MAC line");
		const unsigned char *s = buf + pos;
		const unsigned char *nl = memchr(s, '\n', len - pos);
		if (!nl)
			return hdr_fail(e, "the header ends in the middle of line %zu", lineno + 1);
		size_t n = (size_t)(nl - s);
		lineno++;
		for (size_t i = 0; i < n; i++)
			if (s[i] < 0x20 || s[i] > 0x7e)
				return hdr_fail(e, "line %zu contains a control or non-ASCII byte",
						lineno);
		if (in_body) {
			for (size_t i = 0; i < n; i++)
				if (!is_b64char(s[i]))
					return hdr_fail(e,
							"line %zu should be a stanza body line "
							"(base64 without padding)",
							lineno);
			if (n > AGE_STANZA_COLUMNS)
				return hdr_fail(e, "line %zu is longer than 64 columns", lineno);
			if (add_body_line(&h->stanzas[h->nstanzas - 1], s, n, lineno, e) != 0)
				return -1;
			/* A line shorter than 64 columns (even an empty one) ends the body. */
			if (n < AGE_STANZA_COLUMNS)
				in_body = false;
			pos += n + 1;
			continue;
		}
		if (n >= 3 && memcmp(s, "---", 3) == 0) {
			if (h->nstanzas == 0)
				return hdr_fail(e, "there is no recipient stanza");
			if (n < 4 || s[3] != ' ' ||
			    b64_decode_exact(h->mac, AGE_MAC_SIZE, (const char *)s + 4, n - 4,
					     B64_UNPADDED) != 0)
				return hdr_fail(e,
						"line %zu is not \"--- \" and a 43-character "
						"base64 MAC",
						lineno);
			if (pos + n + 1 != len)
				return err_set(e, ERR_INTERNAL, "age header parser given bytes after "
								"the MAC line (this is a bug)");
			h->mac_input_len = pos + 3;
			return 0;
		}
		if (n < 3 || memcmp(s, "-> ", 3) != 0)
			return hdr_fail(e, "line %zu should start a stanza (\"-> \") or be the "
					   "MAC line (\"--- \")",
					lineno);
		if (h->nstanzas == cap) {
			size_t ncap = cap ? cap * 2 : 4;
			struct age_stanza *ns = realloc(h->stanzas, ncap * sizeof *ns);
			if (!ns)
				return err_set(e, ERR_IO, "out of memory reading the age header");
			h->stanzas = ns;
			cap = ncap;
		}
		struct age_stanza *st = &h->stanzas[h->nstanzas++];
		memset(st, 0, sizeof *st);
		if (parse_args(s + 3, n - 3, lineno, st, e) != 0)
			return -1;
		in_body = true;
		pos += n + 1;
	}
}

/* ---- the known stanza types -------------------------------------------------------------- */

/* The decimal work factor: no sign, no leading zero, 1..AGE_SCRYPT_MAX_LOG_N. */
static int parse_log_n(const char *s, int *log_n)
{
	size_t n = strlen(s);
	if (n == 0 || n > 2 || s[0] < '1' || s[0] > '9')
		return -1;
	int v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*log_n = v;
	return 0;
}

int age_header_check(const struct age_header *h, struct err *e)
{
	size_t nscrypt = 0;
	for (size_t i = 0; i < h->nstanzas; i++) {
		const struct age_stanza *st = &h->stanzas[i];
		unsigned char tmp[32];
		if (strcmp(st->args[0], "X25519") == 0) {
			if (st->nargs != 2)
				return hdr_fail(e, "X25519 stanza %zu has %zu arguments (2 expected)",
						i + 1, st->nargs);
			if (b64_decode_exact(tmp, 32, st->args[1], strlen(st->args[1]),
					     B64_UNPADDED) != 0)
				return hdr_fail(e, "X25519 stanza %zu: the share is not 32 bytes "
						   "of canonical base64",
						i + 1);
			if (st->bodylen != 32)
				return hdr_fail(e, "X25519 stanza %zu: the body is %zu bytes (32 "
						   "expected)",
						i + 1, st->bodylen);
		} else if (strcmp(st->args[0], "scrypt") == 0) {
			int log_n = 0;
			nscrypt++;
			if (st->nargs != 3)
				return hdr_fail(e, "scrypt stanza %zu has %zu arguments (3 expected)",
						i + 1, st->nargs);
			if (b64_decode_exact(tmp, 16, st->args[1], strlen(st->args[1]),
					     B64_UNPADDED) != 0)
				return hdr_fail(e, "scrypt stanza %zu: the salt is not 16 bytes of "
						   "canonical base64",
						i + 1);
			if (parse_log_n(st->args[2], &log_n) != 0)
				return hdr_fail(e, "scrypt stanza %zu: the work factor is not a "
						   "decimal number from 1 to %d",
						i + 1, AGE_SCRYPT_MAX_LOG_N);
			if (log_n > AGE_SCRYPT_MAX_LOG_N)
				return hdr_fail(e, "scrypt stanza %zu: the work factor 2^%d is above "
						   "the limit of 2^%d",
						i + 1, log_n, AGE_SCRYPT_MAX_LOG_N);
			if (st->bodylen != 32)
				return hdr_fail(e, "scrypt stanza %zu: the body is %zu bytes (32 "
						   "expected)",
						i + 1, st->bodylen);
		}
	}
	if (nscrypt > 0 && h->nstanzas > 1)
		return hdr_fail(e, "an scrypt (passphrase) stanza must be the only stanza");
	return 0;
}

bool age_header_has_scrypt(const struct age_header *h)
{
	for (size_t i = 0; i < h->nstanzas; i++)
		if (strcmp(h->stanzas[i].args[0], "scrypt") == 0)
			return true;
	return false;
}

/* ---- opening ----------------------------------------------------------------------------- */

int age_header_verify(const struct age_header *h, const unsigned char *buf,
		      const struct age_identities *ids, struct age_secrets *s, struct err *e)
{
	uint8_t mac[AGE_MAC_SIZE];
	if (age_identities_unwrap(ids, h->stanzas, h->nstanzas, s, e) != 0) {
		sodium_memzero(s->file_key, sizeof s->file_key);
		return -1;
	}
	age_header_mac(mac, s->mac_key, s->file_key, buf, h->mac_input_len);
	int bad = crypto_verify_32(mac, h->mac);
	sodium_memzero(mac, sizeof mac); /* the right MAC for these bytes: not to be left about */
	if (bad != 0) {
		sodium_memzero(s->file_key, sizeof s->file_key);
		err_set(e, ERR_VERIFY, "header MAC does not match");
		return err_hint(e, "the file was altered or damaged after it was encrypted");
	}
	return 0;
}

/* ---- encoding ---------------------------------------------------------------------------- */

int age_header_encode(const struct age_stanza *st, size_t n, unsigned char **out, size_t *len,
		      size_t *cap, struct err *e)
{
	/* Room: version line, each stanza's arguments and wrapped body, "---", the MAC line. */
	size_t need = sizeof AGE_VERSION_LINE + 3 + 1 + 43 + 1 + 1;
	for (size_t i = 0; i < n; i++) {
		need += 3;
		for (size_t k = 0; k < st[i].nargs; k++)
			need += strlen(st[i].args[k]) + 1;
		size_t b = b64_encoded_len(st[i].bodylen, B64_UNPADDED);
		need += b + b / AGE_STANZA_COLUMNS + 2;
	}
	unsigned char *buf = malloc(need);
	if (!buf)
		return err_set(e, ERR_IO, "out of memory writing the age header");
	size_t o = 0;
	memcpy(buf, AGE_VERSION_LINE "\n", sizeof AGE_VERSION_LINE);
	o += sizeof AGE_VERSION_LINE;
	for (size_t i = 0; i < n; i++) {
		memcpy(buf + o, "->", 2);
		o += 2;
		for (size_t k = 0; k < st[i].nargs; k++) {
			size_t a = strlen(st[i].args[k]);
			buf[o++] = ' ';
			memcpy(buf + o, st[i].args[k], a);
			o += a;
		}
		buf[o++] = '\n';
		/* Full lines of 48 bytes (64 columns), then a shorter, possibly empty, line. */
		size_t done = 0;
		for (;;) {
			size_t take = st[i].bodylen - done;
			if (take > 48)
				take = 48;
			size_t cols = b64_encoded_len(take, B64_UNPADDED);
			char tmp[AGE_STANZA_COLUMNS + 1];
			if (take > 0) {
				b64_encode(tmp, sizeof tmp, st[i].body + done, take, B64_UNPADDED);
				memcpy(buf + o, tmp, cols);
			}
			o += cols;
			buf[o++] = '\n';
			done += take;
			if (take < 48)
				break;
		}
	}
	memcpy(buf + o, "---", 3);
	o += 3;
	*out = buf;
	*len = o;
	*cap = need;
	return 0;
}

size_t age_header_put_mac(unsigned char *buf, size_t len, const uint8_t mac[AGE_MAC_SIZE])
{
	char tmp[48];
	b64_encode(tmp, sizeof tmp, mac, AGE_MAC_SIZE, B64_UNPADDED);
	buf[len++] = ' ';
	memcpy(buf + len, tmp, 43);
	len += 43;
	buf[len++] = '\n';
	return len;
}

void age_header_mac(uint8_t mac[AGE_MAC_SIZE], uint8_t mac_key[32],
		    const uint8_t file_key[AGE_FILE_KEY_SIZE], const unsigned char *hdr,
		    size_t len)
{
	crypto_auth_hmacsha256_state st;
	hkdf_sha256(mac_key, 32, NULL, 0, file_key, AGE_FILE_KEY_SIZE,
		    (const uint8_t *)"header", 6);
	crypto_auth_hmacsha256_init(&st, mac_key, 32);
	crypto_auth_hmacsha256_update(&st, hdr, len);
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_memzero(&st, sizeof st);
	sodium_memzero(mac_key, 32);
}

/* ---- writing ----------------------------------------------------------------------------- */

int age_header_write(const struct age_recipients *r, struct age_secrets *s, unsigned char **out,
		     size_t *len, struct err *e)
{
	struct age_stanza *st = NULL;
	size_t nst = 0, hlen = 0, hcap = 0;
	unsigned char *hdr = NULL;
	uint8_t mac[AGE_MAC_SIZE];
	int rc = -1;

	*out = NULL;
	*len = 0;
	if (age_recipients_wrap(r, s, &st, &nst, e) != 0 ||
	    age_header_encode(st, nst, &hdr, &hlen, &hcap, e) != 0)
		goto done;
	age_header_mac(mac, s->mac_key, s->file_key, hdr, hlen);
	*len = age_header_put_mac(hdr, hlen, mac);
	*out = hdr;
	hdr = NULL;
	rc = 0;
done:
	for (size_t i = 0; i < nst; i++)
		age_stanza_clear(&st[i]);
	free(st);
	free(hdr);
	return rc;
}
