/*
 * cmd_decrypt.c - "amana decrypt": age decryption, as 'age -d' does it.
 *
 *   decrypt (-i IDENTITY)... [-o OUT] [--passphrase-fd N] [FILE]
 *
 * Opens age v1 files, binary or armored, made by amana or stock age. Identity files are key
 * files: they must not be readable by others (exit 5 otherwise), may hold several identities
 * and comments, and may themselves be encrypted with a passphrase ('age -p', or 'amana key new
 * encrypt --passphrase'), which is then asked for. A file encrypted with a passphrase is
 * opened without -i: the passphrase is asked for. With -o the plaintext appears only once the
 * whole file has authenticated, so a damaged or truncated file leaves nothing behind; on
 * standard output, plaintext is written as each 64 KiB chunk authenticates, as age does.
 */
#include <fcntl.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "keys/passphrase.h"
#include "vault/age.h"
#include "vault/io.h"

#define IO_BUF (1024 * 1024)

/* The passphrase source for the core: --passphrase-fd, AMANA_PASSPHRASE_FILE or the terminal. */
static int ask_passphrase(void *ctx, const char *prompt, char **pass, size_t *len, struct err *e)
{
	const int *fd = ctx;
	return passphrase_read(*fd, prompt, false, pass, len, e);
}

/* Reads one identity file (0600 enforced) into ids. */
static int add_identity_file(struct age_identities *ids, const char *path, struct err *e)
{
	unsigned char *data = NULL;
	size_t len = 0;
	if (io_read_secret(path, AGE_IDENTITY_FILE_MAX, &data, &len, e) != 0)
		return -1;
	int rc = age_identities_add_file(ids, data, len, path, e);
	sodium_free(data);
	return rc;
}

int cmd_decrypt(struct cli_ctx *ctx, int argc, char **argv, struct err *e)
{
	static const struct option longs[] = {
		{"identity", required_argument, NULL, 'i'},
		{"output", required_argument, NULL, 'o'},
		{"passphrase-fd", required_argument, NULL, 'F'},
		{"decrypt", no_argument, NULL, 'd'},
		{NULL, 0, NULL, 0},
	};
	struct age_identities *ids = NULL;
	struct age_decryptor *dec = NULL;
	struct io_atomic out = {0};
	const char *outpath = NULL;
	char **idpaths = calloc((size_t)argc + 1, sizeof *idpaths);
	size_t nid = 0;
	int pass_fd = -1, in = STDIN_FILENO, c, rc = -1;
	bool atomic = false;
	unsigned char *buf = NULL;
	char inname[4200], outname[4200];

	if (!idpaths)
		return err_set(e, ERR_IO, "out of memory");
	while ((c = cli_getopt(ctx, argc, argv, "i:o:d", longs, e)) > 0) {
		switch (c) {
		case 'i': idpaths[nid++] = optarg; break;
		case 'o': outpath = optarg; break;
		case 'd': break; /* age's explicit -d */
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
	if (cli_nargs(argc, argv, 0, 1, "the file to decrypt", e) != 0)
		goto done;
	io_no_core_dumps();

	if (age_identities_new(&ids, e) != 0)
		goto done;
	age_identities_set_passphrase_fn(ids, ask_passphrase, &pass_fd);
	for (size_t i = 0; i < nid; i++)
		if (add_identity_file(ids, idpaths[i], e) != 0)
			goto done;

	const char *inpath = optind < argc ? argv[optind] : NULL;
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

	/* The header first: nothing is created when the file is not for us. */
	if (age_decrypt_init(&dec, ids, age_fd_read, &src, e) != 0) {
		err_prefix(e, "cannot decrypt %s", inname);
		if (!e->hint[0] && e->code == ERR_FORMAT)
			err_hint(e, "this is not an age file, or its header was damaged or cut short; get the file again from its sender");
		goto done;
	}
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
	for (;;) {
		size_t got = 0;
		if (age_decrypt_read(dec, buf, IO_BUF, &got, e) != 0) {
			if (e->code != ERR_IO)
				err_prefix(e, "cannot decrypt %s", inname);
			goto done;
		}
		if (got == 0)
			break;
		if (age_fd_write(&dst, buf, got, e) != 0)
			goto done;
	}
	if (atomic) {
		atomic = false;
		if (io_atomic_commit(&out, false, e) != 0)
			goto done;
	}
	rc = 0;
done:
	if (atomic)
		io_atomic_abort(&out);
	age_decrypt_free(dec);
	age_identities_free(ids);
	if (in != STDIN_FILENO)
		close(in);
	if (buf) {
		sodium_memzero(buf, IO_BUF);
		free(buf);
	}
	free(idpaths);
	return rc;
}
