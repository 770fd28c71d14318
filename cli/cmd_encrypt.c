/*
 * cmd_encrypt.c - "amana encrypt": age encryption, as 'age -e' does it.
 *
 *   encrypt (-r RECIPIENT | -R FILE)... [-p] [-a] [-o OUT] [--passphrase-fd N] [FILE]
 *
 * The output is an age v1 file that stock age opens. -r takes an age1... recipient or the
 * NAME of a member state in the vault's recipient directory ('amana recipient add'); -R a
 * recipients file; -p a passphrase instead of recipients. Input is FILE or standard input;
 * output OUT or standard output. With -o the file appears only when encryption is complete.
 * Binary output is not written to a terminal: use -a (ASCII armor) or redirect it.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "keys/keyring.h"
#include "keys/passphrase.h"
#include "vault/age.h"
#include "vault/io.h"

#define RECIPIENTS_FILE_MAX (1024 * 1024)
#define IO_BUF (1024 * 1024)

/* True when s is spelled like a key rather than a name in the recipient directory. */
static bool looks_like_key(const char *s)
{
	return strncasecmp(s, "age1", 4) == 0 || strncmp(s, "ssh-", 4) == 0 ||
	       strncmp(s, "ecdsa-", 6) == 0 || strncasecmp(s, "AGE-", 4) == 0;
}

/* Adds one -r value: a recipient string, or a NAME looked up in the vault. */
static int add_recipient(struct cli_ctx *ctx, struct age_recipients *r, const char *arg,
			 struct err *e)
{
	if (looks_like_key(arg))
		return age_recipients_add(r, arg, e);
	struct store *s = cli_store(ctx, e);
	char *found = NULL;
	if (!s || keyring_recipient_lookup(s, arg, &found, e) != 0) {
		if (e->code == ERR_USAGE && !e->hint[0])
			err_hint(e, "give an age1... recipient, or a name from 'amana recipient list'");
		return -1;
	}
	int rc = age_recipients_add(r, found, e);
	if (rc != 0)
		err_prefix(e, "recipient '%s' of the vault", out_safe(0, arg));
	free(found);
	return rc;
}

static int add_recipients_file(struct age_recipients *r, const char *path, struct err *e)
{
	unsigned char *text = NULL;
	size_t len = 0;
	if (io_read_file(path, RECIPIENTS_FILE_MAX, &text, &len, e) != 0)
		return -1;
	int rc = age_recipients_add_file(r, (const char *)text, len, path, e);
	free(text);
	return rc;
}

int cmd_encrypt(struct cli_ctx *ctx, int argc, char **argv, struct err *e)
{
	static const struct option longs[] = {
		{"recipient", required_argument, NULL, 'r'},
		{"recipients-file", required_argument, NULL, 'R'},
		{"passphrase", no_argument, NULL, 'p'},
		{"armor", no_argument, NULL, 'a'},
		{"output", required_argument, NULL, 'o'},
		{"passphrase-fd", required_argument, NULL, 'F'},
		{"encrypt", no_argument, NULL, 'e'},
		{NULL, 0, NULL, 0},
	};
	struct age_recipients *r = NULL;
	struct age_encryptor *enc = NULL;
	struct io_atomic out = {0};
	bool armor = false, use_pass = false, atomic = false;
	const char *outpath = NULL;
	char **rargs = calloc((size_t)argc + 1, sizeof *rargs);
	char *rkind = calloc((size_t)argc + 1, 1);
	size_t nr = 0;
	int pass_fd = -1, in = STDIN_FILENO, c, rc = -1;
	unsigned char *buf = NULL;

	if (!rargs || !rkind) {
		free(rargs);
		free(rkind);
		return err_set(e, ERR_IO, "out of memory");
	}
	while ((c = cli_getopt(ctx, argc, argv, "r:R:pao:e", longs, e)) > 0) {
		switch (c) {
		case 'r':
		case 'R':
			rkind[nr] = (char)c;
			rargs[nr++] = optarg;
			break;
		case 'p': use_pass = true; break;
		case 'a': armor = true; break;
		case 'o': outpath = optarg; break;
		case 'e': break; /* age's explicit -e */
		case 'F':
			if (cli_parse_fd(optarg, &pass_fd, e) != 0)
				goto done;
			break;
		}
	}
	if (c < 0) {
		rc = c;
		goto done;
	}
	if (cli_nargs(argc, argv, 0, 1, "the file to encrypt", e) != 0)
		goto done;
	if (use_pass && nr > 0) {
		cli_usage(e, "-p cannot be combined with -r or -R");
		goto done;
	}
	if (!use_pass && nr == 0) {
		cli_usage(e, "missing recipients");
		err_hint(e, "give -r age1..., -r NAME (from 'amana recipient list'), -R FILE, or -p");
		goto done;
	}
	if (!outpath && !armor && isatty(STDOUT_FILENO)) {
		err_set(e, ERR_USAGE, "refusing to write binary age output to a terminal");
		err_hint(e, "use -a for ASCII armor, -o FILE, or redirect standard output");
		goto done;
	}
	io_no_core_dumps();

	if (age_recipients_new(&r, e) != 0)
		goto done;
	for (size_t i = 0; i < nr; i++) {
		int k = rkind[i] == 'r' ? add_recipient(ctx, r, rargs[i], e)
					: add_recipients_file(r, rargs[i], e);
		if (k != 0)
			goto done;
	}
	if (use_pass) {
		char *pass = NULL;
		size_t len = 0;
		if (passphrase_read(pass_fd, "Enter passphrase: ", true, &pass, &len, e) != 0) {
			if (strstr(e->msg, "empty"))
				err_hint(e, "an empty passphrase would protect nothing; choose one");
			goto done;
		}
		int k = age_recipients_add_passphrase(r, pass, len, 0, e);
		passphrase_free(pass);
		if (k != 0)
			goto done;
	}

	const char *inpath = optind < argc ? argv[optind] : NULL;
	char inname[4200], outname[4200];
	if (inpath && strcmp(inpath, "-") != 0) {
		in = open(inpath, O_RDONLY | O_CLOEXEC);
		if (in < 0) {
			err_errno(e, ERR_IO, "cannot open '%s'", inpath);
			goto done;
		}
		snprintf(inname, sizeof inname, "'%s'", inpath);
	} else {
		snprintf(inname, sizeof inname, "standard input");
	}
	struct age_fd src = {in, inname};
	struct age_fd dst = {STDOUT_FILENO, "standard output"};
	if (outpath) {
		mode_t mask = umask(0);
		umask(mask);
		if (io_atomic_open(&out, outpath, 0666 & ~mask, e) != 0)
			goto done;
		atomic = true;
		snprintf(outname, sizeof outname, "'%s'", outpath);
		dst.fd = out.fd;
		dst.name = outname;
	}

	buf = malloc(IO_BUF);
	if (!buf) {
		err_set(e, ERR_IO, "out of memory");
		goto done;
	}
	if (age_encrypt_init(&enc, r, armor, age_fd_write, &dst, e) != 0)
		goto done;
	for (;;) {
		size_t got = 0;
		if (age_fd_read(&src, buf, IO_BUF, &got, e) != 0)
			goto done;
		if (got == 0)
			break;
		if (age_encrypt_update(enc, buf, got, e) != 0)
			goto done;
	}
	if (age_encrypt_final(enc, e) != 0)
		goto done;
	if (atomic) {
		atomic = false;
		if (io_atomic_commit(&out, false, e) != 0)
			goto done;
	}
	rc = 0;
done:
	if (atomic)
		io_atomic_abort(&out);
	free(out.path);
	free(out.tmp);
	age_encrypt_free(enc);
	age_recipients_free(r);
	if (in != STDIN_FILENO)
		close(in);
	free(buf);
	free(rargs);
	free(rkind);
	return rc;
}
