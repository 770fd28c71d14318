/*
 * cmd_open.c - "amana open": a member state verifies a bundle and takes out its contents.
 *
 *   open BUNDLE -i IDENTITY [-i IDENTITY]... [-o DIR] [--witnesses K] [--passphrase-fd N]
 *
 * Every check of DESIGN.md's verification order runs in one pass over the bundle; the
 * contents are staged beside DIR and renamed into place only when all of them passed. DIR
 * then holds manifest.sqlite, manifest.sqlite.minisig and files/...; the vault records the
 * bundle and its records as received. Without -o, DIR is the bundle's name without
 * ".amana".
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "vault/io.h"
#include "vault/ledger.h"
#include "vault/manifest.h"
#include "vault/store.h"
#include "vault/verify.h"

/* The shared parsing of open and of verify's bundle form: -i (repeatable), -o, -fd. */
int cli_bundle_args(struct cli_ctx *ctx, int argc, char **argv, const char ***ids, size_t *nids,
		    const char **out, int *pass_fd, struct err *e)
{
	static const struct option longs[] = {
		{"identity", required_argument, NULL, 'i'},
		{"output", required_argument, NULL, 'o'},
		{"passphrase-fd", required_argument, NULL, 'F'},
		{"witnesses", required_argument, NULL, 'W'},
		{NULL, 0, NULL, 0},
	};
	int c;
	*ids = calloc((size_t)argc + 1, sizeof **ids);
	*nids = 0;
	if (!*ids)
		return err_set(e, ERR_IO, "out of memory");
	while ((c = cli_getopt(ctx, argc, argv, out ? "i:o:" : "i:", longs, e)) > 0) {
		switch (c) {
		case 'i': (*ids)[(*nids)++] = optarg; break;
		case 'o':
			if (!out)
				return cli_usage(e, "-o is for 'amana open'");
			*out = optarg;
			break;
		case 'F':
			if (cli_parse_fd(optarg, pass_fd, e) != 0)
				return -1;
			break;
		case 'W':
			if (cli_parse_count(optarg, &ctx->witnesses_required, e) != 0)
				return -1;
			break;
		}
	}
	if (c < 0)
		return c;
	return cli_nargs(argc, argv, 1, 1, "the bundle", e);
}

struct open_record {
	struct cli_ctx *ctx;
	const struct verify_report *r;
	const char *out;
};

/* verify's staged hook: the bundle, with its records for search, is remembered before its
 * folder appears; when the vault cannot take it, nothing appears. */
static int record_staged(void *arg, const char *dir, struct err *e)
{
	struct open_record *o = arg;
	struct manifest *m = NULL;
	char *mpath = io_join(dir, "manifest.sqlite");
	int rc = -1;
	/* One transaction: the bundle and its history are remembered together or not at all. */
	if (!mpath)
		err_set(e, ERR_IO, "out of memory");
	else if (manifest_open(&m, mpath, e) == 0 && store_begin(o->ctx->store, e) == 0) {
		if (ledger_record_received(o->ctx->store, &o->r->env, o->r->envelope_text, o->out, m, e) == 0 &&
		    cli_history_commit(o->ctx, e) == 0 && store_commit(o->ctx->store, e) == 0)
			rc = 0;
		else
			store_rollback(o->ctx->store);
	}
	manifest_close(m);
	free(mpath);
	if (rc != 0)
		err_prefix(e, "the vault could not record the bundle, so '%s' was not made", o->out);
	return rc;
}

int cmd_open(struct cli_ctx *ctx, int argc, char **argv, struct err *e)
{
	const char **idpaths = NULL, *out = NULL;
	size_t nids = 0;
	int fd = -1, rc;
	char *defout = NULL;
	struct age_identities *ids = NULL;
	struct verify_report r = {0};

	rc = cli_bundle_args(ctx, argc, argv, &idpaths, &nids, &out, &fd, e);
	if (rc != 0)
		goto done;
	rc = -1;
	const char *bundle = argv[optind];
	if (nids == 0) {
		cli_usage(e, "-i IDENTITY (your age key file) is required to open a bundle");
		goto done;
	}
	io_no_core_dumps();
	if (!out) {
		const char *base = io_basename(bundle);
		size_t n = strlen(base);
		if (n <= 6 || strcmp(base + n - 6, ".amana") != 0) {
			cli_usage(e, "say where to put the contents with -o DIR");
			goto done;
		}
		n -= 6;
		char *dir = io_dirname(bundle);
		size_t cap = (dir ? strlen(dir) : 1) + n + 2;
		if (!dir || !(defout = malloc(cap))) {
			free(dir);
			err_set(e, ERR_IO, "out of memory");
			goto done;
		}
		snprintf(defout, cap, "%s/%.*s", dir, (int)n, base);
		free(dir);
		out = defout;
	}
	if (!cli_store(ctx, e) || cli_load_identities(idpaths, nids, &fd, &ids, e) != 0)
		goto done;
	struct open_record rec = {ctx, &r, out};
	struct verify_input in = {
		.bundle = bundle,
		.ids = ids,
		.out_dir = out,
		.issuer = cli_issuer_lookup,
		.log = cli_history_check,
		.staged = record_staged,
		.staged_ctx = &rec,
		.ctx = ctx,
	};
	if (verify_bundle(&in, &r, e) != 0)
		goto done;
	if (ctx->json) {
		json_begin_object();
		json_bool("ok", true);
		json_str("bundle_id", r.env.bundle_id);
		json_str("issuer", r.env.issuer);
		json_str("issuer_name", r.env.issuer_name);
		json_int("sequence", (long long)r.env.sequence);
		json_str("output", out);
		json_int("files", (long long)r.files);
		json_int("records", (long long)r.records);
		json_str("recipient", r.recipient);
		json_end_object();
		json_done();
	} else if (ctx->verbosity >= 0) {
		out_line("opened %s into %s/", out_safe(0, bundle), out_safe(1, out));
		out_line("  from %s (%s), pinned as '%s'; sequence %llu", out_safe(0, r.env.issuer_name),
			 r.env.issuer, out_safe(1, r.issuer_pinned_name), (unsigned long long)r.env.sequence);
		out_line("  %s", out_safe(0, r.env.title));
		out_line("  every check passed: signatures, payload digest, %llu files, %llu records",
			 (unsigned long long)r.files, (unsigned long long)r.records);
		if (ctx->verbosity > 0)
			cli_print_report(ctx, &r, true, NULL, NULL);
	}
	rc = 0;
done:
	verify_report_free(&r);
	age_identities_free(ids);
	free(idpaths);
	free(defout);
	return rc;
}
