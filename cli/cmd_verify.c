/*
 * cmd_verify.c - "amana verify": check a minisign signature of a file (and, with a bundle
 * argument, a bundle; see cmd_open.c).
 *
 *   verify -p PUB -m FILE [-x SIG] [-H] [-q]
 *   verify -P BASE64 -m FILE [-x SIG] [-H] [-q]
 *   verify BUNDLE [-i IDENTITY]...
 *
 * As minisign -V: the key id, then the signature over the file (prehashed "ED", or legacy
 * "Ed" unless -H), then the signature over the trusted comment, which is printed on success.
 * Any failure exits 1 and names the check.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "keys/keyfile.h"
#include "vault/io.h"
#include "vault/minisign.h"
#include "vault/verify.h"

#define LEGACY_MAX (1ULL << 30)
#define SIG_MAX 16384

/* verify BUNDLE [-i IDENTITY]...: every check of open, writing nothing; without -i, the
 * checks that need no key, and a list of those that could not run. */
static int verify_bundle_cmd(struct cli_ctx *ctx, int argc, char **argv, struct err *e)
{
	const char **idpaths = NULL;
	size_t nids = 0;
	int fd = -1, rc;
	struct age_identities *ids = NULL;
	struct verify_report r = {0};
	static const char *const without_key[] = {
		"the inner signature, the files and the records (give your identity with -i to check them)",
		NULL,
	};
	rc = cli_bundle_args(ctx, argc, argv, &idpaths, &nids, NULL, &fd, e);
	if (rc != 0)
		goto done;
	rc = -1;
	if (nids > 0) {
		io_no_core_dumps();
		if (cli_load_identities(idpaths, nids, &fd, &ids, e) != 0)
			goto done;
	}
	struct verify_input in = {
		.bundle = argv[optind],
		.ids = ids,
		.issuer = cli_issuer_lookup,
		.log = cli_history_check,
		.ctx = ctx,
	};
	rc = verify_bundle(&in, &r, e);
	if (rc == 0)
		rc = cli_history_commit(ctx, e);
	if (rc == 0 && ctx->verbosity >= 0)
		cli_print_report(ctx, &r, true, NULL, ids ? NULL : without_key);
done:
	verify_report_free(&r);
	age_identities_free(ids);
	free(idpaths);
	return rc;
}

int cmd_verify(struct cli_ctx *ctx, int argc, char **argv, struct err *e)
{
	const char *pubpath = NULL, *pubb64 = NULL, *file = NULL, *sigpath = NULL;
	bool prehashed_only = false, quiet = ctx->verbosity < 0;
	int c;
	/* With -m it is minisign's verify; otherwise a bundle. */
	bool has_m = false;
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		has_m |= strncmp(argv[i], "-m", 2) == 0;
	if (!has_m)
		return verify_bundle_cmd(ctx, argc, argv, e);
	while ((c = cli_getopt(ctx, argc, argv, "p:P:m:x:Hq", NULL, e)) > 0) {
		switch (c) {
		case 'p': pubpath = optarg; break;
		case 'P': pubb64 = optarg; break;
		case 'm': file = optarg; break;
		case 'x': sigpath = optarg; break;
		case 'H': prehashed_only = true; break;
		case 'q': quiet = true; break;
		}
	}
	if (c < 0)
		return c;
	if (cli_nargs(argc, argv, 0, 0, "", e) != 0)
		return -1;
	if (!pubpath == !pubb64)
		return cli_usage(e, "give the public key with -p FILE or -P BASE64 (one of them)");

	int rc = -1, in = -1;
	struct minisign_pub pub;
	struct minisign_sig sig = {0};
	unsigned char *sigtext = NULL, *msg = NULL;
	size_t siglen = 0, msglen = 0;
	char *defsig = NULL;
	uint8_t hash[MINISIGN_HASH_BYTES];

	if (pubpath) {
		if (keyfile_load_sign_public(pubpath, &pub, NULL, e) != 0)
			goto done;
	} else if (minisign_pub_decode(pubb64, strlen(pubb64), &pub, NULL, e) != 0) {
		goto done;
	}
	if (!sigpath) {
		size_t n = strlen(file) + 9;
		if (!(defsig = malloc(n))) {
			err_set(e, ERR_IO, "out of memory");
			goto done;
		}
		snprintf(defsig, n, "%s.minisig", file);
		sigpath = defsig;
	}
	if (io_read_file(sigpath, SIG_MAX, &sigtext, &siglen, e) != 0)
		goto done;
	if (minisign_sig_decode((const char *)sigtext, siglen, &sig, e) != 0) {
		err_prefix(e, "'%s'", sigpath);
		if (!e->hint[0])
			err_hint(e, "this is not a minisign signature file as minisign writes one (4 lines); get it again from the signer");
		goto done;
	}
	if (sig.alg == MINISIGN_LEGACY && !prehashed_only) {
		if (io_read_file(file, LEGACY_MAX, &msg, &msglen, e) != 0)
			goto done;
	} else if (sig.alg == MINISIGN_PREHASHED) {
		in = open(file, O_RDONLY | O_CLOEXEC);
		if (in < 0) {
			err_errno(e, ERR_IO, "cannot open '%s'", file);
			goto done;
		}
		if (minisign_hash_fd(in, hash, e) != 0) {
			err_prefix(e, "cannot read '%s'", file);
			goto done;
		}
	}
	if (minisign_verify(&pub, &sig, hash, msg, msglen, prehashed_only, e) != 0) {
		err_prefix(e, "'%s'", file);
		if (!e->hint[0] && e->code == ERR_VERIFY)
			err_hint(e, "do not trust this file: it, its signature or its trusted comment was changed after signing, or another key signed it; get both again from the signer");
		goto done;
	}
	if (ctx->json) {
		char id[17];
		minisign_key_id_hex(sig.key_id, id);
		json_begin_object();
		json_bool("verified", true);
		json_str("file", file);
		json_str("key_id", id);
		json_str("algorithm", sig.alg == MINISIGN_PREHASHED ? "ED" : "Ed");
		json_str("trusted_comment", sig.trusted);
		json_end_object();
		json_done();
	} else if (!quiet) {
		out_line("Signature and comment signature verified");
		out_line("Trusted comment: %s", out_safe(0, sig.trusted));
	}
	rc = 0;
done:
	if (in >= 0)
		close(in);
	minisign_sig_clear(&sig);
	free(sigtext);
	free(msg);
	free(defsig);
	return rc;
}
