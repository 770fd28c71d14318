/*
 * outcome.c - reading and checking outcome.json with SQLite's json_tree. See outcome.h.
 *
 * json_tree gives every value of the document once, parents before children, with its JSON
 * path; a small state machine keyed by the ids of the few containers we expect turns the
 * rows into struct outcome, refusing anything it does not expect where it sees it. One pass,
 * so a 100,000-record outcome costs no more than reading it.
 */
#include "vault/outcome.h"

#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "vault/bundle.h"
#include "vault/clock.h"
#include "vault/io.h"
#include "vault/store.h"
#include "vault/text.h"

/* The keys of each object, in the order they are checked for presence. */
static const char *const root_keys[] = {"conference", "participants", "records", "attachments", NULL};
static const char *const conf_keys[] = {"series", "number", "title", "venue", "held_from", "held_to", "organizer", NULL};
static const char *const part_keys[] = {"name", "kind", NULL};
static const char *const rec_keys[] = {"kind", "lang", "title", "body", NULL};
static const char *const att_keys[] = {"path", "caption", "record", NULL};

static int key_index(const char *const *keys, const char *k)
{
	for (int i = 0; keys[i]; i++)
		if (k && strcmp(keys[i], k) == 0)
			return i;
	return -1;
}

/* "$.records[2].body" -> "records[2].body"; "$" -> "the top level". SQLite quotes keys
 * that are not plain identifiers ($."held_from"); plain ones lose their quotes here. Returns
 * a pointer to a static buffer. */
static const char *where(const char *fullkey)
{
	static char buf[OUTCOME_PATH_MAX + 256];
	if (!fullkey || strcmp(fullkey, "$") == 0)
		return "the top level";
	const char *s = fullkey[0] == '$' && fullkey[1] == '.' ? fullkey + 2 : fullkey;
	size_t o = 0;
	while (*s && o + 1 < sizeof buf) {
		if (*s == '"') {
			const char *end = strchr(s + 1, '"');
			size_t k = end ? (size_t)(end - s - 1) : 0;
			if (end && k > 0 && strspn(s + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") == k) {
				if (o + k + 1 >= sizeof buf)
					break;
				memcpy(buf + o, s + 1, k);
				o += k;
				s = end + 1;
				continue;
			}
		}
		buf[o++] = *s++;
	}
	buf[o] = '\0';
	return buf;
}

struct parse {
	sqlite3_stmt *st;
	struct outcome *o;
	struct err *e;
	/* ids of the containers (json_tree's id column); -1 until seen */
	sqlite3_int64 root, conf, parts, recs, atts, cur, cur_array;
	unsigned root_seen, conf_seen, cur_seen;
	size_t cap_parts, cap_recs, cap_atts;
};

/* Column accessors for the current row. */
static const char *row_key(struct parse *p) { return (const char *)sqlite3_column_text(p->st, 2); }
static const char *row_type(struct parse *p) { return (const char *)sqlite3_column_text(p->st, 3); }
static const char *row_path(struct parse *p) { return where((const char *)sqlite3_column_text(p->st, 5)); }

static int fail(struct parse *p, const char *what)
{
	char *path = text_display(row_path(p), strlen(row_path(p)));
	err_set(p->e, ERR_FORMAT, "outcome.json: %s: %s", path ? path : "?", what);
	free(path);
	return -1;
}

static int want_type(struct parse *p, const char *type, const char *said)
{
	if (strcmp(row_type(p), type) == 0)
		return 0;
	char msg[128];
	snprintf(msg, sizeof msg, "expected %s, found %s", said, row_type(p));
	return fail(p, msg);
}

/* Copies the current string value into *out after the checks for its kind of field: one
 * line (no control characters) or free text (anything but NUL), and a length limit. */
static int take_text(struct parse *p, char **out, size_t *outlen, bool one_line, size_t max,
		     bool nonempty)
{
	if (want_type(p, "text", "a string") != 0)
		return -1;
	const char *v = (const char *)sqlite3_column_text(p->st, 4);
	size_t n = (size_t)sqlite3_column_bytes(p->st, 4);
	if (!v)
		v = "";
	if (strlen(v) != n)
		return fail(p, "the text contains a NUL character");
	if (!text_utf8_valid(v, n))
		return fail(p, "the text is not valid UTF-8 (a lone surrogate escape?)");
	if (n > max) {
		char msg[96];
		snprintf(msg, sizeof msg, "the text is longer than %zu bytes", max);
		return fail(p, msg);
	}
	if (one_line && text_has_controls(v, n))
		return fail(p, "the text must be one line without control characters");
	if (nonempty && n == 0)
		return fail(p, "must not be empty");
	free(*out);
	if (!(*out = malloc(n + 1)))
		return err_set(p->e, ERR_IO, "out of memory");
	memcpy(*out, v, n + 1);
	if (outlen)
		*outlen = n;
	return 0;
}

static bool is_token(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n == 0 || n > max || s[0] < 'a' || s[0] > 'z')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return true;
}

/* A BCP 47 tag in the shape amana accepts: "ar", "en", "ar-EG", "zh-Hant-TW". */
static bool is_lang(const char *s)
{
	size_t n = strlen(s), i = 0, run = 0;
	if (n < 2 || n > 35)
		return false;
	while (i < n && s[i] >= 'a' && s[i] <= 'z')
		i++;
	if (i < 2 || i > 3)
		return false;
	for (; i < n; i++) {
		bool alnum = (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
			     (s[i] >= '0' && s[i] <= '9');
		if (s[i] == '-') {
			if (i + 1 == n || (run == 0 && s[i - 1] == '-'))
				return false;
			run = 0;
		} else if (!alnum || ++run > 8) {
			return false;
		}
	}
	return s[n - 1] != '-';
}

static bool is_date_or_empty(const char *s)
{
	if (!*s)
		return true;
	char buf[32];
	int64_t t;
	if (strlen(s) != 10)
		return false;
	snprintf(buf, sizeof buf, "%sT00:00:00Z", s);
	return clock_parse_rfc3339(buf, &t);
}

/* Marks key k of an object as seen; a second sighting is a duplicate. */
static int see(struct parse *p, unsigned *mask, int k)
{
	if (*mask & (1u << k))
		return fail(p, "the key appears twice");
	*mask |= 1u << k;
	return 0;
}

static int unknown_key(struct parse *p, const char *const *keys)
{
	char msg[256];
	size_t n = 0;
	n += (size_t)snprintf(msg, sizeof msg, "unknown key (expected one of:");
	for (int i = 0; keys[i] && n < sizeof msg; i++)
		n += (size_t)snprintf(msg + n, sizeof msg - n, " %s", keys[i]);
	if (n < sizeof msg)
		snprintf(msg + n, sizeof msg - n, ")");
	return fail(p, msg);
}

/* Grows an array of structs by one zeroed element. */
static void *grow(void *arr, size_t n, size_t *cap, size_t size, struct err *e)
{
	if (n < *cap)
		return arr;
	size_t ncap = *cap ? *cap * 2 : 16;
	unsigned char *na = realloc(arr, ncap * size);
	if (!na) {
		err_set(e, ERR_IO, "out of memory");
		return NULL;
	}
	memset(na + *cap * size, 0, (ncap - *cap) * size);
	*cap = ncap;
	return na;
}

static int on_root_member(struct parse *p, sqlite3_int64 id)
{
	int k = key_index(root_keys, row_key(p));
	if (k < 0)
		return unknown_key(p, root_keys);
	if (see(p, &p->root_seen, k) != 0)
		return -1;
	if (k == 0) {
		if (want_type(p, "object", "an object") != 0)
			return -1;
		p->conf = id;
	} else {
		if (want_type(p, "array", "an array") != 0)
			return -1;
		if (k == 1)
			p->parts = id;
		else if (k == 2)
			p->recs = id;
		else
			p->atts = id;
	}
	return 0;
}

static int on_conf_member(struct parse *p)
{
	struct outcome *o = p->o;
	int k = key_index(conf_keys, row_key(p));
	if (k < 0)
		return unknown_key(p, conf_keys);
	if (see(p, &p->conf_seen, k) != 0)
		return -1;
	switch (k) {
	case 0: return take_text(p, &o->series, NULL, true, OUTCOME_LINE_MAX, true);
	case 1: {
		if (want_type(p, "integer", "an integer") != 0)
			return -1;
		sqlite3_int64 v = sqlite3_column_int64(p->st, 4);
		if (v < 1 || v > 1000000000)
			return fail(p, "the conference number must be between 1 and 1000000000");
		o->number = v;
		return 0;
	}
	case 2: return take_text(p, &o->title, NULL, true, OUTCOME_LINE_MAX, true);
	case 3: return take_text(p, &o->venue, NULL, true, OUTCOME_LINE_MAX, false);
	case 4:
	case 5: {
		char **d = k == 4 ? &o->held_from : &o->held_to;
		if (take_text(p, d, NULL, true, 10, false) != 0)
			return -1;
		if (!is_date_or_empty(*d))
			return fail(p, "expected a date YYYY-MM-DD, or \"\" when unknown");
		return 0;
	}
	default: return take_text(p, &o->organizer, NULL, true, OUTCOME_LINE_MAX, false);
	}
}

/* A new element of participants, records or attachments: must be an object. */
static int on_element(struct parse *p, sqlite3_int64 id, size_t count, size_t max)
{
	if (want_type(p, "object", "an object") != 0)
		return -1;
	if (count >= max) {
		char msg[96];
		snprintf(msg, sizeof msg, "more than %zu entries", max);
		return fail(p, msg);
	}
	p->cur = id;
	p->cur_array = sqlite3_column_int64(p->st, 1);
	p->cur_seen = 0;
	return 0;
}

static int on_part_member(struct parse *p)
{
	struct outcome_participant *x = &p->o->participants[p->o->nparticipants - 1];
	int k = key_index(part_keys, row_key(p));
	if (k < 0)
		return unknown_key(p, part_keys);
	if (see(p, &p->cur_seen, k) != 0)
		return -1;
	if (k == 0)
		return take_text(p, &x->name, NULL, true, OUTCOME_LINE_MAX, true);
	if (take_text(p, &x->kind, NULL, true, 32, true) != 0)
		return -1;
	return is_token(x->kind, 32) ? 0 : fail(p, "a kind is lowercase ASCII: letters, digits and '-'");
}

static int on_rec_member(struct parse *p)
{
	struct outcome_record *x = &p->o->records[p->o->nrecords - 1];
	int k = key_index(rec_keys, row_key(p));
	if (k < 0)
		return unknown_key(p, rec_keys);
	if (see(p, &p->cur_seen, k) != 0)
		return -1;
	switch (k) {
	case 0:
		if (take_text(p, &x->kind, NULL, true, 32, true) != 0)
			return -1;
		return is_token(x->kind, 32) ? 0 : fail(p, "a kind is lowercase ASCII: letters, digits and '-'");
	case 1:
		if (take_text(p, &x->lang, NULL, true, 35, true) != 0)
			return -1;
		return is_lang(x->lang) ? 0 : fail(p, "expected a language tag such as \"ar\" or \"en\"");
	case 2: return take_text(p, &x->title, NULL, true, OUTCOME_LINE_MAX, true);
	default: return take_text(p, &x->body, &x->body_len, false, OUTCOME_TEXT_MAX, false);
	}
}

static int on_att_member(struct parse *p)
{
	struct outcome_attachment *x = &p->o->attachments[p->o->nattachments - 1];
	int k = key_index(att_keys, row_key(p));
	if (k < 0)
		return unknown_key(p, att_keys);
	if (see(p, &p->cur_seen, k) != 0)
		return -1;
	if (k == 0) {
		if (take_text(p, &x->path, NULL, true, OUTCOME_PATH_MAX, true) != 0)
			return -1;
		const char *why = outcome_path_problem(x->path);
		return why ? fail(p, why) : 0;
	}
	if (k == 1)
		return take_text(p, &x->caption, NULL, true, OUTCOME_LINE_MAX, false);
	if (strcmp(row_type(p), "null") == 0) {
		x->record = 0;
		return 0;
	}
	if (want_type(p, "integer", "a record number (or null)") != 0)
		return -1;
	sqlite3_int64 v = sqlite3_column_int64(p->st, 4);
	if (v < 1)
		return fail(p, "record numbers start at 1");
	x->record = (uint64_t)v;
	return 0;
}

static int on_row(struct parse *p)
{
	struct outcome *o = p->o;
	sqlite3_int64 id = sqlite3_column_int64(p->st, 0);
	if (sqlite3_column_type(p->st, 1) == SQLITE_NULL) {
		p->root = id;
		return want_type(p, "object", "an object");
	}
	sqlite3_int64 parent = sqlite3_column_int64(p->st, 1);
	if (parent == p->root)
		return on_root_member(p, id);
	if (parent == p->conf)
		return on_conf_member(p);
	if (parent == p->parts) {
		if (on_element(p, id, o->nparticipants, OUTCOME_PARTICIPANTS_MAX) != 0 ||
		    !(o->participants = grow(o->participants, o->nparticipants, &p->cap_parts,
					     sizeof *o->participants, p->e)))
			return -1;
		o->nparticipants++;
		return 0;
	}
	if (parent == p->recs) {
		if (on_element(p, id, o->nrecords, OUTCOME_RECORDS_MAX) != 0 ||
		    !(o->records = grow(o->records, o->nrecords, &p->cap_recs, sizeof *o->records, p->e)))
			return -1;
		o->nrecords++;
		return 0;
	}
	if (parent == p->atts) {
		if (on_element(p, id, o->nattachments, OUTCOME_ATTACHMENTS_MAX) != 0 ||
		    !(o->attachments = grow(o->attachments, o->nattachments, &p->cap_atts,
					    sizeof *o->attachments, p->e)))
			return -1;
		o->attachments[o->nattachments].index = o->nattachments;
		o->nattachments++;
		return 0;
	}
	if (parent == p->cur && p->cur >= 0) {
		/* p->cur belongs to the array whose element was seen last. */
		sqlite3_int64 arr = p->cur_array;
		if (arr == p->parts)
			return on_part_member(p);
		if (arr == p->recs)
			return on_rec_member(p);
		return on_att_member(p);
	}
	return fail(p, "unexpected value");
}

/* The required members of every object, once all rows are in. */
static int check_complete(struct outcome *o, unsigned root_seen, unsigned conf_seen,
			  struct err *e)
{
	for (int k = 0; k < 3; k++)
		if (!(root_seen & (1u << k)))
			return err_set(e, ERR_FORMAT, "outcome.json: the top level: missing \"%s\"",
				       root_keys[k]);
	for (int k = 0; conf_keys[k]; k++)
		if (!(conf_seen & (1u << k)))
			return err_set(e, ERR_FORMAT, "outcome.json: conference: missing \"%s\"",
				       conf_keys[k]);
	for (size_t i = 0; i < o->nparticipants; i++) {
		struct outcome_participant *x = &o->participants[i];
		const char *miss = !x->name ? "name" : !x->kind ? "kind" : NULL;
		if (miss)
			return err_set(e, ERR_FORMAT, "outcome.json: participants[%zu]: missing \"%s\"", i, miss);
	}
	if (o->nrecords == 0)
		return err_set(e, ERR_FORMAT, "outcome.json: records: an outcome needs at least one record");
	for (size_t i = 0; i < o->nrecords; i++) {
		struct outcome_record *x = &o->records[i];
		const char *miss = !x->kind ? "kind" : !x->lang ? "lang" : !x->title ? "title" : !x->body ? "body" : NULL;
		if (miss)
			return err_set(e, ERR_FORMAT, "outcome.json: records[%zu]: missing \"%s\"", i, miss);
	}
	for (size_t i = 0; i < o->nattachments; i++) {
		struct outcome_attachment *x = &o->attachments[i];
		const char *miss = !x->path ? "path" : !x->caption ? "caption" : NULL;
		if (miss)
			return err_set(e, ERR_FORMAT, "outcome.json: attachments[%zu]: missing \"%s\"", i, miss);
		if (x->record > o->nrecords)
			return err_set(e, ERR_FORMAT, "outcome.json: attachments[%zu].record: there is no record %llu (the outcome has %zu)",
				       i, (unsigned long long)x->record, o->nrecords);
		/* The name must come back from the inner tar as the manifest lists it. */
		size_t pl = strlen(x->path);
		char *member = malloc(pl + 7);
		if (!member)
			return err_set(e, ERR_IO, "out of memory");
		memcpy(member, "files/", 6);
		memcpy(member + 6, x->path, pl + 1);
		int same = tar_name_roundtrips(member, e);
		free(member);
		if (same < 0)
			return -1;
		if (!same) {
			char *shown = text_display(x->path, pl);
			err_set(e, ERR_FORMAT, "outcome.json: attachments[%zu].path: '%s' is in a decomposed Unicode form (NFD), which tar would store composed (NFC): the name would not come back as written",
				i, shown ? shown : "?");
			free(shown);
			return err_hint(e, "rename the file and its path in outcome.json to the composed form, for example with 'convmv -r -f utf8 -t utf8 --nfc --notest FOLDER'");
		}
	}
	return 0;
}

static int cmp_att(const void *a, const void *b)
{
	return strcmp(((const struct outcome_attachment *)a)->path,
		      ((const struct outcome_attachment *)b)->path);
}

/* Byte order after ASCII case folding: two paths equal this way would collide on a
 * case-insensitive file system when a member state opens the bundle. */
static int cmp_folded(const void *a, const void *b)
{
	const unsigned char *x = (const unsigned char *)(*(const struct outcome_attachment *const *)a)->path;
	const unsigned char *y = (const unsigned char *)(*(const struct outcome_attachment *const *)b)->path;
	for (;; x++, y++) {
		int cx = *x >= 'A' && *x <= 'Z' ? *x + 32 : *x;
		int cy = *y >= 'A' && *y <= 'Z' ? *y + 32 : *y;
		if (cx != cy || !cx)
			return cx - cy;
	}
}

static int listed_twice(const char *path, const char *other, size_t index, struct err *e)
{
	char *d = text_display(path, strlen(path));
	char *o = other ? text_display(other, strlen(other)) : NULL;
	if (other)
		err_set(e, ERR_FORMAT, "outcome.json: attachments[%zu].path: '%s' is listed twice: it differs from '%s' only in letter case",
			index, d ? d : "?", o ? o : "?");
	else
		err_set(e, ERR_FORMAT, "outcome.json: attachments[%zu].path: '%s' is listed twice", index, d ? d : "?");
	free(d);
	free(o);
	return err_hint(e, "list each file once; files whose names differ only in letter case would collide where a member state opens the bundle");
}

/* Sorts attachments by path and refuses duplicates, exact or by letter case. */
static int sort_attachments(struct outcome *o, struct err *e)
{
	size_t n = o->nattachments;
	if (n == 0)
		return 0;
	qsort(o->attachments, n, sizeof *o->attachments, cmp_att);
	for (size_t i = 0; i < n; i++)
		o->attachments[i].media_type = outcome_media_type(o->attachments[i].path);
	for (size_t i = 1; i < n; i++)
		if (strcmp(o->attachments[i - 1].path, o->attachments[i].path) == 0)
			return listed_twice(o->attachments[i].path, NULL,
					    o->attachments[i].index > o->attachments[i - 1].index ? o->attachments[i].index
												  : o->attachments[i - 1].index,
					    e);
	struct outcome_attachment **by = malloc(n * sizeof *by);
	if (!by)
		return err_set(e, ERR_IO, "out of memory");
	for (size_t i = 0; i < n; i++)
		by[i] = &o->attachments[i];
	qsort(by, n, sizeof *by, cmp_folded);
	int rc = 0;
	for (size_t i = 1; i < n && rc == 0; i++)
		if (cmp_folded(&by[i - 1], &by[i]) == 0) {
			/* The one listed later is the one named, with its own path. */
			bool second = by[i]->index > by[i - 1]->index;
			const struct outcome_attachment *later = second ? by[i] : by[i - 1];
			rc = listed_twice(later->path, (second ? by[i - 1] : by[i])->path, later->index, e);
		}
	free(by);
	return rc;
}

/* Each attachment must be a regular file inside basedir (after symlinks are resolved). */
static int check_files(struct outcome *o, const char *basedir, struct err *e)
{
	char base[PATH_MAX], real[PATH_MAX];
	if (!realpath(basedir, base))
		return err_errno(e, ERR_IO, "cannot resolve the outcome's folder '%s'", basedir);
	size_t bl = strlen(base);
	for (size_t i = 0; i < o->nattachments; i++) {
		struct outcome_attachment *x = &o->attachments[i];
		char *shown = text_display(x->path, strlen(x->path));
		int rc = 0;
		if (!(x->source = io_join(basedir, x->path))) {
			rc = err_set(e, ERR_IO, "out of memory");
		} else if (!realpath(x->source, real)) {
			rc = err_errno(e, ERR_FORMAT, "outcome.json: attachments[%zu].path: '%s' cannot be read", x->index,
				       shown ? shown : "?");
			err_hint(e, "attachment paths are relative to the folder of outcome.json");
		} else if (strncmp(real, base, bl) != 0 || (real[bl] != '/' && bl > 1)) {
			rc = err_set(e, ERR_FORMAT, "outcome.json: attachments[%zu].path: '%s' is outside the outcome's folder",
				     x->index, shown ? shown : "?");
			err_hint(e, "copy the file into the folder of outcome.json (links leading out are refused)");
		} else {
			struct stat st;
			if (stat(real, &st) != 0 || !S_ISREG(st.st_mode))
				rc = err_set(e, ERR_FORMAT, "outcome.json: attachments[%zu].path: '%s' is not a regular file",
					     x->index, shown ? shown : "?");
			else
				x->size = (uint64_t)st.st_size;
		}
		free(shown);
		if (rc != 0)
			return -1;
	}
	return 0;
}

/* ---- JSON syntax, checked before SQLite sees the text --------------------------------------
 *
 * SQLite's JSON functions (3.40, Debian 12's) accept some malformed documents (an object
 * whose key is not a string: '{{...') and json_tree then crashes on them. So the text is
 * checked against RFC 8259's grammar first, by this small iterative scanner, which also says
 * where the first error is. (UTF-8 and escaped NULs are checked separately.) */

#define JSON_DEPTH_MAX 32 /* outcome.json needs 4 */

static bool json_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool json_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool json_hex(char c)
{
	return json_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* A string starting at s[*i] == '"'; *i ends past its closing quote. */
static const char *json_string(const char *s, size_t n, size_t *i)
{
	size_t j = *i + 1;
	while (j < n && s[j] != '"') {
		unsigned char c = (unsigned char)s[j];
		if (c < 0x20) {
			*i = j;
			return "a control character inside a string (write it as an escape)";
		}
		if (c == '\\') {
			if (j + 1 >= n)
				break;
			char x = s[j + 1];
			if (x == 'u') {
				if (j + 5 >= n || !json_hex(s[j + 2]) || !json_hex(s[j + 3]) || !json_hex(s[j + 4]) ||
				    !json_hex(s[j + 5])) {
					*i = j;
					return "a \\u escape without four hex digits";
				}
				j += 6;
				continue;
			}
			if (!strchr("\"\\/bfnrt", x) || !x) {
				*i = j;
				return "an unknown escape in a string";
			}
			j += 2;
			continue;
		}
		j++;
	}
	if (j >= n) {
		*i = n;
		return "a string that does not end";
	}
	*i = j + 1;
	return NULL;
}

/* A number at s[*i]; *i ends past it. */
static const char *json_number(const char *s, size_t n, size_t *i)
{
	size_t j = *i;
	if (j < n && s[j] == '-')
		j++;
	if (j < n && s[j] == '0') {
		j++;
	} else if (j < n && json_digit(s[j])) {
		while (j < n && json_digit(s[j]))
			j++;
	} else {
		*i = j;
		return "a malformed number";
	}
	if (j < n && s[j] == '.') {
		j++;
		if (j >= n || !json_digit(s[j])) {
			*i = j;
			return "a malformed number";
		}
		while (j < n && json_digit(s[j]))
			j++;
	}
	if (j < n && (s[j] == 'e' || s[j] == 'E')) {
		j++;
		if (j < n && (s[j] == '+' || s[j] == '-'))
			j++;
		if (j >= n || !json_digit(s[j])) {
			*i = j;
			return "a malformed number";
		}
		while (j < n && json_digit(s[j]))
			j++;
	}
	*i = j;
	return NULL;
}

/* NULL when s[0..n) is one JSON value (RFC 8259); else what is wrong, at byte *at. */
static const char *json_syntax(const char *s, size_t n, size_t *at)
{
	enum { VALUE, VALUE_OR_END, KEY, KEY_OR_END, AFTER } state = VALUE;
	char stack[JSON_DEPTH_MAX];
	size_t depth = 0, i = 0;
	const char *why = NULL;
	if (n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
		*at = 0;
		return "it starts with a byte order mark (save it as UTF-8 without BOM)";
	}
	for (;;) {
		while (i < n && json_ws(s[i]))
			i++;
		if (i == n) {
			*at = n;
			return state == AFTER && depth == 0 ? NULL : "the text ends before the JSON does";
		}
		char c = s[i];
		switch (state) {
		case VALUE_OR_END:
		case KEY_OR_END:
			if (c == (state == VALUE_OR_END ? ']' : '}')) {
				depth--;
				i++;
				state = AFTER;
			} else {
				state = state == VALUE_OR_END ? VALUE : KEY;
			}
			continue;
		case KEY:
			if (c != '"') {
				why = "expected a string (the key of an object's member)";
				break;
			}
			if ((why = json_string(s, n, &i)) != NULL)
				break;
			while (i < n && json_ws(s[i]))
				i++;
			if (i >= n || s[i] != ':') {
				why = "expected ':' after an object's key";
				break;
			}
			i++;
			state = VALUE;
			continue;
		case VALUE:
			if (c == '{' || c == '[') {
				if (depth == JSON_DEPTH_MAX) {
					why = "objects and arrays nested too deeply";
					break;
				}
				stack[depth++] = c;
				i++;
				state = c == '{' ? KEY_OR_END : VALUE_OR_END;
				continue;
			}
			if (c == '"')
				why = json_string(s, n, &i);
			else if (c == '-' || json_digit(c))
				why = json_number(s, n, &i);
			else if (n - i >= 4 && memcmp(s + i, "true", 4) == 0)
				i += 4;
			else if (n - i >= 5 && memcmp(s + i, "false", 5) == 0)
				i += 5;
			else if (n - i >= 4 && memcmp(s + i, "null", 4) == 0)
				i += 4;
			else
				why = "expected a value";
			if (why)
				break;
			state = AFTER;
			continue;
		case AFTER:
			if (depth == 0) {
				why = "more text after the end of the JSON";
			} else if (c == ',') {
				i++;
				state = stack[depth - 1] == '{' ? KEY : VALUE;
				continue;
			} else if (c == (stack[depth - 1] == '{' ? '}' : ']')) {
				depth--;
				i++;
				continue;
			} else {
				why = stack[depth - 1] == '{' ? "expected ',' or '}'" : "expected ',' or ']'";
			}
			break;
		}
		*at = i;
		return why;
	}
}

/* The JSON path of the value that contains byte offset at of json[0..len), for messages
 * about bytes SQLite never gets to see (invalid UTF-8). A small scanner: objects, arrays,
 * strings with escapes, and the other tokens; no validation beyond what finding the path
 * needs. Writes "the top level" when at is outside any value it can name. */
static void json_path_at(const char *json, size_t len, size_t at, char *out, size_t cap)
{
	struct frame {
		bool array;
		size_t index;
		size_t key_start, key_len; /* of the current member's key */
	} st[64];
	int depth = -1;
	bool want_key = false;
	snprintf(out, cap, "the top level");
	for (size_t i = 0; i < len && i <= at; i++) {
		char c = json[i];
		if (c == '{' || c == '[') {
			if (depth + 1 >= 64)
				return;
			depth++;
			st[depth].array = c == '[';
			st[depth].index = 0;
			st[depth].key_len = 0;
			want_key = c == '{';
		} else if (c == '}' || c == ']') {
			if (depth >= 0)
				depth--;
			want_key = false;
		} else if (c == ',' && depth >= 0) {
			if (st[depth].array)
				st[depth].index++;
			else
				want_key = true;
		} else if (c == '"') {
			size_t start = i + 1, j = start;
			while (j < len && json[j] != '"')
				j += json[j] == '\\' && j + 1 < len ? 2 : 1;
			if (j > len)
				j = len;
			if (want_key && depth >= 0) {
				st[depth].key_start = start;
				st[depth].key_len = j - start;
				want_key = false;
			} else if (at >= start && at <= j) {
				break; /* inside this string value */
			}
			i = j;
		}
	}
	size_t o = 0;
	for (int d = 0; d <= depth && o + 1 < cap; d++) {
		if (st[d].array)
			o += (size_t)snprintf(out + o, cap - o, "[%zu]", st[d].index);
		else if (st[d].key_len)
			o += (size_t)snprintf(out + o, cap - o, "%s%.*s", o ? "." : "", (int)st[d].key_len,
					     json + st[d].key_start);
		if (o >= cap)
			break;
	}
	if (o == 0)
		snprintf(out, cap, "the top level");
}

/* The offset of the first byte that is not UTF-8, or len. */
static size_t bad_utf8_at(const char *s, size_t len)
{
	size_t i = 0;
	while (i < len) {
		uint32_t cp;
		size_t k = text_utf8_next(s + i, len - i, &cp);
		if (k == 0)
			return i;
		i += k;
	}
	return len;
}

/* SQLite's JSON functions cut a string at an escaped NUL ("a\u0000b" reads as "a"), which
 * would silently change text; such escapes are refused before SQLite sees them. Returns the
 * offset of the first one, or len. */
static size_t escaped_nul(const char *json, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if (json[i] != '\\')
			continue;
		if (json[i + 1] == 'u' && i + 5 < len && strncmp(json + i + 2, "0000", 4) == 0)
			return i;
		i++; /* skip the escaped character, so "\\u0000" is not taken for one */
	}
	return len;
}

int outcome_parse(const char *json, size_t len, const char *basedir, struct outcome *out,
		  struct err *e)
{
	struct parse p = {0};
	sqlite3 *db = NULL;
	int rc = -1;

	memset(out, 0, sizeof *out);
	p.o = out;
	p.e = e;
	p.root = p.conf = p.parts = p.recs = p.atts = p.cur = p.cur_array = -1;
	if (len > OUTCOME_FILE_MAX)
		return err_set(e, ERR_FORMAT, "outcome.json is larger than %u bytes", OUTCOME_FILE_MAX);
	if (memchr(json, 0, len))
		return err_set(e, ERR_FORMAT, "outcome.json contains a NUL byte");
	size_t bad = bad_utf8_at(json, len);
	if (bad < len) {
		char path[512];
		json_path_at(json, len, bad, path, sizeof path);
		char *shown = text_display(path, strlen(path));
		err_set(e, ERR_FORMAT, "outcome.json: %s: the text is not valid UTF-8 (byte %zu)", shown ? shown : "?", bad);
		free(shown);
		return -1;
	}
	size_t nul = escaped_nul(json, len);
	if (nul < len) {
		char path[512];
		json_path_at(json, len, nul, path, sizeof path);
		char *shown = text_display(path, strlen(path));
		err_set(e, ERR_FORMAT, "outcome.json: %s: the text contains a NUL character (escaped as u0000, at byte %zu)",
			shown ? shown : "?", nul);
		free(shown);
		return err_hint(e, "remove the NUL character: amana stores text byte for byte, and a NUL would cut it");
	}
	size_t at;
	const char *why = json_syntax(json, len, &at);
	if (why) {
		size_t line = 1, col = 1;
		for (size_t k = 0; k < at && k < len; k++) {
			if (json[k] == '\n') {
				line++;
				col = 1;
			} else if (((unsigned char)json[k] & 0xc0) != 0x80) {
				col++;
			}
		}
		err_set(e, ERR_FORMAT, "outcome.json is not valid JSON: line %zu, column %zu: %s", line, col, why);
		return err_hint(e, "check it with: sqlite3 :memory: \"select json(readfile('outcome.json'))\"");
	}
	if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
	    store_harden(db, e) != 0) {
		err_set(e, ERR_INTERNAL, "cannot open SQLite in memory");
		goto done;
	}
	if (sqlite3_prepare_v2(db, "SELECT json_valid(?1)", -1, &p.st, NULL) != SQLITE_OK) {
		err_set(e, ERR_INTERNAL, "SQLite has no JSON functions: %s", sqlite3_errmsg(db));
		goto done;
	}
	sqlite3_bind_text(p.st, 1, json, (int)len, SQLITE_STATIC);
	if (sqlite3_step(p.st) != SQLITE_ROW || sqlite3_column_int(p.st, 0) != 1) {
		err_set(e, ERR_FORMAT, "outcome.json is not valid JSON");
		err_hint(e, "check it with: sqlite3 :memory: \"select json(readfile('outcome.json'))\"");
		goto done;
	}
	sqlite3_finalize(p.st);
	if (sqlite3_prepare_v2(db, "SELECT id, parent, key, type, atom, fullkey FROM json_tree(?1)",
			       -1, &p.st, NULL) != SQLITE_OK) {
		err_set(e, ERR_INTERNAL, "cannot walk the JSON: %s", sqlite3_errmsg(db));
		goto done;
	}
	sqlite3_bind_text(p.st, 1, json, (int)len, SQLITE_STATIC);
	int step;
	while ((step = sqlite3_step(p.st)) == SQLITE_ROW)
		if (on_row(&p) != 0)
			goto done;
	if (step != SQLITE_DONE) {
		err_set(e, ERR_FORMAT, "outcome.json cannot be read: %s", sqlite3_errmsg(db));
		goto done;
	}
	if (check_complete(out, p.root_seen, p.conf_seen, e) != 0 || sort_attachments(out, e) != 0)
		goto done;
	if (basedir && check_files(out, basedir, e) != 0)
		goto done;
	rc = 0;
done:
	sqlite3_finalize(p.st);
	sqlite3_close(db);
	return rc;
}

int outcome_load(const char *path, struct outcome *out, struct err *e)
{
	unsigned char *json = NULL;
	size_t len = 0;
	memset(out, 0, sizeof *out);
	if (io_read_file(path, OUTCOME_FILE_MAX, &json, &len, e) != 0)
		return -1;
	char *dir = io_dirname(path);
	int rc = dir ? outcome_parse((const char *)json, len, dir, out, e)
		     : err_set(e, ERR_IO, "out of memory");
	free(dir);
	free(json);
	return rc;
}

int outcome_each_record(const struct outcome *o, outcome_record_fn fn, void *ctx, struct err *e)
{
	for (size_t i = 0; i < o->nrecords; i++) {
		int rc = fn(ctx, i + 1, &o->records[i], e);
		if (rc != 0)
			return rc;
	}
	return 0;
}

void outcome_free(struct outcome *o)
{
	free(o->series);
	free(o->title);
	free(o->venue);
	free(o->held_from);
	free(o->held_to);
	free(o->organizer);
	for (size_t i = 0; i < o->nparticipants; i++) {
		free(o->participants[i].name);
		free(o->participants[i].kind);
	}
	free(o->participants);
	for (size_t i = 0; i < o->nrecords; i++) {
		free(o->records[i].kind);
		free(o->records[i].lang);
		free(o->records[i].title);
		free(o->records[i].body);
	}
	free(o->records);
	for (size_t i = 0; i < o->nattachments; i++) {
		free(o->attachments[i].path);
		free(o->attachments[i].source);
		free(o->attachments[i].caption);
	}
	free(o->attachments);
	memset(o, 0, sizeof *o);
}

const char *outcome_media_type(const char *path)
{
	static const char *const types[][2] = {
		{"pdf", "application/pdf"}, {"png", "image/png"}, {"jpg", "image/jpeg"},
		{"jpeg", "image/jpeg"}, {"gif", "image/gif"}, {"webp", "image/webp"},
		{"svg", "image/svg+xml"}, {"tif", "image/tiff"}, {"tiff", "image/tiff"},
		{"txt", "text/plain; charset=utf-8"}, {"md", "text/markdown; charset=utf-8"},
		{"csv", "text/csv; charset=utf-8"}, {"html", "text/html; charset=utf-8"},
		{"json", "application/json"}, {"xml", "application/xml"},
		{"doc", "application/msword"},
		{"docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
		{"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
		{"pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"},
		{"odt", "application/vnd.oasis.opendocument.text"},
		{"mp3", "audio/mpeg"}, {"wav", "audio/wav"}, {"ogg", "audio/ogg"}, {"opus", "audio/opus"},
		{"m4a", "audio/mp4"}, {"mp4", "video/mp4"}, {"webm", "video/webm"}, {"mkv", "video/x-matroska"},
		{"zip", "application/zip"}, {"tar", "application/x-tar"},
	};
	const char *base = io_basename(path);
	const char *dot = strrchr(base, '.');
	if (!dot || dot == base)
		return "application/octet-stream";
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
		const char *x = types[i][0], *y = dot + 1;
		while (*x && (*y == *x || *y == *x - 32)) {
			x++;
			y++;
		}
		if (!*x && !*y)
			return types[i][1];
	}
	return "application/octet-stream";
}

const char *outcome_path_problem(const char *path)
{
	size_t n = strlen(path);
	if (n == 0)
		return "the path is empty";
	if (n > OUTCOME_PATH_MAX)
		return "the path is too long";
	if (!text_utf8_valid(path, n))
		return "the path is not valid UTF-8";
	if (text_has_controls(path, n))
		return "the path contains control characters";
	if (path[0] == '/')
		return "the path is absolute; attachment paths are relative to outcome.json's folder";
	if (strchr(path, '\\'))
		return "the path contains a backslash; use '/' between folders";
	const char *c = path;
	while (c) {
		const char *slash = strchr(c, '/');
		size_t k = slash ? (size_t)(slash - c) : strlen(c);
		if (k == 0)
			return "the path has an empty component ('//' or a trailing '/')";
		if ((k == 1 && c[0] == '.') || (k == 2 && c[0] == '.' && c[1] == '.'))
			return "the path uses '.' or '..'";
		if (k > OUTCOME_COMPONENT_MAX)
			return "a component of the path is too long";
		c = slash ? slash + 1 : NULL;
	}
	return NULL;
}
