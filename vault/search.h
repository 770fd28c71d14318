/*
 * search.h - finding records in Arabic (and other languages) whatever the spelling.
 *
 * The vault's records_fts table (SQLite FTS5) indexes titles and bodies through amana's own
 * tokenizer, "amana", which folds each word before it is indexed or searched:
 *   - Arabic diacritics (harakat U+064B-U+065F, superscript alef U+0670), and tatweel U+0640,
 *     are dropped, so مُؤْتَمَر and مـؤتمر both match مؤتمر;
 *   - hamza and alef forms are unified: أ إ آ ٱ -> ا, ى -> ي, ة -> ه, ؤ -> و, ئ -> ي;
 *   - Latin letters are compared without case;
 *   - a word that begins with the definite article (ال, or وال بال كال فال لل) is indexed
 *     both whole and without it, so that مؤتمر finds المؤتمر.
 * Words are runs of letters and digits; everything else (spaces, punctuation, Arabic comma
 * and question mark) separates them. Stored text is never altered: the folding happens in
 * the index, and snippets are cut from the original text.
 */
#ifndef AMANA_SEARCH_H
#define AMANA_SEARCH_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "vault/err.h"

/* Registers the "amana" FTS5 tokenizer on a connection (before the FTS table is used). */
int search_register(sqlite3 *db, struct err *e);

/* Folds one code point as the tokenizer does: returns the folded code point, 0 when it is
 * dropped inside a word (diacritics, tatweel), or -1 when it separates words. */
int32_t search_fold_cp(uint32_t cp);

/* Folds text into a malloc'd NUL-terminated string of words separated by single spaces (for
 * tests and for showing what a query becomes). */
char *search_fold(const char *s, size_t n);

/* Turns what a user typed into an FTS5 MATCH expression that cannot be misread as FTS5
 * syntax: each word quoted, all required; a trailing '*' asks for a prefix. NULL when there is
 * no word in it. malloc'd. */
char *search_query(const char *typed);

/* How many words search_query finds in what was typed. */
size_t search_query_words(const char *typed);

/* A snippet of text[0..n) around the first word that the query typed matches (as the index
 * would match it: folded, with or without its article, a prefix for a trailing '*'): up to
 * six words before and after, cut from the original text, the word in [brackets] and '…'
 * where text was left out. NULL when no word matches. In one pass over the text, for
 * records too long for FTS5's snippet(), whose time grows with the square of the hits.
 * malloc'd. */
char *search_snippet(const char *text, size_t n, const char *typed);

#endif
