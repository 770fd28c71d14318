/*
 * fuzz_armor.c - the strict ASCII armor reader. Whatever it accepts must survive a round
 * trip: armored again by the writer and read back, the same bytes come out.
 */
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/age_fuzz.h"
#include "tests/fuzz/fuzz.h"
#include "vault/age.h"
#include "vault/armor.h"

struct sink {
	unsigned char *p;
	size_t len, cap;
};

static int sink_write(void *ctx, const void *buf, size_t len, struct err *e)
{
	struct sink *s = ctx;
	(void)e;
	if (s->len + len > s->cap) {
		size_t ncap = (s->len + len) * 2;
		unsigned char *np = realloc(s->p, ncap);
		if (!np)
			abort();
		s->p = np;
		s->cap = ncap;
	}
	memcpy(s->p + s->len, buf, len);
	s->len += len;
	return 0;
}

/* Reads all of an armored input; 0 with the decoded bytes in *out, or -1. */
static int decode_all(const uint8_t *data, size_t size, struct sink *out, size_t step)
{
	struct armor_reader *r;
	struct age_mem_reader src = {data, size, 0};
	struct err e;
	unsigned char buf[4096];
	int rc = -1;
	if (armor_reader_new(&r, age_mem_read, &src, NULL, 0, &e) != 0)
		return -1;
	for (;;) {
		size_t got = 0;
		if (armor_read(r, buf, step, &got, &e) != 0)
			break;
		if (got == 0) {
			rc = 0;
			break;
		}
		sink_write(out, buf, got, &e);
	}
	armor_reader_free(r);
	return rc;
}

FUZZ_TARGET(armor)
{
	struct sink first = {0}, again = {0}, text = {0};
	struct err e;

	age_fuzz_skip_vector_header(&data, &size);
	if (decode_all(data, size, &first, size % 2 ? 7 : 4096) == 0) {
		struct armor_writer *w;
		if (armor_writer_new(&w, sink_write, &text, &e) != 0)
			abort();
		if (armor_write(w, first.p, first.len, &e) != 0 || armor_writer_finish(w, &e) != 0)
			abort();
		armor_writer_free(w);
		if (decode_all(text.p, text.len, &again, 4096) != 0 || again.len != first.len ||
		    (first.len && memcmp(again.p, first.p, first.len) != 0))
			abort();
	}
	free(first.p);
	free(again.p);
	free(text.p);
	return 0;
}
