/* pith: argv to one command, and the single place where errors are printed. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../config/spec.h"
#include "commands.h"
#include "../log.h"
#include "../process/sealed_exe.h"

struct command {
	const char *name;
	pith_command_fn fn;
	const char *summary;
};

static const struct command commands[] = {
	{ "create", cmd_create, "create a container from a bundle" },
	{ "start", cmd_start, "run the user process of a created container" },
	{ "run", cmd_run, "create and start a container, wait for it" },
	{ "state", cmd_state, "print the state of a container as JSON" },
	{ "kill", cmd_kill, "send a signal to the container's init (--all: every process)" },
	{ "delete", cmd_delete, "remove a stopped container (--force: any container)" },
	{ "list", cmd_list, "list containers" },
	{ "exec", cmd_exec, "run a new process inside a running container" },
	{ "ps", cmd_ps, "list the processes of a container" },
	{ "pause", cmd_pause, "freeze every process of a container" },
	{ "resume", cmd_resume, "thaw a paused container" },
	{ "update", cmd_update, "change a running container's resource limits" },
	{ "events", cmd_events, "print container events and statistics" },
	{ "spec", cmd_spec, "write a default config.json" },
	{ "features", cmd_features, "print what this runtime supports as JSON" },
	{ "check", cmd_check, "check what this kernel and board support" },
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: pith [global options] COMMAND [options] [ARGS]\n\n"
		"A small OCI container runtime.\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(out,
		"\nglobal options:\n"
		"  --root DIR          state directory (default /run/pith; $XDG_RUNTIME_DIR/pith when not root)\n"
		"  --log FILE          write log messages to FILE instead of stderr\n"
		"  --log-format FMT    text (default) or json\n"
		"  --debug             log debug messages\n"
		"  --systemd-cgroup    read cgroupsPath as slice:prefix:name\n"
		"  --rootless VALUE    accepted for compatibility (auto, true, false)\n"
		"  -v, --version       print the version\n"
		"  -h, --help          this help; COMMAND --help for a command\n");
}

static const char *default_root(void)
{
	if (geteuid() == 0)
		return "/run/pith";
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	static char buf[4096];
	if (xdg && *xdg) {
		snprintf(buf, sizeof(buf), "%s/pith", xdg);
		return buf;
	}
	snprintf(buf, sizeof(buf), "/tmp/pith-%u", (unsigned)geteuid());
	return buf;
}

static int parse_globals(int argc, char **argv, struct pith_globals *g, struct pith_error *err)
{
	enum { OPT_ROOT = 256, OPT_LOG, OPT_LOG_FORMAT, OPT_DEBUG, OPT_SYSTEMD, OPT_ROOTLESS, OPT_CRIU };
	static const struct option opts[] = {
		{ "root", required_argument, NULL, OPT_ROOT },
		{ "log", required_argument, NULL, OPT_LOG },
		{ "log-format", required_argument, NULL, OPT_LOG_FORMAT },
		{ "debug", no_argument, NULL, OPT_DEBUG },
		{ "systemd-cgroup", no_argument, NULL, OPT_SYSTEMD },
		{ "rootless", required_argument, NULL, OPT_ROOTLESS },
		{ "criu", required_argument, NULL, OPT_CRIU },
		{ "version", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;
	opterr = 0;
	/* '+': stop at the command name; its own options are parsed by the command. */
	while ((c = getopt_long(argc, argv, "+vh", opts, NULL)) != -1) {
		switch (c) {
		case OPT_ROOT: g->root = optarg; break;
		case OPT_LOG: g->log_path = optarg; break;
		case OPT_LOG_FORMAT:
			if (strcmp(optarg, "json") == 0)
				g->log_json = true;
			else if (strcmp(optarg, "text") == 0)
				g->log_json = false;
			else
				return pith_usage_error(err, NULL, "--log-format: unknown format \"%s\" (text or json)", optarg);
			break;
		case OPT_DEBUG: g->debug = true; break;
		case OPT_SYSTEMD: g->systemd_cgroup = true; break;
		case OPT_ROOTLESS: case OPT_CRIU: break;
		case 'v':
			printf("pith version %s\ncommit: %s\nspec: 1.3.0\n", PITH_VERSION, PITH_COMMIT);
			return 1;
		case 'h':
			usage(stdout);
			return 1;
		default:
			return pith_usage_error(err, NULL, "unknown global option \"%s\"", argv[optind - 1]);
		}
	}
	return 0;
}

/* `pith image ...` is pith-image, from beside this binary (never a PATH search), so the
 * runtime links none of the image tool's libraries. */
static int exec_image_tool(char **argv, struct pith_error *err)
{
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 16);
	if (n < 0)
		return pith_fail(err, errno, "/proc/self/exe");
	self[n] = 0;
	char *slash = strrchr(self, '/');
	strcpy(slash ? slash + 1 : self, "pith-image");
	argv[0] = self;
	execv(self, argv);
	return pith_fail(err, errno, "%s", self);
}

int main(int argc, char **argv)
{
	struct pith_globals g = { .root = NULL };
	struct pith_error err = { 0 };
	spec_seed_json_hash();

	int r = parse_globals(argc, argv, &g, &err);
	if (r > 0)
		return 0;
	log_setup(g.log_path, g.log_json, g.debug);
	if (r < 0)
		goto fail;
	if (!g.root)
		g.root = default_root();
	if (optind >= argc) {
		usage(stderr);
		return 1;
	}
	const char *name = argv[optind];
	if (strcmp(name, "image") == 0) {
		exec_image_tool(argv + optind, &err);
		goto fail;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(commands[i].name, name) != 0)
			continue;
		/* the verbs that put pith's own code inside a container */
		if ((commands[i].fn == cmd_create || commands[i].fn == cmd_run || commands[i].fn == cmd_exec) &&
		    sealed_exe_ensure(argv, &err) < 0)
			goto fail;
		int cargc = argc - optind;
		char **cargv = argv + optind;
		optind = 0; /* reset getopt for the command's own parsing */
		r = commands[i].fn(&g, cargc, cargv, &err);
		if (r >= 0)
			return r;
		goto fail;
	}
	pith_usage_error(&err, NULL, "unknown command \"%s\"", name);
fail:
	log_error(&err);
	return err.exit_code > 0 ? err.exit_code : 1;
}
