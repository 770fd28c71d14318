/*
 * cmd_record.c - "amana record": forward one record with a proof, and check such a proof.
 *
 *   record export BUNDLE SEQ -i IDENTITY -o FILE.proof [--passphrase-fd N]
 *   record verify FILE.proof [-p PUB]
 *
 * export verifies the whole bundle (as 'amana verify -i' does), then writes record SEQ with
 * its salt, its Merkle inclusion path and the bundle's signed envelope (vault/record.h has
 * the format): whoever receives it checks, offline, that the issuer published exactly that
 * text in that bundle, and learns nothing of the other records. verify checks a proof
 * against the vault's pinned issuers (or the key given with -p) and prints the record.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "keys/keyfile.h"
#include "keys/keyring.h"
#include "vault/envelope.h"
#include "vault/io.h"
#include "vault/log.h"
#include "vault/manifest.h"
#include "vault/record.h"
#include "vault/text.h"
#include "vault/verify.h"

#define PROOF_MAX (2u << 20)

struct export_ctx {
	struct cli_ctx *ctx;
	struct verify_report *r;
	uint64_t seq;
	struct record_proof proof;
	bool built;
};

static int ex_issuer(void *c, const uint8_t key_id[8], struct verify_report *r, struct err *e)
{
	return cli_issuer_lookup(((struct export_ctx *)c)->ctx, key_id, r, e);
}

static int ex_log(void *c, const struct envelope *env, const char *envelope, size_t elen,
		  const char *checkpoint, size_t clen, const char *proof, size_t plen, struct err *e)
{
	return cli_history_check(((struct export_ctx *)c)->ctx, env, envelope, elen, checkpoint, clen,
				 proof, plen, e);
}

static int ex_inner(void *c, struct manifest *m, struct err *e)
{
	struct export_ctx *x = c;
	if (record_proof_build(manifest_db(m), x->r->env.bundle_id, x->seq, x->r->envelope_text,
			       strlen(x->r->envelope_text), x->r->envelope_sig_text,
			       strlen(x->r->envelope_sig_text), &x->proof, e) != 0)
		return -1;
	x->built = true;
	return 0;
}

static void json_record(const struct record_proof *p)
{
	json_str("bundle_id", p->bundle_id);
	json_int("seq", (long long)p->seq);
	json_str("kind", p->kind);
	json_str("lang", p->lang);
	json_str("title", p->title);
	json_strn("body", p->body, p->body_len);
}

static int record_export(struct cli_ctx *ctx, int argc, char **argv, struct err *e)
{
	static const struct option longs[] = {
		{"identity", required_argument, NULL, 'i'},
		{"output", required_argument, NULL, 'o'},
		{"passphrase-fd", required_argument, NULL, 'F'},
		{NULL, 0, NULL, 0},
	};
	const char **idpaths = calloc((size_t)argc + 1, sizeof *idpaths), *out = NULL;
	size_t nids = 0;
	int fd = -1, c, rc = -1;
	struct age_identities *ids = NULL;
	struct verify_report r = {0};
	struct export_ctx x;
	memset(&x, 0, sizeof x);
	x.ctx = ctx;
	x.r = &r;
	char *text = NULL;
	size_t len = 0;
	struct io_atomic o = {0};
	o.fd = -1;
	if (!idpaths)
		return err_set(e, ERR_IO, "out of memory");
	while ((c = cli_getopt(ctx, argc, argv, "i:o:", longs, e)) > 0) {
		switch (c) {
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
	if (cli_nargs(argc, argv, 2, 2, "the bundle and the record's number", e) != 0)
		goto done;
	const char *seqs = argv[optind + 1];
	char *end;
	unsigned long long seq = strtoull(seqs, &end, 10);
	if (*end || !*seqs || seq == 0 || seqs[0] == '-') {
		cli_usage(e, "'%s' is not a record number (records are numbered from 1)", seqs);
		goto done;
	}
	x.seq = seq;
	if (nids == 0 || !out) {
		cli_usage(e, "-i IDENTITY and -o FILE.proof are required");
		goto done;
	}
	io_no_core_dumps();
	if (!cli_store(ctx, e) || cli_load_identities(idpaths, nids, &fd, &ids, e) != 0)
		goto done;
	struct verify_input in = {
		.bundle = argv[optind],
		.ids = ids,
		.issuer = ex_issuer,
		.log = ex_log,
		.inner = ex_inner,
		.ctx = &x,
	};
	if (verify_bundle(&in, &r, e) != 0 || cli_history_commit(ctx, e) != 0)
		goto done;
	if (!x.built) {
		err_set(e, ERR_INTERNAL, "the record was not read (this is a bug)");
		goto done;
	}
	if (record_proof_encode(&x.proof, &text, &len, e) != 0 || io_atomic_open(&o, out, 0644, e) != 0 ||
	    io_write_all(o.fd, text, len, e) != 0 || io_atomic_commit(&o, true, e) != 0)
		goto done;
	if (ctx->json) {
		json_begin_object();
		json_str("proof", out);
		json_record(&x.proof);
		json_int("records", (long long)x.proof.count);
		json_int("path", (long long)x.proof.npath);
		json_end_object();
		json_done();
	} else if (ctx->verbosity >= 0) {
		out_line("wrote %s: record %llu of %llu of bundle %s, '%s'", out_safe(0, out), seq,
			 (unsigned long long)x.proof.count, x.proof.bundle_id, out_safe(1, x.proof.title));
		out_note(ctx, "whoever receives it checks it with: amana record verify %s -p ISSUER.pub",
			 out_safe(0, io_basename(out)));
	}
	rc = 0;
done:
	io_atomic_abort(&o);
	free(text);
	record_proof_free(&x.proof);
	verify_report_free(&r);
	age_identities_free(ids);
	free(idpaths);
	return rc;
}

static int record_verify(struct cli_ctx *ctx, int argc, char **argv, struct err *e)
{
	const char *pubpath = NULL;
	int c;
	while ((c = cli_getopt(ctx, argc, argv, "p:", NULL, e)) > 0)
		if (c == 'p')
			pubpath = optarg;
	if (c < 0)
		return c;
	if (cli_nargs(argc, argv, 1, 1, "the proof file", e) != 0)
		return -1;
	unsigned char *text = NULL;
	size_t len;
	struct record_proof p;
	struct envelope env, peek;
	struct minisign_pub pub;
	char *pinned = NULL;
	int rc = -1;
	struct verify_trust trust;
	bool via_root = false;
	char origin[LOG_NAME_MAX];
	memset(&trust, 0, sizeof trust);
	memset(&p, 0, sizeof p);
	memset(&env, 0, sizeof env);
	memset(&peek, 0, sizeof peek);
	if (io_read_file(argv[optind], PROOF_MAX, &text, &len, e) != 0)
		return -1;
	if (record_proof_parse((const char *)text, len, &p, e) != 0)
		goto done;
	if (envelope_parse(p.envelope, p.envelope_len, &peek, e) != 0) {
		err_prefix(e, "record proof: the envelope");
		goto done;
	}
	/* The issuer's key: the one given, else the one this vault pinned under that key id. */
	uint8_t kid[8];
	minisign_key_id_parse(peek.issuer, kid);
	if (pubpath) {
		if (keyfile_load_sign_public(pubpath, &pub, NULL, e) != 0)
			goto done;
		if (memcmp(pub.key_id, kid, 8) != 0) {
			char id[17];
			minisign_key_id_hex(pub.key_id, id);
			err_set(e, ERR_VERIFY, "the proof's envelope was signed by %s, not by the key given (%s)",
				peek.issuer, id);
			goto done;
		}
	} else {
		struct store *s = cli_store(ctx, e);
		struct keyring_trusted t;
		/* A pinned root that lists the key decides first (window, revocation), judged
		 * once the envelope's signature holds. */
		int found = s ? cli_root_judge(ctx, kid, &peek, false, NULL, 0, &trust, e) : -1;
		if (found < 0)
			goto done;
		if (found == 1) {
			via_root = true;
			memset(&t, 0, sizeof t);
			memcpy(t.public_key, trust.pk, 32);
			t.name = trust.name;
			trust.name = NULL;
			t.added = NULL;
		} else {
			found = keyring_trust_find(s, kid, KEYRING_ISSUER, &t, e);
		}
		if (found < 0)
			goto done;
		if (found == 0) {
			err_set(e, ERR_VERIFY, "the issuer %s ('%s') is not pinned in this vault", peek.issuer,
				out_safe(0, peek.issuer_name));
			err_hint(e, "pin it with 'amana trust add ISSUER.pub --name NAME', or give its key with -p");
			goto done;
		}
		memcpy(pub.key_id, kid, 8);
		memcpy(pub.pk, t.public_key, 32);
		pinned = t.name;
		free(t.added);
	}
	if (record_proof_check(&p, &pub, &env, e) != 0)
		goto done;
	if (via_root && trust.refusal.code) {
		err_copy(e, &trust.refusal);
		goto done;
	}
	if (via_root && (log_origin(env.issuer, origin), cli_revocation_check(ctx, &env, origin, NULL, 0, e)) != 0)
		goto done;
	if (ctx->json) {
		json_begin_object();
		json_bool("verified", true);
		json_str("issuer", env.issuer);
		json_str("issuer_name", env.issuer_name);
		json_str("conference", env.conference);
		json_str("created", env.created);
		json_int("sequence", (long long)env.sequence);
		json_int("records", (long long)p.count);
		json_record(&p);
		json_end_object();
		json_done();
	} else {
		out_line("verified: record %llu of %llu of bundle %s", (unsigned long long)p.seq,
			 (unsigned long long)p.count, p.bundle_id);
		out_line("issuer:   %s (%s)%s%s", out_safe(0, env.issuer_name), env.issuer,
			 pinned ? ", pinned as " : "", pinned ? out_safe(1, pinned) : "");
		out_line("from:     %s, %s", out_safe(0, env.title), env.created);
		out_line("kind:     %s (%s)", out_safe(0, p.kind), out_safe(1, p.lang));
		out_line("title:    %s", out_safe(0, p.title));
		putchar('\n');
		char *body = text_display_block(p.body, p.body_len);
		out_line("%s", body ? body : "");
		free(body);
	}
	rc = 0;
done:
	/* A refused proof: what its holder can do about it. */
	if (rc != 0 && !e->hint[0] && (e->code == ERR_FORMAT || e->code == ERR_VERIFY))
		err_hint(e, "do not rely on this record: the proof was altered or damaged; ask whoever sent it for the proof again, or for the bundle itself");
	envelope_free(&env);
	envelope_free(&peek);
	record_proof_free(&p);
	free(pinned);
	free(trust.name);
	free(text);
	return rc;
}

int cmd_record(struct cli_ctx *ctx, int argc, char **argv, struct err *e)
{
	static const struct cli_sub subs[] = {
		{"export", record_export},
		{"verify", record_verify},
		{NULL, NULL},
	};
	return cli_subcommand(ctx, argc, argv, subs, e);
}
