/* seccomp: linux.seccomp compiled to a classic BPF program in the parent
 * (libseccomp, with an on-disk cache), installed in the container's init with
 * the raw syscall (no libseccomp there).
 *
 * Building a docker-size profile with libseccomp costs ~10 ms of CPU; the
 * kernel load is well under 1 ms. The compiled program is therefore cached
 * under <state root>/.cache/seccomp/<hash>, keyed by the canonical JSON of the
 * seccomp section, the libseccomp version, the host arch and kernel, and this
 * build of pith. Entries are validated (header, key echo, checksum of the
 * program, owner and mode) and rebuilt when anything is off, never trusted.
 *
 * Order in the init (the caller's job): with noNewPrivileges, set
 * PR_SET_NO_NEW_PRIVS and install the filter last before execve. Without it the
 * kernel wants CAP_SYS_ADMIN for the install, so install it before the caps are
 * dropped (as runc does); the profile must then allow capset/setresuid/prctl. */
#ifndef PITH_SECCOMP_H
#define PITH_SECCOMP_H

#include <stdbool.h>
#include <linux/filter.h>

#include "../../config/spec.h"
#include "../error.h"

struct seccomp_program {
	struct sock_filter *filter;   /* owned; release with seccomp_program_release */
	unsigned short len;           /* number of instructions */
	unsigned flags;               /* SECCOMP_FILTER_FLAG_* for the kernel, NEW_LISTENER included when notify */
	bool notify;                  /* some rule uses SCMP_ACT_NOTIFY: install returns a listener fd */
	bool cached;                  /* the program came from the cache (for logs and tests) */
};

/* Compile s into out. state_root may be NULL: no cache. Unknown syscall names
 * are skipped (a profile may name calls newer than libseccomp, as runc allows);
 * syscalls newer than the profile get ENOSYS whatever the default (runc's stub);
 * architectures this host's kernel cannot produce are left out of the program;
 * unknown or incompatible architectures, unsupported flags and bad actions are
 * errors naming the field ("linux.seccomp.architectures[2]: ..."). */
int seccomp_program_prepare(const struct spec_seccomp *s, const char *state_root,
			    struct seccomp_program *out, struct pith_error *err);
void seccomp_program_release(struct seccomp_program *p);

/* In the container's init, the last thing before execve: seccomp(2)
 * SECCOMP_SET_MODE_FILTER with p->flags. Async-signal-safe apart from the
 * error message. Returns the listener fd (>= 0, O_CLOEXEC) when p->notify,
 * else 0; negative on failure. */
int seccomp_program_install(const struct seccomp_program *p, struct pith_error *err);

/* Connect to the UNIX socket listener_path and send state_json (the container
 * state, with "fds": ["seccompFd"] and "metadata" as the spec's runtime-linux
 * describes) with listener_fd attached by SCM_RIGHTS. Done by pith, never by
 * the filtered init. */
int seccomp_send_listener(const char *listener_path, int listener_fd, const char *state_json,
			  struct pith_error *err);

/* Names of the libseccomp actions/flags for messages; exposed for tests. */
const char *seccomp_flag_name(unsigned kernel_flag);

#endif
