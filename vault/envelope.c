/*
 * envelope.c - writing and strictly reading the envelope, in every format. See envelope.h.
 */
#include "vault/envelope.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vault/clock.h"
#include "vault/text.h"

/* The lines, in order. A line whose key is not in the envelope's format is skipped; the
 * optional one (root) may be absent. */
enum line { L_FORMAT, L_ID, L_ISSUER, L_NAME, L_ROOT, L_CONF, L_TITLE, L_CREATED, L_SEQ, L_RCPT,
	    L_READDRESS, L_RECORDS, L_PAYLOAD, L_HEADER, L_BODY, NLINES };

static const struct {
	const char *key;
	unsigned formats; /* bit 1: format 1, bit 2: format 2 */
	bool optional;
} lines[NLINES] = {
	[L_FORMAT] = {"format", 3, false},     [L_ID] = {"bundle-id", 3, false},
	[L_ISSUER] = {"issuer", 3, false},     [L_NAME] = {"issuer-name", 3, false},
	[L_ROOT] = {"root", 2, true},	       [L_CONF] = {"conference", 3, false},
	[L_TITLE] = {"title", 3, false},       [L_CREATED] = {"created", 3, false},
	[L_SEQ] = {"sequence", 3, false},      [L_RCPT] = {"recipients", 3, false},
	[L_READDRESS] = {"readdress", 2, true},
	[L_RECORDS] = {"records", 3, false},   [L_PAYLOAD] = {"payload", 1, false},
	[L_HEADER] = {"payload-header", 2, false}, [L_BODY] = {"payload-body", 2, false},
};

const char *envelope_format_name(int format)
{
	return format == 3 ? ENVELOPE_FORMAT_3 : format == 2 ? ENVELOPE_FORMAT_2 : ENVELOPE_FORMAT_1;
}

uint64_t envelope_payload_total(const struct envelope *env)
{
	return env->format >= 2 ? env->header_size + env->payload_size : env->payload_size;
}

char *envelope_encode(const struct envelope *env)
{
	char *s = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&s, &n);
	if (!f)
		return NULL;
	bool v2 = env->format >= 2;
	fprintf(f, "format: %s\nbundle-id: %s\nissuer: %s\nissuer-name: %s\n",
		envelope_format_name(env->format), env->bundle_id, env->issuer, env->issuer_name);
	if (v2 && env->has_root)
		fprintf(f, "root: %s %llu %s\n", env->root_id, (unsigned long long)env->root_version,
			env->root_digest);
	fprintf(f, "conference: %s\ntitle: %s\ncreated: %s\nsequence: %llu\nrecipients: %llu\n",
		env->conference, env->title, env->created, (unsigned long long)env->sequence,
		(unsigned long long)env->recipients);
	if (v2 && env->has_readdress)
		fprintf(f, "readdress: %llu %s blake2b-512 %s %llu\n", (unsigned long long)env->first_sequence,
			env->first_created, env->addendum_blake2b, (unsigned long long)env->addendum_size);
	fprintf(f, "records: %llu %s\n", (unsigned long long)env->records_count, env->records_root);
	if (v2)
		fprintf(f, "payload-header: blake2b-512 %s %llu\npayload-body: blake2b-512 %s %llu\n",
			env->header_blake2b, (unsigned long long)env->header_size, env->payload_blake2b,
			(unsigned long long)env->payload_size);
	else
		fprintf(f, "payload: blake2b-512 %s %llu\n", env->payload_blake2b,
			(unsigned long long)env->payload_size);
	if (fclose(f) != 0) {
		free(s);
		return NULL;
	}
	return s;
}

/* "blake2b-512 HEX128 N": the digest into hex (129 bytes), the size into *size. */
static bool digest_value(const char *v, char hex[129], uint64_t *size)
{
	const char *rest;
	if (strncmp(v, "blake2b-512 ", 12) != 0 || strlen(v) <= 12 + 129 || v[12 + 128] != ' ')
		return false;
	memcpy(hex, v + 12, 128);
	hex[128] = '\0';
	return text_lower_hex(hex, 128) && text_decimal(v + 12 + 129, size, &rest) && !*rest;
}

/* "ROOTID VERSION HEX128". */
static bool root_value(const char *v, struct envelope *env)
{
	const char *rest;
	if (strlen(v) < 34 || v[32] != ' ')
		return false;
	memcpy(env->root_id, v, 32);
	env->root_id[32] = '\0';
	if (!text_lower_hex(env->root_id, 32) || !text_decimal(v + 33, &env->root_version, &rest) ||
	    env->root_version == 0 || *rest != ' ' || !text_lower_hex(rest + 1, 128))
		return false;
	memcpy(env->root_digest, rest + 1, 129);
	env->has_root = true;
	return true;
}

/* "SEQ TIME blake2b-512 HEX128 N": the first seal of a readdressed bundle, its addendum. */
static bool readdress_value(const char *v, struct envelope *env)
{
	const char *rest;
	int64_t t;
	if (!text_decimal(v, &env->first_sequence, &rest) || env->first_sequence == 0 || *rest != ' ' ||
	    strlen(rest + 1) < 21 || rest[21] != ' ')
		return false;
	memcpy(env->first_created, rest + 1, 20);
	env->first_created[20] = '\0';
	if (!clock_parse_rfc3339(env->first_created, &t) ||
	    !digest_value(rest + 22, env->addendum_blake2b, &env->addendum_size) || env->addendum_size == 0)
		return false;
	env->has_readdress = true;
	return true;
}

/* Checks value v of line k and stores it in env (taking v when it keeps it: *keep). */
static bool take(struct envelope *env, enum line k, char *v, bool *keep)
{
	const char *rest = NULL;
	int64_t t;
	switch (k) {
	case L_FORMAT:
		if (strcmp(v, ENVELOPE_FORMAT_1) == 0)
			env->format = 1;
		else if (strcmp(v, ENVELOPE_FORMAT_2) == 0)
			env->format = 2;
		else if (strcmp(v, ENVELOPE_FORMAT_3) == 0)
			env->format = 3;
		return env->format != 0;
	case L_ID:
		if (!text_lower_hex(v, 32))
			return false;
		memcpy(env->bundle_id, v, 33);
		return true;
	case L_ISSUER:
		if (strlen(v) != 16 || strspn(v, "0123456789ABCDEF") != 16)
			return false;
		memcpy(env->issuer, v, 17);
		return true;
	case L_NAME: env->issuer_name = v; *keep = true; return true;
	case L_ROOT: return root_value(v, env);
	case L_CONF: env->conference = v; *keep = true; return true;
	case L_TITLE: env->title = v; *keep = true; return true;
	case L_CREATED:
		if (!clock_parse_rfc3339(v, &t))
			return false;
		memcpy(env->created, v, 21);
		return true;
	case L_SEQ: return text_decimal(v, &env->sequence, &rest) && !*rest && env->sequence > 0;
	case L_RCPT: return text_decimal(v, &env->recipients, &rest) && !*rest && env->recipients > 0;
	case L_READDRESS: return readdress_value(v, env);
	case L_RECORDS:
		if (!text_decimal(v, &env->records_count, &rest) || *rest != ' ' || !text_lower_hex(rest + 1, 64))
			return false;
		memcpy(env->records_root, rest + 1, 65);
		return true;
	case L_PAYLOAD:
	case L_BODY: return digest_value(v, env->payload_blake2b, &env->payload_size);
	case L_HEADER: return digest_value(v, env->header_blake2b, &env->header_size) && env->header_size > 0;
	case NLINES: break;
	}
	return false;
}

int envelope_parse(const char *text, size_t len, struct envelope *env, struct err *e)
{
	memset(env, 0, sizeof *env);
	if (len > ENVELOPE_MAX)
		return err_set(e, ERR_FORMAT, "the envelope is larger than %d bytes", ENVELOPE_MAX);
	if (memchr(text, 0, len) || !text_utf8_valid(text, len))
		return err_set(e, ERR_FORMAT, "the envelope is not UTF-8 text");
	const char *p = text, *end = text + len;
	size_t lineno = 0;
	for (int k = 0; k < NLINES; k++) {
		/* Until the format line is read, its own line is the only one expected. */
		/* Format 3 has format 2's lines (it differs inside the payload). */
		unsigned bit = env->format == 1 ? 1u : env->format ? 2u : 3u;
		if (!(lines[k].formats & bit))
			continue;
		size_t kl = strlen(lines[k].key);
		const char *lf = memchr(p, '\n', (size_t)(end - p));
		bool here = lf && (size_t)(lf - p) >= kl + 2 && memcmp(p, lines[k].key, kl) == 0 &&
			    p[kl] == ':' && p[kl + 1] == ' ';
		if (!here && lines[k].optional)
			continue;
		lineno++;
		if (!lf)
			return err_set(e, ERR_FORMAT, "the envelope ends before its '%s' line", lines[k].key);
		if (!here)
			return err_set(e, ERR_FORMAT, "envelope line %zu: expected '%s: '", lineno, lines[k].key);
		size_t vl = (size_t)(lf - p) - kl - 2;
		char *v = strndup(p + kl + 2, vl);
		if (!v)
			return err_set(e, ERR_IO, "out of memory");
		bool keep = false;
		bool ok = vl > 0 && !text_has_controls(v, vl) && take(env, (enum line)k, v, &keep);
		if (!keep)
			free(v);
		if (!ok)
			return err_set(e, ERR_FORMAT, "envelope line %zu: the '%s' value is malformed", lineno,
				       lines[k].key);
		p = lf + 1;
	}
	if (p != end)
		return err_set(e, ERR_FORMAT, "the envelope has more than its %zu lines", lineno);
	if (env->has_readdress && env->first_sequence >= env->sequence)
		return err_set(e, ERR_FORMAT, "envelope: a readdressed bundle's first sequence (%llu) must come before its own (%llu)",
			       (unsigned long long)env->first_sequence, (unsigned long long)env->sequence);
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
	snprintf(buf, cap, "%s %s %llu", envelope_format_name(env->format),
		 env->bundle_id, (unsigned long long)env->sequence);
}
