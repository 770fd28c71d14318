/*
 * fuzz_cosignature.c - cosignatures, two ways. The input as a raw blob: whatever
 * cosig_parse accepts is checked against the witness key over a fixed checkpoint and must
 * not verify (the one real signature over it is not findable by chance). The input as a
 * cosigned note: each signature line is decoded as a cosignature and checked over the
 * note's text, and the whole note is verified against the witness key alone; a blob that
 * verifies by itself must agree with note_verify.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "tests/fuzz/fuzz.h"
#include "vault/note.h"

static const char witness[] =
	"witness.example.com/w1+969980cf+BCmsuuFBvMrwsi4alNNNC8c2HlJtC/4SyJeUvJMilm3X";
static const char fixed_text[] = "example.com/fuzz\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n";

FUZZ_TARGET(cosignature)
{
	if (sodium_init() < 0)
		abort();
	struct note_vkey k;
	struct cosig c;
	struct err e;
	if (note_vkey_parse(&k, witness, strlen(witness), NULL) != 0)
		abort();

	if (cosig_parse(&c, data, size, &e) == 0) {
		if (size != COSIG_BLOB_SIZE || c.timestamp > COSIG_TIME_MAX)
			abort();
		if (cosig_verify(&k, &c, fixed_text, strlen(fixed_text), &e) == 0)
			abort();
		char *msg;
		size_t len;
		if (cosig_message(c.timestamp, fixed_text, strlen(fixed_text), &msg, &len, &e) != 0)
			abort();
		free(msg);
	} else if (e.code != ERR_FORMAT) {
		abort();
	}

	struct note n;
	note_init(&n);
	if (note_parse(&n, (const char *)data, size, &e) != 0)
		return 0;
	bool any = false, bad_known = false;
	for (size_t i = 0; i < n.nsigs; i++) {
		const struct note_sig *s = &n.sigs[i];
		bool known = s->key_id == k.key_id && strcmp(s->name, k.name) == 0;
		bool good = cosig_parse(&c, s->blob, s->blob_len, NULL) == 0 &&
			    cosig_verify(&k, &c, n.text, n.text_len, NULL) == 0;
		any |= known && good;
		bad_known |= known && !good;
	}
	bool ok;
	int rc = note_verify(&n, &k, 1, &ok, &e);
	if ((rc == 0) != (any && !bad_known) || ok != (rc == 0))
		abort();
	struct checkpoint cp;
	checkpoint_init(&cp);
	if (checkpoint_parse(&cp, n.text, n.text_len, &e) == 0)
		checkpoint_free(&cp);
	note_free(&n);
	return 0;
}
