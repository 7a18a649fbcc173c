#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "../../runtime/sync.h"

/* The init fails first: it reports its error and exits without reading the frame the parent
 * sent meanwhile (create sends SYNC_CGROUP while the init builds its rootfs). A unix socket
 * closed with unread data makes the peer's next recv fail with ECONNRESET before it returns
 * what is queued; the parent must still get the init's message, not "Connection reset". */
static void child_fails_with_unread_frame(int fds[2])
{
	struct pith_error err = { 0 };
	cr_assert_eq(sync_pair(fds, &err), 0, "%s", err.msg);
	cr_assert_eq(sync_send(fds[0], SYNC_CGROUP, 0, NULL, &err), 0, "%s", err.msg);
	struct pith_error child = { 0 };
	pith_fail(&child, ENOENT, "mount /x: no-such-source: No such file or directory");
	sync_send_error(fds[1], &child);
	close(fds[1]);
}

Test(sync, recv_returns_the_error_of_a_child_that_left_a_frame_unread)
{
	int fds[2];
	child_fails_with_unread_frame(fds);
	struct pith_error err = { 0 };
	cr_assert_lt(sync_recv(fds[0], SYNC_READY, NULL, NULL, 0, &err), 0);
	cr_assert_str_eq(err.msg, "mount /x: no-such-source: No such file or directory");
	cr_assert_eq(err.errnum, ENOENT);
	close(fds[0]);
}

Test(sync, take_error_finds_the_error_of_a_child_that_left_a_frame_unread)
{
	int fds[2];
	child_fails_with_unread_frame(fds);
	struct pith_error err = { 0 };
	cr_assert_eq(sync_take_error(fds[0], &err), 1, "the child's error was not taken");
	cr_assert_str_eq(err.msg, "mount /x: no-such-source: No such file or directory");
	cr_assert_eq(err.errnum, ENOENT);
	close(fds[0]);
}

Test(sync, recv_after_the_child_exited_cleanly_says_so)
{
	int fds[2];
	struct pith_error err = { 0 };
	cr_assert_eq(sync_pair(fds, &err), 0, "%s", err.msg);
	cr_assert_eq(sync_send(fds[0], SYNC_CGROUP, 0, NULL, &err), 0, "%s", err.msg);
	close(fds[1]);
	cr_assert_lt(sync_recv(fds[0], SYNC_READY, NULL, NULL, 0, &err), 0);
	cr_assert_str_eq(err.msg, "the container's init exited before it was ready");
	close(fds[0]);
}
