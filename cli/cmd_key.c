/*
 * cmd_key.c - "amana key": make signing and encryption key pairs, list them, show a key file.
 *
 *   key new sign    --name NAME -o PREFIX [--no-passphrase] [--passphrase-fd N]
 *   key new encrypt --name NAME -o PREFIX [--passphrase] [--passphrase-fd N]
 *   key list
 *   key show FILE
 *
 * The files are minisign's and age's own formats (keys/keyfile.c), so that stock minisign and
 * age can use them. The vault records the public halves and where the files were written, for
 * 'key list'; secret material never reaches it. Core dumps are off while secrets are in memory.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "keys/keyfile.h"
#include "keys/keyring.h"
#include "vault/clock.h"
#include "vault/io.h"

/* Records a new key pair in the vault, with absolute paths. */
static int record(struct cli_ctx *ctx, const char *key_id, const char *type, const char *name,
		  const char *public, const char *prefix, struct err *e)
{
	struct store *s = cli_store(ctx, e);
	if (!s)
		return -1;
	char pub[PATH_MAX + 8], key[PATH_MAX + 8], created[CLOCK_RFC3339_LEN + 1], abs[PATH_MAX];
	snprintf(pub, sizeof pub, "%s.pub", prefix);
	snprintf(key, sizeof key, "%s.key", prefix);
	if (realpath(pub, abs))
		snprintf(pub, sizeof pub, "%s", abs);
	if (realpath(key, abs))
		snprintf(key, sizeof key, "%s", abs);
	clock_rfc3339(clock_now(), created, sizeof created);
	struct keyring_own k = {(char *)key_id, (char *)type, (char *)name, (char *)public,
				pub, key, created};
	return keyring_own_add(s, &k, e);
}

static int key_new(struct cli_ctx *ctx, int argc, char **argv, struct err *e)
{
	static const struct option longs[] = {
		{"name", required_argument, NULL, 'n'},
		{"output", required_argument, NULL, 'o'},
		{"no-passphrase", no_argument, NULL, 'W'},
		{"passphrase", no_argument, NULL, 'p'},
		{"passphrase-fd", required_argument, NULL, 'F'},
		{NULL, 0, NULL, 0},
	};
	const char *name = NULL, *prefix = NULL;
	bool no_pass = false, pass = false;
	int fd = -1, c;
	while ((c = cli_getopt(ctx, argc, argv, "n:o:Wp", longs, e)) > 0) {
		switch (c) {
		case 'n': name = optarg; break;
		case 'o': prefix = optarg; break;
		case 'W': no_pass = true; break;
		case 'p': pass = true; break;
		case 'F':
			if (cli_parse_fd(optarg, &fd, e) != 0)
				return -1;
			break;
		}
	}
	if (c < 0)
		return c;
	if (cli_nargs(argc, argv, 1, 1, "the key type ('sign' or 'encrypt')", e) != 0)
		return -1;
	const char *type = argv[optind];
	if (!name)
		return cli_usage(e, "--name NAME is required");
	if (!prefix)
		return cli_usage(e, "-o PREFIX is required (the files are PREFIX.pub and PREFIX.key)");
	io_no_core_dumps();

	if (strcmp(type, "sign") == 0) {
		if (pass)
			return cli_usage(e, "signing keys are encrypted by default; --passphrase is for 'key new encrypt'");
		struct minisign_pub pub;
		char id[17], b64[57];
		bool resumed;
		if (keyfile_new_sign(name, prefix, no_pass, fd, &pub, &resumed, e) != 0)
			return -1;
		if (resumed)
			out_note(ctx, "completed the key pair %s.key/%s.pub that an interrupted 'amana key new' left",
				 prefix, prefix);
		minisign_key_id_hex(pub.key_id, id);
		minisign_pub_base64(&pub, b64);
		if (record(ctx, id, "sign", name, b64, prefix, e) != 0)
			return -1;
		if (ctx->json) {
			json_begin_object();
			json_str("type", "sign");
			json_str("name", name);
			json_str("key_id", id);
			json_str("public_key", b64);
			json_str("public_key_file", prefix);
			if (resumed)
				json_bool("resumed", true);
			else
				json_bool("encrypted", !no_pass);
			json_end_object();
			json_done();
			return 0;
		}
		if (ctx->verbosity >= 0) {
			out_line("key id:     %s", id);
			out_line("public key: %s", b64);
		}
		if (!resumed)
			out_note(ctx, "wrote %s.key (secret%s, keep it safe) and %s.pub (share it)", prefix,
				 no_pass ? ", NOT encrypted" : ", encrypted", prefix);
		out_note(ctx, "member states pin it with: amana trust add %s.pub --name '%s'", prefix,
			 out_safe(0, name));
		return 0;
	}
	if (strcmp(type, "encrypt") == 0) {
		if (no_pass)
			return cli_usage(e, "encryption keys are unencrypted by default; drop --no-passphrase");
		char recipient[KEYFILE_AGE_RECIPIENT_MAX];
		bool resumed;
		if (keyfile_new_encrypt(name, prefix, pass, fd, recipient, &resumed, e) != 0)
			return -1;
		if (resumed)
			out_note(ctx, "completed the key pair %s.key/%s.pub that an interrupted 'amana key new' left",
				 prefix, prefix);
		if (record(ctx, recipient, "encrypt", name, recipient, prefix, e) != 0)
			return -1;
		if (ctx->json) {
			json_begin_object();
			json_str("type", "encrypt");
			json_str("name", name);
			json_str("recipient", recipient);
			json_str("public_key_file", prefix);
			if (resumed)
				json_bool("resumed", true);
			else
				json_bool("encrypted", pass);
			json_end_object();
			json_done();
			return 0;
		}
		if (ctx->verbosity >= 0) {
			out_line("recipient: %s", recipient);
		}
		if (!resumed)
			out_note(ctx, "wrote %s.key (identity%s, keep it safe) and %s.pub (share it)", prefix,
				 pass ? ", passphrase-protected" : "", prefix);
		out_note(ctx, "the secretariat adds it with: amana recipient add %s.pub --name '%s'",
			 prefix, out_safe(0, name));
		return 0;
	}
	return cli_usage(e, "unknown key type '%s' (want 'sign' or 'encrypt')", type);
}

static int key_list(struct cli_ctx *ctx, int argc, char **argv, struct err *e)
{
	int rc = cli_args_only(ctx, argc, argv, 0, 0, "", e);
	if (rc != 0)
		return rc;
	struct store *s = cli_store(ctx, e);
	struct keyring_own *list;
	size_t n;
	if (!s || keyring_own_list(s, &list, &n, e) != 0)
		return -1;
	if (ctx->json) {
		json_begin_array(NULL);
		for (size_t i = 0; i < n; i++) {
			json_begin_object();
			json_str("type", list[i].type);
			json_str("name", list[i].name);
			json_str("key_id", list[i].key_id);
			json_str("public_key", list[i].public);
			json_str("public_key_file", list[i].pub_path);
			json_str("secret_key_file", list[i].key_path);
			json_str("created", list[i].created);
			json_end_object();
		}
		json_end_array();
		json_done();
	} else if (n == 0) {
		out_note(ctx, "no keys made with this vault yet; make one with 'amana key new'");
	} else {
		for (size_t i = 0; i < n; i++)
			out_line("%-7s  %-16s  %s  %s", list[i].type,
				 strcmp(list[i].type, "sign") == 0 ? list[i].key_id : "", out_safe(0, list[i].name),
				 out_safe(1, list[i].key_path));
	}
	keyring_own_free(list, n);
	return 0;
}

static const char *type_text(enum keyfile_type t)
{
	switch (t) {
	case KEYFILE_SIGN_PUBLIC: return "signing public key (minisign)";
	case KEYFILE_SIGN_SECRET: return "signing secret key (minisign)";
	case KEYFILE_AGE_RECIPIENT: return "encryption public key (age X25519 recipient)";
	case KEYFILE_AGE_IDENTITY: return "encryption secret key (age X25519 identity)";
	case KEYFILE_AGE_IDENTITY_ENCRYPTED: return "encryption secret key (age identity, passphrase-protected)";
	default: return "unknown";
	}
}

static int key_show(struct cli_ctx *ctx, int argc, char **argv, struct err *e)
{
	int rc = cli_args_only(ctx, argc, argv, 1, 1, "the key file to show", e);
	if (rc != 0)
		return rc;
	const char *path = argv[optind];
	struct keyfile_info info;
	if (keyfile_describe(path, &info, e) != 0)
		return -1;
	bool sign = info.type == KEYFILE_SIGN_PUBLIC || info.type == KEYFILE_SIGN_SECRET;
	if (ctx->json) {
		json_begin_object();
		json_str("file", path);
		json_str("type", type_text(info.type));
		json_bool("secret", info.type == KEYFILE_SIGN_SECRET || info.type == KEYFILE_AGE_IDENTITY ||
					    info.type == KEYFILE_AGE_IDENTITY_ENCRYPTED);
		json_bool("encrypted", info.encrypted);
		if (info.key_id[0])
			json_str(sign ? "key_id" : "recipient", info.key_id);
		else
			json_null(sign ? "key_id" : "recipient");
		json_str("name", info.name);
		if (info.keys > 1)
			json_int("keys", (long long)info.keys);
		json_end_object();
		json_done();
	} else {
		out_line("file:      %s", out_safe(0, path));
		out_line("type:      %s", type_text(info.type));
		if (sign || info.type == KEYFILE_AGE_IDENTITY_ENCRYPTED)
			out_line("encrypted: %s", info.type == KEYFILE_SIGN_PUBLIC ? "no (public)" : info.encrypted ? "yes" : "no");
		if (info.key_id[0])
			out_line("%s %s", sign ? "key id:   " : "recipient:", info.key_id);
		else
			out_line("%s (sealed inside the encrypted key)", sign ? "key id:   " : "recipient:");
		if (info.name[0])
			out_line("name:      %s", out_safe(1, info.name));
		if (info.keys > 1)
			out_line("keys:      %zu in the file; the first is shown", info.keys);
	}
	free(info.name);
	return 0;
}

int cmd_key(struct cli_ctx *ctx, int argc, char **argv, struct err *e)
{
	static const struct cli_sub subs[] = {
		{"new", key_new},
		{"list", key_list},
		{"show", key_show},
		{NULL, NULL},
	};
	return cli_subcommand(ctx, argc, argv, subs, e);
}
