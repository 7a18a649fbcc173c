/* What a pull is doing, for whoever watches: a redrawn block of one line per layer and a
 * total on a terminal (stderr), one JSON object per event on stdout for agents, or nothing
 * (the default when stderr is not a terminal). Called from every transfer thread. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pull.h"

#define DRAW_EVERY 0.1
#define JSON_EVERY 0.5

struct item {
	char digest[DIGEST_LEN];
	int64_t size;
	uint64_t done;
	bool present, finished;
	double last_json;
};

struct progress {
	enum progress_mode mode;
	pthread_mutex_t lock;
	struct item *items;
	size_t n;
	char name[600];
	double last_draw;
	int drawn;                /* lines of the block on screen */
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void emit(json_t *event)
{
	if (event) {
		json_dumpf(event, stdout, JSON_COMPACT | JSON_SORT_KEYS);
		fputc('\n', stdout);
		fflush(stdout);
	}
	json_decref(event);
}

struct progress *progress_new(enum progress_mode mode, const char *name)
{
	struct progress *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	if (mode == PROGRESS_AUTO)
		mode = isatty(STDERR_FILENO) ? PROGRESS_TTY : PROGRESS_NONE;
	p->mode = mode;
	pthread_mutex_init(&p->lock, NULL);
	snprintf(p->name, sizeof(p->name), "%s", name);
	return p;
}

static struct item *find(struct progress *p, const char *digest)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->items[i].digest, digest) == 0)
			return &p->items[i];
	return NULL;
}

static void mib(char *out, size_t len, double bytes)
{
	snprintf(out, len, "%.1f MiB", bytes / (1024.0 * 1024.0));
}

/* The block again, from its top line (locked). */
static void draw(struct progress *p, bool force)
{
	double t = now();
	if (p->mode != PROGRESS_TTY || (!force && t - p->last_draw < DRAW_EVERY))
		return;
	p->last_draw = t;
	if (p->drawn)
		fprintf(stderr, "\033[%dA", p->drawn);
	uint64_t done = 0, total = 0;
	size_t finished = 0;
	for (size_t i = 0; i < p->n; i++) {
		struct item *it = &p->items[i];
		char a[32], b[32];
		mib(a, sizeof(a), (double)it->done);
		mib(b, sizeof(b), it->size >= 0 ? (double)it->size : 0);
		const char *state = it->present ? "already present" : it->finished ? "done" : it->done ? "pulling" : "waiting";
		fprintf(stderr, "\033[2K%.19s  %-15s", it->digest, state);
		if (!it->present)
			fprintf(stderr, "  %s / %s", a, b);
		fputc('\n', stderr);
		if (!it->present) {
			done += it->done;
			total += it->size >= 0 ? (uint64_t)it->size : 0;
		}
		finished += it->present || it->finished;
	}
	char a[32], b[32];
	mib(a, sizeof(a), (double)done);
	mib(b, sizeof(b), (double)total);
	fprintf(stderr, "\033[2K%s: %zu/%zu layers, %s / %s\n", p->name, finished, p->n, a, b);
	p->drawn = (int)p->n + 1;
}

void progress_layer(struct progress *p, const char *digest, int64_t size, bool present)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	struct item *items = realloc(p->items, (p->n + 1) * sizeof(*items));
	if (items) {
		p->items = items;
		struct item *it = &items[p->n++];
		memset(it, 0, sizeof(*it));
		snprintf(it->digest, sizeof(it->digest), "%s", digest);
		it->size = size;
		it->present = present;
		if (p->mode == PROGRESS_JSON)
			emit(json_pack("{s:s, s:s, s:I, s:b}", "event", "layer", "digest", digest, "size",
				       (json_int_t)size, "present", present));
	}
	pthread_mutex_unlock(&p->lock);
}

void progress_bytes(struct progress *p, const char *digest, uint64_t n)
{
	if (!p || p->mode == PROGRESS_NONE)
		return;
	pthread_mutex_lock(&p->lock);
	struct item *it = find(p, digest);
	if (it) {
		it->done += n;
		double t = now();
		if (p->mode == PROGRESS_JSON && t - it->last_json >= JSON_EVERY) {
			it->last_json = t;
			emit(json_pack("{s:s, s:s, s:I, s:I}", "event", "progress", "digest", digest, "bytes",
				       (json_int_t)it->done, "size", (json_int_t)it->size));
		}
		draw(p, false);
	}
	pthread_mutex_unlock(&p->lock);
}

void progress_layer_done(struct progress *p, const char *digest)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	struct item *it = find(p, digest);
	if (it) {
		it->finished = true;
		if (p->mode == PROGRESS_JSON)
			emit(json_pack("{s:s, s:s, s:I}", "event", "layer-done", "digest", digest, "bytes",
				       (json_int_t)it->done));
		draw(p, true);
	}
	pthread_mutex_unlock(&p->lock);
}

void progress_retry(struct progress *p, const char *url, int attempt, uint64_t offset, const char *why,
		    unsigned delay_ms)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	if (p->mode == PROGRESS_JSON) {
		emit(json_pack("{s:s, s:s, s:i, s:I, s:s, s:i}", "event", "retry", "url", url, "attempt", attempt,
			       "offset", (json_int_t)offset, "reason", why, "delay_ms", (int)delay_ms));
	} else if (p->mode == PROGRESS_TTY) {
		/* above the block, which is drawn again below it */
		if (p->drawn)
			fprintf(stderr, "\033[%dA\033[J", p->drawn);
		fprintf(stderr, "retry %d in %u ms from byte %llu: %s: %s\n", attempt, delay_ms,
			(unsigned long long)offset, url, why);
		p->drawn = 0;
		draw(p, true);
	}
	pthread_mutex_unlock(&p->lock);
}

void progress_finish(struct progress *p, const char *manifest, bool ok)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	if (p->mode == PROGRESS_JSON)
		emit(json_pack("{s:s, s:s, s:s?, s:b}", "event", "done", "name", p->name, "manifest", manifest, "ok", ok));
	else
		draw(p, true);
	pthread_mutex_unlock(&p->lock);
}

void progress_free(struct progress *p)
{
	if (!p)
		return;
	pthread_mutex_destroy(&p->lock);
	free(p->items);
	free(p);
}
