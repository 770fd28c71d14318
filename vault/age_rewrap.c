/*
 * age_rewrap.c - a new header for an existing age file, its body left as it is (layer 4 of
 * the age module, beside age.c; see age_impl.h). This is what "amana readdress" builds on to
 * give an issued payload to another set of member states without re-encrypting gigabytes.
 *
 * It works because the payload depends only on the file key and the payload nonce, and both
 * stay: the nonce is the body's first 16 bytes, and the file key opened from the old header
 * goes straight into the new one, within one age_secrets block that is wiped before return.
 * The old header is read with an exact scan (age_header_scan), so the caller's input is left
 * on the body's first byte, and the cost is the header's, whatever the size of the body.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "vault/age_header.h"

/* The input is not binary age (its first line is not the version line): says so when it is
 * ASCII armor, reading a little further to see past leading whitespace as the decryptor
 * does, and otherwise leaves the parser to name what is wrong. */
static int refuse_armor(struct age_hbuf *b, age_read_fn fn, void *ctx, struct err *e)
{
	size_t got = 1;
	while (b->len < AGE_PEEK_LEN && got > 0)
		if (age_hbuf_read(b, AGE_PEEK_LEN - b->len, fn, ctx, &got, e) != 0)
			return -1;
	if (!age_input_is_armor(b->p, b->len))
		return 0;
	err_set(e, ERR_FORMAT, "the age file is ASCII-armored: re-wrapping takes binary age, whose "
			       "body can be kept byte for byte");
	return err_hint(e, "a bundle's payload.age is binary; decode the armor (the base64 "
			   "between the BEGIN and END lines) first");
}

int age_rewrap(const struct age_identities *ids, const struct age_recipients *to,
	       age_read_fn fn, void *ctx, unsigned char **new_header, size_t *new_len,
	       struct age_rewrap_info *info, struct err *e)
{
	static const char version[] = AGE_VERSION_LINE "\n";
	struct age_hbuf b = {0};
	struct age_header h;
	struct age_secrets *s = NULL;
	size_t hend = 0;
	int rc = -1;

	memset(&h, 0, sizeof h);
	memset(info, 0, sizeof *info);
	*new_header = NULL;
	*new_len = 0;
	if (age_recipients_count(to) == 0) {
		err_set(e, ERR_USAGE, "no recipients to re-wrap the file key for");
		return err_hint(e, "give at least one new recipient (age1...)");
	}
	if (!age_recipients_x25519_only(to)) {
		err_set(e, ERR_USAGE, "a passphrase cannot be a new recipient: re-wrapping writes "
				      "X25519 stanzas only");
		return err_hint(e, "give the new recipients as age1... public keys");
	}

	if (age_header_scan(&b, fn, ctx, true, &hend, e) != 0)
		goto done;
	if ((b.len < sizeof version - 1 || memcmp(b.p, version, sizeof version - 1) != 0) &&
	    refuse_armor(&b, fn, ctx, e) != 0)
		goto done;
	if (age_header_parse(b.p, hend, &h, e) != 0 || age_header_check(&h, e) != 0)
		goto done;
	if (b.len != hend) {
		err_set(e, ERR_INTERNAL, "the age header was read past its end (this is a bug)");
		goto done;
	}
	if (age_header_has_scrypt(&h)) {
		err_set(e, ERR_KEY, "cannot re-wrap a passphrase-encrypted age file (scrypt stanza): "
				    "only files encrypted to X25519 recipients can be re-addressed");
		err_hint(e, "decrypt it with the passphrase and encrypt it again to the new "
			    "recipients");
		goto done;
	}
	if (!(s = age_secrets_new(e)))
		goto done;
	if (age_header_verify(&h, b.p, ids, s, e) != 0)
		goto done;
	if (!s->matched_x25519) {
		err_set(e, ERR_INTERNAL, "the file key was opened by no X25519 identity (this is a "
					 "bug)");
		goto done;
	}
	if (age_header_write(to, s, new_header, new_len, e) != 0)
		goto done;
	if (*new_len > AGE_HEADER_MAX) {
		err_set(e, ERR_USAGE, "too many recipients: the new age header would be %zu bytes, "
				      "more than the %d that age readers accept",
			*new_len, AGE_HEADER_MAX);
		goto done;
	}
	info->header_len = hend;
	info->stanzas = h.nstanzas;
	info->matched = s->matched_stanza;
	age_recipient_encode(info->recipient, s->matched_pk);
	rc = 0;
done:
	age_secrets_free(s); /* wipes the file key */
	age_header_free(&h);
	free(b.p);
	if (rc != 0) {
		free(*new_header);
		*new_header = NULL;
		*new_len = 0;
	}
	return rc;
}
