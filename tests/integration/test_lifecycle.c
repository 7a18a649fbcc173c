/* The container lifecycle as a client sees it: create, start, state, kill,
 * delete, run, exec, list, and the errors on every wrong step. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

static char state_dir[512];
static char cgroup_rel[256];

static const char *cgroup_of(const struct bundle *b)
{
	snprintf(cgroup_rel, sizeof(cgroup_rel), "pith-test/%s", b->id);
	return cgroup_rel;
}

static const char *container_dir(const struct bundle *b)
{
	snprintf(state_dir, sizeof(state_dir), "%s/%s", h_root(), b->id);
	return state_dir;
}

Test(lifecycle, run_prints_hostname_pid_and_id)
{
	struct bundle b;
	h_bundle_init(&b, "runhello");
	h_bundle_set_args(&b, "sh", "-c", "hostname; echo $$; id -u; id -g", NULL);
	h_bundle_write(&b);
	struct run_result r = h_pith("run", "--bundle", b.dir, b.id, NULL);
	cr_expect_eq(r.status, 0, "run failed: %s", r.err);
	cr_expect_str_eq(r.out, "pith\n1\n0\n0\n");
	h_result_free(&r);
	cr_expect(!h_path_exists(container_dir(&b)), "run left its state dir behind");
	cr_expect(!h_cgroup_exists(cgroup_of(&b)), "run left its cgroup behind");
	h_bundle_cleanup(&b);
}

Test(lifecycle, create_start_state_kill_delete)
{
	struct bundle b;
	h_bundle_init(&b, "cycle");
	h_bundle_set_args(&b, "sleep", "100", NULL);
	h_bundle_write(&b);
	char pidfile[300];
	snprintf(pidfile, sizeof(pidfile), "%s/pid", b.dir);
	struct run_result r = h_pith("create", "--bundle", b.dir, "--pid-file", pidfile, b.id, NULL);
	cr_assert_eq(r.status, 0, "create: %s", r.err);
	h_result_free(&r);

	char status[32];
	pid_t pid = h_state(b.id, status, sizeof(status));
	cr_expect_str_eq(status, "created");
	cr_assert_gt(pid, 0);
	char *pf = h_read_file(pidfile);
	cr_assert_not_null(pf);
	cr_expect_eq(atoi(pf), pid, "pid file %s vs state %d", pf, pid);
	free(pf);
	/* every namespace the default spec asks for is really new */
	const char *ns[] = { "pid_for_children", "net", "ipc", "uts", "mnt", "cgroup" };
	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		unsigned long theirs = h_ns_inode(pid, i == 0 ? "pid" : ns[i]);
		unsigned long ours = h_ns_inode(getpid(), i == 0 ? "pid" : ns[i]);
		cr_expect_neq(theirs, 0);
		cr_expect_neq(theirs, ours, "namespace %s is the host's", ns[i]);
	}
	/* created: the user process has not run yet */
	char path[128];
	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	char *cmd = h_read_file(path);
	cr_expect(cmd && strcmp(cmd, "sleep") != 0, "init already exec'd before start");
	free(cmd);

	r = h_pith("start", b.id, NULL);
	cr_assert_eq(r.status, 0, "start: %s", r.err);
	h_result_free(&r);
	pid_t pid2 = h_state(b.id, status, sizeof(status));
	cr_expect_str_eq(status, "running");
	cr_expect_eq(pid2, pid);
	usleep(50000);
	cmd = h_read_file(path);
	cr_expect(cmd && strcmp(cmd, "sleep") == 0, "after start the init is %s", cmd ? cmd : "(gone)");
	free(cmd);

	r = h_pith("start", b.id, NULL);
	cr_expect_neq(r.status, 0, "second start succeeded");
	cr_expect(strstr(r.err, "already running"), "second start: %s", r.err);
	h_result_free(&r);

	r = h_pith("delete", b.id, NULL);
	cr_expect_neq(r.status, 0, "delete of a running container without --force succeeded");
	cr_expect(strstr(r.err, "not stopped"), "%s", r.err);
	h_result_free(&r);

	r = h_pith("kill", b.id, "KILL", NULL);
	cr_expect_eq(r.status, 0, "kill: %s", r.err);
	h_result_free(&r);
	for (int i = 0; i < 100; i++) {
		h_state(b.id, status, sizeof(status));
		if (strcmp(status, "stopped") == 0)
			break;
		usleep(20000);
	}
	cr_expect_str_eq(status, "stopped");

	r = h_pith("delete", b.id, NULL);
	cr_expect_eq(r.status, 0, "delete: %s", r.err);
	h_result_free(&r);
	cr_expect(!h_path_exists(container_dir(&b)));
	cr_expect(!h_cgroup_exists(cgroup_of(&b)), "delete left the cgroup");

	r = h_pith("state", b.id, NULL);
	cr_expect_eq(r.status, 1);
	cr_expect(strstr(r.err, "does not exist"), "state of a deleted container: %s", r.err);
	h_result_free(&r);
	h_bundle_cleanup(&b);
}

Test(lifecycle, exit_codes_and_signals)
{
	struct bundle b;
	h_bundle_init(&b, "exitcode");
	h_bundle_set_args(&b, "sh", "-c", "exit 7", NULL);
	h_bundle_write(&b);
	struct run_result r = h_pith("run", "--bundle", b.dir, b.id, NULL);
	cr_expect_eq(r.status, 7, "exit code %d: %s", r.status, r.err);
	h_result_free(&r);
	/* the init itself killed from outside: run reports 128+9 */
	h_bundle_set_args(&b, "sleep", "100", NULL);
	h_bundle_write(&b);
	r = h_pith("run", "--detach", "--bundle", b.dir, b.id, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	h_result_free(&r);
	/* a process of the container killed by a signal: exec reports 128+N */
	r = h_pith("exec", b.id, "sh", "-c", "kill -TERM $$", NULL);
	cr_expect_eq(r.status, 128 + SIGTERM, "exec killed by SIGTERM: %d %s", r.status, r.err);
	h_result_free(&r);
	h_bundle_cleanup(&b);
}

Test(lifecycle, delete_force_running_and_kill_names)
{
	struct bundle b;
	h_bundle_init(&b, "force");
	h_bundle_set_args(&b, "sh", "-c", "trap 'echo got; exit 3' USR1; while :; do sleep 0.1; done", NULL);
	h_bundle_write(&b);
	struct run_result r = h_pith("run", "--detach", "--bundle", b.dir, b.id, NULL);
	cr_assert_eq(r.status, 0, "run -d: %s", r.err);
	h_result_free(&r);
	char status[32];
	pid_t pid = h_state(b.id, status, sizeof(status));
	cr_expect_str_eq(status, "running");
	const char *names[] = { "SIGCONT", "CONT", "18" };
	for (size_t i = 0; i < 3; i++) {
		r = h_pith("kill", b.id, names[i], NULL);
		cr_expect_eq(r.status, 0, "kill %s: %s", names[i], r.err);
		h_result_free(&r);
	}
	r = h_pith("kill", b.id, "SIGFOO", NULL);
	cr_expect_neq(r.status, 0);
	cr_expect(strstr(r.err, "FOO"), "%s", r.err);
	h_result_free(&r);
	r = h_pith("delete", "--force", b.id, NULL);
	cr_expect_eq(r.status, 0, "delete --force: %s", r.err);
	h_result_free(&r);
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	char *stat = h_read_file(path);
	/* gone, or a zombie waiting for the host's init to reap it */
	cr_expect(!stat || strstr(stat, ") Z "), "init survived delete --force: %s", stat);
	free(stat);
	cr_expect(!h_path_exists(container_dir(&b)));
	cr_expect(!h_cgroup_exists(cgroup_of(&b)));
	h_bundle_cleanup(&b);
}

Test(lifecycle, exec_joins_the_container)
{
	struct bundle b;
	h_bundle_init(&b, "exec");
	h_bundle_set_args(&b, "sleep", "100", NULL);
	h_bundle_write(&b);
	struct run_result r = h_pith("run", "--detach", "--bundle", b.dir, b.id, NULL);
	cr_assert_eq(r.status, 0, "run -d: %s", r.err);
	h_result_free(&r);
	r = h_pith("exec", b.id, "sh", "-c", "echo $$ $(hostname); ls /proc | grep -c '^[0-9]'; exit 5", NULL);
	cr_expect_eq(r.status, 5, "exec status %d: %s", r.status, r.err);
	/* a pid in the container's namespace (not 1: that is sleep), the container's
	 * hostname, and only the container's processes visible */
	int pid = 0, nprocs = 0;
	char host[64] = "";
	cr_expect_eq(sscanf(r.out, "%d %63s %d", &pid, host, &nprocs), 3, "output: %s", r.out);
	cr_expect_gt(pid, 1);
	cr_expect_lt(pid, 100);
	cr_expect_str_eq(host, "pith");
	cr_expect_leq(nprocs, 4, "exec sees %d processes", nprocs);
	h_result_free(&r);
	r = h_pith("exec", b.id, "/no/such/binary", NULL);
	cr_expect_neq(r.status, 0);
	cr_expect(strstr(r.err, "/no/such/binary"), "exec of a missing binary: %s", r.err);
	h_result_free(&r);
	h_bundle_cleanup(&b);
}

Test(lifecycle, no_host_fd_reaches_the_container)
{
	struct bundle b;
	h_bundle_init(&b, "fds");
	h_bundle_set_args(&b, "sh", "-c", "ls /proc/self/fd | tr '\\n' ' '", NULL);
	h_bundle_write(&b);
	/* an fd open in the caller, not preserved, must not leak (CVE-2024-21626 class) */
	int leak = open("/etc/hostname", O_RDONLY);
	cr_assert_geq(leak, 3);
	struct run_result r = h_pith("run", "--bundle", b.dir, b.id, NULL);
	cr_expect_eq(r.status, 0, "%s", r.err);
	/* ls itself holds one fd for the directory it lists */
	cr_expect_str_eq(r.out, "0 1 2 3 ", "fds in the container: %s", r.out);
	h_result_free(&r);
	close(leak);
	h_bundle_cleanup(&b);
}

Test(lifecycle, list_and_duplicate_ids)
{
	struct bundle b;
	h_bundle_init(&b, "list");
	h_bundle_set_args(&b, "sleep", "100", NULL);
	h_bundle_write(&b);
	struct run_result r = h_pith("create", "--bundle", b.dir, b.id, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	h_result_free(&r);
	r = h_pith("create", "--bundle", b.dir, b.id, NULL);
	cr_expect_neq(r.status, 0);
	cr_expect(strstr(r.err, "already exists"), "%s", r.err);
	h_result_free(&r);
	r = h_pith("list", "--format", "json", NULL);
	cr_expect_eq(r.status, 0);
	json_t *j = json_loads(r.out, 0, NULL);
	cr_assert(json_is_array(j), "list json: %s", r.out);
	bool found = false;
	for (size_t i = 0; i < json_array_size(j); i++) {
		json_t *e = json_array_get(j, i);
		if (strcmp(json_string_value(json_object_get(e, "id")), b.id) == 0) {
			found = true;
			cr_expect_str_eq(json_string_value(json_object_get(e, "status")), "created");
		}
	}
	cr_expect(found, "list does not show %s", b.id);
	json_decref(j);
	h_result_free(&r);
	h_bundle_cleanup(&b);
	cr_expect(!h_path_exists(container_dir(&b)));
}

Test(lifecycle, invalid_ids_are_refused)
{
	struct bundle b;
	h_bundle_init(&b, "badid");
	h_bundle_write(&b);
	const char *bad[] = { "a/b", "..", "", "x y" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct run_result r = h_pith("create", "--bundle", b.dir, bad[i], NULL);
		cr_expect_eq(r.status, 1, "id \"%s\" accepted", bad[i]);
		cr_expect(strstr(r.err, "id"), "id \"%s\": %s", bad[i], r.err);
		h_result_free(&r);
	}
	char longid[1100];
	memset(longid, 'a', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	struct run_result r = h_pith("create", "--bundle", b.dir, longid, NULL);
	cr_expect_eq(r.status, 1);
	h_result_free(&r);
	h_bundle_cleanup(&b);
}

Test(lifecycle, unknown_commands_and_flags)
{
	struct run_result r = h_pith("frobnicate", NULL);
	cr_expect_eq(r.status, 1);
	cr_expect(strstr(r.err, "unknown command"), "%s", r.err);
	h_result_free(&r);
	r = h_pith("create", "--bogus", "x", NULL);
	cr_expect_eq(r.status, 1);
	cr_expect(strstr(r.err, "--bogus"), "%s", r.err);
	h_result_free(&r);
	r = h_pith("start", "no-such-container", NULL);
	cr_expect_eq(r.status, 1);
	cr_expect(strstr(r.err, "does not exist"), "%s", r.err);
	h_result_free(&r);
	r = h_pith("delete", "no-such-container", NULL);
	cr_expect_eq(r.status, 1);
	cr_expect(strstr(r.err, "does not exist"), "%s", r.err);
	h_result_free(&r);
}

Test(lifecycle, json_log_for_clients)
{
	char log[128];
	snprintf(log, sizeof(log), "/tmp/pith-test-log-%d.json", (int)getpid());
	unlink(log);
	char *argv[] = { (char *)h_bin("pith"), "--root", (char *)h_root(), "--log", log, "--log-format=json",
			 "state", "no-such-container", NULL };
	struct run_result r = h_run(argv, 10);
	cr_expect_eq(r.status, 1);
	h_result_free(&r);
	char *text = h_read_file(log);
	cr_assert_not_null(text, "no log file");
	json_t *j = json_loads(text, JSON_DISABLE_EOF_CHECK, NULL);
	cr_assert_not_null(j, "log is not JSON: %s", text);
	cr_expect_str_eq(json_string_value(json_object_get(j, "level")), "error");
	cr_expect(strstr(json_string_value(json_object_get(j, "msg")), "does not exist"));
	cr_expect(json_is_string(json_object_get(j, "time")));
	json_decref(j);
	free(text);
	unlink(log);
}
