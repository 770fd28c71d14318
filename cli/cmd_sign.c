/*
 * cmd_sign.c - "amana sign": sign a file as minisign does.
 *
 *   sign -s KEY -m FILE [-t COMMENT] [-c UNTRUSTED] [-x SIG] [--legacy] [--passphrase-fd N]
 *
 * The file is read once, in 64 KiB pieces, into BLAKE2b-512 (prehashed "ED" signatures), so a
 * multi-GiB file signs in flat memory; --legacy signs the raw bytes ("Ed") and must hold the
 * file in memory. The signature file appears by atomic rename, default FILE.minisig.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "keys/keyfile.h"
#include "vault/clock.h"
#include "vault/io.h"
#include "vault/minisign.h"

#define LEGACY_MAX (1ULL << 30) /* the raw form holds the file in memory */

int cmd_sign(struct cli_ctx *ctx, int argc, char **argv, struct err *e)
{
	static const struct option longs[] = {
		{"legacy", no_argument, NULL, 'l'},
		{"passphrase-fd", required_argument, NULL, 'F'},
		{NULL, 0, NULL, 0},
	};
	const char *key = NULL, *file = NULL, *trusted = NULL, *untrusted = NULL, *sigpath = NULL;
	bool legacy = false;
	int fd = -1, c;
	while ((c = cli_getopt(ctx, argc, argv, "s:m:t:c:x:l", longs, e)) > 0) {
		switch (c) {
		case 's': key = optarg; break;
		case 'm': file = optarg; break;
		case 't': trusted = optarg; break;
		case 'c': untrusted = optarg; break;
		case 'x': sigpath = optarg; break;
		case 'l': legacy = true; break;
		case 'F':
			if (cli_parse_fd(optarg, &fd, e) != 0)
				return -1;
			break;
		}
	}
	if (c < 0)
		return c;
	if (cli_nargs(argc, argv, 0, 0, "", e) != 0)
		return -1;
	if (!key)
		return cli_usage(e, "-s KEY (the secret key file) is required");
	if (!file)
		return cli_usage(e, "-m FILE (the file to sign) is required");
	io_no_core_dumps();

	int rc = -1, in = -1;
	struct minisign_sec *sk = NULL;
	struct minisign_sig sig = {0};
	unsigned char *msg = NULL;
	size_t msglen = 0;
	char *sigtext = NULL, *defsig = NULL, *deftc = NULL;
	uint8_t hash[MINISIGN_HASH_BYTES];
	struct io_atomic out = {0};

	/* Read the file before asking for a passphrase: a missing file should not cost one. */
	if (legacy) {
		if (io_read_file(file, LEGACY_MAX, &msg, &msglen, e) != 0)
			goto done;
	} else {
		in = open(file, O_RDONLY | O_CLOEXEC);
		if (in < 0) {
			err_errno(e, ERR_IO, "cannot open '%s'", file);
			goto done;
		}
		if (minisign_hash_fd(in, hash, e) != 0) {
			err_prefix(e, "cannot read '%s'", file);
			goto done;
		}
	}
	if (!trusted) {
		size_t n = strlen(file) + 64;
		deftc = malloc(n);
		if (!deftc) {
			err_set(e, ERR_IO, "out of memory");
			goto done;
		}
		snprintf(deftc, n, "timestamp:%lld\tfile:%s%s", (long long)clock_now(),
			 io_basename(file), legacy ? "" : "\thashed");
		trusted = deftc;
	}
	if (keyfile_load_sign_secret(key, fd, &sk, e) != 0)
		goto done;
	if (minisign_sign(sk, legacy ? MINISIGN_LEGACY : MINISIGN_PREHASHED, hash, msg, msglen,
			  trusted, untrusted, &sig, e) != 0)
		goto done;
	minisign_sec_free(sk);
	sk = NULL;
	if (!sigpath) {
		size_t n = strlen(file) + 9;
		defsig = malloc(n);
		if (!defsig) {
			err_set(e, ERR_IO, "out of memory");
			goto done;
		}
		snprintf(defsig, n, "%s.minisig", file);
		sigpath = defsig;
	}
	sigtext = minisign_sig_encode(&sig);
	if (!sigtext) {
		err_set(e, ERR_IO, "out of memory");
		goto done;
	}
	if (io_atomic_open(&out, sigpath, 0644, e) != 0)
		goto done;
	if (io_write_all(out.fd, sigtext, strlen(sigtext), e) != 0) {
		err_prefix(e, "cannot write '%s'", sigpath);
		io_atomic_abort(&out);
		goto done;
	}
	if (io_atomic_commit(&out, false, e) != 0)
		goto done;
	if (ctx->json) {
		char id[17];
		minisign_key_id_hex(sig.key_id, id);
		json_begin_object();
		json_str("file", file);
		json_str("signature_file", sigpath);
		json_str("key_id", id);
		json_str("algorithm", legacy ? "Ed" : "ED");
		json_str("trusted_comment", sig.trusted);
		json_end_object();
		json_done();
	} else {
		out_note(ctx, "signed '%s'; the signature is in '%s'", out_safe(0, file), out_safe(1, sigpath));
	}
	rc = 0;
done:
	if (in >= 0)
		close(in);
	minisign_sec_free(sk);
	minisign_sig_clear(&sig);
	free(msg);
	free(sigtext);
	free(defsig);
	free(deftc);
	return rc;
}
