#!/usr/bin/env bats
# The issuer's trust root (issue 12, key lifecycle): root new / show / sign / rotate, pinning a
# root with trust add, and what a member state refuses: roots below threshold or signed by a
# stranger, gaps, rollbacks, forks, expired roots, signing keys outside their window or
# revoked, bundles whose root chain was stripped or reordered, malformed roots. A vault that
# pinned the secretariat's key on its own migrates to the root; a root travels in bundles.
# docs/threat-model.md cites these tests by name.
#
# The cast: root keys ra rb rc (offline, threshold 2 of 3), the secretariat's signing keys sec
# (then sec2, sec3 after rotations), its vault $AMANA_HOME, and the member state تونس with age
# key tn and vault $T/v-tn (function state) that pinned root version 1.

load ../lib/common

EX="$TOP/docs/examples/conference-24"
NAME="الأمانة العامة"

local_setup() {
	local k
	for k in ra rb rc sec sec2 sec3; do
		mkkey_sign "$k" "$k" >/dev/null
	done
	mkkey_enc "وزارة الداخلية - تونس" tn >/dev/null
	SEC=$(key_id sec.pub)
	mkroot root.txt
	sign_root root.txt ra rb
	ROOTID=$(sed -n 's/^root-id: //p' root.txt)
	amana -q trust add root.txt
	amana -q recipient add tn.pub --name "تونس"
	state -q trust add root.txt
}

# state ARGS...: amana in the member state's vault.
state() {
	"$AMANA" --vault "$T/v-tn" "$@"
}

# key_id PUB: the minisign key id of a public key file.
key_id() {
	sed -n 1p "$1" | sed 's/.*key \([0-9A-F]*\),.*/\1/'
}

# mkroot OUT [ARGS...]: version 1 of a root with root keys ra rb rc, threshold 2 and signing
# key sec (ARGS are added to, or replace, that default when they name --signing-key).
mkroot() {
	local out=$1
	shift
	case " $* " in *" --signing-key "*) ;; *) set -- --signing-key sec.pub "$@" ;; esac
	"$AMANA" -q root new --name "$NAME" --root-key ra.pub --root-key rb.pub --root-key rc.pub \
		--threshold 2 "$@" -o "$out"
}

# sign_root FILE KEY...: each root key (ra, rb, ...) signs FILE's newest version.
sign_root() {
	local f=$1 k
	shift
	for k in "$@"; do
		"$AMANA" -q root sign "$f" -s "$k.key" >/dev/null || return 1
	done
}

# rotate IN OUT ARGS...: the next version, signed by ra and rc.
rotate() {
	local in=$1 out=$2
	shift 2
	"$AMANA" -q root rotate "$in" -o "$out" "$@" >/dev/null && sign_root "$out" ra rc
}

# version_of CHAIN N...: versions N... (1-based positions in the file) of a chain file.
version_of() {
	local f=$1
	shift
	local n
	for n in "$@"; do
		awk -v want="$n" '/^format: amana-root\/1$/ { k++ } k == want' "$f"
	done
}

# seal OUT [KEY] [VAULT] [ARGS...]: seals the conference-24 outcome for تونس.
seal() {
	local out=$1 key=${2:-sec} vault=${3:-$AMANA_HOME}
	shift $(($# < 3 ? $# : 3))
	"$AMANA" -q --vault "$vault" seal "$EX/outcome.json" -s "$key.key" --to "تونس" "$@" -o "$out" >/dev/null
}

# copy_vault DEST: the secretariat's vault as it is now (a thief's copy, say).
copy_vault() {
	sqlite3 "$AMANA_HOME/vault.db" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
	cp -R "$AMANA_HOME" "$1"
}

# json PATH: one JSON path of the last `run`'s output.
json() {
	printf '%s' "$output" >"$T/out.json"
	sqlite3 :memory: "select json_extract(CAST(readfile('$T/out.json') AS TEXT), '$1')"
}

# audited FILE FIELD: FIELD of FILE's entry in the last `run`'s audit --json.
audited() {
	printf '%s' "$output" >"$T/out.json"
	sqlite3 :memory: "select json_extract(value, '\$.$2') from json_each(CAST(readfile('$T/out.json') AS TEXT), '\$.bundles')
		where json_extract(value, '\$.file') = '$1'"
}

# rebuild BUNDLE OUT SCRIPT [MEMBERS]: extracts the bundle, runs SCRIPT among its members and
# packs them back as OUT the way amana does (amanatar), root member included unless MEMBERS
# says otherwise.
rebuild() {
	local members=${4:-envelope envelope.minisig root payload.age log/checkpoint log/proof}
	rm -rf "$T/rb" && mkdir "$T/rb"
	# shellcheck disable=SC2086
	(cd "$T/rb" && tar xf "$T/$1" && eval "$3" && amanatar "$T/$2" $members)
}

epoch() {
	date -u -d "$1" +%s
}

# ---- making, signing, showing -------------------------------------------------------------

@test "root: new, sign and show" {
	run -0 amana root new --name "$NAME" --root-key ra.pub --root-key rb.pub --root-key rc.pub \
		--threshold 2 --signing-key sec.pub -o r.txt
	assert_stderr_has "wrote root '$NAME' version 1"
	assert_stderr_has "to r.txt"
	assert_stderr_has "unsigned: sign it with 2 root key(s)"
	[ "$(sed -n 1p r.txt)" = "format: amana-root/1" ]
	[ "$(sed -n 's/^name: //p' r.txt)" = "$NAME" ]
	[ "$(sed -n 's/^version: //p' r.txt)" = 1 ]
	[ "$(grep -c '^root-key: ' r.txt)" = 3 ]
	[ "$(grep -c '^signing-key: ' r.txt)" = 1 ]
	! grep -q '^untrusted comment' r.txt

	run -0 amana root show r.txt
	assert_stderr_has "root '$NAME' version 1"
	assert_stderr_has "threshold    2 of 3 root keys"
	assert_stderr_has "signing key  $SEC"
	assert_stderr_has "signatures   0 of 2 by its root keys (below threshold)"
	assert_stderr_has "below threshold"
	run -0 amana --json root show r.txt
	[ "$(json '$[0].valid')" = 0 ]
	[ "$(json '$[0].signatures')" = 0 ]

	run -0 amana root sign r.txt -s ra.key
	assert_stderr_has "signed version 1 of root '$NAME' with key $(key_id ra.pub): 1 of 2 signatures"
	run -0 amana --json root sign r.txt -s rb.key
	[ "$(json '$.signatures')" = 2 ]
	[ "$(json '$.complete')" = 1 ]
	[ "$(json '$.signed_by')" = "$(key_id rb.pub)" ]
	[ "$(grep -c '^untrusted comment: amana root signature$' r.txt)" = 2 ]
	grep -qx "trusted comment: amana-root/1 $(sed -n 's/^root-id: //p' r.txt) 1" r.txt

	run -0 amana root show r.txt
	assert_stderr_has "root key     $(key_id ra.pub)  signed"
	assert_stderr_has "root key     $(key_id rb.pub)  signed"
	assert_stderr_has "signatures   2 of 2 by its root keys"
	assert_stderr_has "valid        yes"
	refute_output_has "below threshold"
	run -0 amana --json root show r.txt
	[ "$(json '$[0].valid')" = 1 ]
	[ "$(json '$[0].signatures')" = 2 ]
	[ "$(json '$[0].threshold')" = 2 ]
	[ "$(json '$[0].name')" = "$NAME" ]
	[ "$(json '$[0].signing_keys[0].key_id')" = "$SEC" ]
	# rc, the one root key that did not sign (the keys are listed in key id order).
	printf '%s' "$output" >"$T/out.json"
	[ "$(sqlite3 :memory: "select json_extract(value, '\$.key_id') from json_each(CAST(readfile('$T/out.json') AS TEXT), '\$[0].root_keys') where json_extract(value, '\$.signed') = 0")" = "$(key_id rc.pub)" ]

	# A key that is not a root key, the same key twice: usage errors, the file unchanged.
	cp r.txt before.txt
	run -2 amana root sign r.txt -s sec.key
	assert_stderr_has "key $SEC is not a root key of version 1"
	run -2 amana root sign r.txt -s ra.key
	assert_stderr_has "has signed version 1 already"
	cmp r.txt before.txt
	# new does not overwrite.
	run -4 amana root new --name "$NAME" --root-key ra.pub --threshold 1 --signing-key sec.pub -o r.txt
	assert_stderr_has "'r.txt' already exists"
	cmp r.txt before.txt
}

@test "root: below threshold is refused" {
	mkroot one.txt
	sign_root one.txt ra
	run -1 amana --vault "$T/v-new" trust add one.txt
	assert_stderr_has "root version 1 has 1 of the 2 signatures its own root keys must give (below threshold)"
	run -0 amana --vault "$T/v-new" trust list
	refute_output_has "root "

	# A rotation to new root keys rd re, signed by both but by only one of version 1's.
	mkkey_sign rd rd && mkkey_sign re re
	run -0 amana root rotate root.txt -o r2.txt --root-key rd.pub --root-key re.pub --threshold 2
	sign_root r2.txt rd re ra
	run -1 state trust add r2.txt
	assert_stderr_has "root version 2 has 1 of the 2 signatures version 1's root keys must give (below threshold)"
	run -0 amana root show r2.txt
	assert_stderr_has "1 of 2 by version 1's root keys (below threshold)"
	# Version 2 signed only by ra (a root key of both): below both thresholds.
	run -0 amana root rotate root.txt -o r2b.txt --add-signing-key sec2.pub
	sign_root r2b.txt ra
	run -1 state trust add r2b.txt
	assert_stderr_has "below threshold"
	run -0 state trust list
	assert_stderr_has "version 1,"
}

@test "root: a signature by a key not in the root is refused" {
	mkkey_sign other other
	awk '/^untrusted comment: /{ exit } { print }' root.txt >body
	run -0 amana sign -s other.key -m body -t "amana-root/1 $ROOTID 1" -c "amana root signature" -x body.sig
	[ "$(sed -n 1p body.sig)" = "untrusted comment: amana root signature" ]
	# Appended to a root that has its threshold already, and to one that has one signature.
	cat root.txt body.sig >extra.txt
	run -1 amana --vault "$T/v-new" trust add extra.txt
	assert_stderr_has "root version 1 is signed by key $(key_id other.pub), which is not one of its root keys"
	run -0 amana root show extra.txt
	assert_stderr_has "which is not one of its root keys"
	mkroot half.txt
	sign_root half.txt ra
	awk '/^untrusted comment: /{ exit } { print }' half.txt >body2
	amana -q sign -s other.key -m body2 -t "amana-root/1 $(sed -n 's/^root-id: //p' half.txt) 1" \
		-c "amana root signature" -x body2.sig
	cat half.txt body2.sig >half2.txt
	run -1 amana --vault "$T/v-new" trust add half2.txt
	assert_stderr_has "which is not one of its root keys"
	run -0 amana --vault "$T/v-new" trust list
	refute_output_has "root "
	# A root key's signature of another root id does not count either.
	amana -q sign -s rc.key -m body2 -t "amana-root/1 00000000000000000000000000000000 1" \
		-c "amana root signature" -x rc.sig
	cat half.txt rc.sig >half3.txt
	run -1 amana --vault "$T/v-new" trust add half3.txt
	assert_stderr_has "names 'amana-root/1 00000000000000000000000000000000 1'"
}

# ---- the chain ------------------------------------------------------------------------------

@test "root: a gap in the chain is refused" {
	rotate root.txt r2.txt --add-signing-key sec2.pub
	rotate r2.txt r3.txt --add-signing-key sec3.pub
	version_of r3.txt 3 >only3.txt
	version_of r3.txt 1 3 >gap.txt
	[ "$(sed -n 's/^version: //p' only3.txt)" = 3 ]
	run -1 state trust add only3.txt
	assert_stderr_has "starts at version 3"
	assert_stderr_has "versions 2 to 2 are missing (a gap)"
	run -1 state trust add gap.txt
	assert_stderr_has "root version 3 follows version 1: versions 2 to 2 are missing (a gap)"
	run -1 amana --vault "$T/v-new" trust add gap.txt
	assert_stderr_has "(a gap)"
	run -0 state trust list
	assert_stderr_has "version 1,"
	# The whole chain is accepted.
	run -0 state trust add r3.txt
	assert_stderr_has "version 3"
}

@test "root: rollback to a lower version is refused" {
	rotate root.txt r2.txt --add-signing-key sec2.pub
	run -0 state trust add r2.txt
	assert_stderr_has "trusted root '$NAME' ($ROOTID) version 2"
	run -1 state trust add root.txt
	assert_stderr_has "holds root '$NAME' up to version 1, older than version 2 pinned here (rollback)"
	run -0 state trust list
	assert_stderr_has "version 2,"
	# The same version again is no rollback, just pinned already.
	run -0 state trust add r2.txt
	assert_stderr_has "pinned already"
}

@test "root: two roots of one version are a fork" {
	rotate root.txt r2a.txt --add-signing-key sec2.pub
	rotate root.txt r2b.txt --add-signing-key sec3.pub
	! cmp -s r2a.txt r2b.txt
	run -0 state trust add r2a.txt
	run -1 state trust add r2b.txt
	assert_stderr_has "two different roots claim version 2 of root '$NAME' ($ROOTID)"
	assert_stderr_has "(a fork)"
	# A bundle carrying the other version 2.
	amana -q trust add r2b.txt
	seal b.amana sec3
	run -1 state verify b.amana -i tn.key
	assert_stderr_has "(a fork)"
	run -1 state open b.amana -i tn.key -o out
	assert_stderr_has "(a fork)"
	refute_exists out
	run -0 state trust list
	assert_stderr_has "version 2,"
	refute_output_has "$(key_id sec3.pub)"
}

# ---- time -----------------------------------------------------------------------------------

@test "root: an expired root is refused" {
	# Made in 2019 (amana's clock follows SOURCE_DATE_EPOCH): root new refuses a past expiry.
	SOURCE_DATE_EPOCH=1546300800 mkroot old.txt --expires 2020-01-01
	sign_root old.txt ra rb
	run -1 amana --vault "$T/v-new" trust add old.txt
	assert_stderr_has "version 1 expired at 2020-01-01T23:59:59Z (expired)"
	run -0 amana --vault "$T/v-new" trust list
	refute_output_has "root "
	# A pinned root that expires afterwards: the view of the keys is stale.
	seal b.amana
	run -0 state verify b.amana -i tn.key
	export SOURCE_DATE_EPOCH=$(($(date +%s) + 400 * 86400))
	run -1 state verify b.amana -i tn.key
	assert_stderr_has "the newest known here, expired at"
	assert_stderr_has "(expired)"
	run -1 state open b.amana -i tn.key -o out
	assert_stderr_has "(expired)"
	refute_exists out
	# A bundle carrying a newer version that has not expired brings the view up to date.
	unset SOURCE_DATE_EPOCH
	copy_vault "$T/v-next"
	rotate root.txt r2.txt --expires 2099-12-31
	amana --vault "$T/v-next" -q trust add r2.txt
	seal b2.amana sec "$T/v-next"
	export SOURCE_DATE_EPOCH=$(($(date +%s) + 400 * 86400))
	run -0 state verify b2.amana -i tn.key
	assert_stderr_has "key:         valid, through root '$NAME' version 2 (learnt from this bundle)"
	# The secretariat cannot seal under an expired root either.
	run -1 amana seal "$EX/outcome.json" -s sec.key --to "تونس" -o late.amana
	assert_stderr_has "(expired)"
	refute_exists late.amana
}

@test "root: a signing key outside its window is refused (expired, not yet valid)" {
	# sec may sign from 2025-01-01 to 2028-06-30; a root that lasts.
	mkroot w.txt --not-before 2025-01-01 --not-after 2028-06-30 --expires 2099-12-31
	sign_root w.txt ra rb
	run -0 amana root show w.txt
	assert_stderr_has "signing key  $SEC  2025-01-01T00:00:00Z .. 2028-06-30T23:59:59Z"
	amana --vault "$T/v-w" -q trust add w.txt
	# A vault that pinned nothing seals without a root, so it does not check the window.
	amana --vault "$T/v-own" -q recipient add tn.pub --name "تونس"
	SOURCE_DATE_EPOCH=$(epoch 2024-06-01T12:00:00Z) seal early.amana sec "$T/v-own"
	SOURCE_DATE_EPOCH=$(epoch 2029-06-01T12:00:00Z) seal late.amana sec "$T/v-own"
	run -1 amana --vault "$T/v-w" verify early.amana -i tn.key
	assert_stderr_has "key $SEC may sign from 2025-01-01T00:00:00Z, but the bundle was created at 2024-06-01T12:00:00Z (not yet valid)"
	# (verify --json prints its report only on success; inspect --json prints it either way.)
	run -1 --separate-stderr amana --vault "$T/v-w" --json inspect early.amana
	[ "$(json '$.ok')" = 0 ]
	[[ "$(json '$.failure')" == *"(not yet valid)"* ]]
	run -1 amana --vault "$T/v-w" open late.amana -i tn.key -o out
	assert_stderr_has "key $SEC may sign until 2028-06-30T23:59:59Z, but the bundle was created at 2029-06-01T12:00:00Z (expired)"
	refute_exists out
	# Inside the window, fine.
	SOURCE_DATE_EPOCH=$(epoch 2026-01-15T12:00:00Z) seal mid.amana sec "$T/v-own"
	run -0 amana --vault "$T/v-w" verify mid.amana -i tn.key
	assert_stderr_has "key:         valid, through root '$NAME' version 1"
	# A vault that pinned the root refuses to seal outside the window.
	amana --vault "$T/v-s" -q trust add w.txt
	amana --vault "$T/v-s" -q recipient add tn.pub --name "تونس"
	run -1 env SOURCE_DATE_EPOCH="$(epoch 2024-06-01T12:00:00Z)" "$AMANA" --vault "$T/v-s" seal "$EX/outcome.json" -s sec.key --to "تونس" -o s1.amana
	assert_stderr_has "cannot seal"
	assert_stderr_has "(not yet valid)"
	refute_exists s1.amana
	run -1 env SOURCE_DATE_EPOCH="$(epoch 2029-06-01T12:00:00Z)" "$AMANA" --vault "$T/v-s" seal "$EX/outcome.json" -s sec.key --to "تونس" -o s2.amana
	assert_stderr_has "cannot seal"
	assert_stderr_has "(expired)"
	refute_exists s2.amana
}

# ---- revocation -----------------------------------------------------------------------------

@test "root: a key revoked is refused after the position and accepted before it" {
	seal b1.amana
	copy_vault "$T/thief1"  # a copy of the vault after bundle 1 (root version 1 pinned)
	seal b2.amana
	copy_vault "$T/thief2"  # and after bundle 2
	run -0 state verify b1.amana -i tn.key
	run -0 state verify b2.amana -i tn.key
	# sec leaks: version 2 revokes it from log position 2 (its log's size) and adds sec2.
	run -0 amana root rotate root.txt -o root2.txt --revoke "$SEC" --add-signing-key sec2.pub
	run -0 amana root show root2.txt
	assert_stderr_has "signing key  $SEC"
	assert_stderr_has "revoked from log position 2"
	grep -q "^revoked: $SEC 2 [0-9a-f]\{64\}$" root2.txt
	sign_root root2.txt ra rc
	run -0 amana trust add root2.txt
	# The secretariat cannot seal with sec any more; sec2 seals, carrying versions 1 and 2.
	run -1 amana seal "$EX/outcome.json" -s sec.key --to "تونس" -o no.amana
	assert_stderr_has "(revoked)"
	refute_exists no.amana
	seal b3.amana sec2
	[ "$(tar -xOf b3.amana root | grep -c '^format: amana-root/1$')" = 2 ]
	# The state learns version 2 from that bundle.
	run -0 state verify b3.amana -i tn.key
	assert_stderr_has "learnt from this bundle"
	run -0 state trust list
	assert_stderr_has "version 2,"
	assert_stderr_has "signing key $SEC (revoked)"
	# Bundles before the position still verify.
	run -0 state verify b1.amana -i tn.key
	run -0 state --json verify b2.amana -i tn.key
	[ "$(json '$.trust.key_state')" = valid-before-revocation ]
	[ "$(json '$.trust.root_version')" = 2 ]
	run -0 state open b2.amana -i tn.key -o out2
	# A thief with the copy of the vault at size 2 seals bundle 3 with sec: revoked.
	seal t3.amana sec "$T/thief2"
	[ "$(tar -xOf t3.amana envelope | sed -n 's/^sequence: //p')" = 3 ]
	run -1 state verify t3.amana -i tn.key
	assert_stderr_has "key $SEC was revoked by root '$NAME' version 2 from log position 2; this bundle is at position 2 (revoked)"
	run -1 --separate-stderr state --json inspect t3.amana
	[ "$(json '$.trust.key_state')" = revoked ]
	[ "$(json '$.ok')" = 0 ]
	run -1 state open t3.amana -i tn.key -o out3
	refute_exists out3
	# A thief's bundle at position 2 (before the revocation) is not on the log the revocation
	# pins: refused as a fork.
	seal t2.amana sec "$T/thief1"
	[ "$(tar -xOf t2.amana envelope | sed -n 's/^sequence: //p')" = 2 ]
	run -1 state verify t2.amana -i tn.key
	assert_stderr_has "forked or was rolled back"
	assert_stderr_has "disagrees at leaf 1"
	run -1 state open t2.amana -i tn.key -o out4
	refute_exists out4
	# A state that never saw bundles 1 and 2 still refuses the thief's bundle 2.
	amana --vault "$T/v-eg" -q trust add root2.txt
	run -1 amana --vault "$T/v-eg" verify t2.amana -i tn.key
	assert_stderr_has "key $SEC was revoked from log position 2, and its log as known here does not have the root the revocation pins at that size (a fork, revoked)"
	# ...while bundle 2 itself, with its log, verifies there.
	run -0 amana --vault "$T/v-eg" verify b2.amana -i tn.key
	# A state that knows fewer leaves than the position fails closed until it sees more.
	amana --vault "$T/v-ma" -q trust add root2.txt
	run -1 amana --vault "$T/v-ma" verify b1.amana -i tn.key
	assert_stderr_has "this bundle (position 0) cannot be shown to precede the revocation: fewer than 2 leaves of its log are known here (revoked)"
	run -0 amana --vault "$T/v-ma" verify b2.amana -i tn.key
	run -0 amana --vault "$T/v-ma" verify b1.amana -i tn.key
}

# ---- bundles --------------------------------------------------------------------------------

@test "root: a bundle whose root chain was stripped or reordered is refused" {
	rotate root.txt root2.txt --add-signing-key sec2.pub
	amana -q trust add root2.txt
	seal b.amana
	[ "$(tar -xOf b.amana envelope | sed -n 's/^root: //p' | cut -d' ' -f1-2)" = "$ROOTID 2" ]
	[ "$(tar -tf b.amana | tr '\n' ' ')" = "envelope envelope.minisig root payload.age log/checkpoint log/proof " ]
	# Unchanged and rebuilt, it verifies (the helper packs as amana does).
	rebuild b.amana same.amana true
	cmp b.amana same.amana
	# Without the root member.
	rebuild b.amana stripped.amana true "envelope envelope.minisig payload.age log/checkpoint log/proof"
	run -1 state open stripped.amana -i tn.key -o out
	assert_stderr_has "the envelope names root $ROOTID version 2, but the bundle carries no root chain (stripped)"
	refute_exists out
	# With version 1 alone while the envelope names version 2.
	rebuild b.amana v1.amana "version_of $T/root2.txt 1 >root"
	run -1 state open v1.amana -i tn.key -o out
	assert_stderr_has "does not end at the root its envelope names (version 2): it was stripped or reordered"
	refute_exists out
	# Version 2, then version 1.
	rebuild b.amana v21.amana "version_of $T/root2.txt 2 1 >root"
	run -1 state open v21.amana -i tn.key -o out
	assert_stderr_has "the root chain starts at version 2, not 1 (a gap)"
	refute_exists out
	# Version 2 alone.
	rebuild b.amana v2.amana "version_of $T/root2.txt 2 >root"
	run -1 state open v2.amana -i tn.key -o out
	assert_stderr_has "(a gap)"
	refute_exists out
	# A root member added to a bundle whose envelope names no root.
	amana --vault "$T/v-own" -q recipient add tn.pub --name "تونس"
	seal plain.amana sec "$T/v-own"
	! tar -xOf plain.amana envelope | grep -q '^root: '
	rebuild plain.amana added.amana "cp $T/root2.txt root"
	run -3 state open added.amana -i tn.key -o out
	assert_stderr_has "the bundle carries a root chain that its envelope does not name"
	refute_exists out
	# Nothing of this was learnt: the state still holds version 1.
	run -0 state trust list
	assert_stderr_has "version 1,"
	run -0 state open b.amana -i tn.key -o out
}

@test "root: a malformed root is exit 3 with line and field" {
	sed '6s/.*/threshold: two/' root.txt >m-threshold.txt
	sed '8s/ RW[^ ]*$/ RW!!notbase64/' root.txt >m-rootkey.txt
	sed '10a note: hello' root.txt >m-junk.txt
	sed '4s/.*/version: 0x2/' root.txt >m-version.txt
	local f
	for f in m-threshold m-rootkey m-junk m-version; do
		run -3 amana root show $f.txt
		assert_stderr_has "'$f.txt': root line"
		run -3 amana --vault "$T/v-new" trust add $f.txt
		assert_stderr_has "'$f.txt': root line"
		run -3 state trust add $f.txt
	done
	run -3 amana root show m-threshold.txt
	assert_stderr_has "root line 6: the 'threshold' field"
	run -3 state trust add m-rootkey.txt
	assert_stderr_has "root line 8: the 'root-key' field"
	run -3 amana root show m-junk.txt
	assert_stderr_has "root line 11: unexpected line 'note: hello'"
	run -3 state trust add m-version.txt
	assert_stderr_has "root line 4: the 'version' field"
	# Another format version is a root still, and says so (not a key file).
	sed '1s/.*/format: amana-root\/2/' root.txt >m-format.txt
	run -3 amana root show m-format.txt
	assert_stderr_has "root line 1: the format is not 'amana-root/1'"
	run -3 state trust add m-format.txt
	assert_stderr_has "root line 1: the format is not 'amana-root/1'"
	# CR LF line ends, and a signature cut short.
	sed 's/$/\r/' root.txt >m-crlf.txt
	run -3 amana root show m-crlf.txt
	assert_stderr_has "root line 1: the line ends with CR LF"
	head -n -1 root.txt >m-short.txt
	run -3 state trust add m-short.txt
	assert_stderr_has "a signature ends after 3 of its 4 lines"
	run -0 amana --vault "$T/v-new" trust list
	refute_output_has "root "
	# sign and rotate read the same way.
	run -3 amana root sign m-threshold.txt -s rc.key
	assert_stderr_has "root line 6: the 'threshold' field"
	run -3 amana root rotate m-junk.txt -o next.txt
	refute_exists next.txt
}

# ---- migration and travel -------------------------------------------------------------------

@test "root: a vault pinned to one key migrates to the root with trust add" {
	# A bundle sealed before the secretariat had a root: no root line, no root member.
	run -0 amana trust remove "$ROOTID"
	seal b0.amana
	! tar -tf b0.amana | grep -qx root
	amana -q trust add root.txt
	amana --vault "$T/v-eg" -q trust add sec.pub --name "الأمانة"
	run -0 amana --vault "$T/v-eg" verify b0.amana -i tn.key
	run -0 amana --vault "$T/v-eg" trust add root.txt
	assert_stderr_has "trusted root '$NAME' ($ROOTID) version 1"
	assert_stderr_has "issuer key $SEC, pinned on its own before, is now trusted through the root"
	run -0 amana --vault "$T/v-eg" trust list
	assert_stderr_has "root     $ROOTID  $NAME  version 1"
	assert_stderr_has "  signing key $SEC"
	refute_output_has "issuer   $SEC"
	run -0 amana --vault "$T/v-eg" --json trust list
	[ "$(json '$[0].role')" = root ]
	[ "$(json '$[1]')" = "" ]
	# The old bundle and a new one (carrying the root) verify, through the root.
	run -0 amana --vault "$T/v-eg" --json verify b0.amana -i tn.key
	[ "$(json '$.trust.through')" = root ]
	seal b1.amana
	run -0 amana --vault "$T/v-eg" verify b1.amana -i tn.key
	assert_stderr_has "key:         valid, through root '$NAME' version 1"
	# Migrating again says it is pinned already.
	run -0 amana --vault "$T/v-eg" --json trust add root.txt
	[ "$(json '$.versions_added')" = 0 ]

	# The format 1 fixtures, in Tunisia's old vault (schema 5, the key pinned on its own):
	# a root listing that key from before the fixtures' creation (2025-11-29).
	local fx="$TOP/tests/fixtures/v1"
	mkdir tv && cp "$fx/tunisia.vault/vault.db" tv/ && cp "$fx"/*.amana "$fx/tunisia.key" "$fx/secretariat.pub" .
	chmod 600 tunisia.key
	mkroot fx.txt --signing-key secretariat.pub --not-before 2025-11-01 --expires 2099-12-31
	sign_root fx.txt rb rc
	local fxid
	fxid=$(key_id secretariat.pub)
	run -0 amana --vault "$T/tv" trust add fx.txt
	assert_stderr_has "issuer key $fxid, pinned on its own before, is now trusted through the root"
	run -0 amana --vault "$T/tv" --json verify conference-24.amana -i tunisia.key
	[ "$(json '$.trust.through')" = root ]
	[ "$(json '$.trust.key_state')" = valid ]
	run -0 amana --vault "$T/tv" open conference-24.amana -i tunisia.key -o fx-out
	cmp "fx-out/files/التوصيات.txt" "$EX/التوصيات.txt"
	run -0 amana --vault "$T/tv" inspect conference-24-jordan.amana
	assert_stderr_has "key:         valid, through root '$NAME' version 1"
	# A root whose window for that key starts after the fixtures were made refuses them.
	mkroot fx-late.txt --signing-key secretariat.pub --not-before 2026-01-01 --expires 2099-12-31
	sign_root fx-late.txt rb rc
	mkdir tv2 && cp "$fx/tunisia.vault/vault.db" tv2/
	amana --vault "$T/tv2" -q trust add fx-late.txt
	run -1 amana --vault "$T/tv2" verify conference-24.amana -i tunisia.key
	assert_stderr_has "(not yet valid)"
}

@test "root: the root travels: a state offline since version 1 catches up from a bundle" {
	rotate root.txt root2.txt --add-signing-key sec2.pub
	amana -q trust add root2.txt
	rotate root2.txt root3.txt --add-signing-key sec3.pub
	amana -q trust add root3.txt
	seal b.amana sec3
	[ "$(tar -xOf b.amana root | sed -n 's/^version: //p' | tr '\n' ' ')" = "1 2 3 " ]
	run -0 state verify b.amana -i tn.key
	assert_stderr_has "root:        $ROOTID version 3"
	assert_stderr_has "key:         valid, through root '$NAME' version 3 (learnt from this bundle)"
	run -0 state trust list
	assert_stderr_has "root     $ROOTID  $NAME  version 3"
	assert_stderr_has "signing key $(key_id sec3.pub)"
	run -0 state --json trust list
	[ "$(json '$[0].version')" = 3 ]
	# Learnt once: the next verify has nothing to learn.
	run -0 state --json verify b.amana -i tn.key
	[ "$(json '$.trust.root_version')" = 3 ]
	[ "$(json '$.trust.root_learned')" = "" ]
	# A state that learnt version 3 refuses to be pinned back to version 2.
	run -1 state trust add root2.txt
	assert_stderr_has "(rollback)"
}

@test "root: inspect and audit show the root version and the signing key" {
	seal b1.amana
	rotate root.txt root2.txt --add-signing-key sec2.pub
	amana -q trust add root2.txt
	seal b2.amana sec2
	run -0 state verify b2.amana -i tn.key
	run -0 state inspect b1.amana
	assert_stderr_has "root:        $ROOTID version 1"
	assert_stderr_has "key:         valid, through root '$NAME' version 2"
	run -0 state --json inspect b2.amana
	[ "$(json '$.envelope.root.root_id')" = "$ROOTID" ]
	[ "$(json '$.envelope.root.version')" = 2 ]
	[ "$(json '$.envelope.root.digest')" = "$(tar -xOf b2.amana envelope | sed -n 's/^root: //p' | cut -d' ' -f3)" ]
	[ "$(json '$.trust.through')" = root ]
	[ "$(json '$.trust.key_state')" = valid ]
	[ "$(json '$.trust.root_version')" = 2 ]
	run -0 state audit b1.amana b2.amana
	assert_stderr_has "root v1 valid"
	assert_stderr_has "root v2 valid"
	assert_stderr_has "verdict: PASS"
	run -0 state --json audit b1.amana b2.amana
	[ "$(json '$.ok')" = 1 ]
	[ "$(audited b1.amana root_version)" = 1 ]
	[ "$(audited b2.amana root_version)" = 2 ]
	[ "$(audited b1.amana root_id)" = "$ROOTID" ]
	[ "$(audited b1.amana key_state)" = valid ]
	[ "$(audited b2.amana key_state)" = valid ]
	amana -q audit b1.amana b2.amana --html report.html
	grep -q "version 2" report.html
}

@test "root: rotate refuses what would break the root" {
	seal b1.amana
	rotate root.txt root2.txt --revoke "$SEC" --add-signing-key sec2.pub
	# A revoked key stays listed.
	run -2 amana root rotate root2.txt -o n1.txt --remove-signing-key "$SEC"
	assert_stderr_has "--remove-signing-key: $SEC is revoked; a revoked key stays listed"
	refute_exists n1.txt
	# Revoking a key that is not a signing key, or revoked already.
	run -2 amana root rotate root.txt -o n2.txt --revoke "$(key_id sec2.pub)"
	assert_stderr_has "--revoke: $(key_id sec2.pub) is not a signing key of version 1"
	refute_exists n2.txt
	run -2 amana root rotate root2.txt -o n3.txt --revoke "$SEC"
	assert_stderr_has "is revoked already"
	refute_exists n3.txt
	run -2 amana root rotate root.txt -o n4.txt --revoke NOTAKEYID
	assert_stderr_has "is not a key id"
	# A revocation position beyond this vault's log of the key.
	run -2 amana root rotate root.txt -o n5.txt --revoke "$SEC" --from 5
	assert_stderr_has "this vault's log of that key has 1 bundles"
	refute_exists n5.txt
	# A threshold above the root keys, or zero; removing the last signing key.
	run -2 amana root rotate root.txt -o n6.txt --threshold 4
	assert_stderr_has "the threshold 4 is not between 1 and the 3 root keys"
	refute_exists n6.txt
	run -2 amana root rotate root.txt -o n7.txt --threshold 0
	refute_exists n7.txt
	run -2 amana root rotate root.txt -o n8.txt --remove-signing-key "$SEC"
	assert_stderr_has "at least one signing key"
	refute_exists n8.txt
	# A signing key that is a root key too; a signing key added twice.
	run -2 amana root rotate root.txt -o n9.txt --add-signing-key ra.pub
	assert_stderr_has "both a root key and a signing key"
	refute_exists n9.txt
	run -2 amana root rotate root.txt -o n10.txt --add-signing-key sec.pub
	assert_stderr_has "is in the root already"
	refute_exists n10.txt
	# Fewer root keys than the threshold kept.
	run -2 amana root rotate root.txt -o n11.txt --root-key ra.pub
	assert_stderr_has "the threshold 2 is not between 1 and the 1 root keys"
	refute_exists n11.txt
	# And no overwriting.
	run -4 amana root rotate root.txt -o root2.txt --add-signing-key sec3.pub
	assert_stderr_has "already exists"
}

@test "root: a thief's own root for a revoked key is refused as mix-and-match, and the key cannot be pinned alone" {
	seal b1.amana
	seal b2.amana
	rotate root.txt root2.txt --revoke "$SEC" --add-signing-key sec2.pub
	run -0 state trust add root2.txt
	# The thief, with sec.key and a root of its own that lists it.
	mkkey_sign thief thief
	copy_vault "$T/vth"
	"$AMANA" -q --vault "$T/vth" trust remove "$ROOTID"
	"$AMANA" -q root new --name "$NAME" --root-key thief.pub --threshold 1 --signing-key sec.pub \
		--not-before 2020-01-01 --not-after 2099-12-31 -o rT.txt
	"$AMANA" -q root sign rT.txt -s thief.key
	"$AMANA" -q --vault "$T/vth" trust add rT.txt
	seal t3.amana sec "$T/vth"
	grep -q "^root: $(sed -n 's/^root-id: //p' rT.txt) " <(tar -xOf t3.amana envelope)
	run -1 state verify t3.amana
	assert_stderr_has "mix-and-match"
	run -1 state open t3.amana -i tn.key -o out
	refute_exists out
	# Pinning the revoked key on its own would go around the root: refused.
	run -2 state trust add sec.pub --name "الأمانة"
	assert_stderr_has "is a signing key of root"
}

@test "root: a chain added to a bundle whose envelope names none is malformed (exit 3)" {
	"$AMANA" -q --vault "$T/vplain" recipient add tn.pub --name "تونس"
	seal plain.amana sec "$T/vplain"
	mkdir x && (cd x && tar -xf ../plain.amana && cp ../root.txt root &&
		amanatar ../plain-root.amana envelope envelope.minisig root payload.age log/checkpoint log/proof)
	run -3 state verify plain-root.amana
	assert_stderr_has "root chain that its envelope does not name"
	# Also where no root is pinned (the chain alone could not say).
	"$AMANA" -q --vault "$T/v-other" trust add sec.pub --name sec
	run -3 "$AMANA" --vault "$T/v-other" verify plain-root.amana
	# And a format 1 bundle given a root member.
	mkdir y && (cd y && tar -xf "$TOP/tests/fixtures/v1/conference-24.amana" && cp ../root.txt root &&
		amanatar ../v1-root.amana envelope envelope.minisig root payload.age log/checkpoint log/proof)
	"$AMANA" -q --vault "$T/v-fx" trust add "$TOP/tests/fixtures/v1/secretariat.pub" --name fx
	run -3 "$AMANA" --vault "$T/v-fx" verify v1-root.amana
}

@test "root: new refuses an expiry in the past" {
	run -2 amana root new --name "$NAME" --root-key ra.pub --threshold 1 --signing-key sec2.pub --expires 2020-01-01 -o old.txt
	assert_stderr_has "is past"
	refute_exists old.txt
}
