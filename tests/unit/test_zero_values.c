/* The zero-value rules (spec_zero_rules in config/parse_resources.c), one
 * test per field: what 0, -1 and absence write into a fake cgroup leaf (a
 * temp dir whose files exist, empty, like cgroupfs's; "" = nothing written).
 * Then the configs Docker, podman and containerd really wrote
 * (tests/fixtures/clients/, captured by tests/clients/docker.sh and runtime
 * wrappers) parsed and applied against that leaf on v1 and v2. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../runtime/cgroup/cgroup.h"
#include "lib_fake_cgroup.h"

static int dfd = -1;

static const char *const v1_files[] = {
	"memory.limit_in_bytes", "memory.soft_limit_in_bytes", "memory.memsw.limit_in_bytes",
	"memory.swappiness", "memory.oom_control", "memory.use_hierarchy", "memory.usage_in_bytes",
	"cpu.shares", "cpu.cfs_quota_us", "cpu.cfs_period_us", "cpu.cfs_burst_us", "cpu.rt_period_us",
	"cpu.rt_runtime_us", "cpu.idle", "cpuset.cpus", "cpuset.mems", "pids.max", "blkio.bfq.weight",
	"blkio.bfq.weight_device", "blkio.leaf_weight", "blkio.leaf_weight_device",
	"blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device", "blkio.throttle.read_iops_device",
	"blkio.throttle.write_iops_device", "hugetlb.2MB.limit_in_bytes", "net_cls.classid",
	"net_prio.ifpriomap", "rdma.max", NULL
};

static const char *const v2_files[] = {
	"memory.max", "memory.low", "memory.swap.max", "memory.current", "cpu.weight", "cpu.max",
	"cpu.max.burst", "cpu.idle", "cpuset.cpus", "cpuset.mems", "pids.max", "io.weight", "io.bfq.weight",
	"io.max", "hugetlb.2MB.max", "rdma.max", NULL
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
	return r; /* strings stay in j: leaked for the test's lifetime */
}

/* Parse `json`, apply it on a fresh v1 leaf, return what `file` holds. */
static const char *v1_after(const char *json, const char *file)
{
	leaf(v1_files);
	struct spec_resources r = res(json);
	int dirs[CG__COUNT];
	for (int c = 0; c < CG__COUNT; c++)
		dirs[c] = dfd;
	struct pith_error err = { 0 };
	cr_assert_eq(cgroup_v1_apply(dirs, &r, false, &err), 0, "%s: %s", json, err.msg);
	static char out[1024];
	snprintf(out, sizeof(out), "%s", content(file));
	done();
	return out;
}

static const char *v2_after(const char *json, const char *file)
{
	leaf(v2_files);
	struct spec_resources r = res(json);
	struct pith_error err = { 0 };
	cr_assert_eq(cgroup_v2_apply(dfd, ~0u, &r, false, &err), 0, "%s: %s", json, err.msg);
	static char out[1024];
	snprintf(out, sizeof(out), "%s", content(file));
	done();
	return out;
}

static unsigned needed_of(const struct spec_resources *r)
{
	const char *why[CG__COUNT] = { 0 };
	return cgroup_needed_ctrls(r, why);
}

static unsigned needed(const char *json)
{
	struct spec_resources r = res(json);
	return needed_of(&r);
}

#define NEEDS(json, c) (needed(json) & CG_BIT(c))

static const char *fixture(const char *name)
{
	static char p[512];
	const char *slash = strrchr(__FILE__, '/');
	snprintf(p, sizeof(p), "%.*s/../fixtures/clients/%s", (int)(slash - __FILE__), __FILE__, name);
	return p;
}

/* docker-run.json as text, one piece replaced, loaded as pith loads config.json */
static struct spec *docker_text_with(const char *old, const char *new_)
{
	FILE *f = fopen(fixture("docker-run.json"), "r");
	cr_assert(f);
	static char text[65536], out[65536];
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	char *at = strstr(text, old);
	cr_assert(at, "fixture has no %s", old);
	snprintf(out, sizeof(out), "%.*s%s%s", (int)(at - text), text, new_, at + strlen(old));
	struct spec *s = NULL;
	struct pith_error err = { 0 };
	cr_assert_eq(spec_load_string(out, "config.json", &s, &err), 0, "%s", err.msg);
	return s;
}

Test(zero_rules, every_field_has_a_row)
{
	for (int f = 0; f < ZR__COUNT; f++)
		cr_assert(spec_zero_rules[f].field, "zero rule %d has no row", f);
}

Test(zero_values, memory_limit)
{
	cr_assert_str_eq(v1_after("{\"memory\": {\"limit\": 0}}", "memory.limit_in_bytes"), "",
			 "0 is unset: a 0-byte limit would kill init");
	cr_assert_not(NEEDS("{\"memory\": {\"limit\": 0}}", CG_MEMORY));
	cr_assert_str_eq(v1_after("{\"memory\": {\"limit\": -1}}", "memory.limit_in_bytes"), "-1");
	cr_assert_str_eq(v2_after("{\"memory\": {\"limit\": 0}}", "memory.max"), "");
	cr_assert_str_eq(v2_after("{\"memory\": {\"limit\": -1}}", "memory.max"), "max");
}

Test(zero_values, memory_reservation)
{
	cr_assert_str_eq(v1_after("{\"memory\": {\"reservation\": 0}}", "memory.soft_limit_in_bytes"), "");
	cr_assert_str_eq(v1_after("{\"memory\": {\"reservation\": -1}}", "memory.soft_limit_in_bytes"), "-1");
	cr_assert_str_eq(v2_after("{\"memory\": {\"reservation\": 0}}", "memory.low"), "");
}

Test(zero_values, memory_swap)
{
	cr_assert_str_eq(v1_after("{\"memory\": {\"limit\": 67108864, \"swap\": 0}}", "memory.memsw.limit_in_bytes"), "",
			 "0 is unset (was an error writing memsw)");
	cr_assert_str_eq(v1_after("{\"memory\": {\"swap\": -1}}", "memory.memsw.limit_in_bytes"), "-1");
	cr_assert_str_eq(v2_after("{\"memory\": {\"limit\": 67108864, \"swap\": 0}}", "memory.swap.max"), "");
}

Test(zero_values, memory_kernel)
{
	cr_assert_not(res("{\"memory\": {\"kernel\": 0}}").memory.kernel.set);
	cr_assert_not(res("{\"memory\": {\"kernel\": -1}}").memory.kernel.set);
	cr_assert(res("{\"memory\": {\"kernel\": 1048576}}").memory.kernel.set, "a real limit is kept (and refused)");
	cr_assert_not(NEEDS("{\"memory\": {\"kernel\": 0}}", CG_MEMORY));
}

Test(zero_values, memory_kernel_tcp)
{
	cr_assert_not(res("{\"memory\": {\"kernelTCP\": 0}}").memory.kernel_tcp.set);
	cr_assert_not(res("{\"memory\": {\"kernelTCP\": -1}}").memory.kernel_tcp.set);
	cr_assert(res("{\"memory\": {\"kernelTCP\": 1048576}}").memory.kernel_tcp.set);
}

Test(zero_values, memory_swappiness)
{
	cr_assert_str_eq(v1_after("{\"memory\": {\"swappiness\": 0}}", "memory.swappiness"), "0", "0 is a value");
	/* Go's uint64(-1): too big for jansson, so through the whole-file loader */
	struct spec *s = docker_text_with("\"memory\":{\"disableOOMKiller\":false}",
					  "\"memory\":{\"swappiness\":18446744073709551615}");
	cr_assert(s->linux_.resources.has_memory);
	cr_assert_not(s->linux_.resources.memory.swappiness.set, "2^64-1 is unset");
	spec_free(s);
	cr_assert_not(res("{\"memory\": {}}").memory.swappiness.set);
}

Test(zero_values, memory_disable_oom_killer)
{
	cr_assert_str_eq(v1_after("{\"memory\": {\"disableOOMKiller\": false}}", "memory.oom_control"), "");
	cr_assert_not(NEEDS("{\"memory\": {\"disableOOMKiller\": false}}", CG_MEMORY));
	cr_assert_str_eq(v1_after("{\"memory\": {\"disableOOMKiller\": true}}", "memory.oom_control"), "1");
	cr_assert_str_eq(v2_after("{\"memory\": {\"disableOOMKiller\": false}}", "memory.max"), "",
			 "false is not refused on v2");
}

Test(zero_values, memory_use_hierarchy)
{
	cr_assert_str_eq(v1_after("{\"memory\": {\"useHierarchy\": false}}", "memory.use_hierarchy"), "",
			 "kernels since 5.16 refuse 0");
	cr_assert_str_eq(v1_after("{\"memory\": {\"useHierarchy\": true}}", "memory.use_hierarchy"), "1");
	cr_assert_str_eq(v2_after("{\"memory\": {\"useHierarchy\": false}}", "memory.max"), "");
}

Test(zero_values, memory_check_before_update)
{
	cr_assert_not(res("{\"memory\": {\"checkBeforeUpdate\": false}}").memory.check_before_update.set);
	cr_assert(res("{\"memory\": {\"checkBeforeUpdate\": true}}").memory.check_before_update.v);
}

Test(zero_values, cpu_shares)
{
	cr_assert_str_eq(v1_after("{\"cpu\": {\"shares\": 0}}", "cpu.shares"), "");
	cr_assert_not(NEEDS("{\"cpu\": {\"shares\": 0}}", CG_CPU), "Docker's default joins no cpu hierarchy");
	cr_assert_str_eq(v2_after("{\"cpu\": {\"shares\": 0}}", "cpu.weight"), "");
	cr_assert_str_eq(v1_after("{\"cpu\": {\"shares\": 1024}}", "cpu.shares"), "1024");
}

Test(zero_values, cpu_quota)
{
	cr_assert_str_eq(v1_after("{\"cpu\": {\"quota\": 0}}", "cpu.cfs_quota_us"), "");
	cr_assert_str_eq(v1_after("{\"cpu\": {\"quota\": -1}}", "cpu.cfs_quota_us"), "-1");
	cr_assert_str_eq(v2_after("{\"cpu\": {\"quota\": 0}}", "cpu.max"), "");
	cr_assert_str_eq(v2_after("{\"cpu\": {\"quota\": -1}}", "cpu.max"), "max");
}

Test(zero_values, cpu_burst)
{
	cr_assert_str_eq(v1_after("{\"cpu\": {\"burst\": 0}}", "cpu.cfs_burst_us"), "0", "0 is a value (no burst)");
	cr_assert_str_eq(v2_after("{\"cpu\": {\"burst\": 0}}", "cpu.max.burst"), "0");
}

Test(zero_values, cpu_period)
{
	cr_assert_str_eq(v1_after("{\"cpu\": {\"period\": 0}}", "cpu.cfs_period_us"), "");
	cr_assert_not(NEEDS("{\"cpu\": {\"period\": 0}}", CG_CPU));
	cr_assert_str_eq(v2_after("{\"cpu\": {\"period\": 0}}", "cpu.max"), "");
}

Test(zero_values, cpu_realtime_runtime)
{
	cr_assert_str_eq(v1_after("{\"cpu\": {\"realtimeRuntime\": 0}}", "cpu.rt_runtime_us"), "");
	cr_assert_str_eq(v1_after("{\"cpu\": {\"realtimeRuntime\": -1}}", "cpu.rt_runtime_us"), "-1");
	/* v2 has no realtime files: a 0 must not be refused there */
	cr_assert_str_eq(v2_after("{\"cpu\": {\"realtimeRuntime\": 0}}", "cpu.max"), "");
}

Test(zero_values, cpu_realtime_period)
{
	cr_assert_str_eq(v1_after("{\"cpu\": {\"realtimePeriod\": 0}}", "cpu.rt_period_us"), "");
	cr_assert_str_eq(v2_after("{\"cpu\": {\"realtimePeriod\": 0}}", "cpu.max"), "");
}

Test(zero_values, cpu_cpus)
{
	cr_assert_str_eq(v1_after("{\"cpu\": {\"cpus\": \"\"}}", "cpuset.cpus"), "");
	cr_assert_not(NEEDS("{\"cpu\": {\"cpus\": \"\"}}", CG_CPUSET), "\"\" joins no cpuset");
	cr_assert_null(res("{\"cpu\": {\"cpus\": \"\"}}").cpu.cpus);
}

Test(zero_values, cpu_mems)
{
	cr_assert_str_eq(v1_after("{\"cpu\": {\"mems\": \"\"}}", "cpuset.mems"), "");
	cr_assert_not(NEEDS("{\"cpu\": {\"mems\": \"\"}}", CG_CPUSET));
}

Test(zero_values, cpu_idle)
{
	cr_assert_str_eq(v1_after("{\"cpu\": {\"idle\": 0}}", "cpu.idle"), "0", "0 is a value (not idle)");
	cr_assert_str_eq(v2_after("{\"cpu\": {\"idle\": 0}}", "cpu.idle"), "0");
}

Test(zero_values, pids_limit)
{
	cr_assert_str_eq(v1_after("{\"pids\": {\"limit\": 0}}", "pids.max"), "", "0 leaves pids.max alone");
	cr_assert_not(NEEDS("{\"pids\": {\"limit\": 0}}", CG_PIDS));
	cr_assert_str_eq(v1_after("{\"pids\": {\"limit\": -1}}", "pids.max"), "max");
	cr_assert_str_eq(v1_after("{\"pids\": {\"limit\": -2}}", "pids.max"), "max", "any negative is max");
	cr_assert_str_eq(v2_after("{\"pids\": {\"limit\": 0}}", "pids.max"), "");
	cr_assert_str_eq(v2_after("{\"pids\": {\"limit\": -1}}", "pids.max"), "max");
}

Test(zero_values, blkio_weight)
{
	cr_assert_str_eq(v1_after("{\"blockIO\": {\"weight\": 0}}", "blkio.bfq.weight"), "",
			 "0 is unset (was ERANGE from blkio.bfq.weight)");
	cr_assert_not(NEEDS("{\"blockIO\": {\"weight\": 0}}", CG_BLKIO));
	cr_assert_str_eq(v2_after("{\"blockIO\": {\"weight\": 0}}", "io.bfq.weight"), "");
}

Test(zero_values, blkio_leaf_weight)
{
	cr_assert_str_eq(v1_after("{\"blockIO\": {\"leafWeight\": 0}}", "blkio.leaf_weight"), "");
	/* v2 refuses leafWeight: a 0 is not one */
	cr_assert_str_eq(v2_after("{\"blockIO\": {\"leafWeight\": 0}}", "io.bfq.weight"), "");
}

Test(zero_values, blkio_weight_device_weight)
{
	cr_assert_str_eq(v1_after("{\"blockIO\": {\"weightDevice\": [{\"major\": 8, \"minor\": 0, \"weight\": 0}]}}",
				  "blkio.bfq.weight_device"), "");
	cr_assert_str_eq(v1_after("{\"blockIO\": {\"weightDevice\": [{\"major\": 8, \"minor\": 0, \"weight\": 500}]}}",
				  "blkio.bfq.weight_device"), "8:0 500\n");
}

Test(zero_values, blkio_weight_device_leaf_weight)
{
	cr_assert_str_eq(v1_after("{\"blockIO\": {\"weightDevice\": [{\"major\": 8, \"minor\": 0, \"leafWeight\": 0}]}}",
				  "blkio.leaf_weight_device"), "");
	cr_assert_str_eq(v2_after("{\"blockIO\": {\"weightDevice\": [{\"major\": 8, \"minor\": 0, \"leafWeight\": 0}]}}",
				  "io.bfq.weight"), "");
}

Test(zero_values, blkio_throttle_rate)
{
	cr_assert_str_eq(v1_after("{\"blockIO\": {\"throttleReadBpsDevice\": [{\"major\": 8, \"minor\": 0, \"rate\": 0}]}}",
				  "blkio.throttle.read_bps_device"), "8:0 0\n", "0 removes the device's limit");
	cr_assert_str_eq(v2_after("{\"blockIO\": {\"throttleWriteIOPSDevice\": [{\"major\": 8, \"minor\": 0, \"rate\": 0}]}}",
				  "io.max"), "8:0 wiops=0\n");
}

Test(zero_values, hugepage_limit)
{
	cr_assert_str_eq(v1_after("{\"hugepageLimits\": [{\"pageSize\": \"2MB\", \"limit\": 0}]}",
				  "hugetlb.2MB.limit_in_bytes"), "0", "0 bytes is a real limit");
	cr_assert_str_eq(v2_after("{\"hugepageLimits\": [{\"pageSize\": \"2MB\", \"limit\": 0}]}", "hugetlb.2MB.max"), "0");
}

Test(zero_values, network_class_id)
{
	cr_assert_str_eq(v1_after("{\"network\": {\"classID\": 0}}", "net_cls.classid"), "");
	cr_assert_not(NEEDS("{\"network\": {\"classID\": 0}}", CG_NET_CLS), "no net_cls needed (absent on v2)");
}

Test(zero_values, network_priority)
{
	cr_assert_str_eq(v1_after("{\"network\": {\"priorities\": [{\"name\": \"eth0\", \"priority\": 0}]}}",
				  "net_prio.ifpriomap"), "eth0 0\n");
}

Test(zero_values, rdma_hca_handles)
{
	cr_assert_str_eq(v1_after("{\"rdma\": {\"mlx5_1\": {\"hcaHandles\": 0}}}", "rdma.max"),
			 "mlx5_1 hca_handle=0 hca_object=max");
}

Test(zero_values, rdma_hca_objects)
{
	cr_assert_str_eq(v2_after("{\"rdma\": {\"mlx5_1\": {\"hcaObjects\": 0}}}", "rdma.max"),
			 "mlx5_1 hca_handle=max hca_object=0");
}

Test(zero_values, unified)
{
	struct spec_resources r = res("{\"unified\": {}}");
	cr_assert_eq(r.unified.n, 0);
	cr_assert_eq(needed("{\"unified\": {}}"), 0, "an empty map needs no controller (and no v2)");
	cr_assert_str_eq(v2_after("{\"unified\": {\"pids.max\": \"0\"}}", "pids.max"), "0", "written verbatim");
}

/* ---------- fields outside linux.resources ---------- */

static struct spec *docker_with(const char *key, json_t *v)
{
	json_error_t jerr;
	json_t *root = json_load_file(fixture("docker-run.json"), 0, &jerr);
	cr_assert(root, "%s", jerr.text);
	json_object_set_new(json_object_get(root, "process"), key, v);
	struct spec *s = NULL;
	struct pith_error err = { 0 };
	cr_assert_eq(spec_from_json(root, "config.json", &s, &err), 0, "%s", err.msg);
	return s;
}

Test(zero_values, oom_score_adj)
{
	struct spec *s = docker_with("oomScoreAdj", json_integer(0));
	cr_assert(s->process.oom_score_adj.set, "0 is written, as Docker means it");
	cr_assert_eq(s->process.oom_score_adj.v, 0);
	spec_free(s);
	s = docker_with("oomScoreAdj", json_integer(-1));
	cr_assert_eq(s->process.oom_score_adj.v, -1, "-1 is a value");
	spec_free(s);
}

Test(zero_values, rlimits)
{
	struct spec *s = docker_with("rlimits", json_pack("[{s:s, s:i, s:i}]", "type", "RLIMIT_CORE", "soft", 0,
							  "hard", 0));
	cr_assert_eq(s->process.n_rlimits, 1);
	cr_assert_eq(s->process.rlimits[0].soft, 0, "0 is a real limit (no core files)");
	cr_assert_eq(s->process.rlimits[0].hard, 0);
	spec_free(s);
}

/* ---------- what the clients really write ---------- */

struct applied {
	struct spec *spec;
	unsigned needed;
};

static struct applied apply_fixture(const char *name, bool v2)
{
	struct applied a = { 0 };
	struct pith_error err = { 0 };
	cr_assert_eq(spec_load_file(fixture(name), "config.json", &a.spec, &err), 0, "%s: %s", name, err.msg);
	const char *why[CG__COUNT] = { 0 };
	const struct spec_resources *r = &a.spec->linux_.resources;
	a.needed = cgroup_needed_ctrls(r, why);
	leaf(v2 ? v2_files : v1_files);
	if (v2) {
		cr_assert_eq(cgroup_v2_apply(dfd, ~0u, r, false, &err), 0, "%s on v2: %s", name, err.msg);
	} else {
		int dirs[CG__COUNT];
		for (int c = 0; c < CG__COUNT; c++)
			dirs[c] = dfd;
		cr_assert_eq(cgroup_v1_apply(dirs, r, false, &err), 0, "%s on v1: %s", name, err.msg);
	}
	return a;
}

static void applied_done(struct applied *a)
{
	spec_free(a->spec);
	done();
}

#define ONLY_ALWAYS(a) cr_assert_eq((a).needed & ~CG_BIT(CG_DEVICES), 0, "needed controllers %#x", (a).needed)

Test(client_fixtures, docker_run)
{
	struct applied a = apply_fixture("docker-run.json", false);
	ONLY_ALWAYS(a);
	cr_assert_str_eq(content("blkio.bfq.weight"), "");
	cr_assert_str_eq(content("cpu.shares"), "");
	cr_assert_str_eq(content("memory.oom_control"), "");
	cr_assert_eq(a.spec->process.oom_score_adj.v, 0);
	applied_done(&a);
	a = apply_fixture("docker-run.json", true);
	cr_assert_str_eq(content("io.bfq.weight"), "");
	cr_assert_str_eq(content("cpu.weight"), "");
	applied_done(&a);
}

Test(client_fixtures, docker_run_limits)
{
	struct applied a = apply_fixture("docker-run-limits.json", false);
	cr_assert_str_eq(content("memory.limit_in_bytes"), "67108864");
	cr_assert_str_eq(content("memory.memsw.limit_in_bytes"), "134217728");
	cr_assert_str_eq(content("cpu.cfs_quota_us"), "50000");
	cr_assert_str_eq(content("cpu.cfs_period_us"), "100000");
	cr_assert_str_eq(content("cpu.shares"), "");
	cr_assert_str_eq(content("pids.max"), "50");
	cr_assert_str_eq(content("blkio.bfq.weight"), "");
	cr_assert_eq(a.needed & CG_BIT(CG_BLKIO), 0);
	cr_assert_eq(a.spec->process.rlimits[0].soft, 512);
	applied_done(&a);
	a = apply_fixture("docker-run-limits.json", true);
	cr_assert_str_eq(content("memory.max"), "67108864");
	cr_assert_str_eq(content("memory.swap.max"), "67108864", "v2 swap is memory+swap minus memory");
	cr_assert_str_eq(content("cpu.max"), "50000 100000");
	applied_done(&a);
}

Test(client_fixtures, podman_run)
{
	struct applied a = apply_fixture("podman-run.json", false);
	cr_assert_str_eq(content("pids.max"), "2048");
	cr_assert_str_eq(content("memory.limit_in_bytes"), "");
	applied_done(&a);
	a = apply_fixture("podman-run.json", true);
	cr_assert_str_eq(content("pids.max"), "2048");
	applied_done(&a);
}

Test(client_fixtures, podman_run_limits)
{
	struct applied a = apply_fixture("podman-run-limits.json", false);
	cr_assert_str_eq(content("memory.limit_in_bytes"), "67108864");
	cr_assert_str_eq(content("memory.memsw.limit_in_bytes"), "134217728");
	cr_assert_str_eq(content("cpu.cfs_quota_us"), "50000");
	cr_assert_str_eq(content("pids.max"), "50");
	applied_done(&a);
	a = apply_fixture("podman-run-limits.json", true);
	cr_assert_str_eq(content("cpu.max"), "50000 100000");
	applied_done(&a);
}

Test(client_fixtures, containerd_run)
{
	struct applied a = apply_fixture("containerd-run.json", false);
	cr_assert_str_eq(content("cpu.shares"), "1024");
	cr_assert_str_eq(content("memory.limit_in_bytes"), "");
	applied_done(&a);
	a = apply_fixture("containerd-run.json", true);
	cr_assert_str_eq(content("cpu.weight"), "100");
	applied_done(&a);
}

Test(client_fixtures, containerd_run_limits)
{
	struct applied a = apply_fixture("containerd-run-limits.json", false);
	cr_assert_str_eq(content("memory.limit_in_bytes"), "67108864");
	cr_assert_str_eq(content("cpu.shares"), "512");
	cr_assert_str_eq(content("cpu.cfs_quota_us"), "50000");
	cr_assert_str_eq(content("cpu.cfs_period_us"), "100000");
	applied_done(&a);
	a = apply_fixture("containerd-run-limits.json", true);
	cr_assert_str_eq(content("memory.max"), "67108864");
	cr_assert_str_eq(content("cpu.max"), "50000 100000");
	applied_done(&a);
}

/* `pith update --cpu-shares 0 --pids-limit 0 --memory 0` builds resources without the parser */
Test(zero_rules, update_flags_follow_the_table)
{
	struct spec_resources r = { .present = true, .has_cpu = true, .has_memory = true };
	r.cpu.shares = (spec_u64){ true, 0 };
	r.cpu.quota = (spec_i64){ true, 0 };
	r.pids_limit = (spec_i64){ true, 0 };
	r.memory.limit = (spec_i64){ true, 0 };
	r.memory.reservation = (spec_i64){ true, -1 };
	spec_resources_zero_rules(&r);
	cr_assert_not(r.cpu.shares.set);
	cr_assert_not(r.cpu.quota.set);
	cr_assert_not(r.pids_limit.set);
	cr_assert_not(r.memory.limit.set);
	cr_assert(r.memory.reservation.set, "-1 is unlimited, a value");
	cr_assert_eq(needed_of(&r), CG_BIT(CG_MEMORY), "only memory, for the reservation");
}
