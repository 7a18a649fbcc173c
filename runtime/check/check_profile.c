/* Board profiles for `pith check --board`: small "key = value" files kept in
 * boards/profiles/ (installed to PREFIX/share/pith/boards). They add the
 * board's expectations and replace generic fixes with the exact ones. */
#include "check.h"
#include "../cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void copy(char *dst, size_t len, const char *src)
{
	size_t n = strlen(src);
	if (n >= len)
		n = len - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	char *e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

static int set_key(struct board_profile *p, const char *key, const char *val, int lineno,
		   struct pith_error *err)
{
	if (strcmp(key, "name") == 0)
		copy(p->name, sizeof(p->name), val);
	else if (strcmp(key, "title") == 0)
		copy(p->title, sizeof(p->title), val);
	else if (strcmp(key, "cpu") == 0)
		copy(p->cpu, sizeof(p->cpu), val);
	else if (strcmp(key, "abi") == 0)
		copy(p->abi, sizeof(p->abi), val);
	else if (strcmp(key, "kernel") == 0)
		copy(p->kernel, sizeof(p->kernel), val);
	else if (strcmp(key, "cgroup") == 0) {
		if (strcmp(val, "v1") != 0 && strcmp(val, "v2") != 0 && strcmp(val, "any") != 0)
			return pith_fail(err, 0, "line %d: cgroup must be v1, v2 or any, not \"%s\"", lineno, val);
		copy(p->cgroup, sizeof(p->cgroup), strcmp(val, "any") == 0 ? "" : val);
	} else if (strcmp(key, "require") == 0)
		copy(p->require, sizeof(p->require), val);
	else if (strcmp(key, "unsupported") == 0) {
		p->unsupported = true;
		copy(p->unsupported_why, sizeof(p->unsupported_why), val);
	} else if (strcmp(key, "quirk") == 0) {
		if (p->n_quirks >= BOARD_MAX_LINES)
			return pith_fail(err, 0, "line %d: more than %d quirks", lineno, BOARD_MAX_LINES);
		copy(p->quirks[p->n_quirks++], sizeof(p->quirks[0]), val);
	} else if (strncmp(key, "fix.", 4) == 0 && key[4]) {
		if (p->n_fixes >= BOARD_MAX_LINES)
			return pith_fail(err, 0, "line %d: more than %d fixes", lineno, BOARD_MAX_LINES);
		copy(p->fix_name[p->n_fixes], sizeof(p->fix_name[0]), key + 4);
		copy(p->fix_text[p->n_fixes++], sizeof(p->fix_text[0]), val);
	} else {
		return pith_fail(err, 0, "line %d: unknown key \"%s\"", lineno, key);
	}
	return 0;
}

int board_profile_parse(const char *text, struct board_profile *p, struct pith_error *err)
{
	memset(p, 0, sizeof(*p));
	auto_free char *copy_text = strdup(text);
	if (!copy_text)
		return pith_fail(err, ENOMEM, "board profile");
	int lineno = 0;
	char *save = NULL;
	for (char *line = strtok_r(copy_text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		char *s = trim(line);
		if (*s == '\0' || *s == '#')
			continue;
		char *eq = strchr(s, '=');
		if (!eq)
			return pith_fail(err, 0, "line %d: expected \"key = value\"", lineno);
		*eq = '\0';
		if (set_key(p, trim(s), trim(eq + 1), lineno, err) < 0)
			return -1;
	}
	if (!p->name[0])
		return pith_fail(err, 0, "no \"name\" key");
	return 0;
}

static int read_text(const char *path, char *buf, size_t len)
{
	auto_fd fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	size_t got = 0;
	ssize_t n;
	while (got + 1 < len && (n = read(fd, buf + got, len - 1 - got)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		got += (size_t)n;
	}
	buf[got] = '\0';
	return 0;
}

/* Where profiles live: $PITH_BOARDS, then next to the executable, installed
 * (BIN/../share/pith/boards) or in a build tree (build[/ARCH]/pith). */
static int find_profile(const char *name, char *path, size_t len)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	char *slash = strrchr(exe, '/');
	if (slash)
		*slash = '\0';
	const char *env = getenv("PITH_BOARDS");
	const char *dirs[] = { env, "../share/pith/boards", "../boards/profiles", "../../boards/profiles",
			       "/usr/local/share/pith/boards", "/usr/share/pith/boards" };
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		if (!dirs[i] || !dirs[i][0])
			continue;
		int w;
		if (i == 0 || dirs[i][0] == '/')
			w = snprintf(path, len, "%s/%s.conf", dirs[i], name);
		else
			w = snprintf(path, len, "%s/%s/%s.conf", exe, dirs[i], name);
		if (w > 0 && (size_t)w < len && access(path, R_OK) == 0)
			return 0;
	}
	return -ENOENT;
}

int board_profile_load(const char *name_or_path, struct board_profile *p, struct pith_error *err)
{
	char path[PATH_MAX];
	char text[16384];
	if (strchr(name_or_path, '/')) {
		copy(path, sizeof(path), name_or_path);
	} else if (find_profile(name_or_path, path, sizeof(path)) < 0) {
		return pith_fail(err, ENOENT,
				 "board \"%s\": no %s.conf in $PITH_BOARDS, PREFIX/share/pith/boards or boards/profiles",
				 name_or_path, name_or_path);
	}
	int r = read_text(path, text, sizeof(text));
	if (r < 0)
		return pith_fail(err, -r, "board profile %s", path);
	if (board_profile_parse(text, p, err) < 0)
		return pith_wrap(err, "board profile %s", path);
	return 0;
}

static const char *profile_fix(const struct board_profile *p, const char *check)
{
	for (int i = 0; i < p->n_fixes; i++)
		if (strcmp(p->fix_name[i], check) == 0)
			return p->fix_text[i];
	return NULL;
}

static bool required_by(const struct board_profile *p, const char *check)
{
	size_t len = strlen(check);
	for (const char *s = p->require; (s = strstr(s, check)) != NULL; s += len)
		if ((s == p->require || s[-1] == ' ') && (s[len] == '\0' || s[len] == ' '))
			return true;
	return false;
}

void check_apply_profile(const struct board_profile *p, struct check_report *rep)
{
	for (int i = 0; i < rep->n; i++) {
		struct check_result *r = &rep->items[i];
		if (required_by(p, r->name)) {
			r->required = true;
			if (r->status == CHECK_WARN)
				r->status = CHECK_MISSING;
		}
		const char *fix = profile_fix(p, r->name);
		if (fix && r->status != CHECK_OK && r->status != CHECK_INFO)
			copy(r->fix, sizeof(r->fix), fix);
	}
	if (p->cgroup[0] && strcmp(rep->cgroup_mode, p->cgroup) != 0 && strcmp(rep->cgroup_mode, "none") != 0 &&
	    rep->n < CHECK_MAX) {
		struct check_result *r = &rep->items[rep->n++];
		memset(r, 0, sizeof(*r));
		copy(r->name, sizeof(r->name), "cgroup.mode");
		r->status = CHECK_WARN;
		snprintf(r->detail, sizeof(r->detail), "this board is expected to run cgroup %s, found %s", p->cgroup,
			 rep->cgroup_mode);
		const char *fix = profile_fix(p, "cgroup.mode");
		copy(r->fix, sizeof(r->fix), fix ? fix : "boot with systemd.unified_cgroup_hierarchy=1");
	}
	if (p->unsupported && rep->n < CHECK_MAX) {
		struct check_result *r = &rep->items[rep->n++];
		memset(r, 0, sizeof(*r));
		copy(r->name, sizeof(r->name), "board");
		r->status = CHECK_MISSING;
		r->required = true;
		snprintf(r->detail, sizeof(r->detail), "%s is not supported by this build", p->title[0] ? p->title : p->name);
		copy(r->fix, sizeof(r->fix), p->unsupported_why);
	}
}
