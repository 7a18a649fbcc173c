/* Scope-bound release of fds and memory, so every early return cleans up. */
#ifndef PITH_CLEANUP_H
#define PITH_CLEANUP_H

#include <stdlib.h>
#include <unistd.h>
#include <errno.h>

static inline void pith_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}
static inline void pith_freep(void *p)
{
	free(*(void **)p);
}

#define auto_fd __attribute__((cleanup(pith_closep))) int
#define auto_free __attribute__((cleanup(pith_freep)))

/* Hand ownership out of a cleanup-managed variable. */
static inline int pith_steal_fd(int *fd)
{
	int r = *fd;
	*fd = -1;
	return r;
}
static inline void *pith_steal_ptr(void *p)
{
	void *r = *(void **)p;
	*(void **)p = NULL;
	return r;
}

#endif
