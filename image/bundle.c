/* `pith-image bundle IMAGE DIR`: an OCI bundle whose rootfs is an overlay of the image's
 * shared, read-only layer directories with a per-bundle upper and work directory, and whose
 * config.json is `pith spec`'s defaults with the image config applied as Docker does. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/openat2.h>

#include "../config/spec.h"
#include "image.h"

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static int mount_overlay(struct store *st, json_t *config, const char *dir, struct pith_error *err)
{
	char (*chain)[DIGEST_LEN];
	size_t n;
	int r = manifest_chain_ids(config, &chain, &n, err);
	if (r < 0)
		return r;
	if (n == 0) {
		free(chain);
		return pith_fail(err, 0, "the image has no layers");
	}
	size_t cap = n * (strlen(st->path) + 80) + 3 * PATH_MAX;
	char *opts = malloc(cap);
	size_t used = opts ? (size_t)snprintf(opts, cap, "lowerdir=") : 0;
	/* overlay lists the top layer first */
	for (size_t i = n; opts && i-- > 0;) {
		if (!store_has_layer(st, chain[i])) {
			r = pith_fail(err, ENOENT, "layer %s: not in the store (load the image again)", chain[i]);
			break;
		}
		used += (size_t)snprintf(opts + used, cap - used, "%s/layers/%s%s", st->path, chain[i] + 7, i ? ":" : "");
	}
	free(chain);
	if (!opts)
		return pith_fail(err, ENOMEM, "overlay options");
	snprintf(opts + used, cap - used, ",upperdir=%s/upper,workdir=%s/work", dir, dir);
	char rootfs[PATH_MAX];
	snprintf(rootfs, sizeof(rootfs), "%s/rootfs", dir);
	if (r == 0 && mount("overlay", rootfs, "overlay", 0, opts) < 0)
		r = pith_fail(err, errno, "mounting the overlay on %s", rootfs);
	free(opts);
	return r;
}

/* A line of the image's own passwd/group file whose first field (or third, numeric) is key. */
static int lookup_id(int rootfd, const char *file, const char *key, unsigned *id, unsigned *gid)
{
	struct open_how how = { .flags = O_RDONLY | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
	int fd = (int)syscall(SYS_openat2, rootfd, file, &how, sizeof(how));
	if (fd < 0)
		return -errno;
	FILE *f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return -ENOMEM;
	}
	char line[1024];
	int r = -ENOENT;
	while (r < 0 && fgets(line, sizeof(line), f)) {
		char *save, *name = strtok_r(line, ":", &save), *pw = strtok_r(NULL, ":", &save);
		char *u = strtok_r(NULL, ":", &save), *g = strtok_r(NULL, ":", &save);
		if (!name || !pw || !u || (strcmp(name, key) != 0 && strcmp(u, key) != 0))
			continue;
		*id = (unsigned)strtoul(u, NULL, 10);
		if (gid && g)
			*gid = (unsigned)strtoul(g, NULL, 10);
		r = 0;
	}
	fclose(f);
	return r;
}

static bool numeric(const char *s)
{
	return *s && strspn(s, "0123456789") == strlen(s);
}

/* User "name|uid[:group|gid]", through the image's /etc/passwd and /etc/group. */
static int resolve_user(const char *rootfs, const char *user, json_t *process, struct pith_error *err)
{
	if (!user || !*user)
		return 0;
	char u[256];
	snprintf(u, sizeof(u), "%s", user);
	char *g = strchr(u, ':');
	if (g)
		*g++ = 0;
	int rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return pith_fail(err, errno, "%s", rootfs);
	unsigned uid = 0, gid = 0;
	int r = lookup_id(rootfd, "/etc/passwd", u, &uid, &gid);
	if (r < 0 && numeric(u))
		uid = (unsigned)strtoul(u, NULL, 10), gid = 0, r = 0;
	if (r < 0) {
		close(rootfd);
		return pith_fail(err, -r, "image config: User \"%s\": not in the image's /etc/passwd", user);
	}
	if (g) {
		r = lookup_id(rootfd, "/etc/group", g, &gid, NULL);
		if (r < 0 && numeric(g))
			gid = (unsigned)strtoul(g, NULL, 10), r = 0;
		if (r < 0) {
			close(rootfd);
			return pith_fail(err, -r, "image config: User \"%s\": group not in the image's /etc/group", user);
		}
	}
	close(rootfd);
	json_object_set_new(process, "user", json_pack("{s:I, s:I}", "uid", (json_int_t)uid, "gid", (json_int_t)gid));
	return 0;
}

static json_t *process_args(json_t *img, char **args, int nargs)
{
	json_t *a = json_array();
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(img, "Entrypoint"), i, v)
		json_array_append(a, v);
	if (nargs > 0)
		for (int k = 0; k < nargs; k++)
			json_array_append_new(a, json_string(args[k]));
	else
		json_array_foreach(json_object_get(img, "Cmd"), i, v)
			json_array_append(a, v);
	return a;
}

/* The image's Env, then -e NAME=VALUE replacing a variable of the same name or adding it. */
static json_t *process_env(json_t *img, char **extra, int nextra)
{
	json_t *env = json_array();
	bool has_path = false;
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(img, "Env"), i, v) {
		if (strncmp(json_string_value(v) ?: "", "PATH=", 5) == 0)
			has_path = true;
		json_array_append(env, v);
	}
	if (!has_path)
		json_array_insert_new(env, 0, json_string(DEFAULT_PATH));
	for (int k = 0; k < nextra; k++) {
		size_t klen = (size_t)(strchr(extra[k], '=') - extra[k]) + 1;
		bool replaced = false;
		json_array_foreach(env, i, v)
			if (strncmp(json_string_value(v) ?: "", extra[k], klen) == 0 && !replaced)
				json_array_set_new(env, i, json_string(extra[k])), replaced = true;
		if (!replaced)
			json_array_append_new(env, json_string(extra[k]));
	}
	return env;
}

static int write_config(json_t *image_config, const char *dir, char **args, int nargs, char **env, int nenv,
			struct pith_error *err)
{
	json_t *img = json_object_get(image_config, "config");
	json_t *spec = spec_default_config(geteuid() != 0);
	if (!spec)
		return pith_fail(err, ENOMEM, "default config");
	json_t *process = json_object_get(spec, "process");
	json_t *args_json = process_args(img, args, nargs);
	int r = 0;
	if (json_array_size(args_json) == 0)
		r = pith_fail(err, 0, "the image has no Entrypoint or Cmd: give one after --");
	json_object_set_new(process, "args", args_json);
	json_object_set_new(process, "env", process_env(img, env, nenv));
	const char *cwd = json_string_value(json_object_get(img, "WorkingDir"));
	json_object_set_new(process, "cwd", json_string(cwd && *cwd == '/' ? cwd : "/"));
	json_object_set_new(spec, "root", json_pack("{s:s, s:b}", "path", "rootfs", "readonly", 0));
	json_t *ann = json_object();
	const char *key;
	json_t *v;
	json_object_foreach(json_object_get(img, "Labels"), key, v)
		json_object_set(ann, key, v);
	const char *stop = json_string_value(json_object_get(img, "StopSignal"));
	if (stop)
		json_object_set_new(ann, "org.opencontainers.image.stopSignal", json_string(stop));
	json_object_set_new(spec, "annotations", ann);
	char rootfs[PATH_MAX];
	snprintf(rootfs, sizeof(rootfs), "%s/rootfs", dir);
	if (r == 0)
		r = resolve_user(rootfs, json_string_value(json_object_get(img, "User")), process, err);
	char *text = r == 0 ? json_dumps(spec, JSON_INDENT(2)) : NULL;
	json_decref(spec);
	if (r < 0)
		return r;
	if (!text)
		return pith_fail(err, ENOMEM, "config.json");
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	r = dfd < 0 ? pith_fail(err, errno, "%s", dir) : store_write_atomic(dfd, "config.json", text, strlen(text), err);
	if (dfd >= 0)
		close(dfd);
	free(text);
	return r;
}

static int make_dirs(const char *dir, struct pith_error *err)
{
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return pith_fail(err, errno, "%s", dir);
	static const char *const subs[] = { "rootfs", "upper", "work" };
	for (size_t i = 0; i < 3; i++) {
		char p[PATH_MAX];
		snprintf(p, sizeof(p), "%s/%s", dir, subs[i]);
		/* the upper directory is the container's / : the mode a rootfs root has */
		if (mkdir(p, i == 2 ? 0700 : 0755) < 0)
			return pith_fail(err, errno, "%s", p);
	}
	return 0;
}

int bundle_create(struct store *st, const char *image, const char *dir_arg, char **args, int nargs,
		  char **env, int nenv, struct pith_error *err)
{
	char digest[DIGEST_LEN];
	json_t *config;
	int r = store_resolve(st, image, digest, err);
	if (r == 0)
		r = store_image_config(st, digest, &config, NULL, err);
	if (r < 0)
		return r;
	if (mkdir(dir_arg, 0700) < 0 && errno != EEXIST) {
		json_decref(config);
		return pith_fail(err, errno, "%s", dir_arg);
	}
	char *dir = realpath(dir_arg, NULL);
	if (!dir)
		r = pith_fail(err, errno, "%s", dir_arg);
	else if (strpbrk(dir, ":,"))
		r = pith_fail(err, 0, "%s: the bundle path must not contain ':' or ','", dir);
	else if ((r = make_dirs(dir, err)) < 0)
		r = pith_wrap(err, "bundle");
	else if ((r = store_bundle_record(st, dir, digest, err)) < 0)
		;
	else if ((r = mount_overlay(st, config, dir, err)) < 0)
		store_bundle_forget(st, dir, &(struct pith_error){ 0 });
	else if ((r = write_config(config, dir, args, nargs, env, nenv, err)) < 0) {
		struct pith_error ignored;
		bundle_remove(st, dir, &ignored);
	}
	if (r < 0 && dir && !strpbrk(dir, ":,")) {
		/* undo what this call made; a DIR with other content stays */
		char p[PATH_MAX];
		static const char *const subs[] = { "rootfs", "upper", "work" };
		for (size_t i = 0; i < 3; i++)
			snprintf(p, sizeof(p), "%s/%s", dir, subs[i]), rmdir(p);
		rmdir(dir);
	}
	free(dir);
	json_decref(config);
	return r;
}

static int remove_bundle_dirs(const char *dir, struct pith_error *err)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/rootfs", dir);
	if (umount2(p, UMOUNT_NOFOLLOW) < 0 && errno != EINVAL && errno != ENOENT)
		return pith_fail(err, errno, "unmounting %s", p);
	/* nothing else may be mounted there, or the removal below would reach into it */
	if (rmdir(p) < 0 && errno != ENOENT)
		return pith_fail(err, errno, "%s", p);
	static const char *const subs[] = { "upper", "work" };
	for (size_t i = 0; i < 2; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, subs[i]);
		int r = store_remove_tree(p, err);
		if (r < 0)
			return r;
	}
	snprintf(p, sizeof(p), "%s/config.json", dir);
	if (unlink(p) < 0 && errno != ENOENT)
		return pith_fail(err, errno, "%s", p);
	rmdir(dir);
	return 0;
}

int bundle_remove(struct store *st, const char *dir_arg, struct pith_error *err)
{
	/* the record is keyed by the path bundle_create resolved */
	char *dir = realpath(dir_arg, NULL);
	if (!dir)
		return pith_fail(err, errno, "%s", dir_arg);
	int r = remove_bundle_dirs(dir, err);
	if (r == 0)
		r = store_bundle_forget(st, dir, err);
	free(dir);
	return r;
}
