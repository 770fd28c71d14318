/*
 * envelope.c - writing and strictly reading the envelope. See envelope.h.
 */
#include "vault/envelope.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vault/clock.h"
#include "vault/text.h"

static const char *const keys[] = {"format", "bundle-id", "issuer", "issuer-name", "conference",
				   "title", "created", "sequence", "recipients", "records", "payload"};
#define NKEYS (sizeof keys / sizeof keys[0])

char *envelope_encode(const struct envelope *env)
{
	char *s = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&s, &n);
	if (!f)
		return NULL;
	fprintf(f,
		"format: %s\nbundle-id: %s\nissuer: %s\nissuer-name: %s\nconference: %s\ntitle: %s\n"
		"created: %s\nsequence: %llu\nrecipients: %llu\nrecords: %llu %s\n"
		"payload: blake2b-512 %s %llu\n",
		ENVELOPE_FORMAT, env->bundle_id, env->issuer, env->issuer_name, env->conference,
		env->title, env->created, (unsigned long long)env->sequence,
		(unsigned long long)env->recipients, (unsigned long long)env->records_count,
		env->records_root, env->payload_blake2b, (unsigned long long)env->payload_size);
	if (fclose(f) != 0) {
		free(s);
		return NULL;
	}
	return s;
}

static bool lower_hex(const char *s, size_t n)
{
	return strlen(s) == n && strspn(s, "0123456789abcdef") == n;
}

/* A decimal without leading zeros that fits in 63 bits; the rest of s must be empty or stop
 * at a space, whose position goes to *end. */
static bool decimal(const char *s, uint64_t *v, const char **end)
{
	size_t n = strspn(s, "0123456789");
	if (n == 0 || n > 18 || (n > 1 && s[0] == '0'))
		return false;
	*v = strtoull(s, NULL, 10);
	*end = s + n;
	return true;
}

int envelope_parse(const char *text, size_t len, struct envelope *env, struct err *e)
{
	memset(env, 0, sizeof *env);
	if (len > ENVELOPE_MAX)
		return err_set(e, ERR_FORMAT, "the envelope is larger than %d bytes", ENVELOPE_MAX);
	if (memchr(text, 0, len) || !text_utf8_valid(text, len))
		return err_set(e, ERR_FORMAT, "the envelope is not UTF-8 text");
	const char *p = text, *end = text + len;
	for (size_t k = 0; k < NKEYS; k++) {
		const char *lf = memchr(p, '\n', (size_t)(end - p));
		if (!lf)
			return err_set(e, ERR_FORMAT, "the envelope ends before its '%s' line", keys[k]);
		size_t kl = strlen(keys[k]);
		if ((size_t)(lf - p) < kl + 2 || memcmp(p, keys[k], kl) != 0 || p[kl] != ':' ||
		    p[kl + 1] != ' ')
			return err_set(e, ERR_FORMAT, "envelope line %zu: expected '%s: '", k + 1, keys[k]);
		size_t vl = (size_t)(lf - p) - kl - 2;
		char *v = strndup(p + kl + 2, vl);
		if (!v)
			return err_set(e, ERR_IO, "out of memory");
		bool ok = vl > 0 && !text_has_controls(v, vl);
		const char *rest = NULL;
		switch (k) {
		case 0: ok = ok && strcmp(v, ENVELOPE_FORMAT) == 0; break;
		case 1: ok = ok && lower_hex(v, 32); if (ok) memcpy(env->bundle_id, v, 33); break;
		case 2: ok = ok && vl == 16 && strspn(v, "0123456789ABCDEF") == 16; if (ok) memcpy(env->issuer, v, 17); break;
		case 3: env->issuer_name = v; v = NULL; break;
		case 4: env->conference = v; v = NULL; break;
		case 5: env->title = v; v = NULL; break;
		case 6: {
			int64_t t;
			ok = ok && clock_parse_rfc3339(v, &t);
			if (ok)
				memcpy(env->created, v, 21);
			break;
		}
		case 7: ok = ok && decimal(v, &env->sequence, &rest) && !*rest && env->sequence > 0; break;
		case 8: ok = ok && decimal(v, &env->recipients, &rest) && !*rest && env->recipients > 0; break;
		case 9:
			ok = ok && decimal(v, &env->records_count, &rest) && *rest == ' ' && lower_hex(rest + 1, 64);
			if (ok)
				memcpy(env->records_root, rest + 1, 65);
			break;
		case 10:
			ok = ok && vl > 12 && strncmp(v, "blake2b-512 ", 12) == 0 && strlen(v) > 12 + 129 &&
			     v[12 + 128] == ' ';
			if (ok) {
				memcpy(env->payload_blake2b, v + 12, 128);
				env->payload_blake2b[128] = '\0';
				ok = lower_hex(env->payload_blake2b, 128) &&
				     decimal(v + 12 + 129, &env->payload_size, &rest) && !*rest;
			}
			break;
		}
		free(v);
		if (!ok)
			return err_set(e, ERR_FORMAT, "envelope line %zu: the '%s' value is malformed", k + 1, keys[k]);
		p = lf + 1;
	}
	if (p != end)
		return err_set(e, ERR_FORMAT, "the envelope has more than its %zu lines", NKEYS);
	return 0;
}

void envelope_free(struct envelope *env)
{
	free(env->issuer_name);
	free(env->conference);
	free(env->title);
	env->issuer_name = env->conference = env->title = NULL;
}

void envelope_trusted_comment(const struct envelope *env, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s %s %llu", ENVELOPE_FORMAT, env->bundle_id,
		 (unsigned long long)env->sequence);
}
