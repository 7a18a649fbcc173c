/* pith check against fake /proc and /sys trees: what each kernel shape is
 * reported as, which fix is printed, and the exit code. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../runtime/check/check.h"
#include "../../runtime/cli/commands.h"

static char tree[256];
static char proc_dir[300], sys_dir[300];

static void put(const char *rel, const char *content)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", tree, rel);
	for (char *p = path + strlen(tree) + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	if (content) {
		FILE *f = fopen(path, "w");
		cr_assert_not_null(f, "cannot write %s", path);
		fputs(content, f);
		fclose(f);
	} else {
		mkdir(path, 0755);
	}
}

static void rm_tree(const char *path)
{
	DIR *d = opendir(path);
	if (d) {
		struct dirent *e;
		while ((e = readdir(d))) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			char sub[1024];
			snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
			rm_tree(sub);
		}
		closedir(d);
		rmdir(path);
	} else {
		unlink(path);
	}
}

/* A healthy Pi-4-like kernel: pure v2, everything present. */
static void healthy(void)
{
	put("sys/fs/cgroup/cgroup.controllers", "cpuset cpu io memory pids rdma misc\n");
	put("proc/cgroups", "#subsys_name\thierarchy\tnum_cgroups\tenabled\nmemory\t0\t80\t1\npids\t0\t80\t1\n");
	put("proc/filesystems", "nodev\tsysfs\nnodev\ttmpfs\nnodev\tcgroup2\nnodev\toverlay\n\text4\n");
	put("proc/self/status", "Name:\tpith\nSeccomp:\t0\nSeccomp_filters:\t0\n");
	put("proc/sys/user/max_user_namespaces", "7781\n");
	put("proc/cpuinfo", "processor\t: 0\nmodel name\t: ARMv7 Processor rev 3 (v7l)\nCPU architecture: 7\n");
	static const char *const ns[] = { "mnt", "pid", "net", "ipc", "uts", "cgroup", "user", "time" };
	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		char rel[64];
		snprintf(rel, sizeof(rel), "proc/self/ns/%s", ns[i]);
		put(rel, "");
	}
}

static void setup(void)
{
	snprintf(tree, sizeof(tree), "/tmp/pith-check-XXXXXX");
	cr_assert_not_null(mkdtemp(tree));
	snprintf(proc_dir, sizeof(proc_dir), "%s/proc", tree);
	snprintf(sys_dir, sizeof(sys_dir), "%s/sys", tree);
	healthy();
}

static void teardown(void)
{
	rm_tree(tree);
}

static void run(struct check_report *rep)
{
	struct check_env env = { .proc = proc_dir, .sys = sys_dir, .state_dir = tree, .log_dir = tree };
	check_all(&env, rep);
}

static const struct check_result *must_find(const struct check_report *rep, const char *name)
{
	const struct check_result *r = check_find(rep, name);
	cr_assert_not_null(r, "no %s check in the report", name);
	return r;
}

TestSuite(check, .init = setup, .fini = teardown);

Test(check, healthy_pure_v2_can_run)
{
	static struct check_report rep;
	run(&rep);
	cr_assert_str_eq(rep.cgroup_mode, "v2");
	for (int i = 0; i < rep.n; i++)
		cr_expect(rep.items[i].status == CHECK_OK || rep.items[i].status == CHECK_INFO, "%s: %s %s",
			  rep.items[i].name, check_status_name(rep.items[i].status), rep.items[i].detail);
	cr_assert(check_can_run(&rep));
	cr_assert_eq(must_find(&rep, "cpu.isa")->status, CHECK_OK);
}

Test(check, memory_disabled_at_boot_on_a_pi)
{
	put("sys/fs/cgroup/cgroup.controllers", "cpuset cpu io pids\n");
	put("proc/cgroups", "#subsys_name\thierarchy\tnum_cgroups\tenabled\nmemory\t0\t1\t0\n");
	static struct check_report rep;
	run(&rep);
	const struct check_result *m = must_find(&rep, "cgroup.memory");
	cr_assert_eq(m->status, CHECK_WARN);
	cr_assert_not_null(strstr(m->detail, "disabled at boot"), "%s", m->detail);
	cr_assert(check_can_run(&rep), "a default spec has no memory limit");

	struct board_profile p;
	struct pith_error err = { 0 };
	cr_assert_eq(board_profile_load("boards/profiles/rpi4-32.conf", &p, &err), 0, "%s", err.msg);
	check_apply_profile(&p, &rep);
	m = must_find(&rep, "cgroup.memory");
	cr_assert_not_null(strstr(m->fix, "add cgroup_enable=memory to"), "%s", m->fix);
	cr_assert_not_null(strstr(m->fix, "/boot/firmware/cmdline.txt"), "%s", m->fix);
	cr_assert_eq(must_find(&rep, "cgroup.pids")->status, CHECK_OK);
}

Test(check, hybrid_and_v1_hierarchies)
{
	put("sys/fs/cgroup/cgroup.controllers", NULL);
	rm_tree(sys_dir);
	put("sys/fs/cgroup/memory", NULL);
	put("sys/fs/cgroup/cpu", NULL);
	put("sys/fs/cgroup/pids", NULL);
	put("sys/fs/cgroup/unified/cgroup.controllers", "hugetlb\n");
	static struct check_report rep;
	run(&rep);
	cr_assert_str_eq(rep.cgroup_mode, "hybrid");
	cr_assert_eq(must_find(&rep, "cgroup.memory")->status, CHECK_OK);
	cr_assert_eq(must_find(&rep, "cgroup.io")->status, CHECK_WARN, "no blkio dir");

	struct board_profile p;
	struct pith_error err = { 0 };
	cr_assert_eq(board_profile_load("boards/profiles/x86-64.conf", &p, &err), 0, "%s", err.msg);
	check_apply_profile(&p, &rep);
	const struct check_result *mode = must_find(&rep, "cgroup.mode");
	cr_assert_eq(mode->status, CHECK_WARN);
	cr_assert_not_null(strstr(mode->fix, "systemd.unified_cgroup_hierarchy=1"), "%s", mode->fix);
	cr_assert(check_can_run(&rep));
}

Test(check, no_cgroups_cannot_run)
{
	rm_tree(sys_dir);
	put("sys/fs/cgroup", NULL);
	static struct check_report rep;
	run(&rep);
	cr_assert_str_eq(rep.cgroup_mode, "none");
	cr_assert_eq(must_find(&rep, "cgroup")->status, CHECK_MISSING);
	cr_assert_not(check_can_run(&rep));
}

Test(check, missing_namespaces)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/self/ns/user", proc_dir);
	unlink(path);
	static struct check_report rep;
	run(&rep);
	cr_assert_eq(must_find(&rep, "ns.user")->status, CHECK_WARN);
	cr_assert(check_can_run(&rep), "user namespaces are optional for root");
	snprintf(path, sizeof(path), "%s/self/ns/pid", proc_dir);
	unlink(path);
	run(&rep);
	const struct check_result *pid = must_find(&rep, "ns.pid");
	cr_assert_eq(pid->status, CHECK_MISSING);
	cr_assert_not_null(strstr(pid->fix, "CONFIG_PID_NS"), "%s", pid->fix);
	cr_assert_not(check_can_run(&rep));
}

Test(check, unprivileged_userns_off)
{
	put("proc/sys/user/max_user_namespaces", "0\n");
	static struct check_report rep;
	run(&rep);
	const struct check_result *u = must_find(&rep, "userns.unprivileged");
	cr_assert_eq(u->status, CHECK_WARN);
	cr_assert_not_null(strstr(u->fix, "user.max_user_namespaces"), "%s", u->fix);

	put("proc/sys/user/max_user_namespaces", "100\n");
	put("proc/sys/kernel/unprivileged_userns_clone", "0\n");
	run(&rep);
	u = must_find(&rep, "userns.unprivileged");
	cr_assert_eq(u->status, CHECK_WARN);
	cr_assert_not_null(strstr(u->fix, "kernel.unprivileged_userns_clone=1"), "%s", u->fix);
}

Test(check, seccomp_and_overlay_missing)
{
	put("proc/self/status", "Name:\tpith\n");
	put("proc/filesystems", "nodev\tsysfs\n\text4\n");
	static struct check_report rep;
	run(&rep);
	cr_assert_eq(must_find(&rep, "seccomp")->status, CHECK_MISSING);
	cr_assert_eq(must_find(&rep, "overlayfs")->status, CHECK_WARN);
	cr_assert_not(check_can_run(&rep), "the default spec loads a seccomp filter");
}

Test(check, armv6_is_flagged_for_dotnet)
{
	put("proc/cpuinfo", "processor\t: 0\nmodel name\t: ARMv6-compatible processor rev 7 (v6l)\n"
			    "Features\t: half thumb fastmult vfp edsp java tls\nCPU architecture: 7\n");
	static struct check_report rep;
	run(&rep);
	const struct check_result *isa = must_find(&rep, "cpu.isa");
	cr_assert_eq(isa->status, CHECK_WARN);
	cr_assert_not_null(strstr(isa->detail, "ARMv6"), "%s", isa->detail);

	put("proc/cpuinfo", "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Xeon\n");
	run(&rep);
	cr_assert_null(check_find(&rep, "cpu.isa"), "no ARM ISA check on x86");
}

Test(check, unsupported_board_cannot_run)
{
	static struct check_report rep;
	run(&rep);
	struct board_profile p;
	struct pith_error err = { 0 };
	cr_assert_eq(board_profile_load("boards/profiles/rpi1-zero.conf", &p, &err), 0, "%s", err.msg);
	cr_assert(p.unsupported);
	check_apply_profile(&p, &rep);
	const struct check_result *b = must_find(&rep, "board");
	cr_assert_eq(b->status, CHECK_MISSING);
	cr_assert_not_null(strstr(b->fix, "ARMv6"), "%s", b->fix);
	cr_assert_not(check_can_run(&rep));
}

Test(check, profile_require_makes_a_warning_fatal)
{
	put("sys/fs/cgroup/cgroup.controllers", "cpu io pids\n");
	static struct check_report rep;
	run(&rep);
	struct board_profile p;
	struct pith_error err = { 0 };
	cr_assert_eq(board_profile_parse("name = t\nrequire = cgroup.memory\n", &p, &err), 0, "%s", err.msg);
	check_apply_profile(&p, &rep);
	cr_assert_eq(must_find(&rep, "cgroup.memory")->status, CHECK_MISSING);
	cr_assert_not(check_can_run(&rep));
}

Test(check, profile_parse_errors_name_the_line)
{
	struct board_profile p;
	struct pith_error err = { 0 };
	cr_assert_lt(board_profile_parse("name = x\n# c\nbogus = 1\n", &p, &err), 0);
	cr_assert_not_null(strstr(err.msg, "line 3"), "%s", err.msg);
	cr_assert_not_null(strstr(err.msg, "bogus"), "%s", err.msg);
	cr_assert_lt(board_profile_parse("cgroup = v3\nname = x\n", &p, &err), 0);
	cr_assert_lt(board_profile_parse("title = no name\n", &p, &err), 0);
	cr_assert_lt(board_profile_load("no-such-board", &p, &err), 0);
	cr_assert_not_null(strstr(err.msg, "no-such-board"), "%s", err.msg);
}

Test(check, every_shipped_profile_parses)
{
	DIR *d = opendir("boards/profiles");
	cr_assert_not_null(d, "run from the source tree");
	struct dirent *e;
	int n = 0;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (len < 6 || strcmp(e->d_name + len - 5, ".conf") != 0)
			continue;
		char path[512];
		snprintf(path, sizeof(path), "boards/profiles/%s", e->d_name);
		struct board_profile p;
		struct pith_error err = { 0 };
		cr_expect_eq(board_profile_load(path, &p, &err), 0, "%s", err.msg);
		char base[256];
		snprintf(base, sizeof(base), "%.*s", (int)(len - 5), e->d_name);
		cr_expect_str_eq(p.name, base, "%s: name must match the file name", path);
		cr_expect(p.title[0] && p.cpu[0] && p.abi[0], "%s: title, cpu and abi are shown to users", path);
		n++;
	}
	closedir(d);
	cr_assert_geq(n, 8);
}

Test(check, command_exit_code_follows_the_tree)
{
	struct pith_globals g = { .root = tree };
	struct pith_error err = { 0 };
	cr_redirect_stdout();
	char *ok_argv[] = { "check", "--proc", proc_dir, "--sys", sys_dir, NULL };
	cr_assert_eq(cmd_check(&g, 5, ok_argv, &err), 0, "%s", err.msg);

	put("proc/self/status", "Name:\tpith\n");
	char *bad_argv[] = { "check", "--proc", proc_dir, "--sys", sys_dir, NULL };
	optind = 0;
	cr_assert_eq(cmd_check(&g, 5, bad_argv, &err), 1);

	char *board_argv[] = { "check", "--proc", proc_dir, "--sys", sys_dir, "--board", "nope", NULL };
	optind = 0;
	cr_assert_lt(cmd_check(&g, 7, board_argv, &err), 0);
}
