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
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"
#include "cleanup.h"

#define BASE_FLAGS (MS_NOSUID | MS_NODEV | MS_NOEXEC)

static int mount_v2(const struct cgroup *cg, const char *dest, unsigned long flags, bool has_cgroupns,
		    struct pith_error *err)
{
	unsigned long f = BASE_FLAGS | (flags & MS_RDONLY);
	if (mount("cgroup2", dest, "cgroup2", f, NULL) == 0)
		return 0;
	int e = errno;
	const struct cgroup_hier *h = cgroup_v2_hier(cg);
	if (has_cgroupns || !h)
		return pith_fail(err, e, "mounting cgroup2 on %s", dest);
	/* No namespace and no fresh mount allowed (e.g. a user namespace):
	 * the whole host tree, never the leaf alone. */
	if (mount(h->mount, dest, NULL, MS_BIND | MS_REC, NULL) < 0)
		return pith_fail(err, errno, "bind-mounting %s on %s", h->mount, dest);
	if ((flags & MS_RDONLY) && mount(NULL, dest, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | BASE_FLAGS, NULL) < 0)
		return pith_fail(err, errno, "remounting %s read-only", dest);
	return 0;
}

static const char *dir_name(const struct cgroup_hier *h)
{
	const char *b = strrchr(h->mount, '/');
	return b ? b + 1 : h->mount;
}

static int one_v1(const struct cgroup *cg, const struct cgroup_hier *h, int dfd, const char *dest,
		  unsigned long ro, bool has_cgroupns, struct pith_error *err)
{
	const char *name = dir_name(h);
	char target[4096];
	snprintf(target, sizeof(target), "%s/%s", dest, name);
	if (!has_cgroupns && !h->joined)
		return 0; /* it would show the creator's cgroup: leave it out */
	if (mkdirat(dfd, name, 0755) < 0 && errno != EEXIST)
		return pith_fail(err, errno, "mkdir %s", target);
	if (has_cgroupns) {
		if (mount("cgroup", target, "cgroup", BASE_FLAGS | ro, h->name) < 0)
			return pith_fail(err, errno, "mounting cgroup (%s) on %s", h->name, target);
	} else {
		char src[4096];
		snprintf(src, sizeof(src), "%s%s", h->mount, cg->path);
		if (mount(src, target, NULL, MS_BIND, NULL) < 0)
			return pith_fail(err, errno, "bind-mounting %s on %s", src, target);
		if (ro && mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | BASE_FLAGS, NULL) < 0)
			return pith_fail(err, errno, "remounting %s read-only", target);
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

static int mount_v1(const struct cgroup *cg, const char *dest, unsigned long flags, bool has_cgroupns,
		    struct pith_error *err)
{
	unsigned long ro = flags & MS_RDONLY;
	if (mount("tmpfs", dest, "tmpfs", BASE_FLAGS, "mode=755,size=64k") < 0)
		return pith_fail(err, errno, "mounting tmpfs on %s for the cgroup v1 hierarchies", dest);
	auto_fd dfd = open(dest, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (dfd < 0)
		return pith_fail(err, errno, "open %s", dest);
	for (size_t k = 0; k < cg->n; k++) {
		const struct cgroup_hier *h = &cg->h[k];
		if (!h->v2 && one_v1(cg, h, dfd, dest, ro, has_cgroupns, err) < 0)
			return -1;
	}
	const struct cgroup_hier *v2 = cgroup_v2_hier(cg);
	if (v2) {
		char target[4096];
		snprintf(target, sizeof(target), "%s/unified", dest);
		if (mkdirat(dfd, "unified", 0755) < 0 && errno != EEXIST)
			return pith_fail(err, errno, "mkdir %s", target);
		/* Without a namespace a fresh mount shows the whole tree (mount
		 * root "/"): consistent, never the leaf-as-mount-point layout. */
		if (mount("cgroup2", target, "cgroup2", BASE_FLAGS | ro, NULL) < 0 && has_cgroupns)
			return pith_fail(err, errno, "mounting cgroup2 on %s", target);
	}
	if (ro && mount(NULL, dest, NULL, MS_REMOUNT | MS_RDONLY | BASE_FLAGS, "mode=755,size=64k") < 0)
		return pith_fail(err, errno, "remounting %s read-only", dest);
	return 0;
}

int cgroup_mount_fs(const struct cgroup *cg, const char *dest, unsigned long flags, bool has_cgroupns,
		    struct pith_error *err)
{
	if (cg->layout == CGROUP_LAYOUT_V2)
		return mount_v2(cg, dest, flags, has_cgroupns, err);
	return mount_v1(cg, dest, flags, has_cgroupns, err);
}
