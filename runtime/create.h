/* The parent's half of `create`: bundle in, a container waiting on its exec
 * fifo out, or an error with nothing left behind. */
#ifndef PITH_CREATE_H
#define PITH_CREATE_H

#include <stdbool.h>

#include "../config/spec.h"
#include "container.h"

struct create_opts {
	const char *id;
	const char *bundle;          /* NULL: the current directory */
	const char *config;          /* --config, relative to the bundle; NULL: config.json */
	const char *pid_file;
	const char *console_socket;
	int *own_terminal;           /* pith run: when process.terminal and no console socket,
	                              * receive the pty master on the socket stored here */
	int preserve_fds;
	bool no_pivot;
	bool no_new_keyring;
};

/* On success *out is the new container, locked, status created. */
int container_create(const struct pith_globals *g, const struct create_opts *o, struct container **out,
		     struct pith_error *err);

/* Write a pid file atomically (runc semantics: path relative to the cwd). */
int write_pid_file(const char *path, pid_t pid, struct pith_error *err);

#endif
