/*
 * merkle.h - RFC 6962 / RFC 9162 Merkle tree hashing: the hash of the issuer's log and of a
 * bundle's records.
 *
 * Hashes are SHA-256. A leaf is hashed as SHA-256(0x00 || bytes), an interior node as
 * SHA-256(0x01 || left || right), the empty tree as SHA-256 of nothing. A tree over n > 1
 * leaves splits at the largest power of two below n; nothing is padded or duplicated.
 *
 * Three kinds of users:
 *   - the writer appends leaf hashes one at a time to a struct merkle_tree (a frontier of at
 *     most 64 subtree hashes, so any size fits in about 2 KiB) and asks for the root;
 *   - the log keeps every leaf hash and generates inclusion and consistency proofs from them;
 *   - a verifier, holding only sizes, roots and a proof, checks it.
 *
 * Verification is deliberately strict (the rules of transparency-dev/merkle, whose test
 * vectors tests/vectors/merkle holds): hashes must be 32 bytes, a leaf index must lie inside
 * its tree, a proof must have exactly the number of hashes its sizes call for, and a
 * consistency proof from the empty tree is refused. Verifiers return 0 when the proof holds,
 * else -1 with ERR_FORMAT (the inputs cannot describe any proof) or ERR_VERIFY (they could,
 * but this proof does not prove the claim).
 */
#ifndef AMANA_MERKLE_H
#define AMANA_MERKLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vault/err.h"

#define MERKLE_HASH_SIZE 32
/* A tree of up to 2^64 - 1 leaves is at most 64 levels deep. */
#define MERKLE_MAX_DEPTH 64
/* No inclusion proof is longer than 64 hashes, no consistency proof longer than 65. */
#define MERKLE_MAX_PROOF 65

/* Sets out to the leaf hash of data[0..len): SHA-256(0x00 || data). data may be NULL when
 * len is 0. */
void merkle_leaf_hash(uint8_t out[MERKLE_HASH_SIZE], const void *data, size_t len);

/* Sets out to the hash of an interior node: SHA-256(0x01 || left || right). out may alias
 * either input. */
void merkle_node_hash(uint8_t out[MERKLE_HASH_SIZE], const uint8_t left[MERKLE_HASH_SIZE],
		      const uint8_t right[MERKLE_HASH_SIZE]);

/* Sets out to the root of the empty tree, SHA-256 of the empty string. */
void merkle_empty_root(uint8_t out[MERKLE_HASH_SIZE]);

/* A tree being built leaf by leaf. frontier[i] is the hash of the i-th complete subtree from
 * the left, one for each bit set in size, largest first. Plain data: copying it forks the
 * builder, and nothing needs freeing. */
struct merkle_tree {
	uint64_t size;
	uint8_t frontier[MERKLE_MAX_DEPTH][MERKLE_HASH_SIZE];
};

/* Makes t the empty tree. */
void merkle_tree_init(struct merkle_tree *t);

/* Appends one leaf, given by its leaf hash (see merkle_leaf_hash), in O(log n) time. Fails
 * with ERR_INTERNAL only when the tree already holds 2^64 - 1 leaves. */
int merkle_tree_append(struct merkle_tree *t, const uint8_t leaf_hash[MERKLE_HASH_SIZE],
		       struct err *e);

/* Sets out to the root of the leaves appended so far (the empty root for none). t is not
 * changed, so appending may continue afterwards. */
void merkle_tree_root(const struct merkle_tree *t, uint8_t out[MERKLE_HASH_SIZE]);

/* Sets out to the root of the n leaf hashes leaves[0..n); leaves may be NULL when n is 0. */
void merkle_root(const uint8_t (*leaves)[MERKLE_HASH_SIZE], size_t n,
		 uint8_t out[MERKLE_HASH_SIZE]);

/* The number of hashes in the inclusion proof of leaf index in a tree of size leaves, or 0
 * when index >= size (there is no such proof). */
size_t merkle_inclusion_proof_len(uint64_t index, uint64_t size);

/* The number of hashes in the consistency proof from size1 to size2 leaves (0 when they are
 * equal, and also 0 when size1 is 0 or greater than size2, where no proof exists). */
size_t merkle_consistency_proof_len(uint64_t size1, uint64_t size2);

/* Writes the inclusion proof of leaves[index] in the tree of leaves[0..n) to out, which
 * holds cap hashes, and its length to *count (the audit path of RFC 9162 2.1.3.1, nearest
 * sibling first). Fails with ERR_FORMAT when index >= n, ERR_INTERNAL when cap is too small
 * (MERKLE_MAX_PROOF always suffices). Takes O(n) time. */
int merkle_inclusion_proof(const uint8_t (*leaves)[MERKLE_HASH_SIZE], size_t n, size_t index,
			   uint8_t (*out)[MERKLE_HASH_SIZE], size_t cap, size_t *count /* out */,
			   struct err *e);

/* Writes the consistency proof between the tree of the first size1 leaves and the tree of
 * all n leaves to out (cap hashes) and its length to *count (RFC 9162 2.1.4.1). Fails with
 * ERR_FORMAT when size1 is 0 or greater than n, ERR_INTERNAL when cap is too small. The proof
 * is empty when size1 == n. Takes O(n) time. */
int merkle_consistency_proof(const uint8_t (*leaves)[MERKLE_HASH_SIZE], size_t n, size_t size1,
			     uint8_t (*out)[MERKLE_HASH_SIZE], size_t cap,
			     size_t *count /* out */, struct err *e);

/* Checks that the leaf with hash leaf_hash (leaf_len bytes) sits at index in the tree of
 * size leaves whose root is root (root_len bytes), given the count hashes of proof. Both
 * lengths must be MERKLE_HASH_SIZE (they are passed so that a caller holding bytes of unknown
 * length from a file cannot get a short hash past this check). Returns 0 when the proof
 * holds; -1 with ERR_FORMAT when a length is wrong or index >= size, ERR_VERIFY when the
 * proof has the wrong number of hashes or leads to another root. */
int merkle_verify_inclusion(uint64_t index, uint64_t size, const uint8_t *leaf_hash,
			    size_t leaf_len, const uint8_t (*proof)[MERKLE_HASH_SIZE],
			    size_t count, const uint8_t *root, size_t root_len, struct err *e);

/* Checks that the tree of size2 leaves with root root2 extends the tree of size1 leaves
 * with root root1, given the count hashes of proof (RFC 9162 2.1.4.2). In this order:
 * size2 < size1 is ERR_VERIFY (a rollback); size1 == 0 is ERR_FORMAT (a proof from the empty
 * tree proves nothing); equal sizes need an empty proof and byte-identical roots (the roots
 * are then only compared, whatever their length), else ERR_VERIFY; otherwise both roots must
 * be MERKLE_HASH_SIZE bytes (ERR_FORMAT), and a proof of the wrong length or one that does
 * not lead to both roots is ERR_VERIFY. Returns 0 when the proof holds. */
int merkle_verify_consistency(uint64_t size1, uint64_t size2,
			      const uint8_t (*proof)[MERKLE_HASH_SIZE], size_t count,
			      const uint8_t *root1, size_t root1_len, const uint8_t *root2,
			      size_t root2_len, struct err *e);

#endif
