#!/usr/bin/env bats
# Stock minisign against amana's keys and signatures, and amana against minisign's, both ways,
# prehashed and legacy, with and without passphrases; plus forged copies that both refuse.

load ../lib/common

local_setup() {
	command -v minisign >/dev/null || { echo "minisign is not installed (.ci/run installs it)" >&2; return 1; }
	printf 'ناقش المؤتمر عددا من المواضيع الهامة\n' >doc.txt
	head -c 300000 /dev/urandom >blob.bin
}

@test "amana signs (unencrypted key), stock minisign verifies" {
	mkkey_sign "الأمانة" a
	amana -q sign -s a.key -m doc.txt -t "المؤتمر 24"
	run -0 minisign -V -p a.pub -m doc.txt
	assert_stderr_has "Trusted comment: المؤتمر 24"
	amana -q sign -s a.key -m blob.bin --legacy
	run -0 minisign -V -p a.pub -m blob.bin
}

@test "stock minisign signs with amana's unencrypted key" {
	mkkey_sign "الأمانة" a
	run -0 minisign -S -W -s a.key -m doc.txt -t "from minisign"
	run -0 amana verify -p a.pub -m doc.txt
	assert_stderr_has "Trusted comment: from minisign"
}

@test "stock minisign signs (prehashed and legacy), amana verifies" {
	minisign -G -W -p m.pub -s m.key >/dev/null
	minisign -S -W -s m.key -m blob.bin
	run -0 amana verify -p m.pub -m blob.bin
	minisign -S -W -l -s m.key -m doc.txt -t "legacy عربي"
	run -0 amana verify -p m.pub -m doc.txt
	assert_stderr_has "Trusted comment: legacy عربي"
	run -1 amana verify -p m.pub -m doc.txt -H
}

@test "a passphrase-protected key made by amana is used by stock minisign" {
	use_passphrase "correct horse"
	amana -q key new sign --name enc -o a
	run -0 sh -c 'printf "correct horse\n" | minisign -S -s a.key -m doc.txt'
	run -0 amana verify -p a.pub -m doc.txt
	run ! sh -c 'printf "wrong horse\n" | minisign -S -s a.key -m doc.txt -x w.sig'
	refute_exists w.sig
}

@test "a passphrase-protected key made by stock minisign is used by amana" {
	printf 'كلمة المرور\nكلمة المرور\n' | minisign -G -p m.pub -s m.key >/dev/null
	chmod 600 m.key
	run -0 amana sign -s m.key -m doc.txt --passphrase-fd 3 3< <(printf 'كلمة المرور\n')
	run -0 minisign -V -p m.pub -m doc.txt
	run -5 amana sign -s m.key -m doc.txt -x w.sig --passphrase-fd 3 3< <(printf 'wrong\n')
	assert_stderr_has "wrong passphrase"
	refute_exists w.sig
}

@test "forged copies are refused by both tools" {
	mkkey_sign a a
	amana -q sign -s a.key -m doc.txt -t "original"
	# a forged trusted comment
	sed 's/^trusted comment: original$/trusted comment: forged/' doc.txt.minisig >forged.sig
	run -1 amana verify -p a.pub -m doc.txt -x forged.sig
	run -1 minisign -V -p a.pub -m doc.txt -x forged.sig
	# a forged document
	printf 'x' >>doc.txt
	run -1 amana verify -p a.pub -m doc.txt
	run -1 minisign -V -p a.pub -m doc.txt
}

@test "published golden signatures (minisign's author's key) verify, forged ones do not" {
	v=$TOP/tests/vectors/minisign
	for sig in test.prehashed test.prehashed2 test.legacy; do
		run -0 amana verify -p "$v/jedisct1.pub" -m "$v/test.txt" -x "$v/$sig.minisig"
		run -0 minisign -V -p "$v/jedisct1.pub" -m "$v/test.txt" -x "$v/$sig.minisig"
	done
	sed '3s/1556193335/1556193336/' "$v/test.prehashed.minisig" >forged.sig
	run -1 amana verify -p "$v/jedisct1.pub" -m "$v/test.txt" -x forged.sig
	run -1 minisign -V -p "$v/jedisct1.pub" -m "$v/test.txt" -x forged.sig
}

@test "the published encrypted minisign-net key signs with its password" {
	v=$TOP/tests/vectors/minisign
	cp "$v/minisign-net.key" k.key
	chmod 600 k.key
	run -0 amana sign -s k.key -m doc.txt --passphrase-fd 3 3<"$v/minisign-net.password"
	run -0 minisign -V -p "$v/minisign-net.pub" -m doc.txt
	run -0 amana key show "$v/minisign-net.pub"
	assert_stderr_has "2E0447E3B5336F9D"
}
