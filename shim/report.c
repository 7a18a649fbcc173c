/* What the shim tells others: the status answer and the exit file. */
#include "shim.h"

#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

static const char *state_name(enum shim_state st)
{
	switch (st) {
	case STATE_RUNNING: return "running";
	case STATE_STOPPING: return "stopping";
	case STATE_BACKOFF: return "restarting";
	case STATE_DONE: return "exited";
	}
	return "unknown";
}

/* --image: where an update is (the running image's digest is beside it). */
static const char *update_state(const struct shim *s)
{
	if (s->img.pull_pid)
		return "pulling";
	if (s->img.switching)
		return "switching";
	return s->img.probation ? "probation" : "idle";
}

int shim_status_json(const struct shim *s, char *buf, size_t cap)
{
	char id[300], started[64], image[512] = "";
	shim_json_escape(id, sizeof(id), s->o.id, strlen(s->o.id));
	shim_format_time(s->started_at_ns, started, sizeof(started));
	if (s->o.image)
		snprintf(image, sizeof(image), ",\"image\":\"%s\",\"update\":\"%s\",\"rollbacks\":%u",
			 s->img.running, update_state(s), s->img.rollbacks);
	int n = snprintf(buf, cap,
			 "{\"id\":\"%s\",\"state\":\"%s\",\"pid\":%d,\"started_at\":\"%s\","
			 "\"restarts\":%u,\"log_bytes_dropped\":%llu%s}\n",
			 id, state_name(s->state), s->exited ? 0 : (int)s->pid, started,
			 s->restarts, (unsigned long long)s->log.dropped, image);
	return n < (int)cap ? n : (int)cap - 1;
}

/* The last SHIM_TAIL_LINES complete-or-final lines of stderr, as a JSON array. */
static size_t tail_json(const struct shim *s, char *out, size_t cap)
{
	char lin[SHIM_TAIL_BYTES];
	size_t len = 0, start = 0, o = 0;
	if (s->tail_wrapped) {
		memcpy(lin, s->tail + s->tail_pos, SHIM_TAIL_BYTES - s->tail_pos);
		len = SHIM_TAIL_BYTES - s->tail_pos;
	}
	memcpy(lin + len, s->tail, s->tail_pos);
	len += s->tail_pos;
	while (len && lin[len - 1] == '\n')
		len--;
	for (size_t i = len, lines = 0; i > 0; i--)
		if (lin[i - 1] == '\n' && ++lines == SHIM_TAIL_LINES) {
			start = i;
			break;
		}
	if (s->tail_wrapped && start == 0) { /* the oldest line lost its head */
		char *nl = memchr(lin, '\n', len);
		start = nl ? (size_t)(nl - lin) + 1 : len;
	}
	out[o++] = '[';
	for (size_t i = start; i < len;) {
		char *nl = memchr(lin + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (lin + i)) : len - i;
		if (o + 4 >= cap)
			break;
		if (i > start)
			out[o++] = ',';
		out[o++] = '"';
		o += shim_json_escape(out + o, cap - o - 3, lin + i, n);
		out[o++] = '"';
		i += n + 1;
	}
	out[o++] = ']';
	out[o] = '\0';
	return o;
}

static void outcome_json(const struct shim *s, char *buf, size_t cap)
{
	if (!s->status_known)
		snprintf(buf, cap, "\"exit_code\":255,\"status_unknown\":true");
	else if (WIFSIGNALED(s->status))
		snprintf(buf, cap, "\"signal\":%d,\"signal_name\":\"SIG%s\",\"core_dumped\":%s",
			 WTERMSIG(s->status), shim_signal_name(WTERMSIG(s->status)),
			 WCOREDUMP(s->status) ? "true" : "false");
	else
		snprintf(buf, cap, "\"exit_code\":%d", WEXITSTATUS(s->status));
}

int shim_write_exit_file(struct shim *s, struct pith_error *err)
{
	static char buf[SHIM_TAIL_BYTES * 6 + 2048];
	char id[300], outcome[128], started[64], finished[64], image[128] = "";
	char tail[SHIM_TAIL_BYTES * 6 + 64];
	if (!s->o.exit_file)
		return 0;
	if (s->o.image) /* which image this exit is of */
		snprintf(image, sizeof(image), "\"image\":\"%s\",", s->img.running);
	shim_json_escape(id, sizeof(id), s->o.id, strlen(s->o.id));
	outcome_json(s, outcome, sizeof(outcome));
	shim_format_time(s->started_at_ns, started, sizeof(started));
	shim_format_time(s->finished_at_ns, finished, sizeof(finished));
	tail_json(s, tail, sizeof(tail));
	int n = snprintf(buf, sizeof(buf),
			 "{\"id\":\"%s\",%s,\"oom_killed\":%s,\"stop_timeout_killed\":%s,"
			 "\"started_at\":\"%s\",\"finished_at\":\"%s\",\"restarts\":%u,"
			 "%s\"log_bytes_dropped\":%llu,\"stderr_tail\":%s}\n",
			 id, outcome, s->oom_killed ? "true" : "false",
			 s->stop_timeout_killed ? "true" : "false", started, finished, s->restarts,
			 image, (unsigned long long)s->log.dropped, tail);
	if (n >= (int)sizeof(buf))
		n = (int)sizeof(buf) - 1;
	return shim_write_file_atomic(s->o.exit_file, buf, (size_t)n, err);
}

/* The shim's own exit status mirrors the container, shell style. */
int shim_exit_status(const struct shim *s)
{
	if (!s->status_known)
		return 255;
	if (WIFSIGNALED(s->status))
		return 128 + WTERMSIG(s->status);
	return WEXITSTATUS(s->status);
}
