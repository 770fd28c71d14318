/*
 * eval.c - how well "amana records --search" finds what a reader means: recall by category
 * and precision over the query set of tests/search (queries.tsv, judged by hand, against the
 * records of outcome.json).
 *
 *   eval [-v] [--check [--min-pairs N]] AMANA VAULT OUTCOME QUERIES
 *
 * VAULT must be a vault that opened a bundle sealed from OUTCOME and nothing else (bench and
 * tests/cli/search.bats make one). Each query runs as a reader runs it, "AMANA --vault VAULT
 * --json records --search QUERY", in a process of its own. The relevant records of a query
 * are those with one of its listed forms among their words, folded as the index folds them
 * (search_fold) but never stemmed: the judgment does not depend on the stemmer it measures.
 *
 * It prints, per category of query-record pair, how many pairs there are and how many the
 * search found; the recall over the categories light stemming is meant to cover and over the
 * others; the precision (relevant records among all those returned); and whether records
 * with the word as typed came first. -v lists every miss and every record returned that is
 * not relevant. --check exits 1 unless there are N pairs at least (200), the covered recall is
 * 0.95 at least, the precision 0.90 at least, and no record with the word as typed comes
 * after one without it. A form that no record has, or a malformed line, is exit 3.
 */
#include <errno.h>
#include <spawn.h>
#include <stdarg.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h> /* environ, with _GNU_SOURCE */

#include "vault/search.h"


static const struct {
	const char *name;
	bool covered; /* light stemming is meant to find these */
} categories[] = {
	{"exact", true},   {"definite", true}, {"prefix", true},  {"suffix", true},
	{"plural", true},  {"feminine", true}, {"dual", true},    {"tanween", true},
	{"fem-t", true},   {"pronoun", false}, {"broken", false}, {"other", false},
};
#define NCAT (sizeof categories / sizeof *categories)

struct record {
	char *title;
	char *words; /* " w1 w2 ... ": the folded words of title and body */
};

static struct record *records;
static size_t nrecords;
static bool verbose;

__attribute__((format(printf, 2, 3), noreturn)) static void die(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "eval: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(code);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		die(4, "cannot read '%s': %s", path, strerror(errno));
	size_t cap = 1 << 16, n = 0;
	char *s = malloc(cap);
	size_t k;
	while (s && (k = fread(s + n, 1, cap - n - 1, f)) > 0) {
		n += k;
		if (n + 1 == cap) {
			char *ns = realloc(s, cap *= 2);
			if (!ns)
				free(s);
			s = ns;
		}
	}
	fclose(f);
	if (!s)
		die(4, "out of memory");
	s[n] = '\0';
	if (len)
		*len = n;
	return s;
}

static char *padded_fold(const char *a, const char *b)
{
	size_t n = strlen(a) + strlen(b) + 2;
	char *both = malloc(n);
	snprintf(both, n, "%s %s", a, b);
	char *f = search_fold(both, strlen(both));
	free(both);
	if (!f)
		die(4, "out of memory");
	size_t fl = strlen(f);
	char *p = malloc(fl + 3);
	p[0] = ' ';
	memcpy(p + 1, f, fl);
	p[fl + 1] = ' ';
	p[fl + 2] = '\0';
	free(f);
	return p;
}

static void load_records(sqlite3 *db, const char *path)
{
	char *json = slurp(path, NULL);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "SELECT json_extract(value, '$.title'), json_extract(value, '$.body') "
				   "FROM json_each(?1, '$.records') ORDER BY key", -1, &st, NULL) != SQLITE_OK)
		die(70, "%s", sqlite3_errmsg(db));
	sqlite3_bind_text(st, 1, json, -1, SQLITE_STATIC);
	size_t cap = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (nrecords == cap) {
			cap = cap ? cap * 2 : 128;
			records = realloc(records, cap * sizeof *records);
		}
		const char *t = (const char *)sqlite3_column_text(st, 0);
		const char *b = (const char *)sqlite3_column_text(st, 1);
		if (!t || !b)
			die(3, "'%s': a record without title or body", path);
		records[nrecords].title = strdup(t);
		records[nrecords].words = padded_fold(t, b);
		nrecords++;
	}
	sqlite3_finalize(st);
	free(json);
	if (nrecords == 0)
		die(3, "'%s' has no records", path);
}

static bool has_word(const struct record *r, const char *w)
{
	size_t n = strlen(w);
	char *p = malloc(n + 3);
	p[0] = ' ';
	memcpy(p + 1, w, n);
	p[n + 1] = ' ';
	p[n + 2] = '\0';
	bool yes = strstr(r->words, p) != NULL;
	free(p);
	return yes;
}

/* Runs AMANA --vault VAULT --json records --search QUERY; returns its stdout (malloc'd). */
static char *run_search(const char *amana, const char *vault, const char *query)
{
	int fd[2];
	if (pipe(fd) != 0)
		die(4, "pipe: %s", strerror(errno));
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fd[1], 1);
	posix_spawn_file_actions_addclose(&fa, fd[0]);
	posix_spawn_file_actions_addclose(&fa, fd[1]);
	char o_vault[] = "--vault", o_json[] = "--json", c_records[] = "records", o_search[] = "--search";
	char *argv[] = {(char *)amana, o_vault, (char *)vault, o_json, c_records, o_search, (char *)query, NULL};
	pid_t pid;
	int rc = posix_spawn(&pid, amana, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fd[1]);
	if (rc != 0)
		die(4, "cannot run '%s': %s", amana, strerror(rc));
	size_t cap = 1 << 14, n = 0;
	char *out = malloc(cap);
	ssize_t k;
	while ((k = read(fd[0], out + n, cap - n - 1)) > 0) {
		n += (size_t)k;
		if (n + 1 == cap)
			out = realloc(out, cap *= 2);
	}
	close(fd[0]);
	out[n] = '\0';
	int status;
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		die(1, "the search for '%s' failed (%s)", query, out);
	return out;
}

int main(int argc, char **argv)
{
	bool check = false;
	size_t min_pairs = 200;
	int a = 1;
	for (; a < argc && argv[a][0] == '-'; a++) {
		if (strcmp(argv[a], "-v") == 0)
			verbose = true;
		else if (strcmp(argv[a], "--check") == 0)
			check = true;
		else if (strcmp(argv[a], "--min-pairs") == 0 && a + 1 < argc)
			min_pairs = (size_t)strtoul(argv[++a], NULL, 10);
		else
			die(2, "unknown option '%s'", argv[a]);
	}
	if (argc - a != 4) {
		fprintf(stderr, "usage: eval [-v] [--check [--min-pairs N]] AMANA VAULT OUTCOME QUERIES\n");
		return 2;
	}
	const char *amana = argv[a], *vault = argv[a + 1];
	sqlite3 *db;
	if (sqlite3_open(":memory:", &db) != SQLITE_OK)
		die(70, "cannot open SQLite");
	load_records(db, argv[a + 2]);

	size_t pairs[NCAT] = {0}, found[NCAT] = {0};
	size_t queries = 0, retrieved = 0, relevant_retrieved = 0, ranked = 0, misranked = 0;
	char *text = slurp(argv[a + 3], NULL);
	char *save = NULL;
	int *cat = malloc(nrecords * sizeof *cat);
	bool *got = malloc(nrecords * sizeof *got);
	sqlite3_stmt *res;
	if (sqlite3_prepare_v2(db, "SELECT json_extract(value, '$.seq'), json_extract(value, '$.snippet') "
			       "FROM json_each(?1) ORDER BY key",
			       -1, &res, NULL) != SQLITE_OK)
		die(70, "%s", sqlite3_errmsg(db));
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#' || line[0] == '\0')
			continue;
		char *tab = strchr(line, '\t');
		if (!tab)
			die(3, "no TAB in the line '%s'", line);
		*tab = '\0';
		const char *query = line;
		char *typed = search_fold(query, strlen(query));
		queries++;
		for (size_t r = 0; r < nrecords; r++) {
			cat[r] = -1;
			got[r] = false;
		}
		char *fsave = NULL;
		for (char *f = strtok_r(tab + 1, " ", &fsave); f; f = strtok_r(NULL, " ", &fsave)) {
			char *colon = strrchr(f, ':');
			if (!colon)
				die(3, "'%s': the form '%s' has no category", query, f);
			*colon = '\0';
			int c = -1;
			for (size_t i = 0; i < NCAT; i++)
				if (strcmp(colon + 1, categories[i].name) == 0)
					c = (int)i;
			if (c < 0)
				die(3, "'%s': unknown category '%s'", query, colon + 1);
			char *w = search_fold(f, strlen(f));
			if (!w || !*w || strchr(w, ' '))
				die(3, "'%s': the form '%s' is not one word", query, f);
			bool any = false;
			for (size_t r = 0; r < nrecords; r++)
				if (has_word(&records[r], w)) {
					any = true;
					if (cat[r] < 0)
						cat[r] = c;
				}
			if (!any)
				die(3, "'%s': no record has the form '%s'", query, f);
			free(w);
		}
		char *out = run_search(amana, vault, query);
		sqlite3_bind_text(res, 1, out, -1, SQLITE_STATIC);
		bool plain_seen = false; /* a record without the word as typed came already */
		bool typed_one = typed && *typed && !strchr(typed, ' ');
		if (typed_one)
			ranked++;
		bool out_of_order = false;
		while (sqlite3_step(res) == SQLITE_ROW) {
			long long seq = sqlite3_column_int64(res, 0);
			if (seq < 1 || (size_t)seq > nrecords)
				die(1, "the search for '%s' returned a record not in the outcome", query);
			size_t r = (size_t)seq - 1;
			got[r] = true;
			retrieved++;
			if (cat[r] >= 0)
				relevant_retrieved++;
			else if (verbose)
				printf("extra: %s -> %lld %s: %s\n", query, seq, records[r].title,
				       (const char *)sqlite3_column_text(res, 1));
			if (typed_one) {
				bool whole = has_word(&records[r], typed);
				if (whole && plain_seen)
					out_of_order = true;
				if (!whole)
					plain_seen = true;
			}
		}
		sqlite3_reset(res);
		if (out_of_order) {
			misranked++;
			if (verbose)
				printf("order: %s: a record without the word as typed comes before one with it\n", query);
		}
		for (size_t r = 0; r < nrecords; r++) {
			if (cat[r] < 0)
				continue;
			pairs[cat[r]]++;
			if (got[r])
				found[cat[r]]++;
			else if (verbose)
				printf("miss: %s -> %zu %s (%s)\n", query, r + 1, records[r].title, categories[cat[r]].name);
		}
		free(out);
		free(typed);
	}
	sqlite3_finalize(res);

	size_t cp = 0, cf = 0, up = 0, uf = 0;
	printf("search evaluation: %zu queries, %zu records\n", queries, nrecords);
	printf("  %-10s %6s %6s %7s\n", "category", "pairs", "found", "recall");
	for (size_t i = 0; i < NCAT; i++) {
		if (!pairs[i])
			continue;
		printf("  %-10s %6zu %6zu %7.3f%s\n", categories[i].name, pairs[i], found[i],
		       (double)found[i] / (double)pairs[i], categories[i].covered ? "" : "  (not covered)");
		if (categories[i].covered) {
			cp += pairs[i];
			cf += found[i];
		} else {
			up += pairs[i];
			uf += found[i];
		}
	}
	double recall = cp ? (double)cf / (double)cp : 0;
	double precision = retrieved ? (double)relevant_retrieved / (double)retrieved : 0;
	printf("  pairs: %zu (%zu in the categories light stemming covers, %zu in the others)\n", cp + up, cp, up);
	printf("  recall, covered categories: %.3f (%zu of %zu)\n", recall, cf, cp);
	printf("  recall, other categories:   %.3f (%zu of %zu)\n", up ? (double)uf / (double)up : 0, uf, up);
	printf("  recall, all pairs:          %.3f (%zu of %zu)\n",
	       cp + up ? (double)(cf + uf) / (double)(cp + up) : 0, cf + uf, cp + up);
	printf("  precision: %.3f (%zu relevant of %zu returned)\n", precision, relevant_retrieved, retrieved);
	printf("  whole words first: %zu of %zu queries\n", ranked - misranked, ranked);
	int rc = 0;
	if (check) {
		if (cp + up < min_pairs || recall < 0.95 || precision < 0.90 || misranked) {
			printf("eval: below target (%zu pairs, recall 0.95, precision 0.90, whole words first)\n", min_pairs);
			rc = 1;
		}
	}
	for (size_t r = 0; r < nrecords; r++) {
		free(records[r].title);
		free(records[r].words);
	}
	free(records);
	free(cat);
	free(got);
	free(text);
	sqlite3_close(db);
	return rc;
}
