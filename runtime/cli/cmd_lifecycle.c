/* create, start, run, state, kill, delete, list: runc's command line. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../cgroup/cgroup.h"
#include "../cleanup.h"
#include "commands.h"
#include "../container.h"
#include "../create.h"
#include "../log.h"
#include "../process/process.h"
#include "run_tty.h"
#include "../process/signals.h"
#include "../process/terminal.h"

static int want_id(int argc, char **argv, const char *cmd, const char **id, struct pith_error *err)
{
	if (optind >= argc)
		return pith_usage_error(err, cmd, "requires a container id");
	*id = argv[optind++];
	return 0;
}

static int no_more_args(int argc, char **argv, const char *cmd, struct pith_error *err)
{
	if (optind < argc)
		return pith_usage_error(err, cmd, "unexpected argument \"%s\"", argv[optind]);
	return 0;
}

static int help(const char *text)
{
	fputs(text, stdout);
	return 0;
}

/* ---------- create / run option parsing (shared) ---------- */

enum { OPT_BUNDLE = 'b', OPT_CONFIG = 'f', OPT_DETACH = 'd', OPT_HELP = 'h', OPT_PID_FILE = 256, OPT_CONSOLE,
       OPT_PRESERVE, OPT_NO_PIVOT, OPT_NO_KEYRING, OPT_KEEP, OPT_NO_SUBREAPER };

static const struct option create_opts_table[] = {
	{ "bundle", required_argument, NULL, OPT_BUNDLE },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "pid-file", required_argument, NULL, OPT_PID_FILE },
	{ "console-socket", required_argument, NULL, OPT_CONSOLE },
	{ "preserve-fds", required_argument, NULL, OPT_PRESERVE },
	{ "no-pivot", no_argument, NULL, OPT_NO_PIVOT },
	{ "no-new-keyring", no_argument, NULL, OPT_NO_KEYRING },
	{ "detach", no_argument, NULL, OPT_DETACH },
	{ "keep", no_argument, NULL, OPT_KEEP },
	{ "no-subreaper", no_argument, NULL, OPT_NO_SUBREAPER },
	{ "help", no_argument, NULL, OPT_HELP },
	{ 0 },
};

static const char create_help[] =
	"usage: pith create [options] ID\n\n"
	"Create a container from an OCI bundle; it waits for 'pith start'.\n\n"
	"  -b, --bundle DIR          bundle directory (default: current directory)\n"
	"  -f, --config FILE         the config instead of DIR/config.json (relative: to DIR)\n"
	"  --pid-file FILE           write the init's pid to FILE\n"
	"  --console-socket PATH     send the pty master to this unix socket (process.terminal)\n"
	"  --preserve-fds N          pass fds 3..3+N-1 to the container\n"
	"  --no-pivot                use MS_MOVE+chroot instead of pivot_root\n"
	"  --no-new-keyring          keep the caller's session keyring\n";

static const char run_help[] =
	"usage: pith run [options] ID\n\n"
	"Create and start a container; wait for it and exit with its status (128+N for signal N),\n"
	"then delete it.\n\n"
	"  -b, --bundle DIR          bundle directory (default: current directory)\n"
	"  -f, --config FILE         the config instead of DIR/config.json (relative: to DIR)\n"
	"  -d, --detach              return once the container is running\n"
	"  --keep                    do not delete the container after it exits\n"
	"  --pid-file FILE           write the init's pid to FILE\n"
	"  --console-socket PATH     send the pty master to this unix socket (process.terminal)\n"
	"  --preserve-fds N          pass fds 3..3+N-1 to the container\n"
	"  --no-pivot, --no-new-keyring   as for create\n";

struct run_flags {
	bool detach;
	bool keep;
};

static int parse_create(int argc, char **argv, const char *cmd, struct create_opts *o, struct run_flags *rf,
			struct pith_error *err)
{
	int c;
	while ((c = getopt_long(argc, argv, rf ? "+b:f:dh" : "+b:f:h", create_opts_table, NULL)) != -1) {
		switch (c) {
		case OPT_BUNDLE: o->bundle = optarg; break;
		case OPT_CONFIG: o->config = optarg; break;
		case OPT_PID_FILE: o->pid_file = optarg; break;
		case OPT_CONSOLE: o->console_socket = optarg; break;
		case OPT_PRESERVE: {
			char *end;
			long n = strtol(optarg, &end, 10);
			if (*end || n < 0 || n > 4096)
				return pith_usage_error(err, cmd, "--preserve-fds: invalid count \"%s\"", optarg);
			o->preserve_fds = (int)n;
			break;
		}
		case OPT_NO_PIVOT: o->no_pivot = true; break;
		case OPT_NO_KEYRING: o->no_new_keyring = true; break;
		case OPT_NO_SUBREAPER: break;
		case OPT_DETACH:
			if (!rf)
				return pith_usage_error(err, cmd, "unknown option \"--detach\"");
			rf->detach = true;
			break;
		case OPT_KEEP:
			if (!rf)
				return pith_usage_error(err, cmd, "unknown option \"--keep\"");
			rf->keep = true;
			break;
		case OPT_HELP: return 1;
		default: return pith_usage_error(err, cmd, "unknown option \"%s\"", argv[optind - 1]);
		}
	}
	if (want_id(argc, argv, cmd, &o->id, err) < 0)
		return -1;
	return no_more_args(argc, argv, cmd, err);
}

int cmd_create(struct pith_globals *g, int argc, char **argv, struct pith_error *err)
{
	struct create_opts o = { 0 };
	int r = parse_create(argc, argv, "create", &o, NULL, err);
	if (r != 0)
		return r > 0 ? help(create_help) : -1;
	struct container *c;
	if (container_create(g, &o, &c, err) < 0)
		return -1;
	container_free(c);
	return 0;
}

/* ---------- start ---------- */

static bool state_flag(const struct container *c, const char *key, bool absent)
{
	json_t *v = json_object_get(json_object_get(c->state, "pith"), key);
	return v ? json_is_true(v) : absent;
}


/* The init keeps its end of the fifo open, close-on-exec, until its execve:
 * end of file here means the user process runs (or the init died). */
static void wait_for_exec(int fifo)
{
	struct pollfd p = { .fd = fifo, .events = POLLIN };
	char byte;
	for (;;) {
		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			return;
		ssize_t n = read(fifo, &byte, 1);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			return;
	}
}

/* Open the exec fifo's read side: the init, blocked in open(O_WRONLY), goes on. */
static int release_init(struct container *c, bool until_exec, struct pith_error *err)
{
	auto_fd fifo = openat(c->dirfd, "exec.fifo", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fifo < 0)
		return pith_fail(err, errno, "container %s: exec fifo", c->id);
	auto_fd pidfd = (int)syscall(SYS_pidfd_open, c->pid, 0);
	struct pollfd pfd[2] = { { .fd = fifo, .events = POLLIN }, { .fd = pidfd, .events = POLLIN } };
	for (;;) {
		int n = poll(pfd, pidfd >= 0 ? 2 : 1, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return pith_fail(err, errno, "container %s: wait for the init", c->id);
		break;
	}
	char byte;
	if (!(pfd[0].revents & POLLIN) || read(fifo, &byte, 1) != 1)
		return pith_fail(err, 0, "container %s: the init exited before it could start", c->id);
	unlinkat(c->dirfd, "exec.fifo", 0);
	if (until_exec)
		wait_for_exec(fifo);
	return 0;
}

static int start_container(struct container *c, struct pith_error *err)
{
	switch (c->status) {
	case CONTAINER_CREATED: break;
	case CONTAINER_STOPPED: return pith_fail(err, 0, "cannot start a container that has stopped");
	case CONTAINER_CREATING: return pith_fail(err, 0, "cannot start a container that is still being created");
	default: return pith_fail(err, 0, "cannot start an already running container");
	}
	struct spec *spec = NULL;
	if (state_flag(c, "poststart", true) && container_load_spec(c, &spec, err) < 0)
		return -1;
	/* nothing to save: "running" is read from the fifo being gone.
	 * Poststart hooks run once the user process has really been exec'd. */
	bool poststart = spec && spec->hooks[SPEC_HOOK_POSTSTART].n;
	int r = release_init(c, poststart, err);
	if (r == 0)
		c->status = CONTAINER_RUNNING;
	/* runtime.md: a failing poststart hook is a warning; the remaining
	 * hooks and the lifecycle go on as if it had succeeded */
	if (r == 0 && poststart)
		container_run_hooks_warn(c, spec, SPEC_HOOK_POSTSTART);
	spec_free(spec);
	return r;
}

int cmd_start(struct pith_globals *g, int argc, char **argv, struct pith_error *err)
{
	static const struct option opts[] = { { "help", no_argument, NULL, 'h' }, { 0 } };
	int ch;
	while ((ch = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (ch == 'h')
			return help("usage: pith start ID\n\nStart the user process of a created container.\n");
		return pith_usage_error(err, "start", "unknown option \"%s\"", argv[optind - 1]);
	}
	const char *id = NULL;
	if (want_id(argc, argv, "start", &id, err) < 0 || no_more_args(argc, argv, "start", err) < 0)
		return -1;
	struct container *c;
	if (container_load(g, id, true, &c, err) < 0)
		return -1;
	int r = start_container(c, err);
	container_free(c);
	return r < 0 ? -1 : 0;
}

/* ---------- delete ---------- */

/* Wait (bounded) for a process we are not the parent of to go away. */
static void wait_gone(pid_t pid, int timeout_ms)
{
	auto_fd pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		return;
	struct pollfd p = { .fd = pidfd, .events = POLLIN };
	while (poll(&p, 1, timeout_ms) < 0 && errno == EINTR)
		;
	/* our own child (pith run): reap it so it is not a zombie */
	waitpid(pid, NULL, WNOHANG);
}


static int kill_everything(struct container *c, struct pith_error *err)
{
	/* A stopped init that was PID 1 of its own namespace took every other
	 * process of the container with it: nothing is left to kill. */
	if (c->status == CONTAINER_STOPPED && state_flag(c, "own_pidns", false))
		return 0;
	if (c->cgroup) {
		if (cgroup_kill_all(c->cgroup, SIGKILL, err) < 0)
			return -1;
		bool frozen = false;
		if (cgroup_is_frozen(c->cgroup, &frozen, NULL) == 0 && frozen)
			cgroup_freeze(c->cgroup, false, NULL);
	} else if (c->status != CONTAINER_STOPPED) {
		struct pith_error ignored = { 0 };
		container_signal(c, SIGKILL, &ignored);
	}
	if (c->pid > 0)
		wait_gone(c->pid, 5000);
	return 0;
}

static int destroy_container(const struct pith_globals *g, struct container *c, struct pith_error *err)
{
	if (kill_everything(c, err) < 0)
		return -1;
	if (c->cgroup && cgroup_destroy(c->cgroup, err) < 0)
		return -1;
	struct spec *spec = NULL;
	struct pith_error hook_err = { 0 };
	if (state_flag(c, "poststop", true) && container_load_spec(c, &spec, &hook_err) == 0) {
		c->status = CONTAINER_STOPPED;
		/* spec: a failing poststop hook is a warning; the others and the delete go on */
		container_run_hooks_warn(c, spec, SPEC_HOOK_POSTSTOP);
		spec_free(spec);
	}
	auto_fd root = open(g->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return pith_fail(err, errno, "--root %s", g->root);
	container_remove_dir(root, c->id);
	return 0;
}

/* As runc and crun, delete --force of a container that is not there succeeds
 * quietly: podman runs it after every exit and after a failed create, and would
 * show an error line to its user. A plain delete still says "does not exist". */
static bool container_absent(const struct pith_globals *g, const char *id)
{
	if (!*id || strchr(id, '/') || strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
		return false; /* a bad id: container_load names the problem */
	char path[PATH_MAX];
	struct stat st;
	if (snprintf(path, sizeof(path), "%s/%s", g->root, id) >= (int)sizeof(path))
		return false;
	return lstat(path, &st) < 0 && errno == ENOENT;
}

int cmd_delete(struct pith_globals *g, int argc, char **argv, struct pith_error *err)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' }, { "help", no_argument, NULL, 'h' }, { 0 } };
	bool force = false;
	int ch;
	while ((ch = getopt_long(argc, argv, "+fh", opts, NULL)) != -1) {
		if (ch == 'f')
			force = true;
		else if (ch == 'h')
			return help("usage: pith delete [--force] ID\n\nDelete a container; --force kills it first.\n");
		else
			return pith_usage_error(err, "delete", "unknown option \"%s\"", argv[optind - 1]);
	}
	const char *id = NULL;
	if (want_id(argc, argv, "delete", &id, err) < 0 || no_more_args(argc, argv, "delete", err) < 0)
		return -1;
	if (force && container_absent(g, id))
		return 0;
	struct container *c;
	if (container_load(g, id, true, &c, err) < 0)
		return -1;
	int r = 0;
	if (!force && c->status != CONTAINER_STOPPED && c->status != CONTAINER_CREATED)
		r = pith_fail(err, 0, "cannot delete container %s that is not stopped: %s", id,
			      container_status_name(c->status));
	if (r == 0)
		r = destroy_container(g, c, err);
	container_free(c);
	return r < 0 ? -1 : 0;
}

/* ---------- state ---------- */

int cmd_state(struct pith_globals *g, int argc, char **argv, struct pith_error *err)
{
	static const struct option opts[] = { { "help", no_argument, NULL, 'h' }, { 0 } };
	int ch;
	while ((ch = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (ch == 'h')
			return help("usage: pith state ID\n\nPrint the container's state as JSON.\n");
		return pith_usage_error(err, "state", "unknown option \"%s\"", argv[optind - 1]);
	}
	const char *id = NULL;
	if (want_id(argc, argv, "state", &id, err) < 0 || no_more_args(argc, argv, "state", err) < 0)
		return -1;
	struct container *c;
	if (container_load(g, id, false, &c, err) < 0)
		return -1;
	json_t *st = container_oci_state(c);
	if (c->cgroup)
		cgroup_state_annotations(c->cgroup, json_object_get(st, "annotations"));
	json_t *pith = json_object_get(c->state, "pith");
	json_t *rootfs = json_object_get(pith, "rootfs");
	json_t *created = json_object_get(pith, "created");
	if (rootfs)
		json_object_set(st, "rootfs", rootfs);
	if (created)
		json_object_set(st, "created", created);
	char *text = json_dumps(st, JSON_INDENT(2));
	if (text)
		puts(text);
	free(text);
	json_decref(st);
	container_free(c);
	return 0;
}

/* ---------- kill ---------- */

int cmd_kill(struct pith_globals *g, int argc, char **argv, struct pith_error *err)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' }, { "help", no_argument, NULL, 'h' }, { 0 } };
	bool all = false;
	int ch;
	while ((ch = getopt_long(argc, argv, "+ah", opts, NULL)) != -1) {
		if (ch == 'a')
			all = true;
		else if (ch == 'h')
			return help("usage: pith kill [--all] ID [SIGNAL]\n\n"
				    "Send SIGNAL (default SIGTERM; a name with or without SIG, or a number)\n"
				    "to the container's init; --all: to every process of the container.\n");
		else
			return pith_usage_error(err, "kill", "unknown option \"%s\"", argv[optind - 1]);
	}
	const char *id = NULL;
	if (want_id(argc, argv, "kill", &id, err) < 0)
		return -1;
	int sig = SIGTERM;
	if (optind < argc && signal_parse(argv[optind++], &sig, err) < 0)
		return -1;
	/* runc accepts flags after the id too: "kill ID 9 --all" */
	while (optind < argc && (strcmp(argv[optind], "--all") == 0 || strcmp(argv[optind], "-a") == 0)) {
		all = true;
		optind++;
	}
	if (no_more_args(argc, argv, "kill", err) < 0)
		return -1;
	struct container *c;
	if (container_load(g, id, false, &c, err) < 0)
		return -1;
	int r = 0;
	if (c->status == CONTAINER_STOPPED && !all)
		r = pith_fail(err, 0, "container %s is not running", id);
	else if (all && c->cgroup)
		r = cgroup_kill_all(c->cgroup, sig, err);
	else if (c->status != CONTAINER_STOPPED)
		r = container_signal(c, sig, err);
	container_free(c);
	return r < 0 ? -1 : 0;
}

/* ---------- run ---------- */

/* Ctrl-C, a SIGTERM or a hang-up while run creates would kill pith between
 * clone and start and leave a created container nobody waits for. They are
 * held (blocked) until the container has started, when the wait forwards
 * them to it, or the create is undone. */
static void hold_interrupts(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGQUIT);
	sigprocmask(SIG_BLOCK, set, NULL);
}

static int held_interrupt(const sigset_t *set)
{
	sigset_t pending;
	if (sigpending(&pending) < 0)
		return 0;
	for (int sig = 1; sig < NSIG; sig++)
		if (sigismember(set, sig) == 1 && sigismember(&pending, sig) == 1)
			return sig;
	return 0;
}

static int undo_run(struct pith_globals *g, struct container *c, int sig, struct pith_error *err)
{
	struct pith_error ignored = { 0 };
	destroy_container(g, c, &ignored);
	container_free(c);
	if (!sig)
		return -1;
	pith_fail(err, 0, "run: interrupted by %s while creating the container; it was removed", strsignal(sig));
	err->exit_code = 128 + sig;
	return -1;
}

int cmd_run(struct pith_globals *g, int argc, char **argv, struct pith_error *err)
{
	struct create_opts o = { 0 };
	struct run_flags rf = { 0 };
	int r = parse_create(argc, argv, "run", &o, &rf, err);
	if (r != 0)
		return r > 0 ? help(run_help) : -1;
	auto_fd tty_sock = -1, master = -1;
	if (!rf.detach)
		o.own_terminal = &tty_sock;
	sigset_t interrupts;
	hold_interrupts(&interrupts);
	struct container *c;
	if (container_create(g, &o, &c, err) < 0)
		return -1;
	if (tty_sock >= 0 && terminal_recv_master(tty_sock, &master, err) < 0)
		return undo_run(g, c, 0, err);
	int sig = held_interrupt(&interrupts);
	if (sig)
		return undo_run(g, c, sig, err);
	if (start_container(c, err) < 0)
		return undo_run(g, c, 0, err);
	if (rf.detach) {
		container_free(c);
		return 0;
	}
	/* Let other commands (state, kill, exec) in while we wait. */
	flock(c->dirfd, LOCK_UN);
	int code = master >= 0 ? run_tty_proxy(c->pid, master) : process_wait_forwarding(c->pid);
	if (!rf.keep) {
		flock(c->dirfd, LOCK_EX);
		c->status = CONTAINER_STOPPED;
		if (destroy_container(g, c, err) < 0) {
			container_free(c);
			return -1;
		}
	}
	container_free(c);
	return code;
}

/* ---------- list ---------- */

int cmd_list(struct pith_globals *g, int argc, char **argv, struct pith_error *err)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' }, { "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' }, { 0 } };
	bool json = false, quiet = false;
	int ch;
	while ((ch = getopt_long(argc, argv, "+f:qh", opts, NULL)) != -1) {
		if (ch == 'f') {
			if (strcmp(optarg, "json") == 0)
				json = true;
			else if (strcmp(optarg, "table") != 0)
				return pith_usage_error(err, "list", "--format: unknown format \"%s\"", optarg);
		} else if (ch == 'q') {
			quiet = true;
		} else if (ch == 'h') {
			return help("usage: pith list [--format table|json] [--quiet]\n");
		} else {
			return pith_usage_error(err, "list", "unknown option \"%s\"", argv[optind - 1]);
		}
	}
	if (no_more_args(argc, argv, "list", err) < 0)
		return -1;
	DIR *d = opendir(g->root);
	if (!d && errno != ENOENT)
		return pith_fail(err, errno, "--root %s", g->root);
	json_t *all = json_array();
	if (!json && !quiet)
		printf("%-12s %-8s %-10s %-40s %-30s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER");
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		struct container *c;
		struct pith_error ignored = { 0 };
		if (container_load(g, e->d_name, false, &c, &ignored) < 0)
			continue;
		json_t *pith = json_object_get(c->state, "pith");
		const char *created = json_string_value(json_object_get(pith, "created"));
		json_int_t owner = json_integer_value(json_object_get(pith, "owner"));
		int pid = c->status == CONTAINER_STOPPED ? 0 : c->pid;
		if (quiet && !json) {
			puts(c->id);
		} else if (!json) {
			printf("%-12s %-8d %-10s %-40s %-30s %lld\n", c->id, pid, container_status_name(c->status),
			       c->bundle ? c->bundle : "", created ? created : "", (long long)owner);
		} else {
			json_t *o = container_oci_state(c);
			json_object_set(o, "rootfs", json_object_get(pith, "rootfs"));
			json_object_set_new(o, "created", json_string(created ? created : ""));
			json_object_set_new(o, "owner", json_integer(owner));
			json_array_append_new(all, o);
		}
		container_free(c);
	}
	if (d)
		closedir(d);
	if (json) {
		char *text = json_dumps(all, JSON_COMPACT);
		if (text)
			puts(text);
		free(text);
	}
	json_decref(all);
	return 0;
}
