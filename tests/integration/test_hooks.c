/* Hooks as runtime-spec's lifecycle has them: the state each kind reads on
 * stdin, poststart after the user process is exec'd, and poststart/poststop
 * failures as warnings that stop nothing. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

static json_t *hook(const char *script)
{
	return json_pack("{s:s,s:[s,s,s],s:[s],s:i}", "path", "/bin/sh", "args", "sh", "-c", script, "env",
			 "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "timeout", 20);
}

static void add_hook(struct bundle *b, const char *kind, const char *script)
{
	json_t *hooks = json_object_get(b->config, "hooks");
	if (!hooks) {
		hooks = json_object();
		json_object_set_new(b->config, "hooks", hooks);
	}
	json_t *list = json_object_get(hooks, kind);
	if (!list) {
		list = json_array();
		json_object_set_new(hooks, kind, list);
	}
	json_array_append_new(list, hook(script));
}

/* The container's /tmp is the bundle dir, for hooks that run after the pivot. */
static void bind_bundle_on_tmp(struct bundle *b)
{
	json_array_append_new(json_object_get(b->config, "mounts"),
			      json_pack("{s:s,s:s,s:s,s:[s,s]}", "destination", "/tmp", "type", "bind", "source",
					b->dir, "options", "rbind", "rw"));
}

static char *bundle_file(const struct bundle *b, const char *name)
{
	char *p;
	cr_assert(asprintf(&p, "%s/%s", b->dir, name) > 0);
	return p;
}

static const char *status_in(const char *path, json_t **keep)
{
	char *text = h_read_file(path);
	*keep = text ? json_loads(text, 0, NULL) : NULL;
	free(text);
	cr_assert_not_null(*keep, "%s: no state", path);
	return json_string_value(json_object_get(*keep, "status"));
}

/* runtime.md: created until the user process runs (crun passes "created" to
 * the create-time hooks), running once it does, stopped after it. */
Test(hooks, each_kind_reads_the_status_of_its_lifecycle_step)
{
	static const struct {
		const char *kind, *status;
	} kinds[] = {
		{ "prestart", "created" },      { "createRuntime", "created" }, { "createContainer", "created" },
		{ "startContainer", "created" }, { "poststart", "running" },     { "poststop", "stopped" },
	};
	struct bundle b;
	h_bundle_init(&b, "hookstatus");
	bind_bundle_on_tmp(&b);
	h_bundle_set_args(&b, "sleep", "100", NULL);
	for (size_t i = 0; i < sizeof(kinds) / sizeof(*kinds); i++) {
		char script[600];
		/* startContainer runs inside the container, after the pivot */
		snprintf(script, sizeof(script), "cat > %s/%s.json", strcmp(kinds[i].kind, "startContainer") ? b.dir : "/tmp",
			 kinds[i].kind);
		add_hook(&b, kinds[i].kind, script);
	}
	h_bundle_write(&b);
	struct run_result r = h_pith("run", "--detach", "--bundle", b.dir, b.id, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	h_result_free(&r);
	r = h_pith("delete", "--force", b.id, NULL);
	cr_expect_eq(r.status, 0, "%s", r.err);
	h_result_free(&r);
	for (size_t i = 0; i < sizeof(kinds) / sizeof(*kinds); i++) {
		char name[64];
		snprintf(name, sizeof(name), "%s.json", kinds[i].kind);
		char *path = bundle_file(&b, name);
		json_t *j;
		const char *status = status_in(path, &j);
		cr_expect_str_eq(status ? status : "(none)", kinds[i].status, "hooks.%s", kinds[i].kind);
		cr_expect_str_eq(json_string_value(json_object_get(j, "id")), b.id, "hooks.%s", kinds[i].kind);
		json_decref(j);
		free(path);
	}
	h_bundle_cleanup(&b);
}

/* config.md: poststart hooks MUST be called after the user-specified process
 * is executed. A slow startContainer hook holds the init between the fifo
 * and its execve: a poststart that runs early sees pith there, not sleep. */
Test(hooks, poststart_runs_after_the_process_is_executed)
{
	struct bundle b;
	h_bundle_init(&b, "poststartexec");
	h_bundle_set_args(&b, "sleep", "100", NULL);
	add_hook(&b, "startContainer", "sleep 1");
	char script[800];
	snprintf(script, sizeof(script),
		 "pid=$(sed -n 's/.*\"pid\":\\([0-9]*\\).*/\\1/p'); tr '\\0' ' ' < /proc/$pid/cmdline > %s/cmdline",
		 b.dir);
	add_hook(&b, "poststart", script);
	h_bundle_write(&b);
	struct run_result r = h_pith("run", "--detach", "--bundle", b.dir, b.id, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	h_result_free(&r);
	char *path = bundle_file(&b, "cmdline");
	char *cmdline = h_read_file(path);
	cr_expect_str_eq(cmdline ? cmdline : "(no poststart)", "sleep 100 ", "poststart saw the process as: %s", cmdline);
	free(cmdline);
	free(path);
	h_bundle_cleanup(&b);
}

/* runtime.md: a failing poststart hook is a warning; the remaining hooks and
 * the lifecycle continue as if it had succeeded. */
Test(hooks, failing_poststart_warns_and_the_rest_goes_on)
{
	struct bundle b;
	h_bundle_init(&b, "poststartfail");
	h_bundle_set_args(&b, "sleep", "100", NULL);
	add_hook(&b, "poststart", "exit 7");
	char script[600];
	snprintf(script, sizeof(script), "touch %s/second-ran", b.dir);
	add_hook(&b, "poststart", script);
	h_bundle_write(&b);
	struct run_result r = h_pith("create", "--bundle", b.dir, b.id, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	h_result_free(&r);
	r = h_pith("start", b.id, NULL);
	cr_expect_eq(r.status, 0, "start failed: %s", r.err);
	cr_expect(strstr(r.err, "warning: hooks.poststart[0]") != NULL, "no warning: %s", r.err);
	h_result_free(&r);
	char *path = bundle_file(&b, "second-ran");
	cr_expect(h_path_exists(path), "the second poststart hook did not run");
	free(path);
	char status[32] = "";
	cr_expect_gt(h_state(b.id, status, sizeof(status)), 0);
	cr_expect_str_eq(status, "running", "the container did not go on running");
	h_bundle_cleanup(&b);
}

/* runtime.md: a failing poststop hook is a warning; the remaining poststop
 * hooks and the delete still run. The warning goes to --log and stderr. */
Test(hooks, failing_poststop_warns_and_the_rest_and_the_delete_run)
{
	struct bundle b;
	h_bundle_init(&b, "poststopfail");
	h_bundle_set_args(&b, "sleep", "100", NULL);
	add_hook(&b, "poststop", "exit 5");
	char script[600];
	snprintf(script, sizeof(script), "touch %s/second-ran", b.dir);
	add_hook(&b, "poststop", script);
	add_hook(&b, "poststop", "kill -9 $$");
	snprintf(script, sizeof(script), "touch %s/fourth-ran", b.dir);
	add_hook(&b, "poststop", script);
	h_bundle_write(&b);
	struct run_result r = h_pith("run", "--detach", "--bundle", b.dir, b.id, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	h_result_free(&r);
	char *log = bundle_file(&b, "pith.log");
	r = h_pith("--log", log, "delete", "--force", b.id, NULL);
	cr_expect_eq(r.status, 0, "delete failed: %s", r.err);
	cr_expect(strstr(r.err, "warning: hooks.poststop[0]") != NULL, "stderr: %s", r.err);
	cr_expect(strstr(r.err, "warning: hooks.poststop[2]") != NULL, "stderr: %s", r.err);
	h_result_free(&r);
	char *text = h_read_file(log);
	cr_expect(text && strstr(text, "hooks.poststop[0]") && strstr(text, "hooks.poststop[2]"), "--log: %s",
		  text ? text : "(empty)");
	free(text);
	free(log);
	char *second = bundle_file(&b, "second-ran"), *fourth = bundle_file(&b, "fourth-ran");
	cr_expect(h_path_exists(second) && h_path_exists(fourth), "a poststop hook after a failing one did not run");
	free(second);
	free(fourth);
	char status[32] = "";
	cr_expect_eq(h_state(b.id, status, sizeof(status)), 0, "the container was not deleted");
	h_bundle_cleanup(&b);
}

/* As crun: a mountLabel a host without SELinux cannot apply is ignored with a
 * warning; with SELinux it is each filesystem mount's context=. */
Test(hooks, mount_label_without_selinux_is_a_warning)
{
	bool selinux = access("/sys/fs/selinux/enforce", F_OK) == 0;
	struct bundle b;
	h_bundle_init(&b, "mountlabel");
	json_object_set_new(json_object_get(b.config, "linux"), "mountLabel",
			    json_string("system_u:object_r:container_file_t:s0:c1,c2"));
	h_bundle_set_args(&b, "sh", "-c", "grep -c 'context=' /proc/self/mountinfo || true", NULL);
	h_bundle_write(&b);
	struct run_result r = h_pith("run", "--bundle", b.dir, b.id, NULL);
	cr_expect_eq(r.status, 0, "%s", r.err);
	if (selinux) {
		cr_expect_neq(atoi(r.out), 0, "no mount got the label");
	} else {
		cr_expect(strstr(r.err, "warning: config.json: linux.mountLabel") != NULL, "%s", r.err);
		cr_expect_str_eq(r.out, "0\n");
	}
	h_result_free(&r);
	h_bundle_cleanup(&b);
}
