/* Helpers for the .NET end-to-end tests: bundles made from the runtime's default spec, and
 * containers run either through pith-shim (the product) or the runtime alone (a baseline that
 * works before the shim exists). Environment, set by run.sh:
 *   DN_DIR      build dir holding rootfs/, spec.json, dotnet-root (mkrootfs.sh)
 *   DN_RUNTIME  OCI runtime binary (pith, or runc until pith runs containers)
 *   DN_SHIM     pith-shim binary, empty when it does not exist yet
 *   DN_SECCOMP  default seccomp profile (OCI linux.seccomp JSON), empty when none exists yet
 */
#ifndef PITH_TESTS_DOTNET_DN_H
#define PITH_TESTS_DOTNET_DN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define DN_MIB (UINT64_C(1) << 20)

struct dn_bundle_opts {
	const char *name;          /* unique per test: bundle dir, container id, cgroup leaf */
	const char *const *args;   /* probe arguments (after dnprobe.dll), NULL-terminated */
	const char *const *env;    /* extra KEY=VALUE, NULL-terminated, may be NULL */
	uint64_t memory;           /* bytes, 0 = no limit */
	int64_t cpu_quota;         /* microseconds per 100 ms period, 0 = no limit */
	bool no_seccomp;           /* leave the default profile out (negative controls) */
};

struct dn_ctr {
	char id[64];
	char bundle[512];
	char out[512];     /* runtime-only mode: the container's stdout+stderr */
	char log[512];     /* shim mode: the shim's log file */
	char exitf[512];   /* shim mode: the exit record */
	char sock[512];    /* shim mode: control socket */
	char root[512];    /* state root of the runtime */
	pid_t pid;         /* the shim, or `runtime run` */
	bool via_shim;
	int status;        /* wait status of pid once reaped, -1 before */
};

struct dn_shim_opts {
	int stop_timeout;      /* seconds, 0 = shim default */
	bool init;
	uint64_t log_max_size; /* 0 = shim default */
	int log_max_files;
};

const char *dn_env(const char *name);
bool dn_have_shim(void);
bool dn_have_seccomp(void);

/* Writes DN_DIR/bundles/<name>/config.json; returns 0 or -1 with a message on stderr. */
int dn_bundle_make(const struct dn_bundle_opts *o, char *dir, size_t dirlen);

/* Start the container: through the shim when DN_SHIM is set (and shim opts may be given),
 * else with `runtime run` in the background. The caller's signal state is passed on as-is. */
int dn_start(struct dn_ctr *c, const struct dn_bundle_opts *o, const struct dn_shim_opts *so);
int dn_start_direct(struct dn_ctr *c, const struct dn_bundle_opts *o);
/* Wait for the shim / runtime process, up to timeout_ms; 0 when it exited, -1 on timeout. */
int dn_wait(struct dn_ctr *c, int timeout_ms);
/* Wait until the container's output (log or out file) contains needle. */
bool dn_wait_output(struct dn_ctr *c, const char *needle, int timeout_ms);
/* The container's output so far, with shim log records turned back into plain lines. */
char *dn_output(struct dn_ctr *c);
/* Ask to stop: `pith-shim ctl stop`, or `runtime kill ID TERM` in runtime-only mode. */
int dn_stop(struct dn_ctr *c);
int dn_kill(struct dn_ctr *c, const char *sig);
/* The container's init pid on the host, from the runtime's state; -1 if none. */
pid_t dn_init_pid(struct dn_ctr *c);
/* Kill everything, delete the container, remove its cgroups. Safe to call twice. */
void dn_cleanup(struct dn_ctr *c);
/* The exit record written by the shim, NUL-terminated, or NULL. */
char *dn_exit_record(struct dn_ctr *c);

char *dn_read_file(const char *path);
int64_t dn_now_ms(void);
/* Run argv to completion with stdout+stderr into a malloc'd string (may be NULL). */
int dn_run(char *const argv[], char **output, int timeout_ms);

#endif
