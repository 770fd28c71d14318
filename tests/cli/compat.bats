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
