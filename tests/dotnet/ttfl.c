/* Time-to-first-line for bench_ttfl.sh.
 *   ttfl bundle NAME [ARG...]        write a probe bundle (dn.c, DN_* env) and print its dir
 *   ttfl run [--file PATH] -- CMD... run CMD; print the ms (0.1 ms steps) from fork until its first stdout byte
 *                                    (or until PATH, e.g. a shim's log, is non-empty), then wait
 *                                    for CMD; exit 1 if it failed or printed nothing in 30 s */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dn.h"

#include <time.h>

static int64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int cmd_bundle(int argc, char **argv)
{
	const char *args[32];
	int n = 0;
	for (int i = 3; i < argc && n < 31; i++)
		args[n++] = argv[i];
	args[n] = NULL;
	struct dn_bundle_opts o = { .name = argv[2], .args = args };
	char dir[1024];
	if (dn_bundle_make(&o, dir, sizeof dir) < 0)
		return 1;
	printf("%s\n", dir);
	return 0;
}

static int64_t first_byte(int fd, const char *file, int64_t start)
{
	char buf[4096];
	struct stat sb;
	for (;;) {
		if (now_us() - start > 30000000)
			return -1;
		if (file) {
			if (stat(file, &sb) == 0 && sb.st_size > 0)
				return now_us() - start;
			usleep(500);
			continue;
		}
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, 100) > 0) {
			ssize_t r = read(fd, buf, sizeof buf);
			if (r > 0)
				return now_us() - start;
			if (r == 0)
				return -1;
		}
	}
}

static int cmd_run(int argc, char **argv)
{
	const char *file = NULL;
	int i = 2;
	if (i + 1 < argc && strcmp(argv[i], "--file") == 0) {
		file = argv[i + 1];
		i += 2;
	}
	if (i < argc && strcmp(argv[i], "--") == 0)
		i++;
	if (i >= argc)
		return 2;
	if (file)
		unlink(file);
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return 1;
	int64_t start = now_us();
	pid_t pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		int null = open("/dev/null", O_RDWR);
		dup2(null, 0);
		dup2(null, 2);
		execvp(argv[i], argv + i);
		_exit(127);
	}
	close(p[1]);
	int64_t ms = first_byte(p[0], file, start);
	/* Drain so the child never blocks on a full pipe, then reap it. */
	char buf[4096];
	while (read(p[0], buf, sizeof buf) > 0)
		;
	int st;
	waitpid(pid, &st, 0);
	if (ms < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "ttfl: %s: first line after %lld us, status 0x%x\n", argv[i], (long long)ms, st);
		return 1;
	}
	printf("%lld.%01lld\n", (long long)(ms / 1000), (long long)(ms % 1000 / 100));
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "bundle") == 0)
		return cmd_bundle(argc, argv);
	if (argc >= 3 && strcmp(argv[1], "run") == 0)
		return cmd_run(argc, argv);
	fprintf(stderr, "usage: ttfl bundle NAME [ARG...] | ttfl run [--file PATH] -- CMD...\n");
	return 2;
}
