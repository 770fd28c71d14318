#!/bin/sh
# demo.sh - the story of the 24th Arab conference of counter-terrorism officials' outcome,
# told with amana in a temporary folder. "make demo" runs it; AMANA names the binary.
#
# Everyone here (the secretariat, member states, an outsider) is a folder with its own vault
# under one temporary folder, which is removed at the end. Each step says what it does, shows
# the command, and what amana answered.
set -eu
: "${AMANA:=$(cd "$(dirname "$0")/../../.." && pwd)/build/amana}"
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/amana-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
unset AMANA_HOME AMANA_PASSPHRASE_FILE XDG_DATA_HOME

step=0
bold='' plain=''
if [ -t 1 ]; then bold=$(printf '\033[1m') plain=$(printf '\033[0m'); fi
say() {
	step=$((step + 1))
	printf '\n%s%d. %s%s\n' "$bold" "$step" "$*" "$plain"
}
# run WHO CMD...: runs amana as WHO (its own folder and vault), echoing the command.
run() {
	who=$1
	shift
	printf '   [%s] $ amana %s\n' "$who" "$*"
	(cd "$work/$who" && "$AMANA" --vault "$work/$who/vault" "$@") 2>&1 | sed 's/^/     /'
}
# refused WHO CMD...: like run, but the command must fail; prints its exit status.
refused() {
	who=$1
	shift
	printf '   [%s] $ amana %s\n' "$who" "$*"
	set +e
	(cd "$work/$who" && "$AMANA" --vault "$work/$who/vault" "$@") >"$work/out" 2>&1
	rc=$?
	set -e
	sed 's/^/     /' "$work/out"
	if [ "$rc" -eq 0 ]; then
		echo "demo: this command should have been refused" >&2
		exit 1
	fi
	printf '     (refused, exit status %d)\n' "$rc"
}

for who in secretariat tunisia egypt jordan outsider; do mkdir -p "$work/$who"; done
cp "$here/outcome.json" "$here/archive-photo.png" "$here/التوصيات.txt" "$work/secretariat/"

say "The secretariat makes its signing key (minisign format; no passphrase, for the demo)"
run secretariat key new sign --name "الأمانة العامة لمجلس وزراء الداخلية العرب" -o secretariat --no-passphrase

say "It also makes an encryption key of its own, so that it can readdress what it seals"
run secretariat key new encrypt --name "الأمانة العامة - الأرشيف" -o secretariat-self

say "Three member states make their encryption keys (age X25519)"
run tunisia key new encrypt --name "وزارة الداخلية - تونس" -o tunisia
run egypt key new encrypt --name "وزارة الداخلية - مصر" -o egypt
run jordan key new encrypt --name "وزارة الداخلية - الأردن" -o jordan

say "Each sends its public key to the secretariat, which keeps a directory of recipients"
for who in tunisia egypt jordan; do cp "$work/$who/$who.pub" "$work/secretariat/"; done
run secretariat recipient add tunisia.pub --name "تونس"
run secretariat recipient add egypt.pub --name "مصر"
run secretariat recipient add jordan.pub --name "الأردن"

say "The secretariat publishes secretariat.pub; each member state pins it once"
for who in tunisia egypt jordan outsider; do cp "$work/secretariat/secretariat.pub" "$work/$who/"; done
for who in tunisia egypt jordan; do
	run "$who" trust add secretariat.pub --name "الأمانة العامة"
done

say "The outcome of the 24th conference, as the secretariat wrote it (outcome.json)"
printf '   %s records, %s attachments; the first record:\n' \
	"$(sqlite3 :memory: "select json_array_length(readfile('$work/secretariat/outcome.json'), '\$.records')")" \
	"$(sqlite3 :memory: "select json_array_length(readfile('$work/secretariat/outcome.json'), '\$.attachments')")"
sqlite3 :memory: "select '     ' || json_extract(readfile('$work/secretariat/outcome.json'), '\$.records[0].title')"

say "The secretariat seals it for Tunisia and Egypt only"
run secretariat seal outcome.json -s secretariat.key --to "تونس" --to "مصر" --to-self -o conference-24.amana

say "Anyone can inspect the outer layer without a key (here Jordan, which pinned the issuer)"
cp "$work/secretariat/conference-24.amana" "$work/jordan/"
run jordan inspect conference-24.amana

say "Tunisia and Egypt receive it, verify it and open it"
for who in tunisia egypt; do cp "$work/secretariat/conference-24.amana" "$work/$who/"; done
run tunisia verify conference-24.amana -i tunisia.key
run tunisia open conference-24.amana -i tunisia.key -o outcome-24
run egypt open conference-24.amana -i egypt.key -o outcome-24
printf '   Tunisia'"'"'s copy and Egypt'"'"'s are identical: '
if diff -r "$work/tunisia/outcome-24" "$work/egypt/outcome-24" >/dev/null; then echo yes; else echo NO; exit 1; fi
printf '   What Tunisia holds now:\n'
(cd "$work/tunisia/outcome-24" && find . -type f | sort | sed 's/^/     /')
printf '   The manifest is a plain SQLite file:\n'
sqlite3 "$work/tunisia/outcome-24/manifest.sqlite" "select '     ' || seq || '. ' || title from records limit 4"

say "Jordan was not among the recipients: it is refused, and nothing is written"
refused jordan open conference-24.amana -i jordan.key -o outcome-24
[ ! -e "$work/jordan/outcome-24" ] && echo "     (no outcome-24 folder was created)"

say "Jordan joins: the secretariat readdresses the same bundle, without encrypting it again"
run secretariat readdress conference-24.amana -s secretariat.key -i secretariat-self.key \
	--to "تونس" --to "مصر" --to "الأردن" --to-self -o conference-24-jordan.amana
cp "$work/secretariat/conference-24-jordan.amana" "$work/jordan/"
run jordan open conference-24-jordan.amana -i jordan.key -o outcome-24
printf '   Jordan'"'"'s copy and Tunisia'"'"'s are identical: '
if diff -r "$work/jordan/outcome-24" "$work/tunisia/outcome-24" >/dev/null; then echo yes; else echo NO; exit 1; fi
cp "$work/secretariat/conference-24-jordan.amana" "$work/tunisia/"
run tunisia open conference-24-jordan.amana -i tunisia.key -o outcome-24-again
printf '   Tunisia still holds %s records, not twice as many\n' \
	"$("$AMANA" --vault "$work/tunisia/vault" --json records | grep -o '"seq"' | wc -l | tr -d ' ')"
cp "$work/secretariat/conference-24.amana" "$work/secretariat/conference-24-jordan.amana" "$work/jordan/" 2>/dev/null || true
run jordan audit conference-24.amana conference-24-jordan.amana

say "An outsider who never pinned the secretariat's key cannot confirm where it came from"
cp "$work/secretariat/conference-24.amana" "$work/outsider/"
refused outsider inspect conference-24.amana

say "Someone changes one byte of the payload on the way to Egypt: refused"
cp "$work/secretariat/conference-24.amana" "$work/egypt/tampered.amana"
size=$(wc -c <"$work/egypt/tampered.amana")
printf 'X' | dd of="$work/egypt/tampered.amana" bs=1 seek=$((size / 2)) conv=notrunc status=none
refused egypt open tampered.amana -i egypt.key -o tampered

say "The secretariat can also sign a plain file, in minisign's format"
run secretariat sign -s secretariat.key -m "التوصيات.txt" -t "توصيات المؤتمر الرابع والعشرين"
cp "$work/secretariat/التوصيات.txt" "$work/secretariat/التوصيات.txt.minisig" "$work/tunisia/"
run tunisia verify -p secretariat.pub -m "التوصيات.txt"

say "Key lifecycle: three root keys, each on its own offline machine, make a 2-of-3 trust root"
for who in root-a root-b root-c thief; do mkdir -p "$work/$who"; done
run root-a key new sign --name "مفتاح الجذر أ" -o root-a --no-passphrase
run root-b key new sign --name "مفتاح الجذر ب" -o root-b --no-passphrase
run root-c key new sign --name "مفتاح الجذر ج" -o root-c --no-passphrase
for who in root-a root-b root-c; do cp "$work/$who/$who.pub" "$work/secretariat/"; done
run secretariat root new --name "الأمانة العامة" --root-key root-a.pub --root-key root-b.pub --root-key root-c.pub \
	--threshold 2 --signing-key secretariat.pub -o root.txt
cp "$work/secretariat/root.txt" "$work/root-a/" && run root-a root sign root.txt -s root-a.key
cp "$work/root-a/root.txt" "$work/root-b/" && run root-b root sign root.txt -s root-b.key
cp "$work/root-b/root.txt" "$work/secretariat/root.txt"
run secretariat root show root.txt

say "The secretariat pins its own root; Tunisia and Egypt pin it too (their key pin moves to the root)"
run secretariat trust add root.txt
for who in tunisia egypt; do cp "$work/secretariat/root.txt" "$work/$who/" && run "$who" trust add root.txt; done
run secretariat seal outcome.json -s secretariat.key --to "تونس" --to "مصر" -o conference-24-b.amana
cp "$work/secretariat/conference-24-b.amana" "$work/tunisia/"
run tunisia verify conference-24-b.amana -i tunisia.key

say "Drill: the signing key is stolen. The secretariat revokes it with 2 of the 3 root keys and issues with a new key"
cp "$work/secretariat/secretariat.key" "$work/secretariat/root.txt" "$work/secretariat/tunisia.pub" "$work/thief/"
run secretariat key new sign --name "الأمانة العامة 2" -o secretariat2 --no-passphrase
old=$("$AMANA" --json key show "$work/secretariat/secretariat.pub" | sed -n 's/.*"key_id": *"\([0-9A-F]*\)".*/\1/p')
run secretariat root rotate root.txt --revoke "$old" --add-signing-key secretariat2.pub -o root-2.txt
cp "$work/secretariat/root-2.txt" "$work/root-a/" && run root-a root sign root-2.txt -s root-a.key
cp "$work/root-a/root-2.txt" "$work/root-c/" && run root-c root sign root-2.txt -s root-c.key
cp "$work/root-c/root-2.txt" "$work/secretariat/root-2.txt"
run secretariat trust add root-2.txt
refused secretariat seal outcome.json -s secretariat.key --to "تونس" -o stolen.amana
run secretariat seal outcome.json -s secretariat2.key --to "تونس" --to "مصر" -o conference-24-c.amana

say "Tunisia, which still pinned version 1, accepts the new bundle: the root's version 2 travels in it"
cp "$work/secretariat/conference-24-c.amana" "$work/tunisia/"
run tunisia verify conference-24-c.amana -i tunisia.key

say "The thief seals with the stolen key after the revocation: Tunisia refuses it"
run thief trust add root.txt
run thief recipient add tunisia.pub --name "تونس"
for n in 1 2 3; do # the thief's log runs past the revocation's position (3)
	(cd "$work/thief" && "$AMANA" --vault "$work/thief/vault" -q seal "$work/secretariat/outcome.json" -s secretariat.key --to "تونس" -o "draft-$n.amana")
done
run thief seal "$work/secretariat/outcome.json" -s secretariat.key --to "تونس" -o forged.amana
cp "$work/thief/forged.amana" "$work/tunisia/"
refused tunisia verify forged.amana -i tunisia.key
run tunisia verify conference-24-b.amana -i tunisia.key

printf '\nThe end: two states opened identical, verified copies; one was refused; a tampered copy was refused;\n'
printf 'a stolen key was revoked by 2 of 3 root keys, and what the thief signed after that was refused.\n'
