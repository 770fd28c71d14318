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
	# The old secretariat vault, given the same root, seals format 2 bundles that name it.
	run -0 sec trust add root.txt
	cp -R "$TOP/docs/examples/conference-24" src
	run -0 sec seal src/outcome.json -s secretariat.key --to "تونس" -o third.amana
	tar -xOf third.amana envelope | grep -q '^format: amana-bundle/2$'
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
