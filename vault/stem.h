/*
 * stem.h - the stems of one search word: Arabic light stemming after Larkey, Ballesteros and
 * Connell's light10, and Porter's algorithm for English words.
 *
 * A stem is what a word is indexed under besides itself, so that a search for the dictionary
 * form finds the word with its attached conjunction, preposition or article and its common
 * suffixes (وتمويله for تمويل, بالعملات for عملة), and "committees" finds "committee". The
 * input is a word already folded by search_fold_cp (no diacritics or tatweel, one alef, ة
 * written ه, ى written ي, Latin in lowercase), so the rules below are written on folded
 * letters. docs/format.md ("Search") is the normative description; the rules are:
 *
 * Arabic (a word made only of the Arabic letters U+0621-U+063A and U+0641-U+064A):
 *   - readings: the word; the word without the article form that starts it (light10's
 *     وال بال كال فال لل ال, the longest, when two letters remain); or else, for a word
 *     starting with a one-letter proclitic و ف ب ك ل, the word without it (and without an
 *     article form after it), and without two of them (و or ف, then ب ك or ل), each only
 *     when three letters remain. A first letter that may be the word's own (وزير, كتاب,
 *     لجنة) is why a reading never replaces the word: it is one more stem;
 *   - each reading gives itself and itself without its suffixes, taken off the end once
 *     each, in this order, leaving at least two letters (three in a reading that lost a
 *     one-letter proclitic, and where said): a pronoun or the ة (ها; هما and هم leaving
 *     three; ه), and after ها هما هم the ي of a construct plural (موظفيها) leaving three;
 *     the tanween alef (اتفاقاً) leaving three, when no pronoun came off; the plural ات, or,
 *     when no pronoun came off, the dual and plurals ان ين ون leaving three. When a
 *     pronoun, the ة or a dual leaves a final ت (دولتين, خدمتها), the stem without that ت
 *     is one more. A stem that is a particle (إلى على في من...) is dropped;
 *   - two words match when they have a stem in common.
 *   The suffixes are light10's (ها ان ات ون ين يه ية ه ة ي) but for what tests/search
 *   measured (docs/performance.md): the ي of a relative adjective is kept (الدولي is not
 *   دولة, الزراعية is not زراعة), so the ي of يه and ية too; هم هما, the tanween alef and
 *   the ت of ة are added; ان ين ون leave three letters.
 * English (a word of 3 to 64 ASCII letters): the word, and its stem by Porter's algorithm
 *   (1980), with the two departures of his own C version that SQLite's FTS5 "porter"
 *   tokenizer also makes (logi -> log, bli -> ble), so that the stems are the ones FTS5
 *   would make.
 * Any other word (digits, other scripts, mixed) has one stem: itself.
 */
#ifndef AMANA_STEM_H
#define AMANA_STEM_H

#include <stdbool.h>
#include <stddef.h>

/* The longest word the tokenizer keeps, in bytes (longer words are cut there). */
#define STEM_WORD_MAX 1024
/* The most stems one word has: three readings (the word, and its article's or one and two
 * proclitics' readings), three stems each. */
#define STEM_MAX 9

/* A word's stems, distinct, the first being the word itself. Each s[i] points into
 * the word given to stem_word, or into porter[] for an English stem; s[i] is not
 * NUL-terminated, len[i] bytes long and never empty. */
struct stems {
	size_t n;
	const char *s[STEM_MAX];
	size_t len[STEM_MAX];
	char porter[66];
};

/* Fills *out with the stems of the folded word w[0..wl); returns out->n (1 at least, for a
 * word of one byte or more). Pure: the same word always gives the same stems in the same
 * order, which is what lets the index and the query agree. */
size_t stem_word(const char *w, size_t wl, struct stems *out);

/* True when the folded word w[0..wl) is one the Arabic rules apply to. */
bool stem_is_arabic(const char *w, size_t wl);

/* Porter's stem of the lowercase ASCII word w[0..wl) (3 to 64 letters a-z), written to
 * out[]; returns its length. A word outside those bounds is copied as it is (up to 64). */
size_t stem_porter(const char *w, size_t wl, char out[66]);

#endif
