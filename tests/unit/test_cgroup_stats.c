/* `events --stats` data parsed from fake v1 and v2 cgroup files, in runc's
 * JSON shape, and the OOM counter. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../../runtime/cgroup/cgroup.h"

static char root[128];

static void put(const char *rel, const char *text)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	FILE *f = fopen(p, "w");
	cr_assert(f, "%s", p);
	fputs(text, f);
	fclose(f);
}

static void md(const char *rel)
{
	char p[512];
	snprintf(p, sizeof(p), "mkdir -p '%s/%s'", root, rel);
	cr_assert_eq(system(p), 0);
}

static struct cgroup *load(const char *json_fmt)
{
	/* every "%s" in json_fmt is the fake root */
	char text[2048];
	size_t n = 0;
	for (const char *p = json_fmt; *p && n < sizeof(text) - 200; p++) {
		if (p[0] == '%' && p[1] == 's') {
			n += (size_t)snprintf(text + n, sizeof(text) - n, "%s", root);
			p++;
		} else {
			text[n++] = *p;
		}
	}
	text[n] = '\0';
	json_error_t jerr;
	json_t *j = json_loads(text, 0, &jerr);
	cr_assert(j, "%s", jerr.text);
	struct cgroup *cg = NULL;
	struct pith_error err = { 0 };
	cr_assert_eq(cgroup_from_json(j, &cg, &err), 0, "%s", err.msg);
	json_decref(j);
	return cg;
}

static json_int_t at(json_t *o, const char *path)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", path);
	json_t *cur = o;
	for (char *save = NULL, *k = strtok_r(buf, ".", &save); k; k = strtok_r(NULL, ".", &save))
		cur = json_object_get(cur, k);
	cr_assert(json_is_integer(cur), "%s missing", path);
	return json_integer_value(cur);
}

static void cleanup(void)
{
	char p[256];
	snprintf(p, sizeof(p), "rm -rf '%s'", root);
	cr_assert_eq(system(p), 0);
}

Test(cgroup_stats, v2_leaf)
{
	snprintf(root, sizeof(root), "/tmp/pith-cgstats-XXXXXX");
	cr_assert(mkdtemp(root));
	md("pith/s");
	put("pith/s/cpu.stat", "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 7\nnr_throttled 2\n"
			       "throttled_usec 30\n");
	put("pith/s/memory.current", "8192000\n");
	put("pith/s/memory.max", "max\n");
	put("pith/s/memory.peak", "9000000\n");
	put("pith/s/memory.events", "low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\n");
	put("pith/s/memory.stat", "anon 4096\nfile 12288\ninactive_file 4096\n");
	put("pith/s/pids.current", "3\n");
	put("pith/s/pids.max", "100\n");
	put("pith/s/io.stat", "8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n");
	put("pith/s/hugetlb.2MB.current", "2097152\n");
	put("pith/s/hugetlb.2MB.rsvd.current", "0\n");
	put("pith/s/hugetlb.2MB.events", "max 1\n");
	struct cgroup *cg = load("{\"layout\": \"v2\", \"path\": \"/pith/s\", \"parents\": 0, \"hierarchies\": ["
				 "{\"mount\": \"%s\", \"name\": \"\", \"controllers\": [\"cpu\", \"cpuacct\", \"memory\", "
				 "\"pids\", \"blkio\", \"hugetlb\", \"freezer\", \"devices\"], \"v2\": true, \"joined\": true}]}");
	json_t *d = NULL;
	struct pith_error err = { 0 };
	cr_assert_eq(cgroup_stats(cg, &d, &err), 0, "%s", err.msg);
	cr_assert_eq(at(d, "cpu.usage.total"), 1500000);
	cr_assert_eq(at(d, "cpu.usage.user"), 1000000);
	cr_assert_eq(at(d, "cpu.usage.kernel"), 500000);
	cr_assert_eq(at(d, "cpu.throttling.periods"), 7);
	cr_assert_eq(at(d, "cpu.throttling.throttledPeriods"), 2);
	cr_assert_eq(at(d, "cpu.throttling.throttledTime"), 30000);
	cr_assert_eq(at(d, "memory.usage.usage"), 8192000);
	cr_assert_eq(at(d, "memory.usage.max"), 9000000);
	cr_assert_eq(at(d, "memory.usage.failcnt"), 4);
	cr_assert_eq(at(d, "memory.cache"), 12288);
	cr_assert_eq(at(d, "memory.raw.inactive_file"), 4096);
	cr_assert_eq(at(d, "pids.current"), 3);
	cr_assert_eq(at(d, "pids.limit"), 100);
	json_t *io = json_object_get(json_object_get(d, "blkio"), "ioServiceBytesRecursive");
	cr_assert_eq(json_array_size(io), 2);
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(io, 1), "op")), "Write");
	cr_assert_eq(json_integer_value(json_object_get(json_array_get(io, 1), "value")), 8192);
	cr_assert_eq(at(d, "hugetlb.2MB.usage"), 2097152);
	cr_assert_eq(at(d, "hugetlb.2MB.failcnt"), 1);
	cr_assert_eq(json_object_size(json_object_get(d, "hugetlb")), 1, "rsvd is not a page size");
	uint64_t ooms = 0;
	cr_assert_eq(cgroup_oom_kills(cg, &ooms, &err), 0, "%s", err.msg);
	cr_assert_eq(ooms, 1);
	json_t *ann = json_object();
	cgroup_state_annotations(cg, ann);
	cr_assert_str_eq(json_string_value(json_object_get(ann, "io.pith.oom_kills")), "1");
	json_decref(ann);
	json_decref(d);
	cgroup_free(cg);
	cleanup();
}

Test(cgroup_stats, v1_hierarchies)
{
	snprintf(root, sizeof(root), "/tmp/pith-cgstats-XXXXXX");
	cr_assert(mkdtemp(root));
	md("memory/pith/s");
	md("cpuacct/pith/s");
	md("pids/pith/s");
	put("memory/pith/s/memory.usage_in_bytes", "5000000\n");
	put("memory/pith/s/memory.limit_in_bytes", "67108864\n");
	put("memory/pith/s/memory.max_usage_in_bytes", "6000000\n");
	put("memory/pith/s/memory.failcnt", "0\n");
	put("memory/pith/s/memory.stat", "cache 1024\nrss 4096\ntotal_inactive_file 0\n");
	put("memory/pith/s/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n");
	put("cpuacct/pith/s/cpuacct.usage", "123456789\n");
	put("cpuacct/pith/s/cpuacct.usage_percpu", "100000000 23456789 \n");
	put("cpuacct/pith/s/cpuacct.stat", "user 5\nsystem 7\n");
	put("pids/pith/s/pids.current", "2\n");
	put("pids/pith/s/pids.max", "max\n");
	struct cgroup *cg = load("{\"layout\": \"v1\", \"path\": \"/pith/s\", \"parents\": 0, \"hierarchies\": ["
				 "{\"mount\": \"%s/memory\", \"name\": \"memory\", \"controllers\": [\"memory\"], \"v2\": false, \"joined\": true},"
				 "{\"mount\": \"%s/cpuacct\", \"name\": \"cpuacct\", \"controllers\": [\"cpuacct\"], \"v2\": false, \"joined\": true},"
				 "{\"mount\": \"%s/pids\", \"name\": \"pids\", \"controllers\": [\"pids\"], \"v2\": false, \"joined\": true}]}");
	json_t *d = NULL;
	struct pith_error err = { 0 };
	cr_assert_eq(cgroup_stats(cg, &d, &err), 0, "%s", err.msg);
	cr_assert_eq(at(d, "memory.usage.usage"), 5000000);
	cr_assert_eq(at(d, "memory.usage.limit"), 67108864);
	cr_assert_eq(at(d, "memory.usage.max"), 6000000);
	cr_assert_eq(at(d, "memory.cache"), 1024);
	cr_assert_eq(at(d, "cpu.usage.total"), 123456789);
	json_t *pc = json_object_get(json_object_get(json_object_get(d, "cpu"), "usage"), "percpu");
	cr_assert_eq(json_array_size(pc), 2);
	cr_assert_eq(json_integer_value(json_array_get(pc, 1)), 23456789);
	cr_assert_eq(at(d, "pids.current"), 2);
	cr_assert_null(json_object_get(json_object_get(d, "pids"), "limit"), "max: no limit reported");
	uint64_t ooms = 0;
	cr_assert_eq(cgroup_oom_kills(cg, &ooms, &err), 0, "%s", err.msg);
	cr_assert_eq(ooms, 3);
	json_decref(d);
	cgroup_free(cg);
	cleanup();
}
