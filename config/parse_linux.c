/* The linux section (resources aside: parse_resources.c). */
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>

#include "parse_internal.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

int parse_id_mappings(const struct pctx *c, json_t *v, const struct jpath *at,
		      struct spec_id_mappings *out)
{
	TRY(rd_array(c, v, at));
	size_t n = json_array_size(v);
	out->v = p_calloc(c, n, sizeof(*out->v));
	if (!out->v)
		return -ENOMEM;
	out->n = n;
	for (size_t i = 0; i < n; i++) {
		const struct jpath *mat = JP_IDX(at, i);
		json_t *o = json_array_get(v, i);
		struct spec_id_mapping *m = &out->v[i];
		TRY(rd_object(c, o, mat));
		TRY(f_u32(c, o, mat, "containerID", true, &m->container_id));
		TRY(f_u32(c, o, mat, "hostID", true, &m->host_id));
		TRY(f_u32(c, o, mat, "size", true, &m->size));
		if (m->size == 0)
			return perr(c, JP_KEY(mat, "size"), "must not be zero");
		if ((uint64_t)m->container_id + m->size - 1 > UINT32_MAX ||
		    (uint64_t)m->host_id + m->size - 1 > UINT32_MAX)
			return perr(c, mat, "range exceeds the 32-bit id space");
	}
	return 0;
}

static int parse_namespaces(const struct pctx *c, json_t *lx, const struct jpath *lat,
			    struct spec_linux *l)
{
	json_t *arr;
	TRY(f_array(c, lx, lat, "namespaces", &arr));
	if (!arr)
		return 0;
	const struct jpath *at = JP_KEY(lat, "namespaces");
	size_t n = json_array_size(arr);
	l->namespaces = p_calloc(c, n, sizeof(*l->namespaces));
	if (!l->namespaces)
		return -ENOMEM;
	l->n_namespaces = n;
	for (size_t i = 0; i < n; i++) {
		const struct jpath *nat = JP_IDX(at, i);
		json_t *o = json_array_get(arr, i);
		struct spec_namespace *ns = &l->namespaces[i];
		TRY(rd_object(c, o, nat));
		TRY(f_str(c, o, nat, "type", true, &ns->name));
		ns->type = spec_namespace_from_name(ns->name);
		if (!ns->type)
			return perr(c, JP_KEY(nat, "type"), "unknown namespace type \"%s\"", ns->name);
		if ((l->new_namespaces | l->join_namespaces) & ns->type)
			return perr(c, JP_KEY(nat, "type"), "duplicate namespace \"%s\"", ns->name);
		TRY(f_abs_path(c, o, nat, "path", false, &ns->path));
		if (ns->path)
			l->join_namespaces |= ns->type;
		else
			l->new_namespaces |= ns->type;
	}
	return 0;
}

static int parse_time_offset(const struct pctx *c, json_t *o, const struct jpath *at,
			     struct spec_time_offset *t)
{
	uint64_t ns = 0;
	TRY(rd_object(c, o, at));
	TRY(f_int(c, o, at, "secs", false, INT64_MIN, INT64_MAX, &t->secs, NULL));
	TRY(f_uint(c, o, at, "nanosecs", false, 999999999, &ns, NULL));
	t->nanosecs = (uint32_t)ns;
	t->set = true;
	return 0;
}

static int parse_time_offsets(const struct pctx *c, json_t *lx, const struct jpath *lat,
			      struct spec_linux *l)
{
	json_t *o, *v;
	const char *clock;
	TRY(f_object(c, lx, lat, "timeOffsets", &o));
	if (!o)
		return 0;
	const struct jpath *at = JP_KEY(lat, "timeOffsets");
	/* Offsets can only be written before a process enters a new time
	 * namespace, so a joined one cannot take them either. */
	if (!(l->new_namespaces & CLONE_NEWTIME))
		return perr(c, at, "needs a new time namespace in linux.namespaces");
	json_object_foreach(o, clock, v) {
		if (strcmp(clock, "monotonic") == 0)
			TRY(parse_time_offset(c, v, JP_KEY(at, clock), &l->time_monotonic));
		else if (strcmp(clock, "boottime") == 0)
			TRY(parse_time_offset(c, v, JP_KEY(at, clock), &l->time_boottime));
		else
			return perr(c, at, "unknown clock \"%s\" (monotonic or boottime)", clock);
	}
	return 0;
}

static int parse_device(const struct pctx *c, json_t *o, const struct jpath *at, struct spec_device *d)
{
	const char *type;
	TRY(rd_object(c, o, at));
	TRY(f_str(c, o, at, "type", true, &type));
	if (strlen(type) != 1 || !strchr("cbup", type[0]))
		return perr(c, JP_KEY(at, "type"), "must be one of c, b, u, p (got \"%s\")", type);
	d->type = type[0];
	TRY(f_abs_path(c, o, at, "path", true, &d->path));
	bool req = d->type != 'p';
	TRY(f_int(c, o, at, "major", req, 0, INT64_MAX, &d->major, NULL));
	TRY(f_int(c, o, at, "minor", req, 0, INT64_MAX, &d->minor, NULL));
	TRY(f_u64(c, o, at, "fileMode", 07777, &d->file_mode));
	TRY(f_u64(c, o, at, "uid", UINT32_MAX, &d->uid));
	return f_u64(c, o, at, "gid", UINT32_MAX, &d->gid);
}

static int parse_devices(const struct pctx *c, json_t *lx, const struct jpath *lat,
			 struct spec_linux *l)
{
	json_t *arr;
	TRY(f_array(c, lx, lat, "devices", &arr));
	if (!arr)
		return 0;
	size_t n = json_array_size(arr);
	l->devices = p_calloc(c, n, sizeof(*l->devices));
	if (!l->devices)
		return -ENOMEM;
	l->n_devices = n;
	const struct jpath *at = JP_KEY(lat, "devices");
	for (size_t i = 0; i < n; i++)
		TRY(parse_device(c, json_array_get(arr, i), JP_IDX(at, i), &l->devices[i]));
	return 0;
}

/* ---------- seccomp ---------- */

static bool takes_errno(enum spec_seccomp_action a)
{
	return a == SPEC_SCMP_ACT_ERRNO || a == SPEC_SCMP_ACT_TRACE;
}

static int parse_action(const struct pctx *c, json_t *o, const struct jpath *at, const char *key,
			enum spec_seccomp_action *out)
{
	const char *name;
	TRY(f_str(c, o, at, key, true, &name));
	int a = seccomp_action_from_name(name);
	if (a < 0)
		return perr(c, JP_KEY(at, key), "unknown seccomp action \"%s\"", name);
	*out = (enum spec_seccomp_action)a;
	return 0;
}

static int parse_errno_ret(const struct pctx *c, json_t *o, const struct jpath *at, const char *key,
			   enum spec_seccomp_action action, spec_u64 *out)
{
	TRY(f_u64(c, o, at, key, UINT32_MAX, out));
	if (out->set && !takes_errno(action))
		return perr(c, JP_KEY(at, key), "only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an errno");
	return 0;
}

static int parse_syscall_args(const struct pctx *c, json_t *o, const struct jpath *sat,
			      struct spec_seccomp_syscall *sc)
{
	json_t *arr;
	TRY(f_array(c, o, sat, "args", &arr));
	if (!arr)
		return 0;
	const struct jpath *at = JP_KEY(sat, "args");
	size_t n = json_array_size(arr);
	sc->args = p_calloc(c, n, sizeof(*sc->args));
	if (!sc->args)
		return -ENOMEM;
	sc->n_args = n;
	for (size_t i = 0; i < n; i++) {
		const struct jpath *aat = JP_IDX(at, i);
		json_t *a = json_array_get(arr, i);
		struct spec_seccomp_arg *arg = &sc->args[i];
		uint64_t index;
		const char *op;
		TRY(rd_object(c, a, aat));
		TRY(f_uint(c, a, aat, "index", true, UINT64_MAX, &index, NULL));
		if (index > 5)
			return perr(c, JP_KEY(aat, "index"), "must be between 0 and 5 (got %" PRIu64 ")",
				    index);
		arg->index = (unsigned)index;
		TRY(f_uint(c, a, aat, "value", true, UINT64_MAX, &arg->value, NULL));
		TRY(f_uint(c, a, aat, "valueTwo", false, UINT64_MAX, &arg->value_two, NULL));
		TRY(f_str(c, a, aat, "op", true, &op));
		int opv = seccomp_op_from_name(op);
		if (opv < 0)
			return perr(c, JP_KEY(aat, "op"), "unknown seccomp operator \"%s\"", op);
		arg->op = (enum spec_seccomp_op)opv;
	}
	return 0;
}

static int parse_syscall(const struct pctx *c, json_t *o, const struct jpath *at,
			 struct spec_seccomp_syscall *sc)
{
	TRY(rd_object(c, o, at));
	json_t *names = json_object_get(o, "names");
	if (j_absent(names))
		return perr(c, JP_KEY(at, "names"), "required");
	TRY(rd_strv(c, names, JP_KEY(at, "names"), &sc->names));
	if (sc->names.n == 0)
		return perr(c, JP_KEY(at, "names"), "must not be empty");
	TRY(parse_action(c, o, at, "action", &sc->action));
	TRY(parse_errno_ret(c, o, at, "errnoRet", sc->action, &sc->errno_ret));
	return parse_syscall_args(c, o, at, sc);
}

static int parse_seccomp_flags(const struct pctx *c, json_t *o, const struct jpath *at,
			       struct spec_seccomp *sc)
{
	json_t *arr;
	TRY(f_array(c, o, at, "flags", &arr));
	for (size_t i = 0; arr && i < json_array_size(arr); i++) {
		const struct jpath *fat = JP_IDX(JP_KEY(at, "flags"), i);
		const char *name;
		TRY(rd_str(c, json_array_get(arr, i), fat, &name));
		int bit = seccomp_flag_from_name(name);
		if (!bit)
			return perr(c, fat, "unknown seccomp flag \"%s\"", name);
		sc->flags |= (unsigned)bit;
	}
	return 0;
}

static int parse_seccomp(const struct pctx *c, json_t *lx, const struct jpath *lat,
			 struct spec_linux *l)
{
	json_t *o, *arr;
	TRY(f_object(c, lx, lat, "seccomp", &o));
	if (!o)
		return 0;
	const struct jpath *at = JP_KEY(lat, "seccomp");
	struct spec_seccomp *sc = &l->seccomp;
	sc->json = o;
	TRY(parse_action(c, o, at, "defaultAction", &sc->default_action));
	if (sc->default_action == SPEC_SCMP_ACT_NOTIFY)
		return perr(c, JP_KEY(at, "defaultAction"), "SCMP_ACT_NOTIFY cannot be the default action");
	TRY(parse_errno_ret(c, o, at, "defaultErrnoRet", sc->default_action, &sc->default_errno_ret));
	TRY(f_strv(c, o, at, "architectures", &sc->architectures));
	TRY(parse_seccomp_flags(c, o, at, sc));
	TRY(f_str(c, o, at, "listenerPath", false, &sc->listener_path));
	TRY(f_str(c, o, at, "listenerMetadata", false, &sc->listener_metadata));
	if (sc->listener_metadata && sc->listener_metadata[0] && !sc->listener_path)
		return perr(c, JP_KEY(at, "listenerMetadata"), "needs listenerPath");
	TRY(f_array(c, o, at, "syscalls", &arr));
	size_t n = arr ? json_array_size(arr) : 0;
	if (n) {
		sc->syscalls = p_calloc(c, n, sizeof(*sc->syscalls));
		if (!sc->syscalls)
			return -ENOMEM;
		sc->n_syscalls = n;
	}
	const struct jpath *sat = JP_KEY(at, "syscalls");
	for (size_t i = 0; i < n; i++) {
		TRY(parse_syscall(c, json_array_get(arr, i), JP_IDX(sat, i), &sc->syscalls[i]));
		if (sc->syscalls[i].action == SPEC_SCMP_ACT_NOTIFY && !sc->listener_path)
			return perr(c, JP_KEY(JP_IDX(sat, i), "action"), "SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath");
	}
	l->has_seccomp = true;
	return 0;
}

/* ---------- the rest ---------- */

static int parse_abs_paths(const struct pctx *c, json_t *lx, const struct jpath *lat, const char *key,
			   struct spec_strv *out)
{
	TRY(f_strv(c, lx, lat, key, out));
	for (size_t i = 0; i < out->n; i++)
		if (out->v[i][0] != '/')
			return perr(c, JP_IDX(JP_KEY(lat, key), i), "must be an absolute path, got \"%s\"",
				    out->v[i]);
	return 0;
}

static int parse_personality(const struct pctx *c, json_t *lx, const struct jpath *lat,
			     struct spec_linux *l)
{
	json_t *o, *flags;
	const char *domain;
	TRY(f_object(c, lx, lat, "personality", &o));
	if (!o)
		return 0;
	const struct jpath *at = JP_KEY(lat, "personality");
	TRY(f_str(c, o, at, "domain", true, &domain));
	if (strcmp(domain, "LINUX") == 0)
		l->personality.domain = PER_LINUX;
	else if (strcmp(domain, "LINUX32") == 0)
		l->personality.domain = PER_LINUX32;
	else
		return perr(c, JP_KEY(at, "domain"), "unknown domain \"%s\" (LINUX or LINUX32)", domain);
	TRY(f_array(c, o, at, "flags", &flags));
	if (flags && json_array_size(flags))
		return perr(c, JP_KEY(at, "flags"), "no personality flags are supported");
	l->has_personality = true;
	return 0;
}

static int check_ifname(const struct pctx *c, const struct jpath *at, const char *name)
{
	size_t len = strlen(name);
	/* The kernel's dev_valid_name(): IFNAMSIZ is 16 with the NUL. */
	if (len == 0 || len > 15 || strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
	    name[strcspn(name, "/: \t\n\r\v\f")])
		return perr(c, at, "invalid interface name \"%s\"", name);
	return 0;
}

static int parse_net_devices(const struct pctx *c, json_t *lx, const struct jpath *lat,
			     struct spec_linux *l)
{
	json_t *o, *v;
	const char *host;
	TRY(f_object(c, lx, lat, "netDevices", &o));
	if (!o || json_object_size(o) == 0)
		return 0;
	const struct jpath *at = JP_KEY(lat, "netDevices");
	if (!((l->new_namespaces | l->join_namespaces) & CLONE_NEWNET))
		return perr(c, at, "needs a network namespace in linux.namespaces");
	l->net_devices = p_calloc(c, json_object_size(o), sizeof(*l->net_devices));
	if (!l->net_devices)
		return -ENOMEM;
	json_object_foreach(o, host, v) {
		const struct jpath *dat = JP_MAP(at, host);
		struct spec_net_device *d = &l->net_devices[l->n_net_devices];
		TRY(check_ifname(c, dat, host));
		TRY(rd_object(c, v, dat));
		d->host_name = host;
		d->name = host;
		TRY(f_str(c, v, dat, "name", false, &d->name));
		TRY(check_ifname(c, JP_KEY(dat, "name"), d->name));
		for (size_t i = 0; i < l->n_net_devices; i++)
			if (strcmp(l->net_devices[i].name, d->name) == 0)
				return perr(c, dat, "two devices named \"%s\" in the container", d->name);
		l->n_net_devices++;
	}
	return 0;
}

int parse_linux(const struct pctx *c, json_t *lx, const struct jpath *at, struct spec_linux *l)
{
	json_t *v;
	const char *prop = NULL;
	TRY(rd_object(c, lx, at));
	TRY(refuse_unsupported(c, lx, at, REFUSE_LINUX));
	TRY(parse_namespaces(c, lx, at, l));
	v = json_object_get(lx, "uidMappings");
	if (!j_absent(v))
		TRY(parse_id_mappings(c, v, JP_KEY(at, "uidMappings"), &l->uid_mappings));
	v = json_object_get(lx, "gidMappings");
	if (!j_absent(v))
		TRY(parse_id_mappings(c, v, JP_KEY(at, "gidMappings"), &l->gid_mappings));
	TRY(parse_time_offsets(c, lx, at, l));
	TRY(parse_devices(c, lx, at, l));
	TRY(f_str(c, lx, at, "cgroupsPath", false, &l->cgroups_path));
	v = json_object_get(lx, "resources");
	if (!j_absent(v))
		TRY(parse_resources(c, v, JP_KEY(at, "resources"), &l->resources));
	TRY(f_str(c, lx, at, "rootfsPropagation", false, &prop));
	if (prop) {
		/* Applied to the whole rootfs tree: always recursive. */
		l->rootfs_propagation = propagation_from_name(prop);
		if (!l->rootfs_propagation)
			return perr(c, JP_KEY(at, "rootfsPropagation"),
				    "unknown propagation \"%s\" (shared, slave, private or unbindable)", prop);
		l->rootfs_propagation |= MS_REC;
	}
	TRY(parse_seccomp(c, lx, at, l));
	TRY(f_kvv(c, lx, at, "sysctl", &l->sysctl));
	TRY(parse_abs_paths(c, lx, at, "maskedPaths", &l->masked_paths));
	TRY(parse_abs_paths(c, lx, at, "readonlyPaths", &l->readonly_paths));
	TRY(f_str(c, lx, at, "mountLabel", false, &l->mount_label));
	TRY(parse_personality(c, lx, at, l));
	return parse_net_devices(c, lx, at, l);
}

void linux_release(struct spec_linux *l)
{
	free(l->namespaces);
	free(l->uid_mappings.v);
	free(l->gid_mappings.v);
	free(l->devices);
	resources_release(&l->resources);
	for (size_t i = 0; i < l->seccomp.n_syscalls; i++) {
		free(l->seccomp.syscalls[i].names.v);
		free(l->seccomp.syscalls[i].args);
	}
	free(l->seccomp.syscalls);
	free(l->seccomp.architectures.v);
	free(l->sysctl.v);
	free(l->masked_paths.v);
	free(l->readonly_paths.v);
	free(l->net_devices);
}
