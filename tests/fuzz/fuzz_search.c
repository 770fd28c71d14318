/*
 * fuzz_search.c - the search's parsers and its index, together (vault/search.c, vault/stem.c):
 * what a user types made into an FTS5 query, the "amana2" tokenizer on any text, the stems of
 * any word, and the one-pass snippet.
 *
 * The input is what is typed up to its first line feed, and a record's text after it (the
 * whole input for both when there is none), up to a NUL if any: a record never holds one
 * (vault/outcome.c refuses it). The record is indexed in an in-memory table like
 * the vault's records_fts, and then:
 *   - the typed query must be a valid FTS5 query whatever was typed (never an FTS5 error),
 *     with one kind per phrase for amana_exact; when it matches the record, search_snippet
 *     must find a word in the record too, as the index did;
 *   - each of the record's first words, typed alone, bare or in double quotes, must find the
 *     record, and its snippet must mark a word;
 *   - every stem of every word is non-empty and lies within the word (or is Porter's stem),
 *     the first being the word itself;
 *   - removing the record with the same text ('delete') must leave an index that passes
 *     FTS5's integrity-check: the tokens out are the tokens in.
 * Each input gets a connection of its own, so that nothing carries over from one to the next.
 */
#include <sqlite3.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "vault/search.h"
#include "vault/stem.h"

static sqlite3 *db;

static void must(bool ok)
{
	if (!ok)
		abort();
}

static void exec(const char *sql)
{
	must(sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK);
}

static void open_db(void)
{
	struct err e;
	must(sqlite3_open(":memory:", &db) == SQLITE_OK);
	must(search_register(db, &e) == 0);
	exec("CREATE TABLE records (title TEXT NOT NULL, body TEXT NOT NULL);"
	     "CREATE VIRTUAL TABLE records_fts USING fts5(title, body, content = 'records',"
	     " content_rowid = 'rowid', tokenize = 'amana2');");
}

/* Runs q over the table: it must not fail. Returns whether row 1 matched. */
static bool run(const struct search_query *q)
{
	sqlite3_stmt *st;
	must(sqlite3_prepare_v2(db, "SELECT rowid, amana_exact(records_fts, ?2), "
				    "snippet(records_fts, -1, '[', ']', '...', 12) "
				    "FROM records_fts WHERE records_fts MATCH ?1", -1, &st, NULL) == SQLITE_OK);
	sqlite3_bind_text(st, 1, q->match, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, q->kinds, -1, SQLITE_STATIC);
	bool found = false;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		found = sqlite3_column_int64(st, 0) == 1;
		must(sqlite3_column_int(st, 1) >= 0 && (size_t)sqlite3_column_int(st, 1) <= q->n);
	}
	must(rc == SQLITE_DONE);
	sqlite3_finalize(st);
	return found;
}

static void check_stems(const char *w, size_t wl)
{
	struct stems st;
	must(stem_word(w, wl, &st) >= 1 && st.n <= STEM_MAX);
	must(st.s[0] == w && st.len[0] == wl);
	for (size_t i = 0; i < st.n; i++) {
		bool inside = st.s[i] >= w && st.s[i] + st.len[i] <= w + wl;
		bool porter = st.s[i] == st.porter && st.len[i] <= 64;
		must(st.len[i] > 0 && (inside || porter));
	}
}

FUZZ_TARGET(search)
{
	struct err e;
	if (size > 65536)
		return 0; /* more than the 16 words a search takes, and a long record, say no more */
	open_db();
	const char *text = (const char *)data;
	const char *nl = memchr(text, '\n', size);
	size_t tl = nl ? (size_t)(nl - text) : size;
	const char *doc = nl ? nl + 1 : text;
	size_t dl = strnlen(doc, nl ? size - tl - 1 : size);
	char *typed = malloc(tl + 1);
	must(typed != NULL);
	memcpy(typed, text, tl);
	typed[tl] = '\0';

	sqlite3_stmt *ins;
	must(sqlite3_prepare_v2(db, "INSERT INTO records (rowid, title, body) VALUES (1, '', ?1)", -1, &ins, NULL) == SQLITE_OK);
	sqlite3_bind_text(ins, 1, doc, (int)dl, SQLITE_STATIC);
	must(sqlite3_step(ins) == SQLITE_DONE);
	sqlite3_finalize(ins);
	exec("INSERT INTO records_fts (rowid, title, body) SELECT rowid, title, body FROM records");

	/* What was typed, as many words as records --search takes. */
	struct search_query q;
	must(search_query_init(&q, typed, &e) == 0);
	if (q.n && q.n <= 16) {
		size_t phrases = 0;
		for (const char *p = q.match; *p; p++)
			phrases += *p == '"';
		must(phrases % 2 == 0 && strlen(q.kinds) == phrases / 2);
		if (run(&q)) {
			char *snip = search_snippet(doc, dl, &q);
			must(snip && strchr(snip, '['));
			free(snip);
		}
	} else if (!q.n) {
		must(!q.match && !q.kinds);
	}
	search_query_free(&q);

	/* The record's own words find it, and their stems are sane. */
	char *words = search_fold(doc, dl);
	must(words != NULL);
	size_t tried = 0;
	for (char *w = words, *end; *w && tried < 4; w = end + (*end == ' ')) {
		end = strchr(w, ' ');
		if (!end)
			end = w + strlen(w);
		check_stems(w, (size_t)(end - w));
		if (tried++ >= 3)
			continue;
		char *one = malloc((size_t)(end - w) + 3);
		must(one != NULL);
		one[0] = '"';
		memcpy(one + 1, w, (size_t)(end - w));
		one[end - w + 1] = '"';
		one[end - w + 2] = '\0';
		for (int quoted = 0; quoted < 2; quoted++) {
			struct search_query wq;
			one[end - w + 1] = quoted ? '"' : '\0';
			must(search_query_init(&wq, quoted ? one : one + 1, &e) == 0 && wq.n == 1);
			must(run(&wq));
			char *snip = search_snippet(doc, dl, &wq);
			must(snip && strchr(snip, '['));
			free(snip);
			search_query_free(&wq);
		}
		free(one);
	}
	free(words);

	/* Out with the same text; the index must be as it was. */
	exec("INSERT INTO records_fts (records_fts, rowid, title, body) SELECT 'delete', rowid, title, body FROM records");
	exec("DELETE FROM records");
	exec("INSERT INTO records_fts (records_fts) VALUES ('integrity-check')");
	sqlite3_close(db);
	db = NULL;
	free(typed);
	return 0;
}
