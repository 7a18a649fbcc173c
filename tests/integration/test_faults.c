/* Bad input and faults: each gets a clear error, a non-zero exit, and
 * nothing left behind (no state dir, no cgroup, no mount, no process). */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

static bool leaves_nothing(const struct bundle *b)
{
	char dir[512];
	snprintf(dir, sizeof(dir), "%s/%s", h_root(), b->id);
	bool ok = true;
	if (h_path_exists(dir)) {
		cr_log_error("state dir %s left behind", dir);
		ok = false;
	}
	char cg[256];
	snprintf(cg, sizeof(cg), "pith-test/%s", b->id);
	if (h_cgroup_exists(cg)) {
		cr_log_error("cgroup %s left behind", cg);
		ok = false;
	}
	if (h_count_mounts(b->id) > 0) {
		cr_log_error("mounts of %s left behind", b->id);
		ok = false;
	}
	return ok;
}

static void expect_create_fails(struct bundle *b, const char *needle)
{
	struct run_result r = h_pith("create", "--bundle", b->dir, b->id, NULL);
	cr_expect_eq(r.status, 1, "create exit %d (%s)", r.status, r.err);
	cr_expect(strstr(r.err, needle), "error does not name \"%s\": %s", needle, r.err);
	h_result_free(&r);
	cr_expect(leaves_nothing(b));
}

Test(faults, missing_bundle)
{
	struct run_result r = h_pith("create", "--bundle", "/nonexistent/bundle", "t-missing", NULL);
	cr_expect_eq(r.status, 1);
	cr_expect(strstr(r.err, "/nonexistent/bundle"), "%s", r.err);
	h_result_free(&r);
}

Test(faults, malformed_json_names_line_and_column)
{
	struct bundle b;
	h_bundle_init(&b, "badjson");
	char path[300];
	snprintf(path, sizeof(path), "%s/config.json", b.dir);
	FILE *f = fopen(path, "w");
	fputs("{\n  \"ociVersion\": \"1.0.0\",\n  \"process\": {,}\n}\n", f);
	fclose(f);
	expect_create_fails(&b, "config.json:3:");
	h_bundle_cleanup(&b);
}

Test(faults, missing_rootfs)
{
	struct bundle b;
	h_bundle_init(&b, "norootfs");
	json_object_set_new(json_object_get(b.config, "root"), "path", json_string("/nonexistent/rootfs"));
	h_bundle_write(&b);
	expect_create_fails(&b, "root.path");
	h_bundle_cleanup(&b);
}

Test(faults, unsupported_oci_version)
{
	struct bundle b;
	h_bundle_init(&b, "ociver");
	json_object_set_new(b.config, "ociVersion", json_string("2.0.0"));
	h_bundle_write(&b);
	expect_create_fails(&b, "ociVersion");
	h_bundle_cleanup(&b);
}

static void add_hook(struct bundle *b, const char *kind, const char *script, int timeout)
{
	json_t *hooks = json_object_get(b->config, "hooks");
	if (!hooks) {
		hooks = json_object();
		json_object_set_new(b->config, "hooks", hooks);
	}
	json_t *h = json_pack("{s:s,s:[s,s,s]}", "path", "/bin/sh", "args", "sh", "-c", script);
	if (timeout > 0)
		json_object_set_new(h, "timeout", json_integer(timeout));
	json_object_set_new(hooks, kind, json_pack("[o]", h));
}

Test(faults, hook_past_its_timeout_fails_create)
{
	struct bundle b;
	h_bundle_init(&b, "hooktimeout");
	h_bundle_set_args(&b, "sleep", "100", NULL);
	add_hook(&b, "createRuntime", "sleep 30", 1);
	h_bundle_write(&b);
	time_t t0 = time(NULL);
	expect_create_fails(&b, "timed out");
	cr_expect_leq(time(NULL) - t0, 10, "the hook's timeout was not enforced");
	h_bundle_cleanup(&b);
}

Test(faults, failing_prestart_hook_fails_create)
{
	struct bundle b;
	h_bundle_init(&b, "hookfail");
	h_bundle_set_args(&b, "sleep", "100", NULL);
	add_hook(&b, "prestart", "exit 3", 0);
	h_bundle_write(&b);
	expect_create_fails(&b, "prestart[0]");
	h_bundle_cleanup(&b);
}

Test(faults, hooks_get_the_state_on_stdin)
{
	struct bundle b;
	h_bundle_init(&b, "hookstate");
	h_bundle_set_args(&b, "true", NULL);
	char out[400], script[600];
	snprintf(out, sizeof(out), "%s/hook-state.json", b.dir);
	snprintf(script, sizeof(script), "cat > %s", out);
	add_hook(&b, "createRuntime", script, 5);
	h_bundle_write(&b);
	struct run_result r = h_pith("create", "--bundle", b.dir, b.id, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	h_result_free(&r);
	char *text = h_read_file(out);
	json_t *j = text ? json_loads(text, 0, NULL) : NULL;
	cr_assert_not_null(j, "hook state: %s", text ? text : "(none)");
	cr_expect_str_eq(json_string_value(json_object_get(j, "id")), b.id);
	cr_expect_str_eq(json_string_value(json_object_get(j, "status")), "created");
	cr_expect_gt(json_integer_value(json_object_get(j, "pid")), 0);
	cr_expect_str_eq(json_string_value(json_object_get(j, "bundle")), b.dir);
	json_decref(j);
	free(text);
	h_bundle_cleanup(&b);
}

Test(faults, poststop_hook_runs_on_delete)
{
	struct bundle b;
	h_bundle_init(&b, "poststop");
	h_bundle_set_args(&b, "sleep", "100", NULL);
	char out[400], script[600];
	snprintf(out, sizeof(out), "%s/poststop-ran", b.dir);
	snprintf(script, sizeof(script), "touch %s", out);
	add_hook(&b, "poststop", script, 5);
	h_bundle_write(&b);
	struct run_result r = h_pith("run", "--detach", "--bundle", b.dir, b.id, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	h_result_free(&r);
	cr_expect(!h_path_exists(out));
	r = h_pith("delete", "--force", b.id, NULL);
	cr_expect_eq(r.status, 0, "%s", r.err);
	h_result_free(&r);
	cr_expect(h_path_exists(out), "poststop hook did not run");
	h_bundle_cleanup(&b);
}

Test(faults, rlimit_above_the_hard_limit)
{
	struct rlimit cur;
	getrlimit(RLIMIT_NOFILE, &cur);
	cap_t caps = cap_get_proc();
	cap_flag_value_t v = CAP_CLEAR;
	cap_get_flag(caps, CAP_SYS_RESOURCE, CAP_EFFECTIVE, &v);
	cap_free(caps);
	if (v == CAP_SET || cur.rlim_max == RLIM_INFINITY)
		cr_skip_test("CAP_SYS_RESOURCE is available: any rlimit can be raised");
	struct bundle b;
	h_bundle_init(&b, "rlimit");
	char hard[32];
	snprintf(hard, sizeof(hard), "%llu", (unsigned long long)cur.rlim_max * 2);
	json_object_set_new(json_object_get(b.config, "process"), "rlimits",
			    json_pack("[{s:s,s:I,s:I}]", "type", "RLIMIT_NOFILE", "hard",
				      (json_int_t)cur.rlim_max * 2, "soft", (json_int_t)1024));
	h_bundle_write(&b);
	expect_create_fails(&b, "RLIMIT_NOFILE");
	h_bundle_cleanup(&b);
}

Test(faults, capability_missing_from_our_bounding_set)
{
	int missing = -1;
	for (int c = 0; c <= CAP_LAST_CAP; c++)
		if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 0) {
			missing = c;
			break;
		}
	if (missing < 0)
		cr_skip_test("every capability is in the bounding set here");
	char *name = cap_to_name(missing);
	char upper[64];
	snprintf(upper, sizeof(upper), "%s", name);
	cap_free(name);
	for (char *p = upper; *p; p++)
		*p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
	struct bundle b;
	h_bundle_init(&b, "capmissing");
	json_t *caps = json_object_get(json_object_get(b.config, "process"), "capabilities");
	json_array_append_new(json_object_get(caps, "bounding"), json_string(upper));
	h_bundle_write(&b);
	expect_create_fails(&b, upper);
	h_bundle_cleanup(&b);
}

/* pith create killed at random points: delete --force must leave nothing
 * and the same id must be creatable again. */
Test(faults, create_killed_at_random_points, .timeout = 240)
{
	struct bundle b;
	h_bundle_init(&b, "sigkill");
	h_bundle_set_args(&b, "sleep", "100", NULL);
	h_bundle_write(&b);
	srand((unsigned)getpid());
	for (int round = 0; round < 50; round++) {
		pid_t pid = fork();
		if (pid == 0) {
			int null = open("/dev/null", O_WRONLY);
			dup2(null, 1);
			dup2(null, 2);
			execl(h_bin("pith"), "pith", "--root", h_root(), "create", "--bundle", b.dir, b.id, NULL);
			_exit(127);
		}
		usleep((useconds_t)(rand() % 12000));
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		struct run_result r = h_pith("delete", "--force", b.id, NULL);
		bool gone = r.status == 0 || strstr(r.err, "does not exist");
		cr_expect(gone, "round %d: delete --force: %s", round, r.err);
		h_result_free(&r);
		if (!leaves_nothing(&b))
			cr_assert_fail("round %d left something behind", round);
	}
	struct run_result r = h_pith("create", "--bundle", b.dir, b.id, NULL);
	cr_expect_eq(r.status, 0, "create after the kills: %s", r.err);
	h_result_free(&r);
	h_bundle_cleanup(&b);
	cr_expect(leaves_nothing(&b));
}

Test(faults, lsm_labels_the_host_cannot_apply)
{
	if (access("/sys/module/apparmor/parameters/enabled", F_OK) == 0)
		cr_skip_test("AppArmor is enabled here");
	struct bundle b;
	h_bundle_init(&b, "apparmor");
	json_object_set_new(json_object_get(b.config, "process"), "apparmorProfile", json_string("docker-default"));
	h_bundle_write(&b);
	expect_create_fails(&b, "process.apparmorProfile");
	h_bundle_cleanup(&b);
}

/* The init fails while the parent still sets up around it: the error shown
 * must be the init's (the cause), not the parent's (its consequence). */
Test(faults, missing_bind_source_is_named)
{
	struct bundle b;
	h_bundle_init(&b, "nosource");
	json_array_append_new(json_object_get(b.config, "mounts"),
			      json_pack("{s:s,s:s,s:s,s:[s]}", "destination", "/x", "type", "bind", "source",
					"/no-such-source-dir", "options", "bind"));
	h_bundle_write(&b);
	for (int i = 0; i < 5; i++)
		expect_create_fails(&b, "/no-such-source-dir");
	h_bundle_cleanup(&b);
}
