/* The rootfs of a bundle where overlayfs cannot be mounted: the layers copied into it, bottom
 * first, with the overlay rules applied as each lands (a whiteout removes what is below it, an
 * opaque directory is emptied first). libarchive reads each layer directory and writes the
 * rootfs (owners, modes, times, xattrs, hardlinks, sparse files) with its secure-extract
 * checks: the layers' own symlinks never redirect a write or a removal. */
#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <archive.h>
#include <archive_entry.h>

#include "overlay.h"


/* The directory holding PATH in the rootfs, reached with no symlink on the way; -ENOENT when
 * there is none (nothing to remove then: the overlay would not follow a symlink either). */
static int parent_beneath(int rootfd, const char *path, const char **base)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	*base = slash ? slash + 1 : path;
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
	return overlay_open_beneath(rootfd, *dir ? dir : ".", O_PATH | O_DIRECTORY);
}

static int remove_at(int dirfd, const char *name, struct pith_error *err)
{
	struct stat s;
	if (fstatat(dirfd, name, &s, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : pith_fail(err, errno, "%s", name);
	if (!S_ISDIR(s.st_mode))
		return unlinkat(dirfd, name, 0) < 0 ? pith_fail(err, errno, "%s", name) : 0;
	char p[64 + NAME_MAX];
	snprintf(p, sizeof(p), "/proc/self/fd/%d/%s", dirfd, name);
	return store_remove_tree(p, err);
}

/* What a whiteout in a layer deletes, or (contents_only) what an opaque directory hides. */
static int remove_beneath(int rootfd, const char *path, bool contents_only, struct pith_error *err)
{
	const char *base;
	int dir = parent_beneath(rootfd, path, &base);
	if (dir < 0)
		return dir == -ENOENT || dir == -ENOTDIR || dir == -ELOOP ? 0 : pith_fail(err, -dir, "%s", path);
	int r = 0;
	if (!contents_only) {
		r = remove_at(dir, base, err);
	} else {
		int fd = openat(dir, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
		struct dirent *e;
		while (r == 0 && d && (e = readdir(d)))
			if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
				r = remove_at(fd, e->d_name, err);
		if (d)
			closedir(d);
		else if (fd >= 0)
			close(fd);
	}
	close(dir);
	return r < 0 ? pith_wrap(err, "removing %s from the copied rootfs", path) : 0;
}

/* Drop the overlay's own xattr from an entry (the copy is a plain directory); true if it was there. */
static bool take_opaque(struct archive_entry *e)
{
	bool opaque = false;
	const char *name;
	const void *value;
	size_t size;
	archive_entry_xattr_reset(e);
	while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK)
		if (strcmp(name, OPAQUE_XATTR) == 0)
			opaque = size == 1 && *(const char *)value == 'y';
	if (!opaque)
		return false;
	struct archive_entry *copy = archive_entry_clone(e);
	archive_entry_xattr_clear(e);
	archive_entry_xattr_reset(copy);
	while (archive_entry_xattr_next(copy, &name, &value, &size) == ARCHIVE_OK)
		if (strcmp(name, OPAQUE_XATTR) != 0)
			archive_entry_xattr_add_entry(e, name, value, size);
	archive_entry_free(copy);
	return true;
}

static int write_entry(struct archive *rd, struct archive *disk, struct archive_entry *e, struct pith_error *err)
{
	const char *name = archive_entry_pathname(e);
	if (archive_write_header(disk, e) != ARCHIVE_OK)
		return pith_fail(err, archive_errno(disk), "%s: %s", name, archive_error_string(disk));
	const void *buf;
	size_t len;
	la_int64_t off;
	int ar;
	while (archive_entry_hardlink(e) == NULL && (ar = archive_read_data_block(rd, &buf, &len, &off)) == ARCHIVE_OK)
		if (archive_write_data_block(disk, buf, len, off) != ARCHIVE_OK)
			return pith_fail(err, archive_errno(disk), "%s: %s", name, archive_error_string(disk));
	if (archive_write_finish_entry(disk) != ARCHIVE_OK)
		return pith_fail(err, archive_errno(disk), "%s: %s", name, archive_error_string(disk));
	return 0;
}

/* One entry of a layer onto the rootfs: a whiteout removes, an opaque directory is emptied
 * first, anything else replaces what a lower layer had there. */
static int apply_entry(struct archive *rd, struct archive *disk, struct archive_entry_linkresolver *links,
		       int rootfd, struct archive_entry *e, struct pith_error *err)
{
	const char *name = archive_entry_pathname(e);
	mode_t type = archive_entry_filetype(e);
	if (type == AE_IFCHR && archive_entry_rdev(e) == makedev(0, 0))
		return remove_beneath(rootfd, name, false, err);
	struct stat s;
	const char *base;
	int dir = parent_beneath(rootfd, name, &base);
	bool was_dir = dir >= 0 && fstatat(dir, base, &s, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(s.st_mode);
	if (dir >= 0)
		close(dir);
	int r = 0;
	if (type == AE_IFDIR && take_opaque(e))
		r = remove_beneath(rootfd, name, true, err);
	else if (type != AE_IFDIR && was_dir)
		r = remove_beneath(rootfd, name, false, err);
	if (r < 0)
		return r;
	struct archive_entry *spare = NULL;
	archive_entry_linkify(links, &e, &spare);
	if (e)
		r = write_entry(rd, disk, e, err);
	return r;
}

static int copy_layer(const char *layer, int rootfd, struct archive *disk, struct pith_error *err)
{
	struct archive *rd = archive_read_disk_new();
	struct archive_entry_linkresolver *links = archive_entry_linkresolver_new();
	struct archive_entry *e = archive_entry_new();
	int r = 0;
	if (!rd || !links || !e) {
		r = pith_fail(err, ENOMEM, "%s", layer);
		goto out;
	}
	/* hardlinks inside a layer stay hardlinks: the first name is written, the rest link to it */
	archive_entry_linkresolver_set_strategy(links, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED);
	archive_read_disk_set_symlink_physical(rd);
	archive_read_disk_set_behavior(rd, ARCHIVE_READDISK_NO_TRAVERSE_MOUNTS);
	if (archive_read_disk_open(rd, layer) != ARCHIVE_OK) {
		r = pith_fail(err, archive_errno(rd), "%s: %s", layer, archive_error_string(rd));
		goto out;
	}
	size_t prefix = strlen(layer);
	int ar;
	while (r == 0 && (ar = archive_read_next_header2(rd, e)) == ARCHIVE_OK) {
		if (archive_entry_filetype(e) == AE_IFDIR)
			archive_read_disk_descend(rd);
		const char *p = archive_entry_pathname(e);
		if (strlen(p) <= prefix + 1)
			continue; /* the layer's own root: the rootfs has one */
		char rel[PATH_MAX];
		snprintf(rel, sizeof(rel), "%s", p + prefix + 1);
		archive_entry_set_pathname(e, rel);
		r = apply_entry(rd, disk, links, rootfd, e, err);
	}
	if (r == 0 && ar != ARCHIVE_EOF)
		r = pith_fail(err, archive_errno(rd), "%s: %s", layer, archive_error_string(rd));
out:
	if (e)
		archive_entry_free(e);
	if (links)
		archive_entry_linkresolver_free(links);
	if (rd)
		archive_read_free(rd);
	return r;
}

static struct archive *disk_writer(void)
{
	struct archive *disk = archive_write_disk_new();
	if (disk)
		archive_write_disk_set_options(disk, ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM |
			ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_UNLINK | ARCHIVE_EXTRACT_SPARSE |
			ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
			ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS);
	return disk;
}

int bundle_copy_layers(struct store *st, char (*chain)[DIGEST_LEN], size_t n, const char *rootfs,
		       struct pith_error *err)
{
	int rootfd = open(rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	/* libarchive resolves entry names against the working directory */
	if (rootfd < 0 || cwd < 0 || fchdir(rootfd) < 0) {
		int r = pith_fail(err, errno, "%s", rootfs);
		if (rootfd >= 0)
			close(rootfd);
		if (cwd >= 0)
			close(cwd);
		return r;
	}
	int r = 0;
	for (size_t i = 0; r == 0 && i < n; i++) {
		char layer[PATH_MAX];
		snprintf(layer, sizeof(layer), "%s/layers/%s", st->path, chain[i] + 7);
		struct archive *disk = disk_writer();
		r = disk ? copy_layer(layer, rootfd, disk, err) : pith_fail(err, ENOMEM, "archive");
		/* directory modes and times are set here, after their contents, once per layer */
		if (disk && archive_write_close(disk) != ARCHIVE_OK && r == 0)
			r = pith_fail(err, archive_errno(disk), "%s", archive_error_string(disk));
		if (disk)
			archive_write_free(disk);
	}
	if (fchdir(cwd) < 0 && r == 0)
		r = pith_fail(err, errno, "back to the working directory");
	if (r == 0 && syncfs(rootfd) < 0)
		r = pith_fail(err, errno, "%s: syncfs", rootfs);
	close(rootfd);
	close(cwd);
	return r;
}
