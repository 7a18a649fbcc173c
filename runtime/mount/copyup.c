/* tmpcopyup: what the image had under a directory is copied into the tmpfs
 * mounted over it, so /tmp or /run keep their skeleton. The tmpfs root keeps
 * the mode and owner its options gave it. Every name is
 * opened relative to its directory fd with O_NOFOLLOW: a symlink in the
 * image is copied as a symlink, never followed. */
#include "rootfs.h"
#include "../cleanup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_DEPTH 128

static int copy_dir(int from, int to, int depth);

static int copy_bytes(int in, int out)
{
	for (;;) {
		ssize_t n = sendfile(out, in, NULL, 1 << 20);
		if (n > 0)
			continue;
		if (n == 0)
			return 0;
		if (errno != EINVAL && errno != ENOSYS)
			return -errno;
		break; /* no sendfile between these two: plain copy */
	}
	char buf[16384];
	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));
		if (n == 0)
			return 0;
		if (n < 0)
			return -errno;
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(out, buf + off, (size_t)(n - off));
			if (w < 0)
				return -errno;
			off += w;
		}
	}
}

static int copy_file(int from, int to, const char *name, const struct stat *st)
{
	auto_fd in = openat(from, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (in < 0)
		return -errno;
	auto_fd out = openat(to, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, st->st_mode & 07777);
	if (out < 0)
		return -errno;
	return copy_bytes(in, out);
}

static int copy_link(int from, int to, const char *name)
{
	char target[PATH_MAX];
	ssize_t n = readlinkat(from, name, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	return symlinkat(target, to, name) < 0 ? -errno : 0;
}

static int copy_subdir(int from, int to, const char *name, int depth)
{
	if (depth >= MAX_DEPTH)
		return -ELOOP;
	if (mkdirat(to, name, 0700) < 0 && errno != EEXIST)
		return -errno;
	auto_fd f = openat(from, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (f < 0)
		return -errno;
	auto_fd t = openat(to, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (t < 0)
		return -errno;
	return copy_dir(f, t, depth + 1);
}

/* Owner, mode and times, after the content (a read-only mode would stop the
 * copy into it). An owner the user namespace cannot map is left as is. */
static int copy_meta(int to, const char *name, const struct stat *st)
{
	if (fchownat(to, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0 && errno != EINVAL)
		return -errno;
	if (!S_ISLNK(st->st_mode) && fchmodat(to, name, st->st_mode & 07777, 0) < 0)
		return -errno;
	struct timespec ts[2] = { st->st_atim, st->st_mtim };
	if (utimensat(to, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	return 0;
}

static int copy_one(int from, int to, const char *name, int depth)
{
	struct stat st;
	if (fstatat(from, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	int r;
	if (S_ISDIR(st.st_mode))
		r = copy_subdir(from, to, name, depth);
	else if (S_ISREG(st.st_mode))
		r = copy_file(from, to, name, &st);
	else if (S_ISLNK(st.st_mode))
		r = copy_link(from, to, name);
	else
		r = mknodat(to, name, st.st_mode, st.st_rdev) < 0 ? -errno : 0;
	return r < 0 ? r : copy_meta(to, name, &st);
}

static int copy_dir(int from, int to, int depth)
{
	int dfd = fcntl(from, F_DUPFD_CLOEXEC, 0);
	if (dfd < 0)
		return -errno;
	DIR *d = fdopendir(dfd);
	if (!d) {
		int e = -errno;
		close(dfd);
		return e;
	}
	int r = 0;
	struct dirent *de;
	while (r == 0 && (errno = 0, de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		r = copy_one(from, to, de->d_name, depth);
	}
	if (r == 0 && errno)
		r = -errno;
	closedir(d);
	return r;
}

int copyup_tree(int from_dirfd, int to_dirfd, const char *what, struct pith_error *err)
{
	int r = copy_dir(from_dirfd, to_dirfd, 0);
	if (r < 0)
		return pith_fail(err, -r, "copy the image's %s into the tmpfs", what);
	return 0;
}
