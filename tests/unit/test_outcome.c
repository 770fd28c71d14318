/*
 * test_outcome.c - outcome.json: the conference 24 example loads byte for byte; every kind
 * of mistake is refused with its JSON path.
 */
#include <sys/stat.h>
#include <unistd.h>

#include "tests/unit/unit.h"
#include "vault/io.h"
#include "vault/outcome.h"

#define EX "docs/examples/conference-24/"

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
	for (size_t i = 0; i < o.nrecords; i++)
		assert_non_null(strstr(seed, o.records[i].body));
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
	assert_int_equal(outcome_parse(buf, strlen(buf), NULL, &o, &e), 0);
	assert_string_equal(o.records[0].title, "عنوان");
	outcome_free(&o);
	/* Escapes decode to the same bytes: \u0639 is ع. */
	const char *esc = "{\"conference\":{\"series\":\"s\",\"number\":1,\"title\":\"t\",\"venue\":\"\",\"held_from\":\"2025-01-31\",\"held_to\":\"2025-02-01\",\"organizer\":\"\"},"
			  "\"participants\":[{\"name\":\"\\u0639\",\"kind\":\"organization\"}],"
			  "\"records\":[{\"kind\":\"decision\",\"lang\":\"ar-EG\",\"title\":\"x\",\"body\":\"a\\nb\\u0640\"}],\"attachments\":[]}";
	assert_int_equal(outcome_parse(esc, strlen(esc), NULL, &o, &e), 0);
	assert_string_equal(o.participants[0].name, "ع");
	assert_string_equal(o.records[0].body, "a\nbـ");
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conference_24),
		cmocka_unit_test(test_minimal_and_round_trip),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_media_types),
	};
	return cmocka_run_group_tests_name("outcome", tests, unit_setup, NULL);
}
