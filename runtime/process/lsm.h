/* AppArmor and SELinux: applied when the host runs them, refused clearly
 * when a config asks for one the host does not have (never silently dropped). */
#ifndef PITH_LSM_H
#define PITH_LSM_H

#include <stdbool.h>

#include "../../config/spec.h"
#include "../error.h"

/* /sys/fs/selinux is there. */
bool lsm_selinux_enabled(void);
/* In the parent, before anything exists. linux.mountLabel on a host without
 * SELinux is a warning, and is ignored (crun); with SELinux it becomes
 * context= on the container's filesystem mounts. */
int lsm_validate(const struct spec_process *p, const char *mount_label, struct pith_error *err);
/* In the container's process, after pivot_root (needs the container's /proc):
 * the labels take effect at execve. */
int lsm_apply_on_exec(const struct spec_process *p, struct pith_error *err);

/* The LSM attribute file at path opened for writing: fd, -errno, or
 * -EXDEV when it is not on procfs (a mount over /proc, CVE-2019-16884). */
int lsm_open_proc_attr(const char *path);

#endif
