/*
 * age.c - the age encryptor (push) and decryptor (pull), layer 4 of the age module (see
 * age_impl.h): the header (age_header.c) on the way in and out, then the payload as STREAM
 * chunks of 64 KiB (age_stream.c), and ASCII armor; and identity files, which may themselves
 * be age files.
 *
 * Chunk i is sealed under the payload key with the nonce (11-byte big-endian i, flag), where
 * the flag is 1 only for the last chunk. The last chunk is empty only when the whole payload
 * is; so the encryptor holds back a full chunk until it knows whether more data follows, and
 * the decryptor, finding a full-size chunk that does not open as "not last", tries it as
 * "last" and then requires the input to end there.
 *
 * Copies are avoided where it is cheap to do so: whole chunks of a large update are sealed
 * straight from the caller's buffer into the chunk buffer, and a reader asking for at least a
 * chunk's worth gets it decrypted straight into its buffer. Decryption is never done in
 * place: libsodium zeroes the output when a tag does not match, and a full chunk that fails
 * as "not last" must still be there to be tried as "last".
 */
#include <errno.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vault/age_header.h"
#include "vault/age_stream.h"
#include "vault/armor.h"

#define CHUNK_CT (AGE_CHUNK_SIZE + AGE_TAG_SIZE) /* a full chunk as stored */

/* ---- readers and writers ----------------------------------------------------------------- */

int age_mem_read(void *ctx, void *buf, size_t cap, size_t *got, struct err *e)
{
	struct age_mem_reader *m = ctx;
	(void)e;
	size_t n = m->len - m->off;
	if (n > cap)
		n = cap;
	if (n > 0)
		memcpy(buf, m->data + m->off, n);
	m->off += n;
	*got = n;
	return 0;
}

int age_fd_read(void *ctx, void *buf, size_t cap, size_t *got, struct err *e)
{
	const struct age_fd *f = ctx;
	for (;;) {
		ssize_t n = read(f->fd, buf, cap);
		if (n >= 0) {
			*got = (size_t)n;
			return 0;
		}
		if (errno != EINTR)
			return err_errno(e, ERR_IO, "cannot read %s", f->name);
	}
}

int age_fd_write(void *ctx, const void *buf, size_t len, struct err *e)
{
	const struct age_fd *f = ctx;
	const unsigned char *p = buf;
	while (len > 0) {
		ssize_t n = write(f->fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return err_errno(e, ERR_IO, "cannot write %s", f->name);
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* ---- encryption -------------------------------------------------------------------------- */

struct age_encryptor {
	age_write_fn fn;
	void *ctx;
	struct armor_writer *armor; /* NULL for binary output */
	uint8_t *key;               /* payload key, sodium_malloc'd */
	uint64_t counter;           /* the next chunk's number */
	size_t pending;             /* plaintext bytes waiting in chunk */
	bool finished;
	bool failed;
	unsigned char *chunk; /* CHUNK_CT bytes: plaintext, then sealed in place */
	unsigned char *batch[2]; /* runs of sealed chunks (AGE_BATCH_CHUNKS), on first use */
	int cur;                 /* the one the next run goes to */
	const unsigned char *deferred; /* the last run, sealed but not yet written */
	size_t deferred_len;
	struct age_par *par;     /* the second core, if any */
};

/* Writes the run left for later, if any: it goes out before anything sealed after it. */
static int enc_flush(struct age_encryptor *enc, struct err *e)
{
	if (enc->deferred_len == 0)
		return 0;
	size_t len = enc->deferred_len;
	enc->deferred_len = 0;
	if (enc->armor)
		return armor_write(enc->armor, enc->deferred, len, e);
	return enc->fn(enc->ctx, enc->deferred, len, e);
}

static int enc_sink(struct age_encryptor *enc, const void *buf, size_t len, struct err *e)
{
	if (enc->armor)
		return armor_write(enc->armor, buf, len, e);
	return enc->fn(enc->ctx, buf, len, e);
}

/* Seals len bytes from src (which may be enc->chunk itself) into enc->chunk and writes it. */
static int enc_seal(struct age_encryptor *enc, const unsigned char *src, size_t len, bool final,
		    struct err *e)
{
	if (enc->counter == UINT64_MAX)
		return err_set(e, ERR_USAGE, "the payload is too large for age's chunk counter");
	if (enc_flush(enc, e) != 0)
		return -1;
	age_chunk_seal(enc->key, enc->counter, final, src, len, enc->chunk);
	enc->counter++;
	return enc_sink(enc, enc->chunk, len + AGE_TAG_SIZE, e);
}

int age_encrypt_init(struct age_encryptor **out, const struct age_recipients *recipients,
		     bool armor, age_write_fn fn, void *ctx, struct err *e)
{
	struct age_encryptor *enc = NULL;
	struct age_secrets *s = NULL;
	unsigned char *hdr = NULL;
	size_t hlen = 0;
	uint8_t nonce[AGE_NONCE_SIZE];
	int rc = -1;

	*out = NULL;
	if (sodium_init() < 0)
		return err_set(e, ERR_INTERNAL, "cannot initialise libsodium");
	enc = calloc(1, sizeof *enc);
	if (!enc)
		return err_set(e, ERR_IO, "out of memory");
	enc->fn = fn;
	enc->ctx = ctx;
	enc->key = sodium_malloc(32);
	enc->chunk = malloc(CHUNK_CT);
	if (!enc->key || !enc->chunk) {
		err_set(e, ERR_IO, "out of memory");
		goto done;
	}
	if (armor && armor_writer_new(&enc->armor, fn, ctx, e) != 0)
		goto done;
	if (!(s = age_secrets_new(e)))
		goto done;
	randombytes_buf(s->file_key, sizeof s->file_key);
	if (age_header_write(recipients, s, &hdr, &hlen, e) != 0)
		goto done;
	randombytes_buf(nonce, sizeof nonce);
	age_payload_key(enc->key, s->file_key, nonce);
	if (enc_sink(enc, hdr, hlen, e) != 0 || enc_sink(enc, nonce, sizeof nonce, e) != 0)
		goto done;
	rc = 0;
done:
	age_secrets_free(s);
	free(hdr);
	if (rc != 0) {
		age_encrypt_free(enc);
		return -1;
	}
	*out = enc;
	return 0;
}

int age_encrypt_update(struct age_encryptor *enc, const void *data, size_t len, struct err *e)
{
	const unsigned char *p = data;
	if (enc->failed || enc->finished)
		return err_set(e, ERR_INTERNAL, "age_encrypt_update after %s (this is a bug)",
			       enc->failed ? "a failure" : "age_encrypt_final");
	while (len > 0) {
		/* Whole chunks known not to be last: the held-back chunk (if full, since more
		 * data has come) and those of data followed by more data. */
		size_t held = enc->pending == AGE_CHUNK_SIZE ? 1 : 0;
		size_t run = len > AGE_CHUNK_SIZE ? (len - 1) / AGE_CHUNK_SIZE : 0;
		if (run > AGE_BATCH_CHUNKS - held)
			run = AGE_BATCH_CHUNKS - held;
		size_t total = held + run;
		if ((enc->pending == 0 || held) && run >= 1 && total >= 2 &&
		    enc->counter < UINT64_MAX - total) {
			/* Sealed on two cores: the helper takes most of the data's chunks while
			 * this thread writes the previous run out and seals the held-back chunk and
			 * the rest. This run is written by the next call that writes. */
			if (!enc->batch[0]) {
				enc->batch[0] = malloc(AGE_BATCH_CHUNKS * CHUNK_CT);
				enc->batch[1] = malloc(AGE_BATCH_CHUNKS * CHUNK_CT);
				if (!enc->batch[0] || !enc->batch[1]) {
					err_set(e, ERR_IO, "out of memory");
					goto fail;
				}
				if (age_par_new(&enc->par, e) != 0)
					goto fail;
			}
			unsigned char *out = enc->batch[enc->cur];
			size_t mine = !enc->par ? 0 : enc->deferred_len ? total * 5 / 16 : total / 2;
			if (mine < held)
				mine = held;
			size_t theirs = total - mine; /* chunks of data, from its start */
			age_par_seal_begin(enc->par, enc->key, enc->counter + held, p,
					   out + held * CHUNK_CT, theirs);
			int rc = enc_flush(enc, e);
			if (rc == 0 && held)
				age_stream_seal(enc->key, enc->counter, enc->chunk, out, 1);
			if (rc == 0 && run > theirs)
				age_stream_seal(enc->key, enc->counter + held + theirs,
						p + theirs * AGE_CHUNK_SIZE,
						out + (held + theirs) * CHUNK_CT, run - theirs);
			age_par_wait(enc->par);
			if (rc != 0)
				goto fail;
			enc->counter += total;
			enc->pending = 0;
			enc->deferred = out;
			enc->deferred_len = total * CHUNK_CT;
			enc->cur ^= 1;
			p += run * AGE_CHUNK_SIZE;
			len -= run * AGE_CHUNK_SIZE;
			continue;
		}
		if (enc->pending == AGE_CHUNK_SIZE) {
			/* More data follows the held-back chunk: it was not the last. */
			if (enc_seal(enc, enc->chunk, AGE_CHUNK_SIZE, false, e) != 0)
				goto fail;
			enc->pending = 0;
		}
		if (enc->pending == 0 && len > AGE_CHUNK_SIZE) {
			if (enc_seal(enc, p, AGE_CHUNK_SIZE, false, e) != 0)
				goto fail;
			p += AGE_CHUNK_SIZE;
			len -= AGE_CHUNK_SIZE;
			continue;
		}
		size_t take = AGE_CHUNK_SIZE - enc->pending;
		if (take > len)
			take = len;
		memcpy(enc->chunk + enc->pending, p, take);
		enc->pending += take;
		p += take;
		len -= take;
	}
	return 0;
fail:
	enc->failed = true;
	return -1;
}

int age_encrypt_final(struct age_encryptor *enc, struct err *e)
{
	if (enc->failed || enc->finished)
		return err_set(e, ERR_INTERNAL, "age_encrypt_final after %s (this is a bug)",
			       enc->failed ? "a failure" : "age_encrypt_final");
	enc->finished = true;
	if (enc_seal(enc, enc->chunk, enc->pending, true, e) != 0)
		goto fail;
	enc->pending = 0;
	if (enc->armor && armor_writer_finish(enc->armor, e) != 0)
		goto fail;
	return 0;
fail:
	enc->failed = true;
	return -1;
}

void age_encrypt_free(struct age_encryptor *enc)
{
	if (!enc)
		return;
	if (enc->key)
		sodium_free(enc->key);
	if (enc->chunk) {
		sodium_memzero(enc->chunk, CHUNK_CT);
		free(enc->chunk);
	}
	age_par_free(enc->par);
	free(enc->batch[0]); /* ciphertext only */
	free(enc->batch[1]);
	armor_writer_free(enc->armor);
	free(enc);
}

/* ---- decryption -------------------------------------------------------------------------- */

struct age_decryptor {
	age_read_fn fn;
	void *ctx;
	struct armor_reader *armor; /* NULL for binary input */
	struct age_hbuf pre;        /* read ahead with the header: pre.p[pre_pos..pre.len) */
	size_t pre_pos;
	uint8_t *key;               /* payload key, sodium_malloc'd */
	uint64_t counter;           /* the next chunk's number */
	bool done;                  /* the final chunk authenticated and nothing follows */
	bool failed;
	struct err failure;
	bool trailing;              /* data follows the final chunk: fail once it is out */
	unsigned char *chunk;       /* CHUNK_CT bytes of ciphertext */
	unsigned char *plain;       /* AGE_CHUNK_SIZE bytes: plaintext for small reads */
	size_t ppos, plen;          /* plaintext waiting in plain[ppos..plen) */
	size_t carry;               /* ciphertext bytes already read into chunk, or 0 */
	bool has_recipient;         /* unwrapped by an X25519 identity whose public key is: */
	uint8_t recipient[32];
	unsigned char *batch;       /* AGE_BATCH_CHUNKS chunks of ciphertext, on first use */
	struct age_par *par;        /* the second core, if any */
};

/* Reads from the read-ahead, then the armor or the raw input. */
static int src_read(struct age_decryptor *d, void *buf, size_t cap, size_t *got, struct err *e)
{
	if (d->pre_pos < d->pre.len) {
		size_t n = d->pre.len - d->pre_pos;
		if (n > cap)
			n = cap;
		memcpy(buf, d->pre.p + d->pre_pos, n);
		d->pre_pos += n;
		if (d->pre_pos == d->pre.len) {
			free(d->pre.p);
			memset(&d->pre, 0, sizeof d->pre);
			d->pre_pos = 0;
		}
		*got = n;
		return 0;
	}
	if (d->armor)
		return armor_read(d->armor, buf, cap, got, e);
	return d->fn(d->ctx, buf, cap, got, e);
}

/* Reads until want bytes or the end of the input. */
static int src_fill(struct age_decryptor *d, unsigned char *buf, size_t want, size_t *got,
		    struct err *e)
{
	size_t n = 0;
	while (n < want) {
		size_t k = 0;
		if (src_read(d, buf + n, want - n, &k, e) != 0)
			return -1;
		if (k == 0)
			break;
		n += k;
	}
	*got = n;
	return 0;
}

/* The header's source: the armor once it is known to be armored, else the input itself. */
static int hdr_src(void *ctx, void *buf, size_t cap, size_t *got, struct err *e)
{
	struct age_decryptor *d = ctx;
	return d->armor ? armor_read(d->armor, buf, cap, got, e) : d->fn(d->ctx, buf, cap, got, e);
}

/*
 * Reads the header into d->pre: tells armor from binary by the first bytes, then has the
 * header layer read lines until the MAC line has ended. *hend gets the header's length;
 * bytes after it stay in d->pre as the start of the payload.
 */
static int read_header(struct age_decryptor *d, size_t *hend, struct err *e)
{
	size_t got = 0;

	/* Enough of the input to tell armor (which may follow up to 1 KiB of whitespace)
	 * from binary. */
	while (d->pre.len < AGE_PEEK_LEN) {
		if (age_hbuf_read(&d->pre, 0, hdr_src, d, &got, e) != 0)
			return -1;
		if (got == 0)
			break;
	}
	if (age_input_is_armor(d->pre.p, d->pre.len)) {
		if (armor_reader_new(&d->armor, d->fn, d->ctx, d->pre.p, d->pre.len, e) != 0)
			return -1;
		d->pre.len = 0;
	}
	return age_header_scan(&d->pre, hdr_src, d, false, hend, e);
}

int age_decrypt_init(struct age_decryptor **out, const struct age_identities *ids,
		     age_read_fn fn, void *ctx, struct err *e)
{
	struct age_decryptor *d = NULL;
	struct age_secrets *s = NULL;
	struct age_header h;
	uint8_t nonce[AGE_NONCE_SIZE];
	size_t hend = 0, got = 0;
	int rc = -1;

	memset(&h, 0, sizeof h);
	*out = NULL;
	if (sodium_init() < 0)
		return err_set(e, ERR_INTERNAL, "cannot initialise libsodium");
	d = calloc(1, sizeof *d);
	if (!d)
		return err_set(e, ERR_IO, "out of memory");
	d->fn = fn;
	d->ctx = ctx;
	d->key = sodium_malloc(32);
	d->chunk = malloc(CHUNK_CT);
	d->plain = malloc(AGE_CHUNK_SIZE);
	if (!d->key || !d->chunk || !d->plain) {
		err_set(e, ERR_IO, "out of memory");
		goto done;
	}
	if (read_header(d, &hend, e) != 0)
		goto done;
	if (age_header_parse(d->pre.p, hend, &h, e) != 0 || age_header_check(&h, e) != 0)
		goto done;
	if (!(s = age_secrets_new(e)))
		goto done;
	if (age_header_verify(&h, d->pre.p, ids, s, e) != 0)
		goto done;
	d->has_recipient = s->matched_x25519;
	memcpy(d->recipient, s->matched_pk, 32);
	d->pre_pos = hend;
	if (src_fill(d, nonce, sizeof nonce, &got, e) != 0)
		goto done;
	if (got < sizeof nonce) {
		err_set(e, ERR_FORMAT, "invalid age header: the file ends before the payload nonce");
		goto done;
	}
	age_payload_key(d->key, s->file_key, nonce);
	rc = 0;
done:
	age_secrets_free(s);
	age_header_free(&h);
	if (rc != 0) {
		age_decrypt_free(d);
		return -1;
	}
	*out = d;
	return 0;
}

/* Records a payload failure: it is the answer to this and every later read. */
static int dec_fail(struct age_decryptor *d, struct err *e, const char *fmt, ...) ERR_PRINTF(3, 4);
static int dec_fail(struct age_decryptor *d, struct err *e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	d->failure.code = ERR_VERIFY;
	vsnprintf(d->failure.msg, sizeof d->failure.msg, fmt, ap);
	va_end(ap);
	snprintf(d->failure.hint, sizeof d->failure.hint,
		 "the file was altered, damaged or cut short after it was encrypted");
	d->failed = true;
	err_copy(e, &d->failure);
	return -1;
}

/*
 * Reads, authenticates and decrypts the next chunk into out (d->plain, or a caller's buffer
 * of at least AGE_CHUNK_SIZE bytes); *plain gets the plaintext length. A final chunk followed
 * by more data is handed out, and the failure reported by the next read, as age does.
 */
static int read_chunk(struct age_decryptor *d, unsigned char *out, size_t *plain, struct err *e)
{
	uint8_t nonce[12];
	size_t n = 0;
	unsigned long long num = (unsigned long long)d->counter + 1; /* counted from 1 */

	if (d->carry > 0) {
		n = d->carry; /* read ahead by read_batch */
		d->carry = 0;
	} else if (src_fill(d, d->chunk, CHUNK_CT, &n, e) != 0) {
		err_copy(&d->failure, e);
		d->failed = true;
		return -1;
	}
	if (n == 0) {
		if (d->counter == 0)
			return dec_fail(d, e, "the payload has no chunks: the file is truncated");
		return dec_fail(d, e, "the file is truncated: no final chunk after chunk %llu",
				num - 1);
	}
	if (n < AGE_TAG_SIZE)
		return dec_fail(d, e, "chunk %llu is truncated (%zu bytes)", num, n);
	bool last = n < CHUNK_CT;
	size_t clen = n - AGE_TAG_SIZE;
	age_stream_nonce(nonce, d->counter, last);
	int rc = crypto_aead_chacha20poly1305_ietf_decrypt_detached(
		out, NULL, d->chunk, clen, d->chunk + clen, NULL, 0, nonce, d->key);
	if (rc != 0 && !last) {
		/* A full chunk may still be the last one. */
		age_stream_nonce(nonce, d->counter, true);
		rc = crypto_aead_chacha20poly1305_ietf_decrypt_detached(
			out, NULL, d->chunk, clen, d->chunk + clen, NULL, 0, nonce, d->key);
		if (rc == 0) {
			unsigned char extra;
			size_t k = 0;
			last = true;
			if (src_fill(d, &extra, 1, &k, e) != 0) {
				err_copy(&d->failure, e);
				d->failed = true;
				return -1;
			}
			d->trailing = k > 0;
		}
	}
	if (rc != 0)
		return dec_fail(d, e, "chunk %llu failed authentication", num);
	if (last && clen == 0 && d->counter > 0)
		return dec_fail(d, e, "the final chunk %llu is empty, which only an empty file "
				      "may have",
				num);
	if (d->counter == UINT64_MAX)
		return dec_fail(d, e, "the chunk counter would wrap around");
	d->counter++;
	d->done = last;
	*plain = clen;
	return 0;
}

/*
 * For large reads: reads up to k chunks of ciphertext at once and opens on two cores those
 * that are followed by more input (so cannot be last). The last chunk read is kept in
 * d->chunk (d->carry) for read_chunk, which knows the rules for the final chunk. Returns the
 * plaintext bytes put at out (at most k chunks' worth), or -1 when the run failed with
 * nothing to hand out first (d->failed is set either way on failure).
 */
static long read_batch(struct age_decryptor *d, unsigned char *out, size_t k, struct err *e)
{
	size_t got = 0, run, keep;
	if (!d->batch) {
		d->batch = malloc(AGE_BATCH_CHUNKS * CHUNK_CT);
		if (!d->batch)
			return err_set(e, ERR_IO, "out of memory");
		if (age_par_new(&d->par, e) != 0)
			return -1;
	}
	if (src_fill(d, d->batch, k * CHUNK_CT, &got, e) != 0) {
		err_copy(&d->failure, e);
		d->failed = true;
		return -1;
	}
	if (got % CHUNK_CT == 0) {
		/* The last full chunk may be the final one: read_chunk decides. */
		run = got == 0 ? 0 : got / CHUNK_CT - 1;
		keep = got == 0 ? 0 : CHUNK_CT;
	} else {
		run = got / CHUNK_CT;
		keep = got % CHUNK_CT;
	}
	if (d->counter > UINT64_MAX - run - 1)
		return dec_fail(d, e, "the chunk counter would wrap around");
	size_t opened = run ? age_par_open(d->par, d->key, d->counter, d->batch, out, run) : 0;
	d->counter += opened;
	if (opened < run) {
		/* As in read_chunk: a full chunk that is not "not last" may be "last", but more
		 * input follows it here, so that is reported once its plaintext is out. */
		uint8_t nonce[12];
		const unsigned char *c = d->batch + opened * CHUNK_CT;
		unsigned long long num = (unsigned long long)d->counter + 1;
		age_stream_nonce(nonce, d->counter, true);
		if (crypto_aead_chacha20poly1305_ietf_decrypt_detached(
			    out + opened * AGE_CHUNK_SIZE, NULL, c, AGE_CHUNK_SIZE, c + AGE_CHUNK_SIZE,
			    NULL, 0, nonce, d->key) == 0) {
			d->counter++;
			d->done = true;
			d->trailing = true;
			return (long)((opened + 1) * AGE_CHUNK_SIZE);
		}
		dec_fail(d, e, "chunk %llu failed authentication", num);
		return opened ? (long)(opened * AGE_CHUNK_SIZE) : -1;
	}
	memcpy(d->chunk, d->batch + run * CHUNK_CT, keep);
	d->carry = keep;
	return (long)(run * AGE_CHUNK_SIZE);
}

int age_decrypt_read(struct age_decryptor *d, void *buf, size_t cap, size_t *got, struct err *e)
{
	unsigned char *out = buf;
	size_t n = 0;
	*got = 0;
	if (d->failed) {
		err_copy(e, &d->failure);
		return -1;
	}
	while (n < cap) {
		if (d->ppos < d->plen) {
			size_t take = d->plen - d->ppos;
			if (take > cap - n)
				take = cap - n;
			memcpy(out + n, d->plain + d->ppos, take);
			d->ppos += take;
			n += take;
			continue;
		}
		if (d->done && d->trailing && n == 0)
			return dec_fail(d, e, "data follows the final chunk %llu",
					(unsigned long long)d->counter);
		if (d->done)
			break;
		if (d->carry == 0 && cap - n >= 3 * AGE_CHUNK_SIZE) {
			size_t k = (cap - n) / AGE_CHUNK_SIZE;
			long r = read_batch(d, out + n, k > AGE_BATCH_CHUNKS ? AGE_BATCH_CHUNKS : k, e);
			if (r < 0) {
				if (n > 0)
					break; /* hand out what authenticated first */
				return -1;
			}
			n += (size_t)r;
			if (d->failed)
				break; /* the failure comes with the next call */
			if (r > 0 || d->carry > 0)
				continue;
		}
		bool direct = cap - n >= AGE_CHUNK_SIZE;
		size_t plain = 0;
		if (read_chunk(d, direct ? out + n : d->plain, &plain, e) != 0) {
			/* Plaintext already authenticated goes out first; the failure is
			 * reported by the next call. */
			if (n > 0)
				break;
			return -1;
		}
		if (direct) {
			n += plain;
		} else {
			d->ppos = 0;
			d->plen = plain;
		}
	}
	*got = n;
	return 0;
}

bool age_decrypt_armored(const struct age_decryptor *d)
{
	return d->armor != NULL;
}

bool age_decrypt_recipient(const struct age_decryptor *d, char out[AGE_RECIPIENT_LEN + 1])
{
	if (!d->has_recipient)
		return false;
	age_recipient_encode(out, d->recipient);
	return true;
}

void age_decrypt_free(struct age_decryptor *d)
{
	if (!d)
		return;
	if (d->key)
		sodium_free(d->key);
	if (d->chunk) {
		sodium_memzero(d->chunk, CHUNK_CT);
		free(d->chunk);
	}
	if (d->plain) {
		sodium_memzero(d->plain, AGE_CHUNK_SIZE);
		free(d->plain);
	}
	age_par_free(d->par);
	free(d->batch); /* ciphertext only */
	free(d->pre.p);
	armor_reader_free(d->armor);
	free(d);
}

/* ---- identity files ---------------------------------------------------------------------- */

static bool starts_with(const char *s, size_t n, const char *prefix)
{
	size_t k = strlen(prefix);
	return n >= k && memcmp(s, prefix, k) == 0;
}

/* Decrypts a passphrase-protected identity file (an age file with an scrypt stanza) into
 * sodium_malloc'd memory and adds what it holds. */
static int add_encrypted_identity_file(struct age_identities *ids, const unsigned char *data,
				       size_t len, const char *name, struct err *e)
{
	struct age_identities *pw = NULL;
	struct age_decryptor *dec = NULL;
	unsigned char *plain = NULL;
	char *pass = NULL;
	size_t passlen = 0, plen = 0;
	int rc = -1;
	char prompt[300];

	void *pass_ctx = NULL;
	age_passphrase_fn pass_fn = age_identities_passphrase_fn(ids, &pass_ctx);
	if (!pass_fn) {
		err_set(e, ERR_KEY, "identity file '%s' is encrypted with a passphrase, and there is "
				    "no way to ask for it here",
			name);
		return -1;
	}
	snprintf(prompt, sizeof prompt, "Enter passphrase for identity file '%s': ", name);
	if (pass_fn(pass_ctx, prompt, &pass, &passlen, e) != 0)
		return -1;
	if (age_identities_new(&pw, e) != 0)
		goto done;
	if (age_identities_add_passphrase(pw, pass, passlen, e) != 0)
		goto done;
	sodium_free(pass);
	pass = NULL;

	struct age_mem_reader src = {data, len, 0};
	if (age_decrypt_init(&dec, pw, age_mem_read, &src, e) != 0) {
		if (e->code == ERR_KEY)
			err_hint(e, "check the passphrase of identity file '%s'", name);
		err_prefix(e, "identity file '%s'", name);
		goto done;
	}
	plain = sodium_malloc(AGE_IDENTITY_FILE_MAX + 1);
	if (!plain) {
		err_set(e, ERR_IO, "out of memory for identity file '%s'", name);
		goto done;
	}
	for (;;) {
		size_t got = 0;
		if (plen > AGE_IDENTITY_FILE_MAX) {
			err_set(e, ERR_KEY, "identity file '%s' holds more than %d bytes", name,
				AGE_IDENTITY_FILE_MAX);
			goto done;
		}
		if (age_decrypt_read(dec, plain + plen, AGE_IDENTITY_FILE_MAX + 1 - plen, &got, e) !=
		    0) {
			err_prefix(e, "identity file '%s'", name);
			goto done;
		}
		if (got == 0)
			break;
		plen += got;
	}
	if (plen >= 22 && memcmp(plain, AGE_VERSION_LINE "\n", 22) == 0) {
		err_set(e, ERR_KEY, "identity file '%s' is encrypted twice", name);
		goto done;
	}
	rc = age_identities_add_text(ids, plain, plen, name, e);
done:
	if (plain) {
		sodium_memzero(plain, plen);
		sodium_free(plain);
	}
	if (pass)
		sodium_free(pass);
	age_decrypt_free(dec);
	age_identities_free(pw);
	return rc;
}

int age_identities_add_file(struct age_identities *ids, const unsigned char *data, size_t len,
			    const char *name, struct err *e)
{
	size_t i = 0;
	while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n'))
		i++;
	const char *rest = (const char *)data + i;
	size_t rn = len - i;
	if (starts_with(rest, rn, AGE_VERSION_LINE "\n") || starts_with(rest, rn, ARMOR_BEGIN))
		return add_encrypted_identity_file(ids, data, len, name, e);
	if (starts_with(rest, rn, "-----BEGIN") || starts_with(rest, rn, "ssh-")) {
		err_set(e, ERR_KEY, "unsupported identity type: '%s' looks like an SSH or PEM "
				    "private key, which amana does not support",
			name);
		return err_hint(e, "use an age identity file (AGE-SECRET-KEY-1...), made with "
				   "'amana key new encrypt' or age-keygen");
	}
	return age_identities_add_text(ids, data, len, name, e);
}
