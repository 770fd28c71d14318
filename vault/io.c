/*
 * io.c - files, atomic output, secret files and the temporary-file registry. See io.h.
 */
#include "vault/io.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* ---- reading ---------------------------------------------------------------------------- */

int io_read_full(int fd, void *buf, size_t len, size_t *got, struct err *e)
{
	size_t off = 0;
	while (off < len) {
		ssize_t n = read(fd, (unsigned char *)buf + off, len - off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			*got = off;
			return err_errno(e, ERR_IO, "read failed");
		}
		if (n == 0)
			break;
		off += (size_t)n;
	}
	*got = off;
	return 0;
}

/* Grows a buffer read from fd until EOF; alloc/free are malloc or sodium's. */
static int read_fd_into(int fd, const char *name, size_t max, bool secret, unsigned char **out,
			size_t *len, struct err *e)
{
	/* Room for max bytes, one more to notice a longer file, and the NUL. Secret buffers are
	 * allocated once: sodium_malloc has no realloc. */
	size_t cap = secret ? max + 2 : (max + 2 < 4096 ? max + 2 : 4096);
	unsigned char *buf = secret ? sodium_malloc(cap) : malloc(cap);
	size_t off = 0;
	if (!buf)
		return err_set(e, ERR_IO, "out of memory reading '%s'", name);
	for (;;) {
		if (off + 1 >= cap) {
			if (cap >= max + 2) {
				if (secret)
					sodium_free(buf);
				else
					free(buf);
				return err_set(e, ERR_FORMAT, "'%s' is larger than %zu bytes", name, max);
			}
			size_t ncap = cap * 2 > max + 2 ? max + 2 : cap * 2;
			unsigned char *nb = realloc(buf, ncap);
			if (!nb) {
				free(buf);
				return err_set(e, ERR_IO, "out of memory reading '%s'", name);
			}
			buf = nb;
			cap = ncap;
		}
		ssize_t n = read(fd, buf + off, cap - 1 - off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err_errno(e, ERR_IO, "cannot read '%s'", name);
			if (secret)
				sodium_free(buf);
			else
				free(buf);
			return -1;
		}
		if (n == 0)
			break;
		off += (size_t)n;
	}
	if (off > max) {
		if (secret)
			sodium_free(buf);
		else
			free(buf);
		return err_set(e, ERR_FORMAT, "'%s' is larger than %zu bytes", name, max);
	}
	buf[off] = '\0';
	*out = buf;
	*len = off;
	return 0;
}

int io_read_fd(int fd, const char *name, size_t max, unsigned char **out, size_t *len,
	       struct err *e)
{
	return read_fd_into(fd, name, max, false, out, len, e);
}

int io_read_file(const char *path, size_t max, unsigned char **out, size_t *len, struct err *e)
{
	if (strcmp(path, "-") == 0)
		return io_read_fd(STDIN_FILENO, "standard input", max, out, len, e);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_errno(e, ERR_IO, "cannot open '%s'", path);
	struct stat st;
	if (fstat(fd, &st) != 0) {
		close(fd);
		return err_errno(e, ERR_IO, "cannot stat '%s'", path);
	}
	if (S_ISDIR(st.st_mode)) {
		close(fd);
		return err_set(e, ERR_IO, "'%s' is a folder, not a file", path);
	}
	int rc = io_read_fd(fd, path, max, out, len, e);
	close(fd);
	return rc;
}

int io_write_all(int fd, const void *buf, size_t len, struct err *e)
{
	const unsigned char *p = buf;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return err_errno(e, ERR_IO, "write failed");
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int io_write_all_at(int fd, const void *buf, size_t len, uint64_t off, const char *what, struct err *e)
{
	const unsigned char *p = buf;
	while (len > 0) {
		ssize_t w = pwrite(fd, p, len, (off_t)off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return err_errno(e, ERR_IO, "cannot write %s", what);
		p += w;
		len -= (size_t)w;
		off += (uint64_t)w;
	}
	return 0;
}

/* ---- paths ------------------------------------------------------------------------------ */

const char *io_basename(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

char *io_dirname(const char *path)
{
	const char *s = strrchr(path, '/');
	if (!s)
		return strdup(".");
	if (s == path)
		return strdup("/");
	return strndup(path, (size_t)(s - path));
}

char *io_join(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *r = malloc(la + lb + 2);
	if (!r)
		return NULL;
	memcpy(r, a, la);
	size_t off = la;
	if (la > 0 && a[la - 1] != '/')
		r[off++] = '/';
	memcpy(r + off, b, lb + 1);
	return r;
}

bool io_exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

int io_fsync_dir(const char *dir, struct err *e)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return err_errno(e, ERR_IO, "cannot open folder '%s'", dir);
	int rc = fsync(fd);
	close(fd);
	if (rc != 0 && errno != EINVAL)
		return err_errno(e, ERR_IO, "cannot sync folder '%s'", dir);
	return 0;
}

int io_mkdir_private(const char *path, struct err *e)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);
	if (n == 0 || n >= sizeof buf)
		return err_set(e, ERR_IO, "folder name '%s' is empty or too long", path);
	memcpy(buf, path, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		char c = buf[i];
		buf[i] = '\0';
		if (mkdir(buf, 0700) != 0 && errno != EEXIST)
			return err_errno(e, ERR_IO, "cannot create folder '%s'", buf);
		buf[i] = c;
	}
	struct stat st;
	if (stat(path, &st) != 0)
		return err_errno(e, ERR_IO, "cannot create folder '%s'", path);
	if (!S_ISDIR(st.st_mode))
		return err_set(e, ERR_IO, "'%s' exists and is not a folder", path);
	return 0;
}

/* ---- temporary registry and signals ---------------------------------------------------- */

#define TMP_SLOTS 16
static struct {
	volatile sig_atomic_t used;
	bool dir;
	char path[PATH_MAX];
} tmp_slots[TMP_SLOTS];

/* Between creating a temporary and registering it, the handler would not know its name: the
 * signals it handles wait over those few instructions. */
static void signals_block(sigset_t *old)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, old);
}

static void signals_restore(const sigset_t *old)
{
	pthread_sigmask(SIG_SETMASK, old, NULL);
}

static int threads_wanted; /* 0: as many as help, 1: one */

void io_set_threads(int n)
{
	threads_wanted = n;
}

bool io_parallel(void)
{
	return threads_wanted != 1 && sysconf(_SC_NPROCESSORS_ONLN) > 1;
}

int io_thread_create(pthread_t *t, void *(*fn)(void *), void *arg)
{
	sigset_t old;
	signals_block(&old);
	int rc = pthread_create(t, NULL, fn, arg);
	signals_restore(&old);
	return rc;
}

void io_tmp_register(const char *path, bool dir)
{
	for (int i = 0; i < TMP_SLOTS; i++) {
		if (tmp_slots[i].used)
			continue;
		size_t n = strlen(path);
		if (n >= sizeof tmp_slots[i].path)
			return;
		memcpy(tmp_slots[i].path, path, n + 1);
		tmp_slots[i].dir = dir;
		tmp_slots[i].used = 1;
		return;
	}
}

void io_tmp_unregister(const char *path)
{
	for (int i = 0; i < TMP_SLOTS; i++)
		if (tmp_slots[i].used && strcmp(tmp_slots[i].path, path) == 0)
			tmp_slots[i].used = 0;
}

/* Async-signal-safe removal of a tree: openat/getdents64/unlinkat only, no malloc. */
static void rmtree_at(int parent, const char *name, int depth)
{
	if (depth > 64)
		return;
	if (unlinkat(parent, name, 0) == 0 || errno != EISDIR)
		return;
	int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	char buf[2048];
	for (;;) {
		long n = syscall(SYS_getdents64, fd, buf, sizeof buf);
		if (n <= 0)
			break;
		for (long off = 0; off < n;) {
			struct {
				uint64_t ino;
				int64_t off;
				unsigned short reclen;
				unsigned char type;
				char name[];
			} *d = (void *)(buf + off);
			off += d->reclen;
			if (strcmp(d->name, ".") == 0 || strcmp(d->name, "..") == 0)
				continue;
			rmtree_at(fd, d->name, depth + 1);
		}
	}
	close(fd);
	unlinkat(parent, name, AT_REMOVEDIR);
}

void io_rmtree(const char *path)
{
	rmtree_at(AT_FDCWD, path, 0);
}

static void on_signal(int sig)
{
	for (int i = 0; i < TMP_SLOTS; i++)
		if (tmp_slots[i].used)
			rmtree_at(AT_FDCWD, tmp_slots[i].path, 0);
	signal(sig, SIG_DFL);
	raise(sig);
}

void io_cleanup_on_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);
}

/* ---- atomic output ---------------------------------------------------------------------- */

/* Builds "<dir>/.<base>.amana-<tag>" for a temporary beside path ("XXXXXX" for mkstemp). */
static char *tmp_name(const char *path, const char *tag)
{
	char *dir = io_dirname(path);
	if (!dir)
		return NULL;
	const char *base = io_basename(path);
	size_t n = strlen(dir) + strlen(base) + strlen(tag) + 16;
	char *t = malloc(n);
	if (t)
		snprintf(t, n, "%s/.%s.amana-%s", dir, base, tag);
	free(dir);
	return t;
}

/* An output may replace a regular file (or nothing): renaming over a device, a pipe, a link
 * or a folder would put a file where something else was, so that is refused before any work. */
static int check_replaceable(const char *path, struct err *e)
{
	struct stat st;
	if (lstat(path, &st) != 0 || S_ISREG(st.st_mode))
		return 0;
	err_set(e, ERR_IO, "'%s' is %s: amana writes its output only as a new or a regular file", path,
		S_ISLNK(st.st_mode) ? "a symbolic link" : S_ISDIR(st.st_mode) ? "a folder" : "a device, a pipe or a socket");
	return err_hint(e, S_ISLNK(st.st_mode) ? "give the path the link points to, or another name"
			: S_ISDIR(st.st_mode) ? "give the name of a file, inside that folder if you like"
			: "give the name of a regular file; where the command can write to standard output, redirect that instead");
}

/* What both io_atomic_open forms start with: o emptied, path checked and kept in o, and the
 * temporary's name (malloc'd) returned; NULL on failure. */
static char *atomic_begin(struct io_atomic *o, const char *path, const char *tag, struct err *e)
{
	o->fd = -1;
	o->tmp = NULL;
	o->path = NULL;
	if (check_replaceable(path, e) != 0)
		return NULL;
	char *t = tmp_name(path, tag);
	if (!t || !(o->path = strdup(path))) {
		free(t);
		err_set(e, ERR_IO, "out of memory");
		return NULL;
	}
	return t;
}

int io_atomic_open_tagged(struct io_atomic *o, const char *path, mode_t mode, const char *tag,
			  struct err *e)
{
	char *t = atomic_begin(o, path, tag, e);
	if (!t)
		return -1;
	sigset_t old;
	signals_block(&old);
	int fd = open(t, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || fchmod(fd, mode) != 0) {
		err_errno(e, ERR_IO, "cannot create a file beside '%s'", path);
		if (fd >= 0) {
			close(fd);
			unlink(t);
		}
		signals_restore(&old);
		free(t);
		free(o->path);
		o->path = NULL;
		return -1;
	}
	io_tmp_register(t, false);
	signals_restore(&old);
	o->fd = fd;
	o->tmp = t;
	return 0;
}

int io_atomic_link(struct io_atomic *o, struct err *e)
{
	if (!o->tmp || o->fd < 0)
		return err_set(e, ERR_INTERNAL, "link of an output that is not open");
	if (fsync(o->fd) != 0 || close(o->fd) != 0) {
		o->fd = -1;
		return err_errno(e, ERR_IO, "cannot write '%s'", o->path);
	}
	o->fd = -1;
	if (link(o->tmp, o->path) != 0) {
		if (errno == EEXIST) {
			err_set(e, ERR_IO, "'%s' already exists", o->path);
			return err_hint(e, "choose another name, or move the existing file away first");
		}
		return err_errno(e, ERR_IO, "cannot create '%s'", o->path);
	}
	return 0;
}

int io_atomic_sync(struct io_atomic *o, struct err *e)
{
	if (o->fd < 0)
		return err_set(e, ERR_INTERNAL, "sync of an output that is not open");
	if (fsync(o->fd) != 0)
		return err_errno(e, ERR_IO, "cannot write '%s'", o->path);
	return 0;
}

int io_atomic_commit_or_keep(struct io_atomic *o, struct err *e)
{
	if (io_atomic_link(o, e) != 0) {
		if (o->tmp)
			io_tmp_unregister(o->tmp);
		free(o->tmp);
		o->tmp = NULL;
		free(o->path);
		o->path = NULL;
		return -1;
	}
	unlink(o->tmp);
	io_tmp_unregister(o->tmp);
	free(o->tmp);
	o->tmp = NULL;
	char *dir = io_dirname(o->path);
	int rc = dir ? io_fsync_dir(dir, e) : 0;
	free(dir);
	free(o->path);
	o->path = NULL;
	return rc;
}

char *io_absolute(const char *path)
{
	char *dir = io_dirname(path);
	char *real = dir ? realpath(dir, NULL) : NULL;
	char *r = real ? io_join(real, io_basename(path)) : NULL;
	free(dir);
	free(real);
	return r;
}

static sigset_t held_old;

void io_signals_hold(void)
{
	signals_block(&held_old);
}

void io_signals_release(void)
{
	pthread_sigmask(SIG_SETMASK, &held_old, NULL);
}

int io_atomic_open(struct io_atomic *o, const char *path, mode_t mode, struct err *e)
{
	char *t = atomic_begin(o, path, "XXXXXX", e);
	if (!t)
		return -1;
	sigset_t old;
	signals_block(&old);
	int fd = mkostemp(t, O_CLOEXEC);
	if (fd < 0) {
		signals_restore(&old);
		err_errno(e, ERR_IO, "cannot create a file beside '%s'", path);
		free(t);
		free(o->path);
		o->path = NULL;
		return -1;
	}
	io_tmp_register(t, false);
	signals_restore(&old);
	if (fchmod(fd, mode) != 0) {
		err_errno(e, ERR_IO, "cannot set the mode of '%s'", t);
		close(fd);
		unlink(t);
		io_tmp_unregister(t);
		free(t);
		free(o->path);
		o->path = NULL;
		return -1;
	}
	o->fd = fd;
	o->tmp = t;
	return 0;
}

int io_atomic_commit(struct io_atomic *o, bool noclobber, struct err *e)
{
	int rc = -1;
	if (!o->tmp)
		return err_set(e, ERR_INTERNAL, "commit of an output that is not open");
	if (fsync(o->fd) != 0) {
		err_errno(e, ERR_IO, "cannot write '%s'", o->path);
		goto abort;
	}
	if (close(o->fd) != 0) {
		o->fd = -1;
		err_errno(e, ERR_IO, "cannot write '%s'", o->path);
		goto abort;
	}
	o->fd = -1;
	if (noclobber) {
		if (link(o->tmp, o->path) != 0) {
			if (errno == EEXIST) {
				err_set(e, ERR_IO, "'%s' already exists", o->path);
				err_hint(e, "choose another name, or move the existing file away first");
			} else {
				err_errno(e, ERR_IO, "cannot create '%s'", o->path);
			}
			goto abort;
		}
		unlink(o->tmp);
	} else if (check_replaceable(o->path, e) != 0) {
		goto abort;
	} else if (rename(o->tmp, o->path) != 0) {
		err_errno(e, ERR_IO, "cannot create '%s'", o->path);
		goto abort;
	}
	io_tmp_unregister(o->tmp);
	free(o->tmp);
	o->tmp = NULL;
	char *dir = io_dirname(o->path);
	rc = dir ? io_fsync_dir(dir, e) : 0;
	free(dir);
	free(o->path);
	o->path = NULL;
	return rc;
abort:
	io_atomic_abort(o);
	return -1;
}

void io_atomic_abort(struct io_atomic *o)
{
	if (o->fd >= 0)
		close(o->fd);
	o->fd = -1;
	if (o->tmp) {
		unlink(o->tmp);
		io_tmp_unregister(o->tmp);
		free(o->tmp);
		o->tmp = NULL;
	}
	free(o->path);
	o->path = NULL;
}

int io_tmpdir_beside(const char *path, char **tmp, struct err *e)
{
	char *t = tmp_name(path, "XXXXXX");
	if (!t)
		return err_set(e, ERR_IO, "out of memory");
	if (io_mkdtemp(t) != 0) {
		err_errno(e, ERR_IO, "cannot create a folder beside '%s'", path);
		free(t);
		return -1;
	}
	*tmp = t;
	return 0;
}

int io_mkdtemp(char *tmpl)
{
	sigset_t old;
	signals_block(&old);
	int rc = mkdtemp(tmpl) ? 0 : -1;
	int saved = errno;
	if (rc == 0)
		io_tmp_register(tmpl, true);
	signals_restore(&old);
	errno = saved;
	return rc;
}

int io_tmpdir_commit(const char *tmp, const char *path, struct err *e)
{
	/* rename() replaces an empty folder and refuses a non-empty one (ENOTEMPTY/EEXIST). */
	if (rename(tmp, path) != 0) {
		if (errno == ENOTEMPTY || errno == EEXIST) {
			err_set(e, ERR_IO, "'%s' already exists and is not empty", path);
			return err_hint(e, "choose another folder with -o, or remove it first");
		}
		return err_errno(e, ERR_IO, "cannot create '%s'", path);
	}
	io_tmp_unregister(tmp);
	char *dir = io_dirname(path);
	int rc = dir ? io_fsync_dir(dir, e) : 0;
	free(dir);
	return rc;
}

/* ---- secrets ---------------------------------------------------------------------------- */

int io_open_secret(const char *path, struct err *e)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ELOOP) {
			err_set(e, ERR_KEY, "key file '%s' is a symbolic link", path);
			return err_hint(e, "give the key file itself: a link could be pointed at another key without the file changing");
		}
		int code = errno == EACCES ? ERR_KEY : ERR_IO;
		return err_errno(e, code, "cannot open key file '%s'", path);
	}
	struct stat st;
	if (fstat(fd, &st) != 0) {
		close(fd);
		return err_errno(e, ERR_IO, "cannot stat key file '%s'", path);
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		err_set(e, ERR_KEY, "key file '%s' is not a regular file", path);
		return err_hint(e, "give the path of the key file itself (PREFIX.key, as 'amana key new' wrote it)");
	}
	if (st.st_mode & 077) {
		close(fd);
		err_set(e, ERR_KEY, "key file '%s' is accessible by others (mode %04o)", path,
			(unsigned)(st.st_mode & 07777));
		return err_hint(e, "chmod 600 '%s' if it is yours and nobody else could have read it",
				path);
	}
	return fd;
}

int io_read_secret(const char *path, size_t max, unsigned char **out, size_t *len, struct err *e)
{
	int fd = io_open_secret(path, e);
	if (fd < 0)
		return -1;
	int rc = read_fd_into(fd, path, max, true, out, len, e);
	close(fd);
	if (rc != 0 && e->code == ERR_FORMAT)
		e->code = ERR_KEY;
	return rc;
}

int io_read_maybe_secret(const char *path, size_t max, unsigned char **out, size_t *len,
			 bool *loose, struct err *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_errno(e, ERR_IO, "cannot open '%s'", path);
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return err_set(e, ERR_IO, "'%s' is not a regular file", path);
	}
	*loose = (st.st_mode & 077) != 0;
	int rc = read_fd_into(fd, path, max, true, out, len, e);
	close(fd);
	return rc;
}

void io_no_core_dumps(void)
{
	struct rlimit rl = {0, 0};
	setrlimit(RLIMIT_CORE, &rl);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}
