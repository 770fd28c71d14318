#!/bin/sh
# vault.sh - makes a member state's vault that opened one bundle sealed from
# tests/search/outcome.json, for eval.c (make bench-search, tests/cli/search.bats).
#
#   sh tests/search/vault.sh AMANA DIR     the vault is DIR/vault; keys and bundle in DIR
set -eu
[ $# -eq 2 ] || { echo "usage: vault.sh AMANA DIR" >&2; exit 2; }
AMANA=$1
DIR=$2
OUTCOME=${OUTCOME:-$(cd "$(dirname "$0")" && pwd)/outcome.json}
mkdir -p "$DIR"
cd "$DIR"
unset AMANA_PASSPHRASE_FILE
"$AMANA" --vault secretariat -q key new sign --name "الأمانة" -o secretariat --no-passphrase
"$AMANA" --vault vault -q key new encrypt --name "الدولة العضو" -o member
"$AMANA" --vault secretariat -q recipient add member.pub --name "الدولة العضو"
"$AMANA" --vault vault -q trust add secretariat.pub --name "الأمانة"
"$AMANA" --vault secretariat -q seal "$OUTCOME" -s secretariat.key --to "الدولة العضو" -o search.amana
"$AMANA" --vault vault -q open search.amana -i member.key -o opened
