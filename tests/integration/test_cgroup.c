/* Cgroup limits and commands on this machine's real hierarchies (v1 for
 * memory/cpu/pids/freezer/devices, hybrid with a hugetlb-only cgroup2),
 * observed from outside: kernel files, exit codes, what the process printed.
 * Containers live under /pith-test/<id> (the harness's cgroupsPath). */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

static json_t *resources(struct bundle *b)
{
	json_t *lx = json_object_get(b->config, "linux");
	json_t *r = json_object_get(lx, "resources");
	if (!r) {
		r = json_object();
		json_object_set_new(lx, "resources", r);
	}
	return r;
}

static void set_resources(struct bundle *b, const char *key, const char *json)
{
	json_error_t jerr;
	json_t *v = json_loads(json, JSON_DECODE_ANY, &jerr);
	cr_assert(v, "%s", jerr.text);
	json_object_set_new(resources(b), key, v);
}

static char *cg_file(const char *ctrl, const struct bundle *b, const char *file)
{
	char p[512];
	snprintf(p, sizeof(p), "/sys/fs/cgroup/%s/pith-test/%s/%s", ctrl, b->id, file);
	return h_read_file(p);
}

static bool cg_dir_exists(const char *ctrl, const struct bundle *b)
{
	char p[512];
	struct stat st;
	snprintf(p, sizeof(p), "/sys/fs/cgroup/%s/pith-test/%s", ctrl, b->id);
	return stat(p, &st) == 0;
}

static pid_t start_detached(struct bundle *b)
{
	struct run_result r = h_pith("run", "-d", "--bundle", b->dir, b->id, NULL);
	cr_assert_eq(r.status, 0, "run -d: %s", r.err);
	h_result_free(&r);
	char status[32];
	pid_t pid = h_state(b->id, status, sizeof(status));
	cr_assert_gt(pid, 0);
	return pid;
}

static void delete_and_check_gone(struct bundle *b)
{
	struct run_result r = h_pith("delete", "--force", b->id, NULL);
	cr_expect_eq(r.status, 0, "delete: %s", r.err);
	h_result_free(&r);
	const char *ctrls[] = { "memory", "pids", "freezer", "devices", "cpu", "cpuacct", "cpuset", "unified" };
	for (size_t i = 0; i < sizeof(ctrls) / sizeof(ctrls[0]); i++)
		cr_expect_not(cg_dir_exists(ctrls[i], b), "delete left /sys/fs/cgroup/%s/pith-test/%s", ctrls[i], b->id);
}

Test(cgroup, memory_limit_oom_kills_and_is_reported)
{
	struct bundle b;
	h_bundle_init(&b, "oom");
	/* memory+swap = memory: nothing can escape to swap */
	set_resources(&b, "memory", "{\"limit\": 16777216, \"swap\": 16777216}");
	h_bundle_set_args(&b, "sh", "-c", "sleep 1; dd if=/dev/zero of=/dev/null bs=64M count=1; sleep 100", NULL);
	h_bundle_write(&b);
	start_detached(&b);
	char *lim = cg_file("memory", &b, "memory.limit_in_bytes");
	cr_expect_str_eq(lim, "16777216\n");
	free(lim);
	/* events streams until we stop it: the oom event must show up. */
	struct run_result ev = h_pith("events", "--interval", "1s", b.id, NULL);
	cr_expect(ev.out && strstr(ev.out, "{\"type\":\"oom\",\"id\":\""), "no oom event in: %s", ev.out ? ev.out : "");
	h_result_free(&ev);
	char *oc = cg_file("memory", &b, "memory.oom_control");
	cr_expect(oc && strstr(oc, "oom_kill 1"), "memory.oom_control: %s", oc ? oc : "(none)");
	free(oc);
	struct run_result st = h_pith("state", b.id, NULL);
	cr_expect(st.out && strstr(st.out, "\"io.pith.oom_kills\": \"1\""), "state: %s", st.out);
	h_result_free(&st);
	delete_and_check_gone(&b);
	h_bundle_cleanup(&b);
}

Test(cgroup, pids_limit_stops_a_fork_bomb)
{
	struct bundle b;
	h_bundle_init(&b, "pids");
	set_resources(&b, "pids", "{\"limit\": 8}");
	h_bundle_set_args(&b, "sh", "-c",
			  "n=0; for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do "
			  "sleep 3 & n=$((n+1)); done; echo started", NULL);
	h_bundle_write(&b);
	struct run_result r = h_pith("run", "--bundle", b.dir, b.id, NULL);
	cr_expect(r.err && strstr(r.err, "fork"), "no fork failure: out=%s err=%s", r.out, r.err);
	h_result_free(&r);
	h_bundle_cleanup(&b);
}

static void add_mknod_cap(struct bundle *b)
{
	json_t *caps = json_object_get(json_object_get(b->config, "process"), "capabilities");
	const char *sets[] = { "bounding", "effective", "permitted" };
	for (size_t i = 0; i < 3; i++)
		json_array_append_new(json_object_get(caps, sets[i]), json_string("CAP_MKNOD"));
}

static char *open_fuse_output(bool allow)
{
	struct bundle b;
	h_bundle_init(&b, allow ? "devallow" : "devdeny");
	add_mknod_cap(&b);
	if (allow)
		set_resources(&b, "devices", "[{\"allow\": false, \"access\": \"rwm\"}, "
					     "{\"allow\": true, \"type\": \"c\", \"major\": 10, \"minor\": 229, \"access\": \"rw\"}]");
	else
		set_resources(&b, "devices", "[{\"allow\": false, \"access\": \"rwm\"}]");
	h_bundle_set_args(&b, "sh", "-c", "mknod /dev/fz c 10 229 && cat /dev/fz; echo end", NULL);
	h_bundle_write(&b);
	struct run_result r = h_pith("run", "--bundle", b.dir, b.id, NULL);
	char *out = NULL;
	if (asprintf(&out, "%s|%s", r.out ? r.out : "", r.err ? r.err : "") < 0)
		out = NULL;
	h_result_free(&r);
	h_bundle_cleanup(&b);
	return out;
}

Test(cgroup, a_denied_device_cannot_be_opened)
{
	char *denied = open_fuse_output(false);
	cr_expect(denied && strstr(denied, "can't open '/dev/fz': Operation not permitted"), "%s", denied);
	cr_expect(denied && strstr(denied, "end"), "the container ran: %s", denied);
	free(denied);
	/* the same open with an allow rule is not refused by the cgroup */
	char *allowed = open_fuse_output(true);
	cr_expect(allowed && !strstr(allowed, "can't open"), "%s", allowed);
	free(allowed);
}

static long counter(pid_t pid)
{
	char p[128];
	snprintf(p, sizeof(p), "/proc/%d/root/dev/shm/count", (int)pid);
	char *t = h_read_file(p);
	long v = t ? atol(t) : -1;
	free(t);
	return v;
}

Test(cgroup, pause_freezes_and_resume_continues)
{
	struct bundle b;
	h_bundle_init(&b, "pause");
	/* written by rename: a freeze between truncate and write would show an
	 * empty counter */
	h_bundle_set_args(&b, "sh", "-c",
			  "i=0; while :; do i=$((i+1)); echo $i > /dev/shm/c.tmp; mv /dev/shm/c.tmp /dev/shm/count; "
			  "usleep 20000; done",
			  NULL);
	h_bundle_write(&b);
	pid_t pid = start_detached(&b);
	for (int i = 0; i < 250 && counter(pid) <= 0; i++)
		usleep(20000);
	struct run_result r = h_pith("pause", b.id, NULL);
	cr_assert_eq(r.status, 0, "pause: %s", r.err);
	h_result_free(&r);
	char status[32];
	h_state(b.id, status, sizeof(status));
	cr_expect_str_eq(status, "paused");
	char *fs = cg_file("freezer", &b, "freezer.state");
	cr_expect_str_eq(fs, "FROZEN\n");
	free(fs);
	long c1 = counter(pid);
	usleep(300000);
	long c2 = counter(pid);
	cr_expect_gt(c1, 0);
	cr_expect_eq(c1, c2, "the counter moved while paused: %ld -> %ld", c1, c2);
	r = h_pith("pause", b.id, NULL);
	cr_expect_neq(r.status, 0, "pausing a paused container must fail");
	h_result_free(&r);
	r = h_pith("resume", b.id, NULL);
	cr_assert_eq(r.status, 0, "resume: %s", r.err);
	h_result_free(&r);
	h_state(b.id, status, sizeof(status));
	cr_expect_str_eq(status, "running");
	usleep(300000);
	cr_expect_gt(counter(pid), c2, "the counter did not move after resume");
	delete_and_check_gone(&b);
	h_bundle_cleanup(&b);
}

Test(cgroup, update_changes_live_limits)
{
	struct bundle b;
	h_bundle_init(&b, "update");
	set_resources(&b, "memory", "{\"limit\": 67108864}");
	h_bundle_set_args(&b, "sleep", "100", NULL);
	h_bundle_write(&b);
	start_detached(&b);
	struct run_result r = h_pith("update", "--memory", "32m", "--cpu-quota", "20000", "--cpu-period", "100000", b.id, NULL);
	cr_assert_eq(r.status, 0, "update: %s", r.err);
	h_result_free(&r);
	char *m = cg_file("memory", &b, "memory.limit_in_bytes");
	cr_expect_str_eq(m, "33554432\n");
	free(m);
	char *q = cg_file("cpu", &b, "cpu.cfs_quota_us");
	cr_expect_str_eq(q, "20000\n", "cpu joined late by update");
	free(q);
	char res[300];
	snprintf(res, sizeof(res), "%s/res.json", b.dir);
	FILE *f = fopen(res, "w");
	cr_assert(f);
	fputs("{\"pids\": {\"limit\": 7}}", f);
	fclose(f);
	r = h_pith("update", "--resources", res, b.id, NULL);
	cr_assert_eq(r.status, 0, "update --resources: %s", r.err);
	h_result_free(&r);
	char *p = cg_file("pids", &b, "pids.max");
	cr_expect_str_eq(p, "7\n");
	free(p);
	delete_and_check_gone(&b);
	h_bundle_cleanup(&b);
}

Test(cgroup, ps_lists_pids_and_events_stats_reports_memory)
{
	struct bundle b;
	h_bundle_init(&b, "ps");
	h_bundle_set_args(&b, "sh", "-c", "sleep 100 & sleep 100", NULL);
	h_bundle_write(&b);
	pid_t pid = start_detached(&b);
	usleep(200000);
	struct run_result r = h_pith("ps", "--format", "json", b.id, NULL);
	cr_assert_eq(r.status, 0, "ps: %s", r.err);
	json_error_t jerr;
	json_t *a = json_loads(r.out, 0, &jerr);
	cr_assert(json_is_array(a), "ps output: %s", r.out);
	cr_expect_eq(json_array_size(a), 2);
	bool has_init = false;
	for (size_t i = 0; i < json_array_size(a); i++)
		has_init |= json_integer_value(json_array_get(a, i)) == pid;
	cr_expect(has_init, "init %d not in %s", (int)pid, r.out);
	json_decref(a);
	h_result_free(&r);

	r = h_pith("events", "--stats", b.id, NULL);
	cr_assert_eq(r.status, 0, "events: %s", r.err);
	json_t *ev = json_loads(r.out, 0, &jerr);
	cr_assert(ev, "events output: %s", r.out);
	cr_expect_str_eq(json_string_value(json_object_get(ev, "type")), "stats");
	cr_expect_str_eq(json_string_value(json_object_get(ev, "id")), b.id);
	json_t *data = json_object_get(ev, "data");
	json_int_t usage = json_integer_value(json_object_get(json_object_get(json_object_get(data, "memory"), "usage"), "usage"));
	cr_expect_gt(usage, 0, "memory usage: %s", r.out);
	cr_expect_eq(json_integer_value(json_object_get(json_object_get(data, "pids"), "current")), 2);
	json_decref(ev);
	h_result_free(&r);
	delete_and_check_gone(&b);
	h_bundle_cleanup(&b);
}

Test(cgroup, container_sees_its_own_cgroup_as_root)
{
	struct bundle b;
	h_bundle_init(&b, "cgview");
	set_resources(&b, "memory", "{\"limit\": 33554432}");
	h_bundle_set_args(&b, "sh", "-c", "cat /proc/self/cgroup; cat /sys/fs/cgroup/memory/memory.limit_in_bytes", NULL);
	h_bundle_write(&b);
	struct run_result r = h_pith("run", "--bundle", b.dir, b.id, NULL);
	cr_assert_eq(r.status, 0, "run: %s", r.err);
	cr_expect(r.out && strstr(r.out, ":memory:/\n"), "%s", r.out);
	cr_expect(r.out && strstr(r.out, "0::/\n"), "%s", r.out);
	cr_expect(r.out && strstr(r.out, "33554432\n"), "the leaf's limit is visible: %s", r.out);
	h_result_free(&r);
	h_bundle_cleanup(&b);
}
