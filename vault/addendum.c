/*
 * addendum.c - the addendum of a readdressed bundle: written, strictly read, matched with
 * the envelope. See addendum.h.
 */
#include "vault/addendum.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vault/age.h"
#include "vault/envelope.h"
#include "vault/text.h"

char *addendum_encode(const struct envelope *env, const struct manifest_recipient *r, size_t n)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);
	if (!f)
		return NULL;
	fprintf(f, "format: %s\nbundle-id: %s\nsequence: %llu\npayload-body: blake2b-512 %s %llu\nrecipients: %zu\n",
		ADDENDUM_FORMAT, env->bundle_id, (unsigned long long)env->sequence, env->payload_blake2b,
		(unsigned long long)env->payload_size, n);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "recipient: %s %s\n", r[i].recipient, r[i].name);
	if (fclose(f) != 0) {
		free(s);
		return NULL;
	}
	return s;
}

void addendum_free(struct addendum *a)
{
	free(a->recipients);
	free(a->text);
	memset(a, 0, sizeof *a);
}

/* A decimal without a leading zero, at most 18 digits, and nothing after it. */
static bool decimal_only(const char *s, uint64_t *v)
{
	size_t n = strspn(s, "0123456789");
	if (n == 0 || n > 18 || (n > 1 && s[0] == '0') || s[n])
		return false;
	*v = strtoull(s, NULL, 10);
	return true;
}

static int bad(size_t line, const char *field, struct err *e)
{
	return err_set(e, ERR_FORMAT, "addendum line %zu: the '%s' field is malformed", line, field);
}

int addendum_parse(const char *text, size_t len, struct addendum *a, struct err *e)
{
	static const char *const head[] = {"format", "bundle-id", "sequence", "payload-body", "recipients"};
	memset(a, 0, sizeof *a);
	if (len > ADDENDUM_MAX)
		return err_set(e, ERR_FORMAT, "the addendum is larger than %d bytes", ADDENDUM_MAX);
	if (memchr(text, 0, len) || !text_utf8_valid(text, len))
		return err_set(e, ERR_FORMAT, "the addendum is not UTF-8 text");
	if (len == 0 || text[len - 1] != '\n')
		return err_set(e, ERR_FORMAT, "the addendum does not end with a line feed");
	if (!(a->text = malloc(len + 1)))
		return err_set(e, ERR_IO, "out of memory");
	memcpy(a->text, text, len);
	a->text[len] = '\0';
	char *p = a->text, *end = a->text + len;
	size_t line = 0;
	uint64_t count = 0;
	for (size_t k = 0; p < end; k++) {
		char *lf = memchr(p, '\n', (size_t)(end - p));
		*lf = '\0';
		line++;
		if (text_has_controls(p, strlen(p)))
			return err_set(e, ERR_FORMAT, "addendum line %zu: a control character", line);
		const char *key = k < 5 ? head[k] : "recipient";
		size_t kl = strlen(key);
		if (strncmp(p, key, kl) != 0 || p[kl] != ':' || p[kl + 1] != ' ')
			return err_set(e, ERR_FORMAT, "addendum line %zu: expected '%s: '", line, key);
		char *v = p + kl + 2;
		switch (k) {
		case 0:
			if (strcmp(v, ADDENDUM_FORMAT) != 0)
				return bad(line, key, e);
			break;
		case 1:
			if (!text_lower_hex(v, 32))
				return bad(line, key, e);
			memcpy(a->bundle_id, v, 33);
			break;
		case 2:
			if (!decimal_only(v, &a->sequence) || a->sequence == 0)
				return bad(line, key, e);
			break;
		case 3:
			if (strncmp(v, "blake2b-512 ", 12) != 0 || strlen(v) < 12 + 130 || v[12 + 128] != ' ')
				return bad(line, key, e);
			memcpy(a->body_blake2b, v + 12, 128);
			a->body_blake2b[128] = '\0';
			if (!text_lower_hex(a->body_blake2b, 128) || !decimal_only(v + 12 + 129, &a->body_size))
				return bad(line, key, e);
			break;
		case 4:
			if (!decimal_only(v, &count) || count == 0 || count > ADDENDUM_RECIPIENTS_MAX)
				return bad(line, key, e);
			if (!(a->recipients = calloc((size_t)count, sizeof *a->recipients)))
				return err_set(e, ERR_IO, "out of memory");
			break;
		default: {
			if (a->nrecipients == count)
				return err_set(e, ERR_FORMAT, "addendum line %zu: more recipients than the %llu it counts",
					       line, (unsigned long long)count);
			char *sp = strchr(v, ' ');
			uint8_t pk[32];
			struct err ignored;
			if (!sp || sp - v != AGE_RECIPIENT_LEN || !sp[1])
				return bad(line, key, e);
			*sp = '\0';
			if (age_recipient_decode(v, pk, &ignored) != 0)
				return bad(line, key, e);
			for (size_t i = 0; i < a->nrecipients; i++)
				if (strcmp(a->recipients[i].recipient, v) == 0)
					return err_set(e, ERR_FORMAT, "addendum line %zu: recipient %s is listed twice", line, v);
			a->recipients[a->nrecipients].recipient = v;
			a->recipients[a->nrecipients].name = sp + 1;
			a->nrecipients++;
		}
		}
		p = lf + 1;
	}
	if (!a->recipients || a->nrecipients != count)
		return err_set(e, ERR_FORMAT, "the addendum lists %zu recipients, not the %llu it counts",
			       a->nrecipients, (unsigned long long)count);
	return 0;
}

int addendum_matches(const struct addendum *a, const struct envelope *env, struct err *e)
{
	const char *what = NULL;
	if (strcmp(a->bundle_id, env->bundle_id) != 0)
		what = "bundle id";
	else if (a->sequence != env->sequence)
		what = "sequence";
	else if (strcmp(a->body_blake2b, env->payload_blake2b) != 0 || a->body_size != env->payload_size)
		what = "payload body";
	else if (a->nrecipients != env->recipients)
		what = "count of recipients";
	if (what) {
		err_set(e, ERR_VERIFY, "addendum.age's %s differs from the envelope's (it belongs to another addressing)", what);
		return err_hint(e, "the bundle was altered after it was readdressed; ask the issuer for a fresh copy");
	}
	return 0;
}

bool addendum_lists(const struct addendum *a, const char *recipient)
{
	for (size_t i = 0; i < a->nrecipients; i++)
		if (strcmp(a->recipients[i].recipient, recipient) == 0)
			return true;
	return false;
}
