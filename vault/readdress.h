/*
 * readdress.h - an issued bundle given to other recipients without re-encrypting it.
 *
 * The issuer opens the age header of the bundle's payload.age with its own identity (the
 * bundle must have been sealed for the issuer too: `seal --to-self`), writes a new header
 * that gives the same file key to the new recipients (age_rewrap), and copies the body (the
 * payload nonce and every STREAM chunk) byte for byte. The new bundle keeps the bundle id;
 * its envelope has the next sequence, the new header's digest, the body's digest as the
 * first envelope gave it, and a `readdress:` line naming the first seal and the addendum
 * (vault/addendum.h), which lists the new recipients and travels encrypted to them. The
 * caller appends the log members and records it, as for a seal (seal_write, seal_commit).
 *
 * Cost: the header's crypto, and a copy of the body (copy_file_range, so the kernel may
 * share the blocks); the body is not hashed again for a format 2 bundle: its digest comes
 * from the first envelope, which is checked against the issuer's key here and, by the
 * caller, against the vault's own record of what it issued. A format 1 bundle, whose
 * envelope digests header and body together, has its body hashed once.
 */
#ifndef AMANA_READDRESS_H
#define AMANA_READDRESS_H

#include <stddef.h>
#include <stdint.h>

#include "vault/envelope.h"
#include "vault/err.h"
#include "vault/manifest.h"
#include "vault/seal.h"

struct age_identities;
struct minisign_sec;

struct readdress_input {
	const char *bundle;			/* the bundle this vault issued */
	const struct age_identities *ids;	/* an identity among its recipients */
	const struct manifest_recipient *recipients; /* the new addressing: names and age1 */
	size_t nrecipients;
	const struct minisign_sec *sk;		/* the key that sealed it */
	const struct seal_root *root;		/* NULL: no root */
	uint64_t sequence;			/* the issuer's next sequence */
	int64_t created;
	const char *out_path;
};

/* The bundle's envelope, parsed (env) and as text (*text, malloc'd), read from its first
 * member: for the caller's checks before anything else is done. */
int readdress_peek(const char *bundle, struct envelope *env, char **text, size_t *len, struct err *e);

/* Writes the readdressed bundle's head and payload.age into a temporary beside
 * in->out_path; s is then ready for seal_write and seal_commit (sealed_free in any case). */
int readdress_prepare(const struct readdress_input *in, struct sealed *s, struct err *e);

#endif
