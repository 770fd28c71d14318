#!/bin/sh
# fuzz.sh - runs each libFuzzer target given on the command line for FUZZ_TIME seconds,
# starting from its seed folders (tests/fuzz/seeds.txt) and its kept regressions.
#
# New corpus entries go to build-fuzz/corpus/TARGET (not committed). A crash stops that
# target; its input is copied to tests/fuzz/regressions/TARGET/ so that "make check" replays
# it from then on, and this script exits 1 at the end.
set -u
: "${FUZZ_TIME:=30}"
status=0
for bin in "$@"; do
	name=${bin##*/fuzz_}
	corpus=build-fuzz/corpus/$name
	mkdir -p "$corpus" "tests/fuzz/regressions/$name"
	seeds=$(awk -v n="$name" '$1 == n { print $2 }' tests/fuzz/seeds.txt)
	echo "fuzz: $name for ${FUZZ_TIME}s"
	if ! "$bin" -max_total_time="$FUZZ_TIME" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
		-artifact_prefix="build-fuzz/$name-" "$corpus" "tests/fuzz/regressions/$name" $seeds \
		>"build-fuzz/$name.log" 2>&1; then
		echo "fuzz: $name FAILED; see build-fuzz/$name.log"
		for a in build-fuzz/"$name"-crash-* build-fuzz/"$name"-leak-* build-fuzz/"$name"-timeout-*; do
			[ -e "$a" ] && cp "$a" "tests/fuzz/regressions/$name/" && echo "fuzz: kept $a"
		done
		status=1
	fi
	grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb' "build-fuzz/$name.log" | sed "s/^/fuzz: $name /"
done
exit $status
