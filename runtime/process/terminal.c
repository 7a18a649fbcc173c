/* process.terminal: the pty made in the container and its master sent to --console-socket (terminal.h). */
#include "terminal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "../cleanup.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

/* Keep pty fds off 0-2: the caller dup2()s the slave onto them, which must not
 * clobber the master or the slave itself. */

/* Old kernels: the slave by name, in the pts directory of this ptmx
 * ("<dir>/pts/ptmx" -> "<dir>/pts/N", "<dir>/ptmx" -> "<dir>/pts/N"). */
static int open_peer_by_name(const char *ptmx_path, int master)
{
	unsigned n;
	char path[4096];
	if (ioctl(master, TIOCGPTN, &n) < 0)
		return -1;
	size_t len = strlen(ptmx_path);
	const char *slash = strrchr(ptmx_path, '/');
	int dir_len = slash ? (int)(slash - ptmx_path) : 0;
	bool in_pts = len >= 9 && strcmp(ptmx_path + len - 9, "/pts/ptmx") == 0;
	int r = snprintf(path, sizeof(path), "%.*s%s/%u", dir_len, ptmx_path, in_pts ? "" : "/pts", n);
	if (r < 0 || (size_t)r >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
}

int terminal_open(const char *ptmx_path, const struct spec_process *p, int *master, int *slave,
		  struct pith_error *err)
{
	auto_fd m = pith_fd_above_stdio(open(ptmx_path, O_RDWR | O_NOCTTY | O_CLOEXEC));
	if (m < 0)
		return pith_fail(err, errno, "process.terminal: %s", ptmx_path);
	if (unlockpt(m) < 0)
		return pith_fail(err, errno, "process.terminal: %s: unlockpt", ptmx_path);

	int s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (s < 0 && (errno == EINVAL || errno == ENOTTY))
		s = open_peer_by_name(ptmx_path, m);
	auto_fd sl = pith_fd_above_stdio(s);
	if (sl < 0)
		return pith_fail(err, errno, "process.terminal: %s: open the pty's peer", ptmx_path);

	if (p && p->has_console_size) {
		struct winsize ws = {
			.ws_row = (unsigned short)p->console_height,
			.ws_col = (unsigned short)p->console_width,
		};
		if (ioctl(m, TIOCSWINSZ, &ws) < 0)
			return pith_fail(err, errno, "process.consoleSize: TIOCSWINSZ");
	}
	*master = pith_steal_fd(&m);
	*slave = pith_steal_fd(&sl);
	return 0;
}

static int connect_type(const char *path, int type)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	auto_fd dir = -1;
	char via_dir[sizeof(sa.sun_path)];
	const char *target = path;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		/* Reach it as /proc/self/fd/<dirfd>/<name>. */
		const char *slash = strrchr(path, '/');
		if (!slash) {
			errno = ENAMETOOLONG;
			return -1;
		}
		char *d = strndup(path, (size_t)(slash - path) + 1);
		if (!d)
			return -1;
		dir = open(d, O_PATH | O_DIRECTORY | O_CLOEXEC);
		free(d);
		if (dir < 0)
			return -1;
		int r = snprintf(via_dir, sizeof(via_dir), "/proc/self/fd/%d/%s", dir, slash + 1);
		if (r < 0 || (size_t)r >= sizeof(via_dir)) {
			errno = ENAMETOOLONG;
			return -1;
		}
		target = via_dir;
	}
	memcpy(sa.sun_path, target, strlen(target) + 1);

	auto_fd fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	while (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		if (errno != EINTR)
			return -1;
	return pith_steal_fd(&fd);
}

int terminal_connect_socket(const char *path, struct pith_error *err)
{
	int fd = connect_type(path, SOCK_STREAM);
	if (fd < 0 && errno == EPROTOTYPE)
		fd = connect_type(path, SOCK_SEQPACKET);
	if (fd < 0)
		return pith_fail(err, errno, "console socket %s: connect", path);
	return fd;
}

int terminal_send_master(int sockfd, int master, struct pith_error *err)
{
	char name[32] = "/dev/ptmx";
	unsigned n;
	if (ioctl(master, TIOCGPTN, &n) == 0)
		snprintf(name, sizeof(name), "/dev/pts/%u", n);

	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	memset(&ctl, 0, sizeof(ctl));
	struct iovec iov = { .iov_base = name, .iov_len = strlen(name) };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = ctl.buf,
		.msg_controllen = sizeof(ctl.buf),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &master, sizeof(int));

	ssize_t r;
	do
		r = sendmsg(sockfd, &msg, MSG_NOSIGNAL);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return pith_fail(err, errno, "console socket: send the terminal");
	return 0;
}

/* Close every fd a message carried; keep the first in *first (or -1). */
static int take_fds(struct msghdr *msg, int *first)
{
	int count = 0;
	*first = -1;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < nfd; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (*first < 0)
				*first = fd;
			else
				close(fd);
			count++;
		}
	}
	return count;
}

int terminal_recv_master(int listen_or_conn_fd, int *master, struct pith_error *err)
{
	auto_fd conn = -1;
	int fd = listen_or_conn_fd;
	int listening = 0;
	socklen_t optlen = sizeof(listening);
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &optlen) < 0)
		return pith_fail(err, errno, "console socket");
	if (listening) {
		do
			conn = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
		while (conn < 0 && errno == EINTR);
		if (conn < 0)
			return pith_fail(err, errno, "console socket: accept");
		fd = conn;
	}

	char name[4096];
	union {
		char buf[CMSG_SPACE(4 * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = name, .iov_len = sizeof(name) };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = ctl.buf,
		.msg_controllen = sizeof(ctl.buf),
	};
	ssize_t r;
	do
		r = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return pith_fail(err, errno, "console socket: receive the terminal");

	auto_fd got = -1;
	int count = take_fds(&msg, &got);
	if (count == 0)
		return pith_fail(err, 0, "console socket: %s without a terminal",
				 r == 0 ? "closed" : "message");
	if (count > 1 || (msg.msg_flags & MSG_CTRUNC))
		return pith_fail(err, 0, "console socket: expected one fd, got %s", count > 1 ? "several" : "more");
	if (!isatty(got))
		return pith_fail(err, 0, "console socket: the fd received is not a terminal");
	*master = pith_steal_fd(&got);
	return 0;
}

int terminal_become_controlling(int slave, struct pith_error *err)
{
	auto_fd copy = -1;
	int src = slave;
	if (slave <= 2) {
		/* dup2(fd, fd) would leave O_CLOEXEC set on a stdio fd. */
		copy = fcntl(slave, F_DUPFD_CLOEXEC, 3);
		if (copy < 0)
			return pith_fail(err, errno, "process.terminal: dup");
		src = copy;
	}
	if (setsid() < 0)
		return pith_fail(err, errno, "process.terminal: setsid");
	if (ioctl(src, TIOCSCTTY, 0) < 0)
		return pith_fail(err, errno, "process.terminal: make it the controlling terminal");
	for (int i = 0; i <= 2; i++)
		if (dup2(src, i) < 0)
			return pith_fail(err, errno, "process.terminal: dup2 to %d", i);
	return 0;
}
