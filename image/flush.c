/* Early flushes. sync_file_range (writeback.c) hands the pages to the block device, and that is
 * all it does: where the device is a loop device on a file (the bench's stores, many CI stores)
 * the pages only move to the backing file's page cache, and a volatile disk cache keeps them
 * the same way, so the one syncfs that lands a run would still write the whole run out at its
 * end. A syncfs on this thread every FLUSH_EVERY bytes, and when a layer is done, moves that
 * work into the unpack, where the other core has time for it.
 *
 * Nothing depends on these flushes for durability: land.c's own syncfs comes after all of them
 * and covers everything. The flusher has its own open file: syncfs reports a writeback error
 * once per open file, so one seen here is still seen by land.c's. */
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include "flush.h"

struct flusher {
	int fd;
	pthread_t thread;
	bool running, wanted, stop;
	pthread_mutex_t lock;
	pthread_cond_t wake;
};

static void *flush_loop(void *arg)
{
	struct flusher *f = arg;
	pthread_mutex_lock(&f->lock);
	for (;;) {
		while (!f->wanted && !f->stop)
			pthread_cond_wait(&f->wake, &f->lock);
		if (f->stop)
			break;
		f->wanted = false;
		pthread_mutex_unlock(&f->lock);
		syncfs(f->fd);
		pthread_mutex_lock(&f->lock);
	}
	pthread_mutex_unlock(&f->lock);
	return NULL;
}

struct flusher *flusher_new(const char *dir)
{
	struct flusher *f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->wake, NULL);
	return f;
}

void flusher_kick(struct flusher *f)
{
	if (!f || f->fd < 0)
		return;
	pthread_mutex_lock(&f->lock);
	if (!f->running && !f->stop)
		f->running = pthread_create(&f->thread, NULL, flush_loop, f) == 0;
	f->wanted = true;
	pthread_cond_signal(&f->wake);
	pthread_mutex_unlock(&f->lock);
}

void flusher_free(struct flusher *f)
{
	if (!f)
		return;
	pthread_mutex_lock(&f->lock);
	f->stop = true;
	pthread_cond_signal(&f->wake);
	bool running = f->running;
	pthread_mutex_unlock(&f->lock);
	if (running)
		pthread_join(f->thread, NULL);
	pthread_cond_destroy(&f->wake);
	pthread_mutex_destroy(&f->lock);
	if (f->fd >= 0)
		close(f->fd);
	free(f);
}
