/* Resolution inside a container root: hostile symlinks stay inside, loops
 * end, missing components get created inside. Every case runs against both
 * implementations: openat2 (this kernel) and the O_PATH walk (old kernels). */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../runtime/mount/paths.h"

typedef int (*resolver)(int, const char *, int, struct pith_error *);

static char base[64];
static char root[128];
static int root_fd = -1;

static void mk(const char *rel, bool dir)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", base, rel);
	if (dir) {
		cr_assert_eq(mkdir(p, 0755), 0, "mkdir %s: %s", p, strerror(errno));
	} else {
		FILE *f = fopen(p, "w");
		cr_assert_not_null(f, "create %s", p);
		fprintf(f, "%s\n", rel);
		fclose(f);
	}
}

static void ln(const char *target, const char *rel)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", base, rel);
	cr_assert_eq(symlink(target, p), 0, "symlink %s: %s", p, strerror(errno));
}

/* base/outside/secret is "the host"; base/root is the container root with a
 * decoy root/outside/secret, so an escape and a correct clamp are told apart. */
static void setup(void)
{
	snprintf(base, sizeof(base), "/tmp/pith-paths-XXXXXX");
	cr_assert_not_null(mkdtemp(base));
	snprintf(root, sizeof(root), "%s/root", base);
	mk("outside", true);
	mk("outside/secret", false);
	mk("root", true);
	mk("root/outside", true);
	mk("root/outside/secret", false);
	mk("root/d", true);
	ln("/", "root/a");
	ln("../../..", "root/b");
	ln("/etc/passwd", "root/c");
	ln("../../../outside", "root/d/up");
	ln("/d", "root/e");
	ln("loop2", "root/loop1");
	ln("loop1", "root/loop2");
	ln("/proc/self/root", "root/m");
	ln("/outside/secret", "root/f");
	ln("/newdir/sub", "root/g");
	ln("../../x/y", "root/d/dangling");
	root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	cr_assert_geq(root_fd, 0);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	remove(p);
	return 0;
}

static void teardown(void)
{
	if (root_fd >= 0)
		close(root_fd);
	nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* fd and the file at base/rel (not followed) are the same inode. */
static bool is(int fd, const char *rel)
{
	char p[512];
	struct stat a, b;
	snprintf(p, sizeof(p), "%s/%s", base, rel);
	if (fstat(fd, &a) < 0 || lstat(p, &b) < 0)
		return false;
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static void expect(resolver r, const char *path, int flags, const char *rel)
{
	struct pith_error err = { 0 };
	int fd = r(root_fd, path, flags, &err);
	cr_assert_geq(fd, 0, "%s: %s (errno %d)", path, err.msg, err.errnum);
	cr_expect(is(fd, rel), "%s should resolve to %s", path, rel);
	close(fd);
}

static void expect_errno(resolver r, const char *path, int flags, int e)
{
	struct pith_error err = { 0 };
	int fd = r(root_fd, path, flags, &err);
	cr_assert_lt(fd, 0, "%s resolved, expected errno %d", path, e);
	cr_expect_eq(fd, -e, "%s: got %d, expected %d", path, -fd, e);
	cr_expect_eq(err.errnum, e);
	cr_expect_not_null(strstr(err.msg, path), "message names the path: %s", err.msg);
}

static void plain(resolver r)
{
	expect(r, "/outside/secret", 0, "root/outside/secret");
	expect(r, "outside/secret", 0, "root/outside/secret");
	expect(r, "/", 0, "root");
	expect(r, "", 0, "root");
	expect(r, ".", 0, "root");
	expect(r, "d/", 0, "root/d");
	expect(r, "//d//./", 0, "root/d");
}

static void escapes(resolver r)
{
	expect(r, "a", 0, "root");
	expect(r, "a/outside/secret", 0, "root/outside/secret");
	expect(r, "b", 0, "root");
	expect(r, "b/outside/secret", 0, "root/outside/secret");
	expect(r, "../outside/secret", 0, "root/outside/secret");
	expect(r, "/../../../outside/secret", 0, "root/outside/secret");
	expect(r, "d/up/secret", 0, "root/outside/secret");
	expect(r, "e/up/secret", 0, "root/outside/secret");
	expect(r, "d/../../outside", 0, "root/outside");
	expect(r, "f", 0, "root/outside/secret");
	expect(r, "a/a/b/a/d/up", 0, "root/outside");
}

static void host_file_link(resolver r)
{
	/* c -> /etc/passwd: the root has no etc/passwd, so it does not exist. */
	expect_errno(r, "c", 0, ENOENT);
	struct stat before, after;
	cr_assert_eq(stat("/etc/passwd", &before), 0);
	struct pith_error err = { 0 };
	int fd = r(root_fd, "c", PATH_CREATE_FILE, &err);
	if (fd >= 0) { /* created, but inside the root */
		cr_expect(is(fd, "root/etc/passwd"));
		close(fd);
	}
	cr_assert_eq(stat("/etc/passwd", &after), 0);
	cr_expect_eq(before.st_size, after.st_size);
	cr_expect_eq(before.st_mtim.tv_nsec, after.st_mtim.tv_nsec);
	cr_expect_eq(before.st_ino, after.st_ino);
}

static void magic_link(resolver r)
{
	/* /proc/self/root inside the root is just a path there; never the host's /. */
	struct pith_error err = { 0 };
	int fd = r(root_fd, "m", 0, &err);
	if (fd >= 0) {
		struct stat a, host;
		cr_assert_eq(fstat(fd, &a), 0);
		cr_assert_eq(stat("/", &host), 0);
		cr_expect(!(a.st_dev == host.st_dev && a.st_ino == host.st_ino), "escaped to the host root");
		close(fd);
	}
	fd = r(root_fd, "m/tmp", 0, &err);
	cr_expect_lt(fd, 0, "m/tmp must not reach the host's /tmp");
	if (fd >= 0)
		close(fd);
}

static void loops(resolver r)
{
	expect_errno(r, "loop1", 0, ELOOP);
	expect_errno(r, "loop1/x", PATH_CREATE_DIR, ELOOP);
}

static void nofollow(resolver r)
{
	expect(r, "a", PATH_NOFOLLOW_LAST, "root/a");
	expect(r, "loop1", PATH_NOFOLLOW_LAST, "root/loop1");
	expect(r, "d/up", PATH_NOFOLLOW_LAST, "root/d/up");
	/* only the last component is left alone */
	expect(r, "a/d/up", PATH_NOFOLLOW_LAST, "root/d/up");
}

static void missing(resolver r)
{
	expect_errno(r, "nope", 0, ENOENT);
	expect_errno(r, "outside/secret/x", 0, ENOTDIR);
	expect_errno(r, "outside/secret/x", PATH_CREATE_DIR, ENOTDIR);
}

static void create_dirs(resolver r)
{
	expect(r, "new/x/y", PATH_CREATE_DIR, "root/new/x/y");
	struct stat st;
	char p[512];
	snprintf(p, sizeof(p), "%s/new/x/y", root);
	cr_assert_eq(lstat(p, &st), 0);
	cr_expect(S_ISDIR(st.st_mode));
	cr_expect_eq(st.st_mode & 0777, 0755 & ~0022 & 0777);
	/* through hostile links: created inside the root, not next to it */
	expect(r, "a/made", PATH_CREATE_DIR, "root/made");
	expect(r, "b/made2/deeper", PATH_CREATE_DIR, "root/made2/deeper");
	expect(r, "d/up/fresh", PATH_CREATE_DIR, "root/outside/fresh");
	snprintf(p, sizeof(p), "%s/outside/fresh", base);
	cr_expect_neq(access(p, F_OK), 0, "created outside the root");
	snprintf(p, sizeof(p), "%s/made2", base);
	cr_expect_neq(access(p, F_OK), 0, "created outside the root");
	/* dangling links: their targets are made, inside the root */
	expect(r, "g/x", PATH_CREATE_DIR, "root/newdir/sub/x");
	expect(r, "d/dangling/z", PATH_CREATE_DIR, "root/x/y/z");
	snprintf(p, sizeof(p), "%s/x", base);
	cr_expect_neq(access(p, F_OK), 0, "created outside the root");
	/* existing paths are fine */
	expect(r, "d", PATH_CREATE_DIR, "root/d");
}

static void create_file(resolver r)
{
	expect(r, "files/sub/f", PATH_CREATE_FILE, "root/files/sub/f");
	struct stat st;
	char p[512];
	snprintf(p, sizeof(p), "%s/files/sub/f", root);
	cr_assert_eq(lstat(p, &st), 0);
	cr_expect(S_ISREG(st.st_mode));
	cr_expect_eq(st.st_size, 0);
	snprintf(p, sizeof(p), "%s/files/sub", root);
	cr_assert_eq(lstat(p, &st), 0);
	cr_expect(S_ISDIR(st.st_mode));
	/* an existing file is kept as it is */
	expect(r, "outside/secret", PATH_CREATE_FILE, "root/outside/secret");
}

#define BOTH(name)                                                                              \
	Test(paths_openat2, name, .init = setup, .fini = teardown) { name(path_resolve_in_root); } \
	Test(paths_walk, name, .init = setup, .fini = teardown) { name(path_resolve_in_root_walk); }

BOTH(plain)
BOTH(escapes)
BOTH(host_file_link)
BOTH(magic_link)
BOTH(loops)
BOTH(nofollow)
BOTH(missing)
BOTH(create_dirs)
BOTH(create_file)

Test(paths, parent, .init = setup, .fini = teardown)
{
	struct pith_error err = { 0 };
	char name[256];
	int fd = path_resolve_parent_in_root(root_fd, "/dev/null", PATH_CREATE_DIR, name, sizeof(name), &err);
	cr_assert_geq(fd, 0, "%s", err.msg);
	cr_expect_str_eq(name, "null");
	cr_expect(is(fd, "root/dev"));
	close(fd);

	fd = path_resolve_parent_in_root(root_fd, "a/b/outside/secret/", 0, name, sizeof(name), &err);
	cr_assert_geq(fd, 0, "%s", err.msg);
	cr_expect_str_eq(name, "secret");
	cr_expect(is(fd, "root/outside"));
	close(fd);

	fd = path_resolve_parent_in_root(root_fd, "top", 0, name, sizeof(name), &err);
	cr_assert_geq(fd, 0, "%s", err.msg);
	cr_expect(is(fd, "root"));
	close(fd);

	const char *bad[] = { "/", "", "x/..", "x/.", ".." };
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		fd = path_resolve_parent_in_root(root_fd, bad[i], 0, name, sizeof(name), &err);
		cr_expect_eq(fd, -EINVAL, "\"%s\" should be refused", bad[i]);
	}
	fd = path_resolve_parent_in_root(root_fd, "nope/x", 0, name, sizeof(name), &err);
	cr_expect_eq(fd, -ENOENT);
	cr_expect_not_null(strstr(err.msg, "nope/x"), "%s", err.msg);
}

Test(paths, fd_link)
{
	char buf[PATH_FD_LINK_MAX];
	cr_expect_str_eq(path_fd_link(7, buf), "/proc/self/fd/7");
}
