/*
 * passphrase.c - reading passphrases from a descriptor, a 0600 file or the terminal without
 * echo. See passphrase.h.
 */
#include "keys/passphrase.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "vault/io.h"

/* Reads one line (without its end) from fd into buf (PASSPHRASE_MAX + 1 bytes), byte by byte
 * so that nothing after the line is consumed. */
static int read_line(int fd, char *buf, size_t *len, const char *what, struct err *e)
{
	size_t n = 0;
	for (;;) {
		char c;
		ssize_t r = read(fd, &c, 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return err_errno(e, ERR_IO, "cannot read the passphrase from %s", what);
		}
		if (r == 0 || c == '\n')
			break;
		if (n >= PASSPHRASE_MAX) {
			err_set(e, ERR_KEY, "the passphrase from %s is longer than %d bytes", what,
				PASSPHRASE_MAX);
			return -1;
		}
		buf[n++] = c;
	}
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	*len = n;
	return 0;
}

/* Asks on the terminal with echo off; the terminal's settings are restored on every path. */
static int read_tty(const char *prompt, char *buf, size_t *len, struct err *e)
{
	int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		err_set(e, ERR_KEY, "a passphrase is needed and there is no terminal to ask it on");
		return err_hint(e, "give it with --passphrase-fd N or AMANA_PASSPHRASE_FILE=FILE");
	}
	struct termios old, quiet;
	bool restore = false;
	if (tcgetattr(fd, &old) == 0) {
		quiet = old;
		quiet.c_lflag &= (tcflag_t) ~(ECHO | ECHONL);
		quiet.c_lflag |= ICANON;
		restore = tcsetattr(fd, TCSAFLUSH, &quiet) == 0;
	}
	int rc = io_write_all(fd, prompt, strlen(prompt), e);
	if (rc == 0)
		rc = read_line(fd, buf, len, "the terminal", e);
	if (restore)
		tcsetattr(fd, TCSAFLUSH, &old);
	(void)!write(fd, "\n", 1);
	close(fd);
	return rc;
}

int passphrase_read(int fd, const char *prompt, bool confirm, char **out, size_t *len,
		    struct err *e)
{
	char *p = sodium_malloc(PASSPHRASE_MAX + 1);
	char *again = NULL;
	size_t n = 0, n2 = 0;
	*out = NULL;
	*len = 0;
	if (!p)
		return err_set(e, ERR_IO, "out of memory for the passphrase");
	const char *file = getenv("AMANA_PASSPHRASE_FILE");
	if (fd >= 0) {
		if (read_line(fd, p, &n, "--passphrase-fd", e) != 0)
			goto fail;
	} else if (file && *file) {
		int ffd = io_open_secret(file, e);
		if (ffd < 0) {
			err_prefix(e, "AMANA_PASSPHRASE_FILE");
			goto fail;
		}
		int rc = read_line(ffd, p, &n, "AMANA_PASSPHRASE_FILE", e);
		close(ffd);
		if (rc != 0)
			goto fail;
	} else {
		if (read_tty(prompt, p, &n, e) != 0)
			goto fail;
		if (confirm) {
			again = sodium_malloc(PASSPHRASE_MAX + 1);
			if (!again) {
				err_set(e, ERR_IO, "out of memory for the passphrase");
				goto fail;
			}
			if (read_tty("Repeat the passphrase: ", again, &n2, e) != 0)
				goto fail;
			if (n != n2 || sodium_memcmp(p, again, n) != 0) {
				err_set(e, ERR_KEY, "the two passphrases differ");
				err_hint(e, "run the command again and type the same passphrase twice");
				goto fail;
			}
		}
	}
	if (confirm && n == 0) {
		err_set(e, ERR_KEY, "the passphrase is empty");
		err_hint(e, "choose a passphrase, or use --no-passphrase for an unencrypted key");
		goto fail;
	}
	sodium_free(again);
	*out = p;
	*len = n;
	return 0;
fail:
	/* Wiped before the error travels on: sodium_free zeroes the whole allocation. */
	sodium_free(again);
	sodium_free(p);
	return -1;
}

void passphrase_free(char *p)
{
	if (p)
		sodium_free(p);
}
