/* One run of the container: `RUNTIME create` with our stdio (or a console
 * socket), then take hold of the init through a pidfd and its cgroup, then
 * `RUNTIME start`. The shim is a child subreaper, so once the runtime's
 * create exits the container's init is our child and we get its status. */
#include "shim.h"
#include "../runtime/cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static int console_listen(struct shim *s, char *path, size_t cap, struct pith_error *err)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	if (shim_path(path, cap, s->run_dir, "console.sock") < 0 || strlen(path) >= sizeof(addr.sun_path))
		return pith_fail(err, ENAMETOOLONG, "console socket in %s", s->run_dir);
	strcpy(addr.sun_path, path);
	unlink(path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return pith_fail(err, errno, "console socket");
	/* 0600 from bind on, as the control socket: a chmod after it leaves a
	 * window in which others may connect and be handed the pty */
	mode_t old = umask(077);
	int r = bind(fd, (struct sockaddr *)&addr, sizeof(addr));
	umask(old);
	if (r < 0 || listen(fd, 1) < 0) {
		int e = errno;
		close(fd);
		return pith_fail(err, e, "console socket %s", path);
	}
	return fd;
}

/* The runtime connected and sent the pty master before its create exited. */
static int console_receive(int lfd, struct pith_error *err)
{
	auto_fd c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0)
		return pith_fail(err, errno, "the runtime sent no terminal on the console socket");
	char data[512];
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { data, sizeof(data) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	if (recvmsg(c, &msg, MSG_CMSG_CLOEXEC) < 0)
		return pith_fail(err, errno, "console socket");
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS ||
	    cm->cmsg_len != CMSG_LEN(sizeof(int)))
		return pith_fail(err, 0, "console socket: no terminal fd in the message");
	int fd;
	memcpy(&fd, CMSG_DATA(cm), sizeof(fd));
	return fd;
}

static int read_pid(const char *path, pid_t *pid, struct pith_error *err)
{
	char buf[32];
	if (shim_read_file(AT_FDCWD, path, buf, sizeof(buf)) <= 0)
		return pith_fail(err, errno, "the runtime wrote no pid file %s", path);
	long v = strtol(buf, NULL, 10);
	if (v <= 0)
		return pith_fail(err, 0, "%s: not a pid", path);
	*pid = (pid_t)v;
	return 0;
}

static void close_child_fds(int child[3])
{
	for (int i = 0; i < 3; i++)
		if (child[i] > 2)
			close(child[i]);
}

static int create(struct shim *s, const char *pidfile, struct pith_error *err)
{
	char sock[SHIM_PATH_MAX];
	int child[3];
	auto_fd lfd = -1;
	if (shim_stdio_pipes(s, child, err) < 0)
		return -1;
	if (s->terminal && (lfd = console_listen(s, sock, sizeof(sock), err)) < 0) {
		close_child_fds(child);
		return -1;
	}
	const char *args[12] = { "create", "--bundle", s->bundle, "--pid-file", pidfile };
	size_t na = 5;
	if (s->config[0]) {
		args[na++] = "--config";
		args[na++] = s->config;
	}
	if (s->terminal) {
		args[na++] = "--console-socket";
		args[na++] = sock;
	}
	args[na] = s->o.id;
	int r = shim_runtime(s, args, child[0], child[1], child[2], err);
	close_child_fds(child);
	if (r < 0 && s->errs.fd >= 0) {
		/* The runtime's complaint went to the container's stderr pipe. */
		char msg[512];
		ssize_t n = read(s->errs.fd, msg, sizeof(msg) - 1);
		while (n > 0 && msg[n - 1] == '\n')
			n--;
		if (n > 0) {
			msg[n] = '\0';
			size_t used = strlen(err->msg);
			snprintf(err->msg + used, sizeof(err->msg) - used, ": %s", msg);
		}
	}
	if (r == 0 && s->terminal) {
		int m = console_receive(lfd, err);
		if (m < 0)
			r = -1;
		else {
			s->console_master = m;
			fcntl(m, F_SETFL, O_NONBLOCK);
			s->out = (struct shim_stream){ .fd = m, .id = STREAM_STDOUT };
		}
	}
	if (s->terminal) {
		unlink(sock);
		if (s->errs.fd >= 0) /* only the runtime wrote there */
			close(s->errs.fd), s->errs.fd = -1;
	}
	return r;
}

static void close_streams(struct shim *s)
{
	for (struct shim_stream *st = &s->out; st; st = st == &s->out ? &s->errs : NULL)
		if (st->fd >= 0)
			close(st->fd), st->fd = -1;
	s->console_master = -1; /* it was s->out.fd */
}

static int watch(struct shim *s, struct pith_error *err)
{
	s->pidfd = (int)syscall(SYS_pidfd_open, s->pid, 0);
	if (s->pidfd < 0)
		return pith_fail(err, errno, "pidfd_open %d", (int)s->pid);
	if (shim_epoll_add(s, s->pidfd, SHIM_TAG(TAG_PIDFD, 0)) < 0 ||
	    (s->out.fd >= 0 && shim_epoll_add(s, s->out.fd, SHIM_TAG(TAG_STREAM, STREAM_STDOUT)) < 0) ||
	    (s->errs.fd >= 0 && shim_epoll_add(s, s->errs.fd, SHIM_TAG(TAG_STREAM, STREAM_STDERR)) < 0))
		return pith_fail(err, errno, "epoll");
	shim_cgroup_open(&s->cg, s->pid);
	return 0;
}

int shim_container_start(struct shim *s, struct pith_error *err)
{
	char pidfile[SHIM_PATH_MAX];
	if (shim_path(pidfile, sizeof(pidfile), s->run_dir, "container.pid") < 0)
		return pith_fail(err, ENAMETOOLONG, "%s", s->run_dir);
	unlink(pidfile);
	s->exited = s->status_known = s->oom_killed = s->stop_timeout_killed = false;
	if (create(s, pidfile, err) < 0 || read_pid(pidfile, &s->pid, err) < 0 || watch(s, err) < 0) {
		close_streams(s);
		shim_container_delete(s);
		return -1;
	}
	const char *args[] = { "start", s->o.id, NULL };
	if (shim_runtime_quiet(s, args, err) < 0) {
		close_streams(s);
		shim_container_delete(s);
		return -1;
	}
	s->created = true;
	s->started_at_ns = shim_now_ns(CLOCK_REALTIME);
	s->started_mono_ns = shim_now_ns(CLOCK_MONOTONIC);
	s->state = STATE_RUNNING;
	shim_update_started(s);
	return 0;
}

/* A run is over: its streams closed and the runtime's container deleted. */
void shim_container_end(struct shim *s)
{
	shim_stream_close(s, &s->out);
	shim_stream_close(s, &s->errs);
	s->console_master = -1;
	shim_container_delete(s);
}

/* Forget this run and make the runtime remove what is left of it. */
void shim_container_delete(struct shim *s)
{
	struct pith_error err;
	const char *args[] = { "delete", "--force", s->o.id, NULL };
	if (s->pidfd >= 0) {
		shim_epoll_del(s, s->pidfd);
		close(s->pidfd);
		s->pidfd = -1;
	}
	shim_cgroup_close(&s->cg);
	bool was_created = s->created;
	s->created = false;
	/* after a failed create there may be nothing to delete: stay quiet */
	if (shim_runtime_quiet(s, args, &err) < 0 && was_created)
		shim_log_note(s, "%s", err.msg);
}

int shim_container_signal(struct shim *s, int sig)
{
	if (s->pidfd < 0 || s->exited)
		return -ESRCH;
	if (s->o.signal_group && !s->o.init) {
		pid_t pgid = getpgid(s->pid);
		if (pgid > 1 && pgid != getpgrp())
			return kill(-pgid, sig) < 0 ? -errno : 0;
	}
	/* through the pidfd: a recycled pid can never receive it */
	return syscall(SYS_pidfd_send_signal, s->pidfd, sig, NULL, 0) < 0 ? -errno : 0;
}

void shim_container_kill_all(struct shim *s)
{
	shim_container_signal(s, SIGKILL);
	shim_cgroup_kill(&s->cg);
}
