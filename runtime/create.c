/* `create`, parent side. Order matters for "nothing left behind": the state
 * directory exists before anything else is made, records each thing as it
 * is made, and on any failure everything is undone here; a create killed
 * outright leaves a "creating" state that `delete --force` can clean. */
#include "create.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sched.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "process/caps.h"
#include "cgroup/cgroup.h"
#include "cleanup.h"
#include "init.h"
#include "log.h"
#include "process/lsm.h"
#include "net.h"
#include "process/process.h"
#include "process/procfs.h"
#include "mount/rootfs.h"
#include "seccomp/seccomp.h"
#include "sync.h"
#include "process/terminal.h"
#include "userns.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

struct create_ctx {
	const struct pith_globals *g;
	const struct create_opts *o;
	struct spec *spec;
	char bundle[PATH_MAX];
	char rootfs[PATH_MAX];
	int root_fd;                 /* --root */
	struct container *c;
	struct seccomp_program seccomp;
	bool has_seccomp;
	int fifo_fd;
	int console_fd;
	int *idmap_userns;
	bool in_cgroup;              /* born in its cgroup (clone3 CLONE_INTO_CGROUP) */
	int sync[2];
	pid_t pid;
};

int write_pid_file(const char *path, pid_t pid, struct pith_error *err)
{
	char tmp[PATH_MAX];
	if (snprintf(tmp, sizeof(tmp), "%s.pith-tmp", path) >= (int)sizeof(tmp))
		return pith_fail(err, ENAMETOOLONG, "--pid-file %s", path);
	auto_fd fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return pith_fail(err, errno, "--pid-file %s", tmp);
	/* runc writes no newline; clients parse either way. */
	if (dprintf(fd, "%d", (int)pid) < 0 || rename(tmp, path) < 0) {
		int e = errno;
		unlink(tmp);
		return pith_fail(err, e, "--pid-file %s", path);
	}
	return 0;
}

/* ---------- preparation, all before anything exists ---------- */

static int resolve_bundle(struct create_ctx *x, struct pith_error *err)
{
	const char *b = x->o->bundle ? x->o->bundle : ".";
	if (!realpath(b, x->bundle))
		return pith_fail(err, errno, "bundle %s", b);
	char path[PATH_MAX];
	const char *cfg = x->o->config ? x->o->config : "config.json";
	if (snprintf(path, sizeof(path), "%s%s%s", cfg[0] == '/' ? "" : x->bundle, cfg[0] == '/' ? "" : "/",
		     cfg) >= (int)sizeof(path))
		return pith_fail(err, ENAMETOOLONG, "bundle %s", x->bundle);
	if (spec_load_file(path, "config.json", &x->spec, err) < 0)
		return -1;
	const struct spec *s = x->spec;
	if (!s->has_process)
		return pith_fail(err, 0, "config.json: process: required to create a container");
	if (!s->root.path)
		return pith_fail(err, 0, "config.json: root.path: required");
	char root[PATH_MAX];
	int n = s->root.path[0] == '/' ? snprintf(root, sizeof(root), "%s", s->root.path)
				       : snprintf(root, sizeof(root), "%s/%s", x->bundle, s->root.path);
	if (n >= (int)sizeof(root))
		return pith_fail(err, ENAMETOOLONG, "config.json: root.path");
	if (!realpath(root, x->rootfs))
		return pith_fail(err, errno, "config.json: root.path: %s", root);
	struct stat st;
	if (stat(x->rootfs, &st) < 0 || !S_ISDIR(st.st_mode))
		return pith_fail(err, ENOTDIR, "config.json: root.path: %s", root);
	return 0;
}

static int check_preserved_fds(int n, struct pith_error *err)
{
	/* A preserved fd that is not open would let one of pith's own fds take
	 * its number and slip into the container. */
	for (int fd = 3; fd < 3 + n; fd++)
		if (fcntl(fd, F_GETFD) < 0)
			return pith_fail(err, EBADF, "--preserve-fds %d: fd %d is not open", n, fd);
	return 0;
}

static int validate(struct create_ctx *x, struct pith_error *err)
{
	const struct spec *s = x->spec;
	if (x->o->preserve_fds < 0 || x->o->preserve_fds > 4096)
		return pith_usage_error(err, "create", "--preserve-fds: invalid count %d", x->o->preserve_fds);
	if (check_preserved_fds(x->o->preserve_fds, err) < 0)
		return -1;
	bool console = x->o->console_socket;
	if (s->process.terminal && !console && x->o->own_terminal) {
		int sp[2];
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
			return pith_fail(err, errno, "socketpair for the terminal");
		*x->o->own_terminal = sp[0];
		x->console_fd = sp[1];
		console = true;
	}
	if (s->process.terminal && !console)
		return pith_fail(err, 0, "config.json: process.terminal is true: --console-socket is required");
	if (!s->process.terminal && console)
		return pith_fail(err, 0, "--console-socket given but config.json: process.terminal is false");
	if (s->process.has_capabilities && caps_check_available(&s->process.capabilities, err) < 0)
		return -1;
	if (process_check_rlimits(&s->process, err) < 0)
		return -1;
	if (sysctl_validate(s, err) < 0 || rootfs_validate(s, err) < 0 ||
	    lsm_validate(&s->process, s->linux_.mount_label, err) < 0)
		return -1;
	return 0;
}

static int write_copy(int dirfd, const char *name, const char *text, size_t len)
{
	auto_fd fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	return write(fd, text, len) == (ssize_t)len ? 0 : -1;
}

static int make_state_dir(struct create_ctx *x, struct pith_error *err)
{
	const char *root = x->g->root;
	if (mkdir(root, 0700) < 0 && errno != EEXIST) {
		/* --root may be several levels deep (e.g. $XDG_RUNTIME_DIR/pith) */
		char tmp[PATH_MAX];
		snprintf(tmp, sizeof(tmp), "%s", root);
		for (char *p = tmp + 1; *p; p++) {
			if (*p != '/')
				continue;
			*p = '\0';
			mkdir(tmp, 0755);
			*p = '/';
		}
		if (mkdir(root, 0700) < 0 && errno != EEXIST)
			return pith_fail(err, errno, "--root %s", root);
	}
	x->root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (x->root_fd < 0)
		return pith_fail(err, errno, "--root %s", root);
	if (container_check_root(root, x->root_fd, err) < 0)
		return -1;
	if (mkdirat(x->root_fd, x->o->id, 0700) < 0) {
		if (errno == EEXIST)
			return pith_fail(err, 0, "container %s already exists", x->o->id);
		return pith_fail(err, errno, "%s/%s", root, x->o->id);
	}
	struct container *c = calloc(1, sizeof(*c));
	if (!c)
		return pith_fail(err, ENOMEM, "create");
	x->c = c;
	c->id = strdup(x->o->id);
	if (asprintf(&c->dir, "%s/%s", root, x->o->id) < 0)
		c->dir = NULL;
	c->dirfd = openat(x->root_fd, x->o->id, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (!c->id || !c->dir || c->dirfd < 0)
		return pith_fail(err, errno ? errno : ENOMEM, "%s/%s", root, x->o->id);
	if (flock(c->dirfd, LOCK_EX) < 0)
		return pith_fail(err, errno, "%s: lock", c->dir);
	c->status = CONTAINER_CREATING;
	c->state = json_object();
	char now[64];
	rfc3339_now(now, sizeof(now));
	json_t *pith = json_object();
	json_object_set_new(pith, "created", json_string(now));
	json_object_set_new(pith, "rootfs", json_string(x->rootfs));
	json_object_set_new(pith, "owner", json_integer(geteuid()));
	json_object_set_new(pith, "systemd", json_boolean(x->g->systemd_cgroup));
	/* what delete needs to know without parsing the config again */
	json_object_set_new(pith, "own_pidns", json_boolean(x->spec->linux_.new_namespaces & CLONE_NEWPID));
	json_object_set_new(pith, "poststart", json_boolean(x->spec->hooks[SPEC_HOOK_POSTSTART].n > 0));
	json_object_set_new(pith, "poststop", json_boolean(x->spec->hooks[SPEC_HOOK_POSTSTOP].n > 0));
	json_object_set_new(c->state, "ociVersion", json_string(x->spec->oci_version));
	json_object_set_new(c->state, "id", json_string(c->id));
	json_object_set_new(c->state, "status", json_string("creating"));
	json_object_set_new(c->state, "pid", json_integer(0));
	json_object_set_new(c->state, "bundle", json_string(x->bundle));
	json_t *ann = json_object();
	for (size_t i = 0; i < x->spec->annotations.n; i++)
		json_object_set_new(ann, x->spec->annotations.v[i].key, json_string(x->spec->annotations.v[i].value));
	json_object_set_new(c->state, "annotations", ann);
	json_object_set_new(c->state, "pith", pith);
	c->bundle = json_string_value(json_object_get(c->state, "bundle"));
	/* Kept for exec, delete's poststop hooks and the cgroup of a half-made container. */
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/config.json", c->dir);
	if (write_copy(c->dirfd, "config.json", x->spec->text, x->spec->text_len) < 0)
		return pith_fail(err, errno ? errno : ENOSPC, "%s", path);
	/* state.json is first written once the init exists; until then the
	 * config copy is what lets delete find a half-made cgroup */
	return 0;
}

/* The first limit linux.resources asks for, as its JSON path; NULL when
 * none. Device rules are not limits: without a cgroup a rootless container
 * still cannot mknod, and the host's permissions guard what it may bind. */
static const char *requested_limit(const struct spec_resources *r)
{
	const struct spec_memory *m = &r->memory;
	const struct spec_cpu *c = &r->cpu;
	const struct spec_block_io *b = &r->block_io;
	if (r->has_memory && (m->limit.set || m->reservation.set || m->swap.set || m->kernel.set ||
			      m->kernel_tcp.set || m->swappiness.set || m->disable_oom_killer.set))
		return "linux.resources.memory";
	if (r->has_cpu && (c->shares.set || c->quota.set || c->burst.set || c->period.set ||
			   c->realtime_runtime.set || c->realtime_period.set || c->cpus || c->mems ||
			   c->idle.set))
		return "linux.resources.cpu";
	if (r->pids_limit.set)
		return "linux.resources.pids.limit";
	if (r->has_block_io && (b->weight.set || b->leaf_weight.set || b->n_weight_device ||
				b->throttle_read_bps.n || b->throttle_write_bps.n ||
				b->throttle_read_iops.n || b->throttle_write_iops.n))
		return "linux.resources.blockIO";
	if (r->n_hugepage_limits)
		return "linux.resources.hugepageLimits";
	if (r->has_network && (r->network.class_id.set || r->network.n_priorities))
		return "linux.resources.network";
	if (r->n_rdma)
		return "linux.resources.rdma";
	if (r->unified.n)
		return "linux.resources.unified";
	return NULL;
}

static int make_cgroup(struct create_ctx *x, struct pith_error *err)
{
	if (cgroup_create(x->spec, x->o->id, x->g->systemd_cgroup, &x->c->cgroup, err) < 0) {
		/* Like runc and crun: a rootless container asking for no limit runs
		 * without a cgroup when no delegated one is writable. */
		int e = err->errnum;
		if (geteuid() == 0 || (e != EACCES && e != EPERM && e != EROFS))
			return -1;
		const char *limit = requested_limit(&x->spec->linux_.resources);
		if (limit)
			return pith_wrap(err, "%s is set but this unprivileged user cannot create a cgroup "
					 "(delegate a writable cgroup, or remove the limit)", limit);
		log_debug("rootless: running without a cgroup (%s)", err->msg);
		memset(err, 0, sizeof(*err));
		return 0;
	}
	json_t *pith = json_object_get(x->c->state, "pith");
	json_object_set_new(pith, "cgroup", cgroup_to_json(x->c->cgroup));
	/* saved with the pid, right after clone; until then the config copy
	 * lets delete find it */
	return 0;
}

static int make_fifo(struct create_ctx *x, struct pith_error *err)
{
	/* 0622 despite the umask: an init that is not host root (user
	 * namespace, non-root process.user) must be able to open it to write */
	if (mkfifoat(x->c->dirfd, "exec.fifo", 0622) < 0 ||
	    fchmodat(x->c->dirfd, "exec.fifo", 0622, 0) < 0)
		return pith_fail(err, errno, "%s/exec.fifo", x->c->dir);
	x->fifo_fd = openat(x->c->dirfd, "exec.fifo", O_PATH | O_CLOEXEC);
	if (x->fifo_fd < 0)
		return pith_fail(err, errno, "%s/exec.fifo", x->c->dir);
	return 0;
}

/* pid and time namespaces take effect for children: set them up here so the
 * cloned init is born inside. */
static int prepare_child_namespaces(struct create_ctx *x, struct pith_error *err)
{
	const struct spec_linux *l = &x->spec->linux_;
	for (size_t i = 0; i < l->n_namespaces; i++) {
		const struct spec_namespace *ns = &l->namespaces[i];
		if (!ns->path || (ns->type != CLONE_NEWPID && ns->type != CLONE_NEWTIME))
			continue;
		auto_fd fd = open(ns->path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || setns(fd, ns->type) < 0)
			return pith_fail(err, errno, "linux.namespaces[%zu] (%s): %s", i, ns->name, ns->path);
	}
	if (!(l->new_namespaces & CLONE_NEWTIME))
		return 0;
	if (unshare(CLONE_NEWTIME) < 0)
		return pith_fail(err, errno, "unshare the time namespace");
	char offsets[128] = "";
	size_t n = 0;
	if (l->time_monotonic.set)
		n += (size_t)snprintf(offsets + n, sizeof(offsets) - n, "monotonic %lld %u\n",
				      (long long)l->time_monotonic.secs, l->time_monotonic.nanosecs);
	if (l->time_boottime.set)
		n += (size_t)snprintf(offsets + n, sizeof(offsets) - n, "boottime %lld %u\n",
				      (long long)l->time_boottime.secs, l->time_boottime.nanosecs);
	if (n == 0)
		return 0;
	auto_fd fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, offsets, n) != (ssize_t)n)
		return pith_fail(err, errno, "linux.timeOffsets");
	return 0;
}

static pid_t clone_init(struct create_ctx *x, bool setgroups_allowed, struct pith_error *err)
{
	const struct spec_linux *l = &x->spec->linux_;
	unsigned long flags = (unsigned long)(l->new_namespaces & ~(CLONE_NEWCGROUP | CLONE_NEWTIME));
	pid_t pid = -1;
	int leaf = x->c->cgroup ? cgroup_leaf_fd(x->c->cgroup) : -1;
	if (leaf >= 0) {
		/* pure cgroup v2: born in the cgroup, no join afterwards */
		struct clone_args ca = { .flags = flags | CLONE_INTO_CGROUP, .exit_signal = SIGCHLD,
					 .cgroup = (uint64_t)leaf };
		pid = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
		/* an old kernel, or a seccomp filter around us, says no: the classic way */
		if (pid < 0 && errno != ENOSYS && errno != EPERM && errno != E2BIG && errno != EINVAL)
			return pith_fail(err, errno, "clone3 the container's init into its cgroup");
		x->in_cgroup = pid >= 0;
	}
	if (pid < 0)
		pid = (pid_t)syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
	if (pid < 0)
		return pith_fail(err, errno, "clone the container's init (namespaces 0x%lx)", flags);
	if (pid > 0)
		return pid;
	/* The init keeps only what it needs: a stray dup of the state dir would
	 * hold its lock, anything else could leak into the container. */
	int keep[64] = { x->sync[1], x->fifo_fd, x->console_fd };
	size_t n_keep = 3;
	for (size_t i = 0; x->idmap_userns && i < x->spec->n_mounts && n_keep < 64; i++)
		if (x->idmap_userns[i] > 0)
			keep[n_keep++] = x->idmap_userns[i];
	struct pith_error close_err = { 0 };
	if (process_close_fds_except(3 + x->o->preserve_fds, keep, n_keep, &close_err) < 0) {
		sync_send_error(x->sync[1], &close_err);
		_exit(1);
	}
	struct init_args a = {
		.spec = x->spec,
		.rootfs = x->rootfs,
		.bundle = x->bundle,
		.sync_fd = x->sync[1],
		.fifo_fd = x->fifo_fd,
		.console_fd = x->console_fd,
		.preserve_fds = x->o->preserve_fds,
		.no_pivot = x->o->no_pivot,
		.new_keyring = !x->o->no_new_keyring,
		.new_userns = (l->new_namespaces & CLONE_NEWUSER) != 0,
		.setgroups_allowed = setgroups_allowed,
		.cgroup = x->c->cgroup,
		.idmap_userns = x->idmap_userns,
		.seccomp = x->has_seccomp ? &x->seccomp : NULL,
	};
	init_main(&a);
}

static int setup_network(struct create_ctx *x, struct pith_error *err)
{
	const struct spec_linux *l = &x->spec->linux_;
	if (!(l->new_namespaces & CLONE_NEWNET) && !l->n_net_devices)
		return 0;
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)x->pid);
	auto_fd netns = open(path, O_RDONLY | O_CLOEXEC);
	if (netns < 0)
		return pith_fail(err, errno, "%s", path);
	if ((l->new_namespaces & CLONE_NEWNET) && net_loopback_up(netns, err) < 0)
		return -1;
	if (l->n_net_devices && net_move_devices(l->net_devices, l->n_net_devices, netns, err) < 0)
		return -1;
	return 0;
}

static int write_oom_score_adj(pid_t pid, const struct spec_process *p, struct pith_error *err)
{
	if (!p->oom_score_adj.set)
		return 0;
	char path[64], val[32];
	snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", (int)pid);
	int n = snprintf(val, sizeof(val), "%lld", (long long)p->oom_score_adj.v);
	auto_fd fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, val, (size_t)n) != n)
		return pith_fail(err, errno, "process.oomScoreAdj %s", val);
	return 0;
}

static int send_listener(struct create_ctx *x, int child_fd, struct pith_error *err)
{
	auto_fd pidfd = (int)syscall(SYS_pidfd_open, x->pid, 0);
	if (pidfd < 0)
		return pith_fail(err, errno, "pidfd_open %d", x->pid);
	auto_fd fd = (int)syscall(SYS_pidfd_getfd, pidfd, child_fd, 0);
	if (fd < 0)
		return pith_fail(err, errno, "linux.seccomp.listenerPath: get the listener fd");
	/* runtime-spec containerProcessState: the agent learns which fd is which
	 * from "fds", and gets listenerMetadata back verbatim. */
	const char *meta = x->spec->linux_.seccomp.listener_metadata;
	json_t *st = json_pack("{s:s, s:[s], s:i, s:s, s:o}", "ociVersion", "1.3.0", "fds", "seccompFd",
			       "pid", (int)x->pid, "metadata", meta ? meta : "", "state",
			       container_oci_state(x->c));
	char *text = st ? json_dumps(st, JSON_COMPACT) : NULL;
	json_decref(st);
	int r = text ? seccomp_send_listener(x->spec->linux_.seccomp.listener_path, fd, text, err)
		     : pith_fail(err, ENOMEM, "linux.seccomp.listenerPath: state");
	free(text);
	if (write(x->sync[0], "1", 1) != 1 && r == 0)
		r = pith_fail(err, errno, "sync");
	return r;
}

/* Drive the child from clone to READY. */
static int start_init(struct create_ctx *x, struct pith_error *err)
{
	if (prepare_child_namespaces(x, err) < 0 || sync_pair(x->sync, err) < 0)
		return -1;
	const struct spec_linux *l = &x->spec->linux_;
	bool setgroups_allowed = true;
	/* Only an unprivileged caller mapping its own gid loses setgroups; decide before clone. */
	if ((l->new_namespaces & CLONE_NEWUSER) && geteuid() != 0 && l->gid_mappings.n == 1 &&
	    l->gid_mappings.v[0].size == 1 && l->gid_mappings.v[0].host_id == getegid())
		setgroups_allowed = false;
	x->pid = clone_init(x, setgroups_allowed, err);
	if (x->pid < 0)
		return -1;
	close(x->sync[1]);
	x->sync[1] = -1;

	struct proc_stat ps;
	if (procfs_read_stat(x->pid, &ps) == 0)
		x->c->start_time = ps.start_time;
	x->c->pid = x->pid;
	json_object_set_new(x->c->state, "pid", json_integer(x->pid));
	json_object_set_new(json_object_get(x->c->state, "pith"), "start_time", json_integer((json_int_t)x->c->start_time));
	/* The one write of state.json in create. "created" already: create holds
	 * the lock until it is true, and if create dies before, the init dies
	 * with it (no parent on the sync socket) and the status reads stopped. */
	json_object_set_new(x->c->state, "status", json_string("created"));
	/* and so it reads for the hooks of create (prestart, createRuntime,
	 * createContainer), as crun passes them */
	x->c->status = CONTAINER_CREATED;
	if (container_save(x->c, err) < 0)
		return -1;

	bool sg;
	if ((l->new_namespaces & CLONE_NEWUSER) && userns_write_maps(x->pid, l, &sg, err) < 0)
		return -1;

	json_t *st = container_oci_state(x->c);
	char *text = json_dumps(st, JSON_COMPACT);
	json_decref(st);
	int r = text ? sync_send(x->sync[0], SYNC_GO, 0, text, err) : pith_fail(err, ENOMEM, "state");
	free(text);
	if (r < 0)
		return -1;
	/* The init builds its rootfs meanwhile: a v1 cgroup join can wait for
	 * an RCU grace period (tens of ms after idle), so it must not be idle
	 * time on the critical path. */
	if ((x->c->cgroup && !x->in_cgroup && cgroup_add_pid(x->c->cgroup, x->pid, err) < 0) ||
	    write_oom_score_adj(x->pid, &x->spec->process, err) < 0 || setup_network(x, err) < 0 ||
	    sync_send(x->sync[0], SYNC_CGROUP, 0, NULL, err) < 0) {
		/* the init works in parallel: if it failed first, its error is the cause */
		sync_take_error(x->sync[0], err);
		return -1;
	}

	int32_t value = 0;
	if (x->spec->hooks[SPEC_HOOK_PRESTART].n || x->spec->hooks[SPEC_HOOK_CREATE_RUNTIME].n) {
		if (sync_recv(x->sync[0], SYNC_HOOKS, NULL, NULL, 0, err) < 0)
			return -1;
		if (container_run_hooks(x->c, x->spec, SPEC_HOOK_PRESTART, err) < 0 ||
		    container_run_hooks(x->c, x->spec, SPEC_HOOK_CREATE_RUNTIME, err) < 0)
			return -1;
		if (sync_send(x->sync[0], SYNC_HOOKS_DONE, 0, NULL, err) < 0)
			return -1;
	}
	if (sync_recv(x->sync[0], SYNC_READY, &value, NULL, 0, err) < 0)
		return -1;
	if (value > 0 && send_listener(x, value, err) < 0)
		return -1;
	return 0;
}

static void undo(struct create_ctx *x)
{
	if (x->pid > 0) {
		kill(x->pid, SIGKILL);
		while (waitpid(x->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	if (x->c && x->c->cgroup) {
		struct pith_error ignored = { 0 };
		/* processes of a killed pid namespace vanish with its init; wait for the drain */
		if (cgroup_kill_all(x->c->cgroup, SIGKILL, &ignored) < 0)
			log_debug("undo: %s", ignored.msg);
		if (cgroup_destroy(x->c->cgroup, &ignored) < 0)
			log_warn("cleanup after a failed create: %s", ignored.msg);
	}
	if (x->c && x->root_fd >= 0)
		container_remove_dir(x->root_fd, x->o->id);
}

int container_create(const struct pith_globals *g, const struct create_opts *o, struct container **out,
		     struct pith_error *err)
{
	struct create_ctx x = { .g = g, .o = o, .root_fd = -1, .fifo_fd = -1, .console_fd = -1,
				.sync = { -1, -1 } };
	int r = container_id_check(o->id, err);
	if (r == 0)
		r = resolve_bundle(&x, err);
	if (r == 0)
		r = validate(&x, err);
	if (r == 0 && x.spec->linux_.has_seccomp) {
		r = seccomp_program_prepare(&x.spec->linux_.seccomp, g->root, &x.seccomp, err);
		x.has_seccomp = r == 0;
	}
	if (r == 0 && o->console_socket) {
		x.console_fd = terminal_connect_socket(o->console_socket, err);
		r = x.console_fd < 0 ? -1 : 0;
	}
	if (r == 0)
		r = idmap_prepare(x.spec, &x.idmap_userns, err);
	if (r == 0)
		r = make_state_dir(&x, err);
	if (r == 0)
		r = make_cgroup(&x, err);
	if (r == 0)
		r = make_fifo(&x, err);
	if (r == 0)
		r = start_init(&x, err);
	if (r == 0 && o->pid_file)
		r = write_pid_file(o->pid_file, x.pid, err);
	if (r < 0)
		undo(&x);
	if (x.sync[0] >= 0)
		close(x.sync[0]);
	if (x.sync[1] >= 0)
		close(x.sync[1]);
	if (x.fifo_fd >= 0)
		close(x.fifo_fd);
	if (x.console_fd >= 0)
		close(x.console_fd);
	if (x.root_fd >= 0)
		close(x.root_fd);
	if (x.has_seccomp)
		seccomp_program_release(&x.seccomp);
	if (x.spec)
		idmap_release(x.idmap_userns, x.spec->n_mounts);
	spec_free(x.spec);
	if (r < 0) {
		container_free(x.c);
		return -1;
	}
	x.c->status = CONTAINER_CREATED;
	*out = x.c;
	return 0;
}
