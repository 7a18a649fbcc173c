/* Ways out a second security read found: a state root another user made or
 * may write. Each test fails on the code before its fix. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "sec_helpers.h"
#include "shim_helpers.h"

static struct run_result pith_with_root(const char *root, const char *cmd, const char *a1,
					 const char *a2, const char *a3)
{
	char *argv[] = { (char *)h_bin("pith"), "--root", (char *)root, (char *)cmd,
			 (char *)a1, (char *)a2, (char *)a3, NULL };
	return h_run(argv, 30);
}

static void expect_root_refused(const char *name, uid_t owner, mode_t mode, const char *why)
{
	char root[256];
	snprintf(root, sizeof(root), "/run/pith-test-%s-%d", name, (int)getpid());
	cr_assert_eq(mkdir(root, 0700), 0, "%s", root);
	cr_assert_eq(chown(root, owner, 0), 0);
	cr_assert_eq(chmod(root, mode), 0);
	struct bundle b;
	h_bundle_init(&b, name);
	h_bundle_set_args(&b, "true", NULL);
	h_bundle_write(&b);
	struct run_result r = pith_with_root(root, "create", "--bundle", b.dir, b.id);
	cr_expect_neq(r.status, 0, "create accepted a root %s", why);
	cr_expect(strstr(r.err, root) && strstr(r.err, why), "error: %s", r.err);
	h_result_free(&r);
	char dir[400];
	snprintf(dir, sizeof(dir), "%s/%s", root, b.id);
	cr_expect(!h_path_exists(dir), "create left %s behind", dir);
	/* a planted container dir is not trusted either (its hooks run at delete) */
	mkdir(dir, 0700);
	r = pith_with_root(root, "delete", "--force", b.id, NULL);
	cr_expect_neq(r.status, 0, "delete trusted a root %s", why);
	cr_expect(strstr(r.err, why), "error: %s", r.err);
	h_result_free(&r);
	rmdir(dir);
	rmdir(root);
	h_bundle_cleanup(&b);
}

Test(escape, state_root_owned_by_another_user_is_refused)
{
	expect_root_refused("rootforeign", 65534, 0700, "owned by uid 65534");
}

Test(escape, state_root_writable_by_others_is_refused)
{
	expect_root_refused("rootshared", 0, 0777, "writable by others");
}

Test(escape, cgroup_holding_processes_is_refused)
{
	char cg[256], procs[300];
	snprintf(cg, sizeof(cg), "/sys/fs/cgroup/memory/pith-test/busy-%d", (int)getpid());
	mkdir("/sys/fs/cgroup/memory/pith-test", 0755);
	cr_assert_eq(mkdir(cg, 0755), 0, "%s", cg);
	pid_t sleeper = fork();
	if (sleeper == 0) {
		execl("/bin/sleep", "sleep", "100", (char *)NULL);
		_exit(127);
	}
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg);
	FILE *f = fopen(procs, "w");
	cr_assert(f);
	fprintf(f, "%d\n", (int)sleeper);
	cr_assert_eq(fclose(f), 0);

	struct bundle b;
	h_bundle_init(&b, "busycg");
	json_object_set_new(json_object_get(b.config, "linux"), "cgroupsPath",
			    json_string(cg + strlen("/sys/fs/cgroup/memory")));
	h_bundle_set_args(&b, "true", NULL);
	h_bundle_write(&b);
	struct run_result r = h_pith("run", "--bundle", b.dir, b.id, NULL);
	cr_expect_neq(r.status, 0, "run joined a cgroup that holds pid %d", (int)sleeper);
	cr_expect(strstr(r.err, "not empty"), "error: %s", r.err);
	h_result_free(&r);
	r = h_pith("delete", "--force", b.id, NULL);
	h_result_free(&r);
	cr_expect_eq(kill(sleeper, 0), 0, "the process already in the cgroup was signalled");
	kill(sleeper, SIGKILL);
	waitpid(sleeper, NULL, 0);
	rmdir(cg);
	h_bundle_cleanup(&b);
}

/* CVE-2019-5736: until its execve the container's init is pith's own image,
 * reachable from the container as /proc/1/exe (and by a #!/proc/self/exe
 * script). It must be a sealed memfd copy, never the host binary. */
Test(escape, init_runs_from_a_sealed_copy_not_the_host_binary, .timeout = 60)
{
	struct bundle b;
	h_bundle_init(&b, "selfexe");
	h_bundle_set_args(&b, "true", NULL);
	h_bundle_write(&b);
	unsigned long long before = sec_file_hash(h_bin("pith"));
	struct run_result r = h_pith("create", "--bundle", b.dir, b.id, NULL);
	cr_assert_eq(r.status, 0, "create: %s", r.err);
	h_result_free(&r);
	char status[32], exe[64], target[512] = "";
	pid_t pid = h_state(b.id, status, sizeof(status));
	cr_assert_gt(pid, 0);
	snprintf(exe, sizeof(exe), "/proc/%d/exe", (int)pid);
	ssize_t n = readlink(exe, target, sizeof(target) - 1);
	target[n > 0 ? n : 0] = '\0';
	cr_expect(strncmp(target, "/memfd:", 7) == 0, "the waiting init runs %s", target);
	/* what container root with CAP_SYS_PTRACE could try: the seals refuse it */
	int fd = open(exe, O_WRONLY | O_CLOEXEC);
	cr_expect(fd < 0 || write(fd, "PWNED", 5) < 0, "the init's image took a write");
	if (fd >= 0)
		close(fd);
	cr_expect_eq(sec_file_hash(h_bin("pith")), before);
	h_bundle_cleanup(&b);
}

/* 18446744073709552 s is 384 ms once multiplied into int64 milliseconds:
 * a hook of one second must still run to its end. */
Test(escape, huge_hook_timeout_does_not_wrap, .timeout = 60)
{
	struct bundle b;
	h_bundle_init(&b, "hooktimeout");
	json_t *hook = json_pack("{s:s,s:[sss],s:I}", "path", "/bin/sh", "args", "sh", "-c", "sleep 1",
				 "timeout", (json_int_t)18446744073709552LL);
	json_object_set_new(b.config, "hooks", json_pack("{s:[o]}", "createRuntime", hook));
	h_bundle_set_args(&b, "true", NULL);
	h_bundle_write(&b);
	struct run_result r = h_pith("run", "--bundle", b.dir, b.id, NULL);
	cr_expect_eq(r.status, 0, "a 1 s hook with a huge timeout failed: %s", r.err);
	h_result_free(&r);
	h_bundle_cleanup(&b);
}

/* ---------- Ctrl-C while `pith run` creates ---------- */

static pid_t spawn_pith_run(const struct bundle *b)
{
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		dup2(null, 0);
		dup2(null, 1);
		/* As a shell starts it: nothing blocked or ignored from the test runner. */
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		execl(h_bin("pith"), "pith", "--root", h_root(), "run", "--bundle", b->dir, b->id, (char *)NULL);
		_exit(127);
	}
	return pid;
}

static int wait_exit(pid_t pid, int timeout_s)
{
	int st;
	for (int i = 0; i < timeout_s * 100; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -1;
}

static void interrupt_during_create(int sig)
{
	struct bundle b;
	h_bundle_init(&b, sig == SIGINT ? "runint" : "runterm");
	h_bundle_set_args(&b, "/bin/sleep", "30", NULL);
	/* The hook holds create open long enough to be interrupted in it. */
	json_object_set_new(b.config, "hooks", json_pack("{s:[{s:s,s:[s,s]}]}", "createRuntime", "path", "/bin/sleep",
						       "args", "sleep", "1"));
	h_bundle_write(&b);
	char cg[512], procs[600];
	snprintf(cg, sizeof(cg), "/sys/fs/cgroup/pids/pith-test/%s", b.id);
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg);
	pid_t pid = spawn_pith_run(&b);
	/* Not `pith state`: it waits for create's lock, i.e. past the window. */
	pid_t init = 0;
	for (int i = 0; i < 80 && init <= 0; i++) {
		usleep(10000);
		char *text = h_read_file(procs);
		init = text ? (pid_t)atoi(text) : 0;
		free(text);
	}
	cr_assert_gt(init, 0, "no init in %s within 0.8 s", cg);
	usleep(100000);
	kill(pid, sig);
	int code = wait_exit(pid, 20);
	cr_expect_eq(code, 128 + sig, "pith run after %s: exit %d", strsignal(sig), code);
	char status[32];
	cr_expect_eq(h_state(b.id, status, sizeof(status)), 0, "%s during create left the container (%s)",
		     strsignal(sig), status);
	cr_expect(kill(init, 0) < 0 && errno == ESRCH, "%s during create left the init %d alive", strsignal(sig),
		  (int)init);
	cr_expect_not(h_path_exists(cg), "%s during create left %s", strsignal(sig), cg);
	h_bundle_cleanup(&b);
}

Test(escape, ctrl_c_during_run_create_removes_the_container)
{
	interrupt_during_create(SIGINT);
}

Test(escape, sigterm_during_run_create_removes_the_container)
{
	interrupt_during_create(SIGTERM);
}

/* ---------- CVE-2019-5736: the host's pith re-entered through /proc/self/exe ---------- */

static bool sha256_of(const char *path, char out[65])
{
	char cmd[4200];
	snprintf(cmd, sizeof(cmd), "sha256sum '%s'", path);
	FILE *p = popen(cmd, "re");
	if (!p)
		return false;
	bool ok = fscanf(p, "%64s", out) == 1;
	return pclose(p) == 0 && ok;
}

/* The created init waits for start inside the container, running pith's image:
 * that image must be a sealed memfd, not the host's file. */
Test(escape, the_container_side_runs_from_a_sealed_copy_of_pith)
{
	struct bundle b;
	h_bundle_init(&b, "sealed");
	h_bundle_set_args(&b, "/bin/true", NULL);
	h_bundle_write(&b);
	struct run_result r = h_pith("create", "--bundle", b.dir, b.id, NULL);
	cr_assert_eq(r.status, 0, "create: %s", r.err);
	h_result_free(&r);
	char status[32], exe[64], target[4096] = "";
	pid_t init = h_state(b.id, status, sizeof(status));
	cr_assert_gt(init, 0);
	snprintf(exe, sizeof(exe), "/proc/%d/exe", (int)init);
	ssize_t n = readlink(exe, target, sizeof(target) - 1);
	target[n > 0 ? n : 0] = '\0';
	int fd = open(exe, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0, "%s: %s", exe, strerror(errno));
	int seals = fcntl(fd, F_GET_SEALS);
	close(fd);
	cr_expect(seals >= 0 && (seals & F_SEAL_WRITE) && (seals & F_SEAL_SEAL),
		  "the created init runs %s, not a sealed memfd (seals %d)", target, seals);
	int wfd = open(exe, O_WRONLY | O_CLOEXEC);
	cr_expect_lt(wfd, 0, "%s (%s) opened for writing", exe, target);
	if (wfd >= 0)
		close(wfd);
	h_bundle_cleanup(&b);
}

/* Inside the container, as its root: /bin/evil is "#!/proc/self/exe", so
 * `pith exec ID /bin/evil` makes the kernel run the exec'ing process's own
 * image, pith, in the container. --log on a fifo would hold it open while a
 * second exec takes /proc/<pid>/exe, then tries to reopen and write it once
 * it exited (runc's CVE exploit). Kernels that refuse the magic-link
 * interpreter from another mount namespace (ENOENT) stop it at execve. */
static const char WATCHER[] =
	"pid=; for i in $(seq 50); do for d in /proc/[0-9]*; do "
	"grep -q 'log=/tmp/[f]' $d/cmdline 2>/dev/null && pid=${d#/proc/}; done; [ -n \"$pid\" ] && break; "
	"sleep 0.02; done; [ -z \"$pid\" ] && { echo NOT-REENTERED; exit 0; }; "
	"echo \"exe=$(readlink /proc/$pid/exe)\"; exec 3</proc/$pid/exe || exit 3; "
	"cat /tmp/f >/dev/null & while [ -e /proc/$pid ]; do sleep 0.05; done; "
	"if exec 4<>/proc/self/fd/3; then echo OPENED; printf X >&4 && echo WROTE; else echo REFUSED; fi";

static pid_t spawn_quiet(char *const argv[])
{
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

Test(escape, a_proc_self_exe_script_cannot_overwrite_the_host_pith)
{
	/* A copy of pith as the runtime: a successful attack must not hit the build. */
	char dir[] = "/tmp/pith-cve5736-XXXXXX", bin[64], before[65], after[65];
	cr_assert_not_null(mkdtemp(dir));
	snprintf(bin, sizeof(bin), "%s/pith", dir);
	cr_assert(sec_system("cp '%s' '%s'", h_bin("pith"), bin));
	cr_assert(sha256_of(bin, before));

	struct bundle b;
	h_bundle_init(&b, "cve5736");
	const char *rootfs = sec_private_rootfs(&b);
	cr_assert(sec_system("printf '#!/proc/self/exe --log=/tmp/f\\n' > '%s/bin/evil' && chmod 755 '%s/bin/evil'",
			     rootfs, rootfs));
	json_array_append_new(json_object_get(b.config, "mounts"),
			      json_pack("{s:s,s:s,s:s}", "destination", "/tmp", "type", "tmpfs", "source", "tmpfs"));
	h_bundle_set_args(&b, "/bin/sh", "-c", "mkfifo /tmp/f && exec sleep 60", NULL);
	h_bundle_write(&b);
	char *run[] = { bin, "--root", (char *)h_root(), "run", "-d", "--bundle", b.dir, b.id, NULL };
	struct run_result r = h_run(run, 30);
	cr_assert_eq(r.status, 0, "run -d: %s", r.err);
	h_result_free(&r);
	char *evil[] = { bin, "--root", (char *)h_root(), "exec", b.id, "/bin/evil", NULL };
	pid_t attacker = spawn_quiet(evil);
	char *watch[] = { bin, "--root", (char *)h_root(), "exec", b.id, "/bin/sh", "-c", (char *)WATCHER, NULL };
	r = h_run(watch, 30);
	cr_log_info("attack: exit %d, out: %s, err: %s", r.status, r.out, r.err);
	cr_expect_not(strstr(r.out, "WROTE"), "the container wrote pith's image: %s", r.out);
	cr_expect(sha256_of(bin, after));
	cr_expect_str_eq(after, before, "the host's pith changed under the attack");
	h_result_free(&r);
	kill(attacker, SIGKILL);
	waitpid(attacker, NULL, 0);
	char *del[] = { bin, "--root", (char *)h_root(), "delete", "--force", b.id, NULL };
	r = h_run(del, 30);
	h_result_free(&r);
	h_bundle_cleanup(&b);
	sec_system("rm -rf '%s'", dir);
}

/* ---------- pith-shim --init and the image rootfs ---------- */

/* Every name under the rootfs, one per line (find's order is stable for an
 * unchanged tree). */
static char *tree_of(const char *dir)
{
	char cmd[512], out[256];
	snprintf(out, sizeof(out), "%s.tree", dir);
	snprintf(cmd, sizeof(cmd), "cd '%s' && find . | sort > '%s'", dir, out);
	cr_assert(sec_system("%s", cmd));
	char *t = h_read_file(out);
	unlink(out);
	cr_assert_not_null(t);
	return t;
}

/* Rewrite the shim env's config: root.readonly, and keep only the mounts whose
 * destination is not `drop` (NULL keeps all). */
static void edit_shim_config(struct shim_env *e, const char *drop)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/config.json", e->bundle);
	json_t *c = json_load_file(path, 0, NULL);
	cr_assert_not_null(c);
	json_object_set_new(json_object_get(c, "root"), "readonly", json_true());
	json_t *mounts = json_object_get(c, "mounts"), *keep = json_array();
	size_t i;
	json_t *m;
	json_array_foreach(mounts, i, m) {
		const char *d = json_string_value(json_object_get(m, "destination"));
		if (!drop || !d || strncmp(d, drop, strlen(drop)) != 0)
			json_array_append(keep, m);
	}
	json_object_set_new(c, "mounts", keep);
	cr_assert_eq(json_dump_file(c, path, 0), 0);
	json_decref(c);
}

static int shim_init_run(struct shim_env *e, const char *name, const char *drop, char **before, char **after)
{
	shim_env_init(e, name);
	shim_env_bundle(e, &(struct bundle_opts){ .script = "echo ran > /out/ran" });
	edit_shim_config(e, drop);
	char rootfs[256];
	snprintf(rootfs, sizeof(rootfs), "%s/rootfs", e->bundle);
	*before = tree_of(rootfs);
	const char *fg[] = { "--foreground", "--log", "none", "--init", NULL };
	int rc = shim_env_run(e, fg);
	*after = tree_of(rootfs);
	return rc;
}

Test(escape, shim_init_with_a_read_only_rootfs_leaves_the_image_unchanged)
{
	struct shim_env e;
	char *before, *after;
	int rc = shim_init_run(&e, "initro", NULL, &before, &after);
	cr_expect_eq(rc, 0, "--init with root.readonly: exit %d", rc);
	char ran[256];
	snprintf(ran, sizeof(ran), "%s/ran", e.out);
	cr_expect(h_path_exists(ran), "the container's process did not run under pith-init");
	cr_expect_str_eq(after, before, "--init changed the image rootfs");
	free(before);
	free(after);
	shim_env_cleanup(&e);
}

/* Without a tmpfs /dev the init had nowhere but the image to go (/.pith-init). */
Test(escape, shim_init_without_a_tmpfs_dev_does_not_write_the_image)
{
	struct shim_env e;
	char *before, *after;
	int rc = shim_init_run(&e, "initnodev", "/dev", &before, &after);
	cr_expect_neq(rc, 0, "--init without a tmpfs /dev was not refused");
	cr_expect_str_eq(after, before, "--init wrote into the image rootfs (exit %d)", rc);
	free(before);
	free(after);
	shim_env_cleanup(&e);
}
