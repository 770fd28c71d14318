/*
 * fuzz_root.c - the trust root parser (vault/root.c), which reads the chain a bundle carries
 * before any of its signatures is checked.
 *
 * What root_chain_parse and root_parse refuse is ERR_FORMAT; what root_chain_check refuses
 * is ERR_VERIFY. There is one way to write a root's body, so for every root they accept,
 * root_finish on a copy of the parsed fields must write back the same body (and so the same
 * digest), and root_parse must accept what it wrote: the writer and the parser agree. One
 * root accepted by root_parse is a chain of one. The text ends at the end of readable memory,
 * so that a read past its length faults.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tests/fuzz/fuzz.h"
#include "vault/root.h"
#include "vault/trust.h"

/* A copy of the input that ends where readable memory ends. */
static const char *guarded(const uint8_t *data, size_t size, void **map, size_t *maplen)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t n = (size + page - 1) / page * page;
	*maplen = n + page;
	char *m = mmap(NULL, *maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED || mprotect(m + n, page, PROT_NONE) != 0)
		abort();
	*map = m;
	memcpy(m + n - size, data, size);
	return m + n - size;
}

static char *dup_or_die(const char *s)
{
	char *d = s ? strdup(s) : NULL;
	if (s && !d)
		abort();
	return d;
}

/* Writes a copy of r's fields again and reads the result back: the same body and digest. */
static void rewrite(const struct root *r)
{
	struct root *c = malloc(sizeof *c), *p = malloc(sizeof *p);
	if (!c || !p)
		abort();
	*c = *r;
	c->name = dup_or_die(r->name);
	for (size_t i = 0; i < r->nsigs; i++) {
		c->sigs[i].untrusted = dup_or_die(r->sigs[i].untrusted);
		c->sigs[i].trusted = dup_or_die(r->sigs[i].trusted);
	}
	c->body = c->text = NULL;
	c->body_len = c->text_len = 0;
	struct err e;
	if (root_finish(c, &e) != 0)
		abort(); /* the parser let through fields the writer refuses */
	if (c->body_len != r->body_len || memcmp(c->body, r->body, r->body_len) != 0 ||
	    memcmp(c->digest, r->digest, 64) != 0 || strcmp(c->digest_hex, r->digest_hex) != 0)
		abort(); /* the parser accepted a body the writer does not write */
	if (root_parse(c->text, c->text_len, p, &e) != 0)
		abort(); /* the parser refuses what the writer wrote */
	if (p->body_len != r->body_len || memcmp(p->body, r->body, r->body_len) != 0 ||
	    p->nsigs != r->nsigs || p->version != r->version)
		abort();
	root_free(p);
	root_free(c);
	free(p);
	free(c);
}

FUZZ_TARGET(root)
{
	struct err e;
	void *map;
	size_t maplen;
	const char *in = guarded(data, size, &map, &maplen);

	struct root *roots = NULL;
	size_t n = 0;
	int rc = root_chain_parse(in, size, &roots, &n, &e);
	if (rc != 0) {
		if (e.code != ERR_FORMAT || roots || n)
			abort();
	} else {
		if (n == 0 || !roots)
			abort();
		size_t total = 0;
		for (size_t i = 0; i < n; i++) {
			if (roots[i].text_len > ROOT_TEXT_MAX || roots[i].body_len >= roots[i].text_len + 1 ||
			    memcmp(roots[i].text, in + total, roots[i].text_len) != 0)
				abort();
			total += roots[i].text_len;
			rewrite(&roots[i]);
		}
		if (total != size)
			abort();
		if (root_chain_check(roots, n, &e) != 0) {
			if (e.code != ERR_VERIFY)
				abort();
		} else {
			/* A checked chain walks onto itself. */
			const struct root *newest = NULL;
			size_t learn = 0;
			if (trust_walk(roots, n, roots, n, &newest, &learn, &e) != 0 || newest != &roots[n - 1] ||
			    learn != n)
				abort();
		}
	}

	struct root *one = malloc(sizeof *one);
	if (!one)
		abort();
	int rc1 = root_parse(in, size, one, &e);
	if (rc1 != 0) {
		if (e.code != ERR_FORMAT)
			abort();
		/* A chain of one root within the size limit is a root. */
		if (rc == 0 && n == 1 && size <= ROOT_TEXT_MAX)
			abort();
	} else {
		if (rc != 0 || n != 1 || one->text_len != size || one->body_len != roots[0].body_len ||
		    memcmp(one->digest, roots[0].digest, 64) != 0)
			abort();
		rewrite(one);
	}
	root_free(one);
	free(one);
	root_chain_free(roots, n);
	munmap(map, maplen);
	return 0;
}
