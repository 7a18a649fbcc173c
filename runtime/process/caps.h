/* Capabilities of the container process, set in its init with the raw
 * prctl/capset calls (nothing allocated, nothing read from the container's /proc).
 *
 * Order in the init: caps_drop_bounding (needs CAP_SETPCAP, so while still
 * root in the namespace), prctl(PR_SET_KEEPCAPS, 1), setgroups/setresgid/
 * setresuid, caps_apply. */
#ifndef PITH_CAPS_H
#define PITH_CAPS_H

#include "../../config/spec.h"
#include "../error.h"

/* PR_CAPBSET_DROP every capability this kernel knows that is not in c->bounding. */
int caps_drop_bounding(const struct spec_capabilities *c, struct pith_error *err);

/* Set permitted/effective/inheritable with capset, then clear the ambient set
 * and raise each ambient capability (which the kernel allows only for caps in
 * both permitted and inheritable). */
int caps_apply(const struct spec_capabilities *c, struct pith_error *err);

/* In the parent: every capability named in any set must be in this process's
 * own bounding set, else an error naming the set and the capability, e.g.
 * "process.capabilities.bounding: CAP_SYS_RESOURCE is not available: not in
 * pith's own bounding set". */
int caps_check_available(const struct spec_capabilities *c, struct pith_error *err);

/* Ambient capabilities caps_apply will not raise because they are not in both
 * permitted and inheritable (the kernel refuses them; crun skips them too).
 * The parent logs a warning naming them when this is not 0. */
uint64_t caps_ambient_unraisable(const struct spec_capabilities *c);

/* "CAP_SYS_ADMIN" for 21, from libcap's table; writes into buf (>= 32 bytes). */
const char *caps_name(int cap, char *buf, unsigned long len);

/* seccomp without no_new_privs: CAP_SYS_ADMIN stays permitted and effective
 * until the filter goes in right before execve (which recomputes both sets
 * from inheritable, ambient, bounding and the file). add: into the sets
 * caps_apply will set; raise: into the current effective set. */
void caps_add_sys_admin(struct spec_capabilities *c);
int caps_raise_sys_admin(struct pith_error *err);

#endif
