/* Early writeback, as dpkg does it: each big file is handed to the disk as soon as it is
 * written (sync_file_range SYNC_FILE_RANGE_WRITE, which does not wait), so the syncfs that
 * makes a pull's layers durable finds most pages clean and waits only for the tail. Without
 * it the whole layer sat dirty in the page cache (a 24 GiB machine never reaches its dirty
 * thresholds) and the syncfs wrote it all at the end, on the pull's critical path.
 *
 * sync_file_range makes nothing durable (no metadata, no disk cache flush): the syncfs still
 * does that, and the order of landing does not depend on anything here. A file waited for
 * here is clean, so its pages can leave the page cache at once (the running apps get the
 * memory back) instead of in a walk over the layer after the sync. */
#include <fcntl.h>
#include <stdbool.h>
#include <unistd.h>

#include "writeback.h"

static void finish_oldest(struct writeback *w, bool drop)
{
	int fd = w->fd[w->head];
	w->head = (w->head + 1) % WRITEBACK_FILES;
	w->count--;
	if (drop) {
		sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
			SYNC_FILE_RANGE_WAIT_AFTER);
		posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	}
	close(fd);
}

void writeback_start(struct writeback *w, int fd)
{
	/* best effort: what fails here is written by the syncfs all the same */
	sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
	if (w->count == WRITEBACK_FILES)
		finish_oldest(w, true);
	w->fd[(w->head + w->count++) % WRITEBACK_FILES] = fd;
}

void writeback_end(struct writeback *w, bool drop)
{
	while (w->count > 0)
		finish_oldest(w, drop);
}
