#!/usr/bin/env bats
# Limits (issue 8, point 5), from the command line: each bounded input at its limit is
# accepted (or gets past the bound to whatever check comes next), and one byte or one entry
# more is refused with the documented exit code and a message that says what is too big.
# docs/limits.md lists every limit, where it is enforced and the test that checks it; the
# limits that are too large to reach here are tested in C (tests/unit/test_limits.c).

load ../lib/common

local_setup() {
	mkkey_sign "الأمانة العامة" sec >/dev/null
	mkkey_enc "تونس" tn >/dev/null
	amana -q recipient add tn.pub --name "تونس"
}

member() {
	"$AMANA" --vault "$T/m" "$@"
}

# mkoutcome FILE [PYTHON]: writes outcome.json FILE: a minimal valid outcome (one record),
# changed by the Python statements PYTHON (the outcome is the dict o).
mkoutcome() {
	python3 - "$1" "${2:-}" <<-'EOF'
	import json, sys
	o = {"conference": {"series": "s", "number": 1, "title": "t", "venue": "", "held_from": "",
	                    "held_to": "", "organizer": ""},
	     "participants": [],
	     "records": [{"kind": "decision", "lang": "ar", "title": "t", "body": "b"}]}
	exec(sys.argv[2])
	with open(sys.argv[1], "w", encoding="utf-8") as f:
	    f.write(json.dumps(o, ensure_ascii=False))
	EOF
}

seal() {
	"$AMANA" seal "$1" -s sec.key --to "تونس" -o "$2"
}

# bytes N [CHAR]: N copies of the one-byte CHAR (default 'a').
bytes() {
	head -c "$1" /dev/zero | tr '\0' "${2:-a}"
}

# The message of the last run names what is too big and its limit.
assert_too_big() {
	assert_stderr_has "$1"
	if [[ "$output" != *"larger than"* && "$output" != *"longer than"* && "$output" != *"more than"* &&
		"$output" != *"too long"* && "$output" != *"too large"* && "$output" != *"too many"* ]]; then
		echo "the message does not say that something is too big: $output" >&2
		return 1
	fi
}

# The message of the last run is not about a size.
refute_too_big() {
	refute_output_has "larger than"
	refute_output_has "longer than"
	refute_output_has "more than"
	refute_output_has "too long"
	refute_output_has "too large"
}

# pad_comments FILE SIZE OUT: OUT is FILE preceded by one '#' comment line, SIZE bytes in all.
pad_comments() {
	local n
	n=$(($2 - $(stat -c %s "$1") - 2))
	{ printf '#'; bytes "$n" x; printf '\n'; cat "$1"; } >"$3"
	[ "$(stat -c %s "$3")" = "$2" ]
}

# rebuild BUNDLE OUT SCRIPT: unpacks BUNDLE's members, runs SCRIPT among them, and packs them
# again as OUT the way amana packs a container (as tests/cli/log.bats does).
rebuild() {
	rm -rf "$T/rb" && mkdir "$T/rb"
	(cd "$T/rb" && tar xf "$T/$1" && eval "$3" &&
		amanatar "$T/$2" envelope envelope.minisig payload.age log/checkpoint log/proof)
}

# grow FILE SIZE: pads FILE with 'x' bytes up to SIZE bytes.
grow() {
	bytes $(($2 - $(stat -c %s "$1"))) x >>"$1"
	[ "$(stat -c %s "$1")" = "$2" ]
}

# ---- outcome.json ---------------------------------------------------------------------------

@test "outcome.json: 256 MiB is sealed, one byte more is refused (exit 3)" {
	mkoutcome small.json
	# The same outcome, with spaces before its last brace up to the size wanted.
	local n=$((256 << 20)) s
	s=$(stat -c %s small.json)
	{ head -c $((s - 1)) small.json; bytes $((n - s)) ' '; printf '}'; } >at.json
	{ head -c $((s - 1)) small.json; bytes $((n - s + 1)) ' '; printf '}'; } >over.json
	[ "$(stat -c %s at.json)" = $n ] && [ "$(stat -c %s over.json)" = $((n + 1)) ]
	run -0 seal at.json at.amana
	run -3 seal over.json over.amana
	assert_too_big "'over.json' is larger than 268435456 bytes"
	refute_exists over.amana
}

@test "outcome.json: 10,000 participants are sealed, 10,001 are refused (exit 3)" {
	mkoutcome at.json 'o["participants"] = [{"name": "مشارك %d" % i, "kind": "state"} for i in range(10000)]'
	mkoutcome over.json 'o["participants"] = [{"name": "مشارك %d" % i, "kind": "state"} for i in range(10001)]'
	run -0 seal at.json at.amana
	run -3 seal over.json over.amana
	assert_too_big "outcome.json: participants[10000]: more than 10000 entries"
}

@test "outcome.json: a record body of 1 MiB is sealed and opened, one byte more is refused (exit 3)" {
	# 2-byte Arabic letters, line breaks and TAB: bytes are counted, not characters.
	mkoutcome at.json 'o["records"][0]["body"] = ("ع" * 511 + "\n\t") * 1024'
	mkoutcome over.json 'o["records"][0]["body"] = ("ع" * 511 + "\n\t") * 1024 + "x"'
	run -0 seal at.json at.amana
	member -q trust add sec.pub --name sec
	run -0 member open at.amana -i tn.key -o out
	[ "$(sqlite3 out/manifest.sqlite 'select length(cast(body as blob)) from records')" = 1048576 ]
	run -3 seal over.json over.amana
	assert_too_big "outcome.json: records[0].body: the text is longer than 1048576 bytes"
}

@test "outcome.json: one-line fields of 4,096 bytes are sealed, 4,097 are refused (exit 3)" {
	local at='"ع" * 2048' over='"ع" * 2048 + "x"'
	mkdir files
	echo data >files/a.txt
	mkoutcome files/at.json "
c = o['conference']
for k in ('series', 'title', 'venue', 'organizer'): c[k] = $at
o['participants'] = [{'name': $at, 'kind': 'state'}]
o['records'][0]['title'] = $at
o['attachments'] = [{'path': 'a.txt', 'caption': $at, 'record': 1}]"
	run -0 seal files/at.json at.amana
	local field
	for field in conference.series conference.title conference.venue conference.organizer \
		participants[0].name records[0].title attachments[0].caption; do
		mkoutcome files/over.json "
o['participants'] = [{'name': 'p', 'kind': 'state'}]
o['attachments'] = [{'path': 'a.txt', 'caption': '', 'record': 1}]
w = {'conference.series': (o['conference'], 'series'), 'conference.title': (o['conference'], 'title'),
     'conference.venue': (o['conference'], 'venue'), 'conference.organizer': (o['conference'], 'organizer'),
     'participants[0].name': (o['participants'][0], 'name'), 'records[0].title': (o['records'][0], 'title'),
     'attachments[0].caption': (o['attachments'][0], 'caption')}['$field']
w[0][w[1]] = $over"
		run -3 seal files/over.json over.amana
		assert_too_big "outcome.json: $field: the text is longer than 4096 bytes"
	done
}

@test "outcome.json: kind of 32 bytes, lang of 35, number 1,000,000,000 are sealed; one more is refused (exit 3)" {
	mkoutcome at.json '
o["conference"]["number"] = 1000000000
o["participants"] = [{"name": "p", "kind": "k" * 32}]
o["records"][0]["kind"] = "r" + "-" * 31
o["records"][0]["lang"] = "ar" + "-abcdefgh" * 3 + "-abcde"'
	run -0 seal at.json at.amana
	[ "$(tar -xOf at.amana envelope | sed -n 's/^conference: //p')" = "s 1000000000" ]
	mkoutcome over.json 'o["participants"] = [{"name": "p", "kind": "k" * 33}]'
	run -3 seal over.json over.amana
	assert_too_big "outcome.json: participants[0].kind: the text is longer than 32 bytes"
	mkoutcome over.json 'o["records"][0]["kind"] = "r" * 33'
	run -3 seal over.json over.amana
	assert_too_big "outcome.json: records[0].kind: the text is longer than 32 bytes"
	mkoutcome over.json 'o["records"][0]["lang"] = "ar" + "-abcdefgh" * 3 + "-abcdef"'
	run -3 seal over.json over.amana
	assert_too_big "outcome.json: records[0].lang: the text is longer than 35 bytes"
	mkoutcome over.json 'o["conference"]["number"] = 1000000001'
	run -3 seal over.json over.amana
	assert_stderr_has "outcome.json: conference.number: the conference number must be between 1 and 1000000000"
}

@test "outcome.json: an attachment path of 1,024 bytes with a 255-byte component is sealed and opened; 1,025 or 256 are refused (exit 3)" {
	local c255 c254 p
	c255=$(bytes 255 a)
	c254=$(bytes 254 b)
	# 255 + 1 + 255 + 1 + 255 + 1 + 254 + 1 + 1 = 1024 bytes.
	p="$c255/$c255/$c255/$c254/z"
	[ ${#p} = 1024 ]
	mkdir -p "o/$c255/$c255/$c255/$c254"
	echo attachment >"o/$p"
	mkoutcome o/at.json "o['attachments'] = [{'path': '$p', 'caption': '', 'record': None}]"
	run -0 seal o/at.json at.amana
	member -q trust add sec.pub --name sec
	run -0 member open at.amana -i tn.key -o out
	cmp "o/$p" "out/files/$p"
	mkoutcome o/over.json "o['attachments'] = [{'path': '$p' + 'z', 'caption': '', 'record': None}]"
	run -3 seal o/over.json over.amana
	assert_too_big "outcome.json: attachments[0].path: the text is longer than 1024 bytes"
	mkoutcome o/over.json "o['attachments'] = [{'path': '$c255' + 'a/z', 'caption': '', 'record': None}]"
	run -3 seal o/over.json over.amana
	assert_too_big "outcome.json: attachments[0].path: a component of the path is too long"
}

# ---- names and passphrases ------------------------------------------------------------------

@test "names of 256 bytes are taken (keys, issuers, recipients, pinned keys); 257 are refused (exit 2)" {
	local at over
	at=$(python3 -c 'print("ع" * 128, end="")')
	over="${at}x"
	run -0 amana -q key new sign --name "$at" -o k256 --no-passphrase
	grep -qF "name: $at" k256.pub
	run -2 amana -q key new sign --name "$over" -o k257 --no-passphrase
	assert_too_big "the key name is not usable: it is too long"
	refute_exists k257.key
	run -0 amana -q key new encrypt --name "$at" -o e256
	run -2 amana -q key new encrypt --name "$over" -o e257
	assert_too_big "the key name is not usable: it is too long"
	run -0 amana recipient add e256.pub --name "$at"
	run -2 amana recipient add tn.pub --name "$over"
	assert_too_big "the recipient name is not usable: it is too long"
	run -0 amana trust add k256.pub --name "$at"
	run -2 amana trust add sec.pub --name "$over"
	assert_too_big "the key name is not usable: it is too long"
	mkoutcome o.json
	run -0 amana seal o.json -s sec.key --to "تونس" --issuer-name "$at" -o at.amana
	[ "$(tar -xOf at.amana envelope | sed -n 's/^issuer-name: //p')" = "$at" ]
	run -2 amana seal o.json -s sec.key --to "تونس" --issuer-name "$over" -o over.amana
	assert_too_big "the issuer name is not usable: it is too long"
	refute_exists over.amana
}

@test "passphrases of 1,024 bytes work; 1,025 are refused (exit 5), from a descriptor or a file" {
	local at
	at=$(bytes 1024 p)
	echo secret >msg
	amana encrypt -p --passphrase-fd 3 -o msg.age msg 3< <(printf '%s\n' "$at")
	amana decrypt --passphrase-fd 3 msg.age 3< <(printf '%s\n' "$at") | cmp - msg
	run -5 amana encrypt -p --passphrase-fd 3 -o over.age msg 3< <(printf '%s\n' "${at}p")
	assert_too_big "the passphrase from --passphrase-fd is longer than 1024 bytes"
	refute_exists over.age
	use_passphrase "${at}p"
	run -5 amana -q key new sign --name k -o k
	assert_too_big "the passphrase from AMANA_PASSPHRASE_FILE is longer than 1024 bytes"
	refute_exists k.key
	use_passphrase "$at"
	run -0 amana decrypt -o msg.out msg.age
	cmp msg msg.out
}

# ---- key, recipient, identity and signature files --------------------------------------------

@test "recipient files: 64 KiB are read, one byte more is refused (exit 3)" {
	mkkey_enc "كبير" big >/dev/null
	pad_comments big.pub 65536 at.pub
	pad_comments tn.pub 65537 over.pub
	run -0 amana recipient add at.pub --name "كبير"
	run -3 amana recipient add over.pub --name "أكبر"
	assert_too_big "'over.pub' is larger than 65536 bytes"
	# encrypt -R reads recipient files up to 1 MiB.
	pad_comments tn.pub 1048576 at.txt
	pad_comments tn.pub 1048577 over.txt
	echo secret >msg
	run -0 amana encrypt -R at.txt -o msg.age msg
	run -3 amana encrypt -R over.txt -o over.age msg
	assert_too_big "'over.txt' is larger than 1048576 bytes"
	refute_exists over.age
}

@test "key files: 64 KiB are read, one byte more is refused; minisign key files are at most 4 KiB" {
	# An age identity file with a long comment: key show reads up to 64 KiB.
	pad_comments tn.key 65536 at.key
	pad_comments tn.key 65537 over.key
	chmod 600 at.key over.key
	run -0 amana key show at.key
	assert_stderr_has "$(cat tn.pub)"
	run -3 amana key show over.key
	assert_too_big "'over.key' is larger than 65536 bytes"
	# minisign's public and secret key files: 4,096 bytes get past the size check (and fail
	# as what they are not), 4,097 are refused for their size.
	{ cat sec.pub; bytes $((4096 - $(stat -c %s sec.pub))) '\n'; } >at.pub
	{ cat sec.pub; bytes $((4097 - $(stat -c %s sec.pub))) '\n'; } >over.pub
	run -3 amana trust add at.pub --name a
	refute_too_big
	run -3 amana trust add over.pub --name a
	assert_too_big "public key file is too large"
	{ cat sec.key; bytes $((4096 - $(stat -c %s sec.key))) '\n'; } >at.key
	{ cat sec.key; bytes $((4097 - $(stat -c %s sec.key))) '\n'; } >over.key
	chmod 600 at.key over.key
	echo data >msg
	run -5 amana sign -s at.key -m msg
	refute_too_big
	run -5 amana sign -s over.key -m msg
	assert_too_big "secret key file is too large"
}

@test "minisign secret keys asking for more than 4 GiB or 2^36 operations of scrypt are refused (exit 5)" {
	# sec.key made encrypted-looking ("Sc") with the cost fields set past the bounds; a key
	# at the bounds themselves would take 4 GiB and minutes to open, which no test does.
	local what
	for what in mem ops; do
		python3 - "$what" <<-'EOF'
		import base64, struct, sys
		lines = open("sec.key").read().split("\n")
		raw = bytearray(base64.b64decode(lines[1]))
		raw[2:4] = b"Sc"
		ops, mem = 33554432, 1073741824
		if sys.argv[1] == "mem":
		    mem = (4 << 30) + 1
		else:
		    ops = (1 << 36) + 1
		raw[38:46] = struct.pack("<Q", ops)
		raw[46:54] = struct.pack("<Q", mem)
		lines[0] = lines[0].replace("unencrypted", "encrypted")
		lines[1] = base64.b64encode(bytes(raw)).decode()
		open("costly.key", "w").write("\n".join(lines))
		EOF
		chmod 600 costly.key
		use_passphrase "pw"
		echo data >msg
		run -5 amana sign -s costly.key -m msg
		assert_stderr_has "the secret key asks for an unreasonable scrypt cost"
		refute_exists msg.minisig
	done
}

@test "identity files larger than 256 KiB are refused (exit 5) by decrypt, open and verify alike" {
	pad_comments tn.key 262144 at.key
	pad_comments tn.key 262145 over.key
	chmod 600 at.key over.key
	echo secret >msg
	amana encrypt -r "$(cat tn.pub)" -o msg.age msg
	run -0 amana decrypt -i at.key msg.age
	run -5 amana decrypt -i over.key msg.age
	assert_too_big "'over.key' is larger than 262144 bytes"
	mkoutcome o.json
	seal o.json b.amana >/dev/null
	member -q trust add sec.pub --name sec
	run -0 member verify b.amana -i at.key
	run -5 member verify b.amana -i over.key
	assert_too_big "'over.key' is larger than 262144 bytes"
	run -5 member open b.amana -i over.key -o out
	assert_too_big "'over.key' is larger than 262144 bytes"
	refute_exists out
}

@test "signatures: comments up to their line limits are signed and verified; longer ones are refused" {
	echo data >msg
	# The trusted comment line is at most 8,190 bytes with its prefix, the untrusted one 1,022
	# (what stock minisign reads).
	local tc uc
	tc=$(bytes $((8190 - 17)) t)
	uc=$(bytes $((1022 - 19)) u)
	run -0 amana sign -s sec.key -m msg -t "$tc" -c "$uc"
	run -0 amana verify -p sec.pub -m msg
	[ "$(sed -n 3p msg.minisig | wc -c)" = 8191 ] && [ "$(sed -n 1p msg.minisig | wc -c)" = 1023 ]
	run -2 amana sign -s sec.key -m msg -t "${tc}t" -x over.minisig
	assert_too_big "the trusted comment is longer than 8173 bytes"
	run -2 amana sign -s sec.key -m msg -c "${uc}u" -x over.minisig
	assert_stderr_has "the untrusted comment must be one line of at most 1003 bytes"
	refute_exists over.minisig
	# Read: one more byte on either line is refused before any signature is checked.
	sed '3s/$/t/' msg.minisig >t.minisig
	run -3 amana verify -p sec.pub -m msg -x t.minisig
	assert_too_big "signature file: the trusted comment is too long"
	sed '1s/$/u/' msg.minisig >u.minisig
	run -3 amana verify -p sec.pub -m msg -x u.minisig
	assert_too_big "signature file: the untrusted comment is too long"
	# What amana signs, stock minisign reads (DESIGN.md: checkable with the tools people
	# already trust), comments of the longest length amana allows included.
	run minisign -Vm msg -p sec.pub
	[ "$status" = 0 ] || { echo "stock minisign refuses amana's signature with the longest comments: $output" >&2; return 1; }
}

@test "signature files: 9,468 bytes get past the size checks, 9,469 and 16,385 are refused (exit 3)" {
	echo data >msg
	amana sign -s sec.key -m msg
	# Trailing line ends make the file as long as wanted; whatever refuses it at 9,468
	# bytes, it is not its size.
	{ cat msg.minisig; bytes $((9468 - $(stat -c %s msg.minisig))) '\n'; } >at.minisig
	{ cat msg.minisig; bytes $((9469 - $(stat -c %s msg.minisig))) '\n'; } >over.minisig
	run -3 amana verify -p sec.pub -m msg -x at.minisig
	refute_too_big
	run -3 amana verify -p sec.pub -m msg -x over.minisig
	assert_too_big "signature file is too large"
	{ cat msg.minisig; bytes $((16385 - $(stat -c %s msg.minisig))) '\n'; } >big.minisig
	run -3 amana verify -p sec.pub -m msg -x big.minisig
	assert_too_big "'big.minisig' is larger than 16384 bytes"
}

# ---- the bundle -----------------------------------------------------------------------------

@test "bundle members: envelope 64 KiB, envelope.minisig 16 KiB, log members 8 MiB each; one byte more is refused (exit 3)" {
	mkoutcome o.json
	seal o.json b.amana >/dev/null
	member -q trust add sec.pub --name sec
	local m limit
	for m in envelope:65536 envelope.minisig:16384 log/checkpoint:8388608 log/proof:8388608; do
		limit=${m#*:}
		m=${m%:*}
		# At the limit the container takes the member; what refuses it is the check of its
		# content, not its size.
		rebuild b.amana at.amana "grow $m $limit"
		run member inspect at.amana
		[ "$status" = 1 ] || [ "$status" = 3 ]
		refute_output_has "declares"
		refute_output_has "is larger than"
		rebuild b.amana over.amana "grow $m $((limit + 1))"
		run -3 member inspect over.amana
		assert_too_big "member '$m' declares $((limit + 1)) bytes, more than the $limit allowed"
		run -3 member open over.amana -i tn.key -o out
		assert_too_big "declares $((limit + 1)) bytes"
		refute_exists out
	done
}

@test "bundle: up to 1 MiB of zeros after the end blocks is tar padding; more is refused (exit 3)" {
	mkoutcome o.json
	seal o.json b.amana >/dev/null
	member -q trust add sec.pub --name sec
	{ cat b.amana; head -c $((1 << 20)) /dev/zero; } >at.amana
	{ cat b.amana; head -c $(((1 << 20) + 1)) /dev/zero; } >over.amana
	run -0 member verify at.amana -i tn.key
	run -3 member verify over.amana -i tn.key
	assert_stderr_has "the bundle has data after its end"
}

@test "an envelope of 64 KiB gets past the size check of the parser; more is refused before it is signed" {
	mkoutcome o.json
	seal o.json b.amana >/dev/null
	member -q trust add sec.pub --name sec
	# The title made long: the envelope is then 65,536 bytes, well formed, but not what the
	# issuer signed (exit 1); at 65,537 the container refuses it (exit 3).
	local n
	n=$(tar -xOf b.amana envelope | wc -c)
	rebuild b.amana at.amana "sed -i 's/^title: t\$/title: t$(bytes $((65536 - n)) x)/' envelope"
	[ "$(tar -xOf at.amana envelope | wc -c)" = 65536 ]
	run -1 member inspect at.amana
	refute_too_big
	assert_stderr_has "signature"
}

@test "record proofs: a file of 2 MiB gets past the size check, one byte more is refused (exit 3)" {
	{ printf 'amana-record-proof/1\n'; bytes $(((2 << 20) - 21)) x; } >at.proof
	{ printf 'amana-record-proof/1\n'; bytes $(((2 << 20) - 20)) x; } >over.proof
	run -3 amana record verify at.proof -p sec.pub
	refute_too_big
	run -3 amana record verify over.proof -p sec.pub
	assert_too_big "'over.proof' is larger than 2097152 bytes"
}

@test "log cosignature add: a file of 1 MiB gets past the size check, one byte more is refused (exit 3)" {
	mkoutcome o.json
	seal o.json b.amana >/dev/null
	{ printf 'amana/x\n'; bytes $(((1 << 20) - 8)) x; } >at.note
	{ printf 'amana/x\n'; bytes $(((1 << 20) - 7)) x; } >over.note
	run amana log cosignature add at.note
	[ "$status" = 1 ] || [ "$status" = 3 ]
	refute_too_big
	run -3 amana log cosignature add over.note
	assert_too_big "'over.note' is larger than 1048576 bytes"
}

# ---- age ------------------------------------------------------------------------------------

@test "age armor: 1,024 bytes of whitespace before BEGIN and 1,023 after END are read; one more is refused (exit 3)" {
	echo secret >msg
	amana encrypt -a -r "$(cat tn.pub)" -o msg.asc msg
	{ bytes 1023 ' '; echo; cat msg.asc; bytes 1023 ' '; } >at.asc
	{ bytes 1024 ' '; echo; cat msg.asc; } >over1.asc
	{ cat msg.asc; bytes 1024 ' '; } >over2.asc
	amana decrypt -i tn.key at.asc | cmp - msg
	run -3 amana decrypt -i tn.key over1.asc
	assert_too_big "invalid ASCII armor: more than 1024 bytes of whitespace before the BEGIN line"
	run -3 amana decrypt -i tn.key over2.asc
	assert_too_big "invalid ASCII armor: more than 1023 bytes of whitespace after the END line"
}

@test "age: a header longer than 1 MiB is refused (exit 3); scrypt work factors above 22 are refused" {
	# A header whose one stanza body runs past 1 MiB of 64-column lines.
	{
		echo "age-encryption.org/v1"
		echo "-> pad"
		yes "$(bytes 64 A)" | head -n 16400
		echo "--- AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	} >long.age
	run -3 amana decrypt -i tn.key long.age
	assert_too_big "invalid age header: longer than 1048576 bytes"
	# An scrypt stanza asking for 2^23: refused before any work.
	printf '%s\n' "age-encryption.org/v1" "-> scrypt AAAAAAAAAAAAAAAAAAAAAA 23" \
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" \
		"--- AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" >wf.age
	run -3 amana decrypt --passphrase-fd 3 wf.age 3< <(echo pw)
	assert_stderr_has "22"
}

# ---- the clock --------------------------------------------------------------------------------

@test "SOURCE_DATE_EPOCH: honoured up to 9999-12-31T23:59:59Z, as format.md says; later or longer values are ignored" {
	mkoutcome o.json
	SOURCE_DATE_EPOCH=253402300799 seal o.json a.amana >/dev/null
	[ "$(tar -xOf a.amana envelope | sed -n 's/^created: //p')" = "9999-12-31T23:59:59Z" ]
	# One second later (the year 10000) and the largest 12-digit value: ignored, the clock is
	# used, never a bundle dated 1970.
	local v created
	for v in 253402300800 999999999999; do
		rm -f b.amana
		SOURCE_DATE_EPOCH=$v seal o.json b.amana >/dev/null
		created=$(tar -xOf b.amana envelope | sed -n 's/^created: //p')
		[ "${created%%-*}" = "$(date -u +%Y)" ] || {
			echo "SOURCE_DATE_EPOCH=$v sealed a bundle created $created (its tar entries say $(tar -tvf b.amana | head -n 1 | awk '{print $4}'))" >&2
			return 1
		}
	done
	SOURCE_DATE_EPOCH=1000000000000 seal o.json c.amana >/dev/null
	[ "$(tar -xOf c.amana envelope | sed -n 's/^created: \(....\).*/\1/p')" = "$(date -u +%Y)" ]
}
