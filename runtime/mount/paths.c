/* Path resolution inside a container's root that never leaves it (paths.h). */
#include "paths.h"
#include "../cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "openat2_compat.h"

#define MAX_SYMLINKS 40  /* what the kernel allows in one lookup */
#define MAX_DEPTH 256
#define CREATE_ANY (PATH_CREATE_DIR | PATH_CREATE_FILE)

const char *path_fd_link(int fd, char buf[PATH_FD_LINK_MAX])
{
	snprintf(buf, PATH_FD_LINK_MAX, "/proc/self/fd/%d", fd);
	return buf;
}

static int resolve_fail(struct pith_error *err, int e, const char *path)
{
	return pith_fail(err, e, "%s: resolve in the container root", path);
}

static bool plain_name(const char *c, size_t n)
{
	return n > 0 && !(n == 1 && c[0] == '.') && !(n == 2 && c[0] == '.' && c[1] == '.');
}

/* Make one missing component inside dirfd. EEXIST is fine: whoever made it,
 * the caller resolves it again under the same rules. */
static int create_in(int dirfd, const char *name, bool as_file)
{
	if (as_file) {
		int fd = openat(dirfd, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd >= 0) {
			close(fd);
			return 0;
		}
	} else if (mkdirat(dirfd, name, 0755) == 0) {
		return 0;
	}
	return errno == EEXIST ? 0 : -errno;
}

/* ---------- openat2 ---------- */

static int openat2_state; /* 0 untried, 1 works, -1 not in this kernel */

static int in_root_openat2(int root_fd, const char *path, bool nofollow)
{
	struct open_how how = {
		.flags = O_PATH | O_CLOEXEC | (nofollow ? O_NOFOLLOW : 0),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	if (!*path)
		path = ".";
	for (int tries = 0;; tries++) {
		int fd = (int)syscall(SYS_openat2, root_fd, path, &how, sizeof(how));
		/* EAGAIN: a rename raced with "..": the kernel asks for a retry. */
		if (fd >= 0 || errno != EAGAIN || tries >= 32)
			return fd >= 0 ? fd : -errno;
	}
}

/* Create what is missing, one component at a time: each prefix is resolved
 * from the root again, so symlinks met on the way are followed with the same
 * floor as the full lookup, and a component is only ever created inside a
 * directory that lookup produced. */
static int create_openat2(int root_fd, const char *path, int flags)
{
	auto_free char *buf = strdup(path);
	if (!buf)
		return -ENOMEM;
	size_t len = strlen(buf);
	while (len > 1 && buf[len - 1] == '/')
		buf[--len] = '\0';

	auto_fd parent = -1;
	size_t pos = 0;
	for (;;) {
		while (buf[pos] == '/')
			pos++;
		if (!buf[pos])
			break;
		size_t start = pos;
		while (buf[pos] && buf[pos] != '/')
			pos++;
		bool last = !buf[pos];
		char saved = buf[pos];
		buf[pos] = '\0';
		bool nofollow = last && (flags & PATH_NOFOLLOW_LAST);
		int fd = in_root_openat2(root_fd, buf, nofollow);
		if (fd == -ENOENT && plain_name(buf + start, pos - start)) {
			int r = create_in(parent >= 0 ? parent : root_fd, buf + start,
					  last && (flags & PATH_CREATE_FILE));
			fd = r < 0 ? r : in_root_openat2(root_fd, buf, nofollow);
		}
		buf[pos] = saved;
		if (fd < 0)
			return fd;
		if (parent >= 0)
			close(parent);
		parent = fd;
	}
	if (parent < 0)
		return in_root_openat2(root_fd, ".", false);
	return pith_steal_fd(&parent);
}

/* ---------- the walk, for kernels without openat2 ---------- */

struct walk {
	int fds[MAX_DEPTH]; /* fds[0] is root_fd (borrowed), the rest are owned */
	int depth;
};

static void walk_release(struct walk *w)
{
	while (w->depth > 0)
		close(w->fds[w->depth--]);
}

/* Replace the walk's remaining path with `target` followed by `rest`. */
static int splice_link(char **buf, char **p, const char *target, const char *rest)
{
	size_t tl = strlen(target), rl = strlen(rest);
	char *n = malloc(tl + rl + 1);
	if (!n)
		return -ENOMEM;
	memcpy(n, target, tl);
	memcpy(n + tl, rest, rl + 1);
	free(*buf);
	*buf = n;
	*p = n;
	return 0;
}

/* Open one component below the walk's current directory, creating it when
 * asked. Returns an O_PATH fd that does not follow a symlink. */
static int walk_open(struct walk *w, const char *name, bool last, int flags)
{
	int cur = w->fds[w->depth];
	int fd = openat(cur, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && (flags & CREATE_ANY)) {
		int r = create_in(cur, name, last && (flags & PATH_CREATE_FILE));
		if (r < 0)
			return r;
		fd = openat(cur, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	}
	return fd >= 0 ? fd : -errno;
}

static int walk_step(struct walk *w, char **buf, char **p, int *links, int flags)
{
	char *c = *p;
	char *end = c + strcspn(c, "/");
	char *after = end;
	while (*after == '/')
		after++;
	bool last = !*after;
	bool trailing_slash = end != after;
	char saved = *end;
	*end = '\0';

	if (!strcmp(c, ".")) {
		*end = saved;
		*p = after;
		return 0;
	}
	if (!strcmp(c, "..")) {
		if (w->depth > 0)
			close(w->fds[w->depth--]); /* the root is its own parent */
		*end = saved;
		*p = after;
		return 0;
	}
	int fd = walk_open(w, c, last, flags);
	*end = saved;
	if (fd < 0)
		return fd;
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	bool follow = !(last && (flags & PATH_NOFOLLOW_LAST) && !trailing_slash);
	if (S_ISLNK(st.st_mode) && follow) {
		char target[PATH_MAX];
		ssize_t n = readlinkat(fd, "", target, sizeof(target) - 1);
		int e = n < 0 ? -errno : 0;
		close(fd);
		if (n < 0)
			return e;
		if (++*links > MAX_SYMLINKS)
			return -ELOOP;
		target[n] = '\0';
		if (target[0] == '/')
			walk_release(w); /* absolute targets start again at the root */
		return splice_link(buf, p, target, end);
	}
	if (w->depth + 1 >= MAX_DEPTH) {
		close(fd);
		return -ENAMETOOLONG;
	}
	w->fds[++w->depth] = fd;
	*p = after;
	return 0;
}

static int walk_resolve(int root_fd, const char *path, int flags)
{
	struct walk w = { .depth = 0 };
	w.fds[0] = root_fd;
	char *buf = strdup(path);
	if (!buf)
		return -ENOMEM;
	char *p = buf;
	int links = 0, r = 0;
	for (;;) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		r = walk_step(&w, &buf, &p, &links, flags);
		if (r < 0)
			break;
	}
	free(buf);
	if (r < 0) {
		walk_release(&w);
		return r;
	}
	if (w.depth == 0) {
		int fd = openat(root_fd, ".", O_PATH | O_CLOEXEC);
		return fd >= 0 ? fd : -errno;
	}
	int fd = w.fds[w.depth--];
	walk_release(&w);
	return fd;
}

/* ---------- public ---------- */

int path_resolve_in_root_walk(int root_fd, const char *path, int flags, struct pith_error *err)
{
	int fd = walk_resolve(root_fd, path, flags);
	return fd >= 0 ? fd : resolve_fail(err, -fd, path);
}

int path_resolve_in_root(int root_fd, const char *path, int flags, struct pith_error *err)
{
	if (openat2_state >= 0) {
		int fd = in_root_openat2(root_fd, path, flags & PATH_NOFOLLOW_LAST);
		if (fd != -ENOSYS) {
			openat2_state = 1;
			if (fd == -ENOENT && (flags & CREATE_ANY))
				fd = create_openat2(root_fd, path, flags);
			/* Still ENOENT: a dangling symlink on the way (/var/lock ->
			 * /run/lock, no /run/lock yet). The walk creates its target,
			 * inside the root, as runc does. */
			if (fd == -ENOENT && (flags & CREATE_ANY))
				fd = walk_resolve(root_fd, path, flags);
			return fd >= 0 ? fd : resolve_fail(err, -fd, path);
		}
		openat2_state = -1;
	}
	return path_resolve_in_root_walk(root_fd, path, flags, err);
}

int path_resolve_parent_in_root(int root_fd, const char *path, int flags, char *base, size_t base_len,
				struct pith_error *err)
{
	auto_free char *dir = strdup(path);
	if (!dir)
		return pith_fail(err, ENOMEM, "%s: resolve in the container root", path);
	size_t len = strlen(dir);
	while (len > 0 && dir[len - 1] == '/')
		dir[--len] = '\0';
	char *slash = strrchr(dir, '/');
	const char *name = slash ? slash + 1 : dir;
	size_t n = strlen(name);
	if (!plain_name(name, n))
		return pith_fail(err, EINVAL, "%s: does not name a file", path);
	if (n >= base_len)
		return pith_fail(err, ENAMETOOLONG, "%s: resolve in the container root", path);
	memcpy(base, name, n + 1);
	if (slash)
		slash[1] = '\0'; /* keep the slash so "/x" has parent "/" */
	else
		dir[0] = '\0';
	int pflags = (flags & CREATE_ANY) ? PATH_CREATE_DIR : 0;
	int fd = path_resolve_in_root(root_fd, dir, pflags, err);
	return fd >= 0 ? fd : resolve_fail(err, -fd, path);
}

int path_check_cwd_in_root(const char *cwd, struct pith_error *err)
{
	/* The raw syscall, not glibc's getcwd: the kernel answers a directory
	 * outside our root with "(unreachable)..." rather than an error. */
	char buf[PATH_MAX];
	long n = syscall(SYS_getcwd, buf, sizeof(buf));
	if (n < 0)
		return pith_fail(err, errno, "process.cwd: %s", cwd ? cwd : "/");
	if (buf[0] != '/')
		return pith_fail(err, EPERM, "process.cwd: %s: is outside the container's root", cwd ? cwd : "/");
	return 0;
}
