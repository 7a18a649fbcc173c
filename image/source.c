/* Where an image comes from: an OCI layout directory (oci:DIR[:REF]) or a tar archive
 * (OCI archive, docker/podman save). An archive is never unpacked to disk: each lookup
 * walks its headers (skipping data by seeking) and streams the one entry it wants. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/openat2.h>
#include <archive.h>
#include <archive_entry.h>

#include "image.h"

/* index.json, manifests and configs are small; a bigger one is hostile. */
#define SMALL_MAX (16u << 20)

int source_open(const char *spec, struct source *src, char **ref, struct pith_error *err)
{
	src->dirfd = -1;
	src->archive = NULL;
	src->ops = NULL;
	src->cookie = NULL;
	*ref = NULL;
	if (strncmp(spec, "oci:", 4) == 0) {
		char *dir = strdup(spec + 4);
		if (!dir)
			return pith_fail(err, ENOMEM, "%s", spec);
		char *colon = strrchr(dir, ':');
		if (colon) {
			*colon = 0;
			*ref = strdup(colon + 1);
		}
		src->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		int e = errno;
		free(dir);
		if (src->dirfd < 0) {
			free(*ref);
			*ref = NULL;
			return pith_fail(err, e, "%s", spec);
		}
		return 0;
	}
	struct stat s;
	if (stat(spec, &s) < 0)
		return pith_fail(err, errno, "%s", spec);
	if (!S_ISREG(s.st_mode))
		return pith_fail(err, 0, "%s: not an archive file (an OCI layout directory is oci:DIR)", spec);
	src->archive = strdup(spec);
	return src->archive ? 0 : pith_fail(err, ENOMEM, "%s", spec);
}

void source_close(struct source *src)
{
	if (src->dirfd >= 0)
		close(src->dirfd);
	free(src->archive);
	src->dirfd = -1;
	src->archive = NULL;
}

/* "./a/b" and "a/b" name the same entry */
static const char *entry_name(const char *p)
{
	while (p[0] == '.' && p[1] == '/')
		p += 2;
	while (*p == '/')
		p++;
	return p;
}

static int open_in_archive(struct source *src, const char *path, struct source_stream *s,
			   struct pith_error *err)
{
	s->a = archive_read_new();
	if (!s->a)
		return pith_fail(err, ENOMEM, "%s", src->archive);
	archive_read_support_format_tar(s->a);
	archive_read_support_filter_all(s->a);
	if (archive_read_open_filename(s->a, src->archive, 1 << 16) != ARCHIVE_OK) {
		int r = pith_fail(err, archive_errno(s->a), "%s: %s", src->archive, archive_error_string(s->a));
		source_stream_close(s);
		return r;
	}
	struct archive_entry *e;
	const char *want = entry_name(path);
	int ar;
	while ((ar = archive_read_next_header(s->a, &e)) == ARCHIVE_OK) {
		if (archive_entry_filetype(e) == AE_IFREG && strcmp(entry_name(archive_entry_pathname(e)), want) == 0)
			return 0;
	}
	int r = ar == ARCHIVE_EOF
		? pith_fail(err, ENOENT, "%s: %s", src->archive, want)
		: pith_fail(err, archive_errno(s->a), "%s: %s", src->archive, archive_error_string(s->a));
	source_stream_close(s);
	return r;
}

int source_stream_open(struct source *src, const char *path, struct source_stream *s,
		       struct pith_error *err)
{
	s->a = NULL;
	s->fd = -1;
	s->ops = src->ops;
	s->stream = NULL;
	if (src->ops)
		return src->ops->open(src->cookie, path, s, err);
	if (src->archive)
		return open_in_archive(src, path, s, err);
	/* the layout is the user's, but its names come from JSON: stay beneath it */
	struct open_how how = { .flags = O_RDONLY | O_CLOEXEC | O_NOCTTY,
				.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS };
	s->fd = (int)syscall(SYS_openat2, src->dirfd, entry_name(path), &how, sizeof(how));
	if (s->fd < 0)
		return pith_fail(err, errno, "%s", path);
	return 0;
}

ssize_t source_stream_read(struct source_stream *s, void *buf, size_t n, struct pith_error *err)
{
	if (s->ops)
		return s->ops->read(s->stream, buf, n, err);
	if (s->a) {
		la_ssize_t got = archive_read_data(s->a, buf, n);
		if (got < 0)
			return pith_fail(err, archive_errno(s->a), "%s", archive_error_string(s->a));
		return got;
	}
	ssize_t got;
	do
		got = read(s->fd, buf, n);
	while (got < 0 && errno == EINTR);
	return got < 0 ? pith_fail(err, errno, "read") : got;
}

void source_stream_close(struct source_stream *s)
{
	if (s->ops && s->stream)
		s->ops->close(s->stream);
	s->ops = NULL;
	s->stream = NULL;
	if (s->a)
		archive_read_free(s->a);
	if (s->fd >= 0)
		close(s->fd);
	s->a = NULL;
	s->fd = -1;
}

bool source_has(struct source *src, const char *path)
{
	struct source_stream s;
	struct pith_error ignored;
	if (source_stream_open(src, path, &s, &ignored) < 0)
		return false;
	source_stream_close(&s);
	return true;
}

int source_read_small(struct source *src, const char *path, char **buf, size_t *len,
		      struct pith_error *err)
{
	struct source_stream s;
	int r = source_stream_open(src, path, &s, err);
	if (r < 0)
		return r;
	size_t cap = 4096, used = 0;
	char *b = malloc(cap + 1);
	for (;;) {
		if (!b) {
			r = pith_fail(err, ENOMEM, "%s", path);
			break;
		}
		ssize_t got = source_stream_read(&s, b + used, cap - used, err);
		if (got < 0) {
			r = pith_wrap(err, "%s", path);
			break;
		}
		if (got == 0)
			break;
		used += (size_t)got;
		if (used == cap) {
			if (cap >= SMALL_MAX) {
				r = pith_fail(err, EFBIG, "%s: larger than %u bytes", path, SMALL_MAX);
				break;
			}
			char *nb = realloc(b, cap * 2 + 1);
			if (!nb)
				free(b);
			b = nb;
			cap *= 2;
		}
	}
	source_stream_close(&s);
	if (r < 0) {
		free(b);
		return r;
	}
	b[used] = 0;
	*buf = b;
	*len = used;
	return 0;
}
