/*
 * cmd_records.c - "amana records": list or search the records of the bundles this vault
 * opened.
 *
 *   records [BUNDLE] [--search TEXT] [--json]
 *
 * BUNDLE narrows to one bundle: a .amana file, or a bundle id (or its first hex digits).
 * --search matches words whatever their diacritics, tatweel, hamza and alef forms, or Latin
 * case, and whatever their attached conjunction, preposition, article or common suffix
 * (light stemming; Porter's for English); a word or phrase in double quotes matches only its
 * exact form (vault/search.h). Records with the words as typed come first. Results show the
 * bundle, its conference, the record's number and title, and a snippet of the original text
 * around the match.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "vault/bundle.h"
#include "vault/envelope.h"
#include "vault/io.h"
#include "vault/search.h"
#include "vault/store.h"

/* Records longer than this (characters of body) get their snippet from search_snippet: FTS5's
 * snippet() takes time that grows with the square of the hits in one record. */
#define SNIPPET_FTS_MAX "16384"
/* Every word of a query must match; more than this many is refused (each costs a pass). */
#define SEARCH_WORDS_MAX 16

/* The bundle id a BUNDLE argument names: read from the file's envelope when it is a file,
 * else the argument itself (hex, possibly a prefix). *out is malloc'd. */
static int bundle_filter(const char *arg, char **out, struct err *e)
{
	*out = NULL;
	if (!io_exists(arg)) {
		size_t n = strlen(arg);
		if (n == 0 || n > 32 || strspn(arg, "0123456789abcdef") != n) {
			err_set(e, ERR_USAGE, "'%s' is neither a bundle file nor a bundle id", arg);
			return err_hint(e, "give a .amana file or the hex bundle id shown by 'amana inspect'");
		}
		return (*out = strdup(arg)) ? 0 : err_set(e, ERR_IO, "out of memory");
	}
	int fd = open(arg, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_errno(e, ERR_IO, "cannot open '%s'", arg);
	struct tar_reader *t = NULL;
	char *text = NULL;
	uint64_t size;
	struct envelope env;
	int rc = -1;
	memset(&env, 0, sizeof env);
	if (tar_reader_open_fd(&t, fd, "the bundle", e) == 0 &&
	    tar_reader_expect(t, BUNDLE_ENVELOPE, ENVELOPE_MAX, &size, e) == 0 &&
	    tar_reader_slurp(t, size, &text, e) == 0 && envelope_parse(text, size, &env, e) == 0)
		rc = (*out = strdup(env.bundle_id)) ? 0 : err_set(e, ERR_IO, "out of memory");
	envelope_free(&env);
	free(text);
	tar_reader_free(t);
	close(fd);
	return rc;
}

int cmd_records(struct cli_ctx *ctx, int argc, char **argv, struct err *e)
{
	static const struct option longs[] = {
		{"search", required_argument, NULL, 's'},
		{NULL, 0, NULL, 0},
	};
	const char *typed = NULL;
	int c;
	while ((c = cli_getopt(ctx, argc, argv, "", longs, e)) > 0)
		if (c == 's')
			typed = optarg;
	if (c < 0)
		return c;
	if (cli_nargs(argc, argv, 0, 1, "", e) != 0)
		return -1;
	struct store *s = cli_store(ctx, e);
	char *filter = NULL;
	const char *match = NULL;
	struct search_query q;
	sqlite3_stmt *st = NULL;
	int rc = -1;
	memset(&q, 0, sizeof q);
	if (!s)
		return -1;
	if (optind < argc && bundle_filter(argv[optind], &filter, e) != 0)
		return -1;
	if (typed && search_query_words(typed) > SEARCH_WORDS_MAX) {
		cli_usage(e, "--search takes at most %d words", SEARCH_WORDS_MAX);
		err_hint(e, "every word must match; a few distinctive ones find a record");
		goto done;
	}
	if (typed && search_query_init(&q, typed, e) != 0)
		goto done;
	if (typed && q.n == 0) {
		cli_usage(e, "--search needs at least one word");
		goto done;
	}
	match = q.match;
	const char *sql = match
		? "SELECT r.bundle_id, b.conference, r.seq, r.title, "
		  "CASE WHEN length(r.body) <= " SNIPPET_FTS_MAX " THEN snippet(records_fts, -1, '[', ']', '…', 12) END, "
		  "r.kind, r.lang, CASE WHEN length(r.body) > " SNIPPET_FTS_MAX " THEN r.body END "
		  "FROM records_fts JOIN records r ON r.rowid = records_fts.rowid "
		  "JOIN bundles b ON b.bundle_id = r.bundle_id AND b.direction = 'received' "
		  "WHERE records_fts MATCH ?1 AND (?2 IS NULL OR r.bundle_id LIKE ?2 || '%') "
		  "ORDER BY amana_exact(records_fts, ?3) DESC, rank, r.bundle_id, r.seq"
		: "SELECT r.bundle_id, b.conference, r.seq, r.title, NULL, r.kind, r.lang, NULL FROM records r "
		  "JOIN bundles b ON b.bundle_id = r.bundle_id AND b.direction = 'received' "
		  "WHERE ?2 IS NULL OR r.bundle_id LIKE ?2 || '%' ORDER BY b.created, r.bundle_id, r.seq";
	/* A bundle named that this vault never opened is a name that does not exist (2), said
	 * before anything is printed. */
	if (filter) {
		if (!(st = store_prepare(s, "SELECT 1 FROM bundles WHERE direction = 'received' AND bundle_id LIKE ?1 || '%'", e)))
			goto done;
		sqlite3_bind_text(st, 1, filter, -1, SQLITE_STATIC);
		int found = sqlite3_step(st);
		sqlite3_finalize(st);
		st = NULL;
		if (found != SQLITE_ROW) {
			if (found != SQLITE_DONE) {
				store_fail(s, "cannot read the bundles", e);
				goto done;
			}
			err_set(e, ERR_USAGE, "no bundle '%s' was opened in this vault", argv[optind]);
			err_hint(e, "'amana records' lists the bundles opened here; a bundle must be opened ('amana open') before its records are listed");
			goto done;
		}
	}
	if (!(st = store_prepare(s, sql, e)))
		goto done;
	if (match) {
		sqlite3_bind_text(st, 1, match, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, q.kinds, -1, SQLITE_STATIC);
	}
	if (filter)
		sqlite3_bind_text(st, 2, filter, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 2);
	if (ctx->json)
		json_begin_array(NULL);
	size_t n = 0;
	int step;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *bid = (const char *)sqlite3_column_text(st, 0);
		const char *conf = (const char *)sqlite3_column_text(st, 1);
		long long seq = sqlite3_column_int64(st, 2);
		const char *title = (const char *)sqlite3_column_text(st, 3);
		const char *snip = (const char *)sqlite3_column_text(st, 4);
		char *own = NULL;
		if (!snip && match && sqlite3_column_type(st, 7) == SQLITE_TEXT) {
			/* A long record: a snippet in one pass (search.h). */
			const char *body = (const char *)sqlite3_column_text(st, 7);
			own = search_snippet(body, (size_t)sqlite3_column_bytes(st, 7), &q);
			if (!own)
				own = search_snippet(title, strlen(title), &q);
			snip = own;
		}
		if (ctx->json) {
			json_begin_object();
			json_str("bundle_id", bid);
			json_str("conference", conf);
			json_int("seq", seq);
			json_str("kind", (const char *)sqlite3_column_text(st, 5));
			json_str("lang", (const char *)sqlite3_column_text(st, 6));
			json_str("title", title);
			if (snip)
				json_str("snippet", snip);
			json_end_object();
		} else {
			out_line("%.12s  %3lld  %s  (%s)", bid, seq, out_safe(0, title), out_safe(1, conf));
			if (snip)
				out_line("      %s", out_safe(2, snip));
		}
		free(own);
		n++;
	}
	if (step != SQLITE_DONE) {
		store_fail(s, "cannot search the records", e);
		goto done;
	}
	if (ctx->json) {
		json_end_array();
		json_done();
	}
	if (n == 0 && !ctx->json)
		out_note(ctx, match ? "no record matches" : "no records: open a bundle first ('amana open')");
	rc = 0;
done:
	sqlite3_finalize(st);
	free(filter);
	search_query_free(&q);
	return rc;
}
