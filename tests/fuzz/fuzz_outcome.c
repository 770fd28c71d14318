/*
 * fuzz_outcome.c - outcome.json, the secretariat's input, parsed with SQLite's JSON functions
 * (vault/outcome.c), with basedir NULL: the attachments' paths are checked, their files are
 * not looked at.
 *
 * A refusal is ERR_FORMAT and leaves nothing allocated that outcome_free would not free. What
 * is accepted must hold what outcome.h promises: at least one record; every text present,
 * UTF-8, without NUL (a body's length is its string length) and within its limit; one-line
 * fields without control characters; attachment paths that outcome_path_problem accepts,
 * sorted in byte order, none twice (not even differing only in ASCII case), each naming an
 * existing record or none.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "vault/outcome.h"
#include "vault/text.h"

static bool text_ok(const char *s, size_t max)
{
	return s && strlen(s) <= max && text_utf8_valid(s, strlen(s));
}

static bool line_ok(const char *s)
{
	return text_ok(s, OUTCOME_LINE_MAX) && !text_has_controls(s, strlen(s));
}

static int fold(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static bool same_folded(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (fold((unsigned char)*a) != fold((unsigned char)*b))
			return false;
	return *a == *b;
}

FUZZ_TARGET(outcome)
{
	struct outcome o;
	struct err e;
	if (outcome_parse((const char *)data, size, NULL, &o, &e) != 0) {
		if (e.code != ERR_FORMAT)
			abort();
		outcome_free(&o);
		return 0;
	}
	if (o.nrecords < 1 || o.nrecords > OUTCOME_RECORDS_MAX ||
	    o.nparticipants > OUTCOME_PARTICIPANTS_MAX || o.nattachments > OUTCOME_ATTACHMENTS_MAX ||
	    o.number < 1 || !line_ok(o.series) || !line_ok(o.title) || !text_ok(o.venue, OUTCOME_LINE_MAX) ||
	    !text_ok(o.held_from, OUTCOME_LINE_MAX) || !text_ok(o.held_to, OUTCOME_LINE_MAX) ||
	    !text_ok(o.organizer, OUTCOME_LINE_MAX))
		abort();
	for (size_t i = 0; i < o.nparticipants; i++)
		if (!line_ok(o.participants[i].name) || !line_ok(o.participants[i].kind))
			abort();
	for (size_t i = 0; i < o.nrecords; i++) {
		const struct outcome_record *r = &o.records[i];
		if (!line_ok(r->kind) || !line_ok(r->lang) || !line_ok(r->title) ||
		    !text_ok(r->body, OUTCOME_TEXT_MAX) || strlen(r->body) != r->body_len)
			abort();
	}
	for (size_t i = 0; i < o.nattachments; i++) {
		const struct outcome_attachment *a = &o.attachments[i];
		if (!a->path || outcome_path_problem(a->path) || !text_ok(a->caption, OUTCOME_LINE_MAX) ||
		    a->record > o.nrecords || !a->media_type)
			abort();
		if (i > 0 && strcmp(o.attachments[i - 1].path, a->path) >= 0)
			abort();
		for (size_t j = 0; j < i; j++)
			if (same_folded(o.attachments[j].path, a->path))
				abort();
	}
	outcome_free(&o);
	return 0;
}
