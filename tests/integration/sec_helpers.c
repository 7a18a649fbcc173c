#include "sec_helpers.h"

#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

bool sec_system(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd) == 0;
}

static const char *helper_source(void)
{
	static char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/../tests/fixtures/sec-helper.c", h_build_dir());
	if (access(path, R_OK) == 0)
		return path;
	return "tests/fixtures/sec-helper.c";
}

const char *sec_helper_bin(void)
{
	static char bin[PATH_MAX];
	snprintf(bin, sizeof(bin), "%s/fixtures/sec-helper", h_build_dir());
	struct stat src, dst;
	const char *source = helper_source();
	if (stat(bin, &dst) == 0 && stat(source, &src) == 0 && dst.st_mtime >= src.st_mtime)
		return bin;
	/* tests run in parallel: one compiles, the others wait on the lock */
	char lock[PATH_MAX + 8];
	snprintf(lock, sizeof(lock), "%s.lock", bin);
	int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	flock(fd, LOCK_EX);
	if (!(stat(bin, &dst) == 0 && stat(source, &src) == 0 && dst.st_mtime >= src.st_mtime))
		sec_system("gcc -static -O1 -o '%s.tmp' '%s' && mv '%s.tmp' '%s'", bin, source, bin, bin);
	flock(fd, LOCK_UN);
	close(fd);
	return bin;
}

const char *sec_private_rootfs(struct bundle *b)
{
	static char rootfs[PATH_MAX];
	snprintf(rootfs, sizeof(rootfs), "%s/rootfs", b->dir);
	if (!sec_system("cp -a '%s/fixtures/rootfs' '%s' && cp '%s' '%s/bin/sec-helper'", h_build_dir(), rootfs,
			sec_helper_bin(), rootfs))
		abort();
	json_object_set_new(json_object_get(b->config, "root"), "path", json_string(rootfs));
	return rootfs;
}

struct run_result sec_run_sh(struct bundle *b, const char *script)
{
	h_bundle_set_args(b, "sh", "-c", script, NULL);
	h_bundle_write(b);
	return h_pith("run", "--bundle", b->dir, b->id, NULL);
}

unsigned long long sec_file_hash(const char *path)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	unsigned long long h = 1469598103934665603ULL;
	int c;
	while ((c = getc(f)) != EOF)
		h = (h ^ (unsigned char)c) * 1099511628211ULL;
	fclose(f);
	return h;
}
