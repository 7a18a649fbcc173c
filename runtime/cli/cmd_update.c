/* update: new linux.resources for a running container's cgroup, from
 * runc's flags or a --resources JSON file. */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../cgroup/cgroup.h"
#include "commands.h"
#include "../container.h"

/* runc's sizes: "512", "64k", "100m", "1g" (binary units), or -1. */
static int parse_size(const char *s, const char *opt, int64_t *out, struct pith_error *err)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s)
		return pith_usage_error(err, "update", "%s: invalid size \"%s\"", opt, s);
	int shift = 0;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	}
	if (*end == 'b' || *end == 'B')
		end++;
	if (*end || (shift && (v < 0 || v > (INT64_MAX >> shift))))
		return pith_usage_error(err, "update", "%s: invalid size \"%s\"", opt, s);
	*out = (int64_t)v << shift;
	return 0;
}

static int parse_num(const char *s, const char *opt, int64_t *out, struct pith_error *err)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || *end)
		return pith_usage_error(err, "update", "%s: invalid number \"%s\"", opt, s);
	*out = v;
	return 0;
}

static int read_resources(const char *file, json_t **out, struct pith_error *err)
{
	json_error_t jerr;
	json_t *j = strcmp(file, "-") == 0 ? json_loadf(stdin, 0, &jerr) : json_load_file(file, 0, &jerr);
	if (!j)
		return pith_fail(err, 0, "--resources %s: %s (line %d)", file, jerr.text, jerr.line);
	*out = j;
	return 0;
}

enum {
	U_RES = 'r', U_BLKIO = 256, U_PERIOD, U_QUOTA, U_SHARES, U_RT_PERIOD, U_RT_RUNTIME, U_CPUS, U_MEMS,
	U_MEM, U_MEM_RES, U_SWAP, U_PIDS, U_L3, U_MEMBW, U_HELP = 'h'
};

static const struct option update_opts[] = {
	{ "resources", required_argument, NULL, U_RES },
	{ "blkio-weight", required_argument, NULL, U_BLKIO },
	{ "cpu-period", required_argument, NULL, U_PERIOD },
	{ "cpu-quota", required_argument, NULL, U_QUOTA },
	{ "cpu-share", required_argument, NULL, U_SHARES },
	{ "cpu-shares", required_argument, NULL, U_SHARES },
	{ "cpu-rt-period", required_argument, NULL, U_RT_PERIOD },
	{ "cpu-rt-runtime", required_argument, NULL, U_RT_RUNTIME },
	{ "cpuset-cpus", required_argument, NULL, U_CPUS },
	{ "cpuset-mems", required_argument, NULL, U_MEMS },
	{ "memory", required_argument, NULL, U_MEM },
	{ "memory-reservation", required_argument, NULL, U_MEM_RES },
	{ "memory-swap", required_argument, NULL, U_SWAP },
	{ "pids-limit", required_argument, NULL, U_PIDS },
	{ "l3-cache-schema", required_argument, NULL, U_L3 },
	{ "mem-bw-schema", required_argument, NULL, U_MEMBW },
	{ "help", no_argument, NULL, U_HELP },
	{ 0 }
};

static const char update_usage[] =
	"usage: pith update [OPTIONS] ID\n\n"
	"Change the cgroup limits of a running container.\n\n"
	"  -r, --resources FILE|-     linux.resources JSON (from a file or stdin)\n"
	"  --memory N                 memory limit in bytes (k, m, g suffixes)\n"
	"  --memory-reservation N     soft limit\n"
	"  --memory-swap N            memory+swap limit (-1: unlimited)\n"
	"  --cpu-shares N             relative weight (cpu.weight on cgroup v2)\n"
	"  --cpu-quota N, --cpu-period N   CFS bandwidth, microseconds\n"
	"  --cpu-rt-period N, --cpu-rt-runtime N\n"
	"  --cpuset-cpus LIST, --cpuset-mems LIST\n"
	"  --pids-limit N             maximum number of tasks (-1: unlimited)\n"
	"  --blkio-weight N           10..1000\n";

/* One short flag onto the resources. */
static int update_flag(int ch, const char *arg, struct spec_resources *r, struct pith_error *err)
{
	const char *opt = NULL;
	for (const struct option *o = update_opts; o->name; o++)
		if (o->val == ch)
			opt = o->name;
	int64_t v = 0;
	int ret = 0;
	switch (ch) {
	case U_MEM: case U_MEM_RES: case U_SWAP:
		ret = parse_size(arg, opt, &v, err);
		r->has_memory = true;
		spec_i64 *f = ch == U_MEM ? &r->memory.limit : ch == U_MEM_RES ? &r->memory.reservation : &r->memory.swap;
		*f = (spec_i64){ true, v };
		break;
	case U_SHARES: case U_PERIOD: case U_RT_PERIOD: case U_BLKIO:
		ret = parse_num(arg, opt, &v, err);
		if (ret == 0 && v < 0)
			ret = pith_usage_error(err, "update", "--%s: must not be negative", opt);
		spec_u64 u = { true, (uint64_t)v };
		if (ch == U_BLKIO) {
			r->has_block_io = true;
			r->block_io.weight = u;
		} else {
			r->has_cpu = true;
			*(ch == U_SHARES ? &r->cpu.shares : ch == U_PERIOD ? &r->cpu.period : &r->cpu.realtime_period) = u;
		}
		break;
	case U_QUOTA: case U_RT_RUNTIME:
		ret = parse_num(arg, opt, &v, err);
		r->has_cpu = true;
		*(ch == U_QUOTA ? &r->cpu.quota : &r->cpu.realtime_runtime) = (spec_i64){ true, v };
		break;
	case U_CPUS:
		r->has_cpu = true;
		r->cpu.cpus = arg;
		break;
	case U_MEMS:
		r->has_cpu = true;
		r->cpu.mems = arg;
		break;
	case U_PIDS:
		ret = parse_num(arg, opt, &v, err);
		r->pids_limit = (spec_i64){ true, v };
		break;
	default:
		return pith_fail(err, ENOTSUP, "update: --%s (Intel RDT) is not supported", opt);
	}
	r->present = true;
	return ret;
}

int cmd_update(struct pith_globals *g, int argc, char **argv, struct pith_error *err)
{
	struct spec_resources flags = { 0 }, r = { 0 };
	const char *file = NULL;
	int ch;
	struct { int ch; const char *arg; } seen[32];
	size_t n_seen = 0;
	while ((ch = getopt_long(argc, argv, "+r:h", update_opts, NULL)) != -1) {
		if (ch == U_HELP) {
			fputs(update_usage, stdout);
			return 0;
		}
		if (ch == '?' || ch == ':')
			return pith_usage_error(err, "update", "invalid option \"%s\"", argv[optind - 1]);
		if (ch == U_RES)
			file = optarg;
		else if (n_seen < sizeof(seen) / sizeof(seen[0]))
			seen[n_seen++] = (typeof(seen[0])){ ch, optarg };
	}
	const char *id;
	if (verb_one_id(argc, argv, "update", &id, err) < 0)
		return -1;
	json_t *j = NULL;
	if (file) {
		if (read_resources(file, &j, err) < 0)
			return -1;
		if (spec_parse_resources(j, "--resources", &r, err) < 0) {
			json_decref(j);
			return -1;
		}
		r.present = true;
	}
	/* Flags override the file, as in runc. */
	int ret = 0;
	for (size_t i = 0; ret == 0 && i < n_seen; i++)
		ret = update_flag(seen[i].ch, seen[i].arg, file ? &r : &flags, err);
	/* --cpu-shares 0 and friends mean what 0 means in a config */
	spec_resources_zero_rules(file ? &r : &flags);
	struct container *c = NULL;
	if (ret == 0)
		ret = container_load(g, id, true, &c, err);
	if (ret == 0)
		ret = verb_need_cgroup(c, err);
	if (ret == 0 && (c->status == CONTAINER_STOPPED))
		ret = pith_fail(err, 0, "container %s is stopped: nothing to update", id);
	if (ret == 0)
		ret = cgroup_update(c->cgroup, file ? &r : &flags, err);
	if (ret == 0) {
		/* update may join hierarchies create left alone: delete must know */
		json_object_set_new(json_object_get(c->state, "pith"), "cgroup", cgroup_to_json(c->cgroup));
		ret = container_save(c, err);
	}
	container_free(c);
	if (file)
		spec_resources_release(&r);
	json_decref(j);
	return ret < 0 ? ret : 0;
}
