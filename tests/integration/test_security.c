/* Security, as root: seccomp (custom errno, the default profile, the
 * listener), capabilities, no_new_privs and setuid, and the escape classes of
 * runc's CVEs (symlinked mount destinations, leaked fds, cwd through
 * /proc/self/fd, /proc/<pid>/exe of pith's own image). Every test runs a real
 * container and looks from outside or through a static helper inside. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "harness.h"
#include "sec_helpers.h"

/* lsm_list_modules (Linux 6.8, same number on every architecture's generic
 * table): the kernel has it, the default profile does not know it. */
#define NR_UNKNOWN_TO_PROFILE 461

static void set_user(struct bundle *b, int uid, int gid)
{
	json_object_set_new(json_object_get(b->config, "process"), "user", json_pack("{s:i,s:i}", "uid", uid, "gid", gid));
}

static void set_caps(struct bundle *b, json_t *all, json_t *ambient)
{
	json_t *c = json_pack("{s:O,s:O,s:O,s:O}", "bounding", all, "effective", all, "permitted", all,
			      "inheritable", all);
	if (ambient)
		json_object_set(c, "ambient", ambient);
	json_object_set_new(json_object_get(b->config, "process"), "capabilities", c);
	json_decref(all);
	json_decref(ambient);
}

static struct run_result helper(struct bundle *b, const char *a1, const char *a2, const char *a3)
{
	h_bundle_set_args(b, "/bin/sec-helper", a1, a2, a3, NULL);
	h_bundle_write(b);
	return h_pith("run", "--bundle", b->dir, b->id, NULL);
}

static void nr(char *buf, size_t len, long n)
{
	snprintf(buf, len, "%ld", n);
}

/* ---------- seccomp ---------- */

Test(security, seccomp_blocked_syscall_returns_configured_errno)
{
	struct bundle b;
	h_bundle_init(&b, "scerrno");
	sec_private_rootfs(&b);
	/* getcwd always refused with 42; getpriority only for which == 1 (args) */
	json_object_set_new(json_object_get(b.config, "linux"), "seccomp",
		json_pack("{s:s,s:[s],s:[{s:[s],s:s,s:i},{s:[s],s:s,s:i,s:[{s:i,s:i,s:s}]}]}",
			  "defaultAction", "SCMP_ACT_ALLOW", "architectures", "SCMP_ARCH_X86_64",
			  "syscalls", "names", "getcwd", "action", "SCMP_ACT_ERRNO", "errnoRet", 42,
			  "names", "getpriority", "action", "SCMP_ACT_ERRNO", "errnoRet", 43,
			  "args", "index", 0, "value", 1, "op", "SCMP_CMP_EQ"));
	char cwd[32], prio[32], script[256];
	nr(cwd, sizeof(cwd), SYS_getcwd);
	nr(prio, sizeof(prio), SYS_getpriority);
	snprintf(script, sizeof(script),
		 "/bin/sec-helper sys %s 0 0; /bin/sec-helper sys %s 1 0; /bin/sec-helper sys %s 0 0", cwd, prio, prio);
	struct run_result r = sec_run_sh(&b, script);
	cr_expect_eq(r.status, 0, "%s", r.err);
	/* getpriority(PRIO_PROCESS=0, self) is allowed and returns 20 - nice */
	cr_expect_str_eq(r.out, "-1 42\n-1 43\n20 0\n");
	h_result_free(&r);
	h_bundle_cleanup(&b);
}

Test(security, default_profile_blocks_keyrings_enosys_for_unknown_allows_normal_work)
{
	struct bundle b;
	h_bundle_init(&b, "scdefault");
	sec_private_rootfs(&b);
	json_array_append_new(json_object_get(b.config, "mounts"),
			      json_pack("{s:s,s:s,s:s}", "destination", "/tmp", "type", "tmpfs", "source", "tmpfs"));
	char script[1024];
	snprintf(script, sizeof(script),
		 "/bin/sec-helper sys %ld 0 0 0 0; /bin/sec-helper sys %ld 0 0 0 0 0; "
		 "/bin/sec-helper sys %d 0 0 0; /bin/sec-helper sys %ld 0 0; "
		 /* an ordinary workload: pipes, fork/exec, files, time, sleep, signals */
		 "echo abc | sed s/b/X/ | tr a-z A-Z; mkdir /tmp/d && echo hi > /tmp/d/f && cat /tmp/d/f; "
		 "sleep 0.05 & wait; date +%%Y >/dev/null && echo date-ok; ls / | grep -c bin; "
		 "grep -E '^(Seccomp|NoNewPrivs):' /proc/self/status",
		 (long)SYS_keyctl, (long)SYS_add_key, NR_UNKNOWN_TO_PROFILE, (long)SYS_clone3);
	struct run_result r = sec_run_sh(&b, script);
	cr_expect_eq(r.status, 0, "%s", r.err);
	/* keyctl/add_key EPERM (1); unknown and clone3 ENOSYS (38), so glibc falls back */
	cr_expect_str_eq(r.out, "-1 1\n-1 1\n-1 38\n-1 38\nAXC\nhi\ndate-ok\n2\nNoNewPrivs:\t1\nSeccomp:\t2\n");
	h_result_free(&r);
	h_bundle_cleanup(&b);
}

struct agent {
	char path[300];
	int lfd;
	char state[8192];
	int handled_nr;
	int ok;
};

/* A seccomp agent: receives the listener fd and the containerProcessState,
 * answers one notification with 4242. */
static void *agent_main(void *arg)
{
	struct agent *ag = arg;
	struct pollfd p = { .fd = ag->lfd, .events = POLLIN };
	if (poll(&p, 1, 20000) != 1)
		return NULL;
	int conn = accept4(ag->lfd, NULL, NULL, SOCK_CLOEXEC);
	if (conn < 0)
		return NULL;
	char cbuf[CMSG_SPACE(sizeof(int) * 4)];
	struct iovec iov = { .iov_base = ag->state, .iov_len = sizeof(ag->state) - 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	ssize_t n = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
	close(conn);
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	if (n <= 0 || !c || c->cmsg_type != SCM_RIGHTS)
		return NULL;
	ag->state[n] = '\0';
	int fd;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	struct seccomp_notif req;
	memset(&req, 0, sizeof(req));
	struct pollfd pn = { .fd = fd, .events = POLLIN };
	if (poll(&pn, 1, 20000) == 1 && ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &req) == 0) {
		ag->handled_nr = req.data.nr;
		struct seccomp_notif_resp resp = { .id = req.id, .val = 4242, .error = 0, .flags = 0 };
		ag->ok = ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp) == 0;
	}
	close(fd);
	return NULL;
}

Test(security, seccomp_listener_end_to_end)
{
	struct bundle b;
	h_bundle_init(&b, "sclisten");
	sec_private_rootfs(&b);
	static struct agent ag;
	memset(&ag, 0, sizeof(ag));
	snprintf(ag.path, sizeof(ag.path), "%s/agent.sock", b.dir);
	ag.lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	cr_assert_lt(strlen(ag.path), sizeof(addr.sun_path));
	memcpy(addr.sun_path, ag.path, strlen(ag.path) + 1);
	cr_assert_eq(bind(ag.lfd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	cr_assert_eq(listen(ag.lfd, 1), 0);
	pthread_t t;
	cr_assert_eq(pthread_create(&t, NULL, agent_main, &ag), 0);
	json_object_set_new(json_object_get(b.config, "linux"), "seccomp",
		json_pack("{s:s,s:s,s:s,s:[{s:[s],s:s}]}", "defaultAction", "SCMP_ACT_ALLOW",
			  "listenerPath", ag.path, "listenerMetadata", "agent-meta-1",
			  "syscalls", "names", "sethostname", "action", "SCMP_ACT_NOTIFY"));
	char sh[32];
	nr(sh, sizeof(sh), SYS_sethostname);
	h_bundle_set_args(&b, "/bin/sec-helper", "sys", sh, "0", "0", NULL);
	h_bundle_write(&b);
	struct run_result r = h_pith("run", "--bundle", b.dir, b.id, NULL);
	pthread_join(t, NULL);
	close(ag.lfd);
	cr_expect_eq(r.status, 0, "%s", r.err);
	/* without the agent's answer sethostname(NULL, 0) would fail (no CAP_SYS_ADMIN) */
	cr_expect_str_eq(r.out, "4242 0\n", "%s", r.err);
	cr_expect_eq(ag.handled_nr, SYS_sethostname);
	cr_expect(ag.ok);
	json_t *st = json_loads(ag.state, 0, NULL);
	cr_assert_not_null(st, "agent got: %s", ag.state);
	cr_expect_str_eq(json_string_value(json_object_get(st, "metadata")), "agent-meta-1", "%s", ag.state);
	cr_expect_str_eq(json_string_value(json_array_get(json_object_get(st, "fds"), 0)), "seccompFd", "%s", ag.state);
	cr_expect_gt(json_integer_value(json_object_get(st, "pid")), 0, "%s", ag.state);
	cr_expect_str_eq(json_string_value(json_object_get(json_object_get(st, "state"), "id")), b.id, "%s", ag.state);
	json_decref(st);
	h_result_free(&r);
	h_bundle_cleanup(&b);
}

/* ---------- capabilities ---------- */

Test(security, capabilities_of_a_non_root_user_with_ambient)
{
	struct bundle b;
	h_bundle_init(&b, "capamb");
	sec_private_rootfs(&b);
	set_user(&b, 1000, 1000);
	set_caps(&b, json_pack("[s,s,s]", "CAP_NET_RAW", "CAP_KILL", "CAP_CHOWN"),
		 json_pack("[s,s]", "CAP_NET_RAW", "CAP_KILL"));
	struct run_result r = sec_run_sh(&b, "grep -E '^(Uid|Cap)' /proc/self/status; /bin/sec-helper raw");
	cr_expect_eq(r.status, 0, "%s", r.err);
	/* CHOWN(0) KILL(5) NET_RAW(13); the ambient set survives execve as uid 1000 */
	cr_expect_str_eq(r.out, "Uid:\t1000\t1000\t1000\t1000\n"
		"CapInh:\t0000000000002021\nCapPrm:\t0000000000002020\nCapEff:\t0000000000002020\n"
		"CapBnd:\t0000000000002021\nCapAmb:\t0000000000002020\nok\n");
	h_result_free(&r);
	h_bundle_cleanup(&b);
}

Test(security, raw_socket_needs_cap_net_raw)
{
	struct bundle b;
	h_bundle_init(&b, "capraw");
	sec_private_rootfs(&b);
	/* the default spec (root, no CAP_NET_RAW) */
	struct run_result r = helper(&b, "raw", NULL, NULL);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect_str_eq(r.out, "errno 1\n");
	h_result_free(&r);
	/* granted: the same call works */
	set_caps(&b, json_pack("[s]", "CAP_NET_RAW"), NULL);
	r = helper(&b, "raw", NULL, NULL);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect_str_eq(r.out, "ok\n");
	h_result_free(&r);
	/* busybox ping too (a raw ICMP socket to the container's own lo) */
	r = sec_run_sh(&b, "ping -c1 -W2 127.0.0.1 >/dev/null && echo ping-ok");
	cr_expect_str_eq(r.out, "ping-ok\n", "%s", r.err);
	h_result_free(&r);
	h_bundle_cleanup(&b);
}

/* ---------- no_new_privs and setuid ---------- */

Test(security, no_new_privs_and_a_setuid_binary)
{
	struct bundle b;
	h_bundle_init(&b, "nnp");
	const char *rootfs = sec_private_rootfs(&b);
	cr_assert(sec_system("cp '%s/bin/sec-helper' '%s/bin/suid-helper' && chown 0:0 '%s/bin/suid-helper' && "
			     "chmod 4755 '%s/bin/suid-helper'", rootfs, rootfs, rootfs, rootfs));
	set_user(&b, 1000, 1000);
	json_t *p = json_object_get(b.config, "process");
	json_object_set_new(p, "noNewPrivileges", json_true());
	struct run_result r = sec_run_sh(&b, "grep NoNewPrivs /proc/self/status; /bin/suid-helper ids");
	cr_expect_eq(r.status, 0, "%s", r.err);
	/* with no_new_privs the setuid bit does nothing */
	cr_expect_str_eq(r.out, "NoNewPrivs:\t1\n1000 0000000000000000\n");
	h_result_free(&r);
	/* without it, setuid root works, but gains no capability outside the
	 * bounding set of the config (AUDIT_WRITE, KILL, NET_BIND_SERVICE), and
	 * the default seccomp filter (installed while pith still had
	 * CAP_SYS_ADMIN) stays on */
	json_object_set_new(p, "noNewPrivileges", json_false());
	r = sec_run_sh(&b, "grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status; /bin/suid-helper ids");
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect_str_eq(r.out, "NoNewPrivs:\t0\nSeccomp:\t2\n0 0000000020000420\n");
	h_result_free(&r);
	h_bundle_cleanup(&b);
}

/* ---------- escapes ---------- */

Test(security, symlinked_mount_destinations_stay_inside)
{
	struct bundle b;
	h_bundle_init(&b, "symesc");
	const char *rootfs = sec_private_rootfs(&b);
	/* ../../ from <bundle>/rootfs is /tmp on the host */
	cr_assert(sec_system("ln -s / '%s/evil-abs' && ln -s ../../ '%s/evil-rel' && ln -s ../../../../../.. '%s/tmp/deep'",
			     rootfs, rootfs, rootfs));
	char n1[64], n2[64], n3[64], host1[128], host2[128], host3[128];
	snprintf(n1, sizeof(n1), "pith-esc-abs-%d", (int)getpid());
	snprintf(n2, sizeof(n2), "pith-esc-rel-%d", (int)getpid());
	snprintf(n3, sizeof(n3), "pith-esc-deep-%d", (int)getpid());
	snprintf(host1, sizeof(host1), "/%s", n1);
	snprintf(host2, sizeof(host2), "/tmp/%s", n2);
	snprintf(host3, sizeof(host3), "/%s", n3);
	char d1[128], d2[128], d3[128], src[300];
	snprintf(d1, sizeof(d1), "/evil-abs/%s", n1);
	snprintf(d2, sizeof(d2), "/evil-rel/%s", n2);
	snprintf(d3, sizeof(d3), "/tmp/deep/%s/file", n3);
	snprintf(src, sizeof(src), "%s/config.json", b.dir);
	json_t *m = json_object_get(b.config, "mounts");
	json_array_append_new(m, json_pack("{s:s,s:s,s:s}", "destination", d1, "type", "tmpfs", "source", "tmpfs"));
	json_array_append_new(m, json_pack("{s:s,s:s,s:s}", "destination", d2, "type", "tmpfs", "source", "tmpfs"));
	json_array_append_new(m, json_pack("{s:s,s:s,s:s,s:[s]}", "destination", d3, "type", "bind", "source", src,
					   "options", "bind"));
	char script[512];
	snprintf(script, sizeof(script), "grep -c -E ' /(%s|%s|%s/file) ' /proc/self/mountinfo", n1, n2, n3);
	struct run_result r = sec_run_sh(&b, script);
	cr_expect_eq(r.status, 0, "%s", r.err);
	/* all three landed inside the container's root */
	cr_expect_str_eq(r.out, "3\n", "%s", r.err);
	h_result_free(&r);
	cr_expect(!h_path_exists(host1), "%s created on the host", host1);
	cr_expect(!h_path_exists(host2), "%s created on the host", host2);
	cr_expect(!h_path_exists(host3), "%s created on the host", host3);
	rmdir(host1);
	rmdir(host2);
	sec_system("rm -rf '%s'", host3);
	h_bundle_cleanup(&b);
}

Test(security, no_host_fd_reaches_run_or_exec)
{
	struct bundle b;
	h_bundle_init(&b, "fds");
	sec_private_rootfs(&b);
	char path[300];
	snprintf(path, sizeof(path), "%s/fd3", b.dir);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	/* run: the process sees exactly stdio */
	h_bundle_set_args(&b, "/bin/sec-helper", "fds", NULL);
	h_bundle_write(&b);
	char *run[] = { (char *)h_bin("pith"), "--root", (char *)h_root(), "run", "--bundle", b.dir, b.id, NULL };
	struct run_result r = h_run_with_fd3(run, 30, fd);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect_str_eq(r.out, "0 1 2\n");
	h_result_free(&r);
	/* exec, into a created (not started) and into a running container */
	h_bundle_set_args(&b, "sleep", "30", NULL);
	h_bundle_write(&b);
	r = h_pith("create", "--bundle", b.dir, b.id, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	h_result_free(&r);
	for (int round = 0; round < 2; round++) {
		char *ex[] = { (char *)h_bin("pith"), "--root", (char *)h_root(), "exec", b.id, "/bin/sec-helper", "fds", NULL };
		r = h_run_with_fd3(ex, 30, fd);
		cr_expect_eq(r.status, 0, "%s", r.err);
		cr_expect_str_eq(r.out, "0 1 2\n", "round %d", round);
		h_result_free(&r);
		char *exp[] = { (char *)h_bin("pith"), "--root", (char *)h_root(), "exec", "--preserve-fds", "1", b.id,
				"/bin/sec-helper", "fds", NULL };
		r = h_run_with_fd3(exp, 30, fd);
		cr_expect_eq(r.status, 0, "%s", r.err);
		cr_expect_str_eq(r.out, "0 1 2 3\n", "round %d", round);
		h_result_free(&r);
		if (round == 0) {
			r = h_pith("start", b.id, NULL);
			cr_assert_eq(r.status, 0, "%s", r.err);
			h_result_free(&r);
		}
	}
	close(fd);
	h_bundle_cleanup(&b);
}

/* A cwd of /proc/self/fd/N would, with a leaked host directory fd N, put
 * the process outside its root (CVE-2024-21626): refused, or inside. */
Test(security, cwd_through_proc_self_fd_is_harmless)
{
	struct bundle b;
	h_bundle_init(&b, "cwdfd");
	sec_private_rootfs(&b);
	h_bundle_set_args(&b, "sleep", "30", NULL);
	h_bundle_write(&b);
	struct run_result r = h_pith("create", "--bundle", b.dir, b.id, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	h_result_free(&r);
	for (int n = 3; n < 12; n++) {
		char cwd[32];
		snprintf(cwd, sizeof(cwd), "/proc/self/fd/%d", n);
		r = h_pith("exec", "--cwd", cwd, b.id, "/bin/sec-helper", "cwd", NULL);
		cr_expect(r.status != 0 || (r.out[0] == '/' && !strstr(r.out, "unreachable")),
			  "exec --cwd %s escaped: %s", cwd, r.out);
		h_result_free(&r);
	}
	struct bundle b2;
	h_bundle_init(&b2, "cwdfdrun");
	sec_private_rootfs(&b2);
	for (int n = 3; n < 12; n++) {
		char cwd[32];
		snprintf(cwd, sizeof(cwd), "/proc/self/fd/%d", n);
		json_object_set_new(json_object_get(b2.config, "process"), "cwd", json_string(cwd));
		h_bundle_set_args(&b2, "/bin/sec-helper", "cwd", NULL);
		h_bundle_write(&b2);
		r = h_pith("run", "--bundle", b2.dir, b2.id, NULL);
		/* getcwd(2) answers "(unreachable)/..." for a cwd outside the root */
		cr_expect(r.status != 0 || (r.out[0] == '/' && !strstr(r.out, "unreachable")),
			  "run with cwd %s escaped: %s", cwd, r.out);
		h_result_free(&r);
	}
	h_bundle_cleanup(&b2);
	h_bundle_cleanup(&b);
}

/* CVE-2019-5736 class: the init of a created container is still pith's
 * image; nothing in the container may open it through /proc/1/exe, and an
 * exec'd process has no parent inside to reach. */
Test(security, pith_image_unreachable_through_proc_exe)
{
	struct bundle b;
	h_bundle_init(&b, "procexe");
	sec_private_rootfs(&b);
	h_bundle_set_args(&b, "sleep", "30", NULL);
	h_bundle_write(&b);
	unsigned long long before = sec_file_hash(h_bin("pith"));
	cr_assert_neq(before, 0ULL);
	struct run_result r = h_pith("create", "--bundle", b.dir, b.id, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	h_result_free(&r);
	/* even with every capability root in a container may hold by default
	 * plus DAC_OVERRIDE: only CAP_SYS_PTRACE would pass the dumpable check */
	r = h_pith("exec", "--cap", "CAP_DAC_OVERRIDE", b.id, "sh", "-c",
		   "/bin/sec-helper open /proc/1/exe r; /bin/sec-helper open /proc/1/exe w; "
		   "/bin/sec-helper exes | grep -c pith; grep PPid /proc/self/status", NULL);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect_str_eq(r.out, "errno 13\nerrno 13\n0\nPPid:\t0\n", "%s", r.err);
	h_result_free(&r);
	cr_expect_eq(sec_file_hash(h_bin("pith")), before, "the pith binary changed");
	h_bundle_cleanup(&b);
}

/* ---------- masked and read-only paths of `pith spec` ---------- */

static bool has_string(json_t *arr, const char *s)
{
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v)
		if (json_is_string(v) && !strcmp(json_string_value(v), s))
			return true;
	return false;
}

Test(security, spec_masks_and_readonly_paths_enforced)
{
	struct bundle b;
	h_bundle_init(&b, "masks");
	json_t *l = json_object_get(b.config, "linux");
	json_t *masked = json_object_get(l, "maskedPaths"), *ro = json_object_get(l, "readonlyPaths");
	const char *want_masked[] = { "/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/sched_debug",
				      "/sys/firmware", "/proc/acpi", "/proc/scsi" };
	for (size_t i = 0; i < sizeof(want_masked) / sizeof(want_masked[0]); i++)
		cr_expect(has_string(masked, want_masked[i]), "maskedPaths lacks %s", want_masked[i]);
	const char *want_ro[] = { "/proc/sysrq-trigger", "/proc/sys", "/proc/bus", "/proc/fs", "/proc/irq" };
	for (size_t i = 0; i < sizeof(want_ro) / sizeof(want_ro[0]); i++)
		cr_expect(has_string(ro, want_ro[i]), "readonlyPaths lacks %s", want_ro[i]);
	/* enforced even for a root with CAP_DAC_OVERRIDE and CAP_SYS_ADMIN-less caps */
	set_caps(&b, json_pack("[s,s,s]", "CAP_DAC_OVERRIDE", "CAP_SYS_RAWIO", "CAP_SYS_TIME"), NULL);
	struct run_result r = sec_run_sh(&b,
		"cat /proc/kcore 2>/dev/null | wc -c; cat /proc/keys | wc -c; cat /proc/timer_list | wc -c; "
		"ls -A /sys/firmware | wc -l; "
		"echo h > /proc/sysrq-trigger 2>/dev/null && echo sysrq-written || echo sysrq-refused; "
		"echo 1 > /proc/sys/kernel/sysrq 2>/dev/null && echo sys-written || echo sys-refused; "
		"umount /proc/kcore 2>/dev/null && echo unmasked || echo mask-stays");
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect_str_eq(r.out, "0\n0\n0\n0\nsysrq-refused\nsys-refused\nmask-stays\n");
	h_result_free(&r);
	h_bundle_cleanup(&b);
}

/* idmapped mounts: `pith features` says they work (test_container.c proves
 * it), and one with no mapping to use is refused by name rather than
 * mounted un-mapped. */
Test(security, idmap_reported_and_refused_without_mappings)
{
	char *argv[] = { (char *)h_bin("pith"), "features", NULL };
	struct run_result r = h_run(argv, 10);
	cr_assert_eq(r.status, 0, "%s", r.err);
	json_t *f = json_loads(r.out, 0, NULL);
	json_t *idmap = json_object_get(json_object_get(json_object_get(f, "linux"), "mountExtensions"), "idmap");
	cr_expect(json_is_true(json_object_get(idmap, "enabled")), "features: %s", r.out);
	json_decref(f);
	h_result_free(&r);
	struct bundle b;
	h_bundle_init(&b, "idmap");
	json_array_append_new(json_object_get(b.config, "mounts"),
			      json_pack("{s:s,s:s,s:s,s:[s,s]}", "destination", "/mnt", "type", "bind", "source", "/tmp",
					"options", "bind", "idmap"));
	h_bundle_set_args(&b, "true", NULL);
	h_bundle_write(&b);
	r = h_pith("run", "--bundle", b.dir, b.id, NULL);
	cr_expect_neq(r.status, 0);
	cr_expect(strstr(r.err, "idmap"), "%s", r.err);
	h_result_free(&r);
	h_bundle_cleanup(&b);
}
