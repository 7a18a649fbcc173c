/* Writing a new user namespace's id maps from the parent. */
#ifndef PITH_USERNS_H
#define PITH_USERNS_H

#include <stdbool.h>
#include <sys/types.h>

#include "../config/spec.h"
#include "error.h"

/* Write uid_map/gid_map of pid. Root writes them directly; an unprivileged
 * caller writes a single mapping of its own ids itself (after "deny" to
 * setgroups) and uses newuidmap/newgidmap for anything else.
 * *setgroups_allowed tells the child whether setgroups(2) still works. */
int userns_write_maps(pid_t pid, const struct spec_linux *l, bool *setgroups_allowed, struct pith_error *err);

#endif
