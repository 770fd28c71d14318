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

/* ---- the spool: payload.age written chunk by chunk, in any order ------------------------ */

struct spool {
	struct age_chunked *age;
	int fd;		      /* the output file: payload.age lives at base */
	uint64_t base;
	uint64_t start;	      /* plaintext offset where the attachments' part begins */
	bool has_boundary;    /* start is inside a chunk, which both parts share */
	uint64_t boundary_index;
	unsigned char *boundary; /* that chunk's plaintext */
	unsigned char *cur;	 /* the chunk being filled */
	uint64_t cur_index;
	size_t cur_len;
	bool cur_open;
	unsigned char *ct;	 /* one sealed chunk */
	uint64_t pos;		 /* the next plaintext offset */
	uint64_t total;		 /* plaintext size, once known */
	struct sealq *q;	 /* the worker sealing whole chunks, while the tail is written */
};

static int spool_put(struct spool *sp, uint64_t index, bool last, const unsigned char *pt,
		     size_t len, struct err *e)
{
	age_chunked_seal(sp->age, index, last, pt, len, sp->ct);
	off_t at = (off_t)(sp->base + age_chunked_offset(sp->age, index));
	size_t n = len + 16, done = 0;
	while (done < n) {
		ssize_t w = pwrite(sp->fd, sp->ct + done, n - done, at + (off_t)done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return err_errno(e, ERR_IO, "cannot write the payload");
		done += (size_t)w;
	}
	return 0;
}

/* ---- sealing whole chunks on another core ----------------------------------------------
 * While the caller reads and hashes attachments, whole chunks of the tail (never the last)
 * are sealed and written by a worker thread from a ring of chunk buffers; the caller fills
 * the buffers in place, so nothing is copied. Consecutive chunks are written together. On a
 * single core, or when no thread starts, chunks are sealed in place as they come. */

#define SEALQ_SLOTS 8
#define SEALQ_BATCH 16 /* chunks written at once */

struct sealq {
	struct spool *sp;
	bool threaded, stop, failed;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned char *slot[SEALQ_SLOTS];
	uint64_t index[SEALQ_SLOTS];
	unsigned head, tail;
	unsigned char *batch; /* SEALQ_BATCH sealed chunks */
	size_t batch_n;
	uint64_t batch_first;
	uint64_t written; /* since the last writeback kick */
	struct err err;
};

/* Starts the kernel writing what is written so far, every so often, so that the final fsync
 * has little left to do and dirty pages do not pile up. */
static void writeback_kick(int fd, uint64_t *since, uint64_t n)
{
	*since += n;
	if (*since >= (64u << 20)) {
		sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
		*since = 0;
	}
}

static int sealq_flush(struct sealq *q, struct err *e)
{
	if (q->batch_n == 0)
		return 0;
	writeback_kick(q->sp->fd, &q->written, q->batch_n * AGE_CHUNK_CT);
	uint64_t at = q->sp->base + age_chunked_offset(q->sp->age, q->batch_first);
	size_t n = q->batch_n * AGE_CHUNK_CT;
	q->batch_n = 0;
	const unsigned char *p = q->batch;
	while (n > 0) {
		ssize_t w = pwrite(q->sp->fd, p, n, (off_t)at);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return err_errno(e, ERR_IO, "cannot write the payload");
		p += w;
		n -= (size_t)w;
		at += (uint64_t)w;
	}
	return 0;
}

static void *sealq_worker(void *arg)
{
	struct sealq *q = arg;
	pthread_mutex_lock(&q->mu);
	for (;;) {
		while (q->tail == q->head && !q->stop)
			pthread_cond_wait(&q->cv, &q->mu);
		if (q->tail == q->head) {
			pthread_mutex_unlock(&q->mu);
			if (!q->failed && sealq_flush(q, &q->err) != 0)
				q->failed = true;
			pthread_mutex_lock(&q->mu);
			break;
		}
		unsigned i = q->tail % SEALQ_SLOTS;
		uint64_t idx = q->index[i];
		pthread_mutex_unlock(&q->mu);
		if (!q->failed) {
			if (q->batch_n && (q->batch_first + q->batch_n != idx || q->batch_n == SEALQ_BATCH) &&
			    sealq_flush(q, &q->err) != 0)
				q->failed = true;
			if (q->batch_n == 0)
				q->batch_first = idx;
			age_chunked_seal(q->sp->age, idx, false, q->slot[i], AGE_CHUNK,
					 q->batch + q->batch_n * AGE_CHUNK_CT);
			q->batch_n++;
		}
		pthread_mutex_lock(&q->mu);
		q->tail++;
		pthread_cond_broadcast(&q->cv);
	}
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

/* Starts the worker; sp->cur then points into the ring. Without a thread, nothing changes. */
static void sealq_start(struct sealq *q, struct spool *sp)
{
	memset(q, 0, sizeof *q);
	q->sp = sp;
	if (!io_parallel())
		return;
	bool ok = (q->batch = malloc(SEALQ_BATCH * AGE_CHUNK_CT)) != NULL;
	for (int i = 0; i < SEALQ_SLOTS && ok; i++)
		ok = (q->slot[i] = malloc(AGE_CHUNK)) != NULL;
	if (ok && pthread_mutex_init(&q->mu, NULL) == 0) {
		if (pthread_cond_init(&q->cv, NULL) == 0) {
			if (io_thread_create(&q->thread, sealq_worker, q) == 0)
				q->threaded = true;
			else
				pthread_cond_destroy(&q->cv);
		}
		if (!q->threaded)
			pthread_mutex_destroy(&q->mu);
	}
	if (!q->threaded) {
		for (int i = 0; i < SEALQ_SLOTS; i++)
			free(q->slot[i]);
		free(q->batch);
		memset(q, 0, sizeof *q);
		q->sp = sp;
		return;
	}
	sp->q = q;
}

/* Hands over the full, not-last chunk in sp->cur (numbered index) and gives sp->cur a free
 * buffer. */
static int sealq_submit(struct sealq *q, uint64_t index, struct err *e)
{
	if (!q->threaded)
		return spool_put(q->sp, index, false, q->sp->cur, AGE_CHUNK, e);
	pthread_mutex_lock(&q->mu);
	q->index[q->head % SEALQ_SLOTS] = index;
	q->head++;
	pthread_cond_broadcast(&q->cv);
	while (q->head - q->tail >= SEALQ_SLOTS)
		pthread_cond_wait(&q->cv, &q->mu);
	bool failed = q->failed;
	pthread_mutex_unlock(&q->mu);
	q->sp->cur = q->slot[q->head % SEALQ_SLOTS];
	if (failed) {
		err_copy(e, &q->err);
		return -1;
	}
	return 0;
}

/* Waits for every chunk handed over, stops the worker, and gives sp->cur back its own
 * buffer (own), with the last chunk's bytes copied into it. */
static int sealq_stop(struct sealq *q, unsigned char *own, struct err *e)
{
	if (!q->threaded)
		return 0;
	pthread_mutex_lock(&q->mu);
	q->stop = true;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
	pthread_join(q->thread, NULL);
	pthread_cond_destroy(&q->cv);
	pthread_mutex_destroy(&q->mu);
	memcpy(own, q->sp->cur, AGE_CHUNK);
	q->sp->cur = own;
	q->sp->q = NULL;
	for (int i = 0; i < SEALQ_SLOTS; i++)
		free(q->slot[i]);
	free(q->batch);
	q->threaded = false;
	if (q->failed) {
		err_copy(e, &q->err);
		return -1;
	}
	return 0;
}

/* Where the attachments' part goes: its chunks are sealed as soon as the next one begins. */
static int spool_tail_write(void *ctx, const void *buf, size_t len, struct err *e)
{
	struct spool *sp = ctx;
	const unsigned char *p = buf;
	while (len > 0) {
		uint64_t idx = sp->pos / AGE_CHUNK;
		size_t off = (size_t)(sp->pos % AGE_CHUNK);
		size_t n = AGE_CHUNK - off < len ? AGE_CHUNK - off : len;
		if (sp->has_boundary && idx == sp->boundary_index) {
			memcpy(sp->boundary + off, p, n);
		} else {
			if (sp->cur_open && idx != sp->cur_index) {
				if ((sp->q ? sealq_submit(sp->q, sp->cur_index, e)
					   : spool_put(sp, sp->cur_index, false, sp->cur, AGE_CHUNK, e)) != 0)
					return -1;
				sp->cur_open = false;
			}
			if (!sp->cur_open) {
				sp->cur_open = true;
				sp->cur_index = idx;
			}
			memcpy(sp->cur + off, p, n);
			sp->cur_len = off + n;
		}
		sp->pos += n;
		p += n;
		len -= n;
	}
	return 0;
}

/* Where the beginning goes (manifest and signature), once the tail is done. */
static int spool_head_write(void *ctx, const void *buf, size_t len, struct err *e)
{
	struct spool *sp = ctx;
	const unsigned char *p = buf;
	while (len > 0) {
		uint64_t idx = sp->pos / AGE_CHUNK;
		size_t off = (size_t)(sp->pos % AGE_CHUNK);
		size_t n = AGE_CHUNK - off < len ? AGE_CHUNK - off : len;
		if (sp->pos + n > sp->start)
			return err_set(e, ERR_INTERNAL, "the manifest outgrew its place in the payload (this is a bug)");
		if (sp->has_boundary && idx == sp->boundary_index) {
			memcpy(sp->boundary + off, p, n);
		} else {
			memcpy(sp->cur + off, p, n);
			/* A chunk wholly before the tail is never the last one. */
			if (off + n == AGE_CHUNK && spool_put(sp, idx, false, sp->cur, AGE_CHUNK, e) != 0)
				return -1;
		}
		sp->pos += n;
		p += n;
		len -= n;
	}
	return 0;
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

/* The size of the inner tar's tail (the attachments and the end blocks), by writing their
 * headers and feeding zeros where the data goes: libarchive passes data through without
 * copying it, so this costs next to nothing whatever the attachments weigh. */
static int tail_size(const struct seal_input *in, uint64_t *out, struct err *e)
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
	return tar_writer_close(w, e);
fail:
	free(name);
	tar_writer_abort(w);
	return -1;
}

/* Streams the attachments into the tail of the inner tar, hashing each as it goes. */
static int write_attachments(const struct seal_input *in, struct spool *sp, uint8_t (*digests)[64],
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
	if (hashq_new(&hq, e) != 0 || tar_writer_open(&w, spool_tail_write, sp, in->created, e) != 0)
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
	rc = tar_writer_close(w, e);
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

/* The size of the payload's head (manifest.sqlite and its signature as tar entries), by
 * writing it with the placeholder manifest, which has the real one's size. */
static int head_size(const char *manifest, uint64_t msize, const char *sig, int64_t created,
		     uint64_t *out, struct err *e)
{
	struct tar_writer *w;
	*out = 0;
	if (tar_writer_open(&w, count_write, out, created, e) != 0)
		return -1;
	if (tar_copy_file(w, "manifest.sqlite", manifest, msize, e) != 0 ||
	    tar_writer_file(w, "manifest.sqlite.minisig", sig, strlen(sig), e) != 0) {
		tar_writer_abort(w);
		return -1;
	}
	return tar_writer_detach(w, e);
}

/* BLAKE2b-512 of size bytes of the output at base, read back (from the page cache). The kernel
 * is asked to start writing the file out meanwhile, so that the final fsync is short. */
static int hash_spool(int fd, uint64_t base, uint64_t size, uint8_t out[64], struct err *e)
{
	unsigned char *buf = malloc(READ_BUF);
	crypto_generichash_state h;
	if (!buf)
		return err_set(e, ERR_IO, "out of memory");
	sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
	posix_fadvise(fd, (off_t)base, (off_t)size, POSIX_FADV_SEQUENTIAL);
	crypto_generichash_init(&h, NULL, 0, 64);
	uint64_t off = 0;
	while (off < size) {
		size_t want = size - off < READ_BUF ? (size_t)(size - off) : READ_BUF;
		ssize_t n = pread(fd, buf, want, (off_t)(base + off));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(buf);
			return err_errno(e, ERR_IO, "cannot read the payload back");
		}
		crypto_generichash_update(&h, buf, (size_t)n);
		off += (uint64_t)n;
	}
	free(buf);
	crypto_generichash_final(&h, out, 64);
	return 0;
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
	env->format = 2;
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

/* Salts, leaves and the tree of the records, for outcome_each_record. */
struct leaf_walk {
	const struct seal_input *in;
	struct merkle_tree *tree;
	uint8_t (*salts)[32], (*leaves)[32];
};

static int leaf_of_record(void *ctx, uint64_t seq, const struct outcome_record *r, struct err *e)
{
	struct leaf_walk *w = ctx;
	struct record_fields f = {seq, r->kind, r->lang, r->title, r->body, r->body_len};
	record_salt(w->in->salt_seed, seq, w->salts[seq - 1]);
	record_leaf(w->in->bundle_id, &f, w->salts[seq - 1], w->leaves[seq - 1]);
	return merkle_tree_append(w->tree, w->leaves[seq - 1], e);
}

int seal_prepare(const struct seal_input *in, struct sealed *s, struct err *e)
{
	const struct outcome *o = in->outcome;
	struct spool sp = {0};
	struct age_recipients *ar = NULL;
	uint8_t (*salts)[32] = NULL, (*leaves)[32] = NULL, (*digests)[64] = NULL;
	char *placeholder = NULL, *manifest = NULL, *msig = NULL;
	struct manifest_meta meta;
	int rc = -1;

	memset(s, 0, sizeof *s);
	s->out.fd = -1;
	s->created = in->created;
	if (in->root) {
		s->root = in->root->chain;
		s->root_len = in->root->chain_len;
	}
	sp.fd = -1;
	if (!(s->out_path = strdup(in->out_path)))
		return err_set(e, ERR_IO, "out of memory");
	if (o->nrecords == 0)
		return err_set(e, ERR_INTERNAL, "an outcome without records reached seal");
	if (io_tmpdir_beside(in->out_path, &s->workdir, e) != 0)
		return -1;
	placeholder = io_join(s->workdir, "manifest.placeholder");
	manifest = io_join(s->workdir, "manifest.sqlite");
	salts = malloc(o->nrecords * sizeof *salts);
	leaves = malloc(o->nrecords * sizeof *leaves);
	digests = calloc(o->nattachments ? o->nattachments : 1, sizeof *digests);
	sp.boundary = malloc(AGE_CHUNK);
	sp.cur = malloc(AGE_CHUNK);
	sp.ct = malloc(AGE_CHUNK_CT);
	if (!placeholder || !manifest || !salts || !leaves || !digests || !sp.boundary ||
	    !sp.cur || !sp.ct) {
		err_set(e, ERR_IO, "out of memory");
		goto done;
	}

	/* 1. Records: salts, leaves, root. */
	memset(&meta, 0, sizeof meta);
	to_hex(meta.bundle_id, in->bundle_id, 16);
	minisign_key_id_hex(in->sk->key_id, meta.issuer);
	meta.issuer_name = in->issuer_name;
	clock_rfc3339(in->created, meta.created, sizeof meta.created);
	meta.sequence = in->sequence;
	meta.records_count = o->nrecords;
	struct merkle_tree tree;
	merkle_tree_init(&tree);
	struct leaf_walk lw = {in, &tree, salts, leaves};
	if (outcome_each_record(o, leaf_of_record, &lw, e) != 0)
		goto done;
	uint8_t root[32];
	merkle_tree_root(&tree, root);
	to_hex(meta.records_root, root, 32);

	/* 2. The placeholder manifest fixes where the tail starts. */
	uint64_t msize = 0, msize2 = 0;
	if (manifest_build(placeholder, o, &meta, (const uint8_t(*)[32])salts,
			   (const uint8_t(*)[32])leaves, NULL, in->recipients, in->nrecipients, e) != 0 ||
	    file_size(placeholder, &msize, e) != 0 || !(msig = sign_manifest(in, placeholder, meta.bundle_id, e)))
		goto done;
	size_t sigsize = strlen(msig);
	if (head_size(placeholder, msize, msig, in->created, &sp.start, e) != 0)
		goto done;
	free(msig);
	msig = NULL;
	sp.has_boundary = sp.start % AGE_CHUNK != 0;
	sp.boundary_index = sp.start / AGE_CHUNK;

	/* 3. Where everything goes. The inner tar's size is known now (the tail is measured
	 * without reading the attachments), so payload.age's size is, and so is the envelope's
	 * (its digest has a fixed length): payload.age is written straight into the output at
	 * the offset the envelope and its signature will leave for it. */
	if (age_recipients_new(&ar, e) != 0)
		goto done;
	for (size_t i = 0; i < in->nrecipients; i++)
		if (age_recipients_add(ar, in->recipients[i].recipient, e) != 0)
			goto done;
	uint64_t tail = 0, x = 0;
	if (age_chunked_new(&sp.age, ar, e) != 0 || tail_size(in, &tail, e) != 0)
		goto done;
	uint64_t total = sp.start + tail;
	uint64_t psize = age_chunked_file_size(sp.age, total);
	size_t plen;
	const unsigned char *prefix = age_chunked_prefix(sp.age, &plen);
	struct payload_digests pd;
	memset(pd.header_hex, '0', 128);
	pd.header_hex[128] = '\0';
	memcpy(pd.body_hex, pd.header_hex, sizeof pd.body_hex);
	pd.header_size = plen - 16; /* the prefix ends with the body's 16-byte nonce */
	pd.body_size = psize - pd.header_size;
	if (make_envelope(in, &meta, &pd, s, e) != 0 || seal_write_head(s, -1, &x, e) != 0)
		goto done;
	if (io_atomic_open(&s->out, s->out_path, 0644, e) != 0)
		goto done;
	sp.fd = s->out.fd;
	sp.base = x;
	if (io_write_all_at(sp.fd, prefix, plen, sp.base, "the bundle", e) != 0)
		goto done;

	/* 4. The attachments, once each, into the tail. */
	sp.pos = sp.start;
	struct sealq q;
	unsigned char *own = sp.cur;
	sealq_start(&q, &sp);
	if (sp.q)
		sp.cur = q.slot[0];
	int wrc = write_attachments(in, &sp, digests, e);
	struct err qe;
	if (sealq_stop(&q, own, &qe) != 0 && wrc == 0) {
		err_copy(e, &qe);
		wrc = -1;
	}
	if (wrc != 0)
		goto done;
	sp.total = sp.pos;
	if (sp.total != total) {
		err_set(e, ERR_INTERNAL, "the payload's tail is %llu bytes, not %llu (this is a bug)",
			(unsigned long long)(sp.total - sp.start), (unsigned long long)tail);
		goto done;
	}
	uint64_t last = (sp.total - 1) / AGE_CHUNK;
	if (sp.cur_open && spool_put(&sp, sp.cur_index, true, sp.cur, sp.cur_len, e) != 0)
		goto done;

	/* 5. The real manifest (same size), its signature, and the head. */
	if (manifest_build(manifest, o, &meta, (const uint8_t(*)[32])salts, (const uint8_t(*)[32])leaves,
			   (const uint8_t(*)[64])digests, in->recipients, in->nrecipients, e) != 0 ||
	    file_size(manifest, &msize2, e) != 0)
		goto done;
	if (msize2 != msize) {
		err_set(e, ERR_INTERNAL, "the manifest's size changed from %llu to %llu bytes (this is a bug)",
			(unsigned long long)msize, (unsigned long long)msize2);
		goto done;
	}
	if (!(msig = sign_manifest(in, manifest, meta.bundle_id, e)))
		goto done;
	if (strlen(msig) != sigsize) {
		err_set(e, ERR_INTERNAL, "the manifest signature changed size (this is a bug)");
		goto done;
	}
	struct tar_writer *hw;
	sp.pos = 0;
	if (tar_writer_open(&hw, spool_head_write, &sp, in->created, e) != 0)
		goto done;
	if (tar_copy_file(hw, "manifest.sqlite", manifest, msize, e) != 0 ||
	    tar_writer_file(hw, "manifest.sqlite.minisig", msig, sigsize, e) != 0) {
		tar_writer_abort(hw);
		goto done;
	}
	if (tar_writer_detach(hw, e) != 0)
		goto done;
	if (sp.pos != sp.start) {
		err_set(e, ERR_INTERNAL, "the payload's head is %llu bytes, not %llu (this is a bug)",
			(unsigned long long)sp.pos, (unsigned long long)sp.start);
		goto done;
	}
	if (sp.has_boundary) {
		uint64_t from = sp.boundary_index * AGE_CHUNK;
		size_t blen = sp.total - from < AGE_CHUNK ? (size_t)(sp.total - from) : AGE_CHUNK;
		if (spool_put(&sp, sp.boundary_index, sp.boundary_index == last, sp.boundary, blen, e) != 0)
			goto done;
	}

	/* 6. The payload's digest, read back; the real envelope and its signature, written in
	 * front of it. */
	uint8_t hdigest[64], bdigest[64];
	uint64_t head = 0;
	crypto_generichash(hdigest, 64, prefix, pd.header_size, NULL, 0);
	if (hash_spool(sp.fd, sp.base + pd.header_size, pd.body_size, bdigest, e) != 0)
		goto done;
	to_hex(pd.header_hex, hdigest, 64);
	to_hex(pd.body_hex, bdigest, 64);
	if (make_envelope(in, &meta, &pd, s, e) != 0 || seal_write_head(s, sp.fd, &head, e) != 0)
		goto done;
	if (head != x) {
		err_set(e, ERR_INTERNAL, "the bundle's head is %llu bytes, not %llu (this is a bug)",
			(unsigned long long)head, (unsigned long long)x);
		goto done;
	}
	s->tail_off = x + psize;
	rc = 0;
done:
	age_chunked_free(sp.age);
	age_recipients_free(ar);
	free(sp.boundary);
	free(sp.cur);
	free(sp.ct);
	free(salts);
	free(leaves);
	free(digests);
	if (placeholder)
		unlink(placeholder);
	free(placeholder);
	free(manifest);
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
