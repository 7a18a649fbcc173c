/* pith run's own terminal: the pty master joined to pith's stdin/stdout (run_tty.h). */
#include "run_tty.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static void copy_winsize(int from, int to)
{
	struct winsize ws;
	if (ioctl(from, TIOCGWINSZ, &ws) == 0)
		ioctl(to, TIOCSWINSZ, &ws);
}

/* false when the source is finished */
static bool pump(int from, int to)
{
	char buf[8192];
	ssize_t n = read(from, buf, sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (n <= 0)
		return false;
	for (ssize_t off = 0; off < n;) {
		ssize_t w = write(to, buf + off, (size_t)(n - off));
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		off += w;
	}
	return true;
}

static int exit_code(int status)
{
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int run_tty_proxy(pid_t pid, int master)
{
	struct termios saved;
	bool raw = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0;
	if (raw) {
		struct termios t = saved;
		cfmakeraw(&t);
		tcsetattr(STDIN_FILENO, TCSANOW, &t);
		copy_winsize(STDIN_FILENO, master);
	}
	sigset_t set;
	sigemptyset(&set);
	int forwarded[] = { SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGUSR1, SIGUSR2, SIGWINCH, SIGCHLD };
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaddset(&set, forwarded[i]);
	sigprocmask(SIG_BLOCK, &set, NULL);
	int sfd = signalfd(-1, &set, SFD_CLOEXEC);

	struct pollfd p[3] = {
		{ .fd = sfd, .events = POLLIN },
		{ .fd = master, .events = POLLIN },
		{ .fd = STDIN_FILENO, .events = POLLIN },
	};
	int status = 0;
	/* an exit before SIGCHLD was blocked left no signal to wait for */
	bool exited = waitpid(pid, &status, WNOHANG) == pid;
	while (!exited) {
		if (poll(p, 3, -1) < 0 && errno != EINTR)
			break;
		if (p[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGWINCH && raw)
					copy_winsize(STDIN_FILENO, master);
				else if (si.ssi_signo != SIGCHLD)
					kill(pid, (int)si.ssi_signo);
			}
			exited = waitpid(pid, &status, WNOHANG) == pid;
		}
		if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			if (!pump(master, STDOUT_FILENO))
				p[1].fd = -1; /* the pty closed: wait for the exit */
		}
		if (p[2].revents & (POLLIN | POLLHUP | POLLERR)) {
			if (!pump(STDIN_FILENO, master))
				p[2].fd = -1;
		}
	}
	/* what the process wrote right before it exited */
	struct pollfd last = { .fd = master, .events = POLLIN };
	while (poll(&last, 1, 0) > 0 && (last.revents & POLLIN) && pump(master, STDOUT_FILENO))
		;
	if (raw)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	if (sfd >= 0)
		close(sfd);
	return exited ? exit_code(status) : 255;
}
