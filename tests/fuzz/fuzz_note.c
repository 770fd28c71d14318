/*
 * fuzz_note.c - signed note parsing and verification. Whatever parses must be exactly the
 * text, a blank line and the signature lines rebuilt from the parsed names and blobs (base64
 * is canonical, so there is one way to write a note); verification against three fixed keys
 * (two note signers and one cosigner) must then answer without crashing, and may only
 * succeed when one of them really signed.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "tests/fuzz/fuzz.h"
#include "vault/base64.h"
#include "vault/note.h"

static const char *const vkeys[] = {
	"PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
	"example.com/test-log+fc8658e2+AQOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4",
	"witness.example.com/w1+969980cf+BCmsuuFBvMrwsi4alNNNC8c2HlJtC/4SyJeUvJMilm3X",
};

/* Rebuilds the note from its parts; true when it equals data[0..size). */
static bool rebuilds(const struct note *n, const uint8_t *data, size_t size)
{
	size_t at = n->text_len + 1;
	if (at > size || memcmp(data, n->text, n->text_len) != 0 || data[n->text_len] != '\n')
		return false;
	for (size_t i = 0; i < n->nsigs; i++) {
		const struct note_sig *s = &n->sigs[i];
		size_t nl = strlen(s->name);
		char *b64 = b64_encode_alloc(s->blob, s->blob_len, B64_PADDED);
		if (!b64)
			abort();
		size_t bl = strlen(b64);
		bool ok = at + 4 + nl + 1 + bl + 1 <= size &&
			  memcmp(data + at, "\xe2\x80\x94 ", 4) == 0 &&
			  memcmp(data + at + 4, s->name, nl) == 0 && data[at + 4 + nl] == ' ' &&
			  memcmp(data + at + 5 + nl, b64, bl) == 0 && data[at + 5 + nl + bl] == '\n';
		free(b64);
		if (!ok)
			return false;
		at += 4 + nl + 1 + bl + 1;
	}
	return at == size;
}

FUZZ_TARGET(note)
{
	if (sodium_init() < 0)
		abort();
	struct note_vkey keys[3];
	for (size_t i = 0; i < 3; i++)
		if (note_vkey_parse(&keys[i], vkeys[i], strlen(vkeys[i]), NULL) != 0)
			abort();
	struct note n;
	struct err e;
	note_init(&n);
	if (note_parse(&n, (const char *)data, size, &e) != 0) {
		if (n.text || n.sigs || e.code != ERR_FORMAT)
			abort();
		return 0;
	}
	if (n.nsigs < 1 || n.nsigs > NOTE_MAX_SIGS || n.text_len < 1 ||
	    n.text[n.text_len - 1] != '\n' || strlen(n.text) != n.text_len)
		abort();
	for (size_t i = 0; i < n.nsigs; i++)
		if (!note_name_valid(n.sigs[i].name, strlen(n.sigs[i].name)) ||
		    n.sigs[i].blob_len < 5)
			abort();
	if (!rebuilds(&n, data, size))
		abort();
	bool ok[3];
	if (note_verify(&n, keys, 3, ok, &e) == 0) {
		if (!ok[0] && !ok[1] && !ok[2])
			abort();
	} else if (e.code != ERR_VERIFY || ok[0] || ok[1] || ok[2]) {
		abort();
	}
	note_free(&n);
	return 0;
}
