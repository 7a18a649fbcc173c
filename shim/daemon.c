/* Detaching from the caller, and the shim's own protections. */
#include "shim.h"
#include "../runtime/cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

/* The caller's half: wait for the daemon to say "ok" or why it failed, so
 * `pith-shim ... && next-step` only proceeds once the container runs. */
static void caller_wait(int rd, pid_t middle)
{
	char buf[1200];
	size_t len = 0;
	ssize_t n;
	while (len < sizeof(buf) - 1 && (n = read(rd, buf + len, sizeof(buf) - 1 - len)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		len += (size_t)n;
	}
	buf[len] = '\0';
	waitpid(middle, NULL, 0);
	if (strncmp(buf, "ok", 2) == 0)
		_exit(0);
	if (len == 0)
		snprintf(buf, sizeof(buf), "the shim died while starting the container\n");
	dprintf(2, "pith-shim: %s", buf);
	_exit(SHIM_EXIT_FAILURE);
}

int shim_daemonize(struct shim *s, struct pith_error *err)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return pith_fail(err, errno, "pipe");
	pid_t pid = fork();
	if (pid < 0)
		return pith_fail(err, errno, "fork");
	if (pid > 0) {
		close(p[1]);
		caller_wait(p[0], pid);
	}
	close(p[0]);
	/* New session, then fork again so the daemon is not a session leader
	 * and can never acquire a controlling terminal. */
	if (setsid() < 0)
		_exit(SHIM_EXIT_FAILURE);
	pid = fork();
	if (pid != 0)
		_exit(pid < 0 ? SHIM_EXIT_FAILURE : 0);
	s->report_fd = p[1];
	if (s->o.log_mode != LOG_PASSTHROUGH) {
		auto_fd null = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (null < 0)
			return pith_fail(err, errno, "/dev/null");
		for (int i = 0; i < 3; i++)
			dup2(null, i);
	}
	return 0;
}

void shim_report_started(struct shim *s)
{
	if (s->report_fd < 0)
		return;
	shim_write_all(s->report_fd, "ok\n", 3);
	close(s->report_fd);
	s->report_fd = -1;
}

void shim_report_failed(struct shim *s, const struct pith_error *err)
{
	char buf[1200];
	pith_error_text(err, buf, sizeof(buf) - 1);
	strcat(buf, "\n");
	if (s->report_fd >= 0) {
		shim_write_all(s->report_fd, buf, strlen(buf));
		close(s->report_fd);
		s->report_fd = -1;
	} else {
		dprintf(2, "pith-shim: %s", buf);
	}
}

/* The kernel OOM killer must pick the app, never the shim that reports it;
 * raising our priority needs CAP_SYS_RESOURCE, so without it we carry on. */
void shim_self_protect(struct shim *s)
{
	char buf[16];
	s->oom_adj_saved = INT32_MIN;
	if (shim_read_file(AT_FDCWD, "/proc/self/oom_score_adj", buf, sizeof(buf)) > 0) {
		int old = atoi(buf);
		auto_fd fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
		if (fd >= 0 && write(fd, "-1000", 5) == 5)
			s->oom_adj_saved = old;
	}
	/* Orphans of the runtime (the container's init) become our children. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
}
