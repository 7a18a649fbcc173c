/* k8s-file log: `<RFC3339Nano> stdout|stderr P|F <bytes>\n`, written in
 * batches (one write per wake-up, not per line: flash wears per write), cut
 * at record boundaries into FILE, FILE.1 .. FILE.K. */
#include "shim.h"
#include "../runtime/cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define HEADER_MAX 48

static int open_log(struct shim *s, struct pith_error *err)
{
	int fd = open(s->o.log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (fd < 0)
		return pith_fail(err, errno, "open log %s", s->o.log_path);
	struct stat st;
	s->log.size = fstat(fd, &st) == 0 ? (uint64_t)st.st_size : 0;
	s->log.fd = fd;
	return 0;
}

int shim_log_open(struct shim *s, struct pith_error *err)
{
	s->log.fd = -1;
	s->log.ts_sec = -1;
	if (s->o.log_mode != LOG_FILE)
		return 0;
	return open_log(s, err);
}

void shim_log_flush(struct shim *s)
{
	struct shim_log *l = &s->log;
	if (!l->len || l->fd < 0)
		return;
	int r = shim_write_all(l->fd, l->buf, l->len);
	if (r < 0)
		l->dropped += l->len; /* e.g. ENOSPC: keep draining, count the loss */
	else
		l->size += l->len;
	l->len = 0;
}

void shim_log_sync(struct shim *s)
{
	shim_log_flush(s);
	if (s->log.fd >= 0)
		fsync(s->log.fd);
}

static void fsync_parent(const char *path)
{
	char dir[SHIM_PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	auto_fd dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0)
		fsync(dfd);
}

static void rotate(struct shim *s)
{
	char from[SHIM_PATH_MAX], to[SHIM_PATH_MAX];
	const char *path = s->o.log_path;
	shim_log_sync(s);
	close(s->log.fd);
	s->log.fd = -1;
	if (s->o.log_max_files == 0) {
		/* no history wanted: start the file over */
		if (truncate(path, 0) < 0) {
			/* open_log below appends to what is left: still bounded by the next cut */
		}
	} else {
		for (unsigned i = s->o.log_max_files; i > 1; i--) {
			snprintf(from, sizeof(from), "%s.%u", path, i - 1);
			snprintf(to, sizeof(to), "%s.%u", path, i);
			rename(from, to); /* ENOENT while the history is short */
		}
		snprintf(to, sizeof(to), "%s.1", path);
		rename(path, to);
	}
	/* the renames must reach the disk before the new file's data does */
	fsync_parent(path);
	struct pith_error err;
	if (open_log(s, &err) < 0)
		s->log.fd = -1; /* logging stops; the stream is still drained */
}

static size_t format_header(struct shim_log *l, enum stream_id id, bool partial, char *h)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	if ((int64_t)ts.tv_sec != l->ts_sec) {
		time_t sec = ts.tv_sec;
		struct tm tm;
		gmtime_r(&sec, &tm);
		strftime(l->ts, sizeof(l->ts), "%Y-%m-%dT%H:%M:%S", &tm);
		l->ts_sec = (int64_t)ts.tv_sec;
	}
	return (size_t)snprintf(h, HEADER_MAX, "%s.%09ldZ %s %c ", l->ts, (long)ts.tv_nsec,
				id == STREAM_STDOUT ? "stdout" : "stderr", partial ? 'P' : 'F');
}

static void append(struct shim_log *l, const char *p, size_t n)
{
	memcpy(l->buf + l->len, p, n);
	l->len += n;
}

void shim_log_record(struct shim *s, enum stream_id id, bool partial, const char *p, size_t n)
{
	struct shim_log *l = &s->log;
	if (l->fd < 0)
		return;
	char h[HEADER_MAX];
	size_t hn = format_header(l, id, partial, h);
	size_t rec = hn + n + 1;
	uint64_t max = s->o.log_max_size;
	if (max && l->size + l->len + rec > max && l->size + l->len > 0) {
		shim_log_flush(s);
		rotate(s);
		if (l->fd < 0)
			return;
	}
	if (l->len + rec > sizeof(l->buf))
		shim_log_flush(s);
	append(l, h, hn);
	append(l, p, n);
	append(l, "\n", 1);
}

/* The shim's own remarks (restarts) go where the container's stderr goes,
 * marked so a reader can tell them apart. */
void shim_log_note(struct shim *s, const char *fmt, ...)
{
	char msg[512];
	int n = snprintf(msg, sizeof(msg), "pith-shim: ");
	va_list ap;
	va_start(ap, fmt);
	n += vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(msg))
		n = sizeof(msg) - 1;
	if (s->o.log_mode == LOG_PASSTHROUGH) {
		msg[n] = '\n';
		shim_write_all(2, msg, (size_t)n + 1);
		return;
	}
	shim_log_record(s, STREAM_STDERR, false, msg, (size_t)n);
	shim_log_flush(s);
}
