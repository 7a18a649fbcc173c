/* pull and push in pith-image: they are pith-image-pull, beside this binary, so that the
 * commands that never touch the network do not load libcurl and its TLS, Kerberos and LDAP
 * libraries (about 5 MiB of RSS on every load, bundle and ls). */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image.h"
#include "pull.h"

/* pith-image-pull --store PATH ARGV... from the directory of /proc/self/exe: never a PATH
 * search. The store's fds are O_CLOEXEC, so its lock is the new program's to take. */
static int exec_net_tool(struct store *st, int argc, char **argv, struct pith_error *err)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - sizeof("pith-image-pull"));
	if (n < 0)
		return pith_fail(err, errno, "/proc/self/exe");
	self[n] = 0;
	char *slash = strrchr(self, '/');
	strcpy(slash ? slash + 1 : self, "pith-image-pull");
	char **args = calloc((size_t)argc + 4, sizeof(*args));
	if (!args)
		return pith_fail(err, ENOMEM, "%s", argv[0]);
	args[0] = self;
	args[1] = "--store";
	args[2] = st->path;
	memcpy(args + 3, argv, (size_t)argc * sizeof(*args));
	execv(self, args);
	int e = errno;
	free(args);
	return pith_fail(err, e, "%s (pull and push are that program)", self);
}

int cmd_pull(struct store *st, int argc, char **argv, struct pith_error *err)
{
	return exec_net_tool(st, argc, argv, err);
}

int cmd_push(struct store *st, int argc, char **argv, struct pith_error *err)
{
	return exec_net_tool(st, argc, argv, err);
}
