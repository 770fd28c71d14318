/*
 * test_keyfile.c - key files on disk: modes, no overwriting, passphrases through a
 * descriptor, loose permissions and symlinks refused, and telling files apart.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/unit/unit.h"
#include "keys/keyfile.h"
#include "vault/bech32.h"
#include "vault/io.h"

static char dir[256];

static int setup_dir(void **state)
{
	if (unit_setup(state) != 0)
		return -1;
	snprintf(dir, sizeof dir, "/tmp/amana-unit-keyfile.%d", (int)getpid());
	io_rmtree(dir);
	mkdir(dir, 0700);
	return 0;
}

static int teardown_dir(void **state)
{
	(void)state;
	io_rmtree(dir);
	return 0;
}

static char *path(const char *name)
{
	static char buf[4][512];
	static int slot;
	slot = (slot + 1) & 3;
	snprintf(buf[slot], sizeof buf[slot], "%s/%s", dir, name);
	return buf[slot];
}

/* A descriptor from which passphrase_read will read text. */
static int pass_pipe(const char *text)
{
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], text, strlen(text)), (ssize_t)strlen(text));
	close(fds[1]);
	return fds[0];
}

static mode_t mode_of(const char *p)
{
	struct stat st;
	assert_int_equal(stat(p, &st), 0);
	return st.st_mode & 0777;
}

static void test_sign_unencrypted(void **state)
{
	(void)state;
	struct err e;
	struct minisign_pub pub, back;
	struct minisign_sec *sk;
	assert_int_equal(keyfile_new_sign("الأمانة العامة", path("s"), true, -1, &pub, NULL, &e), 0);
	assert_int_equal(mode_of(path("s.key")), 0600);
	assert_int_equal(mode_of(path("s.pub")), 0644);
	char *name;
	assert_int_equal(keyfile_load_sign_public(path("s.pub"), &back, &name, &e), 0);
	assert_memory_equal(&pub, &back, sizeof pub);
	assert_string_equal(name, "الأمانة العامة");
	free(name);
	assert_int_equal(keyfile_load_sign_secret(path("s.key"), -1, &sk, &e), 0);
	assert_memory_equal(sk->key_id, pub.key_id, 8);
	minisign_sec_free(sk);
	/* Never overwritten: either file existing stops the creation of both. */
	assert_int_equal(keyfile_new_sign("x", path("s"), true, -1, &pub, NULL, &e), -1);
	assert_int_equal(e.code, ERR_IO);
	assert_non_null(strstr(e.msg, "already exists"));
	unlink(path("s.key"));
	assert_int_equal(keyfile_new_sign("x", path("s"), true, -1, &pub, NULL, &e), -1);
	assert_false(io_exists(path("s.key")));
	/* No temporary is left behind beside them. */
	char cmd[600];
	snprintf(cmd, sizeof cmd, "test -z \"$(ls -A '%s' | grep '^\\.')\"", dir);
	assert_int_equal(system(cmd), 0);
}

static void test_sign_encrypted(void **state)
{
	(void)state;
	struct err e;
	struct minisign_pub pub;
	struct minisign_sec *sk;
	int fd = pass_pipe("كلمة سر طويلة\n");
	assert_int_equal(keyfile_new_sign("s2", path("e"), false, fd, &pub, NULL, &e), 0);
	close(fd);
	struct keyfile_info info;
	assert_int_equal(keyfile_describe(path("e.key"), &info, &e), 0);
	assert_int_equal(info.type, KEYFILE_SIGN_SECRET);
	assert_true(info.encrypted);
	assert_string_equal(info.key_id, ""); /* sealed inside */
	assert_string_equal(info.name, "s2");
	free(info.name);

	fd = pass_pipe("wrong\n");
	assert_int_equal(keyfile_load_sign_secret(path("e.key"), fd, &sk, &e), -1);
	close(fd);
	assert_int_equal(e.code, ERR_KEY);
	assert_non_null(strstr(e.msg, "wrong passphrase"));
	assert_null(strstr(e.msg, "wrong\n"));

	fd = pass_pipe("كلمة سر طويلة\r\n"); /* CRLF from a Windows editor works too */
	assert_int_equal(keyfile_load_sign_secret(path("e.key"), fd, &sk, &e), 0);
	close(fd);
	assert_memory_equal(sk->key_id, pub.key_id, 8);
	minisign_sec_free(sk);

	/* An empty passphrase is refused at creation. */
	fd = pass_pipe("\n");
	assert_int_equal(keyfile_new_sign("s3", path("empty"), false, fd, &pub, NULL, &e), -1);
	close(fd);
	assert_int_equal(e.code, ERR_KEY);
	assert_false(io_exists(path("empty.key")));
}

static void test_loose_and_links(void **state)
{
	(void)state;
	struct err e;
	struct minisign_pub pub;
	struct minisign_sec *sk;
	assert_int_equal(keyfile_new_sign("l", path("l"), true, -1, &pub, NULL, &e), 0);
	chmod(path("l.key"), 0640);
	assert_int_equal(keyfile_load_sign_secret(path("l.key"), -1, &sk, &e), -1);
	assert_int_equal(e.code, ERR_KEY);
	assert_non_null(strstr(e.hint, "chmod 600"));
	struct keyfile_info info;
	assert_int_equal(keyfile_describe(path("l.key"), &info, &e), -1);
	assert_int_equal(e.code, ERR_KEY);
	chmod(path("l.key"), 0600);
	assert_int_equal(symlink(path("l.key"), path("link.key")), 0);
	assert_int_equal(keyfile_load_sign_secret(path("link.key"), -1, &sk, &e), -1);
	assert_int_equal(e.code, ERR_KEY);
	assert_non_null(strstr(e.msg, "symbolic link"));
}

static void test_age_key(void **state)
{
	(void)state;
	struct err e;
	char recipient[KEYFILE_AGE_RECIPIENT_MAX];
	assert_int_equal(keyfile_new_encrypt("وزارة الداخلية", path("a"), false, -1, recipient, NULL, &e), 0);
	assert_int_equal(mode_of(path("a.key")), 0600);
	size_t n;
	char *pubtext = (char *)unit_slurp(path("a.pub"), &n);
	assert_int_equal(strncmp(pubtext, recipient, strlen(recipient)), 0);
	assert_string_equal(pubtext + strlen(recipient), "\n");
	free(pubtext);
	/* The identity line decodes to the secret whose public key is the recipient. */
	char *id = (char *)unit_slurp(path("a.key"), &n);
	char *line = strstr(id, "AGE-SECRET-KEY-1");
	assert_non_null(line);
	char hrp[32];
	uint8_t sk[32], pk[32], pk2[32];
	size_t got;
	assert_int_equal(bech32_decode(hrp, sizeof hrp, sk, sizeof sk, &got, line, strcspn(line, "\n")), 0);
	assert_string_equal(hrp, "age-secret-key-");
	assert_int_equal(crypto_scalarmult_base(pk, sk), 0);
	assert_int_equal(bech32_decode(hrp, sizeof hrp, pk2, sizeof pk2, &got, recipient, strlen(recipient)), 0);
	assert_memory_equal(pk, pk2, 32);
	free(id);
	struct keyfile_info info;
	assert_int_equal(keyfile_describe(path("a.key"), &info, &e), 0);
	assert_int_equal(info.type, KEYFILE_AGE_IDENTITY);
	assert_string_equal(info.key_id, recipient);
	assert_string_equal(info.name, "وزارة الداخلية");
	free(info.name);
	assert_int_equal(keyfile_describe(path("a.pub"), &info, &e), 0);
	assert_int_equal(info.type, KEYFILE_AGE_RECIPIENT);
	free(info.name);
}

static void test_bad_names(void **state)
{
	(void)state;
	struct err e;
	struct minisign_pub pub;
	assert_int_equal(keyfile_new_sign("a\nb", path("n"), true, -1, &pub, NULL, &e), -1);
	assert_int_equal(e.code, ERR_USAGE);
	assert_int_equal(keyfile_new_sign("", path("n"), true, -1, &pub, NULL, &e), -1);
	assert_false(io_exists(path("n.key")));
	struct keyfile_info info;
	FILE *f = fopen(path("junk"), "w");
	fputs("hello\n", f);
	fclose(f);
	assert_int_equal(keyfile_describe(path("junk"), &info, &e), -1);
	assert_int_equal(e.code, ERR_FORMAT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sign_unencrypted),
		cmocka_unit_test(test_sign_encrypted),
		cmocka_unit_test(test_loose_and_links),
		cmocka_unit_test(test_age_key),
		cmocka_unit_test(test_bad_names),
	};
	return cmocka_run_group_tests_name("keyfile", tests, setup_dir, teardown_dir);
}
