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

say "It publishes secretariat.pub; each member state pins it once"
for who in tunisia egypt jordan; do
	cp "$work/secretariat/secretariat.pub" "$work/$who/"
	run "$who" trust add secretariat.pub --name "الأمانة العامة"
done

say "The secretariat signs the recommendations, as minisign would"
run secretariat sign -s secretariat.key -m "التوصيات.txt" -t "توصيات المؤتمر الرابع والعشرين"
cp "$work/secretariat/التوصيات.txt" "$work/secretariat/التوصيات.txt.minisig" "$work/tunisia/"

say "Tunisia checks the signature"
run tunisia verify -p secretariat.pub -m "التوصيات.txt"

say "Someone alters one word on the way to Egypt; Egypt's check refuses it"
cp "$work/secretariat/التوصيات.txt.minisig" "$work/egypt/"
sed 's/تحديث/تجاهل/' "$work/secretariat/التوصيات.txt" >"$work/egypt/التوصيات.txt"
refused egypt verify -p secretariat.pub -m "التوصيات.txt"

printf '\nThe story ends here for now: sealed bundles arrive with the next version.\n'
