/* Bundles and container runs for the .NET tests; see dn.h. */
#include "dn.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *dn_env(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

bool dn_have_shim(void) { return dn_env("DN_SHIM") != NULL; }
bool dn_have_seccomp(void) { return dn_env("DN_SECCOMP") != NULL; }

int64_t dn_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

char *dn_read_file(const char *path)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return NULL;
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap + 1);
	size_t n;
	while (buf && (n = fread(buf + len, 1, cap - len, f)) > 0) {
		len += n;
		if (len == cap) {
			char *nb = realloc(buf, cap * 2 + 1);
			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
	}
	fclose(f);
	if (buf)
		buf[len] = '\0';
	return buf;
}

static void mkdirs(const char *path)
{
	char tmp[1024];
	snprintf(tmp, sizeof tmp, "%s", path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(tmp, 0755);
			*p = '/';
		}
	}
	mkdir(tmp, 0755);
}

/* ---------- bundles ---------- */

static json_t *json_strings(const char *first, const char *const *rest)
{
	json_t *a = json_array();
	if (first)
		json_array_append_new(a, json_string(first));
	for (; rest && *rest; rest++)
		json_array_append_new(a, json_string(*rest));
	return a;
}

static json_t *mount_entry(const char *dst, const char *type, const char *src, const char *const *opts)
{
	json_t *m = json_object();
	json_object_set_new(m, "destination", json_string(dst));
	json_object_set_new(m, "type", json_string(type));
	json_object_set_new(m, "source", json_string(src));
	json_object_set_new(m, "options", json_strings(NULL, opts));
	return m;
}

static json_t *obj(json_t *parent, const char *key)
{
	json_t *o = json_object_get(parent, key);
	if (!json_is_object(o)) {
		o = json_object();
		json_object_set_new(parent, key, o);
	}
	return o;
}

/* The profile file is the OCI `linux.seccomp` object, or a config fragment holding one. */
static json_t *load_seccomp(const char *path)
{
	json_t *j = json_load_file(path, 0, NULL);
	if (!j)
		return NULL;
	json_t *inner = json_object_get(json_object_get(j, "linux"), "seccomp");
	if (!inner)
		inner = json_object_get(j, "seccomp");
	if (inner) {
		json_incref(inner);
		json_decref(j);
		return inner;
	}
	return j;
}

static void set_mounts(json_t *spec, const char *dotnet_root)
{
	json_t *mounts = json_object_get(spec, "mounts");
	json_t *keep = json_array();
	size_t i;
	json_t *m;
	bool have_cgroup = false;
	json_array_foreach(mounts, i, m) {
		const char *dst = json_string_value(json_object_get(m, "destination"));
		if (dst && strcmp(dst, "/tmp") == 0)
			continue;
		if (dst && strcmp(dst, "/sys/fs/cgroup") == 0)
			have_cgroup = true;
		json_array_append(keep, m);
	}
	static const char *const ro_bind[] = { "rbind", "ro", "nosuid", "nodev", NULL };
	static const char *const tmp_opts[] = { "nosuid", "nodev", "mode=1777", "size=65536k", NULL };
	static const char *const cg_opts[] = { "nosuid", "noexec", "nodev", "relatime", "ro", NULL };
	json_array_append_new(keep, mount_entry(dotnet_root, "bind", dotnet_root, ro_bind));
	json_array_append_new(keep, mount_entry("/tmp", "tmpfs", "tmpfs", tmp_opts));
	if (!have_cgroup)
		json_array_append_new(keep, mount_entry("/sys/fs/cgroup", "cgroup", "cgroup", cg_opts));
	json_object_set_new(spec, "mounts", keep);
}

static void set_namespaces(json_t *linux_)
{
	json_t *ns = json_object_get(linux_, "namespaces");
	if (!json_is_array(ns)) {
		ns = json_array();
		json_object_set_new(linux_, "namespaces", ns);
	}
	size_t i;
	json_t *n;
	json_array_foreach(ns, i, n)
		if (strcmp(json_string_value(json_object_get(n, "type")) ?: "", "cgroup") == 0)
			return;
	json_array_append_new(ns, json_pack("{s:s}", "type", "cgroup"));
}

static void set_process(json_t *spec, const struct dn_bundle_opts *o, const char *dotnet_root)
{
	json_t *p = obj(spec, "process");
	char host[600], *argv0 = host;
	snprintf(host, sizeof host, "%s/dotnet", dotnet_root);
	json_object_set_new(p, "terminal", json_false());
	json_t *args = json_strings(argv0, NULL);
	json_array_append_new(args, json_string("/app/dnprobe.dll"));
	for (const char *const *a = o->args; a && *a; a++)
		json_array_append_new(args, json_string(*a));
	json_object_set_new(p, "args", args);
	static const char *const base_env[] = {
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1",
		"DOTNET_NOLOGO=1",
		NULL,
	};
	json_t *env = json_strings(NULL, base_env);
	for (const char *const *e = o->env; e && *e; e++)
		json_array_append_new(env, json_string(*e));
	json_object_set_new(p, "env", env);
	json_object_set_new(p, "cwd", json_string("/app"));
}

static void set_resources(json_t *linux_, const struct dn_bundle_opts *o)
{
	json_t *r = obj(linux_, "resources");
	if (o->memory)
		json_object_set_new(obj(r, "memory"), "limit", json_integer((json_int_t)o->memory));
	if (o->cpu_quota) {
		json_t *cpu = obj(r, "cpu");
		json_object_set_new(cpu, "quota", json_integer(o->cpu_quota));
		json_object_set_new(cpu, "period", json_integer(100000));
	}
}

int dn_bundle_make(const struct dn_bundle_opts *o, char *dir, size_t dirlen)
{
	const char *dn = dn_env("DN_DIR");
	if (!dn) {
		fprintf(stderr, "DN_DIR is not set\n");
		return -1;
	}
	char path[1024];
	snprintf(path, sizeof path, "%s/dotnet-root", dn);
	char *root_txt = dn_read_file(path);
	if (!root_txt) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	root_txt[strcspn(root_txt, "\n")] = '\0';

	snprintf(path, sizeof path, "%s/spec.json", dn);
	json_error_t jerr;
	json_t *spec = json_load_file(path, 0, &jerr);
	if (!spec) {
		fprintf(stderr, "%s: %s\n", path, jerr.text);
		free(root_txt);
		return -1;
	}
	char rootfs[1024];
	snprintf(rootfs, sizeof rootfs, "%s/rootfs", dn);
	json_object_set_new(spec, "root", json_pack("{s:s,s:b}", "path", rootfs, "readonly", 1));
	/* An older peer (crun 1.8 in the bench) refuses a newer ociVersion than it knows. */
	if (dn_env("DN_OCI_VERSION"))
		json_object_set_new(spec, "ociVersion", json_string(dn_env("DN_OCI_VERSION")));
	json_object_del(spec, "hostname");
	set_process(spec, o, root_txt);
	set_mounts(spec, root_txt);
	json_t *linux_ = obj(spec, "linux");
	set_namespaces(linux_);
	char cg[256];
	snprintf(cg, sizeof cg, "/pith-test/dotnet-%s", o->name);
	json_object_set_new(linux_, "cgroupsPath", json_string(cg));
	set_resources(linux_, o);
	if (o->no_seccomp) {
		json_object_del(linux_, "seccomp");
	} else if (dn_env("DN_SECCOMP") && !json_object_get(linux_, "seccomp")) {
		json_t *sc = load_seccomp(dn_env("DN_SECCOMP"));
		if (!sc) {
			fprintf(stderr, "%s: not a seccomp profile\n", dn_env("DN_SECCOMP"));
			json_decref(spec);
			free(root_txt);
			return -1;
		}
		json_object_set_new(linux_, "seccomp", sc);
	}
	free(root_txt);

	snprintf(dir, dirlen, "%s/bundles/%s", dn, o->name);
	mkdirs(dir);
	snprintf(path, sizeof path, "%s/config.json", dir);
	int rc = json_dump_file(spec, path, JSON_INDENT(1));
	json_decref(spec);
	if (rc != 0)
		fprintf(stderr, "%s: cannot write\n", path);
	return rc == 0 ? 0 : -1;
}

/* ---------- processes ---------- */

static pid_t spawn(char *const argv[], const char *out)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	int fd = out ? open(out, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644) : open("/dev/null", O_WRONLY);
	int in = open("/dev/null", O_RDONLY);
	if (fd < 0 || in < 0)
		_exit(126);
	dup2(in, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	/* Its own process group, so a stray terminal signal for the test never reaches it. */
	setpgid(0, 0);
	execv(argv[0], argv);
	_exit(127);
}

static int wait_pid(pid_t pid, int *status, int timeout_ms)
{
	int64_t end = dn_now_ms() + timeout_ms;
	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);
		if (r == pid)
			return 0;
		if (r < 0)
			return -1;
		if (dn_now_ms() >= end)
			return -1;
		usleep(5000);
	}
}

int dn_run(char *const argv[], char **output, int timeout_ms)
{
	char tmpl[] = "/tmp/dn-run-XXXXXX";
	int fd = mkstemp(tmpl);
	if (fd < 0)
		return -1;
	close(fd);
	pid_t pid = spawn(argv, tmpl);
	int status = -1;
	if (pid < 0 || wait_pid(pid, &status, timeout_ms) < 0) {
		if (pid > 0) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
		}
		status = -1;
	}
	if (output)
		*output = dn_read_file(tmpl);
	unlink(tmpl);
	return status;
}

static void ctr_init(struct dn_ctr *c, const struct dn_bundle_opts *o, bool via_shim)
{
	memset(c, 0, sizeof *c);
	const char *dn = dn_env("DN_DIR");
	snprintf(c->id, sizeof c->id, "dotnet-%s", o->name);
	/* One state root per runtime: runc and pith must never read each other's state. */
	const char *rt = dn_env("DN_RUNTIME") ?: "runtime";
	const char *base = strrchr(rt, '/');
	snprintf(c->root, sizeof c->root, "%.200s/state/%.60s", dn, base ? base + 1 : rt);
	mkdirs(c->root);
	char dir[256];
	snprintf(dir, sizeof dir, "%.200s/out", dn);
	mkdirs(dir);
	snprintf(c->out, sizeof c->out, "%s/%.60s.out", dir, o->name);
	snprintf(c->log, sizeof c->log, "%s/%.60s.log", dir, o->name);
	snprintf(c->exitf, sizeof c->exitf, "%s/%.60s.exit", dir, o->name);
	snprintf(c->sock, sizeof c->sock, "%s/%.60s.sock", dir, o->name);
	c->via_shim = via_shim;
	c->status = -1;
	c->pid = -1;
	/* Leftovers of an earlier, interrupted run would make create fail. */
	dn_cleanup(c);
	char path[700];
	for (int k = 1; k < 32; k++) {
		snprintf(path, sizeof path, "%s.%d", c->log, k);
		unlink(path);
	}
	unlink(c->log);
	unlink(c->exitf);
	unlink(c->out);
}

int dn_start_direct(struct dn_ctr *c, const struct dn_bundle_opts *o)
{
	ctr_init(c, o, false);
	if (dn_bundle_make(o, c->bundle, sizeof c->bundle) < 0)
		return -1;
	char *argv[] = { (char *)dn_env("DN_RUNTIME"), "--root", c->root, "run", "--bundle", c->bundle, c->id, NULL };
	c->pid = spawn(argv, c->out);
	return c->pid > 0 ? 0 : -1;
}

int dn_start(struct dn_ctr *c, const struct dn_bundle_opts *o, const struct dn_shim_opts *so)
{
	if (!dn_have_shim())
		return dn_start_direct(c, o);
	ctr_init(c, o, true);
	if (dn_bundle_make(o, c->bundle, sizeof c->bundle) < 0)
		return -1;
	char timeout[32], maxsize[32], maxfiles[32];
	char *argv[32];
	int n = 0;
	argv[n++] = (char *)dn_env("DN_SHIM");
	argv[n++] = "--id"; argv[n++] = c->id;
	argv[n++] = "--bundle"; argv[n++] = c->bundle;
	argv[n++] = "--runtime"; argv[n++] = (char *)dn_env("DN_RUNTIME");
	argv[n++] = "--root"; argv[n++] = c->root;
	argv[n++] = "--log"; argv[n++] = c->log;
	argv[n++] = "--exit-file"; argv[n++] = c->exitf;
	argv[n++] = "--socket"; argv[n++] = c->sock;
	argv[n++] = "--foreground";
	if (so && so->stop_timeout) {
		snprintf(timeout, sizeof timeout, "%d", so->stop_timeout);
		argv[n++] = "--stop-timeout"; argv[n++] = timeout;
	}
	if (so && so->init)
		argv[n++] = "--init";
	if (so && so->log_max_size) {
		snprintf(maxsize, sizeof maxsize, "%" PRIu64, so->log_max_size);
		snprintf(maxfiles, sizeof maxfiles, "%d", so->log_max_files);
		argv[n++] = "--log-max-size"; argv[n++] = maxsize;
		argv[n++] = "--log-max-files"; argv[n++] = maxfiles;
	}
	argv[n] = NULL;
	c->pid = spawn(argv, c->out);
	return c->pid > 0 ? 0 : -1;
}

int dn_wait(struct dn_ctr *c, int timeout_ms)
{
	if (c->pid <= 0)
		return c->status >= 0 ? 0 : -1;
	if (wait_pid(c->pid, &c->status, timeout_ms) < 0)
		return -1;
	c->pid = -1;
	return 0;
}

/* k8s-file records ("<time> <stream> <P|F> <text>") back to plain text; other lines as they are. */
static void unrecord(char *text)
{
	char *w = text;
	for (char *line = text; *line;) {
		char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		char *sp1 = memchr(line, ' ', len);
		char *sp2 = sp1 ? memchr(sp1 + 1, ' ', len - (size_t)(sp1 + 1 - line)) : NULL;
		bool rec = sp2 && (sp2[1] == 'P' || sp2[1] == 'F') && sp2[2] == ' ' &&
			   (strncmp(sp1 + 1, "stdout ", 7) == 0 || strncmp(sp1 + 1, "stderr ", 7) == 0);
		char *from = rec ? sp2 + 3 : line;
		size_t n = len - (size_t)(from - line);
		memmove(w, from, n);
		w += n;
		if (!rec || sp2[1] == 'F')
			*w++ = '\n';
		if (!nl)
			break;
		line = nl + 1;
	}
	*w = '\0';
}

char *dn_output(struct dn_ctr *c)
{
	if (!c->via_shim)
		return dn_read_file(c->out);
	char *text = dn_read_file(c->log);
	if (text)
		unrecord(text);
	return text;
}

bool dn_wait_output(struct dn_ctr *c, const char *needle, int timeout_ms)
{
	int64_t end = dn_now_ms() + timeout_ms;
	do {
		char *text = dn_output(c);
		bool found = text && strstr(text, needle);
		free(text);
		if (found)
			return true;
		if (c->pid > 0 && c->status < 0 && waitpid(c->pid, &c->status, WNOHANG) == c->pid)
			c->pid = -1;
		if (c->pid <= 0) {
			text = dn_output(c);
			found = text && strstr(text, needle);
			free(text);
			return found;
		}
		usleep(10000);
	} while (dn_now_ms() < end);
	return false;
}

int dn_stop(struct dn_ctr *c)
{
	if (c->via_shim) {
		char *argv[] = { (char *)dn_env("DN_SHIM"), "ctl", "--socket", c->sock, "stop", NULL };
		/* stop may wait for the container: never longer than the caller's own wait. */
		pid_t pid = spawn(argv, NULL);
		return pid > 0 ? 0 : -1;
	}
	return dn_kill(c, "TERM");
}

int dn_kill(struct dn_ctr *c, const char *sig)
{
	if (c->via_shim) {
		char *argv[] = { (char *)dn_env("DN_SHIM"), "ctl", "--socket", c->sock, "kill", (char *)sig, NULL };
		return dn_run(argv, NULL, 10000) == 0 ? 0 : -1;
	}
	char *argv[] = { (char *)dn_env("DN_RUNTIME"), "--root", c->root, "kill", c->id, (char *)sig, NULL };
	return dn_run(argv, NULL, 10000) == 0 ? 0 : -1;
}

pid_t dn_init_pid(struct dn_ctr *c)
{
	char *argv[] = { (char *)dn_env("DN_RUNTIME"), "--root", c->root, "state", c->id, NULL };
	char *out = NULL;
	pid_t pid = -1;
	if (dn_run(argv, &out, 10000) == 0 && out) {
		json_t *j = json_loads(out, JSON_DISABLE_EOF_CHECK, NULL);
		if (j && json_is_integer(json_object_get(j, "pid")))
			pid = (pid_t)json_integer_value(json_object_get(j, "pid"));
		json_decref(j);
	}
	free(out);
	return pid > 0 ? pid : -1;
}

static void remove_cgroups(const char *id)
{
	DIR *d = opendir("/sys/fs/cgroup");
	if (!d)
		return;
	struct dirent *e;
	char path[700];
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "/sys/fs/cgroup/%s/pith-test/%s", e->d_name, id);
		rmdir(path);
	}
	closedir(d);
	snprintf(path, sizeof path, "/sys/fs/cgroup/pith-test/%s", id);
	rmdir(path);
}

void dn_cleanup(struct dn_ctr *c)
{
	if (c->pid > 0) {
		if (c->via_shim) {
			char *argv[] = { (char *)dn_env("DN_SHIM"), "ctl", "--socket", c->sock, "kill", "KILL", NULL };
			dn_run(argv, NULL, 3000);
		}
		char *argv[] = { (char *)dn_env("DN_RUNTIME"), "--root", c->root, "kill", c->id, "KILL", NULL };
		dn_run(argv, NULL, 3000);
		if (dn_wait(c, 3000) < 0) {
			/* A hung shim or runtime: its whole process group (spawn made one). */
			kill(-c->pid, SIGKILL);
			kill(c->pid, SIGKILL);
			dn_wait(c, 3000);
		}
	}
	char *argv[] = { (char *)dn_env("DN_RUNTIME"), "--root", c->root, "delete", "--force", c->id, NULL };
	dn_run(argv, NULL, 10000);
	remove_cgroups(c->id);
}

char *dn_exit_record(struct dn_ctr *c)
{
	return dn_read_file(c->exitf);
}
