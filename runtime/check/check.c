/* Probes behind `pith check`. Every file read goes through env->proc/env->sys
 * so tests can aim them at fake trees; the syscall and personality probes
 * only run when env->live (they describe this process's kernel, not a tree). */
#include "check.h"
#include "../cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <linux/seccomp.h>
#include <unistd.h>

/* vsnprintf into a fixed field: truncation of a diagnostic is acceptable. */
static void setf(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void setf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

static struct check_result *add(struct check_report *rep, const char *name, enum check_status st,
				bool required)
{
	static struct check_result overflow;
	struct check_result *r = rep->n < CHECK_MAX ? &rep->items[rep->n++] : &overflow;
	memset(r, 0, sizeof(*r));
	setf(r->name, sizeof(r->name), "%s", name);
	r->status = st;
	r->required = required;
	return r;
}

/* Read a small file below root ("proc"/"sys" tree) into buf; -1 if absent. */
static int read_under(const char *root, const char *rel, char *buf, size_t len)
{
	char path[4096];
	setf(path, sizeof(path), "%s/%s", root, rel);
	auto_fd fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t got = 0;
	while (got + 1 < len) {
		ssize_t n = read(fd, buf + got, len - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	return 0;
}

static bool exists_under(const char *root, const char *rel)
{
	char path[4096];
	struct stat st;
	setf(path, sizeof(path), "%s/%s", root, rel);
	return lstat(path, &st) == 0;
}

/* Is word a whole blank-separated word of text? */
static bool has_word(const char *text, const char *word)
{
	size_t wl = strlen(word);
	for (const char *p = text; (p = strstr(p, word)) != NULL; p += wl) {
		bool start = p == text || p[-1] == ' ' || p[-1] == '\t' || p[-1] == '\n';
		char end = p[wl];
		if (start && (end == '\0' || end == ' ' || end == '\t' || end == '\n'))
			return true;
	}
	return false;
}

/* /proc/cgroups: "memory 0 1 0" means compiled in but disabled at boot. */
static bool controller_disabled_at_boot(const struct check_env *env, const char *ctrl)
{
	char buf[4096];
	if (read_under(env->proc, "cgroups", buf, sizeof(buf)) < 0)
		return false;
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		char name[64];
		unsigned hier, num, enabled;
		if (sscanf(line, "%63s %u %u %u", name, &hier, &num, &enabled) == 4 &&
		    strcmp(name, ctrl) == 0)
			return enabled == 0;
	}
	return false;
}

static const char *controller_fix(const char *ctrl)
{
	if (strcmp(ctrl, "memory") == 0)
		return "boot with cgroup_enable=memory on the kernel command line (kernel needs CONFIG_MEMCG)";
	if (strcmp(ctrl, "pids") == 0)
		return "rebuild the kernel with CONFIG_CGROUP_PIDS=y";
	if (strcmp(ctrl, "cpu") == 0)
		return "rebuild the kernel with CONFIG_CGROUP_SCHED=y and CONFIG_CFS_BANDWIDTH=y";
	return "rebuild the kernel with CONFIG_BLK_CGROUP=y (io limits only)";
}

void check_cgroups(const struct check_env *env, struct check_report *rep)
{
	static const char *const ctrls[] = { "memory", "pids", "cpu", "io" };
	char v2[512] = "";
	bool pure = read_under(env->sys, "fs/cgroup/cgroup.controllers", v2, sizeof(v2)) == 0;
	bool hybrid = !pure && exists_under(env->sys, "fs/cgroup/unified/cgroup.controllers");
	bool v1 = !pure && (exists_under(env->sys, "fs/cgroup/memory") || exists_under(env->sys, "fs/cgroup/cpu") ||
			    exists_under(env->sys, "fs/cgroup/pids"));
	struct check_result *r;

	if (pure) {
		setf(rep->cgroup_mode, sizeof(rep->cgroup_mode), "v2");
		r = add(rep, "cgroup", CHECK_OK, true);
		setf(r->detail, sizeof(r->detail), "v2 (unified) at /sys/fs/cgroup");
	} else if (v1) {
		setf(rep->cgroup_mode, sizeof(rep->cgroup_mode), "%s", hybrid ? "hybrid" : "v1");
		r = add(rep, "cgroup", CHECK_OK, true);
		setf(r->detail, sizeof(r->detail), "%s", hybrid ? "hybrid: v1 controllers, v2 at /sys/fs/cgroup/unified" : "v1");
	} else {
		setf(rep->cgroup_mode, sizeof(rep->cgroup_mode), "none");
		r = add(rep, "cgroup", CHECK_MISSING, true);
		setf(r->detail, sizeof(r->detail), "no cgroup hierarchy under /sys/fs/cgroup");
		setf(r->fix, sizeof(r->fix), "mount -t cgroup2 none /sys/fs/cgroup (kernel needs CONFIG_CGROUPS)");
		return;
	}
	for (size_t i = 0; i < sizeof(ctrls) / sizeof(ctrls[0]); i++) {
		char name[32], rel[64];
		bool ok;
		setf(name, sizeof(name), "cgroup.%s", ctrls[i]);
		if (pure) {
			ok = has_word(v2, ctrls[i]);
		} else {
			setf(rel, sizeof(rel), "fs/cgroup/%s", ctrls[i]);
			ok = exists_under(env->sys, rel);
		}
		bool io = strcmp(ctrls[i], "io") == 0;
		if (!pure && io) {
			setf(rel, sizeof(rel), "fs/cgroup/blkio");
			ok = exists_under(env->sys, rel);
		}
		r = add(rep, name, ok ? CHECK_OK : CHECK_WARN, false);
		if (ok) {
			setf(r->detail, sizeof(r->detail), "%s controller available", ctrls[i]);
			continue;
		}
		bool off = controller_disabled_at_boot(env, io && !pure ? "blkio" : ctrls[i]);
		setf(r->detail, sizeof(r->detail), "%s controller %s: %s limits in a spec fail", ctrls[i],
		     off ? "disabled at boot" : "not available", ctrls[i]);
		setf(r->fix, sizeof(r->fix), "%s", controller_fix(ctrls[i]));
	}
}

void check_filesystems(const struct check_env *env, struct check_report *rep)
{
	char buf[8192] = "";
	read_under(env->proc, "filesystems", buf, sizeof(buf));
	bool overlay = has_word(buf, "overlay");
	struct check_result *r = add(rep, "overlayfs", overlay ? CHECK_OK : CHECK_WARN, false);
	if (overlay) {
		setf(r->detail, sizeof(r->detail), "overlay in /proc/filesystems");
	} else {
		setf(r->detail, sizeof(r->detail), "no overlay in /proc/filesystems: only bind-mounted rootfs");
		setf(r->fix, sizeof(r->fix), "modprobe overlay (kernel needs CONFIG_OVERLAY_FS)");
	}
}

void check_namespaces(const struct check_env *env, struct check_report *rep)
{
	static const struct { const char *ns, *config; bool required; } nss[] = {
		{ "mnt", "CONFIG_NAMESPACES", true },  { "pid", "CONFIG_PID_NS", true },
		{ "net", "CONFIG_NET_NS", true },      { "ipc", "CONFIG_IPC_NS", true },
		{ "uts", "CONFIG_UTS_NS", true },      { "cgroup", "CONFIG_CGROUPS", false },
		{ "user", "CONFIG_USER_NS", false },   { "time", "CONFIG_TIME_NS", false },
	};
	for (size_t i = 0; i < sizeof(nss) / sizeof(nss[0]); i++) {
		char name[32], rel[64];
		setf(name, sizeof(name), "ns.%s", nss[i].ns);
		setf(rel, sizeof(rel), "self/ns/%s", nss[i].ns);
		bool ok = exists_under(env->proc, rel);
		struct check_result *r = add(rep, name, ok ? CHECK_OK : nss[i].required ? CHECK_MISSING : CHECK_WARN,
					     nss[i].required);
		setf(r->detail, sizeof(r->detail), "%s namespace %s", nss[i].ns, ok ? "supported" : "not in this kernel");
		if (!ok)
			setf(r->fix, sizeof(r->fix), "rebuild the kernel with %s=y", nss[i].config);
	}
}

static int64_t read_int(const char *root, const char *rel, int64_t dflt)
{
	char buf[64];
	long long v;
	if (read_under(root, rel, buf, sizeof(buf)) < 0 || sscanf(buf, "%lld", &v) != 1)
		return dflt;
	return v;
}

void check_userns(const struct check_env *env, struct check_report *rep)
{
	int64_t max = read_int(env->proc, "sys/user/max_user_namespaces", -1);
	int64_t clone = read_int(env->proc, "sys/kernel/unprivileged_userns_clone", -1);
	struct check_result *r;
	if (max == 0) {
		r = add(rep, "userns.unprivileged", CHECK_WARN, false);
		setf(r->detail, sizeof(r->detail), "user.max_user_namespaces is 0: rootless containers cannot run");
		setf(r->fix, sizeof(r->fix), "sysctl -w user.max_user_namespaces=15000");
	} else if (clone == 0) {
		r = add(rep, "userns.unprivileged", CHECK_WARN, false);
		setf(r->detail, sizeof(r->detail), "kernel.unprivileged_userns_clone is 0: rootless containers cannot run");
		setf(r->fix, sizeof(r->fix), "sysctl -w kernel.unprivileged_userns_clone=1");
	} else if (max < 0 && !exists_under(env->proc, "self/ns/user")) {
		r = add(rep, "userns.unprivileged", CHECK_WARN, false);
		setf(r->detail, sizeof(r->detail), "no user namespaces: rootless containers cannot run");
		setf(r->fix, sizeof(r->fix), "rebuild the kernel with CONFIG_USER_NS=y");
	} else {
		r = add(rep, "userns.unprivileged", CHECK_OK, false);
		setf(r->detail, sizeof(r->detail), "unprivileged user namespaces allowed (max %" PRId64 ")", max);
	}
}

/* The libseccomp arch names a filter must cover for binaries built like this one. */
static const char *seccomp_arches(void)
{
#if defined(__arm__)
	return "SCMP_ARCH_ARM";
#elif defined(__aarch64__)
	return "SCMP_ARCH_AARCH64 (+SCMP_ARCH_ARM for armhf containers)";
#elif defined(__x86_64__)
	return "SCMP_ARCH_X86_64 (+SCMP_ARCH_X86, SCMP_ARCH_X32)";
#elif defined(__i386__)
	return "SCMP_ARCH_X86";
#else
	return "the native arch";
#endif
}

void check_seccomp(const struct check_env *env, struct check_report *rep)
{
	char status[4096] = "";
	read_under(env->proc, "self/status", status, sizeof(status));
	bool line = strstr(status, "\nSeccomp:") != NULL || strncmp(status, "Seccomp:", 8) == 0;
	bool filter = line;
	const char *why = "no Seccomp: line in /proc/self/status";
	if (line && env->live) {
		/* With filter mode built in, a NULL program is rejected with EFAULT;
		 * without it (or under qemu-user) the mode itself is refused. */
		errno = 0;
		int r = prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, NULL, 0, 0);
		filter = r < 0 && errno == EFAULT;
		why = "prctl(PR_SET_SECCOMP, FILTER) refused (no CONFIG_SECCOMP_FILTER, or qemu-user)";
	}
	struct check_result *r = add(rep, "seccomp", filter ? CHECK_OK : CHECK_MISSING, true);
	if (filter) {
		setf(r->detail, sizeof(r->detail), "seccomp filters supported");
	} else {
		setf(r->detail, sizeof(r->detail), "%s", why);
		setf(r->fix, sizeof(r->fix), "rebuild the kernel with CONFIG_SECCOMP=y CONFIG_SECCOMP_FILTER=y");
	}
	r = add(rep, "seccomp.arch", CHECK_INFO, false);
	setf(r->detail, sizeof(r->detail), "filters are built for %s", seccomp_arches());
}

/* A probe call that fails with ENOSYS means "not in this kernel"; any other
 * outcome (EINVAL, EFAULT, EBADF, success) means it exists. EPERM usually
 * means an outer seccomp filter. */
static void syscall_result(struct check_report *rep, const char *name, const char *label, long r, int e,
			   const char *since, const char *fallback)
{
	bool missing = r < 0 && e == ENOSYS;
	bool blocked = r < 0 && e == EPERM;
	struct check_result *res = add(rep, name, missing || blocked ? CHECK_WARN : CHECK_OK, false);
	if (missing)
		setf(res->detail, sizeof(res->detail), "%s: ENOSYS (needs Linux %s); pith falls back to %s", label,
		     since, fallback);
	else if (blocked)
		setf(res->detail, sizeof(res->detail), "%s: EPERM (blocked by an outer seccomp filter); pith falls back to %s",
		     label, fallback);
	else
		setf(res->detail, sizeof(res->detail), "%s available", label);
	if (missing)
		setf(res->fix, sizeof(res->fix), "none needed; a kernel >= %s is faster and safer", since);
}

void check_syscalls(const struct check_env *env, struct check_report *rep)
{
	if (!env->live)
		return;
	long r;
	errno = 0;
	r = syscall(SYS_clone3, NULL, 0);
	syscall_result(rep, "clone3", "clone3", r, errno, "5.3", "clone");
	errno = 0;
	r = syscall(SYS_openat2, AT_FDCWD, "/", NULL, 0);
	if (r >= 0)
		close((int)r);
	syscall_result(rep, "openat2", "openat2", r, errno, "5.6", "an O_PATH walk");
	errno = 0;
	r = syscall(SYS_fsopen, NULL, 0);
	if (r >= 0)
		close((int)r);
	syscall_result(rep, "mount_api", "new mount API (fsopen)", r, errno, "5.2", "mount(2)");
	errno = 0;
	r = syscall(SYS_pidfd_open, getpid(), 0);
	if (r >= 0)
		close((int)r);
	syscall_result(rep, "pidfd", "pidfd_open", r, errno, "5.3", "signals by pid");
}

/* ARM only: the CPU generation from /proc/cpuinfo (ARMv6 reports
 * "CPU architecture: 7" on ARM1176, so the model name decides). */
static void check_arm_isa(const struct check_env *env, struct check_report *rep, const char *cpuinfo)
{
	bool v6 = strstr(cpuinfo, "ARMv6") != NULL || strstr(cpuinfo, "(v6l)") != NULL;
	struct check_result *r = add(rep, "cpu.isa", v6 ? CHECK_WARN : CHECK_OK, false);
	if (v6) {
		setf(r->detail, sizeof(r->detail), "ARMv6 CPU (Pi 1/Zero class): Debian armhf and .NET need ARMv7");
		setf(r->fix, sizeof(r->fix),
		     "use an ARMv7+ board (Pi Zero 2, 2, 3, 4) for armhf images and .NET; ARMv6 needs armel or Raspbian builds");
	} else {
		setf(r->detail, sizeof(r->detail), "ARMv7 or later: armhf images and .NET linux-arm can run");
	}
}

/* On an arm64 kernel, armhf containers need AArch32 at EL0. */
static void check_aarch32(const struct check_env *env, struct check_report *rep, const char *machine)
{
	struct check_result *r;
#if defined(__arm__)
	if (strcmp(machine, "aarch64") == 0 || strcmp(machine, "armv8l") == 0) {
		r = add(rep, "aarch32", CHECK_OK, false);
		setf(r->detail, sizeof(r->detail),
		     "armhf build on a 64-bit kernel (%s): AArch32 works; seccomp sees SCMP_ARCH_ARM", machine);
	}
#elif defined(__aarch64__)
	int old = personality(0xffffffff);
	bool ok = personality(PER_LINUX32) >= 0;
	if (ok)
		personality(old);
	r = add(rep, "aarch32", ok ? CHECK_OK : CHECK_WARN, false);
	setf(r->detail, sizeof(r->detail), ok ? "personality(PER_LINUX32) works: armhf containers can run"
					      : "no AArch32 at EL0: armhf (linux/arm/v7) images cannot run here");
	if (!ok)
		setf(r->fix, sizeof(r->fix), "use arm64 images (this CPU or kernel has no 32-bit EL0, CONFIG_COMPAT)");
#else
	(void)rep;
	(void)machine;
	(void)r;
#endif
	(void)env;
}

void check_cpu(const struct check_env *env, struct check_report *rep)
{
	char cpuinfo[16384] = "";
	read_under(env->proc, "cpuinfo", cpuinfo, sizeof(cpuinfo));
	struct utsname u = { 0 };
	if (env->live)
		uname(&u);
	bool arm = strstr(cpuinfo, "CPU architecture") != NULL;
	if (arm)
		check_arm_isa(env, rep, cpuinfo);
	if (env->live)
		check_aarch32(env, rep, u.machine);
}

static void space_result(struct check_report *rep, const char *name, const char *dir, const char *what)
{
	char path[4096];
	struct statvfs sv;
	struct check_result *r;
	setf(path, sizeof(path), "%s", dir ? dir : "/");
	/* The directory may not exist yet: measure the filesystem it will be on. */
	while (statvfs(path, &sv) < 0) {
		char *slash = strrchr(path, '/');
		if (!slash || slash == path) {
			setf(path, sizeof(path), "/");
			if (statvfs(path, &sv) < 0) {
				r = add(rep, name, CHECK_WARN, false);
				setf(r->detail, sizeof(r->detail), "cannot statvfs %s", dir);
				return;
			}
			break;
		}
		*slash = '\0';
	}
	uint64_t free_mib = (uint64_t)sv.f_bavail * (uint64_t)sv.f_frsize / (1024 * 1024);
	enum check_status st = free_mib < 1 ? CHECK_MISSING : free_mib < 64 ? CHECK_WARN : CHECK_OK;
	r = add(rep, name, st, strcmp(name, "space.state") == 0);
	setf(r->detail, sizeof(r->detail), "%" PRIu64 " MiB free for %s in %s", free_mib, what, path);
	if (st != CHECK_OK)
		setf(r->fix, sizeof(r->fix), "free space on the filesystem holding %s", path);
}

void check_space(const struct check_env *env, struct check_report *rep)
{
	space_result(rep, "space.state", env->state_dir, "state");
	space_result(rep, "space.logs", env->log_dir, "logs");
}

void check_all(const struct check_env *env, struct check_report *rep)
{
	memset(rep, 0, sizeof(*rep));
	check_cgroups(env, rep);
	check_filesystems(env, rep);
	check_namespaces(env, rep);
	check_userns(env, rep);
	check_seccomp(env, rep);
	check_syscalls(env, rep);
	check_cpu(env, rep);
	check_space(env, rep);
}

const struct check_result *check_find(const struct check_report *rep, const char *name)
{
	for (int i = 0; i < rep->n; i++)
		if (strcmp(rep->items[i].name, name) == 0)
			return &rep->items[i];
	return NULL;
}

bool check_can_run(const struct check_report *rep)
{
	for (int i = 0; i < rep->n; i++)
		if (rep->items[i].required && rep->items[i].status == CHECK_MISSING)
			return false;
	return true;
}

const char *check_status_name(enum check_status s)
{
	switch (s) {
	case CHECK_OK: return "ok";
	case CHECK_INFO: return "info";
	case CHECK_WARN: return "warn";
	default: return "missing";
	}
}
