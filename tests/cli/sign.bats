#!/usr/bin/env bats
# amana sign / verify on files: what minisign users expect.

load ../lib/common

local_setup() {
	mkkey_sign "الأمانة" s
	printf 'التوصية الأولى: تحديث التشريعات\n' >"توصيات.txt"
}

@test "sign writes FILE.minisig with the default trusted comment; verify prints it" {
	run -0 amana sign -s s.key -m "توصيات.txt"
	[ -f "توصيات.txt.minisig" ]
	sed -n 3p "توصيات.txt.minisig" | grep -q "^trusted comment: timestamp:[0-9]*	file:توصيات.txt	hashed$"
	sed -n 2p "توصيات.txt.minisig" | grep -q '^RU[QRST]'   # 'ED', prehashed
	run -0 amana verify -p s.pub -m "توصيات.txt"
	assert_stderr_has "Signature and comment signature verified"
	assert_stderr_has "Trusted comment: timestamp:"
}

@test "sign -t and -x; verify -x and -P" {
	run -0 amana sign -s s.key -m "توصيات.txt" -t "المؤتمر الرابع والعشرون" -x out.sig
	run -0 amana verify -P "$(sed -n 2p s.pub)" -m "توصيات.txt" -x out.sig
	assert_stderr_has "Trusted comment: المؤتمر الرابع والعشرون"
	run -0 amana --json verify -p s.pub -m "توصيات.txt" -x out.sig
	[ "$(sqlite3 :memory: "select json_extract('$output', '\$.trusted_comment')")" = "المؤتمر الرابع والعشرون" ]
}

@test "legacy signatures: signed with --legacy, accepted on verify, refused with -H" {
	run -0 amana sign -s s.key -m "توصيات.txt" --legacy
	sed -n 2p "توصيات.txt.minisig" | grep -q '^RW[QRST]'
	run -0 amana verify -p s.pub -m "توصيات.txt"
	run -1 amana verify -p s.pub -m "توصيات.txt" -H
	assert_stderr_has "legacy"
}

@test "each check fails on its own tampering, exit 1, naming the check" {
	amana -q sign -s s.key -m "توصيات.txt" -t "comment"
	cp "توصيات.txt.minisig" good.sig
	# the file
	printf 'x' >>"توصيات.txt"
	run -1 amana verify -p s.pub -m "توصيات.txt" -x good.sig
	assert_stderr_has "hint: do not trust this file"
	assert_stderr_has "the file does not match its signature"
	truncate -s -1 "توصيات.txt"
	# the trusted comment
	sed 's/^trusted comment: comment$/trusted comment: comment!/' good.sig >tc.sig
	run -1 amana verify -p s.pub -m "توصيات.txt" -x tc.sig
	assert_stderr_has "the trusted comment's signature does not verify"
	# another key
	mkkey_sign other o
	run -1 amana verify -p o.pub -m "توصيات.txt" -x good.sig
	assert_stderr_has "was made by key"
	# the untrusted comment is not covered, as in minisign
	sed '1s/.*/untrusted comment: anything/' good.sig >uc.sig
	run -0 amana verify -p s.pub -m "توصيات.txt" -x uc.sig
}

@test "a malformed signature or key file exits 3" {
	amana -q sign -s s.key -m "توصيات.txt"
	head -3 "توصيات.txt.minisig" >short.sig
	run -3 amana verify -p s.pub -m "توصيات.txt" -x short.sig
	printf 'untrusted comment: x\nnot base64\n' >bad.pub
	run -3 amana verify -p bad.pub -m "توصيات.txt"
}

@test "sign with an encrypted key: right passphrase works, wrong one exits 5" {
	use_passphrase "كلمة المرور"
	amana -q key new sign --name e -o e
	run -0 amana sign -s e.key -m "توصيات.txt" -x e.sig
	run -0 amana verify -p e.pub -m "توصيات.txt" -x e.sig
	use_passphrase "wrong"
	run -5 amana sign -s e.key -m "توصيات.txt" -x e2.sig
	assert_stderr_has "wrong passphrase"
	refute_output_has "wrong\n"
	refute_exists e2.sig
}

@test "sign streams: a 64 MiB file signs in flat memory" {
	[ -x /usr/bin/time ] || { echo "/usr/bin/time is missing (install the 'time' package)" >&2; return 1; }
	head -c $((64 << 20)) /dev/zero >big
	peak_rss rss "$AMANA" -q sign -s s.key -m big
	# Peak RSS in KiB: well under the file's size (64 MiB), whatever the allocator does.
	[ "$(cat rss)" -lt 16384 ]
	run -0 amana verify -p s.pub -m big
}

@test "a failed sign leaves no signature file behind" {
	run -4 amana sign -s s.key -m missing -x out.sig
	refute_exists out.sig
	run -2 amana sign -s s.key -m "توصيات.txt" -t "$(printf 'two\nlines')" -x out.sig
	refute_exists out.sig
	[ -z "$(ls -A | grep '^\.')" ]
}
