/*
 * fuzz_checkpoint.c - checkpoint body parsing. Whatever parses must format back to exactly
 * the same bytes (one canonical form: decimal without leading zeros, canonical base64).
 */
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "vault/note.h"

FUZZ_TARGET(checkpoint)
{
	struct checkpoint c;
	struct err e;
	checkpoint_init(&c);
	if (checkpoint_parse(&c, (const char *)data, size, &e) != 0) {
		if (c.origin || c.ext || e.code != ERR_FORMAT)
			abort();
		return 0;
	}
	char *text;
	size_t len;
	if (checkpoint_format(c.origin, c.size, c.root, c.ext, c.ext_len, &text, &len, &e) != 0)
		abort();
	if (len != size || memcmp(text, data, size) != 0)
		abort();
	free(text);
	checkpoint_free(&c);
	return 0;
}
