/* One layer blob -> store/layers/<chain id>, hostile until proven otherwise.
 *
 * Two libarchive readers in a chain: the outer one ("raw" format, every filter) turns the
 * blob into the plain tar stream, the inner one reads that tar and writes it to disk with
 * libarchive's secure-extract checks. Between them sit the two digests: the blob's (as the
 * manifest says) and the tar's (the diff ID the config says). Nothing is buffered beyond
 * libarchive's blocks, no compressed copy is kept, and the layer becomes visible only by a
 * rename after everything checked out and was synced. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <linux/openat2.h>
#include <archive.h>
#include <archive_entry.h>

#include "image.h"
#include "prefetch.h"

#define WHITEOUT ".wh."
#define OPAQUE ".wh..wh..opq"
#define BLOCK (128u << 10)

/* The blob is read, decompressed and hashed on a thread of its own (prefetch.c) while this one
 * writes the files: src, blob, diff, outer, perr and pfailed are that thread's. */
struct unpack {
	struct source_stream src;
	struct digest blob;       /* what the manifest's digest covers */
	struct digest diff;       /* the uncompressed tar: the diff ID */
	struct archive *outer;
	struct prefetch pf;
	uint64_t budget;
	struct pith_error *err;
	int failed;               /* a callback's error already in err */
	struct pith_error perr;   /* the decompressing side's error */
	int pfailed;
	char inbuf[BLOCK];
};

static la_ssize_t read_blob(struct archive *a, void *data, const void **buf)
{
	struct unpack *u = data;
	ssize_t got = source_stream_read(&u->src, u->inbuf, sizeof(u->inbuf), &u->perr);
	if (got < 0) {
		u->pfailed = (int)got;
		archive_set_error(a, EIO, "reading the blob");
		return -1;
	}
	digest_update(&u->blob, u->inbuf, (size_t)got);
	*buf = u->inbuf;
	return got;
}

/* The decompressing thread's step: the next piece of the tar, hashed and counted; at its end the
 * rest of the blob, so the blob's digest covers every byte. */
static ssize_t produce_tar(void *data, void *buf, size_t cap)
{
	struct unpack *u = data;
	la_ssize_t got = archive_read_data(u->outer, buf, cap);
	if (got < 0)
		return u->pfailed ? u->pfailed
				  : (u->pfailed = pith_fail(&u->perr, archive_errno(u->outer), "%s",
							    archive_error_string(u->outer)));
	digest_update(&u->diff, buf, (size_t)got);
	if (u->diff.size > u->budget)
		return u->pfailed = pith_fail(&u->perr, EFBIG, "layer unpacks to more than %" PRIu64
					      " bytes (--max-layer-bytes)", u->budget);
	if (got > 0)
		return got;
	ssize_t n;
	while ((n = source_stream_read(&u->src, u->inbuf, sizeof(u->inbuf), &u->perr)) > 0)
		digest_update(&u->blob, u->inbuf, (size_t)n);
	return n < 0 ? (u->pfailed = (int)n) : 0;
}

/* the decompressing side's error, now this side's */
static int take_producer_error(struct unpack *u, int r)
{
	if (!u->failed) {
		*u->err = u->perr;
		u->failed = r;
	}
	return u->failed;
}

static la_ssize_t read_tar(struct archive *a, void *data, const void **buf)
{
	struct unpack *u = data;
	ssize_t got = prefetch_next(&u->pf, buf);
	if (got < 0) {
		take_producer_error(u, (int)got);
		archive_set_error(a, EIO, "decompressing the layer");
		return -1;
	}
	return got;
}

/* The directory an entry's parent names, created when only lower layers have it;
 * a symlink on the way is refused: a whiteout never goes through one. */
static int open_parent(int rootfd, char *path, struct pith_error *err)
{
	int fd = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
	char *save = NULL;
	for (char *c = strtok_r(path, "/", &save); c && fd >= 0; c = strtok_r(NULL, "/", &save)) {
		if (strcmp(c, ".") == 0)
			continue;
		if (mkdirat(fd, c, 0755) < 0 && errno != EEXIST) {
			int e = errno;
			close(fd);
			return pith_fail(err, e, "%s", c);
		}
		struct open_how how = { .flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW,
					.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS };
		int next = (int)syscall(SYS_openat2, fd, c, &how, sizeof(how));
		int e = errno;
		close(fd);
		if (next < 0)
			return pith_fail(err, e, "%s", c);
		fd = next;
	}
	return fd;
}

/* .wh.NAME -> overlay whiteout (char 0/0); .wh..wh..opq -> the directory is opaque. */
static int apply_whiteout(int rootfd, const char *pathname, struct pith_error *err)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s", pathname);
	char *slash = strrchr(path, '/');
	char *base = slash ? slash + 1 : path;
	if (slash)
		*slash = 0;
	else
		snprintf(path, sizeof(path), ".");
	const char *name = base + strlen(WHITEOUT);
	bool opaque = strcmp(base, OPAQUE) == 0;
	char name_copy[NAME_MAX + 1];
	snprintf(name_copy, sizeof(name_copy), "%s", name);
	if (!opaque && (!*name_copy || strcmp(name_copy, ".") == 0 || strcmp(name_copy, "..") == 0 ||
			strncmp(name_copy, WHITEOUT, strlen(WHITEOUT)) == 0))
		return pith_fail(err, 0, "%s: not a valid whiteout", pathname);
	if (strstr(path, "..") && (strcmp(path, "..") == 0 || strncmp(path, "../", 3) == 0 || strstr(path, "/../") ||
				  (strlen(path) >= 3 && strcmp(path + strlen(path) - 3, "/..") == 0)))
		return pith_fail(err, 0, "%s: path contains '..'", pathname);
	int dir = open_parent(rootfd, path, err);
	if (dir < 0)
		return pith_wrap(err, "%s", pathname);
	int r = 0;
	if (opaque) {
		if (fsetxattr(dir, "trusted.overlay.opaque", "y", 1, 0) < 0)
			r = pith_fail(err, errno, "%s: setting trusted.overlay.opaque", pathname);
	} else if (mknodat(dir, name_copy, S_IFCHR | 0, makedev(0, 0)) < 0 && errno != EEXIST) {
		r = pith_fail(err, errno, "%s: making the whiteout", pathname);
	}
	close(dir);
	return r;
}

static int extract_entries(struct unpack *u, struct archive *tar, int rootfd)
{
	struct archive *disk = archive_write_disk_new();
	if (!disk)
		return pith_fail(u->err, ENOMEM, "archive");
	archive_write_disk_set_options(disk, ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME |
		ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
		ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS);
	struct archive_entry *e;
	int r = 0, ar;
	while (r == 0 && (ar = archive_read_next_header(tar, &e)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e);
		const char *base = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
		if (archive_entry_size(e) > 0 && (uint64_t)archive_entry_size(e) > u->budget) {
			r = pith_fail(u->err, EFBIG, "%s: claims %" PRId64 " bytes, more than the layer may hold", name,
				      (int64_t)archive_entry_size(e));
			break;
		}
		if (strncmp(base, WHITEOUT, strlen(WHITEOUT)) == 0) {
			r = apply_whiteout(rootfd, name, u->err);
			continue;
		}
		if (archive_write_header(disk, e) != ARCHIVE_OK) {
			r = pith_fail(u->err, archive_errno(disk), "%s: %s", name, archive_error_string(disk));
			break;
		}
		const void *buf;
		size_t len;
		la_int64_t off;
		while ((ar = archive_read_data_block(tar, &buf, &len, &off)) == ARCHIVE_OK)
			if (archive_write_data_block(disk, buf, len, off) != ARCHIVE_OK) {
				r = pith_fail(u->err, archive_errno(disk), "%s: %s", name, archive_error_string(disk));
				break;
			}
		if (r == 0 && ar != ARCHIVE_EOF)
			r = u->failed ? u->failed : pith_fail(u->err, archive_errno(tar), "%s: %s", name, archive_error_string(tar));
		if (r == 0 && archive_write_finish_entry(disk) != ARCHIVE_OK)
			r = pith_fail(u->err, archive_errno(disk), "%s: %s", name, archive_error_string(disk));
	}
	if (r == 0 && ar != ARCHIVE_EOF)
		r = u->failed ? u->failed : pith_fail(u->err, archive_errno(tar), "%s", archive_error_string(tar));
	/* directory modes and times are set here, after their contents */
	if (archive_write_close(disk) != ARCHIVE_OK && r == 0)
		r = pith_fail(u->err, archive_errno(disk), "%s", archive_error_string(disk));
	archive_write_free(disk);
	return r;
}

/* Read to the end of both streams, so the digests cover every byte. */
static int drain(struct unpack *u)
{
	const void *buf;
	ssize_t got;
	while ((got = prefetch_next(&u->pf, &buf)) > 0)
		;
	return got < 0 ? take_producer_error(u, (int)got) : 0;
}

static int unpack_into(struct unpack *u, int rootfd)
{
	struct archive_entry *e;
	u->outer = archive_read_new();
	struct archive *tar = archive_read_new();
	int r = 0;
	if (!u->outer || !tar) {
		r = pith_fail(u->err, ENOMEM, "archive");
		goto out;
	}
	archive_read_support_filter_all(u->outer);
	archive_read_support_format_raw(u->outer);
	archive_read_support_format_tar(tar);
	if (archive_read_open(u->outer, u, NULL, read_blob, NULL) != ARCHIVE_OK ||
	    archive_read_next_header(u->outer, &e) != ARCHIVE_OK) {
		r = u->pfailed ? take_producer_error(u, u->pfailed)
			       : pith_fail(u->err, archive_errno(u->outer), "%s", archive_error_string(u->outer));
		goto out;
	}
	if ((r = prefetch_start(&u->pf, produce_tar, u, u->err)) < 0)
		goto out;
	if (archive_read_open(tar, u, NULL, read_tar, NULL) != ARCHIVE_OK) {
		r = u->failed ? u->failed : pith_fail(u->err, archive_errno(tar), "%s", archive_error_string(tar));
		goto out;
	}
	r = extract_entries(u, tar, rootfd);
	if (r == 0)
		r = drain(u);
out:
	prefetch_stop(&u->pf);
	if (tar)
		archive_read_free(tar);
	if (u->outer)
		archive_read_free(u->outer);
	return r;
}

static int drop_cached(const char *path, const struct stat *s, int flag, struct FTW *ftw)
{
	if (flag != FTW_F || !S_ISREG(s->st_mode))
		return 0;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
	if (fd >= 0) {
		posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
		close(fd);
	}
	return 0;
}

static int extract_in(struct unpack *u, const char *tmp)
{
	int rootfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	int r;
	/* libarchive resolves entry names against the working directory */
	if (rootfd < 0 || cwd < 0 || fchdir(rootfd) < 0) {
		r = pith_fail(u->err, errno, "%s", tmp);
	} else {
		r = unpack_into(u, rootfd);
		if (fchdir(cwd) < 0 && r == 0)
			r = pith_fail(u->err, errno, "back to the working directory");
		if (r == 0 && syncfs(rootfd) < 0)
			r = pith_fail(u->err, errno, "%s: syncfs", tmp);
		/* the pages are on disk now: give the memory back to the running apps */
		if (r == 0)
			nftw(tmp, drop_cached, 16, FTW_PHYS | FTW_MOUNT);
	}
	if (rootfd >= 0)
		close(rootfd);
	if (cwd >= 0)
		close(cwd);
	return r;
}

int unpack_layer(struct store *st, struct source *src, const struct layer_plan *layer,
		 uint64_t budget, struct pith_error *err)
{
	char tmp[PATH_MAX + 16], final[PATH_MAX];
	if (snprintf(final, sizeof(final), "%s/layers/%s", st->path, layer->chain_id + 7) >= (int)sizeof(final))
		return pith_fail(err, ENAMETOOLONG, "%s", st->path);
	snprintf(tmp, sizeof(tmp), "%s.tmp-XXXXXX", final);
	/* a layer's tar rarely has an entry for its root: it is an ordinary directory */
	if (!mkdtemp(tmp) || chmod(tmp, 0755) < 0)
		return pith_fail(err, errno, "%s", tmp);
	struct unpack *u = calloc(1, sizeof(*u));
	if (!u) {
		rmdir(tmp);
		return pith_fail(err, ENOMEM, "unpack");
	}
	u->budget = budget;
	u->err = err;
	u->src.fd = -1;
	int r = source_stream_open(src, layer->path, &u->src, err);
	if (r == 0 && (r = digest_begin(&u->blob, err)) == 0 && (r = digest_begin(&u->diff, err)) == 0) {
		r = extract_in(u, tmp);
		if (r == 0)
			r = digest_verify(&u->blob, layer->path, layer->digest, layer->size, err);
		else
			digest_free(&u->blob);
		if (r == 0)
			r = digest_verify(&u->diff, layer->path, layer->diff_id, -1, err);
		else
			digest_free(&u->diff);
		if (r < 0 && strstr(err->msg, "digest") == NULL)
			pith_wrap(err, "layer %s", *layer->digest ? layer->digest : layer->diff_id);
	}
	digest_free(&u->blob);
	digest_free(&u->diff);
	source_stream_close(&u->src);
	free(u);
	if (r == 0 && rename(tmp, final) < 0)
		r = pith_fail(err, errno, "%s", final);
	if (r < 0) {
		struct pith_error ignored;
		store_remove_tree(tmp, &ignored);
		return r;
	}
	char layers[PATH_MAX];
	snprintf(layers, sizeof(layers), "%s/layers", st->path);
	int dfd = open(layers, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) < 0)
		r = pith_fail(err, errno, "%s: fsync", layers);
	if (dfd >= 0)
		close(dfd);
	return r;
}
