/*
 * cmd_readdress.c - "amana readdress": give an issued bundle to other member states without
 * sealing it again.
 *
 *   readdress BUNDLE -s KEY -i IDENTITY (--to NAME ... | --to-all) [--to-self] -o OUT
 *
 * The secretariat opens the bundle's age header with its own identity (the bundle must have
 * been sealed --to-self), gives the same file key to the new list of recipients in a new
 * header, and copies the encrypted body unchanged (vault/readdress.h). The new bundle keeps
 * its bundle id, takes the next sequence and a new leaf in the log, and carries an addendum,
 * encrypted to the new recipients and bound by the signed envelope, that lists them. Only a
 * bundle this vault issued, with the key that sealed it, can be readdressed; a key the
 * issuer's root revoked or whose window is over cannot.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "keys/keyfile.h"
#include "vault/age.h"
#include "vault/clock.h"
#include "vault/io.h"
#include "vault/ledger.h"
#include "vault/log.h"
#include "vault/readdress.h"
#include "vault/store.h"

int cmd_readdress(struct cli_ctx *ctx, int argc, char **argv, struct err *e)
{
	static const struct option longs[] = {
		{"to", required_argument, NULL, 't'},
		{"to-all", no_argument, NULL, 'A'},
		{"to-self", no_argument, NULL, 'S'},
		{"identity", required_argument, NULL, 'i'},
		{"output", required_argument, NULL, 'o'},
		{"passphrase-fd", required_argument, NULL, 'F'},
		{NULL, 0, NULL, 0},
	};
	const char *key = NULL, *out = NULL;
	char **to = calloc((size_t)argc + 1, sizeof *to);
	const char **idpaths = calloc((size_t)argc + 1, sizeof *idpaths);
	size_t nto = 0, nids = 0, nrecipients = 0;
	bool all = false, self = false, in_tx = false;
	int fd = -1, c, rc = -1;
	struct manifest_recipient *recipients = NULL;
	struct age_identities *ids = NULL;
	struct minisign_sec *sk = NULL;
	struct envelope first;
	struct sealed sealed = {0};
	struct seal_root root;
	char *text = NULL, *chain = NULL;
	size_t text_len = 0;
	struct store *s = NULL;

	memset(&first, 0, sizeof first);
	sealed.out.fd = -1;
	if (!to || !idpaths) {
		free(to);
		free(idpaths);
		return err_set(e, ERR_IO, "out of memory");
	}
	while ((c = cli_getopt(ctx, argc, argv, "s:t:i:o:", longs, e)) > 0) {
		switch (c) {
		case 's': key = optarg; break;
		case 't': to[nto++] = optarg; break;
		case 'A': all = true; break;
		case 'S': self = true; break;
		case 'i': idpaths[nids++] = optarg; break;
		case 'o': out = optarg; break;
		case 'F':
			if (cli_parse_fd(optarg, &fd, e) != 0)
				goto done;
			break;
		}
	}
	if (c < 0) {
		rc = c;
		goto done;
	}
	if (cli_nargs(argc, argv, 1, 1, "the bundle to readdress", e) != 0)
		goto done;
	if (!key) {
		cli_usage(e, "-s KEY (the key that sealed the bundle) is required");
		goto done;
	}
	if (!nids) {
		cli_usage(e, "-i IDENTITY (the secretariat's own age key, which the bundle was sealed for) is required");
		goto done;
	}
	if (!out) {
		cli_usage(e, "-o OUT is required (the readdressed bundle)");
		goto done;
	}
	io_no_core_dumps();
	const char *bundle = argv[optind];

	/* The bundle must be one this vault issued, exactly as it issued it. */
	if (readdress_peek(bundle, &first, &text, &text_len, e) != 0)
		goto done;
	if (!(s = cli_store(ctx, e)))
		goto done;
	int mine = log_has_envelope(s, &first, text, text_len, e);
	if (mine < 0)
		goto done;
	if (!mine) {
		err_set(e, ERR_VERIFY, "bundle %s (sequence %llu) is not one this vault issued: its log has no such envelope",
			first.bundle_id, (unsigned long long)first.sequence);
		err_hint(e, "readdress in the secretariat's vault that sealed it ('amana log show' lists what it issued)");
		goto done;
	}
	if (cli_resolve_recipients(s, to, nto, all, self, &recipients, &nrecipients, e) != 0)
		goto done;
	/* A seal or readdress killed after the vault's commit left its bundle under a temporary
	 * name: it is placed first, as seal does. */
	char *placed_id = NULL;
	size_t placed = 0;
	if (ledger_finish_pending(s, NULL, &placed_id, &placed, e) != 0)
		goto done;
	free(placed_id);
	if (placed)
		out_note(ctx, "placed %zu bundle%s that an interrupted seal or readdress had recorded but not named",
			 placed, placed == 1 ? "" : "s");
	if (io_exists(out)) {
		err_set(e, ERR_IO, "'%s' already exists", out);
		err_hint(e, "choose another name with -o, or move the existing file away");
		goto done;
	}
	if (cli_load_identities(idpaths, nids, &fd, &ids, e) != 0 || keyfile_load_sign_secret(key, fd, &sk, e) != 0)
		goto done;
	char issuer[17];
	minisign_key_id_hex(sk->key_id, issuer);
	if (strcmp(issuer, first.issuer) != 0) {
		err_set(e, ERR_USAGE, "bundle %s was sealed with key %s, not with this key (%s)", first.bundle_id,
			first.issuer, issuer);
		err_hint(e, "readdress with the key that sealed it: its manifest is signed by that key");
		goto done;
	}

	/* As a seal: the next sequence, the root in force, then the bundle and its log entry. */
	store_wait(s, cli_wait_ms(CLI_SEAL_WAIT_MS));
	if (store_begin(s, e) != 0)
		goto done;
	in_tx = true;
	struct readdress_input in = {
		.bundle = bundle,
		.ids = ids,
		.recipients = recipients,
		.nrecipients = nrecipients,
		.sk = sk,
		.created = clock_now(),
		.out_path = out,
	};
	if (ledger_next_sequence(s, issuer, &in.sequence, e) != 0)
		goto done;
	int has_root = cli_seal_root(ctx, sk->key_id, in.created, in.sequence, &root, &chain, e);
	if (has_root < 0) {
		err_prefix(e, "cannot readdress");
		goto done;
	}
	if (has_root)
		in.root = &root;
	if (readdress_prepare(&in, &sealed, e) != 0 || cli_issue(ctx, s, &sealed, sk, in.sequence, out, &in_tx, e) != 0)
		goto done;

	if (ctx->json) {
		json_begin_object();
		json_str("bundle", out);
		json_str("bundle_id", sealed.env.bundle_id);
		json_str("issuer", issuer);
		json_int("sequence", (long long)in.sequence);
		json_int("first_sequence", (long long)sealed.env.first_sequence);
		json_int("payload_size", (long long)sealed.env.payload_size);
		json_begin_array("recipients");
		for (size_t i = 0; i < nrecipients; i++) {
			json_begin_object();
			json_str("name", recipients[i].name);
			json_str("recipient", recipients[i].recipient);
			json_end_object();
		}
		json_end_array();
		json_end_object();
		json_done();
	} else if (ctx->verbosity >= 0) {
		out_line("readdressed %s", out_safe(0, out));
		out_line("  bundle %s, sequence %llu (first sealed as sequence %llu), issuer %s", sealed.env.bundle_id,
			 (unsigned long long)in.sequence, (unsigned long long)sealed.env.first_sequence, issuer);
		out_line("  payload body %llu bytes, unchanged; a new header for %zu recipients",
			 (unsigned long long)sealed.env.payload_size, nrecipients);
		for (size_t i = 0; i < nrecipients; i++)
			out_line("  for %s", out_safe(0, recipients[i].name));
	}
	rc = 0;
done:
	if (in_tx)
		store_rollback(s);
	sealed_free(&sealed);
	minisign_sec_free(sk);
	age_identities_free(ids);
	envelope_free(&first);
	cli_free_recipients(recipients, nrecipients);
	free(text);
	free(chain);
	free(to);
	free(idpaths);
	return rc;
}
