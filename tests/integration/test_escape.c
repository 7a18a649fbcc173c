/* Ways out a second security read found: a state root another user made or
 * may write. Each test fails on the code before its fix. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

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
