#!/usr/bin/env bats
# What an older amana wrote keeps working: the bundles, keys, record proof and vaults of
# tests/fixtures/v1 (format amana-bundle/1, vault schema 5, written by amana 0.1.0 at commit
# 18843a8; see its README.md). Each test works on copies; the fixtures are never changed.

load ../lib/common

FX=$TOP/tests/fixtures/v1

local_setup() {
	export LC_ALL=C.UTF-8
	cp "$FX"/*.amana "$FX"/*.pub "$FX"/*.key "$FX"/record-3.proof .
	chmod 600 ./*.key
	mkdir -p tunisia-vault secretariat-vault
	cp "$FX/tunisia.vault/vault.db" tunisia-vault/
	cp "$FX/secretariat.vault/vault.db" secretariat-vault/
}

tun() { amana --vault "$T/tunisia-vault" "$@"; }
sec() { amana --vault "$T/secretariat-vault" "$@"; }

@test "a format 1 bundle verifies and opens in a new vault that pins the issuer's key" {
	amana -q trust add secretariat.pub --name "الأمانة العامة"
	run -0 amana verify conference-24.amana -i egypt.key
	run -0 amana open conference-24.amana -i egypt.key -o out
	[ -f out/manifest.sqlite ]
	[ -f "out/files/التوصيات.txt" ]
	cmp "out/files/التوصيات.txt" "$TOP/docs/examples/conference-24/التوصيات.txt"
	run -0 amana open conference-24-jordan.amana -i jordan.key -o out2
	run -5 amana verify conference-24-jordan.amana -i egypt.key
}

@test "an old member vault (schema 5) opens, keeps its pin and its records, and accepts the next bundle" {
	run -0 tun trust list
	assert_stderr_has "الأمانة العامة"
	run -0 tun --json records
	[[ "$output" == *'"seq":14'* ]]
	run -0 tun records --search "الإرهاب"
	[ -n "$output" ]
	# Bundle 1 again is the same bundle; bundle 2 extends the log this vault remembers.
	run -0 tun verify conference-24.amana -i tunisia.key
	run -0 tun inspect conference-24-jordan.amana
	[ "$(sqlite3 tunisia-vault/vault.db 'pragma user_version')" -ge 5 ]
}

@test "an old secretariat vault (schema 5) keeps its log and seals the next bundle after it" {
	run -0 sec log verify
	run -0 sec log verify conference-24.amana conference-24-jordan.amana
	cp -R "$TOP/docs/examples/conference-24" src
	run -0 sec seal src/outcome.json -s secretariat.key --to "تونس" -o third.amana
	[ "$(tar -xOf third.amana envelope | sed -n 's/^sequence: //p')" = 3 ]
	run -0 sec log verify
	run -0 sec log verify conference-24.amana third.amana
}

@test "a format 1 record proof still verifies, and a forged copy does not" {
	run -0 amana record verify record-3.proof -p secretariat.pub
	sed 's/^kind: .*/kind: decision-forged/' record-3.proof >forged.proof
	run -1 amana record verify forged.proof -p secretariat.pub
}

# mkroot FILE: a 2-of-3 root (version 1, signed by two) whose signing key is the fixtures'
# secretariat key, valid since before the fixtures were sealed.
mkroot() {
	local k
	for k in ra rb rc; do mkkey_sign "root $k" "$k"; done
	amana -q root new --name "الأمانة العامة" --root-key ra.pub --root-key rb.pub --root-key rc.pub \
		--threshold 2 --signing-key secretariat.pub --not-before 2020-01-01 --not-after 2099-12-31 -o "$1"
	amana -q root sign "$1" -s ra.key
	amana -q root sign "$1" -s rb.key
}

@test "an old member vault (schema 5) moves its key pin to a root with one trust add; format 1 bundles still verify" {
	mkroot root.txt
	run -0 tun trust add root.txt
	assert_stderr_has "now trusted through the root"
	[ "$(sqlite3 tunisia-vault/vault.db 'pragma user_version')" -eq 7 ]
	[ "$(sqlite3 tunisia-vault/vault.db "select count(*) from trusted_keys where role = 'issuer'")" -eq 0 ]
	[ "$(sqlite3 tunisia-vault/vault.db 'select version from trusted_roots')" -eq 1 ]
	run -0 tun --json verify conference-24.amana -i tunisia.key
	[[ "$output" == *'"through":"root"'* ]]
	[[ "$output" == *'"key_state":"valid"'* ]]
	run -0 tun verify conference-24-jordan.amana
	# The old secretariat vault, given the same root, seals format 3 bundles that name it.
	run -0 sec trust add root.txt
	cp -R "$TOP/docs/examples/conference-24" src
	run -0 sec seal src/outcome.json -s secretariat.key --to "تونس" -o third.amana
	tar -xOf third.amana envelope | grep -q '^format: amana-bundle/3$'
	tar -xOf third.amana envelope | grep -q '^root: '
	run -0 tun open third.amana -i tunisia.key -o third
	# A fresh vault that pins only the root accepts the format 1 bundles and the record proof.
	run -0 amana trust add root.txt
	run -0 amana verify conference-24.amana -i egypt.key
	run -0 amana record verify record-3.proof
}

@test "a format 1 bundle signed outside the key's window in the pinned root is refused" {
	local k
	for k in ra rb; do mkkey_sign "root $k" "$k"; done
	amana -q root new --name "الأمانة العامة" --root-key ra.pub --root-key rb.pub --threshold 1 \
		--signing-key secretariat.pub --not-before 2099-01-01 --not-after 2099-12-31 -o late.txt
	amana -q root sign late.txt -s ra.key
	run -0 amana trust add late.txt
	run -1 amana verify conference-24.amana -i egypt.key
	assert_stderr_has "not yet valid"
	run -1 amana record verify record-3.proof
	assert_stderr_has "not yet valid"
}

# ---- format 2 and vault schema 7 (tests/fixtures/v2) -----------------------------------------
# What amana wrote at commit 964d10f (format amana-bundle/2 under a 2-of-3 trust root, a
# readdressed bundle, a rotation revoking sec from log position 2 and adding sec2, vault
# schema 7; see tests/fixtures/v2/README.md). SOURCE_DATE_EPOCH stays unset here (it would
# also set amana's "now"): the fixtures' roots and key windows run to 2099.

FX2=$TOP/tests/fixtures/v2

# fx2: copies of the v2 fixtures in $T/v2 (keys 0600, the two vaults as tv2/ and sv2/), and
# cd there.
fx2() {
	mkdir -p "$T/v2" && cd "$T/v2" || return 1
	cp "$FX2"/*.amana "$FX2"/*.pub "$FX2"/*.key "$FX2"/*.txt "$FX2"/record-3.proof .
	chmod 600 ./*.key
	mkdir -p tv2 sv2
	cp "$FX2/tunisia.vault/vault.db" tv2/
	cp "$FX2/secretariat.vault/vault.db" sv2/
}

tun2() { amana --vault "$T/v2/tv2" "$@"; }
sec2v() { amana --vault "$T/v2/sv2" "$@"; }

# jfield FILE PATH: one JSON path of a file.
jfield() {
	sqlite3 :memory: "select json_extract(CAST(readfile('$1') AS TEXT), '$2')"
}

@test "a format 2 bundle under a root (fixture) verifies and opens in a new vault that pins the root" {
	fx2
	tar -xOf conference-24.amana envelope | grep -qx 'format: amana-bundle/2'
	tar -xOf conference-24.amana envelope | grep -q "^root: $(sed -n 's/^root-id: //p' root-v1.txt) 1 "
	tar -xOf conference-24.amana root | cmp - root-v1.txt
	run -0 amana trust add root-v1.txt
	amana --json verify conference-24.amana -i egypt.key >v.json
	[ "$(jfield v.json '$.trust.through')" = root ]
	[ "$(jfield v.json '$.trust.key_state')" = valid ]
	[ "$(jfield v.json '$.trust.root_version')" = 1 ]
	run -0 amana open conference-24.amana -i egypt.key -o out
	[ -f out/manifest.sqlite ]
	cmp "out/files/التوصيات.txt" "$TOP/docs/examples/conference-24/التوصيات.txt"
	cmp out/files/archive-photo.png "$TOP/docs/examples/conference-24/archive-photo.png"
	# Jordan was not among its recipients.
	run -5 amana verify conference-24.amana -i jordan.key
}

@test "the fixture readdressed bundle opens for jordan, and tunisia keeps one set of records" {
	fx2
	local id
	id=$(tar -xOf conference-24.amana envelope | sed -n 's/^bundle-id: //p')
	[ "$(tar -tf conference-24-readdressed.amana | tr '\n' ' ')" = "envelope envelope.minisig root addendum.age payload.age log/checkpoint log/proof " ]
	[ "$(tar -xOf conference-24-readdressed.amana envelope | sed -n 's/^bundle-id: //p')" = "$id" ]
	[ "$(tar -xOf conference-24-readdressed.amana envelope | sed -n 's/^readdress: //p' | cut -d' ' -f1)" = 1 ]
	amana --vault "$T/v-jo" -q trust add root-v1.txt
	run -0 amana --vault "$T/v-jo" open conference-24-readdressed.amana -i jordan.key -o jo
	cmp "jo/files/التوصيات.txt" "$TOP/docs/examples/conference-24/التوصيات.txt"
	run -0 amana --vault "$T/v-jo" verify conference-24-readdressed.amana -i egypt.key
	# Tunisia opened the first addressing when the fixture was made; the second adds nothing.
	[ "$(sqlite3 tv2/vault.db "select count(*) from records where bundle_id = '$id'")" = 14 ]
	run -0 tun2 open conference-24-readdressed.amana -i tunisia.key -o tn
	diff -r jo tn
	[ "$(sqlite3 tv2/vault.db "select count(*) from records where bundle_id = '$id'")" = 14 ]
	tun2 --json records >r.json
	[ "$(sqlite3 :memory: "select json_array_length(readfile('r.json'))")" = 14 ]
	tun2 --json records --search "الإرهاب" >s.json
	local hits
	hits=$(sqlite3 :memory: "select json_array_length(readfile('s.json'))")
	[ "$hits" -ge 1 ]
	[ "$(sqlite3 :memory: "select count(distinct json_extract(value, '\$.seq')) from json_each(readfile('s.json'))")" = "$hits" ]
}

@test "a vault pinned to root version 1 learns version 2 from the sec2 bundle, then refuses a bundle sealed with sec after the revocation" {
	fx2
	local sec
	sec=$(sed -n 1p sec.pub | sed 's/.*key \([0-9A-F]*\),.*/\1/')
	grep -q "^revoked: $sec 2 [0-9a-f]\{64\}$" root-chain.txt
	run -0 tun2 trust list
	assert_stderr_has "version 1,"
	refute_output_has "(revoked)"
	run -0 tun2 verify conference-24-sec2.amana -i tunisia.key
	assert_stderr_has "learnt from this bundle"
	run -0 tun2 trust list
	assert_stderr_has "version 2,"
	assert_stderr_has "signing key $sec (revoked)"
	# A thief with the fixture's sec key and a fresh vault that pinned version 1 seals until
	# its sequence passes the revocation position (2): its third bundle is at position 2.
	amana --vault "$T/thief" -q trust add root-v1.txt
	amana --vault "$T/thief" -q recipient add tunisia.pub --name "تونس"
	local i
	for i in 1 2 3; do
		amana --vault "$T/thief" -q seal "$TOP/docs/examples/conference-24/outcome.json" -s sec.key \
			--to "تونس" -o "t$i.amana"
	done
	[ "$(tar -xOf t3.amana envelope | sed -n 's/^sequence: //p')" = 3 ]
	tar -xOf t3.amana envelope | grep -q '^root: [0-9a-f]\{32\} 1 '
	run -1 tun2 verify t3.amana -i tunisia.key
	assert_stderr_has "key $sec was revoked by root 'الأمانة العامة' version 2 from log position 2; this bundle is at position 2 (revoked)"
	run -1 tun2 open t3.amana -i tunisia.key -o t3
	refute_exists t3
	# Its bundle at position 1 is not on the log the revocation pins.
	run -1 tun2 verify t2.amana -i tunisia.key
	assert_stderr_has "forked or was rolled back"
	# The real bundle at position 1 is accepted, as before the revocation.
	tun2 --json verify conference-24-readdressed.amana -i tunisia.key >v.json
	[ "$(jfield v.json '$.trust.key_state')" = valid-before-revocation ]
	[ "$(jfield v.json '$.trust.root_version')" = 2 ]
}

@test "the fixture schema-7 vaults open and keep their pins and records" {
	fx2
	[ "$(sqlite3 tv2/vault.db 'pragma user_version')" -eq 7 ]
	[ "$(sqlite3 sv2/vault.db 'pragma user_version')" -eq 7 ]
	# Tunisia: root version 1 pinned, bundle 1's 14 records indexed.
	run -0 tun2 trust list
	assert_stderr_has "الأمانة العامة  version 1,"
	run -0 tun2 --json records
	[[ "$output" == *'"seq":14'* ]]
	run -0 tun2 records --search "الإرهاب"
	[ -n "$output" ]
	run -0 tun2 verify conference-24.amana -i tunisia.key
	# The secretariat: versions 1 and 2 pinned, sec revoked, the logs of sec and sec2.
	run -0 sec2v trust list
	assert_stderr_has "version 2,"
	assert_stderr_has "(revoked)"
	run -0 sec2v log verify
	run -0 sec2v log verify conference-24.amana conference-24-readdressed.amana conference-24-sec2.amana
	cp -R "$TOP/docs/examples/conference-24" src
	run -1 sec2v seal src/outcome.json -s sec.key --to "تونس" -o no.amana
	assert_stderr_has "(revoked)"
	refute_exists no.amana
	run -0 sec2v seal src/outcome.json -s sec2.key --to "تونس" --to "الأردن" -o next.amana
	[ "$(tar -xOf next.amana envelope | sed -n 's/^sequence: //p')" = 2 ]
	tar -xOf next.amana envelope | grep -q '^root: [0-9a-f]\{32\} 2 '
	run -0 sec2v log verify
	run -0 tun2 open next.amana -i tunisia.key -o next
	run -0 tun2 trust list
	assert_stderr_has "version 2,"
}

@test "the format 2 record proof verifies" {
	fx2
	grep -q '^root: ' record-3.proof
	run -0 amana record verify record-3.proof -p sec.pub
	assert_stderr_has "verified: record 3 of 14"
	sed 's/^kind: .*/kind: decision-forged/' record-3.proof >forged.proof
	run -1 amana record verify forged.proof -p sec.pub
	run -1 amana record verify record-3.proof -p sec2.pub
	# With the issuer trusted through the root: in the vault that exported it, and in a new
	# vault that pins root version 1.
	run -0 tun2 record verify record-3.proof
	run -0 amana --vault "$T/v-r1" trust add root-v1.txt
	run -0 amana --vault "$T/v-r1" record verify record-3.proof
}
