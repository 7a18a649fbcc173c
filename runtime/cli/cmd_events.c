/* events: the container's cgroup statistics and OOM kills as JSON lines
 * (runc's `events`), once with --stats or every --interval. */
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../cgroup/cgroup.h"
#include "commands.h"
#include "../container.h"

/* Go durations as runc takes them: "5s", "500ms", "1m30s", "1h". */
static int parse_duration(const char *s, int64_t *ms, struct pith_error *err)
{
	double total = 0;
	const char *p = s;
	while (*p) {
		char *end;
		double v = strtod(p, &end);
		if (end == p)
			return pith_usage_error(err, "events", "--interval: invalid duration \"%s\"", s);
		p = end;
		double unit = 1000; /* a bare number means seconds */
		if (strncmp(p, "ns", 2) == 0) { unit = 1e-6; p += 2; }
		else if (strncmp(p, "us", 2) == 0) { unit = 1e-3; p += 2; }
		else if (strncmp(p, "ms", 2) == 0) { unit = 1; p += 2; }
		else if (*p == 's') { unit = 1000; p++; }
		else if (*p == 'm') { unit = 60000; p++; }
		else if (*p == 'h') { unit = 3600000; p++; }
		else if (*p)
			return pith_usage_error(err, "events", "--interval: invalid unit in \"%s\"", s);
		total += v * unit;
	}
	if (total < 1)
		return pith_usage_error(err, "events", "--interval: must be at least 1ms");
	*ms = (int64_t)total;
	return 0;
}

static void emit(const char *type, const char *id, json_t *data)
{
	json_t *ev = json_pack("{s:s, s:s}", "type", type, "id", id);
	if (data)
		json_object_set_new(ev, "data", data);
	json_dumpf(ev, stdout, JSON_COMPACT);
	putchar('\n');
	fflush(stdout);
	json_decref(ev);
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Until the container's cgroup is empty or gone: stats every interval, an
 * "oom" event whenever the kill counter moves (checked every 100 ms). */
static int events_loop(struct cgroup *cg, const char *id, int64_t interval, struct pith_error *err)
{
	uint64_t ooms = 0, now_ooms;
	struct pith_error ignored = { 0 };
	cgroup_oom_kills(cg, &ooms, &ignored);
	int64_t next = mono_ms();
	for (;;) {
		pid_t *pids = NULL;
		size_t n = 0;
		int alive = cgroup_pids(cg, &pids, &n, &ignored) == 0 && n > 0;
		free(pids);
		if (cgroup_oom_kills(cg, &now_ooms, &ignored) == 0 && now_ooms > ooms) {
			ooms = now_ooms;
			emit("oom", id, NULL);
		}
		if (!alive)
			return 0;
		if (mono_ms() >= next) {
			json_t *data;
			if (cgroup_stats(cg, &data, err) < 0)
				return -1;
			emit("stats", id, data);
			next += interval;
		}
		struct timespec ts = { 0, 100 * 1000000L };
		nanosleep(&ts, NULL);
	}
}

int cmd_events(struct pith_globals *g, int argc, char **argv, struct pith_error *err)
{
	static const struct option opts[] = { { "stats", no_argument, NULL, 's' },
					      { "interval", required_argument, NULL, 'i' },
					      { "help", no_argument, NULL, 'h' }, { 0 } };
	bool once = false;
	int64_t interval = 5000;
	int ch;
	while ((ch = getopt_long(argc, argv, "+si:h", opts, NULL)) != -1) {
		if (ch == 'h') {
			fputs("usage: pith events [--stats] [--interval 5s] ID\n\nPrint the container's resource "
			      "statistics (and OOM events) as JSON lines; --stats prints once and exits.\n", stdout);
			return 0;
		}
		if (ch == 's')
			once = true;
		else if (ch == 'i') {
			if (parse_duration(optarg, &interval, err) < 0)
				return -1;
		} else
			return pith_usage_error(err, "events", "invalid option \"%s\"", argv[optind - 1]);
	}
	const char *id;
	if (verb_one_id(argc, argv, "events", &id, err) < 0)
		return -1;
	struct container *c;
	if (container_load(g, id, false, &c, err) < 0)
		return -1;
	if (verb_need_cgroup(c, err) < 0 || (c->status == CONTAINER_STOPPED &&
					pith_fail(err, 0, "container %s is not running", id) < 0)) {
		container_free(c);
		return -1;
	}
	/* Keep the cgroup, drop the container: its lock must not be held for
	 * as long as events runs, or delete would wait behind it. */
	struct cgroup *cg = c->cgroup;
	c->cgroup = NULL;
	container_free(c);
	int r;
	if (once) {
		json_t *data;
		r = cgroup_stats(cg, &data, err);
		if (r == 0)
			emit("stats", id, data);
	} else {
		signal(SIGPIPE, SIG_DFL);
		r = events_loop(cg, id, interval, err);
	}
	cgroup_free(cg);
	return r < 0 ? r : 0;
}
