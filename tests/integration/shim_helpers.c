/* See shim_helpers.h. */
#include "shim_helpers.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_ARGV 64

const char *shim_test_build(void)
{
	const char *b = getenv("PITH_BUILD");
	return b && *b ? b : "build";
}

const char *shim_test_runtime(void)
{
	static char path[512];
	const char *r = getenv("PITH_SHIM_TEST_RUNTIME");
	if (r && *r)
		return r;
	snprintf(path, sizeof(path), "%s/pith", shim_test_build());
	return path;
}

static const char *abs_build_file(const char *name)
{
	static char path[2][512];
	static int k;
	char cwd[256];
	const char *b = shim_test_build();
	k ^= 1;
	if (b[0] == '/')
		snprintf(path[k], sizeof(path[k]), "%s/%s", b, name);
	else
		snprintf(path[k], sizeof(path[k]), "%s/%s/%s", getcwd(cwd, sizeof(cwd)) ? cwd : ".", b,
			 name);
	return path[k];
}

int64_t shimt_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void copy_file(const char *from, const char *to)
{
	if (link(from, to) == 0)
		return;
	int in = open(from, O_RDONLY | O_CLOEXEC);
	int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	cr_assert(in >= 0 && out >= 0, "copy %s -> %s: %s", from, to, strerror(errno));
	char buf[65536];
	ssize_t n;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		cr_assert(write(out, buf, (size_t)n) == n);
	close(in);
	close(out);
}

/* rootfs = busybox + one symlink per applet, made from the static busybox. */
static void make_rootfs(const char *rootfs)
{
	char path[512], cmd[600];
	static const char *const dirs[] = { "", "/bin", "/proc", "/dev", "/sys", "/tmp", "/out", "/etc" };
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", rootfs, dirs[i]);
		cr_assert(mkdir(path, 0755) == 0 || errno == EEXIST, "mkdir %s", path);
	}
	snprintf(path, sizeof(path), "%s/bin/busybox", rootfs);
	copy_file("/bin/busybox", path);
	snprintf(cmd, sizeof(cmd), "/bin/busybox --list");
	FILE *f = popen(cmd, "r");
	cr_assert(f);
	char name[64];
	while (fgets(name, sizeof(name), f)) {
		name[strcspn(name, "\n")] = '\0';
		if (!*name || strcmp(name, "busybox") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/bin/%s", rootfs, name);
		if (symlink("busybox", path) < 0)
			cr_assert(errno == EEXIST);
	}
	pclose(f);
}

void shim_env_init(struct shim_env *e, const char *name)
{
	memset(e, 0, sizeof(*e));
	snprintf(e->dir, sizeof(e->dir), "/tmp/pith-shim-%s.XXXXXX", name);
	cr_assert(mkdtemp(e->dir), "mkdtemp: %s", strerror(errno));
	snprintf(e->id, sizeof(e->id), "shimtest-%s-%d", name, (int)getpid());
#define P(field, fmt) snprintf(e->field, sizeof(e->field), fmt, e->dir)
	P(bundle, "%s/bundle");
	P(out, "%s/out");
	P(log, "%s/ctr.log");
	P(exit_file, "%s/exit.json");
	P(sock, "%s/ctl.sock");
	P(run_dir, "%s/run");
	P(pid_file, "%s/shim.pid");
	P(root, "%s/state");
#undef P
	snprintf(e->cgroup, sizeof(e->cgroup), "/pith-test/shim/%s", e->id);
	cr_assert(mkdir(e->bundle, 0755) == 0 && mkdir(e->out, 0777) == 0);
	char rootfs[200];
	snprintf(rootfs, sizeof(rootfs), "%s/rootfs", e->bundle);
	make_rootfs(rootfs);
}

/* The script as the body of a JSON string. */
static void json_quote(char *out, size_t cap, const char *s)
{
	size_t o = 0;
	for (; *s && o + 8 < cap; s++) {
		if (*s == '"' || *s == '\\')
			out[o++] = '\\', out[o++] = *s;
		else if (*s == '\n')
			out[o++] = '\\', out[o++] = 'n';
		else
			out[o++] = *s;
	}
	out[o] = '\0';
}

static const char config_fmt[] =
	"{\"ociVersion\":\"1.0.2\",\n"
	"\"process\":{\"terminal\":%s,\"user\":{\"uid\":0,\"gid\":0},\n"
	" \"args\":[\"/bin/sh\",\"-c\",\"%s\"],\n"
	" \"env\":[\"PATH=/bin\",\"TERM=xterm\"],\"cwd\":\"/\",\n"
	" \"capabilities\":{\"bounding\":[\"CAP_KILL\",\"CAP_AUDIT_WRITE\"],"
	"\"effective\":[\"CAP_KILL\",\"CAP_AUDIT_WRITE\"],\"permitted\":[\"CAP_KILL\",\"CAP_AUDIT_WRITE\"]},\n"
	" \"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":1024,\"soft\":1024}],\"noNewPrivileges\":true},\n"
	"\"root\":{\"path\":\"rootfs\",\"readonly\":false},\n"
	"\"hostname\":\"shimtest\",\n"
	"\"mounts\":[{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},\n"
	" {\"destination\":\"/dev\",\"type\":\"tmpfs\",\"source\":\"tmpfs\",\"options\":[\"nosuid\",\"strictatime\",\"mode=755\",\"size=65536k\"]},\n"
	" {\"destination\":\"/dev/pts\",\"type\":\"devpts\",\"source\":\"devpts\",\"options\":[\"nosuid\",\"noexec\",\"newinstance\",\"ptmxmode=0666\",\"mode=0620\"]},\n"
	" {\"destination\":\"/out\",\"type\":\"bind\",\"source\":\"%s\",\"options\":[\"rbind\",\"rw\"]}],\n"
	"\"linux\":{\"resources\":{\"devices\":[{\"allow\":false,\"access\":\"rwm\"}]%s},\n"
	" \"cgroupsPath\":\"%s\",\n"
	" \"namespaces\":[%s{\"type\":\"ipc\"},{\"type\":\"uts\"},{\"type\":\"mount\"},{\"type\":\"network\"}],\n"
	" \"maskedPaths\":[\"/proc/kcore\",\"/sys/firmware\"],\"readonlyPaths\":[\"/proc/sys\"]}}\n";

void shim_env_bundle(struct shim_env *e, const struct bundle_opts *o)
{
	static char script[16384];
	char mem[96] = "", path[200];
	json_quote(script, sizeof(script), o->script);
	if (o->memory_limit)
		snprintf(mem, sizeof(mem), ",\"memory\":{\"limit\":%llu}",
			 (unsigned long long)o->memory_limit);
	snprintf(path, sizeof(path), "%s/config.json", e->bundle);
	FILE *f = fopen(path, "w");
	cr_assert(f);
	fprintf(f, config_fmt, o->terminal ? "true" : "false", script, e->out, mem, e->cgroup,
		o->no_pid_ns ? "" : "{\"type\":\"pid\"},");
	fclose(f);
}

static int wait_status(pid_t pid)
{
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static pid_t spawn(char *const argv[], int out_fd)
{
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		if (out_fd >= 0) {
			dup2(out_fd, 1);
			dup2(out_fd, 2);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

int shim_env_run(struct shim_env *e, const char *const *extra)
{
	const char *argv[MAX_ARGV] = {
		abs_build_file("pith-shim"), "--id", e->id, "--bundle", e->bundle,
		"--runtime", shim_test_runtime(), "--root", e->root, "--socket", e->sock,
		"--run-dir", e->run_dir, "--pid-file", e->pid_file, "--exit-file", e->exit_file,
	};
	size_t n = 17;
	for (size_t i = 0; extra && extra[i] && n < MAX_ARGV - 1; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	char path[200];
	snprintf(path, sizeof(path), "%s/shim.out", e->dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	pid_t pid = spawn((char *const *)argv, fd);
	close(fd);
	return wait_status(pid);
}

int shim_env_ctl(struct shim_env *e, char *out, size_t cap, const char *const *args)
{
	const char *argv[MAX_ARGV] = { abs_build_file("pith-shim"), "ctl", "--socket", e->sock };
	size_t n = 4;
	for (size_t i = 0; args[i] && n < MAX_ARGV - 1; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	int p[2];
	cr_assert(pipe2(p, O_CLOEXEC) == 0);
	pid_t pid = spawn((char *const *)argv, p[1]);
	close(p[1]);
	size_t len = 0;
	ssize_t r;
	char sink[256];
	while ((r = read(p[0], out && len + 1 < cap ? out + len : sink,
			 out && len + 1 < cap ? cap - 1 - len : sizeof(sink))) > 0)
		if (out && len + 1 < cap)
			len += (size_t)r;
	if (out)
		out[len] = '\0';
	close(p[0]);
	return wait_status(pid);
}

int shim_env_runtime(struct shim_env *e, const char *const *args)
{
	const char *argv[MAX_ARGV] = { shim_test_runtime(), "--root", e->root };
	size_t n = 3;
	for (size_t i = 0; args[i] && n < MAX_ARGV - 1; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	pid_t pid = spawn((char *const *)argv, null);
	close(null);
	return wait_status(pid);
}

bool shimt_wait_file(const char *path, int timeout_ms)
{
	int64_t end = shimt_now_ms() + timeout_ms;
	while (access(path, F_OK) != 0) {
		if (shimt_now_ms() > end)
			return false;
		usleep(10000);
	}
	return true;
}

char *shimt_read(const char *path, size_t *len)
{
	/* read to EOF: /proc files report a size of 0 */
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	cr_assert(buf);
	ssize_t r;
	while ((r = read(fd, buf + n, cap - n - 1)) > 0) {
		n += (size_t)r;
		if (cap - n - 1 == 0) {
			cap *= 2;
			buf = realloc(buf, cap);
			cr_assert(buf);
		}
	}
	close(fd);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

pid_t shimt_read_pid(const char *path)
{
	char *s = shimt_read(path, NULL);
	pid_t pid = s ? (pid_t)atoi(s) : 0;
	free(s);
	return pid;
}

long shimt_json_int(const char *json, const char *key, long def)
{
	char pat[64];
	snprintf(pat, sizeof(pat), "\"%s\":", key);
	const char *p = json ? strstr(json, pat) : NULL;
	return p ? strtol(p + strlen(pat), NULL, 10) : def;
}

int shimt_json_bool(const char *json, const char *key)
{
	char pat[64];
	snprintf(pat, sizeof(pat), "\"%s\":", key);
	const char *p = json ? strstr(json, pat) : NULL;
	if (!p)
		return -1;
	return strncmp(p + strlen(pat), "true", 4) == 0;
}

pid_t shim_env_container_pid(struct shim_env *e)
{
	char buf[1024];
	const char *args[] = { "status", NULL };
	if (shim_env_ctl(e, buf, sizeof(buf), args) != 0)
		return 0;
	return (pid_t)shimt_json_int(buf, "pid", 0);
}

bool shimt_pid_alive(pid_t pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *rp = strrchr(buf, ')');
	return rp && rp[1] == ' ' && rp[2] != 'Z' && rp[2] != 'X';
}

static void remove_cgroups(const struct shim_env *e)
{
	const char *const levels[] = { e->cgroup, "/pith-test/shim", "/pith-test" };
	for (size_t l = 0; l < 3; l++) {
		char pat[256];
		snprintf(pat, sizeof(pat), "/sys/fs/cgroup/*%s", levels[l]);
		glob_t g;
		if (glob(pat, GLOB_ONLYDIR, NULL, &g) == 0) {
			for (size_t i = 0; i < g.gl_pathc; i++)
				rmdir(g.gl_pathv[i]); /* EBUSY while another test still uses it */
			globfree(&g);
		}
	}
}

void shim_env_cleanup(struct shim_env *e)
{
	if (!e->dir[0])
		return;
	pid_t shim = shimt_read_pid(e->pid_file);
	if (shim > 0 && shimt_pid_alive(shim))
		kill(shim, SIGKILL);
	const char *del[] = { "delete", "--force", e->id, NULL };
	shim_env_runtime(e, del);
	remove_cgroups(e);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", e->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup: %s failed\n", cmd);
}
