/*
 * cmd_trust.c - "amana trust": the issuers (and witnesses) a member state pins.
 *
 *   trust add FILE.pub --name NAME [--witness]
 *   trust list
 *   trust remove KEYID|NAME
 *
 * Pinning is the one moment of trust-on-first-use: the public key should come over a channel
 * the member state already trusts (compare the key id by phone, on paper). After that,
 * bundles are accepted only from pinned issuers.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "keys/keyfile.h"
#include "keys/keyring.h"
#include "vault/minisign.h"

static int trust_add(struct cli_ctx *ctx, int argc, char **argv, struct err *e)
{
	static const struct option longs[] = {
		{"name", required_argument, NULL, 'n'},
		{"witness", no_argument, NULL, 'w'},
		{NULL, 0, NULL, 0},
	};
	const char *name = NULL;
	bool witness = false;
	int c;
	while ((c = cli_getopt(ctx, argc, argv, "n:", longs, e)) > 0) {
		switch (c) {
		case 'n': name = optarg; break;
		case 'w': witness = true; break;
		}
	}
	if (c < 0)
		return c;
	if (cli_nargs(argc, argv, 1, 1, "the public key file to trust", e) != 0)
		return -1;
	if (!name)
		return cli_usage(e, "--name NAME is required");
	struct minisign_pub pub;
	struct store *s = cli_store(ctx, e);
	if (!s || keyfile_load_sign_public(argv[optind], &pub, NULL, e) != 0)
		return -1;
	if (keyring_trust_add(s, pub.key_id, pub.pk, name, witness ? KEYRING_WITNESS : KEYRING_ISSUER,
			      e) != 0)
		return -1;
	char id[17];
	minisign_key_id_hex(pub.key_id, id);
	if (ctx->json) {
		json_begin_object();
		json_str("key_id", id);
		json_str("name", name);
		json_str("role", witness ? "witness" : "issuer");
		json_end_object();
		json_done();
	} else if (ctx->verbosity >= 0) {
		out_line("trusted %s %s as '%s'", witness ? "witness" : "issuer", id, out_safe(0, name));
	}
	return 0;
}

static int trust_list(struct cli_ctx *ctx, int argc, char **argv, struct err *e)
{
	int rc = cli_args_only(ctx, argc, argv, 0, 0, "", e);
	if (rc != 0)
		return rc;
	struct store *s = cli_store(ctx, e);
	struct keyring_trusted *list;
	size_t n;
	if (!s || keyring_trust_list(s, &list, &n, e) != 0)
		return -1;
	if (ctx->json) {
		json_begin_array(NULL);
		for (size_t i = 0; i < n; i++) {
			struct minisign_pub pub;
			char b64[57];
			memcpy(pub.pk, list[i].public_key, 32);
			minisign_key_id_parse(list[i].key_id, pub.key_id);
			minisign_pub_base64(&pub, b64);
			json_begin_object();
			json_str("key_id", list[i].key_id);
			json_str("role", list[i].role == KEYRING_WITNESS ? "witness" : "issuer");
			json_str("name", list[i].name);
			json_str("public_key", b64);
			json_str("added", list[i].added);
			json_end_object();
		}
		json_end_array();
		json_done();
	} else if (n == 0) {
		out_note(ctx, "no pinned keys; pin an issuer with 'amana trust add FILE.pub --name NAME'");
	} else {
		for (size_t i = 0; i < n; i++)
			out_line("%-7s  %s  %s", list[i].role == KEYRING_WITNESS ? "witness" : "issuer",
				 list[i].key_id, out_safe(0, list[i].name));
	}
	keyring_trusted_free(list, n);
	return 0;
}

static int trust_remove(struct cli_ctx *ctx, int argc, char **argv, struct err *e)
{
	int rc = cli_args_only(ctx, argc, argv, 1, 1, "the key id or name to unpin", e);
	if (rc != 0)
		return rc;
	struct store *s = cli_store(ctx, e);
	if (!s || keyring_trust_remove(s, argv[optind], e) != 0)
		return -1;
	if (ctx->json) {
		json_begin_object();
		json_str("removed", argv[optind]);
		json_end_object();
		json_done();
	} else {
		out_note(ctx, "no longer trusted: %s", out_safe(0, argv[optind]));
	}
	return 0;
}

int cmd_trust(struct cli_ctx *ctx, int argc, char **argv, struct err *e)
{
	static const struct cli_sub subs[] = {
		{"add", trust_add},
		{"list", trust_list},
		{"remove", trust_remove},
		{NULL, NULL},
	};
	return cli_subcommand(ctx, argc, argv, subs, e);
}
