#!/usr/bin/env bats
# Stock age (1.1.1) against amana, both ways: sizes around the 64 KiB chunk boundary and
# several chunks, several recipients, armor, standard input and output, passphrase files and
# passphrase-protected identity files. Stock age reads passphrases only from a terminal, so
# with-tty.py runs it on a pseudo-terminal and types the passphrase at its prompts.
#
# Re-wrapping (age_rewrap, what readdress builds on) has no amana command yet: the unit test
# program build/tests/unit/test_age runs it when called as "test_age rewrap IDENTITY IN OUT
# RECIPIENT..." and prints "OLD_HEADER_LEN NEW_HEADER_LEN MATCHED_STANZA RECIPIENT".

load ../lib/common

TTY="$BATS_TEST_DIRNAME/with-tty.py"
REWRAP="${BUILD:-$TOP/build}/tests/unit/test_age"

rewrap() {
	[ -x "$REWRAP" ] || { echo "no $REWRAP: run 'make check' (or make $REWRAP)" >&2; return 70; }
	"$REWRAP" rewrap "$@"
}

local_setup() {
	command -v age >/dev/null
	age-keygen -o k1 2>/dev/null
	age-keygen -o k2 2>/dev/null
	R1=$(age-keygen -y k1)
	R2=$(age-keygen -y k2)
}

sizes="0 1 65535 65536 65537 196613 327680 3145735"

@test "amana encrypts, stock age decrypts: every size, binary and armored" {
	for n in $sizes; do
		head -c "$n" /dev/urandom >p.$n
		amana encrypt -r "$R1" -o p.$n.age p.$n
		age -d -i k1 p.$n.age >p.$n.out # (age -o creates nothing for an empty file)
		cmp p.$n p.$n.out
		amana encrypt -a -r "$R1" -o p.$n.asc p.$n
		age -d -i k1 p.$n.asc | cmp - p.$n
	done
}

@test "stock age encrypts, amana decrypts: every size, binary and armored" {
	for n in $sizes; do
		head -c "$n" /dev/urandom >p.$n
		age -r "$R1" -o p.$n.age p.$n
		amana decrypt -i k1 -o p.$n.out p.$n.age
		cmp p.$n p.$n.out
		age -a -r "$R1" -o p.$n.asc p.$n
		amana decrypt -i k1 p.$n.asc | cmp - p.$n
	done
}

@test "several recipients, both ways" {
	age-keygen -o k3 2>/dev/null
	head -c 150000 /dev/urandom >p
	amana encrypt -r "$R1" -r "$R2" -r "$(age-keygen -y k3)" -o m.age p
	age -r "$R1" -r "$R2" -r "$(age-keygen -y k3)" -o a.age p
	for k in k1 k2 k3; do
		age -d -i "$k" m.age | cmp - p
		amana decrypt -i "$k" a.age | cmp - p
	done
	# A recipients file as age -R reads it, used by both.
	{ echo "# two of them"; echo "$R1"; echo "$R2"; } >rcpts
	amana encrypt -R rcpts -o m2.age p
	age -d -i k2 m2.age | cmp - p
	age -R rcpts -o a2.age p
	amana decrypt -i k2 a2.age | cmp - p
}

@test "standard input and output, both ways" {
	head -c 100000 /dev/urandom >p
	amana encrypt -r "$R1" <p | age -d -i k1 >out1
	cmp p out1
	age -r "$R1" <p | amana decrypt -i k1 >out2
	cmp p out2
	amana encrypt -a -r "$R1" <p | age -d -i k1 | cmp - p
	age -a -r "$R1" <p | amana decrypt -i k1 | cmp - p
}

@test "amana reads identity files made by age-keygen, with several keys" {
	cat k1 k2 >both
	chmod 600 both
	printf 'x' | age -r "$R2" >x.age
	[ "$(amana decrypt -i both x.age)" = x ]
}

@test "passphrase files: amana -p opens with age, age -p opens with amana" {
	head -c 70000 /dev/urandom >p
	use_passphrase "amana and age agree"
	amana encrypt -p -o m.age p
	PASSPHRASE="amana and age agree" "$TTY" age -d -o m.out m.age 2>/dev/null
	cmp p m.out
	PASSPHRASE="amana and age agree" "$TTY" age -p -o a.age p 2>/dev/null
	grep -q '^-> scrypt ' a.age
	amana decrypt -o a.out a.age
	cmp p a.out
	PASSPHRASE="amana and age agree" "$TTY" age -a -p -o a.asc p 2>/dev/null
	amana decrypt a.asc | cmp - p
	use_passphrase "something else"
	run -5 amana decrypt -o x a.age
	assert_stderr_has "incorrect passphrase"
}

@test "passphrase-protected identity files: made by age -p for amana, by amana for age" {
	printf 'secret minutes\n' >p
	age -r "$R1" -o p.age p
	# age -p encrypts the identity file; amana asks for its passphrase.
	PASSPHRASE="key pass" "$TTY" age -p -o k1.age k1 2>/dev/null
	chmod 600 k1.age
	use_passphrase "key pass"
	[ "$(amana decrypt -i k1.age p.age)" = "secret minutes" ]
	# amana encrypts the identity file; stock age asks for its passphrase.
	amana encrypt -p -o k1.amana k1
	PASSPHRASE="key pass" "$TTY" age -d -i k1.amana -o out p.age 2>/dev/null
	[ "$(cat out)" = "secret minutes" ]
	amana encrypt -a -p -o k1.asc k1
	PASSPHRASE="key pass" "$TTY" age -d -i k1.asc -o out2 p.age 2>/dev/null
	[ "$(cat out2)" = "secret minutes" ]
}

@test "amana key new encrypt --passphrase makes an identity stock age can use" {
	use_passphrase "vault key"
	run -0 amana -q key new encrypt --name "Kuwait" -o kw --passphrase
	grep -q '^-----BEGIN AGE ENCRYPTED FILE-----$' kw.key
	[ "$(stat -c %a kw.key)" = 600 ]
	printf 'for Kuwait\n' | age -r "$(cat kw.pub)" >m.age
	PASSPHRASE="vault key" "$TTY" age -d -i kw.key -o out m.age 2>/dev/null
	[ "$(cat out)" = "for Kuwait" ]
	[ "$(amana decrypt -i kw.key m.age)" = "for Kuwait" ]
}

@test "a file stock age made, damaged, fails in amana naming the chunk" {
	head -c 200000 /dev/urandom >p
	age -r "$R1" -o a.age p
	size=$(stat -c %s a.age)
	flip_byte a.age $((size - 5000)) # the last chunk is 3392 + 16 bytes: this is chunk 3
	run -1 amana decrypt -i k1 -o out a.age
	assert_stderr_has "chunk 3 failed authentication"
	refute_exists out
	# and stock age agrees that it is damaged
	run age -d -i k1 -o out2 a.age
	[ "$status" -ne 0 ]
}

@test "re-wrapped for new recipients: stock age opens it, a removed recipient no longer does, the body is unchanged" {
	age-keygen -o k3 2>/dev/null
	R3=$(age-keygen -y k3)
	head -c 200000 /dev/urandom >p
	for maker in amana age; do
		rm -f old.age new.age
		if [ "$maker" = amana ]; then
			amana encrypt -r "$R1" -r "$R2" -o old.age p
		else
			age -r "$R1" -r "$R2" -o old.age p
		fi
		# From {1, 2} to {2, 3}, opened with identity 1 (the first stanza).
		run -0 rewrap k1 old.age new.age "$R2" "$R3"
		read -r old_len new_len matched who <<<"$output"
		[ "$matched" = 1 ]
		[ "$who" = "$R1" ]
		# The lengths are the headers' (each ends with its MAC line), and the bodies after
		# them are the same bytes.
		[ "$(head -c "$old_len" old.age | tail -n 1 | cut -c1-4)" = "--- " ]
		[ "$(head -c "$new_len" new.age | tail -n 1 | cut -c1-4)" = "--- " ]
		[ "$(head -c "$new_len" new.age | grep -c -a '^-> X25519 ')" = 2 ]
		[ $(($(stat -c %s old.age) - old_len)) = $(($(stat -c %s new.age) - new_len)) ]
		cmp -i "$old_len:$new_len" old.age new.age
		# The new recipients open it, with stock age and with amana.
		age -d -i k3 new.age | cmp - p
		age -d -i k2 new.age | cmp - p
		amana decrypt -i k3 new.age | cmp - p
		# The one left out cannot open the new file, but still opens the old one.
		run -5 amana decrypt -i k1 -o out new.age
		assert_stderr_has "no identity matches"
		refute_exists out
		run age -d -i k1 -o out new.age
		[ "$status" -ne 0 ]
		age -d -i k1 old.age | cmp - p
		amana decrypt -i k1 old.age | cmp - p
	done
	# Read from a pipe, the input is left at the body: the copy that follows is whole.
	cat old.age | rewrap k2 /dev/stdin piped.age "$R3" >/dev/null
	age -d -i k3 piped.age | cmp - p
}

@test "re-wrap refuses a wrong identity, a tampered header, a passphrase file and armor" {
	head -c 1000 /dev/urandom >p
	age -r "$R1" -o old.age p
	run -5 rewrap k2 old.age new.age "$R2"
	assert_stderr_has "no identity matches"
	refute_exists new.age
	# The first character of the MAC changed to another base64 character.
	read -r old_len _ <<<"$(rewrap k1 old.age - "$R2")"
	cp old.age bad.age
	c=$(dd if=bad.age bs=1 skip=$((old_len - 44)) count=1 status=none)
	if [ "$c" = A ]; then n=B; else n=A; fi
	printf %s "$n" | dd of=bad.age bs=1 seek=$((old_len - 44)) conv=notrunc status=none
	run -1 rewrap k1 bad.age new.age "$R2"
	assert_stderr_has "header MAC does not match"
	refute_exists new.age
	# A passphrase-encrypted file: readdress is for X25519 recipients.
	PASSPHRASE="pw" "$TTY" age -p -o pw.age p 2>/dev/null
	run -5 rewrap k1 pw.age new.age "$R2"
	assert_stderr_has "cannot re-wrap a passphrase-encrypted age file"
	refute_exists new.age
	# Armor: bundles carry binary age.
	age -a -r "$R1" -o a.asc p
	run -3 rewrap k1 a.asc new.age "$R2"
	assert_stderr_has "ASCII-armored"
	refute_exists new.age
}
