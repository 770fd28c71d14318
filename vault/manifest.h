/*
 * manifest.h - manifest.sqlite: building it when sealing, reading it when opening.
 *
 * Built deterministically (same input, same bytes): the schema of schema/manifest.sql, rows
 * in a fixed order, then VACUUM, page size 4096, no journal left behind. Read only after its
 * signature checked, through an immutable read-only URI with SQLite's defensive settings,
 * after a quick_check, and refused unless its application id, version and tables are ours.
 */
#ifndef AMANA_MANIFEST_H
#define AMANA_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vault/err.h"
#include "vault/outcome.h"

#define MANIFEST_APPLICATION_ID 0x414d4e46 /* "AMNF" */
#define MANIFEST_VERSION 1
#define MANIFEST_FORMAT "amana-manifest/1"

/* The facts that the manifest's meta table shares with the envelope. */
struct manifest_meta {
	char bundle_id[33];   /* 32 lowercase hex digits */
	char issuer[17];      /* minisign key id */
	const char *issuer_name;
	char created[21];     /* RFC 3339 UTC */
	uint64_t sequence;
	uint64_t records_count;
	char records_root[65]; /* lowercase hex */
};

struct manifest_recipient {
	const char *name;
	const char *recipient; /* age1... */
};

/* Writes a new manifest at path (which must not exist). The records are streamed from the
 * outcome (outcome_each_record): record i's salt is record_salt(salt_seed, i), its leaf is
 * computed with bundle_id, and their Merkle root is written into meta->records_root. The
 * files' digests are all-zero placeholders of the real ones' length: manifest_finish writes
 * them in place, and the file keeps its size. Memory does not grow with the records. */
int manifest_build(const char *path, const struct outcome *o, struct manifest_meta *meta,
		   const uint8_t bundle_id[16], const uint8_t salt_seed[32],
		   const struct manifest_recipient *r, size_t nr, struct err *e);

/* Writes the attachments' digests (one per attachment, outcome order) and meta's sequence
 * into a manifest made by manifest_build, in place. Deterministic, like the build. Its size
 * must not change (a sequence of another number of digits may change it: the caller compares
 * widths first); if it did, ERR_INTERNAL. Can be called again with another sequence. */
int manifest_finish(const char *path, const struct outcome *o, const uint8_t (*digests)[64],
		    uint64_t sequence, struct err *e);

struct manifest;

/* Opens a manifest read-only (see above). Failures are ERR_FORMAT. */
int manifest_open(struct manifest **out, const char *path, struct err *e);
void manifest_close(struct manifest *m);

/* Reads the meta table into *meta (issuer_name malloc'd into *issuer_name). Every key must
 * be present and well formed. */
int manifest_read_meta(struct manifest *m, struct manifest_meta *meta, char **issuer_name,
		       struct err *e);

/* True (in *listed) when recipient is in the recipients table. */
int manifest_has_recipient(struct manifest *m, const char *recipient, bool *listed,
			   struct err *e);

/* Looks up files/PATH: *found, its size and its digest (binary). */
int manifest_file(struct manifest *m, const char *path, bool *found, uint64_t *size,
		  uint8_t digest[64], struct err *e);

/* How many recipients the manifest lists. */
int manifest_recipient_count(struct manifest *m, uint64_t *n, struct err *e);

/* How many files the manifest lists. */
int manifest_file_count(struct manifest *m, uint64_t *n, struct err *e);

/* Recomputes every record's leaf from its fields and salt (bundle_id binary), checks each
 * against the stored leaf, and the root of all of them against meta's records-root; the
 * count must match too. Any difference is ERR_VERIFY naming the record. */
int manifest_check_records(struct manifest *m, const uint8_t bundle_id[16],
			   const struct manifest_meta *meta, struct err *e);

/* The underlying connection, for copying records into the vault. */
struct sqlite3 *manifest_db(struct manifest *m);

#endif
