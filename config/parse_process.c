/* The process object: shared by config.json and `pith exec --process`. */
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "parse_internal.h"

static int parse_user(const struct pctx *c, json_t *p, const struct jpath *pat, struct spec_user *u)
{
	json_t *o, *gids;
	TRY(f_object(c, p, pat, "user", &o));
	if (!o)
		return 0;
	const struct jpath *at = JP_KEY(pat, "user");
	TRY(refuse_unsupported(c, o, at, REFUSE_USER));
	TRY(f_u32(c, o, at, "uid", true, &u->uid));
	TRY(f_u32(c, o, at, "gid", true, &u->gid));
	TRY(f_u64(c, o, at, "umask", 07777, &u->umask));
	TRY(f_array(c, o, at, "additionalGids", &gids));
	if (!gids)
		return 0;
	size_t n = json_array_size(gids);
	u->additional_gids = p_calloc(c, n, sizeof(*u->additional_gids));
	if (!u->additional_gids)
		return -ENOMEM;
	u->n_additional_gids = n;
	const struct jpath *gat = JP_KEY(at, "additionalGids");
	for (size_t i = 0; i < n; i++) {
		uint64_t g;
		TRY(rd_uint(c, json_array_get(gids, i), JP_IDX(gat, i), UINT32_MAX, &g));
		u->additional_gids[i] = (uint32_t)g;
	}
	return 0;
}

static int parse_args(const struct pctx *c, json_t *p, const struct jpath *pat, struct spec_strv *args)
{
	const struct jpath *at = JP_KEY(pat, "args");
	json_t *v = json_object_get(p, "args");
	if (j_absent(v))
		return perr(c, at, "required");
	/* One message for every way args can be wrong: it is what the user fixes. */
	if (!json_is_array(v) || json_array_size(v) == 0)
		return perr(c, at, "must be a non-empty array of strings");
	for (size_t i = 0; i < json_array_size(v); i++)
		if (!json_is_string(json_array_get(v, i)))
			return perr(c, at, "must be a non-empty array of strings");
	return rd_strv(c, v, at, args);
}

static int parse_env(const struct pctx *c, json_t *p, const struct jpath *pat, struct spec_strv *env)
{
	TRY(f_strv(c, p, pat, "env", env));
	for (size_t i = 0; i < env->n; i++) {
		const char *eq = strchr(env->v[i], '=');
		if (!eq || eq == env->v[i])
			return perr(c, JP_IDX(JP_KEY(pat, "env"), i), "must be \"NAME=value\", got \"%s\"",
				    env->v[i]);
	}
	return 0;
}

static int parse_cap_set(const struct pctx *c, json_t *caps, const struct jpath *at, const char *key,
			 uint64_t *mask)
{
	json_t *v = json_object_get(caps, key);
	if (j_absent(v))
		return 0;
	const struct jpath *sat = JP_KEY(at, key);
	if (!json_is_array(v))
		return perr(c, sat, "must be an array of strings");
	size_t n = json_array_size(v);
	for (size_t i = 0; i < n; i++) {
		const char *name;
		TRY(rd_str(c, json_array_get(v, i), JP_IDX(sat, i), &name));
		int cap = spec_capability_from_name(name);
		if (cap < 0)
			return perr(c, JP_IDX(sat, i), "unknown capability \"%s\"", name);
		*mask |= UINT64_C(1) << cap;
	}
	return 0;
}

static int parse_capabilities(const struct pctx *c, json_t *p, const struct jpath *pat,
			      struct spec_process *proc)
{
	json_t *o;
	TRY(f_object(c, p, pat, "capabilities", &o));
	if (!o)
		return 0;
	const struct jpath *at = JP_KEY(pat, "capabilities");
	struct spec_capabilities *k = &proc->capabilities;
	TRY(parse_cap_set(c, o, at, "bounding", &k->bounding));
	TRY(parse_cap_set(c, o, at, "effective", &k->effective));
	TRY(parse_cap_set(c, o, at, "permitted", &k->permitted));
	TRY(parse_cap_set(c, o, at, "inheritable", &k->inheritable));
	TRY(parse_cap_set(c, o, at, "ambient", &k->ambient));
	proc->has_capabilities = true;
	return 0;
}

static int parse_rlimits(const struct pctx *c, json_t *p, const struct jpath *pat,
			 struct spec_process *proc)
{
	json_t *arr;
	TRY(f_array(c, p, pat, "rlimits", &arr));
	if (!arr)
		return 0;
	const struct jpath *at = JP_KEY(pat, "rlimits");
	size_t n = json_array_size(arr);
	proc->rlimits = p_calloc(c, n, sizeof(*proc->rlimits));
	if (!proc->rlimits)
		return -ENOMEM;
	uint64_t seen = 0; /* RLIMIT_* are < 16 */
	for (size_t i = 0; i < n; i++) {
		const struct jpath *rat = JP_IDX(at, i);
		json_t *o = json_array_get(arr, i);
		struct spec_rlimit *rl = &proc->rlimits[i];
		TRY(rd_object(c, o, rat));
		TRY(f_str(c, o, rat, "type", true, &rl->name));
		rl->resource = spec_rlimit_from_name(rl->name);
		if (rl->resource < 0)
			return perr(c, JP_KEY(rat, "type"), "unknown rlimit \"%s\"", rl->name);
		if (seen & (UINT64_C(1) << rl->resource))
			return perr(c, JP_KEY(rat, "type"), "duplicate rlimit \"%s\"", rl->name);
		seen |= UINT64_C(1) << rl->resource;
		TRY(f_uint(c, o, rat, "soft", true, UINT64_MAX, &rl->soft, NULL));
		TRY(f_uint(c, o, rat, "hard", true, UINT64_MAX, &rl->hard, NULL));
		if (rl->soft > rl->hard)
			return perr(c, rat, "soft limit %" PRIu64 " exceeds hard limit %" PRIu64, rl->soft,
				    rl->hard);
		proc->n_rlimits = i + 1;
	}
	return 0;
}

static int parse_io_priority(const struct pctx *c, json_t *p, const struct jpath *pat,
			     struct spec_process *proc)
{
	json_t *o;
	const char *cls;
	TRY(f_object(c, p, pat, "ioPriority", &o));
	if (!o)
		return 0;
	const struct jpath *at = JP_KEY(pat, "ioPriority");
	TRY(f_str(c, o, at, "class", true, &cls));
	proc->io_priority.class_ = ioprio_class_from_name(cls);
	if (proc->io_priority.class_ < 0)
		return perr(c, JP_KEY(at, "class"), "unknown class \"%s\"", cls);
	int64_t prio = 0;
	TRY(f_int(c, o, at, "priority", false, 0, 7, &prio, NULL));
	proc->io_priority.priority = (int)prio;
	proc->has_io_priority = true;
	return 0;
}

static int parse_scheduler(const struct pctx *c, json_t *p, const struct jpath *pat,
			   struct spec_process *proc)
{
	json_t *o, *flags;
	const char *policy;
	TRY(f_object(c, p, pat, "scheduler", &o));
	if (!o)
		return 0;
	const struct jpath *at = JP_KEY(pat, "scheduler");
	struct spec_scheduler *s = &proc->scheduler;
	TRY(f_str(c, o, at, "policy", true, &policy));
	s->policy = sched_policy_from_name(policy);
	if (s->policy < 0)
		return perr(c, JP_KEY(at, "policy"), "unknown policy \"%s\"", policy);
	TRY(f_i64(c, o, at, "nice", -20, 19, &s->nice));
	TRY(f_i64(c, o, at, "priority", INT32_MIN, INT32_MAX, &s->priority));
	TRY(f_u64(c, o, at, "runtime", UINT64_MAX, &s->runtime));
	TRY(f_u64(c, o, at, "deadline", UINT64_MAX, &s->deadline));
	TRY(f_u64(c, o, at, "period", UINT64_MAX, &s->period));
	TRY(f_array(c, o, at, "flags", &flags));
	for (size_t i = 0; flags && i < json_array_size(flags); i++) {
		const char *name;
		const struct jpath *fat = JP_IDX(JP_KEY(at, "flags"), i);
		TRY(rd_str(c, json_array_get(flags, i), fat, &name));
		int bit = sched_flag_from_name(name);
		if (!bit)
			return perr(c, fat, "unknown flag \"%s\"", name);
		s->flags |= (uint64_t)bit;
	}
	/* The kernel would refuse these later with a bare EINVAL. */
	if (s->priority.set && s->priority.v != 0 && s->policy != SCHED_FIFO && s->policy != SCHED_RR)
		return perr(c, JP_KEY(at, "priority"), "only SCHED_FIFO and SCHED_RR take a priority");
	if (s->policy != SCHED_DEADLINE &&
	    ((s->runtime.set && s->runtime.v) || (s->deadline.set && s->deadline.v) ||
	     (s->period.set && s->period.v)))
		return perr(c, at, "runtime, deadline and period are only for SCHED_DEADLINE");
	proc->has_scheduler = true;
	return 0;
}

static int cpu_list(const struct pctx *c, json_t *o, const struct jpath *at, const char *key,
		    const char **out)
{
	TRY(f_str(c, o, at, key, false, out));
	if (*out && (*out)[strspn(*out, "0123456789, -")])
		return perr(c, JP_KEY(at, key), "invalid cpu list \"%s\"", *out);
	return 0;
}

static int parse_cpu_affinity(const struct pctx *c, json_t *p, const struct jpath *pat,
			      struct spec_process *proc)
{
	json_t *o;
	TRY(f_object(c, p, pat, "execCPUAffinity", &o));
	if (!o)
		return 0;
	const struct jpath *at = JP_KEY(pat, "execCPUAffinity");
	TRY(cpu_list(c, o, at, "initial", &proc->exec_cpu_affinity_initial));
	return cpu_list(c, o, at, "final", &proc->exec_cpu_affinity_final);
}

static int parse_console_size(const struct pctx *c, json_t *p, const struct jpath *pat,
			      struct spec_process *proc)
{
	json_t *o;
	uint64_t h = 0, w = 0;
	TRY(f_object(c, p, pat, "consoleSize", &o));
	if (!o)
		return 0;
	const struct jpath *at = JP_KEY(pat, "consoleSize");
	/* struct winsize holds unsigned short. */
	TRY(f_uint(c, o, at, "height", true, UINT16_MAX, &h, NULL));
	TRY(f_uint(c, o, at, "width", true, UINT16_MAX, &w, NULL));
	proc->console_height = (unsigned)h;
	proc->console_width = (unsigned)w;
	proc->has_console_size = true;
	return 0;
}

int parse_process(const struct pctx *c, json_t *p, const struct jpath *at, struct spec_process *proc)
{
	TRY(rd_object(c, p, at));
	TRY(refuse_unsupported(c, p, at, REFUSE_PROCESS));
	TRY(f_bool(c, p, at, "terminal", &proc->terminal, NULL));
	TRY(parse_console_size(c, p, at, proc));
	TRY(parse_user(c, p, at, &proc->user));
	TRY(parse_args(c, p, at, &proc->args));
	TRY(parse_env(c, p, at, &proc->env));
	TRY(f_abs_path(c, p, at, "cwd", true, &proc->cwd));
	TRY(parse_capabilities(c, p, at, proc));
	TRY(parse_rlimits(c, p, at, proc));
	TRY(f_bool(c, p, at, "noNewPrivileges", &proc->no_new_privileges, NULL));
	TRY(f_str(c, p, at, "apparmorProfile", false, &proc->apparmor_profile));
	TRY(f_i64(c, p, at, "oomScoreAdj", -1000, 1000, &proc->oom_score_adj));
	TRY(f_str(c, p, at, "selinuxLabel", false, &proc->selinux_label));
	TRY(parse_io_priority(c, p, at, proc));
	TRY(parse_scheduler(c, p, at, proc));
	return parse_cpu_affinity(c, p, at, proc);
}

void process_release(struct spec_process *p)
{
	free(p->user.additional_gids);
	p->user.additional_gids = NULL;
	free(p->args.v);
	p->args.v = NULL;
	free(p->env.v);
	p->env.v = NULL;
	free(p->rlimits);
	p->rlimits = NULL;
}
