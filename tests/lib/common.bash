# common.bash - loaded by every bats file (load ../lib/common).
#
# Each test gets its own folder, HOME and vault, so tests never see each other or the user's
# real vault. The binary under test is $AMANA (make check sets it; default build/amana).
# Helpers:
#   amana ...              runs the binary (use with bats' `run -N amana ...`)
#   mkkey_sign NAME PREFIX make an unencrypted minisign-format key pair quickly
#   mkkey_enc NAME PREFIX  make an age key pair
#   assert_stderr_has TXT  the last `run` output (stdout+stderr) contains TXT
#   refute_exists PATH     nothing at PATH
bats_require_minimum_version 1.5.0

: "${AMANA:=$BATS_TEST_DIRNAME/../../build/amana}"
AMANA=$(cd "$(dirname "$AMANA")" && pwd)/$(basename "$AMANA")
export AMANA
TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
export TOP

setup() {
	T=$(mktemp -d "${BATS_TMPDIR:-/tmp}/amana-test.XXXXXX")
	export HOME="$T/home" AMANA_HOME="$T/vault" XDG_DATA_HOME="$T/xdg"
	mkdir -p "$HOME"
	unset AMANA_PASSPHRASE_FILE SOURCE_DATE_EPOCH
	cd "$T" || return 1
	if declare -F local_setup >/dev/null; then local_setup; fi
}

teardown() {
	cd / && rm -rf "$T"
}

amana() {
	"$AMANA" "$@"
}

mkkey_sign() {
	"$AMANA" -q key new sign --name "$1" -o "$2" --no-passphrase
}

mkkey_enc() {
	"$AMANA" -q key new encrypt --name "$1" -o "$2"
}

# Writes a passphrase file (0600) and exports AMANA_PASSPHRASE_FILE to it.
use_passphrase() {
	printf '%s\n' "$1" >"$T/pass"
	chmod 600 "$T/pass"
	export AMANA_PASSPHRASE_FILE="$T/pass"
}

assert_stderr_has() {
	if [[ "$output" != *"$1"* ]]; then
		echo "expected output to contain: $1" >&2
		echo "output was: $output" >&2
		return 1
	fi
}

refute_output_has() {
	if [[ "$output" == *"$1"* ]]; then
		echo "expected output not to contain: $1" >&2
		echo "output was: $output" >&2
		return 1
	fi
}

refute_exists() {
	if [ -e "$1" ] || [ -L "$1" ]; then
		echo "expected nothing at $1" >&2
		ls -la "$1" >&2
		return 1
	fi
}

# Flips one byte at OFFSET of FILE (xor 0x01).
flip_byte() {
	local f=$1 off=$2 b
	b=$(od -An -tu1 -j "$off" -N1 "$f" | tr -d ' ')
	printf "$(printf '\\%03o' $((b ^ 1)))" | dd of="$f" bs=1 seek="$off" conv=notrunc status=none
}

# amanatar OUT NAME...: packs the named files of the current folder into OUT the way amana
# writes a container (tests/lib/amanatar.py, from docs/format.md), so that a test can change
# one member and nothing else; stock tar writes other headers, which amana refuses.
amanatar() {
	python3 "$TOP/tests/lib/amanatar.py" "$@"
}

# peak_rss FILE CMD...: runs CMD under GNU time and writes its peak RSS (KiB) to FILE. Under
# AddressSanitizer (make asan) the leak checker's own scan at exit (about 10 MiB) and the
# quarantine of freed blocks (256 MiB by default) would be counted as amana's: both are kept
# out of the measured run (every other test still checks for leaks).
peak_rss() {
	local file=$1
	shift
	[ -x /usr/bin/time ] || { echo "/usr/bin/time is missing (install the 'time' package)" >&2; return 1; }
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0:quarantine_size_mb=4" \
		/usr/bin/time -f %M -o "$file" "$@"
}

# under_asan: whether $AMANA was built with AddressSanitizer (make asan), whose allocator
# gives every block redzones and shadow memory: a memory bound then allows for that.
under_asan() {
	ASAN_OPTIONS=help=1 "$AMANA" --version 2>&1 | grep -q AddressSanitizer
}
