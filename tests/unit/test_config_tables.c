/* The name tables used by the parser and `pith features`. The lookups use
 * bsearch, so finding every listed name back also proves the tables are
 * sorted. */
#include <criterion/criterion.h>

#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>

#include "../../config/parse_internal.h"

/* The numbers themselves are pinned in test_tables_fixed.c. */
Test(config_tables, capability_bounds)
{
	cr_assert_eq(spec_capability_last(), 40);
	cr_assert_null(spec_capability_name(41));
	cr_assert_null(spec_capability_name(-1));
	cr_assert_eq(spec_capability_from_name("CAP_"), -1);
	cr_assert_eq(spec_capability_from_name("CHOWN"), -1);
	cr_assert_eq(spec_capability_from_name("cap_chown"), -1);
}

Test(config_tables, rlimits)
{
	cr_assert_eq(spec_rlimit_from_name("RLIMIT_NOFILE"), RLIMIT_NOFILE);
	cr_assert_eq(spec_rlimit_from_name("RLIMIT_RTTIME"), RLIMIT_RTTIME);
	cr_assert_eq(spec_rlimit_from_name("RLIMIT_AS"), RLIMIT_AS);
	cr_assert_eq(spec_rlimit_from_name("RLIMIT_nofile"), -1);
	cr_assert_eq(spec_rlimit_from_name("NOFILE"), -1);
}

Test(config_tables, namespace_names_the_spec_does_not_use)
{
	cr_assert_eq(spec_namespace_from_name("net"), 0);
	cr_assert_eq(spec_namespace_from_name("Network"), 0);
	cr_assert_null(spec_namespace_name(CLONE_VM));
}

Test(config_tables, every_listed_mount_option_is_found)
{
	size_t n = 0;
	for (const char *const *p = spec_mount_option_names; *p; p++, n++) {
		const struct mount_opt *o = mount_option_lookup(*p);
		cr_assert_not_null(o, "%s listed but not found (table out of order?)", *p);
		cr_assert_str_eq(o->name, *p);
		if (n > 0)
			cr_assert_lt(strcmp(spec_mount_option_names[n - 1], *p), 0, "%s out of order", *p);
	}
	cr_assert_eq(n, mount_option_count());
}

Test(config_tables, runc_and_crun_mount_options_are_known)
{
	const char *opts[] = {
		"ro", "rw", "bind", "rbind", "suid", "nosuid", "dev", "nodev", "exec", "noexec", "sync",
		"async", "dirsync", "remount", "mand", "nomand", "atime", "noatime", "diratime",
		"nodiratime", "relatime", "norelatime", "strictatime", "nostrictatime", "lazytime",
		"nolazytime", "silent", "loud", "iversion", "noiversion", "shared", "rshared", "slave",
		"rslave", "private", "rprivate", "unbindable", "runbindable", "rro", "rrw", "rnosuid",
		"rsuid", "rnodev", "rdev", "rnoexec", "rexec", "rnoatime", "ratime", "rrelatime",
		"rnorelatime", "rstrictatime", "rnosymfollow", "rsymfollow", "nosymfollow", "symfollow",
		"idmap", "ridmap", "tmpcopyup",
	};
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		cr_assert_not_null(mount_option_lookup(opts[i]), "%s", opts[i]);
	cr_assert_null(mount_option_lookup("mode=755"));
	cr_assert_null(mount_option_lookup("RO"));
}

Test(config_tables, propagation)
{
	cr_assert_eq(propagation_from_name("rshared"), MS_SHARED | MS_REC);
	cr_assert_eq(propagation_from_name("slave"), MS_SLAVE);
	cr_assert_eq(propagation_from_name("nosuid"), 0);
	cr_assert_eq(propagation_from_name("bogus"), 0);
}

Test(config_tables, names_of_hooks_and_unknown_seccomp_names)
{
	cr_assert_str_eq(spec_hook_names[SPEC_HOOK_CREATE_RUNTIME], "createRuntime");
	cr_assert_str_eq(spec_hook_names[SPEC_HOOK_POSTSTOP], "poststop");
	/* What each seccomp name means is pinned through the compiler in
	 * test_seccomp.c (seccomp_names); here only names that mean nothing. */
	cr_assert_eq(seccomp_action_from_name("SCMP_ACT_KILL_ALL"), -1);
	cr_assert_eq(seccomp_op_from_name("SCMP_CMP_MASKED_NE"), -1);
	cr_assert_eq(seccomp_flag_from_name("SECCOMP_FILTER_FLAG_NEW_LISTENER"), 0);
}
