/* Findings of a security review (issue 17), each observed from outside:
 * what the container got when the kernel refuses a fast path, or when a
 * window a race needs is held open. */
#include "harness.h"
#include "sec_helpers.h"
#include "shim_helpers.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <signal.h>
#include <unistd.h>

static void needs_root(void)
{
	if (geteuid() != 0)
		cr_skip_test("needs root");
}

TestSuite(hardening, .init = needs_root, .timeout = 90);

/* This test process (Criterion forks one per test) and everything it starts
 * get close_range refused as a kernel before 5.9 would refuse it. */
static void refuse_close_range(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	cr_assert(ctx);
	cr_assert_eq(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(close_range), 0), 0);
	cr_assert_eq(seccomp_load(ctx), 0);
	seccomp_release(ctx);
	cr_assert_eq(syscall(SYS_close_range, 1000U, ~0U, 0), -1);
	cr_assert_eq(errno, ENOSYS);
}

/* An inheritable fd far above the container's RLIMIT_NOFILE: a fallback loop
 * bounded by the (already lowered) limit would never reach it. */
#define HIGH_FD 200
static void leak_high_fd(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	cr_assert(fd >= 0);
	cr_assert_eq(dup2(fd, HIGH_FD), HIGH_FD); /* without O_CLOEXEC */
	close(fd);
}

static void low_nofile(struct bundle *b)
{
	json_t *rl = json_pack("[{s:s,s:i,s:i}]", "type", "RLIMIT_NOFILE", "hard", 64, "soft", 64);
	json_object_set_new(json_object_get(b->config, "process"), "rlimits", rl);
}

Test(hardening, no_fd_leaks_when_close_range_is_refused)
{
	struct bundle b;
	h_bundle_init(&b, "nocr");
	sec_private_rootfs(&b);
	low_nofile(&b);
	char path[300];
	snprintf(path, sizeof(path), "%s/leak", b.dir);
	leak_high_fd(path);
	refuse_close_range();
	h_bundle_set_args(&b, "/bin/sec-helper", "fds", NULL);
	h_bundle_write(&b);
	struct run_result r = h_pith("run", "--bundle", b.dir, b.id, NULL);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect_str_eq(r.out, "0 1 2\n", "run: the init kept an inherited fd");
	h_result_free(&r);

	h_bundle_set_args(&b, "sleep", "30", NULL);
	h_bundle_write(&b);
	r = h_pith("run", "--detach", "--bundle", b.dir, b.id, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	h_result_free(&r);
	r = h_pith("exec", b.id, "/bin/sec-helper", "fds", NULL);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect_str_eq(r.out, "0 1 2\n", "exec: the process kept an inherited fd");
	h_result_free(&r);
	close(HIGH_FD);
	h_bundle_cleanup(&b);
}

static int count_fds_other_than_stdio(pid_t pid, char *list, size_t cap)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	DIR *d = opendir(path);
	cr_assert(d, "%s", path);
	int extra = 0;
	list[0] = '\0';
	for (struct dirent *de; (de = readdir(d));) {
		if (de->d_name[0] == '.')
			continue;
		if (atoi(de->d_name) == HIGH_FD)
			extra++;
		size_t used = strlen(list);
		snprintf(list + used, cap - used, "%.16s ", de->d_name);
	}
	closedir(d);
	return extra;
}

Test(hardening, shim_drops_inherited_fds_when_close_range_is_refused)
{
	struct shim_env e;
	shim_env_init(&e, "nocr");
	shim_env_bundle(&e, &(struct bundle_opts){ .script = "touch /out/ready; exec sleep 100" });
	char path[300];
	snprintf(path, sizeof(path), "%s/leak", e.dir);
	leak_high_fd(path);
	refuse_close_range();
	cr_assert_eq(shim_env_run(&e, NULL), 0, "the shim did not start the container");
	snprintf(path, sizeof(path), "%s/ready", e.out);
	cr_assert(shimt_wait_file(path, 5000), "the container never got ready");
	close(HIGH_FD);
	pid_t shim = shimt_read_pid(e.pid_file), ctr = shim_env_container_pid(&e);
	cr_assert(shim > 0 && ctr > 0);
	char list[512];
	cr_expect_eq(count_fds_other_than_stdio(shim, list, sizeof(list)), 0, "shim fds: %s", list);
	cr_expect_eq(count_fds_other_than_stdio(ctr, list, sizeof(list)), 0, "container fds: %s", list);
	shim_env_cleanup(&e);
}

/* With fs.suid_dumpable=1 a uid change makes a process dumpable again; the
 * created init, waiting for start after its switch to uid 1000, must still
 * not be: /proc/<pid>/environ of an undumpable task belongs to root (the
 * directory itself shows the euid either way). */
Test(hardening, init_stays_undumpable_after_the_uid_switch)
{
	char *old = h_read_file("/proc/sys/fs/suid_dumpable");
	cr_assert(old, "no fs.suid_dumpable");
	cr_assert(sec_system("echo 1 > /proc/sys/fs/suid_dumpable"));
	struct bundle b;
	h_bundle_init(&b, "dumpable");
	json_t *user = json_object_get(json_object_get(b.config, "process"), "user");
	json_object_set_new(user, "uid", json_integer(1000));
	json_object_set_new(user, "gid", json_integer(1000));
	h_bundle_set_args(&b, "sleep", "30", NULL);
	h_bundle_write(&b);
	struct run_result r = h_pith("create", "--bundle", b.dir, b.id, NULL);
	cr_expect_eq(r.status, 0, "%s", r.err);
	h_result_free(&r);
	char status[32];
	pid_t pid = h_state(b.id, status, sizeof(status));
	struct stat st = { .st_uid = (uid_t)-1 };
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/environ", (int)pid);
	int sr = pid > 0 ? stat(path, &st) : -1;
	h_bundle_cleanup(&b);
	cr_assert(sec_system("echo %d > /proc/sys/fs/suid_dumpable", atoi(old)));
	free(old);
	cr_assert_eq(sr, 0, "no init (%s)", status);
	cr_expect_eq(st.st_uid, 0, "the created init (uid 1000) is dumpable: /proc/%d/environ belongs to %u",
		     (int)pid, (unsigned)st.st_uid);
}

/* A process whose pid is exactly `want`, via ns_last_pid; 0 when another
 * process took the number first every time. */
static pid_t fork_with_pid(pid_t want, int close_in_child)
{
	for (int attempt = 0; attempt < 50; attempt++) {
		FILE *f = fopen("/proc/sys/kernel/ns_last_pid", "we");
		if (!f)
			return 0;
		fprintf(f, "%d", (int)want - 1);
		fclose(f);
		pid_t p = fork();
		if (p == 0) {
			close(close_in_child); /* the FIFO's writer: exec waits for its EOF */
			pause();
			_exit(0);
		}
		if (p == want)
			return p;
		kill(p, SIGKILL);
		waitpid(p, NULL, 0);
	}
	return 0;
}

/* exec reads the state, then (here, stalled on a FIFO as its --process file)
 * the init dies and a host process takes its pid. exec must notice through
 * its pidfd and refuse, not enter the stranger's (here: the host's)
 * namespaces and run the command there. */
Test(hardening, exec_refuses_an_init_whose_pid_was_recycled)
{
	struct bundle b;
	h_bundle_init(&b, "recycled");
	h_bundle_set_args(&b, "sleep", "300", NULL);
	h_bundle_write(&b);
	struct run_result r = h_pith("run", "--detach", "--bundle", b.dir, b.id, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	h_result_free(&r);
	char status[32];
	pid_t init = h_state(b.id, status, sizeof(status));
	cr_assert(init > 0);

	char fifo[300], marker[128];
	snprintf(fifo, sizeof(fifo), "%s/process.fifo", b.dir);
	snprintf(marker, sizeof(marker), "/tmp/pith-recycled-marker-%d", (int)getpid());
	unlink(marker);
	cr_assert_eq(mkfifo(fifo, 0600), 0);
	pid_t ex = fork();
	if (ex == 0) {
		int null = open("/dev/null", O_RDWR);
		dup2(null, 0), dup2(null, 1), dup2(null, 2);
		execl(h_bin("pith"), "pith", "--root", h_root(), "exec", "-p", fifo, b.id, (char *)NULL);
		_exit(127);
	}
	int w = open(fifo, O_WRONLY | O_CLOEXEC); /* returns once exec opened it: it is stalled now */
	cr_assert(w >= 0);
	kill(init, SIGKILL);
	char proc[64];
	snprintf(proc, sizeof(proc), "/proc/%d", (int)init);
	for (int i = 0; i < 500 && h_path_exists(proc); i++)
		usleep(10000);
	pid_t impostor = h_path_exists(proc) ? 0 : fork_with_pid(init, w);
	char json[400];
	int n = snprintf(json, sizeof(json),
			 "{\"args\":[\"/bin/sh\",\"-c\",\"echo pwned > %s\"],\"cwd\":\"/\","
			 "\"user\":{\"uid\":0,\"gid\":0}}", marker);
	cr_expect_eq(write(w, json, (size_t)n), n);
	close(w);
	int st = 0;
	waitpid(ex, &st, 0);
	bool ran_on_host = h_path_exists(marker);
	if (impostor > 0) {
		kill(impostor, SIGKILL);
		waitpid(impostor, NULL, 0);
	}
	unlink(marker);
	h_bundle_cleanup(&b);
	cr_assert(impostor > 0, "could not recycle pid %d for the test", (int)init);
	cr_expect(!ran_on_host, "exec ran its command in the namespaces of the process that took pid %d",
		  (int)init);
	cr_expect(WIFEXITED(st) && WEXITSTATUS(st) != 0, "exec did not fail (status %#x)", st);
}

/* --stop-timeout 0 and a SIGTERM to the shim: "no grace", as for `stop 0`
 * (doc/pith-shim.8), not one second of it. */
Test(hardening, shim_stop_timeout_zero_kills_at_once_on_sigterm)
{
	struct shim_env e;
	shim_env_init(&e, "stop0");
	shim_env_bundle(&e, &(struct bundle_opts){ .script = "trap '' TERM; touch /out/ready; while :; do sleep 1; done" });
	const char *extra[] = { "--stop-timeout", "0", NULL };
	cr_assert_eq(shim_env_run(&e, extra), 0, "the shim did not start the container");
	char path[300];
	snprintf(path, sizeof(path), "%s/ready", e.out);
	cr_assert(shimt_wait_file(path, 5000), "the container never got ready");
	pid_t shim = shimt_read_pid(e.pid_file);
	cr_assert(shim > 0);
	int64_t t0 = shimt_now_ms();
	cr_assert_eq(kill(shim, SIGTERM), 0);
	cr_assert(shimt_wait_file(e.exit_file, 5000), "no exit report");
	int64_t took = shimt_now_ms() - t0;
	char *rep = shimt_read(e.exit_file, NULL);
	cr_expect_eq(shimt_json_bool(rep, "stop_timeout_killed"), 1, "report: %s", rep);
	cr_expect_lt(took, 700, "SIGTERM with --stop-timeout 0 took %lld ms", (long long)took);
	free(rep);
	shim_env_cleanup(&e);
}

/* A run dir someone else owns, or others may write to, is refused. */
Test(hardening, shim_refuses_a_run_dir_not_private_to_it)
{
	struct shim_env e;
	shim_env_init(&e, "rundir");
	shim_env_bundle(&e, &(struct bundle_opts){ .script = "touch /out/ready; exec sleep 100" });
	mkdir(e.run_dir, 0700);
	cr_assert_eq(chmod(e.run_dir, 0777), 0);
	cr_expect_neq(shim_env_run(&e, NULL), 0, "accepted a world-writable run dir");
	cr_assert_eq(chmod(e.run_dir, 0700), 0);
	cr_assert_eq(chown(e.run_dir, 65534, 65534), 0);
	cr_expect_neq(shim_env_run(&e, NULL), 0, "accepted a run dir owned by uid 65534");
	char out[200];
	snprintf(out, sizeof(out), "%s/shim.out", e.dir);
	char *text = shimt_read(out, NULL);
	cr_expect(text && strstr(text, "run dir"), "no message names the run dir: %s", text ? text : "");
	free(text);
	cr_assert_eq(chown(e.run_dir, 0, 0), 0);
	shim_env_cleanup(&e);
}

/* --init runs the container from a private copy of config.json in the run
 * dir: a relative bind source must still mean the user's bundle. */
Test(hardening, shim_init_keeps_relative_bind_sources_in_the_bundle)
{
	struct shim_env e;
	shim_env_init(&e, "initrel");
	shim_env_bundle(&e, &(struct bundle_opts){ .script = "cat /tmp/hello > /out/got" });
	char path[300];
	snprintf(path, sizeof(path), "%s/data", e.bundle);
	cr_assert_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/data/hello", e.bundle);
	FILE *f = fopen(path, "w");
	cr_assert(f);
	fputs("from the bundle\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/config.json", e.bundle);
	json_error_t je;
	json_t *cfg = json_load_file(path, 0, &je);
	cr_assert(cfg, "%s", je.text);
	json_array_append_new(json_object_get(cfg, "mounts"),
			      json_pack("{s:s,s:s,s:s,s:[s,s]}", "destination", "/tmp", "type", "bind",
					"source", "data", "options", "bind", "ro"));
	cr_assert_eq(json_dump_file(cfg, path, 0), 0);
	json_decref(cfg);
	const char *extra[] = { "--foreground", "--log", "none", "--init", NULL };
	int st = shim_env_run(&e, extra);
	snprintf(path, sizeof(path), "%s/got", e.out);
	char *got = shimt_read(path, NULL);
	cr_expect_eq(st, 0, "the container failed");
	cr_expect(got && strcmp(got, "from the bundle\n") == 0, "the container read: %s", got ? got : "(nothing)");
	free(got);
	shim_env_cleanup(&e);
}

/* ---------- windows held open by a seccomp agent ---------- */

/* A seccomp user-notify agent for this test thread and everything it
 * starts: each listed syscall stops until the agent has run on_stop and
 * answered "continue". It is a thread started before the filter (so not
 * under it) and runs until the test process exits: nothing else answers. */
struct stop_agent {
	int handover[2];
	void (*on_stop)(void *arg, const struct seccomp_notif *req);
	void *arg;
};

static void *stop_agent_main(void *arg)
{
	struct stop_agent *a = arg;
	struct seccomp_notif *req;
	struct seccomp_notif_resp *resp;
	int fd;
	if (read(a->handover[0], &fd, sizeof(fd)) != sizeof(fd) || seccomp_notify_alloc(&req, &resp) < 0)
		return NULL;
	for (;;) {
		memset(req, 0, sizeof(*req));
		if (seccomp_notify_receive(fd, req) < 0)
			continue;
		a->on_stop(a->arg, req);
		resp->id = req->id;
		resp->val = 0;
		resp->error = 0;
		resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		seccomp_notify_respond(fd, resp); /* ENOENT: the caller died meanwhile */
	}
	return NULL;
}

static void start_stop_agent(struct stop_agent *a, const int *syscalls, size_t n)
{
	pthread_t t;
	cr_assert_eq(pipe2(a->handover, O_CLOEXEC), 0);
	cr_assert_eq(pthread_create(&t, NULL, stop_agent_main, a), 0);
	pthread_detach(t);
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	cr_assert(ctx);
	cr_assert_eq(seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0), 0);
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, syscalls[i], 0), 0, "syscall %d", syscalls[i]);
	cr_assert_eq(seccomp_load(ctx), 0);
	int fd = seccomp_notify_fd(ctx);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(a->handover[1], &fd, sizeof(fd)), (ssize_t)sizeof(fd));
}

/* ---------- the cgroup mount against a symlink swapped in at the last moment ---------- */

/* When the container's init is about to mount on the cgroup destination,
 * the agent moves the directory away and leaves a symlink to a host
 * directory in its place (what a second container sharing the rootfs could
 * do, CVE-2021-30465): a mount by path string follows it, a mount on the
 * destination's fd does not. At that process's next stop the mount has
 * happened: the agent keeps its mountinfo (from the host's root: no
 * pivot_root yet). */
struct swap_state {
	char dest[PATH_MAX + 16], moved[PATH_MAX + 16], outside[PATH_MAX + 16];
	pid_t swapped;
	char *mountinfo;
};

/* The mount target of a stopped call: the string, or where /proc/self/fd/N points. */
static bool mount_target_is(pid_t pid, uint64_t addr, const char *want)
{
	char mem[64], s[PATH_MAX] = "";
	snprintf(mem, sizeof(mem), "/proc/%d/mem", (int)pid);
	int fd = open(mem, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = pread(fd, s, sizeof(s) - 1, (off_t)addr);
	close(fd);
	if (n <= 0)
		return false;
	s[n] = '\0';
	if (strncmp(s, "/proc/self/fd/", 14) == 0) {
		char link[64];
		snprintf(link, sizeof(link), "/proc/%d/fd/%.20s", (int)pid, s + 14);
		ssize_t l = readlink(link, s, sizeof(s) - 1);
		if (l <= 0)
			return false;
		s[l] = '\0';
	}
	return strcmp(s, want) == 0;
}

static void swap_on_stop(void *arg, const struct seccomp_notif *req)
{
	struct swap_state *w = arg;
	if (!w->swapped && req->data.nr == SYS_mount && mount_target_is(req->pid, req->data.args[1], w->dest)) {
		if (rename(w->dest, w->moved) == 0 && symlink(w->outside, w->dest) == 0)
			w->swapped = (pid_t)req->pid;
	} else if (w->swapped == (pid_t)req->pid && !w->mountinfo) {
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/mountinfo", (int)req->pid);
		w->mountinfo = h_read_file(path);
	}
}

/* A mount point, as mountinfo's fifth field. */
static bool mounted_at(const char *mountinfo, const char *path)
{
	char needle[PATH_MAX + 2];
	snprintf(needle, sizeof(needle), " %s ", path);
	return strstr(mountinfo, needle) != NULL;
}

Test(hardening, cgroup_mount_follows_no_symlink_swapped_in_before_it)
{
	static struct swap_state a;
	static struct stop_agent agent = { .on_stop = swap_on_stop, .arg = &a };
	static const int stops[] = { SCMP_SYS(mount), SCMP_SYS(openat), SCMP_SYS(openat2) };
	struct bundle b;
	h_bundle_init(&b, "cgswap");
	char rootfs[PATH_MAX], bundle[PATH_MAX];
	cr_assert(realpath(sec_private_rootfs(&b), rootfs) && realpath(b.dir, bundle));
	snprintf(a.dest, sizeof(a.dest), "%s/cg", rootfs);
	snprintf(a.moved, sizeof(a.moved), "%s/cg.moved", rootfs);
	snprintf(a.outside, sizeof(a.outside), "%s/outside", bundle); /* next to the rootfs */
	cr_assert_eq(mkdir(a.dest, 0755), 0);
	cr_assert_eq(mkdir(a.outside, 0755), 0);
	json_array_append_new(json_object_get(b.config, "mounts"),
			      json_pack("{s:s,s:s,s:s,s:[s,s,s,s]}", "destination", "/cg", "type", "cgroup",
					"source", "cgroup", "options", "nosuid", "noexec", "nodev", "ro"));
	h_bundle_write(&b);

	start_stop_agent(&agent, stops, sizeof(stops) / sizeof(stops[0]));
	struct run_result r = h_pith("create", "--bundle", b.dir, b.id, NULL);
	cr_assert(a.swapped, "the init never mounted on %s (create: %d %s)", a.dest, r.status, r.err);
	cr_assert(a.mountinfo, "no stop of the init after its cgroup mount (create: %d %s)", r.status, r.err);
	cr_expect_not(mounted_at(a.mountinfo, a.outside),
		      "the cgroup mount followed the symlink to %s:\n%s", a.outside, a.mountinfo);
	cr_expect(mounted_at(a.mountinfo, a.moved), "nothing on the destination's own directory %s:\n%s",
		  a.moved, a.mountinfo);
	/* The reopen through the confined resolver meets the symlink: create
	 * refuses, naming the mount, and leaves nothing. */
	cr_expect_neq(r.status, 0, "create went on past a swapped destination");
	cr_expect(strstr(r.err, "/cg"), "the error does not name the mount: %s", r.err);
	char dir[512];
	snprintf(dir, sizeof(dir), "%s/%s", h_root(), b.id);
	cr_expect_not(h_path_exists(dir), "state dir left behind");
	cr_expect_eq(h_count_mounts(b.id), 0, "mounts left behind");
	free(a.mountinfo);
	h_result_free(&r);
	unlink(a.dest);
	h_bundle_cleanup(&b);
}

/* ---------- the shim's console socket ---------- */

/* Its mode at the first stop of anyone after it exists: the shim stops at
 * every bind, chmod, umask and listen, so a chmod after bind is caught with
 * the socket still at the umask's mode, before the chmod runs. */
struct sock_watch {
	char path[200];
	mode_t mode;
	long nr;
};

static void sock_on_stop(void *arg, const struct seccomp_notif *req)
{
	struct sock_watch *w = arg;
	struct stat st;
	if (w->nr < 0 && lstat(w->path, &st) == 0 && S_ISSOCK(st.st_mode)) {
		w->mode = st.st_mode & 07777;
		w->nr = req->data.nr;
	}
}

Test(hardening, shim_console_socket_is_private_from_its_bind)
{
	static struct sock_watch w = { .nr = -1 };
	static struct stop_agent agent = { .on_stop = sock_on_stop, .arg = &w };
	static const int stops[] = { SCMP_SYS(bind), SCMP_SYS(chmod), SCMP_SYS(fchmodat), SCMP_SYS(fchmod),
				     SCMP_SYS(umask), SCMP_SYS(listen) };
	struct shim_env e;
	shim_env_init(&e, "consock");
	shim_env_bundle(&e, &(struct bundle_opts){ .script = "exit 0", .terminal = true });
	snprintf(w.path, sizeof(w.path), "%s/console.sock", e.run_dir);
	umask(0); /* a supervisor's umask may be 0: a bind under it gives 0777 */
	start_stop_agent(&agent, stops, sizeof(stops) / sizeof(stops[0]));
	const char *fg[] = { "--foreground", "--log", "none", NULL };
	cr_expect_eq(shim_env_run(&e, fg), 0, "the container failed");
	cr_assert_geq(w.nr, 0, "no stop saw %s", w.path);
	/* connect(2) needs write permission: none for group or others */
	cr_expect_eq(w.mode & 077, 0, "%s was %04o at its first stop (syscall %ld), before any chmod could run",
		     w.path, (unsigned)w.mode, w.nr);
	shim_env_cleanup(&e);
}

/* ---------- pith-shim --init and the bundle the runtime reports ---------- */

/* The runtime runs a private copy of config.json (pith-init as PID 1), but
 * the bundle is still the user's: `state` and the hooks' state say so, not
 * the shim's run dir. */
Test(hardening, shim_init_reports_the_users_bundle)
{
	struct shim_env e;
	shim_env_init(&e, "initbundle");
	shim_env_bundle(&e, &(struct bundle_opts){ .script = "touch /out/ready; exec sleep 100" });
	const char *extra[] = { "--init", NULL };
	cr_assert_eq(shim_env_run(&e, extra), 0, "the shim did not start the container");
	char path[300];
	snprintf(path, sizeof(path), "%s/ready", e.out);
	cr_assert(shimt_wait_file(path, 5000), "the container never got ready");
	char *const argv[] = { (char *)shim_test_runtime(), "--root", e.root, "state", e.id, NULL };
	struct run_result r = h_run(argv, 10);
	cr_assert_eq(r.status, 0, "state: %s", r.err);
	json_t *st = json_loads(r.out, 0, NULL);
	cr_assert(st, "state printed: %s", r.out);
	char want[PATH_MAX];
	cr_assert(realpath(e.bundle, want));
	const char *got = json_string_value(json_object_get(st, "bundle"));
	cr_expect(got && strcmp(got, want) == 0, "state.bundle is %s, not the user's %s", got ? got : "(none)", want);
	json_decref(st);
	h_result_free(&r);
	const char *stop[] = { "stop", "0", NULL };
	shim_env_ctl(&e, NULL, 0, stop);
	shim_env_cleanup(&e);
}
