/* linux.sysctl keys: the /proc/sys path they name, and which namespace a
 * container needs of its own to be allowed to set them (runc's rules). */
#include <criterion/criterion.h>

#include <errno.h>
#include <sched.h>
#include <string.h>

#include "../../runtime/mount/rootfs.h"

static void path_is(const char *key, const char *want)
{
	char out[256];
	cr_assert_eq(sysctl_key_to_path(key, out, sizeof(out)), 0, "%s", key);
	cr_expect_str_eq(out, want, "%s", key);
}

Test(sysctl, key_to_path)
{
	path_is("net.ipv4.ip_forward", "net/ipv4/ip_forward");
	path_is("kernel.shmmax", "kernel/shmmax");
	/* sysctl(8): a key whose first separator is '/' is a path already */
	path_is("net/ipv4/conf/eth0.100/forwarding", "net/ipv4/conf/eth0.100/forwarding");
	/* dotted keys write a '.' inside a name as '/' */
	path_is("net.ipv4.conf.eth0/100.forwarding", "net/ipv4/conf/eth0.100/forwarding");
	char out[64];
	const char *bad[] = { "", ".", "net..ipv4", "net.ipv4.", ".net", "net/../../etc", "net/./x", "/net/x" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		cr_expect_eq(sysctl_key_to_path(bad[i], out, sizeof(out)), -EINVAL, "\"%s\" accepted", bad[i]);
	cr_expect_eq(sysctl_key_to_path("kernel.shmmax", out, 8), -EINVAL, "too long for the buffer");
}

static int check(const char *key, int new_ns, const char *hostname, struct pith_error *err)
{
	struct spec_kv kv = { .key = key, .value = "1" };
	struct spec s = { 0 };
	s.hostname = hostname;
	s.linux_.new_namespaces = new_ns;
	s.linux_.sysctl.v = &kv;
	s.linux_.sysctl.n = 1;
	memset(err, 0, sizeof(*err));
	return sysctl_validate(&s, err);
}

static void allowed(const char *key, int ns)
{
	struct pith_error err;
	cr_expect_eq(check(key, ns, NULL, &err), 0, "%s: %s", key, err.msg);
}

static void refused(const char *key, int ns, const char *hostname, const char *msg)
{
	struct pith_error err;
	cr_expect_lt(check(key, ns, hostname, &err), 0, "%s accepted", key);
	cr_expect(strstr(err.msg, key) && strstr(err.msg, msg) && !strncmp(err.msg, "linux.sysctl: ", 14),
		  "%s: %s", key, err.msg);
}

Test(sysctl, namespaces)
{
	const int all = CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWUTS | CLONE_NEWUSER;
	const char *ipc[] = { "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall",
			      "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced", "fs.mqueue.queues_max" };
	for (size_t i = 0; i < sizeof(ipc) / sizeof(*ipc); i++) {
		allowed(ipc[i], CLONE_NEWIPC);
		refused(ipc[i], all & ~CLONE_NEWIPC, NULL, "ipc namespace");
	}
	allowed("net.ipv4.ip_forward", CLONE_NEWNET);
	allowed("net/ipv4/conf/eth0.100/forwarding", CLONE_NEWNET);
	refused("net.core.somaxconn", all & ~CLONE_NEWNET, NULL, "network namespace");
	allowed("kernel.domainname", CLONE_NEWUTS);
	refused("kernel.domainname", all & ~CLONE_NEWUTS, NULL, "uts namespace");
	allowed("kernel.hostname", CLONE_NEWUTS);
	refused("kernel.hostname", all, "box", "conflicts with \"hostname\"");
	allowed("user.max_user_namespaces", CLONE_NEWUSER);
	refused("user.max_user_namespaces", all & ~CLONE_NEWUSER, NULL, "user namespace");
	/* host-wide parameters, whatever the namespaces */
	refused("vm.swappiness", all, NULL, "not in a separate kernel namespace");
	refused("kernel.msgmax_x", all, NULL, "not in a separate kernel namespace");
	refused("kernel.pid_max", all, NULL, "not in a separate kernel namespace");
	refused("net..x", all, NULL, "not a valid key");
}

Test(sysctl, joined_namespace_counts)
{
	struct spec_kv kv = { .key = "kernel.sem", .value = "1" };
	struct spec s = { 0 };
	s.linux_.join_namespaces = CLONE_NEWIPC;
	s.linux_.sysctl.v = &kv;
	s.linux_.sysctl.n = 1;
	struct pith_error err = { 0 };
	cr_expect_eq(sysctl_validate(&s, &err), 0, "%s", err.msg);
}

Test(sysctl, host_netns_joined_by_path_refused)
{
	struct spec_kv kv = { .key = "net.ipv4.ip_forward", .value = "1" };
	struct spec_namespace ns = { .type = CLONE_NEWNET, .name = "network", .path = "/proc/self/ns/net" };
	struct spec s = { 0 };
	s.linux_.namespaces = &ns;
	s.linux_.n_namespaces = 1;
	s.linux_.join_namespaces = CLONE_NEWNET;
	s.linux_.sysctl.v = &kv;
	s.linux_.sysctl.n = 1;
	struct pith_error err = { 0 };
	cr_expect_lt(sysctl_validate(&s, &err), 0);
	cr_expect(strstr(err.msg, "host's"), "%s", err.msg);
}
