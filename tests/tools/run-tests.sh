#!/bin/sh
# run-tests.sh - runs every test program and prints one summary line, "N passed, N failed".
#
# Each program speaks TAP: the cmocka unit tests (CMOCKA_MESSAGE_OUTPUT=TAP), the bats suites
# (--tap) and the fuzz regression replayer. A program that dies without reporting a failure
# (a crash, a sanitizer report) counts as one failure of its own, so a crash is never a pass.
# Environment: AMANA (the binary under test), BUILD (the build folder).
set -u
: "${AMANA:?AMANA must name the amana binary}" "${BUILD:?BUILD must name the build folder}"
export AMANA BUILD
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 70
log=$(mktemp -d "${TMPDIR:-/tmp}/amana-check.XXXXXX") || exit 70
trap 'rm -rf "$log"' EXIT INT TERM
passed=0
failed=0

# run NAME COMMAND...: runs one TAP program, echoes its output, adds up ok / not ok lines.
run() {
	name=$1; shift
	out="$log/out"
	"$@" >"$out" 2>&1
	rc=$?
	cat "$out"
	ok=$(grep -c '^ok ' "$out")
	bad=$(grep -c '^not ok ' "$out")
	if [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then
		echo "not ok - $name exited with status $rc without reporting a failed test"
		bad=1
	fi
	passed=$((passed + ok))
	failed=$((failed + bad))
}

for t in "$BUILD"/tests/unit/test_*; do
	[ -x "$t" ] || continue
	case $t in *.d) continue ;; esac
	echo "# unit: ${t##*/}"
	run "${t##*/}" env CMOCKA_MESSAGE_OUTPUT=TAP "$t"
done

echo "# fuzz regression corpus"
run fuzz-replay "$BUILD/tests/fuzz/replay" tests/fuzz/regressions tests/vectors

for suite in tests/cli tests/interop; do
	set -- "$suite"/*.bats
	[ -e "$1" ] || continue
	echo "# bats: $suite"
	run "$suite" bats --tap "$@"
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
