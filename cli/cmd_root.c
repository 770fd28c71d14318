/*
 * cmd_root.c - "amana root": the issuer's trust root, made, shown, signed and rotated.
 *
 *   root new --name NAME --root-key PUB... --threshold K --signing-key PUB... [--not-before T]
 *            [--not-after T] [--expires DATE] -o ROOT
 *   root show ROOT
 *   root sign ROOT -s ROOTKEY [--passphrase-fd N]
 *   root rotate ROOT -o NEXT [--add-signing-key PUB]... [--remove-signing-key KEYID]...
 *            [--revoke KEYID [--from POSITION]]... [--root-key PUB]... [--threshold K]
 *            [--expires DATE] [--not-before T] [--not-after T]    (the window of keys added)
 *
 * A root file holds a chain: every version from the first one it was started with, one after
 * the other (vault/root.h). `new` writes version 1, unsigned; `rotate` writes the chain with
 * version N+1 appended, unsigned; `sign` adds one root key's signature to the newest version,
 * in place, so that each root key signs on its own offline machine. None of these touch the
 * vault except `rotate --revoke`, which reads the revoked key's log from it. Pinning is
 * `amana trust add ROOT`.
 */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "keys/keyfile.h"
#include "vault/clock.h"
#include "vault/io.h"
#include "vault/log.h"
#include "vault/minisign.h"
#include "vault/root.h"
#include "vault/text.h"

#define DAY 86400

/* DATE: YYYY-MM-DD (the end of that day, UTC) or an RFC 3339 time. */
static int parse_when(const char *s, const char *opt, bool end_of_day, int64_t *t, struct err *e)
{
	char buf[32];
	if (strlen(s) == 10) {
		snprintf(buf, sizeof buf, "%sT%s", s, end_of_day ? "23:59:59Z" : "00:00:00Z");
		s = buf;
	}
	if (!clock_parse_rfc3339(s, t)) {
		cli_usage(e, "%s: '%s' is not a date (YYYY-MM-DD) or a time (YYYY-MM-DDTHH:MM:SSZ)", opt, s);
		return -1;
	}
	return 0;
}

/* Reads a root file (a chain of one or more versions). */
static int load_chain(const char *path, struct root **roots, size_t *n, struct err *e)
{
	unsigned char *text;
	size_t len;
	if (io_read_file(path, ROOT_CHAIN_MAX, &text, &len, e) != 0)
		return -1;
	int rc = root_chain_parse((const char *)text, len, roots, n, e);
	free(text);
	if (rc != 0)
		err_prefix(e, "'%s'", path);
	return rc;
}

/* Writes roots[0..n)'s texts to path atomically; an existing path is replaced only when
 * replace is set. */
static int write_chain(const char *path, const struct root *roots, size_t n, bool replace, struct err *e)
{
	struct io_atomic o = {0};
	if (io_atomic_open(&o, path, 0644, e) != 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (io_write_all(o.fd, roots[i].text, roots[i].text_len, e) != 0) {
			io_atomic_abort(&o);
			return -1;
		}
	if (io_atomic_commit(&o, !replace, e) != 0) {
		io_atomic_abort(&o);
		return -1;
	}
	return 0;
}

static int key_from_file(const char *path, struct root_key *k, struct err *e)
{
	struct minisign_pub pub;
	if (keyfile_load_sign_public(path, &pub, NULL, e) != 0)
		return -1;
	memcpy(k->key_id, pub.key_id, 8);
	memcpy(k->pk, pub.pk, 32);
	minisign_key_id_hex(pub.key_id, k->id);
	return 0;
}

static int cmp_key(const void *a, const void *b)
{
	return strcmp(((const struct root_key *)a)->id, ((const struct root_key *)b)->id);
}

static int cmp_signer(const void *a, const void *b)
{
	return strcmp(((const struct root_signer *)a)->key.id, ((const struct root_signer *)b)->key.id);
}

static int cmp_revoked(const void *a, const void *b)
{
	return strcmp(((const struct root_revoked *)a)->id, ((const struct root_revoked *)b)->id);
}

static void sort_root(struct root *r)
{
	qsort(r->keys, r->nkeys, sizeof r->keys[0], cmp_key);
	qsort(r->signers, r->nsigners, sizeof r->signers[0], cmp_signer);
	qsort(r->revoked, r->nrevoked, sizeof r->revoked[0], cmp_revoked);
}

/* What new and rotate share: the options that change a root. */
struct changes {
	const char *name;
	const char *root_keys[ROOT_KEYS_MAX + 1];
	size_t nroot_keys;
	const char *add[ROOT_SIGNERS_MAX + 1];
	size_t nadd;
	const char *remove[ROOT_SIGNERS_MAX + 1];
	size_t nremove;
	struct {
		const char *id;
		const char *from;
	} revoke[ROOT_REVOKED_MAX + 1];
	size_t nrevoke;
	const char *threshold, *expires, *not_before, *not_after, *out;
};

static int more(size_t *n, size_t max, const char *opt, struct err *e)
{
	if (*n >= max)
		return cli_usage(e, "%s: at most %zu", opt, max);
	(*n)++;
	return 0;
}

static int parse_changes(struct cli_ctx *ctx, int argc, char **argv, bool rotate, struct changes *ch,
			 struct err *e)
{
	static const struct option longs[] = {
		{"name", required_argument, NULL, 'n'},
		{"root-key", required_argument, NULL, 'r'},
		{"threshold", required_argument, NULL, 't'},
		{"signing-key", required_argument, NULL, 'k'},
		{"add-signing-key", required_argument, NULL, 'k'},
		{"remove-signing-key", required_argument, NULL, 'R'},
		{"revoke", required_argument, NULL, 'x'},
		{"from", required_argument, NULL, 'f'},
		{"expires", required_argument, NULL, 'E'},
		{"not-before", required_argument, NULL, 'B'},
		{"not-after", required_argument, NULL, 'A'},
		{"output", required_argument, NULL, 'o'},
		{NULL, 0, NULL, 0},
	};
	int c;
	memset(ch, 0, sizeof *ch);
	while ((c = cli_getopt(ctx, argc, argv, "o:", longs, e)) > 0) {
		switch (c) {
		case 'n': ch->name = optarg; break;
		case 'r':
			if (more(&ch->nroot_keys, ROOT_KEYS_MAX, "--root-key", e) != 0)
				return -1;
			ch->root_keys[ch->nroot_keys - 1] = optarg;
			break;
		case 'k':
			if (more(&ch->nadd, ROOT_SIGNERS_MAX, "--signing-key", e) != 0)
				return -1;
			ch->add[ch->nadd - 1] = optarg;
			break;
		case 'R':
			if (!rotate)
				return cli_usage(e, "--remove-signing-key is for 'root rotate'");
			if (more(&ch->nremove, ROOT_SIGNERS_MAX, "--remove-signing-key", e) != 0)
				return -1;
			ch->remove[ch->nremove - 1] = optarg;
			break;
		case 'x':
			if (!rotate)
				return cli_usage(e, "--revoke is for 'root rotate'");
			if (more(&ch->nrevoke, ROOT_REVOKED_MAX, "--revoke", e) != 0)
				return -1;
			ch->revoke[ch->nrevoke - 1].id = optarg;
			break;
		case 'f':
			if (!ch->nrevoke || ch->revoke[ch->nrevoke - 1].from)
				return cli_usage(e, "--from POSITION follows the --revoke KEYID it belongs to");
			ch->revoke[ch->nrevoke - 1].from = optarg;
			break;
		case 't': ch->threshold = optarg; break;
		case 'E': ch->expires = optarg; break;
		case 'B': ch->not_before = optarg; break;
		case 'A': ch->not_after = optarg; break;
		case 'o': ch->out = optarg; break;
		}
	}
	if (c < 0)
		return c;
	if (!ch->out)
		return cli_usage(e, "-o FILE is required (where the root is written)");
	return 0;
}

/* Applies the window options to the signing keys added; new keys start now for two years. */
static int add_signers(struct root *r, const struct changes *ch, struct err *e)
{
	int64_t nb = clock_now(), na;
	if (ch->not_before && parse_when(ch->not_before, "--not-before", false, &nb, e) != 0)
		return -1;
	na = nb + 730 * (int64_t)DAY;
	if (ch->not_after && parse_when(ch->not_after, "--not-after", true, &na, e) != 0)
		return -1;
	for (size_t i = 0; i < ch->nadd; i++) {
		if (r->nsigners == ROOT_SIGNERS_MAX)
			return cli_usage(e, "a root has at most %d signing keys", ROOT_SIGNERS_MAX);
		struct root_signer *s = &r->signers[r->nsigners];
		memset(s, 0, sizeof *s);
		if (key_from_file(ch->add[i], &s->key, e) != 0)
			return -1;
		if (root_find_signer(r, s->key.key_id))
			return cli_usage(e, "signing key %s is in the root already", s->key.id);
		s->not_before = nb;
		s->not_after = na;
		r->nsigners++;
	}
	return 0;
}

static int set_root_keys(struct root *r, const struct changes *ch, struct err *e)
{
	r->nkeys = 0;
	for (size_t i = 0; i < ch->nroot_keys; i++) {
		struct root_key k;
		if (key_from_file(ch->root_keys[i], &k, e) != 0)
			return -1;
		if (root_find_key(r, k.key_id))
			return cli_usage(e, "root key %s is given twice", k.id);
		r->keys[r->nkeys++] = k;
	}
	return 0;
}

static int set_threshold(struct root *r, const char *s, struct err *e)
{
	unsigned t;
	if (cli_parse_count(s, &t, e) != 0 || t < 1)
		return cli_usage(e, "--threshold: '%s' is not a count from 1 to the number of root keys", s);
	r->threshold = t;
	return 0;
}

/* Writes r (finished) as the report of new and rotate. */
static void report_written(struct cli_ctx *ctx, const struct root *r, const char *path)
{
	if (ctx->json) {
		json_begin_object();
		json_str("root_id", r->root_id);
		json_int("version", (long long)r->version);
		json_str("digest", r->digest_hex);
		json_str("file", path);
		json_int("signatures_needed", (long long)r->threshold);
		json_end_object();
		json_done();
	} else if (ctx->verbosity >= 0) {
		out_line("wrote root '%s' version %llu (%s) to %s", out_safe(0, r->name),
			 (unsigned long long)r->version, r->root_id, out_safe(1, path));
		out_note(ctx, "unsigned: sign it with %u root key(s), each on its own machine: 'amana root sign %s -s ROOTKEY'",
			 r->threshold, path);
	}
}

static int root_new(struct cli_ctx *ctx, int argc, char **argv, struct err *e)
{
	struct changes ch;
	int rc = parse_changes(ctx, argc, argv, false, &ch, e);
	if (rc != 0)
		return rc;
	if (cli_nargs(argc, argv, 0, 0, "", e) != 0)
		return -1;
	if (!ch.name)
		return cli_usage(e, "--name NAME is required (the issuer's name)");
	if (!ch.nroot_keys)
		return cli_usage(e, "at least one --root-key PUB is required");
	if (!ch.nadd)
		return cli_usage(e, "at least one --signing-key PUB is required");
	if (!ch.threshold)
		return cli_usage(e, "--threshold K is required");
	const char *why = text_name_problem(ch.name, ROOT_NAME_MAX);
	if (why)
		return cli_usage(e, "the name is not usable: %s", why);
	if (io_exists(ch.out)) {
		err_set(e, ERR_IO, "'%s' already exists", ch.out);
		return err_hint(e, "choose another name with -o");
	}
	struct root *r = calloc(1, sizeof *r);
	if (!r)
		return err_set(e, ERR_IO, "out of memory");
	rc = -1;
	uint8_t rid[16];
	randombytes_buf(rid, sizeof rid);
	sodium_bin2hex(r->root_id, sizeof r->root_id, rid, sizeof rid);
	r->version = 1;
	r->expires = clock_now() + 365 * (int64_t)DAY;
	if (!(r->name = strdup(ch.name))) {
		err_set(e, ERR_IO, "out of memory");
		goto done;
	}
	if (ch.expires && parse_when(ch.expires, "--expires", true, &r->expires, e) == 0 && r->expires <= clock_now()) {
		cli_usage(e, "--expires %s is past: the root would be refused everywhere", ch.expires);
		goto done;
	}
	if ((ch.expires && parse_when(ch.expires, "--expires", true, &r->expires, e) != 0) ||
	    set_root_keys(r, &ch, e) != 0 || add_signers(r, &ch, e) != 0 || set_threshold(r, ch.threshold, e) != 0)
		goto done;
	sort_root(r);
	if (root_finish(r, e) != 0 || write_chain(ch.out, r, 1, false, e) != 0)
		goto done;
	report_written(ctx, r, ch.out);
	rc = 0;
done:
	root_free(r);
	free(r);
	return rc;
}

static int root_rotate(struct cli_ctx *ctx, int argc, char **argv, struct err *e)
{
	struct changes ch;
	int rc = parse_changes(ctx, argc, argv, true, &ch, e);
	if (rc != 0)
		return rc;
	if (cli_nargs(argc, argv, 1, 1, "the root file to rotate", e) != 0)
		return -1;
	if (io_exists(ch.out)) {
		err_set(e, ERR_IO, "'%s' already exists", ch.out);
		return err_hint(e, "choose another name with -o");
	}
	struct root *chain = NULL;
	size_t n = 0;
	if (load_chain(argv[optind], &chain, &n, e) != 0)
		return -1;
	struct root *all = realloc(chain, (n + 1) * sizeof *chain);
	if (!all) {
		root_chain_free(chain, n);
		return err_set(e, ERR_IO, "out of memory");
	}
	chain = all;
	rc = -1;
	const struct root *prev = &chain[n - 1];
	struct root *r = &chain[n];
	memset(r, 0, sizeof *r);
	n++;
	/* The next version starts as a copy of the newest's fields, without signatures. */
	memcpy(r->root_id, prev->root_id, sizeof r->root_id);
	r->version = prev->version + 1;
	r->expires = clock_now() + 365 * (int64_t)DAY;
	r->threshold = prev->threshold;
	memcpy(r->keys, prev->keys, sizeof r->keys);
	r->nkeys = prev->nkeys;
	memcpy(r->signers, prev->signers, sizeof r->signers);
	r->nsigners = prev->nsigners;
	memcpy(r->revoked, prev->revoked, sizeof r->revoked);
	r->nrevoked = prev->nrevoked;
	if (!(r->name = strdup(ch.name ? ch.name : prev->name))) {
		err_set(e, ERR_IO, "out of memory");
		goto done;
	}
	if (ch.expires && parse_when(ch.expires, "--expires", true, &r->expires, e) != 0)
		goto done;
	if (r->expires <= clock_now()) {
		cli_usage(e, "--expires %s is past: the root would be refused everywhere", ch.expires);
		goto done;
	}
	if (ch.nroot_keys && set_root_keys(r, &ch, e) != 0)
		goto done;
	if (ch.threshold && set_threshold(r, ch.threshold, e) != 0)
		goto done;
	for (size_t i = 0; i < ch.nremove; i++) {
		uint8_t id[8];
		if (!minisign_key_id_parse(ch.remove[i], id)) {
			cli_usage(e, "--remove-signing-key: '%s' is not a key id (16 hex digits)", ch.remove[i]);
			goto done;
		}
		const struct root_signer *s = root_find_signer(r, id);
		if (!s) {
			cli_usage(e, "--remove-signing-key: %s is not a signing key of version %llu", ch.remove[i],
				  (unsigned long long)prev->version);
			goto done;
		}
		if (root_find_revoked(r, id)) {
			cli_usage(e, "--remove-signing-key: %s is revoked; a revoked key stays listed so that its revocation holds",
				  ch.remove[i]);
			goto done;
		}
		size_t k = (size_t)(s - r->signers);
		memmove(&r->signers[k], &r->signers[k + 1], (r->nsigners - k - 1) * sizeof r->signers[0]);
		r->nsigners--;
	}
	for (size_t i = 0; i < ch.nrevoke; i++) {
		struct root_revoked *x = &r->revoked[r->nrevoked];
		memset(x, 0, sizeof *x);
		if (!minisign_key_id_parse(ch.revoke[i].id, x->key_id)) {
			cli_usage(e, "--revoke: '%s' is not a key id (16 hex digits)", ch.revoke[i].id);
			goto done;
		}
		minisign_key_id_hex(x->key_id, x->id);
		if (!root_find_signer(r, x->key_id)) {
			cli_usage(e, "--revoke: %s is not a signing key of version %llu", x->id, (unsigned long long)prev->version);
			goto done;
		}
		if (root_find_revoked(r, x->key_id)) {
			cli_usage(e, "--revoke: %s is revoked already", x->id);
			goto done;
		}
		/* The position and the log root come from this vault's log of that key. */
		struct store *s = cli_store(ctx, e);
		uint64_t have = 0;
		if (!s)
			goto done;
		x->from = LOG_SIZE_ALL;
		if (ch.revoke[i].from) {
			unsigned long long v;
			char *end;
			errno = 0;
			v = strtoull(ch.revoke[i].from, &end, 10);
			if (!*ch.revoke[i].from || *end || ch.revoke[i].from[0] == '-' || errno == ERANGE ||
			    strspn(ch.revoke[i].from, "0123456789") > 18) {
				cli_usage(e, "--from: '%s' is not a log position", ch.revoke[i].from);
				goto done;
			}
			x->from = v;
		}
		int known = log_own_root(s, x->id, &x->from, x->log_root, &have, e);
		if (known < 0)
			goto done;
		if (!known) {
			err_set(e, ERR_USAGE, "--revoke %s --from %llu: this vault's log of that key has %llu bundles", x->id,
				(unsigned long long)x->from, (unsigned long long)have);
			err_hint(e, "run 'amana root rotate' in the vault that sealed with the key; --from is at most the size of its log");
			goto done;
		}
		r->nrevoked++;
	}
	if (add_signers(r, &ch, e) != 0)
		goto done;
	sort_root(r);
	if (root_finish(r, e) != 0 || write_chain(ch.out, chain, n, false, e) != 0)
		goto done;
	report_written(ctx, r, ch.out);
	rc = 0;
done:
	root_chain_free(chain, n);
	return rc;
}

static int root_sign_cmd(struct cli_ctx *ctx, int argc, char **argv, struct err *e)
{
	static const struct option longs[] = {
		{"secret-key", required_argument, NULL, 's'},
		{"passphrase-fd", required_argument, NULL, 'F'},
		{NULL, 0, NULL, 0},
	};
	const char *key = NULL;
	int fd = -1, c;
	while ((c = cli_getopt(ctx, argc, argv, "s:", longs, e)) > 0) {
		switch (c) {
		case 's': key = optarg; break;
		case 'F':
			if (cli_parse_fd(optarg, &fd, e) != 0)
				return -1;
			break;
		}
	}
	if (c < 0)
		return c;
	if (cli_nargs(argc, argv, 1, 1, "the root file to sign", e) != 0)
		return -1;
	if (!key)
		return cli_usage(e, "-s ROOTKEY is required (a root key's secret key file)");
	const char *path = argv[optind];
	struct root *chain = NULL;
	size_t n = 0;
	struct minisign_sec *sk = NULL;
	int rc = -1;
	if (load_chain(path, &chain, &n, e) != 0)
		return -1;
	struct root *r = &chain[n - 1];
	const struct root *prev = n > 1 ? &chain[n - 2] : NULL;
	if (keyfile_load_sign_secret(key, fd, &sk, e) != 0)
		goto done;
	char id[17];
	minisign_key_id_hex(sk->key_id, id);
	if (!root_find_key(r, sk->key_id) && !(prev && root_find_key(prev, sk->key_id))) {
		err_set(e, ERR_USAGE, "key %s is not a root key of version %llu%s", id, (unsigned long long)r->version,
			prev ? " nor of the version before" : "");
		err_hint(e, "'amana root show %s' lists the root keys", path);
		goto done;
	}
	if (root_sign(r, sk, e) != 0 || write_chain(path, chain, n, true, e) != 0)
		goto done;
	unsigned own = 0, by_prev = 0;
	struct err ce;
	err_clear(&ce);
	bool complete = root_check(r, prev, &own, &by_prev, &ce) == 0;
	if (ctx->json) {
		json_begin_object();
		json_str("root_id", r->root_id);
		json_int("version", (long long)r->version);
		json_str("signed_by", id);
		json_int("signatures", (long long)own);
		json_int("threshold", (long long)r->threshold);
		if (prev) {
			json_int("signatures_by_previous", (long long)by_prev);
			json_int("threshold_previous", (long long)prev->threshold);
		}
		json_bool("complete", complete);
		json_end_object();
		json_done();
	} else if (ctx->verbosity >= 0) {
		out_line("signed version %llu of root '%s' with key %s: %u of %u signatures%s", (unsigned long long)r->version,
			 out_safe(0, r->name), id, own, r->threshold, complete ? ", complete" : "");
		if (prev)
			out_line("by version %llu's root keys: %u of %u", (unsigned long long)prev->version, by_prev,
				 prev->threshold);
	}
	rc = 0;
done:
	minisign_sec_free(sk);
	root_chain_free(chain, n);
	return rc;
}

/* Whether one of r's signatures carries k's key id (what show lists; root_check judges). */
static bool signed_by(const struct root *r, const struct root_key *k)
{
	for (size_t j = 0; j < r->nsigs; j++)
		if (memcmp(r->sigs[j].key_id, k->key_id, 8) == 0)
			return true;
	return false;
}

static void show_text(const struct root *r, const struct root *prev)
{
	char t[32], u[32];
	unsigned own = 0, by_prev = 0;
	struct err ce;
	err_clear(&ce);
	bool ok = root_check(r, prev, &own, &by_prev, &ce) == 0;
	clock_rfc3339(r->expires, t, sizeof t);
	out_line("root '%s' version %llu (%s)", out_safe(0, r->name), (unsigned long long)r->version, r->root_id);
	out_line("  expires      %s", t);
	out_line("  digest       blake2b-512 %s", r->digest_hex);
	out_line("  threshold    %u of %zu root keys", r->threshold, r->nkeys);
	for (size_t i = 0; i < r->nkeys; i++) {
		out_line("  root key     %s%s", r->keys[i].id, signed_by(r, &r->keys[i]) ? "  signed" : "");
	}
	for (size_t i = 0; i < r->nsigners; i++) {
		clock_rfc3339(r->signers[i].not_before, t, sizeof t);
		clock_rfc3339(r->signers[i].not_after, u, sizeof u);
		const struct root_revoked *x = root_find_revoked(r, r->signers[i].key.key_id);
		if (x)
			out_line("  signing key  %s  %s .. %s  revoked from log position %llu", r->signers[i].key.id, t, u,
				 (unsigned long long)x->from);
		else
			out_line("  signing key  %s  %s .. %s", r->signers[i].key.id, t, u);
	}
	out_line("  signatures   %u of %u by its root keys%s", own, r->threshold, own >= r->threshold ? "" : " (below threshold)");
	if (prev)
		out_line("               %u of %u by version %llu's root keys%s", by_prev, prev->threshold,
			 (unsigned long long)prev->version, by_prev >= prev->threshold ? "" : " (below threshold)");
	out_line("  valid        %s", ok ? "yes" : out_safe(1, ce.msg));
}

static void show_json(const struct root *r, const struct root *prev)
{
	char t[32], u[32];
	unsigned own = 0, by_prev = 0;
	struct err ce;
	err_clear(&ce);
	bool ok = root_check(r, prev, &own, &by_prev, &ce) == 0;
	clock_rfc3339(r->expires, t, sizeof t);
	json_begin_object();
	json_str("root_id", r->root_id);
	json_str("name", r->name);
	json_int("version", (long long)r->version);
	json_str("expires", t);
	json_str("digest", r->digest_hex);
	json_int("threshold", (long long)r->threshold);
	json_begin_array("root_keys");
	for (size_t i = 0; i < r->nkeys; i++) {
		json_begin_object();
		json_str("key_id", r->keys[i].id);
		json_bool("signed", signed_by(r, &r->keys[i]));
		json_end_object();
	}
	json_end_array();
	json_begin_array("signing_keys");
	for (size_t i = 0; i < r->nsigners; i++) {
		clock_rfc3339(r->signers[i].not_before, t, sizeof t);
		clock_rfc3339(r->signers[i].not_after, u, sizeof u);
		const struct root_revoked *x = root_find_revoked(r, r->signers[i].key.key_id);
		json_begin_object();
		json_str("key_id", r->signers[i].key.id);
		json_str("not_before", t);
		json_str("not_after", u);
		if (x)
			json_int("revoked_from", (long long)x->from);
		json_end_object();
	}
	json_end_array();
	json_int("signatures", (long long)own);
	if (prev)
		json_int("signatures_by_previous", (long long)by_prev);
	json_bool("valid", ok);
	if (!ok)
		json_str("problem", ce.msg);
	json_end_object();
}

static int root_show(struct cli_ctx *ctx, int argc, char **argv, struct err *e)
{
	int rc = cli_args_only(ctx, argc, argv, 1, 1, "the root file to show", e);
	if (rc != 0)
		return rc;
	struct root *chain = NULL;
	size_t n = 0;
	if (load_chain(argv[optind], &chain, &n, e) != 0)
		return -1;
	if (ctx->json)
		json_begin_array(NULL);
	for (size_t i = 0; i < n; i++) {
		const struct root *prev = i ? &chain[i - 1] : NULL;
		if (ctx->json)
			show_json(&chain[i], prev);
		else
			show_text(&chain[i], prev);
	}
	if (ctx->json) {
		json_end_array();
		json_done();
	}
	/* The chain as a whole: says whether it would be accepted. */
	struct err ce;
	err_clear(&ce);
	if (n && chain[0].version == 1 && root_chain_check(chain, n, &ce) != 0 && !ctx->json)
		out_note(ctx, "the chain does not check: %s", ce.msg);
	root_chain_free(chain, n);
	return 0;
}

int cmd_root(struct cli_ctx *ctx, int argc, char **argv, struct err *e)
{
	static const struct cli_sub subs[] = {
		{"new", root_new},
		{"rotate", root_rotate},
		{"show", root_show},
		{"sign", root_sign_cmd},
		{NULL, NULL},
	};
	return cli_subcommand(ctx, argc, argv, subs, e);
}
