/*
 * checks.c - what inspect, verify and open share: looking up pinned issuers, the vault's
 * memory of accepted bundles, loading identities, and reporting a verification.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "keys/keyring.h"
#include "keys/passphrase.h"
#include "vault/age.h"
#include "vault/io.h"
#include "vault/minisign.h"
#include "vault/ledger.h"
#include "vault/log.h"
#include "vault/store.h"
#include "vault/verify.h"

int cli_issuer_lookup(void *ctx, const uint8_t key_id[8], uint8_t pk[32], char **name,
		      struct err *e)
{
	struct cli_ctx *c = ctx;
	struct store *s = cli_store(c, e);
	struct keyring_trusted t;
	*name = NULL;
	if (!s)
		return -1;
	int rc = keyring_trust_find(s, key_id, KEYRING_ISSUER, &t, e);
	if (rc != 1)
		return rc;
	memcpy(pk, t.public_key, 32);
	*name = t.name;
	free(t.added);
	return 1;
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
	struct keyring_trusted issuer;
	struct note_vkey *wk = NULL;
	size_t nw = 0;
	uint8_t kid[8];
	if (!s || ledger_check_received(s, env, envelope, e) != 0)
		return -1;
	minisign_key_id_parse(env->issuer, kid);
	int found = keyring_trust_find(s, kid, KEYRING_ISSUER, &issuer, e);
	if (found != 1)
		return found < 0 ? -1 : err_set(e, ERR_VERIFY, "the issuer %s is not pinned", env->issuer);
	free(issuer.name);
	free(issuer.added);
	if (witness_keys(s, &wk, &nw, e) != 0)
		return -1;
	struct log_checked *lc = calloc(1, sizeof *lc);
	int rc = lc ? log_check(s, env, issuer.public_key, envelope, envelope_len, checkpoint, checkpoint_len,
				proof, proof_len, wk, nw, lc, e)
		    : err_set(e, ERR_IO, "out of memory");
	free(wk);
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

int cli_history_commit(struct cli_ctx *ctx, struct err *e)
{
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
			json_str("payload_blake2b", env->payload_blake2b);
			json_int("payload_size", (long long)env->payload_size);
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
	}
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
