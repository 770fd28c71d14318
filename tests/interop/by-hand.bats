#!/usr/bin/env bats
# docs/verify-by-hand.md, run as written: every ```sh block of the page, in order, in one
# shell, with stock tar, minisign, age, sqlite3, b2sum and sha256sum only. The blocks are
# taken from the markdown each time, so the page and this test cannot drift apart.
#
# A freshly sealed bundle of the 24th conference's outcome passes every step; tampered
# copies fail at the step that is meant to catch them, and amana refuses them too. Copies
# that must reach the steps after decryption have their outer layer re-made with the
# issuer's key (stock minisign), as only a tampering issuer or a buggy build could: that is
# the only way to test that steps 6 to 10 catch what they are meant to. A readdressed bundle
# (amana readdress: a new header, addendum.age) passes every step for a state it added and
# for one of the first seal; a tampered, stripped addendum, or a state it dropped, fail.

load ../lib/common

DOC=$TOP/docs/verify-by-hand.md

local_setup() {
	local t
	for t in tar minisign age age-keygen sqlite3 b2sum sha256sum base64 od awk paste; do
		command -v "$t" >/dev/null || { echo "$t is not installed (.ci/run installs it)" >&2; return 1; }
	done
	export LC_ALL=C.UTF-8
	mkkey_sign "الأمانة العامة لمجلس وزراء الداخلية العرب" secretariat
	mkkey_enc "وزارة الداخلية - تونس" tunisia
	mkkey_enc "وزارة الداخلية - مصر" egypt
	mkkey_enc "وزارة الداخلية - الأردن" jordan
	amana -q recipient add tunisia.pub --name "تونس"
	amana -q recipient add egypt.pub --name "مصر"
	amana -q trust add secretariat.pub --name "الأمانة العامة"
	cp -R "$TOP/docs/examples/conference-24" src
	# plain.amana: the same key sealing from a vault without a root (its own log).
	AMANA_HOME=$T/v-plain amana -q recipient add tunisia.pub --name "تونس"
	AMANA_HOME=$T/v-plain amana -q seal src/outcome.json -s secretariat.key --to "تونس" -o plain.amana
	# The bundle the page is run on is sealed under a 2-of-3 trust root (step 11), which the
	# secretariat's vault pins: the key pin above moves to it.
	mkkey_sign "root a" ra
	mkkey_sign "root b" rb
	mkkey_sign "root c" rc
	amana -q root new --name "الأمانة العامة" --root-key ra.pub --root-key rb.pub --root-key rc.pub \
		--threshold 2 --signing-key secretariat.pub --not-before 2020-01-01 --not-after 2099-12-31 -o secretariat-root.txt
	amana -q root sign secretariat-root.txt -s ra.key
	amana -q root sign secretariat-root.txt -s rc.key
	amana -q trust add secretariat-root.txt
	amana -q seal src/outcome.json -s secretariat.key --to "تونس" --to "مصر" -o conference-24.amana
}

# The page's sh blocks as one script. A block belongs to the "## N. ..." heading above it
# (the "Before you start" block is step 0); the script prints "step N passed" after each.
# Assignments given as arguments run right after step 0, as if the reader had typed them.
steps_script() {
	local header=$1
	shift
	printf '%s\n' "$header"
	awk -v extra="$(printf '%s\n' "$@")" '
		/^## / { h = substr($0, 4); num = (h ~ /^[0-9]+\./) ? h + 0 : 0; next }
		/^```sh$/ { inb = 1; printf "echo \"== step %d\"\n", num; next }
		inb && /^```$/ {
			inb = 0
			printf "echo \"step %d passed\"\n", num
			if (num == 0 && extra != "") print extra
			next
		}
		inb { print }
	' "$DOC"
}

# by_hand STATUS DIR [NAME=VALUE...]: runs the page's steps in DIR (which holds
# conference-24.amana, secretariat.pub and tunisia.key, the names the page uses) with bats'
# run, which insists on the exit status STATUS (each stock tool says no with 1).
by_hand() {
	local status=$1 dir=$2
	shift 2
	steps_script 'set -eu -o pipefail' "$@" >"$T/steps.sh"
	run -"$status" bash -c 'cd "$1" && bash "$2"' by-hand "$dir" "$T/steps.sh"
}

# A folder with the files the page expects, and bundle as its conference-24.amana.
case_dir() {
	mkdir -p "$1"
	cp "$2" "$1/conference-24.amana"
	cp secretariat.pub secretariat-root.txt tunisia.key "$1/"
}

# Steps 0 .. N-1 passed and step N (the one that should catch it) did not.
assert_fails_at() {
	local n=$1 i
	for ((i = 0; i < n; i++)); do
		assert_stderr_has "step $i passed"
	done
	assert_stderr_has "== step $n"
	refute_output_has "step $n passed"
}

# forge NAME: unpacks conference-24.amana into $T/forge-NAME/outer and its payload (decrypted
# with tunisia.key) into $T/forge-NAME/inner, for the test to change.
forge() {
	local w=$T/forge-$1
	mkdir -p "$w/outer" "$w/inner"
	tar -xf "$T/conference-24.amana" -C "$w/outer"
	age -d -i "$T/tunisia.key" "$w/outer/payload.age" | tar -xf - -C "$w/inner"
}

# reseal NAME RECIPIENT...: re-makes a bundle from $T/forge-NAME/outer and inner: the inner tar
# in amana's member order (format 3: the files, then the manifest and its signature), encrypted to the recipients given (age1...), a new payload line in
# the envelope, the envelope signed again with the issuer's key as amana signs it, the log
# members (if the bundle had them) carried over unchanged; a file $T/forge-NAME/trailer is
# appended to the inner tar. The result goes to the folder NAME (see case_dir).
reseal() {
	local name=$1 w=$T/forge-$1 r
	shift
	local args=()
	for r in "$@"; do args+=(-r "$r"); done
	(
		cd "$w/inner" || exit 1
		{ find files -type f | LC_ALL=C sort; printf '%s\n' manifest.sqlite manifest.sqlite.minisig; } >../order
		tar --format=ustar --owner=0 --group=0 --numeric-owner --mtime=@0 -cf ../inner.tar -T ../order
		if [ -e ../trailer ]; then cat ../trailer >>../inner.tar; fi
		cd ../outer || exit 1
		age "${args[@]}" -o payload.age ../inner.tar
		# The age header ends with its MAC line ("--- ..."); the body follows.
		hlen=$(head -n "$(grep -a -n -m1 '^--- ' payload.age | cut -d: -f1)" payload.age | wc -c)
		hdigest=$(head -c "$hlen" payload.age | b2sum | cut -d' ' -f1)
		bdigest=$(tail -c +$((hlen + 1)) payload.age | b2sum | cut -d' ' -f1)
		bsize=$(($(wc -c <payload.age) - hlen))
		sed -i -e "s/^payload-header: .*/payload-header: blake2b-512 $hdigest $hlen/" \
			-e "s/^payload-body: .*/payload-body: blake2b-512 $bdigest $bsize/" envelope
		id=$(sed -n 's/^bundle-id: //p' envelope)
		seq=$(sed -n 's/^sequence: //p' envelope)
		minisign -S -W -s "$T/secretariat.key" -m envelope -x envelope.minisig \
			-c "amana envelope signature" -t "amana-bundle/3 $id $seq" >/dev/null
		set -- envelope envelope.minisig
		if [ -e root ]; then set -- "$@" root; fi
		set -- "$@" payload.age
		if [ -e log/checkpoint ]; then set -- "$@" log/checkpoint log/proof; fi
		amanatar ../bundle.amana "$@"
	)
	case_dir "$name" "$w/bundle.amana"
}

@test "the page's blocks are numbered in order, one block per step, 0 to 11" {
	run -0 awk '
		/^## / { h = substr($0, 4); num = (h ~ /^[0-9]+\./) ? h + 0 : 0; next }
		/^```sh$/ { print num }
	' "$DOC"
	[ "$output" = "$(seq 0 11)" ]
}

@test "a freshly sealed bundle passes every step of verify-by-hand.md" {
	case_dir good conference-24.amana
	by_hand 0 good
	for i in $(seq 0 11); do
		assert_stderr_has "step $i passed"
	done
	assert_stderr_has "root version 1: 2 signatures by its root keys"
	grep -q '^root: ' good/bundle/envelope
	assert_stderr_has "payload.body: OK"
	assert_stderr_has "inner/files/التوصيات.txt: OK"
	assert_stderr_has "leaves/14.bin: OK"
	# It is format 3: the manifest and its signature are the payload's last members.
	grep -qx 'format: amana-bundle/3' good/bundle/envelope
	[ "$(tail -n 2 good/inner.found | tr '\n' ' ')" = "manifest.sqlite manifest.sqlite.minisig " ]
	# and amana agrees
	run -0 amana verify conference-24.amana -i tunisia.key
}

@test "a format 2 bundle (tests/fixtures/v2, manifest first) passes every step too" {
	local fx=$TOP/tests/fixtures/v2
	mkdir v2
	cp "$fx/conference-24.amana" "$fx/tunisia.key" v2/
	chmod 600 v2/tunisia.key
	cp "$fx/sec.pub" v2/secretariat.pub
	cp "$fx/root-v1.txt" v2/secretariat-root.txt
	by_hand 0 v2
	for i in $(seq 0 11); do
		assert_stderr_has "step $i passed"
	done
	grep -qx 'format: amana-bundle/2' v2/bundle/envelope
	[ "$(head -n 2 v2/inner.found | tr '\n' ' ')" = "manifest.sqlite manifest.sqlite.minisig " ]
	assert_stderr_has "inner/files/التوصيات.txt: OK"
}

# GNU tar escapes in its listings what it does not count as printable, even under C.UTF-8:
# U+2028, and code points newer than the C library (U+0378 is unassigned). The page's
# listings are literal, so such names pass like any other.
@test "attachment names GNU tar would escape (U+2028, an unassigned code point) pass every step" {
	cp -R src odd
	local a b
	a=$(printf 'ls\u2028sep.txt')
	b=$(printf 'unas\u0378x.txt')
	printf 'one' >"odd/$a"
	printf 'two' >"odd/$b"
	sqlite3 :memory: "select writefile('odd/outcome.json', json_insert(CAST(readfile('odd/outcome.json') AS TEXT),
		'\$.attachments[#]', json_object('path', '$a', 'caption', 'a'),
		'\$.attachments[#]', json_object('path', '$b', 'caption', 'b')))" >/dev/null
	amana -q seal odd/outcome.json -s secretariat.key --to "تونس" -o odd.amana
	# Stock tar's default listing escapes them: the case is real.
	[ "$(tar -xOf odd.amana payload.age | age -d -i tunisia.key | tar -tf - | grep -c '\\')" -eq 2 ]
	case_dir oddcase odd.amana
	by_hand 0 oddcase
	assert_stderr_has "step 10 passed"
	assert_stderr_has "inner/files/$a: OK"
}

@test "the steps also run under a plain POSIX sh" {
	command -v dash >/dev/null || skip "dash is not installed"
	case_dir good conference-24.amana
	steps_script 'set -eu' >"$T/steps-sh.sh"
	run -0 sh -c 'cd good && dash "$1"' sh "$T/steps-sh.sh"
	assert_stderr_has "step 10 passed"
}

@test "Egypt, the other recipient, passes every step with its own key" {
	case_dir egypt conference-24.amana
	cp egypt.key egypt/
	by_hand 0 egypt IDENTITY=egypt.key
	assert_stderr_has "step 10 passed"
}

@test "an altered envelope fails at step 3 (the issuer's signature)" {
	case_dir env conference-24.amana
	# created: 2026-... becomes 3026-...: still a well-formed envelope, no longer the signed one
	local off
	off=$(grep -abo 'created: ' env/conference-24.amana | head -n 1 | cut -d: -f1)
	flip_byte env/conference-24.amana $((off + 9))
	by_hand 1 env
	assert_fails_at 3
	run -1 amana verify env/conference-24.amana -i tunisia.key
}

@test "an envelope signed by another key fails at step 3" {
	mkkey_sign "مزور" forger
	forge other
	(
		cd "$T/forge-other/outer" || exit 1
		id=$(sed -n 's/^bundle-id: //p' envelope)
		minisign -S -W -s "$T/forger.key" -m envelope -x envelope.minisig \
			-c "amana envelope signature" -t "amana-bundle/3 $id 1" >/dev/null
		amanatar ../bundle.amana $(tar -tf "$T/conference-24.amana")
	)
	case_dir other "$T/forge-other/bundle.amana"
	by_hand 1 other
	assert_fails_at 3
	run -1 amana verify other/conference-24.amana
	assert_stderr_has "not by the issuer"
}

@test "an altered payload fails at step 4 (its digest)" {
	case_dir payload conference-24.amana
	local off
	off=$(grep -abo 'age-encryption.org/v1' payload/conference-24.amana | head -n 1 | cut -d: -f1)
	flip_byte payload/conference-24.amana $((off + 5000))
	by_hand 1 payload
	assert_fails_at 4
	assert_stderr_has "payload.body: FAILED"
	run -1 amana verify payload/conference-24.amana
}

@test "a key the bundle was not sealed for fails at step 5 (decryption)" {
	case_dir jordan conference-24.amana
	cp jordan.key jordan/
	by_hand 1 jordan IDENTITY=jordan.key
	assert_fails_at 5
	run -5 amana verify conference-24.amana -i jordan.key
}

@test "a manifest altered under its old signature fails at step 6" {
	forge m
	sqlite3 "$T/forge-m/inner/manifest.sqlite" "UPDATE records SET body = body || ' (معدل)' WHERE seq = 7"
	reseal m "$(cat tunisia.pub)"
	by_hand 1 m
	assert_fails_at 6
	run -1 amana verify m/conference-24.amana -i tunisia.key
	assert_stderr_has "the manifest's signature"
}

@test "a payload re-encrypted for a state that is not listed fails at step 8" {
	# Tunisia decrypts and re-encrypts the plaintext for Jordan: the manifest and its
	# signature are the issuer's, but Jordan is not among the recipients the issuer named.
	forge fwd
	reseal fwd "$(cat jordan.pub)"
	cp jordan.key fwd/
	by_hand 1 fwd IDENTITY=jordan.key
	assert_fails_at 8
	run -1 amana verify fwd/conference-24.amana -i jordan.key
	assert_stderr_has "does not list"
}

@test "an attachment altered inside the payload fails at step 9 (its digest)" {
	forge att
	printf 'سطر مضاف\n' >>"$T/forge-att/inner/files/التوصيات.txt"
	reseal att "$(cat tunisia.pub)" "$(cat egypt.pub)"
	by_hand 1 att
	assert_fails_at 9
	assert_stderr_has "inner/files/التوصيات.txt: FAILED"
	run -1 amana verify att/conference-24.amana -i tunisia.key
}

@test "an attachment added inside the payload fails at step 9 (the listing)" {
	forge extra
	printf 'not listed\n' >"$T/forge-extra/inner/files/extra.txt"
	reseal extra "$(cat tunisia.pub)" "$(cat egypt.pub)"
	by_hand 1 extra
	assert_fails_at 9
	assert_stderr_has "files/extra.txt"
	run -1 amana verify extra/conference-24.amana -i tunisia.key
	assert_stderr_has "not listed in the manifest"
}

@test "bytes other than zeros after the inner tar's end are refused; tar's own zero padding is not" {
	# GNU tar pads its output to 10 KiB with zeros. Resealing changes the envelope, so the
	# log (checked after the payload) no longer matches: reaching that check shows the
	# padded inner tar was read through.
	forge pad
	reseal pad "$(cat tunisia.pub)"
	run -1 amana verify pad/conference-24.amana -i tunisia.key
	assert_stderr_has "log/proof: leaf 0 is not this bundle's envelope"
	# The same with a line of text after the padding, encrypted and signed like the rest.
	forge tail
	printf 'ملحق غير مدرج\n' >"$T/forge-tail/trailer"
	reseal tail "$(cat tunisia.pub)"
	run -3 amana verify tail/conference-24.amana -i tunisia.key
	assert_stderr_has "data after its end"
}

@test "a record altered in a manifest the issuer signed again fails at step 10 (its leaf)" {
	forge rec
	w=$T/forge-rec/inner
	sqlite3 "$w/manifest.sqlite" "UPDATE records SET body = body || ' (معدل)' WHERE seq = 7"
	id=$(tar -xOf conference-24.amana envelope | sed -n 's/^bundle-id: //p')
	minisign -S -W -s secretariat.key -m "$w/manifest.sqlite" -x "$w/manifest.sqlite.minisig" \
		-c "amana manifest signature" -t "amana-manifest/1 $id 1" >/dev/null
	reseal rec "$(cat tunisia.pub)"
	by_hand 1 rec
	assert_fails_at 10
	assert_stderr_has "leaves/7.bin: FAILED"
	run -1 amana verify rec/conference-24.amana -i tunisia.key
	assert_stderr_has "record 7"
}

@test "a container with an extra member fails at step 1, before anything is unpacked" {
	forge extra
	printf 'extra\n' >"$T/forge-extra/outer/extra"
	(cd "$T/forge-extra/outer" && amanatar ../bundle.amana $(tar -tf "$T/conference-24.amana") extra)
	case_dir cont "$T/forge-extra/bundle.amana"
	by_hand 1 cont
	assert_fails_at 1
	refute_exists cont/bundle
	run -3 amana verify cont/conference-24.amana
	assert_stderr_has "unexpected member 'extra'"
}

@test "a bundle sealed without a root passes every step; step 11 has nothing to check" {
	case_dir plain plain.amana
	by_hand 0 plain
	assert_stderr_has "step 11 passed"
	refute_output_has "root version 1"
	run -0 amana verify plain.amana -i tunisia.key
}

# reroot NAME: conference-24.amana with its root member changed by the commands on stdin
# (run in the unpacked container), the rest byte for byte.
reroot() {
	local w=$T/reroot-$1
	mkdir -p "$w"
	tar -xf "$T/conference-24.amana" -C "$w"
	(cd "$w" && bash -eu) </dev/stdin
	(cd "$w" && amanatar ../reroot-$1.amana envelope envelope.minisig root payload.age log/checkpoint log/proof)
	case_dir "$1" "$T/reroot-$1.amana"
}

@test "a root chain below its threshold fails at step 11, and amana refuses it" {
	# The last signature (four lines) removed: 1 of 2.
	reroot below <<'SH'
head -n -4 root > root.new && mv root.new root
SH
	by_hand 1 below
	assert_fails_at 11
	amana --vault "$T/v-tn" -q trust add secretariat-root.txt
	run -1 amana --vault "$T/v-tn" verify below/conference-24.amana
	assert_stderr_has "below threshold"
}

@test "a root chain signed by a key that is not a root key fails at step 11, and amana refuses it" {
	mkkey_sign other other
	local body sig
	body=$(awk '/^untrusted comment: / { exit } { print }' "$T/secretariat-root.txt")
	printf '%s\n' "$body" >"$T/root.body"
	minisign -S -W -s other.key -m "$T/root.body" -x "$T/other.sig" -c "amana root signature" \
		-t "amana-root/1 $(sed -n 's/^root-id: //p' "$T/root.body") 1" >/dev/null
	reroot foreign <<SH
cat "$T/other.sig" >> root
SH
	by_hand 1 foreign
	assert_fails_at 11
	amana --vault "$T/v-tn" -q trust add secretariat-root.txt
	run -1 amana --vault "$T/v-tn" verify foreign/conference-24.amana
	assert_stderr_has "not one of its root keys"
}

@test "a bundle whose envelope names a root but whose chain was stripped is refused by both" {
	local w=$T/strip
	mkdir -p "$w"
	tar -xf conference-24.amana -C "$w"
	(cd "$w" && amanatar ../strip.amana envelope envelope.minisig payload.age log/checkpoint log/proof)
	case_dir strip strip.amana
	by_hand 1 strip
	refute_output_has "step 11 passed"
	amana --vault "$T/v-tn" -q trust add secretariat-root.txt
	run -1 amana --vault "$T/v-tn" verify strip.amana
	assert_stderr_has "stripped"
}

# readdressed OUT: conference-24's outcome sealed under the root for تونس, مصر and the
# secretariat's own key (its vault holds the members' keys too, so it is named, not
# --to-self), then readdressed to تونس and الأردن: Jordan is listed only by the addendum.
readdressed() {
	mkkey_enc "الأمانة العامة" self >/dev/null
	amana -q recipient add self.pub --name "الأمانة"
	amana -q recipient add jordan.pub --name "الأردن"
	amana -q seal src/outcome.json -s secretariat.key --to "تونس" --to "مصر" --to "الأمانة" -o first.amana
	amana -q readdress first.amana -s secretariat.key -i self.key --to "تونس" --to "الأردن" -o "$1" >/dev/null
	grep -q . <(tar -xOf "$1" envelope | grep '^readdress: ')
}

# readdressed_case NAME BUNDLE: case_dir, with Jordan's and Egypt's keys too.
readdressed_case() {
	case_dir "$1" "$2"
	cp jordan.key egypt.key "$1/"
}

@test "a readdressed bundle passes every step, for a state the addendum added and for one of the first seal" {
	readdressed re.amana
	readdressed_case jo re.amana
	by_hand 0 jo IDENTITY=jordan.key
	for i in $(seq 0 11); do
		assert_stderr_has "step $i passed"
	done
	assert_stderr_has "bundle/addendum.age: OK"
	assert_stderr_has "format: amana-addendum/1"
	assert_stderr_has "recipient: $(tail -n 1 jordan.pub) الأردن"
	assert_stderr_has "root version 1: 2 signatures by its root keys"
	# Jordan is not in the manifest: only the addendum lists it.
	[ "$(sqlite3 jo/inner/manifest.sqlite "select count(*) from recipients where recipient = '$(tail -n 1 jordan.pub)'")" = 0 ]
	# The manifest was signed with the first seal's sequence, the envelope has the next one.
	[ "$(sed -n 's/^sequence: //p' jo/first.seal)" = "$(tar -xOf first.amana envelope | sed -n 's/^sequence: //p')" ]
	[ "$(sed -n 's/^sequence: //p' jo/bundle/envelope)" != "$(sed -n 's/^sequence: //p' jo/first.seal)" ]
	readdressed_case tn re.amana
	by_hand 0 tn
	assert_stderr_has "step 11 passed"
	# and amana agrees
	amana --vault "$T/v-jo" -q trust add secretariat-root.txt
	run -0 amana --vault "$T/v-jo" verify re.amana -i jordan.key
	run -0 amana --vault "$T/v-jo" verify re.amana -i tunisia.key
	# The steps on the first seal, which has no readdress line, pass as before.
	readdressed_case first first.amana
	by_hand 0 first
	assert_stderr_has "step 11 passed"
	refute_output_has "addendum.age: OK"
}

@test "a readdressed bundle runs under a plain POSIX sh" {
	command -v dash >/dev/null || skip "dash is not installed"
	readdressed re.amana
	readdressed_case jo re.amana
	steps_script 'set -eu' IDENTITY=jordan.key >"$T/steps-sh.sh"
	run -0 sh -c 'cd jo && dash "$1"' sh "$T/steps-sh.sh"
	assert_stderr_has "step 11 passed"
}

@test "a state the readdress dropped fails at step 5 (decryption)" {
	readdressed re.amana
	readdressed_case eg re.amana
	by_hand 1 eg IDENTITY=egypt.key
	assert_fails_at 5
	amana --vault "$T/v-eg" -q trust add secretariat-root.txt
	run -5 amana --vault "$T/v-eg" verify re.amana -i egypt.key
	# It still holds the first seal, which passes.
	readdressed_case eg1 first.amana
	by_hand 0 eg1 IDENTITY=egypt.key
}

@test "a tampered addendum.age fails at step 4 (its digest), and amana refuses it" {
	readdressed re.amana
	local w=$T/add
	mkdir -p "$w"
	tar -xf re.amana -C "$w"
	flip_byte "$w/addendum.age" 150
	(cd "$w" && amanatar ../add.amana $(tar -tf "$T/re.amana"))
	readdressed_case add add.amana
	by_hand 1 add IDENTITY=jordan.key
	assert_fails_at 4
	assert_stderr_has "bundle/addendum.age: FAILED"
	amana --vault "$T/v-jo" -q trust add secretariat-root.txt
	run -1 amana --vault "$T/v-jo" verify add.amana -i jordan.key
	assert_stderr_has "addendum.age"
}

@test "a readdressed bundle whose addendum was stripped fails at step 2, and amana refuses it" {
	readdressed re.amana
	local w=$T/strip-add
	mkdir -p "$w"
	tar -xf re.amana -C "$w"
	(cd "$w" && amanatar ../strip-add.amana envelope envelope.minisig root payload.age log/checkpoint log/proof)
	readdressed_case strip strip-add.amana
	by_hand 1 strip IDENTITY=jordan.key
	assert_fails_at 2
	amana --vault "$T/v-jo" -q trust add secretariat-root.txt
	run -1 amana --vault "$T/v-jo" verify strip-add.amana -i jordan.key
	assert_stderr_has "stripped"
}

@test "an addendum the issuer signed that does not list the reader fails at step 8" {
	# Only the issuer can make one: a new addendum for Jordan naming Tunisia alone, its
	# digest put in the envelope's readdress line, the envelope signed again with the issuer's
	# key; the log members no longer match, which amana reports after step 8's check.
	readdressed re.amana
	local w=$T/forge-add
	mkdir -p "$w"
	tar -xf re.amana -C "$w"
	(
		cd "$w" || exit 1
		age -d -i "$T/jordan.key" addendum.age | grep -v "^recipient: $(tail -n 1 "$T/jordan.pub") " |
			sed 's/^recipients: 2$/recipients: 1/' >addendum.txt
		grep -qx 'recipients: 1' addendum.txt
		age -r "$(tail -n 1 "$T/jordan.pub")" -o addendum.age addendum.txt
		d=$(b2sum <addendum.age | cut -d' ' -f1)
		n=$(wc -c <addendum.age | tr -d ' ')
		sed -i -e "s/^\(readdress: [0-9]* [^ ]* blake2b-512\) .*/\1 $d $n/" -e 's/^recipients: 2$/recipients: 1/' envelope
		id=$(sed -n 's/^bundle-id: //p' envelope)
		seq=$(sed -n 's/^sequence: //p' envelope)
		minisign -S -W -s "$T/secretariat.key" -m envelope -x envelope.minisig \
			-c "amana envelope signature" -t "amana-bundle/3 $id $seq" >/dev/null
		amanatar ../forge-add.amana envelope envelope.minisig root addendum.age payload.age log/checkpoint log/proof
	)
	readdressed_case fa "$T/forge-add.amana"
	by_hand 1 fa IDENTITY=jordan.key
	assert_fails_at 8
	amana --vault "$T/v-jo" -q trust add secretariat-root.txt
	run -1 amana --vault "$T/v-jo" verify fa/conference-24.amana -i jordan.key
	assert_stderr_has "does not list"
}
