/* floor: the least a runtime's `run` can cost on this kernel, to put pith's figures beside.
 *
 *   floor [-c CGROUP] ROOTFS [CMD]
 * clone()s a child into new pid, net, ipc, uts and mount namespaces; the child makes the mount
 * tree private, sets a hostname, binds ROOTFS on itself, mounts proc in it, pivot_roots into it,
 * detaches the old root and execs CMD (default /bin/true). The parent waits and returns CMD's
 * status. With -c it also makes CGROUP (absolute, below every v1 hierarchy in /sys/fs/cgroup),
 * moves the child into it before releasing it, and removes it after.
 * No config, state, caps, seccomp, devices or masks: a lower bound, not a runtime. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#define CGROUP2_MAGIC 0x63677270
#define MAX_CG 32

static const char *rootfs, *cmd = "/bin/true";
static int go[2];
static char cgdir[MAX_CG][PATH_MAX];
static int ncg;

static void fail(const char *what)
{
	perror(what);
	_exit(111);
}

static int child(void *arg)
{
	char c, proc[PATH_MAX];
	(void)arg;
	close(go[1]);
	if (read(go[0], &c, 1) != 1)
		fail("wait for parent");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		fail("make / private");
	if (sethostname("floor", 5))
		fail("sethostname");
	if (mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL))
		fail("bind rootfs");
	snprintf(proc, sizeof proc, "%s/proc", rootfs);
	if (mount("proc", proc, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL))
		fail("mount proc");
	if (chdir(rootfs) || syscall(SYS_pivot_root, ".", "."))
		fail("pivot_root");
	if (umount2(".", MNT_DETACH) || chdir("/"))
		fail("detach old root");
	execl(cmd, cmd, (char *)NULL);
	fail(cmd);
	return 0;
}

/* a new v1 cpuset cgroup starts empty: copy cpus and mems from its parent */
static void cpuset_fill(const char *dir)
{
	static const char *const keys[] = { "cpuset.cpus", "cpuset.mems" };
	for (int k = 0; k < 2; k++) {
		char f[PATH_MAX + 32], v[256];
		ssize_t len;
		int fd;
		snprintf(f, sizeof f, "%.*s/%s", (int)(strrchr(dir, '/') - dir), dir, keys[k]);
		if ((fd = open(f, O_RDONLY | O_CLOEXEC)) < 0 || (len = read(fd, v, sizeof v)) <= 0)
			fail(f);
		close(fd);
		snprintf(f, sizeof f, "%s/%s", dir, keys[k]);
		if ((fd = open(f, O_WRONLY | O_CLOEXEC)) < 0 || write(fd, v, (size_t)len) != len)
			fail(f);
		close(fd);
	}
}

static void cg_make(const char *path)
{
	DIR *d = opendir("/sys/fs/cgroup");
	struct dirent *e;
	if (!d)
		fail("/sys/fs/cgroup");
	while ((e = readdir(d)) && ncg < MAX_CG) {
		char h[PATH_MAX];
		struct statfs sf;
		if (e->d_name[0] == '.')
			continue;
		snprintf(h, sizeof h, "/sys/fs/cgroup/%s", e->d_name);
		if (statfs(h, &sf) || sf.f_type == CGROUP2_MAGIC)
			continue;
		snprintf(h, sizeof h, "/sys/fs/cgroup/%s/cgroup.procs", e->d_name);
		if (access(h, F_OK))
			continue; /* a symlink like cpu -> cpu,cpuacct is seen through its target */
		char *p = cgdir[ncg];
		snprintf(p, PATH_MAX, "/sys/fs/cgroup/%s%s", e->d_name, path);
		for (char *q = p + strlen("/sys/fs/cgroup/") + strlen(e->d_name) + 1; *q; q++) {
			if (*q != '/')
				continue;
			*q = 0;
			if (!mkdir(p, 0755) && strstr(e->d_name, "cpuset"))
				cpuset_fill(p);
			*q = '/';
		}
		if (mkdir(p, 0755) && errno != EEXIST)
			fail(p);
		if (strstr(e->d_name, "cpuset"))
			cpuset_fill(p);
		ncg++;
	}
	closedir(d);
}

static void cg_join(pid_t pid)
{
	char f[PATH_MAX + 16], b[24];
	int len = snprintf(b, sizeof b, "%d", pid);
	for (int i = 0; i < ncg; i++) {
		snprintf(f, sizeof f, "%s/cgroup.procs", cgdir[i]);
		int fd = open(f, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, b, (size_t)len) != len)
			fail(f);
		close(fd);
	}
}

int main(int argc, char **argv)
{
	const char *cg = NULL;
	int o, st;
	while ((o = getopt(argc, argv, "c:")) != -1) {
		if (o != 'c') {
			fprintf(stderr, "usage: floor [-c CGROUP] ROOTFS [CMD]\n");
			return 2;
		}
		cg = optarg;
	}
	if (optind >= argc) {
		fprintf(stderr, "usage: floor [-c CGROUP] ROOTFS [CMD]\n");
		return 2;
	}
	rootfs = argv[optind];
	if (optind + 1 < argc)
		cmd = argv[optind + 1];
	if (cg)
		cg_make(cg);
	if (pipe2(go, O_CLOEXEC))
		fail("pipe");
	static char stack[64 * 1024] __attribute__((aligned(16)));
	int flags = SIGCHLD | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID | CLONE_NEWNET;
	pid_t pid = clone(child, stack + sizeof stack, flags, NULL);
	if (pid < 0)
		fail("clone");
	close(go[0]);
	cg_join(pid);
	if (write(go[1], "g", 1) != 1)
		fail("release child");
	close(go[1]);
	if (waitpid(pid, &st, 0) < 0)
		fail("waitpid");
	for (int i = ncg - 1; i >= 0; i--)
		if (rmdir(cgdir[i]))
			perror(cgdir[i]);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
