#!/bin/sh
# search.sh - what "make bench-search" runs (and "make bench" with the rest): how well and how
# fast "amana records --search" finds records.
#
#   AMANA=build/amana EVAL=build/tests/search/eval SEARCH_QUERY=build/bench/search_query \
#       sh tests/bench/search.sh
#
# 1. Recall and precision on the judged query sets of tests/search: queries.tsv over
#    outcome.json (the set the stemming rules were written against) and heldout.tsv over
#    heldout.json (written after the rules were fixed), each in a vault that opened a bundle
#    sealed from it (tests/search/vault.sh), each query run as a reader runs it.
# 2. 100,000 records made from the sentences of both outcomes (each record: a title and two
#    sentences, and its number): the time to open them (verify and index), the index size, the
#    time migration 7 takes to re-index them, and the wall time of whole "records --search"
#    commands, fastest of BENCH_RUNS (default 5), with the number of records each prints; and,
#    with tests/bench/search_query.c, the same queries without printing: finding and ranking
#    alone, and with FTS5's snippets.
# Needs sqlite3 and GNU date (nanoseconds). Timings never belong in a test; this is not one.
set -eu
AMANA=${AMANA:-build/amana}
EVAL=${EVAL:-build/tests/search/eval}
SEARCH_QUERY=${SEARCH_QUERY:-build/bench/search_query}
RUNS=${BENCH_RUNS:-5}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
for tool in sqlite3 "$AMANA" "$EVAL" "$SEARCH_QUERY"; do
	command -v "$tool" >/dev/null 2>&1 || { echo "bench: '$tool' not found" >&2; exit 4; }
done
case $AMANA in /*) ;; *) AMANA=$(pwd)/$AMANA ;; esac
case $EVAL in /*) ;; *) EVAL=$(pwd)/$EVAL ;; esac
case $SEARCH_QUERY in /*) ;; *) SEARCH_QUERY=$(pwd)/$SEARCH_QUERY ;; esac
dir=$(mktemp -d "${BENCH_DIR:-${TMPDIR:-/tmp}}/amana-bench-search.XXXXXX")
trap 'rm -rf "$dir"' EXIT INT TERM
export LC_ALL=C.UTF-8

echo "recall and precision (tests/search):"
for set in outcome:queries heldout:heldout; do
	o=${set%%:*}
	q=${set##*:}
	OUTCOME=$TOP/tests/search/$o.json sh "$TOP/tests/search/vault.sh" "$AMANA" "$dir/$o" >/dev/null
	echo "# $q.tsv on $o.json"
	"$EVAL" "$AMANA" "$dir/$o/vault" "$TOP/tests/search/$o.json" "$TOP/tests/search/$q.tsv"
done

echo
echo "100,000 records:"
cd "$dir"
export AMANA_HOME="$dir/big/vault"
mkdir big
sqlite3 :memory: "
	CREATE TABLE s (i INTEGER PRIMARY KEY, t, b);
	INSERT INTO s (t, b) SELECT json_extract(value, '\$.title'), json_extract(value, '\$.body')
		FROM json_each(readfile('$TOP/tests/search/outcome.json'), '\$.records');
	CREATE TABLE h (i INTEGER PRIMARY KEY, t, b);
	INSERT INTO h (t, b) SELECT json_extract(value, '\$.title'), json_extract(value, '\$.body')
		FROM json_each(readfile('$TOP/tests/search/heldout.json'), '\$.records');
	WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000)
	SELECT writefile('big/outcome.json', json_object('conference', json_object('series', 'bench', 'number', 1,
		'title', 'مئة ألف توصية', 'venue', '', 'held_from', '', 'held_to', '', 'organizer', ''),
		'participants', json_array(), 'records', json_group_array(json_object('kind', 'recommendation', 'lang', 'ar',
		'title', (SELECT t FROM s WHERE s.i = 1 + n.i % (SELECT count(*) FROM s)) || ' ' || n.i,
		'body', (SELECT b FROM s WHERE s.i = 1 + (n.i * 7) % (SELECT count(*) FROM s)) || ' ' ||
			(SELECT b FROM h WHERE h.i = 1 + (n.i * 13) % (SELECT count(*) FROM h)) || ' البند ' || n.i))))
	FROM n" >/dev/null
"$AMANA" --vault sec -q key new sign --name bench -o issuer --no-passphrase
"$AMANA" -q key new encrypt --name state -o state
"$AMANA" --vault sec -q recipient add state.pub --name state
"$AMANA" -q trust add issuer.pub --name bench
"$AMANA" --vault sec -q seal big/outcome.json -s issuer.key --to state -o big.amana

ms() { # ms COMMAND...: wall milliseconds of the fastest of RUNS runs; output in out.txt
	best=
	k=0
	while [ $k -lt "$RUNS" ]; do
		t0=$(date +%s%N)
		"$@" >out.txt 2>&1
		t1=$(date +%s%N)
		d=$(((t1 - t0) / 1000000))
		if [ -z "$best" ] || [ "$d" -lt "$best" ]; then best=$d; fi
		k=$((k + 1))
	done
	echo "$best"
}

t0=$(date +%s%N)
"$AMANA" -q open big.amana -i state.key -o big-out
t1=$(date +%s%N)
echo "  open (verify, record, index): $(((t1 - t0) / 1000000)) ms"
db=$AMANA_HOME/vault.db
printf '  vault.db %s bytes; records text %s bytes; index (records_fts_data) %s bytes\n' \
	"$(stat -c %s "$db")" "$(sqlite3 "$db" 'SELECT sum(length(CAST(title AS BLOB)) + length(CAST(body AS BLOB))) FROM records')" \
	"$(sqlite3 "$db" 'SELECT sum(length(block)) FROM records_fts_data')"
# Migration 7 on a copy put back at version 6: the re-indexing an old vault gets.
mkdir -p mig
cp "$db" mig/vault.db
sqlite3 mig/vault.db 'PRAGMA user_version = 6' >/dev/null
t0=$(date +%s%N)
"$AMANA" --vault mig -q trust list >/dev/null
t1=$(date +%s%N)
echo "  migration 7 (drop, create, rebuild the index): $(((t1 - t0) / 1000000)) ms"
[ "$(sqlite3 mig/vault.db 'PRAGMA user_version')" -ge 7 ]

set -- "البند 77777" "الزلازل" "تفاهم" "الحافلة" "بالعملات" "مياه" "دولة" '"الدولة"' "مؤتم*" "water" "في"
echo "  records --search, whole command, fastest of $RUNS, output to a file:"
for q in "$@"; do
	t=$(ms "$AMANA" records --search "$q")
	n=$(grep -c '^[0-9a-f]\{12\} ' out.txt || true)
	printf '    %6d ms  %6d records  %s\n' "$t" "$n" "$q"
done
t=$(ms "$AMANA" --json records --search "الحافلة")
printf '    %6d ms  --json  %s\n' "$t" "الحافلة"
echo "  the same searches without printing (tests/bench/search_query.c), fastest of $RUNS:"
"$SEARCH_QUERY" "$db" "$RUNS" "$@"
