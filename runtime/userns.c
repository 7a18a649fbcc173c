/* Writing a new user namespace's id maps from the parent, or through newuidmap/newgidmap (userns.h). */
#include "userns.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"

static int write_proc_file(pid_t pid, const char *file, const char *text, struct pith_error *err)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	auto_fd fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return pith_fail(err, errno, "%s", path);
	size_t len = strlen(text);
	if (write(fd, text, len) != (ssize_t)len)
		return pith_fail(err, errno, "write %s", path);
	return 0;
}

static int format_map(const struct spec_id_mappings *m, char *buf, size_t len)
{
	size_t off = 0;
	for (size_t i = 0; i < m->n; i++) {
		int n = snprintf(buf + off, len - off, "%u %u %u\n", m->v[i].container_id, m->v[i].host_id,
				 m->v[i].size);
		if (n < 0 || (size_t)n >= len - off)
			return -1;
		off += (size_t)n;
	}
	return 0;
}

/* newuidmap PID cid hid size ... : the setuid helper checks /etc/subuid. */
static int run_idmap_helper(const char *helper, pid_t pid, const struct spec_id_mappings *m,
			    const char *field, struct pith_error *err)
{
	char args[64][16];
	char *argv[66];
	size_t argc = 0;
	argv[argc++] = (char *)helper;
	snprintf(args[0], sizeof(args[0]), "%d", (int)pid);
	argv[argc++] = args[0];
	for (size_t i = 0; i < m->n && argc + 3 < 65; i++) {
		snprintf(args[argc], sizeof(args[0]), "%u", m->v[i].container_id);
		argv[argc] = args[argc];
		argc++;
		snprintf(args[argc], sizeof(args[0]), "%u", m->v[i].host_id);
		argv[argc] = args[argc];
		argc++;
		snprintf(args[argc], sizeof(args[0]), "%u", m->v[i].size);
		argv[argc] = args[argc];
		argc++;
	}
	argv[argc] = NULL;
	pid_t child = fork();
	if (child < 0)
		return pith_fail(err, errno, "%s: fork %s", field, helper);
	if (child == 0) {
		execvp(helper, argv);
		_exit(127);
	}
	int status;
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return pith_fail(err, 0, "%s: %s failed (exit %d): is it installed (uidmap package) and does "
				 "/etc/sub%cid grant these ids?", field, helper,
				 WIFEXITED(status) ? WEXITSTATUS(status) : -1, helper[3] == 'u' ? 'u' : 'g');
	return 0;
}

static bool is_own_single(const struct spec_id_mappings *m, unsigned own)
{
	return m->n == 1 && m->v[0].size == 1 && m->v[0].host_id == own;
}

int userns_write_maps(pid_t pid, const struct spec_linux *l, bool *setgroups_allowed, struct pith_error *err)
{
	char buf[4096];
	bool root = geteuid() == 0;
	*setgroups_allowed = true;
	if (!root && l->gid_mappings.n && is_own_single(&l->gid_mappings, getegid())) {
		/* An unprivileged process may map its own gid only after giving up setgroups. */
		if (write_proc_file(pid, "setgroups", "deny", err) < 0)
			return -1;
		*setgroups_allowed = false;
	}
	if (l->uid_mappings.n) {
		if (format_map(&l->uid_mappings, buf, sizeof(buf)) < 0)
			return pith_fail(err, E2BIG, "linux.uidMappings: too many mappings");
		if (root || is_own_single(&l->uid_mappings, geteuid())) {
			if (write_proc_file(pid, "uid_map", buf, err) < 0)
				return pith_wrap(err, "linux.uidMappings");
		} else if (run_idmap_helper("newuidmap", pid, &l->uid_mappings, "linux.uidMappings", err) < 0) {
			return -1;
		}
	}
	if (l->gid_mappings.n) {
		if (format_map(&l->gid_mappings, buf, sizeof(buf)) < 0)
			return pith_fail(err, E2BIG, "linux.gidMappings: too many mappings");
		if (root || !*setgroups_allowed) {
			if (write_proc_file(pid, "gid_map", buf, err) < 0)
				return pith_wrap(err, "linux.gidMappings");
		} else if (run_idmap_helper("newgidmap", pid, &l->gid_mappings, "linux.gidMappings", err) < 0) {
			return -1;
		}
	}
	return 0;
}
