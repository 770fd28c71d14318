/*
 * ledger.c - issued and received bundles in the vault database. See ledger.h.
 */
#include "vault/ledger.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>


#include "vault/clock.h"
#include "vault/io.h"
#include "vault/manifest.h"
#include "vault/store.h"

int ledger_peek_sequence(struct store *s, const char *issuer, uint64_t *seq, struct err *e)
{
	sqlite3_stmt *st = store_prepare(s, "SELECT last FROM issuer_sequence WHERE issuer = ?1", e);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, issuer, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	*seq = rc == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(st, 0) + 1 : 1;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : store_fail(s, "cannot read the sequence numbers", e);
}

int ledger_next_sequence(struct store *s, const char *issuer, uint64_t *seq, struct err *e)
{
	sqlite3_stmt *st = store_prepare(s, "INSERT INTO issuer_sequence (issuer, last) VALUES (?1, 1) "
					    "ON CONFLICT (issuer) DO UPDATE SET last = last + 1", e);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, issuer, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, "cannot take a sequence number", e);
	st = store_prepare(s, "SELECT last FROM issuer_sequence WHERE issuer = ?1", e);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, issuer, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*seq = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : store_fail(s, "cannot take a sequence number", e);
}

static int insert_bundle(struct store *s, const char *direction, const struct envelope *env,
			 const char *envelope, const char *path, const char *pending, struct err *e)
{
	sqlite3_stmt *st = store_prepare(s,
		"INSERT INTO bundles (bundle_id, direction, issuer, issuer_name, sequence, conference, title, "
		"created, recipients, records, payload_blake2b, payload_size, envelope, path, recorded, pending) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16) "
		"ON CONFLICT (bundle_id, direction) DO UPDATE SET sequence = excluded.sequence, "
		"envelope = excluded.envelope, path = excluded.path, recorded = excluded.recorded, "
		"payload_blake2b = excluded.payload_blake2b, payload_size = excluded.payload_size", e);
	if (!st)
		return -1;
	char now[CLOCK_RFC3339_LEN + 1];
	clock_rfc3339(clock_now(), now, sizeof now);
	sqlite3_bind_text(st, 1, env->bundle_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, direction, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, env->issuer, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, env->issuer_name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)env->sequence);
	sqlite3_bind_text(st, 6, env->conference, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, env->title, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, env->created, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 9, (sqlite3_int64)env->recipients);
	sqlite3_bind_int64(st, 10, (sqlite3_int64)env->records_count);
	sqlite3_bind_text(st, 11, env->payload_blake2b, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 12, (sqlite3_int64)env->payload_size);
	sqlite3_bind_blob(st, 13, envelope, (int)strlen(envelope), SQLITE_STATIC);
	if (path)
		sqlite3_bind_text(st, 14, path, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 14);
	sqlite3_bind_text(st, 15, now, -1, SQLITE_STATIC);
	if (pending)
		sqlite3_bind_text(st, 16, pending, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 16);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, "cannot record the bundle in the vault", e);
	return 0;
}

int ledger_record_issued(struct store *s, const struct envelope *env, const char *envelope,
			 const char *path, const char *pending, struct err *e)
{
	return insert_bundle(s, "issued", env, envelope, path, pending, e);
}

int ledger_issued_done(struct store *s, const char *bundle_id, struct err *e)
{
	sqlite3_stmt *st = store_prepare(s, "UPDATE bundles SET pending = NULL WHERE bundle_id = ?1 AND direction = 'issued'", e);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, bundle_id, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : store_fail(s, "cannot record the bundle in the vault", e);
}

int ledger_placing_lock(struct store *s, struct err *e)
{
	char *path = io_join(store_dir(s), "placing.lock");
	if (!path)
		return err_set(e, ERR_IO, "out of memory");
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		err_errno(e, ERR_IO, "cannot open '%s'", path);
		free(path);
		return -1;
	}
	free(path);
	while (flock(fd, LOCK_EX) != 0) {
		if (errno != EINTR) {
			close(fd);
			return err_errno(e, ERR_IO, "cannot lock the vault");
		}
	}
	return fd;
}

void ledger_placing_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}

/* One pending bundle: its temporary (absolute) and the name it was meant for, in the same
 * folder. Gives it that name when free; drops the temporary when the name already holds the
 * same file (a crash between link and unlink). Anything else stays as it is, and pending. */
static int finish_one(struct store *s, const char *bid, const char *path, const char *tmp,
		      const char *want, bool *placed, bool *at_want, struct err *e)
{
	*placed = *at_want = false;
	char *dir = io_dirname(tmp);
	char *dest = dir ? io_join(dir, io_basename(path)) : NULL;
	free(dir);
	if (!dest)
		return err_set(e, ERR_IO, "out of memory");
	struct stat t, d;
	bool have_tmp = lstat(tmp, &t) == 0, have_dest = lstat(dest, &d) == 0;
	int rc = 0;
	if (have_tmp && !have_dest && link(tmp, dest) == 0) {
		unlink(tmp);
		*placed = true;
		rc = ledger_issued_done(s, bid, e);
	} else if (have_tmp && have_dest && t.st_dev == d.st_dev && t.st_ino == d.st_ino) {
		unlink(tmp);
		rc = ledger_issued_done(s, bid, e);
	} else if (!have_tmp) {
		/* Placed already (the crash came after the unlink), or moved by the user. */
		rc = ledger_issued_done(s, bid, e);
	}
	*at_want = *placed && (!want || strcmp(dest, want) == 0);
	free(dest);
	return rc;
}

int ledger_finish_pending(struct store *s, const char *want, char **want_id, size_t *done,
			  struct err *e)
{
	*done = 0;
	if (want_id)
		*want_id = NULL;
	sqlite3_stmt *st = store_prepare(s, "SELECT bundle_id, path, pending FROM bundles "
					    "WHERE direction = 'issued' AND pending IS NOT NULL "
					    "ORDER BY sequence", e);
	if (!st)
		return -1;
	int lock = -1;
	/* Gathered first: the loop below updates the rows it would be reading. */
	struct row { char *bid, *path, *tmp; } *rows = NULL;
	size_t n = 0;
	int rc = 0;
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
		struct row *grown = realloc(rows, (n + 1) * sizeof *rows);
		if (!grown) {
			rc = err_set(e, ERR_IO, "out of memory");
			break;
		}
		rows = grown;
		const char *path = (const char *)sqlite3_column_text(st, 1);
		rows[n].bid = strdup((const char *)sqlite3_column_text(st, 0));
		rows[n].path = strdup(path ? path : "");
		rows[n].tmp = strdup((const char *)sqlite3_column_text(st, 2));
		n++;
		if (!rows[n - 1].bid || !rows[n - 1].path || !rows[n - 1].tmp)
			rc = err_set(e, ERR_IO, "out of memory");
	}
	sqlite3_finalize(st);
	if (rc == 0 && n > 0 && (lock = ledger_placing_lock(s, e)) < 0)
		rc = -1;
	for (size_t i = 0; i < n; i++) {
		bool placed = false, at_want = false;
		if (rc == 0 && rows[i].path[0])
			rc = finish_one(s, rows[i].bid, rows[i].path, rows[i].tmp, want, &placed, &at_want, e);
		*done += placed;
		if (at_want && want_id) {
			free(*want_id);
			*want_id = rows[i].bid;
			rows[i].bid = NULL;
		}
		free(rows[i].bid);
		free(rows[i].path);
		free(rows[i].tmp);
	}
	free(rows);
	ledger_placing_unlock(lock);
	return rc;
}

int ledger_issued_like(struct store *s, const char *bundle_id, const char *conference,
		       const char *title, uint64_t records, uint64_t *sequence, char **path,
		       struct err *e)
{
	*path = NULL;
	sqlite3_stmt *st = store_prepare(s, "SELECT sequence, path FROM bundles WHERE bundle_id = ?1 AND "
					    "direction = 'issued' AND conference = ?2 AND title = ?3 AND records = ?4", e);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, bundle_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, conference, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, title, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)records);
	int rc = sqlite3_step(st);
	int found = rc == SQLITE_ROW;
	if (found) {
		*sequence = (uint64_t)sqlite3_column_int64(st, 0);
		const char *p = (const char *)sqlite3_column_text(st, 1);
		if (!(*path = strdup(p ? p : "")))
			found = err_set(e, ERR_IO, "out of memory");
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail(s, "cannot read the vault", e);
	return found;
}

int ledger_check_received(struct store *s, const struct envelope *env, const char *envelope,
			  struct err *e)
{
	sqlite3_stmt *st = store_prepare(s, "SELECT sequence, envelope FROM bundles "
					    "WHERE bundle_id = ?1 AND direction = 'received'", e);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, env->bundle_id, -1, SQLITE_STATIC);
	int rc = 0;
	if (sqlite3_step(st) == SQLITE_ROW) {
		uint64_t seen = (uint64_t)sqlite3_column_int64(st, 0);
		const void *old = sqlite3_column_blob(st, 1);
		size_t oldlen = (size_t)sqlite3_column_bytes(st, 1);
		if (seen > env->sequence) {
			rc = err_set(e, ERR_VERIFY, "bundle %s was accepted before with sequence %llu; this copy has the older sequence %llu (a rollback)",
				     env->bundle_id, (unsigned long long)seen, (unsigned long long)env->sequence);
			err_hint(e, "if this copy is an earlier addressing of the same bundle (the issuer readdressed it), the newer one you accepted holds the same contents; otherwise report it to the issuer");
		} else if (seen == env->sequence &&
			   (oldlen != strlen(envelope) || memcmp(old, envelope, oldlen) != 0)) {
			rc = err_set(e, ERR_VERIFY, "bundle %s, sequence %llu, was accepted before with a different envelope",
				     env->bundle_id, (unsigned long long)seen);
			err_hint(e, "two different bundles under one id and sequence: report it to the issuer and to your auditors");
		}
	}
	sqlite3_finalize(st);
	return rc;
}

int ledger_record_received(struct store *s, const struct envelope *env, const char *envelope,
			   const char *path, struct manifest *m, struct err *e)
{
	if (store_begin(s, e) != 0)
		return -1;
	if (ledger_check_received(s, env, envelope, e) != 0 ||
	    insert_bundle(s, "received", env, envelope, path, NULL, e) != 0)
		goto fail;
	if (m) {
		/* The index first, while it can still read the rows it indexed. */
		sqlite3_stmt *del = store_prepare(s, "INSERT INTO records_fts (records_fts, rowid, title, body) "
						     "SELECT 'delete', rowid, title, body FROM records WHERE bundle_id = ?1", e);
		if (!del)
			goto fail;
		sqlite3_bind_text(del, 1, env->bundle_id, -1, SQLITE_STATIC);
		int frc = sqlite3_step(del);
		sqlite3_finalize(del);
		if (frc != SQLITE_DONE) {
			store_fail(s, "cannot update the search index", e);
			goto fail;
		}
		del = store_prepare(s, "DELETE FROM records WHERE bundle_id = ?1", e);
		if (!del)
			goto fail;
		sqlite3_bind_text(del, 1, env->bundle_id, -1, SQLITE_STATIC);
		int drc = sqlite3_step(del);
		sqlite3_finalize(del);
		if (drc != SQLITE_DONE) {
			store_fail(s, "cannot record the bundle's records", e);
			goto fail;
		}
		sqlite3_stmt *ins = store_prepare(s, "INSERT INTO records (bundle_id, seq, kind, lang, title, body) "
						     "VALUES (?1, ?2, ?3, ?4, ?5, ?6)", e);
		sqlite3_stmt *idx = store_prepare(s, "INSERT INTO records_fts (rowid, title, body) "
						     "VALUES (last_insert_rowid(), ?1, ?2)", e);
		sqlite3_stmt *rd;
		if (!ins || !idx) {
			sqlite3_finalize(ins);
			sqlite3_finalize(idx);
			goto fail;
		}
		if (sqlite3_prepare_v2(manifest_db(m), "SELECT seq, kind, lang, title, body FROM records ORDER BY seq",
				       -1, &rd, NULL) != SQLITE_OK) {
			sqlite3_finalize(ins);
			sqlite3_finalize(idx);
			err_set(e, ERR_FORMAT, "the manifest's records cannot be read");
			goto fail;
		}
		int rc;
		while ((rc = sqlite3_step(rd)) == SQLITE_ROW) {
			sqlite3_bind_text(ins, 1, env->bundle_id, -1, SQLITE_STATIC);
			sqlite3_bind_int64(ins, 2, sqlite3_column_int64(rd, 0));
			for (int c = 1; c <= 4; c++)
				sqlite3_bind_text(ins, c + 2, (const char *)sqlite3_column_text(rd, c),
						  sqlite3_column_bytes(rd, c), SQLITE_TRANSIENT);
			sqlite3_bind_text(idx, 1, (const char *)sqlite3_column_text(rd, 3), sqlite3_column_bytes(rd, 3), SQLITE_TRANSIENT);
			sqlite3_bind_text(idx, 2, (const char *)sqlite3_column_text(rd, 4), sqlite3_column_bytes(rd, 4), SQLITE_TRANSIENT);
			if (sqlite3_step(ins) != SQLITE_DONE || sqlite3_step(idx) != SQLITE_DONE) {
				sqlite3_finalize(ins);
				sqlite3_finalize(idx);
				sqlite3_finalize(rd);
				store_fail(s, "cannot record the bundle's records", e);
				goto fail;
			}
			sqlite3_reset(ins);
			sqlite3_reset(idx);
		}
		sqlite3_finalize(ins);
		sqlite3_finalize(idx);
		sqlite3_finalize(rd);
		if (rc != SQLITE_DONE) {
			err_set(e, ERR_FORMAT, "the manifest's records cannot be read");
			goto fail;
		}
	}
	if (store_commit(s, e) != 0)
		goto fail;
	return 0;
fail:
	store_rollback(s);
	return -1;
}
