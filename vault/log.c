/*
 * log.c - the issuer's log (seal side), the check of a bundle's log members (member side),
 * and the vault's memory of what it saw. See log.h.
 */
#include "vault/log.h"

#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vault/base64.h"
#include "vault/clock.h"
#include "vault/merkle.h"
#include "vault/store.h"

void log_origin(const char *issuer, char out[LOG_NAME_MAX])
{
	snprintf(out, LOG_NAME_MAX, "amana/%s", issuer);
}

void log_witness_name(const char *key_id, char out[LOG_NAME_MAX])
{
	snprintf(out, LOG_NAME_MAX, "amana-witness/%s", key_id);
}

int log_vkey(struct note_vkey *k, const char *issuer, const uint8_t pk[32], struct err *e)
{
	char name[LOG_NAME_MAX];
	log_origin(issuer, name);
	return note_vkey_make(k, name, NOTE_TYPE_ED25519, pk, e);
}

int log_witness_vkey(struct note_vkey *k, const char *key_id, const uint8_t pk[32], struct err *e)
{
	char name[LOG_NAME_MAX];
	log_witness_name(key_id, name);
	return note_vkey_make(k, name, NOTE_TYPE_COSIG, pk, e);
}

/* ---- log/proof -------------------------------------------------------------------------- */

void log_proof_free(struct log_proof *p)
{
	free(p->inclusion);
	free(p->leaves);
	for (size_t i = 0; i < p->nwitnessed; i++)
		free(p->witnessed[i]);
	memset(p, 0, sizeof *p);
}

int log_proof_encode(const struct log_proof *p, char **out, size_t *len, struct err *e)
{
	char *s = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&s, &n);
	char b64[45];
	if (!f)
		return err_set(e, ERR_IO, "out of memory");
	fprintf(f, "%s\nindex %llu\nsize %llu\ninclusion %zu\n", LOG_PROOF_FORMAT,
		(unsigned long long)p->index, (unsigned long long)p->size, p->ninclusion);
	for (size_t i = 0; i < p->ninclusion; i++)
		fprintf(f, "%s\n", b64_encode(b64, sizeof b64, p->inclusion[i], 32, B64_PADDED));
	fprintf(f, "leaves %llu\n", (unsigned long long)p->size);
	for (uint64_t i = 0; i < p->size; i++)
		fprintf(f, "%s\n", b64_encode(b64, sizeof b64, p->leaves[i], 32, B64_PADDED));
	fprintf(f, "witnessed %zu\n", p->nwitnessed);
	for (size_t i = 0; i < p->nwitnessed; i++) {
		fprintf(f, "note %zu\n", p->witnessed_len[i]);
		fwrite(p->witnessed[i], 1, p->witnessed_len[i], f);
	}
	if (fclose(f) != 0) {
		free(s);
		return err_set(e, ERR_IO, "out of memory");
	}
	*out = s;
	*len = n;
	return 0;
}

/* A cursor over log/proof's lines. */
struct cursor {
	const char *p, *end;
};

/* The next line, without its LF (which must be there). */
static bool next_line(struct cursor *c, const char **line, size_t *n)
{
	const char *lf = memchr(c->p, '\n', (size_t)(c->end - c->p));
	if (!lf)
		return false;
	*line = c->p;
	*n = (size_t)(lf - c->p);
	c->p = lf + 1;
	return true;
}

/* "WORD N" with N a canonical decimal: 0, or -1 when the line is not that, or 1 when N is more
 * than max (then *v is N, or UINT64_MAX when it has more than 19 digits). */
static int word_number(struct cursor *c, const char *word, uint64_t max, uint64_t *v)
{
	const char *l;
	size_t n, wl = strlen(word);
	if (!next_line(c, &l, &n) || n < wl + 2 || memcmp(l, word, wl) != 0 || l[wl] != ' ')
		return -1;
	const char *d = l + wl + 1;
	size_t dn = n - wl - 1;
	if (dn == 0 || (dn > 1 && d[0] == '0'))
		return -1;
	uint64_t x = 0;
	for (size_t i = 0; i < dn; i++) {
		if (d[i] < '0' || d[i] > '9')
			return -1;
		if (i < 19)
			x = x * 10 + (uint64_t)(d[i] - '0');
	}
	*v = dn > 19 ? UINT64_MAX : x;
	return dn > 19 || x > max ? 1 : 0;
}

/* word_number, with the error: what the number counts, for a message that says what is too
 * big ("log/proof: 100001 leaves, more than the 100000 allowed"). */
static int proof_number(struct cursor *c, const char *word, const char *counts, uint64_t max,
			uint64_t *v, struct err *e)
{
	int rc = word_number(c, word, max, v);
	if (rc < 0)
		return err_set(e, ERR_FORMAT, "log/proof: the '%s' line is missing or malformed", word);
	if (rc > 0)
		return err_set(e, ERR_FORMAT, "log/proof: %llu %s, more than the %llu allowed",
			       (unsigned long long)*v, counts, (unsigned long long)max);
	return 0;
}

static bool hash_lines(struct cursor *c, uint8_t (*out)[32], uint64_t count)
{
	for (uint64_t i = 0; i < count; i++) {
		const char *l;
		size_t n;
		if (!next_line(c, &l, &n) || b64_decode_exact(out[i], 32, l, n, B64_PADDED) != 0)
			return false;
	}
	return true;
}

int log_proof_parse(struct log_proof *p, const char *text, size_t len, struct err *e)
{
	struct cursor c = {text, text + len};
	const char *l;
	size_t n;
	uint64_t v, count;
	memset(p, 0, sizeof *p);
	if (!next_line(&c, &l, &n) || n != strlen(LOG_PROOF_FORMAT) || memcmp(l, LOG_PROOF_FORMAT, n) != 0)
		return err_set(e, ERR_FORMAT, "log/proof: not an %s file", LOG_PROOF_FORMAT);
	if (proof_number(&c, "index", "as the index", UINT64_MAX, &p->index, e) != 0 ||
	    proof_number(&c, "size", "leaves", LOG_MAX_LEAVES, &p->size, e) != 0)
		return -1;
	if (p->size == 0 || p->index >= p->size)
		return err_set(e, ERR_FORMAT, "log/proof: index %llu is not inside a log of size %llu",
			       (unsigned long long)p->index, (unsigned long long)p->size);
	if (proof_number(&c, "inclusion", "inclusion hashes", MERKLE_MAX_PROOF, &count, e) != 0)
		return -1;
	p->ninclusion = (size_t)count;
	if (!(p->inclusion = malloc((count ? count : 1) * 32)) || !(p->leaves = malloc(p->size * 32))) {
		log_proof_free(p);
		return err_set(e, ERR_IO, "out of memory");
	}
	if (!hash_lines(&c, p->inclusion, count)) {
		err_set(e, ERR_FORMAT, "log/proof: an inclusion hash is missing or malformed");
		goto fail;
	}
	if (proof_number(&c, "leaves", "leaves", LOG_MAX_LEAVES, &v, e) != 0)
		goto fail;
	if (v != p->size) {
		err_set(e, ERR_FORMAT, "log/proof: %llu leaves listed for a log of size %llu",
			(unsigned long long)v, (unsigned long long)p->size);
		goto fail;
	}
	if (!hash_lines(&c, p->leaves, p->size)) {
		err_set(e, ERR_FORMAT, "log/proof: a leaf hash is missing or malformed");
		goto fail;
	}
	if (proof_number(&c, "witnessed", "witnessed notes", LOG_MAX_WITNESSED, &count, e) != 0)
		goto fail;
	for (uint64_t i = 0; i < count; i++) {
		if (proof_number(&c, "note", "bytes in a witnessed note", LOG_NOTE_MAX, &v, e) != 0)
			goto fail;
		if (v > (uint64_t)(c.end - c.p)) {
			err_set(e, ERR_FORMAT, "log/proof: witnessed note %llu is cut short", (unsigned long long)i + 1);
			goto fail;
		}
		if (!(p->witnessed[i] = malloc((size_t)v + 1))) {
			log_proof_free(p);
			return err_set(e, ERR_IO, "out of memory");
		}
		memcpy(p->witnessed[i], c.p, (size_t)v);
		p->witnessed[i][v] = '\0';
		p->witnessed_len[i] = (size_t)v;
		p->nwitnessed++;
		c.p += v;
	}
	if (c.p != c.end) {
		err_set(e, ERR_FORMAT, "log/proof: unexpected text after the last witnessed note");
		goto fail;
	}
	return 0;
fail:
	log_proof_free(p);
	return -1;
}

/* ---- the issuer's log -------------------------------------------------------------------- */

/* Loads the first n leaves of origin from table (log_leaves or seen_leaves). */
static int load_leaves(struct store *s, const char *table, const char *origin, uint8_t (**out)[32],
		       uint64_t *n, struct err *e)
{
	char sql[160];
	snprintf(sql, sizeof sql, "SELECT idx, leaf FROM %s WHERE origin = ?1 ORDER BY idx", table);
	sqlite3_stmt *st = store_prepare(s, sql, e);
	size_t cap = 0;
	*out = NULL;
	*n = 0;
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, origin, -1, SQLITE_STATIC);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((uint64_t)sqlite3_column_int64(st, 0) != *n || sqlite3_column_bytes(st, 1) != 32) {
			sqlite3_finalize(st);
			free(*out);
			*out = NULL;
			return err_set(e, ERR_VERIFY, "the vault's copy of log '%s' is damaged at leaf %llu",
				       origin, (unsigned long long)*n);
		}
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			void *nl = realloc(*out, cap * 32);
			if (!nl) {
				sqlite3_finalize(st);
				free(*out);
				*out = NULL;
				return err_set(e, ERR_IO, "out of memory");
			}
			*out = nl;
		}
		memcpy((*out)[*n], sqlite3_column_blob(st, 1), 32);
		(*n)++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		free(*out);
		*out = NULL;
		return store_fail(s, "cannot read the log", e);
	}
	return 0;
}

/* The cosigned checkpoints a bundle carries: for each witness, the largest checkpoint it
 * cosigned (at most LOG_MAX_WITNESSED of them, largest first), each as a note with the
 * issuer's signature and every cosignature made on it. */
static int witnessed_notes(struct store *s, const char *origin, struct log_proof *p, struct err *e)
{
	sqlite3_stmt *sizes = store_prepare(s,
		"SELECT DISTINCT size FROM log_cosignatures w WHERE origin = ?1 AND size = "
		"(SELECT max(size) FROM log_cosignatures v WHERE v.origin = w.origin AND v.witness = w.witness) "
		"ORDER BY size DESC LIMIT ?2", e);
	if (!sizes)
		return -1;
	sqlite3_bind_text(sizes, 1, origin, -1, SQLITE_STATIC);
	sqlite3_bind_int(sizes, 2, LOG_MAX_WITNESSED);
	int rc = 0;
	while (rc == 0 && sqlite3_step(sizes) == SQLITE_ROW) {
		sqlite3_int64 size = sqlite3_column_int64(sizes, 0);
		char *buf = NULL;
		size_t n = 0;
		FILE *f = open_memstream(&buf, &n);
		sqlite3_stmt *q = f ? store_prepare(s,
			"SELECT note, 0 FROM log_checkpoints WHERE origin = ?1 AND size = ?2 UNION ALL "
			"SELECT line, 1 FROM log_cosignatures WHERE origin = ?1 AND size = ?2 ORDER BY 2, 1", e) : NULL;
		if (!q) {
			if (f)
				fclose(f);
			free(buf);
			rc = f ? -1 : err_set(e, ERR_IO, "out of memory");
			break;
		}
		sqlite3_bind_text(q, 1, origin, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 2, size);
		while (sqlite3_step(q) == SQLITE_ROW)
			fputs((const char *)sqlite3_column_text(q, 0), f);
		sqlite3_finalize(q);
		if (fclose(f) != 0) {
			free(buf);
			rc = err_set(e, ERR_IO, "out of memory");
			break;
		}
		p->witnessed[p->nwitnessed] = buf;
		p->witnessed_len[p->nwitnessed] = n;
		p->nwitnessed++;
	}
	sqlite3_finalize(sizes);
	return rc;
}

int log_append(struct store *s, const struct minisign_sec *sk, const char *bundle_id,
	       uint64_t sequence, const char *envelope, size_t envelope_len, char **checkpoint,
	       size_t *checkpoint_len, char **proof, size_t *proof_len, struct err *e)
{
	char issuer[17], origin[LOG_NAME_MAX], now[CLOCK_RFC3339_LEN + 1];
	uint8_t leaf[32], root[32];
	uint8_t (*leaves)[32] = NULL;
	uint64_t n = 0;
	char *text = NULL, *line = NULL;
	size_t text_len = 0, line_len = 0;
	struct log_proof p = {0};
	int rc = -1;

	*checkpoint = *proof = NULL;
	minisign_key_id_hex(sk->key_id, issuer);
	log_origin(issuer, origin);
	if (load_leaves(s, "log_leaves", origin, &leaves, &n, e) != 0)
		return -1;
	if (n >= LOG_MAX_LEAVES) {
		err_set(e, ERR_IO, "log '%s' is full (%d bundles)", origin, LOG_MAX_LEAVES);
		goto done;
	}
	merkle_leaf_hash(leaf, envelope, envelope_len);
	sqlite3_stmt *st = store_prepare(s, "INSERT INTO logs (origin, issuer, public_key) VALUES (?1, ?2, ?3) "
					    "ON CONFLICT (origin) DO NOTHING", e);
	if (!st)
		goto done;
	sqlite3_bind_text(st, 1, origin, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, issuer, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, sk->sk + 32, 32, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		sqlite3_finalize(st);
		store_fail(s, "cannot append to the log", e);
		goto done;
	}
	sqlite3_finalize(st);
	st = store_prepare(s, "INSERT INTO log_leaves (origin, idx, leaf, bundle_id, sequence, envelope) "
					    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)", e);
	if (!st)
		goto done;
	sqlite3_bind_text(st, 1, origin, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)n);
	sqlite3_bind_blob(st, 3, leaf, 32, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, bundle_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)sequence);
	sqlite3_bind_blob(st, 6, envelope, (int)envelope_len, SQLITE_STATIC);
	int src = sqlite3_step(st);
	sqlite3_finalize(st);
	if (src != SQLITE_DONE) {
		store_fail(s, "cannot append to the log", e);
		goto done;
	}
	void *nl = realloc(leaves, (n + 1) * 32);
	if (!nl) {
		err_set(e, ERR_IO, "out of memory");
		goto done;
	}
	leaves = nl;
	memcpy(leaves[n], leaf, 32);
	n++;
	merkle_root((const uint8_t(*)[32])leaves, n, root);

	/* The checkpoint, signed as a note by the issuer's key, kept by the vault. */
	if (checkpoint_format(origin, n, root, NULL, 0, &text, &text_len, e) != 0 ||
	    note_sign(origin, sk->sk, 64, text, text_len, &line, &line_len, e) != 0)
		goto done;
	size_t clen = text_len + 1 + line_len;
	if (!(*checkpoint = malloc(clen + 1))) {
		err_set(e, ERR_IO, "out of memory");
		goto done;
	}
	snprintf(*checkpoint, clen + 1, "%s\n%s", text, line);
	*checkpoint_len = clen;
	clock_rfc3339(clock_now(), now, sizeof now);
	st = store_prepare(s, "INSERT INTO log_checkpoints (origin, size, root, note, made) VALUES (?1, ?2, ?3, ?4, ?5)", e);
	if (!st)
		goto done;
	sqlite3_bind_text(st, 1, origin, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)n);
	sqlite3_bind_blob(st, 3, root, 32, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, *checkpoint, (int)clen, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, now, -1, SQLITE_STATIC);
	src = sqlite3_step(st);
	sqlite3_finalize(st);
	if (src != SQLITE_DONE) {
		store_fail(s, "cannot record the checkpoint", e);
		goto done;
	}

	/* The proof: inclusion path, all leaves, the latest cosigned checkpoint. */
	p.index = n - 1;
	p.size = n;
	p.leaves = leaves;
	size_t cap = merkle_inclusion_proof_len(p.index, n);
	if (!(p.inclusion = malloc((cap ? cap : 1) * 32))) {
		p.leaves = NULL;
		err_set(e, ERR_IO, "out of memory");
		goto done;
	}
	if (merkle_inclusion_proof((const uint8_t(*)[32])leaves, n, p.index, p.inclusion, cap, &p.ninclusion, e) != 0 ||
	    witnessed_notes(s, origin, &p, e) != 0) {
		p.leaves = NULL;
		goto done;
	}
	rc = log_proof_encode(&p, proof, proof_len, e);
	p.leaves = NULL; /* owned by leaves */
done:
	log_proof_free(&p);
	free(leaves);
	free(text);
	free(line);
	if (rc != 0) {
		free(*checkpoint);
		*checkpoint = NULL;
	}
	return rc;
}

/* ---- checking a bundle's log ------------------------------------------------------------- */

void log_checked_free(struct log_checked *c)
{
	free(c->leaves);
	free(c->note);
	memset(c, 0, sizeof *c);
}

static void short_hex(char out[17], const uint8_t root[32])
{
	sodium_bin2hex(out, 17, root, 8);
}

/* A fork against the vault's memory: names the checkpoint seen before that covers leaf j. */
static int fork_error(struct store *s, const struct log_checked *c, uint64_t j, struct err *e)
{
	char mine[17], theirs[17] = "?";
	short_hex(mine, c->root);
	sqlite3_stmt *st = store_prepare(s, "SELECT size, root, seen, bundle_id FROM seen_checkpoints "
					    "WHERE origin = ?1 AND size > ?2 ORDER BY size LIMIT 1", e);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, c->origin, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)j);
	if (sqlite3_step(st) == SQLITE_ROW) {
		if (sqlite3_column_bytes(st, 1) == 32)
			short_hex(theirs, sqlite3_column_blob(st, 1));
		err_set(e, ERR_VERIFY,
			"log '%s' forked or was rolled back: this bundle's checkpoint (size %llu, root %s...) "
			"disagrees at leaf %llu with the checkpoint seen on %s (size %lld, root %s..., bundle %s)",
			c->origin, (unsigned long long)c->size, mine, (unsigned long long)j,
			(const char *)sqlite3_column_text(st, 2), (long long)sqlite3_column_int64(st, 0), theirs,
			(const char *)sqlite3_column_text(st, 3));
	} else {
		err_set(e, ERR_VERIFY, "log '%s' forked: this bundle's checkpoint (size %llu, root %s...) disagrees at leaf %llu with what this vault saw before",
			c->origin, (unsigned long long)c->size, mine, (unsigned long long)j);
	}
	sqlite3_finalize(st);
	return err_hint(e, "the issuer showed different histories: keep both bundles and tell your auditors");
}

int log_check(struct store *s, const struct envelope *env, const uint8_t pk[32],
	      const char *envelope, size_t envelope_len, const char *checkpoint,
	      size_t checkpoint_len, const char *proof, size_t proof_len,
	      const struct note_vkey *witnesses, size_t nw, struct log_checked *out,
	      struct err *e)
{
	struct note n;
	struct checkpoint cp;
	struct log_proof p = {0};
	struct note_vkey *keys = NULL;
	bool *verified = NULL, *vouched = NULL;
	uint8_t leaf[32], root[32];
	int rc = -1;

	memset(out, 0, sizeof *out);
	note_init(&n);
	checkpoint_init(&cp);
	log_origin(env->issuer, out->origin);
	memcpy(out->bundle_id, env->bundle_id, sizeof out->bundle_id);
	if (!checkpoint || !proof) {
		err_set(e, ERR_FORMAT, "the bundle has no log members (log/checkpoint, log/proof)");
		goto done;
	}
	keys = calloc(nw + 1, sizeof *keys);
	verified = calloc(nw + 1, sizeof *verified);
	vouched = calloc(nw + 1, sizeof *vouched);
	if (!keys || !verified || !vouched) {
		err_set(e, ERR_IO, "out of memory");
		goto done;
	}
	if (log_vkey(&keys[0], env->issuer, pk, e) != 0)
		goto done;
	if (nw)
		memcpy(keys + 1, witnesses, nw * sizeof *keys);

	/* log/checkpoint: the issuer's signed note over this log's checkpoint. */
	if (note_parse(&n, checkpoint, checkpoint_len, e) != 0 ||
	    note_verify(&n, keys, 1, verified, e) != 0 || !verified[0]) {
		err_prefix(e, "log/checkpoint");
		if (e->code == ERR_OK || e->code == ERR_FORMAT)
			e->code = ERR_VERIFY;
		goto done;
	}
	if (checkpoint_parse(&cp, n.text, n.text_len, e) != 0) {
		err_prefix(e, "log/checkpoint");
		goto done;
	}
	if (strcmp(cp.origin, out->origin) != 0) {
		err_set(e, ERR_VERIFY, "log/checkpoint is for log '%s', not the issuer's ('%s')", cp.origin, out->origin);
		goto done;
	}
	out->size = cp.size;
	memcpy(out->root, cp.root, 32);

	/* log/proof: this envelope's leaf, included, and every leaf giving the root. */
	if (log_proof_parse(&p, proof, proof_len, e) != 0)
		goto done;
	if (p.size != cp.size) {
		err_set(e, ERR_VERIFY, "log/proof is for a tree of %llu leaves, log/checkpoint for %llu",
			(unsigned long long)p.size, (unsigned long long)cp.size);
		goto done;
	}
	merkle_leaf_hash(leaf, envelope, envelope_len);
	if (memcmp(p.leaves[p.index], leaf, 32) != 0) {
		err_set(e, ERR_VERIFY, "log/proof: leaf %llu is not this bundle's envelope", (unsigned long long)p.index);
		goto done;
	}
	if (merkle_verify_inclusion(p.index, p.size, leaf, 32, (const uint8_t(*)[32])p.inclusion, p.ninclusion,
				    cp.root, 32, e) != 0) {
		err_prefix(e, "log/proof: the inclusion proof");
		e->code = ERR_VERIFY;
		goto done;
	}
	merkle_root((const uint8_t(*)[32])p.leaves, p.size, root);
	if (memcmp(root, cp.root, 32) != 0) {
		err_set(e, ERR_VERIFY, "log/proof: the leaves do not make the checkpoint's root");
		goto done;
	}
	out->index = p.index;
	/* Each seal takes the next sequence number and appends one leaf in one transaction: a
	 * bundle's place in its issuer's log is its sequence number less one. */
	if (p.index + 1 != env->sequence) {
		err_set(e, ERR_VERIFY, "log/proof puts bundle %llu of this issuer at leaf %llu: sequence and log disagree",
			(unsigned long long)env->sequence, (unsigned long long)p.index);
		goto done;
	}

	/* Witnessed checkpoints: signed by the issuer, consistent with this tree. */
	for (size_t i = 0; i < p.nwitnessed; i++) {
		struct note wn;
		struct checkpoint wc;
		note_init(&wn);
		checkpoint_init(&wc);
		memset(verified, 0, (nw + 1) * sizeof *verified);
		int bad = note_parse(&wn, p.witnessed[i], p.witnessed_len[i], e) != 0 ||
			  note_verify(&wn, keys, nw + 1, verified, e) != 0;
		if (!bad && !verified[0])
			bad = err_set(e, ERR_VERIFY, "it is not signed by the issuer's log key") != 0;
		if (!bad)
			bad = checkpoint_parse(&wc, wn.text, wn.text_len, e) != 0;
		if (!bad && (strcmp(wc.origin, out->origin) != 0 || wc.size > cp.size)) {
			err_set(e, ERR_VERIFY, "a witnessed checkpoint is for another log or a larger tree");
			bad = 1;
		}
		if (!bad) {
			merkle_root((const uint8_t(*)[32])p.leaves, wc.size, root);
			if (memcmp(root, wc.root, 32) != 0) {
				err_set(e, ERR_VERIFY, "log '%s' forked: the witnessed checkpoint of size %llu disagrees with this bundle's tree",
					out->origin, (unsigned long long)wc.size);
				bad = 1;
			}
		}
		if (!bad) {
			for (size_t k = 1; k <= nw; k++)
				if (verified[k] && !vouched[k]) {
					vouched[k] = true;
					out->witnesses++;
				}
			if (wc.size > out->witnessed_size)
				out->witnessed_size = wc.size;
		}
		note_free(&wn);
		checkpoint_free(&wc);
		if (bad) {
			err_prefix(e, "log/proof: witnessed checkpoint %zu", i + 1);
			if (e->code == ERR_FORMAT)
				e->code = ERR_VERIFY;
			goto done;
		}
	}

	if (!(out->note = malloc(checkpoint_len + 1))) {
		err_set(e, ERR_IO, "out of memory");
		goto done;
	}
	memcpy(out->note, checkpoint, checkpoint_len);
	out->note[checkpoint_len] = '\0';
	out->note_len = checkpoint_len;
	out->leaves = p.leaves;
	p.leaves = NULL;

	/* The vault's memory: what it saw must be a prefix of this, or this of it. */
	if (s) {
		uint8_t (*seen)[32] = NULL;
		uint64_t m;
		if (load_leaves(s, "seen_leaves", out->origin, &seen, &m, e) != 0)
			goto done;
		uint64_t k = m < out->size ? m : out->size;
		for (uint64_t j = 0; j < k; j++) {
			if (memcmp(seen[j], out->leaves[j], 32) != 0) {
				free(seen);
				fork_error(s, out, j, e);
				goto done;
			}
		}
		free(seen);
	}
	rc = 0;
done:
	note_free(&n);
	checkpoint_free(&cp);
	log_proof_free(&p);
	free(keys);
	free(verified);
	free(vouched);
	if (rc != 0)
		log_checked_free(out);
	return rc;
}

bool log_consistent(const struct log_checked *a, const struct log_checked *b, char *why,
		    size_t cap)
{
	if (strcmp(a->origin, b->origin) != 0)
		return true;
	uint64_t k = a->size < b->size ? a->size : b->size;
	for (uint64_t j = 0; j < k; j++) {
		if (memcmp(a->leaves[j], b->leaves[j], 32) != 0) {
			char ra[17], rb[17];
			short_hex(ra, a->root);
			short_hex(rb, b->root);
			snprintf(why, cap, "log '%s' forked at leaf %llu: the checkpoint of bundle %s (size %llu, root %s...) "
				 "and that of bundle %s (size %llu, root %s...) disagree",
				 a->origin, (unsigned long long)j, a->bundle_id, (unsigned long long)a->size, ra,
				 b->bundle_id, (unsigned long long)b->size, rb);
			return false;
		}
	}
	return true;
}

int log_remember(struct store *s, const struct log_checked *c, struct err *e)
{
	uint8_t (*seen)[32] = NULL;
	uint64_t m;
	char now[CLOCK_RFC3339_LEN + 1];
	if (store_begin(s, e) != 0)
		return -1;
	if (load_leaves(s, "seen_leaves", c->origin, &seen, &m, e) != 0)
		goto fail;
	/* Checked again under the write lock: another open of this vault may have remembered a
	 * different history since log_check read it. */
	uint64_t k = m < c->size ? m : c->size;
	for (uint64_t j = 0; j < k; j++) {
		if (memcmp(seen[j], c->leaves[j], 32) != 0) {
			free(seen);
			fork_error(s, c, j, e);
			goto fail;
		}
	}
	free(seen);
	sqlite3_stmt *st = store_prepare(s, "INSERT INTO seen_leaves (origin, idx, leaf) VALUES (?1, ?2, ?3)", e);
	if (!st)
		goto fail;
	for (uint64_t j = m; j < c->size; j++) {
		sqlite3_bind_text(st, 1, c->origin, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)j);
		sqlite3_bind_blob(st, 3, c->leaves[j], 32, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE) {
			sqlite3_finalize(st);
			store_fail(s, "cannot remember the log", e);
			goto fail;
		}
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	clock_rfc3339(clock_now(), now, sizeof now);
	st = store_prepare(s, "INSERT INTO seen_checkpoints (origin, size, root, note, bundle_id, seen) "
			      "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (origin, size) DO NOTHING", e);
	if (!st)
		goto fail;
	sqlite3_bind_text(st, 1, c->origin, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)c->size);
	sqlite3_bind_blob(st, 3, c->root, 32, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, c->note, (int)c->note_len, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, c->bundle_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, now, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		store_fail(s, "cannot remember the checkpoint", e);
		goto fail;
	}
	return store_commit(s, e);
fail:
	store_rollback(s);
	return -1;
}

/* ---- the secretariat's view of its log --------------------------------------------------- */

void log_status_free(struct log_status *st)
{
	free(st->note);
	for (size_t i = 0; i < st->ncosigners; i++)
		free(st->cosigners[i]);
	free(st->cosigners);
	memset(st, 0, sizeof *st);
}

int log_status(struct store *s, const char *issuer, struct log_status *st, struct err *e)
{
	memset(st, 0, sizeof *st);
	log_origin(issuer, st->origin);
	sqlite3_stmt *q = store_prepare(s, "SELECT size, root, note FROM log_checkpoints WHERE origin = ?1 ORDER BY size DESC LIMIT 1", e);
	if (!q)
		return -1;
	sqlite3_bind_text(q, 1, st->origin, -1, SQLITE_STATIC);
	if (sqlite3_step(q) == SQLITE_ROW) {
		st->size = (uint64_t)sqlite3_column_int64(q, 0);
		if (sqlite3_column_bytes(q, 1) == 32)
			memcpy(st->root, sqlite3_column_blob(q, 1), 32);
		st->note = strdup((const char *)sqlite3_column_text(q, 2));
	}
	sqlite3_finalize(q);
	q = store_prepare(s, "SELECT witness, count(*) FROM log_cosignatures WHERE origin = ?1 GROUP BY witness ORDER BY witness", e);
	if (!q)
		return -1;
	sqlite3_bind_text(q, 1, st->origin, -1, SQLITE_STATIC);
	while (sqlite3_step(q) == SQLITE_ROW) {
		char **nl = realloc(st->cosigners, (st->ncosigners + 1) * sizeof *nl);
		if (!nl)
			break;
		st->cosigners = nl;
		st->cosigners[st->ncosigners++] = strdup((const char *)sqlite3_column_text(q, 0));
		st->ncosignatures += (size_t)sqlite3_column_int64(q, 1);
	}
	sqlite3_finalize(q);
	return 0;
}

int log_verify_all(struct store *s, const char *issuer, const uint8_t pk[32], uint64_t *nleaves,
		   uint64_t *ncheckpoints, struct err *e)
{
	char origin[LOG_NAME_MAX];
	uint8_t (*leaves)[32] = NULL;
	uint64_t n = 0;
	int rc = -1;
	struct note_vkey key;
	log_origin(issuer, origin);
	*nleaves = *ncheckpoints = 0;
	if (log_vkey(&key, issuer, pk, e) != 0 || load_leaves(s, "log_leaves", origin, &leaves, &n, e) != 0)
		return -1;
	/* Every leaf is the hash of the envelope stored beside it. */
	sqlite3_stmt *q = store_prepare(s, "SELECT idx, envelope FROM log_leaves WHERE origin = ?1 ORDER BY idx", e);
	if (!q)
		goto done;
	sqlite3_bind_text(q, 1, origin, -1, SQLITE_STATIC);
	while (sqlite3_step(q) == SQLITE_ROW) {
		uint64_t i = (uint64_t)sqlite3_column_int64(q, 0);
		uint8_t leaf[32];
		merkle_leaf_hash(leaf, sqlite3_column_blob(q, 1), (size_t)sqlite3_column_bytes(q, 1));
		if (i >= n || memcmp(leaf, leaves[i], 32) != 0) {
			sqlite3_finalize(q);
			err_set(e, ERR_VERIFY, "log '%s': leaf %llu is not the hash of its envelope", origin, (unsigned long long)i);
			goto done;
		}
	}
	sqlite3_finalize(q);
	/* Every checkpoint: its root at its size, its signature, its text. */
	q = store_prepare(s, "SELECT size, root, note FROM log_checkpoints WHERE origin = ?1 ORDER BY size", e);
	if (!q)
		goto done;
	sqlite3_bind_text(q, 1, origin, -1, SQLITE_STATIC);
	while (sqlite3_step(q) == SQLITE_ROW) {
		uint64_t size = (uint64_t)sqlite3_column_int64(q, 0);
		const char *text = (const char *)sqlite3_column_text(q, 2);
		uint8_t root[32];
		struct note nt;
		struct checkpoint cp;
		bool ok = false;
		note_init(&nt);
		checkpoint_init(&cp);
		if (size <= n && sqlite3_column_bytes(q, 1) == 32) {
			merkle_root((const uint8_t(*)[32])leaves, size, root);
			ok = memcmp(root, sqlite3_column_blob(q, 1), 32) == 0 &&
			     note_parse(&nt, text, strlen(text), e) == 0 && note_verify(&nt, &key, 1, NULL, e) == 0 &&
			     checkpoint_parse(&cp, nt.text, nt.text_len, e) == 0 && cp.size == size &&
			     memcmp(cp.root, root, 32) == 0 && strcmp(cp.origin, origin) == 0;
		}
		note_free(&nt);
		checkpoint_free(&cp);
		if (!ok) {
			sqlite3_finalize(q);
			err_set(e, ERR_VERIFY, "log '%s': the checkpoint of size %llu does not match the log", origin,
				(unsigned long long)size);
			goto done;
		}
		(*ncheckpoints)++;
	}
	sqlite3_finalize(q);
	*nleaves = n;
	rc = 0;
done:
	free(leaves);
	return rc;
}

int log_cosignature_add(struct store *s, const char *note, size_t len,
			const struct note_vkey *witnesses, size_t nw, size_t *added, struct err *e)
{
	struct note n;
	struct checkpoint cp;
	int rc = -1;
	size_t valid = 0;
	*added = 0;
	note_init(&n);
	checkpoint_init(&cp);
	if (note_parse(&n, note, len, e) != 0 || checkpoint_parse(&cp, n.text, n.text_len, e) != 0) {
		err_prefix(e, "the cosigned checkpoint");
		goto done;
	}
	/* It must be a checkpoint this vault signed, word for word. */
	sqlite3_stmt *q = store_prepare(s, "SELECT note FROM log_checkpoints WHERE origin = ?1 AND size = ?2", e);
	if (!q)
		goto done;
	sqlite3_bind_text(q, 1, cp.origin, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, (sqlite3_int64)cp.size);
	bool ours = sqlite3_step(q) == SQLITE_ROW &&
		    strncmp((const char *)sqlite3_column_text(q, 0), n.text, n.text_len) == 0 &&
		    ((const char *)sqlite3_column_text(q, 0))[n.text_len] == '\n';
	sqlite3_finalize(q);
	if (!ours) {
		err_set(e, ERR_VERIFY, "the cosigned checkpoint (log '%s', size %llu) is not one this vault signed",
			cp.origin, (unsigned long long)cp.size);
		goto done;
	}
	char now[CLOCK_RFC3339_LEN + 1];
	clock_rfc3339(clock_now(), now, sizeof now);
	if (store_begin(s, e) != 0)
		goto done;
	for (size_t i = 0; i < n.nsigs; i++) {
		const struct note_sig *sig = &n.sigs[i];
		for (size_t k = 0; k < nw; k++) {
			if (witnesses[k].key_id != sig->key_id || strcmp(witnesses[k].name, sig->name) != 0)
				continue;
			struct cosig c;
			if (cosig_parse(&c, sig->blob, sig->blob_len, e) != 0 ||
			    cosig_verify(&witnesses[k], &c, n.text, n.text_len, e) != 0) {
				store_rollback(s);
				err_prefix(e, "the cosignature of '%s'", sig->name);
				goto done;
			}
			char *b64 = b64_encode_alloc(sig->blob, sig->blob_len, B64_PADDED);
			char *line = b64 ? sqlite3_mprintf("— %s %s\n", sig->name, b64) : NULL;
			free(b64);
			sqlite3_stmt *ins = line ? store_prepare(s, "INSERT INTO log_cosignatures (origin, size, witness, line, timestamp, added) "
							       "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING", e) : NULL;
			if (!ins) {
				sqlite3_free(line);
				store_rollback(s);
				if (e->code == ERR_OK)
					err_set(e, ERR_IO, "out of memory");
				goto done;
			}
			sqlite3_bind_text(ins, 1, cp.origin, -1, SQLITE_STATIC);
			sqlite3_bind_int64(ins, 2, (sqlite3_int64)cp.size);
			sqlite3_bind_text(ins, 3, sig->name, -1, SQLITE_STATIC);
			sqlite3_bind_text(ins, 4, line, -1, SQLITE_STATIC);
			sqlite3_bind_int64(ins, 5, (sqlite3_int64)c.timestamp);
			sqlite3_bind_text(ins, 6, now, -1, SQLITE_STATIC);
			int src = sqlite3_step(ins);
			sqlite3_finalize(ins);
			sqlite3_free(line);
			if (src != SQLITE_DONE) {
				store_fail(s, "cannot store the cosignature", e);
				store_rollback(s);
				goto done;
			}
			*added += (size_t)sqlite3_changes(store_db(s));
			valid++;
		}
	}
	if (valid == 0) {
		store_rollback(s);
		err_set(e, ERR_VERIFY, "no cosignature from a pinned witness in it");
		err_hint(e, "pin the witness's public key first: amana trust add WITNESS.pub --name NAME --witness");
		goto done;
	}
	rc = store_commit(s, e);
done:
	note_free(&n);
	checkpoint_free(&cp);
	return rc;
}

int log_list(struct store *s, struct log_id **out, size_t *n, struct err *e)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *q = store_prepare(s, "SELECT issuer, public_key FROM logs ORDER BY origin", e);
	if (!q)
		return -1;
	while (sqlite3_step(q) == SQLITE_ROW) {
		if (sqlite3_column_bytes(q, 1) != 32)
			continue;
		struct log_id *nl = realloc(*out, (*n + 1) * sizeof *nl);
		if (!nl) {
			sqlite3_finalize(q);
			free(*out);
			*out = NULL;
			*n = 0;
			return err_set(e, ERR_IO, "out of memory");
		}
		*out = nl;
		snprintf(nl[*n].issuer, sizeof nl[*n].issuer, "%s", (const char *)sqlite3_column_text(q, 0));
		memcpy(nl[*n].pk, sqlite3_column_blob(q, 1), 32);
		(*n)++;
	}
	sqlite3_finalize(q);
	return 0;
}

/* ---- the roots' revocations ---------------------------------------------------------------- */

/* The root of the first size leaves of leaves[0..n), when n reaches size. */
static int prefix_root(const uint8_t (*leaves)[32], uint64_t n, uint64_t size, uint8_t root[32])
{
	if (n < size)
		return 0;
	merkle_root(leaves, (size_t)size, root);
	return 1;
}

int log_known_root(struct store *s, const char *origin, const uint8_t (*leaves)[32], uint64_t n,
		   uint64_t size, uint8_t root[32], struct err *e)
{
	if (prefix_root(leaves, n, size, root))
		return 1;
	uint8_t (*seen)[32] = NULL;
	uint64_t m;
	if (!s)
		return 0;
	if (load_leaves(s, "seen_leaves", origin, &seen, &m, e) != 0)
		return -1;
	int rc = prefix_root((const uint8_t (*)[32])seen, m, size, root);
	free(seen);
	return rc;
}

int log_own_root(struct store *s, const char *issuer, uint64_t *size, uint8_t root[32], uint64_t *have,
		 struct err *e)
{
	char origin[LOG_NAME_MAX];
	uint8_t (*leaves)[32] = NULL;
	uint64_t n;
	log_origin(issuer, origin);
	if (load_leaves(s, "log_leaves", origin, &leaves, &n, e) != 0)
		return -1;
	*have = n;
	if (*size == LOG_SIZE_ALL)
		*size = n;
	int rc = prefix_root((const uint8_t (*)[32])leaves, n, *size, root);
	free(leaves);
	return rc;
}

int log_has_envelope(struct store *s, const struct envelope *env, const char *envelope, size_t len,
		     struct err *e)
{
	char origin[LOG_NAME_MAX];
	log_origin(env->issuer, origin);
	sqlite3_stmt *st = store_prepare(s, "SELECT envelope FROM log_leaves WHERE origin = ?1 AND idx = ?2", e);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, origin, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)env->sequence - 1);
	int rc = sqlite3_step(st), found = 0;
	if (rc == SQLITE_ROW)
		found = (size_t)sqlite3_column_bytes(st, 0) == len &&
			memcmp(sqlite3_column_blob(st, 0), envelope, len) == 0;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail(s, "cannot read the log", e);
	return found;
}
