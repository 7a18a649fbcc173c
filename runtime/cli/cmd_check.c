/* pith check [--board NAME|PATH] [--proc DIR] [--sys DIR]: a preflight that
 * says what this kernel and board support, each problem with its fix. Exit 0
 * when a container with the default spec can run here, 1 when it cannot. */
#include "../check/check.h"
#include "commands.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#if defined(__arm__)
#define BUILD_ARCH "armhf"
#elif defined(__aarch64__)
#define BUILD_ARCH "arm64"
#elif defined(__x86_64__)
#define BUILD_ARCH "amd64"
#else
#define BUILD_ARCH "unknown"
#endif

static void print_board(const struct board_profile *p)
{
	printf("board: %s (%s)\n", p->title[0] ? p->title : p->name, p->name);
	if (p->cpu[0])
		printf("  cpu:    %s\n", p->cpu);
	if (p->abi[0])
		printf("  abi:    %s\n", p->abi);
	if (p->kernel[0])
		printf("  kernel: %s\n", p->kernel);
	if (p->cgroup[0])
		printf("  cgroup: %s expected\n", p->cgroup);
	for (int i = 0; i < p->n_quirks; i++)
		printf("  quirk:  %s\n", p->quirks[i]);
}

static int print_report(const struct check_report *rep)
{
	int warnings = 0;
	printf("\n%-20s %-8s %s\n", "CHECK", "STATUS", "DETAIL");
	for (int i = 0; i < rep->n; i++) {
		const struct check_result *r = &rep->items[i];
		printf("%-20s %-8s %s\n", r->name, check_status_name(r->status), r->detail);
		if (r->fix[0])
			printf("%-20s %-8s fix: %s\n", "", "", r->fix);
		if (r->status == CHECK_WARN || (r->status == CHECK_MISSING && !r->required))
			warnings++;
	}
	return warnings;
}

static int usage(FILE *out)
{
	fprintf(out, "usage: pith check [--board NAME|PATH] [--proc DIR] [--sys DIR]\n\n"
		     "Probe this kernel: cgroups and controllers, overlayfs, namespaces, seccomp,\n"
		     "new syscalls, CPU generation, free space. Prints each problem with its fix.\n"
		     "Exit 0 when a container with the default spec can run.\n\n"
		     "  --board NAME   add a board's expectations and exact fixes (boards/profiles)\n"
		     "  --proc DIR     read DIR instead of /proc (tests)\n"
		     "  --sys DIR      read DIR instead of /sys (tests)\n");
	return out == stdout ? 0 : 1;
}

int cmd_check(struct pith_globals *g, int argc, char **argv, struct pith_error *err)
{
	static const struct option opts[] = {
		{ "board", required_argument, NULL, 'b' }, { "proc", required_argument, NULL, 'p' },
		{ "sys", required_argument, NULL, 's' },   { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *board = NULL;
	struct check_env env = { .proc = "/proc", .sys = "/sys", .state_dir = g->root, .log_dir = "/var/log" };
	int c;
	while ((c = getopt_long(argc, argv, "+b:h", opts, NULL)) != -1) {
		switch (c) {
		case 'b': board = optarg; break;
		case 'p': env.proc = optarg; break;
		case 's': env.sys = optarg; break;
		case 'h': return usage(stdout);
		default: return pith_usage_error(err, "check", "unknown option \"%s\"", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return pith_usage_error(err, "check", "unexpected argument \"%s\"", argv[optind]);
	/* Syscall and personality probes describe this process's kernel: they are
	 * meaningless against a fake tree. */
	env.live = strcmp(env.proc, "/proc") == 0;
	if (g->log_path) {
		static char dir[4096];
		snprintf(dir, sizeof(dir), "%s", g->log_path);
		char *slash = strrchr(dir, '/');
		if (slash && slash != dir)
			*slash = '\0';
		env.log_dir = slash ? dir : ".";
	}

	struct board_profile profile;
	if (board && board_profile_load(board, &profile, err) < 0)
		return -1;
	static struct check_report rep;
	check_all(&env, &rep);
	if (board)
		check_apply_profile(&profile, &rep);

	struct utsname u;
	uname(&u);
	printf("pith check: kernel %s %s, pith built for %s, cgroup %s\n", u.release, u.machine, BUILD_ARCH,
	       rep.cgroup_mode);
	if (board)
		print_board(&profile);
	int warnings = print_report(&rep);
	if (!check_can_run(&rep)) {
		printf("\nresult: a container with the default spec CANNOT run here (fix the 'missing' lines above)\n");
		return 1;
	}
	printf("\nresult: a container with the default spec can run here (%d warning%s)\n", warnings,
	       warnings == 1 ? "" : "s");
	return 0;
}
