/* The control socket: SOCK_SEQPACKET, mode 0600, one request per packet:
 *   status            -> one JSON packet
 *   stop [SECONDS]    -> "ok", then the connection closes when the shim is done
 *   kill SIG          -> "ok" or "error: ..."
 *   attach            -> "ok", then packets of [stream byte 1|2][bytes] live
 *   resize ROWS COLS  -> "ok" (terminal only)
 *   update            -> "ok" or "error: ..." (--image: follow the image's name)
 * Packets keep request boundaries without any framing code. */
#include "shim.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

int shim_ctl_listen(struct shim *s, struct pith_error *err)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	if (strlen(s->socket_path) >= sizeof(addr.sun_path))
		return pith_fail(err, ENAMETOOLONG, "control socket %s", s->socket_path);
	strcpy(addr.sun_path, s->socket_path);
	unlink(s->socket_path);
	s->ctl_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s->ctl_fd < 0)
		return pith_fail(err, errno, "control socket");
	mode_t old = umask(077); /* 0600 from the start: no window for others */
	int r = bind(s->ctl_fd, (struct sockaddr *)&addr, sizeof(addr));
	umask(old);
	if (r < 0 || listen(s->ctl_fd, SHIM_MAX_CLIENTS) < 0)
		return pith_fail(err, errno, "control socket %s", s->socket_path);
	if (shim_epoll_add(s, s->ctl_fd, SHIM_TAG(TAG_CTL_LISTEN, 0)) < 0)
		return pith_fail(err, errno, "epoll");
	return 0;
}

static void drop_client(struct shim *s, int idx)
{
	struct shim_client *c = &s->clients[idx];
	shim_epoll_del(s, c->fd);
	close(c->fd);
	*c = (struct shim_client){ .fd = -1 };
}

static void reply(int fd, const char *msg)
{
	send(fd, msg, strlen(msg), MSG_DONTWAIT | MSG_NOSIGNAL);
}

void shim_ctl_accept(struct shim *s)
{
	int fd = accept4(s->ctl_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	for (int i = 0; i < SHIM_MAX_CLIENTS; i++) {
		if (s->clients[i].fd >= 0)
			continue;
		if (shim_epoll_add(s, fd, SHIM_TAG(TAG_CLIENT, i)) < 0)
			break;
		s->clients[i] = (struct shim_client){ .fd = fd };
		return;
	}
	reply(fd, "error: too many clients");
	close(fd);
}

static void cmd_kill(struct shim *s, int fd, const char *arg)
{
	int sig = shim_parse_signal(arg);
	if (!sig) {
		reply(fd, "error: unknown signal");
		return;
	}
	int r = shim_container_signal(s, sig);
	reply(fd, r < 0 ? "error: the container is not running" : "ok");
}

static void cmd_resize(struct shim *s, int fd, const char *arg)
{
	struct winsize ws = { 0 };
	char *end;
	ws.ws_row = (unsigned short)strtoul(arg, &end, 10);
	ws.ws_col = (unsigned short)strtoul(end, NULL, 10);
	if (s->console_master < 0 || ioctl(s->console_master, TIOCSWINSZ, &ws) < 0)
		reply(fd, "error: no terminal");
	else
		reply(fd, "ok");
}

/* Returns true when the client stays connected. */
static bool dispatch(struct shim *s, struct shim_client *c, char *req)
{
	char *arg = strchr(req, ' ');
	if (arg)
		*arg++ = '\0';
	else
		arg = req + strlen(req);
	if (strcmp(req, "status") == 0) {
		char buf[8192];
		int n = shim_status_json(s, buf, sizeof(buf));
		send(c->fd, buf, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL);
	} else if (strcmp(req, "stop") == 0) {
		unsigned t = *arg ? (unsigned)strtoul(arg, NULL, 10) : s->o.stop_timeout;
		reply(c->fd, "ok");
		shim_stop(s, t);
		c->wait_exit = true;
		return true;
	} else if (strcmp(req, "kill") == 0) {
		cmd_kill(s, c->fd, arg);
	} else if (strcmp(req, "attach") == 0) {
		reply(c->fd, "ok");
		c->attach = true;
		return true;
	} else if (strcmp(req, "update") == 0) {
		struct pith_error err = { 0 };
		char msg[sizeof(err.msg) + 8] = "ok";
		if (shim_update_request(s, &err) < 0)
			snprintf(msg, sizeof(msg), "error: %s", err.msg);
		reply(c->fd, msg);
	} else if (strcmp(req, "resize") == 0) {
		cmd_resize(s, c->fd, arg);
	} else {
		reply(c->fd, "error: unknown request");
	}
	return false;
}

void shim_ctl_handle(struct shim *s, int idx)
{
	struct shim_client *c = &s->clients[idx];
	char req[256];
	if (c->fd < 0)
		return; /* dropped earlier in this batch of events */
	ssize_t n = recv(c->fd, req, sizeof(req) - 1, MSG_DONTWAIT);
	if (n < 0 && errno == EAGAIN)
		return;
	if (n <= 0) {
		drop_client(s, idx);
		return;
	}
	if (c->attach || c->wait_exit)
		return; /* one request per connection; the rest is ignored */
	req[n] = '\0';
	req[strcspn(req, "\n")] = '\0';
	if (!dispatch(s, c, req))
		drop_client(s, idx);
}

void shim_ctl_broadcast(struct shim *s, enum stream_id id, const char *p, size_t n)
{
	unsigned char tag = (unsigned char)id;
	for (int i = 0; i < SHIM_MAX_CLIENTS; i++) {
		struct shim_client *c = &s->clients[i];
		if (c->fd < 0 || !c->attach)
			continue;
		struct iovec iov[2] = { { &tag, 1 }, { (void *)p, n } };
		struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2 };
		/* A client too slow to keep up is cut off: the container
		 * must never wait for a reader. */
		if (sendmsg(c->fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
			drop_client(s, i);
	}
}
