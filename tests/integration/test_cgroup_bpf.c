/* The cgroup v2 device eBPF program against the real kernel: this host's
 * cgroup2 (hybrid, /sys/fs/cgroup/unified) accepts device programs even
 * though it owns only hugetlb. A child joins a pith-test cgroup carrying the
 * program and reports which opens the kernel refused. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../runtime/cgroup/cgroup.h"

#define CG "/sys/fs/cgroup/unified/pith-test-bpf"

static int open_errno(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

Test(cgroup_bpf_kernel, deny_all_but_null_then_replace)
{
	struct stat st;
	if (stat("/sys/fs/cgroup/unified/cgroup.procs", &st) != 0)
		cr_skip_test("no cgroup2 at /sys/fs/cgroup/unified");
	cr_assert(mkdir(CG, 0755) == 0 || errno == EEXIST, "mkdir: %s", strerror(errno));
	int leaf = open(CG, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cr_assert_geq(leaf, 0);
	struct spec_device_rule rules[] = {
		{ false, 'a', -1, -1, "rwm" },
		{ true, 'c', 1, 3, "rwm" },   /* null */
		{ true, 'c', 1, 5, "r" },     /* zero, read only */
	};
	struct pith_error err = { 0 };
	int r = cgroup_bpf_apply(leaf, rules, 3, false, &err);
	cr_assert_eq(r, 0, "%s (errno %d)", err.msg, err.errnum);

	int p[2];
	cr_assert_eq(pipe(p), 0);
	pid_t child = fork();
	if (child == 0) {
		char buf[32];
		snprintf(buf, sizeof(buf), "%d", (int)getpid());
		int fd = open(CG "/cgroup.procs", O_WRONLY);
		if (fd < 0 || write(fd, buf, strlen(buf)) < 0)
			_exit(2);
		close(fd);
		int res[4] = { open_errno("/dev/null"), open_errno("/dev/zero"), open_errno("/dev/full"), 0 };
		fd = open("/dev/zero", O_WRONLY);
		res[3] = fd < 0 ? errno : 0;
		if (write(p[1], res, sizeof(res)) < 0)
			_exit(3);
		_exit(0);
	}
	close(p[1]);
	int res[4] = { -1, -1, -1, -1 };
	cr_assert_eq(read(p[0], res, sizeof(res)), (ssize_t)sizeof(res));
	close(p[0]);
	int status;
	waitpid(child, &status, 0);
	cr_expect_eq(res[0], 0, "/dev/null allowed");
	cr_expect_eq(res[1], 0, "/dev/zero allowed for reading");
	cr_expect_eq(res[2], EPERM, "/dev/full denied: got %d", res[2]);
	cr_expect_eq(res[3], EPERM, "/dev/zero denied for writing: got %d", res[3]);

	/* update: the new program replaces the old one (not stacked on it) */
	struct spec_device_rule allow_all[] = { { true, 'a', -1, -1, "rwm" } };
	cr_assert_eq(cgroup_bpf_apply(leaf, allow_all, 1, true, &err), 0, "%s", err.msg);
	child = fork();
	if (child == 0) {
		char buf[32];
		snprintf(buf, sizeof(buf), "%d", (int)getpid());
		int fd = open(CG "/cgroup.procs", O_WRONLY);
		if (fd < 0 || write(fd, buf, strlen(buf)) < 0)
			_exit(2);
		close(fd);
		_exit(open_errno("/dev/full") == 0 ? 0 : 1);
	}
	waitpid(child, &status, 0);
	cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "/dev/full still denied after replace");
	close(leaf);
	cr_expect_eq(rmdir(CG), 0, "rmdir: %s", strerror(errno));
}
