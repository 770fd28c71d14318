/*
 * checks.c - what inspect, verify and open share: looking up pinned issuers, the vault's
 * memory of accepted bundles, loading identities, and reporting a verification.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "keys/keyring.h"
#include "keys/passphrase.h"
#include "vault/clock.h"
#include "vault/envelope.h"
#include "vault/age.h"
#include "vault/io.h"
#include "vault/minisign.h"
#include "vault/root.h"
#include "vault/seal.h"
#include "vault/ledger.h"
#include "vault/log.h"
#include "vault/store.h"
#include "vault/trust.h"
#include "vault/verify.h"

int cli_pinned_root_for(struct store *s, const char *want, const uint8_t key_id[8], struct root **p,
			   size_t *np, struct err *e)
{
	char (*ids)[33];
	size_t n;
	*p = NULL;
	*np = 0;
	if (keyring_root_ids(s, &ids, &n, e) != 0)
		return -1;
	int rc = 0;
	for (size_t i = 0; i < n && !*np && rc == 0; i++) {
		if (want && strcmp(ids[i], want) != 0)
			continue;
		if (keyring_root_load(s, ids[i], p, np, e) != 0) {
			rc = -1;
			break;
		}
		bool lists = want != NULL;
		for (size_t v = 0; v < *np && !lists; v++)
			lists = root_find_signer(&(*p)[v], key_id) != NULL;
		if (!lists) {
			root_chain_free(*p, *np);
			*p = NULL;
			*np = 0;
		}
	}
	free(ids);
	return rc;
}

/* The version v of one root among pinned[0..np) and chain[0..nc); NULL when neither has it. */
static const struct root *root_version_in(const struct root *pinned, size_t np, const struct root *chain,
					  size_t nc, uint64_t v)
{
	for (size_t i = 0; i < np; i++)
		if (pinned[i].version == v)
			return &pinned[i];
	for (size_t i = 0; i < nc; i++)
		if (chain[i].version == v)
			return &chain[i];
	return NULL;
}

int cli_root_judge(struct cli_ctx *c, const uint8_t key_id[8], const struct envelope *env, bool container,
		   const char *chain_text, size_t chain_len, struct verify_trust *t, struct err *e)
{
	struct store *s = cli_store(c, e);
	struct root *chain = NULL, *pinned = NULL;
	size_t nc = 0, np = 0;
	int rc = -1;
	err_clear(&t->refusal);
	if (!s)
		return -1;
	if (chain_text) {
		if (root_chain_parse(chain_text, chain_len, &chain, &nc, e) != 0) {
			err_prefix(e, "the bundle's root chain");
			goto done;
		}
		if (root_chain_check(chain, nc, e) != 0) {
			err_prefix(e, "the bundle's root chain");
			goto done;
		}
	}
	if (cli_pinned_root_for(s, nc ? chain[0].root_id : NULL, key_id, &pinned, &np, e) != 0)
		goto done;
	if (!np && nc) {
		/* The chain is of a root not pinned here. If a pinned root lists the key, that root
		 * decides, and a bundle under another root is not one it vouches for. */
		if (cli_pinned_root_for(s, NULL, key_id, &pinned, &np, e) != 0)
			goto done;
		if (np) {
			err_set(&t->refusal, ERR_VERIFY, "the bundle carries the chain of root %s, but its key belongs to root '%s' (%s) pinned here (mix-and-match)",
				chain[0].root_id, pinned[np - 1].name, pinned[np - 1].root_id);
			err_hint(&t->refusal, "a bundle is judged by the root pinned for its key; ask the issuer for a bundle sealed under it");
			root_chain_free(chain, nc);
			chain = NULL;
			nc = 0;
		}
	}
	if (!np) {
		rc = 0; /* no pinned root decides: the key on its own, if pinned */
		goto done;
	}
	const struct root *newest;
	size_t learn;
	if (trust_walk(pinned, np, chain, nc, &newest, &learn, e) != 0)
		goto done;
	const struct root *named = NULL;
	if (env && env->has_root && !container) {
		/* A record proof carries the envelope alone: the root it names must be one this
		 * vault holds, with the same digest. */
		named = root_version_in(pinned, np, chain, nc, env->root_version);
		if (!named)
			err_set(&t->refusal, ERR_VERIFY, "the envelope names root version %llu, and this vault knows root '%s' up to version %llu only",
				(unsigned long long)env->root_version, pinned[np - 1].name,
				(unsigned long long)pinned[np - 1].version);
		else if (strcmp(named->root_id, env->root_id) != 0 || strcmp(named->digest_hex, env->root_digest) != 0)
			err_set(&t->refusal, ERR_VERIFY, "the envelope names a version %llu of root '%s' other than the one pinned here (a fork)",
				(unsigned long long)env->root_version, pinned[np - 1].name);
		if (t->refusal.code)
			err_hint(&t->refusal, "verify or open a bundle of that issuer that carries the newer root first, or pin it with 'amana trust add ROOT'");
	} else if (env && env->has_root && !t->refusal.code) {
		/* A chain missing altogether is refused by vault/verify.c, for every reader. */
		named = root_version_in(pinned, np, chain, nc, env->root_version);
		if (nc && (strcmp(chain[nc - 1].root_id, env->root_id) != 0 ||
			 chain[nc - 1].version != env->root_version ||
			 strcmp(chain[nc - 1].digest_hex, env->root_digest) != 0))
			err_set(&t->refusal, ERR_VERIFY, "the bundle's root chain does not end at the root its envelope names (version %llu): it was stripped or reordered",
				(unsigned long long)env->root_version);
		if (t->refusal.code)
			err_hint(&t->refusal, "the chain a bundle carries is every version from 1 to the one its envelope names, in order");
	}
	/* A chain without a root: line is malformed: vault/verify.c refuses it (exit 3). */
	/* Newer versions are learnt only from a chain that its envelope names, and only once
	 * the bundle passed every check: a refused bundle teaches the vault nothing. (The
	 * chain is threshold-signed from the version pinned here either way.) */
	free(c->root_learn);
	c->root_learn = NULL;
	if (learn < nc && env && !t->refusal.code) {
		/* Pinned by cli_history_commit, once the whole bundle passed. */
		if (!(c->root_learn = malloc(chain_len + 1))) {
			err_set(e, ERR_IO, "out of memory");
			goto done;
		}
		memcpy(c->root_learn, chain_text, chain_len);
		c->root_learn[chain_len] = '\0';
		c->root_learn_len = chain_len;
		c->root_learn_from = chain[learn].version;
		t->root_learned = chain[nc - 1].version;
	} else if (learn < nc) {
		newest = &pinned[np - 1];
	}
	int64_t created = 0;
	uint64_t index = 0;
	if (env) {
		clock_parse_rfc3339(env->created, &created);
		index = env->sequence - 1;
	}
	const struct root_signer *sg;
	struct err je;
	err_clear(&je);
	enum root_key_state st = trust_judge(newest, named, key_id, created, index, clock_now(), &sg, &je);
	if (!sg) {
		rc = 0; /* not one of the root's signing keys: not trusted through it */
		goto done;
	}
	memcpy(t->pk, sg->key.pk, 32);
	free(t->name);
	if (!(t->name = strdup(newest->name))) {
		err_set(e, ERR_IO, "out of memory");
		goto done;
	}
	t->via_root = true;
	memcpy(t->root_id, newest->root_id, sizeof t->root_id);
	t->root_version = newest->version;
	snprintf(t->key_state, sizeof t->key_state, "%s", root_key_state_name(st));
	if (je.code && !t->refusal.code)
		err_copy(&t->refusal, &je);
	c->revocation_pin = false;
	if (st == ROOT_KEY_VALID_BEFORE_REVOCATION) {
		const struct root_revoked *x = root_find_revoked(newest, key_id);
		if (!x && named)
			x = root_find_revoked(named, key_id);
		if (x) {
			c->revocation_pin = true;
			c->revoked_from = x->from;
			memcpy(c->revoked_root, x->log_root, 32);
		}
	}
	rc = 1;
done:
	root_chain_free(chain, nc);
	root_chain_free(pinned, np);
	return rc;
}

int cli_seal_root(struct cli_ctx *c, const uint8_t key_id[8], int64_t created, uint64_t sequence,
		  struct seal_root *out, char **chain, struct err *e)
{
	struct store *s = cli_store(c, e);
	struct root *pinned = NULL;
	size_t np = 0;
	*chain = NULL;
	if (!s || cli_pinned_root_for(s, NULL, key_id, &pinned, &np, e) != 0)
		return -1;
	if (!np)
		return 0;
	int rc = -1;
	const struct root *newest = &pinned[np - 1];
	if (pinned[0].version != 1) {
		err_set(e, ERR_USAGE, "this vault holds versions %llu to %llu of root '%s', and a bundle carries every version from 1",
			(unsigned long long)pinned[0].version, (unsigned long long)newest->version, newest->name);
		err_hint(e, "pin the whole chain: 'amana trust add CHAIN' with the file that holds versions 1 to %llu",
			 (unsigned long long)newest->version);
		goto done;
	}
	const struct root_signer *sg;
	enum root_key_state st = trust_judge(newest, NULL, key_id, created, sequence - 1, clock_now(), &sg, e);
	if (st != ROOT_KEY_VALID) {
		if (st == ROOT_KEY_VALID_BEFORE_REVOCATION) {
			char id[17];
			minisign_key_id_hex(key_id, id);
			err_set(e, ERR_VERIFY, "key %s is revoked by root '%s' version %llu (revoked)", id, newest->name,
				(unsigned long long)newest->version);
		}
		err_hint(e, "use a current signing key of root '%s' ('amana root show' lists them)", newest->name);
		goto done;
	}
	size_t len = 0;
	for (size_t i = 0; i < np; i++)
		len += pinned[i].text_len;
	if (!(*chain = malloc(len + 1))) {
		err_set(e, ERR_IO, "out of memory");
		goto done;
	}
	len = 0;
	for (size_t i = 0; i < np; i++) {
		memcpy(*chain + len, pinned[i].text, pinned[i].text_len);
		len += pinned[i].text_len;
	}
	(*chain)[len] = '\0';
	if (len > ROOT_CHAIN_MAX) {
		err_set(e, ERR_USAGE, "root '%s' has grown past %u bytes from version 1 to %llu", newest->name,
			ROOT_CHAIN_MAX, (unsigned long long)newest->version);
		goto done;
	}
	memcpy(out->root_id, newest->root_id, sizeof out->root_id);
	out->version = newest->version;
	memcpy(out->digest, newest->digest_hex, sizeof out->digest);
	out->chain = *chain;
	out->chain_len = len;
	rc = 1;
done:
	if (rc < 0) {
		free(*chain);
		*chain = NULL;
	}
	root_chain_free(pinned, np);
	return rc;
}

int cli_issuer_lookup(void *ctx, const uint8_t key_id[8], struct verify_report *r, struct err *e)
{
	struct cli_ctx *c = ctx;
	struct store *s = cli_store(c, e);
	struct keyring_trusted t;
	c->issuer_set = false;
	c->revocation_pin = false;
	if (!s)
		return -1;
	int rc = cli_root_judge(c, key_id, r->envelope_parsed ? &r->env : NULL, true, r->root_text, r->root_len,
				&r->trust, e);
	if (rc == 0) {
		/* No pinned root speaks for this key: a key pinned on its own, as before roots. */
		rc = keyring_trust_find(s, key_id, KEYRING_ISSUER, &t, e);
		if (rc != 1)
			return rc;
		memcpy(r->trust.pk, t.public_key, 32);
		free(r->trust.name);
		r->trust.name = t.name;
		snprintf(r->trust.key_state, sizeof r->trust.key_state, "valid");
		free(t.added);
	}
	if (rc == 1) {
		c->issuer_set = true;
		memcpy(c->issuer_pk, r->trust.pk, 32);
	}
	return rc;
}

int cli_issuer_key(struct cli_ctx *c, const struct envelope *env, uint8_t pk[32], struct err *e)
{
	if (c->issuer_set) {
		memcpy(pk, c->issuer_pk, 32);
		return 0;
	}
	struct store *s = cli_store(c, e);
	struct keyring_trusted t;
	uint8_t kid[8];
	if (!s)
		return -1;
	minisign_key_id_parse(env->issuer, kid);
	int found = keyring_trust_find(s, kid, KEYRING_ISSUER, &t, e);
	if (found != 1)
		return found < 0 ? -1 : err_set(e, ERR_VERIFY, "the issuer %s is not pinned", env->issuer);
	memcpy(pk, t.public_key, 32);
	free(t.name);
	free(t.added);
	return 0;
}

int cli_revocation_check(struct cli_ctx *c, const struct envelope *env, const char *origin,
			 const uint8_t (*leaves)[32], uint64_t n, struct err *e)
{
	if (!c->revocation_pin)
		return 0;
	uint8_t root[32];
	int known = log_known_root(c->store, origin, leaves, n, c->revoked_from, root, e);
	if (known < 0)
		return -1;
	if (known == 0) {
		err_set(e, ERR_VERIFY, "key %s was revoked from log position %llu; this bundle (position %llu) cannot be shown to precede the revocation: fewer than %llu leaves of its log are known here (revoked)",
			env->issuer, (unsigned long long)c->revoked_from, (unsigned long long)env->sequence - 1,
			(unsigned long long)c->revoked_from);
		return err_hint(e, "verify a later bundle of that key first (one at position %llu or later carries the leaves), or ask the secretariat to reissue it with a current key",
				(unsigned long long)c->revoked_from - 1);
	}
	if (sodium_memcmp(root, c->revoked_root, 32) != 0) {
		err_set(e, ERR_VERIFY, "key %s was revoked from log position %llu, and its log as known here does not have the root the revocation pins at that size (a fork, revoked)",
			env->issuer, (unsigned long long)c->revoked_from);
		return err_hint(e, "do not act on this bundle; report it to the secretariat");
	}
	return 0;
}

/* The pinned witnesses as cosignature verifier keys (malloc'd). */
static int witness_keys(struct store *s, struct note_vkey **keys, size_t *n, struct err *e)
{
	struct keyring_trusted *list;
	size_t k;
	*keys = NULL;
	*n = 0;
	if (keyring_trust_list(s, &list, &k, e) != 0)
		return -1;
	int rc = 0;
	if (k && !(*keys = calloc(k, sizeof **keys)))
		rc = err_set(e, ERR_IO, "out of memory");
	for (size_t i = 0; i < k && rc == 0; i++)
		if (list[i].role == KEYRING_WITNESS)
			rc = log_witness_vkey(&(*keys)[(*n)++], list[i].key_id, list[i].public_key, e);
	keyring_trusted_free(list, k);
	if (rc != 0) {
		free(*keys);
		*keys = NULL;
		*n = 0;
	}
	return rc;
}

int cli_history_check(void *ctx, const struct envelope *env, const char *envelope,
		      size_t envelope_len, const char *checkpoint, size_t checkpoint_len,
		      const char *proof, size_t proof_len, struct err *e)
{
	struct cli_ctx *c = ctx;
	struct store *s = cli_store(c, e);
	uint8_t issuer_pk[32];
	struct note_vkey *wk = NULL;
	size_t nw = 0;
	if (!s || ledger_check_received(s, env, envelope, e) != 0)
		return -1;
	if (cli_issuer_key(c, env, issuer_pk, e) != 0)
		return -1;
	if (witness_keys(s, &wk, &nw, e) != 0)
		return -1;
	struct log_checked *lc = calloc(1, sizeof *lc);
	int rc = lc ? log_check(s, env, issuer_pk, envelope, envelope_len, checkpoint, checkpoint_len,
				proof, proof_len, wk, nw, lc, e)
		    : err_set(e, ERR_IO, "out of memory");
	free(wk);
	if (rc == 0)
		rc = cli_revocation_check(c, env, lc->origin, (const uint8_t (*)[32])lc->leaves, lc->size, e);
	if (rc == 0 && lc->witnesses < c->witnesses_required) {
		err_set(e, ERR_VERIFY, "the log is vouched for by %u pinned witness%s; %u required", lc->witnesses,
			lc->witnesses == 1 ? "" : "es", c->witnesses_required);
		err_hint(e, "pin the witnesses you rely on with 'amana trust add FILE.pub --name NAME --witness'");
		rc = -1;
	}
	if (rc != 0) {
		if (lc)
			log_checked_free(lc);
		free(lc);
		return -1;
	}
	if (c->log_seen) {
		log_checked_free(c->log_seen);
		free(c->log_seen);
	}
	c->log_seen = lc;
	return 0;
}

/* Pins the root versions the bundle just accepted brought (cli_root_judge kept them). */
static int learn_root(struct cli_ctx *ctx, struct err *e)
{
	struct root *chain;
	size_t n;
	if (!ctx->root_learn)
		return 0;
	int rc = root_chain_parse(ctx->root_learn, ctx->root_learn_len, &chain, &n, e);
	for (size_t i = 0; rc == 0 && i < n; i++)
		if (chain[i].version >= ctx->root_learn_from) {
			rc = keyring_root_store(ctx->store, &chain[i], n - i, e);
			break;
		}
	if (rc == 0)
		root_chain_free(chain, n);
	free(ctx->root_learn);
	ctx->root_learn = NULL;
	return rc;
}

int cli_history_commit(struct cli_ctx *ctx, struct err *e)
{
	if (learn_root(ctx, e) != 0)
		return -1;
	if (!ctx->log_seen)
		return 0;
	int rc = log_remember(ctx->store, ctx->log_seen, e);
	log_checked_free(ctx->log_seen);
	free(ctx->log_seen);
	ctx->log_seen = NULL;
	return rc;
}

static int ask_passphrase(void *ctx, const char *prompt, char **pass, size_t *len, struct err *e)
{
	int fd = *(int *)ctx;
	return passphrase_read(fd, prompt, false, pass, len, e);
}

int cli_load_identities(const char *const *paths, size_t n, int *pass_fd,
			struct age_identities **out, struct err *e)
{
	struct age_identities *ids;
	*out = NULL;
	if (age_identities_new(&ids, e) != 0)
		return -1;
	age_identities_set_passphrase_fn(ids, ask_passphrase, pass_fd);
	for (size_t i = 0; i < n; i++) {
		unsigned char *data;
		size_t len;
		if (io_read_secret(paths[i], AGE_IDENTITY_FILE_MAX, &data, &len, e) != 0) {
			age_identities_free(ids);
			return -1;
		}
		int rc = age_identities_add_file(ids, data, len, paths[i], e);
		sodium_free(data);
		if (rc != 0) {
			age_identities_free(ids);
			return -1;
		}
	}
	*out = ids;
	return 0;
}

static const char *verdict(int v)
{
	return v == 1 ? "ok" : v == 0 ? "FAILED" : "not checked";
}

static void json_verdict(const char *key, int v)
{
	if (v < 0)
		json_null(key);
	else
		json_bool(key, v == 1);
}

void cli_print_report(struct cli_ctx *ctx, const struct verify_report *r, bool ok,
		      const struct err *failure, const char *const *not_checked)
{
	const struct envelope *env = &r->env;
	if (ctx->json) {
		json_begin_object();
		json_bool("ok", ok);
		if (r->envelope_parsed) {
			json_begin_object_in("envelope");
			json_str("bundle_id", env->bundle_id);
			json_str("issuer", env->issuer);
			json_str("issuer_name", env->issuer_name);
			json_str("conference", env->conference);
			json_str("title", env->title);
			json_str("created", env->created);
			json_int("sequence", (long long)env->sequence);
			json_int("recipients", (long long)env->recipients);
			json_int("records", (long long)env->records_count);
			json_str("records_root", env->records_root);
			json_int("format", env->format);
			if (env->format >= 2) {
				json_str("payload_header_blake2b", env->header_blake2b);
				json_int("payload_header_size", (long long)env->header_size);
			}
			json_str("payload_blake2b", env->payload_blake2b);
			json_int("payload_size", (long long)env->payload_size);
			if (env->has_readdress) {
				json_begin_object_in("readdress");
				json_int("first_sequence", (long long)env->first_sequence);
				json_str("first_created", env->first_created);
				json_str("addendum_blake2b", env->addendum_blake2b);
				json_int("addendum_size", (long long)env->addendum_size);
				json_end_object();
			}
			if (env->has_root) {
				json_begin_object_in("root");
				json_str("root_id", env->root_id);
				json_int("version", (long long)env->root_version);
				json_str("digest", env->root_digest);
				json_end_object();
			}
			json_end_object();
		}
		if (r->issuer_pinned == 1) {
			json_begin_object_in("trust");
			json_str("through", r->trust.via_root ? "root" : "key");
			if (r->trust.via_root) {
				json_str("root_id", r->trust.root_id);
				json_int("root_version", (long long)r->trust.root_version);
				if (r->trust.root_learned)
					json_int("root_learned", (long long)r->trust.root_learned);
			}
			json_str("key_state", r->trust.key_state);
			json_end_object();
		}
		json_begin_object_in("checks");
		json_verdict("issuer_pinned", r->issuer_pinned);
		json_verdict("envelope_signature", r->envelope_sig_ok);
		json_verdict("log", r->log_ok);
		json_verdict("payload_digest", r->payload_ok);
		json_verdict("inner", r->inner_ok);
		json_end_object();
		if (r->issuer_pinned_name)
			json_str("pinned_as", r->issuer_pinned_name);
		if (r->recipient)
			json_str("recipient", r->recipient);
		if (r->inner_ok == 1) {
			json_int("files", (long long)r->files);
			json_int("bytes", (long long)r->bytes);
		}
		json_begin_array("not_checked");
		for (size_t i = 0; not_checked && not_checked[i]; i++)
			json_str(NULL, not_checked[i]);
		json_end_array();
		if (!ok && failure)
			json_str("failure", failure->msg);
		json_end_object();
		json_done();
		return;
	}
	if (r->envelope_parsed) {
		out_line("bundle:      %s", env->bundle_id);
		out_line("issuer:      %s (%s)", out_safe(0, env->issuer_name), env->issuer);
		out_line("conference:  %s", out_safe(0, env->conference));
		out_line("title:       %s", out_safe(0, env->title));
		out_line("created:     %s", env->created);
		out_line("sequence:    %llu", (unsigned long long)env->sequence);
		out_line("recipients:  %llu", (unsigned long long)env->recipients);
		out_line("records:     %llu (root %s)", (unsigned long long)env->records_count, env->records_root);
		out_line("payload:     %llu bytes, blake2b-512 %.16s...", (unsigned long long)env->payload_size,
			 env->payload_blake2b);
		if (env->has_root)
			out_line("root:        %s version %llu", env->root_id, (unsigned long long)env->root_version);
		if (env->has_readdress)
			out_line("readdress:   of the bundle first sealed as sequence %llu (%s); addendum.age %llu bytes",
				 (unsigned long long)env->first_sequence, env->first_created,
				 (unsigned long long)env->addendum_size);
	}
	if (r->issuer_pinned == 1 && r->trust.via_root)
		out_line("key:         %s, through root '%s' version %llu%s", r->trust.key_state,
			 out_safe(0, r->trust.name ? r->trust.name : ""), (unsigned long long)r->trust.root_version,
			 r->trust.root_learned ? " (learnt from this bundle)" : "");
	out_line("checks:");
	if (r->issuer_pinned == 1)
		out_line("  issuer pinned        ok, as '%s'", out_safe(0, r->issuer_pinned_name));
	else
		out_line("  issuer pinned        %s", r->issuer_pinned == 0 ? "NO: origin cannot be confirmed" : "not checked");
	out_line("  envelope signature   %s", verdict(r->envelope_sig_ok));
	out_line("  log                  %s", verdict(r->log_ok));
	out_line("  payload digest       %s", verdict(r->payload_ok));
	if (r->inner_ok == 1)
		out_line("  inside               ok: manifest signed, %llu files and %llu records as listed",
			 (unsigned long long)r->files, (unsigned long long)r->records);
	else
		out_line("  inside               %s", verdict(r->inner_ok));
	for (size_t i = 0; not_checked && not_checked[i]; i++)
		out_line("not checked: %s", not_checked[i]);
}
