/* linux.sysctl: only keys that belong to a namespace the container has of
 * its own are allowed (runc's rules), so a container config can never set a
 * host-wide kernel parameter. Checked in the parent, written by the init. */
#include "rootfs.h"
#include "../cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif

/* sysctl(8)'s rule: when the first separator is '/', the key is a path
 * already and its dots are part of names (eth0.100); otherwise '.' and '/'
 * swap roles ("net.ipv4.conf.eth0/100.forwarding"). */
int sysctl_key_to_path(const char *key, char *out, size_t out_len)
{
	size_t n = strlen(key);
	size_t first = strcspn(key, "./");
	bool slashes = key[first] == '/';
	if (n == 0 || n >= out_len)
		return -EINVAL;
	for (size_t i = 0; i <= n; i++) {
		char c = key[i];
		out[i] = slashes ? c : c == '.' ? '/' : c == '/' ? '.' : c;
	}
	/* every part a plain name: no "", ".", ".." (no way out of /proc/sys) */
	for (const char *p = out;;) {
		size_t len = strcspn(p, "/");
		if (len == 0 || (len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
			return -EINVAL;
		if (!p[len])
			return 0;
		p += len + 1;
	}
}

static bool starts(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

static bool ipc_key(const char *k)
{
	static const char *const keys[] = {
		"kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
		"kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
	};
	for (size_t i = 0; i < sizeof(keys) / sizeof(*keys); i++)
		if (!strcmp(k, keys[i]))
			return true;
	return starts(k, "fs.mqueue.");
}

static const char *ns_path(const struct spec *spec, int type)
{
	for (size_t i = 0; i < spec->linux_.n_namespaces; i++)
		if (spec->linux_.namespaces[i].type == type)
			return spec->linux_.namespaces[i].path;
	return NULL;
}

/* A network namespace joined by path may still be the host's own. */
static bool joins_host_netns(const struct spec *spec)
{
	const char *path = ns_path(spec, CLONE_NEWNET);
	struct stat a, b;
	if (!path || stat(path, &a) < 0 || stat("/proc/self/ns/net", &b) < 0)
		return false;
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static int check_key(const struct spec *spec, const char *key, const char *dotted, struct pith_error *err)
{
	int have = spec->linux_.new_namespaces | spec->linux_.join_namespaces;
	int need;
	const char *ns;
	if (ipc_key(dotted)) {
		need = CLONE_NEWIPC, ns = "ipc";
	} else if (starts(dotted, "net.")) {
		need = CLONE_NEWNET, ns = "network";
		if ((have & need) && joins_host_netns(spec))
			return pith_fail(err, EINVAL, "linux.sysctl: \"%s\" is not allowed: the network namespace "
					 "joined is the host's", key);
	} else if (!strcmp(dotted, "kernel.domainname")) {
		need = CLONE_NEWUTS, ns = "uts";
	} else if (!strcmp(dotted, "kernel.hostname")) {
		if (spec->hostname)
			return pith_fail(err, EINVAL, "linux.sysctl: \"%s\" conflicts with \"hostname\"", key);
		need = CLONE_NEWUTS, ns = "uts";
	} else if (starts(dotted, "user.")) {
		need = CLONE_NEWUSER, ns = "user";
	} else {
		return pith_fail(err, EINVAL, "linux.sysctl: \"%s\" is not in a separate kernel namespace", key);
	}
	if (!(have & need))
		return pith_fail(err, EINVAL, "linux.sysctl: \"%s\" needs a %s namespace of the container's own",
				 key, ns);
	return 0;
}

int sysctl_validate(const struct spec *spec, struct pith_error *err)
{
	const struct spec_kvv *s = &spec->linux_.sysctl;
	for (size_t i = 0; i < s->n; i++) {
		char path[PATH_MAX], dotted[PATH_MAX];
		if (sysctl_key_to_path(s->v[i].key, path, sizeof(path)) < 0)
			return pith_fail(err, EINVAL, "linux.sysctl: \"%s\" is not a valid key", s->v[i].key);
		/* the canonical dotted name the rules are written in */
		for (size_t j = 0;; j++) {
			char c = path[j];
			dotted[j] = c == '/' ? '.' : c == '.' ? '/' : c;
			if (!c)
				break;
		}
		if (check_key(spec, s->v[i].key, dotted, err) < 0)
			return -1;
	}
	return 0;
}

static int write_one(int dir, const char *key, const char *value, struct pith_error *err)
{
	char path[PATH_MAX];
	if (sysctl_key_to_path(key, path, sizeof(path)) < 0)
		return pith_fail(err, EINVAL, "linux.sysctl: \"%s\" is not a valid key", key);
	auto_fd fd = openat(dir, path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return pith_fail(err, errno, "linux.sysctl: %s: open /proc/sys/%s", key, path);
	size_t len = strlen(value);
	ssize_t n = write(fd, value, len);
	if (n < 0 || (size_t)n != len)
		return pith_fail(err, n < 0 ? errno : EIO, "linux.sysctl: %s: write \"%s\" to /proc/sys/%s", key,
				 value, path);
	return 0;
}

int sysctl_apply(const struct spec *spec, struct pith_error *err)
{
	const struct spec_kvv *s = &spec->linux_.sysctl;
	if (!s->n)
		return 0;
	auto_fd dir = open("/proc/sys", O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct statfs sf;
	if (dir < 0)
		return pith_fail(err, errno, "linux.sysctl: open /proc/sys (is /proc mounted in the container?)");
	if (fstatfs(dir, &sf) < 0 || sf.f_type != PROC_SUPER_MAGIC)
		return pith_fail(err, EINVAL, "linux.sysctl: /proc/sys in the container is not procfs");
	for (size_t i = 0; i < s->n; i++)
		if (write_one(dir, s->v[i].key, s->v[i].value, err) < 0)
			return -1;
	return 0;
}
