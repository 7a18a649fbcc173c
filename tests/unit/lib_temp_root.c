/* See lib_temp_root.h. */
#include <criterion/criterion.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib_temp_root.h"

static char base[64];
static int root_fd = -1;

int temp_root_make(void)
{
	snprintf(base, sizeof(base), "/tmp/pith-root-XXXXXX");
	cr_assert_not_null(mkdtemp(base));
	char etc[128];
	snprintf(etc, sizeof(etc), "%s/etc", base);
	cr_assert_eq(mkdir(etc, 0755), 0);
	root_fd = open(base, O_PATH | O_DIRECTORY | O_CLOEXEC);
	cr_assert_geq(root_fd, 0);
	return root_fd;
}

void temp_root_put(const char *rel, const char *text)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", base, rel);
	FILE *f = fopen(p, "w");
	cr_assert_not_null(f, "create %s", p);
	fputs(text, f);
	fclose(f);
}

const char *temp_root_path(void)
{
	return base;
}

void temp_root_remove(void)
{
	if (root_fd >= 0)
		close(root_fd);
	root_fd = -1;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", base);
	cr_assert_eq(system(cmd), 0);
}
