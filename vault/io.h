/*
 * io.h - files as amana needs them: whole small files with a size limit, exact reads and
 * writes, output that appears only by atomic rename, secret files that refuse loose modes,
 * and private directories.
 *
 * Nothing here prints. Temporary files are registered so that a SIGINT or SIGTERM removes
 * them (io_cleanup_on_signals); a SIGKILL leaves at most a hidden ".NAME.amana-XXXXXX" file
 * beside the destination, never a partial file under the name the user asked for.
 */
#ifndef AMANA_IO_H
#define AMANA_IO_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "vault/err.h"

/* Reads all of path (a regular file, or "-" for stdin) into a new NUL-terminated malloc'd
 * buffer; more than max bytes is an ERR_FORMAT error naming what. The caller frees *out. */
int io_read_file(const char *path, size_t max, unsigned char **out, size_t *len,
		 struct err *e);

/* As io_read_file, from an open descriptor; name is used in messages. */
int io_read_fd(int fd, const char *name, size_t max, unsigned char **out, size_t *len,
	       struct err *e);

/* Reads until len bytes or end of file; *got says how many arrived. */
int io_read_full(int fd, void *buf, size_t len, size_t *got, struct err *e);

/* Writes all len bytes, retrying short writes and EINTR. */
int io_write_all(int fd, const void *buf, size_t len, struct err *e);

/* As io_write_all, at offset off (pwrite), leaving the file offset alone; a failure is
 * "cannot write WHAT". */
int io_write_all_at(int fd, const void *buf, size_t len, uint64_t off, const char *what, struct err *e);

/* Output that appears under its final name only when complete. */
struct io_atomic {
	char *path; /* the destination */
	char *tmp;  /* the hidden temporary beside it; NULL once committed or aborted */
	int fd;
};

/* Creates a temporary file beside path with the given mode, O_EXCL, registered for cleanup. */
int io_atomic_open(struct io_atomic *o, const char *path, mode_t mode, struct err *e);

/* fsyncs and renames the temporary onto path (and fsyncs the folder). With noclobber, an
 * existing path is an error and is left untouched (link + unlink instead of rename). The
 * descriptor is closed in every case. */
int io_atomic_commit(struct io_atomic *o, bool noclobber, struct err *e);

/* Removes the temporary, if any; safe to call twice and after commit. */
void io_atomic_abort(struct io_atomic *o);

/* As io_atomic_open, but the temporary is named ".BASE.amana-TAG" with the caller's TAG, so
 * that files written together can be paired again after a crash (see keys/keyfile.c). */
int io_atomic_open_tagged(struct io_atomic *o, const char *path, mode_t mode, const char *tag,
			  struct err *e);

/* fsyncs and closes the temporary and links it under path, which must not exist; the
 * temporary stays (io_atomic_abort removes it) until the caller is done. */
int io_atomic_link(struct io_atomic *o, struct err *e);

/* fsyncs the temporary (without closing it), so that what is written is on disk before the
 * caller records elsewhere that it exists. */
int io_atomic_sync(struct io_atomic *o, struct err *e);

/* As io_atomic_commit with noclobber, except on failure: the temporary is then kept, closed
 * and forgotten by the signal cleanup, for a caller that has already recorded it elsewhere
 * and will say where it is (o is emptied either way, so take the name from o->tmp before). */
int io_atomic_commit_or_keep(struct io_atomic *o, struct err *e);

/* Returns a malloc'd absolute form of path, whose folder must exist (the file need not):
 * the folder resolved by realpath, then the last component as given. NULL on failure. */
char *io_absolute(const char *path);

/* Holds SIGINT, SIGTERM and SIGHUP off, for a step that must not be cut in the middle by them
 * (their handler removes temporaries): a commit and the rename that follows it. Release
 * delivers what arrived meanwhile. */
void io_signals_hold(void);
void io_signals_release(void);

/* Creates a private temporary directory beside path (".NAME.amana-XXXXXX", mode 0700),
 * registered for cleanup; *tmp is malloc'd. */
int io_tmpdir_beside(const char *path, char **tmp, struct err *e);

/* mkdtemp(tmpl), registering the folder for cleanup before a signal can see it unregistered;
 * 0, or -1 with errno. */
int io_mkdtemp(char *tmpl);

/* Renames the staged directory tmp onto path, which must not exist (or be an empty dir). */
int io_tmpdir_commit(const char *tmp, const char *path, struct err *e);

/* Removes a directory tree (for staging folders); errors are ignored. */
void io_rmtree(const char *path);

/* Registry of temporaries removed by io_cleanup_on_signals' handler. */
void io_tmp_register(const char *path, bool dir);
void io_tmp_unregister(const char *path);

/* Whether the streaming work (seal, open, verify, encrypt, decrypt) may use a second thread:
 * when there is more than one core, unless io_set_threads(1) said not to. */
void io_set_threads(int n);
bool io_parallel(void);

/* pthread_create for a worker that never takes SIGINT, SIGTERM or SIGHUP: they go to the main
 * thread, whose masks (io_signals_hold, temporaries being registered) then hold them off. */
int io_thread_create(pthread_t *t, void *(*fn)(void *), void *arg);

/* Installs SIGINT/SIGTERM/SIGHUP handlers that remove registered temporaries, then die by
 * the same signal. */
void io_cleanup_on_signals(void);

/* Opens a file that holds a secret: no symlinks, a regular file, and no permission bits for
 * group or others (ERR_KEY with a chmod hint otherwise). Returns the descriptor or -1. */
int io_open_secret(const char *path, struct err *e);

/* Reads a secret file opened with io_open_secret's rules into sodium_malloc'd memory (NUL
 * terminated); the caller releases it with sodium_free. */
int io_read_secret(const char *path, size_t max, unsigned char **out, size_t *len,
		   struct err *e);

/* Reads a file that may hold a secret into sodium_malloc'd memory without the mode check (for
 * telling what a file is before deciding); *loose says whether group or others have any
 * permission on it. */
int io_read_maybe_secret(const char *path, size_t max, unsigned char **out, size_t *len,
			 bool *loose, struct err *e);

/* Creates path and any missing parents with mode 0700 (an existing folder is fine). */
int io_mkdir_private(const char *path, struct err *e);

/* Fsyncs a folder so that a rename in it is durable. */
int io_fsync_dir(const char *dir, struct err *e);

/* True when path exists (any type, without following a final symlink). */
bool io_exists(const char *path);

/* Returns a malloc'd copy of the folder part of path ("." when there is none). */
char *io_dirname(const char *path);

/* Returns a pointer to the last component of path (inside path). */
const char *io_basename(const char *path);

/* Returns malloc'd "a/b". */
char *io_join(const char *a, const char *b);

/* Turns off core dumps and ptrace-style dumping for a process that will hold secrets. */
void io_no_core_dumps(void);

#endif
