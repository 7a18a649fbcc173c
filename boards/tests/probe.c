/* probe: the few checks the board tests need that busybox cannot make.
 * Static, built for the board's userland by boards/board.sh.
 *   probe keyctl          keyctl(JOIN_SESSION_KEYRING): prints ok or the errno name
 *   probe linux32         personality(PER_LINUX32), then prints uname's machine
 *   probe arch            compile-time arch, uname machine, sizeof(long/time_t/off_t), page size
 *   probe mem MB          allocate and touch MB MiB (an OOM test's victim)
 *   probe fork N          fork N sleepers, print how many forks succeeded
 *   probe ttfl CMD...     run CMD, print "ttfl MS" when its first stdout line arrives
 *                         (the rest of its output is read and dropped); exit 0 when CMD exits 0
 * Exit status 0 when the call succeeded, 1 when it failed. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/personality.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#if defined(__arm__)
#define ARCH_NAME "arm"
#elif defined(__aarch64__)
#define ARCH_NAME "aarch64"
#elif defined(__x86_64__)
#define ARCH_NAME "x86_64"
#else
#define ARCH_NAME "other"
#endif

static int do_keyctl(void)
{
	/* KEYCTL_JOIN_SESSION_KEYRING = 1, NULL name: an anonymous keyring. */
	long r = syscall(SYS_keyctl, 1, NULL, 0, 0, 0);
	if (r < 0) {
		printf("keyctl: %s\n", strerrorname_np(errno) ? strerrorname_np(errno) : "?");
		return 1;
	}
	printf("keyctl: ok\n");
	return 0;
}

static int do_linux32(void)
{
	struct utsname u;
	if (personality(PER_LINUX32) < 0) {
		printf("personality: %s\n", strerrorname_np(errno));
		return 1;
	}
	uname(&u);
	printf("linux32 machine: %s\n", u.machine);
	return 0;
}

static int do_arch(void)
{
	struct utsname u;
	uname(&u);
	printf("arch %s machine %s long %zu time_t %zu off_t %zu page %ld\n", ARCH_NAME, u.machine,
	       sizeof(long), sizeof(time_t), sizeof(off_t), sysconf(_SC_PAGESIZE));
	return 0;
}

static int do_mem(const char *mb_text)
{
	uint64_t mb = strtoull(mb_text, NULL, 10);
	for (uint64_t i = 0; i < mb; i++) {
		char *p = malloc(1 << 20);
		if (!p) {
			printf("mem: malloc failed after %llu MiB\n", (unsigned long long)i);
			return 1;
		}
		memset(p, 0x5a, 1 << 20);
	}
	printf("mem: touched %llu MiB\n", (unsigned long long)mb);
	return 0;
}

static int do_fork(const char *n_text)
{
	int n = atoi(n_text), ok = 0;
	pid_t pids[512];
	if (n > 512)
		n = 512;
	for (int i = 0; i < n; i++) {
		pid_t p = fork();
		if (p == 0) {
			pause();
			_exit(0);
		}
		if (p < 0)
			break;
		pids[ok++] = p;
	}
	printf("fork: %d of %d\n", ok, n);
	for (int i = 0; i < ok; i++)
		kill(pids[i], SIGKILL);
	while (wait(NULL) > 0)
		;
	return ok == n ? 0 : 1;
}

static double ms_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

/* Time to first line: from just before fork to the first '\n' on CMD's stdout. */
static int do_ttfl(char **cmd)
{
	struct timespec t0;
	int fds[2], status;
	char buf[4096];
	double first = -1;
	if (pipe2(fds, O_CLOEXEC) < 0)
		return perror("ttfl: pipe2"), 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid_t pid = fork();
	if (pid < 0)
		return perror("ttfl: fork"), 1;
	if (pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		execvp(cmd[0], cmd);
		perror("ttfl: exec");
		_exit(127);
	}
	close(fds[1]);
	for (;;) {
		ssize_t n = read(fds[0], buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (first < 0 && memchr(buf, '\n', (size_t)n))
			first = ms_since(&t0);
	}
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (first < 0) {
		printf("ttfl: no line (status %d)\n", status);
		return 1;
	}
	printf("ttfl %.1f\n", first);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "keyctl") == 0)
		return do_keyctl();
	if (argc >= 2 && strcmp(argv[1], "linux32") == 0)
		return do_linux32();
	if (argc >= 2 && strcmp(argv[1], "arch") == 0)
		return do_arch();
	if (argc >= 3 && strcmp(argv[1], "mem") == 0)
		return do_mem(argv[2]);
	if (argc >= 3 && strcmp(argv[1], "fork") == 0)
		return do_fork(argv[2]);
	if (argc >= 3 && strcmp(argv[1], "ttfl") == 0)
		return do_ttfl(argv + 2);
	fprintf(stderr, "usage: probe keyctl|linux32|arch|mem MB|fork N|ttfl CMD...\n");
	return 2;
}
