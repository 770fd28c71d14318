/*
 * test_limits.c - the limits too large, or too deep inside a format, to reach from the command
 * line (issue 8, point 5): each parser is fed a generated input at its limit (accepted) and
 * one entry or byte past it (refused, ERR_FORMAT unless said otherwise). tests/cli/limits.bats
 * has the others; docs/limits.md lists them all.
 *
 * The last test collects the messages of every refusal here and checks that each says that
 * something is too big (the limits themselves are checked by the tests before it).
 */
#include <sys/stat.h>
#include <unistd.h>

#include "tests/unit/unit.h"
#include "vault/age.h"
#include "vault/age_impl.h"
#include "vault/base64.h"
#include "vault/bech32.h"
#include "vault/bundle.h"
#include "vault/envelope.h"
#include "vault/io.h"
#include "vault/log.h"
#include "vault/merkle.h"
#include "vault/minisign.h"
#include "vault/note.h"
#include "vault/outcome.h"
#include "vault/record.h"
#include "vault/root.h"
#include "vault/store.h"

/* ---- helpers ----------------------------------------------------------------------------- */

/* A growing text buffer. */
struct buf {
	char *p;
	size_t n, cap;
};

static void put(struct buf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		b->cap = (b->n + n + 1) * 2;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void puts_(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

static void putf(struct buf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	assert_true(n >= 0 && (size_t)n < sizeof tmp);
	put(b, tmp, (size_t)n);
}

static void putrep(struct buf *b, char c, size_t n)
{
	char chunk[4096];
	memset(chunk, c, sizeof chunk);
	while (n > 0) {
		size_t k = n < sizeof chunk ? n : sizeof chunk;
		put(b, chunk, k);
		n -= k;
	}
}

/* The messages of the refusals seen, to check their wording at the end. */
static struct buf said;

static bool says_too_big(const char *msg)
{
	static const char *const words[] = {"larger than", "longer than", "more than", "too long",
					    "too large", "too many", "is full", "above the limit", "beyond", NULL};
	for (int i = 0; words[i]; i++)
		if (strstr(msg, words[i]))
			return true;
	return false;
}

/* A refusal: the code, the message naming what (when what is not NULL); kept for the
 * wording test. */
static void refused(int rc, const struct err *e, int code, const char *what, const char *limit)
{
	if (rc == 0)
		fail_msg("accepted past the limit: %s", limit);
	if (e->code != code)
		fail_msg("%s: code %d, not %d (%s)", limit, e->code, code, e->msg);
	if (what && !strstr(e->msg, what))
		fail_msg("%s: the message '%s' does not name '%s'", limit, e->msg, what);
	if (!says_too_big(e->msg))
		putf(&said, "%.60s: \"%.300s\"\n", limit, e->msg);
}

static void accepted(int rc, const struct err *e, const char *limit)
{
	if (rc != 0)
		fail_msg("refused at the limit (%s): %s", limit, e->msg);
}

/* 32 zero bytes in padded base64, and in hex. */
#define B64_ZERO32 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
#define HEX_ZERO32 "0000000000000000000000000000000000000000000000000000000000000000"

/* ---- outcome.json: records and attachments ------------------------------------------------ */

static const char outcome_head[] =
	"{\"conference\":{\"series\":\"s\",\"number\":1,\"title\":\"t\",\"venue\":\"\",\"held_from\":\"\","
	"\"held_to\":\"\",\"organizer\":\"\"},\"participants\":[],";

static void outcome_records(struct buf *b, size_t n)
{
	b->n = 0;
	puts_(b, outcome_head);
	puts_(b, "\"records\":[");
	for (size_t i = 0; i < n; i++)
		puts_(b, i ? ",{\"kind\":\"d\",\"lang\":\"ar\",\"title\":\"t\",\"body\":\"\"}"
			   : "{\"kind\":\"d\",\"lang\":\"ar\",\"title\":\"t\",\"body\":\"\"}");
	puts_(b, "]}");
}

static void test_outcome_records(void **state)
{
	(void)state;
	struct buf b = {0};
	struct outcome o;
	struct err e;
	outcome_records(&b, OUTCOME_RECORDS_MAX);
	int rc = outcome_parse(b.p, b.n, NULL, &o, &e);
	accepted(rc, &e, "1,000,000 records");
	assert_int_equal(o.nrecords, OUTCOME_RECORDS_MAX);
	outcome_free(&o);
	outcome_records(&b, OUTCOME_RECORDS_MAX + 1);
	rc = outcome_parse(b.p, b.n, NULL, &o, &e);
	outcome_free(&o);
	refused(rc, &e, ERR_FORMAT, "records[1000000]", "1,000,001 records");
	free(b.p);
}

static void outcome_attachments(struct buf *b, size_t n)
{
	b->n = 0;
	puts_(b, outcome_head);
	puts_(b, "\"records\":[{\"kind\":\"d\",\"lang\":\"ar\",\"title\":\"t\",\"body\":\"\"}],\"attachments\":[");
	for (size_t i = 0; i < n; i++)
		putf(b, "%s{\"path\":\"d/f%06zu.pdf\",\"caption\":\"\",\"record\":1}", i ? "," : "", i);
	puts_(b, "]}");
}

static void test_outcome_attachments(void **state)
{
	(void)state;
	struct buf b = {0};
	struct outcome o;
	struct err e;
	outcome_attachments(&b, OUTCOME_ATTACHMENTS_MAX);
	int rc = outcome_parse(b.p, b.n, NULL, &o, &e);
	accepted(rc, &e, "100,000 attachments");
	assert_int_equal(o.nattachments, OUTCOME_ATTACHMENTS_MAX);
	outcome_free(&o);
	outcome_attachments(&b, OUTCOME_ATTACHMENTS_MAX + 1);
	rc = outcome_parse(b.p, b.n, NULL, &o, &e);
	outcome_free(&o);
	refused(rc, &e, ERR_FORMAT, "attachments[100000]", "100,001 attachments");
	free(b.p);
}

/* ---- log/proof ------------------------------------------------------------------------------ */

/* A log/proof with n leaves, k inclusion hashes and w witnessed notes of note_len bytes. */
static void log_proof_text(struct buf *b, uint64_t n, uint64_t k, size_t w, size_t note_len)
{
	b->n = 0;
	putf(b, "%s\nindex 0\nsize %llu\ninclusion %llu\n", LOG_PROOF_FORMAT, (unsigned long long)n,
	     (unsigned long long)k);
	for (uint64_t i = 0; i < k; i++)
		puts_(b, B64_ZERO32 "\n");
	putf(b, "leaves %llu\n", (unsigned long long)n);
	for (uint64_t i = 0; i < n; i++)
		puts_(b, B64_ZERO32 "\n");
	putf(b, "witnessed %zu\n", w);
	for (size_t i = 0; i < w; i++) {
		putf(b, "note %zu\n", note_len);
		putrep(b, 'n', note_len);
	}
}

static void test_log_proof(void **state)
{
	(void)state;
	struct buf b = {0};
	struct log_proof p;
	struct err e;
	int rc;

	log_proof_text(&b, LOG_MAX_LEAVES, 17, 0, 0);
	rc = log_proof_parse(&p, b.p, b.n, &e);
	accepted(rc, &e, "log/proof: 100,000 leaves");
	assert_int_equal(p.size, LOG_MAX_LEAVES);
	log_proof_free(&p);
	log_proof_text(&b, LOG_MAX_LEAVES + 1, 17, 0, 0);
	refused(log_proof_parse(&p, b.p, b.n, &e), &e, ERR_FORMAT, "log/proof", "log/proof: 100,001 leaves");

	log_proof_text(&b, 1, MERKLE_MAX_PROOF, 0, 0);
	accepted(log_proof_parse(&p, b.p, b.n, &e), &e, "log/proof: 65 inclusion hashes");
	log_proof_free(&p);
	log_proof_text(&b, 1, MERKLE_MAX_PROOF + 1, 0, 0);
	refused(log_proof_parse(&p, b.p, b.n, &e), &e, ERR_FORMAT, "log/proof", "log/proof: 66 inclusion hashes");

	log_proof_text(&b, 1, 0, LOG_MAX_WITNESSED, 10);
	accepted(log_proof_parse(&p, b.p, b.n, &e), &e, "log/proof: 8 witnessed notes");
	assert_int_equal(p.nwitnessed, LOG_MAX_WITNESSED);
	log_proof_free(&p);
	log_proof_text(&b, 1, 0, LOG_MAX_WITNESSED + 1, 10);
	refused(log_proof_parse(&p, b.p, b.n, &e), &e, ERR_FORMAT, "log/proof", "log/proof: 9 witnessed notes");

	log_proof_text(&b, 1, 0, 1, 1u << 20);
	accepted(log_proof_parse(&p, b.p, b.n, &e), &e, "log/proof: a witnessed note of 1 MiB");
	log_proof_free(&p);
	log_proof_text(&b, 1, 0, 1, (1u << 20) + 1);
	refused(log_proof_parse(&p, b.p, b.n, &e), &e, ERR_FORMAT, "log/proof",
		"log/proof: a witnessed note of 1 MiB + 1");
	free(b.p);
}

/* ---- the issuer's log: at most 100,000 bundles ---------------------------------------------- */

static char dir[256];

static int make_dir(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/amana-unit-limits.%d", (int)getpid());
	io_rmtree(dir);
	return 0;
}

static int drop_dir(void **state)
{
	(void)state;
	io_rmtree(dir);
	return 0;
}

static void test_log_full(void **state)
{
	(void)state;
	struct store *s;
	struct minisign_sec *sk;
	struct err e;
	char issuer[17], origin[LOG_NAME_MAX], *cp = NULL, *proof = NULL;
	size_t cp_len, proof_len;
	assert_int_equal(store_open(&s, dir, &e), 0);
	assert_int_equal(minisign_keygen(&sk, &e), 0);
	minisign_key_id_hex(sk->key_id, issuer);
	log_origin(issuer, origin);

	/* 99,999 bundles already in the log (their leaves need not be real ones here). */
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_exec(store_db(s), "BEGIN", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(store_db(s),
					    "INSERT INTO logs (origin, issuer, public_key) VALUES (?1, ?2, ?3)",
					    -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, origin, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, issuer, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, sk->sk + 32, 32, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	assert_int_equal(sqlite3_prepare_v2(store_db(s),
					    "WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i < ?2) "
					    "INSERT INTO log_leaves (origin, idx, leaf, bundle_id, sequence, envelope) "
					    "SELECT ?1, i, zeroblob(32), printf('%032x', i), i + 1, 'e' FROM c",
					    -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, origin, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, LOG_MAX_LEAVES - 2);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	assert_int_equal(sqlite3_exec(store_db(s), "COMMIT", NULL, NULL, NULL), SQLITE_OK);

	/* The 100,000th bundle: appended, and its proof (every leaf) parses. */
	assert_int_equal(store_begin(s, &e), 0);
	int rc = log_append(s, sk, "ffffffffffffffffffffffffffffffff", LOG_MAX_LEAVES, "envelope\n", 9, &cp,
			    &cp_len, &proof, &proof_len, &e);
	accepted(rc, &e, "the issuer's log: the 100,000th bundle");
	assert_int_equal(store_commit(s, &e), 0);
	struct log_proof p;
	accepted(log_proof_parse(&p, proof, proof_len, &e), &e, "the 100,000th bundle's log/proof");
	assert_int_equal(p.size, LOG_MAX_LEAVES);
	assert_int_equal(p.index, LOG_MAX_LEAVES - 1);
	log_proof_free(&p);
	free(cp);
	free(proof);
	cp = proof = NULL;

	/* The 100,001st: refused before anything is written (a proof readers would refuse). */
	assert_int_equal(store_begin(s, &e), 0);
	rc = log_append(s, sk, "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee", LOG_MAX_LEAVES + 1, "envelope2\n", 10, &cp,
			&cp_len, &proof, &proof_len, &e);
	store_rollback(s);
	refused(rc, &e, ERR_IO, "100000", "the issuer's log: the 100,001st bundle");
	assert_null(cp);
	free(cp);
	free(proof);
	minisign_sec_free(sk);
	store_close(s);
}

/* ---- signed notes, key names, cosignatures -------------------------------------------------- */

static void note_text(struct buf *b, size_t nsigs)
{
	b->n = 0;
	puts_(b, "amana/0123456789ABCDEF\n1\n" B64_ZERO32 "\n\n");
	for (size_t i = 0; i < nsigs; i++)
		putf(b, "\xe2\x80\x94 k%zu AAAAAAA=\n", i);
}

static void test_note(void **state)
{
	(void)state;
	struct buf b = {0};
	struct note n;
	struct err e;
	note_init(&n);
	note_text(&b, NOTE_MAX_SIGS);
	accepted(note_parse(&n, b.p, b.n, &e), &e, "a note with 100 signature lines");
	assert_int_equal(n.nsigs, NOTE_MAX_SIGS);
	note_free(&n);
	note_text(&b, NOTE_MAX_SIGS + 1);
	refused(note_parse(&n, b.p, b.n, &e), &e, ERR_FORMAT, "signature lines", "a note with 101 signature lines");
	note_free(&n);
	free(b.p);

	/* Verifier key names: 255 bytes. */
	char name[NOTE_NAME_MAX + 2];
	uint8_t pub[32] = {0};
	struct note_vkey k;
	memset(name, 'a', NOTE_NAME_MAX);
	name[NOTE_NAME_MAX] = '\0';
	accepted(note_vkey_make(&k, name, NOTE_TYPE_ED25519, pub, &e), &e, "a key name of 255 bytes");
	name[NOTE_NAME_MAX] = 'a';
	name[NOTE_NAME_MAX + 1] = '\0';
	refused(note_vkey_make(&k, name, NOTE_TYPE_ED25519, pub, &e), &e, ERR_FORMAT, "key name",
		"a key name of 256 bytes");

	/* Cosignature timestamps: at most 2^63 - 1. */
	uint8_t blob[COSIG_BLOB_SIZE] = {0};
	struct cosig c;
	memset(blob + 4, 0xff, 8);
	blob[4] = 0x7f;
	accepted(cosig_parse(&c, blob, sizeof blob, &e), &e, "a cosignature at 2^63 - 1");
	assert_true(c.timestamp == COSIG_TIME_MAX);
	memset(blob + 4, 0, 8);
	blob[4] = 0x80;
	refused(cosig_parse(&c, blob, sizeof blob, &e), &e, ERR_FORMAT, NULL, "a cosignature at 2^63");
}

/* ---- record proofs -------------------------------------------------------------------------- */

/* A record proof with these sizes and numbers (its content need not check out here). */
static void record_proof_text(struct buf *b, uint64_t seq, uint64_t count, size_t k, size_t body,
			      size_t envelope, size_t sig)
{
	b->n = 0;
	putf(b, "%s\nbundle-id: %s\nseq: %llu\nkind: decision\nlang: ar\ntitle: t\nsalt: %s\n",
	     RECORD_PROOF_FORMAT, "0123456789abcdef0123456789abcdef", (unsigned long long)seq, HEX_ZERO32);
	putf(b, "records: %llu %s\npath: %zu\n", (unsigned long long)count, HEX_ZERO32, k);
	for (size_t i = 0; i < k; i++)
		puts_(b, HEX_ZERO32 "\n");
	putf(b, "body: %zu\n", body);
	putrep(b, 'b', body);
	putf(b, "\nenvelope: %zu\n", envelope);
	putrep(b, 'e', envelope);
	putf(b, "\nenvelope.minisig: %zu\n", sig);
	putrep(b, 's', sig);
	puts_(b, "\n");
}

static void test_record_proof(void **state)
{
	(void)state;
	struct buf b = {0};
	struct record_proof p;
	struct err e;
	const uint64_t u32 = UINT32_MAX;
	static const struct {
		const char *what, *part;
		uint64_t seq, count;
		size_t k, body, envelope, sig;
	} cases[] = {
		{"seq and count 2^32 - 1", NULL, UINT32_MAX, UINT32_MAX, 1, 1, 1, 1},
		{"a path of 64 hashes", NULL, 1, 1, 64, 1, 1, 1},
		{"a body of 1 MiB", NULL, 1, 1, 1, 1u << 20, 1, 1},
		{"an envelope of 65,536 bytes", NULL, 1, 1, 1, 1, 65536, 1},
		{"a signature of 16,384 bytes", NULL, 1, 1, 1, 1, 1, 16384},
		{"seq 2^32", "seq", 1ull << 32, 1ull << 32, 1, 1, 1, 1},
		{"count 2^32", "records", 1, 1ull << 32, 1, 1, 1, 1},
		{"a path of 65 hashes", "path", 1, 1, 65, 1, 1, 1},
		{"a body of 1 MiB + 1", "body", 1, 1, 1, (1u << 20) + 1, 1, 1},
		{"an envelope of 65,537 bytes", "envelope", 1, 1, 1, 1, 65537, 1},
		{"a signature of 16,385 bytes", "envelope.minisig", 1, 1, 1, 1, 1, 16385},
	};
	(void)u32;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char limit[96];
		snprintf(limit, sizeof limit, "record proof: %s", cases[i].what);
		record_proof_text(&b, cases[i].seq, cases[i].count, cases[i].k, cases[i].body,
				  cases[i].envelope, cases[i].sig);
		int rc = record_proof_parse(b.p, b.n, &p, &e);
		if (!cases[i].part) {
			accepted(rc, &e, limit);
			record_proof_free(&p);
		} else {
			char part[64];
			snprintf(part, sizeof part, "'%s'", cases[i].part);
			refused(rc, &e, ERR_FORMAT, part, limit);
		}
	}
	free(b.p);
}

/* ---- the envelope --------------------------------------------------------------------------- */

static void envelope_text(struct buf *b, size_t total)
{
	static const char head[] = "format: amana-bundle/1\nbundle-id: 0123456789abcdef0123456789abcdef\n"
				   "issuer: 0123456789ABCDEF\nissuer-name: i\nconference: c 1\ntitle: ";
	struct buf tail = {0};
	putf(&tail, "\ncreated: 2026-11-29T10:01:21Z\nsequence: 1\nrecipients: 1\nrecords: 1 %s\n"
		    "payload: blake2b-512 %s%s 1\n", HEX_ZERO32, HEX_ZERO32, HEX_ZERO32);
	b->n = 0;
	puts_(b, head);
	putrep(b, 't', total - (sizeof head - 1) - tail.n);
	put(b, tail.p, tail.n);
	assert_int_equal(b->n, total);
	free(tail.p);
}

static void test_envelope(void **state)
{
	(void)state;
	struct buf b = {0};
	struct envelope env;
	struct err e;
	envelope_text(&b, ENVELOPE_MAX);
	int rc = envelope_parse(b.p, b.n, &env, &e);
	accepted(rc, &e, "an envelope of 65,536 bytes");
	assert_int_equal(strlen(env.title), ENVELOPE_MAX - (b.n - strlen(env.title)));
	envelope_free(&env);
	envelope_text(&b, ENVELOPE_MAX + 1);
	rc = envelope_parse(b.p, b.n, &env, &e);
	envelope_free(&env);
	refused(rc, &e, ERR_FORMAT, "envelope", "an envelope of 65,537 bytes");
	free(b.p);
}

/* ---- tar members: declared sizes are bounded before their data is read ---------------------- */

/* One ustar header (no data follows) declaring size bytes for name, then the end blocks. */
static void ustar_header(unsigned char out[512 * 3], const char *name, uint64_t size)
{
	memset(out, 0, 512 * 3);
	memcpy(out, name, strlen(name));
	memcpy(out + 100, "0000644", 8);
	memcpy(out + 108, "0000000", 8);
	memcpy(out + 116, "0000000", 8);
	snprintf((char *)out + 124, 12, "%011llo", (unsigned long long)size);
	memcpy(out + 136, "00000000000", 12);
	out[156] = '0';
	memcpy(out + 257, "ustar", 6);
	memcpy(out + 263, "00", 2);
	memset(out + 148, ' ', 8);
	unsigned sum = 0;
	for (int i = 0; i < 512; i++)
		sum += out[i];
	snprintf((char *)out + 148, 8, "%06o", sum);
}

static void expect_member(const char *name, uint64_t size, uint64_t max, bool ok, const char *limit)
{
	unsigned char tar[512 * 3];
	struct age_mem_reader src = {tar, sizeof tar, 0};
	struct tar_reader *r;
	struct err e;
	uint64_t got;
	ustar_header(tar, name, size);
	assert_int_equal(tar_reader_open_cb(&r, age_mem_read, &src, "the payload", &e), 0);
	int rc = tar_reader_expect(r, name, max, &got, &e);
	tar_reader_free(r);
	if (ok) {
		accepted(rc, &e, limit);
		assert_true(got == size);
	} else {
		refused(rc, &e, ERR_FORMAT, name, limit);
	}
}

static void test_tar_members(void **state)
{
	(void)state;
	/* manifest.sqlite: at most 4 GiB (MANIFEST_MAX, private to vault/verify.c); its
	 * signature, as envelope.minisig, 16 KiB. */
	const uint64_t manifest_max = 1ULL << 32;
	expect_member("manifest.sqlite", manifest_max, manifest_max, true, "manifest.sqlite of 4 GiB");
	expect_member("manifest.sqlite", manifest_max + 1, manifest_max, false, "manifest.sqlite of 4 GiB + 1");
	expect_member("manifest.sqlite.minisig", BUNDLE_SIG_MAX, BUNDLE_SIG_MAX, true,
		      "manifest.sqlite.minisig of 16 KiB");
	expect_member("manifest.sqlite.minisig", BUNDLE_SIG_MAX + 1, BUNDLE_SIG_MAX, false,
		      "manifest.sqlite.minisig of 16 KiB + 1");
}

/* ---- the age header: at most 1 MiB ------------------------------------------------------- */

/* Writes into *out an age file for recipient pk whose header is exactly hlen bytes (an extra
 * "pad" stanza makes up the length), followed by the payload nonce. */
static void age_file_with_header(const char *recipient, size_t hlen, unsigned char **out, size_t *outlen)
{
	struct age_recipients *r;
	struct age_secrets *s;
	struct age_stanza *st;
	size_t nst;
	struct err e;
	assert_int_equal(age_recipients_new(&r, &e), 0);
	assert_int_equal(age_recipients_add(r, recipient, &e), 0);
	assert_non_null(s = age_secrets_new(&e));
	randombytes_buf(s->file_key, sizeof s->file_key);
	assert_int_equal(age_recipients_wrap(r, s, &st, &nst, &e), 0);
	st = realloc(st, (nst + 1) * sizeof *st);
	assert_non_null(st);
	/* The pad stanza: "-> pad ARG" with a body; the body's size comes close, ARG's length
	 * makes it exact. The MAC line is " " + 43 base64 characters + LF after "---". */
	const size_t mac_line = 1 + 43 + 1;
	size_t body = 0, arg = 1;
	unsigned char *hdr = NULL;
	size_t len = 0, cap = 0;
	for (int pass = 0; pass < 2; pass++) {
		struct age_stanza *pad = &st[nst];
		memset(pad, 0, sizeof *pad);
		char *block = malloc(4 + arg + 1);
		assert_non_null(block);
		memcpy(block, "pad", 4);
		memset(block + 4, 'x', arg);
		block[4 + arg] = '\0';
		pad->args = calloc(2, sizeof *pad->args);
		assert_non_null(pad->args);
		pad->args[0] = block;
		pad->args[1] = block + 4;
		pad->nargs = 2;
		pad->bodylen = body;
		pad->body = calloc(1, body ? body : 1);
		assert_non_null(pad->body);
		free(hdr);
		assert_int_equal(age_header_encode(st, nst + 1, &hdr, &len, &cap, &e), 0);
		if (pass == 0) {
			/* With no body: len + mac_line bytes. Each 48 bytes of body add a 64-column
			 * line and its LF (65 bytes); what is left goes into ARG. */
			size_t room = hlen - (len + mac_line);
			body = room / 65 * 48;
			arg = 1 + room % 65;
		}
		age_stanza_clear(pad);
	}
	assert_int_equal(len + mac_line, hlen);
	uint8_t mac[AGE_MAC_SIZE], mac_key[32];
	age_header_mac(mac, mac_key, s->file_key, hdr, len);
	len = age_header_put_mac(hdr, len, mac);
	assert_int_equal(len, hlen);
	*out = malloc(len + 16);
	assert_non_null(*out);
	memcpy(*out, hdr, len);
	randombytes_buf(*out + len, 16);
	*outlen = len + 16;
	free(hdr);
	for (size_t i = 0; i < nst; i++)
		age_stanza_clear(&st[i]);
	free(st);
	age_secrets_free(s);
	age_recipients_free(r);
}

static void test_age_header(void **state)
{
	(void)state;
	uint8_t sk[32], pk[32];
	char rec[AGE_RECIPIENT_LEN + 1], id[AGE_IDENTITY_LEN + 2];
	struct age_identities *ids;
	struct err e;
	age_x25519_keygen(sk, pk);
	age_recipient_encode(rec, pk);
	age_identity_encode(id, sk);
	strcat(id, "\n");
	assert_int_equal(age_identities_new(&ids, &e), 0);
	assert_int_equal(age_identities_add_file(ids, (const unsigned char *)id, strlen(id), "id", &e), 0);
	static const struct {
		size_t hlen;
		bool ok;
		const char *what;
	} cases[] = {
		{AGE_HEADER_MAX, true, "an age header of 1 MiB"},
		{AGE_HEADER_MAX + 1, false, "an age header of 1 MiB + 1"},
		{AGE_HEADER_MAX + 100, false, "an age header of 1 MiB + 100"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		unsigned char *file;
		size_t len;
		struct age_decryptor *dec = NULL;
		age_file_with_header(rec, cases[i].hlen, &file, &len);
		struct age_mem_reader src = {file, len, 0};
		int rc = age_decrypt_init(&dec, ids, age_mem_read, &src, &e);
		age_decrypt_free(dec);
		free(file);
		if (cases[i].ok)
			accepted(rc, &e, cases[i].what);
		else
			refused(rc, &e, ERR_FORMAT, "age header", cases[i].what);
	}
	age_identities_free(ids);
}

/* An identity file encrypted with a passphrase holds at most 256 KiB of identities. */
static int sink(void *ctx, const void *data, size_t n, struct err *e)
{
	(void)e;
	put(ctx, data, n);
	return 0;
}

static int give_pass(void *ctx, const char *prompt, char **pass, size_t *len, struct err *e)
{
	(void)ctx;
	(void)prompt;
	(void)e;
	*pass = sodium_malloc(3);
	memcpy(*pass, "pw", 3);
	*len = 2;
	return 0;
}

static void test_encrypted_identity_file(void **state)
{
	(void)state;
	uint8_t sk[32], pk[32];
	char id[AGE_IDENTITY_LEN + 1];
	age_x25519_keygen(sk, pk);
	age_identity_encode(id, sk);
	for (int over = 0; over <= 1; over++) {
		struct buf plain = {0}, file = {0};
		struct err e;
		size_t n = AGE_IDENTITY_FILE_MAX + (size_t)over;
		puts_(&plain, "# ");
		putrep(&plain, 'c', n - 2 - 1 - AGE_IDENTITY_LEN - 1);
		puts_(&plain, "\n");
		puts_(&plain, id);
		puts_(&plain, "\n");
		assert_int_equal(plain.n, n);
		struct age_recipients *r;
		struct age_encryptor *enc;
		assert_int_equal(age_recipients_new(&r, &e), 0);
		assert_int_equal(age_recipients_add_passphrase(r, "pw", 2, 10, &e), 0);
		assert_int_equal(age_encrypt_init(&enc, r, false, sink, &file, &e), 0);
		assert_int_equal(age_encrypt_update(enc, plain.p, plain.n, &e), 0);
		assert_int_equal(age_encrypt_final(enc, &e), 0);
		age_encrypt_free(enc);
		age_recipients_free(r);
		struct age_identities *ids;
		assert_int_equal(age_identities_new(&ids, &e), 0);
		age_identities_set_passphrase_fn(ids, give_pass, NULL);
		unsigned char *data = sodium_malloc(file.n);
		memcpy(data, file.p, file.n);
		int rc = age_identities_add_file(ids, data, file.n, "id.age", &e);
		sodium_free(data);
		age_identities_free(ids);
		if (over)
			refused(rc, &e, ERR_KEY, "id.age", "an encrypted identity file of 256 KiB + 1");
		else
			accepted(rc, &e, "an encrypted identity file of 256 KiB");
		free(plain.p);
		free(file.p);
	}
}

/* ---- Bech32 strings: at most 1,024 characters ------------------------------------------- */

static void test_bech32(void **state)
{
	(void)state;
	unsigned char data[620] = {0}, back[1024];
	char s[1100], hrp[64], longhrp[26];
	size_t n;
	/* 25 + 1 + 992 data characters + 6 checksum characters = 1,024. */
	memset(longhrp, 'a', 25);
	longhrp[25] = '\0';
	assert_int_equal(bech32_encode(s, sizeof s, longhrp, data, sizeof data, false), 0);
	assert_int_equal(strlen(s), BECH32_MAX_LEN);
	assert_int_equal(bech32_decode(hrp, sizeof hrp, back, sizeof back, &n, s, strlen(s)), 0);
	assert_int_equal(n, sizeof data);
	/* One character more (any): refused on its length alone. */
	memmove(s + 1, s, strlen(s) + 1);
	s[0] = 'a';
	assert_int_equal(strlen(s), BECH32_MAX_LEN + 1);
	assert_int_not_equal(bech32_decode(hrp, sizeof hrp, back, sizeof back, &n, s, strlen(s)), 0);
}

/* ---- the trust root ------------------------------------------------------------------------ */

/* A key line for key number i of kind k (0 root key, 1 signing key): distinct ids and keys,
 * in increasing key id order within a kind. */
static void root_key_line(struct buf *b, const char *field, unsigned k, unsigned i, const char *tail)
{
	struct minisign_pub pub;
	char id[17], b64[57];
	memset(&pub, 0, sizeof pub);
	pub.key_id[7] = (uint8_t)(0x10 + k);	/* the most significant byte: kinds apart */
	pub.key_id[1] = (uint8_t)(i >> 8);
	pub.key_id[0] = (uint8_t)i;
	pub.pk[0] = (uint8_t)k;
	pub.pk[1] = (uint8_t)(i >> 8);
	pub.pk[2] = (uint8_t)i;
	minisign_key_id_hex(pub.key_id, id);
	minisign_pub_base64(&pub, b64);
	putf(b, "%s: %s %s%s\n", field, id, b64, tail);
}

/* A root body with nkeys root keys, nsigners signing keys (the first nrevoked revoked),
 * then nsigs copies of one signature block (their count is what is checked, not their
 * validity), and a name of pad bytes. */
static void root_text(struct buf *b, unsigned version, unsigned nkeys, unsigned nsigners, unsigned nrevoked,
		      unsigned nsigs, size_t pad)
{
	putf(b, "format: amana-root/1\nroot-id: 00112233445566778899aabbccddeeff\nname: ");
	putrep(b, 'n', pad ? pad : 1);
	putf(b, "\nversion: %u\nexpires: 2099-01-01T00:00:00Z\nthreshold: 1\n", version);
	for (unsigned i = 0; i < nkeys; i++)
		root_key_line(b, "root-key", 0, i, "");
	for (unsigned i = 0; i < nsigners; i++)
		root_key_line(b, "signing-key", 1, i, " 2020-01-01T00:00:00Z 2099-01-01T00:00:00Z");
	for (unsigned i = 0; i < nrevoked; i++) {
		struct minisign_pub pub;
		char id[17];
		memset(&pub, 0, sizeof pub);
		pub.key_id[7] = 0x11;
		pub.key_id[1] = (uint8_t)(i >> 8);
		pub.key_id[0] = (uint8_t)i;
		minisign_key_id_hex(pub.key_id, id);
		putf(b, "revoked: %s 1 %s\n", id, HEX_ZERO32);
	}
	/* Signatures by distinct key ids (the parser refuses a key signing twice). */
	for (unsigned i = 0; i < nsigs; i++) {
		uint8_t raw[74];
		char b64[120];
		memset(raw, 0, sizeof raw);
		raw[0] = 'E';
		raw[1] = 'D';
		raw[2] = (uint8_t)i;
		raw[3] = 0x77;
		b64_encode(b64, sizeof b64, raw, sizeof raw, B64_PADDED);
		putf(b, "untrusted comment: amana root signature\n%s\ntrusted comment: amana-root/1 00112233445566778899aabbccddeeff %u\n", b64, version);
		uint8_t g[64];
		memset(g, 0, sizeof g);
		b64_encode(b64, sizeof b64, g, sizeof g, B64_PADDED);
		putf(b, "%s\n", b64);
	}
}

static void test_root(void **state)
{
	(void)state;
	struct buf b = {0};
	struct root r;
	struct root *chain;
	size_t n;
	struct err e;

	root_text(&b, 1, ROOT_KEYS_MAX, ROOT_SIGNERS_MAX, ROOT_REVOKED_MAX, ROOT_SIGS_MAX, 1);
	err_clear(&e);
	accepted(root_parse(b.p, b.n, &r, &e), &e, "root: 16 root keys, 64 signing keys, 64 revoked, 32 signatures");
	root_free(&r);

	b.n = 0;
	root_text(&b, 1, ROOT_KEYS_MAX + 1, 1, 0, 0, 1);
	err_clear(&e);
	refused(root_parse(b.p, b.n, &r, &e), &e, ERR_FORMAT, "root-key", "root: 17 root keys");
	root_free(&r);

	b.n = 0;
	root_text(&b, 1, 1, ROOT_SIGNERS_MAX + 1, 0, 0, 1);
	err_clear(&e);
	refused(root_parse(b.p, b.n, &r, &e), &e, ERR_FORMAT, "signing-key", "root: 65 signing keys");
	root_free(&r);

	b.n = 0;
	root_text(&b, 1, 1, ROOT_SIGNERS_MAX, ROOT_REVOKED_MAX + 1, 0, 1);
	err_clear(&e);
	refused(root_parse(b.p, b.n, &r, &e), &e, ERR_FORMAT, "revoked", "root: 65 revocations");
	root_free(&r);

	b.n = 0;
	root_text(&b, 1, 1, 1, 0, ROOT_SIGS_MAX + 1, 1);
	err_clear(&e);
	refused(root_parse(b.p, b.n, &r, &e), &e, ERR_FORMAT, "signatures", "root: 33 signatures");
	root_free(&r);

	/* One root of 64 KiB, and one byte more (the name grows; the name's own limit is
	 * lifted by counting bytes only, so the text limit is what refuses). */
	b.n = 0;
	root_text(&b, 1, 1, 1, 0, 0, 1);
	size_t base = b.n - 1;
	b.n = 0;
	root_text(&b, 1, 1, 1, 0, 0, ROOT_TEXT_MAX - base);
	assert_int_equal(b.n, ROOT_TEXT_MAX);
	err_clear(&e);
	int rc = root_parse(b.p, b.n, &r, &e);
	root_free(&r);
	/* At the text limit the name is far past its own (256 bytes): that is what refuses. */
	refused(rc, &e, ERR_FORMAT, "name", "root: a name past 256 bytes");
	put(&b, "x", 1);
	err_clear(&e);
	refused(root_parse(b.p, b.n, &r, &e), &e, ERR_FORMAT, "larger than", "root: a root past 64 KiB");
	root_free(&r);

	/* A chain of 1,000 versions parses; 1,001 is refused; more than 1 MiB is refused. */
	struct buf c = {0};
	for (unsigned v = 1; v <= ROOT_CHAIN_VERSIONS; v++) {
		b.n = 0;
		root_text(&b, v, 1, 1, 0, 0, 1);
		put(&c, b.p, b.n);
	}
	assert_true(c.n <= ROOT_CHAIN_MAX);
	err_clear(&e);
	accepted(root_chain_parse(c.p, c.n, &chain, &n, &e), &e, "root chain: 1,000 versions");
	assert_int_equal(n, ROOT_CHAIN_VERSIONS);
	root_chain_free(chain, n);
	b.n = 0;
	root_text(&b, ROOT_CHAIN_VERSIONS + 1, 1, 1, 0, 0, 1);
	put(&c, b.p, b.n);
	err_clear(&e);
	refused(root_chain_parse(c.p, c.n, &chain, &n, &e), &e, ERR_FORMAT, "versions", "root chain: 1,001 versions");
	root_chain_free(chain, n);
	putrep(&c, '\n', ROOT_CHAIN_MAX);
	err_clear(&e);
	refused(root_chain_parse(c.p, c.n, &chain, &n, &e), &e, ERR_FORMAT, "larger than", "root chain: past 1 MiB");
	root_chain_free(chain, n);
	free(b.p);
	free(c.p);
}

/* ---- the messages ---------------------------------------------------------------------- */

static void test_messages_say_what_is_too_big(void **state)
{
	(void)state;
	if (said.n)
		fail_msg("these refusals do not say that something is too big:\n%s", said.p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_outcome_records),
		cmocka_unit_test(test_outcome_attachments),
		cmocka_unit_test(test_log_proof),
		cmocka_unit_test_setup_teardown(test_log_full, make_dir, drop_dir),
		cmocka_unit_test(test_note),
		cmocka_unit_test(test_record_proof),
		cmocka_unit_test(test_envelope),
		cmocka_unit_test(test_tar_members),
		cmocka_unit_test(test_age_header),
		cmocka_unit_test(test_encrypted_identity_file),
		cmocka_unit_test(test_bech32),
		cmocka_unit_test(test_root),
		cmocka_unit_test(test_messages_say_what_is_too_big),
	};
	return cmocka_run_group_tests(tests, unit_setup, NULL);
}
