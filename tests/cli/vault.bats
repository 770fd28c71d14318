#!/usr/bin/env bats
# Where the vault lives, how it is created, and what it may never hold.

load ../lib/common

@test "--vault wins over AMANA_HOME, which wins over XDG_DATA_HOME" {
	run -0 amana --vault "$T/a" recipient list
	[ -f "$T/a/vault.db" ]
	run -0 amana recipient list
	[ -f "$AMANA_HOME/vault.db" ]
	unset AMANA_HOME
	run -0 amana recipient list
	[ -f "$XDG_DATA_HOME/amana/vault.db" ]
	unset XDG_DATA_HOME
	run -0 amana recipient list
	[ -f "$HOME/.local/share/amana/vault.db" ]
}

@test "the vault folder is created 0700, with its parents" {
	run -0 amana --vault "$T/deep/er/vault" trust list
	[ "$(stat -c %a "$T/deep/er/vault")" = 700 ]
}

@test "the vault database carries its schema version and application id" {
	run -0 amana trust list
	[ "$(sqlite3 "$AMANA_HOME/vault.db" 'PRAGMA user_version')" -ge 1 ]
	[ "$(sqlite3 "$AMANA_HOME/vault.db" 'PRAGMA application_id')" = 1634558318 ]
	[ "$(sqlite3 "$AMANA_HOME/vault.db" 'PRAGMA journal_mode')" = wal ]
}

@test "a vault folder that cannot be created is an I/O error" {
	touch "$T/file"
	run -4 amana --vault "$T/file/vault" trust list
	assert_stderr_has "cannot create folder"
}

@test "the vault database never holds secret key bytes" {
	mkkey_sign "الأمانة" s
	use_passphrase "secret passphrase"
	amana -q key new sign --name enc -o e
	mkkey_enc "تونس" t
	amana -q trust add s.pub --name "الأمانة"
	amana -q recipient add t.pub --name "تونس"
	sqlite3 "$AMANA_HOME/vault.db" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
	db=$(cat "$AMANA_HOME"/vault.db* | od -An -v -tx1 | tr -d ' \n')
	# The seeds (first 32 of the 64 secret bytes) of the unencrypted minisign key and the age
	# identity, and the passphrase, must appear nowhere.
	seed=$(sed -n 2p s.key | base64 -d | od -An -v -tx1 -j 62 -N 32 | tr -d ' \n')
	[ ${#seed} -eq 64 ]
	[[ "$db" != *"$seed"* ]]
	ident=$(grep AGE-SECRET-KEY t.key)
	! grep -a -q "$ident" "$AMANA_HOME"/vault.db*
	! grep -a -q "secret passphrase" "$AMANA_HOME"/vault.db*
	! grep -a -q "AGE-SECRET-KEY" "$AMANA_HOME"/vault.db*
	# What it does hold: the public halves.
	sqlite3 "$AMANA_HOME/vault.db" 'select public from own_keys' | grep -q "$(sed -n 2p s.pub)"
}
