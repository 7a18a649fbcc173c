/* Running the OCI runtime. Every child starts with what a fresh process
 * would have: no blocked or ignored signals (SIG_IGN survives execve and an
 * ignored SIGINT/SIGTERM disables .NET's handlers), the caller's
 * oom_score_adj, and only fds 0-2 (everything else is O_CLOEXEC). */
#include "shim.h"
#include "../runtime/cleanup.h"
#include "../runtime/process/signals.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_ARGS 24
/* A runtime that hangs (a lock never released, a hook that never ends)
 * must turn into an error the caller can read, not a frozen shim. */
#define RUNTIME_TIMEOUT_MS (120 * 1000)

void shim_child_reset(const struct shim *s)
{
	signal_reset_all();
	if (s->oom_adj_saved != INT32_MIN) {
		char buf[16];
		int n = snprintf(buf, sizeof(buf), "%d", s->oom_adj_saved);
		int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
		if (fd >= 0) {
			if (write(fd, buf, (size_t)n) < 0) {
				/* raising it back never needs privileges; nothing else to do */
			}
			close(fd);
		}
	}
}

static void child_exec(const struct shim *s, char *const argv[], const int fds[3])
{
	int tmp[3];
	shim_child_reset(s);
	/* A runtime left behind by a dead shim would finish creating a
	 * container nobody supervises. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (int i = 0; i < 3; i++)
		tmp[i] = fds[i] < 3 ? fcntl(fds[i], F_DUPFD, 3) : fds[i];
	for (int i = 0; i < 3; i++)
		if (tmp[i] < 0 || dup2(tmp[i], i) < 0)
			_exit(127);
	if (strchr(argv[0], '/'))
		execv(argv[0], argv);
	else
		execvp(argv[0], argv);
	dprintf(2, "pith-shim: exec %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* fork + exec of argv[0] (a path: never searched) with fds as 0, 1, 2. */
pid_t shim_spawn(const struct shim *s, char *const argv[], const int fds[3])
{
	pid_t pid = fork();
	if (pid == 0)
		child_exec(s, argv, fds);
	return pid < 0 ? -errno : pid;
}

static size_t build_argv(const struct shim *s, const char *const *args, char *argv[MAX_ARGS])
{
	size_t n = 0;
	argv[n++] = (char *)s->runtime;
	if (s->o.root) {
		argv[n++] = (char *)"--root";
		argv[n++] = (char *)s->o.root;
	}
	for (size_t i = 0; args[i] && n < MAX_ARGS - 1; i++)
		argv[n++] = (char *)args[i];
	argv[n] = NULL;
	return n;
}

/* Runs `RUNTIME [--root R] ARGS...` with the given stdio and waits for it. */
int shim_runtime(struct shim *s, const char *const *args, int in, int out, int errfd,
		 struct pith_error *err)
{
	char *argv[MAX_ARGS];
	build_argv(s, args, argv);
	const int fds[3] = { in, out, errfd };
	pid_t pid = shim_spawn(s, argv, fds);
	if (pid < 0)
		return pith_fail(err, -pid, "fork for %s %s", s->runtime, args[0]);
	auto_fd pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
	bool hung = pidfd >= 0 && poll(&pfd, 1, RUNTIME_TIMEOUT_MS) == 0;
	if (hung)
		kill(pid, SIGKILL);
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return pith_fail(err, errno, "wait for %s %s", s->runtime, args[0]);
	if (hung)
		return pith_fail(err, ETIMEDOUT, "%s %s %s: no answer after %d s, killed", s->runtime,
				 args[0], s->o.id, RUNTIME_TIMEOUT_MS / 1000);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	if (WIFEXITED(st))
		return pith_fail(err, 0, "%s %s %s: exited with %d", s->runtime, args[0], s->o.id,
				 WEXITSTATUS(st));
	return pith_fail(err, 0, "%s %s %s: killed by signal %d", s->runtime, args[0], s->o.id,
			 WTERMSIG(st));
}

/* Appends the first line(s) of what is readable on fd to err's message. */
static void append_output(struct pith_error *err, int fd)
{
	char buf[512];
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	buf[n] = '\0';
	for (char *p = buf; *p; p++)
		if (*p == '\n')
			*p = ' ';
	size_t used = strlen(err->msg);
	snprintf(err->msg + used, sizeof(err->msg) - used, ": %s", buf);
}

/* stdin and stdout on /dev/null, stderr captured into the error message. */
int shim_runtime_quiet(struct shim *s, const char *const *args, struct pith_error *err)
{
	auto_fd null = open("/dev/null", O_RDWR | O_CLOEXEC);
	int p[2];
	if (null < 0)
		return pith_fail(err, errno, "open /dev/null");
	if (pipe2(p, O_CLOEXEC) < 0)
		return pith_fail(err, errno, "pipe");
	auto_fd rd = p[0];
	/* only our end: the runtime gets an ordinary blocking stderr */
	fcntl(rd, F_SETFL, O_NONBLOCK);
	int r = shim_runtime(s, args, null, null, p[1], err);
	close(p[1]);
	if (r < 0)
		append_output(err, rd);
	return r;
}
