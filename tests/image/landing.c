/* LD_PRELOAD for tests/image/pull.sh: what pith-image-pull does when it lands a run's layers,
 * seen from outside, and a SIGKILL at a chosen step of it.
 *   LANDING_LOG=FILE   appends "syncfs main" / "syncfs other" (the calling thread: the process's
 *                      main one, which lands, or a worker or flusher) and "rename TO" for every
 *                      rename of a layer temporary (*.tmp-*) into place
 *   LANDING_KILL=sync     SIGKILL at the main thread's syncfs (every layer unpacked, none synced
 *                         by the landing yet)
 *   LANDING_KILL=rename2  SIGKILL just before the second layer's rename (one layer landed)
 * Never built into anything else. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void note(const char *what, const char *arg)
{
	const char *log = getenv("LANDING_LOG");
	if (!log)
		return;
	int fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	dprintf(fd, "%s %s\n", what, arg);
	close(fd);
}

static bool kill_at(const char *step)
{
	const char *k = getenv("LANDING_KILL");
	return k && strcmp(k, step) == 0;
}

int syncfs(int fd)
{
	static int (*real)(int);
	if (!real)
		real = (int (*)(int))dlsym(RTLD_NEXT, "syncfs");
	bool main_thread = gettid() == getpid();
	note("syncfs", main_thread ? "main" : "other");
	if (main_thread && kill_at("sync"))
		raise(SIGKILL);
	return real(fd);
}

int rename(const char *from, const char *to)
{
	static int (*real)(const char *, const char *);
	static int renames;
	if (!real)
		real = (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "rename");
	if (strstr(from, "/layers/") && strstr(from, ".tmp-")) {
		if (++renames == 2 && kill_at("rename2"))
			raise(SIGKILL);
		note("rename", to);
	}
	return real(from, to);
}
