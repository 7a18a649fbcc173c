/* Users and groups from the container's own /etc/passwd and /etc/group, read
 * inside its root (a symlinked /etc/passwd cannot point at a host file). Used
 * by init and exec after they are in the container's mount namespace. */
#ifndef PITH_PASSWD_H
#define PITH_PASSWD_H

#include <limits.h>
#include <stdint.h>

#include "../../config/spec.h"
#include "../error.h"

struct passwd_user {
	uint32_t uid;
	uint32_t gid;
	char home[PATH_MAX];
};

/* The first entry of `name`, or of `uid` when name is NULL, in root's
 * /etc/passwd (root: an O_PATH fd of the root to resolve in). 1 found, 0 no
 * such entry (or no passwd file), -1 with err on a read error. */
int passwd_find_user(int root, const char *name, uint32_t uid, struct passwd_user *out,
		     struct pith_error *err);
/* The gid of the first group `name` in root's /etc/group: 1 found, 0 not found, -1 with err. */
int passwd_find_group(int root, const char *name, uint32_t *gid, struct pith_error *err);

/* A decimal id in 0..UINT32_MAX-1 ((uid_t)-1 means "unchanged" to setresuid). */
int passwd_parse_id(const char *s, uint32_t *out);

/* exec --user USER[:GROUP], each a number or a name looked up in the
 * container: sets the ids as runc's user lookup does (a name without GROUP
 * takes its entry's gid, and the groups listing it join the additional gids
 * in a new malloc'd array). All or nothing. */
int passwd_resolve_user_spec(const char *spec, struct spec_user *u, struct pith_error *err);
/* The same, looked up under the root `root` instead of "/". */
int passwd_resolve_user_spec_at(int root, const char *spec, struct spec_user *u,
				struct pith_error *err);

/* The environment runc gives: process.env with each NAME once (the last value
 * wins), and HOME from the user's entry ("/" when there is none) unless it is
 * set non-empty. Replaces p->env.v with a malloc'd array the process keeps to
 * execve; the strings stay the caller's. */
int passwd_set_home(struct spec_process *p, struct pith_error *err);
int passwd_set_home_at(int root, struct spec_process *p, struct pith_error *err);

#endif
