/*
 * search.h - finding records in Arabic (and other languages) whatever the spelling and the
 * attached letters.
 *
 * The vault's records_fts table (SQLite FTS5) indexes titles and bodies through amana's
 * tokenizer "amana2". It folds each word before it is indexed or searched:
 *   - Arabic diacritics (harakat U+064B-U+065F, superscript alef U+0670), Quranic marks and
 *     tatweel U+0640 are dropped, so مُؤْتَمَر and مـؤتمر both match مؤتمر;
 *   - hamza and alef forms are unified: أ إ آ ٱ -> ا, ى -> ي, ة -> ه, ؤ -> و, ئ -> ي;
 *   - Arabic-Indic digits are 0-9 and letters are compared without case.
 * Words are runs of letters and digits; everything else (spaces, punctuation, Arabic comma
 * and question mark, bidi controls) separates them.
 *
 * Each folded word is indexed as itself and, at the same position and behind the marker '~',
 * as each of its stems (vault/stem.h: Arabic light stemming, Porter for English) that differs
 * from it. A query word matches a record's word when the two are equal or share a stem;
 * records with the words as typed rank first (amana_exact below). A word or phrase typed in
 * double quotes matches only its exact folded form. Stored text is never altered: folding
 * and stemming happen in the index, and snippets are cut from the original text.
 *
 * The tokenizer "amana" (no stems: the article and one-letter prefixes only) is still
 * registered: migration 4 of an old vault builds its index with it, and migration 7 drops
 * that index for one built by "amana2". docs/format.md ("Search") is the normative text.
 */
#ifndef AMANA_SEARCH_H
#define AMANA_SEARCH_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vault/err.h"
#include "vault/stem.h"

/* The byte that starts a stem's token in the index; folding never leaves it in a word. */
#define SEARCH_STEM_MARK '~'

/* Registers the tokenizers "amana2" and "amana" and the ranking function amana_exact on a
 * connection (before the FTS table is used). */
int search_register(sqlite3 *db, struct err *e);

/* Folds one code point as the tokenizer does: returns the folded code point, 0 when it is
 * dropped inside a word (diacritics, tatweel), or -1 when it separates words. */
int32_t search_fold_cp(uint32_t cp);

/* Folds text into a malloc'd NUL-terminated string of words separated by single spaces (for
 * tests and for showing what a query becomes). */
char *search_fold(const char *s, size_t n);

/* How many words search_query_init would find in what was typed. */
size_t search_query_words(const char *typed);

/* One word of a query, folded. */
struct search_word {
	char *w;
	size_t len;
	bool quoted; /* typed inside double quotes: its exact form only */
	bool prefix; /* the last word, typed with a trailing '*' */
	size_t group; /* the words of one quoted phrase share it; any other word has its own */
	struct stems stems; /* of w, for a word not quoted */
};

/* What a user typed, made into an FTS5 query that cannot be misread as FTS5 syntax. */
struct search_query {
	char *match; /* the MATCH expression: one group per word or quoted phrase, all required */
	char *kinds; /* one letter per phrase of match, in order: 'w' a word as typed, 's' a
		      * stem or a word's stem as a whole word, 'q' a quoted phrase; what
		      * amana_exact(records_fts, kinds) is given */
	struct search_word *words;
	size_t n;    /* words; 0 when nothing typed is a word (match and kinds are NULL) */
};

/* Reads what was typed: words as the tokenizer folds them; a double quote opens a phrase
 * that the next one closes (or the end of the text does); a '*' at the very end (after the
 * last word or its closing quote) makes the last word a prefix. -1 only when out of memory.
 * Free with search_query_free, on success or failure. */
int search_query_init(struct search_query *q, const char *typed, struct err *e);

void search_query_free(struct search_query *q);

/* A snippet of text[0..n) around the first word that one of q's words matches, as the index
 * would match it (the same folded form, or a stem in common, or a prefix): up to six words
 * before and after, cut from the original text, the word in [brackets] and '…' where text
 * was left out. NULL when no word matches. In one pass over the text, for records too long
 * for FTS5's snippet(), whose time grows with the square of the hits. malloc'd. */
char *search_snippet(const char *text, size_t n, const struct search_query *q);

#endif
