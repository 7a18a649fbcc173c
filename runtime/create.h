/* The parent's half of `create`: bundle in, a container waiting on its exec
 * fifo out, or an error with nothing left behind. */
#ifndef PITH_CREATE_H
#define PITH_CREATE_H

#include <stdbool.h>

#include "../config/spec.h"
#include "commands.h"
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

/* Remove <root>/<id> (a flat directory pith made) and everything in it. */
void container_remove_dir(int parent_fd, const char *id);

/* The OCI state JSON (runtime.md "State") of c, a new reference. */
json_t *container_oci_state(const struct container *c);
/* Run the hooks of one kind with c's state on stdin. */
int container_run_hooks(const struct container *c, const struct spec *spec, enum spec_hook_kind kind,
			struct pith_error *err);
/* The same for poststart and poststop: all run, failures are warnings. */
void container_run_hooks_warn(const struct container *c, const struct spec *spec, enum spec_hook_kind kind);
/* Load the copy of config.json kept in the state directory. */
int container_load_spec(const struct container *c, struct spec **out, struct pith_error *err);

/* Write a pid file atomically (runc semantics: path relative to the cwd). */
int write_pid_file(const char *path, pid_t pid, struct pith_error *err);

#endif
