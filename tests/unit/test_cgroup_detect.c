/* Cgroup layout detection from mountinfo, the path policy and the
 * create/destroy cycle, against a fake cgroup root in a temp dir. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../runtime/cgroup/cgroup.h"

/* This machine's layout: v1 controllers + a cgroup2 owning hugetlb only. */
static const char hybrid_mi[] =
	"31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
	"32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
	"33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
	"34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset\n"
	"35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
	"36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices\n"
	"37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer\n"
	"38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio\n"
	"39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
	"40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd\n"
	"41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

static const char v1_mi[] =
	"22 21 0:20 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755\n"
	"25 22 0:23 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid - cgroup cgroup rw,cpu,cpuacct\n"
	"26 22 0:24 / /sys/fs/cgroup/memory rw,nosuid - cgroup cgroup rw,memory\n"
	"27 22 0:25 / /sys/fs/cgroup/freezer rw,nosuid - cgroup cgroup rw,freezer\n"
	"28 22 0:26 / /sys/fs/cgroup/net_cls,net_prio rw,nosuid - cgroup cgroup rw,net_cls,net_prio\n"
	"29 22 0:25 / /mnt/freezer-again rw,nosuid - cgroup cgroup rw,freezer\n";

static const char v2_mi[] =
	"1 0 8:1 / / rw - ext4 /dev/sda1 rw\n"
	"30 1 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate\n";

static char root[256];
static char mi_path[300];

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	cr_assert(f, "fopen %s: %s", path, strerror(errno));
	fputs(text, f);
	fclose(f);
}

static void mkdirs(const char *path)
{
	char buf[512];
	snprintf(buf, sizeof(buf), "mkdir -p '%s'", path);
	cr_assert_eq(system(buf), 0);
}

/* A fake root with the mount points of `mi` and a cgroup.controllers for v2. */
static void fake(const char *mi, const char *v2_ctrls, const char *v2_sub)
{
	snprintf(root, sizeof(root), "/tmp/pith-cgfake-XXXXXX");
	cr_assert(mkdtemp(root));
	snprintf(mi_path, sizeof(mi_path), "%s/mountinfo", root);
	write_file(mi_path, mi);
	char p[512];
	const char *dirs[] = { "cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids",
			       "systemd", "cpu,cpuacct", "net_cls,net_prio" };
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", root, dirs[i]);
		mkdirs(p);
	}
	if (v2_ctrls) {
		snprintf(p, sizeof(p), "%s%s", root, v2_sub);
		mkdirs(p);
		snprintf(p, sizeof(p), "%s%s/cgroup.controllers", root, v2_sub);
		write_file(p, v2_ctrls);
	}
	/* v1 cpuset: the root has cpus and mems to copy. */
	snprintf(p, sizeof(p), "%s/cpuset/cpuset.cpus", root);
	write_file(p, "0-1\n");
	snprintf(p, sizeof(p), "%s/cpuset/cpuset.mems", root);
	write_file(p, "0\n");
	cgroup_set_test_root(root, mi_path);
}

static void unfake(void)
{
	char buf[512];
	cgroup_set_test_root(NULL, NULL);
	snprintf(buf, sizeof(buf), "rm -rf '%s'", root);
	cr_assert_eq(system(buf), 0);
}

static const struct cgroup_hier *by_name(const struct cgroup_hosts *hs, const char *name)
{
	for (size_t k = 0; k < hs->n; k++)
		if (strcmp(hs->h[k].name, name) == 0)
			return &hs->h[k];
	return NULL;
}

Test(cgroup_detect, hybrid_uses_v1_controllers_and_v2_for_what_it_owns)
{
	fake(hybrid_mi, "hugetlb\n", "/unified");
	struct cgroup_hosts hs = { 0 };
	struct pith_error err = { 0 };
	cr_assert_eq(cgroup_detect(&hs, &err), 0, "%s", err.msg);
	cr_assert_eq(hs.layout, CGROUP_LAYOUT_HYBRID);
	cr_assert_eq(hs.v2_owned, CG_BIT(CG_HUGETLB));
	const struct cgroup_hier *mem = by_name(&hs, "memory");
	cr_assert(mem);
	char want[300];
	snprintf(want, sizeof(want), "%s/memory", root);
	cr_assert_str_eq(mem->mount, want);
	cr_assert_eq(mem->ctrls, CG_BIT(CG_MEMORY));
	const struct cgroup_hier *sd = by_name(&hs, "name=systemd");
	cr_assert(sd, "the named hierarchy is kept (for the container's view)");
	cr_assert_eq(sd->ctrls, 0);
	const struct cgroup_hier *v2 = &hs.h[hs.n - 1];
	cr_assert(v2->v2);
	/* v1 has freezer and devices, so v2 serves hugetlb only. */
	cr_assert_eq(v2->ctrls, CG_BIT(CG_HUGETLB));
	cgroup_hosts_release(&hs);
	unfake();
}

Test(cgroup_detect, pure_v1_with_comounted_and_duplicate_mounts)
{
	fake(v1_mi, NULL, NULL);
	struct cgroup_hosts hs = { 0 };
	struct pith_error err = { 0 };
	cr_assert_eq(cgroup_detect(&hs, &err), 0, "%s", err.msg);
	cr_assert_eq(hs.layout, CGROUP_LAYOUT_V1);
	cr_assert_eq(hs.n, 4, "the second freezer mount is the same hierarchy");
	const struct cgroup_hier *cpu = by_name(&hs, "cpu,cpuacct");
	cr_assert(cpu);
	cr_assert_eq(cpu->ctrls, CG_BIT(CG_CPU) | CG_BIT(CG_CPUACCT));
	cr_assert(by_name(&hs, "net_cls,net_prio"));
	cgroup_hosts_release(&hs);
	unfake();
}

Test(cgroup_detect, pure_v2_owns_what_cgroup_controllers_lists)
{
	fake(v2_mi, "cpuset cpu io memory pids\n", "");
	struct cgroup_hosts hs = { 0 };
	struct pith_error err = { 0 };
	cr_assert_eq(cgroup_detect(&hs, &err), 0, "%s", err.msg);
	cr_assert_eq(hs.layout, CGROUP_LAYOUT_V2);
	cr_assert_eq(hs.n, 1);
	unsigned want = CG_BIT(CG_CPUSET) | CG_BIT(CG_CPU) | CG_BIT(CG_CPUACCT) | CG_BIT(CG_BLKIO) |
			CG_BIT(CG_MEMORY) | CG_BIT(CG_PIDS) | CG_BIT(CG_FREEZER) | CG_BIT(CG_DEVICES);
	cr_assert_eq(hs.h[0].ctrls, want);
	cr_assert_eq(hs.v2_owned & CG_BIT(CG_HUGETLB), 0);
	cgroup_hosts_release(&hs);
	unfake();
}

Test(cgroup_detect, no_cgroup_mount_is_a_clear_error)
{
	struct cgroup_hosts hs = { 0 };
	struct pith_error err = { 0 };
	cr_assert_lt(cgroup_parse_mountinfo("1 0 8:1 / / rw - ext4 /dev/sda1 rw\n", NULL, &hs, &err), 0);
	cr_assert(strstr(err.msg, "no cgroup filesystem"), "%s", err.msg);
}

Test(cgroup_detect, escaped_mount_points_are_decoded)
{
	struct cgroup_hosts hs = { 0 };
	struct pith_error err = { 0 };
	cr_assert_eq(cgroup_parse_mountinfo("5 1 0:30 / /my\\040cg rw - cgroup cgroup rw,pids\n", NULL, &hs, &err), 0);
	cr_assert_str_eq(hs.h[0].mount, "/my cg");
	cgroup_hosts_release(&hs);
}

/* ---------- path policy ---------- */

static char *path_of(const char *cp, const char *id, bool systemd)
{
	char *out = NULL;
	struct pith_error err = { 0 };
	if (cgroup_path_for(cp, id, systemd, &out, &err) < 0)
		return NULL;
	return out;
}

Test(cgroup_path, default_relative_absolute)
{
	char *p = path_of(NULL, "web", false);
	cr_assert_str_eq(p, "/pith/web");
	free(p);
	p = path_of("team/web", "x", false);
	cr_assert_str_eq(p, "/pith/team/web");
	free(p);
	p = path_of("//machine//web/", "x", false);
	cr_assert_str_eq(p, "/machine/web");
	free(p);
	cr_assert_null(path_of("/a/../etc", "x", false));
	cr_assert_null(path_of("/", "x", false));
}

Test(cgroup_path, systemd_units_map_onto_cgroupfs)
{
	char *p = path_of("system.slice:docker:abc", "x", true);
	cr_assert_str_eq(p, "/system.slice/docker-abc.scope");
	free(p);
	p = path_of("user-1000-app.slice:pith:abc", "x", true);
	cr_assert_str_eq(p, "/user.slice/user-1000.slice/user-1000-app.slice/pith-abc.scope");
	free(p);
	p = path_of(NULL, "abc", true);
	cr_assert_str_eq(p, "/system.slice/pith-abc.scope");
	free(p);
	struct pith_error err = { 0 };
	char *out = NULL;
	cr_assert_lt(cgroup_path_for("/plain/path", "x", true, &out, &err), 0);
	cr_assert(strstr(err.msg, "slice:prefix:name"), "%s", err.msg);
	cr_assert_lt(cgroup_path_for("system.slice:pith:x", "x", false, &out, &err), 0);
	cr_assert(strstr(err.msg, "--systemd-cgroup"), "%s", err.msg);
}

/* ---------- create / json / destroy on a fake root ---------- */

static struct spec *spec_with(const char *linux_json)
{
	json_t *cfg = spec_default_config(false);
	json_t *lx = json_object_get(cfg, "linux");
	json_error_t jerr;
	json_t *extra = json_loads(linux_json, 0, &jerr);
	cr_assert(extra, "%s", jerr.text);
	json_object_update(lx, extra);
	json_decref(extra);
	/* "resources" replaces the default one (and its device rules: the fake
	 * root has no devices.allow). */
	struct spec *s = NULL;
	struct pith_error err = { 0 };
	cr_assert_eq(spec_from_json(cfg, "config.json", &s, &err), 0, "%s", err.msg);
	return s;
}

static bool exists(const char *rel)
{
	char p[512];
	struct stat st;
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	return stat(p, &st) == 0;
}

Test(cgroup_create, joins_the_always_set_only_then_keeps_the_pith_parent)
{
	fake(hybrid_mi, "hugetlb\n", "/unified");
	struct spec *s = spec_with("{\"cgroupsPath\": \"/pith-test/c1\", \"resources\": {}}");
	char p[512];
	struct cgroup *cg = NULL;
	struct pith_error err = { 0 };
	cr_assert_eq(cgroup_create(s, "c1", false, &cg, &err), 0, "%s", err.msg);
	cr_assert(exists("memory/pith-test/c1"));
	cr_assert(exists("freezer/pith-test/c1"));
	cr_assert(exists("pids/pith-test/c1"));
	cr_assert(exists("devices/pith-test/c1"));
	cr_assert(exists("cpuacct/pith-test/c1"));
	cr_assert(exists("unified/pith-test/c1"));
	cr_assert_not(exists("cpuset/pith-test"), "no cpus/mems: cpuset not joined (saves its copy-in)");
	cr_assert_not(exists("cpu/pith-test"), "no cpu limit: cpu not joined");
	cr_assert_not(exists("blkio/pith-test"));
	cr_assert_not(exists("systemd/pith-test"));

	/* state.json round trip keeps what destroy needs. */
	json_t *j = cgroup_to_json(cg);
	struct cgroup *back = NULL;
	cr_assert_eq(cgroup_from_json(j, &back, &err), 0, "%s", err.msg);
	json_t *j2 = cgroup_to_json(back);
	cr_assert(json_equal(j, j2));
	json_decref(j);
	json_decref(j2);
	cgroup_free(cg);

	(void)p;
	cr_assert_eq(cgroup_destroy(back, &err), 0, "%s", err.msg);
	cr_assert_not(exists("memory/pith-test/c1"));
	cr_assert_not(exists("unified/pith-test/c1"));
	/* pith's own parents stay for the next container (as runc keeps its) */
	cr_assert(exists("memory/pith-test"), "the pith-test parent was removed");
	cgroup_free(back);
	spec_free(s);
	unfake();
}

Test(cgroup_create, a_failure_removes_what_it_made)
{
	fake(hybrid_mi, "hugetlb\n", "/unified");
	/* pids.max does not exist in the fake leaf: the write fails. */
	struct spec *s = spec_with("{\"cgroupsPath\": \"/pith-test/c2\", \"resources\": {\"pids\": {\"limit\": 5}}}");
	struct cgroup *cg = NULL;
	struct pith_error err = { 0 };
	cr_assert_lt(cgroup_create(s, "c2", false, &cg, &err), 0);
	cr_assert(strstr(err.msg, "pids.max"), "%s", err.msg);
	cr_assert(strstr(err.msg, "not supported"), "%s", err.msg);
	cr_assert_not(exists("pids/pith-test"));
	cr_assert_not(exists("memory/pith-test"));
	cr_assert_not(exists("unified/pith-test"));
	spec_free(s);
	unfake();
}

Test(cgroup_create, missing_memory_controller_gives_the_board_hint)
{
	/* A Pi kernel with memcg disabled: pure v2 without "memory". */
	fake(v2_mi, "cpuset cpu io pids\n", "");
	struct spec *s = spec_with("{\"cgroupsPath\": \"/pith-test/c3\", \"resources\": {\"memory\": {\"limit\": 1000000}}}");
	struct cgroup *cg = NULL;
	struct pith_error err = { 0 };
	cr_assert_lt(cgroup_create(s, "c3", false, &cg, &err), 0);
	cr_assert(strstr(err.msg, "memory limit requested") || strstr(err.msg, "memory.limit requested"), "%s", err.msg);
	cr_assert(strstr(err.msg, "cgroup_enable=memory"), "%s", err.msg);
	cr_assert(strstr(err.msg, "cmdline.txt"), "%s", err.msg);
	cr_assert_not(exists("pith-test"));
	spec_free(s);
	unfake();
}

Test(cgroup_create, deprecated_kernel_memory_is_refused)
{
	fake(hybrid_mi, "hugetlb\n", "/unified");
	struct spec *s = spec_with("{\"cgroupsPath\": \"/pith-test/c4\", \"resources\": {\"memory\": {\"kernel\": 1000000}}}");
	struct cgroup *cg = NULL;
	struct pith_error err = { 0 };
	cr_assert_lt(cgroup_create(s, "c4", false, &cg, &err), 0);
	cr_assert(strstr(err.msg, "memory.kernel is deprecated"), "%s", err.msg);
	spec_free(s);
	unfake();
}

Test(cgroup_create, unified_on_v1_controllers_is_refused_on_hybrid)
{
	fake(hybrid_mi, "hugetlb\n", "/unified");
	struct spec *s = spec_with("{\"cgroupsPath\": \"/pith-test/c5\", \"resources\": {\"unified\": {\"memory.high\": \"1000\"}}}");
	struct cgroup *cg = NULL;
	struct pith_error err = { 0 };
	cr_assert_lt(cgroup_create(s, "c5", false, &cg, &err), 0);
	cr_assert(strstr(err.msg, "cgroup v1 on this host"), "%s", err.msg);
	spec_free(s);
	unfake();
}
