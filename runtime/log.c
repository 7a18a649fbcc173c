/* Where messages go: stderr or the --log file, as text or runc-style JSON lines (log.h). */
#include "log.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

static int log_fd = -1;      /* -1: no --log file */
static bool log_json;
static bool log_debug_on;

void log_setup(const char *path, bool json, bool debug)
{
	log_json = json;
	log_debug_on = debug;
	if (path && *path)
		log_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
}

/* UTC calendar date from days since 1970-01-01 (Hinnant's civil_from_days):
 * glibc's gmtime_r reads /etc/localtime on first use, for a UTC stamp. */
static void civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

void rfc3339_now(char *buf, size_t len)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t secs = (int64_t)ts.tv_sec;
	int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
	int64_t sod = secs - days * 86400;
	int y;
	unsigned m, d;
	civil_from_days(days, &y, &m, &d);
	snprintf(buf, len, "%04d-%02u-%02uT%02d:%02d:%02d.%09ldZ", y, m, d, (int)(sod / 3600),
		 (int)(sod / 60 % 60), (int)(sod % 60), (long)ts.tv_nsec);
}

static void emit(const char *level, const char *msg)
{
	/* stderr always gets the text, so a human running pith sees it; the log
	 * file gets the form its reader (podman, containerd) parses. */
	if (strcmp(level, "debug") != 0 || log_debug_on)
		dprintf(STDERR_FILENO, "pith: %s%s\n", strcmp(level, "error") == 0 ? "" : "warning: ", msg);
	if (log_fd < 0)
		return;
	char now[64];
	rfc3339_now(now, sizeof(now));
	if (!log_json) {
		dprintf(log_fd, "%s %s %s\n", now, level, msg);
		return;
	}
	json_t *line = json_pack("{s:s,s:s,s:s}", "level", level, "msg", msg, "time", now);
	char *text = line ? json_dumps(line, JSON_COMPACT) : NULL;
	if (text)
		dprintf(log_fd, "%s\n", text);
	free(text);
	json_decref(line);
}

void log_error(const struct pith_error *err)
{
	char buf[1400];
	emit("error", pith_error_text(err, buf, sizeof(buf)));
}

static void vemit(const char *level, const char *fmt, va_list ap)
{
	char buf[1024];
	vsnprintf(buf, sizeof(buf), fmt, ap);
	emit(level, buf);
}

void log_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vemit("warning", fmt, ap);
	va_end(ap);
}

void log_debug(const char *fmt, ...)
{
	if (!log_debug_on)
		return;
	va_list ap;
	va_start(ap, fmt);
	vemit("debug", fmt, ap);
	va_end(ap);
}
