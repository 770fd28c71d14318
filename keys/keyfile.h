/*
 * keyfile.h - amana's key files on disk: making them, reading them, telling what they are.
 *
 * Signing keys are minisign's files (PREFIX.pub, PREFIX.key); encryption keys are age's
 * (PREFIX.pub holds the "age1..." recipient line, PREFIX.key an identity file as age-keygen
 * writes it, or that file encrypted with a passphrase as 'age -p' would). The key's name is
 * kept in the files' comments ("..., name: NAME" for minisign, "# name: NAME" for age).
 *
 * Secret key files are created 0600 through a hidden temporary and an exclusive link, so an
 * existing key is never overwritten and a crash leaves no half-written key under its name;
 * they are read only when no one else may read them (io_open_secret).
 */
#ifndef AMANA_KEYFILE_H
#define AMANA_KEYFILE_H

#include <stdbool.h>
#include <stdint.h>

#include "vault/err.h"
#include "vault/minisign.h"

#define KEYFILE_NAME_MAX 256 /* bytes */
#define KEYFILE_AGE_RECIPIENT_MAX 128

enum keyfile_type {
	KEYFILE_UNKNOWN,
	KEYFILE_SIGN_PUBLIC,
	KEYFILE_SIGN_SECRET,
	KEYFILE_AGE_RECIPIENT,
	KEYFILE_AGE_IDENTITY,
	KEYFILE_AGE_IDENTITY_ENCRYPTED,
};

struct keyfile_info {
	enum keyfile_type type;
	bool encrypted;
	char key_id[KEYFILE_AGE_RECIPIENT_MAX]; /* minisign key id, or the age1 recipient; ""
						   when it cannot be known without unlocking */
	char *name;				/* malloc'd, "" when the file names none */
	size_t keys;				/* key lines in an age file (key_id is the first) */
};

/* Makes a minisign key pair: PREFIX.key (encrypted with a passphrase read via pass_fd unless
 * no_passphrase; see passphrase.h) and PREFIX.pub. *pub gets the public key. Neither file may
 * exist already, with one exception: when a 'key new' for this prefix was killed between its
 * two links (PREFIX.key alone, its twin temporary beside it), that pair is completed instead
 * and *resumed (when not NULL) set. */
int keyfile_new_sign(const char *name, const char *prefix, bool no_passphrase, int pass_fd,
		     struct minisign_pub *pub, bool *resumed, struct err *e);

/* Makes an age X25519 key pair: PREFIX.key (identity; encrypted with a passphrase when
 * passphrase) and PREFIX.pub (recipient). recipient gets the "age1..." string. An interrupted
 * pair is completed as keyfile_new_sign does. */
int keyfile_new_encrypt(const char *name, const char *prefix, bool passphrase, int pass_fd,
			char recipient[KEYFILE_AGE_RECIPIENT_MAX], bool *resumed, struct err *e);

/* Loads and unlocks a minisign secret key file, asking for the passphrase when it is
 * encrypted. *out is freed with minisign_sec_free. */
int keyfile_load_sign_secret(const char *path, int pass_fd, struct minisign_sec **out,
			     struct err *e);

/* Loads a minisign public key file (or a file holding just the base64 line). *name, when not
 * NULL, gets the name from its comment (malloc'd, "" when none). */
int keyfile_load_sign_public(const char *path, struct minisign_pub *out, char **name,
			     struct err *e);

/* Says what kind of key file path is, its key id and name, without asking for a passphrase.
 * Free info->name. */
int keyfile_describe(const char *path, struct keyfile_info *info, struct err *e);

/* Extracts the NAME of ", name: NAME" (minisign comments) from comment; malloc'd. */
char *keyfile_name_from_comment(const char *comment);

#endif
