/* linux.resources on the cgroup v2 leaf, with the v1 -> v2 conversions
 * runc and crun document: cpu.shares -> cpu.weight, blkio weight -> io.weight,
 * memory+swap -> memory.swap.max. Fields v2 cannot express are refused with
 * the field's name rather than silently dropped. What 0 and -1 mean was
 * decided by the parser (spec_zero_rules): a set field is a value. */
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


/* ---------- conversions ---------- */

/* Natural log of x > 0 without libm: x = m * 2^k with m in [1, 2),
 * ln m = 2 atanh((m-1)/(m+1)), a fast series there. */
static double ln_(double x)
{
	int k = 0;
	while (x >= 2.0) {
		x /= 2.0;
		k++;
	}
	while (x < 1.0) {
		x *= 2.0;
		k--;
	}
	double y = (x - 1.0) / (x + 1.0), y2 = y * y, term = y, sum = 0.0;
	for (int n = 1; n < 60; n += 2) {
		sum += term / n;
		term *= y2;
	}
	return 2.0 * sum + k * 0.69314718055994530942;
}

static double exp_(double x)
{
	/* x = n ln2 + r, |r| <= ln2/2, then Taylor for e^r. */
	double ln2 = 0.69314718055994530942;
	long n = (long)(x / ln2 + (x >= 0 ? 0.5 : -0.5));
	double r = x - (double)n * ln2, term = 1.0, sum = 1.0;
	for (int i = 1; i < 30; i++) {
		term *= r / i;
		sum += term;
	}
	for (; n > 0; n--)
		sum *= 2.0;
	for (; n < 0; n++)
		sum /= 2.0;
	return sum;
}

/* crun's mapping (1.23+): a quadratic in log2(shares) through the three
 * points that matter: 2 -> 1, 1024 -> 100 (both defaults), 262144 -> 10000.
 * weight = ceil(10^((l^2 + 125 l) / 612 - 7/34)), l = log2(shares).
 * The small epsilon keeps exact points (1024 -> 100) from rounding up
 * through floating error. */
uint64_t cgroup_shares_to_weight(uint64_t shares)
{
	if (shares == 0)
		return 0;
	if (shares <= 2)
		return 1;
	if (shares >= 262144)
		return 10000;
	double l = ln_((double)shares) / 0.69314718055994530942;
	double e = (l * l + 125.0 * l) / 612.0 - 7.0 / 34.0;
	double w = exp_(e * 2.30258509299404568402) - 1e-9;
	uint64_t wi = (uint64_t)w;
	if ((double)wi < w)
		wi++;
	return wi < 1 ? 1 : wi > 10000 ? 10000 : wi;
}

uint64_t cgroup_blkio_weight_to_io(uint64_t weight)
{
	if (weight == 0)
		return 0;
	return 1 + (weight - 10) * 9999 / 990;
}

int cgroup_swap_to_v2(int64_t swap, int64_t limit, bool limit_set, int64_t *out, bool *skip,
		      struct pith_error *err)
{
	*skip = false;
	if (!limit_set)
		limit = 0;
	/* No limit and no swap given: swap follows memory, unlimited. */
	if (limit == -1 && swap == 0) {
		*out = -1;
		return 0;
	}
	if (swap == -1) {
		*out = -1;
		return 0;
	}
	if (swap == 0) {
		*skip = true;
		return 0;
	}
	if (limit == 0 || limit == -1)
		return pith_fail(err, EINVAL, "linux.resources.memory.swap: a swap limit needs a memory limit on cgroup v2");
	if (swap < limit)
		return pith_fail(err, EINVAL, "linux.resources.memory.swap (%" PRId64 ") must be >= memory.limit (%" PRId64
				 "): it is memory+swap", swap, limit);
	*out = swap - limit;
	return 0;
}

static void max_or(char *buf, size_t cap, int64_t v)
{
	if (v < 0)
		snprintf(buf, cap, "max");
	else
		snprintf(buf, cap, "%" PRId64, v);
}

/* ---------- per controller ---------- */

static int v2_memory(int fd, const struct spec_memory *m, bool update, struct pith_error *err)
{
	char v[32];
	if (m->swappiness.set)
		return pith_fail(err, ENOTSUP, "linux.resources.memory.swappiness is not supported on cgroup v2");
	if (m->disable_oom_killer.set && m->disable_oom_killer.v)
		return pith_fail(err, ENOTSUP, "linux.resources.memory.disableOOMKiller is not supported on cgroup v2");
	if (m->use_hierarchy.set && !m->use_hierarchy.v)
		return pith_fail(err, ENOTSUP, "linux.resources.memory.useHierarchy=false is not supported on cgroup v2 "
				 "(always hierarchical)");
	if (update && m->check_before_update.set && m->check_before_update.v && m->limit.set && m->limit.v > 0) {
		uint64_t usage;
		if (cgroup_read_u64(fd, "memory.current", &usage, err) < 0)
			return -1;
		if (usage > (uint64_t)m->limit.v)
			return pith_fail(err, EBUSY, "linux.resources.memory.checkBeforeUpdate: current usage %" PRIu64
					 " is above the new limit %" PRId64, usage, m->limit.v);
	}
	if (m->limit.set) {
		max_or(v, sizeof(v), m->limit.v);
		if (cgroup_write(fd, "memory.max", v, "linux.resources.memory.limit", err) < 0)
			return -1;
	}
	if (m->swap.set || (m->limit.set && m->limit.v == -1)) {
		int64_t sw;
		bool skip;
		if (cgroup_swap_to_v2(m->swap.set ? m->swap.v : 0, m->limit.v, m->limit.set, &sw, &skip, err) < 0)
			return -1;
		max_or(v, sizeof(v), sw);
		int r = skip ? 0 : cgroup_write(fd, "memory.swap.max", v, "linux.resources.memory.swap", err);
		/* No swap support (CONFIG_SWAP off, common on boards): unlimited is moot. */
		if (r < 0 && !(r == -ENOENT && sw == -1))
			return r;
	}
	if (m->reservation.set) {
		max_or(v, sizeof(v), m->reservation.v);
		if (cgroup_write(fd, "memory.low", v, "linux.resources.memory.reservation", err) < 0)
			return -1;
	}
	return 0;
}

static int v2_cpu(int fd, const struct spec_cpu *c, struct pith_error *err)
{
	if (c->realtime_runtime.set || c->realtime_period.set)
		return pith_fail(err, ENOTSUP, "linux.resources.cpu.realtimeRuntime/realtimePeriod are not supported on "
				 "cgroup v2");
	if (c->shares.set &&
	    W(fd, "cpu.weight", "linux.resources.cpu.shares", "%" PRIu64, cgroup_shares_to_weight(c->shares.v)) < 0)
		return -1;
	if (c->quota.set || (c->period.set && c->period.v)) {
		char q[32] = "max";
		if (c->quota.set && c->quota.v > 0) {
			snprintf(q, sizeof(q), "%" PRId64, c->quota.v);
		} else if (!c->quota.set) {
			/* Only the period changes: keep the current quota. */
			auto_free char *cur = NULL;
			if (cgroup_read(fd, "cpu.max", &cur, err) < 0)
				return -1;
			snprintf(q, sizeof(q), "%.*s", (int)strcspn(cur, " \n"), cur);
		}
		int r = c->period.set && c->period.v
			? W(fd, "cpu.max", "linux.resources.cpu.quota", "%s %" PRIu64, q, c->period.v)
			: cgroup_write(fd, "cpu.max", q, "linux.resources.cpu.quota", err);
		if (r < 0)
			return -1;
	}
	if (c->burst.set && W(fd, "cpu.max.burst", "linux.resources.cpu.burst", "%" PRIu64, c->burst.v) < 0)
		return -1;
	if (c->idle.set && W(fd, "cpu.idle", "linux.resources.cpu.idle", "%" PRId64, c->idle.v) < 0)
		return -1;
	return 0;
}

static int v2_cpuset(int fd, const struct spec_cpu *c, struct pith_error *err)
{
	if (c->cpus && cgroup_write(fd, "cpuset.cpus", c->cpus, "linux.resources.cpu.cpus", err) < 0)
		return -1;
	if (c->mems && cgroup_write(fd, "cpuset.mems", c->mems, "linux.resources.cpu.mems", err) < 0)
		return -1;
	return 0;
}

static int io_lines(int fd, const struct spec_throttles *t, const char *key, const char *what, struct pith_error *err)
{
	for (size_t i = 0; i < t->n; i++) {
		char line[96];
		snprintf(line, sizeof(line), "%" PRId64 ":%" PRId64 " %s=%" PRIu64, t->v[i].major, t->v[i].minor, key,
			 t->v[i].rate);
		if (cgroup_write_line(fd, "io.max", line, what, err) < 0)
			return -1;
	}
	return 0;
}

/* io.bfq.weight takes blkio's 1..1000 scale as is; io.weight needs 1..10000. */
static int io_weight(int dfd, const char *dev, uint64_t w, const char *what, struct pith_error *err)
{
	char line[64];
	auto_fd fd = openat(dfd, "io.bfq.weight", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		snprintf(line, sizeof(line), "%s%s%" PRIu64, dev ? dev : "", dev ? " " : "", w);
		return cgroup_write_line(fd, "io.bfq.weight", line, what, err);
	}
	snprintf(line, sizeof(line), "%s %" PRIu64, dev ? dev : "default", cgroup_blkio_weight_to_io(w));
	return cgroup_write(dfd, "io.weight", line, what, err);
}

static int v2_io(int fd, const struct spec_block_io *b, struct pith_error *err)
{
	if (b->leaf_weight.set)
		return pith_fail(err, ENOTSUP, "linux.resources.blockIO.leafWeight is not supported on cgroup v2");
	if (b->weight.set && io_weight(fd, NULL, b->weight.v, "linux.resources.blockIO.weight", err) < 0)
		return -1;
	for (size_t i = 0; i < b->n_weight_device; i++) {
		const struct spec_weight_device *d = &b->weight_device[i];
		char dev[48];
		snprintf(dev, sizeof(dev), "%" PRId64 ":%" PRId64, d->major, d->minor);
		if (d->leaf_weight.set)
			return pith_fail(err, ENOTSUP, "linux.resources.blockIO.weightDevice[%zu].leafWeight is not "
					 "supported on cgroup v2", i);
		if (d->weight.set && io_weight(fd, dev, d->weight.v, "linux.resources.blockIO.weightDevice", err) < 0)
			return -1;
	}
	if (!b->throttle_read_bps.n && !b->throttle_write_bps.n && !b->throttle_read_iops.n && !b->throttle_write_iops.n)
		return 0;
	/* One open for every throttle: io.max takes one device line per write. */
	auto_fd mfd = openat(fd, "io.max", O_WRONLY | O_CLOEXEC);
	if (mfd < 0)
		return pith_fail(err, errno, "linux.resources.blockIO throttles: io.max %s",
				 errno == ENOENT ? "is not supported on this host" : "cannot be opened");
	if (io_lines(mfd, &b->throttle_read_bps, "rbps", "linux.resources.blockIO.throttleReadBpsDevice", err) < 0 ||
	    io_lines(mfd, &b->throttle_write_bps, "wbps", "linux.resources.blockIO.throttleWriteBpsDevice", err) < 0 ||
	    io_lines(mfd, &b->throttle_read_iops, "riops", "linux.resources.blockIO.throttleReadIOPSDevice", err) < 0 ||
	    io_lines(mfd, &b->throttle_write_iops, "wiops", "linux.resources.blockIO.throttleWriteIOPSDevice", err) < 0)
		return -1;
	return 0;
}

static int v2_hugetlb(int fd, const struct spec_resources *r, struct pith_error *err)
{
	for (size_t i = 0; i < r->n_hugepage_limits; i++) {
		const struct spec_hugepage_limit *h = &r->hugepage_limits[i];
		char file[96];
		snprintf(file, sizeof(file), "hugetlb.%s.max", h->page_size);
		if (W(fd, file, "linux.resources.hugepageLimits", "%" PRIu64, h->limit) < 0)
			return pith_wrap(err, "hugepage size %s", h->page_size);
		snprintf(file, sizeof(file), "hugetlb.%s.rsvd.max", h->page_size);
		int rr = W(fd, file, "linux.resources.hugepageLimits", "%" PRIu64, h->limit);
		if (rr < 0 && rr != -ENOENT)
			return -1;
	}
	return 0;
}

int cgroup_v2_apply(int fd, unsigned owned, const struct spec_resources *r, bool update, struct pith_error *err)
{
	if (!r->present)
		return 0;
#define OWN(c) (owned & CG_BIT(c))
	if (r->has_memory && OWN(CG_MEMORY) && v2_memory(fd, &r->memory, update, err) < 0)
		return -1;
	if (r->has_cpu && OWN(CG_CPU) && v2_cpu(fd, &r->cpu, err) < 0)
		return -1;
	if (r->has_cpu && OWN(CG_CPUSET) && v2_cpuset(fd, &r->cpu, err) < 0)
		return -1;
	if (r->pids_limit.set && OWN(CG_PIDS)) {
		char v[32] = "max";
		if (r->pids_limit.v > 0)
			snprintf(v, sizeof(v), "%" PRId64, r->pids_limit.v);
		if (cgroup_write(fd, "pids.max", v, "linux.resources.pids.limit", err) < 0)
			return -1;
	}
	if (r->has_block_io && OWN(CG_BLKIO) && v2_io(fd, &r->block_io, err) < 0)
		return -1;
	if (r->n_hugepage_limits && OWN(CG_HUGETLB) && v2_hugetlb(fd, r, err) < 0)
		return -1;
	if (r->n_rdma && OWN(CG_RDMA) && cgroup_v2_rdma(fd, r, err) < 0)
		return -1;
#undef OWN
	/* Written last, so an explicit unified value wins over a converted one. */
	for (size_t i = 0; i < r->unified.n; i++)
		if (cgroup_write(fd, r->unified.v[i].key, r->unified.v[i].value, "linux.resources.unified", err) < 0)
			return -1;
	return 0;
}

/* ---------- freezer (core v2, no controller) ---------- */

int cgroup_v2_is_frozen(int fd, bool *frozen, struct pith_error *err)
{
	auto_free char *ev = NULL;
	uint64_t v = 0;
	if (cgroup_read(fd, "cgroup.events", &ev, err) < 0)
		return -1;
	*frozen = cgroup_kv_u64(ev, "frozen", &v) == 0 && v == 1;
	return 0;
}

int cgroup_v2_freeze(int fd, bool frozen, struct pith_error *err)
{
	if (cgroup_write(fd, "cgroup.freeze", frozen ? "1" : "0", "cgroup.freeze", err) < 0)
		return -1;
	/* The write returns before every task stopped: wait for cgroup.events. */
	for (int i = 0; i < 400; i++) {
		bool now;
		if (cgroup_v2_is_frozen(fd, &now, err) < 0)
			return -1;
		if (now == frozen)
			return 0;
		struct timespec ts = { 0, 5 * 1000000L };
		nanosleep(&ts, NULL);
	}
	if (frozen)
		cgroup_write(fd, "cgroup.freeze", "0", "cgroup.freeze", err);
	return pith_fail(err, EBUSY, "cgroup.freeze: the cgroup did not become %s in time", frozen ? "frozen" : "thawed");
}
