/* flush.c: a background syncfs, asked for as a run's files pile up, so the one that lands the
 * run finds little left to write. */
#ifndef PITH_IMAGE_FLUSH_H
#define PITH_IMAGE_FLUSH_H

/* ask for a flush every this many bytes written (and at the end of each layer) */
#define FLUSH_EVERY (32ull << 20)

struct flusher;
/* dir: a directory on the file system to flush; NULL when out of memory (no early flushes) */
struct flusher *flusher_new(const char *dir);
/* a syncfs soon, on the flusher's thread (started on first need); never waits for it */
void flusher_kick(struct flusher *f);
/* waits for a syncfs under way, stops the thread, frees f (NULL is fine) */
void flusher_free(struct flusher *f);

#endif
