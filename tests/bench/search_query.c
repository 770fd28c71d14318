/*
 * search_query.c - the time of a search alone, without its snippets and its output: for the
 * benchmark of tests/bench/search.sh, to tell the cost of finding and ranking the records
 * from the cost of printing thousands of them.
 *
 *   search_query VAULT.DB RUNS QUERY...
 *
 * For each query, the fastest of RUNS runs of what "amana records --search" asks SQLite
 * (cli/cmd_records.c): the records matching search_query_init's expression, in the order of
 * amana_exact and then bm25, every row stepped through; and the same with FTS5's snippet()
 * of each row. It opens the database read-only and never writes.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vault/search.h"

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* The fastest of runs runs of sql with the query bound; *rows gets the rows it gave. */
static double best_of(sqlite3 *db, const char *sql, const struct search_query *q, int runs, long *rows)
{
	double best = -1;
	for (int k = 0; k < runs; k++) {
		sqlite3_stmt *st;
		if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
			fprintf(stderr, "search_query: %s\n", sqlite3_errmsg(db));
			exit(70);
		}
		sqlite3_bind_text(st, 1, q->match, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, q->kinds, -1, SQLITE_STATIC);
		double t0 = now_ms();
		long n = 0;
		int rc;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			n++;
		double d = now_ms() - t0;
		if (rc != SQLITE_DONE) {
			fprintf(stderr, "search_query: %s\n", sqlite3_errmsg(db));
			exit(70);
		}
		sqlite3_finalize(st);
		*rows = n;
		if (best < 0 || d < best)
			best = d;
	}
	return best;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: search_query VAULT.DB RUNS QUERY...\n");
		return 2;
	}
	sqlite3 *db;
	struct err e;
	if (sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK || search_register(db, &e) != 0) {
		fprintf(stderr, "search_query: cannot open '%s'\n", argv[1]);
		return 4;
	}
	int runs = atoi(argv[2]);
	static const char *const sql[] = {
		"SELECT rowid FROM records_fts WHERE records_fts MATCH ?1 "
		"ORDER BY amana_exact(records_fts, ?2) DESC, rank",
		"SELECT rowid, snippet(records_fts, -1, '[', ']', '…', 12) FROM records_fts "
		"WHERE records_fts MATCH ?1 ORDER BY amana_exact(records_fts, ?2) DESC, rank",
	};
	for (int i = 3; i < argc; i++) {
		struct search_query q;
		if (search_query_init(&q, argv[i], &e) != 0 || q.n == 0) {
			fprintf(stderr, "search_query: no query in '%s'\n", argv[i]);
			return 2;
		}
		long rows = 0, rows2 = 0;
		double found = best_of(db, sql[0], &q, runs, &rows);
		double snip = best_of(db, sql[1], &q, runs, &rows2);
		printf("    %8.1f ms found and ranked, %8.1f ms with snippets  %6ld records  %s\n", found, snip,
		       rows, argv[i]);
		search_query_free(&q);
	}
	sqlite3_close(db);
	return 0;
}
