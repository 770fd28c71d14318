/*
 * bundle.h - the .amana container: an uncompressed POSIX (pax) tar written and read with
 * libarchive, whose members come in a fixed order (docs/format.md):
 *
 *   envelope, envelope.minisig, [root,] [addendum.age,] payload.age, log/checkpoint, log/proof
 *
 * (root, the issuer's root chain, only in format 2 and only when the envelope names a root;
 * addendum.age only in a readdressed bundle, whose envelope names it)
 *
 * The reader takes members one at a time and insists on the name it expects next, so an
 * unknown, missing, duplicated or out-of-order member is refused where it appears; only
 * regular files are accepted (no links, devices, folders, sparse files); each member's
 * declared size is bounded before a byte of it is read; and nothing may follow the last
 * member. Every failure of the container itself is ERR_FORMAT. The same reader, pointed at a
 * callback instead of a file, reads the inner tar of the payload.
 */
#ifndef AMANA_BUNDLE_H
#define AMANA_BUNDLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vault/err.h"

#define BUNDLE_ENVELOPE "envelope"
#define BUNDLE_ENVELOPE_SIG "envelope.minisig"
#define BUNDLE_ROOT "root"
#define BUNDLE_ROOT_MAX (1u << 20) /* the issuer's root chain */
#define BUNDLE_ADDENDUM "addendum.age"
#define BUNDLE_ADDENDUM_MAX (128u << 10) /* a readdressed bundle's addendum, encrypted */
#define BUNDLE_PAYLOAD "payload.age"
#define BUNDLE_CHECKPOINT "log/checkpoint"
#define BUNDLE_PROOF "log/proof"
#define BUNDLE_SIG_MAX 16384
/* The untrusted comments of the two signatures: fixed, so that every byte of a bundle is
 * checked (minisign itself leaves this line unsigned). */
#define BUNDLE_ENVELOPE_SIG_COMMENT "amana envelope signature"
#define BUNDLE_MANIFEST_SIG_COMMENT "amana manifest signature"
#define BUNDLE_LOG_MAX (8u << 20) /* 100,000 leaves of 45 bytes, and notes */

/* ---- writing ---------------------------------------------------------------------------- */

struct tar_writer;

/* Writes a tar (pax format, no compression, no padding beyond the two end blocks) through
 * write(ctx, ...). Entries are regular files, mode 0644, owner 0:0 with empty names, and
 * mtime as given: the same input gives the same bytes. */
typedef int (*tar_write_fn)(void *ctx, const void *buf, size_t len, struct err *e);
int tar_writer_open(struct tar_writer **out, tar_write_fn write, void *ctx, int64_t mtime,
		    struct err *e);

/* Starts an entry of size bytes; its data follows with tar_writer_data. */
int tar_writer_entry(struct tar_writer *w, const char *name, uint64_t size, struct err *e);
int tar_writer_data(struct tar_writer *w, const void *buf, size_t len, struct err *e);

/* A whole small entry at once. */
int tar_writer_file(struct tar_writer *w, const char *name, const void *buf, size_t len,
		    struct err *e);

/* Finishes the current entry (its padding) and frees w without the end blocks: for a tar
 * written in two parts whose second part carries the end. */
int tar_writer_detach(struct tar_writer *w, struct err *e);

/* Writes the end blocks and frees w. */
int tar_writer_close(struct tar_writer *w, struct err *e);

/* Frees w without finishing (after a failure): nothing more is written. */
void tar_writer_abort(struct tar_writer *w);

/* Whether a member called name is read back under that very name: 1 if so, 0 if the tar
 * writer changes it (libarchive writes names in Unicode's composed form, NFC, so a
 * decomposed name would come back other bytes), -1 on error. */
int tar_name_roundtrips(const char *name, struct err *e);

/* ---- reading ---------------------------------------------------------------------------- */

struct tar_reader;

/* Reads a tar from a file descriptor, or through read(ctx, ...) (got == 0 at the end). what
 * names the container in messages ("the bundle", "the payload"). */
typedef int (*tar_read_fn)(void *ctx, void *buf, size_t cap, size_t *got, struct err *e);
int tar_reader_open_fd(struct tar_reader **out, int fd, const char *what, struct err *e);
int tar_reader_open_cb(struct tar_reader **out, tar_read_fn read, void *ctx, const char *what,
		       struct err *e);
void tar_reader_free(struct tar_reader *r);

/* For a reader of a file (tar_reader_open_fd), after tar_reader_next: where the current
 * member's data starts in the file (readdress copies payload.age's body from there). */
uint64_t tar_reader_data_offset(const struct tar_reader *r);

/* Reads the next member header. *name (valid until the next call) and *size describe it.
 * *end is set when the archive ended instead. Non-regular members are refused here. */
int tar_reader_next(struct tar_reader *r, const char **name, uint64_t *size, bool *end,
		    struct err *e);

/* As tar_reader_next, but the member must be called want and be at most max bytes. */
int tar_reader_expect(struct tar_reader *r, const char *want, uint64_t max, uint64_t *size,
		      struct err *e);

/* Reads member data; *got == 0 at the member's end. A short member (truncated archive) is an
 * error. */
int tar_reader_data(struct tar_reader *r, void *buf, size_t cap, size_t *got, struct err *e);

/* Reads a whole small member (as sized by the last next/expect) into a malloc'd,
 * NUL-terminated buffer. */
int tar_reader_slurp(struct tar_reader *r, uint64_t size, char **out, struct err *e);

/* The mtime every header of a tar read from a file shares (checked by the reader, which also
 * insists that such a tar is byte for byte what tar_writer writes for its members). */
int64_t tar_reader_mtime(const struct tar_reader *r);

/* The archive must end here: no further member, and no byte after the end blocks. */
int tar_reader_expect_end(struct tar_reader *r, struct err *e);

/* After tar_reader_next said the archive ended: nothing may follow its end blocks. */
int tar_reader_no_trailing(struct tar_reader *r, struct err *e);

#endif
