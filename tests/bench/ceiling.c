/*
 * ceiling.c - what libsodium can do on this machine: BLAKE2b-512 and ChaCha20-Poly1305
 * throughput alone, and the time of the work a bundle needs per byte (two BLAKE2b passes and
 * one ChaCha20-Poly1305 pass) spread over the available cores, all measured now.
 *
 *   ceiling BYTES      prints "blake2b S", "chacha S", "ceiling S" (seconds for BYTES)
 *
 * Built and run by "make bench" (tests/bench/bundle.sh), never by "make check".
 */
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define BLOCK (1u << 20)

static unsigned char *buf;
static unsigned long long total;

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void *blake(void *arg)
{
	crypto_generichash_state h;
	unsigned char out[64];
	(void)arg;
	crypto_generichash_init(&h, NULL, 0, 64);
	for (unsigned long long done = 0; done < total; done += BLOCK)
		crypto_generichash_update(&h, buf, total - done < BLOCK ? total - done : BLOCK);
	crypto_generichash_final(&h, out, 64);
	return NULL;
}

static void *chacha(void *arg)
{
	unsigned char key[32] = {1}, nonce[12] = {0}, *ct = malloc(65536 + 16);
	(void)arg;
	if (!ct)
		return NULL;
	for (unsigned long long done = 0; done < total; done += 65536) {
		nonce[0]++;
		crypto_aead_chacha20poly1305_ietf_encrypt_detached(ct, ct + 65536, NULL, buf, 65536, NULL, 0,
								   NULL, nonce, key);
	}
	free(ct);
	return NULL;
}

/* Runs the given workers at once, on as many threads; returns the wall time. */
static double run(void *(**fns)(void *), int n)
{
	pthread_t t[4];
	double start = now();
	for (int i = 0; i < n; i++)
		pthread_create(&t[i], NULL, fns[i], NULL);
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	return now() - start;
}

int main(int argc, char **argv)
{
	if (argc != 2 || sodium_init() < 0)
		return 2;
	total = strtoull(argv[1], NULL, 10);
	if (!(buf = malloc(BLOCK + 65536)))
		return 1;
	randombytes_buf(buf, BLOCK + 65536);
	void *(*b[])(void *) = {blake};
	void *(*c[])(void *) = {chacha};
	void *(*all[])(void *) = {blake, blake, chacha};
	double tb = run(b, 1), tc = run(c, 1);
	/* The per-byte work of a bundle, spread over the cores: three streams at once when there
	 * are enough cores, else one after the other on the cores there are. */
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	double tall = cores >= 2 ? run(all, 3) : 2 * tb + tc;
	printf("blake2b %.3f\nchacha %.3f\nceiling %.3f\ncores %ld\n", tb, tc, tall, cores);
	return 0;
}
