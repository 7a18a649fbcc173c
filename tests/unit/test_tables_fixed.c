/* The name tables against the kernel's own numbers (linux/capability.h,
 * sched.h), written out here independently: a round trip through pith's
 * table alone passes with a typo or a swapped pair. */
#include <criterion/criterion.h>

#include <errno.h>
#include <jansson.h>
#include <linux/capability.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>

#include "../../config/parse_internal.h"

#define CAP(x) { #x, x }

Test(tables_fixed, every_capability_has_the_kernels_number)
{
	static const struct {
		const char *name;
		int nr;
	} caps[] = {
		CAP(CAP_CHOWN), CAP(CAP_DAC_OVERRIDE), CAP(CAP_DAC_READ_SEARCH), CAP(CAP_FOWNER),
		CAP(CAP_FSETID), CAP(CAP_KILL), CAP(CAP_SETGID), CAP(CAP_SETUID), CAP(CAP_SETPCAP),
		CAP(CAP_LINUX_IMMUTABLE), CAP(CAP_NET_BIND_SERVICE), CAP(CAP_NET_BROADCAST),
		CAP(CAP_NET_ADMIN), CAP(CAP_NET_RAW), CAP(CAP_IPC_LOCK), CAP(CAP_IPC_OWNER),
		CAP(CAP_SYS_MODULE), CAP(CAP_SYS_RAWIO), CAP(CAP_SYS_CHROOT), CAP(CAP_SYS_PTRACE),
		CAP(CAP_SYS_PACCT), CAP(CAP_SYS_ADMIN), CAP(CAP_SYS_BOOT), CAP(CAP_SYS_NICE),
		CAP(CAP_SYS_RESOURCE), CAP(CAP_SYS_TIME), CAP(CAP_SYS_TTY_CONFIG), CAP(CAP_MKNOD),
		CAP(CAP_LEASE), CAP(CAP_AUDIT_WRITE), CAP(CAP_AUDIT_CONTROL), CAP(CAP_SETFCAP),
		CAP(CAP_MAC_OVERRIDE), CAP(CAP_MAC_ADMIN), CAP(CAP_SYSLOG), CAP(CAP_WAKE_ALARM),
		CAP(CAP_BLOCK_SUSPEND), CAP(CAP_AUDIT_READ), CAP(CAP_PERFMON), CAP(CAP_BPF),
		CAP(CAP_CHECKPOINT_RESTORE),
	};
	cr_assert_eq(sizeof(caps) / sizeof(caps[0]), 41u);
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		cr_expect_eq(spec_capability_from_name(caps[i].name), caps[i].nr, "%s", caps[i].name);
		const char *n = spec_capability_name(caps[i].nr);
		cr_expect(n && strcmp(n, caps[i].name) == 0, "%d is %s, not %s", caps[i].nr, n ? n : "(none)",
			  caps[i].name);
	}
}

Test(tables_fixed, every_namespace_has_the_kernels_flag)
{
	static const struct {
		const char *name;
		int flag;
	} ns[] = {
		{ "pid", CLONE_NEWPID }, { "network", CLONE_NEWNET }, { "mount", CLONE_NEWNS },
		{ "ipc", CLONE_NEWIPC }, { "uts", CLONE_NEWUTS }, { "user", CLONE_NEWUSER },
		{ "cgroup", CLONE_NEWCGROUP }, { "time", 0x80 /* CLONE_NEWTIME */ },
	};
	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		cr_expect_eq(spec_namespace_from_name(ns[i].name), ns[i].flag, "%s", ns[i].name);
		const char *n = spec_namespace_name(ns[i].flag);
		cr_expect(n && strcmp(n, ns[i].name) == 0, "%#x is %s", ns[i].flag, n ? n : "(none)");
	}
}

/* The embedded default profile, against what config/seccomp_default.json is
 * meant to say (not against a parse of the same text). */
Test(tables_fixed, default_seccomp_profile_top_level)
{
	json_t *p = spec_default_seccomp();
	cr_assert(p);
	cr_expect_str_eq(json_string_value(json_object_get(p, "defaultAction")), "SCMP_ACT_ERRNO");
	cr_expect_eq(json_integer_value(json_object_get(p, "defaultErrnoRet")), ENOSYS,
		     "unknown syscalls must look absent (ENOSYS), so libcs fall back");
	static const char *const arch[] = { "SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32",
					    "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM" };
	json_t *a = json_object_get(p, "architectures");
	cr_assert_eq(json_array_size(a), 5u);
	for (size_t i = 0; i < 5; i++)
		cr_expect_str_eq(json_string_value(json_array_get(a, i)), arch[i]);
	cr_expect_geq(json_array_size(json_object_get(p, "syscalls")), 19u, "rules lost in the embedding");
	json_decref(p);
}

/* ---------- through the parser: JSON name -> the number the kernel takes ---------- */

static struct spec *load_fixed(const char *text)
{
	struct spec *sp = NULL;
	struct pith_error err = { 0 };
	cr_assert_eq(spec_load_string(text, "config.json", &sp, &err), 0, "%s\n%s", err.msg, text);
	return sp;
}

#define OCI_BASE "\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\"}"

/* setrlimit(2) and asm-generic/resource.h: the numbers x86, arm and arm64
 * share (alpha, mips, sparc number some differently). */
#if defined(__x86_64__) || defined(__i386__) || defined(__aarch64__) || defined(__arm__)
Test(tables_fixed, every_rlimit_has_the_kernels_number)
{
	static const struct {
		const char *name;
		int nr;
	} rl[] = {
		{ "RLIMIT_CPU", 0 },         { "RLIMIT_FSIZE", 1 },  { "RLIMIT_DATA", 2 },
		{ "RLIMIT_STACK", 3 },       { "RLIMIT_CORE", 4 },   { "RLIMIT_RSS", 5 },
		{ "RLIMIT_NPROC", 6 },       { "RLIMIT_NOFILE", 7 }, { "RLIMIT_MEMLOCK", 8 },
		{ "RLIMIT_AS", 9 },          { "RLIMIT_LOCKS", 10 }, { "RLIMIT_SIGPENDING", 11 },
		{ "RLIMIT_MSGQUEUE", 12 },   { "RLIMIT_NICE", 13 },  { "RLIMIT_RTPRIO", 14 },
		{ "RLIMIT_RTTIME", 15 },
	};
	char text[512];
	for (size_t i = 0; i < sizeof(rl) / sizeof(rl[0]); i++) {
		cr_expect_eq(spec_rlimit_from_name(rl[i].name), rl[i].nr, "%s", rl[i].name);
		snprintf(text, sizeof(text), "{" OCI_BASE ",\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\","
			 "\"rlimits\":[{\"type\":\"%s\",\"soft\":1,\"hard\":2}]}}", rl[i].name);
		struct spec *sp = load_fixed(text);
		cr_expect_eq(sp->process.rlimits[0].resource, rl[i].nr, "%s through the parser", rl[i].name);
		spec_free(sp);
	}
}
#endif

/* Each mount option alone, as mount(8), mount_setattr(2) and the OCI
 * runtime spec (config.md "mounts", with runc's recursive r* options)
 * define it. A wrong flag, a set that should be a clear, or a swapped pair
 * in config/tables.c fails here. */
struct mopt_case {
	const char *name;
	const char *type;   /* "none" unless the option needs a bind */
	unsigned long flags, clear, prop;
	uint64_t attr_set, attr_clr;
	bool recursive;
	enum spec_mount_kind kind;
	bool idmap, idmap_recursive, tmpcopyup;
};

#define ATIME_FIELD 0x70 /* MOUNT_ATTR__ATIME */
#define M(n, ...) { .name = n, .type = "none", .kind = SPEC_MOUNT_FS, __VA_ARGS__ }
#define R(n, ...) { .name = n, .type = "none", .kind = SPEC_MOUNT_FS, .recursive = true, __VA_ARGS__ }

static const struct mopt_case mount_cases[] = {
	M("defaults"),
	M("ro", .flags = MS_RDONLY),            M("rw", .clear = MS_RDONLY),
	M("nosuid", .flags = MS_NOSUID),        M("suid", .clear = MS_NOSUID),
	M("nodev", .flags = MS_NODEV),          M("dev", .clear = MS_NODEV),
	M("noexec", .flags = MS_NOEXEC),        M("exec", .clear = MS_NOEXEC),
	M("sync", .flags = MS_SYNCHRONOUS),     M("async", .clear = MS_SYNCHRONOUS),
	M("dirsync", .flags = MS_DIRSYNC),      M("remount", .flags = MS_REMOUNT),
	M("mand", .flags = MS_MANDLOCK),        M("nomand", .clear = MS_MANDLOCK),
	M("noatime", .flags = MS_NOATIME),      M("atime", .clear = MS_NOATIME),
	M("nodiratime", .flags = MS_NODIRATIME), M("diratime", .clear = MS_NODIRATIME),
	M("relatime", .flags = MS_RELATIME),    M("norelatime", .clear = MS_RELATIME),
	M("strictatime", .flags = MS_STRICTATIME), M("nostrictatime", .clear = MS_STRICTATIME),
	M("lazytime", .flags = 1ul << 25),      M("nolazytime", .clear = 1ul << 25),
	M("silent", .flags = MS_SILENT),        M("loud", .clear = MS_SILENT),
	M("iversion", .flags = MS_I_VERSION),   M("noiversion", .clear = MS_I_VERSION),
	M("nosymfollow", .flags = 256),         M("symfollow", .clear = 256),
	M("private", .prop = MS_PRIVATE),       M("rprivate", .prop = MS_PRIVATE | MS_REC),
	M("shared", .prop = MS_SHARED),         M("rshared", .prop = MS_SHARED | MS_REC),
	M("slave", .prop = MS_SLAVE),           M("rslave", .prop = MS_SLAVE | MS_REC),
	M("unbindable", .prop = MS_UNBINDABLE), M("runbindable", .prop = MS_UNBINDABLE | MS_REC),
	R("rro", .attr_set = 0x1),              R("rrw", .attr_clr = 0x1),
	R("rnosuid", .attr_set = 0x2),          R("rsuid", .attr_clr = 0x2),
	R("rnodev", .attr_set = 0x4),           R("rdev", .attr_clr = 0x4),
	R("rnoexec", .attr_set = 0x8),          R("rexec", .attr_clr = 0x8),
	R("rnodiratime", .attr_set = 0x80),     R("rdiratime", .attr_clr = 0x80),
	R("rnosymfollow", .attr_set = 0x200000), R("rsymfollow", .attr_clr = 0x200000),
	/* atime is an enum in the 0x70 field (relatime 0, noatime 0x10,
	 * strictatime 0x20): every atime option clears the field and sets one. */
	R("rnoatime", .attr_set = 0x10, .attr_clr = ATIME_FIELD),
	R("ratime", .attr_set = 0, .attr_clr = ATIME_FIELD),
	R("rrelatime", .attr_set = 0, .attr_clr = ATIME_FIELD),
	R("rnorelatime", .attr_set = 0x20, .attr_clr = ATIME_FIELD),
	R("rstrictatime", .attr_set = 0x20, .attr_clr = ATIME_FIELD),
	R("rnostrictatime", .attr_set = 0, .attr_clr = ATIME_FIELD),
	{ .name = "bind", .type = "none", .kind = SPEC_MOUNT_BIND },
	{ .name = "rbind", .type = "none", .kind = SPEC_MOUNT_RBIND },
	{ .name = "idmap", .type = "bind", .kind = SPEC_MOUNT_BIND, .idmap = true },
	{ .name = "ridmap", .type = "bind", .kind = SPEC_MOUNT_BIND, .idmap = true, .idmap_recursive = true },
	{ .name = "tmpcopyup", .type = "tmpfs", .kind = SPEC_MOUNT_FS, .tmpcopyup = true },
};

Test(tables_fixed, every_mount_option_sets_what_mount8_says)
{
	char text[512];
	size_t n = sizeof(mount_cases) / sizeof(mount_cases[0]);
	for (size_t i = 0; i < n; i++) {
		const struct mopt_case *c = &mount_cases[i];
		snprintf(text, sizeof(text), "{" OCI_BASE ",\"mounts\":[{\"destination\":\"/m\","
			 "\"type\":\"%s\",\"source\":\"/s\",\"options\":[\"%s\"]}]}", c->type, c->name);
		struct spec *sp = load_fixed(text);
		const struct spec_mount *m = &sp->mounts[0];
		cr_expect_eq(m->flags, c->flags, "%s: flags %#lx", c->name, m->flags);
		cr_expect_eq(m->clear_flags, c->clear, "%s: clear %#lx", c->name, m->clear_flags);
		cr_expect_eq(m->propagation, c->prop, "%s: propagation %#lx", c->name, m->propagation);
		cr_expect_eq(m->attr_set, c->attr_set, "%s: attr_set %#llx", c->name,
			     (unsigned long long)m->attr_set);
		cr_expect_eq(m->attr_clr, c->attr_clr, "%s: attr_clr %#llx", c->name,
			     (unsigned long long)m->attr_clr);
		cr_expect_eq(m->recursive_attrs, c->recursive, "%s: recursive", c->name);
		cr_expect_eq(m->kind, c->kind, "%s: kind %d", c->name, m->kind);
		cr_expect_eq(m->idmap, c->idmap, "%s: idmap", c->name);
		cr_expect_eq(m->idmap_recursive, c->idmap_recursive, "%s: ridmap", c->name);
		cr_expect_eq(m->tmpcopyup, c->tmpcopyup, "%s: tmpcopyup", c->name);
		cr_expect_null(m->data, "%s went to the filesystem data: %s", c->name, m->data);
		spec_free(sp);
	}
	/* Every option the parser knows is one of the cases above. */
	cr_expect_eq(mount_option_count(), n, "the table has %zu options, the cases %zu",
		     mount_option_count(), n);
}

/* sched(7), ioprio_set(2), uapi/linux/sched.h, and the OCI hook names
 * (config.md "POSIX-platform Hooks"). */
Test(tables_fixed, scheduler_ioprio_and_hook_names)
{
	static const struct {
		const char *name;
		int v;
	} pol[] = { { "SCHED_OTHER", 0 }, { "SCHED_FIFO", 1 }, { "SCHED_RR", 2 }, { "SCHED_BATCH", 3 },
		    { "SCHED_ISO", 4 },   { "SCHED_IDLE", 5 }, { "SCHED_DEADLINE", 6 } },
	  flg[] = { { "SCHED_FLAG_RESET_ON_FORK", 0x01 }, { "SCHED_FLAG_RECLAIM", 0x02 },
		    { "SCHED_FLAG_DL_OVERRUN", 0x04 },    { "SCHED_FLAG_KEEP_POLICY", 0x08 },
		    { "SCHED_FLAG_KEEP_PARAMS", 0x10 },   { "SCHED_FLAG_UTIL_CLAMP_MIN", 0x20 },
		    { "SCHED_FLAG_UTIL_CLAMP_MAX", 0x40 } },
	  io[] = { { "IOPRIO_CLASS_RT", 1 }, { "IOPRIO_CLASS_BE", 2 }, { "IOPRIO_CLASS_IDLE", 3 } };
	for (size_t i = 0; i < sizeof(pol) / sizeof(pol[0]); i++)
		cr_expect_eq(sched_policy_from_name(pol[i].name), pol[i].v, "%s", pol[i].name);
	for (size_t i = 0; i < sizeof(flg) / sizeof(flg[0]); i++)
		cr_expect_eq(sched_flag_from_name(flg[i].name), flg[i].v, "%s", flg[i].name);
	for (size_t i = 0; i < sizeof(io) / sizeof(io[0]); i++)
		cr_expect_eq(ioprio_class_from_name(io[i].name), io[i].v, "%s", io[i].name);

	static const struct {
		const char *name;
		enum spec_hook_kind kind;
	} hooks[] = {
		{ "prestart", SPEC_HOOK_PRESTART },           { "createRuntime", SPEC_HOOK_CREATE_RUNTIME },
		{ "createContainer", SPEC_HOOK_CREATE_CONTAINER },
		{ "startContainer", SPEC_HOOK_START_CONTAINER }, { "poststart", SPEC_HOOK_POSTSTART },
		{ "poststop", SPEC_HOOK_POSTSTOP },
	};
	char text[512];
	for (size_t i = 0; i < sizeof(hooks) / sizeof(hooks[0]); i++) {
		snprintf(text, sizeof(text), "{" OCI_BASE ",\"hooks\":{\"%s\":[{\"path\":\"/bin/true\"}]}}",
			 hooks[i].name);
		struct spec *sp = load_fixed(text);
		for (int k = 0; k < SPEC_HOOK__COUNT; k++)
			cr_expect_eq(sp->hooks[k].n, k == (int)hooks[i].kind ? 1u : 0u, "%s in slot %d",
				     hooks[i].name, k);
		spec_free(sp);
	}
}
