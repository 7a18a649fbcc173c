/* The seccomp filter is the init's last step before execve, with or without
 * noNewPrivileges: a profile that denies any syscall pith itself makes while
 * setting the process up cannot break the container. The list is what
 * strace shows the init making from the user switch on (cwd, identity,
 * capabilities, exec fifo, signals, fds). */
#include <criterion/criterion.h>
#include <string.h>

#include "harness.h"

static const char *const pith_syscalls[] = {
	"getcwd", "chdir", "close_range", "close", "prctl", "capset", "capget", "setresuid", "setresgid",
	"setgroups", "write", "openat", "newfstatat", "access", "sendmsg", "rt_sigaction", "rt_sigprocmask",
};

static void run_denying(const char *name, bool no_new_privs)
{
	struct bundle b;
	h_bundle_init(&b, "seclast");
	h_bundle_set_args(&b, "true", NULL);
	json_t *proc = json_object_get(b.config, "process");
	json_object_set_new(proc, "noNewPrivileges", json_boolean(no_new_privs));
	json_object_set_new(proc, "user", json_pack("{s:i,s:i,s:[i]}", "uid", 1000, "gid", 1000, "additionalGids", 1000));
	json_object_set_new(json_object_get(b.config, "linux"), "seccomp",
			    json_pack("{s:s,s:[{s:[s],s:s,s:i}]}", "defaultAction", "SCMP_ACT_ALLOW", "syscalls", "names",
				      name, "action", "SCMP_ACT_ERRNO", "errnoRet", 1));
	h_bundle_write(&b);
	struct run_result r = h_pith("run", "--bundle", b.dir, b.id, NULL);
	cr_expect_eq(r.status, 0, "denying %s (noNewPrivileges %d) broke the container: %s", name, no_new_privs,
		     r.err);
	h_result_free(&r);
	h_bundle_cleanup(&b);
}

Test(seccomp_order, denying_a_syscall_of_pith_without_no_new_privileges)
{
	for (size_t i = 0; i < sizeof(pith_syscalls) / sizeof(*pith_syscalls); i++)
		run_denying(pith_syscalls[i], false);
}

Test(seccomp_order, denying_a_syscall_of_pith_with_no_new_privileges)
{
	for (size_t i = 0; i < sizeof(pith_syscalls) / sizeof(*pith_syscalls); i++)
		run_denying(pith_syscalls[i], true);
}

/* Held until the filter went in, CAP_SYS_ADMIN is gone after execve: the
 * process has exactly the configured capabilities. */
Test(seccomp_order, the_process_gets_only_its_configured_capabilities)
{
	struct bundle b;
	h_bundle_init(&b, "secaps");
	h_bundle_set_args(&b, "sh", "-c", "grep -E '^Cap(Eff|Prm)' /proc/self/status", NULL);
	json_t *proc = json_object_get(b.config, "process");
	json_object_set_new(proc, "noNewPrivileges", json_false());
	json_object_set_new(proc, "user", json_pack("{s:i,s:i}", "uid", 1000, "gid", 1000));
	h_bundle_write(&b);
	struct run_result r = h_pith("run", "--bundle", b.dir, b.id, NULL);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect_str_eq(r.out, "CapPrm:\t0000000000000000\nCapEff:\t0000000000000000\n");
	h_result_free(&r);
	h_bundle_cleanup(&b);
}
