/*
 * search.c - the "amana2" FTS5 tokenizer (folded words and their stems), the "amana" one that
 * old vaults' migrations still need, what a typed search becomes as an FTS5 query, the
 * ranking function amana_exact, and one-pass snippets. See search.h.
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

/* ---- the tokenizer of schema version 4 to 6: "amana" --------------------------------------- */

struct tok_ctx {
	void *pctx;
	int (*xToken)(void *, int, const char *, int, int, int);
	int flags;
};

/* The definite article and the prefixes that carry it, as folded UTF-8: "وال", "بال", "كال",
 * "فال", "ال" and "لل", with at least two letters after them. This tokenizer indexed a word
 * starting with one, or with a one-letter prefix و ف ب ل ك and three letters after it, again
 * at the same position without it, and looked a query word up without its article. */
static size_t v1_article_len(const char *w, size_t wl)
{
	static const char *const articles[] = {
		"\xd9\x88\xd8\xa7\xd9\x84", "\xd8\xa8\xd8\xa7\xd9\x84", "\xd9\x83\xd8\xa7\xd9\x84",
		"\xd9\x81\xd8\xa7\xd9\x84", "\xd8\xa7\xd9\x84", "\xd9\x84\xd9\x84",
	};
	for (size_t i = 0; i < sizeof articles / sizeof articles[0]; i++) {
		size_t pl = strlen(articles[i]);
		if (wl >= pl + 4 && memcmp(w, articles[i], pl) == 0)
			return pl;
	}
	return 0;
}

static size_t v1_proclitic_len(const char *w, size_t wl)
{
	static const char *const letters[] = {
		"\xd9\x88", "\xd9\x81", "\xd8\xa8", "\xd9\x84", "\xd9\x83", /* و ف ب ل ك */
	};
	for (size_t i = 0; i < sizeof letters / sizeof letters[0]; i++)
		if (wl >= 2 + 6 && memcmp(w, letters[i], 2) == 0)
			return 2;
	return 0;
}

static int v1_emit(void *c, const char *w, size_t wl, size_t start, size_t end)
{
	struct tok_ctx *t = c;
	size_t al = v1_article_len(w, wl);
	if (!(t->flags & FTS5_TOKENIZE_DOCUMENT))
		return t->xToken(t->pctx, 0, w + al, (int)(wl - al), (int)start, (int)end);
	int rc = t->xToken(t->pctx, 0, w, (int)wl, (int)start, (int)end);
	if (!al)
		al = v1_proclitic_len(w, wl);
	if (rc == SQLITE_OK && al)
		rc = t->xToken(t->pctx, FTS5_TOKEN_COLOCATED, w + al, (int)(wl - al), (int)start, (int)end);
	return rc;
}

/* ---- the tokenizer of schema version 7: "amana2" ------------------------------------------ */

/* A document word: itself, then, at its position, '~' and each of its stems but itself. */
static int v2_emit(void *c, const char *w, size_t wl, size_t start, size_t end)
{
	struct tok_ctx *t = c;
	int rc = t->xToken(t->pctx, 0, w, (int)wl, (int)start, (int)end);
	if (rc != SQLITE_OK || !(t->flags & FTS5_TOKENIZE_DOCUMENT))
		return rc; /* a query's word, or a snippet's: positions are all they need */
	struct stems st;
	char tok[1 + STEM_WORD_MAX];
	stem_word(w, wl, &st);
	tok[0] = SEARCH_STEM_MARK;
	for (size_t i = 0; i < st.n && rc == SQLITE_OK; i++) {
		if (st.len[i] == wl && memcmp(st.s[i], w, wl) == 0)
			continue;
		memcpy(tok + 1, st.s[i], st.len[i]);
		rc = t->xToken(t->pctx, FTS5_TOKEN_COLOCATED, tok, (int)st.len[i] + 1, (int)start, (int)end);
	}
	return rc;
}

/* The tokenizers carry their version in their name and take no argument: "amana2" refuses
 * one, so that a table declared for rules this binary does not know cannot be opened. */
static int tok_create_v1(void *user, const char **args, int nargs, Fts5Tokenizer **out)
{
	(void)user;
	(void)args;
	(void)nargs; /* "amana" ignored its arguments; so it still does */
	*out = (Fts5Tokenizer *)(uintptr_t)1; /* stateless */
	return SQLITE_OK;
}

static int tok_create_v2(void *user, const char **args, int nargs, Fts5Tokenizer **out)
{
	(void)user;
	(void)args;
	if (nargs != 0)
		return SQLITE_ERROR;
	*out = (Fts5Tokenizer *)(uintptr_t)2;
	return SQLITE_OK;
}

static void tok_delete(Fts5Tokenizer *t)
{
	(void)t;
}

static int tok_tokenize_v1(Fts5Tokenizer *t, void *pctx, int flags, const char *text, int n,
			   int (*xToken)(void *, int, const char *, int, int, int))
{
	(void)t;
	struct tok_ctx c = {pctx, xToken, flags};
	return each_word(text, n > 0 ? (size_t)n : 0, &c, v1_emit);
}

static int tok_tokenize_v2(Fts5Tokenizer *t, void *pctx, int flags, const char *text, int n,
			   int (*xToken)(void *, int, const char *, int, int, int))
{
	(void)t;
	/* A stem that search_query_init wrote into a query is looked up as it is. */
	if ((flags & FTS5_TOKENIZE_QUERY) && n > 1 && text[0] == SEARCH_STEM_MARK)
		return xToken(pctx, 0, text, n, 0, n);
	struct tok_ctx c = {pctx, xToken, flags};
	return each_word(text, n > 0 ? (size_t)n : 0, &c, v2_emit);
}

/* amana_exact(records_fts, kinds): how many of the query's 'w' phrases (its words as typed,
 * search.h) the row has. The ranking puts records with more of them first, so that whole
 * words come before stem matches. kinds must have one letter per phrase of the query. */
static void fn_exact(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *ctx,
		     int nval, sqlite3_value **val)
{
	if (nval != 1) {
		sqlite3_result_error(ctx, "amana_exact takes the phrase kinds", -1);
		return;
	}
	const unsigned char *kinds = sqlite3_value_text(val[0]);
	int nk = sqlite3_value_bytes(val[0]);
	int np = api->xPhraseCount(fts);
	if (!kinds || nk != np) {
		sqlite3_result_error(ctx, "amana_exact: the phrase kinds do not fit the query", -1);
		return;
	}
	int count = 0;
	for (int i = 0; i < np; i++) {
		if (kinds[i] != 'w')
			continue;
		Fts5PhraseIter it;
		int col = -1, off = -1;
		int rc = api->xPhraseFirst(fts, i, &it, &col, &off);
		if (rc != SQLITE_OK) {
			sqlite3_result_error_code(ctx, rc);
			return;
		}
		if (col >= 0)
			count++;
	}
	sqlite3_result_int(ctx, count);
}

int search_register(sqlite3 *db, struct err *e)
{
	static fts5_tokenizer v1 = {tok_create_v1, tok_delete, tok_tokenize_v1};
	static fts5_tokenizer v2 = {tok_create_v2, tok_delete, tok_tokenize_v2};
	fts5_api *api = NULL;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, NULL) != SQLITE_OK)
		return err_set(e, ERR_INTERNAL, "this SQLite has no FTS5: %s", sqlite3_errmsg(db));
	sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr", NULL);
	sqlite3_step(st);
	sqlite3_finalize(st);
	if (!api || api->iVersion < 2)
		return err_set(e, ERR_INTERNAL, "this SQLite's FTS5 cannot take a tokenizer");
	if (api->xCreateTokenizer(api, "amana", NULL, &v1, NULL) != SQLITE_OK ||
	    api->xCreateTokenizer(api, "amana2", NULL, &v2, NULL) != SQLITE_OK ||
	    api->xCreateFunction(api, "amana_exact", NULL, fn_exact, NULL) != SQLITE_OK)
		return err_set(e, ERR_INTERNAL, "cannot register the search tokenizer");
	return 0;
}

/* ---- helpers ----------------------------------------------------------------------------- */

struct buf {
	char *s;
	size_t n, cap;
	bool failed;
};

static void put(struct buf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (b->n + n + 1 > b->cap) {
		size_t ncap = (b->cap + n + 1) * 2;
		char *ns = realloc(b->s, ncap);
		if (!ns) {
			b->failed = true;
			return;
		}
		b->s = ns;
		b->cap = ncap;
	}
	memcpy(b->s + b->n, s, n);
	b->n += n;
	b->s[b->n] = '\0';
}

static void put_str(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

static int append_word(void *c, const char *w, size_t wl, size_t start, size_t end)
{
	struct buf *b = c;
	(void)start;
	(void)end;
	if (b->n)
		put(b, " ", 1);
	put(b, w, wl);
	return b->failed ? 1 : 0;
}

char *search_fold(const char *s, size_t n)
{
	struct buf b = {NULL, 0, 0, false};
	if (each_word(s, n, &b, append_word) != 0) {
		free(b.s);
		return NULL;
	}
	return b.s ? b.s : strdup("");
}

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

/* ---- what a search becomes ----------------------------------------------------------------- */

struct reader {
	struct search_query *q;
	size_t cap;
	const char *typed;
	size_t scanned; /* typed[0..scanned) has been looked at for quotes */
	size_t quotes;	/* double quotes in it */
	size_t groups;
	bool in_phrase; /* the last word was in the quoted phrase still open */
};

static int read_word(void *c, const char *w, size_t wl, size_t start, size_t end)
{
	struct reader *r = c;
	struct search_query *q = r->q;
	(void)end;
	size_t before = r->quotes;
	for (; r->scanned < start; r->scanned++)
		if (r->typed[r->scanned] == '"')
			r->quotes++;
	bool quoted = r->quotes % 2 == 1;
	if (q->n == r->cap) {
		size_t ncap = r->cap ? r->cap * 2 : 8;
		struct search_word *nw = realloc(q->words, ncap * sizeof *nw);
		if (!nw)
			return 1;
		q->words = nw;
		r->cap = ncap;
	}
	struct search_word *sw = &q->words[q->n];
	memset(sw, 0, sizeof *sw);
	if (!(sw->w = malloc(wl + 1)))
		return 1;
	memcpy(sw->w, w, wl);
	sw->w[wl] = '\0';
	sw->len = wl;
	sw->quoted = quoted;
	/* A quoted word continues the phrase of the word before when no quote came between. */
	if (!(quoted && r->in_phrase && r->quotes == before))
		r->groups++;
	sw->group = r->groups;
	r->in_phrase = quoted;
	q->n++;
	return 0;
}

/* A term of an FTS5 expression: the string s (no '"' in it), behind the stem marker or not,
 * a prefix or not. */
static void term(struct buf *b, bool mark, const char *s, size_t n, bool prefix)
{
	put(b, "\"", 1);
	if (mark)
		put(b, (const char[]){SEARCH_STEM_MARK}, 1);
	put(b, s, n);
	put_str(b, prefix ? "\"*" : "\"");
}

/* One word not quoted: the word itself ('w'); then each of its stems (the word among them)
 * behind the marker, and each stem but the word as a whole word ('s'): a record's word is
 * in the index as itself and as its other stems, and every word is one of its own stems. */
static void word_group(struct buf *b, struct buf *k, const struct search_word *sw)
{
	put(b, "(", 1);
	term(b, false, sw->w, sw->len, sw->prefix);
	put(k, "w", 1);
	for (size_t i = 0; i < sw->stems.n; i++) {
		const char *s = sw->stems.s[i];
		size_t n = sw->stems.len[i];
		put_str(b, " OR ");
		term(b, true, s, n, sw->prefix);
		put(k, "s", 1);
		if (n == sw->len && memcmp(s, sw->w, n) == 0)
			continue;
		put_str(b, " OR ");
		term(b, false, s, n, sw->prefix);
		put(k, "s", 1);
	}
	put(b, ")", 1);
}

int search_query_init(struct search_query *q, const char *typed, struct err *e)
{
	memset(q, 0, sizeof *q);
	struct reader r = {q, 0, typed, 0, 0, 0, false};
	size_t tl = strlen(typed);
	if (each_word(typed, tl, &r, read_word) != 0)
		return err_set(e, ERR_IO, "out of memory");
	if (q->n == 0)
		return 0;
	/* A trailing '*', after the last word or its closing quote, asks for a prefix. */
	size_t end = tl;
	while (end > 0 && (typed[end - 1] == ' ' || typed[end - 1] == '\t'))
		end--;
	if (end > 0 && typed[end - 1] == '"' && q->words[q->n - 1].quoted)
		while (--end > 0 && (typed[end - 1] == ' ' || typed[end - 1] == '\t'))
			;
	if (end > 0 && typed[end - 1] == '*')
		q->words[q->n - 1].prefix = true;
	for (size_t i = 0; i < q->n; i++)
		if (!q->words[i].quoted)
			stem_word(q->words[i].w, q->words[i].len, &q->words[i].stems);
	struct buf b = {NULL, 0, 0, false}, k = {NULL, 0, 0, false};
	for (size_t i = 0; i < q->n;) {
		const struct search_word *sw = &q->words[i];
		if (i)
			put_str(&b, " AND ");
		if (!sw->quoted) {
			word_group(&b, &k, sw);
			i++;
			continue;
		}
		/* A quoted phrase: its words' exact forms, in order, one after the other. */
		put(&b, "\"", 1);
		size_t j = i;
		for (; j < q->n && q->words[j].group == sw->group; j++) {
			if (j > i)
				put(&b, " ", 1);
			put(&b, q->words[j].w, q->words[j].len);
		}
		put_str(&b, q->words[j - 1].prefix ? "\"*" : "\"");
		put(&k, "q", 1);
		i = j;
	}
	if (b.failed || k.failed) {
		free(b.s);
		free(k.s);
		return err_set(e, ERR_IO, "out of memory");
	}
	q->match = b.s;
	q->kinds = k.s;
	return 0;
}

void search_query_free(struct search_query *q)
{
	for (size_t i = 0; i < q->n; i++)
		free(q->words[i].w);
	free(q->words);
	free(q->match);
	free(q->kinds);
	memset(q, 0, sizeof *q);
}

/* ---- one-pass snippets ------------------------------------------------------------------- */

#define SNIP_AROUND 6

static bool starts(const char *s, size_t n, const char *p, size_t pn)
{
	return n >= pn && memcmp(s, p, pn) == 0;
}

static bool same(const char *s, size_t n, const char *p, size_t pn)
{
	return n == pn && memcmp(s, p, pn) == 0;
}

/* Whether the folded document word d, whose stems are ds, matches the query word sw, as the
 * index matches it: a stem in common (each word being one of its stems), or for a prefix, a
 * stem of d that starts with a stem of sw; quoted, d itself only. */
static bool word_matches(const struct search_word *sw, const char *d, size_t dl, const struct stems *ds)
{
	if (sw->prefix ? starts(d, dl, sw->w, sw->len) : same(d, dl, sw->w, sw->len))
		return true;
	if (sw->quoted)
		return false;
	for (size_t i = 0; i < sw->stems.n; i++)
		for (size_t j = 0; j < ds->n; j++)
			if (sw->prefix ? starts(ds->s[j], ds->len[j], sw->stems.s[i], sw->stems.len[i])
				       : same(ds->s[j], ds->len[j], sw->stems.s[i], sw->stems.len[i]))
				return true;
	return false;
}

struct snip {
	const struct search_query *q;
	size_t starts[SNIP_AROUND]; /* the starts of the last words seen, a ring */
	size_t seen;		   /* words seen */
	size_t hit_start, hit_end; /* the matching word, once found */
	size_t after;		   /* words seen after it */
	size_t end;		   /* where the snippet ends */
	bool found;
};

static int snip_word(void *c, const char *w, size_t wl, size_t start, size_t end)
{
	struct snip *s = c;
	if (s->found) {
		s->end = end;
		return ++s->after >= SNIP_AROUND ? 1 : 0;
	}
	s->starts[s->seen++ % SNIP_AROUND] = start;
	struct stems ds;
	stem_word(w, wl, &ds); /* once for all the query's words */
	for (size_t i = 0; i < s->q->n; i++)
		if (word_matches(&s->q->words[i], w, wl, &ds)) {
			s->found = true;
			s->hit_start = start;
			s->hit_end = s->end = end;
			break;
		}
	return 0;
}

char *search_snippet(const char *text, size_t n, const struct search_query *q)
{
	struct snip s;
	memset(&s, 0, sizeof s);
	if (q->n == 0)
		return NULL;
	s.q = q;
	each_word(text, n, &s, snip_word);
	if (!s.found)
		return NULL;
	/* The oldest start in the ring: up to SNIP_AROUND - 1 words before the hit. */
	size_t from = s.seen > SNIP_AROUND ? s.starts[s.seen % SNIP_AROUND] : s.starts[0];
	const char *ell = "\xe2\x80\xa6"; /* … */
	bool cut_before = from > 0, cut_after = s.end < n;
	size_t len = (s.end - from) + 2 + (cut_before ? 3 : 0) + (cut_after ? 3 : 0);
	char *out = malloc(len + 1);
	if (!out)
		return NULL;
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
	return out;
}
