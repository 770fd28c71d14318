/*
 * fuzz_merkle_proof.c - Merkle proof verification on arbitrary sizes, indices, hashes and
 * proofs, and on real proofs of real trees with fuzzed damage.
 *
 * Input: a mode byte, then
 *   mode 0 (inclusion): index u64, size u64, leaf length u8, root length u8 (each taken
 *     modulo 40), the leaf and root bytes, then the proof as whole 32-byte hashes;
 *   mode 1 (consistency): size1 u64, size2 u64, root1 and root2 lengths, roots, proof;
 *   mode 2 (generated): n, index, old size (bytes), then bytes XORed into real proofs of a
 *     tree of 1 + n leaves. Real proofs must verify; damaged ones must not.
 * Integers are big-endian; missing bytes read as zero.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "vault/merkle.h"

#define H MERKLE_HASH_SIZE

struct reader {
	const uint8_t *p;
	size_t n;
};

static uint8_t get_u8(struct reader *r)
{
	if (r->n == 0)
		return 0;
	r->n--;
	return *r->p++;
}

static uint64_t get_u64(struct reader *r)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | get_u8(r);
	return v;
}

static void get_bytes(struct reader *r, uint8_t *out, size_t len)
{
	for (size_t i = 0; i < len; i++)
		out[i] = get_u8(r);
}

/* Takes the rest of the input as whole hashes (at most MERKLE_MAX_PROOF + 2). */
static size_t get_proof(struct reader *r, uint8_t (*proof)[H])
{
	size_t count = r->n / H;
	if (count > MERKLE_MAX_PROOF + 2)
		count = MERKLE_MAX_PROOF + 2;
	for (size_t i = 0; i < count; i++)
		get_bytes(r, proof[i], H);
	return count;
}

static void check_failure(int rc, const struct err *e)
{
	if (rc != 0 && e->code != ERR_VERIFY && e->code != ERR_FORMAT)
		abort();
}

static void generated(struct reader *r)
{
	size_t n = 1 + (size_t)get_u8(r);
	size_t index = get_u8(r) % n;
	size_t m = 1 + get_u8(r) % n;
	uint8_t (*leaves)[H] = malloc(n * sizeof *leaves);
	if (!leaves)
		abort();
	struct merkle_tree t, t1;
	merkle_tree_init(&t);
	merkle_tree_init(&t1);
	for (size_t i = 0; i < n; i++) {
		uint8_t be[4] = {(uint8_t)(i >> 24), (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i};
		merkle_leaf_hash(leaves[i], be, sizeof be);
		if (merkle_tree_append(&t, leaves[i], NULL) != 0)
			abort();
		if (i + 1 == m)
			t1 = t;
	}
	uint8_t root[H], root1[H], check[H];
	merkle_root((const uint8_t(*)[H])leaves, n, root);
	merkle_tree_root(&t, check);
	if (memcmp(root, check, H) != 0)
		abort();
	merkle_root((const uint8_t(*)[H])leaves, m, root1);
	merkle_tree_root(&t1, check);
	if (memcmp(root1, check, H) != 0)
		abort();

	uint8_t proof[MERKLE_MAX_PROOF][H];
	size_t count;
	struct err e;
	for (int kind = 0; kind < 2; kind++) {
		int rc = kind == 0 ? merkle_inclusion_proof((const uint8_t(*)[H])leaves, n, index,
							    proof, MERKLE_MAX_PROOF, &count, &e)
				   : merkle_consistency_proof((const uint8_t(*)[H])leaves, n, m,
							      proof, MERKLE_MAX_PROOF, &count, &e);
		if (rc != 0)
			abort();
		uint8_t orig[MERKLE_MAX_PROOF][H];
		memcpy(orig, proof, count * H);
		bool changed = false;
		for (;;) {
			rc = kind == 0 ? merkle_verify_inclusion(index, n, leaves[index], H,
								 (const uint8_t(*)[H])proof, count,
								 root, H, &e)
				       : merkle_verify_consistency(m, n, (const uint8_t(*)[H])proof,
								   count, root1, H, root, H, &e);
			if ((rc == 0) == changed)
				abort();
			/* Damage: a position and an XOR mask from the input. */
			if (count == 0 || r->n < 2)
				break;
			size_t at = get_u8(r) % (count * H);
			uint8_t x = get_u8(r);
			proof[at / H][at % H] ^= x;
			changed = memcmp(proof, orig, count * H) != 0;
		}
	}
	free(leaves);
}

FUZZ_TARGET(merkle_proof)
{
	struct reader r = {data, size};
	uint8_t mode = get_u8(&r) % 3;
	uint8_t a[40], b[40], proof[MERKLE_MAX_PROOF + 2][H];
	struct err e;
	if (mode == 0) {
		uint64_t index = get_u64(&r), tsize = get_u64(&r);
		size_t la = get_u8(&r) % 40, lb = get_u8(&r) % 40;
		get_bytes(&r, a, la);
		get_bytes(&r, b, lb);
		size_t count = get_proof(&r, proof);
		int rc = merkle_verify_inclusion(index, tsize, a, la, (const uint8_t(*)[H])proof,
						 count, b, lb, &e);
		check_failure(rc, &e);
		if (rc == 0 && (index >= tsize || la != H || lb != H ||
				count != merkle_inclusion_proof_len(index, tsize)))
			abort();
	} else if (mode == 1) {
		uint64_t s1 = get_u64(&r), s2 = get_u64(&r);
		size_t la = get_u8(&r) % 40, lb = get_u8(&r) % 40;
		get_bytes(&r, a, la);
		get_bytes(&r, b, lb);
		size_t count = get_proof(&r, proof);
		int rc = merkle_verify_consistency(s1, s2, (const uint8_t(*)[H])proof, count, a, la,
						   b, lb, &e);
		check_failure(rc, &e);
		if (rc == 0 && (s1 == 0 || s1 > s2 ||
				count != merkle_consistency_proof_len(s1, s2) ||
				(s1 == s2 && (la != lb || memcmp(a, b, la) != 0))))
			abort();
	} else {
		generated(&r);
	}
	(void)merkle_inclusion_proof_len(get_u64(&r), get_u64(&r));
	return 0;
}
