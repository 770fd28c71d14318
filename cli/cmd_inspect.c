/*
 * cmd_inspect.c - "amana inspect": what anyone can check of a bundle without a decryption key.
 *
 *   inspect BUNDLE [--json]
 *
 * Shows the envelope; checks the container, the outer signature against the pinned issuers,
 * the log members, and the payload's digest (hashing it, not decrypting it); then says
 * plainly what it could not check. Exit 0 only when every check it could make passed and the
 * issuer is pinned; an unpinned issuer is exit 1 with the reason, since the origin is then
 * unknown, whatever else holds.
 */
#include "cli/cli.h"
#include "vault/verify.h"

int cmd_inspect(struct cli_ctx *ctx, int argc, char **argv, struct err *e)
{
	int rc = cli_args_only(ctx, argc, argv, 1, 1, "the bundle to inspect", e);
	if (rc != 0)
		return rc;
	struct verify_input in = {
		.bundle = argv[optind],
		.issuer = cli_issuer_lookup,
		.log = cli_history_check,
		.ctx = ctx,
		.report_all = true,
	};
	struct verify_report r;
	static const char *const not_checked[] = {
		"the inner signature over the manifest (needs a recipient's key: 'amana verify BUNDLE -i KEY')",
		"the files' sizes and BLAKE2b-512 digests, and the records' Merkle root (inside the payload)",
		"whether this vault is among the recipients",
		NULL,
	};
	rc = verify_bundle(&in, &r, e);
	if (r.envelope_parsed || ctx->json)
		cli_print_report(ctx, &r, rc == 0, e, not_checked);
	verify_report_free(&r);
	return rc;
}
