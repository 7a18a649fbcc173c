/* A namespace the config leaves out (or joins by path) is the caller's: the
 * container must not change it. Each test first moves itself into private
 * mount, uts and network namespaces (so a regression harms nothing real),
 * takes a snapshot of what the caller sees there (its "/", mountinfo,
 * hostname, network devices), runs pith, and compares from its own side. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "harness.h"

struct snapshot {
	dev_t root_dev;
	ino_t root_ino;
	char *mountinfo;
	char hostname[65];
	char netdevs[1024];
};

static void take(struct snapshot *s)
{
	struct stat st;
	cr_assert_eq(stat("/", &st), 0);
	s->root_dev = st.st_dev;
	s->root_ino = st.st_ino;
	s->mountinfo = h_read_file("/proc/self/mountinfo");
	cr_assert_not_null(s->mountinfo, "/proc/self/mountinfo is gone");
	struct utsname u;
	cr_assert_eq(uname(&u), 0);
	snprintf(s->hostname, sizeof(s->hostname), "%s", u.nodename);
	s->netdevs[0] = '\0';
	struct if_nameindex *ifs = if_nameindex();
	for (struct if_nameindex *i = ifs; i && i->if_index; i++) {
		strncat(s->netdevs, i->if_name, sizeof(s->netdevs) - strlen(s->netdevs) - 2);
		strcat(s->netdevs, " ");
	}
	if (ifs)
		if_freenameindex(ifs);
}

static void expect_unchanged(const struct snapshot *before, const char *what)
{
	struct snapshot now;
	take(&now);
	cr_expect(now.root_dev == before->root_dev && now.root_ino == before->root_ino,
		  "%s: the caller's / changed", what);
	cr_expect_str_eq(now.mountinfo, before->mountinfo, "%s: the caller's mount table changed", what);
	cr_expect_str_eq(now.hostname, before->hostname, "%s: the caller's hostname changed", what);
	cr_expect_str_eq(now.netdevs, before->netdevs, "%s: the caller's network devices changed", what);
	free(now.mountinfo);
}

/* The test's own sandbox: what pith would damage by mistake is this. */
static void private_namespaces(void)
{
	cr_assert_eq(unshare(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWNET), 0, "unshare: %m");
	cr_assert_eq(mount(NULL, "/", NULL, MS_PRIVATE | MS_REC, NULL), 0, "make / rprivate: %m");
	cr_assert_eq(sethostname("pith-ns-test", 12), 0);
}

static json_t *linux_of(struct bundle *b)
{
	return json_object_get(b->config, "linux");
}

/* linux.namespaces without `type` (and, with path, joining that instead). */
static void set_namespace(struct bundle *b, const char *type, const char *path)
{
	json_t *ns = json_object_get(linux_of(b), "namespaces");
	size_t i;
	json_t *v;
	json_array_foreach(ns, i, v) {
		if (!strcmp(json_string_value(json_object_get(v, "type")), type)) {
			json_array_remove(ns, i);
			break;
		}
	}
	if (path)
		json_array_append_new(ns, json_pack("{s:s,s:s}", "type", type, "path", path));
}

/* What only a mount namespace of its own can give: gone, for configs without one. */
static void drop_rootfs_setup(struct bundle *b)
{
	json_object_set_new(b->config, "mounts", json_array());
	json_object_del(linux_of(b), "maskedPaths");
	json_object_del(linux_of(b), "readonlyPaths");
	json_object_set_new(json_object_get(b->config, "root"), "readonly", json_false());
}

static char *root_id(void)
{
	struct stat st;
	cr_assert_eq(stat("/", &st), 0);
	char *s;
	cr_assert(asprintf(&s, "%lu:%lu\n", (unsigned long)st.st_dev, (unsigned long)st.st_ino) > 0);
	return s;
}

static void run_without_mount_ns(const char *joined_path)
{
	private_namespaces();
	struct snapshot before;
	take(&before);
	struct bundle b;
	h_bundle_init(&b, joined_path ? "joinmnt" : "nomnt");
	set_namespace(&b, "mount", joined_path);
	drop_rootfs_setup(&b);
	/* as runc: no rootfs setup, so the process sees the caller's root */
	h_bundle_set_args(&b, "/bin/sh", "-c", "stat -L -c %d:%i /; cd /tmp && pwd", NULL);
	json_object_set_new(json_object_get(b.config, "process"), "cwd", json_string("/"));
	h_bundle_write(&b);
	struct run_result r = h_pith("run", "--bundle", b.dir, b.id, NULL);
	cr_expect_eq(r.status, 0, "%s", r.err);
	char *root = root_id(), *want = NULL;
	cr_assert(asprintf(&want, "%s/tmp\n", root) > 0);
	cr_expect_str_eq(r.out, want, "inside: %s", r.out);
	free(want);
	free(root);
	h_result_free(&r);
	h_bundle_cleanup(&b);
	expect_unchanged(&before, "no mount namespace");
	free(before.mountinfo);
}

Test(namespaces, without_a_mount_namespace_no_rootfs_setup_is_done)
{
	run_without_mount_ns(NULL);
}

Test(namespaces, a_joined_mount_namespace_is_not_set_up_either)
{
	run_without_mount_ns("/proc/self/ns/mnt");
}

/* Each field that needs rootfs setup, alone, is refused by name. */
Test(namespaces, without_a_mount_namespace_rootfs_fields_are_refused)
{
	private_namespaces();
	struct snapshot before;
	take(&before);
	static const char *const fields[] = { "mounts", "linux.maskedPaths", "linux.readonlyPaths",
					      "root.readonly", "linux.rootfsPropagation", "linux.devices" };
	for (size_t f = 0; f < sizeof(fields) / sizeof(*fields); f++) {
		struct bundle b;
		h_bundle_init(&b, "nomntref");
		set_namespace(&b, "mount", NULL);
		drop_rootfs_setup(&b);
		json_t *l = linux_of(&b);
		switch (f) {
		case 0: json_array_append_new(json_object_get(b.config, "mounts"),
					      json_pack("{s:s,s:s,s:s}", "destination", "/proc", "type", "proc",
							"source", "proc"));
			break;
		case 1: json_object_set_new(l, "maskedPaths", json_pack("[s]", "/proc/kcore")); break;
		case 2: json_object_set_new(l, "readonlyPaths", json_pack("[s]", "/proc/sys")); break;
		case 3: json_object_set_new(json_object_get(b.config, "root"), "readonly", json_true()); break;
		case 4: json_object_set_new(l, "rootfsPropagation", json_string("private")); break;
		case 5: json_object_set_new(l, "devices", json_pack("[{s:s,s:s,s:i,s:i}]", "path", "/dev/fuse",
								    "type", "c", "major", 10, "minor", 229));
			break;
		}
		h_bundle_set_args(&b, "/bin/true", NULL);
		h_bundle_write(&b);
		struct run_result r = h_pith("create", "--bundle", b.dir, b.id, NULL);
		cr_expect_neq(r.status, 0, "%s accepted without a mount namespace", fields[f]);
		char want[128];
		snprintf(want, sizeof(want), "%s: needs a mount namespace of the container's own", fields[f]);
		cr_expect(strstr(r.err, want) != NULL, "%s: %s", fields[f], r.err);
		char status[32] = "";
		cr_expect_eq(h_state(b.id, status, sizeof(status)), 0, "%s: a container was left", fields[f]);
		h_result_free(&r);
		h_bundle_cleanup(&b);
	}
	expect_unchanged(&before, "refused configs");
	free(before.mountinfo);
}

/* Every other namespace left out: a full container runs, the caller's
 * namespaces of that kind come out as they went in. */
Test(namespaces, each_other_missing_namespace_leaves_the_caller_alone)
{
	private_namespaces();
	struct snapshot before;
	take(&before);
	static const char *const types[] = { "pid", "network", "ipc", "uts", "cgroup" };
	for (size_t t = 0; t < sizeof(types) / sizeof(*types); t++) {
		struct bundle b;
		h_bundle_init(&b, "nsmiss");
		set_namespace(&b, types[t], NULL);
		if (!strcmp(types[t], "uts"))
			json_object_del(b.config, "hostname");
		h_bundle_set_args(&b, "sh", "-c", "hostname; cat /proc/self/mountinfo >/dev/null", NULL);
		h_bundle_write(&b);
		struct run_result r = h_pith("run", "--bundle", b.dir, b.id, NULL);
		cr_expect_eq(r.status, 0, "without %s: %s", types[t], r.err);
		cr_expect_str_eq(r.out, strcmp(types[t], "uts") ? "pith\n" : "pith-ns-test\n", "without %s", types[t]);
		h_result_free(&r);
		h_bundle_cleanup(&b);
		expect_unchanged(&before, types[t]);
	}
	free(before.mountinfo);
}

/* What only a namespace of its own may change: refused by name, nothing done. */
Test(namespaces, settings_for_a_missing_namespace_are_refused)
{
	private_namespaces();
	struct snapshot before;
	take(&before);
	struct {
		const char *ns, *key;
		json_t *value;
		const char *want;
	} cases[] = {
		{ "uts", "hostname", json_string("renamed"), "hostname: needs a uts namespace" },
		{ "network", "sysctl", json_pack("{s:s}", "net.ipv4.ip_forward", "1"),
		  "\"net.ipv4.ip_forward\" needs a network namespace" },
		{ "ipc", "sysctl", json_pack("{s:s}", "kernel.shmmax", "65536"), "\"kernel.shmmax\" needs a ipc namespace" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct bundle b;
		h_bundle_init(&b, "nsref");
		set_namespace(&b, cases[i].ns, NULL);
		json_object_set_new(!strcmp(cases[i].key, "hostname") ? b.config : linux_of(&b), cases[i].key,
				    cases[i].value);
		h_bundle_set_args(&b, "/bin/true", NULL);
		h_bundle_write(&b);
		struct run_result r = h_pith("run", "--bundle", b.dir, b.id, NULL);
		cr_expect_neq(r.status, 0, "%s accepted without a %s namespace", cases[i].key, cases[i].ns);
		cr_expect(strstr(r.err, cases[i].want) != NULL, "%s", r.err);
		h_result_free(&r);
		h_bundle_cleanup(&b);
	}
	expect_unchanged(&before, "refused settings");
	free(before.mountinfo);
}
