/* Command line of the supervisor. */
#include "shim.h"
#include "../runtime/process/signals.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

/* The runtime's table (runtime/process/signals.c), so the shim takes every
 * name `pith kill` takes: "TERM", "SIGTERM", "15", "RTMIN+3", "SIGRTMAX-2";
 * returns 0 when unknown. */
int shim_parse_signal(const char *s)
{
	struct pith_error ignored = { 0 };
	int sig = 0;
	if (!s || signal_parse(s, &sig, &ignored) < 0)
		return 0;
	return sig;
}

/* Without the SIG prefix ("TERM", "RTMIN+3"); "?" for a number no name
 * stands for. */
const char *shim_signal_name(int sig)
{
	const char *name = signal_name(sig);
	return name ? name + 3 : "?";
}

void shim_usage(FILE *f)
{
	fputs("usage: pith-shim --id ID --bundle DIR [options]\n"
	      "       pith-shim --id ID --image IMAGE [--store DIR] [-e NAME=VALUE]... [options] [-- CMD...]\n"
	      "       pith-shim ctl (--socket PATH | --id ID [--run-dir DIR])"
	      " stop [SECONDS] | kill SIG | status | attach | resize ROWS COLS | update\n"
	      "options:\n"
	      "  --image IMAGE         run IMAGE (a pith-image store name): the shim makes the\n"
	      "                        bundle in RUN_DIR/image and removes it when it ends\n"
	      "  --store DIR           pith-image's store (default /var/lib/pith/images)\n"
	      "  -e NAME=VALUE         with --image: set in the process's environment\n"
	      "  -- CMD...             with --image: replaces the image's Cmd\n"
	      "  --pull never|missing|newer\n"
	      "                        `pith-image pull IMAGE`: never (default), when IMAGE is not\n"
	      "                        in the store, or at start and at each update request\n"
	      "  --pull-option ARG     passed to pith-image pull (e.g. --cert-dir=DIR), repeatable\n"
	      "  --probation S         after an update, the new image must run S seconds (default 60);\n"
	      "                        3 failed runs before that go back to the previous image\n"
	      "                        (update request: SIGHUP to the shim, or ctl update)\n"
	      "  --runtime PATH        OCI runtime (default: pith next to pith-shim, else PATH)\n"
	      "  --root DIR            passed to the runtime as --root\n"
	      "  --log FILE|-|none     k8s-file log, passthrough, or discard\n"
	      "  --log-max-size N[k|m] rotate the log at N bytes\n"
	      "  --log-max-files K     rotated files kept (FILE.1 .. FILE.K, default 1)\n"
	      "  --exit-file FILE      JSON exit report, written atomically\n"
	      "  --stop-signal SIG     signal sent by stop (default: the image's StopSignal, else TERM)\n"
	      "  --stop-timeout S      seconds before stop sends KILL (default 30)\n"
	      "  --restart no|on-failure[:MAX]|always[:MAX]\n"
	      "  --init[=PATH]         run pith-init as the container's PID 1\n"
	      "  --remap-exit CODE     with --init: report exit CODE as 0 (e.g. 143)\n"
	      "  --signal-group        forward signals to the process group\n"
	      "  --foreground          do not detach (stdio passes through without --log)\n"
	      "  --pid-file FILE       the shim's pid\n"
	      "  --socket PATH         control socket (default RUN_DIR/ctl.sock)\n"
	      "  --run-dir DIR         private state (default /run/pith-shim/ID)\n", f);
}

static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || s[0] == '-')
		return -1;
	uint64_t mult = 1;
	if (*end == 'k' || *end == 'K')
		mult = 1024, end++;
	else if (*end == 'm' || *end == 'M')
		mult = 1024 * 1024, end++;
	else if (*end == 'g' || *end == 'G')
		mult = 1024 * 1024 * 1024, end++;
	if (*end || v > UINT64_MAX / mult)
		return -1;
	*out = (uint64_t)v * mult;
	return 0;
}

static int parse_uint(const char *s, unsigned *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v > 1000000000UL)
		return -1;
	*out = (unsigned)v;
	return 0;
}

static int parse_restart(struct shim_opts *o, const char *s)
{
	const char *colon = strchr(s, ':');
	size_t n = colon ? (size_t)(colon - s) : strlen(s);
	if (n == 2 && strncmp(s, "no", 2) == 0 && !colon)
		o->restart = RESTART_NO;
	else if (n == 10 && strncmp(s, "on-failure", 10) == 0)
		o->restart = RESTART_ON_FAILURE;
	else if (n == 6 && strncmp(s, "always", 6) == 0)
		o->restart = RESTART_ALWAYS;
	else
		return -1;
	return colon ? parse_uint(colon + 1, &o->restart_max) : 0;
}

enum {
	OPT_ID = 256, OPT_BUNDLE, OPT_RUNTIME, OPT_ROOT, OPT_LOG, OPT_LOG_SIZE, OPT_LOG_FILES,
	OPT_EXIT_FILE, OPT_STOP_SIGNAL, OPT_STOP_TIMEOUT, OPT_RESTART, OPT_INIT, OPT_REMAP,
	OPT_GROUP, OPT_FOREGROUND, OPT_PID_FILE, OPT_SOCKET, OPT_RUN_DIR, OPT_HELP,
	OPT_IMAGE, OPT_STORE, OPT_PULL, OPT_PULL_OPT, OPT_PROBATION, OPT_ENV = 'e',
};

static const struct option long_opts[] = {
	{ "id", required_argument, NULL, OPT_ID },
	{ "bundle", required_argument, NULL, OPT_BUNDLE },
	{ "runtime", required_argument, NULL, OPT_RUNTIME },
	{ "root", required_argument, NULL, OPT_ROOT },
	{ "log", required_argument, NULL, OPT_LOG },
	{ "log-max-size", required_argument, NULL, OPT_LOG_SIZE },
	{ "log-max-files", required_argument, NULL, OPT_LOG_FILES },
	{ "exit-file", required_argument, NULL, OPT_EXIT_FILE },
	{ "stop-signal", required_argument, NULL, OPT_STOP_SIGNAL },
	{ "stop-timeout", required_argument, NULL, OPT_STOP_TIMEOUT },
	{ "restart", required_argument, NULL, OPT_RESTART },
	{ "init", optional_argument, NULL, OPT_INIT },
	{ "remap-exit", required_argument, NULL, OPT_REMAP },
	{ "signal-group", no_argument, NULL, OPT_GROUP },
	{ "foreground", no_argument, NULL, OPT_FOREGROUND },
	{ "pid-file", required_argument, NULL, OPT_PID_FILE },
	{ "socket", required_argument, NULL, OPT_SOCKET },
	{ "run-dir", required_argument, NULL, OPT_RUN_DIR },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "image", required_argument, NULL, OPT_IMAGE },
	{ "store", required_argument, NULL, OPT_STORE },
	{ "env", required_argument, NULL, OPT_ENV },
	{ "pull", required_argument, NULL, OPT_PULL },
	{ "probation", required_argument, NULL, OPT_PROBATION },
	{ "pull-option", required_argument, NULL, OPT_PULL_OPT },
	{ 0 },
};

static int apply_opt(struct shim_opts *o, int c, const char *arg, bool *log_given,
		     struct pith_error *err)
{
	unsigned u;
	switch (c) {
	case OPT_ID: o->id = arg; break;
	case OPT_BUNDLE: o->bundle = arg; break;
	case OPT_RUNTIME: o->runtime = arg; break;
	case OPT_ROOT: o->root = arg; break;
	case OPT_LOG:
		*log_given = true;
		if (strcmp(arg, "-") == 0)
			o->log_mode = LOG_PASSTHROUGH;
		else if (strcmp(arg, "none") == 0)
			o->log_mode = LOG_NONE;
		else
			o->log_mode = LOG_FILE, o->log_path = arg;
		break;
	case OPT_LOG_SIZE:
		if (parse_size(arg, &o->log_max_size) < 0)
			return pith_fail(err, 0, "--log-max-size: not a size: %s", arg);
		if (o->log_max_size && o->log_max_size < 4096)
			return pith_fail(err, 0, "--log-max-size: at least 4096 bytes");
		break;
	case OPT_LOG_FILES:
		if (parse_uint(arg, &u) < 0 || u > 100)
			return pith_fail(err, 0, "--log-max-files: want 0..100: %s", arg);
		o->log_max_files = u;
		break;
	case OPT_EXIT_FILE: o->exit_file = arg; break;
	case OPT_STOP_SIGNAL:
		if (!(o->stop_signal = shim_parse_signal(arg)))
			return pith_fail(err, 0, "--stop-signal: unknown signal %s", arg);
		o->stop_signal_given = true;
		break;
	case OPT_STOP_TIMEOUT:
		if (parse_uint(arg, &o->stop_timeout) < 0)
			return pith_fail(err, 0, "--stop-timeout: not a number of seconds: %s", arg);
		break;
	case OPT_RESTART:
		if (parse_restart(o, arg) < 0)
			return pith_fail(err, 0, "--restart: want no, on-failure[:MAX] or always[:MAX]: %s", arg);
		break;
	case OPT_INIT: o->init = true; o->init_path = arg; break;
	case OPT_REMAP:
		if (parse_uint(arg, &u) < 0 || u > 255)
			return pith_fail(err, 0, "--remap-exit: want 0..255: %s", arg);
		o->remap_exit = (int)u;
		break;
	case OPT_GROUP: o->signal_group = true; break;
	case OPT_FOREGROUND: o->foreground = true; break;
	case OPT_PID_FILE: o->pid_file = arg; break;
	case OPT_SOCKET: o->socket_path = arg; break;
	case OPT_RUN_DIR: o->run_dir = arg; break;
	case OPT_IMAGE: o->image = arg; break;
	case OPT_STORE: o->store = arg; break;
	case OPT_ENV:
		if (!strchr(arg, '=') || arg[0] == '=')
			return pith_fail(err, 0, "-e: want NAME=VALUE: %s", arg);
		if (o->nenv == SHIM_MAX_ENV)
			return pith_fail(err, E2BIG, "-e: more than %d", SHIM_MAX_ENV);
		o->env[o->nenv++] = arg;
		break;
	case OPT_PULL:
		if (strcmp(arg, "never") == 0)
			o->pull = PULL_NEVER;
		else if (strcmp(arg, "missing") == 0)
			o->pull = PULL_MISSING;
		else if (strcmp(arg, "newer") == 0)
			o->pull = PULL_NEWER;
		else
			return pith_fail(err, 0, "--pull: want never, missing or newer: %s", arg);
		break;
	case OPT_PULL_OPT:
		if (o->npull_opts == SHIM_MAX_PULL_OPTS)
			return pith_fail(err, E2BIG, "--pull-option: more than %d", SHIM_MAX_PULL_OPTS);
		o->pull_opts[o->npull_opts++] = arg;
		break;
	case OPT_PROBATION:
		if (parse_uint(arg, &o->probation) < 0)
			return pith_fail(err, 0, "--probation: not a number of seconds: %s", arg);
		break;
	default:
		return pith_fail(err, 0, "unknown option (see --help)");
	}
	return 0;
}

static int check_opts(struct shim_opts *o, struct pith_error *err)
{
	if (!o->id || !*o->id)
		return pith_fail(err, 0, "--id is required");
	if (strchr(o->id, '/') || strcmp(o->id, ".") == 0 || strcmp(o->id, "..") == 0 ||
	    strlen(o->id) > 128)
		return pith_fail(err, 0, "--id: not a valid container id: %s", o->id);
	if (!o->bundle == !o->image)
		return pith_fail(err, 0, "one of --bundle and --image is required");
	if (!o->image && (o->store || o->nenv || o->ncmd || o->pull != PULL_NEVER || o->npull_opts))
		return pith_fail(err, 0, "--store, -e, --pull, --pull-option and -- CMD go with --image");
	if (o->image && (!*o->image || o->image[0] == '-'))
		return pith_fail(err, 0, "--image: not an image name: %s", o->image);
	if (o->remap_exit >= 0 && !o->init)
		return pith_fail(err, 0, "--remap-exit needs --init");
	return 0;
}

int shim_parse_opts(struct shim_opts *o, int argc, char **argv, struct pith_error *err)
{
	*o = (struct shim_opts){
		.stop_signal = SIGTERM, .stop_timeout = SHIM_DEFAULT_STOP_TIMEOUT,
		.log_max_files = 1, .remap_exit = -1, .log_mode = LOG_NONE,
		.probation = SHIM_DEFAULT_PROBATION,
	};
	bool log_given = false;
	int c;
	optind = 1;
	opterr = 0;
	/* "+": options end at the first other word, so CMD after -- keeps its own */
	while ((c = getopt_long(argc, argv, "+e:", long_opts, NULL)) != -1) {
		if (c == OPT_HELP) {
			shim_usage(stdout);
			return 1;
		}
		if (c == '?')
			return pith_fail(err, 0, "unknown or incomplete option %s (see --help)",
					 argv[optind - 1]);
		int r = apply_opt(o, c, optarg, &log_given, err);
		if (r < 0)
			return r;
	}
	if (optind < argc && strcmp(argv[optind - 1], "--") == 0) {
		o->cmd = argv + optind;
		o->ncmd = argc - optind;
	} else if (optind < argc) {
		return pith_fail(err, 0, "unexpected argument: %s", argv[optind]);
	}
	/* Run in the foreground without a log: the caller sees the output. */
	if (!log_given && o->foreground)
		o->log_mode = LOG_PASSTHROUGH;
	return check_opts(o, err);
}
