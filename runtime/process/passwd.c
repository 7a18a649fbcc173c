/* Lookups in the container's /etc/passwd and /etc/group (the format of
 * passwd(5) and group(5)), opened inside the current root with the same
 * rules as every other in-root path, so the image decides nothing on the host. */
#include "passwd.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../cleanup.h"
#include "../mount/paths.h"
#include "process.h"

#include "../mount/openat2_compat.h"

int passwd_parse_id(const char *s, uint32_t *out)
{
	if (!*s || *s < '0' || *s > '9')
		return -EINVAL;
	uint64_t v = 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v >= UINT32_MAX)
			return -ERANGE;
	}
	*out = (uint32_t)v;
	return 0;
}

/* The file `path` of the current root, read-only; -ENOENT when absent. A
 * FIFO or device planted there is refused instead of read. */
static int open_read_in_root(int root, const char *path)
{
	struct open_how how = { .flags = O_RDONLY | O_NONBLOCK | O_CLOEXEC,
				.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
	int fd = (int)syscall(SYS_openat2, root, path, &how, sizeof(how));
	if (fd >= 0 || errno != ENOSYS)
		return fd >= 0 ? fd : -errno;
	/* before Linux 5.6: the O_PATH walk, reopened through /proc */
	struct pith_error ignored = { 0 };
	auto_fd opath = path_resolve_in_root(root, path, 0, &ignored);
	if (opath < 0)
		return opath;
	char link[PATH_FD_LINK_MAX];
	fd = open(path_fd_link(opath, link), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	return fd >= 0 ? fd : -errno;
}

static FILE *open_in_root(int root, const char *path, int *error)
{
	int fd = open_read_in_root(root, path);
	if (fd < 0) {
		*error = -fd;
		return NULL;
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		*error = EINVAL;
		close(fd);
		return NULL;
	}
	FILE *f = fdopen(fd, "re");
	if (!f) {
		*error = errno;
		close(fd);
	}
	return f;
}

/* Split a line at ':' into at most n fields; returns how many. */
static size_t split_fields(char *line, char **field, size_t n)
{
	size_t i = 0;
	line[strcspn(line, "\n")] = '\0';
	while (i < n) {
		field[i++] = line;
		char *colon = strchr(line, ':');
		if (!colon)
			break;
		*colon = '\0';
		line = colon + 1;
	}
	return i;
}

static int open_db(int root, const char *path, FILE **f, struct pith_error *err)
{
	int e = 0;
	*f = open_in_root(root, path, &e);
	if (*f)
		return 1;
	if (e == ENOENT || e == ENOTDIR)
		return 0;
	return pith_fail(err, e, "%s in the container", path);
}

int passwd_find_user(int root, const char *name, uint32_t uid, struct passwd_user *out,
		     struct pith_error *err)
{
	FILE *f;
	int r = open_db(root, "/etc/passwd", &f, err);
	if (r <= 0)
		return r;
	char *line = NULL;
	size_t cap = 0;
	int found = 0;
	while (!found && getline(&line, &cap, f) > 0) {
		char *fld[7];
		uint32_t id, gid;
		/* name:password:uid:gid:gecos:home:shell */
		if (split_fields(line, fld, 7) < 6 || passwd_parse_id(fld[2], &id) < 0 ||
		    passwd_parse_id(fld[3], &gid) < 0)
			continue;
		if (name ? strcmp(fld[0], name) != 0 : id != uid)
			continue;
		out->uid = id;
		out->gid = gid;
		snprintf(out->home, sizeof(out->home), "%s", fld[5]);
		found = 1;
	}
	free(line);
	fclose(f);
	return found;
}

int passwd_find_group(int root, const char *name, uint32_t *gid, struct pith_error *err)
{
	FILE *f;
	int r = open_db(root, "/etc/group", &f, err);
	if (r <= 0)
		return r;
	char *line = NULL;
	size_t cap = 0;
	int found = 0;
	while (!found && getline(&line, &cap, f) > 0) {
		char *fld[4];
		/* name:password:gid:members */
		if (split_fields(line, fld, 4) < 3 || strcmp(fld[0], name) != 0)
			continue;
		found = passwd_parse_id(fld[2], gid) == 0;
	}
	free(line);
	fclose(f);
	return found;
}

static bool is_member(char *members, const char *name)
{
	for (char *save = NULL, *m = strtok_r(members, ",", &save); m; m = strtok_r(NULL, ",", &save))
		if (strcmp(m, name) == 0)
			return true;
	return false;
}

/* Append to *gids the groups of root's /etc/group that list `name` as a member. */
static int add_member_gids(int root, const char *name, uint32_t **gids, size_t *n, struct pith_error *err)
{
	FILE *f;
	int r = open_db(root, "/etc/group", &f, err);
	if (r <= 0)
		return r;
	char *line = NULL;
	size_t cap = 0;
	while (r == 1 && getline(&line, &cap, f) > 0) {
		char *fld[4];
		uint32_t gid;
		if (split_fields(line, fld, 4) < 4 || passwd_parse_id(fld[2], &gid) < 0 || !is_member(fld[3], name))
			continue;
		uint32_t *more = reallocarray(*gids, *n + 1, sizeof(**gids));
		if (!more) {
			r = pith_fail(err, ENOMEM, "/etc/group");
			break;
		}
		more[(*n)++] = gid;
		*gids = more;
	}
	free(line);
	fclose(f);
	return r < 0 ? r : 0;
}

/* USER without GROUP, by name: runc's implicit form, where the groups listing
 * the user join the process's additional gids. The array is new (the parser's
 * stays the parser's). */
static int add_supplementary_groups(int root, const char *user, struct spec_user *u, struct pith_error *err)
{
	size_t n = u->n_additional_gids;
	uint32_t *gids = malloc((n + 1) * sizeof(*gids));
	if (!gids)
		return pith_fail(err, ENOMEM, "--user");
	if (n)
		memcpy(gids, u->additional_gids, n * sizeof(*gids));
	if (add_member_gids(root, user, &gids, &n, err) < 0) {
		free(gids);
		return -1;
	}
	u->additional_gids = gids;
	u->n_additional_gids = n;
	return 0;
}

static int resolve_user(int root, const char *user, struct spec_user *u, bool *by_name, struct pith_error *err)
{
	uint32_t id;
	int r = passwd_parse_id(user, &id);
	if (r == -ERANGE)
		return pith_fail(err, ERANGE, "--user: uid %s out of range (0..%u)", user, UINT32_MAX - 1);
	if (r == 0) {
		u->uid = id;
		return 0;
	}
	struct passwd_user pw;
	r = passwd_find_user(root, user, 0, &pw, err);
	if (r < 0)
		return -1;
	if (r == 0)
		return pith_fail(err, 0, "--user: no user \"%s\" in the container's /etc/passwd", user);
	u->uid = pw.uid;
	u->gid = pw.gid;
	*by_name = true;
	return 0;
}

static int resolve_group(int root, const char *group, struct spec_user *u, struct pith_error *err)
{
	uint32_t id;
	int r = passwd_parse_id(group, &id);
	if (r == -ERANGE)
		return pith_fail(err, ERANGE, "--user: gid %s out of range (0..%u)", group, UINT32_MAX - 1);
	if (r == 0) {
		u->gid = id;
		return 0;
	}
	r = passwd_find_group(root, group, &id, err);
	if (r < 0)
		return -1;
	if (r == 0)
		return pith_fail(err, 0, "--user: no group \"%s\" in the container's /etc/group", group);
	u->gid = id;
	return 0;
}

int passwd_resolve_user_spec_at(int root, const char *spec, struct spec_user *u,
				struct pith_error *err)
{
	auto_free char *user = strdup(spec);
	if (!user)
		return pith_fail(err, ENOMEM, "--user");
	char *group = strchr(user, ':');
	if (group)
		*group++ = '\0';
	if (!*user || (group && !*group))
		return pith_fail(err, EINVAL, "--user: expected USER[:GROUP], got \"%s\"", spec);
	/* all or nothing: a bad group leaves the process's ids as they were */
	struct spec_user resolved = *u;
	bool by_name = false;
	if (resolve_user(root, user, &resolved, &by_name, err) < 0)
		return -1;
	if (group && resolve_group(root, group, &resolved, err) < 0)
		return -1;
	if (!group && by_name && add_supplementary_groups(root, user, &resolved, err) < 0)
		return -1;
	*u = resolved;
	return 0;
}

static int open_current_root(struct pith_error *err)
{
	int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	return root >= 0 ? root : pith_fail(err, errno, "open the container's root");
}

int passwd_resolve_user_spec(const char *spec, struct spec_user *u, struct pith_error *err)
{
	auto_fd root = open_current_root(err);
	return root < 0 ? -1 : passwd_resolve_user_spec_at(root, spec, u, err);
}

int passwd_set_home_at(int root, struct spec_process *p, struct pith_error *err)
{
	size_t n;
	const char **env = process_env_merge(p->env.v, p->env.n, NULL, 0, &n);
	if (!env)
		return pith_fail(err, ENOMEM, "process.env");
	p->env.v = env;
	p->env.n = n;
	/* an empty HOME counts as none: runc replaces it too */
	const char *set = process_env_get(p, "HOME");
	if (set && *set)
		return 0;
	struct passwd_user pw;
	int r = passwd_find_user(root, NULL, p->user.uid, &pw, err);
	if (r < 0)
		return -1;
	/* runc's default user has "/" as its home: the same when there is no entry */
	const char *home = r > 0 ? pw.home : "/";
	char *var = malloc(strlen(home) + 6);
	if (!var)
		return pith_fail(err, ENOMEM, "HOME");
	sprintf(var, "HOME=%s", home);
	/* merge again: an empty HOME= entry is replaced where it stands */
	const char *add[] = { var };
	const char **with_home = process_env_merge(env, n, add, 1, &p->env.n);
	if (!with_home) {
		free(var);
		return pith_fail(err, ENOMEM, "HOME");
	}
	p->env.v = with_home;
	free(env);
	return 0;
}

int passwd_set_home(struct spec_process *p, struct pith_error *err)
{
	auto_fd root = open_current_root(err);
	return root < 0 ? -1 : passwd_set_home_at(root, p, err);
}
