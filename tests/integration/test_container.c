/* What the process inside sees: namespaces, mounts, identity, fds, terminal. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "harness.h"

static struct run_result run_sh(struct bundle *b, const char *script)
{
	h_bundle_set_args(b, "sh", "-c", script, NULL);
	h_bundle_write(b);
	return h_pith("run", "--bundle", b->dir, b->id, NULL);
}

Test(container, rootfs_mounts_and_readonly_root)
{
	struct bundle b;
	h_bundle_init(&b, "mounts");
	struct run_result r = run_sh(&b,
		"awk '$5==\"/\" || $5==\"/proc\" || $5==\"/dev\" || $5==\"/dev/pts\" || $5==\"/sys\" {print $5, $9}' "
		"/proc/self/mountinfo | sort; touch /newfile 2>/dev/null && echo writable || echo readonly; "
		"cat /proc/kcore 2>/dev/null | head -c1 | wc -c; wc -c < /proc/keys; "
		"echo 1 > /proc/sysrq-trigger 2>/dev/null && echo sysrq-open || echo sysrq-closed; "
		"ls /sys/firmware | wc -l");
	cr_expect_eq(r.status, 0, "%s", r.err);
	const char *want = "/ \n/dev tmpfs\n/dev/pts devpts\n/proc proc\n/sys sysfs\nreadonly\n0\n0\nsysrq-closed\n0\n";
	/* the root's fs type is the host's (a bind of the rootfs) */
	char *nl = strchr(r.out, '\n');
	cr_assert_not_null(nl, "%s", r.out);
	cr_expect(strncmp(r.out, "/ ", 2) == 0, "%s", r.out);
	cr_expect_str_eq(nl + 1, strchr(want, '\n') + 1, "inside:\n%s", r.out);
	h_result_free(&r);
	h_bundle_cleanup(&b);
}

Test(container, default_devices_and_symlinks)
{
	struct bundle b;
	h_bundle_init(&b, "devices");
	struct run_result r = run_sh(&b,
		"stat -c '%n %t:%T %a' /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty; "
		"readlink /dev/fd; readlink /dev/stdin; readlink /dev/ptmx; echo x > /dev/null && echo null-ok");
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect_str_eq(r.out,
		"/dev/null 1:3 666\n/dev/zero 1:5 666\n/dev/full 1:7 666\n/dev/random 1:8 666\n"
		"/dev/urandom 1:9 666\n/dev/tty 5:0 666\n/proc/self/fd\n/proc/self/fd/0\npts/ptmx\nnull-ok\n");
	h_result_free(&r);
	h_bundle_cleanup(&b);
}

Test(container, loopback_is_up_in_a_new_net_namespace)
{
	struct bundle b;
	h_bundle_init(&b, "loopback");
	struct run_result r = run_sh(&b, "cat /sys/class/net/lo/flags; ls /sys/class/net");
	cr_expect_eq(r.status, 0, "%s", r.err);
	/* IFF_UP|IFF_LOOPBACK|IFF_RUNNING, and no other interface */
	cr_expect(strncmp(r.out, "0x9", 3) == 0, "lo flags: %s", r.out);
	cr_expect(strstr(r.out, "\nlo\n") && !strstr(r.out, "eth"), "%s", r.out);
	h_result_free(&r);
	h_bundle_cleanup(&b);
}

Test(container, user_cwd_env_and_umask)
{
	struct bundle b;
	h_bundle_init(&b, "identity");
	json_t *p = json_object_get(b.config, "process");
	json_object_set_new(p, "user", json_pack("{s:i,s:i,s:[i,i],s:i}", "uid", 1000, "gid", 1001,
						 "additionalGids", 5, 6, "umask", 077));
	json_object_set_new(p, "cwd", json_string("/tmp"));
	json_array_append_new(json_object_get(p, "env"), json_string("HELLO=world"));
	/* /tmp writable for the umask check */
	json_array_append_new(json_object_get(b.config, "mounts"),
			      json_pack("{s:s,s:s,s:s}", "destination", "/tmp", "type", "tmpfs", "source", "tmpfs"));
	struct run_result r = run_sh(&b, "id -u; id -g; id -G; pwd; echo $HELLO; umask; "
					 "grep CapEff /proc/self/status");
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect_str_eq(r.out, "1000\n1001\n1001 5 6\n/tmp\nworld\n0077\nCapEff:\t0000000000000000\n");
	h_result_free(&r);
	h_bundle_cleanup(&b);
}

Test(container, capabilities_match_the_config)
{
	struct bundle b;
	h_bundle_init(&b, "caps");
	struct run_result r = run_sh(&b, "grep -E '^Cap(Eff|Bnd|Prm)' /proc/self/status");
	cr_expect_eq(r.status, 0, "%s", r.err);
	/* the default spec: AUDIT_WRITE(29), KILL(5), NET_BIND_SERVICE(10) */
	cr_expect_str_eq(r.out, "CapPrm:\t0000000020000420\nCapEff:\t0000000020000420\nCapBnd:\t0000000020000420\n");
	h_result_free(&r);
	h_bundle_cleanup(&b);
}

Test(container, preserve_fds)
{
	struct bundle b;
	h_bundle_init(&b, "preserve");
	h_bundle_set_args(&b, "sh", "-c", "cat <&3", NULL);
	h_bundle_write(&b);
	char path[300];
	snprintf(path, sizeof(path), "%s/fd3", b.dir);
	FILE *f = fopen(path, "w");
	fputs("through fd 3\n", f);
	fclose(f);
	int fd = open(path, O_RDONLY);
	char *argv[] = { (char *)h_bin("pith"), "--root", (char *)h_root(), "run", "--preserve-fds", "1",
			 "--bundle", b.dir, b.id, NULL };
	struct run_result r = h_run_with_fd3(argv, 30, fd);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect_str_eq(r.out, "through fd 3\n");
	h_result_free(&r);
	/* without --preserve-fds the same fd does not arrive */
	char *argv2[] = { (char *)h_bin("pith"), "--root", (char *)h_root(), "run", "--bundle", b.dir, b.id, NULL };
	r = h_run_with_fd3(argv2, 30, fd);
	cr_expect_neq(r.status, 0, "fd 3 leaked into the container: %s", r.out);
	h_result_free(&r);
	close(fd);
	h_bundle_cleanup(&b);
}

Test(container, time_namespace_offsets)
{
	struct bundle b;
	h_bundle_init(&b, "timens");
	json_t *linux_ = json_object_get(b.config, "linux");
	json_array_append_new(json_object_get(linux_, "namespaces"), json_pack("{s:s}", "type", "time"));
	json_object_set_new(linux_, "timeOffsets",
			    json_pack("{s:{s:I,s:i}}", "boottime", "secs", (json_int_t)864000, "nanosecs", 0));
	struct run_result r = run_sh(&b, "cut -d. -f1 /proc/uptime");
	cr_expect_eq(r.status, 0, "%s", r.err);
	char *host = h_read_file("/proc/uptime");
	long inside = atol(r.out), outside = atol(host);
	cr_expect_geq(inside - outside, 863990, "uptime inside %ld, outside %ld", inside, outside);
	free(host);
	h_result_free(&r);
	h_bundle_cleanup(&b);
}

Test(container, user_namespace_maps_root)
{
	struct bundle b;
	h_bundle_init(&b, "userns");
	json_t *linux_ = json_object_get(b.config, "linux");
	json_array_append_new(json_object_get(linux_, "namespaces"), json_pack("{s:s}", "type", "user"));
	json_object_set_new(linux_, "uidMappings", json_pack("[{s:i,s:i,s:i}]", "containerID", 0, "hostID", 100000, "size", 65536));
	json_object_set_new(linux_, "gidMappings", json_pack("[{s:i,s:i,s:i}]", "containerID", 0, "hostID", 100000, "size", 65536));
	h_bundle_set_args(&b, "sleep", "100", NULL);
	h_bundle_write(&b);
	struct run_result r = h_pith("run", "--detach", "--bundle", b.dir, b.id, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	h_result_free(&r);
	pid_t pid = h_state(b.id, NULL, 0);
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/uid_map", pid);
	char *map = h_read_file(path);
	cr_assert_not_null(map);
	unsigned a = 1, h = 0, n = 0;
	sscanf(map, "%u %u %u", &a, &h, &n);
	cr_expect(a == 0 && h == 100000 && n == 65536, "uid_map: %s", map);
	free(map);
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	char *status = h_read_file(path);
	cr_expect(strstr(status, "Uid:\t100000\t100000"), "host view of the container's root: %s", status);
	free(status);
	r = h_pith("exec", b.id, "id", "-u", NULL);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect_str_eq(r.out, "0\n");
	h_result_free(&r);
	h_bundle_cleanup(&b);
}

Test(container, no_pivot)
{
	struct bundle b;
	h_bundle_init(&b, "nopivot");
	h_bundle_set_args(&b, "sh", "-c", "ls /; cat /etc/hostname", NULL);
	h_bundle_write(&b);
	struct run_result r = h_pith("run", "--no-pivot", "--bundle", b.dir, b.id, NULL);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, "bin\n") && strstr(r.out, "pith\n"), "%s", r.out);
	h_result_free(&r);
	h_bundle_cleanup(&b);
}

/* process.terminal with --console-socket: the pty master arrives over the
 * socket, and what the process writes comes out of it. */
Test(container, console_socket_terminal)
{
	struct bundle b;
	h_bundle_init(&b, "tty");
	json_t *p = json_object_get(b.config, "process");
	json_object_set_new(p, "terminal", json_true());
	json_object_set_new(p, "consoleSize", json_pack("{s:i,s:i}", "height", 33, "width", 101));
	h_bundle_set_args(&b, "sh", "-c", "tty; stty size; sleep 1", NULL);
	h_bundle_write(&b);
	char sock[300];
	snprintf(sock, sizeof(sock), "%s/console.sock", b.dir);
	int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	cr_assert_lt(strlen(sock), sizeof(addr.sun_path));
	memcpy(addr.sun_path, sock, strlen(sock) + 1);
	cr_assert_eq(bind(lfd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	cr_assert_eq(listen(lfd, 1), 0);
	struct run_result r = h_pith("create", "--console-socket", sock, "--bundle", b.dir, b.id, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	h_result_free(&r);
	int conn = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	cr_assert_geq(conn, 0);
	char data[64];
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = data, .iov_len = sizeof(data) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	cr_assert_gt(recvmsg(conn, &msg, 0), 0);
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	cr_assert(c && c->cmsg_type == SCM_RIGHTS);
	int master;
	memcpy(&master, CMSG_DATA(c), sizeof(int));
	r = h_pith("start", b.id, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	h_result_free(&r);
	char out[256] = "";
	size_t len = 0;
	struct pollfd pfd = { .fd = master, .events = POLLIN };
	while (len < sizeof(out) - 1 && poll(&pfd, 1, 3000) > 0) {
		ssize_t n = read(master, out + len, sizeof(out) - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		out[len] = '\0';
		if (strstr(out, "101"))
			break;
	}
	cr_expect(strstr(out, "/dev/pts/0"), "tty output: %s", out);
	cr_expect(strstr(out, "33 101"), "console size: %s", out);
	close(master);
	close(conn);
	close(lfd);
	h_bundle_cleanup(&b);
}

/* pith run with process.terminal and no --console-socket holds the pty itself */
Test(container, run_in_the_foreground_with_a_terminal)
{
	struct bundle b;
	h_bundle_init(&b, "runtty");
	json_object_set_new(json_object_get(b.config, "process"), "terminal", json_true());
	h_bundle_set_args(&b, "sh", "-c", "tty; exit 4", NULL);
	h_bundle_write(&b);
	struct run_result r = h_pith("run", "--bundle", b.dir, b.id, NULL);
	cr_expect_eq(r.status, 4, "%s", r.err);
	cr_expect(strstr(r.out, "/dev/pts/0"), "through the pty: %s", r.out);
	h_result_free(&r);
	r = h_pith("run", "--detach", "--bundle", b.dir, b.id, NULL);
	cr_expect_eq(r.status, 1, "run -d with a terminal and no console socket must fail");
	cr_expect(strstr(r.err, "console-socket"), "%s", r.err);
	h_result_free(&r);
	h_bundle_cleanup(&b);
}

/* A careless caller's ignored and blocked signals (even glibc's own 32) must
 * not reach the container: a .NET app would never see its SIGTERM. */
Test(container, signal_state_is_reset)
{
	struct { void (*h)(int); unsigned long f; void (*r)(void); uint64_t m; } ign = { SIG_IGN, 0, NULL, 0 };
	syscall(SYS_rt_sigaction, 32, &ign, NULL, sizeof(uint64_t));
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	struct bundle b;
	h_bundle_init(&b, "sigreset");
	h_bundle_set_args(&b, "grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status", NULL);
	h_bundle_write(&b);
	struct run_result r = h_pith("run", "--bundle", b.dir, b.id, NULL);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect_str_eq(r.out, "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n");
	h_result_free(&r);
	h_bundle_set_args(&b, "sleep", "100", NULL);
	h_bundle_write(&b);
	r = h_pith("run", "--detach", "--bundle", b.dir, b.id, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	h_result_free(&r);
	r = h_pith("exec", b.id, "grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status", NULL);
	cr_expect_str_eq(r.out, "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n", "exec: %s", r.err);
	h_result_free(&r);
	h_bundle_cleanup(&b);
}

/* idmap (spec 1.2): a bind mount whose files show the mapped owners: with
 * the mapping written as a user namespace's (containerID -> hostID), a file
 * owned by containerID on disk is seen as hostID (how a userns container's
 * root owns an image's root files) */
Test(container, idmapped_bind_mount)
{
	struct bundle b;
	h_bundle_init(&b, "idmap");
	char src[300];
	snprintf(src, sizeof(src), "%s/shared", b.dir);
	mkdir(src, 0755);
	char file[320];
	snprintf(file, sizeof(file), "%s/owned-by-root", src);
	FILE *f = fopen(file, "w");
	fputs("x", f);
	fclose(f);
	cr_assert_eq(chown(file, 0, 0), 0);
	json_array_append_new(json_object_get(b.config, "mounts"),
		json_pack("{s:s,s:s,s:s,s:[s,s],s:[{s:i,s:i,s:i}],s:[{s:i,s:i,s:i}]}",
			  "destination", "/mnt", "type", "bind", "source", src, "options", "bind", "idmap",
			  "uidMappings", "containerID", 0, "hostID", 1000, "size", 1,
			  "gidMappings", "containerID", 0, "hostID", 2000, "size", 1));
	h_bundle_set_args(&b, "stat", "-c", "%u:%g", "/mnt/owned-by-root", NULL);
	h_bundle_write(&b);
	struct run_result r = h_pith("run", "--bundle", b.dir, b.id, NULL);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect_str_eq(r.out, "1000:2000\n", "owner through the idmapped mount: %s", r.out);
	h_result_free(&r);
	/* the host sees the file unchanged */
	struct stat st;
	cr_expect_eq(stat(file, &st), 0);
	cr_expect(st.st_uid == 0 && st.st_gid == 0);
	h_bundle_cleanup(&b);
}
