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
run secretariat seal outcome.json -s secretariat.key --to "تونس" --to "مصر" -o conference-24.amana

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

printf '\nThe end: two states opened identical, verified copies; one was refused; a tampered copy was refused.\n'
