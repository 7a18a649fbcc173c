/* Scope-bound release of fds and memory, so every early return cleans up. */
#ifndef PITH_CLEANUP_H
#define PITH_CLEANUP_H

#include <fcntl.h>
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

/* fd, moved off 0-2 when it landed there (pith may run with stdio closed):
 * fds that are later dup2()ed onto 0-2 must not be 0-2 themselves. */
static inline int pith_fd_above_stdio(int fd)
{
	if (fd < 0 || fd > 2)
		return fd;
	int moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	int saved = errno;
	close(fd);
	errno = saved;
	return moved;
}

#endif
