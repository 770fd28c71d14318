#!/usr/bin/env bats
# amana key new / list / show.

load ../lib/common

@test "key new sign --no-passphrase writes minisign's unencrypted form, 0600 and 0644" {
	run -0 amana key new sign --name "الأمانة العامة" -o sec --no-passphrase
	assert_stderr_has "key id:"
	[ "$(stat -c %a sec.key)" = 600 ]
	[ "$(stat -c %a sec.pub)" = 644 ]
	sed -n 2p sec.key | grep -q '^RWQAAEIy'
	head -1 sec.pub | grep -q '^untrusted comment: minisign public key [0-9A-F]\{16\}, name: الأمانة العامة$'
	sed -n 2p sec.pub | grep -q '^RW[QRST]'
}

@test "key new sign encrypts with scrypt by default (passphrase from a descriptor)" {
	run -0 amana key new sign --name s -o s --passphrase-fd 3 3< <(printf 'pass phrase\n')
	sed -n 2p s.key | grep -q '^RWRTY0Iy'
	# minisign's parameters: opslimit 2^25, memlimit 2^30 (little-endian at bytes 38 and 46).
	[ "$(sed -n 2p s.key | base64 -d | od -An -tu8 -j 38 -N 16 | tr -s ' ')" = " 33554432 1073741824" ]
}

@test "key new sign: passphrase from AMANA_PASSPHRASE_FILE, which must be private" {
	printf 'pass\n' >pf
	chmod 644 pf
	export AMANA_PASSPHRASE_FILE=$T/pf
	run -5 amana key new sign --name s -o s
	assert_stderr_has "AMANA_PASSPHRASE_FILE"
	refute_exists s.key
	chmod 600 pf
	run -0 amana key new sign --name s -o s
	sed -n 2p s.key | grep -q '^RWRTY0Iy'
}

@test "key new sign without a terminal or passphrase source exits 5 with a hint" {
	run -5 amana key new sign --name s -o s </dev/null
	assert_stderr_has "no terminal"
	assert_stderr_has "hint: give it with --passphrase-fd N or AMANA_PASSPHRASE_FILE"
	refute_exists s.key
	refute_exists s.pub
}

@test "key new never overwrites" {
	mkkey_sign a k
	before=$(cat k.key)
	run -4 amana key new sign --name b -o k --no-passphrase
	assert_stderr_has "'k.key' already exists"
	[ "$(cat k.key)" = "$before" ]
	rm k.key
	run -4 amana key new encrypt --name b -o k
	assert_stderr_has "'k.pub' already exists"
	refute_exists k.key
}

@test "key new: missing or bad options are usage errors" {
	run -2 amana key new sign -o x --no-passphrase
	assert_stderr_has "--name NAME is required"
	run -2 amana key new sign --name x --no-passphrase
	assert_stderr_has "-o PREFIX is required"
	run -2 amana key new frob --name x -o x
	assert_stderr_has "unknown key type 'frob'"
	run -2 amana key new sign --name "$(printf 'a\nb')" -o x --no-passphrase
	assert_stderr_has "control characters"
	run -2 amana key new sign --name x -o x --passphrase-fd nope
	refute_exists x.key
}

@test "key new encrypt writes an age identity and recipient" {
	run -0 amana key new encrypt --name "وزارة الداخلية - تونس" -o tn
	[ "$(stat -c %a tn.key)" = 600 ]
	grep -q '^age1[02-9ac-hj-np-z]\{58\}$' tn.pub
	grep -q '^AGE-SECRET-KEY-1[02-9AC-HJ-NP-Z]\{58\}$' tn.key
	grep -q '^# name: وزارة الداخلية - تونس$' tn.key
	grep -q "^# public key: $(cat tn.pub)$" tn.key
}

@test "key list shows the keys made with this vault" {
	mkkey_sign "الأمانة" s
	mkkey_enc "تونس" t
	run -0 amana key list
	assert_stderr_has "sign"
	assert_stderr_has "الأمانة"
	assert_stderr_has "تونس"
	assert_stderr_has "$T/s.key"
	run -0 amana --json key list
	[ "$(sqlite3 :memory: "select json_array_length('$output')")" = 2 ]
	[ "$(sqlite3 :memory: "select json_extract('$output', '\$[1].name')")" = "تونس" ]
}

@test "key show tells minisign and age files apart" {
	mkkey_sign "الأمانة" s
	mkkey_enc "تونس" t
	id=$(sed -n 1p s.pub | sed 's/.*key \([0-9A-F]*\),.*/\1/')
	run -0 amana key show s.pub
	assert_stderr_has "signing public key (minisign)"
	assert_stderr_has "key id:    $id"
	assert_stderr_has "name:      الأمانة"
	run -0 amana key show s.key
	assert_stderr_has "signing secret key (minisign)"
	assert_stderr_has "encrypted: no"
	assert_stderr_has "$id"
	run -0 amana key show t.key
	assert_stderr_has "age X25519 identity"
	assert_stderr_has "$(cat t.pub)"
	run -0 amana --json key show t.pub
	[ "$(sqlite3 :memory: "select json_extract('$output', '\$.recipient')")" = "$(cat t.pub)" ]
	echo hello >junk
	run -3 amana key show junk
	assert_stderr_has "not a key file amana knows"
	run -4 amana key show missing
}

@test "key show of a stock minisign key, encrypted" {
	printf 'pw\npw\n' | minisign -G -p m.pub -s m.key >/dev/null
	run -0 amana key show m.key
	assert_stderr_has "encrypted: yes"
	assert_stderr_has "sealed inside the encrypted key"
	run -0 amana key show m.pub
	assert_stderr_has "$(sed -n 1p m.pub | sed 's/.*key //')"
}

@test "names with bidi controls are shown escaped" {
	run -0 amana key new sign --name "$(printf 'evil\u202egnp.exe')" -o b --no-passphrase
	run -0 amana key list
	assert_stderr_has 'evil\u{202E}gnp.exe'
	run -0 amana key show b.pub
	assert_stderr_has 'evil\u{202E}gnp.exe'
}

# age-keygen's "# public key:" comment is text anyone can edit: the recipient shown is the one
# the secret key gives. A file of several keys says so.
@test "key show of an age identity derives its recipient and counts its keys" {
	age-keygen -o one 2>/dev/null
	r1=$(age-keygen -y one)
	sed -i 's/^# public key: .*/# public key: age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq/' one
	run -0 amana key show one
	assert_stderr_has "recipient: $r1"
	age-keygen 2>/dev/null >two
	grep -v '^#' one >>two
	chmod 600 two
	run -0 amana key show two
	assert_stderr_has "keys:      2 in the file"
	run -0 amana --json key show two
	assert_stderr_has '"keys":2'
	printf 'AGE-SECRET-KEY-1QQQQ\n' >bad
	chmod 600 bad
	run -5 amana key show bad
	assert_stderr_has "not a valid age identity"
	{ age-keygen -y one; age-keygen 2>/dev/null | age-keygen -y; } >pubs
	run -0 amana key show pubs
	assert_stderr_has "keys:      2 in the file"
}

# A secret key is read only from the file itself: a link could be pointed elsewhere without
# the file changing.
@test "a secret key given through a symbolic link or as a device is refused (exit 5) with a hint" {
	amana -q key new sign --name s -o s --no-passphrase
	ln -s s.key link.key
	printf 'x' >f
	run -5 amana sign -s link.key -m f
	assert_stderr_has "is a symbolic link"
	assert_stderr_has "hint: give the key file itself"
	refute_exists f.minisig
	run -5 amana sign -s /dev/null -m f
	assert_stderr_has "is not a regular file"
	assert_stderr_has "hint: "
}
