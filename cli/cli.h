/*
 * cli.h - what the command files share: the context built from the global options, the
 * command table entry, option parsing with -h everywhere, and the one place output goes
 * through (out.c).
 *
 * Only cli/ prints; only main.c exits. A command parses its options, calls the core, and
 * reports: results on stdout (or JSON with --json), progress and notes on stderr.
 */
#ifndef AMANA_CLI_H
#define AMANA_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "vault/err.h"

struct store;

struct cli_ctx {
	const char *vault_dir; /* --vault, else NULL: resolved by cli_vault() */
	bool json;	       /* --json */
	int verbosity;	       /* -1 with -q, 0 by default, 1 with -v */
	struct store *store;   /* opened on first use by cli_store() */
	const struct cli_cmd *cmd;
	/* Set by cli_history_check for a bundle being verified: what its log showed, remembered
	 * by cli_history_commit once every check passed; and --witnesses K. */
	struct log_checked *log_seen;
	unsigned witnesses_required;
	/* Set by cli_issuer_lookup for the bundle being verified: the issuer's key as the trust
	 * in force gives it, and, for a key revoked after this bundle's position, the log size
	 * and root the revocation pins (checked by cli_history_check against the log). */
	bool issuer_set;
	uint8_t issuer_pk[32];
	bool revocation_pin;
	uint64_t revoked_from;
	uint8_t revoked_root[32];
	/* The root chain of a bundle being verified, when it brings versions newer than
	 * pinned: pinned from root_learn_from on by cli_history_commit. */
	char *root_learn;
	size_t root_learn_len;
	uint64_t root_learn_from;
};

struct cli_cmd {
	const char *name;
	const char *usage;   /* one or more lines, each a form of the command */
	const char *summary; /* one line for "amana -h" */
	const char *help;    /* the longer text of "amana help NAME", may be NULL */
	int (*run)(struct cli_ctx *ctx, int argc, char **argv, struct err *e);
};

/* Returned by command parsers to say "help was printed, exit 0". */
#define CLI_HELP_SHOWN (-2)

/* The command table (main.c). */
extern const struct cli_cmd cli_cmds[];
const struct cli_cmd *cli_find(const char *name);
void cli_print_usage(const struct cli_cmd *cmd, FILE *f);
void cli_print_help(const struct cli_cmd *cmd, FILE *f);

/* Parses options like getopt_long but with "-h/--help" added to every command (printing the
 * command's help and returning CLI_HELP_SHOWN), the global --json and --threads taken after
 * the command's name too, and unknown options turned into a usage error (-1 with e set).
 * Returns the option character, or 0 at the end of the options. */
/* --threads VALUE: "1" (one thread) or "auto"/"0" (the default); a usage error otherwise. */
int cli_parse_threads(const char *arg, struct err *e);

int cli_getopt(struct cli_ctx *ctx, int argc, char **argv, const char *shortopts,
	       const struct option *longopts, struct err *e);

/* A usage error for the current command: message, and the command's usage printed by main
 * (cli_show_usage says so; other ERR_USAGE errors, such as a duplicate name, print none). */
extern bool cli_show_usage;
int cli_usage(struct err *e, const char *fmt, ...) ERR_PRINTF(2, 3);

/* Checks the count of positional arguments left after option parsing (max -1: no limit);
 * what names the missing argument ("the file to sign"). */
int cli_nargs(int argc, char **argv, int min, int max, const char *what, struct err *e);

/* For commands that take no options: handles -h, refuses unknown options, and checks the
 * count of positional arguments as cli_nargs. Returns 0, CLI_HELP_SHOWN or -1. */
int cli_args_only(struct cli_ctx *ctx, int argc, char **argv, int min, int max,
		  const char *what, struct err *e);

/* Commands with subcommands ("key new", "trust add") dispatch through a table. */
struct cli_sub {
	const char *name;
	int (*run)(struct cli_ctx *ctx, int argc, char **argv, struct err *e);
};

/* Runs the subcommand named by argv[1] with argv shifted by one (so that argv[0] is the
 * subcommand's name); a missing or unknown one is a usage error listing the choices. */
int cli_subcommand(struct cli_ctx *ctx, int argc, char **argv, const struct cli_sub *subs,
		   struct err *e);

/* Parses the N of --passphrase-fd N (a non-negative descriptor number). */
int cli_parse_fd(const char *s, int *fd, struct err *e);

/* Parses a small count (0..1000), for --witnesses K. */
int cli_parse_count(const char *s, unsigned *n, struct err *e);

/* The vault folder: --vault, $AMANA_HOME, $XDG_DATA_HOME/amana, ~/.local/share/amana.
 * Returned string is static or from the environment. */
const char *cli_vault(struct cli_ctx *ctx, struct err *e);

/* How long a command waits for another one writing to the same vault: two minutes, and ten
 * for a seal waiting for another seal; AMANA_BUSY_TIMEOUT (whole seconds) overrides both. */
#define CLI_WAIT_MS 120000L
#define CLI_SEAL_WAIT_MS 600000L
long cli_wait_ms(long usual_ms);

/* Opens the vault database (creating the vault) on first call; later calls reuse it. */
struct store *cli_store(struct cli_ctx *ctx, struct err *e);

/* ---- output (out.c) ---------------------------------------------------------------------- */

/* Prints "amana: msg" and "hint: hint" on stderr. */
void out_error(const struct err *e);

/* A note for the user on stderr ("amana: ..."), silenced by -q. */
void out_note(const struct cli_ctx *ctx, const char *fmt, ...) ERR_PRINTF(2, 3);

/* A line on stdout. */
void out_line(const char *fmt, ...) ERR_PRINTF(1, 2);

/* Untrusted text (names, titles, comments) for display, with invisible and bidi control
 * characters escaped; returns a pointer valid until the next call with the same slot (0-3). */
const char *out_safe(int slot, const char *s);

/* Minimal JSON writer for --json: values are printed as they come, commas handled here. */
void json_begin_object(void);
void json_end_object(void);
void json_begin_array(const char *key);
void json_end_array(void);
void json_begin_object_in(const char *key); /* "key": { ... } or, inside an array, { ... } */
void json_str(const char *key, const char *value);
void json_strn(const char *key, const char *value, size_t n);
void json_int(const char *key, long long value);
void json_bool(const char *key, bool value);
void json_null(const char *key);
void json_done(void); /* newline after the top-level value */

/* Flushes and checks stdout; returns -1 with e set when output was lost (EPIPE, ENOSPC). */
int out_finish(struct err *e);

/* ---- bundles (checks.c) ------------------------------------------------------------------ */

struct verify_report;
struct envelope;
struct age_identities;

/* verify_issuer_fn over the vault's pinned issuers; ctx is the cli_ctx. */
int cli_issuer_lookup(void *ctx, const uint8_t key_id[8], struct verify_report *r, struct err *e);

struct verify_trust;
struct root;

/* The pinned root that decides for a key: the one whose id is want (a bundle's chain), or,
 * when want is NULL, one whose pinned versions list key_id as a signing key. *p (np
 * versions, free with root_chain_free) is NULL, np 0, when none does. */
int cli_pinned_root_for(struct store *s, const char *want, const uint8_t key_id[8], struct root **p,
			size_t *np, struct err *e);

/* What the vault's pinned roots say of key_id signing env (NULL when the envelope could not
 * be read), with the chain a bundle carries (NULL when none); container is false for an
 * envelope that travels alone (a record proof), which is judged by the versions pinned
 * here: the one it names must be among them. 1 with t filled when a pinned
 * root lists the key (t->refusal says when it may not sign this bundle: revoked, outside its
 * window, an expired root, a chain stripped or reordered), 0 when no pinned root lists it,
 * -1 on error (a chain that is malformed, does not check, or forks from the pinned one).
 * Versions newer than pinned that the chain brings are pinned. */
int cli_root_judge(struct cli_ctx *c, const uint8_t key_id[8], const struct envelope *env, bool container,
		   const char *chain_text, size_t chain_len, struct verify_trust *t, struct err *e);

struct seal_root;

/* The root a seal with key_id names and carries: 1 with out filled (and *chain, malloc'd,
 * holding versions 1..n that out points into) when a pinned root of this vault lists the
 * key, 0 when none does, -1 when the key may not seal under it (revoked, outside its
 * window, the root expired: ERR_VERIFY) or the vault lacks the versions before the pinned
 * ones (ERR_USAGE). */
int cli_seal_root(struct cli_ctx *c, const uint8_t key_id[8], int64_t created, uint64_t sequence,
		  struct seal_root *out, char **chain, struct err *e);

/* The issuer's public key for env: the one cli_issuer_lookup settled on, else the key pinned
 * on its own (ERR_VERIFY when not pinned). */
int cli_issuer_key(struct cli_ctx *c, const struct envelope *env, uint8_t pk[32], struct err *e);

/* For a bundle of a key revoked after its position (cli_root_judge said so): its log's first
 * leaves, from leaves[0..n) or the vault's memory, must have the root the revocation pins;
 * ERR_VERIFY when they do not or when fewer are known here. A no-op otherwise. */
int cli_revocation_check(struct cli_ctx *c, const struct envelope *env, const char *origin,
			 const uint8_t (*leaves)[32], uint64_t n, struct err *e);

/* verify_log_fn: no rollback against what this vault accepted before (and the log). */
int cli_history_check(void *ctx, const struct envelope *env, const char *envelope,
		      size_t envelope_len, const char *checkpoint, size_t checkpoint_len,
		      const char *proof, size_t proof_len, struct err *e);

/* After a bundle passed every check: the vault remembers its log (no-op when none). */
int cli_history_commit(struct cli_ctx *ctx, struct err *e);

/* Loads identity files (0600, possibly passphrase-protected: asked via *pass_fd). */
int cli_load_identities(const char *const *paths, size_t n, int *pass_fd,
			struct age_identities **out, struct err *e);

/* Prints a verification report (text or JSON); not_checked is a NULL-terminated list. */
void cli_print_report(struct cli_ctx *ctx, const struct verify_report *r, bool ok,
		      const struct err *failure, const char *const *not_checked);

/* The arguments of open and of verify's bundle form: BUNDLE, -i (repeatable, into a malloc'd
 * *ids), -o DIR (only when out is not NULL) and --passphrase-fd. */
int cli_bundle_args(struct cli_ctx *ctx, int argc, char **argv, const char ***ids, size_t *nids,
		    const char **out, int *pass_fd, struct err *e);

/* ---- issuing (cmd_seal.c, shared with cmd_readdress.c) ----------------------------------- */

struct manifest_recipient;
struct sealed;
struct minisign_sec;

/* --to NAME|age1... (repeatable), --to-all (the recipients directory), --to-self (the
 * encryption keys this vault made): the list, without duplicates; *out is freed with
 * cli_free_recipients. None at all is a usage error. */
int cli_resolve_recipients(struct store *s, char **to, size_t nto, bool all, bool self,
			   struct manifest_recipient **out, size_t *n, struct err *e);
void cli_free_recipients(struct manifest_recipient *list, size_t n);

/* A prepared bundle issued, inside the caller's transaction (*in_tx): appended to the log,
 * its log members written, recorded, committed (*in_tx false from then on) and put under
 * its name (or left pending, recorded, when that fails: the message says where). */
int cli_issue(struct cli_ctx *ctx, struct store *s, struct sealed *sealed, const struct minisign_sec *sk,
	      uint64_t sequence, const char *out, bool *in_tx, struct err *e);

/* Commands. */
int cmd_decrypt(struct cli_ctx *ctx, int argc, char **argv, struct err *e);
int cmd_encrypt(struct cli_ctx *ctx, int argc, char **argv, struct err *e);
int cmd_key(struct cli_ctx *ctx, int argc, char **argv, struct err *e);
int cmd_sign(struct cli_ctx *ctx, int argc, char **argv, struct err *e);
int cmd_verify(struct cli_ctx *ctx, int argc, char **argv, struct err *e);
int cmd_trust(struct cli_ctx *ctx, int argc, char **argv, struct err *e);
int cmd_root(struct cli_ctx *ctx, int argc, char **argv, struct err *e);
int cmd_recipient(struct cli_ctx *ctx, int argc, char **argv, struct err *e);
int cmd_help(struct cli_ctx *ctx, int argc, char **argv, struct err *e);
int cmd_inspect(struct cli_ctx *ctx, int argc, char **argv, struct err *e);
int cmd_log(struct cli_ctx *ctx, int argc, char **argv, struct err *e);
int cmd_witness(struct cli_ctx *ctx, int argc, char **argv, struct err *e);
int cmd_audit(struct cli_ctx *ctx, int argc, char **argv, struct err *e);
int cmd_open(struct cli_ctx *ctx, int argc, char **argv, struct err *e);
int cmd_seal(struct cli_ctx *ctx, int argc, char **argv, struct err *e);
int cmd_readdress(struct cli_ctx *ctx, int argc, char **argv, struct err *e);
int cmd_records(struct cli_ctx *ctx, int argc, char **argv, struct err *e);
int cmd_record(struct cli_ctx *ctx, int argc, char **argv, struct err *e);

#endif
