/*
 * cmd_seal.c - "amana seal": the secretariat turns an outcome into a bundle.
 *
 *   seal OUTCOME.json -s KEY (--to NAME|age1...)... [-o OUT.amana] [--passphrase-fd N]
 *   seal OUTCOME.json -s KEY --to-all [-o OUT.amana]
 *
 * The outcome is checked before anything else (and before a passphrase is asked). The bundle
 * is made without holding the vault; the issuer's next sequence number is taken at the end,
 * in the vault transaction that also appends the envelope to the log and records the bundle,
 * which is committed before the bundle appears under its name: the vault never forgets a
 * bundle that exists, and a failed seal leaves nothing behind.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "keys/keyfile.h"
#include "keys/keyring.h"
#include "vault/clock.h"
#include "vault/io.h"
#include "vault/ledger.h"
#include "vault/log.h"
#include "vault/seal.h"
#include "vault/store.h"
#include "vault/text.h"

struct progress {
	bool on;
	int last;
};

static void show_progress(void *ctx, uint64_t done, uint64_t total)
{
	struct progress *p = ctx;
	if (!p->on || total == 0)
		return;
	int pct = (int)(done * 100 / total);
	if (pct == p->last)
		return;
	p->last = pct;
	fprintf(stderr, "\ramana: sealing %3d%% (%llu of %llu MiB)", pct,
		(unsigned long long)(done >> 20), (unsigned long long)(total >> 20));
	if (done == total)
		fputc('\n', stderr);
}

/* Adds name -> recipient unless that recipient is already in the list. */
static int add_recipient(struct manifest_recipient **list, size_t *n, const char *name,
			 const char *recipient, struct err *e)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*list)[i].recipient, recipient) == 0)
			return 0;
	struct manifest_recipient *nl = realloc(*list, (*n + 1) * sizeof **list);
	if (!nl)
		return err_set(e, ERR_IO, "out of memory");
	*list = nl;
	nl[*n].name = strdup(name);
	nl[*n].recipient = strdup(recipient);
	if (!nl[*n].name || !nl[*n].recipient)
		return err_set(e, ERR_IO, "out of memory");
	(*n)++;
	return 0;
}

void cli_free_recipients(struct manifest_recipient *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free((char *)list[i].name);
		free((char *)list[i].recipient);
	}
	free(list);
}

int cli_resolve_recipients(struct store *s, char **to, size_t nto, bool all, bool self,
			   struct manifest_recipient **out, size_t *n, struct err *e)
{
	*out = NULL;
	*n = 0;
	if (self) {
		/* The encryption key this vault made: the secretariat's own (exactly one). */
		struct keyring_own *own;
		size_t k, found = 0, at = 0;
		if (keyring_own_list(s, &own, &k, e) != 0)
			return -1;
		for (size_t i = 0; i < k; i++)
			if (strcmp(own[i].type, "encrypt") == 0) {
				found++;
				at = i;
			}
		int rc = found == 1 ? add_recipient(out, n, own[at].name, own[at].key_id, e) : 0;
		keyring_own_free(own, k);
		if (found > 1) {
			err_set(e, ERR_USAGE, "--to-self: this vault has made %zu encryption keys, and --to-self takes the only one", found);
			rc = err_hint(e, "name yours with --to NAME ('amana recipient add YOURS.pub --name NAME' first)");
		} else if (found == 0) {
			err_set(e, ERR_USAGE, "--to-self: this vault has made no encryption key");
			rc = err_hint(e, "make one with 'amana key new encrypt --name NAME -o PREFIX' in this vault, or add yours with 'amana recipient add' and name it with --to");
		}
		if (rc != 0)
			return -1;
	}
	if (all) {
		struct keyring_recipient *list;
		size_t k;
		if (keyring_recipient_list(s, &list, &k, e) != 0)
			return -1;
		int rc = 0;
		for (size_t i = 0; i < k && rc == 0; i++)
			rc = add_recipient(out, n, list[i].name, list[i].recipient, e);
		keyring_recipients_free(list, k);
		if (rc == 0 && k == 0) {
			err_set(e, ERR_USAGE, "--to-all: the recipients directory is empty");
			rc = err_hint(e, "add member states with 'amana recipient add age1... --name NAME'");
		}
		if (rc != 0)
			return -1;
	}
	for (size_t i = 0; i < nto; i++) {
		char *r = NULL;
		const char *name = to[i];
		if (strncmp(to[i], "age1", 4) == 0) {
			r = strdup(to[i]);
		} else if (keyring_recipient_lookup(s, to[i], &r, e) != 0) {
			return -1;
		}
		int rc = r ? add_recipient(out, n, name, r, e) : err_set(e, ERR_IO, "out of memory");
		free(r);
		if (rc != 0)
			return -1;
	}
	if (*n == 0)
		return cli_usage(e, "say who the bundle is for: --to NAME (repeatable) or --to-all");
	return 0;
}

/* A seal killed between the vault's commit and the rename left its bundle recorded under a
 * temporary name; it is placed first. When that bundle is this very outcome (same conference,
 * title and number of records) and was meant for this output (or no -o was given), this run
 * is the user running the interrupted command again: it reports the bundle and seals nothing
 * new (1). 0: go on and seal; -1: error. */
static int finish_interrupted(struct cli_ctx *ctx, struct store *s, const struct outcome *o,
			      const char *out, struct err *e)
{
	char *want = NULL, *id = NULL, *conference = NULL, *path = NULL;
	size_t placed = 0;
	uint64_t seq = 0;
	int rc = -1;
	if (out && !(want = io_absolute(out))) {
		err_errno(e, ERR_IO, "cannot resolve the folder of '%s'", out);
		goto done;
	}
	if (ledger_finish_pending(s, want, &id, &placed, e) != 0)
		goto done;
	if (placed)
		out_note(ctx, "placed %zu bundle%s that an interrupted seal had recorded but not named",
			 placed, placed == 1 ? "" : "s");
	rc = 0;
	if (!id)
		goto done;
	size_t cl = strlen(o->series) + 32;
	if (!(conference = malloc(cl))) {
		rc = err_set(e, ERR_IO, "out of memory");
		goto done;
	}
	snprintf(conference, cl, "%s %lld", o->series, (long long)o->number);
	rc = ledger_issued_like(s, id, conference, o->title, o->nrecords, &seq, &path, e);
	if (rc <= 0)
		goto done;
	if (ctx->json) {
		json_begin_object();
		json_str("bundle", path);
		json_str("bundle_id", id);
		json_int("sequence", (long long)seq);
		json_bool("resumed", true);
		json_end_object();
		json_done();
	} else if (ctx->verbosity >= 0) {
		out_line("sealed %s", out_safe(0, path));
		out_line("  bundle %s, sequence %llu: sealed by the interrupted run, placed by this one;",
			 id, (unsigned long long)seq);
		out_line("  nothing new was sealed (seal again with another -o for a new bundle)");
	}
done:
	free(want);
	free(id);
	free(conference);
	free(path);
	return rc;
}

/* Whether out exists already (then e says so): seal never writes over a file. */
static bool output_taken(const char *out, struct err *e)
{
	if (!io_exists(out))
		return false;
	err_set(e, ERR_IO, "'%s' already exists", out);
	err_hint(e, "choose another name with -o, or move the existing file away");
	return true;
}

/* outcome-NUMBER-SEQUENCE.amana, in the current folder. */
static int default_output(const struct outcome *o, uint64_t sequence, char **out, struct err *e)
{
	size_t n = 64;
	if (!(*out = malloc(n)))
		return err_set(e, ERR_IO, "out of memory");
	snprintf(*out, n, "outcome-%lld-%llu.amana", (long long)o->number, (unsigned long long)sequence);
	return 0;
}

int cli_issue(struct cli_ctx *ctx, struct store *s, struct sealed *sealed, const struct minisign_sec *sk,
	      uint64_t sequence, const char *out, bool *in_tx, struct err *e)
{
	char *checkpoint = NULL, *proof = NULL, *pending = NULL;
	size_t checkpoint_len = 0, proof_len = 0;
	int rc = -1;
	(void)ctx;
	/* The envelope is the log leaf: appended in the same transaction, carried in the bundle. */
	if (log_append(s, sk, sealed->env.bundle_id, sequence, sealed->envelope, sealed->envelope_len,
		       &checkpoint, &checkpoint_len, &proof, &proof_len, e) != 0 ||
	    seal_write(sealed, checkpoint, checkpoint_len, proof, proof_len, e) != 0)
		goto done;
	/* From the commit to the rename, SIGINT and SIGTERM wait: their handler would remove the
	 * file the vault just recorded. A SIGKILL there leaves it under its temporary name,
	 * recorded as pending, and the next seal gives it its name (ledger_finish_pending). */
	if (!(pending = io_absolute(sealed->out.tmp))) {
		err_errno(e, ERR_IO, "cannot resolve the folder of '%s'", out);
		goto done;
	}
	io_signals_hold();
	int lock = ledger_placing_lock(s, e);
	if (lock < 0 || ledger_record_issued(s, &sealed->env, sealed->envelope, out, pending, e) != 0 ||
	    store_commit(s, e) != 0) {
		ledger_placing_unlock(lock);
		io_signals_release();
		goto done;
	}
	*in_tx = false;
	int crc = seal_commit(sealed, e);
	ledger_placing_unlock(lock);
	io_signals_release();
	if (crc != 0) {
		err_prefix(e, "bundle %s (sequence %llu) is recorded in the vault but not placed", sealed->env.bundle_id,
			   (unsigned long long)sequence);
		err_hint(e, "it is kept whole as '%s'; make room for '%s', then run any 'amana seal' "
			    "(it finishes interrupted bundles first) or rename it yourself", pending, out);
		goto done;
	}
	/* Clearing the mark is tidiness, not safety (the next seal clears a mark whose file is in
	 * place): it does not wait long for another seal's transaction. */
	store_wait(s, 2000);
	struct err ignored = {0};
	(void)ledger_issued_done(s, sealed->env.bundle_id, &ignored);
	rc = 0;
done:
	free(checkpoint);
	free(proof);
	free(pending);
	return rc;
}

int cmd_seal(struct cli_ctx *ctx, int argc, char **argv, struct err *e)
{
	static const struct option longs[] = {
		{"to", required_argument, NULL, 't'},
		{"to-all", no_argument, NULL, 'A'},
		{"to-self", no_argument, NULL, 'S'},
		{"output", required_argument, NULL, 'o'},
		{"issuer-name", required_argument, NULL, 'N'},
		{"passphrase-fd", required_argument, NULL, 'F'},
		{NULL, 0, NULL, 0},
	};
	const char *key = NULL, *out = NULL, *issuer_name = NULL;
	char **to = calloc((size_t)argc + 1, sizeof *to);
	size_t nto = 0;
	bool all = false, self = false;
	int fd = -1, c, rc = -1;
	struct outcome o = {0};
	struct minisign_sec *sk = NULL;
	struct seal_root root;
	char *chain = NULL;
	struct manifest_recipient *recipients = NULL;
	size_t nrecipients = 0;
	struct sealed sealed = {0};
	char *defout = NULL, *keyname = NULL;
	bool in_tx = false;
	struct store *s = NULL;

	sealed.out.fd = -1;
	if (!to)
		return err_set(e, ERR_IO, "out of memory");
	while ((c = cli_getopt(ctx, argc, argv, "s:t:o:", longs, e)) > 0) {
		switch (c) {
		case 's': key = optarg; break;
		case 't': to[nto++] = optarg; break;
		case 'A': all = true; break;
		case 'S': self = true; break;
		case 'o': out = optarg; break;
		case 'N': issuer_name = optarg; break;
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
	if (cli_nargs(argc, argv, 1, 1, "the outcome file (outcome.json)", e) != 0)
		goto done;
	if (!key) {
		cli_usage(e, "-s KEY (the issuer's secret key) is required");
		goto done;
	}
	io_no_core_dumps();

	/* Everything that can be wrong with the input is found before a passphrase is asked. */
	if (outcome_load(argv[optind], &o, e) != 0)
		goto done;
	if (!(s = cli_store(ctx, e)) || cli_resolve_recipients(s, to, nto, all, self, &recipients, &nrecipients, e) != 0)
		goto done;
	if (out && output_taken(out, e))
		goto done;
	int resumed = finish_interrupted(ctx, s, &o, out, e);
	if (resumed != 0) {
		rc = resumed > 0 ? 0 : -1;
		goto done;
	}
	struct keyfile_info info;
	if (keyfile_describe(key, &info, e) != 0)
		goto done;
	keyname = info.name;
	if (info.type != KEYFILE_SIGN_SECRET) {
		err_set(e, ERR_KEY, "'%s' is not a signing secret key", key);
		err_hint(e, "seal with the PREFIX.key that 'amana key new sign' wrote");
		goto done;
	}
	if (keyfile_load_sign_secret(key, fd, &sk, e) != 0)
		goto done;
	char issuer[17];
	minisign_key_id_hex(sk->key_id, issuer);
	if (!issuer_name)
		issuer_name = keyname && *keyname ? keyname : issuer;
	const char *why = text_name_problem(issuer_name, KEYFILE_NAME_MAX);
	if (why) {
		cli_usage(e, "the issuer name is not usable: %s", why);
		err_hint(e, "a name is 1 to %d bytes of UTF-8 (Arabic is welcome) without control characters", KEYFILE_NAME_MAX);
		goto done;
	}

	/* The bundle is made outside the vault's lock, under the sequence number the issuer's
	 * next seal would take; the lock is taken at the end, for the number, the log and the
	 * record. When another seal took that number meanwhile, only the manifest's part of the
	 * payload is written again under the next one (or, in the rare case where the number has
	 * more digits and so other sizes, the bundle is made again under the lock). */
	struct seal_input in = {
		.outcome = &o,
		.sk = sk,
		.issuer_name = issuer_name,
		.recipients = recipients,
		.nrecipients = nrecipients,
		.created = clock_now(),
	};
	if (ledger_peek_sequence(s, issuer, &in.sequence, e) != 0)
		goto done;
	int has_root = cli_seal_root(ctx, sk->key_id, in.created, in.sequence, &root, &chain, e);
	if (has_root < 0) {
		err_prefix(e, "cannot seal");
		goto done;
	}
	if (has_root)
		in.root = &root;
	randombytes_buf(in.bundle_id, sizeof in.bundle_id);
	randombytes_buf(in.salt_seed, sizeof in.salt_seed);
	bool named = out != NULL;
	if (!named && default_output(&o, in.sequence, &defout, e) != 0)
		goto done;
	if (!named)
		out = defout;
	if (output_taken(out, e))
		goto done;
	in.out_path = out;
	struct progress prog = {ctx->verbosity >= 0 && !ctx->json && isatty(2), -1};
	uint64_t total = 0;
	for (size_t i = 0; i < o.nattachments; i++)
		total += o.attachments[i].size;
	prog.on = prog.on && total >= (64u << 20);
	in.progress = show_progress;
	in.progress_ctx = &prog;
	if (seal_prepare(&in, &sealed, e) != 0)
		goto done;

	/* The lock: another seal on this vault waits for it (up to ten minutes) rather than
	 * fail, but it is held only for what follows. */
	store_wait(s, cli_wait_ms(CLI_SEAL_WAIT_MS));
	if (store_begin(s, e) != 0)
		goto done;
	in_tx = true;
	uint64_t seq;
	if (ledger_next_sequence(s, issuer, &seq, e) != 0)
		goto done;
	if (seq != in.sequence) {
		if (!named) {
			free(defout);
			defout = NULL;
			if (default_output(&o, seq, &defout, e) != 0)
				goto done;
			out = defout;
			if (output_taken(out, e))
				goto done;
		}
		if (seal_sequence_fits(&sealed, seq)) {
			if (seal_resequence(&sealed, seq, e) != 0 || (!named && seal_set_output(&sealed, out, e) != 0))
				goto done;
		} else {
			sealed_free(&sealed);
			in.sequence = seq;
			in.out_path = out;
			if (seal_prepare(&in, &sealed, e) != 0)
				goto done;
		}
		in.sequence = seq;
	}
	sodium_memzero(in.salt_seed, sizeof in.salt_seed);
	/* The issuer's standing, again under the lock: a root rotated or a key revoked while the
	 * bundle was made is seen here. */
	struct seal_root now;
	char *chain_now = NULL;
	int has_now = cli_seal_root(ctx, sk->key_id, in.created, in.sequence, &now, &chain_now, e);
	free(chain_now);
	if (has_now < 0) {
		err_prefix(e, "cannot seal");
		goto done;
	}
	if (has_now != has_root || (has_root && (strcmp(now.root_id, root.root_id) != 0 ||
						  now.version != root.version))) {
		err_set(e, ERR_VERIFY, "the issuer's root changed while the bundle was made");
		err_hint(e, "seal again: the new bundle will name the root now in force");
		goto done;
	}
	if (cli_issue(ctx, s, &sealed, sk, in.sequence, out, &in_tx, e) != 0)
		goto done;
	if (ctx->json) {
		json_begin_object();
		json_str("bundle", out);
		json_str("bundle_id", sealed.env.bundle_id);
		json_str("issuer", issuer);
		json_int("sequence", (long long)in.sequence);
		json_int("records", (long long)o.nrecords);
		json_int("files", (long long)o.nattachments);
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
		out_line("sealed %s", out_safe(0, out));
		out_line("  bundle %s, sequence %llu, issuer %s", sealed.env.bundle_id,
			 (unsigned long long)in.sequence, issuer);
		out_line("  %zu records, %zu files, payload %llu bytes", o.nrecords, o.nattachments,
			 (unsigned long long)sealed.env.payload_size);
		for (size_t i = 0; i < nrecipients; i++)
			out_line("  for %s", out_safe(0, recipients[i].name));
		if (ctx->verbosity > 0) {
			out_line("envelope:");
			char *shown = text_display_block(sealed.envelope, sealed.envelope_len);
			fputs(shown ? shown : "", stdout);
			free(shown);
		}
	}
	rc = 0;
done:
	if (in_tx)
		store_rollback(s);
	sealed_free(&sealed);
	minisign_sec_free(sk);
	outcome_free(&o);
	cli_free_recipients(recipients, nrecipients);
	free(defout);
	free(keyname);
	free(to);
	free(chain);
	return rc;
}
