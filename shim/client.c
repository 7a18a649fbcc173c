/* `pith-shim ctl`: the client side of the control socket (see ctl.c). */
#include "shim.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int usage(void)
{
	shim_usage(stderr);
	return 2;
}

static int connect_to(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(addr.sun_path)) {
		dprintf(2, "pith-shim ctl: socket path too long: %s\n", path);
		return -1;
	}
	strcpy(addr.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		dprintf(2, "pith-shim ctl: %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Streams [id][bytes] packets to stdout/stderr until the shim goes away. */
static int attach(int fd)
{
	static char buf[SHIM_STREAM_BUF + 1];
	ssize_t n;
	while ((n = recv(fd, buf, sizeof(buf), 0)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		if (n > 1)
			shim_write_all(buf[0] == STREAM_STDERR ? 2 : 1, buf + 1, (size_t)n - 1);
	}
	return 0;
}

/* The shim closes a stop's connection only when it is finished. */
static int wait_closed(int fd)
{
	char buf[64];
	ssize_t n;
	while ((n = recv(fd, buf, sizeof(buf), 0)) != 0)
		if (n < 0 && errno != EINTR)
			return 1;
	return 0;
}

static int request(int fd, const char *req, const char *verb)
{
	char buf[8192];
	if (send(fd, req, strlen(req), MSG_NOSIGNAL) < 0) {
		dprintf(2, "pith-shim ctl: send: %s\n", strerror(errno));
		return 1;
	}
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0) {
		dprintf(2, "pith-shim ctl: no answer from the shim\n");
		return 1;
	}
	buf[n] = '\0';
	if (strncmp(buf, "error", 5) == 0) {
		dprintf(2, "pith-shim ctl: %s\n", buf);
		return 1;
	}
	if (strcmp(verb, "status") == 0)
		return shim_write_all(1, buf, (size_t)n) < 0;
	if (strcmp(verb, "attach") == 0)
		return attach(fd);
	if (strcmp(verb, "stop") == 0)
		return wait_closed(fd);
	return 0;
}

int shim_client_main(int argc, char **argv)
{
	const char *sock = NULL, *id = NULL, *run_dir = NULL;
	char path[SHIM_PATH_MAX], req[256];
	int i = 1;
	for (; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
		if (strcmp(argv[i], "--socket") == 0)
			sock = argv[i + 1];
		else if (strcmp(argv[i], "--id") == 0)
			id = argv[i + 1];
		else if (strcmp(argv[i], "--run-dir") == 0)
			run_dir = argv[i + 1];
		else
			return usage();
	}
	if (i >= argc || (!sock && !id && !run_dir))
		return usage();
	if (!sock) {
		if (run_dir)
			snprintf(path, sizeof(path), "%s/ctl.sock", run_dir);
		else
			snprintf(path, sizeof(path), "%s/%s/ctl.sock", SHIM_DEFAULT_RUN_DIR, id);
		sock = path;
	}
	size_t len = 0;
	for (int k = i; k < argc; k++)
		len += (size_t)snprintf(req + len, sizeof(req) - len, "%s%s", k > i ? " " : "", argv[k]);
	if (len >= sizeof(req))
		return usage();
	signal(SIGPIPE, SIG_IGN);
	int fd = connect_to(sock);
	if (fd < 0)
		return 1;
	int r = request(fd, req, argv[i]);
	close(fd);
	return r;
}
