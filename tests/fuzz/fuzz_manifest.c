/*
 * fuzz_manifest.c - manifest.sqlite as verify reads it, on any bytes: the defensive SQLite
 * path of vault/manifest.c. In a real bundle the manifest is read only after its signature
 * checked, so only the issuer could send a hostile one; it must still not crash amana.
 *
 * The input is written to a private temporary file, then: manifest_open (read-only,
 * immutable, defensive, quick_check, application id, version, tables), manifest_read_meta,
 * manifest_has_recipient, manifest_file, manifest_file_count and manifest_check_records with
 * the bundle id from meta. Refusals are ERR_FORMAT, and ERR_VERIFY for records that do not
 * match their leaves or root; accepted meta must be well formed (hex of the right lengths).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "tests/fuzz/fuzz.h"
#include "vault/io.h"
#include "vault/manifest.h"

static bool code_ok(const struct err *e, bool verify_too)
{
	return e->code == ERR_FORMAT || (verify_too && e->code == ERR_VERIFY);
}

static void check(const char *path)
{
	struct manifest *m = NULL;
	struct manifest_meta meta;
	struct err e;
	char *issuer_name = NULL;
	uint8_t bid[16], digest[64];
	size_t got = 0;
	if (manifest_open(&m, path, &e) != 0) {
		if (m || !code_ok(&e, false))
			abort();
		return;
	}
	if (manifest_read_meta(m, &meta, &issuer_name, &e) != 0) {
		if (!code_ok(&e, false) || issuer_name)
			abort();
		goto done;
	}
	if (strlen(meta.bundle_id) != 32 || strlen(meta.issuer) != 16 ||
	    strlen(meta.records_root) != 64 || !issuer_name || meta.issuer_name != issuer_name)
		abort();
	bool listed;
	if (manifest_has_recipient(m, "age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq", &listed, &e) != 0 &&
	    !code_ok(&e, false))
		abort();
	bool found;
	uint64_t size, n;
	if (manifest_file(m, "archive-photo.png", &found, &size, digest, &e) != 0 && !code_ok(&e, false))
		abort();
	if (manifest_file_count(m, &n, &e) != 0 && !code_ok(&e, false))
		abort();
	if (sodium_hex2bin(bid, 16, meta.bundle_id, 32, NULL, &got, NULL) != 0 || got != 16)
		abort();
	if (manifest_check_records(m, bid, &meta, &e) != 0 && !code_ok(&e, true))
		abort();
done:
	free(issuer_name);
	manifest_close(m);
}

FUZZ_TARGET(manifest)
{
	const char *td = getenv("TMPDIR");
	char *path = io_join(td && *td && !strpbrk(td, "%?#") ? td : "/tmp", "amana-fuzz-manifest.XXXXXX");
	if (!path)
		abort();
	int fd = mkstemp(path);
	if (fd < 0)
		abort();
	struct err e;
	if (io_write_all(fd, data, size, &e) != 0)
		abort();
	close(fd);
	check(path);
	unlink(path);
	free(path);
	return 0;
}
