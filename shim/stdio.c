/* The container's stdout and stderr: drained as soon as they are readable
 * (a full pipe would block every thread of the app that logs), split into
 * lines, and handed to the log, the attached clients and the stderr tail. */
#include "shim.h"
#include "../runtime/cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

/* Reads per wake-up before yielding to the other fds; level-triggered epoll
 * brings us back. */
#define READS_PER_EVENT 16
/* Bound on the final drain: a process outside the container's PID namespace
 * could keep the pipe busy forever. */
#define DRAIN_READS 4096

static int make_pipe(int p[2], struct shim_stream *st, enum stream_id id, struct pith_error *err)
{
	if (pipe2(p, O_CLOEXEC) < 0)
		return pith_fail(err, errno, "pipe");
	/* Fewer wake-ups under bursts; only pinned kernel memory while full. */
	fcntl(p[0], F_SETPIPE_SZ, 256 * 1024);
	fcntl(p[0], F_SETFL, O_NONBLOCK); /* our end only: the app keeps blocking writes */
	st->fd = p[0];
	st->id = id;
	st->len = 0;
	return 0;
}

/* Fills child[] with the fds the runtime (and so the container) gets as
 * stdio. The write ends are ours to close once the runtime has them. */
int shim_stdio_pipes(struct shim *s, int child[3], struct pith_error *err)
{
	int po[2], pe[2];
	if (s->o.log_mode == LOG_PASSTHROUGH && !s->terminal) {
		child[0] = 0, child[1] = 1, child[2] = 2;
		return 0;
	}
	child[0] = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (child[0] < 0)
		return pith_fail(err, errno, "open /dev/null");
	if (s->terminal) {
		/* The pty carries the container's output; this pipe only
		 * catches what the runtime itself says while creating. */
		child[1] = fcntl(child[0], F_DUPFD_CLOEXEC, 3);
		if (child[1] < 0) {
			close(child[0]);
			return pith_fail(err, errno, "dup");
		}
		if (make_pipe(pe, &s->errs, STREAM_STDERR, err) < 0) {
			close(child[0]), close(child[1]);
			return -1;
		}
		child[2] = pe[1];
		return 0;
	}
	if (make_pipe(po, &s->out, STREAM_STDOUT, err) < 0) {
		close(child[0]);
		return -1;
	}
	if (make_pipe(pe, &s->errs, STREAM_STDERR, err) < 0) {
		close(child[0]);
		close(po[0]), close(po[1]);
		s->out.fd = -1;
		return -1;
	}
	child[1] = po[1];
	child[2] = pe[1];
	return 0;
}

static void tail_add(struct shim *s, const char *p, size_t n)
{
	if (n >= SHIM_TAIL_BYTES) {
		p += n - SHIM_TAIL_BYTES;
		n = SHIM_TAIL_BYTES;
	}
	while (n) {
		size_t room = SHIM_TAIL_BYTES - s->tail_pos;
		size_t k = n < room ? n : room;
		memcpy(s->tail + s->tail_pos, p, k);
		s->tail_pos += k, p += k, n -= k;
		if (s->tail_pos == SHIM_TAIL_BYTES)
			s->tail_pos = 0, s->tail_wrapped = true;
	}
}

static void emit_lines(struct shim *s, struct shim_stream *st)
{
	char *p = st->buf, *end = st->buf + st->len, *nl;
	while ((nl = memchr(p, '\n', (size_t)(end - p)))) {
		shim_log_record(s, st->id, false, p, (size_t)(nl - p));
		p = nl + 1;
	}
	size_t rest = (size_t)(end - p);
	if (rest == sizeof(st->buf)) {
		/* a line longer than the buffer: pass it on in pieces */
		shim_log_record(s, st->id, true, p, rest);
		rest = 0;
	}
	memmove(st->buf, p, rest);
	st->len = rest;
}

static void flush_partial(struct shim *s, struct shim_stream *st)
{
	if (st->len) {
		shim_log_record(s, st->id, true, st->buf, st->len);
		st->len = 0;
	}
}

void shim_stream_close(struct shim *s, struct shim_stream *st)
{
	if (st->fd < 0)
		return;
	flush_partial(s, st);
	shim_epoll_del(s, st->fd);
	close(st->fd);
	st->fd = -1;
}

static void consume(struct shim *s, struct shim_stream *st, size_t n)
{
	const char *p = st->buf + st->len;
	shim_ctl_broadcast(s, st->id, p, n);
	/* With a terminal everything arrives on one stream: keep its tail. */
	if (st->id == STREAM_STDERR || s->terminal)
		tail_add(s, p, n);
	if (s->terminal && s->o.log_mode == LOG_PASSTHROUGH)
		shim_write_all(1, p, n);
	st->len += n;
	emit_lines(s, st);
}

/* Returns 1 at end of stream (the stream is closed), 0 otherwise. A partial
 * line is passed on as P once the pipe is empty: the writer may be waiting
 * for input after a prompt, so holding it back could hold it forever. */
int shim_stream_read(struct shim *s, struct shim_stream *st, bool drain)
{
	for (int i = 0; st->fd >= 0 && i < (drain ? DRAIN_READS : READS_PER_EVENT); i++) {
		ssize_t n = read(st->fd, st->buf + st->len, sizeof(st->buf) - st->len);
		if (n > 0) {
			consume(s, st, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			flush_partial(s, st);
			return 0;
		}
		/* 0 is EOF; EIO is a pty whose last slave fd closed */
		shim_stream_close(s, st);
		return 1;
	}
	return 0;
}
