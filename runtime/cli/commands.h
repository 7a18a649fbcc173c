/* Every CLI command: argv after the command name, globals already parsed.
 * Return the process exit code (>= 0), or a negative value with err filled. */
#ifndef PITH_COMMANDS_H
#define PITH_COMMANDS_H

#include "../container.h"
#include "../error.h"

typedef int (*pith_command_fn)(struct pith_globals *g, int argc, char **argv, struct pith_error *err);

/* runtime/cli/cmd_lifecycle.c (exec: cmd_exec.c) */
int cmd_create(struct pith_globals *g, int argc, char **argv, struct pith_error *err);
int cmd_start(struct pith_globals *g, int argc, char **argv, struct pith_error *err);
int cmd_run(struct pith_globals *g, int argc, char **argv, struct pith_error *err);
int cmd_state(struct pith_globals *g, int argc, char **argv, struct pith_error *err);
int cmd_kill(struct pith_globals *g, int argc, char **argv, struct pith_error *err);
int cmd_delete(struct pith_globals *g, int argc, char **argv, struct pith_error *err);
int cmd_list(struct pith_globals *g, int argc, char **argv, struct pith_error *err);
int cmd_exec(struct pith_globals *g, int argc, char **argv, struct pith_error *err);
/* runtime/cli/cmd_info.c */
int cmd_spec(struct pith_globals *g, int argc, char **argv, struct pith_error *err);
int cmd_features(struct pith_globals *g, int argc, char **argv, struct pith_error *err);
/* runtime/cli/cmd_pause.c, cmd_update.c, cmd_ps.c, cmd_events.c */
int cmd_pause(struct pith_globals *g, int argc, char **argv, struct pith_error *err);
int cmd_resume(struct pith_globals *g, int argc, char **argv, struct pith_error *err);
int cmd_update(struct pith_globals *g, int argc, char **argv, struct pith_error *err);
int cmd_ps(struct pith_globals *g, int argc, char **argv, struct pith_error *err);
int cmd_events(struct pith_globals *g, int argc, char **argv, struct pith_error *err);
/* runtime/cli/cmd_check.c */
int cmd_check(struct pith_globals *g, int argc, char **argv, struct pith_error *err);

/* runtime/cli/verb_args.c: exactly one container id left in argv after the
 * options (a usage error otherwise), and a container that has a cgroup. */
int verb_one_id(int argc, char **argv, const char *cmd, const char **id, struct pith_error *err);
int verb_need_cgroup(const struct container *c, struct pith_error *err);

#endif
