#!/usr/bin/env bats
# The command line itself: help, version, unknown commands, global options, and one test
# per exit code of docs/exit-codes.md.

load ../lib/common

@test "amana -h lists the commands and exits 0" {
	run -0 amana -h
	assert_stderr_has "usage: amana"
	assert_stderr_has "sign"
	assert_stderr_has "trust"
}

@test "amana with no command prints usage and exits 2" {
	run -2 amana
	assert_stderr_has "usage: amana"
}

@test "amana --version names the libraries" {
	run -0 amana --version
	assert_stderr_has "amana "
	assert_stderr_has "libsodium"
	assert_stderr_has "sqlite"
}

@test "amana help COMMAND and amana COMMAND -h show the same help" {
	run -0 amana help sign
	local a=$output
	run -0 amana sign -h
	[ "$output" = "$a" ]
	assert_stderr_has "usage: amana sign -s KEY -m FILE"
	run -0 amana trust --help
	assert_stderr_has "trust add FILE.pub"
}

@test "an unknown command suggests the nearest one (exit 2)" {
	run -2 amana sing
	assert_stderr_has "amana: 'sing' is not an amana command"
	assert_stderr_has "hint: did you mean 'amana sign'?"
	run -2 amana trsut list
	assert_stderr_has "did you mean 'amana trust'?"
	run -2 amana help xyzzy
	assert_stderr_has "not an amana command"
}

@test "an unknown option is a usage error with the command's usage" {
	run -2 amana sign --frobnicate
	assert_stderr_has "unknown option"
	assert_stderr_has "usage: amana sign"
	run -2 amana --frobnicate
	assert_stderr_has "unknown global option"
}

@test "a missing subcommand lists the choices" {
	run -2 amana key
	assert_stderr_has "needs a subcommand: new, list, show"
	run -2 amana trust frob
	assert_stderr_has "unknown subcommand 'amana trust frob'"
}

@test "exit 0: success" {
	mkkey_sign s s
	echo data >f
	run -0 amana sign -s s.key -m f
}

@test "exit 1: a signature that does not verify" {
	mkkey_sign s s
	echo data >f
	amana -q sign -s s.key -m f
	echo Data >f
	run -1 amana verify -p s.pub -m f
	assert_stderr_has "amana: 'f': signature verification failed"
}

@test "exit 2: a usage error" {
	run -2 amana sign -m f
	assert_stderr_has "-s KEY (the secret key file) is required"
}

@test "exit 3: malformed input" {
	mkkey_sign s s
	echo data >f
	printf 'not a signature\n' >f.minisig
	run -3 amana verify -p s.pub -m f
	assert_stderr_has "signature file"
}

@test "exit 4: a missing file" {
	mkkey_sign s s
	run -4 amana sign -s s.key -m no-such-file
	assert_stderr_has "cannot open 'no-such-file': No such file or directory"
}

@test "exit 5: a key file others can read" {
	mkkey_sign s s
	echo data >f
	chmod 644 s.key
	run -5 amana sign -s s.key -m f
	assert_stderr_has "key file 's.key' is accessible by others (mode 0644)"
	assert_stderr_has "hint: chmod 600 's.key'"
	refute_exists f.minisig
}

@test "exit 70: an internal inconsistency is reported as such" {
	run -0 amana recipient list
	# Break the vault's schema behind amana's back: reading the table is no longer possible,
	# which no user action explains.
	sqlite3 "$AMANA_HOME/vault.db" 'DROP TABLE recipients'
	run -70 amana recipient list
	assert_stderr_has "no such table: recipients"
}

@test "output to a closed pipe or full disk is an error, not a silent success" {
	[ -w /dev/full ] || { echo "/dev/full missing" >&2; return 1; }
	run -4 bash -c '"$AMANA" -h >/dev/full'
	assert_stderr_has "cannot write to standard output"
}
