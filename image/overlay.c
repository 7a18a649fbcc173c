/* Overlay semantics at unpack time: whiteout names, lookups through lower layers (whiteouts
 * and opaque directories hide what is below them), and copy-up of a lower file. Every path
 * is resolved one component at a time beneath a layer directory, never through a symlink. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "overlay.h"

bool path_climbs(const char *path)
{
	for (const char *p = path; *p;) {
		size_t len = strcspn(p, "/");
		if (len == 2 && p[0] == '.' && p[1] == '.')
			return true;
		p += len;
		p += strspn(p, "/");
	}
	return false;
}

int whiteout_parse(const char *entry, enum whiteout_kind *kind, char *dir, size_t dirlen, char *name,
		   size_t namelen, struct pith_error *err)
{
	*kind = WHITEOUT_NONE;
	*name = 0;
	while (entry[0] == '.' && entry[1] == '/')
		entry += 2;
	const char *slash = strrchr(entry, '/');
	const char *base = slash ? slash + 1 : entry;
	bool opaque = strcmp(base, OPAQUE) == 0;
	/* aufs's own files (.wh..wh.plnk/, .wh..wh.aufs) in old Docker layers: skipped, as Docker does */
	if (!opaque && (strncmp(entry, AUFS_META, strlen(AUFS_META)) == 0 || strncmp(base, AUFS_META, strlen(AUFS_META)) == 0)) {
		*kind = WHITEOUT_META;
		return 0;
	}
	if (strncmp(base, WHITEOUT, strlen(WHITEOUT)) != 0)
		return 0;
	if (slash && (size_t)(slash - entry) >= dirlen)
		return pith_fail(err, ENAMETOOLONG, "%s", entry);
	snprintf(dir, dirlen, "%.*s", slash ? (int)(slash - entry) : 1, slash && slash > entry ? entry : ".");
	const char *deleted = base + strlen(WHITEOUT);
	if (!opaque && (!*deleted || strcmp(deleted, ".") == 0 || strcmp(deleted, "..") == 0))
		return pith_fail(err, 0, "%s: not a valid whiteout", entry);
	if (strlen(deleted) >= namelen)
		return pith_fail(err, ENAMETOOLONG, "%s", entry);
	if (path_climbs(dir))
		return pith_fail(err, 0, "%s: path contains '..'", entry);
	if (!opaque)
		snprintf(name, namelen, "%s", deleted);
	*kind = opaque ? WHITEOUT_OPAQUE : WHITEOUT_FILE;
	return 0;
}

/* One component at a time with O_NOFOLLOW: what openat2's RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS
 * does, also where there is no openat2 (before Linux 5.6, under qemu-user). */
int overlay_open_beneath(int dirfd, const char *path, int flags)
{
	char buf[PATH_MAX];
	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	if (path_climbs(buf))
		return -EXDEV;
	int fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return -errno;
	char *save = NULL, *c = strtok_r(buf, "/", &save);
	while (fd >= 0 && c) {
		char *next = strtok_r(NULL, "/", &save);
		int sub = openat(fd, c, (next ? O_PATH | O_DIRECTORY : flags) | O_NOFOLLOW | O_CLOEXEC);
		int e = errno;
		close(fd);
		fd = sub < 0 ? -e : sub;
		c = next;
	}
	return fd;
}

static int open_beneath(int dirfd, const char *name, int flags)
{
	return overlay_open_beneath(dirfd, name, flags);
}

static bool is_opaque(int dirfd)
{
	char v[2];
	/* an O_PATH fd has no xattrs: go through /proc */
	char proc[64];
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", dirfd);
	return getxattr(proc, OPAQUE_XATTR, v, sizeof(v)) == 1 && v[0] == 'y';
}

/* PATH in one layer: 1 found, 0 absent, -ENOENT hidden (a whiteout, or absent under an
 * opaque directory: nothing below shows either). */
static int find_in_layer(int layer, const char *path)
{
	char buf[PATH_MAX];
	snprintf(buf, sizeof(buf), "%s", path);
	int dir = fcntl(layer, F_DUPFD_CLOEXEC, 3);
	bool opaque = false;
	char *save = NULL, *c = strtok_r(buf, "/", &save);
	int r = 0;
	while (c && dir >= 0) {
		char *next = strtok_r(NULL, "/", &save);
		if (strcmp(c, ".") == 0) {
			c = next;
			continue;
		}
		struct stat s;
		if (fstatat(dir, c, &s, AT_SYMLINK_NOFOLLOW) < 0) {
			r = opaque ? -ENOENT : 0;
			break;
		}
		if (S_ISCHR(s.st_mode) && s.st_rdev == makedev(0, 0)) {
			r = -ENOENT;
			break;
		}
		if (!next) {
			r = 1;
			break;
		}
		if (!S_ISDIR(s.st_mode)) {
			r = -ENOTDIR;
			break;
		}
		int sub = open_beneath(dir, c, O_PATH | O_DIRECTORY);
		close(dir);
		dir = sub;
		if (dir >= 0 && is_opaque(dir))
			opaque = true;
		c = next;
	}
	if (dir >= 0)
		close(dir);
	return dir < 0 ? dir : r;
}

int overlay_find(const int *layers, size_t n, const char *path)
{
	for (size_t i = 0; i < n; i++) {
		int r = find_in_layer(layers[i], path);
		if (r < 0)
			return r;
		if (r == 1)
			return (int)i;
	}
	return -ENOENT;
}

/* Owner, mode (after the owner: chown clears setuid), xattrs and times of `from` onto `to`. */
static int copy_meta(int from, int to, const struct stat *s)
{
	if (fchown(to, s->st_uid, s->st_gid) < 0 || fchmod(to, s->st_mode & 07777) < 0)
		return -errno;
	char names[4096];
	ssize_t len = flistxattr(from, names, sizeof(names));
	for (ssize_t off = 0; len > 0 && off < len; off += (ssize_t)strlen(names + off) + 1) {
		char val[4096];
		/* overlay's own (an opaque marker) belong to that layer, never to a copy above it */
		if (strncmp(names + off, "trusted.overlay.", 16) == 0)
			continue;
		ssize_t vl = fgetxattr(from, names + off, val, sizeof(val));
		if (vl >= 0 && fsetxattr(to, names + off, val, (size_t)vl, 0) < 0)
			return -errno;
	}
	const struct timespec t[2] = { s->st_atim, s->st_mtim };
	return futimens(to, t) < 0 ? -errno : 0;
}

static int copy_data(int from, int to)
{
	char buf[1 << 16];
	for (;;) {
		ssize_t got = read(from, buf, sizeof(buf));
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return got < 0 ? -errno : 0;
		for (ssize_t done = 0; done < got;) {
			ssize_t w = write(to, buf + done, (size_t)(got - done));
			if (w < 0 && errno != EINTR)
				return -errno;
			done += w > 0 ? w : 0;
		}
	}
}

/* The parent directory of PATH in upper, made like the lower's where it is missing. */
static int upper_parent(int lower, int upper, char *path, char **base)
{
	int ld = fcntl(lower, F_DUPFD_CLOEXEC, 3), ud = fcntl(upper, F_DUPFD_CLOEXEC, 3);
	char *save = NULL, *c = strtok_r(path, "/", &save);
	int r = ld < 0 || ud < 0 ? -errno : 0;
	while (r == 0 && c) {
		char *next = strtok_r(NULL, "/", &save);
		if (!next) {
			*base = c;
			break;
		}
		int nl = open_beneath(ld, c, O_RDONLY | O_DIRECTORY), nu = -ENOENT;
		struct stat s;
		if (nl >= 0 && fstat(nl, &s) == 0) {
			if (mkdirat(ud, c, 0700) == 0) {
				nu = open_beneath(ud, c, O_RDONLY | O_DIRECTORY);
				int e = nu >= 0 ? copy_meta(nl, nu, &s) : 0;
				if (e < 0)
					close(nu), nu = e;
			} else if (errno == EEXIST) {
				nu = open_beneath(ud, c, O_RDONLY | O_DIRECTORY);
			} else {
				nu = -errno;
			}
		}
		r = nl < 0 ? nl : nu < 0 ? nu : 0;
		close(ld), close(ud);
		ld = nl, ud = nu;
		c = next;
	}
	if (ld >= 0)
		close(ld);
	if (r < 0 && ud >= 0)
		close(ud);
	return r < 0 ? r : ud;
}

int overlay_copy_up(int lower, int upper, const char *path, struct pith_error *err)
{
	char buf[PATH_MAX], *base = NULL;
	snprintf(buf, sizeof(buf), "%s", path);
	int src = open_beneath(lower, path, O_RDONLY | O_NOCTTY | O_NONBLOCK);
	if (src < 0)
		return pith_fail(err, -src, "%s: in the lower layer", path);
	struct stat s;
	int r = fstat(src, &s) < 0 ? -errno : S_ISREG(s.st_mode) ? 0 : -EPERM;
	int dir = r == 0 ? upper_parent(lower, upper, buf, &base) : r;
	int dst = dir >= 0 && base ? openat(dir, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600) : -1;
	if (r == 0 && dst < 0)
		r = dir < 0 ? dir : -errno;
	if (r == 0)
		r = copy_data(src, dst);
	if (r == 0)
		r = copy_meta(src, dst, &s);
	if (dst >= 0)
		close(dst);
	if (r < 0 && dst >= 0)
		unlinkat(dir, base, 0);
	if (dir >= 0)
		close(dir);
	close(src);
	if (r == -EPERM)
		return pith_fail(err, 0, "%s: a hardlink to a lower layer's entry that is not a regular file", path);
	return r < 0 ? pith_fail(err, -r, "%s: copying it up from the lower layer", path) : 0;
}

/* A missing directory of this layer, made like the lower layer's that shows there. */
static int make_like_lower(const int *layers, size_t n, int dir, const char *name, const char *prefix)
{
	int where = overlay_find(layers + 1, n - 1, prefix);
	if (where < 0)
		return 0; /* no layer below has it: libarchive's defaults, as a flat unpack would */
	int lower = overlay_open_beneath(layers[1 + where], prefix, O_RDONLY | O_DIRECTORY);
	struct stat s;
	int r = lower < 0 ? lower : fstat(lower, &s) < 0 ? -errno : S_ISDIR(s.st_mode) ? 0 : 1;
	if (r == 0 && mkdirat(dir, name, 0700) < 0)
		r = -errno;
	int made = r == 0 ? overlay_open_beneath(dir, name, O_RDONLY | O_DIRECTORY) : -1;
	if (r == 0)
		r = made < 0 ? made : copy_meta(lower, made, &s);
	if (made >= 0)
		close(made);
	if (lower >= 0)
		close(lower);
	return r < 0 ? r : 0;
}

int overlay_make_parents(const int *layers, size_t n, const char *path, struct pith_error *err)
{
	if (n < 2 || path_climbs(path))
		return 0; /* nothing below, or an entry libarchive refuses */
	char buf[PATH_MAX], prefix[PATH_MAX] = "";
	snprintf(buf, sizeof(buf), "%s", path);
	int dir = fcntl(layers[0], F_DUPFD_CLOEXEC, 3), r = dir < 0 ? -errno : 0;
	char *save = NULL, *c = strtok_r(buf, "/", &save);
	while (r == 0 && c) {
		char *next = strtok_r(NULL, "/", &save);
		if (!next)
			break;
		size_t l = strlen(prefix);
		snprintf(prefix + l, sizeof(prefix) - l, "%s%s", l ? "/" : "", c);
		struct stat s;
		if (strcmp(c, ".") != 0 && fstatat(dir, c, &s, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT)
			r = make_like_lower(layers, n, dir, c, prefix);
		int sub = r == 0 ? overlay_open_beneath(dir, c, O_PATH | O_DIRECTORY) : -1;
		close(dir);
		dir = sub;
		if (r == 0 && dir < 0)
			break; /* not a directory here, or absent everywhere: libarchive decides */
		c = next;
	}
	if (dir >= 0)
		close(dir);
	return r < 0 ? pith_fail(err, -r, "%s: making its parent directory like the lower layer's", path) : 0;
}
