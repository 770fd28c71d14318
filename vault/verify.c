/*
 * verify.c - the checks of a bundle, in order, and its extraction. See verify.h.
 */
#include "vault/verify.h"

#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vault/addendum.h"
#include "vault/bundle.h"
#include "vault/clock.h"
#include "vault/extract.h"
#include "vault/hashq.h"
#include "vault/io.h"
#include "vault/manifest.h"
#include "vault/minisign.h"
#include "vault/outcome.h"
#include "vault/text.h"

#define MANIFEST_MAX (1ULL << 32)
#define COPY_BUF 65536

/* The outer payload member as age's input: hashed (on another core) and counted on the way.
 * In format 2 the age header (its first split bytes, as the envelope says) and the body are
 * two messages: the header's digest is taken when the body's first byte arrives. */
struct payload_in {
	struct tar_reader *outer;
	struct hashq *hash;
	uint64_t seen;
	uint64_t split;	      /* format 2: the header's size; 0 in format 1 */
	bool split_done;
	uint8_t header_digest[64];
};

static int payload_read(void *ctx, void *buf, size_t cap, size_t *got, struct err *e)
{
	struct payload_in *p = ctx;
	if (tar_reader_data(p->outer, buf, cap, got, e) != 0)
		return -1;
	const unsigned char *b = buf;
	size_t n = *got;
	if (p->split && !p->split_done && p->seen + n >= p->split) {
		size_t head = (size_t)(p->split - p->seen);
		hashq_update(p->hash, b, head);
		hashq_final(p->hash, p->header_digest);
		p->split_done = true;
		b += head;
		n -= head;
		p->seen += head;
	}
	hashq_update(p->hash, b, n);
	p->seen += n;
	return 0;
}

/* The decrypted payload as the inner tar's input. */
static int plain_read(void *ctx, void *buf, size_t cap, size_t *got, struct err *e)
{
	return age_decrypt_read(ctx, buf, cap, got, e);
}

void verify_report_free(struct verify_report *r)
{
	envelope_free(&r->env);
	free(r->envelope_text);
	free(r->envelope_sig_text);
	free(r->issuer_pinned_name);
	free(r->root_text);
	free(r->addendum_ct);
	if (r->addendum) {
		addendum_free(r->addendum);
		free(r->addendum);
	}
	free(r->trust.name);
	free(r->recipient);
	memset(r, 0, sizeof *r);
}

/* Notes a failed check: with report_all the first one is kept and work goes on (returns 0),
 * otherwise it stops (returns -1). */
static int failed(const struct verify_input *in, struct verify_report *r, struct err *e)
{
	if (r->first_failure.code == ERR_OK)
		err_copy(&r->first_failure, e);
	return in->report_all ? 0 : -1;
}

/* Copies the current inner member into fd (or nowhere when fd < 0), hashing it on hq's
 * thread. */
static int copy_member(struct tar_reader *t, int fd, uint64_t size, uint8_t digest[64],
		       unsigned char *buf, struct hashq *hq, struct err *e)
{
	uint64_t n = 0;
	for (;;) {
		size_t got;
		if (tar_reader_data(t, buf, COPY_BUF, &got, e) != 0)
			return -1;
		if (got == 0)
			break;
		hashq_update(hq, buf, got);
		if (fd >= 0 && io_write_all(fd, buf, got, e) != 0)
			return err_prefix(e, "cannot write the output");
		n += got;
		/* Start the kernel writing as we go, so that the commit's fsync is short. */
		if (fd >= 0 && (n & ((64u << 20) - 1)) < got)
			sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
	}
	hashq_final(hq, digest);
	if (n != size)
		return err_set(e, ERR_FORMAT, "a member of the payload is cut short");
	return 0;
}

/* Checks the manifest's meta against the envelope, field by field. */
static int meta_matches(const struct manifest_meta *m, const struct envelope *env, struct err *e)
{
	const char *what = NULL;
	if (strcmp(m->bundle_id, env->bundle_id) != 0)
		what = "bundle id";
	else if (strcmp(m->issuer, env->issuer) != 0)
		what = "issuer";
	else if (m->sequence != (env->has_readdress ? env->first_sequence : env->sequence))
		what = "sequence";
	else if (strcmp(m->created, env->has_readdress ? env->first_created : env->created) != 0)
		what = "creation time";
	else if (strcmp(m->issuer_name, env->issuer_name) != 0)
		what = "issuer name";
	else if (m->records_count != env->records_count || strcmp(m->records_root, env->records_root) != 0)
		what = "records count or root";
	if (what)
		return err_set(e, ERR_VERIFY, "the manifest's %s differs from the envelope's (the payload was moved from another bundle?)", what);
	return 0;
}

/* What the inner checks hold while they run. */
struct inner {
	struct tar_reader *t;
	struct manifest *m;
	struct manifest_meta meta;
	char *issuer_name, *sigtext, *mpath, *tmpdir;
	struct minisign_sig msig;
	unsigned char *buf;
	struct hashq *hq;
};

/* A files/ member's name: its relative path must be usable and come after prev (the files
 * are in byte order, each once). On success *shown is its printable form (malloc'd). */
static int member_path(const char *name, const char *prev, char **shown, struct err *e)
{
	*shown = text_display(name, strlen(name));
	if (!*shown)
		return err_set(e, ERR_IO, "out of memory");
	if (strncmp(name, "files/", 6) != 0)
		return err_set(e, ERR_FORMAT, "the payload: unexpected member '%s'", *shown);
	const char *why = outcome_path_problem(name + 6);
	if (why)
		return err_set(e, ERR_FORMAT, "the payload: member '%s': %s", *shown, why);
	if (prev && strcmp(prev, name + 6) >= 0)
		return err_set(e, ERR_FORMAT, "the payload: member '%s' is out of order or repeated", *shown);
	return 0;
}

/* The manifest member (its header read: size bytes), then its signature: the manifest goes
 * to disk (SQLite reads files) hashed on the way, and SQLite opens it only once the signature
 * over those bytes holds. Then meta against the envelope, and our place among the
 * recipients. */
static int inner_manifest(struct verify_report *r, struct inner *x, uint64_t size,
			  struct age_decryptor *dec, const uint8_t pk[32], struct stage *stage,
			  struct err *e)
{
	uint8_t digest[64];
	int fd = -1;
	if (stage) {
		fd = stage_create(stage, "manifest.sqlite", e);
		x->mpath = io_join(stage->tmp, "manifest.sqlite");
	} else {
		x->mpath = io_join(x->tmpdir, "manifest.sqlite");
		if (x->mpath)
			fd = open(x->mpath, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0)
			err_errno(e, ERR_IO, "cannot create the manifest's temporary file");
	}
	if (fd < 0 || !x->mpath) {
		if (fd >= 0)
			close(fd);
		return e->code ? -1 : err_set(e, ERR_IO, "out of memory");
	}
	int rc = copy_member(x->t, fd, size, digest, x->buf, x->hq, e);
	close(fd);
	if (rc != 0)
		return -1;

	if (tar_reader_expect(x->t, "manifest.sqlite.minisig", BUNDLE_SIG_MAX, &size, e) != 0 ||
	    tar_reader_slurp(x->t, size, &x->sigtext, e) != 0)
		return -1;
	if (minisign_sig_decode(x->sigtext, size, &x->msig, e) != 0)
		return err_prefix(e, "manifest.sqlite.minisig");
	if (strcmp(x->msig.untrusted, BUNDLE_MANIFEST_SIG_COMMENT) != 0)
		return err_set(e, ERR_VERIFY, "manifest.sqlite.minisig: the untrusted comment is not amana's (the file was altered)");
	struct minisign_pub pub;
	minisign_key_id_parse(r->env.issuer, pub.key_id);
	memcpy(pub.pk, pk, 32);
	if (minisign_verify(&pub, &x->msig, digest, NULL, 0, true, e) != 0)
		return err_prefix(e, "the manifest's signature");
	char tc[128];
	snprintf(tc, sizeof tc, "%s %s %llu", MANIFEST_FORMAT, r->env.bundle_id,
		 (unsigned long long)(r->env.has_readdress ? r->env.first_sequence : r->env.sequence));
	if (strcmp(x->msig.trusted, tc) != 0)
		return err_set(e, ERR_VERIFY, "the manifest's signature names another bundle or sequence");
	if (stage) {
		int sfd = stage_create(stage, "manifest.sqlite.minisig", e);
		if (sfd < 0)
			return -1;
		int wrc = io_write_all(sfd, x->sigtext, size, e);
		close(sfd);
		if (wrc != 0)
			return -1;
	}

	if (manifest_open(&x->m, x->mpath, e) != 0 || manifest_read_meta(x->m, &x->meta, &x->issuer_name, e) != 0 ||
	    meta_matches(&x->meta, &r->env, e) != 0)
		return -1;
	char recipient[AGE_RECIPIENT_LEN + 1];
	if (age_decrypt_recipient(dec, recipient)) {
		bool listed;
		if (manifest_has_recipient(x->m, recipient, &listed, e) != 0)
			return -1;
		/* Readdressed: the addendum (decrypted, matched with the signed envelope) may list
		 * it instead. */
		if (!listed && r->addendum)
			listed = addendum_lists(r->addendum, recipient);
		if (!listed) {
			err_set(e, ERR_VERIFY, "this key decrypts the bundle but the manifest does not list %s among its recipients", recipient);
			return err_hint(e, "someone re-encrypted the payload for you: it did not come this way from the issuer");
		}
		r->recipient = strdup(recipient);
	}
	uint64_t nrec = 0;
	if (manifest_recipient_count(x->m, &nrec, e) != 0)
		return -1;
	if (!r->env.has_readdress && nrec != r->env.recipients)
		return err_set(e, ERR_VERIFY, "the manifest lists %llu recipients, the envelope %llu",
			       (unsigned long long)nrec, (unsigned long long)r->env.recipients);
	return 0;
}

/* A file of the payload against the manifest: listed, of that size, not a folder of another
 * listed file ("a" and "a/b"), and (digest given) of that BLAKE2b-512. */
static int judge_file(struct manifest *m, const char *rel, const char *shown, uint64_t size,
		      const uint8_t *digest, struct err *e)
{
	bool found;
	uint64_t lsize;
	uint8_t want[64];
	if (manifest_file(m, rel, &found, &lsize, want, e) != 0)
		return -1;
	for (const char *sl = strchr(rel, '/'); found && sl; sl = strchr(sl + 1, '/')) {
		char *part = strndup(rel, (size_t)(sl - rel));
		bool clash = false;
		uint64_t psz;
		uint8_t pd[64];
		if (!part)
			return err_set(e, ERR_IO, "out of memory");
		int rc = manifest_file(m, part, &clash, &psz, pd, e);
		free(part);
		if (rc != 0)
			return -1;
		if (clash)
			return err_set(e, ERR_FORMAT, "the payload: '%s' needs a folder where the manifest lists a file", shown);
	}
	if (!found || lsize != size)
		return err_set(e, ERR_VERIFY, found ? "'%s' is not of the size the manifest lists" : "'%s' is not listed in the manifest",
			       shown);
	if (digest && sodium_memcmp(digest, want, 64) != 0)
		return err_set(e, ERR_VERIFY, "'%s' does not match its BLAKE2b-512 digest in the manifest", shown);
	return 0;
}

/* A file seen before the manifest (format 3): judged once the manifest is read. */
struct seen_file {
	char *rel;
	uint64_t size;
	uint8_t digest[64];
};

static void seen_free(struct seen_file *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].rel);
	free(v);
}

/* Format 3: the files come first. Each is staged (or only hashed) as it arrives, and kept
 * as (path, size, digest); the first member that is not under files/ must be the manifest,
 * whose header this leaves read (*size). A file that would need a folder where an earlier
 * file is refused here, before anything is written for it. */
static int inner_files_first(struct inner *x, struct stage *stage, struct seen_file **out,
			     size_t *nout, uint64_t *size, struct err *e)
{
	struct seen_file *v = NULL;
	size_t n = 0, cap = 0;
	int fd = -1;
	for (;;) {
		const char *name;
		bool end;
		char *shown = NULL;
		if (tar_reader_next(x->t, &name, size, &end, e) != 0)
			goto fail;
		if (end) {
			err_set(e, ERR_FORMAT, "the payload ends without its manifest");
			goto fail;
		}
		if (strcmp(name, "manifest.sqlite") == 0) {
			if (*size > MANIFEST_MAX) {
				err_set(e, ERR_FORMAT, "the payload's manifest.sqlite is too large");
				goto fail;
			}
			break;
		}
		if (member_path(name, n ? v[n - 1].rel : NULL, &shown, e) != 0) {
			free(shown);
			goto fail;
		}
		const char *rel = name + 6;
		/* The files are in byte order, so an earlier file that is a leading part of this
		 * path is among those already seen: found by bisection. */
		for (const char *sl = strchr(rel, '/'); sl; sl = strchr(sl + 1, '/')) {
			char part[OUTCOME_PATH_MAX + 1];
			size_t pl = (size_t)(sl - rel), lo = 0, hi = n;
			memcpy(part, rel, pl < OUTCOME_PATH_MAX ? pl : OUTCOME_PATH_MAX);
			part[pl < OUTCOME_PATH_MAX ? pl : OUTCOME_PATH_MAX] = '\0';
			while (lo < hi) {
				size_t mid = lo + (hi - lo) / 2;
				int c = strcmp(v[mid].rel, part);
				if (c == 0) {
					err_set(e, ERR_FORMAT, "the payload: '%s' needs a folder where the payload holds a file", shown);
					free(shown);
					goto fail;
				}
				if (c < 0)
					lo = mid + 1;
				else
					hi = mid;
			}
		}
		free(shown);
		/* Kept until the manifest comes: no more than a manifest can list. */
		if (n == OUTCOME_ATTACHMENTS_MAX) {
			err_set(e, ERR_FORMAT, "the payload holds more than %u files", OUTCOME_ATTACHMENTS_MAX);
			goto fail;
		}
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 16;
			struct seen_file *nv = realloc(v, nc * sizeof *nv);
			if (!nv) {
				err_set(e, ERR_IO, "out of memory");
				goto fail;
			}
			v = nv;
			cap = nc;
		}
		if (!(v[n].rel = strdup(rel))) {
			err_set(e, ERR_IO, "out of memory");
			goto fail;
		}
		v[n].size = *size;
		n++;
		if (stage && (fd = stage_create(stage, name, e)) < 0)
			goto fail;
		if (copy_member(x->t, fd, *size, v[n - 1].digest, x->buf, x->hq, e) != 0)
			goto fail;
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	*out = v;
	*nout = n;
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	seen_free(v, n);
	return -1;
}

/* Steps 5-7 on the decrypted inner tar. stage is NULL for a check without output; the
 * manifest then goes to a private temporary folder. Formats 1 and 2 put the manifest first
 * and each file is judged as it arrives; format 3 puts it last, so the files are staged (or
 * hashed) first and judged once the signed manifest has been read. Either way nothing leaves
 * the staging folder before every check passed. */
static int check_inner(const struct verify_input *in, struct verify_report *r, struct age_decryptor *dec,
		       const uint8_t pk[32], struct stage *stage, struct err *e)
{
	struct inner x = {0};
	struct seen_file *seen = NULL;
	size_t nseen = 0;
	char *prev = NULL;
	uint8_t digest[64], bid[16];
	uint64_t size, nfiles = 0, listed_count;
	int rc = -1, fd = -1;

	if (!(x.buf = malloc(COPY_BUF))) {
		err_set(e, ERR_IO, "out of memory");
		goto done;
	}
	if (hashq_new(&x.hq, e) != 0 || tar_reader_open_cb(&x.t, plain_read, dec, "the payload", e) != 0)
		goto done;
	if (!stage) {
		/* Without an output, the manifest goes to a private folder under TMPDIR. */
		const char *td = getenv("TMPDIR");
		x.tmpdir = td && *td ? io_join(td, "amana-verify.XXXXXX") : strdup("/tmp/amana-verify.XXXXXX");
		if (!x.tmpdir || io_mkdtemp(x.tmpdir) != 0) {
			free(x.tmpdir);
			x.tmpdir = NULL;
			err_errno(e, ERR_IO, "cannot create a temporary folder for the manifest");
			goto done;
		}
	}

	if (r->env.format == 3) {
		if (inner_files_first(&x, stage, &seen, &nseen, &size, e) != 0 ||
		    inner_manifest(r, &x, size, dec, pk, stage, e) != 0 || tar_reader_expect_end(x.t, e) != 0)
			goto done;
		for (size_t i = 0; i < nseen; i++) {
			char name[8 + OUTCOME_PATH_MAX];
			snprintf(name, sizeof name, "files/%s", seen[i].rel);
			char *shown = text_display(name, strlen(name));
			int jrc = judge_file(x.m, seen[i].rel, shown ? shown : "?", seen[i].size, seen[i].digest, e);
			free(shown);
			if (jrc != 0)
				goto done;
			r->bytes += seen[i].size;
		}
		nfiles = nseen;
	} else {
		if (tar_reader_expect(x.t, "manifest.sqlite", MANIFEST_MAX, &size, e) != 0 ||
		    inner_manifest(r, &x, size, dec, pk, stage, e) != 0)
			goto done;
		/* Every file, in order, as listed. */
		for (;;) {
			const char *name;
			bool end;
			char *shown = NULL;
			if (tar_reader_next(x.t, &name, &size, &end, e) != 0)
				goto done;
			if (end) {
				if (tar_reader_no_trailing(x.t, e) != 0)
					goto done;
				break;
			}
			if (member_path(name, prev, &shown, e) != 0 ||
			    judge_file(x.m, name + 6, shown, size, NULL, e) != 0) {
				free(shown);
				goto done;
			}
			free(prev);
			prev = strdup(name + 6);
			if (stage && (fd = stage_create(stage, name, e)) < 0) {
				free(shown);
				goto done;
			}
			int crc = copy_member(x.t, fd, size, digest, x.buf, x.hq, e);
			if (fd >= 0)
				close(fd);
			fd = -1;
			if (crc != 0 || judge_file(x.m, name + 6, shown, size, digest, e) != 0) {
				free(shown);
				goto done;
			}
			free(shown);
			nfiles++;
			r->bytes += size;
		}
	}
	if (manifest_file_count(x.m, &listed_count, e) != 0)
		goto done;
	if (nfiles != listed_count) {
		err_set(e, ERR_VERIFY, "the manifest lists %llu files but the payload holds %llu",
			(unsigned long long)listed_count, (unsigned long long)nfiles);
		goto done;
	}
	r->files = nfiles;

	/* The records: each leaf, then the root. */
	size_t got = 0;
	if (sodium_hex2bin(bid, 16, r->env.bundle_id, 32, NULL, &got, NULL) != 0 || got != 16) {
		err_set(e, ERR_FORMAT, "the bundle id is not hex");
		goto done;
	}
	if (manifest_check_records(x.m, bid, &x.meta, e) != 0)
		goto done;
	r->records = x.meta.records_count;
	if (in->inner && in->inner(in->ctx, x.m, e) != 0)
		goto done;

	/* The rest of the plaintext (after the tar's end) must still authenticate. */
	for (;;) {
		size_t n;
		if (age_decrypt_read(dec, x.buf, COPY_BUF, &n, e) != 0)
			goto done;
		if (n == 0)
			break;
	}
	rc = 0;
done:
	if (fd >= 0)
		close(fd);
	tar_reader_free(x.t);
	hashq_free(x.hq);
	manifest_close(x.m);
	minisign_sig_clear(&x.msig);
	free(x.issuer_name);
	free(x.sigtext);
	free(x.mpath);
	free(x.buf);
	if (x.tmpdir) {
		io_rmtree(x.tmpdir);
		io_tmp_unregister(x.tmpdir);
		free(x.tmpdir);
	}
	seen_free(seen, nseen);
	free(prev);
	return rc;
}

/* When the member at hand (*name, *size, *end from tar_reader_next) is want, reads it whole
 * into *text (at most max bytes) and moves on to the next member; otherwise leaves all as it
 * is. Format 2's optional members before payload.age. */
static int optional_member(struct tar_reader *outer, const char *want, unsigned max, char **text,
			   size_t *len, const char **name, uint64_t *size, bool *end, struct err *e)
{
	if (*end || strcmp(*name, want) != 0)
		return 0;
	if (*size > max)
		return err_set(e, ERR_FORMAT, "the bundle: member '%s' declares %llu bytes, more than the %u allowed", want,
			       (unsigned long long)*size, max);
	if (tar_reader_slurp(outer, *size, text, e) != 0)
		return -1;
	*len = (size_t)*size;
	return tar_reader_next(outer, name, size, end, e);
}

/* Reads an in-memory buffer as age's input. */
struct mem_in {
	const char *p;
	size_t left;
};

static int mem_read(void *ctx, void *buf, size_t cap, size_t *got, struct err *e)
{
	struct mem_in *m = ctx;
	(void)e;
	*got = m->left < cap ? m->left : cap;
	memcpy(buf, m->p, *got);
	m->p += *got;
	m->left -= *got;
	return 0;
}

/* Decrypts a readdressed bundle's addendum.age with the reader's identities, parses it and
 * matches it with the envelope: r->addendum. A key that is not among this addressing's
 * recipients goes to *dec_err (ERR_KEY, reported after the payload's digest), as for the
 * payload; anything else to e. */
static int open_addendum(const struct verify_input *in, struct verify_report *r, struct err *dec_err,
			 struct err *e)
{
	struct mem_in m = {r->addendum_ct, r->addendum_len};
	struct age_decryptor *dec = NULL;
	char *text = malloc(ADDENDUM_MAX + 1);
	size_t len = 0;
	int rc = -1;
	if (!text)
		return err_set(e, ERR_IO, "out of memory");
	if (age_decrypt_init(&dec, in->ids, mem_read, &m, dec_err) != 0) {
		if (dec_err->code == ERR_KEY) {
			err_set(dec_err, ERR_KEY, "this bundle is not for you: none of your keys is among the recipients of this addressing");
			err_hint(dec_err, "open it with the identity (-i) whose public key the secretariat readdressed it to");
			rc = 0;
		} else {
			err_copy(e, dec_err);
			err_prefix(e, "addendum.age");
			err_clear(dec_err);
		}
		goto done;
	}
	for (;;) {
		size_t got;
		if (age_decrypt_read(dec, text + len, ADDENDUM_MAX + 1 - len, &got, e) != 0) {
			err_prefix(e, "addendum.age");
			goto done;
		}
		if (got == 0)
			break;
		len += got;
		if (len > ADDENDUM_MAX) {
			err_set(e, ERR_FORMAT, "addendum.age holds more than %d bytes", ADDENDUM_MAX);
			goto done;
		}
	}
	if (!(r->addendum = calloc(1, sizeof *r->addendum))) {
		err_set(e, ERR_IO, "out of memory");
		goto done;
	}
	if (addendum_parse(text, len, r->addendum, e) != 0 || addendum_matches(r->addendum, &r->env, e) != 0)
		goto done;
	rc = 0;
done:
	age_decrypt_free(dec);
	free(text);
	return rc;
}

int verify_bundle(const struct verify_input *in, struct verify_report *r, struct err *e)
{
	struct tar_reader *outer = NULL;
	struct minisign_sig sig = {0};
	struct age_decryptor *dec = NULL;
	struct stage stage = {0};
	struct hashq *hq = NULL;
	bool staged = false;
	char *sigtext = NULL, *checkpoint = NULL, *proof = NULL;
	uint8_t pk[32], hash[64];
	uint64_t size;
	int rc = -1, fd = -1;

	memset(r, 0, sizeof *r);
	r->issuer_pinned = r->envelope_sig_ok = r->log_ok = r->payload_ok = r->inner_ok = -1;
	r->key_ok = -1;
	stage.dirfd = -1;
	fd = open(in->bundle, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_errno(e, ERR_IO, "cannot open '%s'", in->bundle);
	if (in->out_dir && in->ids) {
		if (stage_open(&stage, in->out_dir, e) != 0)
			goto done;
		staged = true;
	}

	/* 1-2. The container's first members, and the envelope's signature checked over its raw
	 * bytes before they are parsed: an altered envelope is refused as altered (1), and only a
	 * signed one that does not parse is malformed (3). */
	if (tar_reader_open_fd(&outer, fd, "the bundle", e) != 0 ||
	    tar_reader_expect(outer, BUNDLE_ENVELOPE, ENVELOPE_MAX, &size, e) != 0 ||
	    tar_reader_slurp(outer, size, &r->envelope_text, e) != 0)
		goto done;
	size_t envelope_len = (size_t)size;
	struct err parse_err;
	err_clear(&parse_err);
	r->envelope_parsed = envelope_parse(r->envelope_text, envelope_len, &r->env, &parse_err) == 0;
	if (tar_reader_expect(outer, BUNDLE_ENVELOPE_SIG, BUNDLE_SIG_MAX, &size, e) != 0 ||
	    tar_reader_slurp(outer, size, &sigtext, e) != 0)
		goto done;
	if (minisign_sig_decode(sigtext, size, &sig, e) != 0) {
		err_prefix(e, "envelope.minisig");
		goto done;
	}
	r->envelope_sig_text = sigtext;
	sigtext = NULL;
	/* Format 2: the issuer's root chain, when the bundle carries one, comes next. */
	const char *mname;
	bool mend;
	if (tar_reader_next(outer, &mname, &size, &mend, e) != 0)
		goto done;
	/* Then a readdressed bundle's addendum, encrypted to its recipients. */
	if (optional_member(outer, BUNDLE_ROOT, BUNDLE_ROOT_MAX, &r->root_text, &r->root_len, &mname, &size,
			    &mend, e) != 0 ||
	    optional_member(outer, BUNDLE_ADDENDUM, BUNDLE_ADDENDUM_MAX, &r->addendum_ct, &r->addendum_len, &mname,
			    &size, &mend, e) != 0)
		goto done;
	if (mend) {
		err_set(e, ERR_FORMAT, "the bundle ends where '%s' was expected", BUNDLE_PAYLOAD);
		goto done;
	}
	if (strcmp(mname, BUNDLE_PAYLOAD) != 0) {
		char *shown = text_display(mname, strlen(mname));
		err_set(e, ERR_FORMAT, "the bundle: unexpected member '%s' where '%s' was expected",
			shown ? shown : "?", BUNDLE_PAYLOAD);
		free(shown);
		goto done;
	}
	if (size > UINT64_MAX >> 1) {
		err_set(e, ERR_FORMAT, "the bundle: member '%s' declares %llu bytes, more than the %llu allowed",
			BUNDLE_PAYLOAD, (unsigned long long)size, (unsigned long long)(UINT64_MAX >> 1));
		goto done;
	}
	uint64_t payload_member = size;
	char sigid[17];
	minisign_key_id_hex(sig.key_id, sigid);
	int pinned = in->issuer(in->ctx, sig.key_id, r, e);
	if (pinned < 0)
		goto done;
	r->issuer_pinned = pinned;
	if (pinned) {
		memcpy(pk, r->trust.pk, 32);
		if (!(r->issuer_pinned_name = strdup(r->trust.name ? r->trust.name : ""))) {
			err_set(e, ERR_IO, "out of memory");
			goto done;
		}
	}
	if (!pinned && r->envelope_parsed && strcmp(r->env.issuer, sigid) != 0) {
		err_set(e, ERR_VERIFY, "envelope.minisig was made by key %s, not by the issuer %s the envelope names",
			sigid, r->env.issuer);
		r->envelope_sig_ok = 0;
		if (failed(in, r, e) != 0)
			goto done;
	} else if (!pinned) {
		char *name = r->envelope_parsed ? text_display(r->env.issuer_name, strlen(r->env.issuer_name)) : NULL;
		err_set(e, ERR_VERIFY, "the issuer %s ('%s') is not pinned in this vault: its signature cannot be checked",
			sigid, name ? name : "?");
		if (r->envelope_parsed && r->env.has_root)
			err_hint(e, "it seals under root %s: if you trust the issuer, get its root file by a channel you trust, compare the root id, then run 'amana trust add ROOT'",
				 r->env.root_id);
		else
			err_hint(e, "if you trust it, get its public key by a channel you trust, compare the key id, then run 'amana trust add FILE.pub --name NAME'");
		free(name);
		if (failed(in, r, e) != 0)
			goto done;
	} else {
		struct minisign_pub pub;
		memcpy(pub.key_id, sig.key_id, 8);
		memcpy(pub.pk, pk, 32);
		crypto_generichash(hash, 64, (const uint8_t *)r->envelope_text, envelope_len, NULL, 0);
		if (minisign_verify(&pub, &sig, hash, NULL, 0, true, e) != 0) {
			err_prefix(e, "the envelope's signature");
			r->envelope_sig_ok = 0;
			if (failed(in, r, e) != 0)
				goto done;
		} else if (strcmp(sig.untrusted, BUNDLE_ENVELOPE_SIG_COMMENT) != 0) {
			err_set(e, ERR_VERIFY, "envelope.minisig: the untrusted comment is not amana's (the file was altered)");
			r->envelope_sig_ok = 0;
			if (failed(in, r, e) != 0)
				goto done;
		} else if (!r->envelope_parsed) {
			/* Signed by a pinned issuer, and still not an envelope. */
			err_copy(e, &parse_err);
			goto done;
		} else {
			char tc[128];
			envelope_trusted_comment(&r->env, tc, sizeof tc);
			if (strcmp(r->env.issuer, sigid) != 0) {
				err_set(e, ERR_VERIFY, "envelope.minisig was made by key %s, not by the issuer %s the envelope names",
					sigid, r->env.issuer);
				r->envelope_sig_ok = 0;
				if (failed(in, r, e) != 0)
					goto done;
			} else if (strcmp(sig.trusted, tc) != 0) {
				err_set(e, ERR_VERIFY, "the envelope's signed comment names another bundle or sequence");
				r->envelope_sig_ok = 0;
				if (failed(in, r, e) != 0)
					goto done;
			} else {
				r->envelope_sig_ok = 1;
			}
			/* The trust in force: may this key sign this bundle (window, revocation, root
			 * expiry, the chain the envelope names)? Judged only on a signed envelope. */
			if (r->envelope_sig_ok == 1) {
				r->key_ok = r->trust.refusal.code == ERR_OK;
				if (!r->key_ok) {
					err_copy(e, &r->trust.refusal);
					if (failed(in, r, e) != 0)
						goto done;
				}
			}
		}
	}
	if (!r->envelope_parsed) {
		/* Without a readable envelope there is nothing to compare the rest with. */
		if (r->first_failure.code == ERR_OK)
			err_copy(e, &parse_err);
		else
			err_copy(e, &r->first_failure);
		goto done;
	}
	/* The container's headers carry the envelope's time (format.md, The container); only
	 * checked once the envelope is not known to be altered, which is reported as such. */
	int64_t created;
	if (r->envelope_sig_ok != 0 &&
	    (!clock_parse_rfc3339(r->env.created, &created) || created != tar_reader_mtime(outer))) {
		err_set(e, ERR_FORMAT, "the bundle: the time in its tar headers is not the envelope's created time");
		err_hint(e, "the file was altered or rebuilt after it was sealed; ask its sender for a fresh copy");
		goto done;
	}

	/* The root chain travels exactly with an envelope that names a root. */
	if (r->root_text && !r->env.has_root) {
		err_set(e, ERR_FORMAT, "the bundle carries a root chain that its envelope does not name");
		err_hint(e, "the file was altered after it was sealed; ask its sender for a fresh copy");
		goto done;
	}
	if (!r->root_text && r->env.has_root) {
		err_set(e, ERR_VERIFY, "the envelope names root %s version %llu, but the bundle carries no root chain (stripped)",
			r->env.root_id, (unsigned long long)r->env.root_version);
		err_hint(e, "the file was altered after it was sealed; ask its sender for a fresh copy");
		if (failed(in, r, e) != 0)
			goto done;
	}
	/* The addendum of a readdressed bundle: the one its signed envelope names. */
	if (!r->env.has_readdress != !r->addendum_ct) {
		if (r->addendum_ct)
			err_set(e, ERR_FORMAT, "the bundle carries an addendum.age that its envelope does not name");
		else
			err_set(e, ERR_VERIFY, "the envelope names an addendum, but the bundle carries no addendum.age (stripped)");
		err_hint(e, "the file was altered after it was readdressed; ask its sender for a fresh copy");
		goto done;
	}
	if (r->addendum_ct) {
		char ahex[129];
		crypto_generichash(hash, 64, (const uint8_t *)r->addendum_ct, r->addendum_len, NULL, 0);
		sodium_bin2hex(ahex, sizeof ahex, hash, 64);
		if (r->addendum_len != r->env.addendum_size || strcmp(ahex, r->env.addendum_blake2b) != 0) {
			err_set(e, ERR_VERIFY, "addendum.age does not match the envelope's digest (it was altered)");
			if (failed(in, r, e) != 0)
				goto done;
		}
	}

	/* 4. The payload: decrypted when we can and may, else only hashed. */
	size = payload_member;
	struct payload_in pin = {outer, NULL, 0, 0, false, {0}};
	if (r->env.format >= 2)
		pin.split = r->env.header_size;
	if (hashq_new(&pin.hash, e) != 0)
		goto done;
	hq = pin.hash;
	bool decrypt = in->ids && r->issuer_pinned == 1 && r->envelope_sig_ok == 1 && r->key_ok == 1;
	struct err dec_err;
	err_clear(&dec_err);
	if (decrypt && r->addendum_ct && open_addendum(in, r, &dec_err, e) != 0)
		goto done;
	if (dec_err.code != ERR_OK)
		decrypt = false;
	if (decrypt && age_decrypt_init(&dec, in->ids, payload_read, &pin, &dec_err) != 0) {
		/* Not for us, or a damaged header: which one the digest tells, once the whole
		 * payload went through it (below): an altered payload is reported as such. */
		decrypt = false;
		if (dec_err.code == ERR_KEY) {
			err_set(&dec_err, ERR_KEY, "this bundle is not for you: none of your keys is among its recipients");
			err_hint(&dec_err, "open it with the identity (-i) whose public key the secretariat sealed for");
		}
	}
	if (decrypt) {
		if (age_decrypt_armored(dec)) {
			err_set(e, ERR_FORMAT, "payload.age is ASCII-armored; bundles carry binary age files");
			goto done;
		}
		if (check_inner(in, r, dec, pk, staged ? &stage : NULL, e) != 0) {
			r->inner_ok = 0;
			goto done;
		}
		r->inner_ok = 1;
	}
	for (;;) { /* whatever was not read yet (all of it without decryption) */
		unsigned char buf[65536];
		size_t got;
		if (payload_read(&pin, buf, sizeof buf, &got, e) != 0)
			goto done;
		if (got == 0)
			break;
	}
	hashq_final(pin.hash, hash);
	char hex[129], hhex[129];
	sodium_bin2hex(hex, sizeof hex, hash, 64);
	sodium_bin2hex(hhex, sizeof hhex, pin.header_digest, 64);
	const char *bad = NULL;
	if (pin.seen != envelope_payload_total(&r->env) || (pin.split && !pin.split_done))
		bad = "size";
	else if (pin.split && strcmp(hhex, r->env.header_blake2b) != 0)
		bad = "age header's BLAKE2b-512 digest";
	else if (strcmp(hex, r->env.payload_blake2b) != 0)
		bad = pin.split ? "body's BLAKE2b-512 digest" : "BLAKE2b-512 digest";
	if (bad) {
		r->payload_ok = 0;
		err_set(e, ERR_VERIFY, "payload.age does not match the envelope's %s (it was altered)", bad);
		if (failed(in, r, e) != 0)
			goto done;
	} else {
		r->payload_ok = 1;
	}
	if (dec_err.code != ERR_OK) {
		err_copy(e, &dec_err);
		goto done;
	}

	/* 3. The log members, when the bundle has them, and what the vault saw before. */
	const char *name;
	bool end;
	uint64_t csize = 0, psize = 0;
	if (tar_reader_next(outer, &name, &size, &end, e) != 0)
		goto done;
	if (end && tar_reader_no_trailing(outer, e) != 0)
		goto done;
	if (!end) {
		if (strcmp(name, BUNDLE_CHECKPOINT) != 0) {
			char *shown = text_display(name, strlen(name));
			err_set(e, ERR_FORMAT, "the bundle: unexpected member '%s' after payload.age", shown ? shown : "?");
			free(shown);
			goto done;
		}
		if (size > BUNDLE_LOG_MAX) {
			err_set(e, ERR_FORMAT, "the bundle: member '%s' declares %llu bytes, more than the %u allowed",
				BUNDLE_CHECKPOINT, (unsigned long long)size, (unsigned)BUNDLE_LOG_MAX);
			goto done;
		}
		csize = size;
		if (tar_reader_slurp(outer, csize, &checkpoint, e) != 0 ||
		    tar_reader_expect(outer, BUNDLE_PROOF, BUNDLE_LOG_MAX, &psize, e) != 0 ||
		    tar_reader_slurp(outer, psize, &proof, e) != 0 || tar_reader_expect_end(outer, e) != 0)
			goto done;
	}
	if (in->log && r->envelope_sig_ok == 1) {
		if (in->log(in->ctx, &r->env, r->envelope_text, strlen(r->envelope_text), checkpoint,
			    csize, proof, psize, e) != 0) {
			r->log_ok = 0;
			if (failed(in, r, e) != 0)
				goto done;
		} else {
			r->log_ok = 1;
		}
	}

	if (r->first_failure.code != ERR_OK) {
		err_copy(e, &r->first_failure);
		goto done;
	}
	if (staged) {
		if (stage_sync(&stage, e) != 0)
			goto done;
		io_signals_hold();
		int src = in->staged ? in->staged(in->staged_ctx, stage.tmp, e) : 0;
		if (src == 0)
			src = stage_commit(&stage, e);
		io_signals_release();
		if (src != 0)
			goto done;
		staged = false;
	}
	rc = 0;
done:
	if (staged)
		stage_abort(&stage);
	age_decrypt_free(dec);
	hashq_free(hq);
	tar_reader_free(outer);
	minisign_sig_clear(&sig);
	free(sigtext);
	free(checkpoint);
	free(proof);
	if (fd >= 0)
		close(fd);
	/* Whatever failed without saying what to do: the two answers a holder of a bad bundle
	 * needs. */
	if (rc != 0 && e && !e->hint[0] && e->code == ERR_FORMAT)
		err_hint(e, "the bundle is damaged, cut short or not an amana bundle; ask its sender for a fresh copy and compare its b2sum with theirs");
	else if (rc != 0 && e && !e->hint[0] && e->code == ERR_VERIFY)
		err_hint(e, "do not act on this bundle until its issuer explains this; ask for a fresh copy by another channel");
	return rc;
}
