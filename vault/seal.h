/*
 * seal.h - turning a checked outcome into a bundle (docs/format.md has the format).
 *
 * The work, in order (format 3: the inner tar holds the files first, the manifest last):
 *  1. the manifest, the records streamed in from the outcome (salts, leaves, their Merkle
 *     root as they pass), the files' digests left as zeros of their fixed length;
 *  2. the inner tar's size, measured from the headers alone, which gives payload.age's size
 *     and so the envelope's: payload.age is written in place in the output, after room for
 *     the envelope and its signature;
 *  3. each attachment read once: hashed (BLAKE2b-512, its own thread) as it goes into the
 *     inner tar, whose 64 KiB chunks are sealed on a second thread and hashed (the body's
 *     BLAKE2b-512) and written on a third, in order;
 *  4. the digests and the sequence written into the manifest in place, its signature, the
 *     tar's end: the payload's last chunks; the body's digest; the envelope, signed, and the
 *     bundle's head written in front; all of it fsynced.
 * The sequence is the caller's guess (the issuer's next number): seal_resequence writes step 4
 * again for another number of the same width, from a copy of the body's hash state taken
 * where the manifest's part begins. Then the caller adds the log members (seal_write) and
 * decides when the bundle appears (seal_commit): the caller records it in the vault first, so
 * that a bundle never exists that the vault does not know about.
 *
 * Memory stays flat: 32 chunks in flight, a 1 MiB read buffer, SQLite's page cache, whatever
 * the attachments weigh or the records number. All temporaries live in a private folder
 * beside the output and are removed by sealed_free (and by the signal handler of io.c).
 */
#ifndef AMANA_SEAL_H
#define AMANA_SEAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vault/age.h"
#include "vault/envelope.h"
#include "vault/err.h"
#include "vault/io.h"
#include "vault/manifest.h"
#include "vault/minisign.h"
#include "vault/outcome.h"

/* The issuer's root, when its signing key belongs to one: named in the envelope, and its
 * chain (every version from 1, each with its signatures: the text of vault/root.h) carried
 * in the bundle's root member. */
struct seal_root {
	char root_id[33];
	uint64_t version;
	char digest[129]; /* BLAKE2b-512 of the newest version's signed text, hex */
	const char *chain;
	size_t chain_len;
};

struct seal_input {
	const struct outcome *outcome;
	const struct minisign_sec *sk;	/* the issuer's key */
	const char *issuer_name;
	const struct seal_root *root;	/* NULL: a key pinned on its own, no root */
	const struct manifest_recipient *recipients; /* names and age1 strings */
	size_t nrecipients;
	uint8_t bundle_id[16];
	/* Secret seed of the records' salts (salt of record i = keyed BLAKE2b-256 of i); random
	 * for every bundle, fixed only by tests that check determinism. Never stored. */
	uint8_t salt_seed[32];
	uint64_t sequence;
	int64_t created;
	const char *out_path;
	/* Called now and then with bytes of attachments done and their total; may be NULL. */
	void (*progress)(void *ctx, uint64_t done, uint64_t total);
	void *progress_ctx;
};

struct seal_state;

struct sealed {
	struct seal_state *state; /* seal_prepare's, for seal_resequence (private) */
	struct envelope env;
	char *envelope;	    /* the envelope's text: the log leaf */
	size_t envelope_len;
	char *envelope_sig; /* envelope.minisig */
	const char *root;   /* the root member's text (the input's chain), or NULL */
	size_t root_len;
	char *addendum;	    /* addendum.age (readdress only), malloc'd, or NULL */
	size_t addendum_len;
	char *workdir;	    /* the private folder of temporaries */
	char *out_path;
	uint64_t tail_off;  /* where payload.age ends in the output */
	int64_t created;
	struct io_atomic out;
	bool written;
};

/* Steps 1-5 above. s is freed with sealed_free whatever the result. */
int seal_prepare(const struct seal_input *in, struct sealed *s, struct err *e);

/* Whether the bundle prepared can take another sequence number in place: one of the same
 * number of decimal digits (then every size stays). */
bool seal_sequence_fits(const struct sealed *s, uint64_t sequence);

/* Writes the manifest's part of the payload and the envelope again for another sequence
 * (which must fit): what the caller does when another seal took the number it prepared with.
 * Costs a pass over the manifest, not over the attachments. */
int seal_resequence(struct sealed *s, uint64_t sequence, struct err *e);

/* Finishes the bundle in its temporary beside the output: log/checkpoint and log/proof when
 * given (NULL to leave them out) after payload.age, and the tar's end; then fsyncs it, so
 * that it is on disk before the caller records it. s->out.tmp names the temporary. */
int seal_write(struct sealed *s, const char *checkpoint, size_t checkpoint_len,
	       const char *proof, size_t proof_len, struct err *e);

/* Changes the name the bundle will take (in the same folder as the one seal_prepare was
 * given: the temporary stays where it is). For a default name that carries the sequence. */
int seal_set_output(struct sealed *s, const char *out_path, struct err *e);

/* Links the written bundle under the output path (never over an existing file) and removes
 * the temporary name. On failure the temporary is kept, not removed: the caller has recorded
 * the bundle by then and tells the user where it is. */
int seal_commit(struct sealed *s, struct err *e);

/* The bundle's head at the start of fd (or only measured, fd -1): the envelope,
 * envelope.minisig, root and addendum.age members as s holds them, and payload.age's tar
 * header for envelope_payload_total(&s->env) bytes. *len gets its size: payload.age's data
 * starts there. */
int seal_write_head(struct sealed *s, int fd, uint64_t *len, struct err *e);

/* Removes every temporary (and an uncommitted output). */
void sealed_free(struct sealed *s);

#endif
