/* ps: the container's processes, as JSON pids or runc's filtered ps(1) table. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../cgroup/cgroup.h"
#include "../cleanup.h"
#include "commands.h"
#include "../container.h"

static bool has_pid(const pid_t *p, size_t n, long v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] == v)
			return true;
	return false;
}

/* runc's table: the host's ps output, filtered to the container's pids. */
static int ps_table(const pid_t *pids, size_t n, int argc, char **argv, struct pith_error *err)
{
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return pith_fail(err, errno, "ps: pipe");
	pid_t child = fork();
	if (child < 0)
		return pith_fail(err, errno, "ps: fork");
	if (child == 0) {
		dup2(pfd[1], 1);
		char *def[] = { "ps", "-ef", NULL };
		char **args = def;
		if (argc > 0) {
			args = calloc((size_t)argc + 2, sizeof(char *));
			if (!args)
				_exit(127);
			args[0] = "ps";
			for (int i = 0; i < argc; i++)
				args[i + 1] = argv[i];
		}
		execvp("ps", args);
		_exit(127);
	}
	close(pfd[1]);
	FILE *f = fdopen(pfd[0], "r");
	char *line = NULL;
	size_t cap = 0;
	int pid_col = -1, ret = 0;
	for (bool header = true; f && getline(&line, &cap, f) > 0; header = false) {
		if (header) {
			auto_free char *copy = strdup(line);
			char *save = NULL;
			int col = 0;
			for (char *t = copy ? strtok_r(copy, " \t\n", &save) : NULL; t; t = strtok_r(NULL, " \t\n", &save), col++)
				if (strcmp(t, "PID") == 0)
					pid_col = col;
			fputs(line, stdout);
			continue;
		}
		char *copy = strdup(line), *save = NULL, *t = copy ? strtok_r(copy, " \t\n", &save) : NULL;
		for (int col = 0; t && col < pid_col; col++)
			t = strtok_r(NULL, " \t\n", &save);
		if (t && has_pid(pids, n, strtol(t, NULL, 10)))
			fputs(line, stdout);
		free(copy);
	}
	free(line);
	if (f)
		fclose(f);
	else
		close(pfd[0]);
	int status;
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		ret = pith_fail(err, 0, "ps: cannot run ps(1); use --format json");
	else if (pid_col < 0)
		ret = pith_fail(err, 0, "ps: no PID column in the output of ps");
	return ret;
}

/* A container without a cgroup (rootless with no delegation): its
 * processes are the ones in the init's pid namespace. */
static int pidns_pids(const struct container *c, pid_t **pids, size_t *n, struct pith_error *err)
{
	*pids = NULL;
	*n = 0;
	if (c->status == CONTAINER_STOPPED)
		return 0;
	char path[64];
	struct stat want;
	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)c->pid);
	if (stat(path, &want) < 0)
		return pith_fail(err, errno, "container %s: %s", c->id, path);
	DIR *d = opendir("/proc");
	if (!d)
		return pith_fail(err, errno, "/proc");
	size_t cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		struct stat st;
		if (*end || pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/ns/pid", pid);
		if (stat(path, &st) < 0 || st.st_ino != want.st_ino || st.st_dev != want.st_dev)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			pid_t *grown = realloc(*pids, cap * sizeof(pid_t));
			if (!grown) {
				closedir(d);
				return pith_fail(err, ENOMEM, "ps");
			}
			*pids = grown;
		}
		(*pids)[(*n)++] = (pid_t)pid;
	}
	closedir(d);
	return 0;
}

int cmd_ps(struct pith_globals *g, int argc, char **argv, struct pith_error *err)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' }, { "help", no_argument, NULL, 'h' }, { 0 } };
	const char *format = "table";
	int ch;
	while ((ch = getopt_long(argc, argv, "+f:h", opts, NULL)) != -1) {
		if (ch == 'h') {
			fputs("usage: pith ps [--format table|json] ID [ps options]\n\nList the container's processes "
			      "(host pids).\n", stdout);
			return 0;
		}
		if (ch != 'f')
			return pith_usage_error(err, "ps", "invalid option \"%s\"", argv[optind - 1]);
		format = optarg;
	}
	if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0)
		return pith_usage_error(err, "ps", "--format: \"%s\" is not table or json", format);
	if (optind >= argc)
		return pith_usage_error(err, "ps", "requires a container id");
	const char *id = argv[optind++];
	struct container *c;
	if (container_load(g, id, false, &c, err) < 0)
		return -1;
	pid_t *pids = NULL;
	size_t n = 0;
	int r = c->cgroup ? cgroup_pids(c->cgroup, &pids, &n, err) : pidns_pids(c, &pids, &n, err);
	container_free(c);
	if (r == 0 && strcmp(format, "json") == 0) {
		json_t *a = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(a, json_integer(pids[i]));
		json_dumpf(a, stdout, JSON_COMPACT);
		putchar('\n');
		json_decref(a);
	} else if (r == 0) {
		fflush(stdout);
		r = ps_table(pids, n, argc - optind, argv + optind, err);
	}
	free(pids);
	return r < 0 ? r : 0;
}
