/*
 * fuzz_container.c - the strict tar reader of vault/bundle.c on libarchive, as verify walks
 * a bundle (the outer tar) and a decrypted payload (the inner tar), on any input.
 *
 * The input is read through tar_reader_open_cb in pieces of varying size, twice:
 *  - as a bundle: envelope, envelope.minisig, payload.age (all of its data, in pieces), then
 *    either the end or log/checkpoint, log/proof and the end, with verify.c's size bounds;
 *  - as a payload: manifest.sqlite, manifest.sqlite.minisig, then files/... in strictly
 *    increasing order until the end, each read to its end;
 * and, as verify does, nothing but zeros after the end (tar_reader_no_trailing); then as a
 * bundle again from a file (a memfd), where the reader is strict: every header, the padding
 * and the end must be what amana writes, and what it accepts the callback reader accepts.
 * Every refusal must be ERR_FORMAT (the container's failures all are); every member read must
 * give exactly its declared size; a slurped member is NUL-terminated at its size; a member
 * accepted by name is that name; nothing may be read beyond a member's end.
 */
#include <stdbool.h>
#include <sys/mman.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "vault/bundle.h"
#include "vault/envelope.h"

struct input {
	const uint8_t *data;
	size_t size, off, piece;
};

static int read_piece(void *ctx, void *buf, size_t cap, size_t *got, struct err *e)
{
	struct input *in = ctx;
	(void)e;
	size_t n = in->size - in->off;
	if (n > cap)
		n = cap;
	if (n > in->piece)
		n = in->piece;
	memcpy(buf, in->data + in->off, n);
	in->off += n;
	*got = n;
	/* The next piece has another size: 1 byte to 64 KiB. */
	in->piece = in->piece * 7 % 65521 + 1;
	return 0;
}

/* Reads the current member to its end in small pieces; its length must be size. */
static int drain(struct tar_reader *t, uint64_t size, struct err *e)
{
	unsigned char buf[4099];
	uint64_t n = 0;
	for (;;) {
		size_t got;
		if (tar_reader_data(t, buf, sizeof buf, &got, e) != 0)
			return -1;
		if (got == 0)
			break;
		if (got > sizeof buf)
			abort();
		n += got;
		if (n > size)
			abort();
	}
	if (n != size)
		abort();
	return 0;
}

/* Slurps a small member; the buffer must be NUL-terminated at its size. */
static int slurp(struct tar_reader *t, uint64_t size, struct err *e)
{
	char *s;
	if (tar_reader_slurp(t, size, &s, e) != 0)
		return -1;
	if (s[size] != '\0')
		abort();
	free(s);
	return 0;
}

static int expect(struct tar_reader *t, const char *name, uint64_t max, uint64_t *size, struct err *e)
{
	if (tar_reader_expect(t, name, max, size, e) != 0)
		return -1;
	if (*size > max)
		abort();
	return 0;
}

static int walk_bundle(struct tar_reader *t, struct err *e)
{
	uint64_t size;
	const char *name;
	bool end;
	if (expect(t, BUNDLE_ENVELOPE, ENVELOPE_MAX, &size, e) != 0 || slurp(t, size, e) != 0 ||
	    expect(t, BUNDLE_ENVELOPE_SIG, BUNDLE_SIG_MAX, &size, e) != 0 || slurp(t, size, e) != 0 ||
	    expect(t, BUNDLE_PAYLOAD, UINT64_MAX >> 1, &size, e) != 0 || drain(t, size, e) != 0)
		return -1;
	if (tar_reader_next(t, &name, &size, &end, e) != 0)
		return -1;
	if (end)
		return tar_reader_no_trailing(t, e);
	if (strcmp(name, BUNDLE_CHECKPOINT) != 0 || size > BUNDLE_LOG_MAX)
		return err_set(e, ERR_FORMAT, "unexpected member");
	if (slurp(t, size, e) != 0 || expect(t, BUNDLE_PROOF, BUNDLE_LOG_MAX, &size, e) != 0 ||
	    slurp(t, size, e) != 0)
		return -1;
	return tar_reader_expect_end(t, e);
}

static int walk_payload(struct tar_reader *t, struct err *e)
{
	uint64_t size;
	char *prev = NULL;
	int rc = -1;
	if (expect(t, "manifest.sqlite", 1ULL << 32, &size, e) != 0 || drain(t, size, e) != 0 ||
	    expect(t, "manifest.sqlite.minisig", BUNDLE_SIG_MAX, &size, e) != 0 || slurp(t, size, e) != 0)
		return -1;
	for (;;) {
		const char *name;
		bool end;
		if (tar_reader_next(t, &name, &size, &end, e) != 0)
			goto done;
		if (end) {
			if (tar_reader_no_trailing(t, e) != 0)
				goto done;
			break;
		}
		if (!name || strncmp(name, "files/", 6) != 0) {
			err_set(e, ERR_FORMAT, "unexpected member");
			goto done;
		}
		if (prev && strcmp(prev, name) >= 0) {
			err_set(e, ERR_FORMAT, "out of order");
			goto done;
		}
		free(prev);
		if (!(prev = strdup(name)))
			abort();
		if (drain(t, size, e) != 0)
			goto done;
	}
	rc = 0;
done:
	free(prev);
	return rc;
}

static int run(const uint8_t *data, size_t size, bool payload)
{
	struct input in = {data, size, 0, 1 + size % 8191};
	struct tar_reader *t = NULL;
	struct err e;
	err_clear(&e);
	int rc = tar_reader_open_cb(&t, read_piece, &in, payload ? "the payload" : "the bundle", &e);
	if (rc == 0)
		rc = payload ? walk_payload(t, &e) : walk_bundle(t, &e);
	if (rc != 0 && e.code != ERR_FORMAT)
		abort();
	if (in.off > size)
		abort();
	tar_reader_free(t);
	return rc;
}

/* The bundle read from a file, as verify reads one: the strict reader, which also compares
 * every header, the padding and the end with what amana writes. What it accepts, the
 * callback reader accepts too. */
static int run_file(const uint8_t *data, size_t size)
{
	int fd = memfd_create("bundle", MFD_CLOEXEC);
	if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size))
		abort();
	struct tar_reader *t = NULL;
	struct err e;
	err_clear(&e);
	int rc = tar_reader_open_fd(&t, fd, "the bundle", &e);
	if (rc == 0)
		rc = walk_bundle(t, &e);
	if (rc != 0 && e.code != ERR_FORMAT)
		abort();
	tar_reader_free(t);
	close(fd);
	return rc;
}

FUZZ_TARGET(container)
{
	int lenient = run(data, size, false);
	if (run_file(data, size) == 0 && lenient != 0)
		abort();
	run(data, size, true);
	return 0;
}
