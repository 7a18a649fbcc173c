/* .NET end to end (issue 6): a real .NET 10 app (tests/dotnet/probe) in a container made the way a
 * careful user would deploy it (read-only rootfs, tmpfs /tmp, cgroup namespace, default seccomp
 * profile, the machine's .NET bind-mounted read-only), run through pith-shim with pith.
 * Until the shim exists, the tests that need only a runtime run with `runtime run`, and the ones
 * that are about the shim (stop timeout, exit reasons, logs, --init) are skipped with the reason.
 * Run by tests/dotnet/run.sh, which sets DN_* (see dn.h). As root. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <inttypes.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dn.h"

#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* ---------- helpers ---------- */

static void need_shim(void)
{
	if (!dn_have_shim())
		cr_skip_test("awaits pith-shim (DN_SHIM unset: build/pith-shim does not exist yet)");
}

/* Run to completion (runtime or shim), return the output; the container is cleaned up. */
static char *run_once(const struct dn_bundle_opts *o, int timeout_ms, int *status)
{
	struct dn_ctr c;
	cr_assert_eq(dn_start(&c, o, NULL), 0, "cannot start %s", o->name);
	int w = dn_wait(&c, timeout_ms);
	char *out = dn_output(&c);
	dn_cleanup(&c);
	cr_assert_eq(w, 0, "%s did not finish within %d ms; output:\n%s", o->name, timeout_ms, out ?: "");
	*status = c.status;
	return out;
}

static const char *line_with(const char *text, const char *prefix)
{
	for (const char *p = text; p && *p;) {
		if (strncmp(p, prefix, strlen(prefix)) == 0)
			return p;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

static json_t *info_json(const char *out)
{
	const char *j = line_with(out, "{\"processorCount\"");
	cr_assert_not_null(j, "no info JSON in output:\n%s", out);
	json_error_t err;
	json_t *root = json_loadb(j, strcspn(j, "\n"), 0, &err);
	cr_assert_not_null(root, "bad info JSON (%s):\n%s", err.text, j);
	return root;
}

static int64_t jint(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	cr_assert(json_is_integer(v), "info JSON has no integer %s", key);
	return (int64_t)json_integer_value(v);
}

static const char *jstr(json_t *o, const char *path1, const char *path2)
{
	json_t *v = json_object_get(o, path1);
	if (path2)
		v = json_object_get(v, path2);
	return json_string_value(v);
}

static uint64_t hexmask(const char *s)
{
	return s ? strtoull(s, NULL, 16) : UINT64_MAX;
}

/* The shim's exit file (shim/report.c): {"exit_code":N | "signal":N, "oom_killed":b,
 * "stop_timeout_killed":b, "log_bytes_dropped":N, "stderr_tail":[...], ...}. */
struct exit_rec {
	bool present;
	int exit_code;     /* -1 when it died by a signal */
	int signal;        /* 0 when it exited */
	bool oom_killed, stop_timeout_killed;
	int64_t log_bytes_dropped;
	char *text;        /* for messages */
};

static struct exit_rec exit_rec_read(struct dn_ctr *c)
{
	struct exit_rec r = { .exit_code = -1, .log_bytes_dropped = -1 };
	r.text = dn_exit_record(c);
	json_t *j = r.text ? json_loads(r.text, 0, NULL) : NULL;
	if (!r.text)
		r.text = strdup("(no exit record)");
	if (!j)
		return r;
	r.present = true;
	if (json_is_integer(json_object_get(j, "exit_code")))
		r.exit_code = (int)json_integer_value(json_object_get(j, "exit_code"));
	if (json_is_integer(json_object_get(j, "signal")))
		r.signal = (int)json_integer_value(json_object_get(j, "signal"));
	r.oom_killed = json_is_true(json_object_get(j, "oom_killed"));
	r.stop_timeout_killed = json_is_true(json_object_get(j, "stop_timeout_killed"));
	if (json_is_integer(json_object_get(j, "log_bytes_dropped")))
		r.log_bytes_dropped = json_integer_value(json_object_get(j, "log_bytes_dropped"));
	json_decref(j);
	return r;
}

/* ---------- 1. limits ---------- */

Test(limits, memory_and_cpu_quota_seen, .timeout = 60)
{
	struct dn_bundle_opts o = {
		.name = "limits", .args = ARGS("info"), .memory = 256 * DN_MIB, .cpu_quota = 150000,
	};
	int st;
	char *out = run_once(&o, 20000, &st);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "info failed (status 0x%x):\n%s", st, out);
	json_t *info = info_json(out);
	cr_expect_eq(jint(info, "processorCount"), 2, "quota 1.5 CPUs must give ProcessorCount 2");
	/* On 64-bit the GC takes 75% of the container limit as its hard limit, and reports that
	 * as the memory available to it; on 32-bit there is no automatic hard limit. */
	int64_t limit = (int64_t)(256 * DN_MIB);
	int64_t want = sizeof(void *) == 8 ? limit / 4 * 3 : limit;
	cr_expect_eq(jint(info, "totalAvailableMemoryBytes"), want,
		     "TotalAvailableMemoryBytes %" PRId64 ", want %" PRId64 " (limit %" PRId64 ")",
		     jint(info, "totalAvailableMemoryBytes"), want, limit);
	/* The GC turns aggressive at 90% of the physical limit it detected: the limit itself. */
	cr_expect_eq(jint(info, "highMemoryLoadThresholdBytes"), limit * 90 / 100);
	json_decref(info);
	free(out);
}

Test(limits, small_quota_gives_one_cpu, .timeout = 60)
{
	/* Distinguishes "read the quota" from "saw the machine's CPUs" on a 2-core machine. */
	struct dn_bundle_opts o = {
		.name = "limits1", .args = ARGS("info"), .memory = 512 * DN_MIB, .cpu_quota = 50000,
	};
	int st;
	char *out = run_once(&o, 20000, &st);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "info failed (status 0x%x):\n%s", st, out);
	json_t *info = info_json(out);
	cr_expect_eq(jint(info, "processorCount"), 1, "quota 0.5 CPU must give ProcessorCount 1");
	int64_t limit = (int64_t)(512 * DN_MIB);
	int64_t want = sizeof(void *) == 8 ? limit / 4 * 3 : limit;
	cr_expect_eq(jint(info, "totalAvailableMemoryBytes"), want);
	json_decref(info);
	free(out);
}

/* ---------- 4. security defaults: seccomp, W^X, signal mask ---------- */

static void need_seccomp(void)
{
	if (!dn_have_seccomp())
		cr_skip_test("no default seccomp profile yet (config/seccomp_default.json, or linux.seccomp from `pith spec`)");
}

Test(security, jit_under_default_seccomp_with_wx, .timeout = 60)
{
	need_seccomp();
	struct dn_bundle_opts o = { .name = "jit", .args = ARGS("jit", "3000"), .memory = 256 * DN_MIB };
	int st;
	char *out = run_once(&o, 20000, &st);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "jit failed (status 0x%x):\n%s", st, out);
	cr_expect_not_null(strstr(out, "jit ok n=3000"), "%s", out);
	/* W^X on: executable code came from the double-mapped memfd. */
	cr_expect_not_null(strstr(out, "doublemapper=True"), "W^X double mapping not in use:\n%s", out);
	free(out);
}

Test(security, mmf_and_named_mutex_on_readonly_rootfs, .timeout = 60)
{
	need_seccomp();
	struct dn_bundle_opts o = { .name = "mmf", .args = ARGS("mmf"), .memory = 256 * DN_MIB };
	int st;
	char *out = run_once(&o, 20000, &st);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "mmf failed (status 0x%x):\n%s", st, out);
	cr_expect_not_null(strstr(out, "mmf ok mutexCreated=True tmp=/tmp/"), "%s", out);
	free(out);
}

static void check_clean_signals(json_t *info)
{
	cr_expect_eq(hexmask(jstr(info, "status", "SigBlk")), 0, "signals blocked in the app: %s",
		     jstr(info, "status", "SigBlk"));
	/* .NET ignores SIGPIPE itself (bit 12); nothing else may arrive ignored. */
	cr_expect_eq(hexmask(jstr(info, "status", "SigIgn")) & ~(UINT64_C(1) << (SIGPIPE - 1)), 0,
		     "signals ignored in the app: %s", jstr(info, "status", "SigIgn"));
}

Test(security, info_under_seccomp_with_clean_signal_mask, .timeout = 60)
{
	need_seccomp();
	struct dn_bundle_opts o = { .name = "info", .args = ARGS("info"), .memory = 256 * DN_MIB };
	int st;
	char *out = run_once(&o, 20000, &st);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "info failed (status 0x%x):\n%s", st, out);
	json_t *info = info_json(out);
	cr_expect_str_eq(jstr(info, "status", "Seccomp") ?: "", "2", "the seccomp filter is not applied");
	cr_expect_str_eq(jstr(info, "status", "NoNewPrivs") ?: "", "1");
	check_clean_signals(info);
	cr_expect_null(jstr(info, "env", "LANG"), "the host's LANG leaked into the container");
	/* A private cgroup namespace: .NET finds its limits at the root of each hierarchy, never
	 * the "cgroup path == mount point" layout that crashes .NET 9/10 (dotnet/runtime#130092). */
	json_t *cg = json_object_get(info, "cgroup");
	size_t i;
	json_t *line;
	cr_expect_gt(json_array_size(cg), 0);
	json_array_foreach(cg, i, line) {
		const char *l = json_string_value(line) ?: "";
		size_t n = strlen(l);
		cr_expect(n >= 2 && strcmp(l + n - 2, ":/") == 0, "not a private cgroup namespace: %s", l);
	}
	json_decref(info);
	free(out);
}

/* Started from a parent that ignores and blocks signals the way a careless service manager
 * might: the shim must hand the app a clean mask and default dispositions (runc alone leaves
 * the inherited mask in place). */
Test(security, hostile_parent_signal_state_is_reset, .timeout = 60)
{
	need_shim();
	signal(SIGTERM, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	struct dn_bundle_opts o = { .name = "infohostile", .args = ARGS("info"), .memory = 256 * DN_MIB };
	int st;
	char *out = run_once(&o, 20000, &st);
	json_t *info = info_json(out);
	check_clean_signals(info);
	json_decref(info);
	free(out);
}

Test(security, generic_host_runs_and_stops_under_default_seccomp, .timeout = 60)
{
	need_seccomp();
	struct dn_bundle_opts o = { .name = "hostsc", .args = ARGS("host", "--stop-delay", "0"), .memory = 256 * DN_MIB };
	struct dn_ctr c;
	cr_assert_eq(dn_start(&c, &o, NULL), 0);
	bool started = dn_wait_output(&c, "host started", 15000);
	if (started)
		dn_stop(&c);
	int w = dn_wait(&c, 15000);
	char *out = dn_output(&c);
	dn_cleanup(&c);
	cr_assert(started, "the Generic Host did not start:\n%s", out);
	cr_assert_eq(w, 0, "the Generic Host did not stop:\n%s", out);
	cr_expect_not_null(strstr(out, "host stopped"), "%s", out);
	if (!c.via_shim)
		cr_expect(WIFEXITED(c.status) && WEXITSTATUS(c.status) == 0, "status 0x%x\n%s", c.status, out);
	free(out);
}

/* ---------- 2. graceful stop ---------- */

Test(stop, signals_gets_sigterm_and_exits_zero, .timeout = 60)
{
	struct dn_bundle_opts o = { .name = "sig", .args = ARGS("signals", "--exit", "0"), .memory = 256 * DN_MIB };
	struct dn_shim_opts so = { .stop_timeout = 10 };
	struct dn_ctr c;
	cr_assert_eq(dn_start(&c, &o, &so), 0);
	bool ready = dn_wait_output(&c, "signals ready", 15000);
	int64_t t0 = dn_now_ms();
	if (ready)
		dn_stop(&c);
	int w = dn_wait(&c, 15000);
	int64_t took = dn_now_ms() - t0;
	char *out = dn_output(&c);
	struct exit_rec rec = exit_rec_read(&c);
	dn_cleanup(&c);
	cr_assert(ready, "not ready:\n%s", out);
	cr_assert_eq(w, 0, "did not stop:\n%s", out);
	cr_expect_not_null(strstr(out, "got SIGTERM"), "SIGTERM did not reach the handler:\n%s", out);
	cr_expect_not_null(strstr(out, "exiting code=0 signal=SIGTERM"), "%s", out);
	cr_expect_lt(took, 5000, "stop took %" PRId64 " ms", took);
	if (c.via_shim)
		cr_expect(rec.present && rec.exit_code == 0 && !rec.stop_timeout_killed && !rec.oom_killed,
			  "the shim did not record a clean exit: %s", rec.text);
	cr_expect(WIFEXITED(c.status) && WEXITSTATUS(c.status) == 0, "status 0x%x", c.status);
	free(out);
	free(rec.text);
}

static void host_stop(const char *name, int timeout, bool expect_killed)
{
	need_shim();
	struct dn_bundle_opts o = { .name = name, .args = ARGS("host", "--stop-delay", "3"), .memory = 256 * DN_MIB };
	struct dn_shim_opts so = { .stop_timeout = timeout };
	struct dn_ctr c;
	cr_assert_eq(dn_start(&c, &o, &so), 0);
	bool started = dn_wait_output(&c, "host started", 15000);
	int64_t t0 = dn_now_ms();
	if (started)
		dn_stop(&c);
	int w = dn_wait(&c, (timeout + 10) * 1000);
	int64_t took = dn_now_ms() - t0;
	char *out = dn_output(&c);
	struct exit_rec rec = exit_rec_read(&c);
	dn_cleanup(&c);
	cr_assert(started, "host did not start:\n%s", out);
	cr_assert_eq(w, 0, "the shim did not finish after stop:\n%s", out);
	if (expect_killed) {
		cr_expect(rec.stop_timeout_killed && rec.signal == SIGKILL && !rec.oom_killed,
			  "want stop_timeout_killed by SIGKILL, got: %s", rec.text);
		cr_expect_null(strstr(out, "host stopped"), "the host finished despite the 1 s timeout:\n%s", out);
		cr_expect_lt(took, 2900, "SIGKILL came after %" PRId64 " ms", took);
	} else {
		cr_expect_not_null(strstr(out, "service stop end"), "%s", out);
		cr_expect_not_null(strstr(out, "host stopped"), "%s", out);
		cr_expect(rec.present && rec.exit_code == 0 && !rec.stop_timeout_killed && !rec.oom_killed,
			  "want a clean exit 0, got: %s", rec.text);
		cr_expect_geq(took, 2900, "stopped after %" PRId64 " ms, before StopAsync finished", took);
		cr_expect_lt(took, 9000, "stopped after %" PRId64 " ms", took);
	}
	free(out);
	free(rec.text);
}

Test(stop, host_slow_stop_within_timeout_exits_cleanly, .timeout = 60)
{
	host_stop("host10", 10, false);
}

Test(stop, host_slow_stop_past_timeout_is_killed_and_reported, .timeout = 60)
{
	host_stop("host1", 1, true);
}

Test(stop, plain_app_stops_on_sigterm_with_init, .timeout = 60)
{
	need_shim();
	struct dn_bundle_opts o = { .name = "plain", .args = ARGS("plain"), .memory = 256 * DN_MIB };
	struct dn_shim_opts so = { .stop_timeout = 10, .init = true };
	struct dn_ctr c;
	cr_assert_eq(dn_start(&c, &o, &so), 0);
	bool ready = dn_wait_output(&c, "plain ready", 15000);
	int64_t t0 = dn_now_ms();
	if (ready)
		dn_stop(&c);
	int w = dn_wait(&c, 15000);
	int64_t took = dn_now_ms() - t0;
	char *out = dn_output(&c);
	struct exit_rec rec = exit_rec_read(&c);
	dn_cleanup(&c);
	cr_assert(ready, "%s", out);
	cr_expect_null(strstr(out, "plain ready pid=1 "), "the app is PID 1 despite --init:\n%s", out);
	cr_assert_eq(w, 0, "did not stop:\n%s", out);
	/* .NET 10 installs no SIGTERM handler: the default action ends it at once, not the timeout. */
	cr_expect_lt(took, 3000, "stop took %" PRId64 " ms (the timeout's SIGKILL, not SIGTERM?)", took);
	/* Killed by SIGTERM's default action: signal 15, or 143 as an init relays it. */
	cr_expect(rec.present && !rec.stop_timeout_killed && (rec.signal == SIGTERM || rec.exit_code == 128 + SIGTERM),
		  "want death by SIGTERM, got: %s", rec.text);
	free(out);
	free(rec.text);
}

/* Why --init: with the app as PID 1 the kernel drops SIGTERM, for which .NET 10 has no handler. */
Test(stop, plain_app_as_pid1_ignores_sigterm, .timeout = 60)
{
	struct dn_bundle_opts o = { .name = "plainpid1", .args = ARGS("plain"), .memory = 256 * DN_MIB };
	struct dn_ctr c;
	cr_assert_eq(dn_start_direct(&c, &o), 0);
	bool ready = dn_wait_output(&c, "plain ready", 15000);
	if (ready)
		dn_kill(&c, "TERM");
	int w = dn_wait(&c, 1500);
	char *out = dn_output(&c);
	dn_cleanup(&c);
	cr_assert(ready, "%s", out);
	cr_expect_neq(w, 0, "a PID-1 .NET 10 app without handlers exited on SIGTERM: the premise of --init changed");
	free(out);
}

/* ---------- 3. OOM ---------- */

Test(oom, managed_alloc_past_limit_is_oom_killed, .timeout = 60)
{
	/* A GC hard limit above the cgroup limit, so the kernel, not the GC, stops the app. */
	struct dn_bundle_opts o = {
		.name = "oom", .args = ARGS("alloc", "400"), .memory = 128 * DN_MIB,
		.env = ARGS("DOTNET_GCHeapHardLimit=0x40000000"),
	};
	struct dn_ctr c;
	cr_assert_eq(dn_start(&c, &o, NULL), 0);
	int w = dn_wait(&c, 30000);
	char *out = dn_output(&c);
	struct exit_rec rec = exit_rec_read(&c);
	char oomc[512];
	snprintf(oomc, sizeof oomc, "/sys/fs/cgroup/memory/pith-test/%s/memory.oom_control", c.id);
	char *oom_control = dn_read_file(oomc);
	dn_cleanup(&c);
	cr_assert_eq(w, 0, "alloc did not die:\n%s", out);
	cr_expect_null(strstr(out, "alloc holding"), "the limit did not stop the allocation:\n%s", out);
	if (c.via_shim) {
		cr_expect(rec.oom_killed && !rec.stop_timeout_killed, "want oom_killed, got: %s", rec.text);
		cr_expect(rec.signal == SIGKILL || rec.exit_code == 128 + SIGKILL, "want SIGKILL, got: %s", rec.text);
	} else {
		/* runc run reports 128+9 for a SIGKILLed container process. */
		cr_expect(WIFEXITED(c.status) && WEXITSTATUS(c.status) == 137, "status 0x%x\n%s", c.status, out);
		if (oom_control)
			cr_expect_null(strstr(oom_control, "oom_kill 0"), "memory.oom_control:\n%s", oom_control);
	}
	free(out);
	free(rec.text);
	free(oom_control);
}

/* ---------- 5. logs ---------- */

/* Line i of stream s as the probe writes it (LogCmd.Line). */
static bool check_line(const char *line, size_t len, const char *s, long i)
{
	char head[32];
	int hl = snprintf(head, sizeof head, "%s %08ld ", s, i);
	if (len < (size_t)hl + 9 || memcmp(line, head, (size_t)hl) != 0)
		return false;
	size_t want = i % 997 == 0 ? 9000 : (size_t)((i * 7919) % 301);
	size_t body = len - (size_t)hl - 9;
	if (body != want || line[len - 9] != ' ')
		return false;
	uint32_t h = 2166136261u;
	for (size_t k = 0; k < len - 9; k++)
		h = (h ^ (unsigned char)line[k]) * 16777619u;
	char hex[9];
	snprintf(hex, sizeof hex, "%08x", h);
	return memcmp(line + len - 8, hex, 8) == 0;
}

struct stream_check {
	const char *name;   /* "stdout" / "stderr" in the record, "out"/"err" in the line */
	const char *tag;
	long next;          /* next expected line number */
	char *partial;      /* P records not yet closed by an F */
	size_t plen;
	long bad;
	char first_bad[160];
};

static void stream_record(struct stream_check *s, const char *text, size_t len, bool full)
{
	s->partial = realloc(s->partial, s->plen + len + 1);
	memcpy(s->partial + s->plen, text, len);
	s->plen += len;
	if (!full)
		return;
	const char *line = s->partial;
	size_t l = s->plen;
	if (s->next > 0 && check_line(line, l, s->tag, s->next)) {
		s->next++;
	} else if (!(strncmp(line, "log done", 8) == 0 && strcmp(s->tag, "out") == 0)) {
		if (s->bad++ == 0)
			snprintf(s->first_bad, sizeof s->first_bad, "want %s %08ld, got %.100s (%zu bytes)",
				 s->tag, s->next, line, l);
	}
	s->plen = 0;
}

Test(logs, both_streams_complete_and_ordered_across_rotation, .timeout = 240)
{
	need_shim();
	const long lines = 200000;
	struct dn_bundle_opts o = { .name = "log", .args = ARGS("log", "--lines", "200000"), .memory = 256 * DN_MIB };
	/* 2 x 200000 lines are about 80 MB of records: 8 MiB files, enough of them to keep it all. */
	struct dn_shim_opts so = { .log_max_size = 8 * DN_MIB, .log_max_files = 16 };
	struct dn_ctr c;
	cr_assert_eq(dn_start(&c, &o, &so), 0);
	int w = dn_wait(&c, 180000);
	struct exit_rec rec = exit_rec_read(&c);
	dn_cleanup(&c);
	cr_assert_eq(w, 0, "the log run did not finish");
	cr_expect(rec.present && rec.exit_code == 0 && rec.log_bytes_dropped == 0, "exit record: %s", rec.text);
	free(rec.text);

	struct stream_check st[2] = { { "stdout", "out", 1, NULL, 0, 0, "" }, { "stderr", "err", 1, NULL, 0, 0, "" } };
	int files = 0;
	for (int k = 32; k >= 0; k--) {
		char path[700];
		if (k)
			snprintf(path, sizeof path, "%s.%d", c.log, k);
		else
			snprintf(path, sizeof path, "%s", c.log);
		struct stat sb;
		if (stat(path, &sb) < 0)
			continue;
		files++;
		cr_expect_leq((uint64_t)sb.st_size, so.log_max_size + 64 * 1024, "%s is %jd bytes, over the cap",
			      path, (intmax_t)sb.st_size);
		char *text = dn_read_file(path);
		cr_assert_not_null(text);
		for (char *p = text; *p;) {
			char *nl = strchr(p, '\n');
			cr_assert_not_null(nl, "%s ends in a torn record", path);
			char *sp1 = memchr(p, ' ', (size_t)(nl - p));
			cr_assert_not_null(sp1, "bad record in %s: %.80s", path, p);
			struct stream_check *s = strncmp(sp1 + 1, "stdout ", 7) == 0 ? &st[0] :
						 strncmp(sp1 + 1, "stderr ", 7) == 0 ? &st[1] : NULL;
			cr_assert_not_null(s, "bad record in %s: %.80s", path, p);
			char *flag = sp1 + 8;
			cr_assert((flag[0] == 'P' || flag[0] == 'F') && flag[1] == ' ', "bad record: %.80s", p);
			stream_record(s, flag + 2, (size_t)(nl - flag - 2), flag[0] == 'F');
			p = nl + 1;
		}
		free(text);
	}
	cr_expect_gt(files, 1, "no rotation happened");
	for (int i = 0; i < 2; i++) {
		cr_expect_eq(st[i].bad, 0, "%s: %ld bad or out-of-order lines, first: %s", st[i].name, st[i].bad,
			     st[i].first_bad);
		cr_expect_eq(st[i].next, lines + 1, "%s: %ld of %ld lines arrived in order", st[i].name,
			     st[i].next - 1, lines);
		free(st[i].partial);
	}
}

/* ---------- 6. zombies ---------- */

static int zombies_in_pidns_of(pid_t pid)
{
	char path[320], ns[128], other[128];
	snprintf(path, sizeof path, "/proc/%d/ns/pid", (int)pid);
	ssize_t n = readlink(path, ns, sizeof ns - 1);
	if (n <= 0)
		return -1;
	ns[n] = '\0';
	int z = 0;
	DIR *d = opendir("/proc");
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof path, "/proc/%s/ns/pid", e->d_name);
		n = readlink(path, other, sizeof other - 1);
		if (n <= 0)
			continue;
		other[n] = '\0';
		if (strcmp(ns, other) != 0)
			continue;
		snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
		char *stat = dn_read_file(path);
		char *close = stat ? strrchr(stat, ')') : NULL;
		if (close && close[1] == ' ' && close[2] == 'Z')
			z++;
		free(stat);
	}
	if (d)
		closedir(d);
	return z;
}

Test(zombies, orphans_under_init_are_reaped, .timeout = 90)
{
	need_shim();
	struct dn_bundle_opts o = { .name = "orphans", .args = ARGS("orphans", "50", "--hold"), .memory = 256 * DN_MIB };
	struct dn_shim_opts so = { .stop_timeout = 5, .init = true };
	struct dn_ctr c;
	cr_assert_eq(dn_start(&c, &o, &so), 0);
	bool done = dn_wait_output(&c, "orphans done", 30000);
	pid_t init = dn_init_pid(&c);
	int z = init > 0 ? zombies_in_pidns_of(init) : -1;
	char *out = dn_output(&c);
	dn_stop(&c);
	dn_wait(&c, 10000);
	dn_cleanup(&c);
	cr_assert(done, "%s", out);
	cr_expect_not_null(strstr(out, "orphans child spawned=50 zombies=50"), "the probe made no orphans:\n%s", out);
	cr_expect_not_null(strstr(out, "orphans done zombies=0"), "zombies seen inside:\n%s", out);
	/* As PID 1, .NET reaps every child itself: the point here is that the init does it. */
	cr_expect_null(strstr(out, " pid=1 "), "the app is PID 1: --init did not put an init in front:\n%s", out);
	cr_expect_eq(z, 0, "%d zombies in the container's pid namespace (init pid %d)", z, (int)init);
	free(out);
}
