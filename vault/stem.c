/*
 * stem.c - Arabic light stemming and Porter's English stemmer, on folded words. See stem.h
 * for the rules; docs/format.md ("Search") states them normatively.
 *
 * Arabic is worked on in UTF-8 directly: every letter the rules apply to (U+0621-U+064A) is
 * two bytes long, so a count of letters is half a count of bytes and every stem is a slice
 * of the word.
 */
#include "vault/stem.h"

#include <stdint.h>
#include <string.h>

/* ---- Arabic ------------------------------------------------------------------------------ */

/* Letters as their two UTF-8 bytes. */
#define ALEF "\xd8\xa7"
#define AIN "\xd8\xb9"
#define DAL "\xd8\xaf"
#define QAF "\xd9\x82"
#define BEH "\xd8\xa8"
#define TEH "\xd8\xaa"
#define FEH "\xd9\x81"
#define KAF "\xd9\x83"
#define LAM "\xd9\x84"
#define MEEM "\xd9\x85"
#define NOON "\xd9\x86"
#define HEH "\xd9\x87"
#define WAW "\xd9\x88"
#define YEH "\xd9\x8a"

/* How few letters a removal may leave: two after an article form or a suffix, as light10;
 * three after a one-letter proclitic (whose letter may be the word's own), after هم and
 * هما, after the tanween alef, and after the ي of a plural before a pronoun. */
#define REST 2
#define REST_SAFE 3

bool stem_is_arabic(const char *w, size_t wl)
{
	if (wl == 0 || wl % 2)
		return false;
	for (size_t i = 0; i < wl; i += 2) {
		unsigned char a = (unsigned char)w[i], b = (unsigned char)w[i + 1];
		bool ok = (a == 0xd8 && b >= 0xa1 && b <= 0xba) || (a == 0xd9 && b >= 0x81 && b <= 0x8a);
		if (!ok)
			return false;
	}
	return true;
}

static bool letter_is(const char *w, const char *l)
{
	return w[0] == l[0] && w[1] == l[1];
}

/* w (n letters) ends with the letters of s. */
static bool ends_with(const char *w, size_t n, const char *s)
{
	size_t k = strlen(s) / 2;
	return n >= k && memcmp(w + 2 * (n - k), s, 2 * k) == 0;
}

/* The article forms of light10, longest first. */
static const char *const articles[] = {
	WAW ALEF LAM, BEH ALEF LAM, KAF ALEF LAM, FEH ALEF LAM, LAM LAM, ALEF LAM,
};

/* Letters of the article form that starts w (n letters), if at least rest letters remain
 * after it; 0 when none does. */
static size_t article_letters(const char *w, size_t n, size_t rest)
{
	for (size_t i = 0; i < sizeof articles / sizeof *articles; i++) {
		size_t k = strlen(articles[i]) / 2;
		if (n >= k + rest && memcmp(w, articles[i], 2 * k) == 0)
			return k;
	}
	return 0;
}

/* Particles a stem must not be, folded: a word that loses its ة or its article must not
 * turn into one of these (آلية into إلى), or a search for the particle would find it. */
static const char *const particles[] = {
	ALEF LAM YEH, AIN LAM YEH, AIN NOON, FEH YEH, MEEM NOON, ALEF LAM ALEF, LAM ALEF, MEEM ALEF,
	ALEF NOON, ALEF WAW, LAM MEEM, LAM NOON, QAF DAL, HEH LAM,
};

static bool is_particle(const char *s, size_t len)
{
	for (size_t i = 0; i < sizeof particles / sizeof *particles; i++)
		if (strlen(particles[i]) == len && memcmp(particles[i], s, len) == 0)
			return true;
	return false;
}

static void add(struct stems *out, const char *s, size_t letters)
{
	size_t len = 2 * letters;
	if (out->n && is_particle(s, len))
		return; /* the word itself is kept whatever it is */
	for (size_t i = 0; i < out->n; i++)
		if (out->len[i] == len && memcmp(out->s[i], s, len) == 0)
			return;
	if (out->n < STEM_MAX) {
		out->s[out->n] = s;
		out->len[out->n++] = len;
	}
}

/* Removes the suffix s from r (*n letters) when it ends it and at least rest letters remain. */
static bool cut(const char *r, size_t *n, const char *s, size_t rest)
{
	size_t k = strlen(s) / 2;
	if (*n < k + rest || !ends_with(r, *n, s))
		return false;
	*n -= k;
	return true;
}

/* One reading r (n letters) of a word: r itself, r without its suffixes, and, when what a
 * suffix left ends in ت, without that ت too (the ة of a feminine noun is written ت before a
 * suffix: دولتين, خدمتها). rest is the fewest letters a removal may leave. */
static void add_reading(struct stems *out, const char *r, size_t n, size_t rest)
{
	size_t safe = rest > REST_SAFE ? rest : REST_SAFE;
	size_t m = n, t = 0;
	add(out, r, n);
	/* 1. A pronoun, or the ة (ه once folded): ها هما هم ه. After ها هما هم, the ي of a
	 * plural's construct form goes too (موظفيها). */
	bool pronoun = cut(r, &m, HEH ALEF, rest) || cut(r, &m, HEH MEEM ALEF, safe) ||
		       cut(r, &m, HEH MEEM, safe);
	bool any = pronoun || cut(r, &m, HEH, rest);
	if (pronoun)
		cut(r, &m, YEH, REST_SAFE);
	if (any && ends_with(r, m, TEH) && m >= 1 + rest)
		t = m - 1;
	/* 2. The tanween alef of an indefinite accusative (اتفاقاً), when nothing came after it. */
	if (!any)
		cut(r, &m, ALEF, REST_SAFE);
	/* 3. The sound feminine plural ات; and, when no pronoun or ة came off (before a pronoun
	 * they lose their ن), the dual and the sound masculine plurals ان ين ون, leaving three. */
	bool dual = false;
	if (cut(r, &m, ALEF TEH, rest))
		t = 0; /* the ت was the plural's (خدماته) */
	else if (!any) {
		dual = cut(r, &m, ALEF NOON, safe) || cut(r, &m, YEH NOON, safe);
		if (!dual)
			cut(r, &m, WAW NOON, safe);
	}
	if (dual && ends_with(r, m, TEH) && m >= 1 + rest)
		t = m - 1;
	add(out, r, m);
	if (t)
		add(out, r, t);
}

static void arabic_stems(const char *w, size_t n, struct stems *out)
{
	add_reading(out, w, n, REST);
	/* An article form. */
	size_t k = article_letters(w, n, REST);
	if (k) {
		add_reading(out, w + 2 * k, n - k, REST);
		return;
	}
	/* One or two one-letter proclitics: و ف (conjunctions), ب ك ل (prepositions), and an
	 * article form after one of them. */
	bool conj = letter_is(w, WAW) || letter_is(w, FEH);
	bool prep = letter_is(w, BEH) || letter_is(w, KAF) || letter_is(w, LAM);
	if (!(conj || prep) || n < 1 + REST_SAFE)
		return;
	size_t a = article_letters(w + 2, n - 1, REST_SAFE);
	add_reading(out, w + 2 + 2 * a, n - 1 - a, REST_SAFE);
	if (conj && !a && n >= 2 + REST_SAFE &&
	    (letter_is(w + 2, BEH) || letter_is(w + 2, KAF) || letter_is(w + 2, LAM)))
		add_reading(out, w + 4, n - 2, REST_SAFE);
}

/* ---- English: Porter (1980) ---------------------------------------------------------------- */

/* The word being stemmed: b[0..k). */
struct porter {
	char *b;
	size_t k;
};

/* True when b[i] is a consonant: not a e i o u, and y only after a vowel or first. */
static bool cons(const char *b, size_t i)
{
	switch (b[i]) {
	case 'a': case 'e': case 'i': case 'o': case 'u':
		return false;
	case 'y':
		return i == 0 || !cons(b, i - 1);
	default:
		return true;
	}
}

/* m, the number of vowel-consonant sequences of b[0..j): [C](VC){m}[V]. */
static int measure(const char *b, size_t j)
{
	int m = 0;
	size_t i = 0;
	while (i < j && cons(b, i))
		i++;
	while (i < j) {
		while (i < j && !cons(b, i))
			i++;
		if (i == j)
			break;
		while (i < j && cons(b, i))
			i++;
		m++;
	}
	return m;
}

static bool has_vowel(const char *b, size_t j)
{
	for (size_t i = 0; i < j; i++)
		if (!cons(b, i))
			return true;
	return false;
}

/* b[0..j) ends with two equal consonants. */
static bool double_cons(const char *b, size_t j)
{
	return j >= 2 && b[j - 1] == b[j - 2] && cons(b, j - 1);
}

/* b[0..j) ends consonant-vowel-consonant, the last not w, x or y (*o in the paper). */
static bool cvc(const char *b, size_t j)
{
	if (j < 3 || !cons(b, j - 3) || cons(b, j - 2) || !cons(b, j - 1))
		return false;
	char c = b[j - 1];
	return c != 'w' && c != 'x' && c != 'y';
}

static bool ends(const struct porter *p, const char *s)
{
	size_t n = strlen(s);
	return p->k >= n && memcmp(p->b + p->k - n, s, n) == 0;
}

/* Replaces the last strlen(s) letters by r. */
static void replace(struct porter *p, const char *s, const char *r)
{
	size_t n = strlen(s), rn = strlen(r);
	memcpy(p->b + p->k - n, r, rn);
	p->k = p->k - n + rn;
}

/* A rule: suffix, replacement. */
struct rule {
	const char *suffix, *repl;
};

/* Applies the first rule whose suffix ends the word (the lists put a longer suffix before
 * any shorter one it ends with), when the rest has a measure above min_m; the rules after it
 * are not tried, as in the paper. */
static void apply(struct porter *p, const struct rule *rules, size_t n, int min_m)
{
	for (size_t i = 0; i < n; i++)
		if (ends(p, rules[i].suffix)) {
			if (measure(p->b, p->k - strlen(rules[i].suffix)) > min_m)
				replace(p, rules[i].suffix, rules[i].repl);
			return;
		}
}

static void step1ab(struct porter *p)
{
	/* 1a: plurals. */
	if (ends(p, "sses") || ends(p, "ies"))
		p->k -= 2;
	else if (ends(p, "s") && !ends(p, "ss"))
		p->k -= 1;
	/* 1b: -eed, -ed, -ing. */
	if (ends(p, "eed")) {
		if (measure(p->b, p->k - 3) > 0)
			p->k -= 1;
		return;
	}
	size_t cut = 0;
	if (ends(p, "ed") && has_vowel(p->b, p->k - 2))
		cut = 2;
	else if (ends(p, "ing") && has_vowel(p->b, p->k - 3))
		cut = 3;
	if (!cut)
		return;
	p->k -= cut;
	if (ends(p, "at") || ends(p, "bl") || ends(p, "iz")) {
		p->b[p->k++] = 'e';
	} else if (double_cons(p->b, p->k)) {
		char c = p->b[p->k - 1];
		if (c != 'l' && c != 's' && c != 'z')
			p->k -= 1;
	} else if (measure(p->b, p->k) == 1 && cvc(p->b, p->k)) {
		p->b[p->k++] = 'e';
	}
}

static void step1c(struct porter *p)
{
	if (ends(p, "y") && has_vowel(p->b, p->k - 1))
		p->b[p->k - 1] = 'i';
}

static const struct rule step2_rules[] = {
	{"ational", "ate"}, {"tional", "tion"}, {"enci", "ence"}, {"anci", "ance"}, {"izer", "ize"},
	{"logi", "log"}, {"bli", "ble"}, {"alli", "al"}, {"entli", "ent"}, {"eli", "e"},
	{"ousli", "ous"}, {"ization", "ize"}, {"ation", "ate"}, {"ator", "ate"}, {"alism", "al"},
	{"iveness", "ive"}, {"fulness", "ful"}, {"ousness", "ous"}, {"aliti", "al"},
	{"iviti", "ive"}, {"biliti", "ble"},
};

static const struct rule step3_rules[] = {
	{"icate", "ic"}, {"ative", ""}, {"alize", "al"}, {"iciti", "ic"}, {"ical", "ic"},
	{"ful", ""}, {"ness", ""},
};

/* Step 4 removes these when the measure is above 1 (-ion only after s or t). */
static const char *const step4_suffixes[] = {
	"al", "ance", "ence", "er", "ic", "able", "ible", "ant", "ement", "ment", "ent", "ion",
	"ou", "ism", "ate", "iti", "ous", "ive", "ize",
};

static void step4(struct porter *p)
{
	for (size_t i = 0; i < sizeof step4_suffixes / sizeof *step4_suffixes; i++) {
		const char *s = step4_suffixes[i];
		if (!ends(p, s))
			continue;
		size_t j = p->k - strlen(s);
		if (strcmp(s, "ion") == 0 && !(j > 0 && (p->b[j - 1] == 's' || p->b[j - 1] == 't')))
			continue; /* not this rule: -ou and the others may still end the word */
		if (measure(p->b, j) > 1)
			p->k = j;
		return;
	}
}

static void step5(struct porter *p)
{
	if (ends(p, "e")) {
		int m = measure(p->b, p->k - 1);
		if (m > 1 || (m == 1 && !cvc(p->b, p->k - 1)))
			p->k -= 1;
	}
	if (ends(p, "ll") && measure(p->b, p->k) > 1)
		p->k -= 1;
}

size_t stem_porter(const char *w, size_t wl, char out[66])
{
	if (wl > 64)
		wl = 64;
	memcpy(out, w, wl);
	if (wl < 3)
		return wl;
	for (size_t i = 0; i < wl; i++)
		if (w[i] < 'a' || w[i] > 'z')
			return wl;
	struct porter p = {out, wl};
	step1ab(&p);
	if (p.k > 0)
		step1c(&p);
	apply(&p, step2_rules, sizeof step2_rules / sizeof *step2_rules, 0);
	apply(&p, step3_rules, sizeof step3_rules / sizeof *step3_rules, 0);
	step4(&p);
	step5(&p);
	return p.k;
}

/* ---- both ----------------------------------------------------------------------------------- */

static bool ascii_letters(const char *w, size_t wl)
{
	for (size_t i = 0; i < wl; i++)
		if (w[i] < 'a' || w[i] > 'z')
			return false;
	return wl > 0;
}

size_t stem_word(const char *w, size_t wl, struct stems *out)
{
	out->n = 0;
	if (wl == 0)
		return 0;
	if (stem_is_arabic(w, wl)) {
		arabic_stems(w, wl / 2, out);
	} else if (wl >= 3 && wl <= 64 && ascii_letters(w, wl)) {
		out->s[0] = w;
		out->len[0] = wl;
		out->n = 1;
		size_t pl = stem_porter(w, wl, out->porter);
		if (pl != wl || memcmp(out->porter, w, wl) != 0) {
			out->s[1] = out->porter;
			out->len[1] = pl;
			out->n = 2;
		}
	} else {
		out->s[0] = w;
		out->len[0] = wl;
		out->n = 1;
	}
	return out->n;
}
