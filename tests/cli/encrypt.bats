#!/usr/bin/env bats
# amana encrypt and amana decrypt: options, standard input and output, exit codes, messages
# and hints, nothing left behind on failure, the terminal refusal, recipients named from the
# vault. Keys come from age-keygen so that these tests do not depend on 'amana key'.

load ../lib/common

local_setup() {
	age-keygen -o k1 2>/dev/null
	age-keygen -o k2 2>/dev/null
	R1=$(age-keygen -y k1)
	R2=$(age-keygen -y k2)
	printf 'the 24th conference of counter-terrorism officials\n' >msg
	head -c 200000 /dev/urandom >big
}

@test "encrypt -r then decrypt -i round-trips, with files and -o" {
	run -0 amana encrypt -r "$R1" -o msg.age msg
	[ "$(head -c 22 msg.age)" = "age-encryption.org/v1" ]
	run -0 amana decrypt -i k1 -o msg.out msg.age
	cmp msg msg.out
}

@test "standard input and output are used without FILE and -o" {
	amana encrypt -r "$R1" <big >big.age
	amana decrypt -i k1 <big.age >big.out
	cmp big big.out
	amana encrypt -r "$R1" - <msg | amana decrypt -i k1 - >msg.out
	cmp msg msg.out
}

@test "-a writes ASCII armor, and decrypt recognises it" {
	amana encrypt -a -r "$R1" -o msg.asc msg
	[ "$(head -n 1 msg.asc)" = "-----BEGIN AGE ENCRYPTED FILE-----" ]
	[ "$(tail -n 1 msg.asc)" = "-----END AGE ENCRYPTED FILE-----" ]
	amana decrypt -i k1 msg.asc >msg.out
	cmp msg msg.out
}

@test "several recipients, given by -r and -R, each open the file" {
	age-keygen -o k3 2>/dev/null
	{ echo "# member states"; echo; age-keygen -y k2; age-keygen -y k3; } >states.txt
	amana encrypt -r "$R1" -R states.txt -o big.age big
	for k in k1 k2 k3; do
		amana decrypt -i "$k" big.age | cmp - big
	done
	[ "$(grep -c '^-> X25519 ' big.age)" -eq 3 ]
}

@test "identity files may hold comments, CR LF lines and several identities" {
	{ printf '# created: today\r\n\r\n'; grep AGE-SECRET k2; echo "# another"; grep AGE-SECRET k1; } >both
	chmod 600 both
	amana encrypt -r "$R1" -o msg.age msg
	amana decrypt -i both msg.age | cmp - msg
}

@test "-r NAME takes the recipient from the vault's directory" {
	amana -q recipient add "$R2" --name "المملكة المغربية"
	amana encrypt -r "المملكة المغربية" -o msg.age msg
	amana decrypt -i k2 msg.age | cmp - msg
	run -2 amana encrypt -r "Atlantis" -o x.age msg
	assert_stderr_has "Atlantis"
	assert_stderr_has "hint:"
	refute_exists x.age
}

@test "missing recipients or -p with -r are usage errors (exit 2)" {
	run -2 amana encrypt msg
	assert_stderr_has "amana: missing recipients"
	assert_stderr_has "usage: amana encrypt"
	run -2 amana encrypt -p -r "$R1" msg
	assert_stderr_has "-p cannot be combined with -r or -R"
	run -2 amana encrypt -r "$R1" --bogus msg
	run -2 amana decrypt -i k1 a b
	assert_stderr_has "unexpected argument 'b'"
}

@test "binary output to a terminal is refused unless -a (exit 2)" {
	command -v script >/dev/null
	run -2 script -qec "'$AMANA' encrypt -r $R1 msg" /dev/null
	assert_stderr_has "refusing to write binary age output to a terminal"
	assert_stderr_has "hint: use -a"
	run -0 script -qec "'$AMANA' encrypt -a -r $R1 msg" /dev/null
	assert_stderr_has "BEGIN AGE ENCRYPTED FILE"
}

@test "unsupported recipient types are refused clearly (exit 5)" {
	run -5 amana encrypt -r age1pq1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq -o x.age msg
	assert_stderr_has "unsupported recipient type"
	run -5 amana encrypt -r "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOtA+V4gYXA2H0R9rYmV9bWTpuX0y5gTZEGNTPkiKpoe" -o x.age msg
	assert_stderr_has "unsupported recipient type: SSH keys"
	run -3 amana encrypt -r age1qqqqqqqqqq -o x.age msg
	assert_stderr_has "not a valid age recipient"
	refute_exists x.age
	# A secret key given as a recipient is refused without being printed.
	run -5 amana encrypt -r "$(grep AGE-SECRET k1)" -o x.age msg
	refute_output_has "$(grep AGE-SECRET k1)"
}

@test "a file for someone else: no identity matches (exit 5)" {
	amana encrypt -r "$R1" -o msg.age msg
	run -5 amana decrypt -i k2 -o out msg.age
	assert_stderr_has "no identity matches"
	refute_exists out
	run -5 amana decrypt -o out msg.age
	assert_stderr_has "no identity to decrypt with"
	assert_stderr_has "hint: give an identity file"
}

@test "hybrid (post-quantum) files and identities are unsupported, cleanly (exit 5)" {
	sed '1,/^$/d' "$TOP/tests/vectors/age/hybrid" >hybrid.age
	run -5 amana decrypt -i k1 hybrid.age
	assert_stderr_has "unsupported recipient type"
	assert_stderr_has "'mlkem768x25519'"
	printf 'AGE-SECRET-KEY-PQ-1HZLGZUPT4ETPKDEV8HSGFDCYZ4E522W0A7PU2LHT8EH9W6YLNC3SW78XKG\n' >pq
	chmod 600 pq
	run -5 amana decrypt -i pq hybrid.age
	assert_stderr_has "unsupported identity type"
}

@test "identity files readable by others are refused (exit 5)" {
	amana encrypt -r "$R1" -o msg.age msg
	chmod 644 k1
	run -5 amana decrypt -i k1 msg.age
	assert_stderr_has "accessible by others"
	assert_stderr_has "hint: chmod 600"
	run -4 amana decrypt -i nonexistent msg.age
}

@test "a flipped payload byte fails naming the chunk (exit 1) and -o leaves nothing" {
	amana encrypt -r "$R1" -o big.age big
	size=$(stat -c %s big.age)
	# big is 200000 bytes: chunks of 65552 bytes; flip a byte in the third chunk
	flip_byte big.age $((size - 20000 - 2 * 16 - 100))
	run -1 amana decrypt -i k1 -o out big.age
	assert_stderr_has "chunk 3 failed authentication"
	assert_stderr_has "hint:"
	refute_exists out
	[ -z "$(ls -A | grep amana- || true)" ]
}

@test "a truncated file fails (exit 1) and -o leaves nothing" {
	amana encrypt -r "$R1" -o big.age big
	head -c $(($(stat -c %s big.age) - 1)) big.age >cut.age
	run -1 amana decrypt -i k1 -o out cut.age
	assert_stderr_has "chunk 4 failed authentication"
	refute_exists out
	head -c $(($(stat -c %s big.age) - 3 * 65552 - 16 + 65552 * 2)) big.age >cut2.age
	run -1 amana decrypt -i k1 -o out cut2.age
	refute_exists out
	# After a short last chunk a stray byte breaks that chunk; after a full one it is
	# reported as trailing data.
	printf 'x' >>big.age
	run -1 amana decrypt -i k1 -o out big.age
	assert_stderr_has "chunk 4 failed authentication"
	refute_exists out
	head -c 65536 big >full
	amana encrypt -r "$R1" -o full.age full
	printf 'x' >>full.age
	run -1 amana decrypt -i k1 -o out full.age
	assert_stderr_has "data follows the final chunk 1"
	refute_exists out
}

@test "a changed header MAC fails as such (exit 1)" {
	amana encrypt -r "$R1" -o msg.age msg
	off=$(grep -abo -- '--- ' msg.age | head -1 | cut -d: -f1)
	c=$(dd if=msg.age bs=1 skip=$((off + 4)) count=1 status=none)
	if [ "$c" = A ]; then r=B; else r=A; fi
	printf '%s' "$r" | dd of=msg.age bs=1 seek=$((off + 4)) conv=notrunc status=none
	run -1 amana decrypt -i k1 -o out msg.age
	assert_stderr_has "header MAC does not match"
	refute_exists out
}

@test "malformed input is exit 3" {
	: >empty
	run -3 amana decrypt -i k1 empty
	assert_stderr_has "invalid age header"
	assert_stderr_has "hint: this is not an age file"
	printf 'garbage\n-----BEGIN AGE ENCRYPTED FILE-----\n' >bad.asc
	run -3 amana decrypt -i k1 bad.asc
	assert_stderr_has "invalid ASCII armor"
}

@test "-p encrypts with a passphrase; decrypt asks for it without -i" {
	use_passphrase "correct horse battery staple"
	amana encrypt -p -o msg.age msg
	grep -q '^-> scrypt ' msg.age
	amana decrypt -o msg.out msg.age
	cmp msg msg.out
	run -5 amana decrypt -i k1 msg.age
	assert_stderr_has "encrypted with a passphrase, not to an identity"
	use_passphrase "wrong"
	run -5 amana decrypt -o out msg.age
	assert_stderr_has "incorrect passphrase"
	refute_exists out
}

@test "--passphrase-fd gives the passphrase; an empty one is refused for -p" {
	amana encrypt -p --passphrase-fd 3 -o msg.age msg 3< <(printf 'pw\n')
	amana decrypt --passphrase-fd 3 msg.age 3< <(printf 'pw\n') | cmp - msg
	run -5 amana encrypt -p --passphrase-fd 3 -o x.age msg 3< <(printf '\n')
	assert_stderr_has "empty"
	refute_exists x.age
}

@test "a passphrase-protected identity file (as age -p makes them) works with -i" {
	use_passphrase "id pass"
	amana encrypt -p -o k1.age k1
	chmod 600 k1.age
	amana encrypt -r "$R1" -o msg.age msg
	amana decrypt -i k1.age msg.age | cmp - msg
	amana encrypt -a -p -o k1.asc k1
	chmod 600 k1.asc
	amana decrypt -i k1.asc msg.age | cmp - msg
	use_passphrase "not it"
	run -5 amana decrypt -i k1.age msg.age
	assert_stderr_has "identity file 'k1.age'"
}

@test "encrypt -o leaves nothing when the input cannot be read" {
	run -4 amana encrypt -r "$R1" -o x.age does-not-exist
	refute_exists x.age
	[ -z "$(ls -A | grep amana- || true)" ]
}

@test "help lists encrypt and decrypt" {
	run -0 amana -h
	assert_stderr_has "encrypt"
	assert_stderr_has "decrypt"
	run -0 amana encrypt -h
	assert_stderr_has "usage: amana encrypt (-r RECIPIENT | -R FILE)..."
}

# Output goes to a temporary renamed into place: renamed over a pipe, a device, a link or a
# folder, it would put a regular file where something else was (as root, over /dev/null).
@test "-o onto a pipe, a symbolic link or a folder is exit 4 and leaves each as it was" {
	amana encrypt -r "$R1" -o msg.age msg
	mkfifo fifo
	ln -s msg.out link
	mkdir dir
	run -4 amana encrypt -r "$R1" -o fifo msg
	assert_stderr_has "a device, a pipe or a socket"
	assert_stderr_has "hint:"
	[ -p fifo ]
	run -4 amana decrypt -i k1 -o link msg.age
	assert_stderr_has "symbolic link"
	[ -L link ]
	refute_exists msg.out
	run -4 amana decrypt -i k1 -o dir msg.age
	assert_stderr_has "a folder"
	[ -d dir ]
	[ -z "$(ls -A dir)" ]
	minisign -G -W -p m.pub -s m.key >/dev/null
	run -4 amana sign -s m.key -m msg -x fifo
	[ -p fifo ]
	[ -z "$(ls -A . | grep '^\.' || true)" ]
}
