/*
 * outcome.c - reading and checking outcome.json as a stream. See outcome.h.
 *
 * A small recursive-descent reader over a 64 KiB window of the file (or over the caller's
 * memory) checks RFC 8259 syntax, UTF-8 and every rule of docs/format.md in one pass, keeping
 * only what is small: the conference, the participants, the attachments, one key per level
 * and the text of the value being read, each bounded by its field's limit. The records are
 * counted, not kept; outcome_each_record reads the source again with the same reader and
 * hands them over one at a time, and the BLAKE2b-256 of the bytes, taken on both passes,
 * says whether the file changed in between.
 *
 * When a document has several faults, the one reported is the one the earlier, SQLite-based
 * reader reported: a NUL byte before text that is not UTF-8, before an escaped NUL, before a
 * syntax error, before a broken rule, before a missing key. So after a broken rule the
 * reader goes on checking syntax only, and after a syntax error it goes on looking for the
 * bytes that outrank it.
 *
 * What an attachment may be (its path, its media type, its file, duplicates) is in
 * outcome_files.c; the reader calls it once the whole document is read.
 */
#include "vault/outcome.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vault/bundle.h"
#include "vault/clock.h"
#include "vault/io.h"
#include "vault/outcome_files.h"
#include "vault/text.h"

#define READ_CHUNK (64u << 10) /* the window over a file */
#define JSON_DEPTH_MAX 32      /* outcome.json needs 4 */
#define KEY_KEEP 256           /* bytes of a key kept for messages; the known keys are shorter */

/* The keys of each object, in the order they are checked for presence. */
static const char *const root_keys[] = {"conference", "participants", "records", "attachments", NULL};
static const char *const conf_keys[] = {"series", "number", "title", "venue", "held_from", "held_to", "organizer", NULL};
static const char *const part_keys[] = {"name", "kind", NULL};
static const char *const rec_keys[] = {"kind", "lang", "title", "body", NULL};
static const char *const att_keys[] = {"path", "caption", "record", NULL};

static int key_index(const char *const *keys, const char *k)
{
	for (int i = 0; keys[i]; i++)
		if (strcmp(keys[i], k) == 0)
			return i;
	return -1;
}

/* ---- the reader --------------------------------------------------------------------------- */

/* What can be wrong, most important first (see the header above). An error of a lower rank
 * replaces the one held; one of the same or a higher rank is not reported. */
enum rank { R_SIZE = 1, R_NUL, R_UTF8, R_ESC_NUL, R_SYNTAX, R_RULE, R_NONE };

/* What a value is expected to be, from where it stands in the document. */
enum ctx { C_SKIP, C_ROOT, C_CONF, C_PARTS, C_PART, C_RECS, C_REC, C_ATTS, C_ATT, C_FIELD };

/* JSON types, named as SQLite's json_type names them ("expected an integer, found real"). */
enum type { T_NULL, T_TRUE, T_FALSE, T_INT, T_REAL, T_TEXT, T_ARRAY, T_OBJECT };
static const char *const type_names[] = {"null", "true", "false", "integer", "real", "text", "array", "object"};

/* Decoded text: at most max bytes are kept, NUL-terminated; over says there were more. */
struct sbuf {
	char *p;
	size_t n, cap, max;
	bool over;
};

/* One open object or array, for the JSON path in messages. */
struct frame {
	bool array;
	bool has_key;
	size_t index;		  /* array: the element being read */
	char key[KEY_KEEP + 1];	  /* object: the key of the member being read, cut to KEY_KEEP */
};

struct parser {
	struct outcome *o; /* NULL on outcome_each_record's pass, which keeps nothing */
	struct err *e;

	/* The source: buf[0..n) is the window, at offset base of the document. */
	int fd;		   /* -1 when buf is the whole document */
	const char *name;  /* the file, for messages */
	const unsigned char *buf;
	unsigned char *window;
	size_t n, pos;
	uint64_t base;
	bool eof;
	crypto_generichash_state hash;
	size_t line, col;  /* of buf[pos], from 1; a column is a character, not a byte */

	int rank;	   /* of the error in *e; R_NONE while there is none */
	bool second;	   /* outcome_each_record's pass: any error stops it */
	bool fatal;	   /* stop reading now */
	bool io;	   /* fatal for want of I/O or memory, not because of the document */
	int fn_rc;	   /* what the record function returned, when it stopped the walk */

	struct frame stack[JSON_DEPTH_MAX];
	size_t depth;
	struct sbuf key;   /* the key being read */
	bool in_key, in_string;

	int field;	   /* C_FIELD: the key's index among its object's keys... */
	enum ctx field_of; /* ...and that object */
	struct sbuf val;   /* the text of a field of the conference, a participant, an attachment */
	struct sbuf rec[4];/* the current record's kind, lang, title and body */
	unsigned root_seen, conf_seen, seen; /* seen: the keys of the current element */
	uint64_t nrec;	   /* records entered so far */
	uint64_t expect;   /* outcome_each_record: as many as the first pass counted */
	uint64_t missing;  /* the first record without one of its keys, from 1; 0 for none */
	int missing_key;
	size_t cap_parts, cap_atts;

	outcome_record_fn fn;
	void *fn_ctx;
};

static bool checking(const struct parser *p)
{
	return p->rank == R_NONE && !p->fatal;
}

/* True when an error of this rank is the one to report; the caller then fills *e. */
static bool claim(struct parser *p, int rank)
{
	if (p->fatal || rank >= p->rank)
		return false;
	p->rank = rank;
	if (p->second)
		p->fatal = true;
	return true;
}

static int io_fail(struct parser *p)
{
	p->fatal = p->io = true;
	return -1;
}

static int no_memory(struct parser *p)
{
	err_set(p->e, ERR_IO, "out of memory");
	return io_fail(p);
}

/* The next window of the file; returns its first byte, or -1 at the end or on failure. */
static int refill(struct parser *p)
{
	if (p->fd < 0 || p->eof || p->fatal)
		return -1;
	p->base += p->n;
	p->n = p->pos = 0;
	ssize_t r;
	do
		r = read(p->fd, p->window, READ_CHUNK);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		err_errno(p->e, ERR_IO, "cannot read '%s'", p->name);
		return io_fail(p);
	}
	if (r == 0) {
		p->eof = true;
		return -1;
	}
	if (p->base + (uint64_t)r > OUTCOME_FILE_MAX) {
		/* It grew after outcome_load looked at its size. */
		if (claim(p, R_SIZE))
			err_set(p->e, ERR_FORMAT, "'%s' is larger than %u bytes", p->name, OUTCOME_FILE_MAX);
		p->fatal = true;
		return -1;
	}
	crypto_generichash_update(&p->hash, p->window, (unsigned long long)r);
	p->buf = p->window;
	p->n = (size_t)r;
	return p->buf[0];
}

static inline int peek(struct parser *p)
{
	return p->pos < p->n ? p->buf[p->pos] : refill(p);
}

/* Moves past the byte peek returned. */
static inline void advance(struct parser *p)
{
	unsigned char c = p->buf[p->pos++];
	if (c == '\n') {
		p->line++;
		p->col = 1;
	} else if ((c & 0xc0) != 0x80) {
		p->col++;
	}
}

static uint64_t offset_of(const struct parser *p)
{
	return p->base + p->pos;
}

/* Returns the first byte that is not JSON whitespace, not consumed (-1 at the end). */
static int skip_ws(struct parser *p)
{
	for (;;) {
		while (p->pos < p->n) {
			unsigned char c = p->buf[p->pos];
			if (c == ' ' || c == '\t' || c == '\r') {
				p->col++;
			} else if (c == '\n') {
				p->line++;
				p->col = 1;
			} else {
				return c;
			}
			p->pos++;
		}
		if (refill(p) < 0)
			return -1;
	}
}

/* ---- text buffers ---- */

static int sbuf_init(struct parser *p, struct sbuf *b)
{
	if (!(b->p = malloc(64)))
		return no_memory(p);
	b->cap = 64;
	b->p[0] = '\0';
	return 0;
}

static void sbuf_reset(struct sbuf *b, size_t max)
{
	b->n = 0;
	b->max = max;
	b->over = false;
	b->p[0] = '\0';
}

/* Appends s[0..k) to b (b NULL: nowhere); past b's limit only what fits is kept, cut after
 * its last whole character, and over is set. */
static int sbuf_put(struct parser *p, struct sbuf *b, const void *s, size_t k)
{
	if (!b || b->over)
		return 0;
	size_t room = b->max - b->n;
	if (k > room) {
		b->over = true;
		k = room;
	}
	if (b->n + k + 1 > b->cap) {
		size_t ncap = b->cap;
		while (ncap < b->n + k + 1)
			ncap *= 2;
		if (ncap > b->max + 1)
			ncap = b->max + 1;
		char *np = realloc(b->p, ncap);
		if (!np)
			return no_memory(p);
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->n, s, k);
	b->n += k;
	if (b->over) {
		size_t j = b->n;
		uint32_t cp;
		while (j > 0 && ((unsigned char)b->p[j - 1] & 0xc0) == 0x80)
			j--;
		if (j > 0 && (unsigned char)b->p[j - 1] >= 0xc0 &&
		    text_utf8_next(b->p + j - 1, b->n - (j - 1), &cp) == 0)
			b->n = j - 1;
	}
	b->p[b->n] = '\0';
	return 0;
}

static int put_code_point(struct parser *p, struct sbuf *b, uint32_t cp)
{
	unsigned char u[4];
	size_t k;
	if (cp < 0x80) {
		u[0] = (unsigned char)cp;
		k = 1;
	} else if (cp < 0x800) {
		u[0] = (unsigned char)(0xc0 | cp >> 6);
		u[1] = (unsigned char)(0x80 | (cp & 0x3f));
		k = 2;
	} else if (cp < 0x10000) {
		u[0] = (unsigned char)(0xe0 | cp >> 12);
		u[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		u[2] = (unsigned char)(0x80 | (cp & 0x3f));
		k = 3;
	} else {
		u[0] = (unsigned char)(0xf0 | cp >> 18);
		u[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
		u[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		u[3] = (unsigned char)(0x80 | (cp & 0x3f));
		k = 4;
	}
	return sbuf_put(p, b, u, k);
}

/* ---- errors ---- */

/* "records[2].body": the JSON path of the value being read, or "the top level". Keys that
 * are not plain identifiers are quoted, as SQLite's json_tree wrote them. */
static void path_of(const struct parser *p, char *out, size_t cap)
{
	size_t o = 0;
	out[0] = '\0';
	for (size_t d = 0; d < p->depth; d++) {
		const struct frame *f = &p->stack[d];
		const char *k = d + 1 == p->depth && p->in_key ? p->key.p : f->key;
		int w;
		if (f->array)
			w = snprintf(out + o, cap - o, "[%zu]", f->index);
		else if (!f->has_key && !(d + 1 == p->depth && p->in_key))
			continue;
		else if (*k && strspn(k, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") == strlen(k))
			w = snprintf(out + o, cap - o, "%s%s", o ? "." : "", k);
		else
			w = snprintf(out + o, cap - o, "%s\"%s\"", o ? "." : "", k);
		if (w < 0 || (size_t)w >= cap - o) {
			o = strlen(out);
			break;
		}
		o += (size_t)w;
	}
	if (o == 0)
		snprintf(out, cap, "the top level");
}

/* "outcome.json: PATH: WHAT" into *e. */
static void at_path(struct parser *p, const char *what)
{
	char path[OUTCOME_PATH_MAX + 256];
	path_of(p, path, sizeof path);
	char *shown = text_display(path, strlen(path));
	err_set(p->e, ERR_FORMAT, "outcome.json: %s: %s", shown ? shown : "?", what);
	free(shown);
}

/* A broken rule at the value being read. The first pass goes on reading (0), for errors
 * that outrank this one; the second stops (-1). */
static int rule(struct parser *p, const char *what)
{
	if (claim(p, R_RULE))
		at_path(p, what);
	return p->fatal ? -1 : 0;
}

static int want(struct parser *p, const char *said, enum type found)
{
	char msg[128];
	snprintf(msg, sizeof msg, "expected %s, found %s", said, type_names[found]);
	return rule(p, msg);
}

static int syntax_at(struct parser *p, size_t line, size_t col, const char *why)
{
	if (claim(p, R_SYNTAX)) {
		err_set(p->e, ERR_FORMAT, "outcome.json is not valid JSON: line %zu, column %zu: %s", line, col, why);
		err_hint(p->e, "check it with: sqlite3 :memory: \"select json(readfile('outcome.json'))\"");
	}
	return -1;
}

static int syntax(struct parser *p, const char *why)
{
	return syntax_at(p, p->line, p->col, why);
}

/* The text ended (or could not be read) where more JSON was due. */
static int ended(struct parser *p)
{
	return p->fatal ? -1 : syntax(p, "the text ends before the JSON does");
}

static int bad_utf8(struct parser *p, uint64_t at)
{
	if (claim(p, R_UTF8)) {
		char msg[96];
		snprintf(msg, sizeof msg, "the text is not valid UTF-8 (byte %llu)", (unsigned long long)at);
		at_path(p, msg);
	}
	return -1;
}

/* A \u0000 escape: SQLite cut text there, so amana has always refused it. */
static int escaped_nul(struct parser *p, uint64_t at)
{
	if (claim(p, R_ESC_NUL)) {
		char msg[128];
		snprintf(msg, sizeof msg, "the text contains a NUL character (escaped as u0000, at byte %llu)",
			 (unsigned long long)at);
		at_path(p, msg);
		err_hint(p->e, "remove the NUL character: amana stores text byte for byte, and a NUL would cut it");
	}
	return p->fatal ? -1 : 0;
}

static int nul_byte(struct parser *p)
{
	if (claim(p, R_NUL))
		err_set(p->e, ERR_FORMAT, "outcome.json contains a NUL byte");
	p->fatal = true;
	return -1;
}

/* ---- tokens ---- */

/* One character of two to four bytes (lead is its first, not yet consumed) that did not lie
 * whole in the window, or is not UTF-8: copied to b, or the error. */
static int take_utf8(struct parser *p, struct sbuf *b, int lead)
{
	uint64_t start = offset_of(p);
	char u[4];
	size_t need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1, k = 0;
	uint32_t cp;
	u[k++] = (char)lead;
	advance(p);
	while (k < need) {
		int c = peek(p);
		if (c < 0 || (c & 0xc0) != 0x80)
			break;
		u[k++] = (char)c;
		advance(p);
	}
	if (p->fatal)
		return -1;
	if (text_utf8_next(u, k, &cp) != k)
		return bad_utf8(p, start);
	return sbuf_put(p, b, u, k);
}

static int hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A high surrogate's escape followed by anything but its low half stands alone. */
static void orphan(uint32_t *high, bool *lone)
{
	if (*high)
		*lone = true;
	*high = 0;
}

/* A string, at its opening quote: its decoded text goes to b (NULL: nowhere). *lone is set
 * when a \u escape leaves half of a surrogate pair alone (SQLite wrote such text as bytes
 * that are not UTF-8, which were refused: they still are). */
static int string(struct parser *p, struct sbuf *b, bool *lone)
{
	uint32_t high = 0; /* a high surrogate's escape, waiting for its low half */
	*lone = false;
	advance(p);
	p->in_string = true;
	for (;;) {
		/* The plain run that lies in the window, in one go. */
		size_t i = p->pos, cols = 0;
		while (i < p->n) {
			unsigned char c = p->buf[i];
			if (c < 0x80) {
				if (c == '"' || c == '\\' || c < 0x20)
					break;
				i++;
			} else {
				uint32_t cp;
				size_t k = text_utf8_next((const char *)p->buf + i, p->n - i, &cp);
				if (k == 0)
					break;
				i += k;
			}
			cols++;
		}
		if (i > p->pos) {
			orphan(&high, lone);
			if (sbuf_put(p, b, p->buf + p->pos, i - p->pos) != 0)
				return -1;
			p->col += cols;
			p->pos = i;
		}
		int c = peek(p);
		if (c < 0)
			return p->fatal ? -1 : syntax(p, "a string that does not end");
		if (c == '"') {
			advance(p);
			p->in_string = false;
			if (high)
				*lone = true;
			return 0;
		}
		if (c < 0x20)
			return syntax(p, "a control character inside a string (write it as an escape)");
		if (c >= 0x80) {
			orphan(&high, lone);
			if (take_utf8(p, b, c) != 0)
				return -1;
			continue;
		}
		if (c != '\\')
			continue; /* plain, at the start of a new window: the run above takes it */
		size_t line = p->line, col = p->col;
		uint64_t start = offset_of(p);
		advance(p);
		int x = peek(p);
		if (x < 0)
			return p->fatal ? -1 : syntax(p, "a string that does not end");
		if (x == 'u') {
			uint32_t v = 0;
			advance(p);
			for (int d = 0; d < 4; d++) {
				int h = hex_value(peek(p));
				if (h < 0)
					return p->fatal ? -1 : syntax_at(p, line, col, "a \\u escape without four hex digits");
				v = v << 4 | (uint32_t)h;
				advance(p);
			}
			if (v == 0 && escaped_nul(p, start) != 0)
				return -1;
			if (v >= 0xdc00 && v <= 0xdfff) {
				if (!high) {
					*lone = true;
					continue;
				}
				v = 0x10000 + ((high - 0xd800) << 10) + (v - 0xdc00);
				high = 0;
			} else {
				orphan(&high, lone);
				if (v >= 0xd800 && v <= 0xdbff) {
					high = v;
					continue;
				}
			}
			if (v != 0 && put_code_point(p, b, v) != 0)
				return -1;
			continue;
		}
		static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
		const char *m = x ? strchr(from, x) : NULL;
		if (!m)
			return syntax_at(p, line, col, "an unknown escape in a string");
		advance(p);
		orphan(&high, lone);
		if (sbuf_put(p, b, &to[m - from], 1) != 0)
			return -1;
	}
}

/* A number; *v gets an integer's value, saturated at the ends of int64 as SQLite did. */
static int number(struct parser *p, enum type *type, int64_t *v)
{
	bool neg = false, big = false;
	uint64_t u = 0;
	int c = peek(p);
	*type = T_INT;
	if (c == '-') {
		neg = true;
		advance(p);
		c = peek(p);
	}
	if (c == '0') {
		advance(p);
	} else if (c >= '1' && c <= '9') {
		for (; c >= '0' && c <= '9'; c = peek(p)) {
			if (u > (UINT64_MAX - 9) / 10)
				big = true;
			else
				u = u * 10 + (uint64_t)(c - '0');
			advance(p);
		}
	} else {
		return p->fatal ? -1 : syntax(p, "a malformed number");
	}
	c = peek(p);
	if (c == '.') {
		*type = T_REAL;
		advance(p);
		if ((c = peek(p)) < '0' || c > '9')
			return p->fatal ? -1 : syntax(p, "a malformed number");
		while ((c = peek(p)) >= '0' && c <= '9')
			advance(p);
	}
	if (c == 'e' || c == 'E') {
		*type = T_REAL;
		advance(p);
		if ((c = peek(p)) == '+' || c == '-')
			advance(p);
		if ((c = peek(p)) < '0' || c > '9')
			return p->fatal ? -1 : syntax(p, "a malformed number");
		while ((c = peek(p)) >= '0' && c <= '9')
			advance(p);
	}
	if (p->fatal)
		return -1;
	if (big || u > (uint64_t)INT64_MAX)
		*v = neg ? INT64_MIN : INT64_MAX;
	else
		*v = neg ? -(int64_t)u : (int64_t)u;
	return 0;
}

static int literal(struct parser *p, enum type *type)
{
	size_t line = p->line, col = p->col;
	int c = peek(p);
	const char *w = c == 't' ? "true" : c == 'f' ? "false" : c == 'n' ? "null" : NULL;
	if (!w)
		return syntax(p, "expected a value");
	for (const char *q = w; *q; q++) {
		if (peek(p) != *q)
			return p->fatal ? -1 : syntax_at(p, line, col, "expected a value");
		advance(p);
	}
	*type = c == 't' ? T_TRUE : c == 'f' ? T_FALSE : T_NULL;
	return 0;
}

/* ---- the rules ---- */

static bool is_token(const char *s, size_t max);
static bool is_lang(const char *s);
static bool is_date_or_empty(const char *s);

static void *grow(void *arr, size_t n, size_t *cap, size_t size)
{
	if (n < *cap)
		return arr;
	size_t ncap = *cap ? *cap * 2 : 16;
	unsigned char *na = realloc(arr, ncap * size);
	if (!na)
		return NULL;
	memset(na + *cap * size, 0, (ncap - *cap) * size);
	*cap = ncap;
	return na;
}

static int too_many(struct parser *p, size_t max)
{
	char msg[96];
	snprintf(msg, sizeof msg, "more than %zu entries", max);
	return rule(p, msg);
}

/* A new element of participants, records or attachments (an object, checked already). */
static int enter(struct parser *p, enum ctx ctx)
{
	struct outcome *o = p->o;
	void *na;
	p->seen = 0;
	switch (ctx) {
	case C_PART:
		if (o->nparticipants >= OUTCOME_PARTICIPANTS_MAX)
			return too_many(p, OUTCOME_PARTICIPANTS_MAX);
		if (!(na = grow(o->participants, o->nparticipants, &p->cap_parts, sizeof *o->participants)))
			return no_memory(p);
		o->participants = na;
		o->nparticipants++;
		return 0;
	case C_REC:
		if (p->nrec >= OUTCOME_RECORDS_MAX)
			return too_many(p, OUTCOME_RECORDS_MAX);
		if (p->second && p->nrec >= p->expect)
			return rule(p, "more records than were checked");
		p->nrec++;
		return 0;
	case C_ATT:
		if (o->nattachments >= OUTCOME_ATTACHMENTS_MAX)
			return too_many(p, OUTCOME_ATTACHMENTS_MAX);
		if (!(na = grow(o->attachments, o->nattachments, &p->cap_atts, sizeof *o->attachments)))
			return no_memory(p);
		o->attachments = na;
		o->attachments[o->nattachments].index = o->nattachments;
		o->nattachments++;
		return 0;
	default:
		return 0;
	}
}

static int unknown_key(struct parser *p, const char *const *keys)
{
	char msg[256];
	size_t n = (size_t)snprintf(msg, sizeof msg, "unknown key (expected one of:");
	for (int i = 0; keys[i] && n < sizeof msg; i++)
		n += (size_t)snprintf(msg + n, sizeof msg - n, " %s", keys[i]);
	if (n < sizeof msg)
		snprintf(msg + n, sizeof msg - n, ")");
	return rule(p, msg);
}

/* The member whose key was just read: what its value is to be. odd: the key cannot be a
 * known one (longer than any, or with a lone surrogate). */
static enum ctx member(struct parser *p, enum ctx ctx, bool odd)
{
	if (!checking(p) || ctx == C_SKIP)
		return C_SKIP;
	const char *const *keys = ctx == C_ROOT ? root_keys : ctx == C_CONF ? conf_keys :
				  ctx == C_PART ? part_keys : ctx == C_REC ? rec_keys : att_keys;
	unsigned *seen = ctx == C_ROOT ? &p->root_seen : ctx == C_CONF ? &p->conf_seen : &p->seen;
	int k = odd ? -1 : key_index(keys, p->stack[p->depth - 1].key);
	if (k < 0) {
		unknown_key(p, keys);
		return C_SKIP;
	}
	if (*seen & (1u << k)) {
		rule(p, "the key appears twice");
		return C_SKIP;
	}
	*seen |= 1u << k;
	if (ctx == C_ROOT) {
		if (p->second && k != 2)
			return C_SKIP; /* the second pass is after the records only */
		return k == 0 ? C_CONF : k == 1 ? C_PARTS : k == 2 ? C_RECS : C_ATTS;
	}
	p->field = k;
	p->field_of = ctx;
	return C_FIELD;
}

static struct sbuf *field_buf(struct parser *p)
{
	return p->field_of == C_REC ? &p->rec[p->field] : &p->val;
}

static size_t field_max(enum ctx of, int k)
{
	switch (of) {
	case C_CONF: return k == 4 || k == 5 ? 10 : OUTCOME_LINE_MAX;
	case C_PART: return k == 1 ? 32 : OUTCOME_LINE_MAX;
	case C_REC: return k == 0 ? 32 : k == 1 ? 35 : k == 2 ? OUTCOME_LINE_MAX : OUTCOME_TEXT_MAX;
	default: return k == 0 ? OUTCOME_PATH_MAX : OUTCOME_LINE_MAX;
	}
}

/* The checks of a text field, in the order SQLite's reader made them. 1: the text is fine;
 * 0: a rule is broken (reported); -1: stop. */
static int text_ok(struct parser *p, enum type t, bool lone, const struct sbuf *b, bool one_line,
		   bool nonempty)
{
	char msg[96];
	if (t != T_TEXT)
		return want(p, "a string", t);
	if (lone)
		return rule(p, "the text is not valid UTF-8 (a lone surrogate escape?)");
	if (b->over) {
		snprintf(msg, sizeof msg, "the text is longer than %zu bytes", b->max);
		return rule(p, msg);
	}
	if (one_line && text_has_controls(b->p, b->n))
		return rule(p, "the text must be one line without control characters");
	if (nonempty && b->n == 0)
		return rule(p, "must not be empty");
	return 1;
}

static int keep_text(struct parser *p, char **dst, const struct sbuf *b)
{
	char *s = malloc(b->n + 1);
	if (!s)
		return no_memory(p);
	memcpy(s, b->p, b->n + 1);
	free(*dst);
	*dst = s;
	return 0;
}

static const char kind_rule[] = "a kind is lowercase ASCII: letters, digits and '-'";

/* The value of a known field, just read: t its type, the text in field_buf, num an integer. */
static int field(struct parser *p, enum type t, bool lone, int64_t num)
{
	struct outcome *o = p->o;
	const struct sbuf *b = field_buf(p);
	int k = p->field, ok;
	switch (p->field_of) {
	case C_CONF: {
		if (k == 1) {
			if (t != T_INT)
				return want(p, "an integer", t);
			if (num < 1 || num > 1000000000)
				return rule(p, "the conference number must be between 1 and 1000000000");
			o->number = num;
			return 0;
		}
		if ((ok = text_ok(p, t, lone, b, true, k == 0 || k == 2)) <= 0)
			return ok;
		if ((k == 4 || k == 5) && !is_date_or_empty(b->p))
			return rule(p, "expected a date YYYY-MM-DD, or \"\" when unknown");
		char **dst = k == 0 ? &o->series : k == 2 ? &o->title : k == 3 ? &o->venue :
			     k == 4 ? &o->held_from : k == 5 ? &o->held_to : &o->organizer;
		return keep_text(p, dst, b);
	}
	case C_PART: {
		struct outcome_participant *x = &o->participants[o->nparticipants - 1];
		if ((ok = text_ok(p, t, lone, b, true, true)) <= 0)
			return ok;
		if (k == 1 && !is_token(b->p, 32))
			return rule(p, kind_rule);
		return keep_text(p, k == 0 ? &x->name : &x->kind, b);
	}
	case C_REC:
		if ((ok = text_ok(p, t, lone, b, k != 3, k != 3)) <= 0)
			return ok;
		if (k == 0 && !is_token(b->p, 32))
			return rule(p, kind_rule);
		if (k == 1 && !is_lang(b->p))
			return rule(p, "expected a language tag such as \"ar\" or \"en\"");
		return 0;
	default: {
		struct outcome_attachment *x = &o->attachments[o->nattachments - 1];
		if (k == 2) {
			if (t == T_NULL) {
				x->record = 0;
				return 0;
			}
			if (t != T_INT)
				return want(p, "a record number (or null)", t);
			if (num < 1)
				return rule(p, "record numbers start at 1");
			x->record = (uint64_t)num;
			return 0;
		}
		if ((ok = text_ok(p, t, lone, b, true, k == 0)) <= 0)
			return ok;
		const char *why = k == 0 ? outcome_path_problem(b->p) : NULL;
		if (why)
			return rule(p, why);
		return keep_text(p, k == 0 ? &x->path : &x->caption, b);
	}
	}
}

/* An object just closed. A record is complete here: the first pass notes the first one
 * missing a key (reported after the whole file, as before); the second hands it over. */
static int close_object(struct parser *p, enum ctx ctx)
{
	if (ctx != C_REC || !checking(p))
		return 0;
	int miss = -1;
	for (int k = 0; k < 4 && miss < 0; k++)
		if (!(p->seen & (1u << k)))
			miss = k;
	if (miss >= 0) {
		if (p->second)
			return rule(p, "a record lost a key");
		if (!p->missing) {
			p->missing = p->nrec;
			p->missing_key = miss;
		}
		return 0;
	}
	if (!p->second)
		return 0;
	struct outcome_record r = {p->rec[0].p, p->rec[1].p, p->rec[2].p, p->rec[3].p, p->rec[3].n};
	int rc = p->fn(p->fn_ctx, p->nrec, &r, p->e);
	if (rc != 0) {
		p->fn_rc = rc;
		p->fatal = true;
		return -1;
	}
	return 0;
}

/* ---- values ---- */

static int value(struct parser *p, enum ctx want_ctx);

static int object(struct parser *p, enum ctx ctx)
{
	if (p->depth == JSON_DEPTH_MAX)
		return syntax(p, "objects and arrays nested too deeply");
	advance(p);
	struct frame *f = &p->stack[p->depth++];
	f->array = false;
	f->has_key = false;
	int c = skip_ws(p);
	if (c != '}') {
		for (;;) {
			bool lone;
			if (c < 0)
				return ended(p);
			if (c != '"')
				return syntax(p, "expected a string (the key of an object's member)");
			sbuf_reset(&p->key, KEY_KEEP);
			p->in_key = true;
			if (string(p, &p->key, &lone) != 0)
				return -1;
			p->in_key = false;
			memcpy(f->key, p->key.p, p->key.n + 1);
			f->has_key = true;
			if ((c = skip_ws(p)) != ':')
				return c < 0 && p->fatal ? -1 : syntax(p, "expected ':' after an object's key");
			advance(p);
			enum ctx child = member(p, ctx, lone || p->key.over);
			if (p->fatal || value(p, child) != 0)
				return -1;
			c = skip_ws(p);
			if (c == '}')
				break;
			if (c < 0)
				return ended(p);
			if (c != ',')
				return syntax(p, "expected ',' or '}'");
			advance(p);
			c = skip_ws(p);
		}
	}
	advance(p);
	p->depth--;
	return close_object(p, ctx);
}

static int array(struct parser *p, enum ctx ctx)
{
	if (p->depth == JSON_DEPTH_MAX)
		return syntax(p, "objects and arrays nested too deeply");
	advance(p);
	struct frame *f = &p->stack[p->depth++];
	f->array = true;
	f->index = 0;
	enum ctx elem = ctx == C_PARTS ? C_PART : ctx == C_RECS ? C_REC : ctx == C_ATTS ? C_ATT : C_SKIP;
	int c = skip_ws(p);
	if (c != ']') {
		for (;; f->index++) {
			if (value(p, elem) != 0)
				return -1;
			c = skip_ws(p);
			if (c == ']')
				break;
			if (c < 0)
				return ended(p);
			if (c != ',')
				return syntax(p, "expected ',' or ']'");
			advance(p);
		}
	}
	advance(p);
	p->depth--;
	return 0;
}

static bool wants_object(enum ctx c)
{
	return c == C_ROOT || c == C_CONF || c == C_PART || c == C_REC || c == C_ATT;
}

static bool wants_array(enum ctx c)
{
	return c == C_PARTS || c == C_RECS || c == C_ATTS;
}

/* One value, whatever it is; ctx says what it should be (C_SKIP: anything, unchecked). */
static int value(struct parser *p, enum ctx ctx)
{
	int c = skip_ws(p);
	if (c < 0)
		return ended(p);
	if (!checking(p))
		ctx = C_SKIP;
	if (c == '{' || c == '[') {
		bool obj = c == '{';
		enum type t = obj ? T_OBJECT : T_ARRAY;
		if (ctx == C_SKIP) {
			/* nothing to check */
		} else if (obj ? wants_object(ctx) : wants_array(ctx)) {
			if (enter(p, ctx) != 0)
				return -1;
		} else if ((ctx == C_FIELD ? field(p, t, false, 0)
					    : want(p, wants_object(ctx) ? "an object" : "an array", t)) != 0) {
			return -1;
		}
		if (!checking(p))
			ctx = C_SKIP;
		return obj ? object(p, ctx) : array(p, ctx);
	}
	enum type t = T_NULL;
	int64_t num = 0;
	bool lone = false;
	struct sbuf *b = NULL;
	if (ctx == C_FIELD) {
		b = field_buf(p);
		sbuf_reset(b, field_max(p->field_of, p->field));
	}
	if (c == '"') {
		t = T_TEXT;
		if (string(p, b, &lone) != 0)
			return -1;
	} else if (c == '-' || (c >= '0' && c <= '9')) {
		if (number(p, &t, &num) != 0)
			return -1;
	} else if (literal(p, &t) != 0) {
		return -1;
	}
	if (ctx == C_SKIP || !checking(p))
		return 0;
	if (ctx == C_FIELD)
		return field(p, t, lone, num);
	return want(p, wants_object(ctx) ? "an object" : "an array", t);
}

/* After a syntax error (or bytes that are not UTF-8) the rest is only looked at for what
 * outranks it: a NUL byte, bytes that are not UTF-8, a \u0000 escape (found as the earlier
 * reader found it, by pairing backslashes). The shape is followed loosely (brackets,
 * commas, strings and keys) so that what is found is still told with its JSON path. */
static void rest(struct parser *p)
{
	int esc = 0; /* 1: after an unpaired backslash; 2 to 5: "u", "u0", "u00", "u000" seen */
	uint64_t esc_at = 0;
	bool in_str = p->in_string, str_esc = false, want_key = false;
	size_t extra = 0; /* levels deeper than the stack holds */
	while (!p->fatal) {
		if (p->rank <= R_UTF8) {
			if (p->pos < p->n && memchr(p->buf + p->pos, 0, p->n - p->pos)) {
				nul_byte(p);
				return;
			}
			p->pos = p->n;
			if (refill(p) < 0)
				return;
			continue;
		}
		int c = peek(p);
		if (c < 0)
			return;
		if (c == 0) {
			nul_byte(p);
			return;
		}
		if (c >= 0x80) {
			take_utf8(p, in_str && p->in_key ? &p->key : NULL, c);
			esc = 0;
			str_esc = false;
			continue;
		}
		advance(p);
		if (in_str) {
			char b = (char)c;
			if (str_esc) {
				str_esc = false;
			} else if (c == '\\') {
				str_esc = true;
			} else if (c == '"') {
				in_str = false;
				if (p->in_key) {
					struct frame *f = &p->stack[p->depth - 1];
					memcpy(f->key, p->key.p, p->key.n + 1);
					f->has_key = true;
					p->in_key = false;
				}
			}
			if (p->in_key && (str_esc || c != '\\') && in_str)
				sbuf_put(p, &p->key, &b, 1);
		} else if (c == '{' || c == '[') {
			if (p->depth < JSON_DEPTH_MAX) {
				struct frame *f = &p->stack[p->depth++];
				f->array = c == '[';
				f->has_key = false;
				f->index = 0;
			} else {
				extra++;
			}
			want_key = c == '{';
		} else if (c == '}' || c == ']') {
			if (extra)
				extra--;
			else if (p->depth)
				p->depth--;
			want_key = false;
		} else if (c == ',' && p->depth && !extra) {
			if (p->stack[p->depth - 1].array)
				p->stack[p->depth - 1].index++;
			else
				want_key = true;
		} else if (c == '"') {
			in_str = true;
			if (want_key && p->depth && !extra) {
				sbuf_reset(&p->key, KEY_KEEP);
				p->in_key = true;
			}
			want_key = false;
		}
		if (p->rank <= R_ESC_NUL)
			continue;
		if (c == '\\' && esc == 1) {
			esc = 0;
		} else if (c == '\\') {
			esc = 1;
			esc_at = offset_of(p) - 1;
		} else if (esc == 1 && c == 'u') {
			esc = 2;
		} else if (esc >= 2 && c == '0') {
			if (++esc == 6) {
				escaped_nul(p, esc_at);
				esc = 0;
			}
		} else {
			esc = 0;
		}
	}
}

/* The whole document, then (after an error) what may outrank that error. */
static void read_document(struct parser *p)
{
	int c = peek(p);
	int rc;
	if (c == 0xef && p->n - p->pos >= 3 && memcmp(p->buf + p->pos, "\xef\xbb\xbf", 3) == 0)
		rc = syntax(p, "it starts with a byte order mark (save it as UTF-8 without BOM)");
	else if ((rc = value(p, C_ROOT)) == 0 && skip_ws(p) >= 0)
		rc = syntax(p, "more text after the end of the JSON");
	if (rc != 0 && !p->fatal && !p->second)
		rest(p);
}

static int parser_init(struct parser *p, struct outcome *o, struct err *e)
{
	memset(p, 0, sizeof *p);
	p->o = o;
	p->e = e;
	p->fd = -1;
	p->line = p->col = 1;
	p->rank = R_NONE;
	crypto_generichash_init(&p->hash, NULL, 0, 32);
	if (sbuf_init(p, &p->key) != 0 || sbuf_init(p, &p->val) != 0)
		return -1;
	for (int i = 0; i < 4; i++)
		if (sbuf_init(p, &p->rec[i]) != 0)
			return -1;
	return 0;
}

static void parser_free(struct parser *p)
{
	free(p->key.p);
	free(p->val.p);
	for (int i = 0; i < 4; i++)
		free(p->rec[i].p);
	free(p->window);
	if (p->fd >= 0)
		close(p->fd);
}

static void source_memory(struct parser *p, const char *json, size_t len)
{
	p->buf = (const unsigned char *)json;
	p->n = len;
	p->eof = true;
	crypto_generichash_update(&p->hash, p->buf, len);
}

/* Opens path for reading: a regular file (it is read twice) of at most OUTCOME_FILE_MAX. */
static int source_file(struct parser *p, const char *path)
{
	struct stat st;
	p->name = path;
	if ((p->fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return err_errno(p->e, ERR_IO, "cannot open '%s'", path);
	if (fstat(p->fd, &st) != 0)
		return err_errno(p->e, ERR_IO, "cannot stat '%s'", path);
	if (S_ISDIR(st.st_mode))
		return err_set(p->e, ERR_IO, "'%s' is a folder, not a file", path);
	if (!S_ISREG(st.st_mode)) {
		err_set(p->e, ERR_IO, "'%s' is not a regular file", path);
		return err_hint(p->e, "amana reads outcome.json twice, to check it and to seal it: give it as a file, not a pipe");
	}
	if ((uint64_t)st.st_size > OUTCOME_FILE_MAX)
		return err_set(p->e, ERR_FORMAT, "'%s' is larger than %u bytes", path, OUTCOME_FILE_MAX);
	if (!(p->window = malloc(READ_CHUNK)))
		return err_set(p->e, ERR_IO, "out of memory");
	p->buf = p->window;
	return 0;
}

/* ---- the shapes of a kind, a language tag, a date ---- */

static bool is_token(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n == 0 || n > max || s[0] < 'a' || s[0] > 'z')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return true;
}

/* A BCP 47 tag in the shape amana accepts: "ar", "en", "ar-EG", "zh-Hant-TW". */
static bool is_lang(const char *s)
{
	size_t n = strlen(s), i = 0, run = 0;
	if (n < 2 || n > 35)
		return false;
	while (i < n && s[i] >= 'a' && s[i] <= 'z')
		i++;
	if (i < 2 || i > 3)
		return false;
	for (; i < n; i++) {
		bool alnum = (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
			     (s[i] >= '0' && s[i] <= '9');
		if (s[i] == '-') {
			if (i + 1 == n || (run == 0 && s[i - 1] == '-'))
				return false;
			run = 0;
		} else if (!alnum || ++run > 8) {
			return false;
		}
	}
	return s[n - 1] != '-';
}

static bool is_date_or_empty(const char *s)
{
	if (!*s)
		return true;
	char buf[32];
	int64_t t;
	if (strlen(s) != 10)
		return false;
	snprintf(buf, sizeof buf, "%sT00:00:00Z", s);
	return clock_parse_rfc3339(buf, &t);
}

/* ---- after the whole file ------------------------------------------------------------------ */

/* The required members, once everything is read, in the order the earlier reader checked
 * them; then the attachments' records and names. */
static int check_complete(struct outcome *o, const struct parser *p, struct err *e)
{
	for (int k = 0; k < 3; k++)
		if (!(p->root_seen & (1u << k)))
			return err_set(e, ERR_FORMAT, "outcome.json: the top level: missing \"%s\"",
				       root_keys[k]);
	for (int k = 0; conf_keys[k]; k++)
		if (!(p->conf_seen & (1u << k)))
			return err_set(e, ERR_FORMAT, "outcome.json: conference: missing \"%s\"",
				       conf_keys[k]);
	for (size_t i = 0; i < o->nparticipants; i++) {
		struct outcome_participant *x = &o->participants[i];
		const char *miss = !x->name ? "name" : !x->kind ? "kind" : NULL;
		if (miss)
			return err_set(e, ERR_FORMAT, "outcome.json: participants[%zu]: missing \"%s\"", i, miss);
	}
	if (o->nrecords == 0)
		return err_set(e, ERR_FORMAT, "outcome.json: records: an outcome needs at least one record");
	if (p->missing)
		return err_set(e, ERR_FORMAT, "outcome.json: records[%llu]: missing \"%s\"",
			       (unsigned long long)(p->missing - 1), rec_keys[p->missing_key]);
	for (size_t i = 0; i < o->nattachments; i++) {
		struct outcome_attachment *x = &o->attachments[i];
		const char *miss = !x->path ? "path" : !x->caption ? "caption" : NULL;
		if (miss)
			return err_set(e, ERR_FORMAT, "outcome.json: attachments[%zu]: missing \"%s\"", i, miss);
		if (x->record > o->nrecords)
			return err_set(e, ERR_FORMAT, "outcome.json: attachments[%zu].record: there is no record %llu (the outcome has %zu)",
				       i, (unsigned long long)x->record, o->nrecords);
		/* The name must come back from the inner tar as the manifest lists it. */
		size_t pl = strlen(x->path);
		char *name = malloc(pl + 7);
		if (!name)
			return err_set(e, ERR_IO, "out of memory");
		memcpy(name, "files/", 6);
		memcpy(name + 6, x->path, pl + 1);
		int same = tar_name_roundtrips(name, e);
		free(name);
		if (same < 0)
			return -1;
		if (!same) {
			char *shown = text_display(x->path, pl);
			err_set(e, ERR_FORMAT, "outcome.json: attachments[%zu].path: '%s' is in a decomposed Unicode form (NFD), which tar would store composed (NFC): the name would not come back as written",
				i, shown ? shown : "?");
			free(shown);
			return err_hint(e, "rename the file and its path in outcome.json to the composed form, for example with 'convmv -r -f utf8 -t utf8 --nfc --notest FOLDER'");
		}
	}
	return 0;
}

/* The first pass, over a source opened in p: everything checked, the records counted, the
 * digest kept. */
static int check_all(struct parser *p, const char *basedir)
{
	struct outcome *o = p->o;
	read_document(p);
	if (p->fatal || p->rank != R_NONE)
		return -1;
	o->nrecords = (size_t)p->nrec;
	crypto_generichash_final(&p->hash, o->digest, sizeof o->digest);
	if (check_complete(o, p, p->e) != 0 || outcome_files_sort(o, p->e) != 0)
		return -1;
	if (basedir && outcome_files_check(o, basedir, p->e) != 0)
		return -1;
	return 0;
}

int outcome_parse(const char *json, size_t len, const char *basedir, struct outcome *out,
		  struct err *e)
{
	struct parser p;
	memset(out, 0, sizeof *out);
	if (len > OUTCOME_FILE_MAX)
		return err_set(e, ERR_FORMAT, "outcome.json is larger than %u bytes", OUTCOME_FILE_MAX);
	out->json = json;
	out->json_len = len;
	int rc = -1;
	if (parser_init(&p, out, e) == 0) {
		source_memory(&p, json, len);
		rc = check_all(&p, basedir);
	}
	parser_free(&p);
	return rc;
}

int outcome_load(const char *path, struct outcome *out, struct err *e)
{
	struct parser p;
	char *dir = NULL;
	int rc = -1;
	memset(out, 0, sizeof *out);
	if (parser_init(&p, out, e) != 0 || source_file(&p, path) != 0)
		goto done;
	if (!(out->path = io_absolute(path)) || !(dir = io_dirname(path))) {
		err_set(e, ERR_IO, "out of memory");
		goto done;
	}
	rc = check_all(&p, dir);
done:
	free(dir);
	parser_free(&p);
	return rc;
}

int outcome_each_record(const struct outcome *o, outcome_record_fn fn, void *ctx, struct err *e)
{
	struct parser p;
	uint8_t digest[sizeof o->digest];
	int rc = -1;
	if (!o->path && !o->json)
		return err_set(e, ERR_INTERNAL, "the outcome was not read by outcome_load or outcome_parse");
	if (parser_init(&p, NULL, e) != 0)
		goto done;
	p.second = true;
	p.expect = o->nrecords;
	p.fn = fn;
	p.fn_ctx = ctx;
	if (o->path) {
		if (source_file(&p, o->path) != 0)
			goto done;
	} else {
		source_memory(&p, o->json, o->json_len);
	}
	read_document(&p);
	if (p.fn_rc) {
		rc = p.fn_rc;
		goto done;
	}
	if (p.io)
		goto done;
	crypto_generichash_final(&p.hash, digest, sizeof digest);
	if (p.fatal || p.rank != R_NONE || p.nrec != o->nrecords ||
	    sodium_memcmp(digest, o->digest, sizeof digest) != 0) {
		err_set(e, ERR_IO, "outcome.json changed while it was being sealed");
		err_hint(e, "leave outcome.json alone while amana seals it, then seal again");
		goto done;
	}
	rc = 0;
done:
	parser_free(&p);
	return rc;
}

void outcome_free(struct outcome *o)
{
	free(o->series);
	free(o->title);
	free(o->venue);
	free(o->held_from);
	free(o->held_to);
	free(o->organizer);
	for (size_t i = 0; i < o->nparticipants; i++) {
		free(o->participants[i].name);
		free(o->participants[i].kind);
	}
	free(o->participants);
	for (size_t i = 0; i < o->nattachments; i++) {
		free(o->attachments[i].path);
		free(o->attachments[i].source);
		free(o->attachments[i].caption);
	}
	free(o->attachments);
	free(o->path);
	memset(o, 0, sizeof *o);
}
