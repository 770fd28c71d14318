#!/usr/bin/env bats
# amana readdress (issue 13): an issued bundle given to other member states without sealing it
# again. A new age header (the same file key) over the body copied byte for byte, a new
# envelope (same bundle id, next sequence, a `readdress:` line) and addendum.age, encrypted to
# the new recipients, that lists them. A state added opens it; one removed cannot open the new
# file but keeps the old one; a state that opened both has its records once; audit and the log
# see one bundle with two addressings; a tampered addendum or header, a header moved onto
# another body, a stripped or smuggled addendum are refused with nothing written; a revoked
# key, another vault, a wrong key or identity cannot readdress.

load ../lib/common

EX="$TOP/docs/examples/conference-24"

# The cast: the secretariat (its vault is $AMANA_HOME) with signing key sec and its own age
# key self (made in its vault, so seal --to-self takes it); member states tn, eg, jo with age
# keys made in their own vaults ($T/v-NAME), each pinning sec. All three are in the
# secretariat's directory, as تونس, مصر and الأردن.
local_setup() {
	mkkey_sign "الأمانة العامة" sec >/dev/null
	mkkey_enc "الأمانة العامة" self >/dev/null
	local s
	for s in tn eg jo; do
		"$AMANA" --vault "$T/v-$s" -q key new encrypt --name "$s" -o "$s" >/dev/null
		"$AMANA" --vault "$T/v-$s" -q trust add sec.pub --name "الأمانة" >/dev/null
	done
	"$AMANA" -q recipient add tn.pub --name "تونس" >/dev/null
	"$AMANA" -q recipient add eg.pub --name "مصر" >/dev/null
	"$AMANA" -q recipient add jo.pub --name "الأردن" >/dev/null
}

# member NAME ARGS...: amana in member state NAME's vault.
member() {
	local who=$1
	shift
	"$AMANA" --vault "$T/v-$who" "$@"
}

# seal24 OUT [ARGS...]: seals the example for تونس and مصر and the secretariat itself (or
# for ARGS when given).
seal24() {
	local out=$1
	shift
	if [ $# -eq 0 ]; then
		set -- --to "تونس" --to "مصر" --to-self
	fi
	"$AMANA" -q seal "$EX/outcome.json" -s sec.key "$@" -o "$out" >/dev/null
}

# readdress IN OUT ARGS...: readdresses IN with the secretariat's keys.
readdress() {
	local in=$1 out=$2
	shift 2
	"$AMANA" -q readdress "$in" -s sec.key -i self.key "$@" -o "$out" >/dev/null
}

# nothing_at PATH: nothing at PATH, and no hidden staging folder or temporary beside it.
nothing_at() {
	refute_exists "$1"
	local dir base left
	dir=$(dirname "$1")
	base=$(basename "$1")
	left=$(ls -A "$dir" | grep -F ".$base." || true)
	if [ -n "$left" ]; then
		echo "left beside $1: $left" >&2
		return 1
	fi
}

# env_field BUNDLE KEY: a line of the bundle's envelope, read with stock tar.
env_field() {
	tar -xOf "$1" envelope | sed -n "s/^$2: //p"
}

# hlen BUNDLE: the size of payload.age's age header, from the envelope.
hlen() {
	env_field "$1" payload-header | cut -d' ' -f3
}

# repack IN OUT SCRIPT [MEMBERS]: IN unpacked into a fresh folder, SCRIPT run there, the
# members (by default those of IN, in its order) packed back as OUT the way amana writes a
# container.
repack() {
	local in=$1 out=$2 script=$3 members=${4:-}
	[ -n "$members" ] || members=$(tar -tf "$in" | tr '\n' ' ')
	rm -rf "$T/rp" && mkdir "$T/rp"
	# shellcheck disable=SC2086
	(cd "$T/rp" && tar -xf "$T/$in" && eval "$script" && amanatar "$T/$out" $members)
}

# json PATH: one JSON path of the last `run`'s output.
json() {
	printf '%s' "$output" >"$T/out.json"
	sqlite3 :memory: "select json_extract(CAST(readfile('$T/out.json') AS TEXT), '$1')"
}

@test "readdress adds a state: it opens the new file, the others still do, the body is the same bytes" {
	seal24 v1.amana
	run -0 amana readdress v1.amana -s sec.key -i self.key --to "تونس" --to "مصر" --to "الأردن" -o v2.amana
	assert_stderr_has "readdressed v2.amana"
	assert_stderr_has "for الأردن"
	[ "$(tar -tf v2.amana | tr '\n' ' ')" = "envelope envelope.minisig addendum.age payload.age log/checkpoint log/proof " ]
	run -0 member jo open v2.amana -i jo.key -o jo-out
	assert_stderr_has "every check passed"
	[ -f "jo-out/files/التوصيات.txt" ]
	cmp "$EX/التوصيات.txt" "jo-out/files/التوصيات.txt"
	# Stock age opens the payload with the new state's key: a tar, the manifest last (format 3).
	tar -xOf v2.amana payload.age >p2.age
	age -d -i jo.key p2.age >inner.tar
	[ "$(tar -tf inner.tar | tail -n 2 | tr '\n' ' ')" = "manifest.sqlite manifest.sqlite.minisig " ]
	[ "$(env_field v2.amana format)" = amana-bundle/3 ]
	# The first recipients still open it.
	run -0 member tn open v2.amana -i tn.key -o tn-out
	run -0 member eg verify v2.amana -i eg.key
	diff -r tn-out jo-out
	# The body (nonce and chunks) is byte for byte the first one's; only the header is new.
	tar -xOf v1.amana payload.age >p1.age
	local h1 h2
	h1=$(hlen v1.amana)
	h2=$(hlen v2.amana)
	tail -c +$((h1 + 1)) p1.age >b1
	tail -c +$((h2 + 1)) p2.age >b2
	cmp b1 b2
	[ "$(env_field v1.amana payload-body)" = "$(env_field v2.amana payload-body)" ]
	[ "$(env_field v1.amana payload-header)" != "$(env_field v2.amana payload-header)" ]
	# One bundle, the next sequence; the readdress line names the first seal.
	[ "$(env_field v2.amana bundle-id)" = "$(env_field v1.amana bundle-id)" ]
	[ "$(env_field v2.amana sequence)" = $(($(env_field v1.amana sequence) + 1)) ]
	[ "$(env_field v2.amana recipients)" = 3 ]
	[ "$(env_field v2.amana readdress | cut -d' ' -f1-2)" = "$(env_field v1.amana sequence) $(env_field v1.amana created)" ]
	[ "$(env_field v2.amana readdress | cut -d' ' -f4)" = "$(tar -xOf v2.amana addendum.age | b2sum | cut -d' ' -f1)" ]
	[ "$(env_field v2.amana readdress | cut -d' ' -f5)" = "$(tar -xOf v2.amana addendum.age | wc -c)" ]
	# The manifest inside still names the first seal (its sequence and recipients).
	[ "$(sqlite3 jo-out/manifest.sqlite "select value from meta where key = 'sequence'")" = "$(env_field v1.amana sequence)" ]
	[ "$(sqlite3 jo-out/manifest.sqlite "select count(*) from recipients where recipient = '$(tail -n 1 jo.pub)'")" = 0 ]
}

@test "readdress replaces a state's key: the new key opens the new file, the old key gets exit 5" {
	seal24 v1.amana
	member eg -q key new encrypt --name eg2 -o eg2 >/dev/null
	amana -q recipient add eg2.pub --name "مصر - المفتاح الجديد"
	readdress v1.amana v2.amana --to "تونس" --to "مصر - المفتاح الجديد"
	# The old key opens the first file (before the state accepts the newer addressing, after
	# which the first one is an older sequence of the same bundle: a rollback).
	run -0 member eg open v1.amana -i eg.key -o first
	run -0 member eg open v2.amana -i eg2.key -o new
	assert_stderr_has "every check passed"
	run -5 member eg open v2.amana -i eg.key -o old
	assert_stderr_has "not for you"
	nothing_at old
	run -5 member eg verify v2.amana -i eg.key
	diff -r new first
	run -1 member eg open v1.amana -i eg.key -o again
	assert_stderr_has "rollback"
	nothing_at again
}

@test "readdress removes a state: exit 5 on the new file, the old file still opens" {
	seal24 v1.amana
	readdress v1.amana v2.amana --to "تونس"
	[ "$(env_field v2.amana recipients)" = 1 ]
	run -5 member eg open v2.amana -i eg.key -o out
	assert_stderr_has "not for you"
	assert_stderr_has "hint:"
	nothing_at out
	run -5 member eg verify v2.amana -i eg.key
	[ "$(sqlite3 "$T/v-eg/vault.db" 'select count(*) from bundles')" = 0 ]
	run -0 member eg open v1.amana -i eg.key -o out
	run -0 member tn open v2.amana -i tn.key -o tn-out
}

@test "a state that opened the first addressing and then the second has each record once" {
	seal24 v1.amana
	readdress v1.amana v2.amana --to "تونس" --to "مصر" --to "الأردن"
	local n
	n=$(sqlite3 :memory: "select json_array_length(readfile('$EX/outcome.json'), '\$.records')")
	[ "$n" = 14 ]
	run -0 member tn open v1.amana -i tn.key -o one
	member tn --json records >r1.json
	member tn --json records --search "الإرهاب" >s1.json
	run -0 member tn open v2.amana -i tn.key -o two
	diff -r one two
	member tn --json records >r2.json
	member tn --json records --search "الإرهاب" >s2.json
	[ "$(sqlite3 :memory: "select json_array_length(readfile('r1.json'))")" = "$n" ]
	[ "$(sqlite3 :memory: "select json_array_length(readfile('r2.json'))")" = "$n" ]
	[ "$(sqlite3 :memory: "select count(distinct json_extract(value, '\$.bundle_id') || ' ' || json_extract(value, '\$.seq'))
		from json_each(readfile('r2.json'))")" = "$n" ]
	# The search finds each record once, the same as before.
	local hits
	hits=$(sqlite3 :memory: "select json_array_length(readfile('s2.json'))")
	[ "$hits" -ge 1 ]
	[ "$(sqlite3 :memory: "select count(distinct json_extract(value, '\$.seq')) from json_each(readfile('s2.json'))")" = "$hits" ]
	[ "$(sqlite3 :memory: "select json_array_length(readfile('s1.json'))")" = "$hits" ]
	# The vault keeps the bundle's records under one id: 14 rows, not 28.
	local id
	id=$(env_field v1.amana bundle-id)
	[ "$(sqlite3 "$T/v-tn/vault.db" "select count(*) from records where bundle_id = '$id'")" = "$n" ]
}

@test "audit of both addressings: one bundle, 2 addressings; --json names the first" {
	seal24 v1.amana
	readdress v1.amana v2.amana --to "تونس" --to "الأردن"
	run -0 member tn audit v1.amana v2.amana
	assert_stderr_has "bundle $(env_field v1.amana bundle-id): 2 addressings, one bundle: sequence"
	assert_stderr_has "verdict: PASS"
	run -0 member tn --json audit v1.amana v2.amana
	printf '%s' "$output" >a.json
	[ "$(sqlite3 :memory: "select json_extract(value, '\$.readdress_of') from json_each(readfile('a.json'), '\$.bundles')
		where json_extract(value, '\$.file') = 'v2.amana'")" = "$(env_field v1.amana sequence)" ]
	[ "$(sqlite3 :memory: "select json_extract(readfile('a.json'), '\$.ok')")" = 1 ]
}

@test "the readdressed bundle is a new leaf of the secretariat's log" {
	seal24 v1.amana
	run -0 amana --json log show
	local before
	before=$(json '$[0].size')
	readdress v1.amana v2.amana --to "الأردن"
	run -0 amana --json log show
	[ "$(json '$[0].size')" = $((before + 1)) ]
	run -0 amana log verify v1.amana v2.amana
	assert_stderr_has "v2.amana: bundle $(env_field v1.amana bundle-id), sequence 2: in the log, consistent"
	run -0 amana log verify
}

@test "a tampered addendum.age is refused with exit 1 and nothing written" {
	seal24 v1.amana
	readdress v1.amana v2.amana --to "تونس" --to "الأردن"
	repack v2.amana t.amana 'flip_byte addendum.age 200'
	run -1 cmp -s v2.amana t.amana
	run -1 member jo verify t.amana -i jo.key
	assert_stderr_has "addendum.age"
	run -1 member jo open t.amana -i jo.key -o out
	nothing_at out
	run -1 member tn open t.amana -i tn.key -o out
	nothing_at out
	run -1 member tn inspect t.amana
	# The same member untouched, repacked: accepted (the repacking is not what is refused).
	repack v2.amana same.amana ':'
	cmp v2.amana same.amana
}

@test "a tampered new header is refused with exit 1" {
	seal24 v1.amana
	readdress v1.amana v2.amana --to "تونس" --to "الأردن"
	# A byte of the line after the version line (the first stanza).
	repack v2.amana t.amana 'flip_byte payload.age $(($(head -n 1 payload.age | wc -c) + 15))'
	run -1 cmp -s v2.amana t.amana
	run -1 member jo open t.amana -i jo.key -o out
	nothing_at out
	run -1 member tn verify t.amana -i tn.key
	run -1 member tn inspect t.amana
}

@test "the new header moved onto another bundle's body is refused with exit 1 and nothing written" {
	seal24 v1.amana
	seal24 other.amana
	readdress v1.amana v2.amana --to "تونس" --to "الأردن"
	local h
	h=$(hlen v2.amana)
	tar -xOf other.amana payload.age | tail -c +$(($(hlen other.amana) + 1)) >other.body
	repack v2.amana t.amana "head -c $h payload.age >p && cat p '$T/other.body' >payload.age && rm p"
	run -1 member jo open t.amana -i jo.key -o out
	nothing_at out
	run -1 member jo verify t.amana -i jo.key
	run -1 member tn open t.amana -i tn.key -o out
	nothing_at out
}

@test "an addendum stripped is exit 1; an addendum added to a bundle that names none is exit 3" {
	seal24 v1.amana
	readdress v1.amana v2.amana --to "تونس" --to "الأردن"
	repack v2.amana strip.amana ':' "envelope envelope.minisig payload.age log/checkpoint log/proof"
	run -1 member tn open strip.amana -i tn.key -o out
	assert_stderr_has "stripped"
	nothing_at out
	run -1 member tn verify strip.amana
	assert_stderr_has "stripped"
	tar -xOf v2.amana addendum.age >"$T/addendum.age"
	repack v1.amana smuggled.amana "cp '$T/addendum.age' ." \
		"envelope envelope.minisig addendum.age payload.age log/checkpoint log/proof"
	run -3 member tn open smuggled.amana -i tn.key -o out
	assert_stderr_has "addendum.age"
	nothing_at out
	run -3 member tn verify smuggled.amana -i tn.key
}

@test "a key revoked in the issuer's root cannot readdress" {
	local k
	for k in ra rb rc sec2; do mkkey_sign "$k" "$k" >/dev/null; done
	amana -q root new --name "الأمانة العامة" --root-key ra.pub --root-key rb.pub --root-key rc.pub --threshold 2 \
		--signing-key sec.pub --not-before 2020-01-01 --not-after 2099-12-31 -o root.txt
	amana -q root sign root.txt -s ra.key
	amana -q root sign root.txt -s rb.key
	amana -q trust add root.txt
	seal24 v1.amana
	tar -xOf v1.amana envelope | grep -q '^root: '
	# Before the revocation, sec readdresses under the root.
	readdress v1.amana ok.amana --to "الأردن"
	tar -xOf ok.amana envelope | grep -q '^root: '
	local sec
	sec=$(env_field v1.amana issuer)
	amana -q root rotate root.txt -o root2.txt --revoke "$sec" --add-signing-key sec2.pub
	amana -q root sign root2.txt -s ra.key
	amana -q root sign root2.txt -s rc.key
	amana -q trust add root2.txt
	local size
	size=$(sqlite3 "$AMANA_HOME/vault.db" "select count(*) from bundles where direction = 'issued'")
	run -1 amana readdress v1.amana -s sec.key -i self.key --to "الأردن" -o rev.amana
	assert_stderr_has "revoked"
	nothing_at rev.amana
	[ "$(sqlite3 "$AMANA_HOME/vault.db" "select count(*) from bundles where direction = 'issued'")" = "$size" ]
}

@test "readdress refusals: another vault's bundle, a wrong key or identity, an existing output, missing options" {
	seal24 v1.amana
	# Not issued by this vault (another secretariat vault, with the same key even).
	run -1 amana --vault "$T/v-other" readdress v1.amana -s sec.key -i self.key --to-self -o x.amana
	assert_stderr_has "not one this vault issued"
	nothing_at x.amana
	# The issued bundle with another signing key.
	mkkey_sign "مزور" other >/dev/null
	run -2 amana readdress v1.amana -s other.key -i self.key --to "الأردن" -o x.amana
	assert_stderr_has "not with this key"
	nothing_at x.amana
	# An identity the bundle was not sealed for; and a bundle not sealed --to-self.
	run -5 amana readdress v1.amana -s sec.key -i jo.key --to "الأردن" -o x.amana
	assert_stderr_has "--to-self"
	nothing_at x.amana
	seal24 noself.amana --to "تونس"
	run -5 amana readdress noself.amana -s sec.key -i self.key --to "الأردن" -o x.amana
	assert_stderr_has "hint:"
	assert_stderr_has "--to-self"
	nothing_at x.amana
	# An existing output.
	echo precious >taken.amana
	run -4 amana readdress v1.amana -s sec.key -i self.key --to "الأردن" -o taken.amana
	assert_stderr_has "already exists"
	[ "$(cat taken.amana)" = precious ]
	[ -z "$(ls -A | grep '^\.taken\.amana')" ]
	# Missing -o, -i, -s, recipients.
	run -2 amana readdress v1.amana -s sec.key -i self.key --to "الأردن"
	assert_stderr_has "-o"
	run -2 amana readdress v1.amana -s sec.key --to "الأردن" -o x.amana
	assert_stderr_has "-i"
	run -2 amana readdress v1.amana -i self.key --to "الأردن" -o x.amana
	assert_stderr_has "-s"
	run -2 amana readdress v1.amana -s sec.key -i self.key --to "ليبيا" -o x.amana
	assert_stderr_has "ليبيا"
	nothing_at x.amana
	# Nothing was issued by any of these.
	[ "$(sqlite3 "$AMANA_HOME/vault.db" "select count(*) from bundles where direction = 'issued'")" = 2 ]
}

@test "Arabic recipient names round-trip in the addendum" {
	seal24 v1.amana
	local name="وزارة الداخلية – المملكة الأردنية الهاشمية"
	member jo -q key new encrypt --name "$name" -o jo2 >/dev/null
	amana -q recipient add jo2.pub --name "$name"
	readdress v1.amana v2.amana --to "تونس" --to "$name"
	tar -xOf v2.amana addendum.age >add.age
	age -d -i jo2.key add.age >add.txt
	[ "$(sed -n 1p add.txt)" = "format: amana-addendum/1" ]
	grep -qxF "recipient: $(tail -n 1 jo2.pub) $name" add.txt
	grep -qxF "recipient: $(tail -n 1 tn.pub) تونس" add.txt
	[ "$(sed -n 's/^bundle-id: //p' add.txt)" = "$(env_field v2.amana bundle-id)" ]
	[ "$(sed -n 's/^sequence: //p' add.txt)" = "$(env_field v2.amana sequence)" ]
	[ "$(sed -n 's/^payload-body: //p' add.txt)" = "$(env_field v2.amana payload-body)" ]
	[ "$(sed -n 's/^recipients: //p' add.txt)" = 2 ]
	[ "$(grep -c '^recipient: ' add.txt)" = 2 ]
	# The secretariat's own key is not among this addressing's: it cannot read the addendum.
	run -1 age -d -i self.key add.age
	run -0 member jo open v2.amana -i jo2.key -o out
}

@test "a format 1 bundle is readdressed by the old secretariat vault; the new state verifies it" {
	local fx=$TOP/tests/fixtures/v1
	export LC_ALL=C.UTF-8
	cp "$fx"/*.amana "$fx"/*.pub "$fx"/*.key .
	chmod 600 ./*.key
	mkdir -p sv
	cp "$fx/secretariat.vault/vault.db" sv/
	tar -xOf conference-24.amana envelope | grep -qx 'format: amana-bundle/1'
	# None of the fixture's age keys is the secretariat's own: Tunisia's, a recipient of
	# bundle 1, opens its header.
	run -0 amana --vault "$T/sv" readdress conference-24.amana -s secretariat.key -i tunisia.key \
		--to "مصر" --to "الأردن" -o re.amana
	assert_stderr_has "first sealed as sequence 1"
	[ "$(env_field re.amana format)" = amana-bundle/2 ]
	[ "$(env_field re.amana sequence)" = 3 ]
	[ "$(env_field re.amana readdress | cut -d' ' -f1)" = 1 ]
	amana --vault "$T/v-j" -q trust add secretariat.pub --name "الأمانة العامة"
	run -0 amana --vault "$T/v-j" verify re.amana -i jordan.key
	run -0 amana --vault "$T/v-j" open re.amana -i jordan.key -o out
	cmp "$EX/التوصيات.txt" "out/files/التوصيات.txt"
	run -0 amana --vault "$T/v-j" verify re.amana -i egypt.key
	run -5 amana --vault "$T/v-j" verify re.amana -i tunisia.key
	run -0 amana --vault "$T/sv" log verify conference-24.amana re.amana
}

@test "readdress: a bundle whose age header was altered on disk is refused as altered (exit 1), not as a key mismatch" {
	seal24 v1.amana
	local h
	h=$(hlen v1.amana)
	repack v1.amana bad.amana "flip_byte payload.age $((h / 2))"
	run -1 amana readdress bad.amana -s sec.key -i self.key --to "الأردن" -o v2.amana
	assert_stderr_has "altered"
	nothing_at v2.amana
}
