#!/bin/sh
# bundle.sh - amana seal and open against the stock tools doing the same work, side by side
# in one run, with libsodium's ceiling measured in the same run; then peak memory across
# payload sizes, outcomes of 100,000 and 1,000,000 records, and two seals at once.
#
#   AMANA=build/amana BENCH_SIZE=1073741824 BENCH_RUNS=2 CEILING=build/bench/ceiling \
#       sh tests/bench/bundle.sh
#
# seal is compared with: b2sum of the attachment + tar + age -r + minisign -S (the stock
# pipeline), and with gpg --sign --encrypt; open with: minisign -V + age -d + tar -x +
# b2sum -c, and with gpg --decrypt. Each runs BENCH_RUNS times in alternation; the fastest
# run counts. amana fsyncs what it writes; the stock tools do not. Needs /usr/bin/time,
# age, minisign, gpg, b2sum, tar, sqlite3.
set -eu
AMANA=${AMANA:-build/amana}
SIZE=${BENCH_SIZE:-1073741824}
RUNS=${BENCH_RUNS:-2}
CEILING=${CEILING:-build/bench/ceiling}
TIME=/usr/bin/time
for tool in age age-keygen minisign gpg b2sum tar sqlite3 "$AMANA" "$CEILING"; do
	command -v "$tool" >/dev/null 2>&1 || { echo "bench: '$tool' not found" >&2; exit 4; }
done
[ -x "$TIME" ] || { echo "bench: $TIME not found; hint: apt-get install time" >&2; exit 4; }
dir=$(mktemp -d "${BENCH_DIR:-${TMPDIR:-/tmp}}/amana-bench.XXXXXX")
trap 'rm -rf "$dir"' EXIT INT TERM
cd "$dir"
export AMANA_HOME="$dir/vault" GNUPGHOME="$dir/gnupg"
unset AMANA_PASSPHRASE_FILE
mkdir -m 700 gnupg

outcome() { # outcome DIR SIZE: an outcome with one record and one attachment of SIZE bytes
	mkdir -p "$1"
	head -c "$2" /dev/urandom >"$1/recording.bin"
	printf '%s' '{"conference":{"series":"bench","number":1,"title":"bench","venue":"","held_from":"","held_to":"","organizer":""},"participants":[],"records":[{"kind":"decision","lang":"ar","title":"تسجيل","body":"تسجيل الجلسة"}],"attachments":[{"path":"recording.bin","caption":"c","record":1}]}' >"$1/outcome.json"
}

echo "bench: preparing a payload of $SIZE bytes in $dir"
outcome in "$SIZE"
"$AMANA" -q key new sign --name bench -o issuer --no-passphrase
"$AMANA" -q key new encrypt --name state -o state
"$AMANA" -q trust add issuer.pub --name bench
R=$(cat state.pub)
minisign -G -W -p m.pub -s m.key >/dev/null 2>&1
gpg --batch --passphrase '' --quick-gen-key bench@amana.invalid ed25519 sign never >/dev/null 2>&1
FPR=$(gpg --list-keys 2>/dev/null --with-colons bench@amana.invalid | awk -F: '/^fpr/ { print $10; exit }')
gpg --batch --passphrase '' --quick-add-key "$FPR" cv25519 encr never >/dev/null 2>&1

# measure NAME CMD...: keeps the fastest run of NAME as "wall cpu rss" in NAME.best.
measure() {
	name=$1
	shift
	sync
	"$TIME" -f '%e %U %S %M' -o t "$@" >/dev/null 2>t.err || { cat t.err >&2; exit 1; }
	line=$(awk '{ printf "%s %.2f %s", $1, $2 + $3, $4 }' t)
	if [ ! -s "$name.best" ] || awk -v a="${line%% *}" '{ exit !(a + 0 < $1 + 0) }' "$name.best"; then
		echo "$line" >"$name.best"
	fi
}

# The stock pipelines, as scripts so that /usr/bin/time measures each whole.
cat >stock-seal.sh <<SCRIPT
set -e
(cd in && b2sum recording.bin >../sums)
tar cf inner.tar -C in recording.bin -C .. sums
age -r "$R" -o stock.age inner.tar
minisign -S -W -s m.key -m stock.age >/dev/null
rm -f inner.tar
SCRIPT
cat >stock-open.sh <<'SCRIPT'
set -e
rm -rf x
mkdir x
minisign -V -p m.pub -m stock.age >/dev/null
age -d -i state.key -o x.tar stock.age
tar xf x.tar -C x
(cd x && b2sum -c ../sums >/dev/null)
rm -f x.tar
SCRIPT

n=0
while [ "$n" -lt "$RUNS" ]; do
	rm -f b.amana stock.age* g.gpg
	measure amana-seal "$AMANA" -q seal in/outcome.json -s issuer.key --to "$R" -o b.amana
	rm -f b1.amana
	measure amana-seal-1 "$AMANA" --threads 1 -q seal in/outcome.json -s issuer.key --to "$R" -o b1.amana
	measure stock-seal sh stock-seal.sh
	measure gpg-seal gpg --batch --yes -r bench@amana.invalid -o g.gpg --sign --encrypt in/recording.bin
	rm -rf out x x.tar g.out
	measure amana-open "$AMANA" -q open b.amana -i state.key -o out
	rm -rf out1
	measure amana-open-1 "$AMANA" --threads 1 -q open b.amana -i state.key -o out1
	measure stock-open sh stock-open.sh
	measure gpg-open gpg --batch --yes -o g.out --decrypt g.gpg
	rm -rf out out1 x g.out b1.amana
	n=$((n + 1))
done
"$CEILING" "$SIZE" >ceiling

row() { # row NAME LABEL REF: wall, CPU, RSS, and the ratio of wall to REF's wall
	awk -v label="$2" -v ref="$( [ -n "$3" ] && cut -d' ' -f1 "$3.best")" \
		'{ r = ref ? sprintf("%.2f", $1 / ref) : ""; printf "%-42s %7.2f s %7.2f s %8d KiB %8s\n", label, $1, $2, $3, r }' "$1.best"
}
echo
printf "%-42s %9s %9s %12s %8s\n" "payload of $SIZE bytes" wall CPU "peak RSS" ratio
row amana-seal "amana seal" stock-seal
row amana-seal-1 "amana seal --threads 1" stock-seal
row stock-seal "b2sum + tar + age + minisign" ""
row gpg-seal "gpg --sign --encrypt" ""
awk -v a="$(cut -d' ' -f1 amana-seal.best)" -v g="$(cut -d' ' -f1 gpg-seal.best)" 'BEGIN { printf "%-42s %37s\n", "amana seal / gpg", sprintf("%.2f", a / g) }'
row amana-open "amana open" stock-open
row amana-open-1 "amana open --threads 1" stock-open
row stock-open "minisign -V + age -d + tar -x + b2sum -c" ""
row gpg-open "gpg --decrypt" ""
awk -v a="$(cut -d' ' -f1 amana-open.best)" -v g="$(cut -d' ' -f1 gpg-open.best)" 'BEGIN { printf "%-42s %37s\n", "amana open / gpg", sprintf("%.2f", a / g) }'
awk '/^blake2b/ { b = $2 } /^chacha/ { c = $2 } /^ceiling/ { x = $2 } /^cores/ { k = $2 }
	END { printf "\nlibsodium on %d cores: BLAKE2b-512 %.2f s, ChaCha20-Poly1305 %.2f s; ceiling (2 x BLAKE2b + ChaCha20, all cores) %.2f s\n", k, b, c, x }' ceiling
awk -v s="$(cut -d' ' -f1 amana-seal.best)" -v o="$(cut -d' ' -f1 amana-open.best)" '/^ceiling/ {
	printf "amana seal / ceiling %.2f, amana open / ceiling %.2f\n", s / $2, o / $2 }' ceiling

echo
echo "peak RSS across payload sizes (seal, open):"
for mib in 16 64 256 1024; do
	bytes=$((mib << 20))
	[ "$bytes" -le "$SIZE" ] || [ "$mib" -eq 16 ] || continue
	rm -rf sw b2.amana o2
	outcome sw "$bytes"
	"$TIME" -f '%M' -o rs "$AMANA" -q seal sw/outcome.json -s issuer.key --to "$R" -o b2.amana
	"$TIME" -f '%M' -o ro "$AMANA" -q open b2.amana -i state.key -o o2
	printf '  %5d MiB   seal %6d KiB   open %6d KiB\n' "$mib" "$(cat rs)" "$(cat ro)"
done
rm -rf sw b2.amana o2 in

# records N: an outcome of N records (one Arabic sentence each, with its number) in recN/.
records() {
	mkdir -p "rec$1"
	sqlite3 :memory: "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
		SELECT json_object('conference', json_object('series','bench','number',2,'title','records','venue','','held_from','','held_to','','organizer',''),
		'participants', json_array(), 'records', json_group_array(json_object('kind','recommendation','lang','ar',
		'title','التوصية رقم ' || i, 'body','دعا المؤتمر الدول الأعضاء إلى تحديث تشريعاتها لمواجهة تمويل الإرهاب، البند ' || i)))
		FROM n" >"rec$1/outcome.json"
}

echo
echo "an outcome of 100,000 records:"
records 100000
"$TIME" -f '%e %M' -o rs "$AMANA" -q seal rec100000/outcome.json -s issuer.key --to "$R" -o rec.amana
"$TIME" -f '%e %M' -o ro "$AMANA" -q open rec.amana -i state.key -o rec-out
awk '{ printf "  seal  %6.2f s  peak RSS %7d KiB\n", $1, $2 }' rs
awk '{ printf "  open  %6.2f s  peak RSS %7d KiB\n", $1, $2 }' ro
"$TIME" -f '%e' -o rq "$AMANA" records --search "تمويل 77777" >/dev/null
awk '{ printf "  records --search (whole command, 2 words): %.0f ms\n", $1 * 1000 }' rq
rm -rf rec100000 rec.amana rec-out

echo
echo "an outcome of 1,000,000 records:"
records 1000000
"$TIME" -f '%e %M' -o rs "$AMANA" -q seal rec1000000/outcome.json -s issuer.key --to "$R" -o rec1m.amana
"$TIME" -f '%e %M' -o ro "$AMANA" -q verify rec1m.amana -i state.key
awk '{ printf "  seal       %6.2f s  peak RSS %7d KiB\n", $1, $2 }' rs
awk '{ printf "  verify -i  %6.2f s  peak RSS %7d KiB\n", $1, $2 }' ro
rm -rf rec1000000 rec1m.amana

# Two seals of the whole payload started together on one vault: each makes its bundle
# without the vault's lock and takes it only to record it (issue 14).
echo
outcome in "$SIZE"
start=$(date +%s%N)
"$AMANA" -q seal in/outcome.json -s issuer.key --to "$R" -o c1.amana &
p1=$!
"$AMANA" -q seal in/outcome.json -s issuer.key --to "$R" -o c2.amana &
p2=$!
wait "$p1" && wait "$p2"
end=$(date +%s%N)
printf 'two seals of %s bytes started together: both done in %s s; sequences %s and %s\n' "$SIZE" \
	"$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')" \
	"$(tar -xOf c1.amana envelope | sed -n 's/^sequence: //p')" "$(tar -xOf c2.amana envelope | sed -n 's/^sequence: //p')"
"$AMANA" log verify
rm -rf in c1.amana c2.amana
