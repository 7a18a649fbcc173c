/* Ways out a second security read found: a state root another user made or
 * may write. Each test fails on the code before its fix. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "sec_helpers.h"

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
