#!/usr/bin/env bats
# amana records (listing and Arabic-aware search of opened bundles) and amana record
# export / record verify (one record forwarded with its proof), on the 24th conference's
# outcome as a member state receives it.
#
# The secretariat works in its own vault ($T/secretariat-vault); the member state (Tunisia)
# in the test's default vault, where it pinned the secretariat's key and opened the bundle.
# Search words are taken from docs/examples/conference-24/outcome.json (each test checks they
# are really there) and respelled with and without diacritics, tatweel and hamza forms.

load ../lib/common

EXAMPLE=$TOP/docs/examples/conference-24
OUTCOME=$EXAMPLE/outcome.json

local_setup() {
	export LC_ALL=C.UTF-8
	mkkey_sign "الأمانة العامة لمجلس وزراء الداخلية العرب" secretariat
	mkkey_enc "وزارة الداخلية - تونس" tunisia
	sec -q recipient add tunisia.pub --name "تونس"
	amana -q trust add secretariat.pub --name "الأمانة العامة"
	cp -R "$EXAMPLE" src
	sec -q seal src/outcome.json -s secretariat.key --to "تونس" -o c24.amana
	amana -q open c24.amana -i tunisia.key -o opened
	C24=$(bundle_id c24.amana)
}

# The secretariat's amana.
sec() {
	amana --vault "$T/secretariat-vault" "$@"
}

# The bundle id in a bundle's envelope.
bundle_id() {
	tar -xOf "$1" envelope | sed -n 's/^bundle-id: //p'
}

# sql QUERY: one answer from SQLite's JSON functions (files are read with readfile).
sql() {
	sqlite3 :memory: "$1"
}

# A field of record SEQ (1-based) of outcome.json.
record_field() {
	sql "select json_extract(cast(readfile('$OUTCOME') as text), '\$.records[$(($1 - 1))].$2')"
}

# The seqs (ascending, space-separated) that `amana --json records --search WORD` finds.
found() {
	"$AMANA" --json records --search "$1" >"$T/found.json" || return 1
	[ "$(sql "select json_valid(cast(readfile('$T/found.json') as text))")" = 1 ] || return 1
	sql "select coalesce(group_concat(s, ' '), '') from (select json_extract(value, '\$.seq') s
	     from json_each(cast(readfile('$T/found.json') as text)) order by s)"
}

# assert_found "SEQS" SPELLING...: each spelling finds exactly those records.
assert_found() {
	local want=$1 w got
	shift
	for w in "$@"; do
		got=$(found "$w")
		if [ "$got" != "$want" ]; then
			echo "'$w' finds records [$got], want [$want]" >&2
			return 1
		fi
	done
}

# in_outcome WORD: the word is really in the outcome's records.
in_outcome() {
	[ "$(sql "select count(*) from json_each(cast(readfile('$OUTCOME') as text), '\$.records')
	          where instr(json_extract(value, '\$.title') || ' ' || json_extract(value, '\$.body'), '$1')")" -gt 0 ]
}

# An outcome of N records with Arabic bodies, written to DIR/outcome.json. Record i's body
# holds i in Arabic-Indic digits; every tenth says عاجلٌ; every 25th names INTERPOL.
gen_outcome() {
	local n=$1 dir=$2 i body digits
	mkdir -p "$dir"
	{
		printf '{"conference":{"series":"مؤتمر الاختبار","number":%d,"title":"مؤتمر الاختبار ذو التوصيات الكثيرة","venue":"تونس","held_from":"","held_to":"","organizer":"الأمانة العامة"},"participants":[],"records":[' "$n"
		for ((i = 1; i <= n; i++)); do
			digits=$(printf '%d' "$i" | sed 'y/0123456789/٠١٢٣٤٥٦٧٨٩/')
			body="يُوصِي المُؤْتَمَرُ بتعزيز التعاون الأمنيّ، التوصية رقم $digits.\\nسطرٌ ثانٍ"
			((i % 10 == 0)) && body="$body عاجلٌ"
			((i % 25 == 0)) && body="$body مع منظمة INTERPOL"
			((i > 1)) && printf ','
			printf '{"kind":"recommendation","lang":"ar","title":"التوصية رقم %d","body":"%s"}' "$i" "$body"
		done
		printf ']}\n'
	} >"$dir/outcome.json"
}

# ---- records: listing ---------------------------------------------------------------------

@test "records lists the 14 records of the opened bundle, in order, with their titles" {
	run -0 amana records
	[ "${#lines[@]}" -eq 14 ]
	for r in $(seq 1 14); do
		title=$(record_field "$r" title)
		[[ "${lines[$((r - 1))]}" == "${C24:0:12}"*" $r  $title  ("*")" ]]
	done
	amana --json records >all.json
	[ "$(sql "select json_valid(cast(readfile('all.json') as text))")" = 1 ]
	[ "$(sql "select json_array_length(cast(readfile('all.json') as text))")" = 14 ]
	# Every title byte for byte, and the bundle each comes from.
	[ "$(sql "select count(*) from json_each(cast(readfile('all.json') as text)) r
	          join json_each(cast(readfile('$OUTCOME') as text), '\$.records') o on o.key + 1 = json_extract(r.value, '\$.seq')
	          where json_extract(r.value, '\$.title') = json_extract(o.value, '\$.title')
	            and json_extract(r.value, '\$.kind') = json_extract(o.value, '\$.kind')
	            and json_extract(r.value, '\$.bundle_id') = '$C24'")" = 14 ]
}

@test "records in an empty vault exits 0 with a note" {
	run -0 amana --vault "$T/empty" records
	[ "$output" = "amana: no records: open a bundle first ('amana open')" ]
}

@test "records BUNDLE and records BUNDLE_ID_PREFIX narrow to one bundle" {
	# A second bundle: a small outcome with three records.
	gen_outcome 3 small
	sec -q seal small/outcome.json -s secretariat.key --to "تونس" -o small.amana
	amana -q open small.amana -i tunisia.key -o opened-small
	SMALL=$(bundle_id small.amana)
	[ "$SMALL" != "$C24" ]
	run -0 amana records
	[ "${#lines[@]}" -eq 17 ]
	for arg in c24.amana "$C24" "${C24:0:8}" "${C24:0:1}"; do
		[ "$arg" = "${C24:0:1}" ] && [ "${SMALL:0:1}" = "${C24:0:1}" ] && continue
		run -0 amana records "$arg"
		[ "${#lines[@]}" -eq 14 ]
		for l in "${lines[@]}"; do [[ "$l" == "${C24:0:12}"* ]]; done
	done
	for arg in small.amana "$SMALL" "${SMALL:0:6}"; do
		run -0 amana records "$arg"
		[ "${#lines[@]}" -eq 3 ]
		for l in "${lines[@]}"; do [[ "$l" == "${SMALL:0:12}"* ]]; done
	done
	# Narrowing and searching together.
	run -0 amana records "$C24" --search "مؤتمر"
	[[ "$output" == "${C24:0:12}"* ]]
	[[ "$output" != *"${SMALL:0:12}"* ]]
	run -0 amana records "$SMALL" --search "مؤتمر"
	[ "$(grep -c "^${SMALL:0:12}" <<<"$output")" -eq 3 ]
	# A prefix of no bundle here: a name that does not exist (exit 2).
	for p in 0 1 2 3 4 5 6 7 8 9 a b c d e f; do
		[ "$p" != "${C24:0:1}" ] && [ "$p" != "${SMALL:0:1}" ] && break
	done
	run -2 amana records "$p"
	assert_stderr_has "no bundle '$p' was opened in this vault"
	assert_stderr_has "hint: "
	run -2 amana records "$p" --search "مؤتمر"
	run -2 --separate-stderr amana --json records "$p"
	[ -z "$output" ]
	# Neither a file nor a bundle id.
	run -2 amana records "not-a-bundle"
	assert_stderr_has "'not-a-bundle' is neither a bundle file nor a bundle id"
	run -2 amana records "${C24^^}"
}

@test "a vault from before the search index (schema version 3) finds its records once upgraded" {
	# What an amana of schema version 3 left behind (migrations 1 to 3 of schema/vault.sql): the
	# pinned issuer, the opened bundle and its records, and no search index. The records are
	# copied from this test's vault.
	mkdir -m 700 v3
	sed '/^-- migration: 4$/,$d' "$TOP/schema/vault.sql" >v3.sql
	grep -q '^-- migration: 3$' v3.sql
	! grep -q 'records_fts' v3.sql
	sqlite3 v3/vault.db <v3.sql
	sqlite3 v3/vault.db "PRAGMA application_id = 1634558318; PRAGMA user_version = 3;
		ATTACH '$AMANA_HOME/vault.db' AS cur;
		INSERT INTO trusted_keys (key_id, role, name, public_key, added)
			SELECT key_id, role, name, public_key, added FROM cur.trusted_keys;
		INSERT INTO bundles (bundle_id, direction, issuer, issuer_name, sequence, conference, title,
				     created, recipients, records, payload_blake2b, payload_size, envelope, path, recorded)
			SELECT bundle_id, direction, issuer, issuer_name, sequence, conference, title, created,
			       recipients, records, payload_blake2b, payload_size, envelope, path, recorded FROM cur.bundles;
		INSERT INTO records (bundle_id, seq, kind, lang, title, body)
			SELECT bundle_id, seq, kind, lang, title, body FROM cur.records;"
	[ "$(sqlite3 v3/vault.db 'select count(*) from records')" = 14 ]
	# This amana upgrades it; the records are listed...
	run -0 amana --vault "$T/v3" records
	[ "${#lines[@]}" -eq 14 ]
	[ "$(sqlite3 v3/vault.db 'PRAGMA user_version')" -ge 4 ]
	# ... and found, as in a vault that opened the bundle after the upgrade.
	run -0 amana --vault "$T/v3" records --search "مؤتمر"
	if [ "$(grep -c "^${C24:0:12}" <<<"$output")" -ne 5 ]; then
		echo "after the upgrade, 'مؤتمر' finds none of the 5 records it finds in a new vault: $output" >&2
		return 1
	fi
	run -0 amana --vault "$T/v3" records --search "الإرهاب"
	[ "$(grep -c "^${C24:0:12}" <<<"$output")" -eq 7 ]
}

@test "opening the same bundle again lists and finds its records once" {
	amana -q open c24.amana -i tunisia.key -o opened-again
	run -0 amana records
	[ "${#lines[@]}" -eq 14 ]
	assert_found "1 7 9 11 14" "مؤتمر"
}

# ---- records --search ---------------------------------------------------------------------

@test "--search: المؤتمر with and without diacritics, tatweel and hamza finds the same records" {
	in_outcome "المؤتمر"
	assert_found "1 7 9 11 14" "المؤتمر" "المُؤْتَمَرُ" "المـــؤتمر" "المـؤتـمـر" "الموتمر" "ٱلمؤتمر" \
		"مؤتمر" "مُؤْتَمَر" "مـؤتمـر" "موتمر"
}

@test "--search: الإرهاب and إرهاب in every spelling of the hamza, with diacritics and tatweel" {
	in_outcome "الإرهاب"
	in_outcome "والإرهاب"
	# A query word loses its article: with or without it, the records that have the word,
	# bare or behind a prefix that carries the article (والإرهاب in 9 and 12).
	assert_found "1 2 3 9 11 12 13" "الإرهاب" "الارهاب" "الإِرْهَابِ" "الإرهـــاب" "الأرهاب" "الآرهاب"
	assert_found "1 2 3 9 11 12 13" "إرهاب" "ارهاب" "أرهاب" "إِرْهَاب" "إرهـاب" "ٱرهاب"
}

@test "--search: alef forms, alef maqsura, teh marbuta, hamza on waw and yeh" {
	in_outcome "الأطفال"
	assert_found "5 8" "الأطفال" "الاطفال" "الأَطْفَال" "الأطفـال" "أطفال" "اطفال" "إطفال"
	in_outcome "آلية"
	assert_found "5 9" "آلية" "الية" "آليه" "اليه" "آلِيَّة" "آلـيـة" "ٱلية"
	in_outcome "أوصى"
	assert_found "8" "أوصى" "اوصي" "أَوْصَى" "اوصى" "أوصي"
	in_outcome "إلى"
	assert_found "1 7 13 14" "إلى" "الى" "الي" "إلي" "إِلَى" "الـى"
	in_outcome "الطائرات"
	assert_found "10" "الطائرات" "الطايرات" "طائرات" "الطّائِرَات" "الطـائـرات"
	in_outcome "بؤر"
	assert_found "8" "بؤر" "بور" "بُؤَر"
	in_outcome "العربية"
	# (record 9 has عربية without the article: a query word loses its article)
	assert_found "1 9 11 12" "العربية" "العربيه" "العَرَبِيَّة" "العربـيـة"
	in_outcome "علماً"
	assert_found "11" "علماً" "علما" "عِلْماً" "علمـا"
}

@test "--search: words of several records, all required; a trailing * is a prefix" {
	# (record 11 has لمكافحة, indexed also as مكافحة; record 12 has مكافحة ... والإرهاب)
	assert_found "1 11 12 13" "مكافحة الإرهاب" "مكافحه الارهاب" "مُكَافَحَةِ الإِرْهَابِ"
	assert_found "11" "المؤتمر علما"
	assert_found "2 4 5 6 7 9 10" "الإرهابية"
	assert_found "1 2 3 4 5 6 7 9 10 11 12 13" "إرهاب*"
	assert_found "" "إره"
}

@test "--search: FTS5 operators typed by a user are words, not syntax" {
	for q in 'المؤتمر OR الطائرات' 'NOT المؤتمر' 'NEAR(المؤتمر الأمانة)' 'title:المؤتمر' '^المؤتمر' \
		'"المؤتمر' 'المؤتمر)' '{title}: المؤتمر'; do
		run -0 amana records --search "$q"
	done
	# "OR" is a required word that no record has.
	assert_found "" 'المؤتمر OR الطائرات'
	# ':' separates words: "title" is a word no record has, not a column filter.
	assert_found "" 'title:المؤتمر'
	assert_found "1 7 9 11 14" '^المؤتمر' '"المؤتمر"' 'المؤتمر)'
}

@test "--search: Latin text ignores case" {
	gen_outcome 30 latin
	sec -q seal latin/outcome.json -s secretariat.key --to "تونس" -o latin.amana
	amana -q open latin.amana -i tunisia.key -o opened-latin
	grep -q 'INTERPOL' latin/outcome.json
	assert_found "25" "interpol" "INTERPOL" "Interpol" "iNtErPoL" "interp*"
}

@test "--search with no match exits 0 with a note; with no word it is a usage error" {
	run -0 amana records --search "كلمةليستفيالنتائج"
	[ "$output" = "amana: no record matches" ]
	run -0 amana --json records --search "كلمةليستفيالنتائج"
	[ "$output" = "[]" ]
	run -2 amana records --search "*"
	assert_stderr_has "--search needs at least one word"
	run -2 amana records --search "، ؟"
}

@test "--search shows bundle, seq, title and a snippet of the original text" {
	run -0 amana records --search "علما"
	[ "${#lines[@]}" -eq 2 ]
	title=$(record_field 11 title)
	[ "${lines[0]}" = "${C24:0:12}   11  $title  (المؤتمر العربي للمسؤولين عن مكافحة الإرهاب 24)" ]
	# The snippet is cut from the stored text: the tanwin is still there.
	[[ "${lines[1]}" == *"[علماً]"* ]]
	run -0 amana records --search "الطايرات"
	[[ "$output" == *"[الطائرات]"* ]]
	[[ "$output" != *"الطايرات"* ]]
}

@test "--search --json is valid JSON with bundle_id, conference, seq, title and snippet" {
	amana --json records --search "مؤتمر" >r.json
	[ "$(sql "select json_valid(cast(readfile('r.json') as text))")" = 1 ]
	[ "$(sql "select json_array_length(cast(readfile('r.json') as text))")" = 5 ]
	[ "$(sql "select count(*) from json_each(cast(readfile('r.json') as text))
	          where json_extract(value, '\$.bundle_id') = '$C24'
	            and json_extract(value, '\$.conference') = 'المؤتمر العربي للمسؤولين عن مكافحة الإرهاب 24'
	            and json_type(value, '\$.seq') = 'integer'
	            and json_extract(value, '\$.title') = json_extract(cast(readfile('$OUTCOME') as text), '\$.records[' || (json_extract(value, '\$.seq') - 1) || '].title')
	            and instr(json_extract(value, '\$.snippet'), '[المؤتمر]') > 0")" = 5 ]
	# Quotes in a snippet stay valid JSON: record 7's body has "المشفرة" in quotes.
	amana --json records --search "الرقمية" >q.json
	[ "$(sql "select json_valid(cast(readfile('q.json') as text))")" = 1 ]
	[ "$(sql "select json_extract(cast(readfile('q.json') as text), '\$[0].seq')")" = 7 ]
	[[ "$(sql "select json_extract(cast(readfile('q.json') as text), '\$[0].snippet')")" == *'[الرقمية] "المشفرة"'* ]]
}

# ---- record export / record verify ----------------------------------------------------------

@test "record export of every record, then record verify with -p and with the pinned issuer" {
	for r in $(seq 1 14); do
		run -0 amana record export c24.amana "$r" -i tunisia.key -o "r$r.proof"
		[ -f "r$r.proof" ]
		body=$(record_field "$r" body)
		title=$(record_field "$r" title)
		run -0 amana record verify "r$r.proof" -p secretariat.pub
		[ "${lines[0]}" = "verified: record $r of 14 of bundle $C24" ]
		[[ "$output" == *"title:    $title"* ]]
		# What follows the first empty line is the body, exactly.
		[ "$(printf '%s\n' "$output" | sed '1,/^$/d')" = "$body" ]
		run -0 amana record verify "r$r.proof"
		[[ "$output" == *"pinned as الأمانة العامة"* ]]
		[ "$(printf '%s\n' "$output" | sed '1,/^$/d')" = "$body" ]
		# The JSON body is the outcome's byte for byte.
		amana --json record verify "r$r.proof" >v.json
		[ "$(sql "select json_extract(cast(readfile('v.json') as text), '\$.body')
		          = json_extract(cast(readfile('$OUTCOME') as text), '\$.records[$((r - 1))].body')
		          and json_extract(cast(readfile('v.json') as text), '\$.verified') = 1
		          and json_extract(cast(readfile('v.json') as text), '\$.seq') = $r")" = 1 ]
	done
}

@test "record export --json, and a proof shows nothing of the other records" {
	amana --json record export c24.amana 5 -i tunisia.key -o j5.proof >e.json
	[ -f j5.proof ]
	[ "$(sql "select json_valid(cast(readfile('e.json') as text))
	          and json_extract(cast(readfile('e.json') as text), '\$.proof') = 'j5.proof'
	          and json_extract(cast(readfile('e.json') as text), '\$.bundle_id') = '$C24'
	          and json_extract(cast(readfile('e.json') as text), '\$.seq') = 5
	          and json_extract(cast(readfile('e.json') as text), '\$.records') = 14
	          and json_extract(cast(readfile('e.json') as text), '\$.body')
	              = json_extract(cast(readfile('$OUTCOME') as text), '\$.records[4].body')")" = 1 ]
	# No other record's title or body is in any proof (unless the record itself contains it).
	for r in $(seq 1 14); do
		amana -q record export c24.amana "$r" -i tunisia.key -o "p$r.proof"
		proof=$(cat "p$r.proof")
		own="$(record_field "$r" title) $(record_field "$r" body)"
		for o in $(seq 1 14); do
			[ "$o" = "$r" ] && continue
			for field in title body; do
				text=$(record_field "$o" "$field")
				[[ "$own" == *"$text"* ]] && continue
				if [[ "$proof" == *"$text"* ]]; then
					echo "the proof of record $r holds the $field of record $o" >&2
					return 1
				fi
			done
		done
	done
}

@test "record verify -p needs no vault; what is not a proof is malformed" {
	amana -q record export c24.amana 6 -i tunisia.key -o r6.proof
	# Whoever receives a proof (a ministry, a court) may have no vault at all.
	AMANA_HOME="$T/no/such/vault" run -0 amana record verify r6.proof -p secretariat.pub
	[ "${lines[0]}" = "verified: record 6 of 14 of bundle $C24" ]
	refute_exists "$T/no"
	# Not proofs.
	: >empty.proof
	for f in empty.proof c24.amana src/outcome.json secretariat.pub; do
		run -3 amana record verify "$f" -p secretariat.pub
		refute_output_has "verified"
	done
	head -c 100 r6.proof >cut.proof
	run -3 amana record verify cut.proof -p secretariat.pub
	# Missing file, missing argument, unknown subcommand.
	run -4 amana record verify missing.proof -p secretariat.pub
	run -2 amana record verify
	run -2 amana record frob r6.proof
}

@test "record verify: an unpinned issuer without -p, or -p with another key, exits 1" {
	amana -q record export c24.amana 4 -i tunisia.key -o r4.proof
	run -1 amana --vault "$T/another-vault" record verify r4.proof
	assert_stderr_has "is not pinned in this vault"
	assert_stderr_has "hint:"
	refute_output_has "verified"
	mkkey_sign "مزور" forger
	run -1 amana record verify r4.proof -p forger.pub
	refute_output_has "verified"
	# Another key that pretends to have the issuer's key id.
	kid=$(sed -n 2p secretariat.pub | base64 -d | od -An -tx1 -j 2 -N 8 | tr -d ' \n')
	fake=$( { printf '\x45\x64'; printf '%s' "$kid" | sed 's/../\\x&/g' | xargs -0 printf; sed -n 2p forger.pub | base64 -d | tail -c 32; } | base64 -w0)
	printf 'untrusted comment: forged\n%s\n' "$fake" >fake.pub
	run -1 amana record verify r4.proof -p fake.pub
	refute_output_has "verified"
	run -0 amana record verify r4.proof -p secretariat.pub
	# An issuer this vault no longer trusts.
	run -0 amana record verify r4.proof
	amana -q trust remove "الأمانة العامة"
	run -1 amana record verify r4.proof
	assert_stderr_has "is not pinned in this vault"
}

# alter_hex FILE LINE COL: changes the hex digit at column COL of line LINE (in place).
alter_hex() {
	local c
	c=$(sed -n "$2p" "$1" | cut -c "$3")
	[[ "$c" == [0-9a-f] ]] || { echo "no hex digit at $2:$3 of $1" >&2; return 1; }
	if [ "$c" = 0 ]; then c=1; else c=0; fi
	sed -i "$2s/./$c/$3" "$1"
}

# expect_refused FILE: record verify refuses it (exit 1, or 3 when it is no longer well
# formed) and shows no record.
expect_refused() {
	run amana record verify "$1" -p secretariat.pub
	if [ "$status" -ne 1 ] && [ "$status" -ne 3 ]; then
		echo "record verify of $1 exited $status: $output" >&2
		return 1
	fi
	refute_output_has "verified"
}

@test "record verify: each field of a proof altered is refused" {
	amana -q record export c24.amana 9 -i tunisia.key -o r9.proof
	run -0 amana record verify r9.proof -p secretariat.pub
	[ "$(sed -n 1p r9.proof)" = "amana-record-proof/1" ]
	[ "$(sed -n 9p r9.proof)" = "path: 4" ]
	n=0
	alt() { cp r9.proof "x$n.proof"; }

	# The record's fields.
	alt; sed -i '4s/^kind: recommendation$/kind: decision/' "x$n.proof"; expect_refused "x$n.proof"; n=$((n + 1))
	alt; sed -i '5s/^lang: ar$/lang: en/' "x$n.proof"; expect_refused "x$n.proof"; n=$((n + 1))
	alt; sed -i '6s/عربية/عربيه/' "x$n.proof"; expect_refused "x$n.proof"; n=$((n + 1))
	alt; sed -i '6s/$/ /' "x$n.proof"; expect_refused "x$n.proof"; n=$((n + 1))
	# One letter of the body for another of the same length, then a longer body.
	alt; sed -i '/^body: [0-9]*$/{n;s/ر/ز/}' "x$n.proof"; expect_refused "x$n.proof"; n=$((n + 1))
	alt; sed -i '/^body: [0-9]*$/{n;s/$/./}' "x$n.proof"; expect_refused "x$n.proof"; n=$((n + 1))
	alt; alter_hex "x$n.proof" 7 7; expect_refused "x$n.proof"; n=$((n + 1))   # salt
	alt; alter_hex "x$n.proof" 7 70; expect_refused "x$n.proof"; n=$((n + 1))  # salt, last digit
	for l in 10 11 12 13; do                                                 # each path hash
		alt; alter_hex "x$n.proof" "$l" 1; expect_refused "x$n.proof"; n=$((n + 1))
		alt; alter_hex "x$n.proof" "$l" 64; expect_refused "x$n.proof"; n=$((n + 1))
	done
	# The proof's frame: records count and root, bundle id, seq, path length.
	alt; sed -i '8s/^records: 14 /records: 15 /' "x$n.proof"; expect_refused "x$n.proof"; n=$((n + 1))
	alt; sed -i '8s/^records: 14 /records: 13 /' "x$n.proof"; expect_refused "x$n.proof"; n=$((n + 1))
	alt; alter_hex "x$n.proof" 8 13; expect_refused "x$n.proof"; n=$((n + 1))  # root
	alt; alter_hex "x$n.proof" 2 12; expect_refused "x$n.proof"; n=$((n + 1))  # bundle id
	alt; alter_hex "x$n.proof" 2 43; expect_refused "x$n.proof"; n=$((n + 1))
	alt; sed -i '3s/^seq: 9$/seq: 10/' "x$n.proof"; expect_refused "x$n.proof"; n=$((n + 1))
	alt; sed -i '3s/^seq: 9$/seq: 8/' "x$n.proof"; expect_refused "x$n.proof"; n=$((n + 1))
	alt; sed -i '3s/^seq: 9$/seq: 15/' "x$n.proof"; expect_refused "x$n.proof"; n=$((n + 1))
	alt; sed -i '3s/^seq: 9$/seq: 0/' "x$n.proof"; expect_refused "x$n.proof"; n=$((n + 1))
	alt; sed -i '9s/^path: 4$/path: 3/' "x$n.proof"; expect_refused "x$n.proof"; n=$((n + 1))
	alt; sed -i '10d; 9s/^path: 4$/path: 3/' "x$n.proof"; expect_refused "x$n.proof"; n=$((n + 1))
	# The envelope: its sequence, its records line, its payload digest, its title.
	alt; sed -i 's/^sequence: 1$/sequence: 2/' "x$n.proof"; expect_refused "x$n.proof"; n=$((n + 1))
	alt; sed -i '/^envelope: [0-9]*$/,$s/^records: 14 /records: 15 /' "x$n.proof"; expect_refused "x$n.proof"; n=$((n + 1))
	for key in payload-header payload-body; do
		payline=$(grep -n "^$key: blake2b-512 " r9.proof | cut -d: -f1)
		alt; alter_hex "x$n.proof" "$payline" 30; expect_refused "x$n.proof"; n=$((n + 1))
	done
	alt; sed -i '/^envelope: [0-9]*$/,$s/^title: المؤتمر/title: الموتمر/' "x$n.proof"; expect_refused "x$n.proof"; n=$((n + 1))
	# The signature: its key id and signature line, its trusted comment, its global signature.
	sigline=$(grep -n '^untrusted comment: amana envelope signature$' r9.proof | cut -d: -f1)
	[ -n "$sigline" ]
	for col in 3 10 50 99; do
		alt
		c=$(sed -n "$((sigline + 1))p" r9.proof | cut -c "$col")
		if [ "$c" = A ]; then r=B; else r=A; fi
		sed -i "$((sigline + 1))s/./$r/$col" "x$n.proof"; expect_refused "x$n.proof"; n=$((n + 1))
	done
	alt; sed -i "$((sigline + 2))s/ 1\$/ 2/" "x$n.proof"; expect_refused "x$n.proof"; n=$((n + 1))
	alt; sed -i "$((sigline + 2))s/$C24/$(printf '%s' "$C24" | tr '0-9a-f' '1-9a-f0')/" "x$n.proof"; expect_refused "x$n.proof"; n=$((n + 1))
	alt
	c=$(sed -n "$((sigline + 3))p" r9.proof | cut -c 20)
	if [ "$c" = A ]; then r=B; else r=A; fi
	sed -i "$((sigline + 3))s/./$r/20" "x$n.proof"; expect_refused "x$n.proof"; n=$((n + 1))

	# Every alteration really changed the file.
	for ((k = 0; k < n; k++)); do
		if cmp -s r9.proof "x$k.proof"; then
			echo "alteration $k changed nothing" >&2
			return 1
		fi
	done
	[ "$n" -ge 35 ]
}

@test "record verify: a proof carrying another bundle's envelope is refused" {
	# The same outcome sealed again: the same records, another bundle.
	sec -q seal src/outcome.json -s secretariat.key --to "تونس" -o again.amana
	AGAIN=$(bundle_id again.amana)
	[ "$AGAIN" != "$C24" ]
	amana -q record export c24.amana 3 -i tunisia.key -o a.proof
	amana -q record export again.amana 3 -i tunisia.key -o b.proof
	run -0 amana record verify a.proof -p secretariat.pub
	run -0 amana record verify b.proof -p secretariat.pub
	# The same record text in both.
	[ "$(sed '/^envelope: [0-9]*$/,$d; /^bundle-id: /d; /^salt: /d; /^records: /d; 10,13d' a.proof)" = \
		"$(sed '/^envelope: [0-9]*$/,$d; /^bundle-id: /d; /^salt: /d; /^records: /d; 10,13d' b.proof)" ]
	# a's record, salt and path with b's envelope and signature.
	{ sed '/^envelope: [0-9]*$/,$d' a.proof; sed -n '/^envelope: [0-9]*$/,$p' b.proof; } >moved.proof
	run -1 amana record verify moved.proof -p secretariat.pub
	refute_output_has "verified"
	# ... also naming b's bundle id.
	sed "s/^bundle-id: $C24\$/bundle-id: $AGAIN/" moved.proof >moved2.proof
	run -1 amana record verify moved2.proof -p secretariat.pub
	# ... and b's records root too: the leaf differs, since the bundle id is in it.
	sed "s/^records: .*/$(grep -m1 '^records: ' b.proof)/" moved2.proof >moved3.proof
	run -1 amana record verify moved3.proof -p secretariat.pub
	refute_output_has "verified"
	# b's salt as well (each bundle has its own salts).
	sed "s/^salt: .*/$(grep -m1 '^salt: ' b.proof)/" moved3.proof >moved4.proof
	run -1 amana record verify moved4.proof -p secretariat.pub
	refute_output_has "verified"
	# The pinned issuer does not help either.
	run -1 amana record verify moved.proof
}

@test "record export: SEQ 0, 15 or x is a usage error and writes nothing" {
	for s in 0 15 x -1 1x ""; do
		run -2 amana record export c24.amana "$s" -i tunisia.key -o "s$s.proof"
		refute_exists "s$s.proof"
	done
	run -2 amana record export c24.amana 15 -i tunisia.key -o s.proof
	assert_stderr_has "no record 15"
	refute_exists s.proof
	run -2 amana record export c24.amana 1 -i tunisia.key
	refute_exists 1
}

@test "record export without being a recipient exits 5 and writes nothing" {
	mkkey_enc "وزارة الداخلية - الأردن" jordan
	before=$(ls -A)
	run -5 amana record export c24.amana 1 -i jordan.key -o j.proof
	assert_stderr_has "none of your keys is among its recipients"
	refute_exists j.proof
	[ "$(ls -A)" = "$before" ]
}

# set_byte FILE OFFSET CHAR: writes one ASCII character at OFFSET of FILE.
set_byte() {
	printf '%s' "$3" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

@test "record export of a tampered bundle exits 1 and writes nothing" {
	# Bytes of the encrypted payload.
	size=$(stat -c %s c24.amana)
	for off in 20000 $((size / 2)); do
		cp c24.amana t.amana
		flip_byte t.amana "$off"
		run -1 amana record export t.amana 2 -i tunisia.key -o t.proof
		refute_exists t.proof
		refute_output_has "wrote"
	done
	# Signed envelope lines, changed so that they still parse.
	for what in "recipients: 1" "sequence: 1"; do
		off=$(grep -abo "^$what\$" c24.amana | head -1 | cut -d: -f1)
		[ -n "$off" ]
		cp c24.amana t.amana
		set_byte t.amana $((off + ${#what} - 1)) 2
		run -1 amana record export t.amana 2 -i tunisia.key -o t.proof
		refute_exists t.proof
	done
	off=$(grep -abo "^records: 14 " c24.amana | head -1 | cut -d: -f1)
	cp c24.amana t.amana
	c=$(dd if=c24.amana bs=1 skip=$((off + 12)) count=1 status=none)
	if [ "$c" = 0 ]; then c=1; else c=0; fi
	set_byte t.amana $((off + 12)) "$c"
	run -1 amana record export t.amana 2 -i tunisia.key -o t.proof
	refute_exists t.proof
	# The untouched bundle still exports.
	run -0 amana record export c24.amana 2 -i tunisia.key -o t.proof
}

# ---- a hundred records ----------------------------------------------------------------------

@test "a 100-record outcome: all listed, searched and proved" {
	gen_outcome 100 hundred
	[ "$(sql "select json_array_length(cast(readfile('hundred/outcome.json') as text), '\$.records')")" = 100 ]
	sec -q seal hundred/outcome.json -s secretariat.key --to "تونس" -o hundred.amana
	amana -q open hundred.amana -i tunisia.key -o opened-hundred
	H=$(bundle_id hundred.amana)
	run -0 amana records "$H"
	[ "${#lines[@]}" -eq 100 ]
	amana --json records "$H" >h.json
	[ "$(sql "select count(distinct json_extract(value, '\$.seq')) || ' ' || min(json_extract(value, '\$.seq')) || ' ' || max(json_extract(value, '\$.seq'))
	          from json_each(cast(readfile('h.json') as text))")" = "100 1 100" ]
	run -0 amana records
	[ "${#lines[@]}" -eq 114 ]
	# A word of every record, written without diacritics and without the article.
	amana --json records "$H" --search "مؤتمر" >m.json
	[ "$(sql "select json_array_length(cast(readfile('m.json') as text))")" = 100 ]
	run -0 amana records "$H" --search "مؤتمر"
	[ "$(grep -c "^${H:0:12}" <<<"$output")" -eq 100 ]
	# Every tenth record.
	amana --json records "$H" --search "عاجل" >u.json
	[ "$(sql "select group_concat(s, ' ') from (select json_extract(value, '\$.seq') s from json_each(cast(readfile('u.json') as text)) order by s)")" = \
		"10 20 30 40 50 60 70 80 90 100" ]
	# One record by its number, in Arabic-Indic or ASCII digits.
	amana --json records "$H" --search "٤٢" >d.json
	[ "$(sql "select group_concat(json_extract(value, '\$.seq')) from json_each(cast(readfile('d.json') as text))")" = 42 ]
	amana --json records "$H" --search "رقم 42" >d.json
	[ "$(sql "select group_concat(json_extract(value, '\$.seq')) from json_each(cast(readfile('d.json') as text))")" = 42 ]
	amana --json records --search "interpol" >i.json
	[ "$(sql "select group_concat(s, ' ') from (select json_extract(value, '\$.seq') s from json_each(cast(readfile('i.json') as text)) order by s)")" = \
		"25 50 75 100" ]
	# The first, a middle and the last record of the tree prove.
	for s in 1 64 65 100; do
		run -0 amana record export hundred.amana "$s" -i tunisia.key -o "h$s.proof"
		run -0 amana record verify "h$s.proof" -p secretariat.pub
		[ "${lines[0]}" = "verified: record $s of 100 of bundle $H" ]
	done
	[ "$(sed -n 9p h100.proof)" = "path: 4" ]
	[ "$(sed -n 9p h1.proof)" = "path: 7" ]
}

@test "a search matching more than a thousand records shows them all, or says it does not" {
	mkdir big
	{
		printf '{"conference":{"series":"مؤتمر الاختبار","number":1100,"title":"ألف ومئة توصية","venue":"","held_from":"","held_to":"","organizer":""},"participants":[],"records":['
		for ((r = 1; r <= 1100; r++)); do
			((r > 1)) && printf ','
			printf '{"kind":"recommendation","lang":"ar","title":"التوصية %d","body":"يُوصِي المُؤْتَمَرُ بالتوصية %d"}' "$r" "$r"
		done
		printf ']}\n'
	} >big/outcome.json
	sec -q seal big/outcome.json -s secretariat.key --to "تونس" -o big.amana
	amana -q open big.amana -i tunisia.key -o opened-big
	B=$(bundle_id big.amana)
	run -0 amana records "$B"
	[ "$(grep -c "^${B:0:12}" <<<"$output")" -eq 1100 ]
	run -0 amana records "$B" --search "مؤتمر"
	shown=$(grep -c "^${B:0:12}" <<<"$output")
	if [ "$shown" -ne 1100 ] && ! grep -q '^amana: ' <<<"$output"; then
		echo "the search shows $shown of the 1100 records that match, and does not say so" >&2
		return 1
	fi
}

# FTS5's snippet() takes time growing with the square of the hits in one record; a record
# longer than 16 KiB gets its snippet in one pass instead, the same in form.
@test "a search in a record of about 1 MiB shows the first hit in brackets; more than 16 words is exit 2" {
	mkdir long
	sql "select writefile('long/outcome.json', json_object('conference', json_object('series', 'اختبار', 'number', 1,
		'title', 'محضر طويل', 'venue', '', 'held_from', '', 'held_to', '', 'organizer', ''), 'participants', json_array(),
		'records', json_array(json_object('kind', 'summary', 'lang', 'ar', 'title', 'الملخص',
		'body', 'افتتح الاجتماعُ أعمالَه. ' || (WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 17000)
		SELECT group_concat('تعزيز التعاون الأمني في المنطقة', ' ') FROM n)))))" >/dev/null
	[ "$(stat -c %s long/outcome.json)" -gt 900000 ]
	sec -q seal long/outcome.json -s secretariat.key --to "تونس" -o long.amana
	amana -q open long.amana -i tunisia.key -o opened-long
	L=$(bundle_id long.amana)
	run -0 amana records "$L" --search "في الأمني"
	assert_stderr_has "تعزيز التعاون [الأمني] في المنطقة"
	run -0 amana records "$L" --search "اجتماع"
	assert_stderr_has "افتتح [الاجتماعُ] أعمالَه"
	run -0 amana --json records "$L" --search "المنطقة"
	assert_stderr_has '"snippet":"'
	run -0 amana records "$L" --search "غائب"
	assert_stderr_has "no record matches"
	run -2 amana records --search "$(printf 'في %.0s' {1..17})"
	assert_stderr_has "at most 16 words"
}

@test "record export never replaces an existing file (exit 4); a refused proof says what to do" {
	cp tunisia.key victim.key
	run -4 amana record export c24.amana 1 -i tunisia.key -o victim.key
	assert_stderr_has "already exists"
	cmp tunisia.key victim.key
	run -0 amana record export c24.amana 1 -i tunisia.key -o r1.proof
	sed -i '0,/^title: /s/^title: .*/title: x/' r1.proof
	run -1 amana record verify r1.proof
	assert_stderr_has "hint: "
}
