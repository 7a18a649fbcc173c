/* `pith check`: probes of the running kernel and board, kept apart from the
 * command so tests can point them at fake /proc and /sys trees. */
#ifndef PITH_CHECK_H
#define PITH_CHECK_H

#include <stdbool.h>
#include "../error.h"

enum check_status { CHECK_OK, CHECK_INFO, CHECK_WARN, CHECK_MISSING };

struct check_result {
	char name[32];       /* stable id: "cgroup.memory", "ns.user", "clone3" ... */
	enum check_status status;
	bool required;       /* a default-spec container cannot run without it */
	char detail[256];    /* what was found */
	char fix[512];       /* what to do about it (empty when ok) */
};

#define CHECK_MAX 48

struct check_report {
	struct check_result items[CHECK_MAX];
	int n;
	char cgroup_mode[16]; /* "v2", "hybrid", "v1" or "none" */
};

struct check_env {
	const char *proc;     /* "/proc" or a fake tree */
	const char *sys;      /* "/sys" or a fake tree */
	const char *state_dir; /* --root */
	const char *log_dir;  /* where logs go */
	bool live;            /* also probe syscalls and personality of this process */
};

#define BOARD_MAX_LINES 12

struct board_profile {
	char name[64];
	char title[128];
	char cpu[192];
	char abi[192];
	char kernel[192];
	char cgroup[8];       /* expected mode: "v1", "v2" or "" */
	bool unsupported;
	char unsupported_why[384];
	char require[256];    /* space-separated check names that become mandatory */
	int n_quirks;
	char quirks[BOARD_MAX_LINES][256];
	int n_fixes;
	char fix_name[BOARD_MAX_LINES][32];
	char fix_text[BOARD_MAX_LINES][384];
};

/* Each probe appends its results to rep. */
void check_cgroups(const struct check_env *env, struct check_report *rep);
void check_filesystems(const struct check_env *env, struct check_report *rep);
void check_namespaces(const struct check_env *env, struct check_report *rep);
void check_userns(const struct check_env *env, struct check_report *rep);
void check_seccomp(const struct check_env *env, struct check_report *rep);
void check_syscalls(const struct check_env *env, struct check_report *rep);
void check_cpu(const struct check_env *env, struct check_report *rep);
void check_space(const struct check_env *env, struct check_report *rep);
void check_all(const struct check_env *env, struct check_report *rep);

/* Load a profile by name (searched in $PITH_BOARDS, then the install and
 * source trees next to the executable) or by path (contains '/'). */
int board_profile_load(const char *name_or_path, struct board_profile *p, struct pith_error *err);
int board_profile_parse(const char *text, struct board_profile *p, struct pith_error *err);
/* Expectations and exact fixes of the board override the generic ones. */
void check_apply_profile(const struct board_profile *p, struct check_report *rep);

const struct check_result *check_find(const struct check_report *rep, const char *name);
/* True when no required check is missing. */
bool check_can_run(const struct check_report *rep);
const char *check_status_name(enum check_status s);

#endif
