/* Name <-> number tables shared by the parser, `pith features` and the
 * runtime. Lists that are searched often are kept sorted for bsearch; a unit
 * test checks the order so an insertion in the wrong place cannot go
 * unnoticed. */
#include <linux/ioprio.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>

#include "parse_internal.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif
#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif
#ifndef MS_LAZYTIME
#define MS_LAZYTIME (1 << 25)
#endif
#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
#define MOUNT_ATTR_NOSUID 0x00000002
#define MOUNT_ATTR_NODEV 0x00000004
#define MOUNT_ATTR_NOEXEC 0x00000008
#define MOUNT_ATTR__ATIME 0x00000070
#define MOUNT_ATTR_RELATIME 0x00000000
#define MOUNT_ATTR_NOATIME 0x00000010
#define MOUNT_ATTR_STRICTATIME 0x00000020
#define MOUNT_ATTR_NODIRATIME 0x00000080
#endif
#ifndef MOUNT_ATTR_NOSYMFOLLOW
#define MOUNT_ATTR_NOSYMFOLLOW 0x00200000
#endif
#ifndef SCHED_DEADLINE
#define SCHED_DEADLINE 6
#endif
#ifndef SCHED_ISO
#define SCHED_ISO 4 /* reserved, not in mainline kernels: sched_setattr refuses it */
#endif

/* ---------- capabilities ---------- */

#define CAP_LAST 40 /* CAP_CHECKPOINT_RESTORE */

static const char *const cap_names[CAP_LAST + 1] = {
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
	"CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID",
	"CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
	"CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
	"CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
	"CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
	"CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD",
	"CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP",
	"CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
};

/* Sorted by name for bsearch: configs list up to 41 names in 5 sets. */
struct cap_entry {
	const char *name;
	int cap;
};
static const struct cap_entry caps_sorted[CAP_LAST + 1] = {
	{ "CAP_AUDIT_CONTROL", 30 }, { "CAP_AUDIT_READ", 37 }, { "CAP_AUDIT_WRITE", 29 },
	{ "CAP_BLOCK_SUSPEND", 36 }, { "CAP_BPF", 39 }, { "CAP_CHECKPOINT_RESTORE", 40 },
	{ "CAP_CHOWN", 0 }, { "CAP_DAC_OVERRIDE", 1 }, { "CAP_DAC_READ_SEARCH", 2 },
	{ "CAP_FOWNER", 3 }, { "CAP_FSETID", 4 }, { "CAP_IPC_LOCK", 14 },
	{ "CAP_IPC_OWNER", 15 }, { "CAP_KILL", 5 }, { "CAP_LEASE", 28 },
	{ "CAP_LINUX_IMMUTABLE", 9 }, { "CAP_MAC_ADMIN", 33 }, { "CAP_MAC_OVERRIDE", 32 },
	{ "CAP_MKNOD", 27 }, { "CAP_NET_ADMIN", 12 }, { "CAP_NET_BIND_SERVICE", 10 },
	{ "CAP_NET_BROADCAST", 11 }, { "CAP_NET_RAW", 13 }, { "CAP_PERFMON", 38 },
	{ "CAP_SETFCAP", 31 }, { "CAP_SETGID", 6 }, { "CAP_SETPCAP", 8 },
	{ "CAP_SETUID", 7 }, { "CAP_SYSLOG", 34 }, { "CAP_SYS_ADMIN", 21 },
	{ "CAP_SYS_BOOT", 22 }, { "CAP_SYS_CHROOT", 18 }, { "CAP_SYS_MODULE", 16 },
	{ "CAP_SYS_NICE", 23 }, { "CAP_SYS_PACCT", 20 }, { "CAP_SYS_PTRACE", 19 },
	{ "CAP_SYS_RAWIO", 17 }, { "CAP_SYS_RESOURCE", 24 }, { "CAP_SYS_TIME", 25 },
	{ "CAP_SYS_TTY_CONFIG", 26 }, { "CAP_WAKE_ALARM", 35 },
};

static int cmp_name(const void *key, const void *entry)
{
	return strcmp(key, *(const char *const *)entry);
}

int spec_capability_from_name(const char *name)
{
	const struct cap_entry *e = bsearch(name, caps_sorted, CAP_LAST + 1, sizeof(caps_sorted[0]),
					    cmp_name);
	return e ? e->cap : -1;
}

const char *spec_capability_name(int cap)
{
	return cap >= 0 && cap <= CAP_LAST ? cap_names[cap] : NULL;
}

int spec_capability_last(void)
{
	return CAP_LAST;
}

/* ---------- rlimits ---------- */

static const struct { const char *name; int res; } rlimits[] = {
	{ "RLIMIT_AS", RLIMIT_AS }, { "RLIMIT_CORE", RLIMIT_CORE }, { "RLIMIT_CPU", RLIMIT_CPU },
	{ "RLIMIT_DATA", RLIMIT_DATA }, { "RLIMIT_FSIZE", RLIMIT_FSIZE },
	{ "RLIMIT_LOCKS", RLIMIT_LOCKS }, { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },
	{ "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE }, { "RLIMIT_NICE", RLIMIT_NICE },
	{ "RLIMIT_NOFILE", RLIMIT_NOFILE }, { "RLIMIT_NPROC", RLIMIT_NPROC },
	{ "RLIMIT_RSS", RLIMIT_RSS }, { "RLIMIT_RTPRIO", RLIMIT_RTPRIO },
	{ "RLIMIT_RTTIME", RLIMIT_RTTIME }, { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
	{ "RLIMIT_STACK", RLIMIT_STACK },
};

int spec_rlimit_from_name(const char *name)
{
	for (size_t i = 0; i < sizeof(rlimits) / sizeof(rlimits[0]); i++)
		if (strcmp(name, rlimits[i].name) == 0)
			return rlimits[i].res;
	return -1;
}

/* ---------- namespaces ---------- */

static const struct { const char *name; int flag; } namespaces[] = {
	{ "mount", CLONE_NEWNS }, { "pid", CLONE_NEWPID }, { "network", CLONE_NEWNET },
	{ "ipc", CLONE_NEWIPC }, { "uts", CLONE_NEWUTS }, { "user", CLONE_NEWUSER },
	{ "cgroup", CLONE_NEWCGROUP }, { "time", CLONE_NEWTIME },
};

int spec_namespace_from_name(const char *name)
{
	for (size_t i = 0; i < sizeof(namespaces) / sizeof(namespaces[0]); i++)
		if (strcmp(name, namespaces[i].name) == 0)
			return namespaces[i].flag;
	return 0;
}

const char *spec_namespace_name(int clone_flag)
{
	for (size_t i = 0; i < sizeof(namespaces) / sizeof(namespaces[0]); i++)
		if (namespaces[i].flag == clone_flag)
			return namespaces[i].name;
	return NULL;
}

/* ---------- mount options ---------- */

/* One list feeds both the lookup table and spec_mount_option_names, so
 * `pith features` reports exactly what the parser accepts. Sorted (C
 * locale) for bsearch. */
#define MOUNT_OPTIONS(X) \
	X("async", MOPT_CLEAR, MS_SYNCHRONOUS) \
	X("atime", MOPT_CLEAR, MS_NOATIME) \
	X("bind", MOPT_BIND, 0) \
	X("defaults", MOPT_NOP, 0) \
	X("dev", MOPT_CLEAR, MS_NODEV) \
	X("diratime", MOPT_CLEAR, MS_NODIRATIME) \
	X("dirsync", MOPT_SET, MS_DIRSYNC) \
	X("exec", MOPT_CLEAR, MS_NOEXEC) \
	X("idmap", MOPT_IDMAP, 0) \
	X("iversion", MOPT_SET, MS_I_VERSION) \
	X("lazytime", MOPT_SET, MS_LAZYTIME) \
	X("loud", MOPT_CLEAR, MS_SILENT) \
	X("mand", MOPT_SET, MS_MANDLOCK) \
	X("noatime", MOPT_SET, MS_NOATIME) \
	X("nodev", MOPT_SET, MS_NODEV) \
	X("nodiratime", MOPT_SET, MS_NODIRATIME) \
	X("noexec", MOPT_SET, MS_NOEXEC) \
	X("noiversion", MOPT_CLEAR, MS_I_VERSION) \
	X("nolazytime", MOPT_CLEAR, MS_LAZYTIME) \
	X("nomand", MOPT_CLEAR, MS_MANDLOCK) \
	X("norelatime", MOPT_CLEAR, MS_RELATIME) \
	X("nostrictatime", MOPT_CLEAR, MS_STRICTATIME) \
	X("nosuid", MOPT_SET, MS_NOSUID) \
	X("nosymfollow", MOPT_SET, MS_NOSYMFOLLOW) \
	X("private", MOPT_PROPAGATION, MS_PRIVATE) \
	X("ratime", MOPT_ATTR_ATIME, MOUNT_ATTR_RELATIME) \
	X("rbind", MOPT_RBIND, 0) \
	X("rdev", MOPT_ATTR_CLR, MOUNT_ATTR_NODEV) \
	X("rdiratime", MOPT_ATTR_CLR, MOUNT_ATTR_NODIRATIME) \
	X("relatime", MOPT_SET, MS_RELATIME) \
	X("remount", MOPT_SET, MS_REMOUNT) \
	X("rexec", MOPT_ATTR_CLR, MOUNT_ATTR_NOEXEC) \
	X("ridmap", MOPT_RIDMAP, 0) \
	X("rnoatime", MOPT_ATTR_ATIME, MOUNT_ATTR_NOATIME) \
	X("rnodev", MOPT_ATTR_SET, MOUNT_ATTR_NODEV) \
	X("rnodiratime", MOPT_ATTR_SET, MOUNT_ATTR_NODIRATIME) \
	X("rnoexec", MOPT_ATTR_SET, MOUNT_ATTR_NOEXEC) \
	X("rnorelatime", MOPT_ATTR_ATIME, MOUNT_ATTR_STRICTATIME) \
	X("rnostrictatime", MOPT_ATTR_ATIME, MOUNT_ATTR_RELATIME) \
	X("rnosuid", MOPT_ATTR_SET, MOUNT_ATTR_NOSUID) \
	X("rnosymfollow", MOPT_ATTR_SET, MOUNT_ATTR_NOSYMFOLLOW) \
	X("ro", MOPT_SET, MS_RDONLY) \
	X("rprivate", MOPT_PROPAGATION, MS_PRIVATE | MS_REC) \
	X("rrelatime", MOPT_ATTR_ATIME, MOUNT_ATTR_RELATIME) \
	X("rro", MOPT_ATTR_SET, MOUNT_ATTR_RDONLY) \
	X("rrw", MOPT_ATTR_CLR, MOUNT_ATTR_RDONLY) \
	X("rshared", MOPT_PROPAGATION, MS_SHARED | MS_REC) \
	X("rslave", MOPT_PROPAGATION, MS_SLAVE | MS_REC) \
	X("rstrictatime", MOPT_ATTR_ATIME, MOUNT_ATTR_STRICTATIME) \
	X("rsuid", MOPT_ATTR_CLR, MOUNT_ATTR_NOSUID) \
	X("rsymfollow", MOPT_ATTR_CLR, MOUNT_ATTR_NOSYMFOLLOW) \
	X("runbindable", MOPT_PROPAGATION, MS_UNBINDABLE | MS_REC) \
	X("rw", MOPT_CLEAR, MS_RDONLY) \
	X("shared", MOPT_PROPAGATION, MS_SHARED) \
	X("silent", MOPT_SET, MS_SILENT) \
	X("slave", MOPT_PROPAGATION, MS_SLAVE) \
	X("strictatime", MOPT_SET, MS_STRICTATIME) \
	X("suid", MOPT_CLEAR, MS_NOSUID) \
	X("symfollow", MOPT_CLEAR, MS_NOSYMFOLLOW) \
	X("sync", MOPT_SET, MS_SYNCHRONOUS) \
	X("tmpcopyup", MOPT_TMPCOPYUP, 0) \
	X("unbindable", MOPT_PROPAGATION, MS_UNBINDABLE)

#define MOPT_ENTRY(n, k, v) { n, k, v },
#define MOPT_NAME(n, k, v) n,
static const struct mount_opt mount_opts[] = { MOUNT_OPTIONS(MOPT_ENTRY) };
const char *const spec_mount_option_names[] = { MOUNT_OPTIONS(MOPT_NAME) NULL };

#define N_MOUNT_OPTS (sizeof(mount_opts) / sizeof(mount_opts[0]))

const struct mount_opt *mount_option_lookup(const char *name)
{
	return bsearch(name, mount_opts, N_MOUNT_OPTS, sizeof(mount_opts[0]), cmp_name);
}

size_t mount_option_count(void)
{
	return N_MOUNT_OPTS;
}

const struct mount_opt *mount_option_at(size_t i)
{
	return i < N_MOUNT_OPTS ? &mount_opts[i] : NULL;
}

unsigned long propagation_from_name(const char *name)
{
	const struct mount_opt *o = mount_option_lookup(name);
	return o && o->kind == MOPT_PROPAGATION ? o->value : 0;
}

/* ---------- hooks, seccomp, scheduler, io priority ---------- */

const char *const spec_hook_names[SPEC_HOOK__COUNT] = {
	[SPEC_HOOK_PRESTART] = "prestart",
	[SPEC_HOOK_CREATE_RUNTIME] = "createRuntime",
	[SPEC_HOOK_CREATE_CONTAINER] = "createContainer",
	[SPEC_HOOK_START_CONTAINER] = "startContainer",
	[SPEC_HOOK_POSTSTART] = "poststart",
	[SPEC_HOOK_POSTSTOP] = "poststop",
};

const char *const spec_seccomp_action_names[SPEC_SCMP_ACT__COUNT] = {
	[SPEC_SCMP_ACT_KILL] = "SCMP_ACT_KILL",
	[SPEC_SCMP_ACT_KILL_PROCESS] = "SCMP_ACT_KILL_PROCESS",
	[SPEC_SCMP_ACT_KILL_THREAD] = "SCMP_ACT_KILL_THREAD",
	[SPEC_SCMP_ACT_TRAP] = "SCMP_ACT_TRAP",
	[SPEC_SCMP_ACT_ERRNO] = "SCMP_ACT_ERRNO",
	[SPEC_SCMP_ACT_TRACE] = "SCMP_ACT_TRACE",
	[SPEC_SCMP_ACT_ALLOW] = "SCMP_ACT_ALLOW",
	[SPEC_SCMP_ACT_LOG] = "SCMP_ACT_LOG",
	[SPEC_SCMP_ACT_NOTIFY] = "SCMP_ACT_NOTIFY",
};

const char *const spec_seccomp_op_names[SPEC_SCMP_CMP__COUNT] = {
	[SPEC_SCMP_CMP_NE] = "SCMP_CMP_NE",
	[SPEC_SCMP_CMP_LT] = "SCMP_CMP_LT",
	[SPEC_SCMP_CMP_LE] = "SCMP_CMP_LE",
	[SPEC_SCMP_CMP_EQ] = "SCMP_CMP_EQ",
	[SPEC_SCMP_CMP_GE] = "SCMP_CMP_GE",
	[SPEC_SCMP_CMP_GT] = "SCMP_CMP_GT",
	[SPEC_SCMP_CMP_MASKED_EQ] = "SCMP_CMP_MASKED_EQ",
};

static int index_of(const char *const *names, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	return -1;
}

int seccomp_action_from_name(const char *name)
{
	return index_of(spec_seccomp_action_names, SPEC_SCMP_ACT__COUNT, name);
}

int seccomp_op_from_name(const char *name)
{
	return index_of(spec_seccomp_op_names, SPEC_SCMP_CMP__COUNT, name);
}

int seccomp_flag_from_name(const char *name)
{
	static const struct { const char *name; int bit; } flags[] = {
		{ "SECCOMP_FILTER_FLAG_TSYNC", SPEC_SCMP_FLAG_TSYNC },
		{ "SECCOMP_FILTER_FLAG_LOG", SPEC_SCMP_FLAG_LOG },
		{ "SECCOMP_FILTER_FLAG_SPEC_ALLOW", SPEC_SCMP_FLAG_SPEC_ALLOW },
		{ "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SPEC_SCMP_FLAG_WAIT_KILLABLE_RECV },
	};
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		if (strcmp(name, flags[i].name) == 0)
			return flags[i].bit;
	return 0;
}

int sched_policy_from_name(const char *name)
{
	static const struct { const char *name; int policy; } p[] = {
		{ "SCHED_OTHER", SCHED_OTHER }, { "SCHED_FIFO", SCHED_FIFO },
		{ "SCHED_RR", SCHED_RR }, { "SCHED_BATCH", SCHED_BATCH },
		{ "SCHED_ISO", SCHED_ISO }, { "SCHED_IDLE", SCHED_IDLE },
		{ "SCHED_DEADLINE", SCHED_DEADLINE },
	};
	for (size_t i = 0; i < sizeof(p) / sizeof(p[0]); i++)
		if (strcmp(name, p[i].name) == 0)
			return p[i].policy;
	return -1;
}

int sched_flag_from_name(const char *name)
{
	/* Values of the kernel's SCHED_FLAG_* (uapi/linux/sched.h). */
	static const struct { const char *name; int bit; } f[] = {
		{ "SCHED_FLAG_RESET_ON_FORK", 0x01 }, { "SCHED_FLAG_RECLAIM", 0x02 },
		{ "SCHED_FLAG_DL_OVERRUN", 0x04 }, { "SCHED_FLAG_KEEP_POLICY", 0x08 },
		{ "SCHED_FLAG_KEEP_PARAMS", 0x10 }, { "SCHED_FLAG_UTIL_CLAMP_MIN", 0x20 },
		{ "SCHED_FLAG_UTIL_CLAMP_MAX", 0x40 },
	};
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (strcmp(name, f[i].name) == 0)
			return f[i].bit;
	return 0;
}

int ioprio_class_from_name(const char *name)
{
	if (strcmp(name, "IOPRIO_CLASS_RT") == 0)
		return IOPRIO_CLASS_RT;
	if (strcmp(name, "IOPRIO_CLASS_BE") == 0)
		return IOPRIO_CLASS_BE;
	if (strcmp(name, "IOPRIO_CLASS_IDLE") == 0)
		return IOPRIO_CLASS_IDLE;
	return -1;
}
