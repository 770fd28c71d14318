/*
 * bundle.c - tar writing and strict tar reading on libarchive, for the .amana container and
 * the payload's inner tar. See bundle.h.
 */
#include "vault/bundle.h"

#include <archive.h>
#include <archive_entry.h>
#include <langinfo.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vault/text.h"

#define READ_BLOCK 65536

/* libarchive converts names through the calling thread's LC_CTYPE. Names in amana's tars are
 * UTF-8, so every call into libarchive runs under a UTF-8 locale (C.UTF-8), whatever the
 * process's locale: the bytes written and the names read are then the same everywhere.
 * Where no UTF-8 locale exists, the process's own is used (writing then falls back to raw
 * names with hdrcharset=BINARY). */
static locale_t utf8_locale(void)
{
	static locale_t loc;
	static bool tried;
	if (!tried) {
		tried = true;
		loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
		if (!loc)
			loc = newlocale(LC_CTYPE_MASK, "C.utf8", (locale_t)0);
	}
	return loc;
}

/* Enters the UTF-8 locale for this thread; returns what to restore with leave_utf8. */
static locale_t enter_utf8(void)
{
	locale_t loc = utf8_locale();
	return loc ? uselocale(loc) : (locale_t)0;
}

static void leave_utf8(locale_t old)
{
	if (old)
		uselocale(old);
}

/* ---- writing ---------------------------------------------------------------------------- */

struct tar_writer {
	struct archive *a;
	struct archive_entry *entry;
	tar_write_fn write;
	void *ctx;
	int64_t mtime;
	bool utf8; /* the locale's character set is UTF-8 */
	bool discard; /* stopped: libarchive's remaining output goes nowhere */
	uint64_t remaining; /* bytes the current entry still expects */
	struct err cb_err; /* what the write callback reported */
	bool cb_failed;
};

static la_ssize_t write_cb(struct archive *a, void *data, const void *buf, size_t len)
{
	struct tar_writer *w = data;
	(void)a;
	if (w->discard)
		return (la_ssize_t)len;
	if (w->write(w->ctx, buf, len, &w->cb_err) != 0) {
		w->cb_failed = true;
		return -1;
	}
	return (la_ssize_t)len;
}

/* Reports a libarchive failure, preferring what our own callback said. */
static int writer_fail(struct tar_writer *w, const char *what, struct err *e)
{
	if (w->cb_failed) {
		err_copy(e, &w->cb_err);
		return -1;
	}
	return err_set(e, ERR_IO, "%s: %s", what, archive_error_string(w->a) ? archive_error_string(w->a) : "libarchive failed");
}

static int writer_open(struct tar_writer **out, tar_write_fn write, void *ctx, int64_t mtime,
		       struct err *e);

int tar_writer_open(struct tar_writer **out, tar_write_fn write, void *ctx, int64_t mtime,
		    struct err *e)
{
	locale_t old = enter_utf8();
	int rc = writer_open(out, write, ctx, mtime, e);
	leave_utf8(old);
	return rc;
}

static int writer_open(struct tar_writer **out, tar_write_fn write, void *ctx, int64_t mtime,
		       struct err *e)
{
	struct tar_writer *w = calloc(1, sizeof *w);
	*out = NULL;
	if (!w || !(w->a = archive_write_new()) || !(w->entry = archive_entry_new())) {
		tar_writer_abort(w);
		return err_set(e, ERR_IO, "out of memory");
	}
	w->write = write;
	w->ctx = ctx;
	w->mtime = mtime;
	/* libarchive turns names into pax "path" records through the locale's character set.
	 * Under a UTF-8 locale (cli/main.c asks for C.UTF-8) names pass unchanged and stock tar
	 * reads them quietly; elsewhere they are written as raw bytes with hdrcharset=BINARY,
	 * which round-trips too (GNU tar names the keyword it does not know, then goes on). */
	const char *cs = nl_langinfo_l(CODESET, uselocale((locale_t)0));
	w->utf8 = cs && (strcmp(cs, "UTF-8") == 0 || strcmp(cs, "utf8") == 0);
	/* pax_restricted: plain ustar headers unless a name or size needs a pax record; no
	 * blocking, so the archive ends right after its two zero blocks. */
	if (archive_write_set_format_pax_restricted(w->a) != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(w->a, 0) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(w->a, 1) != ARCHIVE_OK ||
	    (!w->utf8 && archive_write_set_options(w->a, "hdrcharset=BINARY") != ARCHIVE_OK) ||
	    archive_write_open(w->a, w, NULL, write_cb, NULL) != ARCHIVE_OK) {
		int rc = writer_fail(w, "cannot start the tar", e);
		tar_writer_abort(w);
		return rc;
	}
	*out = w;
	return 0;
}

int tar_writer_entry(struct tar_writer *w, const char *name, uint64_t size, struct err *e)
{
	locale_t old = enter_utf8();
	struct archive_entry *en = w->entry;
	archive_entry_clear(en);
	if (w->utf8)
		archive_entry_set_pathname_utf8(en, name);
	else
		archive_entry_copy_pathname(en, name);
	archive_entry_set_filetype(en, AE_IFREG);
	archive_entry_set_perm(en, 0644);
	archive_entry_set_size(en, (la_int64_t)size);
	archive_entry_set_mtime(en, (time_t)w->mtime, 0);
	archive_entry_set_uid(en, 0);
	archive_entry_set_gid(en, 0);
	int rc = archive_write_header(w->a, en) != ARCHIVE_OK ? writer_fail(w, "cannot write a tar header", e) : 0;
	w->remaining = rc == 0 ? size : 0;
	leave_utf8(old);
	return rc;
}

int tar_writer_data(struct tar_writer *w, const void *buf, size_t len, struct err *e)
{
	const unsigned char *p = buf;
	while (len > 0) {
		la_ssize_t n = archive_write_data(w->a, p, len);
		if (n <= 0)
			return writer_fail(w, "cannot write tar data", e);
		p += n;
		len -= (size_t)n;
		w->remaining -= (uint64_t)n < w->remaining ? (uint64_t)n : w->remaining;
	}
	return 0;
}

int tar_writer_file(struct tar_writer *w, const char *name, const void *buf, size_t len,
		    struct err *e)
{
	if (tar_writer_entry(w, name, len, e) != 0 || tar_writer_data(w, buf, len, e) != 0)
		return -1;
	return 0;
}

int tar_writer_close(struct tar_writer *w, struct err *e)
{
	int rc = 0;
	if (archive_write_close(w->a) != ARCHIVE_OK)
		rc = writer_fail(w, "cannot finish the tar", e);
	if (rc != 0)
		w->discard = true;
	archive_write_free(w->a);
	archive_entry_free(w->entry);
	free(w);
	return rc;
}

int tar_writer_detach(struct tar_writer *w, struct err *e)
{
	int rc = 0;
	if (archive_write_finish_entry(w->a) != ARCHIVE_OK)
		rc = writer_fail(w, "cannot finish a tar entry", e);
	tar_writer_abort(w);
	return rc;
}

/* Stops a writer: whatever libarchive still wants to write (padding for a member's declared
 * size, the end blocks) goes nowhere, and everything is freed. (archive_write_fail would
 * skip the writing too, but libarchive 3.6 then leaks its output filter.) */
void tar_writer_abort(struct tar_writer *w)
{
	/* Zeros to feed an entry's remaining size into the void: libarchive hands data to the
	 * discarding callback without reading it, so this costs a call per MiB. */
	static const unsigned char zeros[1u << 20];
	if (!w)
		return;
	if (w->a) {
		w->discard = true;
		while (w->remaining > 0) {
			size_t n = w->remaining < sizeof zeros ? (size_t)w->remaining : sizeof zeros;
			if (archive_write_data(w->a, zeros, n) <= 0)
				break;
			w->remaining -= n;
		}
		archive_write_close(w->a);
		archive_write_free(w->a);
	}
	archive_entry_free(w->entry);
	free(w);
}

/* ---- reading ---------------------------------------------------------------------------- */

struct tar_reader {
	struct archive *a;
	const char *what;
	tar_read_fn read;
	void *ctx;
	unsigned char *buf;
	struct err cb_err;
	bool cb_failed;
	int fd;		   /* the file read, or -1 for a callback */
	uint64_t delivered; /* bytes the callback handed over */
	size_t last_len;    /* of the last block it handed over, still in buf */
	char *name;	   /* of the current member */
	uint64_t size;	   /* of the current member */
	uint64_t done;	   /* bytes of it read so far */
	unsigned members;  /* how many headers were read */
	/* A file is read strictly (see canonical_header): where the last member's data ends,
	 * and the mtime every header shares. */
	uint64_t member_end;
	int64_t mtime;
	uint64_t file_size;
};

static la_ssize_t read_cb(struct archive *a, void *data, const void **buf)
{
	struct tar_reader *r = data;
	size_t got = 0;
	(void)a;
	if (r->read(r->ctx, r->buf, READ_BLOCK, &got, &r->cb_err) != 0) {
		r->cb_failed = true;
		return -1;
	}
	*buf = r->buf;
	r->delivered += got;
	if (got)
		r->last_len = got;
	return (la_ssize_t)got;
}

static int reader_fail(struct tar_reader *r, const char *what, struct err *e)
{
	if (r->cb_failed) {
		err_copy(e, &r->cb_err);
		return -1;
	}
	const char *why = archive_error_string(r->a);
	return err_set(e, ERR_FORMAT, "%s is damaged: %s%s%s", r->what, what, why ? ": " : "",
		       why ? why : "");
}

static int reader_setup(struct tar_reader **out, const char *what, struct err *e)
{
	struct tar_reader *r = calloc(1, sizeof *r);
	*out = NULL;
	if (!r || !(r->a = archive_read_new())) {
		free(r);
		return err_set(e, ERR_IO, "out of memory");
	}
	r->what = what;
	r->fd = -1;
	/* Tar only, uncompressed only: anything else is not a bundle. */
	archive_read_support_format_tar(r->a);
	archive_read_support_filter_none(r->a);
	*out = r;
	return 0;
}

int tar_reader_open_fd(struct tar_reader **out, int fd, const char *what, struct err *e)
{
	struct tar_reader *r;
	struct stat st;
	if (fstat(fd, &st) != 0)
		return err_errno(e, ERR_IO, "cannot read %s", what);
	if (!S_ISREG(st.st_mode)) {
		err_set(e, ERR_IO, "%s is %s, not a file", what, S_ISDIR(st.st_mode) ? "a folder" : "a device or a pipe");
		return err_hint(e, "give the path of the .amana file itself");
	}
	if (reader_setup(&r, what, e) != 0)
		return -1;
	r->fd = fd;
	r->file_size = (uint64_t)st.st_size;
	if (archive_read_open_fd(r->a, fd, READ_BLOCK) != ARCHIVE_OK) {
		int rc = reader_fail(r, "cannot start reading", e);
		tar_reader_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

int tar_reader_open_cb(struct tar_reader **out, tar_read_fn read, void *ctx, const char *what,
		       struct err *e)
{
	struct tar_reader *r;
	if (reader_setup(&r, what, e) != 0)
		return -1;
	r->read = read;
	r->ctx = ctx;
	if (!(r->buf = malloc(READ_BLOCK))) {
		tar_reader_free(r);
		return err_set(e, ERR_IO, "out of memory");
	}
	if (archive_read_open(r->a, r, NULL, read_cb, NULL) != ARCHIVE_OK) {
		int rc = reader_fail(r, "cannot start reading", e);
		tar_reader_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

uint64_t tar_reader_data_offset(const struct tar_reader *r)
{
	return r->member_end - r->size;
}

void tar_reader_free(struct tar_reader *r)
{
	if (!r)
		return;
	archive_read_free(r->a);
	free(r->buf);
	free(r->name);
	free(r);
}

/* ---- strict reading of a file ------------------------------------------------------------
 *
 * A tar read from a file (the container) must be, byte for byte, what tar_writer writes for
 * the members found: libarchive alone would let headers carry other modes, owners or times,
 * padding carry any bytes, and the end blocks be missing, all outside what the signatures
 * cover. So each header is written again for the member's name, size and mtime and compared
 * with the bytes read, the padding and the end are read back and must be zeros, and every
 * header must carry the same mtime (the caller compares it with the envelope's time). */

/* Tar writers may pad an archive to a whole record with zero bytes (GNU tar to 10240); amana
 * writes no padding. Zeros after the end blocks are accepted, up to this much; any other
 * byte is refused. */
#define TRAILING_ZEROS_MAX (1u << 20)

static bool all_zero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

struct mem_sink {
	unsigned char buf[8192];
	size_t len;
};

static int mem_write(void *ctx, const void *buf, size_t len, struct err *e)
{
	struct mem_sink *m = ctx;
	if (len > sizeof m->buf - m->len)
		return err_set(e, ERR_FORMAT, "a tar header is too long");
	memcpy(m->buf + m->len, buf, len);
	m->len += len;
	return 0;
}

static uint64_t round_block(uint64_t n)
{
	return (n + 511) & ~(uint64_t)511;
}

/* Reads [from, to) of the file: they must all be zero bytes. */
static int zeros_at(struct tar_reader *r, uint64_t from, uint64_t to, bool *zero, struct err *e)
{
	unsigned char buf[4096];
	*zero = true;
	while (from < to) {
		size_t want = to - from < sizeof buf ? (size_t)(to - from) : sizeof buf;
		ssize_t n = pread(r->fd, buf, want, (off_t)from);
		if (n < 0)
			return err_errno(e, ERR_IO, "cannot read %s", r->what);
		if (n == 0)
			return err_set(e, ERR_FORMAT, "%s is truncated", r->what);
		if (!all_zero(buf, (size_t)n)) {
			*zero = false;
			return 0;
		}
		from += (uint64_t)n;
	}
	return 0;
}

static int not_canonical(struct tar_reader *r, const char *what, struct err *e)
{
	char *shown = r->name ? text_display(r->name, strlen(r->name)) : NULL;
	if (shown)
		err_set(e, ERR_FORMAT, "%s: %s of member '%s' is not as amana writes it", r->what, what, shown);
	else
		err_set(e, ERR_FORMAT, "%s: %s is not as amana writes it", r->what, what);
	free(shown);
	return err_hint(e, "the file was altered or rebuilt after it was sealed; ask its sender for a fresh copy");
}

static int canonical_header(struct tar_reader *r, struct archive_entry *en, struct err *e)
{
	uint64_t at = (uint64_t)archive_read_header_position(r->a);
	uint64_t data = (uint64_t)archive_filter_bytes(r->a, 0);
	int64_t mtime = (int64_t)archive_entry_mtime(en);
	bool zero;
	if (r->members == 1)
		r->mtime = mtime;
	else if (mtime != r->mtime)
		return not_canonical(r, "the time in the header", e);
	if (at != round_block(r->member_end))
		return not_canonical(r, "the position of the header", e);
	if (zeros_at(r, r->member_end, at, &zero, e) != 0)
		return -1;
	if (!zero)
		return not_canonical(r, "the padding before the header", e);
	/* Before the header is written again for this size (a writer that stops early still
	 * pads the member out, a call per MiB): the size must fit what the file holds. */
	if (data > r->file_size || r->size > r->file_size - data) {
		char *shown = text_display(r->name, strlen(r->name));
		err_set(e, ERR_FORMAT, "%s is truncated: member '%s' declares %llu bytes, the file holds %llu after its header",
			r->what, shown ? shown : "?", (unsigned long long)r->size,
			(unsigned long long)(data > r->file_size ? 0 : r->file_size - data));
		free(shown);
		return -1;
	}
	struct mem_sink *want = malloc(sizeof *want);
	unsigned char *got = NULL;
	struct tar_writer *w = NULL;
	int rc = -1;
	if (!want)
		return err_set(e, ERR_IO, "out of memory");
	want->len = 0;
	if (tar_writer_open(&w, mem_write, want, mtime, e) != 0 ||
	    tar_writer_entry(w, r->name, r->size, e) != 0)
		goto done;
	if (data < at || data - at != want->len) {
		rc = not_canonical(r, "the header", e);
		goto done;
	}
	if (!(got = malloc(want->len))) {
		rc = err_set(e, ERR_IO, "out of memory");
		goto done;
	}
	if (pread(r->fd, got, want->len, (off_t)at) != (ssize_t)want->len) {
		rc = err_errno(e, ERR_IO, "cannot read %s", r->what);
		goto done;
	}
	if (memcmp(got, want->buf, want->len) != 0) {
		rc = not_canonical(r, "the header", e);
		goto done;
	}
	r->member_end = data + r->size;
	rc = 0;
done:
	tar_writer_abort(w);
	free(got);
	free(want);
	return rc;
}

int tar_name_roundtrips(const char *name, struct err *e)
{
	struct mem_sink *m = malloc(sizeof *m);
	struct tar_writer *w = NULL;
	struct archive *a = NULL;
	struct archive_entry *en;
	int rc = -1;
	if (!m)
		return err_set(e, ERR_IO, "out of memory");
	m->len = 0;
	if (tar_writer_open(&w, mem_write, m, 0, e) != 0)
		goto done;
	if (tar_writer_entry(w, name, 0, e) != 0) {
		tar_writer_abort(w);
		goto done;
	}
	if (tar_writer_close(w, e) != 0)
		goto done;
	locale_t old = enter_utf8();
	if (!(a = archive_read_new()) || archive_read_support_format_tar(a) != ARCHIVE_OK ||
	    archive_read_open_memory(a, m->buf, m->len) != ARCHIVE_OK ||
	    archive_read_next_header(a, &en) != ARCHIVE_OK) {
		leave_utf8(old);
		rc = err_set(e, ERR_INTERNAL, "cannot read back a tar header: %s",
			     a && archive_error_string(a) ? archive_error_string(a) : "libarchive failed");
		goto done;
	}
	const char *back = archive_entry_pathname_utf8(en);
	if (!back)
		back = archive_entry_pathname(en);
	rc = back && strcmp(back, name) == 0;
	leave_utf8(old);
done:
	archive_read_free(a);
	free(m);
	return rc;
}

static int reader_next(struct tar_reader *r, const char **name, uint64_t *size, bool *end,
		       struct err *e);

int tar_reader_next(struct tar_reader *r, const char **name, uint64_t *size, bool *end,
		    struct err *e)
{
	locale_t old = enter_utf8();
	int rc = reader_next(r, name, size, end, e);
	leave_utf8(old);
	return rc;
}

static int reader_next(struct tar_reader *r, const char **name, uint64_t *size, bool *end,
		       struct err *e)
{
	struct archive_entry *en;
	*end = false;
	free(r->name);
	r->name = NULL;
	int rc = archive_read_next_header(r->a, &en);
	if (rc == ARCHIVE_EOF) {
		if (r->members == 0)
			return err_set(e, ERR_FORMAT, "%s is empty", r->what);
		*end = true;
		return 0;
	}
	if (rc != ARCHIVE_OK)
		return reader_fail(r, r->members ? "a member header is unreadable" : "not a tar archive", e);
	r->members++;
	/* POSIX tar only (ustar, with pax records where needed), as amana writes it: not GNU
	 * or v7 tar, whose extensions amana never uses. */
	int fmt = archive_format(r->a);
	if (fmt != ARCHIVE_FORMAT_TAR_USTAR && fmt != ARCHIVE_FORMAT_TAR_PAX_INTERCHANGE &&
	    fmt != ARCHIVE_FORMAT_TAR_PAX_RESTRICTED)
		return err_set(e, ERR_FORMAT, "%s is not a POSIX (ustar or pax) tar archive", r->what);
	const char *n = archive_entry_pathname_utf8(en);
	if (!n)
		n = archive_entry_pathname(en);
	if (!n || !(r->name = strdup(n)))
		return err_set(e, ERR_FORMAT, "%s has a member without a readable name", r->what);
	char *shown = text_display(r->name, strlen(r->name));
	int bad = 0;
	if (archive_entry_hardlink(en) || archive_entry_symlink(en) ||
	    archive_entry_filetype(en) != AE_IFREG)
		bad = err_set(e, ERR_FORMAT, "%s: member '%s' is not a regular file (links, devices and folders are refused)",
			      r->what, shown ? shown : "?");
	else if (archive_entry_sparse_count(en) > 0)
		bad = err_set(e, ERR_FORMAT, "%s: member '%s' is sparse", r->what, shown ? shown : "?");
	else if (!archive_entry_size_is_set(en) || archive_entry_size(en) < 0)
		bad = err_set(e, ERR_FORMAT, "%s: member '%s' has no size", r->what, shown ? shown : "?");
	free(shown);
	if (bad)
		return -1;
	r->size = (uint64_t)archive_entry_size(en);
	r->done = 0;
	if (r->fd >= 0 && canonical_header(r, en, e) != 0)
		return -1;
	*name = r->name;
	*size = r->size;
	return 0;
}

int tar_reader_expect(struct tar_reader *r, const char *want, uint64_t max, uint64_t *size,
		      struct err *e)
{
	const char *name;
	bool end;
	if (tar_reader_next(r, &name, size, &end, e) != 0)
		return -1;
	if (end)
		return err_set(e, ERR_FORMAT, "%s ends where '%s' was expected", r->what, want);
	if (strcmp(name, want) != 0) {
		char *shown = text_display(name, strlen(name));
		err_set(e, ERR_FORMAT, "%s: unexpected member '%s' where '%s' was expected", r->what,
			shown ? shown : "?", want);
		free(shown);
		return -1;
	}
	if (*size > max)
		return err_set(e, ERR_FORMAT, "%s: member '%s' declares %llu bytes, more than the %llu allowed",
			       r->what, want, (unsigned long long)*size, (unsigned long long)max);
	return 0;
}

int tar_reader_data(struct tar_reader *r, void *buf, size_t cap, size_t *got, struct err *e)
{
	*got = 0;
	if (r->done >= r->size)
		return 0;
	la_ssize_t n = archive_read_data(r->a, buf, cap);
	if (n < 0)
		return reader_fail(r, "a member is cut short", e);
	if (n == 0)
		return err_set(e, ERR_FORMAT, "%s is truncated: member '%s' ends early", r->what, r->name);
	r->done += (uint64_t)n;
	*got = (size_t)n;
	return 0;
}

int tar_reader_slurp(struct tar_reader *r, uint64_t size, char **out, struct err *e)
{
	char *buf = malloc(size + 1);
	size_t off = 0;
	*out = NULL;
	if (!buf)
		return err_set(e, ERR_IO, "out of memory");
	while (off < size) {
		size_t got;
		if (tar_reader_data(r, buf + off, size - off, &got, e) != 0) {
			free(buf);
			return -1;
		}
		off += got;
	}
	buf[size] = '\0';
	*out = buf;
	return 0;
}

int tar_reader_no_trailing(struct tar_reader *r, struct err *e)
{
	uint64_t end = (uint64_t)archive_filter_bytes(r->a, 0), seen = 0;
	unsigned char buf[4096];
	if (r->fd >= 0) {
		/* From a file: the last member's padding and the two end blocks, all zeros, then
		 * nothing but the zeros other writers pad with. */
		uint64_t blocks = round_block(r->member_end) + 1024;
		bool zero;
		if (r->file_size < blocks)
			return err_set(e, ERR_FORMAT, "%s is truncated: its end-of-archive blocks are missing", r->what);
		if (zeros_at(r, r->member_end, blocks, &zero, e) != 0)
			return -1;
		if (!zero)
			return not_canonical(r, "the padding or the end blocks after the last member", e);
		if (r->file_size - blocks > TRAILING_ZEROS_MAX)
			return err_set(e, ERR_FORMAT, "%s has data after its end", r->what);
		if (zeros_at(r, blocks, r->file_size, &zero, e) != 0)
			return -1;
		if (!zero)
			return err_set(e, ERR_FORMAT, "%s has data after its end", r->what);
		return 0;
	}
	/* A callback: what libarchive read ahead (the tail of the last block handed over) must be
	 * zeros, and so must the rest. */
	if (r->delivered > end) {
		uint64_t ahead = r->delivered - end;
		if (ahead > r->last_len || !all_zero(r->buf + (r->last_len - ahead), (size_t)ahead))
			return err_set(e, ERR_FORMAT, "%s has data after its end", r->what);
		seen = ahead;
	}
	for (;;) {
		size_t got;
		if (r->read(r->ctx, buf, sizeof buf, &got, e) != 0)
			return -1;
		if (got == 0)
			return 0;
		seen += got;
		if (!all_zero(buf, got) || seen > TRAILING_ZEROS_MAX)
			return err_set(e, ERR_FORMAT, "%s has data after its end", r->what);
	}
}

int64_t tar_reader_mtime(const struct tar_reader *r)
{
	return r->mtime;
}

int tar_reader_expect_end(struct tar_reader *r, struct err *e)
{
	const char *name;
	uint64_t size;
	bool end;
	if (tar_reader_next(r, &name, &size, &end, e) != 0)
		return -1;
	if (!end) {
		char *shown = text_display(name, strlen(name));
		err_set(e, ERR_FORMAT, "%s: unexpected member '%s' after the last one", r->what,
			shown ? shown : "?");
		free(shown);
		return -1;
	}
	return tar_reader_no_trailing(r, e);
}
