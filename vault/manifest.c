/*
 * manifest.c - building and reading manifest.sqlite. See manifest.h.
 */
#include "vault/manifest.h"

#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vault/io.h"
#include "vault/merkle.h"
#include "vault/record.h"
#include "vault/store.h"
#include "vault/text.h"

extern const char schema_manifest_sql[];

struct manifest {
	sqlite3 *db;
};

sqlite3 *manifest_db(struct manifest *m)
{
	return m->db;
}

static int db_fail(sqlite3 *db, int code, const char *what, struct err *e)
{
	return err_set(e, code, "%s: %s", what, db ? sqlite3_errmsg(db) : "no database");
}

static void hex(char *out, const uint8_t *in, size_t n)
{
	sodium_bin2hex(out, n * 2 + 1, in, n);
}

/* ---- building --------------------------------------------------------------------------- */

static int bind_exec(sqlite3 *db, sqlite3_stmt *st, struct err *e)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE)
		return db_fail(db, ERR_INTERNAL, "cannot write the manifest", e);
	return 0;
}

static int put_meta(sqlite3 *db, sqlite3_stmt *st, const char *k, const char *v, struct err *e)
{
	sqlite3_bind_text(st, 1, k, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, v, -1, SQLITE_STATIC);
	return bind_exec(db, st, e);
}

/* Runs sql (the transaction's end) and closes *db, which is NULL afterwards either way. */
static int finish_db(sqlite3 **db, const char *sql, struct err *e)
{
	int rc = 0;
	if (sqlite3_exec(*db, sql, NULL, NULL, NULL) != SQLITE_OK)
		rc = db_fail(*db, ERR_INTERNAL, "cannot write the manifest", e);
	if (sqlite3_close(*db) != SQLITE_OK && rc == 0) {
		sqlite3_close_v2(*db);
		rc = err_set(e, ERR_IO, "cannot finish the manifest");
	}
	*db = NULL;
	return rc;
}

/* One record into the manifest: its salt, its leaf, the leaf into the tree. */
struct record_sink {
	sqlite3 *db;
	sqlite3_stmt *st;
	const uint8_t *bundle_id;
	const uint8_t *salt_seed;
	struct merkle_tree tree;
};

static int put_record(void *ctx, uint64_t seq, const struct outcome_record *x, struct err *e)
{
	struct record_sink *k = ctx;
	struct record_fields f = {seq, x->kind, x->lang, x->title, x->body, x->body_len};
	uint8_t salt[RECORD_SALT_SIZE], leaf[32];
	char salt_hex[65], leaf_hex[65];
	record_salt(k->salt_seed, seq, salt);
	record_leaf(k->bundle_id, &f, salt, leaf);
	if (merkle_tree_append(&k->tree, leaf, e) != 0)
		return -1;
	hex(salt_hex, salt, 32);
	hex(leaf_hex, leaf, 32);
	sodium_memzero(salt, sizeof salt);
	sqlite3_bind_int64(k->st, 1, (sqlite3_int64)seq);
	sqlite3_bind_text(k->st, 2, x->kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(k->st, 3, x->lang, -1, SQLITE_STATIC);
	sqlite3_bind_text(k->st, 4, x->title, -1, SQLITE_STATIC);
	sqlite3_bind_text(k->st, 5, x->body, (int)x->body_len, SQLITE_STATIC);
	sqlite3_bind_text(k->st, 6, salt_hex, 64, SQLITE_TRANSIENT);
	sqlite3_bind_text(k->st, 7, leaf_hex, 64, SQLITE_TRANSIENT);
	return bind_exec(k->db, k->st, e);
}

int manifest_build(const char *path, const struct outcome *o, struct manifest_meta *meta,
		   const uint8_t bundle_id[16], const uint8_t salt_seed[32],
		   const struct manifest_recipient *r, size_t nr, struct err *e)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int rc = -1;
	char buf[200];

	if (io_exists(path))
		return err_set(e, ERR_INTERNAL, "the manifest '%s' exists already", path);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		db_fail(db, ERR_IO, "cannot create the manifest", e);
		goto done;
	}
	/* Temporary tables (VACUUM's copy) go to files, and the page cache stays small: memory
	 * does not grow with the number of records. */
	snprintf(buf, sizeof buf,
		 "PRAGMA page_size = 4096; PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;"
		 "PRAGMA temp_store = FILE; PRAGMA cache_size = -4096;"
		 "PRAGMA application_id = %d; PRAGMA user_version = %d;",
		 MANIFEST_APPLICATION_ID, MANIFEST_VERSION);
	if (store_harden(db, e) != 0)
		goto done;
	if (sqlite3_exec(db, buf, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(db, schema_manifest_sql, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		db_fail(db, ERR_INTERNAL, "cannot create the manifest", e);
		goto done;
	}

	if (sqlite3_prepare_v2(db, "INSERT INTO conference VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", -1, &st, NULL) != SQLITE_OK)
		goto sqlfail;
	sqlite3_bind_text(st, 1, o->series, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, o->number);
	sqlite3_bind_text(st, 3, o->title, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, o->venue, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, o->held_from, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, o->held_to, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, o->organizer, -1, SQLITE_STATIC);
	if (bind_exec(db, st, e) != 0)
		goto done;
	sqlite3_finalize(st);

	if (sqlite3_prepare_v2(db, "INSERT INTO participants VALUES (?1, ?2, ?3)", -1, &st, NULL) != SQLITE_OK)
		goto sqlfail;
	for (size_t i = 0; i < o->nparticipants; i++) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)i + 1);
		sqlite3_bind_text(st, 2, o->participants[i].name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, o->participants[i].kind, -1, SQLITE_STATIC);
		if (bind_exec(db, st, e) != 0)
			goto done;
	}
	sqlite3_finalize(st);

	/* The records, streamed from the outcome: salts, leaves and their root as they pass. */
	struct record_sink sink = {db, NULL, bundle_id, salt_seed, {0}};
	merkle_tree_init(&sink.tree);
	if (sqlite3_prepare_v2(db, "INSERT INTO records VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", -1, &st, NULL) != SQLITE_OK)
		goto sqlfail;
	sink.st = st;
	if (outcome_each_record(o, put_record, &sink, e) != 0)
		goto done;
	sqlite3_finalize(st);
	uint8_t root[32];
	merkle_tree_root(&sink.tree, root);
	hex(meta->records_root, root, 32);

	/* The files, with digests of zeros of the real ones' length: manifest_finish writes
	 * them in place once the attachments were read. */
	if (sqlite3_prepare_v2(db, "INSERT INTO files VALUES (?1, ?2, ?3, ?4, ?5, ?6)", -1, &st, NULL) != SQLITE_OK)
		goto sqlfail;
	for (size_t i = 0; i < o->nattachments; i++) {
		const struct outcome_attachment *x = &o->attachments[i];
		char digest[129];
		memset(digest, '0', 128);
		sqlite3_bind_text(st, 1, x->path, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)x->size);
		sqlite3_bind_text(st, 3, digest, 128, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 4, x->media_type, -1, SQLITE_STATIC);
		if (x->record)
			sqlite3_bind_int64(st, 5, (sqlite3_int64)x->record);
		else
			sqlite3_bind_null(st, 5);
		sqlite3_bind_text(st, 6, x->caption, -1, SQLITE_STATIC);
		if (bind_exec(db, st, e) != 0)
			goto done;
	}
	sqlite3_finalize(st);

	if (sqlite3_prepare_v2(db, "INSERT INTO recipients VALUES (?1, ?2)", -1, &st, NULL) != SQLITE_OK)
		goto sqlfail;
	for (size_t i = 0; i < nr; i++) {
		sqlite3_bind_text(st, 1, r[i].name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, r[i].recipient, -1, SQLITE_STATIC);
		if (bind_exec(db, st, e) != 0)
			goto done;
	}
	sqlite3_finalize(st);

	/* meta last (the records' root is known now), in a fixed order */
	if (sqlite3_prepare_v2(db, "INSERT INTO meta (key, value) VALUES (?1, ?2)", -1, &st, NULL) != SQLITE_OK)
		goto sqlfail;
	char seq[24], count[24];
	snprintf(seq, sizeof seq, "%llu", (unsigned long long)meta->sequence);
	snprintf(count, sizeof count, "%llu", (unsigned long long)meta->records_count);
	if (put_meta(db, st, "format", MANIFEST_FORMAT, e) || put_meta(db, st, "bundle-id", meta->bundle_id, e) ||
	    put_meta(db, st, "issuer", meta->issuer, e) || put_meta(db, st, "issuer-name", meta->issuer_name, e) ||
	    put_meta(db, st, "created", meta->created, e) || put_meta(db, st, "sequence", seq, e) ||
	    put_meta(db, st, "records-count", count, e) || put_meta(db, st, "records-root", meta->records_root, e))
		goto done;
	sqlite3_finalize(st);
	st = NULL;
	rc = finish_db(&db, "COMMIT; VACUUM;", e);
	goto done;
sqlfail:
	db_fail(db, ERR_INTERNAL, "cannot write the manifest", e);
done:
	sqlite3_finalize(st);
	if (db)
		sqlite3_close(db);
	return rc;
}

int manifest_finish(const char *path, const struct outcome *o, const uint8_t (*digests)[64],
		    uint64_t sequence, struct err *e)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int rc = -1;
	struct stat before, after;
	if (stat(path, &before) != 0)
		return err_errno(e, ERR_IO, "cannot read the manifest");
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		db_fail(db, ERR_IO, "cannot open the manifest", e);
		goto done;
	}
	if (store_harden(db, e) != 0)
		goto done;
	if (sqlite3_exec(db, "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA temp_store = FILE;"
			     "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		goto sqlfail;
	if (sqlite3_prepare_v2(db, "UPDATE files SET blake2b = ?1 WHERE path = ?2", -1, &st, NULL) != SQLITE_OK)
		goto sqlfail;
	for (size_t i = 0; i < o->nattachments; i++) {
		char digest[129];
		hex(digest, digests[i], 64);
		sqlite3_bind_text(st, 1, digest, 128, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 2, o->attachments[i].path, -1, SQLITE_STATIC);
		if (bind_exec(db, st, e) != 0 || sqlite3_changes(db) != 1) {
			if (e->code == ERR_OK)
				err_set(e, ERR_INTERNAL, "the manifest lost a file (this is a bug)");
			goto done;
		}
	}
	sqlite3_finalize(st);
	char seq[24];
	snprintf(seq, sizeof seq, "%llu", (unsigned long long)sequence);
	if (sqlite3_prepare_v2(db, "UPDATE meta SET value = ?1 WHERE key = 'sequence'", -1, &st, NULL) != SQLITE_OK)
		goto sqlfail;
	sqlite3_bind_text(st, 1, seq, -1, SQLITE_STATIC);
	if (bind_exec(db, st, e) != 0)
		goto done;
	sqlite3_finalize(st);
	st = NULL;
	if (finish_db(&db, "COMMIT", e) != 0)
		goto done;
	if (stat(path, &after) != 0) {
		err_errno(e, ERR_IO, "cannot read the manifest");
		goto done;
	}
	if (after.st_size != before.st_size) {
		err_set(e, ERR_INTERNAL, "the manifest grew from %lld to %lld bytes when finished (this is a bug)",
			(long long)before.st_size, (long long)after.st_size);
		goto done;
	}
	/* SQLite counts the file's changes in its header (offsets 24 and 92, which must agree):
	 * set to 1, so that the bytes do not depend on how often the sequence was written. */
	static const unsigned char one[4] = {0, 0, 0, 1};
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || io_write_all_at(fd, one, 4, 24, "the manifest", e) != 0 ||
	    io_write_all_at(fd, one, 4, 92, "the manifest", e) != 0) {
		if (fd >= 0)
			close(fd);
		else
			err_errno(e, ERR_IO, "cannot write the manifest");
		goto done;
	}
	close(fd);
	rc = 0;
	goto done;
sqlfail:
	db_fail(db, ERR_INTERNAL, "cannot finish the manifest", e);
done:
	sqlite3_finalize(st);
	if (db)
		sqlite3_close(db);
	return rc;
}

/* ---- reading ---------------------------------------------------------------------------- */

static int one_int(sqlite3 *db, const char *sql, sqlite3_int64 *out)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	int rc = sqlite3_step(st) == SQLITE_ROW ? 0 : -1;
	if (rc == 0)
		*out = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc;
}

/* A file: URI for path, every byte outside [A-Za-z0-9/._~-] percent-encoded, so that '?',
 * '#' and '%' in a folder's name (and any other byte) mean themselves; sqlite3_malloc'd. */
static char *file_uri(const char *path, const char *query)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(path);
	char *u = sqlite3_malloc64(7 + 3 * (sqlite3_uint64)n + strlen(query) + 2);
	if (!u)
		return NULL;
	/* An absolute path gets an empty authority ("file://" then the path), so that one that
	 * begins with "//" is not read as a host name. */
	char *p = u;
	const char *head = path[0] == '/' ? "file://" : "file:";
	memcpy(p, head, strlen(head));
	p += strlen(head);
	for (const unsigned char *c = (const unsigned char *)path; *c; c++) {
		if ((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
		    strchr("/._~-", *c)) {
			*p++ = (char)*c;
		} else {
			*p++ = '%';
			*p++ = hex[*c >> 4];
			*p++ = hex[*c & 15];
		}
	}
	*p++ = '?';
	memcpy(p, query, strlen(query) + 1);
	return u;
}

int manifest_open(struct manifest **out, const char *path, struct err *e)
{
	*out = NULL;
	struct manifest *m = calloc(1, sizeof *m);
	char *uri = file_uri(path, "mode=ro&immutable=1");
	int rc = -1;
	if (!m || !uri) {
		err_set(e, ERR_IO, "out of memory");
		goto done;
	}
	if (sqlite3_open_v2(uri, &m->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK) {
		db_fail(m->db, ERR_FORMAT, "the manifest cannot be opened", e);
		goto done;
	}
	if (store_harden(m->db, e) != 0)
		goto done;
	sqlite3_exec(m->db, "PRAGMA query_only = ON", NULL, NULL, NULL);
	sqlite3_int64 app = 0, ver = 0, ok = 0;
	if (one_int(m->db, "PRAGMA application_id", &app) != 0 || app != MANIFEST_APPLICATION_ID) {
		err_set(e, ERR_FORMAT, "the manifest is not an amana manifest (application id)");
		goto done;
	}
	if (one_int(m->db, "PRAGMA user_version", &ver) != 0 || ver != MANIFEST_VERSION) {
		err_set(e, ERR_FORMAT, "the manifest has version %lld; this amana reads version %d",
			(long long)ver, MANIFEST_VERSION);
		goto done;
	}
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(m->db, "PRAGMA quick_check", -1, &st, NULL) != SQLITE_OK) {
		db_fail(m->db, ERR_FORMAT, "the manifest cannot be checked", e);
		goto done;
	}
	bool healthy = sqlite3_step(st) == SQLITE_ROW &&
		       strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0;
	sqlite3_finalize(st);
	if (!healthy) {
		err_set(e, ERR_FORMAT, "the manifest's database is damaged (quick_check failed)");
		goto done;
	}
	/* The tables and columns we read must be there, as the schema says. */
	if (one_int(m->db, "SELECT (SELECT count(*) FROM meta) + (SELECT count(*) FROM conference) +"
			   " (SELECT count(path || size || blake2b) FROM files) + (SELECT count(name || recipient) FROM recipients) +"
			   " (SELECT count(seq || kind || lang || title || body || salt || leaf) FROM records) +"
			   " (SELECT count(*) FROM participants)", &ok) != 0) {
		db_fail(m->db, ERR_FORMAT, "the manifest does not have amana's tables", e);
		goto done;
	}
	*out = m;
	m = NULL;
	rc = 0;
done:
	sqlite3_free(uri);
	manifest_close(m);
	return rc;
}

void manifest_close(struct manifest *m)
{
	if (!m)
		return;
	sqlite3_close(m->db);
	free(m);
}

/* Reads one meta value; missing is ERR_FORMAT. *out is malloc'd. */
static int meta_get(struct manifest *m, const char *key, char **out, struct err *e)
{
	sqlite3_stmt *st;
	*out = NULL;
	if (sqlite3_prepare_v2(m->db, "SELECT value FROM meta WHERE key = ?1 AND typeof(value) = 'text'", -1, &st, NULL) != SQLITE_OK)
		return db_fail(m->db, ERR_FORMAT, "the manifest cannot be read", e);
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		*out = strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	if (!*out)
		return err_set(e, ERR_FORMAT, "the manifest's meta table has no '%s'", key);
	return 0;
}

static bool is_hex(const char *s, size_t n)
{
	return strlen(s) == n && strspn(s, "0123456789abcdef") == n;
}

static bool is_decimal(const char *s, uint64_t *v)
{
	size_t n = strlen(s);
	if (n == 0 || n > 19 || strspn(s, "0123456789") != n || (n > 1 && s[0] == '0'))
		return false;
	*v = strtoull(s, NULL, 10);
	return true;
}

int manifest_read_meta(struct manifest *m, struct manifest_meta *meta, char **issuer_name,
		       struct err *e)
{
	char *v[8] = {0};
	static const char *keys[8] = {"format", "bundle-id", "issuer", "issuer-name", "created",
				      "sequence", "records-count", "records-root"};
	int rc = -1;
	memset(meta, 0, sizeof *meta);
	*issuer_name = NULL;
	for (int i = 0; i < 8; i++)
		if (meta_get(m, keys[i], &v[i], e) != 0)
			goto done;
	if (strcmp(v[0], MANIFEST_FORMAT) != 0) {
		err_set(e, ERR_FORMAT, "the manifest's format is '%s', not '%s'", v[0], MANIFEST_FORMAT);
		goto done;
	}
	if (!is_hex(v[1], 32) || strlen(v[2]) != 16 || strspn(v[2], "0123456789ABCDEF") != 16 ||
	    strlen(v[4]) != 20 || !is_decimal(v[5], &meta->sequence) ||
	    !is_decimal(v[6], &meta->records_count) || !is_hex(v[7], 64)) {
		err_set(e, ERR_FORMAT, "the manifest's meta table is malformed");
		goto done;
	}
	memcpy(meta->bundle_id, v[1], 33);
	memcpy(meta->issuer, v[2], 17);
	memcpy(meta->created, v[4], 21);
	memcpy(meta->records_root, v[7], 65);
	*issuer_name = v[3];
	v[3] = NULL;
	meta->issuer_name = *issuer_name;
	rc = 0;
done:
	for (int i = 0; i < 8; i++)
		free(v[i]);
	return rc;
}

int manifest_has_recipient(struct manifest *m, const char *recipient, bool *listed,
			   struct err *e)
{
	sqlite3_stmt *st;
	*listed = false;
	if (sqlite3_prepare_v2(m->db, "SELECT 1 FROM recipients WHERE recipient = ?1", -1, &st, NULL) != SQLITE_OK)
		return db_fail(m->db, ERR_FORMAT, "the manifest cannot be read", e);
	sqlite3_bind_text(st, 1, recipient, -1, SQLITE_STATIC);
	*listed = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return 0;
}

int manifest_file(struct manifest *m, const char *path, bool *found, uint64_t *size,
		  uint8_t digest[64], struct err *e)
{
	sqlite3_stmt *st;
	*found = false;
	if (sqlite3_prepare_v2(m->db, "SELECT size, blake2b FROM files WHERE path = ?1", -1, &st, NULL) != SQLITE_OK)
		return db_fail(m->db, ERR_FORMAT, "the manifest cannot be read", e);
	sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
	int rc = 0;
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *h = (const char *)sqlite3_column_text(st, 1);
		sqlite3_int64 sz = sqlite3_column_int64(st, 0);
		size_t got = 0;
		if (sqlite3_column_type(st, 0) != SQLITE_INTEGER || sz < 0 || !h || !is_hex(h, 128) ||
		    sodium_hex2bin(digest, 64, h, 128, NULL, &got, NULL) != 0 || got != 64) {
			rc = err_set(e, ERR_FORMAT, "the manifest's entry for '%s' is malformed", path);
		} else {
			*found = true;
			*size = (uint64_t)sz;
		}
	}
	sqlite3_finalize(st);
	return rc;
}

int manifest_recipient_count(struct manifest *m, uint64_t *n, struct err *e)
{
	sqlite3_int64 v;
	if (one_int(m->db, "SELECT count(*) FROM recipients", &v) != 0)
		return db_fail(m->db, ERR_FORMAT, "the manifest cannot be read", e);
	*n = (uint64_t)v;
	return 0;
}

int manifest_file_count(struct manifest *m, uint64_t *n, struct err *e)
{
	sqlite3_int64 v;
	if (one_int(m->db, "SELECT count(*) FROM files", &v) != 0)
		return db_fail(m->db, ERR_FORMAT, "the manifest cannot be read", e);
	*n = (uint64_t)v;
	return 0;
}

int manifest_check_records(struct manifest *m, const uint8_t bundle_id[16],
			   const struct manifest_meta *meta, struct err *e)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(m->db, "SELECT seq, kind, lang, title, body, salt, leaf FROM records ORDER BY seq",
			       -1, &st, NULL) != SQLITE_OK)
		return db_fail(m->db, ERR_FORMAT, "the manifest cannot be read", e);
	uint64_t n = 0;
	int rc = -1;
	struct merkle_tree tree;
	merkle_tree_init(&tree);
	while (sqlite3_step(st) == SQLITE_ROW) {
		uint8_t salt[32], leaf[32], want[32];
		size_t got1 = 0, got2 = 0;
		const char *salt_hex = (const char *)sqlite3_column_text(st, 5);
		const char *leaf_hex = (const char *)sqlite3_column_text(st, 6);
		struct record_fields f = {
			.seq = (uint64_t)sqlite3_column_int64(st, 0),
			.kind = (const char *)sqlite3_column_text(st, 1),
			.lang = (const char *)sqlite3_column_text(st, 2),
			.title = (const char *)sqlite3_column_text(st, 3),
			.body = (const char *)sqlite3_column_text(st, 4),
			.body_len = (size_t)sqlite3_column_bytes(st, 4),
		};
		n++;
		if (f.seq != n || !f.kind || !f.lang || !f.title || !f.body || !salt_hex || !leaf_hex ||
		    !is_hex(salt_hex, 64) || !is_hex(leaf_hex, 64) ||
		    sodium_hex2bin(salt, 32, salt_hex, strlen(salt_hex), NULL, &got1, NULL) != 0 || got1 != 32 ||
		    sodium_hex2bin(want, 32, leaf_hex, strlen(leaf_hex), NULL, &got2, NULL) != 0 || got2 != 32) {
			err_set(e, ERR_FORMAT, "the manifest's record %llu is malformed", (unsigned long long)n);
			goto done;
		}
		record_leaf(bundle_id, &f, salt, leaf);
		if (sodium_memcmp(leaf, want, 32) != 0) {
			err_set(e, ERR_VERIFY, "record %llu does not match its leaf hash (it was altered)",
				(unsigned long long)n);
			goto done;
		}
		if (merkle_tree_append(&tree, leaf, e) != 0)
			goto done;
	}
	if (n != meta->records_count) {
		err_set(e, ERR_VERIFY, "the manifest has %llu records but says %llu",
			(unsigned long long)n, (unsigned long long)meta->records_count);
		goto done;
	}
	uint8_t root[32];
	char root_hex[65];
	merkle_tree_root(&tree, root);
	hex(root_hex, root, 32);
	if (strcmp(root_hex, meta->records_root) != 0) {
		err_set(e, ERR_VERIFY, "the records' Merkle root does not match the manifest's records-root");
		goto done;
	}
	rc = 0;
done:
	sqlite3_finalize(st);
	return rc;
}
