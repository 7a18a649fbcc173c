/* Resolving paths inside a container's root without leaving it.
 *
 * Every path the runtime touches inside a rootfs (mount destinations,
 * devices, masked paths) comes from an image that may be hostile: a
 * destination like /etc/x may be a symlink to "/" or "../../..", and a
 * runtime that follows it with the host's root as its root writes to the
 * host (the runc CVE-2021-30465 class). Here, `root_fd` is the floor: "/",
 * ".." and absolute symlink targets all mean root_fd, never the host's /.
 *
 * openat2(RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS) does this in one syscall
 * (Linux 5.6); older kernels (common on boards) get a component walk with
 * O_PATH fds that reads symlinks itself. The result is an O_PATH fd to mount
 * on (through /proc/self/fd/N or move_mount), never a path string that the
 * kernel would resolve again. */
#ifndef PITH_PATHS_H
#define PITH_PATHS_H

#include <stddef.h>

#include "../error.h"

enum {
	PATH_CREATE_DIR = 1 << 0,    /* create missing components as directories (0755) */
	PATH_CREATE_FILE = 1 << 1,   /* create missing parents as directories, the last one
	                              * as an empty regular file (bind mounts of files) */
	PATH_NOFOLLOW_LAST = 1 << 2, /* a symlink as the last component is returned, not followed */
};

/* Resolve `path` (absolute or relative: both mean inside the root) under
 * root_fd. Returns an O_PATH|O_CLOEXEC fd (>= 0), or a negative errno with
 * err saying "PATH: resolve in the container root" plus the errno. */
int path_resolve_in_root(int root_fd, const char *path, int flags, struct pith_error *err);

/* The fallback walk alone, whatever the kernel offers (so tests cover both). */
int path_resolve_in_root_walk(int root_fd, const char *path, int flags, struct pith_error *err);

/* Resolve the directory that holds the last component of `path` (creating
 * missing directories when flags has PATH_CREATE_DIR) and copy that last
 * component into base. For mknodat/symlinkat/unlinkat on a safe parent.
 * The last component must be a plain name: "/", "." and ".." are EINVAL. */
int path_resolve_parent_in_root(int root_fd, const char *path, int flags, char *base, size_t base_len,
				struct pith_error *err);

/* After chdir(process.cwd): fail unless the working directory is below the
 * process's root. A cwd like /proc/self/fd/N through an fd pith still holds
 * would otherwise start the container outside its root (CVE-2024-21626). */
int path_check_cwd_in_root(const char *cwd, struct pith_error *err);

/* "/proc/self/fd/N": the name under which mount(2) reaches what fd refers to. */
#define PATH_FD_LINK_MAX 32
const char *path_fd_link(int fd, char buf[PATH_FD_LINK_MAX]);

#endif
