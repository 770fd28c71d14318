#!/usr/bin/env bats
# trust add/list/remove and recipient add/list/remove.

load ../lib/common

@test "trust add pins an issuer; list shows it; remove by id or name" {
	mkkey_sign "الأمانة العامة لمجلس وزراء الداخلية العرب" s
	id=$(sed -n 1p s.pub | sed 's/.*key \([0-9A-F]*\),.*/\1/')
	run -0 amana trust add s.pub --name "الأمانة العامة"
	assert_stderr_has "trusted issuer $id as 'الأمانة العامة'"
	run -0 amana trust list
	assert_stderr_has "issuer   $id  الأمانة العامة"
	run -0 amana trust remove "$(echo "$id" | tr A-F a-f)"
	run -0 amana --json trust list
	[ "$output" = "[]" ]
	amana -q trust add s.pub --name "الأمانة العامة"
	run -0 amana trust remove "الأمانة العامة"
	run -2 amana trust remove "الأمانة العامة"
	assert_stderr_has "no pinned key with id or name"
}

@test "trust: duplicates refused, naming the existing entry" {
	mkkey_sign a a
	mkkey_sign b b
	amana -q trust add a.pub --name "الأمانة"
	run -2 amana trust add a.pub --name other
	assert_stderr_has "is already trusted, as 'الأمانة' (issuer)"
	run -2 amana trust add b.pub --name "الأمانة"
	assert_stderr_has "the name 'الأمانة' is already used by key"
	refute_output_has "usage:"
	run -0 amana trust add b.pub --name "شاهد" --witness
	run -0 amana trust list
	assert_stderr_has "witness"
}

@test "trust add accepts a stock minisign public key and refuses a non-key" {
	printf '\n\n' | minisign -G -W -p m.pub -s m.key >/dev/null 2>&1 || minisign -G -W -p m.pub -s m.key >/dev/null
	run -0 amana trust add m.pub --name minisign
	echo nope >bad.pub
	run -3 amana trust add bad.pub --name bad
	run -4 amana trust add missing.pub --name bad
	run -2 amana trust add m.pub
	assert_stderr_has "--name NAME is required"
}

@test "recipient add from age1... or FILE.pub, list, remove" {
	mkkey_enc "تونس" tn
	mkkey_enc "مصر" eg
	run -0 amana recipient add tn.pub --name "تونس"
	run -0 amana recipient add "$(cat eg.pub)" --name "مصر"
	run -0 amana recipient list
	assert_stderr_has "$(cat tn.pub)  تونس"
	assert_stderr_has "$(cat eg.pub)  مصر"
	run -0 amana --json recipient list
	[ "$(sqlite3 :memory: "select json_array_length('$output')")" = 2 ]
	run -0 amana recipient remove "مصر"
	run -2 amana recipient remove "مصر"
	assert_stderr_has "no recipient named 'مصر'"
}

@test "recipient: duplicates and bad recipients refused" {
	mkkey_enc a a
	amana -q recipient add a.pub --name "تونس"
	run -2 amana recipient add a.pub --name "تونس2"
	assert_stderr_has "already registered as 'تونس'"
	mkkey_enc b b
	run -2 amana recipient add b.pub --name "تونس"
	assert_stderr_has "a recipient named 'تونس' already exists"
	run -2 amana recipient add age1notarecipient --name x
	assert_stderr_has "is not an age X25519 recipient"
	run -2 amana recipient add "age1pq1$(printf 'q%.0s' $(seq 100))" --name pq
	assert_stderr_has "post-quantum"
	printf '# only comments\n' >empty.pub
	run -3 amana recipient add empty.pub --name x
}

@test "a name hiding a bidi override is stored as given and shown escaped" {
	mkkey_enc a a
	name=$(printf 'Egypt\u202e\u2066')
	run -0 amana recipient add a.pub --name "$name"
	run -0 amana recipient list
	assert_stderr_has 'Egypt\u{202E}\u{2066}'
	[ "$(sqlite3 "$AMANA_HOME/vault.db" 'select hex(name) from recipients')" = "$(printf '%s' "$name" | od -An -tx1 | tr -d ' \n' | tr a-f A-F)" ]
	run -0 amana --json recipient list
	assert_stderr_has 'Egypt\u202e\u2066'
}

@test "refusals in the recipients directory say what to do" {
	age-keygen -o eg.key 2>/dev/null
	amana -q recipient add "$(age-keygen -y eg.key)" --name "مصر"
	run -2 amana recipient add "$(age-keygen -y eg.key)" --name "Egypt"
	assert_stderr_has "already registered as 'مصر'"
	assert_stderr_has "hint: one key, one name"
	run -2 amana recipient add "$(age-keygen -y eg.key)" --name "$(printf 'a\tb')"
	assert_stderr_has "hint: a name is 1 to 256 bytes of UTF-8"
	run -2 amana recipient add "$(age-keygen -y eg.key)" --name "$(head -c 257 /dev/zero | tr '\0' x)"
	assert_stderr_has "too long"
	assert_stderr_has "hint: a name is 1 to 256 bytes"
}
