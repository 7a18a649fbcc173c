/* The argument shapes several verbs share: exactly one container id, and a
 * container that must have a cgroup. */
#include <unistd.h>

#include "commands.h"
#include "../container.h"

int verb_one_id(int argc, char **argv, const char *cmd, const char **id, struct pith_error *err)
{
	if (optind >= argc)
		return pith_usage_error(err, cmd, "requires a container id");
	*id = argv[optind++];
	if (optind < argc)
		return pith_usage_error(err, cmd, "unexpected argument \"%s\"", argv[optind]);
	return 0;
}

int verb_need_cgroup(const struct container *c, struct pith_error *err)
{
	if (!c->cgroup)
		return pith_fail(err, 0, "container %s has no cgroup", c->id);
	return 0;
}
