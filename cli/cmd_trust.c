/*
 * cmd_trust.c - "amana trust": the issuers (and witnesses) a member state pins.
 *
 *   trust add FILE.pub --name NAME [--witness]
 *   trust add ROOT
 *   trust list
 *   trust remove KEYID|NAME
 *
 * Pinning is the one moment of trust-on-first-use: the public key should come over a channel
 * the member state already trusts (compare the key id by phone, on paper). After that,
 * bundles are accepted only from pinned issuers.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "keys/keyfile.h"
#include "keys/keyring.h"
#include "vault/clock.h"
#include "vault/io.h"
#include "vault/minisign.h"
#include "vault/root.h"
#include "vault/store.h"
#include "vault/trust.h"

/* Is the file meant as a root (its first bytes say so)? Only a regular file is looked at
 * (a FIFO would block); the loaders report anything else. */
static bool is_root_file(const char *path)
{
	char buf[96] = {0};
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	if (fd < 0)
		return false;
	ssize_t n = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? read(fd, buf, sizeof buf - 1) : -1;
	close(fd);
	return n > 0 && strstr(buf, "amana-root/") != NULL;
}

/* A signing key of a pinned root is judged by that root (its window, its revocations):
 * pinning it on its own as well would go around them. */
static int key_in_pinned_root(struct store *s, const struct minisign_pub *pub, struct err *e)
{
	struct root *v;
	size_t nv;
	if (cli_pinned_root_for(s, NULL, pub->key_id, &v, &nv, e) != 0)
		return -1;
	int rc = 0;
	if (nv) {
		char id[17];
		minisign_key_id_hex(pub->key_id, id);
		err_set(e, ERR_USAGE, "key %s is a signing key of root '%s' (%s), pinned here: the root decides for it", id,
			v[nv - 1].name, v[nv - 1].root_id);
		rc = err_hint(e, "'amana trust list' shows the root and its keys; a new key reaches you in a new root version");
	}
	root_chain_free(v, nv);
	return rc;
}

/* The versions in chain[0..n) check among themselves: the first by its own threshold (and,
 * from version 1, as a chain), each later one as the next of the one before. */
static int chain_checks(const struct root *chain, size_t n, struct err *e)
{
	if (chain[0].version == 1)
		return root_chain_check(chain, n, e);
	if (root_check(&chain[0], NULL, NULL, NULL, e) != 0)
		return -1;
	for (size_t i = 1; i < n; i++)
		if (root_check_next(&chain[i - 1], &chain[i], e) != 0)
			return -1;
	return 0;
}

/* Pins a root (one version or a chain): a new root on first use, or newer versions of one
 * pinned already, walked from the newest pinned; keys of the root pinned on their own before
 * are migrated to it in the same transaction. */
static int trust_add_root(struct cli_ctx *ctx, const char *path, struct err *e)
{
	struct store *s = cli_store(ctx, e);
	unsigned char *text = NULL;
	size_t len, n = 0, np = 0;
	struct root *chain = NULL, *pinned = NULL;
	int rc = -1;
	if (!s || io_read_file(path, ROOT_CHAIN_MAX, &text, &len, e) != 0)
		return -1;
	if (root_chain_parse((const char *)text, len, &chain, &n, e) != 0) {
		err_prefix(e, "'%s'", path);
		goto done;
	}
	if (chain_checks(chain, n, e) != 0) {
		err_prefix(e, "'%s'", path);
		goto done;
	}
	if (keyring_root_load(s, chain[0].root_id, &pinned, &np, e) != 0)
		goto done;
	const struct root *newest = &chain[n - 1];
	size_t learn = 0;
	if (np) {
		const struct root *top = &pinned[np - 1];
		if (trust_walk(pinned, np, chain, n, &newest, &learn, e) != 0)
			goto done;
		if (chain[n - 1].version < top->version) {
			err_set(e, ERR_VERIFY, "'%s' holds root '%s' up to version %llu, older than version %llu pinned here (rollback)",
				path, top->name, (unsigned long long)chain[n - 1].version, (unsigned long long)top->version);
			err_hint(e, "a pinned root only moves forward; 'amana trust list' shows the version pinned");
			goto done;
		}
		if (chain[0].version > top->version + 1) {
			err_set(e, ERR_VERIFY, "'%s' starts at version %llu of root '%s', and version %llu is pinned here: versions %llu to %llu are missing (a gap)",
				path, (unsigned long long)chain[0].version, top->name, (unsigned long long)top->version,
				(unsigned long long)top->version + 1, (unsigned long long)chain[0].version - 1);
			err_hint(e, "pin the file that holds every version after %llu", (unsigned long long)top->version);
			goto done;
		}
		if (learn < n && chain[learn].version == top->version + 1 && learn == 0 &&
		    root_check_next(top, &chain[0], e) != 0)
			goto done;
	}
	if (newest->expires < clock_now()) {
		char t[32];
		clock_rfc3339(newest->expires, t, sizeof t);
		err_set(e, ERR_VERIFY, "root '%s' version %llu expired at %s (expired)", newest->name,
			(unsigned long long)newest->version, t);
		err_hint(e, "ask the issuer for its current root");
		goto done;
	}
	if (store_begin(s, e) != 0)
		goto done;
	if (learn < n && keyring_root_store(s, &chain[learn], n - learn, e) != 0) {
		store_rollback(s);
		goto done;
	}
	/* A signing key pinned on its own before: from now on trusted through the root. */
	size_t migrated = 0;
	char mid[ROOT_SIGNERS_MAX][17];
	for (size_t i = 0; i < newest->nsigners; i++) {
		int found = keyring_trust_find(s, newest->signers[i].key.key_id, KEYRING_ISSUER, NULL, e);
		if (found < 0 || (found && keyring_trust_remove(s, newest->signers[i].key.id, e) != 0)) {
			store_rollback(s);
			goto done;
		}
		if (found)
			memcpy(mid[migrated++], newest->signers[i].key.id, 17);
	}
	if (store_commit(s, e) != 0)
		goto done;
	if (ctx->json) {
		json_begin_object();
		json_str("root_id", newest->root_id);
		json_str("name", newest->name);
		json_int("version", (long long)newest->version);
		json_int("versions_added", (long long)(n - learn));
		json_begin_array("migrated_keys");
		for (size_t i = 0; i < migrated; i++)
			json_str(NULL, mid[i]);
		json_end_array();
		json_end_object();
		json_done();
	} else if (ctx->verbosity >= 0) {
		if (learn == n)
			out_line("root '%s' (%s) version %llu is pinned already", out_safe(0, newest->name),
				 newest->root_id, (unsigned long long)newest->version);
		else
			out_line("trusted root '%s' (%s) version %llu", out_safe(0, newest->name), newest->root_id,
				 (unsigned long long)newest->version);
		for (size_t i = 0; i < migrated; i++)
			out_line("issuer key %s, pinned on its own before, is now trusted through the root", mid[i]);
	}
	rc = 0;
done:
	free(text);
	root_chain_free(chain, n);
	root_chain_free(pinned, np);
	return rc;
}

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
	if (is_root_file(argv[optind])) {
		if (name || witness)
			return cli_usage(e, "a root names itself and is an issuer's: --name and --witness are for key files");
		return trust_add_root(ctx, argv[optind], e);
	}
	if (!name)
		return cli_usage(e, "--name NAME is required");
	struct minisign_pub pub;
	struct store *s = cli_store(ctx, e);
	if (!s || keyfile_load_sign_public(argv[optind], &pub, NULL, e) != 0)
		return -1;
	if (!witness && key_in_pinned_root(s, &pub, e) != 0)
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
	size_t n, nroots = 0;
	char (*ids)[33] = NULL;
	if (!s || keyring_root_ids(s, &ids, &nroots, e) != 0)
		return -1;
	if (keyring_trust_list(s, &list, &n, e) != 0) {
		free(ids);
		return -1;
	}
	/* The newest pinned version of each root, first. */
	for (size_t i = 0; i < nroots; i++) {
		struct root *v;
		size_t nv;
		if (keyring_root_load(s, ids[i], &v, &nv, e) != 0) {
			free(ids);
			keyring_trusted_free(list, n);
			return -1;
		}
		const struct root *r = &v[nv - 1];
		char t[32];
		clock_rfc3339(r->expires, t, sizeof t);
		if (ctx->json) {
			if (i == 0)
				json_begin_array(NULL);
			json_begin_object();
			json_str("role", "root");
			json_str("root_id", r->root_id);
			json_str("name", r->name);
			json_int("version", (long long)r->version);
			json_str("expires", t);
			json_begin_array("signing_keys");
			for (size_t k = 0; k < r->nsigners; k++)
				json_str(NULL, r->signers[k].key.id);
			json_end_array();
			json_end_object();
		} else {
			out_line("root     %s  %s  version %llu, expires %s", r->root_id, out_safe(0, r->name),
				 (unsigned long long)r->version, t);
			for (size_t k = 0; k < r->nsigners; k++)
				out_line("  signing key %s%s", r->signers[k].key.id,
					 root_find_revoked(r, r->signers[k].key.key_id) ? " (revoked)" : "");
		}
		root_chain_free(v, nv);
	}
	free(ids);
	if (ctx->json) {
		if (nroots == 0)
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
	} else if (n == 0 && nroots == 0) {
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
	if (!s)
		return -1;
	int gone = keyring_root_remove(s, argv[optind], e);
	if (gone < 0 || (gone == 0 && keyring_trust_remove(s, argv[optind], e) != 0))
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
