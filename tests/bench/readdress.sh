#!/bin/sh
# readdress.sh - amana readdress against copying the bundle and against re-encrypting its
# payload with stock age, on the seal bench's payload (one attachment of BENCH_SIZE bytes).
#
#   AMANA=build/amana BENCH_SIZE=1073741824 BENCH_RUNS=2 sh tests/bench/readdress.sh
#
# The secretariat seals once, for one member state and --to-self. Then, BENCH_RUNS times in
# alternation (the fastest run counts): amana readdress of that bundle to two other member
# states; cp --reflink=never of the bundle (the cost of copying the body, without fsync);
# the same cp followed by 'sync FILE' (readdress fsyncs its output); and what stock tools
# would do instead, age -d of payload.age with the secretariat's key piped into age -r A -r
# B. The seal run is shown for comparison. Issue 13's target: readdress CPU minus cp CPU
# under 1 s at 1 GiB, and readdress peak RSS no more than seal's. One readdressed bundle is
# checked with 'amana verify -i' for a new recipient (not timed). Needs /usr/bin/time, age,
# age-keygen, tar, cp and sync (GNU coreutils).
set -eu
AMANA=${AMANA:-build/amana}
SIZE=${BENCH_SIZE:-1073741824}
RUNS=${BENCH_RUNS:-2}
TIME=/usr/bin/time
for tool in age age-keygen tar cp sync "$AMANA"; do
	command -v "$tool" >/dev/null 2>&1 || { echo "bench: '$tool' not found" >&2; exit 4; }
done
[ -x "$TIME" ] || { echo "bench: $TIME not found; hint: apt-get install time" >&2; exit 4; }
case $AMANA in /*) ;; */*) AMANA=$(cd "$(dirname "$AMANA")" && pwd)/$(basename "$AMANA") ;; esac
dir=$(mktemp -d "${BENCH_DIR:-${TMPDIR:-/tmp}}/amana-bench.XXXXXX")
trap 'rm -rf "$dir"' EXIT INT TERM
cd "$dir"
export AMANA_HOME="$dir/vault"
unset AMANA_PASSPHRASE_FILE

outcome() { # outcome DIR SIZE: an outcome with one record and one attachment of SIZE bytes (as bundle.sh)
	mkdir -p "$1"
	head -c "$2" /dev/urandom >"$1/recording.bin"
	printf '%s' '{"conference":{"series":"bench","number":1,"title":"bench","venue":"","held_from":"","held_to":"","organizer":""},"participants":[],"records":[{"kind":"decision","lang":"ar","title":"تسجيل","body":"تسجيل الجلسة"}],"attachments":[{"path":"recording.bin","caption":"c","record":1}]}' >"$1/outcome.json"
}

echo "bench: preparing a payload of $SIZE bytes in $dir"
outcome in "$SIZE"
"$AMANA" -q key new sign --name bench -o issuer --no-passphrase
"$AMANA" -q trust add issuer.pub --name bench
# The vault's one encryption key is the secretariat's own (what --to-self takes); the member
# states' keys are made outside it.
"$AMANA" -q key new encrypt --name self -o self
for m in state A B; do
	age-keygen -o "$m.key" 2>/dev/null
	chmod 600 "$m.key"
	"$AMANA" -q recipient add "$(age-keygen -y "$m.key")" --name "$m"
done

# measure NAME CMD...: keeps the fastest run of NAME as "wall cpu rss user" in NAME.best.
measure() {
	name=$1
	shift
	sync
	"$TIME" -f '%e %U %S %M' -o t "$@" >/dev/null 2>t.err || { cat t.err >&2; exit 1; }
	line=$(awk '{ printf "%s %.2f %s %.2f", $1, $2 + $3, $4, $2 }' t)
	if [ ! -s "$name.best" ] || awk -v a="${line%% *}" '{ exit !(a + 0 < $1 + 0) }' "$name.best"; then
		echo "$line" >"$name.best"
	fi
}

measure seal "$AMANA" -q seal in/outcome.json -s issuer.key --to state --to-self -o b.amana
rm -rf in
tar -xf b.amana payload.age
cat >stock.sh <<SCRIPT
set -e
age -d -i self.key payload.age | age -r $(age-keygen -y A.key) -r $(age-keygen -y B.key) -o stock.age
SCRIPT

n=0
while [ "$n" -lt "$RUNS" ]; do
	rm -f r.amana c.amana cs.amana stock.age
	measure readdress "$AMANA" -q readdress b.amana -s issuer.key -i self.key --to A --to B -o r.amana
	measure cp cp --reflink=never b.amana c.amana
	measure cp-sync sh -c 'cp --reflink=never b.amana cs.amana && sync cs.amana'
	measure stock sh stock.sh
	n=$((n + 1))
done
"$AMANA" -q verify r.amana -i A.key || { echo "bench: the readdressed bundle does not verify for a new recipient" >&2; exit 1; }
"$AMANA" -q verify r.amana -i state.key >/dev/null 2>&1 && { echo "bench: a recipient left out can open the readdressed bundle" >&2; exit 1; }
bsize=$(wc -c <b.amana)
rsize=$(wc -c <r.amana)
rm -f r.amana c.amana cs.amana stock.age payload.age

row() { # row NAME LABEL
	awk -v label="$2" '{ printf "%-40s %7.2f s %7.2f s %7.2f s %8d KiB\n", label, $1, $2, $4, $3 }' "$1.best"
}
echo
echo "bundle of $bsize bytes (readdressed: $rsize), fastest of $RUNS; CPU is user + system"
printf "%-40s %9s %9s %9s %12s\n" "" wall CPU user "peak RSS"
row readdress "amana readdress (to 2 others)"
row cp "cp --reflink=never"
row cp-sync "cp --reflink=never + sync FILE"
row seal "amana seal --to-self (1 run)"
row stock "age -d | age -r A -r B (payload.age)"
awk -v r="$(cut -d' ' -f2 readdress.best)" -v c="$(cut -d' ' -f2 cp.best)" 'BEGIN {
	printf "readdress CPU beyond the copy = readdress CPU - cp CPU = %.2f - %.2f = %.2f s (target < 1 s at 1 GiB)\n", r, c, r - c }'
awk -v r="$(cut -d' ' -f3 readdress.best)" -v s="$(cut -d' ' -f3 seal.best)" 'BEGIN {
	printf "readdress RSS / seal RSS = %d / %d KiB = %.2f (target <= 1)\n", r, s, r / s }'
awk -v r="$(cut -d' ' -f1 readdress.best)" -v s="$(cut -d' ' -f1 stock.best)" 'BEGIN {
	printf "readdress wall / stock re-encryption wall = %.3f\n", r / s }'
