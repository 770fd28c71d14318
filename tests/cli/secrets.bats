#!/usr/bin/env bats
# Secrets (DESIGN.md, "Secrets"): a passphrase typed at the terminal is not echoed; a command
# that holds a secret runs with core dumps off; a passphrase is not repeated in a message.
# (That the vault holds no secret is tests/cli/vault.bats and tests/cli/log.bats.)

load ../lib/common

TTY=$TOP/tests/interop/with-tty.py

note() {
	echo "# $*" >&3
}

# A test that fails while a command waits on the FIFO must not leave it waiting: started
# with bgstart, it is killed here.
PIDS=()
teardown() {
	local p
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	cd / && rm -rf "$T"
}

# bgstart CMD...: with_cores CMD in the background, away from bats' descriptors; its pid in PID.
bgstart() {
	(with_cores "$@") >>"$T/bg.log" 2>&1 3>&- &
	PID=$!
	PIDS+=("$PID")
}

# poll_limits PID: waits (up to 10 s) until PID has switched its core dumps off, then prints
# the line of /proc/PID/limits that says so.
poll_limits() {
	local i
	for i in $(seq 200); do
		if grep -qE '^Max core file size +0 +0 ' "/proc/$1/limits" 2>/dev/null; then
			grep '^Max core file size' "/proc/$1/limits"
			return 0
		fi
		sleep 0.05
	done
	echo "pid $1 still allows core dumps: $(grep '^Max core file size' "/proc/$1/limits" 2>&1)" >&2
	return 1
}

@test "a passphrase typed at the terminal is not echoed, and it is the one the key takes" {
	local pw="كلمةُ سرٍّ ـــ طويلة Secret-42"
	PASSPHRASE=$pw run -0 "$TTY" "$AMANA" key new sign --name "الأمانة العامة" -o k
	# The transcript of the terminal shows the prompts, never what was typed.
	assert_stderr_has "passphrase"
	refute_output_has "$pw"
	refute_output_has "Secret-42"
	grep -q "encrypted secret key" k.key
	[ "$(stat -c %a k.key)" = 600 ]
	echo "بيان ختامي" >m
	PASSPHRASE=$pw run -0 "$TTY" "$AMANA" sign -s k.key -m m
	refute_output_has "Secret-42"
	run -0 amana verify -p k.pub -m m
	PASSPHRASE="not it" run -5 "$TTY" "$AMANA" sign -s k.key -m m -x other.minisig
	refute_exists other.minisig
}

@test "a wrong passphrase is not repeated in the error, from a file or a descriptor" {
	use_passphrase "كلمة سر صحيحة"
	amana -q key new sign --name s -o s
	echo data >m
	use_passphrase "خطأ-Wrong-17"
	run -5 amana sign -s s.key -m m
	refute_output_has "Wrong-17"
	refute_output_has "خطأ"
	run -5 amana sign -s s.key -m m --passphrase-fd 3 3<<<"Wrong-18"
	refute_output_has "Wrong-18"
}

# with_cores CMD...: runs CMD with core dumps allowed (the soft limit raised to the hard one),
# so that a limit of 0 afterwards is the command's own doing.
with_cores() {
	ulimit -S -c "$(ulimit -H -c)"
	exec "$@"
}

@test "a command waiting for its passphrase has core dumps switched off" {
	# First, that the test can tell: a program that does nothing about it keeps the limit.
	bgstart sleep 5
	local pid=$PID
	sleep 0.2
	if [ "$(ulimit -H -c)" = 0 ]; then
		note "the hard core-size limit here is 0: every process has core dumps off"
	elif grep -qE '^Max core file size +0 +0 ' "/proc/$pid/limits"; then
		echo "with_cores did not raise the limit: $(grep '^Max core' "/proc/$pid/limits")" >&2
		return 1
	fi
	kill "$pid"
	# The passphrase comes through a FIFO that stays empty until /proc has been read: the
	# command is then holding, or about to hold, a secret key.
	mkfifo fifo
	exec 4<>fifo
	bgstart "$AMANA" -q key new sign --name "الأمانة" -o k --passphrase-fd 4
	pid=$PID
	run -0 poll_limits "$pid"
	printf '%s\n%s\n' "كلمة سر" "كلمة سر" >&4
	wait "$pid"
	use_passphrase "كلمة سر"
	echo data >m
	bgstart "$AMANA" -q sign -s k.key -m m --passphrase-fd 4
	pid=$PID
	run -0 poll_limits "$pid"
	printf '%s\n' "كلمة سر" >&4
	wait "$pid"
	# A passphrase-encrypted age file: decrypt asks for the passphrase before scrypt.
	echo "سري" >plain.txt
	run -0 amana encrypt -p -o p.age --passphrase-fd 3 plain.txt 3<<<"كلمة سر"
	bgstart "$AMANA" -q decrypt -o out.txt --passphrase-fd 4 p.age
	pid=$PID
	run -0 poll_limits "$pid"
	printf '%s\n' "كلمة سر" >&4
	wait "$pid"
	cmp plain.txt out.txt
	exec 4>&-
	run -0 amana verify -p k.pub -m m
}
