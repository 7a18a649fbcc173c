/* The fake cgroup leaf shared by the cgroup resource and zero-value tests. */
#include "lib_fake_cgroup.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char leaf_dir[128];
static int leaf_fd = -1;

int fake_leaf_make(const char *const *files)
{
	snprintf(leaf_dir, sizeof(leaf_dir), "/tmp/pith-cgleaf-XXXXXX");
	cr_assert(mkdtemp(leaf_dir));
	leaf_fd = open(leaf_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	cr_assert_geq(leaf_fd, 0);
	for (; *files; files++) {
		int fd = openat(leaf_fd, *files, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
		cr_assert_geq(fd, 0);
		close(fd);
	}
	return leaf_fd;
}

char *fake_leaf_content(const char *file)
{
	static char buf[1024];
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", leaf_dir, file);
	FILE *f = fopen(p, "r");
	cr_assert(f, "%s", p);
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

const char *fake_leaf_path(void)
{
	return leaf_dir;
}

void fake_leaf_remove(void)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "rm -rf '%s'", leaf_dir);
	cr_assert_eq(system(buf), 0);
	close(leaf_fd);
	leaf_fd = -1;
}
