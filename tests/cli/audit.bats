#!/usr/bin/env bats
# amana audit (issue 6, point 5): an auditor's report on a set of bundles, without decryption
# keys: one consistent history, forks, sequence numbers used twice, gaps; --json; --html, a
# self-contained page that headless Chromium renders.
#
# The auditor is the default vault ($AMANA_HOME), which pins the secretariat's key only. The
# secretariat's vault is $T/sec (function sec); a fork is a copy of it that goes on sealing.

load ../lib/common

local_setup() {
	local ex="$TOP/docs/examples/conference-24"
	cp "$ex/outcome.json" "$ex/archive-photo.png" "$ex/التوصيات.txt" "$T/"
	mkkey_sign "الأمانة العامة لمجلس وزراء الداخلية العرب" s
	mkkey_enc "وزارة الداخلية - تونس" tn
	sec -q recipient add tn.pub --name "تونس"
	ID=$(sed -n 1p s.pub | sed 's/.*key \([0-9A-F]*\),.*/\1/')
	amana -q trust add s.pub --name "الأمانة العامة"
	TITLE=$(sqlite3 :memory: "select json_extract(CAST(readfile('outcome.json') AS TEXT), '\$.conference.title')")
}

sec() {
	"$AMANA" --vault "$T/sec" "$@"
}

# seal OUT [VAULT]
seal() {
	"$AMANA" -q --vault "${2:-$T/sec}" seal outcome.json -s s.key --to-all -o "$1"
}

# fork_vault DEST: a copy of the secretariat's vault as it is now.
fork_vault() {
	sqlite3 "$T/sec/vault.db" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
	cp -R "$T/sec" "$1"
}

bundle_id() {
	tar xOf "$1" envelope | sed -n 's/^bundle-id: //p'
}

# root16 BUNDLE: the first 16 hex digits of its checkpoint's root.
root16() {
	tar xOf "$1" log/checkpoint | sed -n 3p | base64 -d | od -An -v -tx1 | tr -d ' \n' | cut -c1-16
}

# The last `run`'s output as SQL text (J), whether it is valid JSON, and one JSON path of it.
J="CAST(readfile('out.json') AS TEXT)"
jvalid() {
	printf '%s' "$output" >"$T/out.json"
	sqlite3 :memory: "select json_valid($J)"
}
json() {
	printf '%s' "$output" >"$T/out.json"
	sqlite3 :memory: "select json_extract($J, '$1')"
}

# The line of the last `run`'s output that contains every argument.
line_with() {
	local l w ok
	while IFS= read -r l; do
		ok=1
		for w in "$@"; do [[ "$l" == *"$w"* ]] || ok=0; done
		if [ "$ok" = 1 ]; then
			printf '%s\n' "$l"
			return 0
		fi
	done <<<"$output"
	echo "no line of the output contains all of: $*" >&2
	echo "output was: $output" >&2
	return 1
}

# render FILE: the DOM that headless Chromium builds from the page, on stdout. Fails (never
# skips) when Debian's chromium package is not installed.
render() {
	if ! command -v chromium >/dev/null 2>&1; then
		echo "chromium is not installed: the audit report must be rendered by a real browser" >&2
		echo "install Debian's chromium package: sudo apt-get install chromium" >&2
		return 1
	fi
	timeout 300 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$T/chrome" --dump-dom "file://$1" 2>"$T/chrome.log"
}

@test "a consistent set: exit 0, every bundle listed by id, verdict PASS" {
	seal b1.amana
	seal b2.amana
	seal b3.amana
	run -0 amana audit b3.amana b1.amana b2.amana
	for n in 1 2 3; do
		line_with "ok " "$ID seq $n " "$(bundle_id b$n.amana)" "$TITLE"
	done
	assert_stderr_has "verdict: PASS (one consistent history, every check passed)"
	refute_output_has "finding:"
	refute_output_has "note:"
}

@test "audit needs no decryption key, but the issuer must be pinned (else exit 1)" {
	seal b1.amana
	[ -z "$(ls "$AMANA_HOME" | grep -v '^vault.db')" ]
	run -0 amana audit b1.amana
	run -1 amana --vault "$T/nobody" audit b1.amana
	line_with "FAILED" "$(bundle_id b1.amana)"
	assert_stderr_has "finding: b1.amana: the issuer $ID"
	assert_stderr_has "is not pinned"
	assert_stderr_has "verdict: FAIL"
}

@test "a set containing a fork: exit 1, the fork named with both checkpoints" {
	seal b1.amana
	fork_vault "$T/fork"
	seal b2.amana
	seal b3.amana
	seal f2.amana "$T/fork"
	run -1 amana audit b1.amana b2.amana b3.amana f2.amana
	# Each bundle passes on its own; together they are two histories.
	for b in b1 b2 b3 f2; do line_with "ok " "$(bundle_id $b.amana)"; done
	line_with "finding: log 'amana/$ID' forked at leaf 1" "$(bundle_id b2.amana) (size 2, root $(root16 b2.amana)...)" \
		"$(bundle_id f2.amana) (size 2, root $(root16 f2.amana)...)"
	line_with "finding: log 'amana/$ID' forked at leaf 1" "$(bundle_id b3.amana) (size 3, root $(root16 b3.amana)...)" \
		"$(bundle_id f2.amana)"
	# Bundle 1 is in both histories: no finding pairs it with anything.
	refute_output_has "$(bundle_id b1.amana) (size"
	assert_stderr_has "verdict: FAIL"
	assert_stderr_has "amana: the audit found problems"
}

@test "a fork that went on (larger) and one seen from the other side are found too" {
	seal b1.amana
	fork_vault "$T/fork"
	seal b2.amana
	seal f2.amana "$T/fork"
	seal f3.amana "$T/fork"
	run -1 amana audit b2.amana f3.amana
	line_with "forked at leaf 1" "$(bundle_id b2.amana) (size 2" "$(bundle_id f3.amana) (size 3"
	run -1 amana audit f3.amana b1.amana b2.amana f2.amana
	line_with "forked at leaf 1" "$(bundle_id b2.amana)" "$(bundle_id f3.amana)"
	# The fork's own history is consistent.
	run -0 amana audit b1.amana f2.amana f3.amana
}

@test "two bundles with the same sequence from forked vaults are reported" {
	seal b1.amana
	fork_vault "$T/fork"
	seal b2.amana
	seal f2.amana "$T/fork"
	run -1 amana audit b2.amana f2.amana
	line_with "finding: issuer $ID used sequence 2 for two bundles:" "$(bundle_id b2.amana)" "$(bundle_id f2.amana)"
	run -1 --separate-stderr amana --json audit f2.amana b2.amana
	[ "$(jvalid)" = 1 ]
	[ "$(json '$.ok')" = 0 ]
	[ "$(sqlite3 :memory: "select count(*) from json_each($J, '\$.findings')
		where json_extract(value, '\$.fatal') and json_extract(value, '\$.text') like '%used sequence 2 for two bundles%'")" = 1 ]
	# The same bundle given twice is not a reuse.
	run -0 amana audit b2.amana b2.amana
	refute_output_has "used sequence"
}

@test "gaps (bundles 1 and 3 only) are a note, not a failure: exit 0" {
	seal b1.amana
	seal b2.amana
	seal b3.amana
	seal b4.amana
	run -0 amana audit b1.amana b3.amana
	assert_stderr_has "note:    issuer $ID: no bundle given with sequence 2 (not a failure: it may exist elsewhere)"
	assert_stderr_has "verdict: PASS"
	refute_output_has "finding:"
	run -0 amana audit b4.amana b1.amana
	assert_stderr_has "no bundle given with sequence 2 to 3"
	run -0 --separate-stderr amana --json audit b1.amana b3.amana
	[ "$(jvalid)" = 1 ]
	[ "$(json '$.ok')" = 1 ]
	[ "$(json '$.findings[0].fatal')" = 0 ]
}

@test "--json is valid JSON with the right fields" {
	seal b1.amana
	seal b2.amana
	run -0 --separate-stderr amana --json audit b2.amana b1.amana
	[ -z "$stderr" ]
	[ "$(jvalid)" = 1 ]
	[ "$(json '$.ok')" = 1 ]
	[ "$(sqlite3 :memory: "select json_array_length($J, '\$.bundles')")" = 2 ]
	[ "$(sqlite3 :memory: "select json_array_length($J, '\$.findings')")" = 0 ]
	for n in 1 2; do
		q="\$.bundles[$((n - 1))]"
		[ "$(json "$q.bundle_id")" = "$(bundle_id b$n.amana)" ]
		[ "$(json "$q.file")" = "b$n.amana" ]
		[ "$(json "$q.ok")" = 1 ]
		[ "$(json "$q.issuer")" = "$ID" ]
		[ "$(json "$q.issuer_name")" = "الأمانة العامة لمجلس وزراء الداخلية العرب" ]
		[ "$(json "$q.title")" = "$TITLE" ]
		[ "$(json "$q.sequence")" = "$n" ]
		[ "$(json "$q.created")" = "$(tar xOf b$n.amana envelope | sed -n 's/^created: //p')" ]
		[ "$(json "$q.log_index")" = $((n - 1)) ]
		[ "$(json "$q.log_size")" = "$n" ]
		[ "$(json "$q.witnesses")" = 0 ]
		[ "$(json "$q.outer_signature")" = ok ]
		[ "$(json "$q.log")" = ok ]
		[ "$(json "$q.payload_digest")" = ok ]
	done
}

@test "--json of a failing set: ok false, the failed bundle and the findings" {
	seal b1.amana
	fork_vault "$T/fork"
	seal b2.amana
	seal f2.amana "$T/fork"
	rm -rf x && mkdir x
	(cd x && tar xf ../b1.amana && flip_byte payload.age 1000 &&
		amanatar ../bad.amana envelope envelope.minisig payload.age log/checkpoint log/proof)
	run -1 --separate-stderr amana --json audit bad.amana b2.amana f2.amana
	[ "$stderr" = "amana: the audit found problems (see above)" ]
	[ "$(jvalid)" = 1 ]
	[ "$(json '$.ok')" = 0 ]
	[ "$(json '$.bundles[0].file')" = bad.amana ]
	[ "$(json '$.bundles[0].ok')" = 0 ]
	[ "$(json '$.bundles[0].payload_digest')" = FAILED ]
	[ "$(json '$.bundles[0].outer_signature')" = ok ]
	[ -n "$(json '$.bundles[0].failure')" ]
	[ "$(sqlite3 :memory: "select count(*) from json_each($J, '\$.findings')
		where json_extract(value, '\$.fatal') and json_extract(value, '\$.text') like '%forked at leaf 1%'")" = 1 ]
	[ "$(sqlite3 :memory: "select count(*) from json_each($J, '\$.findings')
		where json_extract(value, '\$.fatal') and json_extract(value, '\$.text') like 'bad.amana: %'")" = 1 ]
}

@test "--html writes one self-contained page: nothing external, verdict first" {
	seal b1.amana
	seal b2.amana
	before=$(ls -A)
	run -0 amana audit b1.amana b2.amana --html report.html
	[ "$(ls -A | grep -vx report.html)" = "$before" ]
	[ -s report.html ]
	head -1 report.html | grep -qi '^<!DOCTYPE html>'
	! grep -qi 'http://' report.html
	! grep -qi 'https://' report.html
	! grep -qi 'src=' report.html
	! grep -qiE '<link|@import|url\(' report.html
	grep -q '<meta charset="utf-8">' report.html
	# The verdict, then the timeline, then the details.
	v=$(grep -n 'id="verdict"' report.html | cut -d: -f1)
	t=$(grep -n '<h2>Timeline</h2>' report.html | cut -d: -f1)
	d=$(grep -n '<h2>Details</h2>' report.html | cut -d: -f1)
	[ -n "$v" ] && [ -n "$t" ] && [ -n "$d" ] && [ "$v" -lt "$t" ] && [ "$t" -lt "$d" ]
	grep 'id="verdict"' report.html | grep -q "PASS"
	for n in 1 2; do grep -q "$(bundle_id b$n.amana)" report.html; done
}

@test "--html renders in headless Chromium: the verdict and every bundle id appear" {
	seal b1.amana
	seal b2.amana
	seal b3.amana
	run -0 amana audit b1.amana b2.amana b3.amana --html "$T/report.html"
	render "$T/report.html" >dom.html
	grep -q 'id="verdict"' dom.html
	grep 'id="verdict"' dom.html | grep -q "PASS: one consistent history, every check passed"
	for n in 1 2 3; do
		grep -q "<code>$(bundle_id b$n.amana)</code>" dom.html
	done
	grep -q "$TITLE" dom.html
}

@test "--html of a forked set renders FAIL in Chromium and names the fork" {
	seal b1.amana
	fork_vault "$T/fork"
	seal b2.amana
	seal f2.amana "$T/fork"
	run -1 amana audit b1.amana b2.amana f2.amana --html "$T/report.html"
	render "$T/report.html" >dom.html
	grep 'id="verdict"' dom.html | grep -q "FAIL"
	! grep 'id="verdict"' dom.html | grep -q "PASS"
	grep -q "forked at leaf 1" dom.html
	for b in b1 b2 f2; do grep -q "<code>$(bundle_id $b.amana)</code>" dom.html; done
}

@test "--html: Arabic names and titles render right to left, inside dir=auto elements" {
	seal b1.amana
	seal b2.amana
	run -0 amana audit b1.amana b2.amana --html "$T/report.html"
	# A copy of the page with a script that reports, for every text containing Arabic, the
	# nearest element with a dir attribute and the direction Chromium resolved.
	cp report.html check.html
	cat >>check.html <<'EOF'
<script>
const out = [];
const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
for (let n = w.nextNode(); n; n = w.nextNode()) {
  if (!/[\u0600-\u06FF]/.test(n.data)) continue;
  const el = n.parentElement;
  const d = el.closest('[dir="auto"],[dir="rtl"]');
  out.push((d ? 'dir=' + d.getAttribute('dir') : 'NO-DIR') + ' ' + (el.matches(':dir(rtl)') ? 'rtl' : 'ltr') + ' ' + n.data);
}
const p = document.createElement('pre');
p.id = 'dircheck';
p.textContent = out.join('\n');
document.body.appendChild(p);
</script>
EOF
	render "$T/check.html" >dom.html
	sed -n '/<pre id="dircheck">/,/<\/pre>/p' dom.html | sed 's/<[^>]*>//g' >dircheck
	# Issuer name, conference and title of each bundle, at least.
	[ "$(grep -c . dircheck)" -ge 6 ]
	! grep -v '^dir=auto rtl \|^dir=rtl rtl ' dircheck
	grep -qxF "dir=auto rtl $TITLE" dircheck
	grep -qxF "dir=auto rtl الأمانة العامة لمجلس وزراء الداخلية العرب" dircheck
}

# A title that reverses what follows it (U+202E) must not do so in the report: bidi controls
# and invisible characters are shown as escapes there, as on the terminal.
@test "--html shows bidi controls in titles as escapes, never raw" {
	sqlite3 :memory: "select writefile('outcome.json', json_set(CAST(readfile('outcome.json') AS TEXT),
		'\$.conference.title', 'عنوان ' || char(0x202E) || 'exe.txt' || char(0x202C)))" >/dev/null
	seal b1.amana
	run -0 amana audit b1.amana --html report.html
	! grep -q "$(printf '\u202e')" report.html
	! grep -q "$(printf '\u202c')" report.html
	grep -qF 'عنوان \u{202E}exe.txt\u{202C}' report.html
}
