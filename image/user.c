/* The image config's User ("name|uid[:group|gid]") as Docker resolves it, through the image's
 * own /etc/passwd and /etc/group: the runtime's lookups (runc's rules, read inside the rootfs,
 * a symlinked /etc/passwd cannot reach a host file), plus Docker's one difference: a numeric
 * uid with no group takes the gid of its passwd entry when there is one. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../runtime/process/passwd.h"
#include "image.h"

int image_user(int rootfd, const char *user, json_t **out, struct pith_error *err)
{
	struct spec_user u = { 0 };
	uint32_t uid;
	int r = passwd_resolve_user_spec_at(rootfd, user, &u, err);
	if (r == 0 && !strchr(user, ':') && passwd_parse_id(user, &uid) == 0) {
		struct passwd_user pw;
		r = passwd_find_user(rootfd, NULL, uid, &pw, err);
		if (r == 1)
			u.gid = pw.gid;
		r = r < 0 ? r : 0;
	}
	if (r < 0) {
		free(u.additional_gids);
		return pith_wrap(err, "image config: User \"%s\"", user);
	}
	json_t *j = json_pack("{s:I, s:I}", "uid", (json_int_t)u.uid, "gid", (json_int_t)u.gid);
	json_t *gids = u.n_additional_gids ? json_array() : NULL;
	for (size_t i = 0; gids && i < u.n_additional_gids; i++)
		json_array_append_new(gids, json_integer(u.additional_gids[i]));
	if (gids)
		json_object_set_new(j, "additionalGids", gids);
	free(u.additional_gids);
	if (!j)
		return pith_fail(err, ENOMEM, "process.user");
	*out = j;
	return 0;
}
