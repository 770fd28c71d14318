/*
 * test_outcome.c - outcome.json: the conference 24 example loads byte for byte; every kind
 * of mistake is refused with its JSON path; the records come back one at a time, byte for
 * byte, from memory and from a file read through a small window, and a file that changes
 * between the two readings is refused.
 */
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/unit/unit.h"
#include "vault/io.h"
#include "vault/outcome.h"

#define EX "docs/examples/conference-24/"

/* The records outcome_each_record handed over, copied. */
struct got {
	size_t n;
	char *kind[64], *lang[64], *title[64], *body[64];
	size_t body_len[64];
	uint64_t last_seq;
	int stop_at, stop_rc; /* the seq at which to return stop_rc (0: never) */
	size_t bodies;	      /* when collecting more than 64: only counted */
};

static int collect(void *ctx, uint64_t seq, const struct outcome_record *r, struct err *e)
{
	struct got *g = ctx;
	assert_int_equal(seq, g->last_seq + 1);
	g->last_seq = seq;
	assert_int_equal(strlen(r->body), r->body_len);
	if (g->stop_at && seq == (uint64_t)g->stop_at) {
		err_set(e, ERR_IO, "the callback says stop at %llu", (unsigned long long)seq);
		return g->stop_rc;
	}
	g->bodies++;
	if (g->n < 64) {
		g->kind[g->n] = strdup(r->kind);
		g->lang[g->n] = strdup(r->lang);
		g->title[g->n] = strdup(r->title);
		g->body[g->n] = malloc(r->body_len + 1);
		assert_non_null(g->body[g->n]);
		memcpy(g->body[g->n], r->body, r->body_len + 1);
		g->body_len[g->n] = r->body_len;
		g->n++;
	}
	return 0;
}

static void got_free(struct got *g)
{
	for (size_t i = 0; i < g->n; i++) {
		free(g->kind[i]);
		free(g->lang[i]);
		free(g->title[i]);
		free(g->body[i]);
	}
	memset(g, 0, sizeof *g);
}

static void records_of(const struct outcome *o, struct got *g)
{
	struct err e;
	memset(g, 0, sizeof *g);
	if (outcome_each_record(o, collect, g, &e) != 0)
		fail_msg("outcome_each_record: %s", e.msg);
	assert_int_equal(g->bodies, o->nrecords);
}

static void write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void test_conference_24(void **state)
{
	(void)state;
	struct outcome o;
	struct err e;
	int rc = outcome_load(EX "outcome.json", &o, &e);
	if (rc != 0)
		fail_msg("%s", e.msg);
	assert_int_equal(o.number, 24);
	assert_string_equal(o.title, "المؤتمر العربي الرابع والعشرون للمسؤولين عن مكافحة الإرهاب");
	assert_true(o.nrecords >= 10);
	assert_true(o.nparticipants >= 8);
	assert_int_equal(o.nattachments, 2);
	/* Sorted by bytes: "archive-photo.png" before the Arabic name. */
	assert_string_equal(o.attachments[0].path, "archive-photo.png");
	assert_string_equal(o.attachments[0].media_type, "image/png");
	assert_string_equal(o.attachments[1].path, "التوصيات.txt");
	assert_int_equal(o.attachments[0].record, 1);
	assert_true(o.attachments[0].size > 0);
	/* Every body is a byte-exact piece of the published article. */
	size_t n;
	char *seed = (char *)unit_slurp(EX "conference-24-outcome.ar.txt", &n);
	struct got g;
	records_of(&o, &g);
	for (size_t i = 0; i < g.n; i++)
		assert_non_null(strstr(seed, g.body[i]));
	got_free(&g);
	free(seed);
	outcome_free(&o);
}

/* A minimal valid outcome with one record; %s is spliced in to make variants. */
static const char *base_json =
	"{\"conference\":{\"series\":\"s\",\"number\":1,\"title\":\"t\",\"venue\":\"\",\"held_from\":\"\",\"held_to\":\"\",\"organizer\":\"\"},"
	"\"participants\":[],\"records\":[{\"kind\":\"decision\",\"lang\":\"ar\",\"title\":\"عنوان\",\"body\":\"نص\"}]%s}";

static void expect_fail(const char *json, const char *path_and_why)
{
	struct outcome o;
	struct err e;
	int rc = outcome_parse(json, strlen(json), NULL, &o, &e);
	outcome_free(&o);
	if (rc == 0)
		fail_msg("accepted: %s", json);
	assert_int_equal(e.code, ERR_FORMAT);
	if (!strstr(e.msg, path_and_why))
		fail_msg("message '%s' does not say '%s'", e.msg, path_and_why);
}

static void test_minimal_and_round_trip(void **state)
{
	(void)state;
	char buf[2048];
	snprintf(buf, sizeof buf, base_json, "");
	struct outcome o;
	struct err e;
	struct got g;
	assert_int_equal(outcome_parse(buf, strlen(buf), NULL, &o, &e), 0);
	records_of(&o, &g);
	assert_string_equal(g.title[0], "عنوان");
	got_free(&g);
	outcome_free(&o);
	/* Escapes decode to the same bytes: \u0639 is ع. */
	const char *esc = "{\"conference\":{\"series\":\"s\",\"number\":1,\"title\":\"t\",\"venue\":\"\",\"held_from\":\"2025-01-31\",\"held_to\":\"2025-02-01\",\"organizer\":\"\"},"
			  "\"participants\":[{\"name\":\"\\u0639\",\"kind\":\"organization\"}],"
			  "\"records\":[{\"kind\":\"decision\",\"lang\":\"ar-EG\",\"title\":\"x\",\"body\":\"a\\nb\\u0640\"}],\"attachments\":[]}";
	assert_int_equal(outcome_parse(esc, strlen(esc), NULL, &o, &e), 0);
	assert_string_equal(o.participants[0].name, "ع");
	records_of(&o, &g);
	assert_string_equal(g.body[0], "a\nbـ");
	got_free(&g);
	outcome_free(&o);
	/* An escaped backslash before "u0000" is text, not a NUL. */
	const char *bs = "{\"conference\":{\"series\":\"s\",\"number\":1,\"title\":\"C:\\\\u0000\",\"venue\":\"\",\"held_from\":\"\",\"held_to\":\"\",\"organizer\":\"\"},"
			 "\"participants\":[],\"records\":[{\"kind\":\"decision\",\"lang\":\"ar\",\"title\":\"x\",\"body\":\"\"}]}";
	assert_int_equal(outcome_parse(bs, strlen(bs), NULL, &o, &e), 0);
	assert_string_equal(o.title, "C:\\u0000");
	outcome_free(&o);
}

static void test_refusals(void **state)
{
	(void)state;
	char buf[4096];
	struct {
		const char *splice, *want;
	} cases[] = {
		{",\"extra\":1", "extra: unknown key"},
		{",\"records\":[]", "records: the key appears twice"},
		{",\"attachments\":{}", "attachments: expected an array, found object"},
		{",\"attachments\":[{\"path\":\"a\",\"caption\":\"c\",\"record\":1,\"size\":3}]", "attachments[0].size: unknown key"},
		{",\"attachments\":[{\"path\":\"/etc/passwd\",\"caption\":\"c\"}]", "attachments[0].path: the path is absolute"},
		{",\"attachments\":[{\"path\":\"../x\",\"caption\":\"c\"}]", "attachments[0].path: the path uses '.' or '..'"},
		{",\"attachments\":[{\"path\":\"a//b\",\"caption\":\"c\"}]", "empty component"},
		{",\"attachments\":[{\"path\":\"a\\\\b\",\"caption\":\"c\"}]", "backslash"},
		{",\"attachments\":[{\"path\":\"a\\nb\",\"caption\":\"c\"}]", "control characters"},
		{",\"attachments\":[{\"path\":\"a\",\"caption\":\"c\"},{\"path\":\"a\",\"caption\":\"d\"}]", "'a' is listed twice"},
		{",\"attachments\":[{\"path\":\"A.pdf\",\"caption\":\"c\"},{\"path\":\"a.PDF\",\"caption\":\"d\"}]", "attachments[1].path: 'a.PDF' is listed twice: it differs from 'A.pdf' only in letter case"},
		{",\"attachments\":[{\"path\":\"a\",\"caption\":\"c\",\"record\":2}]", "there is no record 2"},
		{",\"attachments\":[{\"path\":\"a\",\"caption\":\"c\",\"record\":0}]", "record numbers start at 1"},
		{",\"attachments\":[{\"path\":\"a\",\"caption\":\"c\",\"record\":\"1\"}]", "expected a record number"},
		{",\"attachments\":[{\"caption\":\"c\"}]", "attachments[0]: missing \"path\""},
		{",\"attachments\":[5]", "attachments[0]: expected an object"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		snprintf(buf, sizeof buf, base_json, cases[i].splice);
		expect_fail(buf, cases[i].want);
	}
	/* Whole-document variants. */
	expect_fail("[]", "the top level: expected an object");
	expect_fail("{", "not valid JSON: line 1, column 2: the text ends before the JSON does");
	/* JSON syntax is checked before SQLite sees the text: SQLite 3.40 takes an object key
	 * that is not a string, and its json_tree then crashes (a fuzzer found it). */
	expect_fail("{{\"\":1}:1}", "line 1, column 2: expected a string (the key of an object's member)");
	expect_fail("\xef\xbb\xbf{}", "byte order mark");
	expect_fail("{\"a\":[1,]}", "column 9: expected a value");
	expect_fail("{\"a\":024}", "column 7: expected ',' or '}'");
	expect_fail("{\"a\":1}x", "more text after the end");
	expect_fail("{\"a\":\"\\x\"}", "an unknown escape");
	expect_fail("{\"a\":\"\\u12\"}", "four hex digits");
	expect_fail("{\"a\":\"x\ty\"}", "a control character inside a string");
	expect_fail("{\"a\":1.}", "a malformed number");
	expect_fail("{\"a\":1 \"b\":2}", "expected ',' or '}'");
	expect_fail("{\n\"a\":\n  tru}", "line 3, column 3: expected a value");
	expect_fail("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]", "nested too deeply");
	expect_fail("{\"conference\":{}}", "missing \"participants\"");
	expect_fail("{\"conference\":{},\"participants\":[],\"records\":[]}", "conference: missing \"series\"");
	const char *fields[][2] = {
		{"\"number\":1", "\"number\":1.5"}, {"\"number\":1", "\"number\":\"1\""},
		{"\"number\":1", "\"number\":0"}, {"\"held_from\":\"\"", "\"held_from\":\"2025-02-30\""},
		{"\"title\":\"t\"", "\"title\":\"\""}, {"\"title\":\"t\"", "\"title\":\"a\\u0000b\""},
		{"\"title\":\"t\"", "\"title\":\"\\ud800\""}, {"\"title\":\"t\"", "\"title\":\"a\\tb\""},
		{"\"kind\":\"decision\"", "\"kind\":\"Decision\""}, {"\"lang\":\"ar\"", "\"lang\":\"arabic\""},
		{"\"body\":\"نص\"", "\"body\":null"}, {"\"body\":\"نص\"", "\"bodyy\":\"نص\""},
		{"\"lang\":\"ar\",", ""},
	};
	const char *wants[] = {
		"conference.number: expected an integer, found real", "conference.number: expected an integer, found text",
		"between 1 and", "conference.held_from: expected a date", "conference.title: must not be empty",
		"the text contains a NUL", "not valid UTF-8", "one line",
		"records[0].kind: a kind is lowercase", "records[0].lang: expected a language tag",
		"records[0].body: expected a string, found null", "records[0].bodyy: unknown key",
		"records[0]: missing \"lang\"",
	};
	for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
		char tmp[4096];
		snprintf(tmp, sizeof tmp, base_json, "");
		char *at = strstr(tmp, fields[i][0]);
		assert_non_null(at);
		snprintf(buf, sizeof buf, "%.*s%s%s", (int)(at - tmp), tmp, fields[i][1], at + strlen(fields[i][0]));
		expect_fail(buf, wants[i]);
	}
	/* Raw bytes that are not UTF-8. */
	snprintf(buf, sizeof buf, base_json, "");
	char *at = strstr(buf, "عنوان");
	at[1] = (char)0xff;
	expect_fail(buf, "not valid UTF-8");
	/* No records at all. */
	expect_fail("{\"conference\":{\"series\":\"s\",\"number\":1,\"title\":\"t\",\"venue\":\"\",\"held_from\":\"\",\"held_to\":\"\",\"organizer\":\"\"},\"participants\":[],\"records\":[]}",
		    "at least one record");
}

static void test_files(void **state)
{
	(void)state;
	char dir[128], inner[160], cmd[1024];
	snprintf(dir, sizeof dir, "/tmp/amana-unit-outcome.%d", (int)getpid());
	snprintf(inner, sizeof inner, "%s/out", dir);
	snprintf(cmd, sizeof cmd, "rm -rf %s && mkdir -p %s/sub && echo x > %s/sub/ملف.txt && echo s > %s/secret && "
		 "ln -s ../secret %s/leak && mkfifo %s/fifo", dir, inner, inner, dir, inner, inner);
	assert_int_equal(system(cmd), 0);
	char buf[2048];
	struct outcome o;
	struct err e;
	snprintf(buf, sizeof buf, base_json, ",\"attachments\":[{\"path\":\"sub/ملف.txt\",\"caption\":\"c\",\"record\":null}]");
	assert_int_equal(outcome_parse(buf, strlen(buf), inner, &o, &e), 0);
	assert_int_equal(o.attachments[0].size, 2);
	assert_string_equal(o.attachments[0].media_type, "text/plain; charset=utf-8");
	outcome_free(&o);
	snprintf(buf, sizeof buf, base_json, ",\"attachments\":[{\"path\":\"leak\",\"caption\":\"c\"}]");
	assert_int_equal(outcome_parse(buf, strlen(buf), inner, &o, &e), -1);
	assert_non_null(strstr(e.msg, "outside the outcome's folder"));
	outcome_free(&o);
	snprintf(buf, sizeof buf, base_json, ",\"attachments\":[{\"path\":\"missing.pdf\",\"caption\":\"c\"}]");
	assert_int_equal(outcome_parse(buf, strlen(buf), inner, &o, &e), -1);
	assert_non_null(strstr(e.msg, "'missing.pdf' cannot be read"));
	outcome_free(&o);
	snprintf(buf, sizeof buf, base_json, ",\"attachments\":[{\"path\":\"fifo\",\"caption\":\"c\"}]");
	assert_int_equal(outcome_parse(buf, strlen(buf), inner, &o, &e), -1);
	assert_non_null(strstr(e.msg, "not a regular file"));
	outcome_free(&o);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

static void test_media_types(void **state)
{
	(void)state;
	assert_string_equal(outcome_media_type("a/b/Report.PDF"), "application/pdf");
	assert_string_equal(outcome_media_type("تسجيل.mp4"), "video/mp4");
	assert_string_equal(outcome_media_type(".pdf"), "application/octet-stream");
	assert_string_equal(outcome_media_type("noext"), "application/octet-stream");
	assert_string_equal(outcome_media_type("x.pdfx"), "application/octet-stream");
}

/* ---- the records, one at a time ----------------------------------------------------------- */

static const char *const conf_json =
	"\"conference\":{\"series\":\"s\",\"number\":1,\"title\":\"t\",\"venue\":\"\",\"held_from\":\"\",\"held_to\":\"\",\"organizer\":\"\"}";

/* Arabic with diacritics and tatweel, text of both directions, and escapes: each JSON body
 * and the bytes it must come back as. */
static const char *const bodies[][2] = {
	{"يُوصِي المؤتمرُ بتعزيزِ التعاونِ الأمنيّ", "يُوصِي المؤتمرُ بتعزيزِ التعاونِ الأمنيّ"},
	{"الأمـــــانة العامـــة", "الأمـــــانة العامـــة"},
	{"وفق INTERPOL (2024) والمادة 5-ب من \\\"الاتفاقية\\\"", "وفق INTERPOL (2024) والمادة 5-ب من \"الاتفاقية\""},
	{"سطر أول\\nسطر ثان\\r\\n\\tمسافة", "سطر أول\nسطر ثان\r\n\tمسافة"},
	{"\\u0627\\u0644\\u0640\\u0640\\u0645\\u064f", "الــمُ"},
	{"\\ud83d\\ude00 \\uD834\\uDD1E \\u00e9\\u20ac", "😀 𝄞 é€"},
	{"\\u202b\\u0639\\u0631\\u0628\\u064a\\u202c abc \\\\ \\/ \\b\\f", "\xe2\x80\xab" "عربي" "\xe2\x80\xac abc \\ / \b\f"},
	{"", ""},
};

static void test_records_byte_for_byte(void **state)
{
	(void)state;
	size_t nb = sizeof bodies / sizeof *bodies;
	char *json = malloc(1 << 16);
	size_t n = 0;
	assert_non_null(json);
	n += (size_t)sprintf(json + n, "{%s,\"participants\":[],\"records\":[", conf_json);
	for (size_t i = 0; i < nb; i++)
		n += (size_t)sprintf(json + n, "%s{\"kind\":\"decision\",\"lang\":\"ar\",\"title\":\"عنوانٌ %zu\",\"body\":\"%s\"}",
				     i ? "," : "", i + 1, bodies[i][0]);
	n += (size_t)sprintf(json + n, "]}");
	struct outcome o;
	struct err e;
	struct got g;
	if (outcome_parse(json, n, NULL, &o, &e) != 0)
		fail_msg("%s", e.msg);
	assert_int_equal(o.nrecords, nb);
	records_of(&o, &g);
	assert_int_equal(g.n, nb);
	for (size_t i = 0; i < nb; i++) {
		assert_int_equal(g.body_len[i], strlen(bodies[i][1]));
		assert_memory_equal(g.body[i], bodies[i][1], g.body_len[i]);
		assert_string_equal(g.kind[i], "decision");
		assert_string_equal(g.lang[i], "ar");
	}
	got_free(&g);
	/* A second walk gives the same. */
	records_of(&o, &g);
	assert_int_equal(g.n, nb);
	got_free(&g);
	outcome_free(&o);
	free(json);
}

/* Keys in any order: the records before the conference, a record's body before its kind. */
static void test_keys_in_any_order(void **state)
{
	(void)state;
	char buf[2048];
	snprintf(buf, sizeof buf,
		 "{\"attachments\":[],\"records\":[{\"body\":\"نص\",\"title\":\"ع\",\"lang\":\"ar\",\"kind\":\"decision\"},"
		 "{\"lang\":\"en\",\"kind\":\"topic\",\"body\":\"b\",\"title\":\"x\"}],\"participants\":[{\"kind\":\"state\",\"name\":\"تونس\"}],%s}",
		 conf_json);
	struct outcome o;
	struct err e;
	struct got g;
	if (outcome_parse(buf, strlen(buf), NULL, &o, &e) != 0)
		fail_msg("%s", e.msg);
	assert_int_equal(o.nrecords, 2);
	assert_string_equal(o.series, "s");
	assert_string_equal(o.participants[0].name, "تونس");
	records_of(&o, &g);
	assert_string_equal(g.body[0], "نص");
	assert_string_equal(g.kind[1], "topic");
	assert_string_equal(g.title[1], "x");
	got_free(&g);
	outcome_free(&o);
}

/* A body of n bytes: Arabic letters with tatweel (two bytes each), one ASCII byte when n is
 * odd, or the same text as \u escapes when escaped. */
static char *outcome_with_body(size_t n, bool escaped, size_t *len)
{
	size_t cap = n * 4 + 1024, o = 0;
	char *j = malloc(cap);
	assert_non_null(j);
	o += (size_t)sprintf(j, "{%s,\"participants\":[],\"records\":[{\"kind\":\"d\",\"lang\":\"ar\",\"title\":\"t\",\"body\":\"", conf_json);
	if (n % 2)
		j[o++] = 'x';
	for (size_t i = 0; i < n / 2; i++) {
		if (escaped) {
			memcpy(j + o, i % 2 ? "\\u0640" : "\\u0639", 6);
			o += 6;
		} else {
			memcpy(j + o, i % 2 ? "ـ" : "ع", 2);
			o += 2;
		}
	}
	o += (size_t)sprintf(j + o, "\"},{\"kind\":\"d\",\"lang\":\"ar\",\"title\":\"t\",\"body\":\"\"}]}");
	*len = o;
	return j;
}

static void test_body_at_the_limit(void **state)
{
	(void)state;
	char path[128];
	snprintf(path, sizeof path, "/tmp/amana-unit-outcome-limit.%d.json", (int)getpid());
	for (int escaped = 0; escaped < 2; escaped++) {
		size_t len;
		char *j = outcome_with_body(OUTCOME_TEXT_MAX, escaped, &len);
		struct outcome o;
		struct err e;
		struct got g;
		/* From memory and from a file (read through its window, across its edges). */
		if (outcome_parse(j, len, NULL, &o, &e) != 0)
			fail_msg("%s", e.msg);
		records_of(&o, &g);
		assert_int_equal(g.body_len[0], OUTCOME_TEXT_MAX);
		assert_int_equal(g.body_len[1], 0);
		got_free(&g);
		outcome_free(&o);
		write_file(path, j, len);
		if (outcome_load(path, &o, &e) != 0)
			fail_msg("%s", e.msg);
		records_of(&o, &g);
		assert_int_equal(g.body_len[0], OUTCOME_TEXT_MAX);
		assert_memory_equal(g.body[0], escaped ? "عـ" : "عـ", 4);
		got_free(&g);
		outcome_free(&o);
		free(j);
		/* One byte more. */
		j = outcome_with_body(OUTCOME_TEXT_MAX + 1, escaped, &len);
		assert_int_equal(outcome_parse(j, len, NULL, &o, &e), -1);
		assert_int_equal(e.code, ERR_FORMAT);
		assert_string_equal(e.msg, "outcome.json: records[0].body: the text is longer than 1048576 bytes");
		outcome_free(&o);
		write_file(path, j, len);
		assert_int_equal(outcome_load(path, &o, &e), -1);
		assert_string_equal(e.msg, "outcome.json: records[0].body: the text is longer than 1048576 bytes");
		outcome_free(&o);
		free(j);
	}
	unlink(path);
}

/* Many records through the file's window: what comes back equals what memory gives. */
static void test_file_and_memory_agree(void **state)
{
	(void)state;
	size_t cap = 1 << 20, n = 0;
	char *j = malloc(cap);
	assert_non_null(j);
	n += (size_t)sprintf(j, "{%s,\"participants\":[],\"records\":[", conf_json);
	for (size_t i = 0; i < 2000; i++)
		n += (size_t)sprintf(j + n, "%s\n  {\"kind\":\"recommendation\",\"lang\":\"ar-EG\",\"title\":\"التوصية %zu\",\"body\":\"يُوصِي المؤتمرُ (%zu) بتعزيزِ التعاونِ ـــ مع INTERPOL\\n\\u0640\\ud83d\\ude00\"}",
				     i ? "," : "", i + 1, i * 7919);
	n += (size_t)sprintf(j + n, "]}\n");
	assert_true(n < cap);
	char path[128];
	snprintf(path, sizeof path, "/tmp/amana-unit-outcome-agree.%d.json", (int)getpid());
	write_file(path, j, n);
	struct outcome a, b;
	struct err e;
	if (outcome_parse(j, n, NULL, &a, &e) != 0 || outcome_load(path, &b, &e) != 0)
		fail_msg("%s", e.msg);
	assert_int_equal(a.nrecords, 2000);
	assert_int_equal(b.nrecords, 2000);
	assert_memory_equal(a.digest, b.digest, sizeof a.digest);
	uint8_t want[32];
	crypto_generichash(want, sizeof want, (const unsigned char *)j, n, NULL, 0);
	assert_memory_equal(b.digest, want, sizeof want);
	struct got ga, gb;
	records_of(&a, &ga);
	records_of(&b, &gb);
	for (size_t i = 0; i < ga.n; i++) {
		assert_string_equal(ga.title[i], gb.title[i]);
		assert_int_equal(ga.body_len[i], gb.body_len[i]);
		assert_memory_equal(ga.body[i], gb.body[i], ga.body_len[i]);
	}
	got_free(&ga);
	got_free(&gb);
	outcome_free(&a);
	outcome_free(&b);
	unlink(path);
	free(j);
}

/* The file rewritten between outcome_load and outcome_each_record. */
static void test_changed_file_refused(void **state)
{
	(void)state;
	char path[128], buf[2048];
	snprintf(path, sizeof path, "/tmp/amana-unit-outcome-changed.%d.json", (int)getpid());
	const char *changes[] = {
		"\"body\":\"نص آخر\"",		  /* other text, the same shape */
		"\"body\":\"نص\"},{\"kind\":\"d\",\"lang\":\"ar\",\"title\":\"t\",\"body\":\"ب\"", /* one more record */
		"\"body\":\"نص\" ",		  /* one byte more, still valid JSON */
		"\"body\":\"نص",		  /* no longer JSON */
	};
	for (size_t i = 0; i < sizeof changes / sizeof *changes; i++) {
		struct outcome o;
		struct err e;
		struct got g;
		snprintf(buf, sizeof buf, base_json, "");
		write_file(path, buf, strlen(buf));
		if (outcome_load(path, &o, &e) != 0)
			fail_msg("%s", e.msg);
		char other[2048];
		char *at = strstr(buf, "\"body\":\"نص\"");
		assert_non_null(at);
		snprintf(other, sizeof other, "%.*s%s%s", (int)(at - buf), buf, changes[i], at + strlen("\"body\":\"نص\""));
		write_file(path, other, strlen(other));
		memset(&g, 0, sizeof g);
		assert_int_equal(outcome_each_record(&o, collect, &g, &e), -1);
		assert_int_equal(e.code, ERR_IO);
		assert_string_equal(e.msg, "outcome.json changed while it was being sealed");
		assert_true(e.hint[0] != '\0');
		got_free(&g);
		/* Put back, it reads again. */
		write_file(path, buf, strlen(buf));
		records_of(&o, &g);
		got_free(&g);
		outcome_free(&o);
	}
	/* Gone altogether. */
	struct outcome o;
	struct err e;
	struct got g;
	snprintf(buf, sizeof buf, base_json, "");
	write_file(path, buf, strlen(buf));
	assert_int_equal(outcome_load(path, &o, &e), 0);
	unlink(path);
	memset(&g, 0, sizeof g);
	assert_int_equal(outcome_each_record(&o, collect, &g, &e), -1);
	assert_int_equal(e.code, ERR_IO);
	outcome_free(&o);
	/* A pipe cannot be read twice: refused when loading. */
	int fds[2];
	char pipe_path[64];
	assert_int_equal(pipe(fds), 0);
	snprintf(pipe_path, sizeof pipe_path, "/proc/self/fd/%d", fds[0]);
	assert_int_equal(outcome_load(pipe_path, &o, &e), -1);
	assert_int_equal(e.code, ERR_IO);
	assert_non_null(strstr(e.msg, "is not a regular file"));
	outcome_free(&o);
	close(fds[0]);
	close(fds[1]);
}

/* fn's error stops the walk and is returned as it is. */
static void test_callback_stops(void **state)
{
	(void)state;
	char buf[4096];
	snprintf(buf, sizeof buf, "{%s,\"participants\":[],\"records\":["
		 "{\"kind\":\"d\",\"lang\":\"ar\",\"title\":\"1\",\"body\":\"\"},{\"kind\":\"d\",\"lang\":\"ar\",\"title\":\"2\",\"body\":\"\"},"
		 "{\"kind\":\"d\",\"lang\":\"ar\",\"title\":\"3\",\"body\":\"\"}]}", conf_json);
	struct outcome o;
	struct err e;
	struct got g;
	assert_int_equal(outcome_parse(buf, strlen(buf), NULL, &o, &e), 0);
	int rcs[] = {-1, 7};
	for (size_t i = 0; i < 2; i++) {
		memset(&g, 0, sizeof g);
		g.stop_at = 2;
		g.stop_rc = rcs[i];
		err_clear(&e);
		assert_int_equal(outcome_each_record(&o, collect, &g, &e), rcs[i]);
		assert_int_equal(g.last_seq, 2);
		assert_int_equal(g.n, 1);
		assert_int_equal(e.code, ERR_IO);
		assert_string_equal(e.msg, "the callback says stop at 2");
		got_free(&g);
	}
	outcome_free(&o);
}

static size_t max_rss_kib(void)
{
	struct rusage ru;
	assert_int_equal(getrusage(RUSAGE_SELF, &ru), 0);
	return (size_t)ru.ru_maxrss;
}

/* What lies outside the known fields is read, not kept: a 48 MiB string, a number of 8
 * million digits and deep nesting are refused cleanly, and memory does not grow with them. */
static void test_outside_known_fields(void **state)
{
	(void)state;
	char path[128];
	snprintf(path, sizeof path, "/tmp/amana-unit-outcome-outside.%d.json", (int)getpid());
	size_t before = max_rss_kib();
	struct {
		const char *head, *fill, *tail;
		size_t repeat;
		const char *want;
	} cases[] = {
		{"{\"x\":\"", "ـ", "\"}", 24u << 20, "outcome.json: x: unknown key (expected one of: conference participants records attachments)"},
		{"{\"conference\":{\"place\":", "9", "}}", 8u << 20, "outcome.json: conference.place: unknown key"},
		{"{\"conference\":{\"number\":", "9", "}}", 8u << 20, "outcome.json: conference.number: the conference number must be between 1 and 1000000000"},
		{"{\"conference\":{\"number\":1", "0", "e400}}", 4096, "outcome.json: conference.number: expected an integer, found real"},
		{"{\"x\":", "[", "", 1u << 20, "outcome.json is not valid JSON: line 1, column 37: objects and arrays nested too deeply"},
		{"{\"records\":[{\"kind\":\"d\",\"body\":", "{\"a\":", "", 1u << 16, "not valid JSON: line 1, column 177: objects and arrays nested too deeply"},
		{"{\"", "k", "\":1}", 16u << 20, "unknown key"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		FILE *f = fopen(path, "wb");
		assert_non_null(f);
		fputs(cases[i].head, f);
		for (size_t k = 0; k < cases[i].repeat; k++)
			fputs(cases[i].fill, f);
		fputs(cases[i].tail, f);
		assert_int_equal(fclose(f), 0);
		struct outcome o;
		struct err e;
		assert_int_equal(outcome_load(path, &o, &e), -1);
		outcome_free(&o);
		assert_int_equal(e.code, ERR_FORMAT);
		if (!strstr(e.msg, cases[i].want))
			fail_msg("case %zu: '%s' does not say '%s'", i, e.msg, cases[i].want);
	}
	unlink(path);
	/* The window, one key, the frames: well under 8 MiB more than before. */
	size_t after = max_rss_kib();
	if (after > before + 8192)
		fail_msg("peak memory grew from %zu KiB to %zu KiB", before, after);
}

/* Strict RFC 8259, and which error is told when there are several. */
static void test_strict_and_first_error(void **state)
{
	(void)state;
	char buf[4096];
	snprintf(buf, sizeof buf, base_json, "");
	struct outcome o;
	struct err e;
	/* Whitespace around the value is fine. */
	char ws[4200];
	snprintf(ws, sizeof ws, " \n\t%s \r\n\n ", buf);
	assert_int_equal(outcome_parse(ws, strlen(ws), NULL, &o, &e), 0);
	outcome_free(&o);
	expect_fail("{\"a\":1,}", "column 8: expected a string (the key of an object's member)");
	expect_fail("{\"a\":1 /* c */}", "column 8: expected ',' or '}'");
	expect_fail("{\"a\":-}", "a malformed number");
	expect_fail("{\"a\":+1}", "expected a value");
	expect_fail("{\"a\":1e}", "a malformed number");
	expect_fail("{\"a\":.5}", "expected a value");
	expect_fail("{\"a\":NaN}", "expected a value");
	expect_fail("{'a':1}", "expected a string");
	expect_fail("{\"a\"}", "expected ':' after an object's key");
	expect_fail("{\"a\":[1 2]}", "expected ',' or ']'");
	expect_fail("", "line 1, column 1: the text ends before the JSON does");
	expect_fail("{\"a\":\"\\ud800\\u0041\"}", "a: unknown key");
	expect_fail("{\"a\":\"abc", "line 1, column 10: a string that does not end");
	expect_fail("{\"a\":\"\\", "a string that does not end");
	/* A broken rule early, a syntax error later: the syntax error is told. */
	snprintf(buf, sizeof buf, base_json, ",\"extra\":1,}");
	expect_fail(buf, "not valid JSON");
	/* A syntax error early, bytes that are not UTF-8 later: the UTF-8 is told, with a path. */
	snprintf(buf, sizeof buf, "{\"conference\":{,\"x\":\"a\xff\"}}");
	expect_fail(buf, "outcome.json: conference.x: the text is not valid UTF-8 (byte 22)");
	/* ...and a NUL byte outranks everything. */
	char nul[] = "{\"conference\":{\"a\xff\":1,}, \"b\":\"x?\"}";
	nul[strlen(nul) - 3] = '\0';
	assert_int_equal(outcome_parse(nul, sizeof nul - 1, NULL, &o, &e), -1);
	outcome_free(&o);
	assert_string_equal(e.msg, "outcome.json contains a NUL byte");
	/* An escaped NUL outranks a syntax error before it. */
	expect_fail("{\"a\":[1,],\"b\":\"x\\u0000\"}", "outcome.json: b: the text contains a NUL character (escaped as u0000, at byte 16)");
	/* A lone surrogate in a known field. */
	snprintf(buf, sizeof buf, base_json, "");
	char *at = strstr(buf, "\"body\":\"نص\"");
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%.*s\"body\":\"\\udc00x\"%s", (int)(at - buf), buf, at + strlen("\"body\":\"نص\""));
	expect_fail(tmp, "records[0].body: the text is not valid UTF-8 (a lone surrogate escape?)");
	snprintf(tmp, sizeof tmp, "%.*s\"body\":\"\\ud83dx\"%s", (int)(at - buf), buf, at + strlen("\"body\":\"نص\""));
	expect_fail(tmp, "records[0].body: the text is not valid UTF-8 (a lone surrogate escape?)");
	/* A huge integer where a record number goes. */
	snprintf(buf, sizeof buf, base_json, ",\"attachments\":[{\"path\":\"a\",\"caption\":\"c\",\"record\":123456789012345678901234567890}]");
	expect_fail(buf, "attachments[0].record: there is no record 9223372036854775807 (the outcome has 1)");
	snprintf(buf, sizeof buf, base_json, ",\"attachments\":[{\"path\":\"a\",\"caption\":\"c\",\"record\":-0}]");
	expect_fail(buf, "record numbers start at 1");
	/* Missing keys are told after everything else, the conference's first. */
	snprintf(buf, sizeof buf, "{\"records\":[{\"kind\":\"d\",\"lang\":\"ar\",\"title\":\"t\"}],\"participants\":[],\"conference\":{\"series\":\"s\"}}");
	expect_fail(buf, "outcome.json: conference: missing \"number\"");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_outside_known_fields), /* first: it watches the peak memory */
		cmocka_unit_test(test_conference_24),
		cmocka_unit_test(test_minimal_and_round_trip),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_media_types),
		cmocka_unit_test(test_records_byte_for_byte),
		cmocka_unit_test(test_keys_in_any_order),
		cmocka_unit_test(test_body_at_the_limit),
		cmocka_unit_test(test_file_and_memory_agree),
		cmocka_unit_test(test_changed_file_refused),
		cmocka_unit_test(test_callback_stops),
		cmocka_unit_test(test_strict_and_first_error),
	};
	return cmocka_run_group_tests_name("outcome", tests, unit_setup, NULL);
}
