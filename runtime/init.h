/* The container's init: the cloned child of `create`, still running pith
 * code, that builds the container from inside and then becomes process.args. */
#ifndef PITH_INIT_H
#define PITH_INIT_H

#include <stdbool.h>

#include "../config/spec.h"

struct cgroup;
struct seccomp_program;

struct init_args {
	const struct spec *spec;
	const char *rootfs;            /* absolute host path */
	const char *bundle;            /* absolute; relative mount sources start here */
	int sync_fd;                   /* child's end of the sync socketpair */
	int fifo_fd;                   /* O_PATH of <state>/exec.fifo; -1 for run without a fifo */
	int console_fd;                /* connected --console-socket, or -1 */
	int preserve_fds;              /* --preserve-fds N: keep 3..3+N-1 */
	bool no_pivot;
	bool new_keyring;
	bool new_userns;               /* created a user namespace (ids mapped by the parent) */
	bool setgroups_allowed;
	const struct cgroup *cgroup;
	const int *idmap_userns;       /* per mount, for idmap mounts; NULL when none */
	const struct seccomp_program *seccomp;
};

/* Never returns: execs process.args, or exits non-zero after reporting the
 * error over sync_fd (before READY) or on stderr (after). */
__attribute__((noreturn)) void init_main(const struct init_args *a);

#endif
