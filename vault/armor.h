/*
 * armor.h - age's ASCII armor: strict PEM with the label "AGE ENCRYPTED FILE", standard padded
 * base64 at 64 columns (48 bytes a line).
 *
 * Both directions stream, so that an armored file of any size passes through a few buffers:
 * the writer is pushed binary and pushes text to a callback; the reader pulls text from a
 * callback and hands out binary. The reader is strict, as age's is (docs/formats/age.md):
 *   - before BEGIN and after END only whitespace, at most 1024 bytes on each side;
 *   - lines end in LF or CR LF; the END line may lack its line end;
 *   - inside the block: no empty line, no whitespace, no PEM headers, no checksum line,
 *     lines of at most 64 columns, each but the last decoding to exactly 48 bytes, and the
 *     line that decodes to fewer followed by END; canonical base64 with padding.
 * Every refusal is ERR_FORMAT with a message that starts "invalid ASCII armor".
 */
#ifndef AMANA_ARMOR_H
#define AMANA_ARMOR_H

#include <stdbool.h>
#include <stddef.h>

#include "vault/err.h"

#define ARMOR_BEGIN "-----BEGIN AGE ENCRYPTED FILE-----"
#define ARMOR_END "-----END AGE ENCRYPTED FILE-----"
#define ARMOR_COLUMNS 64
#define ARMOR_LINE_BYTES 48
#define ARMOR_MAX_WHITESPACE 1024

/* Where the writer's text goes: all len bytes, or -1 with e set. */
typedef int (*armor_write_fn)(void *ctx, const void *buf, size_t len, struct err *e);

/* Where the reader's text comes from: up to cap bytes into buf, *got == 0 only at the end. */
typedef int (*armor_read_fn)(void *ctx, void *buf, size_t cap, size_t *got, struct err *e);

struct armor_writer;
struct armor_reader;

/* Starts an armored output that writes through fn(ctx, ...). Nothing is written until the
 * first armor_write or armor_writer_finish. *out is freed with armor_writer_free. */
int armor_writer_new(struct armor_writer **out, armor_write_fn fn, void *ctx, struct err *e);

/* Encodes len bytes; text is written in batches of whole lines. */
int armor_write(struct armor_writer *w, const void *data, size_t len, struct err *e);

/* Writes the last, shorter line (if any), the END line and flushes. Call once. */
int armor_writer_finish(struct armor_writer *w, struct err *e);

/* Frees the writer (NULL is fine); what it held is wiped. */
void armor_writer_free(struct armor_writer *w);

/* Starts reading an armored input from fn(ctx, ...). The first prefixlen bytes of the input,
 * already taken from fn by the caller (to tell armor from binary), are passed in prefix and
 * copied; prefixlen may be at most ARMOR_READ_BUF. *out is freed with armor_reader_free. */
#define ARMOR_READ_BUF 65536
int armor_reader_new(struct armor_reader **out, armor_read_fn fn, void *ctx, const void *prefix,
		     size_t prefixlen, struct err *e);

/* Reads decoded bytes: up to cap into buf, *got == 0 only once END and the whitespace after
 * it have been checked. Errors are sticky: later calls fail the same way. */
int armor_read(struct armor_reader *r, void *buf, size_t cap, size_t *got, struct err *e);

/* Frees the reader (NULL is fine); its buffers are wiped. */
void armor_reader_free(struct armor_reader *r);

/* True when the first non-whitespace byte of buf[0..len) is '-', that is, when an input that
 * starts this way can only be armor (a binary age file starts with "age-"). */
bool armor_looks_armored(const void *buf, size_t len);

#endif
