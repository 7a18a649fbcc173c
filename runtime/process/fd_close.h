/* Closing every fd a process inherited before it execs, with or without close_range(2). */
#ifndef PITH_FD_CLOSE_H
#define PITH_FD_CLOSE_H

#include <stddef.h>

/* Close every fd >= from except those in keep (any order, at most 64 used).
 * Uses close_range; where the kernel lacks it (< 5.9) or a filter refuses it,
 * walks /proc/self/fd. 0, or a negative errno when the fds could not be
 * listed: the caller must not exec then, the leak is the CVE-2024-21626 class. */
int fd_close_from_except(int from, const int *keep, size_t n);

#endif
