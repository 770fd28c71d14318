/*
 * text.c - UTF-8 validation and safe display. See text.h.
 */
#include "vault/text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t text_utf8_next(const char *str, size_t n, uint32_t *cp)
{
	const unsigned char *s = (const unsigned char *)str;
	if (n == 0)
		return 0;
	unsigned char c = s[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	size_t len;
	uint32_t v, min;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		v = c & 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		v = c & 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		v = c & 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return len;
}

bool text_utf8_valid(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		uint32_t cp;
		size_t k = text_utf8_next(s + i, n - i, &cp);
		if (k == 0)
			return false;
		i += k;
	}
	return true;
}

bool text_cp_hidden(uint32_t cp)
{
	if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
		return true; /* C0, DEL, C1 */
	switch (cp) {
	case 0x00ad: /* soft hyphen */
	case 0x034f: /* combining grapheme joiner */
	case 0x061c: /* Arabic letter mark */
	case 0x115f: case 0x1160: /* Hangul fillers */
	case 0x17b4: case 0x17b5:
	case 0x180e: /* Mongolian vowel separator */
	case 0x3164: case 0xffa0:
	case 0xfeff: /* BOM / zero-width no-break space */
		return true;
	}
	if (cp >= 0x200b && cp <= 0x200f)
		return true; /* zero-width space, ZWNJ, ZWJ, LRM, RLM */
	if (cp >= 0x2028 && cp <= 0x202e)
		return true; /* line/paragraph separators, LRE RLE PDF LRO RLO */
	if (cp >= 0x2060 && cp <= 0x206f)
		return true; /* word joiner, invisible operators, LRI RLI FSI PDI, deprecated */
	if (cp >= 0xfff9 && cp <= 0xfffb)
		return true; /* interlinear annotation */
	if (cp >= 0xe0000 && cp <= 0xe007f)
		return true; /* tags */
	return false;
}

bool text_has_controls(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		uint32_t cp;
		size_t k = text_utf8_next(s + i, n - i, &cp);
		if (k == 0) {
			i++;
			continue;
		}
		if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
			return true;
		i += k;
	}
	return false;
}

static char *display(const char *s, size_t n, bool keep_lf);

char *text_display(const char *s, size_t n)
{
	return display(s, n, false);
}

char *text_display_block(const char *s, size_t n)
{
	return display(s, n, true);
}

static char *display(const char *s, size_t n, bool keep_lf)
{
	/* Worst case: every byte becomes "\xNN" (4), every code point "\u{10FFFF}" (10). */
	size_t cap = n * 10 + 1;
	char *out = malloc(cap);
	if (!out)
		return NULL;
	size_t o = 0, i = 0;
	while (i < n) {
		uint32_t cp;
		size_t k = text_utf8_next(s + i, n - i, &cp);
		if (k == 0) {
			o += (size_t)snprintf(out + o, cap - o, "\\x%02X", (unsigned char)s[i]);
			i++;
			continue;
		}
		if (cp == '\\') {
			out[o++] = '\\';
			out[o++] = '\\';
		} else if (cp == '\t') {
			out[o++] = '\t'; /* visible as space; trusted comments use it */
		} else if (cp == '\n') {
			if (!keep_lf)
				out[o++] = '\\';
			out[o++] = keep_lf ? '\n' : 'n';
		} else if (text_cp_hidden(cp)) {
			o += (size_t)snprintf(out + o, cap - o, "\\u{%04X}", (unsigned)cp);
		} else {
			memcpy(out + o, s + i, k);
			o += k;
		}
		i += k;
	}
	out[o] = '\0';
	return out;
}

const char *text_name_problem(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n == 0)
		return "it is empty";
	if (n > max)
		return "it is too long";
	if (!text_utf8_valid(s, n))
		return "it is not valid UTF-8";
	if (text_has_controls(s, n))
		return "it contains control characters";
	if (strspn(s, " ") == n)
		return "it is only spaces";
	return NULL;
}

bool text_lower_hex(const char *s, size_t n)
{
	return strlen(s) == n && strspn(s, "0123456789abcdef") == n;
}

bool text_decimal(const char *s, uint64_t *v, const char **end)
{
	size_t n = strspn(s, "0123456789");
	if (n == 0 || n > 18 || (n > 1 && s[0] == '0'))
		return false;
	*v = strtoull(s, NULL, 10);
	*end = s + n;
	return true;
}
