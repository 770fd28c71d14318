/*
 * log.h - the issuer's transparency log, made to work offline.
 *
 * Every bundle an issuer seals is a leaf of its log: the RFC 6962 leaf hash of the bundle's
 * envelope bytes. The log's identity (the checkpoint origin and the note key name) is
 * "amana/<issuer key id>", and its checkpoints are C2SP signed notes signed with the issuer's
 * Ed25519 key (the key that signs its envelopes; the two kinds of signed messages cannot be
 * taken for each other: a note text starts with "amana/", minisign's signed messages are a
 * 64-byte hash or a 64-byte signature followed by a comment).
 *
 * A bundle carries:
 *   log/checkpoint  the checkpoint of the log just after this bundle was appended;
 *   log/proof       "amana-log-proof/1": this leaf's index and inclusion path, every leaf
 *                   hash of the tree (so that anyone can check, offline, that this tree
 *                   extends whatever checkpoint of the same log they saw before), and the
 *                   latest checkpoint that witnesses had cosigned by then, with their
 *                   cosignature lines (a cosignature signs a checkpoint that existed before
 *                   this bundle, so it cannot sign log/checkpoint itself).
 * docs/format.md has the grammar of log/proof.
 *
 * A member state's vault remembers the longest list of leaves it saw from each log and the
 * checkpoints that brought them; a bundle whose leaves disagree with that memory is a fork
 * or a rollback, refused naming the two checkpoints that disagree.
 */
#ifndef AMANA_LOG_H
#define AMANA_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vault/envelope.h"
#include "vault/err.h"
#include "vault/minisign.h"
#include "vault/note.h"

#define LOG_PROOF_FORMAT "amana-log-proof/1"
#define LOG_NAME_MAX 64
#define LOG_MAX_LEAVES 100000 /* a bundle's log/proof carries at most this many leaves */
#define LOG_MAX_WITNESSED 8   /* cosigned checkpoints carried in a log/proof */
#define LOG_NOTE_MAX (1u << 20) /* bytes of one witnessed note in a log/proof */

struct store;

/* "amana/<issuer key id>" and "amana-witness/<key id>": the note key names of a log and of a
 * witness, from their minisign key ids (16 hex digits). */
void log_origin(const char *issuer, char out[LOG_NAME_MAX]);
void log_witness_name(const char *key_id, char out[LOG_NAME_MAX]);

/* The verifier keys of a log (type Ed25519) and of a witness (type cosignature). */
int log_vkey(struct note_vkey *k, const char *issuer, const uint8_t pk[32], struct err *e);
int log_witness_vkey(struct note_vkey *k, const char *key_id, const uint8_t pk[32], struct err *e);

struct log_proof {
	uint64_t index, size;
	uint8_t (*inclusion)[32];
	size_t ninclusion;
	uint8_t (*leaves)[32]; /* size of them */
	char *witnessed[LOG_MAX_WITNESSED]; /* signed notes */
	size_t witnessed_len[LOG_MAX_WITNESSED];
	size_t nwitnessed;
};

int log_proof_encode(const struct log_proof *p, char **out, size_t *len, struct err *e);
int log_proof_parse(struct log_proof *p, const char *text, size_t len, struct err *e);
void log_proof_free(struct log_proof *p);

/* The secretariat, inside the transaction that took the sequence number: appends the
 * envelope to the issuer's log, signs the new checkpoint and returns the two log members
 * (malloc'd). */
int log_append(struct store *s, const struct minisign_sec *sk, const char *bundle_id,
	       uint64_t sequence, const char *envelope, size_t envelope_len, char **checkpoint,
	       size_t *checkpoint_len, char **proof, size_t *proof_len, struct err *e);

/* What checking a bundle's log members established. */
struct log_checked {
	char origin[LOG_NAME_MAX];
	char bundle_id[33];
	uint64_t index, size;
	uint8_t root[32];
	uint8_t (*leaves)[32];
	char *note; /* log/checkpoint */
	size_t note_len;
	unsigned witnesses; /* distinct pinned witnesses vouching for a consistent checkpoint */
	uint64_t witnessed_size; /* the largest such checkpoint */
};

/* Checks log/checkpoint (signed by the issuer whose key is pk; origin is the issuer's log),
 * log/proof (the envelope's leaf at its index, the inclusion path, the leaves giving the
 * root), the witnessed checkpoints (signed by the issuer, consistent with this tree; each
 * cosignature from a key of witnesses[0..nw) counted) and, when s is not NULL, the vault's
 * memory of this log. ERR_VERIFY or ERR_FORMAT; out is freed with log_checked_free. */
int log_check(struct store *s, const struct envelope *env, const uint8_t pk[32],
	      const char *envelope, size_t envelope_len, const char *checkpoint,
	      size_t checkpoint_len, const char *proof, size_t proof_len,
	      const struct note_vkey *witnesses, size_t nw, struct log_checked *out,
	      struct err *e);
void log_checked_free(struct log_checked *c);

/* Two checks of the same log agree: one's leaves are a prefix of the other's. When they do
 * not, why says at which leaf, naming both checkpoints. */
bool log_consistent(const struct log_checked *a, const struct log_checked *b, char *why,
		    size_t cap);

/* After the whole bundle passed: remembers its leaves and checkpoint (member side). */
int log_remember(struct store *s, const struct log_checked *c, struct err *e);

/* The RFC 6962 root of the first size leaves of log origin, from leaves[0..n) (a bundle's,
 * which log_check found to agree with the vault's) or, when they are fewer, from the leaves
 * this vault saw of that log before: 1 with root filled, 0 when fewer than size leaves are
 * known here, -1 on error. A root's revocation pins a revoked key's log at a size with such
 * a root (vault/root.h). */
int log_known_root(struct store *s, const char *origin, const uint8_t (*leaves)[32], uint64_t n,
		   uint64_t size, uint8_t root[32], struct err *e);

/* The same for the log this vault keeps for its own key issuer (16 hex digits), at *size
 * leaves (LOG_SIZE_ALL: the whole log, and *size becomes its size): 1 with root filled, 0
 * when the log has fewer than *size leaves; *have is its size. */
#define LOG_SIZE_ALL UINT64_MAX
int log_own_root(struct store *s, const char *issuer, uint64_t *size, uint8_t root[32], uint64_t *have,
		 struct err *e);

/* 1 when this vault's log of env's issuer holds exactly this envelope at env's position
 * (this vault issued it), 0 when not, -1 on error. */
int log_has_envelope(struct store *s, const struct envelope *env, const char *envelope, size_t len,
		     struct err *e);

/* ---- the secretariat's commands ---------------------------------------------------------- */

/* The logs this vault keeps: one per issuer key it sealed with. *out is malloc'd. */
struct log_id {
	char issuer[17];
	uint8_t pk[32];
};
int log_list(struct store *s, struct log_id **out, size_t *n, struct err *e);

struct log_status {
	char origin[LOG_NAME_MAX];
	uint64_t size;
	uint8_t root[32];
	char *note;	      /* the latest checkpoint */
	size_t ncosignatures; /* on checkpoints of this log */
	char **cosigners;     /* names of the witnesses, each once */
	size_t ncosigners;
};

/* The state of issuer's log (size 0 when it has no leaf). */
int log_status(struct store *s, const char *issuer, struct log_status *st, struct err *e);
void log_status_free(struct log_status *st);

/* Recomputes the whole log from the stored envelopes: every leaf hash, every stored
 * checkpoint's root and signature (with pk), every stored cosignature. ERR_VERIFY when
 * anything disagrees. */
int log_verify_all(struct store *s, const char *issuer, const uint8_t pk[32], uint64_t *leaves,
		   uint64_t *checkpoints, struct err *e);

/* Checks a cosigned checkpoint note (a witness's output) against the checkpoints this vault
 * signed and the pinned witnesses, and stores each valid cosignature. *added says how many
 * were new; ERR_VERIFY when none is valid. */
int log_cosignature_add(struct store *s, const char *note, size_t len,
			const struct note_vkey *witnesses, size_t nw, size_t *added, struct err *e);

#endif
