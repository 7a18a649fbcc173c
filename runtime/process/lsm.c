/* AppArmor and SELinux labels for the container's process (lsm.h). */
#include "lsm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <linux/magic.h>

#include "../cleanup.h"
#include "../log.h"

static bool apparmor_enabled(void)
{
	char c = 0;
	auto_fd fd = open("/sys/module/apparmor/parameters/enabled", O_RDONLY | O_CLOEXEC);
	return fd >= 0 && read(fd, &c, 1) == 1 && c == 'Y';
}

bool lsm_selinux_enabled(void)
{
	return access("/sys/fs/selinux/enforce", F_OK) == 0;
}

static bool set(const char *s)
{
	return s && *s;
}

int lsm_validate(const struct spec_process *p, const char *mount_label, struct pith_error *err)
{
	if (set(p->apparmor_profile) && !apparmor_enabled())
		return pith_fail(err, 0, "config.json: process.apparmorProfile \"%s\": AppArmor is not enabled on this host",
				 p->apparmor_profile);
	if (set(p->selinux_label) && !lsm_selinux_enabled())
		return pith_fail(err, 0, "config.json: process.selinuxLabel: SELinux is not enabled on this host");
	/* As crun: a label a host without SELinux cannot apply is no reason to
	 * fail; the mounts get context= only where it means something. */
	if (set(mount_label) && !lsm_selinux_enabled())
		log_warn("config.json: linux.mountLabel \"%s\": SELinux is not enabled on this host, ignored",
			 mount_label);
	return 0;
}

int lsm_open_proc_attr(const char *path)
{
	int fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* a container mount over /proc (CVE-2019-16884) would take the label
	 * and leave the process unconfined: only the real procfs counts */
	struct statfs sf;
	if (fstatfs(fd, &sf) < 0 || sf.f_type != PROC_SUPER_MAGIC) {
		close(fd);
		return -EXDEV;
	}
	return fd;
}

static int write_attr(const char *const *paths, const char *value, const char *field, struct pith_error *err)
{
	int e = ENOENT;
	for (; *paths; paths++) {
		auto_fd fd = lsm_open_proc_attr(*paths);
		if (fd == -EXDEV)
			return pith_fail(err, EXDEV, "%s: %s is not on procfs", field, *paths);
		if (fd < 0) {
			e = -fd;
			continue;
		}
		size_t len = strlen(value);
		if (write(fd, value, len) != (ssize_t)len)
			return pith_fail(err, errno, "%s: %s", field, *paths);
		return 0;
	}
	return pith_fail(err, e, "%s: no writable %s", field, paths[-1]);
}

int lsm_apply_on_exec(const struct spec_process *p, struct pith_error *err)
{
	if (set(p->apparmor_profile)) {
		static const char *const aa[] = { "/proc/thread-self/attr/apparmor/exec", "/proc/self/attr/exec", NULL };
		char buf[1024];
		snprintf(buf, sizeof(buf), "exec %s", p->apparmor_profile);
		if (write_attr(aa, buf, "process.apparmorProfile", err) < 0)
			return -1;
	}
	if (set(p->selinux_label)) {
		static const char *const se[] = { "/proc/thread-self/attr/exec", "/proc/self/attr/exec", NULL };
		if (write_attr(se, p->selinux_label, "process.selinuxLabel", err) < 0)
			return -1;
	}
	return 0;
}
