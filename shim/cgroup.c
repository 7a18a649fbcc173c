/* The container's cgroup, found from /proc/<pid>/cgroup once the runtime
 * has placed the init there, so it works with any runtime. Used for two
 * things: the OOM verdict (the memory controller's oom_kill counter moved
 * while the container ran) and stop's final SIGKILL to every process in it.
 * The directory fds stay open so the counter can still be read after the
 * container died and before the runtime deletes the cgroup. */
#include "shim.h"
#include "../runtime/cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

#define CGROUP2_MAGIC 0x63677270
#define KILL_PASSES 10

static bool has_controller(const char *list, size_t n, const char *name)
{
	size_t k = strlen(name);
	for (const char *p = list, *end = list + n; p < end;) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		size_t len = comma ? (size_t)(comma - p) : (size_t)(end - p);
		if (len == k && memcmp(p, name, k) == 0)
			return true;
		p += len + 1;
	}
	return false;
}

/* The path of hierarchy `ctrl` ("" for v2) in a /proc/PID/cgroup text. */
static bool find_path(char *text, const char *ctrl, char *out, size_t cap)
{
	for (char *line = text, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		size_t n = next ? (size_t)(next - line) : strlen(line);
		if (next)
			next++;
		char *c1 = memchr(line, ':', n);
		char *c2 = c1 ? memchr(c1 + 1, ':', n - (size_t)(c1 + 1 - line)) : NULL;
		if (!c2)
			continue;
		bool match = *ctrl ? has_controller(c1 + 1, (size_t)(c2 - c1 - 1), ctrl)
				   : (c2 == c1 + 1 && strncmp(line, "0:", 2) == 0);
		if (!match)
			continue;
		size_t plen = n - (size_t)(c2 + 1 - line);
		if (plen + 1 > cap)
			return false;
		memcpy(out, c2 + 1, plen);
		out[plen] = '\0';
		return true;
	}
	return false;
}

static int open_dir(const char *mnt, const char *path)
{
	char full[SHIM_PATH_MAX];
	int n = snprintf(full, sizeof(full), "%s%s", mnt, path);
	if (n < 0 || n >= (int)sizeof(full))
		return -1;
	return open(full, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

/* A container sharing the shim's cgroup (or the root) must never get a
 * kill-all: that would take the shim and its neighbours with it. */
static bool own_cgroup(char *self, const char *ctrl, const char *path)
{
	char mine[SHIM_PATH_MAX];
	return strcmp(path, "/") == 0 ||
	       (find_path(self, ctrl, mine, sizeof(mine)) && strcmp(mine, path) == 0);
}

static int read_oom_kill(struct shim_cgroup *cg, uint64_t *count)
{
	char buf[1024];
	if (cg->memory_dir < 0 ||
	    shim_read_file(cg->memory_dir, cg->v2 ? "memory.events" : "memory.oom_control", buf,
			   sizeof(buf)) < 0)
		return -1;
	char *p = strstr(buf, "oom_kill ");
	if (!p)
		return -1;
	*count = strtoull(p + 9, NULL, 10);
	return 0;
}

void shim_cgroup_open(struct shim_cgroup *cg, pid_t pid)
{
	char file[64], text[4096], self[4096], path[SHIM_PATH_MAX];
	struct statfs sf;
	shim_cgroup_close(cg);
	snprintf(file, sizeof(file), "/proc/%d/cgroup", (int)pid);
	if (shim_read_file(AT_FDCWD, file, text, sizeof(text)) < 0 ||
	    shim_read_file(AT_FDCWD, "/proc/self/cgroup", self, sizeof(self)) < 0)
		return;
	if (find_path(text, "memory", path, sizeof(path))) {
		cg->v2 = false;
		cg->memory_dir = open_dir("/sys/fs/cgroup/memory", path);
		if (!own_cgroup(self, "memory", path))
			cg->procs_dir = open_dir("/sys/fs/cgroup/memory", path);
	} else if (statfs("/sys/fs/cgroup", &sf) == 0 && sf.f_type == CGROUP2_MAGIC &&
		   find_path(text, "", path, sizeof(path))) {
		cg->v2 = true;
		cg->memory_dir = open_dir("/sys/fs/cgroup", path);
		if (!own_cgroup(self, "", path))
			cg->procs_dir = open_dir("/sys/fs/cgroup", path);
	}
	if (read_oom_kill(cg, &cg->oom_base) < 0)
		cg->oom_base = UINT64_MAX; /* no counter: never claim an OOM */
}

bool shim_cgroup_oom_killed(struct shim_cgroup *cg)
{
	uint64_t now;
	return cg->oom_base != UINT64_MAX && read_oom_kill(cg, &now) == 0 && now > cg->oom_base;
}

static bool kill_pass(int dir)
{
	char buf[8192];
	bool any = false;
	if (shim_read_file(dir, "cgroup.procs", buf, sizeof(buf)) <= 0)
		return false;
	for (char *p = buf, *end; *p; p = end) {
		long pid = strtol(p, &end, 10);
		if (end == p)
			break;
		if (pid > 1 && kill((pid_t)pid, SIGKILL) == 0)
			any = true;
		while (*end == '\n')
			end++;
	}
	return any;
}

void shim_cgroup_kill(struct shim_cgroup *cg)
{
	if (cg->procs_dir < 0)
		return;
	if (cg->v2) {
		auto_fd fd = openat(cg->procs_dir, "cgroup.kill", O_WRONLY | O_CLOEXEC);
		if (fd >= 0 && write(fd, "1", 1) == 1)
			return;
	}
	/* No cgroup.kill (v1, or v2 before 5.14): a few passes catch forks. */
	for (int i = 0; i < KILL_PASSES && kill_pass(cg->procs_dir); i++)
		;
}

void shim_cgroup_close(struct shim_cgroup *cg)
{
	if (cg->memory_dir >= 0)
		close(cg->memory_dir);
	if (cg->procs_dir >= 0)
		close(cg->procs_dir);
	cg->memory_dir = cg->procs_dir = -1;
}
