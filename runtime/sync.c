/* The parent/child frames of create and exec over a SOCK_SEQPACKET socketpair (sync.h). */
#include "sync.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

struct sync_header {
	uint32_t type;
	int32_t value;
};

#define SYNC_MAX_PAYLOAD (256 * 1024)

int sync_pair(int fds[2], struct pith_error *err)
{
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0)
		return pith_fail(err, errno, "socketpair");
	return 0;
}

int sync_send(int fd, enum sync_type type, int32_t value, const char *payload, struct pith_error *err)
{
	struct sync_header h = { .type = type, .value = value };
	struct iovec iov[2] = {
		{ .iov_base = &h, .iov_len = sizeof(h) },
		{ .iov_base = (void *)payload, .iov_len = payload ? strlen(payload) : 0 },
	};
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2 };
	ssize_t n;
	do
		n = sendmsg(fd, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return pith_fail(err, errno, "sync: send");
	return 0;
}

/* recvmsg past EINTR and past one ECONNRESET. A child that exits with a frame of ours unread
 * (it failed while we were sending) leaves ECONNRESET on our end, and the kernel reports that
 * before the frames the child sent first, its error among them; the error is cleared once
 * reported, so the next call returns what is queued, or 0 (end of file). */
static ssize_t recv_frame(int fd, struct msghdr *msg, int flags)
{
	ssize_t n;
	bool reset = false;
	for (;;) {
		n = recvmsg(fd, msg, flags);
		if (n >= 0 || (errno != EINTR && (errno != ECONNRESET || reset)))
			return n;
		if (errno == ECONNRESET)
			reset = true;
	}
}

int sync_recv(int fd, enum sync_type expected, int32_t *value, char *payload, size_t payload_len,
	      struct pith_error *err)
{
	static char buf[SYNC_MAX_PAYLOAD];
	struct sync_header h;
	struct iovec iov[2] = {
		{ .iov_base = &h, .iov_len = sizeof(h) },
		{ .iov_base = buf, .iov_len = sizeof(buf) - 1 },
	};
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2 };
	ssize_t n = recv_frame(fd, &msg, 0);
	if (n < 0)
		return pith_fail(err, errno, "sync: receive");
	if (n == 0)
		return pith_fail(err, 0, "the container's init exited before it was ready");
	if ((size_t)n < sizeof(h))
		return pith_fail(err, EPROTO, "sync: short message");
	size_t len = (size_t)n - sizeof(h);
	buf[len] = '\0';
	if (h.type == SYNC_ERROR) {
		int r = pith_fail(err, h.value, "%s", buf);
		return r;
	}
	if (h.type != (uint32_t)expected)
		return pith_fail(err, EPROTO, "sync: expected message %d, got %u", expected, h.type);
	if (value)
		*value = h.value;
	if (payload && payload_len) {
		size_t copy = len < payload_len - 1 ? len : payload_len - 1;
		memcpy(payload, buf, copy);
		payload[copy] = '\0';
	}
	return 0;
}

void sync_send_error(int fd, const struct pith_error *err)
{
	sync_send(fd, SYNC_ERROR, err->errnum, err->msg, NULL);
}

int sync_take_error(int fd, struct pith_error *err)
{
	char buf[sizeof(struct sync_header) + 2048];
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) - 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n = recv_frame(fd, &msg, MSG_DONTWAIT);
	if (n < (ssize_t)sizeof(struct sync_header))
		return 0;
	struct sync_header h;
	memcpy(&h, buf, sizeof(h));
	if (h.type != SYNC_ERROR)
		return 0;
	buf[n] = '\0';
	pith_fail(err, h.value, "%s", buf + sizeof(h));
	return 1;
}
