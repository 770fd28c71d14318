/*
 * test_age.c - the age module against every CCTV vector in tests/vectors/age (one cmocka test
 * each, named after the vector), then round trips at the chunk boundaries with several
 * recipients, armor and scrypt, tampering, the key, recipient and identity file rules, and
 * age_rewrap (a new header for an old body: round trips, every refusal, every vector).
 * Called with arguments ("test_age rewrap ..."), it is instead the small tool through which
 * tests/interop/age.bats drives age_rewrap against stock age (see rewrap_tool).
 *
 * Outcomes map to error codes: "no match" is ERR_KEY; "HMAC failure" ERR_VERIFY naming the
 * header MAC; "header failure" ERR_FORMAT "invalid age header"; "armor failure" ERR_FORMAT
 * "invalid ASCII armor"; "payload failure" ERR_VERIFY from age_decrypt_read, after exactly the
 * plaintext whose SHA-256 the vector gives. Hybrid (ML-KEM) vectors must fail cleanly: their
 * identities are refused as an unsupported type and decryption ends in ERR_KEY (or ERR_FORMAT
 * where the vector expects a header failure that amana can see without ML-KEM).
 *
 * Some vectors are zlib-compressed. The Makefile links unit tests without -lz, so zlib's
 * uncompress() is looked up at run time in libz.so.1 (always present: libarchive uses it).
 */
#include <ctype.h>
#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <unistd.h>

#include "tests/unit/unit.h"
#include "vault/age.h"
#include "vault/age_impl.h"

#define VEC_DIR "tests/vectors/age"

/* ---- helpers ----------------------------------------------------------------------------- */

/* A growing output buffer for the encryptor. */
struct membuf {
	unsigned char *p;
	size_t len, cap;
};

static int mem_write(void *ctx, const void *buf, size_t len, struct err *e)
{
	struct membuf *m = ctx;
	(void)e;
	if (m->len + len > m->cap) {
		size_t ncap = m->cap ? m->cap : 4096;
		while (ncap < m->len + len)
			ncap *= 2;
		m->p = realloc(m->p, ncap);
		assert_non_null(m->p);
		m->cap = ncap;
	}
	memcpy(m->p + m->len, buf, len);
	m->len += len;
	return 0;
}

/* A reader that hands out at most `step` bytes a call, as a pipe might. */
struct trickle {
	const unsigned char *p;
	size_t len, off, step;
};

static int trickle_read(void *ctx, void *buf, size_t cap, size_t *got, struct err *e)
{
	struct trickle *t = ctx;
	(void)e;
	size_t n = t->len - t->off;
	if (n > cap)
		n = cap;
	if (n > t->step)
		n = t->step;
	memcpy(buf, t->p + t->off, n);
	t->off += n;
	*got = n;
	return 0;
}

typedef int (*uncompress_fn)(unsigned char *, unsigned long *, const unsigned char *,
			     unsigned long);

/* Inflates a zlib stream into a new malloc'd buffer. */
static unsigned char *inflate_zlib(const unsigned char *in, size_t inlen, size_t *outlen)
{
	static uncompress_fn fn;
	if (!fn) {
		void *h = dlopen("libz.so.1", RTLD_NOW);
		if (!h)
			fail_msg("cannot load libz.so.1 to inflate a vector: %s", dlerror());
		*(void **)&fn = dlsym(h, "uncompress");
		assert_non_null(fn);
	}
	unsigned long cap = (unsigned long)inlen * 64 + 65536;
	for (;;) {
		unsigned char *out = malloc(cap);
		unsigned long n = cap;
		assert_non_null(out);
		int rc = fn(out, &n, in, (unsigned long)inlen);
		if (rc == 0) {
			*outlen = n;
			return out;
		}
		free(out);
		if (rc != -5) /* Z_BUF_ERROR: try a larger buffer */
			fail_msg("zlib inflate failed (%d)", rc);
		cap *= 4;
	}
}

/* ---- the CCTV vectors -------------------------------------------------------------------- */

struct vector {
	char name[128];
	char expect[32];
	char payload[65];
	bool compressed, armored;
	char *identities[8];
	size_t nidentities;
	char *passphrases[8];
	size_t npassphrases;
	unsigned char *body;
	size_t bodylen;
};

static void vector_free(struct vector *v)
{
	for (size_t i = 0; i < v->nidentities; i++)
		free(v->identities[i]);
	for (size_t i = 0; i < v->npassphrases; i++)
		free(v->passphrases[i]);
	free(v->body);
}

/* Reads "key: value" lines up to an empty line, then the age file (inflated if need be). */
static void vector_load(struct vector *v, const char *name)
{
	char path[512];
	size_t len;
	memset(v, 0, sizeof *v);
	snprintf(v->name, sizeof v->name, "%s", name);
	snprintf(path, sizeof path, VEC_DIR "/%s", name);
	unsigned char *raw = unit_slurp(path, &len);
	size_t pos = 0;
	for (;;) {
		unsigned char *nl = memchr(raw + pos, '\n', len - pos);
		assert_non_null(nl);
		size_t n = (size_t)(nl - (raw + pos));
		char *line = strndup((char *)raw + pos, n);
		pos += n + 1;
		if (n == 0) {
			free(line);
			break;
		}
		char *colon = strstr(line, ": ");
		assert_non_null(colon);
		*colon = '\0';
		const char *val = colon + 2;
		if (strcmp(line, "expect") == 0)
			snprintf(v->expect, sizeof v->expect, "%s", val);
		else if (strcmp(line, "payload") == 0)
			snprintf(v->payload, sizeof v->payload, "%s", val);
		else if (strcmp(line, "compressed") == 0)
			v->compressed = strcmp(val, "zlib") == 0;
		else if (strcmp(line, "armored") == 0)
			v->armored = strcmp(val, "yes") == 0;
		else if (strcmp(line, "identity") == 0 && v->nidentities < 8)
			v->identities[v->nidentities++] = strdup(val);
		else if (strcmp(line, "passphrase") == 0 && v->npassphrases < 8)
			v->passphrases[v->npassphrases++] = strdup(val);
		free(line);
	}
	if (v->compressed) {
		v->body = inflate_zlib(raw + pos, len - pos, &v->bodylen);
	} else {
		v->bodylen = len - pos;
		v->body = malloc(v->bodylen ? v->bodylen : 1);
		assert_non_null(v->body);
		memcpy(v->body, raw + pos, v->bodylen);
	}
	free(raw);
}

static void hex_of(char out[65], const uint8_t h[32])
{
	sodium_bin2hex(out, 65, h, 32);
}

/* Decrypts vector v once with ids, reads starting with pattern `start`, and checks the
 * outcome the vector expects. */
static void check_vector(const struct vector *v, const struct age_identities *ids, bool hybrid,
			 size_t start)
{
	const char *name = v->name;
	struct age_decryptor *dec = NULL;
	struct err e;
	err_clear(&e);
	struct trickle src = {v->body, v->bodylen, 0, 7919}; /* odd read sizes on purpose */
	crypto_hash_sha256_state sha;
	uint8_t digest[32];
	char hex[65];
	int init_rc = age_decrypt_init(&dec, ids, trickle_read, &src, &e);
	int read_rc = 0;
	crypto_hash_sha256_init(&sha);
	if (init_rc == 0) {
		size_t cap = 1 << 20;
		unsigned char *buf = malloc(cap);
		assert_non_null(buf);
		for (size_t round = 0;; round++) {
			size_t got = 0;
			/* Large, small and middling reads use every decryption path (runs of
			 * chunks on two cores, single chunks, a plaintext buffer). */
			static const size_t caps[] = {1 << 20, 1000, 200000};
			read_rc = age_decrypt_read(dec, buf, caps[(round + start) % 3], &got, &e);
			if (read_rc != 0 || got == 0)
				break;
			crypto_hash_sha256_update(&sha, buf, got);
		}
		free(buf);
		assert_int_equal(age_decrypt_armored(dec), v->armored);
	}
	crypto_hash_sha256_final(&sha, digest);
	hex_of(hex, digest);

	if (hybrid) {
		/* Never a success, never a crash: unsupported, or a header failure amana can see. */
		assert_int_equal(init_rc, -1);
		if (e.code == ERR_FORMAT)
			assert_string_equal(v->expect, "header failure");
		else
			assert_int_equal(e.code, ERR_KEY);
	} else if (strcmp(v->expect, "success") == 0) {
		if (init_rc != 0 || read_rc != 0)
			fail_msg("%s: expected success, got: %s", name, e.msg);
		assert_string_equal(hex, v->payload);
	} else if (strcmp(v->expect, "no match") == 0) {
		assert_int_equal(init_rc, -1);
		assert_int_equal(e.code, ERR_KEY);
	} else if (strcmp(v->expect, "HMAC failure") == 0) {
		assert_int_equal(init_rc, -1);
		assert_int_equal(e.code, ERR_VERIFY);
		assert_string_equal(e.msg, "header MAC does not match");
	} else if (strcmp(v->expect, "header failure") == 0) {
		if (init_rc == 0)
			fail_msg("%s: expected a header failure, init succeeded", name);
		assert_int_equal(e.code, ERR_FORMAT);
		if (!strstr(e.msg, "invalid age header"))
			fail_msg("%s: expected a header failure, got: %s", name, e.msg);
	} else if (strcmp(v->expect, "armor failure") == 0) {
		assert_true(init_rc != 0 || read_rc != 0);
		assert_int_equal(e.code, ERR_FORMAT);
		if (!strstr(e.msg, "invalid ASCII armor"))
			fail_msg("%s: expected an armor failure, got: %s", name, e.msg);
	} else if (strcmp(v->expect, "payload failure") == 0) {
		if (init_rc != 0)
			fail_msg("%s: expected a payload failure, init failed: %s", name, e.msg);
		assert_int_equal(read_rc, -1);
		assert_int_equal(e.code, ERR_VERIFY);
		if (v->payload[0])
			assert_string_equal(hex, v->payload);
		/* The failure is sticky. */
		size_t got = 1;
		unsigned char b[16];
		assert_int_equal(age_decrypt_read(dec, b, sizeof b, &got, &e), -1);
		assert_int_equal(got, 0);
	} else {
		fail_msg("%s: unknown expectation '%s'", name, v->expect);
	}
	age_decrypt_free(dec);
}

static void run_vector(void **state)
{
	const char *name = *state;
	struct vector v;
	struct age_identities *ids = NULL;
	struct err e;
	bool hybrid = false;

	vector_load(&v, name);
	err_clear(&e);
	assert_int_equal(age_identities_new(&ids, &e), 0);
	for (size_t i = 0; i < v.nidentities; i++) {
		const char *id = v.identities[i];
		if (strncmp(id, "AGE-SECRET-KEY-PQ-1", 19) == 0) {
			hybrid = true;
			assert_int_equal(age_identities_add(ids, id, strlen(id), &e), -1);
			assert_int_equal(e.code, ERR_KEY);
			assert_non_null(strstr(e.msg, "unsupported identity type"));
			continue;
		}
		assert_int_equal(age_identities_add(ids, id, strlen(id), &e), 0);
	}
	for (size_t i = 0; i < v.npassphrases; i++)
		assert_int_equal(age_identities_add_passphrase(ids, v.passphrases[i],
							       strlen(v.passphrases[i]), &e),
				 0);

	for (size_t start = 0; start < 3; start++)
		check_vector(&v, ids, hybrid, start);
	age_identities_free(ids);
	vector_free(&v);
}

/* ---- keys and files ---------------------------------------------------------------------- */

static const char *spec_identity =
	"AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX";
static const char *spec_recipient = "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj";

static void test_key_strings(void **state)
{
	(void)state;
	struct err e;
	uint8_t sk[32], pk[32], want[32];
	char s[AGE_IDENTITY_LEN + 1];
	memset(want, 0x42, sizeof want);
	err_clear(&e);
	assert_int_equal(age_identity_decode(spec_identity, strlen(spec_identity), sk, &e), 0);
	assert_memory_equal(sk, want, 32);
	age_identity_encode(s, sk);
	assert_string_equal(s, spec_identity);
	assert_int_equal(age_recipient_decode(spec_recipient, pk, &e), 0);
	age_recipient_encode(s, pk);
	assert_string_equal(s, spec_recipient);
	crypto_scalarmult_base(want, sk);
	assert_memory_equal(pk, want, 32);

	/* A fresh key pair round-trips. */
	age_x25519_keygen(sk, pk);
	age_identity_encode(s, sk);
	assert_int_equal(strlen(s), AGE_IDENTITY_LEN);
	assert_int_equal(age_identity_decode(s, strlen(s), want, &e), 0);
	assert_memory_equal(want, sk, 32);
	age_recipient_encode(s, pk);
	assert_int_equal(strlen(s), AGE_RECIPIENT_LEN);

	/* Case: identities are upper case only; a lower-case one is refused. */
	char lower[AGE_IDENTITY_LEN + 1];
	for (size_t i = 0; i <= strlen(spec_identity); i++)
		lower[i] = (char)tolower((unsigned char)spec_identity[i]);
	assert_int_equal(age_identity_decode(lower, strlen(lower), sk, &e), -1);
	assert_int_equal(e.code, ERR_KEY);
	/* The message never repeats the key. */
	assert_null(strstr(e.msg, "gfpyy"));
}

static void test_unsupported_types(void **state)
{
	(void)state;
	struct err e;
	uint8_t k[32];
	static const char *recipients[] = {
		"age1pq1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq",
		"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOtA+V4gYXA2H0R9rYmV9bWTpuX0y5gTZEGNTPkiKpoe",
		"ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ",
	};
	for (size_t i = 0; i < 3; i++) {
		err_clear(&e);
		assert_int_equal(age_recipient_decode(recipients[i], k, &e), -1);
		assert_int_equal(e.code, ERR_KEY);
		assert_non_null(strstr(e.msg, "unsupported recipient type"));
	}
	const char *pq = "AGE-SECRET-KEY-PQ-1HZLGZUPT4ETPKDEV8HSGFDCYZ4E522W0A7PU2LHT8EH9W6YLNC3SW78XKG";
	assert_int_equal(age_identity_decode(pq, strlen(pq), k, &e), -1);
	assert_non_null(strstr(e.msg, "unsupported identity type"));

	struct age_identities *ids;
	assert_int_equal(age_identities_new(&ids, &e), 0);
	const char *ssh = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n"
			  "-----END OPENSSH PRIVATE KEY-----\n";
	assert_int_equal(age_identities_add_file(ids, (const unsigned char *)ssh, strlen(ssh),
						 "id_ed25519", &e),
			 -1);
	assert_int_equal(e.code, ERR_KEY);
	assert_non_null(strstr(e.msg, "unsupported identity type"));
	/* A secret key given as a recipient is refused without being echoed. */
	assert_int_equal(age_recipient_decode(spec_identity, k, &e), -1);
	assert_null(strstr(e.msg, "GFPYY"));
	/* Garbage is malformed input. */
	assert_int_equal(age_recipient_decode("age1notbech32", k, &e), -1);
	assert_int_equal(e.code, ERR_FORMAT);
	age_identities_free(ids);
}

static void test_recipients_file(void **state)
{
	(void)state;
	struct err e;
	struct age_recipients *r;
	err_clear(&e);
	assert_int_equal(age_recipients_new(&r, &e), 0);
	char text[512];
	snprintf(text, sizeof text, "# member states\n\n  %s  \r\n# end\n%s", spec_recipient,
		 spec_recipient);
	assert_int_equal(age_recipients_add_file(r, text, strlen(text), "states.txt", &e), 0);
	assert_int_equal(age_recipients_count(r), 2);
	const char *bad = "# nothing\n\n";
	assert_int_equal(age_recipients_add_file(r, bad, strlen(bad), "empty.txt", &e), -1);
	const char *bad2 = "age1zzz\n";
	assert_int_equal(age_recipients_add_file(r, bad2, strlen(bad2), "bad.txt", &e), -1);
	assert_non_null(strstr(e.msg, "'bad.txt' line 1"));
	age_recipients_free(r);
}

static void test_identity_file(void **state)
{
	(void)state;
	struct err e;
	struct age_identities *ids;
	uint8_t sk[32], pk[32];
	char other[AGE_IDENTITY_LEN + 1], text[1024];
	err_clear(&e);
	age_x25519_keygen(sk, pk);
	age_identity_encode(other, sk);
	snprintf(text, sizeof text,
		 "# created: 2026-11-29T10:00:00Z\r\n# public key: %s\r\n%s\r\n\n# second\n%s",
		 spec_recipient, spec_identity, other);
	assert_int_equal(age_identities_new(&ids, &e), 0);
	assert_int_equal(age_identities_add_file(ids, (unsigned char *)text, strlen(text), "k.txt",
						 &e),
			 0);
	assert_int_equal(age_identities_count(ids), 2);
	age_identities_free(ids);

	/* A bad line is named by number, and nothing of it is shown. */
	snprintf(text, sizeof text, "%s\nAGE-SECRET-KEY-1QQQQQQQQ\n", spec_identity);
	assert_int_equal(age_identities_new(&ids, &e), 0);
	assert_int_equal(age_identities_add_file(ids, (unsigned char *)text, strlen(text), "k.txt",
						 &e),
			 -1);
	assert_int_equal(e.code, ERR_KEY);
	assert_non_null(strstr(e.msg, "'k.txt' line 2"));
	assert_null(strstr(e.msg, "QQQQ"));
	/* A file of comments only has no identity. */
	assert_int_equal(age_identities_add_file(ids, (const unsigned char *)"# x\n", 4, "c.txt",
						 &e),
			 -1);
	age_identities_free(ids);
}

/* ---- round trips ------------------------------------------------------------------------- */

static void fill_pattern(unsigned char *p, size_t n, unsigned seed)
{
	uint32_t x = seed * 2654435761u + 1;
	for (size_t i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		p[i] = (unsigned char)(x >> 16);
	}
}

/* Encrypts plain to r, fed in uneven pieces; returns the ciphertext. */
static struct membuf encrypt_to(const struct age_recipients *r, bool armor,
				const unsigned char *plain, size_t n)
{
	struct membuf out = {0};
	struct age_encryptor *enc;
	struct err e;
	err_clear(&e);
	assert_int_equal(age_encrypt_init(&enc, r, armor, mem_write, &out, &e), 0);
	size_t off = 0, step = 1;
	while (off < n) {
		size_t take = n - off < step ? n - off : step;
		assert_int_equal(age_encrypt_update(enc, plain + off, take, &e), 0);
		off += take;
		step = step * 7 + 3; /* 1, 10, 73, ... then large pieces */
		if (step > 300000)
			step = 65536;
	}
	assert_int_equal(age_encrypt_final(enc, &e), 0);
	age_encrypt_free(enc);
	return out;
}

/* Decrypts c with ids; returns 0 and the plaintext, or -1 with e set. */
static int decrypt_all(const struct age_identities *ids, const unsigned char *c, size_t clen,
		       size_t readcap, struct membuf *plain, struct err *e)
{
	struct age_decryptor *dec;
	struct age_mem_reader src = {c, clen, 0};
	memset(plain, 0, sizeof *plain);
	if (age_decrypt_init(&dec, ids, age_mem_read, &src, e) != 0)
		return -1;
	unsigned char *buf = malloc(readcap);
	assert_non_null(buf);
	int rc = 0;
	for (;;) {
		size_t got;
		if (age_decrypt_read(dec, buf, readcap, &got, e) != 0) {
			rc = -1;
			break;
		}
		if (got == 0)
			break;
		mem_write(plain, buf, got, e);
	}
	free(buf);
	age_decrypt_free(dec);
	return rc;
}

static const size_t sizes[] = {0, 1, 65535, 65536, 65537, 3 * 65536 + 5};

static void test_roundtrip_x25519(void **state)
{
	(void)state;
	struct err e;
	struct age_recipients *r;
	struct age_identities *ids;
	char id[AGE_IDENTITY_LEN + 1], rs[AGE_RECIPIENT_LEN + 1];
	uint8_t sk[3][32], pk[32];
	err_clear(&e);
	assert_int_equal(age_recipients_new(&r, &e), 0);
	for (int i = 0; i < 3; i++) {
		age_x25519_keygen(sk[i], pk);
		age_recipient_encode(rs, pk);
		assert_int_equal(age_recipients_add(r, rs, &e), 0);
	}
	for (int armor = 0; armor < 2; armor++) {
		for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
			size_t n = sizes[k];
			unsigned char *plain = malloc(n ? n : 1);
			fill_pattern(plain, n, (unsigned)k);
			struct membuf c = encrypt_to(r, armor, plain, n);
			if (!armor) {
				/* header + nonce + each chunk's tag; chunks of 64 KiB, the last
				 * non-empty unless the file is. */
				size_t chunks = n == 0 ? 1 : (n + 65535) / 65536;
				assert_true(c.len > n + 16 + 16 * chunks);
				assert_memory_equal(c.p, "age-encryption.org/v1\n-> X25519 ", 32);
			} else {
				assert_memory_equal(c.p, "-----BEGIN AGE ENCRYPTED FILE-----\n", 35);
			}
			/* Each recipient's identity opens it, reading in small and large pieces. */
			for (int i = 0; i < 3; i++) {
				struct membuf p;
				assert_int_equal(age_identities_new(&ids, &e), 0);
				age_identity_encode(id, sk[i]);
				assert_int_equal(age_identities_add(ids, id, strlen(id), &e), 0);
				if (decrypt_all(ids, c.p, c.len, i == 1 ? 100 : 1 << 20, &p, &e) != 0)
					fail_msg("size %zu armor %d: %s", n, armor, e.msg);
				if (k == 0) {
					/* The decryptor names the recipient whose identity matched. */
					struct age_decryptor *dec;
					struct age_mem_reader src = {c.p, c.len, 0};
					char who[AGE_RECIPIENT_LEN + 1], want[AGE_RECIPIENT_LEN + 1];
					uint8_t pki[32];
					assert_int_equal(age_decrypt_init(&dec, ids, age_mem_read, &src, &e), 0);
					assert_true(age_decrypt_recipient(dec, who));
					crypto_scalarmult_base(pki, sk[i]);
					age_recipient_encode(want, pki);
					assert_string_equal(who, want);
					age_decrypt_free(dec);
				}
				assert_int_equal(p.len, n);
				if (n)
					assert_memory_equal(p.p, plain, n);
				free(p.p);
				age_identities_free(ids);
			}
			free(c.p);
			free(plain);
		}
	}
	age_recipients_free(r);
}

/* Large files fed in the pieces real callers use (whole chunks, 1 MiB, odd sizes), so that
 * runs of chunks on two cores, the held-back chunk and the deferred writes all take part. */
static void test_roundtrip_large_pieces(void **state)
{
	(void)state;
	struct err e;
	struct age_recipients *r;
	struct age_identities *ids;
	static const size_t pieces[] = {65536, 1 << 20, 200003, 3 * 65536, 17 * 65536 + 1};
	size_t n = 5 * 1024 * 1024 + 3;
	unsigned char *plain = malloc(n);
	err_clear(&e);
	fill_pattern(plain, n, 99);
	assert_int_equal(age_recipients_new(&r, &e), 0);
	assert_int_equal(age_recipients_add(r, spec_recipient, &e), 0);
	assert_int_equal(age_identities_new(&ids, &e), 0);
	assert_int_equal(age_identities_add(ids, spec_identity, strlen(spec_identity), &e), 0);
	for (size_t k = 0; k < sizeof pieces / sizeof *pieces; k++) {
		for (size_t total = n - 3; total <= n; total += 3) { /* a chunk multiple, and not */
			struct membuf c = {0}, p;
			struct age_encryptor *enc;
			assert_int_equal(age_encrypt_init(&enc, r, k == 2, mem_write, &c, &e), 0);
			for (size_t off = 0; off < total; off += pieces[k]) {
				size_t take = total - off < pieces[k] ? total - off : pieces[k];
				assert_int_equal(age_encrypt_update(enc, plain + off, take, &e), 0);
			}
			assert_int_equal(age_encrypt_final(enc, &e), 0);
			age_encrypt_free(enc);
			if (k != 2) {
				size_t chunks = (total + 65535) / 65536;
				size_t hdr = (size_t)((unsigned char *)memmem(c.p, c.len, "\n--- ", 5) - c.p) + 49;
				assert_int_equal(c.len, hdr + 16 + total + 16 * chunks);
			}
			assert_int_equal(decrypt_all(ids, c.p, c.len, k % 2 ? 1 << 20 : 70000, &p, &e), 0);
			assert_int_equal(p.len, total);
			assert_memory_equal(p.p, plain, total);
			free(p.p);
			free(c.p);
		}
	}
	age_identities_free(ids);
	age_recipients_free(r);
	free(plain);
}

static void test_roundtrip_scrypt(void **state)
{
	(void)state;
	struct err e;
	struct age_recipients *r;
	struct age_identities *ids;
	err_clear(&e);
	assert_int_equal(age_recipients_new(&r, &e), 0);
	assert_int_equal(age_recipients_add_passphrase(r, "correct horse", 13, 10, &e), 0);
	for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
		size_t n = sizes[k];
		unsigned char *plain = malloc(n ? n : 1);
		fill_pattern(plain, n, (unsigned)k + 100);
		struct membuf c = encrypt_to(r, k % 2 == 1, plain, n);
		struct membuf p;
		assert_int_equal(age_identities_new(&ids, &e), 0);
		assert_int_equal(age_identities_add_passphrase(ids, "wrong", 5, &e), 0);
		assert_int_equal(decrypt_all(ids, c.p, c.len, 4096, &p, &e), -1);
		assert_int_equal(e.code, ERR_KEY);
		free(p.p);
		assert_int_equal(age_identities_add_passphrase(ids, "correct horse", 13, &e), 0);
		assert_int_equal(decrypt_all(ids, c.p, c.len, 4096, &p, &e), 0);
		if (k == 0) {
			struct age_decryptor *dec;
			struct age_mem_reader src = {c.p, c.len, 0};
			char who[AGE_RECIPIENT_LEN + 1];
			assert_int_equal(age_decrypt_init(&dec, ids, age_mem_read, &src, &e), 0);
			assert_false(age_decrypt_recipient(dec, who));
			age_decrypt_free(dec);
		}
		assert_int_equal(p.len, n);
		if (n)
			assert_memory_equal(p.p, plain, n);
		free(p.p);
		age_identities_free(ids);
		free(c.p);
		free(plain);
	}
	/* A passphrase cannot be mixed with other recipients. */
	assert_int_equal(age_recipients_add(r, spec_recipient, &e), 0);
	struct age_encryptor *enc;
	struct membuf out = {0};
	assert_int_equal(age_encrypt_init(&enc, r, false, mem_write, &out, &e), -1);
	assert_int_equal(e.code, ERR_USAGE);
	free(out.p);
	age_recipients_free(r);
}

/* A passphrase-protected identity file, as "age -p" makes one. */
struct pass_src {
	const char *pass;
	int calls;
};

static int give_pass(void *ctx, const char *prompt, char **pass, size_t *len, struct err *e)
{
	struct pass_src *ps = ctx;
	(void)e;
	assert_non_null(strstr(prompt, "passphrase"));
	ps->calls++;
	*len = strlen(ps->pass);
	*pass = sodium_malloc(*len + 1);
	memcpy(*pass, ps->pass, *len + 1);
	return 0;
}

static void test_encrypted_identity_file(void **state)
{
	(void)state;
	struct err e;
	struct age_recipients *r;
	struct age_identities *ids;
	char text[256];
	err_clear(&e);
	snprintf(text, sizeof text, "# public key: %s\n%s\n", spec_recipient, spec_identity);
	assert_int_equal(age_recipients_new(&r, &e), 0);
	assert_int_equal(age_recipients_add_passphrase(r, "pw", 2, 10, &e), 0);
	for (int armor = 0; armor < 2; armor++) {
		struct membuf c = encrypt_to(r, armor, (unsigned char *)text, strlen(text));
		struct pass_src ps = {"pw", 0};
		assert_int_equal(age_identities_new(&ids, &e), 0);
		/* Without a way to ask, it is refused. */
		assert_int_equal(age_identities_add_file(ids, c.p, c.len, "key.age", &e), -1);
		assert_int_equal(e.code, ERR_KEY);
		age_identities_set_passphrase_fn(ids, give_pass, &ps);
		assert_int_equal(age_identities_add_file(ids, c.p, c.len, "key.age", &e), 0);
		assert_int_equal(ps.calls, 1);
		assert_int_equal(age_identities_count(ids), 1);
		/* The identity works: open a file made for the spec's recipient. */
		struct age_recipients *to;
		assert_int_equal(age_recipients_new(&to, &e), 0);
		assert_int_equal(age_recipients_add(to, spec_recipient, &e), 0);
		struct membuf f = encrypt_to(to, false, (const unsigned char *)"hello", 5);
		struct membuf p;
		assert_int_equal(decrypt_all(ids, f.p, f.len, 64, &p, &e), 0);
		assert_int_equal(p.len, 5);
		free(p.p);
		free(f.p);
		age_recipients_free(to);
		age_identities_free(ids);

		struct pass_src bad = {"nope", 0};
		assert_int_equal(age_identities_new(&ids, &e), 0);
		age_identities_set_passphrase_fn(ids, give_pass, &bad);
		assert_int_equal(age_identities_add_file(ids, c.p, c.len, "key.age", &e), -1);
		assert_int_equal(e.code, ERR_KEY);
		assert_non_null(strstr(e.msg, "key.age"));
		age_identities_free(ids);
		free(c.p);
	}
	age_recipients_free(r);
}

/* Damage: every kind is caught, and named. */
static void test_tamper(void **state)
{
	(void)state;
	struct err e;
	struct age_recipients *r;
	struct age_identities *ids;
	size_t n = 3 * 65536 + 5;
	unsigned char *plain = malloc(n);
	err_clear(&e);
	fill_pattern(plain, n, 7);
	assert_int_equal(age_recipients_new(&r, &e), 0);
	assert_int_equal(age_recipients_add(r, spec_recipient, &e), 0);
	assert_int_equal(age_identities_new(&ids, &e), 0);
	assert_int_equal(age_identities_add(ids, spec_identity, strlen(spec_identity), &e), 0);
	struct membuf c = encrypt_to(r, false, plain, n);
	struct membuf p;
	size_t hdr = (size_t)((unsigned char *)memmem(c.p, c.len, "\n--- ", 5) - c.p) + 49;
	assert_int_equal(c.len, hdr + 16 + n + 4 * 16);

	/* A flipped payload byte in the third chunk. */
	c.p[hdr + 16 + 2 * 65552 + 10] ^= 1;
	assert_int_equal(decrypt_all(ids, c.p, c.len, 65536, &p, &e), -1);
	assert_int_equal(e.code, ERR_VERIFY);
	assert_string_equal(e.msg, "chunk 3 failed authentication");
	assert_int_equal(p.len, 2 * 65536); /* the two good chunks came out first */
	free(p.p);
	c.p[hdr + 16 + 2 * 65552 + 10] ^= 1;

	/* A changed stanza type: the file is no longer for this identity. */
	c.p[30] ^= 1;
	assert_int_equal(decrypt_all(ids, c.p, c.len, 65536, &p, &e), -1);
	assert_int_equal(e.code, ERR_KEY);
	free(p.p);
	c.p[30] ^= 1;

	/* Truncated at a chunk boundary: no final chunk. */
	assert_int_equal(decrypt_all(ids, c.p, hdr + 16 + 2 * 65552, 65536, &p, &e), -1);
	assert_int_equal(e.code, ERR_VERIFY);
	assert_non_null(strstr(e.msg, "no final chunk after chunk 2"));
	free(p.p);
	/* Truncated inside the last chunk. */
	assert_int_equal(decrypt_all(ids, c.p, c.len - 1, 65536, &p, &e), -1);
	assert_int_equal(e.code, ERR_VERIFY);
	assert_string_equal(e.msg, "chunk 4 failed authentication");
	free(p.p);
	/* Trailing data. */
	c.p = realloc(c.p, c.len + 1);
	c.p[c.len] = 0;
	assert_int_equal(decrypt_all(ids, c.p, c.len + 1, 65536, &p, &e), -1);
	assert_int_equal(e.code, ERR_VERIFY);
	free(p.p);
	/* No payload at all, or a cut nonce. */
	assert_int_equal(decrypt_all(ids, c.p, hdr + 16, 65536, &p, &e), -1);
	assert_int_equal(e.code, ERR_VERIFY);
	free(p.p);
	assert_int_equal(decrypt_all(ids, c.p, hdr + 15, 65536, &p, &e), -1);
	assert_int_equal(e.code, ERR_FORMAT);
	free(p.p);
	/* Intact, it opens. */
	assert_int_equal(decrypt_all(ids, c.p, c.len, 65536, &p, &e), 0);
	assert_int_equal(p.len, n);
	free(p.p);

	free(c.p);
	age_identities_free(ids);
	age_recipients_free(r);
	free(plain);
}

/* The MAC: a header whose MAC line is valid base64 but wrong. */
static void test_header_mac(void **state)
{
	(void)state;
	struct err e;
	struct age_recipients *r;
	struct age_identities *ids;
	err_clear(&e);
	assert_int_equal(age_recipients_new(&r, &e), 0);
	assert_int_equal(age_recipients_add(r, spec_recipient, &e), 0);
	assert_int_equal(age_identities_new(&ids, &e), 0);
	assert_int_equal(age_identities_add(ids, spec_identity, strlen(spec_identity), &e), 0);
	struct membuf c = encrypt_to(r, false, (const unsigned char *)"x", 1);
	struct membuf p;
	unsigned char *mac = (unsigned char *)memmem(c.p, c.len, "\n--- ", 5) + 5;
	mac[0] = mac[0] == 'A' ? 'B' : 'A'; /* the first character carries no padding bits */
	assert_int_equal(decrypt_all(ids, c.p, c.len, 64, &p, &e), -1);
	assert_int_equal(e.code, ERR_VERIFY);
	assert_string_equal(e.msg, "header MAC does not match");
	free(p.p);
	free(c.p);
	age_identities_free(ids);
	age_recipients_free(r);
}

/* Header encoding: a parsed header encodes back to the same bytes. */
static void test_header_roundtrip(void **state)
{
	(void)state;
	struct err e;
	const char *names[] = {"x25519", "x25519_grease", "stanza_valid_characters",
			       "stanza_empty_body", "stanza_empty_last_line", "x25519_multiple_recipients",
			       "scrypt"};
	err_clear(&e);
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		struct vector v;
		struct age_header h;
		vector_load(&v, names[i]);
		unsigned char *end = memmem(v.body, v.bodylen, "\n--- ", 5);
		assert_non_null(end);
		size_t hlen = (size_t)(end - v.body) + 49;
		if (age_header_parse(v.body, hlen, &h, &e) != 0)
			fail_msg("%s: %s", names[i], e.msg);
		unsigned char *out;
		size_t len, cap;
		assert_int_equal(age_header_encode(h.stanzas, h.nstanzas, &out, &len, &cap, &e), 0);
		len = age_header_put_mac(out, len, h.mac);
		assert_int_equal(len, hlen);
		assert_memory_equal(out, v.body, hlen);
		free(out);
		age_header_free(&h);
		vector_free(&v);
	}
}

/* ---- re-wrapping ------------------------------------------------------------------------- */

/* An X25519 key pair as strings. */
struct keypair {
	char id[AGE_IDENTITY_LEN + 1];
	char rcpt[AGE_RECIPIENT_LEN + 1];
};

static void keypair_new(struct keypair *k)
{
	uint8_t sk[32], pk[32];
	age_x25519_keygen(sk, pk);
	age_identity_encode(k->id, sk);
	age_recipient_encode(k->rcpt, pk);
	sodium_memzero(sk, sizeof sk);
}

static struct age_identities *ids_of(const struct keypair *k)
{
	struct age_identities *ids;
	struct err e;
	assert_int_equal(age_identities_new(&ids, &e), 0);
	assert_int_equal(age_identities_add(ids, k->id, strlen(k->id), &e), 0);
	return ids;
}

static struct age_recipients *rcpts_of(const struct keypair *a, const struct keypair *b)
{
	struct age_recipients *r;
	struct err e;
	assert_int_equal(age_recipients_new(&r, &e), 0);
	assert_int_equal(age_recipients_add(r, a->rcpt, &e), 0);
	if (b)
		assert_int_equal(age_recipients_add(r, b->rcpt, &e), 0);
	return r;
}

/* Re-wraps the file c[0..n) for `to`, reading at most step bytes a call; on success *out is the
 * new file: the new header, then every byte of c the reader did not hand out. The reader must
 * have handed out the old header and not one byte more. */
static int rewrap_file(const struct age_identities *ids, const struct age_recipients *to,
		       const unsigned char *c, size_t n, size_t step, struct membuf *out,
		       struct age_rewrap_info *info, struct err *e)
{
	struct trickle src = {c, n, 0, step};
	unsigned char *hdr = (unsigned char *)"x";
	size_t hlen = 1;
	memset(out, 0, sizeof *out);
	if (age_rewrap(ids, to, trickle_read, &src, &hdr, &hlen, info, e) != 0) {
		assert_null(hdr);
		assert_int_equal(hlen, 0);
		assert_int_equal(info->header_len, 0);
		return -1;
	}
	assert_int_equal(src.off, info->header_len);
	assert_memory_equal(hdr, "age-encryption.org/v1\n", 22);
	mem_write(out, hdr, hlen, e);
	mem_write(out, c + src.off, n - src.off, e);
	free(hdr);
	return 0;
}

/* Counts the X25519 stanzas of the header at the start of c. */
static size_t count_x25519(const unsigned char *c, size_t n)
{
	size_t k = 0;
	const unsigned char *end = memmem(c, n, "\n--- ", 5);
	assert_non_null(end);
	for (const unsigned char *p = c; (p = memmem(p, (size_t)(end - p), "\n-> X25519 ", 11));
	     p++)
		k++;
	return k;
}

/* A file for A and B, re-wrapped for B and C: C and B open it, A no longer does but still
 * opens the old one, and the body is the old body byte for byte. */
static void test_rewrap_roundtrip(void **state)
{
	(void)state;
	static const size_t rsizes[] = {0, 1, 65536, 3 * 65536 + 5};
	static const size_t steps[] = {1, 7, 48, 1 << 20};
	struct keypair a, b, c;
	struct err e;
	err_clear(&e);
	keypair_new(&a);
	keypair_new(&b);
	keypair_new(&c);
	struct age_identities *ida = ids_of(&a), *idb = ids_of(&b), *idc = ids_of(&c);
	struct age_recipients *ab = rcpts_of(&a, &b), *bc = rcpts_of(&b, &c), *ca = rcpts_of(&a, NULL);
	for (size_t k = 0; k < sizeof rsizes / sizeof *rsizes; k++) {
		size_t n = rsizes[k];
		unsigned char *plain = malloc(n ? n : 1);
		fill_pattern(plain, n, (unsigned)k + 300);
		struct membuf old = encrypt_to(ab, false, plain, n);
		size_t old_hlen = (size_t)((unsigned char *)memmem(old.p, old.len, "\n--- ", 5) -
					   old.p) + 49;
		for (size_t si = 0; si < sizeof steps / sizeof *steps; si++) {
			struct membuf nw, p;
			struct age_rewrap_info info;
			if (rewrap_file(ida, bc, old.p, old.len, steps[si], &nw, &info, &e) != 0)
				fail_msg("size %zu step %zu: %s", n, steps[si], e.msg);
			assert_int_equal(info.header_len, old_hlen);
			assert_int_equal(info.stanzas, 2);
			assert_int_equal(info.matched, 1);
			assert_string_equal(info.recipient, a.rcpt);
			assert_int_equal(count_x25519(nw.p, nw.len), 2);
			size_t new_hlen = (size_t)((unsigned char *)memmem(nw.p, nw.len, "\n--- ", 5) -
						   nw.p) + 49;
			/* The body (nonce and chunks) is the old one. */
			assert_int_equal(nw.len - new_hlen, old.len - old_hlen);
			assert_memory_equal(nw.p + new_hlen, old.p + old_hlen, old.len - old_hlen);
			assert_true(new_hlen != old_hlen || memcmp(nw.p, old.p, old_hlen) != 0);
			/* C and B open the new file; A does not, but still opens the old one. */
			const struct age_identities *open_new[] = {idc, idb};
			for (size_t i = 0; i < 2; i++) {
				assert_int_equal(decrypt_all(open_new[i], nw.p, nw.len, 70000, &p, &e), 0);
				assert_int_equal(p.len, n);
				if (n)
					assert_memory_equal(p.p, plain, n);
				free(p.p);
			}
			assert_int_equal(decrypt_all(ida, nw.p, nw.len, 70000, &p, &e), -1);
			assert_int_equal(e.code, ERR_KEY);
			free(p.p);
			assert_int_equal(decrypt_all(ida, old.p, old.len, 70000, &p, &e), 0);
			assert_int_equal(p.len, n);
			free(p.p);
			/* B's identity opens the old header's second stanza. */
			struct membuf nw2;
			assert_int_equal(rewrap_file(idb, bc, old.p, old.len, steps[si], &nw2, &info, &e), 0);
			assert_int_equal(info.matched, 2);
			assert_string_equal(info.recipient, b.rcpt);
			free(nw2.p);
			/* A re-wrapped file re-wraps again: C gives it back to A alone. */
			assert_int_equal(rewrap_file(idc, ca, nw.p, nw.len, steps[si], &nw2, &info, &e), 0);
			assert_int_equal(info.matched, 2);
			assert_int_equal(count_x25519(nw2.p, nw2.len), 1);
			assert_int_equal(decrypt_all(ida, nw2.p, nw2.len, 1000, &p, &e), 0);
			assert_int_equal(p.len, n);
			if (n)
				assert_memory_equal(p.p, plain, n);
			free(p.p);
			free(nw2.p);
			free(nw.p);
		}
		free(old.p);
		free(plain);
	}
	age_recipients_free(ab);
	age_recipients_free(bc);
	age_recipients_free(ca);
	age_identities_free(ida);
	age_identities_free(idb);
	age_identities_free(idc);
}

static int no_pass(void *ctx, const char *prompt, char **pass, size_t *len, struct err *e)
{
	(void)ctx;
	(void)prompt;
	(void)pass;
	(void)len;
	(void)e;
	fail_msg("age_rewrap asked for a passphrase");
	return -1;
}

/* Every refusal, with its code; nothing is handed out after any of them. */
static void test_rewrap_refusals(void **state)
{
	(void)state;
	struct keypair a, b, c;
	struct err e;
	struct membuf nw, p;
	struct age_rewrap_info info;
	err_clear(&e);
	keypair_new(&a);
	keypair_new(&b);
	keypair_new(&c);
	struct age_identities *ida = ids_of(&a), *idc = ids_of(&c);
	struct age_recipients *ab = rcpts_of(&a, &b), *to = rcpts_of(&c, NULL);
	struct membuf old = encrypt_to(ab, false, (const unsigned char *)"minutes", 7);

	/* An identity the file is not for. */
	assert_int_equal(rewrap_file(idc, to, old.p, old.len, 100, &nw, &info, &e), -1);
	assert_int_equal(e.code, ERR_KEY);
	assert_non_null(strstr(e.msg, "no identity matches"));
	/* No identities at all. */
	assert_int_equal(rewrap_file(NULL, to, old.p, old.len, 100, &nw, &info, &e), -1);
	assert_int_equal(e.code, ERR_KEY);

	/* A wrong header MAC. */
	unsigned char *mac = (unsigned char *)memmem(old.p, old.len, "\n--- ", 5) + 5;
	unsigned char was = mac[0];
	mac[0] = was == 'A' ? 'B' : 'A'; /* the first character carries no padding bits */
	assert_int_equal(rewrap_file(ida, to, old.p, old.len, 100, &nw, &info, &e), -1);
	assert_int_equal(e.code, ERR_VERIFY);
	assert_string_equal(e.msg, "header MAC does not match");
	mac[0] = was;
	/* B's stanza altered: A still opens its own, and the MAC says no. */
	unsigned char *first = memmem(old.p, old.len, "\n-> X25519 ", 11);
	assert_non_null(first);
	unsigned char *second = memmem(first + 1, old.len - (size_t)(first + 1 - old.p),
				       "\n-> X25519 ", 11);
	assert_non_null(second);
	unsigned char *body = (unsigned char *)memchr(second + 1, '\n', 80) + 1;
	was = body[0];
	body[0] = was == 'A' ? 'B' : 'A';
	assert_int_equal(rewrap_file(ida, to, old.p, old.len, 100, &nw, &info, &e), -1);
	assert_int_equal(e.code, ERR_VERIFY);
	body[0] = was;
	assert_int_equal(rewrap_file(ida, to, old.p, old.len, 100, &nw, &info, &e), 0);
	free(nw.p);

	/* A header cut short, and input that is not age at all. */
	size_t hlen = (size_t)(mac - old.p) + 44;
	assert_int_equal(rewrap_file(ida, to, old.p, hlen - 1, 100, &nw, &info, &e), -1);
	assert_int_equal(e.code, ERR_FORMAT);
	assert_non_null(strstr(e.msg, "invalid age header"));
	assert_int_equal(rewrap_file(ida, to, (const unsigned char *)"minutes\n", 8, 100, &nw, &info,
				     &e),
			 -1);
	assert_int_equal(e.code, ERR_FORMAT);
	assert_non_null(strstr(e.msg, "invalid age header"));
	assert_int_equal(rewrap_file(ida, to, old.p, 0, 100, &nw, &info, &e), -1);
	assert_int_equal(e.code, ERR_FORMAT);
	/* A large input that is not age: refused on its first bytes, not read on. */
	size_t junk_len = 4 << 20;
	unsigned char *junk = malloc(junk_len);
	assert_non_null(junk);
	memset(junk, 'x', junk_len);
	struct trickle jt = {junk, junk_len, 0, 1 << 20};
	unsigned char *jh = NULL;
	size_t jl = 0;
	assert_int_equal(age_rewrap(ida, to, trickle_read, &jt, &jh, &jl, &info, &e), -1);
	assert_int_equal(e.code, ERR_FORMAT);
	assert_non_null(strstr(e.msg, "first line"));
	assert_true(jt.off <= 2048);
	free(junk);

	/* Armor, also after whitespace: refused, saying why. */
	struct membuf arm = encrypt_to(ab, true, (const unsigned char *)"minutes", 7);
	assert_int_equal(rewrap_file(ida, to, arm.p, arm.len, 100, &nw, &info, &e), -1);
	assert_int_equal(e.code, ERR_FORMAT);
	assert_non_null(strstr(e.msg, "ASCII-armored"));
	struct membuf ws = {0};
	for (int i = 0; i < 1000; i++)
		mem_write(&ws, "\n", 1, &e);
	mem_write(&ws, arm.p, arm.len, &e);
	assert_int_equal(rewrap_file(ida, to, ws.p, ws.len, 100, &nw, &info, &e), -1);
	assert_int_equal(e.code, ERR_FORMAT);
	assert_non_null(strstr(e.msg, "ASCII-armored"));
	free(ws.p);
	free(arm.p);

	/* A passphrase-encrypted file: refused before any scrypt, without asking. */
	struct age_recipients *pw;
	assert_int_equal(age_recipients_new(&pw, &e), 0);
	assert_int_equal(age_recipients_add_passphrase(pw, "pw", 2, 10, &e), 0);
	struct membuf sc = encrypt_to(pw, false, (const unsigned char *)"minutes", 7);
	struct age_identities *ask;
	assert_int_equal(age_identities_new(&ask, &e), 0);
	assert_int_equal(age_identities_add(ask, a.id, strlen(a.id), &e), 0);
	assert_int_equal(age_identities_add_passphrase(ask, "pw", 2, &e), 0);
	age_identities_set_passphrase_fn(ask, no_pass, NULL);
	assert_int_equal(rewrap_file(ask, to, sc.p, sc.len, 100, &nw, &info, &e), -1);
	assert_int_equal(e.code, ERR_KEY);
	assert_non_null(strstr(e.msg, "passphrase-encrypted"));
	assert_non_null(strstr(e.msg, "X25519"));
	/* ... and a passphrase is no new recipient; nor is an empty set. Nothing is read. */
	struct trickle src = {old.p, old.len, 0, 100};
	unsigned char *hdr = NULL;
	size_t len = 0;
	assert_int_equal(age_rewrap(ida, pw, trickle_read, &src, &hdr, &len, &info, &e), -1);
	assert_int_equal(e.code, ERR_USAGE);
	struct age_recipients *none;
	assert_int_equal(age_recipients_new(&none, &e), 0);
	assert_int_equal(age_rewrap(ida, none, trickle_read, &src, &hdr, &len, &info, &e), -1);
	assert_int_equal(e.code, ERR_USAGE);
	assert_int_equal(src.off, 0);
	assert_null(hdr);
	age_recipients_free(none);
	age_identities_free(ask);
	age_recipients_free(pw);
	free(sc.p);

	/* The old file is untouched by all this: A opens it. */
	assert_int_equal(decrypt_all(ida, old.p, old.len, 100, &p, &e), 0);
	free(p.p);
	free(old.p);
	age_recipients_free(ab);
	age_recipients_free(to);
	age_identities_free(ida);
	age_identities_free(idc);
}

/* Every CCTV vector, re-wrapped for a new key: where age_rewrap accepts the header, the new
 * file has the outcome the vector gives the old one; where it refuses, the vector is one of
 * armor, scrypt or a failure amana sees in the header. */
static void test_rewrap_vectors(void **state)
{
	(void)state;
	struct keypair c;
	struct err e;
	err_clear(&e);
	keypair_new(&c);
	struct age_identities *idc = ids_of(&c);
	struct age_recipients *to = rcpts_of(&c, NULL);
	DIR *d = opendir(VEC_DIR);
	assert_non_null(d);
	struct dirent *de;
	size_t rewrapped = 0;
	while ((de = readdir(d)) != NULL) {
		const char *name = de->d_name;
		if (name[0] == '.' || strchr(name, '.') || strcmp(name, "LICENSE") == 0 ||
		    strstr(name, "hybrid"))
			continue; /* ML-KEM identities: amana cannot open those at all */
		struct vector v;
		struct age_identities *ids;
		vector_load(&v, name);
		assert_int_equal(age_identities_new(&ids, &e), 0);
		for (size_t i = 0; i < v.nidentities; i++)
			assert_int_equal(age_identities_add(ids, v.identities[i],
							    strlen(v.identities[i]), &e),
					 0);
		struct membuf nw;
		struct age_rewrap_info info;
		int rc = rewrap_file(ids, to, v.body, v.bodylen, 4096, &nw, &info, &e);
		const char *x = v.expect;
		if (v.armored) {
			assert_int_equal(rc, -1);
			assert_int_equal(e.code, ERR_FORMAT);
		} else if (rc == -1 && strstr(e.msg, "passphrase-encrypted")) {
			assert_true(v.npassphrases > 0);
			assert_int_equal(e.code, ERR_KEY);
		} else if (rc == -1) {
			int want = strcmp(x, "no match") == 0       ? ERR_KEY
				   : strcmp(x, "HMAC failure") == 0 ? ERR_VERIFY
								    : ERR_FORMAT;
			if (strcmp(x, "no match") != 0 && strcmp(x, "HMAC failure") != 0 &&
			    strcmp(x, "header failure") != 0)
				fail_msg("%s: expected %s, age_rewrap said: %s", name, x, e.msg);
			if (e.code != want)
				fail_msg("%s: expected %s, age_rewrap said: %s", name, x, e.msg);
		} else {
			struct vector nv = v;
			nv.body = nw.p;
			nv.bodylen = nw.len;
			assert_true(v.npassphrases == 0);
			check_vector(&nv, idc, false, rewrapped % 3);
			free(nw.p);
			rewrapped++;
		}
		age_identities_free(ids);
		vector_free(&v);
	}
	closedir(d);
	assert_true(rewrapped >= 30);
	age_recipients_free(to);
	age_identities_free(idc);
}

/* ---- a tool for tests/interop/age.bats ------------------------------------------------- */

/* Reads a whole identity file into sodium_malloc'd memory. */
static int read_identity_file(const char *path, unsigned char **out, size_t *len, struct err *e)
{
	struct age_fd f = {open(path, O_RDONLY), path};
	if (f.fd < 0)
		return err_errno(e, ERR_IO, "cannot open %s", path);
	unsigned char *buf = sodium_malloc(AGE_IDENTITY_FILE_MAX);
	size_t n = 0, got = 1;
	int rc = buf ? 0 : err_set(e, ERR_IO, "out of memory");
	while (rc == 0 && got > 0 && n < AGE_IDENTITY_FILE_MAX)
		if ((rc = age_fd_read(&f, buf + n, AGE_IDENTITY_FILE_MAX - n, &got, e)) == 0)
			n += got;
	close(f.fd);
	if (rc != 0) {
		if (buf)
			sodium_free(buf);
		return -1;
	}
	*out = buf;
	*len = n;
	return 0;
}

/*
 * "test_age rewrap IDENTITY IN OUT RECIPIENT...": re-wraps the age file IN for the recipients,
 * opening it with the identity file IDENTITY, and writes to OUT the new header and then the
 * rest of IN as read on from the same descriptor (IN may be a pipe); with OUT "-", only the
 * header's work is done. Prints "OLD_HEADER_LEN NEW_HEADER_LEN MATCHED_STANZA RECIPIENT".
 * Errors go to stderr as amana says them, and the exit status is the error's code; OUT is
 * created only once age_rewrap has succeeded. amana has no command for this yet (readdress
 * will be one), so the interop tests with stock age drive age_rewrap through here.
 */
static int rewrap_tool(int argc, char **argv)
{
	struct err e;
	struct age_identities *ids = NULL;
	struct age_recipients *to = NULL;
	struct age_rewrap_info info;
	unsigned char *hdr = NULL, *key = NULL;
	size_t hlen = 0, klen = 0;
	struct age_fd src = {-1, argv[3]}, dst = {-1, argv[4]};
	int rc = -1;

	err_clear(&e);
	if (argc < 6 || strcmp(argv[1], "rewrap") != 0) {
		fprintf(stderr, "usage: %s rewrap IDENTITY IN OUT|- RECIPIENT...\n", argv[0]);
		return ERR_USAGE;
	}
	if (sodium_init() < 0)
		return ERR_INTERNAL;
	if (age_identities_new(&ids, &e) != 0 || age_recipients_new(&to, &e) != 0)
		goto done;
	for (int i = 5; i < argc; i++)
		if (age_recipients_add(to, argv[i], &e) != 0)
			goto done;
	if (read_identity_file(argv[2], &key, &klen, &e) != 0 ||
	    age_identities_add_file(ids, key, klen, argv[2], &e) != 0)
		goto done;
	if ((src.fd = open(argv[3], O_RDONLY)) < 0) {
		err_errno(&e, ERR_IO, "cannot open %s", argv[3]);
		goto done;
	}
	if (age_rewrap(ids, to, age_fd_read, &src, &hdr, &hlen, &info, &e) != 0)
		goto done;
	if (strcmp(argv[4], "-") != 0) {
		static unsigned char buf[1 << 16];
		size_t got = 1;
		if ((dst.fd = open(argv[4], O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0) {
			err_errno(&e, ERR_IO, "cannot create %s", argv[4]);
			goto done;
		}
		if (age_fd_write(&dst, hdr, hlen, &e) != 0)
			goto done;
		while (got > 0)
			if (age_fd_read(&src, buf, sizeof buf, &got, &e) != 0 ||
			    age_fd_write(&dst, buf, got, &e) != 0)
				goto done;
		if (close(dst.fd) != 0) {
			dst.fd = -1;
			err_errno(&e, ERR_IO, "cannot write %s", argv[4]);
			goto done;
		}
		dst.fd = -1;
	}
	printf("%llu %zu %zu %s\n", (unsigned long long)info.header_len, hlen, info.matched,
	       info.recipient);
	rc = 0;
done:
	if (rc != 0) {
		fprintf(stderr, "amana: %s\n", e.msg);
		if (e.hint[0])
			fprintf(stderr, "hint: %s\n", e.hint);
	}
	if (src.fd >= 0)
		close(src.fd);
	if (dst.fd >= 0)
		close(dst.fd);
	if (key)
		sodium_free(key);
	free(hdr);
	age_recipients_free(to);
	age_identities_free(ids);
	return rc == 0 ? 0 : e.code;
}

/* ---- main -------------------------------------------------------------------------------- */

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	if (argc > 1)
		return rewrap_tool(argc, argv);
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_key_strings),
		cmocka_unit_test(test_unsupported_types),
		cmocka_unit_test(test_recipients_file),
		cmocka_unit_test(test_identity_file),
		cmocka_unit_test(test_roundtrip_x25519),
		cmocka_unit_test(test_roundtrip_large_pieces),
		cmocka_unit_test(test_roundtrip_scrypt),
		cmocka_unit_test(test_encrypted_identity_file),
		cmocka_unit_test(test_tamper),
		cmocka_unit_test(test_header_mac),
		cmocka_unit_test(test_header_roundtrip),
		cmocka_unit_test(test_rewrap_roundtrip),
		cmocka_unit_test(test_rewrap_refusals),
		cmocka_unit_test(test_rewrap_vectors),
	};
	size_t nfixed = sizeof fixed / sizeof *fixed;
	char **names = NULL;
	size_t n = 0, cap = 0;
	DIR *d = opendir(VEC_DIR);
	if (!d) {
		fprintf(stderr, "cannot open %s (run from the top folder)\n", VEC_DIR);
		return 1;
	}
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		const char *s = de->d_name;
		if (s[0] == '.' || strchr(s, '.') || strcmp(s, "LICENSE") == 0)
			continue; /* README.md, FORMAT.md, LICENSE */
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			names = realloc(names, cap * sizeof *names);
		}
		names[n++] = strdup(s);
	}
	closedir(d);
	qsort(names, n, sizeof *names, cmp_names);

	struct CMUnitTest *tests = calloc(n + nfixed, sizeof *tests);
	for (size_t i = 0; i < n; i++) {
		tests[i].name = names[i];
		tests[i].test_func = run_vector;
		tests[i].initial_state = names[i];
	}
	memcpy(tests + n, fixed, sizeof fixed);
	int rc = _cmocka_run_group_tests("age", tests, n + nfixed, unit_setup, NULL);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(tests);
	return rc;
}
