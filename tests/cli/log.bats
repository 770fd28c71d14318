#!/usr/bin/env bats
# The issuer's transparency log (issue 6): log show / log verify on the secretariat's side;
# what a member state's vault remembers and refuses (late delivery, forks, rollback, tampered
# log members); witnesses and their cosignatures; no secret in any vault.
#
# Everyone is a folder: the secretariat's vault is $AMANA_HOME ($T/vault); a member state's
# is $T/m (function member), a witness's (another member state) $T/w (function wit). A fork is
# a copy of the secretariat's vault that goes on sealing with the same key.

load ../lib/common

local_setup() {
	local ex="$TOP/docs/examples/conference-24"
	cp "$ex/outcome.json" "$ex/archive-photo.png" "$ex/التوصيات.txt" "$T/"
	mkkey_sign "الأمانة العامة لمجلس وزراء الداخلية العرب" s
	mkkey_enc "وزارة الداخلية - تونس" tn
	amana -q recipient add tn.pub --name "تونس"
	ID=$(key_id s.pub)
	member -q trust add s.pub --name "الأمانة العامة"
}

member() {
	"$AMANA" --vault "$T/m" "$@"
}

wit() {
	"$AMANA" --vault "$T/w" "$@"
}

# The minisign key id of a public key file.
key_id() {
	sed -n 1p "$1" | sed 's/.*key \([0-9A-F]*\),.*/\1/'
}

# seal OUT [VAULT]: the secretariat (or a copy of its vault) seals the outcome for everyone.
seal() {
	"$AMANA" -q --vault "${2:-$AMANA_HOME}" seal outcome.json -s s.key --to-all -o "$1"
}

# copy_vault DEST: the secretariat's vault as it is now, to diverge from it later.
copy_vault() {
	sqlite3 "$AMANA_HOME/vault.db" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
	cp -R "$AMANA_HOME" "$1"
}

# cp_line BUNDLE N: line N of the bundle's log/checkpoint.
cp_line() {
	tar xOf "$1" log/checkpoint | sed -n "${2}p"
}

# root_hex BUNDLE [CHARS]: the checkpoint's root in hex (the first CHARS digits).
root_hex() {
	cp_line "$1" 3 | base64 -d | od -An -v -tx1 | tr -d ' \n' | cut -c1-"${2:-64}"
}

bundle_id() {
	tar xOf "$1" envelope | sed -n 's/^bundle-id: //p'
}

# The last `run`'s output as a file, and one JSON path of it.
J="CAST(readfile('out.json') AS TEXT)"
json() {
	printf '%s' "$output" >"$T/out.json"
	sqlite3 :memory: "select json_extract($J, '$1')"
}

# A refusal names both checkpoints that disagree: NEW's (this bundle's) and SEEN's.
assert_names_checkpoints() {
	assert_stderr_has "forked"
	assert_stderr_has "this bundle's checkpoint (size $(cp_line "$1" 2), root $(root_hex "$1" 16)...)"
	assert_stderr_has "(size $(cp_line "$2" 2), root $(root_hex "$2" 16)..., bundle $(bundle_id "$2"))"
}

# What the member state's vault remembers: "size:bundle" of each checkpoint it saw.
seen() {
	sqlite3 "$T/m/vault.db" "select group_concat(size || ':' || bundle_id, ' ') from (select * from seen_checkpoints order by size)"
}

# rebuild BUNDLE OUT SCRIPT: extracts the bundle's members, runs SCRIPT among them, and
# packs them back as OUT the way amana packs a container (amanatar, tests/lib/common.bash).
rebuild() {
	rm -rf "$T/rb" && mkdir "$T/rb"
	(cd "$T/rb" && tar xf "$T/$1" && eval "$3" &&
		amanatar "$T/$2" envelope envelope.minisig payload.age log/checkpoint log/proof)
}

# swap_char FILE LINE FROM_END: changes one character of line LINE, FROM_END characters before
# its end (to 'A', or 'B' if it was 'A'), keeping the line's length and alphabet.
swap_char() {
	awk -v l="$2" -v k="$3" 'NR == l { c = length($0) - k; ch = substr($0, c, 1);
		$0 = substr($0, 1, c - 1) (ch == "A" ? "B" : "A") substr($0, c + 1) } { print }' "$1" >"$1.new"
	! cmp -s "$1" "$1.new"
	mv "$1.new" "$1"
}

# ---- the secretariat's log ------------------------------------------------------------------

@test "log show: a vault that never sealed has no log" {
	run -0 amana log show
	assert_stderr_has "this vault has not sealed any bundle yet, so it has no log"
	run -0 amana --json log show
	[ "$output" = "[]" ]
}

@test "three seals give log sizes 1, 2, 3; log show reports each, as text and --json" {
	# (Not "i": bats 1.8's run -N assigns a global i.)
	for size in 1 2 3; do
		seal b$size.amana
		[ "$(cp_line b$size.amana 1)" = "amana/$ID" ]
		[ "$(cp_line b$size.amana 2)" = "$size" ]
		[ "$(tar xOf b$size.amana log/checkpoint | grep -c '^— ')" = 1 ]
		[ "$(cp_line b$size.amana 5 | cut -d' ' -f2)" = "amana/$ID" ]
		tar xOf b$size.amana log/proof | sed -n 1,3p >head.txt
		printf 'amana-log-proof/1\nindex %d\nsize %d\n' $((size - 1)) "$size" | cmp - head.txt
		tar xOf b$size.amana log/proof | grep -qx "leaves $size"

		run -0 amana log show
		assert_stderr_has "log amana/$ID"
		assert_stderr_has "size:          $size bundles"
		assert_stderr_has "root:          $(root_hex b$size.amana) ($(cp_line b$size.amana 3))"
		assert_stderr_has "cosignatures:  0, from 0 witnesses"
		assert_stderr_has "    $(cp_line b$size.amana 5)"

		run -0 amana --json log show
		[ "$(json '$[0].origin')" = "amana/$ID" ]
		[ "$(json '$[0].size')" = "$size" ]
		[ "$(json '$[0].root')" = "$(root_hex b$size.amana)" ]
		[ "$(json '$[0].cosignatures')" = 0 ]
		[ "$(sqlite3 :memory: "select json_array_length($J)")" = 1 ]
		tar xOf b$size.amana log/checkpoint >cp.txt
		[ "$(sqlite3 :memory: "select json_extract($J, '\$[0].checkpoint') = CAST(readfile('cp.txt') AS TEXT)")" = 1 ]
	done
	# Each bundle's leaves are the log's, in order: those of 3 extend those of 2.
	diff <(tar xOf b2.amana log/proof | sed -n '/^leaves/,/^witnessed/p' | sed '1d;$d') \
		<(tar xOf b3.amana log/proof | sed -n '/^leaves/,/^witnessed/p' | sed '1d;$d' | head -2)
}

@test "log verify recomputes the log and accepts the vault's own bundles" {
	seal b1.amana
	seal b2.amana
	seal b3.amana
	run -0 amana log verify
	assert_stderr_has "log amana/$ID: 3 leaves and 3 checkpoints recomputed: ok"
	run -0 amana log verify b1.amana b2.amana b3.amana
	for n in 1 2 3; do
		assert_stderr_has "b$n.amana: bundle $(bundle_id b$n.amana), sequence $n: in the log, consistent"
	done
	run -0 amana --json log verify b3.amana b1.amana
	[ "$(json '$.logs[0].origin')" = "amana/$ID" ]
	[ "$(json '$.logs[0].leaves')" = 3 ]
	[ "$(json '$.logs[0].checkpoints')" = 3 ]
	[ "$(json '$.bundles[0].bundle_id')" = "$(bundle_id b3.amana)" ]
	[ "$(json '$.bundles[1].ok')" = 1 ]
}

@test "log verify refuses (exit 1) bundles from a forked copy of the vault" {
	seal b1.amana
	copy_vault "$T/fork"
	seal b2.amana
	seal f2.amana "$T/fork"
	seal f3.amana "$T/fork"
	run -1 amana log verify f2.amana
	assert_stderr_has "'f2.amana': the bundle's log disagrees with this vault's at leaf 1 (a fork)"
	run -1 amana log verify b1.amana f3.amana
	assert_stderr_has "'f3.amana'"
	# Every bundle is checked and reported, those after a failure too.
	run -1 amana log verify f3.amana b1.amana
	assert_stderr_has "f3.amana: FAILED: 'f3.amana': the bundle's log has 3 leaves"
	assert_stderr_has "hint: this vault's log does not hold that bundle"
	assert_stderr_has "b1.amana: bundle $(bundle_id b1.amana), sequence 1: in the log, consistent"
	run -1 --separate-stderr amana --json log verify f3.amana b1.amana
	[ "$(json '$.bundles[0].ok')" = 0 ]
	[ "$(json '$.bundles[0].bundle_id')" = "$(bundle_id f3.amana)" ]
	json '$.bundles[0].error' | grep -q "3 leaves"
	[ "$(json '$.bundles[1].ok')" = 1 ]
	# The fork's own vault says the same of ours.
	run -1 amana --vault "$T/fork" log verify b2.amana
	assert_stderr_has "at leaf 1 (a fork)"
	# Ours still pass, and so does the bundle both histories share.
	run -0 amana log verify b1.amana b2.amana
	run -0 amana --vault "$T/fork" log verify b1.amana f2.amana f3.amana
}

@test "log verify refuses a bundle by another issuer" {
	mkkey_sign "جهة أخرى" o
	amana -q --vault "$T/other" recipient add tn.pub --name "تونس"
	"$AMANA" -q --vault "$T/other" seal outcome.json -s o.key --to-all -o o1.amana
	seal b1.amana
	run -1 amana log verify o1.amana
	assert_stderr_has "'o1.amana'"
}

# ---- a member state's memory ----------------------------------------------------------------

@test "a member state verifies and opens bundles in order, and remembers each checkpoint" {
	seal b1.amana
	seal b2.amana
	seal b3.amana
	run -0 member verify b1.amana
	assert_stderr_has "  log                  ok"
	run -0 member open b2.amana -i tn.key -o out2
	run -0 member verify b3.amana -i tn.key
	[ "$(seen)" = "1:$(bundle_id b1.amana) 2:$(bundle_id b2.amana) 3:$(bundle_id b3.amana)" ]
	[ "$(sqlite3 "$T/m/vault.db" 'select count(*) from seen_leaves')" = 3 ]
	# The same bundles again: nothing new, all accepted.
	run -0 member verify b2.amana
	run -0 member verify b1.amana -i tn.key
}

@test "late delivery: an older bundle after a newer one is accepted (exit 0)" {
	seal b1.amana
	seal b2.amana
	seal b3.amana
	run -0 member verify b3.amana
	run -0 member verify b1.amana
	run -0 member open b2.amana -i tn.key -o out2
	[ -f out2/manifest.sqlite ]
	[ "$(seen)" = "1:$(bundle_id b1.amana) 2:$(bundle_id b2.amana) 3:$(bundle_id b3.amana)" ]
}

@test "fork of the same size: two vault copies each seal a different bundle 2 (exit 1)" {
	seal b1.amana
	copy_vault "$T/fork"
	seal b2.amana
	seal f2.amana "$T/fork"
	[ "$(cp_line f2.amana 2)" = 2 ] && [ "$(root_hex f2.amana)" != "$(root_hex b2.amana)" ]
	member -q verify b1.amana
	member -q verify b2.amana
	run -1 member verify f2.amana
	assert_names_checkpoints f2.amana b2.amana
	assert_stderr_has "disagrees at leaf 1"
	assert_stderr_has "hint: "
	run -1 member open f2.amana -i tn.key -o out
	assert_names_checkpoints f2.amana b2.amana
	refute_exists out
	run -1 member inspect f2.amana
	# What the vault saw is unchanged.
	[ "$(seen)" = "1:$(bundle_id b1.amana) 2:$(bundle_id b2.amana)" ]
}

@test "fork, larger: the fork goes on to size 3 (exit 1)" {
	seal b1.amana
	copy_vault "$T/fork"
	seal b2.amana
	seal f2.amana "$T/fork"
	seal f3.amana "$T/fork"
	member -q verify b1.amana
	member -q verify b2.amana
	run -1 member verify f3.amana
	assert_names_checkpoints f3.amana b2.amana
	run -1 member open f3.amana -i tn.key -o out
	refute_exists out
	[ "$(seen)" = "1:$(bundle_id b1.amana) 2:$(bundle_id b2.amana)" ]
}

@test "fork, smaller: the member saw size 3, then gets the fork's bundle of size 2 (exit 1)" {
	seal b1.amana
	copy_vault "$T/fork"
	seal b2.amana
	seal b3.amana
	seal f2.amana "$T/fork"
	member -q verify b3.amana
	run -1 member verify f2.amana
	assert_names_checkpoints f2.amana b3.amana
	run -1 member open f2.amana -i tn.key -o out
	refute_exists out
	# The bundle both histories share is still an older bundle delivered late.
	run -0 member verify b1.amana
}

@test "fork, the other way round: the fork's history first, then the secretariat's (exit 1)" {
	seal b1.amana
	copy_vault "$T/fork"
	seal b2.amana
	seal f2.amana "$T/fork"
	member -q verify f2.amana
	run -1 member verify b2.amana
	assert_names_checkpoints b2.amana f2.amana
}

@test "rollback: a vault copy from before bundle 1 seals a new bundle 1 (exit 1)" {
	copy_vault "$T/before"
	seal b1.amana
	seal b2.amana
	member -q verify b1.amana
	member -q verify b2.amana
	seal r1.amana "$T/before"
	[ "$(cp_line r1.amana 2)" = 1 ]
	[ "$(tar xOf r1.amana envelope | sed -n 's/^sequence: //p')" = 1 ]
	run -1 member verify r1.amana
	assert_stderr_has "disagrees at leaf 0"
	assert_names_checkpoints r1.amana b1.amana
	run -1 member open r1.amana -i tn.key -o out
	refute_exists out
	[ "$(seen)" = "1:$(bundle_id b1.amana) 2:$(bundle_id b2.amana)" ]
}

# ---- tampered log members -------------------------------------------------------------------

# The control for the tests below: rebuilding alone changes nothing, so what they change is
# what is refused. GNU tar's headers are not amana's, so its rebuild is refused as such.
@test "a bundle rebuilt by the format's rules is accepted untampered; rebuilt by GNU tar it is exit 3" {
	seal b1.amana
	seal b2.amana
	rebuild b2.amana same.amana true
	cmp b2.amana same.amana
	run -0 member verify same.amana -i tn.key
	run -0 amana log verify same.amana
	rm -rf x && mkdir x
	(cd x && tar xf ../b2.amana && tar --format=pax -cf ../gnu.amana envelope envelope.minisig payload.age log/checkpoint log/proof)
	[ "$(tar tf gnu.amana | tr '\n' ' ')" = "envelope envelope.minisig payload.age log/checkpoint log/proof " ]
	run -3 member verify gnu.amana -i tn.key
	assert_stderr_has "not as amana writes it"
}

@test "tampered log/checkpoint: signature, size line, root line, origin line (exit 1)" {
	seal b1.amana
	seal b2.amana
	seal b3.amana
	[ "$(tar xOf b3.amana log/checkpoint | wc -l)" = 5 ]
	rebuild b3.amana sig.amana 'swap_char log/checkpoint 5 10'
	run -1 member verify sig.amana
	assert_stderr_has "log/checkpoint: invalid signature by known key 'amana/$ID+"
	rebuild b3.amana size.amana "sed -i '2s/^3\$/4/' log/checkpoint"
	run -1 member verify size.amana
	assert_stderr_has "log/checkpoint: invalid signature by known key 'amana/$ID+"
	rebuild b3.amana root.amana 'swap_char log/checkpoint 3 20'
	run -1 member verify root.amana
	assert_stderr_has "log/checkpoint: invalid signature by known key 'amana/$ID+"
	rebuild b3.amana origin.amana "sed -i '1s/\$/x/' log/checkpoint"
	run -1 member verify origin.amana
	assert_stderr_has "log/checkpoint"
	# Another bundle's checkpoint of the same log (size 2 for a bundle of a tree of 3).
	rebuild b3.amana other.amana "tar xOf '$T/b2.amana' log/checkpoint >log/checkpoint"
	run -1 member verify other.amana
	assert_stderr_has "log/proof is for a tree of 3 leaves, log/checkpoint for 2"
	for b in sig size root origin other; do
		run -1 member open $b.amana -i tn.key -o out
		refute_exists out
	done
	[ -z "$(seen)" ]
	run -0 member verify b3.amana
}

@test "tampered log/proof: index, leaves, inclusion hash, counts, trailing junk (exit 1 or 3)" {
	seal b1.amana
	seal b2.amana
	seal b3.amana
	# The proof of the third bundle: index 2 of 3, one inclusion hash, three leaves.
	tar xOf b3.amana log/proof >p
	[ "$(sed -n 2p p)" = "index 2" ] && [ "$(sed -n 4p p)" = "inclusion 1" ]
	[ "$(sed -n 6p p)" = "leaves 3" ] && [ "$(sed -n 10p p)" = "witnessed 0" ] && [ "$(wc -l <p)" = 10 ]

	rebuild b3.amana index.amana "sed -i 's/^index 2\$/index 1/' log/proof"
	run -1 member verify index.amana
	assert_stderr_has "log/proof: leaf 1 is not this bundle's envelope"
	rebuild b3.amana ownleaf.amana 'swap_char log/proof 9 20'
	run -1 member verify ownleaf.amana
	assert_stderr_has "log/proof: leaf 2 is not this bundle's envelope"
	rebuild b3.amana leaf.amana 'swap_char log/proof 7 20'
	run -1 member verify leaf.amana
	assert_stderr_has "log/proof: the leaves do not make the checkpoint's root"
	rebuild b3.amana inclusion.amana 'swap_char log/proof 5 20'
	run -1 member verify inclusion.amana
	assert_stderr_has "log/proof: the inclusion proof"
	rebuild b3.amana leaves.amana "sed -i 's/^leaves 3\$/leaves 2/' log/proof"
	run -3 member verify leaves.amana
	assert_stderr_has "log/proof: 2 leaves listed for a log of size 3"
	rebuild b3.amana size.amana "sed -i 's/^size 3\$/size 4/' log/proof"
	run -3 member verify size.amana
	rebuild b3.amana junk.amana "printf 'junk\n' >>log/proof"
	run -3 member verify junk.amana
	assert_stderr_has "log/proof: unexpected text after the last witnessed note"
	rebuild b3.amana noline.amana "printf 'witnessed 0' >p && head -9 log/proof >q && cat q p >log/proof"
	run -3 member verify noline.amana
	rebuild b3.amana header.amana "sed -i '1s/1\$/2/' log/proof"
	run -3 member verify header.amana
	assert_stderr_has "log/proof: not an amana-log-proof/1 file"
	# Another bundle's log members whole: its leaf is not this envelope's.
	rebuild b3.amana swapped.amana "tar xf '$T/b2.amana' log/checkpoint log/proof"
	run -1 member verify swapped.amana
	assert_stderr_has "log/proof: leaf 1 is not this bundle's envelope"
	for b in index ownleaf leaf inclusion leaves size junk noline header swapped; do
		run member open $b.amana -i tn.key -o out
		[ "$status" -eq 1 ] || [ "$status" -eq 3 ]
		refute_exists out
	done
	[ -z "$(seen)" ]
}

@test "a bundle without its log members is refused" {
	seal b1.amana
	rm -rf x && mkdir x
	(cd x && tar xf ../b1.amana && amanatar ../nolog.amana envelope envelope.minisig payload.age)
	run -3 member verify nolog.amana
	assert_stderr_has "the bundle has no log members (log/checkpoint, log/proof)"
	run -3 member open nolog.amana -i tn.key -o out
	refute_exists out
	run -3 member inspect nolog.amana
	assert_stderr_has "  log                  FAILED"
	# Only one of the two.
	(cd x && amanatar ../noproof.amana envelope envelope.minisig payload.age log/checkpoint)
	run member verify noproof.amana
	[ "$status" -eq 1 ] || [ "$status" -eq 3 ]
	[ -z "$(seen)" ]
}

# ---- witnesses ------------------------------------------------------------------------------

# A second member state (Jordan) that acts as a witness: its own signing key w, its own vault.
witness_setup() {
	mkkey_sign "وزارة الداخلية - الأردن" w
	WID=$(key_id w.pub)
	wit -q trust add s.pub --name "الأمانة العامة"
}

@test "witness cosign: the member state cosigns the checkpoint it verified" {
	witness_setup
	seal b1.amana
	run -0 wit witness cosign b1.amana -s w.key -o c1.cosig
	assert_stderr_has "cosigned the checkpoint of log amana/$ID at size 1, as amana-witness/$WID"
	[ "$(wc -l <c1.cosig)" = 5 ]
	diff <(head -3 c1.cosig) <(tar xOf b1.amana log/checkpoint | head -3)
	[ -z "$(sed -n 4p c1.cosig)" ]
	sed -n 5p c1.cosig | grep -q "^— amana-witness/$WID [A-Za-z0-9+/]*=*\$"
	# Cosigning verified and remembered the bundle, as verify does.
	[ "$(sqlite3 "$T/w/vault.db" 'select size from seen_checkpoints')" = 1 ]
}

@test "witness cosign refuses a fork of what it saw, and writes nothing" {
	witness_setup
	seal b1.amana
	copy_vault "$T/fork"
	seal b2.amana
	seal f2.amana "$T/fork"
	wit -q verify b2.amana
	run -1 wit witness cosign f2.amana -s w.key -o c.cosig
	assert_names_checkpoints f2.amana b2.amana
	refute_exists c.cosig
}

@test "log cosignature add: refused until the witness is pinned, then stored once" {
	witness_setup
	seal b1.amana
	wit -q witness cosign b1.amana -s w.key -o c1.cosig
	run -1 amana log cosignature add c1.cosig
	assert_stderr_has "no witness is pinned in this vault"
	assert_stderr_has "hint: pin the witness's public key first"
	[ "$(sqlite3 "$AMANA_HOME/vault.db" 'select count(*) from log_cosignatures')" = 0 ]
	# Another witness pinned is not enough: this cosignature is by an unpinned one.
	mkkey_sign "شاهد آخر" x
	amana -q trust add x.pub --name "شاهد آخر" --witness
	run -1 amana log cosignature add c1.cosig
	assert_stderr_has "no cosignature from a pinned witness in it"
	amana -q trust add w.pub --name "الأردن" --witness
	run -0 amana log cosignature add c1.cosig
	assert_stderr_has "1 new cosignature stored"
	run -0 amana log cosignature add c1.cosig
	assert_stderr_has "0 new cosignatures stored"
	run -0 amana log show
	assert_stderr_has "cosignatures:  1, from 1 witness"
	assert_stderr_has "    amana-witness/$WID"
	run -0 amana --json log show
	[ "$(json '$[0].cosignatures')" = 1 ]
	[ "$(json '$[0].witnesses[0]')" = "amana-witness/$WID" ]
}

@test "log cosignature add refuses a checkpoint it never signed, and a damaged cosignature" {
	witness_setup
	amana -q trust add w.pub --name "الأردن" --witness
	seal b1.amana
	copy_vault "$T/fork"
	seal b2.amana
	seal f2.amana "$T/fork"
	# The witness saw only bundle 1: the fork's bundle 2 extends it, so it cosigns that.
	wit -q verify b1.amana
	run -0 wit witness cosign f2.amana -s w.key -o f2.cosig
	run -1 amana log cosignature add f2.cosig
	assert_stderr_has "the cosigned checkpoint (log 'amana/$ID', size 2) is not one this vault signed"
	# A checkpoint of ours with a line changed.
	wit -q witness cosign b1.amana -s w.key -o c1.cosig
	cp c1.cosig root.cosig
	swap_char root.cosig 3 20
	run -1 amana log cosignature add root.cosig
	assert_stderr_has "is not one this vault signed"
	# Ours, with the cosignature damaged.
	cp c1.cosig sig.cosig
	swap_char sig.cosig 5 10
	run -1 amana log cosignature add sig.cosig
	assert_stderr_has "cosignature does not verify"
	# Not a note at all.
	head -3 c1.cosig >short.cosig
	run amana log cosignature add short.cosig
	[ "$status" -eq 1 ] || [ "$status" -eq 3 ]
	[ "$(sqlite3 "$AMANA_HOME/vault.db" 'select count(*) from log_cosignatures')" = 0 ]
	run -0 amana log cosignature add c1.cosig
}

# The secretariat seals 1; Jordan cosigns it; the secretariat stores that and seals 2.
cosigned_setup() {
	witness_setup
	seal b1.amana
	wit -q witness cosign b1.amana -s w.key -o c1.cosig
	amana -q trust add w.pub --name "الأردن" --witness
	amana -q log cosignature add c1.cosig
	seal b2.amana
}

@test "the next bundle carries the cosigned checkpoint in log/proof" {
	cosigned_setup
	tar xOf b2.amana log/proof >p
	grep -qx "witnessed 1" p
	# The note: bundle 1's checkpoint, its issuer signature, then the witness's cosignature.
	sed -n '/^note /,$p' p | sed 1d >note
	[ "$(sed -n '/^note /p' p)" = "note $(wc -c <note)" ]
	tar xOf b1.amana log/checkpoint >cp1
	cat cp1 <(sed -n 5p c1.cosig) | cmp - note
	# log/checkpoint itself carries only the issuer's signature.
	[ "$(tar xOf b2.amana log/checkpoint | grep -c '^— ')" = 1 ]
	run -0 amana log verify b1.amana b2.amana
}

@test "verify --witnesses K counts pinned witnesses only" {
	cosigned_setup
	run -0 member verify b2.amana
	run -1 member verify b2.amana --witnesses 1
	assert_stderr_has "the log is vouched for by 0 pinned witnesses; 1 required"
	assert_stderr_has "hint: pin the witnesses you rely on"
	member -q trust add w.pub --name "الأردن" --witness
	run -0 member verify b2.amana --witnesses 1
	run -1 member verify b2.amana --witnesses 2
	assert_stderr_has "the log is vouched for by 1 pinned witness; 2 required"
	run -1 member open b2.amana -i tn.key -o out --witnesses 2
	refute_exists out
	run -0 member open b2.amana -i tn.key -o out --witnesses 1
	[ -f out/manifest.sqlite ]
	# A bundle sealed before any cosignature has none.
	run -1 member verify b1.amana --witnesses 1
	run -0 member --json audit b2.amana b1.amana
	[ "$(json '$.bundles[0].witnesses')" = 0 ]
	[ "$(json '$.bundles[1].witnesses')" = 1 ]
}

@test "a cosignature from an unpinned witness is ignored: it does not count, and does no harm" {
	cosigned_setup
	# The member state pins another witness, not Jordan.
	mkkey_sign "شاهد آخر" x
	member -q trust add x.pub --name "شاهد آخر" --witness
	run -0 member verify b2.amana
	run -1 member verify b2.amana --witnesses 1
	assert_stderr_has "vouched for by 0 pinned witnesses"
	run -0 member --json audit b2.amana
	[ "$(json '$.bundles[0].witnesses')" = 0 ]
	run -1 member audit b2.amana --witnesses 1
	# Jordan's cosignature damaged in transit: ignored by who did not pin Jordan ...
	rebuild b2.amana damaged.amana 'swap_char log/proof $(wc -l <log/proof) 10'
	run -0 member verify damaged.amana
	# ... refused by who did.
	member -q trust add w.pub --name "الأردن" --witness
	run -1 member verify damaged.amana
	assert_stderr_has "log/proof: witnessed checkpoint 1"
	run -0 member verify b2.amana --witnesses 1
}

@test "a witnessed checkpoint with a broken issuer signature is refused, pinned witness or not" {
	cosigned_setup
	tar xOf b2.amana log/proof >p
	sig=$(grep -n "^— amana/$ID " p | cut -d: -f1)
	[ -n "$sig" ]
	rebuild b2.amana bad.amana "swap_char log/proof $sig 10"
	run -1 member verify bad.amana
	assert_stderr_has "log/proof: witnessed checkpoint 1"
	member -q trust add w.pub --name "الأردن" --witness
	run -1 member verify bad.amana
}

@test "a witnessed checkpoint without the issuer's signature is refused (exit 1), pinned witness or not" {
	# Found by tests/fuzz/fuzz_log_proof.c (regressions/log_proof/witnessed-note-signed-by-witness-only):
	# the issuer's signature line of the witnessed note renamed, so that only the witness's
	# cosignature is by a known key.
	cosigned_setup
	tar xOf b2.amana log/proof >p
	[ "$(grep -c "^— amana/$ID " p)" = 1 ]
	rebuild b2.amana unsigned.amana "sed -i 's|^— amana/$ID |— amanb/$ID |' log/proof"
	run -1 member verify unsigned.amana
	assert_stderr_has "log/proof: witnessed checkpoint 1"
	member -q trust add w.pub --name "الأردن" --witness
	run -1 member verify unsigned.amana
	assert_stderr_has "log/proof: witnessed checkpoint 1"
	refute_output_has "failed without saying why"
	run -1 member open unsigned.amana -i tn.key -o out
	refute_exists out
}

@test "two witnesses who cosigned different checkpoints both vouch for the next bundle" {
	# Issue 6, point 3: later bundles carry the cosignatures; --witnesses K demands K
	# valid cosignatures from pinned witnesses. Jordan cosigns bundle 1, Morocco bundle 2.
	witness_setup
	mkkey_sign "وزارة الداخلية - المغرب" v
	"$AMANA" -q --vault "$T/v" trust add s.pub --name "الأمانة العامة"
	amana -q trust add w.pub --name "الأردن" --witness
	amana -q trust add v.pub --name "المغرب" --witness
	seal b1.amana
	seal b2.amana
	wit -q witness cosign b1.amana -s w.key -o c1.cosig
	"$AMANA" -q --vault "$T/v" witness cosign b2.amana -s v.key -o c2.cosig
	amana -q log cosignature add c1.cosig
	amana -q log cosignature add c2.cosig
	seal b3.amana
	member -q trust add w.pub --name "الأردن" --witness
	member -q trust add v.pub --name "المغرب" --witness
	run -0 member verify b3.amana --witnesses 2
}

# ---- secrets --------------------------------------------------------------------------------

@test "no vault stores a secret: seal, cosign, cosignature add, verify and open" {
	cosigned_setup
	member -q trust add w.pub --name "الأردن" --witness
	member -q open b2.amana -i tn.key -o out --witnesses 1
	amana -q log verify b1.amana b2.amana
	seed_s=$(sed -n 2p s.key | base64 -d | od -An -v -tx1 -j 62 -N 32 | tr -d ' \n')
	seed_w=$(sed -n 2p w.key | base64 -d | od -An -v -tx1 -j 62 -N 32 | tr -d ' \n')
	[ ${#seed_s} -eq 64 ] && [ ${#seed_w} -eq 64 ]
	ident=$(grep AGE-SECRET-KEY tn.key)
	for v in "$AMANA_HOME" "$T/w" "$T/m"; do
		sqlite3 "$v/vault.db" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
		db=$(cat "$v"/vault.db* | od -An -v -tx1 | tr -d ' \n')
		[[ "$db" != *"$seed_s"* ]]
		[[ "$db" != *"$seed_w"* ]]
		! grep -a -q "$ident" "$v"/vault.db*
		! grep -a -q "AGE-SECRET-KEY" "$v"/vault.db*
	done
	# What the log does hold: the issuer's public key, as in s.pub.
	pk=$(sed -n 2p s.pub | base64 -d | od -An -v -tx1 -j 10 -N 32 | tr -d ' \n')
	[ "$(sqlite3 "$AMANA_HOME/vault.db" 'select lower(hex(public_key)) from logs')" = "$pk" ]
}

@test "log cosignature -h shows the help (exit 0), as every other subcommand's -h does" {
	run -0 --separate-stderr amana log cosignature -h
	[[ "$output" == *"amana log cosignature add FILE"* ]]
	run -2 amana log cosignature
	run -2 amana log cosignature remove x
}
