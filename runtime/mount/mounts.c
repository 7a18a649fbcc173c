/* One config mount, and the mount primitives the rootfs code shares.
 *
 * Syscall budget (start-up time is benchmarked): a filesystem mount is one
 * mount(2) with its flags; a bind without attributes is one mount(2); a bind
 * with ro/nosuid/... is open_tree + mount_setattr + move_mount (atomic: the
 * mount is never visible writable), or bind + remount on kernels before 5.2.
 * Re-resolution of the destination happens only when a mount must be
 * changed after it was made (propagation, tmpcopyup, recursive attributes). */
#include "rootfs.h"
#include "../cgroup/cgroup.h"
#include "../cleanup.h"
#include "paths.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_open_tree
#define SYS_open_tree 428 /* the new mount API has one number on every architecture */
#define SYS_move_mount 429
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x04
#define MOVE_MOUNT_T_EMPTY_PATH 0x40
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x01
#define MOUNT_ATTR_NOSUID 0x02
#define MOUNT_ATTR_NODEV 0x04
#define MOUNT_ATTR_NOEXEC 0x08
#define MOUNT_ATTR__ATIME 0x70
#define MOUNT_ATTR_RELATIME 0x00
#define MOUNT_ATTR_NOATIME 0x10
#define MOUNT_ATTR_STRICTATIME 0x20
#define MOUNT_ATTR_NODIRATIME 0x80
#endif
#ifndef MOUNT_ATTR_NOSYMFOLLOW
#define MOUNT_ATTR_NOSYMFOLLOW 0x00200000
#endif
#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif
#ifndef ST_NOSYMFOLLOW
#define ST_NOSYMFOLLOW 0x2000
#endif
#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif

struct pith_mount_attr { /* struct mount_attr, VER0 */
	uint64_t attr_set;
	uint64_t attr_clr;
	uint64_t propagation;
	uint64_t userns_fd;
};

/* What this kernel lacks, learnt from the first ENOSYS. */
static bool no_open_tree, no_setattr;

#define PROPAGATION_MASK (MS_SHARED | MS_SLAVE | MS_PRIVATE | MS_UNBINDABLE)
/* Flags that are not per-mount options: never passed through from a config. */
#define NOT_OPTIONS (MS_BIND | MS_REC | MS_REMOUNT | MS_MOVE | PROPAGATION_MASK)

/* ---------- primitives ---------- */

const char *mnt_target_name(const struct mnt_target *t, int fd, char buf[32])
{
	return t->by_path ? t->path : path_fd_link(fd, buf);
}

int mnt_fs(const struct mnt_target *t, const char *src, const char *fstype, unsigned long flags,
	   const char *data)
{
	char buf[PATH_FD_LINK_MAX];
	if (mount(src, mnt_target_name(t, t->fd, buf), fstype, flags, data) < 0)
		return -errno;
	return 0;
}

int mnt_top(const struct mnt_target *t)
{
	return path_resolve_in_root(t->root_fd, t->path, 0, NULL);
}

void mnt_attrs_from_flags(unsigned long set, unsigned long clear, unsigned long long *aset,
			  unsigned long long *aclr)
{
	static const struct { unsigned long ms; unsigned long long attr; } map[] = {
		{ MS_RDONLY, MOUNT_ATTR_RDONLY },     { MS_NOSUID, MOUNT_ATTR_NOSUID },
		{ MS_NODEV, MOUNT_ATTR_NODEV },       { MS_NOEXEC, MOUNT_ATTR_NOEXEC },
		{ MS_NODIRATIME, MOUNT_ATTR_NODIRATIME }, { MS_NOSYMFOLLOW, MOUNT_ATTR_NOSYMFOLLOW },
	};
	*aset = *aclr = 0;
	for (size_t i = 0; i < sizeof(map) / sizeof(*map); i++) {
		if (set & map[i].ms)
			*aset |= map[i].attr;
		if (clear & map[i].ms)
			*aclr |= map[i].attr;
	}
	/* atime is one field: setting any value clears the field first. */
	if (set & (MS_NOATIME | MS_STRICTATIME | MS_RELATIME)) {
		*aclr |= MOUNT_ATTR__ATIME;
		*aset |= (set & MS_NOATIME) ? MOUNT_ATTR_NOATIME
		       : (set & MS_STRICTATIME) ? MOUNT_ATTR_STRICTATIME : MOUNT_ATTR_RELATIME;
	} else if (clear & (MS_NOATIME | MS_STRICTATIME)) {
		*aclr |= MOUNT_ATTR__ATIME; /* back to the default, relatime */
	}
}

static int sys_setattr_ns(int fd, bool recursive, unsigned long long set, unsigned long long clr,
			  unsigned long propagation, int userns_fd)
{
	struct pith_mount_attr a = { .attr_set = set, .attr_clr = clr, .propagation = propagation,
				     .userns_fd = (uint64_t)(userns_fd > 0 ? userns_fd : 0) };
	unsigned flags = AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0);
	return syscall(SYS_mount_setattr, fd, "", flags, &a, sizeof(a)) < 0 ? -errno : 0;
}

static int sys_setattr(int fd, bool recursive, unsigned long long set, unsigned long long clr,
		       unsigned long propagation)
{
	return sys_setattr_ns(fd, recursive, set, clr, propagation, 0);
}

/* The per-mount flags a mount has now, as MOUNT_ATTR_*. */
static unsigned long long statvfs_attrs(unsigned long f)
{
	unsigned long long a = 0;
	if (f & ST_RDONLY)
		a |= MOUNT_ATTR_RDONLY;
	if (f & ST_NOSUID)
		a |= MOUNT_ATTR_NOSUID;
	if (f & ST_NODEV)
		a |= MOUNT_ATTR_NODEV;
	if (f & ST_NOEXEC)
		a |= MOUNT_ATTR_NOEXEC;
	if (f & ST_NODIRATIME)
		a |= MOUNT_ATTR_NODIRATIME;
	if (f & ST_NOSYMFOLLOW)
		a |= MOUNT_ATTR_NOSYMFOLLOW;
	if (f & ST_NOATIME)
		a |= MOUNT_ATTR_NOATIME;
	else if (!(f & ST_RELATIME))
		a |= MOUNT_ATTR_STRICTATIME;
	return a;
}

static unsigned long attrs_ms(unsigned long long a)
{
	unsigned long ms = 0;
	if (a & MOUNT_ATTR_RDONLY)
		ms |= MS_RDONLY;
	if (a & MOUNT_ATTR_NOSUID)
		ms |= MS_NOSUID;
	if (a & MOUNT_ATTR_NODEV)
		ms |= MS_NODEV;
	if (a & MOUNT_ATTR_NOEXEC)
		ms |= MS_NOEXEC;
	if (a & MOUNT_ATTR_NODIRATIME)
		ms |= MS_NODIRATIME;
	if (a & MOUNT_ATTR_NOSYMFOLLOW)
		ms |= MS_NOSYMFOLLOW;
	switch (a & MOUNT_ATTR__ATIME) {
	case MOUNT_ATTR_NOATIME: ms |= MS_NOATIME; break;
	case MOUNT_ATTR_STRICTATIME: ms |= MS_STRICTATIME; break;
	default: ms |= MS_RELATIME; break;
	}
	return ms;
}

/* mount_setattr semantics with a classic remount: start from what the mount
 * has (statvfs), so flags the config does not mention, and flags locked by a
 * user namespace, stay as they are. */
static int remount_attrs(const struct mnt_target *t, int top_fd, unsigned long long set,
			 unsigned long long clr, const char **op)
{
	char buf[PATH_FD_LINK_MAX];
	const char *name = mnt_target_name(t, top_fd, buf);
	struct statvfs sv;
	*op = "statvfs";
	if (statvfs(name, &sv) < 0)
		return -errno;
	unsigned long long now = statvfs_attrs(sv.f_flag);
	unsigned long ms = attrs_ms((now & ~clr) | set);
	*op = "remount";
	if (mount(NULL, name, NULL, MS_REMOUNT | MS_BIND | ms, NULL) < 0)
		return -errno;
	return 0;
}

int mnt_setattr(const struct mnt_target *t, int top_fd, const struct mnt_attrs *a, const char **op)
{
	int r;
	if (a->rset || a->rclr) {
		*op = "mount_setattr";
		if (no_setattr)
			return -ENOSYS;
		r = sys_setattr(top_fd, true, a->rset, a->rclr, 0);
		if (r == -ENOSYS)
			no_setattr = true;
		if (r < 0)
			return r;
	}
	if (!a->set && !a->clr)
		return 0;
	if (!no_setattr) {
		*op = "mount_setattr";
		r = sys_setattr(top_fd, false, a->set, a->clr, 0);
		if (r != -ENOSYS)
			return r;
		no_setattr = true;
	}
	return remount_attrs(t, top_fd, a->set, a->clr, op);
}

static int set_propagation(const struct mnt_target *t, int top_fd, unsigned long propagation,
			   const char **op)
{
	char buf[PATH_FD_LINK_MAX];
	*op = "mount (propagation)";
	if (mount(NULL, mnt_target_name(t, top_fd, buf), NULL, propagation, NULL) < 0)
		return -errno;
	return 0;
}

static bool has_attrs(const struct mnt_attrs *a)
{
	/* A bare "rw"/"suid" clears nothing on a fresh bind of a writable
	 * source; like runc, only flags to set make a bind worth changing. */
	return a && (a->set || a->rset || a->rclr);
}

/* The new API: the clone gets its attributes while still detached, so the
 * container never sees it writable, and no re-resolution is needed. */
static int bind_tree(const struct mnt_target *t, int tree, const struct mnt_attrs *a,
		     unsigned long propagation, const char **op)
{
	bool late = false;
	int r;
	/* the idmap goes on while the clone is detached, as the kernel requires */
	if (a && a->userns_fd > 0) {
		*op = "mount_setattr(MOUNT_ATTR_IDMAP)";
		r = sys_setattr_ns(tree, a->idmap_recursive, MOUNT_ATTR_IDMAP, 0, 0, a->userns_fd);
		if (r < 0)
			return r;
	}
	if (a && (a->rset || a->rclr)) {
		*op = "mount_setattr";
		r = no_setattr ? -ENOSYS : sys_setattr(tree, true, a->rset, a->rclr, 0);
		if (r < 0)
			return r;
	}
	if (a && (a->set || a->clr)) {
		*op = "mount_setattr";
		r = no_setattr ? -ENOSYS : sys_setattr(tree, false, a->set, a->clr, 0);
		if (r == -ENOSYS) {
			no_setattr = true; /* 5.2 .. 5.11: remount once attached */
			late = true;
		} else if (r < 0) {
			return r;
		}
	}
	*op = "move_mount";
	if (syscall(SYS_move_mount, tree, "", t->fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return -errno;
	/* From here the tree fd is the attached mount's root. */
	struct mnt_target self = { .root_fd = t->root_fd, .path = t->path, .fd = tree, .by_path = t->by_path };
	if (late && (r = remount_attrs(&self, tree, a->set, a->clr, op)) < 0)
		return r;
	return propagation ? set_propagation(&self, tree, propagation, op) : 0;
}

static int bind_classic(const struct mnt_target *t, const char *src, int src_fd, bool recursive,
			const struct mnt_attrs *a, unsigned long propagation, const char **op)
{
	char sbuf[PATH_FD_LINK_MAX], tbuf[PATH_FD_LINK_MAX];
	const char *s = src_fd >= 0 && !t->by_path ? path_fd_link(src_fd, sbuf) : src;
	*op = "mount";
	if (mount(s, mnt_target_name(t, t->fd, tbuf), NULL, MS_BIND | (recursive ? MS_REC : 0), NULL) < 0)
		return -errno;
	if (!has_attrs(a) && !propagation)
		return 0;
	*op = "resolve the new mount";
	auto_fd top = mnt_top(t);
	if (top < 0)
		return top;
	int r = has_attrs(a) ? mnt_setattr(t, top, a, op) : 0;
	if (r == 0 && propagation)
		r = set_propagation(t, top, propagation, op);
	return r;
}

int mnt_bind(const struct mnt_target *t, const char *src, int src_fd, bool recursive,
	     const struct mnt_attrs *a, unsigned long propagation, const char **op)
{
	bool idmap = a && a->userns_fd > 0;
	if (idmap && no_open_tree)
		return -ENOSYS; /* idmapped mounts exist only in the new mount API */
	if (!idmap && ((!has_attrs(a) && !propagation) || no_open_tree))
		return bind_classic(t, src, src_fd, recursive, a, propagation, op);
	unsigned flags = OPEN_TREE_CLONE | O_CLOEXEC | (recursive ? AT_RECURSIVE : 0);
	int tree = src_fd >= 0 ? (int)syscall(SYS_open_tree, src_fd, "", flags | AT_EMPTY_PATH)
			       : (int)syscall(SYS_open_tree, AT_FDCWD, src, flags);
	if (tree < 0 && errno == ENOSYS && !idmap) {
		no_open_tree = true;
		return bind_classic(t, src, src_fd, recursive, a, propagation, op);
	}
	*op = "open_tree";
	if (tree < 0)
		return -errno;
	int r = bind_tree(t, tree, a, propagation, op);
	close(tree);
	return r;
}

/* ---------- one config mount ---------- */

const char *rootfs_mount_name(const struct spec *spec, size_t i, char *buf, size_t len)
{
	const struct spec_mount *m = &spec->mounts[i];
	const char *type = m->type ? m->type : (m->kind == SPEC_MOUNT_FS ? "none" : "bind");
	snprintf(buf, len, "mounts[%zu] (%s on %s type %s)", i, m->source ? m->source : "none",
		 m->destination, type);
	return buf;
}

static bool has_ns(const struct spec *spec, int type)
{
	return (spec->linux_.new_namespaces | spec->linux_.join_namespaces) & type;
}

bool rootfs_dest_is(const char *dest, const char *want)
{
	while (*want == '/')
		want++;
	for (;;) {
		while (*dest == '/' || (dest[0] == '.' && (dest[1] == '/' || !dest[1])))
			dest++;
		size_t n = strcspn(dest, "/");
		size_t wn = strcspn(want, "/");
		if (!n || !wn)
			return !n && !wn;
		if (n != wn || strncmp(dest, want, n))
			return false;
		dest += n;
		want += wn;
		while (*want == '/')
			want++;
	}
}

/* runc's list of procfs files a bind may cover (lxcfs and friends); any other
 * destination that resolves onto procfs is refused, so an image cannot turn
 * a mount into a write to /proc/self/attr or /proc/sys (CVE-2019-19921). */
static bool proc_dest_allowed(const char *host_path, const char *rootfs)
{
	static const char *const ok[] = {
		"/proc/cpuinfo", "/proc/diskstats", "/proc/meminfo", "/proc/stat", "/proc/swaps",
		"/proc/uptime", "/proc/loadavg", "/proc/slabinfo", "/proc/net/dev",
		"/proc/sys/kernel/ns_last_pid",
	};
	size_t rl = strlen(rootfs);
	while (rl > 1 && rootfs[rl - 1] == '/')
		rl--;
	if (strncmp(host_path, rootfs, rl) || host_path[rl] != '/')
		return false;
	for (size_t i = 0; i < sizeof(ok) / sizeof(*ok); i++)
		if (!strcmp(host_path + rl, ok[i]))
			return true;
	return false;
}

static int host_path_of(int fd, char *out, size_t len)
{
	char link[PATH_FD_LINK_MAX];
	ssize_t n = readlink(path_fd_link(fd, link), out, len - 1);
	if (n < 0)
		return -errno;
	if ((size_t)n >= len - 1)
		return -ENAMETOOLONG;
	out[n] = '\0';
	return 0;
}

/* devpts gets its own instance and a usable ptmx unless the config says
 * otherwise (old kernels share one instance without "newinstance"). */
static char *devpts_data(const char *data)
{
	const char *d = data ? data : "";
	bool has_new = strstr(d, "newinstance") != NULL;
	bool has_ptmx = strstr(d, "ptmxmode=") != NULL;
	char *out = NULL;
	if (asprintf(&out, "%s%s%s%s%s", d, *d && !has_new ? "," : "", has_new ? "" : "newinstance",
		     !has_ptmx ? "," : "", has_ptmx ? "" : "ptmxmode=0666") < 0)
		return NULL;
	return out;
}

struct entry {
	const struct rootfs_ctx *ctx;
	const struct spec_mount *m;
	char name[PATH_MAX + 256];
	struct mnt_target t;
};

static int fail_op(struct entry *e, struct pith_error *err, int r, const char *op)
{
	if (r == -ENOSYS && e->m->recursive_attrs && !strcmp(op, "mount_setattr"))
		return pith_fail(err, ENOSYS, "%s: recursive options (rro, rnosuid, ...) need mount_setattr "
				 "(Linux 5.12)", e->name);
	return pith_fail(err, -r, "%s: %s", e->name, op);
}

static int do_bind(struct entry *e, const char *src, bool recursive, unsigned long flags,
		   unsigned long clear, struct pith_error *err)
{
	const struct spec_mount *m = e->m;
	struct mnt_attrs a = { 0 };
	mnt_attrs_from_flags(flags, clear, &a.set, &a.clr);
	if (m->recursive_attrs) {
		a.rset = m->attr_set;
		a.rclr = m->attr_clr;
	}
	if (m->idmap) {
		size_t i = (size_t)(m - e->ctx->spec->mounts);
		if (!e->ctx->idmap_userns || e->ctx->idmap_userns[i] <= 0)
			return pith_fail(err, EINVAL, "%s: idmap: no user namespace was prepared", e->name);
		a.userns_fd = e->ctx->idmap_userns[i];
		a.idmap_recursive = m->idmap_recursive;
	}
	const char *op = "mount";
	int r = mnt_bind(&e->t, src, -1, recursive, &a, m->propagation, &op);
	return r < 0 ? fail_op(e, err, r, op) : 0;
}

/* After a filesystem mount: what can only be done to the mount itself. */
static int fs_after(struct entry *e, int from_fd, bool ro_later, struct pith_error *err)
{
	const struct spec_mount *m = e->m;
	const char *op = "resolve the new mount";
	auto_fd top = mnt_top(&e->t);
	if (top < 0)
		return fail_op(e, err, top, op);
	if (from_fd >= 0) {
		auto_fd to = openat(top, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (to < 0)
			return fail_op(e, err, -errno, "open for tmpcopyup");
		if (copyup_tree(from_fd, to, m->destination, err) < 0)
			return pith_wrap(err, "%s: tmpcopyup", e->name);
	}
	struct mnt_attrs a = { .set = ro_later ? MOUNT_ATTR_RDONLY : 0 };
	if (m->recursive_attrs) {
		a.rset = m->attr_set;
		a.rclr = m->attr_clr;
	}
	int r = mnt_setattr(&e->t, top, &a, &op);
	if (r == 0 && m->propagation)
		r = set_propagation(&e->t, top, m->propagation, &op);
	return r < 0 ? fail_op(e, err, r, op) : 0;
}

/* linux.mountLabel goes on every filesystem that takes a context= (runc
 * and crun leave out proc, sysfs and the cgroup filesystems). */
static bool wants_label(const struct rootfs_ctx *ctx, const char *type)
{
	static const char *const unlabelled[] = { "proc", "sysfs", "cgroup", "cgroup2" };
	if (!ctx->mount_label || !*ctx->mount_label || !type)
		return false;
	for (size_t i = 0; i < sizeof(unlabelled) / sizeof(*unlabelled); i++)
		if (!strcmp(type, unlabelled[i]))
			return false;
	return true;
}

static int do_fs(struct entry *e, struct pith_error *err)
{
	const struct spec_mount *m = e->m;
	const struct rootfs_ctx *ctx = e->ctx;
	unsigned long flags = m->flags & ~NOT_OPTIONS;
	const char *type = m->type;
	bool sysfs = type && !strcmp(type, "sysfs");
	/* Without its own network namespace, a user namespace may not mount
	 * sysfs: the host's, bound recursively, is what runc gives too. */
	if (sysfs && ctx->in_userns && !has_ns(ctx->spec, CLONE_NEWNET))
		return do_bind(e, "/sys", true, flags, m->clear_flags, err);

	auto_free char *data = NULL;
	const char *d = m->data;
	if (type && !strcmp(type, "devpts")) {
		data = devpts_data(m->data);
		if (!data)
			return pith_fail(err, ENOMEM, "%s", e->name);
		d = data;
	}
	auto_free char *labelled = NULL;
	if (wants_label(ctx, type)) {
		if (asprintf(&labelled, "%s%scontext=\"%s\"", d ? d : "", d && *d ? "," : "", ctx->mount_label) < 0)
			return pith_fail(err, ENOMEM, "%s", e->name);
		d = labelled;
	}
	bool copyup = m->tmpcopyup && type && !strcmp(type, "tmpfs");
	/* Filled after mounting: mount rw, make read-only once filled.
	 * A read-only /dev is made so by rootfs_finalize, after the devices. */
	bool ro_later = copyup && (flags & MS_RDONLY);
	if (ro_later || rootfs_dest_is(m->destination, "/dev"))
		flags &= ~MS_RDONLY;
	auto_fd from = -1;
	if (copyup) {
		from = openat(e->t.fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (from < 0)
			return fail_op(e, err, -errno, "open for tmpcopyup");
	}
	const char *src = m->source ? m->source : (type ? type : "none");
	int r = mnt_fs(&e->t, src, type, flags, d);
	if (r == -EPERM && sysfs && ctx->in_userns)
		return do_bind(e, "/sys", true, flags, m->clear_flags, err);
	if (r < 0)
		return fail_op(e, err, r, "mount");
	if (copyup || ro_later || m->recursive_attrs || m->propagation)
		return fs_after(e, from, ro_later, err);
	return 0;
}

static int do_cgroup(struct entry *e, struct pith_error *err)
{
	const struct rootfs_ctx *ctx = e->ctx;
	if (ctx->before_cgroup_mount && ctx->before_cgroup_mount(ctx->before_cgroup_arg, err) < 0)
		return -1;
	bool cgns = has_ns(e->ctx->spec, CLONE_NEWCGROUP);
	if (cgroup_mount_fs(e->ctx->cgroup, &e->t, e->m->destination, e->m->flags & ~NOT_OPTIONS, cgns,
			    err) < 0)
		return pith_wrap(err, "%s", e->name);
	return 0;
}

static int check_dest(struct entry *e, struct pith_error *err)
{
	struct statfs sf;
	if (fstatfs(e->t.fd, &sf) < 0)
		return fail_op(e, err, -errno, "statfs");
	if (sf.f_type != PROC_SUPER_MAGIC)
		return 0;
	char host[PATH_MAX];
	if (host_path_of(e->t.fd, host, sizeof(host)) == 0 && proc_dest_allowed(host, e->ctx->rootfs))
		return 0;
	return pith_fail(err, EPERM, "%s: destination is inside /proc (only a few /proc files may be covered)",
			 e->name);
}

static int open_dest(struct entry *e, int root_fd, bool bind, const char *src, struct pith_error *err)
{
	int cflags = PATH_CREATE_DIR;
	if (bind) {
		struct stat st;
		if (!src)
			return pith_fail(err, EINVAL, "%s: a bind mount needs a source", e->name);
		if (stat(src, &st) < 0)
			return pith_fail(err, errno, "%s: source %s", e->name, src);
		if (!S_ISDIR(st.st_mode))
			cflags = PATH_CREATE_FILE;
	}
	e->t = (struct mnt_target){ .root_fd = root_fd, .path = e->m->destination, .fd = -1 };
	e->t.fd = path_resolve_in_root(root_fd, e->m->destination, cflags, err);
	if (e->t.fd < 0)
		return pith_wrap(err, "%s", e->name);
	return check_dest(e, err);
}

static bool is_root(int fd, const struct stat *root_st)
{
	struct stat st;
	return fstat(fd, &st) == 0 && st.st_dev == root_st->st_dev && st.st_ino == root_st->st_ino;
}

/* Lookups from the old root fd would start under the mount just put on it. */
static int reopen_root(const struct rootfs_ctx *ctx, int *root_fd, struct stat *root_st, const char *name,
		       struct pith_error *err)
{
	int fd = open(ctx->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, root_st) < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return pith_fail(err, e, "%s: reopen the rootfs %s", name, ctx->rootfs);
	}
	close(*root_fd);
	*root_fd = fd;
	return 0;
}

int mount_config_entry(const struct rootfs_ctx *ctx, int *root_fd, struct stat *root_st, size_t i,
		       struct pith_error *err)
{
	struct entry e = { .ctx = ctx, .m = &ctx->spec->mounts[i], .t.fd = -1 };
	const struct spec_mount *m = e.m;
	rootfs_mount_name(ctx->spec, i, e.name, sizeof(e.name));
	bool bind = m->kind != SPEC_MOUNT_FS;
	int r = open_dest(&e, *root_fd, bind, m->source, err);
	if (r == 0) {
		bool on_root = is_root(e.t.fd, root_st);
		bool cgroup = !bind && m->type && (!strcmp(m->type, "cgroup") || !strcmp(m->type, "cgroup2"));
		if (bind)
			r = do_bind(&e, m->source, m->kind == SPEC_MOUNT_RBIND, m->flags & ~NOT_OPTIONS,
				    m->clear_flags, err);
		else if (cgroup)
			r = do_cgroup(&e, err);
		else
			r = do_fs(&e, err);
		if (r == 0 && on_root)
			r = reopen_root(ctx, root_fd, root_st, e.name, err);
	}
	if (e.t.fd >= 0)
		close(e.t.fd);
	return r;
}

bool rootfs_own_mount_ns(const struct spec *spec)
{
	return (spec->linux_.new_namespaces & CLONE_NEWNS) != 0;
}

/* Without a mount namespace made for it the container gets no rootfs setup
 * (runc): whatever needs one is refused by name rather than done to the
 * caller's mounts or silently dropped. */
static int needs_own_mount_ns(const struct spec *spec, struct pith_error *err)
{
	const struct spec_linux *l = &spec->linux_;
	const char *field = spec->n_mounts ? "mounts"
			  : l->masked_paths.n ? "linux.maskedPaths"
			  : l->readonly_paths.n ? "linux.readonlyPaths"
			  : spec->root.readonly ? "root.readonly"
			  : l->rootfs_propagation ? "linux.rootfsPropagation"
			  : l->n_devices ? "linux.devices"
			  : NULL;
	if (!field)
		return 0;
	return pith_fail(err, EINVAL, "%s: needs a mount namespace of the container's own (a \"mount\" entry "
			 "without \"path\" in linux.namespaces); without one pith does no rootfs setup", field);
}

int rootfs_validate(const struct spec *spec, struct pith_error *err)
{
	char name[PATH_MAX + 256];
	if (!rootfs_own_mount_ns(spec) && needs_own_mount_ns(spec, err) < 0)
		return -1;
	for (size_t i = 0; i < spec->n_mounts; i++) {
		const struct spec_mount *m = &spec->mounts[i];
		if (m->idmap && m->kind == SPEC_MOUNT_FS)
			return pith_fail(err, EINVAL, "%s: idmap needs a bind mount",
					 rootfs_mount_name(spec, i, name, sizeof(name)));
		if (m->idmap && !(m->uid_mappings.n || spec->linux_.uid_mappings.n))
			return pith_fail(err, EINVAL, "%s: idmap needs uidMappings and gidMappings (on the mount or "
					 "in linux)", rootfs_mount_name(spec, i, name, sizeof(name)));
	}
	return 0;
}
