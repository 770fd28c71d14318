/*
 * merkle.c - RFC 6962 / RFC 9162 Merkle tree hashing, proofs and their verification. See
 * merkle.h.
 *
 * Generation follows the recursive definitions of RFC 9162 2.1.3.1 (PATH) and 2.1.4.1
 * (SUBPROOF) over an array of leaf hashes. Verification follows the bit-walking algorithms
 * of 2.1.3.2 and 2.1.4.2, which need nothing but the sizes, and refuses a proof whose length
 * differs from the one the sizes call for before doing any hashing.
 */
#include "vault/merkle.h"

#include <sodium.h>
#include <string.h>

#define H MERKLE_HASH_SIZE

void merkle_leaf_hash(uint8_t out[H], const void *data, size_t len)
{
	crypto_hash_sha256_state st;
	static const uint8_t prefix = 0x00;
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, &prefix, 1);
	if (len > 0)
		crypto_hash_sha256_update(&st, data, len);
	crypto_hash_sha256_final(&st, out);
}

void merkle_node_hash(uint8_t out[H], const uint8_t left[H], const uint8_t right[H])
{
	uint8_t buf[1 + 2 * H];
	buf[0] = 0x01;
	memcpy(buf + 1, left, H);
	memcpy(buf + 1 + H, right, H);
	crypto_hash_sha256(out, buf, sizeof buf);
}

void merkle_empty_root(uint8_t out[H])
{
	crypto_hash_sha256(out, NULL, 0);
}

void merkle_tree_init(struct merkle_tree *t)
{
	memset(t, 0, sizeof *t);
}

/* The number of bits set in x, that is the number of complete subtrees in a tree of x
 * leaves. */
static unsigned popcount64(uint64_t x)
{
	unsigned n = 0;
	for (; x; x &= x - 1)
		n++;
	return n;
}

/* The number of bits needed to write x (0 for 0). */
static unsigned bitlen64(uint64_t x)
{
	unsigned n = 0;
	for (; x; x >>= 1)
		n++;
	return n;
}

/* The number of trailing zero bits of x, which must not be 0. */
static unsigned ctz64(uint64_t x)
{
	unsigned n = 0;
	for (; !(x & 1); x >>= 1)
		n++;
	return n;
}

int merkle_tree_append(struct merkle_tree *t, const uint8_t leaf_hash[H], struct err *e)
{
	if (t->size == UINT64_MAX)
		return err_set(e, ERR_INTERNAL, "merkle tree is full (2^64 - 1 leaves)");
	/* Like incrementing a binary counter: each trailing 1 bit of size is a complete subtree
	 * that the new leaf's subtree now joins. */
	unsigned top = popcount64(t->size);
	uint8_t h[H];
	memcpy(h, leaf_hash, H);
	for (uint64_t s = t->size; s & 1; s >>= 1) {
		top--;
		merkle_node_hash(h, t->frontier[top], h);
	}
	memcpy(t->frontier[top], h, H);
	t->size++;
	return 0;
}

void merkle_tree_root(const struct merkle_tree *t, uint8_t out[H])
{
	unsigned top = popcount64(t->size);
	if (top == 0) {
		merkle_empty_root(out);
		return;
	}
	/* The smallest subtree is the rightmost; fold the larger ones in from its left. */
	uint8_t h[H];
	memcpy(h, t->frontier[top - 1], H);
	for (unsigned i = top - 1; i-- > 0;)
		merkle_node_hash(h, t->frontier[i], h);
	memcpy(out, h, H);
}

/* The largest power of two strictly below n, for n >= 2: where a tree of n leaves splits. */
static size_t split_point(size_t n)
{
	size_t k = 1;
	while (k < n - k)
		k <<= 1;
	return k;
}

/* The root of leaves[0..n), n >= 1. Recursion depth is at most 64. */
static void subtree_root(const uint8_t (*leaves)[H], size_t n, uint8_t out[H])
{
	if (n == 1) {
		memcpy(out, leaves[0], H);
		return;
	}
	size_t k = split_point(n);
	uint8_t left[H], right[H];
	subtree_root(leaves, k, left);
	subtree_root(leaves + k, n - k, right);
	merkle_node_hash(out, left, right);
}

void merkle_root(const uint8_t (*leaves)[H], size_t n, uint8_t out[H])
{
	if (n == 0)
		merkle_empty_root(out);
	else
		subtree_root(leaves, n, out);
}

/*
 * Proof lengths. Walking from leaf index up to the root of a tree of size leaves, the path
 * passes the levels where index and size - 1 differ or lie below the highest such bit: each
 * of those "inner" levels contributes a sibling hash. Above them, index sits on the right
 * edge of the tree, and a sibling exists only where index has a 1 bit (a "border" level: a
 * complete subtree on its left).
 */
size_t merkle_inclusion_proof_len(uint64_t index, uint64_t size)
{
	if (index >= size)
		return 0;
	unsigned inner = bitlen64(index ^ (size - 1));
	unsigned border = inner >= 64 ? 0 : popcount64(index >> inner);
	return inner + border;
}

/*
 * A consistency proof is the inclusion path of leaf size1 - 1 in the larger tree, except
 * that its lowest levels collapse into the complete subtree that ends the smaller tree (of
 * 2^ctz(size1) leaves), whose hash leads the proof unless it is the smaller tree's whole
 * root (size1 a power of two), which the verifier already holds.
 */
size_t merkle_consistency_proof_len(uint64_t size1, uint64_t size2)
{
	if (size1 == 0 || size1 >= size2)
		return 0;
	unsigned shift = ctz64(size1);
	size_t path = merkle_inclusion_proof_len(size1 - 1, size2);
	bool pow2 = (size1 & (size1 - 1)) == 0;
	return path - shift + (pow2 ? 0 : 1);
}

/* PATH(index, leaves[0..n)) of RFC 9162 2.1.3.1, appended at out[*count]. */
static void inclusion_path(const uint8_t (*leaves)[H], size_t n, size_t index,
			   uint8_t (*out)[H], size_t *count)
{
	if (n <= 1)
		return;
	size_t k = split_point(n);
	if (index < k) {
		inclusion_path(leaves, k, index, out, count);
		subtree_root(leaves + k, n - k, out[(*count)++]);
	} else {
		inclusion_path(leaves + k, n - k, index - k, out, count);
		subtree_root(leaves, k, out[(*count)++]);
	}
}

int merkle_inclusion_proof(const uint8_t (*leaves)[H], size_t n, size_t index,
			   uint8_t (*out)[H], size_t cap, size_t *count, struct err *e)
{
	*count = 0;
	if (index >= n)
		return err_set(e, ERR_FORMAT, "leaf %zu is not in a tree of %zu leaves", index, n);
	size_t want = merkle_inclusion_proof_len(index, n);
	if (want > cap)
		return err_set(e, ERR_INTERNAL, "inclusion proof needs %zu hashes, room for %zu",
			       want, cap);
	inclusion_path(leaves, n, index, out, count);
	return 0;
}

/* SUBPROOF(m, leaves[0..n), whole) of RFC 9162 2.1.4.1, appended at out[*count]. whole is
 * true while the subtree still starts at leaf 0 of the old tree, whose root the verifier
 * already has. */
static void consistency_subproof(const uint8_t (*leaves)[H], size_t n, size_t m, bool whole,
				 uint8_t (*out)[H], size_t *count)
{
	if (m == n) {
		if (!whole)
			subtree_root(leaves, n, out[(*count)++]);
		return;
	}
	size_t k = split_point(n);
	if (m <= k) {
		consistency_subproof(leaves, k, m, whole, out, count);
		subtree_root(leaves + k, n - k, out[(*count)++]);
	} else {
		consistency_subproof(leaves + k, n - k, m - k, false, out, count);
		subtree_root(leaves, k, out[(*count)++]);
	}
}

int merkle_consistency_proof(const uint8_t (*leaves)[H], size_t n, size_t size1,
			     uint8_t (*out)[H], size_t cap, size_t *count, struct err *e)
{
	*count = 0;
	if (size1 == 0)
		return err_set(e, ERR_FORMAT, "no consistency proof starts from the empty tree");
	if (size1 > n)
		return err_set(e, ERR_FORMAT, "old tree size %zu is larger than new size %zu",
			       size1, n);
	size_t want = merkle_consistency_proof_len(size1, n);
	if (want > cap)
		return err_set(e, ERR_INTERNAL, "consistency proof needs %zu hashes, room for %zu",
			       want, cap);
	if (size1 < n)
		consistency_subproof(leaves, n, size1, true, out, count);
	return 0;
}

int merkle_verify_inclusion(uint64_t index, uint64_t size, const uint8_t *leaf_hash,
			    size_t leaf_len, const uint8_t (*proof)[H], size_t count,
			    const uint8_t *root, size_t root_len, struct err *e)
{
	if (leaf_len != H)
		return err_set(e, ERR_FORMAT, "leaf hash is %zu bytes, not %d", leaf_len, H);
	if (root_len != H)
		return err_set(e, ERR_FORMAT, "root hash is %zu bytes, not %d", root_len, H);
	if (index >= size)
		return err_set(e, ERR_FORMAT,
			       "leaf index %llu is not in a tree of %llu leaves",
			       (unsigned long long)index, (unsigned long long)size);
	size_t want = merkle_inclusion_proof_len(index, size);
	if (count != want)
		return err_set(e, ERR_VERIFY,
			       "inclusion proof has %zu hashes where leaf %llu of %llu needs %zu",
			       count, (unsigned long long)index, (unsigned long long)size, want);

	/* RFC 9162 2.1.3.2: fn walks the leaf's position up, sn the tree's last position. */
	uint64_t fn = index, sn = size - 1;
	uint8_t r[H];
	memcpy(r, leaf_hash, H);
	for (size_t i = 0; i < count; i++) {
		if (sn == 0)
			return err_set(e, ERR_VERIFY, "inclusion proof is too long");
		if ((fn & 1) || fn == sn) {
			merkle_node_hash(r, proof[i], r);
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			merkle_node_hash(r, r, proof[i]);
		}
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0)
		return err_set(e, ERR_VERIFY, "inclusion proof is too short");
	if (sodium_memcmp(r, root, H) != 0)
		return err_set(e, ERR_VERIFY,
			       "inclusion proof of leaf %llu does not lead to the tree's root",
			       (unsigned long long)index);
	return 0;
}

int merkle_verify_consistency(uint64_t size1, uint64_t size2, const uint8_t (*proof)[H],
			      size_t count, const uint8_t *root1, size_t root1_len,
			      const uint8_t *root2, size_t root2_len, struct err *e)
{
	if (size2 < size1)
		return err_set(e, ERR_VERIFY, "tree went back from %llu to %llu leaves",
			       (unsigned long long)size1, (unsigned long long)size2);
	if (size1 == 0)
		return err_set(e, ERR_FORMAT, "a consistency proof from the empty tree proves nothing");
	if (size1 == size2) {
		if (count != 0)
			return err_set(e, ERR_VERIFY,
				       "consistency proof between equal sizes must be empty");
		if (root1_len != root2_len || sodium_memcmp(root1, root2, root1_len) != 0)
			return err_set(e, ERR_VERIFY, "two different roots for the same %llu leaves",
				       (unsigned long long)size1);
		return 0;
	}
	if (root1_len != H || root2_len != H)
		return err_set(e, ERR_FORMAT, "root hash is %zu bytes, not %d",
			       root1_len != H ? root1_len : root2_len, H);
	if (count == 0)
		return err_set(e, ERR_VERIFY, "consistency proof is empty");
	size_t want = merkle_consistency_proof_len(size1, size2);
	if (count != want)
		return err_set(e, ERR_VERIFY,
			       "consistency proof has %zu hashes where %llu to %llu needs %zu", count,
			       (unsigned long long)size1, (unsigned long long)size2, want);

	/* RFC 9162 2.1.4.2. When size1 is a power of two, the old root itself is the first
	 * hash of the path; otherwise the proof starts with it. */
	bool pow2 = (size1 & (size1 - 1)) == 0;
	const uint8_t *seed = pow2 ? root1 : proof[0];
	size_t next = pow2 ? 0 : 1;
	uint64_t fn = size1 - 1, sn = size2 - 1;
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	uint8_t fr[H], sr[H];
	memcpy(fr, seed, H);
	memcpy(sr, seed, H);
	for (size_t i = next; i < count; i++) {
		if (sn == 0)
			return err_set(e, ERR_VERIFY, "consistency proof is too long");
		if ((fn & 1) || fn == sn) {
			merkle_node_hash(fr, proof[i], fr);
			merkle_node_hash(sr, proof[i], sr);
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			merkle_node_hash(sr, sr, proof[i]);
		}
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0)
		return err_set(e, ERR_VERIFY, "consistency proof is too short");
	if (sodium_memcmp(fr, root1, H) != 0)
		return err_set(e, ERR_VERIFY,
			       "consistency proof does not lead to the old root (%llu leaves)",
			       (unsigned long long)size1);
	if (sodium_memcmp(sr, root2, H) != 0)
		return err_set(e, ERR_VERIFY,
			       "consistency proof does not lead to the new root (%llu leaves)",
			       (unsigned long long)size2);
	return 0;
}
