/* The name tables against the kernel's own numbers (linux/capability.h,
 * sched.h), written out here independently: a round trip through pith's
 * table alone passes with a typo or a swapped pair. */
#include <criterion/criterion.h>

#include <errno.h>
#include <jansson.h>
#include <linux/capability.h>
#include <sched.h>
#include <string.h>

#include "../../config/spec.h"

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
