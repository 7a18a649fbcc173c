/* Helpers for integration tests: run the built binaries, make bundles from
 * the fixture rootfs, read what happened from outside. Tests run as root. */
#ifndef PITH_TEST_HARNESS_H
#define PITH_TEST_HARNESS_H

#include <stdbool.h>
#include <sys/types.h>
#include <jansson.h>

struct run_result {
	int status;          /* exit code, 128+N for a signal, -1 when it could not run / timed out */
	char *out;           /* stdout (malloc, NUL-terminated) */
	char *err;           /* stderr */
};

/* $PITH_BUILD or "build", absolute. */
const char *h_build_dir(void);
/* <build>/pith, <build>/pith-shim, ... */
const char *h_bin(const char *name);
/* A private --root for this test process (created on first use, under /run/pith-test). */
const char *h_root(void);

/* Run argv (NULL-terminated) with stdin from /dev/null, capture stdout and stderr,
 * kill it after timeout_s. */
struct run_result h_run(char *const argv[], int timeout_s);
/* The same, with fd placed at 3 in the child (for --preserve-fds). */
struct run_result h_run_with_fd3(char *const argv[], int timeout_s, int fd);
/* Run build/pith with --root h_root() prepended; args NULL-terminated. */
struct run_result h_pith(const char *arg, ...) __attribute__((sentinel));
void h_result_free(struct run_result *r);

/* A bundle: a temp dir with config.json from `pith spec` adjusted for tests
 * (root.path = the fixture rootfs, readonly; cgroupsPath /pith-test/<id>;
 * terminal false). The caller edits b->config, then h_bundle_write(). */
struct bundle {
	char dir[256];
	char id[128];
	json_t *config;
};
void h_bundle_init(struct bundle *b, const char *test_name);
void h_bundle_set_args(struct bundle *b, const char *arg, ...) __attribute__((sentinel));
void h_bundle_write(struct bundle *b);
/* delete --force the container (ignore errors) and remove the bundle dir. */
void h_bundle_cleanup(struct bundle *b);

/* Helpers reading the host. */
char *h_read_file(const char *path);   /* malloc, NULL if unreadable */
bool h_path_exists(const char *path);
/* Inode of /proc/<pid>/ns/<name>, 0 when unreadable. */
unsigned long h_ns_inode(pid_t pid, const char *name);
/* pid from `pith state ID`, 0 if none; status string into buf. */
pid_t h_state(const char *id, char *status, size_t len);
/* Count mountinfo lines containing needle. */
int h_count_mounts(const char *needle);
/* true when a cgroup dir with this name exists under any v1/v2 hierarchy. */
bool h_cgroup_exists(const char *rel);

#endif
