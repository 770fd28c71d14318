#!/bin/sh
# bench.sh - what "make bench" runs: every other tests/bench/*.sh in turn, each comparing
# amana with the stock tools on the same payload (never part of "make check").
# Environment: AMANA (the binary), BENCH_SIZE (payload bytes), as the Makefile sets them.
set -u
status=0
for b in "$(dirname "$0")"/*.sh; do
	[ "$(basename "$b")" = bench.sh ] && continue
	echo "# bench: $(basename "$b" .sh)"
	sh "$b" || status=1
done
exit $status
