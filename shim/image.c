/* The shim's side of images: every store operation is a run of `pith-image`
 * (the shim links only libc; the store's format stays pith-image's business).
 * The tool is the one beside pith-shim, or beside an absolute --runtime: a
 * path fixed on the host, never a PATH search. */
#include "shim.h"
#include "jscan.h"
#include "../runtime/cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TOOL_TIMEOUT_MS (120 * 1000) /* a store lock held that long is a hang */
#define TOOL_OUT_MAX (1 << 20)      /* inspect's JSON; more is refused */
#define TOOL_ERR_MAX 512

/* pith-image in the directory dir; true when it is there to run. */
static bool tool_in(struct shim *s, const char *dir)
{
	return shim_path(s->img.tool, sizeof(s->img.tool), dir, "pith-image") == 0 &&
	       access(s->img.tool, X_OK) == 0;
}

int shim_image_find_tool(struct shim *s, struct pith_error *err)
{
	char dir[SHIM_PATH_MAX];
	if (shim_self_dir(dir, sizeof(dir)) == 0 && tool_in(s, dir))
		return 0;
	snprintf(dir, sizeof(dir), "%s", s->runtime);
	char *slash = strrchr(dir, '/');
	if (dir[0] == '/' && slash && (*slash = '\0', tool_in(s, dir[0] ? dir : "/")))
		return 0;
	return pith_fail(err, ENOENT, "--image: no pith-image beside pith-shim or the runtime");
}

/* tool [--store S] args... (malloc'd, NULL-terminated; argv is never cut short). */
static char **tool_argv(struct shim *s, const char *const *args)
{
	size_t n = 0, k = 0;
	while (args[n])
		n++;
	char **argv = calloc(n + 4, sizeof(*argv));
	if (!argv)
		return NULL;
	argv[k++] = s->img.tool;
	if (s->o.store) {
		argv[k++] = (char *)"--store";
		argv[k++] = (char *)s->o.store;
	}
	for (size_t i = 0; i < n; i++)
		argv[k++] = (char *)args[i];
	return argv;
}

/* fork + exec of the tool; -errno when it could not be started. */
static pid_t tool_spawn(struct shim *s, const char *const *args, const int fds[3])
{
	char **argv = tool_argv(s, args);
	if (!argv)
		return -ENOMEM;
	pid_t pid = shim_spawn(s, argv, fds);
	free(argv);
	return pid;
}

struct tool_out {
	char *buf;      /* stdout when asked for, malloc'd */
	size_t len;
	char err[TOOL_ERR_MAX];
	size_t err_len;
};

/* Drains fds[0] (stdout, may be -1) and fds[1] (stderr) until both close. */
static int drain(int fds[2], struct tool_out *o, bool *too_big)
{
	int64_t deadline = shim_now_ns(CLOCK_MONOTONIC) / 1000000 + TOOL_TIMEOUT_MS;
	while (fds[0] >= 0 || fds[1] >= 0) {
		struct pollfd p[2] = { { .fd = fds[0], .events = POLLIN }, { .fd = fds[1], .events = POLLIN } };
		int left = (int)(deadline - shim_now_ns(CLOCK_MONOTONIC) / 1000000);
		int r = left <= 0 ? 0 : poll(p, 2, left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -errno : -ETIMEDOUT;
		for (int i = 0; i < 2; i++) {
			if (fds[i] < 0 || !p[i].revents)
				continue;
			char chunk[4096];
			ssize_t n = read(fds[i], chunk, sizeof(chunk));
			if (n <= 0) {
				close(fds[i]), fds[i] = -1;
				continue;
			}
			if (i == 1) {
				size_t k = (size_t)n < sizeof(o->err) - 1 - o->err_len ? (size_t)n : sizeof(o->err) - 1 - o->err_len;
				memcpy(o->err + o->err_len, chunk, k);
				o->err_len += k;
			} else if (o->len + (size_t)n > TOOL_OUT_MAX) {
				*too_big = true; /* keep reading: the tool must not block on us */
			} else {
				char *b = realloc(o->buf, o->len + (size_t)n + 1);
				if (!b)
					return -ENOMEM;
				memcpy(b + o->len, chunk, (size_t)n);
				o->buf = b;
				o->len += (size_t)n;
				b[o->len] = '\0';
			}
		}
	}
	return 0;
}

/* pith-image's "pith-image: why" as one line, for an error message. */
static const char *first_line(char *text)
{
	const char *p = strncmp(text, "pith-image: ", 12) == 0 ? text + 12 : text;
	text[strcspn(text, "\n")] = '\0';
	return p;
}

/* Runs the tool and waits; its stdout into o->buf when want_out. */
static int tool_run(struct shim *s, const char *const *args, bool want_out, struct tool_out *o,
		    struct pith_error *err)
{
	int out[2] = { -1, -1 }, errp[2];
	auto_fd null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0 || pipe2(errp, O_CLOEXEC) < 0)
		return pith_fail(err, errno, "pipe");
	if (want_out && pipe2(out, O_CLOEXEC) < 0) {
		close(errp[0]), close(errp[1]);
		return pith_fail(err, errno, "pipe");
	}
	const int fds[3] = { null, want_out ? out[1] : null, errp[1] };
	pid_t pid = tool_spawn(s, args, fds);
	close(errp[1]);
	if (out[1] >= 0)
		close(out[1]);
	int rd[2] = { out[0], errp[0] };
	bool too_big = false;
	int r = pid < 0 ? pid : drain(rd, o, &too_big);
	for (int i = 0; i < 2; i++)
		if (rd[i] >= 0)
			close(rd[i]);
	if (pid < 0)
		return pith_fail(err, -pid, "fork for %s", s->img.tool);
	if (r < 0)
		kill(pid, SIGKILL); /* our unreaped child: the pid cannot be anyone else's */
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (r < 0)
		return pith_fail(err, -r, "pith-image %s", args[0]);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		o->err[o->err_len] = '\0';
		return pith_fail(err, 0, "%s (pith-image %s)", o->err_len ? first_line(o->err) : "failed", args[0]);
	}
	if (too_big)
		return pith_fail(err, E2BIG, "pith-image %s: more output than %d bytes", args[0], TOOL_OUT_MAX);
	return 0;
}

static int tool(struct shim *s, const char *const *args, struct pith_error *err)
{
	struct tool_out o = { 0 };
	int r = tool_run(s, args, false, &o, err);
	free(o.buf);
	return r;
}

/* REF -> the manifest digest it names now, from `pith-image inspect`. */
int shim_image_resolve(struct shim *s, const char *ref, char out[SHIM_DIGEST_LEN], struct pith_error *err)
{
	const char *args[] = { "inspect", ref, NULL };
	struct tool_out o = { 0 };
	int r = tool_run(s, args, true, &o, err);
	struct jspan top, m;
	if (r == 0 && (!o.buf || jscan_value(o.buf, o.len, 0, &top) < 0 ||
		       jscan_member(o.buf, o.len, top, "manifest", &m) != 1 ||
		       jscan_string(o.buf, m, out, SHIM_DIGEST_LEN) < 0 || strncmp(out, "sha256:", 7) != 0 ||
		       strlen(out) != SHIM_DIGEST_LEN - 1 || strspn(out + 7, "0123456789abcdef") != 64))
		r = pith_fail(err, 0, "pith-image inspect %s: no manifest digest in its answer", ref);
	free(o.buf);
	return r;
}

/* A fresh bundle of the image digest (never the moving name) in img.bundle:
 * bundle [-e NAME=VALUE]... DIGEST DIR [-- CMD...] */
int shim_image_bundle(struct shim *s, const char *digest, struct pith_error *err)
{
	const char **args = calloc(6 + 2 * (size_t)s->o.nenv + (size_t)s->o.ncmd, sizeof(*args));
	size_t n = 0;
	if (!args)
		return pith_fail(err, ENOMEM, "bundle");
	args[n++] = "bundle";
	for (unsigned i = 0; i < s->o.nenv; i++) {
		args[n++] = "-e";
		args[n++] = s->o.env[i];
	}
	args[n++] = digest;
	args[n++] = s->img.bundle;
	if (s->o.ncmd > 0)
		args[n++] = "--";
	for (int i = 0; i < s->o.ncmd; i++)
		args[n++] = s->o.cmd[i];
	int r = tool(s, args, err);
	free(args);
	if (r < 0)
		return r;
	s->img.bundled = true;
	snprintf(s->img.running, sizeof(s->img.running), "%s", digest);
	return 0;
}

/* Unmount and remove the bundle; a leftover of a killed shim counts too. */
void shim_image_unbundle(struct shim *s)
{
	struct pith_error err;
	if (!s->img.bundled && access(s->img.bundle, F_OK) < 0)
		return;
	const char *args[] = { "bundle", "--rm", s->img.bundle, NULL };
	if (tool(s, args, &err) < 0)
		shim_log_note(s, "%s", err.msg);
	s->img.bundled = false;
}

/* The pin p names what image names now (a name or a digest some name holds). */
int shim_image_pin(struct shim *s, enum shim_pin p, const char *image, struct pith_error *err)
{
	const char *args[] = { "tag", image, s->img.pin[p], NULL };
	int r = tool(s, args, err);
	if (r == 0)
		s->img.pinned[p] = true;
	return r;
}

/* `rm` of a pin also collects what only it kept. */
void shim_image_unpin(struct shim *s, enum shim_pin p)
{
	struct pith_error err;
	const char *args[] = { "rm", s->img.pin[p], NULL };
	if (!s->img.pinned[p])
		return;
	s->img.pinned[p] = false;
	if (tool(s, args, &err) < 0)
		shim_log_note(s, "%s", err.msg);
}

static int pull_err_path(struct shim *s, char *buf, size_t cap)
{
	return shim_path(buf, cap, s->run_dir, "pull.err");
}

/* `pith-image pull REF` in the background: its stderr goes to a file, so a
 * chatty pull can never block on a pipe the shim reads only at its end. */
pid_t shim_image_pull_spawn(struct shim *s, struct pith_error *err)
{
	char path[SHIM_PATH_MAX];
	const char *args[SHIM_MAX_PULL_OPTS + 3] = { "pull" };
	unsigned n = 1;
	for (unsigned i = 0; i < s->o.npull_opts; i++)
		args[n++] = s->o.pull_opts[i];
	args[n] = s->o.image;
	if (pull_err_path(s, path, sizeof(path)) < 0)
		return pith_fail(err, ENAMETOOLONG, "%s", s->run_dir);
	auto_fd null = open("/dev/null", O_RDWR | O_CLOEXEC);
	auto_fd ef = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (null < 0 || ef < 0)
		return pith_fail(err, errno, "%s", ef < 0 ? path : "/dev/null");
	const int fds[3] = { null, null, ef };
	pid_t pid = tool_spawn(s, args, fds);
	return pid < 0 ? pith_fail(err, -pid, "fork for %s pull", s->img.tool) : pid;
}

/* Why a pull ended with wait status st: its last line of stderr. */
void shim_image_pull_error(struct shim *s, int st, struct pith_error *err)
{
	char path[SHIM_PATH_MAX], text[2048];
	pull_err_path(s, path, sizeof(path));
	ssize_t n = shim_read_file(AT_FDCWD, path, text, sizeof(text));
	unlink(path);
	while (n > 0 && text[n - 1] == '\n')
		text[--n] = '\0';
	char *last = n > 0 ? strrchr(text, '\n') : NULL;
	last = last ? last + 1 : (n > 0 ? text : NULL);
	if (st == 0) {
		err->msg[0] = '\0';
		return;
	}
	if (WIFSIGNALED(st))
		pith_fail(err, 0, "pith-image pull %s: killed by signal %d", s->o.image, WTERMSIG(st));
	else
		pith_fail(err, 0, "%s (pith-image pull)", last ? first_line(last) : "failed");
}
