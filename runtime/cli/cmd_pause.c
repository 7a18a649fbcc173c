/* pause and resume: the cgroup freezer of a running container, with the
 * status in state.json kept in step. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "../cgroup/cgroup.h"
#include "commands.h"
#include "../container.h"

static int only_help(int argc, char **argv, const char *cmd, const char *usage, bool *done, struct pith_error *err)
{
	static const struct option opts[] = { { "help", no_argument, NULL, 'h' }, { 0 } };
	int ch;
	*done = false;
	while ((ch = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (ch == 'h') {
			fputs(usage, stdout);
			*done = true;
			return 0;
		}
		return pith_usage_error(err, cmd, "unknown option \"%s\"", argv[optind - 1]);
	}
	return 0;
}

static int freeze_cmd(struct pith_globals *g, int argc, char **argv, bool pause, struct pith_error *err)
{
	const char *cmd = pause ? "pause" : "resume";
	bool done;
	if (only_help(argc, argv, cmd,
		      pause ? "usage: pith pause ID\n\nSuspend every process of the container (cgroup freezer).\n"
			    : "usage: pith resume ID\n\nResume a paused container.\n",
		      &done, err) < 0)
		return -1;
	if (done)
		return 0;
	const char *id;
	if (verb_one_id(argc, argv, cmd, &id, err) < 0)
		return -1;
	struct container *c;
	if (container_load(g, id, true, &c, err) < 0)
		return -1;
	int r = verb_need_cgroup(c, err);
	if (r == 0 && pause && c->status != CONTAINER_RUNNING)
		r = pith_fail(err, 0, "container %s is not running (%s)", id, container_status_name(c->status));
	if (r == 0 && !pause && c->status != CONTAINER_PAUSED)
		r = pith_fail(err, 0, "container %s is not paused (%s)", id, container_status_name(c->status));
	if (r == 0)
		r = cgroup_freeze(c->cgroup, pause, err);
	if (r == 0) {
		/* The status is derived from the freezer on load; the stored one
		 * is kept in step for readers of state.json. */
		json_object_set_new(c->state, "status", json_string(pause ? "paused" : "running"));
		r = container_save(c, err);
	}
	container_free(c);
	return r < 0 ? r : 0;
}

int cmd_pause(struct pith_globals *g, int argc, char **argv, struct pith_error *err)
{
	return freeze_cmd(g, argc, argv, true, err);
}

int cmd_resume(struct pith_globals *g, int argc, char **argv, struct pith_error *err)
{
	return freeze_cmd(g, argc, argv, false, err);
}
