/* linux.resources: also parsed alone for `pith update --resources`. Values
 * are checked for type and range here; whether the host's cgroups can apply
 * them is the cgroup code's business. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "parse_internal.h"

/* What 0, -1 and absence mean, field by field: the one place that decides.
 * Engines fill in zero values for every flag the user did not give (Docker
 * writes "cpu": {"shares": 0}, "blockIO": {"weight": 0}, "memory":
 * {"swap": 0, "disableOOMKiller": false}), so a zero written as is would be
 * a 0-byte memory limit killing init, or an out-of-range blkio weight. The
 * spec speaks for few fields; where it is silent runc's libcontainer
 * decides: a zero runc does not write is "unset" here, a zero it writes is
 * a value. "unset" is exactly absence: nothing is written and no
 * controller is joined for it; on update the current value stays. */
const struct zero_rule spec_zero_rules[ZR__COUNT] = {
	[ZR_MEM_LIMIT] = { "memory.limit", ZERO_UNSET, NEG_UNLIMITED },
	[ZR_MEM_RESERVATION] = { "memory.reservation", ZERO_UNSET, NEG_UNLIMITED },
	[ZR_MEM_SWAP] = { "memory.swap", ZERO_UNSET, NEG_UNLIMITED },
	/* runc 1.1 ignores kernel memory limits; 0 and -1 ask for nothing, a
	 * positive value is refused by the cgroup code (the kernel dropped it). */
	[ZR_MEM_KERNEL] = { "memory.kernel", ZERO_UNSET, NEG_UNSET },
	[ZR_MEM_KERNEL_TCP] = { "memory.kernelTCP", ZERO_UNSET, NEG_UNSET },
	/* 0 is "avoid swapping", a real setting; -1 (as uint64: 2^64-1) is what
	 * Go engines write for "not set". */
	[ZR_MEM_SWAPPINESS] = { "memory.swappiness", ZERO_VALUE, NEG_UNSET },
	/* false is the kernel's default: nothing to write (runc writes only true). */
	[ZR_MEM_DISABLE_OOM] = { "memory.disableOOMKiller", ZERO_UNSET, NEG_REFUSED },
	/* runc never writes it; kernels since 5.16 refuse 0. */
	[ZR_MEM_USE_HIERARCHY] = { "memory.useHierarchy", ZERO_UNSET, NEG_REFUSED },
	[ZR_MEM_CHECK_BEFORE_UPDATE] = { "memory.checkBeforeUpdate", ZERO_UNSET, NEG_REFUSED },
	[ZR_CPU_SHARES] = { "cpu.shares", ZERO_UNSET, NEG_REFUSED },
	/* 0 quota is unset (runc v1); -1 is "no quota". */
	[ZR_CPU_QUOTA] = { "cpu.quota", ZERO_UNSET, NEG_UNLIMITED },
	/* burst and idle are pointers in runc: 0 is written. */
	[ZR_CPU_BURST] = { "cpu.burst", ZERO_VALUE, NEG_REFUSED },
	[ZR_CPU_PERIOD] = { "cpu.period", ZERO_UNSET, NEG_REFUSED },
	[ZR_CPU_RT_RUNTIME] = { "cpu.realtimeRuntime", ZERO_UNSET, NEG_UNLIMITED },
	[ZR_CPU_RT_PERIOD] = { "cpu.realtimePeriod", ZERO_UNSET, NEG_REFUSED },
	[ZR_CPU_CPUS] = { "cpu.cpus", ZERO_UNSET, NEG_REFUSED },   /* "" */
	[ZR_CPU_MEMS] = { "cpu.mems", ZERO_UNSET, NEG_REFUSED },   /* "" */
	[ZR_CPU_IDLE] = { "cpu.idle", ZERO_VALUE, NEG_REFUSED },
	/* runc: 0 leaves pids.max alone, any negative is "max". */
	[ZR_PIDS_LIMIT] = { "pids.limit", ZERO_UNSET, NEG_UNLIMITED },
	[ZR_BLKIO_WEIGHT] = { "blockIO.weight", ZERO_UNSET, NEG_REFUSED },
	[ZR_BLKIO_LEAF_WEIGHT] = { "blockIO.leafWeight", ZERO_UNSET, NEG_REFUSED },
	[ZR_BLKIO_DEVICE_WEIGHT] = { "blockIO.weightDevice[].weight", ZERO_UNSET, NEG_REFUSED },
	[ZR_BLKIO_DEVICE_LEAF_WEIGHT] = { "blockIO.weightDevice[].leafWeight", ZERO_UNSET, NEG_REFUSED },
	/* the kernel reads a 0 rate as "remove this device's limit" */
	[ZR_BLKIO_THROTTLE_RATE] = { "blockIO.throttle*Device[].rate", ZERO_VALUE, NEG_REFUSED },
	/* 0 bytes of huge pages is a real limit */
	[ZR_HUGEPAGE_LIMIT] = { "hugepageLimits[].limit", ZERO_VALUE, NEG_REFUSED },
	[ZR_NET_CLASS_ID] = { "network.classID", ZERO_UNSET, NEG_REFUSED },
	[ZR_NET_PRIORITY] = { "network.priorities[].priority", ZERO_VALUE, NEG_REFUSED },
	[ZR_RDMA_HCA_HANDLES] = { "rdma.*.hcaHandles", ZERO_VALUE, NEG_REFUSED },
	[ZR_RDMA_HCA_OBJECTS] = { "rdma.*.hcaObjects", ZERO_VALUE, NEG_REFUSED },
	/* written verbatim; an empty map writes nothing */
	[ZR_UNIFIED] = { "unified", ZERO_VALUE, NEG_REFUSED },
	/* Outside linux.resources, for completeness: both are written as given. */
	[ZR_OOM_SCORE_ADJ] = { "process.oomScoreAdj", ZERO_VALUE, NEG_VALUE },
	[ZR_RLIMIT] = { "process.rlimits[].soft/hard", ZERO_VALUE, NEG_REFUSED },
};

/* Apply a row to a parsed value: an "unset" zero or negative becomes absent,
 * and every unlimited negative is the one spelling -1. */
static void zr_i64(enum zr_field f, spec_i64 *v)
{
	const struct zero_rule *z = &spec_zero_rules[f];
	if (!v->set)
		return;
	if (v->v == 0 && z->zero == ZERO_UNSET)
		v->set = false;
	else if (v->v < 0 && z->neg == NEG_UNSET)
		v->set = false;
	else if (v->v < 0 && z->neg == NEG_UNLIMITED)
		v->v = -1;
}

static void zr_u64(enum zr_field f, spec_u64 *v)
{
	const struct zero_rule *z = &spec_zero_rules[f];
	if (!v->set)
		return;
	if (v->v == 0 && z->zero == ZERO_UNSET)
		v->set = false;
	else if (v->v == UINT64_MAX && z->neg == NEG_UNSET)
		v->set = false;
}

static void zr_bool(enum zr_field f, spec_bool *v)
{
	if (v->set && !v->v && spec_zero_rules[f].zero == ZERO_UNSET)
		v->set = false;
}

static void zr_str(enum zr_field f, const char **s)
{
	if (*s && !**s && spec_zero_rules[f].zero == ZERO_UNSET)
		*s = NULL;
}

static int parse_device_rule(const struct pctx *c, json_t *o, const struct jpath *at,
			     struct spec_device_rule *d)
{
	const char *type = NULL;
	bool set = false;
	TRY(rd_object(c, o, at));
	TRY(f_bool(c, o, at, "allow", &d->allow, &set));
	if (!set)
		return perr(c, JP_KEY(at, "allow"), "required");
	TRY(f_str(c, o, at, "type", false, &type));
	d->type = 'a';
	if (type) {
		if (strlen(type) != 1 || !strchr("abc", type[0]))
			return perr(c, JP_KEY(at, "type"), "must be one of a, b, c (got \"%s\")", type);
		d->type = type[0];
	}
	d->major = d->minor = -1;
	TRY(f_int(c, o, at, "major", false, -1, INT64_MAX, &d->major, NULL));
	TRY(f_int(c, o, at, "minor", false, -1, INT64_MAX, &d->minor, NULL));
	d->access = "rwm";
	TRY(f_str(c, o, at, "access", false, &d->access));
	if (d->access[strspn(d->access, "rwm")])
		return perr(c, JP_KEY(at, "access"), "must be made of r, w and m (got \"%s\")", d->access);
	return 0;
}

static int parse_device_rules(const struct pctx *c, json_t *res, const struct jpath *rat,
			      struct spec_resources *r)
{
	json_t *arr;
	TRY(f_array(c, res, rat, "devices", &arr));
	if (!arr)
		return 0;
	size_t n = json_array_size(arr);
	r->devices = p_calloc(c, n, sizeof(*r->devices));
	if (!r->devices)
		return -ENOMEM;
	r->n_devices = n;
	const struct jpath *at = JP_KEY(rat, "devices");
	for (size_t i = 0; i < n; i++)
		TRY(parse_device_rule(c, json_array_get(arr, i), JP_IDX(at, i), &r->devices[i]));
	return 0;
}

static int parse_memory(const struct pctx *c, json_t *res, const struct jpath *rat,
			struct spec_resources *r)
{
	json_t *o;
	TRY(f_object(c, res, rat, "memory", &o));
	if (!o)
		return 0;
	const struct jpath *at = JP_KEY(rat, "memory");
	struct spec_memory *m = &r->memory;
	/* Byte counts, -1 meaning unlimited. */
	TRY(f_i64(c, o, at, "limit", -1, INT64_MAX, &m->limit));
	TRY(f_i64(c, o, at, "reservation", -1, INT64_MAX, &m->reservation));
	TRY(f_i64(c, o, at, "swap", -1, INT64_MAX, &m->swap));
	TRY(f_i64(c, o, at, "kernel", -1, INT64_MAX, &m->kernel));
	TRY(f_i64(c, o, at, "kernelTCP", -1, INT64_MAX, &m->kernel_tcp));
	TRY(f_u64(c, o, at, "swappiness", UINT64_MAX, &m->swappiness));
	zr_u64(ZR_MEM_SWAPPINESS, &m->swappiness);
	if (m->swappiness.set && m->swappiness.v > 100)
		return perr(c, JP_KEY(at, "swappiness"), "must be between 0 and 100 (got %" PRIu64 ")",
			    m->swappiness.v);
	TRY(f_bool(c, o, at, "disableOOMKiller", &m->disable_oom_killer.v, &m->disable_oom_killer.set));
	TRY(f_bool(c, o, at, "useHierarchy", &m->use_hierarchy.v, &m->use_hierarchy.set));
	TRY(f_bool(c, o, at, "checkBeforeUpdate", &m->check_before_update.v,
		   &m->check_before_update.set));
	if (m->limit.set && m->swap.set && m->limit.v > 0 && m->swap.v > 0 && m->swap.v < m->limit.v)
		return perr(c, JP_KEY(at, "swap"),
			    "memory+swap limit %" PRId64 " is below the memory limit %" PRId64, m->swap.v,
			    m->limit.v);
	r->has_memory = true;
	return 0;
}

static int cpu_set(const struct pctx *c, json_t *o, const struct jpath *at, const char *key,
		   const char **out)
{
	TRY(f_str(c, o, at, key, false, out));
	if (*out && (*out)[strspn(*out, "0123456789,- ")])
		return perr(c, JP_KEY(at, key), "invalid list \"%s\"", *out);
	return 0;
}

static int parse_cpu(const struct pctx *c, json_t *res, const struct jpath *rat,
		     struct spec_resources *r)
{
	json_t *o;
	TRY(f_object(c, res, rat, "cpu", &o));
	if (!o)
		return 0;
	const struct jpath *at = JP_KEY(rat, "cpu");
	struct spec_cpu *p = &r->cpu;
	TRY(f_u64(c, o, at, "shares", UINT64_MAX, &p->shares));
	TRY(f_i64(c, o, at, "quota", -1, INT64_MAX, &p->quota));
	TRY(f_u64(c, o, at, "burst", UINT64_MAX, &p->burst));
	TRY(f_u64(c, o, at, "period", UINT64_MAX, &p->period));
	TRY(f_i64(c, o, at, "realtimeRuntime", -1, INT64_MAX, &p->realtime_runtime));
	TRY(f_u64(c, o, at, "realtimePeriod", UINT64_MAX, &p->realtime_period));
	TRY(cpu_set(c, o, at, "cpus", &p->cpus));
	TRY(cpu_set(c, o, at, "mems", &p->mems));
	TRY(f_i64(c, o, at, "idle", 0, 1, &p->idle));
	if (p->burst.set && p->quota.set && p->quota.v > 0 && p->burst.v > (uint64_t)p->quota.v)
		return perr(c, JP_KEY(at, "burst"), "%" PRIu64 " exceeds quota %" PRId64, p->burst.v,
			    p->quota.v);
	r->has_cpu = true;
	return 0;
}

static int parse_pids(const struct pctx *c, json_t *res, const struct jpath *rat,
		      struct spec_resources *r)
{
	json_t *o;
	TRY(f_object(c, res, rat, "pids", &o));
	if (!o)
		return 0;
	const struct jpath *at = JP_KEY(rat, "pids");
	r->pids_limit.set = true;
	return f_int(c, o, at, "limit", true, INT64_MIN, INT64_MAX, &r->pids_limit.v, NULL);
}

static int parse_throttles(const struct pctx *c, json_t *bio, const struct jpath *bat,
			   const char *key, struct spec_throttles *t)
{
	json_t *arr;
	TRY(f_array(c, bio, bat, key, &arr));
	if (!arr)
		return 0;
	size_t n = json_array_size(arr);
	t->v = p_calloc(c, n, sizeof(*t->v));
	if (!t->v)
		return -ENOMEM;
	t->n = n;
	const struct jpath *at = JP_KEY(bat, key);
	for (size_t i = 0; i < n; i++) {
		const struct jpath *tat = JP_IDX(at, i);
		json_t *o = json_array_get(arr, i);
		TRY(rd_object(c, o, tat));
		TRY(f_int(c, o, tat, "major", true, 0, INT64_MAX, &t->v[i].major, NULL));
		TRY(f_int(c, o, tat, "minor", true, 0, INT64_MAX, &t->v[i].minor, NULL));
		TRY(f_uint(c, o, tat, "rate", true, UINT64_MAX, &t->v[i].rate, NULL));
	}
	return 0;
}

static int parse_weight_devices(const struct pctx *c, json_t *bio, const struct jpath *bat,
				struct spec_block_io *b)
{
	json_t *arr;
	TRY(f_array(c, bio, bat, "weightDevice", &arr));
	if (!arr)
		return 0;
	size_t n = json_array_size(arr);
	b->weight_device = p_calloc(c, n, sizeof(*b->weight_device));
	if (!b->weight_device)
		return -ENOMEM;
	b->n_weight_device = n;
	const struct jpath *at = JP_KEY(bat, "weightDevice");
	for (size_t i = 0; i < n; i++) {
		const struct jpath *wat = JP_IDX(at, i);
		json_t *o = json_array_get(arr, i);
		struct spec_weight_device *w = &b->weight_device[i];
		TRY(rd_object(c, o, wat));
		TRY(f_int(c, o, wat, "major", true, 0, INT64_MAX, &w->major, NULL));
		TRY(f_int(c, o, wat, "minor", true, 0, INT64_MAX, &w->minor, NULL));
		TRY(f_u64(c, o, wat, "weight", UINT16_MAX, &w->weight));
		TRY(f_u64(c, o, wat, "leafWeight", UINT16_MAX, &w->leaf_weight));
		if (!w->weight.set && !w->leaf_weight.set)
			return perr(c, wat, "needs weight or leafWeight");
		/* after the check: {"weight": 0} is a no-op, as in runc */
		zr_u64(ZR_BLKIO_DEVICE_WEIGHT, &w->weight);
		zr_u64(ZR_BLKIO_DEVICE_LEAF_WEIGHT, &w->leaf_weight);
	}
	return 0;
}

static int parse_block_io(const struct pctx *c, json_t *res, const struct jpath *rat,
			  struct spec_resources *r)
{
	json_t *o;
	TRY(f_object(c, res, rat, "blockIO", &o));
	if (!o)
		return 0;
	const struct jpath *at = JP_KEY(rat, "blockIO");
	struct spec_block_io *b = &r->block_io;
	TRY(f_u64(c, o, at, "weight", UINT16_MAX, &b->weight));
	TRY(f_u64(c, o, at, "leafWeight", UINT16_MAX, &b->leaf_weight));
	TRY(parse_weight_devices(c, o, at, b));
	TRY(parse_throttles(c, o, at, "throttleReadBpsDevice", &b->throttle_read_bps));
	TRY(parse_throttles(c, o, at, "throttleWriteBpsDevice", &b->throttle_write_bps));
	TRY(parse_throttles(c, o, at, "throttleReadIOPSDevice", &b->throttle_read_iops));
	TRY(parse_throttles(c, o, at, "throttleWriteIOPSDevice", &b->throttle_write_iops));
	r->has_block_io = true;
	return 0;
}

static bool valid_page_size(const char *s)
{
	size_t d = strspn(s, "0123456789");
	return d > 0 && s[d] && strchr("KMG", s[d]) && s[d + 1] == 'B' && s[d + 2] == '\0';
}

static int parse_hugepages(const struct pctx *c, json_t *res, const struct jpath *rat,
			   struct spec_resources *r)
{
	json_t *arr;
	TRY(f_array(c, res, rat, "hugepageLimits", &arr));
	if (!arr)
		return 0;
	size_t n = json_array_size(arr);
	r->hugepage_limits = p_calloc(c, n, sizeof(*r->hugepage_limits));
	if (!r->hugepage_limits)
		return -ENOMEM;
	r->n_hugepage_limits = n;
	const struct jpath *at = JP_KEY(rat, "hugepageLimits");
	for (size_t i = 0; i < n; i++) {
		const struct jpath *hat = JP_IDX(at, i);
		json_t *o = json_array_get(arr, i);
		struct spec_hugepage_limit *h = &r->hugepage_limits[i];
		TRY(rd_object(c, o, hat));
		TRY(f_str(c, o, hat, "pageSize", true, &h->page_size));
		if (!valid_page_size(h->page_size))
			return perr(c, JP_KEY(hat, "pageSize"), "must look like 2MB, 1GB or 64KB (got \"%s\")",
				    h->page_size);
		TRY(f_uint(c, o, hat, "limit", true, UINT64_MAX, &h->limit, NULL));
	}
	return 0;
}

static int parse_network(const struct pctx *c, json_t *res, const struct jpath *rat,
			 struct spec_resources *r)
{
	json_t *o, *arr;
	TRY(f_object(c, res, rat, "network", &o));
	if (!o)
		return 0;
	const struct jpath *at = JP_KEY(rat, "network");
	struct spec_network *nw = &r->network;
	TRY(f_u64(c, o, at, "classID", UINT32_MAX, &nw->class_id));
	TRY(f_array(c, o, at, "priorities", &arr));
	size_t n = arr ? json_array_size(arr) : 0;
	if (n) {
		nw->priorities = p_calloc(c, n, sizeof(*nw->priorities));
		if (!nw->priorities)
			return -ENOMEM;
		nw->n_priorities = n;
	}
	const struct jpath *pat = JP_KEY(at, "priorities");
	for (size_t i = 0; i < n; i++) {
		const struct jpath *iat = JP_IDX(pat, i);
		json_t *p = json_array_get(arr, i);
		TRY(rd_object(c, p, iat));
		TRY(f_str(c, p, iat, "name", true, &nw->priorities[i].name));
		TRY(f_u32(c, p, iat, "priority", true, &nw->priorities[i].priority));
	}
	r->has_network = true;
	return 0;
}

static int parse_rdma(const struct pctx *c, json_t *res, const struct jpath *rat,
		      struct spec_resources *r)
{
	json_t *o, *v;
	const char *dev;
	TRY(f_object(c, res, rat, "rdma", &o));
	if (!o || json_object_size(o) == 0)
		return 0;
	const struct jpath *at = JP_KEY(rat, "rdma");
	r->rdma = p_calloc(c, json_object_size(o), sizeof(*r->rdma));
	if (!r->rdma)
		return -ENOMEM;
	json_object_foreach(o, dev, v) {
		const struct jpath *dat = JP_MAP(at, dev);
		struct spec_rdma *d = &r->rdma[r->n_rdma++];
		d->device = dev;
		TRY(rd_object(c, v, dat));
		TRY(f_u64(c, v, dat, "hcaHandles", UINT32_MAX, &d->hca_handles));
		TRY(f_u64(c, v, dat, "hcaObjects", UINT32_MAX, &d->hca_objects));
		if (!d->hca_handles.set && !d->hca_objects.set)
			return perr(c, dat, "needs hcaHandles or hcaObjects");
	}
	return 0;
}

void spec_resources_zero_rules(struct spec_resources *r)
{
	struct spec_memory *m = &r->memory;
	zr_i64(ZR_MEM_LIMIT, &m->limit);
	zr_i64(ZR_MEM_RESERVATION, &m->reservation);
	zr_i64(ZR_MEM_SWAP, &m->swap);
	zr_i64(ZR_MEM_KERNEL, &m->kernel);
	zr_i64(ZR_MEM_KERNEL_TCP, &m->kernel_tcp);
	zr_u64(ZR_MEM_SWAPPINESS, &m->swappiness);
	zr_bool(ZR_MEM_DISABLE_OOM, &m->disable_oom_killer);
	zr_bool(ZR_MEM_USE_HIERARCHY, &m->use_hierarchy);
	zr_bool(ZR_MEM_CHECK_BEFORE_UPDATE, &m->check_before_update);
	struct spec_cpu *p = &r->cpu;
	zr_u64(ZR_CPU_SHARES, &p->shares);
	zr_i64(ZR_CPU_QUOTA, &p->quota);
	zr_u64(ZR_CPU_BURST, &p->burst);
	zr_u64(ZR_CPU_PERIOD, &p->period);
	zr_i64(ZR_CPU_RT_RUNTIME, &p->realtime_runtime);
	zr_u64(ZR_CPU_RT_PERIOD, &p->realtime_period);
	zr_str(ZR_CPU_CPUS, &p->cpus);
	zr_str(ZR_CPU_MEMS, &p->mems);
	zr_i64(ZR_CPU_IDLE, &p->idle);
	zr_i64(ZR_PIDS_LIMIT, &r->pids_limit);
	zr_u64(ZR_BLKIO_WEIGHT, &r->block_io.weight);
	zr_u64(ZR_BLKIO_LEAF_WEIGHT, &r->block_io.leaf_weight);
	zr_u64(ZR_NET_CLASS_ID, &r->network.class_id);
}

int parse_resources(const struct pctx *c, json_t *res, const struct jpath *at, struct spec_resources *r)
{
	TRY(rd_object(c, res, at));
	r->present = true;
	TRY(parse_device_rules(c, res, at, r));
	TRY(parse_memory(c, res, at, r));
	TRY(parse_cpu(c, res, at, r));
	TRY(parse_pids(c, res, at, r));
	TRY(parse_block_io(c, res, at, r));
	TRY(parse_hugepages(c, res, at, r));
	TRY(parse_network(c, res, at, r));
	TRY(parse_rdma(c, res, at, r));
	TRY(f_kvv(c, res, at, "unified", &r->unified));
	spec_resources_zero_rules(r);
	return 0;
}

void resources_release(struct spec_resources *r)
{
	free(r->devices);
	free(r->block_io.weight_device);
	free(r->block_io.throttle_read_bps.v);
	free(r->block_io.throttle_write_bps.v);
	free(r->block_io.throttle_read_iops.v);
	free(r->block_io.throttle_write_iops.v);
	free(r->hugepage_limits);
	free(r->network.priorities);
	free(r->rdma);
	free(r->unified.v);
	r->devices = NULL;
	r->block_io.weight_device = NULL;
	r->block_io.throttle_read_bps.v = r->block_io.throttle_write_bps.v = NULL;
	r->block_io.throttle_read_iops.v = r->block_io.throttle_write_iops.v = NULL;
	r->hugepage_limits = NULL;
	r->network.priorities = NULL;
	r->rdma = NULL;
	r->unified.v = NULL;
}
