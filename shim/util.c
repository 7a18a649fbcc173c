/* Small helpers shared by the shim's files. */
#include "shim.h"
#include "../runtime/cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int shim_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads at most cap-1 bytes and NUL-terminates; cgroup and proc files are
 * generated on read, so one read from offset 0 is one consistent view. */
ssize_t shim_read_file(int dirfd, const char *path, char *buf, size_t cap)
{
	auto_fd fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	size_t len = 0;
	while (len + 1 < cap) {
		ssize_t n = read(fd, buf + len, cap - 1 - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	return (ssize_t)len;
}

/* tmp + fsync + rename + fsync(dir): a reader sees the old file or the
 * whole new one, even after a power cut. */
int shim_write_file_atomic(const char *path, const char *data, size_t len, struct pith_error *err)
{
	char tmp[SHIM_PATH_MAX], dir[SHIM_PATH_MAX];
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return pith_fail(err, ENAMETOOLONG, "%s", path);
	auto_fd fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return pith_fail(err, errno, "open %s", tmp);
	int r = shim_write_all(fd, data, len);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		return pith_fail(err, -r, "write %s", tmp);
	}
	if (rename(tmp, path) < 0) {
		r = errno;
		unlink(tmp);
		return pith_fail(err, r, "rename %s", path);
	}
	snprintf(dir, sizeof(dir), "%s", path);
	auto_fd dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0)
		fsync(dfd);
	return 0;
}

int64_t shim_now_ns(int clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* RFC 3339 with nanoseconds, UTC: 2026-01-02T03:04:05.123456789Z */
void shim_format_time(int64_t ns, char *buf, size_t len)
{
	time_t sec = (time_t)(ns / 1000000000);
	struct tm tm;
	gmtime_r(&sec, &tm);
	size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%09ldZ", (long)(ns % 1000000000));
}

/* JSON string body (no quotes); output truncated to fit, always terminated. */
size_t shim_json_escape(char *out, size_t cap, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[7];
		size_t n = 1;
		esc[0] = (char)c;
		if (c == '"' || c == '\\') {
			esc[0] = '\\', esc[1] = (char)c, n = 2;
		} else if (c == '\n') {
			esc[0] = '\\', esc[1] = 'n', n = 2;
		} else if (c == '\t') {
			esc[0] = '\\', esc[1] = 't', n = 2;
		} else if (c < 0x20 || c == 0x7f) {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4], esc[5] = hex[c & 15], n = 6;
		}
		if (o + n + 1 > cap)
			break;
		memcpy(out + o, esc, n);
		o += n;
	}
	if (cap)
		out[o] = '\0';
	return o;
}

/* The directory holding this binary: pith and pith-init are looked up there. */
int shim_self_dir(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	char *slash = strrchr(buf, '/');
	if (!slash)
		return -ENOENT;
	*slash = '\0';
	return 0;
}

/* dir/name into buf; -ENAMETOOLONG rather than a silently cut path. */
int shim_path(char *buf, size_t cap, const char *dir, const char *name)
{
	int n = snprintf(buf, cap, "%s/%s", dir, name);
	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}
