#!/bin/sh
# age.sh - amana encrypt/decrypt against stock age on the same payload, side by side in one
# run: wall time, CPU (user + system) and peak RSS of each, and amana's ratios to age.
#
#   AMANA=build/amana BENCH_SIZE=1073741824 BENCH_RUNS=3 sh tests/bench/age.sh
#
# Each tool runs BENCH_RUNS times in alternation and the fastest run is shown, which keeps
# other load on the machine from deciding the comparison. Both write to a file through
# standard output, so neither pays for durability; a last line shows amana with -o, which
# fsyncs the output before its atomic rename. Needs GNU time (/usr/bin/time, Debian package
# 'time') and stock age. BENCH_DIR chooses where the payload and outputs go (default TMPDIR).
set -eu
AMANA=${AMANA:-build/amana}
SIZE=${BENCH_SIZE:-1073741824}
RUNS=${BENCH_RUNS:-3}
TIME=/usr/bin/time
for tool in age age-keygen "$AMANA"; do
	command -v "$tool" >/dev/null 2>&1 || { echo "bench: '$tool' not found" >&2; exit 4; }
done
[ -x "$TIME" ] || { echo "bench: $TIME not found; hint: apt-get install time" >&2; exit 4; }
dir=$(mktemp -d "${BENCH_DIR:-${TMPDIR:-/tmp}}/amana-bench.XXXXXX")
trap 'rm -rf "$dir"' EXIT INT TERM

head -c "$SIZE" /dev/urandom >"$dir/payload"
age-keygen -o "$dir/key" 2>/dev/null
chmod 600 "$dir/key"
R=$(age-keygen -y "$dir/key")

# measure NAME OUT CMD...: runs CMD with stdout to OUT; keeps the fastest run of NAME as
# "wall cpu rss" in $dir/NAME.best.
measure() {
	name=$1 out=$2
	shift 2
	"$TIME" -f '%e %U %S %M' -o "$dir/t" "$@" >"$out"
	line=$(awk '{ printf "%s %.2f %s", $1, $2 + $3, $4 }' "$dir/t")
	if [ ! -s "$dir/$name.best" ] ||
		awk -v a="${line%% *}" '{ exit !(a + 0 < $1 + 0) }' "$dir/$name.best"; then
		echo "$line" >"$dir/$name.best"
	fi
}

i=0
while [ "$i" -lt "$RUNS" ]; do
	measure age-enc "$dir/a.age" age -r "$R" "$dir/payload"
	measure amana-enc "$dir/m.age" "$AMANA" encrypt -r "$R" "$dir/payload"
	measure age-dec "$dir/a.out" age -d -i "$dir/key" "$dir/a.age"
	measure amana-dec "$dir/m.out" "$AMANA" decrypt -i "$dir/key" "$dir/m.age"
	i=$((i + 1))
done
cmp -s "$dir/payload" "$dir/a.out" && cmp -s "$dir/payload" "$dir/m.out" || {
	echo "bench: a decryption did not give the payload back" >&2
	exit 1
}
rm -f "$dir/a.out" "$dir/m.out"
measure amana-enc-o /dev/null "$AMANA" encrypt -r "$R" -o "$dir/m2.age" "$dir/payload"

show() {
	awk -v label="$2" '{ printf "%-26s %8.2f s %8.2f s %9d KiB\n", label, $1, $2, $3 }' "$dir/$1.best"
}
ratio() {
	a=$(cut -d' ' -f"$3" "$dir/$1.best")
	b=$(cut -d' ' -f"$3" "$dir/$2.best")
	awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'
}
mib=$((SIZE / 1048576))
echo "age v1 encryption of $mib MiB, fastest of $RUNS runs ($(nproc) cores)"
printf '%-26s %10s %10s %13s\n' "" "wall" "cpu" "peak rss"
show age-enc "age -e (stock $(age --version))"
show amana-enc "amana encrypt"
show age-dec "age -d (stock)"
show amana-dec "amana decrypt"
show amana-enc-o "amana encrypt -o (fsync)"
echo "ratios amana/age: encrypt wall $(ratio amana-enc age-enc 1), cpu $(ratio amana-enc age-enc 2), rss $(ratio amana-enc age-enc 3);" \
	"decrypt wall $(ratio amana-dec age-dec 1), cpu $(ratio amana-dec age-dec 2), rss $(ratio amana-dec age-dec 3)"
