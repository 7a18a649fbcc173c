/* What turns a prepared task into the configured process: limits, scheduling,
 * identity, capabilities, working directory, and finally execve. Shared by the
 * container's init and by exec. */
#include "process.h"
#include "fd_close.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/sched.h>

/* glibc 2.36 has no sched_attr; the kernel ABI is stable. */
struct pith_sched_attr {
	uint32_t size;
	uint32_t sched_policy;
	uint64_t sched_flags;
	int32_t sched_nice;
	uint32_t sched_priority;
	uint64_t sched_runtime;
	uint64_t sched_deadline;
	uint64_t sched_period;
};
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../mount/paths.h"


int process_apply_rlimits(const struct spec_process *p, struct pith_error *err)
{
	for (size_t i = 0; i < p->n_rlimits; i++) {
		const struct spec_rlimit *rl = &p->rlimits[i];
		struct rlimit lim = { .rlim_cur = rl->soft, .rlim_max = rl->hard };
		if (setrlimit(rl->resource, &lim) < 0) {
			int e = errno;
			struct rlimit cur;
			if (e == EPERM && getrlimit(rl->resource, &cur) == 0 && rl->hard > cur.rlim_max)
				return pith_fail(err, e,
					"process.rlimits[%zu]: %s hard limit %llu is above the current hard limit %llu "
					"and CAP_SYS_RESOURCE is not available to raise it",
					i, rl->name, (unsigned long long)rl->hard, (unsigned long long)cur.rlim_max);
			return pith_fail(err, e, "process.rlimits[%zu]: %s %llu/%llu", i, rl->name,
					 (unsigned long long)rl->soft, (unsigned long long)rl->hard);
		}
	}
	return 0;
}

static bool have_effective_cap(int cap)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct d[2] = { 0 };
	if (syscall(SYS_capget, &h, d) < 0)
		return false;
	return d[cap / 32].effective & (1u << (cap % 32));
}

/* The parent checks what it can before anything exists, so an impossible
 * rlimit fails create cleanly instead of inside the half-made container. */
int process_check_rlimits(const struct spec_process *p, struct pith_error *err)
{
	bool can_raise = have_effective_cap(CAP_SYS_RESOURCE);
	for (size_t i = 0; i < p->n_rlimits && !can_raise; i++) {
		const struct spec_rlimit *rl = &p->rlimits[i];
		struct rlimit cur;
		if (getrlimit(rl->resource, &cur) == 0 && cur.rlim_max != RLIM_INFINITY &&
		    (rl->hard == RLIM_INFINITY || rl->hard > cur.rlim_max))
			return pith_fail(err, EPERM,
				"process.rlimits[%zu]: %s hard limit %llu is above the current hard limit %llu "
				"and CAP_SYS_RESOURCE is not available to raise it",
				i, rl->name, (unsigned long long)rl->hard, (unsigned long long)cur.rlim_max);
	}
	return 0;
}

#ifndef IOPRIO_PRIO_VALUE
#define IOPRIO_CLASS_SHIFT 13
#define IOPRIO_PRIO_VALUE(class, data) (((class) << IOPRIO_CLASS_SHIFT) | (data))
#endif

static int apply_cpu_affinity(const char *list, const char *field, struct pith_error *err)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	const char *p = list;
	while (*p) {
		char *end;
		unsigned long a = strtoul(p, &end, 10), b = a;
		if (end == p)
			return pith_fail(err, 0, "%s: invalid cpu list \"%s\"", field, list);
		if (*end == '-') {
			p = end + 1;
			b = strtoul(p, &end, 10);
			if (end == p || b < a)
				return pith_fail(err, 0, "%s: invalid cpu list \"%s\"", field, list);
		}
		for (unsigned long c = a; c <= b && c < CPU_SETSIZE; c++)
			CPU_SET(c, &set);
		p = end;
		if (*p == ',')
			p++;
		else if (*p)
			return pith_fail(err, 0, "%s: invalid cpu list \"%s\"", field, list);
	}
	if (sched_setaffinity(0, sizeof(set), &set) < 0)
		return pith_fail(err, errno, "%s: sched_setaffinity \"%s\"", field, list);
	return 0;
}

int process_apply_scheduling(const struct spec_process *p, bool final, struct pith_error *err)
{
	if (final) {
		if (p->exec_cpu_affinity_final)
			return apply_cpu_affinity(p->exec_cpu_affinity_final, "process.execCPUAffinity.final", err);
		return 0;
	}
	if (p->has_io_priority &&
	    syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0,
		    IOPRIO_PRIO_VALUE(p->io_priority.class_, p->io_priority.priority)) < 0)
		return pith_fail(err, errno, "process.ioPriority");
	if (p->has_scheduler) {
		const struct spec_scheduler *s = &p->scheduler;
		struct pith_sched_attr attr = {
			.size = sizeof(attr),
			.sched_policy = (uint32_t)s->policy,
			.sched_flags = s->flags,
			.sched_nice = s->nice.set ? (int32_t)s->nice.v : 0,
			.sched_priority = s->priority.set ? (uint32_t)s->priority.v : 0,
			.sched_runtime = s->runtime.set ? s->runtime.v : 0,
			.sched_deadline = s->deadline.set ? s->deadline.v : 0,
			.sched_period = s->period.set ? s->period.v : 0,
		};
		if (syscall(SYS_sched_setattr, 0, &attr, 0) < 0)
			return pith_fail(err, errno, "process.scheduler");
	}
	if (p->exec_cpu_affinity_initial)
		return apply_cpu_affinity(p->exec_cpu_affinity_initial, "process.execCPUAffinity.initial", err);
	return 0;
}

int process_switch_user(const struct spec_process *p, bool setgroups_allowed, struct pith_error *err)
{
	const struct spec_user *u = &p->user;
	/* Keep the permitted set across setuid; caps_apply trims it to the config. */
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return pith_fail(err, errno, "prctl(PR_SET_KEEPCAPS)");
	if (setgroups_allowed) {
		gid_t *gids = (gid_t *)u->additional_gids; /* uint32_t and gid_t agree on Linux */
		/* EPERM with no groups asked: a user namespace with setgroups
		 * denied, where the group list cannot differ anyway */
		if (setgroups(u->n_additional_gids, gids) < 0 && (errno != EPERM || u->n_additional_gids))
			return pith_fail(err, errno, "process.user.additionalGids");
	} else if (u->n_additional_gids) {
		return pith_fail(err, EPERM,
				 "process.user.additionalGids: setgroups is denied in this user namespace");
	}
	if (setresgid(u->gid, u->gid, u->gid) < 0)
		return pith_fail(err, errno, "process.user.gid %u", u->gid);
	if (setresuid(u->uid, u->uid, u->uid) < 0)
		return pith_fail(err, errno, "process.user.uid %u", u->uid);
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return pith_fail(err, errno, "prctl(PR_SET_KEEPCAPS)");
	return 0;
}

int process_stay_undumpable(struct pith_error *err)
{
	/* A change of uid, gid or capabilities resets "dumpable" to
	 * fs.suid_dumpable: with 1 there, the container's processes of the same
	 * uid could ptrace us and take our fds until execve. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return pith_fail(err, errno, "prctl(PR_SET_DUMPABLE)");
	return 0;
}

int process_finalize(const struct spec_process *p, struct pith_error *err)
{
	if (p->user.umask.set)
		umask((mode_t)p->user.umask.v);
	if (p->cwd && chdir(p->cwd) < 0)
		return pith_fail(err, errno, "process.cwd: %s", p->cwd);
	/* a cwd through a magic link (/proc/self/fd/N) may land outside the root */
	if (path_check_cwd_in_root(p->cwd, err) < 0)
		return -1;
	if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return pith_fail(err, errno, "process.noNewPrivileges");
	return 0;
}

static bool same_name(const char *a, const char *b)
{
	size_t len = strcspn(a, "=");
	return strncmp(a, b, len) == 0 && (b[len] == '=' || b[len] == '\0');
}

static size_t env_put(const char **out, size_t n, const char *var)
{
	for (size_t i = 0; i < n; i++)
		if (same_name(out[i], var)) {
			out[i] = var;
			return n;
		}
	out[n] = var;
	return n + 1;
}

const char **process_env_merge(const char *const *env, size_t n_env, const char *const *extra,
			       size_t n_extra, size_t *n)
{
	const char **out = calloc(n_env + n_extra + 2, sizeof(char *));
	if (!out)
		return NULL;
	size_t count = 0;
	for (size_t i = 0; i < n_env; i++)
		count = env_put(out, count, env[i]);
	for (size_t i = 0; i < n_extra; i++)
		count = env_put(out, count, extra[i]);
	*n = count;
	return out;
}

const char *process_env_get(const struct spec_process *p, const char *name)
{
	/* the last one: what getenv sees once the list is merged */
	const char *value = NULL;
	for (size_t i = 0; i < p->env.n; i++)
		if (same_name(name, p->env.v[i]) && p->env.v[i][strlen(name)] == '=')
			value = p->env.v[i] + strlen(name) + 1;
	return value;
}

static const char *env_path(const struct spec_process *p)
{
	const char *path = process_env_get(p, "PATH");
	return path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
}

static bool is_executable(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* The next "$dir/arg0" of a PATH list (an empty entry is the cwd), advancing *path. */
static bool next_candidate(const char **path, const char *arg0, char *buf, size_t len)
{
	if (!**path)
		return false;
	const char *end = strchrnul(*path, ':');
	size_t n = (size_t)(end - *path);
	if (n == 0)
		snprintf(buf, len, "%s", arg0);
	else
		snprintf(buf, len, "%.*s/%s", (int)n, *path, arg0);
	*path = *end ? end + 1 : end;
	return true;
}

int process_check_executable(const struct spec_process *p, struct pith_error *err)
{
	const char *arg0 = p->args.n ? p->args.v[0] : NULL;
	if (!arg0)
		return 0;
	if (strchr(arg0, '/')) {
		struct stat st;
		if (stat(arg0, &st) < 0)
			return pith_fail(err, errno, "exec \"%s\"", arg0);
		return 0; /* a directory or a mode problem: execve's own error says it best */
	}
	char candidate[4096];
	for (const char *path = env_path(p); next_candidate(&path, arg0, candidate, sizeof(candidate));)
		if (is_executable(candidate))
			return 0;
	return pith_fail(err, 0, "exec: \"%s\": executable file not found in $PATH", arg0);
}

int process_exec(const struct spec_process *p, struct pith_error *err)
{
	static const char *const empty_env[] = { NULL };
	const char *arg0 = p->args.v[0];
	char *const *argv = (char *const *)p->args.v;
	char *const *envp = (char *const *)(p->env.v ? p->env.v : empty_env);
	if (strchr(arg0, '/')) {
		execve(arg0, argv, envp);
		return pith_fail(err, errno, "exec \"%s\"", arg0);
	}
	/* The lookup uses the container's PATH, not pith's. */
	const char *path = env_path(p);
	int first_error = ENOENT;
	char candidate[4096];
	while (next_candidate(&path, arg0, candidate, sizeof(candidate))) {
		execve(candidate, argv, envp);
		if (errno != ENOENT && errno != ENOTDIR && first_error == ENOENT)
			first_error = errno;
	}
	if (first_error == ENOENT)
		return pith_fail(err, 0, "exec: \"%s\": executable file not found in $PATH", arg0);
	return pith_fail(err, first_error, "exec \"%s\"", arg0);
}

int process_close_fds(int keep_until, struct pith_error *err)
{
	return process_close_fds_except(keep_until, NULL, 0, err);
}

int process_close_fds_except(int from, const int *keep, size_t n, struct pith_error *err)
{
	int r = fd_close_from_except(from, keep, n);
	if (r < 0)
		return pith_fail(err, -r, "close inherited fds: close_range failed and /proc/self/fd cannot be listed");
	return 0;
}

int process_set_personality(unsigned long domain, struct pith_error *err)
{
	if (personality(domain) < 0)
		return pith_fail(err, errno, "linux.personality");
	return 0;
}

int process_wait_forwarding(pid_t pid)
{
	/* Blocked before the first waitpid: a SIGCHLD that comes in between
	 * stays pending for sigwaitinfo instead of being lost. */
	sigset_t set;
	sigfillset(&set);
	sigdelset(&set, SIGSEGV);
	sigdelset(&set, SIGBUS);
	sigdelset(&set, SIGILL);
	sigdelset(&set, SIGFPE);
	sigprocmask(SIG_BLOCK, &set, NULL);
	for (;;) {
		int status;
		pid_t w = waitpid(pid, &status, WNOHANG | __WALL);
		if (w == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		if (w < 0 && errno != EINTR)
			return 255;
		siginfo_t si;
		int sig = sigwaitinfo(&set, &si);
		if (sig > 0 && sig != SIGCHLD)
			kill(pid, sig);
	}
}
