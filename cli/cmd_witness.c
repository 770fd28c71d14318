/*
 * cmd_witness.c - "amana witness cosign": a member state vouches for the log it verified.
 *
 *   witness cosign BUNDLE -s KEY -o FILE [--passphrase-fd N]
 *
 * The bundle's outer layer and log are verified against this vault's pinned issuer and its
 * memory of the log (as 'amana verify' does, without decrypting); then its checkpoint is
 * cosigned (C2SP tlog-cosignature, Ed25519, timestamped now) with the member state's own
 * signing key under the name "amana-witness/<key id>". FILE is the checkpoint with that one
 * cosignature line: the member state sends it to the secretariat, which adds it with
 * 'amana log cosignature add FILE'; the secretariat pins the member state's public key with
 * 'amana trust add KEY.pub --name NAME --witness' first.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "keys/keyfile.h"
#include "vault/clock.h"
#include "vault/io.h"
#include "vault/log.h"
#include "vault/note.h"
#include "vault/verify.h"

static int witness_cosign(struct cli_ctx *ctx, int argc, char **argv, struct err *e)
{
	static const struct option longs[] = {
		{"output", required_argument, NULL, 'o'},
		{"passphrase-fd", required_argument, NULL, 'F'},
		{NULL, 0, NULL, 0},
	};
	const char *key = NULL, *out = NULL;
	int fd = -1, c, rc = -1;
	while ((c = cli_getopt(ctx, argc, argv, "s:o:", longs, e)) > 0) {
		switch (c) {
		case 's': key = optarg; break;
		case 'o': out = optarg; break;
		case 'F':
			if (cli_parse_fd(optarg, &fd, e) != 0)
				return -1;
			break;
		}
	}
	if (c < 0)
		return c;
	if (cli_nargs(argc, argv, 1, 1, "the bundle whose checkpoint to cosign", e) != 0)
		return -1;
	if (!key || !out)
		return cli_usage(e, "-s KEY (your signing key) and -o FILE are required");
	io_no_core_dumps();

	struct verify_input in = {
		.bundle = argv[optind],
		.issuer = cli_issuer_lookup,
		.log = cli_history_check,
		.ctx = ctx,
	};
	struct verify_report r;
	struct minisign_sec *sk = NULL;
	struct note n;
	struct io_atomic o = {0};
	char *line = NULL;
	size_t line_len = 0;
	note_init(&n);
	o.fd = -1;
	if (verify_bundle(&in, &r, e) != 0 || !ctx->log_seen)
		goto done;
	if (note_parse(&n, ctx->log_seen->note, ctx->log_seen->note_len, e) != 0)
		goto done;
	if (keyfile_load_sign_secret(key, fd, &sk, e) != 0)
		goto done;
	char id[17], name[LOG_NAME_MAX];
	minisign_key_id_hex(sk->key_id, id);
	log_witness_name(id, name);
	if (cosig_sign(name, sk->sk, 64, (uint64_t)clock_now(), n.text, n.text_len, &line, &line_len, e) != 0)
		goto done;
	if (io_atomic_open(&o, out, 0644, e) != 0 || io_write_all(o.fd, n.text, n.text_len, e) != 0 ||
	    io_write_all(o.fd, "\n", 1, e) != 0 || io_write_all(o.fd, line, line_len, e) != 0 ||
	    io_atomic_commit(&o, true, e) != 0)
		goto done;
	char origin[LOG_NAME_MAX];
	uint64_t size = ctx->log_seen->size;
	memcpy(origin, ctx->log_seen->origin, sizeof origin);
	if (cli_history_commit(ctx, e) != 0)
		goto done;
	if (ctx->json) {
		json_begin_object();
		json_str("cosigner", name);
		json_str("origin", origin);
		json_int("size", (long long)size);
		json_str("output", out);
		json_end_object();
		json_done();
	} else if (ctx->verbosity >= 0) {
		out_line("cosigned the checkpoint of log %s at size %llu, as %s", origin,
			 (unsigned long long)size, name);
		out_line("send %s to the secretariat: amana log cosignature add %s", out_safe(0, out),
			 out_safe(1, io_basename(out)));
	}
	rc = 0;
done:
	io_atomic_abort(&o);
	note_free(&n);
	minisign_sec_free(sk);
	free(line);
	verify_report_free(&r);
	return rc;
}

int cmd_witness(struct cli_ctx *ctx, int argc, char **argv, struct err *e)
{
	static const struct cli_sub subs[] = {
		{"cosign", witness_cosign},
		{NULL, NULL},
	};
	return cli_subcommand(ctx, argc, argv, subs, e);
}
