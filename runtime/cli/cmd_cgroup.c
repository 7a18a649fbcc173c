/* The commands that work on a running container's cgroup: pause, resume,
 * update, ps, events. Options and output follow runc, which is what podman,
 * containerd and other clients speak. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../cgroup.h"
#include "../cleanup.h"
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

static int one_id(int argc, char **argv, const char *cmd, const char **id, struct pith_error *err)
{
	if (optind >= argc)
		return pith_usage_error(err, cmd, "requires a container id");
	*id = argv[optind++];
	if (optind < argc)
		return pith_usage_error(err, cmd, "unexpected argument \"%s\"", argv[optind]);
	return 0;
}

static int need_cgroup(const struct container *c, struct pith_error *err)
{
	if (!c->cgroup)
		return pith_fail(err, 0, "container %s has no cgroup", c->id);
	return 0;
}

/* ---------- pause / resume ---------- */

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
	if (one_id(argc, argv, cmd, &id, err) < 0)
		return -1;
	struct container *c;
	if (container_load(g, id, true, &c, err) < 0)
		return -1;
	int r = need_cgroup(c, err);
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

/* ---------- update ---------- */

/* runc's sizes: "512", "64k", "100m", "1g" (binary units), or -1. */
static int parse_size(const char *s, const char *opt, int64_t *out, struct pith_error *err)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s)
		return pith_usage_error(err, "update", "%s: invalid size \"%s\"", opt, s);
	int shift = 0;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	}
	if (*end == 'b' || *end == 'B')
		end++;
	if (*end || (shift && (v < 0 || v > (INT64_MAX >> shift))))
		return pith_usage_error(err, "update", "%s: invalid size \"%s\"", opt, s);
	*out = (int64_t)v << shift;
	return 0;
}

static int parse_num(const char *s, const char *opt, int64_t *out, struct pith_error *err)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || *end)
		return pith_usage_error(err, "update", "%s: invalid number \"%s\"", opt, s);
	*out = v;
	return 0;
}

static int read_resources(const char *file, json_t **out, struct pith_error *err)
{
	json_error_t jerr;
	json_t *j = strcmp(file, "-") == 0 ? json_loadf(stdin, 0, &jerr) : json_load_file(file, 0, &jerr);
	if (!j)
		return pith_fail(err, 0, "--resources %s: %s (line %d)", file, jerr.text, jerr.line);
	*out = j;
	return 0;
}

enum {
	U_RES = 'r', U_BLKIO = 256, U_PERIOD, U_QUOTA, U_SHARES, U_RT_PERIOD, U_RT_RUNTIME, U_CPUS, U_MEMS,
	U_MEM, U_MEM_RES, U_SWAP, U_PIDS, U_L3, U_MEMBW, U_HELP = 'h'
};

static const struct option update_opts[] = {
	{ "resources", required_argument, NULL, U_RES },
	{ "blkio-weight", required_argument, NULL, U_BLKIO },
	{ "cpu-period", required_argument, NULL, U_PERIOD },
	{ "cpu-quota", required_argument, NULL, U_QUOTA },
	{ "cpu-share", required_argument, NULL, U_SHARES },
	{ "cpu-shares", required_argument, NULL, U_SHARES },
	{ "cpu-rt-period", required_argument, NULL, U_RT_PERIOD },
	{ "cpu-rt-runtime", required_argument, NULL, U_RT_RUNTIME },
	{ "cpuset-cpus", required_argument, NULL, U_CPUS },
	{ "cpuset-mems", required_argument, NULL, U_MEMS },
	{ "memory", required_argument, NULL, U_MEM },
	{ "memory-reservation", required_argument, NULL, U_MEM_RES },
	{ "memory-swap", required_argument, NULL, U_SWAP },
	{ "pids-limit", required_argument, NULL, U_PIDS },
	{ "l3-cache-schema", required_argument, NULL, U_L3 },
	{ "mem-bw-schema", required_argument, NULL, U_MEMBW },
	{ "help", no_argument, NULL, U_HELP },
	{ 0 }
};

static const char update_usage[] =
	"usage: pith update [OPTIONS] ID\n\n"
	"Change the cgroup limits of a running container.\n\n"
	"  -r, --resources FILE|-     linux.resources JSON (from a file or stdin)\n"
	"  --memory N                 memory limit in bytes (k, m, g suffixes)\n"
	"  --memory-reservation N     soft limit\n"
	"  --memory-swap N            memory+swap limit (-1: unlimited)\n"
	"  --cpu-shares N             relative weight (cpu.weight on cgroup v2)\n"
	"  --cpu-quota N, --cpu-period N   CFS bandwidth, microseconds\n"
	"  --cpu-rt-period N, --cpu-rt-runtime N\n"
	"  --cpuset-cpus LIST, --cpuset-mems LIST\n"
	"  --pids-limit N             maximum number of tasks (-1: unlimited)\n"
	"  --blkio-weight N           10..1000\n";

/* One short flag onto the resources. */
static int update_flag(int ch, const char *arg, struct spec_resources *r, struct pith_error *err)
{
	const char *opt = NULL;
	for (const struct option *o = update_opts; o->name; o++)
		if (o->val == ch)
			opt = o->name;
	int64_t v = 0;
	int ret = 0;
	switch (ch) {
	case U_MEM: case U_MEM_RES: case U_SWAP:
		ret = parse_size(arg, opt, &v, err);
		r->has_memory = true;
		spec_i64 *f = ch == U_MEM ? &r->memory.limit : ch == U_MEM_RES ? &r->memory.reservation : &r->memory.swap;
		*f = (spec_i64){ true, v };
		break;
	case U_SHARES: case U_PERIOD: case U_RT_PERIOD: case U_BLKIO:
		ret = parse_num(arg, opt, &v, err);
		if (ret == 0 && v < 0)
			ret = pith_usage_error(err, "update", "--%s: must not be negative", opt);
		spec_u64 u = { true, (uint64_t)v };
		if (ch == U_BLKIO) {
			r->has_block_io = true;
			r->block_io.weight = u;
		} else {
			r->has_cpu = true;
			*(ch == U_SHARES ? &r->cpu.shares : ch == U_PERIOD ? &r->cpu.period : &r->cpu.realtime_period) = u;
		}
		break;
	case U_QUOTA: case U_RT_RUNTIME:
		ret = parse_num(arg, opt, &v, err);
		r->has_cpu = true;
		*(ch == U_QUOTA ? &r->cpu.quota : &r->cpu.realtime_runtime) = (spec_i64){ true, v };
		break;
	case U_CPUS:
		r->has_cpu = true;
		r->cpu.cpus = arg;
		break;
	case U_MEMS:
		r->has_cpu = true;
		r->cpu.mems = arg;
		break;
	case U_PIDS:
		ret = parse_num(arg, opt, &v, err);
		r->pids_limit = (spec_i64){ true, v };
		break;
	default:
		return pith_fail(err, ENOTSUP, "update: --%s (Intel RDT) is not supported", opt);
	}
	r->present = true;
	return ret;
}

int cmd_update(struct pith_globals *g, int argc, char **argv, struct pith_error *err)
{
	struct spec_resources flags = { 0 }, r = { 0 };
	const char *file = NULL;
	int ch;
	struct { int ch; const char *arg; } seen[32];
	size_t n_seen = 0;
	while ((ch = getopt_long(argc, argv, "+r:h", update_opts, NULL)) != -1) {
		if (ch == U_HELP) {
			fputs(update_usage, stdout);
			return 0;
		}
		if (ch == '?' || ch == ':')
			return pith_usage_error(err, "update", "invalid option \"%s\"", argv[optind - 1]);
		if (ch == U_RES)
			file = optarg;
		else if (n_seen < sizeof(seen) / sizeof(seen[0]))
			seen[n_seen++] = (typeof(seen[0])){ ch, optarg };
	}
	const char *id;
	if (one_id(argc, argv, "update", &id, err) < 0)
		return -1;
	json_t *j = NULL;
	if (file) {
		if (read_resources(file, &j, err) < 0)
			return -1;
		if (spec_parse_resources(j, "--resources", &r, err) < 0) {
			json_decref(j);
			return -1;
		}
		r.present = true;
	}
	/* Flags override the file, as in runc. */
	int ret = 0;
	for (size_t i = 0; ret == 0 && i < n_seen; i++)
		ret = update_flag(seen[i].ch, seen[i].arg, file ? &r : &flags, err);
	/* --cpu-shares 0 and friends mean what 0 means in a config */
	spec_resources_zero_rules(file ? &r : &flags);
	struct container *c = NULL;
	if (ret == 0)
		ret = container_load(g, id, true, &c, err);
	if (ret == 0)
		ret = need_cgroup(c, err);
	if (ret == 0 && (c->status == CONTAINER_STOPPED))
		ret = pith_fail(err, 0, "container %s is stopped: nothing to update", id);
	if (ret == 0)
		ret = cgroup_update(c->cgroup, file ? &r : &flags, err);
	if (ret == 0) {
		/* update may join hierarchies create left alone: delete must know */
		json_object_set_new(json_object_get(c->state, "pith"), "cgroup", cgroup_to_json(c->cgroup));
		ret = container_save(c, err);
	}
	container_free(c);
	if (file)
		spec_resources_release(&r);
	json_decref(j);
	return ret < 0 ? ret : 0;
}

/* ---------- ps ---------- */

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

/* ---------- events ---------- */

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
	if (one_id(argc, argv, "events", &id, err) < 0)
		return -1;
	struct container *c;
	if (container_load(g, id, false, &c, err) < 0)
		return -1;
	if (need_cgroup(c, err) < 0 || (c->status == CONTAINER_STOPPED &&
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
