/*
 * text.h - UTF-8 text as amana handles it: strict validation, and showing untrusted text
 * (names, titles, comments) so that it cannot disguise itself.
 *
 * Stored text is never altered. Only when text is shown are bidi controls (which can make
 * "ACME" read as "EMCA"), zero-width and other invisible format characters, C0/C1 controls
 * other than TAB, and bytes that are not UTF-8 replaced by visible escapes: \u{202E}, \x80,
 * \\ and \n.
 */
#ifndef AMANA_TEXT_H
#define AMANA_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* True when s[0..n) is well-formed UTF-8: shortest forms only, no surrogates, <= U+10FFFF. */
bool text_utf8_valid(const char *s, size_t n);

/* Decodes one well-formed code point at s (n bytes available); returns its length in bytes
 * and stores it in *cp, or returns 0 when the bytes there are not UTF-8. */
size_t text_utf8_next(const char *s, size_t n, uint32_t *cp);

/* True for the code points text_display escapes: controls, bidi controls, invisible format
 * characters (zero-width space/joiners, word joiner, BOM, soft hyphen, Arabic letter mark...).
 * text_display itself lets TAB through and writes LF as \n. */
bool text_cp_hidden(uint32_t cp);

/* True when s[0..n) contains a control character (C0 other than none, DEL, C1). */
/* s is exactly n lower-case hex digits. */
bool text_lower_hex(const char *s, size_t n);

/* A decimal at s without a leading zero (0 itself is one digit), at most 18 digits (so that
 * it fits in 63 bits): *v gets it and *end the first byte after it. */
bool text_decimal(const char *s, uint64_t *v, const char **end);

bool text_has_controls(const char *s, size_t n);

/* Returns a malloc'd, NUL-terminated form of s[0..n) that is safe to show on a terminal. */
char *text_display(const char *s, size_t n);

/* As text_display, for text of several lines (a record's body): line feeds are kept. */
char *text_display_block(const char *s, size_t n);

/* Checks a user-given name (of a key, issuer, recipient): non-empty, at most max bytes, valid
 * UTF-8, no control characters, not only spaces. Returns NULL when fine, else a short reason. */
const char *text_name_problem(const char *s, size_t max);

#endif
