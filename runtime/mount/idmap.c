/* Idmapped bind mounts (runtime-spec 1.2 "idmap"/"ridmap"): a user namespace
 * that carries only the mount's mappings, handed to mount_setattr. The
 * namespace is made by a short-lived child that does nothing but exist. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../cleanup.h"
#include "rootfs.h"

static int write_map(pid_t pid, const char *file, const struct spec_id_mappings *m)
{
	char path[64], buf[2048];
	size_t off = 0;
	for (size_t i = 0; i < m->n; i++) {
		int n = snprintf(buf + off, sizeof(buf) - off, "%u %u %u\n", m->v[i].container_id, m->v[i].host_id,
				 m->v[i].size);
		if (n < 0 || (size_t)n >= sizeof(buf) - off)
			return -E2BIG;
		off += (size_t)n;
	}
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	auto_fd fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return write(fd, buf, off) == (ssize_t)off ? 0 : -errno;
}

int idmap_userns_fd(const struct spec_id_mappings *uids, const struct spec_id_mappings *gids,
		    struct pith_error *err)
{
	int ready[2];
	if (pipe2(ready, O_CLOEXEC) < 0)
		return pith_fail(err, errno, "idmap: pipe");
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(ready[0]);
		close(ready[1]);
		return pith_fail(err, e, "idmap: fork");
	}
	if (pid == 0) {
		close(ready[0]);
		char ok = unshare(CLONE_NEWUSER) == 0 ? 0 : (char)errno;
		if (write(ready[1], &ok, 1) != 1)
			_exit(1);
		/* exist until killed: the parent only needs our namespace */
		for (;;)
			pause();
	}
	close(ready[1]);
	char e = 0;
	int r = read(ready[0], &e, 1) == 1 ? -e : -EPIPE;
	close(ready[0]);
	if (r == 0)
		r = write_map(pid, "uid_map", uids);
	if (r == 0)
		r = write_map(pid, "gid_map", gids);
	int fd = -1;
	if (r == 0) {
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			r = -errno;
	}
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	if (r < 0)
		return pith_fail(err, -r, "idmap: %s", e ? "unshare(CLONE_NEWUSER)" : "write the mapping");
	return fd;
}

int idmap_prepare(const struct spec *spec, int **out, struct pith_error *err)
{
	*out = NULL;
	int *fds = NULL;
	for (size_t i = 0; i < spec->n_mounts; i++) {
		const struct spec_mount *m = &spec->mounts[i];
		if (!m->idmap)
			continue;
		if (!fds && !(fds = calloc(spec->n_mounts, sizeof(int))))
			return pith_fail(err, ENOMEM, "idmap");
		const struct spec_linux *l = &spec->linux_;
		const struct spec_id_mappings *u = m->uid_mappings.n ? &m->uid_mappings : &l->uid_mappings;
		const struct spec_id_mappings *g = m->gid_mappings.n ? &m->gid_mappings : &l->gid_mappings;
		fds[i] = idmap_userns_fd(u, g, err);
		if (fds[i] < 0) {
			fds[i] = 0;
			idmap_release(fds, spec->n_mounts);
			char name[512];
			return pith_wrap(err, "%s", rootfs_mount_name(spec, i, name, sizeof(name)));
		}
	}
	*out = fds;
	return 0;
}

void idmap_release(int *fds, size_t n)
{
	for (size_t i = 0; fds && i < n; i++)
		if (fds[i] > 0)
			close(fds[i]);
	free(fds);
}
