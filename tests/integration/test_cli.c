/* The command line as scripts and clients use it: spec, features, version,
 * help, option forms, netDevices through a real create. */
#include <criterion/criterion.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

Test(cli, version_and_help)
{
	struct run_result r = h_pith("--version", NULL);
	cr_expect_eq(r.status, 0);
	cr_expect(strncmp(r.out, "pith version ", 13) == 0, "%s", r.out);
	cr_expect(strstr(r.out, "spec: 1.3.0"), "%s", r.out);
	h_result_free(&r);
	const char *cmds[] = { "create", "run", "exec", "kill", "delete", "update", "events", "spec", "check" };
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		r = h_pith(cmds[i], "--help", NULL);
		cr_expect_eq(r.status, 0, "%s --help: %s", cmds[i], r.err);
		cr_expect(strstr(r.out, "usage: pith"), "%s --help: %s", cmds[i], r.out);
		h_result_free(&r);
	}
}

Test(cli, features_come_from_the_runtime_tables)
{
	struct run_result r = h_pith("features", NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	json_t *f = json_loads(r.out, 0, NULL);
	cr_assert_not_null(f, "%s", r.out);
	cr_expect_str_eq(json_string_value(json_object_get(f, "ociVersionMax")), "1.3.0");
	json_t *hooks = json_object_get(f, "hooks");
	cr_expect_eq(json_array_size(hooks), 6);
	json_t *linux_ = json_object_get(f, "linux");
	json_t *ns = json_object_get(linux_, "namespaces");
	bool time_ns = false;
	for (size_t i = 0; i < json_array_size(ns); i++)
		time_ns |= strcmp(json_string_value(json_array_get(ns, i)), "time") == 0;
	cr_expect(time_ns, "time namespace missing from features");
	cr_expect_geq(json_array_size(json_object_get(linux_, "capabilities")), 41);
	json_t *sc = json_object_get(linux_, "seccomp");
	cr_expect(json_is_true(json_object_get(sc, "enabled")));
	cr_expect_eq(json_array_size(json_object_get(sc, "operators")), 7);
	json_t *opts = json_object_get(f, "mountOptions");
	bool rro = false;
	for (size_t i = 0; i < json_array_size(opts); i++)
		rro |= strcmp(json_string_value(json_array_get(opts, i)), "rro") == 0;
	cr_expect(rro, "mountOptions lacks rro");
	json_decref(f);
	h_result_free(&r);
}

Test(cli, spec_writes_a_config_and_refuses_to_overwrite)
{
	char dir[] = "/tmp/pith-spec-XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	struct run_result r = h_pith("spec", "--bundle", dir, NULL);
	cr_expect_eq(r.status, 0, "%s", r.err);
	h_result_free(&r);
	char path[128];
	snprintf(path, sizeof(path), "%s/config.json", dir);
	json_t *c = json_load_file(path, 0, NULL);
	cr_assert_not_null(c);
	cr_expect_str_eq(json_string_value(json_object_get(json_object_get(c, "root"), "path")), "rootfs");
	json_decref(c);
	r = h_pith("spec", "--bundle", dir, NULL);
	cr_expect_eq(r.status, 1);
	cr_expect(strstr(r.err, "config.json"), "%s", r.err);
	h_result_free(&r);
	r = h_pith("spec", "--rootless", "--bundle=/nonexistent-dir", NULL);
	cr_expect_eq(r.status, 1);
	h_result_free(&r);
	unlink(path);
	rmdir(dir);
}

Test(cli, option_forms)
{
	struct bundle b;
	h_bundle_init(&b, "optforms");
	h_bundle_set_args(&b, "true", NULL);
	h_bundle_write(&b);
	char opt[400];
	snprintf(opt, sizeof(opt), "--bundle=%s", b.dir);
	struct run_result r = h_pith("run", opt, b.id, NULL);
	cr_expect_eq(r.status, 0, "--bundle=DIR: %s", r.err);
	h_result_free(&r);
	r = h_pith("run", "-b", b.dir, b.id, NULL);
	cr_expect_eq(r.status, 0, "-b DIR: %s", r.err);
	h_result_free(&r);
	h_bundle_cleanup(&b);
}

/* --config (crun's option): another file than DIR/config.json, relative to
 * the bundle or absolute; the bundle reported stays DIR. */
Test(cli, config_option_reads_that_file_and_keeps_the_bundle)
{
	struct bundle b;
	h_bundle_init(&b, "cfgopt");
	h_bundle_set_args(&b, "sh", "-c", "echo from-config.json", NULL);
	h_bundle_write(&b);
	h_bundle_set_args(&b, "sh", "-c", "echo from-alt", NULL);
	char alt[300];
	snprintf(alt, sizeof(alt), "%s/alt.json", b.dir);
	cr_assert_eq(json_dump_file(b.config, alt, 0), 0);
	struct run_result r = h_pith("run", "-b", b.dir, "--config", "alt.json", b.id, NULL);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect_str_eq(r.out, "from-alt\n");
	h_result_free(&r);
	r = h_pith("create", "-b", b.dir, "-f", alt, b.id, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	h_result_free(&r);
	r = h_pith("state", b.id, NULL);
	json_t *st = json_loads(r.out, 0, NULL);
	char dir[PATH_MAX];
	cr_assert(st && realpath(b.dir, dir));
	cr_expect_str_eq(json_string_value(json_object_get(st, "bundle")), dir);
	json_decref(st);
	h_result_free(&r);
	r = h_pith("delete", "--force", b.id, NULL);
	h_result_free(&r);
	r = h_pith("run", "-b", b.dir, "--config", "missing.json", b.id, NULL);
	cr_expect_eq(r.status, 1);
	cr_expect(strstr(r.err, "missing.json"), "the error does not name the file: %s", r.err);
	h_result_free(&r);
	h_bundle_cleanup(&b);
}

/* linux.netDevices: a dummy interface moves into the container with its
 * address, renamed. pith itself runs in a private netns, so the machine's
 * own interfaces are never touched. */
static char ns[64];

static void drop_netns(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "ip netns del %s 2>/dev/null", ns);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove netns %s\n", ns);
}

Test(cli, net_devices_move_into_the_container, .fini = drop_netns)
{
	char cmd[512];
	snprintf(ns, sizeof(ns), "pith-test-nd-%d", (int)getpid());
	snprintf(cmd, sizeof(cmd),
		 "ip netns add %s && ip -n %s link add pt-dummy0 type veth peer name pt-peer0 && "
		 "ip -n %s addr add 10.200.0.1/24 dev pt-dummy0", ns, ns, ns);
	cr_assert_eq(system(cmd), 0, "setting up the test netns");
	struct bundle b;
	h_bundle_init(&b, "netdev");
	json_object_set_new(json_object_get(b.config, "linux"), "netDevices",
			    json_pack("{s:{s:s}}", "pt-dummy0", "name", "eth7"));
	h_bundle_set_args(&b, "sh", "-c", "ip -o addr show eth7; cat /sys/class/net/eth7/operstate", NULL);
	h_bundle_write(&b);
	/* nsenter, not "ip netns exec": that one remounts /sys and hides the cgroups */
	char netarg[128];
	snprintf(netarg, sizeof(netarg), "--net=/run/netns/%s", ns);
	char *argv[] = { "/usr/bin/nsenter", netarg, (char *)h_bin("pith"), "--root", (char *)h_root(),
			 "run", "--bundle", b.dir, b.id, NULL };
	struct run_result r = h_run(argv, 30);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, "eth7") && strstr(r.out, "10.200.0.1/24"), "inside: %s", r.out);
	h_result_free(&r);
	/* a device that does not exist: a clear error naming it */
	json_object_set_new(json_object_get(b.config, "linux"), "netDevices",
			    json_pack("{s:{}}", "pt-missing9"));
	h_bundle_write(&b);
	r = h_run(argv, 30);
	cr_expect_eq(r.status, 1);
	cr_expect(strstr(r.err, "pt-missing9"), "%s", r.err);
	h_result_free(&r);
	h_bundle_cleanup(&b);
}
