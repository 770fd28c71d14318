/*
 * trust.c - the walk along a root chain and the judgement of a signing key. See trust.h.
 */
#include "vault/trust.h"

#include <string.h>

#include "vault/clock.h"

int trust_walk(const struct root *pinned, size_t np, const struct root *chain, size_t nc,
	       const struct root **newest, size_t *learn, struct err *e)
{
	*newest = np ? &pinned[np - 1] : (nc ? &chain[nc - 1] : NULL);
	*learn = nc;
	if (!*newest)
		return err_set(e, ERR_INTERNAL, "no root to walk (this is a bug)");
	uint64_t top = np ? pinned[np - 1].version : 0;
	for (size_t i = 0; i < nc; i++) {
		const struct root *c = &chain[i];
		if (np && strcmp(c->root_id, pinned[0].root_id) != 0)
			return err_set(e, ERR_INTERNAL, "the chain is of another root (this is a bug)");
		if (np && c->version >= pinned[0].version && c->version <= top) {
			const struct root *p = &pinned[c->version - pinned[0].version];
			if (strcmp(p->digest_hex, c->digest_hex) != 0) {
				err_set(e, ERR_VERIFY, "two different roots claim version %llu of root '%s' (%s): the one pinned here and the one given (a fork)",
					(unsigned long long)c->version, p->name, p->root_id);
				return err_hint(e, "report it to the secretariat: its root keys signed two versions, or someone holds a threshold of them");
			}
		}
		if (c->version > top && *learn == nc)
			*learn = i;
	}
	if (nc && chain[nc - 1].version > top)
		*newest = &chain[nc - 1];
	return 0;
}

static void time_text(int64_t t, char buf[32])
{
	clock_rfc3339(t, buf, 32);
}

enum root_key_state trust_judge(const struct root *newest, const struct root *named,
				const uint8_t key_id[8], int64_t created, uint64_t index, int64_t now,
				const struct root_signer **signer, struct err *e)
{
	char id[17], t1[32], t2[32];
	minisign_key_id_hex(key_id, id);
	const struct root *judge = newest;
	enum root_key_state st = root_key_state(newest, key_id, created, index);
	if (st == ROOT_KEY_NOT_LISTED && named && named != newest) {
		/* Retired by a later version, not revoked: judged by the version it sealed under. */
		judge = named;
		st = root_key_state(named, key_id, created, index);
	}
	*signer = root_find_signer(judge, key_id);
	const struct root_revoked *x = root_find_revoked(judge, key_id);
	if (newest->expires < now) {
		time_text(newest->expires, t1);
		err_set(e, ERR_VERIFY, "root '%s' version %llu, the newest known here, expired at %s: the view of the issuer's keys may be stale (expired)",
			newest->name, (unsigned long long)newest->version, t1);
		err_hint(e, "a bundle carrying a newer root version brings it; or pin the newer root with 'amana trust add ROOT'");
		return ROOT_KEY_EXPIRED;
	}
	switch (st) {
	case ROOT_KEY_VALID:
	case ROOT_KEY_VALID_BEFORE_REVOCATION:
		break;
	case ROOT_KEY_NOT_LISTED:
		err_set(e, ERR_VERIFY, "key %s is not a signing key of root '%s' (version %llu)", id, newest->name,
			(unsigned long long)newest->version);
		err_hint(e, "'amana root show ROOT' lists the signing keys; the bundle was not sealed with one of them");
		break;
	case ROOT_KEY_REVOKED:
		err_set(e, ERR_VERIFY, "key %s was revoked by root '%s' version %llu from log position %llu; this bundle is at position %llu (revoked)",
			id, judge->name, (unsigned long long)judge->version, (unsigned long long)x->from,
			(unsigned long long)index);
		err_hint(e, "do not act on this bundle; ask the secretariat for one sealed with a current key");
		break;
	case ROOT_KEY_NOT_YET_VALID:
	case ROOT_KEY_EXPIRED:
		time_text(created, t1);
		time_text(st == ROOT_KEY_EXPIRED ? (*signer)->not_after : (*signer)->not_before, t2);
		if (st == ROOT_KEY_EXPIRED)
			err_set(e, ERR_VERIFY, "key %s may sign until %s, but the bundle was created at %s (expired)", id,
				t2, t1);
		else
			err_set(e, ERR_VERIFY, "key %s may sign from %s, but the bundle was created at %s (not yet valid)",
				id, t2, t1);
		err_hint(e, "root '%s' version %llu sets the key's window ('amana root show ROOT')", judge->name,
			 (unsigned long long)judge->version);
		break;
	}
	return st;
}
