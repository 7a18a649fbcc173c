/* prefetch.c: a producer thread one step ahead of its consumer, through a small ring of blocks. */
#ifndef PITH_IMAGE_PREFETCH_H
#define PITH_IMAGE_PREFETCH_H

#include <pthread.h>
#include <stdbool.h>
#include <sys/types.h>

#include "../runtime/error.h"

/* 128 KiB ahead per layer pulled at once: halving the blocks again cost ~5% more CPU (issue 15) */
#define PREFETCH_SLOTS 4
#define PREFETCH_BLOCK (32u << 10)

/* fills buf (cap bytes at most): bytes written, 0 at the end, negative on failure (its error is
 * the producer's to keep: the consumer reads it once prefetch_next returned that value) */
typedef ssize_t (*prefetch_fn)(void *ctx, void *buf, size_t cap);

struct prefetch {
	prefetch_fn fn;
	void *ctx;
	char (*block)[PREFETCH_BLOCK];
	size_t len[PREFETCH_SLOTS];
	unsigned head, filled;     /* filled blocks from head on, the consumer's included */
	bool holding;              /* the consumer is reading block[head] */
	bool done, cancel, running;
	ssize_t end;               /* fn's last result once done */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t data, space;
};

int prefetch_start(struct prefetch *p, prefetch_fn fn, void *ctx, struct pith_error *err);
/* the next block (valid until the next call): its length, 0 at the end, fn's negative result */
ssize_t prefetch_next(struct prefetch *p, const void **buf);
/* stop the producer (where it is) and free everything; safe to call twice */
void prefetch_stop(struct prefetch *p);

#endif
