/*
 * verify.h - checking a bundle, and opening it: the verification order of DESIGN.md, in one
 * pass over the file.
 *
 *   1. the container: members by name, in order, regular files only, sizes bounded;
 *   2. the envelope: its issuer pinned, envelope.minisig valid over it, its trusted comment
 *      naming the same bundle and sequence;
 *   3. the log members, through the caller's log check (when given);
 *   4. payload.age hashed while it is decrypted (or only hashed, without a key); its digest
 *      and size must be the envelope's;
 *   5. inside: manifest.sqlite.minisig valid over the manifest's bytes before SQLite opens
 *      it, read-only; bundle id, issuer, sequence and the rest of meta equal the envelope's;
 *      the recipient whose key decrypted it is listed;
 *   6. every file listed, in order, of the listed size and BLAKE2b-512, none unlisted or
 *      missing;
 *   7. the records' Merkle root recomputed and equal to meta's (and the envelope's);
 *   8. only then the staged folder is renamed into place.
 * Because the payload streams, steps 3-7 finish in the order the bytes arrive; nothing is
 * written where the user asked until all of them passed, and a failure removes everything.
 */
#ifndef AMANA_VERIFY_H
#define AMANA_VERIFY_H

#include <stdbool.h>
#include <stdint.h>

#include "vault/age.h"
#include "vault/envelope.h"
#include "vault/err.h"

struct manifest;

struct verify_report;

/* What the reader's trust says of the key that signed envelope.minisig, filled by its
 * verify_issuer_fn. */
struct verify_trust {
	uint8_t pk[32];
	char *name;		/* as pinned (malloc'd) */
	bool via_root;		/* trusted as a signing key of a pinned root, not on its own */
	char root_id[33];
	uint64_t root_version;	/* the root version in force (the newest this reader trusts) */
	uint64_t root_learned;	/* the newest version the bundle's chain brought, when newer */
	char key_state[32];	/* root_key_state_name(); "valid" for a key pinned on its own */
	/* Set when that trust refuses this bundle although it knows the key: revoked, outside
	 * its window, an expired root, a chain stripped from a bundle that names a root. */
	struct err refusal;
};

/* Finds the issuer of r's envelope.minisig, whose key id is key_id: r->envelope_parsed says
 * whether r->env can be used, r->root_text is the bundle's root member (NULL when absent).
 * Returns 1 and fills r->trust when the key is trusted (trust.refusal may still say no), 0
 * when it is not, -1 on error (a root chain that does not check is ERR_VERIFY or
 * ERR_FORMAT). */
typedef int (*verify_issuer_fn)(void *ctx, const uint8_t key_id[8], struct verify_report *r,
				struct err *e);

/* Step 3, once the envelope's signature holds: the log members against the envelope, and the
 * bundle against what this vault accepted before (no rollback). checkpoint and proof are NULL
 * when the bundle has none: whether that is acceptable is this function's call (amana's
 * commands refuse it; log_check does). Without this callback the log is not checked. */
typedef int (*verify_log_fn)(void *ctx, const struct envelope *env, const char *envelope,
			     size_t envelope_len, const char *checkpoint, size_t checkpoint_len,
			     const char *proof, size_t proof_len, struct err *e);

struct verify_input {
	const char *bundle;
	const struct age_identities *ids; /* NULL: no decryption (inspect, or verify without -i) */
	const char *out_dir;		  /* NULL: check only */
	verify_issuer_fn issuer;
	verify_log_fn log;		  /* may be NULL */
	/* Called with the opened manifest once every inner check passed, before it is closed
	 * (record export reads a record and the leaves there); may be NULL. */
	int (*inner)(void *ctx, struct manifest *m, struct err *e);
	/* Called once every check passed and the contents are staged and on disk, just before
	 * the staging folder dir (its manifest.sqlite is the bundle's) is renamed onto out_dir:
	 * open records the bundle in the vault here, so that no folder appears that the vault
	 * does not know. SIGINT and SIGTERM wait from this call to the rename. May be NULL. */
	int (*staged)(void *staged_ctx, const char *dir, struct err *e);
	void *staged_ctx;
	void *ctx; /* for issuer, log and inner */
	/* Keep going after an unpinned issuer or a bad signature, to report what else holds (for
	 * inspect); the result is still a failure. */
	bool report_all;
};

struct verify_report {
	struct envelope env;
	char *envelope_text;
	char *envelope_sig_text; /* envelope.minisig as read */
	bool envelope_parsed;
	char *root_text;	/* the root member (format 2), or NULL */
	size_t root_len;
	char *addendum_ct;	/* addendum.age as read (a readdressed bundle), or NULL */
	size_t addendum_len;
	struct addendum *addendum; /* its text, decrypted and checked, when we could */
	int issuer_pinned;	/* 1 pinned, 0 not pinned, -1 not checked */
	char *issuer_pinned_name;
	struct verify_trust trust; /* when issuer_pinned is 1 */
	int key_ok;		/* the trust in force lets the key sign this bundle: 1, 0, -1 */
	int envelope_sig_ok;	/* 1, 0, -1 not checked */
	int log_ok;		/* 1, 0, -1 not checked (no log members or no checker) */
	int payload_ok;		/* digest and size */
	int inner_ok;		/* manifest signature, meta, recipient, files, records */
	char *recipient;	/* the age1 recipient whose identity decrypted */
	uint64_t files, bytes, records;
	struct err first_failure; /* the first check that failed, when report_all */
};

/* Runs the checks (and the extraction when out_dir). Returns 0 only when every check that ran
 * passed and, without report_all, when all of them ran. r is freed with verify_report_free. */
int verify_bundle(const struct verify_input *in, struct verify_report *r, struct err *e);
void verify_report_free(struct verify_report *r);

#endif
