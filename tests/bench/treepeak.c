/* treepeak: one command's cost as a whole process tree, for tools that fork or chain (skopeo then
 * umoci, podman's helpers).
 *
 *   treepeak [-d DAEMON_CGROUP_DIR] CGROUP_DIR CMD [ARGS...]
 *
 * CMD runs in CGROUP_DIR (a v1 pids cgroup the caller made and removes), stdin and stdout
 * /dev/null, stderr inherited. Every 2 ms treepeak sums the resident set (statm) of every process in the
 * cgroup: the peak of that sum is the tree's peak RSS (a spike shorter than the period can be
 * missed, which only flatters the measured tool; a child's exit ends the wait at once). treepeak is a child subreaper, so orphans are
 * reaped here and their I/O counters reach its own: the kernel adds a reaped child's counters to
 * its parent's. Prints one line:
 *   "WALL_US TREE_PEAK_KB MAX_ONE_PROC_KB WRITE_BYTES RC CPU_US"
 * MAX_ONE_PROC_KB is the largest single process's peak (wait4's ru_maxrss, exact); WRITE_BYTES
 * is what the tree caused to be written to storage (/proc/self/io write_bytes, before - after);
 * CPU_US the tree's user + system time (no waiting in it: fsync, run queue).
 * With -d, the processes of DAEMON_CGROUP_DIR (a daemon the command talks to, which does the work
 * for it: containerd, dockerd) are counted whole with the tree: their RSS in every sample, and their
 * write_bytes from before to after; treepeak does not wait for them. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long write_bytes_of(const char *io_path)
{
	FILE *f = fopen(io_path, "re");
	char line[128];
	long long v = -1;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "write_bytes: %lld", &v) == 1)
			break;
	if (f)
		fclose(f);
	return v;
}

static long long write_bytes(void)
{
	return write_bytes_of("/proc/self/io");
}

/* the write_bytes of every process in a cgroup (a daemon and its helpers), summed */
static long long cgroup_write_bytes(const char *procs_path)
{
	FILE *f = fopen(procs_path, "re");
	long long sum = 0;
	int pid;
	while (f && fscanf(f, "%d", &pid) == 1) {
		char p[64];
		snprintf(p, sizeof(p), "/proc/%d/io", pid);
		long long v = write_bytes_of(p);
		if (v > 0)
			sum += v;
	}
	if (f)
		fclose(f);
	return sum;
}

static long long now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* the summed RSS of the cgroup's processes in KiB; *procs = how many there were */
static long tree_rss_kb(const char *procs_path, int *procs)
{
	FILE *f = fopen(procs_path, "re");
	long sum = 0, page_kb = sysconf(_SC_PAGESIZE) / 1024;
	int pid;
	*procs = 0;
	while (f && fscanf(f, "%d", &pid) == 1) {
		char p[64];
		long size, res;
		snprintf(p, sizeof(p), "/proc/%d/statm", pid);
		FILE *s = fopen(p, "re");
		if (s && fscanf(s, "%ld %ld", &size, &res) == 2)
			sum += res * page_kb;
		if (s)
			fclose(s);
		(*procs)++;
	}
	if (f)
		fclose(f);
	return sum;
}

int main(int argc, char **argv)
{
	char daemon_procs[4096] = "";
	if (argc > 2 && strcmp(argv[1], "-d") == 0) {
		snprintf(daemon_procs, sizeof(daemon_procs), "%s/cgroup.procs", argv[2]);
		argv += 2;
		argc -= 2;
	}
	if (argc < 3) {
		fprintf(stderr, "usage: treepeak [-d DAEMON_CGROUP_DIR] CGROUP_DIR CMD [ARGS...]\n");
		return 2;
	}
	char procs_path[4096];
	snprintf(procs_path, sizeof(procs_path), "%s/cgroup.procs", argv[1]);
	int daemon_procs_n;
	long long dwb0 = *daemon_procs ? cgroup_write_bytes(daemon_procs) : 0;
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	long long wb0 = write_bytes(), t0 = now_us();
	pid_t child = fork();
	if (child < 0) {
		perror("fork");
		return 2;
	}
	if (child == 0) {
		sigprocmask(SIG_UNBLOCK, &chld, NULL);
		int fd = open(procs_path, O_WRONLY | O_CLOEXEC);
		int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (fd < 0 || write(fd, "0", 1) != 1 || nul < 0 || dup2(nul, 0) < 0 || dup2(nul, 1) < 0) {
			perror(procs_path);
			_exit(126);
		}
		execvp(argv[2], argv + 2);
		perror(argv[2]);
		_exit(127);
	}
	long peak = 0;
	int rc = -1, procs = 1;
	long long t1 = 0;
	while (rc < 0 || procs > 0) {
		long kb = tree_rss_kb(procs_path, &procs);
		if (*daemon_procs)
			kb += tree_rss_kb(daemon_procs, &daemon_procs_n);
		if (kb > peak)
			peak = kb;
		int st;
		pid_t p;
		while ((p = waitpid(-1, &st, WNOHANG)) > 0)
			if (p == child) {
				rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
				t1 = now_us();
			}
		if (p < 0 && errno == ECHILD && rc >= 0)
			break;
		/* woken at once by a child's exit, so the wall time is not rounded up to the period */
		struct timespec d = { 0, 2000000 };
		sigtimedwait(&chld, NULL, &d);
	}
	struct rusage ru;
	getrusage(RUSAGE_CHILDREN, &ru);
	/* the tree was never smaller than its biggest process, even between two samples */
	if (ru.ru_maxrss > peak)
		peak = ru.ru_maxrss;
	long long cpu = (long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 + ru.ru_utime.tv_usec +
			ru.ru_stime.tv_usec;
	long long wb = write_bytes() - wb0;
	if (*daemon_procs)
		wb += cgroup_write_bytes(daemon_procs) - dwb0;
	printf("%lld %ld %ld %lld %d %lld\n", t1 - t0, peak, ru.ru_maxrss, wb, rc, cpu);
	return 0;
}
