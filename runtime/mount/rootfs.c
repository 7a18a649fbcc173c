/* The container's filesystem, in the order rootfs.h describes. */
#include "rootfs.h"
#include "../cleanup.h"
#include "paths.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif
#ifndef RAMFS_MAGIC
#define RAMFS_MAGIC 0x858458f6
#endif
#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif
#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x01
#endif

#define PROPAGATION_TYPE (MS_SHARED | MS_SLAVE | MS_PRIVATE | MS_UNBINDABLE)

/* rslave and rprivate can be set before anything else is mounted (one
 * syscall, nothing left to do after the pivot); shared and unbindable
 * cannot (a shared parent breaks pivot_root, an unbindable root cannot be
 * bound), so those start as rslave and are applied to "/" at the end. */
static bool propagation_early(unsigned long p)
{
	return p == (MS_SLAVE | MS_REC) || p == (MS_PRIVATE | MS_REC);
}

int rootfs_prepare(const struct rootfs_ctx *ctx, struct pith_error *err)
{
	unsigned long p = ctx->spec->linux_.rootfs_propagation;
	/* runc's default: rslave. Host mounts and unmounts still reach the
	 * container; nothing done here reaches the host. */
	unsigned long first = propagation_early(p) ? p : (MS_SLAVE | MS_REC);
	if (mount(NULL, "/", NULL, first, NULL) < 0)
		return pith_fail(err, errno, "make / %s in the container's mount namespace",
				 (first & MS_PRIVATE) ? "rprivate" : "rslave");
	/* pivot_root needs the new root to be a mount point. */
	if (mount(ctx->rootfs, ctx->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
		return pith_fail(err, errno, "bind the rootfs %s onto itself", ctx->rootfs);
	/* In a user namespace the bundle may be closed to the container's root:
	 * only relative mount sources need it, and they fail with their own error. */
	if (ctx->bundle && chdir(ctx->bundle) < 0 && errno != EACCES)
		return pith_fail(err, errno, "chdir to the bundle %s", ctx->bundle);
	int root_fd = open(ctx->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct stat root_st;
	if (root_fd < 0 || fstat(root_fd, &root_st) < 0) {
		int e = errno;
		if (root_fd >= 0)
			close(root_fd);
		return pith_fail(err, e, "open the rootfs %s", ctx->rootfs);
	}
	int r = 0;
	for (size_t i = 0; r == 0 && i < ctx->spec->n_mounts; i++)
		r = mount_config_entry(ctx, &root_fd, &root_st, i, err);
	if (r == 0)
		r = devices_setup(ctx, root_fd, err);
	close(root_fd);
	return r;
}

/* ---------- pivot ---------- */

static bool root_is_ramfs(void)
{
	struct statfs sf;
	return statfs("/", &sf) == 0 && ((uint32_t)sf.f_type == (uint32_t)RAMFS_MAGIC || (uint32_t)sf.f_type == (uint32_t)TMPFS_MAGIC);
}

/* mountinfo field 5 unescaped in place ("\040" is a space). */
static char *mountinfo_point(char *line)
{
	char *f = line;
	for (int i = 0; i < 4 && f; i++) {
		f = strchr(f, ' ');
		if (f)
			f++;
	}
	if (!f)
		return NULL;
	char *end = strchr(f, ' ');
	if (end)
		*end = '\0';
	char *w = f;
	for (char *r = f; *r; r++) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] && r[3]) {
			*w++ = (char)(((r[1] - '0') << 6) | ((r[2] - '0') << 3) | (r[3] - '0'));
			r += 3;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
	return f;
}

static bool under(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	return !strncmp(path, dir, n) && (path[n] == '/' || !path[n]);
}

/* chroot leaves the old root's mounts reachable to a process that can
 * chroot again: take away what it could find there (runc does the same).
 * Best effort: mounts locked by a user namespace stay. */
static void hide_host_mounts(const char *rootfs)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return;
	char **points = NULL;
	size_t n = 0;
	char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, f) > 0) {
		char *mp = mountinfo_point(line);
		if (!mp || !strcmp(mp, "/") || under(mp, rootfs) || under(rootfs, mp))
			continue;
		char **grown = realloc(points, (n + 1) * sizeof(*points));
		if (!grown)
			break;
		points = grown;
		if (!(points[n] = strdup(mp)))
			break;
		n++;
	}
	free(line);
	fclose(f);
	while (n > 0) { /* children are listed after their parents */
		umount2(points[--n], MNT_DETACH);
		free(points[n]);
	}
	free(points);
}

static int move_root(const struct rootfs_ctx *ctx, struct pith_error *err)
{
	char real[PATH_MAX];
	hide_host_mounts(realpath(ctx->rootfs, real) ? real : ctx->rootfs);
	if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
		return pith_fail(err, errno, "move the rootfs %s onto /", ctx->rootfs);
	if (chroot(".") < 0)
		return pith_fail(err, errno, "chroot into the rootfs %s", ctx->rootfs);
	if (chdir("/") < 0)
		return pith_fail(err, errno, "chdir / in the container");
	return 0;
}

int rootfs_pivot(const struct rootfs_ctx *ctx, struct pith_error *err)
{
	/* By path, so cwd is the topmost mount there (a mount on "/" counts). */
	if (chdir(ctx->rootfs) < 0)
		return pith_fail(err, errno, "chdir to the rootfs %s", ctx->rootfs);
	if (ctx->no_pivot)
		return move_root(ctx, err);
	if (syscall(SYS_pivot_root, ".", ".") < 0) {
		/* An initramfs root cannot be pivoted away from: fall back. */
		if (errno == EINVAL && root_is_ramfs())
			return move_root(ctx, err);
		return pith_fail(err, errno, "pivot_root to %s", ctx->rootfs);
	}
	/* The old root now sits on top of the new one at ".". */
	if (umount2(".", MNT_DETACH) < 0)
		return pith_fail(err, errno, "detach the host's root after pivot_root");
	if (chdir("/") < 0)
		return pith_fail(err, errno, "chdir / in the container");
	return 0;
}

/* ---------- after the pivot ---------- */

struct fin {
	int root_fd;
	bool by_path; /* no procfs at /proc: mount by path (we are inside the root now) */
	int null_fd;
	int empty_dir_fd;  /* the first masked dir's read-only tmpfs, bound over the others */
	char empty_dir[PATH_MAX];
};

static int open_null(struct fin *f, struct pith_error *err)
{
	if (f->null_fd >= 0)
		return 0;
	f->null_fd = open("/dev/null", O_PATH | O_CLOEXEC);
	if (f->null_fd < 0)
		return pith_fail(err, errno, "open the container's /dev/null");
	struct stat st;
	if (fstat(f->null_fd, &st) < 0 || !S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3))
		return pith_fail(err, EINVAL, "the container's /dev/null is not the null device");
	return 0;
}

static int readonly_path(struct fin *f, const char *path, size_t i, struct pith_error *err)
{
	struct mnt_target t = { .root_fd = f->root_fd, .path = path, .by_path = f->by_path };
	t.fd = path_resolve_in_root(f->root_fd, path, 0, err);
	if (t.fd == -ENOENT)
		return 0;
	if (t.fd < 0)
		return pith_wrap(err, "linux.readonlyPaths[%zu]", i);
	/* Bound onto itself, then read-only; nosuid/nodev/noexec it had stay. */
	struct mnt_attrs a = { .set = MOUNT_ATTR_RDONLY };
	const char *op = "mount";
	int r = mnt_bind(&t, path, t.fd, true, &a, 0, &op);
	close(t.fd);
	if (r < 0)
		return pith_fail(err, -r, "linux.readonlyPaths[%zu] (%s): %s", i, path, op);
	return 0;
}

static int masked_path(struct fin *f, const char *path, size_t i, struct pith_error *err)
{
	struct mnt_target t = { .root_fd = f->root_fd, .path = path, .by_path = f->by_path };
	t.fd = path_resolve_in_root(f->root_fd, path, 0, err);
	if (t.fd == -ENOENT)
		return 0;
	if (t.fd < 0)
		return pith_wrap(err, "linux.maskedPaths[%zu]", i);
	struct stat st;
	const char *op = "fstat";
	int r = fstat(t.fd, &st) < 0 ? -errno : 0;
	if (r == 0 && S_ISDIR(st.st_mode) && f->empty_dir_fd >= 0) {
		/* one empty read-only tmpfs serves every masked dir: a bind is much
		 * cheaper than a new superblock */
		r = mnt_bind(&t, f->empty_dir, f->empty_dir_fd, false, NULL, 0, &op);
	} else if (r == 0 && S_ISDIR(st.st_mode)) {
		op = "mount an empty read-only tmpfs";
		r = mnt_fs(&t, "tmpfs", "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,nr_inodes=2");
		if (r == 0) {
			/* the fd of the new mount's root, for the next masked dirs */
			struct pith_error ignored = { 0 };
			f->empty_dir_fd = path_resolve_in_root(f->root_fd, path, 0, &ignored);
			snprintf(f->empty_dir, sizeof(f->empty_dir), "%s", path);
			if (f->empty_dir_fd < 0)
				f->empty_dir_fd = -1;
		}
	} else if (r == 0) {
		if (open_null(f, err) < 0) {
			close(t.fd);
			return pith_wrap(err, "linux.maskedPaths[%zu] (%s)", i, path);
		}
		r = mnt_bind(&t, "/dev/null", f->null_fd, false, NULL, 0, &op);
	}
	close(t.fd);
	if (r < 0)
		return pith_fail(err, -r, "linux.maskedPaths[%zu] (%s): %s", i, path, op);
	return 0;
}

static int readonly_mount(struct fin *f, const char *path, const char *what, struct pith_error *err)
{
	struct mnt_target t = { .root_fd = f->root_fd, .path = path, .by_path = f->by_path };
	t.fd = path_resolve_in_root(f->root_fd, path, 0, err);
	if (t.fd < 0)
		return pith_wrap(err, "%s", what);
	struct mnt_attrs a = { .set = MOUNT_ATTR_RDONLY };
	const char *op = "mount_setattr";
	int r = mnt_setattr(&t, t.fd, &a, &op);
	close(t.fd);
	return r < 0 ? pith_fail(err, -r, "%s: make %s read-only: %s", what, path, op) : 0;
}

static int apply_propagation(unsigned long p, struct pith_error *err)
{
	if (!p || propagation_early(p))
		return 0;
	/* shared means a new peer group: leave the host's first. */
	if ((p & MS_SHARED) && mount(NULL, "/", NULL, MS_PRIVATE | (p & MS_REC), NULL) < 0)
		return pith_fail(err, errno, "linux.rootfsPropagation: make / private");
	if (mount(NULL, "/", NULL, p, NULL) < 0)
		return pith_fail(err, errno, "linux.rootfsPropagation: mount /");
	return 0;
}

/* A read-only /dev tmpfs was mounted writable for the devices. */
static bool dev_wants_ro(const struct spec *spec)
{
	for (size_t i = 0; i < spec->n_mounts; i++) {
		const struct spec_mount *m = &spec->mounts[i];
		if (m->kind == SPEC_MOUNT_FS && (m->flags & MS_RDONLY) && rootfs_dest_is(m->destination, "/dev"))
			return true;
	}
	return false;
}

static bool procfs_fds(void)
{
	struct statfs sf;
	return statfs("/proc/self/fd", &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC;
}

static int finalize(struct fin *f, const struct rootfs_ctx *ctx, struct pith_error *err)
{
	const struct spec_linux *l = &ctx->spec->linux_;
	for (size_t i = 0; i < l->readonly_paths.n; i++)
		if (readonly_path(f, l->readonly_paths.v[i], i, err) < 0)
			return -1;
	for (size_t i = 0; i < l->masked_paths.n; i++)
		if (masked_path(f, l->masked_paths.v[i], i, err) < 0)
			return -1;
	if (apply_propagation(l->rootfs_propagation, err) < 0)
		return -1;
	if (dev_wants_ro(ctx->spec) && readonly_mount(f, "/dev", "mounts (/dev, ro)", err) < 0)
		return -1;
	if (ctx->spec->root.readonly && readonly_mount(f, "/", "root.readonly", err) < 0)
		return -1;
	return 0;
}

int rootfs_finalize(const struct rootfs_ctx *ctx, struct pith_error *err)
{
	const struct spec_linux *l = &ctx->spec->linux_;
	bool work = l->readonly_paths.n || l->masked_paths.n || ctx->spec->root.readonly ||
		    (l->rootfs_propagation && !propagation_early(l->rootfs_propagation)) ||
		    dev_wants_ro(ctx->spec);
	if (!work)
		return 0;
	struct fin f = { .null_fd = -1, .empty_dir_fd = -1 };
	f.root_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (f.root_fd < 0)
		return pith_fail(err, errno, "open the container's /");
	f.by_path = (l->readonly_paths.n || l->masked_paths.n) && !procfs_fds();
	int r = finalize(&f, ctx, err);
	close(f.root_fd);
	if (f.null_fd >= 0)
		close(f.null_fd);
	if (f.empty_dir_fd >= 0)
		close(f.empty_dir_fd);
	return r;
}
