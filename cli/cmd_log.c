/*
 * cmd_log.c - "amana log": the secretariat's view of its own transparency log.
 *
 *   log show                     size, root, latest checkpoint and cosignatures of each log
 *   log verify [BUNDLE]...       the whole log recomputed from the stored envelopes, and the
 *                                bundles given checked against it
 *   log cosignature add FILE     store the cosignatures a witness made (amana witness cosign)
 *
 * A vault holds one log per issuer key it sealed with ("amana/<key id>").
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "keys/keyring.h"
#include "vault/io.h"
#include "vault/log.h"
#include "vault/minisign.h"
#include "vault/store.h"
#include "vault/verify.h"

static int log_show(struct cli_ctx *ctx, int argc, char **argv, struct err *e)
{
	int rc = cli_args_only(ctx, argc, argv, 0, 0, "", e);
	if (rc != 0)
		return rc;
	struct store *s = cli_store(ctx, e);
	struct log_id *iss;
	size_t n;
	if (!s || log_list(s, &iss, &n, e) != 0)
		return -1;
	if (ctx->json)
		json_begin_array(NULL);
	size_t shown = 0;
	for (size_t i = 0; i < n; i++) {
		struct log_status st;
		if (log_status(s, iss[i].issuer, &st, e) != 0) {
			free(iss);
			return -1;
		}
		if (st.size == 0) {
			log_status_free(&st);
			continue;
		}
		char root[65], b64[45];
		sodium_bin2hex(root, sizeof root, st.root, 32);
		sodium_bin2base64(b64, sizeof b64, st.root, 32, sodium_base64_VARIANT_ORIGINAL);
		if (ctx->json) {
			json_begin_object();
			json_str("origin", st.origin);
			json_int("size", (long long)st.size);
			json_str("root", root);
			json_str("checkpoint", st.note);
			json_int("cosignatures", (long long)st.ncosignatures);
			json_begin_array("witnesses");
			for (size_t k = 0; k < st.ncosigners; k++)
				json_str(NULL, st.cosigners[k]);
			json_end_array();
			json_end_object();
		} else {
			out_line("log %s", st.origin);
			out_line("  size:          %llu bundles", (unsigned long long)st.size);
			out_line("  root:          %s (%s)", root, b64);
			out_line("  cosignatures:  %zu, from %zu witness%s", st.ncosignatures, st.ncosigners,
				 st.ncosigners == 1 ? "" : "es");
			for (size_t k = 0; k < st.ncosigners; k++)
				out_line("    %s", out_safe(0, st.cosigners[k]));
			out_line("  latest checkpoint:");
			for (char *l = st.note; l && *l;) {
				char *lf = strchr(l, '\n');
				out_line("    %.*s", (int)(lf ? lf - l : (long)strlen(l)), l);
				l = lf ? lf + 1 : NULL;
			}
		}
		shown++;
		log_status_free(&st);
	}
	free(iss);
	if (ctx->json) {
		json_end_array();
		json_done();
	} else if (shown == 0) {
		out_note(ctx, "this vault has not sealed any bundle yet, so it has no log");
	}
	return 0;
}

/* For log verify BUNDLE: the bundle's log must be a prefix of ours, at its checkpoint. */
struct own_check {
	struct cli_ctx *ctx;
	const struct log_id *iss;
	size_t n;
};

static int against_own_log(void *c, const struct envelope *env, const char *envelope, size_t elen,
			   const char *checkpoint, size_t clen, const char *proof, size_t plen,
			   struct err *e)
{
	struct own_check *oc = c;
	const struct log_id *me = NULL;
	for (size_t i = 0; i < oc->n; i++)
		if (strcmp(oc->iss[i].issuer, env->issuer) == 0)
			me = &oc->iss[i];
	if (!me)
		return err_set(e, ERR_VERIFY, "the bundle was sealed by %s, not by this vault's keys", env->issuer);
	struct log_checked lc;
	if (log_check(NULL, env, me->pk, envelope, elen, checkpoint, clen, proof, plen, NULL, 0, &lc, e) != 0)
		return -1;
	/* Our own log, as one more "check", compared leaf by leaf. */
	struct store *s = cli_store(oc->ctx, e);
	struct log_status st;
	int rc = s ? log_status(s, env->issuer, &st, e) : -1;
	if (rc == 0) {
		if (lc.size > st.size) {
			rc = err_set(e, ERR_VERIFY, "the bundle's log has %llu leaves; this vault's has only %llu",
				     (unsigned long long)lc.size, (unsigned long long)st.size);
		} else {
			sqlite3_stmt *q = store_prepare(s, "SELECT leaf FROM log_leaves WHERE origin = ?1 AND idx < ?2 ORDER BY idx", e);
			uint64_t j = 0;
			if (!q) {
				rc = -1;
			} else {
				sqlite3_bind_text(q, 1, st.origin, -1, SQLITE_STATIC);
				sqlite3_bind_int64(q, 2, (sqlite3_int64)lc.size);
				while (rc == 0 && sqlite3_step(q) == SQLITE_ROW) {
					if (sqlite3_column_bytes(q, 0) != 32 || memcmp(sqlite3_column_blob(q, 0), lc.leaves[j], 32) != 0)
						rc = err_set(e, ERR_VERIFY, "the bundle's log disagrees with this vault's at leaf %llu (a fork)",
							     (unsigned long long)j);
					j++;
				}
				sqlite3_finalize(q);
			}
		}
		log_status_free(&st);
	}
	log_checked_free(&lc);
	return rc;
}

/* verify_issuer_fn over this vault's own signing keys. */
static int own_lookup(void *c, const uint8_t key_id[8], struct verify_report *r, struct err *e)
{
	struct own_check *oc = c;
	char id[17];
	minisign_key_id_hex(key_id, id);
	for (size_t i = 0; i < oc->n; i++) {
		if (strcmp(oc->iss[i].issuer, id) == 0) {
			memcpy(r->trust.pk, oc->iss[i].pk, 32);
			snprintf(r->trust.key_state, sizeof r->trust.key_state, "valid");
			r->trust.name = strdup("this vault's own key");
			return r->trust.name ? 1 : err_set(e, ERR_IO, "out of memory");
		}
	}
	err_set(e, ERR_VERIFY, "the bundle was sealed by %s, which is not one of the keys this vault sealed with", id);
	return -1;
}

static int log_verify(struct cli_ctx *ctx, int argc, char **argv, struct err *e)
{
	int rc = cli_args_only(ctx, argc, argv, 0, -1, "", e);
	if (rc != 0)
		return rc;
	struct store *s = cli_store(ctx, e);
	struct log_id *iss;
	size_t n;
	if (!s || log_list(s, &iss, &n, e) != 0)
		return -1;
	rc = 0;
	if (ctx->json)
		json_begin_object();
	if (ctx->json)
		json_begin_array("logs");
	for (size_t i = 0; i < n && rc == 0; i++) {
		uint64_t leaves, cps;
		char origin[LOG_NAME_MAX];
		log_origin(iss[i].issuer, origin);
		rc = log_verify_all(s, iss[i].issuer, iss[i].pk, &leaves, &cps, e);
		if (rc == 0 && leaves > 0) {
			if (ctx->json) {
				json_begin_object();
				json_str("origin", origin);
				json_int("leaves", (long long)leaves);
				json_int("checkpoints", (long long)cps);
				json_end_object();
			} else {
				out_line("log %s: %llu %s and %llu checkpoint%s recomputed: ok", origin,
					 (unsigned long long)leaves, leaves == 1 ? "leaf" : "leaves",
					 (unsigned long long)cps, cps == 1 ? "" : "s");
			}
		}
	}
	if (ctx->json)
		json_end_array();
	struct own_check oc = {ctx, iss, n};
	if (ctx->json)
		json_begin_array("bundles");
	/* Every bundle given is checked, the failures too; the first failure is the exit status. */
	struct err first;
	err_clear(&first);
	for (int a = optind; a < argc && rc == 0; a++) {
		/* Our own bundles, checked with our own keys, pinned or not. */
		struct verify_input in = {
			.bundle = argv[a],
			.issuer = own_lookup,
			.log = against_own_log,
			.ctx = &oc,
		};
		struct verify_report r;
		struct err be;
		err_clear(&be);
		bool ok = verify_bundle(&in, &r, &be) == 0;
		if (!ok) {
			err_prefix(&be, "'%s'", argv[a]);
			if (be.code == ERR_VERIFY)
				err_hint(&be, "this vault's log does not hold that bundle as it is: it was altered, or sealed from another copy of this vault (a fork of the history)");
			if (first.code == ERR_OK)
				err_copy(&first, &be);
		}
		if (ctx->json) {
			json_begin_object();
			json_str("bundle", argv[a]);
			if (r.envelope_parsed)
				json_str("bundle_id", r.env.bundle_id);
			else
				json_null("bundle_id");
			json_bool("ok", ok);
			if (!ok)
				json_str("error", be.msg);
			json_end_object();
		} else if (ok) {
			out_line("%s: bundle %s, sequence %llu: in the log, consistent", out_safe(0, argv[a]),
				 r.env.bundle_id, (unsigned long long)r.env.sequence);
		} else {
			out_line("%s: FAILED: %s", out_safe(0, argv[a]), out_safe(1, be.msg));
		}
		verify_report_free(&r);
	}
	if (rc == 0 && first.code != ERR_OK) {
		err_copy(e, &first);
		rc = -1;
	}
	if (ctx->json) {
		json_end_array();
		json_end_object();
		json_done();
	}
	free(iss);
	return rc;
}

static int log_cosignature(struct cli_ctx *ctx, int argc, char **argv, struct err *e)
{
	if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		cli_print_help(ctx->cmd, stdout);
		return CLI_HELP_SHOWN;
	}
	if (argc < 2 || strcmp(argv[1], "add") != 0)
		return cli_usage(e, "usage: amana log cosignature add FILE");
	argc--;
	argv++;
	int rc = cli_args_only(ctx, argc, argv, 1, 1, "the cosignature file", e);
	if (rc != 0)
		return rc;
	struct store *s = cli_store(ctx, e);
	struct keyring_trusted *list;
	size_t k, nw = 0, added;
	unsigned char *text;
	size_t len;
	if (!s || io_read_file(argv[optind], 1 << 20, &text, &len, e) != 0)
		return -1;
	if (keyring_trust_list(s, &list, &k, e) != 0) {
		free(text);
		return -1;
	}
	struct note_vkey *wk = calloc(k ? k : 1, sizeof *wk);
	rc = wk ? 0 : err_set(e, ERR_IO, "out of memory");
	for (size_t i = 0; i < k && rc == 0; i++)
		if (list[i].role == KEYRING_WITNESS)
			rc = log_witness_vkey(&wk[nw++], list[i].key_id, list[i].public_key, e);
	keyring_trusted_free(list, k);
	if (rc == 0 && nw == 0) {
		err_set(e, ERR_VERIFY, "no witness is pinned in this vault");
		rc = err_hint(e, "pin the witness's public key first: amana trust add WITNESS.pub --name NAME --witness");
	}
	if (rc == 0)
		rc = log_cosignature_add(s, (const char *)text, len, wk, nw, &added, e);
	if (rc == 0) {
		if (ctx->json) {
			json_begin_object();
			json_int("added", (long long)added);
			json_end_object();
			json_done();
		} else if (ctx->verbosity >= 0) {
			out_line("%zu new cosignature%s stored; the next bundles carry them", added, added == 1 ? "" : "s");
		}
	}
	free(wk);
	free(text);
	return rc;
}

int cmd_log(struct cli_ctx *ctx, int argc, char **argv, struct err *e)
{
	static const struct cli_sub subs[] = {
		{"cosignature", log_cosignature},
		{"show", log_show},
		{"verify", log_verify},
		{NULL, NULL},
	};
	return cli_subcommand(ctx, argc, argv, subs, e);
}
