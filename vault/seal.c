/*
 * seal.c - the sealing pipeline. See seal.h for the steps and why they come in that order.
 */
#include "vault/seal.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "vault/age_chunked.h"
#include "vault/bundle.h"
#include "vault/clock.h"
#include "vault/hashq.h"
#include "vault/io.h"
#include "vault/merkle.h"
#include "vault/record.h"
#include "vault/text.h"

#define READ_BUF (1u << 20)

/* ---- the pipe: payload.age's chunks sealed, hashed and written, in order -----------------
 * The inner tar is written front to back, so every chunk of the payload is final when it is
 * full: it is sealed (ChaCha20-Poly1305, in place), added to the body's BLAKE2b-512 and
 * written at its offset. While the caller reads the attachments (and hashes them on another
 * thread, see hashq.h), one thread seals and another hashes and writes: each byte is read
 * from disk once and passes the three steps on whatever cores there are. The chunks go
 * through a ring of buffers that the caller fills in place, so nothing is copied. Without a
 * second core (or with --threads 1), or for the payload's last part, chunks go through
 * inline. */

#define PIPE_SLOTS 32
#define PIPE_BATCH 16 /* chunks written with one call */

struct pipe {
	struct age_chunked *age;
	int fd;
	uint64_t base;		/* where payload.age's data starts in the output */
	uint64_t last;		/* the payload's last chunk */
	crypto_generichash_state body; /* the body: the nonce, then the sealed chunks in order */
	uint64_t kicked;	/* the output is being written back up to here */
	uint64_t pos;		/* plaintext bytes handed over */
	unsigned char *cur;	/* the chunk being filled */
	unsigned char *own;	/* AGE_CHUNK_CT bytes: chunks that go through inline */
	/* the ring: chunk i in slot[i % PIPE_SLOTS]; head chunks filled, mid sealed, tail
	 * hashed and written */
	unsigned char *slot[PIPE_SLOTS];
	uint64_t head, mid, tail;
	bool threaded, stop, failed;
	unsigned waiting;	/* threads waiting on cv: only then is it worth a wake-up */
	pthread_t sealer, writer;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct err err;
};

/* Starts the kernel writing out what was written up to end, every 8 MiB, so that the final
 * fsync has little left to do and dirty pages do not pile up. */
static void writeback_kick(struct pipe *p, uint64_t end)
{
	if (end >= p->kicked + (8u << 20)) {
		sync_file_range(p->fd, (off_t)p->kicked, (off_t)(end - p->kicked), SYNC_FILE_RANGE_WRITE);
		p->kicked = end;
	}
}

/* Waits on p->cv (p->mu held), counted, so that the other side wakes it only when needed. */
static void pipe_wait(struct pipe *p)
{
	p->waiting++;
	pthread_cond_wait(&p->cv, &p->mu);
	p->waiting--;
}

static void pipe_wake(struct pipe *p)
{
	if (p->waiting)
		pthread_cond_broadcast(&p->cv);
}

/* A chunk through inline: sealed in place, hashed, written. */
static int chunk_out(struct pipe *p, uint64_t index, bool last, unsigned char *buf, size_t len,
		     struct err *e)
{
	uint64_t at = p->base + age_chunked_offset(p->age, index);
	age_chunked_seal(p->age, index, last, buf, len, buf);
	crypto_generichash_update(&p->body, buf, len + 16);
	if (io_write_all_at(p->fd, buf, len + 16, at, "the bundle", e) != 0)
		return -1;
	writeback_kick(p, at + len + 16);
	return 0;
}

static void *pipe_sealer(void *arg)
{
	struct pipe *p = arg;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (p->mid == p->head && !p->stop)
			pipe_wait(p);
		if (p->mid == p->head)
			break;
		uint64_t i = p->mid;
		pthread_mutex_unlock(&p->mu);
		unsigned char *b = p->slot[i % PIPE_SLOTS];
		age_chunked_seal(p->age, i, false, b, AGE_CHUNK, b);
		pthread_mutex_lock(&p->mu);
		p->mid++;
		pipe_wake(p);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

static void *pipe_writer(void *arg)
{
	struct pipe *p = arg;
	struct iovec iov[PIPE_BATCH];
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (p->tail == p->mid && !(p->stop && p->mid == p->head))
			pipe_wait(p);
		if (p->tail == p->mid)
			break;
		uint64_t first = p->tail, n = p->mid - p->tail;
		bool failed = p->failed;
		pthread_mutex_unlock(&p->mu);
		if (n > PIPE_BATCH)
			n = PIPE_BATCH;
		/* A run of consecutive slots, written with one call. */
		if (first % PIPE_SLOTS + n > PIPE_SLOTS)
			n = PIPE_SLOTS - first % PIPE_SLOTS;
		for (uint64_t k = 0; k < n; k++) {
			iov[k].iov_base = p->slot[(first + k) % PIPE_SLOTS];
			iov[k].iov_len = AGE_CHUNK_CT;
			crypto_generichash_update(&p->body, iov[k].iov_base, AGE_CHUNK_CT);
		}
		struct err we = {0};
		if (!failed) {
			uint64_t at = p->base + age_chunked_offset(p->age, first);
			size_t left = (size_t)n * AGE_CHUNK_CT;
			int iv = 0;
			while (left > 0) {
				ssize_t w = pwritev(p->fd, iov + iv, (int)n - iv, (off_t)at);
				if (w < 0 && errno == EINTR)
					continue;
				if (w <= 0) {
					err_errno(&we, ERR_IO, "cannot write the payload");
					break;
				}
				at += (uint64_t)w;
				left -= (size_t)w;
				writeback_kick(p, at);
				while (w > 0 && iv < (int)n) {
					if ((size_t)w >= iov[iv].iov_len) {
						w -= (ssize_t)iov[iv].iov_len;
						iv++;
					} else {
						iov[iv].iov_base = (char *)iov[iv].iov_base + w;
						iov[iv].iov_len -= (size_t)w;
						w = 0;
					}
				}
			}
		}
		pthread_mutex_lock(&p->mu);
		if (we.code && !p->failed) {
			p->failed = true;
			err_copy(&p->err, &we);
		}
		p->tail += n;
		pipe_wake(p);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* Starts the two threads when there is a second core; p->cur then points into the ring. */
static void pipe_start(struct pipe *p)
{
	p->cur = p->own;
	if (!io_parallel())
		return;
	bool ok = true;
	for (int i = 0; i < PIPE_SLOTS && ok; i++)
		ok = (p->slot[i] = malloc(AGE_CHUNK_CT)) != NULL;
	if (ok && pthread_mutex_init(&p->mu, NULL) == 0) {
		if (pthread_cond_init(&p->cv, NULL) == 0) {
			if (io_thread_create(&p->sealer, pipe_sealer, p) == 0) {
				if (io_thread_create(&p->writer, pipe_writer, p) == 0) {
					p->threaded = true;
				} else {
					pthread_mutex_lock(&p->mu);
					p->stop = true;
					pthread_cond_broadcast(&p->cv);
					pthread_mutex_unlock(&p->mu);
					pthread_join(p->sealer, NULL);
				}
			}
			if (!p->threaded)
				pthread_cond_destroy(&p->cv);
		}
		if (!p->threaded)
			pthread_mutex_destroy(&p->mu);
	}
	if (!p->threaded) {
		for (int i = 0; i < PIPE_SLOTS; i++) {
			free(p->slot[i]);
			p->slot[i] = NULL;
		}
		p->stop = false;
		return;
	}
	p->cur = p->slot[0];
}

/* The chunk in p->cur is full (and is not the last): on to the ring, or out inline. */
static int pipe_hand_over(struct pipe *p, struct err *e)
{
	uint64_t index = p->pos / AGE_CHUNK - 1;
	if (!p->threaded) {
		p->head = p->mid = p->tail = index + 1;
		return chunk_out(p, index, false, p->cur, AGE_CHUNK, e);
	}
	pthread_mutex_lock(&p->mu);
	p->head++;
	pipe_wake(p);
	while (p->head - p->tail >= PIPE_SLOTS && !p->failed)
		pipe_wait(p);
	bool failed = p->failed;
	pthread_mutex_unlock(&p->mu);
	p->cur = p->slot[p->head % PIPE_SLOTS];
	if (failed) {
		err_copy(e, &p->err);
		return -1;
	}
	return 0;
}

/* Waits for every chunk handed over and stops the threads; the chunk being filled moves to
 * p->own. */
static int pipe_drain(struct pipe *p, struct err *e)
{
	if (!p->threaded)
		return 0;
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->sealer, NULL);
	pthread_join(p->writer, NULL);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	p->threaded = false;
	memcpy(p->own, p->cur, p->pos % AGE_CHUNK);
	p->cur = p->own;
	if (p->failed) {
		err_copy(e, &p->err);
		return -1;
	}
	return 0;
}

static void pipe_free(struct pipe *p)
{
	if (p->threaded) {
		struct err ignored;
		(void)pipe_drain(p, &ignored);
	}
	for (int i = 0; i < PIPE_SLOTS; i++)
		free(p->slot[i]);
	free(p->own);
	memset(p, 0, sizeof *p);
}

/* The inner tar's writer: fills chunks, hands over each full one. */
static int pipe_write(void *ctx, const void *buf, size_t len, struct err *e)
{
	struct pipe *p = ctx;
	const unsigned char *b = buf;
	while (len > 0) {
		size_t off = (size_t)(p->pos % AGE_CHUNK);
		size_t n = AGE_CHUNK - off < len ? AGE_CHUNK - off : len;
		memcpy(p->cur + off, b, n);
		p->pos += n;
		b += n;
		len -= n;
		if (off + n < AGE_CHUNK)
			continue;
		uint64_t index = p->pos / AGE_CHUNK - 1;
		if (index == p->last && p->threaded)
			return err_set(e, ERR_INTERNAL, "the payload's last chunk reached the threads (this is a bug)");
		if (index == p->last) {
			if (chunk_out(p, index, true, p->cur, AGE_CHUNK, e) != 0)
				return -1;
		} else if (pipe_hand_over(p, e) != 0) {
			return -1;
		}
	}
	return 0;
}

/* After the whole inner tar: its last chunk, when it is not a full one. */
static int pipe_finish(struct pipe *p, struct err *e)
{
	size_t rest = (size_t)(p->pos % AGE_CHUNK);
	if (rest == 0)
		return 0;
	return chunk_out(p, p->pos / AGE_CHUNK, true, p->cur, rest, e);
}

/* ---- writing at an offset of the output ---------------------------------------------------- */

/* A tar writer's output, written at off (and on) in fd. */
struct at_sink {
	int fd;
	uint64_t off;
};

static int at_write(void *ctx, const void *buf, size_t len, struct err *e)
{
	struct at_sink *a = ctx;
	if (io_write_all_at(a->fd, buf, len, a->off, "the bundle", e) != 0)
		return -1;
	a->off += len;
	return 0;
}

static int count_write(void *ctx, const void *buf, size_t len, struct err *e)
{
	(void)buf;
	(void)e;
	*(uint64_t *)ctx += len;
	return 0;
}

/* ---- steps ------------------------------------------------------------------------------ */

static void to_hex(char *out, const uint8_t *in, size_t n)
{
	sodium_bin2hex(out, n * 2 + 1, in, n);
}

/* Signs the manifest file at path: a prehashed minisign signature whose trusted comment names
 * the bundle and sequence. Returns the signature file's text (malloc'd). */
static char *sign_manifest(const struct seal_input *in, const char *path, const char *bundle_hex,
			   struct err *e)
{
	uint8_t hash[MINISIGN_HASH_BYTES];
	char tc[128];
	struct minisign_sig sig;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err_errno(e, ERR_IO, "cannot read the manifest");
		return NULL;
	}
	int rc = minisign_hash_fd(fd, hash, e);
	close(fd);
	if (rc != 0)
		return NULL;
	snprintf(tc, sizeof tc, "%s %s %llu", MANIFEST_FORMAT, bundle_hex,
		 (unsigned long long)in->sequence);
	if (minisign_sign(in->sk, MINISIGN_PREHASHED, hash, NULL, 0, tc, BUNDLE_MANIFEST_SIG_COMMENT, &sig, e) != 0)
		return NULL;
	char *text = minisign_sig_encode(&sig);
	minisign_sig_clear(&sig);
	if (!text)
		err_set(e, ERR_IO, "out of memory");
	return text;
}

static int file_size(const char *path, uint64_t *size, struct err *e)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return err_errno(e, ERR_IO, "cannot stat '%s'", path);
	*size = (uint64_t)st.st_size;
	return 0;
}

/* The size of the inner tar's first part (the attachments, without the tar's end), by
 * writing their headers and feeding zeros where the data goes: libarchive passes data through
 * without copying it, so this costs next to nothing whatever the attachments weigh. */
static int files_size(const struct seal_input *in, uint64_t *out, struct err *e)
{
	static const unsigned char zeros[65536];
	struct tar_writer *w;
	char *name = NULL;
	*out = 0;
	if (tar_writer_open(&w, count_write, out, in->created, e) != 0)
		return -1;
	for (size_t i = 0; i < in->outcome->nattachments; i++) {
		const struct outcome_attachment *a = &in->outcome->attachments[i];
		size_t nl = strlen(a->path) + 7;
		free(name);
		if (!(name = malloc(nl))) {
			tar_writer_abort(w);
			return err_set(e, ERR_IO, "out of memory");
		}
		snprintf(name, nl, "files/%s", a->path);
		if (tar_writer_entry(w, name, a->size, e) != 0)
			goto fail;
		for (uint64_t left = a->size; left > 0;) {
			size_t n = left < sizeof zeros ? (size_t)left : sizeof zeros;
			if (tar_writer_data(w, zeros, n, e) != 0)
				goto fail;
			left -= n;
		}
	}
	free(name);
	return tar_writer_detach(w, e);
fail:
	free(name);
	tar_writer_abort(w);
	return -1;
}

/* Streams the attachments into the inner tar's first part, hashing each as it goes. */
static int write_attachments(const struct seal_input *in, struct pipe *sp, uint8_t (*digests)[64],
			     struct err *e)
{
	const struct outcome *o = in->outcome;
	struct tar_writer *w = NULL;
	struct hashq *hq = NULL;
	unsigned char *buf = malloc(READ_BUF);
	uint64_t total = 0, done = 0;
	int rc = -1, fd = -1;
	char *name = NULL;
	for (size_t i = 0; i < o->nattachments; i++)
		total += o->attachments[i].size;
	if (!buf) {
		err_set(e, ERR_IO, "out of memory");
		goto out;
	}
	if (hashq_new(&hq, e) != 0 || tar_writer_open(&w, pipe_write, sp, in->created, e) != 0)
		goto out;
	for (size_t i = 0; i < o->nattachments; i++) {
		const struct outcome_attachment *a = &o->attachments[i];
		char *shown = text_display(a->path, strlen(a->path));
		struct stat st;
		fd = open(a->source, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) != 0) {
			err_errno(e, ERR_IO, "cannot read attachment '%s'", shown ? shown : "?");
			free(shown);
			goto out;
		}
		if ((uint64_t)st.st_size != a->size) {
			err_set(e, ERR_IO, "attachment '%s' changed size while sealing", shown ? shown : "?");
			free(shown);
			goto out;
		}
		posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
		free(name);
		size_t nl = strlen(a->path) + 7;
		if (!(name = malloc(nl))) {
			free(shown);
			err_set(e, ERR_IO, "out of memory");
			goto out;
		}
		snprintf(name, nl, "files/%s", a->path);
		if (tar_writer_entry(w, name, a->size, e) != 0) {
			free(shown);
			goto out;
		}
		uint64_t left = a->size;
		for (;;) {
			size_t want = left < READ_BUF ? (size_t)left : READ_BUF, got;
			if (left == 0)
				want = 1; /* one more read: the file must end where it said */
			if (io_read_full(fd, buf, want, &got, e) != 0) {
				err_prefix(e, "cannot read attachment '%s'", shown ? shown : "?");
				free(shown);
				goto out;
			}
			if (left == 0 && got == 0)
				break;
			if (got < want || left == 0) {
				err_set(e, ERR_IO, "attachment '%s' changed size while sealing", shown ? shown : "?");
				free(shown);
				goto out;
			}
			hashq_update(hq, buf, got);
			if (tar_writer_data(w, buf, got, e) != 0) {
				free(shown);
				goto out;
			}
			left -= got;
			done += got;
			if (in->progress)
				in->progress(in->progress_ctx, done, total);
		}
		hashq_final(hq, digests[i]);
		free(shown);
		close(fd);
		fd = -1;
	}
	rc = tar_writer_detach(w, e);
	w = NULL;
out:
	if (fd >= 0)
		close(fd);
	tar_writer_abort(w);
	hashq_free(hq);
	free(name);
	free(buf);
	return rc;
}

/* Streams a file into a tar entry of the head. */
static int tar_copy_file(struct tar_writer *w, const char *name, const char *path, uint64_t size,
			 struct err *e)
{
	unsigned char buf[65536];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_errno(e, ERR_IO, "cannot read '%s'", path);
	int rc = tar_writer_entry(w, name, size, e);
	uint64_t left = size;
	while (rc == 0 && left > 0) {
		size_t got;
		size_t want = left < sizeof buf ? (size_t)left : sizeof buf;
		rc = io_read_full(fd, buf, want, &got, e);
		if (rc == 0 && got != want)
			rc = err_set(e, ERR_INTERNAL, "'%s' shrank while being copied", path);
		if (rc == 0)
			rc = tar_writer_data(w, buf, got, e);
		left -= got;
	}
	close(fd);
	return rc;
}

/* The inner tar's last part: manifest.sqlite, its signature and the tar's end, through
 * write (count_write measures it). */
static int manifest_part(tar_write_fn write, void *ctx, const char *manifest, uint64_t msize,
			 const char *sig, int64_t created, struct err *e)
{
	struct tar_writer *w;
	if (tar_writer_open(&w, write, ctx, created, e) != 0)
		return -1;
	if (tar_copy_file(w, "manifest.sqlite", manifest, msize, e) != 0 ||
	    tar_writer_file(w, "manifest.sqlite.minisig", sig, strlen(sig), e) != 0) {
		tar_writer_abort(w);
		return -1;
	}
	return tar_writer_close(w, e);
}

/* The digests of payload.age the envelope carries: its age header's and its body's. */
struct payload_digests {
	char header_hex[129];
	uint64_t header_size;
	char body_hex[129];
	uint64_t body_size;
};

/* Builds s's envelope for payload.age with the given digests, and signs it. Called twice: with
 * digests of zeros to measure, then with the real ones. */
static int make_envelope(const struct seal_input *in, const struct manifest_meta *meta,
			 const struct payload_digests *pd, struct sealed *s, struct err *e)
{
	const struct outcome *o = in->outcome;
	struct envelope *env = &s->env;
	uint8_t ehash[64];
	char tc[128];
	struct minisign_sig esig;
	envelope_free(env);
	free(s->envelope);
	free(s->envelope_sig);
	s->envelope = s->envelope_sig = NULL;
	memset(env, 0, sizeof *env);
	memcpy(env->bundle_id, meta->bundle_id, sizeof meta->bundle_id);
	memcpy(env->issuer, meta->issuer, sizeof meta->issuer);
	memcpy(env->created, meta->created, sizeof meta->created);
	memcpy(env->records_root, meta->records_root, sizeof meta->records_root);
	env->sequence = in->sequence;
	env->recipients = in->nrecipients;
	env->records_count = o->nrecords;
	env->format = 3;
	env->header_size = pd->header_size;
	memcpy(env->header_blake2b, pd->header_hex, sizeof env->header_blake2b);
	env->payload_size = pd->body_size;
	memcpy(env->payload_blake2b, pd->body_hex, sizeof env->payload_blake2b);
	if (in->root) {
		env->has_root = true;
		memcpy(env->root_id, in->root->root_id, sizeof env->root_id);
		env->root_version = in->root->version;
		memcpy(env->root_digest, in->root->digest, sizeof env->root_digest);
	}
	env->issuer_name = strdup(in->issuer_name);
	env->title = strdup(o->title);
	size_t cl = strlen(o->series) + 32;
	env->conference = malloc(cl);
	if (!env->issuer_name || !env->title || !env->conference)
		return err_set(e, ERR_IO, "out of memory");
	snprintf(env->conference, cl, "%s %lld", o->series, (long long)o->number);
	if (!(s->envelope = envelope_encode(env)))
		return err_set(e, ERR_IO, "out of memory");
	s->envelope_len = strlen(s->envelope);
	crypto_generichash(ehash, 64, (const uint8_t *)s->envelope, s->envelope_len, NULL, 0);
	envelope_trusted_comment(env, tc, sizeof tc);
	if (minisign_sign(in->sk, MINISIGN_PREHASHED, ehash, NULL, 0, tc, BUNDLE_ENVELOPE_SIG_COMMENT,
			  &esig, e) != 0)
		return -1;
	s->envelope_sig = minisign_sig_encode(&esig);
	minisign_sig_clear(&esig);
	if (!s->envelope_sig)
		return err_set(e, ERR_IO, "out of memory");
	return 0;
}

/* The bundle's head: the envelope and envelope.minisig entries and payload.age's header,
 * written at the start of the output (sp given) or only measured (sp NULL). *len gets its
 * size: payload.age's data starts there. */
int seal_write_head(struct sealed *s, int fd, uint64_t *len, struct err *e)
{
	struct tar_writer *w;
	struct at_sink at = {fd, 0};
	*len = 0;
	if (tar_writer_open(&w, fd >= 0 ? at_write : count_write, fd >= 0 ? (void *)&at : (void *)len, s->created, e) != 0)
		return -1;
	if (tar_writer_file(w, BUNDLE_ENVELOPE, s->envelope, s->envelope_len, e) != 0 ||
	    tar_writer_file(w, BUNDLE_ENVELOPE_SIG, s->envelope_sig, strlen(s->envelope_sig), e) != 0 ||
	    (s->root && tar_writer_file(w, BUNDLE_ROOT, s->root, s->root_len, e) != 0) ||
	    (s->addendum && tar_writer_file(w, BUNDLE_ADDENDUM, s->addendum, s->addendum_len, e) != 0) ||
	    tar_writer_entry(w, BUNDLE_PAYLOAD, envelope_payload_total(&s->env), e) != 0) {
		tar_writer_abort(w);
		return -1;
	}
	/* The payload's data is in place already: nothing more through this writer. */
	tar_writer_abort(w);
	if (fd >= 0)
		*len = at.off;
	return 0;
}

/* What a prepared seal keeps until it is committed: enough to write the manifest's part of
 * the payload again under another sequence (seal_resequence). */
struct seal_state {
	struct seal_input in;	/* the caller's, with the sequence in force */
	struct manifest_meta meta;
	char *manifest;		/* manifest.sqlite in the private folder */
	uint64_t msize;
	size_t sigsize;
	uint8_t (*digests)[64];
	struct pipe p;		/* the payload key, the output, the last chunk */
	struct payload_digests pd;
	uint64_t files_end;	/* where the manifest's part starts in the plaintext */
	uint64_t total;		/* the plaintext's size */
	uint64_t head;		/* the bundle's head: payload.age's data starts there */
	crypto_generichash_state snap; /* the body's hash before the chunk holding files_end */
	unsigned char *boundary;       /* that chunk's plaintext before files_end */
};

/* The manifest's part of the payload, from files_end on: the files' digests and the sequence
 * written into the manifest, its signature, the tar's end; then the body's digest, and the
 * envelope and the head in front. Every size is checked against the one measured first. */
static int seal_tail(struct sealed *s, struct err *e)
{
	struct seal_state *st = s->state;
	struct pipe *p = &st->p;
	char *msig = NULL;
	uint8_t digest[64];
	uint64_t head = 0;
	int rc = -1;

	p->body = st->snap;
	p->pos = st->files_end;
	p->cur = p->own;
	memcpy(p->own, st->boundary, (size_t)(st->files_end % AGE_CHUNK));
	st->meta.sequence = st->in.sequence;
	if (manifest_finish(st->manifest, st->in.outcome, (const uint8_t(*)[64])st->digests,
			    st->in.sequence, e) != 0 ||
	    !(msig = sign_manifest(&st->in, st->manifest, st->meta.bundle_id, e)))
		goto done;
	if (strlen(msig) != st->sigsize) {
		err_set(e, ERR_INTERNAL, "the manifest signature changed size (this is a bug)");
		goto done;
	}
	if (manifest_part(pipe_write, p, st->manifest, st->msize, msig, st->in.created, e) != 0 ||
	    pipe_finish(p, e) != 0)
		goto done;
	if (p->pos != st->total) {
		err_set(e, ERR_INTERNAL, "the payload is %llu bytes, not %llu (this is a bug)",
			(unsigned long long)p->pos, (unsigned long long)st->total);
		goto done;
	}
	crypto_generichash_final(&p->body, digest, 64);
	to_hex(st->pd.body_hex, digest, 64);
	if (make_envelope(&st->in, &st->meta, &st->pd, s, e) != 0 || seal_write_head(s, p->fd, &head, e) != 0)
		goto done;
	if (head != st->head) {
		err_set(e, ERR_INTERNAL, "the bundle's head is %llu bytes, not %llu (this is a bug)",
			(unsigned long long)head, (unsigned long long)st->head);
		goto done;
	}
	rc = 0;
done:
	free(msig);
	return rc;
}

static unsigned digits(uint64_t n)
{
	unsigned d = 1;
	while (n >= 10) {
		n /= 10;
		d++;
	}
	return d;
}

bool seal_sequence_fits(const struct sealed *s, uint64_t sequence)
{
	return s->state && digits(sequence) == digits(s->state->in.sequence);
}

int seal_resequence(struct sealed *s, uint64_t sequence, struct err *e)
{
	if (!seal_sequence_fits(s, sequence))
		return err_set(e, ERR_INTERNAL, "seal_resequence with a sequence of another width (this is a bug)");
	if (sequence == s->state->in.sequence)
		return 0;
	s->state->in.sequence = sequence;
	if (seal_tail(s, e) != 0)
		return -1;
	/* Only the head and the last chunks changed: on disk before the caller records them. */
	if (fdatasync(s->state->p.fd) != 0)
		return err_errno(e, ERR_IO, "cannot write the bundle");
	return 0;
}

int seal_prepare(const struct seal_input *in, struct sealed *s, struct err *e)
{
	const struct outcome *o = in->outcome;
	struct age_recipients *ar = NULL;
	struct seal_state *st = NULL;
	char *msig = NULL;
	int rc = -1;

	memset(s, 0, sizeof *s);
	s->out.fd = -1;
	s->created = in->created;
	if (in->root) {
		s->root = in->root->chain;
		s->root_len = in->root->chain_len;
	}
	if (!(s->out_path = strdup(in->out_path)) || !(st = s->state = calloc(1, sizeof *st)))
		return err_set(e, ERR_IO, "out of memory");
	st->in = *in;
	if (o->nrecords == 0)
		return err_set(e, ERR_INTERNAL, "an outcome without records reached seal");
	if (io_tmpdir_beside(in->out_path, &s->workdir, e) != 0)
		return -1;
	st->manifest = io_join(s->workdir, "manifest.sqlite");
	st->digests = calloc(o->nattachments ? o->nattachments : 1, sizeof *st->digests);
	st->boundary = malloc(AGE_CHUNK);
	st->p.own = malloc(AGE_CHUNK_CT);
	if (!st->manifest || !st->digests || !st->boundary || !st->p.own) {
		err_set(e, ERR_IO, "out of memory");
		goto done;
	}

	/* 1. The manifest, records streamed in; the files' digests and the sequence are written
	 * in place at the end, at their fixed length. */
	struct manifest_meta *meta = &st->meta;
	to_hex(meta->bundle_id, in->bundle_id, 16);
	minisign_key_id_hex(in->sk->key_id, meta->issuer);
	meta->issuer_name = in->issuer_name;
	clock_rfc3339(in->created, meta->created, sizeof meta->created);
	meta->sequence = in->sequence;
	meta->records_count = o->nrecords;
	if (manifest_build(st->manifest, o, meta, in->bundle_id, in->salt_seed, in->recipients,
			   in->nrecipients, e) != 0 ||
	    file_size(st->manifest, &st->msize, e) != 0 ||
	    !(msig = sign_manifest(in, st->manifest, meta->bundle_id, e)))
		goto done;
	st->sigsize = strlen(msig);

	/* 2. Where everything goes. The inner tar's size is known now (the files' part is
	 * measured without reading them), so payload.age's size is, and so is the envelope's (its
	 * digests have a fixed length): payload.age is written straight into the output at the
	 * offset the envelope and its signature will leave for it. */
	uint64_t mpart = 0;
	if (files_size(in, &st->files_end, e) != 0 ||
	    manifest_part(count_write, &mpart, st->manifest, st->msize, msig, in->created, e) != 0)
		goto done;
	st->total = st->files_end + mpart;
	if (age_recipients_new(&ar, e) != 0)
		goto done;
	for (size_t i = 0; i < in->nrecipients; i++)
		if (age_recipients_add(ar, in->recipients[i].recipient, e) != 0)
			goto done;
	struct pipe *p = &st->p;
	if (age_chunked_new(&p->age, ar, e) != 0)
		goto done;
	uint64_t psize = age_chunked_file_size(p->age, st->total);
	size_t plen;
	const unsigned char *prefix = age_chunked_prefix(p->age, &plen);
	uint8_t hdigest[64];
	st->pd.header_size = plen - 16; /* the prefix ends with the body's 16-byte nonce */
	st->pd.body_size = psize - st->pd.header_size;
	crypto_generichash(hdigest, 64, prefix, st->pd.header_size, NULL, 0);
	to_hex(st->pd.header_hex, hdigest, 64);
	memset(st->pd.body_hex, '0', 128);
	st->pd.body_hex[128] = '\0';
	if (make_envelope(in, meta, &st->pd, s, e) != 0 || seal_write_head(s, -1, &st->head, e) != 0)
		goto done;
	if (io_atomic_open(&s->out, s->out_path, 0644, e) != 0)
		goto done;
	p->fd = s->out.fd;
	p->base = st->head;
	p->last = (st->total - 1) / AGE_CHUNK;
	if (io_write_all_at(p->fd, prefix, plen, p->base, "the bundle", e) != 0)
		goto done;
	crypto_generichash_init(&p->body, NULL, 0, 64);
	crypto_generichash_update(&p->body, prefix + st->pd.header_size, 16);

	/* 3. The attachments, once each: hashed, sealed, the body hashed, written. */
	pipe_start(p);
	int wrc = write_attachments(in, p, st->digests, e);
	struct err de;
	if (pipe_drain(p, &de) != 0 && wrc == 0) {
		err_copy(e, &de);
		wrc = -1;
	}
	if (wrc != 0)
		goto done;
	if (p->pos != st->files_end) {
		err_set(e, ERR_INTERNAL, "the payload's files are %llu bytes, not %llu (this is a bug)",
			(unsigned long long)p->pos, (unsigned long long)st->files_end);
		goto done;
	}
	st->snap = p->body;
	memcpy(st->boundary, p->own, (size_t)(st->files_end % AGE_CHUNK));

	/* 4. The manifest's part and the envelope; then all of it on disk, before the caller
	 * takes the vault's lock to record it. */
	if (seal_tail(s, e) != 0)
		goto done;
	if (fdatasync(p->fd) != 0) {
		err_errno(e, ERR_IO, "cannot write the bundle");
		goto done;
	}
	s->tail_off = st->head + psize;
	rc = 0;
done:
	age_recipients_free(ar);
	free(msig);
	return rc;
}

int seal_write(struct sealed *s, const char *checkpoint, size_t checkpoint_len,
	       const char *proof, size_t proof_len, struct err *e)
{
	static const unsigned char zeros[512];
	struct tar_writer *w = NULL;
	if (s->out.fd < 0)
		return err_set(e, ERR_INTERNAL, "seal_write before seal_prepare (this is a bug)");
	/* payload.age's padding to a whole block, then the log members and the end blocks. */
	uint64_t pad = (512 - s->tail_off % 512) % 512;
	struct at_sink at = {s->out.fd, s->tail_off + pad};
	if (io_write_all_at(s->out.fd, zeros, (size_t)pad, s->tail_off, "the bundle", e) != 0 ||
	    tar_writer_open(&w, at_write, &at, s->created, e) != 0)
		goto fail;
	if ((checkpoint && tar_writer_file(w, BUNDLE_CHECKPOINT, checkpoint, checkpoint_len, e) != 0) ||
	    (proof && tar_writer_file(w, BUNDLE_PROOF, proof, proof_len, e) != 0)) {
		tar_writer_abort(w);
		goto fail;
	}
	if (tar_writer_close(w, e) != 0)
		goto fail;
	if (ftruncate(s->out.fd, (off_t)at.off) != 0) {
		err_errno(e, ERR_IO, "cannot write the bundle");
		goto fail;
	}
	if (io_atomic_sync(&s->out, e) != 0)
		goto fail;
	s->written = true;
	return 0;
fail:
	io_atomic_abort(&s->out);
	return -1;
}

int seal_set_output(struct sealed *s, const char *out_path, struct err *e)
{
	char *a = strdup(out_path), *b = strdup(out_path);
	if (!a || !b) {
		free(a);
		free(b);
		return err_set(e, ERR_IO, "out of memory");
	}
	free(s->out_path);
	free(s->out.path);
	s->out_path = a;
	s->out.path = b;
	return 0;
}

int seal_commit(struct sealed *s, struct err *e)
{
	if (!s->written)
		return err_set(e, ERR_INTERNAL, "seal_commit before seal_write (this is a bug)");
	s->written = false;
	return io_atomic_commit_or_keep(&s->out, e);
}

void sealed_free(struct sealed *s)
{
	io_atomic_abort(&s->out);
	if (s->state) {
		struct seal_state *st = s->state;
		age_chunked_free(st->p.age);
		pipe_free(&st->p);
		free(st->manifest);
		free(st->digests);
		if (st->boundary)
			sodium_memzero(st->boundary, AGE_CHUNK);
		free(st->boundary);
		sodium_memzero(st, sizeof *st);
		free(st);
	}
	if (s->workdir) {
		io_rmtree(s->workdir);
		io_tmp_unregister(s->workdir);
	}
	envelope_free(&s->env);
	free(s->envelope);
	free(s->envelope_sig);
	free(s->addendum);
	free(s->workdir);
	free(s->out_path);
	memset(s, 0, sizeof *s);
	s->out.fd = -1;
}
