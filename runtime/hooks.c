/* Running OCI hooks: fork, exec, state on stdin, timeout, one kind in order (hooks.h). */
#include "hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"

#ifndef __NR_pidfd_open
#define __NR_pidfd_open 434 /* the same number on every architecture */
#endif

struct hook_ref {
	const char *kind;
	size_t index;
	const struct spec_hook *h;
};

__attribute__((format(printf, 4, 5)))
static int hook_fail(struct pith_error *err, int errnum, const struct hook_ref *ref, const char *fmt, ...)
{
	char cause[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cause, sizeof(cause), fmt, ap);
	va_end(ap);
	return pith_fail(err, errnum, "hooks.%s[%zu] (%s): %s", ref->kind, ref->index, ref->h->path, cause);
}

/* The hook's 0-2 are set with dup2 from these fds, which must therefore not
 * be 0-2 themselves (pith may run with stdio closed, and then pipe2/open
 * hand out those numbers). */

static int output_fd(void)
{
	if (fcntl(2, F_GETFD) >= 0)
		return fcntl(2, F_DUPFD_CLOEXEC, 3);
	return pith_fd_above_stdio(open("/dev/null", O_WRONLY | O_CLOEXEC));
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* poll timeout until deadline (-1 = none), clamped to int. */
static int remaining_ms(int64_t deadline)
{
	if (deadline < 0)
		return -1;
	int64_t left = deadline - now_ms();
	if (left < 0)
		return 0;
	return left > INT_MAX ? INT_MAX : (int)left;
}

static int spawn_hook(const struct spec_hook *h, int in_r, int out, pid_t *pid)
{
	char *default_argv[] = { (char *)h->path, NULL };
	char *const *argv = h->args.n ? (char *const *)h->args.v : default_argv;
	/* no env: the runtime's own, as runc and crun give (PATH for the tools hooks
	 * run); "env": [] is a list too, an empty one (runc's exec.Cmd Env: nil or not) */
	char *const *envp = h->env.v ? (char *const *)h->env.v : environ;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, all;
	int rc;

	sigemptyset(&none);
	sigfillset(&all);
	if ((rc = posix_spawn_file_actions_init(&fa)))
		return rc;
	if ((rc = posix_spawnattr_init(&at))) {
		posix_spawn_file_actions_destroy(&fa);
		return rc;
	}
	rc = posix_spawn_file_actions_adddup2(&fa, in_r, 0);
	if (!rc)
		rc = posix_spawn_file_actions_adddup2(&fa, out, 1);
	if (!rc)
		rc = posix_spawn_file_actions_adddup2(&fa, out, 2);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
	/* pith's fds are O_CLOEXEC; this also covers any a library or the
	 * process that started pith left without the flag. */
	if (!rc)
		rc = posix_spawn_file_actions_addclosefrom_np(&fa, 3);
#endif
	/* Own process group: a timeout kills the hook's children too. */
	if (!rc)
		rc = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
						   POSIX_SPAWN_SETPGROUP);
	if (!rc)
		rc = posix_spawnattr_setsigmask(&at, &none);
	if (!rc)
		rc = posix_spawnattr_setsigdefault(&at, &all);
	if (!rc)
		rc = posix_spawnattr_setpgroup(&at, 0);
	if (!rc)
		rc = posix_spawn(pid, h->path, &fa, &at, argv, envp);
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	return rc;
}

/* Write what the pipe takes now. Returns false when feeding is over (all
 * written, or the hook closed its end: EPIPE, whose SIGPIPE is blocked). */
static bool feed(int fd, const char *buf, size_t len, size_t *off)
{
	while (*off < len) {
		ssize_t n = write(fd, buf + *off, len - *off);
		if (n > 0) {
			*off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		return n < 0 && errno == EAGAIN;
	}
	return false;
}

/* Feed stdin and wait for the exit through the pidfd. 1 = exited, 0 = the
 * deadline passed first. */
static int wait_pidfd(int pidfd, int *in_w, const char *json, size_t len, int64_t deadline)
{
	size_t off = 0;
	for (;;) {
		struct pollfd pf[2] = {
			{ .fd = pidfd, .events = POLLIN },
			{ .fd = *in_w, .events = POLLOUT },
		};
		int n = poll(pf, 2, remaining_ms(deadline));
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			return 0;
		if (pf[0].revents)
			return 1;
		if (pf[1].revents && !feed(*in_w, json, len, &off))
			pith_closep(in_w), *in_w = -1;
	}
}

/* Kernels without pidfd_open: feed with poll on the pipe alone (a dead hook
 * makes it POLLERR), then sigtimedwait for SIGCHLD, which the caller of this
 * file has blocked since before the spawn so none is lost. */
static int wait_sigchld(pid_t pid, int *in_w, const char *json, size_t len, int64_t deadline, int *status)
{
	size_t off = 0;
	while (*in_w >= 0) {
		struct pollfd pf = { .fd = *in_w, .events = POLLOUT };
		int n = poll(&pf, 1, remaining_ms(deadline));
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			return 0;
		if (!feed(*in_w, json, len, &off))
			pith_closep(in_w), *in_w = -1;
	}
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);
		if (r == pid)
			return 1;
		if (r < 0 && errno != EINTR) {
			*status = -1;
			return 1;
		}
		int ms = remaining_ms(deadline);
		if (ms == 0)
			return 0;
		struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };
		sigtimedwait(&chld, NULL, ms < 0 ? NULL : &ts);
	}
}

static int reap(pid_t pid, int *status)
{
	while (waitpid(pid, status, 0) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	return 0;
}

static int exit_verdict(const struct hook_ref *ref, int status, struct pith_error *err)
{
	if (status == -1) /* someone else reaped it (a waitpid(-1) elsewhere) */
		return hook_fail(err, ECHILD, ref, "exit status lost");
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		return hook_fail(err, 0, ref, "exited with status %d", WEXITSTATUS(status));
	if (WIFSIGNALED(status))
		return hook_fail(err, 0, ref, "killed by signal %d", WTERMSIG(status));
	return hook_fail(err, 0, ref, "ended with wait status 0x%x", (unsigned)status);
}

static int run_one(const struct hook_ref *ref, const char *json, struct pith_error *err)
{
	const struct spec_hook *h = ref->h;
	auto_fd in_r = -1;
	auto_fd in_w = -1;
	auto_fd out = -1;
	auto_fd pidfd = -1;
	int p[2];
	pid_t pid;
	int status = -1;

	if (pipe2(p, O_CLOEXEC) < 0)
		return hook_fail(err, errno, ref, "stdin pipe");
	in_r = pith_fd_above_stdio(p[0]);
	in_w = pith_fd_above_stdio(p[1]);
	out = output_fd();
	if (in_r < 0 || in_w < 0 || out < 0)
		return hook_fail(err, errno, ref, "stdio");

	int rc = spawn_hook(h, in_r, out, &pid);
	if (rc)
		return hook_fail(err, rc, ref, "cannot execute");
	pith_closep(&in_r), in_r = -1; /* so a hook that exits turns writes into EPIPE */
	fcntl(in_w, F_SETFL, O_NONBLOCK);

	int64_t deadline = -1;
	if (h->timeout.set && h->timeout.v > 0) {
		int64_t now = now_ms();
		/* a timeout past the end of int64 milliseconds is no timeout, not a wrapped one */
		deadline = h->timeout.v > (INT64_MAX - now) / 1000 ? -1 : now + h->timeout.v * 1000;
	}
	size_t len = json ? strlen(json) : 0;
	int exited;
	pidfd = (int)syscall(__NR_pidfd_open, pid, 0);
	if (pidfd >= 0)
		exited = wait_pidfd(pidfd, &in_w, json, len, deadline);
	else
		exited = wait_sigchld(pid, &in_w, json, len, deadline, &status);

	if (!exited) {
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL); /* in case it left its group; not reaped yet, so still ours */
		reap(pid, &status);
		return hook_fail(err, 0, ref, "timed out after %lld s", (long long)h->timeout.v);
	}
	if (pidfd >= 0 && reap(pid, &status) < 0)
		return hook_fail(err, errno, ref, "waitpid");
	return exit_verdict(ref, status, err);
}

/* SIGPIPE: blocked while feeding stdin so a hook that exits without reading
 * cannot kill pith; one raised by our writes is consumed before the mask is
 * restored. SIGCHLD: blocked so the no-pidfd fallback cannot miss it. */
struct sigstate {
	sigset_t old;
	bool pipe_was_pending;
};

static void signals_hold(struct sigstate *s)
{
	sigset_t set, pending;
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	sigaddset(&set, SIGCHLD);
	pthread_sigmask(SIG_BLOCK, &set, &s->old);
	sigpending(&pending);
	s->pipe_was_pending = sigismember(&pending, SIGPIPE) == 1;
}

static void signals_release(struct sigstate *s)
{
	sigset_t pipe_set, pending;
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigpending(&pending);
	if (!s->pipe_was_pending && sigismember(&pending, SIGPIPE) == 1) {
		struct timespec zero = { 0, 0 };
		sigtimedwait(&pipe_set, NULL, &zero);
	}
	pthread_sigmask(SIG_SETMASK, &s->old, NULL);
}

void hooks_run_all(enum spec_hook_kind kind, const struct spec_hooks *hooks, const char *state_json,
		   void (*on_failure)(const struct pith_error *err))
{
	if (!hooks || hooks->n == 0)
		return;
	struct sigstate ss;
	signals_hold(&ss);
	for (size_t i = 0; i < hooks->n; i++) {
		struct hook_ref ref = { spec_hook_names[kind], i, &hooks->v[i] };
		struct pith_error err = { 0 };
		if (run_one(&ref, state_json, &err) < 0)
			on_failure(&err);
	}
	signals_release(&ss);
}

int hooks_run(enum spec_hook_kind kind, const struct spec_hooks *hooks, const char *state_json,
	      struct pith_error *err)
{
	if (!hooks || hooks->n == 0)
		return 0;
	struct sigstate ss;
	int r = 0;
	signals_hold(&ss);
	for (size_t i = 0; i < hooks->n && r == 0; i++) {
		struct hook_ref ref = { spec_hook_names[kind], i, &hooks->v[i] };
		r = run_one(&ref, state_json, err);
	}
	signals_release(&ss);
	return r;
}
