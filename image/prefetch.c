/* A producer thread one step ahead of its consumer: while the tar reader writes a layer's files
 * (kernel time: inode allocation, page cache), the next blocks are read, decompressed and hashed
 * on the other core. A small ring of fixed blocks between them: memory stays bounded (SLOTS x
 * PREFETCH_BLOCK) and nothing is copied twice. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "prefetch.h"

static void *produce_all(void *arg)
{
	struct prefetch *p = arg;
	for (;;) {
		pthread_mutex_lock(&p->lock);
		while (p->filled == PREFETCH_SLOTS && !p->cancel)
			pthread_cond_wait(&p->space, &p->lock);
		bool stop = p->cancel;
		unsigned slot = (p->head + p->filled) % PREFETCH_SLOTS;
		pthread_mutex_unlock(&p->lock);
		if (stop)
			break;
		/* the slot is ours until it is counted in filled: the consumer never reads it */
		ssize_t got = p->fn(p->ctx, p->block[slot], PREFETCH_BLOCK);
		pthread_mutex_lock(&p->lock);
		if (got > 0) {
			p->len[slot] = (size_t)got;
			p->filled++;
		} else {
			p->end = got; /* 0: the stream's end, < 0: the producer's error */
			p->done = true;
		}
		pthread_cond_signal(&p->data);
		pthread_mutex_unlock(&p->lock);
		if (got <= 0)
			break;
	}
	return NULL;
}

int prefetch_start(struct prefetch *p, prefetch_fn fn, void *ctx, struct pith_error *err)
{
	memset(p, 0, sizeof(*p));
	p->fn = fn;
	p->ctx = ctx;
	p->block = malloc(sizeof(*p->block) * PREFETCH_SLOTS);
	if (!p->block)
		return pith_fail(err, ENOMEM, "prefetch buffers");
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->data, NULL);
	pthread_cond_init(&p->space, NULL);
	int e = pthread_create(&p->thread, NULL, produce_all, p);
	if (e != 0) {
		pthread_mutex_destroy(&p->lock);
		pthread_cond_destroy(&p->data);
		pthread_cond_destroy(&p->space);
		free(p->block);
		p->block = NULL;
		return pith_fail(err, e, "starting the decompression thread");
	}
	p->running = true;
	return 0;
}

ssize_t prefetch_next(struct prefetch *p, const void **buf)
{
	pthread_mutex_lock(&p->lock);
	if (p->holding) { /* the block returned last time is consumed now */
		p->head = (p->head + 1) % PREFETCH_SLOTS;
		p->filled--;
		p->holding = false;
		pthread_cond_signal(&p->space);
	}
	while (p->filled == 0 && !p->done)
		pthread_cond_wait(&p->data, &p->lock);
	ssize_t r;
	if (p->filled > 0) {
		*buf = p->block[p->head];
		r = (ssize_t)p->len[p->head];
		p->holding = true;
	} else {
		r = p->end;
	}
	pthread_mutex_unlock(&p->lock);
	return r;
}

void prefetch_stop(struct prefetch *p)
{
	if (!p->running)
		return;
	pthread_mutex_lock(&p->lock);
	p->cancel = true;
	pthread_cond_signal(&p->space);
	pthread_mutex_unlock(&p->lock);
	pthread_join(p->thread, NULL);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->data);
	pthread_cond_destroy(&p->space);
	free(p->block);
	p->block = NULL;
	p->running = false;
}
