/* The two halves of seccomp that run without libseccomp: the kernel install
 * in the container's init, and handing the notify listener to the agent. */
#include <errno.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "../cleanup.h"
#include "seccomp.h"

int seccomp_program_install(const struct seccomp_program *p, struct pith_error *err)
{
	struct sock_fprog prog = { .len = p->len, .filter = p->filter };
	if (!p->filter || p->len == 0)
		return pith_fail(err, 0, "seccomp: no compiled program to install");
	long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, p->flags, &prog);
	if (r < 0) {
		int e = errno;
		if (e == EACCES && prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
			return pith_fail(err, e, "seccomp: installing the filter needs noNewPrivileges "
					 "or CAP_SYS_ADMIN at that point");
		return pith_fail(err, e, "seccomp: installing the filter (%u instructions, flags %#x)",
				 p->len, p->flags);
	}
	return p->notify ? (int)r : 0;
}

static int connect_unix(const char *path, struct pith_error *err)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(addr.sun_path))
		return pith_fail(err, ENAMETOOLONG, "linux.seccomp.listenerPath: %s", path);
	memcpy(addr.sun_path, path, strlen(path) + 1);
	auto_fd fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return pith_fail(err, errno, "seccomp listener: socket");
	int r;
	do
		r = connect(fd, (struct sockaddr *)&addr, sizeof(addr));
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return pith_fail(err, errno, "linux.seccomp.listenerPath: connecting to %s", path);
	return pith_steal_fd(&fd);
}

/* The first byte carries the fd; a long state goes out in more sends. */
static int send_with_fd(int sock, const char *data, size_t len, int fd_to_send)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	memset(&control, 0, sizeof(control));
	struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
			      .msg_controllen = sizeof(control.buf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd_to_send, sizeof(int));
	ssize_t n;
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	for (size_t off = (size_t)n; off < len; off += (size_t)n) {
		do
			n = send(sock, data + off, len - off, MSG_NOSIGNAL);
		while (n < 0 && errno == EINTR);
		if (n <= 0)
			return -1;
	}
	return 0;
}

int seccomp_send_listener(const char *listener_path, int listener_fd, const char *state_json,
			  struct pith_error *err)
{
	if (!listener_path || !*listener_path)
		return pith_fail(err, 0, "linux.seccomp.listenerPath: not set");
	if (listener_fd < 0)
		return pith_fail(err, EBADF, "seccomp listener: no listener fd");
	size_t len = state_json ? strlen(state_json) : 0;
	if (len == 0)
		return pith_fail(err, 0, "seccomp listener: empty container state");
	auto_fd sock = connect_unix(listener_path, err);
	if (sock < 0)
		return sock;
	if (send_with_fd(sock, state_json, len, listener_fd) < 0)
		return pith_fail(err, errno, "linux.seccomp.listenerPath: sending the listener to %s",
				 listener_path);
	return 0;
}
