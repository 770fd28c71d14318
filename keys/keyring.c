/*
 * keyring.c - pinned issuers and witnesses, and the recipients directory, in the vault
 * database. See keyring.h.
 */
#include "keys/keyring.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keys/keyfile.h"
#include "vault/bech32.h"
#include "vault/clock.h"
#include "vault/minisign.h"
#include "vault/root.h"
#include "vault/store.h"
#include "vault/text.h"

static char *col_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return strdup(t ? (const char *)t : "");
}

static int check_name(const char *name, const char *what, struct err *e)
{
	const char *why = text_name_problem(name, KEYFILE_NAME_MAX);
	if (why) {
		err_set(e, ERR_USAGE, "the %s name is not usable: %s", what, why);
		return err_hint(e, "a name is 1 to %d bytes of UTF-8 (Arabic is welcome) without control characters", KEYFILE_NAME_MAX);
	}
	return 0;
}

/* ---- recipients ------------------------------------------------------------------------- */

static int check_recipient(const char *r, struct err *e)
{
	char hrp[16];
	uint8_t pk[32];
	size_t n;
	if (strncmp(r, "age1pq1", 7) == 0)
		return err_set(e, ERR_USAGE, "'%.24s...' is a post-quantum age recipient, which amana does not support", r);
	if (bech32_decode(hrp, sizeof hrp, pk, sizeof pk, &n, r, strlen(r)) != 0 ||
	    strcmp(hrp, "age") != 0 || n != 32 || strncmp(r, "age1", 4) != 0) {
		err_set(e, ERR_USAGE, "'%s' is not an age X25519 recipient", r);
		return err_hint(e, "a recipient looks like age1... (what 'amana key new encrypt' "
				   "or 'age-keygen' prints as the public key)");
	}
	return 0;
}

int keyring_recipient_add(struct store *s, const char *name, const char *recipient,
			  struct err *e)
{
	if (check_name(name, "recipient", e) != 0 || check_recipient(recipient, e) != 0)
		return -1;
	int rc = -1;
	sqlite3_stmt *st = NULL;
	if (store_begin(s, e) != 0)
		return -1;
	st = store_prepare(s, "SELECT name, recipient FROM recipients WHERE name = ?1 OR recipient = ?2", e);
	if (!st)
		goto done;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, recipient, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *oname = (const char *)sqlite3_column_text(st, 0);
		if (strcmp(oname, name) == 0) {
			err_set(e, ERR_USAGE, "a recipient named '%s' already exists", name);
			err_hint(e, "remove it first with 'amana recipient remove', or choose another name");
		} else {
			err_set(e, ERR_USAGE, "this recipient is already registered as '%s'", oname);
			err_hint(e, "one key, one name: to rename it, run 'amana recipient remove' with the old name, then add it again");
		}
		goto done;
	}
	sqlite3_finalize(st);
	st = store_prepare(s, "INSERT INTO recipients (name, recipient, added) VALUES (?1, ?2, ?3)", e);
	if (!st)
		goto done;
	char now[CLOCK_RFC3339_LEN + 1];
	clock_rfc3339(clock_now(), now, sizeof now);
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, recipient, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, now, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		store_fail(s, "cannot add the recipient", e);
		goto done;
	}
	sqlite3_finalize(st);
	st = NULL;
	rc = store_commit(s, e);
done:
	sqlite3_finalize(st);
	if (rc != 0)
		store_rollback(s);
	return rc;
}

int keyring_recipient_lookup(struct store *s, const char *name, char **out, struct err *e)
{
	*out = NULL;
	sqlite3_stmt *st = store_prepare(s, "SELECT recipient FROM recipients WHERE name = ?1", e);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = col_dup(st, 0);
		sqlite3_finalize(st);
		return *out ? 0 : err_set(e, ERR_IO, "out of memory");
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, "cannot read the recipients", e);
	err_set(e, ERR_USAGE, "no recipient named '%s' in the vault", name);
	return err_hint(e, "'amana recipient list' shows the names; 'amana recipient add' adds one");
}

int keyring_recipient_list(struct store *s, struct keyring_recipient **list, size_t *n,
			   struct err *e)
{
	*list = NULL;
	*n = 0;
	sqlite3_stmt *st = store_prepare(s, "SELECT name, recipient, added FROM recipients ORDER BY name", e);
	if (!st)
		return -1;
	size_t cap = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 8;
			struct keyring_recipient *nl = realloc(*list, cap * sizeof **list);
			if (!nl) {
				sqlite3_finalize(st);
				keyring_recipients_free(*list, *n);
				*list = NULL;
				*n = 0;
				return err_set(e, ERR_IO, "out of memory");
			}
			*list = nl;
		}
		struct keyring_recipient *r = &(*list)[(*n)++];
		r->name = col_dup(st, 0);
		r->recipient = col_dup(st, 1);
		r->added = col_dup(st, 2);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		keyring_recipients_free(*list, *n);
		*list = NULL;
		*n = 0;
		return store_fail(s, "cannot read the recipients", e);
	}
	return 0;
}

void keyring_recipients_free(struct keyring_recipient *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(list[i].name);
		free(list[i].recipient);
		free(list[i].added);
	}
	free(list);
}

/* Runs a DELETE with one text parameter; zero rows deleted is reported as not found. */
static int delete_one(struct store *s, const char *sql, const char *arg, bool *found,
		      struct err *e)
{
	sqlite3_stmt *st = store_prepare(s, sql, e);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, "cannot change the vault", e);
	*found = sqlite3_changes(store_db(s)) > 0;
	return 0;
}

int keyring_recipient_remove(struct store *s, const char *name, struct err *e)
{
	bool found;
	if (delete_one(s, "DELETE FROM recipients WHERE name = ?1", name, &found, e) != 0)
		return -1;
	if (!found) {
		err_set(e, ERR_USAGE, "no recipient named '%s' in the vault", name);
		return err_hint(e, "'amana recipient list' shows the names");
	}
	return 0;
}

/* ---- trusted keys ----------------------------------------------------------------------- */

static const char *role_name(enum keyring_role r)
{
	return r == KEYRING_WITNESS ? "witness" : "issuer";
}

static void fill_trusted(sqlite3_stmt *st, struct keyring_trusted *t)
{
	const unsigned char *id = sqlite3_column_text(st, 0);
	snprintf(t->key_id, sizeof t->key_id, "%s", id ? (const char *)id : "");
	const unsigned char *role = sqlite3_column_text(st, 1);
	t->role = role && strcmp((const char *)role, "witness") == 0 ? KEYRING_WITNESS : KEYRING_ISSUER;
	t->name = col_dup(st, 2);
	memset(t->public_key, 0, 32);
	if (sqlite3_column_bytes(st, 3) == 32)
		memcpy(t->public_key, sqlite3_column_blob(st, 3), 32);
	t->added = col_dup(st, 4);
}

int keyring_trust_add(struct store *s, const uint8_t key_id[8], const uint8_t pk[32],
		      const char *name, enum keyring_role role, struct err *e)
{
	char id[17], now[CLOCK_RFC3339_LEN + 1];
	if (check_name(name, "key", e) != 0)
		return -1;
	minisign_key_id_hex(key_id, id);
	if (store_begin(s, e) != 0)
		return -1;
	int rc = -1;
	sqlite3_stmt *st = store_prepare(s, "SELECT key_id, name, role FROM trusted_keys WHERE key_id = ?1 OR name = ?2", e);
	if (!st)
		goto done;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *oid = (const char *)sqlite3_column_text(st, 0);
		const char *oname = (const char *)sqlite3_column_text(st, 1);
		if (strcmp(oid, id) == 0)
			err_set(e, ERR_USAGE, "key %s is already trusted, as '%s' (%s)", id, oname,
				(const char *)sqlite3_column_text(st, 2));
		else
			err_set(e, ERR_USAGE, "the name '%s' is already used by key %s", name, oid);
		err_hint(e, "'amana trust list' shows the pinned keys; 'amana trust remove' unpins one");
		goto done;
	}
	sqlite3_finalize(st);
	st = store_prepare(s, "INSERT INTO trusted_keys (key_id, role, name, public_key, added) "
			      "VALUES (?1, ?2, ?3, ?4, ?5)", e);
	if (!st)
		goto done;
	clock_rfc3339(clock_now(), now, sizeof now);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, role_name(role), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 4, pk, 32, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, now, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		store_fail(s, "cannot pin the key", e);
		goto done;
	}
	sqlite3_finalize(st);
	st = NULL;
	rc = store_commit(s, e);
done:
	sqlite3_finalize(st);
	if (rc != 0)
		store_rollback(s);
	return rc;
}

int keyring_trust_find(struct store *s, const uint8_t key_id[8], enum keyring_role role,
		       struct keyring_trusted *out, struct err *e)
{
	char id[17];
	minisign_key_id_hex(key_id, id);
	sqlite3_stmt *st = store_prepare(s, "SELECT key_id, role, name, public_key, added FROM trusted_keys "
					    "WHERE key_id = ?1 AND role = ?2", e);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, role_name(role), -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (out)
			fill_trusted(st, out);
		sqlite3_finalize(st);
		return 1;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, "cannot read the pinned keys", e);
	return 0;
}

int keyring_trust_list(struct store *s, struct keyring_trusted **list, size_t *n,
		       struct err *e)
{
	*list = NULL;
	*n = 0;
	sqlite3_stmt *st = store_prepare(s, "SELECT key_id, role, name, public_key, added FROM trusted_keys "
					    "ORDER BY role, name", e);
	if (!st)
		return -1;
	size_t cap = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 8;
			struct keyring_trusted *nl = realloc(*list, cap * sizeof **list);
			if (!nl) {
				sqlite3_finalize(st);
				keyring_trusted_free(*list, *n);
				*list = NULL;
				*n = 0;
				return err_set(e, ERR_IO, "out of memory");
			}
			*list = nl;
		}
		fill_trusted(st, &(*list)[(*n)++]);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		keyring_trusted_free(*list, *n);
		*list = NULL;
		*n = 0;
		return store_fail(s, "cannot read the pinned keys", e);
	}
	return 0;
}

void keyring_trusted_free(struct keyring_trusted *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(list[i].name);
		free(list[i].added);
	}
	free(list);
}

int keyring_trust_remove(struct store *s, const char *id_or_name, struct err *e)
{
	bool found;
	uint8_t raw[8];
	char id[17];
	if (minisign_key_id_parse(id_or_name, raw)) {
		minisign_key_id_hex(raw, id);
		if (delete_one(s, "DELETE FROM trusted_keys WHERE key_id = ?1", id, &found, e) != 0)
			return -1;
		if (found)
			return 0;
	}
	if (delete_one(s, "DELETE FROM trusted_keys WHERE name = ?1", id_or_name, &found, e) != 0)
		return -1;
	if (!found) {
		err_set(e, ERR_USAGE, "no pinned key with id or name '%s'", id_or_name);
		return err_hint(e, "'amana trust list' shows the pinned keys");
	}
	return 0;
}

/* ---- own keys --------------------------------------------------------------------------- */

int keyring_own_add(struct store *s, const struct keyring_own *k, struct err *e)
{
	sqlite3_stmt *st = store_prepare(s, "INSERT INTO own_keys (key_id, type, name, public, pub_path, "
					    "key_path, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", e);
	if (!st)
		return -1;
	const char *v[] = {k->key_id, k->type, k->name, k->public, k->pub_path, k->key_path, k->created};
	for (int i = 0; i < 7; i++)
		sqlite3_bind_text(st, i + 1, v[i], -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, "cannot record the new key in the vault", e);
	return 0;
}

int keyring_own_list(struct store *s, struct keyring_own **list, size_t *n, struct err *e)
{
	*list = NULL;
	*n = 0;
	sqlite3_stmt *st = store_prepare(s, "SELECT key_id, type, name, public, pub_path, key_path, created "
					    "FROM own_keys ORDER BY created, rowid", e);
	if (!st)
		return -1;
	size_t cap = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 8;
			struct keyring_own *nl = realloc(*list, cap * sizeof **list);
			if (!nl) {
				rc = SQLITE_NOMEM;
				break;
			}
			*list = nl;
		}
		struct keyring_own *k = &(*list)[(*n)++];
		k->key_id = col_dup(st, 0);
		k->type = col_dup(st, 1);
		k->name = col_dup(st, 2);
		k->public = col_dup(st, 3);
		k->pub_path = col_dup(st, 4);
		k->key_path = col_dup(st, 5);
		k->created = col_dup(st, 6);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		keyring_own_free(*list, *n);
		*list = NULL;
		*n = 0;
		return rc == SQLITE_NOMEM ? err_set(e, ERR_IO, "out of memory")
					  : store_fail(s, "cannot read the keys", e);
	}
	return 0;
}

void keyring_own_free(struct keyring_own *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(list[i].key_id);
		free(list[i].type);
		free(list[i].name);
		free(list[i].public);
		free(list[i].pub_path);
		free(list[i].key_path);
		free(list[i].created);
	}
	free(list);
}

/* ---- trusted roots ------------------------------------------------------------------------- */

int keyring_root_ids(struct store *s, char (**ids)[33], size_t *n, struct err *e)
{
	*ids = NULL;
	*n = 0;
	sqlite3_stmt *st = store_prepare(s, "SELECT DISTINCT root_id FROM trusted_roots ORDER BY root_id", e);
	if (!st)
		return -1;
	size_t cap = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 4;
			void *nv = realloc(*ids, cap * 33);
			if (!nv) {
				sqlite3_finalize(st);
				free(*ids);
				*ids = NULL;
				*n = 0;
				return err_set(e, ERR_IO, "out of memory");
			}
			*ids = nv;
		}
		snprintf((*ids)[(*n)++], 33, "%s", (const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		free(*ids);
		*ids = NULL;
		*n = 0;
		return store_fail(s, "cannot read the pinned roots", e);
	}
	return 0;
}

int keyring_root_load(struct store *s, const char *root_id, struct root **roots, size_t *n,
		      struct err *e)
{
	*roots = NULL;
	*n = 0;
	sqlite3_stmt *st = store_prepare(s, "SELECT version, text FROM trusted_roots WHERE root_id = ?1 ORDER BY version", e);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, root_id, -1, SQLITE_STATIC);
	size_t cap = 0;
	int rc, ret = 0;
	struct root *v = NULL;
	while (ret == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 4;
			struct root *nv = realloc(v, cap * sizeof *v);
			if (!nv) {
				ret = err_set(e, ERR_IO, "out of memory");
				break;
			}
			v = nv;
		}
		const char *text = sqlite3_column_blob(st, 1);
		int len = sqlite3_column_bytes(st, 1);
		uint64_t version = (uint64_t)sqlite3_column_int64(st, 0);
		if (root_parse(text ? text : "", (size_t)len, &v[*n], e) != 0) {
			root_free(&v[*n]);
			err_prefix(e, "the vault's copy of root %s version %llu is damaged", root_id,
				   (unsigned long long)version);
			ret = -1;
			break;
		}
		(*n)++;
		if (v[*n - 1].version != version || strcmp(v[*n - 1].root_id, root_id) != 0 ||
		    (*n > 1 && version != v[*n - 2].version + 1))
			ret = err_set(e, ERR_VERIFY, "the vault's copy of root %s is damaged at version %llu", root_id,
				      (unsigned long long)version);
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = store_fail(s, "cannot read the pinned root", e);
	sqlite3_finalize(st);
	if (ret != 0) {
		root_chain_free(v, *n);
		*n = 0;
		return -1;
	}
	*roots = v;
	return 0;
}

int keyring_root_store(struct store *s, const struct root *r, size_t n, struct err *e)
{
	char now[CLOCK_RFC3339_LEN + 1];
	clock_rfc3339(clock_now(), now, sizeof now);
	if (store_begin(s, e) != 0)
		return -1;
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		sqlite3_stmt *st = store_prepare(s, "SELECT digest FROM trusted_roots WHERE root_id = ?1 AND version = ?2", e);
		if (!st) {
			rc = -1;
			break;
		}
		sqlite3_bind_text(st, 1, r[i].root_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)r[i].version);
		int step = sqlite3_step(st);
		if (step == SQLITE_ROW) {
			if (strcmp((const char *)sqlite3_column_text(st, 0), r[i].digest_hex) != 0) {
				rc = err_set(e, ERR_VERIFY, "two different roots claim version %llu of root '%s' (%s) (a fork)",
					     (unsigned long long)r[i].version, r[i].name, r[i].root_id);
				err_hint(e, "report it to the secretariat: its root keys signed two versions, or someone holds a threshold of them");
			}
			sqlite3_finalize(st);
			continue;
		}
		sqlite3_finalize(st);
		if (step != SQLITE_DONE) {
			rc = store_fail(s, "cannot read the pinned root", e);
			break;
		}
		st = store_prepare(s, "INSERT INTO trusted_roots (root_id, version, name, digest, text, added) "
				      "VALUES (?1, ?2, ?3, ?4, ?5, ?6)", e);
		if (!st) {
			rc = -1;
			break;
		}
		sqlite3_bind_text(st, 1, r[i].root_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)r[i].version);
		sqlite3_bind_text(st, 3, r[i].name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, r[i].digest_hex, -1, SQLITE_STATIC);
		sqlite3_bind_blob(st, 5, r[i].text, (int)r[i].text_len, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, now, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = store_fail(s, "cannot pin the root", e);
		sqlite3_finalize(st);
	}
	if (rc == 0)
		return store_commit(s, e);
	store_rollback(s);
	return -1;
}

int keyring_root_remove(struct store *s, const char *id_or_name, struct err *e)
{
	sqlite3_stmt *st = store_prepare(s, "DELETE FROM trusted_roots WHERE root_id IN (SELECT DISTINCT root_id FROM trusted_roots "
					    "WHERE name = ?1 OR (length(?1) >= 8 AND root_id GLOB lower(?1) || '*'))", e);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, id_or_name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, "cannot remove the root", e);
	return sqlite3_changes(store_db(s)) > 0 ? 1 : 0;
}
