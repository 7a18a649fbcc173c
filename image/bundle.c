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
#include <unistd.h>

#include "../config/spec.h"
#include "image.h"

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* What overlayfs answers when it is missing or refuses these directories (an upper on an
 * overlay, on a filesystem without xattrs or d_type, in a namespace that may not mount it). */
static bool overlay_unavailable(int e)
{
	return e == ENODEV || e == EINVAL || e == EPERM || e == EOPNOTSUPP;
}

static int mount_overlay(struct store *st, char (*chain)[DIGEST_LEN], size_t n, const char *rootfs,
			 const char *scratch, struct pith_error *err)
{
	size_t cap = n * (strlen(st->path) + 80) + 3 * PATH_MAX;
	char *opts = malloc(cap);
	if (!opts)
		return pith_fail(err, ENOMEM, "overlay options");
	size_t used = (size_t)snprintf(opts, cap, "lowerdir=");
	/* overlay lists the top layer first */
	for (size_t i = n; i-- > 0;)
		used += (size_t)snprintf(opts + used, cap - used, "%s/layers/%s%s", st->path, chain[i] + 7, i ? ":" : "");
	snprintf(opts + used, cap - used, ",upperdir=%s/upper,workdir=%s/work", scratch, scratch);
	int r = mount("overlay", rootfs, "overlay", 0, opts) < 0 ? -errno : 0;
	free(opts);
	return r;
}

/* The overlay, or where overlayfs cannot serve, a copy of the layers (said on stderr). */
static int make_rootfs(struct store *st, json_t *config, const char *dir, const struct bundle_options *opts,
		       struct pith_error *err)
{
	char (*chain)[DIGEST_LEN];
	size_t n;
	int r = manifest_chain_ids(config, &chain, &n, err);
	if (r < 0)
		return r;
	for (size_t i = 0; r == 0 && i < n; i++)
		if (!store_has_layer(st, chain[i]))
			r = pith_fail(err, ENOENT, "layer %s: not in the store (load the image again)", chain[i]);
	if (r == 0 && n == 0)
		r = pith_fail(err, 0, "the image has no layers");
	char rootfs[PATH_MAX], scratch[PATH_MAX];
	snprintf(rootfs, sizeof(rootfs), "%s/rootfs", dir);
	snprintf(scratch, sizeof(scratch), "%s%s", dir, opts->tmpfs_upper ? "/tmpfs" : "");
	int e = r == 0 && !opts->no_overlay ? mount_overlay(st, chain, n, rootfs, scratch, err) : 0;
	if (r == 0 && e < 0 && (opts->tmpfs_upper || !overlay_unavailable(-e)))
		r = pith_fail(err, -e, "mounting the overlay on %s%s", rootfs,
			      opts->tmpfs_upper ? " (--tmpfs-upper needs overlayfs)" : "");
	if (r == 0 && (opts->no_overlay || e < 0)) {
		char p[PATH_MAX];
		snprintf(p, sizeof(p), "%s/upper", dir), rmdir(p);
		snprintf(p, sizeof(p), "%s/work", dir), rmdir(p);
		char why[160];
		snprintf(why, sizeof(why), "%s", opts->no_overlay ? "--no-overlay" : strerror(-e));
		r = bundle_copy_layers(st, chain, n, rootfs, err);
		if (r == 0)
			fprintf(stderr, "pith-image: note: no overlay (%s): the %zu layers were copied into %s; "
				"nothing is shared with the store and writes stay in that copy\n", why, n, rootfs);
	}
	free(chain);
	return r;
}

/* User through the image's own files: the rootfs is mounted (or copied) by now. */
static int resolve_user(const char *rootfs, const char *user, json_t *process, struct pith_error *err)
{
	if (!user || !*user)
		return 0;
	int rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return pith_fail(err, errno, "%s", rootfs);
	json_t *u;
	int r = image_user(rootfd, user, &u, err);
	close(rootfd);
	if (r == 0)
		json_object_set_new(process, "user", u);
	return r;
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

static int remove_bundle_dirs(const char *dir, bool recorded, struct pith_error *err);

static int make_dir(const char *dir, const char *sub, mode_t mode, struct pith_error *err)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/%s", dir, sub);
	return mkdir(p, mode) < 0 ? pith_fail(err, errno, "%s", p) : 0;
}

/* rootfs, and the overlay's upper (the container's /: the mode a rootfs root has) and work
 * directories, on a tmpfs of their own with --tmpfs-upper: no write reaches the disk. */
static int make_dirs(const char *dir, const struct bundle_options *opts, struct pith_error *err)
{
	int r = make_dir(dir, "rootfs", 0755, err);
	if (r < 0)
		return pith_wrap(err, "bundle"); /* an existing bundle stays as it is */
	if (opts->tmpfs_upper && (r = make_dir(dir, "tmpfs", 0700, err)) == 0) {
		char p[PATH_MAX];
		snprintf(p, sizeof(p), "%s/tmpfs", dir);
		if (mount("tmpfs", p, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700") < 0)
			r = pith_fail(err, errno, "mounting a tmpfs on %s", p);
	}
	const char *base = opts->tmpfs_upper ? "tmpfs/" : "";
	char upper[16], work[16];
	snprintf(upper, sizeof(upper), "%supper", base);
	snprintf(work, sizeof(work), "%swork", base);
	if (r == 0 && !opts->no_overlay && (r = make_dir(dir, upper, 0755, err)) == 0)
		r = make_dir(dir, work, 0700, err);
	if (r < 0)
		remove_bundle_dirs(dir, false, &(struct pith_error){ 0 });
	return r < 0 ? pith_wrap(err, "bundle") : 0;
}

/* copied: the rootfs is a copy of the layers this store made (bundle_create recorded it) */
static int remove_bundle_dirs(const char *dir, bool recorded, struct pith_error *err)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/rootfs", dir);
	bool mounted = umount2(p, UMOUNT_NOFOLLOW) == 0;
	if (!mounted && errno != EINVAL && errno != ENOENT)
		return pith_fail(err, errno, "unmounting %s", p);
	/* an overlay's mount point is empty once unmounted; a copy is removed only when the
	 * store made this bundle, and never across a mount still inside it */
	if (rmdir(p) < 0 && errno != ENOENT) {
		if (errno != ENOTEMPTY || mounted || !recorded)
			return pith_fail(err, errno, "%s", p);
		int r = store_remove_tree(p, err);
		if (r < 0)
			return r;
		if (rmdir(p) < 0 && errno != ENOENT)
			return pith_fail(err, errno, "%s (a mount inside it?)", p);
	}
	snprintf(p, sizeof(p), "%s/tmpfs", dir);
	if (umount2(p, UMOUNT_NOFOLLOW) < 0 && errno != EINVAL && errno != ENOENT)
		return pith_fail(err, errno, "unmounting %s", p);
	static const char *const subs[] = { "tmpfs", "upper", "work" };
	for (size_t i = 0; i < 3; i++) {
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

int bundle_create(struct store *st, const char *image, const char *dir_arg, char **args, int nargs,
		  char **env, int nenv, const struct bundle_options *opts, struct pith_error *err)
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
	else if ((r = make_dirs(dir, opts, err)) < 0)
		rmdir(dir); /* make_dirs undid its own; a DIR with other content stays */
	else if ((r = store_bundle_record(st, dir, digest, err)) < 0)
		remove_bundle_dirs(dir, false, &(struct pith_error){ 0 });
	else if ((r = make_rootfs(st, config, dir, opts, err)) < 0 ||
		 (r = write_config(config, dir, args, nargs, env, nenv, err)) < 0)
		bundle_remove(st, dir, &(struct pith_error){ 0 });
	free(dir);
	json_decref(config);
	return r;
}

int bundle_remove(struct store *st, const char *dir_arg, struct pith_error *err)
{
	/* the record is keyed by the path bundle_create resolved */
	char *dir = realpath(dir_arg, NULL);
	if (!dir)
		return pith_fail(err, errno, "%s", dir_arg);
	int r = remove_bundle_dirs(dir, store_bundle_recorded(st, dir), err);
	if (r == 0)
		r = store_bundle_forget(st, dir, err);
	free(dir);
	return r;
}
