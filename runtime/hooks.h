/* OCI hooks (config.md "POSIX-platform Hooks"): run each hook of one kind in
 * order with the container's state on its stdin. */
#ifndef PITH_HOOKS_H
#define PITH_HOOKS_H

#include "../config/spec.h"
#include "error.h"

/* Run every hook of `hooks` (the list for `kind`, may be NULL or empty) in
 * order, stopping at the first failure.
 *
 * Each hook is spawned (posix_spawn: vfork speed, exec errors reported
 * directly) with path, args as given (args[0] included; {path} when args is
 * absent) and env (empty when absent), in a process group of its own, with
 * an empty signal mask and default dispositions. Its stdin is a pipe that
 * receives `state_json` (a hook that does not read it is fine: SIGPIPE is
 * blocked for the write and never reaches pith); its stdout and stderr go to
 * pith's stderr, or /dev/null when that is closed; it sees no fd but 0-2.
 * With a timeout, the hook's process group is SIGKILLed when it expires.
 * The wait uses a pidfd and poll; on kernels without pidfd_open it falls back
 * to waitpid plus sigtimedwait on SIGCHLD (which may then consume a SIGCHLD
 * meant for another child of the caller).
 *
 * The hook runs in the caller's namespaces and cwd: the caller picks them
 * (runtime namespace for prestart/createRuntime/poststart/poststop, the
 * container's for createContainer/startContainer). Whether a failure is
 * fatal is the caller's call (poststop failures are warnings).
 *
 * Errors name kind, index, path and cause:
 *   hooks.prestart[1] (/usr/bin/x): exited with status 3
 *   hooks.prestart[1] (/usr/bin/x): timed out after 2 s
 *   hooks.prestart[1] (/usr/bin/x): killed by signal 9
 *   hooks.prestart[1] (/usr/bin/x): cannot execute   (errnum = ENOENT, ...)
 * Must not be called with SIGCHLD set to SIG_IGN (the kernel would reap the
 * hook before its status is read). */
int hooks_run(enum spec_hook_kind kind, const struct spec_hooks *hooks, const char *state_json,
	      struct pith_error *err);

/* The same, but every hook runs: a failure is handed to on_failure and the
 * next hook runs (poststart, poststop: "the runtime MUST log a warning, but
 * the remaining hooks and lifecycle continue"). */
void hooks_run_all(enum spec_hook_kind kind, const struct spec_hooks *hooks, const char *state_json,
		   void (*on_failure)(const struct pith_error *err));

#endif
