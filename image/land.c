/* A run's unpacked layers into place, all at once. The order is the durability promise:
 *   1. every layer unpacked and verified, each in its temporary (layers/<hex>.tmp-XXXXXX);
 *   2. one syncfs: every file of every layer durable (unpack.c started their writeback early,
 *      and flush.c synced in the background as they piled up, so this waits only for the tail);
 *   3. each temporary renamed to layers/<hex>, then the layers directory synced;
 * and only then may the caller write the manifest and the name. One syncfs per run, not one per
 * layer: each syncfs also commits the journal and flushes the disk's cache, and the layers of a
 * parallel pull finish close together. A SIGKILL or a power cut before 3 leaves temporaries
 * only; during 3, layers that are whole (synced in 2) and that no name reaches yet. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flush.h"
#include "image.h"

int unpack_batch_init(struct unpack_batch *b, struct store *st, const struct layer_plan *layers, size_t n,
		      struct pith_error *err)
{
	*b = (struct unpack_batch){ .layers = layers, .n = n, .dirfd = -1 };
	b->dirfd = openat(st->fd, "layers", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (b->dirfd < 0)
		return pith_fail(err, errno, "%s/layers", st->path);
	b->tmp = calloc(n + 1, sizeof(*b->tmp));
	if (!b->tmp)
		return pith_fail(err, ENOMEM, "layers");
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s/layers", st->path);
	b->flush = flusher_new(dir);
	return 0;
}

static void forget(struct unpack_batch *b, size_t i)
{
	struct pith_error ignored = { 0 };
	store_remove_tree(b->tmp[i], &ignored);
	b->tmp[i][0] = 0;
}

int unpack_land(struct store *st, struct unpack_batch *b, struct pith_error *err)
{
	size_t todo = 0;
	for (size_t i = 0; i < b->n; i++)
		todo += b->tmp[i][0] != 0;
	if (todo == 0)
		return 0;
	/* an early flush under way is waited for: it leaves this one less to do */
	flusher_free(b->flush);
	b->flush = NULL;
	if (syncfs(b->dirfd) < 0)
		return pith_fail(err, errno, "%s/layers: syncfs", st->path);
	int r = 0;
	for (size_t i = 0; r == 0 && i < b->n; i++) {
		if (!b->tmp[i][0])
			continue;
		char final[PATH_MAX];
		snprintf(final, sizeof(final), "%s/layers/%s", st->path, b->layers[i].chain_id + 7);
		if (rename(b->tmp[i], final) == 0) {
			b->tmp[i][0] = 0;
		} else if ((errno == ENOTEMPTY || errno == EEXIST) && store_has_layer(st, b->layers[i].chain_id)) {
			/* a run beside this one (the store shared) landed the same chain ID first: the
			 * same verified content */
			forget(b, i);
		} else {
			r = pith_fail(err, errno, "%s", final);
		}
	}
	if (r == 0 && fsync(b->dirfd) < 0)
		r = pith_fail(err, errno, "%s/layers: fsync", st->path);
	return r;
}

void unpack_batch_free(struct unpack_batch *b)
{
	flusher_free(b->flush);
	b->flush = NULL;
	for (size_t i = 0; b->tmp && i < b->n; i++)
		if (b->tmp[i][0])
			forget(b, i);
	free(b->tmp);
	b->tmp = NULL;
	if (b->dirfd >= 0)
		close(b->dirfd);
	b->dirfd = -1;
}
