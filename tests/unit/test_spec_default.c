/* `pith spec` defaults: they parse with the real parser, round-trip, carry the
 * hardening the issue lists, and the built-in profile allows what .NET and
 * armhf userlands need. */
#include <criterion/criterion.h>
#include <seccomp.h>
#include <sched.h>
#include <string.h>
#include <sys/resource.h>
#include <linux/capability.h>
#include <unistd.h>

#include "../../config/spec.h"

extern const char pith_data_seccomp_default_json[];

static struct spec *parse(json_t *cfg)
{
	struct spec *sp = NULL;
	struct pith_error err = { 0 };
	cr_assert(cfg);
	cr_assert_eq(spec_from_json(cfg, "config.json", &sp, &err), 0, "%s", err.msg);
	return sp;
}

static bool strv_has(const struct spec_strv *v, const char *s)
{
	for (size_t i = 0; i < v->n; i++)
		if (strcmp(v->v[i], s) == 0)
			return true;
	return false;
}

static const struct spec_mount *find_mount(const struct spec *sp, const char *dest)
{
	for (size_t i = 0; i < sp->n_mounts; i++)
		if (strcmp(sp->mounts[i].destination, dest) == 0)
			return &sp->mounts[i];
	return NULL;
}

#define BIT(c) (1ULL << (c))

Test(spec_default, root_config_parses_with_runc_like_defaults)
{
	struct spec *sp = parse(spec_default_config(false));
	const uint64_t caps = BIT(CAP_AUDIT_WRITE) | BIT(CAP_KILL) | BIT(CAP_NET_BIND_SERVICE);
	cr_assert_str_eq(sp->oci_version, "1.3.0");
	cr_assert_str_eq(sp->root.path, "rootfs");
	cr_assert(sp->root.readonly);
	cr_assert_str_eq(sp->hostname, "pith");
	cr_assert_not(sp->process.terminal);
	cr_assert_eq(sp->process.user.uid, 0u);
	cr_assert_str_eq(sp->process.args.v[0], "sh");
	cr_assert_str_eq(sp->process.cwd, "/");
	cr_assert(strv_has(&sp->process.env, "TERM=xterm"));
	cr_assert(sp->process.no_new_privileges);
	cr_assert_eq(sp->process.capabilities.bounding, caps);
	cr_assert_eq(sp->process.capabilities.effective, caps);
	cr_assert_eq(sp->process.capabilities.permitted, caps);
	cr_assert_eq(sp->process.capabilities.inheritable, caps);
	cr_assert_eq(sp->process.capabilities.ambient, 0u);
	cr_assert_eq(sp->process.n_rlimits, 1u);
	cr_assert_eq(sp->process.rlimits[0].resource, RLIMIT_NOFILE);
	cr_assert_eq(sp->process.rlimits[0].hard, 1024u);

	const struct spec_linux *l = &sp->linux_;
	cr_assert_eq(l->new_namespaces, CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS |
					CLONE_NEWNS | CLONE_NEWCGROUP);
	static const char *const masked[] = { "/proc/kcore", "/proc/keys", "/proc/timer_list",
		"/proc/sched_debug", "/sys/firmware", "/sys/devices/virtual/powercap", "/proc/acpi" };
	for (size_t i = 0; i < sizeof(masked) / sizeof(masked[0]); i++)
		cr_assert(strv_has(&l->masked_paths, masked[i]), "%s not masked", masked[i]);
	cr_assert(strv_has(&l->readonly_paths, "/proc/sysrq-trigger"));
	cr_assert(strv_has(&l->readonly_paths, "/proc/sys"));
	cr_assert_eq(l->resources.n_devices, 1u);
	cr_assert_not(l->resources.devices[0].allow);
	cr_assert_str_eq(l->resources.devices[0].access, "rwm");
	cr_assert(l->has_seccomp);
	cr_assert_eq(l->seccomp.default_action, SPEC_SCMP_ACT_ERRNO);
	cr_assert(l->seccomp.default_errno_ret.set);
	cr_assert_eq(l->seccomp.default_errno_ret.v, 38u);
	cr_assert_eq(l->seccomp.architectures.n, 5u);

	cr_assert_eq(sp->n_mounts, 7u);
	const struct spec_mount *pts = find_mount(sp, "/dev/pts");
	cr_assert(pts && strv_has(&pts->options, "gid=5"));
	const struct spec_mount *sys = find_mount(sp, "/sys");
	cr_assert(sys && strcmp(sys->type, "sysfs") == 0);
	cr_assert(find_mount(sp, "/sys/fs/cgroup"));
	spec_free(sp);
}

Test(spec_default, rootless_config_maps_the_caller_and_drops_what_needs_root)
{
	struct spec *sp = parse(spec_default_config(true));
	const struct spec_linux *l = &sp->linux_;
	cr_assert_eq(l->new_namespaces, CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNS |
					CLONE_NEWUSER);
	cr_assert_eq(l->uid_mappings.n, 1u);
	cr_assert_eq(l->uid_mappings.v[0].container_id, 0u);
	cr_assert_eq(l->uid_mappings.v[0].host_id, (uint32_t)getuid());
	cr_assert_eq(l->uid_mappings.v[0].size, 1u);
	cr_assert_eq(l->gid_mappings.n, 1u);
	cr_assert_eq(l->gid_mappings.v[0].host_id, (uint32_t)getgid());
	cr_assert_not(l->resources.present && l->resources.n_devices, "no cgroup device rules rootless");
	cr_assert_null(find_mount(sp, "/sys/fs/cgroup"));
	const struct spec_mount *sys = find_mount(sp, "/sys");
	cr_assert(sys);
	cr_assert_eq(sys->kind, SPEC_MOUNT_RBIND);
	cr_assert(strv_has(&sys->options, "ro") && strv_has(&sys->options, "nosuid") &&
		  strv_has(&sys->options, "noexec") && strv_has(&sys->options, "nodev"));
	for (size_t i = 0; i < sp->n_mounts; i++)
		for (size_t k = 0; k < sp->mounts[i].options.n; k++)
			cr_assert(strncmp(sp->mounts[i].options.v[k], "gid=", 4) &&
				  strncmp(sp->mounts[i].options.v[k], "uid=", 4),
				  "%s has %s", sp->mounts[i].destination, sp->mounts[i].options.v[k]);
	cr_assert(l->has_seccomp);
	spec_free(sp);
}

Test(spec_default, round_trips_through_text)
{
	for (int rootless = 0; rootless <= 1; rootless++) {
		json_t *cfg = spec_default_config(rootless);
		char *text = json_dumps(cfg, JSON_INDENT(2));
		struct spec *sp = NULL;
		struct pith_error err = { 0 };
		cr_assert_eq(spec_load_string(text, "config.json", &sp, &err), 0, "%s", err.msg);
		cr_assert(json_equal(sp->json, cfg), "parsed tree differs from what was written");
		json_t *again = spec_default_config(rootless);
		cr_assert(json_equal(again, cfg), "defaults are not deterministic");
		json_decref(again);
		free(text);
		spec_free(sp);
		json_decref(cfg);
	}
}

Test(spec_default, seccomp_is_the_embedded_profile_and_a_fresh_reference)
{
	json_t *a = spec_default_seccomp(), *b = spec_default_seccomp();
	cr_assert(a && b && a != b);
	cr_assert_eq(a->refcount, 1u);
	json_t *cfg = spec_default_config(false);
	cr_assert(json_equal(a, json_object_get(json_object_get(cfg, "linux"), "seccomp")));
	json_error_t e;
	json_t *raw = json_loads(pith_data_seccomp_default_json, JSON_REJECT_DUPLICATES, &e);
	cr_assert(raw, "config/seccomp_default.json: %d:%d: %s", e.line, e.column, e.text);
	cr_assert(json_equal(raw, a));
	json_decref(raw);
	json_decref(cfg);
	json_decref(a);
	json_decref(b);
}

/* The action of the unconditional entry naming `name`, or NULL. */
static const char *plain_action(json_t *prof, const char *name)
{
	size_t i, k;
	json_t *e, *n;
	const char *found = NULL;
	json_array_foreach(json_object_get(prof, "syscalls"), i, e) {
		if (json_object_get(e, "args"))
			continue;
		json_array_foreach(json_object_get(e, "names"), k, n)
			if (strcmp(json_string_value(n), name) == 0) {
				cr_assert_null(found, "%s listed twice without args", name);
				found = json_string_value(json_object_get(e, "action"));
			}
	}
	return found;
}

Test(spec_default, profile_allows_what_dotnet_and_armhf_need)
{
	json_t *prof = spec_default_seccomp();
	static const char *const need[] = {
		"memfd_create", "membarrier", "mlock", "mlock2", "munlock", "sched_getaffinity",
		"sched_setaffinity", "statx", "rseq", "cacheflush", "set_tls", "breakpoint",
		"arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2", "_llseek", "mmap2",
		"ftruncate64", "fcntl64", "mprotect", "madvise", "futex", "getrandom", "ptrace",
		"process_vm_readv", "faccessat2", "close_range", "epoll_pwait2", "pidfd_open",
	};
	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		const char *a = plain_action(prof, need[i]);
		cr_assert(a && strcmp(a, "SCMP_ACT_ALLOW") == 0, "%s is not allowed", need[i]);
	}
	/* The y2038 block (403..423 on every 32-bit arch): glibc on armhf uses these
	 * first and falls back only on ENOSYS. */
	int seen = 0;
	for (int nr = 403; nr <= 423; nr++) {
		char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_ARM, nr);
		if (!name)
			continue;
		const char *a = plain_action(prof, name);
		bool settime = strcmp(name, "clock_settime64") == 0;
		cr_assert(a && strcmp(a, settime ? "SCMP_ACT_ERRNO" : "SCMP_ACT_ALLOW") == 0,
			  "%s: %s", name, a ? a : "not listed");
		seen++;
		free(name);
	}
	cr_assert_geq(seen, 20, "only %d time64 calls found", seen);
	json_decref(prof);
}

Test(spec_default, profile_denies_with_eperm_and_hides_clone3_with_enosys)
{
	json_t *prof = spec_default_seccomp();
	static const char *const denied[] = {
		"keyctl", "add_key", "request_key", "kexec_load", "open_by_handle_at", "init_module",
		"finit_module", "bpf", "perf_event_open", "mount", "umount2", "unshare", "setns",
		"swapon", "reboot", "pivot_root", "userfaultfd", "fsopen", "move_mount",
	};
	for (size_t i = 0; i < sizeof(denied) / sizeof(denied[0]); i++) {
		const char *a = plain_action(prof, denied[i]);
		cr_assert(a && strcmp(a, "SCMP_ACT_ERRNO") == 0, "%s is not denied", denied[i]);
	}
	cr_assert_str_eq(plain_action(prof, "clone3"), "SCMP_ACT_ERRNO");
	cr_assert_null(plain_action(prof, "clone"), "clone must only be allowed with an arg filter");
	cr_assert_str_eq(plain_action(prof, "io_uring_setup"), "SCMP_ACT_ERRNO");
	/* errnoRet of the denied group is EPERM, of clone3 ENOSYS. */
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(prof, "syscalls"), i, e) {
		json_t *names = json_object_get(e, "names");
		if (strcmp(json_string_value(json_array_get(names, 0)), "clone3") == 0)
			cr_assert_eq(json_integer_value(json_object_get(e, "errnoRet")), 38);
		if (json_array_size(names) > 10 &&
		    strcmp(json_string_value(json_object_get(e, "action")), "SCMP_ACT_ERRNO") == 0)
			cr_assert_eq(json_integer_value(json_object_get(e, "errnoRet")), 1);
	}
	json_decref(prof);
}
