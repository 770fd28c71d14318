/*
 * keyfile.c - making, reading and describing key files. See keyfile.h.
 */
#include "keys/keyfile.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dirent.h>
#include <limits.h>
#include <sys/stat.h>

#include "keys/passphrase.h"
#include "vault/age.h"
#include "vault/bech32.h"
#include "vault/clock.h"
#include "vault/io.h"
#include "vault/text.h"

#define KEYFILE_MAX 65536
#define NAME_TAG ", name: "

char *keyfile_name_from_comment(const char *comment)
{
	const char *p = strstr(comment, NAME_TAG);
	return strdup(p ? p + strlen(NAME_TAG) : "");
}

/* Writes a key pair, neither file of which may exist yet. Both are written to temporaries
 * that share a random tag (".PREFIX.key.amana-TAG", ".PREFIX.pub.amana-TAG") and made
 * durable; then each is linked under its name, the secret first, with SIGINT and SIGTERM held
 * off; then the temporaries go. Two names cannot appear in one step: a SIGKILL between the
 * two links leaves PREFIX.key alone, still linked to its tagged temporary, and
 * complete_pair() finishes the job on the next 'key new' for that prefix. */
static int write_pair(const char *keypath, const char *keytext, const char *pubpath,
		      const char *pubtext, struct err *e)
{
	struct io_atomic k = {0}, p = {0};
	unsigned char raw[6];
	char tag[13];
	int rc = -1;
	k.fd = p.fd = -1;
	randombytes_buf(raw, sizeof raw);
	sodium_bin2hex(tag, sizeof tag, raw, sizeof raw);
	if (io_atomic_open_tagged(&k, keypath, 0600, tag, e) != 0 ||
	    io_write_all(k.fd, keytext, strlen(keytext), e) != 0 ||
	    io_atomic_open_tagged(&p, pubpath, 0644, tag, e) != 0 ||
	    io_write_all(p.fd, pubtext, strlen(pubtext), e) != 0)
		goto done;
	/* On disk before the names appear; only the two links wait for SIGINT and SIGTERM. */
	if (io_atomic_sync(&k, e) != 0 || io_atomic_sync(&p, e) != 0)
		goto done;
	io_signals_hold();
	if (io_atomic_link(&k, e) == 0) {
		if (io_atomic_link(&p, e) == 0)
			rc = 0;
		else
			unlink(keypath); /* ours, linked a moment ago: no half pair stays */
	}
	io_signals_release();
done:
	io_atomic_abort(&k);
	io_atomic_abort(&p);
	char *dir = io_dirname(keypath);
	if (rc == 0 && dir)
		rc = io_fsync_dir(dir, e);
	free(dir);
	return rc;
}

/* After a crash between write_pair's two links, PREFIX.key exists without PREFIX.pub, and is
 * the same file as a tagged temporary beside it whose twin holds the public key: links the
 * twin under its name, removes both temporaries and says so in *completed. Anything else is
 * left alone. */
static int complete_pair(const char *keypath, const char *pubpath, bool *completed,
			 struct err *e)
{
	struct stat ks, ts;
	*completed = false;
	if (lstat(keypath, &ks) != 0 || io_exists(pubpath))
		return 0;
	char *dir = io_dirname(keypath);
	DIR *d = dir ? opendir(dir) : NULL;
	if (!d) {
		free(dir);
		return 0;
	}
	char prefix[PATH_MAX];
	snprintf(prefix, sizeof prefix, ".%s.amana-", io_basename(keypath));
	struct dirent *de;
	int rc = 0;
	while (!*completed && (de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, prefix, strlen(prefix)) != 0)
			continue;
		char *tmp = io_join(dir, de->d_name);
		if (tmp && lstat(tmp, &ts) == 0 && ts.st_ino == ks.st_ino && ts.st_dev == ks.st_dev) {
			const char *tag = de->d_name + strlen(prefix);
			char twin[PATH_MAX];
			snprintf(twin, sizeof twin, "%s/.%s.amana-%s", dir, io_basename(pubpath), tag);
			if (link(twin, pubpath) == 0) {
				unlink(twin);
				unlink(tmp);
				*completed = true;
				rc = io_fsync_dir(dir, e);
			}
		}
		free(tmp);
	}
	closedir(d);
	free(dir);
	return rc;
}

static char *with_suffix(const char *prefix, const char *suffix)
{
	size_t n = strlen(prefix) + strlen(suffix) + 1;
	char *s = malloc(n);
	if (s)
		snprintf(s, n, "%s%s", prefix, suffix);
	return s;
}

/* Checks the name and that neither PREFIX.key nor PREFIX.pub exists; fills the two paths. */
static int prepare(const char *name, const char *prefix, char **key, char **pub, struct err *e)
{
	const char *why = text_name_problem(name, KEYFILE_NAME_MAX);
	*key = *pub = NULL;
	if (why) {
		err_set(e, ERR_USAGE, "the key name is not usable: %s", why);
		return err_hint(e, "a name is 1 to %d bytes of UTF-8 (Arabic is welcome) without control characters", KEYFILE_NAME_MAX);
	}
	if (!*prefix)
		return err_set(e, ERR_USAGE, "the output prefix is empty");
	*key = with_suffix(prefix, ".key");
	*pub = with_suffix(prefix, ".pub");
	if (!*key || !*pub)
		return err_set(e, ERR_IO, "out of memory");
	bool completed = false;
	if (complete_pair(*key, *pub, &completed, e) != 0)
		return -1;
	if (completed) {
		err_set(e, ERR_OK, "completed");
		return 1;
	}
	const char *exists = io_exists(*key) ? *key : io_exists(*pub) ? *pub : NULL;
	if (exists) {
		err_set(e, ERR_IO, "'%s' already exists", exists);
		return err_hint(e, "amana never overwrites a key; choose another prefix with -o");
	}
	return 0;
}

int keyfile_new_sign(const char *name, const char *prefix, bool no_passphrase, int pass_fd,
		     struct minisign_pub *pub, bool *resumed, struct err *e)
{
	char *keypath = NULL, *pubpath = NULL, *pass = NULL, *keytext = NULL, *pubtext = NULL;
	struct minisign_sec *sk = NULL;
	size_t passlen = 0;
	int rc = -1;
	char comment[KEYFILE_NAME_MAX + 128], id[17];

	if (resumed)
		*resumed = false;
	int prc = prepare(name, prefix, &keypath, &pubpath, e);
	if (prc == 1) {
		rc = keyfile_load_sign_public(pubpath, pub, NULL, e);
		if (resumed)
			*resumed = rc == 0;
		goto done;
	}
	if (prc != 0)
		goto done;
	if (!no_passphrase &&
	    passphrase_read(pass_fd, "Passphrase for the new signing key: ", true, &pass, &passlen,
			    e) != 0)
		goto done;
	if (minisign_keygen(&sk, e) != 0)
		goto done;
	minisign_sec_public(sk, pub);
	minisign_key_id_hex(pub->key_id, id);
	snprintf(comment, sizeof comment, "minisign %s secret key" NAME_TAG "%s",
		 no_passphrase ? "unencrypted" : "encrypted", name);
	keytext = minisign_sec_encode(sk, comment, pass, passlen, MINISIGN_OPSLIMIT,
				      MINISIGN_MEMLIMIT, e);
	if (!keytext)
		goto done;
	snprintf(comment, sizeof comment, "minisign public key %s" NAME_TAG "%s", id, name);
	pubtext = minisign_pub_encode(pub, comment);
	if (!pubtext) {
		err_set(e, ERR_IO, "out of memory");
		goto done;
	}
	if (write_pair(keypath, keytext, pubpath, pubtext, e) != 0)
		goto done;
	rc = 0;
done:
	passphrase_free(pass);
	minisign_sec_free(sk);
	if (keytext)
		sodium_free(keytext);
	free(pubtext);
	free(keypath);
	free(pubpath);
	return rc;
}

/* Output of age encryption into a fixed sodium_malloc'd buffer. */
struct secret_sink {
	char *buf;
	size_t len, cap;
};

static int sink_write(void *ctx, const void *data, size_t n, struct err *e)
{
	struct secret_sink *k = ctx;
	if (k->len + n + 1 > k->cap)
		return err_set(e, ERR_INTERNAL, "the protected identity outgrew its buffer");
	memcpy(k->buf + k->len, data, n);
	k->len += n;
	k->buf[k->len] = '\0';
	return 0;
}

/* Replaces *text (an identity file, sodium memory) by itself encrypted with a passphrase,
 * ASCII-armored, as 'age -p -a' writes it (scrypt, work factor 2^18). */
static int keyfile_age_protect(char **text, int pass_fd, struct err *e)
{
	char *pass = NULL;
	size_t passlen = 0, n = strlen(*text);
	struct age_recipients *r = NULL;
	struct age_encryptor *enc = NULL;
	struct secret_sink k = {NULL, 0, 4096 + 2 * n};
	int rc = -1;
	if (passphrase_read(pass_fd, "Passphrase for the new identity: ", true, &pass, &passlen, e) != 0)
		return -1;
	if (!(k.buf = sodium_malloc(k.cap))) {
		err_set(e, ERR_IO, "out of memory");
		goto done;
	}
	if (age_recipients_new(&r, e) != 0 || age_recipients_add_passphrase(r, pass, passlen, 0, e) != 0 ||
	    age_encrypt_init(&enc, r, true, sink_write, &k, e) != 0 ||
	    age_encrypt_update(enc, *text, n, e) != 0 || age_encrypt_final(enc, e) != 0)
		goto done;
	sodium_free(*text);
	*text = k.buf;
	k.buf = NULL;
	rc = 0;
done:
	age_encrypt_free(enc);
	age_recipients_free(r);
	passphrase_free(pass);
	if (k.buf)
		sodium_free(k.buf);
	return rc;
}

int keyfile_new_encrypt(const char *name, const char *prefix, bool passphrase, int pass_fd,
			char recipient[KEYFILE_AGE_RECIPIENT_MAX], bool *resumed, struct err *e)
{
	char *keypath = NULL, *pubpath = NULL, *text = NULL;
	uint8_t *sk = NULL;
	char *identity = NULL;
	int rc = -1;
	char created[CLOCK_RFC3339_LEN + 1], pubtext[KEYFILE_AGE_RECIPIENT_MAX + 2];
	uint8_t pk[32];

	if (resumed)
		*resumed = false;
	int prc = prepare(name, prefix, &keypath, &pubpath, e);
	if (prc == 1) {
		unsigned char *t = NULL;
		size_t tl = 0;
		rc = io_read_file(pubpath, 4096, &t, &tl, e);
		if (rc == 0) {
			size_t n = strcspn((const char *)t, "\r\n");
			if (n == 0 || n >= KEYFILE_AGE_RECIPIENT_MAX)
				rc = err_set(e, ERR_FORMAT, "'%s' holds no recipient", pubpath);
			else
				snprintf(recipient, KEYFILE_AGE_RECIPIENT_MAX, "%.*s", (int)n, (const char *)t);
		}
		free(t);
		if (resumed)
			*resumed = rc == 0;
		goto done;
	}
	if (prc != 0)
		goto done;
	sk = sodium_malloc(32);
	identity = sodium_malloc(128);
	size_t cap = 256 + strlen(name) + KEYFILE_AGE_RECIPIENT_MAX;
	text = sodium_malloc(cap);
	if (!sk || !identity || !text) {
		err_set(e, ERR_IO, "out of memory");
		goto done;
	}
	randombytes_buf(sk, 32);
	if (crypto_scalarmult_base(pk, sk) != 0 ||
	    bech32_encode(identity, 128, "age-secret-key-", sk, 32, true) != 0 ||
	    bech32_encode(recipient, KEYFILE_AGE_RECIPIENT_MAX, "age", pk, 32, false) != 0) {
		err_set(e, ERR_INTERNAL, "cannot encode the new age key");
		goto done;
	}
	clock_rfc3339(clock_now(), created, sizeof created);
	snprintf(text, cap, "# created: %s\n# name: %s\n# public key: %s\n%s\n", created, name,
		 recipient, identity);
	if (passphrase) {
		if (keyfile_age_protect(&text, pass_fd, e) != 0)
			goto done;
	}
	snprintf(pubtext, sizeof pubtext, "%s\n", recipient);
	if (write_pair(keypath, text, pubpath, pubtext, e) != 0)
		goto done;
	rc = 0;
done:
	sodium_free(sk);
	sodium_free(identity);
	sodium_free(text);
	free(keypath);
	free(pubpath);
	return rc;
}

int keyfile_load_sign_secret(const char *path, int pass_fd, struct minisign_sec **out,
			     struct err *e)
{
	unsigned char *text = NULL;
	size_t len = 0;
	struct minisign_secfile *f = NULL;
	char *pass = NULL, *comment = NULL;
	size_t passlen = 0;
	int rc = -1;

	*out = NULL;
	if (io_read_secret(path, KEYFILE_MAX, &text, &len, e) != 0)
		goto done;
	if (minisign_secfile_decode((const char *)text, len, &f, &comment, e) != 0) {
		err_prefix(e, "'%s'", path);
		goto done;
	}
	if (minisign_secfile_encrypted(f)) {
		char prompt[512];
		snprintf(prompt, sizeof prompt, "Passphrase for '%s': ", path);
		if (passphrase_read(pass_fd, prompt, false, &pass, &passlen, e) != 0)
			goto done;
	}
	if (minisign_secfile_unlock(f, pass, passlen, out, e) != 0) {
		err_prefix(e, "'%s'", path);
		goto done;
	}
	rc = 0;
done:
	passphrase_free(pass);
	minisign_secfile_free(f);
	free(comment);
	if (text)
		sodium_free(text);
	return rc;
}

int keyfile_load_sign_public(const char *path, struct minisign_pub *out, char **name,
			     struct err *e)
{
	unsigned char *text = NULL;
	size_t len;
	char *comment = NULL;
	if (name)
		*name = NULL;
	if (io_read_file(path, KEYFILE_MAX, &text, &len, e) != 0)
		return -1;
	int rc = minisign_pub_decode((const char *)text, len, out, &comment, e);
	free(text);
	if (rc != 0) {
		err_prefix(e, "'%s'", path);
		return err_hint(e, "a signing public key is the PREFIX.pub that 'amana key new sign' "
				   "or 'minisign -G' wrote");
	}
	if (name && !(*name = keyfile_name_from_comment(comment)))
		rc = err_set(e, ERR_IO, "out of memory");
	free(comment);
	return rc;
}

/* True when the text begins like an age file, binary or armored. */
static bool looks_like_age_file(const char *t, size_t n)
{
	static const char bin[] = "age-encryption.org/v1\n";
	static const char arm[] = "-----BEGIN AGE ENCRYPTED FILE-----";
	size_t skip = strspn(t, " \t\r\n");
	return (n >= sizeof bin - 1 && memcmp(t, bin, sizeof bin - 1) == 0) ||
	       (n - skip >= sizeof arm - 1 && memcmp(t + skip, arm, sizeof arm - 1) == 0);
}

/* Finds the value of the first "# NAME: value" comment line in an age identity or
 * recipients file; malloc'd or NULL. */
static char *age_comment(const char *t, const char *tag)
{
	size_t tl = strlen(tag);
	for (const char *line = t; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		if (line[0] == '#' && line[1] == ' ' && strncmp(line + 2, tag, tl) == 0 &&
		    line[2 + tl] == ':' && line[3 + tl] == ' ') {
			const char *v = line + 4 + tl;
			return strndup(v, strcspn(v, "\r\n"));
		}
	}
	return NULL;
}

/* How many lines are neither empty nor comments. */
static size_t key_lines(const char *t)
{
	size_t n = 0;
	for (const char *line = t; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL)
		if (strcspn(line, "\r\n") > 0 && line[0] != '#')
			n++;
	return n;
}

/* The first line that is neither empty nor a comment; its length in *n. */
static const char *first_key_line(const char *t, size_t *n)
{
	for (const char *line = t; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		size_t k = strcspn(line, "\r\n");
		if (k == 0 || line[0] == '#')
			continue;
		*n = k;
		return line;
	}
	return NULL;
}

int keyfile_describe(const char *path, struct keyfile_info *info, struct err *e)
{
	unsigned char *text = NULL;
	size_t len = 0, kn = 0;
	bool loose = false;
	int rc = -1;

	memset(info, 0, sizeof *info);
	if (io_read_maybe_secret(path, KEYFILE_MAX, &text, &len, &loose, e) != 0)
		return -1;
	const char *t = (const char *)text;
	const char *line = first_key_line(t, &kn);
	char *comment = NULL;
	struct minisign_pub pub;
	struct minisign_secfile *sf = NULL;
	struct err ignore;

	if (looks_like_age_file(t, len)) {
		info->type = KEYFILE_AGE_IDENTITY_ENCRYPTED;
		info->encrypted = true;
	} else if (line && kn > 16 && strncmp(line, "AGE-SECRET-KEY-1", 16) == 0) {
		info->type = KEYFILE_AGE_IDENTITY;
		info->keys = key_lines(t);
		/* The recipient from the secret itself, not from the "# public key:" comment that
		 * age-keygen writes and anyone could edit. */
		uint8_t *sk = sodium_malloc(32), pk[32];
		if (!sk) {
			err_set(e, ERR_IO, "out of memory");
			goto done;
		}
		if (age_identity_decode(line, kn, sk, e) != 0) {
			sodium_free(sk);
			err_prefix(e, "%s", path);
			goto done;
		}
		crypto_scalarmult_base(pk, sk);
		sodium_free(sk);
		age_recipient_encode(info->key_id, pk);
		info->name = age_comment(t, "name");
	} else if (line && kn > 4 && strncmp(line, "age1", 4) == 0 && kn < sizeof info->key_id) {
		info->type = KEYFILE_AGE_RECIPIENT;
		info->keys = key_lines(t);
		memcpy(info->key_id, line, kn);
		info->name = age_comment(t, "name");
	} else if (minisign_pub_decode(t, len, &pub, &comment, &ignore) == 0) {
		info->type = KEYFILE_SIGN_PUBLIC;
		minisign_key_id_hex(pub.key_id, info->key_id);
		info->name = keyfile_name_from_comment(comment);
	} else if (minisign_secfile_decode(t, len, &sf, &comment, &ignore) == 0) {
		info->type = KEYFILE_SIGN_SECRET;
		info->encrypted = minisign_secfile_encrypted(sf);
		if (!info->encrypted) {
			struct minisign_sec *sk = NULL;
			if (minisign_secfile_unlock(sf, NULL, 0, &sk, &ignore) == 0)
				minisign_key_id_hex(sk->key_id, info->key_id);
			minisign_sec_free(sk);
		}
		info->name = keyfile_name_from_comment(comment);
		minisign_secfile_free(sf);
	} else {
		err_set(e, ERR_FORMAT, "'%s' is not a key file amana knows", path);
		err_hint(e, "amana reads minisign keys (.pub, .key) and age keys (age1..., AGE-SECRET-KEY-1...)");
		goto done;
	}
	if (loose && (info->type == KEYFILE_SIGN_SECRET || info->type == KEYFILE_AGE_IDENTITY ||
		      info->type == KEYFILE_AGE_IDENTITY_ENCRYPTED)) {
		err_set(e, ERR_KEY, "key file '%s' is accessible by others", path);
		err_hint(e, "chmod 600 '%s' if it is yours and nobody else could have read it", path);
		goto done;
	}
	if (!info->name && !(info->name = strdup(""))) {
		err_set(e, ERR_IO, "out of memory");
		goto done;
	}
	rc = 0;
done:
	if (rc != 0) {
		free(info->name);
		info->name = NULL;
	}
	free(comment);
	sodium_free(text);
	return rc;
}
