/* `pith events` statistics in runc's JSON shape (libcontainer's
 * events/types.go): {"cpu":{"usage":..,"throttling":..},"memory":{..},
 * "pids":{..},"blkio":{..},"hugetlb":{"2MB":{..}}}. Every figure is a
 * uint64_t read with strtoull, so 32-bit boards report >4 GiB correctly.
 * A file the kernel does not offer leaves its field out. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"
#include "../cleanup.h"

static json_t *u64(uint64_t v)
{
	/* json_int_t is long long: counters above 2^63 ("max") are clamped. */
	return json_integer(v > (uint64_t)INT64_MAX ? INT64_MAX : (json_int_t)v);
}

static bool rd(int fd, const char *file, uint64_t *v)
{
	struct pith_error ignored = { 0 };
	return cgroup_read_u64(fd, file, v, &ignored) == 0;
}

static char *rd_text(int fd, const char *file)
{
	struct pith_error ignored = { 0 };
	char *t = NULL;
	if (cgroup_read(fd, file, &t, &ignored) < 0)
		return NULL;
	return t;
}

static void set_u64(json_t *o, const char *key, int fd, const char *file)
{
	uint64_t v;
	if (rd(fd, file, &v))
		json_object_set_new(o, key, u64(v));
}

/* "key value" lines into a JSON object of numbers. */
static json_t *kv_object(const char *text)
{
	json_t *o = json_object();
	auto_free char *copy = strdup(text ? text : "");
	for (char *save = NULL, *line = copy ? strtok_r(copy, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *sp = strchr(line, ' ');
		if (!sp)
			continue;
		*sp = '\0';
		json_object_set_new(o, line, u64(strtoull(sp + 1, NULL, 10)));
	}
	return o;
}

static json_t *percpu(const char *text)
{
	json_t *a = json_array();
	for (const char *p = text; p && *p;) {
		char *end;
		unsigned long long v = strtoull(p, &end, 10);
		if (end == p)
			break;
		json_array_append_new(a, u64(v));
		p = end;
	}
	return a;
}

/* ---------- cpu ---------- */

static json_t *cpu_v1(int acct, int cpu)
{
	json_t *usage = json_object(), *thr = json_object();
	if (acct >= 0) {
		set_u64(usage, "total", acct, "cpuacct.usage");
		auto_free char *pc = rd_text(acct, "cpuacct.usage_percpu");
		if (pc)
			json_object_set_new(usage, "percpu", percpu(pc));
		auto_free char *st = rd_text(acct, "cpuacct.stat");
		uint64_t user = 0, sys = 0;
		long hz = sysconf(_SC_CLK_TCK);
		if (st && hz > 0 && cgroup_kv_u64(st, "user", &user) == 0 && cgroup_kv_u64(st, "system", &sys) == 0) {
			json_object_set_new(usage, "kernel", u64(sys * (1000000000ULL / (uint64_t)hz)));
			json_object_set_new(usage, "user", u64(user * (1000000000ULL / (uint64_t)hz)));
		}
	}
	if (cpu >= 0) {
		auto_free char *st = rd_text(cpu, "cpu.stat");
		uint64_t v;
		if (st && cgroup_kv_u64(st, "nr_periods", &v) == 0)
			json_object_set_new(thr, "periods", u64(v));
		if (st && cgroup_kv_u64(st, "nr_throttled", &v) == 0)
			json_object_set_new(thr, "throttledPeriods", u64(v));
		if (st && cgroup_kv_u64(st, "throttled_time", &v) == 0)
			json_object_set_new(thr, "throttledTime", u64(v));
	}
	return json_pack("{s:o, s:o}", "usage", usage, "throttling", thr);
}

static json_t *cpu_v2(int fd)
{
	json_t *usage = json_object(), *thr = json_object();
	auto_free char *st = rd_text(fd, "cpu.stat");
	uint64_t v;
	if (st && cgroup_kv_u64(st, "usage_usec", &v) == 0)
		json_object_set_new(usage, "total", u64(v * 1000));
	if (st && cgroup_kv_u64(st, "system_usec", &v) == 0)
		json_object_set_new(usage, "kernel", u64(v * 1000));
	if (st && cgroup_kv_u64(st, "user_usec", &v) == 0)
		json_object_set_new(usage, "user", u64(v * 1000));
	if (st && cgroup_kv_u64(st, "nr_periods", &v) == 0)
		json_object_set_new(thr, "periods", u64(v));
	if (st && cgroup_kv_u64(st, "nr_throttled", &v) == 0)
		json_object_set_new(thr, "throttledPeriods", u64(v));
	if (st && cgroup_kv_u64(st, "throttled_usec", &v) == 0)
		json_object_set_new(thr, "throttledTime", u64(v * 1000));
	return json_pack("{s:o, s:o}", "usage", usage, "throttling", thr);
}

/* ---------- memory ---------- */

static json_t *entry_v1(int fd, const char *prefix)
{
	json_t *e = json_object();
	char f[96];
	snprintf(f, sizeof(f), "%s.limit_in_bytes", prefix);
	set_u64(e, "limit", fd, f);
	snprintf(f, sizeof(f), "%s.usage_in_bytes", prefix);
	set_u64(e, "usage", fd, f);
	snprintf(f, sizeof(f), "%s.max_usage_in_bytes", prefix);
	set_u64(e, "max", fd, f);
	snprintf(f, sizeof(f), "%s.failcnt", prefix);
	set_u64(e, "failcnt", fd, f);
	return e;
}

static json_t *memory_v1(int fd)
{
	auto_free char *st = rd_text(fd, "memory.stat");
	json_t *raw = kv_object(st);
	json_t *m = json_pack("{s:o, s:o, s:o, s:o}", "usage", entry_v1(fd, "memory"), "swap",
			      entry_v1(fd, "memory.memsw"), "kernel", entry_v1(fd, "memory.kmem"), "kernelTCP",
			      entry_v1(fd, "memory.kmem.tcp"));
	json_t *cache = json_object_get(raw, "cache");
	if (cache)
		json_object_set(m, "cache", cache);
	json_object_set_new(m, "raw", raw);
	return m;
}

static json_t *memory_v2(int fd)
{
	auto_free char *st = rd_text(fd, "memory.stat");
	auto_free char *ev = rd_text(fd, "memory.events");
	json_t *raw = kv_object(st);
	json_t *usage = json_object(), *swap = json_object();
	set_u64(usage, "usage", fd, "memory.current");
	set_u64(usage, "limit", fd, "memory.max");
	set_u64(usage, "max", fd, "memory.peak");
	uint64_t v;
	if (ev && cgroup_kv_u64(ev, "max", &v) == 0)
		json_object_set_new(usage, "failcnt", u64(v));
	set_u64(swap, "usage", fd, "memory.swap.current");
	set_u64(swap, "limit", fd, "memory.swap.max");
	set_u64(swap, "max", fd, "memory.swap.peak");
	json_t *m = json_pack("{s:o, s:o}", "usage", usage, "swap", swap);
	json_t *file = json_object_get(raw, "file");
	if (file)
		json_object_set(m, "cache", file);
	json_object_set_new(m, "raw", raw);
	return m;
}

/* ---------- pids ---------- */

static json_t *pids(int fd)
{
	json_t *p = json_object();
	set_u64(p, "current", fd, "pids.current");
	uint64_t v;
	if (rd(fd, "pids.max", &v) && v != UINT64_MAX)
		json_object_set_new(p, "limit", u64(v));
	return p;
}

/* ---------- blkio ---------- */

static void add_entry(json_t *a, unsigned maj, unsigned min, const char *op, uint64_t v)
{
	json_array_append_new(a, json_pack("{s:I, s:I, s:s, s:o}", "major", (json_int_t)maj, "minor",
					   (json_int_t)min, "op", op, "value", u64(v)));
}

/* v1: "8:0 Read 4096" lines (and a trailing "Total N"). */
static json_t *blkio_v1_list(int fd, const char *a, const char *b)
{
	auto_free char *t = rd_text(fd, a);
	if (!t)
		t = rd_text(fd, b);
	json_t *arr = json_array();
	for (char *save = NULL, *line = t ? strtok_r(t, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save)) {
		unsigned maj, min;
		char op[32];
		unsigned long long v;
		if (sscanf(line, "%u:%u %31s %llu", &maj, &min, op, &v) == 4)
			add_entry(arr, maj, min, op, v);
	}
	return arr;
}

static json_t *blkio_v1(int fd)
{
	return json_pack("{s:o, s:o}", "ioServiceBytesRecursive",
			 blkio_v1_list(fd, "blkio.bfq.io_service_bytes_recursive",
				       "blkio.throttle.io_service_bytes_recursive"),
			 "ioServicedRecursive",
			 blkio_v1_list(fd, "blkio.bfq.io_serviced_recursive", "blkio.throttle.io_serviced_recursive"));
}

/* v2: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0". */
static json_t *blkio_v2(int fd)
{
	auto_free char *t = rd_text(fd, "io.stat");
	json_t *bytes = json_array(), *ios = json_array();
	for (char *save = NULL, *line = t ? strtok_r(t, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save)) {
		unsigned maj, min;
		if (sscanf(line, "%u:%u", &maj, &min) != 2)
			continue;
		static const struct { const char *key, *op; bool bytes; } f[] = {
			{ "rbytes=", "Read", true }, { "wbytes=", "Write", true },
			{ "rios=", "Read", false }, { "wios=", "Write", false },
		};
		for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
			const char *p = strstr(line, f[i].key);
			if (p)
				add_entry(f[i].bytes ? bytes : ios, maj, min, f[i].op,
					  strtoull(p + strlen(f[i].key), NULL, 10));
		}
	}
	return json_pack("{s:o, s:o}", "ioServiceBytesRecursive", bytes, "ioServicedRecursive", ios);
}

/* ---------- hugetlb ---------- */

static json_t *hugetlb(int fd, bool v2)
{
	json_t *o = json_object();
	auto_fd dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	if (!d)
		return o;
	dfd = -1; /* owned by d */
	const char *suffix = v2 ? ".current" : ".usage_in_bytes";
	for (struct dirent *e; (e = readdir(d));) {
		size_t nl = strlen(e->d_name), sl = strlen(suffix);
		if (strncmp(e->d_name, "hugetlb.", 8) != 0 || nl <= 8 + sl || strcmp(e->d_name + nl - sl, suffix) != 0)
			continue;
		char size[32];
		snprintf(size, sizeof(size), "%.*s", (int)(nl - 8 - sl), e->d_name + 8);
		if (strchr(size, '.'))
			continue; /* hugetlb.2MB.rsvd.current */
		json_t *h = json_object();
		char f[96];
		snprintf(f, sizeof(f), "hugetlb.%s%s", size, suffix);
		set_u64(h, "usage", fd, f);
		if (!v2) {
			snprintf(f, sizeof(f), "hugetlb.%s.max_usage_in_bytes", size);
			set_u64(h, "max", fd, f);
			snprintf(f, sizeof(f), "hugetlb.%s.failcnt", size);
			set_u64(h, "failcnt", fd, f);
		} else {
			snprintf(f, sizeof(f), "hugetlb.%s.events", size);
			auto_free char *ev = rd_text(fd, f);
			uint64_t v;
			if (ev && cgroup_kv_u64(ev, "max", &v) == 0)
				json_object_set_new(h, "failcnt", u64(v));
		}
		json_object_set_new(o, size, h);
	}
	closedir(d);
	return o;
}

/* ---------- all ---------- */

static int leaf_of(const struct cgroup *cg, enum cgroup_ctrl c, bool *v2)
{
	struct pith_error ignored = { 0 };
	const struct cgroup_hier *h = cgroup_hier_for(cg, c);
	if (!h || !h->joined)
		return -1;
	*v2 = h->v2;
	int fd = cgroup_open_leaf(cg, h, &ignored);
	/* openat() of files works on O_PATH dirs, but fdopendir needs O_RDONLY:
	 * hugetlb reopens "." itself. */
	return fd;
}

int cgroup_stats(const struct cgroup *cg, json_t **out, struct pith_error *err)
{
	bool v2 = false, v2b = false;
	json_t *data = json_object();
	if (!data)
		return pith_fail(err, ENOMEM, "stats");
	auto_fd cpu = leaf_of(cg, CG_CPU, &v2);
	auto_fd acct = leaf_of(cg, CG_CPUACCT, &v2b);
	if (v2b && acct >= 0)
		json_object_set_new(data, "cpu", cpu_v2(acct));
	else if (acct >= 0 || cpu >= 0)
		json_object_set_new(data, "cpu", cpu_v1(acct, v2 ? -1 : cpu));
	else if (cgroup_v2_hier(cg) && cgroup_v2_hier(cg)->joined) {
		/* cpu.stat is a core v2 file: usage even without the controller. */
		auto_fd fd = cgroup_open_leaf(cg, cgroup_v2_hier(cg), err);
		if (fd >= 0)
			json_object_set_new(data, "cpu", cpu_v2(fd));
	}
	auto_fd mem = leaf_of(cg, CG_MEMORY, &v2);
	if (mem >= 0)
		json_object_set_new(data, "memory", v2 ? memory_v2(mem) : memory_v1(mem));
	auto_fd pf = leaf_of(cg, CG_PIDS, &v2);
	if (pf >= 0)
		json_object_set_new(data, "pids", pids(pf));
	auto_fd bf = leaf_of(cg, CG_BLKIO, &v2);
	if (bf >= 0)
		json_object_set_new(data, "blkio", v2 ? blkio_v2(bf) : blkio_v1(bf));
	auto_fd hf = leaf_of(cg, CG_HUGETLB, &v2);
	if (hf >= 0)
		json_object_set_new(data, "hugetlb", hugetlb(hf, v2));
	*out = data;
	return 0;
}
