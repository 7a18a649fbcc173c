/* The container's filesystem seen from inside a real container and from the
 * host: every mount type in mountinfo, binds with flags, an overlay rootfs,
 * tmpcopyup, masked and read-only paths enforced, hostile symlinks in the
 * image escaping nothing, devices and /dev links, sysctl, --no-pivot. */
#include <criterion/criterion.h>
#include <seccomp.h>
#include <sys/syscall.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "../../config/spec.h"
#include "../../runtime/mount/rootfs.h"

/* ---------- helpers ---------- */

static void sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
}

/* A private, writable copy of the fixture rootfs inside the bundle. */
static void own_rootfs(struct bundle *b, char *out, size_t len)
{
	snprintf(out, len, "%s/rootfs", b->dir);
	sh("cp -a %s/fixtures/rootfs %s", h_build_dir(), out);
	json_object_set_new(b->config, "root", json_pack("{s:s,s:b}", "path", out, "readonly", 0));
}

/* mounts += {destination, type, source, options...} (type/source may be NULL). */
static void add_mount(struct bundle *b, const char *dest, const char *type, const char *src, ...)
{
	json_t *m = json_pack("{s:s}", "destination", dest);
	if (type)
		json_object_set_new(m, "type", json_string(type));
	if (src)
		json_object_set_new(m, "source", json_string(src));
	json_t *opts = json_array();
	va_list ap;
	va_start(ap, src);
	for (const char *o; (o = va_arg(ap, const char *));)
		json_array_append_new(opts, json_string(o));
	va_end(ap);
	json_object_set_new(m, "options", opts);
	json_t *mounts = json_object_get(b->config, "mounts");
	if (!mounts) {
		mounts = json_array();
		json_object_set_new(b->config, "mounts", mounts);
	}
	json_array_append_new(mounts, m);
}

static json_t *linux_of(struct bundle *b)
{
	return json_object_get(b->config, "linux");
}

static struct run_result run(struct bundle *b, const char *script)
{
	h_bundle_set_args(b, "sh", "-c", script, NULL);
	h_bundle_write(b);
	return h_pith("run", "--bundle", b->dir, b->id, NULL);
}

/* The last mountinfo line whose mount point is exactly `point` (the mount
 * on top), or NULL. */
static const char *mount_line(const char *mountinfo, const char *point, char *buf, size_t len)
{
	const char *p = mountinfo, *found = NULL;
	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		if (n < len) {
			memcpy(buf, p, n);
			buf[n] = '\0';
			char mp[PATH_MAX];
			if (sscanf(buf, "%*s %*s %*s %*s %4095s", mp) == 1 && !strcmp(mp, point))
				found = p;
		}
		p = nl ? nl + 1 : NULL;
	}
	if (!found)
		return NULL;
	size_t n = strcspn(found, "\n");
	memcpy(buf, found, n);
	buf[n] = '\0';
	return buf;
}

/* Per-mount options of `point` (field 6) contain opt; fs type is field after " - ". */
static bool mount_has(const char *mi, const char *point, const char *fstype, const char *opt)
{
	char line[4096];
	if (!mount_line(mi, point, line, sizeof(line)))
		return false;
	char opts[1024];
	if (sscanf(line, "%*s %*s %*s %*s %*s %1023s", opts) != 1)
		return false;
	const char *dash = strstr(line, " - ");
	if (fstype && (!dash || strncmp(dash + 3, fstype, strlen(fstype)) || dash[3 + strlen(fstype)] != ' '))
		return false;
	if (!opt)
		return true;
	char want[64];
	snprintf(want, sizeof(want), ",%s,", opt);
	char have[1100];
	snprintf(have, sizeof(have), ",%s,", opts);
	return strstr(have, want) != NULL;
}

static int entries(const char *dir)
{
	DIR *d = opendir(dir);
	int n = 0;
	for (struct dirent *e; d && (e = readdir(d));)
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	if (d)
		closedir(d);
	return n;
}

/* No mount point (mountinfo field 5) of the container under prefix. */
static bool no_mount_under(const char *mi, const char *prefix)
{
	for (const char *p = mi; p && *p;) {
		char mp[PATH_MAX];
		if (sscanf(p, "%*s %*s %*s %*s %4095s", mp) == 1 && !strncmp(mp, prefix, strlen(prefix)))
			return false;
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	return true;
}

/* Everything after the first line "---" of the output. */
static const char *after_marker(const char *out)
{
	const char *m = strstr(out, "---\n");
	return m ? m + 4 : "";
}

/* Old board kernels (< 5.2 / 5.6 / 5.12) have no open_tree, move_mount,
 * mount_setattr, openat2: the same tests run with those answering ENOSYS
 * (a seccomp filter on this test process, inherited by pith), so the
 * fallbacks (bind + remount, the O_PATH walk) are exercised here too. */
static bool old;

static void old_kernel(void)
{
	old = true;
	static const char *const calls[] = { "openat2", "open_tree", "move_mount", "mount_setattr",
					     "fsopen", "fsconfig", "fsmount", "fspick" };
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	cr_assert_not_null(ctx);
	for (size_t i = 0; i < sizeof(calls) / sizeof(*calls); i++) {
		int nr = seccomp_syscall_resolve_name(calls[i]);
		if (nr != __NR_SCMP_ERROR)
			cr_assert_eq(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), nr, 0), 0);
	}
	cr_assert_eq(seccomp_load(ctx), 0);
	seccomp_release(ctx);
	cr_assert_eq(syscall(SYS_openat2, AT_FDCWD, "/", NULL, 0), -1);
	cr_assert_eq(errno, ENOSYS, "the filter is not in place");
}

#define BOTH_KERNELS(name)                                       \
	Test(rootfs, name) { name(); }                           \
	Test(rootfs_old_kernel, name, .init = old_kernel) { name(); }

/* ---------- mount types ---------- */

Test(rootfs, default_mounts_in_mountinfo)
{
	struct bundle b;
	h_bundle_init(&b, "rfsdefault");
	struct run_result r = run(&b, "cat /proc/self/mountinfo");
	cr_assert_eq(r.status, 0, "run: %s", r.err);
	const char *mi = r.out;
	cr_expect(mount_has(mi, "/", NULL, "ro"), "root.readonly: / is ro\n%s", mi);
	cr_expect(mount_has(mi, "/proc", "proc", NULL), "%s", mi);
	cr_expect(mount_has(mi, "/dev", "tmpfs", "nosuid"), "%s", mi);
	cr_expect(mount_has(mi, "/dev/pts", "devpts", "noexec"), "%s", mi);
	cr_expect(strstr(mi, "ptmxmode=666") != NULL, "devpts ptmxmode\n%s", mi);
	cr_expect(mount_has(mi, "/dev/shm", "tmpfs", "nodev"), "%s", mi);
	cr_expect(mount_has(mi, "/dev/mqueue", "mqueue", "noexec"), "%s", mi);
	cr_expect(mount_has(mi, "/sys", "sysfs", "ro"), "%s", mi);
	cr_expect(mount_has(mi, "/sys/fs/cgroup", NULL, "ro"), "%s", mi);
	/* nothing of the host's mount table is left under the container */
	cr_expect(no_mount_under(mi, "/work") && no_mount_under(mi, "/run") && no_mount_under(mi, "/tmp"),
		  "host mounts leak:\n%s", mi);
	h_result_free(&r);
	h_bundle_cleanup(&b);
}

static void binds_with_flags(void)
{
	struct bundle b;
	h_bundle_init(&b, "rfsbind");
	char host[512], file[600], root[300];
	own_rootfs(&b, root, sizeof(root));
	snprintf(host, sizeof(host), "%s/hostdir", b.dir);
	sh("mkdir -p %s/sub && echo hostdata > %s/data", host, host);
	snprintf(file, sizeof(file), "%s/onefile", b.dir);
	sh("echo single > %s", file);
	add_mount(&b, "/mnt/ro", "bind", host, "rbind", "ro", "nosuid", NULL);
	add_mount(&b, "/mnt/rw", NULL, host, "bind", NULL);
	add_mount(&b, "/mnt/file", NULL, file, "bind", "ro", NULL);
	if (!old)
		add_mount(&b, "/mnt/rro", NULL, host, "rbind", "rro", "rnoexec", NULL);
	add_mount(&b, "mnt/rel", "tmpfs", "tmpfs", "noexec", "size=1m", NULL);
	struct run_result r = run(&b, "cat /mnt/file /mnt/ro/data; touch /mnt/ro/x 2>/dev/null && echo ro-writable;"
				      "touch /mnt/rw/fromctr && echo rw-ok; echo ---; cat /proc/self/mountinfo");
	cr_assert_eq(r.status, 0, "run: %s", r.err);
	cr_expect(!strncmp(r.out, "single\nhostdata\nrw-ok\n", 22), "%s", r.out);
	const char *mi = after_marker(r.out);
	cr_expect(mount_has(mi, "/mnt/ro", NULL, "ro") && mount_has(mi, "/mnt/ro", NULL, "nosuid"), "%s", mi);
	cr_expect(mount_has(mi, "/mnt/rw", NULL, "rw"), "%s", mi);
	cr_expect(mount_has(mi, "/mnt/file", NULL, "ro"), "%s", mi);
	cr_expect(old || (mount_has(mi, "/mnt/rro", NULL, "ro") && mount_has(mi, "/mnt/rro", NULL, "noexec")), "%s", mi);
	cr_expect(mount_has(mi, "/mnt/rel", "tmpfs", "noexec"), "relative destination\n%s", mi);
	char p[700];
	snprintf(p, sizeof(p), "%s/fromctr", host);
	cr_expect(h_path_exists(p), "write through the rw bind");
	snprintf(p, sizeof(p), "%s/mnt/file", root);
	struct stat st;
	cr_expect(stat(p, &st) == 0 && S_ISREG(st.st_mode), "a file bind gets a file as its mount point");
	h_result_free(&r);
	h_bundle_cleanup(&b);
}
BOTH_KERNELS(binds_with_flags)

static void tmpfs_tmpcopyup(void)
{
	struct bundle b;
	h_bundle_init(&b, "rfscopyup");
	add_mount(&b, "/etc", "tmpfs", "tmpfs", "tmpcopyup", "ro", "mode=755", NULL);
	struct run_result r = run(&b, "cat /etc/hostname; touch /etc/x 2>/dev/null && echo writable; echo ---;"
				      "cat /proc/self/mountinfo");
	cr_assert_eq(r.status, 0, "run: %s", r.err);
	cr_expect(!strncmp(r.out, "pith\n---\n", 9), "image content copied, ro after: %s", r.out);
	cr_expect(mount_has(after_marker(r.out), "/etc", "tmpfs", "ro"), "%s", r.out);
	h_result_free(&r);
	h_bundle_cleanup(&b);
}
BOTH_KERNELS(tmpfs_tmpcopyup)

static void overlay_rootfs(void)
{
	struct bundle b;
	h_bundle_init(&b, "rfsoverlay");
	char empty[300], up[300], work[300], lower[1024], opt[3][1100];
	snprintf(empty, sizeof(empty), "%s/empty", b.dir);
	snprintf(up, sizeof(up), "%s/upper", b.dir);
	snprintf(work, sizeof(work), "%s/work", b.dir);
	sh("mkdir -p %s %s %s", empty, up, work);
	snprintf(lower, sizeof(lower), "%s/fixtures/rootfs", h_build_dir());
	snprintf(opt[0], sizeof(opt[0]), "lowerdir=%s", lower);
	snprintf(opt[1], sizeof(opt[1]), "upperdir=%s", up);
	snprintf(opt[2], sizeof(opt[2]), "workdir=%s", work);
	json_object_set_new(b.config, "root", json_pack("{s:s,s:b}", "path", empty, "readonly", 0));
	/* the overlay goes first, on "/": every later mount lands on it */
	json_t *mounts = json_object_get(b.config, "mounts");
	json_array_insert_new(mounts, 0, json_pack("{s:s,s:s,s:s,s:[s,s,s]}", "destination", "/", "type",
						   "overlay", "source", "overlay", "options", opt[0], opt[1], opt[2]));
	struct run_result r = run(&b, "echo new > /created; cat /etc/hostname; echo ---; cat /proc/self/mountinfo");
	cr_assert_eq(r.status, 0, "run: %s", r.err);
	cr_expect(!strncmp(r.out, "pith\n", 5), "%s", r.out);
	const char *mi = after_marker(r.out);
	cr_expect(mount_has(mi, "/", "overlay", "rw"), "%s", mi);
	cr_expect(mount_has(mi, "/proc", "proc", NULL), "/proc is on the overlay\n%s", mi);
	char p[1200];
	snprintf(p, sizeof(p), "%s/created", up);
	cr_expect(h_path_exists(p), "the write went to upperdir");
	snprintf(p, sizeof(p), "%s/created", lower);
	cr_expect(!h_path_exists(p), "lowerdir untouched");
	snprintf(p, sizeof(p), "%s/proc", empty);
	cr_expect(!h_path_exists(p), "nothing made in the covered root dir");
	h_result_free(&r);
	h_bundle_cleanup(&b);
}
BOTH_KERNELS(overlay_rootfs)

Test(rootfs_old_kernel, recursive_options_need_mount_setattr, .init = old_kernel)
{
	struct bundle b;
	h_bundle_init(&b, "rfsrro");
	add_mount(&b, "/mnt", NULL, "/tmp", "rbind", "rro", NULL);
	struct run_result r = run(&b, "true");
	cr_expect_neq(r.status, 0);
	cr_expect(strstr(r.err, "(/tmp on /mnt type bind): recursive options") && strstr(r.err, "Linux 5.12"),
		  "%s", r.err);
	h_result_free(&r);
	h_bundle_cleanup(&b);
}

/* ---------- masked and read-only paths ---------- */

static void masked_paths_are_masked(void)
{
	struct bundle b;
	h_bundle_init(&b, "rfsmask");
	json_t *masked = json_object_get(linux_of(&b), "maskedPaths");
	json_array_append_new(masked, json_string("/etc/hostname"));
	json_array_append_new(masked, json_string("/usr"));
	json_array_append_new(masked, json_string("/does/not/exist"));
	struct run_result r = run(&b,
		"if [ -e /proc/kcore ]; then head -c 1 /proc/kcore >/dev/null 2>&1 && echo kcore-readable; fi;"
		"echo keys=$(wc -c < /proc/keys); echo hostname=$(cat /etc/hostname);"
		"echo usr=$(ls /usr | wc -l); echo firmware=$(ls /sys/firmware | wc -l);"
		"touch /usr/x 2>/dev/null && echo usr-writable; true");
	cr_assert_eq(r.status, 0, "run: %s", r.err);
	cr_expect_str_eq(r.out, "keys=0\nhostname=\nusr=0\nfirmware=0\n");
	h_result_free(&r);
	h_bundle_cleanup(&b);
}
BOTH_KERNELS(masked_paths_are_masked)

static void readonly_paths_refuse_writes(void)
{
	struct bundle b;
	h_bundle_init(&b, "rfsro");
	json_object_set_new(b.config, "root", json_pack("{s:s,s:b}", "path",
		json_string_value(json_object_get(json_object_get(b.config, "root"), "path")), "readonly", 0));
	add_mount(&b, "/tmp", "tmpfs", "tmpfs", "nosuid", "nodev", NULL);
	json_array_append_new(json_object_get(linux_of(&b), "readonlyPaths"), json_string("/tmp"));
	struct run_result r = run(&b, "echo x > /proc/sys/kernel/domainname 2>/dev/null && echo sys-writable;"
				      "touch /tmp/x 2>/dev/null && echo tmp-writable; echo ---; cat /proc/self/mountinfo");
	cr_assert_eq(r.status, 0, "run: %s", r.err);
	cr_expect(!strncmp(r.out, "---\n", 4), "writes went through: %s", r.out);
	const char *mi = after_marker(r.out);
	cr_expect(mount_has(mi, "/proc/sys", "proc", "ro"), "%s", mi);
	/* read-only keeps the flags the mount had */
	cr_expect(mount_has(mi, "/tmp", "tmpfs", "ro") && mount_has(mi, "/tmp", "tmpfs", "nosuid") &&
		  mount_has(mi, "/tmp", "tmpfs", "nodev"), "%s", mi);
	h_result_free(&r);
	h_bundle_cleanup(&b);
}
BOTH_KERNELS(readonly_paths_refuse_writes)

/* ---------- hostile images ---------- */

static void symlinked_destinations_escape_nothing(void)
{
	struct bundle b;
	h_bundle_init(&b, "rfsescape");
	char root[300], host[300];
	own_rootfs(&b, root, sizeof(root));
	snprintf(host, sizeof(host), "%s/hostdir", b.dir);
	sh("mkdir -p %s && echo keep > %s/f", host, host);
	/* evil -> /, evil2 -> ../../(...)/<bundle>/hostdir, evilfile -> host's passwd path */
	sh("ln -s / %s/evil && ln -s ../../../../../../../..%s %s/evil2 && ln -s /etc/passwd %s/evilfile"
	   " && ln -s ../../../../../../.. %s/up", root, host, root, root, root);
	char *passwd_before = h_read_file("/etc/passwd");
	char src[400], d1[400];
	snprintf(src, sizeof(src), "%s/onefile", b.dir);
	sh("echo overwritten > %s", src);
	snprintf(d1, sizeof(d1), "/evil%s/y", host);
	add_mount(&b, "/evil2/x", "tmpfs", "tmpfs", NULL);
	add_mount(&b, d1, "tmpfs", "tmpfs", NULL);
	add_mount(&b, "/evilfile", NULL, src, "bind", NULL);
	add_mount(&b, "/up/etc/shadow", NULL, src, "bind", NULL);
	add_mount(&b, "/evil/../../etc/group", NULL, src, "bind", NULL);
	struct run_result r = run(&b, "cat /etc/passwd /etc/shadow /etc/group");
	cr_expect_eq(r.status, 0, "run: %s", r.err);
	cr_expect_str_eq(r.out, "overwritten\noverwritten\noverwritten\n");
	h_result_free(&r);
	/* the host saw nothing: same passwd, hostdir as it was */
	char *passwd_after = h_read_file("/etc/passwd");
	cr_assert_not_null(passwd_before);
	cr_expect(passwd_after && !strcmp(passwd_before, passwd_after), "host /etc/passwd changed");
	free(passwd_before);
	free(passwd_after);
	cr_expect_eq(entries(host), 1, "the host dir gained entries");
	/* what was created went into the rootfs copy */
	char p[700];
	snprintf(p, sizeof(p), "%s%s/x", root, host);
	cr_expect(h_path_exists(p), "evil2's target made inside the rootfs: %s", p);
	h_bundle_cleanup(&b);
}
BOTH_KERNELS(symlinked_destinations_escape_nothing)

Test(rootfs, mount_over_proc_refused)
{
	struct bundle b;
	h_bundle_init(&b, "rfsproc");
	add_mount(&b, "/proc/sys/kernel/core_pattern", NULL, "/etc/hostname", "bind", NULL);
	struct run_result r = run(&b, "true");
	cr_expect_neq(r.status, 0);
	cr_expect(strstr(r.err, "/proc/sys/kernel/core_pattern") && strstr(r.err, "inside /proc"), "%s", r.err);
	h_result_free(&r);
	/* the few files runc lets a bind cover (lxcfs) are fine */
	h_bundle_cleanup(&b);
	h_bundle_init(&b, "rfsproc2");
	char f[400];
	snprintf(f, sizeof(f), "%s/uptime", b.dir);
	sh("echo '1.00 2.00' > %s", f);
	add_mount(&b, "/proc/uptime", NULL, f, "bind", "ro", NULL);
	r = run(&b, "cat /proc/uptime");
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect_str_eq(r.out, "1.00 2.00\n");
	h_result_free(&r);
	h_bundle_cleanup(&b);
}

Test(rootfs, mount_errors_name_the_mount)
{
	struct bundle b;
	h_bundle_init(&b, "rfserr");
	add_mount(&b, "/mnt/x", NULL, "/nonexistent/src", "bind", NULL);
	size_t idx = json_array_size(json_object_get(b.config, "mounts")) - 1;
	struct run_result r = run(&b, "true");
	cr_expect_neq(r.status, 0);
	char want[128];
	snprintf(want, sizeof(want), "mounts[%zu] (/nonexistent/src on /mnt/x type bind)", idx);
	cr_expect(strstr(r.err, want) && strstr(r.err, "No such file or directory"), "%s", r.err);
	h_result_free(&r);
	h_bundle_cleanup(&b);
}

/* ---------- devices ---------- */

Test(rootfs, devices_and_dev_links)
{
	struct bundle b;
	h_bundle_init(&b, "rfsdev");
	json_object_set_new(linux_of(&b), "devices",
		json_pack("[{s:s,s:s,s:i,s:i,s:i,s:i,s:i},{s:s,s:s}]",
			  "path", "/dev/fuse", "type", "c", "major", 10, "minor", 229, "fileMode", 0600,
			  "uid", 1, "gid", 2, "path", "/dev/myfifo", "type", "p"));
	struct run_result r = run(&b,
		"for d in null zero full random urandom tty fuse; do stat -c \"$d %F %t:%T %a %u %g\" /dev/$d; done;"
		"stat -c '%F' /dev/myfifo;"
		"for l in fd stdin stdout stderr ptmx; do echo $l=$(readlink /dev/$l); done");
	cr_assert_eq(r.status, 0, "run: %s", r.err);
	cr_expect_str_eq(r.out,
		"null character special file 1:3 666 0 0\n"
		"zero character special file 1:5 666 0 0\n"
		"full character special file 1:7 666 0 0\n"
		"random character special file 1:8 666 0 0\n"
		"urandom character special file 1:9 666 0 0\n"
		"tty character special file 5:0 666 0 0\n"
		"fuse character special file a:e5 600 1 2\n"
		"fifo\n"
		"fd=/proc/self/fd\nstdin=/proc/self/fd/0\nstdout=/proc/self/fd/1\nstderr=/proc/self/fd/2\n"
		"ptmx=pts/ptmx\n");
	h_result_free(&r);
	h_bundle_cleanup(&b);
}

/* ---------- sysctl ---------- */

Test(rootfs, sysctl_in_the_container_netns)
{
	char *host_before = h_read_file("/proc/sys/net/ipv4/ip_forward");
	struct bundle b;
	h_bundle_init(&b, "rfssysctl");
	json_object_set_new(linux_of(&b), "sysctl",
			    json_pack("{s:s,s:s}", "net.ipv4.ip_forward", "1", "kernel.shmmni", "1234"));
	struct run_result r = run(&b, "cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmni");
	cr_assert_eq(r.status, 0, "run: %s", r.err);
	cr_expect_str_eq(r.out, "1\n1234\n");
	h_result_free(&r);
	char *host_after = h_read_file("/proc/sys/net/ipv4/ip_forward");
	cr_expect(host_before && host_after && !strcmp(host_before, host_after), "the host's value changed");
	free(host_before);
	free(host_after);
	h_bundle_cleanup(&b);
}

Test(rootfs, sysctl_outside_a_namespace_refused)
{
	static const struct { const char *key; const char *drop_ns; const char *msg; } cases[] = {
		{ "vm.swappiness", NULL, "not in a separate kernel namespace" },
		{ "kernel.shmmax", "ipc", "ipc namespace" },
		{ "net.core.somaxconn", "network", "network namespace" },
		{ "kernel.domainname", "uts", "uts namespace" },
		{ "kernel.hostname", NULL, "conflicts with \"hostname\"" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct bundle b;
		h_bundle_init(&b, "rfssysctlbad");
		json_t *l = linux_of(&b);
		json_object_set_new(l, "sysctl", json_pack("{s:s}", cases[i].key, "1"));
		if (cases[i].drop_ns && !strcmp(cases[i].drop_ns, "uts"))
			json_object_del(b.config, "hostname");
		if (cases[i].drop_ns) {
			json_t *ns = json_object_get(l, "namespaces");
			for (size_t j = 0; j < json_array_size(ns); j++)
				if (!strcmp(json_string_value(json_object_get(json_array_get(ns, j), "type")),
					    cases[i].drop_ns)) {
					json_array_remove(ns, j);
					break;
				}
		}
		struct run_result r = run(&b, "true");
		cr_expect_neq(r.status, 0, "%s accepted", cases[i].key);
		cr_expect(strstr(r.err, cases[i].key) && strstr(r.err, cases[i].msg), "%s: %s", cases[i].key, r.err);
		h_result_free(&r);
		h_bundle_cleanup(&b);
	}
}

/* ---------- pivot ---------- */

Test(rootfs, no_pivot)
{
	struct bundle b;
	h_bundle_init(&b, "rfsnopivot");
	h_bundle_set_args(&b, "sh", "-c", "cat /etc/hostname; ls /proc/1/root/bin/busybox; echo host_mounts=$(awk '$5 ~ \"^/(work|run|tmp)\"' /proc/self/mountinfo | wc -l)", NULL);
	h_bundle_write(&b);
	struct run_result r = h_pith("run", "--no-pivot", "--bundle", b.dir, b.id, NULL);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect_str_eq(r.out, "pith\n/proc/1/root/bin/busybox\nhost_mounts=0\n");
	h_result_free(&r);
	h_bundle_cleanup(&b);
}

Test(rootfs, rootfs_propagation)
{
	static const char *const values[][2] = {
		{ "shared", "shared:" }, { "private", NULL }, { "unbindable", "unbindable" },
	};
	for (size_t i = 0; i < 3; i++) {
		struct bundle b;
		h_bundle_init(&b, "rfsprop");
		json_object_set_new(linux_of(&b), "rootfsPropagation", json_string(values[i][0]));
		struct run_result r = run(&b, "cat /proc/self/mountinfo");
		cr_assert_eq(r.status, 0, "%s: %s", values[i][0], r.err);
		char line[4096];
		cr_assert_not_null(mount_line(r.out, "/", line, sizeof(line)));
		if (values[i][1])
			cr_expect(strstr(line, values[i][1]), "%s: %s", values[i][0], line);
		else
			cr_expect(!strstr(line, "shared:") && !strstr(line, "master:"), "%s: %s", values[i][0], line);
		h_result_free(&r);
		h_bundle_cleanup(&b);
	}
}

/* ---------- direct calls (what init.c does, in a forked child) ---------- */

/* In a new mount namespace: prepare + pivot into a copy of the fixture, bind
 * a new pty's slave onto /dev/console. Exit code says what went wrong. */
static int console_child(const char *rootfs)
{
	static const char cfg[] = "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"rootfs\"},"
		"\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\"},"
		"\"mounts\":[{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
		"{\"destination\":\"/dev\",\"type\":\"tmpfs\",\"source\":\"tmpfs\"},"
		"{\"destination\":\"/dev/pts\",\"type\":\"devpts\",\"source\":\"devpts\"}],"
		"\"linux\":{\"namespaces\":[{\"type\":\"mount\"}]}}";
	struct pith_error err = { 0 };
	struct spec *s = NULL;
	if (spec_load_string(cfg, "config.json", &s, &err) < 0 || unshare(CLONE_NEWNS) < 0)
		return 10;
	struct rootfs_ctx ctx = { .spec = s, .rootfs = rootfs };
	if (rootfs_prepare(&ctx, &err) < 0 || rootfs_pivot(&ctx, &err) < 0) {
		fprintf(stderr, "%s (%d)\n", err.msg, err.errnum);
		return 11;
	}
	int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0)
		return 12;
	int slave = open(ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		return 13;
	if (rootfs_bind_console(slave, &err) < 0) {
		fprintf(stderr, "%s (%d)\n", err.msg, err.errnum);
		return 14;
	}
	struct stat a, c;
	if (fstat(slave, &a) < 0 || stat("/dev/console", &c) < 0)
		return 15;
	return a.st_rdev == c.st_rdev && S_ISCHR(c.st_mode) ? 0 : 16;
}

Test(rootfs_direct, console_is_the_terminal)
{
	struct bundle b;
	h_bundle_init(&b, "rfsconsole");
	char root[300];
	own_rootfs(&b, root, sizeof(root));
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0)
		_exit(console_child(root));
	int status;
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", status);
	h_bundle_cleanup(&b);
}
