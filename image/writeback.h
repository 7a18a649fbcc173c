/* writeback.c: files written back while the unpack goes on, and out of the page cache once clean. */
#ifndef PITH_IMAGE_WRITEBACK_H
#define PITH_IMAGE_WRITEBACK_H

#include <stdbool.h>

/* files smaller than this are left to the syncfs that ends the run (the .NET image's files of
 * 64 KiB and more hold 94% of its bytes, in 12% of its files) */
#define WRITEBACK_MIN (64u << 10)
#define WRITEBACK_FILES 16

struct writeback {
	int fd[WRITEBACK_FILES];
	unsigned head, count;
};

/* Start writing fd's dirty pages out, without waiting; takes fd. Once WRITEBACK_FILES are in
 * flight, the oldest is waited for and its pages dropped. */
void writeback_start(struct writeback *w, int fd);
/* Every file still in flight: waited for and dropped (drop), or only closed. */
void writeback_end(struct writeback *w, bool drop);

#endif
