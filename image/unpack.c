/* One layer blob -> store/layers/<chain id>, hostile until proven otherwise.
 *
 * Two libarchive readers in a chain: the outer one ("raw" format, every filter) turns the
 * blob into the plain tar stream, the inner one reads that tar and writes it to disk with
 * libarchive's secure-extract checks. Between them sit the two digests: the blob's (as the
 * manifest says) and the tar's (the diff ID the config says). Nothing is buffered beyond
 * libarchive's blocks, no compressed copy is kept, and the layer is left in a temporary
 * directory, its big files already on their way to the disk (writeback.c): land.c makes it
 * durable and visible, with the rest of the run's layers. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <archive.h>
#include <archive_entry.h>

#include "flush.h"
#include "inflate.h"
#include "overlay.h"
#include "prefetch.h"
#include "writeback.h"

/* the compressed input handed to libarchive at a time (one per layer being unpacked) */
#define BLOCK (64u << 10)
/* layers that unpack to less than this are never called bombs, whatever their ratio */
#define RATIO_FLOOR (64ull << 20)

/* The blob is read, decompressed, hashed and checked for growth on a thread of its own
 * (prefetch.c) while this one writes the files: src, blob, tar_bytes, outer, gz, pending, perr
 * and pfailed are that thread's. A gzip blob is decompressed by inflate.c when it can (ISA-L),
 * anything else by libarchive's filters (outer). The tar's digest (diff) is taken on this side,
 * as the blocks are handed over: the decompressing thread is the one that bounds a big layer's
 * time, the writing one waits for it. */
struct unpack {
	struct source_stream src;
	struct digest blob;       /* what the manifest's digest covers */
	struct digest diff;       /* the uncompressed tar: the diff ID */
	uint64_t tar_bytes;       /* ... its size so far, for the growth checks */
	struct archive *outer;
	struct inflate *gz;
	ssize_t pending;          /* the blob's first block, read to choose gz or outer, not yet given: its length, or -1 */
	struct prefetch pf;
	const struct unpack_policy *policy;
	const struct layer_plan *layer;
	uint64_t budget;          /* min(--max-layer-bytes, free space of the store) */
	bool budget_is_free;      /* ... and it is the free space that bounds it */
	bool privileged;          /* root in the initial user namespace: may make device nodes */
	int *layers;              /* this layer's directory, then the lower ones, top first */
	size_t nlayers;           /* 1 until the lower ones are opened, on first need */
	char parents_done[PATH_MAX]; /* the last directory whose parents were made: entries come grouped */
	struct store *st;
	struct unpack_batch *batch;     /* all the image's layers; this one is batch->layers[index] */
	size_t index;
	struct writeback wb;
	uint64_t unflushed;       /* bytes handed to writeback since the last early flush was asked for */
	struct pith_error *err;
	int failed;               /* a callback's error already in err */
	struct pith_error perr;   /* the decompressing side's error */
	int pfailed;
	char inbuf[BLOCK];
};

/* The blob's next block, hashed and held to the size the manifest says; negative with
 * pfailed and perr set. */
static ssize_t blob_block(void *data, const void **buf)
{
	struct unpack *u = data;
	*buf = u->inbuf;
	if (u->pending >= 0) {
		ssize_t got = u->pending;
		u->pending = -1;
		return got;
	}
	ssize_t got = source_stream_read(&u->src, u->inbuf, sizeof(u->inbuf), &u->perr);
	if (got < 0)
		return u->pfailed = (int)got;
	digest_update(&u->blob, u->inbuf, (size_t)got);
	if (u->layer->size >= 0 && u->blob.size > (uint64_t)u->layer->size)
		return u->pfailed = pith_fail(&u->perr, 0, "%s: longer than the %" PRId64 " bytes the manifest says",
					      u->layer->path, u->layer->size);
	return got;
}

static la_ssize_t read_blob(struct archive *a, void *data, const void **buf)
{
	ssize_t got = blob_block(data, buf);
	if (got < 0)
		archive_set_error(a, EIO, "reading the blob");
	return got < 0 ? -1 : got;
}

/* The tar stream so far against the rules: the byte budget, and the expansion ratio over
 * the compressed blob (its declared size, or what was read of it when none is declared). */
static int check_growth(struct unpack *u)
{
	uint64_t out = u->tar_bytes;
	if (out > u->budget)
		return u->budget_is_free
			? pith_fail(&u->perr, ENOSPC, "layer unpacks to more than the %" PRIu64
				    " bytes free on the store's filesystem", u->budget)
			: pith_fail(&u->perr, EFBIG, "layer unpacks to more than %" PRIu64 " bytes (--max-layer-bytes)",
				    u->budget);
	uint64_t in = u->layer->size > 0 && (uint64_t)u->layer->size > u->blob.size ? (uint64_t)u->layer->size
										    : u->blob.size;
	unsigned ratio = u->policy->max_ratio;
	if (ratio && out > RATIO_FLOOR && in && out / in >= ratio)
		return pith_fail(&u->perr, EFBIG, "layer unpacks to more than %u times its compressed %" PRIu64
				 " bytes: a decompression bomb? (--max-ratio N, 0 for no limit)", ratio, in);
	return 0;
}

/* The decompressing thread's step: the next piece of the tar, hashed and checked; at its end the
 * rest of the blob, so the blob's digest covers every byte. */
static ssize_t produce_tar(void *data, void *buf, size_t cap)
{
	struct unpack *u = data;
	ssize_t got = u->gz ? inflate_read(u->gz, buf, cap, &u->perr) : archive_read_data(u->outer, buf, cap);
	if (got < 0 && u->gz)
		return u->pfailed ? u->pfailed : (u->pfailed = (int)got);
	if (got < 0)
		return u->pfailed ? u->pfailed
				  : (u->pfailed = pith_fail(&u->perr, archive_errno(u->outer), "%s",
							    archive_error_string(u->outer)));
	u->tar_bytes += (uint64_t)got;
	int r = check_growth(u);
	if (r < 0)
		return u->pfailed = r;
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

/* the next block of the tar, into its digest */
static ssize_t tar_block(struct unpack *u, const void **buf)
{
	ssize_t got = prefetch_next(&u->pf, buf);
	if (got > 0)
		digest_update(&u->diff, *buf, (size_t)got);
	return got;
}

static la_ssize_t read_tar(struct archive *a, void *data, const void **buf)
{
	struct unpack *u = data;
	ssize_t got = tar_block(u, buf);
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
		/* one component (never ".."), O_NOFOLLOW: no symlink on the way, no openat2 needed */
		int next = openat(fd, c, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		int e = errno;
		close(fd);
		if (next < 0)
			return pith_fail(err, e, "%s", c);
		fd = next;
	}
	return fd;
}

/* .wh.NAME -> overlay whiteout (char 0/0); .wh..wh..opq -> the directory is opaque. */
static int apply_whiteout(int rootfd, const char *pathname, enum whiteout_kind kind, char *dir,
			  const char *name, struct pith_error *err)
{
	int dfd = open_parent(rootfd, dir, err);
	if (dfd < 0)
		return pith_wrap(err, "%s", pathname);
	int r = 0;
	if (kind == WHITEOUT_OPAQUE) {
		if (fsetxattr(dfd, OPAQUE_XATTR, "y", 1, 0) < 0)
			r = pith_fail(err, errno, "%s: setting " OPAQUE_XATTR, pathname);
	} else if (mknodat(dfd, name, S_IFCHR | 0, makedev(0, 0)) < 0 && errno != EEXIST) {
		r = pith_fail(err, errno, "%s: making the whiteout", pathname);
	}
	close(dfd);
	return r;
}

static int make_parents(struct unpack *u, const char *name);

static int whiteout_entry(struct unpack *u, int rootfd, const char *pathname, bool *done)
{
	enum whiteout_kind kind;
	char dir[PATH_MAX], name[NAME_MAX + 1];
	int r = whiteout_parse(pathname, &kind, dir, sizeof(dir), name, sizeof(name), u->err);
	*done = r < 0 || kind != WHITEOUT_NONE;
	bool whiteout = kind == WHITEOUT_FILE || kind == WHITEOUT_OPAQUE;
	/* the whiteout's directory, and for an opaque marker the directory itself */
	if (r == 0 && whiteout)
		r = make_parents(u, pathname);
	if (r == 0 && whiteout)
		r = apply_whiteout(rootfd, pathname, kind, dir, name, u->err);
	return r;
}

/* What this layer's rules say of one entry before it is written; may change its mode. */
static int check_entry(struct unpack *u, struct archive_entry *e)
{
	const char *name = archive_entry_pathname(e);
	mode_t type = archive_entry_filetype(e);
	/* a sparse entry's size is its length with holes: only its data counts (in the stream) */
	if (archive_entry_sparse_count(e) == 0 && archive_entry_size(e) > 0 &&
	    (uint64_t)archive_entry_size(e) > u->budget)
		return pith_fail(u->err, u->budget_is_free ? ENOSPC : EFBIG,
				 "%s: claims %" PRId64 " bytes, more than the layer may hold (%" PRIu64 "%s)", name,
				 (int64_t)archive_entry_size(e), u->budget,
				 u->budget_is_free ? " free on the store" : ", --max-layer-bytes");
	if ((type == AE_IFCHR || type == AE_IFBLK) && !u->privileged)
		return pith_fail(u->err, EPERM, "%s: a device node (%s %u:%u), and only root in the initial user "
				 "namespace may make one: load as root, or rebuild the image without it", name,
				 type == AE_IFCHR ? "char" : "block", (unsigned)archive_entry_rdevmajor(e),
				 (unsigned)archive_entry_rdevminor(e));
	if (u->policy->no_setuid && type == AE_IFREG)
		archive_entry_set_perm(e, archive_entry_perm(e) & ~(mode_t)(S_ISUID | S_ISGID));
	return 0;
}

/* The lower layers' directories, top first, after this layer's own (u->layers[0], set by
 * extract_in): a lower layer unpacked by this run is still in its temporary. Opened on first
 * need only: most layers never look below, and a parallel pull must wait for the lower layers
 * to be unpacked before it may. */
static int open_lowers(struct unpack *u)
{
	if (u->nlayers > 1 || u->index == 0)
		return 0;
	const struct unpack_policy *p = u->policy;
	int r = p->wait_lowers ? p->wait_lowers(p->wait_ctx, u->index, u->err) : 0;
	for (size_t i = u->index; r == 0 && i-- > 0; u->nlayers++) {
		char path[DIGEST_LEN + 8];
		snprintf(path, sizeof(path), "layers/%s", u->batch->layers[i].chain_id + 7);
		const char *at = u->batch->tmp[i][0] ? u->batch->tmp[i] : path;
		u->layers[u->nlayers] = openat(u->st->fd, at, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (u->layers[u->nlayers] < 0)
			r = pith_fail(u->err, errno, "lower layer %s", u->batch->layers[i].chain_id);
	}
	return r;
}

/* overlay_make_parents for an entry whose directory this layer lacks (the lowers are opened
 * only then), once per run of entries in one directory (tar groups them) */
static int make_parents(struct unpack *u, const char *name)
{
	const char *slash = strrchr(name, '/');
	size_t len = slash ? (size_t)(slash - name) : 0;
	if (u->index == 0 || len == 0 || len >= sizeof(u->parents_done))
		return 0; /* nothing below, an entry at the top, or a name libarchive refuses */
	if (strncmp(u->parents_done, name, len) == 0 && u->parents_done[len] == 0)
		return 0;
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%.*s", (int)len, name);
	int fd = overlay_open_beneath(u->layers[0], dir, O_PATH | O_DIRECTORY), r = 0;
	if (fd >= 0)
		close(fd);
	else if ((r = open_lowers(u)) == 0)
		r = overlay_make_parents(u->layers, u->nlayers, name, u->err);
	if (r == 0)
		memcpy(u->parents_done, dir, len + 1);
	return r;
}

/* A hardlink whose target only a lower layer has (Docker writes these): the target is copied
 * up into this layer first, as overlayfs would on a write, so the link has it here. */
static int hardlink_target(struct unpack *u, struct archive_entry *e)
{
	const char *target = archive_entry_hardlink(e);
	if (!target || path_climbs(target) || *target == '/')
		return 0; /* libarchive's secure checks refuse these */
	int r = open_lowers(u);
	if (r < 0)
		return pith_wrap(u->err, "%s: hardlink", archive_entry_pathname(e));
	int where = overlay_find(u->layers, u->nlayers, target);
	if (where == 0)
		return 0;
	if (where < 0)
		return pith_fail(u->err, -where, "%s: hardlink to %s, which no layer below has",
				 archive_entry_pathname(e), target);
	r = overlay_copy_up(u->layers[where], u->layers[0], target, u->err);
	return r < 0 ? pith_wrap(u->err, "%s: hardlink", archive_entry_pathname(e)) : 0;
}

/* A big regular file just written: on its way to the disk now, not at the syncfs */
static void write_back(struct unpack *u, struct archive_entry *e)
{
	if (archive_entry_filetype(e) != AE_IFREG || archive_entry_hardlink(e) ||
	    archive_entry_size(e) < (la_int64_t)WRITEBACK_MIN)
		return;
	int fd = overlay_open_beneath(u->layers[0], archive_entry_pathname(e), O_RDONLY | O_NOCTTY | O_NONBLOCK);
	if (fd >= 0)
		writeback_start(&u->wb, fd);
	if ((u->unflushed += (uint64_t)archive_entry_size(e)) >= FLUSH_EVERY) {
		u->unflushed = 0;
		flusher_kick(u->batch->flush);
	}
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
		bool done;
		if ((r = whiteout_entry(u, rootfd, name, &done)) < 0 || done)
			continue;
		if ((r = check_entry(u, e)) < 0 || (r = make_parents(u, name)) < 0 || (r = hardlink_target(u, e)) < 0)
			break;
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
		if (r == 0)
			write_back(u, e);
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
	while ((got = tar_block(u, &buf)) > 0)
		;
	return got < 0 ? take_producer_error(u, (int)got) : 0;
}

/* The blob's decompressor: inflate.c for gzip when built with it, else libarchive's filters
 * (gzip too, zstd, xz, none, ...), chosen by the first block. */
static int open_blob(struct unpack *u)
{
	const void *first;
	u->pending = -1;
	ssize_t n = blob_block(u, &first);
	if (n < 0)
		return take_producer_error(u, (int)n);
	if (inflate_takes(first, (size_t)n))
		return inflate_new(&u->gz, blob_block, u, first, (size_t)n, u->err);
	u->pending = n;
	struct archive_entry *e;
	u->outer = archive_read_new();
	if (!u->outer)
		return pith_fail(u->err, ENOMEM, "archive");
	archive_read_support_filter_all(u->outer);
	archive_read_support_format_raw(u->outer);
	if (archive_read_open(u->outer, u, NULL, read_blob, NULL) != ARCHIVE_OK ||
	    archive_read_next_header(u->outer, &e) != ARCHIVE_OK)
		return u->pfailed ? take_producer_error(u, u->pfailed)
				  : pith_fail(u->err, archive_errno(u->outer), "%s", archive_error_string(u->outer));
	return 0;
}

static int unpack_into(struct unpack *u, int rootfd)
{
	struct archive *tar = archive_read_new();
	int r = 0;
	if (!tar) {
		r = pith_fail(u->err, ENOMEM, "archive");
		goto out;
	}
	archive_read_support_format_tar(tar);
	if ((r = open_blob(u)) < 0)
		goto out;
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
	if (u->gz)
		inflate_free(u->gz);
	return r;
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
		u->layers[0] = rootfd;
		r = unpack_into(u, rootfd);
		if (fchdir(cwd) < 0 && r == 0)
			r = pith_fail(u->err, errno, "back to the working directory");
		/* the big files written back: their memory back to the running apps now */
		writeback_end(&u->wb, r == 0);
	}
	if (rootfd >= 0)
		close(rootfd);
	if (cwd >= 0)
		close(cwd);
	return r;
}

static int setuid_found(const char *path, const struct stat *s, int flag, struct FTW *ftw)
{
	return flag == FTW_F && S_ISREG(s->st_mode) && (s->st_mode & (S_ISUID | S_ISGID)) ? 1 : 0;
}

int unpack_check_stored(struct store *st, const struct layer_plan *layer, const struct unpack_policy *policy,
			struct pith_error *err)
{
	if (!policy->no_setuid)
		return 0;
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/layers/%s", st->path, layer->chain_id + 7);
	int r = nftw(path, setuid_found, 16, FTW_PHYS | FTW_MOUNT);
	if (r < 0)
		return pith_fail(err, errno, "%s", path);
	return r ? pith_fail(err, 0, "layer %s is in the store already, with setuid or setgid files (it was loaded "
			     "without --no-setuid): remove the images that use it, then load again", layer->chain_id)
		 : 0;
}

/* Root in the initial user namespace: the only one that may make device nodes. */
static bool privileged(void)
{
	if (geteuid() != 0)
		return false;
	FILE *f = fopen("/proc/self/uid_map", "re");
	unsigned inside = 1, outside = 1, count = 0;
	if (f) {
		if (fscanf(f, "%u %u %u", &inside, &outside, &count) != 3)
			count = 0;
		fclose(f);
	}
	return inside == 0 && outside == 0 && count == 4294967295u;
}

static void close_lowers(struct unpack *u)
{
	for (size_t i = 1; u->layers && i < u->nlayers; i++)
		close(u->layers[i]);
	free(u->layers);
}

static void set_budget(struct unpack *u, const char *dir)
{
	struct statvfs v;
	u->budget = u->policy->max_bytes;
	if (statvfs(dir, &v) == 0 && (uint64_t)v.f_bavail * v.f_frsize < u->budget) {
		u->budget = (uint64_t)v.f_bavail * v.f_frsize;
		u->budget_is_free = true;
	}
}

int unpack_layer(struct store *st, struct source *src, struct unpack_batch *b, size_t index,
		 const struct unpack_policy *policy, struct pith_error *err)
{
	const struct layer_plan *layer = &b->layers[index];
	char tmp[UNPACK_TMP_MAX];
	if (snprintf(tmp, sizeof(tmp), "%s/layers/%s.tmp-XXXXXX", st->path, layer->chain_id + 7) >= (int)sizeof(tmp))
		return pith_fail(err, ENAMETOOLONG, "%s", st->path);
	/* a layer's tar rarely has an entry for its root: it is an ordinary directory */
	if (!mkdtemp(tmp) || chmod(tmp, 0755) < 0)
		return pith_fail(err, errno, "%s", tmp);
	struct unpack *u = calloc(1, sizeof(*u));
	if (!u) {
		rmdir(tmp);
		return pith_fail(err, ENOMEM, "unpack");
	}
	u->policy = policy;
	u->layer = layer;
	u->privileged = privileged();
	set_budget(u, tmp);
	u->err = err;
	u->src.fd = -1;
	u->st = st;
	u->batch = b;
	u->index = index;
	u->nlayers = 1;
	u->layers = calloc(index + 1, sizeof(int));
	int r = u->layers ? 0 : pith_fail(err, ENOMEM, "layers");
	if (r == 0)
		r = source_stream_open(src, layer->path, &u->src, err);
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
	close_lowers(u);
	free(u);
	if (r < 0) {
		struct pith_error ignored = { 0 };
		store_remove_tree(tmp, &ignored);
		return r;
	}
	memcpy(b->tmp[index], tmp, sizeof(tmp));
	flusher_kick(b->flush);
	return 0;
}
