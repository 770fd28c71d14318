/*
 * outcome_files.c - what an attachment of outcome.json may be. See outcome_files.h.
 *
 * Apart from the reader in outcome.c because none of it is about JSON: the path rules
 * (which verify.c and extract.c apply again to the names inside a bundle), the media types
 * from extensions, and, once the whole document is read, the attachments sorted by path,
 * duplicates refused (exact, or equal after ASCII case folding, which would collide on a
 * case-insensitive file system) and each file checked to be a regular file inside the
 * outcome's folder.
 */
#include "vault/outcome_files.h"

#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "vault/io.h"
#include "vault/text.h"

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

int outcome_files_sort(struct outcome *o, struct err *e)
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

int outcome_files_check(struct outcome *o, const char *basedir, struct err *e)
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
