/*
 * hashq.c - a ring of buffers and a thread that hashes them in order. See hashq.h.
 */
#include "vault/hashq.h"

#include <pthread.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vault/io.h"

#define SLOTS 8
#define SLOT_SIZE (512u << 10)

struct hashq {
	crypto_generichash_state h;
	bool threaded;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned char *slot[SLOTS];
	size_t len[SLOTS];
	unsigned head, tail;	/* slots filled by the caller: [tail, head); the thread takes tail */
	size_t fill;		/* bytes in slot[head % SLOTS], not yet handed over */
	bool stop;
};

static void *worker(void *arg)
{
	struct hashq *q = arg;
	pthread_mutex_lock(&q->mu);
	for (;;) {
		while (q->tail == q->head && !q->stop)
			pthread_cond_wait(&q->cv, &q->mu);
		if (q->tail == q->head && q->stop)
			break;
		unsigned i = q->tail % SLOTS;
		pthread_mutex_unlock(&q->mu);
		crypto_generichash_update(&q->h, q->slot[i], q->len[i]);
		pthread_mutex_lock(&q->mu);
		q->tail++;
		pthread_cond_broadcast(&q->cv);
	}
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

int hashq_new(struct hashq **out, struct err *e)
{
	struct hashq *q = calloc(1, sizeof *q);
	*out = NULL;
	if (!q)
		return err_set(e, ERR_IO, "out of memory");
	crypto_generichash_init(&q->h, NULL, 0, 64);
	if (io_parallel()) {
		bool ok = true;
		for (int i = 0; i < SLOTS && ok; i++)
			ok = (q->slot[i] = malloc(SLOT_SIZE)) != NULL;
		if (ok && pthread_mutex_init(&q->mu, NULL) == 0) {
			if (pthread_cond_init(&q->cv, NULL) == 0) {
				if (io_thread_create(&q->thread, worker, q) == 0)
					q->threaded = true;
				else
					pthread_cond_destroy(&q->cv);
			}
			if (!q->threaded)
				pthread_mutex_destroy(&q->mu);
		}
		if (!q->threaded)
			for (int i = 0; i < SLOTS; i++) {
				free(q->slot[i]);
				q->slot[i] = NULL;
			}
	}
	*out = q;
	return 0;
}

/* Hands the slot being filled to the thread (waiting for a free one first). */
static void publish(struct hashq *q)
{
	pthread_mutex_lock(&q->mu);
	q->len[q->head % SLOTS] = q->fill;
	q->head++;
	q->fill = 0;
	pthread_cond_broadcast(&q->cv);
	while (q->head - q->tail >= SLOTS)
		pthread_cond_wait(&q->cv, &q->mu);
	pthread_mutex_unlock(&q->mu);
}

void hashq_update(struct hashq *q, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	if (!q->threaded) {
		crypto_generichash_update(&q->h, p, len);
		return;
	}
	while (len > 0) {
		size_t n = SLOT_SIZE - q->fill < len ? SLOT_SIZE - q->fill : len;
		memcpy(q->slot[q->head % SLOTS] + q->fill, p, n);
		q->fill += n;
		p += n;
		len -= n;
		if (q->fill == SLOT_SIZE)
			publish(q);
	}
}

void hashq_final(struct hashq *q, uint8_t out[64])
{
	if (q->threaded) {
		if (q->fill)
			publish(q);
		pthread_mutex_lock(&q->mu);
		while (q->tail != q->head)
			pthread_cond_wait(&q->cv, &q->mu);
		pthread_mutex_unlock(&q->mu);
	}
	crypto_generichash_final(&q->h, out, 64);
	crypto_generichash_init(&q->h, NULL, 0, 64);
}

void hashq_free(struct hashq *q)
{
	if (!q)
		return;
	if (q->threaded) {
		pthread_mutex_lock(&q->mu);
		q->stop = true;
		pthread_cond_broadcast(&q->cv);
		pthread_mutex_unlock(&q->mu);
		pthread_join(q->thread, NULL);
		pthread_cond_destroy(&q->cv);
		pthread_mutex_destroy(&q->mu);
		for (int i = 0; i < SLOTS; i++)
			free(q->slot[i]);
	}
	sodium_memzero(&q->h, sizeof q->h);
	free(q);
}
