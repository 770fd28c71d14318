/*
 * extract.c - staging folders and their atomic rename. See extract.h.
 */
#include "vault/extract.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vault/io.h"
#include "vault/outcome.h"
#include "vault/text.h"

/* True when path is a folder with nothing in it. */
static bool dir_is_empty(const char *path)
{
	DIR *d = opendir(path);
	if (!d)
		return false;
	bool empty = true;
	struct dirent *de;
	while (empty && (de = readdir(d)) != NULL)
		empty = strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0;
	closedir(d);
	return empty;
}

int stage_open(struct stage *s, const char *final, struct err *e)
{
	memset(s, 0, sizeof *s);
	s->dirfd = -1;
	struct stat st;
	/* The rename at the end replaces an empty folder and nothing else; say so now rather
	 * than after all the work. */
	if (lstat(final, &st) == 0 && !(S_ISDIR(st.st_mode) && dir_is_empty(final))) {
		err_set(e, ERR_IO, "'%s' already exists", final);
		return err_hint(e, "choose another folder with -o, or remove it first");
	}
	if (!(s->final = strdup(final)))
		return err_set(e, ERR_IO, "out of memory");
	if (io_tmpdir_beside(final, &s->tmp, e) != 0) {
		free(s->final);
		s->final = NULL;
		return -1;
	}
	s->dirfd = open(s->tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (s->dirfd < 0) {
		err_errno(e, ERR_IO, "cannot open the staging folder '%s'", s->tmp);
		stage_abort(s);
		return -1;
	}
	return 0;
}

int stage_create(struct stage *s, const char *relpath, struct err *e)
{
	/* An attachment's path is checked as outcome.json's rules say, without the "files/" in
	 * front of it (its length limit is the attachment path's). */
	const char *why = outcome_path_problem(strncmp(relpath, "files/", 6) == 0 ? relpath + 6 : relpath);
	if (why) {
		char *shown = text_display(relpath, strlen(relpath));
		err_set(e, ERR_FORMAT, "refusing to write '%s': %s", shown ? shown : "?", why);
		free(shown);
		return -1;
	}
	char *path = strdup(relpath);
	if (!path)
		return err_set(e, ERR_IO, "out of memory");
	int dir = dup(s->dirfd), fd = -1;
	char *c = path;
	for (;;) {
		char *slash = strchr(c, '/');
		if (!slash)
			break;
		*slash = '\0';
		if (mkdirat(dir, c, 0700) != 0 && errno != EEXIST) {
			err_errno(e, ERR_IO, "cannot create folder '%s' in the output", c);
			goto done;
		}
		int next = openat(dir, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0) {
			err_errno(e, ERR_FORMAT, "cannot enter folder '%s' in the output", c);
			goto done;
		}
		close(dir);
		dir = next;
		c = slash + 1;
	}
	fd = openat(dir, c, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		char *shown = text_display(relpath, strlen(relpath));
		if (errno == EEXIST)
			err_set(e, ERR_FORMAT, "'%s' appears twice", shown ? shown : "?");
		else
			err_errno(e, ERR_IO, "cannot create '%s' in the output", shown ? shown : "?");
		free(shown);
	}
done:
	if (dir >= 0)
		close(dir);
	free(path);
	return fd;
}

/* fsyncs every file and folder below dirfd. */
static int sync_tree(int dirfd, int depth)
{
	if (depth > 64)
		return -1;
	int fd = dup(dirfd);
	if (fd < 0)
		return -1;
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -1;
	}
	int rc = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		int c = openat(dirfd, de->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (c < 0) {
			rc = -1;
			continue;
		}
		struct stat st;
		if (fstat(c, &st) == 0 && S_ISDIR(st.st_mode))
			rc |= sync_tree(c, depth + 1);
		else if (fsync(c) != 0)
			rc = -1;
		close(c);
	}
	closedir(d);
	if (fsync(dirfd) != 0 && errno != EINVAL)
		rc = -1;
	return rc;
}

int stage_sync(struct stage *s, struct err *e)
{
	if (sync_tree(s->dirfd, 0) != 0)
		return err_errno(e, ERR_IO, "cannot write the output to disk");
	if (fchmod(s->dirfd, 0700) != 0)
		return err_errno(e, ERR_IO, "cannot set the output folder's mode");
	return 0;
}

int stage_commit(struct stage *s, struct err *e)
{
	if (io_tmpdir_commit(s->tmp, s->final, e) != 0)
		return -1;
	close(s->dirfd);
	s->dirfd = -1;
	free(s->tmp);
	s->tmp = NULL;
	free(s->final);
	s->final = NULL;
	return 0;
}

void stage_abort(struct stage *s)
{
	if (s->dirfd >= 0)
		close(s->dirfd);
	s->dirfd = -1;
	if (s->tmp) {
		io_rmtree(s->tmp);
		io_tmp_unregister(s->tmp);
		free(s->tmp);
		s->tmp = NULL;
	}
	free(s->final);
	s->final = NULL;
}
