/* /dev in the container: the default devices every OCI container gets,
 * linux.devices, the /dev/fd and stdio symlinks, /dev/ptmx.
 *
 * Nodes are made with mknodat on a parent resolved inside the rootfs. In a
 * user namespace mknod of a device is refused, so the host's node is bound
 * onto an empty file instead (as runc and crun do). */
#include "rootfs.h"
#include "../cleanup.h"
#include "paths.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

struct node {
	const char *path;
	char type;            /* 'c', 'b', 'u', 'p' */
	int64_t major, minor;
	mode_t mode;
	bool has_uid, has_gid;
	uid_t uid;
	gid_t gid;
	char what[PATH_MAX + 64]; /* for messages */
};

static const struct { const char *path; unsigned major, minor; } default_devices[] = {
	{ "/dev/null", 1, 3 },    { "/dev/zero", 1, 5 },    { "/dev/full", 1, 7 },
	{ "/dev/random", 1, 8 },  { "/dev/urandom", 1, 9 }, { "/dev/tty", 5, 0 },
};

static mode_t node_fmt(char type)
{
	switch (type) {
	case 'b': return S_IFBLK;
	case 'p': return S_IFIFO;
	default: return S_IFCHR;
	}
}

/* Something is already there: fine if it is the very node asked for. */
static int check_existing(int parent, const char *base, const struct node *n, struct pith_error *err)
{
	struct stat st;
	if (fstatat(parent, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return pith_fail(err, errno, "%s: stat", n->what);
	mode_t fmt = node_fmt(n->type);
	bool same = (st.st_mode & S_IFMT) == fmt &&
		    (fmt == S_IFIFO || st.st_rdev == makedev((unsigned)n->major, (unsigned)n->minor));
	if (!same)
		return pith_fail(err, EEXIST, "%s: a different file is already there", n->what);
	return 0;
}

/* An empty regular file is a bind target (maybe left by an earlier
 * container on an image /dev that is not a tmpfs). */
static int bind_target_ready(int parent, const char *base, const struct node *n, bool *bind,
			     struct pith_error *err)
{
	struct stat st;
	*bind = true;
	int fd = openat(parent, base, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	if (errno != EEXIST)
		return pith_fail(err, errno, "%s: create the bind target", n->what);
	if (fstatat(parent, base, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) && st.st_size == 0)
		return 0;
	*bind = false; /* the node itself is there already, or the call fails */
	return check_existing(parent, base, n, err);
}

static int bind_host_node(int root_fd, int parent, const char *base, const struct node *n,
			  struct pith_error *err)
{
	bool bind;
	int r = bind_target_ready(parent, base, n, &bind, err);
	if (r < 0 || !bind)
		return r;
	struct mnt_target t = { .root_fd = root_fd, .path = n->path };
	t.fd = openat(parent, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (t.fd < 0)
		return pith_fail(err, errno, "%s: open the bind target", n->what);
	const char *op = "mount";
	r = mnt_bind(&t, n->path, -1, false, NULL, 0, &op);
	close(t.fd);
	if (r < 0)
		return pith_fail(err, -r, "%s: bind the host's node: %s", n->what, op);
	return 0;
}

static int make_node_at(const struct rootfs_ctx *ctx, int root_fd, int parent, const char *base,
			const struct node *n, struct pith_error *err)
{
	mode_t fmt = node_fmt(n->type);
	if (ctx->in_userns && fmt != S_IFIFO)
		return bind_host_node(root_fd, parent, base, n, err);
	dev_t dev = fmt == S_IFIFO ? 0 : makedev((unsigned)n->major, (unsigned)n->minor);
	if (mknodat(parent, base, fmt | (n->mode & 07777), dev) < 0) {
		if (errno == EEXIST)
			return check_existing(parent, base, n, err);
		if (errno == EPERM && fmt != S_IFIFO) /* no CAP_MKNOD here: borrow the host's node */
			return bind_host_node(root_fd, parent, base, n, err);
		return pith_fail(err, errno, "%s: mknod", n->what);
	}
	if ((n->has_uid || n->has_gid) &&
	    fchownat(parent, base, n->has_uid ? n->uid : (uid_t)-1, n->has_gid ? n->gid : (gid_t)-1,
		     AT_SYMLINK_NOFOLLOW) < 0)
		return pith_fail(err, errno, "%s: chown", n->what);
	return 0;
}

static int make_node(const struct rootfs_ctx *ctx, int root_fd, const struct node *n, struct pith_error *err)
{
	char base[NAME_MAX + 1];
	auto_fd parent = path_resolve_parent_in_root(root_fd, n->path, PATH_CREATE_DIR, base, sizeof(base), err);
	if (parent < 0)
		return pith_wrap(err, "%s", n->what);
	return make_node_at(ctx, root_fd, parent, base, n, err);
}

static bool overridden(const struct spec *spec, const char *path)
{
	for (size_t i = 0; i < spec->linux_.n_devices; i++)
		if (rootfs_dest_is(spec->linux_.devices[i].path, path))
			return true;
	return false;
}

static int default_nodes(const struct rootfs_ctx *ctx, int root_fd, int dev, struct pith_error *err)
{
	for (size_t i = 0; i < sizeof(default_devices) / sizeof(*default_devices); i++) {
		if (overridden(ctx->spec, default_devices[i].path))
			continue;
		struct node n = { .path = default_devices[i].path, .type = 'c', .mode = 0666,
				  .major = default_devices[i].major, .minor = default_devices[i].minor };
		snprintf(n.what, sizeof(n.what), "default device %s", n.path);
		if (make_node_at(ctx, root_fd, dev, n.path + strlen("/dev/"), &n, err) < 0)
			return -1;
	}
	return 0;
}

static int config_nodes(const struct rootfs_ctx *ctx, int root_fd, struct pith_error *err)
{
	const struct spec_linux *l = &ctx->spec->linux_;
	for (size_t i = 0; i < l->n_devices; i++) {
		const struct spec_device *d = &l->devices[i];
		struct node n = {
			.path = d->path, .type = d->type, .major = d->major, .minor = d->minor,
			.mode = d->file_mode.set ? (mode_t)d->file_mode.v : 0666,
			.has_uid = d->uid.set, .uid = (uid_t)d->uid.v,
			.has_gid = d->gid.set, .gid = (gid_t)d->gid.v,
		};
		snprintf(n.what, sizeof(n.what), "linux.devices[%zu] (%s)", i, d->path);
		if (make_node(ctx, root_fd, &n, err) < 0)
			return -1;
	}
	return 0;
}

/* runtime-linux.md's /dev symlinks, /dev/core when the host has a kcore
 * (runc's rule), and /dev/ptmx onto the container's own devpts. */
static int dev_links(int dev, struct pith_error *err)
{
	static const char *const links[][2] = {
		{ "/proc/self/fd", "fd" },       { "/proc/self/fd/0", "stdin" },
		{ "/proc/self/fd/1", "stdout" }, { "/proc/self/fd/2", "stderr" },
		{ "/proc/kcore", "core" },
	};
	size_t n = sizeof(links) / sizeof(*links);
	if (access("/proc/kcore", F_OK) < 0)
		n--;
	for (size_t i = 0; i < n; i++)
		if (symlinkat(links[i][0], dev, links[i][1]) < 0 && errno != EEXIST)
			return pith_fail(err, errno, "/dev/%s: symlink to %s", links[i][1], links[i][0]);
	if (unlinkat(dev, "ptmx", 0) < 0 && errno != ENOENT)
		return pith_fail(err, errno, "/dev/ptmx: remove");
	if (symlinkat("pts/ptmx", dev, "ptmx") < 0)
		return pith_fail(err, errno, "/dev/ptmx: symlink to pts/ptmx");
	return 0;
}

/* A config that binds the host's /dev brings its own nodes (runc skips the
 * setup then too). */
static bool dev_is_bound(const struct spec *spec)
{
	for (size_t i = 0; i < spec->n_mounts; i++)
		if (spec->mounts[i].kind != SPEC_MOUNT_FS && rootfs_dest_is(spec->mounts[i].destination, "/dev"))
			return true;
	return false;
}

int devices_setup(const struct rootfs_ctx *ctx, int root_fd, struct pith_error *err)
{
	bool setup_dev = !dev_is_bound(ctx->spec);
	auto_fd dev = -1;
	if (setup_dev && (dev = path_resolve_in_root(root_fd, "/dev", PATH_CREATE_DIR, err)) < 0)
		return -1;
	mode_t old = umask(0); /* modes exactly as asked */
	int r = setup_dev ? default_nodes(ctx, root_fd, dev, err) : 0;
	if (r == 0)
		r = config_nodes(ctx, root_fd, err);
	umask(old);
	if (r == 0 && setup_dev)
		r = dev_links(dev, err);
	return r;
}

int rootfs_bind_console(int slave_fd, struct pith_error *err)
{
	auto_fd root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return pith_fail(err, errno, "/dev/console: open the container's /");
	struct mnt_target t = { .root_fd = root, .path = "/dev/console" };
	t.fd = path_resolve_in_root(root, "/dev/console", PATH_CREATE_FILE, err);
	if (t.fd < 0)
		return -1;
	const char *op = "mount";
	int r = mnt_bind(&t, NULL, slave_fd, false, NULL, 0, &op);
	close(t.fd);
	if (r < 0)
		return pith_fail(err, -r, "/dev/console: bind the terminal: %s", op);
	return 0;
}
