#!/usr/bin/env bats
# Bundles from the command line, on the 24th conference's outcome: a secretariat seals it for
# two member states, which inspect, verify and open it; a third is refused; every refusal has
# its exit code and message and leaves nothing behind; the vaults remember what was issued and
# received; Arabic names and texts round-trip byte for byte; memory stays flat.

load ../lib/common

EX="$TOP/docs/examples/conference-24"

# The cast, made for every test: the secretariat (its vault is $AMANA_HOME) with signing key
# sec, and three member states tn, eg, ma with age keys and their own vaults ($T/v-NAME),
# each pinning the secretariat. tn and eg are in the secretariat's recipients directory as
# تونس and مصر; ma is not.
local_setup() {
	mkkey_sign "الأمانة العامة" sec >/dev/null
	local s
	for s in tn eg ma; do
		mkkey_enc "$s" "$s" >/dev/null
		"$AMANA" --vault "$T/v-$s" -q trust add sec.pub --name "الأمانة" >/dev/null
	done
	"$AMANA" -q recipient add tn.pub --name "تونس" >/dev/null
	"$AMANA" -q recipient add eg.pub --name "مصر" >/dev/null
}

# member NAME ARGS...: amana in member state NAME's vault.
member() {
	local who=$1
	shift
	"$AMANA" --vault "$T/v-$who" "$@"
}

# seal24 OUT [ARGS...]: seals the example for تونس and مصر (or for ARGS when given).
seal24() {
	local out=$1
	shift
	if [ $# -eq 0 ]; then
		set -- --to "تونس" --to "مصر"
	fi
	"$AMANA" -q seal "$EX/outcome.json" -s sec.key "$@" -o "$out" >/dev/null
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

# json_ok FILE: FILE holds one valid JSON text (SQLite's json_valid).
json_ok() {
	local v
	v=$(sqlite3 :memory: "select json_valid(readfile('$1'))")
	if [ "$v" != 1 ]; then
		echo "not valid JSON: $(cat "$1")" >&2
		return 1
	fi
}

# env_field BUNDLE KEY: a line of the bundle's envelope, read with stock tar.
env_field() {
	tar -xOf "$1" envelope | sed -n "s/^$2: //p"
}

@test "both recipients open the conference-24 bundle into identical trees" {
	seal24 b.amana
	run -0 member tn open b.amana -i tn.key -o tn-out
	assert_stderr_has "opened b.amana"
	assert_stderr_has "every check passed"
	run -0 member eg open b.amana -i eg.key -o eg-out
	diff -r tn-out eg-out
	[ -f tn-out/manifest.sqlite ]
	[ -f tn-out/manifest.sqlite.minisig ]
	[ "$(ls tn-out/files | LC_ALL=C sort)" = "$(printf '%s\n' archive-photo.png التوصيات.txt)" ]
	# Recipients by name from the secretariat's directory.
	[ "$(sqlite3 tn-out/manifest.sqlite 'select count(*) from recipients')" = 2 ]
	[ "$(sqlite3 tn-out/manifest.sqlite "select recipient from recipients where name = 'تونس'")" = "$(tail -n 1 tn.pub)" ]
	[ "$(sqlite3 tn-out/manifest.sqlite "select recipient from recipients where name = 'مصر'")" = "$(tail -n 1 eg.pub)" ]
	[ "$(env_field b.amana recipients)" = 2 ]
}

@test "Arabic file names and record texts round-trip byte for byte" {
	seal24 b.amana
	run -0 member tn open b.amana -i tn.key -o out
	cmp "$EX/التوصيات.txt" "out/files/التوصيات.txt"
	cmp "$EX/archive-photo.png" out/files/archive-photo.png
	# Every record's kind, lang, title and body, as bytes, against outcome.json's strings.
	local n same
	n=$(sqlite3 :memory: "select json_array_length(readfile('$EX/outcome.json'), '\$.records')")
	[ "$n" -ge 10 ]
	[ "$(sqlite3 out/manifest.sqlite 'select count(*) from records')" = "$n" ]
	same=$(sqlite3 out/manifest.sqlite "select count(*) from records r join json_each(readfile('$EX/outcome.json'), '\$.records') j on r.seq = j.key + 1
		where hex(r.body) = hex(json_extract(j.value, '\$.body')) and hex(r.title) = hex(json_extract(j.value, '\$.title'))
		and r.kind = json_extract(j.value, '\$.kind') and r.lang = json_extract(j.value, '\$.lang')")
	[ "$same" = "$n" ]
	# The conference, the participants, and the files' digests as b2sum prints them.
	[ "$(sqlite3 out/manifest.sqlite 'select hex(title) from conference')" = \
	  "$(sqlite3 :memory: "select hex(json_extract(readfile('$EX/outcome.json'), '\$.conference.title'))")" ]
	[ "$(sqlite3 out/manifest.sqlite 'select count(*) from participants')" = \
	  "$(sqlite3 :memory: "select json_array_length(readfile('$EX/outcome.json'), '\$.participants')")" ]
	[ "$(sqlite3 out/manifest.sqlite "select blake2b from files where path = 'التوصيات.txt'")" = \
	  "$(b2sum "$EX/التوصيات.txt" | cut -d' ' -f1)" ]
	# The envelope's title too (stock tar reads it).
	[ "$(env_field b.amana title)" = "$(sqlite3 :memory: "select json_extract(readfile('$EX/outcome.json'), '\$.conference.title')")" ]
}

@test "a member state that is not a recipient is refused with exit 5 and nothing written" {
	seal24 b.amana
	run -5 member ma open b.amana -i ma.key -o ma-out
	assert_stderr_has "not for you"
	assert_stderr_has "hint:"
	nothing_at ma-out
	run -5 member ma verify b.amana -i ma.key
	assert_stderr_has "not for you"
	# Nothing was recorded as received.
	[ "$(sqlite3 "$T/v-ma/vault.db" 'select count(*) from bundles')" = 0 ]
}

@test "an unpinned issuer: inspect, verify and open exit 1 and say so" {
	seal24 b.amana
	run -1 amana --vault "$T/v-none" inspect b.amana
	assert_stderr_has "is not pinned in this vault"
	assert_stderr_has "amana trust add"
	assert_stderr_has "NO: origin cannot be confirmed"
	run -1 amana --vault "$T/v-none" verify b.amana
	assert_stderr_has "is not pinned in this vault"
	run -1 amana --vault "$T/v-none" verify b.amana -i tn.key
	assert_stderr_has "is not pinned in this vault"
	run -1 amana --vault "$T/v-none" open b.amana -i tn.key -o out
	assert_stderr_has "is not pinned in this vault"
	nothing_at out
	# Pinned under another key id (another issuer's key) is not pinned either.
	mkkey_sign other other
	amana --vault "$T/v-other" -q trust add other.pub --name "غيره"
	run -1 amana --vault "$T/v-other" open b.amana -i tn.key -o out
	assert_stderr_has "is not pinned"
	nothing_at out
}

@test "inspect without a key lists what it could not check" {
	seal24 b.amana
	run -0 member ma inspect b.amana
	assert_stderr_has "bundle:      $(env_field b.amana bundle-id)"
	assert_stderr_has "envelope signature   ok"
	assert_stderr_has "payload digest       ok"
	assert_stderr_has "not checked: the inner signature"
	assert_stderr_has "whether this vault is among the recipients"
}

@test "inspect --json is valid JSON and lists what it could not check" {
	seal24 b.amana
	member tn --json inspect b.amana >j.json
	json_ok j.json
	[ "$(sqlite3 :memory: "select json_extract(readfile('j.json'), '\$.ok')")" = 1 ]
	[ "$(sqlite3 :memory: "select json_extract(readfile('j.json'), '\$.checks.envelope_signature')")" = 1 ]
	[ "$(sqlite3 :memory: "select json_array_length(readfile('j.json'), '\$.not_checked')")" -ge 2 ]
	# Unpinned: still valid JSON, "ok" false, the reason given.
	run -1 amana --vault "$T/v-none" --json inspect b.amana
	printf '%s' "$output" | sed -n '/^{/p' >u.json
	json_ok u.json
	[ "$(sqlite3 :memory: "select json_extract(readfile('u.json'), '\$.ok')")" = 0 ]
	[ "$(sqlite3 :memory: "select json_extract(readfile('u.json'), '\$.checks.issuer_pinned')")" = 0 ]
}

@test "verify --json and open --json print valid JSON" {
	seal24 b.amana
	member tn --json verify b.amana >v.json
	json_ok v.json
	member tn --json verify b.amana -i tn.key >vi.json
	json_ok vi.json
	[ "$(sqlite3 :memory: "select json_extract(readfile('vi.json'), '\$.checks.inner')")" = 1 ]
	member tn --json open b.amana -i tn.key -o out >o.json
	json_ok o.json
	[ "$(sqlite3 :memory: "select json_extract(readfile('o.json'), '\$.records')")" = \
	  "$(sqlite3 :memory: "select json_array_length(readfile('$EX/outcome.json'), '\$.records')")" ]
}

@test "verify -i exits 0 and writes nothing" {
	seal24 b.amana
	mkdir tmp
	export TMPDIR="$T/tmp"
	local before after
	before=$(find "$T" -path "$T/v-*" -prune -o -print | LC_ALL=C sort)
	run -0 member tn verify b.amana -i tn.key
	assert_stderr_has "inside               ok"
	run -0 member tn verify b.amana
	assert_stderr_has "not checked"
	after=$(find "$T" -path "$T/v-*" -prune -o -print | LC_ALL=C sort)
	[ "$before" = "$after" ] || { diff <(echo "$before") <(echo "$after") >&2; false; }
	# Not recorded as opened either.
	[ "$(sqlite3 "$T/v-tn/vault.db" 'select count(*) from records')" = 0 ]
}

@test "open into an existing non-empty folder exits 4; into an empty one it works" {
	seal24 b.amana
	mkdir full
	echo keep >full/mine
	run -4 member tn open b.amana -i tn.key -o full
	assert_stderr_has "already exists"
	[ "$(ls -A full)" = mine ]
	[ "$(ls -A | grep -c '^\.full\.')" = 0 ]
	echo data >file
	run -4 member tn open b.amana -i tn.key -o file
	[ "$(cat file)" = data ]
	mkdir empty
	run -0 member tn open b.amana -i tn.key -o empty
	[ -f empty/manifest.sqlite ]
	[ -f "empty/files/التوصيات.txt" ]
	# Without -o: beside the bundle, under its name.
	run -0 member eg open b.amana -i eg.key
	[ -f b/manifest.sqlite ]
	diff -r empty b
}

@test "seal --to age1... seals for a recipient outside the directory" {
	run -0 amana seal "$EX/outcome.json" -s sec.key --to "$(tail -n 1 ma.pub)" -o m.amana
	assert_stderr_has "sealed m.amana"
	run -0 member ma open m.amana -i ma.key -o out
	[ "$(sqlite3 out/manifest.sqlite 'select recipient from recipients')" = "$(tail -n 1 ma.pub)" ]
	run -5 member tn open m.amana -i tn.key -o out2
	nothing_at out2
}

@test "seal --to-all seals for everyone in the directory, and only them" {
	run -0 amana seal "$EX/outcome.json" -s sec.key --to-all -o all.amana
	assert_stderr_has "for تونس"
	assert_stderr_has "for مصر"
	[ "$(env_field all.amana recipients)" = 2 ]
	run -0 member tn open all.amana -i tn.key -o tn-out
	run -0 member eg open all.amana -i eg.key -o eg-out
	run -5 member ma open all.amana -i ma.key -o ma-out
	nothing_at ma-out
	[ "$(sqlite3 tn-out/manifest.sqlite 'select count(*) from recipients')" = 2 ]
}

@test "seal --to an unknown name exits 2 and writes nothing" {
	run -2 amana seal "$EX/outcome.json" -s sec.key --to "ليبيا" -o x.amana
	assert_stderr_has "no recipient named 'ليبيا'"
	nothing_at x.amana
	run -2 amana seal "$EX/outcome.json" -s sec.key -o x.amana
	assert_stderr_has "--to"
	nothing_at x.amana
	[ "$(sqlite3 "$AMANA_HOME/vault.db" 'select count(*) from bundles')" = 0 ]
}

# bad_outcome EXPR: writes bad/outcome.json as the SQL expression EXPR over the example's
# text (readfile('ex.json')), beside copies of its attachments.
bad_outcome() {
	mkdir -p bad
	cp "$EX/outcome.json" ex.json
	cp "$EX/archive-photo.png" "$EX/التوصيات.txt" bad/
	sqlite3 :memory: "select $1" >bad/outcome.json
}

# seal_bad WANT...: sealing bad/outcome.json exits 3, every WANT is in the message, and no
# bundle (nor temporary) is left.
seal_bad() {
	run -3 amana seal bad/outcome.json -s sec.key --to "تونس" -o bad.amana
	local w
	for w in "$@"; do
		assert_stderr_has "$w"
	done
	nothing_at bad.amana
	[ "$(sqlite3 "$AMANA_HOME/vault.db" 'select count(*) from bundles')" = 0 ]
}

@test "seal: an unknown key in outcome.json is exit 3 with its JSON path" {
	bad_outcome "json_set(readfile('ex.json'), '\$.records[2].colour', 'red')"
	seal_bad "records[2].colour" "unknown key"
	bad_outcome "json_set(readfile('ex.json'), '\$.conference.place', 'x')"
	seal_bad "conference.place" "unknown key"
}

@test "seal: a wrong type or a missing field is exit 3 with its JSON path" {
	bad_outcome "json_set(readfile('ex.json'), '\$.records[3].body', 7)"
	seal_bad "records[3].body" "expected a string"
	bad_outcome "json_remove(readfile('ex.json'), '\$.records[1].title')"
	seal_bad "records[1]" "title"
}

@test "seal: an attachment outside the outcome's folder is exit 3 with its JSON path" {
	mkdir -p elsewhere
	cp "$EX/archive-photo.png" elsewhere/
	bad_outcome "json_set(readfile('ex.json'), '\$.attachments[1].path', '../elsewhere/archive-photo.png')"
	seal_bad "attachments[1].path"
	bad_outcome "json_set(readfile('ex.json'), '\$.attachments[1].path', '$T/elsewhere/archive-photo.png')"
	seal_bad "attachments[1].path" "absolute"
}

@test "seal: a symlink leading out of the folder is exit 3 with its JSON path" {
	mkdir -p elsewhere
	cp "$EX/archive-photo.png" elsewhere/
	bad_outcome "json_set(readfile('ex.json'), '\$.attachments[1].path', 'link.png')"
	ln -s ../elsewhere/archive-photo.png bad/link.png
	seal_bad "outside" "attachments[1]"
}

@test "seal: a missing attachment is exit 3 with its JSON path" {
	bad_outcome "json_set(readfile('ex.json'), '\$.attachments[1].path', 'missing.png')"
	seal_bad "missing.png" "attachments[1]"
}

@test "seal: a duplicated attachment is exit 3 with its JSON path" {
	bad_outcome "json_set(readfile('ex.json'), '\$.attachments[1].path', 'archive-photo.png')"
	seal_bad "attachments[1].path" "'archive-photo.png' is listed twice"
}

@test "seal: invalid UTF-8 in outcome.json is exit 3 with its JSON path" {
	bad_outcome "json_set(readfile('ex.json'), '\$.records[2].body', 'BADBYTES')"
	sed -i 's/BADBYTES/\xff\xfe/' bad/outcome.json
	seal_bad "UTF-8" "records[2].body"
}

# libarchive writes names in Unicode's composed form (NFC): a decomposed name (as macOS file
# systems write them) would come out of the inner tar as other bytes than the manifest lists.
@test "seal: a decomposed (NFD) attachment name is exit 3 with its JSON path; its composed form seals and opens" {
	local nfd nfc
	nfd=$(python3 -c 'import unicodedata; print(unicodedata.normalize("NFD", "قرار الأمين.txt"), end="")')
	nfc=$(python3 -c 'import unicodedata; print(unicodedata.normalize("NFC", "قرار الأمين.txt"), end="")')
	[ "$nfd" != "$nfc" ]
	bad_outcome "json_set(readfile('ex.json'), '\$.attachments[1].path', '$nfd')"
	printf 'x' >"bad/$nfd"
	seal_bad "attachments[1].path" "decomposed Unicode form (NFD)" "hint: rename the file"
	bad_outcome "json_set(readfile('ex.json'), '\$.attachments[1].path', '$nfc')"
	printf 'x' >"bad/$nfc"
	run -0 amana -q seal bad/outcome.json -s sec.key --to "تونس" -o nfc.amana
	run -0 member tn open nfc.amana -i tn.key -o out
	cmp "bad/$nfc" "out/files/$nfc"
}

@test "seal: an escaped NUL in a text is exit 3 with its JSON path" {
	bad_outcome "replace(json_set(readfile('ex.json'), '\$.records[2].body', 'aNULb'), 'NUL', '\\u0000')"
	grep -qF 'a\u0000b' bad/outcome.json
	seal_bad "records[2].body" "NUL character"
}

@test "seal refuses to overwrite an existing file (exit 4) and leaves it untouched" {
	echo precious >out.amana
	run -4 amana seal "$EX/outcome.json" -s sec.key --to "تونس" -o out.amana
	assert_stderr_has "already exists"
	assert_stderr_has "hint:"
	[ "$(cat out.amana)" = precious ]
	[ -z "$(ls -A | grep '^\.out\.amana')" ]
	# Without -o the name comes from the conference's number and the sequence.
	run -0 amana seal "$EX/outcome.json" -s sec.key --to "تونس"
	[ "$(ls outcome-24-*.amana)" = "outcome-24-$(env_field outcome-24-*.amana sequence).amana" ]
}

@test "a passphrase-protected identity opens a bundle; a wrong passphrase is exit 5" {
	use_passphrase "كلمة السر الطويلة"
	run -0 amana -q key new encrypt --name pp -o pp --passphrase
	run -1 grep -q AGE-SECRET-KEY pp.key
	amana -q recipient add pp.pub --name "فلسطين"
	seal24 p.amana --to "فلسطين"
	run -0 member tn open p.amana -i pp.key -o out
	[ -f out/manifest.sqlite ]
	use_passphrase "wrong"
	run -5 member tn open p.amana -i pp.key -o out2
	assert_stderr_has "passphrase"
	nothing_at out2
}

@test "sequence numbers go 1, 2, 3 for successive seals and are never reused" {
	seal24 b1.amana
	seal24 b2.amana
	seal24 b3.amana
	[ "$(env_field b1.amana sequence)" = 1 ]
	[ "$(env_field b2.amana sequence)" = 2 ]
	[ "$(env_field b3.amana sequence)" = 3 ]
	# A failed seal does not give its number to a bundle, and deleting bundles frees none.
	run -4 amana seal "$EX/outcome.json" -s sec.key --to "تونس" -o b3.amana
	rm b2.amana b3.amana
	seal24 b4.amana
	seq4=$(env_field b4.amana sequence)
	[ "$seq4" -ge 4 ]
	[ "$(sqlite3 "$AMANA_HOME/vault.db" "select group_concat(sequence, ' ') from (select sequence from bundles where direction = 'issued' order by sequence)")" = "1 2 3 $seq4" ]
	[ "$(sqlite3 "$AMANA_HOME/vault.db" "select count(distinct bundle_id) from bundles where direction = 'issued'")" = 4 ]
	# The signed comment of envelope.minisig repeats it.
	tar -xOf b4.amana envelope.minisig | grep -q "^trusted comment: amana-bundle/3 $(env_field b4.amana bundle-id) $seq4\$"
}

@test "the issued bundle is in the secretariat's vault, the received one and its records in the member's" {
	seal24 b.amana
	id=$(env_field b.amana bundle-id)
	[ "$(sqlite3 "$AMANA_HOME/vault.db" "select direction || ' ' || sequence from bundles where bundle_id = '$id'")" = "issued 1" ]
	run -0 member tn open b.amana -i tn.key -o out
	db="$T/v-tn/vault.db"
	[ "$(sqlite3 "$db" "select direction || ' ' || sequence || ' ' || records from bundles where bundle_id = '$id'")" = \
	  "received 1 $(sqlite3 out/manifest.sqlite 'select count(*) from records')" ]
	# The envelope kept is the bundle's, byte for byte.
	[ "$(sqlite3 "$db" "select hex(envelope) from bundles where bundle_id = '$id'")" = \
	  "$(tar -xOf b.amana envelope | od -An -v -tx1 | tr -d ' \n' | tr a-f A-F)" ]
	# The records, their bodies byte for byte.
	[ "$(sqlite3 "$db" "attach 'out/manifest.sqlite' as m; select count(*) from records v join m.records r using (seq) where v.bundle_id = '$id' and hex(v.body) = hex(r.body) and hex(v.title) = hex(r.title)")" = \
	  "$(sqlite3 out/manifest.sqlite 'select count(*) from records')" ]
}

@test "opening the same bundle twice works, and the vault keeps it once" {
	seal24 b.amana
	run -0 member tn open b.amana -i tn.key -o once
	run -0 member tn open b.amana -i tn.key -o twice
	diff -r once twice
	id=$(env_field b.amana bundle-id)
	[ "$(sqlite3 "$T/v-tn/vault.db" "select count(*) from bundles where bundle_id = '$id'")" = 1 ]
	[ "$(sqlite3 "$T/v-tn/vault.db" "select count(*) from records where bundle_id = '$id'")" = \
	  "$(sqlite3 once/manifest.sqlite 'select count(*) from records')" ]
}

# amana seal gives every bundle a fresh id, so two bundles of one id with different sequence
# numbers cannot be made from the command line; the member's vault is told instead that it
# accepted this bundle's id with a newer sequence, which is what a rollback looks like to it.
@test "a bundle rolled back (an older sequence for an id already accepted) is refused with exit 1" {
	seal24 b.amana
	run -0 member tn open b.amana -i tn.key -o out
	id=$(env_field b.amana bundle-id)
	sqlite3 "$T/v-tn/vault.db" "update bundles set sequence = 7 where bundle_id = '$id' and direction = 'received'"
	run -1 member tn open b.amana -i tn.key -o again
	assert_stderr_has "rollback"
	assert_stderr_has "$id"
	nothing_at again
	run -1 member tn verify b.amana
	assert_stderr_has "rollback"
	run -1 member tn inspect b.amana
	assert_stderr_has "rollback"
}

@test "another envelope under an id and sequence already accepted is refused with exit 1" {
	seal24 b.amana
	run -0 member tn open b.amana -i tn.key -o out
	id=$(env_field b.amana bundle-id)
	sqlite3 "$T/v-tn/vault.db" "update bundles set envelope = cast('another envelope' as blob) where bundle_id = '$id'"
	run -1 member tn open b.amana -i tn.key -o again
	assert_stderr_has "different envelope"
	nothing_at again
}

@test "a tampered copy is refused by inspect, verify and open with exit 1 and nothing written" {
	seal24 b.amana
	cp b.amana t.amana
	# A byte well inside payload.age (after the envelope, its signature and their headers).
	flip_byte t.amana 40000
	run -1 member tn inspect t.amana
	assert_stderr_has "payload.age does not match"
	run -1 member tn verify t.amana -i tn.key
	run -1 member tn open t.amana -i tn.key -o out
	nothing_at out
	# A byte of the envelope's text.
	cp b.amana e.amana
	flip_byte e.amana 600
	run -1 member tn open e.amana -i tn.key -o out
	assert_stderr_has "signature"
	nothing_at out
}

@test "hostile containers are exit 3 with nothing written" {
	seal24 b.amana
	# Not a tar; truncated; a member with a path that climbs out.
	run -3 member tn open "$EX/outcome.json" -i tn.key -o out
	nothing_at out
	head -c 1500 b.amana >cut.amana
	run -3 member tn open cut.amana -i tn.key -o out
	nothing_at out
	# The real members, the first renamed "../envelope" (stock tar would strip the "../").
	python3 - b.amana climb.amana <<-'EOF'
	import sys, tarfile
	with tarfile.open(sys.argv[1]) as src, tarfile.open(sys.argv[2], "w", format=tarfile.PAX_FORMAT) as dst:
	    for m in src.getmembers():
	        data = src.extractfile(m)
	        if m.name == "envelope":
	            m.name = "../envelope"
	        dst.addfile(m, data)
	EOF
	[ "$(tar -tf climb.amana | head -n 1)" = ../envelope ]
	run -3 member tn open climb.amana -i tn.key -o out
	assert_stderr_has "../envelope"
	nothing_at out
	# Compressed.
	gzip -c b.amana >gz.amana
	run -3 member tn open gz.amana -i tn.key -o out
	nothing_at out
	# An extra member at the end (stock tar appends it).
	cp b.amana extra.amana
	echo junk >junk
	tar --format=pax -rf extra.amana junk
	run -3 member tn open extra.amana -i tn.key -o out
	assert_stderr_has "junk"
	nothing_at out
}

@test "sealing and opening a 64 MiB attachment stay under 32 MiB of memory" {
	[ -x /usr/bin/time ] || { echo "/usr/bin/time is missing (install the 'time' package)" >&2; return 1; }
	mkdir big
	head -c $((64 << 20)) /dev/urandom >big/recording.bin
	cat >big/outcome.json <<-'EOF'
	{"conference":{"series":"المؤتمر","number":24,"title":"تسجيل الجلسة","venue":"تونس","held_from":"","held_to":"","organizer":"الأمانة"},
	 "participants":[],
	 "records":[{"kind":"statement","lang":"ar","title":"التسجيل","body":"تسجيل الجلسة الختامية"}],
	 "attachments":[{"path":"recording.bin","caption":"تسجيل","record":1}]}
	EOF
	peak_rss seal.rss "$AMANA" -q seal big/outcome.json -s sec.key --to "تونس" -o big.amana
	peak_rss open.rss "$AMANA" --vault "$T/v-tn" -q open big.amana -i tn.key -o out
	cmp big/recording.bin out/files/recording.bin
	# Peak RSS in KiB: half the attachment's size, whatever the allocator does.
	echo "seal $(cat seal.rss) KiB, open $(cat open.rss) KiB" >&2
	[ "$(cat seal.rss)" -lt 32768 ]
	[ "$(cat open.rss)" -lt 32768 ]
}

@test "sealing an outcome of 100,000 Arabic records stays under 32 MiB of memory: the records stream (issue 14)" {
	[ -x /usr/bin/time ] || { echo "/usr/bin/time is missing (install the 'time' package)" >&2; return 1; }
	mkdir many
	# About 27 MB of outcome.json: diacritics, tatweel, Latin inside Arabic.
	sqlite3 :memory: "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000)
		SELECT json_object('conference', json_object('series','المؤتمر','number',24,'title','توصيات','venue','','held_from','','held_to','','organizer',''),
		'participants', json_array(), 'records', json_group_array(json_object('kind','recommendation','lang','ar',
		'title','التوصية رقم ' || i, 'body','دعا المؤتمرُ الدولَ الأعضاءَ إلى تحديث تشريعاتها ـــ (UN 2178) البند ' || i)))
		FROM n" >many/outcome.json
	peak_rss seal.rss "$AMANA" -q seal many/outcome.json -s sec.key --to "تونس" -o many.amana
	echo "seal of 100,000 records: $(cat seal.rss) KiB" >&2
	# 32 MiB; under AddressSanitizer 64 MiB (its redzones on SQLite's page cache: 40 MiB
	# measured, against 15 MiB without it). Holding the records took 120 MiB without it.
	local limit=32768
	if under_asan; then limit=65536; fi
	[ "$(cat seal.rss)" -lt "$limit" ]
	# The records are all there, in order, byte for byte.
	run -0 "$AMANA" --vault "$T/v-tn" -q open many.amana -i tn.key -o out
	[ "$(sqlite3 out/manifest.sqlite 'select count(*) from records')" = 100000 ]
	[ "$(sqlite3 out/manifest.sqlite 'select body from records where seq = 77777')" = "دعا المؤتمرُ الدولَ الأعضاءَ إلى تحديث تشريعاتها ـــ (UN 2178) البند 77777" ]
	[ "$(sqlite3 out/manifest.sqlite 'select title from records where seq = 100000')" = "التوصية رقم 100000" ]
}

@test "--threads 1 seals, opens, encrypts and decrypts on one thread, interchangeably with the default" {
	# A shim that notes every pthread_create, to see which path ran.
	cc -shared -fPIC -O1 -o threads.so -x c - -ldl <<-'EOF'
	#define _GNU_SOURCE
	#include <dlfcn.h>
	#include <pthread.h>
	#include <stdio.h>
	#include <stdlib.h>
	int pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*f)(void *), void *arg)
	{
		const char *log = getenv("THREADS_LOG");
		FILE *fp = log ? fopen(log, "a") : NULL;
		if (fp) { fputs("thread\n", fp); fclose(fp); }
		int (*real)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *) =
			(int (*)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *))dlsym(RTLD_NEXT, "pthread_create");
		return real(t, a, f, arg);
	}
	EOF
	mkdir big
	head -c $((3 << 20)) /dev/urandom >big/recording.bin
	printf 'محضر الجلسة\n' >big/"محضر.txt"
	cat >big/outcome.json <<-'EOF'
	{"conference":{"series":"المؤتمر","number":24,"title":"تسجيل","venue":"","held_from":"","held_to":"","organizer":""},
	 "participants":[],
	 "records":[{"kind":"statement","lang":"ar","title":"التسجيل","body":"تسجيلُ الجلسةِ الختاميّة"}],
	 "attachments":[{"path":"recording.bin","caption":"تسجيل","record":1},{"path":"محضر.txt","caption":"محضر","record":1}]}
	EOF
	threads() { # threads LOG CMD...: CMD with the shim; prints how many threads it started
		rm -f "$1"
		local log=$1
		shift
		LD_PRELOAD="$T/threads.so" THREADS_LOG="$log" "$@" >/dev/null
		if [ -f "$log" ]; then wc -l <"$log"; else echo 0; fi
	}
	[ "$(threads t1 "$AMANA" --threads 1 -q seal big/outcome.json -s sec.key --to "تونس" -o one.amana)" = 0 ]
	[ "$(threads t2 "$AMANA" --vault "$T/v-tn" -q open one.amana -i tn.key -o out-a --threads 1)" = 0 ]
	[ "$(threads t3 "$AMANA" -q encrypt -R tn.pub -o r.age --threads 1 big/recording.bin)" = 0 ]
	[ "$(threads t4 "$AMANA" -q decrypt -i tn.key -o r.out --threads 1 r.age)" = 0 ]
	cmp big/recording.bin r.out
	# The default on this machine: threads when there is more than one core.
	local n
	n=$(threads t5 "$AMANA" -q seal big/outcome.json -s sec.key --to "تونس" -o two.amana)
	if [ "$(nproc)" -gt 1 ]; then [ "$n" -gt 0 ]; else [ "$n" = 0 ]; fi
	# Each opens what the other made.
	member tn -q open two.amana -i tn.key -o out-b --threads 1
	member tn -q open one.amana -i tn.key -o out-c
	for d in out-a out-b out-c; do
		cmp big/recording.bin "$d/files/recording.bin"
		cmp big/"محضر.txt" "$d/files/محضر.txt"
	done
	run -2 amana --threads 2 verify one.amana
	assert_stderr_has "--threads takes 1"
}

# docs/exit-codes.md gives "a bundle whose payload was changed" as an example of exit 1, and
# the envelope's signature holds while payload.age no longer has the digest it signed: that is
# tampering wherever in payload.age the change is, not "not for you" (5) or "malformed" (3).
@test "a bundle whose payload.age was changed anywhere is exit 1" {
	seal24 b.amana --to "تونس"
	local stanza mac bad="" at
	stanza=$(grep -obUa -- '-> X25519 ' b.amana | head -n 1 | cut -d: -f1)
	mac=$(grep -obUa -- '--- ' b.amana | head -n 1 | cut -d: -f1)
	[ -n "$stanza" ]
	[ -n "$mac" ]
	# The stanza's share and wrapped key, its first line, the header MAC, the first chunk.
	for at in $((stanza + 12)) $((stanza + 40)) $((stanza + 60)) $((stanza + 100)) $((mac + 10)) $((mac + 60)) 40000; do
		cp b.amana t.amana
		flip_byte t.amana "$at"
		run member tn open t.amana -i tn.key -o out
		nothing_at out
		[ "$status" -eq 1 ] || bad="$bad
offset $at: exit $status: $output"
	done
	[ -z "$bad" ] || { echo "not reported as altered:$bad" >&2; false; }
}

# retar IN OUT FIELD MEMBER: a copy of bundle IN in which the ustar header of member number
# MEMBER (0 = envelope) has FIELD changed (mode, uid, uname, mtime), its checksum made right
# again, as a courier with a hex editor would; or (FIELD pad) a padding byte after that
# member's data made non-zero; or (FIELD mtime-all) every header's time changed alike.
retar() {
	python3 - "$@" <<-'EOF'
	import sys
	src, dst, field, which = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
	b = bytearray(open(src, "rb").read())
	def fix(off):
	    b[off + 148:off + 156] = b" " * 8
	    b[off + 148:off + 156] = b"%06o\0 " % sum(b[off:off + 512])
	if field == "mtime-all":  # every header's time, alike
	    off = 0
	    while any(b[off:off + 512]):
	        size = int(bytes(b[off + 124:off + 136]).rstrip(b"\0 ") or b"0", 8)
	        b[off + 136:off + 148] = b"%011o " % 86400
	        fix(off)
	        off += 512 + (size + 511) // 512 * 512
	    open(dst, "wb").write(b)
	    sys.exit(0)
	off, n = 0, 0
	while True:
	    size = int(bytes(b[off + 124:off + 136]).rstrip(b"\0 ") or b"0", 8)
	    if n == which:
	        break
	    off += 512 + (size + 511) // 512 * 512
	    n += 1
	# In the field formats libarchive writes, so that only the value differs.
	edits = {"mode": (100, b"000755 \0"), "uid": (108, b"001750 \0"),
	         "uname": (265, b"root\0"), "mtime": (136, b"%011o " % 86400)}
	if field == "pad":
	    end = off + 512 + size
	    assert end % 512, "no padding after this member"
	    b[end] = 0x41
	else:
	    at, val = edits[field]
	    b[off + at:off + at + len(val)] = val
	    fix(off)
	open(dst, "wb").write(b)
	EOF
}

@test "the container is read byte for byte: a changed header field, padding byte or end block is exit 3" {
	seal24 b.amana
	local field which bad="" size
	for field in mode uid uname mtime pad; do
		for which in 0 1 3 4; do
			retar b.amana t.amana "$field" "$which" || continue
			! cmp -s b.amana t.amana
			run member tn open t.amana -i tn.key -o out
			nothing_at out
			[ "$status" -eq 3 ] || bad="$bad
$field of member $which: exit $status: $output"
		done
	done
	[ -z "$bad" ] || { echo "not refused as malformed:$bad" >&2; false; }
	# Every header's time changed alike: the envelope's time is what they must all carry.
	retar b.amana t.amana mtime-all 0
	run -3 member tn open t.amana -i tn.key -o out
	assert_stderr_has "created time"
	nothing_at out
	# The end blocks: one of them, none of them, a byte of them.
	size=$(stat -c %s b.amana)
	head -c $((size - 512)) b.amana >one.amana
	run -3 member tn verify one.amana -i tn.key
	assert_stderr_has "end-of-archive"
	head -c $((size - 1024)) b.amana >none.amana
	run -3 member tn open none.amana -i tn.key -o out
	nothing_at out
	cp b.amana end.amana
	flip_byte end.amana $((size - 700))
	run -3 member tn open end.amana -i tn.key -o out
	nothing_at out
	# Zero padding after the end, as GNU tar writes to a 10 KiB record, is still read.
	{ cat b.amana; head -c 9216 /dev/zero; } >padded.amana
	run -0 member tn verify padded.amana -i tn.key
}

@test "a folder or a pipe given as a bundle is exit 4 and says what it is" {
	run -4 member tn inspect "$T"
	assert_stderr_has "is a folder"
	assert_stderr_has "hint:"
	seal24 b.amana
	run -4 bash -c "cat b.amana | '$AMANA' --vault '$T/v-tn' verify /dev/stdin -i tn.key"
	assert_stderr_has "not a file"
}
