/* linux.resources on cgroup v1: one hierarchy (dirfd) per controller.
 * Values are written as the OCI spec states them; ordering follows what the
 * kernel checks (memory before memory+swap when growing, period before quota
 * and realtime period before runtime). What 0 and -1 mean was decided by the
 * parser (spec_zero_rules): a set field here is a value to write. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "../cleanup.h"

#define W(fd, file, what, ...) cgroup_writef(fd, file, what, err, __VA_ARGS__)

static int check_usage(int fd, const char *file, int64_t limit, struct pith_error *err)
{
	uint64_t usage;
	if (limit <= 0 || cgroup_read_u64(fd, file, &usage, err) < 0)
		return limit <= 0 ? 0 : -1;
	if (usage > (uint64_t)limit)
		return pith_fail(err, EBUSY, "linux.resources.memory.checkBeforeUpdate: current usage %" PRIu64
				 " is above the new limit %" PRId64, usage, limit);
	return 0;
}

static int v1_memsw(int fd, int64_t swap, struct pith_error *err)
{
	int r = W(fd, "memory.memsw.limit_in_bytes", "linux.resources.memory.swap", "%" PRId64, swap);
	/* Without swap accounting (swapaccount=0) "unlimited" is what we get anyway. */
	if (r == -ENOENT && swap == -1)
		return 0;
	return r;
}

static int v1_memory(int fd, const struct spec_memory *m, bool update, struct pith_error *err)
{
	const char *wl = "linux.resources.memory.limit";
	if (update && m->check_before_update.set && m->check_before_update.v && m->limit.set &&
	    check_usage(fd, "memory.usage_in_bytes", m->limit.v, err) < 0)
		return -1;
	if (m->limit.set) {
		int r = W(fd, "memory.limit_in_bytes", wl, "%" PRId64, m->limit.v);
		/* EINVAL: the new limit is above the current memory+swap limit;
		 * raise that first, then the limit. */
		if (r == -EINVAL && m->swap.set) {
			if (v1_memsw(fd, m->swap.v, err) < 0)
				return -1;
			if (W(fd, "memory.limit_in_bytes", wl, "%" PRId64, m->limit.v) < 0)
				return -1;
		} else if (r < 0) {
			return r;
		} else if (m->swap.set && v1_memsw(fd, m->swap.v, err) < 0) {
			return -1;
		}
	} else if (m->swap.set && v1_memsw(fd, m->swap.v, err) < 0) {
		return -1;
	}
	if (m->reservation.set &&
	    W(fd, "memory.soft_limit_in_bytes", "linux.resources.memory.reservation", "%" PRId64, m->reservation.v) < 0)
		return -1;
	if (m->swappiness.set) {
		if (m->swappiness.v > 100)
			return pith_fail(err, EINVAL, "linux.resources.memory.swappiness: %" PRIu64 " is not in 0..100",
					 m->swappiness.v);
		if (W(fd, "memory.swappiness", "linux.resources.memory.swappiness", "%" PRIu64, m->swappiness.v) < 0)
			return -1;
	}
	if (m->disable_oom_killer.set &&
	    W(fd, "memory.oom_control", "linux.resources.memory.disableOOMKiller", "%d", m->disable_oom_killer.v) < 0)
		return -1;
	if (m->use_hierarchy.set &&
	    W(fd, "memory.use_hierarchy", "linux.resources.memory.useHierarchy", "%d", m->use_hierarchy.v) < 0)
		return -1;
	return 0;
}

static int v1_cpu(int fd, const struct spec_cpu *c, struct pith_error *err)
{
	if (c->shares.set &&
	    W(fd, "cpu.shares", "linux.resources.cpu.shares", "%" PRIu64, c->shares.v) < 0)
		return -1;
	int pr = 0;
	if (c->period.set)
		pr = W(fd, "cpu.cfs_period_us", "linux.resources.cpu.period", "%" PRIu64, c->period.v);
	if (pr < 0 && pr != -EINVAL)
		return -1;
	if (c->quota.set && W(fd, "cpu.cfs_quota_us", "linux.resources.cpu.quota", "%" PRId64, c->quota.v) < 0)
		return -1;
	/* A shorter period can be refused while the old quota (or burst) does
	 * not fit it; with the new quota in place it is accepted. */
	if (pr == -EINVAL && W(fd, "cpu.cfs_period_us", "linux.resources.cpu.period", "%" PRIu64, c->period.v) < 0)
		return -1;
	if (c->burst.set && W(fd, "cpu.cfs_burst_us", "linux.resources.cpu.burst", "%" PRIu64, c->burst.v) < 0)
		return -1;
	if (c->realtime_period.set &&
	    W(fd, "cpu.rt_period_us", "linux.resources.cpu.realtimePeriod", "%" PRIu64, c->realtime_period.v) < 0)
		return -1;
	if (c->realtime_runtime.set &&
	    W(fd, "cpu.rt_runtime_us", "linux.resources.cpu.realtimeRuntime", "%" PRId64, c->realtime_runtime.v) < 0)
		return -1;
	if (c->idle.set && W(fd, "cpu.idle", "linux.resources.cpu.idle", "%" PRId64, c->idle.v) < 0)
		return -1;
	return 0;
}

static int v1_cpuset(int fd, const struct spec_cpu *c, struct pith_error *err)
{
	if (c->cpus && cgroup_write(fd, "cpuset.cpus", c->cpus, "linux.resources.cpu.cpus", err) < 0)
		return -1;
	if (c->mems && cgroup_write(fd, "cpuset.mems", c->mems, "linux.resources.cpu.mems", err) < 0)
		return -1;
	return 0;
}

/* Open the first of two files that exists (CFQ's blkio.weight is gone
 * since 5.0; BFQ offers blkio.bfq.weight). */
static int open_either(int dirfd, const char *a, const char *b, const char **used, const char *what,
		       struct pith_error *err)
{
	int fd = openat(dirfd, a, O_WRONLY | O_CLOEXEC);
	*used = a;
	if (fd < 0 && errno == ENOENT && b) {
		fd = openat(dirfd, b, O_WRONLY | O_CLOEXEC);
		*used = b;
	}
	if (fd < 0)
		return pith_fail(err, errno, "%s: %s%s%s %s", what, a, b ? " or " : "", b ? b : "",
				 errno == ENOENT ? "is not supported on this host (no such file in the blkio cgroup)"
						 : "cannot be opened");
	return fd;
}

static int throttle(int dirfd, const char *file, const struct spec_throttles *t, const char *what,
		    struct pith_error *err)
{
	if (!t->n)
		return 0;
	const char *used;
	auto_fd fd = open_either(dirfd, file, NULL, &used, what, err);
	if (fd < 0)
		return -1;
	for (size_t i = 0; i < t->n; i++) {
		char line[96];
		snprintf(line, sizeof(line), "%" PRId64 ":%" PRId64 " %" PRIu64, t->v[i].major, t->v[i].minor,
			 t->v[i].rate);
		if (cgroup_write_line(fd, file, line, what, err) < 0)
			return -1;
	}
	return 0;
}

static int v1_blkio(int dfd, const struct spec_block_io *b, struct pith_error *err)
{
	const char *used;
	if (b->weight.set) {
		auto_fd fd = open_either(dfd, "blkio.weight", "blkio.bfq.weight", &used, "linux.resources.blockIO.weight",
					 err);
		char v[32];
		snprintf(v, sizeof(v), "%" PRIu64, b->weight.v);
		if (fd < 0 || cgroup_write_line(fd, used, v, "linux.resources.blockIO.weight", err) < 0)
			return -1;
	}
	if (b->leaf_weight.set && W(dfd, "blkio.leaf_weight", "linux.resources.blockIO.leafWeight", "%" PRIu64,
				    b->leaf_weight.v) < 0)
		return -1;
	for (size_t i = 0; i < b->n_weight_device; i++) {
		const struct spec_weight_device *d = &b->weight_device[i];
		char line[96];
		if (d->weight.set) {
			auto_fd fd = open_either(dfd, "blkio.weight_device", "blkio.bfq.weight_device", &used,
						 "linux.resources.blockIO.weightDevice", err);
			snprintf(line, sizeof(line), "%" PRId64 ":%" PRId64 " %" PRIu64, d->major, d->minor, d->weight.v);
			if (fd < 0 || cgroup_write_line(fd, used, line, "linux.resources.blockIO.weightDevice", err) < 0)
				return -1;
		}
		if (d->leaf_weight.set) {
			snprintf(line, sizeof(line), "%" PRId64 ":%" PRId64 " %" PRIu64, d->major, d->minor,
				 d->leaf_weight.v);
			if (cgroup_write(dfd, "blkio.leaf_weight_device", line, "linux.resources.blockIO.weightDevice", err) < 0)
				return -1;
		}
	}
	if (throttle(dfd, "blkio.throttle.read_bps_device", &b->throttle_read_bps,
		     "linux.resources.blockIO.throttleReadBpsDevice", err) < 0 ||
	    throttle(dfd, "blkio.throttle.write_bps_device", &b->throttle_write_bps,
		     "linux.resources.blockIO.throttleWriteBpsDevice", err) < 0 ||
	    throttle(dfd, "blkio.throttle.read_iops_device", &b->throttle_read_iops,
		     "linux.resources.blockIO.throttleReadIOPSDevice", err) < 0 ||
	    throttle(dfd, "blkio.throttle.write_iops_device", &b->throttle_write_iops,
		     "linux.resources.blockIO.throttleWriteIOPSDevice", err) < 0)
		return -1;
	return 0;
}

static int v1_hugetlb(int fd, const struct spec_resources *r, struct pith_error *err)
{
	for (size_t i = 0; i < r->n_hugepage_limits; i++) {
		const struct spec_hugepage_limit *h = &r->hugepage_limits[i];
		char file[96];
		snprintf(file, sizeof(file), "hugetlb.%s.limit_in_bytes", h->page_size);
		if (W(fd, file, "linux.resources.hugepageLimits", "%" PRIu64, h->limit) < 0)
			return pith_wrap(err, "hugepage size %s", h->page_size);
		/* The reservation limit (5.7+) follows the same value when present. */
		snprintf(file, sizeof(file), "hugetlb.%s.rsvd.limit_in_bytes", h->page_size);
		int rr = W(fd, file, "linux.resources.hugepageLimits", "%" PRIu64, h->limit);
		if (rr < 0 && rr != -ENOENT)
			return -1;
	}
	return 0;
}

static int v1_net(int cls, int prio, const struct spec_network *n, struct pith_error *err)
{
	if (n->class_id.set && W(cls, "net_cls.classid", "linux.resources.network.classID", "%" PRIu64, n->class_id.v) < 0)
		return -1;
	if (!n->n_priorities)
		return 0;
	auto_fd fd = openat(prio, "net_prio.ifpriomap", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return pith_fail(err, errno, "linux.resources.network.priorities: net_prio.ifpriomap");
	for (size_t i = 0; i < n->n_priorities; i++) {
		char line[128];
		snprintf(line, sizeof(line), "%s %" PRIu32, n->priorities[i].name, n->priorities[i].priority);
		if (cgroup_write_line(fd, "net_prio.ifpriomap", line, "linux.resources.network.priorities", err) < 0)
			return -1;
	}
	return 0;
}

/* Shared by v1 and v2: the file and syntax are the same. */
static int rdma(int fd, const struct spec_resources *r, struct pith_error *err)
{
	for (size_t i = 0; i < r->n_rdma; i++) {
		const struct spec_rdma *d = &r->rdma[i];
		char h[32] = "max", o[32] = "max";
		if (d->hca_handles.set)
			snprintf(h, sizeof(h), "%" PRIu64, d->hca_handles.v);
		if (d->hca_objects.set)
			snprintf(o, sizeof(o), "%" PRIu64, d->hca_objects.v);
		if (W(fd, "rdma.max", "linux.resources.rdma", "%s hca_handle=%s hca_object=%s", d->device, h, o) < 0)
			return -1;
	}
	return 0;
}

int cgroup_v1_apply(const int dirs[CG__COUNT], const struct spec_resources *r, bool update, struct pith_error *err)
{
	if (!r->present)
		return 0;
	if (r->has_memory && dirs[CG_MEMORY] >= 0 && v1_memory(dirs[CG_MEMORY], &r->memory, update, err) < 0)
		return -1;
	if (r->has_cpu && dirs[CG_CPU] >= 0 && v1_cpu(dirs[CG_CPU], &r->cpu, err) < 0)
		return -1;
	if (r->has_cpu && dirs[CG_CPUSET] >= 0 && v1_cpuset(dirs[CG_CPUSET], &r->cpu, err) < 0)
		return -1;
	if (r->pids_limit.set && dirs[CG_PIDS] >= 0) {
		char v[32] = "max";
		if (r->pids_limit.v > 0)
			snprintf(v, sizeof(v), "%" PRId64, r->pids_limit.v);
		if (cgroup_write(dirs[CG_PIDS], "pids.max", v, "linux.resources.pids.limit", err) < 0)
			return -1;
	}
	if (r->has_block_io && dirs[CG_BLKIO] >= 0 && v1_blkio(dirs[CG_BLKIO], &r->block_io, err) < 0)
		return -1;
	if (r->n_hugepage_limits && dirs[CG_HUGETLB] >= 0 && v1_hugetlb(dirs[CG_HUGETLB], r, err) < 0)
		return -1;
	if (r->has_network && (dirs[CG_NET_CLS] >= 0 || dirs[CG_NET_PRIO] >= 0) &&
	    v1_net(dirs[CG_NET_CLS], dirs[CG_NET_PRIO], &r->network, err) < 0)
		return -1;
	if (r->n_rdma && dirs[CG_RDMA] >= 0 && rdma(dirs[CG_RDMA], r, err) < 0)
		return -1;
	return 0;
}

int cgroup_v2_rdma(int fd, const struct spec_resources *r, struct pith_error *err)
{
	return rdma(fd, r, err);
}

/* ---------- devices ---------- */

static void rule_text(char *buf, size_t cap, char type, int64_t major, int64_t minor, const char *access)
{
	char ma[24] = "*", mi[24] = "*";
	if (major >= 0)
		snprintf(ma, sizeof(ma), "%" PRId64, major);
	if (minor >= 0)
		snprintf(mi, sizeof(mi), "%" PRId64, minor);
	snprintf(buf, cap, "%c %s:%s %s", type, ma, mi, access);
}

int cgroup_v1_devices(int dirfd, const struct spec_device_rule *rules, size_t n, struct pith_error *err)
{
	auto_fd allow = openat(dirfd, "devices.allow", O_WRONLY | O_CLOEXEC);
	auto_fd deny = openat(dirfd, "devices.deny", O_WRONLY | O_CLOEXEC);
	if (allow < 0 || deny < 0)
		return pith_fail(err, errno, "linux.resources.devices: the devices cgroup has no devices.allow/deny");
	for (size_t i = 0; i < n; i++) {
		const struct spec_device_rule *d = &rules[i];
		const char *access = d->access && *d->access ? d->access : "rwm";
		int fd = d->allow ? allow : deny;
		const char *file = d->allow ? "devices.allow" : "devices.deny";
		char line[96];
		bool all = d->major < 0 && d->minor < 0 && strlen(access) == 3;
		if (d->type == 'a' && all) {
			/* The kernel's "a" resets the whole list (default allow or deny). */
			if (cgroup_write_line(fd, file, "a", "linux.resources.devices", err) < 0)
				return -1;
			continue;
		}
		/* "a" with a partial match is not something v1 can say: both kinds. */
		for (const char *t = d->type == 'a' ? "cb" : (d->type == 'b' ? "b" : "c"); *t; t++) {
			rule_text(line, sizeof(line), *t, d->major, d->minor, access);
			if (cgroup_write_line(fd, file, line, "linux.resources.devices", err) < 0)
				return -1;
		}
	}
	return 0;
}

/* ---------- freezer ---------- */

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = ms * 1000000L };
	nanosleep(&ts, NULL);
}

int cgroup_v1_is_frozen(int dirfd, bool *frozen, struct pith_error *err)
{
	auto_free char *state = NULL;
	if (cgroup_read(dirfd, "freezer.state", &state, err) < 0)
		return -1;
	*frozen = strncmp(state, "FROZEN", 6) == 0;
	return 0;
}

int cgroup_v1_freeze(int dirfd, bool frozen, struct pith_error *err)
{
	const char *want = frozen ? "FROZEN" : "THAWED";
	/* FREEZING can linger while a task is in an uninterruptible sleep;
	 * writing FROZEN again retries the stragglers. About 2 s in all. */
	for (int i = 0; i < 400; i++) {
		if (i % 20 == 0 && cgroup_write(dirfd, "freezer.state", want, "freezer", err) < 0)
			return -1;
		auto_free char *state = NULL;
		if (cgroup_read(dirfd, "freezer.state", &state, err) < 0)
			return -1;
		if (strncmp(state, want, strlen(want)) == 0)
			return 0;
		sleep_ms(5);
	}
	if (frozen)
		cgroup_write(dirfd, "freezer.state", "THAWED", "freezer", err);
	return pith_fail(err, EBUSY, "freezer: the cgroup did not reach %s in time", want);
}
