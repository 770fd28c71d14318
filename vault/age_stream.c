/*
 * age_stream.c - the STREAM payload (layer 3 of the age module, see age_impl.h): the payload
 * key, chunk nonces, one chunk sealed, and runs of full chunks sealed and opened on two cores.
 *
 * One ChaCha20-Poly1305 pass over a 64 KiB chunk is independent of every other chunk, so a
 * run of chunks that are known not to be the last one can be split between the calling
 * thread and one helper thread. Opening splits a run in halves and waits; sealing hands the
 * helper its share and lets the caller write the previous run meanwhile (age.c). libsodium's AEAD alone is slower per core than Go's fused
 * assembly, and this is what keeps amana at least as fast as stock age on a machine with two
 * or more cores. Memory stays flat: the callers hand in at most AGE_BATCH_CHUNKS at a time.
 *
 * The helper is started on first use and waits on a condition variable between runs; on a
 * single-core machine no thread is started and the caller does all the work.
 */
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vault/age_stream.h"
#include "vault/hkdf.h"
#include "vault/io.h"

#define CT (AGE_CHUNK_SIZE + AGE_TAG_SIZE)

/* ---- keys, nonces, one chunk ------------------------------------------------------------- */

void age_payload_key(uint8_t key[32], const uint8_t file_key[AGE_FILE_KEY_SIZE],
		     const uint8_t nonce[AGE_NONCE_SIZE])
{
	hkdf_sha256(key, 32, nonce, AGE_NONCE_SIZE, file_key, AGE_FILE_KEY_SIZE,
		    (const uint8_t *)"payload", 7);
}

static void store64_be(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)(v & 0xff);
		v >>= 8;
	}
}

void age_stream_nonce(uint8_t nonce[12], uint64_t counter, bool final)
{
	memset(nonce, 0, 3); /* the counter's top 3 bytes: never reached */
	store64_be(nonce + 3, counter);
	nonce[11] = final ? 1 : 0;
}

void age_chunk_seal(const uint8_t *key, uint64_t counter, bool final, const unsigned char *in,
		    size_t len, unsigned char *out)
{
	uint8_t nonce[12];
	age_stream_nonce(nonce, counter, final);
	crypto_aead_chacha20poly1305_ietf_encrypt_detached(out, out + len, NULL, in, len, NULL, 0,
							   NULL, nonce, key);
}

/* ---- runs of full chunks on two cores ---------------------------------------------------- */

struct age_run {
	bool seal;
	const uint8_t *key;
	uint64_t base;              /* counter of the run's first chunk */
	const unsigned char *src;
	unsigned char *dst;
	size_t n;
	size_t done;                /* chunks sealed, or opened before the first failure */
};

struct age_par {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_cond_t finished;
	struct age_run job;
	bool has_job, job_done, quit;
};

/* Seals or opens chunks [0, r->n) of a run, all with the "not last" flag; an open stops at
 * the first chunk that fails. */
static void run_chunks(struct age_run *r)
{
	uint8_t nonce[12];
	for (r->done = 0; r->done < r->n; r->done++) {
		size_t i = r->done;
		if (r->seal) {
			age_chunk_seal(r->key, r->base + i, false, r->src + i * AGE_CHUNK_SIZE,
				       AGE_CHUNK_SIZE, r->dst + i * CT);
		} else {
			const unsigned char *c = r->src + i * CT;
			age_stream_nonce(nonce, r->base + i, false);
			if (crypto_aead_chacha20poly1305_ietf_decrypt_detached(
				    r->dst + i * AGE_CHUNK_SIZE, NULL, c, AGE_CHUNK_SIZE,
				    c + AGE_CHUNK_SIZE, NULL, 0, nonce, r->key) != 0)
				return;
		}
	}
}

static void *helper(void *arg)
{
	struct age_par *p = arg;
	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (!p->has_job && !p->quit)
			pthread_cond_wait(&p->wake, &p->lock);
		if (p->quit)
			break;
		p->has_job = false;
		pthread_mutex_unlock(&p->lock);
		run_chunks(&p->job);
		pthread_mutex_lock(&p->lock);
		p->job_done = true;
		pthread_cond_signal(&p->finished);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

int age_par_new(struct age_par **out, struct err *e)
{
	*out = NULL;
	if (!io_parallel())
		return 0;
	struct age_par *p = calloc(1, sizeof *p);
	if (!p)
		return err_set(e, ERR_IO, "out of memory");
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->wake, NULL);
	pthread_cond_init(&p->finished, NULL);
	if (io_thread_create(&p->thread, helper, p) != 0) {
		/* Not fatal: the work is done on one core. */
		pthread_cond_destroy(&p->finished);
		pthread_cond_destroy(&p->wake);
		pthread_mutex_destroy(&p->lock);
		free(p);
		return 0;
	}
	*out = p;
	return 0;
}

void age_par_free(struct age_par *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->quit = true;
	pthread_cond_signal(&p->wake);
	pthread_mutex_unlock(&p->lock);
	pthread_join(p->thread, NULL);
	pthread_cond_destroy(&p->finished);
	pthread_cond_destroy(&p->wake);
	pthread_mutex_destroy(&p->lock);
	sodium_memzero(&p->job, sizeof p->job);
	free(p);
}

/* Runs r split in two: the first half on the helper, the second here. Returns the number of
 * chunks done before the first failure. */
static size_t split_run(struct age_par *p, struct age_run *r)
{
	if (!p || r->n < 2) {
		run_chunks(r);
		return r->done;
	}
	size_t h = r->n / 2;
	struct age_run mine = *r;
	mine.base = r->base + h;
	mine.n = r->n - h;
	mine.src = r->src + h * (r->seal ? AGE_CHUNK_SIZE : CT);
	mine.dst = r->dst + h * (r->seal ? CT : AGE_CHUNK_SIZE);

	pthread_mutex_lock(&p->lock);
	p->job = *r;
	p->job.n = h;
	p->has_job = true;
	p->job_done = false;
	pthread_cond_signal(&p->wake);
	pthread_mutex_unlock(&p->lock);

	run_chunks(&mine);

	pthread_mutex_lock(&p->lock);
	while (!p->job_done)
		pthread_cond_wait(&p->finished, &p->lock);
	size_t first = p->job.done;
	pthread_mutex_unlock(&p->lock);
	return first < h ? first : h + mine.done;
}

void age_stream_seal(const uint8_t *key, uint64_t base, const unsigned char *src,
		     unsigned char *dst, size_t n)
{
	struct age_run r = {true, key, base, src, dst, n, 0};
	run_chunks(&r);
}

void age_par_seal_begin(struct age_par *p, const uint8_t *key, uint64_t base,
			const unsigned char *src, unsigned char *dst, size_t n)
{
	struct age_run r = {true, key, base, src, dst, n, 0};
	if (!p) {
		run_chunks(&r);
		return;
	}
	pthread_mutex_lock(&p->lock);
	p->job = r;
	p->has_job = true;
	p->job_done = false;
	pthread_cond_signal(&p->wake);
	pthread_mutex_unlock(&p->lock);
}

void age_par_wait(struct age_par *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	while (!p->job_done)
		pthread_cond_wait(&p->finished, &p->lock);
	pthread_mutex_unlock(&p->lock);
}

size_t age_par_open(struct age_par *p, const uint8_t *key, uint64_t base, const unsigned char *src,
		    unsigned char *dst, size_t n)
{
	struct age_run r = {false, key, base, src, dst, n, 0};
	return split_run(p, &r);
}
