/*
 * readdress.c - a new addressing of an issued bundle: a new age header over the same body.
 * See readdress.h; docs/format.md ("Readdressing") is normative.
 */
#include "vault/readdress.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vault/addendum.h"
#include "vault/age.h"
#include "vault/bundle.h"
#include "vault/clock.h"
#include "vault/io.h"
#include "vault/minisign.h"

#define COPY_BUF 65536

int readdress_peek(const char *bundle, struct envelope *env, char **text, size_t *len, struct err *e)
{
	struct tar_reader *r = NULL;
	uint64_t size;
	int rc = -1;
	memset(env, 0, sizeof *env);
	*text = NULL;
	int fd = open(bundle, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_errno(e, ERR_IO, "cannot open '%s'", bundle);
	if (tar_reader_open_fd(&r, fd, "the bundle", e) != 0 ||
	    tar_reader_expect(r, BUNDLE_ENVELOPE, ENVELOPE_MAX, &size, e) != 0 ||
	    tar_reader_slurp(r, size, text, e) != 0)
		goto done;
	*len = (size_t)size;
	if (envelope_parse(*text, *len, env, e) != 0)
		goto done;
	rc = 0;
done:
	tar_reader_free(r);
	close(fd);
	if (rc != 0) {
		free(*text);
		*text = NULL;
	}
	return rc;
}

/* The old payload.age's header, as age_rewrap asks for it: read from the container (a
 * format 2 header was checked against the envelope before, a format 1 one is checked with
 * the whole payload after). */
static int header_read(void *ctx, void *buf, size_t cap, size_t *got, struct err *e)
{
	return tar_reader_data(ctx, buf, cap, got, e);
}

/* Copies len bytes of in from in_off to out at out_off: copy_file_range, which lets the
 * kernel (or the file system) avoid the copy, else reads and writes. */
static int copy_range(int in, uint64_t in_off, int out, uint64_t out_off, uint64_t len, struct err *e)
{
	loff_t io = (loff_t)in_off, oo = (loff_t)out_off;
	while (len > 0) {
		size_t want = len > (1u << 30) ? (1u << 30) : (size_t)len;
		ssize_t n = copy_file_range(in, &io, out, &oo, want, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP))
			break;
		if (n < 0)
			return err_errno(e, ERR_IO, "cannot copy the payload's body");
		if (n == 0)
			return err_set(e, ERR_FORMAT, "the bundle is truncated in its payload");
		len -= (uint64_t)n;
	}
	unsigned char *buf = len ? malloc(COPY_BUF) : NULL;
	if (len && !buf)
		return err_set(e, ERR_IO, "out of memory");
	while (len > 0) {
		size_t want = len > COPY_BUF ? COPY_BUF : (size_t)len;
		ssize_t n = pread(in, buf, want, io);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(buf);
			return n < 0 ? err_errno(e, ERR_IO, "cannot read the bundle")
				     : err_set(e, ERR_FORMAT, "the bundle is truncated in its payload");
		}
		if (io_write_all_at(out, buf, (size_t)n, (uint64_t)oo, "the bundle", e) != 0) {
			free(buf);
			return -1;
		}
		io += n;
		oo += n;
		len -= (uint64_t)n;
	}
	free(buf);
	return 0;
}

/* BLAKE2b-512 of len bytes of fd from off (a format 1 body, whose digest no envelope has). */
static int hash_range(int fd, uint64_t off, uint64_t len, char hex[129], struct err *e)
{
	crypto_generichash_state h;
	uint8_t d[64];
	unsigned char *buf = malloc(COPY_BUF);
	if (!buf)
		return err_set(e, ERR_IO, "out of memory");
	crypto_generichash_init(&h, NULL, 0, 64);
	while (len > 0) {
		size_t want = len > COPY_BUF ? COPY_BUF : (size_t)len;
		ssize_t n = pread(fd, buf, want, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(buf);
			return n < 0 ? err_errno(e, ERR_IO, "cannot read the bundle")
				     : err_set(e, ERR_FORMAT, "the bundle is truncated in its payload");
		}
		crypto_generichash_update(&h, buf, (size_t)n);
		off += (uint64_t)n;
		len -= (uint64_t)n;
	}
	free(buf);
	crypto_generichash_final(&h, d, 64);
	sodium_bin2hex(hex, 129, d, 64);
	return 0;
}

/* age output into a growing buffer (the addendum is small). */
struct membuf {
	unsigned char *p;
	size_t len, cap;
};

static int membuf_write(void *ctx, const void *buf, size_t len, struct err *e)
{
	struct membuf *m = ctx;
	if (m->len + len > BUNDLE_ADDENDUM_MAX)
		return err_set(e, ERR_USAGE, "the addendum would be larger than %u bytes: too many recipients",
			       (unsigned)BUNDLE_ADDENDUM_MAX);
	if (m->len + len > m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 4096;
		while (cap < m->len + len)
			cap *= 2;
		unsigned char *np = realloc(m->p, cap);
		if (!np)
			return err_set(e, ERR_IO, "out of memory");
		m->p = np;
		m->cap = cap;
	}
	memcpy(m->p + m->len, buf, len);
	m->len += len;
	return 0;
}

/* The addendum for env, encrypted to to: s->addendum, and its digest into env. */
static int make_addendum(const struct readdress_input *in, const struct age_recipients *to,
			 struct envelope *env, struct sealed *s, struct err *e)
{
	char *text = addendum_encode(env, in->recipients, in->nrecipients);
	struct membuf m = {0};
	struct age_encryptor *enc = NULL;
	int rc = -1;
	if (!text)
		return err_set(e, ERR_IO, "out of memory");
	if (in->nrecipients > ADDENDUM_RECIPIENTS_MAX) {
		err_set(e, ERR_USAGE, "an addendum lists at most %d recipients; this addressing has %zu", ADDENDUM_RECIPIENTS_MAX,
			in->nrecipients);
		goto done;
	}
	if (strlen(text) > ADDENDUM_MAX) {
		err_set(e, ERR_USAGE, "the addendum would be larger than %d bytes: too many recipients", ADDENDUM_MAX);
		goto done;
	}
	if (age_encrypt_init(&enc, to, false, membuf_write, &m, e) != 0 ||
	    age_encrypt_update(enc, text, strlen(text), e) != 0 || age_encrypt_final(enc, e) != 0)
		goto done;
	uint8_t d[64];
	crypto_generichash(d, 64, m.p, m.len, NULL, 0);
	sodium_bin2hex(env->addendum_blake2b, sizeof env->addendum_blake2b, d, 64);
	env->addendum_size = m.len;
	s->addendum = (char *)m.p;
	s->addendum_len = m.len;
	m.p = NULL;
	rc = 0;
done:
	age_encrypt_free(enc);
	free(m.p);
	free(text);
	return rc;
}

/* The envelope's text and its signature, as seal makes them. */
static int sign_envelope(const struct minisign_sec *sk, struct sealed *s, struct err *e)
{
	uint8_t h[64];
	char tc[128];
	struct minisign_sig sig;
	if (!(s->envelope = envelope_encode(&s->env)))
		return err_set(e, ERR_IO, "out of memory");
	s->envelope_len = strlen(s->envelope);
	crypto_generichash(h, 64, (const uint8_t *)s->envelope, s->envelope_len, NULL, 0);
	envelope_trusted_comment(&s->env, tc, sizeof tc);
	if (minisign_sign(sk, MINISIGN_PREHASHED, h, NULL, 0, tc, BUNDLE_ENVELOPE_SIG_COMMENT, &sig, e) != 0)
		return -1;
	s->envelope_sig = minisign_sig_encode(&sig);
	minisign_sig_clear(&sig);
	return s->envelope_sig ? 0 : err_set(e, ERR_IO, "out of memory");
}

static int copy_text(char **dst, const char *src, struct err *e)
{
	return (*dst = strdup(src)) ? 0 : err_set(e, ERR_IO, "out of memory");
}

int readdress_prepare(const struct readdress_input *in, struct sealed *s, struct err *e)
{
	struct tar_reader *r = NULL;
	struct envelope old;
	struct minisign_sig sig;
	struct age_recipients *to = NULL;
	unsigned char *header = NULL;
	char *text = NULL, *sigtext = NULL;
	size_t header_len = 0;
	uint64_t size;
	int rc = -1, fd;

	memset(s, 0, sizeof *s);
	memset(&old, 0, sizeof old);
	memset(&sig, 0, sizeof sig);
	s->out.fd = -1;
	s->created = in->created;
	if (in->root) {
		s->root = in->root->chain;
		s->root_len = in->root->chain_len;
	}
	if ((fd = open(in->bundle, O_RDONLY | O_CLOEXEC)) < 0)
		return err_errno(e, ERR_IO, "cannot open '%s'", in->bundle);

	/* The first envelope, signed by this key. */
	if (tar_reader_open_fd(&r, fd, "the bundle", e) != 0 ||
	    tar_reader_expect(r, BUNDLE_ENVELOPE, ENVELOPE_MAX, &size, e) != 0 ||
	    tar_reader_slurp(r, size, &text, e) != 0)
		goto done;
	size_t text_len = (size_t)size;
	if (envelope_parse(text, text_len, &old, e) != 0 ||
	    tar_reader_expect(r, BUNDLE_ENVELOPE_SIG, BUNDLE_SIG_MAX, &size, e) != 0 ||
	    tar_reader_slurp(r, size, &sigtext, e) != 0 || minisign_sig_decode(sigtext, size, &sig, e) != 0)
		goto done;
	struct minisign_pub pub;
	uint8_t h[64];
	minisign_sec_public(in->sk, &pub);
	crypto_generichash(h, 64, (const uint8_t *)text, text_len, NULL, 0);
	if (minisign_verify(&pub, &sig, h, NULL, 0, true, e) != 0) {
		err_prefix(e, "the bundle was not sealed with this key");
		err_hint(e, "readdress with the key that sealed it (its id is the envelope's issuer, %s)", old.issuer);
		goto done;
	}

	/* Past the chain and an earlier addendum, to payload.age. */
	const char *name;
	bool end;
	for (;;) {
		if (tar_reader_next(r, &name, &size, &end, e) != 0)
			goto done;
		if (end || (strcmp(name, BUNDLE_ROOT) != 0 && strcmp(name, BUNDLE_ADDENDUM) != 0))
			break;
	}
	if (end || strcmp(name, BUNDLE_PAYLOAD) != 0) {
		err_set(e, ERR_FORMAT, "the bundle has no '%s' where it was expected", BUNDLE_PAYLOAD);
		goto done;
	}
	uint64_t payload_off = tar_reader_data_offset(r), payload_size = size;

	/* A format 2 header is checked against the envelope before it is opened: an altered one
	 * is reported as altered, not as a key that does not match. */
	if (old.format >= 2) {
		char ohex[129];
		if (old.header_size > payload_size ||
		    hash_range(fd, payload_off, old.header_size, ohex, e) != 0 ||
		    strcmp(ohex, old.header_blake2b) != 0) {
			if (!e->code)
				err_set(e, ERR_VERIFY, "the bundle's payload.age header is not the one its envelope names (it was altered)");
			else if (e->code == ERR_FORMAT)
				err_set(e, ERR_VERIFY, "the bundle's payload.age is shorter than its envelope says (it was altered)");
			goto done;
		}
	}

	/* The new header: the same file key for the new recipients. */
	if (age_recipients_new(&to, e) != 0)
		goto done;
	for (size_t i = 0; i < in->nrecipients; i++)
		if (age_recipients_add(to, in->recipients[i].recipient, e) != 0)
			goto done;
	struct age_rewrap_info info;
	if (age_rewrap(in->ids, to, header_read, r, &header, &header_len, &info, e) != 0) {
		if (e->code == ERR_KEY)
			err_hint(e, "readdress needs an identity the bundle was sealed for: seal with --to-self, and give its key with -i");
		goto done;
	}
	uint64_t body_off = payload_off + info.header_len, body_size = payload_size - info.header_len;

	/* What the first envelope says of that header and body. */
	s->env = old;
	memset(&old, 0, sizeof old); /* its strings now belong to s->env */
	struct envelope *env = &s->env;
	if (env->format >= 2) {
		/* Its header's digest was checked above; the header read here must be those bytes. */
		if (info.header_len != env->header_size || body_size != env->payload_size) {
			err_set(e, ERR_VERIFY, "the bundle's payload.age is not the one its envelope names (it was altered)");
			goto done;
		}
	} else {
		/* Format 1 digests the whole payload: checked, and the body digested, one read each. */
		char whex[129];
		if (hash_range(fd, payload_off, payload_size, whex, e) != 0)
			goto done;
		if (payload_size != env->payload_size || strcmp(whex, env->payload_blake2b) != 0) {
			err_set(e, ERR_VERIFY, "the bundle's payload.age is not the one its envelope names (it was altered)");
			goto done;
		}
		if (hash_range(fd, body_off, body_size, env->payload_blake2b, e) != 0)
			goto done;
		env->payload_size = body_size;
	}

	/* The new envelope: the same bundle, a new addressing. */
	if (!env->has_readdress) {
		env->first_sequence = env->sequence;
		memcpy(env->first_created, env->created, sizeof env->first_created);
	}
	env->has_readdress = true;
	if (env->format < 2)
		env->format = 2; /* the inner tar stays as it was: format 3 stays 3 */
	env->sequence = in->sequence;
	clock_rfc3339(in->created, env->created, sizeof env->created);
	env->recipients = in->nrecipients;
	env->has_root = in->root != NULL;
	if (in->root) {
		memcpy(env->root_id, in->root->root_id, sizeof env->root_id);
		env->root_version = in->root->version;
		memcpy(env->root_digest, in->root->digest, sizeof env->root_digest);
	}
	uint8_t nd[64];
	crypto_generichash(nd, 64, header, header_len, NULL, 0);
	sodium_bin2hex(env->header_blake2b, sizeof env->header_blake2b, nd, 64);
	env->header_size = header_len;
	if (make_addendum(in, to, env, s, e) != 0 || sign_envelope(in->sk, s, e) != 0)
		goto done;

	/* The bundle: its head, the new header, the body as it was. */
	if (copy_text(&s->out_path, in->out_path, e) != 0 || io_atomic_open(&s->out, in->out_path, 0644, e) != 0)
		goto done;
	uint64_t head;
	if (seal_write_head(s, s->out.fd, &head, e) != 0 ||
	    io_write_all_at(s->out.fd, header, header_len, head, "the bundle", e) != 0 ||
	    copy_range(fd, body_off, s->out.fd, head + header_len, body_size, e) != 0)
		goto done;
	s->tail_off = head + header_len + body_size;
	rc = 0;
done:
	if (rc != 0)
		io_atomic_abort(&s->out);
	tar_reader_free(r);
	close(fd);
	envelope_free(&old);
	minisign_sig_clear(&sig);
	age_recipients_free(to);
	free(header);
	free(text);
	free(sigtext);
	return rc;
}
