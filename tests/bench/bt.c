/* bt: the bench's timer. Runs commands without a shell in between, so a measurement holds the
 * command's own cost (posix_spawn + exec + its run) and not bash's fork.
 *
 *   bt [-n N] [-e ERRLOG] PLAN   run the plan N times (iteration {i} = 1..N); print one line per
 *                                timed step: "NAME ITER USEC MAXRSS_KB RC CPU_USEC" (CPU: user +
 *                                system time of the command and the children it waited for; blocked
 *                                time, e.g. a cgroup attach waiting for RCU, is not in it)
 *   bt reaper CMD [ARGS...]      run CMD as a child subreaper: orphans below it (detached
 *                                container inits, daemonised shims) are reaped, never left to PID 1
 *
 * PLAN lines (words split on blanks, '#' starts a comment, "{i}" in a word -> iteration number):
 *   T NAME ARGV...     timed: wall time from spawn to exit and the child's peak RSS (wait4)
 *   U ARGV...          untimed, must exit 0 (a failure is reported on stderr)
 *   W WORD ARGV...     untimed: rerun ARGV until its stdout contains WORD (at most 1000 tries)
 *   S MS               sleep MS milliseconds (the idle gap)
 * Children get stdin from /dev/null, stdout to /dev/null, stderr to ERRLOG (or /dev/null).
 * bt is a child subreaper in both modes and reaps orphans after every step. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define MAX_STEPS 4096
#define MAX_WORDS 64

struct step {
	char kind;
	char *name;
	char *words[MAX_WORDS];
	int nwords;
};

static struct step steps[MAX_STEPS];
static int nsteps;
static const char *errlog = "/dev/null";

static void reap_orphans(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

static int64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* argv for iteration it: "{i}" replaced; strings stay valid until the next call */
static char **expand(const struct step *s, int first, int it)
{
	static char *argv[MAX_WORDS + 1];
	static char buf[MAX_WORDS][1024];
	int n = 0;
	for (int w = first; w < s->nwords; w++, n++) {
		const char *src = s->words[w];
		char *dst = buf[n], *end = buf[n] + sizeof buf[n] - 16;
		while (*src && dst < end) {
			if (!strncmp(src, "{i}", 3)) {
				dst += sprintf(dst, "%d", it);
				src += 3;
			} else {
				*dst++ = *src++;
			}
		}
		*dst = 0;
		argv[n] = buf[n];
	}
	argv[n] = NULL;
	return argv;
}

/* spawn argv with stdout to out_fd (-1: /dev/null); returns pid or -1 */
static pid_t spawn(char **argv, int out_fd)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (out_fd >= 0)
		posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
	else
		posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, errlog, O_WRONLY | O_APPEND | O_CREAT, 0644);
	int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc) {
		fprintf(stderr, "bt: spawn %s: %s\n", argv[0], strerror(rc));
		return -1;
	}
	return pid;
}

static int exit_code(int st)
{
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int wait_child(pid_t pid, struct rusage *ru)
{
	int st;
	while (wait4(pid, &st, 0, ru) < 0)
		if (errno != EINTR)
			return 127;
	return exit_code(st);
}

static void run_timed(const struct step *s, int it)
{
	char **argv = expand(s, 0, it);
	struct rusage ru = { 0 };
	int64_t t0 = now_us();
	pid_t pid = spawn(argv, -1);
	int rc = pid < 0 ? 127 : wait_child(pid, &ru);
	int64_t t1 = now_us();
	long long cpu = (long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 +
			ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
	printf("%s %d %lld %ld %d %lld\n", s->name, it, (long long)(t1 - t0), ru.ru_maxrss, rc, cpu);
}

static void run_untimed(const struct step *s, int it)
{
	char **argv = expand(s, 0, it);
	pid_t pid = spawn(argv, -1);
	int rc = pid < 0 ? 127 : wait_child(pid, NULL);
	if (rc)
		fprintf(stderr, "bt: iteration %d: %s ... exited %d\n", it, argv[0], rc);
}

/* rerun until stdout contains the word */
static void run_wait(const struct step *s, int it)
{
	char **argv = expand(s, 1, it);
	for (int tries = 0; tries < 1000; tries++) {
		int p[2];
		char out[4096];
		size_t len = 0;
		ssize_t r;
		if (pipe2(p, O_CLOEXEC))
			return;
		pid_t pid = spawn(argv, p[1]);
		close(p[1]);
		while ((r = read(p[0], out + len, sizeof out - 1 - len)) > 0 || (r < 0 && errno == EINTR))
			if (r > 0)
				len += (size_t)r;
		close(p[0]);
		out[len] = 0;
		if (pid > 0)
			wait_child(pid, NULL);
		if (strstr(out, s->words[0]))
			return;
		reap_orphans();
		usleep(1000);
	}
	fprintf(stderr, "bt: iteration %d: %s never printed %s\n", it, argv[0], s->words[0]);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int parse_plan(const char *path)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;
	if (!f) {
		perror(path);
		return -1;
	}
	while (getline(&line, &cap, f) > 0) {
		char *save = NULL, *w, *copy;
		struct step *s = &steps[nsteps];
		if ((w = strchr(line, '#')))
			*w = 0;
		copy = strdup(line);
		w = strtok_r(copy, " \t\n", &save);
		if (!w) {
			free(copy);
			continue;
		}
		if (nsteps == MAX_STEPS || strlen(w) != 1 || !strchr("TUWS", *w)) {
			fprintf(stderr, "bt: %s: bad line: %s", path, line);
			return -1;
		}
		s->kind = *w;
		if (s->kind == 'T')
			s->name = strtok_r(NULL, " \t\n", &save);
		while ((w = strtok_r(NULL, " \t\n", &save)) && s->nwords < MAX_WORDS)
			s->words[s->nwords++] = w;
		if ((s->kind == 'T' && (!s->name || !s->nwords)) || s->nwords < (s->kind == 'W' ? 2 : 1)) {
			fprintf(stderr, "bt: %s: incomplete line: %s", path, line);
			return -1;
		}
		nsteps++;
	}
	free(line);
	fclose(f);
	return 0;
}

static int reaper(char **argv)
{
	pid_t pid = fork();
	int st = 0;
	if (pid < 0)
		return 127;
	if (pid == 0) {
		execvp(argv[0], argv);
		perror(argv[0]);
		_exit(127);
	}
	for (;;) {
		pid_t w = wait(&st);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR)
			return 127;
	}
	/* what the command left running is now ours: reap until none remains */
	while (wait(NULL) > 0 || errno == EINTR)
		;
	return exit_code(st);
}

int main(int argc, char **argv)
{
	int n = 1, o;
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	signal(SIGPIPE, SIG_IGN);
	if (argc > 2 && !strcmp(argv[1], "reaper"))
		return reaper(argv + 2);
	while ((o = getopt(argc, argv, "n:e:")) != -1) {
		if (o == 'n')
			n = atoi(optarg);
		else if (o == 'e')
			errlog = optarg;
		else
			return 2;
	}
	if (optind != argc - 1 || n < 1) {
		fprintf(stderr, "usage: bt [-n N] [-e ERRLOG] PLAN | bt reaper CMD [ARGS...]\n");
		return 2;
	}
	if (parse_plan(argv[optind]))
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int it = 1; it <= n; it++) {
		for (int k = 0; k < nsteps; k++) {
			const struct step *s = &steps[k];
			switch (s->kind) {
			case 'T': run_timed(s, it); break;
			case 'U': run_untimed(s, it); break;
			case 'W': run_wait(s, it); break;
			case 'S': sleep_ms(atol(s->words[0])); break;
			}
			reap_orphans();
		}
	}
	return 0;
}
