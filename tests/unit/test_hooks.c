#include <criterion/criterion.h>
#include <seccomp.h>
#include <sys/syscall.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../runtime/hooks.h"

#define STRV(...) \
	((struct spec_strv){ (const char *[]){ __VA_ARGS__, NULL }, \
			     sizeof((const char *[]){ __VA_ARGS__ }) / sizeof(const char *) })

static const char state[] =
	"{\"ociVersion\":\"1.3.0\",\"id\":\"c1\",\"status\":\"creating\",\"pid\":42,\"bundle\":\"/b\"}";

static char dir[64];
static char out[128];

static void mkdir_tmp(void)
{
	strcpy(dir, "/tmp/pith-test-hooks-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(out, sizeof(out), "%s/out", dir);
}

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	return remove(p);
}

static void rm_tmp(void)
{
	nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

TestSuite(hooks, .init = mkdir_tmp, .fini = rm_tmp, .timeout = 20);

/* Whole file as a string (static buffer, enough for the small outputs here). */
static const char *slurp(const char *path)
{
	static char buf[65536];
	FILE *f = fopen(path, "re");
	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	return buf;
}

/* /bin/sh -c SCRIPT with $0 = the output file. */
static struct spec_hook sh_hook(const char *script)
{
	struct spec_hook h = { .path = "/bin/sh" };
	const char **argv = calloc(5, sizeof(*argv));
	argv[0] = "sh";
	argv[1] = "-c";
	argv[2] = script;
	argv[3] = out;
	h.args.v = argv;
	h.args.n = 4;
	return h;
}

static int run1(enum spec_hook_kind kind, struct spec_hook *h, const char *json, struct pith_error *err)
{
	struct spec_hooks list = { h, 1 };
	return hooks_run(kind, &list, json, err);
}

static void run_ok(struct spec_hook *h, const char *json)
{
	struct pith_error err = { 0 };
	char text[1200];
	int r = run1(SPEC_HOOK_PRESTART, h, json, &err);
	cr_assert_eq(r, 0, "hooks_run: %s", pith_error_text(&err, text, sizeof(text)));
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static char *big_json(size_t size)
{
	char *s = malloc(size + 1);
	memset(s, 'x', size);
	s[0] = '"';
	s[size - 1] = '"';
	s[size] = 0;
	return s;
}

Test(hooks, stdin_receives_exact_state)
{
	struct spec_hook h = sh_hook("cat > \"$0\"");
	run_ok(&h, state);
	cr_assert_str_eq(slurp(out), state);
}

Test(hooks, large_state_larger_than_the_pipe_buffer)
{
	char *json = big_json(1 << 20);
	struct spec_hook h = sh_hook("wc -c > \"$0\"");
	run_ok(&h, json);
	cr_assert_eq(atol(slurp(out)), 1 << 20);
	free(json);
}

/* The hook exits without reading 1 MiB of state: EPIPE must neither kill pith
 * (Criterion would report a crash) nor leave SIGPIPE pending or blocked. */
Test(hooks, hook_that_does_not_read_stdin)
{
	char *json = big_json(1 << 20);
	struct spec_hook h = sh_hook("exit 0");
	run_ok(&h, json);
	sigset_t pending, mask;
	sigpending(&pending);
	cr_assert_eq(sigismember(&pending, SIGPIPE), 0);
	sigprocmask(SIG_BLOCK, NULL, &mask);
	cr_assert_eq(sigismember(&mask, SIGPIPE), 0);
	cr_assert_eq(sigismember(&mask, SIGCHLD), 0);
	free(json);
}

Test(hooks, args_as_given_including_argv0)
{
	struct spec_hook h = { .path = "/bin/sh" };
	h.args = STRV("my-argv0", "-c", "tr '\\0' '\\n' < /proc/$$/cmdline > \"$0\"", out, "a b", "");
	run_ok(&h, state);
	char want[512];
	snprintf(want, sizeof(want), "my-argv0\n-c\n%s\n%s\na b\n\n", h.args.v[2], out);
	cr_assert_str_eq(slurp(out), want);
}

Test(hooks, script_file_with_args)
{
	char script[160];
	snprintf(script, sizeof(script), "%s/hook.sh", dir);
	FILE *f = fopen(script, "we");
	fprintf(f, "#!/bin/sh\nprintf '%%s|' \"$@\" > %s\n", out);
	fclose(f);
	chmod(script, 0755);
	struct spec_hook h = { .path = script };
	h.args = STRV("hook", "one", "two words");
	run_ok(&h, state);
	cr_assert_str_eq(slurp(out), "one|two words|");
}

Test(hooks, env_as_given)
{
	char outvar[160];
	snprintf(outvar, sizeof(outvar), "OUT=%s", out);
	struct spec_hook h = { .path = "/bin/sh" };
	h.args = STRV("sh", "-c", "tr '\\0' '\\n' < /proc/$$/environ > \"$OUT\"");
	h.env = STRV("FOO=bar baz", outvar);
	run_ok(&h, state);
	char want[256];
	snprintf(want, sizeof(want), "FOO=bar baz\n%s\n", outvar);
	cr_assert_str_eq(slurp(out), want);
}

/* runc and crun give a hook without env the runtime's own environment
 * (issue 19): the variable set here must reach it, whole. */
Test(hooks, runtime_env_when_none_given)
{
	setenv("PITH_TEST_HOOK_ENV", "a b=c", 1);
	struct spec_hook h = sh_hook("tr '\\0' '\\n' < /proc/$$/environ > \"$0\"");
	run_ok(&h, state);
	cr_assert(strstr(slurp(out), "\nPITH_TEST_HOOK_ENV=a b=c\n") != NULL ||
		  strncmp(slurp(out), "PITH_TEST_HOOK_ENV=a b=c\n", 25) == 0);
	unsetenv("PITH_TEST_HOOK_ENV");
}

/* fds opened without O_CLOEXEC (as a careless library or pith's own parent
 * might leave them) must still not reach the hook. */
Test(hooks, hook_sees_only_stdio)
{
	int leak = open("/dev/null", O_RDONLY);
	int p[2];
	cr_assert_eq(pipe(p), 0);
	cr_assert_geq(leak, 3);
	cr_assert_eq(fcntl(leak, F_GETFD) & FD_CLOEXEC, 0);
	/* dash applies a command's redirections in the shell itself (saving fd
	 * 1 at 10), so redirect once with exec; `exit` keeps ls from being
	 * exec'd in place of the shell. */
	struct spec_hook h = sh_hook("exec > \"$0\"; ls /proc/$$/fd; exit 0");
	run_ok(&h, state);
	cr_assert_str_eq(slurp(out), "0\n1\n2\n");
}

Test(hooks, stdout_and_stderr_go_to_our_stderr)
{
	char errfile[160];
	snprintf(errfile, sizeof(errfile), "%s/stderr", dir);
	int fd = open(errfile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int saved = dup(2);
	dup2(fd, 2);
	struct spec_hook h = sh_hook("echo out; echo err >&2");
	struct pith_error err = { 0 };
	int r = run1(SPEC_HOOK_PRESTART, &h, state, &err);
	dup2(saved, 2);
	cr_assert_eq(r, 0, "%s", err.msg);
	cr_assert_str_eq(slurp(errfile), "out\nerr\n");
}

/* pith with 0-2 closed: the hook's stdout/stderr are /dev/null and the state
 * still arrives on its stdin (the pipe must not be mixed up with 0-2). */
Test(hooks, runtime_stdio_closed)
{
	close(0);
	close(1);
	close(2);
	struct spec_hook h = sh_hook("l=$(readlink /proc/$$/fd/1 /proc/$$/fd/2); "
				     "echo \"$l\" > \"$0\"; cat >> \"$0\"");
	run_ok(&h, state);
	char want[256];
	snprintf(want, sizeof(want), "/dev/null\n/dev/null\n%s", state);
	cr_assert_str_eq(slurp(out), want);
}

Test(hooks, nonzero_exit_fails_and_stops_the_list)
{
	char marker[160], touch[200];
	snprintf(marker, sizeof(marker), "%s/marker", dir);
	snprintf(touch, sizeof(touch), "touch %s", marker);
	struct spec_hook v[3] = { sh_hook("exit 0"), sh_hook("exit 3"), sh_hook(touch) };
	struct spec_hooks list = { v, 3 };
	struct pith_error err = { 0 };
	cr_assert_lt(hooks_run(SPEC_HOOK_PRESTART, &list, state, &err), 0);
	cr_assert_str_eq(err.msg, "hooks.prestart[1] (/bin/sh): exited with status 3");
	cr_assert_eq(err.errnum, 0);
	cr_assert_neq(access(marker, F_OK), 0, "the hook after the failing one ran");
}

Test(hooks, every_hook_of_the_list_runs_in_order)
{
	struct spec_hook v[3] = { sh_hook("echo 1 >> \"$0\""), sh_hook("echo 2 >> \"$0\""),
				  sh_hook("echo 3 >> \"$0\"") };
	struct spec_hooks list = { v, 3 };
	struct pith_error err = { 0 };
	cr_assert_eq(hooks_run(SPEC_HOOK_POSTSTOP, &list, state, &err), 0, "%s", err.msg);
	cr_assert_str_eq(slurp(out), "1\n2\n3\n");
}

Test(hooks, killed_by_signal)
{
	struct spec_hook h = sh_hook("kill -9 $$");
	struct pith_error err = { 0 };
	cr_assert_lt(run1(SPEC_HOOK_POSTSTART, &h, state, &err), 0);
	cr_assert_str_eq(err.msg, "hooks.poststart[0] (/bin/sh): killed by signal 9");
}

static pid_t read_pid(void)
{
	for (int i = 0; i < 100; i++) {
		const char *s = slurp(out);
		if (*s)
			return (pid_t)atoi(s);
		usleep(10000);
	}
	cr_assert_fail("no pid written");
	return -1;
}

/* Gone, or a zombie waiting for init to reap it: either way not running. */
static bool dead(pid_t pid)
{
	for (int i = 0; i < 200; i++) {
		char path[64], buf[512];
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
		FILE *f = fopen(path, "re");
		if (!f)
			return true;
		size_t n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = 0;
		char *rp = strrchr(buf, ')');
		if (rp && rp[1] == ' ' && rp[2] == 'Z')
			return true;
		usleep(10000);
	}
	return false;
}

Test(hooks, timeout_kills_the_hook)
{
	struct spec_hook h = sh_hook("echo $$ > \"$0\"; exec sleep 30");
	h.timeout = (spec_i64){ true, 1 };
	struct pith_error err = { 0 };
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cr_assert_lt(run1(SPEC_HOOK_CREATE_RUNTIME, &h, state, &err), 0);
	double took = seconds_since(&t0);
	cr_assert_str_eq(err.msg, "hooks.createRuntime[0] (/bin/sh): timed out after 1 s");
	cr_assert(took >= 0.9 && took < 3.0, "took %.2f s", took);
	pid_t pid = read_pid();
	cr_assert_eq(kill(pid, 0), -1, "hook %d still exists", (int)pid);
	cr_assert_eq(errno, ESRCH);
}

Test(hooks, timeout_kills_the_hooks_children)
{
	struct spec_hook h = sh_hook("sleep 30 & echo $! > \"$0\"; wait");
	h.timeout = (spec_i64){ true, 1 };
	struct pith_error err = { 0 };
	cr_assert_lt(run1(SPEC_HOOK_CREATE_CONTAINER, &h, state, &err), 0);
	cr_assert_str_eq(err.msg, "hooks.createContainer[0] (/bin/sh): timed out after 1 s");
	cr_assert(dead(read_pid()), "the hook's child survived the timeout");
}

/* A hook that neither reads its stdin nor exits: feeding the state must not
 * block past the timeout. */
Test(hooks, timeout_while_stdin_is_full)
{
	char *json = big_json(1 << 20);
	struct spec_hook h = { .path = "/bin/sleep" };
	h.args = STRV("sleep", "30");
	h.timeout = (spec_i64){ true, 1 };
	struct pith_error err = { 0 };
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cr_assert_lt(run1(SPEC_HOOK_START_CONTAINER, &h, json, &err), 0);
	double took = seconds_since(&t0);
	cr_assert_str_eq(err.msg, "hooks.startContainer[0] (/bin/sleep): timed out after 1 s");
	cr_assert(took < 3.0, "took %.2f s", took);
	free(json);
}

Test(hooks, finishes_before_timeout)
{
	struct spec_hook h = sh_hook("sleep 0.2; echo done > \"$0\"");
	h.timeout = (spec_i64){ true, 5 };
	run_ok(&h, state);
	cr_assert_str_eq(slurp(out), "done\n");
}

/* qemu-user runs posix_spawn's CLONE_VM|CLONE_VFORK child as a plain fork,
 * so an exec failure comes back as status 127 instead of an errno. */
static void skip_if_spawn_hides_exec_errors(void)
{
	pid_t pid;
	char *argv[] = { "hook", NULL };
	if (posix_spawn(&pid, "/nonexistent/hook", NULL, NULL, argv, NULL) == 0) {
		waitpid(pid, NULL, 0);
		cr_skip_test("posix_spawn cannot report exec errors here (qemu-user's vfork is a fork)");
	}
}

Test(hooks, missing_binary)
{
	skip_if_spawn_hides_exec_errors();
	struct spec_hook h = { .path = "/nonexistent/hook" };
	struct pith_error err = { 0 };
	char text[1200];
	cr_assert_lt(run1(SPEC_HOOK_POSTSTOP, &h, state, &err), 0);
	cr_assert_eq(err.errnum, ENOENT);
	cr_assert_str_eq(pith_error_text(&err, text, sizeof(text)),
			 "hooks.poststop[0] (/nonexistent/hook): cannot execute: No such file or directory");
}

Test(hooks, not_executable)
{
	skip_if_spawn_hides_exec_errors();
	char script[160];
	snprintf(script, sizeof(script), "%s/noexec.sh", dir);
	FILE *f = fopen(script, "we");
	fputs("#!/bin/sh\nexit 0\n", f);
	fclose(f);
	chmod(script, 0644);
	struct spec_hook h = { .path = script };
	struct pith_error err = { 0 };
	char want[256];
	cr_assert_lt(run1(SPEC_HOOK_PRESTART, &h, state, &err), 0);
	cr_assert_eq(err.errnum, EACCES);
	snprintf(want, sizeof(want), "hooks.prestart[0] (%s): cannot execute", script);
	cr_assert_str_eq(err.msg, want);
}

Test(hooks, empty_lists)
{
	struct pith_error err = { 0 };
	struct spec_hooks none = { NULL, 0 };
	cr_assert_eq(hooks_run(SPEC_HOOK_PRESTART, NULL, state, &err), 0);
	cr_assert_eq(hooks_run(SPEC_HOOK_PRESTART, &none, state, &err), 0);
}

/* Old kernels: pidfd_open fails with ENOSYS; the waitpid + SIGCHLD path must
 * give the same results. A seccomp filter makes this kernel look old. */
static void without_pidfd(void)
{
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, NULL) < 0 && errno == ENOSYS)
		cr_skip_test("seccomp() is ENOSYS here (qemu-user): cannot hide pidfd_open");
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	cr_assert_not_null(ctx);
	cr_assert_eq(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(pidfd_open), 0), 0);
	cr_assert_eq(seccomp_load(ctx), 0);
	seccomp_release(ctx);
	cr_assert_eq(syscall(SCMP_SYS(pidfd_open), getpid(), 0), -1);
	cr_assert_eq(errno, ENOSYS);
}

Test(hooks, no_pidfd_exit_status_and_stdin)
{
	without_pidfd();
	struct spec_hook v[2] = { sh_hook("cat > \"$0\""), sh_hook("exit 4") };
	struct spec_hooks list = { v, 2 };
	struct pith_error err = { 0 };
	cr_assert_lt(hooks_run(SPEC_HOOK_PRESTART, &list, state, &err), 0);
	cr_assert_str_eq(err.msg, "hooks.prestart[1] (/bin/sh): exited with status 4");
	cr_assert_str_eq(slurp(out), state);
}

Test(hooks, no_pidfd_timeout)
{
	without_pidfd();
	char *json = big_json(1 << 20);
	struct spec_hook h = sh_hook("echo $$ > \"$0\"; exec sleep 30");
	h.timeout = (spec_i64){ true, 1 };
	struct pith_error err = { 0 };
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cr_assert_lt(run1(SPEC_HOOK_PRESTART, &h, json, &err), 0);
	double took = seconds_since(&t0);
	cr_assert_str_eq(err.msg, "hooks.prestart[0] (/bin/sh): timed out after 1 s");
	cr_assert(took >= 0.9 && took < 3.0, "took %.2f s", took);
	cr_assert_eq(kill(read_pid(), 0), -1);
	free(json);
}

Test(hooks, no_pidfd_success_without_timeout)
{
	without_pidfd();
	struct spec_hook h = sh_hook("sleep 0.2; echo ok > \"$0\"");
	run_ok(&h, state);
	cr_assert_str_eq(slurp(out), "ok\n");
}
