/*
 * test_search.c - Arabic-aware search (vault/search.h): how each code point folds, how text
 * folds into words, how what a user types becomes an FTS5 query that cannot be misread as
 * FTS5 syntax, and the "amana2" tokenizer at work in an in-memory SQLite with a table like
 * the vault's records_fts (external content over a records table, schema/vault.sql).
 *
 * The FTS5 part checks that documents written with and without diacritics, tatweel and
 * hamza/alef forms all match each spelling of a query, that the definite article, the
 * prefixes carrying it (ال وال بال كال فال لل), the one-letter proclitics and the common
 * suffixes do not hide a word (light stemming, vault/stem.h), that a quoted word matches its
 * exact form only, that records with the word as typed rank first (amana_exact), that Latin
 * case, English inflection and Arabic-Indic digits do not matter, and that snippet() and
 * highlight() cut the ORIGINAL text, diacritics and all, never the folded one. The old
 * tokenizer "amana" is still there for the migrations of old vaults, unchanged.
 */
#include <sqlite3.h>

#include "tests/unit/unit.h"
#include "vault/search.h"

/* ---- search_fold_cp ---------------------------------------------------------------------- */

/* search_fold(in) must be want. */
static void check_fold(const char *in, const char *want)
{
	char *got = search_fold(in, strlen(in));
	assert_non_null(got);
	if (strcmp(got, want) != 0)
		fail_msg("search_fold(\"%s\") = \"%s\", want \"%s\"", in, got, want);
	free(got);
}

static void test_fold_cp_dropped(void **state)
{
	(void)state;
	static const struct {
		uint32_t cp;
		const char *name;
	} dropped[] = {
		{0x064b, "fathatan"}, {0x064c, "dammatan"}, {0x064d, "kasratan"},
		{0x064e, "fatha"},    {0x064f, "damma"},    {0x0650, "kasra"},
		{0x0651, "shadda"},   {0x0652, "sukun"},    {0x0653, "maddah above"},
		{0x0654, "hamza above"}, {0x0655, "hamza below"}, {0x0670, "superscript alef"},
		{0x0640, "tatweel"},
	};
	for (size_t i = 0; i < sizeof dropped / sizeof *dropped; i++)
		if (search_fold_cp(dropped[i].cp) != 0)
			fail_msg("%s U+%04X folds to %d, not dropped", dropped[i].name, (unsigned)dropped[i].cp,
				 (int)search_fold_cp(dropped[i].cp));
}

static void test_fold_cp_letters(void **state)
{
	(void)state;
	/* Hamza and alef forms. */
	assert_int_equal(search_fold_cp(0x0623), 0x0627); /* أ */
	assert_int_equal(search_fold_cp(0x0625), 0x0627); /* إ */
	assert_int_equal(search_fold_cp(0x0622), 0x0627); /* آ */
	assert_int_equal(search_fold_cp(0x0671), 0x0627); /* ٱ */
	assert_int_equal(search_fold_cp(0x0627), 0x0627); /* ا stays */
	assert_int_equal(search_fold_cp(0x0649), 0x064a); /* ى -> ي */
	assert_int_equal(search_fold_cp(0x0629), 0x0647); /* ة -> ه */
	assert_int_equal(search_fold_cp(0x0624), 0x0648); /* ؤ -> و */
	assert_int_equal(search_fold_cp(0x0626), 0x064a); /* ئ -> ي */
	assert_int_equal(search_fold_cp(0x0621), 0x0621); /* ء stays a letter */
	/* Every other Arabic letter is itself. */
	for (uint32_t cp = 0x0628; cp <= 0x064a; cp++) {
		if (cp == 0x0629 || cp == 0x0640 || cp == 0x0649 || (cp >= 0x063b && cp <= 0x063f))
			continue;
		if (search_fold_cp(cp) != (int32_t)cp)
			fail_msg("U+%04X folds to U+%04X", (unsigned)cp, (unsigned)search_fold_cp(cp));
	}
	/* Latin: case goes, letters and digits stay. */
	for (uint32_t c = 'A'; c <= 'Z'; c++)
		assert_int_equal(search_fold_cp(c), (int32_t)(c + 32));
	for (uint32_t c = 'a'; c <= 'z'; c++)
		assert_int_equal(search_fold_cp(c), (int32_t)c);
	for (uint32_t c = '0'; c <= '9'; c++)
		assert_int_equal(search_fold_cp(c), (int32_t)c);
	assert_int_equal(search_fold_cp(0x00c9), 0x00e9); /* É -> é */
	assert_int_equal(search_fold_cp(0x00e9), 0x00e9);
}

/* Latin letters beyond Latin-1 have case too: French Œ, Turkish Ğ and Ş, Polish Ł, Czech Č
 * (search.c says it lowercases "Latin-1 and Latin Extended-A capitals"). */
static void test_fold_cp_latin_extended(void **state)
{
	(void)state;
	static const struct {
		uint32_t upper, lower;
		const char *name;
	} pairs[] = {
		{0x0152, 0x0153, "OE ligature"}, {0x011e, 0x011f, "G with breve"},
		{0x015e, 0x015f, "S with cedilla"}, {0x0141, 0x0142, "L with stroke"},
		{0x010c, 0x010d, "C with caron"}, {0x0100, 0x0101, "A with macron"},
		{0x0178, 0x00ff, "Y with diaeresis"},
	};
	for (size_t i = 0; i < sizeof pairs / sizeof *pairs; i++) {
		assert_int_equal(search_fold_cp(pairs[i].lower), (int32_t)pairs[i].lower);
		if (search_fold_cp(pairs[i].upper) != (int32_t)pairs[i].lower)
			fail_msg("%s: U+%04X folds to U+%04X, not to its lowercase U+%04X", pairs[i].name,
				 (unsigned)pairs[i].upper, (unsigned)search_fold_cp(pairs[i].upper),
				 (unsigned)pairs[i].lower);
	}
	check_fold("ŒUVRE DAVUTOĞLU", "œuvre davutoğlu");
}

static void test_fold_cp_digits(void **state)
{
	(void)state;
	for (uint32_t i = 0; i < 10; i++) {
		assert_int_equal(search_fold_cp(0x0660 + i), (int32_t)('0' + i)); /* ٠..٩ */
		assert_int_equal(search_fold_cp(0x06f0 + i), (int32_t)('0' + i)); /* ۰..۹ */
	}
}

static void test_fold_cp_separators(void **state)
{
	(void)state;
	static const uint32_t seps[] = {
		' ', '\t', '\n', '\r', ',', '.', ';', ':', '?', '!', '"', '\'', '(', ')', '*', '^', '-',
		'+', '/', '\\', '{', '}', '[', ']',
		0x060c, /* Arabic comma */
		0x061b, /* Arabic semicolon */
		0x061f, /* Arabic question mark */
		0x066a, 0x066b, 0x066c, 0x066d, 0x06d4, /* percent, decimal and thousands separators, full stop */
		0x00ab, 0x00bb, 0x00a0, /* « » no-break space */
		0x200f, 0x200e, 0x202b, 0x2066, 0x2014, 0x2026, 0xfeff, 0x3000,
	};
	for (size_t i = 0; i < sizeof seps / sizeof *seps; i++)
		if (search_fold_cp(seps[i]) != -1)
			fail_msg("U+%04X folds to %d, not a separator", (unsigned)seps[i], (int)search_fold_cp(seps[i]));
}

/* ---- search_fold --------------------------------------------------------------------------- */

static void test_fold_text(void **state)
{
	(void)state;
	check_fold("مُؤْتَمَرٌ", "موتمر");
	check_fold("مـــؤتمر", "موتمر");
	check_fold("مـؤتـمـر", "موتمر");
	check_fold("المُؤْتَمَرُ العَرَبِيُّ", "الموتمر العربي");
	check_fold("الشَّرِكَةِ", "الشركه");
	check_fold("أحمد إلى آخر ٱلكتاب", "احمد الي اخر الكتاب");
	check_fold("مدرسة", "مدرسه");
	check_fold("سُؤال رئيس", "سوال رييس");
	check_fold("مسؤولين عن مكافحة الإرهاب", "مسوولين عن مكافحه الارهاب");
	check_fold("عام ١٤٤٦ هـ / ۲۰۲۴", "عام 1446 ه 2024");
	check_fold("نعم،لا؟بلى؛ربما", "نعم لا بلي ربما");
	check_fold("«الأمن» العربي.", "الامن العربي");
	check_fold("Hello, WORLD! INTERPOL-Europol", "hello world interpol europol");
	check_fold("UN Office (UNOCT) مكتب", "un office unoct مكتب");
	check_fold("", "");
	check_fold("   ،؟ ", "");
	check_fold("ـــ ً", ""); /* a word of tatweel and diacritics only is no word */
	check_fold("  كلمة   \n\tأخرى  ", "كلمه اخري");
	check_fold("\xe2\x80\x8fعربي\xe2\x80\x8e English", "عربي english"); /* RLM, LRM */
}

/* ---- search_query ------------------------------------------------------------------------- */

/* search_query_init(typed) must give the MATCH expression want and the phrase kinds kinds
 * (want NULL: no word). */
static void check_query(const char *typed, const char *want, const char *kinds)
{
	struct search_query q;
	struct err e;
	assert_int_equal(search_query_init(&q, typed, &e), 0);
	if (!want) {
		if (q.n || q.match)
			fail_msg("search_query_init(\"%s\") = \"%s\", want no word", typed, q.match);
		search_query_free(&q);
		return;
	}
	if (!q.match || strcmp(q.match, want) != 0)
		fail_msg("search_query_init(\"%s\") = \"%s\", want \"%s\"", typed, q.match ? q.match : "(null)", want);
	if (strcmp(q.kinds, kinds) != 0)
		fail_msg("search_query_init(\"%s\"): kinds \"%s\", want \"%s\"", typed, q.kinds, kinds);
	search_query_free(&q);
}

static void test_query_quoting(void **state)
{
	(void)state;
	/* A word: itself, then each stem behind '~' and, but for itself, as a word. */
	check_query("مؤتمر", "(\"موتمر\" OR \"~موتمر\")", "ws");
	check_query("مُؤْتَمَرات", "(\"موتمرات\" OR \"~موتمرات\" OR \"~موتمر\" OR \"موتمر\")", "wsss");
	check_query("المُؤْتَمَر العربي",
		    "(\"الموتمر\" OR \"~الموتمر\" OR \"~موتمر\" OR \"موتمر\") AND "
		    "(\"العربي\" OR \"~العربي\" OR \"~عربي\" OR \"عربي\")", "wsssws" "ss");
	/* FTS5 syntax typed is words. */
	check_query("a OR b", "(\"a\" OR \"~a\") AND (\"or\" OR \"~or\") AND (\"b\" OR \"~b\")", "wswsws");
	check_query("NEAR(a b, 3)", "(\"near\" OR \"~near\") AND (\"a\" OR \"~a\") AND (\"b\" OR \"~b\") AND (\"3\" OR \"~3\")", "wswswsws");
	check_query("title:x", "(\"title\" OR \"~title\" OR \"~titl\" OR \"titl\") AND (\"x\" OR \"~x\")", "wsssws");
	check_query("{x}: y ^z -w +v", "(\"x\" OR \"~x\") AND (\"y\" OR \"~y\") AND (\"z\" OR \"~z\") AND "
		    "(\"w\" OR \"~w\") AND (\"v\" OR \"~v\")", "wswswswsws");
	check_query("a*b", "(\"a\" OR \"~a\") AND (\"b\" OR \"~b\")", "wsws");
	check_query("a* b", "(\"a\" OR \"~a\") AND (\"b\" OR \"~b\")", "wsws");
	/* Double quotes: the exact folded form, a phrase for several words. */
	check_query("\"مؤتمر\"", "\"موتمر\"", "q");
	check_query("\"المُؤْتَمَر العربي\"", "\"الموتمر العربي\"", "q");
	check_query("\"a b\" c", "\"a b\" AND (\"c\" OR \"~c\")", "qws");
	check_query("\"a\" \"b\"", "\"a\" AND \"b\"", "qq");
	check_query("\"a\"\"b\"", "\"a\" AND \"b\"", "qq");
	check_query("a\"b", "(\"a\" OR \"~a\") AND \"b\"", "wsq"); /* a quote left open runs to the end */
	check_query("\"a", "\"a\"", "q");
	check_query("a\"", "(\"a\" OR \"~a\")", "ws");
	/* A trailing '*' asks for a prefix: of the word, and of its stems. */
	check_query("مؤتم*", "(\"موتم\"* OR \"~موتم\"*)", "ws");
	check_query("مؤتم*  ", "(\"موتم\"* OR \"~موتم\"*)", "ws");
	check_query("الأمن مؤتم*", "(\"الامن\" OR \"~الامن\" OR \"~امن\" OR \"امن\") AND (\"موتم\"* OR \"~موتم\"*)", "wsssws");
	check_query("\"a b*\"", "\"a b\"*", "q");
	check_query("\"a b\"*", "\"a b\"*", "q");
	/* No word, no query. */
	check_query("", NULL, NULL);
	check_query("   ", NULL, NULL);
	check_query("*", NULL, NULL);
	check_query("\"\" ^ * : ( )", NULL, NULL);
	check_query("،؟؛", NULL, NULL);
	check_query("ـــَ", NULL, NULL);
	check_query("~", NULL, NULL);
}

/* ---- the tokenizer in FTS5 ---------------------------------------------------------------- */

static sqlite3 *db;

static void exec(const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg ? msg : "?");
}

/* Documents, rowid = index + 1: (title, body). */
static const char *const docs[][2] = {
	/* 1 */ {"افتتاح", "انعقد المُؤْتَمَرُ العَرَبِيُّ في تونس"},
	/* 2 */ {"افتتاح", "انعقد المـــؤتمر العربي في تونس"},
	/* 3 */ {"ختام", "توصيات والمؤتمر الختامية"},
	/* 4 */ {"إشادة", "أشاد الوزراء بالمؤتمر"},
	/* 5 */ {"مقارنة", "كالمؤتمر السابق"},
	/* 6 */ {"نهاية", "فالمؤتمر انتهى"},
	/* 7 */ {"كلمة", "كلمة للمؤتمر"},
	/* 8 */ {"صحافة", "مؤتمر صحفي"},
	/* 9 */ {"مكافحة", "مكافحة الإرهاب"},
	/* 10 */ {"مكافحه", "مكافحه الارهاب"},
	/* 11 */ {"مكافحة", "مُكَافَحَةُ الإِرْهَابِ"},
	/* 12 */ {"ضد", "ضد إرهاب الجماعات"},
	/* 13 */ {"توصية", "أوصى المؤتمر بالإسراع إلى التنفيذ"},
	/* 14 */ {"توصيه", "اوصي المؤتمر بالاسراع الي التنفيذ"},
	/* 15 */ {"الشرطة", "منظمة الشرطة الجنائية الدولية INTERPOL"},
	/* 16 */ {"تعاون", "تعاون مع interpol و Europol"},
	/* 17 */ {"الرئاسة", "رئيس الجلسة هو مسؤول الملف"},
	/* 18 */ {"تاريخ", "عام ١٤٤٦ هـ"},
	/* 19 */ {"تاريخ", "في عام 1446"},
	/* 20 */ {"alpha beta", "-"},
	/* 21 */ {"-", "alpha or beta"},
	/* 22 */ {"-", "alpha not beta"},
	/* 23 */ {"-", "near alpha beta"},
	/* 24 */ {"-", "title alpha"},
	/* 25 */ {"لا شيء", "لا علاقة لهذا النص بشيء"},
	/* 26 */ {"الـمُـؤتـمـر", "عنوان بالتطويل"},
};
#define NDOCS (sizeof docs / sizeof *docs)

static int fts_setup(void **state)
{
	(void)state;
	struct err e;
	if (sqlite3_open(":memory:", &db) != SQLITE_OK)
		return -1;
	if (search_register(db, &e) != 0) {
		fprintf(stderr, "search_register: %s\n", e.msg);
		return -1;
	}
	/* As schema/vault.sql has it: an external-content index over records. */
	if (sqlite3_exec(db,
			 "CREATE TABLE records (title TEXT NOT NULL, body TEXT NOT NULL);"
			 "CREATE VIRTUAL TABLE records_fts USING fts5(title, body, content = 'records',"
			 " content_rowid = 'rowid', tokenize = 'amana2');",
			 NULL, NULL, NULL) != SQLITE_OK)
		return -1;
	sqlite3_stmt *ins, *idx;
	if (sqlite3_prepare_v2(db, "INSERT INTO records (rowid, title, body) VALUES (?1, ?2, ?3)", -1, &ins, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO records_fts (rowid, title, body) VALUES (?1, ?2, ?3)", -1, &idx, NULL) != SQLITE_OK)
		return -1;
	for (size_t i = 0; i < NDOCS; i++) {
		sqlite3_stmt *sts[2] = {ins, idx};
		for (int k = 0; k < 2; k++) {
			sqlite3_bind_int64(sts[k], 1, (sqlite3_int64)i + 1);
			sqlite3_bind_text(sts[k], 2, docs[i][0], -1, SQLITE_STATIC);
			sqlite3_bind_text(sts[k], 3, docs[i][1], -1, SQLITE_STATIC);
			if (sqlite3_step(sts[k]) != SQLITE_DONE)
				return -1;
			sqlite3_reset(sts[k]);
		}
	}
	sqlite3_finalize(ins);
	sqlite3_finalize(idx);
	return 0;
}

static int fts_teardown(void **state)
{
	(void)state;
	sqlite3_close(db);
	db = NULL;
	return 0;
}

/* The rowids matching what a user typed, ascending, as "1 2 3" (malloc'd); the query must
 * run without error whatever was typed. */
static char *run_query(const char *typed, const char *order)
{
	struct search_query q;
	struct err e;
	if (search_query_init(&q, typed, &e) != 0 || !q.match)
		fail_msg("search_query_init(\"%s\"): no query", typed);
	char sql[256];
	snprintf(sql, sizeof sql, "SELECT rowid FROM records_fts WHERE records_fts MATCH ?1 ORDER BY %s", order);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("prepare: %s", sqlite3_errmsg(db));
	sqlite3_bind_text(st, 1, q.match, -1, SQLITE_STATIC);
	if (sqlite3_bind_parameter_count(st) >= 2)
		sqlite3_bind_text(st, 2, q.kinds, -1, SQLITE_STATIC);
	char buf[512] = "";
	size_t n = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%lld", n ? " " : "", sqlite3_column_int64(st, 0));
	if (rc != SQLITE_DONE)
		fail_msg("MATCH %s (typed \"%s\"): %s", q.match, typed, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	search_query_free(&q);
	char *out = strdup(buf);
	assert_non_null(out);
	return out;
}

static char *matches(const char *typed)
{
	return run_query(typed, "rowid");
}

static void check_matches(const char *typed, const char *want)
{
	char *got = matches(typed);
	if (strcmp(got, want) != 0)
		fail_msg("\"%s\" matches rows [%s], want [%s]", typed, got, want);
	free(got);
}

/* Every spelling in the NULL-terminated list matches exactly the rows want. */
static void check_spellings(const char *const *spellings, const char *want)
{
	for (size_t i = 0; spellings[i]; i++)
		check_matches(spellings[i], want);
}

/* Every spelling in the NULL-terminated list matches the same rows, and those include each
 * row of must ("1 2 3"). */
static void check_same(const char *const *spellings, const char *must)
{
	char *first = matches(spellings[0]);
	char padded[600];
	snprintf(padded, sizeof padded, " %s ", first);
	for (const char *m = must; *m;) {
		size_t k = strcspn(m, " ");
		char id[16];
		snprintf(id, sizeof id, " %.*s ", (int)k, m);
		if (!strstr(padded, id))
			fail_msg("\"%s\" does not find row%s(it finds [%s])", spellings[0], id, first);
		m += k + (m[k] == ' ');
	}
	for (size_t i = 1; spellings[i]; i++) {
		char *other = matches(spellings[i]);
		if (strcmp(other, first) != 0)
			fail_msg("\"%s\" matches [%s] but \"%s\" matches [%s]", spellings[i], other, spellings[0], first);
		free(other);
	}
	free(first);
}

static void test_fts_diacritics_tatweel(void **state)
{
	(void)state;
	/* مؤتمر in any spelling finds it bare, with diacritics, with tatweel, and behind the
	 * article and every prefix that carries it. */
	static const char *const conf[] = {"مؤتمر", "مُؤْتَمَر", "مُؤْتَمَرٌ", "مـؤتمـر", "مـــؤتـــمـــر", "موتمر", NULL};
	check_spellings(conf, "1 2 3 4 5 6 7 8 13 14 26");
	/* With the article: every spelling finds the same rows, among them those that have the
	 * article form in any spelling. */
	static const char *const conf_al[] = {"المؤتمر", "المُؤْتَمَرُ", "الموتمر", "المـؤتمر", "ٱلمؤتمر", NULL};
	check_same(conf_al, "1 2 13 14 26");
	/* Diacritics and tatweel in the query only. */
	static const char *const tunis[] = {"تونس", "تُونِس", "تـونـس", NULL};
	check_spellings(tunis, "1 2");
	static const char *const arab[] = {"العربي", "العَرَبِيُّ", "العـربـي", NULL};
	check_spellings(arab, "1 2");
}

static void test_fts_hamza_alef_forms(void **state)
{
	(void)state;
	static const char *const terror[] = {"إرهاب", "ارهاب", "أرهاب", "إِرْهَاب", "إرهـــاب", "آرهاب", "ٱرهاب",
					     "\xd8\xa7\xd9\x95رهاب", /* alef + combining hamza below */
					     NULL};
	check_spellings(terror, "9 10 11 12");
	static const char *const the_terror[] = {"الإرهاب", "الارهاب", "الإِرْهَابِ", "الإرهـــاب", "ٱلإرهاب", NULL};
	check_same(the_terror, "9 10 11");
	/* ة and ه. */
	static const char *const combat[] = {"مكافحة", "مكافحه", "مُكَافَحَةُ", NULL};
	check_spellings(combat, "9 10 11");
	/* ى and ي, أ and ا. */
	static const char *const recommended[] = {"أوصى", "اوصي", "أَوْصَى", "اوصى", "أوصي", NULL};
	check_spellings(recommended, "13 14");
	static const char *const to[] = {"إلى", "الي", "الى", "إلي", "إِلَى", NULL};
	check_spellings(to, "13 14");
	static const char *const hasten[] = {"بالإسراع", "بالاسراع", "إسراع", "اسراع", NULL};
	check_spellings(hasten, "13 14");
	/* ئ and ؤ. */
	static const char *const president[] = {"رئيس", "رَئِيس", "رييس", NULL};
	check_spellings(president, "17");
	static const char *const official[] = {"مسؤول", "مسوول", "مَسْؤُول", NULL};
	check_spellings(official, "17");
}

static void test_fts_article(void **state)
{
	(void)state;
	/* Each prefix carrying the article, found from the bare word. */
	check_matches("الختامية", "3");
	check_matches("ختامية", "3");
	check_matches("وزراء", "4");
	check_matches("سابق", "5");
	check_matches("شرطة", "15");
	check_matches("جنائية", "15");
	check_matches("جماعات", "12");
	/* A query word loses its article, whichever prefix carries it: "للمؤتمر", "والمؤتمر" and
	 * "بالمؤتمر" all look for مؤتمر, and find it in every form. A word that merely starts
	 * like the article keeps its own letters: "الي" is not indexed as "ي". */
	check_matches("للمؤتمر", "1 2 3 4 5 6 7 8 13 14 26");
	check_matches("والمؤتمر", "1 2 3 4 5 6 7 8 13 14 26");
	check_matches("بالمؤتمر", "1 2 3 4 5 6 7 8 13 14 26");
	check_matches("ي", "");
}

static void test_fts_latin_and_digits(void **state)
{
	(void)state;
	static const char *const interpol[] = {"interpol", "INTERPOL", "Interpol", "iNtErPoL", NULL};
	check_spellings(interpol, "15 16");
	static const char *const europol[] = {"EUROPOL", "europol", NULL};
	check_spellings(europol, "16");
	static const char *const year[] = {"1446", "١٤٤٦", "۱۴۴۶", NULL};
	check_spellings(year, "18 19");
}

static void test_fts_operators_are_text(void **state)
{
	(void)state;
	/* Unquoted, these would be FTS5 syntax; typed by a user they are words. */
	check_matches("alpha OR beta", "21");
	check_matches("alpha NOT beta", "22");
	check_matches("NEAR(alpha beta)", "23");
	check_matches("title:alpha", "24");
	check_matches("^alpha", "20 21 22 23 24");
	check_matches("\"alpha beta\"", "20 23"); /* a phrase: the words one after the other */
	check_matches("\"alpha", "20 21 22 23 24");
	check_matches("alpha)", "20 21 22 23 24");
	check_matches("(alpha", "20 21 22 23 24");
	check_matches("{body}: alpha", "");
	check_matches("alpha AND", "");
	check_matches("alpha + beta", "20 21 22 23");
	/* A trailing '*' is a prefix query; without it, a part of a word finds nothing. */
	check_matches("alp*", "20 21 22 23 24");
	check_matches("alp", "");
	check_matches("مؤتم*", "1 2 3 4 5 6 7 8 13 14 26");
	check_matches("مؤتم", "");
	check_matches("إره*", "9 10 11 12");
	/* Nothing matches: an empty result, not an error. */
	check_matches("كلمةغيرموجودة", "");
}

/* The text snippet() / highlight() give for row with a query, as the vault shows it. */
static char *cut(const char *fn, sqlite3_int64 row, const char *typed)
{
	char sql[256];
	struct search_query q;
	struct err e;
	assert_int_equal(search_query_init(&q, typed, &e), 0);
	assert_non_null(q.match);
	snprintf(sql, sizeof sql, "SELECT %s FROM records_fts WHERE records_fts MATCH ?1 AND rowid = ?2", fn);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	sqlite3_bind_text(st, 1, q.match, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, row);
	if (sqlite3_step(st) != SQLITE_ROW)
		fail_msg("row %lld does not match \"%s\": %s", (long long)row, typed, sqlite3_errmsg(db));
	char *out = strdup((const char *)sqlite3_column_text(st, 0));
	assert_non_null(out);
	sqlite3_finalize(st);
	search_query_free(&q);
	return out;
}

static void check_cut(const char *fn, sqlite3_int64 row, const char *typed, const char *want)
{
	char *got = cut(fn, row, typed);
	if (strcmp(got, want) != 0)
		fail_msg("%s of row %lld for \"%s\" is \"%s\", want \"%s\"", fn, (long long)row, typed, got, want);
	free(got);
}

static void test_fts_snippets_are_original_text(void **state)
{
	(void)state;
	const char *snip = "snippet(records_fts, 1, '[', ']', '…', 12)";
	const char *hl = "highlight(records_fts, 1, '[', ']')";
	/* Diacritics kept, whatever the spelling searched. */
	check_cut(snip, 1, "مؤتمر", "انعقد [المُؤْتَمَرُ] العَرَبِيُّ في تونس");
	check_cut(snip, 1, "المؤتمر", "انعقد [المُؤْتَمَرُ] العَرَبِيُّ في تونس");
	check_cut(snip, 1, "العربي", "انعقد المُؤْتَمَرُ [العَرَبِيُّ] في تونس");
	check_cut(hl, 1, "مُؤْتَمَر تونس", "انعقد [المُؤْتَمَرُ] العَرَبِيُّ في [تونس]");
	/* Tatweel kept. */
	check_cut(snip, 2, "مؤتمر", "انعقد [المـــؤتمر] العربي في تونس");
	/* Hamza forms kept. */
	check_cut(hl, 11, "ارهاب", "مُكَافَحَةُ [الإِرْهَابِ]");
	check_cut(hl, 11, "مكافحه", "[مُكَافَحَةُ] الإِرْهَابِ");
	check_cut(hl, 13, "اوصي الي", "[أوصى] المؤتمر بالإسراع [إلى] التنفيذ");
	/* Prefixes with the article: the whole word is marked. */
	check_cut(hl, 3, "مؤتمر", "توصيات [والمؤتمر] الختامية");
	check_cut(hl, 7, "مؤتمر", "كلمة [للمؤتمر]");
	/* Latin case and digits kept. */
	check_cut(hl, 15, "interpol", "منظمة الشرطة الجنائية الدولية [INTERPOL]");
	check_cut(hl, 18, "1446", "عام [١٤٤٦] هـ");
	/* The title column too. */
	check_cut("highlight(records_fts, 0, '[', ']')", 26, "مؤتمر", "[الـمُـؤتـمـر]");

	/* The stored text itself is never altered. */
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT rowid, title, body FROM records ORDER BY rowid", -1, &st, NULL), SQLITE_OK);
	size_t n = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		size_t i = (size_t)sqlite3_column_int64(st, 0) - 1;
		assert_string_equal((const char *)sqlite3_column_text(st, 1), docs[i][0]);
		assert_string_equal((const char *)sqlite3_column_text(st, 2), docs[i][1]);
		n++;
	}
	sqlite3_finalize(st);
	assert_int_equal(n, NDOCS);
}

/* The vault removes a bundle's records from the index with FTS5's 'delete' (the same
 * tokens must come out as went in), and the index stays consistent. */
static void test_fts_delete_and_integrity(void **state)
{
	(void)state;
	exec("INSERT INTO records_fts (records_fts) VALUES ('integrity-check')");
	exec("INSERT INTO records_fts (records_fts, rowid, title, body) SELECT 'delete', rowid, title, body FROM records WHERE rowid IN (1, 3, 11)");
	exec("DELETE FROM records WHERE rowid IN (1, 3, 11)");
	exec("INSERT INTO records_fts (records_fts) VALUES ('integrity-check')");
	check_matches("مؤتمر", "2 4 5 6 7 8 13 14 26");
	check_matches("ارهاب", "9 10 12");
	exec("INSERT INTO records_fts (records_fts) VALUES ('rebuild')");
	exec("INSERT INTO records_fts (records_fts) VALUES ('integrity-check')");
	check_matches("مُؤْتَمَر", "2 4 5 6 7 8 13 14 26");
}

/* search_snippet: the first word the query matches as the index would (diacritics, hamza,
 * article, prefix), in brackets, cut from the original text with its diacritics. */
static void expect_snippet(const char *text, const char *typed, const char *want)
{
	struct search_query q;
	struct err e;
	assert_int_equal(search_query_init(&q, typed, &e), 0);
	char *got = search_snippet(text, strlen(text), &q);
	search_query_free(&q);
	if (!want) {
		if (got)
			fail_msg("'%s' in '%s': expected no snippet, got '%s'", typed, text, got);
		return;
	}
	if (!got || strcmp(got, want) != 0)
		fail_msg("'%s' in '%s': expected '%s', got '%s'", typed, text, want, got ? got : "(none)");
	free(got);
}

static void test_snippet(void **state)
{
	(void)state;
	/* Whole text, the word with its diacritics kept. */
	expect_snippet("عقد الْمُؤْتَمَرُ دورته", "مؤتمر", "عقد [الْمُؤْتَمَرُ] دورته");
	/* Hamza and alef forms; tatweel. */
	expect_snippet("مكافحة الإرهـــاب", "ارهاب", "مكافحة [الإرهـــاب]");
	/* The proclitic و; a prefix query. */
	expect_snippet("وتعزيز التعاون", "تعزيز", "[وتعزيز] التعاون");
	expect_snippet("وتعزيز التعاون", "تعا*", "وتعزيز [التعاون]");
	/* Latin case; the first of several hits; words cut on both sides with an ellipsis. */
	expect_snippet("a b c d e f g h Terror i j k l m n o p", "terror",
		       "\xe2\x80\xa6" "d e f g h [Terror] i j k l m n" "\xe2\x80\xa6");
	expect_snippet("x terror y terror", "TERROR", "x [terror] y terror");
	/* No match; an empty query. */
	expect_snippet("لا شيء هنا", "مؤتمر", NULL);
	expect_snippet("لا شيء هنا", "  ", NULL);
	/* A long text: the first hit, far in, in one pass. */
	size_t n = 1u << 20;
	char *big = malloc(n + 64);
	assert_non_null(big);
	memset(big, 'a', n);
	for (size_t i = 100; i < n; i += 100)
		big[i] = ' ';
	strcpy(big + n, " القرار");
	struct search_query q;
	struct err e;
	assert_int_equal(search_query_init(&q, "قرار", &e), 0);
	char *got = search_snippet(big, strlen(big), &q);
	search_query_free(&q);
	assert_non_null(got);
	assert_non_null(strstr(got, "[القرار]"));
	free(got);
	free(big);
	assert_int_equal(search_query_words("في المنطقة ، العربية*"), 3);
}

/* ---- light stemming in the index ------------------------------------------------------------ */

/* Documents for the stemming tests, rowid = index + 1. */
static const char *const sdocs[][2] = {
	/* 1 */ {"تمويل الإرهاب", "مكافحة تمويل الإرهاب"},
	/* 2 */ {"-", "وتمويلِهِ من مصادر مشروعة"},
	/* 3 */ {"العملات", "التعامل بالعملات المشفرة"},
	/* 4 */ {"عملة", "إصدار عملة رقمية"},
	/* 5 */ {"الدول", "تعاون للدول الأعضاء"},
	/* 6 */ {"الدولة", "سيادة الدولة"},
	/* 7 */ {"القانون الدولي", "احترام القانون الدولي"},
	/* 8 */ {"المعلمون", "يستفيد المعلمون والمعلمات"},
	/* 9 */ {"committees", "The committees met"},
	/* 10 */ {"committee", "A committee report"},
	/* 11 */ {"عمل", "خطة عمل"},
	/* 12 */ {"-", "عملات عملات عملات بالعملات"},
	/* 13 */ {"-", "نص طويل فيه كلمات كثيرة لا علاقة لها بالموضوع ثم ذكر للعملة مرة واحدة في آخره "
		       "بعد كلام كثير عن أشياء أخرى لا صلة لها بما يبحث عنه القارئ في هذا المكان"},
	/* 14 */ {"عُمْلَةٌ", "عُمْلَةٌ"},
};
#define NSDOCS (sizeof sdocs / sizeof *sdocs)

static int stem_setup(void **state)
{
	(void)state;
	struct err e;
	if (sqlite3_open(":memory:", &db) != SQLITE_OK || search_register(db, &e) != 0)
		return -1;
	if (sqlite3_exec(db,
			 "CREATE TABLE records (title TEXT NOT NULL, body TEXT NOT NULL);"
			 "CREATE VIRTUAL TABLE records_fts USING fts5(title, body, content = 'records',"
			 " content_rowid = 'rowid', tokenize = 'amana2');",
			 NULL, NULL, NULL) != SQLITE_OK)
		return -1;
	sqlite3_stmt *ins;
	if (sqlite3_prepare_v2(db, "INSERT INTO records (rowid, title, body) VALUES (?1, ?2, ?3)", -1, &ins, NULL) != SQLITE_OK)
		return -1;
	for (size_t i = 0; i < NSDOCS; i++) {
		sqlite3_bind_int64(ins, 1, (sqlite3_int64)i + 1);
		sqlite3_bind_text(ins, 2, sdocs[i][0], -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 3, sdocs[i][1], -1, SQLITE_STATIC);
		if (sqlite3_step(ins) != SQLITE_DONE)
			return -1;
		sqlite3_reset(ins);
	}
	sqlite3_finalize(ins);
	return sqlite3_exec(db, "INSERT INTO records_fts (records_fts) VALUES ('rebuild')", NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

static void test_stem_matches(void **state)
{
	(void)state;
	/* The dictionary form finds the word with its proclitics and suffixes, and back. */
	check_matches("تمويل", "1 2");
	check_matches("وتمويله", "1 2");
	check_matches("الدولة", "5 6");
	check_matches("للدول", "5 6");
	check_matches("دولي", "7"); /* a relative adjective is not its noun */
	check_matches("معلم", "8");
	check_matches("المعلمات", "8");
	/* Light stemming's price: عملة (currency) and عمل (work) share the stem عمل. */
	check_matches("عملة", "3 4 11 12 13 14");
	check_matches("عمل", "3 4 11 12 13 14");
	/* English: Porter's stems. */
	check_matches("committee", "9 10");
	check_matches("Committees", "9 10");
	/* A prefix: of the word or of one of its stems. */
	check_matches("عمل*", "3 4 11 12 13 14");
	check_matches("commit*", "9 10");
}

static void test_stem_quoted(void **state)
{
	(void)state;
	/* Quoted: the exact folded form, diacritics and hamza aside, and nothing else. */
	check_matches("\"عملة\"", "4 14");
	check_matches("\"عُمْلَة\"", "4 14");
	check_matches("\"عمله\"", "4 14");
	check_matches("\"الدولة\"", "6");
	check_matches("\"الدولة\" الأعضاء", "");
	check_matches("\"للدول\" الأعضاء", "5");
	check_matches("\"committee\"", "10");
	check_matches("\"تمويل الإرهاب\"", "1");
	check_matches("\"الإرهاب تمويل\"", "");
	check_matches("\"تمو*\"", "1");
}

/* Parses "1 2 3" into ids (at most 64); returns how many. */
static size_t parse_ids(const char *s, long *ids)
{
	size_t n = 0;
	for (char *p = (char *)s; *p && n < 64;) {
		ids[n++] = strtol(p, &p, 10);
		while (*p == ' ')
			p++;
	}
	return n;
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;
	return (x > y) - (x < y);
}

/* The rows for typed, in the order the vault lists them, are the rows of first (in some
 * order), then those of rest (in some order). */
static void check_ranked(const char *typed, const char *first, const char *rest)
{
	char *got = run_query(typed, "amana_exact(records_fts, ?2) DESC, rank, rowid");
	long g[64], f[64], r[64];
	size_t ng = parse_ids(got, g), nf = parse_ids(first, f), nr = parse_ids(rest, r);
	bool ok = ng == nf + nr;
	qsort(f, nf, sizeof *f, cmp_long);
	qsort(r, nr, sizeof *r, cmp_long);
	if (ok) {
		qsort(g, nf, sizeof *g, cmp_long);
		qsort(g + nf, nr, sizeof *g, cmp_long);
		ok = memcmp(g, f, nf * sizeof *g) == 0 && memcmp(g + nf, r, nr * sizeof *g) == 0;
	}
	if (!ok)
		fail_msg("\"%s\" ranks rows [%s], want [%s] first, then [%s]", typed, got, first, rest);
	free(got);
}

static void test_stem_ranking(void **state)
{
	(void)state;
	/* bm25 alone does not put row 13 (the word as typed once, in a long text) first: the
	 * test would notice amana_exact missing. */
	char *bm25 = run_query("للعملة", "rank, rowid");
	assert_true(strncmp(bm25, "13 ", 3) != 0);
	free(bm25);
	/* Records with the word as typed come first, whatever bm25 says of the others. */
	check_ranked("للعملة", "13", "3 4 11 12 14");
	check_ranked("عملة", "4 14", "3 11 12 13");
	check_ranked("committee", "10", "9");
	check_ranked("committees", "9", "10");
	check_ranked("العملات", "3", "4 11 12 13 14");
	/* The kinds must fit the query. */
	struct search_query q;
	struct err e;
	assert_int_equal(search_query_init(&q, "عملة", &e), 0);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT amana_exact(records_fts, 'w') FROM records_fts WHERE records_fts MATCH ?1",
					    -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, q.match, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_ERROR);
	assert_non_null(strstr(sqlite3_errmsg(db), "phrase kinds"));
	sqlite3_finalize(st);
	search_query_free(&q);
}

static void test_stem_snippets(void **state)
{
	(void)state;
	const char *hl = "highlight(records_fts, 1, '[', ']')";
	/* A stem match is marked on the original word, diacritics kept. */
	check_cut(hl, 2, "تمويل", "[وتمويلِهِ] من مصادر مشروعة");
	check_cut(hl, 3, "عملة", "التعامل [بالعملات] المشفرة");
	check_cut(hl, 9, "committee", "The [committees] met");
	check_cut(hl, 14, "\"عملة\"", "[عُمْلَةٌ]");
	/* The same in one pass, for long records. */
	expect_snippet("التعامل بالعملات المشفرة", "عملة", "التعامل [بالعملات] المشفرة");
	expect_snippet("وتمويلِهِ من مصادر", "تمويل", "[وتمويلِهِ] من مصادر");
	expect_snippet("القانون الدولي والدولة", "دولة", "القانون الدولي [والدولة]");
	expect_snippet("بالعملات ثم عملة", "\"عملة\"", "بالعملات ثم [عملة]");
	expect_snippet("The committees met", "committee", "The [committees] met");
	expect_snippet("The committees met", "\"committee\"", NULL);
	expect_snippet("والمعلمات", "معلم*", "[والمعلمات]");
	/* The index stays consistent when rows are deleted with the same tokens. */
	exec("INSERT INTO records_fts (records_fts) VALUES ('integrity-check')");
	exec("INSERT INTO records_fts (records_fts, rowid, title, body) SELECT 'delete', rowid, title, body FROM records WHERE rowid IN (2, 3)");
	exec("DELETE FROM records WHERE rowid IN (2, 3)");
	exec("INSERT INTO records_fts (records_fts) VALUES ('integrity-check')");
	check_matches("تمويل", "1");
}

/* "amana" is still there, as it was, for an old vault's migrations; "amana2" takes no
 * argument, so that a table declared for other rules cannot be opened. */
static void test_tokenizer_versions(void **state)
{
	(void)state;
	struct err e;
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	assert_int_equal(search_register(db, &e), 0);
	exec("CREATE TABLE r (t TEXT); INSERT INTO r VALUES ('والمؤتمر'), ('المؤتمرات');"
	     "CREATE VIRTUAL TABLE f1 USING fts5(t, content = 'r', tokenize = 'amana');"
	     "INSERT INTO f1 (f1) VALUES ('rebuild'); INSERT INTO f1 (f1) VALUES ('integrity-check');");
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT group_concat(rowid) FROM f1 WHERE f1 MATCH ?1", -1, &st, NULL), SQLITE_OK);
	static const char *const v1[][2] = {
		{"\"موتمر\"", "1"}, {"\"الموتمر\"", "1"}, {"\"موتمرات\"", "2"}, {"\"~موتمر\"", "1"}, /* no stems */
	};
	for (size_t i = 0; i < sizeof v1 / sizeof *v1; i++) {
		sqlite3_bind_text(st, 1, v1[i][0], -1, SQLITE_STATIC);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		const char *got = (const char *)sqlite3_column_text(st, 0);
		if (strcmp(got ? got : "", v1[i][1]) != 0)
			fail_msg("amana: %s finds [%s], want [%s]", v1[i][0], got ? got : "", v1[i][1]);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	assert_int_not_equal(sqlite3_exec(db, "CREATE VIRTUAL TABLE f2 USING fts5(t, tokenize = 'amana2 3')", NULL, NULL, NULL), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(db, "CREATE VIRTUAL TABLE f3 USING fts5(t, tokenize = 'amana3')", NULL, NULL, NULL), SQLITE_OK);
	exec("DROP TABLE f1");
	sqlite3_close(db);
	db = NULL;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fold_cp_dropped),
		cmocka_unit_test(test_fold_cp_letters),
		cmocka_unit_test(test_fold_cp_latin_extended),
		cmocka_unit_test(test_fold_cp_digits),
		cmocka_unit_test(test_fold_cp_separators),
		cmocka_unit_test(test_fold_text),
		cmocka_unit_test(test_query_quoting),
		cmocka_unit_test(test_snippet),
		cmocka_unit_test_setup_teardown(test_fts_diacritics_tatweel, fts_setup, fts_teardown),
		cmocka_unit_test_setup_teardown(test_fts_hamza_alef_forms, fts_setup, fts_teardown),
		cmocka_unit_test_setup_teardown(test_fts_article, fts_setup, fts_teardown),
		cmocka_unit_test_setup_teardown(test_fts_latin_and_digits, fts_setup, fts_teardown),
		cmocka_unit_test_setup_teardown(test_fts_operators_are_text, fts_setup, fts_teardown),
		cmocka_unit_test_setup_teardown(test_fts_snippets_are_original_text, fts_setup, fts_teardown),
		cmocka_unit_test_setup_teardown(test_fts_delete_and_integrity, fts_setup, fts_teardown),
		cmocka_unit_test_setup_teardown(test_stem_matches, stem_setup, fts_teardown),
		cmocka_unit_test_setup_teardown(test_stem_quoted, stem_setup, fts_teardown),
		cmocka_unit_test_setup_teardown(test_stem_ranking, stem_setup, fts_teardown),
		cmocka_unit_test_setup_teardown(test_stem_snippets, stem_setup, fts_teardown),
		cmocka_unit_test(test_tokenizer_versions),
	};
	return cmocka_run_group_tests_name("search", tests, unit_setup, NULL);
}
