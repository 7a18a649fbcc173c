/* spec and features: what pith would write, and what it supports, both built
 * from the same tables the parser and the runtime use. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../config/spec.h"
#include "../cleanup.h"
#include "commands.h"

int cmd_spec(struct pith_globals *g, int argc, char **argv, struct pith_error *err)
{
	static const struct option opts[] = {
		{ "rootless", no_argument, NULL, 'r' }, { "bundle", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' }, { 0 } };
	bool rootless = false;
	const char *bundle = ".";
	int ch;
	while ((ch = getopt_long(argc, argv, "+b:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'r': rootless = true; break;
		case 'b': bundle = optarg; break;
		case 'h':
			fputs("usage: pith spec [--rootless] [--bundle DIR]\n\n"
			      "Write a default config.json into DIR (default: the current directory).\n", stdout);
			return 0;
		default: return pith_usage_error(err, "spec", "unknown option \"%s\"", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return pith_usage_error(err, "spec", "unexpected argument \"%s\"", argv[optind]);
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/config.json", bundle);
	if (access(path, F_OK) == 0)
		return pith_fail(err, EEXIST, "%s", path);
	json_t *cfg = spec_default_config(rootless);
	if (!cfg)
		return pith_fail(err, ENOMEM, "default config");
	int r = json_dump_file(cfg, path, JSON_INDENT(2));
	json_decref(cfg);
	if (r < 0)
		return pith_fail(err, errno ? errno : EIO, "%s", path);
	return 0;
}

static json_t *strings(const char *const *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n && v[i]; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static json_t *namespaces(void)
{
	static const int all[] = { CLONE_NEWCGROUP, CLONE_NEWIPC, CLONE_NEWNS, CLONE_NEWNET, CLONE_NEWPID,
				   0x80 /* CLONE_NEWTIME */, CLONE_NEWUSER, CLONE_NEWUTS };
	json_t *a = json_array();
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		json_array_append_new(a, json_string(spec_namespace_name(all[i])));
	return a;
}

static json_t *capabilities(void)
{
	json_t *a = json_array();
	for (int c = 0; c <= spec_capability_last(); c++) {
		const char *n = spec_capability_name(c);
		if (n)
			json_array_append_new(a, json_string(n));
	}
	return a;
}

static json_t *seccomp_features(void)
{
	static const char *const archs[] = {
		"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM", "SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32",
		"SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64",
		"SCMP_ARCH_PPC", "SCMP_ARCH_PPC64", "SCMP_ARCH_PPC64LE", "SCMP_ARCH_RISCV64",
		"SCMP_ARCH_S390", "SCMP_ARCH_S390X",
	};
	static const char *const flags[] = {
		"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
		"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
	};
	json_t *s = json_object();
	json_object_set_new(s, "enabled", json_true());
	json_object_set_new(s, "actions", strings(spec_seccomp_action_names, SPEC_SCMP_ACT__COUNT));
	json_object_set_new(s, "operators", strings(spec_seccomp_op_names, SPEC_SCMP_CMP__COUNT));
	json_t *a = json_array();
	for (size_t i = 0; i < sizeof(archs) / sizeof(archs[0]); i++)
		if (seccomp_arch_resolve_name(archs[i] + strlen("SCMP_ARCH_")) ||
		    seccomp_arch_resolve_name(archs[i]))
			json_array_append_new(a, json_string(archs[i]));
	json_object_set_new(s, "archs", a);
	json_object_set_new(s, "knownFlags", strings(flags, 4));
	json_object_set_new(s, "supportedFlags", strings(flags, 4));
	return s;
}

static json_t *enabled(bool on)
{
	return json_pack("{s:b}", "enabled", on);
}

int cmd_features(struct pith_globals *g, int argc, char **argv, struct pith_error *err)
{
	if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs("usage: pith features\n\nPrint the runtime-spec features document.\n", stdout);
		return 0;
	}
	if (argc > 1)
		return pith_usage_error(err, "features", "unexpected argument \"%s\"", argv[1]);
	size_t n_mount = 0;
	while (spec_mount_option_names[n_mount])
		n_mount++;
	json_t *linux_ = json_object();
	json_object_set_new(linux_, "namespaces", namespaces());
	json_object_set_new(linux_, "capabilities", capabilities());
	json_object_set_new(linux_, "cgroup",
			    json_pack("{s:b,s:b,s:b,s:b,s:b}", "v1", 1, "v2", 1, "systemd", 0, "systemdUser", 0,
				      "rdma", 1));
	json_object_set_new(linux_, "seccomp", seccomp_features());
	json_object_set_new(linux_, "apparmor", enabled(false));
	json_object_set_new(linux_, "selinux", enabled(false));
	json_object_set_new(linux_, "intelRdt", enabled(false));
	json_object_set_new(linux_, "memoryPolicy", enabled(false));
	json_object_set_new(linux_, "mountExtensions", json_pack("{s:{s:b}}", "idmap", "enabled", 1));
	json_object_set_new(linux_, "netDevices", enabled(true));
	json_t *f = json_object();
	json_object_set_new(f, "ociVersionMin", json_string("1.0.0"));
	json_object_set_new(f, "ociVersionMax", json_string("1.3.0"));
	json_object_set_new(f, "hooks", strings(spec_hook_names, SPEC_HOOK__COUNT));
	json_object_set_new(f, "mountOptions", strings(spec_mount_option_names, n_mount));
	json_object_set_new(f, "linux", linux_);
	json_object_set_new(f, "annotations", json_pack("{s:s,s:s}", "io.github.pith.version", PITH_VERSION,
							 "io.github.pith.commit", PITH_COMMIT));
	char *text = json_dumps(f, JSON_INDENT(2));
	json_decref(f);
	if (!text)
		return pith_fail(err, ENOMEM, "features");
	puts(text);
	free(text);
	return 0;
}
