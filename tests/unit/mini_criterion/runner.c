/* mini_criterion runner: main() for unit tests built against
 * tests/unit/mini_criterion/criterion/criterion.h instead of libcriterion
 * (armhf under qemu-user, where Debian ships no Criterion).
 *
 * Each test runs in a forked child in its own process group; the child shares
 * one page with the runner where it records failures, a skip and how far it
 * got, so the runner can tell a pass from an assertion failure, a crash
 * (signal), an exit before the test finished, and a timeout (the group is
 * killed). Forking without exec also means no binfmt is needed for the runner
 * itself (Criterion's re-executes /proc/self/exe).
 *
 * Where it differs from Criterion 2.4, on purpose:
 *  - a test process that exit()s before its body returned fails, whatever
 *    the status (Criterion passes an exit(0));
 *  - cr_skip_test runs the test's and suite's .fini (Criterion skips them,
 *    which leaks what .init made);
 *  - tests run one at a time (--jobs is accepted and ignored), and
 *    --timeout gives tests without a .timeout a limit (Criterion has none);
 *  - a failed comparison prints integer operands' values too.
 *
 * usage: unit-tests [--verbose] [--filter SUITE/NAME-GLOB] [--timeout SECS]
 *                   [--list] [--jobs N] */
#include <criterion/criterion.h>
#include <criterion/redirect.h>

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum mcr_phase { MCR_INIT, MCR_BODY, MCR_FINI, MCR_DONE };

/* The page shared between the runner and the test child (and its forks). */
struct mcr_shared {
	pid_t test_pid;
	int phase;
	int failed;
	int skipped;
	char skip_msg[480];
};

static struct mcr_test *tests;
static struct mcr_suite *suites;
static struct mcr_shared *sh;
static const struct mcr_test *cur_test;
static const struct mcr_suite *cur_suite;
/* The test's stderr, kept where a test that closes 0-2 (as pith's init may
 * run) does not reach it: Criterion reports over its own channel too. */
static int report_fd = STDERR_FILENO;

void mcr_register_test(struct mcr_test *t)
{
	t->next = tests;
	tests = t;
}

void mcr_register_suite(struct mcr_suite *s)
{
	s->next = suites;
	suites = s;
}

/* ---- in the test child ------------------------------------------------------ */

/* End the test process: run the finis once (not again when one of them
 * failed), mark it done, exit. A fork the test made just exits. */
static __attribute__((noreturn)) void mcr_end(int status_if_fork)
{
	fflush(NULL);
	if (!sh || getpid() != sh->test_pid)
		_exit(status_if_fork);
	if (sh->phase == MCR_INIT || sh->phase == MCR_BODY) {
		sh->phase = MCR_FINI;
		if (cur_test->data.fini)
			cur_test->data.fini();
		if (cur_suite && cur_suite->data.fini)
			cur_suite->data.fini();
	}
	sh->phase = MCR_DONE;
	fflush(NULL);
	_exit(0);
}

__attribute__((format(printf, 1, 2))) static void mcr_say(const char *fmt, ...)
{
	va_list ap;
	int fd = fcntl(report_fd, F_GETFD) >= 0 ? report_fd : STDERR_FILENO;
	va_start(ap, fmt);
	vdprintf(fd, fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 2, 0))) static void mcr_vsay(const char *def, const char *fmt, va_list ap)
{
	char msg[1024];
	if (fmt[0])
		vsnprintf(msg, sizeof(msg), fmt, ap);
	mcr_say("[----]   %s\n", fmt[0] ? msg : def);
}

static void mcr_failed(bool fatal)
{
	if (sh)
		sh->failed = 1;
	if (fatal)
		mcr_end(1);
}

void mcr_fail(const char *file, int line, bool fatal, const char *default_msg, const char *user_fmt, ...)
{
	va_list ap;
	mcr_say("[----] %s:%d: Assertion Failed\n", file, line);
	va_start(ap, user_fmt);
	mcr_vsay(default_msg, user_fmt, ap);
	va_end(ap);
	mcr_failed(fatal);
}

void mcr_fail_cmp(const char *file, int line, bool fatal, const char *expr, const char *va, const char *vb,
		  const char *user_fmt, ...)
{
	va_list ap;
	mcr_say("[----] %s:%d: Assertion Failed\n", file, line);
	if (user_fmt[0]) {
		va_start(ap, user_fmt);
		mcr_vsay("", user_fmt, ap);
		va_end(ap);
	}
	if (va[0] || vb[0])
		mcr_say("[----]   The expression %s is false: actual=`%s` expected=`%s`.\n", expr, va[0] ? va : "?",
			vb[0] ? vb : "?");
	else
		mcr_say("[----]   The expression %s is false.\n", expr);
	mcr_failed(fatal);
}

void mcr_skip(const char *file, int line, const char *user_fmt, ...)
{
	va_list ap;
	(void)file;
	(void)line;
	if (sh) {
		va_start(ap, user_fmt);
		vsnprintf(sh->skip_msg, sizeof(sh->skip_msg), user_fmt[0] ? user_fmt : "skipped", ap);
		va_end(ap);
		sh->skipped = 1;
	}
	mcr_end(0);
}

void mcr_show_i(char *buf, size_t n, long long v)
{
	snprintf(buf, n, "%lld", v);
}

void mcr_show_u(char *buf, size_t n, unsigned long long v)
{
	snprintf(buf, n, "%llu", v);
}

void mcr_show_f(char *buf, size_t n, long double v)
{
	snprintf(buf, n, "%Lg", v);
}

void mcr_show_none(char *buf, size_t n, ...)
{
	if (n)
		buf[0] = '\0';
}

void mcr_redirect_stdout(void)
{
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	fflush(stdout);
	if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0) {
		mcr_say("[----] cr_redirect_stdout: /dev/null: %s\n", strerror(errno));
		mcr_failed(true);
	}
	close(fd);
}

static __attribute__((noreturn)) void mcr_child(const struct mcr_test *t, const struct mcr_suite *s,
						const sigset_t *mask)
{
	sigprocmask(SIG_SETMASK, mask, NULL);
	setpgid(0, 0);
	fflush(stderr);
	int fd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 200);
	if (fd >= 0)
		report_fd = fd;
	cur_test = t;
	cur_suite = s;
	sh->test_pid = getpid();
	sh->phase = MCR_INIT;
	if (s && s->data.init)
		s->data.init();
	if (t->data.init)
		t->data.init();
	sh->phase = MCR_BODY;
	t->fn();
	mcr_end(0);
}

/* ---- in the runner ------------------------------------------------------------ */

struct mcr_opts {
	bool verbose, list;
	const char *filter;
	double timeout;
};

struct mcr_stats {
	unsigned tested, passing, failing, crashing, skipped;
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const struct mcr_suite *suite_of(const struct mcr_test *t)
{
	for (const struct mcr_suite *s = suites; s; s = s->next)
		if (strcmp(s->name, t->suite) == 0)
			return s;
	return NULL;
}

/* Wait for PID up to TIMEOUT seconds (0: forever); SIGCHLD is blocked in the
 * runner so sigtimedwait wakes on it, and the 100 ms cap is only a backstop. */
static bool wait_test(pid_t pid, double timeout, int *status)
{
	double deadline = now() + timeout;
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);
		if (r == pid || (r < 0 && errno != EINTR))
			return true;
		double left = timeout > 0 ? deadline - now() : 0.1;
		if (left <= 0) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			while (waitpid(pid, status, 0) < 0 && errno == EINTR)
				;
			return false;
		}
		if (left > 0.1)
			left = 0.1;
		struct timespec ts = { 0, (long)(left * 1e9) };
		sigtimedwait(&chld, NULL, &ts);
	}
}

static const char *phase_name(int phase)
{
	switch (phase) {
	case MCR_INIT: return "its .init";
	case MCR_BODY: return "the test";
	case MCR_FINI: return "its .fini";
	default: return "after the test";
	}
}

static void run_one(const struct mcr_test *t, const struct mcr_opts *o, const sigset_t *mask,
		    struct mcr_stats *st)
{
	const struct mcr_suite *s = suite_of(t);
	if (t->data.disabled || (s && s->data.disabled)) {
		fprintf(stderr, "[SKIP] %s::%s: Test is disabled\n", t->suite, t->name);
		st->skipped++;
		return;
	}
	double timeout = t->data.timeout > 0 ? t->data.timeout : s && s->data.timeout > 0 ? s->data.timeout : o->timeout;
	memset(sh, 0, sizeof(*sh));
	if (o->verbose)
		fprintf(stderr, "[RUN ] %s::%s\n", t->suite, t->name);
	fflush(NULL);
	double t0 = now();
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "[FAIL] %s::%s: fork: %s\n", t->suite, t->name, strerror(errno));
		st->tested++, st->failing++;
		return;
	}
	if (pid == 0)
		mcr_child(t, s, mask);
	setpgid(pid, pid); /* also done in the child: whichever runs first */
	int status = 0;
	bool in_time = wait_test(pid, timeout, &status);
	double secs = now() - t0;
	const char *name = t->suite, *tn = t->name;

	if (in_time && WIFEXITED(status) && sh->phase == MCR_DONE && sh->skipped && !sh->failed) {
		fprintf(stderr, "[SKIP] %s::%s: %s\n", name, tn, sh->skip_msg);
		st->skipped++;
		return;
	}
	st->tested++;
	if (!in_time) {
		fprintf(stderr, "[FAIL] %s::%s: Timed out. (%.2fs)\n", name, tn, secs);
		st->failing++;
	} else if (WIFSIGNALED(status)) {
		fprintf(stderr, "[FAIL] %s::%s: CRASH! (signal %d, %s, in %s)\n", name, tn, WTERMSIG(status),
			strsignal(WTERMSIG(status)), phase_name(sh->phase));
		st->failing++, st->crashing++;
	} else if (sh->phase != MCR_DONE) {
		fprintf(stderr, "[FAIL] %s::%s: exited with status %d during %s\n", name, tn,
			WEXITSTATUS(status), phase_name(sh->phase));
		st->failing++;
	} else if (sh->failed) {
		fprintf(stderr, "[FAIL] %s::%s: (%.2fs)\n", name, tn, secs);
		st->failing++;
	} else {
		if (o->verbose)
			fprintf(stderr, "[PASS] %s::%s: (%.2fs)\n", name, tn, secs);
		st->passing++;
	}
}

static int by_name(const void *a, const void *b)
{
	const struct mcr_test *x = *(const struct mcr_test *const *)a, *y = *(const struct mcr_test *const *)b;
	int c = strcmp(x->suite, y->suite);
	return c ? c : strcmp(x->name, y->name);
}

static bool selected(const struct mcr_test *t, const char *filter)
{
	char full[512];
	if (!filter)
		return true;
	snprintf(full, sizeof(full), "%s/%s", t->suite, t->name);
	return fnmatch(filter, full, 0) == 0;
}

static int usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [--verbose] [--filter SUITE/NAME-GLOB] [--timeout SECS] [--list] [--jobs N]\n"
		"  mini_criterion runner: one test at a time (--jobs is ignored); --timeout applies\n"
		"  to tests without a .timeout of their own or their suite's (default: none)\n",
		prog);
	return 2;
}

static int parse(int argc, char **argv, struct mcr_opts *o)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool more = i + 1 < argc;
		if (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0)
			o->verbose = true;
		else if (strcmp(a, "--list") == 0 || strcmp(a, "-l") == 0)
			o->list = true;
		else if (strncmp(a, "--filter=", 9) == 0)
			o->filter = a + 9;
		else if (strcmp(a, "--filter") == 0 && more)
			o->filter = argv[++i];
		else if (strncmp(a, "--timeout=", 10) == 0)
			o->timeout = atof(a + 10);
		else if (strcmp(a, "--timeout") == 0 && more)
			o->timeout = atof(argv[++i]);
		else if (strncmp(a, "--jobs=", 7) == 0 || (strncmp(a, "-j", 2) == 0 && a[2]))
			continue;
		else if ((strcmp(a, "--jobs") == 0 || strcmp(a, "-j") == 0) && more)
			i++;
		else
			return usage(argv[0]);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct mcr_opts o = { 0 };
	struct mcr_stats st = { 0 };
	size_t n = 0, k = 0;
	if (parse(argc, argv, &o))
		return 2;
	for (struct mcr_test *t = tests; t; t = t->next)
		n++;
	struct mcr_test **v = calloc(n ? n : 1, sizeof(*v));
	if (!v)
		return 2;
	for (struct mcr_test *t = tests; t; t = t->next)
		if (selected(t, o.filter))
			v[k++] = t;
	qsort(v, k, sizeof(*v), by_name);
	if (o.list) {
		for (size_t i = 0; i < k; i++)
			printf("%s::%s\n", v[i]->suite, v[i]->name);
		free(v);
		return 0;
	}
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		perror("mini_criterion: mmap");
		return 2;
	}
	sigset_t chld, old;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &old);
	fprintf(stderr, "[----] mini_criterion (Criterion subset, tests/unit/mini_criterion)\n");
	fprintf(stderr, "[====] Running %zu tests\n", k);
	for (size_t i = 0; i < k; i++)
		run_one(v[i], &o, &old, &st);
	fprintf(stderr, "[====] Synthesis: Tested: %u | Passing: %u | Failing: %u | Crashing: %u\n", st.tested,
		st.passing, st.failing, st.crashing);
	fprintf(stderr, "[====] Skipped: %u\n", st.skipped);
	free(v);
	munmap(sh, sizeof(*sh));
	return st.failing ? 1 : 0;
}
