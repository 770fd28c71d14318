/*
 * make_inner_seeds.c - writes the seeds of fuzz_inner (tests/fuzz/seeds/inner): inner tars
 * of formats 3 and 1 whose manifest repeats fuzz_inner's fixed values and is signed with its
 * fixed key, so that the fuzzer starts from payloads that reach the files' judgement.
 *
 *   cc ... -o make_inner_seeds tests/fuzz/make_inner_seeds.c build/libamana.a ...
 *   ./make_inner_seeds tests/fuzz/seeds/inner
 *
 * Run by hand when the seeds must change; never by make.
 */
#define FUZZ_INNER_NO_TARGET
#include "tests/fuzz/fuzz_inner.c"

#include <sqlite3.h>

#include "vault/manifest.h"
#include "vault/outcome.h"

static const char *const json =
	"{\"conference\":{\"series\":\"المؤتمر\",\"number\":24,\"title\":\"عنوان\",\"venue\":\"\","
	"\"held_from\":\"\",\"held_to\":\"\",\"organizer\":\"\"},\"participants\":[],"
	"\"records\":[{\"kind\":\"decision\",\"lang\":\"ar\",\"title\":\"أ\",\"body\":\"نصّ ـ أول\"}]}";

static const char *const names[] = {"a.txt", "د/ملف.txt"};
static const char *const datas[] = {"alpha\n", "بيانات مختلطة mixed\n"};

static void die(const char *what, const struct err *e)
{
	fprintf(stderr, "make_inner_seeds: %s: %s\n", what, e ? e->msg : "");
	exit(1);
}

static int file_write(void *ctx, const void *buf, size_t len, struct err *e)
{
	return io_write_all(*(int *)ctx, buf, len, e);
}

int main(int argc, char **argv)
{
	struct inner_keys k;
	struct err e;
	struct outcome o;
	if (argc != 2 || sodium_init() < 0)
		return 2;
	inner_keys(&k);
	if (outcome_parse(json, strlen(json), NULL, &o, &e) != 0)
		die("outcome", &e);
	struct outcome_attachment att[2] = {0};
	uint8_t digests[2][64];
	for (int i = 0; i < 2; i++) {
		att[i].path = (char *)names[i];
		att[i].caption = (char *)"c";
		att[i].media_type = "text/plain";
		att[i].size = strlen(datas[i]);
		crypto_generichash(digests[i], 64, (const uint8_t *)datas[i], strlen(datas[i]), NULL, 0);
	}
	o.attachments = att;
	o.nattachments = 2;
	char mpath[] = "/tmp/inner-seed-manifest.XXXXXX";
	int mfd = mkstemp(mpath);
	if (mfd < 0)
		die("mkstemp", NULL);
	close(mfd);
	unlink(mpath);
	struct manifest_meta meta = {0};
	memcpy(meta.bundle_id, INNER_BUNDLE_ID, 33);
	minisign_key_id_hex(k.pub.key_id, meta.issuer);
	meta.issuer_name = INNER_ISSUER_NAME;
	memcpy(meta.created, INNER_CREATED, sizeof INNER_CREATED);
	meta.sequence = 1;
	meta.records_count = 1;
	uint8_t bid[16], salt_seed[32] = {3};
	memset(bid, 0xc4, sizeof bid);
	struct manifest_recipient rcpt = {"تونس", k.recipient};
	if (manifest_build(mpath, &o, &meta, bid, salt_seed, &rcpt, 1, &e) != 0 ||
	    manifest_finish(mpath, &o, (const uint8_t(*)[64])digests, 1, &e) != 0)
		die("manifest", &e);
	/* meta's records root: the fixed one fuzz_inner's envelope names. */
	sqlite3 *db;
	if (sqlite3_open(mpath, &db) != SQLITE_OK ||
	    sqlite3_exec(db, "PRAGMA journal_mode = OFF; UPDATE meta SET value = '" INNER_RECORDS_ROOT
			     "' WHERE key = 'records-root'", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_close(db) != SQLITE_OK)
		die("sqlite", NULL);
	unsigned char *mbytes;
	size_t mlen;
	if (io_read_file(mpath, 1u << 24, &mbytes, &mlen, &e) != 0)
		die("read manifest", &e);
	unlink(mpath);
	uint8_t h[64];
	struct minisign_sig sig;
	crypto_generichash(h, 64, mbytes, mlen, NULL, 0);
	if (minisign_sign(&k.sk, MINISIGN_PREHASHED, h, NULL, 0, "amana-manifest/1 " INNER_BUNDLE_ID " 1",
			  "amana manifest signature", &sig, &e) != 0)
		die("sign", &e);
	char *msig = minisign_sig_encode(&sig);

	for (int v3 = 0; v3 < 2; v3++)
		for (int stage = 0; stage < 2; stage++) {
			char path[4096];
			snprintf(path, sizeof path, "%s/format%d-%s", argv[1], v3 ? 3 : 1, stage ? "open" : "verify");
			int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
			unsigned char first = (unsigned char)(v3 | (stage << 1));
			struct tar_writer *w;
			if (fd < 0 || io_write_all(fd, &first, 1, &e) != 0 ||
			    tar_writer_open(&w, file_write, &fd, INNER_CREATED_T, &e) != 0)
				die("seed", &e);
			for (int part = 0; part < 3; part++) {
				bool manifest_part = v3 ? part == 2 : part == 0;
				if (manifest_part) {
					if (tar_writer_file(w, "manifest.sqlite", mbytes, mlen, &e) != 0 ||
					    tar_writer_file(w, "manifest.sqlite.minisig", msig, strlen(msig), &e) != 0)
						die("tar", &e);
				} else if (part == 1) {
					for (int i = 0; i < 2; i++) {
						char name[64];
						snprintf(name, sizeof name, "files/%s", names[i]);
						if (tar_writer_file(w, name, datas[i], strlen(datas[i]), &e) != 0)
							die("tar", &e);
					}
				}
			}
			if (tar_writer_close(w, &e) != 0 || close(fd) != 0)
				die("tar", &e);
		}
	minisign_sig_clear(&sig);
	free(msig);
	free(mbytes);
	o.attachments = NULL;
	o.nattachments = 0;
	outcome_free(&o);
	return 0;
}
