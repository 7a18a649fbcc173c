/* LD_PRELOAD for boards/powercut.sh's self-test (POWERCUT_BREAK=nosync): pith-image with every
 * sync call answered "done" and nothing synced, to show the power cuts find what a store that does
 * not sync leaves behind. Never built into anything else. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <unistd.h>

int fsync(int fd) { (void)fd; return 0; }
int fdatasync(int fd) { (void)fd; return 0; }
int syncfs(int fd) { (void)fd; return 0; }
void sync(void) {}
int sync_file_range(int fd, off_t off, off_t n, unsigned int flags) { (void)fd; (void)off; (void)n; (void)flags; return 0; }
