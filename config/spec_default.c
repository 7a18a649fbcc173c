/* `pith spec`: the default config.json, shaped like `runc spec` (and
 * `runc spec --rootless`), plus the built-in seccomp profile.
 *
 * The profile (config/seccomp_default.json, compiled in as
 * pith_data_seccomp_default_json) is an allow-list in the spirit of
 * docker's/containerd's default, written for this project:
 * - defaultAction ERRNO with defaultErrnoRet ENOSYS: a syscall the profile
 *   does not know (newer than it) looks absent, so glibc and runtimes fall back
 *   (glibc retries only on ENOSYS: clone3, the *_time64 calls on armhf, ...);
 * - calls that exist but are denied on purpose (mount, unshare, setns, keyctl,
 *   add_key, bpf, perf_event_open, kexec_*, *_module, open_by_handle_at,
 *   reboot, swapon, ...) fail with EPERM, so nothing mistakes them for missing;
 * - clone3 and io_uring_* answer ENOSYS explicitly (fall back to clone and
 *   plain I/O); clone is allowed only without namespace flags (EPERM with
 *   them); socket(AF_VSOCK) is EPERM; personality only for the harmless values;
 * - what .NET 8/10 needs is allowed: memfd_create, membarrier, mlock/mlock2,
 *   sched_{get,set}affinity, statx, rseq, every *_time64 call, and the ARM
 *   private calls cacheflush, set_tls, breakpoint, arm_fadvise64_64,
 *   arm_sync_file_range, sync_file_range2; ptrace and process_vm_readv/writev
 *   are allowed as docker does on kernels >= 4.8 (createdump needs them);
 * - architectures name x86_64/x86/x32 and aarch64/arm; the compiler keeps only
 *   those this host's kernel can produce, so one file serves every board.
 * The profile is static: granting a container CAP_SYS_ADMIN and friends does
 * not open the calls docker would add for them; edit linux.seccomp for that. */
#include <jansson.h>
#include <unistd.h>

#include "spec.h"

extern const char pith_data_seccomp_default_json[];

json_t *spec_default_seccomp(void)
{
	json_error_t e;
	return json_loads(pith_data_seccomp_default_json, JSON_REJECT_DUPLICATES, &e);
}

static json_t *default_caps(void)
{
	return json_pack("[sss]", "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE");
}

static json_t *default_process(void)
{
	return json_pack("{s:b, s:{s:i, s:i}, s:[s], s:[ss], s:s,"
			 " s:{s:o, s:o, s:o, s:o},"
			 " s:[{s:s, s:i, s:i}], s:b}",
			 "terminal", 0,
			 "user", "uid", 0, "gid", 0,
			 "args", "sh",
			 "env", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm",
			 "cwd", "/",
			 "capabilities", "bounding", default_caps(), "effective", default_caps(),
			 "inheritable", default_caps(), "permitted", default_caps(),
			 "rlimits", "type", "RLIMIT_NOFILE", "hard", 1024, "soft", 1024,
			 "noNewPrivileges", 1);
}

static json_t *mount(const char *dest, const char *type, const char *source, json_t *options)
{
	return json_pack("{s:s, s:s, s:s, s:o}", "destination", dest, "type", type, "source", source,
			 "options", options);
}

static json_t *default_mounts(bool rootless)
{
	json_t *m = json_array();
	json_array_append_new(m, mount("/proc", "proc", "proc", json_array()));
	json_array_append_new(m, mount("/dev", "tmpfs", "tmpfs",
			json_pack("[ssss]", "nosuid", "strictatime", "mode=755", "size=65536k")));
	/* gid=5 (tty) may not exist in a user namespace mapping only the caller. */
	json_array_append_new(m, mount("/dev/pts", "devpts", "devpts", rootless
			? json_pack("[sssss]", "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620")
			: json_pack("[ssssss]", "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620",
				    "gid=5")));
	json_array_append_new(m, mount("/dev/shm", "tmpfs", "shm",
			json_pack("[sssss]", "nosuid", "noexec", "nodev", "mode=1777", "size=65536k")));
	json_array_append_new(m, mount("/dev/mqueue", "mqueue", "mqueue",
			json_pack("[sss]", "nosuid", "noexec", "nodev")));
	if (rootless) {
		/* sysfs cannot be mounted without owning a network namespace; the
		 * host's /sys, read-only, stands in (it includes /sys/fs/cgroup). */
		json_array_append_new(m, mount("/sys", "none", "/sys",
				json_pack("[sssss]", "rbind", "nosuid", "noexec", "nodev", "ro")));
	} else {
		json_array_append_new(m, mount("/sys", "sysfs", "sysfs",
				json_pack("[ssss]", "nosuid", "noexec", "nodev", "ro")));
		json_array_append_new(m, mount("/sys/fs/cgroup", "cgroup", "cgroup",
				json_pack("[sssss]", "nosuid", "noexec", "nodev", "relatime", "ro")));
	}
	return m;
}

static json_t *namespaces(bool rootless)
{
	if (rootless)
		return json_pack("[{s:s}, {s:s}, {s:s}, {s:s}, {s:s}]", "type", "pid", "type", "ipc",
				 "type", "uts", "type", "mount", "type", "user");
	return json_pack("[{s:s}, {s:s}, {s:s}, {s:s}, {s:s}, {s:s}]", "type", "pid", "type", "network",
			 "type", "ipc", "type", "uts", "type", "mount", "type", "cgroup");
}

static json_t *masked_paths(void)
{
	return json_pack("[sssssssssss]", "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
			 "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
			 "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
			 "/sys/devices/virtual/powercap");
}

static json_t *readonly_paths(void)
{
	return json_pack("[sssss]", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
			 "/proc/sysrq-trigger");
}

/* The caller alone, as root of the namespace (what `runc spec --rootless` writes). */
static json_t *self_mapping(unsigned id)
{
	return json_pack("[{s:i, s:I, s:i}]", "containerID", 0, "hostID", (json_int_t)id, "size", 1);
}

static json_t *default_linux(bool rootless)
{
	json_t *seccomp = spec_default_seccomp();
	if (!seccomp)
		return NULL;
	json_t *l = json_pack("{s:o, s:o, s:o, s:o}", "namespaces", namespaces(rootless),
			      "maskedPaths", masked_paths(), "readonlyPaths", readonly_paths(),
			      "seccomp", seccomp);
	if (!l)
		return NULL;
	if (rootless) {
		json_object_set_new(l, "uidMappings", self_mapping(getuid()));
		json_object_set_new(l, "gidMappings", self_mapping(getgid()));
	} else {
		json_object_set_new(l, "resources",
				    json_pack("{s:[{s:b, s:s}]}", "devices", "allow", 0, "access", "rwm"));
	}
	return l;
}

json_t *spec_default_config(bool rootless)
{
	return json_pack("{s:s, s:o, s:{s:s, s:b}, s:s, s:o, s:o}",
			 "ociVersion", "1.3.0",
			 "process", default_process(),
			 "root", "path", "rootfs", "readonly", 1,
			 "hostname", "pith",
			 "mounts", default_mounts(rootless),
			 "linux", default_linux(rootless));
}
