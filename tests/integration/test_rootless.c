/* Rootless: pith run by an unprivileged user (tests/fixtures/rootless-user.sh
 * makes it, with /etc/subuid and /etc/subgid ranges) from `pith spec
 * --rootless`, with a --root under its own runtime dir. The test binary is
 * root; every pith command goes through setpriv as that user. */
#include <criterion/criterion.h>
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "harness.h"
#include "sec_helpers.h"

#define RL_USER "pith-rootless"

static uid_t rl_uid;
static gid_t rl_gid;
static unsigned rl_subuid;     /* first id of the user's /etc/subuid range */
static char rl_xdg[256];  /* its XDG_RUNTIME_DIR for this test */
static char rl_root[300]; /* <xdg>/pith */

static unsigned sub_start(const char *file)
{
	FILE *f = fopen(file, "re");
	char line[256];
	unsigned start = 0, count = 0;
	while (f && fgets(line, sizeof(line), f)) {
		if (strncmp(line, RL_USER ":", strlen(RL_USER) + 1) == 0 &&
		    sscanf(line + strlen(RL_USER) + 1, "%u:%u", &start, &count) == 2 && count >= 65536)
			break;
		start = 0;
	}
	if (f)
		fclose(f);
	return start;
}

static void rl_setup(void)
{
	char script[PATH_MAX];
	snprintf(script, sizeof(script), "%s/../tests/fixtures/rootless-user.sh", h_build_dir());
	if (access(script, X_OK) != 0)
		snprintf(script, sizeof(script), "tests/fixtures/rootless-user.sh");
	if (access("/usr/bin/newuidmap", X_OK) != 0)
		cr_skip_test("newuidmap missing (tests/deps.sh installs uidmap)");
	cr_assert(sec_system("'%s' " RL_USER " >/dev/null", script), "%s failed", script);
	struct passwd *pw = getpwnam(RL_USER);
	cr_assert_not_null(pw);
	rl_uid = pw->pw_uid;
	rl_gid = pw->pw_gid;
	rl_subuid = sub_start("/etc/subuid");
	cr_assert_neq(rl_subuid, 0u, "no /etc/subuid range of 65536 for " RL_USER);
	snprintf(rl_xdg, sizeof(rl_xdg), "/tmp/pith-rootless-%d", (int)getpid());
	cr_assert_eq(mkdir(rl_xdg, 0700), 0);
	cr_assert_eq(chown(rl_xdg, rl_uid, rl_gid), 0);
	snprintf(rl_root, sizeof(rl_root), "%s/pith", rl_xdg);
}

static void rl_teardown(void)
{
	if (rl_xdg[0])
		sec_system("rm -rf '%s'", rl_xdg);
}

TestSuite(rootless, .init = rl_setup, .fini = rl_teardown);

/* Run pith as the user: clean environment, its own runtime dir. */
static struct run_result rl_pith(const char *arg, ...)
{
	char uid[32], gid[32], xdg[PATH_MAX + 32];
	snprintf(uid, sizeof(uid), "--reuid=%u", (unsigned)rl_uid);
	snprintf(gid, sizeof(gid), "--regid=%u", (unsigned)rl_gid);
	snprintf(xdg, sizeof(xdg), "XDG_RUNTIME_DIR=%s", rl_xdg);
	char *argv[64] = { "/usr/bin/setpriv", uid, gid, "--clear-groups", "--", "/usr/bin/env", "-i",
			   "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/tmp", xdg, (char *)h_bin("pith"),
			   "--root", rl_root };
	int n = 13;
	va_list ap;
	va_start(ap, arg);
	for (const char *a = arg; a && n < 63; a = va_arg(ap, const char *))
		argv[n++] = (char *)a;
	va_end(ap);
	argv[n] = NULL;
	return h_run(argv, 60);
}

/* A bundle the user owns, with the config `pith spec --rootless` wrote as
 * that user; rootfs the shared fixture (read-only) unless private. */
static void rl_bundle(struct bundle *b, const char *name, bool private_rootfs)
{
	memset(b, 0, sizeof(*b));
	snprintf(b->id, sizeof(b->id), "rl-%s-%d", name, (int)getpid());
	snprintf(b->dir, sizeof(b->dir), "/tmp/pith-rl-bundle-%s-XXXXXX", name);
	cr_assert_not_null(mkdtemp(b->dir));
	cr_assert_eq(chown(b->dir, rl_uid, rl_gid), 0);
	struct run_result r = rl_pith("spec", "--rootless", "--bundle", b->dir, NULL);
	cr_assert_eq(r.status, 0, "spec --rootless: %s", r.err);
	h_result_free(&r);
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/config.json", b->dir);
	b->config = json_load_file(path, 0, NULL);
	cr_assert_not_null(b->config);
	char rootfs[PATH_MAX];
	snprintf(rootfs, sizeof(rootfs), "%s/fixtures/rootfs", h_build_dir());
	json_object_set_new(b->config, "root", json_pack("{s:s,s:b}", "path", rootfs, "readonly", 1));
	json_object_set_new(json_object_get(b->config, "process"), "terminal", json_false());
	if (private_rootfs)
		sec_private_rootfs(b);
}

static void rl_write(struct bundle *b)
{
	h_bundle_write(b);
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/config.json", b->dir);
	cr_assert_eq(chown(path, rl_uid, rl_gid), 0);
}

static void rl_cleanup(struct bundle *b)
{
	struct run_result r = rl_pith("delete", "--force", b->id, NULL);
	h_result_free(&r);
	sec_system("rm -rf '%s'", b->dir);
	json_decref(b->config);
	b->config = NULL;
}

static pid_t rl_state_pid(const char *id)
{
	struct run_result r = rl_pith("state", id, NULL);
	json_t *j = r.status == 0 ? json_loads(r.out, 0, NULL) : NULL;
	pid_t pid = j ? (pid_t)json_integer_value(json_object_get(j, "pid")) : 0;
	json_decref(j);
	h_result_free(&r);
	return pid;
}

static char *status_line(pid_t pid, const char *key)
{
	static char line[256];
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	char *s = h_read_file(path);
	line[0] = '\0';
	char *p = s ? strstr(s, key) : NULL;
	if (p)
		snprintf(line, sizeof(line), "%.*s", (int)strcspn(p, "\n"), p);
	free(s);
	return line;
}

Test(rootless, run_in_the_foreground)
{
	struct bundle b;
	rl_bundle(&b, "fg", false);
	h_bundle_set_args(&b, "sh", "-c", "id -u; id -g; cat /proc/self/uid_map /proc/self/setgroups; hostname; "
			  "echo x > /dev/null && echo dev-ok; ls /dev/mqueue >/dev/null && echo mqueue-ok; "
			  "ls /sys/class/net | grep -c lo; touch /x 2>/dev/null || echo root-ro", NULL);
	rl_write(&b);
	struct run_result r = rl_pith("run", "--bundle", b.dir, b.id, NULL);
	cr_expect_eq(r.status, 0, "%s", r.err);
	char want[512];
	/* uid 0 inside is the user outside; a single self-mapping needs setgroups deny */
	snprintf(want, sizeof(want), "0\n0\n         0 %10u          1\ndeny\npith\ndev-ok\nmqueue-ok\n1\nroot-ro\n",
		 (unsigned)rl_uid);
	cr_expect_str_eq(r.out, want, "%s", r.err);
	h_result_free(&r);
	/* nothing left: no state dir, the seccomp cache is the user's */
	char dir[512];
	snprintf(dir, sizeof(dir), "%s/%s", rl_root, b.id);
	cr_expect(!h_path_exists(dir), "%s left behind", dir);
	snprintf(dir, sizeof(dir), "%s/.cache/seccomp", rl_root);
	struct stat st;
	cr_expect(stat(dir, &st) == 0 && st.st_uid == rl_uid && (st.st_mode & 077) == 0,
		  "seccomp cache %s: not the user's, or open to others", dir);
	rl_cleanup(&b);
}

Test(rootless, lifecycle_namespaces_and_exec)
{
	struct bundle b;
	rl_bundle(&b, "life", false);
	h_bundle_set_args(&b, "sleep", "60", NULL);
	rl_write(&b);
	struct run_result r = rl_pith("create", "--bundle", b.dir, b.id, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	h_result_free(&r);
	char dir[512];
	snprintf(dir, sizeof(dir), "%s/%s", rl_root, b.id);
	struct stat st;
	cr_expect(stat(dir, &st) == 0 && st.st_uid == rl_uid && (st.st_mode & 0777) == 0700, "state dir %s", dir);
	r = rl_pith("start", b.id, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	h_result_free(&r);
	pid_t pid = rl_state_pid(b.id);
	cr_assert_gt(pid, 0);
	/* user, mount, pid, ipc, uts: new; network: the host's (no netns in --rootless) */
	const char *fresh[] = { "user", "mnt", "pid", "ipc", "uts" };
	for (size_t i = 0; i < 5; i++)
		cr_expect_neq(h_ns_inode(pid, fresh[i]), h_ns_inode(getpid(), fresh[i]), "%s namespace shared", fresh[i]);
	cr_expect_eq(h_ns_inode(pid, "net"), h_ns_inode(getpid(), "net"));
	char want[64];
	snprintf(want, sizeof(want), "Uid:\t%u\t%u\t%u\t%u", rl_uid, rl_uid, rl_uid, rl_uid);
	cr_expect_str_eq(status_line(pid, "Uid:"), want);
	/* the default capabilities, held in the user namespace only */
	cr_expect_str_eq(status_line(pid, "CapEff:"), "CapEff:\t0000000020000420");
	r = rl_pith("exec", b.id, "sh", "-c", "id -u; ps -o pid,comm | grep -c sleep", NULL);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect_str_eq(r.out, "0\n1\n");
	h_result_free(&r);
	/* no cgroup here: ps finds the processes through the pid namespace */
	r = rl_pith("ps", "--format", "json", b.id, NULL);
	cr_expect_eq(r.status, 0, "%s", r.err);
	char first[32];
	snprintf(first, sizeof(first), "[%d]", (int)pid);
	cr_expect_str_eq(r.out, strcat(first, "\n"), "ps without a cgroup");
	h_result_free(&r);
	r = rl_pith("kill", b.id, "KILL", NULL);
	cr_expect_eq(r.status, 0, "%s", r.err);
	h_result_free(&r);
	for (int i = 0; i < 100 && kill(pid, 0) == 0; i++)
		usleep(20000);
	r = rl_pith("delete", b.id, NULL);
	cr_expect_eq(r.status, 0, "%s", r.err);
	h_result_free(&r);
	cr_expect(!h_path_exists(dir), "%s left behind", dir);
	cr_expect_neq(kill(pid, 0), 0, "container init still alive");
	rl_cleanup(&b);
}

Test(rootless, ranges_through_newuidmap)
{
	struct bundle b;
	rl_bundle(&b, "ranges", false);
	json_t *l = json_object_get(b.config, "linux");
	for (int i = 0; i < 2; i++)
		json_object_set_new(l, i ? "gidMappings" : "uidMappings",
				    json_pack("[{s:i,s:i,s:i},{s:i,s:i,s:i}]", "containerID", 0, "hostID", i ? rl_gid : rl_uid,
					      "size", 1, "containerID", 1, "hostID", rl_subuid, "size", 65536));
	json_object_set_new(json_object_get(b.config, "process"), "user", json_pack("{s:i,s:i}", "uid", 1000, "gid", 1000));
	h_bundle_set_args(&b, "sleep", "60", NULL);
	rl_write(&b);
	struct run_result r = rl_pith("run", "--detach", "--bundle", b.dir, b.id, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	h_result_free(&r);
	pid_t pid = rl_state_pid(b.id);
	cr_assert_gt(pid, 0);
	unsigned host = rl_subuid + 999;
	char want[64];
	snprintf(want, sizeof(want), "Uid:\t%u\t%u\t%u\t%u", host, host, host, host);
	cr_expect_str_eq(status_line(pid, "Uid:"), want);
	r = rl_pith("exec", b.id, "cat", "/proc/self/uid_map", "/proc/self/setgroups", NULL);
	cr_expect_eq(r.status, 0, "%s", r.err);
	char map[256];
	/* newuidmap wrote both ranges; setgroups stays allowed (newgidmap's rules) */
	snprintf(map, sizeof(map), "         0 %10u          1\n         1 %10u      65536\nallow\n", rl_uid, rl_subuid);
	cr_expect_str_eq(r.out, map);
	h_result_free(&r);
	rl_cleanup(&b);
}

Test(rootless, a_requested_limit_fails_naming_it)
{
	struct bundle b;
	rl_bundle(&b, "limit", false);
	json_object_set_new(json_object_get(b.config, "linux"), "resources",
			    json_pack("{s:{s:I}}", "memory", "limit", (json_int_t)64 << 20));
	h_bundle_set_args(&b, "true", NULL);
	rl_write(&b);
	struct run_result r = rl_pith("run", "--bundle", b.dir, b.id, NULL);
	cr_expect_eq(r.status, 1, "%s", r.err);
	cr_expect(strstr(r.err, "linux.resources.memory") && strstr(r.err, "cgroup"), "%s", r.err);
	h_result_free(&r);
	char dir[512];
	snprintf(dir, sizeof(dir), "%s/%s", rl_root, b.id);
	cr_expect(!h_path_exists(dir), "%s left behind", dir);
	rl_cleanup(&b);
}

Test(rootless, default_seccomp_and_no_host_reach)
{
	struct bundle b;
	rl_bundle(&b, "seccomp", true);
	char script[512];
	snprintf(script, sizeof(script),
		 "/bin/sec-helper sys %ld 0 0 0 0; grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status; "
		 "/bin/sec-helper open /proc/1/exe r; /bin/sec-helper exes | grep -c pith; true",
		 (long)SYS_keyctl);
	h_bundle_set_args(&b, "sh", "-c", script, NULL);
	rl_write(&b);
	struct run_result r = rl_pith("run", "--bundle", b.dir, b.id, NULL);
	cr_expect_eq(r.status, 0, "%s", r.err);
	/* pid 1 is sh itself (not pith) by now, and may be opened: only no
	 * process shows pith's image */
	cr_expect_str_eq(r.out, "-1 1\nNoNewPrivs:\t1\nSeccomp:\t2\nok\n0\n");
	h_result_free(&r);
	rl_cleanup(&b);
}
