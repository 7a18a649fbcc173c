/* pith-init: a minimal PID 1 for a container.
 *
 *   pith-init [-g] [-e CODE]... [--] PROGRAM [ARGS...]
 *
 * A PID-namespace init only receives signals it handles, so an app that
 * relies on default actions (a .NET 10 console app and SIGTERM) cannot be
 * stopped when it is PID 1 itself. pith-init runs it as its child instead,
 * forwards every signal to it (-g: to its process group), reaps every
 * orphan that lands on PID 1, and exits with the child's status (128+N for
 * signal N; -e CODE reports CODE as 0, e.g. -e 143 for SIGTERM exits).
 *
 * It is static and reads no file: it runs in images without a shell or a
 * libc. Signals stay blocked and are taken with sigwaitinfo: no handler, no
 * race between a SIGCHLD and the wait, and no fd whose read could fail and
 * turn the loop into a busy spin (a signalfd's could). */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_REMAP 8

struct init_opts {
	bool group;
	int remap[MAX_REMAP];
	int nremap;
	char **argv;
};

static void say(const char *a, const char *b, const char *c)
{
	const char *parts[] = { "pith-init: ", a, b, c, "\n" };
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		if (parts[i] && write(2, parts[i], strlen(parts[i])) < 0)
			return;
}

static int parse(int argc, char **argv, struct init_opts *o)
{
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if (strcmp(argv[i], "-g") == 0) {
			o->group = true;
		} else if (strcmp(argv[i], "-e") == 0 && i + 1 < argc && o->nremap < MAX_REMAP) {
			char *end;
			long v = strtol(argv[++i], &end, 10);
			if (*end || v < 0 || v > 255)
				return -1;
			o->remap[o->nremap++] = (int)v;
		} else {
			return -1;
		}
	}
	if (i >= argc)
		return -1;
	o->argv = argv + i;
	return 0;
}

/* Faults raised by our own code must keep their default action. */
static void blockable(sigset_t *set)
{
	static const int sync_sigs[] = { SIGFPE, SIGILL, SIGSEGV, SIGBUS, SIGABRT, SIGTRAP, SIGSYS };
	sigfillset(set);
	for (size_t i = 0; i < sizeof(sync_sigs) / sizeof(sync_sigs[0]); i++)
		sigdelset(set, sync_sigs[i]);
}

static void child(const struct init_opts *o)
{
	struct sigaction sa = { .sa_handler = SIG_IGN };
	sigset_t none;
	setpgid(0, 0);
	/* A group of its own for -g, and the foreground of the terminal so the
	 * app can read it without SIGTTIN. */
	if (isatty(0)) {
		sigaction(SIGTTOU, &sa, NULL);
		tcsetpgrp(0, getpid());
	}
	sa.sa_handler = SIG_DFL;
	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execvp(o->argv[0], o->argv);
	int e = errno;
	say("exec ", o->argv[0], e == ENOENT ? ": not found" : ": cannot execute");
	_exit(e == ENOENT ? 127 : 126);
}

static int exit_code(const struct init_opts *o, int status)
{
	int code = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
	for (int i = 0; i < o->nremap; i++)
		if (code == o->remap[i])
			return 0;
	return code;
}

/* Reaps everything that is waiting; returns true once the child is among them. */
static bool reap(pid_t pid, int *status)
{
	bool done = false;
	int st;
	pid_t p;
	while ((p = waitpid(-1, &st, WNOHANG)) > 0)
		if (p == pid) {
			*status = st;
			done = true;
		}
	return done;
}

int main(int argc, char **argv)
{
	struct init_opts o = { 0 };
	sigset_t set;
	blockable(&set);
	sigprocmask(SIG_SETMASK, &set, NULL);
	if (parse(argc, argv, &o) < 0) {
		say("usage: pith-init [-g] [-e CODE]... [--] PROGRAM [ARGS...]", NULL, NULL);
		return 2;
	}
	if (getpid() != 1)
		prctl(PR_SET_CHILD_SUBREAPER, 1); /* orphans still come to us */
	pid_t pid = fork();
	if (pid < 0) {
		say("fork: ", strerror(errno), NULL);
		return 1;
	}
	if (pid == 0)
		child(&o);
	setpgid(pid, pid); /* also here: -g may forward before the child ran */
	int status = 0;
	for (;;) {
		/* blocks; fails only with EINTR, which a fully blocked set never sees */
		int sig = sigwaitinfo(&set, NULL);
		if (sig < 0)
			continue;
		if (sig == SIGCHLD) {
			if (reap(pid, &status))
				return exit_code(&o, status);
		} else if (sig != SIGTTIN && sig != SIGTTOU) {
			kill(o.group ? -pid : pid, sig);
		}
	}
}
