/*
 * hashq.h - BLAKE2b-512 on a second core.
 *
 * Sealing hashes every attachment while it encrypts the payload; opening hashes the payload
 * while it decrypts it and hashes the files it writes. On one core each byte would wait for
 * both. A hashq takes the bytes (copied into a ring of a few buffers, a few MiB in all) and
 * hashes them on its own thread, in order, while the caller goes on; hashq_final waits for the
 * last byte. On a single-core machine, or when no thread can be started, it hashes in place.
 */
#ifndef AMANA_HASHQ_H
#define AMANA_HASHQ_H

#include <stddef.h>
#include <stdint.h>

#include "vault/err.h"

struct hashq;

/* A new queue with a fresh BLAKE2b-512 state (unkeyed, as b2sum). */
int hashq_new(struct hashq **out, struct err *e);

/* Adds len bytes; blocks only while the ring is full. */
void hashq_update(struct hashq *q, const void *buf, size_t len);

/* Waits for every byte added, writes the digest, and starts a fresh state for the next
 * message. */
void hashq_final(struct hashq *q, uint8_t out[64]);

/* Stops the thread and frees q (NULL is fine). */
void hashq_free(struct hashq *q);

#endif
