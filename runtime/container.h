/* A container on disk: its state directory under --root, locked while a
 * command works on it, and the state every command reads. */
#ifndef PITH_CONTAINER_H
#define PITH_CONTAINER_H

#include <stdbool.h>
#include <sys/types.h>
#include <jansson.h>

#include "../config/spec.h"
#include "error.h"

struct cgroup;

/* The global options every command gets (parsed by main). */
struct pith_globals {
	const char *root;          /* --root, default /run/pith (or $XDG_RUNTIME_DIR/pith when rootless) */
	const char *log_path;      /* --log, NULL for stderr */
	bool log_json;             /* --log-format json */
	bool debug;                /* --debug */
	bool systemd_cgroup;       /* --systemd-cgroup */
};

enum container_status {
	CONTAINER_CREATING,
	CONTAINER_CREATED,
	CONTAINER_RUNNING,
	CONTAINER_PAUSED,
	CONTAINER_STOPPED,
};

const char *container_status_name(enum container_status s);

struct container {
	char *id;
	char *dir;                 /* <root>/<id> */
	int dirfd;                 /* O_DIRECTORY|O_CLOEXEC, flock()ed */
	json_t *state;             /* state.json as stored (pith's superset of the OCI state) */
	pid_t pid;                 /* init pid, 0 if none */
	unsigned long long start_time; /* /proc/<pid>/stat field 22, guards against pid reuse */
	const char *bundle;        /* borrowed from state */
	struct cgroup *cgroup;     /* NULL when the container has none */
	enum container_status status;
};

/* Open and lock <root>/<id> and read its state. `exclusive` takes LOCK_EX
 * (mutating commands), otherwise LOCK_SH. An unknown id fails with
 * "container ID does not exist" (clients match on that text). */
/* The state root must be ours and writable by nobody else. */
int container_check_root(const char *root, int root_fd, struct pith_error *err);
int container_load(const struct pith_globals *g, const char *id, bool exclusive,
		   struct container **out, struct pith_error *err);
void container_free(struct container *c);

/* Persist c->state atomically (temp file, fsync, rename). */
int container_save(struct container *c, struct pith_error *err);

/* A pidfd of the init, opened and then checked to be the init recorded
 * (alive, same start time). -ENOSYS (err untouched) on kernels before 5.3. */
int container_pidfd(const struct container *c, struct pith_error *err);

/* Signal the init through a pidfd, after checking its start time. ESRCH
 * when it is gone. */
int container_signal(struct container *c, int sig, struct pith_error *err);

/* Validate an id: [A-Za-z0-9_.+-], 1..1024 chars, not "." or "..". */
int container_id_check(const char *id, struct pith_error *err);

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

#endif
