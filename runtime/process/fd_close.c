/* The last step before execve: nothing of pith's, nor of whoever started it
 * (conmon, containerd-shim, dockerd), may reach the container. */
#include "fd_close.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#define MAX_KEEP 64

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

static bool kept(int fd, const int *sorted, size_t m)
{
	return bsearch(&fd, sorted, m, sizeof(int), cmp_int) != NULL;
}

/* Every gap between kept fds in one call each; false at the first refusal
 * (ENOSYS before 5.9, or a seccomp filter) so the walk does the rest. */
static bool close_by_range(int from, const int *sorted, size_t m)
{
	unsigned lo = (unsigned)from;
	for (size_t i = 0; i <= m; i++) {
		unsigned hi = i < m ? (unsigned)sorted[i] - 1 : ~0U;
		if (i < m && (unsigned)sorted[i] < lo)
			continue;
		if (hi >= lo && syscall(SYS_close_range, lo, hi, 0) < 0)
			return false;
		if (i < m)
			lo = (unsigned)sorted[i] + 1;
	}
	return true;
}

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

static int parse_fd(const char *s)
{
	long v = 0;
	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > INT32_MAX / 10)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v > INT32_MAX ? -1 : (int)v;
}

/* Not a loop up to RLIMIT_NOFILE: the container's rlimits are applied by now
 * and an fd above the new limit would survive it. Raw getdents64 because this
 * runs between fork and exec, where nothing should allocate. */
static int close_by_walk(int from, const int *sorted, size_t m)
{
	int dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return -errno;
	struct statfs sfs;
	if (fstatfs(dir, &sfs) < 0 || sfs.f_type != PROC_SUPER_MAGIC) {
		close(dir);
		return -EXDEV; /* not a procfs: its listing proves nothing */
	}
	char buf[4096] __attribute__((aligned(8)));
	long n;
	/* procfs positions its fd entries by number, so closing while reading
	 * neither skips nor repeats one */
	while ((n = syscall(SYS_getdents64, dir, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < n;) {
			struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
			off += d->d_reclen;
			int fd = parse_fd(d->d_name);
			if (fd >= from && fd != dir && !kept(fd, sorted, m))
				close(fd);
		}
	}
	int r = n < 0 ? -errno : 0;
	close(dir);
	return r;
}

int fd_close_from_except(int from, const int *keep, size_t n)
{
	int sorted[MAX_KEEP];
	size_t m = 0;
	for (size_t i = 0; i < n && m < MAX_KEEP; i++)
		if (keep[i] >= from)
			sorted[m++] = keep[i];
	qsort(sorted, m, sizeof(int), cmp_int);
	if (close_by_range(from, sorted, m))
		return 0;
	return close_by_walk(from, sorted, m);
}
