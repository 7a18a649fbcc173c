/* Helpers for the pith-shim integration tests: a private busybox bundle per
 * test, running the shim, waiting for files, cleaning everything up.
 * The runtime is $PITH_SHIM_TEST_RUNTIME (default $PITH_BUILD/pith). */
#ifndef PITH_TEST_SHIM_HELPERS_H
#define PITH_TEST_SHIM_HELPERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct shim_env {
	char dir[128];        /* /tmp/pith-shim-<name>.XXXXXX */
	char id[64];
	char bundle[160];     /* dir/bundle (rootfs inside) */
	char out[160];        /* dir/out, bind-mounted read-write at /out */
	char log[160];
	char exit_file[160];
	char sock[160];
	char run_dir[160];
	char pid_file[160];
	char root[160];       /* the runtime's --root */
	char cgroup[128];     /* linux.cgroupsPath */
};

struct bundle_opts {
	const char *script;   /* run as /bin/sh -c SCRIPT */
	bool terminal;
	bool no_pid_ns;       /* the process is not PID 1: it can die of its own signals */
	uint64_t memory_limit;
};

const char *shim_test_build(void);
const char *shim_test_runtime(void);

void shim_env_init(struct shim_env *e, const char *name);
void shim_env_bundle(struct shim_env *e, const struct bundle_opts *o);
void shim_env_cleanup(struct shim_env *e);

/* Runs pith-shim with the env's id/bundle/runtime/root/socket/run-dir/
 * pid-file/exit-file plus extra (NULL-terminated) and waits for it: in the
 * foreground that is the container's end, else until it has detached.
 * Returns the exit status (128+N for a signal). */
int shim_env_run(struct shim_env *e, const char *const *extra);
/* `pith-shim ctl --socket S ARGS...`: exit status, its stdout into out. */
int shim_env_ctl(struct shim_env *e, char *out, size_t cap, const char *const *args);
/* `RUNTIME --root R ARGS...` exit status. */
int shim_env_runtime(struct shim_env *e, const char *const *args);

bool shimt_wait_file(const char *path, int timeout_ms);
/* Whole file, NUL-terminated, malloc'd; NULL when absent. */
char *shimt_read(const char *path, size_t *len);
pid_t shimt_read_pid(const char *path);
/* The container's host pid from the shim's status answer, 0 if none. */
pid_t shim_env_container_pid(struct shim_env *e);
/* Integer member "key" of a flat JSON text; def when absent. */
long shimt_json_int(const char *json, const char *key, long def);
/* true/false member; -1 when absent. */
int shimt_json_bool(const char *json, const char *key);
int64_t shimt_now_ms(void);
/* True while pid exists and is not a zombie. */
bool shimt_pid_alive(pid_t pid);

#endif
