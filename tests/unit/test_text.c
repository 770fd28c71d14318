/*
 * test_text.c - UTF-8 validation and the safe display of untrusted names, with Arabic.
 */
#include "tests/unit/unit.h"
#include "vault/text.h"

static void test_utf8(void **state)
{
	(void)state;
	static const char *good[] = {
		"", "ascii", "الأمانة العامة لمجلس وزراء الداخلية العرب",
		"مُؤْتَمَرٌ", /* diacritics */
		"مـــؤتمر",    /* tatweel */
		"INTERPOL الإنتربول (Lyon)", /* mixed direction */
		"\xf0\x9f\x93\x9c", /* U+1F4DC */
	};
	static const char *bad[] = {
		"\x80", "\xc0\xaf", "\xe0\x80\xaf", /* overlong */
		"\xed\xa0\x80",                     /* surrogate */
		"\xf4\x90\x80\x80",                 /* above U+10FFFF */
		"\xd8",                             /* truncated Arabic letter */
		"\xff",
	};
	for (size_t i = 0; i < sizeof good / sizeof *good; i++)
		assert_true(text_utf8_valid(good[i], strlen(good[i])));
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		assert_false(text_utf8_valid(bad[i], strlen(bad[i])));
}

static void check_display(const char *in, const char *want)
{
	char *out = text_display(in, strlen(in));
	assert_string_equal(out, want);
	free(out);
}

static void test_display(void **state)
{
	(void)state;
	/* Arabic, diacritics, tatweel and mixed direction pass through untouched. */
	check_display("مُؤْتَمَرٌ مـــؤتمر INTERPOL", "مُؤْتَمَرٌ مـــؤتمر INTERPOL");
	/* Bidi overrides, isolates, marks and invisible characters are shown. */
	check_display("\xe2\x80\xae" "CBA", "\\u{202E}CBA");
	check_display("a\xe2\x81\xa6" "b\xe2\x81\xa9", "a\\u{2066}b\\u{2069}");
	check_display("\xd8\x9c" "x", "\\u{061C}x");
	check_display("x\xe2\x80\x8b" "y", "x\\u{200B}y");
	check_display("x\xef\xbb\xbf", "x\\u{FEFF}");
	check_display("x\xe2\x80\x8f", "x\\u{200F}");
	check_display("\x1b[31mred", "\\u{001B}[31mred");
	check_display("a\\b", "a\\\\b");
	check_display("a\nb\tc", "a\\nb\tc");
	check_display("bad\xff", "bad\\xFF");
}

static void test_names(void **state)
{
	(void)state;
	assert_null(text_name_problem("وزارة الداخلية — تونس", 256));
	assert_null(text_name_problem("\xe2\x80\xae" "spoof", 256)); /* stored as given, shown escaped */
	assert_non_null(text_name_problem("", 256));
	assert_non_null(text_name_problem("   ", 256));
	assert_non_null(text_name_problem("a\nb", 256));
	assert_non_null(text_name_problem("a\x7f", 256));
	assert_non_null(text_name_problem("\xc2\x85", 256)); /* C1 NEL */
	assert_non_null(text_name_problem("\xd8", 256));
	assert_non_null(text_name_problem("abcd", 3));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_display),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests_name("text", tests, unit_setup, NULL);
}
