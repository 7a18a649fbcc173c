/* The container's init, from clone to execve. Everything that can be done in
 * the parent was done there (parsing, cgroups, seccomp compilation, id
 * maps); this is what can only happen inside. Before READY every error goes
 * back to the parent over the sync socket; after it, to the container's
 * stderr, because `create` has returned by then. */
#include "init.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/keyctl.h>

#include "process/caps.h"
#include "cleanup.h"
#include "hooks.h"
#include "mount/paths.h"
#include "process/lsm.h"
#include "process/process.h"
#include "process/signals.h"
#include "mount/rootfs.h"
#include "seccomp/seccomp.h"
#include "sync.h"
#include "process/passwd.h"
#include "process/terminal.h"

/* Where the state JSON for hooks arrives (GO's payload). */
static char state_json[64 * 1024];

__attribute__((noreturn)) static void die_before_ready(const struct init_args *a, struct pith_error *err)
{
	sync_send_error(a->sync_fd, err);
	_exit(1);
}

__attribute__((noreturn)) static void die_after_ready(struct pith_error *err)
{
	char buf[1400];
	dprintf(STDERR_FILENO, "pith: %s\n", pith_error_text(err, buf, sizeof(buf)));
	_exit(127);
}

static int join_namespaces(const struct spec_linux *l, struct pith_error *err)
{
	/* The user namespace first: the others may belong to it. pid and time
	 * were joined by the parent (they take effect for children only). */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < l->n_namespaces; i++) {
			const struct spec_namespace *ns = &l->namespaces[i];
			if (!ns->path || ns->type == CLONE_NEWPID || ns->type == CLONE_NEWTIME)
				continue;
			if ((pass == 0) != (ns->type == CLONE_NEWUSER))
				continue;
			auto_fd fd = open(ns->path, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				return pith_fail(err, errno, "linux.namespaces[%zu] (%s): %s", i, ns->name, ns->path);
			if (setns(fd, ns->type) < 0)
				return pith_fail(err, errno, "linux.namespaces[%zu] (%s): setns %s", i, ns->name,
						 ns->path);
		}
	}
	return 0;
}

static int set_names(const struct spec *s, struct pith_error *err)
{
	if (s->hostname && sethostname(s->hostname, strlen(s->hostname)) < 0)
		return pith_fail(err, errno, "hostname \"%s\"", s->hostname);
	if (s->domainname && setdomainname(s->domainname, strlen(s->domainname)) < 0)
		return pith_fail(err, errno, "domainname \"%s\"", s->domainname);
	return 0;
}

static int setup_terminal(const struct init_args *a, bool own_mount_ns, struct pith_error *err)
{
	int master = -1, slave = -1;
	if (terminal_open("/dev/ptmx", &a->spec->process, &master, &slave, err) < 0)
		return -1;
	int r = terminal_send_master(a->console_fd, master, err);
	close(master);
	/* the caller's /dev/console is not ours to cover */
	if (r == 0 && own_mount_ns)
		r = rootfs_bind_console(slave, err);
	if (r == 0)
		r = terminal_become_controlling(slave, err);
	close(slave);
	close(a->console_fd);
	return r;
}

/* runc and crun create a missing process.cwd (a Kubernetes workingDir, ctr --cwd)
 * before the root can turn read-only; we are inside the new root, so the walk
 * cannot leave it. A failure is left to chdir, which names process.cwd. */
static void make_cwd(const char *cwd)
{
	auto_fd root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return;
	struct pith_error ignored = { 0 };
	int fd = path_resolve_in_root(root, cwd, PATH_CREATE_DIR, &ignored);
	if (fd >= 0)
		close(fd);
}

struct cgroup_wait {
	const struct init_args *a;
	bool done;
};

/* The parent joins our cgroup while we mount: we wait for it only here,
 * right before the first cgroup mount (or after the mounts), because the
 * cgroup namespace must be made once we are in our cgroup. */
static int wait_for_cgroup(void *arg, struct pith_error *err)
{
	struct cgroup_wait *w = arg;
	if (w->done)
		return 0;
	w->done = true;
	if (sync_recv(w->a->sync_fd, SYNC_CGROUP, NULL, NULL, 0, err) < 0)
		return -1;
	if ((w->a->spec->linux_.new_namespaces & CLONE_NEWCGROUP) && unshare(CLONE_NEWCGROUP) < 0)
		return pith_fail(err, errno, "unshare the cgroup namespace");
	return 0;
}

/* Everything up to READY: namespaces, filesystem, identity. */
static int build_container(const struct init_args *a, int *proc_fd_dir, struct pith_error *err)
{
	const struct spec *s = a->spec;
	const struct spec_linux *l = &s->linux_;

	if (sync_recv(a->sync_fd, SYNC_GO, NULL, state_json, sizeof(state_json), err) < 0)
		return -1;
	/* Until execve this is pith's own image: no process of the container
	 * may reach it through /proc/1/exe or our fds (CVE-2019-5736 class).
	 * Only after the parent wrote our id maps, which needs us dumpable. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return pith_fail(err, errno, "prctl(PR_SET_DUMPABLE)");
	if (a->new_userns && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0))
		return pith_fail(err, errno, "become root in the new user namespace");
	if (a->new_userns && process_stay_undumpable(err) < 0)
		return -1;
	if (join_namespaces(l, err) < 0)
		return -1;
	if (a->new_keyring) {
		long r = syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL, 0, 0, 0);
		if (r < 0 && errno != ENOSYS && errno != EPERM && errno != EDQUOT)
			return pith_fail(err, errno, "join a new session keyring");
	}
	if (set_names(s, err) < 0)
		return -1;

	struct rootfs_ctx ctx = {
		.spec = s,
		.rootfs = a->rootfs,
		.bundle = a->bundle,
		.no_pivot = a->no_pivot,
		.in_userns = a->new_userns || (l->join_namespaces & CLONE_NEWUSER),
		.cgroup = a->cgroup,
		.idmap_userns = a->idmap_userns,
		.mount_label = lsm_selinux_enabled() ? l->mount_label : NULL,
		.before_cgroup_mount = wait_for_cgroup,
	};
	struct cgroup_wait cw = { .a = a };
	ctx.before_cgroup_arg = &cw;
	/* Only in a mount namespace made for the container: anywhere else a
	 * mount or pivot_root would change the caller's (or another
	 * container's) filesystem for every process there. */
	bool own_mount_ns = rootfs_own_mount_ns(s);
	if ((own_mount_ns && rootfs_prepare(&ctx, err) < 0) || wait_for_cgroup(&cw, err) < 0)
		return -1;
	for (size_t i = 0; a->idmap_userns && i < s->n_mounts; i++)
		if (a->idmap_userns[i] > 0)
			close(a->idmap_userns[i]);
	if (s->hooks[SPEC_HOOK_PRESTART].n || s->hooks[SPEC_HOOK_CREATE_RUNTIME].n) {
		if (sync_send(a->sync_fd, SYNC_HOOKS, 0, NULL, err) < 0 ||
		    sync_recv(a->sync_fd, SYNC_HOOKS_DONE, NULL, NULL, 0, err) < 0)
			return -1;
	}
	if (hooks_run(SPEC_HOOK_CREATE_CONTAINER, &s->hooks[SPEC_HOOK_CREATE_CONTAINER], state_json, err) < 0)
		return -1;
	/* The fifo lives in the host's state dir: keep a way to reopen it after
	 * pivot_root hides the host. */
	if (a->fifo_fd >= 0) {
		*proc_fd_dir = open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (*proc_fd_dir < 0)
			return pith_fail(err, errno, "open /proc/self/fd");
	}
	if (own_mount_ns && rootfs_pivot(&ctx, err) < 0)
		return -1;
	if (sysctl_apply(s, err) < 0)
		return -1;
	const struct spec_process *p = &s->process;
	if (p->cwd && own_mount_ns)
		make_cwd(p->cwd);
	/* /dev/console must be bound before finalize can make /dev read-only */
	if (p->terminal && a->console_fd >= 0 && setup_terminal(a, own_mount_ns, err) < 0)
		return -1;
	if (own_mount_ns && rootfs_finalize(&ctx, err) < 0)
		return -1;
	/* the child's own copy of the spec: HOME joins the env execve gets */
	if (passwd_set_home((struct spec_process *)p, err) < 0)
		return -1;
	if (lsm_apply_on_exec(p, err) < 0)
		return -1;

	if (l->has_personality && process_set_personality(l->personality.domain, err) < 0)
		return -1;
	if (process_apply_rlimits(p, err) < 0 || process_apply_scheduling(p, false, err) < 0)
		return -1;
	if (p->has_capabilities && caps_drop_bounding(&p->capabilities, err) < 0)
		return -1;
	if (process_switch_user(p, a->setgroups_allowed, err) < 0)
		return -1;
	/* Without no_new_privs the kernel wants CAP_SYS_ADMIN to install a
	 * filter, and the filter goes on last: hold it in the effective set
	 * until then. execve computes the new sets from inheritable, ambient,
	 * bounding and the file, never from these, so the process still gets
	 * exactly the configured capabilities. */
	bool hold_admin = a->seccomp && !p->no_new_privileges;
	struct spec_capabilities caps = p->capabilities;
	if (hold_admin)
		caps_add_sys_admin(&caps);
	if (p->has_capabilities && caps_apply(&caps, err) < 0)
		return -1;
	if (hold_admin && caps_raise_sys_admin(err) < 0)
		return -1;
	if (process_stay_undumpable(err) < 0)
		return -1;
	if (process_finalize(p, err) < 0)
		return -1;
	return process_check_executable(p, err);
}

/* The write end stays open, close-on-exec, until execve: `pith start` reads
 * end of file once the user process really runs (its poststart hooks wait
 * for that). */
static int wait_for_start(const struct init_args *a, int proc_fd_dir, struct pith_error *err)
{
	char name[16];
	snprintf(name, sizeof(name), "%d", a->fifo_fd);
	/* Blocks until `pith start` opens the read side. */
	auto_fd fd = openat(proc_fd_dir, name, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return pith_fail(err, errno, "open the exec fifo");
	if (write(fd, "0", 1) != 1)
		return pith_fail(err, errno, "write the exec fifo");
	return pith_steal_fd(&fd);
}

void init_main(const struct init_args *a)
{
	struct pith_error err = { 0 };
	int proc_fd_dir = -1;
	int listener = 0;
	int exec_fifo = -1;
	const struct spec_process *p = &a->spec->process;
	/* The filter goes on last, right before execve: nothing pith does
	 * can be broken by the profile (with or without no_new_privs). */
	bool seccomp_last = a->seccomp != NULL;

	/* Until READY, a dead parent means nobody will ever start us. */
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (build_container(a, &proc_fd_dir, &err) < 0)
		die_before_ready(a, &err);

	if (seccomp_last && a->spec->linux_.seccomp.listener_path) {
		seccomp_last = false;
		/* The listener fd must reach the parent while it still exists:
		 * the one case where the sync socket, the fifo and the hooks come
		 * after the filter (the profile must allow them). */
		listener = seccomp_program_install(a->seccomp, &err);
		if (listener < 0)
			die_before_ready(a, &err);
	}
	/* From READY on, `create` may exit at any moment: its death is no longer ours. */
	prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
	if (sync_send(a->sync_fd, SYNC_READY, listener, NULL, &err) < 0)
		_exit(1);
	if (listener > 0) {
		/* The parent picks the fd up from /proc/<pid>/fd via pidfd_getfd. */
		char ack;
		if (read(a->sync_fd, &ack, 1) < 0)
			_exit(1);
		close(listener);
	}
	close(a->sync_fd);

	if (a->fifo_fd >= 0 && (exec_fifo = wait_for_start(a, proc_fd_dir, &err)) < 0)
		die_after_ready(&err);
	/* the user process has not been executed yet: "created" (runc) */
	if (hooks_run(SPEC_HOOK_START_CONTAINER, &a->spec->hooks[SPEC_HOOK_START_CONTAINER], state_json,
		      &err) < 0)
		die_after_ready(&err);
	if (process_apply_scheduling(p, true, &err) < 0)
		die_after_ready(&err);
	signal_reset_all();
	if (process_close_fds_except(3 + a->preserve_fds, &exec_fifo, exec_fifo >= 0 ? 1 : 0, &err) < 0)
		die_after_ready(&err);
	if (seccomp_last && seccomp_program_install(a->seccomp, &err) < 0)
		die_after_ready(&err);
	process_exec(p, &err);
	die_after_ready(&err);
}
