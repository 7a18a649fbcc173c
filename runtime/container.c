/* Container state on disk: <root>/<id>/state.json, a lock, and the status
 * derived from what is really there (the init's pid and start time, the exec
 * fifo, the freezer), so a crashed creator or a dead init is never mistaken
 * for a live container. With it, what every verb knows of a container: its
 * OCI state, its hooks run with that state, the config kept beside it, and
 * removing it. */
#include "container.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../config/spec.h"
#include "cgroup/cgroup.h"
#include "cleanup.h"
#include "hooks.h"
#include "log.h"
#include "process/procfs.h"

const char *container_status_name(enum container_status s)
{
	switch (s) {
	case CONTAINER_CREATING: return "creating";
	case CONTAINER_CREATED: return "created";
	case CONTAINER_RUNNING: return "running";
	case CONTAINER_PAUSED: return "paused";
	case CONTAINER_STOPPED: return "stopped";
	}
	return "unknown";
}

int container_id_check(const char *id, struct pith_error *err)
{
	size_t len = strlen(id);
	if (len == 0)
		return pith_usage_error(err, NULL, "container id must not be empty");
	if (len > 1024)
		return pith_fail(err, 0, "invalid container id \"%.64s...\": longer than 1024 characters", id);
	if (strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
		return pith_fail(err, 0, "invalid container id \"%s\"", id);
	for (const char *p = id; *p; p++) {
		char c = *p;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			  c == '_' || c == '-' || c == '.' || c == '+';
		if (!ok)
			return pith_fail(err, 0, "invalid container id \"%s\": only letters, digits and _ . + - are allowed", id);
	}
	return 0;
}

/* A create killed before it wrote state.json may have made the cgroup its
 * config asks for: find it, so delete leaves nothing behind. */
static int locate_from_config(struct container *c, bool systemd, struct pith_error *err)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/config.json", c->dir);
	struct spec *spec = NULL;
	struct pith_error ignored = { 0 };
	if (access(path, F_OK) < 0 || spec_load_file(path, "config.json", &spec, &ignored) < 0)
		return 0; /* killed before the copy: nothing else was made either */
	int r = cgroup_locate(spec->linux_.cgroups_path, c->id, systemd, &c->cgroup, err);
	spec_free(spec);
	return r;
}

static int read_state(struct container *c, bool systemd, struct pith_error *err)
{
	auto_fd fd = openat(c->dirfd, "state.json", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return locate_from_config(c, systemd, err);
		return pith_fail(err, errno, "%s/state.json", c->dir);
	}
	/* one read: json_loadfd reads a byte per syscall */
	char buf[64 * 1024];
	ssize_t n = read(fd, buf, sizeof(buf));
	if (n < 0)
		return pith_fail(err, errno, "%s/state.json", c->dir);
	json_error_t jerr;
	if ((size_t)n < sizeof(buf))
		c->state = json_loadb(buf, (size_t)n, 0, &jerr);
	else if (lseek(fd, 0, SEEK_SET) == 0)
		c->state = json_loadfd(fd, 0, &jerr); /* a huge state: rare, so slow is fine */
	if (!c->state)
		return pith_fail(err, 0, "%s/state.json: corrupt state: %s", c->dir, jerr.text);
	json_t *pid = json_object_get(c->state, "pid");
	c->pid = json_is_integer(pid) ? (pid_t)json_integer_value(pid) : 0;
	json_t *pith = json_object_get(c->state, "pith");
	json_t *st = json_object_get(pith, "start_time");
	c->start_time = json_is_integer(st) ? (unsigned long long)json_integer_value(st) : 0;
	c->bundle = json_string_value(json_object_get(c->state, "bundle"));
	json_t *cg = json_object_get(pith, "cgroup");
	if (cg && !json_is_null(cg)) {
		int r = cgroup_from_json(cg, &c->cgroup, err);
		if (r < 0)
			return pith_wrap(err, "%s/state.json", c->dir);
	}
	return 0;
}

/* The init is ours only if it is alive, not a zombie, and started when we
 * recorded: a recycled pid has another start time. */
static bool init_alive(const struct container *c)
{
	if (c->pid <= 0)
		return false;
	struct proc_stat ps;
	if (procfs_read_stat(c->pid, &ps) < 0)
		return false;
	if (ps.state == 'Z' || ps.state == 'X')
		return false;
	return c->start_time == 0 || ps.start_time == c->start_time;
}

static enum container_status derive_status(const struct container *c)
{
	const char *stored = json_string_value(json_object_get(c->state, "status"));
	if (!init_alive(c))
		return CONTAINER_STOPPED;
	if (stored && strcmp(stored, "creating") == 0)
		return CONTAINER_CREATING;
	if (faccessat(c->dirfd, "exec.fifo", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return CONTAINER_CREATED;
	bool frozen = false;
	if (c->cgroup && cgroup_is_frozen(c->cgroup, &frozen, NULL) == 0 && frozen)
		return CONTAINER_PAUSED;
	return CONTAINER_RUNNING;
}

int container_check_root(const char *root, int root_fd, struct pith_error *err)
{
	/* a root someone else made or may write (rootless /tmp/pith-$UID) would
	 * let them plant the state, and the hooks, our next command trusts */
	struct stat st;
	if (fstat(root_fd, &st) < 0)
		return pith_fail(err, errno, "--root %s", root);
	if (st.st_uid != geteuid())
		return pith_fail(err, EPERM, "--root %s: owned by uid %u, not by us (uid %u)", root,
				 (unsigned)st.st_uid, (unsigned)geteuid());
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return pith_fail(err, EPERM, "--root %s: writable by others (mode %04o)", root,
				 (unsigned)(st.st_mode & 07777));
	return 0;
}

int container_load(const struct pith_globals *g, const char *id, bool exclusive,
		   struct container **out, struct pith_error *err)
{
	if (container_id_check(id, err) < 0)
		return -1;
	struct container *c = calloc(1, sizeof(*c));
	if (!c)
		return pith_fail(err, ENOMEM, "container %s", id);
	c->dirfd = -1;
	c->id = strdup(id);
	if (asprintf(&c->dir, "%s/%s", g->root, id) < 0)
		c->dir = NULL;
	if (!c->id || !c->dir) {
		container_free(c);
		return pith_fail(err, ENOMEM, "container %s", id);
	}
	int root_fd = open(g->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root_fd >= 0 && container_check_root(g->root, root_fd, err) < 0) {
		close(root_fd);
		container_free(c);
		return -1;
	}
	c->dirfd = root_fd < 0 ? -1 : openat(root_fd, id, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root_fd >= 0) {
		int e = errno;
		close(root_fd);
		errno = e;
	}
	if (c->dirfd < 0) {
		int e = errno;
		container_free(c);
		if (e == ENOENT)
			return pith_fail(err, 0, "container %s does not exist", id);
		return pith_fail(err, e, "container %s: %s/%s", id, g->root, id);
	}
	if (flock(c->dirfd, exclusive ? LOCK_EX : LOCK_SH) < 0) {
		int e = errno;
		container_free(c);
		return pith_fail(err, e, "container %s: lock", id);
	}
	/* A delete may have removed the directory while we waited for the lock. */
	struct stat st;
	if (fstat(c->dirfd, &st) == 0 && st.st_nlink == 0) {
		container_free(c);
		return pith_fail(err, 0, "container %s does not exist", id);
	}
	if (read_state(c, g->systemd_cgroup, err) < 0) {
		container_free(c);
		return -1;
	}
	if (!c->state) {
		c->state = json_object();
		json_object_set_new(c->state, "status", json_string("creating"));
	}
	c->status = derive_status(c);
	*out = c;
	return 0;
}

void container_free(struct container *c)
{
	if (!c)
		return;
	if (c->dirfd >= 0)
		close(c->dirfd); /* releases the flock */
	if (c->cgroup)
		cgroup_free(c->cgroup);
	json_decref(c->state);
	free(c->id);
	free(c->dir);
	free(c);
}

int container_save(struct container *c, struct pith_error *err)
{
	char *text = json_dumps(c->state, JSON_COMPACT);
	if (!text)
		return pith_fail(err, ENOMEM, "%s/state.json", c->dir);
	size_t len = strlen(text);
	int r = 0;
	auto_fd fd = openat(c->dirfd, "state.json.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		r = pith_fail(err, errno, "%s/state.json.tmp", c->dir);
	else if (write(fd, text, len) != (ssize_t)len)
		r = pith_fail(err, errno ? errno : ENOSPC, "%s/state.json.tmp: write", c->dir);
	/* No fsync: the rename makes the write atomic, which is what readers
	 * need; durability is moot for state that describes processes, which
	 * do not survive the power loss fsync would guard against. */
	else if (renameat(c->dirfd, "state.json.tmp", c->dirfd, "state.json") < 0)
		r = pith_fail(err, errno, "%s/state.json", c->dir);
	if (r < 0)
		unlinkat(c->dirfd, "state.json.tmp", 0);
	free(text);
	return r;
}

int container_pidfd(const struct container *c, struct pith_error *err)
{
	if (!init_alive(c))
		return pith_fail(err, ESRCH, "container %s is not running", c->id);
	int pidfd = (int)syscall(SYS_pidfd_open, c->pid, 0);
	if (pidfd < 0)
		return errno == ENOSYS ? -ENOSYS
				       : pith_fail(err, errno, "container %s: pidfd_open %d", c->id, c->pid);
	/* checked again once pinned: the pid may have been recycled between
	 * the first check and pidfd_open */
	if (!init_alive(c)) {
		close(pidfd);
		return pith_fail(err, ESRCH, "container %s is not running", c->id);
	}
	return pidfd;
}

int container_signal(struct container *c, int sig, struct pith_error *err)
{
	/* The pidfd pins the process: no recycled pid can receive the signal. */
	auto_fd pidfd = container_pidfd(c, err);
	if (pidfd == -ENOSYS) {
		if (kill(c->pid, sig) < 0)
			return pith_fail(err, errno, "container %s: kill %d", c->id, c->pid);
		return 0;
	}
	if (pidfd < 0)
		return -1;
	if (syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0)
		return pith_fail(err, errno, "container %s: signal %d to pid %d", c->id, sig, c->pid);
	return 0;
}

void container_remove_dir(int parent_fd, const char *id)
{
	int fd = openat(parent_fd, id, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0) {
		DIR *d = fdopendir(fd);
		if (d) {
			struct dirent *e;
			while ((e = readdir(d)))
				if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
					unlinkat(fd, e->d_name, 0);
			closedir(d);
		} else {
			close(fd);
		}
	}
	unlinkat(parent_fd, id, AT_REMOVEDIR);
}

json_t *container_oci_state(const struct container *c)
{
	json_t *st = json_object();
	json_t *v = json_object_get(c->state, "ociVersion");
	json_object_set_new(st, "ociVersion", json_string(json_is_string(v) ? json_string_value(v) : "1.3.0"));
	json_object_set_new(st, "id", json_string(c->id));
	json_object_set_new(st, "status", json_string(container_status_name(c->status)));
	if (c->status != CONTAINER_STOPPED && c->pid > 0)
		json_object_set_new(st, "pid", json_integer(c->pid));
	else
		json_object_set_new(st, "pid", json_integer(0));
	json_object_set_new(st, "bundle", json_string(c->bundle ? c->bundle : ""));
	json_t *ann = json_object_get(c->state, "annotations");
	json_object_set_new(st, "annotations", ann ? json_deep_copy(ann) : json_object());
	return st;
}

static void log_hook_failure(const struct pith_error *err)
{
	char buf[1400];
	log_warn("%s", pith_error_text(err, buf, sizeof(buf)));
}

int container_run_hooks(const struct container *c, const struct spec *spec, enum spec_hook_kind kind,
			struct pith_error *err)
{
	if (!spec->hooks[kind].n)
		return 0;
	json_t *st = container_oci_state(c);
	char *text = json_dumps(st, JSON_COMPACT);
	json_decref(st);
	if (!text)
		return pith_fail(err, ENOMEM, "hooks");
	int r = hooks_run(kind, &spec->hooks[kind], text, err);
	free(text);
	return r;
}

/* poststart and poststop: every hook runs, a failing one is a warning
 * (--log and stderr) and the lifecycle goes on. */
void container_run_hooks_warn(const struct container *c, const struct spec *spec, enum spec_hook_kind kind)
{
	if (!spec->hooks[kind].n)
		return;
	json_t *st = container_oci_state(c);
	char *text = json_dumps(st, JSON_COMPACT);
	json_decref(st);
	hooks_run_all(kind, &spec->hooks[kind], text ? text : "{}", log_hook_failure);
	free(text);
}

int container_load_spec(const struct container *c, struct spec **out, struct pith_error *err)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/config.json", c->dir);
	return spec_load_file(path, "config.json", out, err);
}
