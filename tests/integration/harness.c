#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *h_build_dir(void)
{
	static char dir[PATH_MAX];
	if (!dir[0]) {
		const char *b = getenv("PITH_BUILD");
		if (!b || !realpath(b, dir))
			if (!realpath("build", dir))
				snprintf(dir, sizeof(dir), "build");
	}
	return dir;
}

const char *h_bin(const char *name)
{
	static char buf[8][PATH_MAX];
	static int next;
	char *p = buf[next++ % 8];
	snprintf(p, PATH_MAX, "%s/%s", h_build_dir(), name);
	return p;
}

const char *h_root(void)
{
	static char root[128];
	if (!root[0]) {
		mkdir("/run/pith-test", 0700);
		/* one root for the whole run: ids carry the test's pid already */
		snprintf(root, sizeof(root), "/run/pith-test/root");
		mkdir(root, 0700);
	}
	return root;
}

static void drain(int fd, char **buf, size_t *len, size_t *cap)
{
	char tmp[4096];
	ssize_t n = read(fd, tmp, sizeof(tmp));
	if (n <= 0)
		return;
	if (*len + (size_t)n + 1 > *cap) {
		*cap = (*len + (size_t)n + 1) * 2;
		*buf = realloc(*buf, *cap);
	}
	memcpy(*buf + *len, tmp, (size_t)n);
	*len += (size_t)n;
	(*buf)[*len] = '\0';
}

static int extra_fd = -1;

struct run_result h_run_with_fd3(char *const argv[], int timeout_s, int fd)
{
	extra_fd = fd;
	struct run_result r = h_run(argv, timeout_s);
	extra_fd = -1;
	return r;
}

struct run_result h_run(char *const argv[], int timeout_s)
{
	struct run_result r = { .status = -1 };
	int out[2], err[2];
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0)
		return r;
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);
		dup2(null, 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		if (extra_fd >= 0)
			dup2(extra_fd, 3); /* dup2 clears O_CLOEXEC on the new fd */
		execv(argv[0], argv);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	size_t olen = 0, ocap = 1, elen = 0, ecap = 1;
	r.out = calloc(1, 1);
	r.err = calloc(1, 1);
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	struct pollfd p[2] = { { .fd = out[0], .events = POLLIN }, { .fd = err[0], .events = POLLIN } };
	int open_fds = 2, status = 0;
	bool timed_out = false, exited = false;
	/* A detached container keeps our pipes open: stop reading once the
	 * command itself has exited and its output is drained. */
	while (open_fds > 0) {
		int n = poll(p, 2, exited ? 0 : 50);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (!exited && now.tv_sec - start.tv_sec > timeout_s) {
			timed_out = true;
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			break;
		}
		if (n == 0 && exited)
			break;
		if (!exited && waitpid(pid, &status, WNOHANG) == pid)
			exited = true;
		if (n <= 0)
			continue;
		for (int i = 0; i < 2; i++) {
			if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP)))
				continue;
			size_t before = i == 0 ? olen : elen;
			if (i == 0)
				drain(p[i].fd, &r.out, &olen, &ocap);
			else
				drain(p[i].fd, &r.err, &elen, &ecap);
			if ((i == 0 ? olen : elen) == before) {
				close(p[i].fd);
				p[i].fd = -1;
				open_fds--;
			}
		}
	}
	for (int i = 0; i < 2; i++)
		if (p[i].fd >= 0)
			close(p[i].fd);
	if (!exited && !timed_out)
		waitpid(pid, &status, 0);
	if (timed_out)
		r.status = -1;
	else
		r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	return r;
}

struct run_result h_pith(const char *arg, ...)
{
	char *argv[64];
	int n = 0;
	argv[n++] = (char *)h_bin("pith");
	argv[n++] = "--root";
	argv[n++] = (char *)h_root();
	va_list ap;
	va_start(ap, arg);
	for (const char *a = arg; a && n < 63; a = va_arg(ap, const char *))
		argv[n++] = (char *)a;
	va_end(ap);
	argv[n] = NULL;
	return h_run(argv, 60);
}

void h_result_free(struct run_result *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

void h_bundle_init(struct bundle *b, const char *test_name)
{
	memset(b, 0, sizeof(*b));
	snprintf(b->id, sizeof(b->id), "t-%s-%d", test_name, (int)getpid());
	snprintf(b->dir, sizeof(b->dir), "/tmp/pith-bundle-%s-XXXXXX", test_name);
	if (!mkdtemp(b->dir))
		abort();
	char *argv[] = { (char *)h_bin("pith"), "spec", "--bundle", b->dir, NULL };
	struct run_result r = h_run(argv, 10);
	h_result_free(&r);
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/config.json", b->dir);
	b->config = json_load_file(path, 0, NULL);
	if (!b->config)
		b->config = json_object();
	char rootfs[PATH_MAX];
	snprintf(rootfs, sizeof(rootfs), "%s/fixtures/rootfs", h_build_dir());
	json_object_set_new(b->config, "root", json_pack("{s:s,s:b}", "path", rootfs, "readonly", 1));
	json_t *linux_ = json_object_get(b->config, "linux");
	if (!linux_) {
		linux_ = json_object();
		json_object_set_new(b->config, "linux", linux_);
	}
	char cg[256];
	snprintf(cg, sizeof(cg), "/pith-test/%s", b->id);
	json_object_set_new(linux_, "cgroupsPath", json_string(cg));
	json_t *proc = json_object_get(b->config, "process");
	if (proc)
		json_object_set_new(proc, "terminal", json_false());
}

void h_bundle_set_args(struct bundle *b, const char *arg, ...)
{
	json_t *args = json_array();
	va_list ap;
	va_start(ap, arg);
	for (const char *a = arg; a; a = va_arg(ap, const char *))
		json_array_append_new(args, json_string(a));
	va_end(ap);
	json_object_set_new(json_object_get(b->config, "process"), "args", args);
}

void h_bundle_write(struct bundle *b)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/config.json", b->dir);
	json_dump_file(b->config, path, JSON_INDENT(1));
}

void h_bundle_cleanup(struct bundle *b)
{
	struct run_result r = h_pith("delete", "--force", b->id, NULL);
	h_result_free(&r);
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", b->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup of %s failed\n", b->dir);
	json_decref(b->config);
	b->config = NULL;
}

char *h_read_file(const char *path)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return NULL;
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	size_t n;
	while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
		len += n;
		if (cap - len < 2) {
			cap *= 2;
			buf = realloc(buf, cap);
		}
	}
	buf[len] = '\0';
	fclose(f);
	return buf;
}

bool h_path_exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

unsigned long h_ns_inode(pid_t pid, const char *name)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, name);
	struct stat st;
	if (stat(path, &st) < 0)
		return 0;
	return (unsigned long)st.st_ino;
}

pid_t h_state(const char *id, char *status, size_t len)
{
	struct run_result r = h_pith("state", id, NULL);
	pid_t pid = 0;
	if (status && len)
		status[0] = '\0';
	json_t *j = r.status == 0 ? json_loads(r.out, 0, NULL) : NULL;
	if (j) {
		pid = (pid_t)json_integer_value(json_object_get(j, "pid"));
		if (status)
			snprintf(status, len, "%s", json_string_value(json_object_get(j, "status")));
		json_decref(j);
	}
	h_result_free(&r);
	return pid;
}

int h_count_mounts(const char *needle)
{
	char *m = h_read_file("/proc/self/mountinfo");
	int n = 0;
	for (char *p = m; p && (p = strstr(p, needle)); p++)
		n++;
	free(m);
	return n;
}

bool h_cgroup_exists(const char *rel)
{
	static const char *const roots[] = { "/sys/fs/cgroup/memory", "/sys/fs/cgroup/pids",
		"/sys/fs/cgroup/cpu", "/sys/fs/cgroup/freezer", "/sys/fs/cgroup/devices", "/sys/fs/cgroup/blkio",
		"/sys/fs/cgroup/cpuset", "/sys/fs/cgroup/unified", "/sys/fs/cgroup" };
	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		char path[PATH_MAX];
		snprintf(path, sizeof(path), "%s/%s", roots[i], rel);
		struct stat st;
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
			return true;
	}
	return false;
}
