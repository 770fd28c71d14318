/*
 * armor.c - streaming ASCII armor writer and strict reader. See armor.h for the rules.
 *
 * The reader is a small state machine over lines taken from a raw text buffer: whitespace
 * before BEGIN, the BEGIN line, body lines, an expected END after a short line, and the
 * whitespace after END, which is checked (and the input drained) as soon as END is seen, so
 * that the end of the decoded stream is never reported before the armor is known to be whole.
 */
#include "vault/armor.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vault/base64.h"

/* ---- writer ------------------------------------------------------------------------------ */

/* Text is gathered in whole lines and flushed when the buffer cannot take another one. */
#define WRITER_BUF (1024 * (ARMOR_COLUMNS + 1))

struct armor_writer {
	armor_write_fn fn;
	void *ctx;
	bool begun;
	unsigned char part[ARMOR_LINE_BYTES]; /* bytes of the line not yet complete */
	size_t npart;
	size_t nout;
	char out[WRITER_BUF];
};

int armor_writer_new(struct armor_writer **out, armor_write_fn fn, void *ctx, struct err *e)
{
	struct armor_writer *w = calloc(1, sizeof *w);
	*out = NULL;
	if (!w)
		return err_set(e, ERR_IO, "out of memory for the ASCII armor");
	w->fn = fn;
	w->ctx = ctx;
	*out = w;
	return 0;
}

static int writer_flush(struct armor_writer *w, struct err *e)
{
	if (w->nout == 0)
		return 0;
	int rc = w->fn(w->ctx, w->out, w->nout, e);
	w->nout = 0;
	return rc;
}

/* Appends text, flushing first when it would not fit (len is at most one line). */
static int writer_put(struct armor_writer *w, const char *s, size_t len, struct err *e)
{
	if (w->nout + len > sizeof w->out && writer_flush(w, e) != 0)
		return -1;
	memcpy(w->out + w->nout, s, len);
	w->nout += len;
	return 0;
}

static int writer_begin(struct armor_writer *w, struct err *e)
{
	if (w->begun)
		return 0;
	w->begun = true;
	return writer_put(w, ARMOR_BEGIN "\n", sizeof ARMOR_BEGIN, e);
}

/* Encodes one line of n (<= 48) bytes followed by LF. */
static int writer_line(struct armor_writer *w, const unsigned char *data, size_t n, struct err *e)
{
	char line[ARMOR_COLUMNS + 2];
	size_t len = b64_encoded_len(n, B64_PADDED);
	b64_encode(line, sizeof line, data, n, B64_PADDED);
	line[len] = '\n';
	return writer_put(w, line, len + 1, e);
}

int armor_write(struct armor_writer *w, const void *data, size_t len, struct err *e)
{
	const unsigned char *p = data;
	if (writer_begin(w, e) != 0)
		return -1;
	if (len == 0)
		return 0; /* data may be NULL then */
	if (w->npart > 0) {
		size_t take = ARMOR_LINE_BYTES - w->npart;
		if (take > len)
			take = len;
		memcpy(w->part + w->npart, p, take);
		w->npart += take;
		p += take;
		len -= take;
		if (w->npart < ARMOR_LINE_BYTES)
			return 0;
		if (writer_line(w, w->part, ARMOR_LINE_BYTES, e) != 0)
			return -1;
		w->npart = 0;
	}
	while (len >= ARMOR_LINE_BYTES) {
		if (writer_line(w, p, ARMOR_LINE_BYTES, e) != 0)
			return -1;
		p += ARMOR_LINE_BYTES;
		len -= ARMOR_LINE_BYTES;
	}
	if (len > 0)
		memcpy(w->part, p, len);
	w->npart = len;
	return 0;
}

int armor_writer_finish(struct armor_writer *w, struct err *e)
{
	if (writer_begin(w, e) != 0)
		return -1;
	if (w->npart > 0 && writer_line(w, w->part, w->npart, e) != 0)
		return -1;
	w->npart = 0;
	if (writer_put(w, ARMOR_END "\n", sizeof ARMOR_END, e) != 0)
		return -1;
	return writer_flush(w, e);
}

void armor_writer_free(struct armor_writer *w)
{
	if (!w)
		return;
	sodium_memzero(w, sizeof *w);
	free(w);
}

/* ---- reader ------------------------------------------------------------------------------ */

enum reader_state {
	BEFORE_BEGIN, /* whitespace lines, then BEGIN */
	IN_BODY,      /* full lines, a short line, or END */
	WANT_END,     /* a short line was read: END must follow */
	FINISHED,     /* END and the trailing whitespace were checked */
	FAILED,
};

struct armor_reader {
	armor_read_fn fn;
	void *ctx;
	enum reader_state state;
	bool raw_eof;
	size_t rpos, rlen;   /* unread text is raw[rpos..rlen) */
	size_t lpos, llen;   /* decoded bytes not yet handed out are line[lpos..llen) */
	size_t leading;      /* whitespace bytes seen before BEGIN */
	unsigned long lineno;
	struct err failure;  /* repeated by every call after a failure */
	unsigned char line[ARMOR_LINE_BYTES];
	unsigned char raw[ARMOR_READ_BUF];
};

static bool is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

bool armor_looks_armored(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	size_t i = 0;
	while (i < len && is_space(p[i]))
		i++;
	return i < len && p[i] == '-';
}

int armor_reader_new(struct armor_reader **out, armor_read_fn fn, void *ctx, const void *prefix,
		     size_t prefixlen, struct err *e)
{
	*out = NULL;
	if (prefixlen > ARMOR_READ_BUF)
		return err_set(e, ERR_INTERNAL, "armor reader given a prefix that is too long");
	struct armor_reader *r = calloc(1, sizeof *r);
	if (!r)
		return err_set(e, ERR_IO, "out of memory for the ASCII armor");
	r->fn = fn;
	r->ctx = ctx;
	r->state = BEFORE_BEGIN;
	if (prefixlen > 0)
		memcpy(r->raw, prefix, prefixlen);
	r->rlen = prefixlen;
	*out = r;
	return 0;
}

/* Records a failure: it becomes the answer to every later call. Returns -1. */
static int reader_fail(struct armor_reader *r, struct err *e, const char *fmt, ...)
	ERR_PRINTF(3, 4);
static int reader_fail(struct armor_reader *r, struct err *e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	r->failure.code = ERR_FORMAT;
	vsnprintf(r->failure.msg, sizeof r->failure.msg, fmt, ap);
	r->failure.hint[0] = '\0';
	va_end(ap);
	r->state = FAILED;
	err_copy(e, &r->failure);
	return -1;
}

/* Moves unread text to the front and reads more, until the buffer is full or input ends. */
static int reader_refill(struct armor_reader *r, struct err *e)
{
	if (r->rpos > 0) {
		memmove(r->raw, r->raw + r->rpos, r->rlen - r->rpos);
		r->rlen -= r->rpos;
		r->rpos = 0;
	}
	while (!r->raw_eof && r->rlen < sizeof r->raw) {
		size_t got = 0;
		if (r->fn(r->ctx, r->raw + r->rlen, sizeof r->raw - r->rlen, &got, e) != 0) {
			err_copy(&r->failure, e);
			r->state = FAILED;
			return -1;
		}
		if (got == 0)
			r->raw_eof = true;
		r->rlen += got;
		/* One line is enough to go on; the next refill tops the buffer up. */
		if (memchr(r->raw, '\n', r->rlen))
			break;
	}
	return 0;
}

/*
 * Takes the next line: *s and *n get its text without the line end, *eol whether it had one.
 * Returns 1 with a line, 0 at the end of input, -1 on a read error. A line that does not fit
 * in the buffer (far longer than any valid one) is cut at the buffer's size; the callers
 * refuse it for its length.
 */
static int reader_line(struct armor_reader *r, const unsigned char **s, size_t *n, bool *eol,
		       struct err *e)
{
	unsigned char *nl = memchr(r->raw + r->rpos, '\n', r->rlen - r->rpos);
	if (!nl && !r->raw_eof) {
		if (reader_refill(r, e) != 0)
			return -1;
		nl = memchr(r->raw + r->rpos, '\n', r->rlen - r->rpos);
	}
	if (!nl && r->rpos == r->rlen)
		return 0;
	unsigned char *start = r->raw + r->rpos;
	size_t len = nl ? (size_t)(nl - start) : r->rlen - r->rpos;
	r->rpos += len + (nl ? 1 : 0);
	*eol = nl != NULL;
	if (nl && len > 0 && start[len - 1] == '\r')
		len--;
	*s = start;
	*n = len;
	r->lineno++;
	return 1;
}

static bool all_space(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_space(s[i]))
			return false;
	return true;
}

static bool is_line(const unsigned char *s, size_t n, const char *want)
{
	return n == strlen(want) && memcmp(s, want, n) == 0;
}

/* After END: what is left must be whitespace, fewer than ARMOR_MAX_WHITESPACE bytes. */
static int reader_check_trailing(struct armor_reader *r, struct err *e)
{
	size_t seen = 0;
	for (;;) {
		while (r->rpos < r->rlen) {
			if (!is_space(r->raw[r->rpos]))
				return reader_fail(r, e, "invalid ASCII armor: data after the END line");
			r->rpos++;
			if (++seen >= ARMOR_MAX_WHITESPACE)
				return reader_fail(r, e,
						   "invalid ASCII armor: more than %lu bytes of "
						   "whitespace after the END line",
						   (unsigned long)ARMOR_MAX_WHITESPACE - 1);
		}
		if (r->raw_eof)
			return 0;
		r->rpos = r->rlen = 0;
		if (reader_refill(r, e) != 0)
			return -1;
	}
}

/* Reads lines until decoded bytes are waiting in r->line or the armor has ended. */
static int reader_next(struct armor_reader *r, struct err *e)
{
	const unsigned char *s;
	size_t n;
	bool eol;
	for (;;) {
		int got = reader_line(r, &s, &n, &eol, e);
		if (got < 0)
			return -1;
		if (got == 0) {
			if (r->state == BEFORE_BEGIN)
				return reader_fail(r, e, "invalid ASCII armor: no BEGIN line");
			return reader_fail(r, e,
					   "invalid ASCII armor: the input ends without an END line "
					   "(after line %lu)",
					   r->lineno);
		}
		switch (r->state) {
		case BEFORE_BEGIN:
			if (all_space(s, n)) {
				r->leading += n + (eol ? 1 : 0);
				if (r->leading > ARMOR_MAX_WHITESPACE)
					return reader_fail(r, e,
							   "invalid ASCII armor: more than %lu bytes "
							   "of whitespace before the BEGIN line",
							   (unsigned long)ARMOR_MAX_WHITESPACE);
				continue;
			}
			if (!is_line(s, n, ARMOR_BEGIN) || !eol)
				return reader_fail(r, e,
						   "invalid ASCII armor: line %lu is not \"" ARMOR_BEGIN
						   "\"",
						   r->lineno);
			r->state = IN_BODY;
			continue;
		case IN_BODY:
		case WANT_END:
			if (is_line(s, n, ARMOR_END)) {
				r->state = FINISHED;
				return reader_check_trailing(r, e);
			}
			if (r->state == WANT_END)
				return reader_fail(r, e,
						   "invalid ASCII armor: line %lu should be the END line, "
						   "since the line before it is short",
						   r->lineno);
			if (n == 0)
				return reader_fail(r, e, "invalid ASCII armor: line %lu is empty",
						   r->lineno);
			if (n > ARMOR_COLUMNS)
				return reader_fail(r, e,
						   "invalid ASCII armor: line %lu is longer than 64 "
						   "columns",
						   r->lineno);
			if (!eol)
				return reader_fail(r, e,
						   "invalid ASCII armor: the input ends in line %lu, "
						   "without an END line",
						   r->lineno);
			size_t len = 0;
			if (b64_decode(r->line, sizeof r->line, &len, (const char *)s, n, B64_PADDED) != 0)
				return reader_fail(r, e,
						   "invalid ASCII armor: line %lu is not canonical "
						   "padded base64",
						   r->lineno);
			if (len < ARMOR_LINE_BYTES)
				r->state = WANT_END;
			r->lpos = 0;
			r->llen = len;
			if (len > 0)
				return 0;
			continue;
		case FINISHED:
		case FAILED:
			return 0;
		}
	}
}

int armor_read(struct armor_reader *r, void *buf, size_t cap, size_t *got, struct err *e)
{
	unsigned char *out = buf;
	size_t done = 0;
	*got = 0;
	if (r->state == FAILED) {
		err_copy(e, &r->failure);
		return -1;
	}
	while (done < cap) {
		if (r->lpos < r->llen) {
			size_t take = r->llen - r->lpos;
			if (take > cap - done)
				take = cap - done;
			memcpy(out + done, r->line + r->lpos, take);
			r->lpos += take;
			done += take;
			continue;
		}
		if (r->state == FINISHED)
			break;
		if (reader_next(r, e) != 0) {
			/* What was decoded before the failure is handed out first; the failure
			 * comes with the next call. */
			if (done > 0)
				break;
			return -1;
		}
	}
	*got = done;
	return 0;
}

void armor_reader_free(struct armor_reader *r)
{
	if (!r)
		return;
	sodium_memzero(r, sizeof *r);
	free(r);
}
