/* Reads what the shim needs from the user's config.json (process.terminal,
 * the stop signal annotation)
 * and, with --init, writes a private bundle whose config runs pith-init as
 * PID 1. The user's bundle is never modified: the copy lives in the run dir,
 * points root.path at the original rootfs and adds one read-only bind mount. */
#include "shim.h"
#include "jscan.h"
#include "../runtime/cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CONFIG_MAX (8 * 1024 * 1024)
#define MAX_SPLICES 3
#define MAX_SOURCES 64

struct splice {
	size_t pos, del;
	const char *text;
};

static int read_config(const char *bundle, char **text, size_t *len, struct pith_error *err)
{
	char path[SHIM_PATH_MAX];
	if (shim_path(path, sizeof(path), bundle, "config.json") < 0)
		return pith_fail(err, ENAMETOOLONG, "%s", bundle);
	auto_fd fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		return pith_fail(err, errno, "%s", path);
	if (st.st_size <= 0 || st.st_size > CONFIG_MAX)
		return pith_fail(err, 0, "%s: unexpected size", path);
	*text = malloc((size_t)st.st_size + 1);
	if (!*text)
		return pith_fail(err, ENOMEM, "%s", path);
	ssize_t n = read(fd, *text, (size_t)st.st_size);
	if (n != st.st_size) {
		free(*text);
		*text = NULL;
		return pith_fail(err, n < 0 ? errno : EIO, "read %s", path);
	}
	(*text)[n] = '\0';
	*len = (size_t)n;
	return 0;
}

static bool array_empty(const char *s, size_t len, struct jspan arr)
{
	size_t pos = 0;
	struct jspan e;
	return jscan_next(s, len, arr, &pos, &e) != 1;
}

/* Where pith-init's bind mount goes: /dev/.pith-init on the config's tmpfs
 * /dev (every usual config has one), so its mount point is made in that
 * tmpfs. Anywhere else the runtime would create the mount point in the image
 * (or, on a /dev bound from the host, in the host's /dev). NULL: no such /dev. */
static const char *init_destination(const char *s, size_t len, struct jspan top)
{
	struct jspan mounts, m, d, t;
	char dest[16], type[16];
	size_t pos = 0;
	if (jscan_member(s, len, top, "mounts", &mounts) != 1)
		return NULL;
	const char *found = NULL;
	while (jscan_next(s, len, mounts, &pos, &m) == 1) {
		if (jscan_member(s, len, m, "destination", &d) != 1 || jscan_string(s, d, dest, sizeof(dest)) < 0 ||
		    strcmp(dest, "/dev") != 0)
			continue;
		/* the last mount on /dev is the one the container sees */
		found = jscan_member(s, len, m, "type", &t) == 1 && jscan_string(s, t, type, sizeof(type)) == 0 &&
				strcmp(type, "tmpfs") == 0 ? "/dev/.pith-init" : NULL;
	}
	return found;
}

static bool is_bind(const char *s, size_t len, struct jspan m)
{
	struct jspan v, o;
	char buf[16];
	if (jscan_member(s, len, m, "type", &v) == 1 && jscan_string(s, v, buf, sizeof(buf)) == 0 &&
	    strcmp(buf, "bind") == 0)
		return true;
	if (jscan_member(s, len, m, "options", &v) != 1)
		return false;
	for (size_t pos = 0; jscan_next(s, len, v, &pos, &o) == 1;)
		if (jscan_string(s, o, buf, sizeof(buf)) == 0 && (!strcmp(buf, "bind") || !strcmp(buf, "rbind")))
			return true;
	return false;
}

/* The runtime resolves a relative bind source from its --bundle, which is
 * now the private copy: each becomes the absolute path into the user's
 * bundle. texts[] (malloc) hold the replacements; returns how many. */
static int absolute_sources(const char *c, size_t len, struct jspan mounts, const char *bundle,
			    struct splice *sp, char **texts, struct pith_error *err)
{
	int n = 0;
	struct jspan m, src;
	char rel[SHIM_PATH_MAX], joined[SHIM_PATH_MAX * 2], esc[SHIM_PATH_MAX * 4];
	for (size_t pos = 0; jscan_next(c, len, mounts, &pos, &m) == 1;) {
		if (jscan_member(c, len, m, "source", &src) != 1 ||
		    jscan_string(c, src, rel, sizeof(rel)) < 0 || rel[0] == '/' || !is_bind(c, len, m))
			continue;
		if (n == MAX_SOURCES)
			return pith_fail(err, E2BIG, "config.json: more than %d relative bind sources", MAX_SOURCES);
		snprintf(joined, sizeof(joined), "%s/%s", bundle, rel);
		shim_json_escape(esc, sizeof(esc), joined, strlen(joined));
		size_t tl = strlen(esc) + 3;
		texts[n] = malloc(tl);
		if (!texts[n])
			return pith_fail(err, ENOMEM, "config.json");
		snprintf(texts[n], tl, "\"%s\"", esc);
		sp[n] = (struct splice){ src.a, src.b - src.a, texts[n] };
		n++;
	}
	return n;
}

static int find_init_binary(struct shim *s, char *out, struct pith_error *err)
{
	char path[SHIM_PATH_MAX];
	if (s->o.init_path)
		snprintf(path, sizeof(path), "%s", s->o.init_path);
	else if (shim_self_dir(path, sizeof(path) - 16) == 0)
		strcat(path, "/pith-init");
	else
		return pith_fail(err, errno, "cannot find pith-init next to pith-shim");
	if (!realpath(path, out) || access(out, X_OK) < 0)
		return pith_fail(err, errno, "pith-init: %s", path);
	return 0;
}

static int resolve_root(const char *s, struct jspan pathv, const char *bundle, char *out,
			struct pith_error *err)
{
	char rel[SHIM_PATH_MAX], joined[SHIM_PATH_MAX * 2];
	if (jscan_string(s, pathv, rel, sizeof(rel)) < 0)
		return pith_fail(err, 0, "config.json: root.path: not a string");
	if (rel[0] == '/')
		snprintf(joined, sizeof(joined), "%s", rel);
	else
		snprintf(joined, sizeof(joined), "%s/%s", bundle, rel);
	if (!realpath(joined, out))
		return pith_fail(err, errno, "config.json: root.path: %s", joined);
	return 0;
}

static int write_spliced(const char *path, const char *s, size_t len, struct splice *sp, int n,
			 struct pith_error *err)
{
	for (int i = 1; i < n; i++) /* insertion sort by position */
		for (int j = i; j > 0 && sp[j].pos < sp[j - 1].pos; j--) {
			struct splice t = sp[j];
			sp[j] = sp[j - 1], sp[j - 1] = t;
		}
	size_t total = len + 1;
	for (int i = 0; i < n; i++)
		total += strlen(sp[i].text);
	auto_free char *out = malloc(total);
	if (!out)
		return pith_fail(err, ENOMEM, "%s", path);
	size_t o = 0, at = 0;
	for (int i = 0; i < n; i++) {
		memcpy(out + o, s + at, sp[i].pos - at);
		o += sp[i].pos - at;
		size_t t = strlen(sp[i].text);
		memcpy(out + o, sp[i].text, t);
		o += t;
		at = sp[i].pos + sp[i].del;
	}
	memcpy(out + o, s + at, len - at);
	o += len - at;
	return shim_write_file_atomic(path, out, o, err);
}

/* Runtimes that take crun's --config (pith, crun) keep the user's bundle as
 * theirs, so `state` and the hooks report it; others (runc) get the private
 * directory as the bundle. */
static bool runtime_takes_config(const char *runtime)
{
	const char *b = strrchr(runtime, '/');
	b = b ? b + 1 : runtime;
	return strncmp(b, "pith", 4) == 0 || strncmp(b, "crun", 4) == 0;
}

static int make_init_bundle(struct shim *s, const char *c, size_t len, struct jspan top,
			    struct jspan args, const char *bundle, struct pith_error *err)
{
	struct jspan root, rpath, mounts;
	char rootfs[PATH_MAX], init[PATH_MAX], esc[PATH_MAX * 2];
	char t_root[PATH_MAX * 2 + 4], t_args[PATH_MAX + 128], t_mount[PATH_MAX * 3];
	if (jscan_member(c, len, top, "root", &root) != 1 ||
	    jscan_member(c, len, root, "path", &rpath) != 1)
		return pith_fail(err, 0, "config.json: root.path is missing");
	if (resolve_root(c, rpath, bundle, rootfs, err) < 0 || find_init_binary(s, init, err) < 0)
		return -1;
	const char *dest = init_destination(c, len, top);
	if (!dest)
		return pith_fail(err, 0, "config.json: mounts: no tmpfs on /dev, where pith-init is bound without "
				 "writing into the image; add one (as every default config has)");

	shim_json_escape(esc, sizeof(esc), rootfs, strlen(rootfs));
	snprintf(t_root, sizeof(t_root), "\"%s\"", esc);
	char extra[32] = "";
	if (s->o.remap_exit >= 0)
		snprintf(extra, sizeof(extra), "\"-e\",\"%d\",", s->o.remap_exit);
	snprintf(t_args, sizeof(t_args), "[\"%s\",%s%s\"--\"%s", dest,
		 s->o.signal_group ? "\"-g\"," : "", extra, array_empty(c, len, args) ? "" : ",");
	shim_json_escape(esc, sizeof(esc), init, strlen(init));
	int has_mounts = jscan_member(c, len, top, "mounts", &mounts);
	bool first = has_mounts != 1 || array_empty(c, len, mounts);
	snprintf(t_mount, sizeof(t_mount),
		 "%s{\"destination\":\"%s\",\"type\":\"bind\",\"source\":\"%s\","
		 "\"options\":[\"bind\",\"ro\",\"nosuid\",\"nodev\"]}%s",
		 has_mounts == 1 ? (first ? "" : ",") : "\"mounts\":[", dest, esc,
		 has_mounts == 1 ? "" : "],");

	struct splice sp[MAX_SPLICES + MAX_SOURCES] = {
		{ rpath.a, rpath.b - rpath.a, t_root },
		{ args.a, 1, t_args },
		{ has_mounts == 1 ? mounts.b - 1 : top.a + 1, 0, t_mount },
	};
	char *texts[MAX_SOURCES] = { 0 };
	int n_src = has_mounts == 1 ? absolute_sources(c, len, mounts, bundle, sp + MAX_SPLICES, texts, err) : 0;
	int r = n_src < 0 ? -1 : 0;
	char dir[SHIM_PATH_MAX], path[SHIM_PATH_MAX];
	if (r == 0 && (shim_path(dir, sizeof(dir), s->run_dir, "bundle") < 0 ||
		       shim_path(path, sizeof(path), dir, "config.json") < 0))
		r = pith_fail(err, ENAMETOOLONG, "%s", s->run_dir);
	if (r == 0 && mkdir(dir, 0700) < 0 && errno != EEXIST)
		r = pith_fail(err, errno, "mkdir %s", dir);
	if (r == 0)
		r = write_spliced(path, c, len, sp, MAX_SPLICES + n_src, err);
	for (int i = 0; i < MAX_SOURCES; i++)
		free(texts[i]);
	if (r < 0)
		return -1;
	if (runtime_takes_config(s->runtime)) {
		snprintf(s->bundle, sizeof(s->bundle), "%s", bundle);
		snprintf(s->config, sizeof(s->config), "%s", path);
	} else {
		snprintf(s->bundle, sizeof(s->bundle), "%s", dir);
	}
	return 0;
}

/* The stop signal: --stop-signal, else the image's StopSignal (the annotation
 * `pith-image bundle` writes), else TERM. */
static int stop_signal(struct shim *s, const char *c, size_t len, struct jspan top, struct pith_error *err)
{
	static const char key[] = "org.opencontainers.image.stopSignal";
	struct jspan ann, v;
	char name[32];
	s->stop_signal = s->o.stop_signal;
	if (s->o.stop_signal_given || jscan_member(c, len, top, "annotations", &ann) != 1 ||
	    jscan_member(c, len, ann, key, &v) != 1)
		return 0;
	int sig = jscan_string(c, v, name, sizeof(name)) == 0 ? shim_parse_signal(name) : 0;
	if (!sig)
		return pith_fail(err, 0, "config.json: annotations: %s: not a signal", key);
	s->stop_signal = sig;
	return 0;
}

int shim_bundle_prepare(struct shim *s, struct pith_error *err)
{
	char bundle[PATH_MAX];
	if (!realpath(s->o.bundle, bundle))
		return pith_fail(err, errno, "bundle %s", s->o.bundle);
	auto_free char *c = NULL;
	size_t len = 0;
	if (read_config(bundle, &c, &len, err) < 0)
		return -1;
	struct jspan top, proc, term, args;
	if (jscan_value(c, len, 0, &top) < 0 || c[top.a] != '{')
		return pith_fail(err, 0, "%s/config.json: not a JSON object", bundle);
	if (jscan_member(c, len, top, "process", &proc) != 1 ||
	    jscan_member(c, len, proc, "args", &args) != 1 || c[args.a] != '[')
		return pith_fail(err, 0, "%s/config.json: process.args is missing", bundle);
	s->terminal = jscan_member(c, len, proc, "terminal", &term) == 1 &&
		      term.b - term.a == 4 && memcmp(c + term.a, "true", 4) == 0;
	if (stop_signal(s, c, len, top, err) < 0)
		return -1;
	if (!s->o.init) {
		snprintf(s->bundle, sizeof(s->bundle), "%s", bundle);
		return 0;
	}
	if (make_init_bundle(s, c, len, top, args, bundle, err) < 0)
		return pith_wrap(err, "--init");
	return 0;
}
