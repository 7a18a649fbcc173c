/* Turning a prepared task into the configured process (init and exec). */
#ifndef PITH_PROCESS_H
#define PITH_PROCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "../../config/spec.h"
#include "../error.h"

int process_check_rlimits(const struct spec_process *p, struct pith_error *err);
int process_apply_rlimits(const struct spec_process *p, struct pith_error *err);
/* ioPriority, scheduler, initial cpu affinity; with final=true the final affinity. */
int process_apply_scheduling(const struct spec_process *p, bool final, struct pith_error *err);
/* setgroups/setresgid/setresuid keeping the permitted capabilities. */
int process_switch_user(const struct spec_process *p, bool setgroups_allowed, struct pith_error *err);
/* PR_SET_DUMPABLE 0 again: after the last credential change (setresuid, capset). */
int process_stay_undumpable(struct pith_error *err);
/* umask, cwd, no_new_privs. */
int process_finalize(const struct spec_process *p, struct pith_error *err);
int process_set_personality(unsigned long domain, struct pith_error *err);
/* Close every fd >= keep_until; fails (and the caller must not exec) only
 * when close_range is refused and /proc/self/fd cannot be listed. */
int process_close_fds(int keep_until, struct pith_error *err);
/* Close every fd >= from except those in keep (at most 64). */
int process_close_fds_except(int from, const int *keep, size_t n, struct pith_error *err);
/* Wait for our child pid, passing every signal we get on to it; its exit
 * code, 128+N when a signal ended it. */
int process_wait_forwarding(pid_t pid);
/* The environment a process gets: each NAME once, at its first position with
 * its last value (as runc's init sets them one by one), `extra` (exec -e)
 * after `env`. A malloc'd NULL-terminated array of the given strings with room
 * for one more entry; NULL on ENOMEM. *n gets the count. */
const char **process_env_merge(const char *const *env, size_t n_env, const char *const *extra,
			       size_t n_extra, size_t *n);
/* The value of NAME in p's environment, or NULL. */
const char *process_env_get(const struct spec_process *p, const char *name);
/* execve with a lookup in the process's own PATH; returns only on failure. */
int process_exec(const struct spec_process *p, struct pith_error *err);
/* Would process_exec find args[0]? Checked at create, as runc and crun do, so a
 * missing program is a create error the client shows, not an exit code 127. */
int process_check_executable(const struct spec_process *p, struct pith_error *err);

#endif
