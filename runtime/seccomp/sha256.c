/* SHA-256 through the kernel's AF_ALG hash socket, for the seccomp cache key (sha256.h). */
#include "sha256.h"
#include "../cleanup.h"

#include <errno.h>
#include <stdbool.h>
#include <linux/if_alg.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int sha256_iov(const struct iovec *iov, int n, unsigned char out[SHA256_LEN])
{
	auto_fd tfm = socket(AF_ALG, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (tfm < 0)
		return -errno;
	struct sockaddr_alg sa = { .salg_family = AF_ALG };
	memcpy(sa.salg_type, "hash", 5);
	memcpy(sa.salg_name, "sha256", 7);
	if (bind(tfm, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	auto_fd op = accept4(tfm, NULL, NULL, SOCK_CLOEXEC);
	if (op < 0)
		return -errno;
	/* one piece per send, MSG_MORE on all but the last: the kernel's
	 * sendmsg takes a bounded amount per call */
	for (int i = 0; i < n; i++) {
		const char *p = iov[i].iov_base;
		size_t left = iov[i].iov_len;
		do {
			size_t chunk = left > 65536 ? 65536 : left;
			bool more = chunk < left || i + 1 < n;
			ssize_t w = send(op, p, chunk, more ? MSG_MORE : 0);
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				return -errno;
			p += w;
			left -= (size_t)w;
		} while (left > 0);
	}
	if (n == 0 && send(op, "", 0, 0) < 0)
		return -errno;
	ssize_t r = read(op, out, SHA256_LEN);
	if (r != SHA256_LEN)
		return r < 0 ? -errno : -EIO;
	return 0;
}
