/* Everything the container's init does to its filesystem.
 *
 * Called in the init (cloned with CLONE_NEWNS and the other namespaces,
 * single-threaded, root in its user namespace), in this order, and only
 * when that mount namespace was made for the container (rootfs_own_mount_ns;
 * sysctl_apply runs either way):
 *
 *   rootfs_prepare   host mounts stop propagating in; the rootfs is bound on
 *                    itself; config mounts in order; default devices,
 *                    linux.devices, /dev symlinks, /dev/ptmx
 *   rootfs_pivot     pivot_root (or MS_MOVE + chroot), chdir("/")
 *   sysctl_apply     (sysctl.c) linux.sysctl, while /proc/sys is writable
 *   rootfs_finalize  readonlyPaths, maskedPaths, rootfsPropagation, a
 *                    read-only /dev or root
 *
 * sysctl_validate runs in the parent, before anything is created.
 *
 * Destinations are resolved with paths.h (no symlink leaves the rootfs) and
 * mounts go onto the resolved fd, never onto a path string. */
#ifndef PITH_ROOTFS_H
#define PITH_ROOTFS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "../error.h"
#include "../../config/spec.h"

struct cgroup;

struct rootfs_ctx {
	const struct spec *spec;
	const char *rootfs;          /* absolute host path of the rootfs (bundle/root.path resolved) */
	const char *bundle;          /* absolute host path of the bundle: relative bind sources and
	                              * relative overlay lowerdir/upperdir/workdir are relative to it
	                              * (runc runs its init with the bundle as cwd); NULL: the cwd */
	bool no_pivot;               /* --no-pivot: MS_MOVE + chroot */
	bool in_userns;              /* devices are bind-mounted from the host, not mknod'ed */
	const struct cgroup *cgroup;
	const char *mount_label;     /* linux.mountLabel when SELinux is enabled, else NULL */
	const int *idmap_userns;     /* per mount: user namespace fd for idmap mounts (idmap_prepare) */
	/* Called once, before the first cgroup/cgroup2 mount: the init waits
	 * there until the parent has put it in its cgroup (and unshares its
	 * cgroup namespace), so everything before overlaps with that join. */
	int (*before_cgroup_mount)(void *arg, struct pith_error *err);
	void *before_cgroup_arg; /* for "cgroup"/"cgroup2" mounts (cgroup_mount_fs) */
};

/* In the parent, before anything is created: what the init would refuse
 * (idmapped mounts, for now), so a bad config fails with nothing to undo. */
int rootfs_validate(const struct spec *spec, struct pith_error *err);
/* Did the config ask for a new mount namespace? Without one (none, or one
 * joined by path) the init does no rootfs setup at all, as runc: no mount,
 * pivot_root or chroot; the process runs in that namespace's root, its cwd
 * resolved there. rootfs_validate refuses mounts, linux.maskedPaths,
 * linux.readonlyPaths, root.readonly, linux.rootfsPropagation and
 * linux.devices then. */
bool rootfs_own_mount_ns(const struct spec *spec);

int rootfs_prepare(const struct rootfs_ctx *ctx, struct pith_error *err);
/* pivot_root(".", ".") + umount2(".", MNT_DETACH); MS_MOVE + chroot with
 * --no-pivot or when the host root is an initramfs (pivot_root is EINVAL
 * there). chdir("/") after. */
int rootfs_pivot(const struct rootfs_ctx *ctx, struct pith_error *err);
int rootfs_finalize(const struct rootfs_ctx *ctx, struct pith_error *err);

/* devices.c: with process.terminal, bind the pty slave onto /dev/console
 * (config-linux.md), after rootfs_pivot and BEFORE rootfs_finalize (which may
 * make / or /dev read-only). Needs /proc in the container. */
int rootfs_bind_console(int slave_fd, struct pith_error *err);

/* sysctl.c. validate: in the parent, each key must belong to a namespace the
 * container gets of its own (kernel.msg*, kernel.sem, kernel.shm*,
 * fs.mqueue.*: ipc; net.*: net, not the host's; kernel.domainname and
 * kernel.hostname (when "hostname" is not set): uts; user.*: user).
 * apply: after the pivot, writes /proc/sys/... */
int sysctl_validate(const struct spec *spec, struct pith_error *err);
int sysctl_apply(const struct spec *spec, struct pith_error *err);
/* "net.ipv4.ip_forward" -> "net/ipv4/ip_forward" (a key already written with
 * '/' separators keeps its dots). EINVAL for empty, "." or ".." parts. */
int sysctl_key_to_path(const char *key, char *out, size_t out_len);

/* ---------- shared by rootfs.c, mounts.c, devices.c, copyup.c (not for other modules) ---------- */

/* "mounts[3] (proc on /proc type proc)", for messages. */
const char *rootfs_mount_name(const struct spec *spec, size_t i, char *buf, size_t len);

/* Lexically, is dest (relative means relative to "/") the path want ("/dev")? */
bool rootfs_dest_is(const char *dest, const char *want);

/* mounts.c: mounts[i], resolved under *root_fd (the rootfs, whose stat is
 * *root_st). When the mount lands on the root itself (destination "/", or a
 * symlink to it), both are renewed so later lookups start on the new mount. */
int mount_config_entry(const struct rootfs_ctx *ctx, int *root_fd, struct stat *root_st, size_t i,
		       struct pith_error *err);

/* mounts.c: mount primitives. A mount goes onto t->fd (an O_PATH fd from
 * path_resolve_in_root) through "/proc/self/fd/N", or with move_mount.
 * /proc/self/fd/N names what the fd was opened on, not a mount stacked
 * there since, so changing a new mount re-resolves t->path from t->root_fd
 * (mnt_top). After the pivot, a container without /proc uses the path
 * strings themselves (by_path): resolution is inside its root by then. */
struct mnt_target {
	int root_fd;
	const char *path;
	int fd;
	bool by_path;
};
struct mnt_attrs {                     /* MOUNT_ATTR_* */
	unsigned long long set, clr;   /* the top mount */
	unsigned long long rset, rclr; /* the whole tree (rro, rnosuid, ...) */
	int userns_fd;                 /* > 0: idmap the mount with this namespace's mappings */
	bool idmap_recursive;          /* ridmap: every mount of the tree */
};
/* idmap.c: a user namespace fd carrying exactly these mappings. */
int idmap_userns_fd(const struct spec_id_mappings *uids, const struct spec_id_mappings *gids,
		    struct pith_error *err);
/* For each idmap mount of spec, the fd of a user namespace with its
 * mappings (the mount's own, else linux.uid/gidMappings); 0 for the others.
 * Made by the parent, in the host's pid namespace, before clone. *out is
 * NULL when no mount needs one. */
int idmap_prepare(const struct spec *spec, int **out, struct pith_error *err);
void idmap_release(int *fds, size_t n);
/* The string mount(2) takes for t (fd: t->fd or a re-resolved one). */
const char *mnt_target_name(const struct mnt_target *t, int fd, char buf[32]);
/* mount(2) onto t. Returns 0 or -errno. */
int mnt_fs(const struct mnt_target *t, const char *src, const char *fstype, unsigned long flags,
	   const char *data);
/* Bind src_fd (or, when it is -1 or /proc is missing, the path src) onto t, with attributes
 * and propagation (MS_SHARED... | MS_REC, 0 for none): open_tree +
 * mount_setattr + move_mount when the kernel has them, else bind + remount.
 * Only a bind without attributes takes the single mount(2). On failure *op
 * names the syscall. Returns 0 or -errno. */
int mnt_bind(const struct mnt_target *t, const char *src, int src_fd, bool recursive,
	     const struct mnt_attrs *a, unsigned long propagation, const char **op);
/* An O_PATH fd on the mount now at t (re-resolved), or -errno. */
int mnt_top(const struct mnt_target *t);
/* Change the attributes of the mount whose root top_fd is (mount_setattr,
 * else a remount that keeps the flags it does not change, so flags locked
 * in a user namespace stay set). Returns 0 or -errno. */
int mnt_setattr(const struct mnt_target *t, int top_fd, const struct mnt_attrs *a, const char **op);
/* MS_* (from a config's flags) to MOUNT_ATTR_* for set/clr. */
void mnt_attrs_from_flags(unsigned long set, unsigned long clear, unsigned long long *aset,
			  unsigned long long *aclr);

/* devices.c: default devices, linux.devices, /dev symlinks, /dev/ptmx. */
int devices_setup(const struct rootfs_ctx *ctx, int root_fd, struct pith_error *err);

/* copyup.c: copy the directory tree `from` into `to` (tmpcopyup), keeping
 * modes, owners and symlinks. */
int copyup_tree(int from_dirfd, int to_dirfd, const char *what, struct pith_error *err);

#endif
