/* /sys/fs/cgroup inside the container.
 *
 * Runtimes inside containers (.NET, the JVM, Go) find their limits by
 * matching /proc/self/cgroup against /proc/self/mountinfo, so the view must
 * be consistent:
 *   v2:     a fresh cgroup2 mount. With a cgroup namespace it shows the
 *           container's leaf as root; without one it shows the whole tree
 *           (mount root "/"), which is still consistent. Never the leaf
 *           bind-mounted without a namespace: then the process's cgroup path
 *           equals the mount point, and .NET 9/10 walk above it and crash
 *           (dotnet/runtime#130092).
 *   v1:     a tmpfs holding one directory per hierarchy: with a cgroup
 *           namespace a fresh mount of each (the namespace makes the leaf
 *           the root); without one, the container's own leaf bind-mounted
 *           (v1 readers do not walk up, so this is safe and hides the host).
 *           Co-mounted hierarchies ("cpu,cpuacct") get per-controller
 *           symlinks as on the host.
 *   hybrid: the v1 layout plus the cgroup2 mount at "unified". */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "cgroup.h"
#include "../cleanup.h"
#include "../mount/paths.h"
#include "../mount/rootfs.h"

#define BASE_FLAGS (MS_NOSUID | MS_NODEV | MS_NOEXEC)

/* mount(2) with the target named by its fd: /proc/self/fd/N names exactly
 * the dentry the fd holds, whatever a symlink in the rootfs says. */
static int mount_on(const char *src, int fd, const char *type, unsigned long flags, const char *data)
{
	char link[PATH_FD_LINK_MAX];
	return mount(src, path_fd_link(fd, link), type, flags, data) < 0 ? -errno : 0;
}

/* The mount now on top of t, reached through the rootfs-confined resolver. */
static int top_of(const struct mnt_target *t, const char *name, struct pith_error *err)
{
	int fd = mnt_top(t);
	return fd < 0 ? pith_fail(err, -fd, "reopen %s after mounting on it", name) : fd;
}

static int remount_ro(int fd, const char *name, struct pith_error *err)
{
	int r = mount_on(NULL, fd, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | BASE_FLAGS, NULL);
	return r < 0 ? pith_fail(err, -r, "remounting %s read-only", name) : 0;
}

static int mount_v2(const struct cgroup *cg, const struct mnt_target *t, const char *name,
		    unsigned long flags, bool has_cgroupns, struct pith_error *err)
{
	unsigned long f = BASE_FLAGS | (flags & MS_RDONLY);
	int r = mnt_fs(t, "cgroup2", "cgroup2", f, NULL);
	if (r == 0)
		return 0;
	const struct cgroup_hier *h = cgroup_v2_hier(cg);
	if (has_cgroupns || !h)
		return pith_fail(err, -r, "mounting cgroup2 on %s", name);
	/* No namespace and no fresh mount allowed (e.g. a user namespace):
	 * the whole host tree, never the leaf alone. */
	r = mount_on(h->mount, t->fd, NULL, MS_BIND | MS_REC, NULL);
	if (r < 0)
		return pith_fail(err, -r, "bind-mounting %s on %s", h->mount, name);
	if (!(flags & MS_RDONLY))
		return 0;
	auto_fd top = top_of(t, name, err);
	return top < 0 ? -1 : remount_ro(top, name, err);
}

static const char *dir_name(const struct cgroup_hier *h)
{
	const char *b = strrchr(h->mount, '/');
	return b ? b + 1 : h->mount;
}

/* A directory of our own fresh tmpfs: nothing of the container's is in it. */
static int subdir(int dfd, const char *sub, const char *dest, struct pith_error *err)
{
	if (mkdirat(dfd, sub, 0755) < 0 && errno != EEXIST)
		return pith_fail(err, errno, "mkdir %s/%s", dest, sub);
	int fd = openat(dfd, sub, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? pith_fail(err, errno, "open %s/%s", dest, sub) : fd;
}

static int one_v1(const struct cgroup *cg, const struct cgroup_hier *h, int dfd, const char *dest,
		  unsigned long ro, bool has_cgroupns, struct pith_error *err)
{
	const char *name = dir_name(h);
	if (!has_cgroupns && !h->joined)
		return 0; /* it would show the creator's cgroup: leave it out */
	auto_fd sub = subdir(dfd, name, dest, err);
	if (sub < 0)
		return -1;
	if (has_cgroupns) {
		int r = mount_on("cgroup", sub, "cgroup", BASE_FLAGS | ro, h->name);
		if (r < 0)
			return pith_fail(err, -r, "mounting cgroup (%s) on %s/%s", h->name, dest, name);
	} else {
		char src[4096];
		snprintf(src, sizeof(src), "%s%s", h->mount, cg->path);
		int r = mount_on(src, sub, NULL, MS_BIND, NULL);
		if (r < 0)
			return pith_fail(err, -r, "bind-mounting %s on %s/%s", src, dest, name);
		auto_fd top = ro ? openat(dfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
		if (ro && top < 0)
			return pith_fail(err, errno, "open %s/%s", dest, name);
		if (ro && remount_ro(top, name, err) < 0)
			return -1;
	}
	/* "cpu,cpuacct" -> symlinks "cpu" and "cpuacct", as hosts have. */
	if (strchr(name, ',')) {
		char copy[256];
		snprintf(copy, sizeof(copy), "%s", name);
		for (char *save = NULL, *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
			if (symlinkat(name, dfd, t) < 0 && errno != EEXIST)
				return pith_fail(err, errno, "symlink %s/%s", dest, t);
	}
	return 0;
}

static int mount_v1(const struct cgroup *cg, const struct mnt_target *t, const char *dest,
		    unsigned long flags, bool has_cgroupns, struct pith_error *err)
{
	unsigned long ro = flags & MS_RDONLY;
	int r = mnt_fs(t, "tmpfs", "tmpfs", BASE_FLAGS, "mode=755,size=64k");
	if (r < 0)
		return pith_fail(err, -r, "mounting tmpfs on %s for the cgroup v1 hierarchies", dest);
	auto_fd dfd = top_of(t, dest, err);
	if (dfd < 0)
		return -1;
	struct statfs sf;
	if (fstatfs(dfd, &sf) < 0 || sf.f_type != TMPFS_MAGIC)
		return pith_fail(err, EXDEV, "%s: not the tmpfs just mounted there", dest);
	for (size_t k = 0; k < cg->n; k++) {
		const struct cgroup_hier *h = &cg->h[k];
		if (!h->v2 && one_v1(cg, h, dfd, dest, ro, has_cgroupns, err) < 0)
			return -1;
	}
	const struct cgroup_hier *v2 = cgroup_v2_hier(cg);
	if (v2) {
		auto_fd unified = subdir(dfd, "unified", dest, err);
		if (unified < 0)
			return -1;
		/* Without a namespace a fresh mount shows the whole tree (mount
		 * root "/"): consistent, never the leaf-as-mount-point layout. */
		r = mount_on("cgroup2", unified, "cgroup2", BASE_FLAGS | ro, NULL);
		if (r < 0 && has_cgroupns)
			return pith_fail(err, -r, "mounting cgroup2 on %s/unified", dest);
	}
	if (ro && (r = mount_on(NULL, dfd, NULL, MS_REMOUNT | MS_RDONLY | BASE_FLAGS, "mode=755,size=64k")) < 0)
		return pith_fail(err, -r, "remounting %s read-only", dest);
	return 0;
}

int cgroup_mount_fs(const struct cgroup *cg, const struct mnt_target *t, const char *name,
		    unsigned long flags, bool has_cgroupns, struct pith_error *err)
{
	if (cg->layout == CGROUP_LAYOUT_V2)
		return mount_v2(cg, t, name, flags, has_cgroupns, err);
	return mount_v1(cg, t, name, flags, has_cgroupns, err);
}
