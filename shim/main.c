/* pith-shim: supervise one container from create to delete.
 *
 *   parse -> detach (caller waits on a pipe) -> protect self, signalfd, epoll
 *   -> RUNTIME create/start -> "ok" to the caller -> event loop
 *   -> RUNTIME delete --force -> exit file -> exit with the container's status
 */
#include "shim.h"
#include "../runtime/process/fd_close.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

static struct shim shim; /* static: the buffers stay off the stack, no heap */

static const int handled_signals[] = {
	SIGCHLD, SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT,
};

/* Relative paths are made absolute once, so nothing depends on the cwd. */
static const char *absolute(const char *p, char *buf, size_t cap)
{
	char cwd[SHIM_PATH_MAX];
	if (!p || p[0] == '/' || !getcwd(cwd, sizeof(cwd)) || shim_path(buf, cap, cwd, p) < 0)
		return p;
	return buf;
}

static void absolute_paths(struct shim_opts *o)
{
	static char b[9][SHIM_PATH_MAX];
	o->log_path = absolute(o->log_path, b[0], sizeof(b[0]));
	o->exit_file = absolute(o->exit_file, b[1], sizeof(b[1]));
	o->pid_file = absolute(o->pid_file, b[2], sizeof(b[2]));
	o->socket_path = absolute(o->socket_path, b[3], sizeof(b[3]));
	o->run_dir = absolute(o->run_dir, b[4], sizeof(b[4]));
	o->bundle = absolute(o->bundle, b[5], sizeof(b[5]));
	o->init_path = absolute(o->init_path, b[6], sizeof(b[6]));
	o->root = absolute(o->root, b[7], sizeof(b[7]));
	o->store = absolute(o->store, b[8], sizeof(b[8]));
}

static void find_runtime(struct shim *s)
{
	char dir[SHIM_PATH_MAX - 8];
	if (s->o.runtime) {
		char cwd[SHIM_PATH_MAX - 8];
		if (strchr(s->o.runtime, '/') && s->o.runtime[0] != '/' && getcwd(cwd, sizeof(cwd)) &&
		    shim_path(s->runtime, sizeof(s->runtime), cwd, s->o.runtime) == 0)
			return;
		snprintf(s->runtime, sizeof(s->runtime), "%s", s->o.runtime);
		return;
	}
	if (shim_self_dir(dir, sizeof(dir)) == 0) {
		snprintf(s->runtime, sizeof(s->runtime), "%s/pith", dir);
		if (access(s->runtime, X_OK) == 0)
			return;
	}
	snprintf(s->runtime, sizeof(s->runtime), "pith");
}

static int setup_events(struct shim *s, struct pith_error *err)
{
	sigset_t set;
	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(handled_signals) / sizeof(handled_signals[0]); i++)
		sigaddset(&set, handled_signals[i]);
	sigprocmask(SIG_BLOCK, &set, NULL);
	/* EPIPE from an attach client or a closed caller is handled where it
	 * happens; children get SIG_DFL back in shim_child_reset. */
	signal(SIGPIPE, SIG_IGN);
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	s->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	s->stop_timer = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	s->backoff_timer = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (s->epfd < 0 || s->sigfd < 0 || s->stop_timer < 0 || s->backoff_timer < 0 ||
	    shim_epoll_add(s, s->sigfd, SHIM_TAG(TAG_SIGNAL, 0)) < 0 ||
	    shim_epoll_add(s, s->stop_timer, SHIM_TAG(TAG_STOP_TIMER, 0)) < 0 ||
	    shim_epoll_add(s, s->backoff_timer, SHIM_TAG(TAG_BACKOFF_TIMER, 0)) < 0)
		return pith_fail(err, errno, "event loop setup");
	return 0;
}

/* A live control socket means another shim owns this id: touch nothing. */
static bool shim_alive(const char *sock)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", sock);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	bool alive = fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0;
	if (fd >= 0)
		close(fd);
	return alive;
}

/* The run dir holds the sockets, the pid file and (--init) the private
 * bundle: one someone else owns or may write to could swap any of them. */
static int private_dir(const char *dir, struct pith_error *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return pith_fail(err, errno, "run dir %s", dir);
	struct stat st;
	int r = fstat(fd, &st);
	int e = errno;
	close(fd);
	if (r < 0)
		return pith_fail(err, e, "run dir %s", dir);
	if (st.st_uid != geteuid())
		return pith_fail(err, 0, "run dir %s: owned by uid %u, not by us (uid %u)", dir,
				 (unsigned)st.st_uid, (unsigned)geteuid());
	if (st.st_mode & 022)
		return pith_fail(err, 0, "run dir %s: writable by others (mode %04o)", dir,
				 (unsigned)(st.st_mode & 07777));
	return 0;
}

static int setup_run_dir(struct shim *s, struct pith_error *err)
{
	char dir[SHIM_PATH_MAX];
	if (s->o.run_dir)
		snprintf(dir, sizeof(dir), "%s", s->o.run_dir);
	else
		snprintf(dir, sizeof(dir), "%s/%s", SHIM_DEFAULT_RUN_DIR, s->o.id);
	int n = s->o.socket_path
			? snprintf(s->socket_path, sizeof(s->socket_path), "%s", s->o.socket_path)
			: snprintf(s->socket_path, sizeof(s->socket_path), "%s/ctl.sock", dir);
	if (n >= (int)sizeof(s->socket_path))
		return pith_fail(err, ENAMETOOLONG, "control socket path %s", s->socket_path);
	if (shim_alive(s->socket_path))
		return pith_fail(err, EEXIST, "a shim for %s is already running (%s)", s->o.id,
				 s->socket_path);
	if (!s->o.run_dir && mkdir(SHIM_DEFAULT_RUN_DIR, 0700) < 0 && errno != EEXIST)
		return pith_fail(err, errno, "mkdir %s", SHIM_DEFAULT_RUN_DIR);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return pith_fail(err, errno, "mkdir %s", dir);
	if (!s->o.run_dir && private_dir(SHIM_DEFAULT_RUN_DIR, err) < 0)
		return -1;
	if (private_dir(dir, err) < 0)
		return -1;
	snprintf(s->run_dir, sizeof(s->run_dir), "%s", dir);
	return 0;
}

static int write_pid_file(struct shim *s, struct pith_error *err)
{
	char buf[32];
	if (!s->o.pid_file)
		return 0;
	int n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	return shim_write_file_atomic(s->o.pid_file, buf, (size_t)n, err);
}

static int setup(struct shim *s, struct pith_error *err)
{
	shim_self_protect(s);
	/* the log first: the image's pull and bundle may have notes for it */
	if (setup_events(s, err) < 0 || setup_run_dir(s, err) < 0 || shim_log_open(s, err) < 0 ||
	    shim_ctl_listen(s, err) < 0 || write_pid_file(s, err) < 0 || shim_update_setup(s, err) < 0)
		return -1;
	if (shim_bundle_prepare(s, err) == 0 && shim_container_start(s, err) == 0)
		return 0;
	return shim_update_start_failed(s, err);
}

static void remove_run_dir(struct shim *s)
{
	static const char *const files[] = {
		"container.pid", "console.sock", "ctl.sock", "bundle/config.json", "bundle",
	};
	int dfd = open(s->run_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (unlinkat(dfd, files[i], 0) < 0 && errno == EISDIR)
			unlinkat(dfd, files[i], AT_REMOVEDIR);
	close(dfd);
	rmdir(s->run_dir); /* fails, as it should, if someone put more there */
}

static void cleanup(struct shim *s)
{
	shim_update_finish(s); /* the image's bundle and pin go before the run dir */
	if (s->ctl_fd >= 0)
		unlink(s->socket_path);
	if (s->o.pid_file)
		unlink(s->o.pid_file);
	if (s->run_dir[0])
		remove_run_dir(s);
}

static int finish(struct shim *s)
{
	struct pith_error err;
	shim_stream_close(s, &s->out);
	shim_stream_close(s, &s->errs);
	if (s->created)
		shim_container_delete(s);
	shim_log_sync(s);
	if (shim_write_exit_file(s, &err) < 0)
		shim_report_failed(s, &err);
	cleanup(s);
	return shim_exit_status(s);
}

static void init_state(struct shim *s)
{
	s->epfd = s->sigfd = s->pidfd = s->ctl_fd = -1;
	s->stop_timer = s->backoff_timer = s->console_master = s->report_fd = -1;
	s->out.fd = s->errs.fd = s->log.fd = -1;
	s->cg.memory_dir = s->cg.procs_dir = -1;
	s->img.probation_timer = -1;
	s->stop_signal = SIGTERM;
	for (int i = 0; i < SHIM_MAX_CLIENTS; i++)
		s->clients[i].fd = -1;
}

int main(int argc, char **argv)
{
	struct shim *s = &shim;
	struct pith_error err = { 0 };
	if (argc > 1 && strcmp(argv[1], "ctl") == 0)
		return shim_client_main(argc - 1, argv + 1);
	init_state(s);
	int r = shim_parse_opts(&s->o, argc, argv, &err);
	if (r != 0) {
		if (r < 0)
			shim_report_failed(s, &err);
		return r > 0 ? 0 : SHIM_EXIT_FAILURE;
	}
	absolute_paths(&s->o);
	find_runtime(s);
	/* Whatever the caller left open is not ours to pass on. */
	r = fd_close_from_except(3, NULL, 0);
	if (r < 0) {
		pith_fail(&err, -r, "close the fds the caller left open");
		shim_report_failed(s, &err);
		return SHIM_EXIT_FAILURE;
	}
	if (!s->o.foreground && shim_daemonize(s, &err) < 0) {
		shim_report_failed(s, &err);
		return SHIM_EXIT_FAILURE;
	}
	if (setup(s, &err) < 0) {
		cleanup(s); /* first: the caller hears of the failure once it is undone */
		shim_report_failed(s, &err);
		return SHIM_EXIT_FAILURE;
	}
	shim_report_started(s);
	if (chdir("/") < 0) {
		/* only to free the caller's cwd; harmless if it fails */
	}
	r = shim_loop(s);
	if (r < 0)
		shim_log_note(s, "event loop: %s", strerror(-r));
	return finish(s);
}
