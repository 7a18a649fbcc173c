/* The content-addressed store: blobs/sha256/<hex> (manifests, configs), layers/<chain id>/
 * (unpacked, complete or absent), names.json (name -> manifest digest, replaced atomically),
 * one lock for every command that changes it. */
#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image.h"
#include "pull.h"

static int mkdir_p(const char *path, struct pith_error *err)
{
	char buf[PATH_MAX];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; ; p++) {
		if (*p == '/' || !*p) {
			char c = *p;
			*p = 0;
			if (mkdir(buf, 0700) < 0 && errno != EEXIST)
				return pith_fail(err, errno, "%s", buf);
			if (!(*p = c))
				break;
		}
	}
	return 0;
}

/* Who may share the store: commands that only read it, or write files of their own (ls,
 * inspect, df, bundle, and a pull while it downloads), hold it shared; whatever changes the
 * names or removes anything (load, tag, rm, gc, a pull's commit) holds it alone. */
int store_lock(struct store *st, int how, struct pith_error *err)
{
	return flock(st->lock_fd, how) < 0 ? pith_fail(err, errno, "%s/lock", st->path) : 0;
}

int store_open(const char *path, int how, struct store *st, struct pith_error *err)
{
	st->fd = st->lock_fd = -1;
	/* layer paths go into overlay's lowerdir=a:b,... option */
	if (strpbrk(path, ":,"))
		return pith_fail(err, 0, "--store %s: the path must not contain ':' or ','", path);
	char sub[PATH_MAX];
	snprintf(sub, sizeof(sub), "%s/blobs/sha256", path);
	int r = mkdir_p(sub, err);
	snprintf(sub, sizeof(sub), "%s/layers", path);
	if (r == 0)
		r = mkdir_p(sub, err);
	snprintf(sub, sizeof(sub), "%s/bundles", path);
	if (r == 0)
		r = mkdir_p(sub, err);
	if (r < 0)
		return r;
	st->path = realpath(path, NULL);
	if (!st->path)
		return pith_fail(err, errno, "%s", path);
	st->fd = open(st->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (st->fd >= 0)
		st->lock_fd = openat(st->fd, "lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (st->lock_fd < 0 || flock(st->lock_fd, how) < 0) {
		r = pith_fail(err, errno, "%s/lock", st->path);
		store_close(st);
	}
	return r;
}

void store_close(struct store *st)
{
	if (st->fd >= 0)
		close(st->fd);
	if (st->lock_fd >= 0)
		close(st->lock_fd);
	free(st->path);
	st->path = NULL;
	st->fd = st->lock_fd = -1;
}

int store_write_atomic(int dirfd, const char *name, const void *buf, size_t len, struct pith_error *err)
{
	char tmp[PATH_MAX];
	snprintf(tmp, sizeof(tmp), "%s.tmp-%d", name, (int)getpid());
	int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return pith_fail(err, errno, "%s", tmp);
	const char *p = buf;
	int r = 0;
	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			r = pith_fail(err, errno, "%s", tmp);
			break;
		}
		p += w;
		len -= (size_t)w;
	}
	if (r == 0 && fsync(fd) < 0)
		r = pith_fail(err, errno, "%s: fsync", tmp);
	close(fd);
	if (r == 0 && renameat(dirfd, tmp, dirfd, name) < 0)
		r = pith_fail(err, errno, "%s", name);
	if (r < 0) {
		unlinkat(dirfd, tmp, 0);
		return r;
	}
	if (fsync(dirfd) < 0)
		return pith_fail(err, errno, "fsync");
	return 0;
}

static int blobs_dir(struct store *st, struct pith_error *err)
{
	int fd = openat(st->fd, "blobs/sha256", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? pith_fail(err, errno, "%s/blobs/sha256", st->path) : fd;
}

int store_put_blob(struct store *st, const char *digest, const void *buf, size_t len, struct pith_error *err)
{
	int dir = blobs_dir(st, err);
	if (dir < 0)
		return dir;
	int r = 0;
	if (faccessat(dir, digest + 7, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
		r = store_write_atomic(dir, digest + 7, buf, len, err);
	close(dir);
	return r;
}

int store_get_blob(struct store *st, const char *digest, char **buf, size_t *len, struct pith_error *err)
{
	if (!digest_valid(digest))
		return pith_fail(err, 0, "\"%s\": not a sha256 digest", digest);
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "blobs/sha256/%s", digest + 7);
	struct source s = { .dirfd = st->fd };
	int r = source_read_small(&s, path, buf, len, err);
	if (r < 0)
		return r;
	char got[DIGEST_LEN];
	if ((r = digest_of(*buf, *len, got, err)) == 0 && strcmp(got, digest) != 0)
		r = pith_fail(err, 0, "%s/%s: damaged (content is %s)", st->path, path, got);
	if (r < 0)
		free(*buf);
	return r;
}

bool store_has_layer(struct store *st, const char *chain_id)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "layers/%s", chain_id + 7);
	struct stat s;
	return fstatat(st->fd, path, &s, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(s.st_mode);
}

int store_names_load(struct store *st, json_t **names, struct pith_error *err)
{
	struct source s = { .dirfd = st->fd };
	char *buf;
	size_t len;
	int r = source_read_small(&s, "names.json", &buf, &len, err);
	if (r == -ENOENT) {
		*names = json_object();
		return 0;
	}
	if (r < 0)
		return r;
	json_error_t je;
	*names = json_loadb(buf, len, 0, &je);
	free(buf);
	if (!json_is_object(*names)) {
		json_decref(*names);
		return pith_fail(err, 0, "%s/names.json: %s", st->path, je.text);
	}
	return 0;
}

int store_names_save(struct store *st, json_t *names, struct pith_error *err)
{
	char *text = json_dumps(names, JSON_INDENT(1) | JSON_SORT_KEYS);
	if (!text)
		return pith_fail(err, ENOMEM, "names.json");
	int r = store_write_atomic(st->fd, "names.json", text, strlen(text), err);
	free(text);
	return r;
}

int store_resolve(struct store *st, const char *image, char out[DIGEST_LEN], struct pith_error *err)
{
	json_t *names;
	int r = store_names_load(st, &names, err);
	if (r < 0)
		return r;
	char latest[512];
	snprintf(latest, sizeof(latest), "%s:latest", image);
	const char *d = json_string_value(json_object_get(names, image));
	if (!d)
		d = json_string_value(json_object_get(names, latest));
	const char *key;
	json_t *v;
	json_object_foreach(names, key, v)
		if (!d && strcmp(json_string_value(v), image) == 0)
			d = image;
	/* pulled images are named as Docker normalises them: alpine is docker.io/library/alpine:latest */
	struct image_ref ref;
	char normal[REF_DOMAIN_MAX + REF_PATH_MAX + DIGEST_LEN + 4];
	if (!d && ref_parse(image, &ref, NULL) == 0) {
		ref_store_name(&ref, normal, sizeof(normal));
		d = json_string_value(json_object_get(names, normal));
	}
	if (d)
		snprintf(out, DIGEST_LEN, "%s", d);
	json_decref(names);
	return d ? 0 : pith_fail(err, ENOENT, "image %s: not in the store", image);
}

static json_t *load_json_blob(struct store *st, const char *digest, struct pith_error *err)
{
	char *buf;
	size_t len;
	if (store_get_blob(st, digest, &buf, &len, err) < 0)
		return NULL;
	json_error_t je;
	json_t *j = json_loadb(buf, len, 0, &je);
	free(buf);
	if (!json_is_object(j)) {
		json_decref(j);
		pith_fail(err, 0, "%s: %s", digest, je.text);
		return NULL;
	}
	return j;
}

int store_image_config(struct store *st, const char *manifest_digest, json_t **config, json_t **manifest,
		       struct pith_error *err)
{
	json_t *m = load_json_blob(st, manifest_digest, err);
	if (!m)
		return -1;
	const char *cd = json_string_value(json_object_get(json_object_get(m, "config"), "digest"));
	*config = cd ? load_json_blob(st, cd, err) : NULL;
	if (!cd)
		pith_fail(err, 0, "%s: no config digest", manifest_digest);
	if (manifest && *config)
		*manifest = json_incref(m);
	json_decref(m);
	return *config ? 0 : -1;
}

int store_ls(struct store *st, struct pith_error *err)
{
	json_t *names;
	int r = store_names_load(st, &names, err);
	if (r < 0)
		return r;
	const char *key;
	json_t *v;
	printf("%-40s %s\n", "NAME", "MANIFEST");
	json_object_foreach(names, key, v)
		printf("%-40s %s\n", key, json_string_value(v));
	json_decref(names);
	return 0;
}

int store_inspect(struct store *st, const char *image, struct pith_error *err)
{
	char digest[DIGEST_LEN];
	json_t *config, *manifest;
	int r = store_resolve(st, image, digest, err);
	if (r == 0)
		r = store_image_config(st, digest, &config, &manifest, err);
	if (r < 0)
		return r;
	char (*chain)[DIGEST_LEN] = NULL;
	size_t n = 0;
	r = manifest_chain_ids(config, &chain, &n, err);
	json_t *layers = json_array();
	for (size_t i = 0; r == 0 && i < n; i++) {
		json_t *d = json_array_get(json_object_get(manifest, "layers"), i);
		json_array_append_new(layers, json_pack("{s:O?, s:O?, s:s}", "digest", json_object_get(d, "digest"),
			"size", json_object_get(d, "size"), "chainID", chain[i]));
	}
	json_t *out = json_pack("{s:s, s:s, s:s, s:s?, s:o, s:O?}", "manifest", digest,
		"os", json_string_value(json_object_get(config, "os")) ?: "",
		"architecture", json_string_value(json_object_get(config, "architecture")) ?: "",
		"variant", json_string_value(json_object_get(config, "variant")),
		"layers", layers, "config", json_object_get(config, "config"));
	if (r == 0 && out)
		json_dumpf(out, stdout, JSON_INDENT(2)), putchar('\n');
	json_decref(out);
	free(chain);
	json_decref(config);
	json_decref(manifest);
	return r;
}

int store_rm(struct store *st, const char *image, struct pith_error *err)
{
	json_t *names;
	int r = store_names_load(st, &names, err);
	if (r < 0)
		return r;
	char latest[512];
	snprintf(latest, sizeof(latest), "%s:latest", image);
	const char *key = json_object_get(names, image) ? image : json_object_get(names, latest) ? latest : NULL;
	if (!key)
		r = pith_fail(err, ENOENT, "image %s: not in the store", image);
	else if (json_object_del(names, key) == 0)
		r = store_names_save(st, names, err);
	json_decref(names);
	return r < 0 ? r : store_gc(st, true, err);
}

int store_tag(struct store *st, const char *image, const char *name, struct pith_error *err)
{
	char digest[DIGEST_LEN];
	json_t *names;
	int r = store_resolve(st, image, digest, err);
	if (r == 0)
		r = store_names_load(st, &names, err);
	if (r < 0)
		return r;
	json_object_set_new(names, name, json_string(digest));
	r = store_names_save(st, names, err);
	json_decref(names);
	return r;
}

static unsigned long long df_bytes, df_files;

static int count_entry(const char *path, const struct stat *s, int flag, struct FTW *ftw)
{
	df_bytes += (unsigned long long)s->st_blocks * 512;
	df_files++;
	return 0;
}

int store_df(struct store *st, struct pith_error *err)
{
	static const char *const parts[] = { "layers", "blobs/sha256" };
	for (size_t i = 0; i < 2; i++) {
		char path[PATH_MAX];
		snprintf(path, sizeof(path), "%s/%s", st->path, parts[i]);
		df_bytes = df_files = 0;
		if (nftw(path, count_entry, 32, FTW_PHYS | FTW_MOUNT) < 0)
			return pith_fail(err, errno, "%s", path);
		printf("%-14s %12llu bytes %8llu entries\n", parts[i], df_bytes, df_files);
	}
	return 0;
}

static int remove_entry(const char *path, const struct stat *s, int flag, struct FTW *ftw)
{
	return (flag == FTW_DP ? rmdir(path) : unlink(path)) < 0 && errno != ENOENT ? -1 : 0;
}

int store_remove_tree(const char *path, struct pith_error *err)
{
	if (nftw(path, remove_entry, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) < 0 && errno != ENOENT)
		return pith_fail(err, errno, "removing %s", path);
	return 0;
}

/* bundles/<sha256 of the bundle path>: which manifest a bundle's overlay uses, so gc keeps
 * its layers. Written before the mount, removed after the unmount: a crash in between keeps
 * layers a little longer, never removes one in use. */
static int bundle_record_name(const char *dir, char name[DIGEST_LEN + 16], struct pith_error *err)
{
	char d[DIGEST_LEN];
	int r = digest_of(dir, strlen(dir), d, err);
	if (r == 0)
		snprintf(name, DIGEST_LEN + 16, "bundles/%s", d + 7);
	return r;
}

int store_bundle_record(struct store *st, const char *dir, const char *manifest, struct pith_error *err)
{
	char name[DIGEST_LEN + 16];
	int r = bundle_record_name(dir, name, err);
	if (r < 0)
		return r;
	json_t *rec = json_pack("{s:s, s:s}", "bundle", dir, "manifest", manifest);
	char *text = rec ? json_dumps(rec, JSON_COMPACT) : NULL;
	json_decref(rec);
	if (!text)
		return pith_fail(err, ENOMEM, "bundle record");
	r = store_write_atomic(st->fd, name, text, strlen(text), err);
	free(text);
	return r;
}

bool store_bundle_recorded(struct store *st, const char *dir)
{
	char name[DIGEST_LEN + 16];
	struct pith_error ignored;
	return bundle_record_name(dir, name, &ignored) == 0 && faccessat(st->fd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

int store_bundle_forget(struct store *st, const char *dir, struct pith_error *err)
{
	char name[DIGEST_LEN + 16];
	int r = bundle_record_name(dir, name, err);
	if (r == 0 && unlinkat(st->fd, name, 0) < 0 && errno != ENOENT)
		r = pith_fail(err, errno, "%s/%s", st->path, name);
	return r;
}

/* An image's manifest, config and layer chain IDs, into keep. */
static int keep_image(struct store *st, json_t *keep, const char *md, struct pith_error *err)
{
	json_t *config, *manifest;
	if (!md || store_image_config(st, md, &config, &manifest, err) < 0)
		return -1;
	json_object_set_new(keep, md + 7, json_true());
	json_object_set_new(keep, json_string_value(json_object_get(json_object_get(manifest, "config"), "digest")) + 7,
			    json_true());
	char (*chain)[DIGEST_LEN];
	size_t n;
	int r = manifest_chain_ids(config, &chain, &n, err);
	if (r == 0) {
		for (size_t i = 0; i < n; i++)
			json_object_set_new(keep, chain[i] + 7, json_true());
		free(chain);
	}
	json_decref(config);
	json_decref(manifest);
	return r;
}

static int keep_bundles(struct store *st, json_t *keep, struct pith_error *err)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/bundles", st->path);
	DIR *d = opendir(path);
	if (!d)
		return pith_fail(err, errno, "%s", path);
	struct dirent *e;
	int r = 0;
	while (r == 0 && (e = readdir(d))) {
		if (e->d_name[0] == '.' || strchr(e->d_name, '.'))
			continue;
		snprintf(path, sizeof(path), "bundles/%s", e->d_name);
		struct source s = { .dirfd = st->fd };
		char *buf;
		size_t len;
		if ((r = source_read_small(&s, path, &buf, &len, err)) < 0)
			break;
		json_t *rec = json_loadb(buf, len, 0, NULL);
		free(buf);
		r = keep_image(st, keep, json_string_value(json_object_get(rec, "manifest")), err);
		if (r < 0)
			pith_wrap(err, "%s/%s", st->path, path);
		json_decref(rec);
	}
	closedir(d);
	return r;
}

/* What names and bundles reach: manifests, their configs, the chain IDs of their layers. */
static int reachable(struct store *st, json_t **keep, struct pith_error *err)
{
	json_t *names;
	int r = store_names_load(st, &names, err);
	if (r < 0)
		return r;
	*keep = json_object();
	const char *key;
	json_t *v;
	json_object_foreach(names, key, v) {
		if ((r = keep_image(st, *keep, json_string_value(v), err)) < 0) {
			pith_wrap(err, "names.json: %s", key);
			break;
		}
	}
	json_decref(names);
	if (r == 0)
		r = keep_bundles(st, *keep, err);
	if (r < 0)
		json_decref(*keep);
	return r;
}

/* Remove every entry of DIR that keep does not hold (temporaries of a killed load too). */
static int sweep(struct store *st, const char *dir, json_t *keep, bool quiet, struct pith_error *err)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", st->path, dir);
	DIR *d = opendir(path);
	if (!d)
		return pith_fail(err, errno, "%s", path);
	struct dirent *e;
	int r = 0;
	while (r == 0 && (e = readdir(d))) {
		if (e->d_name[0] == '.' || json_object_get(keep, e->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s/%s", st->path, dir, e->d_name);
		r = store_remove_tree(path, err);
		if (r == 0 && !quiet)
			printf("removed %s/%s\n", dir, e->d_name);
	}
	closedir(d);
	return r;
}

int store_gc(struct store *st, bool quiet, struct pith_error *err)
{
	json_t *keep;
	int r = reachable(st, &keep, err);
	if (r < 0)
		return r;
	r = sweep(st, "layers", keep, quiet, err);
	if (r == 0)
		r = sweep(st, "blobs/sha256", keep, quiet, err);
	json_decref(keep);
	if (r == 0)
		syncfs(st->fd);
	return r;
}
