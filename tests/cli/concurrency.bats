#!/usr/bin/env bats
# Concurrency (issue 8, point 4): several amana processes on one vault at once never corrupt
# it and never reuse a sequence number or a log index. A seal makes its bundle without the
# vault's lock, under the number it expects to take (issue 14), then holds one vault
# transaction (BEGIN IMMEDIATE) to take its sequence number, append the log and record the
# bundle; every other writer waits for that, saying so after a second, up to the busy timeout (two minutes;
# another seal waits up to ten; AMANA_BUSY_TIMEOUT=SECONDS sets both), and then fails cleanly
# with exit 4, "the vault is busy".
#
# Where two processes must reach a point together, a small LD_PRELOAD library
# (tests/lib/shim.c, shared with crash.bats) holds each at a system call until both got there:
# AMANA_SHIM="rename:1:before:wait=PATH" creates PATH.reached and waits for PATH.go.

load ../lib/common

setup_file() {
	cc -shared -fPIC -O1 -o "$BATS_FILE_TMPDIR/shim.so" "$TOP/tests/lib/shim.c" -ldl
	truncate -s 200M "$BATS_FILE_TMPDIR/big.bin"
	truncate -s 48M "$BATS_FILE_TMPDIR/mid.bin"
}

# The secretariat ($AMANA_HOME) with key sec; member state tn (vault $T/m) pins it.
# big/outcome.json carries a 200 MiB attachment, mid/outcome.json a 48 MiB one.
local_setup() {
	mkkey_sign "الأمانة العامة" sec >/dev/null
	mkkey_enc "تونس" tn >/dev/null
	amana -q recipient add tn.pub --name "تونس"
	member -q trust add sec.pub --name "الأمانة"
	local d
	for d in big mid; do
		mkdir "$d"
		ln "$BATS_FILE_TMPDIR/$d.bin" "$d/rec.bin" 2>/dev/null || cp "$BATS_FILE_TMPDIR/$d.bin" "$d/rec.bin"
		cat >"$d/outcome.json" <<-'EOF'
		{"conference":{"series":"المؤتمر","number":24,"title":"تسجيل الجلسة","venue":"","held_from":"","held_to":"","organizer":""},
		 "participants":[],
		 "records":[{"kind":"statement","lang":"ar","title":"التسجيل","body":"تسجيل الجلسة الختامية"}],
		 "attachments":[{"path":"rec.bin","caption":"تسجيل","record":1}]}
		EOF
	done
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
}

member() {
	"$AMANA" --vault "$T/m" "$@"
}

note() {
	echo "# $*" >&3
}

q() {
	sqlite3 "$1" "$2"
}

vault_ok() {
	[ "$(q "$1" 'PRAGMA integrity_check')" = ok ] || {
		echo "integrity_check of $1: $(q "$1" 'PRAGMA integrity_check')" >&2
		return 1
	}
}

env_field() {
	tar -xOf "$1" envelope | sed -n "s/^$2: //p"
}

proof_index() {
	tar -xOf "$1" log/proof | sed -n 's/^index //p'
}

# bgrun NAME CMD...: runs CMD (a program) in the background; output in $T/NAME.log, pid in
# PID_NAME. bgwait NAME: waits for it; its status in RC_NAME.
bgrun() {
	local name=$1
	shift
	"$@" >"$T/$name.log" 2>&1 3>&- &
	printf -v "PID_$name" '%s' $!
}

bgwait() {
	local pid_var="PID_$1" rc=0
	wait "${!pid_var}" || rc=$?
	printf -v "RC_$1" '%s' "$rc"
}

# poll COMMAND PID: waits until COMMAND succeeds; fails when process PID ended first (or
# after 60 s).
poll() {
	local n=0
	until eval "$1"; do
		kill -0 "$2" 2>/dev/null || { echo "the process ended before: $1" >&2; return 1; }
		n=$((n + 1))
		[ "$n" -lt 6000 ] || { echo "gave up waiting for: $1" >&2; return 1; }
		sleep 0.01
	done
}

# sealing OUT: the bundle temporary of a seal to OUT exists, so the seal holds the vault's
# transaction.
sealing() {
	local h
	for h in $(ls -A | grep -F ".$1.amana-" || true); do
		[ -f "$h" ] && return 0
	done
	return 1
}

@test "two seals at once on one vault: different sequence numbers and log indexes, the log verifies, both open" {
	bgrun a "$AMANA" seal big/outcome.json -s sec.key --to "تونس" -o a.amana
	bgrun b "$AMANA" seal big/outcome.json -s sec.key --to "تونس" -o b.amana
	bgwait a
	bgwait b
	[ "$RC_a" = 0 ] || { cat "$T/a.log" >&2; return 1; }
	[ "$RC_b" = 0 ] || { cat "$T/b.log" >&2; return 1; }
	note "a: sequence $(env_field a.amana sequence), index $(proof_index a.amana); b: sequence $(env_field b.amana sequence), index $(proof_index b.amana)"
	[ "$(printf '%s\n' "$(env_field a.amana sequence)" "$(env_field b.amana sequence)" | sort -n | tr '\n' ' ')" = "1 2 " ]
	[ "$(printf '%s\n' "$(proof_index a.amana)" "$(proof_index b.amana)" | sort -n | tr '\n' ' ')" = "0 1 " ]
	# Each bundle's index is its sequence less one, and the second one's log holds the first.
	[ "$(proof_index a.amana)" = $(($(env_field a.amana sequence) - 1)) ]
	[ "$(proof_index b.amana)" = $(($(env_field b.amana sequence) - 1)) ]
	[ "$(q "$AMANA_HOME/vault.db" "select count(*) || ' ' || count(distinct sequence) || ' ' || count(distinct bundle_id) from bundles where direction = 'issued'")" = "2 2 2" ]
	[ "$(q "$AMANA_HOME/vault.db" "select group_concat(idx, ' ') from (select idx from log_leaves order by idx)")" = "0 1" ]
	run -0 amana log verify
	assert_stderr_has "2 leaves"
	vault_ok "$AMANA_HOME/vault.db"
	run -0 member verify a.amana
	run -0 member verify b.amana
	run -0 member open a.amana -i tn.key -o out-a
	run -0 member open b.amana -i tn.key -o out-b
	cmp big/rec.bin out-a/files/rec.bin
	cmp big/rec.bin out-b/files/rec.bin
	vault_ok "$T/m/vault.db"
}

@test "a seal holds the vault only at its end: a seal started later finishes while the first is mid-way; the first takes the next number and its default name follows it" {
	# a stops mid-way through making its bundle (its temporary just created), having
	# prepared under sequence 1 and the name outcome-24-1.amana.
	bgrun a env LD_PRELOAD="$BATS_FILE_TMPDIR/shim.so" AMANA_SHIM="mkostemp:1:after:wait=$T/bar" \
		"$AMANA" seal big/outcome.json -s sec.key --to "تونس"
	poll '[ -e "$T/bar.reached" ]' "$PID_a"
	# Meanwhile b seals from start to end: had a held the vault, b would give up after 3 s
	# with exit 4.
	AMANA_BUSY_TIMEOUT=3 run -0 amana seal mid/outcome.json -s sec.key --to "تونس" -o b.amana
	[ "$(env_field b.amana sequence)" = 1 ]
	touch "$T/bar.go"
	bgwait a
	[ "$RC_a" = 0 ] || { cat "$T/a.log" >&2; return 1; }
	# a took the next number, and the name that goes with it.
	[ ! -e outcome-24-1.amana ]
	[ "$(env_field outcome-24-2.amana sequence)" = 2 ]
	[ "$(proof_index outcome-24-2.amana)" = 1 ]
	[ "$(proof_index b.amana)" = 0 ]
	[ "$(q "$AMANA_HOME/vault.db" "select group_concat(sequence, ' ') from (select sequence from bundles where direction = 'issued' order by sequence)")" = "1 2" ]
	[ "$(q "$AMANA_HOME/vault.db" "select group_concat(idx, ' ') from (select idx from log_leaves order by idx)")" = "0 1" ]
	[ -z "$(ls -A | grep -F '.amana-' || true)" ]
	run -0 amana log verify
	vault_ok "$AMANA_HOME/vault.db"
	run -0 member open b.amana -i tn.key -o out-b
	run -0 member open outcome-24-2.amana -i tn.key -o out-a
	cmp big/rec.bin out-a/files/rec.bin
	cmp mid/rec.bin out-b/files/rec.bin
	# The manifest inside names sequence 2 too, and its signature says so.
	[ "$(sqlite3 out-a/manifest.sqlite "select value from meta where key = 'sequence'")" = 2 ]
	grep -q "^trusted comment: amana-manifest/1 $(env_field outcome-24-2.amana bundle-id) 2\$" out-a/manifest.sqlite.minisig
}

@test "a seal whose expected number was taken and whose next one has more digits is made again under the lock, and is sound" {
	mkdir small
	cat >small/outcome.json <<-'EOF'
	{"conference":{"series":"المؤتمر","number":24,"title":"ملخص","venue":"","held_from":"","held_to":"","organizer":""},
	 "participants":[],"records":[{"kind":"statement","lang":"ar","title":"ملخص","body":"نص قصير"}]}
	EOF
	local i
	for i in 1 2 3 4 5 6 7 8; do
		run -0 amana seal small/outcome.json -s sec.key --to "تونس" -o "s$i.amana"
	done
	# a prepares under 9; b takes 9; a's number is 10, one digit more.
	bgrun a env LD_PRELOAD="$BATS_FILE_TMPDIR/shim.so" AMANA_SHIM="mkostemp:1:after:wait=$T/bar" \
		"$AMANA" seal mid/outcome.json -s sec.key --to "تونس" -o a.amana
	poll '[ -e "$T/bar.reached" ]' "$PID_a"
	AMANA_BUSY_TIMEOUT=3 run -0 amana seal small/outcome.json -s sec.key --to "تونس" -o b.amana
	[ "$(env_field b.amana sequence)" = 9 ]
	touch "$T/bar.go"
	bgwait a
	[ "$RC_a" = 0 ] || { cat "$T/a.log" >&2; return 1; }
	[ "$(env_field a.amana sequence)" = 10 ]
	[ "$(proof_index a.amana)" = 9 ]
	[ "$(q "$AMANA_HOME/vault.db" "select count(*) || ' ' || min(idx) || ' ' || max(idx) from log_leaves")" = "10 0 9" ]
	[ -z "$(ls -A | grep -F '.amana-' || true)" ]
	run -0 amana log verify
	run -0 member open a.amana -i tn.key -o out-a
	cmp mid/rec.bin out-a/files/rec.bin
	[ "$(sqlite3 out-a/manifest.sqlite "select value from meta where key = 'sequence'")" = 10 ]
}

@test "a seal and trust add / recipient add at the same time: the short commands wait and both succeed" {
	mkkey_sign "شاهد" w >/dev/null
	mkkey_enc "مصر" eg >/dev/null
	bgrun s "$AMANA" seal big/outcome.json -s sec.key --to "تونس" -o s.amana
	poll 'sealing s.amana' "$PID_s"
	# Reading needs no lock (WAL): listing works while the seal holds the vault.
	run -0 amana recipient list
	assert_stderr_has "تونس"
	local t0 t1
	t0=$(date +%s%N)
	run -0 amana trust add w.pub --name "شاهد" --witness
	run -0 amana recipient add eg.pub --name "مصر"
	t1=$(date +%s%N)
	note "trust add and recipient add waited $(((t1 - t0) / 1000000)) ms for the seal"
	bgwait s
	[ "$RC_s" = 0 ] || { cat "$T/s.log" >&2; return 1; }
	[ "$(q "$AMANA_HOME/vault.db" "select count(*) from trusted_keys where role = 'witness'")" = 1 ]
	[ "$(q "$AMANA_HOME/vault.db" "select count(*) from recipients")" = 2 ]
	[ "$(env_field s.amana sequence)" = 1 ]
	vault_ok "$AMANA_HOME/vault.db"
	run -0 member verify s.amana
	# A member state's vault: trust add while it opens a bundle.
	mkkey_sign "أمانة أخرى" other >/dev/null
	bgrun o "$AMANA" --vault "$T/m" open s.amana -i tn.key -o out
	poll '[ -n "$(ls -A | grep -F .out.amana-)" ]' "$PID_o"
	run -0 member trust add other.pub --name "أمانة أخرى"
	bgwait o
	[ "$RC_o" = 0 ] || { cat "$T/o.log" >&2; return 1; }
	[ "$(q "$T/m/vault.db" "select count(*) from trusted_keys")" = 2 ]
	vault_ok "$T/m/vault.db"
}

@test "a seal that holds the vault past the busy timeout: a concurrent change fails cleanly with exit 4, then works" {
	mkkey_enc "مصر" eg >/dev/null
	# The seal stands still inside its transaction (at the fsync of the finished bundle,
	# which comes after the log append), as a seal on a very slow disk would.
	bgrun s env LD_PRELOAD="$BATS_FILE_TMPDIR/shim.so" AMANA_SHIM="fsync:1:before:wait=$T/hold" \
		"$AMANA" seal big/outcome.json -s sec.key --to "تونس" -o s.amana
	poll '[ -e "$T/hold.reached" ]' "$PID_s"
	local t0 t1
	t0=$(date +%s%N)
	AMANA_BUSY_TIMEOUT=3 run -4 amana recipient add eg.pub --name "مصر"
	t1=$(date +%s%N)
	touch "$T/hold.go"
	note "recipient add gave up after $(((t1 - t0) / 1000000)) ms (AMANA_BUSY_TIMEOUT=3)"
	[ $(((t1 - t0) / 1000000)) -ge 3000 ]
	assert_stderr_has "waiting for another amana that is writing to this vault"
	assert_stderr_has "the vault is busy"
	assert_stderr_has "hint: try again when the other command has finished"
	bgwait s
	[ "$RC_s" = 0 ] || { cat "$T/s.log" >&2; return 1; }
	[ "$(q "$AMANA_HOME/vault.db" "select count(*) from recipients where name = 'مصر'")" = 0 ]
	vault_ok "$AMANA_HOME/vault.db"
	run -0 amana recipient add eg.pub --name "مصر"
	run -0 member verify s.amana
}

@test "two opens of different bundles at once into one member vault: both recorded, the log remembered" {
	amana -q seal mid/outcome.json -s sec.key --to "تونس" -o a.amana
	amana -q seal mid/outcome.json -s sec.key --to "تونس" -o b.amana
	bgrun a "$AMANA" --vault "$T/m" open a.amana -i tn.key -o out-a
	bgrun b "$AMANA" --vault "$T/m" open b.amana -i tn.key -o out-b
	bgwait a
	bgwait b
	[ "$RC_a" = 0 ] || { cat "$T/a.log" >&2; return 1; }
	[ "$RC_b" = 0 ] || { cat "$T/b.log" >&2; return 1; }
	cmp mid/rec.bin out-a/files/rec.bin
	cmp mid/rec.bin out-b/files/rec.bin
	[ "$(q "$T/m/vault.db" "select count(*) from bundles where direction = 'received'")" = 2 ]
	[ "$(q "$T/m/vault.db" "select count(*) from records")" = 2 ]
	[ "$(q "$T/m/vault.db" "select count(*) from seen_leaves")" = 2 ]
	[ "$(q "$T/m/vault.db" "select group_concat(size, ' ') from (select size from seen_checkpoints order by size)")" = "1 2" ]
	vault_ok "$T/m/vault.db"
	run -0 member records --search "التسجيل"
	run -0 member verify a.amana
	run -0 member verify b.amana
}

@test "two opens at once of bundles from forked logs: one of them is refused as a fork" {
	local ex="$TOP/docs/examples/conference-24"
	amana -q seal "$ex/outcome.json" -s sec.key --to "تونس" -o b1.amana
	sqlite3 "$AMANA_HOME/vault.db" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
	cp -R "$AMANA_HOME" "$T/fork"
	amana -q seal "$ex/outcome.json" -s sec.key --to "تونس" -o b2.amana
	"$AMANA" --vault "$T/fork" -q seal "$ex/outcome.json" -s sec.key --to "تونس" -o f2.amana
	# Both get through every check, then wait for each other before taking their output
	# into place and recording it.
	bgrun a env LD_PRELOAD="$BATS_FILE_TMPDIR/shim.so" AMANA_SHIM="rename:1:before:wait=$T/bar-a" \
		"$AMANA" --vault "$T/m" open b2.amana -i tn.key -o out-b2
	bgrun b env LD_PRELOAD="$BATS_FILE_TMPDIR/shim.so" AMANA_SHIM="rename:1:before:wait=$T/bar-b" \
		"$AMANA" --vault "$T/m" open f2.amana -i tn.key -o out-f2
	local n=0
	while [ ! -e "$T/bar-a.reached" ] || [ ! -e "$T/bar-b.reached" ]; do
		n=$((n + 1))
		[ "$n" -lt 3000 ] || break
		sleep 0.01
	done
	touch "$T/bar-a.go" "$T/bar-b.go"
	bgwait a
	bgwait b
	note "open b2: exit $RC_a; open f2: exit $RC_b"
	vault_ok "$T/m/vault.db"
	# Exactly one is accepted; the other is refused as a fork, leaving nothing behind.
	if [ "$RC_a" = 0 ]; then
		[ "$RC_b" = 1 ] || { echo "both forks were accepted: $(cat "$T/a.log" "$T/b.log")" >&2; return 1; }
		grep -q "forked" "$T/b.log"
		refute_exists out-f2
	else
		[ "$RC_a" = 1 ] && [ "$RC_b" = 0 ]
		grep -q "forked" "$T/a.log"
		refute_exists out-b2
	fi
	[ "$(q "$T/m/vault.db" "select count(*) from bundles where direction = 'received'")" = 1 ]
}

@test "five trust add of one key at once under different names: exactly one pins it" {
	mkkey_sign "شاهد" w >/dev/null
	local k
	for k in 1 2 3 4 5; do
		bgrun "t$k" "$AMANA" trust add w.pub --name "شاهد $k"
	done
	local ok=0 dup=0
	for k in 1 2 3 4 5; do
		bgwait "t$k"
		local rc_var="RC_t$k"
		case ${!rc_var} in
		0) ok=$((ok + 1)) ;;
		2) grep -q "already trusted" "$T/t$k.log" && dup=$((dup + 1)) ;;
		*) cat "$T/t$k.log" >&2 ;;
		esac
	done
	[ "$ok" = 1 ] && [ "$dup" = 4 ]
	[ "$(q "$AMANA_HOME/vault.db" "select count(*) from trusted_keys where name like 'شاهد%'")" = 1 ]
	vault_ok "$AMANA_HOME/vault.db"
}

# ten_recipient_adds: ten `recipient add` of different names, at once; all must land.
ten_recipient_adds() {
	local k rc_var failed=0
	for k in $(seq 0 9); do
		bgrun "r$k" "$AMANA" recipient add "r$k.pub" --name "دولة $k"
	done
	for k in $(seq 0 9); do
		bgwait "r$k"
		rc_var="RC_r$k"
		if [ "${!rc_var}" != 0 ]; then
			echo "recipient add $k: exit ${!rc_var}: $(cat "$T/r$k.log")" >&2
			failed=1
		fi
	done
	[ "$failed" = 0 ]
	[ "$(q "$AMANA_HOME/vault.db" "select count(*) from recipients where name like 'دولة %'")" = 10 ]
	for k in $(seq 0 9); do
		[ "$(q "$AMANA_HOME/vault.db" "select recipient from recipients where name = 'دولة $k'")" = "$(tail -n 1 "r$k.pub")" ]
	done
	vault_ok "$AMANA_HOME/vault.db"
}

@test "ten recipient add of different names at once on one vault: all land" {
	local k
	for k in $(seq 0 9); do
		mkkey_enc "r$k" "r$k" >/dev/null
	done
	ten_recipient_adds
}

@test "ten recipient add at once on a new vault whose schema another process is writing: all land" {
	local k
	for k in $(seq 0 9); do
		"$AMANA" --vault "$T/keys" -q key new encrypt --name "r$k" -o "r$k" >/dev/null
	done
	# A vault database with no schema yet, held by a writer (as the first amana to open a new
	# vault holds it while it applies the migrations) while the ten commands start.
	export AMANA_HOME="$T/fresh"
	mkdir -m 700 "$AMANA_HOME"
	sqlite3 "$AMANA_HOME/vault.db" 'PRAGMA journal_mode = WAL' >/dev/null
	{ echo 'BEGIN IMMEDIATE;'; sleep 2; echo 'COMMIT;'; } | sqlite3 "$AMANA_HOME/vault.db" &
	local holder=$!
	sleep 0.2
	ten_recipient_adds
	wait "$holder"
	[ "$(q "$AMANA_HOME/vault.db" 'PRAGMA user_version')" = "$(q "$T/m/vault.db" 'PRAGMA user_version')" ]
}
