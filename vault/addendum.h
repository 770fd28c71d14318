/*
 * addendum.h - the addendum of a readdressed bundle, "amana-addendum/1": who a new
 * addressing of an issued bundle is for.
 *
 * `amana readdress` gives an issued bundle a new age header (new recipients, the same file
 * key) over the same body. The signed manifest inside the payload still names the first
 * seal's recipients, so the new ones are bound by the addendum: a short text, encrypted to
 * the new recipients as the member addendum.age, whose BLAKE2b-512 and size the new (signed)
 * envelope carries on its `readdress:` line. Being encrypted, it keeps the recipients' names
 * inside, as the manifest does. UTF-8, LF endings, these lines in this order:
 *
 *   format: amana-addendum/1
 *   bundle-id: HEX32                         the bundle's id, as in the envelope
 *   sequence: N                              this addressing's sequence, as in the envelope
 *   payload-body: blake2b-512 HEX128 N       the body it re-addresses, as in the envelope
 *   recipients: N                            the count, as in the envelope
 *   recipient: AGE1 NAME                     N times: the X25519 recipient, then its name
 *
 * A reader accepts its own recipient when the manifest or a valid addendum for this bundle
 * lists it, and nothing else. docs/format.md is normative.
 */
#ifndef AMANA_ADDENDUM_H
#define AMANA_ADDENDUM_H

#include <stddef.h>
#include <stdint.h>

#include "vault/err.h"
#include "vault/manifest.h"

#define ADDENDUM_FORMAT "amana-addendum/1"
#define ADDENDUM_MAX 65536
#define ADDENDUM_RECIPIENTS_MAX 500

struct envelope;

struct addendum {
	char bundle_id[33];
	uint64_t sequence;
	char body_blake2b[129];
	uint64_t body_size;
	struct manifest_recipient *recipients; /* names and recipients point into text */
	size_t nrecipients;
	char *text; /* the parsed copy, split in place */
};

/* The text for env (its bundle id, sequence, body digest and size) and the recipients
 * r[0..n); malloc'd, NUL-terminated; NULL when out of memory. */
char *addendum_encode(const struct envelope *env, const struct manifest_recipient *r, size_t n);

/* Parses text[0..len) strictly: ERR_FORMAT naming the line. Free with addendum_free, also
 * after a failure. */
int addendum_parse(const char *text, size_t len, struct addendum *a, struct err *e);
void addendum_free(struct addendum *a);

/* The addendum belongs to env (bundle id, sequence, body and count as the envelope says):
 * ERR_VERIFY naming the field otherwise. */
int addendum_matches(const struct addendum *a, const struct envelope *env, struct err *e);

/* True when recipient ("age1...") is among a's. */
bool addendum_lists(const struct addendum *a, const char *recipient);

#endif
