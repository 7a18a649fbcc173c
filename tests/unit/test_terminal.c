#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "../../runtime/process/terminal.h"

TestSuite(terminal, .timeout = 20);

static void open_pty(const struct spec_process *p, int *m, int *s)
{
	struct pith_error err = { 0 };
	cr_assert_eq(terminal_open("/dev/ptmx", p, m, s, &err), 0, "%s: %s", err.msg, strerror(err.errnum));
}

/* Read until `want` bytes or 2 s without data. */
static size_t read_some(int fd, char *buf, size_t want)
{
	size_t got = 0;
	while (got < want) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		if (poll(&pf, 1, 2000) <= 0)
			break;
		ssize_t n = read(fd, buf + got, want - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	buf[got] = 0;
	return got;
}

static bool same_file(int a, int b)
{
	struct stat sa, sb;
	cr_assert_eq(fstat(a, &sa), 0);
	cr_assert_eq(fstat(b, &sb), 0);
	return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static bool cloexec(int fd)
{
	return fcntl(fd, F_GETFD) & FD_CLOEXEC;
}

Test(terminal, open_gives_a_connected_pair)
{
	int m, s;
	open_pty(NULL, &m, &s);
	cr_assert(isatty(m) && isatty(s));
	cr_assert(cloexec(m) && cloexec(s));
	/* the slave is the master's peer */
	char name[64];
	cr_assert_eq(ptsname_r(m, name, sizeof(name)), 0);
	cr_assert_str_eq(ttyname(s), name);
}

Test(terminal, send_and_receive_over_a_socketpair)
{
	int m, s, sv[2], got = -1;
	struct pith_error err = { 0 };
	char buf[64];
	open_pty(NULL, &m, &s);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);

	cr_assert_eq(terminal_send_master(sv[0], m, &err), 0, "%s", err.msg);
	cr_assert_eq(terminal_recv_master(sv[1], &got, &err), 0, "%s", err.msg);
	cr_assert_neq(got, m);
	cr_assert(same_file(got, m));
	cr_assert(cloexec(got));
	close(m); /* only the received copy is left */

	/* process output: the line discipline turns \n into \r\n */
	cr_assert_eq(write(s, "hello\n", 6), 6);
	cr_assert_eq(read_some(got, buf, 7), 7);
	cr_assert_str_eq(buf, "hello\r\n");

	/* input from the receiver reaches the process */
	struct termios t;
	tcgetattr(s, &t);
	t.c_lflag &= ~(tcflag_t)ECHO;
	tcsetattr(s, TCSANOW, &t);
	cr_assert_eq(write(got, "typed\n", 6), 6);
	cr_assert_eq(read_some(s, buf, 6), 6);
	cr_assert_str_eq(buf, "typed\n");
}

/* runc and crun put the name in the payload; check ours is the pts path. */
Test(terminal, payload_names_the_pts)
{
	int m, s, sv[2];
	struct pith_error err = { 0 };
	open_pty(NULL, &m, &s);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	cr_assert_eq(terminal_send_master(sv[0], m, &err), 0, "%s", err.msg);

	char data[128] = { 0 };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr a;
	} ctl;
	struct iovec iov = { data, sizeof(data) - 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			      .msg_controllen = sizeof(ctl.buf) };
	cr_assert_gt(recvmsg(sv[1], &msg, MSG_CMSG_CLOEXEC), 0);
	cr_assert_str_eq(data, ttyname(s));
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	cr_assert_not_null(c);
	cr_assert_eq(c->cmsg_type, SCM_RIGHTS);
}

Test(terminal, console_size_applied)
{
	struct spec_process p = { .terminal = true, .has_console_size = true,
				  .console_height = 40, .console_width = 123 };
	int m, s;
	open_pty(&p, &m, &s);
	struct winsize ws;
	cr_assert_eq(ioctl(s, TIOCGWINSZ, &ws), 0);
	cr_assert_eq(ws.ws_row, 40);
	cr_assert_eq(ws.ws_col, 123);
}

Test(terminal, no_console_size_leaves_zero)
{
	struct spec_process p = { .terminal = true };
	int m, s;
	open_pty(&p, &m, &s);
	struct winsize ws;
	cr_assert_eq(ioctl(s, TIOCGWINSZ, &ws), 0);
	cr_assert_eq(ws.ws_row, 0);
	cr_assert_eq(ws.ws_col, 0);
}

Test(terminal, missing_ptmx)
{
	int m = -7, s = -7;
	struct pith_error err = { 0 };
	char text[1200];
	cr_assert_lt(terminal_open("/nonexistent/dev/ptmx", NULL, &m, &s, &err), 0);
	cr_assert_eq(m, -7);
	cr_assert_str_eq(pith_error_text(&err, text, sizeof(text)),
			 "process.terminal: /nonexistent/dev/ptmx: No such file or directory");
}

/* Kernels before 4.13 have no TIOCGPTPEER: the slave is opened by name from
 * the pts directory next to the given ptmx. Seccomp plays the old kernel. */
Test(terminal, peer_by_name_without_tiocgptpeer)
{
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, NULL) < 0 && errno == ENOSYS)
		cr_skip_test("seccomp() is ENOSYS here (qemu-user): cannot hide TIOCGPTPEER");
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	cr_assert_eq(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EINVAL), SCMP_SYS(ioctl), 1,
				      SCMP_A1(SCMP_CMP_EQ, TIOCGPTPEER)), 0);
	cr_assert_eq(seccomp_load(ctx), 0);
	seccomp_release(ctx);
	cr_assert_eq(ioctl(0, TIOCGPTPEER, 0), -1);
	cr_assert_eq(errno, EINVAL);

	const char *paths[] = { "/dev/ptmx", "/dev/pts/ptmx" };
	for (int i = 0; i < 2; i++) {
		int m, s;
		struct pith_error err = { 0 };
		cr_assert_eq(terminal_open(paths[i], NULL, &m, &s, &err), 0, "%s: %s: %s", paths[i],
			     err.msg, strerror(err.errnum));
		char name[64];
		cr_assert_eq(ptsname_r(m, name, sizeof(name)), 0);
		cr_assert_str_eq(ttyname(s), name);
		cr_assert(cloexec(s));
		close(m);
		close(s);
	}
}

static char sock_dir[256];

static int listen_at(const char *path)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	cr_assert_lt(strlen(path), sizeof(sa.sun_path));
	strcpy(sa.sun_path, path);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0, "bind %s: %s", path, strerror(errno));
	cr_assert_eq(listen(fd, 1), 0);
	return fd;
}

Test(terminal, through_a_listening_socket_like_conmon)
{
	strcpy(sock_dir, "/tmp/pith-test-term-XXXXXX");
	cr_assert_not_null(mkdtemp(sock_dir));
	char path[300];
	snprintf(path, sizeof(path), "%s/console.sock", sock_dir);
	int l = listen_at(path);
	struct pith_error err = { 0 };

	int c = terminal_connect_socket(path, &err);
	cr_assert_geq(c, 0, "%s: %s", err.msg, strerror(err.errnum));
	cr_assert(cloexec(c));
	int m, s, got;
	open_pty(NULL, &m, &s);
	cr_assert_eq(terminal_send_master(c, m, &err), 0, "%s", err.msg);
	close(c);
	cr_assert_eq(terminal_recv_master(l, &got, &err), 0, "%s", err.msg);
	cr_assert(same_file(got, m));
	unlink(path);
	rmdir(sock_dir);
}

/* sun_path holds 108 bytes; a console socket deeper than that (long TMPDIR)
 * must still work. */
Test(terminal, connect_to_a_path_longer_than_sun_path)
{
	strcpy(sock_dir, "/tmp/pith-test-term-XXXXXX");
	cr_assert_not_null(mkdtemp(sock_dir));
	char deep[400];
	snprintf(deep, sizeof(deep), "%s/%0120d", sock_dir, 0);
	cr_assert_eq(mkdir(deep, 0700), 0);
	cr_assert_eq(chdir(deep), 0);
	int l = listen_at("s.sock");
	char path[512];
	snprintf(path, sizeof(path), "%s/s.sock", deep);
	cr_assert_gt(strlen(path), sizeof(((struct sockaddr_un *)0)->sun_path));

	struct pith_error err = { 0 };
	int c = terminal_connect_socket(path, &err);
	cr_assert_geq(c, 0, "%s: %s", err.msg, strerror(err.errnum));
	int m, s, got;
	open_pty(NULL, &m, &s);
	cr_assert_eq(terminal_send_master(c, m, &err), 0, "%s", err.msg);
	cr_assert_eq(terminal_recv_master(l, &got, &err), 0, "%s", err.msg);
	cr_assert(same_file(got, m));
	unlink(path);
	rmdir(deep);
	rmdir(sock_dir);
}

Test(terminal, connect_to_missing_socket)
{
	struct pith_error err = { 0 };
	char text[1200];
	cr_assert_lt(terminal_connect_socket("/nonexistent/console.sock", &err), 0);
	cr_assert_str_eq(pith_error_text(&err, text, sizeof(text)),
			 "console socket /nonexistent/console.sock: connect: No such file or directory");
}

Test(terminal, peer_closes_without_sending)
{
	int sv[2], got = -5;
	struct pith_error err = { 0 };
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	close(sv[0]);
	cr_assert_lt(terminal_recv_master(sv[1], &got, &err), 0);
	cr_assert_eq(got, -5);
	cr_assert_str_eq(err.msg, "console socket: closed without a terminal");
}

static void send_fd_raw(int sock, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr a;
	} ctl;
	memset(&ctl, 0, sizeof(ctl));
	struct iovec iov = { "x", 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			      .msg_controllen = sizeof(ctl.buf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	cr_assert_eq(sendmsg(sock, &msg, 0), 1);
}

Test(terminal, refuses_a_fd_that_is_not_a_terminal)
{
	int sv[2], got = -5;
	struct pith_error err = { 0 };
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	send_fd_raw(sv[0], null);
	cr_assert_lt(terminal_recv_master(sv[1], &got, &err), 0);
	cr_assert_eq(got, -5);
	cr_assert_str_eq(err.msg, "console socket: the fd received is not a terminal");
}

/* pith's init may run with 0-2 closed: the pty must not land on them, or
 * dup2()ing the slave onto stdio would clobber it. */
Test(terminal, fds_never_stdio)
{
	close(0);
	close(1);
	close(2);
	int m, s;
	open_pty(NULL, &m, &s);
	cr_assert_gt(m, 2);
	cr_assert_gt(s, 2);
	cr_assert_eq(fcntl(0, F_GETFD), -1, "fd 0 left open");
	cr_assert(cloexec(m) && cloexec(s));
}

/* qemu-user answers TIOCGSID with success but never writes the sid back, so
 * tcgetsid() returns garbage: probe it on the pty in a throwaway session. */
static void skip_if_tcgetsid_is_broken(int s)
{
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int sid = -2;
		setsid();
		ioctl(s, TIOCSCTTY, 0);
		_exit(ioctl(s, TIOCGSID, &sid) == 0 && sid == -2);
	}
	int st;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 1)
		cr_skip_test("TIOCGSID does not return the session here (qemu-user): tcgetsid() is garbage");
}

/* In a child: become_controlling makes the pty its session's controlling
 * terminal and its stdio (without O_CLOEXEC), and what the child prints
 * arrives at the master. */
Test(terminal, become_controlling_terminal)
{
	int m, s;
	char want[64], buf[64];
	open_pty(NULL, &m, &s);
	skip_if_tcgetsid_is_broken(s);
	cr_assert_eq(ptsname_r(m, want, sizeof(want)), 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct pith_error err = { 0 };
		close(m);
		if (terminal_become_controlling(s, &err) < 0)
			_exit(10);
		if (close(s) != 0) /* still the caller's to close */
			_exit(11);
		for (int i = 0; i <= 2; i++) {
			const char *n = ttyname(i);
			if (!n || strcmp(n, want) != 0 || (fcntl(i, F_GETFD) & FD_CLOEXEC))
				_exit(12);
		}
		if (tcgetsid(0) != getpid() || tcgetpgrp(0) != getpid())
			_exit(13);
		dprintf(1, "ctty-ok\n");
		_exit(0);
	}
	close(s);
	read_some(m, buf, 9);
	int st;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child failed with %d", WEXITSTATUS(st));
	cr_assert_str_eq(buf, "ctty-ok\r\n");
}

/* The slave may itself be one of 0-2 (the caller dup'ed it there): stdio
 * must still end up without O_CLOEXEC. */
Test(terminal, become_controlling_with_slave_on_stdio)
{
	int m, s;
	open_pty(NULL, &m, &s);
	skip_if_tcgetsid_is_broken(s);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct pith_error err = { 0 };
		if (dup3(s, 1, O_CLOEXEC) != 1)
			_exit(10);
		close(s);
		if (terminal_become_controlling(1, &err) < 0)
			_exit(11);
		for (int i = 0; i <= 2; i++)
			if (!isatty(i) || (fcntl(i, F_GETFD) & FD_CLOEXEC))
				_exit(12);
		if (tcgetsid(0) != getpid())
			_exit(13);
		_exit(0);
	}
	int st;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child failed with %d", WEXITSTATUS(st));
}
