/* pith-shim and pith-init, observed from outside: what the container got,
 * what the shim wrote, what it left behind. Root only; the runtime is
 * $PITH_SHIM_TEST_RUNTIME (default $PITH_BUILD/pith). */
#include "shim_helpers.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static struct shim_env env;

static void setup_env(void)
{
	if (geteuid() != 0)
		cr_skip_test("needs root");
}

static void teardown_env(void)
{
	shim_env_cleanup(&env);
}

TestSuite(shim, .init = setup_env, .fini = teardown_env, .timeout = 60);

static char *exit_report(int timeout_ms)
{
	cr_assert(shimt_wait_file(env.exit_file, timeout_ms), "no exit file %s", env.exit_file);
	return shimt_read(env.exit_file, NULL);
}

static void out_path(char *buf, size_t cap, const char *name)
{
	snprintf(buf, cap, "%s/%s", env.out, name);
}

/* Daemonized shim with a log; returns once the script touched /out/ready. */
static void start_daemon(const char *name, const char *script, const char *const *extra)
{
	const char *args[16] = { "--log", env.log };
	size_t n = 2;
	char ready[200];
	shim_env_init(&env, name);
	shim_env_bundle(&env, &(struct bundle_opts){ .script = script });
	for (size_t i = 0; extra && extra[i] && n < 15; i++)
		args[n++] = extra[i];
	args[n] = NULL;
	cr_assert_eq(shim_env_run(&env, args), 0, "the shim did not start the container");
	out_path(ready, sizeof(ready), "ready");
	cr_assert(shimt_wait_file(ready, 5000), "the container never got ready");
}

static void wait_line(const char *file, const char *line, int timeout_ms)
{
	int64_t end = shimt_now_ms() + timeout_ms;
	for (;;) {
		char *s = shimt_read(file, NULL);
		bool found = s && strstr(s, line);
		free(s);
		if (found)
			return;
		cr_assert(shimt_now_ms() < end, "%s never got %s", file, line);
		usleep(10000);
	}
}

Test(shim, signals_reach_the_container)
{
	start_daemon("signals",
		     "for s in HUP USR1 USR2 QUIT WINCH CONT; do trap \"echo $s >> /out/sigs\" $s; done\n"
		     "trap 'echo TERM >> /out/sigs; exit 7' TERM\n"
		     "touch /out/ready\n"
		     "while :; do sleep 10 & wait $!; done",
		     NULL);
	pid_t shim = shimt_read_pid(env.pid_file);
	cr_assert(shim > 0);
	char sigs[200];
	out_path(sigs, sizeof(sigs), "sigs");
	static const struct { int sig; const char *name; } order[] = {
		{ SIGHUP, "HUP\n" }, { SIGUSR1, "USR1\n" }, { SIGUSR2, "USR2\n" },
		{ SIGQUIT, "QUIT\n" }, { SIGWINCH, "WINCH\n" }, { SIGCONT, "CONT\n" },
	};
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		cr_assert_eq(kill(shim, order[i].sig), 0);
		wait_line(sigs, order[i].name, 3000);
	}
	cr_assert_eq(kill(shim, SIGTERM), 0);
	char *rep = exit_report(5000);
	cr_expect_eq(shimt_json_int(rep, "exit_code", -1), 7, "report: %s", rep);
	cr_expect_eq(shimt_json_bool(rep, "stop_timeout_killed"), 0);
	char *got = shimt_read(sigs, NULL);
	cr_expect_str_eq(got, "HUP\nUSR1\nUSR2\nQUIT\nWINCH\nCONT\nTERM\n");
	free(got);
	free(rep);
}

static int run_fg(const char *name, const struct bundle_opts *o, const char *const *extra)
{
	shim_env_init(&env, name);
	shim_env_bundle(&env, o);
	return shim_env_run(&env, extra);
}

Test(shim, exit_code_reported_exactly)
{
	const char *fg[] = { "--foreground", "--log", "none", NULL };
	int rc = run_fg("exit42", &(struct bundle_opts){ .script = "exit 42" }, fg);
	cr_expect_eq(rc, 42);
	char *rep = exit_report(1000);
	cr_expect_eq(shimt_json_int(rep, "exit_code", -1), 42, "report: %s", rep);
	cr_expect_null(strstr(rep, "\"signal\""));
	free(rep);
}

Test(shim, death_by_signal_reported_exactly)
{
	const char *fg[] = { "--foreground", "--log", "none", NULL };
	int rc = run_fg("segv", &(struct bundle_opts){ .script = "kill -SEGV $$", .no_pid_ns = true },
			fg);
	cr_expect_eq(rc, 128 + SIGSEGV);
	char *rep = exit_report(1000);
	cr_expect_eq(shimt_json_int(rep, "signal", -1), SIGSEGV, "report: %s", rep);
	cr_expect_null(strstr(rep, "\"exit_code\""));
	cr_expect_eq(shimt_json_bool(rep, "oom_killed"), 0);
	free(rep);
}

/* Signal names come from the runtime's table (runtime/process/signals.c):
 * the real-time forms `pith kill` takes work for --stop-signal and ctl kill,
 * and the report names them. The shell is not PID 1, so a signal it has no
 * handler for kills it. */
static const struct bundle_opts rt_waiting = {
	.script = "touch /out/ready; while :; do sleep 1; done",
	.no_pid_ns = true,
};

static void start_rt(const char *name, const char *opt, const char *value)
{
	const char *args[] = { "--log", env.log, opt, value, NULL };
	char ready[200];
	cr_assert_eq(run_fg(name, &rt_waiting, args), 0, "the shim did not start the container");
	out_path(ready, sizeof(ready), "ready");
	cr_assert(shimt_wait_file(ready, 5000), "the container never got ready");
}

static void expect_killed_by(int sig, const char *name)
{
	char want[64];
	char *rep = exit_report(5000);
	cr_expect_eq(shimt_json_int(rep, "signal", -1), sig, "report: %s", rep);
	snprintf(want, sizeof(want), "\"signal_name\":\"%s\"", name);
	cr_expect_not_null(strstr(rep, want), "no %s in the report: %s", want, rep);
	cr_expect_eq(shimt_json_bool(rep, "stop_timeout_killed"), 0, "report: %s", rep);
	free(rep);
}

Test(shim, stop_signal_takes_a_realtime_name)
{
	const char *stop[] = { "stop", "10", NULL };
	start_rt("rtstop", "--stop-signal", "RTMIN+3");
	cr_assert_eq(shim_env_ctl(&env, NULL, 0, stop), 0);
	expect_killed_by(SIGRTMIN + 3, "SIGRTMIN+3");
}

Test(shim, ctl_kill_takes_a_realtime_name)
{
	const char *kill_rt[] = { "kill", "sigrtmax-2", NULL };
	start_rt("rtkill", "--stop-timeout", "10");
	cr_assert_eq(shim_env_ctl(&env, NULL, 0, kill_rt), 0);
	expect_killed_by(SIGRTMAX - 2, "SIGRTMAX-2");
}

/* RTMIN+N beyond SIGRTMAX is no signal for the runtime: the shim must not
 * start a container with it either. */
Test(shim, stop_signal_the_runtime_refuses_is_refused)
{
	const char *fg[] = { "--foreground", "--log", "none", "--stop-signal", "RTMIN+40", NULL };
	char ready[200];
	cr_expect_neq(run_fg("rtbad", &rt_waiting, fg), 0, "--stop-signal RTMIN+40 was accepted");
	out_path(ready, sizeof(ready), "ready");
	cr_expect_eq(access(ready, F_OK), -1, "a container ran");
	cr_expect_eq(access(env.exit_file, F_OK), -1, "an exit report was written");
}

Test(shim, init_passes_signal_status_and_remaps_143)
{
	const char *fg[] = { "--foreground", "--log", "none", "--init", NULL };
	int rc = run_fg("init143", &(struct bundle_opts){ .script = "kill -TERM $$" }, fg);
	cr_expect_eq(rc, 143, "pith-init reports death by SIGTERM as 128+15");
	shim_env_cleanup(&env);
	const char *remap[] = { "--foreground", "--log", "none", "--init", "--remap-exit", "143", NULL };
	rc = run_fg("init0", &(struct bundle_opts){ .script = "kill -TERM $$" }, remap);
	cr_expect_eq(rc, 0, "--remap-exit 143 makes it a success");
}

/* k8s-file: "<RFC3339Nano> stdout|stderr P|F <line>" */
static bool well_formed(const char *line, size_t n, const char **payload, char *stream, char *tag)
{
	/* 2026-01-02T03:04:05.123456789Z = 30 chars */
	if (n < 30 + 10 || line[4] != '-' || line[10] != 'T' || line[19] != '.' || line[29] != 'Z' ||
	    line[30] != ' ')
		return false;
	if (strncmp(line + 31, "stdout ", 7) != 0 && strncmp(line + 31, "stderr ", 7) != 0)
		return false;
	*stream = line[34];
	*tag = line[38];
	if ((*tag != 'P' && *tag != 'F') || line[39] != ' ')
		return false;
	*payload = line + 40;
	return true;
}

Test(shim, partial_last_line_is_kept)
{
	const char *fg[] = { "--foreground", "--log", env.log, NULL };
	shim_env_init(&env, "partial");
	shim_env_bundle(&env, &(struct bundle_opts){ .script = "echo whole; printf 'no newline'" });
	cr_assert_eq(shim_env_run(&env, fg), 0);
	char *log = shimt_read(env.log, NULL);
	cr_assert(log);
	char *l1 = log, *l2 = strchr(log, '\n');
	cr_assert(l2);
	*l2++ = '\0';
	const char *p;
	char st, tag;
	cr_assert(well_formed(l1, strlen(l1), &p, &st, &tag), "bad record: %s", l1);
	cr_expect(tag == 'F' && strcmp(p, "whole") == 0, "first record: %s", l1);
	cr_assert(well_formed(l2, strlen(l2) - 1, &p, &st, &tag), "bad record: %s", l2);
	cr_expect(tag == 'P' && strcmp(p, "no newline\n") == 0, "last record: %s", l2);
	free(log);
}

/* Reassembles P..P F records into lines across the files, oldest first. */
struct reassembly {
	char line[512];
	size_t len;
	bool skip_first;   /* the oldest file may start inside a line */
	long seq[200000];
	size_t nseq;
};

static void reassemble(struct reassembly *r, const char *payload, size_t n, char tag)
{
	if (r->len + n < sizeof(r->line)) {
		memcpy(r->line + r->len, payload, n);
		r->len += n;
	}
	if (tag == 'P')
		return;
	r->line[r->len] = '\0';
	if (r->skip_first) {
		r->skip_first = false;
	} else {
		/* "0000001 abc...": 102 bytes, like every line the app wrote */
		cr_assert(r->len == 102, "a reassembled line is %zu bytes: %s", r->len, r->line);
		if (r->nseq < sizeof(r->seq) / sizeof(r->seq[0]))
			r->seq[r->nseq++] = strtol(r->line, NULL, 10);
	}
	r->len = 0;
}

/* Checks one log file: whole records only, ends at a record boundary.
 * Returns the file's size. */
static size_t check_log_file(const char *path, struct reassembly *r)
{
	size_t len;
	char *s = shimt_read(path, &len);
	cr_assert(s, "missing %s", path);
	cr_assert(len == 0 || s[len - 1] == '\n', "%s does not end at a record boundary", path);
	for (char *line = s; line < s + len;) {
		char *nl = strchr(line, '\n');
		const char *p;
		char st, tag;
		cr_assert(well_formed(line, (size_t)(nl - line), &p, &st, &tag), "%s: bad record %.60s",
			  path, line);
		cr_assert(st == 'o', "%s: unexpected stream %.60s", path, line);
		reassemble(r, p, (size_t)(nl - p), tag);
		line = nl + 1;
	}
	free(s);
	return len;
}

Test(shim, log_rotation_keeps_the_last_files_whole, .timeout = 90)
{
	const char *fg[] = { "--foreground", "--log", env.log, "--log-max-size", "1m",
			     "--log-max-files", "3", NULL };
	shim_env_init(&env, "rotate");
	/* 1,000,000 numbered lines of 103 bytes: 103 MB as fast as sed can */
	shim_env_bundle(&env, &(struct bundle_opts){
		.script = "seq -w 1 1000000 | sed 's/$/ abcdefghijklmnopqrstuvwxyz0123456789"
			  "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuv/'" });
	int64_t t0 = shimt_now_ms();
	cr_assert_eq(shim_env_run(&env, fg), 0);
	cr_log_info("103 MB through the shim in %lld ms", (long long)(shimt_now_ms() - t0));
	static struct reassembly r = { .skip_first = true };
	size_t total = 0;
	char path[220];
	for (int k = 3; k >= 0; k--) {
		if (k)
			snprintf(path, sizeof(path), "%s.%d", env.log, k);
		else
			snprintf(path, sizeof(path), "%s", env.log);
		size_t sz = check_log_file(path, &r);
		cr_expect(sz <= 1024 * 1024, "%s is %zu bytes", path, sz);
		if (k)
			cr_expect(sz > 1024 * 1024 - 200, "%s is only %zu bytes", path, sz);
		total += sz;
	}
	snprintf(path, sizeof(path), "%s.4", env.log);
	cr_expect(access(path, F_OK) != 0, "more than 3 rotated files");
	cr_expect(total >= 3 * 1024 * 1024, "only %zu bytes kept", total);
	cr_assert(r.nseq > 0);
	cr_expect_eq(r.len, 0, "a partial line was left at the end");
	cr_expect_eq(r.seq[r.nseq - 1], 1000000, "the last line is missing");
	for (size_t i = 1; i < r.nseq; i++)
		cr_assert_eq(r.seq[i], r.seq[i - 1] + 1, "line %ld follows %ld", r.seq[i], r.seq[i - 1]);
}

Test(shim, oom_kill_is_reported)
{
	const char *fg[] = { "--foreground", "--log", "none", NULL };
	int rc = run_fg("oom", &(struct bundle_opts){ .script = "tail /dev/zero",
						      .memory_limit = 32 * 1024 * 1024 }, fg);
	cr_expect_eq(rc, 128 + SIGKILL);
	char *rep = exit_report(1000);
	cr_expect_eq(shimt_json_bool(rep, "oom_killed"), 1, "report: %s", rep);
	cr_expect_eq(shimt_json_int(rep, "signal", -1), SIGKILL);
	free(rep);
}

Test(shim, kill_from_outside_is_not_an_oom)
{
	const char *kargs[] = { "kill", "KILL", NULL };
	start_daemon("killnotoom", "touch /out/ready; while :; do sleep 1; done", NULL);
	cr_assert_eq(shim_env_ctl(&env, NULL, 0, kargs), 0);
	char *rep = exit_report(5000);
	cr_expect_eq(shimt_json_int(rep, "signal", -1), SIGKILL, "report: %s", rep);
	cr_expect_eq(shimt_json_bool(rep, "oom_killed"), 0);
	cr_expect_eq(shimt_json_bool(rep, "stop_timeout_killed"), 0);
	free(rep);
}

Test(shim, stop_escalates_to_kill_after_the_timeout)
{
	const char *stop[] = { "stop", "1", NULL };
	start_daemon("stopkill", "trap '' TERM; touch /out/ready; while :; do sleep 1; done", NULL);
	int64_t t0 = shimt_now_ms();
	cr_assert_eq(shim_env_ctl(&env, NULL, 0, stop), 0);
	int64_t took = shimt_now_ms() - t0;
	cr_expect(took >= 1000 && took < 4000, "stop took %lld ms", (long long)took);
	char *rep = exit_report(1000);
	cr_expect_eq(shimt_json_bool(rep, "stop_timeout_killed"), 1, "report: %s", rep);
	cr_expect_eq(shimt_json_int(rep, "signal", -1), SIGKILL);
	free(rep);
}

Test(shim, stop_of_a_cooperative_process_is_quick)
{
	const char *stop[] = { "stop", "10", NULL };
	start_daemon("stopterm", "trap 'exit 0' TERM; touch /out/ready; while :; do sleep 10 & wait $!; done",
		     NULL);
	int64_t t0 = shimt_now_ms();
	cr_assert_eq(shim_env_ctl(&env, NULL, 0, stop), 0);
	cr_expect(shimt_now_ms() - t0 < 2000);
	char *rep = exit_report(1000);
	cr_expect_eq(shimt_json_int(rep, "exit_code", -1), 0, "report: %s", rep);
	cr_expect_eq(shimt_json_bool(rep, "stop_timeout_killed"), 0);
	free(rep);
}

Test(shim, restart_on_failure_backs_off_and_stops_at_max)
{
	const char *fg[] = { "--foreground", "--log", env.log, "--restart", "on-failure:2", NULL };
	shim_env_init(&env, "restart");
	shim_env_bundle(&env, &(struct bundle_opts){ .script = "echo run >> /out/runs; exit 3" });
	int64_t t0 = shimt_now_ms();
	int rc = shim_env_run(&env, fg);
	int64_t took = shimt_now_ms() - t0;
	cr_expect_eq(rc, 3);
	cr_expect(took >= 3000 && took < 6000, "1 s + 2 s of backoff, took %lld ms", (long long)took);
	char path[200];
	out_path(path, sizeof(path), "runs");
	char *runs = shimt_read(path, NULL);
	cr_expect_str_eq(runs, "run\nrun\nrun\n");
	char *rep = exit_report(1000);
	cr_expect_eq(shimt_json_int(rep, "restarts", -1), 2, "report: %s", rep);
	cr_expect_eq(shimt_json_int(rep, "exit_code", -1), 3);
	char *log = shimt_read(env.log, NULL);
	cr_expect(log && strstr(log, "restart 1 in 1 s") && strstr(log, "restart 2 in 2 s"),
		  "log: %s", log);
	free(log);
	free(rep);
	free(runs);
}

Test(shim, restart_on_failure_leaves_success_alone)
{
	const char *fg[] = { "--foreground", "--log", "none", "--restart", "on-failure", NULL };
	int rc = run_fg("restart0", &(struct bundle_opts){ .script = "echo run >> /out/runs" }, fg);
	cr_expect_eq(rc, 0);
	char *rep = exit_report(1000);
	cr_expect_eq(shimt_json_int(rep, "restarts", -1), 0, "report: %s", rep);
	free(rep);
}

static int count_zombie_children(pid_t parent)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int zombies = 0;
	cr_assert(d);
	while ((de = readdir(d))) {
		char path[300], buf[512];
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		size_t n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = '\0';
		char *rp = strrchr(buf, ')');
		char state;
		int ppid;
		if (rp && sscanf(rp + 2, "%c %d", &state, &ppid) == 2 && ppid == parent && state == 'Z')
			zombies++;
	}
	closedir(d);
	return zombies;
}

Test(shim, init_reaps_orphaned_zombies)
{
	const char *init[] = { "--init", NULL };
	/* each inner sh exits at once, leaving its `true` to PID 1 */
	start_daemon("zombies",
		     "i=0; while [ $i -lt 100 ]; do sh -c 'true &'; i=$((i+1)); done\n"
		     "touch /out/ready; while :; do sleep 1; done",
		     init);
	pid_t init_pid = shim_env_container_pid(&env);
	cr_assert(init_pid > 0);
	usleep(300000);
	cr_expect_eq(count_zombie_children(init_pid), 0);
	const char *stop[] = { "stop", "5", NULL };
	cr_expect_eq(shim_env_ctl(&env, NULL, 0, stop), 0);
}

Test(shim, killed_shim_leaves_a_deletable_container)
{
	start_daemon("shimkill", "touch /out/ready; while :; do sleep 1; done", NULL);
	pid_t ctr = shim_env_container_pid(&env);
	pid_t shim = shimt_read_pid(env.pid_file);
	cr_assert(ctr > 0 && shim > 0);
	cr_assert_eq(kill(shim, SIGKILL), 0);
	usleep(200000);
	cr_expect(shimt_pid_alive(ctr), "the container died with the shim");
	const char *del[] = { "delete", "--force", env.id, NULL };
	cr_expect_eq(shim_env_runtime(&env, del), 0);
	int64_t end = shimt_now_ms() + 3000;
	while (shimt_pid_alive(ctr) && shimt_now_ms() < end)
		usleep(10000);
	cr_expect(!shimt_pid_alive(ctr), "delete --force left the container running");
}

Test(shim, no_fd_of_the_shim_leaks_into_the_container)
{
	/* A careless parent: ignored and blocked signals must not reach the app. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGRTMIN);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	start_daemon("fds", "touch /out/ready; exec sleep 100", NULL);
	pid_t ctr = shim_env_container_pid(&env);
	cr_assert(ctr > 0);
	char path[64], fds[256] = "";
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)ctr);
	DIR *d = opendir(path);
	cr_assert(d);
	struct dirent *de;
	int extra = 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (strcmp(de->d_name, "0") && strcmp(de->d_name, "1") && strcmp(de->d_name, "2"))
			extra++;
		size_t used = strlen(fds);
		snprintf(fds + used, sizeof(fds) - used, "%.16s ", de->d_name);
	}
	closedir(d);
	cr_expect_eq(extra, 0, "container fds: %s", fds);
	/* and the container's signal state is a fresh process's (once sh,
	 * which blocks signals for its own ends, has become sleep) */
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)ctr);
	int64_t end = shimt_now_ms() + 3000;
	for (char *comm; (comm = shimt_read(path, NULL)) && strcmp(comm, "sleep\n") != 0; free(comm)) {
		cr_assert(shimt_now_ms() < end, "the container never ran sleep: %s", comm);
		usleep(10000);
	}
	snprintf(path, sizeof(path), "/proc/%d/status", (int)ctr);
	char *st = shimt_read(path, NULL);
	cr_assert(st);
	cr_expect(strstr(st, "SigBlk:\t0000000000000000"), "%s", st);
	cr_expect(strstr(st, "SigIgn:\t0000000000000000"), "%s", st);
	free(st);
}

Test(shim, status_and_attach)
{
	start_daemon("attach",
		     "touch /out/ready; while [ ! -e /out/go ]; do sleep 0.05; done; echo attached-line; "
		     "echo to-stderr >&2; sleep 0.3",
		     NULL);
	char buf[1024];
	const char *status[] = { "status", NULL };
	cr_assert_eq(shim_env_ctl(&env, buf, sizeof(buf), status), 0);
	cr_expect(strstr(buf, "\"state\":\"running\""), "status: %s", buf);
	/* attach with our own pipe to read what it streams */
	int p[2];
	cr_assert(pipe(p) == 0);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		dup2(p[1], 2);
		char exe[512];
		snprintf(exe, sizeof(exe), "%s/pith-shim", shim_test_build());
		execl(exe, exe, "ctl", "--socket", env.sock, "attach", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	usleep(200000); /* let the attach register */
	char go[200];
	out_path(go, sizeof(go), "go");
	fclose(fopen(go, "w"));
	char got[4096];
	size_t len = 0;
	ssize_t n;
	while ((n = read(p[0], got + len, sizeof(got) - 1 - len)) > 0)
		len += (size_t)n; /* ends when the shim exits and attach returns */
	got[len] = '\0';
	close(p[0]);
	waitpid(pid, NULL, 0);
	cr_expect(strstr(got, "attached-line\n") && strstr(got, "to-stderr\n"), "attach got: %s", got);
}

Test(shim, terminal_through_the_console_socket)
{
	const char *fg[] = { "--foreground", "--log", env.log, NULL };
	shim_env_init(&env, "tty");
	shim_env_bundle(&env, &(struct bundle_opts){ .script = "tty; exit 5", .terminal = true });
	cr_expect_eq(shim_env_run(&env, fg), 5);
	char *log = shimt_read(env.log, NULL);
	cr_expect(log && strstr(log, "stdout F /dev/pts/"), "log: %s", log);
	free(log);
}
