/* exec: a new process inside a running container. It joins every namespace
 * of the container's init (user first), is born inside its pid namespace by
 * a second fork (CLONE_PARENT, so it is still our child), is placed in the
 * container's cgroup by us before it runs anything of its own, then takes
 * its own identity, capabilities, rlimits and the container's seccomp. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../process/caps.h"
#include "../cgroup/cgroup.h"
#include "../cleanup.h"
#include "commands.h"
#include "../container.h"
#include "../create.h"
#include "../process/lsm.h"
#include "../process/passwd.h"
#include "../process/signals.h"
#include "../process/process.h"
#include "../process/procfs.h"
#include "../seccomp/seccomp.h"
#include "../sync.h"
#include "../process/terminal.h"

struct exec_opts {
	const char *process_file;
	const char *pid_file;
	const char *console_socket;
	const char *cwd;
	const char *user;
	const char *env[256];
	size_t n_env;
	const char *caps[64];
	size_t n_caps;
	bool tty;
	bool detach;
	bool no_new_privs;
	int preserve_fds;
};

static const struct { int type; const char *file; } ns_files[] = {
	{ CLONE_NEWUSER, "user" }, { CLONE_NEWIPC, "ipc" }, { CLONE_NEWUTS, "uts" },
	{ CLONE_NEWNET, "net" }, { CLONE_NEWPID, "pid" }, { CLONE_NEWCGROUP, "cgroup" },
	{ 0x80 /* CLONE_NEWTIME */, "time" }, { CLONE_NEWNS, "mnt" },
};
#define N_NS (sizeof(ns_files) / sizeof(ns_files[0]))

static const char exec_help[] =
	"usage: pith exec [options] ID [--] COMMAND [ARG...]\n\n"
	"Run a new process inside a running container.\n\n"
	"  -p, --process FILE        process.json (runtime-spec process object) instead of COMMAND\n"
	"  -t, --tty                 allocate a terminal (needs --console-socket)\n"
	"  --console-socket PATH     send the pty master to this unix socket\n"
	"  -d, --detach              do not wait for the process\n"
	"  --pid-file FILE           write the process's pid to FILE\n"
	"  -e, --env KEY=VALUE       add an environment variable (repeatable)\n"
	"  --cwd DIR                 working directory inside the container\n"
	"  -u, --user USER[:GROUP]   user to run as (ids, or names from the container's\n"
	"                            /etc/passwd and /etc/group)\n"
	"  -c, --cap CAP             add a capability (repeatable)\n"
	"  --no-new-privs            set no_new_privs\n"
	"  --preserve-fds N          pass fds 3..3+N-1\n";

/* fds 3..3+N-1 go through; a negative N would reach into stdio and a huge
 * one overflows the bound every close uses */
#define PRESERVE_FDS_MAX 65536
static int parse_preserve_fds(const char *s, int *out)
{
	uint32_t n;
	if (passwd_parse_id(s, &n) < 0 || n > PRESERVE_FDS_MAX)
		return -1;
	*out = (int)n;
	return 0;
}

static int parse_exec(int argc, char **argv, struct exec_opts *o, struct pith_error *err)
{
	enum { OPT_PID = 256, OPT_CONSOLE, OPT_CWD, OPT_NNP, OPT_PRESERVE };
	static const struct option opts[] = {
		{ "process", required_argument, NULL, 'p' }, { "tty", no_argument, NULL, 't' },
		{ "detach", no_argument, NULL, 'd' }, { "pid-file", required_argument, NULL, OPT_PID },
		{ "console-socket", required_argument, NULL, OPT_CONSOLE },
		{ "env", required_argument, NULL, 'e' }, { "cwd", required_argument, NULL, OPT_CWD },
		{ "user", required_argument, NULL, 'u' }, { "cap", required_argument, NULL, 'c' },
		{ "no-new-privs", no_argument, NULL, OPT_NNP },
		{ "preserve-fds", required_argument, NULL, OPT_PRESERVE },
		{ "help", no_argument, NULL, 'h' }, { 0 },
	};
	int ch;
	/* '+': the first non-option is the id; what follows belongs to COMMAND */
	while ((ch = getopt_long(argc, argv, "+p:tde:u:c:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'p': o->process_file = optarg; break;
		case 't': o->tty = true; break;
		case 'd': o->detach = true; break;
		case OPT_PID: o->pid_file = optarg; break;
		case OPT_CONSOLE: o->console_socket = optarg; break;
		case 'e':
			if (o->n_env >= sizeof(o->env) / sizeof(o->env[0]))
				return pith_usage_error(err, "exec", "too many --env");
			/* as process.env: runc refuses a variable without '=' or a name */
			if (!strchr(optarg, '=') || optarg[0] == '=')
				return pith_usage_error(err, "exec", "--env: expected NAME=VALUE, got \"%s\"", optarg);
			o->env[o->n_env++] = optarg;
			break;
		case OPT_CWD: o->cwd = optarg; break;
		case 'u': o->user = optarg; break;
		case 'c':
			if (o->n_caps >= sizeof(o->caps) / sizeof(o->caps[0]))
				return pith_usage_error(err, "exec", "too many --cap");
			o->caps[o->n_caps++] = optarg;
			break;
		case OPT_NNP: o->no_new_privs = true; break;
		case OPT_PRESERVE:
			if (parse_preserve_fds(optarg, &o->preserve_fds) < 0)
				return pith_usage_error(err, "exec", "--preserve-fds: expected a count 0..%d, got \"%s\"",
							PRESERVE_FDS_MAX, optarg);
			break;
		case 'h': return 1;
		default: return pith_usage_error(err, "exec", "unknown option \"%s\"", argv[optind - 1]);
		}
	}
	return 0;
}

/* Numeric parts checked here, before anything exists; names are looked up
 * inside the container (exec_grandchild). */
static int check_user_spec(const char *spec, struct pith_error *err)
{
	const char *colon = strchr(spec, ':');
	size_t user_len = colon ? (size_t)(colon - spec) : strlen(spec);
	if (!user_len || (colon && !colon[1]))
		return pith_usage_error(err, "exec", "--user: expected USER[:GROUP], got \"%s\"", spec);
	const char *parts[2] = { strndupa(spec, user_len), colon ? colon + 1 : NULL };
	for (size_t i = 0; i < 2 && parts[i]; i++) {
		uint32_t id;
		bool numeric_looking = strspn(parts[i], "-+0123456789") == strlen(parts[i]);
		if (numeric_looking && passwd_parse_id(parts[i], &id) < 0)
			return pith_usage_error(err, "exec", "--user: %s \"%s\" is not in 0..%u",
						i ? "gid" : "uid", parts[i], UINT32_MAX - 1);
	}
	return 0;
}

/* The process to run: --process FILE, or the container's own process with
 * COMMAND and the command-line overrides. */
struct exec_process {
	struct spec_process p;
	json_t *json;               /* owns the strings of p when from --process */
	const char **env;           /* merged env (malloc) */
	const char **file_env;      /* the parser's env array, put back before release */
	bool from_file;
};

static int build_process(const struct exec_opts *o, const struct spec *spec, int argc, char **argv,
			 struct exec_process *ep, struct pith_error *err)
{
	if (o->process_file) {
		json_error_t jerr;
		ep->json = json_load_file(o->process_file, 0, &jerr);
		if (!ep->json)
			return pith_fail(err, 0, "%s:%d:%d: %s", o->process_file, jerr.line, jerr.column, jerr.text);
		if (spec_parse_process(ep->json, o->process_file, &ep->p, err) < 0)
			return -1;
		ep->from_file = true;
	} else {
		if (optind < argc && strcmp(argv[optind], "--") == 0)
			optind++;
		if (optind >= argc)
			return pith_usage_error(err, "exec", "requires a command (or --process)");
		ep->p = spec->process;
		ep->p.args.v = (const char **)argv + optind;
		ep->p.args.n = (size_t)(argc - optind);
		ep->p.terminal = o->tty;
	}
	struct spec_process *p = &ep->p;
	if (ep->from_file)
		ep->file_env = p->env.v;
	/* -e NAME=VALUE adds NAME or replaces its value (the last one wins) */
	size_t n;
	ep->env = process_env_merge(p->env.v, p->env.n, o->env, o->n_env, &n);
	if (!ep->env)
		return pith_fail(err, ENOMEM, "exec");
	p->env.v = ep->env;
	p->env.n = n;
	if (o->cwd)
		p->cwd = o->cwd;
	if (o->user && check_user_spec(o->user, err) < 0)
		return -1;
	for (size_t i = 0; i < o->n_caps; i++) {
		int cap = spec_capability_from_name(o->caps[i]);
		if (cap < 0)
			return pith_usage_error(err, "exec", "--cap: unknown capability \"%s\"", o->caps[i]);
		uint64_t bit = 1ULL << cap;
		p->has_capabilities = true;
		p->capabilities.bounding |= bit;
		p->capabilities.effective |= bit;
		p->capabilities.permitted |= bit;
		p->capabilities.inheritable |= bit;
	}
	if (o->no_new_privs)
		p->no_new_privileges = true;
	if (p->terminal && !o->console_socket)
		return pith_usage_error(err, "exec", "--tty needs --console-socket");
	return 0;
}

/* fds of the init's namespaces that differ from ours, user first. */
static int open_namespaces(pid_t pid, int fds[N_NS], struct pith_error *err)
{
	for (size_t i = 0; i < N_NS; i++) {
		fds[i] = -1;
		char theirs[64], ours[64];
		snprintf(theirs, sizeof(theirs), "/proc/%d/ns/%s", (int)pid, ns_files[i].file);
		snprintf(ours, sizeof(ours), "/proc/self/ns/%s", ns_files[i].file);
		struct stat a, b;
		if (stat(theirs, &a) < 0) {
			if (errno == ENOENT)
				continue; /* kernel without this namespace type */
			return pith_fail(err, errno, "%s", theirs);
		}
		if (stat(ours, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev)
			continue;
		fds[i] = open(theirs, O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0)
			return pith_fail(err, errno, "%s", theirs);
	}
	return 0;
}

struct exec_child {
	const struct exec_opts *o;
	const struct spec_process *p;
	const struct seccomp_program *seccomp;
	int sync_fd;
	int console_fd;
	int init_pidfd;      /* -1 before Linux 5.3 */
	bool in_userns;
};

/* The namespaces were opened by pid number: they are the init's only if the
 * init has been alive all along since it was pinned (a pidfd cannot be
 * recycled; the number behind /proc/<pid> can, once the init is reaped). */
static int init_still_there(const struct container *c, int pidfd, struct pith_error *err)
{
	if (pidfd >= 0) {
		if (syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) < 0)
			return pith_fail(err, errno, "exec: the init of container %s (pid %d) is gone", c->id,
					 (int)c->pid);
		return 0;
	}
	struct proc_stat ps;
	if (procfs_read_stat(c->pid, &ps) < 0 || (c->start_time && ps.start_time != c->start_time))
		return pith_fail(err, ESRCH, "exec: the init of container %s (pid %d) is gone", c->id,
				 (int)c->pid);
	return 0;
}

/* setns(pidfd, all at once) where the kernel has it (5.8): one atomic step,
 * by the pinned process itself. Before, the nsfs fds, verified above. */
static int join_namespaces(const struct exec_child *x, int ns_fds[N_NS], struct pith_error *err)
{
	int flags = 0;
	for (size_t i = 0; i < N_NS; i++)
		if (ns_fds[i] >= 0)
			flags |= ns_files[i].type;
	if (!flags)
		return 0;
	if (x->init_pidfd >= 0 && setns(x->init_pidfd, flags) == 0)
		return 0;
	if (x->init_pidfd >= 0 && errno != EINVAL)
		return pith_fail(err, errno, "exec: join the container's namespaces (0x%x)", flags);
	for (size_t i = 0; i < N_NS; i++)
		if (ns_fds[i] >= 0 && setns(ns_fds[i], ns_files[i].type) < 0)
			return pith_fail(err, errno, "exec: join the container's %s namespace", ns_files[i].file);
	return 0;
}

__attribute__((noreturn)) static void exec_grandchild(const struct exec_child *x)
{
	struct pith_error err = { 0 };
	const struct spec_process *p = x->p;
	if (sync_recv(x->sync_fd, SYNC_GO, NULL, NULL, 0, &err) < 0)
		_exit(1);
	/* our own copy of the process (after fork): resolved in the container's root */
	struct spec_process *own = (struct spec_process *)p;
	int r = 0;
	if (x->o->user)
		r = passwd_resolve_user_spec(x->o->user, &own->user, &err);
	if (r == 0)
		r = passwd_set_home(own, &err);
	if (r == 0)
		r = process_apply_rlimits(p, &err);
	if (r == 0)
		r = lsm_apply_on_exec(p, &err);
	if (r == 0)
		r = process_apply_scheduling(p, false, &err);
	if (r == 0 && p->terminal) {
		int master = -1, slave = -1;
		r = terminal_open("/dev/ptmx", p, &master, &slave, &err);
		if (r == 0)
			r = terminal_send_master(x->console_fd, master, &err);
		if (r == 0)
			r = terminal_become_controlling(slave, &err);
		if (master >= 0)
			close(master);
		if (slave >= 0)
			close(slave);
	}
	/* without no_new_privs installing a filter needs CAP_SYS_ADMIN: before the drop */
	bool seccomp_last = p->no_new_privileges;
	if (r == 0 && x->seccomp && !seccomp_last && seccomp_program_install(x->seccomp, &err) < 0)
		r = -1;
	if (r == 0 && p->has_capabilities)
		r = caps_drop_bounding(&p->capabilities, &err);
	if (r == 0)
		r = process_switch_user(p, true, &err);
	if (r == 0 && p->has_capabilities)
		r = caps_apply(&p->capabilities, &err);
	if (r == 0)
		r = process_stay_undumpable(&err);
	if (r == 0)
		r = process_finalize(p, &err);
	if (r == 0)
		r = process_apply_scheduling(p, true, &err);
	if (r == 0 && x->seccomp && seccomp_last && seccomp_program_install(x->seccomp, &err) < 0)
		r = -1;
	if (r == 0) {
		signal_reset_all();
		/* keep only stdio, the preserved fds and the sync fd (closed by
		 * execve: its EOF tells the parent the exec worked) */
		if (process_close_fds_except(3 + x->o->preserve_fds, &x->sync_fd, 1, &err) == 0)
			process_exec(p, &err);
	}
	sync_send_error(x->sync_fd, &err);
	_exit(127);
}

/* The middle process: joins the namespaces and forks the real process into
 * them. Its pid is of no interest to anyone. */
__attribute__((noreturn)) static void exec_child(const struct exec_child *x, int ns_fds[N_NS])
{
	struct pith_error err = { 0 };
	/* pith's image must not be reachable from the container through
	 * /proc/<pid>/exe while we are inside it (CVE-2019-5736 class); the
	 * flag is inherited by the forked process until its execve. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
		pith_fail(&err, errno, "prctl(PR_SET_DUMPABLE)");
		sync_send_error(x->sync_fd, &err);
		_exit(1);
	}
	if (join_namespaces(x, ns_fds, &err) < 0) {
		sync_send_error(x->sync_fd, &err);
		_exit(1);
	}
	pid_t pid = (pid_t)syscall(SYS_clone, CLONE_PARENT, NULL, NULL, NULL, NULL);
	if (pid == 0)
		exec_grandchild(x);
	if (pid < 0) {
		pith_fail(&err, errno, "exec: fork into the container");
		sync_send_error(x->sync_fd, &err);
		_exit(1);
	}
	sync_send(x->sync_fd, SYNC_PID, pid, NULL, &err);
	_exit(0);
}

static int run_exec(struct container *c, int pidfd, const struct exec_opts *o,
		    const struct exec_process *ep, const struct seccomp_program *seccomp,
		    struct pith_error *err)
{
	int ns_fds[N_NS];
	int sync[2] = { -1, -1 };
	int r = open_namespaces(c->pid, ns_fds, err);
	if (r == 0)
		r = init_still_there(c, pidfd, err);
	auto_fd console = -1;
	if (r == 0 && o->console_socket) {
		console = terminal_connect_socket(o->console_socket, err);
		r = console < 0 ? -1 : 0;
	}
	if (r == 0)
		r = sync_pair(sync, err);
	pid_t middle = -1, pid = -1;
	if (r == 0) {
		struct exec_child x = { .o = o, .p = &ep->p, .seccomp = seccomp, .sync_fd = sync[1],
					.console_fd = console, .init_pidfd = pidfd,
					.in_userns = ns_fds[0] >= 0 };
		middle = fork();
		if (middle == 0) {
			close(sync[0]);
			exec_child(&x, ns_fds);
		}
		if (middle < 0)
			r = pith_fail(err, errno, "exec: fork");
	}
	if (sync[1] >= 0)
		close(sync[1]);
	for (size_t i = 0; i < N_NS; i++)
		if (ns_fds[i] >= 0)
			close(ns_fds[i]);
	int32_t value = 0;
	if (r == 0)
		r = sync_recv(sync[0], SYNC_PID, &value, NULL, 0, err);
	if (middle > 0)
		waitpid(middle, NULL, 0);
	if (r == 0) {
		pid = value;
		/* pid is our own unreaped child, so the number is safe; the init
		 * is checked once more so no process joins a dead container's cgroup */
		if (c->cgroup)
			r = cgroup_add_pid(c->cgroup, pid, err);
		if (r == 0)
			r = init_still_there(c, pidfd, err);
		if (r == 0)
			r = sync_send(sync[0], SYNC_GO, 0, NULL, err);
	}
	if (r == 0) {
		/* EOF: execve succeeded (the fd was O_CLOEXEC); a frame: it failed. */
		char buf[8];
		ssize_t n = recv(sync[0], buf, sizeof(buf), MSG_PEEK);
		if (n > 0)
			r = sync_recv(sync[0], SYNC_READY, NULL, NULL, 0, err);
	}
	if (sync[0] >= 0)
		close(sync[0]);
	if (r < 0) {
		if (pid > 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, __WALL);
		}
		return -1;
	}
	if (o->pid_file && write_pid_file(o->pid_file, pid, err) < 0)
		return -1;
	if (o->detach)
		return 0;
	return process_wait_forwarding(pid);
}

int cmd_exec(struct pith_globals *g, int argc, char **argv, struct pith_error *err)
{
	struct exec_opts o = { 0 };
	int r = parse_exec(argc, argv, &o, err);
	if (r != 0) {
		if (r > 0)
			fputs(exec_help, stdout);
		return r > 0 ? 0 : -1;
	}
	if (optind >= argc)
		return pith_usage_error(err, "exec", "requires a container id");
	const char *id = argv[optind++];
	struct container *c;
	if (container_load(g, id, false, &c, err) < 0)
		return -1;
	struct spec *spec = NULL;
	struct exec_process ep = { 0 };
	struct seccomp_program seccomp;
	bool has_seccomp = false;
	auto_fd pidfd = -1;
	if (c->status != CONTAINER_RUNNING && c->status != CONTAINER_CREATED)
		r = pith_fail(err, 0, "cannot exec in a %s container", container_status_name(c->status));
	/* Pinned from the state we read on: whatever exec does later, a
	 * recycled pid cannot stand in for the init. */
	if (r == 0) {
		pidfd = container_pidfd(c, err);
		if (pidfd < 0 && pidfd != -ENOSYS)
			r = -1;
	}
	if (r == 0)
		r = container_load_spec(c, &spec, err);
	if (r == 0)
		r = build_process(&o, spec, argc, argv, &ep, err);
	if (r == 0)
		r = lsm_validate(&ep.p, NULL, err);
	if (r == 0 && spec->linux_.has_seccomp) {
		r = seccomp_program_prepare(&spec->linux_.seccomp, g->root, &seccomp, err);
		has_seccomp = r == 0;
	}
	/* The caller may hold a lock-free view from here: exec must not block delete. */
	if (r == 0) {
		int dirfd = c->dirfd;
		c->dirfd = -1;
		close(dirfd);
		r = run_exec(c, pidfd, &o, &ep, has_seccomp ? &seccomp : NULL, err);
	}
	if (has_seccomp)
		seccomp_program_release(&seccomp);
	free(ep.env);
	if (ep.from_file) {
		ep.p.env.v = ep.file_env;
		spec_process_release(&ep.p);
	}
	json_decref(ep.json);
	spec_free(spec);
	container_free(c);
	return r;
}
