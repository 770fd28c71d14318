/*
 * test_store.c - the vault database: created 0700 with its schema version, migrations, the
 * careful settings (WAL, foreign keys, defensive, trusted_schema off), and refusals of
 * foreign or newer databases.
 */
#include <sys/stat.h>
#include <unistd.h>

#include "tests/unit/unit.h"
#include "vault/io.h"
#include "vault/store.h"

static char dir[256];

static int make_dir(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/amana-unit-store.%d/vault", (int)getpid());
	io_rmtree(dir);
	return 0;
}

static int drop_dir(void **state)
{
	(void)state;
	char parent[256];
	snprintf(parent, sizeof parent, "/tmp/amana-unit-store.%d", (int)getpid());
	io_rmtree(parent);
	return 0;
}

static long long one_int(struct store *s, const char *sql)
{
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(store_db(s), sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	long long v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void test_create(void **state)
{
	(void)state;
	struct store *s;
	struct err e;
	assert_int_equal(store_open(&s, dir, &e), 0);
	struct stat st;
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_true(store_schema_version() >= 1);
	assert_int_equal(one_int(s, "PRAGMA user_version"), store_schema_version());
	assert_int_equal(one_int(s, "PRAGMA application_id"), STORE_APPLICATION_ID);
	assert_int_equal(one_int(s, "PRAGMA foreign_keys"), 1);
	assert_int_equal(one_int(s, "PRAGMA trusted_schema"), 0);
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(store_db(s), "PRAGMA journal_mode", -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(q, 0), "wal");
	sqlite3_finalize(q);
	int on = -1;
	sqlite3_db_config(store_db(s), SQLITE_DBCONFIG_DEFENSIVE, -1, &on);
	assert_int_equal(on, 1);
	/* Defensive mode: writable_schema cannot be used to corrupt the file. */
	sqlite3_exec(store_db(s), "PRAGMA writable_schema = ON", NULL, NULL, NULL);
	assert_int_not_equal(sqlite3_exec(store_db(s), "UPDATE sqlite_schema SET sql = 'x'", NULL, NULL, NULL),
			     SQLITE_OK);
	store_close(s);
	/* Opening again is a no-op for migrations. */
	assert_int_equal(store_open(&s, dir, &e), 0);
	assert_int_equal(one_int(s, "PRAGMA user_version"), store_schema_version());
	store_close(s);
}

static void test_refuse_newer_and_foreign(void **state)
{
	(void)state;
	struct store *s;
	struct err e;
	assert_int_equal(store_open(&s, dir, &e), 0);
	char sql[64];
	snprintf(sql, sizeof sql, "PRAGMA user_version = %d", store_schema_version() + 1);
	assert_int_equal(sqlite3_exec(store_db(s), sql, NULL, NULL, NULL), SQLITE_OK);
	store_close(s);
	assert_int_equal(store_open(&s, dir, &e), -1);
	assert_non_null(strstr(e.msg, "newer"));

	char path[300];
	snprintf(path, sizeof path, "%s/vault.db", dir);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 1; PRAGMA application_id = 42", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(store_open(&s, dir, &e), -1);
	assert_int_equal(e.code, ERR_FORMAT);
	assert_non_null(strstr(e.msg, "not an amana vault"));
}

static void test_garbage_file(void **state)
{
	(void)state;
	struct store *s;
	struct err e;
	char path[300];
	io_rmtree(dir);
	struct err ignore;
	assert_int_equal(io_mkdir_private(dir, &ignore), 0);
	snprintf(path, sizeof path, "%s/vault.db", dir);
	FILE *f = fopen(path, "w");
	fputs("this is not a database, but it is long enough to look like a header.......", f);
	fclose(f);
	assert_int_equal(store_open(&s, dir, &e), -1);
	assert_int_equal(e.code, ERR_IO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_create, make_dir),
		cmocka_unit_test(test_refuse_newer_and_foreign),
		cmocka_unit_test_teardown(test_garbage_file, drop_dir),
	};
	return cmocka_run_group_tests_name("store", tests, unit_setup, NULL);
}
