/*
 * test_merkle.c - RFC 6962 / RFC 9162 Merkle trees: the hashing facts and the 8-leaf tree of
 * tests/vectors/merkle (from transparency-dev/merkle), the streaming builder against the
 * recursive definition, every proof of many trees generated, verified and then tampered
 * with, and every JSON vector file as a test case of its own.
 *
 * The JSON files are read with SQLite's JSON functions. Their hashes are base64 of any
 * length; roots and leaf hashes are handed to the verifier with their length, as they are
 * what the strictness rules are about. Proof entries travel as 32-byte arrays in this API,
 * so an entry of another length (the "garbage" vectors) is refused where a proof is read,
 * before verification: such a file must then be one that expects an error.
 */
#include "tests/unit/unit.h"
#include "vault/base64.h"
#include "vault/merkle.h"

#include <dirent.h>
#include <errno.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <sys/stat.h>

#define H MERKLE_HASH_SIZE
#define CONST_HASHES(p) ((const uint8_t(*)[H])(p))

/* The leaves of the standard 8-leaf tree, as hex. */
static const char *const leaf_data[8] = {
	"", "00", "10", "2021", "3031", "40414243", "5051525354555657",
	"606162636465666768696a6b6c6d6e6f",
};

static const char *const leaf_hashes[8] = {
	"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
	"0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
	"07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
	"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
	"4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
	"b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
	"46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
};

/* roots[n]: the root of the tree of the first n leaves. */
static const char *const roots[9] = {
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
	"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
	"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
	"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
	"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
	"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

/* Every complete subtree: level, index within the level, hash. */
static const struct {
	unsigned level, index;
	const char *hash;
} subtrees[] = {
	{1, 0, "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"},
	{1, 1, "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"},
	{1, 2, "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"},
	{1, 3, "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"},
	{2, 0, "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"},
	{2, 1, "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"},
	{3, 0, "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"},
};

static void eight_leaves(uint8_t leaves[8][H])
{
	for (int i = 0; i < 8; i++) {
		size_t n;
		unsigned char *d = unit_hex(leaf_data[i], &n);
		merkle_leaf_hash(leaves[i], d, n);
		free(d);
	}
}

static void test_single_hashes(void **state)
{
	(void)state;
	uint8_t h[H];
	merkle_empty_root(h);
	assert_hex_equal(h, H, roots[0]);
	merkle_root(NULL, 0, h);
	assert_hex_equal(h, H, roots[0]);
	merkle_leaf_hash(h, NULL, 0);
	assert_hex_equal(h, H, "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
	merkle_leaf_hash(h, "L123456", 7);
	assert_hex_equal(h, H, "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56");
	/* The node hash over two 4-byte "children": the hash is over 0x01 || left || right. */
	uint8_t buf[9] = {0x01, 'N', '1', '2', '3', 'N', '4', '5', '6'};
	crypto_hash_sha256(h, buf, sizeof buf);
	assert_hex_equal(h, H, "aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb");
}

static void test_eight_leaf_tree(void **state)
{
	(void)state;
	uint8_t leaves[8][H], h[H];
	eight_leaves(leaves);
	for (int i = 0; i < 8; i++)
		assert_hex_equal(leaves[i], H, leaf_hashes[i]);
	struct merkle_tree t;
	merkle_tree_init(&t);
	merkle_tree_root(&t, h);
	assert_hex_equal(h, H, roots[0]);
	for (size_t n = 1; n <= 8; n++) {
		merkle_root(CONST_HASHES(leaves), n, h);
		assert_hex_equal(h, H, roots[n]);
		assert_int_equal(merkle_tree_append(&t, leaves[n - 1], NULL), 0);
		assert_int_equal(t.size, n);
		merkle_tree_root(&t, h);
		assert_hex_equal(h, H, roots[n]);
	}
	for (size_t i = 0; i < sizeof subtrees / sizeof subtrees[0]; i++) {
		size_t width = (size_t)1 << subtrees[i].level;
		merkle_root(CONST_HASHES(leaves[subtrees[i].index * width]), width, h);
		assert_hex_equal(h, H, subtrees[i].hash);
	}
	/* Node hashing by hand agrees with the table, and may write over its input. */
	merkle_node_hash(h, leaves[0], leaves[1]);
	assert_hex_equal(h, H, subtrees[0].hash);
	memcpy(h, leaves[2], H);
	merkle_node_hash(h, h, leaves[3]);
	assert_hex_equal(h, H, subtrees[1].hash);
}

/* The streaming builder agrees with the recursive definition at every size up to 300, and a
 * copy of the builder is an independent fork. */
static void test_builder_every_size(void **state)
{
	(void)state;
	enum { N = 300 };
	uint8_t (*leaves)[H] = malloc(N * sizeof *leaves);
	assert_non_null(leaves);
	randombytes_buf(leaves, N * sizeof *leaves);
	struct merkle_tree t, fork;
	merkle_tree_init(&t);
	uint8_t a[H], b[H];
	for (size_t n = 1; n <= N; n++) {
		assert_int_equal(merkle_tree_append(&t, leaves[n - 1], NULL), 0);
		merkle_tree_root(&t, a);
		merkle_root(CONST_HASHES(leaves), n, b);
		assert_memory_equal(a, b, H);
		if (n == 100)
			fork = t;
	}
	merkle_tree_root(&fork, a);
	merkle_root(CONST_HASHES(leaves), 100, b);
	assert_memory_equal(a, b, H);
	assert_int_equal(merkle_tree_append(&fork, leaves[0], NULL), 0);
	merkle_tree_root(&t, a);
	merkle_root(CONST_HASHES(leaves), N, b);
	assert_memory_equal(a, b, H);
	free(leaves);
}

/* 100,000 leaves (and some more) through the builder, compared with the recursive root at
 * a few sizes. */
static void test_builder_large(void **state)
{
	(void)state;
	enum { N = 131075 };
	uint8_t (*leaves)[H] = malloc(N * sizeof *leaves);
	assert_non_null(leaves);
	struct merkle_tree t;
	merkle_tree_init(&t);
	uint8_t a[H], b[H];
	for (size_t i = 0; i < N; i++) {
		uint8_t be[8];
		for (int j = 0; j < 8; j++)
			be[j] = (uint8_t)((uint64_t)i >> (56 - 8 * j));
		merkle_leaf_hash(leaves[i], be, sizeof be);
		assert_int_equal(merkle_tree_append(&t, leaves[i], NULL), 0);
		size_t n = i + 1;
		if (n == 100000 || n == 65536 || n == 131072 || n == N) {
			merkle_tree_root(&t, a);
			merkle_root(CONST_HASHES(leaves), n, b);
			assert_memory_equal(a, b, H);
		}
	}
	free(leaves);
}

static void test_builder_full(void **state)
{
	(void)state;
	struct merkle_tree t;
	struct err e;
	uint8_t h[H] = {0};
	merkle_tree_init(&t);
	t.size = UINT64_MAX; /* a frontier of 64 (zero) hashes */
	assert_int_equal(merkle_tree_append(&t, h, &e), -1);
	assert_int_equal(e.code, ERR_INTERNAL);
	t.size = UINT64_MAX - 1;
	assert_int_equal(merkle_tree_append(&t, h, &e), 0);
	assert_true(t.size == UINT64_MAX);
}

/* The proofs of the 8-leaf tree that VECTORS.md lists, generated here. */
static void test_known_proofs(void **state)
{
	(void)state;
	uint8_t leaves[8][H], proof[MERKLE_MAX_PROOF][H];
	size_t count;
	eight_leaves(leaves);
	assert_int_equal(merkle_inclusion_proof(CONST_HASHES(leaves), 8, 5, proof, MERKLE_MAX_PROOF,
						&count, NULL), 0);
	assert_int_equal(count, 3);
	assert_hex_equal(proof[0], H, leaf_hashes[4]);
	assert_hex_equal(proof[1], H, subtrees[3].hash);
	assert_hex_equal(proof[2], H, roots[4]);
	assert_int_equal(merkle_inclusion_proof(CONST_HASHES(leaves), 5, 1, proof, MERKLE_MAX_PROOF,
						&count, NULL), 0);
	assert_int_equal(count, 3);
	assert_hex_equal(proof[0], H, leaf_hashes[0]);
	assert_hex_equal(proof[1], H, subtrees[1].hash);
	assert_hex_equal(proof[2], H, leaf_hashes[4]);
	assert_int_equal(merkle_consistency_proof(CONST_HASHES(leaves), 8, 6, proof,
						  MERKLE_MAX_PROOF, &count, NULL), 0);
	assert_int_equal(count, 3);
	assert_hex_equal(proof[0], H, subtrees[2].hash);
	assert_hex_equal(proof[1], H, subtrees[3].hash);
	assert_hex_equal(proof[2], H, roots[4]);
	assert_int_equal(merkle_consistency_proof(CONST_HASHES(leaves), 5, 2, proof,
						  MERKLE_MAX_PROOF, &count, NULL), 0);
	assert_int_equal(count, 2);
	assert_hex_equal(proof[0], H, subtrees[1].hash);
	assert_hex_equal(proof[1], H, leaf_hashes[4]);
	assert_int_equal(merkle_consistency_proof(CONST_HASHES(leaves), 7, 6, proof,
						  MERKLE_MAX_PROOF, &count, NULL), 0);
	assert_int_equal(count, 3);
	assert_hex_equal(proof[0], H, subtrees[2].hash);
	assert_hex_equal(proof[1], H, leaf_hashes[6]);
	assert_hex_equal(proof[2], H, roots[4]);
	assert_int_equal(merkle_consistency_proof(CONST_HASHES(leaves), 8, 8, proof,
						  MERKLE_MAX_PROOF, &count, NULL), 0);
	assert_int_equal(count, 0);
}

static void test_generation_errors(void **state)
{
	(void)state;
	uint8_t leaves[8][H], proof[MERKLE_MAX_PROOF][H];
	size_t count = 99;
	struct err e;
	eight_leaves(leaves);
	assert_int_equal(merkle_inclusion_proof(CONST_HASHES(leaves), 8, 8, proof, MERKLE_MAX_PROOF,
						&count, &e), -1);
	assert_int_equal(e.code, ERR_FORMAT);
	assert_int_equal(count, 0);
	assert_int_equal(merkle_inclusion_proof(CONST_HASHES(leaves), 8, 0, proof, 2, &count, &e),
			 -1);
	assert_int_equal(e.code, ERR_INTERNAL);
	assert_int_equal(merkle_consistency_proof(CONST_HASHES(leaves), 8, 0, proof,
						  MERKLE_MAX_PROOF, &count, &e), -1);
	assert_int_equal(e.code, ERR_FORMAT);
	assert_int_equal(merkle_consistency_proof(CONST_HASHES(leaves), 5, 6, proof,
						  MERKLE_MAX_PROOF, &count, &e), -1);
	assert_int_equal(e.code, ERR_FORMAT);
	assert_int_equal(merkle_consistency_proof(CONST_HASHES(leaves), 8, 3, proof, 2, &count, &e),
			 -1);
	assert_int_equal(e.code, ERR_INTERNAL);
}

/* Which error each kind of bad input gets. */
static void test_verify_error_codes(void **state)
{
	(void)state;
	uint8_t leaves[8][H], proof[MERKLE_MAX_PROOF][H], root[H], r6[H];
	size_t count;
	struct err e;
	eight_leaves(leaves);
	merkle_root(CONST_HASHES(leaves), 8, root);
	merkle_root(CONST_HASHES(leaves), 6, r6);
	assert_int_equal(merkle_inclusion_proof(CONST_HASHES(leaves), 8, 3, proof, MERKLE_MAX_PROOF,
						&count, NULL), 0);
	assert_int_equal(merkle_verify_inclusion(3, 8, leaves[3], H, CONST_HASHES(proof), count,
						 root, H, &e), 0);
	assert_int_equal(merkle_verify_inclusion(3, 8, leaves[3], 31, CONST_HASHES(proof), count,
						 root, H, &e), -1);
	assert_int_equal(e.code, ERR_FORMAT);
	assert_int_equal(merkle_verify_inclusion(3, 8, leaves[3], H, CONST_HASHES(proof), count,
						 root, 33, &e), -1);
	assert_int_equal(e.code, ERR_FORMAT);
	assert_int_equal(merkle_verify_inclusion(8, 8, leaves[3], H, CONST_HASHES(proof), count,
						 root, H, &e), -1);
	assert_int_equal(e.code, ERR_FORMAT);
	assert_int_equal(merkle_verify_inclusion(3, 8, leaves[3], H, CONST_HASHES(proof), count - 1,
						 root, H, &e), -1);
	assert_int_equal(e.code, ERR_VERIFY);
	assert_int_equal(merkle_verify_inclusion(3, 8, leaves[2], H, CONST_HASHES(proof), count,
						 root, H, &e), -1);
	assert_int_equal(e.code, ERR_VERIFY);
	/* The largest sizes there are do not trip the arithmetic. */
	assert_int_equal(merkle_inclusion_proof_len(UINT64_MAX - 1, UINT64_MAX), 63);
	assert_int_equal(merkle_inclusion_proof_len(0, UINT64_MAX), 64);
	assert_int_equal(merkle_inclusion_proof_len(UINT64_MAX, UINT64_MAX), 0);
	assert_int_equal(merkle_consistency_proof_len(3, UINT64_MAX), 65);
	assert_int_equal(merkle_verify_inclusion(UINT64_MAX - 1, UINT64_MAX, leaves[3], H,
						 CONST_HASHES(proof), count, root, H, &e), -1);
	assert_int_equal(e.code, ERR_VERIFY);

	assert_int_equal(merkle_consistency_proof(CONST_HASHES(leaves), 8, 6, proof,
						  MERKLE_MAX_PROOF, &count, NULL), 0);
	assert_int_equal(merkle_verify_consistency(6, 8, CONST_HASHES(proof), count, r6, H, root, H,
						   &e), 0);
	assert_int_equal(merkle_verify_consistency(8, 6, CONST_HASHES(proof), count, root, H, r6, H,
						   &e), -1);
	assert_int_equal(e.code, ERR_VERIFY); /* a rollback */
	assert_int_equal(merkle_verify_consistency(0, 8, CONST_HASHES(proof), count, r6, H, root, H,
						   &e), -1);
	assert_int_equal(e.code, ERR_FORMAT);
	assert_int_equal(merkle_verify_consistency(0, 0, NULL, 0, root, H, root, H, &e), -1);
	assert_int_equal(e.code, ERR_FORMAT);
	assert_int_equal(merkle_verify_consistency(6, 8, CONST_HASHES(proof), count, r6, 31, root, H,
						   &e), -1);
	assert_int_equal(e.code, ERR_FORMAT);
	assert_int_equal(merkle_verify_consistency(6, 8, NULL, 0, r6, H, root, H, &e), -1);
	assert_int_equal(e.code, ERR_VERIFY);
	assert_int_equal(merkle_verify_consistency(8, 8, NULL, 0, root, H, root, H, &e), 0);
	assert_int_equal(merkle_verify_consistency(8, 8, NULL, 0, root, H, r6, H, &e), -1);
	assert_int_equal(e.code, ERR_VERIFY);
	assert_int_equal(merkle_verify_consistency(8, 8, NULL, 0, root, H, root, 16, &e), -1);
	assert_int_equal(e.code, ERR_VERIFY);
	assert_int_equal(merkle_verify_consistency(8, 8, CONST_HASHES(proof), 1, root, H, root, H,
						   &e), -1);
	assert_int_equal(e.code, ERR_VERIFY);
}

/*
 * The property test. Its oracle for a changed index or size is the "shape" of a proof,
 * derived from the recursive definitions of RFC 9162 (not from the verifier's bit walk): the
 * order in which proof hashes are combined. Within one tree every leaf has its own shape, so
 * a changed index must always fail; but two different tree sizes can share a shape (leaf 4
 * of 7 leaves and of 8 leaves both go right, right, left), and then the very same proof
 * leads to the very same root, because RFC 6962 roots do not commit to the size; that is why
 * checkpoints sign the size next to the root. A changed size must fail exactly when the
 * shape differs.
 */
struct shape {
	size_t len;
	char step[MERKLE_MAX_PROOF + 1];
};

static uint64_t split_below(uint64_t n)
{
	uint64_t k = 1;
	while (k < n - k)
		k <<= 1;
	return k;
}

/* 'R': the proof hash is a right sibling; 'L': a left one. */
static void inclusion_shape(uint64_t index, uint64_t n, struct shape *s)
{
	if (n <= 1)
		return;
	uint64_t k = split_below(n);
	if (index < k)
		inclusion_shape(index, k, s);
	else
		inclusion_shape(index - k, n - k, s);
	s->step[s->len++] = index < k ? 'R' : 'L';
}

/* As above, plus 'S' for the seed, the subtree hash a proof starts with unless the old size
 * is a power of two. A left sibling feeds both roots, a right one only the new root. */
static void consistency_shape(uint64_t m, uint64_t n, bool whole, struct shape *s)
{
	if (m == n) {
		if (!whole)
			s->step[s->len++] = 'S';
		return;
	}
	uint64_t k = split_below(n);
	if (m <= k)
		consistency_shape(m, k, whole, s);
	else
		consistency_shape(m - k, n - k, false, s);
	s->step[s->len++] = m <= k ? 'R' : 'L';
}

static bool same_shape(const struct shape *a, const struct shape *b)
{
	return a->len == b->len && memcmp(a->step, b->step, a->len) == 0;
}

static bool inclusion_ok(uint64_t i, uint64_t n, const uint8_t *leaf, const uint8_t (*proof)[H],
			 size_t count, const uint8_t *root)
{
	struct err e;
	int rc = merkle_verify_inclusion(i, n, leaf, H, proof, count, root, H, &e);
	if (rc != 0)
		assert_true(e.code == ERR_VERIFY || e.code == ERR_FORMAT);
	return rc == 0;
}

static bool consistency_ok(uint64_t m, uint64_t n, const uint8_t (*proof)[H], size_t count,
			   const uint8_t *r1, const uint8_t *r2)
{
	struct err e;
	int rc = merkle_verify_consistency(m, n, proof, count, r1, H, r2, H, &e);
	if (rc != 0)
		assert_true(e.code == ERR_VERIFY || e.code == ERR_FORMAT);
	return rc == 0;
}

/* Index or size changed the ways the upstream vectors change them. */
static uint64_t tweak(uint64_t v, int how)
{
	switch (how) {
	case 0: return v + 1;
	case 1: return v - 1;
	case 2: return v ^ 2;
	case 3: return v * 2;
	default: return v / 2;
	}
}

/* Flips bytes of the proof one at a time (every byte when all, else one random byte per
 * hash, plus the whole hash) and expects each copy to fail; check() is the verification. */
#define FLIP_EACH(proof, count, all, check)                                             \
	do {                                                                            \
		for (size_t pi_ = 0; pi_ < (count); pi_++) {                            \
			for (size_t b_ = 0; b_ < H; b_++) {                             \
				size_t at_ = (all) ? b_ : randombytes_uniform(H);       \
				uint8_t x_ = (uint8_t)(1 + randombytes_uniform(255));   \
				(proof)[pi_][at_] ^= x_;                                \
				assert_false(check);                                    \
				(proof)[pi_][at_] ^= x_;                                \
				if (!(all))                                             \
					break;                                          \
			}                                                               \
		}                                                                       \
	} while (0)

static void property_one_tree(size_t n)
{
	uint8_t (*leaves)[H] = malloc(n * sizeof *leaves);
	assert_non_null(leaves);
	randombytes_buf(leaves, n * sizeof *leaves);
	uint8_t proof[MERKLE_MAX_PROOF][H], root[H], root1[H], bad[H];
	size_t count;
	merkle_root(CONST_HASHES(leaves), n, root);

	for (size_t i = 0; i < n; i++) {
		bool all = n <= 40 || i == 0 || i == n - 1 || i == n / 2 || i % 61 == 7;
		assert_int_equal(merkle_inclusion_proof(CONST_HASHES(leaves), n, i, proof,
							MERKLE_MAX_PROOF, &count, NULL), 0);
		assert_int_equal(count, merkle_inclusion_proof_len(i, n));
		assert_true(inclusion_ok(i, n, leaves[i], CONST_HASHES(proof), count, root));
		FLIP_EACH(proof, count, all,
			  inclusion_ok(i, n, leaves[i], CONST_HASHES(proof), count, root));
		for (size_t b = 0; b < H; b++) {
			memcpy(bad, leaves[i], H);
			bad[b] ^= 0x80;
			assert_false(inclusion_ok(i, n, bad, CONST_HASHES(proof), count, root));
			memcpy(bad, root, H);
			bad[b] ^= 0x01;
			assert_false(inclusion_ok(i, n, leaves[i], CONST_HASHES(proof), count, bad));
		}
		if (count > 0) {
			assert_false(inclusion_ok(i, n, leaves[i], CONST_HASHES(proof), count - 1,
						  root));
			assert_false(inclusion_ok(i, n, leaves[i], CONST_HASHES(proof + 1),
						  count - 1, root));
		}
		memcpy(proof[count], root, H);
		assert_false(inclusion_ok(i, n, leaves[i], CONST_HASHES(proof), count + 1, root));

		struct shape want = {0};
		inclusion_shape(i, n, &want);
		for (int how = 0; how < 5; how++) {
			uint64_t i2 = tweak(i, how), n2 = tweak(n, how);
			if (i2 != i)
				assert_false(inclusion_ok(i2, n, leaves[i], CONST_HASHES(proof),
							  count, root));
			if (n2 != n) {
				struct shape got = {0};
				if (i < n2)
					inclusion_shape(i, n2, &got);
				bool expect = i < n2 && same_shape(&want, &got);
				assert_int_equal(inclusion_ok(i, n2, leaves[i], CONST_HASHES(proof),
							      count, root), expect);
			}
		}
	}

	for (size_t m = 1; m <= n; m++) {
		bool all = n <= 40 || m == 1 || m == n - 1 || m == n / 2 || m % 61 == 7;
		merkle_root(CONST_HASHES(leaves), m, root1);
		assert_int_equal(merkle_consistency_proof(CONST_HASHES(leaves), n, m, proof,
							  MERKLE_MAX_PROOF, &count, NULL), 0);
		assert_int_equal(count, merkle_consistency_proof_len(m, n));
		assert_true(consistency_ok(m, n, CONST_HASHES(proof), count, root1, root));
		FLIP_EACH(proof, count, all,
			  consistency_ok(m, n, CONST_HASHES(proof), count, root1, root));
		for (size_t b = 0; b < H; b++) {
			memcpy(bad, root1, H);
			bad[b] ^= 0x40;
			assert_false(consistency_ok(m, n, CONST_HASHES(proof), count, bad, root));
			memcpy(bad, root, H);
			bad[b] ^= 0x02;
			assert_false(consistency_ok(m, n, CONST_HASHES(proof), count, root1, bad));
		}
		if (count > 0) {
			assert_false(consistency_ok(m, n, CONST_HASHES(proof), count - 1, root1, root));
			assert_false(consistency_ok(m, n, CONST_HASHES(proof + 1), count - 1, root1,
						    root));
			assert_false(consistency_ok(m, n, CONST_HASHES(proof), count, root, root1));
		}
		memcpy(proof[count], root1, H);
		assert_false(consistency_ok(m, n, CONST_HASHES(proof), count + 1, root1, root));

		struct shape want = {0};
		if (m < n)
			consistency_shape(m, n, true, &want);
		for (int how = 0; how < 5; how++) {
			uint64_t m2 = tweak(m, how), n2 = tweak(n, how);
			if (m2 != m) {
				struct shape got = {0};
				if (m2 >= 1 && m2 < n)
					consistency_shape(m2, n, true, &got);
				bool expect = m < n && m2 >= 1 && m2 < n && same_shape(&want, &got);
				assert_int_equal(consistency_ok(m2, n, CONST_HASHES(proof), count,
								root1, root), expect);
			}
			if (n2 != n) {
				struct shape got = {0};
				if (m < n2)
					consistency_shape(m, n2, true, &got);
				bool expect = m < n && m < n2 && same_shape(&want, &got);
				assert_int_equal(consistency_ok(m, n2, CONST_HASHES(proof), count,
								root1, root), expect);
			}
		}
	}
	free(leaves);
}

static void test_property_random_trees(void **state)
{
	(void)state;
	static const size_t edges[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17,
				       31, 32, 33, 63, 64, 65, 127, 128, 129, 300};
	for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++)
		property_one_tree(edges[i]);
	for (int i = 0; i < 6; i++)
		property_one_tree(1 + randombytes_uniform(300));
}

/* The shape oracle itself: leaf 4 of 7 and of 8 leaves really share a proof. */
static void test_sizes_sharing_a_shape(void **state)
{
	(void)state;
	uint8_t leaves[8][H], proof[MERKLE_MAX_PROOF][H], root[H];
	size_t count;
	eight_leaves(leaves);
	merkle_root(CONST_HASHES(leaves), 8, root);
	assert_int_equal(merkle_inclusion_proof(CONST_HASHES(leaves), 8, 4, proof, MERKLE_MAX_PROOF,
						&count, NULL), 0);
	assert_true(inclusion_ok(4, 8, leaves[4], CONST_HASHES(proof), count, root));
	assert_true(inclusion_ok(4, 7, leaves[4], CONST_HASHES(proof), count, root));
	assert_false(inclusion_ok(4, 6, leaves[4], CONST_HASHES(proof), count, root));
}

/* ---- The JSON vector files, one test case each. ---- */

struct vector {
	char *path;
	bool consistency;
};

/* Runs "SELECT <expr>" with ?1 bound to json; returns the text of the one result as a new
 * string, or NULL for SQL NULL. */
static char *jq(sqlite3 *db, const char *json, const char *expr)
{
	char sql[256];
	snprintf(sql, sizeof sql, "SELECT %s", expr);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, json, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	const unsigned char *t = sqlite3_column_text(st, 0);
	char *out = t ? strdup((const char *)t) : NULL;
	sqlite3_finalize(st);
	return out;
}

/* The JSON integer at path, which must be a plain non-negative integer (the vectors use the
 * whole uint64 range, beyond SQLite's integers, so its text is read). */
static uint64_t jq_u64(sqlite3 *db, const char *json, const char *path)
{
	char expr[128];
	snprintf(expr, sizeof expr, "json_type(?1, '%s')", path);
	char *type = jq(db, json, expr);
	assert_non_null(type);
	assert_string_equal(type, "integer");
	free(type);
	snprintf(expr, sizeof expr, "?1 -> '%s'", path);
	char *text = jq(db, json, expr);
	assert_non_null(text);
	assert_true(strlen(text) >= 1 && strlen(text) <= 20 &&
		    strspn(text, "0123456789") == strlen(text));
	errno = 0;
	unsigned long long v = strtoull(text, NULL, 10);
	assert_int_equal(errno, 0);
	free(text);
	return (uint64_t)v;
}

/* The base64 string at path, decoded into out (at most cap bytes); returns its length. */
static size_t jq_b64(sqlite3 *db, const char *json, const char *path, uint8_t *out, size_t cap)
{
	char expr[128];
	snprintf(expr, sizeof expr, "?1 ->> '%s'", path);
	char *text = jq(db, json, expr);
	assert_non_null(text);
	size_t n;
	assert_int_equal(b64_decode(out, cap, &n, text, strlen(text), B64_PADDED), 0);
	free(text);
	return n;
}

static bool jq_bool(sqlite3 *db, const char *json, const char *path)
{
	char expr[128];
	snprintf(expr, sizeof expr, "json_type(?1, '%s')", path);
	char *type = jq(db, json, expr);
	assert_non_null(type);
	bool v = strcmp(type, "true") == 0;
	assert_true(v || strcmp(type, "false") == 0);
	free(type);
	return v;
}

/* Reads "proof" (null or an array of base64 strings). Returns false when an entry is not 32
 * bytes long, which the proof reader of this API refuses. */
static bool jq_proof(sqlite3 *db, const char *json, uint8_t (*proof)[H], size_t cap,
		     size_t *count)
{
	char *type = jq(db, json, "json_type(?1, '$.proof')");
	assert_non_null(type);
	bool is_null = strcmp(type, "null") == 0;
	assert_true(is_null || strcmp(type, "array") == 0);
	free(type);
	*count = 0;
	if (is_null)
		return true;
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT value, type FROM json_each(?1, '$.proof') "
					    "ORDER BY key", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, json, -1, SQLITE_STATIC);
	bool ok = true;
	while (sqlite3_step(st) == SQLITE_ROW) {
		assert_string_equal((const char *)sqlite3_column_text(st, 1), "text");
		const char *s = (const char *)sqlite3_column_text(st, 0);
		uint8_t buf[4 * H];
		size_t n;
		assert_int_equal(b64_decode(buf, sizeof buf, &n, s, strlen(s), B64_PADDED), 0);
		assert_true(*count < cap);
		if (n != H)
			ok = false;
		else
			memcpy(proof[(*count)++], buf, H);
	}
	sqlite3_finalize(st);
	return ok;
}

static void test_json_vector(void **state)
{
	const struct vector *v = *state;
	char *json = (char *)unit_slurp(v->path, NULL);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	char *valid = jq(db, json, "json_valid(?1)");
	assert_string_equal(valid, "1");
	free(valid);

	bool want_err = jq_bool(db, json, "$.wantErr");
	uint8_t proof[16][H];
	size_t count;
	bool readable = jq_proof(db, json, proof, 16, &count);
	struct err e;
	err_clear(&e);
	int rc = -1;
	if (!readable) {
		/* Refused by the proof reader: the file had better expect an error. */
		e.code = ERR_FORMAT;
	} else if (!v->consistency) {
		uint64_t index = jq_u64(db, json, "$.leafIdx");
		uint64_t size = jq_u64(db, json, "$.treeSize");
		uint8_t root[4 * H], leaf[4 * H];
		size_t root_len = jq_b64(db, json, "$.root", root, sizeof root);
		size_t leaf_len = jq_b64(db, json, "$.leafHash", leaf, sizeof leaf);
		rc = merkle_verify_inclusion(index, size, leaf, leaf_len, CONST_HASHES(proof), count,
					     root, root_len, &e);
	} else {
		uint64_t size1 = jq_u64(db, json, "$.size1");
		uint64_t size2 = jq_u64(db, json, "$.size2");
		uint8_t root1[4 * H], root2[4 * H];
		size_t len1 = jq_b64(db, json, "$.root1", root1, sizeof root1);
		size_t len2 = jq_b64(db, json, "$.root2", root2, sizeof root2);
		rc = merkle_verify_consistency(size1, size2, CONST_HASHES(proof), count, root1, len1,
					       root2, len2, &e);
	}
	sqlite3_close(db);
	free(json);
	if (want_err) {
		assert_int_equal(rc, -1);
		assert_true(e.code == ERR_VERIFY || e.code == ERR_FORMAT);
		assert_true(e.msg[0] != '\0' || !readable);
	} else {
		if (rc != 0)
			fail_msg("%s: %s", v->path, e.msg);
	}
}

struct pathlist {
	char **v;
	size_t n, cap;
};

static void collect(const char *dir, struct pathlist *pl)
{
	DIR *d = opendir(dir);
	if (!d)
		fail_msg("cannot open %s", dir);
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		size_t len = strlen(dir) + strlen(de->d_name) + 2;
		char *path = malloc(len);
		assert_non_null(path);
		snprintf(path, len, "%s/%s", dir, de->d_name);
		struct stat st;
		assert_int_equal(stat(path, &st), 0);
		if (S_ISDIR(st.st_mode)) {
			collect(path, pl);
			free(path);
		} else if (len > 6 && strcmp(path + len - 6, ".json") == 0) {
			if (pl->n == pl->cap) {
				pl->cap = pl->cap ? 2 * pl->cap : 64;
				pl->v = realloc(pl->v, pl->cap * sizeof *pl->v);
				assert_non_null(pl->v);
			}
			pl->v[pl->n++] = path;
		} else {
			free(path);
		}
	}
	closedir(d);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_single_hashes),
		cmocka_unit_test(test_eight_leaf_tree),
		cmocka_unit_test(test_builder_every_size),
		cmocka_unit_test(test_builder_large),
		cmocka_unit_test(test_builder_full),
		cmocka_unit_test(test_known_proofs),
		cmocka_unit_test(test_generation_errors),
		cmocka_unit_test(test_verify_error_codes),
		cmocka_unit_test(test_sizes_sharing_a_shape),
		cmocka_unit_test(test_property_random_trees),
	};
	size_t nfixed = sizeof fixed / sizeof fixed[0];

	struct pathlist pl = {0};
	collect("tests/vectors/merkle/inclusion", &pl);
	collect("tests/vectors/merkle/consistency", &pl);
	qsort(pl.v, pl.n, sizeof *pl.v, by_name);

	struct vector *vecs = calloc(pl.n ? pl.n : 1, sizeof *vecs);
	struct CMUnitTest *tests = calloc(nfixed + pl.n, sizeof *tests);
	if (!vecs || !tests)
		return 1;
	memcpy(tests, fixed, sizeof fixed);
	for (size_t i = 0; i < pl.n; i++) {
		vecs[i].path = pl.v[i];
		vecs[i].consistency = strstr(pl.v[i], "/consistency/") != NULL;
		tests[nfixed + i] = (struct CMUnitTest){
			.name = pl.v[i] + strlen("tests/vectors/merkle/"),
			.test_func = test_json_vector,
			.initial_state = &vecs[i],
		};
	}
	int rc = _cmocka_run_group_tests("merkle", tests, nfixed + pl.n, unit_setup, NULL);
	for (size_t i = 0; i < pl.n; i++)
		free(pl.v[i]);
	free(pl.v);
	free(vecs);
	free(tests);
	return rc;
}
