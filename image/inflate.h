/* inflate.c: gzip layers decompressed with ISA-L's igzip where it was built in. */
#ifndef PITH_IMAGE_INFLATE_H
#define PITH_IMAGE_INFLATE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "../runtime/error.h"

/* the next compressed block: its length, 0 at the end, negative when the source failed (the
 * source keeps its own error) */
typedef ssize_t (*inflate_input)(void *ctx, const void **buf);

struct inflate;
/* true when built with ISA-L and buf (the blob's first bytes) starts a gzip stream */
bool inflate_takes(const void *buf, size_t len);
/* first: the block already read (inflate_takes looked at it) */
int inflate_new(struct inflate **out, inflate_input in, void *ctx, const void *first, size_t len,
		struct pith_error *err);
/* up to cap bytes of the tar: their number, 0 at the end of the gzip stream (its members),
 * negative errno: err filled for a gzip error, untouched when the source failed (what
 * inflate_input returned is passed on: the source has the error) */
ssize_t inflate_read(struct inflate *z, void *buf, size_t cap, struct pith_error *err);
void inflate_free(struct inflate *z);

#endif
