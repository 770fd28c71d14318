/*
 * main.c - the amana command: global options, the command table, help, and the one place
 * where the process exits.
 *
 *   amana [--vault DIR] [--json] [-q|-v] COMMAND [ARGS...]
 *
 * Every command is a row of cli_cmds (alphabetical) and lives in its own cmd_*.c. The exit
 * status is the error code the command returned (docs/exit-codes.md); usage errors print the
 * command's usage after the message.
 */
#include <archive.h>
#include <locale.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "vault/io.h"
#include "vault/log.h"
#include "vault/store.h"

const struct cli_cmd cli_cmds[] = {
	{"audit", "amana audit BUNDLE... [--html FILE] [--witnesses K]",
	 "an auditor's report on bundles, without decryption keys",
	 "For each bundle: issuer, key id, sequence, creation time, log index, checkpoint,\n"
	 "witnesses, and the verdicts of the outer signature, log and payload digest. Across them:\n"
	 "one consistent history per issuer, sequence numbers used twice, gaps. Exit 1 on any\n"
	 "fork, reused sequence or failed check. --html writes one self-contained page to archive\n"
	 "and print; --json prints the same on stdout.",
	 cmd_audit},
	{"decrypt", "amana decrypt (-i IDENTITY)... [-o OUT] [--passphrase-fd N] [FILE]",
	 "decrypt an age file, as 'age -d' does",
	 "Reads FILE (or standard input), binary or ASCII-armored, and writes the plaintext to OUT\n"
	 "(or standard output). Identity files hold AGE-SECRET-KEY-1... lines and '#' comments; they\n"
	 "must not be readable by others, and may be encrypted with a passphrase (age -p), which is\n"
	 "then asked for. Without -i, a passphrase-encrypted file asks for its passphrase. With -o\n"
	 "the output appears only once the whole file has authenticated. Exits 5 when no identity\n"
	 "matches, 1 when the file was altered or cut short (naming the header MAC or the chunk).",
	 cmd_decrypt},
	{"encrypt",
	 "amana encrypt (-r RECIPIENT | -R FILE)... [-a] [-o OUT] [FILE]\n"
	 "amana encrypt -p [-a] [-o OUT] [--passphrase-fd N] [FILE]",
	 "encrypt a file to age recipients or a passphrase, as 'age -e' does",
	 "Writes an age v1 file that stock age opens. -r takes an age1... recipient or the name of\n"
	 "a member state in the vault's recipient directory ('amana recipient add'); -R a file of\n"
	 "recipients, one a line; -p a passphrase instead (asked twice on the terminal). -a writes\n"
	 "ASCII armor; binary output is never written to a terminal. With -o the file appears only\n"
	 "once it is complete.",
	 cmd_encrypt},
	{"help", "amana help [COMMAND]", "show help for amana or for one command", NULL, cmd_help},
	{"inspect", "amana inspect BUNDLE",
	 "check a bundle's outer layer without a decryption key",
	 "Shows the envelope (issuer, conference, title, sequence, payload digest) and checks what\n"
	 "needs no key: the container, the outer signature against the pinned issuers, the log,\n"
	 "and the payload's BLAKE2b-512 digest. It then lists what it could not check. Exit 1\n"
	 "when a check fails or the issuer is not pinned (the origin is then unknown).",
	 cmd_inspect},
	{"key",
	 "amana key new sign --name NAME -o PREFIX [--no-passphrase] [--passphrase-fd N]\n"
	 "amana key new encrypt --name NAME -o PREFIX [--passphrase] [--passphrase-fd N]\n"
	 "amana key list\n"
	 "amana key show FILE",
	 "make signing and encryption keys, list and show them",
	 "'key new sign' writes PREFIX.pub and PREFIX.key in minisign's formats; the secret key is\n"
	 "encrypted with a passphrase (scrypt, as minisign does) unless --no-passphrase is given.\n"
	 "'key new encrypt' writes an age X25519 recipient (PREFIX.pub, age1...) and identity\n"
	 "(PREFIX.key, AGE-SECRET-KEY-1...); with --passphrase the identity file is itself\n"
	 "encrypted with a passphrase, as 'age -p' would. Secret key files are created 0600 and\n"
	 "never overwritten. 'key list' shows the keys made with this vault; 'key show FILE' shows\n"
	 "a key file's type, key id and name.\n"
	 "Passphrases are read from the terminal without echo (twice when creating), or from\n"
	 "--passphrase-fd N, or from the file named by AMANA_PASSPHRASE_FILE.",
	 cmd_key},
	{"log",
	 "amana log show\n"
	 "amana log verify [BUNDLE]...\n"
	 "amana log cosignature add FILE",
	 "the secretariat's transparency log: show it, recompute it, add cosignatures",
	 "Every bundle this vault seals is appended to its issuer's log (an RFC 6962 Merkle tree\n"
	 "of envelopes, checkpoints as C2SP signed notes). 'log show' prints each log's size,\n"
	 "root, latest checkpoint and cosignatures. 'log verify' recomputes every leaf and\n"
	 "checkpoint from the stored envelopes, and checks the bundles given against the log.\n"
	 "'log cosignature add' stores the cosignatures of a pinned witness (see 'amana witness');\n"
	 "the next bundles carry them.",
	 cmd_log},
	{"open", "amana open BUNDLE -i IDENTITY [-i IDENTITY]... [-o DIR] [--witnesses K] [--passphrase-fd N]",
	 "verify a bundle and take out its contents",
	 "Runs every check (container, issuer pinned, envelope signature, log, payload digest,\n"
	 "manifest signature, bundle id/issuer/sequence, recipients, every file's size and\n"
	 "BLAKE2b-512, the records' Merkle root) in one pass, staging the contents beside DIR and\n"
	 "renaming them into place only when all passed. DIR (default: the bundle's name without\n"
	 ".amana) then holds manifest.sqlite, manifest.sqlite.minisig and files/. The vault\n"
	 "records the bundle and its records as received.",
	 cmd_open},
	{"recipient",
	 "amana recipient add (age1...|FILE.pub) --name NAME\n"
	 "amana recipient list\n"
	 "amana recipient remove NAME",
	 "the secretariat's directory of member states and their age recipients",
	 "Names are UTF-8 and stored exactly as given; when shown, invisible and bidi control\n"
	 "characters are escaped so that a name cannot disguise itself.",
	 cmd_recipient},
	{"record",
	 "amana record export BUNDLE SEQ -i IDENTITY -o FILE.proof [--passphrase-fd N]\n"
	 "amana record verify FILE.proof [-p PUB]",
	 "forward one record with a proof; check such a proof",
	 "'record export' verifies the bundle, then writes record SEQ (numbered from 1) with its\n"
	 "salt, its Merkle inclusion path and the bundle's signed envelope, as readable UTF-8 text.\n"
	 "Whoever receives it checks, offline, with 'record verify' and the issuer's public key\n"
	 "(or the vault's pinned issuers), that the issuer published exactly that text in that\n"
	 "bundle; the proof reveals nothing of the other records.",
	 cmd_record},
	{"readdress", "amana readdress BUNDLE -s KEY -i IDENTITY (--to NAME ... | --to-all) [--to-self] -o OUT [--passphrase-fd N]",
	 "give an issued bundle to other member states without sealing it again",
	 "A new age header gives the bundle's file key to the new recipients; the encrypted body is\n"
	 "copied unchanged. The bundle keeps its id and takes the next sequence and a new log entry;\n"
	 "an addendum, encrypted to the new recipients and bound by the signed envelope, lists them.\n"
	 "IDENTITY is the secretariat's own age key: seal with --to-self to be able to readdress.\n"
	 "A recipient left out cannot open the new file, but keeps whatever it received before.",
	 cmd_readdress},
	{"records", "amana records [BUNDLE] [--search TEXT]",
	 "list or search the records of the bundles this vault opened",
	 "Without --search, lists every record (or those of BUNDLE: a .amana file or a bundle id).\n"
	 "--search finds records whose title or body has all the words given, whatever their\n"
	 "diacritics, tatweel, hamza or alef forms (أ إ آ ٱ = ا, ى = ي, ة = ه) or Latin case, and\n"
	 "in their other forms (light stemming: عملة finds بالعملات, committee committees);\n"
	 "records with the words as typed come first. \"WORDS\" in double quotes match that exact\n"
	 "form only; a trailing '*' matches words that start with the last one. Stored text is\n"
	 "never altered.",
	 cmd_records},
	{"root",
	 "amana root new --name NAME --root-key PUB... --threshold K --signing-key PUB... [--not-before T] [--not-after T] [--expires DATE] -o ROOT\n"
	 "amana root show ROOT\n"
	 "amana root sign ROOT -s ROOTKEY [--passphrase-fd N]\n"
	 "amana root rotate ROOT -o NEXT [--add-signing-key PUB]... [--remove-signing-key KEYID]... [--revoke KEYID [--from POSITION]]... [--root-key PUB]... [--threshold K] [--expires DATE] [--not-before T] [--not-after T]",
	 "make, show, sign and rotate the issuer's trust root (threshold-signed keys)",
	 "A root names the issuer's root keys (offline; k of n sign each version), its signing keys\n"
	 "with their validity windows, and revocations. A ROOT file holds every version from 1.\n"
	 "'new' writes version 1 and 'rotate' appends the next one, both unsigned; 'sign' adds one\n"
	 "root key's signature to the newest version in place. Pin it with 'amana trust add ROOT'.",
	 cmd_root},
	{"seal",
	 "amana seal OUTCOME.json -s KEY (--to NAME|--to age1...)... [--to-self] [-o OUT.amana]\n"
	 "amana seal OUTCOME.json -s KEY --to-all [--to-self] [-o OUT.amana]",
	 "seal a conference outcome into a signed, encrypted bundle",
	 "Checks outcome.json strictly (see docs/format.md), reads each attachment once, and\n"
	 "writes OUT.amana (default outcome-NUMBER-SEQUENCE.amana): the signed envelope, the age\n"
	 "payload (for the named member states of the recipients directory, or age1...\n"
	 "recipients, or all of them) holding the signed SQLite manifest and the files. The\n"
	 "issuer's next sequence number is taken and the bundle recorded in the vault in one\n"
	 "transaction. --issuer-name overrides the name taken from the key file. --to-self seals\n"
	 "for this vault's own encryption keys too, so that 'amana readdress' can give the bundle to\n"
	 "other member states later without sealing it again.",
	 cmd_seal},
	{"sign", "amana sign -s KEY -m FILE [-t COMMENT] [-x SIG] [--legacy]",
	 "sign a file, as minisign does",
	 "Writes FILE.minisig (or SIG) in minisign's format: a prehashed Ed25519 signature\n"
	 "(BLAKE2b-512 of the file), and a signature over the trusted comment. The default trusted\n"
	 "comment is \"timestamp:<unix time>\\tfile:<name>\\thashed\". --legacy signs the raw file\n"
	 "(minisign's old 'Ed' form), which must hold the whole file in memory.",
	 cmd_sign},
	{"trust",
	 "amana trust add FILE.pub --name NAME [--witness]\n"
	 "amana trust add ROOT\n"
	 "amana trust list\n"
	 "amana trust remove KEYID",
	 "pin the issuers (and witnesses) this vault trusts",
	 "A member state pins the secretariat's public key once; bundles are then accepted only\n"
	 "from pinned issuers. --witness pins a witness key instead (one that cosigns logs).",
	 cmd_trust},
	{"verify", "amana verify -p PUB -m FILE [-x SIG] [-H] [-q]\n"
	 "amana verify BUNDLE [-i IDENTITY]... [--witnesses K]",
	 "check a minisign signature of a file, or a bundle",
	 "With a bundle: every check of 'amana open' (with -i) without writing anything, or\n"
	 "without -i the checks that need no key; exit 0 only when all passed.\n"
	 "With -m FILE: checks FILE.minisig (or SIG) against the public key PUB: the key id, the signature over\n"
	 "the file (prehashed 'ED' or legacy 'Ed'), and the signature over the trusted comment,\n"
	 "which is printed on success. Exits 1 naming the check that failed.",
	 cmd_verify},
	{"witness", "amana witness cosign BUNDLE -s KEY -o FILE [--passphrase-fd N]",
	 "cosign the log checkpoint of a bundle you verified",
	 "Verifies the bundle's signature and log against your pinned issuer and what your vault\n"
	 "saw before, then cosigns its checkpoint (C2SP tlog-cosignature) with your signing key as\n"
	 "amana-witness/<your key id>. Send FILE to the secretariat, which stores it with 'amana\n"
	 "log cosignature add FILE' after pinning your public key with 'trust add --witness'.",
	 cmd_witness},
	{NULL, NULL, NULL, NULL, NULL},
};

const struct cli_cmd *cli_find(const char *name)
{
	for (const struct cli_cmd *c = cli_cmds; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

void cli_print_usage(const struct cli_cmd *cmd, FILE *f)
{
	fprintf(f, "usage: ");
	for (const char *p = cmd->usage; *p; p++) {
		fputc(*p, f);
		if (*p == '\n')
			fprintf(f, "       ");
	}
	fputc('\n', f);
}

void cli_print_help(const struct cli_cmd *cmd, FILE *f)
{
	cli_print_usage(cmd, f);
	fprintf(f, "\n%s\n", cmd->summary);
	if (cmd->help)
		fprintf(f, "\n%s\n", cmd->help);
}

static void print_main_help(FILE *f)
{
	fprintf(f, "usage: amana [--vault DIR] [--json] [-q|-v] COMMAND [ARGS...]\n"
		   "       amana --version | -h\n\n"
		   "amana turns conference outcomes into signed, encrypted bundles and checks them.\n\n"
		   "commands:\n");
	for (const struct cli_cmd *c = cli_cmds; c->name; c++)
		fprintf(f, "  %-10s %s\n", c->name, c->summary);
	fprintf(f, "\nglobal options:\n"
		   "  --vault DIR  the vault folder (default $AMANA_HOME, else $XDG_DATA_HOME/amana,\n"
		   "               else ~/.local/share/amana)\n"
		   "  --json       print results as JSON on stdout\n"
		   "  -q           quieter: no notes, no summaries (results and errors remain)\n"
		   "  -v           more detail (the envelope after seal, every check after open)\n"
		   "  --threads 1  do the streaming work on one thread (default auto: hashing and\n"
		   "               encryption overlap on a second core when there is one)\n\n"
		   "'amana help COMMAND' or 'amana COMMAND -h' shows one command.\n"
		   "Exit status: 0 ok, 1 verification failed, 2 usage, 3 malformed input, 4 I/O,\n"
		   "5 key or passphrase, 70 internal error (see docs/exit-codes.md).\n");
}

/* Damerau-free Levenshtein distance, for "did you mean". */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 32 || lb > 32)
		return 99;
	size_t prev[33], cur[33];
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
			cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
		memcpy(prev, cur, sizeof prev);
	}
	return prev[lb];
}

static int unknown_command(const char *name, struct err *e)
{
	const struct cli_cmd *best = NULL;
	size_t bestd = 99;
	for (const struct cli_cmd *c = cli_cmds; c->name; c++) {
		size_t d = distance(name, c->name);
		/* A prefix counts as close too ("rec" -> "recipient"). */
		if (strncmp(c->name, name, strlen(name)) == 0 && strlen(name) >= 2)
			d = 1;
		if (d < bestd) {
			bestd = d;
			best = c;
		}
	}
	err_set(e, ERR_USAGE, "'%s' is not an amana command", name);
	if (best && bestd <= 3)
		return err_hint(e, "did you mean 'amana %s'?", best->name);
	return err_hint(e, "run 'amana -h' for the list of commands");
}

int cmd_help(struct cli_ctx *ctx, int argc, char **argv, struct err *e)
{
	int c;
	while ((c = cli_getopt(ctx, argc, argv, "", NULL, e)) > 0)
		;
	if (c < 0)
		return c;
	if (optind >= argc) {
		print_main_help(stdout);
		return 0;
	}
	const struct cli_cmd *cmd = cli_find(argv[optind]);
	if (!cmd)
		return unknown_command(argv[optind], e);
	cli_print_help(cmd, stdout);
	return 0;
}

int main(int argc, char **argv)
{
	struct cli_ctx ctx = {0};
	struct err e;
	int rc = 0;

	err_clear(&e);
	/* Text is UTF-8 throughout; libarchive converts names through LC_CTYPE, so ask for a
	 * UTF-8 one whatever the environment says (see vault/bundle.c). */
	if (!setlocale(LC_CTYPE, "C.UTF-8") && !setlocale(LC_CTYPE, "C.utf8"))
		setlocale(LC_CTYPE, "");
	io_cleanup_on_signals();
	if (sodium_init() < 0) {
		fprintf(stderr, "amana: cannot initialise libsodium\n");
		return ERR_INTERNAL;
	}

	static const struct option global[] = {
		{"vault", required_argument, NULL, 'V'},
		{"json", no_argument, NULL, 'J'},
		{"quiet", no_argument, NULL, 'q'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'R'},
		{"threads", required_argument, NULL, 'T'},
		{NULL, 0, NULL, 0},
	};
	opterr = 0;
	int c;
	/* '+': stop at the command name; its own options are parsed by the command. */
	while ((c = getopt_long(argc, argv, "+qvh", global, NULL)) != -1) {
		switch (c) {
		case 'V': ctx.vault_dir = optarg; break;
		case 'J': ctx.json = true; break;
		case 'q': ctx.verbosity = -1; break;
		case 'v': ctx.verbosity = 1; break;
		case 'T':
			if (cli_parse_threads(optarg, &e) != 0) {
				out_error(&e);
				return ERR_USAGE;
			}
			break;
		case 'h': print_main_help(stdout); return out_finish(&e) == 0 ? 0 : (out_error(&e), e.code);
		case 'R':
			printf("amana %s (libsodium %s, %s, sqlite %s)\n", AMANA_VERSION,
			       sodium_version_string(), archive_version_string(), sqlite3_libversion());
			return out_finish(&e) == 0 ? 0 : (out_error(&e), e.code);
		default:
			err_set(&e, ERR_USAGE, "unknown global option '%s'", argv[optind - 1]);
			err_hint(&e, "run 'amana -h' for the global options");
			out_error(&e);
			return ERR_USAGE;
		}
	}
	if (optind >= argc) {
		print_main_help(stderr);
		return ERR_USAGE;
	}

	const char *name = argv[optind];
	const struct cli_cmd *cmd = cli_find(name);
	if (!cmd) {
		unknown_command(name, &e);
		out_error(&e);
		return ERR_USAGE;
	}
	ctx.cmd = cmd;
	int sub_argc = argc - optind;
	char **sub_argv = argv + optind;
	optind = 0; /* glibc: a full re-initialisation for the command's own parsing */
	rc = cmd->run(&ctx, sub_argc, sub_argv, &e);
	if (rc == CLI_HELP_SHOWN)
		rc = 0;
	if (rc == 0 && out_finish(&e) != 0)
		rc = -1;
	if (ctx.log_seen) {
		log_checked_free(ctx.log_seen);
		free(ctx.log_seen);
	}
	free(ctx.root_learn);
	if (ctx.store)
		store_close(ctx.store);
	if (rc == 0)
		return 0;
	if (e.code == ERR_OK)
		err_set(&e, ERR_INTERNAL, "'%s' failed without saying why (this is a bug)", name);
	out_error(&e);
	if (e.code == ERR_USAGE && cli_show_usage) {
		fputc('\n', stderr);
		cli_print_usage(cmd, stderr);
	}
	return e.code;
}
