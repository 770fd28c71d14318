/*
 * store.c - opening the vault database, its migrations and its settings. See store.h.
 */
#include "vault/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "vault/io.h"
#include "vault/search.h"

extern const char schema_vault_sql[];

struct store {
	sqlite3 *db;
	char *dir;
	int depth; /* store_begin nesting: 1 is the transaction, more are savepoints in it */
	long wait_ms;		 /* how long a write waits for another process's */
	struct timespec waiting; /* when the current wait began */
};

/* What store_open sets up; see store_wait_setup. */
static long wait_default_ms = 10000;
static void (*wait_note)(void *);
static void *wait_note_ctx;
static bool wait_noted;

static long since_ms(const struct timespec *t0)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)(now.tv_sec - t0->tv_sec) * 1000 + (now.tv_nsec - t0->tv_nsec) / 1000000;
}

/* SQLite's busy handler: sleeps in steps of up to 50 ms until the wait is over (0: give up,
 * SQLITE_BUSY), saying once, after a second, what it is waiting for. */
static int on_busy(void *arg, int count)
{
	struct store *s = arg;
	if (count == 0)
		clock_gettime(CLOCK_MONOTONIC, &s->waiting);
	long waited = since_ms(&s->waiting);
	if (waited >= s->wait_ms)
		return 0;
	if (waited >= 1000 && !wait_noted && wait_note) {
		wait_noted = true;
		wait_note(wait_note_ctx);
	}
	long step = count < 5 ? 5L << count : 50;
	if (step > s->wait_ms - waited)
		step = s->wait_ms - waited;
	struct timespec ts = {0, step * 1000000L};
	nanosleep(&ts, NULL);
	return 1;
}

void store_wait_setup(long ms, void (*note)(void *), void *ctx)
{
	wait_default_ms = ms;
	wait_note = note;
	wait_note_ctx = ctx;
}

void store_wait(struct store *s, long ms)
{
	s->wait_ms = ms;
}

sqlite3 *store_db(struct store *s)
{
	return s->db;
}

const char *store_dir(struct store *s)
{
	return s->dir;
}

int store_fail(struct store *s, const char *what, struct err *e)
{
	sqlite3 *db = s ? s->db : NULL;
	int code = db ? sqlite3_extended_errcode(db) : SQLITE_ERROR;
	const char *msg = db ? sqlite3_errmsg(db) : "no database";
	switch (code & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		err_set(e, ERR_IO, "%s: the vault is busy (another amana is using it)", what);
		return err_hint(e, "try again when the other command has finished");
	case SQLITE_FULL:
	case SQLITE_IOERR:
	case SQLITE_READONLY:
	case SQLITE_CANTOPEN:
	case SQLITE_PERM:
		return err_set(e, ERR_IO, "%s: %s", what, msg);
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		err_set(e, ERR_IO, "%s: the vault database is damaged (%s)", what, msg);
		return err_hint(e, "restore vault.db from a backup; 'sqlite3 vault.db .recover' may save what is left");
	default:
		return err_set(e, ERR_INTERNAL, "%s: %s", what, msg);
	}
}

sqlite3_stmt *store_prepare(struct store *s, const char *sql, struct err *e)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		store_fail(s, "cannot read the vault", e);
		return NULL;
	}
	return st;
}

int store_harden(sqlite3 *db, struct err *e)
{
	int ok = 1;
	ok &= sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL) == SQLITE_OK;
	ok &= sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL) == SQLITE_OK;
	ok &= sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, NULL) == SQLITE_OK;
	ok &= sqlite3_db_config(db, SQLITE_DBCONFIG_DQS_DML, 0, NULL) == SQLITE_OK;
	ok &= sqlite3_db_config(db, SQLITE_DBCONFIG_DQS_DDL, 0, NULL) == SQLITE_OK;
	if (!ok)
		return err_set(e, ERR_INTERNAL, "cannot apply SQLite's defensive settings");
	return 0;
}

static int exec(struct store *s, const char *sql, const char *what, struct err *e)
{
	if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return store_fail(s, what, e);
	return 0;
}

static int pragma_int(struct store *s, const char *sql, int *out, struct err *e)
{
	sqlite3_stmt *st = store_prepare(s, sql, e);
	if (!st)
		return -1;
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(st);
		return store_fail(s, "cannot read the vault's version", e);
	}
	*out = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return 0;
}

/* Finds migration n in the schema text: returns its body and length, or NULL. */
static const char *migration(int n, size_t *len)
{
	char mark[48];
	snprintf(mark, sizeof mark, "\n-- migration: %d\n", n);
	const char *p = strstr(schema_vault_sql, mark);
	if (!p)
		return NULL;
	p += strlen(mark);
	const char *end = strstr(p, "\n-- migration: ");
	*len = end ? (size_t)(end - p) + 1 : strlen(p);
	return p;
}

int store_schema_version(void)
{
	int n = 0;
	size_t len;
	while (migration(n + 1, &len))
		n++;
	return n;
}

static int migrate(struct store *s, struct err *e)
{
	int app = 0, have = 0, want = store_schema_version();
	if (pragma_int(s, "PRAGMA application_id", &app, e) != 0 ||
	    pragma_int(s, "PRAGMA user_version", &have, e) != 0)
		return -1;
	if (app != 0 && app != STORE_APPLICATION_ID) {
		err_set(e, ERR_FORMAT, "'%s/vault.db' is not an amana vault", s->dir);
		return err_hint(e, "point --vault at an amana vault, or at an empty folder");
	}
	if (have > want) {
		err_set(e, ERR_IO, "the vault is at schema version %d, newer than this amana knows (%d)",
			have, want);
		return err_hint(e, "use the newer amana that last wrote this vault");
	}
	if (have == want)
		return 0;
	/* Under the write lock, the version is read again: another amana starting on the same
	 * new vault may have migrated it meanwhile. All the steps are one transaction. */
	if (store_begin(s, e) != 0)
		return -1;
	if (pragma_int(s, "PRAGMA user_version", &have, e) != 0)
		goto fail;
	for (int n = have + 1; n <= want; n++) {
		size_t len;
		const char *body = migration(n, &len);
		char *sql = malloc(len + 128);
		if (!sql) {
			err_set(e, ERR_IO, "out of memory");
			goto fail;
		}
		snprintf(sql, len + 128, "%.*s\nPRAGMA application_id = %d;\nPRAGMA user_version = %d;\n",
			 (int)len, body, STORE_APPLICATION_ID, n);
		int rc = exec(s, sql, "cannot upgrade the vault", e);
		free(sql);
		if (rc != 0)
			goto fail;
	}
	if (store_commit(s, e) == 0)
		return 0;
fail:
	store_rollback(s);
	return -1;
}

int store_open(struct store **out, const char *dir, struct err *e)
{
	*out = NULL;
	if (io_mkdir_private(dir, e) != 0)
		return err_hint(e, "check the folder given by --vault or AMANA_HOME");
	struct stat st;
	if (stat(dir, &st) == 0 && (st.st_mode & 077) && st.st_uid == geteuid())
		chmod(dir, 0700);
	struct store *s = calloc(1, sizeof *s);
	if (!s || !(s->dir = strdup(dir))) {
		free(s);
		return err_set(e, ERR_IO, "out of memory");
	}
	char *path = io_join(dir, "vault.db");
	if (!path) {
		store_close(s);
		return err_set(e, ERR_IO, "out of memory");
	}
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOFOLLOW;
	int rc = sqlite3_open_v2(path, &s->db, flags, NULL);
	free(path);
	if (rc != SQLITE_OK) {
		err_set(e, ERR_IO, "cannot open the vault database in '%s': %s", dir,
			s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
		store_close(s);
		return -1;
	}
	s->wait_ms = wait_default_ms;
	sqlite3_busy_handler(s->db, on_busy, s);
	if (store_harden(s->db, e) != 0 || search_register(s->db, e) != 0 ||
	    exec(s, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
		    "PRAGMA foreign_keys = ON; PRAGMA cell_size_check = ON;",
		 "cannot set up the vault database", e) != 0 ||
	    migrate(s, e) != 0) {
		store_close(s);
		return -1;
	}
	*out = s;
	return 0;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	if (s->db)
		sqlite3_close_v2(s->db);
	free(s->dir);
	free(s);
}

int store_begin(struct store *s, struct err *e)
{
	int rc = exec(s, s->depth ? "SAVEPOINT nested" : "BEGIN IMMEDIATE", "cannot write to the vault", e);
	if (rc == 0)
		s->depth++;
	return rc;
}

int store_commit(struct store *s, struct err *e)
{
	if (s->depth > 1) {
		int rc = exec(s, "RELEASE nested", "cannot write to the vault", e);
		if (rc == 0)
			s->depth--;
		return rc;
	}
	int rc = exec(s, "COMMIT", "cannot write to the vault", e);
	if (rc == 0)
		s->depth = 0;
	return rc;
}

void store_rollback(struct store *s)
{
	if (s->depth > 1) {
		sqlite3_exec(s->db, "ROLLBACK TO nested; RELEASE nested", NULL, NULL, NULL);
		s->depth--;
		return;
	}
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	s->depth = 0;
}
