/*
 * fuzz_outcome.c - outcome.json, the secretariat's input, read by vault/outcome.c's streaming
 * reader, with basedir NULL: the attachments' paths are checked, their files are not looked
 * at. What is accepted is then walked with outcome_each_record, which must succeed and hand
 * over exactly nrecords records, each as outcome.h promises.
 *
 * The text is handed over as json[0..len) ending at the end of readable memory, so that a
 * read past len faults. A refusal is ERR_FORMAT and leaves nothing allocated that outcome_free
 * would not free. What is accepted must hold what outcome.h promises: at least one record;
 * every text present, UTF-8, without NUL (a body's length is its string length) and within
 * its limit; one-line fields without control characters; attachment paths that
 * outcome_path_problem accepts, sorted in byte order, none twice (not even differing only in
 * ASCII case), each naming an existing record or none.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

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

/* outcome_each_record's callback: every record as promised, numbered 1, 2, 3... */
static int check_record(void *ctx, uint64_t seq, const struct outcome_record *r, struct err *e)
{
	uint64_t *count = ctx;
	(void)e;
	if (seq != ++*count || !line_ok(r->kind) || !line_ok(r->lang) || !line_ok(r->title) ||
	    !text_ok(r->body, OUTCOME_TEXT_MAX) || strlen(r->body) != r->body_len)
		abort();
	return 0;
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

/* A copy of the input that ends where readable memory ends: any read past it faults, in the
 * replayer of "make check" too, where ASan does not watch. *map and *maplen are for munmap. */
static const char *guarded(const uint8_t *data, size_t size, void **map, size_t *maplen)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t n = (size + page - 1) / page * page;
	*maplen = n + page;
	char *m = mmap(NULL, *maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED || mprotect(m + n, page, PROT_NONE) != 0)
		abort();
	*map = m;
	memcpy(m + n - size, data, size);
	return m + n - size;
}

FUZZ_TARGET(outcome)
{
	struct outcome o;
	struct err e;
	void *map;
	size_t maplen;
	const char *json = guarded(data, size, &map, &maplen);
	uint64_t count = 0;
	int rc = outcome_parse(json, size, NULL, &o, &e);
	if (rc == 0 && (outcome_each_record(&o, check_record, &count, &e) != 0 || count != o.nrecords))
		abort();
	munmap(map, maplen);
	if (rc != 0) {
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
