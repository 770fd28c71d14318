/*
 * search.c - the "amana" FTS5 tokenizer and query quoting. See search.h.
 */
#include "vault/search.h"

#include <locale.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <wctype.h>
#include <stdlib.h>
#include <string.h>

#include "vault/text.h"

int32_t search_fold_cp(uint32_t cp)
{
	if (cp < 0x80) {
		if ((cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z'))
			return (int32_t)cp;
		if (cp >= 'A' && cp <= 'Z')
			return (int32_t)(cp + 32);
		return -1;
	}
	/* Arabic block. */
	if ((cp >= 0x064b && cp <= 0x065f) || cp == 0x0670 || cp == 0x0640 ||
	    (cp >= 0x0610 && cp <= 0x061a) || (cp >= 0x06d6 && cp <= 0x06ed))
		return 0; /* harakat, tatweel, Quranic marks: dropped inside words */
	switch (cp) {
	case 0x0623: case 0x0625: case 0x0622: case 0x0671: return 0x0627; /* alef forms */
	case 0x0649: return 0x064a; /* alef maqsura -> yeh */
	case 0x0629: return 0x0647; /* teh marbuta -> heh */
	case 0x0624: return 0x0648; /* waw with hamza */
	case 0x0626: return 0x064a; /* yeh with hamza */
	case 0x060c: case 0x061b: case 0x061f: case 0x066a: case 0x066b: case 0x066c:
	case 0x066d: case 0x06d4: case 0x00ab: case 0x00bb: case 0x00a0:
		return -1; /* Arabic punctuation, guillemets, no-break space */
	}
	if (cp >= 0x0660 && cp <= 0x0669)
		return (int32_t)('0' + (cp - 0x0660)); /* Arabic-Indic digits */
	if (cp >= 0x06f0 && cp <= 0x06f9)
		return (int32_t)('0' + (cp - 0x06f0));
	/* Other scripts' capitals: the C library's Unicode case mapping, under a UTF-8 locale. */
	static locale_t loc;
	static bool tried;
	if (!tried) {
		tried = true;
		loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
		if (!loc)
			loc = newlocale(LC_CTYPE_MASK, "C.utf8", (locale_t)0);
	}
	if (loc && cp < 0x10000 && !(cp >= 0x0600 && cp <= 0x06ff)) {
		wint_t lower = towlower_l((wint_t)cp, loc);
		if (lower != (wint_t)cp && lower > 0x7f)
			cp = (uint32_t)lower;
	} else if (cp >= 0xc0 && cp <= 0xde && cp != 0xd7) {
		return (int32_t)(cp + 32); /* Latin-1 without a UTF-8 locale */
	}
	if (cp >= 0x2000 && cp <= 0x206f)
		return -1; /* general punctuation, spaces, bidi controls */
	if (text_cp_hidden(cp) || cp == 0x3000 || cp == 0xfeff)
		return -1;
	return (int32_t)cp;
}

/* Calls tok(ctx, word, len, start, end) for each folded word of s[0..n). */
static int each_word(const char *s, size_t n, void *ctx,
		     int (*tok)(void *ctx, const char *w, size_t wl, size_t start, size_t end))
{
	char word[1024];
	size_t wl = 0, start = 0, i = 0;
	while (i <= n) {
		uint32_t cp = 0;
		size_t k = i < n ? text_utf8_next(s + i, n - i, &cp) : 0;
		int32_t f = i < n ? (k ? search_fold_cp(cp) : -1) : -1;
		if (i < n && k == 0)
			k = 1;
		if (f < 0) {
			if (wl > 0) {
				int rc = tok(ctx, word, wl, start, i);
				if (rc)
					return rc;
			}
			wl = 0;
		} else if (f > 0) {
			if (wl == 0)
				start = i;
			char enc[4];
			size_t el;
			uint32_t c = (uint32_t)f;
			if (c < 0x80) {
				enc[0] = (char)c;
				el = 1;
			} else if (c < 0x800) {
				enc[0] = (char)(0xc0 | (c >> 6));
				enc[1] = (char)(0x80 | (c & 0x3f));
				el = 2;
			} else if (c < 0x10000) {
				enc[0] = (char)(0xe0 | (c >> 12));
				enc[1] = (char)(0x80 | ((c >> 6) & 0x3f));
				enc[2] = (char)(0x80 | (c & 0x3f));
				el = 3;
			} else {
				enc[0] = (char)(0xf0 | (c >> 18));
				enc[1] = (char)(0x80 | ((c >> 12) & 0x3f));
				enc[2] = (char)(0x80 | ((c >> 6) & 0x3f));
				enc[3] = (char)(0x80 | (c & 0x3f));
				el = 4;
			}
			if (wl + el <= sizeof word) {
				memcpy(word + wl, enc, el);
				wl += el;
			}
		}
		/* A diacritic before the first letter is dropped; the word starts at its first letter. */
		if (i == n)
			break;
		i += k;
	}
	return 0;
}

/* ---- the FTS5 tokenizer ------------------------------------------------------------------ */

struct tok_ctx {
	void *pctx;
	int (*xToken)(void *, int, const char *, int, int, int);
	bool document;
};

/* The definite article and the prefixes that carry it, as folded UTF-8: "وال", "بال", "كال",
 * "فال", "ال" and "لل"; and the one-letter prefixes و ف ب ل ك. A document word starting with
 * one is indexed again at the same position without it, so that a search for مؤتمر finds
 * المؤتمر and والمؤتمر, and مكافحة finds لمكافحة. A query word loses its article, so that
 * الإرهاب finds والإرهاب too. (The price: a few words that really begin with one of those
 * letters are also indexed shortened.) */
static size_t article_len(const char *w, size_t wl)
{
	static const char *const articles[] = {
		"\xd9\x88\xd8\xa7\xd9\x84", "\xd8\xa8\xd8\xa7\xd9\x84", "\xd9\x83\xd8\xa7\xd9\x84",
		"\xd9\x81\xd8\xa7\xd9\x84", "\xd8\xa7\xd9\x84", "\xd9\x84\xd9\x84",
	};
	for (size_t i = 0; i < sizeof articles / sizeof articles[0]; i++) {
		size_t pl = strlen(articles[i]);
		/* Keep at least two Arabic letters (4 bytes) after the prefix. */
		if (wl >= pl + 4 && memcmp(w, articles[i], pl) == 0)
			return pl;
	}
	return 0;
}

static size_t proclitic_len(const char *w, size_t wl)
{
	static const char *const letters[] = {
		"\xd9\x88", "\xd9\x81", "\xd8\xa8", "\xd9\x84", "\xd9\x83", /* و ف ب ل ك */
	};
	for (size_t i = 0; i < sizeof letters / sizeof letters[0]; i++)
		if (wl >= 2 + 6 && memcmp(w, letters[i], 2) == 0) /* three letters left at least */
			return 2;
	return 0;
}

static int emit(void *c, const char *w, size_t wl, size_t start, size_t end)
{
	struct tok_ctx *t = c;
	size_t al = article_len(w, wl);
	if (!t->document) /* a query word without its article */
		return t->xToken(t->pctx, 0, w + al, (int)(wl - al), (int)start, (int)end);
	int rc = t->xToken(t->pctx, 0, w, (int)wl, (int)start, (int)end);
	if (!al)
		al = proclitic_len(w, wl);
	if (rc == SQLITE_OK && al)
		rc = t->xToken(t->pctx, FTS5_TOKEN_COLOCATED, w + al, (int)(wl - al), (int)start, (int)end);
	return rc;
}

static int tok_create(void *user, const char **args, int nargs, Fts5Tokenizer **out)
{
	(void)user;
	(void)args;
	(void)nargs;
	*out = (Fts5Tokenizer *)(uintptr_t)1; /* stateless */
	return SQLITE_OK;
}

static void tok_delete(Fts5Tokenizer *t)
{
	(void)t;
}

static int tok_tokenize(Fts5Tokenizer *t, void *pctx, int flags, const char *text, int n,
			int (*xToken)(void *, int, const char *, int, int, int))
{
	(void)t;
	struct tok_ctx c = {pctx, xToken, (flags & FTS5_TOKENIZE_DOCUMENT) != 0};
	return each_word(text, n > 0 ? (size_t)n : 0, &c, emit);
}

int search_register(sqlite3 *db, struct err *e)
{
	static fts5_tokenizer tok = {tok_create, tok_delete, tok_tokenize};
	fts5_api *api = NULL;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, NULL) != SQLITE_OK)
		return err_set(e, ERR_INTERNAL, "this SQLite has no FTS5: %s", sqlite3_errmsg(db));
	sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr", NULL);
	sqlite3_step(st);
	sqlite3_finalize(st);
	if (!api || api->iVersion < 2)
		return err_set(e, ERR_INTERNAL, "this SQLite's FTS5 cannot take a tokenizer");
	if (api->xCreateTokenizer(api, "amana", NULL, &tok, NULL) != SQLITE_OK)
		return err_set(e, ERR_INTERNAL, "cannot register the search tokenizer");
	return 0;
}

/* ---- helpers ----------------------------------------------------------------------------- */

struct buf {
	char *s;
	size_t n, cap;
	bool quote; /* write words as FTS5 strings */
};

static int append(void *c, const char *w, size_t wl, size_t start, size_t end)
{
	struct buf *b = c;
	(void)start;
	(void)end;
	if (b->n + wl + 4 > b->cap) {
		size_t ncap = (b->cap + wl + 4) * 2;
		char *ns = realloc(b->s, ncap);
		if (!ns)
			return 1;
		b->s = ns;
		b->cap = ncap;
	}
	if (b->n)
		b->s[b->n++] = ' ';
	if (b->quote)
		b->s[b->n++] = '"';
	memcpy(b->s + b->n, w, wl); /* folded words hold no '"' */
	b->n += wl;
	if (b->quote)
		b->s[b->n++] = '"';
	b->s[b->n] = '\0';
	return 0;
}

char *search_fold(const char *s, size_t n)
{
	struct buf b = {NULL, 0, 0, false};
	if (each_word(s, n, &b, append) != 0) {
		free(b.s);
		return NULL;
	}
	return b.s ? b.s : strdup("");
}

char *search_query(const char *typed)
{
	struct buf b = {NULL, 0, 0, true};
	size_t n = strlen(typed);
	if (each_word(typed, n, &b, append) != 0 || !b.s) {
		free(b.s);
		return NULL;
	}
	/* A trailing '*' on what was typed asks for words starting with the last one. */
	size_t end = n;
	while (end > 0 && (typed[end - 1] == ' ' || typed[end - 1] == '\t'))
		end--;
	if (end > 0 && typed[end - 1] == '*') {
		char *ns = realloc(b.s, b.n + 2);
		if (!ns) {
			free(b.s);
			return NULL;
		}
		b.s = ns;
		b.s[b.n++] = '*';
		b.s[b.n] = '\0';
	}
	return b.s;
}

/* ---- one-pass snippets ------------------------------------------------------------------- */

static int count_word(void *c, const char *w, size_t wl, size_t start, size_t end)
{
	(void)w;
	(void)wl;
	(void)start;
	(void)end;
	(*(size_t *)c)++;
	return 0;
}

size_t search_query_words(const char *typed)
{
	size_t n = 0;
	each_word(typed, strlen(typed), &n, count_word);
	return n;
}

#define SNIP_AROUND 6

struct qwords {
	char **w;
	size_t *len;
	size_t n, cap;
};

static int add_qword(void *c, const char *w, size_t wl, size_t start, size_t end)
{
	struct qwords *q = c;
	(void)start;
	(void)end;
	size_t al = article_len(w, wl);
	if (q->n == q->cap) {
		size_t ncap = q->cap ? q->cap * 2 : 8;
		char **nw = realloc(q->w, ncap * sizeof *nw);
		if (!nw)
			return 1;
		q->w = nw;
		size_t *nl = realloc(q->len, ncap * sizeof *nl);
		if (!nl)
			return 1;
		q->len = nl;
		q->cap = ncap;
	}
	if (!(q->w[q->n] = malloc(wl - al + 1)))
		return 1;
	memcpy(q->w[q->n], w + al, wl - al);
	q->len[q->n++] = wl - al;
	return 0;
}

struct snip {
	const struct qwords *q;
	bool prefix;		   /* the last query word is a prefix */
	size_t starts[SNIP_AROUND]; /* the starts of the last words seen, a ring */
	size_t seen;		   /* words seen */
	size_t hit_start, hit_end; /* the matching word, once found */
	size_t after;		   /* words seen after it */
	size_t end;		   /* where the snippet ends */
	bool found;
};

static bool word_is(const struct snip *s, size_t i, const char *w, size_t wl)
{
	size_t ql = s->q->len[i];
	if (s->prefix && i + 1 == s->q->n)
		return wl >= ql && memcmp(w, s->q->w[i], ql) == 0;
	return wl == ql && memcmp(w, s->q->w[i], ql) == 0;
}

static bool matches(const struct snip *s, const char *w, size_t wl)
{
	size_t cut[3] = {0, article_len(w, wl), 0};
	cut[2] = cut[1] ? 0 : proclitic_len(w, wl);
	for (size_t i = 0; i < s->q->n; i++)
		for (size_t k = 0; k < 3; k++)
			if ((k == 0 || cut[k]) && word_is(s, i, w + cut[k], wl - cut[k]))
				return true;
	return false;
}

static int snip_word(void *c, const char *w, size_t wl, size_t start, size_t end)
{
	struct snip *s = c;
	if (s->found) {
		s->end = end;
		return ++s->after >= SNIP_AROUND ? 1 : 0;
	}
	s->starts[s->seen++ % SNIP_AROUND] = start;
	if (matches(s, w, wl)) {
		s->found = true;
		s->hit_start = start;
		s->hit_end = s->end = end;
	}
	return 0;
}

char *search_snippet(const char *text, size_t n, const char *typed)
{
	struct qwords q = {NULL, NULL, 0, 0};
	struct snip s;
	char *out = NULL;
	memset(&s, 0, sizeof s);
	if (each_word(typed, strlen(typed), &q, add_qword) != 0 || q.n == 0)
		goto done;
	size_t tl = strlen(typed);
	while (tl > 0 && (typed[tl - 1] == ' ' || typed[tl - 1] == '\t'))
		tl--;
	s.q = &q;
	s.prefix = tl > 0 && typed[tl - 1] == '*';
	each_word(text, n, &s, snip_word);
	if (!s.found)
		goto done;
	/* The oldest start in the ring: up to SNIP_AROUND - 1 words before the hit. */
	size_t from = s.seen > SNIP_AROUND ? s.starts[s.seen % SNIP_AROUND] : s.starts[0];
	const char *ell = "\xe2\x80\xa6"; /* … */
	bool cut_before = from > 0, cut_after = s.end < n;
	size_t len = (s.end - from) + 2 + (cut_before ? 3 : 0) + (cut_after ? 3 : 0);
	if (!(out = malloc(len + 1)))
		goto done;
	size_t o = 0;
	if (cut_before) {
		memcpy(out, ell, 3);
		o = 3;
	}
	memcpy(out + o, text + from, s.hit_start - from);
	o += s.hit_start - from;
	out[o++] = '[';
	memcpy(out + o, text + s.hit_start, s.hit_end - s.hit_start);
	o += s.hit_end - s.hit_start;
	out[o++] = ']';
	memcpy(out + o, text + s.hit_end, s.end - s.hit_end);
	o += s.end - s.hit_end;
	if (cut_after) {
		memcpy(out + o, ell, 3);
		o += 3;
	}
	out[o] = '\0';
done:
	for (size_t i = 0; i < q.n; i++)
		free(q.w[i]);
	free(q.w);
	free(q.len);
	return out;
}
