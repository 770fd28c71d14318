/*
 * test_addendum.c - the addendum of a readdressed bundle (vault/addendum.c), the envelope's
 * `readdress:` line (vault/envelope.c, format 2), and readdress_prepare end to end
 * (vault/readdress.c):
 *
 *  - addendum_encode -> addendum_parse round trips, Arabic names (diacritics, tatweel, mixed
 *    direction) and names with spaces;
 *  - addendum_parse refuses, as ERR_FORMAT naming the line where there is one, every
 *    malformed field, count, recipient list and byte (CR, controls, NUL, bad UTF-8, no LF);
 *  - addendum_matches refuses each field that differs from the envelope (ERR_VERIFY);
 *    addendum_lists;
 *  - a format 2 envelope with a readdress line round trips; first_sequence >= sequence and a
 *    readdress line in a format 1 envelope are refused;
 *  - a bundle sealed for the secretariat S and A, readdressed by S to A and B: B and A open it,
 *    C and S do not; payload.age's body is the same bytes and the body digest the same; the
 *    wrong identity (ERR_KEY) and the wrong signing key (ERR_VERIFY) are refused; a
 *    readdressed bundle readdressed again keeps its first seal.
 *
 * The end-to-end tests work in a private folder under $TMPDIR, which they point TMPDIR at.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/unit/unit.h"
#include "vault/addendum.h"
#include "vault/age.h"
#include "vault/bundle.h"
#include "vault/envelope.h"
#include "vault/io.h"
#include "vault/manifest.h"
#include "vault/minisign.h"
#include "vault/outcome.h"
#include "vault/readdress.h"
#include "vault/seal.h"
#include "vault/verify.h"

#define CREATED 1735689600 /* 2025-01-01T00:00:00Z */
#define NKEYS 4		   /* S (the secretariat), A, B, C */
enum { S, A, B, C };

static struct {
	char *top;
	char *tmp;
	struct minisign_sec *sk, *other;
	struct minisign_pub pub;
	char rcpt[NKEYS][AGE_RECIPIENT_LEN + 1];
	char ident[NKEYS][AGE_IDENTITY_LEN + 1];
	struct age_identities *ids[NKEYS];
	struct outcome o;
	char *first; /* the bundle sealed for S and A, sequence 1 */
	unsigned serial;
} fx;

static const char HEX32[] = "00112233445566778899aabbccddeeff";
static const char HEX128[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
			     "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";

/* ---- text helpers ------------------------------------------------------------------------ */

/* base with its first occurrence of from replaced by to (malloc'd); fails the test when from
 * is not in base. */
static char *replaced(const char *base, const char *from, const char *to)
{
	const char *at = strstr(base, from);
	if (!at)
		fail_msg("'%s' is not in the text", from);
	size_t bl = strlen(base), fl = strlen(from), tl = strlen(to);
	char *s = malloc(bl - fl + tl + 1);
	assert_non_null(s);
	memcpy(s, base, (size_t)(at - base));
	memcpy(s + (at - base), to, tl);
	memcpy(s + (at - base) + tl, at + fl, bl - (size_t)(at - base) - fl + 1);
	return s;
}

static char *concat(const char *a, const char *b)
{
	size_t al = strlen(a), bl = strlen(b);
	char *s = malloc(al + bl + 1);
	assert_non_null(s);
	memcpy(s, a, al);
	memcpy(s + al, b, bl + 1);
	return s;
}

static void env_fields(struct envelope *env, uint64_t seq, uint64_t body_size, uint64_t n)
{
	memset(env, 0, sizeof *env);
	env->format = 2;
	memcpy(env->bundle_id, HEX32, 33);
	env->sequence = seq;
	memcpy(env->payload_blake2b, HEX128, 129);
	env->payload_size = body_size;
	env->recipients = n;
}

/* The recipients of the round trip: names in Arabic with diacritics, tatweel, spaces, and
 * mixed with Latin text and digits. */
static struct manifest_recipient names[5];

static void set_names(void)
{
	static const char *const n[5] = {
		"الأمانة العامة لمجلس وزراء الداخلية العرب",
		"مُحَمَّد بْن عَبْد اللَّه",
		"مـــصـــر",
		"وزارة الداخلية (Ministry of Interior) 2025 – تونس",
		"Jean  Dupont ",
	};
	for (int i = 0; i < 5; i++) {
		names[i].name = n[i];
		names[i].recipient = fx.rcpt[i % NKEYS];
	}
}

/* A valid addendum for A and B (names with spaces). */
static char *valid_text(void)
{
	struct envelope env;
	struct manifest_recipient r[2] = {{"مصر العربية", fx.rcpt[A]}, {"تونس", fx.rcpt[B]}};
	env_fields(&env, 7, 43454, 2);
	char *t = addendum_encode(&env, r, 2);
	assert_non_null(t);
	return t;
}

/* addendum_parse of text[0..len) must fail with ERR_FORMAT and a message containing want. */
static void refused_n(const char *text, size_t len, const char *want, const char *what)
{
	struct addendum a;
	struct err e;
	err_clear(&e);
	int rc = addendum_parse(text, len, &a, &e);
	addendum_free(&a);
	if (rc == 0)
		fail_msg("%s: accepted", what);
	if (e.code != ERR_FORMAT)
		fail_msg("%s: refused with code %d (%s)", what, e.code, e.msg);
	if (want && !strstr(e.msg, want))
		fail_msg("%s: the message '%s' does not say '%s'", what, e.msg, want);
}

static void refused(const char *text, const char *want, const char *what)
{
	refused_n(text, strlen(text), want, what);
}

/* Replaces from by to in the valid text and expects a refusal naming want. */
static void refused_edit(const char *from, const char *to, const char *want, const char *what)
{
	char *base = valid_text();
	char *t = replaced(base, from, to);
	refused(t, want, what);
	free(t);
	free(base);
}

/* ---- addendum: round trip ---------------------------------------------------------------- */

static void test_addendum_round_trip(void **state)
{
	(void)state;
	struct envelope env;
	struct addendum a;
	struct err e;
	set_names();
	/* Four distinct recipients (the fifth would repeat S). */
	env_fields(&env, 123456789012345678ULL, 999999999999999999ULL, 4);
	char *t = addendum_encode(&env, names, 4);
	assert_non_null(t);
	if (addendum_parse(t, strlen(t), &a, &e) != 0)
		fail_msg("parse: %s", e.msg);
	assert_string_equal(a.bundle_id, HEX32);
	assert_true(a.sequence == 123456789012345678ULL);
	assert_string_equal(a.body_blake2b, HEX128);
	assert_true(a.body_size == 999999999999999999ULL);
	assert_int_equal(a.nrecipients, 4);
	for (size_t i = 0; i < 4; i++) {
		assert_string_equal(a.recipients[i].name, names[i].name);
		assert_string_equal(a.recipients[i].recipient, names[i].recipient);
	}
	assert_int_equal(addendum_matches(&a, &env, &e), 0);
	/* Encoding the parsed fields gives the same text back. */
	struct envelope env2;
	env_fields(&env2, a.sequence, a.body_size, a.nrecipients);
	char *t2 = addendum_encode(&env2, a.recipients, a.nrecipients);
	assert_non_null(t2);
	assert_string_equal(t, t2);
	free(t2);
	addendum_free(&a);
	free(t);

	/* The exact text, for one recipient. */
	struct manifest_recipient one = {"مـــصـــر العربية", fx.rcpt[B]};
	env_fields(&env, 1, 0, 1);
	t = addendum_encode(&env, &one, 1);
	assert_non_null(t);
	char want[1024];
	snprintf(want, sizeof want,
		 "format: amana-addendum/1\nbundle-id: %s\nsequence: 1\npayload-body: blake2b-512 %s 0\n"
		 "recipients: 1\nrecipient: %s مـــصـــر العربية\n",
		 HEX32, HEX128, fx.rcpt[B]);
	assert_string_equal(t, want);
	if (addendum_parse(t, strlen(t), &a, &e) != 0)
		fail_msg("parse: %s", e.msg);
	assert_int_equal(a.nrecipients, 1);
	assert_string_equal(a.recipients[0].name, "مـــصـــر العربية");
	assert_true(a.body_size == 0);
	addendum_free(&a);
	free(t);

	/* ADDENDUM_RECIPIENTS_MAX distinct recipients: the most a count may say. */
	struct manifest_recipient *many = calloc(ADDENDUM_RECIPIENTS_MAX, sizeof *many);
	char (*keys)[AGE_RECIPIENT_LEN + 1] = calloc(ADDENDUM_RECIPIENTS_MAX, sizeof *keys);
	assert_non_null(many);
	assert_non_null(keys);
	for (size_t i = 0; i < ADDENDUM_RECIPIENTS_MAX; i++) {
		uint8_t sk[32], pk[32];
		age_x25519_keygen(sk, pk);
		age_recipient_encode(keys[i], pk);
		many[i].recipient = keys[i];
		many[i].name = "عضو اللجنة";
	}
	env_fields(&env, 2, 10, ADDENDUM_RECIPIENTS_MAX);
	t = addendum_encode(&env, many, ADDENDUM_RECIPIENTS_MAX);
	assert_non_null(t);
	if (addendum_parse(t, strlen(t), &a, &e) != 0)
		fail_msg("parse of %d recipients: %s", ADDENDUM_RECIPIENTS_MAX, e.msg);
	assert_int_equal(a.nrecipients, ADDENDUM_RECIPIENTS_MAX);
	assert_true(addendum_lists(&a, keys[ADDENDUM_RECIPIENTS_MAX - 1]));
	addendum_free(&a);
	free(t);
	free(many);
	free(keys);
}

/* ---- addendum: refusals ------------------------------------------------------------------ */

static void test_addendum_refusals(void **state)
{
	(void)state;
	char buf[2048];
	char *base = valid_text();
	struct addendum a;
	struct err e;
	assert_int_equal(addendum_parse(base, strlen(base), &a, &e), 0);
	addendum_free(&a);

	/* Fields. */
	refused_edit("amana-addendum/1", "amana-addendum/2", "line 1", "wrong format");
	refused_edit("format: ", "Format: ", "line 1", "the format key capitalised");
	refused_edit("format: amana", "format:  amana", "line 1", "two spaces after the key");
	refused_edit(HEX32, "00112233445566778899AABBCCDDEEFF", "line 2", "bundle-id upper case");
	refused_edit(HEX32, "00112233445566778899aabbccddeef", "line 2", "bundle-id too short");
	refused_edit(HEX32, "00112233445566778899aabbccddeeff0", "line 2", "bundle-id too long");
	refused_edit(HEX32, "00112233445566778899aabbccddeefg", "line 2", "bundle-id not hex");
	refused_edit("sequence: 7\n", "sequence: 0\n", "line 3", "sequence 0");
	refused_edit("sequence: 7\n", "sequence: 07\n", "line 3", "sequence with a leading zero");
	refused_edit("sequence: 7\n", "sequence: 7 \n", "line 3", "sequence with a trailing space");
	refused_edit("sequence: 7\n", "sequence: -7\n", "line 3", "negative sequence");
	refused_edit("sequence: 7\n", "sequence: 1234567890123456789\n", "line 3", "19-digit sequence");
	refused_edit("sequence: 7\n", "sequence: \n", "line 3", "empty sequence");
	refused_edit("blake2b-512 ", "blake2b-256 ", "line 4", "payload-body not blake2b-512");
	refused_edit(HEX128, "0123456789ABCDEF", "line 4", "payload-body digest short");
	snprintf(buf, sizeof buf, "%.127sA", HEX128);
	refused_edit(HEX128, buf, "line 4", "payload-body digest upper case");
	snprintf(buf, sizeof buf, "%sa", HEX128);
	refused_edit(HEX128, buf, "line 4", "payload-body digest too long");
	refused_edit(" 43454\n", " 043454\n", "line 4", "payload-body size with a leading zero");
	refused_edit(" 43454\n", "\n", "line 4", "payload-body without a size");
	refused_edit(" 43454\n", " \n", "line 4", "payload-body with an empty size");
	refused_edit(" 43454\n", " 43454 1\n", "line 4", "payload-body with more after the size");
	refused_edit("recipients: 2\n", "recipients: 0\n", "line 5", "count 0");
	refused_edit("recipients: 2\n", "recipients: 02\n", "line 5", "count with a leading zero");
	snprintf(buf, sizeof buf, "recipients: %d\n", ADDENDUM_RECIPIENTS_MAX + 1);
	refused_edit("recipients: 2\n", buf, "line 5", "count above ADDENDUM_RECIPIENTS_MAX");
	refused_edit("recipients: 2\n", "recipients: 99999999999999999\n", "line 5", "a huge count");
	refused_edit("recipients: 2\n", "recipients: 3\n", "2 recipients, not the 3", "fewer recipient lines than counted");
	refused_edit("recipients: 2\n", "recipients: 1\n", "line 7", "more recipient lines than counted");
	refused_edit("recipient: ", "recipient:", "line 6", "no space after 'recipient:'");
	refused_edit("recipient: ", "recipients: ", "line 6", "recipients: instead of recipient:");

	/* Lines missing, swapped. */
	refused_edit("sequence: 7\n", "", "line 3", "no sequence line");
	char *t;
	snprintf(buf, sizeof buf, "format: amana-addendum/1\nsequence: 7\nbundle-id: %s\n", HEX32);
	refused(buf, "line 2", "bundle-id and sequence swapped");
	snprintf(buf, sizeof buf, "format: amana-addendum/1\nbundle-id: %s\nsequence: 7\npayload-body: blake2b-512 %s 1\n",
		 HEX32, HEX128);
	refused(buf, "0 recipients, not the 0", "ends before the count");
	snprintf(buf, sizeof buf, "format: amana-addendum/1\nbundle-id: %s\nsequence: 7\npayload-body: blake2b-512 %s 1\nrecipients: 1\n",
		 HEX32, HEX128);
	refused(buf, "0 recipients, not the 1", "no recipient line at all");
	refused("", "line feed", "empty");
	refused("\n", "line 1", "one empty line");

	/* Recipient lines. */
	char line[512];
	snprintf(line, sizeof line, "recipient: %s تونس\n", fx.rcpt[B]);
	char *dup = replaced(base, line, "");
	snprintf(line, sizeof line, "recipient: %s تونس\n", fx.rcpt[A]);
	char *dup2 = concat(dup, line);
	refused(dup2, "line 7", "a duplicate recipient (another name)");
	free(dup);
	free(dup2);
	{
		/* A recipient whose bech32 checksum is broken (last character changed). */
		char broken[AGE_RECIPIENT_LEN + 1];
		memcpy(broken, fx.rcpt[B], sizeof broken);
		broken[AGE_RECIPIENT_LEN - 1] = broken[AGE_RECIPIENT_LEN - 1] == 'q' ? 'p' : 'q';
		refused_edit(fx.rcpt[B], broken, "line 7", "a bad age1 checksum");
		char shortr[AGE_RECIPIENT_LEN];
		memcpy(shortr, fx.rcpt[B], AGE_RECIPIENT_LEN - 1);
		shortr[AGE_RECIPIENT_LEN - 1] = '\0';
		refused_edit(fx.rcpt[B], shortr, "line 7", "a truncated age1");
		refused_edit(fx.rcpt[B], "age1notarecipient", "line 7", "not an age1 string");
		char ssh[128];
		snprintf(ssh, sizeof ssh, "ssh-ed25519 %.50s", fx.rcpt[B] + 4);
		refused_edit(fx.rcpt[B], ssh, "line 7", "an ssh key");
	}
	snprintf(line, sizeof line, "%s تونس\n", fx.rcpt[B]);
	snprintf(buf, sizeof buf, "%s\n", fx.rcpt[B]);
	refused_edit(line, buf, "line 7", "a missing name (no space)");
	snprintf(buf, sizeof buf, "%s \n", fx.rcpt[B]);
	refused_edit(line, buf, "line 7", "a missing name (empty after the space)");
	snprintf(buf, sizeof buf, "recipient:  %s تونس\n", fx.rcpt[B]);
	snprintf(line, sizeof line, "recipient: %s تونس\n", fx.rcpt[B]);
	refused_edit(line, buf, "line 7", "two spaces before the recipient");
	snprintf(buf, sizeof buf, "recipient: تونس %s\n", fx.rcpt[B]);
	refused_edit(line, buf, "line 7", "name before the recipient");

	/* Bytes. */
	refused_edit("تونس\n", "تونس\r\n", "line 7", "CR before the last LF");
	refused_edit("sequence: 7\n", "sequence: 7\r\n", "line 3", "CR on the sequence line");
	refused_edit("تونس", "تو\tنس", "line 7", "a tab in a name");
	refused_edit("مصر العربية", "مصر\x1bالعربية", "line 6", "ESC in a name");
	refused_edit("مصر العربية", "مصر\x7fالعربية", "line 6", "DEL in a name");
	refused_edit("مصر العربية", "مصر\xc2\x85العربية", "line 6", "C1 NEL in a name");
	{
		size_t n = strlen(base);
		refused_n(base, n - 1, "line feed", "no final LF");
		char *nul = malloc(n + 1);
		assert_non_null(nul);
		memcpy(nul, base, n + 1);
		char *at = strstr(nul, "تونس");
		at[2] = '\0'; /* a NUL between the name's letters */
		refused_n(nul, n, "UTF-8", "a NUL in a name");
		memcpy(nul, base, n + 1);
		nul[n - 1] = '\0'; /* a NUL for the final LF */
		refused_n(nul, n, NULL, "a NUL for the final LF");
		free(nul);
	}
	refused_edit("تونس", "\xd8", "UTF-8", "a truncated UTF-8 sequence");
	refused_edit("تونس", "\xc0\xaf", "UTF-8", "an overlong UTF-8 form");
	refused_edit("تونس", "\xed\xa0\x80", "UTF-8", "a UTF-16 surrogate");
	refused_edit("تونس", "\xf4\x90\x80\x80", "UTF-8", "beyond U+10FFFF");
	refused_edit("تونس", "\xff", "UTF-8", "an 0xff byte");
	{
		/* Larger than ADDENDUM_MAX. */
		char *big = malloc(ADDENDUM_MAX + 2);
		assert_non_null(big);
		memset(big, 'a', ADDENDUM_MAX + 1);
		big[ADDENDUM_MAX] = '\n';
		refused_n(big, ADDENDUM_MAX + 1, "larger", "larger than ADDENDUM_MAX");
		free(big);
	}
	/* A trailing empty line, a line after the recipients. */
	t = concat(base, "\n");
	refused(t, "line 8", "an empty line at the end");
	free(t);
	t = concat(base, "extra: 1\n");
	refused(t, "line 8", "an extra line");
	free(t);
	free(base);
}

/* ---- addendum: matches and lists --------------------------------------------------------- */

static void test_addendum_matches_and_lists(void **state)
{
	(void)state;
	char *t = valid_text();
	struct addendum a;
	struct envelope env;
	struct err e;
	assert_int_equal(addendum_parse(t, strlen(t), &a, &e), 0);
	env_fields(&env, 7, 43454, 2);
	assert_int_equal(addendum_matches(&a, &env, &e), 0);

	static const struct {
		const char *field;
		int which;
	} cases[] = {{"bundle id", 0}, {"sequence", 1}, {"payload body", 2}, {"payload body", 3},
		     {"count of recipients", 4}, {"count of recipients", 5}};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		env_fields(&env, 7, 43454, 2);
		switch (cases[i].which) {
		case 0: env.bundle_id[31] = '0'; break;
		case 1: env.sequence = 6; break;
		case 2: env.payload_blake2b[0] = 'f'; break;
		case 3: env.payload_size = 43455; break;
		case 4: env.recipients = 3; break;
		case 5: env.recipients = 1; break;
		}
		err_clear(&e);
		if (addendum_matches(&a, &env, &e) == 0)
			fail_msg("case %zu (%s): matched", i, cases[i].field);
		assert_int_equal(e.code, ERR_VERIFY);
		if (!strstr(e.msg, cases[i].field))
			fail_msg("case %zu: '%s' does not name '%s'", i, e.msg, cases[i].field);
	}

	assert_true(addendum_lists(&a, fx.rcpt[A]));
	assert_true(addendum_lists(&a, fx.rcpt[B]));
	assert_false(addendum_lists(&a, fx.rcpt[C]));
	assert_false(addendum_lists(&a, fx.rcpt[S]));
	assert_false(addendum_lists(&a, ""));
	char prefix[AGE_RECIPIENT_LEN];
	memcpy(prefix, fx.rcpt[A], AGE_RECIPIENT_LEN - 1);
	prefix[AGE_RECIPIENT_LEN - 1] = '\0';
	assert_false(addendum_lists(&a, prefix));
	assert_false(addendum_lists(&a, "مصر العربية"));
	addendum_free(&a);
	free(t);
}

/* ---- envelope: the readdress line -------------------------------------------------------- */

static void env_full(struct envelope *env)
{
	memset(env, 0, sizeof *env);
	env->format = 2;
	memcpy(env->bundle_id, HEX32, 33);
	memcpy(env->issuer, "60EF6C29362A760C", 17);
	env->issuer_name = (char *)"الأمانة العامة";
	env->conference = (char *)"المؤتمر السابع";
	env->title = (char *)"القرارات";
	memcpy(env->created, "2025-02-01T10:00:00Z", 21);
	env->sequence = 5;
	env->recipients = 3;
	env->has_readdress = true;
	env->first_sequence = 2;
	memcpy(env->first_created, "2025-01-01T00:00:00Z", 21);
	memcpy(env->addendum_blake2b, HEX128, 129);
	env->addendum_size = 777;
	env->records_count = 3;
	memcpy(env->records_root, HEX128, 64);
	env->records_root[64] = '\0';
	memcpy(env->header_blake2b, HEX128, 129);
	env->header_size = 266;
	memcpy(env->payload_blake2b, HEX128, 129);
	env->payload_size = 43454;
}

static void env_refused(const char *text, const char *want, const char *what)
{
	struct envelope env;
	struct err e;
	err_clear(&e);
	int rc = envelope_parse(text, strlen(text), &env, &e);
	envelope_free(&env);
	if (rc == 0)
		fail_msg("%s: accepted", what);
	if (e.code != ERR_FORMAT)
		fail_msg("%s: code %d (%s)", what, e.code, e.msg);
	if (want && !strstr(e.msg, want))
		fail_msg("%s: the message '%s' does not say '%s'", what, e.msg, want);
}

static void test_envelope_readdress(void **state)
{
	(void)state;
	struct envelope in, out;
	struct err e;
	env_full(&in);
	char *t = envelope_encode(&in);
	assert_non_null(t);
	char want[160];
	snprintf(want, sizeof want, "\nrecipients: 3\nreaddress: 2 2025-01-01T00:00:00Z blake2b-512 %.64s", HEX128);
	if (!strstr(t, want))
		fail_msg("no readdress line after recipients in:\n%s", t);
	if (envelope_parse(t, strlen(t), &out, &e) != 0)
		fail_msg("parse: %s", e.msg);
	assert_int_equal(out.format, 2);
	assert_true(out.has_readdress);
	assert_true(out.first_sequence == 2);
	assert_string_equal(out.first_created, "2025-01-01T00:00:00Z");
	assert_string_equal(out.addendum_blake2b, HEX128);
	assert_true(out.addendum_size == 777);
	assert_true(out.sequence == 5);
	assert_string_equal(out.created, "2025-02-01T10:00:00Z");
	char *t2 = envelope_encode(&out);
	assert_non_null(t2);
	assert_string_equal(t, t2);
	free(t2);
	envelope_free(&out);

	/* With a root line too. */
	in.has_root = true;
	memcpy(in.root_id, HEX32, 33);
	in.root_version = 3;
	memcpy(in.root_digest, HEX128, 129);
	char *tr = envelope_encode(&in);
	assert_non_null(tr);
	if (envelope_parse(tr, strlen(tr), &out, &e) != 0)
		fail_msg("parse with root: %s", e.msg);
	assert_true(out.has_root && out.has_readdress);
	t2 = envelope_encode(&out);
	assert_string_equal(tr, t2);
	free(t2);
	free(tr);
	envelope_free(&out);
	in.has_root = false;

	/* Without the line: no readdress. */
	in.has_readdress = false;
	char *plain = envelope_encode(&in);
	assert_non_null(plain);
	assert_null(strstr(plain, "readdress"));
	assert_int_equal(envelope_parse(plain, strlen(plain), &out, &e), 0);
	assert_false(out.has_readdress);
	envelope_free(&out);
	in.has_readdress = true;

	/* first_sequence >= sequence. */
	char *bad = replaced(t, "readdress: 2 ", "readdress: 5 ");
	env_refused(bad, "first sequence", "first_sequence == sequence");
	free(bad);
	bad = replaced(t, "readdress: 2 ", "readdress: 6 ");
	env_refused(bad, "first sequence", "first_sequence > sequence");
	free(bad);
	bad = replaced(t, "sequence: 5\n", "sequence: 1\n");
	env_refused(bad, "first sequence", "sequence below first_sequence");
	free(bad);
	bad = replaced(t, "readdress: 2 ", "readdress: 4 ");
	assert_int_equal(envelope_parse(bad, strlen(bad), &out, &e), 0);
	envelope_free(&out);
	free(bad);

	/* The line's own fields. */
	bad = replaced(t, "readdress: 2 ", "readdress: 0 ");
	env_refused(bad, "line 10", "first_sequence 0");
	free(bad);
	bad = replaced(t, "readdress: 2 ", "readdress: 02 ");
	env_refused(bad, "line 10", "first_sequence with a leading zero");
	free(bad);
	bad = replaced(t, "2025-01-01T00:00:00Z", "2025-01-01 00:00:00Z");
	env_refused(bad, "line 10", "a bad first time");
	free(bad);
	bad = replaced(t, "2025-01-01T00:00:00Z", "2025-13-01T00:00:00Z");
	env_refused(bad, "line 10", "month 13");
	free(bad);
	bad = replaced(t, " 777\n", " 0\n");
	env_refused(bad, "line 10", "addendum size 0");
	free(bad);
	bad = replaced(t, " 777\n", " 0777\n");
	env_refused(bad, "line 10", "addendum size with a leading zero");
	free(bad);
	bad = replaced(t, " 777\n", "\n");
	env_refused(bad, "line 10", "no addendum size");
	free(bad);
	bad = replaced(t, "readdress: 2 2025", "readdress: 2  2025");
	env_refused(bad, "line 10", "two spaces");
	free(bad);
	bad = replaced(t, "readdress: 2 2025-01-01T00:00:00Z blake2b-512", "readdress: 2 2025-01-01T00:00:00Z blake2b-256");
	env_refused(bad, "line 10", "blake2b-256");
	free(bad);
	bad = replaced(t, " 777\n", " 777\r\n");
	env_refused(bad, "line 10", "CR at its end");
	free(bad);
	/* Out of place: after records. */
	{
		const char *rl = strstr(t, "readdress: ");
		const char *rend = strchr(rl, '\n') + 1;
		char line[512];
		snprintf(line, sizeof line, "%.*s", (int)(rend - rl), rl);
		char *without = replaced(t, line, "");
		const char *rec = strstr(without, "records: ");
		const char *recend = strchr(rec, '\n') + 1;
		char recline[256];
		snprintf(recline, sizeof recline, "%.*s", (int)(recend - rec), rec);
		char both[1100];
		snprintf(both, sizeof both, "%s%s", recline, line);
		char *moved = replaced(without, recline, both);
		env_refused(moved, "expected 'payload-header: '", "the readdress line after records");
		free(moved);
		/* Twice. */
		snprintf(both, sizeof both, "%s%s", line, line);
		char *twice = replaced(t, line, both);
		env_refused(twice, "expected 'records: '", "the readdress line twice");
		free(twice);

		/* In a format 1 envelope. */
		in.has_readdress = false;
		in.format = 1;
		char *v1 = envelope_encode(&in);
		assert_non_null(v1);
		assert_int_equal(envelope_parse(v1, strlen(v1), &out, &e), 0);
		envelope_free(&out);
		snprintf(both, sizeof both, "recipients: 3\n%s", line);
		char *v1r = replaced(v1, "recipients: 3\n", both);
		env_refused(v1r, "line 10: expected 'records: '", "a readdress line in format 1");
		free(v1r);
		/* Format 1 encodes no readdress line even when asked. */
		in.has_readdress = true;
		char *v1e = envelope_encode(&in);
		assert_null(strstr(v1e, "readdress"));
		free(v1e);
		free(v1);
		free(without);
	}
	free(plain);
	free(t);
}

/* ---- readdress end to end ---------------------------------------------------------------- */

static void write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		fail_msg("cannot create %s: %s", path, strerror(errno));
	struct err e;
	assert_int_equal(io_write_all(fd, data, len, &e), 0);
	assert_int_equal(close(fd), 0);
}

static char *fresh(const char *what)
{
	char name[64];
	snprintf(name, sizeof name, "%s-%u.amana", what, fx.serial++);
	char *p = io_join(fx.top, name);
	assert_non_null(p);
	return p;
}

static bool exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

static int issuer_lookup(void *ctx, const uint8_t key_id[8], struct verify_report *r, struct err *e)
{
	(void)ctx;
	(void)e;
	if (memcmp(key_id, fx.pub.key_id, 8) != 0)
		return 0;
	memcpy(r->trust.pk, fx.pub.pk, 32);
	r->trust.name = strdup("test issuer");
	return r->trust.name ? 1 : -1;
}

/* verify_bundle (no log check) as identity who; out_dir may be NULL. *recipient gets the
 * recipient reported (malloc'd) when not NULL. */
static int run_verify(const char *bundle, int who, const char *out_dir, char **recipient, struct err *e)
{
	struct verify_input in = {
		.bundle = bundle,
		.ids = fx.ids[who],
		.out_dir = out_dir,
		.issuer = issuer_lookup,
	};
	struct verify_report r;
	err_clear(e);
	int rc = verify_bundle(&in, &r, e);
	if (recipient)
		*recipient = r.recipient ? strdup(r.recipient) : NULL;
	verify_report_free(&r);
	return rc;
}

static const char *small_outcome =
	"{\"conference\":{\"series\":\"المؤتمر العربي للاختبار\",\"number\":7,"
	"\"title\":\"المؤتمر السابع للاختبار\",\"venue\":\"تونس\",\"held_from\":\"2025-01-01\","
	"\"held_to\":\"2025-01-02\",\"organizer\":\"الأمانة العامة\"},"
	"\"participants\":[{\"name\":\"جامعة الدول العربية\",\"kind\":\"organization\"}],"
	"\"records\":["
	"{\"kind\":\"recommendation\",\"lang\":\"ar\",\"title\":\"التوصية الأولى\","
	"\"body\":\"تعزيز التعاون الأمني العربي\\nمع تشكيل: مُكافَحَة، وتطويل: مـــكافحة\"},"
	"{\"kind\":\"decision\",\"lang\":\"ar\",\"title\":\"قرار\",\"body\":\"يعقد المؤتمر القادم في تونس\"}],"
	"\"attachments\":["
	"{\"path\":\"a.txt\",\"caption\":\"first\",\"record\":1},"
	"{\"path\":\"صورة الأرشيف.bin\",\"caption\":\"صورة\",\"record\":2}]}";

static const struct manifest_recipient recipients_sa[2] = {
	{"الأمانة العامة", fx.rcpt[S]},
	{"تونس", fx.rcpt[A]},
};

static void seal_first(const char *out)
{
	struct seal_input in = {
		.outcome = &fx.o,
		.sk = fx.sk,
		.issuer_name = "الأمانة العامة",
		.recipients = recipients_sa,
		.nrecipients = 2,
		.sequence = 1,
		.created = CREATED,
		.out_path = out,
	};
	memset(in.bundle_id, 0x5a, sizeof in.bundle_id);
	randombytes_buf(in.salt_seed, sizeof in.salt_seed);
	struct sealed s;
	struct err e;
	if (seal_prepare(&in, &s, &e) != 0 || seal_write(&s, NULL, 0, NULL, 0, &e) != 0 ||
	    seal_commit(&s, &e) != 0) {
		sealed_free(&s);
		fail_msg("seal: %s", e.msg);
	}
	sealed_free(&s);
}

static int group_setup(void **state)
{
	(void)state;
	struct err e;
	if (sodium_init() < 0)
		return -1;
	if (!setlocale(LC_CTYPE, "C.UTF-8") && !setlocale(LC_CTYPE, "C.utf8"))
		setlocale(LC_CTYPE, "");
	const char *td = getenv("TMPDIR");
	char *tmpl = io_join(td && *td ? td : "/tmp", "amana-test-addendum.XXXXXX");
	if (!tmpl || !mkdtemp(tmpl))
		return -1;
	fx.top = tmpl;
	fx.tmp = io_join(fx.top, "tmp");
	if (!fx.tmp || mkdir(fx.tmp, 0700) != 0 || setenv("TMPDIR", fx.tmp, 1) != 0)
		return -1;
	if (minisign_keygen(&fx.sk, &e) != 0 || minisign_keygen(&fx.other, &e) != 0)
		return -1;
	minisign_sec_public(fx.sk, &fx.pub);
	for (int i = 0; i < NKEYS; i++) {
		uint8_t sk[32], pk[32];
		age_x25519_keygen(sk, pk);
		age_recipient_encode(fx.rcpt[i], pk);
		age_identity_encode(fx.ident[i], sk);
		sodium_memzero(sk, sizeof sk);
		if (age_identities_new(&fx.ids[i], &e) != 0 ||
		    age_identities_add(fx.ids[i], fx.ident[i], strlen(fx.ident[i]), &e) != 0)
			return -1;
	}
	char *in = io_join(fx.top, "in");
	if (!in || mkdir(in, 0700) != 0)
		return -1;
	char *p = io_join(in, "outcome.json");
	write_file(p, small_outcome, strlen(small_outcome));
	free(p);
	p = io_join(in, "a.txt");
	write_file(p, "the first attachment\n", 21);
	free(p);
	/* Two age chunks and a bit, so that the body has several chunks. */
	size_t big_n = 140000;
	unsigned char *big = malloc(big_n);
	if (!big)
		return -1;
	static const unsigned char seed[randombytes_SEEDBYTES] = {7};
	randombytes_buf_deterministic(big, big_n, seed);
	p = io_join(in, "صورة الأرشيف.bin");
	write_file(p, big, big_n);
	free(p);
	free(big);
	p = io_join(in, "outcome.json");
	int rc = outcome_load(p, &fx.o, &e);
	free(p);
	free(in);
	if (rc != 0) {
		fprintf(stderr, "outcome: %s\n", e.msg);
		return -1;
	}
	fx.first = io_join(fx.top, "first.amana");
	seal_first(fx.first);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	if (fx.top)
		io_rmtree(fx.top);
	for (int i = 0; i < NKEYS; i++)
		age_identities_free(fx.ids[i]);
	minisign_sec_free(fx.sk);
	minisign_sec_free(fx.other);
	outcome_free(&fx.o);
	free(fx.first);
	free(fx.tmp);
	free(fx.top);
	return 0;
}

/* readdress_prepare of bundle with identity who to r[0..n), then seal_write (no log members)
 * and seal_commit into out. Returns readdress_prepare's result (e set on failure). */
static int readdress_to(const char *bundle, int who, const struct minisign_sec *sk,
			const struct manifest_recipient *r, size_t n, uint64_t seq, int64_t created,
			const char *out, struct err *e)
{
	struct readdress_input in = {
		.bundle = bundle,
		.ids = fx.ids[who],
		.recipients = r,
		.nrecipients = n,
		.sk = sk,
		.sequence = seq,
		.created = created,
		.out_path = out,
	};
	struct sealed s;
	err_clear(e);
	if (readdress_prepare(&in, &s, e) != 0) {
		sealed_free(&s);
		return -1;
	}
	if (seal_write(&s, NULL, 0, NULL, 0, e) != 0 || seal_commit(&s, e) != 0) {
		sealed_free(&s);
		fail_msg("readdress: seal_write/commit: %s", e->msg);
	}
	sealed_free(&s);
	return 0;
}

/* payload.age of a bundle (via libarchive), malloc'd. */
static unsigned char *payload_of(const char *bundle, size_t *len)
{
	struct archive *a = archive_read_new();
	struct archive_entry *en;
	unsigned char *out = NULL;
	assert_non_null(a);
	archive_read_support_format_tar(a);
	assert_int_equal(archive_read_open_filename(a, bundle, 65536), ARCHIVE_OK);
	while (archive_read_next_header(a, &en) == ARCHIVE_OK) {
		if (strcmp(archive_entry_pathname(en), "payload.age") != 0)
			continue;
		size_t n = (size_t)archive_entry_size(en);
		out = malloc(n ? n : 1);
		assert_non_null(out);
		size_t got = 0;
		while (got < n) {
			la_ssize_t k = archive_read_data(a, out + got, n - got);
			assert_true(k > 0);
			got += (size_t)k;
		}
		*len = n;
		break;
	}
	archive_read_free(a);
	if (!out)
		fail_msg("%s has no payload.age", bundle);
	return out;
}

static void peek(const char *bundle, struct envelope *env)
{
	char *text;
	size_t len;
	struct err e;
	if (readdress_peek(bundle, env, &text, &len, &e) != 0)
		fail_msg("peek %s: %s", bundle, e.msg);
	assert_int_equal(len, strlen(text));
	free(text);
}

static void expect_opens(const char *bundle, int who, const char *what)
{
	struct err e;
	char *rcpt = NULL;
	if (run_verify(bundle, who, NULL, &rcpt, &e) != 0)
		fail_msg("%s: refused (%d): %s", what, e.code, e.msg);
	if (!rcpt || strcmp(rcpt, fx.rcpt[who]) != 0)
		fail_msg("%s: reports recipient %s", what, rcpt ? rcpt : "(none)");
	free(rcpt);
}

static void expect_key_refused(const char *bundle, int who, const char *what)
{
	struct err e;
	if (run_verify(bundle, who, NULL, NULL, &e) == 0)
		fail_msg("%s: accepted", what);
	if (e.code != ERR_KEY)
		fail_msg("%s: refused with code %d (%s), not ERR_KEY", what, e.code, e.msg);
}

static void test_readdress_end_to_end(void **state)
{
	(void)state;
	struct err e;
	/* The first seal opens for S and A, not B. */
	expect_opens(fx.first, S, "first, as S");
	expect_opens(fx.first, A, "first, as A");
	expect_key_refused(fx.first, B, "first, as B");

	struct manifest_recipient to[2] = {{"مصر", fx.rcpt[A]}, {"مُحَمَّد  الـــسيد (Cairo)", fx.rcpt[B]}};
	char *out = fresh("readdressed");
	if (readdress_to(fx.first, S, fx.sk, to, 2, 2, CREATED + 86400, out, &e) != 0)
		fail_msg("readdress_prepare: %s", e.msg);

	expect_opens(out, B, "readdressed, as B");
	expect_opens(out, A, "readdressed, as A");
	expect_key_refused(out, C, "readdressed, as C");
	expect_key_refused(out, S, "readdressed, as S (not in the new addressing)");

	/* B opens it into a folder too. */
	{
		char *dir = fresh("opened-b");
		char *rcpt = NULL;
		if (run_verify(out, B, dir, &rcpt, &e) != 0)
			fail_msg("open as B: %s", e.msg);
		free(rcpt);
		char *f = io_join(dir, "files/a.txt");
		size_t n;
		unsigned char *got = unit_slurp(f, &n);
		assert_int_equal(n, 21);
		assert_memory_equal(got, "the first attachment\n", 21);
		free(got);
		free(f);
		free(dir);
	}

	/* The envelopes: same bundle, body digest and size; the first seal named. */
	struct envelope e1, e2;
	peek(fx.first, &e1);
	peek(out, &e2);
	/* A format 3 bundle stays format 3 when readdressed: its inner tar is the same. */
	assert_int_equal(e1.format, 3);
	assert_int_equal(e2.format, 3);
	assert_false(e1.has_readdress);
	assert_true(e2.has_readdress);
	assert_string_equal(e1.bundle_id, e2.bundle_id);
	assert_string_equal(e1.payload_blake2b, e2.payload_blake2b);
	assert_true(e1.payload_size == e2.payload_size);
	assert_true(e2.sequence == 2);
	assert_true(e2.first_sequence == 1);
	assert_string_equal(e2.first_created, e1.created);
	assert_string_equal(e2.created, "2025-01-02T00:00:00Z");
	assert_true(e2.recipients == 2);
	assert_string_equal(e2.records_root, e1.records_root);
	assert_true(e2.records_count == e1.records_count);
	assert_string_not_equal(e1.header_blake2b, e2.header_blake2b);

	/* payload.age: the same body bytes after each header. */
	size_t l1, l2;
	unsigned char *p1 = payload_of(fx.first, &l1), *p2 = payload_of(out, &l2);
	assert_true(l1 == e1.header_size + e1.payload_size);
	assert_true(l2 == e2.header_size + e2.payload_size);
	assert_int_equal(l1 - e1.header_size, l2 - e2.header_size);
	assert_memory_equal(p1 + e1.header_size, p2 + e2.header_size, l1 - e1.header_size);
	/* The new header's digest is what the envelope says. */
	{
		uint8_t d[64];
		char hex[129];
		crypto_generichash(d, 64, p2, e2.header_size, NULL, 0);
		sodium_bin2hex(hex, sizeof hex, d, 64);
		assert_string_equal(hex, e2.header_blake2b);
		crypto_generichash(d, 64, p2 + e2.header_size, e2.payload_size, NULL, 0);
		sodium_bin2hex(hex, sizeof hex, d, 64);
		assert_string_equal(hex, e2.payload_blake2b);
	}
	free(p1);
	free(p2);
	envelope_free(&e1);

	/* Readdressed again (S and B, then by S to C): the first seal stays the first. */
	struct manifest_recipient to_sb[2] = {{"الأمانة", fx.rcpt[S]}, {"B", fx.rcpt[B]}};
	char *out2 = fresh("readdressed-sb");
	if (readdress_to(fx.first, S, fx.sk, to_sb, 2, 3, CREATED + 2 * 86400, out2, &e) != 0)
		fail_msg("readdress to S and B: %s", e.msg);
	expect_opens(out2, S, "readdressed to S, B, as S");
	expect_key_refused(out2, A, "readdressed to S, B, as A");
	struct manifest_recipient to_c[1] = {{"C وحده", fx.rcpt[C]}};
	char *out3 = fresh("readdressed-c");
	if (readdress_to(out2, S, fx.sk, to_c, 1, 4, CREATED + 3 * 86400, out3, &e) != 0)
		fail_msg("readdress a readdressed bundle: %s", e.msg);
	expect_opens(out3, C, "readdressed twice, as C");
	expect_key_refused(out3, B, "readdressed twice, as B");
	struct envelope e3;
	peek(out3, &e3);
	assert_true(e3.first_sequence == 1);
	assert_string_equal(e3.first_created, e2.first_created);
	assert_string_equal(e3.payload_blake2b, e2.payload_blake2b);
	assert_true(e3.sequence == 4);
	envelope_free(&e3);
	envelope_free(&e2);

	/* An identity that is not among the recipients: ERR_KEY, nothing written. */
	char *nope = fresh("nope");
	assert_int_not_equal(readdress_to(fx.first, B, fx.sk, to, 2, 5, CREATED, nope, &e), 0);
	if (e.code != ERR_KEY)
		fail_msg("readdress as B: code %d (%s)", e.code, e.msg);
	assert_false(exists(nope));
	assert_int_not_equal(readdress_to(fx.first, C, fx.sk, to, 2, 5, CREATED, nope, &e), 0);
	assert_int_equal(e.code, ERR_KEY);
	assert_false(exists(nope));
	/* Another signing key: ERR_VERIFY, nothing written. */
	assert_int_not_equal(readdress_to(fx.first, S, fx.other, to, 2, 5, CREATED, nope, &e), 0);
	if (e.code != ERR_VERIFY)
		fail_msg("readdress with another key: code %d (%s)", e.code, e.msg);
	assert_false(exists(nope));
	free(nope);

	free(out);
	free(out2);
	free(out3);
}

/* readdress_prepare accepts at most what a reader's addendum_parse accepts: a readdressing to
 * more recipients than ADDENDUM_RECIPIENTS_MAX must either be refused by readdress_prepare or
 * open for its recipients. */
static void test_readdress_many_recipients(void **state)
{
	(void)state;
	struct err e;
	size_t n = ADDENDUM_RECIPIENTS_MAX + 1;
	struct manifest_recipient *r = calloc(n, sizeof *r);
	char (*keys)[AGE_RECIPIENT_LEN + 1] = calloc(n, sizeof *keys);
	assert_non_null(r);
	assert_non_null(keys);
	for (size_t i = 0; i < n - 1; i++) {
		uint8_t sk[32], pk[32];
		age_x25519_keygen(sk, pk);
		age_recipient_encode(keys[i], pk);
		r[i].recipient = keys[i];
		r[i].name = "عضو";
	}
	r[n - 1].recipient = fx.rcpt[B];
	r[n - 1].name = "B";
	char *out = fresh("many");
	char why[ERR_MSG_MAX + 128] = "";
	int rc = readdress_to(fx.first, S, fx.sk, r, n, 10, CREATED, out, &e);
	if (rc == 0) {
		char *rcpt = NULL;
		if (run_verify(out, B, NULL, &rcpt, &e) != 0)
			snprintf(why, sizeof why, "readdress_prepare accepted %zu recipients, but the bundle does not open for them: %s (code %d)",
				 n, e.msg, e.code);
		free(rcpt);
	} else if (e.code != ERR_USAGE) {
		snprintf(why, sizeof why, "readdress to %zu recipients: code %d (%s)", n, e.code, e.msg);
	}
	free(out);
	free(r);
	free(keys);
	if (why[0])
		fail_msg("%s", why);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addendum_round_trip),
		cmocka_unit_test(test_addendum_refusals),
		cmocka_unit_test(test_addendum_matches_and_lists),
		cmocka_unit_test(test_envelope_readdress),
		cmocka_unit_test(test_readdress_end_to_end),
		cmocka_unit_test(test_readdress_many_recipients),
	};
	return cmocka_run_group_tests_name("addendum", tests, group_setup, group_teardown);
}
