/* Every linux.resources field -> the exact cgroup files and values, on v1
 * and v2, plus the v1 -> v2 conversions and the device eBPF program's shape.
 * The "leaf" is a temp dir whose files exist (empty) like cgroupfs's. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>

#include "../../runtime/cgroup/cgroup.h"
#include "lib_fake_cgroup.h"

static int dfd = -1;

static const char *const v1_files[] = {
	"memory.limit_in_bytes", "memory.soft_limit_in_bytes", "memory.memsw.limit_in_bytes",
	"memory.swappiness", "memory.oom_control", "memory.use_hierarchy", "memory.usage_in_bytes",
	"cpu.shares", "cpu.cfs_quota_us", "cpu.cfs_period_us", "cpu.cfs_burst_us", "cpu.rt_period_us",
	"cpu.rt_runtime_us", "cpu.idle", "cpuset.cpus", "cpuset.mems", "pids.max", "blkio.bfq.weight",
	"blkio.bfq.weight_device", "blkio.leaf_weight", "blkio.throttle.read_bps_device",
	"blkio.throttle.write_bps_device", "blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device",
	"hugetlb.2MB.limit_in_bytes", "net_cls.classid", "net_prio.ifpriomap", "rdma.max", "devices.allow",
	"devices.deny", NULL
};

static const char *const v2_files[] = {
	"memory.max", "memory.low", "memory.swap.max", "memory.current", "cpu.weight", "cpu.max",
	"cpu.max.burst", "cpu.idle", "cpuset.cpus", "cpuset.mems", "pids.max", "io.weight", "io.max",
	"hugetlb.2MB.max", "hugetlb.2MB.rsvd.max", "rdma.max", "memory.high", NULL
};

static void leaf(const char *const *files)
{
	dfd = fake_leaf_make(files);
}

static void done(void)
{
	fake_leaf_remove();
	dfd = -1;
}

static const char *content(const char *file)
{
	return fake_leaf_content(file);
}

static struct spec_resources res(const char *json)
{
	json_error_t jerr;
	json_t *j = json_loads(json, 0, &jerr);
	cr_assert(j, "%s", jerr.text);
	struct spec_resources r = { 0 };
	struct pith_error err = { 0 };
	cr_assert_eq(spec_parse_resources(j, "resources", &r, &err), 0, "%s", err.msg);
	r.present = true;
	/* strings stay in j: leak it for the test's lifetime */
	return r;
}

static int v1(const struct spec_resources *r, struct pith_error *err)
{
	int dirs[CG__COUNT];
	for (int c = 0; c < CG__COUNT; c++)
		dirs[c] = dfd;
	return cgroup_v1_apply(dirs, r, false, err);
}

#define ALL_V2 (~0u)

Test(cgroup_v1, memory_files_and_values)
{
	leaf(v1_files);
	struct spec_resources r = res("{\"memory\": {\"limit\": 268435456, \"reservation\": 134217728, "
				      "\"swap\": 536870912, \"swappiness\": 10, \"disableOOMKiller\": true, "
				      "\"useHierarchy\": true}}");
	struct pith_error err = { 0 };
	cr_assert_eq(v1(&r, &err), 0, "%s", err.msg);
	cr_assert_str_eq(content("memory.limit_in_bytes"), "268435456");
	cr_assert_str_eq(content("memory.memsw.limit_in_bytes"), "536870912", "OCI swap is memory+swap, as v1");
	cr_assert_str_eq(content("memory.soft_limit_in_bytes"), "134217728");
	cr_assert_str_eq(content("memory.swappiness"), "10");
	cr_assert_str_eq(content("memory.oom_control"), "1");
	cr_assert_str_eq(content("memory.use_hierarchy"), "1");
	done();
}

Test(cgroup_v1, cpu_cpuset_pids)
{
	leaf(v1_files);
	struct spec_resources r = res("{\"cpu\": {\"shares\": 512, \"quota\": 50000, \"period\": 100000, \"burst\": 1000, "
				      "\"realtimeRuntime\": 950, \"realtimePeriod\": 1000, \"cpus\": \"0-1\", "
				      "\"mems\": \"0\", \"idle\": 1}, \"pids\": {\"limit\": 64}}");
	struct pith_error err = { 0 };
	cr_assert_eq(v1(&r, &err), 0, "%s", err.msg);
	cr_assert_str_eq(content("cpu.shares"), "512");
	cr_assert_str_eq(content("cpu.cfs_quota_us"), "50000");
	cr_assert_str_eq(content("cpu.cfs_period_us"), "100000");
	cr_assert_str_eq(content("cpu.cfs_burst_us"), "1000");
	cr_assert_str_eq(content("cpu.rt_runtime_us"), "950");
	cr_assert_str_eq(content("cpu.rt_period_us"), "1000");
	cr_assert_str_eq(content("cpu.idle"), "1");
	cr_assert_str_eq(content("cpuset.cpus"), "0-1");
	cr_assert_str_eq(content("cpuset.mems"), "0");
	cr_assert_str_eq(content("pids.max"), "64");
	done();
}

Test(cgroup_v1, unlimited_values)
{
	leaf(v1_files);
	struct spec_resources r = res("{\"memory\": {\"limit\": -1, \"swap\": -1}, \"cpu\": {\"quota\": -1}, "
				      "\"pids\": {\"limit\": -1}}");
	struct pith_error err = { 0 };
	cr_assert_eq(v1(&r, &err), 0, "%s", err.msg);
	cr_assert_str_eq(content("memory.limit_in_bytes"), "-1");
	cr_assert_str_eq(content("memory.memsw.limit_in_bytes"), "-1");
	cr_assert_str_eq(content("cpu.cfs_quota_us"), "-1");
	cr_assert_str_eq(content("pids.max"), "max");
	done();
}

Test(cgroup_v1, blkio_hugetlb_net_rdma)
{
	leaf(v1_files);
	struct spec_resources r = res(
		"{\"blockIO\": {\"weight\": 300, \"leafWeight\": 200, "
		"\"weightDevice\": [{\"major\": 8, \"minor\": 0, \"weight\": 500}], "
		"\"throttleReadBpsDevice\": [{\"major\": 8, \"minor\": 0, \"rate\": 1048576}, {\"major\": 8, \"minor\": 16, \"rate\": 2}], "
		"\"throttleWriteIOPSDevice\": [{\"major\": 8, \"minor\": 0, \"rate\": 100}]}, "
		"\"hugepageLimits\": [{\"pageSize\": \"2MB\", \"limit\": 4194304}], "
		"\"network\": {\"classID\": 1048577, \"priorities\": [{\"name\": \"eth0\", \"priority\": 5}, {\"name\": \"lo\", \"priority\": 1}]}, "
		"\"rdma\": {\"mlx5_1\": {\"hcaHandles\": 3}}}");
	struct pith_error err = { 0 };
	cr_assert_eq(v1(&r, &err), 0, "%s", err.msg);
	cr_assert_str_eq(content("blkio.bfq.weight"), "300\n", "blkio.weight absent: BFQ's file");
	cr_assert_str_eq(content("blkio.leaf_weight"), "200");
	cr_assert_str_eq(content("blkio.bfq.weight_device"), "8:0 500\n");
	cr_assert_str_eq(content("blkio.throttle.read_bps_device"), "8:0 1048576\n8:16 2\n");
	cr_assert_str_eq(content("blkio.throttle.write_iops_device"), "8:0 100\n");
	cr_assert_str_eq(content("hugetlb.2MB.limit_in_bytes"), "4194304");
	cr_assert_str_eq(content("net_cls.classid"), "1048577");
	cr_assert_str_eq(content("net_prio.ifpriomap"), "eth0 5\nlo 1\n");
	cr_assert_str_eq(content("rdma.max"), "mlx5_1 hca_handle=3 hca_object=max");
	done();
}

Test(cgroup_v1, missing_optional_file_is_not_supported_not_a_crash)
{
	const char *const files[] = { "memory.limit_in_bytes", NULL };
	leaf(files);
	struct spec_resources r = res("{\"memory\": {\"limit\": 1000000, \"swap\": 2000000}}");
	struct pith_error err = { 0 };
	cr_assert_lt(v1(&r, &err), 0);
	cr_assert(strstr(err.msg, "memory.memsw.limit_in_bytes is not supported"), "%s", err.msg);
	cr_assert(strstr(err.msg, "linux.resources.memory.swap"), "%s", err.msg);
	done();
}

Test(cgroup_v1, device_rules_in_order)
{
	leaf(v1_files);
	struct spec_device_rule rules[] = {
		{ false, 'a', -1, -1, "rwm" },
		{ true, 'c', 1, 3, "rw" },
		{ true, 'b', 8, -1, "r" },
		{ false, 'a', 4, 1, "rwm" },
	};
	struct pith_error err = { 0 };
	cr_assert_eq(cgroup_v1_devices(dfd, rules, 4, &err), 0, "%s", err.msg);
	cr_assert_str_eq(content("devices.deny"), "a\nc 4:1 rwm\nb 4:1 rwm\n");
	cr_assert_str_eq(content("devices.allow"), "c 1:3 rw\nb 8:* r\n");
	done();
}

Test(cgroup_v1, check_before_update_refuses_a_limit_below_usage)
{
	leaf(v1_files);
	char p[256];
	snprintf(p, sizeof(p), "%s/memory.usage_in_bytes", fake_leaf_path());
	FILE *f = fopen(p, "w");
	fputs("5000000\n", f);
	fclose(f);
	struct spec_resources r = res("{\"memory\": {\"limit\": 1000000, \"checkBeforeUpdate\": true}}");
	int dirs[CG__COUNT];
	for (int c = 0; c < CG__COUNT; c++)
		dirs[c] = dfd;
	struct pith_error err = { 0 };
	cr_assert_lt(cgroup_v1_apply(dirs, &r, true, &err), 0);
	cr_assert(strstr(err.msg, "checkBeforeUpdate"), "%s", err.msg);
	cr_assert_str_eq(content("memory.limit_in_bytes"), "", "nothing written");
	done();
}

/* ---------- v2 ---------- */

Test(cgroup_v2, memory_converted)
{
	leaf(v2_files);
	struct spec_resources r = res("{\"memory\": {\"limit\": 268435456, \"reservation\": 134217728, \"swap\": 536870912}}");
	struct pith_error err = { 0 };
	cr_assert_eq(cgroup_v2_apply(dfd, ALL_V2, &r, false, &err), 0, "%s", err.msg);
	cr_assert_str_eq(content("memory.max"), "268435456");
	cr_assert_str_eq(content("memory.swap.max"), "268435456", "memory+swap minus memory");
	cr_assert_str_eq(content("memory.low"), "134217728");
	done();
}

Test(cgroup_v2, unlimited_memory_makes_swap_unlimited)
{
	leaf(v2_files);
	struct spec_resources r = res("{\"memory\": {\"limit\": -1}, \"pids\": {\"limit\": -1}}");
	struct pith_error err = { 0 };
	cr_assert_eq(cgroup_v2_apply(dfd, ALL_V2, &r, false, &err), 0, "%s", err.msg);
	cr_assert_str_eq(content("memory.max"), "max");
	cr_assert_str_eq(content("memory.swap.max"), "max");
	cr_assert_str_eq(content("pids.max"), "max");
	done();
}

Test(cgroup_v2, v1_only_memory_fields_are_refused)
{
	leaf(v2_files);
	struct pith_error err = { 0 };
	struct spec_resources r = res("{\"memory\": {\"swappiness\": 10}}");
	cr_assert_lt(cgroup_v2_apply(dfd, ALL_V2, &r, false, &err), 0);
	cr_assert(strstr(err.msg, "swappiness is not supported on cgroup v2"), "%s", err.msg);
	r = res("{\"memory\": {\"disableOOMKiller\": true}}");
	cr_assert_lt(cgroup_v2_apply(dfd, ALL_V2, &r, false, &err), 0);
	cr_assert(strstr(err.msg, "disableOOMKiller"), "%s", err.msg);
	r = res("{\"cpu\": {\"realtimeRuntime\": 100}}");
	cr_assert_lt(cgroup_v2_apply(dfd, ALL_V2, &r, false, &err), 0);
	cr_assert(strstr(err.msg, "realtime"), "%s", err.msg);
	done();
}

Test(cgroup_v2, cpu_converted)
{
	leaf(v2_files);
	struct spec_resources r = res("{\"cpu\": {\"shares\": 1024, \"quota\": 150000, \"period\": 100000, "
				      "\"burst\": 5000, \"cpus\": \"1\", \"mems\": \"0\", \"idle\": 0}}");
	struct pith_error err = { 0 };
	cr_assert_eq(cgroup_v2_apply(dfd, ALL_V2, &r, false, &err), 0, "%s", err.msg);
	cr_assert_str_eq(content("cpu.weight"), "100", "1024 shares are the default weight 100");
	cr_assert_str_eq(content("cpu.max"), "150000 100000");
	cr_assert_str_eq(content("cpu.max.burst"), "5000");
	cr_assert_str_eq(content("cpuset.cpus"), "1");
	cr_assert_str_eq(content("cpuset.mems"), "0");
	cr_assert_str_eq(content("cpu.idle"), "0");
	done();
}

Test(cgroup_v2, quota_unlimited_and_period_only_keeps_quota)
{
	leaf(v2_files);
	struct pith_error err = { 0 };
	struct spec_resources r = res("{\"cpu\": {\"quota\": -1, \"period\": 50000}}");
	cr_assert_eq(cgroup_v2_apply(dfd, ALL_V2, &r, false, &err), 0, "%s", err.msg);
	cr_assert_str_eq(content("cpu.max"), "max 50000");
	char p[256];
	snprintf(p, sizeof(p), "%s/cpu.max", fake_leaf_path());
	FILE *f = fopen(p, "w");
	fputs("30000 100000\n", f);
	fclose(f);
	r = res("{\"cpu\": {\"period\": 200000}}");
	cr_assert_eq(cgroup_v2_apply(dfd, ALL_V2, &r, true, &err), 0, "%s", err.msg);
	cr_assert_str_eq(content("cpu.max"), "30000 200000");
	done();
}

Test(cgroup_v2, io_hugetlb_rdma_unified)
{
	leaf(v2_files);
	struct spec_resources r = res(
		"{\"blockIO\": {\"weight\": 500, \"weightDevice\": [{\"major\": 8, \"minor\": 0, \"weight\": 1000}], "
		"\"throttleReadBpsDevice\": [{\"major\": 8, \"minor\": 0, \"rate\": 1048576}], "
		"\"throttleWriteIOPSDevice\": [{\"major\": 8, \"minor\": 0, \"rate\": 100}]}, "
		"\"hugepageLimits\": [{\"pageSize\": \"2MB\", \"limit\": 4194304}], "
		"\"rdma\": {\"mlx5_1\": {\"hcaHandles\": 3, \"hcaObjects\": 10000}}, "
		"\"unified\": {\"memory.high\": \"1000000\"}}");
	struct pith_error err = { 0 };
	cr_assert_eq(cgroup_v2_apply(dfd, ALL_V2, &r, false, &err), 0, "%s", err.msg);
	/* io.weight without io.bfq.weight: each write replaces the file here,
	 * so the last (per-device) one is what the fake keeps. */
	cr_assert_str_eq(content("io.weight"), "8:0 10000");
	cr_assert_str_eq(content("io.max"), "8:0 rbps=1048576\n8:0 wiops=100\n");
	cr_assert_str_eq(content("hugetlb.2MB.max"), "4194304");
	cr_assert_str_eq(content("hugetlb.2MB.rsvd.max"), "4194304");
	cr_assert_str_eq(content("rdma.max"), "mlx5_1 hca_handle=3 hca_object=10000");
	cr_assert_str_eq(content("memory.high"), "1000000");
	done();
}

Test(cgroup_v2, io_default_weight_converted)
{
	leaf(v2_files);
	struct spec_resources r = res("{\"blockIO\": {\"weight\": 500}}");
	struct pith_error err = { 0 };
	cr_assert_eq(cgroup_v2_apply(dfd, ALL_V2, &r, false, &err), 0, "%s", err.msg);
	cr_assert_str_eq(content("io.weight"), "default 4950");
	done();
}

Test(cgroup_v2, only_owned_controllers_are_written)
{
	leaf(v2_files);
	/* Hybrid: v2 owns hugetlb only; memory belongs to v1 and is left alone. */
	struct spec_resources r = res("{\"memory\": {\"limit\": 1000}, \"hugepageLimits\": [{\"pageSize\": \"2MB\", \"limit\": 2097152}]}");
	struct pith_error err = { 0 };
	cr_assert_eq(cgroup_v2_apply(dfd, CG_BIT(CG_HUGETLB), &r, false, &err), 0, "%s", err.msg);
	cr_assert_str_eq(content("memory.max"), "");
	cr_assert_str_eq(content("hugetlb.2MB.max"), "2097152");
	done();
}

/* ---------- conversions ---------- */

Test(cgroup_convert, shares_to_weight_like_crun)
{
	cr_assert_eq(cgroup_shares_to_weight(0), 0);
	cr_assert_eq(cgroup_shares_to_weight(2), 1);
	cr_assert_eq(cgroup_shares_to_weight(1024), 100);
	cr_assert_eq(cgroup_shares_to_weight(262144), 10000);
	cr_assert_eq(cgroup_shares_to_weight(1 << 20), 10000);
	uint64_t w512 = cgroup_shares_to_weight(512), w2048 = cgroup_shares_to_weight(2048);
	cr_assert(w512 > 1 && w512 < 100, "%llu", (unsigned long long)w512);
	cr_assert(w2048 > 100 && w2048 < 10000, "%llu", (unsigned long long)w2048);
	for (uint64_t s = 3; s < 262144; s = s * 3 / 2 + 1)
		cr_assert_leq(cgroup_shares_to_weight(s), cgroup_shares_to_weight(s + 1));
}

Test(cgroup_convert, blkio_weight_to_io_weight)
{
	cr_assert_eq(cgroup_blkio_weight_to_io(10), 1);
	cr_assert_eq(cgroup_blkio_weight_to_io(1000), 10000);
	cr_assert_eq(cgroup_blkio_weight_to_io(500), 4950);
}

Test(cgroup_convert, swap_to_v2)
{
	int64_t out;
	bool skip;
	struct pith_error err = { 0 };
	cr_assert_eq(cgroup_swap_to_v2(300, 100, true, &out, &skip, &err), 0);
	cr_assert_eq(out, 200);
	cr_assert_eq(cgroup_swap_to_v2(-1, 100, true, &out, &skip, &err), 0);
	cr_assert_eq(out, -1);
	cr_assert_eq(cgroup_swap_to_v2(0, -1, true, &out, &skip, &err), 0);
	cr_assert_eq(out, -1, "unlimited memory and no swap given: unlimited swap");
	cr_assert_eq(cgroup_swap_to_v2(0, 100, true, &out, &skip, &err), 0);
	cr_assert(skip);
	cr_assert_lt(cgroup_swap_to_v2(50, 100, true, &out, &skip, &err), 0);
	cr_assert(strstr(err.msg, "must be >="), "%s", err.msg);
	cr_assert_lt(cgroup_swap_to_v2(500, 0, false, &out, &skip, &err), 0);
	cr_assert(strstr(err.msg, "needs a memory limit"), "%s", err.msg);
}

/* ---------- device program ---------- */

Test(cgroup_bpf, program_tests_rules_last_first_and_ends_allowing)
{
	struct spec_device_rule rules[] = {
		{ false, 'a', -1, -1, "rwm" },
		{ true, 'c', 1, 3, "rwm" },
	};
	struct bpf_insn *p = NULL;
	size_t n = 0;
	struct pith_error err = { 0 };
	cr_assert_eq(cgroup_bpf_build(rules, 2, &p, &n, &err), 0, "%s", err.msg);
	/* prologue 6; rule c 1:3 rwm: type, major, minor tests + mov + exit = 5;
	 * deny all: mov + exit = 2 and nothing after it (unreachable). */
	cr_assert_eq(n, 6 + 5 + 2);
	cr_assert_eq(p[6].code, BPF_JMP | BPF_JNE | BPF_K);
	cr_assert_eq(p[6].imm, BPF_DEVCG_DEV_CHAR);
	cr_assert_eq(p[6].off, 4, "jumps past its block");
	cr_assert_eq(p[7].imm, 1);
	cr_assert_eq(p[7].off, 3);
	cr_assert_eq(p[8].imm, 3);
	cr_assert_eq(p[8].off, 2);
	cr_assert_eq(p[9].imm, 1, "allow");
	cr_assert_eq(p[11].imm, 0, "the wildcard denies");
	cr_assert_eq(p[12].code, BPF_JMP | BPF_EXIT);
	free(p);
	/* without a wildcard, no match falls through to allow */
	cr_assert_eq(cgroup_bpf_build(rules + 1, 1, &p, &n, &err), 0, "%s", err.msg);
	cr_assert_eq(n, 6 + 5 + 2);
	cr_assert_eq(p[11].imm, 1, "no match: allow, like an inherited v1 list");
	free(p);
}

Test(cgroup_bpf, default_rules_follow_the_config)
{
	struct spec s = { 0 };
	struct spec_device_rule deny = { false, 'a', -1, -1, "rwm" };
	struct spec_device nodes[] = { { .path = "/dev/fuse", .type = 'c', .major = 10, .minor = 229 } };
	s.linux_.resources.devices = &deny;
	s.linux_.resources.n_devices = 1;
	s.linux_.devices = nodes;
	s.linux_.n_devices = 1;
	struct spec_device_rule *v = NULL;
	size_t n = 0;
	struct pith_error err = { 0 };
	cr_assert_eq(cgroup_device_rules(&s, &v, &n, &err), 0);
	cr_assert_eq(v[0].allow, false, "the config's rules first");
	cr_assert_eq(v[n - 1].major, 10);
	cr_assert_eq(v[n - 1].minor, 229);
	cr_assert(v[n - 1].allow);
	bool null_ok = false;
	for (size_t i = 0; i < n; i++)
		if (v[i].allow && v[i].major == 1 && v[i].minor == 3)
			null_ok = true;
	cr_assert(null_ok, "/dev/null stays usable");
	free(v);
}
